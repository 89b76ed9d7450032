//! Validating documents against the official JSON schemas in
//! `../shared/data/schemas` (CycloneDX, SPDX, SARIF).

use std::path::{Path, PathBuf};

use jsonschema::{Retrieve, Uri};
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

/// Asserts that `document` is valid under the schema file (formats checked).
///
/// # Panics
/// With the first twenty violations and where they are.
pub fn validate(schema_file: &Path, document: &Value) {
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(schema_file).unwrap()).unwrap();
    let folder = schema_file.parent().unwrap().to_path_buf();
    let validator = jsonschema::options()
        .with_retriever(Folder(folder))
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
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
