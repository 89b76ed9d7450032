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
const METADATA: [&str; 21] = [
    "Id",
    "ARN",
    "Arn",
    "Scope",
    "Tags",
    "DataProtectionConfig",
    "OnSourceDDoSProtectionConfig",
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
    /// For a rule whose statement is a rule group: `None` (the group's
    /// own actions) or `Count` (every terminating action counted instead).
    pub override_action: Option<OverrideAction>,
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

/// What a rule group's rules do, from the referencing rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum OverrideAction {
    None(#[serde(default)] Empty),
    Count(#[serde(default)] Empty),
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
    ManagedRuleGroupStatement(Box<ManagedGroup>),
    RuleGroupReferenceStatement(Box<GroupReference>),
    AsnMatchStatement(AsnMatch),
}

/// A managed rule group: AWS's (`VendorName: AWS`), implemented here, or
/// palisade's own (`VendorName: palisade`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ManagedGroup {
    pub vendor_name: String,
    pub name: String,
    /// Accepted and recorded: palisade ships one version of each group.
    pub version: Option<String>,
    /// Rules whose action becomes Count (AWS's older form of an override).
    #[serde(default)]
    pub excluded_rules: Vec<Named>,
    pub scope_down_statement: Option<Box<Statement>>,
    /// Configuration of groups that need it (Bot Control, ATP, ACFP):
    /// recorded, as those groups cannot run here.
    #[serde(default)]
    pub managed_rule_group_configs: Vec<Value>,
    #[serde(default)]
    pub rule_action_overrides: Vec<ActionOverride>,
}

/// A rule group of your own, by the ARN its file carries.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct GroupReference {
    #[serde(rename = "ARN", alias = "Arn")]
    pub arn: String,
    #[serde(default)]
    pub excluded_rules: Vec<Named>,
    #[serde(default)]
    pub rule_action_overrides: Vec<ActionOverride>,
}

/// One rule of a group given another action.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ActionOverride {
    pub name: String,
    pub action_to_use: Action,
}

/// The client's autonomous system, looked up in a MaxMind-format ASN
/// database.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct AsnMatch {
    pub asn_list: Vec<u64>,
    #[serde(rename = "ForwardedIPConfig")]
    pub forwarded_ip_config: Option<ForwardedIp>,
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
    #[serde(rename = "ARN", alias = "Arn")]
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
    #[serde(rename = "ARN", alias = "Arn")]
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
    /// The header names in order, `:`-separated (`host:user-agent:accept`).
    HeaderOrder(Oversize),
    /// The URI fragment: never sent to a server, so always empty here.
    UriFragment(#[serde(default)] FallbackOnly),
    #[serde(rename = "JA3Fingerprint")]
    Ja3Fingerprint(FallbackOnly),
    #[serde(rename = "JA4Fingerprint")]
    Ja4Fingerprint(FallbackOnly),
}

/// A component that may be missing, and what a statement then says.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct FallbackOnly {
    pub fallback_behavior: Option<Fallback>,
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

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
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

/// How a document writes binary fields (a byte match's `SearchString`):
/// the AWS API and CLI write them base64-encoded, CloudFormation as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blobs {
    /// API / CLI JSON (`get-web-acl`, `--cli-input-json`, the console's
    /// JSON): base64, though the console also shows plain text; a string
    /// that does not decode to text is read as the text it is, with a
    /// warning.
    Api,
    /// CloudFormation (`AWS::WAFv2::WebACL` properties, YAML or JSON) and
    /// palisade's own rule group files: plain text.
    Text,
}

/// How strictly a document is read.
#[derive(Debug, Clone, Copy, Default)]
pub struct ParseOptions {
    /// Refuse fields palisade does not know (otherwise each is a warning
    /// naming its path, and the field is left out).
    pub strict: bool,
}

/// A web ACL, rules in evaluation (priority) order.
#[derive(Debug, Clone)]
pub struct WebAcl {
    pub name: String,
    /// The ACL's ARN when the document holds one (`get-web-acl` output):
    /// AWS WAF logs name the ACL by it.
    pub arn: Option<String>,
    pub default_action: Action,
    pub rules: Vec<Rule>,
    pub response_bodies: BTreeMap<String, ResponseBody>,
    pub blobs: Blobs,
    /// What was read but does not change what the ACL does here, each
    /// naming its place in the document.
    pub warnings: Vec<String>,
    /// Read with [`ParseOptions::strict`]: what would be a warning when
    /// compiling (a group that cannot run here) is an error.
    pub strict: bool,
}

