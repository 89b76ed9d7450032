//! A faster yes for the commonest model shape: an object with `properties`,
//! `required` and perhaps `additionalProperties: false` at its root (what
//! API Gateway models almost always are).
//!
//! Building a `serde_json::Value` tree for every request body costs more
//! than validating it. For a model of that shape the body is read as a
//! stream instead: each property's value is checked by the property's own
//! subschema, compiled by the same engine, and `required` and
//! `additionalProperties` are checked from the keys seen. The shortcut only
//! ever answers "valid"; anything else — an invalid value, a missing key, a
//! member name repeated anywhere in the body, a body that is not an object, malformed JSON — is left
//! to the whole-document validator, which gives the verdict and the
//! violations. So the shortcut can make validation faster but never more
//! lenient: a model it cannot prove equivalent for is not given one.

use std::fmt;

use serde::Deserialize;
use serde::Deserializer as _;
use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// Keywords that may sit at the root of a model given a shortcut: the
/// structural three it checks, `type: object`, and ones that never affect
/// validation when no `$ref` can reach them.
const ROOT_KEYWORDS: &[&str] = &[
    "type",
    "properties",
    "required",
    "additionalProperties",
    "$schema",
    "id",
    "$id",
    "title",
    "description",
    "$comment",
    "examples",
    "default",
    "definitions",
    "$defs",
];

/// Keys that tie a subschema to its place in the document: a property
/// schema holding one of them is not compiled on its own.
const CONTEXT_KEYWORDS: &[&str] = &[
    "$ref",
    "$dynamicRef",
    "$recursiveRef",
    "$schema",
    "$dynamicAnchor",
    "$recursiveAnchor",
];

/// The most properties a shortcut tracks (one bit each).
const MAX_PROPERTIES: usize = 64;

pub(crate) struct Shortcut {
    properties: Vec<Property>,
    /// Bit `i` set when `properties[i]` is required.
    required: u64,
    /// `additionalProperties: false`.
    closed: bool,
}

struct Property {
    name: String,
    /// `None` for a name only `required` mentions: any value will do.
    validator: Option<jsonschema::Validator>,
}

impl Shortcut {
    /// The shortcut for `schema`, when its shape allows one; `compile`
    /// compiles a property's subschema with the model's own options.
    pub(crate) fn for_schema(
        schema: &Value,
        compile: impl Fn(&Value) -> Option<jsonschema::Validator>,
    ) -> Option<Shortcut> {
        let root = schema.as_object()?;
        if root.keys().any(|k| !ROOT_KEYWORDS.contains(&k.as_str())) {
            return None;
        }
        match root.get("type") {
            None => {}
            Some(Value::String(t)) if t == "object" => {}
            Some(_) => return None,
        }
        let closed = match root.get("additionalProperties") {
            None | Some(Value::Bool(true)) => false,
            Some(Value::Bool(false)) => true,
            Some(_) => return None,
        };
        let empty = Map::new();
        let declared = match root.get("properties") {
            None => &empty,
            Some(Value::Object(p)) => p,
            Some(_) => return None,
        };
        let mut properties = Vec::with_capacity(declared.len());
        for (name, subschema) in declared {
            if !subschema.is_object() || has_context_keyword(subschema) {
                return None;
            }
            properties.push(Property {
                name: name.clone(),
                validator: Some(compile(subschema)?),
            });
        }
        let names: &[Value] = match root.get("required") {
            None => &[],
            Some(Value::Array(names)) => names,
            Some(_) => return None,
        };
        let mut required = Vec::with_capacity(names.len());
        for name in names {
            let name = name.as_str()?;
            match properties.iter().position(|p| p.name == name) {
                Some(i) => required.push(i),
                // Required yet refused as an additional property: no
                // instance is valid, and none is accepted here.
                None if closed => return None,
                None => {
                    required.push(properties.len());
                    properties.push(Property {
                        name: name.to_string(),
                        validator: None,
                    });
                }
            }
        }
        if properties.len() > MAX_PROPERTIES {
            return None;
        }
        let required = required.into_iter().fold(0u64, |bits, i| bits | 1 << i);
        Some(Shortcut {
            properties,
            required,
            closed,
        })
    }

