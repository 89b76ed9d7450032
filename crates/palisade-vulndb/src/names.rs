//! Package names as each ecosystem compares them, so a lookup finds the
//! advisory whatever spelling the lockfile used.

use palisade_version::Ecosystem;

/// The canonical OSV spelling of an ecosystem name (`pypi` -> `PyPI`), keeping a
/// `:release` suffix; unknown names are returned trimmed.
pub fn canonical_ecosystem(name: &str) -> String {
    let name = name.trim();
    let (base, release) = match name.split_once(':') {
        Some((base, release)) => (base, Some(release)),
        None => (name, None),
    };
    let base =
        Ecosystem::from_name(base).map_or_else(|| base.to_string(), |e| e.as_str().to_string());
    match release {
        Some(release) => format!("{base}:{release}"),
        None => base,
    }
}

/// Splits `Debian:12` into `("Debian", Some("12"))`.
pub fn split_ecosystem(name: &str) -> (&str, Option<&str>) {
    match name.split_once(':') {
        Some((base, release)) => (base, Some(release).filter(|r| !r.is_empty())),
        None => (name, None),
    }
}

/// The name under which a package is indexed and looked up.
///
/// - PyPI: PEP 503 (lowercase; runs of `-`, `_`, `.` become `-`).
/// - crates.io: lowercase, `_` as `-` (crates.io treats them as the same name).
/// - NuGet, Packagist, Hex, Pub, GitHub Actions: lowercase.
/// - Maven: `group:artifact`, accepting `group/artifact` too.
/// - Go: the module path without a trailing `/`.
/// - others: as given, trimmed.
pub fn normalize_name(ecosystem: &str, name: &str) -> String {
    let name = name.trim();
    let (base, _) = split_ecosystem(ecosystem);
    match Ecosystem::from_osv(base) {
        Some(Ecosystem::PyPI) => {
            let mut out = String::with_capacity(name.len());
            let mut in_separator = false;
            for c in name.chars() {
                if matches!(c, '-' | '_' | '.') {
                    if !in_separator {
                        out.push('-');
                    }
                    in_separator = true;
                } else {
                    out.extend(c.to_lowercase());
                    in_separator = false;
                }
            }
            out
        }
        Some(Ecosystem::CratesIo) => name.to_ascii_lowercase().replace('_', "-"),
        Some(
            Ecosystem::NuGet
            | Ecosystem::Packagist
            | Ecosystem::Hex
            | Ecosystem::Pub
            | Ecosystem::GitHubActions,
        ) => name.to_lowercase(),
        Some(Ecosystem::Maven) => name.replacen('/', ":", 1),
        Some(Ecosystem::Go) => name.trim_end_matches('/').to_string(),
        _ => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pypi_names_follow_pep_503() {
        assert_eq!(
            normalize_name("PyPI", "Django_REST.framework"),
            "django-rest-framework"
        );
        assert_eq!(normalize_name("PyPI", "a-_-b"), "a-b");
    }

    #[test]
    fn crate_names_ignore_case_and_underscores() {
        assert_eq!(normalize_name("crates.io", "Tokio_Util"), "tokio-util");
    }

    #[test]
    fn maven_accepts_a_slash_between_group_and_artifact() {
        assert_eq!(
            normalize_name("Maven", "org.apache.logging.log4j/log4j-core"),
            "org.apache.logging.log4j:log4j-core"
        );
    }

    #[test]
    fn ecosystems_are_canonicalized_with_their_release() {
        assert_eq!(canonical_ecosystem("pypi"), "PyPI");
        assert_eq!(canonical_ecosystem("debian:12"), "Debian:12");
        assert_eq!(canonical_ecosystem("Rust"), "Rust");
        assert_eq!(split_ecosystem("Alpine:v3.18"), ("Alpine", Some("v3.18")));
    }
}
