//! Forwarding to upstreams: plain HTTP over pooled keep-alive connections,
//! or a Lambda proxy integration that sends API Gateway's REST (v1) proxy
//! event and maps the function's answer back.

use std::net::SocketAddr;

use base64::Engine;
use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Response, StatusCode};
use http_body_util::{BodyExt, Either, Full, Limited};
use serde_json::{Map, Value, json};

use crate::config::{Route, Upstream, UpstreamMode};
use crate::request_id::RequestId;
use crate::route::{Params, PathTemplate};
use crate::upstream::{Client, ExchangeError, HeadWriter, Outgoing, UpstreamBody};

pub type Body = Either<Full<Bytes>, UpstreamBody>;

/// The largest function response read in lambda-proxy mode.
const MAX_LAMBDA_RESPONSE: usize = 12 << 20;

/// Why an upstream call produced no response.
#[derive(Debug)]
pub enum UpstreamError {
    Timeout,
    Connect(String),
    /// A lambda-proxy answer that is not a proxy response.
    Malformed(String),
}

impl UpstreamError {
    pub fn kind(&self) -> &'static str {
        match self {
            UpstreamError::Timeout => "timeout",
            UpstreamError::Connect(_) => "connect",
            UpstreamError::Malformed(_) => "malformed_response",
        }
    }
}

/// The request as received, with its body read (it had to be, to validate).
#[derive(Debug)]
pub struct Inbound {
    pub parts: http::request::Parts,
    pub body: Bytes,
    pub params: Params,
    pub peer: Peer,
    pub request_id: RequestId,
}

/// The client end of a connection.
#[derive(Clone, Debug)]
pub struct Peer {
    pub address: SocketAddr,
    /// The address as `X-Forwarded-For` gives it, written once per
    /// connection rather than once per request.
    pub forwarded: HeaderValue,
    /// The latest bytes the connection read (see `sniff.rs`).
    pub(crate) tail: std::sync::Arc<crate::sniff::Tail>,
}

impl Peer {
    pub fn new(address: SocketAddr) -> Peer {
        let forwarded = HeaderValue::from_str(&address.ip().to_string())
            .unwrap_or_else(|_| HeaderValue::from_static("unknown"));
        Peer {
            address,
            forwarded,
            tail: std::sync::Arc::default(),
        }
    }
}

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Headers that describe one connection and must not be forwarded.
fn is_hop_by_hop(name: &HeaderName) -> bool {
    is_hop_by_hop_name(name.as_str())
}

/// Whether a header, named in any case, concerns one connection only.
pub(crate) fn is_hop_by_hop_name(name: &str) -> bool {
    // By length first: most headers are ruled out without a comparison.
    let candidates: &[&str] = match name.len() {
        2 => &["te"],
        7 => &["trailer", "upgrade"],
        10 => &["connection", "keep-alive"],
        16 => &["proxy-connection"],
        17 => &["transfer-encoding"],
        18 => &["proxy-authenticate"],
        19 => &["proxy-authorization"],
        _ => return false,
    };
    candidates.iter().any(|h| token_eq(name, h))
}

/// Whether the header name `name` (a token, as `httparse` and `HeaderName`
/// guarantee) is `lower` in any case. Among token characters only the
/// letters change under `| 0x20`, so the comparison is exact; it has no
/// early exit, so it compiles to a few wide operations.
pub(crate) fn token_eq(name: &str, lower: &str) -> bool {
    name.len() == lower.len()
        && name
            .bytes()
            .zip(lower.bytes())
            .fold(0u8, |differ, (a, b)| differ | ((a | 0x20) ^ b))
            == 0
}

/// The headers a `Connection` header names: they concern this hop only.
fn connection_named(headers: &HeaderMap) -> Vec<HeaderName> {
    headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|n| HeaderName::from_bytes(n.trim().as_bytes()).ok())
        .collect()
}

pub(crate) fn strip_hop_by_hop(headers: &mut HeaderMap) {
    // Most messages have none: find that out without allocating.
    if !headers.keys().any(is_hop_by_hop) {
        return;
    }
    for name in connection_named(headers) {
        headers.remove(name);
    }
    let hop: Vec<HeaderName> = headers
        .keys()
        .filter(|n| is_hop_by_hop(n))
        .cloned()
        .collect();
    for name in hop {
        headers.remove(name);
    }
}

