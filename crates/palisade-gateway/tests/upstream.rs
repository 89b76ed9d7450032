//! The gateway's own HTTP/1.1 upstream exchange, against an upstream that
//! answers in every framing HTTP/1 has (and in some it does not).

mod common;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{KeepAlive, Setup, send};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A large body, so that it streams rather than being read ahead.
fn large() -> Vec<u8> {
    (0..300_000u32).map(|i| b'a' + (i % 26) as u8).collect()
}

/// What the scripted upstream answers for a path, and whether it closes
/// the connection afterwards.
fn answer(path: &str) -> (Vec<u8>, bool) {
    let text = |s: &str| (s.as_bytes().to_vec(), false);
    match path {
        "/ok" => text("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
        "/chunked" => text(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Kind: chunked\r\n\r\n\
             5;ext=1\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n",
        ),
        "/large" => {
            let body = large();
            let mut out =
                format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes();
            out.extend_from_slice(&body);
            (out, false)
        }
        "/until-close" => (
            b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end".to_vec(),
            true,
        ),
        "/continue" => text(
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 4\r\n\r\nmade",
        ),
        "/head" => text("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"),
        "/empty" => text("HTTP/1.1 204 No Content\r\n\r\n"),
        "/http10" => (
            b"HTTP/1.0 200 OK\r\nContent-Length: 4\r\n\r\nold!".to_vec(),
            true,
        ),
        "/garbage" => (b"HELLO THERE\r\n\r\n".to_vec(), true),
        "/two-lengths" => (
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc".to_vec(),
            true,
        ),
        "/bad-chunk" => (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"
                .to_vec(),
            true,
        ),
        "/cut" => (
            b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort".to_vec(),
            true,
        ),
        _ => text("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"),
    }
}

struct Scripted {
    address: SocketAddr,
    accepted: Arc<AtomicUsize>,
    heads: Arc<Mutex<Vec<String>>>,
}

impl Scripted {
    /// `close_each`: close every connection after one response, as an
    /// upstream with a short keep-alive timeout does, without saying so.
    async fn start(close_each: bool) -> Scripted {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        let accepted = Arc::new(AtomicUsize::new(0));
        let heads = Arc::new(Mutex::new(Vec::new()));
        let (count, seen) = (accepted.clone(), heads.clone());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(serve(stream, seen.clone(), close_each));
            }
        });
        Scripted {
            address,
            accepted,
            heads,
        }
    }
}

async fn serve(mut stream: TcpStream, heads: Arc<Mutex<Vec<String>>>, close_each: bool) {
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 8192];
    loop {
        let end = loop {
            if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..end]).into_owned();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length: "))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        while buf.len() < end + length {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        buf.drain(..end + length);
        let path = head
            .split_whitespace()
            .nth(1)
            .unwrap_or("/")
            .trim_start_matches("/api")
            .split('?')
            .next()
            .unwrap_or("/")
            .to_string();
        heads.lock().expect("heads").push(head);
        let (bytes, close) = answer(&path);
        if stream.write_all(&bytes).await.is_err() || close || close_each {
            return;
        }
    }
}

async fn gateway(upstream: &Scripted) -> (Setup, palisade_gateway::Running) {
    let config = format!(
        "listen: 127.0.0.1:0\nupstreams: {{ b: {{ url: \"http://{}/api\", timeout_ms: 2000 }} }}\nroutes:\n  - {{ method: ANY, path: \"/{{proxy+}}\", upstream: b }}\naccess_log: \"off\"\n",
        upstream.address
    );
    let setup = Setup::new(&config, &[]);
    // One worker: one pool, so connection reuse can be counted.
    let options = palisade_gateway::ServeOptions {
        workers: Some(1),
        ..setup.options(None)
    };
    let running = common::start_at(&setup.config, options).await;
    (setup, running)
}

