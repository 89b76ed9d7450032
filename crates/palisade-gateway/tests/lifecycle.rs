//! Reloads and shutdown: configuration changes and stops never fail a
//! request in flight.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{Setup, Upstream, post_json, send, start_at};

fn config(extra_route: &str, header: &str) -> String {
    format!(
        r#"
listen: 127.0.0.1:0
admin: 127.0.0.1:0
upstreams:
  backend: {{ url: "${{UPSTREAM}}" }}
models:
  Item: item.json
validators:
  body-only: {{ validateRequestBody: true, validateRequestParameters: false }}
routes:
  - {{ method: POST, path: /items, upstream: backend, validator: body-only, model: Item }}
{extra_route}
gateway_responses:
  BAD_REQUEST_BODY:
    headers: {{ x-config: "{header}" }}
access_log: "off"
"#
    )
}

const ITEM: &str = r#"{"type": "object", "required": ["name"]}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reloading_under_load_fails_no_request() {
    let upstream = Upstream::start().await;
    let setup =
        Setup::new(&config("", "first"), &[("item.json", ITEM)]).var("UPSTREAM", &upstream.url());
    let running = Arc::new(setup.start().await);
    let address = running.address;
    let failures = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut clients = Vec::new();
    for _ in 0..8 {
        let (failures, done) = (failures.clone(), done.clone());
        clients.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let reply = send(
                    address,
                    "POST",
                    "/items",
                    &[("content-type", "application/json")],
                    r#"{"name": "a"}"#,
                )
                .await;
                match reply {
                    Ok(r) if r.status == 200 => {}
                    _ => {
                        failures.fetch_add(1, Ordering::Relaxed);
                    }
                }
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let mut reloads = 0;
    while Instant::now() < deadline - Duration::from_millis(500) {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let header = format!("reload-{reloads}");
        std::fs::write(&setup.config, config("", &header)).expect("rewrite");
        running.reload().expect("reload");
        reloads += 1;
    }
    for client in clients {
        client.await.expect("client");
    }
    assert!(reloads >= 10, "{reloads}");
    assert!(
        done.load(Ordering::Relaxed) > 100,
        "{}",
        done.load(Ordering::Relaxed)
    );
    assert_eq!(failures.load(Ordering::Relaxed), 0);
    let refused = post_json(address, "/items", "{}").await;
    assert_eq!(
        refused.headers["x-config"],
        format!("reload-{}", reloads - 1)
    );
}

#[tokio::test]
async fn a_broken_reload_keeps_the_running_configuration() {
    let upstream = Upstream::start().await;
    let setup =
        Setup::new(&config("", "kept"), &[("item.json", ITEM)]).var("UPSTREAM", &upstream.url());
    let running = setup.start().await;
    std::fs::write(&setup.config, "listen: [unclosed").expect("rewrite");
    assert!(running.reload().is_err());
    std::fs::write(setup.path("item.json"), r#"{"type": 12}"#).expect("rewrite");
    std::fs::write(&setup.config, config("", "broken model")).expect("rewrite");
    let err = running
        .reload()
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("item.json"), "{err}");
    let refused = post_json(running.address, "/items", "{}").await;
    assert_eq!(refused.status, 400);
    assert_eq!(refused.headers["x-config"], "kept");
    let admin = running.admin.expect("admin");
    let metrics = send(admin, "GET", "/metrics", &[], "")
        .await
        .expect("metrics")
        .body;
    assert!(
        metrics.contains(r#"palisade_config_reloads_total{result="failed"} 2"#),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_changed_file_is_picked_up_without_a_signal() {
    let upstream = Upstream::start().await;
    let setup =
        Setup::new(&config("", "before"), &[("item.json", ITEM)]).var("UPSTREAM", &upstream.url());
    let running = start_at(
        &setup.config,
        setup.options(Some(Duration::from_millis(50))),
    )
    .await;
    let route = "  - { method: GET, path: /health, upstream: backend }";
    assert_eq!(
        send(running.address, "GET", "/health", &[], "")
            .await
            .expect("send")
            .status,
        404
    );
    // Some file systems keep whole-second modification times: the size
    // changes too, so the change is seen either way.
    std::fs::write(&setup.config, config(route, "after")).expect("rewrite");
    let mut status = 0;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        status = send(running.address, "GET", "/health", &[], "")
            .await
            .expect("send")
            .status;
        if status == 200 {
            break;
        }
    }
    assert_eq!(status, 200);
    // A model change reloads too.
    std::fs::write(
        setup.path("item.json"),
        r#"{"type": "object", "required": ["name", "size"]}"#,
    )
    .expect("model");
    let mut refused = 0;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        refused = post_json(running.address, "/items", r#"{"name": "a"}"#)
            .await
            .status;
        if refused == 400 {
            break;
        }
    }
    assert_eq!(refused, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_requests_in_flight_and_then_refuses_connections() {
    let upstream = Upstream::start().await;
    let route = "  - { method: GET, path: /slow, upstream: backend }";
    let setup =
        Setup::new(&config(route, "x"), &[("item.json", ITEM)]).var("UPSTREAM", &upstream.url());
    let running = setup.start().await;
    let address = running.address;
    let admin = running.admin.expect("admin");
    let slow =
        tokio::spawn(
            async move { send(address, "GET", "/slow", &[("x-delay-ms", "700")], "").await },
        );
    tokio::time::sleep(Duration::from_millis(200)).await;
    let stopping = tokio::spawn(running.shutdown());
    tokio::time::sleep(Duration::from_millis(100)).await;
    let ready = send(admin, "GET", "/readyz", &[], "")
        .await
        .expect("admin serves while draining");
    assert_eq!(ready.status, 503);
    assert_eq!(
        send(admin, "GET", "/healthz", &[], "")
            .await
            .expect("healthz")
            .status,
        200
    );
    let reply = slow
        .await
        .expect("task")
        .expect("the request in flight completes");
    assert_eq!(reply.status, 200);
    stopping.await.expect("shutdown");
    assert!(tokio::net::TcpStream::connect(address).await.is_err());
}
