//! Parsing a 5,000-package package-lock.json in process.
//!
//! Reads the lockfile named by `$PALISADE_BENCH_LOCK` (bench/inventory.sh
//! writes one), else generates an equivalent one in memory.

#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::hint::black_box;
use std::time::Instant;

use criterion::Criterion;
use palisade_inventory::{Format, parse};

/// Ten layers of 500 packages, each depending on three of the next layer.
fn generated() -> String {
    let mut packages = vec![
        r#""": {"name": "bench-app", "version": "1.0.0", "dependencies": {"pkg-0000": "^1.0.0"}}"#
            .to_string(),
    ];
    let mut seed: u64 = 7;
    let mut next = || {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        (seed >> 33) as usize
    };
    for i in 0..5000 {
        let layer = i / 500;
        let deps: Vec<String> = if layer < 9 {
            (0..3)
                .map(|_| {
                    format!(
                        "\"pkg-{:04}\": \"^1.0.0\"",
                        (layer + 1) * 500 + next() % 500
                    )
                })
                .collect()
        } else {
            Vec::new()
        };
        packages.push(format!(
            "\"node_modules/pkg-{i:04}\": {{\"version\": \"1.{}.{}\", \"integrity\": \"sha512-x\", \"dependencies\": {{{}}}}}",
            i % 10,
            i % 7,
            deps.join(", ")
        ));
    }
    format!(
        "{{\"name\": \"bench-app\", \"lockfileVersion\": 3, \"packages\": {{{}}}}}",
        packages.join(",\n")
    )
}

fn main() {
    let text = match std::env::var("PALISADE_BENCH_LOCK") {
        Ok(path) => std::fs::read_to_string(path).unwrap(),
        Err(_) => generated(),
    };
    let started = Instant::now();
    let inv = parse(Format::NpmLock, "package-lock.json", &text, None).unwrap();
    println!(
        "parsed {} packages and {} edges from {} bytes in {:.1} ms (first run)",
        inv.packages.len(),
        inv.graph.edges.len(),
        text.len(),
        started.elapsed().as_secs_f64() * 1e3
    );
    let mut c = Criterion::default().configure_from_args();
    c.bench_function("parse/package-lock-5000", |b| {
        b.iter(|| parse(Format::NpmLock, "package-lock.json", black_box(&text), None).unwrap())
    });
    c.final_summary();
}
