//! The gateway over loopback: validators, limits, hostile HTTP, upstream
//! modes and failures.

mod common;

use std::time::{Duration, Instant};

use common::{Setup, Upstream, post_json, raw, send};
use palisade_gateway::Running;

const CONFIG: &str = r#"
listen: 127.0.0.1:0
admin: 127.0.0.1:0
upstreams:
  backend: { url: "${UPSTREAM}" }
  function: { url: "${UPSTREAM}/lambda/2015-03-31/functions/function/invocations", mode: lambda-proxy }
  slow: { url: "${UPSTREAM}", timeout_ms: 300 }
  down: { url: "http://127.0.0.1:9" }
models:
  Item: models/item.json
  Text: models/text.json
  Redos: models/redos.json
validators:
  body-only: { validateRequestBody: true, validateRequestParameters: false }
  params-only: { validateRequestBody: false, validateRequestParameters: true }
  all: { validateRequestBody: true, validateRequestParameters: true }
routes:
  - { method: POST, path: /items, upstream: backend, validator: body-only, model: Item }
  - method: GET
    path: /items
    upstream: backend
    validator: params-only
    parameters: { querystring: [page], header: [x-api-key] }
  - method: PUT
    path: /items/{id}
    upstream: backend
    validator: all
    model: Item
    parameters:
      header: [x-api-key]
      querystring: [{ name: version, required: false, type: integer }]
  - method: POST
    path: /typed
    upstream: backend
    validator: body-only
    model: { "application/json": Item, "text/plain": Text }
  - { method: POST, path: /redos, upstream: backend, validator: body-only, model: Redos }
  - { method: ANY, path: "/fn/{proxy+}", upstream: function }
  - { method: GET, path: /slow, upstream: slow }
  - { method: GET, path: /down, upstream: down }
limits: { max_body_bytes: 4096, header_read_timeout_ms: 500, body_read_timeout_ms: 400, max_header_bytes: 16384 }
access_log: access.log
"#;

const ITEM: &str = r#"{"type": "object", "required": ["name"], "properties": {"name": {"type": "string", "maxLength": 20}}}"#;

