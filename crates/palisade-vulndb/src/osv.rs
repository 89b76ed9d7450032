//! The OSV advisory model: parsing an OSV record (JSON, or YAML as PyPA writes
//! it) into an [`Advisory`] ready to store, with the checks that keep bad
//! records out.

use chrono::{DateTime, SecondsFormat, Utc};
use palisade_version::{Affected, Event, Range, RangeKind};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::error::{Error, Location, Result};
use crate::severity::{self, Severity};

/// Longest advisory id accepted.
const MAX_ID_LEN: usize = 256;

/// What kind of notice an advisory is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Vulnerability,
    /// RustSec informational: the crate is no longer maintained.
    Unmaintained,
    /// RustSec informational: the crate exposes unsound (undefined behaviour) APIs.
    Unsound,
    /// Informational notices of any other kind.
    Notice,
    /// A malicious package (OSV `MAL-` records).
    Malicious,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Vulnerability => "vulnerability",
            Kind::Unmaintained => "unmaintained",
            Kind::Unsound => "unsound",
            Kind::Notice => "notice",
            Kind::Malicious => "malicious",
        }
    }

    pub(crate) fn from_informational(label: &str) -> Kind {
        match label {
            "unmaintained" => Kind::Unmaintained,
            "unsound" => Kind::Unsound,
            _ => Kind::Notice,
        }
    }

    pub fn parse(text: &str) -> Option<Kind> {
        [
            Kind::Vulnerability,
            Kind::Unmaintained,
            Kind::Unsound,
            Kind::Notice,
            Kind::Malicious,
        ]
        .into_iter()
        .find(|k| k.as_str() == text)
    }
}

/// How much a source is trusted when two carry the same id and `modified`:
/// an OSV record beats one derived from RustSec Markdown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SourceRank {
    RustSecMarkdown = 1,
    Osv = 2,
}

/// One affected package of an advisory.
#[derive(Clone, Debug, PartialEq)]
pub struct AffectedPackage {
    /// The OSV ecosystem, possibly with a release (`Debian:12`).
    pub ecosystem: String,
    pub name: String,
    pub purl: Option<String>,
    pub versions: Affected,
}

/// An advisory parsed, checked and ready to store.
#[derive(Clone, Debug)]
pub struct Advisory {
    pub id: String,
    pub modified: DateTime<Utc>,
    pub published: Option<DateTime<Utc>>,
    pub withdrawn: Option<DateTime<Utc>>,
    pub aliases: Vec<String>,
    pub related: Vec<String>,
    pub summary: Option<String>,
    pub details: Option<String>,
    pub kind: Kind,
    pub severity: Option<Severity>,
    pub affected: Vec<AffectedPackage>,
    pub rank: SourceRank,
    /// The record as compact OSV JSON (keys sorted), as stored.
    pub json: String,
}

/// A string that may have been written as a number (unquoted YAML `1.2`).
#[derive(Clone, Debug)]
struct Text(String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) => Ok(Text(s)),
            Value::Number(n) => Ok(Text(n.to_string())),
            Value::Bool(b) => Ok(Text(b.to_string())),
            other => Err(serde::de::Error::custom(format!(
                "expected a string, found {other}"
            ))),
        }
    }
}

fn nullable<'de, D, T>(d: D) -> std::result::Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

#[derive(Deserialize)]
struct RawRecord {
    id: String,
    modified: String,
    #[serde(default)]
    published: Option<String>,
    #[serde(default)]
    withdrawn: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    aliases: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    related: Vec<String>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    details: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    severity: Vec<RawSeverity>,
    #[serde(default, deserialize_with = "nullable")]
    affected: Vec<RawAffected>,
    #[serde(default)]
    database_specific: Option<Value>,
}

#[derive(Deserialize)]
struct RawSeverity {
    #[serde(rename = "type")]
    kind: String,
    score: Text,
}

#[derive(Deserialize)]
struct RawAffected {
    #[serde(default)]
    package: Option<RawPackage>,
    #[serde(default, deserialize_with = "nullable")]
    ranges: Vec<RawRange>,
    #[serde(default, deserialize_with = "nullable")]
    versions: Vec<Text>,
    #[serde(default, deserialize_with = "nullable")]
    severity: Vec<RawSeverity>,
    #[serde(default)]
    database_specific: Option<Value>,
}

#[derive(Deserialize)]
struct RawPackage {
    ecosystem: String,
    name: String,
    #[serde(default)]
    purl: Option<String>,
}

#[derive(Deserialize)]
struct RawRange {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default, deserialize_with = "nullable")]
    events: Vec<RawEvent>,
}

