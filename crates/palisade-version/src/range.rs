//! OSV affected-range evaluation: does a version fall in an advisory's ranges?
//!
//! An OSV `affected` entry lists ranges of events (`introduced`, `fixed`,
//! `last_affected`, `limit`) and optionally explicit `versions`. A version is
//! affected when it is listed, or when some range has an `introduced` at or below
//! it with no `fixed` between that introduction and the version (inclusive) and
//! no `last_affected` below it. `SEMVER` ranges compare under SemVer whatever the
//! ecosystem; `ECOSYSTEM` ranges under the ecosystem's rules; `GIT` ranges name
//! commits and never match a package version.
//!
//! Evaluation does not sort the events, so it gives a defined answer for
//! unsorted or overlapping events as well.
//!
//! ```
//! use palisade_version::{Affected, Event, Range, RangeKind, Scheme};
//!
//! let affected = Affected {
//!     ranges: vec![Range {
//!         kind: RangeKind::Ecosystem,
//!         events: vec![Event::Introduced("4.0".into()), Event::Fixed("4.3".into())],
//!     }],
//!     versions: vec![],
//! };
//! assert!(affected.affects(Scheme::Pep440, "4.2"));
//! assert!(!affected.affects(Scheme::Pep440, "4.3"));
//! ```

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use crate::{Scheme, Version};

/// How a range's event versions are to be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RangeKind {
    #[serde(rename = "SEMVER")]
    Semver,
    #[serde(rename = "ECOSYSTEM")]
    Ecosystem,
    #[serde(rename = "GIT")]
    Git,
}

/// One event of an OSV range.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawEvent", into = "RawEvent")]
pub enum Event {
    Introduced(String),
    Fixed(String),
    LastAffected(String),
    Limit(String),
}

impl Event {
    /// The version the event names.
    pub fn version(&self) -> &str {
        match self {
            Event::Introduced(v) | Event::Fixed(v) | Event::LastAffected(v) | Event::Limit(v) => v,
        }
    }
}

#[derive(Serialize, Deserialize, Default)]
struct RawEvent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    introduced: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fixed: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_affected: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    limit: Option<String>,
}

impl TryFrom<RawEvent> for Event {
    type Error = String;

    fn try_from(raw: RawEvent) -> Result<Self, Self::Error> {
        match (raw.introduced, raw.fixed, raw.last_affected, raw.limit) {
            (Some(v), None, None, None) => Ok(Event::Introduced(v)),
            (None, Some(v), None, None) => Ok(Event::Fixed(v)),
            (None, None, Some(v), None) => Ok(Event::LastAffected(v)),
            (None, None, None, Some(v)) => Ok(Event::Limit(v)),
            _ => Err(
                "an event must have exactly one of introduced, fixed, last_affected, limit"
                    .to_string(),
            ),
        }
    }
}

impl From<Event> for RawEvent {
    fn from(event: Event) -> Self {
        let mut raw = RawEvent::default();
        match event {
            Event::Introduced(v) => raw.introduced = Some(v),
            Event::Fixed(v) => raw.fixed = Some(v),
            Event::LastAffected(v) => raw.last_affected = Some(v),
            Event::Limit(v) => raw.limit = Some(v),
        }
        raw
    }
}

/// An OSV range (`type` and `events`; the `repo` of GIT ranges is not needed here).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Range {
    #[serde(rename = "type")]
    pub kind: RangeKind,
    pub events: Vec<Event>,
}

/// The version-matching part of an OSV `affected` entry.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Affected {
    #[serde(default)]
    pub ranges: Vec<Range>,
    #[serde(default)]
    pub versions: Vec<String>,
}

/// An event version parsed once; `introduced: "0"` means "from the beginning".
enum Bound {
    Start,
    At(Version),
}

fn le(bound: &Bound, v: &Version) -> bool {
    match bound {
        Bound::Start => true,
        Bound::At(b) => b.compare(v) != Ordering::Greater,
    }
}

