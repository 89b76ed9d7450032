//! RustSec advisories in their native form: TOML front matter in a ```` ```toml ````
//! fence at the top of a Markdown file, then the title and description.
//!
//! The record becomes an OSV record: `patched` and `unaffected` requirements
//! (Cargo syntax, read as RustSec does: missing components are zero) are
//! complemented into SEMVER ranges, `informational` becomes the kind, `cvss` the
//! severity, and the Markdown body the details. Advisories of the Rust toolchain
//! (ids other than `RUSTSEC-…`, packages such as `std` or `cargo`) go under the
//! ecosystem `Rust`, since they are not crates.io packages.

use std::collections::BTreeMap;

use semver::{Comparator, Op, Prerelease, Version, VersionReq};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::{Error, Location, Result};
use crate::osv::{Advisory, SourceRank};

/// Largest front matter accepted; real ones are a few hundred bytes.
const MAX_FRONT_MATTER: usize = 64 * 1024;
/// Deepest nesting of arrays and tables accepted in the front matter.
const MAX_NESTING: usize = 32;

/// The id RustSec's template uses; it is not an advisory.
pub const TEMPLATE_ID: &str = "RUSTSEC-0000-0000";

#[derive(Deserialize)]
struct FrontMatter {
    advisory: AdvisorySection,
    #[serde(default)]
    versions: VersionsSection,
    #[serde(default)]
    affected: AffectedSection,
}

#[derive(Deserialize)]
struct AdvisorySection {
    id: String,
    package: String,
    date: Date,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    categories: Vec<String>,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    cvss: Option<String>,
    #[serde(default)]
    informational: Option<String>,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    related: Vec<String>,
    #[serde(default)]
    withdrawn: Option<Date>,
    #[serde(default)]
    references: Vec<String>,
    #[serde(default)]
    license: Option<String>,
}

#[derive(Deserialize, Default)]
struct VersionsSection {
    #[serde(default)]
    patched: Vec<String>,
    #[serde(default)]
    unaffected: Vec<String>,
}

#[derive(Deserialize, Default)]
struct AffectedSection {
    #[serde(default)]
    arch: Vec<String>,
    #[serde(default)]
    os: Vec<String>,
    #[serde(default)]
    functions: BTreeMap<String, Vec<String>>,
}

/// True when the bytes look like a RustSec advisory (a TOML fence first).
pub fn looks_like_rustsec(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    bytes.trim_ascii_start().starts_with(b"```toml")
}

/// Splits the file into its front matter and its Markdown body, and returns the
/// 1-based line the front matter starts on.
fn split(location: &Location, text: &str) -> Result<(String, usize, String)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let start = text.find("```toml").ok_or_else(|| Error::Syntax {
        location: location.clone(),
        message: "expected a ```toml fence with the advisory's front matter".to_string(),
    })?;
    let after = &text[start + "```toml".len()..];
    // The front matter text starts with the rest of the fence line.
    let first_line = text[..start].matches('\n').count() + 1;
    let close = after.find("\n```").ok_or_else(|| Error::Syntax {
        location: Location::at(location.origin.clone(), first_line, 1),
        message: "the ```toml fence is never closed".to_string(),
    })?;
    let front = &after[..close];
    let body = after[close + 4..].trim_start_matches(|c| c != '\n').trim();
    Ok((front.to_string(), first_line, body.to_string()))
}

/// Rejects front matter nested deeper than [`MAX_NESTING`] before the TOML
/// parser sees it, so hostile input cannot exhaust the stack.
fn check_nesting(location: &Location, front: &str, first_line: usize) -> Result<()> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut line = first_line;
    for c in front.chars() {
        match (quote, c) {
            (_, '\n') => {
                line += 1;
                quote = None;
            }
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '[' | '{') => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(Error::TooLarge {
                        location: Location::at(location.origin.clone(), line, 1),
                        message: format!("front matter nested deeper than {MAX_NESTING} levels"),
                    });
                }
            }
            (None, ']' | '}') => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// A bound of an interval of versions: `None` is unbounded.
type Bound = Option<Version>;

/// The lowest version greater than `v` (exact under SemVer precedence).
fn successor(v: &Version) -> Version {
    let mut next = v.clone();
    next.build = semver::BuildMetadata::EMPTY;
    if v.pre.is_empty() {
        next.patch += 1;
        next.pre = zero_pre();
    } else {
        next.pre = Prerelease::new(&format!("{}.0", v.pre)).unwrap_or_else(|_| zero_pre());
    }
    next
}

fn zero_pre() -> Prerelease {
    Prerelease::new("0").unwrap_or(Prerelease::EMPTY)
}

