//! Version ordering for every package ecosystem palisade reads, and OSV range
//! evaluation on top of it.
//!
//! Each ecosystem orders versions by its own rules: `1.0.0-rc.1 < 1.0.0` in npm,
//! `1.0rc1 < 1.0` in PyPI, `1.0~rc1 < 1.0` in Debian, `1.0-SNAPSHOT < 1.0` in
//! Maven. Getting one of these wrong is a missed or a false alarm, so each scheme
//! follows its reference implementation and is tested against fixtures produced
//! by it.
//!
//! ```
//! use palisade_version::{Ecosystem, Scheme};
//! use std::cmp::Ordering;
//!
//! let pypi = Ecosystem::PyPI.scheme();
//! assert_eq!(pypi.compare("1.0rc1", "1.0"), Ordering::Less);
//! assert_eq!(Scheme::Dpkg.compare("1:1.0", "2.0"), Ordering::Greater);
//! ```
//!
//! # Malformed versions
//!
//! Parsing never fails and never panics; every string gets a defined place:
//!
//! - SemVer family (npm, crates.io, Go, Hex, Pub, NuGet): leading digits and dots
//!   are the numbers (missing ones are `0`), whatever follows is a pre-release,
//!   so `abc` sorts as the pre-release `0.0.0-abc`.
//! - PyPI: strings PEP 440 rejects are ordered by setuptools' legacy rules,
//!   before every valid version.
//! - Maven, RubyGems, Packagist, Debian, RPM: the reference algorithms accept
//!   any string; palisade does the same.
//! - Alpine: versions apk calls invalid compare with each other as plain
//!   strings (as `apk version -t` does) and by their readable prefix otherwise.
//! - Unknown ecosystems ([`Scheme::Generic`]): a natural order (numbers by
//!   value, words case-folded and before numbers), ties broken by the text.
//!
//! Versions longer than [`MAX_VERSION_LEN`] bytes are cut to that length first,
//! which bounds the work any hostile string can cause.
//!
//! The order is total (antisymmetric and transitive) for every scheme on
//! well-formed versions. Two reference algorithms are not total on garbage and
//! palisade keeps their answers for compatibility: PHP's `#` (equal to any
//! number) in Packagist, and invalid Alpine versions.

mod ecosystem;
mod num;
pub mod range;
pub mod requirement;
mod scheme;

use std::cmp::Ordering;
use std::fmt;

pub use ecosystem::{ALL as ALL_ECOSYSTEMS, Ecosystem};
pub use range::{Affected, Event, Range, RangeKind, Target};

use scheme::apk::Apk;
use scheme::composer::Composer;
use scheme::dpkg::Dpkg;
use scheme::maven::Maven;
use scheme::numeric::{Dotted, Generic};
use scheme::pep440::Pep440;
use scheme::rpm::Rpm;
use scheme::rubygems::RubyGems;
use scheme::semver_like::{NUGET, PUB, SEMVER, SemverLike};

/// Longest version string considered; longer input is cut (at a character boundary).
pub const MAX_VERSION_LEN: usize = 1024;

/// A set of version ordering rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Scheme {
    /// SemVer 2 read leniently: npm, crates.io, Go, Hex, and OSV `SEMVER` ranges.
    SemVer,
    /// PEP 440 (PyPI).
    Pep440,
    /// Maven's `ComparableVersion`.
    Maven,
    /// RubyGems' `Gem::Version`.
    RubyGems,
    /// NuGet: four numbers, case-insensitive pre-release, build ignored.
    NuGet,
    /// Packagist: PHP's `version_compare`.
    Composer,
    /// Dart's pub: SemVer that also orders by build metadata.
    Pub,
    /// `dpkg --compare-versions` (Debian, Ubuntu).
    Dpkg,
    /// `apk version -t` (Alpine, Wolfi, Chainguard).
    Apk,
    /// `rpmvercmp` (Red Hat, Rocky, AlmaLinux, SUSE).
    Rpm,
    /// R's `compareVersion`.
    Cran,
    /// Haskell's `Data.Version`.
    Hackage,
    /// A natural order for ecosystems without known rules.
    Generic,
}

