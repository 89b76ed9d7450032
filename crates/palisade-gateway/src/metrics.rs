//! Counters and latency histograms, kept in atomics so the request path
//! never takes a lock, and rendered in Prometheus' text format.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use palisade_validate::ResponseType;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The status codes counted one by one; others are counted by class.
fn status_slot(status: u16) -> usize {
    let status = usize::from(status);
    match status {
        100..=103 => status - 100,
        200..=226 => status - 200 + 4,
        300..=308 => status - 300 + 31,
        400..=451 => status - 400 + 40,
        500..=511 => status - 500 + 92,
        _ => 104 + (status / 100).min(5),
    }
}

/// The status a slot stands for (`"4xx"` for a class slot).
fn slot_status(slot: usize) -> String {
    match slot {
        0..=3 => (slot + 100).to_string(),
        4..=30 => (slot - 4 + 200).to_string(),
        31..=39 => (slot - 31 + 300).to_string(),
        40..=91 => (slot - 40 + 400).to_string(),
        92..=103 => (slot - 92 + 500).to_string(),
        _ => format!("{}xx", slot - 104),
    }
}

const SLOTS: usize = 110;

/// One worker's counters, on cache lines of their own so workers never
/// contend for them.
#[derive(Debug)]
#[repr(align(128))]
struct Shard {
    statuses: [AtomicU64; SLOTS],
    rejections: [AtomicU64; ResponseType::ALL.len()],
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Shard {
    fn new() -> Shard {
        Shard {
            statuses: std::array::from_fn(|_| AtomicU64::new(0)),
            rejections: std::array::from_fn(|_| AtomicU64::new(0)),
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            count: AtomicU64::new(0),
            sum_micros: AtomicU64::new(0),
        }
    }
}

/// A gauge on a cache line of its own.
#[derive(Debug, Default)]
#[repr(align(128))]
struct Gauge(AtomicI64);

std::thread_local! {
    /// The shard this thread writes: its worker's index.
    static SHARD: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The shard the calling thread writes.
pub(crate) fn shard() -> usize {
    SHARD.with(std::cell::Cell::get)
}

/// Makes the calling thread write shard `index` (a worker calls it once).
pub fn set_shard(index: usize) {
    SHARD.with(|s| s.set(index));
}

/// What one route (or the unmatched requests) has seen.
#[derive(Debug)]
pub struct RouteMetrics {
    shards: Box<[Shard]>,
}

impl RouteMetrics {
    fn new(shards: usize) -> RouteMetrics {
        RouteMetrics {
            shards: (0..shards.max(1)).map(|_| Shard::new()).collect(),
        }
    }

    pub fn observe(&self, status: u16, rejection: Option<ResponseType>, elapsed: Duration) {
        let shard = &self.shards[SHARD.with(std::cell::Cell::get) % self.shards.len()];
        shard.statuses[status_slot(status)].fetch_add(1, Ordering::Relaxed);
        if let Some(kind) = rejection
            && let Some(i) = ResponseType::ALL.iter().position(|k| *k == kind)
        {
            shard.rejections[i].fetch_add(1, Ordering::Relaxed);
        }
        let seconds = elapsed.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|b| seconds <= *b) {
            shard.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        shard.count.fetch_add(1, Ordering::Relaxed);
        shard
            .sum_micros
            .fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
    }

    fn total(&self, read: impl Fn(&Shard) -> &AtomicU64) -> u64 {
        self.shards
            .iter()
            .map(|s| read(s).load(Ordering::Relaxed))
            .sum()
    }
}

/// Every metric of one gateway process; survives reloads.
#[derive(Debug, Default)]
pub struct Metrics {
    /// One shard per worker.
    shards: usize,
    routes: Mutex<Vec<(String, Arc<RouteMetrics>)>>,
    upstream_errors: Mutex<HashMap<(String, &'static str), u64>>,
    in_flight: Box<[Gauge]>,
    /// Request-body bytes held across every connection.
    pub(crate) buffered: crate::budget::Budget,
    pub reloads_ok: AtomicU64,
    pub reloads_failed: AtomicU64,
    pub log_lines_dropped: AtomicU64,
    /// The running web ACL's counters and samples (replaced on reload).
    waf: Mutex<Option<Arc<crate::waf::WafStats>>>,
}

impl Metrics {
    pub fn new(shards: usize) -> Metrics {
        Metrics {
            shards,
            in_flight: (0..shards.max(1)).map(|_| Gauge::default()).collect(),
            ..Metrics::default()
        }
    }

    pub(crate) fn set_waf(&self, stats: Option<Arc<crate::waf::WafStats>>) {
        *self.waf.lock().unwrap_or_else(|e| e.into_inner()) = stats;
    }

    pub(crate) fn waf(&self) -> Option<Arc<crate::waf::WafStats>> {
        self.waf.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// A request starts (`leave` when it is answered).
    pub fn enter(&self) {
        self.gauge(1);
    }

    pub fn leave(&self) {
        self.gauge(-1);
    }

    fn gauge(&self, delta: i64) {
        if !self.in_flight.is_empty() {
            let i = SHARD.with(std::cell::Cell::get) % self.in_flight.len();
            self.in_flight[i].0.fetch_add(delta, Ordering::Relaxed);
        }
    }

    /// The metrics of the route called `name`, shared across reloads.
    pub fn route(&self, name: &str) -> Arc<RouteMetrics> {
        let mut routes = self.routes.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, m)) = routes.iter().find(|(n, _)| n == name) {
            return m.clone();
        }
        let metrics = Arc::new(RouteMetrics::new(self.shards));
        routes.push((name.to_string(), metrics.clone()));
        metrics
    }

    pub fn upstream_error(&self, upstream: &str, kind: &'static str) {
        let mut errors = self
            .upstream_errors
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        *errors.entry((upstream.to_string(), kind)).or_default() += 1;
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let routes = self
            .routes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP palisade_requests_total Requests answered, by route and status."
        );
        let _ = writeln!(out, "# TYPE palisade_requests_total counter");
        for (name, m) in &routes {
            for slot in 0..SLOTS {
                let n = m.total(|s| &s.statuses[slot]);
                if n > 0 {
                    let _ = writeln!(
                        out,
                        "palisade_requests_total{{route=\"{}\",status=\"{}\"}} {n}",
                        escape(name),
                        slot_status(slot)
                    );
                }
            }
        }
        let _ = writeln!(
            out,
            "# HELP palisade_rejections_total Requests the gateway answered itself, by route and gateway response type."
        );
        let _ = writeln!(out, "# TYPE palisade_rejections_total counter");
        for (name, m) in &routes {
            for (i, kind) in ResponseType::ALL.iter().enumerate() {
                let n = m.total(|s| &s.rejections[i]);
                if n > 0 {
                    let _ = writeln!(
                        out,
                        "palisade_rejections_total{{route=\"{}\",reason=\"{}\"}} {n}",
                        escape(name),
                        kind.name()
                    );
                }
            }
        }
        let _ = writeln!(
            out,
            "# HELP palisade_request_duration_seconds Time from request head to response head."
        );
        let _ = writeln!(out, "# TYPE palisade_request_duration_seconds histogram");
        for (name, m) in &routes {
            let label = escape(name);
            let mut cumulative = 0;
            for (i, bound) in BUCKETS.iter().enumerate() {
                cumulative += m.total(|s| &s.buckets[i]);
                let _ = writeln!(
                    out,
                    "palisade_request_duration_seconds_bucket{{route=\"{label}\",le=\"{bound}\"}} {cumulative}"
                );
            }
            let count = m.total(|s| &s.count);
            let _ = writeln!(
                out,
                "palisade_request_duration_seconds_bucket{{route=\"{label}\",le=\"+Inf\"}} {count}"
            );
            let sum = m.total(|s| &s.sum_micros) as f64 / 1e6;
            let _ = writeln!(
                out,
                "palisade_request_duration_seconds_sum{{route=\"{label}\"}} {sum}"
            );
            let _ = writeln!(
                out,
                "palisade_request_duration_seconds_count{{route=\"{label}\"}} {count}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP palisade_upstream_errors_total Upstream calls that failed, by upstream and kind."
        );
        let _ = writeln!(out, "# TYPE palisade_upstream_errors_total counter");
        let errors = self
            .upstream_errors
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let mut errors: Vec<_> = errors.into_iter().collect();
        errors.sort();
        for ((upstream, kind), n) in errors {
            let _ = writeln!(
                out,
                "palisade_upstream_errors_total{{upstream=\"{}\",kind=\"{kind}\"}} {n}",
                escape(&upstream)
            );
        }
        let _ = writeln!(
            out,
            "# HELP palisade_buffered_body_bytes Request-body bytes held across all connections."
        );
        let _ = writeln!(out, "# TYPE palisade_buffered_body_bytes gauge");
        let _ = writeln!(out, "palisade_buffered_body_bytes {}", self.buffered.used());
        let _ = writeln!(
            out,
            "# HELP palisade_in_flight_requests Requests being handled."
        );
        let _ = writeln!(out, "# TYPE palisade_in_flight_requests gauge");
        let _ = writeln!(
            out,
            "palisade_in_flight_requests {}",
            self.in_flight
                .iter()
                .map(|g| g.0.load(Ordering::Relaxed))
                .sum::<i64>()
        );
        let _ = writeln!(
            out,
            "# HELP palisade_config_reloads_total Configuration reloads, by result."
        );
        let _ = writeln!(out, "# TYPE palisade_config_reloads_total counter");
        let _ = writeln!(
            out,
            "palisade_config_reloads_total{{result=\"ok\"}} {}",
            self.reloads_ok.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "palisade_config_reloads_total{{result=\"failed\"}} {}",
            self.reloads_failed.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP palisade_access_log_dropped_total Access log lines dropped because the writer fell behind."
        );
        let _ = writeln!(out, "# TYPE palisade_access_log_dropped_total counter");
        let _ = writeln!(
            out,
            "palisade_access_log_dropped_total {}",
            self.log_lines_dropped.load(Ordering::Relaxed)
        );
        if let Some(waf) = self.waf() {
            waf.render(&mut out);
        }
        out
    }
}

/// A Prometheus label value, escaped.
pub(crate) fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observations_render_as_prometheus_text() {
        let metrics = Metrics::new(2);
        let route = metrics.route("POST /customizations");
        route.observe(200, None, Duration::from_micros(800));
        // Another worker's shard: the totals add up across shards.
        set_shard(1);
        route.observe(599, None, Duration::from_millis(3));
        route.observe(
            400,
            Some(ResponseType::BadRequestBody),
            Duration::from_millis(3),
        );
        assert!(Arc::ptr_eq(&route, &metrics.route("POST /customizations")));
        metrics.upstream_error("backend", "connect");
        let text = metrics.render();
        for line in [
            "palisade_requests_total{route=\"POST /customizations\",status=\"200\"} 1",
            "palisade_rejections_total{route=\"POST /customizations\",reason=\"BAD_REQUEST_BODY\"} 1",
            "palisade_request_duration_seconds_bucket{route=\"POST /customizations\",le=\"0.001\"} 1",
            "palisade_request_duration_seconds_bucket{route=\"POST /customizations\",le=\"0.005\"} 3",
            "palisade_request_duration_seconds_count{route=\"POST /customizations\"} 3",
            "palisade_requests_total{route=\"POST /customizations\",status=\"5xx\"} 1",
            "palisade_upstream_errors_total{upstream=\"backend\",kind=\"connect\"} 1",
        ] {
            assert!(text.contains(line), "{line} missing from\n{text}");
        }
    }
}
