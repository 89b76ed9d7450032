//! The gateway's YAML configuration: read, substituted from the environment,
//! checked in full (every problem is reported with its JSON pointer, not just
//! the first), and compiled into routes ready to serve.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use palisade_validate::{
    ContentTypeMismatch, DuplicateKeys, GatewayResponse, GatewayResponses, Location, MethodRules,
    Model, Models, Options, ParamType, Parameter, ResponseType, Validator,
};
use serde_json::Value;

use crate::error::Error;
use crate::reader::{Reader, kind, parse_yaml, read_limited, substitute_env, token};
use crate::route::{Method, PathTemplate};

/// How requests reach an upstream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpstreamMode {
    /// Plain HTTP reverse proxying.
    Http,
    /// The request becomes an API Gateway REST (v1) proxy event POSTed to a
    /// function's invoke URL; the function's answer is mapped back.
    LambdaProxy,
}

#[derive(Clone, Debug)]
pub struct Upstream {
    pub name: String,
    pub url: http::Uri,
    pub mode: UpstreamMode,
    pub timeout: Duration,
}

/// One method on one path, with what is checked before it is forwarded.
#[derive(Clone, Debug)]
pub struct Route {
    /// `POST /customizations`: the route's name in logs and metrics.
    pub name: String,
    pub method: Method,
    pub path: PathTemplate,
    pub upstream: usize,
    pub rules: MethodRules,
    /// Rewrites the upstream path (OpenAPI integrations name the backend
    /// URL's path, with `{param}`s bound from the request path).
    pub upstream_path: Option<String>,
}

/// Where access log lines go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccessLog {
    Off,
    Stdout,
    Stderr,
    File(PathBuf),
}

