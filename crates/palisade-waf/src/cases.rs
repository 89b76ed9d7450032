//! Recorded requests to replay through a web ACL (`palisade waf test`):
//! each case is a request, optionally sent several times (to reach a rate
//! limit), with the action and terminating rule it should get. A unit test
//! for WAF rules that runs in CI.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Instant;

use serde::Deserialize;

use crate::eval::{Decision, Evaluator, Verdict};
use crate::inspect::WafRequest;

/// Cases files larger than this are refused.
pub const MAX_CASES_BYTES: usize = 16 << 20;
/// The most times one case may be sent.
pub const MAX_REPEAT: u32 = 100_000;

#[derive(Debug, thiserror::Error)]
#[error("{origin}: {message}")]
pub struct CasesError {
    pub origin: String,
    pub message: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    defaults: Defaults,
    cases: Vec<Case>,
}

/// What every case has unless it says otherwise: headers a real client
/// always sends (a user agent, an accept) and its address.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Defaults {
    #[serde(default)]
    headers: BTreeMap<String, String>,
    client_ip: Option<IpAddr>,
}

/// What a case expects the web ACL to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Expect {
    Allow,
    Block,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub name: String,
    #[serde(default = "get")]
    pub method: String,
    /// The path as sent, with its query string (`/items?id=1`).
    #[serde(default = "root")]
    pub path: String,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// The body as text.
    #[serde(default)]
    pub body: Option<String>,
    /// The body as JSON (sent with `Content-Type: application/json`).
    #[serde(default)]
    pub json: Option<serde_json::Value>,
    /// A body of this many `x` bytes (for size rules).
    #[serde(default)]
    pub body_size: Option<usize>,
    #[serde(default)]
    pub client_ip: Option<IpAddr>,
    /// How many times the request is sent; the last answer is checked.
    #[serde(default = "once")]
    pub repeat: u32,
    pub expect: Option<Expect>,
    /// The rule expected to decide (`Default_Action` for none): the web
    /// ACL's rule, or a group's rule as [`deciding_rule`] names it.
    pub expect_rule: Option<String>,
    /// Labels the request must carry (those of counted rules too).
    #[serde(default)]
    pub expect_labels: Vec<String>,
    /// For a case read from a go-ftw file: the CRS rule it tests.
    #[serde(skip)]
    pub crs_rule: Option<u64>,
}

fn get() -> String {
    "GET".to_string()
}
fn root() -> String {
    "/".to_string()
}
fn once() -> u32 {
    1
}

/// Reads a cases file (YAML or JSON).
pub fn parse_cases(text: &str, origin: &str) -> Result<Vec<Case>, CasesError> {
    let error = |message: String| CasesError {
        origin: origin.to_string(),
        message,
    };
    if text.len() > MAX_CASES_BYTES {
        return Err(error(format!("larger than {MAX_CASES_BYTES} bytes")));
    }
    let mut file: File = serde_yaml_ng::from_str(text).map_err(|e| {
        let at = e
            .location()
            .map(|l| format!("line {}, column {}: ", l.line(), l.column()))
            .unwrap_or_default();
        error(format!("{at}{e}"))
    })?;
    for (i, case) in file.cases.iter().enumerate() {
        if case.repeat == 0 || case.repeat > MAX_REPEAT {
            return Err(error(format!(
                "cases[{i}] ({:?}): repeat must be between 1 and {MAX_REPEAT}",
                case.name
            )));
        }
        let bodies = [
            case.body.is_some(),
            case.json.is_some(),
            case.body_size.is_some(),
        ];
        if bodies.iter().filter(|b| **b).count() > 1 {
            return Err(error(format!(
                "cases[{i}] ({:?}): give one of body, json and body_size",
                case.name
            )));
        }
        if case.body_size.is_some_and(|n| n > MAX_CASES_BYTES) {
            return Err(error(format!(
                "cases[{i}] ({:?}): body_size is at most {MAX_CASES_BYTES}",
                case.name
            )));
        }
    }
    for case in &mut file.cases {
        for (name, value) in &file.defaults.headers {
            // A case's own header wins, whatever its case.
            if !case.headers.keys().any(|k| k.eq_ignore_ascii_case(name)) {
                case.headers.insert(name.clone(), value.clone());
            }
        }
        if case.client_ip.is_none() {
            case.client_ip = file.defaults.client_ip;
        }
    }
    Ok(file.cases)
}

