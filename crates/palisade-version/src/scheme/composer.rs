//! Packagist: PHP's `version_compare`, which Composer uses to order versions.
//!
//! The version is canonicalized (`-`, `_`, `+` become `.`, and a `.` is inserted
//! wherever digits meet non-digits; other characters are kept as PHP's own
//! description of the algorithm says), then compared part by part. Words rank by
//! their prefix: anything unknown < `dev` < `alpha`/`a` < `beta`/`b` < `RC`/`rc` <
//! `#` < `pl`/`p`, and a number ranks like `#`. A leading `v` is ignored.
//!
//! PHP's `#` stands for "any number", which makes `version_compare` itself
//! non-transitive (`1.# = 1.1` and `1.# = 1.2`); it is kept for compatibility and
//! no real Composer version contains it.

use std::cmp::Ordering;

use crate::num::Num;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Part {
    Num(Num),
    Word(i8),
}

/// PHP's rank of a word part; a number ranks as `#` (4).
fn word_rank(word: &str) -> i8 {
    const FORMS: [(&str, i8); 10] = [
        ("dev", 0),
        ("alpha", 1),
        ("a", 1),
        ("beta", 2),
        ("b", 2),
        ("RC", 3),
        ("rc", 3),
        ("#", 4),
        ("pl", 5),
        ("p", 5),
    ];
    FORMS
        .iter()
        .find(|(form, _)| word.starts_with(form))
        .map_or(-1, |&(_, rank)| rank)
}

const NUMBER_RANK: i8 = 4;

/// Composer's canonical form: `-`, `_` and `+` become `.`, and a `.` goes
/// wherever a digit meets a character that is neither a digit nor a dot.
fn canonicalize(version: &str) -> String {
    let mut out = String::with_capacity(version.len() * 2);
    let mut last: Option<char> = None;
    for c in version.chars() {
        let c = if matches!(c, '-' | '_' | '+') { '.' } else { c };
        if let Some(prev) = last {
            let boundary = (prev.is_ascii_digit() && c != '.' && !c.is_ascii_digit())
                || (c.is_ascii_digit() && prev != '.' && !prev.is_ascii_digit());
            if boundary {
                out.push('.');
            }
        }
        out.push(c);
        last = Some(c);
    }
    out
}

fn parts(canonical: &str) -> Vec<Part> {
    canonical
        .split('.')
        .map(|p| {
            if p.as_bytes().first().is_some_and(u8::is_ascii_digit) {
                let digits = p.bytes().take_while(u8::is_ascii_digit).count();
                Part::Num(Num::from_digits(&p[..digits]))
            } else {
                Part::Word(word_rank(p))
            }
        })
        .collect()
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Composer {
    /// `None` for the empty version, which PHP orders below everything.
    parts: Option<Vec<Part>>,
}

impl Composer {
    pub(crate) fn parse(input: &str) -> Composer {
        let s = input.trim();
        let s = s.strip_prefix(['v', 'V']).unwrap_or(s);
        if s.is_empty() {
            return Composer { parts: None };
        }
        Composer {
            parts: Some(parts(&canonicalize(s))),
        }
    }

    pub(crate) fn is_prerelease(&self) -> bool {
        self.parts
            .iter()
            .flatten()
            .any(|p| matches!(p, Part::Word(rank) if *rank < NUMBER_RANK))
    }
}

fn rank(part: &Part) -> i8 {
    match part {
        Part::Num(_) => NUMBER_RANK,
        Part::Word(rank) => *rank,
    }
}

fn cmp_part(a: &Part, b: &Part) -> Ordering {
    match (a, b) {
        (Part::Num(x), Part::Num(y)) => x.cmp(y),
        _ => rank(a).cmp(&rank(b)),
    }
}

/// Orders the parts left over when the other version ran out, as PHP does by
/// comparing them with the version `#N#`.
fn cmp_rest(rest: &[Part]) -> Ordering {
    match rest.first() {
        None => Ordering::Equal,
        Some(Part::Num(_)) => Ordering::Greater,
        Some(word) => rank(word)
            .cmp(&NUMBER_RANK)
            .then_with(|| match rest.get(1) {
                None => Ordering::Equal,
                Some(Part::Num(_)) => Ordering::Greater,
                Some(_) => cmp_rest(&rest[1..]),
            }),
    }
}

impl Ord for Composer {
    fn cmp(&self, other: &Self) -> Ordering {
        let (a, b) = match (&self.parts, &other.parts) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(a), Some(b)) => (a, b),
        };
        for (x, y) in a.iter().zip(b) {
            let ord = cmp_part(x, y);
            if ord.is_ne() {
                return ord;
            }
        }
        match a.len().cmp(&b.len()) {
            Ordering::Equal => Ordering::Equal,
            Ordering::Greater => cmp_rest(&a[b.len()..]),
            Ordering::Less => cmp_rest(&b[a.len()..]).reverse(),
        }
    }
}

impl PartialOrd for Composer {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        Composer::parse(a).cmp(&Composer::parse(b))
    }

    #[test]
    fn canonical_form_splits_at_digit_boundaries() {
        assert_eq!(canonicalize("1.0rc1"), "1.0.rc.1");
        assert_eq!(canonicalize("1.0.0-beta2"), "1.0.0.beta.2");
        assert_eq!(canonicalize("1.2.3.#"), "1.2.3.#");
    }

    #[test]
    fn stabilities_order_like_php() {
        let order = ["1.0-dev", "1.0a1", "1.0b1", "1.0RC1", "1.0", "1.0pl1"];
        for pair in order.windows(2) {
            assert_eq!(cmp(pair[0], pair[1]), Ordering::Less, "{pair:?}");
        }
        assert_eq!(cmp("1.0.0", "1.0"), Ordering::Greater);
        assert_eq!(cmp("v1.0", "1.0"), Ordering::Equal);
    }
}
