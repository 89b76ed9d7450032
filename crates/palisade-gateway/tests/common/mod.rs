//! Loopback helpers: an upstream that records what reaches it, a client, and
//! a gateway started from a configuration written to a temporary directory.

#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use palisade_gateway::{Running, ServeOptions};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    /// Path and query as the upstream received them.
    pub target: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// An upstream on a loopback port. `x-delay-ms` makes it wait before
/// answering; a path under `/lambda` answers as a Lambda function behind a
/// proxy integration, echoing parts of the event it got.
#[derive(Clone)]
pub struct Upstream {
    pub address: SocketAddr,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

impl Upstream {
    pub async fn start() -> Upstream {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind upstream");
        let address = listener.local_addr().expect("address");
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let log = seen.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let log = log.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request: Request<Incoming>| {
                        let log = log.clone();
                        async move { Ok::<_, std::convert::Infallible>(answer(request, log).await) }
                    });
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Upstream { address, seen }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("lock").clone()
    }
}

async fn answer(request: Request<Incoming>, log: Arc<Mutex<Vec<Seen>>>) -> Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let delay = parts
        .headers
        .get("x-delay-ms")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    log.lock().expect("lock").push(Seen {
        method: parts.method.to_string(),
        target: parts
            .uri
            .path_and_query()
            .map(|p| p.to_string())
            .unwrap_or_default(),
        headers: parts.headers.clone(),
        body: body.clone(),
    });
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    if parts.uri.path().starts_with("/lambda") {
        let event: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let echo = json!({
            "httpMethod": event["httpMethod"],
            "path": event["path"],
            "resource": event["resource"],
            "pathParameters": event["pathParameters"],
            "query": event["queryStringParameters"],
            "body": event["body"],
            "requestId": event["requestContext"]["requestId"],
        });
        let reply = json!({
            "statusCode": 201,
            "headers": {"content-type": "application/json", "x-function": "echo"},
            "multiValueHeaders": {"set-cookie": ["a=1", "b=2"]},
            "body": echo.to_string(),
            "isBase64Encoded": false,
        });
        return Response::new(Full::new(Bytes::from(reply.to_string())));
    }
    let mut response = Response::new(Full::new(Bytes::from_static(br#"{"stored": true}"#)));
    response
        .headers_mut()
        .insert("x-upstream", http::HeaderValue::from_static("yes"));
    response
}

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

/// One request on a fresh connection.
pub async fn send(
    address: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: impl Into<Bytes>,
) -> Result<Reply, String> {
    let stream = TcpStream::connect(address)
        .await
        .map_err(|e| e.to_string())?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(connection);
    let mut request = Request::builder().method(method).uri(target);
    // The caller's Host, if it gives one, replaces the address.
    if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
        request = request.header("host", address.to_string());
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request
        .body(Full::new(body.into()))
        .map_err(|e| e.to_string())?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    Ok(Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// One client connection that requests go over in turn, as a browser's
/// keep-alive connection does.
pub struct KeepAlive {
    sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
}

impl KeepAlive {
    pub async fn open(address: SocketAddr) -> KeepAlive {
        let stream = TcpStream::connect(address).await.expect("connect");
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .expect("handshake");
        tokio::spawn(connection);
        KeepAlive { sender }
    }

    /// GETs `target` on this connection: the response, its body read.
    pub async fn get(&mut self, target: &str) -> (http::response::Parts, Bytes) {
        self.sender
            .ready()
            .await
            .expect("the client connection stays open");
        let request = Request::get(target)
            .header("host", "t")
            .body(Full::new(Bytes::new()))
            .expect("request");
        let response = self.sender.send_request(request).await.expect("response");
        let (parts, body) = response.into_parts();
        let body = body.collect().await.expect("body").to_bytes();
        (parts, body)
    }
}

pub async fn post_json(address: SocketAddr, target: &str, body: &str) -> Reply {
    send(
        address,
        "POST",
        target,
        &[("content-type", "application/json")],
        body.to_string(),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"))
}

/// Writes raw bytes and reads what comes back until the peer closes (or
/// `wait` passes).
pub async fn raw(address: SocketAddr, bytes: &[u8], wait: Duration) -> String {
    let mut stream = TcpStream::connect(address).await.expect("connect");
    stream.write_all(bytes).await.expect("write");
    let mut out = Vec::new();
    let _ = tokio::time::timeout(wait, stream.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

/// A connection to `address` that has sent `bytes` (a request, or the
/// start of one).
pub async fn connect_with(address: SocketAddr, bytes: &[u8]) -> TcpStream {
    let mut stream = TcpStream::connect(address).await.expect("connect");
    stream.write_all(bytes).await.expect("write");
    stream
}

/// Reads a 200 response's head, then its body until the connection
/// closes or `size` bytes are in, pausing `pause` after each read of at
/// most 32 KiB; the body's length. Panics when nothing comes for 5 s.
pub async fn body_length(stream: &mut TcpStream, size: usize, pause: Duration) -> usize {
    let head = read_until(stream, "\r\n\r\n").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let mut received = head.len() - head.find("\r\n\r\n").map_or(0, |at| at + 4);
    let mut buf = vec![0u8; 32 * 1024];
    while received < size {
        match tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => break,
            Ok(Ok(n)) => received += n,
            Err(_) => panic!("nothing for 5 s, {received} bytes in"),
        }
        tokio::time::sleep(pause).await;
    }
    received
}

/// A hand-written HTTP/1 upstream on a loopback port: for each connection,
/// the first request head is read, then `answer` gets the connection (a
/// connection closed before a whole head is dropped).
pub async fn raw_upstream<F, A>(answer: F) -> SocketAddr
where
    F: Fn(TcpStream) -> A + Send + Sync + 'static,
    A: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let answer = Arc::new(answer);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let answer = answer.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let mut seen = Vec::new();
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                answer(stream).await;
            });
        }
    });
    address
}

/// Reads from `stream` until what came in contains `needle`; panics when
/// the connection closes first or nothing comes for 5 s.
pub async fn read_until(stream: &mut TcpStream, needle: &str) -> String {
    let mut reply = Vec::new();
    let mut buf = [0u8; 1024];
    while !String::from_utf8_lossy(&reply).contains(needle) {
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf))
            .await
            .expect("an answer within 5 s")
            .expect("read");
        assert!(n > 0, "closed: {}", String::from_utf8_lossy(&reply));
        reply.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&reply).into_owned()
}

/// A configuration and its files in a temporary directory.
pub struct Setup {
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    pub variables: HashMap<String, String>,
}

impl Setup {
    pub fn new(config: &str, files: &[(&str, &str)]) -> Setup {
        let dir = tempfile::tempdir().expect("tempdir");
        for (name, text) in files {
            let path = dir.path().join(name);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).expect("mkdir");
            }
            std::fs::write(path, text).expect("write");
        }
        let path = dir.path().join("gateway.yaml");
        std::fs::write(&path, config).expect("config");
        Setup {
            dir,
            config: path,
            variables: HashMap::new(),
        }
    }

    pub fn var(mut self, name: &str, value: &str) -> Setup {
        self.variables.insert(name.to_string(), value.to_string());
        self
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn options(&self, watch: Option<Duration>) -> ServeOptions {
        let variables = self.variables.clone();
        ServeOptions {
            watch_interval: watch,
            variables: Arc::new(move |name| variables.get(name).cloned()),
            ..ServeOptions::default()
        }
    }

    pub async fn start(&self) -> Running {
        start_at(&self.config, self.options(None)).await
    }
}

pub async fn start_at(config: &Path, options: ServeOptions) -> Running {
    palisade_gateway::start(config, options)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}
