//! Java: Maven's `pom.xml`, read offline.
//!
//! Dependencies' `${property}` versions are filled from the POM's properties
//! and project coordinates; a missing version from `dependencyManagement`.
//! Parents and imported BOMs are not fetched: what they would define is
//! reported as unresolved, with a warning, rather than guessed. XML entities
//! other than the predefined ones are not expanded.

use std::collections::HashMap;

use quick_xml::Reader;
use quick_xml::events::Event;

use super::{Builder, line_at};
use crate::model::{Inventory, Scope, VersionStatus};
use crate::{Error, Result};

#[derive(Default, Clone)]
struct Dependency {
    group: String,
    artifact: String,
    version: String,
    scope: String,
    optional: String,
    line: usize,
}

const MAX_DEPTH: usize = 256;

/// Fills `${name}` references from `properties`, a few levels deep.
fn interpolate(value: &str, properties: &HashMap<String, String>) -> Option<String> {
    let mut current = value.to_string();
    for _ in 0..10 {
        let Some(start) = current.find("${") else {
            return Some(current);
        };
        let end = start + current[start..].find('}')?;
        let key = &current[start + 2..end];
        let replacement = properties.get(key)?;
        current = format!(
            "{}{}{}",
            &current[..start],
            replacement,
            &current[end + 1..]
        );
    }
    (!current.contains("${")).then_some(current)
}

