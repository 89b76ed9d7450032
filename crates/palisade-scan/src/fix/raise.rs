//! Raising a declared requirement to a fixed version while keeping its style:
//! `^4.17.0` becomes `^4.17.21`, `~> 6.1.0` becomes `~> 6.1.7`, `>=2.0,<3`
//! becomes `>=2.31.0,<3`; a requirement that no longer admits the result is
//! refused rather than written.

use palisade_version::requirement::{Flavor, Requirement};

/// Operators that set a lower bound, longest first so `>=` wins over `>`.
const LOWER_OPS: [&str; 8] = ["===", "==", "~=", "~>", ">=", "^", "~", ">"];

/// Splits `>= 1.2` into (`>=`, ` `, `1.2`).
fn split(token: &str) -> (&str, &str, &str) {
    for op in LOWER_OPS.iter().chain(["<=", "<", "!=", "="].iter()) {
        if let Some(rest) = token.strip_prefix(op) {
            let trimmed = rest.trim_start();
            let space = &rest[..rest.len() - trimmed.len()];
            return (op, space, trimmed);
        }
    }
    ("", "", token)
}

/// Pessimistic operators (`~>`, `~=`, Composer's `~`) let the last written
/// part rise, so writing more parts would narrow the range: `~> 2.2.0`
/// raised to 2.2.6.4 is written `~> 2.2.6`, as Dependabot does.
fn pessimistic_precision(flavor: Flavor, op: &str, old: &str, version: &str) -> String {
    let pessimistic = matches!(op, "~>" | "~=") || (op == "~" && flavor == Flavor::Composer);
    let parts = old.split('.').count();
    let fix: Vec<&str> = version.split('.').collect();
    if pessimistic && parts >= 2 && fix.len() > parts {
        fix[..parts].join(".")
    } else {
        version.to_string()
    }
}

fn is_any(text: &str) -> bool {
    matches!(text.trim(), "" | "*" | "x" | "X" | "latest")
}

/// The requirement to write so that `version` (and nothing older) is the
/// lowest admitted, or `None` when this requirement's shape cannot be raised
/// safely (an upper bound only, alternatives, a URL).
pub(crate) fn raise(flavor: Flavor, old: &str, version: &str) -> Option<String> {
    let trimmed = old.trim();
    let new = if is_any(trimmed) {
        match flavor {
            Flavor::Npm | Flavor::Composer | Flavor::Poetry => format!("^{version}"),
            Flavor::Cargo => version.to_string(),
            Flavor::RubyGems => format!(">= {version}"),
            Flavor::Pep440 => format!(">={version}"),
        }
    } else if trimmed.contains("||") || (flavor == Flavor::Composer && trimmed.contains('|')) {
        return None;
    } else {
        // Comparators separated by commas (most grammars) or spaces (npm,
        // Composer): replace the one that sets the lower bound.
        let separator = if trimmed.contains(',') { ',' } else { ' ' };
        // An operator written apart from its version (`~> 2.2`) stays with it.
        let mut pieces: Vec<String> = Vec::new();
        let mut pending = String::new();
        for piece in trimmed.split(separator) {
            if !piece.trim().is_empty() && piece.trim().chars().all(|c| "<>=!~^".contains(c)) {
                pending.push_str(piece);
                pending.push(separator);
                continue;
            }
            pieces.push(format!("{pending}{piece}"));
            pending.clear();
        }
        if !pending.is_empty() {
            pieces.push(pending.trim_end_matches(separator).to_string());
        }
        let mut parts: Vec<String> = Vec::new();
        let mut replaced = false;
        for part in &pieces {
            let (op, space, v) = split(part.trim());
            let lower = LOWER_OPS.contains(&op) || (op.is_empty() && !v.is_empty()) || op == "=";
            let leading = &part[..part.len() - part.trim_start().len()];
            if lower && !replaced && !v.is_empty() {
                let op = if op == ">" { ">=" } else { op };
                let written = pessimistic_precision(flavor, op, v, version);
                parts.push(format!("{leading}{op}{space}{written}"));
                replaced = true;
            } else {
                parts.push(part.to_string());
            }
        }
        if !replaced {
            return None;
        }
        parts.join(&separator.to_string())
    };
    let parsed = Requirement::parse(flavor, &new).ok()?;
    parsed.matches(version).then_some(new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_and_spacing_are_kept() {
        let cases = [
            (Flavor::Npm, "^4.17.0", "4.17.21", Some("^4.17.21")),
            (Flavor::Npm, "~1.2.3", "1.2.9", Some("~1.2.9")),
            (Flavor::Npm, "4.17.20", "4.17.21", Some("4.17.21")),
            (
                Flavor::Npm,
                ">=1.0.0 <2.0.0",
                "1.5.0",
                Some(">=1.5.0 <2.0.0"),
            ),
            (Flavor::Npm, "*", "2.0.1", Some("^2.0.1")),
            (Flavor::Npm, "<2.0.0", "1.5.0", None),
            (Flavor::Npm, "^1.0.0 || ^2.0.0", "2.0.1", None),
            (Flavor::Cargo, "1.6", "1.6.1", Some("1.6.1")),
            (Flavor::Cargo, "=0.3.1", "0.3.2", Some("=0.3.2")),
            (Flavor::Pep440, "==2.24.0", "2.31.0", Some("==2.31.0")),
            (Flavor::Pep440, ">=2.0,<3", "2.31.0", Some(">=2.31.0,<3")),
            (Flavor::Pep440, ">=2.0,<2.5", "2.31.0", None),
            (Flavor::Poetry, "^2.26", "2.31.0", Some("^2.31.0")),
            (Flavor::RubyGems, "~> 6.1.0", "6.1.7", Some("~> 6.1.7")),
            (Flavor::RubyGems, "~> 2.2.0", "2.2.6.4", Some("~> 2.2.6")),
            (Flavor::Pep440, "~=1.4", "1.4.7", Some("~=1.4")),
            (Flavor::Composer, "~7.0", "7.4.5", Some("~7.4")),
            (
                Flavor::RubyGems,
                ">= 1.10, < 2",
                "1.13.4",
                Some(">= 1.13.4, < 2"),
            ),
            (Flavor::Composer, "^7.0", "7.4.5", Some("^7.4.5")),
        ];
        for (flavor, old, version, want) in cases {
            assert_eq!(
                raise(flavor, old, version).as_deref(),
                want,
                "{flavor:?} {old}"
            );
        }
    }
}