#[derive(Deserialize)]
struct RawEvent {
    #[serde(default)]
    introduced: Option<Text>,
    #[serde(default)]
    fixed: Option<Text>,
    #[serde(default)]
    last_affected: Option<Text>,
    #[serde(default)]
    limit: Option<Text>,
}

pub(crate) fn parse_time(location: &Location, field: &str, text: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            Error::invalid(
                location.clone(),
                format!("`{field}` is not an RFC 3339 time ({text:?}): {e}"),
            )
        })
}

/// The stored form of a time: RFC 3339 in UTC with nanoseconds, so that text
/// order is time order.
pub(crate) fn format_time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

/// A time as people read it (no fractional seconds when there are none).
pub fn display_time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn informational(value: Option<&Value>) -> Option<&str> {
    value?.get("informational")?.as_str()
}

fn to_event(location: &Location, raw: RawEvent) -> Result<Event> {
    match (raw.introduced, raw.fixed, raw.last_affected, raw.limit) {
        (Some(v), None, None, None) => Ok(Event::Introduced(v.0)),
        (None, Some(v), None, None) => Ok(Event::Fixed(v.0)),
        (None, None, Some(v), None) => Ok(Event::LastAffected(v.0)),
        (None, None, None, Some(v)) => Ok(Event::Limit(v.0)),
        _ => Err(Error::invalid(
            location.clone(),
            "a range event must have exactly one of introduced, fixed, last_affected, limit",
        )),
    }
}

/// Longest headline derived from details.
const HEADLINE_CHARS: usize = 120;

impl Advisory {
    /// A one-line description: the summary, or else the first sentence of the
    /// details (PyPA records have no summary), cut at 120 characters.
    pub fn headline(&self) -> Option<String> {
        if let Some(summary) = &self.summary {
            return Some(summary.trim().to_string());
        }
        let details = self
            .details
            .as_deref()?
            .trim()
            .trim_start_matches('#')
            .trim();
        let first_line = details.lines().next().unwrap_or("");
        let sentence = match first_line.find(". ") {
            Some(end) => &first_line[..=end],
            None => first_line,
        };
        let sentence = sentence.trim();
        if sentence.is_empty() {
            return None;
        }
        if sentence.chars().count() <= HEADLINE_CHARS {
            return Some(sentence.to_string());
        }
        let cut: String = sentence.chars().take(HEADLINE_CHARS - 1).collect();
        Some(format!("{}…", cut.trim_end()))
    }

    /// Builds an advisory from an OSV record already read into a JSON value.
    pub fn from_value(location: &Location, value: &Value, rank: SourceRank) -> Result<Advisory> {
        let raw = RawRecord::deserialize(value)
            .map_err(|e| Error::invalid(location.clone(), format!("not an OSV record: {e}")))?;
        let id = raw.id.trim().to_string();
        if id.is_empty()
            || id.len() > MAX_ID_LEN
            || id.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(Error::invalid(
                location.clone(),
                format!("invalid advisory id {:?}", raw.id),
            ));
        }
        let modified = parse_time(location, "modified", &raw.modified)?;
        let published = raw
            .published
            .as_deref()
            .map(|t| parse_time(location, "published", t))
            .transpose()?;
        let withdrawn = raw
            .withdrawn
            .as_deref()
            .map(|t| parse_time(location, "withdrawn", t))
            .transpose()?;

        let mut kind = if id.starts_with("MAL-") {
            Kind::Malicious
        } else {
            Kind::Vulnerability
        };
        if let Some(label) = informational(raw.database_specific.as_ref()) {
            kind = Kind::from_informational(label);
        }

        let mut severities: Vec<Severity> = raw
            .severity
            .iter()
            .filter_map(|s| Severity::from_osv(&s.kind, &s.score.0))
            .collect();
        let mut labels: Vec<Severity> = Vec::new();
        if let Some(label) = raw
            .database_specific
            .as_ref()
            .and_then(|d| d.get("severity"))
            .and_then(Value::as_str)
        {
            labels.extend(Severity::from_label(label));
        }
        labels.extend(raw.severity.iter().filter_map(|s| {
            (!s.kind.starts_with("CVSS"))
                .then(|| Severity::from_label(&s.score.0))
                .flatten()
        }));

