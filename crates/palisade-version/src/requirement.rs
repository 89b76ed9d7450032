//! Version requirements as package managers write them: `^4.17.0`,
//! `>=1.2, <2`, `~> 1.4`, `1.0.* || ^2.1`.
//!
//! Remediation needs to know whether a declared requirement already admits a
//! fixed version (then refreshing the lockfile is enough) or not (then the
//! declaration must change). Each flavor follows its package manager's
//! documented grammar; comparisons use the ecosystem's [`Scheme`].
//!
//! ```
//! use palisade_version::requirement::{Flavor, Requirement};
//!
//! let req = Requirement::parse(Flavor::Npm, "^4.17.0")?;
//! assert!(req.matches("4.17.21"));
//! assert!(!req.matches("5.0.0"));
//! # Ok::<(), palisade_version::requirement::RequirementError>(())
//! ```
//!
//! Pre-releases are admitted only when a comparator of the same alternative
//! names a pre-release itself (npm's rule, which Cargo, pip and Poetry apply in
//! spirit); PEP 440's exclusion of post-releases from `>V` is not modelled.

use std::cmp::Ordering;
use std::fmt;

use crate::{Scheme, Version};

/// Longest requirement read; longer text is refused rather than parsed.
pub const MAX_REQUIREMENT_LEN: usize = 4096;

/// Most alternatives and comparators in one requirement.
const MAX_COMPARATORS: usize = 256;

/// A requirement grammar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Flavor {
    /// node-semver: `^1.2`, `~1.2.3`, `1.x`, `1.2 - 2.0`, `>=1 <2 || 3`.
    Npm,
    /// Cargo: comma-separated, a bare version means `^`.
    Cargo,
    /// Poetry: `^`, `~`, PEP 440 operators, `||`; a bare version is exact.
    Poetry,
    /// PEP 440 specifiers (pip, PEP 621 `pyproject.toml`): `~=`, `==1.*`, `!=`.
    Pep440,
    /// Composer: `^`, `~` (Composer's meaning), `||`, hyphen ranges, `1.0.*`.
    Composer,
    /// RubyGems / Bundler: `~> 1.4`, comma-separated.
    RubyGems,
}

impl Flavor {
    /// The grammar a manifest of this OSV ecosystem uses (Python projects
    /// managed by Poetry use [`Flavor::Poetry`] instead).
    pub fn for_ecosystem(ecosystem: &str) -> Option<Flavor> {
        Some(match ecosystem {
            "npm" => Flavor::Npm,
            "crates.io" => Flavor::Cargo,
            "PyPI" => Flavor::Pep440,
            "Packagist" => Flavor::Composer,
            "RubyGems" => Flavor::RubyGems,
            _ => return None,
        })
    }

    fn scheme(self) -> Scheme {
        match self {
            Flavor::Npm | Flavor::Cargo => Scheme::SemVer,
            Flavor::Poetry | Flavor::Pep440 => Scheme::Pep440,
            Flavor::Composer => Scheme::Composer,
            Flavor::RubyGems => Scheme::RubyGems,
        }
    }

    /// The suffix that makes an upper bound exclude every pre-release of it.
    fn floor_suffix(self) -> &'static str {
        match self {
            Flavor::Npm | Flavor::Cargo => "-0",
            Flavor::Poetry | Flavor::Pep440 => ".dev0",
            Flavor::Composer => "-dev",
            Flavor::RubyGems => ".a",
        }
    }
}

/// A requirement that could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("cannot read requirement {text:?}: {reason}")]
pub struct RequirementError {
    pub text: String,
    pub reason: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    /// PEP 440 `===`: string equality.
    Identical,
}

#[derive(Clone, Debug, PartialEq)]
struct Comparator {
    op: Op,
    version: String,
    /// `version` read once, in the flavor's scheme: a requirement is
    /// matched against many versions.
    parsed: Version,
    /// A bound palisade derived (`^1.2` gives `<2.0.0-0`), which does not
    /// count as the user naming a pre-release.
    derived: bool,
}

