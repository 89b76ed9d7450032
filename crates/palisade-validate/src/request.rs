//! Request validators as API Gateway defines them: a validator checks the
//! body, the required parameters, or both, against a method's models and
//! parameter list, and a failed check becomes a gateway response.

use std::sync::Arc;

use serde_json::Value;

use crate::document::{DuplicateKeys, parse_document};
use crate::model::{Model, Violation};
use crate::response::ResponseType;

/// API Gateway's request validator: which parts of a request it checks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Validator {
    /// `validateRequestBody`
    pub body: bool,
    /// `validateRequestParameters`
    pub parameters: bool,
}

/// Where a parameter is read from (`method.request.<location>.<name>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Location {
    Path,
    QueryString,
    Header,
}

impl Location {
    /// The name API Gateway uses in `method.request.<location>.<name>`.
    pub fn as_str(self) -> &'static str {
        match self {
            Location::Path => "path",
            Location::QueryString => "querystring",
            Location::Header => "header",
        }
    }

    pub fn parse(text: &str) -> Option<Location> {
        Some(match text {
            "path" => Location::Path,
            "querystring" | "query" => Location::QueryString,
            "header" => Location::Header,
            _ => return None,
        })
    }
}

/// The value a typed parameter must have. API Gateway only checks that a
/// required parameter is present and not blank; these go further.
#[derive(Clone, Debug, PartialEq)]
pub enum ParamType {
    Integer,
    Number,
    Boolean,
}

/// One declared request parameter.
#[derive(Clone, Debug)]
pub struct Parameter {
    pub location: Location,
    pub name: String,
    pub required: bool,
    pub kind: Option<ParamType>,
    pub allowed: Vec<String>,
    pub pattern: Option<regex::Regex>,
}

impl Parameter {
    /// A required parameter with no further checks, as API Gateway declares them.
    pub fn required(location: Location, name: &str) -> Parameter {
        Parameter {
            location,
            name: name.to_string(),
            required: true,
            kind: None,
            allowed: Vec::new(),
            pattern: None,
        }
    }

    /// Why `value` does not fit this parameter, if it does not.
    fn mismatch(&self, value: &str) -> Option<String> {
        let expected = match self.kind {
            Some(ParamType::Integer) if value.parse::<i64>().is_err() => Some("an integer"),
            Some(ParamType::Number) if value.parse::<f64>().map_or(true, |n| !n.is_finite()) => {
                Some("a number")
            }
            Some(ParamType::Boolean) if value != "true" && value != "false" => {
                Some("true or false")
            }
            _ => None,
        };
        if let Some(expected) = expected {
            return Some(format!("{} must be {expected}", self.name));
        }
        if !self.allowed.is_empty() && !self.allowed.iter().any(|a| a == value) {
            return Some(format!(
                "{} must be one of [{}]",
                self.name,
                self.allowed.join(", ")
            ));
        }
        if let Some(pattern) = &self.pattern
            && !pattern.is_match(value)
        {
            return Some(format!("{} must match {}", self.name, pattern.as_str()));
        }
        None
    }
}

