//! Models: JSON Schema documents compiled once, checked many times.

use std::io::Read;
use std::path::{Component, Path, PathBuf};

use jsonschema::{PatternOptions, Retrieve, Uri};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::shortcut::Shortcut;

/// The largest model or input file read.
pub const MAX_MODEL_BYTES: u64 = 4 << 20;

/// The JSON Schema dialects a model can be written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Draft {
    /// API Gateway's dialect, and the default when `$schema` is absent.
    Draft4,
    Draft6,
    Draft7,
    Draft201909,
    Draft202012,
}

impl Draft {
    /// `4`, `7`, `2020-12` (as `--draft` takes them).
    pub fn parse(text: &str) -> Option<Draft> {
        Some(match text.trim().trim_start_matches("draft") {
            "4" | "04" => Draft::Draft4,
            "6" | "06" => Draft::Draft6,
            "7" | "07" => Draft::Draft7,
            "2019-09" => Draft::Draft201909,
            "2020-12" => Draft::Draft202012,
            _ => return None,
        })
    }

    /// The draft a schema's `$schema` names, if it names a known one.
    pub fn of_schema(schema: &Value) -> Option<Draft> {
        let uri = schema.get("$schema")?.as_str()?;
        let uri = uri.trim_end_matches('#').trim_end_matches('/');
        [
            ("draft-04/schema", Draft::Draft4),
            ("draft-06/schema", Draft::Draft6),
            ("draft-07/schema", Draft::Draft7),
            ("draft/2019-09/schema", Draft::Draft201909),
            ("draft/2020-12/schema", Draft::Draft202012),
        ]
        .into_iter()
        .find_map(|(tail, draft)| uri.ends_with(tail).then_some(draft))
    }

    fn engine(self) -> jsonschema::Draft {
        match self {
            Draft::Draft4 => jsonschema::Draft::Draft4,
            Draft::Draft6 => jsonschema::Draft::Draft6,
            Draft::Draft7 => jsonschema::Draft::Draft7,
            Draft::Draft201909 => jsonschema::Draft::Draft201909,
            Draft::Draft202012 => jsonschema::Draft::Draft202012,
        }
    }
}

/// How models are compiled.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The draft of models whose `$schema` does not name one (default:
    /// draft 4). A model that names its draft is read in it.
    pub draft: Option<Draft>,
    /// Offline resolution of `$ref`s to other documents: a URL prefix and the
    /// directory holding the files below it. Any other remote reference is an
    /// error; nothing is downloaded.
    pub local_refs: Vec<(String, PathBuf)>,
    /// What the model is called in errors (its file, usually).
    pub origin: String,
}

/// One way an instance breaks its model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// JSON pointer to the offending value (`""` for the whole document).
    pub pointer: String,
    pub message: String,
}

/// A compiled model.
pub struct Model {
    validator: jsonschema::Validator,
    draft: Draft,
    shortcut: Option<Shortcut>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model").field("draft", &self.draft).finish()
    }
}

/// Serves `$ref`s below the configured URL prefixes from local files.
struct LocalRefs(Vec<(String, PathBuf)>);

impl Retrieve for LocalRefs {
    fn retrieve(
        &self,
        uri: &Uri<String>,
    ) -> std::result::Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let uri = uri.as_str();
        for (prefix, dir) in &self.0 {
            let Some(rest) = uri.strip_prefix(prefix.as_str()) else {
                continue;
            };
            let rest = rest.split(['#', '?']).next().unwrap_or("");
            let relative = Path::new(rest.trim_start_matches('/'));
            // A reference never leaves its directory.
            if relative
                .components()
                .any(|c| !matches!(c, Component::Normal(_)))
            {
                return Err(format!("{uri}: reference leaves {}", dir.display()).into());
            }
            let path = dir.join(relative);
            return read_json(&path).map_err(|e| e.to_string().into());
        }
        Err(
            format!("{uri}: remote references are not fetched (map it to a local directory)")
                .into(),
        )
    }
}

impl Model {
    /// Compiles `schema`; an invalid schema is an error naming `options.origin`.
    pub fn compile(schema: &Value, options: &Options) -> Result<Model> {
        let declared = Draft::of_schema(schema);
        let draft = declared.or(options.draft).unwrap_or(Draft::Draft4);
        let mut builder = jsonschema::options();
        if declared.is_some() || schema.get("$schema").is_none() {
            builder = builder.with_draft(draft.engine());
        }
        // Otherwise `$schema` names a meta-schema of its own: the engine
        // reads the dialect from it.
        let builder = builder
            .with_pattern_options(PatternOptions::regex())
            .should_validate_formats(false)
            .with_retriever(LocalRefs(options.local_refs.clone()));
        let validator = builder.build(schema).map_err(|e| Error::Schema {
            origin: options.origin.clone(),
            message: e.to_string(),
        })?;
        // The shortcut's subschemas are read in the model's draft, which
        // is only known here when the model names a known one or none.
        let shortcut = if declared.is_some() || schema.get("$schema").is_none() {
            Shortcut::for_schema(schema, |subschema| builder.build(subschema).ok())
        } else {
            None
        };
        Ok(Model {
            validator,
            draft,
            shortcut,
        })
    }

    /// Reads and compiles the model in `path`. Relative `$ref`s to other
    /// files resolve against the model's directory.
    pub fn load(path: &Path, options: &Options) -> Result<Model> {
        let schema = read_json(path)?;
        let mut options = options.clone();
        if options.origin.is_empty() {
            options.origin = path.display().to_string();
        }
        Model::compile(&schema, &options)
    }

