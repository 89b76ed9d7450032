//! The `waf:` section: an AWS WAF web ACL (with its IP and regex pattern
//! set files) evaluated before routing, its rate-based rules counted in
//! memory or in Redis; per-rule counters and a window of sampled requests
//! for the admin listener.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use http::{HeaderMap, HeaderValue};
use palisade_waf::redis_rate::RedisRate;
use palisade_waf::{
    Decision, Evaluator, ParseOptions, RuleGroup, Sets, StoreFailure, Verdict, WafRequest, WebAcl,
};
use serde_json::Value;

use crate::metrics::escape;
use crate::reader::{Reader, read_limited};

/// How many shards the counters have: one per core, as workers default to.
fn shards() -> usize {
    static SHARDS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *SHARDS.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get().min(64)))
}

/// How many recent requests the admin listener shows.
const SAMPLES: usize = 100;

pub struct Waf {
    pub web_acl: PathBuf,
    pub evaluator: Evaluator,
    /// Where AWS WAF log records go (`Off`: nowhere).
    pub log: crate::config::AccessLog,
    /// `None`: rate-based rules count in this process's memory.
    pub store: Option<RedisRate>,
    pub failure: StoreFailure,
    pub stats: Arc<WafStats>,
}

impl std::fmt::Debug for Waf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Waf")
            .field("web_acl", &self.web_acl)
            .field("shared", &self.store.is_some())
            .field("failure", &self.failure)
            .finish_non_exhaustive()
    }
}

/// Actions counted per rule, in this order.
const ACTIONS: [&str; 3] = ["block", "allow", "count"];

/// One rule's counts by action, in one worker's shard.
#[derive(Debug, Default)]
#[repr(align(128))]
struct Counts([AtomicU64; 3]);

/// Per-rule counters and recent samples.
#[derive(Debug)]
pub struct WafStats {
    pub acl: String,
    /// Rule names, then `Default_Action`.
    pub rules: Vec<String>,
    /// Per worker shard, then per rule: each on a cache line of its own, so
    /// workers counting the same rule do not contend.
    counts: Box<[Counts]>,
    samples: Mutex<VecDeque<Value>>,
    /// Whether the shared store failed on its last call (to log changes once).
    store_down: AtomicBool,
}

impl WafStats {
    fn new(acl: &WebAcl) -> WafStats {
        let mut rules: Vec<String> = acl.rules.iter().map(|r| r.name.clone()).collect();
        rules.push("Default_Action".to_string());
        WafStats {
            acl: acl.name.clone(),
            counts: (0..shards() * rules.len())
                .map(|_| Counts::default())
                .collect(),
            rules,
            samples: Mutex::new(VecDeque::with_capacity(SAMPLES)),
            store_down: AtomicBool::new(false),
        }
    }

