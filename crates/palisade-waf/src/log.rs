//! Verdicts as AWS WAF log records, field for field, so the queries,
//! dashboards and parsers people already run on AWS WAF logs (Athena
//! tables, CloudWatch Logs Insights, SIEM parsers) read palisade's.

use serde_json::{Value, json};

use crate::acl::{AggregateKey, Statement};
use crate::eval::{Decision, Evaluator, Verdict};
use crate::inspect::WafRequest;

/// What a log record says that the request and verdict do not.
#[derive(Debug, Clone, Default)]
pub struct LogContext<'a> {
    /// Milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
    /// `HTTP/1.1`, `HTTP/2.0`.
    pub http_version: &'a str,
    pub request_id: &'a str,
    /// AWS's `httpSourceName`: `APIGW` for an API Gateway stage, which is
    /// what palisade's gateway stands in for.
    pub source_name: &'a str,
    /// AWS's `httpSourceId` (for API Gateway `account:api:stage`).
    pub source_id: &'a str,
    /// ISO country of the client when known; otherwise read from the geo
    /// label a GeoMatch statement left, else `-`.
    pub country: Option<&'a str>,
    /// The body's size as received.
    pub body_size: Option<u64>,
}

/// The `webaclId` AWS logs: the ACL's ARN, or one in ARN form naming it
/// when the document held none.
fn web_acl_id(evaluator: &Evaluator) -> String {
    let acl = evaluator.acl();
    acl.arn.clone().unwrap_or_else(|| {
        format!(
            "arn:aws:wafv2:local:000000000000:regional/webacl/{}/palisade",
            acl.name
        )
    })
}

fn rule_type(statement: &Statement) -> &'static str {
    match statement {
        Statement::RateBasedStatement(_) => "RATE_BASED",
        Statement::ManagedRuleGroupStatement(_) => "MANAGED_RULE_GROUP",
        Statement::RuleGroupReferenceStatement(_) => "GROUP",
        _ => "REGULAR",
    }
}

fn action(decision: &Decision) -> &'static str {
    match decision {
        Decision::Allow => "ALLOW",
        Decision::Block(_) => "BLOCK",
    }
}