/// The first value named `name` (exact match) among name-value pairs.
pub fn lookup<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// A query string's pairs, decoded (`+` is a space), in order; a name
/// without `=` has an empty value.
pub fn query_pairs(query: &str) -> Vec<(String, String)> {
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(&s.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    };
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// What a validator needs to know of a request. The gateway implements it
/// over hyper requests, the event module over Lambda events.
pub trait Request {
    /// The first value of a header; names are case-insensitive.
    fn header(&self, name: &str) -> Option<&str>;
    /// The first value of a query-string parameter, decoded.
    fn query(&self, name: &str) -> Option<&str>;
    /// A path parameter bound by the route template.
    fn path_parameter(&self, name: &str) -> Option<&str>;
    fn body(&self) -> &[u8];
}

/// Models keyed by media type, as in a method's `requestModels`; `$default`
/// stands for any type without a model of its own.
#[derive(Clone, Debug, Default)]
pub struct Models {
    by_type: Vec<(String, Arc<Model>)>,
    default: Option<Arc<Model>>,
}

impl Models {
    /// One model for every content type.
    pub fn single(model: Arc<Model>) -> Models {
        Models {
            by_type: Vec::new(),
            default: Some(model),
        }
    }

    /// Adds a model for `media_type` (`$default` sets the fallback).
    pub fn insert(&mut self, media_type: &str, model: Arc<Model>) {
        if media_type == "$default" {
            self.default = Some(model);
        } else {
            self.by_type.push((media_type.to_ascii_lowercase(), model));
        }
    }

    pub fn is_empty(&self) -> bool {
        self.by_type.is_empty() && self.default.is_none()
    }

    /// The model for a Content-Type header value. Parameters such as
    /// `charset` are ignored; a missing header means `application/json`, as
    /// API Gateway assumes.
    pub fn for_content_type(&self, content_type: Option<&str>) -> Option<&Arc<Model>> {
        let media_type = content_type
            .and_then(|c| c.split(';').next())
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .unwrap_or("application/json");
        self.by_type
            .iter()
            .find(|(t, _)| t.eq_ignore_ascii_case(media_type))
            .map(|(_, m)| m)
            .or(self.default.as_ref())
    }
}

/// What to do with a body whose Content-Type has no model.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ContentTypeMismatch {
    /// 415 Unsupported Media Type: a model cannot be dodged by sending
    /// `text/plain`.
    #[default]
    Reject,
    /// API Gateway's behaviour: no model, no check.
    Pass,
}

/// Everything checked for one method.
#[derive(Clone, Debug, Default)]
pub struct MethodRules {
    pub validator: Validator,
    pub parameters: Vec<Parameter>,
    pub models: Models,
    pub content_type_mismatch: ContentTypeMismatch,
    /// What a body with a member name repeated in one object gets.
    pub duplicate_keys: DuplicateKeys,
}

/// Why a request was turned away.
#[derive(Clone, Debug, PartialEq)]
pub enum Rejection {
    /// Required parameters absent or blank, in declaration order.
    MissingParameters(Vec<String>),
    /// Typed parameter checks that failed.
    InvalidParameters(Vec<String>),
    /// The body breaks its model (or is not JSON at all).
    InvalidBody(Vec<Violation>),
    /// A body whose media type has no model.
    UnsupportedMediaType(String),
}

impl Rejection {
    /// The gateway response API Gateway would send.
    pub fn response_type(&self) -> ResponseType {
        match self {
            Rejection::MissingParameters(_) | Rejection::InvalidParameters(_) => {
                ResponseType::BadRequestParameters
            }
            Rejection::InvalidBody(_) => ResponseType::BadRequestBody,
            Rejection::UnsupportedMediaType(_) => ResponseType::UnsupportedMediaType,
        }
    }

    /// `$context.error.message`, word for word as API Gateway puts it.
    pub fn message(&self) -> String {
        match self {
            Rejection::MissingParameters(names) => format!(
                "Missing required request parameters: [{}]",
                names.join(", ")
            ),
            Rejection::InvalidParameters(_) => "Invalid request parameters".to_string(),
            Rejection::InvalidBody(_) => "Invalid request body".to_string(),
            Rejection::UnsupportedMediaType(_) => "Unsupported Media Type".to_string(),
        }
    }

    /// Each problem as a pointer and a message (detailed mode).
    pub fn violations(&self) -> Vec<Violation> {
        match self {
            Rejection::MissingParameters(names) => names
                .iter()
                .map(|n| Violation {
                    pointer: String::new(),
                    message: format!("missing required request parameter {n}"),
                })
                .collect(),
            Rejection::InvalidParameters(problems) => problems
                .iter()
                .map(|p| Violation {
                    pointer: String::new(),
                    message: p.clone(),
                })
                .collect(),
            Rejection::InvalidBody(violations) => violations.clone(),
            Rejection::UnsupportedMediaType(media_type) => vec![Violation {
                pointer: String::new(),
                message: format!("no model for content type {media_type}"),
            }],
        }
    }

