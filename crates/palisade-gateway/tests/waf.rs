//! The gateway behind a web ACL, over loopback: the seed's three rules,
//! the starter ACL's inserted headers, log fields, counters and samples,
//! and rate limits shared through a real `redis-server`.

#![allow(clippy::print_stderr)]

mod common;

use std::net::TcpListener as StdListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Setup, Upstream, send};

fn example(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/waf")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

const SEED: &str = r#"
listen: 127.0.0.1:0
admin: 127.0.0.1:0
upstreams:
  backend: { url: "${UPSTREAM}" }
routes:
  - { method: ANY, path: "/{proxy+}", upstream: backend }
waf:
  web_acl: seed-web-acl.json
access_log: access.log
"#;

#[tokio::test]
async fn the_seeds_three_rules_block_before_the_upstream() {
    let upstream = Upstream::start().await;
    let setup = Setup::new(
        SEED,
        &[("seed-web-acl.json", &example("seed-web-acl.json"))],
    )
    .var("UPSTREAM", &upstream.url());
    let running = setup.start().await;
    let at = running.address;

    let ok = send(at, "GET", "/rides?city=Seattle", &[], "")
        .await
        .expect("send");
    assert_eq!(ok.status, 200, "{}", ok.body);

    let big = send(
        at,
        "POST",
        "/rides",
        &[("content-type", "text/plain")],
        "x".repeat(2000),
    )
    .await
    .expect("send");
    assert_eq!(big.status, 403);
    assert_eq!(big.body, r#"{"message": "Forbidden"}"#);
    assert_eq!(big.headers["x-amzn-errortype"], "ForbiddenException");

    for target in [
        "/rides?id=1%27%20or%20%271%27%3D%271",
        "/rides/1%20UNION%20SELECT%20password%20FROM%20users--",
    ] {
        let attack = send(at, "GET", target, &[], "").await.expect("send");
        assert_eq!(attack.status, 403, "{target}");
    }
    assert_eq!(
        upstream.seen().len(),
        1,
        "only the first request went through"
    );

    // The rate rule counts only requests that reach it (as in AWS WAF): the
    // first one so far. The 100th passes, the 101st gets the custom response.
    for i in 2..=100 {
        let reply = send(at, "GET", "/rides", &[], "").await.expect("send");
        assert_eq!(reply.status, 200, "request {i}");
    }
    let limited = send(at, "GET", "/rides", &[], "").await.expect("send");
    assert_eq!(limited.status, 429);
    assert_eq!(limited.body, r#"{"message": "Too many requests"}"#);
    assert_eq!(limited.headers["retry-after"], "60");
    assert_eq!(limited.headers["content-type"], "application/json");

    running.shutdown().await;
    let log = std::fs::read_to_string(setup.path("access.log")).expect("log");
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    let sqli = &lines[2];
    assert_eq!(sqli["status"], 403);
    assert_eq!(sqli["reason"], "WAF_FILTERED");
    assert_eq!(sqli["waf"]["terminating_rule"], "sqli");
    assert_eq!(
        sqli["waf"]["labels"],
        serde_json::json!(["wild-rydes:sqli"])
    );
    assert_eq!(
        lines.last().expect("line")["waf"]["terminating_rule"],
        "rate-limit"
    );
}

const STARTER: &str = r#"
listen: 127.0.0.1:0
admin: 127.0.0.1:0
upstreams:
  backend: { url: "${UPSTREAM}" }
routes:
  - { method: ANY, path: "/{proxy+}", upstream: backend }
waf:
  web_acl: web-acl.json
  sets: [bad-bots.json]
access_log: off
"#;

/// The starter web ACL in front of `upstream`.
fn starter(upstream: &Upstream) -> Setup {
    Setup::new(
        STARTER,
        &[
            ("web-acl.json", &example("web-acl.json")),
            ("bad-bots.json", &example("bad-bots.json")),
        ],
    )
    .var("UPSTREAM", &upstream.url())
}

#[tokio::test]
async fn header_values_outside_ascii_are_inspected_too() {
    let upstream = Upstream::start().await;
    let setup = starter(&upstream);
    let running = setup.start().await;
    let status = |header: &[u8]| {
        let mut request =
            b"GET /rides HTTP/1.1\r\nHost: api.example.com\r\nConnection: close\r\nUser-Agent: "
                .to_vec();
        request.extend_from_slice(header);
        request.extend_from_slice(b"\r\n\r\n");
        async move {
            let reply = common::raw(running.address, &request, Duration::from_secs(5)).await;
            reply.get(9..12).unwrap_or_default().to_string()
        }
    };
    // A value with a byte outside visible ASCII used to be left out of
    // the web ACL's view altogether: UTF-8, and raw obs-text.
    assert_eq!(status("caf\u{e9}' or '1'='1".as_bytes()).await, "403");
    assert_eq!(
        status(b"\xff' union select password from users--").await,
        "403"
    );
    assert_eq!(status("caf\u{e9} cr\u{e8}me".as_bytes()).await, "200");
    assert_eq!(upstream.seen().len(), 1);
}

#[tokio::test]
async fn counted_rules_insert_headers_and_the_admin_listener_shows_counters_and_samples() {
    let upstream = Upstream::start().await;
    let setup = starter(&upstream);
    let running = setup.start().await;
    let at = running.address;
    let browser = (
        "user-agent",
        "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0",
    );
    let host = ("host", "api.example.com");
    let admin_path = send(at, "GET", "/admin/users", &[browser, host], "")
        .await
        .expect("send");
    assert_eq!(admin_path.status, 200);
    let seen = upstream.seen();
    assert_eq!(seen[0].headers["x-amzn-waf-suspicious"], "admin-path");

    let xss = send(
        at,
        "POST",
        "/feedback",
        &[
            ("content-type", "application/x-www-form-urlencoded"),
            browser,
            host,
        ],
        "comment=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    )
    .await
    .expect("send");
    assert_eq!(xss.status, 403);
    let bot = send(at, "GET", "/", &[("user-agent", "Nikto/2.5"), host], "")
        .await
        .expect("send");
    assert_eq!(bot.status, 403);
    assert_eq!(upstream.seen().len(), 1);

    let admin = running.admin.expect("admin");
    let metrics = send(admin, "GET", "/metrics", &[], "")
        .await
        .expect("send")
        .body;
    for line in [
        r#"palisade_waf_rule_matches_total{web_acl="starter",rule="admin-paths",action="count"} 1"#,
        r#"palisade_waf_rule_matches_total{web_acl="starter",rule="AWS-AWSManagedRulesAdminProtectionRuleSet",action="count"} 1"#,
        r#"palisade_waf_rule_matches_total{web_acl="starter",rule="AWS-AWSManagedRulesCommonRuleSet",action="block"} 1"#,
        r#"palisade_waf_rule_matches_total{web_acl="starter",rule="bad-bots",action="block"} 1"#,
        r#"palisade_waf_rule_matches_total{web_acl="starter",rule="Default_Action",action="allow"} 1"#,
    ] {
        assert!(metrics.contains(line), "{line} in\n{metrics}");
    }
    let sampled = send(admin, "GET", "/waf/sampled", &[], "")
        .await
        .expect("send")
        .json();
    let samples = sampled["sampled_requests"].as_array().expect("list");
    assert_eq!(samples.len(), 3);
    assert_eq!(samples[0]["terminating_rule"], "bad-bots");
    assert_eq!(
        samples[1]["terminating_rule"],
        "AWS-AWSManagedRulesCommonRuleSet"
    );
    assert_eq!(
        samples[1]["rule"],
        "AWS#AWSManagedRulesCommonRuleSet#CrossSiteScripting_BODY"
    );
    assert_eq!(
        samples[1]["labels"],
        serde_json::json!(["awswaf:managed:aws:core-rule-set:CrossSiteScripting_Body"])
    );
    assert_eq!(
        samples[2]["counted"],
        serde_json::json!([
            "admin-paths",
            "AWS-AWSManagedRulesAdminProtectionRuleSet#AdminProtection_URIPATH"
        ])
    );

    // A client naming the inserted header (or its own copy of it) as
    // hop-by-hop must not keep it from the backend, nor choose its value.
    let reply = common::raw(
        at,
        b"GET /admin/users HTTP/1.1\r\nHost: api.example.com\r\nUser-Agent: curl/8.5.0\r\n\
          Connection: close, x-amzn-waf-suspicious\r\n\
          x-amzn-waf-suspicious: nothing\r\n\r\n",
        Duration::from_secs(5),
    )
    .await;
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    let seen = upstream.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].headers["x-amzn-waf-suspicious"], "admin-path");
    assert!(!seen[1].headers.contains_key("connection"));
    running.shutdown().await;
}

/// A `redis-server` on a free loopback port, stopped on drop.
struct Redis {
    port: u16,
    child: Child,
}

impl Redis {
    fn start(port: Option<u16>) -> Option<Redis> {
        let port = port.unwrap_or_else(|| {
            StdListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .map(|a| a.port())
                .expect("free port")
        });
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let child = match child {
            Ok(child) => child,
            Err(e) if std::env::var("CI").is_ok_and(|v| v == "true") => {
                panic!("redis-server: {e}")
            }
            Err(e) => {
                eprintln!("skipped: redis-server cannot start ({e}); .ci/run installs it");
                return None;
            }
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not listen");
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(Redis { port, child })
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const SHARED: &str = r#"
listen: 127.0.0.1:0
upstreams:
  backend: { url: "${UPSTREAM}" }
routes:
  - { method: ANY, path: "/{proxy+}", upstream: backend }
waf:
  web_acl: acl.json
  rate_limit_store: "${REDIS}"
  redis_failure: ${FAILURE}
access_log: off
"#;

const LIMITED: &str = r#"{"Name": "shared", "DefaultAction": {"Allow": {}}, "Rules": [
  {"Name": "limit", "Priority": 0, "Action": {"Block": {}},
   "Statement": {"RateBasedStatement": {"Limit": 200, "EvaluationWindowSec": 60, "AggregateKeyType": "CONSTANT"}}}]}"#;

#[tokio::test]
async fn two_gateways_share_one_limit_through_redis_and_follow_redis_failure_while_it_is_gone() {
    let Some(redis) = Redis::start(None) else {
        return;
    };
    let port = redis.port;
    let upstream = Upstream::start().await;
    let url = format!("redis://127.0.0.1:{port}/0");
    let closed = Setup::new(SHARED, &[("acl.json", LIMITED)])
        .var("UPSTREAM", &upstream.url())
        .var("REDIS", &url)
        .var("FAILURE", "closed");
    let open = Setup::new(SHARED, &[("acl.json", LIMITED)])
        .var("UPSTREAM", &upstream.url())
        .var("REDIS", &url)
        .var("FAILURE", "open");
    let a = closed.start().await;
    let b = open.start().await;

    // 600 requests, alternating, 8 at a time: exactly 200 pass in all.
    let mut allowed = 0;
    for round in 0..75 {
        let replies = futures_join(
            (0..8)
                .map(|i| {
                    let at = if (round + i) % 2 == 0 {
                        a.address
                    } else {
                        b.address
                    };
                    tokio::spawn(async move { send(at, "GET", "/x", &[], "").await })
                })
                .collect(),
        )
        .await;
        allowed += replies.iter().filter(|s| **s == 200).count();
    }
    assert_eq!(allowed, 200, "one shared limit of 200");

    // Redis goes away: the closed gateway blocks, the open one lets through,
    // and neither waits long.
    drop(redis);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let blocked = send(a.address, "GET", "/x", &[], "").await.expect("send");
    let passed = send(b.address, "GET", "/x", &[], "").await.expect("send");
    assert_eq!(blocked.status, 403);
    assert_eq!(passed.status, 200);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );

    // Back (empty): both count again from zero once the pause has passed.
    let _redis = Redis::start(Some(port)).expect("restart");
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let again = send(a.address, "GET", "/x", &[], "").await.expect("send");
    assert_eq!(again.status, 200, "{}", again.body);
    let again = send(b.address, "GET", "/x", &[], "").await.expect("send");
    assert_eq!(again.status, 200);
    a.shutdown().await;
    b.shutdown().await;
}

async fn futures_join(
    handles: Vec<tokio::task::JoinHandle<Result<common::Reply, String>>>,
) -> Vec<u16> {
    let mut statuses = Vec::new();
    for handle in handles {
        let reply = handle.await.expect("task").expect("send");
        statuses.push(reply.status);
    }
    statuses
}

const GEO: &str = r#"
listen: 127.0.0.1:0
upstreams:
  backend: { url: "${UPSTREAM}" }
routes:
  - { method: ANY, path: "/{proxy+}", upstream: backend }
waf:
  web_acl: acl.json
  geo_database: "${GEO}"
access_log: off
"#;

const GEO_ACL: &str = r#"{"Name": "geo", "DefaultAction": {"Allow": {}}, "Rules": [
  {"Name": "not-here", "Priority": 0, "Action": {"Block": {"CustomResponse": {"ResponseCode": 451}}},
   "Statement": {"GeoMatchStatement": {"CountryCodes": ["AU"], "ForwardedIPConfig":
     {"HeaderName": "X-Forwarded-For", "FallbackBehavior": "NO_MATCH"}}}}]}"#;

