//! CPE 2.3 formatted strings (`cpe:2.3:a:vendor:product:version:...`) and
//! name matching as NVD applies it: each attribute is ANY (`*`), NA (`-`) or
//! a value, values may carry the wildcards `*` and `?`, and `\` escapes a
//! character. Two names match unless some attribute is disjoint.

use crate::error::{Error, Location, Result};

/// The 11 attributes after `cpe:2.3:`.
const ATTRIBUTES: usize = 11;
/// Longest CPE string read; real ones stay far below.
const MAX_CPE_LEN: usize = 2048;

/// One attribute of a CPE name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CpeValue {
    /// `*`: any value.
    Any,
    /// `-`: not applicable.
    Na,
    /// A value, lowercased, escapes removed. `pattern` tells that unescaped
    /// `*` / `?` in it are wildcards (kept as `\u{1}` / `\u{2}`).
    Value { text: String, pattern: bool },
}

/// A parsed CPE 2.3 name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cpe {
    /// part, vendor, product, version, update, edition, language, sw_edition,
    /// target_sw, target_hw, other.
    pub attributes: Vec<CpeValue>,
}

const STAR: char = '\u{1}';
const QUESTION: char = '\u{2}';

impl Cpe {
    /// Parses a formatted string; fewer than 11 attributes are padded with ANY
    /// (so `cpe:2.3:a:python:python` is accepted), more is an error.
    pub fn parse(text: &str) -> Result<Cpe> {
        let err = |message: String| Error::invalid(Location::new("CPE"), message);
        if text.len() > MAX_CPE_LEN {
            return Err(err(format!("longer than {MAX_CPE_LEN} bytes")));
        }
        let rest = text
            .strip_prefix("cpe:2.3:")
            .or_else(|| text.strip_prefix("CPE:2.3:"))
            .ok_or_else(|| err(format!("{text:?} does not start with cpe:2.3:")))?;
        let mut attributes = Vec::with_capacity(ATTRIBUTES);
        let mut current = String::new();
        let mut pattern = false;
        let mut escaped = false;
        let mut push = |current: &mut String, pattern: &mut bool| {
            let value = match current.as_str() {
                "\u{1}" | "" => CpeValue::Any,
                "-" => CpeValue::Na,
                _ => CpeValue::Value {
                    text: std::mem::take(current),
                    pattern: *pattern,
                },
            };
            current.clear();
            *pattern = false;
            attributes.push(value);
        };
        for c in rest.chars() {
            if escaped {
                current.extend(c.to_lowercase());
                escaped = false;
                continue;
            }
            match c {
                '\\' => escaped = true,
                ':' => push(&mut current, &mut pattern),
                '*' => {
                    current.push(STAR);
                    pattern = true;
                }
                '?' => {
                    current.push(QUESTION);
                    pattern = true;
                }
                c => current.extend(c.to_lowercase()),
            }
        }
        if escaped {
            return Err(err(format!("{text:?} ends with a lone backslash")));
        }
        push(&mut current, &mut pattern);
        if attributes.len() > ATTRIBUTES {
            return Err(err(format!(
                "{text:?} has {} attributes; CPE 2.3 has {ATTRIBUTES}",
                attributes.len()
            )));
        }
        attributes.resize(ATTRIBUTES, CpeValue::Any);
        Ok(Cpe { attributes })
    }

    pub fn vendor(&self) -> Option<&str> {
        self.value(1)
    }

    pub fn product(&self) -> Option<&str> {
        self.value(2)
    }

    /// The version attribute, when it is a plain value (no wildcard).
    pub fn version(&self) -> Option<&str> {
        self.value(3)
    }

    fn value(&self, index: usize) -> Option<&str> {
        match &self.attributes[index] {
            CpeValue::Value {
                text,
                pattern: false,
            } => Some(text),
            _ => None,
        }
    }

    /// Whether the two names can denote the same product: no attribute is
    /// disjoint. The version attribute is left out when `skip_version` (the
    /// caller compares versions by range instead).
    pub fn matches(&self, other: &Cpe, skip_version: bool) -> bool {
        self.attributes
            .iter()
            .zip(&other.attributes)
            .enumerate()
            .all(|(i, (a, b))| (skip_version && i == 3) || !disjoint(a, b))
    }
}

/// Whether a CPE attribute of a query admits the plain name `name`.
pub(crate) fn value_matches(query: &CpeValue, name: &str) -> bool {
    !disjoint(
        query,
        &CpeValue::Value {
            text: name.to_string(),
            pattern: false,
        },
    )
}

