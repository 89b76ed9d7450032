//! What a statement inspects: the request components a `FieldToMatch`
//! names, as AWS WAF presents them — raw (not URL-decoded; decoding is a
//! text transformation's job), the body only up to the inspection limit.

use std::borrow::Cow;

use serde_json::Value;
use smallvec::{SmallVec, smallvec};

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

/// A component's values. Most components have one or two (a path, a
/// header, a query's arguments), kept inline: a request's rules extract a
/// dozen components, and each would otherwise be an allocation.
pub type Values<'a> = SmallVec<[Cow<'a, [u8]>; 2]>;

/// What a component yields: the values to inspect, or a verdict already
/// decided by oversize or invalid-content handling.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Component<'a> {
    Values(Values<'a>),
    /// The statement matches without inspecting (OversizeHandling MATCH,
    /// InvalidFallbackBehavior MATCH).
    Match,
    /// The statement does not match (NO_MATCH).
    NoMatch,
}

/// A query string's `name=value` pairs, raw.
pub(crate) fn query_args(query: &str) -> impl Iterator<Item = (&str, &str)> {
    QueryArgs { query, at: 0 }
}

/// [`query_args`] by one byte loop: `str::split` and `split_once` search
/// for a `char` each, which costs more than the short queries they read.
/// Every cut is at an ASCII byte, so the slices stay on char boundaries.
struct QueryArgs<'a> {
    query: &'a str,
    at: usize,
}

impl<'a> Iterator for QueryArgs<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        let bytes = self.query.as_bytes();
        while self.at < bytes.len() {
            let start = self.at;
            let mut equals = None;
            let mut end = start;
            while end < bytes.len() && bytes[end] != b'&' {
                if bytes[end] == b'=' && equals.is_none() {
                    equals = Some(end);
                }
                end += 1;
            }
            self.at = end + 1;
            if end > start {
                return Some(match equals {
                    Some(eq) => (&self.query[start..eq], &self.query[eq + 1..end]),
                    None => (&self.query[start..end], ""),
                });
            }
        }
        None
    }
}

/// The request's cookies as `name=value` pairs, from every Cookie header.
pub(crate) fn cookies<'a>(request: &WafRequest<'a>) -> impl Iterator<Item = (&'a str, &'a str)> {
    request
        .headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("cookie"))
        .flat_map(|(_, v)| v.split(';'))
        .map(|c| {
            let c = c.trim_ascii();
            c.split_once('=').unwrap_or((c, ""))
        })
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
) -> Values<'a> {
    let (keys, values) = scope(match_scope);
    let mut out = Values::new();
    for (k, v) in pairs {
        if keys {
            out.push(Cow::Borrowed(k.as_bytes()));
        }
        if values {
            out.push(Cow::Borrowed(v.as_bytes()));
        }
    }
    out
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

/// Every key and value of a JSON document as it is read, without building
/// the document; strings without escapes borrow from the body. None when
/// the body is not one well-formed JSON value. It accepts exactly what
/// `serde_json` accepts (the tests and the `waf_json_body` fuzz target
/// compare the two) and leaves escaped strings and non-integer numbers to
/// it, so their text is the same too; a hand-written reader costs a
/// fraction of a serde visitor on the small documents APIs receive.
fn json_stream(bytes: &[u8], keys: bool, values: bool) -> Option<Values<'_>> {
    let mut reader = JsonReader {
        bytes,
        at: 0,
        keys,
        values,
        out: Values::with_capacity(8),
    };
    reader.value(0)?;
    reader.space();
    (reader.at == bytes.len()).then_some(reader.out)
}

/// Bytes that end a string's plain run: its closing quote, an escape, or a
/// control character (which JSON does not allow in a string).
static STRING_STOP: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = true;
        b += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

/// `serde_json`'s nesting limit: it refuses the 128th open array or object.
const JSON_DEPTH: usize = 127;

struct JsonReader<'a> {
    bytes: &'a [u8],
    at: usize,
    keys: bool,
    values: bool,
    out: Values<'a>,
}

impl<'a> JsonReader<'a> {
    fn space(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.at) {
            self.at += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        self.space();
        (self.bytes.get(self.at) == Some(&byte)).then(|| self.at += 1)
    }