#[tokio::test]
async fn geo_match_reads_the_configured_country_database() {
    let upstream = Upstream::start().await;
    let geo = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../palisade-waf/tests/fixtures/geo-country.mmdb");
    let setup = Setup::new(GEO, &[("acl.json", GEO_ACL)])
        .var("UPSTREAM", &upstream.url())
        .var("GEO", &geo.display().to_string());
    let running = setup.start().await;
    let at = running.address;
    let australia = send(at, "GET", "/x", &[("x-forwarded-for", "203.0.113.8")], "")
        .await
        .expect("send");
    assert_eq!(australia.status, 451);
    let america = send(at, "GET", "/x", &[("x-forwarded-for", "198.51.100.8")], "")
        .await
        .expect("send");
    assert_eq!(america.status, 200);
    let none = send(at, "GET", "/x", &[], "").await.expect("send");
    assert_eq!(none.status, 200);
    running.shutdown().await;

    let missing = Setup::new(GEO, &[("acl.json", GEO_ACL)])
        .var("UPSTREAM", &upstream.url())
        .var("GEO", "/nonexistent/GeoLite2-Country.mmdb");
    let err = palisade_gateway::Config::load(&missing.config, &|name| {
        missing.variables.get(name).cloned()
    })
    .err()
    .map(|e| e.to_string())
    .unwrap_or_default();
    assert!(err.contains("#/waf/geo_database"), "{err}");
    assert!(err.contains("GeoLite2-Country.mmdb"), "{err}");
}