/// The most unknown fields one document may have before it is refused.
const MAX_UNKNOWN_FIELDS: usize = 256;

/// A document's JSON (a CloudFormation template or properties object may
/// be YAML) and how it writes blobs; a template's (or `get-web-acl`'s)
/// wrapper is taken off, down to the object of `type_name`.
/// Terraform's `aws_wafv2_web_acl` where it holds AWS's own JSON: its
/// `rule_json` (a string holding the `Rules` list, as `CreateWebACL` takes
/// it, search strings base64), in a `.tf.json` configuration or in
/// `terraform show -json` state or plan output; and that list alone.
/// Terraform's HCL-shaped `rule` blocks are a different shape and are
/// refused with a hint, never half read.
mod terraform {
    use serde_json::{Map, Value, json};

    const TYPE: &str = "aws_wafv2_web_acl";

    /// The web ACL a Terraform document describes, as AWS's JSON; `None`
    /// when the document is not Terraform's.
    pub(super) fn web_acl(
        document: &Value,
    ) -> Result<Option<Map<String, Value>>, (String, String)> {
        if let Value::Array(rules) = document {
            // `rule_json`'s content alone: the rules, without a web ACL.
            return Ok(Some(acl(
                "rules",
                &Value::Object(Map::new()),
                Value::Array(rules.clone()),
            )?));
        }
        let mut found: Vec<(String, &Value)> = Vec::new();
        if let Some(resources) = document
            .get("resource")
            .and_then(|r| r.get(TYPE))
            .and_then(Value::as_object)
        {
            found.extend(
                resources
                    .iter()
                    .map(|(name, body)| (format!("resource/{TYPE}/{name}"), body)),
            );
        }
        for top in ["values", "planned_values"] {
            if let Some(module) = document.get(top).and_then(|v| v.get("root_module")) {
                collect(module, &format!("{top}/root_module"), &mut found);
            }
        }
        let terraform = document.get("resource").is_some()
            || document.get("format_version").is_some()
                && document.get("terraform_version").is_some();
        match found.as_slice() {
            [] if terraform => Err((
                String::new(),
                format!("a Terraform document without an {TYPE} resource"),
            )),
            [] => Ok(None),
            [(path, body)] => {
                let rules = match body.get("rule_json").and_then(Value::as_str) {
                    Some(text) if !text.trim().is_empty() => serde_json::from_str::<Value>(text)
                        .map_err(|e| (format!("{path}/rule_json"), format!("not JSON: {e}")))?,
                    _ => {
                        let blocks = body
                            .get("rule")
                            .and_then(Value::as_array)
                            .is_some_and(|r| !r.is_empty())
                            || body.get("rule").is_some_and(Value::is_object);
                        if blocks {
                            return Err((
                                format!("{path}/rule"),
                                "Terraform's rule blocks are not AWS's JSON shape: give the rules as rule_json, or the web ACL as `aws wafv2 get-web-acl` prints it".to_string(),
                            ));
                        }
                        Value::Array(Vec::new())
                    }
                };
                Ok(Some(acl(path, body, rules)?))
            }
            many => {
                let names: Vec<&str> = many.iter().map(|(p, _)| p.as_str()).collect();
                Err((
                    String::new(),
                    format!(
                        "several {TYPE} resources ({}): give a document with one",
                        names.join(", ")
                    ),
                ))
            }
        }
    }