    /// `$context.error.validationErrorString`: the violations as API Gateway
    /// lists them, `[first, second]`.
    pub fn validation_error_string(&self) -> String {
        let items: Vec<String> = self
            .violations()
            .into_iter()
            .map(|v| {
                if v.pointer.is_empty() {
                    v.message
                } else {
                    format!("{}: {}", v.pointer, v.message)
                }
            })
            .collect();
        format!("[{}]", items.join(", "))
    }
}

/// How much a rejection says about an invalid body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detail {
    /// Every violation, with its pointer and message.
    Full,
    /// Only that the body is invalid: cheaper, for responses that do not
    /// show the violations (API Gateway's default).
    Verdict,
}

impl MethodRules {
    /// Checks parameters, then the body, as API Gateway orders them.
    pub fn check(&self, request: &dyn Request) -> Result<(), Rejection> {
        self.check_with(request, Detail::Full)
    }

    /// [`MethodRules::check`], listing body violations only when `detail`
    /// asks for them.
    pub fn check_with(&self, request: &dyn Request, detail: Detail) -> Result<(), Rejection> {
        if self.validator.parameters {
            self.check_parameters(request)?;
        }
        if self.validator.body {
            self.check_body(request, detail)?;
        }
        Ok(())
    }

    fn check_parameters(&self, request: &dyn Request) -> Result<(), Rejection> {
        let mut missing = Vec::new();
        let mut invalid = Vec::new();
        for parameter in &self.parameters {
            let value = match parameter.location {
                Location::Path => request.path_parameter(&parameter.name),
                Location::QueryString => request.query(&parameter.name),
                Location::Header => request.header(&parameter.name),
            };
            match value {
                Some(v) if !v.trim().is_empty() => {
                    if let Some(problem) = parameter.mismatch(v) {
                        invalid.push(problem);
                    }
                }
                _ if parameter.required => missing.push(parameter.name.clone()),
                _ => {}
            }
        }
        if !missing.is_empty() {
            return Err(Rejection::MissingParameters(missing));
        }
        if !invalid.is_empty() {
            return Err(Rejection::InvalidParameters(invalid));
        }
        Ok(())
    }

    fn check_body(&self, request: &dyn Request, detail: Detail) -> Result<(), Rejection> {
        if self.models.is_empty() {
            return Ok(());
        }
        let content_type = request.header("content-type");
        let Some(model) = self.models.for_content_type(content_type) else {
            let body = request.body();
            if body.is_empty() || self.content_type_mismatch == ContentTypeMismatch::Pass {
                return Ok(());
            }
            return Err(Rejection::UnsupportedMediaType(
                content_type.unwrap_or_default().to_string(),
            ));
        };
        if model.accepts_json(request.body()) {
            return Ok(());
        }
        let instance = parse_body(request.body(), self.duplicate_keys)
            .map_err(|violation| Rejection::InvalidBody(vec![violation]))?;
        if model.is_valid(&instance) {
            return Ok(());
        }
        Err(Rejection::InvalidBody(match detail {
            Detail::Full => model.violations(&instance),
            Detail::Verdict => Vec::new(),
        }))
    }
}