    /// The draft the model was read in.
    pub fn draft(&self) -> Draft {
        self.draft
    }

    pub fn is_valid(&self, instance: &Value) -> bool {
        self.validator.is_valid(instance)
    }

    /// True when the JSON text `body` is certainly a valid instance that
    /// repeats no member name, found without building the document (for the
    /// commonest model shape; see `shortcut.rs`). False means "not certain":
    /// parse the body and ask [`Model::is_valid`].
    pub fn accepts_json(&self, body: &[u8]) -> bool {
        self.shortcut.as_ref().is_some_and(|s| s.accepts(body))
    }

    /// Whether [`Model::accepts_json`] can ever say yes for this model.
    pub fn has_shortcut(&self) -> bool {
        self.shortcut.is_some()
    }

    /// Every violation, in the order the validator finds them.
    pub fn violations(&self, instance: &Value) -> Vec<Violation> {
        self.validator
            .iter_errors(instance)
            .map(|e| Violation {
                pointer: e.instance_path().as_str().to_string(),
                message: e.to_string(),
            })
            .collect()
    }
}

/// Reads a JSON document of at most [`MAX_MODEL_BYTES`]; errors name the file
/// and the line and column. Nesting deeper than serde_json's limit (128) is
/// an error, not a crash.
pub fn read_json(path: &Path) -> Result<Value> {
    let origin = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut bytes = Vec::new();
    file.take(MAX_MODEL_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
    if bytes.len() as u64 > MAX_MODEL_BYTES {
        return Err(Error::TooLarge {
            origin,
            limit: MAX_MODEL_BYTES,
        });
    }
    serde_json::from_slice(&bytes).map_err(|e| Error::Json {
        origin,
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_draft_comes_from_the_option_then_schema_then_draft_4() {
        let seven = json!({"$schema": "http://json-schema.org/draft-07/schema#", "const": 1});
        let model = Model::compile(&seven, &Options::default()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(model.draft(), Draft::Draft7);
        assert!(!model.is_valid(&json!(2)));
        let plain = json!({"type": "string"});
        let model = Model::compile(&plain, &Options::default()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(model.draft(), Draft::Draft4);
        // Draft 4 has no `const`: without `$schema` it is ignored, unless the
        // default draft is a later one.
        let unmarked = json!({"const": 1});
        let model =
            Model::compile(&unmarked, &Options::default()).unwrap_or_else(|e| panic!("{e}"));
        assert!(model.is_valid(&json!(2)));
        let seven_by_default = Options {
            draft: Some(Draft::Draft7),
            ..Options::default()
        };
        let model = Model::compile(&unmarked, &seven_by_default).unwrap_or_else(|e| panic!("{e}"));
        assert!(!model.is_valid(&json!(2)));
        let model = Model::compile(&seven, &seven_by_default).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(model.draft(), Draft::Draft7);
        assert_eq!(Draft::parse("2020-12"), Some(Draft::Draft202012));
        assert_eq!(Draft::parse("3"), None);
    }

    #[test]
    fn violations_point_at_the_offending_value() {
        let model = Model::compile(
            &json!({"type": "object", "properties": {"cape": {"type": "string", "pattern": "^[0-9]+$"}}}),
            &Options::default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let found = model.violations(&json!({"cape": "2); INSERT INTO Cape"}));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].pointer, "/cape");
        assert!(
            found[0].message.contains("^[0-9]+$"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn a_backtracking_pattern_is_refused_or_linear_never_exponential() {
        // Look-around needs a backtracking engine; the linear one refuses it.
        let lookahead = json!({"pattern": "^(?=a)a$"});
        let err = Model::compile(&lookahead, &Options::default());
        assert!(matches!(err, Err(Error::Schema { .. })), "{err:?}");
        // The classic ReDoS pattern runs in linear time on a hostile input.
        let model = Model::compile(&json!({"pattern": "^(a+)+$"}), &Options::default())
            .unwrap_or_else(|e| panic!("{e}"));
        let hostile = format!("{}!", "a".repeat(100_000));
        assert!(!model.is_valid(&json!(hostile)));
    }

    #[test]
    fn remote_references_resolve_only_from_mapped_directories() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let dir = tmp.path().to_path_buf();
        std::fs::write(dir.join("name.json"), r#"{"type": "string"}"#)
            .unwrap_or_else(|e| panic!("{e}"));
        let schema = json!({"properties": {"name": {"$ref": "http://models.local/name.json"}}});
        let mapped = Options {
            local_refs: vec![("http://models.local/".into(), dir)],
            ..Options::default()
        };
        let model = Model::compile(&schema, &mapped).unwrap_or_else(|e| panic!("{e}"));
        assert!(!model.is_valid(&json!({"name": 3})));
        assert!(Model::compile(&schema, &Options::default()).is_err());
        let escape = json!({"$ref": "http://models.local/../secret.json"});
        assert!(Model::compile(&escape, &mapped).is_err());
    }

    #[test]
    fn unreadable_files_are_errors_with_their_position() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let dir = tmp.path();
        let path = dir.join("bad.json");
        std::fs::write(&path, "{\n  \"type\": \n}").unwrap_or_else(|e| panic!("{e}"));
        match read_json(&path) {
            Err(Error::Json { line, .. }) => assert_eq!(line, 3),
            other => panic!("{other:?}"),
        }
        let deep = dir.join("deep.json");
        std::fs::write(&deep, "[".repeat(100_000)).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(read_json(&deep), Err(Error::Json { .. })));
    }
}