#[tokio::test]
async fn a_reload_keeps_in_memory_rate_counters() {
    let upstream = Upstream::start().await;
    let acl = LIMITED.replace("\"Limit\": 200", "\"Limit\": 3");
    let config = SHARED
        .replace("  rate_limit_store: \"${REDIS}\"\n", "")
        .replace("  redis_failure: ${FAILURE}\n", "");
    let setup = Setup::new(&config, &[("acl.json", &acl)]).var("UPSTREAM", &upstream.url());
    let running = setup.start().await;
    for _ in 0..3 {
        let reply = send(running.address, "GET", "/x", &[], "")
            .await
            .expect("send");
        assert_eq!(reply.status, 200);
    }
    running.reload().expect("reload");
    let after = send(running.address, "GET", "/x", &[], "")
        .await
        .expect("send");
    assert_eq!(after.status, 403, "the fourth request, after a reload");
    running.shutdown().await;
}

const GROUPS: &str = r#"
listen: 127.0.0.1:0
upstreams:
  backend: { url: "${UPSTREAM}" }
routes:
  - { method: ANY, path: "/{proxy+}", upstream: backend }
waf:
  web_acl: acl.yaml
  rule_groups: [groups/internal.json]
  log: waf.log
access_log: off
"#;

/// A CloudFormation web ACL: AWS's IP reputation group (which needs AWS's
/// data), palisade's AWS core group with a counted rule, and a rule group
/// of one's own from `get-rule-group` output.
const GROUPS_ACL: &str = r#"
Type: AWS::WAFv2::WebACL
Properties:
  Name: groups
  Scope: REGIONAL
  DefaultAction: { Allow: {} }
  VisibilityConfig: { SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: groups }
  Rules:
    - Name: AWS-AWSManagedRulesAmazonIpReputationList
      Priority: 0
      OverrideAction: { None: {} }
      Statement:
        ManagedRuleGroupStatement: { VendorName: AWS, Name: AWSManagedRulesAmazonIpReputationList }
      VisibilityConfig: { SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: ip }
    - Name: AWS-AWSManagedRulesCommonRuleSet
      Priority: 1
      OverrideAction: { None: {} }
      Statement:
        ManagedRuleGroupStatement:
          VendorName: AWS
          Name: AWSManagedRulesCommonRuleSet
          RuleActionOverrides:
            - { Name: NoUserAgent_HEADER, ActionToUse: { Count: {} } }
      VisibilityConfig: { SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: core }
    - Name: internal
      Priority: 2
      OverrideAction: { None: {} }
      Statement:
        RuleGroupReferenceStatement:
          Arn: arn:aws:wafv2:us-east-1:111122223333:regional/rulegroup/internal/1f2e
      VisibilityConfig: { SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: internal }