/// `!=1.2.*` in PEP 440: outside `[lo, hi)`.
#[derive(Clone, Debug, PartialEq)]
struct Excluded {
    lo: String,
    hi: String,
}

#[derive(Clone, Debug, Default, PartialEq)]
struct Alternative {
    comparators: Vec<Comparator>,
    excluded: Vec<Excluded>,
}

/// A parsed requirement: alternatives (`||`), each a conjunction of comparators.
#[derive(Clone, Debug, PartialEq)]
pub struct Requirement {
    flavor: Flavor,
    text: String,
    alternatives: Vec<Alternative>,
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// The numbers of a partial version (`1.2`, `1.x`) and what follows them.
#[derive(Debug)]
struct Partial<'a> {
    /// Leading numbers until the first wildcard or missing part.
    numbers: Vec<u64>,
    /// Text after the numbers (`-beta.1`, `rc1`), empty for wildcards.
    rest: &'a str,
    /// The number parts written, including wildcards.
    written: usize,
}

impl Partial<'_> {
    fn read(text: &str) -> Result<Partial<'_>, String> {
        let text = text.trim();
        let text = text
            .strip_prefix('v')
            .or_else(|| text.strip_prefix('V'))
            .unwrap_or(text);
        let text = text.strip_prefix('=').unwrap_or(text).trim();
        let mut numbers = Vec::new();
        let mut written = 0;
        let mut pos = 0;
        let bytes = text.as_bytes();
        loop {
            let start = pos;
            while pos < bytes.len() && bytes[pos].is_ascii_digit() {
                pos += 1;
            }
            if pos > start {
                let n: u64 = text[start..pos]
                    .parse()
                    .map_err(|_| "a version number is too large".to_string())?;
                if written == numbers.len() {
                    numbers.push(n);
                }
                written += 1;
            } else if pos < bytes.len() && matches!(bytes[pos], b'x' | b'X' | b'*') {
                pos += 1;
                written += 1;
            } else {
                break;
            }
            if pos + 1 < bytes.len() && bytes[pos] == b'.' && Self::part_start(bytes[pos + 1]) {
                pos += 1;
            } else {
                break;
            }
        }
        if written == 0 && !text.is_empty() {
            return Err(format!("{text:?} is not a version"));
        }
        let rest = &text[pos..];
        if written > numbers.len() && !rest.is_empty() {
            return Err(format!("{text:?} has text after a wildcard"));
        }
        Ok(Partial {
            numbers,
            rest,
            written,
        })
    }

    fn part_start(b: u8) -> bool {
        b.is_ascii_digit() || matches!(b, b'x' | b'X' | b'*')
    }

    /// Every part written as a number (no wildcard, none missing up to `len`).
    fn is_full(&self, len: usize) -> bool {
        self.numbers.len() >= len && self.written == self.numbers.len()
    }
}

/// `numbers` padded with zeros to `width`, joined by dots.
fn join(numbers: &[u64], width: usize) -> String {
    let mut parts: Vec<String> = numbers.iter().map(u64::to_string).collect();
    while parts.len() < width {
        parts.push("0".into());
    }
    parts.join(".")
}

/// `numbers[..keep]` with the last kept part raised by one.
fn bump(numbers: &[u64], keep: usize) -> Vec<u64> {
    let keep = keep.max(1);
    let mut out: Vec<u64> = numbers.iter().copied().take(keep).collect();
    while out.len() < keep {
        out.push(0);
    }
    if let Some(last) = out.last_mut() {
        *last = last.saturating_add(1);
    }
    out
}

struct Builder {
    flavor: Flavor,
    width: usize,
    alt: Alternative,
}

impl Builder {
    fn new(flavor: Flavor) -> Builder {
        // Semver-like grammars fill versions to three parts; others keep
        // what was written, which their schemes compare with zero padding.
        let width = match flavor {
            Flavor::Npm | Flavor::Cargo | Flavor::Composer => 3,
            _ => 1,
        };
        Builder {
            flavor,
            width,
            alt: Alternative::default(),
        }
    }

