//! The managed rule groups palisade ships: its own implementation of AWS's
//! managed rule groups that need no AWS-side data, under AWS's group and
//! rule names, labels and actions, and palisade's groups for what AWS
//! leaves out. Each group is a rule group document in `rules/` (the same
//! JSON a `RuleGroupReferenceStatement` file holds, search strings as
//! text), read once per process.

use std::sync::OnceLock;

use crate::acl::{ParseOptions, RuleGroup};

/// A group palisade knows by name.
#[derive(Debug)]
pub enum Shipped {
    Group(&'static RuleGroup),
    /// A group that needs data only AWS has: what that is.
    NeedsAws(&'static str),
}

/// (vendor, name, document) of each shipped group.
const DOCUMENTS: &[(&str, &str, &str)] = &[];

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

fn groups() -> &'static [(&'static str, RuleGroup)] {
    static GROUPS: OnceLock<Vec<(&'static str, RuleGroup)>> = OnceLock::new();
    GROUPS.get_or_init(|| {
        DOCUMENTS
            .iter()
            .map(|(vendor, name, text)| {
                let origin = format!("rules/{vendor}/{name}.json");
                let group = RuleGroup::parse(text, &origin, ParseOptions { strict: true })
                    .unwrap_or_else(|e| panic!("a shipped rule group does not read: {e}"));
                (*vendor, group)
            })
            .collect()
    })
}

/// The shipped group `vendor`/`name` (vendor `AWS` or `palisade`).
pub fn find(vendor: &str, name: &str) -> Option<Shipped> {
    if let Some((_, group)) = groups()
        .iter()
        .find(|(v, g)| v.eq_ignore_ascii_case(vendor) && g.name == name)
    {
        return Some(Shipped::Group(group));
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
    groups()
        .iter()
        .map(|(vendor, g)| format!("{vendor}/{}", g.name))
        .collect()
}
