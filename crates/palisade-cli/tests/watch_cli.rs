//! `palisade watch` end to end over loopback: a feed server, a webhook
//! receiver and an SMTP sink; exactly-once delivery across a SIGKILL.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{add_source, json, ok, temp_db};
use palisade_testkit::http::Server;
use serde_json::Value;

/// One request a receiver saw: path, headers, body, the status it got.
type Seen = (String, Vec<(String, String)>, Vec<u8>, u16);
/// A delivered request: headers and body.
type Accepted = (Vec<(String, String)>, Vec<u8>);

/// A webhook receiver: records every POST (path, headers, body) and answers
/// with the status it is set to.
struct Receiver {
    port: u16,
    status: Arc<AtomicU16>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Receiver {
    fn start(status: u16) -> Receiver {
        Receiver::answering(status, None)
    }

    /// A receiver whose answers carry `location` (a redirect, with a 3xx).
    fn answering(status: u16, location: Option<String>) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let status = Arc::new(AtomicU16::new(status));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (s, v) = (Arc::clone(&status), Arc::clone(&seen));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (s, v, l) = (Arc::clone(&s), Arc::clone(&v), location.clone());
                std::thread::spawn(move || receive(stream, &s, &v, l.as_deref()));
            }
        });
        Receiver { port, status, seen }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Requests to `path` answered with 2xx.
    fn accepted(&self, path: &str) -> Vec<Accepted> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _, _, status)| p == path && *status < 300)
            .map(|(_, h, b, _)| (h.clone(), b.clone()))
            .collect()
    }

    fn attempts(&self, path: &str) -> usize {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, ..)| p == path)
            .count()
    }
}

fn receive(stream: TcpStream, status: &AtomicU16, seen: &Mutex<Vec<Seen>>, location: Option<&str>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
        let mut headers = Vec::new();
        let mut length = 0;
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                let (k, v) = (k.trim().to_ascii_lowercase(), v.trim().to_string());
                if k == "content-length" {
                    length = v.parse().unwrap_or(0);
                }
                headers.push((k, v));
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let code = status.load(Ordering::SeqCst);
        seen.lock().unwrap().push((path, headers, body, code));
        let location = location.map_or(String::new(), |l| format!("location: {l}\r\n"));
        let reply = format!("HTTP/1.1 {code} X\r\n{location}content-length: 0\r\n\r\n");
        if writer.write_all(reply.as_bytes()).is_err() {
            return;
        }
    }
}

/// A minimal SMTP server keeping each message's DATA.
fn smtp_sink() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let messages = Arc::new(Mutex::new(Vec::new()));
    let kept = Arc::clone(&messages);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let kept = Arc::clone(&kept);
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut w = stream;
                let _ = w.write_all(b"220 sink ESMTP\r\n");
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" => b"250-sink\r\n250 8BITMIME\r\n",
                        "DATA" => {
                            let _ = w.write_all(b"354 go on\r\n");
                            let mut data = String::new();
                            loop {
                                let mut l = String::new();
                                if reader.read_line(&mut l).unwrap_or(0) == 0 {
                                    return;
                                }
                                if l == ".\r\n" {
                                    break;
                                }
                                data.push_str(&l);
                            }
                            kept.lock().unwrap().push(data);
                            b"250 queued\r\n"
                        }
                        "QUIT" => {
                            let _ = w.write_all(b"221 bye\r\n");
                            return;
                        }
                        _ => b"250 ok\r\n",
                    };
                    if w.write_all(reply).is_err() {
                        return;
                    }
                }
            });
        }
    });
    (port, messages)
}

fn rss(items: &[(&str, &str)]) -> Vec<u8> {
    let mut doc = String::from(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Security Bulletins</title><link>https://example.com/</link>",
    );
    for (guid, title) in items {
        doc.push_str(&format!(
            "<item><title>{title}</title><guid>{guid}</guid><link>https://example.com/{guid}</link>\
             <pubDate>Wed, 25 Nov 2026 10:00:00 GMT</pubDate><description>{title}. Update now.</description></item>"
        ));
    }
    doc.push_str("</channel></rss>");
    doc.into_bytes()
}

