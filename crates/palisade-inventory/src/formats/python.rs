//! Python: `poetry.lock`, `Pipfile.lock`, `uv.lock`, `pdm.lock` and
//! `requirements*.txt`.
//!
//! Requirements files pin with `==` (or `===`); anything else is reported as
//! unpinned with its requirement as written, never guessed. `-r` includes are
//! followed (relative to the including file, at most 16 deep, each file once);
//! `-c` constraint files do not add packages.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::{Builder, JsonKeys, LineIndex, json, json_key, toml_doc};
use crate::error::{excerpt, quoted_line};
use crate::manifest::{Declared, pep508_name, pipfile, pyproject};
use crate::model::{Inventory, Scope, VersionStatus};
use crate::{Error, Result};

/// PEP 503 name normalization, to link dependencies to locked packages.
fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            if !sep {
                out.push('-');
            }
            sep = true;
        } else {
            out.extend(c.to_lowercase());
            sep = false;
        }
    }
    out
}

// ---- poetry.lock -------------------------------------------------------------

#[derive(Deserialize)]
struct PoetryLock {
    #[serde(default)]
    package: Vec<PoetryPackage>,
}

#[derive(Deserialize)]
struct PoetryPackage {
    name: Spanned<String>,
    version: String,
    #[serde(default)]
    optional: bool,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    groups: Option<Vec<String>>,
    #[serde(default)]
    dependencies: BTreeMap<String, toml::Value>,
    #[serde(default)]
    source: Option<PoetrySource>,
}

#[derive(Deserialize)]
struct PoetrySource {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    resolved_reference: Option<String>,
}

/// One `[[package]]` of a poetry.lock, however it was read.
struct PoetryEntry {
    name: String,
    line: usize,
    version: String,
    optional: bool,
    groups: Vec<String>,
    /// Dependency names with their constraints.
    dependencies: Vec<(String, String)>,
    commit: Option<String>,
}

fn poetry_entries(lock: PoetryLock, text: &str) -> Vec<PoetryEntry> {
    let lines = LineIndex::new(text);
    lock.package
        .into_iter()
        .map(|p| PoetryEntry {
            line: lines.line(p.name.span().start),
            name: p.name.into_inner(),
            version: p.version,
            optional: p.optional,
            groups: match (p.groups, p.category) {
                (Some(groups), _) => groups,
                (None, Some(category)) => vec![category],
                (None, None) => vec!["main".to_string()],
            },
            dependencies: p
                .dependencies
                .into_iter()
                .map(|(name, v)| {
                    let constraint = match &v {
                        toml::Value::String(s) => s.clone(),
                        toml::Value::Table(t) => t
                            .get("version")
                            .and_then(toml::Value::as_str)
                            .unwrap_or("")
                            .to_string(),
                        _ => String::new(),
                    };
                    (name, constraint)
                })
                .collect(),
            commit: p
                .source
                .filter(|s| s.kind.as_deref() == Some("git"))
                .and_then(|s| s.resolved_reference),
        })
        .collect()
}

/// Reads the `[[package]]` tables line by line, for lock files Poetry wrote
/// with a table twice (which strict TOML rejects).
fn poetry_entries_lenient(text: &str) -> Vec<PoetryEntry> {
    let mut entries: Vec<PoetryEntry> = Vec::new();
    let mut table = String::new();
    let value = |line: &str| {
        line.split_once('=')
            .map(|(_, v)| v.trim().trim_matches('"').to_string())
    };
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.starts_with('[') {
            table = line.to_string();
            if line == "[[package]]" {
                entries.push(PoetryEntry {
                    name: String::new(),
                    line: n + 1,
                    version: String::new(),
                    optional: false,
                    groups: vec!["main".to_string()],
                    dependencies: Vec::new(),
                    commit: None,
                });
            }
            continue;
        }
        let Some(entry) = entries.last_mut() else {
            continue;
        };
        let key = line.split('=').next().unwrap_or("").trim();
        match table.as_str() {
            "[[package]]" => match key {
                "name" => {
                    entry.name = value(line).unwrap_or_default();
                    entry.line = n + 1;
                }
                "version" => entry.version = value(line).unwrap_or_default(),
                "optional" => entry.optional = value(line).as_deref() == Some("true"),
                "category" => entry.groups = vec![value(line).unwrap_or_default()],
                "groups" => {
                    let list = value(line).unwrap_or_default();
                    entry.groups = list
                        .trim_matches(|c| c == '[' || c == ']')
                        .split(',')
                        .map(|g| g.trim().trim_matches('"').to_string())
                        .filter(|g| !g.is_empty())
                        .collect();
                }
                _ => {}
            },
            "[package.dependencies]" if !key.is_empty() => {
                let dep = key.trim_matches('"').to_string();
                if !entry.dependencies.iter().any(|(d, _)| *d == dep) {
                    let constraint = value(line)
                        .filter(|v| !v.starts_with('{'))
                        .unwrap_or_default();
                    entry.dependencies.push((dep, constraint));
                }
            }
            "[package.source]" if key == "resolved_reference" => entry.commit = value(line),
            _ => {}
        }
    }
    entries.retain(|e| !e.name.is_empty());
    entries
}