        let mut affected = Vec::new();
        for entry in raw.affected {
            if let Some(label) = informational(entry.database_specific.as_ref()) {
                kind = Kind::from_informational(label);
            }
            severities.extend(
                entry
                    .severity
                    .iter()
                    .filter_map(|s| Severity::from_osv(&s.kind, &s.score.0)),
            );
            if let Some(label) = entry
                .database_specific
                .as_ref()
                .and_then(|d| d.get("severity"))
                .and_then(Value::as_str)
            {
                labels.extend(Severity::from_label(label));
            }
            let Some(package) = entry.package else {
                continue;
            };
            if package.ecosystem.trim().is_empty() || package.name.trim().is_empty() {
                return Err(Error::invalid(
                    location.clone(),
                    "an affected package needs a non-empty ecosystem and name",
                ));
            }
            let mut ranges = Vec::new();
            for range in entry.ranges {
                let kind = match range.kind.as_str() {
                    "SEMVER" => RangeKind::Semver,
                    "ECOSYSTEM" => RangeKind::Ecosystem,
                    "GIT" => RangeKind::Git,
                    // Unknown range types cannot be evaluated; keeping them would
                    // only look like coverage.
                    _ => continue,
                };
                let events = range
                    .events
                    .into_iter()
                    .map(|e| to_event(location, e))
                    .collect::<Result<Vec<_>>>()?;
                if kind != RangeKind::Git {
                    ranges.push(Range { kind, events });
                }
            }
            affected.push(AffectedPackage {
                ecosystem: package.ecosystem.trim().to_string(),
                name: package.name.trim().to_string(),
                purl: package.purl,
                versions: Affected {
                    ranges,
                    versions: entry.versions.into_iter().map(|t| t.0).collect(),
                },
            });
        }

        let severity = severity::highest(severities).or_else(|| severity::highest(labels));
        let mut aliases: Vec<String> = raw
            .aliases
            .into_iter()
            .map(|a| a.trim().to_string())
            .collect();
        aliases.retain(|a| !a.is_empty() && *a != id);
        aliases.sort();
        aliases.dedup();
        let json = value.to_string();
        Ok(Advisory {
            id,
            modified,
            published,
            withdrawn,
            aliases,
            related: raw.related,
            summary: raw.summary.filter(|s| !s.trim().is_empty()),
            details: raw.details.filter(|s| !s.trim().is_empty()),
            kind,
            severity,
            affected,
            rank,
            json,
        })
    }
}

fn utf8<'a>(origin: &str, bytes: &'a [u8]) -> Result<&'a str> {
    std::str::from_utf8(bytes).map_err(|e| {
        let before = &bytes[..e.valid_up_to()];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = before.len()
            - before
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |p| p + 1)
            + 1;
        Error::Syntax {
            location: Location::at(origin, line, column),
            message: "invalid UTF-8".to_string(),
        }
    })
}

/// Parses an OSV JSON record.
pub fn parse_json(origin: &str, bytes: &[u8]) -> Result<Advisory> {
    let text = utf8(origin, bytes)?;
    let value: Value =
        serde_json::from_str(text).map_err(|e| Error::json(origin, &e, "invalid JSON"))?;
    Advisory::from_value(&Location::new(origin), &value, SourceRank::Osv)
}

/// Deepest nesting of YAML flow collections accepted before parsing: the YAML
/// parser takes tens of seconds to reject a document nested 100,000 deep.
const MAX_YAML_NESTING: usize = 128;

/// The line where `[`/`{` nesting (outside quotes and comments) first passes
/// [`MAX_YAML_NESTING`].
fn yaml_too_deep(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (n, line) in text.lines().enumerate() {
        let mut quote: Option<char> = None;
        for c in line.chars() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') => quote = Some(c),
                (None, '#') => break,
                (None, '[' | '{') => {
                    depth += 1;
                    if depth > MAX_YAML_NESTING {
                        return Some(n + 1);
                    }
                }
                (None, ']' | '}') => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
    }
    None
}

