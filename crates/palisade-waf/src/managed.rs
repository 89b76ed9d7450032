//! The managed rule groups palisade ships: its own implementation of AWS's
//! managed rule groups that need no AWS-side data, under AWS's group and
//! rule names, labels and actions, and palisade's groups for what AWS
//! leaves out. Each group is a rule group document in `rules/` (the same
//! JSON a `RuleGroupReferenceStatement` file holds, search strings as
//! text), read once per process.

use std::sync::OnceLock;

use crate::acl::{Blobs, ParseOptions, RuleGroup};

/// A shipped group's vendor, name and document (`rules/<vendor>/<name>.yaml`).
macro_rules! shipped {
    ("AWS", $name:literal) => {
        (
            "AWS",
            $name,
            include_str!(concat!("../rules/aws/", $name, ".yaml")),
        )
    };
    ("palisade", $name:literal) => {
        (
            "palisade",
            $name,
            include_str!(concat!("../rules/palisade/", $name, ".yaml")),
        )
    };
}

/// A group palisade knows by name.
#[derive(Debug)]
pub enum Shipped {
    Group(&'static RuleGroup),
    /// A group that needs data only AWS has: what that is.
    NeedsAws(&'static str),
}

/// (vendor, name, document) of each shipped group.
const DOCUMENTS: &[(&str, &str, &str)] = &[
    shipped!("AWS", "AWSManagedRulesCommonRuleSet"),
    shipped!("AWS", "AWSManagedRulesKnownBadInputsRuleSet"),
    shipped!("AWS", "AWSManagedRulesSQLiRuleSet"),
    shipped!("AWS", "AWSManagedRulesLinuxRuleSet"),
    shipped!("AWS", "AWSManagedRulesUnixRuleSet"),
    shipped!("AWS", "AWSManagedRulesWindowsRuleSet"),
    shipped!("AWS", "AWSManagedRulesPHPRuleSet"),
    shipped!("AWS", "AWSManagedRulesWordPressRuleSet"),
    shipped!("AWS", "AWSManagedRulesAdminProtectionRuleSet"),
    shipped!("palisade", "PalisadeHeaderInjectionRuleSet"),
    shipped!("palisade", "PalisadeNoSQLInjectionRuleSet"),
    shipped!("palisade", "PalisadeLDAPInjectionRuleSet"),
    shipped!("palisade", "PalisadeTemplateInjectionRuleSet"),
    shipped!("palisade", "PalisadePrototypePollutionRuleSet"),
    shipped!("palisade", "PalisadeServerCodeInjectionRuleSet"),
    shipped!("palisade", "PalisadeUnreadComponentsRuleSet"),
];

/// AWS's groups that need AWS's own data, and which.
const NEEDS_AWS: &[(&str, &str)] = &[
    (
        "AWSManagedRulesAmazonIpReputationList",
        "Amazon's IP reputation lists",
    ),
    (
        "AWSManagedRulesAnonymousIpList",
        "Amazon's lists of anonymizing networks and hosting providers",
    ),
    (
        "AWSManagedRulesBotControlRuleSet",
        "AWS's bot signatures, verification and browser challenges",
    ),
    (
        "AWSManagedRulesATPRuleSet",
        "AWS's stolen-credential database and login telemetry",
    ),
    (
        "AWSManagedRulesACFPRuleSet",
        "AWS's stolen-credential database and sign-up telemetry",
    ),
    ("AWSManagedRulesAntiDDoSRuleSet", "AWS's traffic baselines"),
];

/// The shipped group `DOCUMENTS[index]`, read on first use: a web ACL
/// that names three groups does not wait for the other thirteen.
fn group(index: usize) -> &'static RuleGroup {
    static GROUPS: [OnceLock<RuleGroup>; DOCUMENTS.len()] =
        [const { OnceLock::new() }; DOCUMENTS.len()];
    GROUPS[index].get_or_init(|| {
        let (vendor, name, text) = DOCUMENTS[index];
        let origin = format!("rules/{}/{name}.yaml", vendor.to_lowercase());
        read_shipped(text, &origin)
            .unwrap_or_else(|e| panic!("a shipped rule group does not read: {e}"))
    })
}

/// The anchors every shipped group may refer to (`rules/patterns.yaml`).
const PATTERNS: &str = include_str!("../rules/patterns.yaml");

/// A shipped group's YAML, read after `patterns.yaml`: its `x-` keys hold the anchors its rules share
/// (transformations, patterns), not fields of the group.
fn read_shipped(text: &str, origin: &str) -> Result<RuleGroup, String> {
    let whole = format!("{PATTERNS}\n{text}");
    let mut document: serde_json::Value = serde_yaml_ng::from_str(&whole)
        .map_err(|e| format!("{origin} (after patterns.yaml): {e}"))?;
    let map = document
        .as_object_mut()
        .ok_or_else(|| format!("{origin}: not a mapping"))?;
    map.retain(|key, _| !key.starts_with("x-"));
    RuleGroup::from_map(
        std::mem::take(map),
        Blobs::Text,
        origin,
        ParseOptions { strict: true },
    )
    .map_err(|e| e.to_string())
}

/// The shipped group `vendor`/`name` (vendor `AWS` or `palisade`).
pub fn find(vendor: &str, name: &str) -> Option<Shipped> {
    if let Some(index) = DOCUMENTS
        .iter()
        .position(|(v, n, _)| v.eq_ignore_ascii_case(vendor) && *n == name)
    {
        return Some(Shipped::Group(group(index)));
    }
    if vendor == "AWS" {
        return NEEDS_AWS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, what)| Shipped::NeedsAws(what));
    }
    None
}

/// `vendor/name` of every group that runs here.
pub fn names() -> Vec<String> {
    DOCUMENTS
        .iter()
        .map(|(vendor, name, _)| format!("{vendor}/{name}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_group_reads_and_compiles() {
        for (index, (_, name, _)) in DOCUMENTS.iter().enumerate() {
            assert_eq!(group(index).name, *name, "the file's name is the group's");
        }
        for name in names() {
            let (vendor, group) = name.split_once('/').unwrap_or_default();
            let acl = format!(
                r#"{{"Name": "t", "DefaultAction": {{"Allow": {{}}}}, "Rules": [{{"Name": "g", "Priority": 0,
                "OverrideAction": {{"None": {{}}}}, "Statement": {{"ManagedRuleGroupStatement": {{"VendorName": "{vendor}", "Name": "{group}"}}}}}}]}}"#
            );
            let acl = crate::WebAcl::parse(&acl, "t.json").unwrap_or_else(|e| panic!("{e}"));
            crate::Evaluator::new(acl, &crate::Sets::default())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        assert!(names().len() >= 9, "{:?}", names());
    }
}
