//! `palisade gateway`: --check, and the signals an operator sends.

#![allow(clippy::print_stderr)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use palisade_testkit::http::Server;
use rustix::process::{Pid, Signal};

fn palisade() -> Command {
    Command::new(env!("CARGO_BIN_EXE_palisade"))
}

fn example(name: &str) -> PathBuf {
    palisade_testkit::workspace_root()
        .join("examples/wild-rydes")
        .join(name)
}

#[test]
fn check_reports_every_problem_with_its_pointer_and_exits_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("gateway.yaml");
    std::fs::write(
        &config,
        "listen: nowhere\nupstreams: { b: { url: \"http://127.0.0.1:1\" } }\nroutes:\n  - { method: GET, path: /a, upstream: c }\n",
    )
    .expect("config");
    let out = palisade()
        .args(["gateway", "--check", "--config"])
        .arg(&config)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("2 configuration problems"), "{stderr}");
    assert!(
        stderr.contains("gateway.yaml#/listen: \"nowhere\" is not an address"),
        "{stderr}"
    );
    assert!(
        stderr.contains("gateway.yaml#/routes/0/upstream: no upstream named \"c\""),
        "{stderr}"
    );
}

#[test]
fn check_accepts_the_wild_rydes_example() {
    for config in ["gateway.yaml", "gateway-openapi.yaml"] {
        let out = palisade()
            .args(["gateway", "--check", "--config"])
            .arg(example(config))
            .output()
            .expect("run");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("valid;"), "{stdout}");
    }
}

/// A gateway process and the address it listens on (read from its log).
struct Gateway {
    child: Child,
    address: SocketAddr,
    log: mpsc::Receiver<String>,
}

impl Gateway {
    fn start(config: &Path) -> Gateway {
        let mut child = palisade()
            .args(["gateway", "--no-watch", "--config"])
            .arg(config)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let (sender, log) = mpsc::channel();
        let stderr = child.stderr.take().expect("stderr");
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = sender.send(line);
            }
        });
        let mut gateway = Gateway {
            child,
            address: "127.0.0.1:1".parse().expect("address"),
            log,
        };
        let line = gateway.wait_for("listening on http://");
        let address = line
            .rsplit("http://")
            .next()
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or("");
        gateway.address = address.parse().expect("listen address");
        gateway
    }

    fn wait_for(&self, text: &str) -> String {
        loop {
            match self.log.recv_timeout(Duration::from_secs(10)) {
                Ok(line) if line.contains(text) => return line,
                Ok(_) => {}
                Err(e) => panic!("no log line with {text:?}: {e}"),
            }
        }
    }

    fn signal(&self, signal: Signal) {
        let pid = i32::try_from(self.child.id())
            .ok()
            .and_then(Pid::from_raw)
            .expect("pid");
        rustix::process::kill_process(pid, signal).expect("kill");
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn get(address: SocketAddr, path: &str, headers: &str) -> String {
    let mut stream = TcpStream::connect(address).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n{headers}\r\n"
    )
    .expect("write");
    let mut out = String::new();
    let _ = stream.read_to_string(&mut out);
    out
}

fn config(dir: &Path, upstream: &str, routes: &str) -> PathBuf {
    let path = dir.join("gateway.yaml");
    let text = format!(
        "listen: 127.0.0.1:0\nupstreams: {{ b: {{ url: \"{upstream}\" }} }}\naccess_log: \"off\"\nroutes:\n{routes}"
    );
    std::fs::write(&path, text).expect("config");
    path
}

