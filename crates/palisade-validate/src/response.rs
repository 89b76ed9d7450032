//! Gateway responses: what the gateway itself answers (a rejected request,
//! an unreachable upstream), by API Gateway's response types, each
//! customizable with a status, headers and a body template.

use std::collections::HashMap;

use crate::model::Violation;

/// API Gateway's gateway response types that a validating gateway produces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResponseType {
    BadRequestBody,
    BadRequestParameters,
    UnsupportedMediaType,
    RequestTooLarge,
    ResourceNotFound,
    WafFiltered,
    Throttled,
    RequestTimeout,
    HeadersTooLarge,
    IntegrationFailure,
    IntegrationTimeout,
    Default4xx,
    Default5xx,
}

impl ResponseType {
    pub const ALL: [ResponseType; 13] = [
        ResponseType::BadRequestBody,
        ResponseType::BadRequestParameters,
        ResponseType::UnsupportedMediaType,
        ResponseType::RequestTooLarge,
        ResponseType::ResourceNotFound,
        ResponseType::WafFiltered,
        ResponseType::Throttled,
        ResponseType::RequestTimeout,
        ResponseType::HeadersTooLarge,
        ResponseType::IntegrationFailure,
        ResponseType::IntegrationTimeout,
        ResponseType::Default4xx,
        ResponseType::Default5xx,
    ];

    /// The name in API Gateway's configuration (`BAD_REQUEST_BODY`).
    pub fn name(self) -> &'static str {
        match self {
            ResponseType::BadRequestBody => "BAD_REQUEST_BODY",
            ResponseType::BadRequestParameters => "BAD_REQUEST_PARAMETERS",
            ResponseType::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            ResponseType::RequestTooLarge => "REQUEST_TOO_LARGE",
            ResponseType::ResourceNotFound => "RESOURCE_NOT_FOUND",
            ResponseType::WafFiltered => "WAF_FILTERED",
            ResponseType::Throttled => "THROTTLED",
            ResponseType::RequestTimeout => "REQUEST_TIMEOUT",
            ResponseType::HeadersTooLarge => "REQUEST_HEADER_FIELDS_TOO_LARGE",
            ResponseType::IntegrationFailure => "INTEGRATION_FAILURE",
            ResponseType::IntegrationTimeout => "INTEGRATION_TIMEOUT",
            ResponseType::Default4xx => "DEFAULT_4XX",
            ResponseType::Default5xx => "DEFAULT_5XX",
        }
    }

    pub fn parse(name: &str) -> Option<ResponseType> {
        ResponseType::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The status API Gateway answers with when none is configured.
    pub fn default_status(self) -> u16 {
        match self {
            ResponseType::BadRequestBody
            | ResponseType::BadRequestParameters
            | ResponseType::Default4xx => 400,
            ResponseType::UnsupportedMediaType => 415,
            ResponseType::RequestTooLarge => 413,
            ResponseType::ResourceNotFound => 404,
            ResponseType::WafFiltered => 403,
            ResponseType::Throttled => 429,
            ResponseType::RequestTimeout => 408,
            ResponseType::HeadersTooLarge => 431,
            ResponseType::IntegrationFailure => 502,
            ResponseType::IntegrationTimeout => 504,
            ResponseType::Default5xx => 500,
        }
    }

    /// The default `$context.error.message` when the cause adds nothing.
    pub fn default_message(self) -> &'static str {
        match self {
            ResponseType::BadRequestBody => "Invalid request body",
            ResponseType::BadRequestParameters => "Invalid request parameters",
            ResponseType::UnsupportedMediaType => "Unsupported Media Type",
            ResponseType::RequestTooLarge => "Request Too Long",
            ResponseType::ResourceNotFound => "Not Found",
            ResponseType::WafFiltered => "Forbidden",
            ResponseType::Throttled => "Too Many Requests",
            ResponseType::RequestTimeout => "Request Timeout",
            ResponseType::HeadersTooLarge => "Request Header Fields Too Large",
            ResponseType::IntegrationFailure => "Internal server error",
            ResponseType::IntegrationTimeout => "Endpoint request timed out",
            ResponseType::Default4xx => "Bad Request",
            ResponseType::Default5xx => "Internal server error",
        }
    }

    /// The `DEFAULT_4XX` / `DEFAULT_5XX` type this one falls back to.
    fn family(self) -> ResponseType {
        if self.default_status() >= 500 {
            ResponseType::Default5xx
        } else {
            ResponseType::Default4xx
        }
    }
}

