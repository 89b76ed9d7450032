//! HTTP/1.1 to upstreams over keep-alive connections, exchanged inside the
//! request's own task.
//!
//! A general client (hyper's) runs each connection as a task of its own and
//! passes requests, responses and body chunks to it through channels; at
//! proxy rates those hand-offs cost more than the forwarding itself. Here the
//! task that validated the request writes it, reads the answer and, for the
//! small bodies APIs return, reads the body too before handing the
//! connection back to its worker's pool. Larger and chunked bodies stream to
//! the client and give the connection back when they end.

use std::collections::HashMap;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes, BytesMut};
use http::header::{HeaderMap, HeaderName, HeaderValue};
use http::uri::Authority;
use http::{Method, Response, StatusCode, Version};
use http_body::{Body, Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;

use crate::deadline::Entry;

/// The largest response head read (status line and headers).
const MAX_HEAD: usize = 64 << 10;
/// The most response headers taken.
const MAX_HEADERS: usize = 128;
/// Bodies up to this size are read before the response is returned, so the
/// connection goes back to the pool at once.
const READ_AHEAD: usize = 64 << 10;
/// The longest chunk-size line, extensions included.
const MAX_CHUNK_LINE: usize = 4 << 10;
/// The most trailer bytes after a chunked body.
const MAX_TRAILERS: usize = 16 << 10;
/// How much is read from the socket at a time.
const READ_SIZE: usize = 16 << 10;
/// The largest read buffer an idle connection keeps (one that grew past it
/// for a large body is let go).
const MAX_IDLE_BUFFER: usize = 4 * READ_SIZE;

/// Why an exchange failed.
#[derive(Debug)]
pub enum ExchangeError {
    /// No connection, or it broke: the upstream is unreachable or went away.
    Io(String),
    /// The upstream answered something that is not an HTTP/1 response.
    Malformed(String),
}

/// One worker's idle upstream connections, by authority.
#[derive(Clone)]
pub struct Client {
    pool: Arc<Pool>,
}

struct Pool {
    idle: Mutex<Idles>,
    max_idle: usize,
    idle_timeout: Duration,
    connect_timeout: Duration,
}

struct Idle {
    stream: TcpStream,
    /// The connection's read buffer, empty, kept so the next exchange
    /// reuses its memory instead of allocating another.
    buf: BytesMut,
    since: Instant,
}

/// Idle connections by authority, oldest first in each list.
#[derive(Default)]
struct Idles {
    /// foldhash, not SipHash: looked up twice a request, and the keys are
    /// the configuration's own upstreams.
    lists: HashMap<String, Vec<Idle>, foldhash::fast::RandomState>,
    /// Connections returned since every list was last swept.
    since_sweep: usize,
}

/// How many returns go by between sweeps of every authority's list, which
/// close what waited too long where no request goes any more (an upstream
/// a reload removed).
const SWEEP_EVERY: usize = 1024;

/// A request ready to send: its head already written out.
pub struct Outgoing {
    pub method: Method,
    pub head: Vec<u8>,
    pub body: Bytes,
}

impl Client {
    pub fn new(max_idle: usize, idle_timeout: Duration, connect_timeout: Duration) -> Client {
        Client {
            pool: Arc::new(Pool {
                idle: Mutex::new(Idles::default()),
                max_idle,
                idle_timeout,
                connect_timeout,
            }),
        }
    }

    /// Sends `request` to `authority` and reads the response head, and the
    /// body when it is small.
    pub async fn send(
        &self,
        authority: &Authority,
        request: &Outgoing,
    ) -> Result<Response<UpstreamBody>, ExchangeError> {
        let idempotent = matches!(
            request.method,
            Method::GET
                | Method::HEAD
                | Method::PUT
                | Method::DELETE
                | Method::OPTIONS
                | Method::TRACE
        );
        if let Some((stream, buf)) = self.pool.take(authority.as_str()) {
            match self.exchange(authority, stream, buf, request).await {
                Ok(response) => return Ok(response),
                // A pooled connection the upstream had closed: nothing was
                // answered, so the request goes again on a new connection
                // when that cannot do twice what was meant once.
                Err(Failure::Stale { written }) if idempotent || !written => {}
                Err(failure) => return Err(failure.into()),
            }
        }
        let stream = self.pool.connect(authority).await?;
        self.exchange(authority, stream, BytesMut::new(), request)
            .await
            .map_err(Into::into)
    }

    async fn exchange(
        &self,
        authority: &Authority,
        mut stream: TcpStream,
        mut buf: BytesMut,
        request: &Outgoing,
    ) -> Result<Response<UpstreamBody>, Failure> {
        if write_request(&mut stream, request).await.is_err() {
            return Err(Failure::Stale { written: false });
        }
        // Reclaims the buffer's own memory when the last response's parts
        // read from it are gone.
        buf.reserve(READ_SIZE);
        let (response, framing, keep_alive) = loop {
            let n = stream
                .read_buf(&mut buf)
                .await
                .map_err(|_| Failure::Stale { written: true })?;
            if n == 0 {
                return Err(if buf.is_empty() {
                    Failure::Stale { written: true }
                } else {
                    Failure::Malformed("the connection closed inside the response head".into())
                });
            }
            if let Some(head) = parse_head(&mut buf, &request.method)? {
                break head;
            }
        };
        let mut body = UpstreamBody {
            conn: Some(Conn {
                stream,
                buf,
                authority: authority.clone(),
                pool: self.pool.clone(),
                keep_alive,
            }),
            state: match framing {
                Framing::Length(n) => State::Length(n),
                Framing::Chunked => State::Chunked(Chunked::Size),
                Framing::UntilClose => State::UntilClose,
            },
            pending: None,
            then_idle: None,
            idle_ms: 0,
            stall: None,
            stall_ms: 0,
            stall_armed: false,
            log: None,
        };
        body.read_ahead().await?;
        Ok(response.map(|()| body))
    }
}

impl Pool {
    /// The most recently used live connection to `authority`.
    fn take(&self, authority: &str) -> Option<(TcpStream, BytesMut)> {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        let list = idle.lists.get_mut(authority)?;
        while let Some(entry) = list.pop() {
            if entry.since.elapsed() > self.idle_timeout {
                continue;
            }
            // Readiness the reactor has seen on an idle connection is the
            // upstream closing it (or talking out of turn): either way it is
            // not reusable. Without readiness this is no system call.
            let mut probe = [0u8; 1];
            match entry.stream.try_read(&mut probe) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    return Some((entry.stream, entry.buf));
                }
                _ => continue,
            }
        }
        None
    }

    fn put(&self, authority: &Authority, stream: TcpStream, mut buf: BytesMut) {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        let timeout = self.idle_timeout;
        let fresh = |entry: &Idle| entry.since.elapsed() <= timeout;
        idle.since_sweep += 1;
        if idle.since_sweep >= SWEEP_EVERY {
            idle.since_sweep = 0;
            idle.lists.retain(|_, list| {
                list.retain(fresh);
                !list.is_empty()
            });
        }
        let list = match idle.lists.get_mut(authority.as_str()) {
            Some(list) => list,
            None => idle.lists.entry(authority.to_string()).or_default(),
        };
        // Requests take the newest, so the oldest would wait (and hold a
        // descriptor, often half closed by the upstream) for ever.
        let expired = list.iter().take_while(|entry| !fresh(entry)).count();
        list.drain(..expired);
        if list.len() < self.max_idle {
            if buf.capacity() > MAX_IDLE_BUFFER {
                buf = BytesMut::new();
            }
            list.push(Idle {
                stream,
                buf,
                since: Instant::now(),
            });
        }
    }

    async fn connect(&self, authority: &Authority) -> Result<TcpStream, ExchangeError> {
        let address = match authority.port_u16() {
            Some(_) => authority.to_string(),
            None => format!("{authority}:80"),
        };
        let stream = tokio::time::timeout(self.connect_timeout, TcpStream::connect(&address))
            .await
            .map_err(|_| ExchangeError::Io(format!("connecting to {address} timed out")))?
            .map_err(|e| ExchangeError::Io(format!("connecting to {address}: {e}")))?;
        let _ = stream.set_nodelay(true);
        Ok(stream)
    }
}

