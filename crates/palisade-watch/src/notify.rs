//! Notification targets and delivery: generic webhooks signed with
//! HMAC-SHA256, Slack-compatible webhooks, email over SMTP, stdout.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
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

impl Target {
    /// The target in full, as `--notify` takes it and the outbox keeps it.
    /// It may hold credentials: never for people's eyes (see `Display`).
    pub fn spec(&self) -> String {
        match self {
            Target::Webhook(url) => format!("webhook:{url}"),
            Target::Slack(url) => format!("slack:{url}"),
            Target::Email(addr) => format!("email:{addr}"),
            Target::Stdout => "stdout".to_string(),
        }
    }
}

/// For people and logs: the URL with its credentials hidden
/// ([`redact_url`]).
impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Webhook(url) => write!(f, "webhook:{}", redact_url(url)),
            Target::Slack(url) => write!(f, "slack:{}", redact_url(url)),
            Target::Email(addr) => write!(f, "email:{addr}"),
            Target::Stdout => f.write_str("stdout"),
        }
    }
}

/// Query parameters whose values are credentials.
const SECRET_PARAMETERS: &[&str] = &[
    "token",
    "access_token",
    "key",
    "api_key",
    "apikey",
    "secret",
    "password",
    "sig",
    "signature",
    "code",
    "auth",
];

