//! The scan policy, `palisade.toml`: what fails the build, what is ignored
//! (with a reason, and until when), and what is not scanned.
//!
//! ```toml
//! fail-on = "high"          # none | low | medium | high | critical
//! fail-on-dev = false       # dev dependencies are reported, not failing
//! skip-paths = ["examples", "**/testdata/**"]
//! skip-ecosystems = ["Maven"]
//!
//! [[ignore]]
//! id = "GHSA-29mw-wpgm-hmr9"
//! reason = "not reachable: we never call lodash.template"
//! expires = 2027-03-01      # optional; from that day the finding counts again
//! package = "lodash"        # optional: only for this package
//! ```

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use globset::{Glob, GlobSet, GlobSetBuilder};
use palisade_vulndb::Rating;
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::finding::{Ignored, PackageRef};

/// The file palisade looks for in a scanned directory.
pub const POLICY_FILE: &str = "palisade.toml";

/// The largest policy file read.
const MAX_POLICY_BYTES: u64 = 1 << 20;

/// The lowest severity that fails a scan.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Threshold {
    /// Nothing fails.
    None,
    /// Any vulnerability fails (unrated ones included).
    #[default]
    Low,
    Medium,
    High,
    Critical,
}

impl Threshold {
    pub fn parse(text: &str) -> Option<Threshold> {
        Some(match text.trim().to_ascii_lowercase().as_str() {
            "none" => Threshold::None,
            "low" => Threshold::Low,
            "medium" | "moderate" => Threshold::Medium,
            "high" => Threshold::High,
            "critical" => Threshold::Critical,
            _ => return None,
        })
    }

    /// Whether a finding of `rating` reaches the threshold.
    pub fn reached_by(self, rating: Rating) -> bool {
        let needed = match self {
            Threshold::None => return false,
            Threshold::Low => Rating::Low,
            Threshold::Medium => Rating::Medium,
            Threshold::High => Rating::High,
            Threshold::Critical => Rating::Critical,
        };
        rating >= needed
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Threshold::None => "none",
            Threshold::Low => "low",
            Threshold::Medium => "medium",
            Threshold::High => "high",
            Threshold::Critical => "critical",
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct PolicyFile {
    fail_on: Option<String>,
    #[serde(default)]
    fail_on_dev: bool,
    #[serde(default)]
    skip_paths: Vec<String>,
    #[serde(default)]
    skip_ecosystems: Vec<String>,
    #[serde(default)]
    ignore: Vec<toml::Spanned<IgnoreFile>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IgnoreFile {
    id: String,
    reason: String,
    expires: Option<toml::Value>,
    package: Option<String>,
}

/// One `[[ignore]]` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IgnoreRule {
    /// An advisory id or any alias of it.
    pub id: String,
    pub reason: String,
    pub expires: Option<NaiveDate>,
    /// Only for this package: a name, `ecosystem/name` or a purl prefix.
    pub package: Option<String>,
    /// Line of the entry in the policy file.
    pub line: Option<usize>,
}

impl IgnoreRule {
    fn applies_to(&self, ids: &[&str], package: &PackageRef) -> bool {
        if !ids.iter().any(|id| id.eq_ignore_ascii_case(&self.id)) {
            return false;
        }
        let Some(scope) = &self.package else {
            return true;
        };
        let scope = scope.trim();
        if scope.starts_with("pkg:") {
            return package.purl.starts_with(scope);
        }
        match scope.split_once('/') {
            Some((eco, name))
                if eco.eq_ignore_ascii_case(&package.ecosystem)
                    && !package.ecosystem.is_empty() =>
            {
                name.eq_ignore_ascii_case(&package.name)
            }
            _ => scope.eq_ignore_ascii_case(&package.name),
        }
    }
}

/// What the policy says about one finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    Report,
    Ignore(Ignored),
    /// An ignore applied until it expired: reported again, with a warning.
    Expired(IgnoreRule),
}

/// A loaded policy; [`Policy::default`] fails on any vulnerability in
/// non-dev dependencies and ignores nothing.
#[derive(Clone, Debug, Default)]
pub struct Policy {
    pub fail_on: Threshold,
    pub fail_on_dev: bool,
    pub ignores: Vec<IgnoreRule>,
    pub skip_ecosystems: Vec<String>,
    skip_paths: Option<GlobSet>,
    /// The directory skip patterns are relative to.
    root: PathBuf,
    /// Where the policy was read from.
    pub origin: Option<PathBuf>,
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

impl Policy {
    /// Reads a policy file; skip patterns are relative to its directory.
    pub fn load(path: &Path) -> Result<Policy> {
        let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
        if meta.len() > MAX_POLICY_BYTES {
            return Err(Error::Config {
                path: path.to_path_buf(),
                line: None,
                message: format!("larger than {MAX_POLICY_BYTES} bytes"),
            });
        }
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let root = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Policy::parse(path, &text, &root)
    }

