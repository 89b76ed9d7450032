//! Every rule group palisade ships, in one web ACL, on any request: no
//! panic, and counting shows what blocking decides. The same groups with
//! `OverrideAction: Count` evaluate every rule; with `None` evaluation stops
//! at the first Block. So the blocking run's labels are a prefix of the
//! counted run's, and the rule that blocked is among the counted matches.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use palisade_waf::managed::names;
use palisade_waf::{Decision, Evaluator, Sets, WafRequest, WebAcl};

fn acl(override_action: &str) -> Evaluator {
    let rules: Vec<String> = names()
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let (vendor, group) = name.split_once('/').expect("vendor/name");
            format!(
                r#"{{"Name": "g{i}", "Priority": {i}, "OverrideAction": {{"{override_action}": {{}}}},
                   "Statement": {{"ManagedRuleGroupStatement": {{"VendorName": "{vendor}", "Name": "{group}"}}}},
                   "VisibilityConfig": {{"SampledRequestsEnabled": false, "CloudWatchMetricsEnabled": false, "MetricName": "g{i}"}}}}"#
            )
        })
        .collect();
    let text = format!(
        r#"{{"Name": "all", "DefaultAction": {{"Allow": {{}}}}, "Rules": [{}]}}"#,
        rules.join(",")
    );
    let acl = WebAcl::parse(&text, "all-groups.json").expect("the shipped groups load");
    Evaluator::new(acl, &Sets::default()).expect("the shipped groups compile")
}

fn evaluators() -> &'static (Evaluator, Evaluator) {
    static BOTH: OnceLock<(Evaluator, Evaluator)> = OnceLock::new();
    BOTH.get_or_init(|| (acl("None"), acl("Count")))
}

fuzz_target!(|data: &[u8]| {
    // method \n path \n query \n header lines (name: value) \n\n body
    let (head, body) = match data.windows(2).position(|w| w == b"\n\n") {
        Some(at) => (&data[..at], &data[at + 2..]),
        None => (data, &[][..]),
    };
    let Ok(head) = std::str::from_utf8(head) else {
        return;
    };
    let mut lines = head.split('\n');
    let method = lines.next().unwrap_or("GET");
    let uri_path = lines.next().unwrap_or("/");
    let query = lines.next().unwrap_or("");
    let headers: Vec<(&str, &str)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim(), v.trim()))
        .collect();
    let request = WafRequest {
        method,
        uri_path,
        query,
        headers,
        body,
        client_ip: "198.51.100.7".parse().ok(),
    };
    let (blocking, counting) = evaluators();
    let blocked = blocking.evaluate(&request);
    let counted = counting.evaluate(&request);
    assert_eq!(counted.decision, Decision::Allow, "counting never blocks");
    assert!(
        counted.labels.starts_with(&blocked.labels),
        "blocking labels {:?} not a prefix of counted {:?}",
        blocked.labels,
        counted.labels
    );
    if matches!(blocked.decision, Decision::Block(_)) {
        let rule = blocked.terminating_group_rule.as_deref();
        assert!(
            counted
                .matches
                .iter()
                .any(|m| m.group_rule.as_deref() == rule && m.group == blocked.terminating_group),
            "{rule:?} blocked but was not counted"
        );
    }
});
