//! The function invoked with recorded API Gateway and SQS events.

use std::path::PathBuf;

use lambda_http::Body;
use tower_service::Service;

fn event(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("events")
        .join(name);
    std::fs::read_to_string(path).expect("recorded event")
}

async fn invoke(name: &str) -> (u16, String, Option<String>) {
    let request = lambda_http::request::from_str(&event(name)).expect("an API Gateway event");
    let mut service = wild_rydes_lambda::service();
    std::future::poll_fn(|cx| service.poll_ready(cx))
        .await
        .expect("ready");
    let response = service.call(request).await.expect("a response");
    let body = match response.body() {
        Body::Text(text) => text.clone(),
        Body::Binary(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        _ => String::new(),
    };
    let error_type = response
        .headers()
        .get("x-amzn-errortype")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    (response.status().as_u16(), body, error_type)
}

#[tokio::test]
async fn a_valid_customization_reaches_the_handler() {
    let (status, body, error) = invoke("rest-valid.json").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, r#"{"id":"new","stored":"Cherry-themed unicorn"}"#);
    assert_eq!(error, None);
}

#[tokio::test]
async fn hostile_customizations_get_api_gateways_400_without_reaching_the_handler() {
    for name in ["rest-bad-image-url.json", "rest-cape-injection.json"] {
        let (status, body, error) = invoke(name).await;
        assert_eq!(status, 400, "{name}");
        assert_eq!(body, r#"{"message": "Invalid request body"}"#, "{name}");
        assert_eq!(error.as_deref(), Some("BadRequestException"));
    }
}

#[tokio::test]
async fn an_http_api_event_with_a_dodging_content_type_is_refused() {
    let (status, body, _) = invoke("http-api-text-plain.json").await;
    assert_eq!(status, 415);
    assert_eq!(body, r#"{"message": "Unsupported Media Type"}"#);
}

#[test]
fn queue_records_the_model_refuses_become_batch_item_failures() {
    let event: serde_json::Value = serde_json::from_str(&event("sqs-batch.json")).expect("json");
    let failures = wild_rydes_lambda::check_queue(&event).expect("an SQS event");
    assert_eq!(
        failures,
        serde_json::json!({"batchItemFailures": [{"itemIdentifier": "0a1b2c3d-0000-4000-8000-000000000002"}]})
    );
}

#[test]
fn the_function_and_the_gateway_read_the_same_recorded_events_alike() {
    // The library's own reading of the proxy event agrees with lambda_http's.
    let raw: serde_json::Value =
        serde_json::from_str(&event("rest-cape-injection.json")).expect("json");
    let refused = palisade_validate::event::check_proxy_event(
        &raw,
        &wild_rydes_lambda::rules(),
        &palisade_validate::GatewayResponses::default(),
    );
    let response = refused.expect_err("refused");
    assert_eq!(response["statusCode"], 400);
    assert_eq!(response["body"], r#"{"message": "Invalid request body"}"#);
}