pub(crate) fn parse_poetry(origin: &str, text: &str, path: Option<&Path>) -> Result<Inventory> {
    let mut warning = None;
    let entries = match toml_doc::<PoetryLock>(origin, text) {
        Ok(lock) => poetry_entries(lock, text),
        Err(e) if text.contains("[[package]]") && e.to_string().contains("duplicate key") => {
            warning = Some(format!("not valid TOML ({e}); read table by table"));
            poetry_entries_lenient(text)
        }
        Err(e) => return Err(e),
    };
    let mut b = Builder::new(origin, "PyPI", "poetry.lock");
    if let Some(w) = warning {
        b.warn(w);
    }
    let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
    let mut indices = Vec::new();
    for p in &entries {
        let i = b.add(&p.name, &p.version, Some(p.line));
        let prod = p.groups.iter().any(|g| g == "main");
        let pkg = b.pkg(i);
        if p.optional {
            pkg.groups.push("optional".to_string());
            pkg.scope = Scope::Optional;
        }
        if !prod {
            pkg.groups.extend(p.groups.iter().cloned());
            pkg.scope = Scope::Dev;
        }
        pkg.commit = p.commit.clone();
        by_name.entry(normalize(&p.name)).or_default().push(i);
        indices.push(i);
    }
    for (p, &from) in entries.iter().zip(&indices) {
        for (dep, constraint) in &p.dependencies {
            for &to in by_name
                .get(&normalize(dep))
                .map(Vec::as_slice)
                .unwrap_or(&[])
            {
                b.depends(Some(from), to);
                b.requires(Some(from), to, constraint);
            }
        }
    }
    mark_direct(&mut b, &by_name, pyproject(path).as_ref());

    Ok(b.finish())
}

/// Marks the packages a manifest declares as direct dependencies.
fn mark_direct(
    b: &mut Builder,
    by_name: &HashMap<String, Vec<usize>>,
    manifest: Option<&Declared>,
) {
    let Some(manifest) = manifest else { return };
    for (name, _, scope) in &manifest.dependencies {
        for &to in by_name
            .get(&normalize(name))
            .map(Vec::as_slice)
            .unwrap_or(&[])
        {
            b.direct(to, *scope);
        }
    }
}

// ---- Pipfile.lock ------------------------------------------------------------

#[derive(Deserialize)]
struct PipfileEntry {
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    git: Option<String>,
    #[serde(rename = "ref", default)]
    reference: Option<String>,
}

#[derive(Deserialize)]
struct PipfileLock {
    #[serde(default)]
    default: BTreeMap<String, PipfileEntry>,
    #[serde(default)]
    develop: BTreeMap<String, PipfileEntry>,
}

pub(crate) fn parse_pipfile(origin: &str, text: &str, path: Option<&Path>) -> Result<Inventory> {
    let lock: PipfileLock = json(origin, text)?;
    let mut b = Builder::new(origin, "PyPI", "Pipfile.lock");
    let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
    for (section, entries, dev) in [
        ("default", &lock.default, false),
        ("develop", &lock.develop, true),
    ] {
        let start = json_key(text, 0, section).map_or(0, |(_, after)| after);
        let keys = JsonKeys::new(text, start);
        for (name, entry) in entries {
            let line = keys.get(name).map(|(l, _)| l);
            let (version, status) = match entry.version.as_deref() {
                Some(v) if v.starts_with("===") => (v[3..].to_string(), VersionStatus::Exact),
                Some(v) if v.starts_with("==") => (v[2..].to_string(), VersionStatus::Exact),
                Some(v) => (v.to_string(), VersionStatus::Unpinned),
                None if entry.git.is_some() => (
                    entry.reference.clone().unwrap_or_default(),
                    VersionStatus::Exact,
                ),
                None => (String::new(), VersionStatus::Unpinned),
            };
            let known = b.find(name, &version).is_some();
            let i = b.add(name, &version, line);
            let p = b.pkg(i);
            p.status = status;
            if entry.git.is_some() {
                p.commit = entry.reference.clone();
            }
            if dev && !known {
                p.scope = Scope::Dev;
                p.groups.push("dev".to_string());
            } else if !dev {
                p.scope = Scope::Prod;
                p.groups.clear();
            }
            by_name.entry(normalize(name)).or_default().push(i);
        }
    }
    mark_direct(&mut b, &by_name, pipfile(path).as_ref());
    Ok(b.finish())
}

