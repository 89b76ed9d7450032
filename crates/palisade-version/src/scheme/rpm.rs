//! Red Hat and other RPM distributions: the rules of `rpmvercmp`.
//!
//! `[epoch:]version[-release]`, each part compared as runs of letters and runs
//! of digits (numbers beat letters); other characters only separate runs. `~`
//! sorts before anything, `^` after the end but before anything else. A release
//! that is present (even empty) sorts after a missing one.

use std::cmp::Ordering;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Rpm {
    epoch: Box<str>,
    version: Box<str>,
    release: Option<Box<str>>,
}

impl Rpm {
    pub(crate) fn parse(input: &str) -> Rpm {
        let s = input.trim();
        let (epoch, rest) = match s.split_once(':') {
            Some((e, rest)) => (e, rest),
            None => ("", s),
        };
        let (version, release) = match rest.rsplit_once('-') {
            Some((v, r)) => (v, Some(r.into())),
            None => (rest, None),
        };
        let epoch = if epoch.is_empty() { "0" } else { epoch };
        Rpm {
            epoch: epoch.into(),
            version: version.into(),
            release,
        }
    }

    pub(crate) fn is_prerelease(&self) -> bool {
        self.version.contains('~')
    }
}

/// rpm's `rpmvercmp`.
pub(crate) fn rpmvercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    let separator = |c: u8| !c.is_ascii_alphanumeric() && c != b'~' && c != b'^';
    loop {
        while i < a.len() && separator(a[i]) {
            i += 1;
        }
        while j < b.len() && separator(b[j]) {
            j += 1;
        }
        let (ca, cb) = (a.get(i).copied(), b.get(j).copied());
        if ca.is_none() && cb.is_none() {
            return Ordering::Equal;
        }
        if ca == Some(b'~') || cb == Some(b'~') {
            if ca != Some(b'~') {
                return Ordering::Greater;
            }
            if cb != Some(b'~') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        if ca == Some(b'^') || cb == Some(b'^') {
            if ca.is_none() {
                return Ordering::Less;
            }
            if cb.is_none() {
                return Ordering::Greater;
            }
            if ca != Some(b'^') {
                return Ordering::Greater;
            }
            if cb != Some(b'^') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        let (Some(ca), Some(_)) = (ca, cb) else {
            break;
        };
        let numeric = ca.is_ascii_digit();
        let run = |s: &[u8], start: usize| {
            let mut end = start;
            while end < s.len()
                && (if numeric {
                    s[end].is_ascii_digit()
                } else {
                    s[end].is_ascii_alphabetic()
                })
            {
                end += 1;
            }
            end
        };
        let (ei, ej) = (run(a, i), run(b, j));
        if ej == j {
            // One side has a number where the other has letters: numbers are newer.
            return if numeric {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let (mut sa, mut sb) = (&a[i..ei], &b[j..ej]);
        if numeric {
            while sa.first() == Some(&b'0') {
                sa = &sa[1..];
            }
            while sb.first() == Some(&b'0') {
                sb = &sb[1..];
            }
            let ord = sa.len().cmp(&sb.len());
            if ord.is_ne() {
                return ord;
            }
        }
        let ord = sa.cmp(sb);
        if ord.is_ne() {
            return ord;
        }
        i = ei;
        j = ej;
    }
    match (i >= a.len(), j >= b.len()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        _ => Ordering::Greater,
    }
}

impl Ord for Rpm {
    fn cmp(&self, other: &Self) -> Ordering {
        rpmvercmp(&self.epoch, &other.epoch)
            .then_with(|| rpmvercmp(&self.version, &other.version))
            .then_with(|| match (&self.release, &other.release) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Less,
                (Some(_), None) => Ordering::Greater,
                (Some(a), Some(b)) => rpmvercmp(a, b),
            })
    }
}

impl PartialOrd for Rpm {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        Rpm::parse(a).cmp(&Rpm::parse(b))
    }

    #[test]
    fn tilde_and_caret() {
        assert_eq!(cmp("1.0~rc1", "1.0"), Ordering::Less);
        assert_eq!(cmp("1.0^git1", "1.0"), Ordering::Greater);
        assert_eq!(cmp("1.0^git1", "1.01"), Ordering::Less);
    }

    #[test]
    fn numbers_beat_letters() {
        assert_eq!(cmp("1.0a", "1.0.1"), Ordering::Less);
        assert_eq!(
            cmp("0:3.10.0-229.el7", "0:3.10.0-229.1.2.ael7b"),
            Ordering::Less
        );
    }
}
