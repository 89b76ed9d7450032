//! `palisade fix`

use std::path::PathBuf;
use std::process::ExitCode;

use palisade_scan::{ScanOptions, fix};

use crate::CmdResult;
use crate::cli::{FixArgs, Global};
use crate::cmd::scan::{inventory_of, open_db, policy_for, today};
use crate::output::Out;
use crate::paths::default_db;

pub fn run(global: &Global, out: &Out, args: &FixArgs) -> CmdResult {
    let path = args.path.clone().unwrap_or_else(|| PathBuf::from("."));
    let paths = vec![path];
    let policy = policy_for(args.config.as_ref(), &paths)?;
    let inventory = inventory_of(&paths)?;
    let db = global.db.clone().unwrap_or_else(default_db);
    let mirror = std::env::var("PALISADE_MIRROR").ok();
    let store = open_db(out, &db, &inventory, false, mirror.as_deref())?;
    let options = ScanOptions {
        policy: &policy,
        today: today(),
        fail_on: None,
    };
    let report = palisade_scan::scan(&store, &inventory, &options)?;
    let plan = fix::plan(&report)?;
    if plan.edits.is_empty() && plan.refresh.is_empty() {
        out.line("Nothing to change: no vulnerable dependency has a fix palisade can apply.");
    }
    if args.dry_run {
        for edit in &plan.edits {
            out.line(edit.diff(&paths[0]).trim_end_matches('\n'));
        }
    } else {
        fix::apply(&plan)?;
        for edit in &plan.edits {
            for c in &edit.changes {
                out.line(&format!(
                    "{}:{}  {} {} {} {}",
                    edit.path.display(),
                    c.line,
                    out.bold(&c.package),
                    c.from,
                    out.dim("→"),
                    out.paint("32", &c.to)
                ));
            }
        }
    }
    if !plan.refresh.is_empty() {
        out.line("");
        out.line(&if args.dry_run {
            "Then refresh the lockfile:".to_string()
        } else {
            "Now refresh the lockfile:".to_string()
        });
        for r in &plan.refresh {
            let dir = r.dir.display().to_string();
            if dir.is_empty() || dir == "." {
                out.line(&format!("  {}", r.command));
            } else {
                out.line(&format!("  (cd {dir} && {})", r.command));
            }
        }
    }
    for note in &plan.not_fixed {
        out.note(&format!("{} {note}", out.paint("33", "not fixed:")));
    }
    Ok(ExitCode::SUCCESS)
}
