//! Validation inside a function: the Lambda events a handler receives,
//! checked with the same models and validators the gateway uses.
//!
//! - API Gateway proxy events (REST API v1 and HTTP API v2) become a
//!   [`ProxyRequest`], checked by [`MethodRules`] like a request at the
//!   gateway; a rejection becomes the proxy response API Gateway would send.
//! - SQS, SNS and EventBridge events carry one document per record (the SQS
//!   body, the SNS message, the EventBridge detail); [`check_records`] checks
//!   each against a model and reports the failures, SQS ones in the
//!   `batchItemFailures` shape for partial batch responses.

use base64::Engine;
use serde_json::{Map, Value, json};

use crate::document::{DuplicateKeys, parse_document};
use crate::model::{Model, Violation};
use crate::request::{MethodRules, Rejection, Request, lookup};
use crate::response::{ErrorContext, GatewayResponses};

/// Why an event could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("not an API Gateway proxy event (no httpMethod, nor requestContext.http)")]
    NotProxy,
    #[error("not an SQS, SNS or EventBridge event")]
    UnknownKind,
    #[error("{field}: {problem}")]
    Field { field: String, problem: String },
}

/// Which API Gateway produced a proxy event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProxyVersion {
    /// REST API, payload format 1.0.
    Rest,
    /// HTTP API, payload format 2.0.
    Http,
}

/// A proxy event as a request: what the validators read from it.
#[derive(Clone, Debug)]
pub struct ProxyRequest {
    pub version: ProxyVersion,
    pub method: String,
    pub path: String,
    /// Lowercased names.
    headers: Vec<(String, String)>,
    query: Vec<(String, String)>,
    path_parameters: Vec<(String, String)>,
    body: Vec<u8>,
}

fn string_map(value: Option<&Value>, field: &str) -> Result<Vec<(String, String)>, EventError> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Object(map)) => Ok(map
            .iter()
            .filter_map(|(k, v)| match v {
                Value::String(s) => Some((k.clone(), s.clone())),
                Value::Array(items) => items
                    .first()
                    .and_then(Value::as_str)
                    .map(|s| (k.clone(), s.to_string())),
                _ => None,
            })
            .collect()),
        Some(_) => Err(EventError::Field {
            field: field.to_string(),
            problem: "expected an object of strings".to_string(),
        }),
    }
}

impl ProxyRequest {
    /// Reads a REST (v1) or HTTP API (v2) proxy event.
    pub fn from_event(event: &Value) -> Result<ProxyRequest, EventError> {
        let http = event.pointer("/requestContext/http");
        let version = if event.get("httpMethod").is_some() {
            ProxyVersion::Rest
        } else if http.is_some() {
            ProxyVersion::Http
        } else {
            return Err(EventError::NotProxy);
        };
        let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_string();
        let (method, path) = match version {
            ProxyVersion::Rest => (text(event.get("httpMethod")), text(event.get("path"))),
            ProxyVersion::Http => (
                text(http.and_then(|h| h.get("method"))),
                text(event.get("rawPath")),
            ),
        };
        let mut headers = string_map(event.get("multiValueHeaders"), "multiValueHeaders")?;
        for (name, value) in string_map(event.get("headers"), "headers")? {
            if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(&name)) {
                headers.push((name, value));
            }
        }
        for (name, _) in &mut headers {
            name.make_ascii_lowercase();
        }
        let mut query = string_map(
            event.get("multiValueQueryStringParameters"),
            "multiValueQueryStringParameters",
        )?;
        for (name, value) in
            string_map(event.get("queryStringParameters"), "queryStringParameters")?
        {
            if !query.iter().any(|(n, _)| *n == name) {
                query.push((name, value));
            }
        }
        let path_parameters = string_map(event.get("pathParameters"), "pathParameters")?;
        let body = match event.get("body") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::String(text)) => {
                if event.get("isBase64Encoded").and_then(Value::as_bool) == Some(true) {
                    base64::engine::general_purpose::STANDARD
                        .decode(text)
                        .map_err(|e| EventError::Field {
                            field: "body".into(),
                            problem: format!("isBase64Encoded, but not base64: {e}"),
                        })?
                } else {
                    text.clone().into_bytes()
                }
            }
            Some(_) => {
                return Err(EventError::Field {
                    field: "body".into(),
                    problem: "expected a string".into(),
                });
            }
        };
        Ok(ProxyRequest {
            version,
            method,
            path,
            headers,
            query,
            path_parameters,
            body,
        })
    }
}

impl Request for ProxyRequest {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    fn query(&self, name: &str) -> Option<&str> {
        lookup(&self.query, name)
    }
    fn path_parameter(&self, name: &str) -> Option<&str> {
        lookup(&self.path_parameters, name)
    }
    fn body(&self) -> &[u8] {
        &self.body
    }
}

