//! `palisade scan`

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use palisade_inventory::Inventory;
use palisade_inventory::sbom::DocumentInfo;
use palisade_scan::git::Repo;
use palisade_scan::{Policy, Report, ScanOptions, Threshold, report};
use palisade_vulndb::{DEFAULT_MIRROR, Mirror, Store, canonical_ecosystem};

use crate::cli::{FailOn, Global, ScanArgs, ScanFormat};
use crate::cmd::db::update_ecosystems;
use crate::output::{Out, thousands};
use crate::paths::default_db;
use crate::{CmdResult, Failure};

impl From<palisade_scan::Error> for Failure {
    fn from(e: palisade_scan::Error) -> Failure {
        match e {
            palisade_scan::Error::Database(e) => Failure::from(e),
            palisade_scan::Error::Inventory(e) => Failure::from(e),
            palisade_scan::Error::Config { .. } => {
                Failure::new(e.to_string()).hint("see docs/scan.md for the palisade.toml keys")
            }
            palisade_scan::Error::Git { .. } => Failure::new(e.to_string())
                .hint("--diff needs a git repository and a ref it knows (a branch, tag or commit)"),
            other => Failure::new(other.to_string()),
        }
    }
}

pub(crate) fn threshold(f: FailOn) -> Threshold {
    match f {
        FailOn::None => Threshold::None,
        FailOn::Low => Threshold::Low,
        FailOn::Medium => Threshold::Medium,
        FailOn::High => Threshold::High,
        FailOn::Critical => Threshold::Critical,
    }
}

/// The policy: `--config`, else `palisade.toml` in the first scanned
/// directory (or a scanned file's directory).
pub(crate) fn policy_for(config: Option<&PathBuf>, paths: &[PathBuf]) -> Result<Policy, Failure> {
    if let Some(file) = config {
        return Ok(Policy::load(file)?);
    }
    let first = paths.first().map_or(Path::new("."), PathBuf::as_path);
    let dir = if first.is_dir() {
        first.to_path_buf()
    } else {
        first
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
    };
    Ok(Policy::discover(&dir)?)
}

pub(crate) fn inventory_of(paths: &[PathBuf]) -> Result<Inventory, Failure> {
    Ok(palisade_inventory::inventory(paths)?)
}

/// How long ago an RFC 3339 time was, for people.
fn age(updated: &str) -> String {
    let Ok(t) = chrono::DateTime::parse_from_rfc3339(updated) else {
        return format!("at {updated}");
    };
    let minutes = (chrono::Utc::now() - t.with_timezone(&chrono::Utc))
        .num_minutes()
        .max(0);
    match minutes {
        0..=1 => "just now".into(),
        2..=119 => format!("{minutes} minutes ago"),
        120..=2879 => format!("{} hours ago", minutes / 60),
        _ => format!("{} days ago", minutes / 1440),
    }
}

