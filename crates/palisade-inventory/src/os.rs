//! Operating-system packages: Debian's dpkg database (`status` and the
//! `status.d/` directory of distroless images), Alpine's apk database, and the
//! distribution named by `os-release`.

use std::collections::HashMap;

use crate::formats::Builder;
use crate::model::{Inventory, Scope};
use crate::purl::purl;

/// The distribution of a root filesystem.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Distro {
    /// `debian`, `ubuntu`, `alpine`, ...
    pub id: String,
    /// `12`, `22.04`, `3.18.4`.
    pub version_id: String,
    pub codename: String,
}

impl Distro {
    /// Reads `os-release` (`KEY=value` lines, values optionally quoted).
    pub fn parse(text: &str) -> Distro {
        let mut d = Distro::default();
        for line in text.lines() {
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            let value = value
                .trim()
                .trim_matches('"')
                .trim_matches('\'')
                .to_string();
            match key.trim() {
                "ID" => d.id = value,
                "VERSION_ID" => d.version_id = value,
                "VERSION_CODENAME" => d.codename = value,
                _ => {}
            }
        }
        d
    }

    /// The OSV ecosystem of the distribution's packages.
    pub fn ecosystem(&self) -> &'static str {
        match self.id.as_str() {
            "ubuntu" => "Ubuntu",
            "alpine" => "Alpine",
            "wolfi" | "chainguard" => "Wolfi",
            _ => "Debian",
        }
    }

    /// The purl `distro` qualifier: `debian-12`, `alpine-3.18.4`.
    pub fn qualifier(&self) -> String {
        if self.id.is_empty() {
            String::new()
        } else if self.version_id.is_empty() {
            self.id.clone()
        } else {
            format!("{}-{}", self.id, self.version_id)
        }
    }
}

/// RFC 822 style paragraphs (dpkg) split on blank lines; continuation lines
/// (leading space) are kept with their field. Each field keeps its line.
fn paragraphs(text: &str) -> Vec<(usize, HashMap<&str, &str>)> {
    let mut out = Vec::new();
    let mut current: HashMap<&str, &str> = HashMap::new();
    let mut start = 0;
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            if !current.is_empty() {
                out.push((start, std::mem::take(&mut current)));
            }
            continue;
        }
        if line.starts_with([' ', '\t']) {
            continue;
        }
        if current.is_empty() {
            start = n + 1;
        }
        if let Some((k, v)) = line.split_once(':') {
            current.insert(k.trim(), v.trim());
        }
    }
    if !current.is_empty() {
        out.push((start, current));
    }
    out
}

/// Package names from a `Depends:` field (`a (>= 1), b | c`): the first of each
/// alternative, without version or architecture.
fn depends_names(field: &str) -> Vec<&str> {
    field
        .split(',')
        .filter_map(|alt| alt.split('|').next())
        .map(|d| d.trim().split([' ', '(', ':']).next().unwrap_or("").trim())
        .filter(|d| !d.is_empty())
        .collect()
}

/// Packages of a dpkg database: every paragraph whose status is `installed`
/// (as `dpkg-query`'s `${db:Status-Status}` reports it). `auto` names packages
/// apt installed as dependencies (from `extended_states`), which are not direct.
pub fn dpkg(origins: &[(String, String)], distro: &Distro, auto: &[String]) -> Inventory {
    let ecosystem = distro.ecosystem();
    let mut b = Builder::new(
        origins
            .first()
            .map_or("var/lib/dpkg/status", |(o, _)| o.as_str()),
        ecosystem,
        format!(
            "{} {}",
            if distro.id.is_empty() {
                "debian"
            } else {
                &distro.id
            },
            distro.version_id
        )
        .trim(),
    );
    let mut by_name: HashMap<String, usize> = HashMap::new();
    let mut depends: Vec<(usize, Vec<String>)> = Vec::new();
    let qualifier = distro.qualifier();
    for (origin, text) in origins {
        b.set_origin(origin);
        for (line, fields) in paragraphs(text) {
            let (Some(name), Some(version)) = (fields.get("Package"), fields.get("Version")) else {
                continue;
            };
            // A status.d entry has no Status field: its presence means installed.
            let installed = fields
                .get("Status")
                .is_none_or(|s| s.split_whitespace().nth(2) == Some("installed"));
            if !installed {
                continue;
            }
            let i = b.add(name, version, Some(line));
            let arch = fields.get("Architecture").copied().unwrap_or("");
            let p = b.pkg(i);
            p.purl = purl(
                ecosystem,
                name,
                version,
                &[("arch", arch), ("distro", &qualifier)],
            );
            if let Some(source) = fields.get("Source") {
                let source_name = source.split_whitespace().next().unwrap_or(source);
                if source_name != *name {
                    p.groups = vec![format!("source:{source_name}")];
                }
            }
            by_name.insert((*name).to_string(), i);
            let mut deps: Vec<String> = Vec::new();
            for field in ["Depends", "Pre-Depends"] {
                if let Some(f) = fields.get(field) {
                    deps.extend(depends_names(f).into_iter().map(str::to_string));
                }
            }
            depends.push((i, deps));
        }
    }
    for (from, deps) in depends {
        for d in deps {
            if let Some(&to) = by_name.get(&d) {
                b.depends(Some(from), to);
            }
        }
    }
    for (name, &i) in &by_name {
        if !auto.iter().any(|a| a == name) {
            b.direct(i, Scope::Prod);
        }
    }
    b.finish()
}