/// go-ftw's test files (the OWASP CRS regression tests): `rule_id`,
/// `tests[].stages[].input` (method, uri, headers, data, encoded_request)
/// and `output.log` (`expect_ids`: the rule must fire; `no_expect_ids`: it
/// must not).
#[derive(Debug, Deserialize)]
struct FtwFile {
    rule_id: Option<u64>,
    #[serde(default)]
    tests: Vec<FtwTest>,
}

#[derive(Debug, Deserialize)]
struct FtwTest {
    test_id: Option<u64>,
    #[serde(alias = "test_title", alias = "description")]
    desc: Option<String>,
    #[serde(default)]
    stages: Vec<FtwStage>,
}

#[derive(Debug, Deserialize)]
struct FtwStage {
    /// ftw v1 nests the stage one level deeper.
    stage: Option<Box<FtwStage>>,
    input: Option<FtwInput>,
    output: Option<FtwOutput>,
}

#[derive(Debug, Default, Deserialize)]
struct FtwInput {
    method: Option<String>,
    uri: Option<String>,
    #[serde(default)]
    headers: BTreeMap<String, serde_yaml_ng::Value>,
    data: Option<serde_yaml_ng::Value>,
    encoded_request: Option<String>,
    raw_request: Option<String>,
    autocomplete_headers: Option<bool>,
    stop_magic: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
struct FtwOutput {
    log: Option<FtwLog>,
    #[serde(default)]
    expect_ids: Vec<u64>,
    #[serde(default)]
    no_expect_ids: Vec<u64>,
}

#[derive(Debug, Default, Deserialize)]
struct FtwLog {
    #[serde(default)]
    expect_ids: Vec<u64>,
    #[serde(default)]
    no_expect_ids: Vec<u64>,
}

/// Whether a document is a go-ftw test file (rather than palisade's own
/// `cases:` file).
pub fn is_ftw(text: &str) -> bool {
    text.lines()
        .any(|l| l.starts_with("tests:") || l.starts_with("rule_id:"))
}

/// Reads a go-ftw test file into cases: each stage a request, expected to
/// be blocked when it lists `expect_ids` (the CRS rule would fire) and
/// allowed when it lists only `no_expect_ids`. Requests are built as go-ftw
/// sends them: form data URL-encoded unless it already is, multipart line
/// ends as CRLF, a raw `encoded_request` taken apart.
pub fn parse_ftw(text: &str, origin: &str) -> Result<Vec<Case>, CasesError> {
    let error = |message: String| CasesError {
        origin: origin.to_string(),
        message,
    };
    if text.len() > MAX_CASES_BYTES {
        return Err(error(format!("larger than {MAX_CASES_BYTES} bytes")));
    }
    // A file commented out whole is a file without tests.
    let file: Option<FtwFile> = serde_yaml_ng::from_str(text).map_err(|e| {
        let at = e
            .location()
            .map(|l| format!("line {}, column {}: ", l.line(), l.column()))
            .unwrap_or_default();
        error(format!("{at}{e}"))
    })?;
    let Some(file) = file else {
        return Ok(Vec::new());
    };
    let mut cases = Vec::new();
    for (t, test) in file.tests.iter().enumerate() {
        let id = test.test_id.unwrap_or(t as u64 + 1);
        for (n, stage) in test.stages.iter().enumerate() {
            let stage = stage.stage.as_deref().unwrap_or(stage);
            let Some(input) = &stage.input else { continue };
            let output = stage.output.as_ref();
            let log = output.and_then(|o| o.log.as_ref());
            let expect_ids = log
                .map(|l| l.expect_ids.as_slice())
                .filter(|l| !l.is_empty())
                .or(output.map(|o| o.expect_ids.as_slice()))
                .unwrap_or_default();
            let no_expect_ids = log
                .map(|l| l.no_expect_ids.as_slice())
                .filter(|l| !l.is_empty())
                .or(output.map(|o| o.no_expect_ids.as_slice()))
                .unwrap_or_default();
            let expect = if !expect_ids.is_empty() {
                Some(Expect::Block)
            } else if !no_expect_ids.is_empty() {
                Some(Expect::Allow)
            } else {
                None
            };
            let name = match &test.desc {
                Some(desc) => format!(
                    "{}-{id}{}: {}",
                    file.rule_id.unwrap_or_default(),
                    if test.stages.len() > 1 {
                        format!(".{}", n + 1)
                    } else {
                        String::new()
                    },
                    desc.trim()
                ),
                None => format!("{}-{id}", file.rule_id.unwrap_or_default()),
            };
            let mut case = ftw_request(input).map_err(|m| error(format!("{name}: {m}")))?;
            case.name = name;
            case.expect = expect;
            case.crs_rule = file.rule_id;
            cases.push(case);
        }
    }
    Ok(cases)
}

/// A header value as YAML gives it (numbers and booleans as written).
fn yaml_text(value: &serde_yaml_ng::Value) -> String {
    match value {
        serde_yaml_ng::Value::String(s) => s.clone(),
        serde_yaml_ng::Value::Number(n) => n.to_string(),
        serde_yaml_ng::Value::Bool(b) => b.to_string(),
        serde_yaml_ng::Value::Null => String::new(),
        serde_yaml_ng::Value::Sequence(items) => {
            items.iter().map(yaml_text).collect::<Vec<_>>().join("\r\n")
        }
        other => serde_yaml_ng::to_string(other).unwrap_or_default(),
    }
}

fn ftw_request(input: &FtwInput) -> Result<Case, String> {
    let raw = match (&input.encoded_request, &input.raw_request) {
        (Some(encoded), _) => Some({
            let compact: Vec<u8> = encoded
                .bytes()
                .filter(|b| !b.is_ascii_whitespace())
                .collect();
            match crate::transform::Transform::Base64Decode.apply(&compact) {
                std::borrow::Cow::Owned(bytes) => bytes,
                std::borrow::Cow::Borrowed(_) => return Err("encoded_request is not base64".into()),
            }
        }),
        (None, Some(raw)) => Some(raw.clone().into_bytes()),
        (None, None) => None,
    };
    if let Some(raw) = raw {
        return raw_case(&raw);
    }
    let mut headers: BTreeMap<String, String> = input
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), yaml_text(v)))
        .collect();
    let autocomplete = input.autocomplete_headers.unwrap_or(true) && input.stop_magic != Some(true);
    let mut body = input.data.as_ref().map(yaml_text);
    let content_type = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| v.to_ascii_lowercase());
    if let Some(data) = &mut body
        && !data.is_empty()
        && autocomplete
    {
        match content_type.as_deref() {
            None => {
                headers.insert(
                    "Content-Type".to_string(),
                    "application/x-www-form-urlencoded".to_string(),
                );
                *data = form_encoded(data);
            }
            Some(t) if t.starts_with("application/x-www-form-urlencoded") => {
                *data = form_encoded(data);
            }
            Some(t) if t.starts_with("multipart/form-data") => {
                *data = data.replace("\r\n", "\n").replace('\n', "\r\n");
            }
            Some(_) => {}
        }
    }
    Ok(Case {
        name: String::new(),
        method: input.method.clone().unwrap_or_else(get),
        path: input.uri.clone().unwrap_or_else(root),
        headers,
        body,
        json: None,
        body_size: None,
        client_ip: None,
        repeat: 1,
        expect: None,
        expect_rule: None,
        expect_labels: Vec::new(),
        crs_rule: None,
    })
}

