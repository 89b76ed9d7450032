//! Each scheme's order is a total order: reflexive, antisymmetric and
//! transitive. Checked on every triple of small generated version sets, with
//! alphabets small enough that equal and near-equal versions are common.

use std::cmp::Ordering;

use palisade_version::Scheme;
use proptest::prelude::*;

fn assert_total_order(scheme: Scheme, versions: &[String]) -> Result<(), TestCaseError> {
    let parsed: Vec<_> = versions.iter().map(|v| scheme.parse(v)).collect();
    for (i, a) in parsed.iter().enumerate() {
        prop_assert_eq!(
            a.compare(a),
            Ordering::Equal,
            "{:?} not equal to itself",
            versions[i]
        );
        for (j, b) in parsed.iter().enumerate() {
            let ab = a.compare(b);
            prop_assert_eq!(
                ab,
                b.compare(a).reverse(),
                "antisymmetry: {:?} vs {:?}",
                versions[i],
                versions[j]
            );
            for (k, c) in parsed.iter().enumerate() {
                let bc = b.compare(c);
                if ab != Ordering::Greater && bc != Ordering::Greater {
                    let ac = a.compare(c);
                    prop_assert_ne!(
                        ac,
                        Ordering::Greater,
                        "transitivity: {:?} <= {:?} <= {:?} but first > last",
                        versions[i],
                        versions[j],
                        versions[k]
                    );
                    if ab == Ordering::Equal && bc == Ordering::Equal {
                        prop_assert_eq!(ac, Ordering::Equal);
                    }
                }
            }
        }
    }
    Ok(())
}

fn set_of(strategy: impl Strategy<Value = String>) -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(strategy, 2..10)
}

/// Well-formed SemVer with a small alphabet, plus the loose forms registries accept.
fn semver() -> impl Strategy<Value = String> {
    (
        "v?",
        "[0-2](\\.[0-2]){0,3}",
        prop::option::of("-(0|1|10|a|b|rc|alpha)(\\.(0|1|10|a|b)){0,2}"),
        prop::option::of("\\+(1|a|b2)"),
    )
        .prop_map(|(v, n, p, b)| {
            format!("{v}{n}{}{}", p.unwrap_or_default(), b.unwrap_or_default())
        })
}

/// Maven versions whose qualifiers follow a hyphen or are glued to a number
/// (`1.0-alpha-1`, `1.0rc1`, `2-SNAPSHOT`), plus the null `.RELEASE` / `.Final`.
fn maven() -> impl Strategy<Value = String> {
    (
        "[0-2](\\.(0|1|10)){0,2}",
        "((-|-?(a|b|m|rc|cr|alpha|beta|milestone))(0|1|10)|-(sp|ga|final|snapshot|rc|x|SNAPSHOT)){0,3}",
        "(\\.(RELEASE|Final|GA))?",
    )
        .prop_map(|(n, q, f)| format!("{n}{q}{f}"))
}

fn composer() -> impl Strategy<Value = String> {
    (
        "v?",
        "[0-2](\\.[0-2]){0,3}",
        prop::option::of("[-.]?(dev|alpha|beta|RC|rc|a|b|p|pl|patch|stable)[0-2]?"),
    )
        .prop_map(|(v, n, s)| format!("{v}{n}{}", s.unwrap_or_default()))
}

fn apk() -> impl Strategy<Value = String> {
    (
        "[0-2]{1,2}(\\.[0-2]{1,2}){0,3}",
        "[a-c]?",
        "(_(alpha|beta|pre|rc|cvs|svn|git|hg|p)[0-2]?){0,2}",
        "(~[0-9a-f]{1,3})?",
        "(-r[0-2]{1,2})?",
    )
        .prop_map(|(n, l, s, h, r)| format!("{n}{l}{s}{h}{r}"))
}

/// Every scheme, on any text: comparing never panics, a version equals itself,
/// and swapping the arguments reverses the answer.
fn assert_antisymmetric(scheme: Scheme, versions: &[String]) -> Result<(), TestCaseError> {
    for a in versions {
        for b in versions {
            prop_assert_eq!(
                scheme.compare(a, b),
                scheme.compare(b, a).reverse(),
                "{:?} vs {:?}",
                a,
                b
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn every_scheme_is_antisymmetric_on_any_text(vs in set_of("\\PC{0,12}")) {
        for scheme in Scheme::ALL {
            assert_antisymmetric(scheme, &vs)?;
        }
    }

    #[test]
    fn semver_family_is_total_on_any_text(vs in set_of("[0-2a-cv.+-]{0,8}")) {
        for scheme in [Scheme::SemVer, Scheme::NuGet, Scheme::Pub] {
            assert_total_order(scheme, &vs)?;
        }
    }

    #[test]
    fn semver_family_is_total_on_well_formed_versions(vs in set_of(semver())) {
        for scheme in [Scheme::SemVer, Scheme::NuGet, Scheme::Pub] {
            assert_total_order(scheme, &vs)?;
        }
    }

    #[test]
    fn pep440_is_total(vs in set_of("([0-2]!)?[0-2](\\.[0-2]){0,2}((a|b|rc|c|alpha|pre)[0-2]?)?(\\.?(post|dev|r)[0-2]?)?(\\+[a-b0-2](\\.[a-b0-2])?)?|[0-2a-z.-]{0,6}")) {
        assert_total_order(Scheme::Pep440, &vs)?;
    }

    #[test]
    fn maven_is_total_when_qualifiers_follow_hyphens(vs in set_of(maven())) {
        assert_total_order(Scheme::Maven, &vs)?;
    }

    #[test]
    fn rubygems_is_total(vs in set_of("[0-2a-c.-]{0,8}")) {
        assert_total_order(Scheme::RubyGems, &vs)?;
    }

    #[test]
    fn composer_is_total_on_composer_versions(vs in set_of(composer())) {
        assert_total_order(Scheme::Composer, &vs)?;
    }

    #[test]
    fn dpkg_is_total(vs in set_of("([0-2]:)?[0-2a-c.+~]{0,5}(-[0-2a-c.+~]{0,3})?")) {
        assert_total_order(Scheme::Dpkg, &vs)?;
    }

    #[test]
    fn apk_is_total_on_apk_versions(vs in set_of(apk())) {
        assert_total_order(Scheme::Apk, &vs)?;
    }

    #[test]
    fn rpm_is_total(vs in set_of("([0-2]:)?[0-2a-c.~^]{0,5}(-[0-2a-c.~^]{0,3})?")) {
        assert_total_order(Scheme::Rpm, &vs)?;
    }

    #[test]
    fn dotted_and_generic_are_total_on_any_text(vs in set_of("[0-2a-cA.-]{0,8}")) {
        for scheme in [Scheme::Cran, Scheme::Hackage, Scheme::Generic] {
            assert_total_order(scheme, &vs)?;
        }
    }
}
