//! Reading a JSON document the way the model judges it, and finding member
//! names that appear twice in one object.
//!
//! RFC 8259 leaves a repeated name's meaning to the reader: serde_json (and
//! API Gateway) keep the last value, many backends keep the first. A body
//! validated by its last value and read by its first carries data nobody
//! checked, so repeated names are refused unless a configuration opts into
//! API Gateway's looser reading.

use std::borrow::Cow;
use std::collections::HashSet;

use serde_json::Value;

use crate::model::Violation;

/// What a document with a repeated member name gets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DuplicateKeys {
    /// Refused as an invalid body: the safe default.
    #[default]
    Reject,
    /// The last value is the one validated (API Gateway's behaviour). The
    /// original bytes still go to the backend, so a backend that keeps the
    /// first value reads one nobody checked.
    Last,
}

impl DuplicateKeys {
    /// Reads a configuration word: `reject` or `last`.
    pub fn parse(text: &str) -> Option<DuplicateKeys> {
        match text {
            "reject" => Some(DuplicateKeys::Reject),
            "last" => Some(DuplicateKeys::Last),
            _ => None,
        }
    }
}

/// A member name found twice in one object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Duplicate {
    /// JSON pointer to the repeated member.
    pub pointer: String,
    pub name: String,
}

impl Duplicate {
    pub fn violation(&self) -> Violation {
        Violation {
            pointer: self.pointer.clone(),
            message: format!("member name \"{}\" appears more than once", self.name),
        }
    }
}

/// Parses `text` as one JSON document; with [`DuplicateKeys::Reject`] a
/// repeated member name anywhere in it is an error (naming the member).
/// Errors are the violation to report.
pub fn parse_document(text: &[u8], duplicates: DuplicateKeys) -> Result<Value, Violation> {
    let value: Value = serde_json::from_slice(text).map_err(|e| Violation {
        pointer: String::new(),
        message: format!("not valid JSON: {e}"),
    })?;
    if duplicates == DuplicateKeys::Reject
        && let Some(duplicate) = find_duplicate(text)
    {
        return Err(duplicate.violation());
    }
    Ok(value)
}

/// Objects with more names than this are checked through a hash set.
const LINEAR_NAMES: usize = 16;

/// The names seen so far in one open object.
enum Names<'a> {
    Few(Vec<Cow<'a, str>>),
    Many(HashSet<Cow<'a, str>>),
}

impl<'a> Names<'a> {
    /// Adds `name`; false when it was there already.
    fn insert(&mut self, name: Cow<'a, str>) -> bool {
        match self {
            Names::Few(list) => {
                if list.contains(&name) {
                    return false;
                }
                if list.len() < LINEAR_NAMES {
                    list.push(name);
                } else {
                    let mut set: HashSet<Cow<'a, str>> = list.drain(..).collect();
                    set.insert(name);
                    *self = Names::Many(set);
                }
                true
            }
            Names::Many(set) => set.insert(name),
        }
    }
}

/// Where the scanner is inside one open object or array.
enum Frame<'a> {
    Object {
        names: Names<'a>,
        /// The member whose value comes next (or came last).
        current: Option<Cow<'a, str>>,
        expect_name: bool,
    },
    Array {
        index: usize,
    },
}

/// The first member name repeated within one object of the JSON text
/// `text`, in document order. Meant for text serde_json has read: on
/// malformed text it stops without a verdict (`None`), never panics.
/// Nesting is bounded by the text (serde_json refused deeper than 128).
pub fn find_duplicate(text: &[u8]) -> Option<Duplicate> {
    let mut stack: Vec<Frame<'_>> = Vec::new();
    let mut at = 0;
    while let Some(&byte) = text.get(at) {
        match byte {
            b'{' => stack.push(Frame::Object {
                names: Names::Few(Vec::new()),
                current: None,
                expect_name: true,
            }),
            b'[' => stack.push(Frame::Array { index: 0 }),
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Frame::Array { index }) => *index += 1,
                Some(Frame::Object { expect_name, .. }) => *expect_name = true,
                None => return None,
            },
            b'"' => {
                let end = string_end(text, at)?;
                if let Some(Frame::Object {
                    names,
                    current,
                    expect_name: expect @ true,
                }) = stack.last_mut()
                {
                    *expect = false;
                    let name = decode(&text[at..=end])?;
                    if !names.insert(name.clone()) {
                        *current = Some(name);
                        return Some(Duplicate {
                            pointer: pointer(&stack),
                            name: current_name(&stack),
                        });
                    }
                    *current = Some(name);
                }
                at = end;
            }
            _ => {}
        }
        at += 1;
    }
    None
}