#[tokio::test]
async fn every_response_framing_reaches_the_client_whole() {
    let upstream = Scripted::start(false).await;
    let (_setup, running) = gateway(&upstream).await;
    let at = running.address;
    let get = |path: &'static str| async move {
        send(at, "GET", path, &[], Vec::new())
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"))
    };
    let reply = get("/chunked").await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (200, "hello 0123456789")
    );
    assert_eq!(reply.headers["x-kind"], "chunked");
    let reply = get("/large").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body.as_bytes(), large().as_slice());
    let reply = get("/until-close").await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "until the end"));
    let reply = get("/continue").await;
    assert_eq!((reply.status, reply.body.as_str()), (201, "made"));
    let reply = get("/empty").await;
    assert_eq!((reply.status, reply.body.as_str()), (204, ""));
    let reply = send(at, "HEAD", "/head", &[], Vec::new())
        .await
        .expect("HEAD");
    assert_eq!((reply.status, reply.body.as_str()), (200, ""));
    assert_eq!(reply.headers["content-length"], "10");
    // After all that, the keep-alive connection still answers.
    assert_eq!(get("/ok").await.body, "ok");
}

#[tokio::test]
async fn what_is_not_http_is_a_502_and_a_short_body_is_cut_off() {
    let upstream = Scripted::start(false).await;
    let (_setup, running) = gateway(&upstream).await;
    // A body short of its length is read ahead (it is small), so that too is
    // found before the head goes out.
    for path in ["/garbage", "/two-lengths", "/cut"] {
        let reply = send(running.address, "GET", path, &[], Vec::new())
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(reply.status, 502, "{path}");
    }
    // A streamed body that breaks after the head went out cannot become a
    // 502: the client sees the response cut short, not a wrong body.
    let broken = send(running.address, "GET", "/bad-chunk", &[], Vec::new()).await;
    assert!(broken.is_err(), "{broken:?}");
    // The gateway keeps serving.
    let reply = send(running.address, "GET", "/ok", &[], Vec::new())
        .await
        .expect("ok");
    assert_eq!(reply.body, "ok");
}

#[tokio::test]
async fn one_upstream_connection_serves_requests_in_turn() {
    let upstream = Scripted::start(false).await;
    let (_setup, running) = gateway(&upstream).await;
    for i in 0..20 {
        let body = format!("{{\"n\": {i}}}");
        let reply = send(
            running.address,
            "POST",
            "/ok?x=1",
            &[
                ("content-type", "application/json"),
                ("expect", "100-continue"),
            ],
            body.clone().into_bytes(),
        )
        .await
        .expect("post");
        assert_eq!(reply.body, "ok", "{reply:?}");
    }
    assert_eq!(upstream.accepted.load(Ordering::SeqCst), 1);
    let heads = upstream.heads.lock().expect("heads").clone();
    assert_eq!(heads.len(), 20);
    let first = &heads[0];
    assert!(
        first.starts_with("POST /api/ok?x=1 HTTP/1.1\r\n"),
        "{first}"
    );
    assert!(first.contains("content-length: 8\r\n"), "{first}");
    assert!(
        first.contains(&format!("host: {}\r\n", upstream.address)),
        "{first}"
    );
    assert!(first.contains("x-forwarded-for: 127.0.0.1\r\n"), "{first}");
    assert!(first.contains("x-request-id: "), "{first}");
    assert!(!first.contains("expect:"), "{first}");
}

#[tokio::test]
async fn posts_survive_an_upstream_that_closes_idle_connections() {
    let upstream = Scripted::start(true).await;
    let (_setup, running) = gateway(&upstream).await;
    for i in 0..5 {
        // The pause lets the close arrive: the pooled connection is seen to
        // be gone before a request that must not be sent twice goes out.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let reply = send(
            running.address,
            "POST",
            "/ok",
            &[("content-type", "application/json")],
            b"{}".to_vec(),
        )
        .await
        .expect("post");
        assert_eq!(reply.status, 200, "request {i}");
    }
    assert_eq!(upstream.accepted.load(Ordering::SeqCst), 5);
}

#[tokio::test]
async fn an_http_1_0_upstream_does_not_end_the_clients_keep_alive() {
    let upstream = Scripted::start(false).await;
    let (_setup, running) = gateway(&upstream).await;
    let mut client = KeepAlive::open(running.address).await;
    for i in 0..3 {
        let (response, body) = client.get("/http10").await;
        assert_eq!(response.status, 200, "request {i}");
        assert_eq!(response.version, http::Version::HTTP_11);
        assert_eq!(body.as_ref(), b"old!");
    }
    // Each HTTP/1.0 answer closed its upstream connection.
    assert_eq!(upstream.accepted.load(Ordering::SeqCst), 3);
}