pub async fn forward(
    client: &Client,
    upstream: &Upstream,
    route: &Route,
    inbound: Inbound,
) -> Result<Response<Body>, UpstreamError> {
    let answer = match upstream.mode {
        UpstreamMode::Http => {
            let call = std::pin::pin!(forward_http(client, upstream, route, inbound));
            crate::deadline::within(upstream.timeout, call).await
        }
        // Boxed, so the plain path's future (moved on every request) is
        // not as large as the lambda path's.
        UpstreamMode::LambdaProxy => {
            let mut call = Box::pin(invoke_lambda(client, upstream, route, inbound));
            crate::deadline::within(upstream.timeout, call.as_mut()).await
        }
    };
    answer.unwrap_or(Err(UpstreamError::Timeout))
}

async fn forward_http(
    client: &Client,
    upstream: &Upstream,
    route: &Route,
    inbound: Inbound,
) -> Result<Response<Body>, UpstreamError> {
    let Inbound {
        parts,
        body,
        params,
        peer,
        request_id,
    } = inbound;
    let prefix = upstream.url.path().trim_end_matches('/');
    // The common case, no rewrite: the request's own path and query.
    let rewritten;
    let target = match (&route.upstream_path, parts.uri.path_and_query()) {
        (None, Some(original)) if prefix.is_empty() => original.as_str(),
        _ => {
            let path = match &route.upstream_path {
                Some(target) => PathTemplate::fill(target, &params),
                None => parts.uri.path().to_string(),
            };
            rewritten = match parts.uri.query() {
                Some(q) => format!("{prefix}{path}?{q}"),
                None => format!("{prefix}{path}"),
            };
            rewritten.as_str()
        }
    };
    let authority = authority(upstream)?;
    let headers = &parts.headers;
    let named = connection_named(headers);
    // The head is written straight from the client's headers, leaving out
    // the hop-by-hop ones and those set here; no map is rebuilt.
    let mut head = HeadWriter::new(&parts.method, target, headers.len() + 5);
    let mut previous = None;
    let mut framed = false;
    for (name, value) in headers {
        if name == header::CONTENT_LENGTH {
            framed = true;
        } else if name == X_FORWARDED_FOR {
            previous = previous.or(Some(value.to_str().ok()));
        } else if !(name == header::HOST
            // The body was read whole: an `Expect: 100-continue` has been
            // answered already, and the body goes with its own length.
            || name == header::EXPECT
            || name == X_FORWARDED_PROTO
            || name == X_REQUEST_ID
            || is_hop_by_hop(name)
            || named.contains(name))
        {
            head.header(name.as_str().as_bytes(), &[value.as_bytes()]);
        }
    }
    head.header(b"host", &[authority.as_str().as_bytes()]);
    let ip = peer.forwarded.as_bytes();
    match previous.flatten() {
        // A chain the client (or a proxy before us) started, extended.
        Some(chain) => head.header(b"x-forwarded-for", &[chain.as_bytes(), b", ", ip]),
        None => head.header(b"x-forwarded-for", &[ip]),
    }
    head.header(b"x-forwarded-proto", &[b"http"]);
    head.header(b"x-request-id", &[request_id.as_bytes()]);
    if framed || !body.is_empty() || expects_body(&parts.method) {
        head.number(b"content-length", body.len() as u64);
    }
    let outgoing = Outgoing {
        head: head.finish(),
        method: parts.method,
        body,
    };
    // The client leaves the upstream hop's own headers out of the response.
    let mut response = client
        .send(authority, &outgoing)
        .await
        .map_err(UpstreamError::from)?;
    // The time limit bounds the head; a streamed body gets it for every
    // wait for more.
    response.body_mut().limit_stalls(upstream.timeout);
    Ok(response.map(Either::Right))
}

/// Where an upstream is (configuration checking guarantees it says).
fn authority(upstream: &Upstream) -> Result<&http::uri::Authority, UpstreamError> {
    upstream
        .url
        .authority()
        .ok_or_else(|| UpstreamError::Connect("no authority".into()))
}

/// Methods whose requests carry a body, even an empty one.
fn expects_body(method: &http::Method) -> bool {
    matches!(
        *method,
        http::Method::POST | http::Method::PUT | http::Method::PATCH
    )
}

