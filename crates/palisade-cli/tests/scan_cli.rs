//! `palisade scan` end to end: exit codes, formats, the policy file, the
//! first download when there is no database, --offline and --diff.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use palisade_testkit::http::Server;
use serde_json::json;

const HIGH: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H";

fn osv(id: &str, name: &str, fixed: &str, vector: Option<&str>) -> serde_json::Value {
    let mut r = json!({
        "id": id, "modified": "2026-01-01T00:00:00Z",
        "summary": format!("test advisory on {name}"),
        "affected": [{"package": {"ecosystem": "npm", "name": name},
                      "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": fixed}]}]}],
    });
    if let Some(v) = vector {
        r["severity"] = json!([{"type": "CVSS_V3", "score": v}]);
    }
    r
}

fn records() -> Vec<serde_json::Value> {
    vec![
        osv("TEST-LODASH-1", "lodash", "4.17.21", Some(HIGH)),
        osv("TEST-MINIMIST-1", "minimist", "1.2.6", None),
    ]
}

fn lock(lodash: &str) -> String {
    json!({
        "name": "app", "version": "1.0.0", "lockfileVersion": 3, "requires": true,
        "packages": {
            "": {"name": "app", "version": "1.0.0",
                 "dependencies": {"lodash": "^4.17.0"}, "devDependencies": {"minimist": "^1.2.0"}},
            "node_modules/lodash": {"version": lodash},
            "node_modules/minimist": {"version": "1.2.5", "dev": true}
        }
    })
    .to_string()
}

struct Project {
    dir: tempfile::TempDir,
    db: PathBuf,
}

impl Project {
    fn path(&self) -> PathBuf {
        self.dir.path().join("app")
    }
}

fn project() -> Project {
    let dir = tempfile::tempdir().expect("temp dir");
    let app = dir.path().join("app");
    std::fs::create_dir_all(&app).expect("app dir");
    std::fs::write(app.join("package-lock.json"), lock("4.17.20")).expect("lock");
    let input = dir.path().join("records");
    std::fs::create_dir_all(&input).expect("records dir");
    for r in records() {
        let id = r["id"].as_str().expect("id").to_string();
        std::fs::write(input.join(format!("{id}.json")), r.to_string()).expect("record");
    }
    let db = dir.path().join("palisade.db");
    ok(&db, &["db", "import", path_str(&input)]);
    Project { dir, db }
}

fn scan(p: &Project, extra: &[&str]) -> std::process::Output {
    let path = p.path();
    let mut args = vec!["scan", path_str(&path)];
    args.extend_from_slice(extra);
    run(&p.db, &args)
}

