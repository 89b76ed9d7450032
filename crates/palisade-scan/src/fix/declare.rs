//! Finding the declarations of dependencies in manifests, each with the
//! byte span of its requirement text, so that raising one rewrites only
//! those bytes. JSON and TOML manifests are read with position-keeping
//! parsers; requirements files and Gemfiles line by line.

use palisade_version::requirement::Flavor;

use super::json;

/// One declared dependency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Declaration {
    pub name: String,
    /// The requirement as written (empty when none is).
    pub requirement: String,
    /// Where the requirement text is (start == end: where one is inserted).
    pub span: (usize, usize),
    pub flavor: Flavor,
    /// Text around an inserted requirement (`, "` and `"` in a Gemfile).
    pub wrap: Option<(&'static str, &'static str)>,
    /// Why this declaration cannot be rewritten, if it cannot.
    pub blocked: Option<String>,
    /// Other comparators declared beside this one (a Gemfile's `"< 2"`),
    /// which the raised requirement must still satisfy.
    pub others: Vec<String>,
}

impl Declaration {
    fn new(name: &str, text: &str, span: (usize, usize), flavor: Flavor) -> Declaration {
        Declaration {
            name: name.to_string(),
            requirement: text[span.0..span.1].to_string(),
            span,
            flavor,
            wrap: None,
            blocked: None,
            others: Vec::new(),
        }
    }
}

/// The kinds of manifest `palisade fix` edits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Manifest {
    PackageJson,
    ComposerJson,
    CargoToml,
    Pyproject,
    Pipfile,
    Requirements,
    Gemfile,
}

impl Manifest {
    pub(crate) fn from_name(name: &str) -> Option<Manifest> {
        Some(match name {
            "package.json" => Manifest::PackageJson,
            "composer.json" => Manifest::ComposerJson,
            "Cargo.toml" => Manifest::CargoToml,
            "pyproject.toml" => Manifest::Pyproject,
            "Pipfile" => Manifest::Pipfile,
            "Gemfile" | "gems.rb" => Manifest::Gemfile,
            n if n.ends_with(".txt") && n.contains("requirements") => Manifest::Requirements,
            _ => return None,
        })
    }
}

/// Every dependency declared in `text`, or an error message naming what
/// does not parse.
pub(crate) fn declarations(kind: Manifest, text: &str) -> Result<Vec<Declaration>, String> {
    match kind {
        Manifest::PackageJson => json_declarations(
            text,
            &["dependencies", "devDependencies", "optionalDependencies"],
            Flavor::Npm,
        ),
        Manifest::ComposerJson => {
            json_declarations(text, &["require", "require-dev"], Flavor::Composer)
        }
        Manifest::CargoToml | Manifest::Pyproject | Manifest::Pipfile => {
            toml_declarations(kind, text)
        }
        Manifest::Requirements => Ok(requirements(text)),
        Manifest::Gemfile => Ok(gemfile(text)),
    }
}

fn json_declarations(
    text: &str,
    sections: &[&str],
    flavor: Flavor,
) -> Result<Vec<Declaration>, String> {
    let members =
        json::members(text, sections).ok_or_else(|| "not well-formed JSON".to_string())?;
    Ok(members
        .into_iter()
        .map(|(_, name, span)| {
            let mut d = Declaration::new(&name, text, span, flavor);
            if d.requirement.contains('\\') {
                d.blocked = Some("the requirement uses JSON escapes".into());
            }
            d
        })
        .collect())
}

/// The content span of a single-line TOML string value (inside its quotes).
fn string_span(value: &toml_edit::Value, text: &str) -> Option<(usize, usize)> {
    let toml_edit::Value::String(_) = value else {
        return None;
    };
    let span = value.span()?;
    let raw = text.get(span.clone())?;
    if raw.starts_with("\"\"\"") || raw.starts_with("'''") || raw.len() < 2 {
        return None;
    }
    Some((span.start + 1, span.end - 1))
}

