//! Every comparison in the shared ordering fixtures (`../shared/data/versions`),
//! produced by each ecosystem's reference implementation, must hold in both
//! directions.

use std::cmp::Ordering;
use std::path::Path;

use palisade_version::Scheme;

/// Which schemes each fixture file is run for.
const FILES: &[(&str, &[Scheme])] = &[
    ("semver-versions.txt", &[Scheme::SemVer]),
    ("rubygems-versions.txt", &[Scheme::RubyGems]),
    ("rubygems-versions-generated.txt", &[Scheme::RubyGems]),
    ("nuget-versions.txt", &[Scheme::NuGet]),
    ("packagist-versions.txt", &[Scheme::Composer]),
    ("packagist-versions-generated.txt", &[Scheme::Composer]),
    ("maven-versions.txt", &[Scheme::Maven]),
    ("maven-versions-generated.txt", &[Scheme::Maven]),
    ("pypi-versions.txt", &[Scheme::Pep440]),
    ("pypi-versions-generated.txt", &[Scheme::Pep440]),
    ("debian-versions.txt", &[Scheme::Dpkg]),
    ("debian-versions-generated.txt", &[Scheme::Dpkg]),
    ("cran-versions.txt", &[Scheme::Cran]),
    ("cran-versions-generated.txt", &[Scheme::Cran]),
    ("alpine-versions.txt", &[Scheme::Apk]),
    ("alpine-versions-generated.txt", &[Scheme::Apk]),
    ("redhat-versions.txt", &[Scheme::Rpm]),
    ("hackage-versions.txt", &[Scheme::Hackage]),
    ("pub-versions.txt", &[Scheme::Pub]),
];

fn check_file(path: &Path, scheme: Scheme, failures: &mut Vec<String>) -> usize {
    let text = std::fs::read_to_string(path).expect("fixture is readable");
    let mut checked = 0;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with("# ") || line.starts_with("//") || line == "#" {
            continue;
        }
        let parts: Vec<&str> = line.split(' ').collect();
        let [a, op, b] = parts[..] else {
            panic!("{}:{}: not `a op b`: {line}", path.display(), n + 1);
        };
        let expected = match op {
            "<" => Ordering::Less,
            "=" => Ordering::Equal,
            ">" => Ordering::Greater,
            _ => panic!("{}:{}: unknown operator {op}", path.display(), n + 1),
        };
        checked += 1;
        let forward = scheme.compare(a, b);
        let backward = scheme.compare(b, a);
        if forward != expected || backward != expected.reverse() {
            failures.push(format!(
                "{}:{} {scheme:?}: {line} (got {forward:?}, reverse {backward:?})",
                path.file_name().and_then(|f| f.to_str()).unwrap_or("?"),
                n + 1
            ));
        }
    }
    checked
}

#[test]
fn all_shared_ordering_fixtures_hold() {
    let Some(dir) = palisade_testkit::data_dir("versions") else {
        return;
    };
    let mut failures = Vec::new();
    let mut checked = 0;
    for (file, schemes) in FILES {
        for scheme in *schemes {
            checked += check_file(&dir.join(file), *scheme, &mut failures);
        }
    }
    let shown: Vec<_> = failures.iter().take(60).collect();
    assert!(
        failures.is_empty(),
        "{} of {checked} comparisons failed:\n{}",
        failures.len(),
        shown
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(checked > 70_000, "only {checked} comparisons were read");
}

#[test]
fn semver_fixtures_hold_for_every_semver_ecosystem() {
    let Some(dir) = palisade_testkit::data_dir("versions") else {
        return;
    };
    for eco in ["npm", "crates.io", "Go", "Hex"] {
        let scheme = Scheme::for_ecosystem(eco);
        let mut failures = Vec::new();
        check_file(&dir.join("semver-versions.txt"), scheme, &mut failures);
        assert!(failures.is_empty(), "{eco}: {failures:#?}");
    }
}