fn kev(entries: &[(&str, &str, &str)]) -> Vec<u8> {
    let vulnerabilities: Vec<Value> = entries
        .iter()
        .map(|(cve, vendor, product)| {
            serde_json::json!({"cveID": cve, "vendorProject": vendor, "product": product,
                "vulnerabilityName": format!("{vendor} {product} flaw"), "dateAdded": "2026-11-25",
                "shortDescription": "Flaw.", "requiredAction": "Apply updates.", "dueDate": "2026-12-16",
                "knownRansomwareCampaignUse": "Unknown", "notes": ""})
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({"title": "KEV", "catalogVersion": "2026.11.25",
        "dateReleased": "2026-11-25T00:00:00.000Z", "count": entries.len(), "vulnerabilities": vulnerabilities}))
    .unwrap()
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_runner(db: &std::path::Path, smtp: Option<u16>) -> Running {
    let mut cmd = common::command(db);
    cmd.args(["watch", "run"])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(port) = smtp {
        cmd.args([
            "--smtp",
            &format!("smtp://127.0.0.1:{port}"),
            "--mail-from",
            "palisade@example.com",
        ]);
    }
    Running(cmd.spawn().unwrap())
}

fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Waits until every source has had a successful sync (its baseline).
fn wait_for_baseline(db: &std::path::Path) {
    wait_for("the first sync", Duration::from_secs(20), || {
        let sources = json(db, &["feeds", "source", "list"]);
        sources
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["last_success"].is_string())
    });
}

fn hmac_hex(secret: &str, body: &[u8]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    ring::hmac::sign(&key, body)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[test]
fn a_new_item_is_delivered_once_by_signed_webhook_and_email() {
    let feeds = Server::start();
    feeds.put("/rss.xml", rss(&[("b-1", "Old news about EC2")]), 1);
    feeds.put("/kev.json", kev(&[("CVE-2020-0001", "Other", "Thing")]), 1);
    let hooks = Receiver::start(200);
    let (smtp_port, mails) = smtp_sink();
    let (_dir, db) = temp_db();
    add_source(&db, "bulletins", "rss", &format!("{}/rss.xml", feeds.url()));
    add_source(&db, "kev", "kev", &format!("{}/kev.json", feeds.url()));
    let added = json(
        &db,
        &[
            "watch",
            "add",
            "--name",
            "lambda",
            "--keyword",
            "lambda",
            "--notify",
            &format!("webhook:{}", hooks.url("/hook")),
            "--notify",
            "email:team@example.com",
            "--notify",
            &format!("slack:{}", hooks.url("/slack")),
            "--secret",
            "s3cret",
        ],
    );
    assert_eq!(added["name"], "lambda");
    ok(
        &db,
        &[
            "watch",
            "add",
            "--name",
            "exploited",
            "--vendor",
            "Example",
            "--kev-only",
            "--notify",
            &format!("webhook:{}", hooks.url("/kev")),
        ],
    );

    let _runner = start_runner(&db, Some(smtp_port));
    wait_for_baseline(&db);
    assert_eq!(hooks.attempts("/hook"), 0, "the baseline is not news");

    feeds.put(
        "/rss.xml",
        rss(&[
            ("b-1", "Old news about EC2"),
            ("b-2", "AWS Lambda runtime issue (CVE-2026-1111)"),
        ]),
        2,
    );
    feeds.put(
        "/kev.json",
        kev(&[
            ("CVE-2020-0001", "Other", "Thing"),
            ("CVE-2026-2222", "Example", "Gateway"),
        ]),
        2,
    );
    wait_for("the webhook", Duration::from_secs(15), || {
        hooks.accepted("/hook").len() == 1 && hooks.accepted("/kev").len() == 1
    });
    wait_for("the Slack message", Duration::from_secs(15), || {
        hooks.accepted("/slack").len() == 1
    });
    wait_for("the email", Duration::from_secs(15), || {
        mails.lock().unwrap().len() == 1
    });
    // Two more poll intervals: nothing is sent twice.
    std::thread::sleep(Duration::from_millis(2500));
    let delivered = hooks.accepted("/hook");
    assert_eq!(delivered.len(), 1);
    assert_eq!(mails.lock().unwrap().len(), 1);

    let (headers, body) = &delivered[0];
    let signature = header(headers, "x-palisade-signature").expect("signed");
    assert_eq!(signature, format!("sha256={}", hmac_hex("s3cret", body)));
    let note: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(note["event"], "new");
    assert_eq!(note["watch"], "lambda");
    assert_eq!(note["bulletin"]["id"], "bulletins:b-2");
    assert_eq!(
        header(headers, "x-palisade-delivery"),
        note["delivery"].as_str()
    );
    let mail = mails.lock().unwrap()[0].clone();
    assert!(mail.contains("To: team@example.com"), "{mail}");
    assert!(mail.contains("AWS Lambda runtime issue"), "{mail}");

    // The Slack-compatible message: one, with the headline in its text.
    let slack = hooks.accepted("/slack");
    assert_eq!(slack.len(), 1);
    let text: Value = serde_json::from_slice(&slack[0].1).unwrap();
    let text = text["text"].as_str().unwrap();
    assert!(
        text.starts_with("*[lambda] bulletins:b-2: AWS Lambda runtime issue"),
        "{text}"
    );

    let (headers, body) = &hooks.accepted("/kev")[0];
    let note: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(note["event"], "kev");
    assert_eq!(note["bulletin"]["id"], "CVE-2026-2222");
    assert_eq!(note["bulletin"]["kev"]["due_date"], "2026-12-16");
    // Its secret was generated at `watch add`: the signature is there.
    assert!(header(headers, "x-palisade-signature").is_some_and(|s| s.starts_with("sha256=")));
}

#[test]
fn a_redirect_is_a_failed_attempt_and_is_not_followed() {
    let feeds = Server::start();
    feeds.put("/rss.xml", rss(&[("b-1", "Old news about EC2")]), 1);
    // Where the redirects point: it must never hear of the notification.
    let elsewhere = Receiver::start(200);
    let moved = Receiver::answering(307, Some(elsewhere.url("/stolen")));
    let found = Receiver::answering(302, Some(elsewhere.url("/lost")));
    let (_dir, db) = temp_db();
    add_source(&db, "bulletins", "rss", &format!("{}/rss.xml", feeds.url()));
    for (name, receiver) in [("moved", &moved), ("found", &found)] {
        ok(
            &db,
            &[
                "watch",
                "add",
                "--name",
                name,
                "--keyword",
                "lambda",
                "--notify",
                &format!("webhook:{}", receiver.url("/hook")),
            ],
        );
    }
    ok(&db, &["watch", "run", "--once"]);
    feeds.put(
        "/rss.xml",
        rss(&[
            ("b-1", "Old news about EC2"),
            ("b-2", "AWS Lambda runtime issue"),
        ]),
        2,
    );
    let out = common::run(&db, &["watch", "run", "--once"]);
    let text = common::stderr(&out);
    assert_eq!(moved.attempts("/hook"), 1);
    assert_eq!(found.attempts("/hook"), 1);
    assert_eq!(
        elsewhere.attempts("/stolen") + elsewhere.attempts("/lost"),
        0
    );
    for (code, path) in [("307", "/stolen"), ("302", "/lost")] {
        let line = format!(
            "HTTP {code} {}: redirected to \"{}\", not followed",
            if code == "307" {
                "Temporary Redirect"
            } else {
                "Found"
            },
            elsewhere.url(path)
        );
        assert!(text.contains(&line), "{line} in\n{text}");
    }
    // Both remain owed, not counted delivered.
    let watches = json(&db, &["watch", "list"]);
    for w in watches.as_array().unwrap() {
        assert_eq!(w["delivered"], 0, "{w}");
        assert_eq!(w["pending"], 1, "{w}");
    }
}

#[test]
fn a_sigkill_between_fetch_and_delivery_still_delivers_exactly_once() {
    let feeds = Server::start();
    feeds.put("/rss.xml", rss(&[("a-1", "Routine maintenance")]), 1);
    let hooks = Receiver::start(503);
    let (_dir, db) = temp_db();
    add_source(&db, "bulletins", "rss", &format!("{}/rss.xml", feeds.url()));
    ok(
        &db,
        &[
            "watch",
            "add",
            "--name",
            "openssl",
            "--keyword",
            "openssl",
            "--notify",
            &format!("webhook:{}", hooks.url("/hook")),
            "--secret",
            "k",
        ],
    );

    let mut runner = start_runner(&db, None);
    wait_for_baseline(&db);
    feeds.put(
        "/rss.xml",
        rss(&[
            ("a-1", "Routine maintenance"),
            ("a-2", "OpenSSL update for CVE-2026-3333"),
        ]),
        2,
    );
    // Fetched and queued; the receiver refuses, so it stays in the outbox.
    wait_for("a refused attempt", Duration::from_secs(15), || {
        hooks.attempts("/hook") >= 1
    });
    runner.0.kill().unwrap(); // SIGKILL
    runner.0.wait().unwrap();
    let pending = json(&db, &["watch", "list"]);
    assert_eq!(pending[0]["pending"], 1, "{pending}");
    assert_eq!(pending[0]["delivered"], 0);

    hooks.status.store(200, Ordering::SeqCst);
    let _again = start_runner(&db, None);
    wait_for(
        "the delivery after restart",
        Duration::from_secs(20),
        || !hooks.accepted("/hook").is_empty(),
    );
    std::thread::sleep(Duration::from_millis(2500));
    let accepted = hooks.accepted("/hook");
    assert_eq!(accepted.len(), 1, "delivered exactly once");
    let keys: std::collections::BTreeSet<String> = hooks
        .seen
        .lock()
        .unwrap()
        .iter()
        .filter_map(|(_, h, _, _)| header(h, "x-palisade-delivery").map(str::to_string))
        .collect();
    assert_eq!(
        keys.len(),
        1,
        "every attempt carried the same idempotency key: {keys:?}"
    );
    let listed = json(&db, &["watch", "list"]);
    assert_eq!(listed[0]["delivered"], 1);
    assert_eq!(listed[0]["pending"], 0);
}

#[test]
fn sigterm_stops_watch_run_between_cycles() {
    let feeds = Server::start();
    feeds.put("/rss.xml", rss(&[("a-1", "Routine maintenance")]), 1);
    let (_dir, db) = temp_db();
    add_source(&db, "bulletins", "rss", &format!("{}/rss.xml", feeds.url()));
    let mut cmd = common::command(&db);
    let mut child = cmd
        .args(["watch", "run"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_baseline(&db);
    let pid = rustix::process::Pid::from_child(&child);
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "still running after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(
        stderr.contains("stopped; undelivered notifications stay queued"),
        "{stderr}"
    );
}

#[test]
fn secrets_are_sealed_in_a_private_database_and_credentials_never_printed() {
    use std::os::unix::fs::PermissionsExt;
    let hooks = Receiver::start(200);
    let (_dir, db) = temp_db();
    let url = format!(
        "http://ops:hunter2@127.0.0.1:{}/hook?token=t0ken&team=7",
        hooks.port
    );
    let out = common::run(
        &db,
        &[
            "-vv",
            "watch",
            "add",
            "--name",
            "creds",
            "--keyword",
            "lambda",
            "--notify",
            &format!("webhook:{url}"),
            "--secret",
            "s3cret-value",
        ],
    );
    assert!(out.status.success(), "{}", common::stderr(&out));
    let mut printed = common::stdout(&out) + &common::stderr(&out);
    for args in [&["watch", "list"][..], &["--json", "watch", "list"][..]] {
        let out = common::run(&db, args);
        assert!(out.status.success(), "{}", common::stderr(&out));
        printed += &common::stdout(&out);
        printed += &common::stderr(&out);
    }
    assert!(printed.contains("ops:***@127.0.0.1"), "{printed}");
    for secret in ["hunter2", "t0ken", "s3cret-value"] {
        assert!(!printed.contains(secret), "{secret} in {printed}");
    }
    // Readable by its owner only, its WAL and shared-memory files too.
    for suffix in ["", "-wal", "-shm"] {
        let mut path = db.as_os_str().to_owned();
        path.push(suffix);
        if let Ok(meta) = std::fs::metadata(&path) {
            assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{suffix}");
        }
    }
    // The secret is not in the database's bytes: a copy alone gives nothing.
    let _ = common::run(&db, &["db", "stats"]); // checkpoints nothing; the WAL is read too
    for suffix in ["", "-wal"] {
        let mut path = db.as_os_str().to_owned();
        path.push(suffix);
        let bytes = std::fs::read(&path).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains("s3cret-value"),
            "the secret is in {suffix:?}"
        );
    }
    // Yet deliveries are signed with it.
    let feeds = Server::start();
    feeds.put("/rss.xml", rss(&[("b-1", "Old news")]), 1);
    add_source(&db, "bulletins", "rss", &format!("{}/rss.xml", feeds.url()));
    ok(&db, &["watch", "run", "--once"]);
    feeds.put(
        "/rss.xml",
        rss(&[("b-1", "Old news"), ("b-2", "Lambda issue")]),
        2,
    );
    let out = common::run(&db, &["-v", "watch", "run", "--once"]);
    let text = common::stderr(&out);
    assert!(
        !text.contains("hunter2") && !text.contains("t0ken"),
        "{text}"
    );
    let delivered = hooks.accepted("/hook?token=t0ken&team=7");
    assert_eq!(delivered.len(), 1, "{text}");
    let (headers, body) = &delivered[0];
    assert_eq!(
        header(headers, "x-palisade-signature"),
        Some(format!("sha256={}", hmac_hex("s3cret-value", body)).as_str())
    );
}