impl Scheme {
    /// Every scheme.
    pub const ALL: [Scheme; 13] = [
        Scheme::SemVer,
        Scheme::Pep440,
        Scheme::Maven,
        Scheme::RubyGems,
        Scheme::NuGet,
        Scheme::Composer,
        Scheme::Pub,
        Scheme::Dpkg,
        Scheme::Apk,
        Scheme::Rpm,
        Scheme::Cran,
        Scheme::Hackage,
        Scheme::Generic,
    ];

    /// The scheme for an OSV ecosystem name; [`Scheme::Generic`] when unknown.
    pub fn for_ecosystem(name: &str) -> Scheme {
        Ecosystem::from_osv(name).map_or(Scheme::Generic, Ecosystem::scheme)
    }

    /// Parses a version under these rules. Never fails; see the crate docs for
    /// how malformed input is placed.
    pub fn parse(self, input: &str) -> Version {
        let text = truncate(input);
        let repr = match self {
            Scheme::SemVer => Repr::SemVer(SemverLike::parse(text, SEMVER)),
            Scheme::NuGet => Repr::SemVer(SemverLike::parse(text, NUGET)),
            Scheme::Pub => Repr::SemVer(SemverLike::parse(text, PUB)),
            Scheme::Pep440 => Repr::Pep440(Pep440::parse(text)),
            Scheme::Maven => Repr::Maven(Maven::parse(text)),
            Scheme::RubyGems => Repr::RubyGems(RubyGems::parse(text)),
            Scheme::Composer => Repr::Composer(Composer::parse(text)),
            Scheme::Dpkg => Repr::Dpkg(Dpkg::parse(text)),
            Scheme::Apk => Repr::Apk(Apk::parse(text)),
            Scheme::Rpm => Repr::Rpm(Rpm::parse(text)),
            Scheme::Cran | Scheme::Hackage => Repr::Dotted(Dotted::parse(text)),
            Scheme::Generic => Repr::Generic(Generic::parse(text)),
        };
        Version {
            scheme: self,
            original: text.into(),
            repr,
        }
    }

    /// Compares two version strings under these rules.
    pub fn compare(self, a: &str, b: &str) -> Ordering {
        self.parse(a).compare(&self.parse(b))
    }
}

/// Sorts version strings ascending under `scheme`, stable for equal versions.
///
/// Insertion sort on purpose: it gives a defined result even on the few inputs
/// where a reference order is not transitive (see the crate docs), where the
/// standard library's sorts may panic. Lists of versions of one advisory or one
/// package are short.
pub fn sort_versions(scheme: Scheme, versions: &mut [String]) {
    let parsed: Vec<Version> = versions.iter().map(|v| scheme.parse(v)).collect();
    let mut order: Vec<usize> = Vec::with_capacity(parsed.len());
    for i in 0..parsed.len() {
        let mut at = order.len();
        while at > 0 && parsed[order[at - 1]].compare(&parsed[i]) == Ordering::Greater {
            at -= 1;
        }
        order.insert(at, i);
    }
    let sorted: Vec<String> = order.iter().map(|&i| versions[i].clone()).collect();
    versions.clone_from_slice(&sorted);
}

fn truncate(input: &str) -> &str {
    if input.len() <= MAX_VERSION_LEN {
        return input;
    }
    let mut end = MAX_VERSION_LEN;
    while !input.is_char_boundary(end) {
        end -= 1;
    }
    &input[..end]
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Repr {
    SemVer(SemverLike),
    Pep440(Pep440),
    Maven(Maven),
    RubyGems(RubyGems),
    Composer(Composer),
    Dpkg(Dpkg),
    Apk(Apk),
    Rpm(Rpm),
    Dotted(Dotted),
    Generic(Generic),
}

/// A version parsed under one [`Scheme`], ready to compare many times.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Version {
    scheme: Scheme,
    original: Box<str>,
    repr: Repr,
}

impl Version {
    /// Orders two versions. Versions of different schemes order by scheme first.
    pub fn compare(&self, other: &Version) -> Ordering {
        match (&self.repr, &other.repr) {
            (Repr::SemVer(a), Repr::SemVer(b)) if self.scheme == other.scheme => a.cmp(b),
            (Repr::Pep440(a), Repr::Pep440(b)) => a.cmp(b),
            (Repr::Maven(a), Repr::Maven(b)) => a.cmp(b),
            (Repr::RubyGems(a), Repr::RubyGems(b)) => a.cmp(b),
            (Repr::Composer(a), Repr::Composer(b)) => a.cmp(b),
            (Repr::Dpkg(a), Repr::Dpkg(b)) => a.cmp(b),
            (Repr::Apk(a), Repr::Apk(b)) => a.cmp(b),
            (Repr::Rpm(a), Repr::Rpm(b)) => a.cmp(b),
            (Repr::Dotted(a), Repr::Dotted(b)) => a.cmp(b),
            (Repr::Generic(a), Repr::Generic(b)) => a.cmp(b),
            _ => self
                .scheme
                .cmp(&other.scheme)
                .then_with(|| scheme::numeric::cmp_generic(&self.original, &other.original)),
        }
    }

