//! The Wild Rydes customization function, validating its events in the
//! handler with the model the gateway uses
//! (`examples/wild-rydes/models/customization-post.json`): a request the
//! model refuses gets API Gateway's 400 before the handler runs, so the
//! function is safe even when called without the gateway in front (a
//! Function URL, a test, another service).

use std::sync::Arc;

use lambda_http::{Body, Error, Request, RequestExt, Response};
use palisade_validate::layer::{Validate, ValidateLayer};
use palisade_validate::{GatewayResponses, MethodRules, Model, Models, Options, Validator};
use serde_json::{Value, json};
use tower_layer::Layer;

/// The model, built into the binary so a cold start reads no files.
pub const CUSTOMIZATION_POST: &str =
    include_str!("../../wild-rydes/models/customization-post.json");

/// The compiled model; a broken model fails the first test, not a request.
pub fn model() -> Arc<Model> {
    let schema: Value = serde_json::from_str(CUSTOMIZATION_POST).expect("the model is JSON");
    let options = Options {
        origin: "customization-post.json".into(),
        ..Options::default()
    };
    Arc::new(Model::compile(&schema, &options).expect("the model compiles"))
}

/// POST /customizations: a body validator with the model for JSON bodies.
pub fn rules() -> MethodRules {
    let mut models = Models::default();
    models.insert("application/json", model());
    MethodRules {
        validator: Validator {
            body: true,
            parameters: false,
        },
        models,
        ..MethodRules::default()
    }
}

/// Stores a customization (here: acknowledges it). It only ever sees
/// bodies the model accepted.
pub async fn store(request: Request) -> Result<Response<Body>, Error> {
    let customization: Value = serde_json::from_slice(request.body().as_ref())?;
    let id = request
        .path_parameters_ref()
        .and_then(|p| p.first("id"))
        .unwrap_or("new")
        .to_string();
    let reply = json!({"stored": customization["name"], "id": id});
    Ok(Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(Body::from(reply.to_string()))?)
}

/// The handler behind its validator.
pub fn service() -> Function {
    let handler: fn(Request) -> StoreFuture = |request| Box::pin(store(request));
    ValidateLayer::new(rules(), GatewayResponses::default()).layer(lambda_http::service_fn(handler))
}

/// The validated function, as `lambda_http::run` takes it.
pub type Function = Validate<lambda_http::tower::util::ServiceFn<fn(Request) -> StoreFuture>, Body>;

pub type StoreFuture = lambda_http::BoxFuture<'static, Result<Response<Body>, Error>>;

/// A queue of customizations: the records the model refuses are reported as
/// batch item failures (and retried, then dead-lettered), the rest processed.
pub fn check_queue(event: &Value) -> Result<Value, palisade_validate::event::EventError> {
    let report = palisade_validate::event::check_records(event, &model())?;
    Ok(report.batch_item_failures())
}
