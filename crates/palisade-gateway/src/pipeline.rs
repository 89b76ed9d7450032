//! One request, start to finish: route, read the body within its limits,
//! validate, forward; then count and log it.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Response, StatusCode};
use http_body_util::{BodyExt, Either, Full};
use hyper::body::Incoming;
use palisade_validate::{ErrorContext, Rejection, ResponseType, Violation, lookup, query_pairs};

use crate::budget::Held;
use crate::deadline::Entry;
use crate::gather::Gather;
use crate::metrics::Metrics;
use crate::proxy::{self, Body, Inbound, Peer};
use crate::request_id::RequestId;
use crate::route::Params;
use crate::server::{Level, Runtime, Shared};
use crate::sniff::Tail;
use crate::upstream::Client;
use crate::upstream::PendingLog;
use palisade_waf::Decision;
use serde_json::Value;

const X_AMZN_REQUESTID: header::HeaderName = header::HeaderName::from_static("x-amzn-requestid");

/// A request's view for the validator.
struct View<'a> {
    headers: &'a HeaderMap,
    query: Vec<(String, String)>,
    params: &'a Params,
    body: &'a [u8],
}

impl palisade_validate::Request for View<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    fn query(&self, name: &str) -> Option<&str> {
        lookup(&self.query, name)
    }
    fn path_parameter(&self, name: &str) -> Option<&str> {
        lookup(self.params, name)
    }
    fn body(&self) -> &[u8] {
        self.body
    }
}

/// A request the gateway answers itself.
struct Refusal {
    kind: ResponseType,
    message: String,
    violations: Vec<Violation>,
    detail: String,
}

impl Refusal {
    fn plain(kind: ResponseType) -> Refusal {
        Refusal {
            kind,
            message: kind.default_message().to_string(),
            violations: Vec::new(),
            detail: String::new(),
        }
    }
}

impl From<Rejection> for Refusal {
    fn from(rejection: Rejection) -> Refusal {
        Refusal {
            kind: rejection.response_type(),
            message: rejection.message(),
            detail: rejection.validation_error_string(),
            violations: rejection.violations(),
        }
    }
}

/// What the log and the metrics need once a request is answered.
struct Outcome {
    route: Option<usize>,
    refused: Option<ResponseType>,
    upstream_error: Option<String>,
    bytes_in: usize,
    /// The web ACL's verdict, for the access log.
    waf: Option<Value>,
}

struct InFlight<'a>(&'a Metrics);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.leave();
    }
}

