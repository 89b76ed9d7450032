//! The Wild Rydes example (examples/wild-rydes) as shipped, in both its
//! forms: the gateway's own configuration and the OpenAPI export.

mod common;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use common::{Upstream, post_json, send, start_at};
use palisade_gateway::ServeOptions;

fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/wild-rydes")
        .join(name)
}

fn request(name: &str) -> String {
    std::fs::read_to_string(example("requests").join(name)).expect("request file")
}

async fn only_the_valid_customization_reaches_the_upstream(config: &str) {
    let upstream = Upstream::start().await;
    let variables: HashMap<&str, String> = HashMap::from([
        ("WILD_RYDES_LISTEN", "127.0.0.1:0".to_string()),
        ("WILD_RYDES_ADMIN", "127.0.0.1:0".to_string()),
        ("WILD_RYDES_UPSTREAM", upstream.url()),
        ("WILD_RYDES_ACCESS_LOG", "off".to_string()),
    ]);
    let options = ServeOptions {
        watch_interval: None,
        variables: Arc::new(move |name| variables.get(name).cloned()),
        ..ServeOptions::default()
    };
    let running = start_at(&example(config), options).await;
    let valid = request("valid.json");
    let accepted = post_json(running.address, "/customizations", &valid).await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    for hostile in ["bad-image-url.json", "cape-injection.json"] {
        let refused = post_json(running.address, "/customizations", &request(hostile)).await;
        assert_eq!(refused.status, 400, "{hostile}");
        assert_eq!(
            refused.body, r#"{"message": "Invalid request body"}"#,
            "{hostile}"
        );
        assert_eq!(refused.headers["x-amzn-errortype"], "BadRequestException");
    }
    // Valid by its last `cape`, forwarded as sent: a backend keeping the
    // first value would read the injection. Refused by default.
    let twice = valid.replacen(
        r#""cape""#,
        r#""cape": "2); DROP TABLE Cape;--", "cape""#,
        1,
    );
    assert_ne!(twice, valid);
    let refused = post_json(running.address, "/customizations", &twice).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    let fetched = send(running.address, "GET", "/customizations/7", &[], "")
        .await
        .expect("get");
    assert_eq!(fetched.status, 200);
    let seen = upstream.seen();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(seen[0].method, "POST");
    assert_eq!(seen[0].target, "/customizations");
    assert_eq!(seen[0].body.as_ref(), valid.as_bytes());
    assert_eq!(seen[1].target, "/customizations/7");
    running.shutdown().await;
}

#[tokio::test]
async fn the_gateway_configuration_lets_only_the_valid_customization_through() {
    only_the_valid_customization_reaches_the_upstream("gateway.yaml").await;
}

#[tokio::test]
async fn the_openapi_export_behaves_the_same() {
    only_the_valid_customization_reaches_the_upstream("gateway-openapi.yaml").await;
}
