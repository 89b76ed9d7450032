//! Severity from CVSS vectors (v2, v3.x, v4) and from ecosystem labels.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A qualitative severity, ordered from none to critical.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Rating {
    None,
    Low,
    Medium,
    High,
    Critical,
}

impl Rating {
    pub fn as_str(self) -> &'static str {
        match self {
            Rating::None => "none",
            Rating::Low => "low",
            Rating::Medium => "medium",
            Rating::High => "high",
            Rating::Critical => "critical",
        }
    }

    /// Reads a label: CVSS names, GitHub's `MODERATE`, Ubuntu's `negligible`.
    pub fn from_label(label: &str) -> Option<Rating> {
        match label.trim().to_ascii_lowercase().as_str() {
            "none" | "negligible" | "informational" | "info" => Some(Rating::None),
            "low" => Some(Rating::Low),
            "medium" | "moderate" => Some(Rating::Medium),
            "high" | "important" => Some(Rating::High),
            "critical" => Some(Rating::Critical),
            _ => None,
        }
    }

    /// The CVSS v3/v4 band a base score falls in.
    pub fn from_score(score: f64) -> Rating {
        if score >= 9.0 {
            Rating::Critical
        } else if score >= 7.0 {
            Rating::High
        } else if score >= 4.0 {
            Rating::Medium
        } else if score > 0.0 {
            Rating::Low
        } else {
            Rating::None
        }
    }
}

impl fmt::Display for Rating {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Rating {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Rating::from_label(s).ok_or_else(|| format!("unknown severity {s:?}"))
    }
}

/// The severity palisade reports for an advisory.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Severity {
    pub rating: Rating,
    /// The CVSS base score, when the severity comes from a vector.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// The CVSS vector it was computed from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vector: Option<String>,
}

impl Severity {
    /// Scores one OSV severity entry (`type` and `score`); `None` when the type is
    /// not CVSS or the vector does not parse.
    pub fn from_osv(kind: &str, score: &str) -> Option<Severity> {
        let vector = score.trim();
        let (value, rating) = match kind {
            "CVSS_V2" => {
                let v = cvss::v2::Vector::from_str(vector.trim_start_matches("CVSS:2.0/")).ok()?;
                let value = v.score().value();
                // NVD's bands for CVSS v2 have no "critical".
                let rating = if value >= 7.0 {
                    Rating::High
                } else if value >= 4.0 {
                    Rating::Medium
                } else {
                    Rating::Low
                };
                (value, rating)
            }
            "CVSS_V3" => {
                let v = cvss::v3::Vector::from_str(vector).ok()?;
                let value = v.score().value();
                (value, Rating::from_score(value))
            }
            "CVSS_V4" => {
                let v = cvss::v4::Vector::from_str(vector).ok()?;
                let value = v.score().value();
                (value, Rating::from_score(value))
            }
            _ => return None,
        };
        if !value.is_finite() {
            return None;
        }
        Some(Severity {
            rating,
            score: Some(value),
            vector: Some(vector.to_string()),
        })
    }

    /// A severity known only by its label.
    pub fn from_label(label: &str) -> Option<Severity> {
        Rating::from_label(label).map(|rating| Severity {
            rating,
            score: None,
            vector: None,
        })
    }

    /// Orders severities: rating first, then score.
    pub fn outranks(&self, other: &Severity) -> bool {
        (self.rating, self.score.unwrap_or(-1.0)) > (other.rating, other.score.unwrap_or(-1.0))
    }
}

/// The highest of several severities.
pub(crate) fn highest(candidates: impl IntoIterator<Item = Severity>) -> Option<Severity> {
    candidates
        .into_iter()
        .reduce(|best, next| if next.outranks(&best) { next } else { best })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cvss_vectors_of_every_version_are_scored() {
        let v3 = Severity::from_osv("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
            .expect("valid v3");
        assert_eq!(v3.score, Some(9.8));
        assert_eq!(v3.rating, Rating::Critical);

        let v2 = Severity::from_osv("CVSS_V2", "AV:N/AC:L/Au:N/C:P/I:P/A:P").expect("valid v2");
        assert_eq!(v2.score, Some(7.5));
        assert_eq!(v2.rating, Rating::High);

        let v4 = Severity::from_osv(
            "CVSS_V4",
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        )
        .expect("valid v4");
        assert_eq!(v4.score, Some(9.3));
        assert_eq!(v4.rating, Rating::Critical);
    }

    #[test]
    fn broken_vectors_are_ignored_not_fatal() {
        assert_eq!(Severity::from_osv("CVSS_V3", "CVSS:3.1/AV:X"), None);
        assert_eq!(Severity::from_osv("Ubuntu", "medium"), None);
    }

    #[test]
    fn labels_map_to_ratings() {
        assert_eq!(Rating::from_label("MODERATE"), Some(Rating::Medium));
        assert_eq!(Rating::from_label("negligible"), Some(Rating::None));
        assert_eq!(Rating::from_label("urgent"), None);
    }

    #[test]
    fn the_highest_severity_wins() {
        let low = Severity::from_label("low").expect("label");
        let high = Severity::from_osv("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N")
            .expect("valid");
        assert_eq!(highest([low, high.clone()]), Some(high));
    }
}
