//! Notification targets and delivery: generic webhooks signed with
//! HMAC-SHA256, Slack-compatible webhooks, email over SMTP, stdout.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::{Message, SmtpTransport, Transport};
use palisade_vulndb::{BulletinView, EpssScore, KevEntry};
use reqwest::blocking::Client;
use ring::hmac;
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Where a watch's notifications go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// JSON POSTed with `X-Palisade-Signature: sha256=<hex HMAC of the body>`.
    Webhook(String),
    /// `{"text": ...}` POSTed, as Slack's incoming webhooks take.
    Slack(String),
    Email(String),
    /// One JSON line per notification on the runner's stdout.
    Stdout,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Webhook(url) => write!(f, "webhook:{url}"),
            Target::Slack(url) => write!(f, "slack:{url}"),
            Target::Email(addr) => write!(f, "email:{addr}"),
            Target::Stdout => f.write_str("stdout"),
        }
    }
}

impl Serialize for Target {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl FromStr for Target {
    type Err = String;

    fn from_str(text: &str) -> std::result::Result<Target, String> {
        let url = |u: &str| {
            if u.starts_with("http://") || u.starts_with("https://") {
                Ok(u.to_string())
            } else {
                Err(format!(
                    "{text:?}: the URL must start with http:// or https://"
                ))
            }
        };
        if text == "stdout" {
            return Ok(Target::Stdout);
        }
        match text.split_once(':') {
            Some(("webhook", rest)) => url(rest).map(Target::Webhook),
            Some(("slack", rest)) => url(rest).map(Target::Slack),
            Some(("email", rest)) => {
                rest.parse::<lettre::Address>()
                    .map_err(|e| format!("{text:?}: not an email address ({e})"))?;
                Ok(Target::Email(rest.to_string()))
            }
            _ => Err(format!(
                "{text:?}: use webhook:URL, slack:URL, email:ADDRESS or stdout"
            )),
        }
    }
}

/// The HMAC-SHA256 signature of `body` under `secret`, as sent in
/// `X-Palisade-Signature`: `sha256=` and 64 hex digits.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    let tag = hmac::sign(&key, body);
    let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// A fresh webhook secret: 32 random bytes, hex.
pub(crate) fn new_secret() -> Result<String> {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 32];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| Error::Invalid("the system random source failed".into()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// What a notification says: the event, the watch, why it matched, and the bulletin.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    /// `new`, `changed`, `kev`, or `digest` (then `items` holds the others).
    pub event: String,
    pub watch: String,
    /// The idempotency key: the same notification always carries the same one.
    pub delivery: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matched: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bulletin: Option<Summary>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<Notification>,
}

/// The bulletin as notifications show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub id: String,
    pub title: Option<String>,
    pub summary: Option<String>,
    pub severity: Option<String>,
    pub score: Option<f64>,
    pub published: Option<String>,
    pub modified: Option<String>,
    pub url: Option<String>,
    pub sources: Vec<String>,
    pub revision: i64,
    pub kev: Option<KevEntry>,
    pub epss: Option<EpssScore>,
}

impl Summary {
    pub(crate) fn of(view: &BulletinView) -> Summary {
        let b = &view.bulletin;
        let url = b.url.clone().or_else(|| {
            if b.id.starts_with("CVE-") {
                Some(format!("https://www.cve.org/CVERecord?id={}", b.id))
            } else {
                b.references.first().cloned()
            }
        });
        let summary = b.summary.as_ref().map(|s| {
            if s.chars().count() > 1000 {
                format!("{}…", s.chars().take(1000).collect::<String>())
            } else {
                s.clone()
            }
        });
        Summary {
            id: b.id.clone(),
            title: b.title.clone(),
            summary,
            severity: view.severity.clone(),
            score: view.score,
            published: b.published.clone(),
            modified: b.modified.clone(),
            url,
            sources: view.sources.clone(),
            revision: view.revision,
            kev: view.kev.clone(),
            epss: view.epss.clone(),
        }
    }
}

impl Notification {
    /// One line for people: `[watch] CVE-... (high 7.5, KEV): title`.
    pub fn headline(&self) -> String {
        let Some(b) = &self.bulletin else {
            return format!(
                "[{}] {} new matches in the daily digest",
                self.watch,
                self.items.len()
            );
        };
        let mut tags = Vec::new();
        if let (Some(s), Some(score)) = (&b.severity, b.score) {
            tags.push(format!("{s} {score:.1}"));
        }
        if b.kev.is_some() {
            tags.push("KEV".to_string());
        }
        let what = match self.event.as_str() {
            "kev" => "added to CISA KEV: ",
            "changed" => "updated: ",
            _ => "",
        };
        format!(
            "[{}] {what}{}{}: {}",
            self.watch,
            b.id,
            if tags.is_empty() {
                String::new()
            } else {
                format!(" ({})", tags.join(", "))
            },
            b.title.as_deref().or(b.summary.as_deref()).unwrap_or("")
        )
    }

