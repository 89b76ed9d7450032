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
}

#[derive(Subcommand, Debug)]
pub enum WafCommand {
    /// Replay recorded requests through a web ACL and print each one's action, terminating rule and labels (exit 1 when a case's expectation differs)
    Test(WafTestArgs),
}

#[derive(Args, Debug)]
pub struct WafTestArgs {
    /// The web ACL: an AWS WAF web ACL JSON document, as exported
    #[arg(long, value_name = "FILE")]
    pub web_acl: PathBuf,
    /// The cases: YAML (or JSON) with `cases:`, each a request and, optionally, `expect: ALLOW|BLOCK` and `expect_rule`
    #[arg(long, value_name = "FILE")]
    pub requests: PathBuf,
    /// IP set and regex pattern set JSON files the web ACL references by ARN
    #[arg(long = "sets", value_name = "FILE", num_args = 1..)]
    pub sets: Vec<PathBuf>,
    /// A MaxMind-format country database (e.g. GeoLite2-Country.mmdb) for GeoMatch statements
    #[arg(long, value_name = "FILE")]
    pub geo_database: Option<PathBuf>,
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
    /// JSON files to validate ("-" reads standard input)
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
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