    fn count(&self, rule: Option<&str>, action: usize) {
        let index = match rule {
            Some(name) => self.rules.iter().position(|r| r == name),
            None => Some(self.rules.len() - 1),
        };
        let shard = crate::metrics::shard() % shards();
        if let Some(slot) = index.and_then(|i| self.counts.get(shard * self.rules.len() + i)) {
            slot.0[action].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Rule `rule`'s count of `action`, over every shard.
    fn total(&self, rule: usize, action: usize) -> u64 {
        self.counts
            .iter()
            .skip(rule)
            .step_by(self.rules.len())
            .map(|c| c.0[action].load(Ordering::Relaxed))
            .sum()
    }

    /// Prometheus lines: matches by rule and action.
    pub fn render(&self, out: &mut String) {
        use std::fmt::Write;
        let _ = writeln!(
            out,
            "# HELP palisade_waf_rule_matches_total Requests a web ACL rule (or its default action) decided or counted.\n# TYPE palisade_waf_rule_matches_total counter"
        );
        for (i, rule) in self.rules.iter().enumerate() {
            for (a, action) in ACTIONS.iter().enumerate() {
                let n = self.total(i, a);
                if n > 0 {
                    let _ = writeln!(
                        out,
                        "palisade_waf_rule_matches_total{{web_acl=\"{}\",rule=\"{}\",action=\"{action}\"}} {n}",
                        escape(&self.acl),
                        escape(rule)
                    );
                }
            }
        }
    }

    /// The sampled requests, newest first, as a JSON document.
    pub fn sampled(&self) -> String {
        let samples = self.samples.lock().unwrap_or_else(|e| e.into_inner());
        let list: Vec<&Value> = samples.iter().rev().collect();
        serde_json::json!({"web_acl": self.acl, "sampled_requests": list}).to_string()
    }

    fn sample(&self, entry: Value) {
        let mut samples = self.samples.lock().unwrap_or_else(|e| e.into_inner());
        if samples.len() == SAMPLES {
            samples.pop_front();
        }
        samples.push_back(entry);
    }

    /// Records whether the store failed; `Some(message)` when that changed.
    pub fn store_state(&self, error: Option<&str>) -> Option<(bool, String)> {
        let down = error.is_some();
        // Read first: a write on every request would bounce the cache line
        // between workers; only a change is written.
        if self.store_down.load(Ordering::Relaxed) == down
            || self.store_down.swap(down, Ordering::Relaxed) == down
        {
            return None;
        }
        Some(match error {
            Some(e) => (
                true,
                format!("{e}; rate-based rules fail as redis_failure says until it is back"),
            ),
            None => (false, "Redis rate store is reachable again".to_string()),
        })
    }
}

/// Reads the `waf:` section; the web ACL, and the sets it references, are
/// read relative to the configuration file and watched for changes.
pub(crate) fn section(
    value: &Value,
    base: &Path,
    watched: &mut Vec<PathBuf>,
    reader: &mut Reader,
) -> Option<Waf> {
    const KNOWN: &[&str] = &[
        "web_acl",
        "sets",
        "rule_groups",
        "geo_database",
        "asn_database",
        "strict",
        "log",
        "rate_limit_store",
        "redis_failure",
    ];
    let map = reader.object(value, "/waf", Some(KNOWN))?;
    let Some(acl_value) = map.get("web_acl") else {
        reader.problem("/waf", "missing web_acl (an AWS WAF web ACL JSON file)");
        return None;
    };
    let path = base.join(reader.string(acl_value, "/waf/web_acl")?);
    watched.push(path.clone());
    let mut sets = Sets::default();
    let mut sets_ok = true;
    if let Some(list) = map.get("sets") {
        for (i, file) in reader.strings(list, "/waf/sets").into_iter().enumerate() {
            let set_path = base.join(&file);
            watched.push(set_path.clone());
            let parsed = read_limited(&set_path)
                .map_err(|e| e.to_string())
                .and_then(|text| palisade_waf::parse_set(&text, &set_path.display().to_string()));
            match parsed {
                Ok(set) => sets.add(set),
                Err(e) => {
                    reader.problem(&format!("/waf/sets/{i}"), e);
                    sets_ok = false;
                }
            }
        }
    }
    let strict = match map.get("strict") {
        Some(v) => reader.boolean(v, "/waf/strict").unwrap_or(false),
        None => false,
    };
    let options = ParseOptions { strict };
    if let Some(list) = map.get("rule_groups") {
        for (i, file) in reader
            .strings(list, "/waf/rule_groups")
            .into_iter()
            .enumerate()
        {
            let group_path = base.join(&file);
            watched.push(group_path.clone());
            let parsed = read_limited(&group_path)
                .map_err(|e| e.to_string())
                .and_then(|text| {
                    RuleGroup::parse(&text, &group_path.display().to_string(), options)
                        .map_err(|e| e.to_string())
                });
            match parsed {
                Ok(group) => sets.rule_groups.push(group),
                Err(e) => {
                    reader.problem(&format!("/waf/rule_groups/{i}"), e);
                    sets_ok = false;
                }
            }
        }
    }
    for (key, asn) in [("geo_database", false), ("asn_database", true)] {
        let pointer = format!("/waf/{key}");
        if let Some(v) = map.get(key)
            && let Some(file) = reader.string(v, &pointer)
        {
            let db_path = base.join(file);
            watched.push(db_path.clone());
            match palisade_waf::geo::GeoDb::open(&db_path) {
                Ok(db) if asn => sets.asn = Some(Arc::new(db)),
                Ok(db) => sets.geo = Some(Arc::new(db)),
                Err(e) => {
                    reader.problem(&pointer, e);
                    sets_ok = false;
                }
            }
        }
    }
    let log = match map.get("log") {
        None => crate::config::AccessLog::Off,
        Some(v) => match reader.string(v, "/waf/log") {
            Some("off") | None => crate::config::AccessLog::Off,
            Some("stdout") | Some("-") => crate::config::AccessLog::Stdout,
            Some("stderr") => crate::config::AccessLog::Stderr,
            Some(path) => crate::config::AccessLog::File(base.join(path)),
        },
    };
    let store = match map.get("rate_limit_store") {
        None => None,
        Some(v) => match reader.string(v, "/waf/rate_limit_store")? {
            "memory" => None,
            url if url.starts_with("redis://") => match RedisRate::new(url) {
                Ok(store) => Some(store),
                Err(e) => {
                    reader.problem("/waf/rate_limit_store", e);
                    None
                }
            },
            other => {
                reader.problem(
                    "/waf/rate_limit_store",
                    format!("{other:?} is neither memory nor a redis:// URL"),
                );
                None
            }
        },
    };
    let failure = match map.get("redis_failure") {
        None => StoreFailure::Open,
        Some(v) => match reader.string(v, "/waf/redis_failure")? {
            "open" => StoreFailure::Open,
            "closed" => StoreFailure::Closed,
            other => {
                reader.problem(
                    "/waf/redis_failure",
                    format!("{other:?} is neither open nor closed"),
                );
                StoreFailure::Open
            }
        },
    };
    let text = match read_limited(&path) {
        Ok(text) => text,
        Err(e) => {
            reader.problem("/waf/web_acl", e.to_string());
            return None;
        }
    };
    let acl = match WebAcl::parse_with(&text, &path.display().to_string(), options) {
        Ok(acl) => acl,
        Err(e) => {
            reader.problem("/waf/web_acl", e.to_string());
            return None;
        }
    };
    if !sets_ok {
        return None;
    }
    let stats = Arc::new(WafStats::new(&acl));
    match Evaluator::new(acl, &sets) {
        Ok(evaluator) => Some(Waf {
            web_acl: path,
            evaluator,
            log,
            store,
            failure,
            stats,
        }),
        Err(e) => {
            reader.problem("/waf/web_acl", format!("{}: {e}", path.display()));
            None
        }
    }
}

/// The request as the rules see it. Every header is in it: a value the rules
/// skipped would be a hiding place for a payload. Values that are not
/// UTF-8 (raw `obs-text`, rare) are read lossily into `lossy`.
pub(crate) fn request<'a>(
    method: &'a str,
    uri: &'a http::Uri,
    headers: &'a HeaderMap,
    body: &'a [u8],
    client: IpAddr,
    lossy: &'a mut Vec<String>,
) -> WafRequest<'a> {
    let mut request = WafRequest {
        method,
        uri_path: uri.path(),
        query: uri.query().unwrap_or(""),
        // One entry per header value, sized up front.
        headers: Vec::with_capacity(headers.len()),
        body,
        client_ip: Some(client),
    };
    if text_pairs(&mut request.headers, headers, [].iter()) {
        return request;
    }
    // Rare: some value is not UTF-8. Read those lossily into `lossy`, in
    // the order `values` gives them, and read every header again.
    lossy.extend(
        headers
            .values()
            .map(HeaderValue::as_bytes)
            .filter(|v| std::str::from_utf8(v).is_err())
            .map(|v| String::from_utf8_lossy(v).into_owned()),
    );
    let lossy: &'a [String] = lossy;
    text_pairs(&mut request.headers, headers, lossy.iter());
    request
}

