//! PyPI: PEP 440 versions, with the pre-PEP 440 "legacy" order as the fallback.
//!
//! Valid versions are parsed and ordered by `pep440_rs`. Anything it rejects is
//! ordered the way setuptools' `LegacyVersion` did (epoch -1): always before every
//! valid version, and among themselves by a padded token key.

use std::cmp::Ordering;
use std::str::FromStr;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Pep440 {
    Legacy(Vec<String>),
    Valid(pep440_rs::Version),
}

impl Pep440 {
    pub(crate) fn parse(input: &str) -> Pep440 {
        match pep440_rs::Version::from_str(input.trim()) {
            Ok(v) => Pep440::Valid(v),
            Err(_) => Pep440::Legacy(legacy_key(input)),
        }
    }

    pub(crate) fn is_valid(&self) -> bool {
        matches!(self, Pep440::Valid(_))
    }

    /// The normalized spelling of a valid version (`1.0.0-RC1` -> `1.0.0rc1`).
    pub(crate) fn normalized(&self) -> Option<String> {
        match self {
            Pep440::Valid(v) => Some(v.to_string()),
            Pep440::Legacy(_) => None,
        }
    }

    pub(crate) fn is_prerelease(&self) -> bool {
        match self {
            Pep440::Valid(v) => v.any_prerelease(),
            Pep440::Legacy(_) => false,
        }
    }
}

impl Ord for Pep440 {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Pep440::Valid(a), Pep440::Valid(b)) => a.cmp(b),
            (Pep440::Legacy(a), Pep440::Legacy(b)) => a.cmp(b),
            (Pep440::Legacy(_), Pep440::Valid(_)) => Ordering::Less,
            (Pep440::Valid(_), Pep440::Legacy(_)) => Ordering::Greater,
        }
    }
}

impl PartialOrd for Pep440 {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Tokens of a legacy version: digit runs, lowercase letter runs, `.`, `-`, and
/// runs of anything else.
fn legacy_tokens(s: &str) -> Vec<&str> {
    #[derive(PartialEq, Clone, Copy)]
    enum Class {
        Digit,
        Letter,
        Single,
        Other,
    }
    let class = |c: char| match c {
        '0'..='9' => Class::Digit,
        'a'..='z' => Class::Letter,
        '.' | '-' => Class::Single,
        _ => Class::Other,
    };
    let mut tokens = Vec::new();
    let mut iter = s.char_indices().peekable();
    while let Some((start, c)) = iter.next() {
        let kind = class(c);
        let mut end = start + c.len_utf8();
        if kind != Class::Single {
            while let Some(&(i, next)) = iter.peek() {
                if class(next) != kind {
                    break;
                }
                end = i + next.len_utf8();
                iter.next();
            }
        }
        tokens.push(&s[start..end]);
    }
    tokens
}

fn legacy_key(input: &str) -> Vec<String> {
    let lower = input.to_lowercase();
    let mut parts: Vec<String> = Vec::new();
    let mapped = legacy_tokens(&lower).into_iter().filter_map(|token| {
        let token = match token {
            "pre" | "preview" | "rc" => "c",
            "-" => "final-",
            "dev" => "@",
            other => other,
        };
        if token.is_empty() || token == "." {
            None
        } else if token.as_bytes()[0].is_ascii_digit() {
            Some(format!("{token:0>8}"))
        } else {
            Some(format!("*{token}"))
        }
    });
    for part in mapped.chain(std::iter::once("*final".to_string())) {
        if part.starts_with('*') {
            if part.as_str() < "*final" {
                while parts.last().is_some_and(|p| p == "*final-") {
                    parts.pop();
                }
            }
            while parts.last().is_some_and(|p| p == "00000000") {
                parts.pop();
            }
        }
        parts.push(part);
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        Pep440::parse(a).cmp(&Pep440::parse(b))
    }

    #[test]
    fn pep440_rules_apply() {
        assert_eq!(cmp("1.0.dev0", "1.0a0"), Ordering::Less);
        assert_eq!(cmp("1!1.0", "2.0"), Ordering::Greater);
        assert_eq!(cmp("1.0-1", "1.0.post1"), Ordering::Equal);
        assert_eq!(cmp("1.0.0+local", "1.0.0"), Ordering::Greater);
        assert_eq!(cmp("1.0RC1", "1.0rc1"), Ordering::Equal);
    }

    #[test]
    fn legacy_versions_sort_before_valid_ones() {
        assert!(!Pep440::parse("0.1-bulbasaur").is_valid());
        assert_eq!(cmp("0.1-bulbasaur", "0.0.1"), Ordering::Less);
        assert_eq!(cmp("0.1-bulbasaur", "0.1-charmander"), Ordering::Less);
    }

    #[test]
    fn legacy_key_pads_numbers_and_marks_words() {
        assert_eq!(legacy_key("1.0-dev"), ["00000001", "*@", "*final"]);
        assert_eq!(
            legacy_key("2.x_y"),
            ["00000002", "*x", "*_", "*y", "*final"]
        );
    }
}
