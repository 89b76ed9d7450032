//! Command-line arguments (the CLI contract in DESIGN.md).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "palisade",
    version,
    about = "Application security for serverless APIs: know the threats, review dependencies, validate events",
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone)]
pub struct Global {
    /// The advisory database [default: $PALISADE_DB, else the platform data dir]
    #[arg(long, global = true, value_name = "FILE")]
    pub db: Option<PathBuf>,
    /// Print only errors
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more about what is happening (repeat for more)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// When to color output
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
    /// Print records as JSON
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Find known vulnerabilities in dependencies: projects, function packages, images
    Scan(ScanArgs),
    /// Raise vulnerable direct dependencies in their manifests, then print the lockfile refresh command
    Fix(FixArgs),
    /// A git pre-push hook that blocks pushes adding vulnerable dependencies
    #[command(subcommand)]
    Hook(HookCommand),
    /// The offline advisory database: update, import, inspect, query
    #[command(subcommand)]
    Db(DbCommand),
    /// A software bill of materials (CycloneDX 1.6 or SPDX 2.3 JSON) of projects, packages or images
    Sbom(SbomArgs),
    /// The dependency graph, or why a package is there (--why)
    Graph(GraphArgs),
    /// Version ordering of package ecosystems
    #[command(subcommand)]
    Version(VersionCommand),
    /// Validate JSON documents or recorded events against a JSON Schema model (exit 1 if any is invalid)
    Validate(ValidateArgs),
    /// Run the validating reverse proxy (API Gateway models, validators and responses)
    Gateway(GatewayArgs),
    /// AWS WAF web ACLs: replay recorded requests through the rules
    #[command(subcommand)]
    Waf(WafCommand),
    /// Threat feeds (CVE records, NVD, CISA KEV, EPSS, RSS/Atom bulletins): import, sync, search, show
    #[command(subcommand)]
    Feeds(FeedsCommand),
    /// Watchlists: be told when new bulletins touch your vendors, products, keywords or dependencies
    #[command(subcommand)]
    Watch(WatchCommand),
}

#[derive(Subcommand, Debug)]
pub enum WatchCommand {
    /// Add a watch: what to look for, and where to say so
    Add(WatchAddArgs),
    /// Every watch, with its targets and queued notifications
    List,
    /// Remove a watch (by name or id) and its undelivered notifications
    Remove {
        #[arg(value_name = "NAME|ID")]
        watch: String,
    },
    /// Poll sources on their intervals, match, and notify (until stopped, or --once)
    Run(WatchRunArgs),
}

#[derive(Args, Debug)]
#[command(disable_version_flag = true)]
pub struct WatchAddArgs {
    /// A name for the watch (unique; `watch remove` takes it)
    #[arg(long)]
    pub name: String,
    #[command(flatten)]
    pub product: ProductArgs,
    /// Words that must appear in the bulletin
    #[arg(long)]
    pub keyword: Option<String>,
    /// A project, lockfile, function package or image: bulletins affecting its packages
    #[arg(long, value_name = "PATH")]
    pub inventory: Option<PathBuf>,
    /// Only bulletins at least this severe (KEV additions always pass)
    #[arg(long, value_parser = ["low", "medium", "high", "critical"])]
    pub min_severity: Option<String>,
    /// Only CVEs in CISA's Known Exploited Vulnerabilities catalog
    #[arg(long)]
    pub kev_only: bool,
    /// webhook:URL (signed JSON), slack:URL, email:ADDRESS or stdout; repeat for several
    #[arg(long, required = true, value_name = "TARGET")]
    pub notify: Vec<String>,
    /// The HMAC-SHA256 key of webhook signatures [default: generated and printed]
    #[arg(long, env = "PALISADE_WEBHOOK_SECRET", hide_env_values = true)]
    pub secret: Option<String>,
    /// Gather matches into one message a day instead of one per bulletin
    #[arg(long, value_parser = ["daily"])]
    pub digest: Option<String>,
}

#[derive(Args, Debug)]
pub struct WatchRunArgs {
    /// Poll every source once, notify, and exit
    #[arg(long)]
    pub once: bool,
    /// Let webhook and Slack targets reach link-local and cloud-metadata addresses (169.254.0.0/16,
    /// fe80::/10, fd00:ec2::/32, 100.100.100.200), refused by default
    #[arg(long, env = "PALISADE_ALLOW_LINK_LOCAL_WEBHOOKS")]
    pub allow_link_local_webhooks: bool,
    /// SMTP relay for email targets: smtp://host:25, smtp://host:587?tls=required, smtps://user:pass@host:465
    #[arg(
        long,
        env = "PALISADE_SMTP_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub smtp: Option<String>,
    /// The sender of emails
    #[arg(
        long,
        env = "PALISADE_MAIL_FROM",
        default_value = "palisade@localhost",
        value_name = "ADDRESS"
    )]
    pub mail_from: String,
}

