//! Detection rates on the shared WAF corpus (libinjection's samples and
//! false positives, PayloadsAllTheThings' lists). The floors and ceilings
//! below are the rates this version reaches, so a change that loses
//! detections or gains false positives fails here before the benchmark.
//! `PALISADE_SHOW_MISSES=sqli-low` (or `xss-`, `fp-`; `-high`) prints what a detector gets wrong.

#![allow(clippy::print_stderr, clippy::unwrap_used)]

use std::path::Path;

use palisade_waf::acl::Sensitivity;
use palisade_waf::{Transform, apply_all, is_sqli, is_xss};

/// Lines of every file in `dir` whose name starts with `prefix`, skipping
/// blanks and `#` comments; URL-decoded when `encoded`.
fn lines(dir: &Path, prefix: &str, encoded: bool) -> Vec<Vec<u8>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix) && n.ends_with(".txt"))
        })
        .collect();
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let bytes = std::fs::read(&file).unwrap();
        for line in bytes.split(|b| *b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.is_empty() || line.starts_with(b"#") {
                continue;
            }
            out.push(if encoded {
                apply_all(line, &[Transform::UrlDecode]).into_owned()
            } else {
                line.to_vec()
            });
        }
    }
    out
}

/// The share of `inputs` flagged, printing the misses (or hits) when asked.
fn rate(name: &str, inputs: &[Vec<u8>], detect: impl Fn(&[u8]) -> bool, want: bool) -> f64 {
    let show = std::env::var("PALISADE_SHOW_MISSES").is_ok_and(|v| v == name);
    let mut hits = 0;
    for input in inputs {
        let flagged = detect(&apply_all(input, &[Transform::HtmlEntityDecode]));
        hits += usize::from(flagged);
        if show && flagged != want {
            eprintln!("{name}: {}", String::from_utf8_lossy(input));
        }
    }
    hits as f64 / inputs.len() as f64
}

#[test]
fn detection_rates_on_the_shared_corpus() {
    let Some(corpus) = palisade_testkit::data_dir("waf-corpus") else {
        return;
    };
    let lib = corpus.join("libinjection");
    let patt = corpus.join("payloadsallthethings");
    let mut sqli = lines(&lib, "sqli-", true);
    sqli.extend(lines(&patt.join("sqli"), "", false));
    let mut xss = lines(&lib, "xss-", true);
    xss.extend(lines(&patt.join("xss"), "", false));
    let benign = lines(&lib, "false_positives", true);
    assert!(sqli.len() > 15_000 && xss.len() > 4_000 && benign.len() > 400);

    let mut report = Vec::new();
    for (level, name) in [(Sensitivity::Low, "LOW"), (Sensitivity::High, "HIGH")] {
        let tag = |kind: &str| format!("{kind}-{}", name.to_lowercase());
        let s = rate(&tag("sqli"), &sqli, |v| is_sqli(v, level), true);
        let x = rate(&tag("xss"), &xss, |v| is_xss(v, level), true);
        let f = rate(
            &tag("fp"),
            &benign,
            |v| is_sqli(v, level) || is_xss(v, level),
            false,
        );
        eprintln!(
            "{name}: sqli {:.1}% of {}, xss {:.1}% of {}, false positives {:.1}% of {}",
            s * 100.0,
            sqli.len(),
            x * 100.0,
            xss.len(),
            f * 100.0,
            benign.len()
        );
        report.push((s, x, f));
    }
    let (low, high) = (report[0], report[1]);
    assert!(
        low.0 >= 0.99 && low.1 >= 0.914 && low.2 <= 0.01,
        "LOW {low:?}"
    );
    assert!(
        high.0 >= 0.99 && high.1 >= 0.914 && high.2 <= 0.13,
        "HIGH {high:?}"
    );
    assert!(high.0 >= low.0 && high.1 >= low.1 && high.2 >= low.2);
}
