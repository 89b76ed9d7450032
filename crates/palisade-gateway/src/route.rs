//! Routes: a method (or ANY) and a path template such as `/items/{id}` or
//! `/{proxy+}`, matched the way API Gateway matches resources: literal
//! segments before parameters, parameters before a greedy tail, a named
//! method before ANY.

use std::borrow::Cow;

/// A route's method; `None` stands for ANY.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Method(Option<http::Method>);

impl Method {
    pub fn parse(text: &str) -> Option<Method> {
        if text.eq_ignore_ascii_case("ANY") || text == "x-amazon-apigateway-any-method" {
            return Some(Method(None));
        }
        let upper = text.to_ascii_uppercase();
        const KNOWN: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
        KNOWN
            .contains(&upper.as_str())
            .then(|| http::Method::from_bytes(upper.as_bytes()).ok())
            .flatten()
            .map(|m| Method(Some(m)))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_ref().map_or("ANY", http::Method::as_str)
    }

    pub fn accepts(&self, method: &http::Method) -> bool {
        self.0.as_ref().is_none_or(|m| m == method)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
    Greedy(String),
}

impl Segment {
    fn rank(&self) -> u8 {
        match self {
            Segment::Literal(_) => 0,
            Segment::Param(_) => 1,
            Segment::Greedy(_) => 2,
        }
    }
}

#[derive(Clone, Debug)]
pub struct PathTemplate {
    text: String,
    segments: Vec<Segment>,
}

/// Path parameters bound by a match, decoded.
pub type Params = Vec<(String, String)>;

impl PathTemplate {
    pub fn parse(text: &str) -> Result<PathTemplate, String> {
        if !text.starts_with('/') {
            return Err(format!("{text:?} must start with /"));
        }
        let parts: Vec<&str> = text[1..].split('/').filter(|s| !s.is_empty()).collect();
        let mut segments = Vec::with_capacity(parts.len());
        for (i, part) in parts.iter().enumerate() {
            let segment = if let Some(inner) = part.strip_prefix('{') {
                let Some(name) = inner.strip_suffix('}') else {
                    return Err(format!("{text:?}: unclosed {{ in {part:?}"));
                };
                let (name, greedy) = match name.strip_suffix('+') {
                    Some(n) => (n, true),
                    None => (name, false),
                };
                if name.is_empty()
                    || !name
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
                {
                    return Err(format!("{text:?}: {part:?} is not a parameter name"));
                }
                if greedy && i + 1 != parts.len() {
                    return Err(format!(
                        "{text:?}: a greedy parameter {part:?} must be the last segment"
                    ));
                }
                if greedy {
                    Segment::Greedy(name.to_string())
                } else {
                    Segment::Param(name.to_string())
                }
            } else if part.contains(['{', '}']) {
                return Err(format!(
                    "{text:?}: a parameter must be a whole segment, not {part:?}"
                ));
            } else {
                Segment::Literal(part.to_string())
            };
            segments.push(segment);
        }
        Ok(PathTemplate {
            text: text.to_string(),
            segments,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether two templates match the same paths.
    pub fn same_shape(&self, other: &PathTemplate) -> bool {
        self.segments.len() == other.segments.len()
            && self
                .segments
                .iter()
                .zip(&other.segments)
                .all(|(a, b)| match (a, b) {
                    (Segment::Literal(x), Segment::Literal(y)) => x == y,
                    _ => a.rank() == b.rank(),
                })
    }

    /// The order routes are tried in: most specific first.
    fn rank(&self) -> Vec<u8> {
        self.segments.iter().map(Segment::rank).collect()
    }

    /// The parameters bound when `path` matches.
    pub fn matches(&self, path: &str) -> Option<Params> {
        let mut params = Params::new();
        let mut rest = path.strip_prefix('/')?;
        for segment in &self.segments {
            if let Segment::Greedy(name) = segment {
                let tail = rest.trim_end_matches('/');
                if tail.is_empty() {
                    return None;
                }
                params.push((name.clone(), decode(tail).into_owned()));
                return Some(params);
            }
            let (part, after) = rest.split_once('/').unwrap_or((rest, ""));
            if part.is_empty() {
                return None;
            }
            match segment {
                Segment::Literal(literal) => {
                    if *literal != part && *literal != *decode(part) {
                        return None;
                    }
                }
                _ => {
                    if let Segment::Param(name) = segment {
                        params.push((name.clone(), decode(part).into_owned()));
                    }
                }
            }
            rest = after;
        }
        rest.trim_matches('/').is_empty().then_some(params)
    }

    /// Fills `{name}` and `{name+}` in `target` from `params`.
    pub fn fill(target: &str, params: &Params) -> String {
        let mut out = target.to_string();
        for (name, value) in params {
            let encoded = percent_encoding::utf8_percent_encode(value, SEGMENT).to_string();
            out = out
                .replace(&format!("{{{name}+}}"), &value.replace(' ', "%20"))
                .replace(&format!("{{{name}}}"), &encoded);
        }
        out
    }
}

const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'?')
    .add(b'<')
    .add(b'>');

fn decode(text: &str) -> Cow<'_, str> {
    percent_encoding::percent_decode_str(text).decode_utf8_lossy()
}

/// Routes in the order they are tried.
#[derive(Clone, Debug, Default)]
pub struct Router {
    order: Vec<usize>,
}

impl Router {
    pub fn new(routes: &[(Method, &PathTemplate)]) -> Router {
        let mut order: Vec<usize> = (0..routes.len()).collect();
        order.sort_by_key(|&i| (routes[i].1.rank(), routes[i].0 == Method(None)));
        Router { order }
    }