/// The proxy response (`statusCode`, `headers`, `body`) a handler returns
/// for a rejected event: the gateway response API Gateway would send.
pub fn rejection_response(
    rejection: &Rejection,
    responses: &GatewayResponses,
    request_id: &str,
) -> Value {
    let violations = rejection.violations();
    let rendered = responses.render(
        rejection.response_type(),
        &ErrorContext {
            message: &rejection.message(),
            violations: &violations,
            validation_error_string: &rejection.validation_error_string(),
            request_id,
        },
    );
    let headers: Map<String, Value> = rendered
        .headers
        .into_iter()
        .map(|(n, v)| (n, Value::from(v)))
        .collect();
    json!({
        "statusCode": rendered.status,
        "headers": headers,
        "body": rendered.body,
        "isBase64Encoded": false,
    })
}

/// Checks a proxy event against a method's rules: `Ok` with the request
/// when it passes, else the response to return.
pub fn check_proxy_event(
    event: &Value,
    rules: &MethodRules,
    responses: &GatewayResponses,
) -> Result<ProxyRequest, Value> {
    let request_id = event
        .pointer("/requestContext/requestId")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let request = ProxyRequest::from_event(event).map_err(|e| {
        let rejection = Rejection::InvalidBody(vec![Violation {
            pointer: String::new(),
            message: e.to_string(),
        }]);
        rejection_response(&rejection, responses, request_id)
    })?;
    match rules.check(&request) {
        Ok(()) => Ok(request),
        Err(rejection) => Err(rejection_response(&rejection, responses, request_id)),
    }
}

/// The record-carrying event kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordKind {
    Sqs,
    Sns,
    EventBridge,
}

/// One record that broke the model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordFailure {
    /// The SQS messageId, SNS MessageId or EventBridge id.
    pub id: String,
    /// The record's position in the event.
    pub index: usize,
    pub violations: Vec<Violation>,
}

/// The verdict on every record of an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordReport {
    pub kind: RecordKind,
    pub records: usize,
    pub failures: Vec<RecordFailure>,
}

impl RecordReport {
    pub fn all_valid(&self) -> bool {
        self.failures.is_empty()
    }

    /// SQS's partial batch response: the failed messages are retried, the
    /// others deleted (needs `ReportBatchItemFailures` on the mapping).
    pub fn batch_item_failures(&self) -> Value {
        let items: Vec<Value> = self
            .failures
            .iter()
            .map(|f| json!({"itemIdentifier": f.id}))
            .collect();
        json!({"batchItemFailures": items})
    }
}

/// A record's id and its document (or why it has none).
type Document = (String, Result<Value, Violation>);