impl From<ExchangeError> for UpstreamError {
    fn from(e: ExchangeError) -> UpstreamError {
        match e {
            ExchangeError::Io(text) => UpstreamError::Connect(text),
            ExchangeError::Malformed(text) => UpstreamError::Malformed(text),
        }
    }
}

/// API Gateway's REST (v1) proxy event for a request.
pub fn proxy_event(route: &Route, inbound: &Inbound) -> Value {
    let parts = &inbound.parts;
    let mut headers = Map::new();
    let mut multi_headers: Map<String, Value> = Map::new();
    for (name, value) in &parts.headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        headers.insert(name.as_str().to_string(), Value::from(value.clone()));
        match multi_headers.get_mut(name.as_str()) {
            Some(Value::Array(list)) => list.push(Value::from(value)),
            _ => {
                multi_headers.insert(name.as_str().to_string(), json!([value]));
            }
        }
    }
    let mut query = Map::new();
    let mut multi_query: Map<String, Value> = Map::new();
    for (name, value) in palisade_validate::query_pairs(parts.uri.query().unwrap_or("")) {
        query.insert(name.clone(), Value::from(value.clone()));
        match multi_query.get_mut(&name) {
            Some(Value::Array(list)) => list.push(Value::from(value)),
            _ => {
                multi_query.insert(name, json!([value]));
            }
        }
    }
    let path_parameters: Map<String, Value> = inbound
        .params
        .iter()
        .map(|(k, v)| (k.clone(), Value::from(v.clone())))
        .collect();
    let (body, base64) = match std::str::from_utf8(&inbound.body) {
        _ if inbound.body.is_empty() => (Value::Null, false),
        Ok(text) => (Value::from(text), false),
        Err(_) => (
            Value::from(base64::engine::general_purpose::STANDARD.encode(&inbound.body)),
            true,
        ),
    };
    let or_null = |map: Map<String, Value>| {
        if map.is_empty() {
            Value::Null
        } else {
            Value::Object(map)
        }
    };
    let now = chrono::Utc::now();
    json!({
        "resource": route.path.as_str(),
        "path": parts.uri.path(),
        "httpMethod": parts.method.as_str(),
        "headers": or_null(headers),
        "multiValueHeaders": or_null(multi_headers),
        "queryStringParameters": or_null(query),
        "multiValueQueryStringParameters": or_null(multi_query),
        "pathParameters": or_null(path_parameters),
        "stageVariables": null,
        "requestContext": {
            "resourcePath": route.path.as_str(),
            "httpMethod": parts.method.as_str(),
            "path": parts.uri.path(),
            "stage": "$default",
            "requestId": &*inbound.request_id,
            "requestTime": now.format("%d/%b/%Y:%H:%M:%S %z").to_string(),
            "requestTimeEpoch": now.timestamp_millis(),
            "protocol": format!("{:?}", parts.version),
            "identity": {
                "sourceIp": inbound.peer.address.ip().to_string(),
                "userAgent": parts.headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()),
            },
        },
        "body": body,
        "isBase64Encoded": base64,
    })
}

async fn invoke_lambda(
    client: &Client,
    upstream: &Upstream,
    route: &Route,
    inbound: Inbound,
) -> Result<Response<Body>, UpstreamError> {
    let event = Bytes::from(proxy_event(route, &inbound).to_string());
    let authority = authority(upstream)?;
    let mut headers = HeaderMap::new();
    if let Ok(host) = HeaderValue::from_str(authority.as_str()) {
        headers.insert(header::HOST, host);
    }
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(event.len()));
    let target = upstream.url.path_and_query().map_or("/", |p| p.as_str());
    let outgoing = Outgoing {
        head: crate::upstream::request_head(&http::Method::POST, target, &headers),
        method: http::Method::POST,
        body: event,
    };
    let response = client
        .send(authority, &outgoing)
        .await
        .map_err(UpstreamError::from)?;
    let status = response.status();
    let bytes = Limited::new(response.into_body(), MAX_LAMBDA_RESPONSE)
        .collect()
        .await
        .map_err(|e| UpstreamError::Malformed(e.to_string()))?
        .to_bytes();
    if !status.is_success() {
        return Err(UpstreamError::Malformed(format!(
            "the function endpoint answered {status}"
        )));
    }
    proxy_response(&bytes).map(|r| r.map(Either::Left))
}