/// API Gateway's default body template.
pub const DEFAULT_TEMPLATE: &str = r#"{"message": $context.error.messageString}"#;

/// The default template in detailed mode: each violation is listed.
pub const DETAILED_TEMPLATE: &str =
    r#"{"message": $context.error.messageString, "errors": $context.error.violations}"#;

/// One configured gateway response. Unset parts keep API Gateway's defaults.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GatewayResponse {
    pub status: Option<u16>,
    pub headers: Vec<(String, String)>,
    pub template: Option<String>,
}

/// What a template can refer to.
#[derive(Clone, Debug, Default)]
pub struct ErrorContext<'a> {
    pub message: &'a str,
    pub violations: &'a [Violation],
    pub validation_error_string: &'a str,
    pub request_id: &'a str,
}

/// A gateway response ready to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// The gateway responses of one API.
#[derive(Clone, Debug, Default)]
pub struct GatewayResponses {
    configured: HashMap<ResponseType, GatewayResponse>,
    /// List each violation in the default template of 400 responses.
    pub detailed: bool,
}

impl GatewayResponses {
    /// Whether any response shows the violations (detailed mode, or a
    /// template or header using `validationErrorString` or `violations`);
    /// when none does, validation can stop at the verdict.
    pub fn shows_violations(&self) -> bool {
        let uses = |text: &str| {
            text.contains("$context.error.validationErrorString")
                || text.contains("$context.error.violations")
        };
        self.detailed
            || self.configured.values().any(|r| {
                r.template.as_deref().is_some_and(uses) || r.headers.iter().any(|(_, v)| uses(v))
            })
    }

    pub fn set(&mut self, kind: ResponseType, response: GatewayResponse) {
        self.configured.insert(kind, response);
    }

    /// The response for `kind`: its own configuration, else its family's
    /// (`DEFAULT_4XX` / `DEFAULT_5XX`), else API Gateway's default. Every
    /// response carries `x-amzn-ErrorType`, as API Gateway's do.
    pub fn render(&self, kind: ResponseType, context: &ErrorContext<'_>) -> Rendered {
        let own = self.configured.get(&kind);
        let family = self.configured.get(&kind.family());
        let status = own
            .and_then(|r| r.status)
            .or(family.and_then(|r| r.status))
            .unwrap_or(kind.default_status());
        let detailed_default = self.detailed
            && matches!(
                kind,
                ResponseType::BadRequestBody | ResponseType::BadRequestParameters
            );
        let template = own
            .and_then(|r| r.template.as_deref())
            .or(family.and_then(|r| r.template.as_deref()))
            .unwrap_or(if detailed_default {
                DETAILED_TEMPLATE
            } else {
                DEFAULT_TEMPLATE
            });
        let mut headers = vec![
            ("content-type".to_string(), "application/json".to_string()),
            (
                "x-amzn-ErrorType".to_string(),
                error_type(status).to_string(),
            ),
        ];
        for (name, value) in family.into_iter().chain(own).flat_map(|r| r.headers.iter()) {
            headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
            headers.push((name.clone(), substitute(value, context, false)));
        }
        Rendered {
            status,
            headers,
            body: substitute(template, context, true),
        }
    }
}

/// API Gateway's `x-amzn-ErrorType` for a status.
fn error_type(status: u16) -> &'static str {
    match status {
        400 => "BadRequestException",
        403 => "ForbiddenException",
        404 => "NotFoundException",
        408 => "RequestTimeoutException",
        413 => "RequestTooLargeException",
        415 => "UnsupportedMediaTypeException",
        429 => "TooManyRequestsException",
        431 => "RequestHeaderFieldsTooLargeException",
        502 => "BadGatewayException",
        504 => "GatewayTimeoutException",
        s if s >= 500 => "InternalServerErrorException",
        _ => "BadRequestException",
    }
}

