//! The CycloneDX and SPDX documents validate against the official JSON
//! schemas in `../shared/data/schemas`, bom-refs are unique, and the
//! dependency graph survives.

use std::collections::HashSet;

use palisade_inventory::sbom::{DocumentInfo, cyclonedx, spdx};
use palisade_testkit::schema::validate;

fn info() -> DocumentInfo {
    DocumentInfo {
        name: "serverless-airline".into(),
        created: "2026-11-25T12:00:00Z".into(),
        uuid: "3f2a6c1e-9b1d-4c3e-8f7a-1b2c3d4e5f60".into(),
        tool_version: "0.1.0".into(),
    }
}

#[test]
fn sboms_of_a_real_project_validate_against_the_official_schemas() {
    let (Some(project), Some(schemas)) = (
        palisade_testkit::data_dir("projects/serverless-airline"),
        palisade_testkit::data_dir("schemas"),
    ) else {
        return;
    };
    let inventory = palisade_inventory::inventory(&[project]).expect("inventory");
    assert!(
        inventory.packages.len() > 1000,
        "{}",
        inventory.packages.len()
    );

    let info = info();
    let cdx = serde_json::to_value(cyclonedx(&inventory, &info)).expect("json");
    validate(&schemas.join("cyclonedx/bom-1.6.schema.json"), &cdx);
    let refs: Vec<&str> = cdx["components"]
        .as_array()
        .expect("components")
        .iter()
        .filter_map(|c| c["bom-ref"].as_str())
        .collect();
    let unique: HashSet<&str> = refs.iter().copied().collect();
    assert_eq!(refs.len(), unique.len(), "bom-refs are unique");
    let purls: HashSet<&str> = inventory.packages.iter().map(|p| p.purl.as_str()).collect();
    assert_eq!(refs.len(), purls.len() + inventory.graph.roots.len());
    let dependencies = cdx["dependencies"].as_array().expect("dependencies");
    assert!(
        dependencies
            .iter()
            .any(|d| d["dependsOn"].as_array().is_some_and(|a| !a.is_empty()))
    );
    for d in dependencies {
        let r = d["ref"].as_str().expect("ref");
        assert!(
            r == "palisade-subject" || unique.contains(r),
            "dangling ref {r}"
        );
        for target in d["dependsOn"].as_array().expect("array") {
            assert!(
                unique.contains(target.as_str().expect("str")),
                "dangling dependsOn {target}"
            );
        }
    }

    let doc = serde_json::to_value(spdx(&inventory, &info)).expect("json");
    validate(&schemas.join("spdx/spdx-2.3-schema.json"), &doc);
    let depends_on = doc["relationships"]
        .as_array()
        .expect("relationships")
        .iter()
        .filter(|r| r["relationshipType"] == "DEPENDS_ON")
        .count();
    assert!(depends_on > 1000, "{depends_on} DEPENDS_ON relationships");
}