    /// The web ACL resources of a state or plan module and its children.
    fn collect<'v>(module: &'v Value, path: &str, found: &mut Vec<(String, &'v Value)>) {
        for (i, resource) in module
            .get("resources")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            if resource.get("type").and_then(Value::as_str) == Some(TYPE)
                && let Some(values) = resource.get("values")
            {
                found.push((format!("{path}/resources/{i}/values"), values));
            }
        }
        for (i, child) in module
            .get("child_modules")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            collect(child, &format!("{path}/child_modules/{i}"), found);
        }
    }

    /// A block Terraform may write as an object or as a list of one.
    fn block(value: Option<&Value>) -> Option<&Value> {
        match value? {
            Value::Array(items) => items.first(),
            Value::Null => None,
            other => Some(other),
        }
    }

    fn acl(path: &str, body: &Value, rules: Value) -> Result<Map<String, Value>, (String, String)> {
        let mut map = Map::new();
        let name = body
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("terraform");
        map.insert("Name".into(), json!(name));
        if let Some(arn) = body.get("arn").and_then(Value::as_str) {
            map.insert("ARN".into(), json!(arn));
        }
        let default = match block(body.get("default_action")) {
            // `rule_json` alone says nothing of the default action.
            None if body.as_object().is_some_and(Map::is_empty) => json!({"Allow": {}}),
            None => {
                return Err((format!("{path}/default_action"), "missing".to_string()));
            }
            Some(action) => {
                let chosen = ["allow", "block"].into_iter().find(|k| {
                    action.get(*k).is_some_and(|v| {
                        !matches!(v, Value::Array(a) if a.is_empty()) && !v.is_null()
                    })
                });
                let Some(kind) = chosen else {
                    return Err((
                        format!("{path}/default_action"),
                        "neither allow nor block".to_string(),
                    ));
                };
                let inner = block(action.get(kind));
                if inner.is_some_and(|v| {
                    v.as_object().is_some_and(|m| {
                        m.values()
                            .any(|x| !matches!(x, Value::Array(a) if a.is_empty()) && !x.is_null())
                    })
                }) {
                    return Err((
                        format!("{path}/default_action/{kind}"),
                        "custom request handling and custom responses are not read from Terraform's shape: give the web ACL as `aws wafv2 get-web-acl` prints it".to_string(),
                    ));
                }
                if kind == "allow" {
                    json!({"Allow": {}})
                } else {
                    json!({"Block": {}})
                }
            }
        };
        map.insert("DefaultAction".into(), default);
        let mut bodies = Map::new();
        for (i, b) in body
            .get("custom_response_body")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let text = |k: &str| b.get(k).and_then(Value::as_str);
            let (Some(key), Some(content), Some(kind)) =
                (text("key"), text("content"), text("content_type"))
            else {
                return Err((
                    format!("{path}/custom_response_body/{i}"),
                    "needs key, content and content_type".to_string(),
                ));
            };
            bodies.insert(key.into(), json!({"Content": content, "ContentType": kind}));
        }
        if !bodies.is_empty() {
            map.insert("CustomResponseBodies".into(), Value::Object(bodies));
        }
        map.insert("Rules".into(), rules);
        Ok(map)
    }
}