/// A body as the model sees it. An empty body is JSON `null` for the model
/// to judge; text that is not JSON (or not UTF-8, or nested past serde's
/// recursion limit), or that repeats a member name when `duplicates` says
/// to refuse that, is a violation, never a crash.
fn parse_body(body: &[u8], duplicates: DuplicateKeys) -> Result<Value, Violation> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    if std::str::from_utf8(body).is_err() {
        return Err(Violation {
            pointer: String::new(),
            message: "body is not valid UTF-8".to_string(),
        });
    }
    parse_document(body, duplicates).map_err(|mut violation| {
        if violation.pointer.is_empty() {
            violation.message = format!("body is {}", violation.message);
        }
        violation
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Options;
    use serde_json::json;

    #[derive(Default)]
    struct Fake {
        headers: Vec<(&'static str, &'static str)>,
        query: Vec<(&'static str, &'static str)>,
        body: Vec<u8>,
    }

    impl Request for Fake {
        fn header(&self, name: &str) -> Option<&str> {
            self.headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| *v)
        }
        fn query(&self, name: &str) -> Option<&str> {
            self.query.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
        }
        fn path_parameter(&self, _: &str) -> Option<&str> {
            None
        }
        fn body(&self) -> &[u8] {
            &self.body
        }
    }

    fn rules(body: bool, parameters: bool) -> MethodRules {
        let model = Model::compile(
            &json!({"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}),
            &Options::default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let mut models = Models::default();
        models.insert("application/json", Arc::new(model));
        MethodRules {
            validator: Validator { body, parameters },
            parameters: vec![
                Parameter::required(Location::QueryString, "page"),
                Parameter::required(Location::Header, "x-api-key"),
            ],
            models,
            content_type_mismatch: ContentTypeMismatch::Reject,
            duplicate_keys: DuplicateKeys::Reject,
        }
    }

    #[test]
    fn missing_and_blank_parameters_are_listed_in_declaration_order() {
        let request = Fake {
            headers: vec![("X-Api-Key", "  ")],
            ..Fake::default()
        };
        let rejection = rules(false, true).check(&request);
        let rejection = rejection.err().unwrap_or_else(|| panic!("accepted"));
        assert_eq!(
            rejection.message(),
            "Missing required request parameters: [page, x-api-key]"
        );
        assert_eq!(
            rejection.response_type(),
            ResponseType::BadRequestParameters
        );
    }

    #[test]
    fn a_body_only_validator_ignores_parameters() {
        let request = Fake {
            body: br#"{"name": "Unicorn"}"#.to_vec(),
            ..Fake::default()
        };
        assert_eq!(rules(true, false).check(&request), Ok(()));
        assert!(rules(true, true).check(&request).is_err());
    }

    #[test]
    fn bodies_are_checked_against_the_model_of_their_type() {
        let mut request = Fake {
            headers: vec![("content-type", "application/json; charset=utf-8")],
            body: br#"{"name": 7}"#.to_vec(),
            ..Fake::default()
        };
        let rejection = rules(true, false).check(&request).err();
        let rejection = rejection.unwrap_or_else(|| panic!("accepted"));
        assert_eq!(rejection.message(), "Invalid request body");
        assert_eq!(rejection.violations()[0].pointer, "/name");
        let verdict = rules(true, false).check_with(&request, Detail::Verdict);
        assert_eq!(verdict, Err(Rejection::InvalidBody(Vec::new())));
        // Without a Content-Type the body is taken for JSON.
        request.headers.clear();
        assert!(rules(true, false).check(&request).is_err());
        // Not JSON, not UTF-8, or too deep: an invalid body.
        for body in [&b"{"[..], &b"\xff\xfe"[..], "[".repeat(100_000).as_bytes()] {
            request.body = body.to_vec();
            let rejection = rules(true, false).check(&request).err();
            assert!(matches!(rejection, Some(Rejection::InvalidBody(_))));
        }
    }

    #[test]
    fn a_repeated_member_name_is_refused_unless_the_last_value_is_asked_for() {
        // Checked by its last value, read by a backend that keeps the
        // first: the injection would pass unchecked.
        let request = Fake {
            body: br#"{"name":"2); DROP TABLE Cape;--","name":"Unicorn"}"#.to_vec(),
            ..Fake::default()
        };
        let rejection = rules(true, false).check(&request).err();
        let rejection = rejection.unwrap_or_else(|| panic!("accepted"));
        assert_eq!(rejection.message(), "Invalid request body");
        assert_eq!(
            rejection.validation_error_string(),
            "[/name: member name \"name\" appears more than once]"
        );
        // In a value the model does not look into, too.
        let nested = Fake {
            body: br#"{"name":"a","extra":{"k":1,"k":2}}"#.to_vec(),
            ..Fake::default()
        };
        let rejection = rules(true, false).check(&nested).err();
        assert_eq!(
            rejection.map(|r| r.violations()[0].pointer.clone()),
            Some("/extra/k".to_string())
        );
        let mut looser = rules(true, false);
        looser.duplicate_keys = DuplicateKeys::Last;
        assert_eq!(looser.check(&request), Ok(()));
        assert_eq!(looser.check(&nested), Ok(()));
    }

    #[test]
    fn numbers_past_f64_are_numbers_judged_exactly() {
        let model = Model::compile(
            &serde_json::from_str(
                r#"{"type": "object", "properties": {
                    "n": {"type": "integer", "maximum": 100},
                    "x": {"type": "number"},
                    "m": {"type": "integer", "multipleOf": 5}}}"#,
            )
            .expect("schema"),
            &Options::default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let mut models = Models::default();
        models.insert("application/json", Arc::new(model));
        let rules = MethodRules {
            validator: Validator {
                body: true,
                parameters: false,
            },
            models,
            ..MethodRules::default()
        };
        let digits = |d: char, n: usize| d.to_string().repeat(n);
        let verdict = |body: String| {
            let request = Fake {
                body: body.into_bytes(),
                ..Fake::default()
            };
            rules.check(&request).map_err(|r| r.violations())
        };
        // Valid JSON numbers, not "invalid bodies".
        assert_eq!(verdict(r#"{"x": 1e309}"#.into()), Ok(()));
        assert_eq!(
            verdict(format!(r#"{{"x": -{}}}"#, digits('9', 400))),
            Ok(())
        );
        assert_eq!(
            verdict(format!(r#"{{"n": -{}}}"#, digits('1', 400))),
            Ok(())
        );
        assert_eq!(
            verdict(format!(r#"{{"m": 1{}}}"#, digits('0', 399))),
            Ok(())
        );
        // And compared exactly.
        let over = verdict(format!(r#"{{"n": {}}}"#, digits('1', 400))).expect_err("over");
        assert_eq!(over[0].pointer, "/n");
        let odd = verdict(format!(r#"{{"m": 1{}1}}"#, digits('0', 398))).expect_err("odd");
        assert_eq!(odd[0].pointer, "/m");
        assert!(verdict(r#"{"n": 1e309}"#.into()).is_err());
    }

    #[test]
    fn a_body_without_a_model_for_its_type_is_refused_unless_told_to_pass() {
        let request = Fake {
            headers: vec![("Content-Type", "text/plain")],
            body: b"name=7".to_vec(),
            ..Fake::default()
        };
        let mut strict = rules(true, false);
        assert_eq!(
            strict.check(&request),
            Err(Rejection::UnsupportedMediaType("text/plain".into()))
        );
        strict.content_type_mismatch = ContentTypeMismatch::Pass;
        assert_eq!(strict.check(&request), Ok(()));
        let mut with_default = rules(true, false);
        let any = Model::compile(&json!({"type": "string"}), &Options::default())
            .unwrap_or_else(|e| panic!("{e}"));
        with_default.models.insert("$default", Arc::new(any));
        // text/plain falls to $default, which wants a JSON string.
        assert!(matches!(
            with_default.check(&request),
            Err(Rejection::InvalidBody(_))
        ));
    }

    #[test]
    fn query_strings_decode_in_order() {
        let pairs = query_pairs("a=1&b=x%20y+z&flag&&c=&a=2");
        assert_eq!(
            pairs,
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "x y z".into()),
                ("flag".into(), String::new()),
                ("c".into(), String::new()),
                ("a".into(), "2".into())
            ]
        );
        assert_eq!(lookup(&pairs, "a"), Some("1"));
        assert_eq!(lookup(&pairs, "A"), None);
    }

    #[test]
    fn typed_parameters_are_checked_beyond_presence() {
        let mut rules = rules(false, true);
        rules.parameters = vec![
            Parameter {
                kind: Some(ParamType::Integer),
                ..Parameter::required(Location::QueryString, "page")
            },
            Parameter {
                required: false,
                allowed: vec!["asc".into(), "desc".into()],
                ..Parameter::required(Location::QueryString, "order")
            },
        ];
        let request = Fake {
            query: vec![("page", "two"), ("order", "up")],
            ..Fake::default()
        };
        let rejection = rules.check(&request).err();
        assert_eq!(
            rejection,
            Some(Rejection::InvalidParameters(vec![
                "page must be an integer".into(),
                "order must be one of [asc, desc]".into()
            ]))
        );
        let fine = Fake {
            query: vec![("page", "2")],
            ..Fake::default()
        };
        assert_eq!(rules.check(&fine), Ok(()));
    }
}
