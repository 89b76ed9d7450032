//! API Gateway exports (OpenAPI 3 and Swagger 2 with x-amazon-apigateway-*)
//! as gateway configurations.

mod common;

use common::{Setup, Upstream, post_json, send};
use palisade_gateway::{Config, Error};

const GATEWAY: &str = r##"
listen: 127.0.0.1:0
openapi: api.yaml
access_log: "off"
"##;

#[tokio::test]
async fn http_integrations_name_the_upstream_and_its_path() {
    let upstream = Upstream::start().await;
    let api = format!(
        r##"
openapi: "3.0.1"
info: {{ title: items, version: "1" }}
x-amazon-apigateway-request-validators:
  all: {{ validateRequestBody: true, validateRequestParameters: true }}
x-amazon-apigateway-request-validator: all
paths:
  /items/{{id}}:
    parameters:
      - {{ name: id, in: path, required: true }}
    put:
      parameters:
        - {{ $ref: "#/components/parameters/ApiKey" }}
      requestBody:
        content:
          application/json:
            schema: {{ $ref: "#/components/schemas/Item" }}
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: PUT
        uri: "{url}/backend/items/{{id}}"
components:
  parameters:
    ApiKey: {{ name: x-api-key, in: header, required: true }}
  schemas:
    Item:
      type: object
      required: [name]
      properties:
        name: {{ type: string }}
        owner: {{ $ref: "#/components/schemas/Owner" }}
    Owner:
      type: string
      pattern: "^[a-z]+$"
"##,
        url = upstream.url()
    );
    let setup = Setup::new(GATEWAY, &[("api.yaml", &api)]);
    let running = setup.start().await;
    let json = ("content-type", "application/json");
    let missing = send(
        running.address,
        "PUT",
        "/items/a%20b",
        &[json],
        r#"{"name": "x"}"#,
    )
    .await
    .expect("send");
    assert_eq!(
        missing.body,
        r#"{"message": "Missing required request parameters: [x-api-key]"}"#
    );
    let key = ("x-api-key", "k");
    let bad_owner = send(
        running.address,
        "PUT",
        "/items/1",
        &[json, key],
        r#"{"name": "x", "owner": "A1"}"#,
    )
    .await;
    assert_eq!(
        bad_owner.expect("send").status,
        400,
        "the $ref to Owner is followed"
    );
    let ok = send(
        running.address,
        "PUT",
        "/items/a%20b?v=1",
        &[json, key],
        r#"{"name": "x", "owner": "ann"}"#,
    )
    .await;
    assert_eq!(ok.expect("send").status, 200);
    let seen = upstream.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].target, "/backend/items/a%20b?v=1");
}

#[test]
fn swagger_2_body_parameters_and_consumes_become_models() {
    let api = r##"
swagger: "2.0"
info: { title: t, version: "1" }
consumes: [application/json, application/x-amz-json-1.1]
x-amazon-apigateway-request-validators:
  body: { validateRequestBody: true, validateRequestParameters: false }
paths:
  /orders:
    post:
      x-amazon-apigateway-request-validator: body
      parameters:
        - { name: page, in: query, required: true, type: integer }
        - { name: order, in: body, required: true, schema: { $ref: "#/definitions/Order" } }
      x-amazon-apigateway-integration: { type: http, httpMethod: POST, uri: "http://127.0.0.1:1/orders" }
definitions:
  Order: { type: object, required: [qty] }
"##;
    let setup = Setup::new(GATEWAY, &[("api.yaml", api)]);
    let config = Config::load(&setup.config, &|_| None).unwrap_or_else(|e| panic!("{e}"));
    let route = &config.routes[0];
    assert_eq!(route.name, "POST /orders");
    assert!(route.rules.validator.body && !route.rules.validator.parameters);
    assert_eq!(route.rules.parameters[0].name, "page");
    let json = route
        .rules
        .models
        .for_content_type(Some("application/x-amz-json-1.1"));
    assert!(json.is_some());
    assert!(
        route
            .rules
            .models
            .for_content_type(Some("text/plain"))
            .is_none()
    );
    assert_eq!(config.upstreams[0].name, "openapi:127.0.0.1:1");
}

#[test]
fn operations_palisade_cannot_reach_are_problems_with_pointers() {
    let api = r##"
openapi: "3.0.1"
info: { title: t, version: "1" }
paths:
  /items:
    post:
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:1:function:f/invocations"
    get:
      x-amazon-apigateway-request-validator: nonesuch
      x-amazon-apigateway-integration: { type: http_proxy, uri: "http://${stageVariables.host}/items" }
"##;
    let setup = Setup::new(GATEWAY, &[("api.yaml", api)]);
    let Err(Error::Invalid { problems }) = Config::load(&setup.config, &|_| None) else {
        panic!("accepted");
    };
    let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert!(
        text.iter().any(|p| p
            .contains("api.yaml#/paths/~1items/post: the operation has a aws_proxy integration")),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|p| p.contains("/paths/~1items/get: no request validator named \"nonesuch\"")),
        "{text:?}"
    );
    assert!(
        text.iter().any(|p| p.contains("stage variables")),
        "{text:?}"
    );
}

#[tokio::test]
async fn an_upstream_override_serves_lambda_integrations() {
    let upstream = Upstream::start().await;
    let api = r##"
openapi: "3.0.1"
info: { title: t, version: "1" }
paths:
  /items:
    post:
      x-amazon-apigateway-integration: { type: aws_proxy, httpMethod: POST, uri: "arn:aws:apigateway:..." }
"##;
    let gateway = r##"
listen: 127.0.0.1:0
upstreams:
  function: { url: "${UPSTREAM}/lambda/invoke", mode: lambda-proxy }
openapi: { file: api.yaml, upstream: function }
access_log: "off"
"##;
    let setup = Setup::new(gateway, &[("api.yaml", api)]).var("UPSTREAM", &upstream.url());
    let running = setup.start().await;
    let reply = post_json(running.address, "/items", r#"{"a": 1}"#).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(reply.json()["resource"], "/items");
}