    /// The plain-text body of an email or Slack message.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let items: Vec<&Notification> = if self.items.is_empty() {
            vec![self]
        } else {
            self.items.iter().collect()
        };
        if !self.items.is_empty() {
            out.push_str(&self.headline());
            out.push_str("\n\n");
        }
        for n in items {
            out.push_str(&n.headline());
            out.push('\n');
            if let Some(b) = &n.bulletin {
                if let Some(m) = &n.matched {
                    out.push_str(&format!("matched: {m}\n"));
                }
                if let Some(s) = &b.summary {
                    out.push_str(s);
                    out.push('\n');
                }
                if let Some(u) = &b.url {
                    out.push_str(u);
                    out.push('\n');
                }
            }
            out.push('\n');
        }
        out
    }
}

/// An SMTP relay: `smtp://host:25` (plain), `smtp://host:587?tls=required`
/// (STARTTLS), `smtps://user:pass@host:465` (TLS), and the sender.
#[derive(Clone, Debug)]
pub struct Smtp {
    pub url: String,
    pub from: String,
}

/// Sends notifications.
pub(crate) struct Sender {
    client: Client,
    smtp: Option<(SmtpTransport, lettre::message::Mailbox)>,
}

impl Sender {
    pub(crate) fn new(smtp: Option<&Smtp>) -> Result<Sender> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = Client::builder()
            .user_agent(concat!("palisade/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| Error::Invalid(format!("HTTP client: {e}")))?;
        let smtp = match smtp {
            None => None,
            Some(s) => {
                let transport = SmtpTransport::from_url(&s.url)
                    .map_err(|e| Error::Invalid(format!("SMTP URL {:?}: {e}", s.url)))?
                    .timeout(Some(Duration::from_secs(30)))
                    .build();
                let from = s
                    .from
                    .parse()
                    .map_err(|e| Error::Invalid(format!("sender {:?}: {e}", s.from)))?;
                Some((transport, from))
            }
        };
        Ok(Sender { client, smtp })
    }

    /// Delivers one notification to one target; the error says why not.
    pub(crate) fn send(
        &self,
        target: &Target,
        secret: Option<&str>,
        note: &Notification,
        stdout: &mut dyn FnMut(&str),
    ) -> std::result::Result<(), String> {
        let body = serde_json::to_vec(note).map_err(|e| e.to_string())?;
        match target {
            Target::Stdout => {
                stdout(&String::from_utf8_lossy(&body));
                Ok(())
            }
            Target::Webhook(url) => {
                let mut request = self
                    .client
                    .post(url)
                    .header("content-type", "application/json")
                    .header("x-palisade-event", note.event.as_str())
                    .header("x-palisade-delivery", note.delivery.as_str());
                if let Some(secret) = secret {
                    request = request.header("x-palisade-signature", sign(secret, &body));
                }
                post(request.body(body))
            }
            Target::Slack(url) => {
                let text = format!("*{}*\n{}", note.headline(), note.text());
                let body = serde_json::to_vec(&serde_json::json!({ "text": text }))
                    .map_err(|e| e.to_string())?;
                post(
                    self.client
                        .post(url)
                        .header("content-type", "application/json")
                        .body(body),
                )
            }
            Target::Email(address) => {
                let Some((transport, from)) = &self.smtp else {
                    return Err(
                        "no SMTP server configured (--smtp URL or PALISADE_SMTP_URL)".into(),
                    );
                };
                let to: lettre::message::Mailbox =
                    address.parse().map_err(|e| format!("{address}: {e}"))?;
                let subject: String = note.headline().chars().take(200).collect();
                let message = Message::builder()
                    .from(from.clone())
                    .to(to)
                    .subject(subject)
                    .message_id(Some(format!("<{}@palisade>", note.delivery)))
                    .header(ContentType::TEXT_PLAIN)
                    .body(note.text())
                    .map_err(|e| e.to_string())?;
                transport
                    .send(&message)
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
        }
    }
}

fn post(request: reqwest::blocking::RequestBuilder) -> std::result::Result<(), String> {
    match request.send() {
        Ok(r) if r.status().is_success() => Ok(()),
        Ok(r) => Err(format!("HTTP {}", r.status())),
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_hmac_sha256_in_hex() {
        // RFC 4231 test case 2.
        assert_eq!(
            sign("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn targets_parse_and_print_back() {
        for text in [
            "webhook:https://hooks.example.com/x",
            "slack:https://hooks.slack.com/services/T/B/X",
            "email:sec@example.com",
            "stdout",
        ] {
            let t: Target = text.parse().unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(t.to_string(), text);
        }
        assert!("webhook:ftp://x".parse::<Target>().is_err());
        assert!("email:not-an-address".parse::<Target>().is_err());
        assert!("pager:123".parse::<Target>().is_err());
    }
}
