//! `palisade fix`: raise each vulnerable direct dependency's declaration to
//! the version that fixes it, in its manifest, keeping every other byte; then
//! name the one command per project that refreshes the lockfile.

mod declare;
mod diff;
mod json;
mod raise;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use palisade_version::requirement::{Flavor, Requirement};

use crate::error::{Error, Result};
use crate::finding::{Report, Via};
use declare::{Manifest, declarations};
pub use diff::unified;

/// Fuzzing entry point: reads `text` as the manifest named `name` and raises
/// every declaration it finds to `version`, checking that each span the
/// parsers hand back lies on character boundaries inside `text`. Not API.
#[doc(hidden)]
pub fn exercise_manifest(name: &str, text: &str, version: &str) {
    let Some(kind) = Manifest::from_name(name) else {
        return;
    };
    let Ok(found) = declarations(kind, text) else {
        return;
    };
    for declaration in found {
        let (start, end) = declaration.span;
        assert!(start <= end && end <= text.len(), "span out of bounds");
        assert!(text.is_char_boundary(start) && text.is_char_boundary(end));
        let _ = raise::raise(declaration.flavor, &declaration.requirement, version);
    }
}

/// Largest manifest edited.
const MAX_MANIFEST_BYTES: u64 = 8 << 20;

/// Deepest directory searched below a Cargo.lock for workspace members.
const MAX_WORKSPACE_DEPTH: usize = 6;

/// One requirement rewritten.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub package: String,
    pub from: String,
    pub to: String,
    /// 1-based line of the declaration.
    pub line: usize,
}

/// A manifest and its new text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub path: PathBuf,
    pub before: String,
    pub after: String,
    pub changes: Vec<Change>,
}

impl Edit {
    /// The edit as a unified diff, naming the file relative to `base`.
    pub fn diff(&self, base: &Path) -> String {
        let name = self.path.strip_prefix(base).unwrap_or(&self.path);
        unified(&name.display().to_string(), &self.before, &self.after)
    }
}

/// The command that brings a project's lockfile in line with its manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refresh {
    /// The project directory to run it in.
    pub dir: PathBuf,
    pub command: String,
}

/// What `palisade fix` will do.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub edits: Vec<Edit>,
    pub refresh: Vec<Refresh>,
    /// Vulnerable packages this plan does not fix, and why.
    pub not_fixed: Vec<String>,
}

/// How a lockfile relates to its manifest and how it is refreshed.
struct Project {
    manifests: Vec<PathBuf>,
    /// The refresh command for packages named in the refresh.
    refresh: fn(&[String]) -> String,
}

fn joined(names: &[String]) -> String {
    names.join(" ")
}

fn project_of(lockfile: &Path) -> Option<Project> {
    let name = lockfile.file_name()?.to_str()?;
    let dir = lockfile.parent().unwrap_or(Path::new(""));
    let sibling = |n: &str| vec![dir.join(n)];
    let project = |manifests, refresh| Some(Project { manifests, refresh });
    match name {
        "package-lock.json" | "npm-shrinkwrap.json" => {
            project(sibling("package.json"), |_| "npm install".into())
        }
        "yarn.lock" => project(sibling("package.json"), |_| "yarn install".into()),
        "pnpm-lock.yaml" => project(sibling("package.json"), |_| "pnpm install".into()),
        "Cargo.lock" => project(cargo_manifests(dir), |n| {
            let mut c = "cargo update".to_string();
            for name in n {
                c.push_str(&format!(" -p {name}"));
            }
            c
        }),
        "poetry.lock" => project(sibling("pyproject.toml"), |n| {
            format!("poetry update {}", joined(n))
        }),
        "uv.lock" => project(sibling("pyproject.toml"), |n| {
            let mut c = "uv lock".to_string();
            for name in n {
                c.push_str(&format!(" --upgrade-package {name}"));
            }
            c
        }),
        "pdm.lock" => project(sibling("pyproject.toml"), |n| {
            format!("pdm update {}", joined(n))
        }),
        "Pipfile.lock" => project(sibling("Pipfile"), |_| "pipenv lock".into()),
        "composer.lock" => project(sibling("composer.json"), |n| {
            format!("composer update {}", joined(n))
        }),
        "Gemfile.lock" | "gems.locked" => project(sibling("Gemfile"), |n| {
            format!("bundle update --conservative {}", joined(n))
        }),
        n if Manifest::from_name(n) == Some(Manifest::Requirements) => {
            project(vec![lockfile.to_path_buf()], |_| String::new())
        }
        _ => None,
    }
}