/// Parses an OSV record written as YAML (the PyPA advisory database format).
pub fn parse_yaml(origin: &str, bytes: &[u8]) -> Result<Advisory> {
    let text = utf8(origin, bytes)?;
    if let Some(line) = yaml_too_deep(text) {
        return Err(Error::TooLarge {
            location: Location::at(origin, line, 0),
            message: format!("nested deeper than {MAX_YAML_NESTING} levels"),
        });
    }

    let value: Value = serde_yaml_ng::from_str(text).map_err(|e| {
        let (line, column) = e.location().map_or((0, 0), |l| (l.line(), l.column()));
        Error::Syntax {
            location: Location::at(origin, line, column),
            message: format!("invalid YAML: {e}"),
        }
    })?;
    Advisory::from_value(&Location::new(origin), &value, SourceRank::Osv)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECORD: &str = r#"{
      "id": "GHSA-xxxx-yyyy-zzzz",
      "modified": "2024-01-02T03:04:05Z",
      "published": "2023-12-01T00:00:00Z",
      "aliases": ["CVE-2024-0001", "GHSA-xxxx-yyyy-zzzz"],
      "summary": "Prototype pollution in example",
      "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
      "affected": [{
        "package": {"ecosystem": "npm", "name": "example"},
        "ranges": [
          {"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.2.3"}]},
          {"type": "GIT", "repo": "https://example.com/x.git", "events": [{"introduced": "0"}]}
        ]
      }],
      "database_specific": {"severity": "MODERATE"}
    }"#;

    #[test]
    fn a_record_is_read_with_severity_and_ranges() {
        let a = parse_json("GHSA.json", RECORD.as_bytes()).expect("valid record");
        assert_eq!(a.id, "GHSA-xxxx-yyyy-zzzz");
        assert_eq!(a.aliases, ["CVE-2024-0001"]);
        assert_eq!(a.kind, Kind::Vulnerability);
        let severity = a.severity.expect("scored");
        assert_eq!(severity.score, Some(9.8));
        assert_eq!(a.affected.len(), 1);
        assert_eq!(
            a.affected[0].versions.ranges.len(),
            1,
            "GIT ranges are not kept"
        );
        assert!(
            a.affected[0]
                .versions
                .affects(palisade_version::Scheme::SemVer, "1.2.2")
        );
    }

    #[test]
    fn syntax_errors_name_the_line_and_column() {
        let err = parse_json("bad.json", b"{\n  \"id\": \"X\",\n  oops\n}").expect_err("invalid");
        assert_eq!(
            err.location().map(|l| (l.line, l.column)),
            Some((Some(3), Some(3)))
        );
        assert!(
            err.to_string().starts_with("bad.json:3:3: invalid JSON"),
            "{err}"
        );
    }

    #[test]
    fn missing_fields_and_bad_dates_are_reported() {
        let err = parse_json("m.json", br#"{"id": "X-1"}"#).expect_err("no modified");
        assert!(
            err.to_string().contains("missing field `modified`"),
            "{err}"
        );
        let err = parse_json("d.json", br#"{"id": "X-1", "modified": "yesterday"}"#)
            .expect_err("bad date");
        assert!(
            err.to_string()
                .contains("`modified` is not an RFC 3339 time"),
            "{err}"
        );
    }

    #[test]
    fn invalid_utf8_is_located() {
        let err = parse_json("u.json", b"{\"id\": \"\xff\"}").expect_err("bad utf-8");
        assert_eq!(err.to_string(), "u.json:1:9: invalid UTF-8");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let err = parse_json("deep.json", deep.as_bytes()).expect_err("too deep");
        assert!(err.to_string().contains("recursion limit"), "{err}");
        let deep_yaml = format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(parse_yaml("deep.yaml", deep_yaml.as_bytes()).is_err());
    }

    #[test]
    fn yaml_records_with_unquoted_versions_are_read() {
        let yaml = "id: PYSEC-2021-1\nmodified: 2021-01-01T00:00:00Z\naffected:\n- package:\n    name: x\n    ecosystem: PyPI\n  ranges:\n  - type: ECOSYSTEM\n    events:\n    - introduced: 0\n    - fixed: 1.5\n  versions: [1.0, '1.1']\n";
        let a = parse_yaml("x.yaml", yaml.as_bytes()).expect("valid yaml");
        let affected = &a.affected[0].versions;
        assert_eq!(affected.versions, ["1.0", "1.1"]);
        assert!(affected.affects(palisade_version::Scheme::Pep440, "1.4"));
    }

    #[test]
    fn a_headline_comes_from_the_summary_or_the_first_sentence() {
        let mut a = parse_json(
            "h.json",
            br#"{"id": "X-1", "modified": "2024-01-01T00:00:00Z",
            "details": "Django before 3.2.5 allows SQL injection. More text follows."}"#,
        )
        .expect("valid");
        assert_eq!(
            a.headline().as_deref(),
            Some("Django before 3.2.5 allows SQL injection.")
        );
        a.details = Some("x".repeat(300));
        assert_eq!(a.headline().map(|h| h.chars().count()), Some(120));
        a.summary = Some("Short".into());
        assert_eq!(a.headline().as_deref(), Some("Short"));
    }

    #[test]
    fn informational_and_malicious_kinds() {
        let rec = r#"{"id": "RUSTSEC-2020-0001", "modified": "2020-01-01T00:00:00Z",
            "affected": [{"package": {"ecosystem": "crates.io", "name": "x"},
            "database_specific": {"informational": "unmaintained"}}]}"#;
        assert_eq!(
            parse_json("r.json", rec.as_bytes()).expect("valid").kind,
            Kind::Unmaintained
        );
        let mal = r#"{"id": "MAL-2024-1", "modified": "2024-01-01T00:00:00Z"}"#;
        assert_eq!(
            parse_json("m.json", mal.as_bytes()).expect("valid").kind,
            Kind::Malicious
        );
    }
}
