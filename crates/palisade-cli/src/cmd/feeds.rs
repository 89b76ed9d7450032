//! `palisade feeds ...`

use std::path::Path;
use std::process::ExitCode;

use palisade_vulndb::{BulletinQuery, FeedKind, Fetcher, Rating, Store, sync_source};
use serde_json::json;

use crate::cli::{FeedSearchArgs, FeedsCommand, Global, SourceCommand};
use crate::output::{Out, files, skipped_json, tally, thousands};
use crate::paths::default_db;
use crate::{CmdResult, Failure};
use palisade_scan::report::{terminal_safe, visible};

pub fn run(global: &Global, out: &Out, command: &FeedsCommand) -> CmdResult {
    let db = global.db.clone().unwrap_or_else(default_db);
    match command {
        FeedsCommand::Import {
            paths,
            skip_invalid,
        } => import(out, &db, paths, *skip_invalid),
        FeedsCommand::Search(args) => search(out, &db, args),
        FeedsCommand::Show { id } => show(out, &db, id),
        FeedsCommand::Sync { sources } => sync(out, &db, sources),
        FeedsCommand::Source(command) => source(out, &db, command),
    }
}

fn open_existing(db: &Path) -> Result<Store, Failure> {
    if !db.exists() {
        return Err(
            Failure::new(format!("no database at {}", db.display())).hint(
                "load bulletins with `palisade feeds import PATH` or `palisade feeds sync` after `palisade feeds source add`",
            ),
        );
    }
    Ok(Store::open(db)?)
}

fn import(out: &Out, db: &Path, paths: &[std::path::PathBuf], skip_invalid: bool) -> CmdResult {
    let mut store = Store::open(db)?;
    let bar = out.progress(None, "{spinner} importing {pos} records");
    let report = store.import_feeds(paths, skip_invalid, &mut |n| bar.set_position(n as u64));
    bar.finish_and_clear();
    let report = report?;
    out.skipped(&report.skipped);
    if out.json {
        let mut value = serde_json::to_value(&report).unwrap_or_default();
        value["database"] = json!(db.display().to_string());
        value["seconds"] = json!(report.elapsed.as_secs_f64());
        value["skipped"] = skipped_json(&report.skipped);
        out.json(&value);
    } else if !out.quiet {
        let mut parts = Vec::new();
        for (n, what) in [
            (report.cve5, "CVE records"),
            (report.nvd, "NVD items"),
            (report.feed_items, "feed entries"),
            (report.kev, "KEV entries"),
            (report.epss, "EPSS scores"),
        ] {
            if n > 0 {
                parts.push(format!("{} {what}", thousands(n as u64)));
            }
        }
        if parts.is_empty() {
            parts.push("nothing".to_string());
        }
        out.line(&format!(
            "Imported {} from {} in {:.2} s; bulletins: {}",
            parts.join(", "),
            files(report.inputs),
            report.elapsed.as_secs_f64(),
            tally(
                report.added,
                report.updated,
                report.unchanged,
                report.skipped.len()
            )
        ));
    }
    Ok(ExitCode::SUCCESS)
}

fn search(out: &Out, db: &Path, args: &FeedSearchArgs) -> CmdResult {
    let store = open_existing(db)?;
    let text = args.query.join(" ");
    let query = BulletinQuery {
        text: (!text.trim().is_empty()).then_some(text),
        vendor: args.product.vendor.clone(),
        product: args.product.product.clone(),
        version: args.product.version.clone(),
        cpe: args.cpe.clone(),
        cwe: args.cwe.clone(),
        severities: args.severity.clone(),
        min_cvss: args.min_cvss,
        kev: args.kev,
        epss_above: args.epss_above,
        since: args.since.clone(),
        source: args.source.clone(),
        limit: args.limit,
    };
    let found = store.search_bulletins(&query).map_err(|e| match e {
        // A filter that cannot work: say which, without the import hints.
        palisade_vulndb::Error::Invalid { .. } => {
            Failure::new(e.to_string()).hint("`palisade feeds search --help` lists the filters")
        }
        e => e.into(),
    })?;
    if out.json {
        out.json(&json!({"total": found.total, "results": found.hits}));
        return Ok(ExitCode::SUCCESS);
    }
    if found.hits.is_empty() {
        out.note("no bulletins match");
        return Ok(ExitCode::SUCCESS);
    }
    for hit in &found.hits {
        let severity = match (&hit.severity, hit.score) {
            (Some(s), Some(score)) => format!(
                "{} {score:.1}",
                Rating::from_label(s).map_or_else(|| visible(s).into_owned(), |r| out.rating(r))
            ),
            _ => out.dim("-"),
        };
        let mut flags = Vec::new();
        if hit.kev {
            flags.push(out.paint("1;31", "KEV"));
        }
        if let Some(epss) = hit.epss {
            flags.push(format!("EPSS {:.1}%", epss * 100.0));
        }
        let date = hit
            .published
            .as_deref()
            .or(hit.modified.as_deref())
            .map_or("", |d| d.get(..10).unwrap_or(d));
        out.line(&format!(
            "{}  {}  {}  {}",
            out.bold(&visible(&hit.id)),
            severity,
            visible(date),
            flags.join(" ")
        ));
        let text = hit
            .title
            .as_deref()
            .or(hit.summary.as_deref())
            .unwrap_or("");
        let short: String = text.chars().take(160).collect();
        out.line(&format!(
            "    {}{}",
            visible(&short),
            if text.chars().count() > 160 {
                "…"
            } else {
                ""
            }
        ));
    }
    if found.total > found.hits.len() {
        out.note(&format!(
            "{} of {} shown; --limit N (0: all) shows more",
            found.hits.len(),
            found.total
        ));
    }
    Ok(ExitCode::SUCCESS)
}