/// The index of the quote closing the string that opens at `start`.
fn string_end(text: &[u8], start: usize) -> Option<usize> {
    let mut at = start + 1;
    loop {
        let offset = memchr::memchr2(b'"', b'\\', text.get(at..)?)?;
        at += offset;
        if text[at] == b'"' {
            return Some(at);
        }
        at += 2;
    }
}

/// A quoted string's text, escapes decoded only when there are any.
fn decode(quoted: &[u8]) -> Option<Cow<'_, str>> {
    let inner = quoted.get(1..quoted.len().saturating_sub(1))?;
    if !inner.contains(&b'\\') {
        return std::str::from_utf8(inner).ok().map(Cow::Borrowed);
    }
    serde_json::from_slice::<String>(quoted)
        .ok()
        .map(Cow::Owned)
}

fn current_name(stack: &[Frame<'_>]) -> String {
    match stack.last() {
        Some(Frame::Object {
            current: Some(name),
            ..
        }) => name.to_string(),
        _ => String::new(),
    }
}

/// The JSON pointer of the value the innermost frame is at.
fn pointer(stack: &[Frame<'_>]) -> String {
    let mut out = String::new();
    for frame in stack {
        out.push('/');
        match frame {
            Frame::Object { current, .. } => {
                for c in current.as_deref().unwrap_or_default().chars() {
                    match c {
                        '~' => out.push_str("~0"),
                        '/' => out.push_str("~1"),
                        c => out.push(c),
                    }
                }
            }
            Frame::Array { index } => out.push_str(&index.to_string()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Option<(String, String)> {
        find_duplicate(text.as_bytes()).map(|d| (d.pointer, d.name))
    }

    #[test]
    fn finds_repeated_names_at_any_depth() {
        assert_eq!(
            found(r#"{"cape":"2); DROP TABLE Cape;--","cape":"4"}"#),
            Some(("/cape".into(), "cape".into()))
        );
        assert_eq!(
            found(r#"{"a":[{"x":1},{"x":1,"y":{"z":1,"z":2}}]}"#),
            Some(("/a/1/y/z".into(), "z".into()))
        );
        // The same name written with an escape is the same name.
        assert_eq!(
            found(r#"{"cape":1,"c\u0061pe":2}"#),
            Some(("/cape".into(), "cape".into()))
        );
        assert_eq!(
            found(r#"{"a/b~":{"q":1,"q":2}}"#),
            Some(("/a~1b~0/q".into(), "q".into()))
        );
    }

    #[test]
    fn names_in_different_objects_and_string_values_are_not_repeats() {
        assert_eq!(found(r#"{"a":{"x":1},"b":{"x":1},"x":"x"}"#), None);
        assert_eq!(found(r#"{"a":"\"a\":","b":["a","a"]}"#), None);
        assert_eq!(found(r#"[{"k":1},{"k":1}]"#), None);
        assert_eq!(found(r#""{\"a\":1,\"a\":2}""#), None);
    }

    #[test]
    fn large_objects_switch_to_a_set() {
        let mut text = String::from("{");
        for i in 0..100 {
            text.push_str(&format!("\"k{i}\":{i},"));
        }
        text.push_str("\"k57\":0}");
        assert_eq!(found(&text), Some(("/k57".into(), "k57".into())));
        assert_eq!(found(&text.replace("\"k57\":0", "\"k100\":0")), None);
    }

    #[test]
    fn malformed_text_gives_no_verdict_and_no_panic() {
        for text in ["{\"a", "{\"a\\", "}}]]", ",", "{\"a\":1,\"a", "\"\\"] {
            let _ = find_duplicate(text.as_bytes());
        }
        assert_eq!(found("{\"a\":1,\"a"), None);
    }

    #[test]
    fn parse_document_follows_the_setting() {
        let text = br#"{"cape":"x","cape":"4"}"#;
        let refused = parse_document(text, DuplicateKeys::Reject).expect_err("refused");
        assert_eq!(refused.pointer, "/cape");
        assert_eq!(
            refused.message,
            "member name \"cape\" appears more than once"
        );
        let last = parse_document(text, DuplicateKeys::Last).expect("read");
        assert_eq!(last["cape"], "4");
    }
}
