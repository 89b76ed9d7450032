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
    assert_eq!(cases.len(), 13);
    let by_name = |name: &str| {
        cases
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("{name}"))
    };
    let sqli = by_name("SQL injection in the query string");
    assert_eq!(sqli["action"], "BLOCK");
    assert_eq!(sqli["terminating_rule"], "sqli");
    assert_eq!(sqli["labels"], serde_json::json!(["starter:sqli"]));
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
        "cases:\n  - name: harmless\n    path: /?q=hello\n    expect: BLOCK\n  - name: attack\n    path: /?q=%3Cscript%3E\n    expect: BLOCK\n",
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
    assert!(stdout.contains("ok   attack  BLOCK  xss"), "{stdout}");
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
