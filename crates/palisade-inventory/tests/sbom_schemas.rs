//! The CycloneDX and SPDX documents validate against the official JSON
//! schemas in `../shared/data/schemas`, bom-refs are unique, and the
//! dependency graph survives.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use jsonschema::{Retrieve, Uri};
use palisade_inventory::sbom::{DocumentInfo, cyclonedx, spdx};
use serde_json::Value;

/// Serves `$ref`s by file name from the schema's own folder (the schemas name
/// each other by relative URI).
struct Folder(PathBuf);

impl Retrieve for Folder {
    fn retrieve(
        &self,
        uri: &Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let name = uri
            .path()
            .as_str()
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_string();
        let text = std::fs::read_to_string(self.0.join(&name))?;
        Ok(serde_json::from_str(&text)?)
    }
}

fn validate(schema_file: &Path, document: &Value) {
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(schema_file).expect("schema")).expect("json");
    let folder = schema_file.parent().expect("folder").to_path_buf();
    let validator = jsonschema::options()
        .with_retriever(Folder(folder))
        .should_validate_formats(true)
        .build(&schema)
        .expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(document)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .take(20)
        .collect();
    assert!(
        errors.is_empty(),
        "{}:\n{}",
        schema_file.display(),
        errors.join("\n")
    );
}

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

    let cdx = cyclonedx(&inventory, &info());
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

    let doc = spdx(&inventory, &info());
    validate(&schemas.join("spdx/spdx-2.3-schema.json"), &doc);
    let depends_on = doc["relationships"]
        .as_array()
        .expect("relationships")
        .iter()
        .filter(|r| r["relationshipType"] == "DEPENDS_ON")
        .count();
    assert!(depends_on > 1000, "{depends_on} DEPENDS_ON relationships");
}