impl Evaluator {
    /// `verdict` on `request` as one AWS WAF log record (its fields in
    /// AWS's order and types; `terminatingRuleMatchDetails` stays empty:
    /// palisade does not keep the matched data).
    pub fn aws_log(
        &self,
        verdict: &Verdict,
        request: &WafRequest<'_>,
        context: &LogContext<'_>,
    ) -> Value {
        let acl = self.acl();
        let terminating = verdict
            .terminating_rule
            .as_deref()
            .and_then(|name| acl.rules.iter().find(|r| r.name == name));
        let mut group_list = Vec::with_capacity(verdict.groups.len());
        for &index in &verdict.groups {
            let Some(rule) = acl.rules.get(index) else {
                continue;
            };
            let id = match &rule.statement {
                Statement::ManagedRuleGroupStatement(m) => match &m.version {
                    Some(v) => format!("{}#{}#{v}", m.vendor_name, m.name),
                    None => format!("{}#{}", m.vendor_name, m.name),
                },
                Statement::RuleGroupReferenceStatement(r) => r.arn.clone(),
                _ => continue,
            };
            let mine = || {
                verdict
                    .matches
                    .iter()
                    .filter(|m| m.rule == rule.name && m.group_rule.is_some())
            };
            let terminating_rule =
                (verdict.terminating_rule.as_deref() == Some(rule.name.as_str())).then(|| {
                    json!({
                        "ruleId": verdict.terminating_group_rule,
                        "action": action(&verdict.decision),
                        "ruleMatchDetails": null,
                    })
                });
            let counted: Vec<Value> = mine()
                .filter(|m| !m.excluded)
                .map(|m| {
                    let mut entry = json!({
                        "ruleId": m.group_rule,
                        "action": "COUNT",
                        "ruleMatchDetails": [],
                    });
                    if m.overridden && m.action != "COUNT" {
                        entry["overriddenAction"] = json!(m.action);
                    }
                    entry
                })
                .collect();
            let excluded: Vec<Value> = mine()
                .filter(|m| m.excluded)
                .map(|m| json!({"exclusionType": "EXCLUDED_AS_COUNT", "ruleId": m.group_rule}))
                .collect();
            group_list.push(json!({
                "ruleGroupId": id,
                "terminatingRule": terminating_rule,
                "nonTerminatingMatchingRules": counted,
                "excludedRules": if excluded.is_empty() { Value::Null } else { Value::Array(excluded) },
                "customerConfig": null,
            }));
        }
        let mut rate_list = Vec::new();
        for rule in &acl.rules {
            let Statement::RateBasedStatement(rate) = &rule.statement else {
                continue;
            };
            let decided = verdict.terminating_rule.as_deref() == Some(rule.name.as_str());
            let counted = verdict
                .matches
                .iter()
                .any(|m| m.rule == rule.name && m.group.is_none());
            if !decided && !counted {
                continue;
            }
            let key = match rate.aggregate_key_type {
                AggregateKey::Ip => "IP",
                AggregateKey::ForwardedIp => "FORWARDED_IP",
                AggregateKey::CustomKeys => "CUSTOMKEYS",
                AggregateKey::Constant => "CONSTANT",
            };
            let value = match rate.aggregate_key_type {
                AggregateKey::Ip => request
                    .client_ip
                    .map_or_else(|| "INVALID".to_string(), |ip| ip.to_string()),
                _ => "INVALID".to_string(),
            };
            rate_list.push(json!({
                "rateBasedRuleId": rule.name,
                "rateBasedRuleName": rule.name,
                "limitKey": key,
                "limitValue": value,
                "maxRateAllowed": rate.limit,
                "evaluationWindowSec": rate.evaluation_window_sec.to_string(),
            }));
        }
        let acl_counted: Vec<Value> = verdict
            .matches
            .iter()
            .filter(|m| m.group.is_none())
            .map(|m| json!({"ruleId": m.rule, "action": "COUNT", "ruleMatchDetails": []}))
            .collect();
        let country = context
            .country
            .map(str::to_string)
            .or_else(|| {
                verdict.labels.iter().find_map(|l| {
                    l.strip_prefix("awswaf:clientip:geo:country:")
                        .map(str::to_string)
                })
            })
            .unwrap_or_else(|| "-".to_string());
        let headers: Vec<Value> = request
            .headers
            .iter()
            .map(|(name, value)| json!({"name": name, "value": value}))
            .collect();
        let inserted: Value = if verdict.inserted_headers.is_empty() {
            Value::Null
        } else {
            verdict
                .inserted_headers
                .iter()
                .map(|(name, value)| json!({"name": name, "value": value}))
                .collect()
        };
        let response_code = match &verdict.decision {
            Decision::Block(Some(custom)) => json!(custom.status),
            _ => Value::Null,
        };
        let labels: Vec<Value> = verdict
            .labels
            .iter()
            .take(100)
            .map(|l| json!({"name": l}))
            .collect();
        let mut record = json!({
            "timestamp": context.timestamp_ms,
            "formatVersion": 1,
            "webaclId": web_acl_id(self),
            "terminatingRuleId": verdict.terminating_rule.as_deref().unwrap_or("Default_Action"),
            "terminatingRuleType": terminating.map_or("REGULAR", |r| rule_type(&r.statement)),
            "action": action(&verdict.decision),
            "terminatingRuleMatchDetails": [],
            "httpSourceName": context.source_name,
            "httpSourceId": context.source_id,
            "ruleGroupList": group_list,
            "rateBasedRuleList": rate_list,
            "nonTerminatingMatchingRules": acl_counted,
            "requestHeadersInserted": inserted,
            "responseCodeSent": response_code,
            "httpRequest": {
                "clientIp": request.client_ip.map_or_else(|| "-".to_string(), |ip| ip.to_string()),
                "country": country,
                "headers": headers,
                "uri": request.uri_path,
                "args": request.query,
                "httpVersion": context.http_version,
                "httpMethod": request.method,
                "requestId": context.request_id,
            },
            "labels": labels,
        });
        if let Some(size) = context.body_size {
            record["requestBodySize"] = json!(size);
            record["requestBodySizeInspectedByWAF"] =
                json!(size.min(crate::inspect::BODY_INSPECTION_LIMIT as u64));
        }
        record
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Sets, WebAcl};

    fn evaluator(text: &str) -> Evaluator {
        let acl = WebAcl::parse(text, "acl.json").unwrap_or_else(|e| panic!("{e}"));
        Evaluator::new(acl, &Sets::default()).unwrap_or_else(|e| panic!("{e}"))
    }

    const ACL: &str = r#"{"Name": "prod", "ARN": "arn:aws:wafv2:us-east-1:111122223333:regional/webacl/prod/8acf",
      "DefaultAction": {"Allow": {}},
      "Rules": [
        {"Name": "watch-admin", "Priority": 0, "Action": {"Count": {}},
         "Statement": {"ByteMatchStatement": {"SearchString": "/admin", "PositionalConstraint": "STARTS_WITH",
           "FieldToMatch": {"UriPath": {}}, "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}}},
        {"Name": "AWS-AWSManagedRulesCommonRuleSet", "Priority": 1, "OverrideAction": {"None": {}},
         "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": "AWSManagedRulesCommonRuleSet",
           "Version": "Version_1.12",
           "ExcludedRules": [{"Name": "NoUserAgent_HEADER"}],
           "RuleActionOverrides": [{"Name": "SizeRestrictions_QUERYSTRING", "ActionToUse": {"Count": {}}}]}}}
      ]}"#;

