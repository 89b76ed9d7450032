//! A tower layer that validates `http::Request`s before a handler sees them,
//! so a `lambda_http` function (or any tower HTTP service) applies the same
//! models, validators and API Gateway responses as the gateway.
//!
//! ```ignore
//! let rules = MethodRules { .. };
//! let service = ServiceBuilder::new()
//!     .layer(ValidateLayer::new(rules, GatewayResponses::default()))
//!     .service_fn(handler);
//! lambda_http::run(service).await
//! ```

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request as HttpRequest, Response as HttpResponse, StatusCode};

use crate::event::rejection_response;
use crate::request::{MethodRules, Request, lookup, query_pairs};
use crate::response::GatewayResponses;

/// Reads path parameters from a request (routers keep them in extensions
/// of their own, e.g. `lambda_http`'s `RequestExt::path_parameters`).
pub type PathParameters<B> = Arc<dyn Fn(&HttpRequest<B>) -> Vec<(String, String)> + Send + Sync>;

/// Validates requests with `rules`, answering rejections itself.
pub struct ValidateLayer<B> {
    rules: Arc<MethodRules>,
    responses: Arc<GatewayResponses>,
    path_parameters: Option<PathParameters<B>>,
}

impl<B> Clone for ValidateLayer<B> {
    fn clone(&self) -> Self {
        ValidateLayer {
            rules: self.rules.clone(),
            responses: self.responses.clone(),
            path_parameters: self.path_parameters.clone(),
        }
    }
}

impl<B> std::fmt::Debug for ValidateLayer<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ValidateLayer")
            .field("rules", &self.rules)
            .finish()
    }
}

impl<B> ValidateLayer<B> {
    pub fn new(rules: MethodRules, responses: GatewayResponses) -> ValidateLayer<B> {
        ValidateLayer {
            rules: Arc::new(rules),
            responses: Arc::new(responses),
            path_parameters: None,
        }
    }

    /// How to find path parameters, for rules that require some.
    pub fn with_path_parameters(mut self, read: PathParameters<B>) -> ValidateLayer<B> {
        self.path_parameters = Some(read);
        self
    }
}

impl<S, B> tower_layer::Layer<S> for ValidateLayer<B> {
    type Service = Validate<S, B>;

    fn layer(&self, inner: S) -> Validate<S, B> {
        Validate {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service [`ValidateLayer`] wraps around a handler.
pub struct Validate<S, B> {
    inner: S,
    layer: ValidateLayer<B>,
}

impl<S: Clone, B> Clone for Validate<S, B> {
    fn clone(&self) -> Self {
        Validate {
            inner: self.inner.clone(),
            layer: self.layer.clone(),
        }
    }
}

impl<S, B> std::fmt::Debug for Validate<S, B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Validate")
            .field("layer", &self.layer)
            .finish()
    }
}

/// An `http::Request` as the validators read it.
struct View<'a, B> {
    request: &'a HttpRequest<B>,
    query: Vec<(String, String)>,
    params: Vec<(String, String)>,
}

impl<B: AsRef<[u8]>> Request for View<'_, B> {
    fn header(&self, name: &str) -> Option<&str> {
        self.request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
    }
    fn query(&self, name: &str) -> Option<&str> {
        lookup(&self.query, name)
    }
    fn path_parameter(&self, name: &str) -> Option<&str> {
        lookup(&self.params, name)
    }
    fn body(&self) -> &[u8] {
        self.request.body().as_ref()
    }
}

type Boxed<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

