//! Routes, models and validators from an OpenAPI 3.x or Swagger 2 document
//! with API Gateway's extensions, so an API Gateway export runs as is:
//! `x-amazon-apigateway-request-validators` (named validators),
//! `x-amazon-apigateway-request-validator` (the document's default and each
//! operation's choice) and `x-amazon-apigateway-integration` (where an
//! operation's requests go).

use std::path::Path;
use std::sync::Arc;

use palisade_validate::{Location, Model, Models, Options, Parameter, Validator};
use serde_json::{Map, Value};

use crate::config::{Api, Route, Upstream, UpstreamMode, upstream_url};
use crate::reader::{Reader, parse_yaml, read_limited, token};
use crate::route::{Method, PathTemplate};

const METHODS: [&str; 8] = [
    "get",
    "put",
    "post",
    "delete",
    "options",
    "head",
    "patch",
    "x-amazon-apigateway-any-method",
];

/// Adds the document's routes to `api`. `fallback` is the upstream used by
/// operations whose integration cannot be reached directly (Lambda ARNs,
/// mocks, stage variables) or that have none.
pub(crate) fn import(
    path: &Path,
    fallback: Option<usize>,
    timeout: std::time::Duration,
    api: &mut Api,
    outer: &mut Reader,
) {
    let origin = path.display().to_string();
    let text = match read_limited(path) {
        Ok(text) => text,
        Err(e) => {
            outer.problem("/openapi", e.to_string());
            return;
        }
    };
    let document = match parse_yaml(&text, &origin) {
        Ok(v) => v,
        Err(e) => {
            outer.problem("/openapi", e.to_string());
            return;
        }
    };
    let mut reader = Reader::new(&origin);
    let swagger2 = document.get("swagger").is_some();
    if !swagger2 && document.get("openapi").is_none() {
        reader.problem(
            "",
            "neither an OpenAPI 3 (openapi:) nor a Swagger 2 (swagger:) document",
        );
        outer.problems.append(&mut reader.problems);
        return;
    }
    let schemas_at = if swagger2 {
        "/definitions"
    } else {
        "/components/schemas"
    };
    let mut models = std::collections::HashMap::new();
    if let Some(schemas) = document.pointer(schemas_at).and_then(Value::as_object) {
        for (name, schema) in schemas {
            let at = format!("{schemas_at}/{}", token(name));
            if let Some(model) = compile_model(&document, &at, schema, &origin, &mut reader) {
                models.insert(at, Arc::new(model));
            }
        }
    }
    let mut validators = std::collections::HashMap::new();
    if let Some(map) = document
        .get("x-amazon-apigateway-request-validators")
        .and_then(|v| reader.object(v, "/x-amazon-apigateway-request-validators", None))
    {
        for (name, v) in map {
            let at = format!("/x-amazon-apigateway-request-validators/{}", token(name));
            if let Some(validator) = crate::config::validator(v, &at, &mut reader) {
                validators.insert(name.clone(), validator);
            }
        }
    }
    let default_validator = document
        .get("x-amazon-apigateway-request-validator")
        .and_then(|v| reader.string(v, "/x-amazon-apigateway-request-validator"))
        .map(str::to_string);
    let context = Document {
        root: &document,
        swagger2,
        models,
        validators,
        default_validator,
        fallback,
        timeout,
        origin: &origin,
    };
    let Some(paths) = document
        .get("paths")
        .and_then(|p| reader.object(p, "/paths", None))
    else {
        outer.problems.append(&mut reader.problems);
        return;
    };
    for (path, item) in paths {
        let at = format!("/paths/{}", token(path));
        let Some(item) = reader.object(item, &at, None) else {
            continue;
        };
        let template = match PathTemplate::parse(path) {
            Ok(t) => t,
            Err(e) => {
                reader.problem(&at, e);
                continue;
            }
        };
        let shared = item.get("parameters");
        for method in METHODS {
            let Some(operation) = item.get(method).and_then(Value::as_object) else {
                continue;
            };
            let op_at = format!("{at}/{method}");
            if let Some(route) = context.route(
                method,
                &template,
                shared,
                operation,
                &op_at,
                api,
                &mut reader,
            ) {
                api.routes.push(route);
                api.route_pointers.push(format!("{origin}#{op_at}"));
            }
        }
    }
    outer.problems.append(&mut reader.problems);
}