    fn push(&mut self, op: Op, version: String, derived: bool) -> Result<(), String> {
        if self.alt.comparators.len() >= MAX_COMPARATORS {
            return Err("too many comparators".into());
        }
        self.alt.comparators.push(Comparator {
            op,
            parsed: self.flavor.scheme().parse(&version),
            version,
            derived,
        });
        Ok(())
    }

    fn lower(&mut self, p: &Partial<'_>) -> Result<(), String> {
        if p.numbers.is_empty() {
            return Ok(());
        }
        let version = format!("{}{}", join(&p.numbers, self.width), p.rest);
        self.push(Op::Ge, version, false)
    }

    fn upper_before(&mut self, numbers: &[u64]) -> Result<(), String> {
        let version = format!(
            "{}{}",
            join(numbers, self.width),
            self.flavor.floor_suffix()
        );
        self.push(Op::Lt, version, true)
    }

    /// Everything a partial version stands for: `1.2` is `>=1.2.0 <1.3.0-0`.
    fn exactly(&mut self, p: &Partial<'_>) -> Result<(), String> {
        if p.numbers.is_empty() {
            return Ok(());
        }
        if p.is_full(self.width) {
            let version = format!("{}{}", join(&p.numbers, self.width), p.rest);
            return self.push(Op::Eq, version, false);
        }
        self.lower(p)?;
        self.upper_before(&bump(&p.numbers, p.numbers.len()))
    }

    fn caret(&mut self, p: &Partial<'_>) -> Result<(), String> {
        if p.numbers.is_empty() {
            return Ok(());
        }
        // The first non-zero part written is the one that may not change;
        // when all written parts are zero, the last written one.
        let n = &p.numbers;
        let keep = n.iter().position(|&x| x != 0).map_or(n.len(), |i| i + 1);
        self.lower(p)?;
        self.upper_before(&bump(n, keep))
    }

    /// Tilde as npm, Cargo and Poetry read it: `~1.2.3` and `~1.2` allow
    /// patch updates, `~1` minor ones.
    fn tilde(&mut self, p: &Partial<'_>) -> Result<(), String> {
        if p.numbers.is_empty() {
            return Ok(());
        }
        let keep = if p.numbers.len() >= 2 { 2 } else { 1 };
        self.lower(p)?;
        self.upper_before(&bump(&p.numbers, keep))
    }

    /// The last written part may rise: Composer's `~1.2` is `>=1.2 <2.0`,
    /// PEP 440's `~=1.4.5` is `>=1.4.5 ==1.4.*`, RubyGems' `~> 1.4`.
    fn pessimistic(&mut self, p: &Partial<'_>) -> Result<(), String> {
        if p.numbers.is_empty() {
            return Ok(());
        }
        let keep = p.numbers.len().saturating_sub(1).max(1);
        self.lower(p)?;
        self.upper_before(&bump(&p.numbers, keep))
    }

    fn compare(&mut self, op: Op, p: &Partial<'_>) -> Result<(), String> {
        if p.numbers.is_empty() {
            // `>=*` and the like: anything; `<*` nothing.
            return match op {
                Op::Lt | Op::Ne => self.push(Op::Lt, "0".into(), true),
                _ => Ok(()),
            };
        }
        let partial = !p.is_full(self.width) && self.width > 1;
        match (op, partial) {
            (Op::Eq, _) => self.exactly(p),
            (Op::Ge, _) => self.lower(p),
            (Op::Gt, true) => {
                let next = bump(&p.numbers, p.numbers.len());
                self.push(Op::Ge, join(&next, self.width), false)
            }
            (Op::Lt, true) => self.upper_before(&p.numbers),
            (Op::Le, true) => self.upper_before(&bump(&p.numbers, p.numbers.len())),
            (op, _) => {
                let version = format!("{}{}", join(&p.numbers, self.width), p.rest);
                if op == Op::Lt && matches!(self.flavor, Flavor::Pep440 | Flavor::Poetry) {
                    // PEP 440: `<V` admits no pre-release of V.
                    if p.rest.is_empty() {
                        return self.push(Op::Lt, format!("{version}.dev0"), true);
                    }
                }
                self.push(op, version, false)
            }
        }
    }