/// Replaces `$context.*` variables. String values are JSON-escaped in
/// bodies, so a quoted variable cannot break out of its string;
/// `messageString` comes with its quotes, and `violations` is a JSON array.
fn substitute(template: &str, context: &ErrorContext<'_>, json: bool) -> String {
    const VARIABLES: [&str; 5] = [
        "$context.error.messageString",
        "$context.error.message",
        "$context.error.validationErrorString",
        "$context.error.violations",
        "$context.requestId",
    ];
    let escape = |s: &str| {
        if json {
            let quoted = serde_json::Value::from(s).to_string();
            quoted[1..quoted.len() - 1].to_string()
        } else {
            s.to_string()
        }
    };
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(at) = rest.find("$context.") {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        // Longest name first: `message` is a prefix of `messageString`.
        let Some(name) = VARIABLES.iter().find(|v| rest.starts_with(**v)) else {
            out.push('$');
            rest = &rest[1..];
            continue;
        };
        match *name {
            "$context.error.messageString" => {
                out.push_str(&serde_json::Value::from(context.message).to_string());
            }
            "$context.error.message" => out.push_str(&escape(context.message)),
            "$context.error.validationErrorString" => {
                out.push_str(&escape(context.validation_error_string));
            }
            "$context.error.violations" => {
                let list: Vec<serde_json::Value> = context
                    .violations
                    .iter()
                    .map(|v| serde_json::json!({"pointer": v.pointer, "message": v.message}))
                    .collect();
                out.push_str(&serde_json::Value::from(list).to_string());
            }
            _ => out.push_str(&escape(context.request_id)),
        }
        rest = &rest[name.len()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context<'a>(message: &'a str, violations: &'a [Violation]) -> ErrorContext<'a> {
        ErrorContext {
            message,
            violations,
            validation_error_string: "[/cape: \"x\" does not match \"^[0-9]+$\"]",
            request_id: "req-1",
        }
    }

    #[test]
    fn defaults_are_api_gateways_bytes() {
        let responses = GatewayResponses::default();
        let rendered = responses.render(
            ResponseType::BadRequestBody,
            &context("Invalid request body", &[]),
        );
        assert_eq!(rendered.status, 400);
        assert_eq!(rendered.body, r#"{"message": "Invalid request body"}"#);
        assert!(
            rendered
                .headers
                .contains(&("x-amzn-ErrorType".into(), "BadRequestException".into()))
        );
        let missing = responses.render(
            ResponseType::BadRequestParameters,
            &context("Missing required request parameters: [a, b]", &[]),
        );
        assert_eq!(
            missing.body,
            r#"{"message": "Missing required request parameters: [a, b]"}"#
        );
    }

    #[test]
    fn templates_substitute_escaped_context_variables() {
        let mut responses = GatewayResponses::default();
        responses.set(
            ResponseType::BadRequestBody,
            GatewayResponse {
                status: Some(422),
                headers: vec![("x-request".into(), "$context.requestId".into())],
                template: Some(
                    r#"{"error": "$context.error.validationErrorString", "id": "$context.requestId"}"#
                        .into(),
                ),
            },
        );
        let rendered = responses.render(
            ResponseType::BadRequestBody,
            &context("Invalid request body", &[]),
        );
        assert_eq!(rendered.status, 422);
        assert_eq!(
            rendered.body,
            r#"{"error": "[/cape: \"x\" does not match \"^[0-9]+$\"]", "id": "req-1"}"#
        );
        let parsed: serde_json::Value =
            serde_json::from_str(&rendered.body).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(parsed["id"], "req-1");
        assert!(
            rendered
                .headers
                .contains(&("x-request".into(), "req-1".into()))
        );
    }

    #[test]
    fn a_family_default_applies_to_its_members_without_their_own() {
        let mut responses = GatewayResponses::default();
        responses.set(
            ResponseType::Default4xx,
            GatewayResponse {
                headers: vec![("access-control-allow-origin".into(), "*".into())],
                ..GatewayResponse::default()
            },
        );
        let rendered = responses.render(
            ResponseType::RequestTooLarge,
            &context("Request Too Long", &[]),
        );
        assert_eq!(rendered.status, 413);
        assert!(
            rendered
                .headers
                .iter()
                .any(|(n, _)| n == "access-control-allow-origin")
        );
        let server = responses.render(ResponseType::IntegrationFailure, &context("x", &[]));
        assert!(
            !server
                .headers
                .iter()
                .any(|(n, _)| n == "access-control-allow-origin")
        );
    }

    #[test]
    fn detailed_mode_lists_each_violation() {
        let responses = GatewayResponses {
            detailed: true,
            ..GatewayResponses::default()
        };
        let violations = [Violation {
            pointer: "/cape".into(),
            message: "not digits".into(),
        }];
        let rendered = responses.render(
            ResponseType::BadRequestBody,
            &context("Invalid request body", &violations),
        );
        assert_eq!(
            rendered.body,
            r#"{"message": "Invalid request body", "errors": [{"message":"not digits","pointer":"/cape"}]}"#
        );
    }
}