async fn gateway() -> (Setup, Upstream, Running) {
    let upstream = Upstream::start().await;
    let setup = Setup::new(
        CONFIG,
        &[
            ("models/item.json", ITEM),
            ("models/text.json", r#"{"type": "string"}"#),
            (
                "models/redos.json",
                r#"{"properties": {"name": {"type": "string", "pattern": "^(a+)+$"}}}"#,
            ),
        ],
    )
    .var("UPSTREAM", &upstream.url());
    let running = setup.start().await;
    (setup, upstream, running)
}

/// What the tests of `one_route` gateways send.
const GET_X: &[u8] = b"GET /x HTTP/1.1\r\nHost: t\r\n\r\n";

/// A gateway with one route, `GET /x`, to an upstream with the given
/// fields (a YAML flow mapping's inside), and `extra` configuration lines.
fn one_route(upstream: &str, extra: &str) -> Setup {
    let config = format!(
        "listen: 127.0.0.1:0\nupstreams: {{ u: {{ {upstream} }} }}\nroutes:\n  - {{ method: GET, path: /x, upstream: u }}\n{extra}access_log: \"off\"\n"
    );
    Setup::new(&config, &[])
}

#[tokio::test]
async fn a_body_validator_forwards_valid_bodies_and_refuses_invalid_ones_before_the_upstream() {
    let (_setup, upstream, running) = gateway().await;
    let ok = post_json(running.address, "/items?x=1", r#"{"name": "lamp"}"#).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.body, r#"{"stored": true}"#);
    assert_eq!(ok.headers["x-upstream"], "yes");
    let bad = post_json(running.address, "/items", r#"{"name": 7}"#).await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.body, r#"{"message": "Invalid request body"}"#);
    assert_eq!(bad.headers["x-amzn-errortype"], "BadRequestException");
    assert_eq!(bad.headers["content-type"], "application/json");
    let seen = upstream.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].target, "/items?x=1");
    assert_eq!(seen[0].body.as_ref(), br#"{"name": "lamp"}"#);
    assert_eq!(seen[0].headers["x-forwarded-for"], "127.0.0.1");
    assert_eq!(seen[0].headers["x-forwarded-proto"], "http");
    assert_eq!(
        seen[0].headers["x-request-id"],
        ok.headers["x-amzn-requestid"]
    );
    assert_eq!(seen[0].headers["host"], upstream.address.to_string());
}

#[tokio::test]
async fn a_parameters_validator_names_every_missing_parameter() {
    let (_setup, upstream, running) = gateway().await;
    let reply = send(running.address, "GET", "/items", &[], "")
        .await
        .expect("send");
    assert_eq!(reply.status, 400);
    assert_eq!(
        reply.body,
        r#"{"message": "Missing required request parameters: [page, x-api-key]"}"#
    );
    assert_eq!(reply.headers["x-amzn-errortype"], "BadRequestException");
    let blank = send(
        running.address,
        "GET",
        "/items?page=2",
        &[("x-api-key", " ")],
        "",
    )
    .await;
    assert_eq!(
        blank.expect("send").body,
        r#"{"message": "Missing required request parameters: [x-api-key]"}"#
    );
    let fine = send(
        running.address,
        "GET",
        "/items?page=2",
        &[("x-api-key", "k")],
        "",
    )
    .await;
    assert_eq!(fine.expect("send").status, 200);
    assert_eq!(upstream.seen().len(), 1);
}

#[tokio::test]
async fn a_full_validator_checks_parameters_then_the_body() {
    let (_setup, upstream, running) = gateway().await;
    let json = ("content-type", "application/json");
    let key = ("x-api-key", "k");
    let no_key = send(
        running.address,
        "PUT",
        "/items/1",
        &[json],
        r#"{"name": 1}"#,
    )
    .await;
    assert_eq!(
        no_key.expect("send").body,
        r#"{"message": "Missing required request parameters: [x-api-key]"}"#
    );
    let bad_body = send(
        running.address,
        "PUT",
        "/items/1",
        &[json, key],
        r#"{"name": 1}"#,
    )
    .await;
    assert_eq!(
        bad_body.expect("send").body,
        r#"{"message": "Invalid request body"}"#
    );
    let bad_type = send(
        running.address,
        "PUT",
        "/items/1?version=two",
        &[json, key],
        r#"{"name": "a"}"#,
    )
    .await;
    let bad_type = bad_type.expect("send");
    assert_eq!(bad_type.status, 400);
    assert_eq!(
        bad_type.body,
        r#"{"message": "Invalid request parameters"}"#
    );
    let ok = send(
        running.address,
        "PUT",
        "/items/1?version=2",
        &[json, key],
        r#"{"name": "a"}"#,
    )
    .await;
    assert_eq!(ok.expect("send").status, 200);
    assert_eq!(upstream.seen().len(), 1);
}

#[tokio::test]
async fn models_are_chosen_by_content_type_and_a_type_without_one_gets_415() {
    let (_setup, upstream, running) = gateway().await;
    let plain = [("content-type", "text/plain")];
    let dodge = send(running.address, "POST", "/items", &plain, r#"{"name": 7}"#)
        .await
        .expect("send");
    assert_eq!(dodge.status, 415);
    assert_eq!(dodge.body, r#"{"message": "Unsupported Media Type"}"#);
    let text = send(running.address, "POST", "/typed", &plain, "hello")
        .await
        .expect("send");
    assert_eq!(text.status, 400, "not JSON, so not a JSON string");
    let text = send(running.address, "POST", "/typed", &plain, r#""hello""#)
        .await
        .expect("send");
    assert_eq!(text.status, 200);
    assert_eq!(upstream.seen().len(), 1);
}

#[tokio::test]
async fn bodies_over_the_limit_get_413_whether_declared_or_streamed() {
    let (_setup, upstream, running) = gateway().await;
    let big = format!(r#"{{"name": "{}"}}"#, "x".repeat(5000));
    let declared = post_json(running.address, "/items", &big).await;
    assert_eq!(declared.status, 413);
    assert_eq!(declared.body, r#"{"message": "Request Too Long"}"#);
    // Chunked, so no Content-Length tells the size in advance.
    let chunk = "x".repeat(3000);
    let request = format!(
        "POST /items HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{chunk}\r\n{:x}\r\n{chunk}\r\n0\r\n\r\n",
        chunk.len(),
        chunk.len()
    );
    let reply = raw(running.address, request.as_bytes(), Duration::from_secs(5)).await;
    assert!(reply.starts_with("HTTP/1.1 413"), "{reply}");
    assert!(upstream.seen().is_empty());
}

#[tokio::test]
async fn forwarded_requests_carry_the_gateways_own_hop_headers_and_the_clients_others() {
    let (_setup, upstream, running) = gateway().await;
    let body = r#"{"name": "lamp"}"#;
    let request = format!(
        "POST /items HTTP/1.1\r\nHost: client.example\r\nContent-Type: application/json\r\n\
         X-Forwarded-For: 10.0.0.1, 10.0.0.2\r\nX-Forwarded-Proto: https\r\nX-Request-Id: spoofed\r\n\
         Expect: 100-continue\r\nConnection: close, X-Secret\r\nX-Secret: 1\r\nKeep-Alive: 5\r\n\
         X-Kept: a\r\nX-Kept: b\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let reply = raw(running.address, request.as_bytes(), Duration::from_secs(5)).await;
    // The expectation is answered by the gateway, before the body is read.
    assert!(
        reply.starts_with("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200"),
        "{reply}"
    );
    let seen = upstream.seen();
    assert_eq!(seen.len(), 1);
    let headers = &seen[0].headers;
    let all = |name: &str| -> Vec<&str> {
        headers
            .get_all(name)
            .iter()
            .map(|v| v.to_str().expect("text"))
            .collect()
    };
    assert_eq!(all("x-forwarded-for"), ["10.0.0.1, 10.0.0.2, 127.0.0.1"]);
    assert_eq!(all("x-forwarded-proto"), ["http"]);
    assert_eq!(all("host"), [upstream.address.to_string().as_str()]);
    assert_eq!(all("content-length"), [body.len().to_string().as_str()]);
    assert_eq!(all("x-kept"), ["a", "b"]);
    assert_eq!(all("content-type"), ["application/json"]);
    let id = all("x-request-id");
    assert_eq!(id.len(), 1);
    assert_eq!(id[0].len(), 36);
    assert!(
        reply
            .to_ascii_lowercase()
            .contains(&format!("x-amzn-requestid: {}", id[0]))
    );
    for gone in ["expect", "connection", "x-secret", "keep-alive"] {
        assert!(!headers.contains_key(gone), "{gone} was forwarded");
    }
    assert_eq!(seen[0].body.as_ref(), body.as_bytes());
}

#[tokio::test]
async fn hostile_bodies_are_invalid_bodies_not_crashes() {
    let (_setup, upstream, running) = gateway().await;
    let deep = "[".repeat(100_000);
    let limits_raised = Setup::new(
        &CONFIG.replace("max_body_bytes: 4096", "max_body_bytes: 1048576"),
        &[
            ("models/item.json", ITEM),
            ("models/text.json", "{}"),
            ("models/redos.json", "{}"),
        ],
    )
    .var("UPSTREAM", &upstream.url());
    let roomy = limits_raised.start().await;
    let reply = post_json(roomy.address, "/items", &deep).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.body, r#"{"message": "Invalid request body"}"#);
    let invalid_utf8 = send(
        running.address,
        "POST",
        "/items",
        &[("content-type", "application/json")],
        &b"{\"name\": \"\xff\xfe\"}"[..],
    )
    .await
    .expect("send");
    assert_eq!(invalid_utf8.status, 400);
    // A pattern that backtracking engines take exponential time on.
    let hostile = format!(r#"{{"name": "{}!"}}"#, "a".repeat(4000));
    let started = Instant::now();
    let redos = post_json(running.address, "/redos", &hostile).await;
    assert_eq!(redos.status, 400);
    assert!(started.elapsed() < Duration::from_secs(30));
    assert!(upstream.seen().is_empty());
    roomy.shutdown().await;
}

#[tokio::test]
async fn a_lambda_proxy_upstream_gets_the_rest_proxy_event_and_its_answer_is_mapped_back() {
    let (_setup, upstream, running) = gateway().await;
    let reply = send(
        running.address,
        "POST",
        "/fn/orders/42?expand=true",
        &[("content-type", "application/json")],
        r#"{"qty": 2}"#,
    )
    .await
    .expect("send");
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(reply.headers["x-function"], "echo");
    assert_eq!(reply.headers.get_all("set-cookie").iter().count(), 2);
    let echo = reply.json();
    assert_eq!(echo["httpMethod"], "POST");
    assert_eq!(echo["path"], "/fn/orders/42");
    assert_eq!(echo["resource"], "/fn/{proxy+}");
    assert_eq!(echo["pathParameters"]["proxy"], "orders/42");
    assert_eq!(echo["query"]["expand"], "true");
    assert_eq!(echo["body"], r#"{"qty": 2}"#);
    assert_eq!(
        echo["requestId"],
        reply.headers["x-amzn-requestid"].to_str().unwrap_or("")
    );
    let seen = upstream.seen();
    assert_eq!(seen[0].method, "POST");
    assert_eq!(
        seen[0].target,
        "/lambda/2015-03-31/functions/function/invocations"
    );
}

#[tokio::test]
async fn upstream_failures_are_502_and_timeouts_504() {
    let (_setup, _upstream, running) = gateway().await;
    let slow = send(
        running.address,
        "GET",
        "/slow",
        &[("x-delay-ms", "2000")],
        "",
    )
    .await
    .expect("send");
    assert_eq!(slow.status, 504);
    assert_eq!(slow.body, r#"{"message": "Endpoint request timed out"}"#);
    let down = send(running.address, "GET", "/down", &[], "")
        .await
        .expect("send");
    assert_eq!(down.status, 502);
    assert_eq!(down.body, r#"{"message": "Internal server error"}"#);
    let nowhere = send(running.address, "GET", "/nowhere", &[], "")
        .await
        .expect("send");
    assert_eq!(nowhere.status, 404);
    assert_eq!(nowhere.body, r#"{"message": "Not Found"}"#);
    let wrong_method = send(running.address, "DELETE", "/items", &[], "")
        .await
        .expect("send");
    assert_eq!(wrong_method.status, 404);
}

#[tokio::test]
async fn a_slow_header_sender_is_cut_off() {
    let (_setup, _upstream, running) = gateway().await;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream =
        common::connect_with(running.address, b"GET /items HTTP/1.1\r\nHost: t\r\n").await;
    let started = Instant::now();
    let mut closed = false;
    // Trickle a header byte every 100 ms, as slowloris does, for up to 5 s.
    for _ in 0..50 {
        if stream.write_all(b"X").await.is_err() {
            closed = true;
            break;
        }
        let mut buf = [0u8; 256];
        match tokio::time::timeout(Duration::from_millis(100), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => {
                closed = true;
                break;
            }
            Ok(Ok(_)) => {
                // A 408 answer is fine too; the close follows.
            }
            Err(_) => {}
        }
    }
    assert!(
        closed,
        "the connection was still open after {:?}",
        started.elapsed()
    );
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_body_sent_in_chunks_is_validated_and_forwarded_whole() {
    use tokio::io::AsyncWriteExt;
    let (_setup, upstream, running) = gateway().await;
    let mut stream = common::connect_with(
        running.address,
        b"POST /items HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
    )
    .await;
    // Three chunks, each written (and so read) on its own.
    for chunk in [&b"{\"na"[..], b"me\": \"Uni", b"corn\"}"] {
        tokio::time::sleep(Duration::from_millis(30)).await;
        let framed = [format!("{:x}\r\n", chunk.len()).as_bytes(), chunk, b"\r\n"].concat();
        stream.write_all(&framed).await.expect("write");
    }
    stream.write_all(b"0\r\n\r\n").await.expect("write");
    let reply = common::read_until(&mut stream, "stored").await;
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    let seen = upstream.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].body.as_ref(), br#"{"name": "Unicorn"}"#);
}

#[tokio::test]
async fn a_body_that_stops_arriving_gets_408() {
    let (_setup, upstream, running) = gateway().await;
    let started = Instant::now();
    // 100 bytes announced, 7 sent, and the connection left open.
    let reply = raw(
        running.address,
        b"POST /items HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"name\"",
        Duration::from_secs(5),
    )
    .await;
    let took = started.elapsed();
    assert!(reply.starts_with("HTTP/1.1 408"), "{reply}");
    assert!(took >= Duration::from_millis(400), "{took:?}");
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert!(upstream.seen().is_empty());
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_header_timeout() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (_setup, _upstream, running) = gateway().await;
    let mut stream = tokio::net::TcpStream::connect(running.address)
        .await
        .expect("connect");
    // Two requests in turn on the one connection, each answered.
    for _ in 0..2 {
        stream
            .write_all(b"GET /nowhere HTTP/1.1\r\nHost: t\r\n\r\n")
            .await
            .expect("write");
        let reply = common::read_until(&mut stream, "Not Found").await;
        assert!(reply.starts_with("HTTP/1.1 404"), "{reply}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Then nothing: the gateway closes it, 500 ms after the last answer.
    let mut buf = [0u8; 1024];
    let idle = Instant::now();
    let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf))
        .await
        .expect("closed within 5 s")
        .unwrap_or(0);
    assert_eq!(n, 0);
    let waited = idle.elapsed() + Duration::from_millis(200);
    assert!(waited >= Duration::from_millis(500), "{waited:?}");
    assert!(waited < Duration::from_secs(3), "{waited:?}");
}

#[tokio::test]
async fn a_response_streamed_for_longer_than_the_header_timeout_is_not_cut() {
    use tokio::io::AsyncWriteExt;
    // An upstream that sends its body in six chunks 200 ms apart: longer
    // in all than the header timeout (300 ms) and than the upstream's own
    // (500 ms), which bounds each wait for more, not the whole body.
    let address = common::raw_upstream(|mut stream| async move {
        let _ = stream
            .write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            .await;
        for i in 0..6 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let _ = stream.write_all(format!("1\r\n{i}\r\n").as_bytes()).await;
        }
        let _ = stream.write_all(b"0\r\n\r\n").await;
    })
    .await;
    let setup = one_route(
        &format!("url: \"http://{address}\", timeout_ms: 500"),
        "limits: { header_read_timeout_ms: 300 }\n",
    );
    let running = setup.start().await;
    let mut client = common::KeepAlive::open(running.address).await;
    for _ in 0..2 {
        let (response, body) = client.get("/x").await;
        assert_eq!(response.status, 200);
        assert_eq!(body.as_ref(), b"012345");
    }
}

#[tokio::test]
async fn a_streamed_response_the_upstream_stops_sending_is_cut_off_after_its_timeout() {
    use tokio::io::AsyncWriteExt;
    // 100,000 bytes announced (more than is read ahead), 70,000 sent, then
    // nothing, the connection held open.
    let address = common::raw_upstream(|mut stream| async move {
        let _ = stream
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
            .await;
        let _ = stream.write_all(&[b'x'; 70_000]).await;
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await;
    let config = format!(
        "listen: 127.0.0.1:0\nupstreams: {{ u: {{ url: \"http://{address}\", timeout_ms: 600 }} }}\nroutes:\n  - {{ method: GET, path: /x, upstream: u }}\naccess_log: access.log\n"
    );
    let setup = Setup::new(&config, &[]);
    let running = setup.start().await;
    let mut stream = common::connect_with(running.address, GET_X).await;
    let started = Instant::now();
    let received = common::body_length(&mut stream, 100_000, Duration::ZERO).await;
    let waited = started.elapsed();
    assert_eq!(received, 70_000, "what the upstream sent, and no more");
    assert!(waited >= Duration::from_millis(500), "{waited:?}");
    assert!(waited < Duration::from_secs(3), "{waited:?}");
    // The access log says what was sent, and that it was cut off: not a
    // whole 200 of the announced length.
    let line = wait_for_log_line(&setup.path("access.log")).await;
    assert_eq!(line["status"], 200, "{line}");
    assert_eq!(line["bytes_out"], 70_000, "{line}");
    assert_eq!(line["complete"], false, "{line}");
    assert!(
        line["cut"]
            .as_str()
            .unwrap_or("")
            .contains("sent nothing more"),
        "{line}"
    );
}

/// The first line of an access log, once it is written.
async fn wait_for_log_line(path: &std::path::Path) -> serde_json::Value {
    for _ in 0..100 {
        if let Some(first) = std::fs::read_to_string(path)
            .ok()
            .and_then(|t| t.lines().next().map(str::to_string))
        {
            return serde_json::from_str(&first).unwrap_or_else(|e| panic!("{e}: {first}"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no access log line in {}", path.display());
}

#[tokio::test]
async fn a_client_reading_a_large_response_slowly_gets_all_of_it() {
    use tokio::io::AsyncWriteExt;
    const SIZE: usize = 6_000_000;
    // A Lambda function's answer: the gateway holds the body whole and
    // hands it to hyper in one piece.
    let address = common::raw_upstream(|mut stream| async move {
        let answer = format!(
            "{{\"statusCode\": 200, \"body\": \"{}\"}}",
            "x".repeat(SIZE)
        );
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            answer.len()
        );
        let _ = stream.write_all(head.as_bytes()).await;
        let _ = stream.write_all(answer.as_bytes()).await;
    })
    .await;
    // The idle limit (300 ms) is far shorter than the client takes to read
    // the response: it must not cut the response while the client is
    // still taking it.
    let setup = one_route(
        &format!("url: \"http://{address}/invocations\", mode: lambda-proxy"),
        "limits: { header_read_timeout_ms: 300 }\n",
    );
    let running = setup.start().await;
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(32 * 1024).expect("buffer size");
    let mut stream = socket.connect(running.address).await.expect("connect");
    stream.write_all(GET_X).await.expect("write");
    let started = Instant::now();
    // 32 KiB reads 10 ms apart, about 3 MB/s: two seconds for the whole.
    let received = common::body_length(&mut stream, SIZE, Duration::from_millis(10)).await;
    assert_eq!(received, SIZE, "cut off after {:?}", started.elapsed());
}

#[tokio::test]
async fn malformed_http_is_refused_and_the_gateway_keeps_serving() {
    let (_setup, upstream, running) = gateway().await;
    let wait = Duration::from_secs(5);
    let bad_chunk = b"POST /items HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nabc\r\n0\r\n\r\n";
    let reply = raw(running.address, bad_chunk, wait).await;
    assert!(reply.starts_with("HTTP/1.1 400"), "{reply}");
    let huge_header = format!(
        "GET /items HTTP/1.1\r\nHost: t\r\nX-Big: {}\r\n\r\n",
        "a".repeat(40_000)
    );
    let reply = raw(running.address, huge_header.as_bytes(), wait).await;
    assert!(reply.starts_with("HTTP/1.1 431"), "{reply}");
    let garbage = raw(running.address, b"\x00\x01\x02 nonsense\r\n\r\n", wait).await;
    assert!(
        garbage.is_empty() || garbage.starts_with("HTTP/1.1 400"),
        "{garbage}"
    );
    let smuggle =
        b"POST /items HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello12";
    let reply = raw(running.address, smuggle, wait).await;
    assert!(reply.starts_with("HTTP/1.1 400"), "{reply}");
    assert!(upstream.seen().is_empty());
    let fine = post_json(running.address, "/items", r#"{"name": "still here"}"#).await;
    assert_eq!(fine.status, 200);
}

#[tokio::test]
async fn h2c_with_prior_knowledge_is_served() {
    let (_setup, _upstream, running) = gateway().await;
    let stream = tokio::net::TcpStream::connect(running.address)
        .await
        .expect("connect");
    let (mut sender, connection) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(stream),
    )
    .await
    .expect("h2 handshake");
    tokio::spawn(connection);
    let request = http::Request::post(format!("http://{}/items", running.address))
        .header("content-type", "application/json")
        .body(http_body_util::Full::new(bytes::Bytes::from_static(
            br#"{"name": 3}"#,
        )))
        .expect("request");
    let response = sender.send_request(request).await.expect("send");
    assert_eq!(response.status(), 400);
    assert_eq!(response.version(), http::Version::HTTP_2);
}

#[tokio::test]
async fn the_access_log_and_metrics_record_each_request() {
    let (setup, _upstream, running) = gateway().await;
    post_json(running.address, "/items", r#"{"name": "lamp"}"#).await;
    post_json(running.address, "/items", r#"{"name": 1}"#).await;
    let admin = running.admin.expect("admin listener");
    let metrics = send(admin, "GET", "/metrics", &[], "")
        .await
        .expect("metrics");
    assert_eq!(metrics.status, 200);
    for line in [
        r#"palisade_requests_total{route="POST /items",status="200"} 1"#,
        r#"palisade_requests_total{route="POST /items",status="400"} 1"#,
        r#"palisade_rejections_total{route="POST /items",reason="BAD_REQUEST_BODY"} 1"#,
        r#"palisade_request_duration_seconds_count{route="POST /items"} 2"#,
    ] {
        assert!(
            metrics.body.contains(line),
            "{line} not in\n{}",
            metrics.body
        );
    }
    assert_eq!(
        send(admin, "GET", "/healthz", &[], "")
            .await
            .expect("healthz")
            .status,
        200
    );
    assert_eq!(
        send(admin, "GET", "/readyz", &[], "")
            .await
            .expect("readyz")
            .status,
        200
    );
    running.shutdown().await;
    // The writer thread flushes as soon as its queue is empty.
    let mut lines = Vec::new();
    for _ in 0..50 {
        let text = std::fs::read_to_string(setup.path("access.log")).unwrap_or_default();
        lines = text.lines().map(str::to_string).collect();
        if lines.len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(lines.len(), 2, "{lines:?}");
    let refused: serde_json::Value = serde_json::from_str(&lines[1]).expect("json line");
    assert_eq!(refused["status"], 400);
    assert_eq!(refused["route"], "POST /items");
    assert_eq!(refused["reason"], "BAD_REQUEST_BODY");
    assert_eq!(refused["bytes_in"], 11);
    assert_eq!(
        refused["bytes_out"],
        r#"{"message": "Invalid request body"}"#.len()
    );
    assert_eq!(refused["method"], "POST");
    assert_eq!(refused["client"], "127.0.0.1");
    assert_eq!(refused["request_id"].as_str().map(str::len), Some(36));
}

#[tokio::test]
async fn gateway_responses_and_detailed_mode_shape_what_a_rejection_says() {
    let upstream = Upstream::start().await;
    let config = r#"
listen: 127.0.0.1:0
upstreams: { backend: { url: "${UPSTREAM}" } }
models: { Item: item.json }
validators: { body: { validateRequestBody: true } }
routes:
  - { method: POST, path: /items, upstream: backend, validator: body, model: Item }
  - { method: POST, path: /plain, upstream: backend }
validation: { detailed_errors: true }
gateway_responses:
  DEFAULT_4XX:
    headers: { access-control-allow-origin: "*" }
  REQUEST_TOO_LARGE:
    status: 400
    template: '{"error": "too big", "id": "$context.requestId"}'
limits: { max_body_bytes: 64 }
access_log: "off"
"#;
    let setup = Setup::new(config, &[("item.json", ITEM)]).var("UPSTREAM", &upstream.url());
    let running = setup.start().await;
    let detailed = post_json(running.address, "/items", r#"{"name": 7}"#).await;
    assert_eq!(detailed.status, 400);
    let body = detailed.json();
    assert_eq!(body["message"], "Invalid request body");
    assert_eq!(body["errors"][0]["pointer"], "/name");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("string"),
        "{body}"
    );
    assert_eq!(detailed.headers["access-control-allow-origin"], "*");
    let big = post_json(running.address, "/plain", &"x".repeat(100)).await;
    assert_eq!(big.status, 400);
    let id = big.headers["x-amzn-requestid"]
        .to_str()
        .unwrap_or("")
        .to_string();
    assert_eq!(
        big.json(),
        serde_json::json!({"error": "too big", "id": id})
    );
    assert_eq!(big.headers["access-control-allow-origin"], "*");
    assert!(upstream.seen().is_empty());
}

#[tokio::test]
async fn a_repeated_member_name_is_refused_unless_configured_to_read_the_last() {
    let upstream = Upstream::start().await;
    let config = r#"
listen: 127.0.0.1:0
upstreams: { backend: { url: "${UPSTREAM}" } }
models: { Item: item.json }
validators: { body: { validateRequestBody: true } }
routes:
  - { method: POST, path: /items, upstream: backend, validator: body, model: Item }
validation: { detailed_errors: true, duplicate_keys: "${DUPLICATES}" }
access_log: "off"
"#;
    let twice = r#"{"name": "x'); DROP TABLE items;--", "name": "ok"}"#;
    let setup = Setup::new(config, &[("item.json", ITEM)])
        .var("UPSTREAM", &upstream.url())
        .var("DUPLICATES", "reject");
    let running = setup.start().await;
    let refused = post_json(running.address, "/items", twice).await;
    assert_eq!(refused.status, 400);
    assert_eq!(refused.json()["errors"][0]["pointer"], "/name");
    assert!(upstream.seen().is_empty());
    running.shutdown().await;

    let setup = Setup::new(config, &[("item.json", ITEM)])
        .var("UPSTREAM", &upstream.url())
        .var("DUPLICATES", "last");
    let running = setup.start().await;
    let passed = post_json(running.address, "/items", twice).await;
    assert_eq!(passed.status, 200, "{}", passed.body);
    assert_eq!(upstream.seen()[0].body.as_ref(), twice.as_bytes());
    running.shutdown().await;

    let setup = Setup::new(config, &[("item.json", ITEM)])
        .var("UPSTREAM", &upstream.url())
        .var("DUPLICATES", "first");
    match palisade_gateway::start(&setup.config, setup.options(None)).await {
        Err(e) => assert!(e.to_string().contains("duplicate_keys"), "{e}"),
        Ok(_) => panic!("an unknown policy was taken"),
    }
}

#[tokio::test]
async fn a_port_another_gateway_holds_is_an_error_not_a_shared_listener() {
    let (_setup, upstream, running) = gateway().await;
    let taken = CONFIG.replace(
        "listen: 127.0.0.1:0",
        &format!("listen: {}", running.address),
    );
    let second = Setup::new(
        &taken.replace("admin: 127.0.0.1:0\n", ""),
        &[
            ("models/item.json", ITEM),
            ("models/text.json", "{}"),
            ("models/redos.json", "{}"),
        ],
    )
    .var("UPSTREAM", &upstream.url());
    let started = palisade_gateway::start(&second.config, second.options(None)).await;
    match started {
        Err(palisade_gateway::Error::Listen { address, .. }) => {
            assert_eq!(address, running.address)
        }
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("two gateways share {}", running.address),
    }
}

#[tokio::test]
async fn an_upstream_that_drops_idle_connections_fails_no_request() {
    use tokio::io::AsyncWriteExt;
    // Answers one request per connection, then closes it without saying so.
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = accepted.clone();
    let address = common::raw_upstream(move |mut stream| {
        counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        async move {
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                .await;
        }
    })
    .await;
    let setup = one_route(&format!("url: \"http://{address}\""), "");
    let running = setup.start().await;
    // One client connection, several requests in turn.
    let mut client = common::KeepAlive::open(running.address).await;
    // With a pause the gateway sees the close first; without one it finds
    // out when it sends, and sends again on a new connection.
    for i in 0..6 {
        if i % 2 == 1 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let (response, body) = client.get("/x").await;
        assert_eq!(response.status, 200, "request {i}");
        assert_eq!(body.as_ref(), b"ok");
    }
    assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 6);
}

#[tokio::test]
async fn malformed_framing_is_refused_as_rfc_9112_and_nginx_do() {
    let upstream = Upstream::start().await;
    let config = "listen: 127.0.0.1:0\nupstreams: { u: { url: \"${UPSTREAM}\" } }\nroutes:\n  - { method: ANY, path: \"/{proxy+}\", upstream: u }\naccess_log: \"off\"\n";
    let setup = Setup::new(config, &[]).var("UPSTREAM", &upstream.url());
    let running = setup.start().await;
    let status = |request: &'static [u8]| async move {
        let started = Instant::now();
        let reply = raw(running.address, request, Duration::from_secs(5)).await;
        (
            reply.get(..12).unwrap_or_default().to_string(),
            started.elapsed(),
        )
    };
    // No Host, or two: 400 (HTTP/1.1 only; 1.0 may leave it out).
    assert_eq!(
        status(b"GET /a HTTP/1.1\r\nConnection: close\r\n\r\n")
            .await
            .0,
        "HTTP/1.1 400"
    );
    assert_eq!(
        status(b"GET /a HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n")
            .await
            .0,
        "HTTP/1.1 400"
    );
    assert_eq!(status(b"GET /a HTTP/1.0\r\n\r\n").await.0, "HTTP/1.0 200");
    // A coding before chunked that nothing here decodes: 501.
    assert_eq!(
        status(b"POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n").await.0,
        "HTTP/1.1 501"
    );
    // A length too large to represent is a body too large, not headers.
    assert_eq!(
        status(b"POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 18446744073709551615\r\nConnection: close\r\n\r\n").await.0,
        "HTTP/1.1 413"
    );
    // A chunk announced past the body limit: 413 at once, not a wait for
    // the body time limit (30 s) and 408.
    let (line, took) = status(
        b"POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nFFFFFFFF\r\nabc",
    )
    .await;
    assert_eq!(line, "HTTP/1.1 413");
    assert!(took < Duration::from_secs(2), "{took:?}");
    // Still whole: a chunked body within the limit.
    assert_eq!(
        status(b"POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n").await.0,
        "HTTP/1.1 200"
    );
    let seen = upstream.seen();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(seen[1].body.as_ref(), b"hello");
}