    fn finish(self) -> Alternative {
        self.alt
    }
}

fn split_op(token: &str) -> (&str, &str) {
    const OPS: [&str; 13] = [
        "===", "~=", "~>", ">=", "<=", "==", "!=", "<>", ">", "<", "=", "^", "~",
    ];
    for op in OPS {
        if let Some(rest) = token.strip_prefix(op) {
            return (op, rest.trim());
        }
    }
    ("", token.trim())
}

/// Splits a conjunction into comparator tokens, joining an operator written
/// apart from its version (`>= 1.2`).
fn tokens(text: &str, separators: &[char]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut pending = String::new();
    for word in text
        .split(|c: char| c.is_whitespace() || separators.contains(&c))
        .filter(|w| !w.is_empty())
    {
        pending.push_str(word);
        if word.chars().all(|c| "<>=!~^".contains(c)) {
            continue;
        }
        out.push(std::mem::take(&mut pending));
    }
    if !pending.is_empty() {
        out.push(pending);
    }
    out
}

impl Requirement {
    /// Reads `text` in `flavor`'s grammar.
    pub fn parse(flavor: Flavor, text: &str) -> Result<Requirement, RequirementError> {
        let error = |reason: String| RequirementError {
            text: text.chars().take(200).collect(),
            reason,
        };
        if text.len() > MAX_REQUIREMENT_LEN {
            return Err(error("longer than palisade reads".into()));
        }
        let mut body = text.trim();
        if flavor == Flavor::Npm {
            // `npm:other-name@^1.2` aliases.
            if let Some(alias) = body.strip_prefix("npm:") {
                body = alias.rsplit_once('@').map_or("", |(_, range)| range);
            }
            if body == "latest" {
                body = "*";
            }
            if body.contains(':') || body.contains('/') {
                return Err(error("not a version range (a URL, path or tag)".into()));
            }
        }
        if flavor == Flavor::Composer {
            if body.starts_with("dev-") {
                return Err(error("a branch, not a version".into()));
            }
            // Stability flags (`@dev`, `@stable`) and inline aliases do not
            // change which released versions match.
            body = body.split(" as ").next().unwrap_or(body);
        }
        let or_separator = match flavor {
            Flavor::Npm => "||",
            Flavor::Poetry | Flavor::Composer => "|",
            _ => "\u{0}",
        };
        let mut alternatives = Vec::new();
        for part in body
            .split(or_separator)
            .filter(|p| !p.trim().is_empty() || body.trim().is_empty())
        {
            if alternatives.len() >= MAX_COMPARATORS {
                return Err(error("too many alternatives".into()));
            }
            let alt = Self::alternative(flavor, part.trim()).map_err(error)?;
            alternatives.push(alt);
        }
        if alternatives.is_empty() {
            alternatives.push(Alternative::default());
        }
        Ok(Requirement {
            flavor,
            text: text.trim().to_string(),
            alternatives,
        })
    }

    /// What a missing requirement is taken to be: compatible updates of the
    /// installed version, as `cargo add` and `npm install` write them.
    pub fn compatible_with(flavor: Flavor, version: &str) -> Requirement {
        let text = match flavor {
            Flavor::Pep440 => format!("~={version}"),
            Flavor::RubyGems => format!("~> {version}"),
            _ => format!("^{version}"),
        };
        Requirement::parse(flavor, &text).unwrap_or(Requirement {
            flavor,
            text,
            alternatives: vec![Alternative {
                comparators: vec![Comparator {
                    op: Op::Eq,
                    version: version.to_string(),
                    parsed: flavor.scheme().parse(version),
                    derived: false,
                }],
                excluded: Vec::new(),
            }],
        })
    }