/// A dependency entry: `name = "req"`, `name = { version = "req", ... }` or
/// a `[section.name]` table with `version`.
fn entry(key: &str, item: &toml_edit::Item, text: &str, flavor: Flavor) -> Option<Declaration> {
    if let Some(span) = item.as_value().and_then(|v| string_span(v, text)) {
        return Some(Declaration::new(key, text, span, flavor));
    }
    let table = item.as_table_like()?;
    let name = table.get("package").and_then(|p| p.as_str()).unwrap_or(key);
    let version = table.get("version")?.as_value()?;
    let span = string_span(version, text)?;
    Some(Declaration::new(name, text, span, flavor))
}

fn table_entries(
    item: Option<&toml_edit::Item>,
    text: &str,
    flavor: Flavor,
    out: &mut Vec<Declaration>,
) {
    let Some(table) = item.and_then(toml_edit::Item::as_table_like) else {
        return;
    };
    for (key, item) in table.iter() {
        if let Some(d) = entry(key, item, text, flavor) {
            out.push(d);
        }
    }
}

/// PEP 508 strings in an array: `requests[socks]>=2.0 ; python_version>"3"`.
fn pep508_entries(item: Option<&toml_edit::Item>, text: &str, out: &mut Vec<Declaration>) {
    let Some(array) = item.and_then(toml_edit::Item::as_array) else {
        return;
    };
    for value in array.iter() {
        let Some((start, end)) = string_span(value, text) else {
            continue;
        };
        if let Some(d) = pep508(&text[start..end], start, text) {
            out.push(d);
        }
    }
}

/// Reads a PEP 508 requirement at `offset` of `text`: the specifier's span.
fn pep508(spec: &str, offset: usize, text: &str) -> Option<Declaration> {
    let name_len = spec
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(spec.len());
    if name_len == 0 {
        return None;
    }
    let mut pos = name_len;
    let rest = &spec[pos..];
    let trimmed = rest.trim_start();
    pos += rest.len() - trimmed.len();
    if trimmed.starts_with('[') {
        pos += trimmed.find(']')? + 1;
    }
    let tail = &spec[pos..];
    if tail.trim_start().starts_with('@') {
        let mut d = Declaration::new(
            &spec[..name_len],
            text,
            (offset + pos, offset + pos),
            Flavor::Pep440,
        );
        d.blocked = Some("a direct URL reference, not a version".into());
        return Some(d);
    }
    let end = tail.find([';', '#']).unwrap_or(tail.len());
    let body = &tail[..end];
    let lead = body.len() - body.trim_start().len();
    let spec_start = pos + lead;
    let spec_end = pos + body.trim_end().len();
    let spec_end = spec_end.max(spec_start);
    let mut d = Declaration::new(
        &spec[..name_len],
        text,
        (offset + spec_start, offset + spec_end),
        Flavor::Pep440,
    );
    // Strip a parenthesized specifier's parentheses from the requirement text.
    if d.requirement.starts_with('(') && d.requirement.ends_with(')') {
        d.span = (d.span.0 + 1, d.span.1 - 1);
        d.requirement = text[d.span.0..d.span.1].to_string();
    }
    Some(d)
}

fn toml_declarations(kind: Manifest, text: &str) -> Result<Vec<Declaration>, String> {
    let doc = toml_edit::Document::parse(text).map_err(|e| e.to_string())?;
    let root = doc.as_table();
    let mut out = Vec::new();
    match kind {
        Manifest::CargoToml => {
            for section in ["dependencies", "dev-dependencies", "build-dependencies"] {
                table_entries(root.get(section), text, Flavor::Cargo, &mut out);
            }
            if let Some(ws) = root
                .get("workspace")
                .and_then(toml_edit::Item::as_table_like)
            {
                table_entries(ws.get("dependencies"), text, Flavor::Cargo, &mut out);
            }
            if let Some(targets) = root.get("target").and_then(toml_edit::Item::as_table_like) {
                for (_, target) in targets.iter() {
                    if let Some(t) = target.as_table_like() {
                        for section in ["dependencies", "dev-dependencies", "build-dependencies"] {
                            table_entries(t.get(section), text, Flavor::Cargo, &mut out);
                        }
                    }
                }
            }
        }
        Manifest::Pipfile => {
            for section in ["packages", "dev-packages"] {
                table_entries(root.get(section), text, Flavor::Pep440, &mut out);
            }
        }
        _ => {
            let project = root.get("project").and_then(toml_edit::Item::as_table_like);
            if let Some(project) = project {
                pep508_entries(project.get("dependencies"), text, &mut out);
                if let Some(extras) = project
                    .get("optional-dependencies")
                    .and_then(|i| i.as_table_like())
                {
                    for (_, list) in extras.iter() {
                        pep508_entries(Some(list), text, &mut out);
                    }
                }
            }
            if let Some(groups) = root
                .get("dependency-groups")
                .and_then(|i| i.as_table_like())
            {
                for (_, list) in groups.iter() {
                    pep508_entries(Some(list), text, &mut out);
                }
            }
            let poetry = root
                .get("tool")
                .and_then(|t| t.as_table_like())
                .and_then(|t| t.get("poetry"))
                .and_then(|p| p.as_table_like());
            if let Some(poetry) = poetry {
                for section in ["dependencies", "dev-dependencies"] {
                    table_entries(poetry.get(section), text, Flavor::Poetry, &mut out);
                }
                if let Some(groups) = poetry.get("group").and_then(|g| g.as_table_like()) {
                    for (_, group) in groups.iter() {
                        let deps = group.as_table_like().and_then(|g| g.get("dependencies"));
                        table_entries(deps, text, Flavor::Poetry, &mut out);
                    }
                }
            }
        }
    }
    Ok(out)
}

