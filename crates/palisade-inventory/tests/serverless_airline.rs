//! The serverless-airline sample: every service's lockfiles are read, and
//! `why` explains a transitive package of the Loyalty service.

use palisade_inventory::{Scope, VersionStatus, inventory, query::why};

#[test]
fn every_service_is_inventoried() {
    let Some(project) = palisade_testkit::data_dir("projects/serverless-airline") else {
        return;
    };
    let inv = inventory(std::slice::from_ref(&project)).expect("inventory");
    assert!(
        inv.warnings
            .iter()
            .all(|w| !w.message.starts_with("skipped")),
        "{:#?}",
        inv.warnings
    );
    let files: Vec<String> = inv
        .files
        .iter()
        .map(|f| {
            f.strip_prefix(&format!("{}/", project.display()))
                .unwrap_or(f)
                .to_string()
        })
        .collect();
    for expected in [
        "master/src/backend/loyalty/package-lock.json",
        "master/src/frontend/package-lock.json",
        "master/src/backend/booking/Pipfile.lock",
        "master/src/backend/payment/Pipfile.lock",
        "master/src/backend/booking/src/confirm-booking/requirements.txt",
        "v2/src/backend/loyalty/package-lock.json",
        "v2/src/backend/payment/poetry.lock",
        "v2/src/frontend/yarn.lock",
        "v2/src/perf-tests/perftest-stack-airline/package-lock.json",
        "archive/src/backend/payment/poetry.lock",
    ] {
        assert!(
            files.iter().any(|f| f == expected),
            "{expected} not read; read {files:#?}"
        );
    }
    // Counts per lockfile, against the entries the files hold.
    let in_file = |suffix: &str| {
        inv.packages
            .iter()
            .filter(|p| p.source.file.ends_with(suffix))
            .count()
    };
    assert_eq!(in_file("v2/src/backend/payment/poetry.lock"), 60);
    assert_eq!(in_file("archive/src/backend/payment/poetry.lock"), 61);
    // Per-Lambda requirements are loose pins: reported as unpinned, never guessed.
    let boto3 = inv
        .packages
        .iter()
        .find(|p| p.name == "boto3" && p.source.file.ends_with("confirm-booking/requirements.txt"))
        .expect("boto3");
    assert_eq!(
        (boto3.version.as_str(), boto3.status),
        ("~=1.11", VersionStatus::Unpinned)
    );
    // Loyalty's direct dependencies come from its package.json.
    let loyalty: Vec<_> = inv
        .packages
        .iter()
        .filter(|p| {
            p.source
                .file
                .ends_with("master/src/backend/loyalty/package-lock.json")
        })
        .collect();
    // package.json declares 3 dependencies and 14 devDependencies.
    assert_eq!(loyalty.iter().filter(|p| p.direct).count(), 17);
    for name in ["aws-sdk", "aws-xray-sdk-core", "uuid"] {
        assert!(
            loyalty
                .iter()
                .any(|p| p.name == name && p.direct && p.scope == Scope::Prod),
            "{name}"
        );
    }
    assert!(
        loyalty
            .iter()
            .any(|p| p.name == "jest" && p.direct && p.scope == Scope::Dev)
    );
}

#[test]
fn why_finds_the_path_to_a_transitive_package_of_the_loyalty_service() {
    let Some(project) =
        palisade_testkit::data_dir("projects/serverless-airline/master/src/backend/loyalty")
    else {
        return;
    };
    let inv = inventory(&[project]).expect("inventory");
    // xml2js arrives only through aws-sdk.
    let paths = why(&inv, "xml2js");
    assert!(!paths.is_empty());
    for (root, path) in &paths {
        assert_eq!(inv.graph.roots[*root].name, "loyalty");
        let names: Vec<&str> = path
            .iter()
            .map(|&i| inv.packages[i].name.as_str())
            .collect();
        assert_eq!(names.first(), Some(&"aws-sdk"), "{names:?}");
        assert_eq!(names.last(), Some(&"xml2js"));
        assert!(!inv.packages[*path.last().expect("last")].direct);
    }
    let shortest = paths.iter().map(|(_, p)| p.len()).min().expect("some");
    assert!(
        paths.iter().all(|(_, p)| p.len() == shortest),
        "only shortest paths"
    );
}