    fn alternative(flavor: Flavor, text: &str) -> Result<Alternative, String> {
        let mut b = Builder::new(flavor);
        let text = text.trim();
        if text.is_empty() || text == "*" {
            return Ok(b.finish());
        }
        if matches!(flavor, Flavor::Npm | Flavor::Composer)
            && let Some((lo, hi)) = text.split_once(" - ")
        {
            let lo = Partial::read(lo)?;
            let hi = Partial::read(hi)?;
            b.lower(&lo)?;
            if hi.is_full(3) {
                let version = format!("{}{}", join(&hi.numbers, 3), hi.rest);
                b.push(Op::Le, version, false)?;
            } else if !hi.numbers.is_empty() {
                b.upper_before(&bump(&hi.numbers, hi.numbers.len()))?;
            }
            return Ok(b.finish());
        }
        let separators: &[char] = match flavor {
            Flavor::Npm => &[],
            _ => &[','],
        };
        for token in tokens(text, separators) {
            let token = match flavor {
                Flavor::Composer => token.split('@').next().unwrap_or("").to_string(),
                _ => token,
            };
            if token.is_empty() {
                continue;
            }
            let (op, version) = split_op(&token);
            if op == "===" {
                b.push(Op::Identical, version.to_string(), false)?;
                continue;
            }
            let wildcard_eq = version.ends_with(".*");
            let p = Partial::read(version)?;
            match (flavor, op) {
                (_, "^") => b.caret(&p)?,
                (Flavor::Composer, "~") | (_, "~=") | (_, "~>") => b.pessimistic(&p)?,
                (_, "~") => b.tilde(&p)?,
                (Flavor::Cargo, "") if p.written == p.numbers.len() => b.caret(&p)?,

                (_, "" | "=" | "==") => b.exactly(&p)?,
                (_, ">=") => b.compare(Op::Ge, &p)?,
                (_, ">") => b.compare(Op::Gt, &p)?,
                (_, "<=") => b.compare(Op::Le, &p)?,
                (_, "<") => b.compare(Op::Lt, &p)?,
                (_, "!=" | "<>") if wildcard_eq || !p.is_full(b.width) => {
                    let suffix = flavor.floor_suffix();
                    b.alt.excluded.push(Excluded {
                        lo: format!("{}{suffix}", join(&p.numbers, b.width)),
                        hi: format!(
                            "{}{suffix}",
                            join(&bump(&p.numbers, p.numbers.len()), b.width)
                        ),
                    });
                }
                (_, "!=" | "<>") => b.compare(Op::Ne, &p)?,
                (_, other) => return Err(format!("unknown operator {other:?}")),
            }
        }
        Ok(b.finish())
    }

    /// True when `version` satisfies the requirement.
    pub fn matches(&self, version: &str) -> bool {
        let scheme = self.flavor.scheme();
        let v = scheme.parse(version);
        self.alternatives.iter().any(|alt| {
            let prerelease_named = alt
                .comparators
                .iter()
                .any(|c| !c.derived && c.parsed.is_prerelease());
            if v.is_prerelease() && !prerelease_named {
                return false;
            }
            let all = alt.comparators.iter().all(|c| {
                if c.op == Op::Identical {
                    return version.trim() == c.version;
                }
                let order = v.compare(&c.parsed);
                match c.op {
                    Op::Lt => order == Ordering::Less,
                    Op::Le => order != Ordering::Greater,
                    Op::Gt => order == Ordering::Greater,
                    Op::Ge => order != Ordering::Less,
                    Op::Eq => order == Ordering::Equal,
                    Op::Ne => order != Ordering::Equal,
                    Op::Identical => false,
                }
            });
            all && alt.excluded.iter().all(|x| {
                v.compare(&scheme.parse(&x.lo)) == Ordering::Less
                    || v.compare(&scheme.parse(&x.hi)) != Ordering::Less
            })
        })
    }

    /// The text as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn flavor(&self) -> Flavor {
        self.flavor
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(flavor: Flavor, req: &str, yes: &[&str], no: &[&str]) {
        let r = Requirement::parse(flavor, req).unwrap_or_else(|e| panic!("{e}"));
        for v in yes {
            assert!(r.matches(v), "{flavor:?} {req:?} should admit {v}: {r:?}");
        }
        for v in no {
            assert!(!r.matches(v), "{flavor:?} {req:?} should refuse {v}: {r:?}");
        }
    }