pub(crate) async fn handle(
    request: http::Request<Incoming>,
    shared: Arc<Shared>,
    client: Client,
    peer: Peer,
    idle: Option<Arc<Entry>>,
) -> Result<Response<Body>, Infallible> {
    let started = Instant::now();
    // HTTP/2 streams share their connection: its deadline covers only the
    // wait for the first request.
    let idle = idle.filter(|_| request.version() < http::Version::HTTP_2);
    if let Some(idle) = &idle {
        idle.disarm();
    }
    shared.metrics.enter();
    let _in_flight = InFlight(&shared.metrics);
    let runtime = shared.current();
    let request_id = crate::request_id::next();
    let logged = shared.log.enabled().then(|| {
        (
            request.method().to_string(),
            request.uri().path().to_string(),
            request
                .headers()
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
        )
    });
    let mut outcome = Outcome {
        route: None,
        refused: None,
        upstream_error: None,
        bytes_in: 0,
        waf: None,
    };
    let client_address = peer.address;
    // Boxed: the pipeline's future is kilobytes, and hyper moves the
    // future `handle` returns more than once; a pointer is cheaper to move.
    let result = Box::pin(pipeline(
        &shared,
        &client,
        &runtime,
        request,
        peer,
        request_id,
        &mut outcome,
    ))
    .await;
    let mut response = match result {
        Ok(response) => response,
        Err(refusal) => {
            outcome.refused = Some(refusal.kind);
            refuse(&runtime, &refusal, &request_id)
        }
    };
    if let Ok(v) = HeaderValue::from_bytes(request_id.as_bytes()) {
        response.headers_mut().insert(X_AMZN_REQUESTID, v);
    }
    // The wait for the next request head starts once this response is out:
    // a streamed body starts it when it ends.
    if let Some(idle) = idle {
        match response.body_mut() {
            Either::Left(_) => idle.arm(runtime.config.limits.header_read_timeout),
            Either::Right(streamed) => {
                streamed.arm_when_done(idle, runtime.config.limits.header_read_timeout);
            }
        }
    }
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    let metrics = outcome
        .route
        .and_then(|i| runtime.route_metrics.get(i))
        .unwrap_or(&runtime.unmatched);
    metrics.observe(status, outcome.refused, elapsed);
    if let Some((method, path, agent)) = logged {
        let route = outcome.route.map(|i| runtime.config.route(i).name.as_str());
        let line = serde_json::json!({
            "time": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "request_id": &*request_id,
            "client": client_address.ip().to_string(),
            "method": method,
            "path": path,
            "route": route,
            "status": status,
            "reason": outcome.refused.map(ResponseType::name),
            "upstream_error": outcome.upstream_error,
            "bytes_in": outcome.bytes_in,
            // Known when the response declares it (streamed upstream bodies may not).
            "bytes_out": response
                .headers()
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok())
                .or_else(|| hyper::body::Body::size_hint(response.body()).exact()),
            "duration_ms": (elapsed.as_micros() as f64) / 1000.0,
            "user_agent": agent,
            "waf": outcome.waf,
            "complete": true,
        });
        match response.body_mut() {
            // Still streaming: the line is written when the body is done,
            // with the bytes really sent and whether it was cut off.
            Either::Right(streamed) if streamed.streaming() => {
                streamed.log_when_done(PendingLog::new(shared.log.clone(), line));
            }
            _ => shared.log.line(line.to_string()),
        }
    }
    Ok(response)
}

