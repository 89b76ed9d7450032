//! Alpine, Wolfi and Chainguard: the rules of `apk version -t`.
//!
//! `number{.number}...{letter}{_suffix{number}}...{~hash}{-r#}`. Numbers after the
//! first with a leading zero compare as text (`1.02 < 1.1`); suffixes order as
//! alpha < beta < pre < rc < (none) < cvs < svn < git < hg < p; the commit hash
//! is ignored; `-r#` is the package revision.
//!
//! A version with text apk cannot read is "invalid": two invalid versions compare
//! as plain strings, as apk does, so the order is only guaranteed to be total on
//! well-formed versions.

use std::cmp::Ordering;

use crate::num::Num;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Component {
    text: Box<str>,
    value: Num,
    first: bool,
}

impl Component {
    fn cmp(&self, other: &Component) -> Ordering {
        if !self.first
            && !other.first
            && (self.text.starts_with('0') || other.text.starts_with('0'))
        {
            return self.text.cmp(&other.text);
        }
        self.value.cmp(&other.value)
    }
}

const SUFFIXES: [&str; 9] = ["alpha", "beta", "pre", "rc", "cvs", "svn", "git", "hg", "p"];
/// Rank of "no suffix", between the pre-release and post-release suffixes.
const NO_SUFFIX: u8 = 4;

fn suffix_rank(word: &str) -> u8 {
    match word {
        "alpha" => 0,
        "beta" => 1,
        "pre" => 2,
        "rc" => 3,
        "cvs" => 5,
        "svn" => 6,
        "git" => 7,
        "hg" => 8,
        _ => 9,
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Apk {
    original: Box<str>,
    invalid: bool,
    components: Vec<Component>,
    letter: Option<u8>,
    suffixes: Vec<(u8, Num)>,
    revision: Num,
    has_remainder: bool,
}

fn take_digits(s: &str) -> (&str, &str) {
    let n = s.bytes().take_while(u8::is_ascii_digit).count();
    s.split_at(n)
}

impl Apk {
    pub(crate) fn parse(input: &str) -> Apk {
        let original = input.trim();
        let mut rest = original;

        let mut components = Vec::new();
        loop {
            let (digits, after) = take_digits(rest);
            if digits.is_empty() {
                break;
            }
            components.push(Component {
                text: digits.into(),
                value: Num::from_digits(digits),
                first: components.is_empty(),
            });
            rest = after;
            match rest.strip_prefix('.') {
                Some(after_dot) => rest = after_dot,
                None => break,
            }
        }

        let letter = match rest.as_bytes().first() {
            Some(&c) if c.is_ascii_lowercase() => {
                rest = &rest[1..];
                Some(c)
            }
            _ => None,
        };

        let mut suffixes = Vec::new();
        while let Some(after) = rest.strip_prefix('_') {
            let Some(word) = SUFFIXES.iter().find(|w| after.starts_with(**w)) else {
                break;
            };
            let (digits, after) = take_digits(&after[word.len()..]);
            suffixes.push((suffix_rank(word), Num::from_digits(digits)));
            rest = after;
        }

        if let Some(after) = rest.strip_prefix('~') {
            let n = after
                .bytes()
                .take_while(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
                .count();
            if n > 0 {
                rest = &after[n..];
            }
        }

        let mut invalid = false;
        let mut revision = Num::zero();
        if !rest.is_empty() {
            match rest.strip_prefix("-r") {
                Some(after) => {
                    let (digits, after) = take_digits(after);
                    revision = Num::from_digits(digits);
                    rest = after;
                }
                None => invalid = true,
            }
        }

        Apk {
            original: original.into(),
            invalid,
            components,
            letter,
            suffixes,
            revision,
            has_remainder: !rest.is_empty(),
        }
    }

    pub(crate) fn is_prerelease(&self) -> bool {
        self.suffixes
            .first()
            .is_some_and(|(rank, _)| *rank < NO_SUFFIX)
    }
}

impl Ord for Apk {
    fn cmp(&self, other: &Self) -> Ordering {
        if self.invalid && other.invalid {
            return self.original.cmp(&other.original);
        }
        for (a, b) in self.components.iter().zip(&other.components) {
            let ord = a.cmp(b);
            if ord.is_ne() {
                return ord;
            }
        }
        // As in apk, one more number makes a version greater (`1.0 > 1`).
        let ord = self.components.len().cmp(&other.components.len());
        if ord.is_ne() {
            return ord;
        }
        let ord = self.letter.cmp(&other.letter);
        if ord.is_ne() {
            return ord;
        }
        let none = (NO_SUFFIX, Num::zero());
        let n = self.suffixes.len().max(other.suffixes.len());
        for i in 0..n {
            let a = self.suffixes.get(i).unwrap_or(&none);
            let b = other.suffixes.get(i).unwrap_or(&none);
            let ord = a.cmp(b);
            if ord.is_ne() {
                return ord;
            }
        }
        self.revision
            .cmp(&other.revision)
            .then_with(|| other.has_remainder.cmp(&self.has_remainder))
    }
}

impl PartialOrd for Apk {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        Apk::parse(a).cmp(&Apk::parse(b))
    }

    #[test]
    fn suffixes_order_around_the_release() {
        let order = [
            "1.2_alpha1",
            "1.2_beta",
            "1.2_pre2",
            "1.2_rc1",
            "1.2",
            "1.2_cvs1",
            "1.2_p1",
        ];
        for pair in order.windows(2) {
            assert_eq!(cmp(pair[0], pair[1]), Ordering::Less, "{pair:?}");
        }
    }

    #[test]
    fn revision_and_hash() {
        assert_eq!(cmp("1.0-r1", "1.0-r01"), Ordering::Equal);
        assert_eq!(cmp("1.0-r2", "1.0-r10"), Ordering::Less);
        assert_eq!(cmp("1.0~abc123-r1", "1.0-r1"), Ordering::Equal);
    }

    #[test]
    fn leading_zero_components_compare_as_text() {
        assert_eq!(cmp("1.02", "1.1"), Ordering::Less);
        assert_eq!(cmp("1.10", "1.9"), Ordering::Greater);
    }
}