impl Range {
    /// Whether `version` (already parsed under the right scheme) is in this range.
    fn contains(&self, version: &Version) -> bool {
        let scheme = version.scheme();
        let parse = |s: &str| scheme.parse(s);
        let mut limits = self
            .events
            .iter()
            .filter_map(|e| match e {
                Event::Limit(l) if l != "*" => Some(parse(l)),
                _ => None,
            })
            .peekable();
        if limits.peek().is_some() && limits.all(|l| l.compare(version) != Ordering::Greater) {
            return false;
        }
        let closers: Vec<(bool, Version)> = self
            .events
            .iter()
            .filter_map(|e| match e {
                Event::Fixed(f) => Some((true, parse(f))),
                Event::LastAffected(l) => Some((false, parse(l))),
                _ => None,
            })
            .collect();
        self.events.iter().any(|e| {
            let Event::Introduced(intro) = e else {
                return false;
            };
            let start = if intro == "0" {
                Bound::Start
            } else {
                Bound::At(parse(intro))
            };
            if !le(&start, version) {
                return false;
            }
            let closed = closers.iter().any(|(is_fixed, at)| {
                if !le(&start, at) {
                    return false;
                }
                let ord = at.compare(version);
                if *is_fixed {
                    ord != Ordering::Greater
                } else {
                    ord == Ordering::Less
                }
            });
            !closed
        })
    }
}

/// A version prepared once for checking against many affected entries: parsed
/// under the ecosystem's scheme and under SemVer (for `SEMVER` ranges).
#[derive(Clone, Debug)]
pub struct Target {
    text: String,
    scheme: Scheme,
    own: Version,
    semver: Version,
}

impl Target {
    pub fn new(scheme: Scheme, version: &str) -> Target {
        let own = scheme.parse(version);
        // SemVer ecosystems read both kinds of range the same way: parse once.
        let semver = if scheme == Scheme::SemVer {
            own.clone()
        } else {
            Scheme::SemVer.parse(version)
        };
        Target {
            text: version.to_string(),
            scheme,
            own,
            semver,
        }
    }

    /// Whether this version is in any of `ranges` or equal to one of `versions`
    /// (the two parts of an OSV `affected` entry).
    pub fn is_affected_by<S: AsRef<str>>(&self, ranges: &[Range], versions: &[S]) -> bool {
        if versions.iter().any(|v| v.as_ref() == self.text) {
            return true;
        }
        let in_ranges = ranges.iter().any(|range| match range.kind {
            RangeKind::Git => false,
            RangeKind::Ecosystem => range.contains(&self.own),
            RangeKind::Semver => range.contains(&self.semver),
        });
        let target_shape = Shape::of(&self.text);
        in_ranges
            || versions.iter().any(|v| {
                let v = v.as_ref();
                !certainly_different(v, Shape::of(v), &self.text, target_shape)
                    && self.scheme.parse(v).compare(&self.own) == Ordering::Equal
            })
    }
}

impl Affected {
    /// Whether `version` is affected, reading ECOSYSTEM ranges and listed versions
    /// under `scheme`.
    pub fn affects(&self, scheme: Scheme, version: &str) -> bool {
        Target::new(scheme, version).is_affected_by(&self.ranges, &self.versions)
    }

    /// Versions named by `fixed` events of the non-GIT ranges, in event order,
    /// without duplicates.
    pub fn fixed_versions(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for range in self.ranges.iter().filter(|r| r.kind != RangeKind::Git) {
            for event in &range.events {
                if let Event::Fixed(v) = event
                    && !out.contains(&v.as_str())
                {
                    out.push(v);
                }
            }
        }
        out
    }

    /// Versions named by `last_affected` events of the non-GIT ranges.
    pub fn last_affected_versions(&self) -> Vec<&str> {
        self.ranges
            .iter()
            .filter(|r| r.kind != RangeKind::Git)
            .flat_map(|r| &r.events)
            .filter_map(|e| match e {
                Event::LastAffected(v) => Some(v.as_str()),
                _ => None,
            })
            .collect()
    }
}

/// What the listed-versions shortcut needs to know about a version string,
/// found in one pass.
#[derive(Clone, Copy, Debug)]
struct Shape<'a> {
    /// `1`, `1.2` or `1.2.3` without leading zeros or a trailing `.0`: equal to
    /// another such version under every scheme only when identical.
    plain: bool,
    /// An epoch (`1:`, `1!`) may make versions with different numbers equal.
    epoch: bool,
    /// The leading number without leading zeros (after a `v` or `=`).
    leading: Option<&'a str>,
}