    /// The value at the reader (after whitespace), inside `depth` arrays
    /// and objects.
    fn value(&mut self, depth: usize) -> Option<()> {
        self.space();
        match *self.bytes.get(self.at)? {
            b'{' => self.items(b'}', depth, |reader| {
                let key = reader.string()?;
                if reader.keys {
                    reader.out.push(key);
                }
                reader.eat(b':')?;
                reader.value(depth + 1)
            }),
            b'[' => self.items(b']', depth, |reader| reader.value(depth + 1)),
            b'"' => {
                let text = self.string()?;
                if self.values {
                    self.out.push(text);
                }
                Some(())
            }
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    /// An object's members or an array's items, from its opening bracket
    /// to `close`, each read by `item` (after whitespace).
    fn items(
        &mut self,
        close: u8,
        depth: usize,
        mut item: impl FnMut(&mut Self) -> Option<()>,
    ) -> Option<()> {
        if depth == JSON_DEPTH {
            return None;
        }
        self.at += 1;
        self.space();
        if self.bytes.get(self.at) == Some(&close) {
            self.at += 1;
            return Some(());
        }
        loop {
            self.space();
            item(self)?;
            self.space();
            match *self.bytes.get(self.at)? {
                b',' => self.at += 1,
                b if b == close => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn literal(&mut self, word: &'static [u8]) -> Option<()> {
        if !self.bytes[self.at..].starts_with(word) {
            return None;
        }
        self.at += word.len();
        if self.values {
            self.out.push(Cow::Borrowed(word));
        }
        Some(())
    }

    /// A number as JSON writes it; its text as `serde_json` prints the
    /// number it reads (an integer as written; anything else, or an integer
    /// too large for 64 bits, through `serde_json`).
    fn number(&mut self) -> Option<()> {
        let start = self.at;
        let digits = |reader: &mut Self| {
            let from = reader.at;
            while reader.bytes.get(reader.at).is_some_and(u8::is_ascii_digit) {
                reader.at += 1;
            }
            reader.at - from
        };
        let negative = self.bytes[self.at] == b'-';
        if negative {
            self.at += 1;
        }
        let whole = self.at;
        let count = digits(self);
        if count == 0 || count > 1 && self.bytes[whole] == b'0' {
            return None;
        }
        let mut integer = true;
        if self.bytes.get(self.at) == Some(&b'.') {
            self.at += 1;
            integer = false;
            if digits(self) == 0 {
                return None;
            }
        }
        if let Some(b'e' | b'E') = self.bytes.get(self.at) {
            self.at += 1;
            integer = false;
            if let Some(b'+' | b'-') = self.bytes.get(self.at) {
                self.at += 1;
            }
            if digits(self) == 0 {
                return None;
            }
        }
        let text = &self.bytes[start..self.at];
        // 18 digits always fit an i64 (and a u64); `-0` reads as a float.
        let plain = integer && count <= 18 && !(negative && self.bytes[whole] == b'0');
        if plain {
            if self.values {
                self.out.push(Cow::Borrowed(text));
            }
            return Some(());
        }
        let number: serde_json::Number = serde_json::from_slice(text).ok()?;
        if self.values {
            self.out.push(Cow::Owned(number.to_string().into_bytes()));
        }
        Some(())
    }

    /// A string at the reader: borrowed when it has no escapes, decoded by
    /// `serde_json` when it has.
    fn string(&mut self) -> Option<Cow<'a, [u8]>> {
        if self.bytes.get(self.at) != Some(&b'"') {
            return None;
        }
        let start = self.at + 1;
        let rest = self.bytes.get(start..)?;
        let stop = rest.iter().position(|&b| STRING_STOP[usize::from(b)])?;
        if rest[stop] == b'"' {
            let text = &rest[..stop];
            if !text.is_ascii() {
                std::str::from_utf8(text).ok()?;
            }
            self.at = start + stop + 1;
            return Some(Cow::Borrowed(text));
        }
        if rest[stop] != b'\\' {
            return None;
        }
        // Escapes: find the closing quote, then let serde_json decode.
        let mut i = start + stop;
        loop {
            match *self.bytes.get(i)? {
                b'"' => break,
                b'\\' => i += 2,
                _ => i += 1,
            }
        }
        self.at = i + 1;
        let text: String = serde_json::from_slice(&self.bytes[start - 1..=i]).ok()?;
        Some(Cow::Owned(text.into_bytes()))
    }
}

impl FieldToMatch {
    /// The values this field takes in `request`.
    pub fn extract<'a>(&self, request: &WafRequest<'a>) -> Component<'a> {
        let borrowed = |s: &'a str| Cow::Borrowed(s.as_bytes());
        let values: Values<'a> = match self {
            FieldToMatch::UriPath(_) => smallvec![borrowed(request.uri_path)],
            FieldToMatch::QueryString(_) => smallvec![borrowed(request.query)],
            FieldToMatch::Method(_) => smallvec![borrowed(request.method)],
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
                Ok(bytes) => smallvec![Cow::Borrowed(bytes)],
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
                        _ => smallvec![Cow::Borrowed(bytes)],
                    },
                }
            }
            FieldToMatch::HeaderOrder(_) => {
                let mut order = String::with_capacity(request.headers.len() * 12);
                for (i, (name, _)) in request.headers.iter().enumerate() {
                    if i > 0 {
                        order.push(':');
                    }
                    order.push_str(name);
                }
                smallvec![Cow::Owned(order.into_bytes())]
            }
            // A client never sends the fragment, and the gateway serves
            // plain HTTP (no ClientHello to fingerprint): these components
            // are always missing here, so the statement's fallback decides.
            FieldToMatch::UriFragment(f)
            | FieldToMatch::Ja3Fingerprint(f)
            | FieldToMatch::Ja4Fingerprint(f) => {
                return match f.fallback_behavior {
                    Some(crate::acl::Fallback::Match) => Component::Match,
                    _ => Component::NoMatch,
                };
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
    fn query_arguments_split_at_ampersands_and_the_first_equals_sign() {
        let reference = |q: &str| -> Vec<(String, String)> {
            q.split('&')
                .filter(|p| !p.is_empty())
                .map(|p| p.split_once('=').unwrap_or((p, "")))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        for query in [
            "",
            "&",
            "&&a",
            "a",
            "a=",
            "=b",
            "a=b=c&d",
            "a=1&&b=2&",
            "é=ü&x=%27",
            "&=&==",
        ] {
            let ours: Vec<(String, String)> = query_args(query)
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            assert_eq!(ours, reference(query), "{query:?}");
        }
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
        let documents: [&[u8]; 9] = [
            br#"{"a": "plain", "b\u00e9": "esc\"aped\n", "n": [1, -2, 1.5, 1e3, -0.0, 18446744073709551615]}"#,
            br#"[true, false, null, {"deep": [[["x"]]]}]"#,
            br#""just a string""#,
            b"42",
            br#"{"k": {}, "l": [], "m": ""}"#,
            br#"  {"spaced": 1}  "#,
            br#"[0, -0, -1, 123456789012345678, 1234567890123456789, -1234567890123456789, 99999999999999999999, 1E2, 1e-2, 0.10, -0.5e+3]"#,
            br#"{"\ud83d\ude00": "\u00e9\t\/", "": "", "x": "caf\u00e9"}"#,
            "{\"é\": \"ü\"}".as_bytes(),
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
    fn the_streamed_reading_accepts_what_serde_json_accepts() {
        let nested = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        let objects = |n: usize| format!("{}1{}", "{\"a\":".repeat(n), "}".repeat(n));
        let documents: Vec<Vec<u8>> = [
            nested(127),
            nested(128),
            objects(127),
            objects(128),
            "01".into(),
            "1.".into(),
            ".5".into(),
            "-".into(),
            "1e".into(),
            "+1".into(),
            "1e400".into(),
            "tru".into(),
            "nulls".into(),
            "\"\\ud800\"".into(),
            "\"\\ud800\\u0041\"".into(),
            "\"\\x\"".into(),
            "\"a\tb\"".into(),
            "{\"a\" 1}".into(),
            "{\"a\":1,}".into(),
            "[1,]".into(),
            "[,1]".into(),
            "{1:2}".into(),
            "\u{feff}[]".into(),
            " [ ] ".into(),
            "".into(),
        ]
        .into_iter()
        .map(String::into_bytes)
        .chain([b"\"\xff\"".to_vec(), b"[\"\xc3\"]".to_vec()])
        .collect();
        for document in &documents {
            let serde = serde_json::from_slice::<Value>(document).is_ok();
            let ours = json_stream(document, true, true).is_some();
            assert_eq!(ours, serde, "{}", String::from_utf8_lossy(document));
        }
    }

    #[test]
    fn a_body_that_is_not_one_json_value_is_not_streamed() {
        let deep = format!("{}{}", "[".repeat(128), "]".repeat(128));
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