/// Byte offsets of each line's start.
fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut offset = 0;
    text.split_inclusive('\n').map(move |line| {
        let start = offset;
        offset += line.len();
        (start, line.trim_end_matches(['\n', '\r']))
    })
}

fn requirements(text: &str) -> Vec<Declaration> {
    let all: Vec<(usize, &str)> = lines(text).collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < all.len() {
        let (start, line) = all[i];
        // A logical line continues while a physical one ends in `\`.
        let mut hashed = line.contains("--hash");
        let mut j = i;
        while all[j].1.trim_end().ends_with('\\') && j + 1 < all.len() {
            j += 1;
            hashed |= all[j].1.contains("--hash");
        }
        i = j + 1;
        let content = line.split(" #").next().unwrap_or(line);
        let content = content.trim_end().trim_end_matches('\\');
        let lead = content.len() - content.trim_start().len();
        let spec = content.trim_start();
        if spec.is_empty() || spec.starts_with(['#', '-', '.', '/']) || spec.contains("://") {
            continue;
        }
        let spec = spec.split(" --").next().unwrap_or(spec);
        if let Some(mut d) = pep508(spec, start + lead, text) {
            if hashed {
                d.blocked = Some(
                    "pinned with --hash: the hashes must be regenerated (pip-compile --generate-hashes)"
                        .into(),
                );
            }
            out.push(d);
        }
    }
    out
}

