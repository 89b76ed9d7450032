//! `palisade db ...`

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use palisade_vulndb::{
    DEFAULT_ECOSYSTEMS, DEFAULT_MIRROR, EcosystemUpdate, ImportOptions, ImportProgress, Mirror,
    Store, UpdateEvent, UpdateOutcome, canonical_ecosystem,
};
use serde_json::json;

use crate::cli::{DbCommand, Global, ImportArgs, UpdateArgs};
use crate::output::{Out, bytes, files, skipped_json, tally, thousands};
use crate::paths::default_db;
use crate::{CmdResult, Failure};
use palisade_scan::report::{terminal_safe, visible};

pub fn run(global: &Global, out: &Out, command: &DbCommand) -> CmdResult {
    let db = global.db.clone().unwrap_or_else(default_db);
    match command {
        DbCommand::Update(args) => update(out, &db, args),
        DbCommand::Import(args) => import(out, &db, args),
        DbCommand::Stats => stats(out, &db),
        DbCommand::Show { id } => show(out, &db, id),
        DbCommand::Query {
            ecosystem,
            name,
            package_version,
        } => query(out, &db, ecosystem, name, package_version),
        DbCommand::Search { query, limit } => search(out, &db, &query.join(" "), *limit),
    }
}

/// Opens an existing database for reading; a missing one is an error with a hint.
fn open_existing(db: &Path) -> Result<Store, Failure> {
    if !db.exists() {
        return Err(Failure::new(format!("no advisory database at {}", db.display())).hint(
            "run `palisade db update` to download advisories, or `palisade db import PATH` to load files",
        ));
    }
    Ok(Store::open(db)?)
}

