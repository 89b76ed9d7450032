//! Debian and Ubuntu: the rules of `dpkg --compare-versions`.
//!
//! `[epoch:]upstream[-revision]`: the epoch is numeric, the revision is what
//! follows the last `-`. Upstream and revision are compared as alternating runs
//! of non-digits and digits; in the non-digit runs `~` sorts before everything,
//! even the end of the string, and letters sort before other characters.

use std::cmp::Ordering;

use crate::num::Num;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Dpkg {
    epoch: Num,
    upstream: Box<str>,
    revision: Box<str>,
}

impl Dpkg {
    pub(crate) fn parse(input: &str) -> Dpkg {
        let s = input.trim();
        let (epoch, rest) = match s.split_once(':') {
            Some((e, rest)) if !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()) => {
                (Num::from_digits(e), rest)
            }
            _ => (Num::zero(), s),
        };
        let (upstream, revision) = match rest.rsplit_once('-') {
            Some((u, r)) => (u, r),
            None => (rest, ""),
        };
        Dpkg {
            epoch,
            upstream: upstream.into(),
            revision: revision.into(),
        }
    }

    pub(crate) fn is_prerelease(&self) -> bool {
        self.upstream.contains('~')
    }
}

/// Weight of a byte in a non-digit run; the end of the run weighs 0.
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(b'~') => -1,
        Some(c) => i32::from(c) + 256,
    }
}

/// dpkg's `verrevcmp`.
pub(crate) fn verrevcmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        while (i < a.len() && !a[i].is_ascii_digit()) || (j < b.len() && !b[j].is_ascii_digit()) {
            let ac = order(a.get(i).copied());
            let bc = order(b.get(j).copied());
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        while a.get(i) == Some(&b'0') {
            i += 1;
        }
        while b.get(j) == Some(&b'0') {
            j += 1;
        }
        let si = i;
        while a.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        let sj = j;
        while b.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        let (na, nb) = (&a[si..i], &b[sj..j]);
        let ord = na.len().cmp(&nb.len()).then_with(|| na.cmp(nb));
        if ord.is_ne() {
            return ord;
        }
    }
    Ordering::Equal
}

impl Ord for Dpkg {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| verrevcmp(&self.upstream, &other.upstream))
            .then_with(|| verrevcmp(&self.revision, &other.revision))
    }
}

impl PartialOrd for Dpkg {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        Dpkg::parse(a).cmp(&Dpkg::parse(b))
    }

    #[test]
    fn tilde_sorts_before_the_end() {
        assert_eq!(cmp("1.0~rc1", "1.0"), Ordering::Less);
        assert_eq!(cmp("1.2.3-1~deb7u1", "1.2.3-1"), Ordering::Less);
    }

    #[test]
    fn epoch_wins_and_defaults_to_zero() {
        assert_eq!(cmp("1:0.1", "9.9"), Ordering::Greater);
        assert_eq!(cmp("0:1.0", "1.0"), Ordering::Equal);
        assert_eq!(cmp("1.0", "1.0-0"), Ordering::Equal);
    }

    #[test]
    fn letters_sort_before_other_characters() {
        assert_eq!(cmp("1.0a", "1.0+"), Ordering::Less);
        assert_eq!(cmp("1.0", "1.0a"), Ordering::Less);
    }
}