fn show(out: &Out, db: &Path, id: &str) -> CmdResult {
    let store = open_existing(db)?;
    let Some(view) = store.bulletin(id)? else {
        return Err(Failure::new(format!("no bulletin with id {id:?}"))
            .hint("`palisade feeds search WORDS` finds bulletins by text"));
    };
    if out.json {
        out.json(&view);
        return Ok(ExitCode::SUCCESS);
    }
    let b = &view.bulletin;
    let severity = match (&view.severity, view.score) {
        (Some(s), Some(score)) => format!(
            "{} {score:.1}",
            Rating::from_label(s).map_or_else(|| visible(s).into_owned(), |r| out.rating(r))
        ),
        _ => out.dim("severity unknown"),
    };
    out.line(&format!(
        "{}  {}  {}",
        out.bold(&visible(&b.id)),
        severity,
        visible(&view.sources.join(", "))
    ));
    if let Some(title) = &b.title {
        out.line(&visible(title));
    }
    if let Some(summary) = &b.summary {
        // Its own lines stay; nothing else that steers a terminal does.
        out.line(&terminal_safe(summary, false));
    }
    out.line(&format!(
        "{} {}  {} {}",
        out.dim("published:"),
        b.published.as_deref().unwrap_or("-"),
        out.dim("modified:"),
        b.modified.as_deref().unwrap_or("-")
    ));
    if b.state.as_deref() == Some("REJECTED") {
        out.line(&out.paint("33", "rejected by its CNA"));
    }
    match &view.kev {
        Some(k) => out.line(&format!(
            "{} added {}{}{}",
            out.paint("1;31", "known exploited (CISA KEV):"),
            k.date_added,
            k.due_date
                .as_deref()
                .map(|d| format!(", due {d}"))
                .unwrap_or_default(),
            k.ransomware
                .as_deref()
                .filter(|r| *r == "Known")
                .map(|_| ", used in ransomware")
                .unwrap_or_default()
        )),
        None => out.line(&format!("{} no", out.dim("known exploited (CISA KEV):"))),
    }
    if let Some(e) = &view.epss {
        out.line(&format!(
            "{} {:.2}% (percentile {:.1})",
            out.dim("EPSS:"),
            e.score * 100.0,
            e.percentile * 100.0
        ));
    }
    for c in &b.cvss {
        out.line(&format!(
            "{} {} {:.1} {} ({})",
            out.dim("CVSS"),
            c.version,
            c.score,
            c.vector.as_deref().unwrap_or(""),
            c.provider
        ));
    }
    if !b.cwes.is_empty() {
        out.line(&format!("{} {}", out.dim("weaknesses:"), b.cwes.join(", ")));
    }
    for a in &b.affected {
        let versions: Vec<String> = a
            .versions
            .iter()
            .map(|v| {
                let end = match (&v.less_than, &v.less_than_or_equal) {
                    (Some(lt), _) => format!(" < {lt}"),
                    (None, Some(le)) => format!(" <= {le}"),
                    _ => String::new(),
                };
                format!("{} {}{end}", v.status, v.version)
            })
            .collect();
        out.line(&format!(
            "{} {} {}: {}",
            out.dim("affects"),
            a.vendor.as_deref().unwrap_or("?"),
            a.product.as_deref().unwrap_or("?"),
            versions.join("; ")
        ));
    }
    for m in b.configurations.iter().filter(|m| m.vulnerable) {
        let bounds: Vec<String> = [
            (">=", &m.version_start_including),
            (">", &m.version_start_excluding),
            ("<=", &m.version_end_including),
            ("<", &m.version_end_excluding),
        ]
        .iter()
        .filter_map(|(op, v)| v.as_ref().map(|v| format!("{op} {v}")))
        .collect();
        out.line(&format!(
            "{} {} {}",
            out.dim("cpe"),
            m.criteria,
            bounds.join(", ")
        ));
    }
    if !view.advisories.is_empty() {
        out.line(&format!(
            "{} {}",
            out.dim("advisories:"),
            view.advisories.join(", ")
        ));
    }
    for r in b.references.iter().take(10) {
        out.line(&format!("{} {r}", out.dim("ref")));
    }
    Ok(ExitCode::SUCCESS)
}

