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
    cases: Vec<Case>,
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
    /// The rule expected to decide (`Default_Action` for none).
    pub expect_rule: Option<String>,
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
    let file: File = serde_yaml_ng::from_str(text).map_err(|e| {
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
    Ok(file.cases)
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
            if let Some(expected) = &case.expect_rule
                && expected != rule
            {
                mismatch.push(format!("expected rule {expected:?}, got {rule:?}"));
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
