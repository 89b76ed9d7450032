//! `palisade waf test`: the example's cases pass; a wrong expectation
//! fails the run with exit 1; a broken web ACL names the rule.

use std::path::PathBuf;
use std::process::Command;

fn palisade() -> Command {
    Command::new(env!("CARGO_BIN_EXE_palisade"))
}

fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/waf")
        .join(name)
}

/// `palisade waf test` of the starter web ACL (and its set) on `cases`.
fn starter_test(cases: &std::path::Path) -> Command {
    let mut command = palisade();
    command
        .args(["waf", "test", "--web-acl"])
        .arg(example("web-acl.json"))
        .arg("--sets")
        .arg(example("bad-bots.json"))
        .arg("--requests")
        .arg(cases);
    command
}

#[test]
fn the_example_cases_pass_and_print_action_rule_and_labels() {
    let output = starter_test(&example("cases.yaml"))
        .arg("--json")
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let cases: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    let cases = cases.as_array().expect("list");
    assert_eq!(cases.len(), 44);
    let by_name = |name: &str| {
        cases
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("{name}"))
    };
    let sqli = by_name("SQL injection in the query string");
    assert_eq!(sqli["action"], "BLOCK");
    assert_eq!(sqli["terminating_rule"], "AWS-AWSManagedRulesSQLiRuleSet");
    assert_eq!(sqli["terminating_group"], "AWS#AWSManagedRulesSQLiRuleSet");
    assert_eq!(sqli["terminating_group_rule"], "SQLi_QUERYARGUMENTS");
    assert_eq!(
        sqli["rule"],
        "AWS#AWSManagedRulesSQLiRuleSet#SQLi_QUERYARGUMENTS"
    );
    assert_eq!(
        sqli["labels"],
        serde_json::json!(["awswaf:managed:aws:sql-database:SQLi_QueryArguments"])
    );
    let admin = by_name("an admin path is counted, labelled and passed on with a header");
    assert_eq!(admin["action"], "ALLOW");
    assert_eq!(
        admin["inserted_headers"],
        serde_json::json!([["x-amzn-waf-suspicious", "admin-path"]])
    );
    let rate = by_name("the 1001st request in five minutes from one address");
    assert_eq!(rate["status"], 429);
    assert!(cases.iter().all(|c| c["passed"] == true));
}

#[test]
fn a_case_whose_expectation_differs_fails_the_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = dir.path().join("cases.yaml");
    std::fs::write(
        &cases,
        "defaults:\n  headers: {user-agent: curl/8.5.0}\ncases:\n  - name: harmless\n    path: /?q=hello\n    expect: BLOCK\n  - name: attack\n    path: /?q=%3Cscript%3E\n    expect: BLOCK\n",
    )
    .expect("write");
    let output = starter_test(&cases).output().expect("run");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("FAIL harmless  ALLOW  Default_Action"),
        "{stdout}"
    );
    assert!(stdout.contains("expected Block, got Allow"), "{stdout}");
    assert!(
        stdout.contains(
            "ok   attack  BLOCK  AWS#AWSManagedRulesCommonRuleSet#CrossSiteScripting_QUERYARGUMENTS"
        ),
        "{stdout}"
    );
}

#[test]
fn a_web_acl_referencing_a_missing_set_is_an_error_naming_the_rule() {
    let output = palisade()
        .args(["waf", "test", "--web-acl"])
        .arg(example("web-acl.json"))
        .arg("--requests")
        .arg(example("cases.yaml"))
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("rule \"bad-bots\""), "{stderr}");
    assert!(stderr.contains("--sets"), "{stderr}");
}

/// A go-ftw test file as CRS writes it: one attack stage (a CRS rule must
/// fire) and one near miss (it must not).
const FTW: &str = r#"---
meta:
  author: palisade
rule_id: 930100
tests:
  - test_id: 1
    desc: path traversal in an argument
    stages:
      - input:
          dest_addr: 127.0.0.1
          method: GET
          port: 80
          headers:
            Host: www.example.com
            User-Agent: OWASP CRS test agent
            Accept: "*/*"
          uri: "/get?file=..%2F..%2F..%2Fetc%2Fpasswd"
        output:
          log:
            expect_ids: [930100]
  - test_id: 2
    desc: a file name with dots
    stages:
      - input:
          method: GET
          headers:
            Host: www.example.com
            User-Agent: OWASP CRS test agent
          uri: "/get?file=report.v2.final.pdf"
        output:
          log:
            no_expect_ids: [930100]
"#;

#[test]
fn go_ftw_files_replay_and_verdicts_can_be_logged_as_aws_waf_logs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = dir.path().join("930100.yaml");
    std::fs::write(&cases, FTW).expect("write");
    let log = dir.path().join("waf.log");
    let output = starter_test(&cases)
        .arg("--log")
        .arg(&log)
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains("ok   930100-1: path traversal in an argument  BLOCK  AWS#AWSManagedRulesCommonRuleSet#GenericLFI_QUERYARGUMENTS"),
        "{stdout}"
    );
    assert!(
        stdout.contains("ok   930100-2: a file name with dots  ALLOW  Default_Action"),
        "{stdout}"
    );
    assert!(
        stderr.contains("2 case(s), 2 with an expectation, 0 failed"),
        "{stderr}"
    );
    let records: Vec<serde_json::Value> = std::fs::read_to_string(&log)
        .expect("log")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(records.len(), 2);
    assert_eq!(
        records[0]["webaclId"],
        "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/starter/7d2c1a40-0000-4000-8000-000000000001"
    );
    assert_eq!(records[0]["terminatingRuleType"], "MANAGED_RULE_GROUP");
    assert_eq!(
        records[0]["ruleGroupList"][0]["terminatingRule"]["ruleId"],
        "GenericLFI_QUERYARGUMENTS"
    );
    assert_eq!(records[1]["action"], "ALLOW");
    assert_eq!(
        records[1]["httpRequest"]["args"],
        "file=report.v2.final.pdf"
    );
}

#[test]
fn a_group_needing_aws_data_is_a_warning_and_strict_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let acl = dir.path().join("acl.json");
    std::fs::write(
        &acl,
        r#"{"Name": "a", "DefaultAction": {"Allow": {}}, "Rules": [
          {"Name": "bots", "Priority": 0, "OverrideAction": {"None": {}},
           "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": "AWSManagedRulesBotControlRuleSet"}}}]}"#,
    )
    .expect("write");
    let run = |strict: bool| {
        let mut command = palisade();
        command
            .args(["waf", "test", "--web-acl"])
            .arg(&acl)
            .arg("--requests")
            .arg(example("cases.yaml"));
        if strict {
            command.arg("--strict");
        }
        command.output().expect("run")
    };
    let loose = run(false);
    let stderr = String::from_utf8_lossy(&loose.stderr);
    assert!(
        stderr.contains(
            "warning: rule \"bots\": managed rule group AWS/AWSManagedRulesBotControlRuleSet needs"
        ),
        "{stderr}"
    );
    let strict = run(true);
    let stderr = String::from_utf8_lossy(&strict.stderr);
    assert_eq!(strict.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("AWSManagedRulesBotControlRuleSet"),
        "{stderr}"
    );
}