/// Names apt marked `Auto-Installed: 1` in `extended_states`.
pub fn apt_auto_installed(text: &str) -> Vec<String> {
    paragraphs(text)
        .into_iter()
        .filter(|(_, f)| f.get("Auto-Installed") == Some(&"1"))
        .filter_map(|(_, f)| f.get("Package").map(|p| (*p).to_string()))
        .collect()
}

/// Packages of Alpine's `lib/apk/db/installed` (`P:` name, `V:` version, `A:`
/// arch, `D:` dependencies, `o:` origin).
pub fn apk(origin: &str, text: &str, distro: &Distro) -> Inventory {
    let ecosystem = if distro.id.is_empty() {
        "Alpine"
    } else {
        distro.ecosystem()
    };
    let mut b = Builder::new(
        origin,
        ecosystem,
        format!("{} {}", distro.id, distro.version_id).trim(),
    );
    let qualifier = distro.qualifier();
    let mut by_name: HashMap<String, usize> = HashMap::new();
    let mut provides: HashMap<String, usize> = HashMap::new();
    let mut depends: Vec<(usize, Vec<String>)> = Vec::new();
    let mut record: HashMap<char, Vec<&str>> = HashMap::new();
    let mut start = 1;
    let mut flush = |record: &mut HashMap<char, Vec<&str>>, start: usize, b: &mut Builder| {
        let name = record.get(&'P').and_then(|v| v.first()).copied();
        let version = record.get(&'V').and_then(|v| v.first()).copied();
        if let (Some(name), Some(version)) = (name, version) {
            let i = b.add(name, version, Some(start));
            let arch = record
                .get(&'A')
                .and_then(|v| v.first())
                .copied()
                .unwrap_or("");
            b.pkg(i).purl = purl(
                ecosystem,
                name,
                version,
                &[("arch", arch), ("distro", &qualifier)],
            );
            if let Some(origin) = record.get(&'o').and_then(|v| v.first())
                && *origin != name
            {
                b.pkg(i).groups = vec![format!("origin:{origin}")];
            }
            by_name.insert(name.to_string(), i);
            for p in record
                .get(&'p')
                .into_iter()
                .flatten()
                .flat_map(|l| l.split_whitespace())
            {
                provides.insert(p.split('=').next().unwrap_or(p).to_string(), i);
            }
            let deps = record
                .get(&'D')
                .into_iter()
                .flatten()
                .flat_map(|l| l.split_whitespace())
                .filter(|d| !d.starts_with('!'))
                .map(|d| {
                    d.split(['=', '<', '>', '~'])
                        .next()
                        .unwrap_or(d)
                        .to_string()
                })
                .collect();
            depends.push((i, deps));
        }
        record.clear();
    };
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            flush(&mut record, start, &mut b);
            start = n + 2;
            continue;
        }
        let mut chars = line.chars();
        if let (Some(key), Some(':')) = (chars.next(), chars.next()) {
            record
                .entry(key)
                .or_default()
                .push(&line[key.len_utf8() + 1..]);
        }
    }
    flush(&mut record, start, &mut b);
    for (from, deps) in depends {
        for d in deps {
            let target = by_name.get(&d).or_else(|| provides.get(&d));
            if let Some(&to) = target {
                b.depends(Some(from), to);
            }
        }
    }
    let names: Vec<usize> = by_name.values().copied().collect();
    for i in names {
        b.direct(i, Scope::Prod);
    }
    b.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_installed_dpkg_entries_count() {
        let status = "Package: a\nStatus: install ok installed\nVersion: 1:2.0-1\nArchitecture: amd64\nDepends: b (>= 1), c | d\n\nPackage: b\nStatus: deinstall ok config-files\nVersion: 1.0\n\nPackage: c\nStatus: hold ok installed\nVersion: 3\nArchitecture: all\n";
        let distro = Distro::parse("ID=debian\nVERSION_ID=\"12\"\n");
        let inv = dpkg(
            &[("status".into(), status.into())],
            &distro,
            &["c".to_string()],
        );
        let got: Vec<(&str, &str)> = inv
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect();
        assert_eq!(got, [("a", "1:2.0-1"), ("c", "3")]);
        assert_eq!(
            inv.packages[0].purl,
            "pkg:deb/debian/a@1%3A2.0-1?arch=amd64&distro=debian-12"
        );
        assert!(inv.packages[0].direct && !inv.packages[1].direct);
        assert_eq!(inv.graph.edges.len(), 2, "a -> c, and the root -> a");
    }

    #[test]
    fn a_multibyte_field_letter_is_not_a_crash() {
        let inv = apk("installed", "\u{fffd}:x\nP:a\nV:1\n", &Distro::default());
        assert_eq!(inv.packages.len(), 1);
    }

    #[test]
    fn apk_database_records() {
        let db = "C:Q1abc\nP:musl\nV:1.2.4-r2\nA:x86_64\n\nP:busybox\nV:1.36.1-r5\nA:x86_64\nD:so:libc.musl-x86_64.so.1\no:busybox\n";
        let distro = Distro::parse("ID=alpine\nVERSION_ID=3.18.4\n");
        let inv = apk("installed", db, &distro);
        assert_eq!(inv.packages.len(), 2);
        assert_eq!(
            inv.packages[0].purl,
            "pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.18.4"
        );
        assert_eq!(inv.packages[1].source.line, Some(6));
    }
}