impl<'a> Shape<'a> {
    fn of(s: &'a str) -> Shape<'a> {
        let bytes = s.as_bytes();
        let mut plain = !bytes.is_empty();
        let mut components = 1;
        let mut part_start = 0;
        let mut epoch = false;
        for (i, &b) in bytes.iter().enumerate() {
            match b {
                b'0'..=b'9' => {
                    if b == b'0'
                        && i == part_start
                        && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)
                    {
                        plain = false;
                    }
                }
                b'.' => {
                    if i == part_start {
                        plain = false;
                    }
                    components += 1;
                    part_start = i + 1;
                }
                b':' | b'!' => {
                    epoch = true;
                    plain = false;
                }
                _ => plain = false,
            }
        }
        if part_start == bytes.len() || components > 3 || (components > 1 && s.ends_with(".0")) {
            plain = false;
        }
        let rest = s.strip_prefix(['v', 'V', '=']).unwrap_or(s);
        let end = rest.bytes().take_while(u8::is_ascii_digit).count();
        let leading = (end > 0).then(|| rest[..end].trim_start_matches('0'));
        Shape {
            plain,
            epoch,
            leading,
        }
    }
}

/// True when two version strings cannot be equal under any scheme, so the
/// listed-versions check can skip parsing them: plain versions such as `1.2.3`
/// (see [`Shape`]) are equal only when identical, and versions without an
/// epoch that start with different numbers differ.
fn certainly_different(a: &str, sa: Shape<'_>, b: &str, sb: Shape<'_>) -> bool {
    if a == b {
        return false;
    }
    if sa.plain && sb.plain {
        return true;
    }
    if sa.epoch || sb.epoch {
        return false;
    }
    matches!((sa.leading, sb.leading), (Some(x), Some(y)) if x != y)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(kind: RangeKind, events: &[(&str, &str)]) -> Range {
        Range {
            kind,
            events: events
                .iter()
                .map(|(k, v)| match *k {
                    "introduced" => Event::Introduced(v.to_string()),
                    "fixed" => Event::Fixed(v.to_string()),
                    "last_affected" => Event::LastAffected(v.to_string()),
                    _ => Event::Limit(v.to_string()),
                })
                .collect(),
        }
    }

    fn affected(ranges: Vec<Range>, versions: &[&str]) -> Affected {
        Affected {
            ranges,
            versions: versions.iter().map(|v| v.to_string()).collect(),
        }
    }

    #[test]
    fn introduced_and_fixed_bound_the_range() {
        let a = affected(
            vec![range(
                RangeKind::Ecosystem,
                &[
                    ("introduced", "4.0"),
                    ("fixed", "4.3"),
                    ("introduced", "5.0"),
                    ("fixed", "5.2"),
                ],
            )],
            &[],
        );
        let s = Scheme::Pep440;
        assert!(!a.affects(s, "3.9"));
        assert!(a.affects(s, "4.0"));
        assert!(a.affects(s, "4.2.post1"));
        assert!(!a.affects(s, "4.3"));
        assert!(!a.affects(s, "4.9"));
        assert!(a.affects(s, "5.1"));
        assert!(!a.affects(s, "5.2"));
    }

    #[test]
    fn last_affected_is_inclusive() {
        let a = affected(
            vec![range(
                RangeKind::Semver,
                &[("introduced", "0"), ("last_affected", "1.2.3")],
            )],
            &[],
        );
        assert!(a.affects(Scheme::SemVer, "1.2.3"));
        assert!(!a.affects(Scheme::SemVer, "1.2.4-0"));
    }

    #[test]
    fn introduced_zero_covers_prereleases_of_zero() {
        let a = affected(vec![range(RangeKind::Semver, &[("introduced", "0")])], &[]);
        assert!(a.affects(Scheme::SemVer, "0.0.0-alpha"));
    }

    #[test]
    fn unsorted_events_give_the_same_answer() {
        let sorted = affected(
            vec![range(
                RangeKind::Semver,
                &[
                    ("introduced", "1.0.0"),
                    ("fixed", "1.5.0"),
                    ("introduced", "2.0.0"),
                    ("fixed", "2.5.0"),
                ],
            )],
            &[],
        );
        let shuffled = affected(
            vec![range(
                RangeKind::Semver,
                &[
                    ("fixed", "2.5.0"),
                    ("introduced", "2.0.0"),
                    ("fixed", "1.5.0"),
                    ("introduced", "1.0.0"),
                ],
            )],
            &[],
        );
        for v in [
            "0.9.0", "1.0.0", "1.4.9", "1.5.0", "1.9.9", "2.0.0", "2.4.0", "2.5.0", "3.0.0",
        ] {
            assert_eq!(
                sorted.affects(Scheme::SemVer, v),
                shuffled.affects(Scheme::SemVer, v),
                "{v}"
            );
        }
    }

    #[test]
    fn an_empty_range_affects_nothing() {
        let a = affected(
            vec![range(
                RangeKind::Semver,
                &[("introduced", "0.23.0"), ("fixed", "0.23.0")],
            )],
            &[],
        );
        assert!(!a.affects(Scheme::SemVer, "0.23.0"));
        assert!(!a.affects(Scheme::SemVer, "0.23.5"));
    }

    #[test]
    fn listed_versions_match_by_equality_under_the_scheme() {
        let a = affected(vec![], &["1.0", "2.0.0rc1"]);
        assert!(a.affects(Scheme::Pep440, "1.0.0"));
        assert!(a.affects(Scheme::Pep440, "2.0.0-RC1"));
        assert!(!a.affects(Scheme::Pep440, "1.0.1"));
    }

    #[test]
    fn the_listed_versions_shortcut_never_hides_an_equal_version() {
        for (a, b) in [
            ("1.2", "1.2.0"),
            ("0:1.0", "1.0"),
            ("1!1.0", "1.0"),
            ("01", "1"),
            ("v1.0", "1.0.0"),
        ] {
            assert!(
                !certainly_different(a, Shape::of(a), b, Shape::of(b)),
                "{a} {b}"
            );
        }
        for (a, b) in [("1.2.3", "1.2.4"), ("2.0", "3.0"), ("1.2", "1.20")] {
            assert!(
                certainly_different(a, Shape::of(a), b, Shape::of(b)),
                "{a} {b}"
            );
        }
        assert!(
            !certainly_different(
                "1.2.3.4",
                Shape::of("1.2.3.4"),
                "1.2.3.5",
                Shape::of("1.2.3.5")
            ),
            "SemVer ignores a fourth component"
        );
    }

    proptest::proptest! {
        #[test]
        fn the_shortcut_only_skips_versions_no_scheme_calls_equal(
            a in "[v=]?(0|1|01|10)([.:!-]?(0|1|2|10|a|rc)){0,4}",
            b in "[v=]?(0|1|01|10)([.:!-]?(0|1|2|10|a|rc)){0,4}",
        ) {
            if certainly_different(&a, Shape::of(&a), &b, Shape::of(&b)) {
                for scheme in Scheme::ALL {
                    proptest::prop_assert_ne!(scheme.compare(&a, &b), Ordering::Equal, "{:?}", scheme);
                }
            }
        }
    }

    #[test]
    fn git_ranges_never_match_versions() {
        let a = affected(
            vec![range(
                RangeKind::Git,
                &[("introduced", "0"), ("fixed", "abc")],
            )],
            &[],
        );
        assert!(!a.affects(Scheme::Pep440, "1.0"));
    }

    #[test]
    fn a_limit_caps_the_range() {
        let a = affected(
            vec![range(
                RangeKind::Semver,
                &[("introduced", "1.0.0"), ("limit", "2.0.0")],
            )],
            &[],
        );
        assert!(a.affects(Scheme::SemVer, "1.5.0"));
        assert!(!a.affects(Scheme::SemVer, "2.0.0"));
    }

    #[test]
    fn events_round_trip_through_osv_json() {
        let json = r#"{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.6.0"}]}"#;
        let r: Range = serde_json::from_str(json).expect("valid range");
        assert_eq!(r.events[1], Event::Fixed("1.6.0".into()));
        assert_eq!(serde_json::to_string(&r).expect("serializes"), json);
        let bad = r#"{"type":"SEMVER","events":[{"introduced":"0","fixed":"1"}]}"#;
        assert!(serde_json::from_str::<Range>(bad).is_err());
    }
}