/// Compiles a schema of the document with the document as its root, so
/// `#/components/schemas/Other` references resolve.
fn compile_model(
    document: &Value,
    pointer: &str,
    schema: &Value,
    origin: &str,
    reader: &mut Reader,
) -> Option<Model> {
    let mut root = document.clone();
    if let Some(map) = root.as_object_mut() {
        map.insert("$ref".into(), Value::from(format!("#{pointer}")));
        match schema.get("$schema") {
            Some(s) => map.insert("$schema".into(), s.clone()),
            None => map.remove("$schema"),
        };
    }
    let options = Options {
        origin: format!("{origin}#{pointer}"),
        ..Options::default()
    };
    Model::compile(&root, &options)
        .map_err(|e| reader.problem(pointer, e.to_string()))
        .ok()
}

struct Document<'d> {
    root: &'d Value,
    swagger2: bool,
    /// Compiled schemas by their pointer in the document.
    models: std::collections::HashMap<String, Arc<Model>>,
    validators: std::collections::HashMap<String, Validator>,
    default_validator: Option<String>,
    fallback: Option<usize>,
    timeout: std::time::Duration,
    origin: &'d str,
}

impl Document<'_> {
    /// Follows a local `$ref` (parameters and request bodies may be shared).
    fn resolve<'v>(&'v self, value: &'v Value) -> &'v Value {
        let mut value = value;
        for _ in 0..8 {
            match value.get("$ref").and_then(Value::as_str) {
                Some(r) if r.starts_with("#/") => match self.root.pointer(&r[1..]) {
                    Some(target) => value = target,
                    None => return value,
                },
                _ => return value,
            }
        }
        value
    }

    /// The model for a schema: a compiled one by `$ref`, or the inline
    /// schema compiled in place.
    fn model(&self, schema: &Value, pointer: &str, reader: &mut Reader) -> Option<Arc<Model>> {
        if let Some(r) = schema.get("$ref").and_then(Value::as_str)
            && let Some(model) = r.strip_prefix('#').and_then(|p| self.models.get(p))
        {
            return Some(model.clone());
        }
        compile_model(self.root, pointer, schema, self.origin, reader).map(Arc::new)
    }

    #[allow(clippy::too_many_arguments)]
    fn route(
        &self,
        method: &str,
        template: &PathTemplate,
        shared: Option<&Value>,
        operation: &Map<String, Value>,
        pointer: &str,
        api: &mut Api,
        reader: &mut Reader,
    ) -> Option<Route> {
        let method = Method::parse(method)?;
        let mut rules = palisade_validate::MethodRules {
            content_type_mismatch: api.mismatch,
            duplicate_keys: api.duplicate_keys,
            ..Default::default()
        };
        let validator = operation
            .get("x-amazon-apigateway-request-validator")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or(self.default_validator.clone());
        if let Some(name) = validator {
            match self.validators.get(&name) {
                Some(v) => rules.validator = *v,
                None => reader.problem(pointer, format!("no request validator named {name:?}")),
            }
        }
        let mut models = Models::default();
        let parameter_lists = [
            (
                shared,
                format!(
                    "{}/parameters",
                    pointer.rsplit_once('/').map_or("", |(p, _)| p)
                ),
            ),
            (operation.get("parameters"), format!("{pointer}/parameters")),
        ];
        for (list, at) in parameter_lists {
            let Some(items) = list.and_then(Value::as_array) else {
                continue;
            };
            for (i, item) in items.iter().enumerate() {
                let item = self.resolve(item);
                let place = item.get("in").and_then(Value::as_str).unwrap_or("");
                let name = item.get("name").and_then(Value::as_str).unwrap_or("");
                if place == "body" {
                    if let Some(schema) = item.get("schema")
                        && let Some(model) = self.model(schema, &format!("{at}/{i}/schema"), reader)
                    {
                        self.consumes(operation, model, &mut models);
                    }
                    continue;
                }
                let location = match place {
                    "query" => Location::QueryString,
                    "header" => Location::Header,
                    "path" => Location::Path,
                    _ => continue,
                };
                let required = item
                    .get("required")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                if required && !name.is_empty() {
                    rules
                        .parameters
                        .retain(|p| !(p.location == location && p.name == name));
                    rules.parameters.push(Parameter::required(location, name));
                }
            }
        }
        if !self.swagger2
            && let Some(body) = operation.get("requestBody")
        {
            let body = self.resolve(body);
            if let Some(content) = body.get("content").and_then(Value::as_object) {
                for (media_type, media) in content {
                    if let Some(schema) = media.get("schema") {
                        let at =
                            format!("{pointer}/requestBody/content/{}/schema", token(media_type));
                        if let Some(model) = self.model(schema, &at, reader) {
                            models.insert(media_type, model);
                        }
                    }
                }
            }
        }
        rules.models = models;
        let (upstream, upstream_path) = self.integration(operation, pointer, api, reader)?;
        Some(Route {
            name: format!("{} {}", method.as_str(), template.as_str()),
            method,
            path: template.clone(),
            upstream,
            rules,
            upstream_path,
        })
    }

    /// Swagger 2 body models apply to the operation's (or document's)
    /// `consumes` types, `application/json` when none is given.
    fn consumes(&self, operation: &Map<String, Value>, model: Arc<Model>, models: &mut Models) {
        let types: Vec<&str> = operation
            .get("consumes")
            .or(self.root.get("consumes"))
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if types.is_empty() {
            models.insert("application/json", model);
        } else {
            for t in types {
                models.insert(t, model.clone());
            }
        }
    }

    /// Where the operation's requests go: the configured upstream when one
    /// is set, else an `http`/`http_proxy` integration's host. An http
    /// integration's URL path becomes the upstream path either way.
    fn integration(
        &self,
        operation: &Map<String, Value>,
        pointer: &str,
        api: &mut Api,
        reader: &mut Reader,
    ) -> Option<(usize, Option<String>)> {
        let integration = operation.get("x-amazon-apigateway-integration");
        let kind = integration
            .and_then(|i| i.get("type"))
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase);
        let uri = integration
            .and_then(|i| i.get("uri"))
            .and_then(Value::as_str);
        let http = matches!(kind.as_deref(), Some("http" | "http_proxy"));
        let url = match uri {
            Some(uri) if http && !uri.contains("${") => {
                let at = format!("{pointer}/x-amazon-apigateway-integration/uri");
                Some(upstream_url(uri, &at, reader)?)
            }
            _ => None,
        };
        let path = url.as_ref().map(|u| u.path().to_string());
        if let Some(index) = self.fallback {
            return Some((index, path));
        }
        if let Some(url) = url {
            let authority = url.authority().map(|a| a.to_string()).unwrap_or_default();
            let index = api.add_upstream(Upstream {
                name: format!("openapi:{authority}"),
                url: format!("http://{authority}").parse().ok()?,
                mode: UpstreamMode::Http,
                timeout: self.timeout,
            });
            return Some((index, path));
        }
        let what = match (kind.as_deref(), uri) {
            (None, _) => "has no x-amazon-apigateway-integration".to_string(),
            (Some(k), Some(u)) if u.contains("${") => {
                format!("has a {k} integration whose uri uses stage variables")
            }
            (Some(k), _) => format!("has a {k} integration, which palisade cannot call directly"),
        };
        reader.problem(
            pointer,
            format!("the operation {what}: set openapi.upstream in the gateway configuration"),
        );
        None
    }
}