/// 501 for a request using what the gateway does not implement (not one
/// of API Gateway's response types: API Gateway has no such answer).
fn not_implemented(what: &str) -> Response<Body> {
    let body = serde_json::json!({ "message": format!("Not Implemented: {what}") }).to_string();
    let mut response = Response::new(Either::Left(Full::new(Bytes::from(body))));
    *response.status_mut() = StatusCode::NOT_IMPLEMENTED;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// A Block action's custom response, as the web ACL defines it.
fn custom_response(custom: palisade_waf::Response) -> Response<Body> {
    let body = custom.body.unwrap_or_default();
    let mut response = Response::new(Either::Left(Full::new(Bytes::from(body))));
    *response.status_mut() = StatusCode::from_u16(custom.status).unwrap_or(StatusCode::FORBIDDEN);
    if let Some(kind) = custom
        .content_type
        .and_then(|t| HeaderValue::from_str(&t).ok())
    {
        response.headers_mut().insert(header::CONTENT_TYPE, kind);
    }
    set_headers(response.headers_mut(), custom.headers);
    response
}

/// Adds configured headers, skipping any that is not a valid header (the
/// configuration was checked; a value from elsewhere may not be).
fn set_headers(headers: &mut HeaderMap, pairs: Vec<(String, String)>) {
    for (name, value) in pairs {
        if let (Ok(n), Ok(v)) = (
            header::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            headers.insert(n, v);
        }
    }
}

fn refuse(runtime: &Runtime, refusal: &Refusal, request_id: &str) -> Response<Body> {
    let rendered = runtime.config.responses.render(
        refusal.kind,
        &ErrorContext {
            message: &refusal.message,
            violations: &refusal.violations,
            validation_error_string: &refusal.detail,
            request_id,
        },
    );
    let mut response = Response::new(Either::Left(Full::new(Bytes::from(rendered.body))));
    *response.status_mut() =
        StatusCode::from_u16(rendered.status).unwrap_or(StatusCode::BAD_REQUEST);
    set_headers(response.headers_mut(), rendered.headers);
    response
}

/// The whole request body, up to `limit` bytes. A body that comes in one
/// frame (most do) is kept as that frame, with none of the queueing and
/// copying `collect` does; trailers are not kept.
/// Reads a body of at most `limit` bytes whole, taking each frame's bytes
/// from the shared budget through `held` (at most `cap` in all);
/// `declared` is the length announced.
async fn read_body(
    mut body: Incoming,
    limit: usize,
    declared: Option<u64>,
    chunks: Option<&Tail>,
    held: &mut Held<'_>,
    cap: usize,
) -> Result<Bytes, Refusal> {
    let mut gathered = Gather::new(limit, declared);
    let too_large = || chunks.is_some_and(|t| t.chunk_exceeds(limit as u64));
    if too_large() {
        return Err(Refusal::plain(ResponseType::RequestTooLarge));
    }
    while let Some(frame) = body.frame().await {
        if too_large() {
            return Err(Refusal::plain(ResponseType::RequestTooLarge));
        }
        let frame = frame.map_err(|_| Refusal::plain(ResponseType::Default4xx))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        if gathered.len().saturating_add(data.len()) > limit {
            return Err(Refusal::plain(ResponseType::RequestTooLarge));
        }
        if !held.grow(data.len(), cap) {
            return Err(Refusal::plain(ResponseType::Throttled));
        }
        // Only a mapping the system refused fails here.
        if gathered.push(data).is_err() {
            return Err(Refusal::plain(ResponseType::Throttled));
        }
    }
    Ok(gathered.finish())
}

async fn pipeline(
    shared: &Shared,
    client: &Client,
    runtime: &Runtime,
    request: http::Request<Incoming>,
    peer: Peer,
    request_id: RequestId,
    outcome: &mut Outcome,
) -> Result<Response<Body>, Refusal> {
    let config = &runtime.config;
    // RFC 9112 3.2: an HTTP/1.1 request names its host exactly once. (An
    // HTTP/2 request names it as :authority; HTTP/1.0 may leave it out.)
    if request.version() == http::Version::HTTP_11
        && request.headers().get_all(header::HOST).iter().count() != 1
    {
        return Err(Refusal::plain(ResponseType::Default4xx));
    }
    // Routed first (no I/O); an unknown path is refused before its body is
    // read, unless a web ACL is to judge the request before routing.
    let found = runtime
        .router
        .find(&config.routes, request.method(), request.uri().path());
    if found.is_none() && config.waf.is_none() {
        return Err(Refusal::plain(ResponseType::ResourceNotFound));
    }
    let limit = config.limits.max_body_bytes;
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(Refusal::plain(ResponseType::RequestTooLarge));
    }
    let (parts, body) = request.into_parts();
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let cap = usize::try_from(config.limits.max_buffered_bytes).unwrap_or(usize::MAX);
    // Given back when the request is done (its body forwarded or refused).
    let mut held = shared.metrics.buffered.hold();
    // A body without a length is chunked (over HTTP/1.1): only then are
    // its codings looked at. A chunk's size is read from the bytes
    // themselves, so a chunk announced past the limit is refused at once,
    // not waited for; a coding besides chunked (`gzip, chunked`) would be
    // lost (the body goes on with a length and no coding), and nothing
    // here decodes one, so the request is not taken (501, as nginx does).
    let chunked = declared.is_none()
        && !hyper::body::Body::is_end_stream(&body)
        && parts.version == http::Version::HTTP_11;
    if chunked
        && parts
            .headers
            .get_all(header::TRANSFER_ENCODING)
            .iter()
            .flat_map(|v| v.as_bytes().split(|&b| b == b','))
            .any(|coding| !coding.trim_ascii().eq_ignore_ascii_case(b"chunked"))
    {
        return Ok(not_implemented("a transfer coding other than chunked"));
    }
    let tail = peer.tail.clone();
    let chunks = chunked.then_some(&*tail);
    let reading = std::pin::pin!(read_body(body, limit, declared, chunks, &mut held, cap));
    let body = match crate::deadline::within(config.limits.body_read_timeout, reading).await {
        Err(_) => return Err(Refusal::plain(ResponseType::RequestTimeout)),
        Ok(read) => read?,
    };
    outcome.bytes_in = body.len();
    let mut parts = parts;
    if let Some(waf) = &config.waf {
        let method = parts.method.as_str();
        let mut lossy = Vec::new();
        let inspected = crate::waf::request(
            method,
            &parts.uri,
            &parts.headers,
            &body,
            peer.address.ip(),
            &mut lossy,
        );
        let verdict = waf.evaluate(&inspected).await;
        waf.record(&verdict, &inspected, &request_id);
        if shared.waf_log.enabled() {
            let context = palisade_waf::log::LogContext {
                timestamp_ms: u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(0),
                http_version: match parts.version {
                    http::Version::HTTP_10 => "HTTP/1.0",
                    http::Version::HTTP_2 => "HTTP/2.0",
                    _ => "HTTP/1.1",
                },
                request_id: &request_id,
                source_name: "APIGW",
                source_id: "-",
                country: None,
                body_size: Some(body.len() as u64),
            };
            let record = waf.evaluator.aws_log(&verdict, &inspected, &context);
            shared.waf_log.line(record.to_string());
        }
        if let Some((down, message)) = waf.stats.store_state(verdict.store_error.as_deref()) {
            shared.event(if down { Level::Warn } else { Level::Info }, message);
        }
        outcome.waf = shared.log.enabled().then(|| serde_json::json!({
            "action": if matches!(verdict.decision, Decision::Allow) { "ALLOW" } else { "BLOCK" },
            "terminating_rule": verdict.terminating_rule,
            "labels": verdict.labels,
            "counted": verdict.counted,
            "note": verdict.note,
        }));
        drop(inspected);
        match verdict.decision {
            Decision::Block(None) => return Err(Refusal::plain(ResponseType::WafFiltered)),
            Decision::Block(Some(custom)) => {
                outcome.refused = Some(ResponseType::WafFiltered);
                return Ok(custom_response(custom));
            }
            Decision::Allow if !verdict.inserted_headers.is_empty() => {
                // The client's hop-by-hop headers go first: a `Connection`
                // header naming an inserted header must not strip it.
                proxy::strip_hop_by_hop(&mut parts.headers);
                set_headers(&mut parts.headers, verdict.inserted_headers);
            }
            Decision::Allow => {}
        }
    }
    let Some((index, params)) = found else {
        return Err(Refusal::plain(ResponseType::ResourceNotFound));
    };
    outcome.route = Some(index);
    let route = config.route(index);
    let rules = &route.rules;
    if rules.validator.body || rules.validator.parameters {
        let view = View {
            headers: &parts.headers,
            query: if rules.validator.parameters {
                query_pairs(parts.uri.query().unwrap_or(""))
            } else {
                Vec::new()
            },
            params: &params,
            body: &body,
        };
        rules.check_with(&view, runtime.detail)?;
    }
    let upstream = &config.upstreams[route.upstream];
    let inbound = Inbound {
        parts,
        body,
        params,
        peer,
        request_id,
    };
    match proxy::forward(client, upstream, route, inbound).await {
        Ok(response) => Ok(response),
        Err(e) => {
            shared.metrics.upstream_error(&upstream.name, e.kind());
            let kind = match e {
                proxy::UpstreamError::Timeout => ResponseType::IntegrationTimeout,
                _ => ResponseType::IntegrationFailure,
            };
            outcome.upstream_error = Some(format!("{e:?}"));
            Err(Refusal::plain(kind))
        }
    }
}