fn disjoint(a: &CpeValue, b: &CpeValue) -> bool {
    match (a, b) {
        (CpeValue::Any, _) | (_, CpeValue::Any) => false,
        (CpeValue::Na, CpeValue::Na) => false,
        (CpeValue::Na, _) | (_, CpeValue::Na) => true,
        (
            CpeValue::Value {
                text: x,
                pattern: px,
            },
            CpeValue::Value {
                text: y,
                pattern: py,
            },
        ) => match (px, py) {
            (false, false) => x != y,
            (true, false) => !wildcard(x, y),
            (false, true) => !wildcard(y, x),
            // Two patterns: only equal ones are known to overlap.
            (true, true) => x != y,
        },
    }
}

/// Matches `text` against a pattern of literal characters, STAR (any run)
/// and QUESTION (one character), iteratively so no input can blow the stack.
fn wildcard(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut i, mut j) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while j < t.len() {
        if i < p.len() && (p[i] == QUESTION || p[i] == t[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == STAR {
            star = Some((i, j));
            i += 1;
        } else if let Some((si, sj)) = star {
            i = si + 1;
            j = sj + 1;
            star = Some((si, sj + 1));
        } else {
            return false;
        }
    }
    p[i..].iter().all(|&c| c == STAR)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cpe(text: &str) -> Cpe {
        Cpe::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn attributes_are_read_with_escapes_and_wildcards() {
        let c = cpe(r"cpe:2.3:a:microsoft:internet_explorer:8.0.6001:beta:*:*:*:*:*:*");
        assert_eq!(c.vendor(), Some("microsoft"));
        assert_eq!(c.product(), Some("internet_explorer"));
        assert_eq!(c.version(), Some("8.0.6001"));
        let escaped =
            cpe(r"cpe:2.3:a:hp:insight_diagnostics:7.4.0.1570:-:*:*:online:win2003\:x64:*:*");
        assert_eq!(escaped.attributes[4], CpeValue::Na);
        assert_eq!(
            escaped.attributes[8],
            CpeValue::Value {
                text: "win2003:x64".into(),
                pattern: false
            }
        );
        assert_eq!(cpe("cpe:2.3:a:Python:Python").attributes[10], CpeValue::Any);
        assert!(Cpe::parse("cpe:/a:python:python").is_err());
        assert!(Cpe::parse("cpe:2.3:a:b:c:d:e:f:g:h:i:j:k:l").is_err());
        assert!(Cpe::parse("cpe:2.3:a:b\\").is_err());
    }

    #[test]
    fn names_match_unless_an_attribute_is_disjoint() {
        let criteria = cpe("cpe:2.3:a:apache:http_server:*:*:*:*:*:*:*:*");
        assert!(cpe("cpe:2.3:a:apache:http_server:2.4.49:*:*:*:*:*:*:*").matches(&criteria, false));
        assert!(!cpe("cpe:2.3:a:apache:tomcat:9.0.1:*:*:*:*:*:*:*").matches(&criteria, false));
        assert!(!cpe("cpe:2.3:o:apache:http_server:*:*:*:*:*:*:*:*").matches(&criteria, false));
        let exact = cpe("cpe:2.3:a:apache:http_server:2.4.49:-:*:*:*:*:*:*");
        assert!(!cpe("cpe:2.3:a:apache:http_server:2.4.50:*:*:*:*:*:*:*").matches(&exact, false));
        assert!(cpe("cpe:2.3:a:apache:http_server:2.4.50:*:*:*:*:*:*:*").matches(&exact, true));
        assert!(
            !cpe("cpe:2.3:a:apache:http_server:2.4.49:beta:*:*:*:*:*:*").matches(&exact, false)
        );
        let pattern = cpe("cpe:2.3:a:apache:http_serv*:2.4.?9:*:*:*:*:*:*:*");
        assert!(cpe("cpe:2.3:a:apache:http_server:2.4.49").matches(&pattern, false));
        assert!(!cpe("cpe:2.3:a:apache:http_server:2.4.50").matches(&pattern, false));
    }

    #[test]
    fn wildcards_never_backtrack_without_bound() {
        let long = "a".repeat(2000);
        let pattern = format!("{}{}b", STAR, "\u{1}a".repeat(20));
        assert!(!wildcard(&pattern, &long));
    }
}
