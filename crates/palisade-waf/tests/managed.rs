//! Every rule of every rule group palisade ships, on its own: with each
//! group's rules all counted (so one rule's match never hides another's),
//! the rule's attack request (tests/fixtures/managed-rules.yaml) must
//! match it and its near miss must not. Every rule must have both.

use std::collections::BTreeMap;

use palisade_waf::cases::{Case, run};
use palisade_waf::managed::{Shipped, find, names};
use palisade_waf::{Evaluator, Sets, WebAcl};
use serde::Deserialize;

#[derive(Deserialize)]
struct Pair {
    attack: serde_yaml_ng::Value,
    benign: serde_yaml_ng::Value,
}

/// `{prefix, repeat, times}` spelled out (long values stay readable in
/// the fixture).
fn expand(value: &mut serde_yaml_ng::Value) {
    use serde_yaml_ng::Value;
    match value {
        Value::Mapping(map) if map.contains_key("repeat") => {
            let text = |key: &str| map.get(key).and_then(Value::as_str).unwrap_or("");
            let times = map.get("times").and_then(Value::as_u64).unwrap_or(1) as usize;
            *value = Value::String(format!(
                "{}{}",
                text("prefix"),
                text("repeat").repeat(times)
            ));
        }
        Value::Mapping(map) => map.values_mut().for_each(expand),
        Value::Sequence(items) => items.iter_mut().for_each(expand),
        _ => {}
    }
}

/// A fixture request as a case, with a browser's User-Agent and a Host
/// unless it names its own.
fn case(name: &str, mut value: serde_yaml_ng::Value) -> Case {
    expand(&mut value);
    if let serde_yaml_ng::Value::Mapping(map) = &mut value {
        map.insert("name".into(), name.into());
    }
    let mut case: Case = serde_yaml_ng::from_value(value).unwrap_or_else(|e| panic!("{name}: {e}"));
    case.name = name.to_string();
    for (header, default) in [
        (
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
        ),
        ("host", "api.example.com"),
    ] {
        if !case.headers.keys().any(|k| k.eq_ignore_ascii_case(header)) {
            case.headers.insert(header.to_string(), default.to_string());
        }
    }
    case.client_ip = "198.51.100.7".parse().ok();
    case
}

/// The group alone in a web ACL, every rule overridden to Count.
fn counted(vendor: &str, group: &str, rules: &[String]) -> Evaluator {
    let overrides: Vec<String> = rules
        .iter()
        .map(|r| format!(r#"{{"Name": "{r}", "ActionToUse": {{"Count": {{}}}}}}"#))
        .collect();
    let text = format!(
        r#"{{"Name": "one-group", "DefaultAction": {{"Allow": {{}}}}, "Rules": [{{"Name": "g", "Priority": 0,
           "OverrideAction": {{"None": {{}}}},
           "Statement": {{"ManagedRuleGroupStatement": {{"VendorName": "{vendor}", "Name": "{group}",
             "RuleActionOverrides": [{}]}}}}}}]}}"#,
        overrides.join(",")
    );
    let acl = WebAcl::parse(&text, "one-group.json").unwrap_or_else(|e| panic!("{e}"));
    Evaluator::new(acl, &Sets::default()).unwrap_or_else(|e| panic!("{group}: {e}"))
}

#[test]
fn every_shipped_rule_catches_its_attack_and_passes_its_near_miss() {
    let text = include_str!("fixtures/managed-rules.yaml");
    let fixture: BTreeMap<String, BTreeMap<String, Pair>> =
        serde_yaml_ng::from_str(text).unwrap_or_else(|e| panic!("managed-rules.yaml: {e}"));
    let mut failures = Vec::new();
    let mut checked = 0;
    for name in names() {
        let (vendor, group) = name.split_once('/').unwrap_or_default();
        let Some(Shipped::Group(shipped)) = find(vendor, group) else {
            panic!("{name} is listed but not found");
        };
        let rules: Vec<String> = shipped.rules.iter().map(|r| r.name.clone()).collect();
        let Some(pairs) = fixture.get(group) else {
            failures.push(format!("{group}: no entry in managed-rules.yaml"));
            continue;
        };
        for listed in pairs.keys() {
            if !rules.contains(listed) {
                failures.push(format!("{group}/{listed}: no such rule"));
            }
        }
        let evaluator = counted(vendor, group, &rules);
        for rule in &rules {
            let Some(pair) = pairs.get(rule) else {
                failures.push(format!("{group}/{rule}: no attack and near miss"));
                continue;
            };
            let cases = [
                case(&format!("{rule} attack"), pair.attack.clone()),
                case(&format!("{rule} near miss"), pair.benign.clone()),
            ];
            let outcomes = run(&evaluator, &cases);
            let matched = |i: usize| {
                outcomes[i]
                    .verdict
                    .matches
                    .iter()
                    .any(|m| m.group_rule.as_deref() == Some(rule.as_str()))
            };
            if !matched(0) {
                failures.push(format!("{group}/{rule}: missed its attack"));
            }
            if matched(1) {
                failures.push(format!("{group}/{rule}: matched its near miss"));
            }
            checked += 1;
        }
    }
    assert!(checked > 100, "only {checked} rules checked");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
