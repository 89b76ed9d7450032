//! RSS 2.0 and Atom bulletins (AWS Security Bulletins, CISA advisories,
//! GitHub advisories, any vendor's feed) read with feed-rs into
//! [`Bulletin`]s. The XML reader resolves only XML's predefined entities, so
//! entity-expansion documents cannot grow; HTML in summaries is reduced to
//! text; CVE ids mentioned in an entry become its aliases, which is how a
//! vendor bulletin reaches the watchers of those CVEs.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use crate::bulletin::Bulletin;
use crate::error::{Error, Location, Result};

/// Longest summary kept, in characters.
const MAX_SUMMARY_CHARS: usize = 8000;
/// Most entries read from one document.
pub const MAX_FEED_ENTRIES: usize = 50_000;

/// The entries of a feed document, and how many dates in it were unreadable.
#[derive(Debug)]
pub struct FeedDocument {
    pub title: Option<String>,
    pub bulletins: Vec<Bulletin>,
    /// Dates that did not parse; their entries are kept without them.
    pub bad_dates: usize,
}

/// Reads an RSS, Atom (or JSON Feed) document; entries get ids
/// `<source>:<entry id>`.
pub fn parse_feed(origin: &str, source: &str, bytes: &[u8]) -> Result<FeedDocument> {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(512)]).to_ascii_lowercase();
    if head.contains("<!doctype html") || head.trim_start().starts_with("<html") {
        return Err(Error::invalid(
            Location::new(origin),
            "an HTML page, not an RSS or Atom feed",
        ));
    }
    let bad = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&bad);
    let parser = feed_rs::parser::Builder::new()
        .timestamp_parser(move |text| {
            let parsed = parse_time(text);
            if parsed.is_none() {
                counter.fetch_add(1, Ordering::Relaxed);
            }
            parsed
        })
        .build();
    let feed = parser.parse(bytes).map_err(|e| {
        Error::invalid(
            Location::new(origin),
            format!("not an RSS or Atom feed: {e}"),
        )
    })?;
    if feed.entries.len() > MAX_FEED_ENTRIES {
        return Err(Error::TooLarge {
            location: Location::new(origin),
            message: format!(
                "{} entries; at most {MAX_FEED_ENTRIES} are read",
                feed.entries.len()
            ),
        });
    }
    let bulletins = feed
        .entries
        .into_iter()
        .map(|entry| {
            let title = entry.title.map(|t| plain_text(&t.content));
            let summary = entry
                .summary
                .map(|t| t.content)
                .or_else(|| entry.content.and_then(|c| c.body))
                .map(|s| plain_text(&s))
                .filter(|s| !s.is_empty());
            let url = entry.links.first().map(|l| l.href.clone());
            let mut aliases = Vec::new();
            for text in [&title, &summary].into_iter().flatten() {
                for id in cve_ids(text) {
                    if !aliases.contains(&id) {
                        aliases.push(id);
                    }
                }
            }
            let published = entry.published.or(entry.updated).map(|t| t.to_rfc3339());
            Bulletin {
                id: format!("{source}:{}", entry.id),
                source: source.to_string(),
                state: None,
                modified: entry.updated.map(|t| t.to_rfc3339()).or(published.clone()),
                published,
                title,
                summary,
                references: url.iter().cloned().collect(),
                url,
                cvss: Vec::new(),
                cwes: Vec::new(),
                affected: Vec::new(),
                configurations: Vec::new(),
                aliases,
            }
        })
        .collect();
    Ok(FeedDocument {
        title: feed.title.map(|t| plain_text(&t.content)),
        bulletins,
        bad_dates: bad.load(Ordering::Relaxed),
    })
}

/// RFC 3339, RFC 2822 (with the obsolete zone names RSS feeds use), or a
/// plain date or zone-less time taken as UTC.
fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = DateTime::parse_from_rfc2822(text) {
        return Some(t.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Some(t.and_utc());
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

/// Markup removed, the common entities decoded, whitespace collapsed.
pub(crate) fn plain_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len().min(MAX_SUMMARY_CHARS));
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let decoded = out
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    let mut text = decoded.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() > MAX_SUMMARY_CHARS {
        text = text.chars().take(MAX_SUMMARY_CHARS).collect();
    }
    text
}

/// The CVE ids in a text, uppercased.
pub(crate) fn cve_ids(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 4 <= bytes.len() {
        if bytes[i..i + 4].eq_ignore_ascii_case(b"CVE-")
            && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric())
        {
            let year_end = i
                + 4
                + bytes[i + 4..]
                    .iter()
                    .take_while(|b| b.is_ascii_digit())
                    .count();
            if year_end - (i + 4) == 4 && bytes.get(year_end) == Some(&b'-') {
                let num_end = year_end
                    + 1
                    + bytes[year_end + 1..]
                        .iter()
                        .take_while(|b| b.is_ascii_digit())
                        .count();
                if num_end - year_end > 4 {
                    out.push(text[i..num_end].to_ascii_uppercase());
                    i = num_end;
                    continue;
                }
            }
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Security Bulletins</title><link>https://example.com/</link>
<item><title>Widget issue (CVE-2025-1234)</title><link>https://example.com/b/1</link>
<guid>https://example.com/b/1</guid><pubDate>Tue, 10 Jun 2025 20:15:00 PDT</pubDate>
<description><![CDATA[<p>Widget &amp; Gadget are affected by cve-2025-1234 and CVE-2025-45678.</p>]]></description></item>
<item><title>Second</title><guid>b-2</guid><pubDate>not a date</pubDate></item>
</channel></rss>"#;

    #[test]
    fn rss_items_become_bulletins_with_their_cves() {
        let doc = parse_feed("feed.xml", "aws", RSS.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(doc.title.as_deref(), Some("Security Bulletins"));
        assert_eq!(doc.bulletins.len(), 2);
        let b = &doc.bulletins[0];
        assert_eq!(b.id, "aws:https://example.com/b/1");
        assert_eq!(b.published.as_deref(), Some("2025-06-11T03:15:00+00:00"));
        assert_eq!(
            b.summary.as_deref(),
            Some("Widget & Gadget are affected by cve-2025-1234 and CVE-2025-45678.")
        );
        assert_eq!(b.aliases, ["CVE-2025-1234", "CVE-2025-45678"]);
        assert_eq!(doc.bad_dates, 1);
        assert_eq!(doc.bulletins[1].published, None);
    }

    #[test]
    fn entity_expansion_and_html_are_refused_or_inert() {
        let bomb = r#"<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>
<rss version="2.0"><channel><title>&c;</title><item><title>&c;&c;</title><guid>x</guid></item></channel></rss>"#;
        match parse_feed("bomb.xml", "s", bomb.as_bytes()) {
            Ok(doc) => assert!(
                doc.bulletins
                    .iter()
                    .all(|b| b.title.as_deref().map_or(0, str::len) < 100)
            ),
            Err(e) => assert!(e.to_string().starts_with("bomb.xml: "), "{e}"),
        }
        let err = parse_feed(
            "page.xml",
            "s",
            b"<!DOCTYPE html><html><body>hi</body></html>",
        )
        .err()
        .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("page.xml: an HTML page, not an RSS or Atom feed")
        );
    }

    #[test]
    fn cve_ids_are_found_only_whole() {
        assert_eq!(
            cve_ids("see CVE-2024-0450, XCVE-2024-1111 and CVE-24-1"),
            ["CVE-2024-0450"]
        );
    }
}