/// Every Cargo.toml at or below a Cargo.lock's directory (workspace members),
/// skipping build output and hidden directories.
fn cargo_manifests(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![(dir.to_path_buf(), 0)];
    while let Some((d, depth)) = stack.pop() {
        let manifest = d.join("Cargo.toml");
        if manifest.is_file() {
            found.push(manifest);
        }
        if depth >= MAX_WORKSPACE_DEPTH {
            continue;
        }
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if entry.file_type().is_ok_and(|t| t.is_dir())
                && !name.starts_with('.')
                && name != "target"
            {
                stack.push((entry.path(), depth + 1));
            }
        }
    }
    found.sort();
    found
}

/// Names compared as the ecosystem does (PEP 503, crates.io's `-`/`_`).
fn same_name(flavor: Flavor, a: &str, b: &str) -> bool {
    let norm = |s: &str| -> String {
        match flavor {
            Flavor::Pep440 | Flavor::Poetry => s.to_ascii_lowercase().replace(['_', '.'], "-"),
            Flavor::Cargo => s.replace('_', "-"),
            Flavor::Composer => s.to_ascii_lowercase(),
            _ => s.to_string(),
        }
    };
    norm(a) == norm(b)
}

fn read_manifest(path: &Path) -> Result<String> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.len() > MAX_MANIFEST_BYTES {
        return Err(Error::manifest(path, None, "too large to edit"));
    }
    std::fs::read_to_string(path).map_err(|e| Error::io(path, e))
}