    /// The scheme this version was parsed under.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The text that was parsed.
    pub fn as_str(&self) -> &str {
        &self.original
    }

    /// True for versions the ecosystem treats as pre-releases (`1.0.0-rc.1`,
    /// `1.0a1`, `1.0~rc1`, `1.0.beta`, `1.0-SNAPSHOT`, ...).
    pub fn is_prerelease(&self) -> bool {
        match &self.repr {
            Repr::SemVer(v) => v.is_prerelease(),
            Repr::Pep440(v) => v.is_prerelease(),
            Repr::Maven(_) => {
                let lower = self.original.to_ascii_lowercase();
                [
                    "alpha",
                    "beta",
                    "milestone",
                    "rc",
                    "cr",
                    "snapshot",
                    "-m",
                    "-a",
                    "-b",
                ]
                .iter()
                .any(|q| lower.contains(q))
            }
            Repr::RubyGems(v) => v.is_prerelease(),
            Repr::Composer(v) => v.is_prerelease(),
            Repr::Dpkg(v) => v.is_prerelease(),
            Repr::Apk(v) => v.is_prerelease(),
            Repr::Rpm(v) => v.is_prerelease(),
            Repr::Dotted(_) | Repr::Generic(_) => false,
        }
    }

    /// True when the scheme reads this text under its own rules rather than a
    /// fallback (only PyPI distinguishes: legacy versions are not valid).
    pub fn is_valid(&self) -> bool {
        match &self.repr {
            Repr::Pep440(v) => v.is_valid(),
            _ => !self.original.trim().is_empty(),
        }
    }

    /// The ecosystem's normalized spelling where it has one (PEP 440), else the input.
    pub fn normalized(&self) -> String {
        match &self.repr {
            Repr::Pep440(v) => v.normalized().unwrap_or_else(|| self.original.to_string()),
            _ => self.original.trim().to_string(),
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.original)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_lengths_are_cut_not_rejected() {
        let long = "1.".repeat(100_000);
        for scheme in [Scheme::Maven, Scheme::SemVer, Scheme::Dpkg, Scheme::Pep440] {
            let v = scheme.parse(&long);
            assert_eq!(v.as_str().len(), MAX_VERSION_LEN);
        }
        let nested = "1-".repeat(100_000);
        assert_eq!(Scheme::Maven.compare(&nested, &nested), Ordering::Equal);
    }

    #[test]
    fn cutting_respects_character_boundaries() {
        let s = "é".repeat(MAX_VERSION_LEN);
        let v = Scheme::Generic.parse(&s);
        assert!(v.as_str().len() <= MAX_VERSION_LEN);
    }

    #[test]
    fn sorting_follows_the_scheme_and_keeps_ties_in_order() {
        let mut v: Vec<String> = ["1.10", "1.9", "1.0", "1", "1.0rc1"]
            .map(String::from)
            .to_vec();
        sort_versions(Scheme::Pep440, &mut v);
        assert_eq!(v, ["1.0rc1", "1.0", "1", "1.9", "1.10"]);
        let mut garbage: Vec<String> = ["1.#", "1.1", "1.2", "1.#.a", "1"]
            .map(String::from)
            .to_vec();
        sort_versions(Scheme::Composer, &mut garbage);
        assert_eq!(garbage.len(), 5);
    }

    #[test]
    fn prerelease_detection_per_scheme() {
        assert!(Scheme::SemVer.parse("1.0.0-rc.1").is_prerelease());
        assert!(!Scheme::SemVer.parse("1.0.0+build").is_prerelease());
        assert!(Scheme::Pep440.parse("1.0a1").is_prerelease());
        assert!(Scheme::Dpkg.parse("1.0~rc1-1").is_prerelease());
        assert!(Scheme::Maven.parse("1.0-SNAPSHOT").is_prerelease());
    }
}