    #[test]
    fn a_managed_group_block_reads_as_aws_logs_it() {
        let evaluator = evaluator(ACL);
        let long_query = format!("q={}", "a".repeat(3000));
        let request = WafRequest {
            method: "GET",
            uri_path: "/admin/../../etc/passwd",
            query: &long_query,
            headers: vec![("host", "api.example.com")],
            body: b"",
            client_ip: Some("203.0.113.9".parse().unwrap_or_else(|e| panic!("{e}"))),
        };
        let verdict = evaluator.evaluate(&request);
        let context = LogContext {
            timestamp_ms: 1_684_825_816_966,
            http_version: "HTTP/1.1",
            request_id: "r-1",
            source_name: "APIGW",
            source_id: "local:api:prod",
            ..LogContext::default()
        };
        let record = evaluator.aws_log(&verdict, &request, &context);
        assert_eq!(
            record["webaclId"],
            "arn:aws:wafv2:us-east-1:111122223333:regional/webacl/prod/8acf"
        );
        assert_eq!(
            record["terminatingRuleId"],
            "AWS-AWSManagedRulesCommonRuleSet"
        );
        assert_eq!(record["terminatingRuleType"], "MANAGED_RULE_GROUP");
        assert_eq!(record["action"], "BLOCK");
        let group = &record["ruleGroupList"][0];
        assert_eq!(
            group["ruleGroupId"],
            "AWS#AWSManagedRulesCommonRuleSet#Version_1.12"
        );
        assert_eq!(group["terminatingRule"]["ruleId"], "GenericLFI_URIPATH");
        assert_eq!(
            group["excludedRules"],
            json!([{"exclusionType": "EXCLUDED_AS_COUNT", "ruleId": "NoUserAgent_HEADER"}])
        );
        assert_eq!(
            group["nonTerminatingMatchingRules"],
            json!([{"ruleId": "SizeRestrictions_QUERYSTRING", "action": "COUNT", "overriddenAction": "BLOCK", "ruleMatchDetails": []}])
        );
        assert_eq!(
            record["nonTerminatingMatchingRules"],
            json!([{"ruleId": "watch-admin", "action": "COUNT", "ruleMatchDetails": []}])
        );
        assert_eq!(record["httpRequest"]["clientIp"], "203.0.113.9");
        assert_eq!(record["httpRequest"]["country"], "-");
        assert_eq!(record["httpRequest"]["args"], long_query.as_str());
        assert_eq!(
            record["httpRequest"]["headers"],
            json!([{"name": "host", "value": "api.example.com"}])
        );
        assert_eq!(record["responseCodeSent"], Value::Null);
        let labels: Vec<&str> = record["labels"]
            .as_array()
            .map(|l| l.iter().filter_map(|v| v["name"].as_str()).collect())
            .unwrap_or_default();
        assert!(
            labels.contains(&"awswaf:managed:aws:core-rule-set:NoUserAgent_Header"),
            "{labels:?}"
        );
        assert!(
            labels.contains(&"awswaf:managed:aws:core-rule-set:GenericLFI_URIPath"),
            "{labels:?}"
        );
    }

    #[test]
    fn the_default_action_is_a_regular_rule_without_an_arn() {
        let evaluator =
            evaluator(r#"{"Name": "open", "DefaultAction": {"Allow": {}}, "Rules": []}"#);
        let request = WafRequest {
            method: "POST",
            uri_path: "/",
            query: "",
            headers: Vec::new(),
            body: b"{}",
            client_ip: None,
        };
        let verdict = evaluator.evaluate(&request);
        let record = evaluator.aws_log(
            &verdict,
            &request,
            &LogContext {
                body_size: Some(2),
                ..LogContext::default()
            },
        );
        assert_eq!(record["terminatingRuleId"], "Default_Action");
        assert_eq!(record["terminatingRuleType"], "REGULAR");
        assert_eq!(record["action"], "ALLOW");
        assert_eq!(
            record["webaclId"],
            "arn:aws:wafv2:local:000000000000:regional/webacl/open/palisade"
        );
        assert_eq!(record["ruleGroupList"], json!([]));
        assert_eq!(record["requestBodySize"], 2);
        assert_eq!(record["httpRequest"]["clientIp"], "-");
    }
}