    /// True when `body` is certainly valid JSON that the model accepts;
    /// false when that is not certain (the full validator decides then).
    pub(crate) fn accepts(&self, body: &[u8]) -> bool {
        let mut scratch = SCRATCH.take();
        let verdict = self
            .accepts_flat(body, &mut scratch)
            .unwrap_or_else(|| self.accepts_streamed(body, &mut scratch));
        if scratch.capacity() <= MAX_SCRATCH {
            SCRATCH.set(scratch);
        }
        verdict
    }

    /// [`Shortcut::accepts`] for any body, read by serde.
    fn accepts_streamed(&self, body: &[u8], scratch: &mut String) -> bool {
        // Every string, key or value, is read by serde_json's `parse_str`,
        // which refuses invalid UTF-8 as the document's reading does; any
        // other byte outside ASCII is a syntax error. No separate check.
        let mut reader = serde_json::Deserializer::from_slice(body);
        let verdict = reader.deserialize_map(Root {
            shortcut: self,
            scratch,
        });
        // Nested values are read whole, which keeps a repeated name's
        // last value only: a body repeating one anywhere is left to the
        // document's reading, which knows the configured policy.
        matches!(verdict, Ok(true))
            && reader.end().is_ok()
            && crate::document::find_duplicate(body).is_none()
    }
}