#[derive(Clone, Debug)]
pub struct Limits {
    pub max_body_bytes: u64,
    /// The most request-body bytes held at once across all connections.
    pub max_buffered_bytes: u64,
    pub max_header_bytes: usize,
    pub header_read_timeout: Duration,
    pub body_read_timeout: Duration,
    pub upstream_timeout: Duration,
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    /// API Gateway's 10 MB payload limit and 29 s integration timeout.
    fn default() -> Limits {
        Limits {
            max_body_bytes: 10 << 20,
            max_buffered_bytes: 256 << 20,
            max_header_bytes: 64 << 10,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            upstream_timeout: Duration::from_secs(29),
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

/// A checked, compiled configuration.
#[derive(Debug)]
pub struct Config {
    pub file: PathBuf,
    pub listen: SocketAddr,
    pub admin: Option<SocketAddr>,
    pub upstreams: Vec<Upstream>,
    pub routes: Vec<Route>,
    pub responses: GatewayResponses,
    pub limits: Limits,
    pub access_log: AccessLog,
    /// Files whose change reloads the configuration.
    pub watched: Vec<PathBuf>,
    /// The web ACL evaluated before routing.
    pub waf: Option<crate::waf::Waf>,
    /// What loaded but does not do all it says here (a managed group that
    /// needs AWS's data, an unknown field in the web ACL): reported at
    /// start, on reload and by `--check`.
    pub warnings: Vec<String>,
}

impl Config {
    /// Reads, substitutes `${VAR:-default}` from `env` and compiles `file`.
    pub fn load(file: &Path, env: &dyn Fn(&str) -> Option<String>) -> Result<Config, Error> {
        let text = read_limited(file)?;
        Config::parse(&text, file, env)
    }

    /// Compiles configuration `text` as if read from `file` (models and the
    /// OpenAPI document are read relative to it).
    pub fn parse(
        text: &str,
        file: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, Error> {
        let origin = file.display().to_string();
        let mut document = parse_yaml(text, &origin)?;
        let mut reader = Reader::new(&origin);
        substitute_env(&mut document, "", env, &mut reader);
        let base = file.parent().unwrap_or(Path::new(".")).to_path_buf();
        let config = compile(&document, file, &base, &mut reader);
        match config {
            Some(config) if reader.problems.is_empty() => Ok(config),
            _ => Err(Error::Invalid {
                problems: reader.problems,
            }),
        }
    }

    pub fn route(&self, index: usize) -> &Route {
        &self.routes[index]
    }
}

const TOP: &[&str] = &[
    "listen",
    "admin",
    "upstreams",
    "models",
    "validators",
    "routes",
    "validation",
    "openapi",
    "waf",
    "gateway_responses",
    "limits",
    "access_log",
];

/// Checks the whole document; `None` when it cannot be used.
fn compile(document: &Value, file: &Path, base: &Path, reader: &mut Reader) -> Option<Config> {
    let top = reader.object(document, "", Some(TOP))?;
    let listen = match top.get("listen") {
        Some(v) => socket(v, "/listen", reader),
        None => {
            reader.problem("", "missing listen (e.g. listen: 127.0.0.1:8080)");
            None
        }
    };
    let admin = top.get("admin").and_then(|v| socket(v, "/admin", reader));
    let limits = top
        .get("limits")
        .map(|v| limits(v, reader))
        .unwrap_or_default();
    let access_log = match top.get("access_log") {
        None => AccessLog::Stdout,
        Some(v) => match reader.string(v, "/access_log") {
            Some("off") => AccessLog::Off,
            Some("stdout") | Some("-") => AccessLog::Stdout,
            Some("stderr") => AccessLog::Stderr,
            Some(path) => AccessLog::File(base.join(path)),
            None => AccessLog::Off,
        },
    };
    let mut api = Api::default();
    api.validation(top.get("validation"), reader);
    api.upstreams(top.get("upstreams"), limits.upstream_timeout, reader);
    api.validators(top.get("validators"), reader);
    let mut watched = vec![file.to_path_buf()];
    let waf = top
        .get("waf")
        .and_then(|v| crate::waf::section(v, base, &mut watched, reader));
    api.models(top.get("models"), base, &mut watched, reader);
    if let Some(v) = top.get("openapi") {
        api.openapi(v, base, limits.upstream_timeout, &mut watched, reader);
    }
    api.routes(top.get("routes"), reader);
    let responses = gateway_responses(top.get("gateway_responses"), api.detailed, reader);
    api.check_duplicates(reader);
    Some(Config {
        file: file.to_path_buf(),
        listen: listen?,
        admin,
        upstreams: api.upstreams,
        routes: api.routes,
        responses,
        limits,
        access_log,
        watched,
        warnings: waf
            .as_ref()
            .map(|w| w.evaluator.warnings().to_vec())
            .unwrap_or_default(),
        waf,
    })
}

fn socket(value: &Value, pointer: &str, reader: &mut Reader) -> Option<SocketAddr> {
    let text = reader.string(value, pointer)?;
    let parsed = text.parse().ok();
    if parsed.is_none() {
        reader.problem(
            pointer,
            format!("{text:?} is not an address and port such as 127.0.0.1:8080"),
        );
    }
    parsed
}

fn limits(value: &Value, reader: &mut Reader) -> Limits {
    const KNOWN: &[&str] = &[
        "max_body_bytes",
        "max_buffered_bytes",
        "max_header_bytes",
        "header_read_timeout_ms",
        "body_read_timeout_ms",
        "upstream_timeout_ms",
        "shutdown_grace_ms",
    ];
    let mut limits = Limits::default();
    let Some(map) = reader.object(value, "/limits", Some(KNOWN)) else {
        return limits;
    };
    for (key, v) in map {
        let pointer = format!("/limits/{key}");
        let Some(n) = reader.number(v, &pointer) else {
            continue;
        };
        let ms = Duration::from_millis(n);
        match key.as_str() {
            "max_body_bytes" => limits.max_body_bytes = n,
            "max_buffered_bytes" => limits.max_buffered_bytes = n,
            "max_header_bytes" if n < 8192 => {
                reader.problem(&pointer, "at least 8192 bytes");
            }
            "max_header_bytes" => limits.max_header_bytes = n as usize,
            "header_read_timeout_ms" => limits.header_read_timeout = ms,
            "body_read_timeout_ms" => limits.body_read_timeout = ms,
            "upstream_timeout_ms" => limits.upstream_timeout = ms,
            "shutdown_grace_ms" => limits.shutdown_grace = ms,
            _ => {}
        }
    }
    if limits.max_buffered_bytes < limits.max_body_bytes {
        reader.problem(
            "/limits/max_buffered_bytes",
            format!(
                "{} is less than max_body_bytes ({}): no body of the largest allowed size could be read",
                limits.max_buffered_bytes, limits.max_body_bytes
            ),
        );
    }
    limits
}

fn gateway_responses(
    value: Option<&Value>,
    detailed: bool,
    reader: &mut Reader,
) -> GatewayResponses {
    let mut responses = GatewayResponses::default();
    responses.detailed = detailed;
    let Some(map) = value.and_then(|v| reader.object(v, "/gateway_responses", None)) else {
        return responses;
    };
    for (name, v) in map {
        let pointer = format!("/gateway_responses/{}", token(name));
        let Some(kind) = ResponseType::parse(name) else {
            let known: Vec<&str> = ResponseType::ALL.iter().map(|t| t.name()).collect();
            reader.problem(
                &pointer,
                format!(
                    "unknown gateway response type {name:?} (known: {})",
                    known.join(", ")
                ),
            );
            continue;
        };
        let Some(fields) = reader.object(v, &pointer, Some(&["status", "headers", "template"]))
        else {
            continue;
        };
        let mut response = GatewayResponse::default();
        if let Some(s) = fields.get("status") {
            match reader.number(s, &format!("{pointer}/status")) {
                Some(n @ 100..=599) => response.status = Some(n as u16),
                Some(n) => reader.problem(
                    &format!("{pointer}/status"),
                    format!("{n} is not an HTTP status"),
                ),
                None => {}
            }
        }
        if let Some(h) = fields.get("headers")
            && let Some(headers) = reader.object(h, &format!("{pointer}/headers"), None)
        {
            for (header, value) in headers {
                let at = format!("{pointer}/headers/{}", token(header));
                if http::HeaderName::from_bytes(header.as_bytes()).is_err() {
                    reader.problem(&at, format!("{header:?} is not a header name"));
                }
                if let Some(value) = reader.string(value, &at) {
                    response.headers.push((header.clone(), value.to_string()));
                }
            }
        }
        if let Some(t) = fields.get("template") {
            response.template = reader
                .string(t, &format!("{pointer}/template"))
                .map(str::to_string);
        }
        responses.set(kind, response);
    }
    responses
}

/// What routes are built from: the configuration's own sections and, when
/// given, an OpenAPI document's.
#[derive(Default)]
pub(crate) struct Api {
    pub(crate) upstreams: Vec<Upstream>,
    pub(crate) models: HashMap<String, Arc<Model>>,
    pub(crate) validators: HashMap<String, Validator>,
    pub(crate) routes: Vec<Route>,
    pub(crate) mismatch: ContentTypeMismatch,
    pub(crate) duplicate_keys: DuplicateKeys,
    pub(crate) detailed: bool,
    /// Where each route came from, for duplicate reports.
    pub(crate) route_pointers: Vec<String>,
}

impl Api {
    fn validation(&mut self, value: Option<&Value>, reader: &mut Reader) {
        let Some(map) = value.and_then(|v| {
            reader.object(
                v,
                "/validation",
                Some(&["content_type_mismatch", "duplicate_keys", "detailed_errors"]),
            )
        }) else {
            return;
        };
        if let Some(v) = map.get("content_type_mismatch") {
            match reader.string(v, "/validation/content_type_mismatch") {
                Some("reject") => self.mismatch = ContentTypeMismatch::Reject,
                Some("pass") => self.mismatch = ContentTypeMismatch::Pass,
                Some(other) => reader.problem(
                    "/validation/content_type_mismatch",
                    format!("{other:?}: expected reject or pass"),
                ),
                None => {}
            }
        }
        if let Some(v) = map.get("duplicate_keys") {
            let at = "/validation/duplicate_keys";
            if let Some(word) = reader.string(v, at) {
                match DuplicateKeys::parse(word) {
                    Some(policy) => self.duplicate_keys = policy,
                    None => reader.problem(at, format!("{word:?}: expected reject or last")),
                }
            }
        }
        if let Some(v) = map.get("detailed_errors") {
            self.detailed = reader
                .boolean(v, "/validation/detailed_errors")
                .unwrap_or(false);
        }
    }

    fn upstreams(&mut self, value: Option<&Value>, timeout: Duration, reader: &mut Reader) {
        let Some(map) = value.and_then(|v| reader.object(v, "/upstreams", None)) else {
            return;
        };
        for (name, v) in map {
            let pointer = format!("/upstreams/{}", token(name));
            let Some(fields) = reader.object(v, &pointer, Some(&["url", "mode", "timeout_ms"]))
            else {
                continue;
            };
            let mode = match fields
                .get("mode")
                .map(|m| (m, reader.string(m, &format!("{pointer}/mode"))))
            {
                None | Some((_, Some("http"))) => UpstreamMode::Http,
                Some((_, Some("lambda-proxy"))) => UpstreamMode::LambdaProxy,
                Some((_, Some(other))) => {
                    reader.problem(
                        &format!("{pointer}/mode"),
                        format!("{other:?}: expected http or lambda-proxy"),
                    );
                    continue;
                }
                Some((_, None)) => continue,
            };
            let timeout = match fields.get("timeout_ms") {
                Some(t) => reader
                    .number(t, &format!("{pointer}/timeout_ms"))
                    .map_or(timeout, Duration::from_millis),
                None => timeout,
            };
            let Some(url) = fields.get("url") else {
                reader.problem(&pointer, "missing url");
                continue;
            };
            let at = format!("{pointer}/url");
            let Some(url) = reader
                .string(url, &at)
                .and_then(|u| upstream_url(u, &at, reader))
            else {
                continue;
            };
            self.add_upstream(Upstream {
                name: name.clone(),
                url,
                mode,
                timeout,
            });
        }
    }

    /// `openapi: FILE` or `openapi: { file: FILE, upstream: NAME }`.
    fn openapi(
        &mut self,
        value: &Value,
        base: &Path,
        timeout: Duration,
        watched: &mut Vec<PathBuf>,
        reader: &mut Reader,
    ) {
        let (file, upstream) = match value {
            Value::String(file) => (Some(file.as_str()), None),
            _ => match reader.object(value, "/openapi", Some(&["file", "upstream"])) {
                Some(map) => (
                    map.get("file")
                        .and_then(|f| reader.string(f, "/openapi/file")),
                    map.get("upstream"),
                ),
                None => return,
            },
        };
        let Some(file) = file else {
            reader.problem("/openapi", "missing file");
            return;
        };
        let fallback = upstream.and_then(|v| {
            let name = reader.string(v, "/openapi/upstream")?;
            let found = self.upstreams.iter().position(|u| u.name == name);
            if found.is_none() {
                reader.problem("/openapi/upstream", format!("no upstream named {name:?}"));
            }
            found
        });
        let path = base.join(file);
        watched.push(path.clone());
        crate::openapi::import(&path, fallback, timeout, self, reader);
    }

    /// Adds an upstream unless one by that name exists; returns its index.
    pub(crate) fn add_upstream(&mut self, upstream: Upstream) -> usize {
        if let Some(i) = self.upstreams.iter().position(|u| u.name == upstream.name) {
            return i;
        }
        self.upstreams.push(upstream);
        self.upstreams.len() - 1
    }

    fn validators(&mut self, value: Option<&Value>, reader: &mut Reader) {
        let Some(map) = value.and_then(|v| reader.object(v, "/validators", None)) else {
            return;
        };
        for (name, v) in map {
            let pointer = format!("/validators/{}", token(name));
            if let Some(validator) = validator(v, &pointer, reader) {
                self.validators.insert(name.clone(), validator);
            }
        }
    }

    fn models(
        &mut self,
        value: Option<&Value>,
        base: &Path,
        watched: &mut Vec<PathBuf>,
        reader: &mut Reader,
    ) {
        let Some(map) = value.and_then(|v| reader.object(v, "/models", None)) else {
            return;
        };
        for (name, v) in map {
            let pointer = format!("/models/{}", token(name));
            let Some(path) = reader.string(v, &pointer) else {
                continue;
            };
            let path = base.join(path);
            watched.push(path.clone());
            let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
            let options = Options {
                local_refs: vec![
                    ("json-schema:///".to_string(), dir.clone()),
                    (format!("file://{}/", dir.display()), dir),
                ],
                ..Options::default()
            };
            match Model::load(&path, &options) {
                Ok(model) => {
                    self.models.insert(name.clone(), Arc::new(model));
                }
                Err(e) => reader.problem(&pointer, e.to_string()),
            }
        }
    }

    fn routes(&mut self, value: Option<&Value>, reader: &mut Reader) {
        let Some(value) = value else {
            if self.routes.is_empty() {
                reader.problem("", "no routes (add routes: or openapi:)");
            }
            return;
        };
        let Some(items) = value.as_array() else {
            reader.problem("/routes", format!("expected a list, found {}", kind(value)));
            return;
        };
        for (i, item) in items.iter().enumerate() {
            let pointer = format!("/routes/{i}");
            if let Some(route) = self.route(item, &pointer, reader) {
                self.routes.push(route);
                self.route_pointers.push(pointer);
            }
        }
    }

    fn route(&mut self, value: &Value, pointer: &str, reader: &mut Reader) -> Option<Route> {
        const KNOWN: &[&str] = &[
            "method",
            "path",
            "upstream",
            "validator",
            "model",
            "parameters",
        ];
        let fields = reader.object(value, pointer, Some(KNOWN))?;
        let field = |name: &str, reader: &mut Reader| {
            let found = fields.get(name);
            if found.is_none() {
                reader.problem(pointer, format!("missing {name}"));
            }
            found
        };
        let method = field("method", reader).and_then(|v| {
            let text = reader.string(v, &format!("{pointer}/method"))?;
            let method = Method::parse(text);
            if method.is_none() {
                reader.problem(
                    &format!("{pointer}/method"),
                    format!("{text:?} is not an HTTP method or ANY"),
                );
            }
            method
        });
        let path = field("path", reader).and_then(|v| {
            let text = reader.string(v, &format!("{pointer}/path"))?;
            PathTemplate::parse(text)
                .map_err(|e| reader.problem(&format!("{pointer}/path"), e))
                .ok()
        });
        let upstream = field("upstream", reader).and_then(|v| {
            let name = reader.string(v, &format!("{pointer}/upstream"))?;
            let found = self.upstreams.iter().position(|u| u.name == name);
            if found.is_none() {
                reader.problem(
                    &format!("{pointer}/upstream"),
                    format!("no upstream named {name:?}"),
                );
            }
            found
        });
        let mut rules = MethodRules {
            content_type_mismatch: self.mismatch,
            duplicate_keys: self.duplicate_keys,
            ..MethodRules::default()
        };
        if let Some(v) = fields.get("validator") {
            let at = format!("{pointer}/validator");
            if let Some(name) = reader.string(v, &at) {
                match self.validators.get(name) {
                    Some(validator) => rules.validator = *validator,
                    None => reader.problem(&at, format!("no validator named {name:?}")),
                }
            }
        }
        if let Some(v) = fields.get("model") {
            rules.models = self.model_map(v, &format!("{pointer}/model"), reader);
        }
        if let Some(v) = fields.get("parameters") {
            rules.parameters = parameters(v, &format!("{pointer}/parameters"), reader);
        }
        let (method, path) = (method?, path?);
        Some(Route {
            name: format!("{} {}", method.as_str(), path.as_str()),
            method,
            path,
            upstream: upstream?,
            rules,
            upstream_path: None,
        })
    }

    /// `model: Name` (for `application/json`) or
    /// `model: { "application/json": Name, "$default": Other }`.
    fn model_map(&self, value: &Value, pointer: &str, reader: &mut Reader) -> Models {
        let mut models = Models::default();
        let lookup = |name: &str, at: &str, reader: &mut Reader| {
            let found = self.models.get(name).cloned();
            if found.is_none() {
                reader.problem(at, format!("no model named {name:?}"));
            }
            found
        };
        if let Some(name) = value.as_str() {
            // As API Gateway's console sets it up: the model is for JSON
            // bodies; other types have none (415, or pass).
            if let Some(model) = lookup(name, pointer, reader) {
                models.insert("application/json", model);
            }
            return models;
        }
        let Some(map) = reader.object(value, pointer, None) else {
            return models;
        };
        for (media_type, v) in map {
            let at = format!("{pointer}/{}", token(media_type));
            if let Some(name) = reader.string(v, &at)
                && let Some(model) = lookup(name, &at, reader)
            {
                models.insert(media_type, model);
            }
        }
        models
    }

    fn check_duplicates(&self, reader: &mut Reader) {
        for (i, route) in self.routes.iter().enumerate() {
            if let Some(j) = self.routes[..i]
                .iter()
                .position(|r| r.method == route.method && r.path.same_shape(&route.path))
            {
                reader.problem(
                    &self.route_pointers[i],
                    format!(
                        "{} is already routed by {}",
                        route.name, self.route_pointers[j]
                    ),
                );
            }
        }
    }
}

pub(crate) fn validator(value: &Value, pointer: &str, reader: &mut Reader) -> Option<Validator> {
    const KNOWN: &[&str] = &["validateRequestBody", "validateRequestParameters"];
    let fields = reader.object(value, pointer, Some(KNOWN))?;
    let flag = |name: &str, reader: &mut Reader| {
        fields
            .get(name)
            .and_then(|v| reader.boolean(v, &format!("{pointer}/{name}")))
            .unwrap_or(false)
    };
    Some(Validator {
        body: flag("validateRequestBody", reader),
        parameters: flag("validateRequestParameters", reader),
    })
}

/// `{ path: [...], querystring: [...], header: [...] }`; each entry is a
/// name (required) or `{ name, required, type, enum, pattern }`.
fn parameters(value: &Value, pointer: &str, reader: &mut Reader) -> Vec<Parameter> {
    let mut out = Vec::new();
    let Some(map) = reader.object(value, pointer, Some(&["path", "querystring", "header"])) else {
        return out;
    };
    // A fixed order (the mapping's own is not kept): path, query, headers.
    for place in ["path", "querystring", "header"] {
        let Some(list) = map.get(place) else {
            continue;
        };
        let Some(location) = Location::parse(place) else {
            continue;
        };
        let at = format!("{pointer}/{place}");
        let Some(items) = list.as_array() else {
            reader.problem(&at, format!("expected a list, found {}", kind(list)));
            continue;
        };
        for (i, item) in items.iter().enumerate() {
            if let Some(p) = parameter(item, location, &format!("{at}/{i}"), reader) {
                out.push(p);
            }
        }
    }
    out
}

fn parameter(
    value: &Value,
    location: Location,
    pointer: &str,
    reader: &mut Reader,
) -> Option<Parameter> {
    if let Some(name) = value.as_str() {
        return Some(Parameter::required(location, name));
    }
    const KNOWN: &[&str] = &["name", "required", "type", "enum", "pattern"];
    let fields = reader.object(value, pointer, Some(KNOWN))?;
    let Some(name) = fields
        .get("name")
        .and_then(|n| reader.string(n, &format!("{pointer}/name")))
    else {
        if !fields.contains_key("name") {
            reader.problem(pointer, "missing name");
        }
        return None;
    };
    let mut parameter = Parameter::required(location, name);
    if let Some(r) = fields.get("required") {
        parameter.required = reader
            .boolean(r, &format!("{pointer}/required"))
            .unwrap_or(true);
    }
    if let Some(t) = fields.get("type") {
        let at = format!("{pointer}/type");
        parameter.kind = match reader.string(t, &at) {
            Some("integer") => Some(ParamType::Integer),
            Some("number") => Some(ParamType::Number),
            Some("boolean") => Some(ParamType::Boolean),
            Some("string") | None => None,
            Some(other) => {
                reader.problem(
                    &at,
                    format!("{other:?}: expected string, integer, number or boolean"),
                );
                None
            }
        };
    }
    if let Some(e) = fields.get("enum") {
        parameter.allowed = reader.strings(e, &format!("{pointer}/enum"));
    }
    if let Some(p) = fields.get("pattern") {
        let at = format!("{pointer}/pattern");
        if let Some(text) = reader.string(p, &at) {
            match regex::RegexBuilder::new(text).size_limit(1 << 20).build() {
                Ok(re) => parameter.pattern = Some(re),
                Err(e) => reader.problem(&at, format!("not a usable pattern: {e}")),
            }
        }
    }
    Some(parameter)
}

/// An upstream URL: `http://host:port[/prefix]`.
pub(crate) fn upstream_url(text: &str, pointer: &str, reader: &mut Reader) -> Option<http::Uri> {
    let uri: http::Uri = match text.parse() {
        Ok(uri) => uri,
        Err(e) => {
            reader.problem(pointer, format!("{text:?} is not a URL: {e}"));
            return None;
        }
    };
    match uri.scheme_str() {
        Some("http") if uri.authority().is_some() => Some(uri),
        Some("https") => {
            reader.problem(
                pointer,
                format!("{text:?}: https upstreams are not supported yet; terminate TLS in front of the upstream or use http"),
            );
            None
        }
        _ => {
            reader.problem(pointer, format!("{text:?}: expected http://host:port"));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        (name == "PORT").then(|| "9000".to_string())
    }

    fn load(yaml: &str, files: &[(&str, &str)]) -> Result<Config, Error> {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap_or_else(|e| panic!("{e}"));
        }
        let file = dir.path().join("gateway.yaml");
        std::fs::write(&file, yaml).unwrap_or_else(|e| panic!("{e}"));
        Config::load(&file, &env)
    }

    #[test]
    fn every_problem_is_reported_with_its_pointer() {
        let yaml = r#"
listen: "127.0.0.1:${PORT}"
upstreams:
  backend: { url: "ftp://x", mode: grpc }
validators:
  body: { validateRequestBody: yes please }
routes:
  - method: FETCH
    path: /items/{id
    upstream: nowhere
    model: Missing
    extra: 1
gateway_responses:
  BAD_BODY: { status: 400 }
"#;
        let Err(Error::Invalid { problems }) = load(yaml, &[]) else {
            panic!("accepted");
        };
        let pointers: Vec<&str> = problems.iter().map(|p| p.pointer.as_str()).collect();
        for expected in [
            "/upstreams/backend/mode",
            "/validators/body/validateRequestBody",
            "/routes/0/extra",
            "/routes/0/method",
            "/routes/0/path",
            "/routes/0/upstream",
            "/routes/0/model",
            "/gateway_responses/BAD_BODY",
        ] {
            assert!(
                pointers.contains(&expected),
                "{expected} not in {pointers:?}"
            );
        }
        assert!(problems.iter().all(|p| p.origin.ends_with("gateway.yaml")));
    }

    #[test]
    fn a_valid_configuration_compiles_its_routes() {
        let yaml = r#"
listen: "127.0.0.1:${PORT}"
upstreams:
  backend: { url: "http://127.0.0.1:${UPSTREAM_PORT:-8081}" }
models:
  Item: item.json
validators:
  all: { validateRequestBody: true, validateRequestParameters: true }
routes:
  - method: POST
    path: /items/{id}
    upstream: backend
    validator: all
    model: { "application/json": Item }
    parameters:
      header: [x-api-key, { name: x-page, required: false, type: integer }]
limits: { max_body_bytes: 1024 }
"#;
        let config =
            load(yaml, &[("item.json", r#"{"type": "object"}"#)]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(config.listen.port(), 9000);
        assert_eq!(config.upstreams[0].url.port_u16(), Some(8081));
        assert_eq!(config.routes[0].name, "POST /items/{id}");
        assert!(config.routes[0].rules.validator.body);
        assert_eq!(config.routes[0].rules.parameters.len(), 2);
        assert_eq!(config.limits.max_body_bytes, 1024);
        assert_eq!(config.watched.len(), 2);
    }

    #[test]
    fn duplicate_routes_are_refused() {
        let yaml = r#"
listen: 127.0.0.1:1
upstreams: { b: { url: "http://127.0.0.1:2" } }
routes:
  - { method: GET, path: "/a/{x}", upstream: b }
  - { method: GET, path: "/a/{y}", upstream: b }
"#;
        let Err(Error::Invalid { problems }) = load(yaml, &[]) else {
            panic!("accepted");
        };
        assert_eq!(problems[0].pointer, "/routes/1");
    }

    #[test]
    fn the_body_budget_holds_at_least_one_largest_body() {
        let yaml = r#"
listen: 127.0.0.1:1
upstreams: { b: { url: "http://127.0.0.1:2" } }
routes: [{ method: GET, path: "/a", upstream: b }]
limits: { max_body_bytes: 2048, max_buffered_bytes: 1024 }
"#;
        let Err(Error::Invalid { problems }) = load(yaml, &[]) else {
            panic!("accepted");
        };
        assert_eq!(problems[0].pointer, "/limits/max_buffered_bytes");
        let config = load(&yaml.replace("1024", "4096"), &[]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(config.limits.max_buffered_bytes, 4096);
        let config = load(&yaml.replace(", max_buffered_bytes: 1024", ""), &[])
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(config.limits.max_buffered_bytes, 256 << 20);
    }
}
