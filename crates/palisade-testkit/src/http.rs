//! A small HTTP/1.1 file server on a loopback port, for testing downloads.
//!
//! It serves byte bodies by path with an `ETag` and `Last-Modified`, answers
//! conditional requests with `304`, can be told to fail the next requests of a
//! path with `503`, waits `x-delay-ms` before answering when a request asks,
//! and records every request so tests can assert on them. A request whose
//! path has a query string gets the resource put at that exact path and
//! query, else the one put at the bare path.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// A file the server serves.
#[derive(Clone, Debug)]
pub struct Resource {
    pub body: Vec<u8>,
    pub etag: String,
    pub last_modified: String,
}

/// One request the server received.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: HashMap<String, String>,
    pub status: u16,
}

#[derive(Default)]
struct State {
    resources: HashMap<String, Resource>,
    failures: HashMap<String, usize>,
    requests: Vec<Request>,
}

/// The running server; it stops when dropped.
pub struct Server {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server").field("addr", &self.addr).finish()
    }
}

impl Server {
    /// Starts a server on an ephemeral loopback port.
    pub fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let state = Arc::clone(&state);
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            let state = Arc::clone(&state);
                            std::thread::spawn(move || serve(stream, &state));
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(5)),
                    }
                }
            })
        };
        Server {
            addr,
            state,
            stop,
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Serves `body` at `path` (which starts with `/`) under a new ETag.
    pub fn put(&self, path: &str, body: Vec<u8>, version: u32) {
        let resource = Resource {
            body,
            etag: format!("\"v{version}\""),
            last_modified: format!("Mon, 0{} Jan 2024 00:00:00 GMT", version % 10),
        };
        self.state
            .lock()
            .unwrap()
            .resources
            .insert(path.to_string(), resource);
    }

    /// Makes the next `count` requests for `path` fail with 503.
    pub fn fail_next(&self, path: &str, count: usize) {
        self.state
            .lock()
            .unwrap()
            .failures
            .insert(path.to_string(), count);
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Request> {
        self.state.lock().unwrap().requests.clone()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        self.state.lock().unwrap().requests.clear();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(stream: TcpStream, state: &Mutex<State>) {
    stream.set_nonblocking(false).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or("").to_string();
        let path = parts.next().unwrap_or("").to_string();
        let mut headers = HashMap::new();
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
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
            }
        }
        if let Some(len) = headers
            .get("content-length")
            .and_then(|v| v.parse::<usize>().ok())
        {
            let mut body = vec![0; len];
            if reader.read_exact(&mut body).is_err() {
                return;
            }
        }
        // Lets tests hold a request in flight (graceful shutdown, timeouts).
        if let Some(ms) = headers.get("x-delay-ms").and_then(|v| v.parse().ok()) {
            std::thread::sleep(Duration::from_millis(ms));
        }
        let (status, extra, body) = respond(state, &method, &path, &headers);
        state.lock().unwrap().requests.push(Request {
            method: method.clone(),
            path,
            headers,
            status,
        });
        let reason = match status {
            200 => "OK",
            304 => "Not Modified",
            404 => "Not Found",
            _ => "Service Unavailable",
        };
        let mut head = format!("HTTP/1.1 {status} {reason}\r\n");
        for (k, v) in &extra {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
        if writer.write_all(head.as_bytes()).is_err() {
            return;
        }
        if method != "HEAD" && writer.write_all(&body).is_err() {
            return;
        }
        let _ = writer.flush();
    }
}

fn respond(
    state: &Mutex<State>,
    method: &str,
    path: &str,
    headers: &HashMap<String, String>,
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut state = state.lock().unwrap();
    if let Some(n) = state.failures.get_mut(path)
        && *n > 0
    {
        *n -= 1;
        return (503, vec![], b"try again".to_vec());
    }
    if method != "GET" && method != "HEAD" {
        return (404, vec![], Vec::new());
    }
    // A path with a query falls back to the resource without it.
    let bare = path.split('?').next().unwrap_or(path);
    let Some(resource) = state
        .resources
        .get(path)
        .or_else(|| state.resources.get(bare))
    else {
        return (404, vec![], b"no such file".to_vec());
    };
    let validators = vec![
        ("etag".to_string(), resource.etag.clone()),
        ("last-modified".to_string(), resource.last_modified.clone()),
    ];
    let not_modified = match headers.get("if-none-match") {
        Some(tag) => tag == &resource.etag,
        None => headers.get("if-modified-since") == Some(&resource.last_modified),
    };
    if not_modified {
        return (304, validators, Vec::new());
    }
    (200, validators, resource.body.clone())
}