/// A comparator's version with missing components as zero, as RustSec reads it.
fn comparator_version(c: &Comparator) -> Version {
    Version {
        major: c.major,
        minor: c.minor.unwrap_or(0),
        patch: c.patch.unwrap_or(0),
        pre: c.pre.clone(),
        build: semver::BuildMetadata::EMPTY,
    }
}

fn upper_of_caret(c: &Comparator) -> Version {
    let mut end = match (c.major, c.minor, c.patch) {
        (0, Some(0), Some(patch)) => Version::new(0, 0, patch + 1),
        (0, Some(minor), _) => Version::new(0, minor + 1, 0),
        (0, None, _) => Version::new(1, 0, 0),
        (major, _, _) => Version::new(major + 1, 0, 0),
    };
    end.pre = zero_pre();
    end
}

fn upper_of_tilde(c: &Comparator) -> Version {
    let mut end = match c.minor {
        None => Version::new(c.major + 1, 0, 0),
        Some(minor) => Version::new(c.major, minor + 1, 0),
    };
    end.pre = zero_pre();
    end
}

/// The half-open interval `[lo, hi)` of versions a requirement matches.
fn interval(req: &VersionReq) -> std::result::Result<(Bound, Bound), String> {
    let mut lo: Bound = None;
    let mut hi: Bound = None;
    let raise = |lo: &mut Bound, v: Version| {
        if lo.as_ref().is_none_or(|cur| v > *cur) {
            *lo = Some(v);
        }
    };
    let lower = |hi: &mut Bound, v: Version| {
        if hi.as_ref().is_none_or(|cur| v < *cur) {
            *hi = Some(v);
        }
    };
    for c in &req.comparators {
        let v = comparator_version(c);
        match c.op {
            Op::Exact => {
                raise(&mut lo, v.clone());
                lower(&mut hi, successor(&v));
            }
            Op::Greater => raise(&mut lo, successor(&v)),
            Op::GreaterEq => raise(&mut lo, v),
            Op::Less => lower(&mut hi, v),
            Op::LessEq => lower(&mut hi, successor(&v)),
            Op::Caret => {
                lower(&mut hi, upper_of_caret(c));
                raise(&mut lo, v);
            }
            Op::Tilde => {
                lower(&mut hi, upper_of_tilde(c));
                raise(&mut lo, v);
            }
            _ => return Err(format!("unsupported operator in {req}")),
        }
    }
    Ok((lo, hi))
}

/// SEMVER range events for the versions outside every unaffected interval.
fn affected_events(unaffected: &[(Bound, Bound)]) -> Vec<Value> {
    let mut intervals: Vec<&(Bound, Bound)> = unaffected
        .iter()
        .filter(|(lo, hi)| match (lo, hi) {
            (Some(lo), Some(hi)) => lo < hi,
            _ => true,
        })
        .collect();
    intervals.sort_by(|a, b| a.0.cmp(&b.0));
    let mut events = Vec::new();
    // `cursor` is the lowest version not yet known to be unaffected; `None`
    // after an unbounded interval means nothing above is affected.
    let mut cursor: Option<Version> =
        Some(Version::parse("0.0.0-0").unwrap_or(Version::new(0, 0, 0)));
    for (lo, hi) in intervals {
        let Some(start) = cursor.clone() else { break };
        if let Some(lo) = lo
            && *lo > start
        {
            events.push(json!({"introduced": start.to_string()}));
            events.push(json!({"fixed": lo.to_string()}));
        }
        cursor = hi
            .as_ref()
            .map(|hi| if *hi > start { hi.clone() } else { start });
    }
    if let Some(start) = cursor {
        events.push(json!({"introduced": start.to_string()}));
    }
    events
}

fn requirement(location: &Location, text: &str) -> Result<(Bound, Bound)> {
    let req = VersionReq::parse(text.trim()).map_err(|e| {
        Error::invalid(
            location.clone(),
            format!("invalid version requirement {text:?}: {e}"),
        )
    })?;
    interval(&req).map_err(|e| Error::invalid(location.clone(), e))
}

/// A date written as a TOML date or as a `"YYYY-MM-DD"` string.
struct Date(Option<(u16, u8, u8)>);

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let value = toml::Value::deserialize(d)?;
        let parsed = match &value {
            toml::Value::Datetime(dt) => dt.date.map(|d| (d.year, d.month, d.day)),
            toml::Value::String(s) => {
                let mut parts = s.trim().splitn(3, '-');
                let mut next = || parts.next().and_then(|p| p.parse::<u16>().ok());
                match (next(), next(), next()) {
                    (Some(y), Some(m), Some(d))
                        if (1..=12).contains(&m) && (1..=31).contains(&d) =>
                    {
                        Some((y, m as u8, d as u8))
                    }
                    _ => None,
                }
            }
            _ => None,
        };
        Ok(Date(parsed))
    }
}