/// Opens the database, downloading the ecosystems the inventory needs
/// first when there is none (unless offline).
pub(crate) fn open_db(
    out: &Out,
    db: &Path,
    inventory: &Inventory,
    offline: bool,
    mirror: Option<&str>,
) -> Result<Store, Failure> {
    let exists = db.exists();
    let mut store = if exists || !offline {
        Store::open(db)?
    } else {
        return Err(Failure::new(format!("no advisory database at {}", db.display())).hint(
            "run without --offline to download one, or `palisade db update` / `palisade db import PATH`",
        ));
    };
    let (advisories, updated) = store.freshness()?;
    if advisories > 0 || offline {
        let when = updated.as_deref().map_or("never updated".to_string(), |u| {
            format!("updated {}", age(u))
        });
        let message = format!(
            "using {} advisories from {} ({when})",
            thousands(advisories),
            db.display()
        );
        if offline {
            out.note(&out.dim(&message));
        } else {
            out.verbose(&message);
        }
        return Ok(store);
    }
    let mut ecosystems: Vec<String> = inventory
        .packages
        .iter()
        .map(|p| canonical_ecosystem(&p.ecosystem))
        .map(|e| e.split(':').next().unwrap_or(&e).to_string())
        .collect();
    ecosystems.sort();
    ecosystems.dedup();
    if ecosystems.is_empty() {
        return Ok(store);
    }
    out.note(&format!(
        "no advisory database yet at {}: downloading {} first",
        db.display(),
        ecosystems.join(", ")
    ));
    let base = mirror.unwrap_or(DEFAULT_MIRROR);
    let mirror = Mirror::new(base)?;
    let (_, failures) = update_ecosystems(out, &mut store, &mirror, &ecosystems, &|line| {
        out.note(line);
    });
    if !failures.is_empty() {
        return Err(Failure::new(format!(
            "could not download advisories for {}",
            failures
                .iter()
                .map(|(e, m)| format!("{e} ({m})"))
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .hint(
            "check the network or --mirror; `palisade db import PATH` loads advisories from files",
        ));
    }
    Ok(store)
}

pub(crate) fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

fn render(
    report: &Report,
    format: ScanFormat,
    inventory: &Inventory,
    paths: &[PathBuf],
    color: bool,
) -> String {
    match format {
        ScanFormat::Table => report::table(report, color),
        ScanFormat::Json => report::json(report),
        ScanFormat::Markdown => report::markdown(report),
        ScanFormat::Html => report::html(report),
        ScanFormat::Sarif => {
            let base = paths
                .first()
                .filter(|p| p.is_dir())
                .cloned()
                .unwrap_or_else(|| PathBuf::from("."));
            report::sarif(report, &base)
        }
        ScanFormat::Cyclonedx => {
            let name = paths
                .first()
                .and_then(|p| std::fs::canonicalize(p).ok())
                .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                .unwrap_or_else(|| ".".into());
            let info = DocumentInfo {
                name,
                created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                uuid: crate::cmd::inventory::uuid4(),
                tool_version: env!("CARGO_PKG_VERSION").to_string(),
            };
            report::cyclonedx(report, inventory, &info)
        }
    }
}

pub fn run(global: &Global, out: &Out, args: &ScanArgs) -> CmdResult {
    let mut paths = args.paths.clone();
    if paths.is_empty() {
        paths.push(PathBuf::from("."));
    }
    let policy = policy_for(args.config.as_ref(), &paths)?;
    let started = Instant::now();
    let inventory = inventory_of(&paths)?;
    out.verbose(&format!(
        "inventory: {} package(s) in {} ms",
        thousands(inventory.packages.len() as u64),
        started.elapsed().as_millis()
    ));
    let db = global.db.clone().unwrap_or_else(default_db);
    let store = open_db(out, &db, &inventory, args.offline, args.mirror.as_deref())?;
    let options = ScanOptions {
        policy: &policy,
        today: today(),
        fail_on: args.fail_on.map(threshold),
    };
    let started = Instant::now();
    let mut report = palisade_scan::scan(&store, &inventory, &options)?;
    out.verbose(&format!(
        "matching: {} finding(s) in {} ms",
        thousands(report.findings.len() as u64),
        started.elapsed().as_millis()
    ));
    if let Some(rev) = &args.diff {
        let repo = Repo::discover(&paths[0])?;
        let before = repo.inventory_at(rev, &paths)?;
        let base = palisade_scan::scan(&store, &before, &options)?;
        report.subtract(&base);
    }
    for w in &report.warnings {
        out.note(&format!("{} {w}", out.paint("33", "warning:")));
    }
    let to_terminal = args.output.is_none();
    let started = Instant::now();
    let text = render(
        &report,
        args.format,
        &inventory,
        &paths,
        to_terminal && out.color,
    );
    out.verbose(&format!(
        "report: {} byte(s) in {} ms",
        thousands(text.len() as u64),
        started.elapsed().as_millis()
    ));
    // JSON documents keep their data; their C1 and bidirectional
    // characters are written as `\u` escapes, in a file as on a terminal.
    let is_json = matches!(
        args.format,
        ScanFormat::Json | ScanFormat::Sarif | ScanFormat::Cyclonedx
    );
    let text = if is_json {
        report::json_safe(&text).into_owned()
    } else {
        text
    };
    match &args.output {
        Some(file) => {
            let mut f = std::fs::File::create(file)
                .map_err(|e| Failure::new(format!("{}: {e}", file.display())))?;
            f.write_all(text.as_bytes())
                .map_err(|e| Failure::new(format!("{}: {e}", file.display())))?;
            out.note(&format!(
                "wrote the report to {}: {} finding(s), {} failing the policy",
                file.display(),
                report.summary.findings,
                report.summary.failing
            ));
        }
        None if is_json => out.json_text(text.trim_end_matches('\n')),
        None => out.line(text.trim_end_matches('\n')),
    }
    Ok(if report.fails() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