impl Shortcut {
    /// [`Shortcut::accepts`] for the flat bodies most requests carry: one
    /// object whose keys and string values have no escapes and whose other
    /// values are integers, booleans or null. Read by hand, which costs a
    /// fraction of a serde visitor; `None` at anything else (an escape, a
    /// nested value, a fraction or exponent), for the serde reading to
    /// judge. The verdicts are the serde reading's.
    fn accepts_flat(&self, body: &[u8], scratch: &mut String) -> Option<bool> {
        // UTF-8 checked once for the whole body, not string by string: the
        // strings are then cut from it at their quotes.
        let text = std::str::from_utf8(body).ok()?;
        let mut at = 0;
        let space = |at: &mut usize| {
            while let Some(b' ' | b'\t' | b'\n' | b'\r') = body.get(*at) {
                *at += 1;
            }
        };
        let expect = |at: &mut usize, byte: u8| {
            space(at);
            (body.get(*at) == Some(&byte)).then(|| *at += 1)
        };
        expect(&mut at, b'{')?;
        let properties = &self.properties;
        let mut seen = 0u64;
        // Names the model does not declare, to tell a repeat of one.
        let mut others = [""; MAX_OTHER_NAMES];
        let mut other_count = 0;
        let mut verdict = true;
        space(&mut at);
        if body.get(at) == Some(&b'}') {
            at += 1;
        } else {
            loop {
                space(&mut at);
                let key = plain_string(text, &mut at)?;
                expect(&mut at, b':')?;
                space(&mut at);
                let index = properties.iter().position(|p| p.name == key);
                let check = match index {
                    // A repeated key: leave it to the document's reading,
                    // which refuses it or keeps the last value as configured.
                    Some(i) if seen & (1 << i) != 0 => {
                        verdict = false;
                        None
                    }
                    Some(i) => {
                        seen |= 1 << i;
                        properties[i].validator.as_ref()
                    }
                    None => {
                        verdict &= !self.closed;
                        if others[..other_count].contains(&key) {
                            verdict = false;
                        } else {
                            // Past the array's room, the serde reading
                            // (and its duplicate check) decides.
                            *others.get_mut(other_count)? = key;
                            other_count += 1;
                        }
                        None
                    }
                };
                let valid = match *body.get(at)? {
                    b'"' => {
                        let value = plain_string(text, &mut at)?;
                        text_valid(check, value, scratch)
                    }
                    b't' | b'f' | b'n' => {
                        let (word, value): (&[u8], Value) = match body[at] {
                            b't' => (b"true", Value::Bool(true)),
                            b'f' => (b"false", Value::Bool(false)),
                            _ => (b"null", Value::Null),
                        };
                        if !body[at..].starts_with(word) {
                            return None;
                        }
                        at += word.len();
                        check.is_none_or(|v| v.is_valid(&value))
                    }
                    b'-' | b'0'..=b'9' => {
                        let value = plain_integer(body, &mut at)?;
                        check.is_none_or(|v| v.is_valid(&Value::from(value)))
                    }
                    _ => return None,
                };
                verdict &= valid;
                space(&mut at);
                match *body.get(at)? {
                    b',' => at += 1,
                    b'}' => {
                        at += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        space(&mut at);
        if at != body.len() {
            return None;
        }
        Some(verdict && seen & self.required == self.required)
    }
}

/// The most undeclared names a flat body is read with by hand.
const MAX_OTHER_NAMES: usize = 16;

/// A string at `at` with no escape and no control character.
fn plain_string<'b>(body: &'b str, at: &mut usize) -> Option<&'b str> {
    let start = *at + 1;
    if body.as_bytes().get(*at) != Some(&b'"') {
        return None;
    }
    let rest = body.as_bytes().get(start..)?;
    let end = rest
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
    if rest[end] != b'"' {
        return None;
    }
    *at = start + end + 1;
    // Cut at ASCII quotes, so always on character boundaries.
    body.get(start..start + end)
}

/// An integer of up to 18 digits at `at` (so it fits an `i64` as serde
/// reads it); not `-0`, which serde reads as a float.
fn plain_integer(body: &[u8], at: &mut usize) -> Option<i64> {
    let start = *at;
    let negative = body[start] == b'-';
    let digits_from = start + usize::from(negative);
    let count = body[digits_from..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    let end = digits_from + count;
    if count == 0
        || count > 18
        || body[digits_from] == b'0' && (count > 1 || negative)
        || matches!(body.get(end), Some(b'.' | b'e' | b'E'))
    {
        return None;
    }
    *at = end;
    let magnitude = body[digits_from..end]
        .iter()
        .fold(0i64, |n, d| n * 10 + i64::from(d - b'0'));
    Some(if negative { -magnitude } else { magnitude })
}

fn has_context_keyword(schema: &Value) -> bool {
    match schema {
        Value::Object(map) => map
            .iter()
            .any(|(k, v)| CONTEXT_KEYWORDS.contains(&k.as_str()) || has_context_keyword(v)),
        Value::Array(items) => items.iter().any(has_context_keyword),
        _ => false,
    }
}

/// Whether a string value passes `validator`, the value built in `scratch`
/// (see [`SCRATCH`]).
fn text_valid(validator: Option<&jsonschema::Validator>, text: &str, scratch: &mut String) -> bool {
    let Some(validator) = validator else {
        return true;
    };
    let mut buffer = std::mem::take(scratch);
    buffer.clear();
    buffer.push_str(text);
    let value = Value::String(buffer);
    let valid = validator.is_valid(&value);
    if let Value::String(buffer) = value {
        *scratch = buffer;
    }
    valid
}

/// The largest string buffer a thread keeps between bodies.
const MAX_SCRATCH: usize = 64 << 10;

std::thread_local! {
    /// Each string value is copied here to be checked (the validator takes
    /// a `Value`), so checking one allocates nothing once warm.
    static SCRATCH: std::cell::Cell<String> = const { std::cell::Cell::new(String::new()) };
}

struct Root<'s> {
    shortcut: &'s Shortcut,
    scratch: &'s mut String,
}

impl<'de> Visitor<'de> for Root<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let properties = &self.shortcut.properties;
        let mut seen = 0u64;
        while let Some(key) = map.next_key_seed(Key(properties))? {
            let Some(index) = key else {
                if self.shortcut.closed {
                    return Ok(false);
                }
                map.next_value::<Skip>()?;
                continue;
            };
            // A repeated key: leave it to the document's reading, which
            // refuses it or keeps the last value as configured.
            if seen & (1 << index) != 0 {
                return Ok(false);
            }
            seen |= 1 << index;
            let valid = map.next_value_seed(Check {
                validator: properties[index].validator.as_ref(),
                scratch: self.scratch,
            })?;
            if !valid {
                return Ok(false);
            }
        }
        Ok(seen & self.shortcut.required == self.shortcut.required)
    }
}

/// Reads a key as the index of the property it names, if any.
struct Key<'s>(&'s [Property]);

impl<'de> DeserializeSeed<'de> for Key<'_> {
    type Value = Option<usize>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Option<usize>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key<'_> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Option<usize>, E> {
        Ok(self.0.iter().position(|p| p.name == key))
    }
}

/// Checks one property's value against its subschema.
struct Check<'a> {
    validator: Option<&'a jsonschema::Validator>,
    scratch: &'a mut String,
}