/// `gem "name", ">= 1.10", "< 2", require: false`
fn gemfile(text: &str) -> Vec<Declaration> {
    let mut out = Vec::new();
    for (start, line) in lines(text) {
        let body = line.trim_start();
        let Some(after) = body.strip_prefix("gem") else {
            continue;
        };
        if !after.starts_with([' ', '\t', '(']) {
            continue;
        }
        let mut pos = start + (line.len() - body.len()) + 3;
        let bytes = text.as_bytes();
        let end = start + line.len();
        let mut strings: Vec<(usize, usize)> = Vec::new();
        loop {
            while pos < end && matches!(bytes[pos], b' ' | b'\t' | b',' | b'(') {
                pos += 1;
            }
            if pos >= end || !matches!(bytes[pos], b'"' | b'\'') {
                break;
            }
            let quote = bytes[pos];
            let Some(close) = text[pos + 1..end].find(quote as char) else {
                break;
            };
            strings.push((pos + 1, pos + 1 + close));
            pos += close + 2;
        }
        let Some(&(ns, ne)) = strings.first() else {
            continue;
        };
        let name = &text[ns..ne];
        let requirements: Vec<(usize, usize)> = strings[1..]
            .iter()
            .copied()
            .filter(|&(s, e)| {
                text[s..e]
                    .trim_start()
                    .starts_with(|c: char| c.is_ascii_digit() || "<>=~!".contains(c))
            })
            .collect();
        match requirements.as_slice() {
            [] => {
                let mut d = Declaration::new(name, text, (ne + 1, ne + 1), Flavor::RubyGems);
                d.wrap = Some((", \"", "\""));
                out.push(d);
            }
            [one] => out.push(Declaration::new(name, text, *one, Flavor::RubyGems)),
            several => {
                // `">= 1.10", "< 2"`: the lower bound is raised, the rest kept.
                let lower = several.iter().copied().find(|&(s, e)| {
                    let t = text[s..e].trim_start();
                    !t.starts_with('<') && !t.starts_with("!=")
                });
                let mut d =
                    Declaration::new(name, text, lower.unwrap_or(several[0]), Flavor::RubyGems);
                if lower.is_none() {
                    d.blocked = Some("only upper bounds are declared".into());
                }
                d.others = several
                    .iter()
                    .filter(|&&r| Some(r) != lower)
                    .map(|&(s, e)| text[s..e].to_string())
                    .collect();
                out.push(d);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(kind: Manifest, text: &str) -> Vec<(String, String)> {
        declarations(kind, text)
            .unwrap_or_default()
            .into_iter()
            .map(|d| (d.name, d.requirement))
            .collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn cargo_manifests_in_all_their_shapes() {
        let text = "[package]\nname = \"x\"\n\n[dependencies]\nsmallvec = \"1.6\" # inline\nhyper = { version = '0.14.9', features = [\"full\"] }\nrenamed = { package = \"time\", version = \"0.1.44\" }\nlocal = { path = \"../local\" }\n\n[dependencies.regex]\nversion = \"1.5.4\"\n\n[target.'cfg(unix)'.dev-dependencies]\natty = \"0.2\"\n";
        assert_eq!(
            found(Manifest::CargoToml, text),
            pairs(&[
                ("smallvec", "1.6"),
                ("hyper", "0.14.9"),
                ("time", "0.1.44"),
                ("regex", "1.5.4"),
                ("atty", "0.2")
            ])
        );
    }

    #[test]
    fn pyproject_pep621_and_poetry() {
        let text = "[project]\ndependencies = [\n  \"requests[socks] >=2.0,<3 ; python_version>'3.8'\",\n  \"idna\",\n  \"flask @ https://x/flask.zip\",\n]\n[project.optional-dependencies]\ndev = [\"black==21.9b0\"]\n[tool.poetry.dependencies]\npython = \"^3.9\"\nurllib3 = {version = \"^1.26\", optional = true}\n[tool.poetry.group.test.dependencies]\npytest = \"6.2.5\"\n";
        assert_eq!(
            found(Manifest::Pyproject, text),
            pairs(&[
                ("requests", ">=2.0,<3"),
                ("idna", ""),
                ("flask", ""),
                ("black", "==21.9b0"),
                ("python", "^3.9"),
                ("urllib3", "^1.26"),
                ("pytest", "6.2.5"),
            ])
        );
    }

    #[test]
    fn requirements_lines_with_markers_comments_and_hashes() {
        let text = "# top\nrequests==2.24.0  # pinned\nboto3~=1.11 ; python_version >= \"3.7\"\n-r other.txt\nflask==2.0.1 \\\n    --hash=sha256:abc\n";
        let all = declarations(Manifest::Requirements, text).unwrap_or_default();
        let got: Vec<(&str, &str, bool)> = all
            .iter()
            .map(|d| (d.name.as_str(), d.requirement.as_str(), d.blocked.is_some()))
            .collect();
        assert_eq!(
            got,
            [
                ("requests", "==2.24.0", false),
                ("boto3", "~=1.11", false),
                ("flask", "==2.0.1", true)
            ]
        );
    }

    #[test]
    fn gemfile_declarations() {
        let text = "source \"https://rubygems.org\"\ngem \"rails\", \"~> 6.1.0\"\ngem 'nokogiri', '>= 1.10', '< 2', require: false\n  gem \"rack\"\ngemspec\n";
        let all = declarations(Manifest::Gemfile, text).unwrap_or_default();
        let got: Vec<(&str, &str, bool)> = all
            .iter()
            .map(|d| (d.name.as_str(), d.requirement.as_str(), d.wrap.is_some()))
            .collect();
        assert_eq!(
            got,
            [
                ("rails", "~> 6.1.0", false),
                ("nokogiri", ">= 1.10", false),
                ("rack", "", true)
            ]
        );
    }
}
