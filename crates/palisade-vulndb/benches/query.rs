//! Query latency against the shared advisory sets (RustSec, PyPA, Go).
//!
//! Prints the distribution of single-query latencies (p50, p99) and the time of
//! 10,000 random queries, then runs the criterion benchmarks. Skips when the
//! shared data is absent.

#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::Criterion;
use palisade_vulndb::{ImportOptions, Store};

/// A small deterministic generator, so runs are comparable.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
}

fn build_store(dir: &tempfile::TempDir) -> Option<Store> {
    let sets: Vec<PathBuf> = [
        "advisories/rustsec",
        "advisories/pypa",
        "advisories/go-vulndb",
    ]
    .iter()
    .map(|s| palisade_testkit::data_dir(s))
    .collect::<Option<_>>()?;
    let mut store = Store::open(&dir.path().join("bench.db")).unwrap();
    store
        .import(&sets, &ImportOptions::default(), &mut |_| {})
        .unwrap();
    Some(store)
}

/// (ecosystem, name) of every indexed package.
fn packages(db: &std::path::Path) -> Vec<(String, String)> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare("SELECT DISTINCT ecosystem, package FROM affected ORDER BY 1, 2")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

fn random_queries(packages: &[(String, String)], n: usize) -> Vec<(String, String, String)> {
    let mut rng = Lcg(0x5eed);
    (0..n)
        .map(|_| {
            let (eco, name) = &packages[(rng.next() as usize) % packages.len()];
            let version = format!("{}.{}.{}", rng.next() % 5, rng.next() % 30, rng.next() % 20);
            let version = if eco == "Go" {
                format!("v{version}")
            } else {
                version
            };
            (eco.clone(), name.clone(), version)
        })
        .collect()
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let Some(store) = build_store(&dir) else {
        return;
    };
    let packages = packages(store.path());
    let queries = random_queries(&packages, 10_000);

    // Warm the page cache and statement cache first.
    for (eco, name, version) in queries.iter().take(1_000) {
        black_box(store.query(eco, name, version).unwrap());
    }
    let mut latencies: Vec<Duration> = Vec::with_capacity(queries.len());
    let started = Instant::now();
    let mut found = 0;
    for (eco, name, version) in &queries {
        let t = Instant::now();
        found += black_box(store.query(eco, name, version).unwrap()).len();
        latencies.push(t.elapsed());
    }
    let total = started.elapsed();
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 - 1.0) * p) as usize];
    println!(
        "query latency over {} random queries of {} packages: p50 {:.1} µs, p90 {:.1} µs, p99 {:.1} µs, max {:.1} µs",
        latencies.len(),
        packages.len(),
        pct(0.50).as_secs_f64() * 1e6,
        pct(0.90).as_secs_f64() * 1e6,
        pct(0.99).as_secs_f64() * 1e6,
        pct(1.0).as_secs_f64() * 1e6,
    );
    println!(
        "10000 random queries: {:.3} s ({found} advisories matched)",
        total.as_secs_f64()
    );

    let mut c = Criterion::default().configure_from_args();
    c.bench_function("query/smallvec-affected", |b| {
        b.iter(|| {
            store
                .query("crates.io", "smallvec", black_box("1.6.0"))
                .unwrap()
        })
    });
    c.bench_function("query/django-many-advisories", |b| {
        b.iter(|| store.query("PyPI", "django", black_box("3.2.0")).unwrap())
    });
    c.bench_function("query/unknown-package", |b| {
        b.iter(|| {
            store
                .query("npm", "no-such-package", black_box("1.0.0"))
                .unwrap()
        })
    });
    c.final_summary();
}