/// Each header as name and text into `out`, a value that is not UTF-8
/// taken from `lossy` in turn; false when `lossy` runs out.
fn text_pairs<'a>(
    out: &mut Vec<(&'a str, &'a str)>,
    headers: &'a HeaderMap,
    mut lossy: std::slice::Iter<'a, String>,
) -> bool {
    out.clear();
    for (k, v) in headers {
        let text = match std::str::from_utf8(v.as_bytes()) {
            Ok(text) => text,
            Err(_) => match lossy.next() {
                Some(text) => text.as_str(),
                None => return false,
            },
        };
        out.push((k.as_str(), text));
    }
    true
}

impl Waf {
    pub(crate) async fn evaluate(&self, request: &WafRequest<'_>) -> Verdict {
        match &self.store {
            Some(store) => {
                self.evaluator
                    .evaluate_shared(request, store, self.failure)
                    .await
            }
            None => self.evaluator.evaluate(request),
        }
    }

    /// Counts the verdict and samples the request when a rule matched.
    pub(crate) fn record(&self, verdict: &Verdict, request: &WafRequest<'_>, request_id: &str) {
        let action = match verdict.decision {
            Decision::Block(_) => 0,
            Decision::Allow => 1,
        };
        self.stats
            .count(verdict.terminating_rule.as_deref(), action);
        // A group's counted rules count under the web ACL rule of the
        // group, as its metric in AWS does.
        for matched in &verdict.matches {
            self.stats.count(Some(&matched.rule), 2);
        }
        if verdict.terminating_rule.is_some() || !verdict.counted.is_empty() {
            self.stats.sample(serde_json::json!({
                "time": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                "request_id": request_id,
                "client": request.client_ip.map(|ip| ip.to_string()),
                "method": request.method,
                "path": request.uri_path,
                "action": ACTIONS[action].to_uppercase(),
                "terminating_rule": verdict.terminating_rule,
                "rule": palisade_waf::cases::deciding_rule(verdict),
                "counted": verdict.counted,
                "labels": verdict.labels,
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_from_every_worker_add_up() {
        let acl = WebAcl::parse(
            r#"{"Name": "a", "DefaultAction": {"Allow": {}}, "VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": false, "MetricName": "a"},
               "Rules": [{"Name": "r", "Priority": 0, "Action": {"Block": {}},
                 "Statement": {"ByteMatchStatement": {"SearchString": "x", "PositionalConstraint": "CONTAINS", "FieldToMatch": {"UriPath": {}}, "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}},
                 "VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": false, "MetricName": "r"}}]}"#,
            "acl.json",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let stats = Arc::new(WafStats::new(&acl));
        let workers: Vec<_> = (0..4)
            .map(|worker| {
                let stats = stats.clone();
                std::thread::spawn(move || {
                    crate::metrics::set_shard(worker);
                    for _ in 0..250 {
                        stats.count(Some("r"), 0);
                        stats.count(None, 1);
                    }
                })
            })
            .collect();
        for worker in workers {
            worker
                .join()
                .unwrap_or_else(|_| panic!("a worker panicked"));
        }
        let mut out = String::new();
        stats.render(&mut out);
        assert!(out.contains(r#"rule="r",action="block"} 1000"#), "{out}");
        assert!(
            out.contains(r#"rule="Default_Action",action="allow"} 1000"#),
            "{out}"
        );
        assert!(!out.contains(r#"action="count""#), "{out}");
    }
}