impl<S, B, R> tower_service::Service<HttpRequest<B>> for Validate<S, B>
where
    S: tower_service::Service<HttpRequest<B>, Response = HttpResponse<R>>,
    S::Future: Send + 'static,
    B: AsRef<[u8]>,
    R: From<String> + Send + 'static,
    S::Error: Send + 'static,
{
    type Response = HttpResponse<R>;
    type Error = S::Error;
    type Future = Boxed<HttpResponse<R>, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: HttpRequest<B>) -> Self::Future {
        let view = View {
            request: &request,
            query: query_pairs(request.uri().query().unwrap_or("")),
            params: self
                .layer
                .path_parameters
                .as_ref()
                .map(|read| read(&request))
                .unwrap_or_default(),
        };
        match self.layer.rules.check(&view) {
            Ok(()) => Box::pin(self.inner.call(request)),
            Err(rejection) => {
                let request_id = request
                    .headers()
                    .get("x-amzn-requestid")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                let proxy = rejection_response(&rejection, &self.layer.responses, request_id);
                let mut response = HttpResponse::new(R::from(
                    proxy["body"].as_str().unwrap_or_default().to_string(),
                ));
                *response.status_mut() = proxy["statusCode"]
                    .as_u64()
                    .and_then(|s| StatusCode::from_u16(s as u16).ok())
                    .unwrap_or(StatusCode::BAD_REQUEST);
                if let Some(headers) = proxy["headers"].as_object() {
                    for (name, value) in headers {
                        if let (Ok(n), Some(Ok(v))) = (
                            http::HeaderName::from_bytes(name.as_bytes()),
                            value.as_str().map(http::HeaderValue::from_str),
                        ) {
                            response.headers_mut().insert(n, v);
                        }
                    }
                }
                Box::pin(std::future::ready(Ok(response)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Model, Options};
    use crate::request::{Location, Models, Parameter, Validator};
    use tower_layer::Layer;
    use tower_service::Service;

    #[derive(Clone)]
    struct Echo;

    impl Service<HttpRequest<String>> for Echo {
        type Response = HttpResponse<String>;
        type Error = std::convert::Infallible;
        type Future = std::future::Ready<Result<HttpResponse<String>, Self::Error>>;
        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Ready(Ok(()))
        }
        fn call(&mut self, request: HttpRequest<String>) -> Self::Future {
            std::future::ready(Ok(HttpResponse::new(format!("handled {}", request.body()))))
        }
    }

    fn block<F: Future>(future: F) -> F::Output {
        // The futures here are ready at once; no runtime is needed.
        let mut future = std::pin::pin!(future);
        let waker = std::task::Waker::noop();
        match future.as_mut().poll(&mut Context::from_waker(waker)) {
            Poll::Ready(output) => output,
            Poll::Pending => panic!("pending"),
        }
    }

    #[test]
    fn the_layer_answers_rejections_and_passes_the_rest() {
        let model = Model::compile(
            &serde_json::json!({"type": "object", "required": ["name"]}),
            &Options::default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let mut models = Models::default();
        models.insert("application/json", Arc::new(model));
        let rules = MethodRules {
            validator: Validator {
                body: true,
                parameters: true,
            },
            parameters: vec![Parameter::required(Location::QueryString, "page")],
            models,
            ..MethodRules::default()
        };
        let mut service = ValidateLayer::new(rules, GatewayResponses::default()).layer(Echo);
        let request = |uri: &str, body: &str| {
            HttpRequest::post(uri)
                .header("content-type", "application/json")
                .body(body.to_string())
                .unwrap_or_else(|e| panic!("{e}"))
        };
        let ok = block(service.call(request("/items?page=1", r#"{"name": "a"}"#)));
        let ok = ok.unwrap_or_else(|e| match e {});
        assert_eq!(ok.body(), r#"handled {"name": "a"}"#);
        let missing = block(service.call(request("/items", "{}"))).unwrap_or_else(|e| match e {});
        assert_eq!(missing.status(), 400);
        assert_eq!(
            missing.body(),
            r#"{"message": "Missing required request parameters: [page]"}"#
        );
        let invalid =
            block(service.call(request("/items?page=1", "{}"))).unwrap_or_else(|e| match e {});
        assert_eq!(invalid.body(), r#"{"message": "Invalid request body"}"#);
        assert_eq!(invalid.headers()["x-amzn-errortype"], "BadRequestException");
    }
}
