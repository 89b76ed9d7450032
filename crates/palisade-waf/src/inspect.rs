//! What a statement inspects: the request components a `FieldToMatch`
//! names, as AWS WAF presents them — raw (not URL-decoded; decoding is a
//! text transformation's job), the body only up to the inspection limit.

use std::borrow::Cow;

use serde_json::Value;

use crate::acl::{FieldToMatch, InvalidFallback, MatchScope, OversizeHandling};

/// AWS WAF's default body inspection limit for regional resources.
pub const BODY_INSPECTION_LIMIT: usize = 8 * 1024;

/// The parts of a request the rules can look at.
#[derive(Clone, Debug, Default)]
pub struct WafRequest<'a> {
    pub method: &'a str,
    /// The path as received, percent-encoding kept.
    pub uri_path: &'a str,
    /// The query string as received, without `?`.
    pub query: &'a str,
    pub headers: Vec<(&'a str, &'a str)>,
    pub body: &'a [u8],
    /// The peer address (IP set statements without a forwarded-IP header).
    pub client_ip: Option<std::net::IpAddr>,
}

/// What a component yields: the values to inspect, or a verdict already
/// decided by oversize or invalid-content handling.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Component<'a> {
    Values(Vec<Cow<'a, [u8]>>),
    /// The statement matches without inspecting (OversizeHandling MATCH,
    /// InvalidFallbackBehavior MATCH).
    Match,
    /// The statement does not match (NO_MATCH).
    NoMatch,
}

/// A query string's `name=value` pairs, raw.
pub(crate) fn query_args(query: &str) -> impl Iterator<Item = (&str, &str)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
}

/// The request's cookies as `name=value` pairs, from every Cookie header.
pub(crate) fn cookies<'a>(request: &WafRequest<'a>) -> impl Iterator<Item = (&'a str, &'a str)> {
    request
        .headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("cookie"))
        .flat_map(|(_, v)| v.split(';'))
        .map(|c| c.trim().split_once('=').unwrap_or((c.trim(), "")))
}

/// Whether keys and values are inspected.
fn scope(scope: MatchScope) -> (bool, bool) {
    match scope {
        MatchScope::Key => (true, false),
        MatchScope::Value => (false, true),
        MatchScope::All => (true, true),
    }
}

/// Whether a name passes an included / excluded list (neither: all).
fn selected(included: Option<&[String]>, excluded: Option<&[String]>, name: &str) -> bool {
    let listed = |names: &[String]| names.iter().any(|n| n.eq_ignore_ascii_case(name));
    match (included, excluded) {
        (Some(names), _) => listed(names),
        (None, Some(names)) => !listed(names),
        (None, None) => true,
    }
}

/// Name-value pairs as the scope asks: keys, values, or both in turn.
fn keys_and_values<'a>(
    pairs: impl Iterator<Item = (&'a str, &'a str)>,
    match_scope: MatchScope,
) -> Vec<Cow<'a, [u8]>> {
    let (keys, values) = scope(match_scope);
    pairs
        .flat_map(|(k, v)| {
            let key = keys.then_some(Cow::Borrowed(k.as_bytes()));
            let value = values.then_some(Cow::Borrowed(v.as_bytes()));
            key.into_iter().chain(value)
        })
        .collect()
}

/// The body, or the verdict its size decides.
fn body<'a>(
    request: &WafRequest<'a>,
    oversize: Option<OversizeHandling>,
) -> Result<&'a [u8], Component<'a>> {
    if request.body.len() <= BODY_INSPECTION_LIMIT {
        return Ok(request.body);
    }
    match oversize.unwrap_or(OversizeHandling::Continue) {
        OversizeHandling::Continue => Ok(&request.body[..BODY_INSPECTION_LIMIT]),
        OversizeHandling::Match => Err(Component::Match),
        OversizeHandling::NoMatch => Err(Component::NoMatch),
    }
}

/// The JSON body's keys and values (strings as their text, other scalars
/// as JSON), restricted to `IncludedPaths` (JSON pointers) when given.
fn json_entries(
    document: &Value,
    included: Option<&[String]>,
    keys: bool,
    values: bool,
    out: &mut Vec<Vec<u8>>,
) {
    let roots: Vec<&Value> = match included {
        Some(paths) => paths.iter().filter_map(|p| document.pointer(p)).collect(),
        None => vec![document],
    };
    let mut stack = roots;
    while let Some(value) = stack.pop() {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    if keys {
                        out.push(k.as_bytes().to_vec());
                    }
                    stack.push(v);
                }
            }
            Value::Array(items) => stack.extend(items),
            Value::String(s) if values => out.push(s.as_bytes().to_vec()),
            Value::Null | Value::Bool(_) | Value::Number(_) if values => {
                out.push(value.to_string().into_bytes());
            }
            _ => {}
        }
    }
}