/// Plans the edits for the findings of `report` (ignored findings excluded).
pub fn plan(report: &Report) -> Result<Plan> {
    // Per lockfile: direct packages to raise (name -> version) and
    // transitive ones a refresh fixes.
    let mut raise: BTreeMap<PathBuf, BTreeMap<String, String>> = BTreeMap::new();
    let mut refresh: BTreeMap<PathBuf, BTreeSet<String>> = BTreeMap::new();
    let mut not_fixed: BTreeSet<String> = BTreeSet::new();
    for f in report.findings.iter().filter(|f| f.ignored.is_none()) {
        let r = &f.remediation;
        let package = format!("{} {}", f.package.name, f.package.version);
        let Some(version) = &r.version else {
            not_fixed.insert(format!("{package}: no fixed version is known ({})", f.id));
            continue;
        };
        for location in &f.locations {
            let lockfile = PathBuf::from(location.file.split('!').next().unwrap_or(&location.file));
            if f.package.direct {
                raise
                    .entry(lockfile.clone())
                    .or_default()
                    .insert(f.package.name.clone(), version.clone());
            } else if r.via == Via::LockfileRefresh {
                refresh
                    .entry(lockfile.clone())
                    .or_default()
                    .insert(f.package.name.clone());
            } else if let Some(p) = &r.parent {
                not_fixed.insert(format!(
                    "{package}: needs a newer {} than {} ({}); palisade cannot tell offline which release allows {version}",
                    p.name, p.version, p.blocked_by
                ));
            } else {
                not_fixed.insert(format!(
                    "{package}: upgrade it to {version} ({})",
                    location.file
                ));
            }
        }
    }
    let mut edits: BTreeMap<PathBuf, Edit> = BTreeMap::new();
    let mut commands = Vec::new();
    let lockfiles: BTreeSet<&PathBuf> = raise.keys().chain(refresh.keys()).collect();
    for lockfile in lockfiles {
        let Some(project) = project_of(lockfile) else {
            let names: Vec<&String> = raise
                .get(lockfile)
                .into_iter()
                .flat_map(|m| m.keys())
                .collect();
            if !names.is_empty() {
                not_fixed.insert(format!(
                    "{}: palisade does not edit this kind of file; raise {} by hand",
                    lockfile.display(),
                    names
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            continue;
        };
        let wanted = raise.get(lockfile).cloned().unwrap_or_default();
        let mut done: BTreeSet<String> = BTreeSet::new();
        for manifest in &project.manifests {
            if wanted.is_empty() || !manifest.is_file() {
                continue;
            }
            let kind = manifest
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(Manifest::from_name);
            let Some(kind) = kind else { continue };
            let edit = match edits.get(manifest) {
                Some(e) => e.clone(),
                None => {
                    let text = read_manifest(manifest)?;
                    Edit {
                        path: manifest.clone(),
                        before: text.clone(),
                        after: text,
                        changes: Vec::new(),
                    }
                }
            };
            let edit = apply_to(edit, kind, &wanted, &mut done, &mut not_fixed)?;
            edits.insert(manifest.clone(), edit);
        }
        for (name, version) in &wanted {
            if !done.contains(name) {
                not_fixed.insert(format!(
                    "{name}: no declaration found to raise to {version} beside {}",
                    lockfile.display()
                ));
            }
        }
        let mut names: Vec<String> = done.into_iter().collect();
        names.extend(refresh.get(lockfile).into_iter().flatten().cloned());
        names.sort();
        names.dedup();
        let command = (project.refresh)(&names);
        if !names.is_empty() && !command.is_empty() {
            commands.push(Refresh {
                dir: lockfile.parent().unwrap_or(Path::new(".")).to_path_buf(),
                command,
            });
        }
    }
    commands.sort_by(|a, b| a.dir.cmp(&b.dir));
    commands.dedup();
    Ok(Plan {
        edits: edits
            .into_values()
            .filter(|e| !e.changes.is_empty())
            .collect(),
        refresh: commands,
        not_fixed: not_fixed.into_iter().collect(),
    })
}

/// Rewrites in `edit.after` each wanted package's declaration.
fn apply_to(
    mut edit: Edit,
    kind: Manifest,
    wanted: &BTreeMap<String, String>,
    done: &mut BTreeSet<String>,
    not_fixed: &mut BTreeSet<String>,
) -> Result<Edit> {
    let text = edit.after.clone();
    let found = declarations(kind, &text).map_err(|m| Error::manifest(&edit.path, None, m))?;
    // Replacements from the end, so earlier spans stay valid.
    let mut replacements: Vec<((usize, usize), String, Change)> = Vec::new();
    for d in &found {
        let Some((name, version)) = wanted.iter().find(|(n, _)| same_name(d.flavor, n, &d.name))
        else {
            continue;
        };
        let line = text[..d.span.0].matches('\n').count() + 1;
        let place = format!("{}:{line}", edit.path.display());
        if let Some(reason) = &d.blocked {
            not_fixed.insert(format!("{name} ({place}): {reason}"));
            continue;
        }
        let Some(mut new) = raise::raise(d.flavor, &d.requirement, version) else {
            not_fixed.insert(format!(
                "{name} ({place}): cannot raise {:?} to {version} without changing its meaning",
                d.requirement
            ));
            continue;
        };
        if !d.others.is_empty() {
            let combined = std::iter::once(new.clone())
                .chain(d.others.iter().cloned())
                .collect::<Vec<_>>()
                .join(", ");
            if !Requirement::parse(d.flavor, &combined).is_ok_and(|r| r.matches(version)) {
                not_fixed.insert(format!(
                    "{name} ({place}): {combined:?} would still refuse {version}"
                ));
                continue;
            }
        }
        if new == d.requirement {
            done.insert(name.clone());
            continue;
        }
        let change = Change {
            package: name.clone(),
            from: d.requirement.clone(),
            to: new.clone(),
            line,
        };
        if let Some((before, after)) = d.wrap {
            new = format!("{before}{new}{after}");
        }
        replacements.push((d.span, new, change));
        done.insert(name.clone());
    }
    replacements.sort_by_key(|r| std::cmp::Reverse(r.0));
    let mut after = text;
    for (span, new, change) in replacements {
        after.replace_range(span.0..span.1, &new);
        edit.changes.push(change);
    }
    edit.changes.sort_by_key(|c| c.line);
    edit.after = after;
    Ok(edit)
}

/// Writes each edit: to a temporary file beside the manifest, then renamed
/// over it, so an interrupted fix never leaves half a manifest.
pub fn apply(plan: &Plan) -> Result<()> {
    for edit in &plan.edits {
        let current = read_manifest(&edit.path)?;
        if current != edit.before {
            return Err(Error::manifest(
                &edit.path,
                None,
                "changed since it was read; run palisade fix again",
            ));
        }
        let dir = edit.path.parent().unwrap_or(Path::new("."));
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| Error::io(dir, e))?;
        std::io::Write::write_all(&mut tmp, edit.after.as_bytes())
            .map_err(|e| Error::io(&edit.path, e))?;
        if let Ok(meta) = std::fs::metadata(&edit.path) {
            let _ = std::fs::set_permissions(tmp.path(), meta.permissions());
        }
        tmp.persist(&edit.path)
            .map_err(|e| Error::io(&edit.path, e.error))?;
    }
    Ok(())
}
