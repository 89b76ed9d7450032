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

/// What one route (or the unmatched requests) has seen.
#[derive(Debug)]
pub struct RouteMetrics {
    /// Indexed by status - 100.
    statuses: Vec<AtomicU64>,
    rejections: [AtomicU64; ResponseType::ALL.len()],
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl RouteMetrics {
    fn new() -> RouteMetrics {
        RouteMetrics {
            statuses: (100..600).map(|_| AtomicU64::new(0)).collect(),
            rejections: std::array::from_fn(|_| AtomicU64::new(0)),
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            count: AtomicU64::new(0),
            sum_micros: AtomicU64::new(0),
        }
    }

    pub fn observe(&self, status: u16, rejection: Option<ResponseType>, elapsed: Duration) {
        if let Some(slot) = self.statuses.get(usize::from(status).wrapping_sub(100)) {
            slot.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(kind) = rejection
            && let Some(i) = ResponseType::ALL.iter().position(|k| *k == kind)
        {
            self.rejections[i].fetch_add(1, Ordering::Relaxed);
        }
        let seconds = elapsed.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|b| seconds <= *b) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros
            .fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
    }
}

/// Every metric of one gateway process; survives reloads.
#[derive(Debug, Default)]
pub struct Metrics {
    routes: Mutex<Vec<(String, Arc<RouteMetrics>)>>,
    upstream_errors: Mutex<HashMap<(String, &'static str), u64>>,
    pub in_flight: AtomicI64,
    pub reloads_ok: AtomicU64,
    pub reloads_failed: AtomicU64,
    pub log_lines_dropped: AtomicU64,
}

impl Metrics {
    /// The metrics of the route called `name`, shared across reloads.
    pub fn route(&self, name: &str) -> Arc<RouteMetrics> {
        let mut routes = self.routes.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, m)) = routes.iter().find(|(n, _)| n == name) {
            return m.clone();
        }
        let metrics = Arc::new(RouteMetrics::new());
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
            for (i, n) in m.statuses.iter().enumerate() {
                let n = n.load(Ordering::Relaxed);
                if n > 0 {
                    let _ = writeln!(
                        out,
                        "palisade_requests_total{{route=\"{}\",status=\"{}\"}} {n}",
                        escape(name),
                        i + 100
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
            for (kind, n) in ResponseType::ALL.iter().zip(&m.rejections) {
                let n = n.load(Ordering::Relaxed);
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
            for (bound, n) in BUCKETS.iter().zip(&m.buckets) {
                cumulative += n.load(Ordering::Relaxed);
                let _ = writeln!(
                    out,
                    "palisade_request_duration_seconds_bucket{{route=\"{label}\",le=\"{bound}\"}} {cumulative}"
                );
            }
            let count = m.count.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "palisade_request_duration_seconds_bucket{{route=\"{label}\",le=\"+Inf\"}} {count}"
            );
            let sum = m.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
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
            "# HELP palisade_in_flight_requests Requests being handled."
        );
        let _ = writeln!(out, "# TYPE palisade_in_flight_requests gauge");
        let _ = writeln!(
            out,
            "palisade_in_flight_requests {}",
            self.in_flight.load(Ordering::Relaxed)
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
        out
    }
}

fn escape(label: &str) -> String {
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
        let metrics = Metrics::default();
        let route = metrics.route("POST /customizations");
        route.observe(200, None, Duration::from_micros(800));
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
            "palisade_request_duration_seconds_bucket{route=\"POST /customizations\",le=\"0.005\"} 2",
            "palisade_request_duration_seconds_count{route=\"POST /customizations\"} 2",
            "palisade_upstream_errors_total{upstream=\"backend\",kind=\"connect\"} 1",
        ] {
            assert!(text.contains(line), "{line} missing from\n{text}");
        }
    }
}
