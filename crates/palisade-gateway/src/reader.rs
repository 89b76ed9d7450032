//! Reading configuration documents: bounded file reads, a walker that
//! collects every problem with its JSON pointer instead of stopping at the
//! first, and `${VAR:-default}` substitution.

use std::path::Path;

use serde_json::{Map, Value};

use crate::error::{Error, Problem};

/// The largest configuration or OpenAPI file read.
pub const MAX_CONFIG_BYTES: u64 = 4 << 20;

pub(crate) fn read_limited(path: &Path) -> Result<String, Error> {
    use std::io::Read;
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(MAX_CONFIG_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        return Err(Error::TooLarge {
            origin: path.display().to_string(),
            limit: MAX_CONFIG_BYTES,
        });
    }
    String::from_utf8(bytes).map_err(|e| Error::Syntax {
        origin: path.display().to_string(),
        line: 0,
        column: 0,
        message: format!("not UTF-8 (byte {})", e.utf8_error().valid_up_to()),
    })
}

/// A YAML (or JSON) document; a syntax error names the file, line and column.
pub(crate) fn parse_yaml(text: &str, origin: &str) -> Result<Value, Error> {
    serde_yaml_ng::from_str(text).map_err(|e| Error::Syntax {
        origin: origin.to_string(),
        line: e.location().map_or(0, |l| l.line()),
        column: e.location().map_or(0, |l| l.column()),
        message: e.to_string(),
    })
}

/// Collects problems while walking a document.
pub(crate) struct Reader {
    origin: String,
    pub(crate) problems: Vec<Problem>,
}

/// A JSON pointer token: `/` and `~` escaped.
pub(crate) fn token(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

impl Reader {
    pub(crate) fn new(origin: &str) -> Reader {
        Reader {
            origin: origin.to_string(),
            problems: Vec::new(),
        }
    }

    pub(crate) fn problem(&mut self, pointer: &str, message: impl Into<String>) {
        self.problems.push(Problem {
            origin: self.origin.clone(),
            pointer: pointer.to_string(),
            message: message.into(),
        });
    }

    /// An object whose keys are all in `known` (`None`: any key).
    pub(crate) fn object<'v>(
        &mut self,
        value: &'v Value,
        pointer: &str,
        known: Option<&[&str]>,
    ) -> Option<&'v Map<String, Value>> {
        let Some(map) = value.as_object() else {
            self.problem(
                pointer,
                format!("expected a mapping, found {}", kind(value)),
            );
            return None;
        };
        if let Some(known) = known {
            for key in map.keys() {
                if !known.contains(&key.as_str()) {
                    self.problem(
                        &format!("{pointer}/{}", token(key)),
                        format!("unknown field {key:?} (known: {})", known.join(", ")),
                    );
                }
            }
        }
        Some(map)
    }

    pub(crate) fn string<'v>(&mut self, value: &'v Value, pointer: &str) -> Option<&'v str> {
        let found = value.as_str();
        if found.is_none() {
            self.problem(pointer, format!("expected a string, found {}", kind(value)));
        }
        found
    }

    pub(crate) fn boolean(&mut self, value: &Value, pointer: &str) -> Option<bool> {
        let found = value.as_bool();
        if found.is_none() {
            self.problem(
                pointer,
                format!("expected true or false, found {}", kind(value)),
            );
        }
        found
    }

    /// A non-negative integer; a string holding one is accepted, since
    /// `${VAR}` substitution produces strings.
    pub(crate) fn number(&mut self, value: &Value, pointer: &str) -> Option<u64> {
        let found = value
            .as_u64()
            .or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()));
        if found.is_none() {
            self.problem(
                pointer,
                format!("expected a whole number, found {}", kind(value)),
            );
        }
        found
    }

    pub(crate) fn strings(&mut self, value: &Value, pointer: &str) -> Vec<String> {
        let Some(items) = value.as_array() else {
            self.problem(pointer, format!("expected a list, found {}", kind(value)));
            return Vec::new();
        };
        items
            .iter()
            .enumerate()
            .filter_map(|(i, v)| {
                self.string(v, &format!("{pointer}/{i}"))
                    .map(str::to_string)
            })
            .collect()
    }
}

pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// Replaces `${VAR}` and `${VAR:-default}` in every string. `$$` stands for
/// a literal `$`. Substitution happens after parsing, so a variable's value
/// cannot change the document's structure.
pub(crate) fn substitute_env(
    value: &mut Value,
    pointer: &str,
    env: &dyn Fn(&str) -> Option<String>,
    reader: &mut Reader,
) {
    match value {
        Value::String(text) if text.contains('$') => match expand(text, env) {
            Ok(expanded) => *text = expanded,
            Err(message) => reader.problem(pointer, message),
        },
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                substitute_env(item, &format!("{pointer}/{i}"), env, reader);
            }
        }
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                substitute_env(item, &format!("{pointer}/{}", token(key)), env, reader);
            }
        }
        _ => {}
    }
}

fn expand(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        if let Some(after) = rest.strip_prefix("$$") {
            out.push('$');
            rest = after;
            continue;
        }
        let Some(body) = rest.strip_prefix("${") else {
            out.push('$');
            rest = &rest[1..];
            continue;
        };
        let Some(end) = body.find('}') else {
            return Err(format!("unclosed ${{ in {text:?}"));
        };
        let inner = &body[..end];
        let (name, default) = match inner.split_once(":-") {
            Some((name, default)) => (name, Some(default)),
            None => (inner, None),
        };
        let valid =
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !valid {
            return Err(format!("{inner:?} is not an environment variable name"));
        }
        match env(name)
            .filter(|v| !v.is_empty())
            .or(default.map(str::to_string))
        {
            Some(v) => out.push_str(&v),
            None => {
                return Err(format!(
                    "environment variable {name} is not set and has no default"
                ));
            }
        }
        rest = &body[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        (name == "PORT").then(|| "9000".to_string())
    }

    #[test]
    fn variables_expand_with_defaults_and_escapes() {
        assert_eq!(
            expand("127.0.0.1:${PORT}", &env).as_deref(),
            Ok("127.0.0.1:9000")
        );
        assert_eq!(
            expand("${HOST:-localhost}:${PORT:-1}", &env).as_deref(),
            Ok("localhost:9000")
        );
        assert_eq!(
            expand("$$PORT costs $5", &env).as_deref(),
            Ok("$PORT costs $5")
        );
        assert!(expand("${MISSING}", &env).is_err());
        assert!(expand("${PORT", &env).is_err());
        assert!(expand("${a-b}", &env).is_err());
    }
}
