//! Every managed rule group palisade ships (AWS's, as palisade implements
//! them, and its own) against the OWASP CRS regression tests in `../shared/data/waf-corpus/crs`, request-phase files
//! 913 to 944: per attack class, the share of attack requests (a CRS rule
//! must fire) blocked and of near-miss requests (`no_expect_ids` only)
//! let through, printed and pinned.

#![allow(clippy::print_stderr)]

use std::collections::BTreeMap;

use palisade_waf::cases::{Expect, parse_ftw, run};
use palisade_waf::{Decision, Evaluator, Sets, WebAcl};

/// The classes of the request-phase files, and the floors their rates are
/// pinned at: (attacks on PL1 rules blocked, all attacks blocked,
/// near-misses passed), in percent.
const CLASSES: &[(&str, &str, f64, f64, f64)] = &[
    (
        "REQUEST-913-SCANNER-DETECTION",
        "scanners",
        100.0,
        100.0,
        50.0,
    ),
    (
        "REQUEST-920-PROTOCOL-ENFORCEMENT",
        "protocol enforcement",
        16.0,
        12.0,
        92.0,
    ),
    (
        "REQUEST-921-PROTOCOL-ATTACK",
        "protocol attacks (CRLF, smuggling)",
        100.0,
        88.0,
        90.0,
    ),
    (
        "REQUEST-922-MULTIPART-ATTACK",
        "multipart",
        100.0,
        100.0,
        93.0,
    ),
    (
        "REQUEST-930-APPLICATION-ATTACK-LFI",
        "local file inclusion",
        100.0,
        100.0,
        93.0,
    ),
    (
        "REQUEST-931-APPLICATION-ATTACK-RFI",
        "remote file inclusion",
        100.0,
        69.0,
        100.0,
    ),
    (
        "REQUEST-932-APPLICATION-ATTACK-RCE",
        "command injection",
        87.0,
        77.0,
        89.0,
    ),
    (
        "REQUEST-933-APPLICATION-ATTACK-PHP",
        "PHP injection",
        88.0,
        84.0,
        71.0,
    ),
    (
        "REQUEST-934-APPLICATION-ATTACK-GENERIC",
        "generic (SSRF, SSTI, Node.js, prototype pollution)",
        93.0,
        78.0,
        71.0,
    ),
    (
        "REQUEST-941-APPLICATION-ATTACK-XSS",
        "cross-site scripting",
        84.0,
        82.0,
        88.0,
    ),
    (
        "REQUEST-942-APPLICATION-ATTACK-SQLI",
        "SQL injection",
        86.0,
        59.0,
        92.0,
    ),
    (
        "REQUEST-943-APPLICATION-ATTACK-SESSION-FIXATION",
        "session fixation",
        90.0,
        90.0,
        20.0,
    ),
    (
        "REQUEST-944-APPLICATION-ATTACK-JAVA",
        "Java",
        95.0,
        94.0,
        9.0,
    ),
];

/// A web ACL of every managed rule group palisade ships, AWS's and its own,
/// in that order: each CRS class is measured against the groups that cover
/// it. `override_action` is the groups' `OverrideAction` (`None`, `Count`).
fn every_group(override_action: &str) -> Evaluator {
    let rules: Vec<String> = palisade_waf::managed::names()
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let (vendor, group) = name.split_once('/').unwrap_or_default();
            format!(
                r#"{{"Name": "{vendor}-{group}", "Priority": {i}, "OverrideAction": {{"{override_action}": {{}}}},
                "Statement": {{"ManagedRuleGroupStatement": {{"VendorName": "{vendor}", "Name": "{group}"}}}}}}"#
            )
        })
        .collect();
    let text = format!(
        r#"{{"Name": "every-group", "DefaultAction": {{"Allow": {{}}}}, "Rules": [{}]}}"#,
        rules.join(",")
    );
    let acl = WebAcl::parse(&text, "every-group.json").unwrap_or_else(|e| panic!("{e}"));
    Evaluator::new(acl, &Sets::default()).unwrap_or_else(|e| panic!("{e}"))
}