/// `k=v&...` with each key and value URL-encoded, as go-ftw sends form data
/// that is not already encoded (decoding it changes nothing).
fn form_encoded(data: &str) -> String {
    let decoded = crate::transform::Transform::UrlDecode.apply(data.as_bytes());
    if decoded.as_ref() != data.as_bytes() {
        return data.to_string();
    }
    let escape = |part: &str| {
        let mut out = String::with_capacity(part.len());
        for b in part.bytes() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    out.push(b as char);
                }
                b' ' => out.push('+'),
                _ => out.push_str(&format!("%{b:02X}")),
            }
        }
        out
    };
    data.split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) => format!("{}={}", escape(k), escape(v)),
            None => escape(pair),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// A case from a raw HTTP request.
fn raw_case(raw: &[u8]) -> Result<Case, String> {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = match text.find("\r\n\r\n") {
        Some(at) => (&text[..at], &text[at + 4..]),
        None => match text.find("\n\n") {
            Some(at) => (&text[..at], &text[at + 2..]),
            None => (&text[..], ""),
        },
    };
    let mut lines = head.lines();
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or("GET").to_string();
    let path = parts.next().unwrap_or("/").to_string();
    let mut headers = BTreeMap::new();
    for line in lines {
        if let Some((k, v)) = line.split_once(':') {
            headers.insert(k.trim().to_string(), v.trim().to_string());
        }
    }
    Ok(Case {
        name: String::new(),
        method,
        path,
        headers,
        body: (!body.is_empty()).then(|| body.to_string()),
        json: None,
        body_size: None,
        client_ip: None,
        repeat: 1,
        expect: None,
        expect_rule: None,
        expect_labels: Vec::new(),
        crs_rule: None,
    })
}