#[derive(Subcommand, Debug)]
pub enum FeedsCommand {
    /// Fetch configured sources (all, or the ones named) with conditional GET
    Sync {
        /// Source names [default: every source]
        sources: Vec<String>,
    },
    /// Import CVE JSON 5 records, NVD API 2.0 responses, the KEV catalog, EPSS CSV and RSS/Atom files, directories and zips
    Import {
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Skip files that fail to parse (each is reported) instead of importing nothing
        #[arg(long)]
        skip_invalid: bool,
    },
    /// Search bulletins by words, vendor / product / version, CPE, weakness, severity, exploitation
    Search(FeedSearchArgs),
    /// One bulletin, merged over its sources, with its KEV entry and EPSS score
    Show {
        /// A CVE id, or a feed entry's id
        id: String,
    },
    /// Feed sources: add, list, remove
    #[command(subcommand)]
    Source(SourceCommand),
}

#[derive(Subcommand, Debug)]
pub enum SourceCommand {
    /// Add a source, or change one (NVD, KEV and EPSS know their public URL)
    Add {
        name: String,
        #[arg(long, value_parser = ["nvd", "cve5", "kev", "epss", "osv", "rss", "atom"])]
        kind: String,
        #[arg(long)]
        url: Option<String>,
        /// How often `watch run` polls it: 90s, 15m, 1h, 1d
        #[arg(long, default_value = "15m", value_parser = parse_duration)]
        interval: std::time::Duration,
    },
    /// Every source with its state: last success, last error, records
    List,
    /// Remove a source (its records stay)
    Remove { name: String },
}

/// `90s`, `15m`, `1h`, `1d`, or plain seconds.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration like 90s, 15m, 1h or 1d"))?;
    let seconds = match unit {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86400,
        _ => return Err(format!("{text:?}: the unit must be s, m, h or d")),
    };
    if seconds == 0 {
        return Err("a duration must be at least one second".to_string());
    }
    Ok(std::time::Duration::from_secs(seconds))
}

/// A vendor / product (and version) as CVE records and CPEs name them.
#[derive(Args, Debug, Clone)]
pub struct ProductArgs {
    /// Vendor, as CVE records or CPEs name it (case and spaces do not matter)
    #[arg(long)]
    pub vendor: Option<String>,
    /// Product, as CVE records or CPEs name it
    #[arg(long)]
    pub product: Option<String>,
    /// Only bulletins affecting this version (needs --vendor, --product or, in search, --cpe)
    #[arg(long, value_name = "VERSION")]
    pub version: Option<String>,
}