pub(crate) fn read_document(
    text: &str,
    origin: &str,
    wrapper: &str,
    type_name: &str,
) -> Result<(serde_json::Map<String, Value>, Blobs), AclError> {
    let field = |path: &str, message: String| AclError::Field {
        origin: origin.to_string(),
        path: path.to_string(),
        message,
    };
    let trimmed = text.trim_start();
    let (mut document, mut blobs): (Value, Blobs) = if trimmed.starts_with(['{', '[']) {
        let value = serde_json::from_str(text).map_err(|e| AclError::Json {
            origin: origin.to_string(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        (value, Blobs::Api)
    } else {
        // Only CloudFormation writes web ACLs in YAML.
        let value: Value = serde_yaml_ng::from_str(text).map_err(|e| AclError::Json {
            origin: origin.to_string(),
            line: e.location().map_or(0, |l| l.line()),
            column: e.location().map_or(0, |l| l.column()),
            message: format!("not JSON, and not YAML either: {e}"),
        })?;
        (value, Blobs::Text)
    };
    if let Some(inner) = document.get_mut(wrapper).map(Value::take) {
        document = inner;
    }
    if type_name == "AWS::WAFv2::WebACL"
        && let Some(converted) =
            terraform::web_acl(&document).map_err(|(path, m)| field(&path, m))?
    {
        return Ok((converted, Blobs::Api));
    }
    // A CloudFormation template: its one resource of the type.
    if let Some(resources) = document.get("Resources").and_then(Value::as_object) {
        let found: Vec<(&String, &Value)> = resources
            .iter()
            .filter(|(_, r)| r.get("Type").and_then(Value::as_str) == Some(type_name))
            .collect();
        let properties = match found.as_slice() {
            [(_, resource)] => resource.get("Properties").cloned(),
            [] => {
                return Err(field(
                    "Resources",
                    format!("a CloudFormation template without a {type_name} resource"),
                ));
            }
            many => {
                let names: Vec<&str> = many.iter().map(|(n, _)| n.as_str()).collect();
                return Err(field(
                    "Resources",
                    format!(
                        "several {type_name} resources ({}): give a template with one, or its Properties",
                        names.join(", ")
                    ),
                ));
            }
        };
        document = properties.ok_or_else(|| field("Resources", "no Properties".to_string()))?;
        blobs = Blobs::Text;
    } else if document.get("Type").and_then(Value::as_str) == Some(type_name) {
        document = document
            .get_mut("Properties")
            .map(Value::take)
            .ok_or_else(|| field("Properties", "missing".to_string()))?;
        blobs = Blobs::Text;
    }
    match document {
        Value::Object(map) => Ok((map, blobs)),
        _ => Err(field("", format!("expected a {type_name} object"))),
    }
}

impl WebAcl {
    /// Reads a web ACL document in any of the shapes AWS tools write: the
    /// ACL itself, `get-web-acl`'s answer (`{"WebACL": ..., "LockToken"}`),
    /// `create-web-acl` / `update-web-acl` input (`--cli-input-json`), a
    /// CloudFormation template or `AWS::WAFv2::WebACL` properties (YAML or
    /// JSON). Unknown fields are warnings (see [`ParseOptions::strict`]).
    pub fn parse(text: &str, origin: &str) -> Result<WebAcl, AclError> {
        WebAcl::parse_with(text, origin, ParseOptions::default())
    }

    pub fn parse_with(text: &str, origin: &str, options: ParseOptions) -> Result<WebAcl, AclError> {
        let (mut map, blobs) = read_document(text, origin, "WebACL", "AWS::WAFv2::WebACL")?;
        let field = |path: &str, message: String| AclError::Field {
            origin: origin.to_string(),
            path: path.to_string(),
            message,
        };
        let mut warnings = Vec::new();
        if text.trim_start().starts_with('[') {
            warnings.push(format!(
                "{origin}: a list of rules without its web ACL (Terraform's rule_json): the default action is taken to be Allow"
            ));
        }
        let keys: Vec<String> = map.keys().cloned().collect();
        for key in keys {
            let known = ["Name", "DefaultAction", "Rules", "CustomResponseBodies"];
            if known.contains(&key.as_str()) || METADATA.contains(&key.as_str()) {
                continue;
            }
            if options.strict {
                return Err(field(&key, format!("unknown field {key:?}")));
            }
            warnings.push(format!("{origin}: {key}: unknown field, ignored"));
            map.remove(&key);
        }
        let name = match map.remove("Name") {
            Some(Value::String(s)) => s,
            _ => return Err(field("Name", "missing, or not a string".to_string())),
        };
        let arn = ["ARN", "Arn"]
            .iter()
            .find_map(|k| map.get(*k).and_then(Value::as_str).map(str::to_string));
        let default_action = map
            .remove("DefaultAction")
            .ok_or_else(|| field("DefaultAction", "missing".to_string()))
            .and_then(|v| {
                typed_lenient::<Action>(v, options, &mut warnings, origin, "DefaultAction")
                    .map_err(|(p, m)| field(&join("DefaultAction", &p), m))
            })?;
        let response_bodies = match map.remove("CustomResponseBodies") {
            None => BTreeMap::new(),
            Some(v) => typed_lenient::<BTreeMap<String, ResponseBody>>(
                v,
                options,
                &mut warnings,
                origin,
                "CustomResponseBodies",
            )
            .map_err(|(p, m)| field(&join("CustomResponseBodies", &p), m))?,
        };
        let rules = read_rules(map.remove("Rules"), origin, options, &mut warnings)?;
        let acl = WebAcl {
            name,
            arn,
            default_action,
            rules,
            response_bodies,
            blobs,
            warnings,
            strict: options.strict,
        };
        acl.check_references(origin)?;
        Ok(acl)
    }

    /// Custom responses must name bodies the ACL defines; a rule whose
    /// statement is a rule group takes an OverrideAction, any other rule an
    /// Action, as AWS requires.
    fn check_references(&self, origin: &str) -> Result<(), AclError> {
        check_rules(&self.rules, &self.response_bodies, origin, true)
    }
}

/// A document's `Rules`, each read with its index and name in errors, in
/// priority order.
fn read_rules(
    raw: Option<Value>,
    origin: &str,
    options: ParseOptions,
    warnings: &mut Vec<String>,
) -> Result<Vec<Rule>, AclError> {
    let raw_rules = match raw {
        None => Vec::new(),
        Some(Value::Array(rules)) => rules,
        Some(_) => {
            return Err(AclError::Field {
                origin: origin.to_string(),
                path: "Rules".to_string(),
                message: "expected a list".to_string(),
            });
        }
    };
    let mut rules = Vec::with_capacity(raw_rules.len());
    for (index, raw) in raw_rules.into_iter().enumerate() {
        let name = raw
            .get("Name")
            .and_then(Value::as_str)
            .unwrap_or("(unnamed)")
            .to_string();
        let rule =
            typed_lenient::<Rule>(raw, options, warnings, origin, &format!("Rules[{index}]"))
                .map_err(|(path, message)| AclError::Rule {
                    origin: origin.to_string(),
                    index,
                    name: name.clone(),
                    path,
                    message,
                })?;
        rules.push(rule);
    }
    rules.sort_by_key(|r| r.priority);
    Ok(rules)
}

fn is_group(statement: &Statement) -> bool {
    matches!(
        statement,
        Statement::ManagedRuleGroupStatement(_) | Statement::RuleGroupReferenceStatement(_)
    )
}

fn check_rules(
    rules: &[Rule],
    bodies: &BTreeMap<String, ResponseBody>,
    origin: &str,
    in_acl: bool,
) -> Result<(), AclError> {
    for (index, rule) in rules.iter().enumerate() {
        let fail = |path: &str, message: String| AclError::Rule {
            origin: origin.to_string(),
            index,
            name: rule.name.clone(),
            path: path.to_string(),
            message,
        };
        if is_group(&rule.statement) {
            if !in_acl {
                return Err(fail(
                    "Statement",
                    "a rule group cannot reference another rule group".to_string(),
                ));
            }
            if rule.action.is_some() {
                return Err(fail(
                    "Action",
                    "a rule group reference takes OverrideAction (None or Count), not Action"
                        .to_string(),
                ));
            }
            if rule.override_action.is_none() {
                return Err(fail(
                    "OverrideAction",
                    "missing: a rule group reference takes OverrideAction (None or Count)"
                        .to_string(),
                ));
            }
            let overrides = match &rule.statement {
                Statement::ManagedRuleGroupStatement(g) => &g.rule_action_overrides,
                Statement::RuleGroupReferenceStatement(g) => &g.rule_action_overrides,
                _ => continue,
            };
            for (i, o) in overrides.iter().enumerate() {
                check_response(&o.action_to_use, bodies).map_err(|m| {
                    fail(
                        &format!("Statement.RuleActionOverrides[{i}].ActionToUse"),
                        m,
                    )
                })?;
            }
            continue;
        }
        if rule.override_action.is_some() {
            return Err(fail(
                "OverrideAction",
                "only a rule whose statement is a rule group takes OverrideAction; give Action"
                    .to_string(),
            ));
        }
        let Some(action) = &rule.action else {
            return Err(fail("Action", "missing".to_string()));
        };
        check_response(action, bodies).map_err(|m| fail("Action", m))?;
    }
    Ok(())
}

/// A Block action's custom response must name a body that exists.
fn check_response(action: &Action, bodies: &BTreeMap<String, ResponseBody>) -> Result<(), String> {
    if let Action::Block(BlockAction {
        custom_response: Some(response),
    }) = action
        && let Some(key) = &response.custom_response_body_key
        && !bodies.contains_key(key)
    {
        return Err(format!(
            "Block.CustomResponse.CustomResponseBodyKey: no custom response body {key:?} in CustomResponseBodies"
        ));
    }
    Ok(())
}

/// A rule group: one of your own, as `aws wafv2 get-rule-group` prints it
/// (or its CloudFormation `AWS::WAFv2::RuleGroup` properties), or one of
/// the managed groups palisade ships.
#[derive(Debug, Clone)]
pub struct RuleGroup {
    pub name: String,
    /// The ARN a `RuleGroupReferenceStatement` names it by.
    pub arn: String,
    /// The prefix of its rules' labels (`awswaf:111122223333:rulegroup:name:`).
    pub label_namespace: String,
    pub rules: Vec<Rule>,
    pub response_bodies: BTreeMap<String, ResponseBody>,
    pub blobs: Blobs,
    pub warnings: Vec<String>,
}

/// Fields of a rule group export that do not change what it does.
const GROUP_METADATA: [&str; 10] = [
    "Id",
    "Arn",
    "Description",
    "Capacity",
    "LockToken",
    "VisibilityConfig",
    "AvailableLabels",
    "ConsumedLabels",
    "Scope",
    "Tags",
];

impl RuleGroup {
    /// Reads a rule group document (`{"RuleGroup": ..., "LockToken"}`, the
    /// group alone, or CloudFormation `AWS::WAFv2::RuleGroup`).
    pub fn parse(text: &str, origin: &str, options: ParseOptions) -> Result<RuleGroup, AclError> {
        let (map, blobs) = read_document(text, origin, "RuleGroup", "AWS::WAFv2::RuleGroup")?;
        RuleGroup::from_map(map, blobs, origin, options)
    }

    /// A rule group from its document's object.
    pub(crate) fn from_map(
        mut map: serde_json::Map<String, Value>,
        blobs: Blobs,
        origin: &str,
        options: ParseOptions,
    ) -> Result<RuleGroup, AclError> {
        let field = |path: &str, message: String| AclError::Field {
            origin: origin.to_string(),
            path: path.to_string(),
            message,
        };
        let mut warnings = Vec::new();
        let keys: Vec<String> = map.keys().cloned().collect();
        for key in keys {
            let known = [
                "Name",
                "ARN",
                "Rules",
                "LabelNamespace",
                "CustomResponseBodies",
            ];
            if known.contains(&key.as_str()) || GROUP_METADATA.contains(&key.as_str()) {
                continue;
            }
            if options.strict {
                return Err(field(&key, format!("unknown field {key:?}")));
            }
            warnings.push(format!("{origin}: {key}: unknown field, ignored"));
            map.remove(&key);
        }
        let text_field = |map: &mut serde_json::Map<String, Value>, key: &str| match map.remove(key)
        {
            Some(Value::String(s)) => Ok(Some(s)),
            None => Ok(None),
            Some(_) => Err(field(key, "not a string".to_string())),
        };
        let name =
            text_field(&mut map, "Name")?.ok_or_else(|| field("Name", "missing".to_string()))?;
        // CloudFormation's properties hold no ARN (AWS assigns it): such a
        // group is found by the name in the referencing ARN.
        let arn = match text_field(&mut map, "ARN")? {
            Some(arn) => arn,
            None => text_field(&mut map, "Arn")?.unwrap_or_default(),
        };
        let label_namespace = text_field(&mut map, "LabelNamespace")?
            .unwrap_or_else(|| format!("awswaf:{}:rulegroup:{name}:", account_of(&arn)));
        let response_bodies = match map.remove("CustomResponseBodies") {
            None => BTreeMap::new(),
            Some(v) => typed_lenient::<BTreeMap<String, ResponseBody>>(
                v,
                options,
                &mut warnings,
                origin,
                "CustomResponseBodies",
            )
            .map_err(|(p, m)| field(&join("CustomResponseBodies", &p), m))?,
        };
        let rules = read_rules(map.remove("Rules"), origin, options, &mut warnings)?;
        check_rules(&rules, &response_bodies, origin, false)?;
        Ok(RuleGroup {
            name,
            arn,
            label_namespace,
            rules,
            response_bodies,
            blobs,
            warnings,
        })
    }
}

/// The account of an ARN (`arn:aws:wafv2:REGION:ACCOUNT:...`).
fn account_of(arn: &str) -> &str {
    arn.split(':')
        .nth(4)
        .filter(|a| !a.is_empty())
        .unwrap_or("local")
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

/// [`typed`], where a field the type does not know is left out with a
/// warning naming `prefix` and its path (unless `options.strict`). An
/// unknown statement or value is still an error: it would change what the
/// rule does.
fn typed_lenient<T: serde::de::DeserializeOwned>(
    mut value: Value,
    options: ParseOptions,
    warnings: &mut Vec<String>,
    origin: &str,
    prefix: &str,
) -> Result<T, (String, String)> {
    for _ in 0..MAX_UNKNOWN_FIELDS {
        let (path, message) = match typed::<T>(value.clone()) {
            Ok(t) => return Ok(t),
            Err(e) => e,
        };
        let unknown = message
            .strip_prefix("unknown field `")
            .and_then(|rest| rest.split_once('`'))
            .map(|(name, _)| name.to_string());
        let Some(name) = unknown.filter(|_| !options.strict) else {
            return Err((path, message));
        };
        if !remove_at(&mut value, &path, &name) {
            return Err((path, message));
        }
        warnings.push(format!(
            "{origin}: {}: unknown field, ignored",
            join(prefix, &path)
        ));
    }
    Err((String::new(), "too many unknown fields".to_string()))
}

/// Removes the field `name` that `path` (as serde_path_to_error writes it,
/// ending with the field) leads to.
fn remove_at(value: &mut Value, path: &str, name: &str) -> bool {
    let mut segments: Vec<&str> = path.split('.').collect();
    if segments.last() == Some(&name) {
        segments.pop();
    }
    let mut at = value;
    for segment in segments.iter().filter(|s| !s.is_empty() && **s != "?") {
        let (key, indices) = match segment.find('[') {
            Some(i) => (&segment[..i], &segment[i..]),
            None => (*segment, ""),
        };
        if !key.is_empty() {
            let Some(next) = at.get_mut(key) else {
                return false;
            };
            at = next;
        }
        for index in indices.split(['[', ']']).filter(|s| !s.is_empty()) {
            let Some(next) = index.parse::<usize>().ok().and_then(|i| at.get_mut(i)) else {
                return false;
            };
            at = next;
        }
    }
    at.as_object_mut()
        .is_some_and(|map| map.remove(name).is_some())
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
        // An unknown field is a warning naming its path (the field left
        // out), and an error when reading strictly.
        let typo = SEED.replace(
            "\"ComparisonOperator\": \"GT\"",
            "\"ComparisonOperator\": \"GT\", \"Sise\": 1",
        );
        let lenient = WebAcl::parse(&typo, "acl.json").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            lenient.warnings,
            ["acl.json: Rules[1].Statement.SizeConstraintStatement.Sise: unknown field, ignored"]
        );
        let strict = WebAcl::parse_with(&typo, "acl.json", ParseOptions { strict: true });
        let err = strict.map(|_| ()).expect_err("strict").to_string();
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
        let err = WebAcl::parse_with(&pattern, "acl.json", ParseOptions { strict: true })
            .map(|_| ())
            .expect_err("strict")
            .to_string();
        assert!(
            err.contains("Statement.OrStatement.Statements[0].SqliMatchStatement.FieldToMatch"),
            "{err}"
        );
        assert!(err.contains("IncludedHeader"), "{err}");
        // Read leniently, the pattern is left with nothing to match: an
        // error when the rule is compiled, not a pattern widened to all.
        let lenient = WebAcl::parse(&pattern, "acl.json").unwrap_or_else(|e| panic!("{e}"));
        let err = crate::Evaluator::new(lenient, &crate::Sets::default())
            .map(|_| ())
            .expect_err("empty pattern");
        assert!(err.contains("MatchPattern"), "{err}");
        let top = SEED.replace("\"Id\": \"a1b2\"", "\"Idd\": \"a1b2\"");
        let lenient = WebAcl::parse(&top, "acl.json").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(lenient.warnings, ["acl.json: Idd: unknown field, ignored"]);
        let err = WebAcl::parse_with(&top, "acl.json", ParseOptions { strict: true })
            .map(|_| ())
            .expect_err("strict")
            .to_string();
        assert!(err.contains("unknown field \"Idd\""), "{err}");
        let json = refusal("{\n \"Name\": ");
        assert!(json.starts_with("acl.json:2:"), "{json}");
    }
}
