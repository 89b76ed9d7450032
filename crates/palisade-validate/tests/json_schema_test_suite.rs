//! The JSON Schema Test Suite (../shared/data/json-schema-test-suite): every
//! required case of draft 4 (API Gateway's dialect), draft 7 and draft
//! 2020-12 passes; the optional ones are counted and reported.
//! Remote references (`http://localhost:1234/...`) resolve from the suite's
//! `remotes` directory, offline.

#![allow(clippy::print_stderr)]

use std::path::Path;

use palisade_validate::{Draft, Model, Options};
use serde_json::Value;

#[derive(Default)]
struct Tally {
    passed: usize,
    failed: Vec<String>,
    /// Cases whose model has the streamed shortcut and whose instance is
    /// an object, so the shortcut's answer is compared with the full one.
    shortcut_cases: usize,
    /// Cases where the two disagree (always a failure, optional or not).
    shortcut_mismatches: Vec<String>,
}

fn run_file(path: &Path, options: &Options, tally: &mut Tally) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let groups: Vec<Value> =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let file = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    for group in groups {
        let description = group["description"].as_str().unwrap_or("");
        let model = Model::compile(&group["schema"], options);
        for case in group["tests"].as_array().into_iter().flatten() {
            let name = format!(
                "{file} / {description} / {}",
                case["description"].as_str().unwrap_or("")
            );
            let expected = case["valid"].as_bool().unwrap_or(true);
            if let Ok(model) = &model
                && model.has_shortcut()
                && case["data"].is_object()
            {
                tally.shortcut_cases += 1;
                let body = serde_json::to_vec(&case["data"]).expect("serializable");
                if model.accepts_json(&body) != model.is_valid(&case["data"]) {
                    tally.shortcut_mismatches.push(name.clone());
                }
            }
            match &model {
                Ok(model) if model.is_valid(&case["data"]) == expected => tally.passed += 1,
                Ok(_) => tally.failed.push(name),
                Err(e) => tally
                    .failed
                    .push(format!("{name} (schema not compiled: {e})")),
            }
        }
    }
}

fn run_dir(dir: &Path, options: &Options, tally: &mut Tally) {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    for file in files {
        run_file(&file, options, tally);
    }
}

#[test]
fn every_required_case_passes_in_draft_4_7_and_2020_12() {
    let Some(suite) = palisade_testkit::data_dir("json-schema-test-suite") else {
        return;
    };
    let mut required_failures = Vec::new();
    let mut shortcut_mismatches = Vec::new();
    for (name, draft) in [
        ("draft4", Draft::Draft4),
        ("draft7", Draft::Draft7),
        ("draft2020-12", Draft::Draft202012),
    ] {
        let options = Options {
            draft: Some(draft),
            local_refs: vec![("http://localhost:1234/".into(), suite.join("remotes"))],
            origin: name.into(),
        };
        let mut required = Tally::default();
        run_dir(&suite.join("tests").join(name), &options, &mut required);
        let mut optional = Tally::default();
        let optional_dir = suite.join("tests").join(name).join("optional");
        if optional_dir.is_dir() {
            run_dir(&optional_dir, &options, &mut optional);
            let format_dir = optional_dir.join("format");
            if format_dir.is_dir() {
                // Formats are annotations here, as in API Gateway: not asserted.
                let mut formats = Tally::default();
                run_dir(&format_dir, &options, &mut formats);
                eprintln!(
                    "{name}: optional/format {} of {} (formats are not asserted)",
                    formats.passed,
                    formats.passed + formats.failed.len()
                );
            }
        }
        eprintln!(
            "{name}: required {} of {} passed; optional {} of {}",
            required.passed,
            required.passed + required.failed.len(),
            optional.passed,
            optional.passed + optional.failed.len()
        );
        let shortcut_cases = required.shortcut_cases + optional.shortcut_cases;
        eprintln!("{name}: {shortcut_cases} cases also checked by the streamed shortcut");
        assert!(
            shortcut_cases > 20,
            "{name}: too few shortcut cases ({shortcut_cases})"
        );
        shortcut_mismatches.append(&mut required.shortcut_mismatches);
        shortcut_mismatches.append(&mut optional.shortcut_mismatches);
        for f in &optional.failed {
            eprintln!("  optional, not passed: {f}");
        }
        assert!(
            required.passed > 300,
            "{name}: too few cases ran ({})",
            required.passed
        );
        required_failures.extend(required.failed.into_iter().map(|f| format!("{name}: {f}")));
    }
    assert!(
        shortcut_mismatches.is_empty(),
        "the shortcut and the full validator disagree on:\n{}",
        shortcut_mismatches.join("\n")
    );
    assert!(
        required_failures.is_empty(),
        "required cases failed:\n{}",
        required_failures.join("\n")
    );
}
