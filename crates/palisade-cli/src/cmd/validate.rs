//! `palisade validate`: JSON documents against a model, for CI.

use std::io::Read;
use std::path::Path;
use std::process::ExitCode;

use palisade_validate::{MAX_MODEL_BYTES, Model, Options, find_duplicate};
use serde_json::{Value, json};

use crate::cli::{DuplicateKeysArg, ValidateArgs};
use crate::output::Out;
use crate::{CmdResult, Failure};

impl From<palisade_validate::Error> for Failure {
    fn from(e: palisade_validate::Error) -> Failure {
        let hint = match &e {
            palisade_validate::Error::Schema { .. } => Some(
                "models are JSON Schema draft 4 unless `$schema` says otherwise; patterns use the regex crate's syntax (no look-around or backreferences)",
            ),
            _ => None,
        };
        let failure = Failure::new(e.to_string());
        match hint {
            Some(h) => failure.hint(h),
            None => failure,
        }
    }
}

/// An input's bytes (at most [`MAX_MODEL_BYTES`]) and its JSON reading;
/// errors name the input and the line and column.
fn read_input(path: &Path) -> Result<(Vec<u8>, Value), Failure> {
    let name = if path.as_os_str() == "-" {
        "standard input".to_string()
    } else {
        path.display().to_string()
    };
    let mut bytes = Vec::new();
    let read = if path.as_os_str() == "-" {
        std::io::stdin()
            .take(MAX_MODEL_BYTES + 1)
            .read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(MAX_MODEL_BYTES + 1).read_to_end(&mut bytes))
    };
    read.map_err(|e| Failure::new(format!("{name}: {e}")))?;
    if bytes.len() as u64 > MAX_MODEL_BYTES {
        return Err(Failure::new(format!(
            "{name}: larger than {MAX_MODEL_BYTES} bytes"
        )));
    }
    let value = serde_json::from_slice(&bytes).map_err(|e| {
        Failure::new(format!(
            "{name}:{}:{}: invalid JSON: {e}",
            e.line(),
            e.column()
        ))
    })?;
    Ok((bytes, value))
}

pub fn run(out: &Out, args: &ValidateArgs) -> CmdResult {
    // `$ref`s to sibling files (`other.json`, `file:` URLs) resolve from the
    // model's directory; nothing is downloaded.
    let dir = args
        .schema
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let options = Options {
        draft: args.draft,
        // A model without `$id` has the engine's default base URI, so a
        // relative reference (`address.json`) arrives as `json-schema:///...`.
        local_refs: vec![
            (format!("file://{}/", dir.display()), dir.clone()),
            ("json-schema:///".to_string(), dir),
        ],
        origin: args.schema.display().to_string(),
    };
    let model = Model::load(&args.schema, &options)?;
    let mut invalid = 0usize;
    let mut records = Vec::new();
    for input in &args.inputs {
        let name = input.display().to_string();
        let (bytes, value) = read_input(input)?;
        // A repeated member name is a violation of its own: a reader that
        // keeps the first value would see one the model never checked.
        let duplicate = match args.duplicate_keys {
            DuplicateKeysArg::Reject => find_duplicate(&bytes),
            DuplicateKeysArg::Last => None,
        };
        let violations = match duplicate {
            Some(duplicate) => vec![duplicate.violation()],
            None => model.violations(&value),
        };
        if !violations.is_empty() {
            invalid += 1;
        }
        if out.json {
            records.push(json!({
                "input": name,
                "valid": violations.is_empty(),
                "violations": violations
                    .iter()
                    .map(|v| json!({"pointer": v.pointer, "message": v.message}))
                    .collect::<Vec<_>>(),
            }));
            continue;
        }
        if violations.is_empty() {
            out.line(&format!("{name}: {}", out.paint("32", "valid")));
        } else {
            out.line(&format!(
                "{name}: {} ({} violation(s))",
                out.paint("1;31", "invalid"),
                violations.len()
            ));
            for v in &violations {
                let pointer = if v.pointer.is_empty() {
                    "/"
                } else {
                    &v.pointer
                };
                out.line(&format!("  {}: {}", out.bold(pointer), v.message));
            }
        }
    }
    if out.json {
        out.json(&records);
    } else if args.inputs.len() > 1 {
        out.note(&format!(
            "{invalid} of {} input(s) invalid",
            args.inputs.len()
        ));
    }
    Ok(if invalid > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