/// Every key and value of a JSON document as it is parsed, without
/// building the document; strings without escapes borrow from the body.
/// None when the body is not one well-formed JSON value.
fn json_stream(bytes: &[u8], keys: bool, values: bool) -> Option<Vec<Cow<'_, [u8]>>> {
    use serde::de::DeserializeSeed;
    let mut out = Vec::new();
    let mut reader = serde_json::Deserializer::from_slice(bytes);
    Entries {
        keys,
        values,
        out: &mut out,
    }
    .deserialize(&mut reader)
    .and_then(|()| reader.end())
    .ok()?;
    Some(out)
}

/// A JSON value's strings and scalars, pushed as they are read. Depth is
/// bounded by the JSON reader's recursion limit.
struct Entries<'o, 'de> {
    keys: bool,
    values: bool,
    out: &'o mut Vec<Cow<'de, [u8]>>,
}

impl Entries<'_, '_> {
    /// Pushes a scalar's text, written only when values are kept.
    fn scalar(self, text: impl FnOnce() -> String) {
        if self.values {
            self.out.push(Cow::Owned(text().into_bytes()));
        }
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for Entries<'_, 'de> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, reader: D) -> Result<(), D::Error> {
        reader.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Entries<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        self.scalar(|| "null".to_string());
        Ok(())
    }

    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        self.scalar(|| v.to_string());
        Ok(())
    }

    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        self.scalar(|| v.to_string());
        Ok(())
    }

    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        self.scalar(|| v.to_string());
        Ok(())
    }

    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        // As the JSON text of the number, the way a parsed document prints it.
        self.scalar(|| {
            serde_json::Number::from_f64(v).map_or_else(|| v.to_string(), |n| n.to_string())
        });
        Ok(())
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<(), E> {
        if self.values {
            self.out.push(Cow::Borrowed(v.as_bytes()));
        }
        Ok(())
    }

    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.scalar(|| v.to_string());
        Ok(())
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut items: A) -> Result<(), A::Error> {
        let Entries { keys, values, out } = self;
        while items
            .next_element_seed(Entries {
                keys,
                values,
                out: &mut *out,
            })?
            .is_some()
        {}
        Ok(())
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Entries { keys, values, out } = self;
        while let Some(key) = map.next_key_seed(Key)? {
            if keys {
                out.push(key);
            }
            map.next_value_seed(Entries {
                keys,
                values,
                out: &mut *out,
            })?;
        }
        Ok(())
    }
}

/// An object's key, borrowed from the body when it has no escapes.
struct Key;

impl<'de> serde::de::DeserializeSeed<'de> for Key {
    type Value = Cow<'de, [u8]>;