fn date_time(d: &Date) -> Option<String> {
    let (year, month, day) = d.0?;
    Some(format!("{year:04}-{month:02}-{day:02}T12:00:00Z"))
}

/// Parses a RustSec advisory file into an advisory.
pub fn parse(origin: &str, bytes: &[u8]) -> Result<Advisory> {
    let location = Location::new(origin);
    let text = std::str::from_utf8(bytes).map_err(|e| Error::Syntax {
        location: Location::at(
            origin,
            bytes[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1,
            0,
        ),
        message: "invalid UTF-8".to_string(),
    })?;
    let (front, first_line, body) = split(&location, text)?;
    if front.len() > MAX_FRONT_MATTER {
        return Err(Error::TooLarge {
            location,
            message: format!(
                "front matter is {} bytes (limit {MAX_FRONT_MATTER})",
                front.len()
            ),
        });
    }
    check_nesting(&location, &front, first_line)?;
    let meta: FrontMatter = toml::from_str(&front).map_err(|e| {
        let (line, column) = e
            .span()
            .map(|span| {
                let before = &front[..span.start.min(front.len())];
                let line = before.matches('\n').count();
                let column = before.len() - before.rfind('\n').map_or(0, |p| p + 1) + 1;
                (first_line + line, column)
            })
            .unwrap_or((first_line, 0));
        Error::Syntax {
            location: Location::at(origin, line, column),
            message: format!("invalid front matter: {}", e.message()),
        }
    })?;
    let adv = meta.advisory;
    let AffectedSection {
        arch,
        os,
        functions,
    } = meta.affected;

    let mut unaffected = Vec::new();
    for text in meta
        .versions
        .patched
        .iter()
        .chain(&meta.versions.unaffected)
    {
        unaffected.push(requirement(&location, text)?);
    }

    let (title, details) = match body.strip_prefix("# ") {
        Some(rest) => match rest.split_once('\n') {
            Some((title, details)) => (title.trim().to_string(), details.trim().to_string()),
            None => (rest.trim().to_string(), String::new()),
        },
        None => (adv.title.clone().unwrap_or_default(), body.clone()),
    };
    let details = if details.is_empty() {
        adv.description.clone().unwrap_or_default()
    } else {
        details
    };

    let toolchain = !adv.id.starts_with("RUSTSEC-");
    let (ecosystem, purl) = if toolchain {
        ("Rust", None)
    } else {
        ("crates.io", Some(format!("pkg:cargo/{}", adv.package)))
    };
    let published = date_time(&adv.date)
        .ok_or_else(|| Error::invalid(location.clone(), "`date` must be a date (YYYY-MM-DD)"))?;
    let withdrawn = adv.withdrawn.as_ref().and_then(date_time);
    // Markdown carries no modification time: the later of its dates stands in,
    // so an OSV export of the same advisory (modified later) takes precedence.
    let modified = withdrawn
        .clone()
        .filter(|w| *w > published)
        .unwrap_or_else(|| published.clone());

    let mut references = vec![json!({
        "type": "ADVISORY",
        "url": format!("https://rustsec.org/advisories/{}.html", adv.id),
    })];
    if let Some(url) = &adv.url {
        references.push(json!({"type": "REPORT", "url": url}));
    }
    references.extend(
        adv.references
            .iter()
            .map(|u| json!({"type": "WEB", "url": u})),
    );

    let mut severity = Vec::new();
    if let Some(vector) = &adv.cvss {
        let kind = if vector.starts_with("CVSS:4") {
            "CVSS_V4"
        } else {
            "CVSS_V3"
        };
        severity.push(json!({"type": kind, "score": vector}));
    }

    let mut package = json!({"ecosystem": ecosystem, "name": adv.package});
    if let Some(purl) = purl {
        package["purl"] = json!(purl);
    }
    let record = json!({
        "schema_version": "1.6.0",
        "id": adv.id,
        "modified": modified,
        "published": published,
        "withdrawn": withdrawn,
        "aliases": adv.aliases,
        "related": adv.related,
        "summary": title,
        "details": details,
        "severity": severity,
        "affected": [{
            "package": package,
            "ranges": [{"type": "SEMVER", "events": affected_events(&unaffected)}],
            "ecosystem_specific": {"affects": {
                "arch": arch,
                "os": os,
                "functions": functions.keys().collect::<Vec<_>>(),
            }},
            "database_specific": {
                "categories": adv.categories,
                "cvss": adv.cvss,
                "informational": adv.informational,
            },
        }],
        "references": references,
        "database_specific": {
            "license": adv.license.unwrap_or_else(|| "CC0-1.0".to_string()),
            "keywords": adv.keywords,
            "source": "rustsec-markdown",
        },
    });
    let mut record = record;
    if let Some(map) = record.as_object_mut() {
        map.retain(|_, v| !v.is_null());
    }
    Advisory::from_value(&location, &record, SourceRank::RustSecMarkdown)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::osv::Kind;
    use palisade_version::Scheme;

    fn advisory(versions: &str) -> String {
        format!(
            "```toml\n[advisory]\nid = \"RUSTSEC-2099-0001\"\npackage = \"demo\"\ndate = \"2099-01-02\"\n\n[versions]\n{versions}\n```\n\n# Demo is broken\n\nIt breaks.\n\n```toml\nnot = \"front matter\"\n```\n"
        )
    }

    fn affects(versions: &str, version: &str) -> bool {
        let a = parse("demo.md", advisory(versions).as_bytes()).expect("valid advisory");
        a.affected[0].versions.affects(Scheme::SemVer, version)
    }

    #[test]
    fn title_body_and_dates_are_kept() {
        let a = parse("demo.md", advisory("patched = [\">= 1.0.0\"]").as_bytes()).expect("valid");
        assert_eq!(a.summary.as_deref(), Some("Demo is broken"));
        assert!(
            a.details
                .as_deref()
                .is_some_and(|d| d.starts_with("It breaks."))
        );
        assert_eq!(a.affected[0].ecosystem, "crates.io");
        assert_eq!(a.kind, Kind::Vulnerability);
        assert_eq!(
            crate::osv::display_time(&a.modified),
            "2099-01-02T12:00:00Z"
        );
    }

    #[test]
    fn patched_and_unaffected_bound_the_affected_versions() {
        let v = "patched = [\">= 1.2.3, < 1.3.0\", \">= 1.3.4\"]\nunaffected = [\"<= 0.1.2\"]";
        for (version, expected) in [
            ("0.1.2", false),
            ("0.1.3", true),
            ("1.2.2", true),
            ("1.2.3", false),
            ("1.3.0", true),
            ("1.3.3", true),
            ("1.3.4", false),
            ("2.0.0", false),
        ] {
            assert_eq!(affects(v, version), expected, "{version}");
        }
    }

    #[test]
    fn exact_and_caret_requirements() {
        let v = "patched = [\"^0.2.23\", \">= 0.3.0\"]\nunaffected = [\"=0.2.0\"]";
        assert!(!affects(v, "0.2.0"));
        assert!(affects(v, "0.2.1"));
        assert!(affects(v, "0.2.22"));
        assert!(!affects(v, "0.2.30"));
        assert!(!affects(v, "0.3.1"));
    }

    #[test]
    fn no_patch_means_every_version() {
        assert!(affects("patched = []", "0.0.1"));
        assert!(affects("patched = []", "99.0.0"));
    }

    #[test]
    fn informational_advisories_keep_their_kind() {
        let text = advisory("patched = []").replace(
            "date = \"2099-01-02\"",
            "date = \"2099-01-02\"\ninformational = \"unsound\"",
        );
        assert_eq!(
            parse("demo.md", text.as_bytes()).expect("valid").kind,
            Kind::Unsound
        );
    }

    #[test]
    fn broken_front_matter_names_the_line() {
        let text = "```toml\n[advisory]\nid = \"RUSTSEC-2099-0001\"\npackage = = \"x\"\n```\n# T\n";
        let err = parse("bad.md", text.as_bytes()).expect_err("broken");
        assert!(err.to_string().starts_with("bad.md:4:"), "{err}");
        let err = parse("open.md", b"```toml\n[advisory]\n").expect_err("unclosed");
        assert!(err.to_string().contains("never closed"), "{err}");
        let nested = format!(
            "```toml\nx = {}{}\n```\n",
            "[".repeat(10_000),
            "]".repeat(10_000)
        );
        let err = parse("deep.md", nested.as_bytes()).expect_err("too deep");
        assert!(err.to_string().contains("nested deeper"), "{err}");
    }

    #[test]
    fn toolchain_advisories_are_not_crates() {
        let text = "```toml\n[advisory]\nid = \"CVE-2021-28875\"\npackage = \"std\"\ndate = \"2021-01-10\"\n\n[versions]\npatched = [\">= 1.50.0\"]\nunaffected = [\"< 1.20.0\"]\n```\n# Bug\n";
        let a = parse("std.md", text.as_bytes()).expect("valid");
        assert_eq!(a.affected[0].ecosystem, "Rust");
        assert!(a.affected[0].versions.affects(Scheme::SemVer, "1.49.0"));
        assert!(!a.affected[0].versions.affects(Scheme::SemVer, "1.19.0"));
    }
}