    #[test]
    fn npm_caret_keeps_the_first_non_zero_part() {
        check(
            Flavor::Npm,
            "^1.2.3",
            &["1.2.3", "1.9.0"],
            &["1.2.2", "2.0.0", "2.0.0-rc.1"],
        );
        check(Flavor::Npm, "^0.2.3", &["0.2.3", "0.2.9"], &["0.3.0"]);
        check(Flavor::Npm, "^0.0.3", &["0.0.3"], &["0.0.4"]);
        check(Flavor::Npm, "^1.2", &["1.2.0", "1.5.1"], &["2.0.0"]);
        check(Flavor::Npm, "^0.0", &["0.0.9"], &["0.1.0"]);
        check(Flavor::Npm, "^0.x", &["0.9.9"], &["1.0.0"]);
        check(
            Flavor::Npm,
            "^1.2.3-beta.2",
            &["1.2.3-beta.4", "1.2.3"],
            &["1.2.3-beta.1"],
        );
    }

    #[test]
    fn npm_tilde_x_ranges_hyphens_and_alternatives() {
        check(Flavor::Npm, "~1.2.3", &["1.2.9"], &["1.3.0"]);
        check(Flavor::Npm, "~1", &["1.9.0"], &["2.0.0"]);
        check(
            Flavor::Npm,
            "1.x",
            &["1.0.0", "1.99.0"],
            &["2.0.0", "0.9.0"],
        );
        check(Flavor::Npm, "1.2 - 2.3.4", &["1.2.0", "2.3.4"], &["2.3.5"]);
        check(Flavor::Npm, "1.2.3 - 2.3", &["2.3.9"], &["2.4.0"]);
        check(Flavor::Npm, ">= 1.2.7 < 1.3.0", &["1.2.8"], &["1.3.0"]);
        check(
            Flavor::Npm,
            "<1.2 || >=2.5.0",
            &["1.1.9", "2.5.0"],
            &["1.2.0", "2.0.0"],
        );
        check(Flavor::Npm, "*", &["0.0.1", "9.9.9"], &["1.0.0-rc.1"]);
        check(Flavor::Npm, "", &["3.1.4"], &[]);
        check(Flavor::Npm, "1.2.3", &["1.2.3"], &["1.2.4"]);
        check(Flavor::Npm, ">1.2", &["1.3.0"], &["1.2.9"]);
        check(Flavor::Npm, "<=1.2", &["1.2.9"], &["1.3.0"]);
        check(Flavor::Npm, "npm:lodash@^4.17.0", &["4.17.21"], &["5.0.0"]);
        assert!(Requirement::parse(Flavor::Npm, "git+https://x/y.git").is_err());
        assert!(Requirement::parse(Flavor::Npm, "file:../lib").is_err());
    }

    #[test]
    fn cargo_bare_versions_are_carets() {
        check(
            Flavor::Cargo,
            "1.6",
            &["1.6.0", "1.13.2"],
            &["2.0.0", "1.5.0"],
        );
        check(Flavor::Cargo, "0.3.1", &["0.3.9"], &["0.4.0"]);
        check(Flavor::Cargo, ">=1.2, <1.5", &["1.4.9"], &["1.5.0"]);
        check(Flavor::Cargo, "=1.2.3", &["1.2.3"], &["1.2.4"]);
        check(Flavor::Cargo, "~1.2", &["1.2.7"], &["1.3.0"]);
        check(Flavor::Cargo, "1.*", &["1.9.0"], &["2.0.0"]);
    }