// ---- uv.lock -----------------------------------------------------------------

#[derive(Deserialize)]
struct UvLock {
    #[serde(default)]
    package: Vec<UvPackage>,
}

#[derive(Deserialize)]
struct UvPackage {
    name: Spanned<String>,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    source: BTreeMap<String, toml::Value>,
    #[serde(default)]
    dependencies: Vec<UvDependency>,
    #[serde(rename = "optional-dependencies", default)]
    optional_dependencies: BTreeMap<String, Vec<UvDependency>>,
    #[serde(rename = "dev-dependencies", default)]
    dev_dependencies: BTreeMap<String, Vec<UvDependency>>,
}

#[derive(Deserialize)]
struct UvDependency {
    name: String,
}

/// uv's project entries (the root and workspace members) are not packages.
fn uv_is_project(p: &UvPackage) -> bool {
    ["virtual", "editable"]
        .iter()
        .any(|k| p.source.contains_key(*k))
}

pub(crate) fn parse_uv(origin: &str, text: &str) -> Result<Inventory> {
    let lock: UvLock = toml_doc(origin, text)?;
    let mut b = Builder::new(origin, "PyPI", "uv.lock");
    let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
    let mut nodes: Vec<Option<usize>> = Vec::new();
    let lines = LineIndex::new(text);
    for p in &lock.package {
        if uv_is_project(p) {
            nodes.push(None);
            continue;
        }
        let version = p.version.clone().unwrap_or_default();
        let i = b.add(
            p.name.get_ref(),
            &version,
            Some(lines.line(p.name.span().start)),
        );
        if let Some(git) = p.source.get("git").and_then(toml::Value::as_str) {
            b.pkg(i).commit = git.rsplit_once('#').map(|(_, c)| c.to_string());
        }
        by_name
            .entry(normalize(p.name.get_ref()))
            .or_default()
            .push(i);
        nodes.push(Some(i));
    }
    let targets = |d: &UvDependency| -> Vec<usize> {
        by_name
            .get(&normalize(&d.name))
            .cloned()
            .unwrap_or_default()
    };
    for (p, from) in lock.package.iter().zip(&nodes) {
        let mut edges: Vec<(usize, Scope, Option<&str>)> = Vec::new();
        for d in &p.dependencies {
            edges.extend(targets(d).into_iter().map(|t| (t, Scope::Prod, None)));
        }
        for (group, deps) in &p.optional_dependencies {
            for d in deps {
                edges.extend(
                    targets(d)
                        .into_iter()
                        .map(|t| (t, Scope::Optional, Some(group.as_str()))),
                );
            }
        }
        for (group, deps) in &p.dev_dependencies {
            for d in deps {
                edges.extend(
                    targets(d)
                        .into_iter()
                        .map(|t| (t, Scope::Dev, Some(group.as_str()))),
                );
            }
        }
        for (to, scope, group) in edges {
            match from {
                Some(from) => b.depends(Some(*from), to),
                None => {
                    b.direct(to, scope);
                    if let Some(group) = group {
                        let groups = &mut b.pkg(to).groups;
                        if !groups.iter().any(|g| g == group) {
                            groups.push(group.to_string());
                            groups.sort();
                        }
                    }
                }
            }
        }
    }
    b.propagate_scopes();
    Ok(b.finish())
}

// ---- pdm.lock ----------------------------------------------------------------

#[derive(Deserialize)]
struct PdmLock {
    #[serde(default)]
    package: Vec<PdmPackage>,
}