enum Failure {
    /// Nothing came back on the connection; `written` says whether the
    /// request went out in full.
    Stale {
        written: bool,
    },
    Io(String),
    Malformed(String),
}

impl std::fmt::Display for ExchangeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExchangeError::Io(text) | ExchangeError::Malformed(text) => f.write_str(text),
        }
    }
}

impl From<Failure> for ExchangeError {
    fn from(failure: Failure) -> ExchangeError {
        match failure {
            Failure::Stale { .. } => {
                ExchangeError::Io("the upstream closed the connection without answering".into())
            }
            Failure::Io(text) => ExchangeError::Io(text),
            Failure::Malformed(text) => ExchangeError::Malformed(text),
        }
    }
}

async fn write_request(stream: &mut TcpStream, request: &Outgoing) -> io::Result<()> {
    if request.body.len() <= READ_SIZE {
        // One write, so one segment for the usual small request.
        let mut all = Vec::with_capacity(request.head.len() + request.body.len());
        all.extend_from_slice(&request.head);
        all.extend_from_slice(&request.body);
        stream.write_all(&all).await
    } else {
        stream.write_all(&request.head).await?;
        stream.write_all(&request.body).await
    }
}

/// Writes a request head: the request line, then `headers` as they are.
pub fn request_head(method: &Method, target: &str, headers: &HeaderMap) -> Vec<u8> {
    let mut head = HeadWriter::new(method, target, headers.len());
    for (name, value) in headers {
        head.header(name.as_str().as_bytes(), &[value.as_bytes()]);
    }
    head.finish()
}

/// An HTTP/1.1 request head written straight into bytes, so a proxy can
/// set its own headers without inserting them into a `HeaderMap` first.
pub struct HeadWriter(Vec<u8>);

impl HeadWriter {
    pub fn new(method: &Method, target: &str, headers: usize) -> HeadWriter {
        let mut head = Vec::with_capacity(256 + target.len() + headers * 32);
        head.extend_from_slice(method.as_str().as_bytes());
        head.push(b' ');
        head.extend_from_slice(target.as_bytes());
        head.extend_from_slice(b" HTTP/1.1\r\n");
        HeadWriter(head)
    }

