//! Package ecosystems, by their OSV names, and the ordering scheme each uses.

use std::fmt;

use crate::Scheme;

/// An ecosystem palisade knows the version rules of.
///
/// Names are OSV's (`npm`, `PyPI`, `crates.io`, `Debian:12`, ...); a suffix after
/// `:` names a release of a distribution and does not change the rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Ecosystem {
    Npm,
    PyPI,
    CratesIo,
    Go,
    Maven,
    RubyGems,
    NuGet,
    Packagist,
    Hex,
    Pub,
    Debian,
    Ubuntu,
    Alpine,
    Wolfi,
    Chainguard,
    RedHat,
    RockyLinux,
    AlmaLinux,
    OpenSuse,
    Suse,
    Cran,
    Hackage,
    GitHubActions,
    Bitnami,
    SwiftUrl,
}

/// Every ecosystem, in a stable order.
pub const ALL: [Ecosystem; 25] = [
    Ecosystem::Npm,
    Ecosystem::PyPI,
    Ecosystem::CratesIo,
    Ecosystem::Go,
    Ecosystem::Maven,
    Ecosystem::RubyGems,
    Ecosystem::NuGet,
    Ecosystem::Packagist,
    Ecosystem::Hex,
    Ecosystem::Pub,
    Ecosystem::Debian,
    Ecosystem::Ubuntu,
    Ecosystem::Alpine,
    Ecosystem::Wolfi,
    Ecosystem::Chainguard,
    Ecosystem::RedHat,
    Ecosystem::RockyLinux,
    Ecosystem::AlmaLinux,
    Ecosystem::OpenSuse,
    Ecosystem::Suse,
    Ecosystem::Cran,
    Ecosystem::Hackage,
    Ecosystem::GitHubActions,
    Ecosystem::Bitnami,
    Ecosystem::SwiftUrl,
];

impl Ecosystem {
    /// The OSV spelling of the ecosystem name.
    pub fn as_str(self) -> &'static str {
        match self {
            Ecosystem::Npm => "npm",
            Ecosystem::PyPI => "PyPI",
            Ecosystem::CratesIo => "crates.io",
            Ecosystem::Go => "Go",
            Ecosystem::Maven => "Maven",
            Ecosystem::RubyGems => "RubyGems",
            Ecosystem::NuGet => "NuGet",
            Ecosystem::Packagist => "Packagist",
            Ecosystem::Hex => "Hex",
            Ecosystem::Pub => "Pub",
            Ecosystem::Debian => "Debian",
            Ecosystem::Ubuntu => "Ubuntu",
            Ecosystem::Alpine => "Alpine",
            Ecosystem::Wolfi => "Wolfi",
            Ecosystem::Chainguard => "Chainguard",
            Ecosystem::RedHat => "Red Hat",
            Ecosystem::RockyLinux => "Rocky Linux",
            Ecosystem::AlmaLinux => "AlmaLinux",
            Ecosystem::OpenSuse => "openSUSE",
            Ecosystem::Suse => "SUSE",
            Ecosystem::Cran => "CRAN",
            Ecosystem::Hackage => "Hackage",
            Ecosystem::GitHubActions => "GitHub Actions",
            Ecosystem::Bitnami => "Bitnami",
            Ecosystem::SwiftUrl => "SwiftURL",
        }
    }

    /// Reads an OSV ecosystem name exactly as OSV spells it, ignoring a `:release` suffix.
    pub fn from_osv(name: &str) -> Option<Ecosystem> {
        let base = name.split(':').next().unwrap_or(name).trim();
        ALL.iter().copied().find(|e| e.as_str() == base)
    }

    /// Reads a name a person typed: OSV names in any case plus common aliases
    /// (`pypi`, `cargo`, `golang`, `gem`, `composer`, `dart`, `elixir`, ...).
    pub fn from_name(name: &str) -> Option<Ecosystem> {
        if let Some(e) = Ecosystem::from_osv(name) {
            return Some(e);
        }
        let base = name
            .split(':')
            .next()
            .unwrap_or(name)
            .trim()
            .to_ascii_lowercase();
        if let Some(e) = ALL
            .iter()
            .copied()
            .find(|e| e.as_str().to_ascii_lowercase() == base)
        {
            return Some(e);
        }
        Some(match base.as_str() {
            "node" | "nodejs" | "javascript" | "yarn" | "pnpm" => Ecosystem::Npm,
            "python" | "pip" | "pypa" => Ecosystem::PyPI,
            "cargo" | "crates" | "crate" => Ecosystem::CratesIo,
            "golang" => Ecosystem::Go,
            "java" | "gradle" => Ecosystem::Maven,
            "gem" | "gems" | "ruby" | "rubygem" => Ecosystem::RubyGems,
            ".net" | "dotnet" => Ecosystem::NuGet,
            "composer" | "php" => Ecosystem::Packagist,
            "elixir" | "erlang" => Ecosystem::Hex,
            "dart" | "flutter" => Ecosystem::Pub,
            "redhat" | "rhel" => Ecosystem::RedHat,
            "rocky" => Ecosystem::RockyLinux,
            "alma" => Ecosystem::AlmaLinux,
            "opensuse" => Ecosystem::OpenSuse,
            "r" => Ecosystem::Cran,
            "haskell" => Ecosystem::Hackage,
            "github-actions" | "actions" => Ecosystem::GitHubActions,
            "swift" => Ecosystem::SwiftUrl,
            _ => return None,
        })
    }

    /// The rules this ecosystem orders versions by.
    pub fn scheme(self) -> Scheme {
        match self {
            Ecosystem::Npm
            | Ecosystem::CratesIo
            | Ecosystem::Go
            | Ecosystem::Hex
            | Ecosystem::GitHubActions
            | Ecosystem::Bitnami
            | Ecosystem::SwiftUrl => Scheme::SemVer,
            Ecosystem::PyPI => Scheme::Pep440,
            Ecosystem::Maven => Scheme::Maven,
            Ecosystem::RubyGems => Scheme::RubyGems,
            Ecosystem::NuGet => Scheme::NuGet,
            Ecosystem::Packagist => Scheme::Composer,
            Ecosystem::Pub => Scheme::Pub,
            Ecosystem::Debian | Ecosystem::Ubuntu => Scheme::Dpkg,
            Ecosystem::Alpine | Ecosystem::Wolfi | Ecosystem::Chainguard => Scheme::Apk,
            Ecosystem::RedHat
            | Ecosystem::RockyLinux
            | Ecosystem::AlmaLinux
            | Ecosystem::OpenSuse
            | Ecosystem::Suse => Scheme::Rpm,
            Ecosystem::Cran => Scheme::Cran,
            Ecosystem::Hackage => Scheme::Hackage,
        }
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osv_names_round_trip() {
        for e in ALL {
            assert_eq!(Ecosystem::from_osv(e.as_str()), Some(e));
        }
        assert_eq!(Ecosystem::from_osv("Debian:12"), Some(Ecosystem::Debian));
        assert_eq!(Ecosystem::from_osv("pypi"), None);
    }

    #[test]
    fn people_can_use_aliases_and_any_case() {
        assert_eq!(Ecosystem::from_name("pypi"), Some(Ecosystem::PyPI));
        assert_eq!(Ecosystem::from_name("cargo"), Some(Ecosystem::CratesIo));
        assert_eq!(Ecosystem::from_name("CRATES.IO"), Some(Ecosystem::CratesIo));
        assert_eq!(Ecosystem::from_name("red hat"), Some(Ecosystem::RedHat));
        assert_eq!(Ecosystem::from_name("cobol"), None);
    }
}