/// The rule that decided, as AWS WAF's logs and console name it: a rule
/// group's rule as `<group>#<rule>` (`AWS#AWSManagedRulesCommonRuleSet#
/// NoUserAgent_HEADER`, or the group's ARN then the rule), any other rule
/// by its name, and `Default_Action` when none did.
pub fn deciding_rule(verdict: &Verdict) -> String {
    match (&verdict.terminating_group, &verdict.terminating_group_rule) {
        (Some(group), Some(rule)) => format!("{group}#{rule}"),
        _ => verdict
            .terminating_rule
            .clone()
            .unwrap_or_else(|| "Default_Action".to_string()),
    }
}

/// A case's result.
#[derive(Debug)]
pub struct Outcome {
    pub verdict: Verdict,
    /// What differed from the expectation, if anything.
    pub mismatch: Option<String>,
}

/// Sends every case through `evaluator`, in order (rate-based rules see
/// the earlier cases' requests).
pub fn run(evaluator: &Evaluator, cases: &[Case]) -> Vec<Outcome> {
    run_with(evaluator, cases, |_, _| {})
}

/// [`run`], handing each request and its verdict to `each` as it is
/// decided (to log them).
pub fn run_with(
    evaluator: &Evaluator,
    cases: &[Case],
    mut each: impl FnMut(&WafRequest<'_>, &Verdict),
) -> Vec<Outcome> {
    cases
        .iter()
        .map(|case| {
            let (path, query) = case.path.split_once('?').unwrap_or((&case.path, ""));
            let body = match (&case.json, &case.body, case.body_size) {
                (Some(json), _, _) => json.to_string(),
                (None, Some(body), _) => body.clone(),
                (None, None, Some(n)) => "x".repeat(n),
                (None, None, None) => String::new(),
            };
            let mut headers: Vec<(&str, &str)> = case
                .headers
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            if case.json.is_some()
                && !headers
                    .iter()
                    .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            {
                headers.push(("content-type", "application/json"));
            }
            let request = WafRequest {
                method: &case.method,
                uri_path: path,
                query,
                headers,
                body: body.as_bytes(),
                client_ip: case.client_ip,
            };
            let mut verdict = evaluator.evaluate_at(&request, Instant::now());
            for _ in 1..case.repeat {
                verdict = evaluator.evaluate_at(&request, Instant::now());
            }
            each(&request, &verdict);
            let action = match verdict.decision {
                Decision::Allow => Expect::Allow,
                Decision::Block(_) => Expect::Block,
            };
            let rule = verdict
                .terminating_rule
                .as_deref()
                .unwrap_or("Default_Action");
            let mut mismatch = Vec::new();
            if let Some(expected) = case.expect
                && expected != action
            {
                mismatch.push(format!("expected {expected:?}, got {action:?}"));
            }
            let decided = deciding_rule(&verdict);
            if let Some(expected) = &case.expect_rule
                && expected != rule
                && *expected != decided
            {
                mismatch.push(format!("expected rule {expected:?}, got {decided:?}"));
            }
            let missing: Vec<&str> = case
                .expect_labels
                .iter()
                .filter(|l| !verdict.labels.contains(l))
                .map(String::as_str)
                .collect();
            if !missing.is_empty() {
                mismatch.push(format!("expected label(s) {}", missing.join(", ")));
            }
            Outcome {
                verdict,
                mismatch: (!mismatch.is_empty()).then(|| mismatch.join("; ")),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Sets, WebAcl};

    const ACL: &str = r#"{"Name": "t", "DefaultAction": {"Allow": {}}, "Rules": [
      {"Name": "limit", "Priority": 0, "Action": {"Block": {}},
       "Statement": {"RateBasedStatement": {"Limit": 2, "EvaluationWindowSec": 60, "AggregateKeyType": "IP"}}},
      {"Name": "sqli", "Priority": 1, "Action": {"Block": {}},
       "Statement": {"SqliMatchStatement": {"FieldToMatch": {"QueryString": {}},
         "TextTransformations": [{"Priority": 0, "Type": "URL_DECODE"}]}}}]}"#;

    #[test]
    fn cases_replay_in_order_and_report_mismatches() {
        let cases = parse_cases(
            r#"
cases:
  - name: attack
    path: /items?id=1%20or%201=1
    client_ip: 192.0.2.1
    expect: BLOCK
    expect_rule: sqli
  - name: wrong expectation
    path: /items?id=5
    client_ip: 192.0.2.2
    expect: BLOCK
  - name: third from one address
    client_ip: 192.0.2.1
    repeat: 2
    expect: BLOCK
    expect_rule: limit
"#,
            "cases.yaml",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let acl = WebAcl::parse(ACL, "acl.json").unwrap_or_else(|e| panic!("{e}"));
        let evaluator = Evaluator::new(acl, &Sets::default()).unwrap_or_else(|e| panic!("{e}"));
        let outcomes = run(&evaluator, &cases);
        assert_eq!(outcomes[0].mismatch, None);
        assert_eq!(
            outcomes[1].mismatch.as_deref(),
            Some("expected Block, got Allow")
        );
        assert_eq!(outcomes[2].mismatch, None, "{:?}", outcomes[2].verdict);
    }

    #[test]
    fn defaults_fill_what_a_case_leaves_out() {
        let cases = parse_cases(
            "defaults:\n  headers: {user-agent: curl/8.5.0, accept: '*/*'}\n  client_ip: 192.0.2.9\ncases:\n  - name: a\n  - name: b\n    headers: {User-Agent: own}\n    client_ip: 192.0.2.10\n",
            "c.yaml",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            cases[0].headers.get("user-agent").map(String::as_str),
            Some("curl/8.5.0")
        );
        assert_eq!(cases[0].client_ip, "192.0.2.9".parse().ok());
        assert_eq!(
            cases[1].headers.get("User-Agent").map(String::as_str),
            Some("own")
        );
        assert_eq!(cases[1].headers.get("user-agent"), None);
        assert_eq!(
            cases[1].headers.get("accept").map(String::as_str),
            Some("*/*")
        );
        assert_eq!(cases[1].client_ip, "192.0.2.10".parse().ok());
    }

    #[test]
    fn unknown_fields_and_bad_repeats_are_errors_naming_the_file() {
        let err = parse_cases("cases:\n  - name: a\n    pathh: /\n", "c.yaml")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.starts_with("c.yaml: line 3"), "{err}");
        assert!(err.contains("pathh"), "{err}");
        let err = parse_cases("cases:\n  - name: a\n    repeat: 0\n", "c.yaml")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("repeat must be between 1"), "{err}");
    }
}