/// The law `fuzz/fuzz_targets/waf_managed_groups.rs` checks on random
/// requests, here on every CRS request: counted groups evaluate every rule
/// and never block; blocking groups stop at the first Block, so their labels
/// are a prefix of the counted ones and the rule that blocked was counted.
fn counting_shows_what_blocking_decides(
    case: &palisade_waf::cases::Case,
    blocked: &palisade_waf::Verdict,
    counted: &palisade_waf::Verdict,
) {
    assert_eq!(counted.decision, Decision::Allow, "{}", case.name);
    assert!(
        counted.labels.starts_with(&blocked.labels),
        "{}: blocking labels {:?} are not a prefix of counted {:?}",
        case.name,
        blocked.labels,
        counted.labels
    );
    if matches!(blocked.decision, Decision::Block(_)) {
        assert!(
            counted
                .matches
                .iter()
                .any(|m| m.group == blocked.terminating_group
                    && m.group_rule == blocked.terminating_group_rule),
            "{}: {:?} blocked but was not counted",
            case.name,
            blocked.terminating_group_rule
        );
    }
}

#[derive(Default)]
struct Tally {
    attacks: usize,
    blocked: usize,
    /// Attacks on rules CRS runs at paranoia level 1 (what CRS blocks in
    /// its default setting), and how many of those were blocked.
    pl1_attacks: usize,
    pl1_blocked: usize,
    benign: usize,
    passed: usize,
    missed: Vec<String>,
    false_positives: Vec<String>,
}

fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        100.0
    } else {
        100.0 * part as f64 / whole as f64
    }
}

/// Each CRS rule's paranoia level, read from the rule files beside the
/// tests (`tag:'paranoia-level/N'` in the rule's first line of actions).
fn paranoia_levels(rules: &std::path::Path) -> BTreeMap<u64, u8> {
    let mut levels = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(rules) else {
        return levels;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|x| x != "conf") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        for rule in text.split("\nSecRule ").chain(text.split("\nSecAction")) {
            let id = rule
                .split("id:")
                .nth(1)
                .map(|rest| {
                    rest.chars()
                        .take_while(char::is_ascii_digit)
                        .collect::<String>()
                })
                .and_then(|digits| digits.parse::<u64>().ok());
            let level = rule
                .split("paranoia-level/")
                .nth(1)
                .and_then(|rest| rest.chars().next())
                .and_then(|c| c.to_digit(10));
            if let (Some(id), Some(level)) = (id, level) {
                levels.entry(id).or_insert(level as u8);
            }
        }
    }
    levels
}

/// A case as the detail listing shows it: its name, then the request
/// (headers other than the usual, the body cut short).
fn describe(case: &palisade_waf::cases::Case) -> String {
    let usual = [
        "host",
        "user-agent",
        "accept",
        "connection",
        "content-length",
    ];
    let headers: Vec<String> = case
        .headers
        .iter()
        .filter(|(k, _)| !usual.contains(&k.to_ascii_lowercase().as_str()))
        .map(|(k, v)| format!("{k}: {v}"))
        .collect();
    let body: String = case
        .body
        .as_deref()
        .unwrap_or_default()
        .chars()
        .take(300)
        .collect();
    format!(
        "{}\n        {} {} [{}] {body:?}",
        case.name,
        case.method,
        case.path,
        headers.join(" | ")
    )
}