fn import(out: &Out, db: &Path, args: &ImportArgs) -> CmdResult {
    let mut store = Store::open(db)?;
    let bar = out.progress(None, "{spinner} importing {pos} records {wide_msg}");
    let mut last_reported = 0;
    let report = store.import(
        &args.paths,
        &ImportOptions {
            skip_invalid: args.skip_invalid,
        },
        &mut |p: &ImportProgress<'_>| {
            bar.set_position(p.records as u64);
            if p.records >= last_reported + 500 {
                last_reported = p.records;
                bar.set_message(p.origin.to_string());
                out.verbose(&format!("imported {} records ({})", p.records, p.origin));
            }
        },
    );
    bar.finish_and_clear();
    let report = report?;
    out.skipped(&report.skipped);
    if out.json {
        out.json(&json!({
            "database": db.display().to_string(),
            "inputs": report.inputs,
            "records": report.records,
            "added": report.added,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "skipped": skipped_json(&report.skipped),
            "seconds": report.elapsed.as_secs_f64(),
        }));
    } else if !out.quiet {
        let rate = report.records as f64 / report.elapsed.as_secs_f64().max(1e-9);
        out.line(&format!(
            "Imported {} records from {} in {:.2} s ({} records/s): {}",
            thousands(report.records as u64),
            files(report.inputs),
            report.elapsed.as_secs_f64(),
            thousands(rate as u64),
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

fn update(out: &Out, db: &Path, args: &UpdateArgs) -> CmdResult {
    let mut store = Store::open(db)?;
    let base = args
        .mirror
        .clone()
        .unwrap_or_else(|| DEFAULT_MIRROR.to_string());
    let mut mirror = Mirror::new(&base)?;
    mirror.retries = args.retries;
    let mut ecosystems: Vec<String> = if args.ecosystems.is_empty() {
        let mut list: Vec<String> = DEFAULT_ECOSYSTEMS.iter().map(|e| e.to_string()).collect();
        list.extend(store.mirrored_ecosystems()?);
        list
    } else {
        args.ecosystems
            .iter()
            .map(|e| canonical_ecosystem(e))
            .collect()
    };
    let mut seen = std::collections::HashSet::new();
    ecosystems.retain(|e| seen.insert(e.clone()));

    let started = Instant::now();
    let (results, failures) = update_ecosystems(out, &mut store, &mirror, &ecosystems, &|line| {
        if !out.json && !out.quiet {
            out.line(line)
        }
    });
    if out.json {
        out.json(&json!({
            "database": db.display().to_string(),
            "mirror": base,
            "seconds": started.elapsed().as_secs_f64(),
            "ecosystems": results.iter().map(|u| match &u.outcome {
                UpdateOutcome::NotModified => json!({"ecosystem": u.ecosystem, "url": u.url, "status": "not-modified"}),
                UpdateOutcome::Updated { bytes, report } => json!({
                    "ecosystem": u.ecosystem, "url": u.url, "status": "updated", "bytes": bytes,
                    "records": report.records, "added": report.added, "updated": report.updated,
                    "unchanged": report.unchanged, "removed": report.removed,
                }),
            }).collect::<Vec<_>>(),
            "errors": failures.iter().map(|(e, m)| json!({"ecosystem": e, "error": m})).collect::<Vec<_>>(),
        }));
    }
    if failures.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        Err(Failure::new(format!(
            "{} of {} ecosystems could not be updated ({}); the others are up to date",
            failures.len(),
            ecosystems.len(),
            failures
                .iter()
                .map(|(e, _)| e.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .hint("their previous data is unchanged; run the update again, or check --mirror"))
    }
}

/// Updates each ecosystem from the mirror, with a progress bar per ecosystem;
/// `say` receives one line per ecosystem done. Failures are collected, not
/// fatal: the other ecosystems still update.
pub fn update_ecosystems(
    out: &Out,
    store: &mut Store,
    mirror: &Mirror,
    ecosystems: &[String],
    say: &dyn Fn(&str),
) -> (Vec<EcosystemUpdate>, Vec<(String, String)>) {
    let mut results = Vec::new();
    let mut failures = Vec::new();
    for ecosystem in ecosystems {
        let bar = out.progress(
            None,
            "{spinner} {prefix:<10} {msg} {bytes}/{total_bytes} {bytes_per_sec}",
        );
        bar.set_prefix(ecosystem.clone());
        let result = mirror.update(store, ecosystem, &mut |event| match event {
            UpdateEvent::Request { url, .. } => {
                bar.set_message("checking");
                out.verbose(&format!("GET {url}"));
            }
            UpdateEvent::Retry {
                attempt,
                wait,
                reason,
                ..
            } => {
                out.verbose(&format!(
                    "{ecosystem}: {reason}; retry {attempt} in {:.1} s",
                    wait.as_secs_f64()
                ));
            }
            UpdateEvent::Download {
                received, total, ..
            } => {
                if let Some(total) = total {
                    bar.set_length(total);
                }
                bar.set_message("downloading");
                bar.set_position(received);
            }
            UpdateEvent::Import { records, .. } => {
                bar.set_message(format!("importing {records} records"));
            }
        });
        bar.finish_and_clear();
        match result {
            Ok(update) => {
                {
                    let text = match &update.outcome {
                        UpdateOutcome::NotModified => out.dim("not modified"),
                        UpdateOutcome::Updated {
                            bytes: size,
                            report,
                        } => format!(
                            "{} records ({} new, {} updated, {} removed) from {}",
                            thousands(report.records as u64),
                            thousands(report.added as u64),
                            thousands(report.updated as u64),
                            thousands(report.removed as u64),
                            bytes(*size)
                        ),
                    };
                    say(&format!("{:<12} {text}", ecosystem));
                }
                results.push(update);
            }
            Err(e) => {
                let failure = Failure::from(e);
                out.note(&format!(
                    "{} {}: {}",
                    out.paint("1;31", "error:"),
                    ecosystem,
                    failure.message
                ));
                failures.push((ecosystem.clone(), failure.message));
            }
        }
    }
    (results, failures)
}

fn stats(out: &Out, db: &Path) -> CmdResult {
    let store = open_existing(db)?;
    let stats = store.stats()?;
    if out.json {
        out.json(&stats);
        return Ok(ExitCode::SUCCESS);
    }
    out.line(&format!("{} {}", out.bold("Database"), stats.path));
    out.line(&format!(
        "  {} advisories ({} withdrawn), {}, schema {}",
        thousands(stats.advisories),
        thousands(stats.withdrawn),
        bytes(stats.file_size),
        stats.schema_version
    ));
    out.line(&format!(
        "  last import {}, last update {}",
        stats.last_import.as_deref().unwrap_or("never"),
        stats.last_update.as_deref().unwrap_or("never")
    ));
    let section = |title: &str, map: &std::collections::BTreeMap<String, u64>| {
        out.line(&out.bold(title));
        let mut rows: Vec<_> = map.iter().collect();
        rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (name, count) in rows {
            out.line(&format!("  {name:<24} {:>9}", thousands(*count)));
        }
    };
    section("Ecosystems", &stats.ecosystems);
    section("Sources", &stats.sources);
    section("Kinds", &stats.kinds);
    if !stats.mirrors.is_empty() {
        out.line(&out.bold("Mirror updates"));
        for m in &stats.mirrors {
            out.line(&format!(
                "  {:<24} {:>9}  updated {}  checked {}",
                m.ecosystem,
                thousands(m.advisories),
                m.updated_at.as_deref().unwrap_or("never"),
                m.checked_at
            ));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn show(out: &Out, db: &Path, id: &str) -> CmdResult {
    let store = open_existing(db)?;
    let records = store.get(id)?;
    let Some(record) = records.first() else {
        return Err(Failure::new(format!("no advisory with id or alias {id:?}"))
            .hint("`palisade db search WORDS` finds advisories by text"));
    };
    if records.len() > 1 {
        let others: Vec<&str> = records[1..].iter().map(|r| r.id.as_str()).collect();
        out.note(&format!("note: {id} also names {}", others.join(", ")));
    }
    if out.json {
        out.json(&record.osv);
        return Ok(ExitCode::SUCCESS);
    }
    let severity = record.severity.as_ref().map_or_else(
        || out.dim("severity unknown"),
        |s| match s.score {
            Some(score) => format!("{} {score:.1}", out.rating(s.rating)),
            None => out.rating(s.rating),
        },
    );
    out.line(&format!(
        "{}  {}  {}",
        out.bold(&visible(&record.id)),
        severity,
        record.kind.as_str()
    ));
    if let Some(summary) = &record.summary {
        out.line(&visible(summary));
    }
    if !record.aliases.is_empty() {
        out.line(&format!(
            "{} {}",
            out.dim("aliases:"),
            record.aliases.join(", ")
        ));
    }
    out.line(&format!(
        "{} {}  {} {}",
        out.dim("published:"),
        record.published.as_deref().unwrap_or("-"),
        out.dim("modified:"),
        record.modified
    ));
    if let Some(withdrawn) = &record.withdrawn {
        out.line(&out.paint(
            "33",
            &format!("withdrawn: {withdrawn} (left out of queries)"),
        ));
    }
    if let Some(vector) = record.severity.as_ref().and_then(|s| s.vector.as_deref()) {
        out.line(&format!("{} {vector}", out.dim("vector:")));
    }
    for affected in record.osv["affected"].as_array().into_iter().flatten() {
        let package = &affected["package"];
        let mut ranges = Vec::new();
        for range in affected["ranges"].as_array().into_iter().flatten() {
            if range["type"] == "GIT" {
                continue;
            }
            let events: Vec<String> = range["events"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|e| e.as_object())
                .flat_map(|e| {
                    e.iter()
                        .map(|(k, v)| format!("{k} {}", v.as_str().unwrap_or("")))
                })
                .collect();
            ranges.push(events.join(", "));
        }
        out.line(&format!(
            "{} {} {}: {}",
            out.dim("affects:"),
            package["ecosystem"].as_str().unwrap_or("?"),
            package["name"].as_str().unwrap_or("?"),
            if ranges.is_empty() {
                "listed versions".to_string()
            } else {
                ranges.join("; ")
            }
        ));
    }
    for reference in record.osv["references"].as_array().into_iter().flatten() {
        if let Some(url) = reference["url"].as_str() {
            out.line(&format!("{} {url}", out.dim("see:")));
        }
    }
    if let Some(details) = record.osv["details"].as_str().filter(|d| !d.is_empty()) {
        out.line("");
        out.line(&terminal_safe(details.trim(), false));
    }
    Ok(ExitCode::SUCCESS)
}

fn query(out: &Out, db: &Path, ecosystem: &str, name: &str, version: &str) -> CmdResult {
    let store = open_existing(db)?;
    let ecosystem = canonical_ecosystem(ecosystem);
    let matches = store.query(&ecosystem, name, version)?;
    if out.json {
        out.json(&json!({
            "ecosystem": ecosystem,
            "package": name,
            "version": version,
            "advisories": matches,
        }));
        return Ok(ExitCode::SUCCESS);
    }
    if matches.is_empty() {
        out.line(&format!(
            "No known advisories affect {name} {version} ({ecosystem})."
        ));
        return Ok(ExitCode::SUCCESS);
    }
    let count = if matches.len() == 1 {
        "1 advisory affects".to_string()
    } else {
        format!("{} advisories affect", matches.len())
    };
    out.line(&format!("{count} {name} {version} ({ecosystem}):"));
    for m in &matches {
        let severity = m.severity.as_ref().map_or_else(
            || out.dim("unknown"),
            |s| match s.score {
                Some(score) => format!("{} {score:.1}", out.rating(s.rating)),
                None => out.rating(s.rating),
            },
        );
        let kind = if m.kind == palisade_vulndb::Kind::Vulnerability {
            String::new()
        } else {
            format!(" [{}]", m.kind.as_str())
        };
        out.line(&format!(
            "  {}  {severity}{kind}  {}",
            out.bold(&m.id),
            m.summary.as_deref().unwrap_or("(no summary)")
        ));
        let fix = if !m.fixed.is_empty() {
            format!("fixed in {}", m.fixed.join(", "))
        } else if !m.last_affected.is_empty() {
            format!("no fix; last affected {}", m.last_affected.join(", "))
        } else {
            "no fixed version".to_string()
        };
        out.line(&format!("      {}", out.dim(&fix)));
        if !m.aliases.is_empty() {
            out.line(&format!(
                "      {}",
                out.dim(&format!("aliases: {}", m.aliases.join(", ")))
            ));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn search(out: &Out, db: &Path, text: &str, limit: usize) -> CmdResult {
    let store = open_existing(db)?;
    let hits = store.search(text, limit)?;
    if out.json {
        out.json(&hits);
        return Ok(ExitCode::SUCCESS);
    }
    if hits.is_empty() {
        out.line(&format!("No advisories match {text:?}."));
    }
    for hit in &hits {
        let severity = hit.severity.map_or_else(|| out.dim("-"), |r| out.rating(r));
        let withdrawn = if hit.withdrawn {
            out.paint("33", " [withdrawn]")
        } else {
            String::new()
        };
        out.line(&format!(
            "{:<22} {severity:<8} {}{withdrawn}",
            hit.id,
            hit.summary.as_deref().unwrap_or("")
        ));
    }
    Ok(ExitCode::SUCCESS)
}