#[derive(Deserialize)]
struct PdmPackage {
    name: Spanned<String>,
    version: String,
    #[serde(default)]
    groups: Vec<String>,
    #[serde(default)]
    dependencies: Vec<String>,
    #[serde(default)]
    revision: Option<String>,
}

pub(crate) fn parse_pdm(origin: &str, text: &str, path: Option<&Path>) -> Result<Inventory> {
    let lock: PdmLock = toml_doc(origin, text)?;
    let mut b = Builder::new(origin, "PyPI", "pdm.lock");
    let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
    let mut indices = Vec::new();
    let lines = LineIndex::new(text);
    for p in &lock.package {
        let i = b.add(
            p.name.get_ref(),
            &p.version,
            Some(lines.line(p.name.span().start)),
        );
        let prod = p.groups.is_empty() || p.groups.iter().any(|g| g == "default");
        if !prod {
            b.pkg(i).scope = Scope::Dev;
            b.pkg(i).groups = p.groups.clone();
        }
        b.pkg(i).commit = p.revision.clone();
        by_name
            .entry(normalize(p.name.get_ref()))
            .or_default()
            .push(i);
        indices.push(i);
    }
    for (p, &from) in lock.package.iter().zip(&indices) {
        for dep in &p.dependencies {
            for &to in by_name
                .get(&normalize(pep508_name(dep)))
                .map(Vec::as_slice)
                .unwrap_or(&[])
            {
                b.depends(Some(from), to);
            }
        }
    }
    mark_direct(&mut b, &by_name, pyproject(path).as_ref());
    Ok(b.finish())
}

// ---- requirements.txt ----------------------------------------------------------

/// Deepest chain of `-r` includes followed.
const MAX_INCLUDE_DEPTH: usize = 16;

/// Logical lines: comments removed and `\` continuations joined, each with the
/// line it starts on.
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut start = 0;
    for (n, raw) in text.lines().enumerate() {
        if current.is_empty() {
            start = n + 1;
        }
        let without_comment = match raw.find(" #").or_else(|| raw.starts_with('#').then_some(0)) {
            Some(i) => &raw[..i],
            None => raw,
        };
        if let Some(continued) = without_comment.trim_end().strip_suffix('\\') {
            current.push_str(continued);
            current.push(' ');
            continue;
        }
        current.push_str(without_comment);
        let line = current.trim().to_string();
        if !line.is_empty() {
            out.push((start, line));
        }
        current.clear();
    }
    if !current.trim().is_empty() {
        out.push((start, current.trim().to_string()));
    }
    out
}

/// Reads a requirements file and the files it includes.
pub(crate) fn parse_requirements(
    origin: &str,
    text: &str,
    path: Option<&Path>,
) -> Result<Inventory> {
    let mut b = Builder::new(origin, "PyPI", origin.rsplit('/').next().unwrap_or(origin));
    let mut seen: HashSet<PathBuf> = HashSet::new();
    if let Some(p) = path {
        seen.insert(p.canonicalize().unwrap_or_else(|_| p.to_path_buf()));
    }
    read_requirements(&mut b, origin, text, path, 0, &mut seen)?;
    Ok(b.finish())
}