fn source(out: &Out, db: &Path, command: &SourceCommand) -> CmdResult {
    match command {
        SourceCommand::Add {
            name,
            kind,
            url,
            interval,
        } => {
            let kind = FeedKind::parse(kind)
                .ok_or_else(|| Failure::new(format!("unknown kind {kind:?}")))?;
            let url = match url.as_deref().or(kind.default_url()) {
                Some(u) => u.to_string(),
                None => {
                    return Err(Failure::new(format!(
                        "a source of kind {} needs --url",
                        kind.as_str()
                    ))
                    .hint("only nvd, kev and epss know their public URL"));
                }
            };
            let mut store = Store::open(db)?;
            store.add_source(name, kind, &url, *interval)?;
            if !out.quiet && !out.json {
                out.line(&format!(
                    "source {name}: {} {url}, every {}",
                    kind.as_str(),
                    human_interval(interval.as_secs())
                ));
            }
            Ok(ExitCode::SUCCESS)
        }
        SourceCommand::Remove { name } => {
            let mut store = open_existing(db)?;
            if !store.remove_source(name)? {
                return Err(Failure::new(format!("no source named {name:?}"))
                    .hint("`palisade feeds source list` shows them"));
            }
            Ok(ExitCode::SUCCESS)
        }
        SourceCommand::List => {
            let store = Store::open(db)?;
            let sources = store.sources()?;
            if out.json {
                out.json(&sources);
                return Ok(ExitCode::SUCCESS);
            }
            if sources.is_empty() {
                out.note("no sources; add one with `palisade feeds source add NAME --kind KIND [--url URL]`");
            }
            for s in &sources {
                out.line(&format!(
                    "{}  {}  every {}  {}",
                    out.bold(&s.name),
                    s.kind.as_str(),
                    human_interval(s.interval_secs),
                    s.url
                ));
                out.line(&format!(
                    "    last success {}, {} records{}",
                    s.last_success.as_deref().unwrap_or("never"),
                    thousands(s.items),
                    s.last_error
                        .as_deref()
                        .map(|e| format!("; last error: {e}"))
                        .unwrap_or_default()
                ));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn human_interval(secs: u64) -> String {
    match secs {
        s if s % 86400 == 0 => format!("{}d", s / 86400),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

fn sync(out: &Out, db: &Path, names: &[String]) -> CmdResult {
    let mut store = Store::open(db)?;
    let all = store.sources()?;
    if all.is_empty() {
        return Err(Failure::new("no feed sources configured").hint(
            "add some: `palisade feeds source add kev --kind kev`, `palisade feeds source add nvd --kind nvd`, \
             `palisade feeds source add aws --kind rss --url https://aws.amazon.com/security/security-bulletins/rss/feed/`",
        ));
    }
    for name in names {
        if !all.iter().any(|s| &s.name == name) {
            return Err(Failure::new(format!("no source named {name:?}"))
                .hint("`palisade feeds source list` shows them"));
        }
    }
    let fetcher = fetcher()?;
    let mut reports = Vec::new();
    for source in all
        .iter()
        .filter(|s| names.is_empty() || names.contains(&s.name))
    {
        let bar = out.progress(None, &format!("{{spinner}} {} {{elapsed}}", source.name));
        let report = sync_source(&mut store, &fetcher, source)?;
        bar.finish_and_clear();
        if !out.json && !out.quiet {
            let line = match report.status.as_str() {
                "not-modified" => format!("{}: not modified", report.source),
                "failed" => format!(
                    "{}: {} {}",
                    report.source,
                    out.paint("31", "failed:"),
                    report.error.as_deref().unwrap_or("")
                ),
                _ => format!(
                    "{}: {} records, {} new, {} updated{}",
                    report.source,
                    thousands(report.records as u64),
                    thousands(report.added as u64),
                    thousands(report.updated as u64),
                    if report.kev_added > 0 {
                        format!(", {} added to KEV", report.kev_added)
                    } else {
                        String::new()
                    }
                ),
            };
            out.line(&line);
        }
        reports.push(report);
    }
    if out.json {
        out.json(&reports);
    }
    Ok(if reports.iter().any(|r| r.status == "failed") {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// The feed downloader, with NVD's pause overridable for mirrors and tests
/// (`PALISADE_NVD_DELAY_MS`).
pub fn fetcher() -> Result<Fetcher, Failure> {
    let mut fetcher = Fetcher::new()?;
    if let Some(ms) = std::env::var("PALISADE_NVD_DELAY_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        fetcher.nvd_delay = std::time::Duration::from_millis(ms);
    }
    Ok(fetcher)
}