#[test]
fn exit_codes_follow_the_threshold() {
    let p = project();
    let out = scan(&p, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let table = stdout(&out);
    assert!(table.contains("lodash 4.17.20"), "{table}");
    assert!(table.contains("4.17.21: refresh the lockfile"), "{table}");
    assert_eq!(scan(&p, &["--fail-on", "none"]).status.code(), Some(0));
    assert_eq!(scan(&p, &["--fail-on", "critical"]).status.code(), Some(0));
    assert_eq!(scan(&p, &["--fail-on", "high"]).status.code(), Some(1));
    // The unrated minimist advisory is in a dev dependency: reported, not failing.
    std::fs::write(p.path().join("package-lock.json"), lock("4.17.21")).expect("lock");
    let out = scan(&p, &[]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("TEST-MINIMIST-1"));
}

#[test]
fn the_policy_file_ignores_and_sets_the_threshold() {
    let p = project();
    std::fs::write(
        p.path().join("palisade.toml"),
        "fail-on = \"critical\"\n[[ignore]]\nid = \"TEST-MINIMIST-1\"\nreason = \"test only\"\n",
    )
    .expect("policy");
    let out = scan(&p, &["--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(report["summary"]["ignored"], 1);
    assert_eq!(report["summary"]["findings"], 1);
    // --fail-on overrides the file.
    assert_eq!(scan(&p, &["--fail-on", "high"]).status.code(), Some(1));

    std::fs::write(
        p.path().join("palisade.toml"),
        "fail-on = \"high\"\nignores = []\n",
    )
    .expect("policy");
    let out = scan(&p, &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("palisade.toml:2") && err.contains("unknown field"),
        "{err}"
    );
}

#[test]
fn every_format_renders_and_output_goes_to_a_file() {
    let p = project();
    for (format, check) in [
        ("json", "\"schema_version\": 1"),
        ("sarif", "\"version\": \"2.1.0\""),
        ("cyclonedx", "\"specVersion\": \"1.6\""),
        ("markdown", "## palisade dependency review"),
        ("html", "<!DOCTYPE html>"),
        ("table", "TEST-LODASH-1"),
    ] {
        let file = p.dir.path().join(format!("report.{format}"));
        let out = scan(&p, &["--format", format, "--output", path_str(&file)]);
        assert_eq!(out.status.code(), Some(1), "{format}: {}", stderr(&out));
        assert!(
            stdout(&out).is_empty(),
            "{format}: the report went to stdout"
        );
        let text = std::fs::read_to_string(&file).expect("report written");
        assert!(text.contains(check), "{format}: {text}");
        assert!(!text.contains("\x1b["), "{format}: colors in a file");
    }
}

#[test]
fn offline_without_a_database_is_an_error_that_says_what_to_do() {
    let p = project();
    let missing = p.dir.path().join("none.db");
    let path = p.path();
    let out = run(&missing, &["scan", path_str(&path), "--offline"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("no advisory database") && err.contains("hint:"),
        "{err}"
    );
    assert!(!missing.exists());
}

#[test]
fn a_first_scan_downloads_the_ecosystems_it_found() {
    let p = project();
    let server = Server::start();
    let files: Vec<(String, Vec<u8>)> = records()
        .iter()
        .map(|r| {
            (
                format!("{}.json", r["id"].as_str().expect("id")),
                r.to_string().into_bytes(),
            )
        })
        .collect();
    let entries: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    server.put("/npm/all.zip", palisade_testkit::zip_bytes(&entries), 1);
    let fresh = p.dir.path().join("fresh.db");
    let path = p.path();
    let out = command(&fresh)
        .args(["scan", path_str(&path), "--format", "json"])
        .env("PALISADE_MIRROR", server.url())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("downloading npm first"),
        "{}",
        stderr(&out)
    );
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(report["database"]["advisories"], 2);
    let paths: Vec<String> = server.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(
        paths,
        ["/npm/all.zip"],
        "only the ecosystem the project uses"
    );
    // Offline, the existing database is used and its age is stated.
    let out = command(&fresh)
        .args(["scan", path_str(&path), "--offline"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("using 2 advisories"),
        "{}",
        stderr(&out)
    );
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Palisade Tests")
        .env("GIT_AUTHOR_EMAIL", "tests@localhost")
        .env("GIT_COMMITTER_NAME", "Palisade Tests")
        .env("GIT_COMMITTER_EMAIL", "tests@localhost")
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", stderr(&out));
}

#[test]
fn diff_reports_only_what_is_new_since_a_ref() {
    let p = project();
    let app = p.path();
    std::fs::write(app.join("package-lock.json"), lock("4.17.21")).expect("lock");
    git(&app, &["init", "-q", "-b", "main"]);
    git(&app, &["add", "-A"]);
    git(&app, &["commit", "-qm", "base"]);
    git(&app, &["tag", "base"]);
    std::fs::write(app.join("package-lock.json"), lock("4.17.20")).expect("lock");
    let out = scan(&p, &["--diff", "base", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    let ids: Vec<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["id"].as_str().expect("id"))
        .collect();
    assert_eq!(
        ids,
        ["TEST-LODASH-1"],
        "minimist was already vulnerable at base"
    );
    // Nothing new relative to the working tree's own commit once committed.
    git(&app, &["commit", "-qam", "downgrade"]);
    let out = scan(&p, &["--diff", "HEAD", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = scan(&p, &["--diff", "no-such-ref"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no-such-ref"), "{}", stderr(&out));
}

/// Bytes that steer a terminal: ESC, BEL, CR, BS, CSI (C1, as UTF-8) and
/// the right-to-left override.
fn steering(bytes: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes);
    let mut found = Vec::new();
    let mut rest: &str = &text;
    while let Some(c) = rest.chars().next() {
        // The run's own colors: ESC [ digits and ; m.
        if let Some(body) = rest.strip_prefix("\x1b[") {
            let n = body
                .bytes()
                .take_while(|b| b.is_ascii_digit() || *b == b';')
                .count();
            if body.as_bytes().get(n) == Some(&b'm') {
                rest = &body[n + 1..];
                continue;
            }
        }
        if matches!(c, '\x1b' | '\x07' | '\r' | '\x08' | '\u{9b}' | '\u{202e}') {
            found.push(format!("{c:?}"));
        }
        rest = &rest[c.len_utf8()..];
    }
    found
}

#[test]
fn escapes_in_names_paths_and_summaries_reach_the_terminal_visible() {
    let dir = tempfile::tempdir().expect("temp dir");
    // A directory name, a package name and an advisory summary, each with
    // a sequence that would retitle the window, erase the screen or
    // overwrite the line.
    let app = dir.path().join("app\x1b[2J\r");
    std::fs::create_dir_all(&app).expect("app dir");
    let evil = "evil\x1b]0;pwned\x07\u{202e}";
    let lock = json!({
        "name": "app", "version": "1.0.0", "lockfileVersion": 3,
        "packages": {
            "": {"name": "app", "version": "1.0.0", "dependencies": {evil: "1.0.0"}},
            format!("node_modules/{evil}"): {"version": "1.0.0"}
        }
    });
    std::fs::write(app.join("package-lock.json"), lock.to_string()).expect("lock");
    let records = dir.path().join("records");
    std::fs::create_dir_all(&records).expect("records");
    let mut advisory = osv("TEST-EVIL-1", evil, "1.0.1", Some(HIGH));
    advisory["summary"] = json!("bad\x08\x08\x08\x1b[1Agood \u{9b}2J");
    std::fs::write(records.join("a.json"), advisory.to_string()).expect("record");
    let db = dir.path().join("palisade.db");
    ok(&db, &["db", "import", path_str(&records)]);
    for color in ["never", "always"] {
        let out = run(&db, &["--color", color, "scan", path_str(&app)]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let text = stdout(&out);
        assert_eq!(steering(&out.stdout), Vec::<String>::new(), "{text}");
        assert_eq!(
            steering(&out.stderr),
            Vec::<String>::new(),
            "{}",
            stderr(&out)
        );
        assert!(text.contains("evil\\x1b]0;pwned\\x07\\u{202e}"), "{text}");
        assert!(
            text.contains("bad\\x08\\x08\\x08\\x1b[1Agood \\u{9b}2J"),
            "{text}"
        );
        assert!(text.contains("app\\x1b[2J\\r"), "{text}");
        let graph = run(&db, &["--color", color, "graph", path_str(&app)]);
        assert_eq!(graph.status.code(), Some(0), "{}", stderr(&graph));
        assert_eq!(
            steering(&graph.stdout),
            Vec::<String>::new(),
            "{}",
            stdout(&graph)
        );
        assert!(stdout(&graph).contains("evil\\x1b]0;pwned\\x07\\u{202e}@1.0.0"));
    }
    // The JSON report keeps the data exactly, and prints no raw C1 or
    // bidirectional character either.
    let out = run(&db, &["scan", path_str(&app), "--format", "json"]);
    assert_eq!(steering(&out.stdout), Vec::<String>::new());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["findings"][0]["package"]["name"], evil);
}

#[test]
fn unknown_lines_are_quoted_short_and_never_with_their_values() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("palisade.db");
    // A credentials file read as requirements (named so, or included).
    let creds = "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n\
                 aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n";
    std::fs::write(dir.path().join("credentials"), creds).expect("creds");
    std::fs::write(
        dir.path().join("requirements.txt"),
        format!("flask==2.3.1\n-r credentials\n{}\n", "!".repeat(5 << 20)),
    )
    .expect("requirements");
    let requirements = dir.path().join("requirements.txt");
    for args in [
        &["sbom", path_str(&requirements)][..],
        &["graph", path_str(&requirements), "--format", "json"][..],
        &[
            "scan",
            path_str(&requirements),
            "--format",
            "json",
            "--offline",
        ][..],
    ] {
        let out = run(&db, args);
        let printed = format!("{}{}", stdout(&out), stderr(&out));
        for secret in ["AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI"] {
            assert!(!printed.contains(secret), "{args:?} printed {secret}");
        }
        // The 5 MB line is quoted as an excerpt, not whole.
        assert!(
            out.stderr.len() < 4096,
            "{args:?}: {} bytes on stderr",
            out.stderr.len()
        );
        assert!(
            out.stdout.len() < 64 << 10,
            "{args:?}: {} bytes",
            out.stdout.len()
        );
    }
    let out = run(&db, &["sbom", path_str(&requirements)]);
    let text = stderr(&out);
    assert!(
        text.contains("not a requirement: aws_secret_access_key = …"),
        "{text}"
    );
    assert!(text.contains("more bytes)"), "{text}");
    let sbom: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let names: Vec<&str> = sbom["components"]
        .as_array()
        .expect("components")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert!(names.contains(&"flask"), "{names:?}");
    assert!(!names.iter().any(|n| n.contains("aws")), "{names:?}");
}

/// A Markdown text with its code spans taken out: what is left is what a
/// renderer reads as Markdown.
fn outside_code_spans(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find('`') {
        out.push_str(&rest[..start]);
        let run = rest[start..].chars().take_while(|&c| c == '`').count();
        let fence = "`".repeat(run);
        let after = &rest[start + run..];
        // The span ends at the next run of exactly as many backticks.
        let mut search = 0;
        let end = loop {
            match after[search..].find(&fence) {
                Some(i) => {
                    let at = search + i;
                    let longer = after[at + run..].starts_with('`')
                        || (at > 0 && after[..at].ends_with('`'));
                    if !longer {
                        break Some(at);
                    }
                    search = at + run;
                }
                None => break None,
            }
        };
        match end {
            Some(at) => rest = &after[at + run..],
            None => {
                out.push_str(&rest[start..]);
                return out;
            }
        }
    }
    out.push_str(rest);
    out
}

/// A Markdown line's `|` that are not escaped.
fn cell_bars(line: &str) -> usize {
    let mut count = 0;
    let mut escaped = false;
    for c in line.chars() {
        match c {
            '\\' if !escaped => escaped = true,
            '|' if !escaped => count += 1,
            _ => escaped = false,
        }
    }
    count
}

#[test]
fn names_and_paths_cannot_shape_the_markdown_or_sarif_report() {
    let dir = tempfile::tempdir().expect("temp dir");
    // A directory whose name ends a line, then starts a heading and an image.
    let app = dir
        .path()
        .join("app\n\n# Approved\n![ok](https://evil.example/x.png)");
    std::fs::create_dir_all(&app).expect("app dir");
    let evil = "@evil-org/pkg|x`y</details>";
    let lock = json!({
        "name": "app", "version": "1.0.0", "lockfileVersion": 3,
        "packages": {
            "": {"name": "app", "version": "1.0.0", "dependencies": {evil: "1.0.0"}},
            format!("node_modules/{evil}"): {"version": "1.0.0"}
        }
    });
    std::fs::write(app.join("package-lock.json"), lock.to_string()).expect("lock");
    let records = dir.path().join("records");
    std::fs::create_dir_all(&records).expect("records");
    let mut advisory = osv("TEST-MD-1", evil, "1.0.1", Some(HIGH));
    advisory["summary"] = json!("see [here](https://evil.example) **now**\n# Heading");
    std::fs::write(records.join("a.json"), advisory.to_string()).expect("record");
    let db = dir.path().join("palisade.db");
    ok(&db, &["db", "import", path_str(&records)]);

    let out = run(&db, &["scan", path_str(&app), "--format", "markdown"]);
    let text = stdout(&out);
    let headings: Vec<&str> = text.lines().filter(|l| l.starts_with('#')).collect();
    assert_eq!(headings, ["## palisade dependency review"], "{text}");
    let read = outside_code_spans(&text);
    assert!(!read.contains("![ok]"), "{read}");
    assert!(!read.contains("[here](https"), "{read}");
    assert!(!read.contains("@evil-org/"), "a mention: {read}");
    // The one table row has its six cell bars, no more.
    let rows: Vec<&str> = text.lines().filter(|l| l.starts_with("| `")).collect();
    assert_eq!(rows.len(), 1, "{text}");
    assert_eq!(cell_bars(rows[0]), 6, "{}", rows[0]);
    assert_eq!(read.matches("</details>").count(), 1, "{read}");

    let out = run(&db, &["scan", path_str(&app), "--format", "sarif"]);
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).expect("sarif");
    let result = &sarif["runs"][0]["results"][0];
    let message = result["message"]["text"].as_str().expect("message");
    assert!(
        message.contains("see \\[here\\](https://evil.example)"),
        "{message}"
    );
    assert!(!message.contains('\n'), "{message}");
    let help = sarif["runs"][0]["tool"]["driver"]["rules"][0]["help"]["markdown"]
        .as_str()
        .expect("help");
    assert!(!help.contains("[here](https"), "{help}");
    assert!(!help.contains("\n# Heading"), "{help}");
}