#[test]
fn the_starter_acl_on_the_crs_regression_tests() {
    let Some(data) = palisade_testkit::data_dir("waf-corpus/crs/tests/regression/tests") else {
        return;
    };
    let evaluator = every_group("None");
    let counting = every_group("Count");
    let levels = paranoia_levels(&data.join("../../../rules"));
    assert!(
        levels.len() > 100,
        "the CRS rule files beside the tests give paranoia levels"
    );
    let mut tallies: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut serial = 0u32;
    for (dir, class, _, _, _) in CLASSES {
        let tally = tallies.entry(class).or_default();
        let mut files: Vec<_> = std::fs::read_dir(data.join(dir))
            .unwrap_or_else(|e| panic!("{dir}: {e}"))
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
            .collect();
        files.sort();
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{e}"));
            let mut cases =
                parse_ftw(&text, &file.display().to_string()).unwrap_or_else(|e| panic!("{e}"));
            // The tests are sent to a server on this machine, so they name
            // it `localhost`, which AWS's known-bad-inputs group blocks:
            // here they name a site instead.
            for case in &mut cases {
                // One client each, so the rate-based rule never decides.
                serial += 1;
                case.client_ip = Some(std::net::IpAddr::V4(std::net::Ipv4Addr::from(
                    0x0a00_0000_u32 + serial,
                )));
                for (name, value) in case.headers.iter_mut() {
                    if name.eq_ignore_ascii_case("host") && value == "localhost" {
                        *value = "www.example.com".to_string();
                    }
                }
            }
            let counted = run(&counting, &cases);
            for ((case, outcome), counted) in cases.iter().zip(run(&evaluator, &cases)).zip(counted)
            {
                let blocked = matches!(outcome.verdict.decision, Decision::Block(_));
                counting_shows_what_blocking_decides(case, &outcome.verdict, &counted.verdict);
                match case.expect {
                    Some(Expect::Block) => {
                        tally.attacks += 1;
                        let pl1 = case
                            .crs_rule
                            .is_some_and(|id| levels.get(&id).is_some_and(|l| *l == 1));
                        tally.pl1_attacks += usize::from(pl1);
                        tally.pl1_blocked += usize::from(pl1 && blocked);
                        if blocked {
                            tally.blocked += 1;
                        } else {
                            let level = case
                                .crs_rule
                                .and_then(|id| levels.get(&id))
                                .map_or("?".to_string(), u8::to_string);
                            tally.missed.push(format!("[PL{level}] {}", describe(case)));
                        }
                    }
                    Some(Expect::Allow) => {
                        tally.benign += 1;
                        if blocked {
                            tally.false_positives.push(format!(
                                "{} (by {}{})",
                                describe(case),
                                outcome.verdict.terminating_rule.as_deref().unwrap_or("?"),
                                outcome
                                    .verdict
                                    .terminating_group_rule
                                    .as_deref()
                                    .map(|r| format!("#{r}"))
                                    .unwrap_or_default()
                            ));
                        } else {
                            tally.passed += 1;
                        }
                    }
                    None => {}
                }
            }
        }
    }
    eprintln!(
        "{:<52} {:>19} {:>19} {:>19}",
        "class", "PL1 attacks blocked", "all attacks blocked", "near-misses passed"
    );
    let verbose = std::env::var_os("PALISADE_CRS_DETAIL").is_some();
    let mut failures = Vec::new();
    for (_, class, pl1_floor, attack_floor, benign_floor) in CLASSES {
        let t = &tallies[class];
        let pl1 = percent(t.pl1_blocked, t.pl1_attacks);
        let blocked = percent(t.blocked, t.attacks);
        let passed = percent(t.passed, t.benign);
        eprintln!(
            "{class:<52} {:>6}/{:<5} {pl1:5.1}% {:>6}/{:<5} {blocked:5.1}% {:>6}/{:<5} {passed:5.1}%",
            t.pl1_blocked, t.pl1_attacks, t.blocked, t.attacks, t.passed, t.benign
        );
        if verbose {
            for m in &t.missed {
                eprintln!("    missed: {m}");
            }
            for f in &t.false_positives {
                eprintln!("    blocked near-miss: {f}");
            }
        }
        if pl1 < *pl1_floor {
            failures.push(format!(
                "{class}: {pl1:.1}% of attacks on PL1 rules blocked, below {pl1_floor}%"
            ));
        }
        if blocked < *attack_floor {
            failures.push(format!(
                "{class}: {blocked:.1}% of attacks blocked, below {attack_floor}%"
            ));
        }
        if passed < *benign_floor {
            failures.push(format!(
                "{class}: {passed:.1}% of near-misses passed, below {benign_floor}%"
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
