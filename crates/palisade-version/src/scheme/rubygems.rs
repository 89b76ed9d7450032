//! RubyGems: the rules of `Gem::Version`.
//!
//! A version is split into runs of digits and runs of letters (`1.0.a2` ->
//! `1, 0, "a", 2`); a `-` reads as `.pre.`. Any letter run makes it a
//! pre-release, so `1.0.a < 1.0`. Trailing zeros of the numeric part and of the
//! pre-release part are dropped before comparing, and a missing segment counts
//! as `0`.

use std::cmp::Ordering;

use crate::num::Num;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Segment {
    Num(Num),
    Str(Box<str>),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct RubyGems {
    segments: Vec<Segment>,
}

impl RubyGems {
    pub(crate) fn parse(input: &str) -> RubyGems {
        let text = input.trim().replace('-', ".pre.");
        let mut raw = Vec::new();
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let start = i;
            if bytes[i].is_ascii_digit() {
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
                raw.push(Segment::Num(Num::from_digits(&text[start..i])));
            } else if bytes[i].is_ascii_alphabetic() {
                while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
                    i += 1;
                }
                raw.push(Segment::Str(text[start..i].into()));
            } else {
                i += 1;
            }
        }
        let split = raw
            .iter()
            .position(|s| matches!(s, Segment::Str(_)))
            .unwrap_or(raw.len());
        let mut string_part = raw.split_off(split);
        let mut numeric_part = raw;
        let is_zero = |s: &Segment| matches!(s, Segment::Num(n) if n.is_zero());
        while numeric_part.last().is_some_and(is_zero) {
            numeric_part.pop();
        }
        while string_part.last().is_some_and(is_zero) {
            string_part.pop();
        }
        numeric_part.extend(string_part);
        RubyGems {
            segments: numeric_part,
        }
    }

    pub(crate) fn is_prerelease(&self) -> bool {
        self.segments.iter().any(|s| matches!(s, Segment::Str(_)))
    }
}

impl Ord for RubyGems {
    fn cmp(&self, other: &Self) -> Ordering {
        let zero = Segment::Num(Num::zero());
        let len = self.segments.len().max(other.segments.len());
        for i in 0..len {
            let l = self.segments.get(i).unwrap_or(&zero);
            let r = other.segments.get(i).unwrap_or(&zero);
            let ord = match (l, r) {
                (Segment::Num(a), Segment::Num(b)) => a.cmp(b),
                (Segment::Str(a), Segment::Str(b)) => a.cmp(b),
                (Segment::Str(_), Segment::Num(_)) => Ordering::Less,
                (Segment::Num(_), Segment::Str(_)) => Ordering::Greater,
            };
            if ord.is_ne() {
                return ord;
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for RubyGems {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        RubyGems::parse(a).cmp(&RubyGems::parse(b))
    }

    #[test]
    fn letters_make_a_prerelease() {
        assert_eq!(cmp("1.0.a", "1.0"), Ordering::Less);
        assert_eq!(cmp("1.0.b1", "1.0.a.2"), Ordering::Greater);
        assert_eq!(cmp("1.0.a2", "1.0.a.2"), Ordering::Equal);
        assert!(RubyGems::parse("1.0-beta").is_prerelease());
    }

    #[test]
    fn trailing_zeros_do_not_count() {
        assert_eq!(cmp("1.0.0", "1"), Ordering::Equal);
        assert_eq!(cmp("3.10", "3.2"), Ordering::Greater);
    }
}