pub(crate) fn parse(origin: &str, text: &str) -> Result<Inventory> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(true);
    let mut path: Vec<String> = Vec::new();
    let mut properties: HashMap<String, String> = HashMap::new();
    let mut dependencies: Vec<Dependency> = Vec::new();
    let mut managed: Vec<Dependency> = Vec::new();
    let mut current = Dependency::default();
    let mut text_buf = String::new();
    loop {
        let event = reader.read_event().map_err(|e| {
            Error::parse(
                origin,
                Some(line_at(text, reader.buffer_position() as usize)),
                format!("invalid XML: {e}"),
            )
        })?;
        match event {
            Event::Start(e) => {
                if path.len() >= MAX_DEPTH {
                    return Err(Error::TooLarge {
                        origin: origin.to_string(),
                        message: format!("XML nested deeper than {MAX_DEPTH} elements"),
                    });
                }
                let name = e.local_name().as_ref().to_string();
                if name == "dependency" {
                    current = Dependency {
                        line: line_at(text, (reader.buffer_position() as usize).saturating_sub(1)),
                        ..Dependency::default()
                    };
                }
                path.push(name);
                text_buf.clear();
            }
            Event::Text(t) => text_buf.push_str(&t),
            Event::CData(t) => text_buf.push_str(&t),
            Event::GeneralRef(r) => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    text_buf.push(c);
                } else {
                    let name: &str = &r;
                    text_buf.push_str(match name {
                        "amp" => "&",
                        "lt" => "<",
                        "gt" => ">",
                        "quot" => "\"",
                        "apos" => "'",
                        _ => "",
                    });
                }
            }
            Event::End(_) => {
                let value = text_buf.trim().to_string();
                let joined: Vec<&str> = path.iter().map(String::as_str).collect();
                match joined.as_slice() {
                    ["project", "properties", key] => {
                        properties.insert((*key).to_string(), value.clone());
                    }
                    ["project", field @ ("version" | "groupId" | "artifactId")] => {
                        properties.insert(format!("project.{field}"), value.clone());
                        properties.insert(format!("pom.{field}"), value.clone());
                    }
                    ["project", "parent", field @ ("version" | "groupId")] => {
                        properties.insert(format!("project.parent.{field}"), value.clone());
                        properties.insert(format!("parent.{field}"), value.clone());
                        properties
                            .entry(format!("project.{field}"))
                            .or_insert(value.clone());
                    }
                    [.., "dependency", field] => match *field {
                        "groupId" => current.group = value.clone(),
                        "artifactId" => current.artifact = value.clone(),
                        "version" => current.version = value.clone(),
                        "scope" => current.scope = value.clone(),
                        "optional" => current.optional = value.clone(),
                        _ => {}
                    },
                    ["project", "dependencies", "dependency"] => dependencies.push(current.clone()),
                    [
                        "project",
                        "dependencyManagement",
                        "dependencies",
                        "dependency",
                    ] => managed.push(current.clone()),
                    _ => {}
                }
                path.pop();
                text_buf.clear();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let name = properties
        .get("project.artifactId")
        .cloned()
        .unwrap_or_else(|| "pom.xml".to_string());
    let mut b = Builder::new(origin, "Maven", &name);
    let mut unresolved: Vec<String> = Vec::new();
    for dep in dependencies {
        let group = interpolate(&dep.group, &properties).unwrap_or(dep.group.clone());
        let artifact = interpolate(&dep.artifact, &properties).unwrap_or(dep.artifact.clone());
        let declared = if dep.version.is_empty() {
            managed
                .iter()
                .find(|m| {
                    interpolate(&m.group, &properties).as_deref() == Some(group.as_str())
                        && interpolate(&m.artifact, &properties).as_deref()
                            == Some(artifact.as_str())
                })
                .map(|m| m.version.clone())
                .unwrap_or_default()
        } else {
            dep.version.clone()
        };
        let resolved = interpolate(&declared, &properties).filter(|v| !v.is_empty());
        let coordinates = format!("{group}:{artifact}");
        let (version, status) = match resolved {
            Some(v) => (v, VersionStatus::Exact),
            None => {
                unresolved.push(format!("{coordinates} (line {})", dep.line));
                (declared, VersionStatus::Unresolved)
            }
        };
        let i = b.add(&coordinates, &version, Some(dep.line));
        let scope = match (dep.scope.as_str(), dep.optional.as_str()) {
            ("test", _) => Scope::Dev,
            (_, "true") => Scope::Optional,
            _ => Scope::Prod,
        };
        let p = b.pkg(i);
        p.status = status;
        p.scope = scope;
        if !dep.scope.is_empty() && dep.scope != "compile" {
            p.groups = vec![dep.scope.clone()];
        }
        b.direct(i, scope);
    }
    if !unresolved.is_empty() {
        b.warn(format!(
            "{} dependency versions come from a parent POM or BOM, which is not read offline; reported as unresolved: {}",
            unresolved.len(),
            unresolved.join(", ")
        ));
    }
    Ok(b.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_and_managed_versions_fill_dependencies() {
        let pom = "<project>\n<version>2.0</version>\n<properties><netty.version>4.1.9</netty.version></properties>\n<dependencies>\n<dependency><groupId>io.netty</groupId><artifactId>netty-all</artifactId><version>${netty.version}</version></dependency>\n<dependency><groupId>a</groupId><artifactId>b</artifactId></dependency>\n<dependency><groupId>x</groupId><artifactId>y</artifactId><version>${project.version}</version><scope>test</scope></dependency>\n<dependency><groupId>p</groupId><artifactId>q</artifactId><version>${from.parent}</version></dependency>\n</dependencies>\n<dependencyManagement><dependencies><dependency><groupId>a</groupId><artifactId>b</artifactId><version>1.0</version></dependency></dependencies></dependencyManagement>\n</project>";
        let inv = parse("pom.xml", pom).expect("valid");
        let got: Vec<(&str, &str, VersionStatus, Scope)> = inv
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.status, p.scope))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "io.netty:netty-all",
                    "4.1.9",
                    VersionStatus::Exact,
                    Scope::Prod
                ),
                ("a:b", "1.0", VersionStatus::Exact, Scope::Prod),
                ("x:y", "2.0", VersionStatus::Exact, Scope::Dev),
                (
                    "p:q",
                    "${from.parent}",
                    VersionStatus::Unresolved,
                    Scope::Prod
                ),
            ]
        );
        assert_eq!(inv.warnings.len(), 1);
    }

    #[test]
    fn entities_are_not_expanded() {
        let pom = "<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;\">]><project><dependencies><dependency><groupId>&lol2;</groupId><artifactId>a</artifactId><version>1</version></dependency></dependencies></project>";
        let inv = parse("pom.xml", pom).expect("parses");
        assert_eq!(inv.packages[0].name, ":a");
    }
}
