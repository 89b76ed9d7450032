//! The SemVer family: npm, crates.io, Go, Hex, Pub and NuGet.
//!
//! Parsing is lenient the way registries are in practice: a leading `v` or `=`,
//! fewer than three components (`1.2` = `1.2.0`), numbers of any size and a
//! pre-release glued to the numbers (`1.0.0beta`) are all accepted. Components
//! past the scheme's count (three, or four for NuGet) are ignored, like build
//! metadata.

use std::cmp::Ordering;

use crate::num::{Num, is_digits};

/// One dot-separated identifier of a pre-release or build string.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Ident {
    /// Digits only: compared numerically, and lower than any alphanumeric identifier.
    Numeric(Num),
    /// Anything else: compared by ASCII order.
    Alpha(Box<str>),
}

impl Ident {
    fn parse(part: &str, fold_case: bool) -> Ident {
        if is_digits(part) {
            Ident::Numeric(Num::from_digits(part))
        } else if fold_case {
            Ident::Alpha(part.to_ascii_lowercase().into())
        } else {
            Ident::Alpha(part.into())
        }
    }
}

/// How a member of the family treats the parts after the numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Flavor {
    /// Numeric components that count; the rest is ignored.
    pub(crate) components: usize,
    /// NuGet compares pre-release labels case-insensitively.
    pub(crate) fold_case: bool,
    /// Pub orders by build metadata (`1.0.0 < 1.0.0+1`); SemVer proper ignores it.
    pub(crate) order_build: bool,
}

pub(crate) const SEMVER: Flavor = Flavor {
    components: 3,
    fold_case: false,
    order_build: false,
};
pub(crate) const NUGET: Flavor = Flavor {
    components: 4,
    fold_case: true,
    order_build: false,
};
pub(crate) const PUB: Flavor = Flavor {
    components: 3,
    fold_case: false,
    order_build: true,
};

/// A parsed version of the SemVer family, ready to compare.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct SemverLike {
    /// Numeric components without trailing zeros, so `1.2` equals `1.2.0`.
    numbers: Vec<Num>,
    /// Pre-release identifiers; empty means a release.
    pre: Vec<Ident>,
    /// Build identifiers; only filled when the flavor orders by them.
    build: Option<Vec<Ident>>,
}

impl SemverLike {
    pub(crate) fn parse(input: &str, flavor: Flavor) -> SemverLike {
        let s = input.trim();
        let s = s.strip_prefix('=').unwrap_or(s).trim_start();
        let s = s.strip_prefix(['v', 'V']).unwrap_or(s);

        let mut numbers = Vec::new();
        let mut rest = "";
        let mut start = 0;
        let bytes = s.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b.is_ascii_digit() {
                i += 1;
                continue;
            }
            if i > start {
                numbers.push(Num::from_digits(&s[start..i]));
            }
            if b == b'.' {
                i += 1;
                start = i;
                continue;
            }
            rest = &s[i..];
            start = bytes.len();
            break;
        }
        if start < bytes.len() {
            numbers.push(Num::from_digits(&s[start..]));
        }
        numbers.truncate(flavor.components);
        while numbers.last().is_some_and(Num::is_zero) {
            numbers.pop();
        }

        let (pre, build) = match rest.split_once('+') {
            Some((pre, build)) => (pre, Some(build)),
            None => (rest, None),
        };
        let pre = pre.strip_prefix('-').unwrap_or(pre);
        let idents = |text: &str| -> Vec<Ident> {
            if text.is_empty() {
                Vec::new()
            } else {
                text.split('.')
                    .map(|p| Ident::parse(p, flavor.fold_case))
                    .collect()
            }
        };
        SemverLike {
            numbers,
            pre: idents(pre),
            build: if flavor.order_build {
                build.map(idents)
            } else {
                None
            },
        }
    }

    pub(crate) fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }
}

impl Ord for SemverLike {
    fn cmp(&self, other: &Self) -> Ordering {
        self.numbers
            .cmp(&other.numbers)
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => self.pre.cmp(&other.pre),
            })
            .then_with(|| self.build.cmp(&other.build))
    }
}

impl PartialOrd for SemverLike {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str, flavor: Flavor) -> Ordering {
        SemverLike::parse(a, flavor).cmp(&SemverLike::parse(b, flavor))
    }

    #[test]
    fn prerelease_sorts_before_its_release() {
        assert_eq!(cmp("1.0.0-rc.1", "1.0.0", SEMVER), Ordering::Less);
        assert_eq!(
            cmp("1.0.0-alpha.10", "1.0.0-alpha.9", SEMVER),
            Ordering::Greater
        );
        assert_eq!(cmp("1.0.0-alpha", "1.0.0-alpha.0", SEMVER), Ordering::Less);
    }

    #[test]
    fn build_metadata_is_ignored_except_for_pub() {
        assert_eq!(cmp("1.2.3+a", "1.2.3+b", SEMVER), Ordering::Equal);
        assert_eq!(cmp("1.2.3", "1.2.3+1", PUB), Ordering::Less);
        assert_eq!(cmp("1.2.3+9", "1.2.3+a", PUB), Ordering::Less);
    }

    #[test]
    fn loose_forms_are_accepted() {
        assert_eq!(cmp("v1.2", "=1.2.0", SEMVER), Ordering::Equal);
        assert_eq!(cmp(" 1.2.3 ", "1.2.3", SEMVER), Ordering::Equal);
        assert_eq!(cmp("1.0.0-BETA", "1.0.0-beta", NUGET), Ordering::Equal);
        assert_eq!(cmp("1.0.0.1", "1.0.0", NUGET), Ordering::Greater);
    }

    #[test]
    fn go_pseudo_versions_order_by_timestamp() {
        assert_eq!(
            cmp(
                "v0.0.0-20191109021931-daa7c04131f5",
                "v0.0.0-20200101000000-aaaaaaaaaaaa",
                SEMVER
            ),
            Ordering::Less
        );
        assert_eq!(
            cmp("v1.2.4-0.20191109021931-daa7c04131f5", "v1.2.4", SEMVER),
            Ordering::Less
        );
        assert_eq!(
            cmp("v2.0.0+incompatible", "v2.0.0", SEMVER),
            Ordering::Equal
        );
    }
}