    /// One header whose value is the concatenation of `value` (the caller
    /// vouches for the name and the pieces being valid in a header).
    pub fn header(&mut self, name: &[u8], value: &[&[u8]]) {
        self.0.extend_from_slice(name);
        self.0.extend_from_slice(b": ");
        for piece in value {
            self.0.extend_from_slice(piece);
        }
        self.0.extend_from_slice(b"\r\n");
    }

    /// One header with a decimal value.
    pub fn number(&mut self, name: &[u8], mut n: u64) {
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        loop {
            at -= 1;
            digits[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.header(name, &[&digits[at..]]);
    }

    pub fn finish(mut self) -> Vec<u8> {
        self.0.extend_from_slice(b"\r\n");
        self.0
    }
}

/// How the response body is delimited.
#[derive(Debug, PartialEq, Eq)]
enum Framing {
    Length(u64),
    Chunked,
    UntilClose,
}

type Head = (Response<()>, Framing, bool);

/// Parses a response head from the front of `buf`, consuming it; `None`
/// until the whole head is there. Interim (1xx) responses are skipped.
fn parse_head(buf: &mut BytesMut, method: &Method) -> Result<Option<Head>, Failure> {
    loop {
        let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut parsed = httparse::Response::new(&mut slots);
        let length = match parsed.parse(buf) {
            Ok(httparse::Status::Complete(n)) => n,
            Ok(httparse::Status::Partial) if buf.len() > MAX_HEAD => {
                return Err(Failure::Malformed(format!(
                    "response head over {MAX_HEAD} bytes"
                )));
            }
            Ok(httparse::Status::Partial) => return Ok(None),
            Err(e) => return Err(Failure::Malformed(format!("response head: {e}"))),
        };
        let code = parsed.code.unwrap_or(0);
        let status =
            StatusCode::from_u16(code).map_err(|_| Failure::Malformed(format!("status {code}")))?;
        if status == StatusCode::SWITCHING_PROTOCOLS {
            return Err(Failure::Malformed("the upstream switched protocols".into()));
        }
        if status.is_informational() {
            buf.advance(length);
            continue;
        }
        let version = if parsed.version == Some(0) {
            Version::HTTP_10
        } else {
            Version::HTTP_11
        };
        let raw = &*parsed.headers;
        let framing = framing(raw, status, method)?;
        // Keep-alive is read from the raw head; the Connection header, the
        // headers it names and the other hop-by-hop ones concern this hop
        // only and are left out of the response the client gets.
        let mut keep_alive = version == Version::HTTP_11;
        let mut named: Vec<&str> = Vec::new();
        for token in raw
            .iter()
            .filter(|h| crate::proxy::token_eq(h.name, "connection"))
            .filter_map(|h| visible(h.value))
            .flat_map(|v| v.split(','))
            .map(str::trim)
        {
            if token.eq_ignore_ascii_case("close") {
                keep_alive = false;
            } else if token.eq_ignore_ascii_case("keep-alive") {
                keep_alive = keep_alive || version == Version::HTTP_10;
            } else if !token.is_empty() {
                named.push(token);
            }
        }
        // Names are made now; values are kept as places in the head, to be
        // shared from it (not copied) once it is split off the buffer.
        let base = buf.as_ptr() as usize;
        let mut kept: Vec<(HeaderName, usize, usize)> = Vec::with_capacity(raw.len());
        for h in raw {
            if crate::proxy::is_hop_by_hop_name(h.name)
                || named.iter().any(|n| n.eq_ignore_ascii_case(h.name))
            {
                continue;
            }
            let name = match common_name(h.name) {
                Some(name) => name,
                None => HeaderName::from_bytes(h.name.as_bytes())
                    .map_err(|_| Failure::Malformed(format!("header name {:?}", h.name)))?,
            };
            let start = h.value.as_ptr() as usize - base;
            kept.push((name, start, start + h.value.len()));
        }
        let head = buf.split_to(length).freeze();
        let mut headers = HeaderMap::with_capacity(kept.len());
        for (name, start, end) in kept {
            let value = HeaderValue::from_maybe_shared(head.slice(start..end))
                .map_err(|_| Failure::Malformed(format!("header {name} value")))?;
            headers.append(name, value);
        }
        // The upstream's version is not the gateway's: the client hears
        // the gateway's own (an HTTP/1.0 status line would end its
        // keep-alive).
        let mut response = Response::new(());
        *response.status_mut() = status;
        *response.headers_mut() = headers;
        return Ok(Some((response, framing, keep_alive)));
    }
}

/// The names most responses carry, found by length and a case-blind
/// comparison: `HeaderName::from_bytes` costs several times more.
fn common_name(name: &str) -> Option<HeaderName> {
    use http::header;
    let candidates: &[HeaderName] = match name.len() {
        3 => &[header::AGE],
        4 => &[header::DATE, header::ETAG, header::VARY],
        6 => &[header::SERVER],
        7 => &[header::EXPIRES],
        8 => &[header::LOCATION],
        10 => &[header::SET_COOKIE],
        12 => &[header::CONTENT_TYPE],
        13 => &[
            header::CACHE_CONTROL,
            header::LAST_MODIFIED,
            header::ACCEPT_RANGES,
        ],
        14 => &[header::CONTENT_LENGTH],
        16 => &[header::CONTENT_ENCODING],
        _ => return None,
    };
    candidates
        .iter()
        .find(|c| crate::proxy::token_eq(name, c.as_str()))
        .cloned()
}

/// A header value as text when it is visible ASCII (as `HeaderValue::to_str`
/// takes it).
fn visible(value: &[u8]) -> Option<&str> {
    value
        .iter()
        .all(|b| (0x20..0x7f).contains(b) || *b == b'\t')
        .then(|| std::str::from_utf8(value).ok())
        .flatten()
}

/// RFC 9112 section 6.3, for a response.
fn framing(
    raw: &[httparse::Header<'_>],
    status: StatusCode,
    method: &Method,
) -> Result<Framing, Failure> {
    if method == Method::HEAD
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED
    {
        return Ok(Framing::Length(0));
    }
    let mut codings = raw
        .iter()
        .filter(|h| crate::proxy::token_eq(h.name, "transfer-encoding"))
        .peekable();
    if codings.peek().is_some() {
        let last = codings
            .filter_map(|h| visible(h.value))
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .rfind(|c| !c.is_empty());
        return Ok(match last {
            Some(coding) if coding.eq_ignore_ascii_case("chunked") => Framing::Chunked,
            _ => Framing::UntilClose,
        });
    }
    let mut length = None;
    for h in raw
        .iter()
        .filter(|h| crate::proxy::token_eq(h.name, "content-length"))
    {
        for part in visible(h.value).unwrap_or("x").split(',') {
            let n: u64 = part
                .trim()
                .parse()
                .map_err(|_| Failure::Malformed("content-length is not a number".into()))?;
            if length.is_some_and(|m| m != n) {
                return Err(Failure::Malformed("content-length values differ".into()));
            }
            length = Some(n);
        }
    }
    Ok(length.map_or(Framing::UntilClose, Framing::Length))
}

/// A connection while its response body is read.
struct Conn {
    stream: TcpStream,
    buf: BytesMut,
    authority: Authority,
    pool: Arc<Pool>,
    keep_alive: bool,
}

impl Conn {
    /// Reads more into the buffer; the number of bytes read (0 at the end).
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let before = self.buf.len();
        self.buf.resize(before + READ_SIZE, 0);
        let mut read = ReadBuf::new(&mut self.buf[before..]);
        let polled = Pin::new(&mut self.stream).poll_read(cx, &mut read);
        let n = read.filled().len();
        self.buf.truncate(before + n);
        ready!(polled)?;
        Poll::Ready(Ok(n))
    }

    /// Back to the pool, when the response ended cleanly and nothing
    /// follows it.
    fn release(self) {
        if self.keep_alive && self.buf.is_empty() {
            self.pool.put(&self.authority, self.stream, self.buf);
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum State {
    Length(u64),
    Chunked(Chunked),
    UntilClose,
    Done,
}

#[derive(Debug, PartialEq, Eq)]
enum Chunked {
    /// Reading a chunk-size line.
    Size,
    /// Inside a chunk, with this much left.
    Data(u64),
    /// The CRLF after a chunk's data.
    DataEnd,
    /// Trailer lines after the last chunk, with this many bytes read so far.
    Trailers(usize),
}

/// What one step of chunked decoding gives.
#[derive(Debug, PartialEq, Eq)]
enum Step {
    Data(Bytes),
    NeedMore,
    End,
}

impl Chunked {
    /// Decodes from the front of `buf` until it has data to give, needs more
    /// input, or reaches the end of the body.
    fn step(&mut self, buf: &mut BytesMut) -> Result<Step, String> {
        loop {
            match self {
                Chunked::Size => {
                    let Some(end) = line_end(buf) else {
                        if buf.len() > MAX_CHUNK_LINE {
                            return Err("chunk-size line too long".into());
                        }
                        return Ok(Step::NeedMore);
                    };
                    let line = &buf[..end];
                    let digits = line
                        .iter()
                        .position(|b| *b == b';')
                        .map_or(line, |at| &line[..at]);
                    let digits = std::str::from_utf8(digits)
                        .map_err(|_| "chunk size is not text".to_string())?
                        .trim_matches([' ', '\t']);
                    if digits.is_empty() || digits.len() > 15 {
                        return Err(format!("chunk size {digits:?}"));
                    }
                    let size = u64::from_str_radix(digits, 16)
                        .map_err(|_| format!("chunk size {digits:?}"))?;
                    buf.advance(end + 2);
                    *self = if size == 0 {
                        Chunked::Trailers(0)
                    } else {
                        Chunked::Data(size)
                    };
                }
                Chunked::Data(left) => {
                    if buf.is_empty() {
                        return Ok(Step::NeedMore);
                    }
                    let take = usize::try_from(*left).unwrap_or(usize::MAX).min(buf.len());
                    let data = buf.split_to(take).freeze();
                    *left -= take as u64;
                    if *left == 0 {
                        *self = Chunked::DataEnd;
                    }
                    return Ok(Step::Data(data));
                }
                Chunked::DataEnd => {
                    if buf.len() < 2 {
                        return Ok(Step::NeedMore);
                    }
                    if &buf[..2] != b"\r\n" {
                        return Err("chunk data not followed by CRLF".into());
                    }
                    buf.advance(2);
                    *self = Chunked::Size;
                }
                Chunked::Trailers(seen) => {
                    let Some(end) = line_end(buf) else {
                        if *seen + buf.len() > MAX_TRAILERS {
                            return Err("trailers too long".into());
                        }
                        return Ok(Step::NeedMore);
                    };
                    buf.advance(end + 2);
                    if end == 0 {
                        return Ok(Step::End);
                    }
                    *seen += end + 2;
                    if *seen > MAX_TRAILERS {
                        return Err("trailers too long".into());
                    }
                }
            }
        }
    }
}

/// Reads one upstream response held whole in `input`, as the gateway
/// reads it off a connection: its status and its body, decoded. For fuzzing
/// and tests of the response reader without sockets.
pub fn decode_response(input: &[u8], method: &Method) -> Result<(u16, Vec<u8>), String> {
    let mut buf = BytesMut::from(input);
    let (response, framing, _) = parse_head(&mut buf, method)
        .map_err(|f| ExchangeError::from(f).to_string())?
        .ok_or("the response head is incomplete")?;
    let body = match framing {
        Framing::Length(n) => {
            let n = usize::try_from(n).unwrap_or(usize::MAX);
            if buf.len() < n {
                return Err("the body is shorter than its length".into());
            }
            buf[..n].to_vec()
        }
        Framing::UntilClose => buf.to_vec(),
        Framing::Chunked => {
            let mut decoder = Chunked::Size;
            let mut body = Vec::new();
            loop {
                match decoder.step(&mut buf)? {
                    Step::Data(data) => body.extend_from_slice(&data),
                    Step::NeedMore => return Err("the chunked body is incomplete".into()),
                    Step::End => break body,
                }
            }
        }
    };
    Ok((response.status().as_u16(), body))
}

fn line_end(buf: &[u8]) -> Option<usize> {
    buf.windows(2).position(|w| w == b"\r\n")
}

/// A response body read from an upstream connection.
pub struct UpstreamBody {
    conn: Option<Conn>,
    state: State,
    /// A body read ahead whole, not yet given out.
    pending: Option<Bytes>,
    /// The client connection's wait for its next request, started once
    /// this body is done with.
    then_idle: Option<Arc<Entry>>,
    idle_ms: u32,
    /// The deadline of a streamed body's current wait for more from the
    /// upstream, and how long that may be (0: no limit); armed only while
    /// waiting, so a body read ahead whole never arms one. (Limits in
    /// milliseconds, fields apart: the body is moved with every response,
    /// and its size decides what a move costs.)
    stall: Option<Arc<Entry>>,
    stall_ms: u32,
    stall_armed: bool,
    /// The access-log line of a response still streaming when its handler
    /// returned, written when the body is done with (boxed: only streamed
    /// bodies have one, and the body is moved with every response).
    log: Option<Box<PendingLog>>,
}

/// An access-log line waiting for the end of its response body: the bytes
/// really given to the client, and whether the body was cut off.
pub(crate) struct PendingLog {
    pub(crate) logger: crate::log::AccessLogger,
    pub(crate) line: serde_json::Value,
    sent: u64,
    cut: Option<String>,
}

impl PendingLog {
    pub(crate) fn new(logger: crate::log::AccessLogger, line: serde_json::Value) -> PendingLog {
        PendingLog {
            logger,
            line,
            sent: 0,
            cut: None,
        }
    }
}

/// A limit in whole milliseconds, as the body keeps it.
fn millis(limit: Duration) -> u32 {
    u32::try_from(limit.as_millis()).unwrap_or(u32::MAX)
}

impl Drop for UpstreamBody {
    fn drop(&mut self) {
        if let Some(idle) = self.then_idle.take() {
            idle.arm(Duration::from_millis(self.idle_ms.into()));
        }
        if let Some(pending) = self.log.take() {
            let PendingLog {
                logger,
                mut line,
                sent,
                cut,
            } = *pending;
            let ended = self.pending.is_none() && matches!(self.state, State::Done);
            let cut = cut.or_else(|| {
                (!ended).then(|| "the client went away before the body was sent".to_string())
            });
            line["bytes_out"] = sent.into();
            line["complete"] = cut.is_none().into();
            if let Some(cut) = cut {
                line["cut"] = cut.into();
            }
            logger.line(line.to_string());
        }
    }
}

impl UpstreamBody {
    /// Whether more of the body is still to come from the upstream (it is
    /// not all read ahead).
    pub(crate) fn streaming(&self) -> bool {
        !matches!(self.state, State::Done)
    }

    /// Writes `log`'s line when the body has been sent (or cut off, or
    /// dropped), with the bytes sent and whether it was complete.
    pub(crate) fn log_when_done(&mut self, log: PendingLog) {
        self.log = Some(Box::new(log));
    }

    /// Arms `idle` for `limit` when the body has been sent (or dropped).
    pub(crate) fn arm_when_done(&mut self, idle: Arc<Entry>, limit: Duration) {
        self.then_idle = Some(idle);
        self.idle_ms = millis(limit);
    }

    /// Ends the body with an error when the upstream sends nothing more
    /// for `limit`; the client sees its response cut off rather than wait
    /// forever. Kept by the worker's deadlines: without a sweeper on the
    /// thread there is no limit.
    pub(crate) fn limit_stalls(&mut self, limit: Duration) {
        self.stall_ms = millis(limit);
    }

    /// Reads a body of known small length whole, so the connection can be
    /// reused before the client has taken the response.
    async fn read_ahead(&mut self) -> Result<(), Failure> {
        let (State::Length(n), Some(conn)) = (&self.state, self.conn.as_mut()) else {
            return Ok(());
        };
        if *n > READ_AHEAD as u64 {
            return Ok(());
        }
        let want = usize::try_from(*n).unwrap_or(usize::MAX);
        while conn.buf.len() < want {
            let read = conn
                .stream
                .read_buf(&mut conn.buf)
                .await
                .map_err(|e| Failure::Io(format!("reading the response body: {e}")))?;
            if read == 0 {
                return Err(Failure::Io(
                    "the connection closed inside the response body".into(),
                ));
            }
        }
        let data = conn.buf.split_to(want).freeze();
        self.pending = (!data.is_empty()).then_some(data);
        self.finish();
        Ok(())
    }

    fn finish(&mut self) {
        self.state = State::Done;
        if let Some(conn) = self.conn.take() {
            conn.release();
        }
    }

    fn fail(&mut self, what: String) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        self.state = State::Done;
        self.conn = None;
        Poll::Ready(Some(Err(io::Error::new(io::ErrorKind::InvalidData, what))))
    }
}

impl Body for UpstreamBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = self.get_mut();
        let polled = this.poll_stalling(cx);
        if let (Some(log), Poll::Ready(Some(frame))) = (this.log.as_mut(), &polled) {
            match frame {
                Ok(frame) => {
                    log.sent += frame.data_ref().map_or(0, |d| d.len() as u64);
                }
                Err(e) => log.cut = Some(e.to_string()),
            }
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.pending.is_none() && matches!(self.state, State::Done)
    }

    fn size_hint(&self) -> SizeHint {
        match (&self.pending, &self.state) {
            (Some(data), _) => SizeHint::with_exact(data.len() as u64),
            (None, State::Done) => SizeHint::with_exact(0),
            (None, State::Length(n)) => SizeHint::with_exact(*n),
            _ => SizeHint::default(),
        }
    }
}

impl UpstreamBody {
    /// The body with the stall limit around it.
    fn poll_stalling(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = self;
        let polled = this.poll_body(cx);
        if this.stall_ms == 0 {
            return polled;
        }
        let limit = Duration::from_millis(this.stall_ms.into());
        if polled.is_ready() {
            if this.stall_armed {
                this.stall_armed = false;
                if let Some(entry) = &this.stall {
                    entry.disarm();
                }
            }
            return polled;
        }
        if !this.stall_armed {
            this.stall_armed = true;
            match &this.stall {
                Some(entry) => entry.arm(limit),
                None => this.stall = Entry::after(limit),
            }
        }
        if this.stall.as_ref().is_some_and(|e| e.poll_fired(cx)) {
            this.stall_ms = 0;
            return this.fail(format!(
                "the upstream sent nothing more of the response body for {} s",
                limit.as_secs_f64()
            ));
        }
        Poll::Pending
    }
}

impl UpstreamBody {
    /// The body as the upstream sends it (`poll_frame` adds the stall
    /// limit around it).
    fn poll_body(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        if let Some(data) = self.pending.take() {
            return Poll::Ready(Some(Ok(Frame::data(data))));
        }
        loop {
            let Some(conn) = self.conn.as_mut() else {
                return Poll::Ready(None);
            };
            match &mut self.state {
                State::Done => return Poll::Ready(None),
                State::Length(0) => {
                    self.finish();
                    return Poll::Ready(None);
                }
                State::Length(left) => {
                    if !conn.buf.is_empty() {
                        let take = usize::try_from(*left)
                            .unwrap_or(usize::MAX)
                            .min(conn.buf.len());
                        let data = conn.buf.split_to(take).freeze();
                        *left -= take as u64;
                        if *left == 0 {
                            self.finish();
                        }
                        return Poll::Ready(Some(Ok(Frame::data(data))));
                    }
                    if ready!(conn.poll_fill(cx))? == 0 {
                        return self.fail("the connection closed inside the response body".into());
                    }
                }
                State::UntilClose => {
                    conn.keep_alive = false;
                    if !conn.buf.is_empty() {
                        let data = conn.buf.split().freeze();
                        return Poll::Ready(Some(Ok(Frame::data(data))));
                    }
                    if ready!(conn.poll_fill(cx))? == 0 {
                        self.finish();
                        return Poll::Ready(None);
                    }
                }
                State::Chunked(decoder) => match decoder.step(&mut conn.buf) {
                    Ok(Step::Data(data)) => return Poll::Ready(Some(Ok(Frame::data(data)))),
                    Ok(Step::End) => {
                        self.finish();
                        return Poll::Ready(None);
                    }
                    Ok(Step::NeedMore) => {
                        if ready!(conn.poll_fill(cx))? == 0 {
                            return self.fail("the connection closed inside a chunked body".into());
                        }
                    }
                    Err(what) => return self.fail(what),
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes `input` fed `step` bytes at a time.
    fn dechunk(input: &[u8], step: usize) -> Result<(Vec<u8>, usize), String> {
        let mut decoder = Chunked::Size;
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        for piece in input.chunks(step) {
            buf.extend_from_slice(piece);
            loop {
                match decoder.step(&mut buf)? {
                    Step::Data(data) => out.extend_from_slice(&data),
                    Step::NeedMore => break,
                    Step::End => return Ok((out, buf.len())),
                }
            }
        }
        Err("unfinished".into())
    }

    #[test]
    fn chunked_bodies_decode_however_they_are_split() {
        let body = b"4;name=value\r\nWiki\r\n6\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0\r\nExpires: never\r\n\r\nNEXT";
        for step in [1, 2, 3, 7, body.len()] {
            let (out, left) = dechunk(body, step).unwrap_or_else(|e| panic!("{step}: {e}"));
            assert_eq!(out, b"Wikipedia in \r\n\r\nchunks.", "step {step}");
            // What follows the body stays for the next response.
            if step == body.len() {
                assert_eq!(left, 4);
            }
        }
        for bad in [
            &b"zz\r\nhello\r\n0\r\n\r\n"[..],
            b"\r\n",
            b"5\r\nhelloX\r\n0\r\n\r\n",
            b"fffffffffffffffff\r\n",
        ] {
            assert!(dechunk(bad, 1).is_err(), "{}", String::from_utf8_lossy(bad));
        }
        let endless_size = vec![b'1'; MAX_CHUNK_LINE + 10];
        assert!(dechunk(&endless_size, 512).is_err());
        let mut endless_trailers = b"0\r\n".to_vec();
        endless_trailers.extend(std::iter::repeat_n(b"X-A: b\r\n".iter().copied(), 4000).flatten());
        assert!(dechunk(&endless_trailers, 1000).is_err());
    }

    fn head(text: &str, method: &Method) -> Result<Option<Head>, String> {
        let mut buf = BytesMut::from(text.as_bytes());
        parse_head(&mut buf, method).map_err(|f| ExchangeError::from(f).to_string())
    }

    #[test]
    fn the_client_gets_no_header_of_the_upstream_hop() {
        let (response, framing, keep_alive) = head(
            "HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Hop\r\nKeep-Alive: timeout=5\r\nX-Hop: a\r\nTransfer-Encoding: chunked\r\nX-Kept: b\r\nSet-Cookie: s=1\r\nSet-Cookie: t=2\r\n\r\n",
            &Method::GET,
        )
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("partial"));
        assert_eq!((framing, keep_alive), (Framing::Chunked, true));
        let names: Vec<&str> = response.headers().keys().map(|n| n.as_str()).collect();
        assert_eq!(names, ["x-kept", "set-cookie"]);
        assert_eq!(response.headers().get_all("set-cookie").iter().count(), 2);
    }

    #[test]
    fn framing_and_keep_alive_follow_rfc_9112() {
        let framed = |text: &str, method: Method| {
            let (response, framing, keep_alive) = head(text, &method)
                .unwrap_or_else(|e| panic!("{text}: {e}"))
                .unwrap_or_else(|| panic!("{text}: partial"));
            (response.status().as_u16(), framing, keep_alive)
        };
        for (text, method, expected) in [
            (
                "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
                Method::GET,
                (200, Framing::Length(5), true),
            ),
            (
                "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
                Method::HEAD,
                (200, Framing::Length(0), true),
            ),
            (
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: 5\r\n\r\n",
                Method::GET,
                (200, Framing::Chunked, true),
            ),
            (
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
                Method::GET,
                (200, Framing::UntilClose, true),
            ),
            (
                "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n",
                Method::GET,
                (200, Framing::Length(1), false),
            ),
            (
                "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 1\r\n\r\n",
                Method::GET,
                (200, Framing::Length(1), true),
            ),
            (
                "HTTP/1.1 200 OK\r\nConnection: foo, close\r\nContent-Length: 1\r\n\r\n",
                Method::GET,
                (200, Framing::Length(1), false),
            ),
            (
                "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: x\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n",
                Method::GET,
                (304, Framing::Length(0), true),
            ),
            (
                "HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\n\r\n",
                Method::GET,
                (200, Framing::Length(3), true),
            ),
        ] {
            assert_eq!(framed(text, method), expected, "{text}");
        }
        assert!(matches!(
            head("HTTP/1.1 200 OK\r\nContent-Le", &Method::GET),
            Ok(None)
        ));
        for bad in [
            "HTTP/1.1 200 OK\r\nContent-Length: 3, 4\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
            "HTTP/1.1 101 Switching Protocols\r\n\r\n",
            "SSH-2.0-OpenSSH\r\n\r\n",
        ] {
            assert!(head(bad, &Method::GET).is_err(), "{bad}");
        }
        let endless = format!(
            "HTTP/1.1 200 OK\r\n{}",
            "X-A: b\r\n".repeat(MAX_HEAD / 8 + 10)
        );
        assert!(head(&endless, &Method::GET).is_err());
    }

    #[test]
    fn whole_responses_decode_to_status_and_body() {
        let decoded = |text: &str, method: &Method| decode_response(text.as_bytes(), method);
        for (text, method, status, body) in [
            (
                "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA",
                Method::GET,
                200,
                &b"ok"[..],
            ),
            (
                "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n1\r\nc\r\n0\r\n\r\n",
                Method::POST,
                201,
                b"abc",
            ),
            (
                "HTTP/1.0 200 OK\r\n\r\nall of it",
                Method::GET,
                200,
                b"all of it",
            ),
            (
                "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n",
                Method::HEAD,
                200,
                b"",
            ),
        ] {
            assert_eq!(
                decoded(text, &method),
                Ok((status, body.to_vec())),
                "{text}"
            );
        }
        for text in [
            "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
            "HTTP/1.1 200 OK\r\n",
        ] {
            assert!(decoded(text, &Method::GET).is_err(), "{text}");
        }
    }

    #[tokio::test]
    async fn connections_idle_past_the_timeout_are_closed_not_kept() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address").to_string();
        let connect = || async {
            let stream = TcpStream::connect(&address).await.expect("connect");
            let _accepted = listener.accept().await.expect("accept");
            stream
        };
        let authority = |text: &str| -> Authority { text.parse().expect("authority") };
        let client = Client::new(8, Duration::from_millis(200), Duration::from_secs(1));
        let pool = &client.pool;
        let count = |authority: &str| {
            let idle = pool.idle.lock().expect("pool");
            idle.lists.get(authority).map_or(0, Vec::len)
        };
        for _ in 0..3 {
            pool.put(&authority("a:1"), connect().await, BytesMut::new());
        }
        pool.put(&authority("gone:1"), connect().await, BytesMut::new());
        assert_eq!((count("a:1"), count("gone:1")), (3, 1));
        tokio::time::sleep(Duration::from_millis(300)).await;
        // A return drops its authority's expired connections.
        pool.put(&authority("a:1"), connect().await, BytesMut::new());
        assert_eq!(count("a:1"), 1);
        // A sweep reaches authorities nobody asks for any more.
        pool.idle.lock().expect("pool").since_sweep = SWEEP_EVERY;
        pool.put(&authority("a:1"), connect().await, BytesMut::new());
        assert_eq!((count("a:1"), count("gone:1")), (2, 0));
        assert!(!pool.idle.lock().expect("pool").lists.contains_key("gone:1"));
        // The cap holds.
        let lasting = Client::new(8, Duration::from_secs(600), Duration::from_secs(1));
        for _ in 0..10 {
            lasting
                .pool
                .put(&authority("a:1"), connect().await, BytesMut::new());
        }
        let idle = lasting.pool.idle.lock().expect("pool");
        assert_eq!(idle.lists.get("a:1").map(Vec::len), Some(8));
    }

    #[test]
    fn common_names_are_the_names_from_bytes_would_make() {
        for name in [
            "Age",
            "date",
            "ETag",
            "Vary",
            "SERVER",
            "Expires",
            "location",
            "Set-Cookie",
            "Content-Type",
            "cache-control",
            "Last-Modified",
            "Accept-Ranges",
            "Content-Length",
            "content-encoding",
        ] {
            assert_eq!(
                common_name(name),
                Some(HeaderName::from_bytes(name.as_bytes()).expect("a name")),
                "{name}"
            );
        }
        for name in [
            "",
            "x-age",
            "dates",
            "content-lengths",
            "x-upstream",
            "servers",
        ] {
            assert_eq!(common_name(name), None, "{name}");
        }
    }

    #[test]
    fn request_heads_carry_the_headers_as_given() {
        let mut headers = HeaderMap::new();
        headers.insert(http::header::HOST, HeaderValue::from_static("up:8080"));
        headers.append("x-a", HeaderValue::from_static("1"));
        headers.append("x-a", HeaderValue::from_static("2"));
        let head = request_head(&Method::PATCH, "/p?q=1", &headers);
        assert_eq!(
            String::from_utf8_lossy(&head),
            "PATCH /p?q=1 HTTP/1.1\r\nhost: up:8080\r\nx-a: 1\r\nx-a: 2\r\n\r\n"
        );
        let mut head = HeadWriter::new(&Method::GET, "/", 0);
        for n in [0, 7, 10, 1234567890, u64::MAX] {
            head.number(b"n", n);
        }
        head.header(b"x", &[b"a, ", b"b"]);
        assert_eq!(
            String::from_utf8_lossy(&head.finish()),
            format!(
                "GET / HTTP/1.1\r\nn: 0\r\nn: 7\r\nn: 10\r\nn: 1234567890\r\nn: {}\r\nx: a, b\r\n\r\n",
                u64::MAX
            )
        );
    }
}