#[derive(Args, Debug)]
#[command(disable_version_flag = true)]
pub struct FeedSearchArgs {
    /// Words that must all appear (title, summary, id, products); end a word with * for a prefix
    pub query: Vec<String>,
    #[command(flatten)]
    pub product: ProductArgs,
    /// A CPE 2.3 name, e.g. cpe:2.3:a:apache:http_server:2.4.49:*:*:*:*:*:*:*
    #[arg(long)]
    pub cpe: Option<String>,
    /// A weakness, e.g. CWE-79
    #[arg(long)]
    pub cwe: Option<String>,
    /// Headline severities: low, medium, high, critical (comma-separated)
    #[arg(long, value_delimiter = ',', value_parser = ["none", "low", "medium", "high", "critical"])]
    pub severity: Vec<String>,
    /// Headline CVSS base score at least this
    #[arg(long, value_name = "SCORE")]
    pub min_cvss: Option<f64>,
    /// Only CVEs in CISA's Known Exploited Vulnerabilities catalog
    #[arg(long)]
    pub kev: bool,
    /// Only CVEs whose EPSS probability is above this (0 to 1)
    #[arg(long, value_name = "P")]
    pub epss_above: Option<f64>,
    /// Published or modified since: a date (YYYY-MM-DD), an RFC 3339 time, or an age (36h, 7d, 2w)
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Only records from this source (cve5, nvd, or a feed's name)
    #[arg(long)]
    pub source: Option<String>,
    /// Most results shown (0: all)
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
}

#[derive(Subcommand, Debug)]
pub enum WafCommand {
    /// Replay recorded requests through a web ACL and print each one's action, terminating rule and labels (exit 1 when a case's expectation differs)
    Test(WafTestArgs),
}

#[derive(Args, Debug)]
pub struct WafTestArgs {
    /// The web ACL: AWS WAF's JSON (the ACL, `get-web-acl` output or `--cli-input-json` input) or a
    /// CloudFormation `AWS::WAFv2::WebACL` (template or properties, YAML or JSON)
    #[arg(long, value_name = "FILE")]
    pub web_acl: PathBuf,
    /// The cases: YAML (or JSON) with `cases:`, each a request and, optionally, `expect: ALLOW|BLOCK` and
    /// `expect_rule`; or a go-ftw test file (OWASP CRS's regression tests): a stage whose `expect_ids`
    /// are set must be blocked, one with only `no_expect_ids` allowed
    #[arg(long, value_name = "FILE")]
    pub requests: PathBuf,
    /// IP set and regex pattern set JSON files the web ACL references by ARN
    #[arg(long = "sets", value_name = "FILE", num_args = 1..)]
    pub sets: Vec<PathBuf>,
    /// A MaxMind-format country database (e.g. GeoLite2-Country.mmdb) for GeoMatch statements
    #[arg(long, value_name = "FILE")]
    pub geo_database: Option<PathBuf>,
    /// A MaxMind-format ASN database (e.g. GeoLite2-ASN.mmdb) for AsnMatch statements
    #[arg(long, value_name = "FILE")]
    pub asn_database: Option<PathBuf>,
    /// Rule group documents (`aws wafv2 get-rule-group` output or CloudFormation) the web ACL references by ARN
    #[arg(long = "rule-groups", value_name = "FILE", num_args = 1..)]
    pub rule_groups: Vec<PathBuf>,
    /// Refuse what would be a warning: unknown fields, and managed groups that need AWS's own data
    #[arg(long)]
    pub strict: bool,
    /// Write each verdict as an AWS WAF log record (one JSON object per line) to FILE
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct GatewayArgs {
    /// The gateway configuration (YAML; `${VAR:-default}` is read from the environment)
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// Check the configuration, report every problem, and exit (0 valid, 2 not)
    #[arg(long)]
    pub check: bool,
    /// Reload only on SIGHUP, not when the configuration or its files change
    #[arg(long)]
    pub no_watch: bool,
    /// Worker threads, each serving its own connections [default: one per core]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub workers: Option<u16>,
}

#[derive(Args, Debug)]
pub struct ValidateArgs {
    /// The model: a JSON Schema file (draft 4 unless its `$schema` says otherwise)
    #[arg(long, value_name = "FILE")]
    pub schema: PathBuf,
    /// The draft of a model whose `$schema` names none: 4 (API Gateway's), 6, 7, 2019-09, 2020-12
    #[arg(long, value_name = "DRAFT", value_parser = parse_draft)]
    pub draft: Option<palisade_validate::Draft>,
    /// A member name repeated in one object: reject (a violation), or last (check the last value,
    /// as API Gateway does; a reader that keeps the first then sees a value nobody checked)
    #[arg(long, value_enum, default_value = "reject", value_name = "POLICY")]
    pub duplicate_keys: DuplicateKeysArg,
    /// JSON files to validate ("-" reads standard input)
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DuplicateKeysArg {
    Reject,
    Last,
}

fn parse_draft(text: &str) -> Result<palisade_validate::Draft, String> {
    palisade_validate::Draft::parse(text)
        .ok_or_else(|| format!("unknown draft {text:?}: use 4, 6, 7, 2019-09 or 2020-12"))
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScanFormat {
    Table,
    Json,
    Sarif,
    Cyclonedx,
    Markdown,
    Html,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailOn {
    None,
    Low,
    Medium,
    High,
    Critical,
}

#[derive(Args, Debug)]
pub struct ScanArgs {
    /// Lockfiles, manifests, directories, function packages (.zip) or images [default: .]
    pub paths: Vec<PathBuf>,
    #[arg(long, short, value_enum, default_value_t = ScanFormat::Table)]
    pub format: ScanFormat,
    /// Write the report to FILE instead of standard output
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit with 1 when a finding is at or above this severity [default: the policy's, else low]
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<FailOn>,
    /// Never download: use the database as it is, and say how old it is
    #[arg(long)]
    pub offline: bool,
    /// The policy file [default: palisade.toml in the scanned directory]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Report only findings not present at git ref REF (lockfiles read from git, no checkout)
    #[arg(long, value_name = "REF")]
    pub diff: Option<String>,
    /// Base URL of the OSV archive mirror, for the first download
    #[arg(long, env = "PALISADE_MIRROR", value_name = "URL")]
    pub mirror: Option<String>,
}

#[derive(Args, Debug)]
pub struct FixArgs {
    /// The project directory [default: .]
    pub path: Option<PathBuf>,
    /// Print the changes as a diff instead of writing them
    #[arg(long)]
    pub dry_run: bool,
    /// The policy file [default: palisade.toml in the project]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum HookCommand {
    /// Write .git/hooks/pre-push (set PALISADE_HOOK=warn to only warn, =off to skip)
    Install {
        /// The repository [default: the one containing the current directory]
        #[arg(long, value_name = "DIR")]
        repo: Option<PathBuf>,
    },
    /// Remove the pre-push hook, if palisade wrote it
    Uninstall {
        #[arg(long, value_name = "DIR")]
        repo: Option<PathBuf>,
    },
    /// What the hook runs: checks the refs git is pushing (read from stdin)
    #[command(hide = true)]
    Run {
        /// The remote's name, as git passes it
        remote: Option<String>,
        /// The remote's URL, as git passes it
        url: Option<String>,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SbomFormat {
    Cyclonedx,
    Spdx,
}

#[derive(Args, Debug)]
pub struct SbomArgs {
    /// Lockfiles, manifests or directories [default: .]
    pub paths: Vec<PathBuf>,
    /// An unpacked root filesystem to inventory (installed OS and language packages)
    #[arg(long, value_name = "DIR")]
    pub rootfs: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = SbomFormat::Cyclonedx)]
    pub format: SbomFormat,
    /// Write to FILE instead of standard output
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum GraphFormat {
    Tree,
    Dot,
    Json,
}

#[derive(Args, Debug)]
pub struct GraphArgs {
    /// A lockfile, manifest or directory [default: .]
    pub path: Option<PathBuf>,
    /// Print every shortest path from a project to this package
    #[arg(long, value_name = "PACKAGE")]
    pub why: Option<String>,
    #[arg(long, value_enum, default_value_t = GraphFormat::Tree)]
    pub format: GraphFormat,
}

#[derive(Subcommand, Debug)]
pub enum DbCommand {
    /// Download ecosystems' OSV archives and bring the database up to date
    Update(UpdateArgs),
    /// Import OSV (JSON/YAML) and RustSec advisory files, directories and zips
    Import(ImportArgs),
    /// Counts by ecosystem, source and kind; update history; file size
    Stats,
    /// One advisory, by id or alias
    Show {
        /// An advisory id (RUSTSEC-2021-0003) or alias (CVE-2021-25900)
        id: String,
    },
    /// The advisories affecting one version of a package
    Query {
        /// OSV ecosystem name or a common alias (npm, PyPI, crates.io, Go, Maven, Debian:12, ...)
        ecosystem: String,
        /// Package name (Maven: group:artifact)
        name: String,
        /// The package version
        #[arg(value_name = "VERSION")]
        package_version: String,
    },
    /// Full-text search over ids, aliases, summaries and details
    Search {
        /// Words that must all appear; end a word with * to match a prefix
        #[arg(required = true)]
        query: Vec<String>,
        /// Most results shown
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
}

#[derive(Args, Debug)]
pub struct UpdateArgs {
    /// Ecosystems to update [default: the ones updated before, plus npm, PyPI,
    /// crates.io, Go, Maven, RubyGems, NuGet, Packagist, Hex and Pub]
    #[arg(long = "ecosystem", short = 'e', value_name = "NAME")]
    pub ecosystems: Vec<String>,
    /// Base URL of the OSV archive mirror
    #[arg(long, env = "PALISADE_MIRROR", value_name = "URL")]
    pub mirror: Option<String>,
    /// Retries of a failed download
    #[arg(long, default_value_t = 4)]
    pub retries: u32,
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// Files (.json, .yaml, RustSec .md), directories or .zip archives
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Skip records that do not parse (each is reported) instead of importing nothing
    #[arg(long)]
    pub skip_invalid: bool,
}

#[derive(Subcommand, Debug)]
pub enum VersionCommand {
    /// Compare two versions: prints "A < B", "A = B" or "A > B"
    Compare {
        /// OSV ecosystem name or a common alias
        ecosystem: String,
        a: String,
        b: String,
    },
}
