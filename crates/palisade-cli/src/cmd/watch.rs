//! `palisade watch ...`

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use palisade_vulndb::Store;
use palisade_watch::{
    Delivery, Event, NewWatch, Reach, Runner, SecretKey, Smtp, Target, WatchStore,
};

use serde_json::json;
use tokio::signal::unix::{SignalKind, signal};

use crate::cli::{Global, WatchAddArgs, WatchCommand, WatchRunArgs};
use crate::output::Out;
use crate::paths::{default_db, secret_key_file};
use crate::{CmdResult, Failure};

pub fn run(global: &Global, out: &Out, command: &WatchCommand) -> CmdResult {
    let db = global.db.clone().unwrap_or_else(default_db);
    match command {
        WatchCommand::Add(args) => add(out, &db, args),
        WatchCommand::List => list(out, &db),
        WatchCommand::Remove { watch } => {
            Store::open(&db)?;
            let mut watches = watch_store(&db)?;
            if !watches.remove(watch)? {
                return Err(Failure::new(format!("no watch named {watch:?}"))
                    .hint("`palisade watch list` shows them"));
            }
            Ok(ExitCode::SUCCESS)
        }
        WatchCommand::Run(args) => run_watches(out, &db, args),
    }
}

fn add(out: &Out, db: &Path, args: &WatchAddArgs) -> CmdResult {
    let notify = args
        .notify
        .iter()
        .map(|t| t.parse::<Target>().map_err(Failure::new))
        .collect::<Result<Vec<_>, _>>()?;
    let store = Store::open(db)?;
    let mut watches = watch_store(db)?;
    let watch = watches.add(
        &NewWatch {
            name: args.name.clone(),
            vendor: args.product.vendor.clone(),
            product: args.product.product.clone(),
            version: args.product.version.clone(),
            keyword: args.keyword.clone(),
            inventory: args.inventory.clone(),
            min_severity: args.min_severity.clone(),
            kev_only: args.kev_only,
            notify,
            secret: args.secret.clone(),
            digest: args.digest.is_some(),
        },
        store.last_change()?,
    )?;
    let generated = args.secret.is_none() && watch.spec.secret.is_some();
    if out.json {
        let mut value = serde_json::to_value(&watch).unwrap_or_default();
        if generated {
            value["secret"] = json!(watch.spec.secret);
        }
        out.json(&value);
    } else if !out.quiet {
        out.line(&format!(
            "watch {} added (id {})",
            watch.spec.name, watch.id
        ));
        if generated && let Some(secret) = &watch.spec.secret {
            out.line(&format!(
                "webhook secret: {secret}\n  (check each delivery's X-Palisade-Signature: sha256=HMAC-SHA256(secret, body); it is not shown again)"
            ));
        }
        if store.sources()?.is_empty() {
            out.note("note: no feed sources yet; add some with `palisade feeds source add`");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn list(out: &Out, db: &Path) -> CmdResult {
    Store::open(db)?;
    let watches = watch_store(db)?;
    let all = watches.list()?;
    if out.json {
        let value: Vec<_> = all
            .iter()
            .map(|w| {
                let outbox = watches.outbox(w.id).unwrap_or_default();
                let mut v = serde_json::to_value(w).unwrap_or_default();
                v["delivered"] = json!(outbox.iter().filter(|e| e.delivered.is_some()).count());
                v["pending"] = json!(
                    outbox
                        .iter()
                        .filter(|e| e.delivered.is_none() && e.failed.is_none())
                        .count()
                );
                v["failed"] = json!(outbox.iter().filter(|e| e.failed.is_some()).count());
                v
            })
            .collect();
        out.json(&value);
        return Ok(ExitCode::SUCCESS);
    }
    if all.is_empty() {
        out.note("no watches; add one with `palisade watch add --name N ... --notify TARGET`");
    }
    for w in &all {
        let mut what = Vec::new();
        for (label, value) in [
            ("vendor", &w.spec.vendor),
            ("product", &w.spec.product),
            ("version", &w.spec.version),
            ("keyword", &w.spec.keyword),
            ("min severity", &w.spec.min_severity),
        ] {
            if let Some(v) = value {
                what.push(format!("{label} {v}"));
            }
        }
        if let Some(p) = &w.spec.inventory {
            what.push(format!("inventory {}", p.display()));
        }
        if w.spec.kev_only {
            what.push("KEV only".to_string());
        }
        let outbox = watches.outbox(w.id)?;
        let pending = outbox
            .iter()
            .filter(|e| e.delivered.is_none() && e.failed.is_none())
            .count();
        out.line(&format!(
            "{}  {}  {}{}",
            out.bold(&format!("{} {}", w.id, w.spec.name)),
            what.join(", "),
            w.spec
                .notify
                .iter()
                .map(Target::to_string)
                .collect::<Vec<_>>()
                .join(" "),
            if w.spec.digest {
                "  (daily digest)"
            } else {
                ""
            }
        ));
        out.line(&format!(
            "    {} delivered, {pending} pending, {} failed",
            outbox.iter().filter(|e| e.delivered.is_some()).count(),
            outbox.iter().filter(|e| e.failed.is_some()).count()
        ));
    }
    Ok(ExitCode::SUCCESS)
}

fn run_watches(out: &Out, db: &Path, args: &WatchRunArgs) -> CmdResult {
    let smtp = args.smtp.as_ref().map(|url| Smtp {
        url: url.clone(),
        from: args.mail_from.clone(),
    });
    let delivery = Delivery {
        smtp,
        reach: Reach {
            link_local: args.allow_link_local_webhooks,
        },
        key: Some(SecretKey::load_or_create(&secret_key_file())?),
    };
    let mut runner = Runner::new(db, crate::cmd::feeds::fetcher()?, delivery)?;
    let mut log = |event: Event<'_>| match event {
        Event::Stdout(line) => out.line(line),
        Event::Synced(r) => match r.status.as_str() {
            "failed" => out.note(&format!(
                "{} {}: {}",
                out.paint("31", "source failed:"),
                r.source,
                r.error.as_deref().unwrap_or("")
            )),
            "not-modified" => out.verbose(&format!("{}: not modified", r.source)),
            _ => out.verbose(&format!(
                "{}: {} records, {} new, {} updated",
                r.source, r.records, r.added, r.updated
            )),
        },
        Event::Queued {
            watch,
            bulletin,
            target,
        } => out.verbose(&format!("queued {bulletin} for {watch} -> {target}")),
        Event::Delivered {
            target, headline, ..
        } => out.note(&format!("notified {target}: {headline}")),
        Event::Retrying {
            target, error, at, ..
        } => out.note(&format!(
            "{} {target}: {error}; retrying at {at}",
            out.paint("33", "delivery failed:")
        )),
        Event::GaveUp { target, error, key } => out.note(&format!(
            "{} {key} to {target}: {error}",
            out.paint("31", "gave up on")
        )),
        Event::Warning(w) => out.note(&format!("{} {w}", out.paint("33", "warning:"))),
    };
    let stop = stop_on_signals()?;
    runner.run(args.once, &|| stop.load(Ordering::SeqCst), &mut log)?;
    if stop.load(Ordering::SeqCst) {
        out.note("palisade watch: stopped; undelivered notifications stay queued for the next run");
    }
    Ok(ExitCode::SUCCESS)
}

/// A flag SIGTERM and SIGINT raise, so `watch run` stops between cycles (a
/// delivery in progress finishes and is recorded) instead of dying in one.
fn stop_on_signals() -> Result<Arc<AtomicBool>, Failure> {
    let stop = Arc::new(AtomicBool::new(false));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .map_err(|e| Failure::new(format!("cannot install signal handlers: {e}")))?;
    let (mut terminate, mut interrupt) = runtime
        .block_on(async {
            Ok::<_, std::io::Error>((
                signal(SignalKind::terminate())?,
                signal(SignalKind::interrupt())?,
            ))
        })
        .map_err(|e| Failure::new(format!("cannot install signal handlers: {e}")))?;
    let raised = Arc::clone(&stop);
    std::thread::spawn(move || {
        runtime.block_on(async {
            tokio::select! {
                _ = terminate.recv() => {}
                _ = interrupt.recv() => {}
            }
        });
        raised.store(true, Ordering::SeqCst);
    });
    Ok(stop)
}

/// The watch store, its webhook secrets sealed with the user's key (see
/// `paths::secret_key_file`), which is made on first use.
fn watch_store(db: &Path) -> Result<WatchStore, Failure> {
    let key = SecretKey::load_or_create(&secret_key_file())?;
    Ok(WatchStore::open(db)?.with_key(key)?)
}
