//! Dotted numeric versions (CRAN, Hackage) and the generic fallback order.

use std::cmp::Ordering;

use crate::num::{Num, digit_runs, is_digits};

/// A token of a version read without ecosystem rules.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Token {
    /// A word (case-folded); words sort before numbers.
    Text(Box<str>),
    Num(Num),
}

/// CRAN and Hackage: numbers separated by `.` (and `-` for CRAN), compared one
/// by one; a longer version is greater when the shorter is its prefix, so
/// `0.1.0 < 0.1.0.0`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Dotted {
    parts: Vec<Token>,
}

impl Dotted {
    pub(crate) fn parse(input: &str) -> Dotted {
        let parts = input
            .trim()
            .split(['.', '-'])
            .map(|p| {
                if is_digits(p) {
                    Token::Num(Num::from_digits(p))
                } else {
                    Token::Text(p.to_ascii_lowercase().into())
                }
            })
            .collect();
        Dotted { parts }
    }
}

/// The order for ecosystems palisade has no rules for: digit runs compare as
/// numbers, other runs of letters as case-folded text (text before numbers),
/// punctuation only separates; a longer version is greater when the shorter is
/// its prefix, and the original text breaks remaining ties so that only equal
/// strings are equal.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Generic {
    tokens: Vec<Token>,
    original: Box<str>,
}

impl Generic {
    pub(crate) fn parse(input: &str) -> Generic {
        let original = input.trim();
        let mut tokens = Vec::new();
        for run in digit_runs(original) {
            if is_digits(run) {
                tokens.push(Token::Num(Num::from_digits(run)));
            } else {
                for word in run
                    .split(|c: char| !c.is_alphanumeric())
                    .filter(|w| !w.is_empty())
                {
                    tokens.push(Token::Text(word.to_lowercase().into()));
                }
            }
        }
        Generic {
            tokens,
            original: original.into(),
        }
    }
}

pub(crate) fn cmp_generic(a: &str, b: &str) -> Ordering {
    Generic::parse(a).cmp(&Generic::parse(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_versions_compare_numerically_and_by_length() {
        assert!(Dotted::parse("0.9") < Dotted::parse("0.75"));
        assert!(Dotted::parse("0.1.0") < Dotted::parse("0.1.0.0"));
        assert_eq!(Dotted::parse("0.01.0"), Dotted::parse("0.1-0"));
    }

    #[test]
    fn generic_order_is_natural() {
        assert_eq!(cmp_generic("1.10", "1.9"), Ordering::Greater);
        assert_eq!(cmp_generic("r10", "r9"), Ordering::Greater);
        assert_eq!(cmp_generic("1.0", "1.0"), Ordering::Equal);
        assert_ne!(cmp_generic("1.0", "1-0"), Ordering::Equal);
    }
}