"#;

const INTERNAL_GROUP: &str = r#"{"RuleGroup": {"Name": "internal", "Id": "1f2e",
  "ARN": "arn:aws:wafv2:us-east-1:111122223333:regional/rulegroup/internal/1f2e",
  "Capacity": 10, "LabelNamespace": "awswaf:111122223333:rulegroup:internal:",
  "VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "internal"},
  "Rules": [{"Name": "no-debug", "Priority": 0, "Action": {"Block": {}},
    "RuleLabels": [{"Name": "debug"}],
    "Statement": {"ByteMatchStatement": {"SearchString": "L2RlYnVn", "PositionalConstraint": "STARTS_WITH",
      "FieldToMatch": {"UriPath": {}}, "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}},
    "VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "no-debug"}}]},
  "LockToken": "e8f1"}"#;

#[tokio::test]
async fn managed_and_own_rule_groups_run_and_verdicts_are_logged_as_aws_waf_logs_them() {
    let upstream = Upstream::start().await;
    let setup = Setup::new(
        GROUPS,
        &[
            ("acl.yaml", GROUPS_ACL),
            ("groups/internal.json", INTERNAL_GROUP),
        ],
    )
    .var("UPSTREAM", &upstream.url());
    let config =
        palisade_gateway::Config::load(&setup.config, &|name| setup.variables.get(name).cloned())
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.warnings.len(), 1, "{:?}", config.warnings);
    assert!(
        config.warnings[0].contains("AWSManagedRulesAmazonIpReputationList")
            && config.warnings[0].contains("no match"),
        "{:?}",
        config.warnings
    );
    let running = setup.start().await;
    let at = running.address;
    let host = ("host", "api.example.com");
    // No user agent: counted by the override, passed on.
    let counted = send(at, "GET", "/rides", &[host], "").await.expect("send");
    assert_eq!(counted.status, 200);
    let debug = send(at, "GET", "/debug/vars", &[host], "")
        .await
        .expect("send");
    assert_eq!(debug.status, 403);
    let traversal = send(
        at,
        "GET",
        "/files?name=..%2F..%2Fetc%2Fpasswd",
        &[host, ("user-agent", "curl/8.5.0")],
        "",
    )
    .await
    .expect("send");
    assert_eq!(traversal.status, 403);
    assert_eq!(upstream.seen().len(), 1);
    running.shutdown().await;

    let log = std::fs::read_to_string(setup.path("waf.log")).expect("waf log");
    let records: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(records.len(), 3);
    let [counted, debug, traversal] = &records[..] else {
        panic!("{records:?}");
    };
    assert_eq!(counted["action"], "ALLOW");
    assert_eq!(counted["terminatingRuleId"], "Default_Action");
    assert_eq!(counted["formatVersion"], 1);
    assert_eq!(counted["httpSourceName"], "APIGW");
    assert_eq!(counted["httpRequest"]["httpMethod"], "GET");
    assert_eq!(counted["httpRequest"]["uri"], "/rides");
    assert_eq!(counted["httpRequest"]["clientIp"], "127.0.0.1");
    assert_eq!(
        counted["ruleGroupList"][0]["ruleGroupId"],
        "AWS#AWSManagedRulesCommonRuleSet"
    );
    assert_eq!(
        counted["ruleGroupList"][0]["nonTerminatingMatchingRules"],
        serde_json::json!([{"ruleId": "NoUserAgent_HEADER", "action": "COUNT",
            "overriddenAction": "BLOCK", "ruleMatchDetails": []}])
    );
    assert_eq!(debug["action"], "BLOCK");
    assert_eq!(debug["terminatingRuleId"], "internal");
    assert_eq!(debug["terminatingRuleType"], "GROUP");
    assert_eq!(
        debug["ruleGroupList"][1]["ruleGroupId"],
        "arn:aws:wafv2:us-east-1:111122223333:regional/rulegroup/internal/1f2e"
    );
    assert_eq!(
        debug["ruleGroupList"][1]["terminatingRule"]["ruleId"],
        "no-debug"
    );
    assert!(
        debug["labels"].as_array().is_some_and(|l| l.contains(
            &serde_json::json!({"name": "awswaf:111122223333:rulegroup:internal:debug"})
        )),
        "{debug}"
    );
    assert_eq!(
        traversal["terminatingRuleId"],
        "AWS-AWSManagedRulesCommonRuleSet"
    );
    assert_eq!(traversal["terminatingRuleType"], "MANAGED_RULE_GROUP");
    assert_eq!(
        traversal["ruleGroupList"][0]["terminatingRule"]["ruleId"],
        "GenericLFI_QUERYARGUMENTS"
    );
    assert_eq!(
        traversal["httpRequest"]["args"],
        "name=..%2F..%2Fetc%2Fpasswd"
    );
}

#[test]
fn strict_refuses_a_group_that_needs_aws_data() {
    let setup = Setup::new(
        &GROUPS.replace("  log: waf.log\n", "  strict: true\n"),
        &[
            ("acl.yaml", GROUPS_ACL),
            ("groups/internal.json", INTERNAL_GROUP),
        ],
    )
    .var("UPSTREAM", "http://127.0.0.1:9");
    let error =
        palisade_gateway::Config::load(&setup.config, &|name| setup.variables.get(name).cloned())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
    assert!(error.contains("/waf/web_acl"), "{error}");
    assert!(
        error.contains("AWSManagedRulesAmazonIpReputationList"),
        "{error}"
    );
}