    /// The first route (most specific first) whose method and path match.
    pub fn find<'r>(
        &self,
        routes: &'r [crate::config::Route],
        method: &http::Method,
        path: &str,
    ) -> Option<(usize, Params)> {
        self.order.iter().find_map(|&i| {
            let route: &'r crate::config::Route = &routes[i];
            if !route.method.accepts(method) {
                return None;
            }
            route.path.matches(path).map(|p| (i, p))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(text: &str) -> PathTemplate {
        PathTemplate::parse(text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn templates_bind_decoded_parameters() {
        let t = template("/items/{id}/parts/{part}");
        assert_eq!(
            t.matches("/items/a%20b/parts/7"),
            Some(vec![
                ("id".into(), "a b".into()),
                ("part".into(), "7".into())
            ])
        );
        assert_eq!(t.matches("/items/a/parts"), None);
        assert_eq!(t.matches("/items//parts/7"), None);
        let greedy = template("/files/{path+}");
        assert_eq!(
            greedy.matches("/files/a/b/c.txt"),
            Some(vec![("path".into(), "a/b/c.txt".into())])
        );
        assert_eq!(greedy.matches("/files/"), None);
        assert_eq!(template("/").matches("/"), Some(vec![]));
        assert_eq!(template("/a").matches("/a/"), Some(vec![]));
    }

    #[test]
    fn bad_templates_are_refused() {
        for bad in ["items", "/{a+}/b", "/a{b}", "/{}", "/{a"] {
            assert!(PathTemplate::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn literal_beats_parameter_beats_greedy_and_named_beats_any() {
        let t = [
            template("/{proxy+}"),
            template("/items/{id}"),
            template("/items/new"),
            template("/items/{id}"),
        ];
        let methods = [
            Method::parse("ANY"),
            Method::parse("GET"),
            Method::parse("GET"),
            Method::parse("ANY"),
        ];
        let pairs: Vec<(Method, &PathTemplate)> = methods
            .into_iter()
            .map(|m| m.unwrap_or_else(|| panic!("method")))
            .zip(t.iter())
            .collect();
        let router = Router::new(&pairs);
        assert_eq!(router.order, vec![2, 1, 3, 0]);
    }

    #[test]
    fn fill_encodes_single_segments_and_keeps_greedy_slashes() {
        let params = vec![
            ("id".to_string(), "a/b c".to_string()),
            ("rest".to_string(), "x/y".to_string()),
        ];
        assert_eq!(
            PathTemplate::fill("/v1/{id}/{rest+}", &params),
            "/v1/a%2Fb%20c/x/y"
        );
    }
}
