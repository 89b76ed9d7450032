//! Arbitrary-size non-negative integers kept as digit strings.
//!
//! Version components in the wild exceed `u64` (date stamps glued together, fuzzed
//! inputs), so numbers are compared by length and then digit by digit.

use std::cmp::Ordering;
use std::fmt;

/// A non-negative integer of any size: ASCII digits without leading zeros ("0" for zero).
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct Num(Box<str>);

impl Num {
    /// Builds a number from a run of ASCII digits; an empty run is zero.
    pub(crate) fn from_digits(digits: &str) -> Num {
        debug_assert!(digits.bytes().all(|b| b.is_ascii_digit()));
        let trimmed = digits.trim_start_matches('0');
        if trimmed.is_empty() {
            Num::zero()
        } else {
            Num(trimmed.into())
        }
    }

    pub(crate) fn zero() -> Num {
        Num("0".into())
    }

    pub(crate) fn is_zero(&self) -> bool {
        &*self.0 == "0"
    }
}

impl Ord for Num {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.as_bytes().cmp(other.0.as_bytes()))
    }
}

impl PartialOrd for Num {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Debug for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// True when the string is non-empty and made only of ASCII digits.
pub(crate) fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Splits `s` into maximal runs of ASCII digits and of everything else.
pub(crate) fn digit_runs(s: &str) -> impl Iterator<Item = &str> {
    let bytes = s.as_bytes();
    let mut start = 0;
    std::iter::from_fn(move || {
        if start >= bytes.len() {
            return None;
        }
        let digit = bytes[start].is_ascii_digit();
        let mut end = start + 1;
        while end < bytes.len() && bytes[end].is_ascii_digit() == digit {
            end += 1;
        }
        let run = &s[start..end];
        start = end;
        Some(run)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_compare_by_value_not_text() {
        assert!(Num::from_digits("10") > Num::from_digits("9"));
        assert_eq!(Num::from_digits("007"), Num::from_digits("7"));
        assert_eq!(Num::from_digits(""), Num::zero());
        assert!(
            Num::from_digits("999999999999999999999999999999")
                > Num::from_digits("999999999999999999999999999991")
        );
    }

    #[test]
    fn digit_runs_split_at_every_boundary() {
        let runs: Vec<_> = digit_runs("1.0a12-x").collect();
        assert_eq!(runs, ["1", ".", "0", "a", "12", "-x"]);
    }
}