    /// The policy of a scanned directory: its `palisade.toml` if there is one.
    pub fn discover(dir: &Path) -> Result<Policy> {
        let candidate = dir.join(POLICY_FILE);
        if candidate.is_file() {
            Policy::load(&candidate)
        } else {
            Ok(Policy {
                root: dir.to_path_buf(),
                ..Policy::default()
            })
        }
    }

    /// Parses policy text; `path` names it in errors.
    pub fn parse(path: &Path, text: &str, root: &Path) -> Result<Policy> {
        let error = |line: Option<usize>, message: String| Error::Config {
            path: path.to_path_buf(),
            line,
            message,
        };
        let file: PolicyFile = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start));
            error(line, e.message().to_string())
        })?;
        let fail_on = match &file.fail_on {
            Some(t) => Threshold::parse(t).ok_or_else(|| {
                error(
                    None,
                    format!("fail-on = {t:?}: expected none, low, medium, high or critical"),
                )
            })?,
            None => Threshold::default(),
        };
        let mut ignores = Vec::new();
        for entry in file.ignore {
            let line = Some(line_of(text, entry.span().start));
            let entry = entry.into_inner();
            if entry.reason.trim().is_empty() {
                return Err(error(
                    line,
                    format!("ignore of {}: give a reason", entry.id),
                ));
            }
            let expires = match entry.expires {
                None => None,
                Some(value) => {
                    let text = match &value {
                        toml::Value::String(s) => s.clone(),
                        toml::Value::Datetime(d) => d.to_string(),
                        other => other.to_string(),
                    };
                    Some(NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(|_| {
                        error(
                            line,
                            format!(
                                "ignore of {}: expires = {text}: expected a date YYYY-MM-DD",
                                entry.id
                            ),
                        )
                    })?)
                }
            };
            ignores.push(IgnoreRule {
                id: entry.id.trim().to_string(),
                reason: entry.reason.trim().to_string(),
                expires,
                package: entry.package,
                line,
            });
        }
        let skip_paths = if file.skip_paths.is_empty() {
            None
        } else {
            let mut builder = GlobSetBuilder::new();
            for pattern in &file.skip_paths {
                let glob = Glob::new(pattern.trim_end_matches('/'))
                    .map_err(|e| error(None, format!("skip-paths: {e}")))?;
                builder.add(glob);
            }
            Some(
                builder
                    .build()
                    .map_err(|e| error(None, format!("skip-paths: {e}")))?,
            )
        };
        Ok(Policy {
            fail_on,
            fail_on_dev: file.fail_on_dev,
            ignores,
            skip_ecosystems: file.skip_ecosystems,
            skip_paths,
            root: root.to_path_buf(),
            origin: Some(path.to_path_buf()),
        })
    }

    /// True when packages declared in `file` are not scanned: the path
    /// (relative to the policy's directory) or one of its parent
    /// directories matches a `skip-paths` pattern.
    pub fn skips_path(&self, file: &str) -> bool {
        let Some(set) = &self.skip_paths else {
            return false;
        };
        let file = file.split('!').next().unwrap_or(file);
        let path = Path::new(file);
        let relative = path.strip_prefix(&self.root).unwrap_or(path);
        let relative = relative.strip_prefix(".").unwrap_or(relative);
        relative
            .ancestors()
            .any(|p| !p.as_os_str().is_empty() && set.is_match(p))
    }

    pub fn skips_ecosystem(&self, ecosystem: &str) -> bool {
        let base = ecosystem.split(':').next().unwrap_or(ecosystem);
        self.skip_ecosystems
            .iter()
            .any(|e| e.eq_ignore_ascii_case(base))
    }

    /// Whether an ignore covers a finding with these ids on `package`.
    pub fn decide(&self, ids: &[&str], package: &PackageRef, today: NaiveDate) -> Decision {
        let mut expired = None;
        for rule in self.ignores.iter().filter(|r| r.applies_to(ids, package)) {
            match rule.expires {
                Some(date) if date <= today => {
                    expired.get_or_insert_with(|| rule.clone());
                }
                _ => {
                    return Decision::Ignore(Ignored {
                        reason: rule.reason.clone(),
                        expires: rule.expires.map(|d| d.format("%Y-%m-%d").to_string()),
                    });
                }
            }
        }
        expired.map_or(Decision::Report, Decision::Expired)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(name: &str) -> PackageRef {
        PackageRef {
            ecosystem: "npm".into(),
            name: name.into(),
            version: "4.17.20".into(),
            purl: format!("pkg:npm/{name}@4.17.20"),
            direct: true,
            scope: "prod".into(),
        }
    }

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_default()
    }

    const POLICY: &str = r#"