impl Check<'_> {
    fn value(self, value: &Value) -> bool {
        self.validator.is_none_or(|v| v.is_valid(value))
    }
}

impl<'de> DeserializeSeed<'de> for Check<'_> {
    type Value = bool;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        if self.validator.is_none() {
            Skip::deserialize(d)?;
            return Ok(true);
        }
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Check<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<bool, E> {
        Ok(text_valid(self.validator, text, self.scratch))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
        Ok(self.value(&Value::Bool(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<bool, E> {
        Ok(self.value(&Value::from(v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<bool, E> {
        Ok(self.value(&Value::from(v)))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<bool, E> {
        // As serde_json's own reading does.
        Ok(self.value(&serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)))
    }

    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        Ok(self.value(&Value::Null))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<bool, A::Error> {
        let value = Value::deserialize(MapAccessDeserializer::new(map))?;
        Ok(self.value(&value))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<bool, A::Error> {
        let value = Value::deserialize(SeqAccessDeserializer::new(seq))?;
        Ok(self.value(&value))
    }
}

/// Reads a value it does not check as strictly as the document's reading
/// would (`IgnoredAny` lets a lone surrogate escape in a string pass).
struct Skip;

impl<'de> Deserialize<'de> for Skip {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Skip, D::Error> {
        d.deserialize_any(Skip)
    }
}

impl<'de> Visitor<'de> for Skip {
    type Value = Skip;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Skip, A::Error> {
        while map.next_entry::<Skip, Skip>()?.is_some() {}
        Ok(Skip)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Skip, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(Skip)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn shortcut(schema: &Value) -> Option<Shortcut> {
        Shortcut::for_schema(schema, |s| {
            jsonschema::options()
                .with_draft(jsonschema::Draft::Draft4)
                .build(s)
                .ok()
        })
    }

    fn wild_rydes() -> Shortcut {
        shortcut(&json!({
            "type": "object",
            "required": ["name", "cape"],
            "properties": {
                "name": {"type": "string"},
                "cape": {"type": "string", "pattern": "^\\d+$"},
                "tags": {"type": "array", "items": {"type": "string"}},
                "size": {"type": "object", "required": ["w"]}
            }
        }))
        .expect("a shortcut")
    }

    #[test]
    fn never_proves_a_body_that_repeats_a_name_anywhere() {
        let s = wild_rydes();
        for body in [
            r#"{"name": "n", "cape": "1", "cape": "2"}"#,
            r#"{"name": "n", "cape": "1", "x": 1, "x": 2}"#,
            r#"{"name": "n", "cape": "1", "size": {"w": 1, "w": 2}}"#,
            r#"{"name": "n", "cape": "1", "extra": {"a": 1, "\u0061": 2}}"#,
        ] {
            assert!(!s.accepts(body.as_bytes()), "{body}");
        }
        // More undeclared names than the flat reading keeps: the serde
        // reading checks them.
        let mut body = String::from(r#"{"name": "n", "cape": "1""#);
        for i in 0..40 {
            body.push_str(&format!(r#", "k{i}": {i}"#));
        }
        assert!(s.accepts(format!("{body}}}").as_bytes()));
        assert!(!s.accepts(format!(r#"{body}, "k3": 0}}"#).as_bytes()));
    }

    #[test]
    fn proves_valid_bodies_valid() {
        let s = wild_rydes();
        assert!(s.accepts(br#"{"name": "Unicorn", "cape": "4"}"#));
        assert!(s.accepts(br#" {"cape": "12", "name": "a\"b", "extra": [1, {"x": null}]} "#));
        assert!(s.accepts(br#"{"name": "n", "cape": "1", "tags": ["a"], "size": {"w": 2}}"#));
    }

    #[test]
    fn leaves_everything_else_to_the_full_validator() {
        let s = wild_rydes();
        for body in [
            &br#"{"name": "Unicorn"}"#[..],
            br#"{"name": "Unicorn", "cape": "2); DROP"}"#,
            br#"{"name": 7, "cape": "4"}"#,
            br#"{"name": "a", "cape": "4", "name": "b"}"#,
            br#"{"name": "n", "cape": "1", "tags": [1]}"#,
            br#"{"name": "n", "cape": "1", "size": {}}"#,
            br#"{"name": "n", "cape": "1"} x"#,
            br#"{"name": "n", "cape": "1""#,
            b"[]",
            b"",
            b"{\"name\": \"\xff\", \"cape\": \"1\"}",
            br#"{"name": "n", "cape": "1", "other": "\ud800"}"#,
            br#"{"name": "n", "cape": "1", "other": {"\udc00": 1}}"#,
        ] {
            assert!(!s.accepts(body), "{}", String::from_utf8_lossy(body));
        }
    }

    #[test]
    fn the_flat_reading_agrees_with_the_serde_reading() {
        let s = wild_rydes();
        let closed = shortcut(&json!({
            "properties": {"a": {"type": "integer", "maximum": 5}, "b": {"type": "boolean"}},
            "required": ["a"],
            "additionalProperties": false
        }))
        .expect("a shortcut");
        let mut flat = 0;
        for body in [
            &br#"{"name": "Unicorn", "cape": "4"}"#[..],
            br#" {"cape": "12" , "name":"x", "other": null, "n": -7, "t": true} "#,
            br#"{"name": "Unicorn", "cape": "2); DROP"}"#,
            br#"{"name": 7, "cape": "4"}"#,
            br#"{"name": "a", "cape": "4", "name": "b"}"#,
            br#"{"name": "n", "cape": "1"} x"#,
            br#"{"name": "n", "cape": "1""#,
            br#"{"name": "n", "cape": "1",}"#,
            br#"{"name": "n" "cape": "1"}"#,
            br#"{"name": "n", "cape": 01}"#,
            br#"{"name": "n", "cape": "1", "x": tru}"#,
            br#"{}"#,
            br#"{"a": 5, "b": false}"#,
            br#"{"a": 6}"#,
            br#"{"a": -0}"#,
            br#"{"a": 1.0}"#,
            br#"{"a": 1, "c": 1}"#,
            br#"{"a": 123456789012345678}"#,
            br#"{"a": 1234567890123456789}"#,
            br#"{"a": -123456789012345678, "b": true}"#,
            br#"{"a": -6}"#,
            "{\"name\": \"Licorne épique\", \"cape\": \"1\"}".as_bytes(),
            b"{\"name\": \"\xff\", \"cape\": \"1\"}",
            b"{\"name\": \"a\tb\", \"cape\": \"1\"}",
        ] {
            for s in [&s, &closed] {
                let mut scratch = String::new();
                if let Some(verdict) = s.accepts_flat(body, &mut scratch) {
                    flat += 1;
                    assert_eq!(
                        verdict,
                        s.accepts_streamed(body, &mut scratch),
                        "{}",
                        String::from_utf8_lossy(body)
                    );
                }
            }
        }
        assert!(flat >= 20, "the flat reading took {flat} bodies");
    }

    #[test]
    fn closed_models_refuse_other_keys() {
        let s = shortcut(&json!({"properties": {"a": {}}, "additionalProperties": false}))
            .expect("a shortcut");
        assert!(s.accepts(br#"{"a": 1}"#));
        assert!(!s.accepts(br#"{"a": 1, "b": 2}"#));
        assert!(
            shortcut(&json!({"required": ["b"], "additionalProperties": false})).is_none(),
            "b is both required and refused"
        );
        let open = shortcut(&json!({"properties": {"a": {}}, "additionalProperties": true}))
            .expect("a shortcut");
        assert!(open.accepts(br#"{"a": 1, "b": 2}"#));
    }

    #[test]
    fn only_shapes_it_can_match_exactly_get_one() {
        for schema in [
            json!({"type": "array"}),
            json!({"type": ["object", "null"]}),
            json!({"properties": {"a": {"$ref": "#/definitions/x"}}, "definitions": {"x": {}}}),
            json!({"properties": {"a": {"items": {"$ref": "#"}}}}),
            json!({"patternProperties": {"^a": {}}}),
            json!({"additionalProperties": {"type": "string"}}),
            json!({"properties": {"a": true}}),
            json!({"minProperties": 1}),
            json!({"required": "a"}),
            json!({"$ref": "#/definitions/x", "definitions": {"x": {}}}),
        ] {
            assert!(shortcut(&schema).is_none(), "{schema}");
        }
        let only_required = shortcut(&json!({"required": ["a"]})).expect("a shortcut");
        assert!(only_required.accepts(br#"{"a": [1, 2]}"#));
        assert!(!only_required.accepts(br#"{"b": 1}"#));
    }
}