/// What each record carries, and its id. A record's text is read with
/// `duplicates`; an EventBridge `detail` arrives already read (a name
/// it repeated was lost before the handler got the event).
fn documents(
    event: &Value,
    duplicates: DuplicateKeys,
) -> Result<(RecordKind, Vec<Document>), EventError> {
    if event.get("detail-type").is_some() && event.get("source").is_some() {
        let id = event.get("id").and_then(Value::as_str).unwrap_or_default();
        let detail = event.get("detail").cloned().unwrap_or(Value::Null);
        return Ok((RecordKind::EventBridge, vec![(id.to_string(), Ok(detail))]));
    }
    let records = event
        .get("Records")
        .and_then(Value::as_array)
        .ok_or(EventError::UnknownKind)?;
    let source = |r: &Value| {
        r.get("eventSource")
            .or_else(|| r.get("EventSource"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let kind = match records.first().map(source).as_deref() {
        Some("aws:sqs") => RecordKind::Sqs,
        Some("aws:sns") => RecordKind::Sns,
        _ => return Err(EventError::UnknownKind),
    };
    let parse = |text: Option<&Value>| -> Result<Value, Violation> {
        let text = text.and_then(Value::as_str).ok_or_else(|| Violation {
            pointer: String::new(),
            message: "no message text".to_string(),
        })?;
        parse_document(text.as_bytes(), duplicates)
    };
    let documents = records
        .iter()
        .map(|r| match kind {
            RecordKind::Sqs => (
                r.get("messageId")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                parse(r.get("body")),
            ),
            _ => (
                r.pointer("/Sns/MessageId")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                parse(r.pointer("/Sns/Message")),
            ),
        })
        .collect();
    Ok((kind, documents))
}

/// Checks every record of an SQS, SNS or EventBridge event against `model`;
/// a record whose text repeats a member name is refused.
pub fn check_records(event: &Value, model: &Model) -> Result<RecordReport, EventError> {
    check_records_with(event, model, DuplicateKeys::Reject)
}

/// [`check_records`], with repeated member names handled as `duplicates`
/// says.
pub fn check_records_with(
    event: &Value,
    model: &Model,
    duplicates: DuplicateKeys,
) -> Result<RecordReport, EventError> {
    let (kind, documents) = documents(event, duplicates)?;
    let records = documents.len();
    let failures = documents
        .into_iter()
        .enumerate()
        .filter_map(|(index, (id, document))| {
            let violations = match document {
                Ok(document) => model.violations(&document),
                Err(violation) => vec![violation],
            };
            (!violations.is_empty()).then_some(RecordFailure {
                id,
                index,
                violations,
            })
        })
        .collect();
    Ok(RecordReport {
        kind,
        records,
        failures,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::model::Options;
    use crate::request::{Location, Models, Parameter, Validator};

    fn model() -> Model {
        Model::compile(
            &json!({"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}),
            &Options::default(),
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn rules() -> MethodRules {
        let mut models = Models::default();
        models.insert("application/json", Arc::new(model()));
        MethodRules {
            validator: Validator {
                body: true,
                parameters: true,
            },
            parameters: vec![Parameter::required(Location::Header, "x-api-key")],
            models,
            ..MethodRules::default()
        }
    }

    #[test]
    fn rest_and_http_api_events_read_alike() {
        let rest = json!({
            "httpMethod": "POST", "path": "/items",
            "headers": {"X-Api-Key": "k", "Content-Type": "application/json"},
            "queryStringParameters": {"page": "2"},
            "pathParameters": null,
            "body": "eyJuYW1lIjogIngifQ==", "isBase64Encoded": true
        });
        let v1 = ProxyRequest::from_event(&rest).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(v1.version, ProxyVersion::Rest);
        assert_eq!(v1.header("x-api-key"), Some("k"));
        assert_eq!(v1.query("page"), Some("2"));
        assert_eq!(v1.body(), br#"{"name": "x"}"#);
        let http = json!({
            "version": "2.0", "rawPath": "/items",
            "requestContext": {"http": {"method": "POST"}, "requestId": "r-1"},
            "headers": {"x-api-key": "k", "content-type": "application/json"},
            "body": "{\"name\": 1}", "isBase64Encoded": false
        });
        let v2 = ProxyRequest::from_event(&http).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (v2.version, v2.method.as_str(), v2.path.as_str()),
            (ProxyVersion::Http, "POST", "/items")
        );
        assert!(check_proxy_event(&rest, &rules(), &GatewayResponses::default()).is_ok());
        let refused = check_proxy_event(&http, &rules(), &GatewayResponses::default());
        let refused = refused.err().unwrap_or_else(|| panic!("accepted"));
        assert_eq!(refused["statusCode"], 400);
        assert_eq!(refused["body"], r#"{"message": "Invalid request body"}"#);
        assert_eq!(
            refused["headers"]["x-amzn-ErrorType"],
            "BadRequestException"
        );
        assert_eq!(
            ProxyRequest::from_event(&json!({"Records": []})).err(),
            Some(EventError::NotProxy)
        );
    }

    #[test]
    fn sqs_records_that_break_the_model_become_batch_item_failures() {
        let event = json!({"Records": [
            {"messageId": "m-1", "eventSource": "aws:sqs", "body": "{\"name\": \"ok\"}"},
            {"messageId": "m-2", "eventSource": "aws:sqs", "body": "{\"name\": 2}"},
            {"messageId": "m-3", "eventSource": "aws:sqs", "body": "not json"},
            {"messageId": "m-4", "eventSource": "aws:sqs", "body": "{\"name\": 1, \"name\": \"ok\"}"}
        ]});
        let report = check_records(&event, &model()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((report.kind, report.records), (RecordKind::Sqs, 4));
        assert_eq!(
            report.batch_item_failures(),
            json!({"batchItemFailures": [
                {"itemIdentifier": "m-2"}, {"itemIdentifier": "m-3"}, {"itemIdentifier": "m-4"}
            ]})
        );
        assert_eq!(report.failures[0].violations[0].pointer, "/name");
        assert_eq!(
            report.failures[2].violations[0].message,
            "member name \"name\" appears more than once"
        );
        // Read by its last value when asked: the record is valid.
        let report = check_records_with(&event, &model(), DuplicateKeys::Last)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(report.failures.len(), 2);
    }

    #[test]
    fn sns_messages_and_eventbridge_details_are_checked() {
        let sns = json!({"Records": [{"EventSource": "aws:sns", "Sns": {"MessageId": "s-1", "Message": "{}"}}]});
        let report = check_records(&sns, &model()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(report.kind, RecordKind::Sns);
        assert_eq!(report.failures[0].id, "s-1");
        let bridge = json!({"id": "e-1", "source": "app", "detail-type": "Created", "detail": {"name": "x"}});
        let report = check_records(&bridge, &model()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(report.kind, RecordKind::EventBridge);
        assert!(report.all_valid());
        assert_eq!(
            check_records(&json!({"foo": 1}), &model()).err(),
            Some(EventError::UnknownKind)
        );
    }
}
