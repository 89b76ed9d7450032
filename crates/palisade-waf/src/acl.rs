//! The web ACL document as AWS WAF exports it (`aws wafv2 get-web-acl`, or
//! the console's JSON editor): rules with their statements, actions and
//! labels, the default action and the custom response bodies. Every field
//! is checked: an unknown statement or field is an error naming the rule and
//! the path to the field, never silently ignored.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::transform::Transform;

/// Why a web ACL could not be read.
#[derive(Debug, thiserror::Error)]
pub enum AclError {
    #[error("{origin}:{line}:{column}: invalid JSON: {message}")]
    Json {
        origin: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{origin}: {path}: {message}")]
    Field {
        origin: String,
        path: String,
        message: String,
    },
    #[error("{origin}: rule {name:?} (Rules[{index}]): {path}: {message}")]
    Rule {
        origin: String,
        index: usize,
        name: String,
        path: String,
        message: String,
    },
}

/// Fields of an export that describe the ACL in AWS and do not change what
/// it does here.
const METADATA: [&str; 16] = [
    "Id",
    "ARN",
    "Description",
    "Capacity",
    "LockToken",
    "ManagedByFirewallManager",
    "LabelNamespace",
    "PreProcessFirewallManagerRuleGroups",
    "PostProcessFirewallManagerRuleGroups",
    "RetrofittedByFirewallManager",
    "TokenDomains",
    "AssociationConfig",
    "CaptchaConfig",
    "ChallengeConfig",
    "VisibilityConfig",
    "ApplicationConfig",
];

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Rule {
    pub name: String,
    pub priority: i64,
    pub statement: Statement,
    pub action: Option<Action>,
    pub override_action: Option<Value>,
    #[serde(default)]
    pub rule_labels: Vec<Label>,
    pub visibility_config: Option<Value>,
    pub captcha_config: Option<Value>,
    pub challenge_config: Option<Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Label {
    pub name: String,
}

/// What a rule does when its statement matches.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Action {
    Block(#[serde(default)] BlockAction),
    Allow(#[serde(default)] AllowAction),
    Count(#[serde(default)] AllowAction),
    /// Acts as Block here (no CAPTCHA service), noted in the log.
    Captcha(#[serde(default)] AllowAction),
    /// Acts as Block here, noted in the log.
    Challenge(#[serde(default)] AllowAction),
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct BlockAction {
    pub custom_response: Option<CustomResponse>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct AllowAction {
    pub custom_request_handling: Option<CustomRequestHandling>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct CustomResponse {
    pub response_code: u16,
    pub custom_response_body_key: Option<String>,
    #[serde(default)]
    pub response_headers: Vec<NamedValue>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct CustomRequestHandling {
    pub insert_headers: Vec<NamedValue>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct NamedValue {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ResponseBody {
    pub content_type: String,
    pub content: String,
}

/// The statements of the issue's scope, by their JSON names.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Statement {
    ByteMatchStatement(ByteMatch),
    RegexMatchStatement(RegexMatch),
    RegexPatternSetReferenceStatement(RegexSetReference),
    SizeConstraintStatement(SizeConstraint),
    SqliMatchStatement(SqliMatch),
    XssMatchStatement(Inspect),
    #[serde(rename = "IPSetReferenceStatement")]
    IpSetReferenceStatement(IpSetReference),
    GeoMatchStatement(GeoMatch),
    LabelMatchStatement(LabelMatch),
    AndStatement(Statements),
    OrStatement(Statements),
    NotStatement(Negation),
    RateBasedStatement(Box<RateBased>),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Statements {
    pub statements: Vec<Statement>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Negation {
    pub statement: Box<Statement>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ByteMatch {
    pub search_string: Option<String>,
    pub search_string_base64: Option<String>,
    pub field_to_match: FieldToMatch,
    #[serde(deserialize_with = "by_priority")]
    pub text_transformations: Vec<TextTransformation>,
    pub positional_constraint: Position,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Position {
    Exactly,
    StartsWith,
    EndsWith,
    Contains,
    ContainsWord,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct RegexMatch {
    pub regex_string: String,
    pub field_to_match: FieldToMatch,
    #[serde(deserialize_with = "by_priority")]
    pub text_transformations: Vec<TextTransformation>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct RegexSetReference {
    #[serde(rename = "ARN")]
    pub arn: String,
    pub field_to_match: FieldToMatch,
    #[serde(deserialize_with = "by_priority")]
    pub text_transformations: Vec<TextTransformation>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct SizeConstraint {
    pub field_to_match: FieldToMatch,
    pub comparison_operator: Comparison,
    pub size: u64,
    #[serde(deserialize_with = "by_priority")]
    pub text_transformations: Vec<TextTransformation>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Comparison {
    Eq,
    Ne,
    Le,
    Lt,
    Ge,
    Gt,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct SqliMatch {
    pub field_to_match: FieldToMatch,
    #[serde(deserialize_with = "by_priority")]
    pub text_transformations: Vec<TextTransformation>,
    #[serde(default)]
    pub sensitivity_level: Sensitivity,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Sensitivity {
    #[default]
    Low,
    High,
}

/// A component and its transformations (XSS match).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Inspect {
    pub field_to_match: FieldToMatch,
    #[serde(deserialize_with = "by_priority")]
    pub text_transformations: Vec<TextTransformation>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct IpSetReference {
    #[serde(rename = "ARN")]
    pub arn: String,
    #[serde(rename = "IPSetForwardedIPConfig")]
    pub ip_set_forwarded_ip_config: Option<ForwardedIp>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct GeoMatch {
    pub country_codes: Vec<String>,
    #[serde(rename = "ForwardedIPConfig")]
    pub forwarded_ip_config: Option<ForwardedIp>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ForwardedIp {
    pub header_name: String,
    pub fallback_behavior: Fallback,
    /// Only in IP set references: FIRST, LAST or ANY address of the header.
    pub position: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Fallback {
    Match,
    NoMatch,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct LabelMatch {
    pub scope: LabelScope,
    pub key: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum LabelScope {
    Label,
    Namespace,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct RateBased {
    pub limit: u64,
    #[serde(default = "default_window")]
    pub evaluation_window_sec: u64,
    pub aggregate_key_type: AggregateKey,
    pub scope_down_statement: Option<Statement>,
    #[serde(rename = "ForwardedIPConfig")]
    pub forwarded_ip_config: Option<ForwardedIp>,
    #[serde(default)]
    pub custom_keys: Vec<CustomKey>,
}

/// One part of a rate-based rule's CUSTOM_KEYS aggregation key.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum CustomKey {
    Header(NamedKey),
    Cookie(NamedKey),
    QueryArgument(NamedKey),
    QueryString(TransformedKey),
    UriPath(TransformedKey),
    #[serde(rename = "HTTPMethod")]
    HttpMethod(Empty),
    #[serde(rename = "ForwardedIP")]
    ForwardedIp(Empty),
    #[serde(rename = "IP")]
    Ip(Empty),
    LabelNamespace(LabelNamespace),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct NamedKey {
    pub name: String,
    #[serde(deserialize_with = "by_priority")]
    pub text_transformations: Vec<TextTransformation>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct TransformedKey {
    #[serde(deserialize_with = "by_priority")]
    pub text_transformations: Vec<TextTransformation>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct LabelNamespace {
    pub namespace: String,
}

fn default_window() -> u64 {
    300
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AggregateKey {
    Ip,
    ForwardedIp,
    Constant,
    CustomKeys,
}

/// The part of a request a statement inspects.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum FieldToMatch {
    UriPath(Empty),
    QueryString(Empty),
    SingleQueryArgument(Named),
    AllQueryArguments(Empty),
    SingleHeader(Named),
    Headers(HeadersMatch),
    Cookies(CookiesMatch),
    Method(Empty),
    Body(#[serde(default)] Oversize),
    JsonBody(JsonBodyMatch),
}

/// Which part of a header, cookie or JSON entry is inspected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum MatchScope {
    All,
    Key,
    Value,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct HeadersMatch {
    pub match_pattern: HeaderPattern,
    pub match_scope: MatchScope,
    pub oversize_handling: Option<OversizeHandling>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct HeaderPattern {
    pub all: Option<Empty>,
    pub included_headers: Option<Vec<String>>,
    pub excluded_headers: Option<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct CookiesMatch {
    pub match_pattern: CookiePattern,
    pub match_scope: MatchScope,
    pub oversize_handling: Option<OversizeHandling>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct CookiePattern {
    pub all: Option<Empty>,
    pub included_cookies: Option<Vec<String>>,
    pub excluded_cookies: Option<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct JsonBodyMatch {
    pub match_pattern: JsonPattern,
    pub match_scope: MatchScope,
    pub invalid_fallback_behavior: Option<InvalidFallback>,
    pub oversize_handling: Option<OversizeHandling>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct JsonPattern {
    pub all: Option<Empty>,
    /// JSON pointers.
    pub included_paths: Option<Vec<String>>,
}

/// What a JSON body that does not parse does to the statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum InvalidFallback {
    Match,
    NoMatch,
    EvaluateAsString,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Empty {}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Named {
    pub name: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Oversize {
    pub oversize_handling: Option<OversizeHandling>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OversizeHandling {
    Continue,
    Match,
    NoMatch,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct TextTransformation {
    pub priority: i64,
    #[serde(rename = "Type", deserialize_with = "transform_name")]
    pub kind: Transform,
}

/// Transformations in `Priority` order, the order they are applied in.
fn by_priority<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Vec<TextTransformation>, D::Error> {
    let mut list = Vec::<TextTransformation>::deserialize(d)?;
    list.sort_by_key(|t| t.priority);
    Ok(list)
}

fn transform_name<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Transform, D::Error> {
    let name = String::deserialize(d)?;
    Transform::parse(&name)
        .ok_or_else(|| serde::de::Error::custom(format!("unknown text transformation {name:?}")))
}

/// A web ACL, rules in evaluation (priority) order.
#[derive(Debug, Clone)]
pub struct WebAcl {
    pub name: String,
    pub default_action: Action,
    pub rules: Vec<Rule>,
    pub response_bodies: BTreeMap<String, ResponseBody>,
}

impl WebAcl {
    /// Reads a web ACL document: the ACL itself, or `get-web-acl`'s answer
    /// (`{"WebACL": {...}, "LockToken": ...}`).
    pub fn parse(text: &str, origin: &str) -> Result<WebAcl, AclError> {
        let mut document: Value = serde_json::from_str(text).map_err(|e| AclError::Json {
            origin: origin.to_string(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        if let Some(inner) = document.get_mut("WebACL").map(Value::take) {
            document = inner;
        }
        let field = |path: &str, message: String| AclError::Field {
            origin: origin.to_string(),
            path: path.to_string(),
            message,
        };
        let Value::Object(mut map) = document else {
            return Err(field("", "expected a web ACL object".to_string()));
        };
        for key in map.keys() {
            let known = ["Name", "DefaultAction", "Rules", "CustomResponseBodies"];
            if !known.contains(&key.as_str()) && !METADATA.contains(&key.as_str()) {
                return Err(field(key, format!("unknown field {key:?}")));
            }
        }
        let name = match map.remove("Name") {
            Some(Value::String(s)) => s,
            _ => return Err(field("Name", "missing, or not a string".to_string())),
        };
        let default_action = map
            .remove("DefaultAction")
            .ok_or_else(|| field("DefaultAction", "missing".to_string()))
            .and_then(|v| {
                typed::<Action>(v).map_err(|(p, m)| field(&join("DefaultAction", &p), m))
            })?;
        let response_bodies = match map.remove("CustomResponseBodies") {
            None => BTreeMap::new(),
            Some(v) => typed::<BTreeMap<String, ResponseBody>>(v)
                .map_err(|(p, m)| field(&join("CustomResponseBodies", &p), m))?,
        };
        let raw_rules = match map.remove("Rules") {
            None => Vec::new(),
            Some(Value::Array(rules)) => rules,
            Some(_) => return Err(field("Rules", "expected a list".to_string())),
        };
        let mut rules = Vec::with_capacity(raw_rules.len());
        for (index, raw) in raw_rules.into_iter().enumerate() {
            let name = raw
                .get("Name")
                .and_then(Value::as_str)
                .unwrap_or("(unnamed)")
                .to_string();
            let rule = typed::<Rule>(raw).map_err(|(path, message)| AclError::Rule {
                origin: origin.to_string(),
                index,
                name: name.clone(),
                path,
                message,
            })?;
            rules.push(rule);
        }
        rules.sort_by_key(|r| r.priority);
        let acl = WebAcl {
            name,
            default_action,
            rules,
            response_bodies,
        };
        acl.check_references(origin)?;
        Ok(acl)
    }

    /// Custom responses must name bodies the ACL defines, and each rule must
    /// act (Action; OverrideAction is for rule groups, not supported here).
    fn check_references(&self, origin: &str) -> Result<(), AclError> {
        for (index, rule) in self.rules.iter().enumerate() {
            let fail = |path: &str, message: String| AclError::Rule {
                origin: origin.to_string(),
                index,
                name: rule.name.clone(),
                path: path.to_string(),
                message,
            };
            let Some(action) = &rule.action else {
                return Err(fail("Action", "missing (OverrideAction is for rule group references, which are not supported)".to_string()));
            };
            if let Action::Block(BlockAction {
                custom_response: Some(response),
            }) = action
                && let Some(key) = &response.custom_response_body_key
                && !self.response_bodies.contains_key(key)
            {
                return Err(fail(
                    "Action.Block.CustomResponse.CustomResponseBodyKey",
                    format!("no custom response body {key:?} in CustomResponseBodies"),
                ));
            }
        }
        Ok(())
    }
}

fn join(prefix: &str, path: &str) -> String {
    if path.is_empty() || path == "." {
        prefix.to_string()
    } else {
        format!("{prefix}.{path}")
    }
}

/// Deserializes `value`, or says where (a dotted path) and why not.
fn typed<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, (String, String)> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        (path, e.into_inner().to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The seed's three rules: a body size limit, SQL injection in the URI
    /// path and query string, and a rate limit with a custom response.
    const SEED: &str = r#"{
      "Name": "wild-rydes-acl",
      "Id": "a1b2", "ARN": "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/wild-rydes-acl/a1b2",
      "DefaultAction": {"Allow": {}},
      "Rules": [
        {"Name": "rate-limit", "Priority": 2,
         "Statement": {"RateBasedStatement": {"Limit": 100, "EvaluationWindowSec": 60, "AggregateKeyType": "IP"}},
         "Action": {"Block": {"CustomResponse": {"ResponseCode": 429, "CustomResponseBodyKey": "slow-down",
            "ResponseHeaders": [{"Name": "retry-after", "Value": "60"}]}}},
         "VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "rate"}},
        {"Name": "body-size", "Priority": 0,
         "Statement": {"SizeConstraintStatement": {"FieldToMatch": {"Body": {"OversizeHandling": "MATCH"}},
            "ComparisonOperator": "GT", "Size": 8192, "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}},
         "Action": {"Block": {}}},
        {"Name": "sqli", "Priority": 1,
         "Statement": {"OrStatement": {"Statements": [
            {"SqliMatchStatement": {"FieldToMatch": {"UriPath": {}}, "TextTransformations": [{"Priority": 0, "Type": "URL_DECODE"}]}},
            {"SqliMatchStatement": {"FieldToMatch": {"QueryString": {}}, "SensitivityLevel": "HIGH",
               "TextTransformations": [{"Priority": 1, "Type": "HTML_ENTITY_DECODE"}, {"Priority": 0, "Type": "URL_DECODE"}]}}]}},
         "Action": {"Block": {}}, "RuleLabels": [{"Name": "awswaf:sqli"}]}
      ],
      "CustomResponseBodies": {"slow-down": {"ContentType": "APPLICATION_JSON", "Content": "{\"message\": \"slow down\"}"}},
      "VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "acl"}
    }"#;

    #[test]
    fn the_seed_acl_reads_in_priority_order() {
        let acl = WebAcl::parse(SEED, "acl.json").unwrap_or_else(|e| panic!("{e}"));
        let names: Vec<&str> = acl.rules.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["body-size", "sqli", "rate-limit"]);
        let Statement::RateBasedStatement(rate) = &acl.rules[2].statement else {
            panic!("not rate based");
        };
        assert_eq!(
            (
                rate.limit,
                rate.evaluation_window_sec,
                rate.aggregate_key_type
            ),
            (100, 60, AggregateKey::Ip)
        );
        let Statement::OrStatement(or) = &acl.rules[1].statement else {
            panic!("not or");
        };
        let Statement::SqliMatchStatement(high) = &or.statements[1] else {
            panic!("not sqli");
        };
        assert_eq!(high.sensitivity_level, Sensitivity::High);
        assert_eq!(
            high.text_transformations[1].kind,
            Transform::HtmlEntityDecode
        );
        assert_eq!(acl.rules[1].rule_labels[0].name, "awswaf:sqli");
        assert!(matches!(acl.default_action, Action::Allow(_)));
        assert_eq!(
            acl.response_bodies["slow-down"].content,
            r#"{"message": "slow down"}"#
        );
        let wrapped = format!(r#"{{"WebACL": {SEED}, "LockToken": "t"}}"#);
        assert_eq!(
            WebAcl::parse(&wrapped, "acl.json")
                .map(|a| a.rules.len())
                .ok(),
            Some(3)
        );
    }

    fn refusal(text: &str) -> String {
        match WebAcl::parse(text, "acl.json") {
            Ok(_) => panic!("accepted"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn unknown_statements_and_fields_name_the_rule_and_the_path() {
        let unknown = SEED.replace("SizeConstraintStatement", "SizeLimitStatement");
        let err = refusal(&unknown);
        assert!(err.contains("rule \"body-size\" (Rules[1])"), "{err}");
        assert!(err.contains("SizeLimitStatement"), "{err}");
        let typo = SEED.replace(
            "\"ComparisonOperator\": \"GT\"",
            "\"ComparisonOperator\": \"GT\", \"Sise\": 1",
        );
        let err = refusal(&typo);
        assert!(err.contains("Statement.SizeConstraintStatement"), "{err}");
        assert!(err.contains("Sise"), "{err}");
        let transform = SEED.replace("\"HTML_ENTITY_DECODE\"", "\"HTML_DECODE\"");
        let err = refusal(&transform);
        assert!(
            err.contains("rule \"sqli\"") && err.contains("HTML_DECODE"),
            "{err}"
        );
        let body = SEED.replace(
            "\"CustomResponseBodyKey\": \"slow-down\"",
            "\"CustomResponseBodyKey\": \"missing\"",
        );
        let err = refusal(&body);
        assert!(err.contains("no custom response body \"missing\""), "{err}");
        let pattern = SEED.replace(
            "{\"UriPath\": {}}",
            "{\"Headers\": {\"MatchPattern\": {\"IncludedHeader\": [\"a\"]}, \"MatchScope\": \"ALL\"}}",
        );
        let err = refusal(&pattern);
        assert!(
            err.contains("Statement.OrStatement.Statements[0].SqliMatchStatement.FieldToMatch"),
            "{err}"
        );
        assert!(err.contains("IncludedHeader"), "{err}");
        let top = SEED.replace("\"Id\": \"a1b2\"", "\"Idd\": \"a1b2\"");
        let err = refusal(&top);
        assert!(err.contains("unknown field \"Idd\""), "{err}");
        let json = refusal("{\n \"Name\": ");
        assert!(json.starts_with("acl.json:2:"), "{json}");
    }
}