fn read_requirements(
    b: &mut Builder,
    origin: &str,
    text: &str,
    path: Option<&Path>,
    depth: usize,
    seen: &mut HashSet<PathBuf>,
) -> Result<()> {
    let dev = origin
        .rsplit('/')
        .next()
        .is_some_and(|f| f.contains("dev") || f.contains("test"));
    let lines = logical_lines(text);
    b.reserve(lines.len());
    for (line, req) in lines {
        if let Some(rest) = req
            .strip_prefix("-r")
            .or_else(|| req.strip_prefix("--requirement"))
        {
            let target = rest.trim_start_matches('=').trim();
            let Some(base) = path.and_then(Path::parent) else {
                b.warn(format!(
                    "line {line}: cannot follow -r {target} from a file without a path"
                ));
                continue;
            };
            if depth >= MAX_INCLUDE_DEPTH {
                return Err(Error::TooLarge {
                    origin: format!("{origin}:{line}"),
                    message: format!(
                        "requirements includes nested deeper than {MAX_INCLUDE_DEPTH}"
                    ),
                });
            }
            let included = base.join(target);
            let key = included.canonicalize().unwrap_or_else(|_| included.clone());
            if !seen.insert(key) {
                continue;
            }
            let text = match crate::read::read_text(&included) {
                Ok(t) => t,
                Err(e) => {
                    b.warn(format!("line {line}: -r {}: {e}", excerpt(target)));
                    continue;
                }
            };
            let child_origin = included.display().to_string();
            read_requirements(b, &child_origin, &text, Some(&included), depth + 1, seen)?;
            continue;
        }
        if req.starts_with('-') {
            // -c constraints, -i/--index-url, --hash on its own line, -e editable paths...
            if let Some(editable) = req
                .strip_prefix("-e")
                .or_else(|| req.strip_prefix("--editable"))
            {
                b.warn(format!(
                    "line {line}: editable requirement {} is not a package version",
                    quoted_line(editable)
                ));
            }
            continue;
        }
        let spec = req.split(" --").next().unwrap_or(&req);
        let spec = spec.split(';').next().unwrap_or(spec).trim();
        if spec.starts_with(['.', '/', '~']) || spec.contains("://") || spec.starts_with("file:") {
            b.warn(format!(
                "line {line}: {} is a local path or URL, not a package version",
                without_credentials(spec)
            ));
            continue;
        }
        let name = pep508_name(spec);
        let mut rest = spec[name.len()..].trim_start();
        if let Some(after_extras) = rest.strip_prefix('[') {
            rest = after_extras
                .split_once(']')
                .map_or("", |(_, r)| r)
                .trim_start();
        }
        // After the name come a version specifier, a URL, or nothing: a
        // line such as `key = value` (a credentials file read by mistake)
        // is not a requirement, and its value is not repeated.
        let specifier = ["===", "==", "!=", "<=", ">=", "~=", "<", ">", "@", "("];
        if name.is_empty() || !(rest.is_empty() || specifier.iter().any(|op| rest.starts_with(op)))
        {
            b.warn(format!(
                "line {line}: not a requirement: {}",
                quoted_line(&req)
            ));
            continue;
        }
        let (version, status) = if let Some(url) = rest.strip_prefix('@') {
            (url.trim().to_string(), VersionStatus::Unpinned)
        } else if let Some(v) = rest.strip_prefix("===").or_else(|| rest.strip_prefix("==")) {
            let v = v.trim();
            if v.contains(',') || v.ends_with('*') {
                (rest.to_string(), VersionStatus::Unpinned)
            } else {
                (v.to_string(), VersionStatus::Exact)
            }
        } else {
            (rest.to_string(), VersionStatus::Unpinned)
        };
        let origin_before = b.origin_name().to_string();
        b.set_origin(origin);
        let i = b.add(name, &version, Some(line));
        b.set_origin(&origin_before);
        let p = b.pkg(i);
        p.status = status;
        if dev {
            p.scope = Scope::Dev;
        }
        b.direct(i, if dev { Scope::Dev } else { Scope::Prod });
        // A pin is the declared requirement: moving it means editing the file.
        let requirement = match status {
            VersionStatus::Exact => format!("=={version}"),
            _ => version.clone(),
        };
        b.requires(None, i, &requirement);
    }
    Ok(())
}

/// A path or URL to quote: a URL as its scheme and host only (what follows
/// may carry an index's credentials or a token), a path as an excerpt.
fn without_credentials(spec: &str) -> String {
    match spec.split_once("://") {
        Some((scheme, rest)) => {
            let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
            let host = authority.rsplit('@').next().unwrap_or(authority);
            excerpt(&format!("{scheme}://{host}/…"))
        }
        None => excerpt(spec),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_urls_keep_no_credentials() {
        assert_eq!(
            without_credentials("https://user:t0ken@pypi.corp.example/simple/pkg.whl"),
            "https://pypi.corp.example/…"
        );
        assert_eq!(without_credentials("../shared/lib/"), "../shared/lib/");
    }

    #[test]
    fn requirements_pins_are_exact_and_the_rest_unpinned() {
        let text = "# deps\nflask==2.3.1 \\\n    --hash=sha256:abc\nrequests[socks]>=2.0 ; python_version > \"3\"\nDjango===4.2\n-c constraints.txt\nuvicorn\n";
        let inv = parse_requirements("requirements.txt", text, None).expect("valid");
        let got: Vec<(&str, &str, VersionStatus, Option<usize>)> = inv
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.status, p.source.line))
            .collect();
        assert_eq!(
            got,
            [
                ("flask", "2.3.1", VersionStatus::Exact, Some(2)),
                ("requests", ">=2.0", VersionStatus::Unpinned, Some(4)),
                ("Django", "4.2", VersionStatus::Exact, Some(5)),
                ("uvicorn", "", VersionStatus::Unpinned, Some(7)),
            ]
        );
        assert!(inv.packages.iter().all(|p| p.direct));
    }

    #[test]
    fn includes_are_followed_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join("base.txt"),
            "six==1.16.0\n-r requirements.txt\n",
        )
        .expect("write");
        let main = dir.path().join("requirements.txt");
        std::fs::write(&main, "-r base.txt\nattrs==23.1.0\n").expect("write");
        let text = std::fs::read_to_string(&main).expect("read");
        let inv =
            parse_requirements(&main.display().to_string(), &text, Some(&main)).expect("valid");
        let mut names: Vec<&str> = inv.packages.iter().map(|p| p.name.as_str()).collect();
        names.sort();
        assert_eq!(names, ["attrs", "six"]);
        let six = inv.packages.iter().find(|p| p.name == "six").expect("six");
        assert!(six.source.file.ends_with("base.txt"));
    }
}