fail-on = "high"
skip-paths = ["examples", "**/testdata/**"]
skip-ecosystems = ["maven"]

[[ignore]]
id = "GHSA-29mw-wpgm-hmr9"
reason = "template() is never called"
expires = 2027-03-01
package = "lodash"

[[ignore]]
id = "CVE-2020-8203"
reason = "accepted"
expires = "2026-01-01"
"#;

    #[test]
    fn ignores_apply_until_they_expire() -> Result<()> {
        let p = Policy::parse(Path::new("palisade.toml"), POLICY, Path::new("/repo"))?;
        assert_eq!(p.fail_on, Threshold::High);
        let lodash = package("lodash");
        let today = day("2026-11-25");
        match p.decide(&["GHSA-29MW-wpgm-hmr9"], &lodash, today) {
            Decision::Ignore(i) => assert_eq!(i.expires.as_deref(), Some("2027-03-01")),
            other => panic!("expected an ignore, got {other:?}"),
        }
        // Scoped to lodash: another package is reported.
        assert_eq!(
            p.decide(&["GHSA-29mw-wpgm-hmr9"], &package("underscore"), today),
            Decision::Report
        );
        match p.decide(&["GHSA-p6mc-m468-83gw", "CVE-2020-8203"], &lodash, today) {
            Decision::Expired(rule) => assert_eq!(rule.line, Some(12)),
            other => panic!("expected an expired ignore, got {other:?}"),
        }
        // The expiry day itself no longer ignores.
        match p.decide(&["GHSA-29mw-wpgm-hmr9"], &lodash, day("2027-03-01")) {
            Decision::Expired(rule) => assert_eq!(rule.line, Some(6)),
            other => panic!("expected an expired ignore, got {other:?}"),
        }
        Ok(())
    }

    #[test]
    fn skip_rules_match_directories_and_ecosystems() -> Result<()> {
        let p = Policy::parse(Path::new("palisade.toml"), POLICY, Path::new("/repo"))?;
        assert!(p.skips_path("/repo/examples/app/package-lock.json"));
        assert!(p.skips_path("examples/package-lock.json"));
        assert!(p.skips_path("/repo/src/testdata/x/Cargo.lock"));
        assert!(!p.skips_path("/repo/package-lock.json"));
        assert!(!p.skips_path("/repo/src/examples-not/Cargo.lock"));
        assert!(p.skips_ecosystem("Maven"));
        assert!(!p.skips_ecosystem("npm"));
        Ok(())
    }

    #[test]
    fn mistakes_are_reported_with_their_line() {
        let cases = [
            ("fail-on = \"severe\"\n", None, "fail-on"),
            ("\n\nfail-onn = \"high\"\n", Some(3), "unknown field"),
            (
                "[[ignore]]\nid = \"X\"\nreason = \"\"\n",
                Some(1),
                "give a reason",
            ),
            (
                "[[ignore]]\nid = \"X\"\nreason = \"r\"\nexpires = \"soon\"\n",
                Some(1),
                "YYYY-MM-DD",
            ),
            ("[[ignore]]\nid = \"X\"\n", Some(1), "reason"),
        ];
        for (text, line, needle) in cases {
            match Policy::parse(Path::new("p.toml"), text, Path::new(".")) {
                Err(Error::Config {
                    line: l, message, ..
                }) => {
                    assert_eq!(l, line, "{text:?}: {message}");
                    assert!(message.contains(needle), "{text:?}: {message}");
                }
                other => panic!("{text:?}: expected a config error, got {other:?}"),
            }
        }
    }
}