    fn deserialize<D: serde::Deserializer<'de>>(self, reader: D) -> Result<Self::Value, D::Error> {
        reader.deserialize_str(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Key {
    type Value = Cow<'de, [u8]>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a key")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v.as_bytes()))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.as_bytes().to_vec()))
    }
}

impl FieldToMatch {
    /// The values this field takes in `request`.
    pub fn extract<'a>(&self, request: &WafRequest<'a>) -> Component<'a> {
        let borrowed = |s: &'a str| Cow::Borrowed(s.as_bytes());
        let values: Vec<Cow<'a, [u8]>> = match self {
            FieldToMatch::UriPath(_) => vec![borrowed(request.uri_path)],
            FieldToMatch::QueryString(_) => vec![borrowed(request.query)],
            FieldToMatch::Method(_) => vec![borrowed(request.method)],
            FieldToMatch::SingleQueryArgument(arg) => query_args(request.query)
                .filter(|(k, _)| k.eq_ignore_ascii_case(&arg.name))
                .map(|(_, v)| borrowed(v))
                .collect(),
            FieldToMatch::AllQueryArguments(_) => query_args(request.query)
                .map(|(_, v)| borrowed(v))
                .collect(),
            FieldToMatch::SingleHeader(header) => request
                .headers
                .iter()
                .filter(|(k, _)| k.eq_ignore_ascii_case(&header.name))
                .map(|(_, v)| borrowed(v))
                .collect(),
            FieldToMatch::Headers(m) => {
                let p = &m.match_pattern;
                let selected = request.headers.iter().copied().filter(|(k, _)| {
                    selected(
                        p.included_headers.as_deref(),
                        p.excluded_headers.as_deref(),
                        k,
                    )
                });
                keys_and_values(selected, m.match_scope)
            }
            FieldToMatch::Cookies(m) => {
                let p = &m.match_pattern;
                let cookies = cookies(request).filter(|(k, _)| {
                    selected(
                        p.included_cookies.as_deref(),
                        p.excluded_cookies.as_deref(),
                        k,
                    )
                });
                keys_and_values(cookies, m.match_scope)
            }
            FieldToMatch::Body(oversize) => match body(request, oversize.oversize_handling) {
                Ok(bytes) => vec![Cow::Borrowed(bytes)],
                Err(verdict) => return verdict,
            },
            FieldToMatch::JsonBody(m) => {
                let bytes = match body(request, m.oversize_handling) {
                    Ok(bytes) => bytes,
                    Err(verdict) => return verdict,
                };
                // Statements reading the same component share one parse
                // through the evaluator's per-request memo.
                let (keys, values) = scope(m.match_scope);
                let parsed = match m.match_pattern.included_paths.as_deref() {
                    // The whole document: read as a stream, no tree built.
                    None => json_stream(bytes, keys, values),
                    Some(included) => serde_json::from_slice::<Value>(bytes)
                        .map(|document| {
                            let mut out = Vec::new();
                            json_entries(&document, Some(included), keys, values, &mut out);
                            out.into_iter().map(Cow::Owned).collect()
                        })
                        .ok(),
                };
                match parsed {
                    Some(entries) => entries,
                    None => match m.invalid_fallback_behavior {
                        Some(InvalidFallback::Match) => return Component::Match,
                        Some(InvalidFallback::NoMatch) => return Component::NoMatch,
                        // EVALUATE_AS_STRING, and AWS's default: inspect
                        // the text as it is.
                        _ => vec![Cow::Borrowed(bytes)],
                    },
                }
            }
        };
        Component::Values(values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(value: Value) -> FieldToMatch {
        serde_json::from_value(value).unwrap_or_else(|e| panic!("{e}"))
    }

    fn texts(component: Component<'_>) -> Vec<String> {
        match component {
            Component::Values(values) => values
                .iter()
                .map(|v| String::from_utf8_lossy(v).into_owned())
                .collect(),
            other => panic!("{other:?}"),
        }
    }

    fn request(body: &[u8]) -> WafRequest<'_> {
        WafRequest {
            method: "POST",
            uri_path: "/items/%27",
            query: "id=1%20OR%201=1&Page=2&flag",
            headers: vec![
                ("User-Agent", "sqlmap/1.7"),
                ("Cookie", "session=abc; theme=dark"),
                ("Content-Type", "application/json"),
            ],
            body,
            client_ip: None,
        }
    }

    #[test]
    fn uri_query_method_and_arguments_are_raw() {
        let r = request(b"");
        assert_eq!(
            texts(field(json!({"UriPath": {}})).extract(&r)),
            ["/items/%27"]
        );
        assert_eq!(
            texts(field(json!({"QueryString": {}})).extract(&r)),
            ["id=1%20OR%201=1&Page=2&flag"]
        );
        assert_eq!(texts(field(json!({"Method": {}})).extract(&r)), ["POST"]);
        assert_eq!(
            texts(field(json!({"SingleQueryArgument": {"Name": "page"}})).extract(&r)),
            ["2"]
        );
        assert_eq!(
            texts(field(json!({"AllQueryArguments": {}})).extract(&r)),
            ["1%20OR%201=1", "2", ""]
        );
    }

    #[test]
    fn headers_and_cookies_follow_pattern_and_scope() {
        let r = request(b"");
        assert_eq!(
            texts(field(json!({"SingleHeader": {"Name": "user-agent"}})).extract(&r)),
            ["sqlmap/1.7"]
        );
        let only_agent = json!({"Headers": {"MatchPattern": {"IncludedHeaders": ["User-Agent"]}, "MatchScope": "VALUE", "OversizeHandling": "CONTINUE"}});
        assert_eq!(texts(field(only_agent).extract(&r)), ["sqlmap/1.7"]);
        let keys = json!({"Headers": {"MatchPattern": {"ExcludedHeaders": ["cookie"]}, "MatchScope": "KEY", "OversizeHandling": "CONTINUE"}});
        assert_eq!(
            texts(field(keys).extract(&r)),
            ["User-Agent", "Content-Type"]
        );
        let cookies = json!({"Cookies": {"MatchPattern": {"All": {}}, "MatchScope": "ALL", "OversizeHandling": "CONTINUE"}});
        assert_eq!(
            texts(field(cookies).extract(&r)),
            ["session", "abc", "theme", "dark"]
        );
    }

    #[test]
    fn bodies_past_the_limit_follow_oversize_handling() {
        let big = vec![b'a'; BODY_INSPECTION_LIMIT + 10];
        let r = request(&big);
        let cont = texts(field(json!({"Body": {"OversizeHandling": "CONTINUE"}})).extract(&r));
        assert_eq!(cont[0].len(), BODY_INSPECTION_LIMIT);
        assert_eq!(
            field(json!({"Body": {"OversizeHandling": "MATCH"}})).extract(&r),
            Component::Match
        );
        assert_eq!(
            field(json!({"Body": {"OversizeHandling": "NO_MATCH"}})).extract(&r),
            Component::NoMatch
        );
        assert_eq!(
            texts(field(json!({"Body": {}})).extract(&request(b"x=1"))),
            ["x=1"]
        );
    }

    #[test]
    fn the_streamed_reading_yields_what_the_parsed_document_holds() {
        let documents: [&[u8]; 6] = [
            br#"{"a": "plain", "b\u00e9": "esc\"aped\n", "n": [1, -2, 1.5, 1e3, -0.0, 18446744073709551615]}"#,
            br#"[true, false, null, {"deep": [[["x"]]]}]"#,
            br#""just a string""#,
            b"42",
            br#"{"k": {}, "l": [], "m": ""}"#,
            br#"  {"spaced": 1}  "#,
        ];
        for document in documents {
            for (keys, values) in [(true, false), (false, true), (true, true)] {
                let mut streamed: Vec<Vec<u8>> = json_stream(document, keys, values)
                    .unwrap_or_else(|| panic!("{}", String::from_utf8_lossy(document)))
                    .into_iter()
                    .map(Cow::into_owned)
                    .collect();
                let parsed: Value =
                    serde_json::from_slice(document).unwrap_or_else(|e| panic!("{e}"));
                let mut expected = Vec::new();
                json_entries(&parsed, None, keys, values, &mut expected);
                streamed.sort();
                expected.sort();
                assert_eq!(streamed, expected, "{}", String::from_utf8_lossy(document));
            }
        }
        // Unescaped strings are not copied.
        let body = br#"{"name": "unicorn"}"#;
        let entries = json_stream(body, true, true).unwrap_or_default();
        assert!(entries.iter().all(|e| matches!(e, Cow::Borrowed(_))));
    }

    #[test]
    fn a_body_that_is_not_one_json_value_is_not_streamed() {
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        for bad in [
            &b"{not json"[..],
            b"{} {}",
            b"[1, 2",
            b"\"x\"trailing",
            deep.as_bytes(),
        ] {
            assert!(
                json_stream(bad, true, true).is_none(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn json_bodies_yield_keys_and_values_or_their_fallback() {
        let body = br#"{"name": "x' OR 1=1", "tags": ["a", 2], "nested": {"deep": true}}"#;
        let r = request(body);
        let all = json!({"JsonBody": {"MatchPattern": {"All": {}}, "MatchScope": "VALUE"}});
        let mut values = texts(field(all).extract(&r));
        values.sort();
        assert_eq!(values, ["2", "a", "true", "x' OR 1=1"]);
        let keys = json!({"JsonBody": {"MatchPattern": {"IncludedPaths": ["/nested"]}, "MatchScope": "KEY"}});
        assert_eq!(texts(field(keys).extract(&r)), ["deep"]);
        let invalid = request(b"{not json");
        let matching = json!({"JsonBody": {"MatchPattern": {"All": {}}, "MatchScope": "ALL", "InvalidFallbackBehavior": "MATCH"}});
        assert_eq!(field(matching).extract(&invalid), Component::Match);
        let as_text = json!({"JsonBody": {"MatchPattern": {"All": {}}, "MatchScope": "ALL", "InvalidFallbackBehavior": "EVALUATE_AS_STRING"}});
        assert_eq!(texts(field(as_text).extract(&invalid)), ["{not json"]);
    }
}