#[cfg(test)]
mod lock_tests {
    use super::*;

    #[test]
    fn poetry_groups_optional_and_edges() {
        let text = "[[package]]\nname = \"requests\"\nversion = \"2.31.0\"\noptional = false\ngroups = [\"main\"]\n\n[package.dependencies]\nurllib3 = \">=1.21\"\n\n[[package]]\nname = \"urllib3\"\nversion = \"2.1.0\"\noptional = false\ngroups = [\"main\"]\n\n[[package]]\nname = \"pytest\"\nversion = \"8.0.0\"\noptional = false\ngroups = [\"dev\"]\n";
        let inv = parse_poetry("poetry.lock", text, None).expect("valid");
        assert_eq!(inv.packages.len(), 3);
        assert_eq!(inv.packages[2].groups, ["dev"]);
        assert_eq!(inv.graph.edges.len(), 1);
    }

    #[test]
    fn pipfile_default_and_develop() {
        let text = r#"{"_meta": {}, "default": {"flask": {"version": "==3.0.0"}, "lib": {"git": "https://x/lib.git", "ref": "abc"}},
            "develop": {"pytest": {"version": "==8.0.0"}}}"#;
        let inv = parse_pipfile("Pipfile.lock", text, None).expect("valid");
        let got: Vec<(&str, &str, Scope)> = inv
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.scope))
            .collect();
        assert_eq!(
            got,
            [
                ("flask", "3.0.0", Scope::Prod),
                ("lib", "abc", Scope::Prod),
                ("pytest", "8.0.0", Scope::Dev)
            ]
        );
        assert_eq!(inv.packages[1].commit.as_deref(), Some("abc"));
    }

    #[test]
    fn uv_projects_are_roots_not_packages() {
        let text = "version = 1\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\nsource = { editable = \".\" }\ndependencies = [{ name = \"httpx\" }]\n\n[package.dev-dependencies]\ndev = [{ name = \"pytest\" }]\n\n[[package]]\nname = \"httpx\"\nversion = \"0.27.0\"\nsource = { registry = \"https://pypi.org/simple\" }\n\n[[package]]\nname = \"pytest\"\nversion = \"8.0.0\"\nsource = { registry = \"https://pypi.org/simple\" }\n";
        let inv = parse_uv("uv.lock", text).expect("valid");
        let got: Vec<(&str, Scope, bool)> = inv
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.scope, p.direct))
            .collect();
        assert_eq!(
            got,
            [("httpx", Scope::Prod, true), ("pytest", Scope::Dev, true)]
        );
    }

    #[test]
    fn pdm_groups_and_requirement_edges() {
        let text = "[metadata]\nlock_version = \"4.4\"\n\n[[package]]\nname = \"fastapi\"\nversion = \"0.110.0\"\ngroups = [\"default\"]\ndependencies = [\"starlette<0.37.0,>=0.36.3\"]\n\n[[package]]\nname = \"starlette\"\nversion = \"0.36.3\"\ngroups = [\"default\"]\n\n[[package]]\nname = \"ruff\"\nversion = \"0.3.0\"\ngroups = [\"lint\"]\n";
        let inv = parse_pdm("pdm.lock", text, None).expect("valid");
        assert_eq!(inv.packages.len(), 3);
        assert_eq!(inv.packages[2].scope, Scope::Dev);
        assert_eq!(inv.graph.edges.len(), 1);
    }
}