    #[test]
    fn poetry_and_pep440_specifiers() {
        check(Flavor::Poetry, "^2.28", &["2.31.0"], &["3.0.0", "2.27.1"]);
        check(Flavor::Poetry, "~2.28.1", &["2.28.9"], &["2.29.0"]);
        check(Flavor::Poetry, "2.28.1", &["2.28.1"], &["2.28.2"]);
        check(
            Flavor::Poetry,
            ">=1.2,<2.0 || ^3.1",
            &["1.9", "3.4"],
            &["2.1", "4.0"],
        );
        check(
            Flavor::Pep440,
            ">=2.0,<3",
            &["2.5.1"],
            &["3.0", "3.0rc1", "1.9"],
        );
        check(Flavor::Pep440, "~=1.4.5", &["1.4.9"], &["1.5.0", "1.4.4"]);
        check(Flavor::Pep440, "~=2.2", &["2.9"], &["3.0"]);
        check(Flavor::Pep440, "==1.4.*", &["1.4.0", "1.4.99"], &["1.5.0"]);
        check(
            Flavor::Pep440,
            "!=1.4.*, >=1",
            &["1.3.9", "1.5"],
            &["1.4.2"],
        );
        check(Flavor::Pep440, "!=2.0.1", &["2.0.2"], &["2.0.1"]);
        check(Flavor::Pep440, "==2.0", &["2.0.0"], &["2.0.1"]);
        check(Flavor::Pep440, ">=1.0rc1", &["1.0rc2", "1.0"], &["1.0b9"]);
        check(Flavor::Pep440, "===1.0+local", &["1.0+local"], &["1.0"]);
    }

    #[test]
    fn composer_constraints() {
        check(Flavor::Composer, "^1.2.3", &["1.9.0"], &["2.0.0", "1.2.2"]);
        check(Flavor::Composer, "~1.2", &["1.9.0"], &["2.0.0"]);
        check(Flavor::Composer, "~1.2.3", &["1.2.9"], &["1.3.0"]);
        check(Flavor::Composer, "1.0.*", &["1.0.5"], &["1.1.0"]);
        check(
            Flavor::Composer,
            ">=1.0 <1.1 || >=1.2",
            &["1.0.3", "1.3"],
            &["1.1.5"],
        );
        check(
            Flavor::Composer,
            "^5.4|^6.0",
            &["6.4.2", "5.4.0"],
            &["7.0.0"],
        );
        check(Flavor::Composer, "1.0.0 - 2.1", &["2.1.9"], &["2.2.0"]);
        check(Flavor::Composer, "^2.0@stable", &["2.3.0"], &["3.0.0"]);
        check(Flavor::Composer, "v1.2.0", &["1.2.0"], &["1.2.1"]);
        assert!(Requirement::parse(Flavor::Composer, "dev-main").is_err());
    }

    #[test]
    fn rubygems_pessimistic_operator() {
        check(
            Flavor::RubyGems,
            "~> 1.4",
            &["1.4.0", "1.9"],
            &["2.0", "1.3"],
        );
        check(Flavor::RubyGems, "~> 1.4.2", &["1.4.9"], &["1.5.0"]);
        check(Flavor::RubyGems, ">= 2.1, < 3", &["2.9.9"], &["3.0"]);
        check(Flavor::RubyGems, "= 5.2.1", &["5.2.1"], &["5.2.2"]);
        check(Flavor::RubyGems, "~> 1", &["1.9"], &["2.0"]);
    }

    #[test]
    fn missing_requirements_mean_compatible_updates() {
        let r = Requirement::compatible_with(Flavor::Cargo, "0.4.2");
        assert!(r.matches("0.4.9") && !r.matches("0.5.0"));
        let r = Requirement::compatible_with(Flavor::Pep440, "2.1.0");
        assert!(r.matches("2.1.7") && !r.matches("2.2.0"));
    }

    #[test]
    fn hostile_requirements_are_refused_not_panicked_on() {
        for text in [
            "^99999999999999999999999",
            ">=",
            "~> ",
            "1.x.3",
            "||||",
            &"^1 ".repeat(2000),
            "\u{0}",
            "^^1",
            "1.2.3 -",
        ] {
            for flavor in [
                Flavor::Npm,
                Flavor::Cargo,
                Flavor::Poetry,
                Flavor::Pep440,
                Flavor::Composer,
                Flavor::RubyGems,
            ] {
                if let Ok(r) = Requirement::parse(flavor, text) {
                    let _ = r.matches("1.2.3");
                }
            }
        }
    }
}