/// Maps a function's proxy response (`statusCode`, `headers`,
/// `multiValueHeaders`, `body`, `isBase64Encoded`) to an HTTP response.
pub fn proxy_response(bytes: &[u8]) -> Result<Response<Full<Bytes>>, UpstreamError> {
    let malformed = |what: &str| UpstreamError::Malformed(what.to_string());
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| UpstreamError::Malformed(format!("not JSON: {e}")))?;
    let object = value
        .as_object()
        .ok_or_else(|| malformed("not a JSON object"))?;
    let status = object
        .get("statusCode")
        .and_then(|s| {
            s.as_u64()
                .or_else(|| s.as_str().and_then(|t| t.parse().ok()))
        })
        .and_then(|s| u16::try_from(s).ok())
        .and_then(|s| StatusCode::from_u16(s).ok())
        .ok_or_else(|| malformed("statusCode missing or not an HTTP status"))?;
    let mut response = Response::builder().status(status);
    let headers = response
        .headers_mut()
        .ok_or_else(|| malformed("response builder"))?;
    if let Some(map) = object.get("headers").and_then(Value::as_object) {
        for (name, value) in map {
            let value = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            if let (Ok(n), Ok(v)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(&value),
            ) {
                headers.insert(n, v);
            }
        }
    }
    if let Some(map) = object.get("multiValueHeaders").and_then(Value::as_object) {
        for (name, values) in map {
            let Ok(n) = HeaderName::from_bytes(name.as_bytes()) else {
                continue;
            };
            headers.remove(&n);
            for value in values.as_array().into_iter().flatten() {
                if let Some(Ok(v)) = value.as_str().map(HeaderValue::from_str) {
                    headers.append(n.clone(), v);
                }
            }
        }
    }
    strip_hop_by_hop(headers);
    headers.remove(header::CONTENT_LENGTH);
    let body = match object.get("body") {
        None | Some(Value::Null) => Bytes::new(),
        Some(Value::String(text)) => {
            if object.get("isBase64Encoded").and_then(Value::as_bool) == Some(true) {
                Bytes::from(
                    base64::engine::general_purpose::STANDARD
                        .decode(text)
                        .map_err(|_| malformed("body is not base64"))?,
                )
            } else {
                Bytes::from(text.clone())
            }
        }
        Some(_) => return Err(malformed("body is not a string")),
    };
    response
        .body(Full::new(body))
        .map_err(|e| UpstreamError::Malformed(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_by_hop_names_are_known_in_any_case() {
        for name in [
            "Connection",
            "KEEP-ALIVE",
            "proxy-connection",
            "Proxy-Authenticate",
            "proxy-authorization",
            "TE",
            "trailer",
            "Transfer-Encoding",
            "upgrade",
        ] {
            assert!(is_hop_by_hop_name(name), "{name}");
        }
        for name in [
            "host",
            "x-te",
            "",
            "trailers",
            "connections",
            "content-length",
        ] {
            assert!(!is_hop_by_hop_name(name), "{name}");
        }
    }

    #[test]
    fn proxy_responses_map_status_headers_and_base64_bodies() {
        let response = proxy_response(
            br#"{"statusCode": 201, "headers": {"x-a": "1"}, "multiValueHeaders": {"set-cookie": ["a=1", "b=2"]}, "body": "aGk=", "isBase64Encoded": true}"#,
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(response.status(), 201);
        assert_eq!(response.headers()["x-a"], "1");
        assert_eq!(response.headers().get_all("set-cookie").iter().count(), 2);
        for bad in [
            &b"[]"[..],
            br#"{"body": "x"}"#,
            br#"{"statusCode": 99}"#,
            b"nope",
        ] {
            assert!(proxy_response(bad).is_err());
        }
    }

    #[test]
    fn hop_by_hop_headers_and_those_named_by_connection_are_dropped() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "connection",
            HeaderValue::from_static("keep-alive, x-secret"),
        );
        headers.insert("x-secret", HeaderValue::from_static("1"));
        headers.insert("transfer-encoding", HeaderValue::from_static("chunked"));
        headers.insert("x-kept", HeaderValue::from_static("1"));
        strip_hop_by_hop(&mut headers);
        assert_eq!(headers.len(), 1);
        assert!(headers.contains_key("x-kept"));
    }
}