#[test]
fn sigterm_finishes_the_request_in_flight_then_exits_0() {
    let upstream = Server::start();
    upstream.put("/slow", b"done".to_vec(), 1);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config(
        dir.path(),
        &upstream.url(),
        "  - { method: GET, path: /slow, upstream: b }\n",
    );
    let mut gateway = Gateway::start(&config);
    let address = gateway.address;
    let in_flight = std::thread::spawn(move || get(address, "/slow", "x-delay-ms: 800\r\n"));
    std::thread::sleep(Duration::from_millis(250));
    gateway.signal(Signal::TERM);
    let reply = in_flight.join().expect("request thread");
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(reply.ends_with("done"), "{reply}");
    let mut exited = None;
    for _ in 0..100 {
        if let Some(status) = gateway.child.try_wait().expect("wait") {
            exited = Some(status);
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(exited.and_then(|s| s.code()), Some(0));
    assert!(TcpStream::connect(address).is_err());
}

#[test]
fn sighup_reloads_the_configuration() {
    let upstream = Server::start();
    upstream.put("/a", b"a".to_vec(), 1);
    upstream.put("/b", b"b".to_vec(), 1);
    let dir = tempfile::tempdir().expect("tempdir");
    let first = "  - { method: GET, path: /a, upstream: b }\n";
    let path = config(dir.path(), &upstream.url(), first);
    let gateway = Gateway::start(&path);
    assert!(get(gateway.address, "/b", "").starts_with("HTTP/1.1 404"));
    config(
        dir.path(),
        &upstream.url(),
        &format!("{first}  - {{ method: GET, path: /b, upstream: b }}\n"),
    );
    gateway.signal(Signal::HUP);
    gateway.wait_for("configuration reloaded: 2 routes");
    assert!(get(gateway.address, "/b", "").starts_with("HTTP/1.1 200"));
    // A broken file is reported and changes nothing.
    std::fs::write(&path, "listen: [").expect("break");
    gateway.signal(Signal::HUP);
    gateway.wait_for("reload failed");
    assert!(get(gateway.address, "/a", "").starts_with("HTTP/1.1 200"));
}

/// Unfinished uploads on many connections at once: the bytes held stay
/// within `limits.max_buffered_bytes` (the rest answered 429), and the
/// memory goes back to the system once the connections are gone.
#[test]
fn concurrent_unfinished_bodies_are_capped_and_their_memory_returned() {
    use palisade_testkit::memory::{peak_rss_kib, rss_kib, rss_settles_below};
    const CONNECTIONS: usize = 48;
    const SENT: usize = 2 << 20;
    const CAP_MIB: u64 = 32;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = config(
        dir.path(),
        "http://127.0.0.1:9",
        "  - { method: POST, path: /upload, upstream: b }\n",
    );
    let text = std::fs::read_to_string(&path).expect("config");
    std::fs::write(
        &path,
        format!("{text}limits:\n  max_buffered_bytes: {}\n", CAP_MIB << 20),
    )
    .expect("config");
    let gateway = Gateway::start(&path);
    let pid = gateway.child.id();
    let before = rss_kib(pid).expect("rss");
    // Each announces 10 MB (the body limit) and sends 2 MB of it:
    // 96 MB in all, three times the cap.
    let chunk = vec![b'x'; 64 << 10];
    let mut streams = Vec::new();
    let mut refused = 0;
    for _ in 0..CONNECTIONS {
        let mut stream = TcpStream::connect(gateway.address).expect("connect");
        stream
            .set_write_timeout(Some(Duration::from_secs(2)))
            .expect("timeout");
        stream
            .set_read_timeout(Some(Duration::from_millis(200)))
            .expect("timeout");
        write!(
            stream,
            "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 10485760\r\n\r\n"
        )
        .expect("head");
        let mut sent = 0;
        while sent < SENT && stream.write_all(&chunk).is_ok() {
            sent += chunk.len();
        }
        let mut answer = [0u8; 12];
        if stream.read_exact(&mut answer).is_ok() {
            assert_eq!(
                &answer,
                b"HTTP/1.1 429",
                "{:?}",
                String::from_utf8_lossy(&answer)
            );
            refused += 1;
        }
        streams.push(stream);
    }
    let peak = peak_rss_kib(pid).expect("peak");
    eprintln!("RSS before {before} KiB, peak {peak} KiB; {refused} of {CONNECTIONS} refused");
    // About 16 fit under the cap; the others were refused.
    assert!(refused >= CONNECTIONS / 2, "{refused} refused");
    // The cap and the connections' own buffers, not the 96 MB sent.
    let grown = peak.saturating_sub(before);
    assert!(grown < (CAP_MIB + 28) << 10, "grew {grown} KiB");
    // The bodies' memory goes back; what the allocator keeps of the
    // connections' own buffers (about 300 KiB each) may stay.
    drop(streams);
    let settled =
        rss_settles_below(pid, before + (20 << 10), Duration::from_secs(10)).expect("rss");
    eprintln!("RSS after the connections closed: {settled} KiB");
    assert!(settled <= before + (20 << 10), "still {settled} KiB");
}