/// `url` with what would let a reader use it hidden: the password of
/// `user:password@`, the values of credential-like query parameters, and
/// for Slack's incoming-webhook URLs the token that ends the path. Text that
/// is not a URL is hidden whole after its scheme.
pub fn redact_url(url: &str) -> String {
    let Ok(mut parsed) = reqwest::Url::parse(url) else {
        return match url.split_once("://") {
            Some((scheme, _)) => format!("{scheme}://***"),
            None => "***".to_string(),
        };
    };
    if parsed.password().is_some() {
        let _ = parsed.set_password(Some("***"));
    }
    if parsed.query().is_some() {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(k, v)| {
                let secret = SECRET_PARAMETERS.contains(&k.to_ascii_lowercase().as_str());
                (
                    k.into_owned(),
                    if secret { "***".into() } else { v.into_owned() },
                )
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    if parsed.host_str() == Some("hooks.slack.com") {
        let segments: Vec<String> = parsed
            .path_segments()
            .map(|s| s.map(str::to_string).collect())
            .unwrap_or_default();
        if let Some((_, head)) = segments.split_last() {
            let mut path = head.join("/");
            path.push_str("/***");
            parsed.set_path(&path);
        }
    }
    parsed.to_string().replace("%2A%2A%2A", "***")
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

/// Which addresses webhook and Slack targets may reach.
///
/// A watch's URL is data anybody with write access to the database chose;
/// the signed body and its headers must not be handed to the cloud's
/// instance-metadata service (or another link-local service) through it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reach {
    /// Let targets resolve to link-local and metadata addresses
    /// (169.254.0.0/16, fe80::/10, fd00:ec2::/32, 100.100.100.200).
    pub link_local: bool,
}

/// Whether `ip` is a link-local or cloud-metadata address, in any of its
/// IPv6 spellings of an IPv4 address.
pub fn is_link_local_or_metadata(ip: IpAddr) -> bool {
    let v4 = |a: Ipv4Addr| a.is_link_local() || a == Ipv4Addr::new(100, 100, 100, 200);
    match ip {
        IpAddr::V4(a) => v4(a),
        IpAddr::V6(a) => {
            let s = a.segments();
            // fe80::/10, and AWS's IPv6 metadata range fd00:ec2::/32.
            if s[0] & 0xffc0 == 0xfe80 || (s[0], s[1]) == (0xfd00, 0x0ec2) {
                return true;
            }
            // IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d)
            // and the NAT64 prefix (64:ff9b::a.b.c.d) reach IPv4 too.
            let embedded =
                Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
            let prefix = &s[..6];
            (prefix == [0, 0, 0, 0, 0, 0xffff]
                || prefix == [0, 0, 0, 0, 0, 0]
                || prefix == [0x64, 0xff9b, 0, 0, 0, 0])
                && v4(embedded)
        }
    }
}

/// Refuses a URL whose host is a literal forbidden address (a name is
/// checked when it is resolved, by [`Screened`]).
fn check_literal(url: &str, reach: Reach) -> std::result::Result<(), String> {
    if reach.link_local {
        return Ok(());
    }
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
    // The URL parser has already read every IPv4 spelling (decimal,
    // hex, octal) into dotted form.
    let host = parsed.host_str().unwrap_or_default();
    let Ok(ip) = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
    else {
        return Ok(());
    };
    if is_link_local_or_metadata(ip) {
        return Err(refusal(&ip.to_string(), ip));
    }
    Ok(())
}

fn refusal(host: &str, ip: IpAddr) -> String {
    format!(
        "{host} is {ip}, a link-local or cloud-metadata address: not sent \
         (--allow-link-local-webhooks allows it)"
    )
}

/// Resolves names as the system does, refusing any that leads to a
/// forbidden address: the address connected to is the one checked, so a
/// name cannot pass the check and then resolve elsewhere.
#[derive(Debug)]
struct Screened;

impl reqwest::dns::Resolve for Screened {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let addresses = screen(&host, found)?;
            Ok(Box::new(addresses.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The addresses `host` resolved to, or why none may be used: one
/// forbidden address refuses the name (a name pointing partly at the
/// metadata service is not to be trusted with the rest).
fn screen(host: &str, found: Vec<SocketAddr>) -> std::result::Result<Vec<SocketAddr>, String> {
    if let Some(bad) = found.iter().find(|a| is_link_local_or_metadata(a.ip())) {
        return Err(refusal(host, bad.ip()));
    }
    Ok(found)
}

/// Sends notifications.
pub(crate) struct Sender {
    client: Client,
    reach: Reach,
    smtp: Option<(SmtpTransport, lettre::message::Mailbox)>,
}

impl Sender {
    pub(crate) fn new(smtp: Option<&Smtp>, reach: Reach) -> Result<Sender> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = Client::builder()
            .user_agent(concat!("palisade/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            // A redirect would re-send the signed body and its headers to a
            // host nobody configured, or turn the POST into a body-less GET
            // that still answers 200: each is a failed attempt instead.
            .redirect(reqwest::redirect::Policy::none());
        if !reach.link_local {
            builder = builder.dns_resolver(std::sync::Arc::new(Screened));
        }
        let client = builder
            .build()
            .map_err(|e| Error::Invalid(format!("HTTP client: {e}")))?;
        let smtp = match smtp {
            None => None,
            Some(s) => {
                let transport = SmtpTransport::from_url(&s.url)
                    .map_err(|e| Error::Invalid(format!("SMTP URL {:?}: {e}", redact_url(&s.url))))?
                    .timeout(Some(Duration::from_secs(30)))
                    .build();
                let from = s
                    .from
                    .parse()
                    .map_err(|e| Error::Invalid(format!("sender {:?}: {e}", s.from)))?;
                Some((transport, from))
            }
        };
        Ok(Sender {
            client,
            reach,
            smtp,
        })
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
                check_literal(url, self.reach)?;
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
                check_literal(url, self.reach)?;
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
        Ok(r) if r.status().is_redirection() => {
            let location = r
                .headers()
                .get(reqwest::header::LOCATION)
                .map(|v| {
                    String::from_utf8_lossy(v.as_bytes())
                        .chars()
                        .take(200)
                        .collect()
                })
                .unwrap_or_else(|| "nowhere".to_string());
            Err(format!(
                "HTTP {}: redirected to {location:?}, not followed (configure the final URL)",
                r.status()
            ))
        }
        Ok(r) => Err(format!("HTTP {}", r.status())),
        // The error's own chain says which address was refused and why;
        // the URL, which may hold credentials, is left out of it.
        Err(e) => Err(error_chain(&e.without_url())),
    }
}

/// An error and its causes, one after another.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(c) = cause {
        let part = c.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        cause = c.source();
    }
    text
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
    fn credentials_are_hidden_when_shown() {
        let shown = |text: &str| {
            text.parse::<Target>()
                .unwrap_or_else(|e| panic!("{e}"))
                .to_string()
        };
        assert_eq!(
            shown("webhook:https://ops:hunter2@hooks.example.com/x?token=abc&team=7"),
            "webhook:https://ops:***@hooks.example.com/x?token=***&team=7"
        );
        assert_eq!(
            shown("slack:https://hooks.slack.com/services/T0/B0/XXXXsecret"),
            "slack:https://hooks.slack.com/services/T0/B0/***"
        );
        assert_eq!(
            shown("webhook:https://hooks.example.com/x"),
            "webhook:https://hooks.example.com/x"
        );
        assert_eq!(
            redact_url("smtps://user:pa55@mail.example.com:465"),
            "smtps://user:***@mail.example.com:465"
        );
        assert_eq!(redact_url("http://[bad"), "http://***");
    }

    #[test]
    fn link_local_and_metadata_addresses_are_known_in_every_spelling() {
        for text in [
            "169.254.169.254",
            "169.254.170.2",
            "100.100.100.200",
            "fe80::1",
            "fd00:ec2::254",
            "::ffff:169.254.169.254",
            "::169.254.169.254",
            "64:ff9b::a9fe:a9fe",
        ] {
            let ip: IpAddr = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
            assert!(is_link_local_or_metadata(ip), "{text}");
        }
        for text in ["127.0.0.1", "10.0.0.1", "192.168.1.1", "::1", "2001:db8::1"] {
            let ip: IpAddr = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
            assert!(!is_link_local_or_metadata(ip), "{text}");
        }
    }

    #[test]
    fn forbidden_literals_and_names_are_refused_before_any_connection() {
        // Checked without a socket: these functions decide before one opens.
        let refuse = Reach::default();
        for url in [
            "http://169.254.169.254/latest/meta-data/",
            "http://2852039166/",
            "http://0xa9.0xfe.0xa9.0xfe/",
            "http://[::ffff:169.254.169.254]/",
            "https://[fd00:ec2::254]/",
        ] {
            let error = check_literal(url, refuse).expect_err(url);
            assert!(
                error.contains("169.254.169.254") || error.contains("fd00:ec2::254"),
                "{error}"
            );
        }
        assert!(check_literal("http://127.0.0.1:9/hook", refuse).is_ok());
        assert!(check_literal("http://hooks.example.com/x", refuse).is_ok());
        let allow = Reach { link_local: true };
        assert!(check_literal("http://169.254.169.254/", allow).is_ok());

        let at = |text: &str| SocketAddr::new(text.parse().unwrap_or_else(|e| panic!("{e}")), 0);
        let error = screen(
            "rebind.example",
            vec![at("127.0.0.1"), at("169.254.169.254")],
        )
        .expect_err("refused");
        assert!(
            error.starts_with("rebind.example is 169.254.169.254"),
            "{error}"
        );
        assert_eq!(
            screen("localhost", vec![at("127.0.0.1"), at("::1")]),
            Ok(vec![at("127.0.0.1"), at("::1")])
        );
    }

    #[test]
    fn targets_parse_and_print_back() {
        for text in [
            "webhook:https://hooks.example.com/x",
            "slack:https://hooks.slack.com/services/T/B/X",
            "webhook:https://ops:hunter2@hooks.example.com/x?token=abc&team=7",
            "email:sec@example.com",
            "stdout",
        ] {
            let t: Target = text.parse().unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(t.spec(), text);
        }
        assert!("webhook:ftp://x".parse::<Target>().is_err());
        assert!("email:not-an-address".parse::<Target>().is_err());
        assert!("pager:123".parse::<Target>().is_err());
    }
}
