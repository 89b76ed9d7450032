//! `palisade hook install|uninstall|run`

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use palisade_inventory::Inventory;
use palisade_scan::git::Repo;
use palisade_scan::{Policy, ScanOptions, hook, report};
use palisade_vulndb::Store;

use crate::cli::{Global, HookCommand};
use crate::cmd::scan::today;
use crate::output::Out;
use crate::paths::default_db;
use crate::{CmdResult, Failure};

pub fn run(global: &Global, out: &Out, command: &HookCommand) -> CmdResult {
    match command {
        HookCommand::Install { repo } => {
            let dir = repo.clone().unwrap_or_else(|| PathBuf::from("."));
            let exe = std::env::current_exe()
                .map_err(|e| Failure::new(format!("cannot tell where palisade is: {e}")))?;
            let path = hook::install(&dir, &exe)?;
            out.line(&format!(
                "installed the pre-push hook at {} (PALISADE_HOOK=warn only warns)",
                path.display()
            ));
            Ok(ExitCode::SUCCESS)
        }
        HookCommand::Uninstall { repo } => {
            let dir = repo.clone().unwrap_or_else(|| PathBuf::from("."));
            match hook::uninstall(&dir)? {
                Some(path) => out.line(&format!("removed {}", path.display())),
                None => out.line("no pre-push hook to remove"),
            }
            Ok(ExitCode::SUCCESS)
        }
        HookCommand::Run { remote, .. } => {
            check_push(global, out, remote.as_deref().unwrap_or("origin"))
        }
    }
}

/// The hook's check: for each ref pushed, the findings its commit has that
/// the remote's commit did not.
fn check_push(global: &Global, out: &Out, remote: &str) -> CmdResult {
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .map_err(|e| Failure::new(format!("cannot read what git is pushing: {e}")))?;
    let repo = Repo::discover(Path::new("."))?;
    let db = global.db.clone().unwrap_or_else(default_db);
    if !db.exists() {
        out.note(&format!(
            "palisade: no advisory database at {}; the push is not checked (run `palisade db update`)",
            db.display()
        ));
        return Ok(ExitCode::SUCCESS);
    }
    let store = Store::open(&db)?;
    let policy = Policy::discover(repo.top())?;
    let options = ScanOptions {
        policy: &policy,
        today: today(),
        fail_on: None,
    };
    let top = vec![repo.top().to_path_buf()];
    let mut blocked = false;
    for push in hook::pushes(&input) {
        let head = repo.inventory_at(&push.local_commit, &top)?;
        let base = match hook::base_of(&repo, remote, &push) {
            Some(commit) => repo.inventory_at(&commit, &top)?,
            None => Inventory::default(),
        };
        let mut report = palisade_scan::scan(&store, &head, &options)?;
        let before = palisade_scan::scan(&store, &base, &options)?;
        report.subtract(&before);
        if report.findings.is_empty() {
            continue;
        }
        let branch = push.local_ref.trim_start_matches("refs/heads/");
        out.note(&format!(
            "{} {branch} adds {} known vulnerabilit{}:",
            out.paint("1;33", "palisade:"),
            report.findings.len(),
            if report.findings.len() == 1 {
                "y"
            } else {
                "ies"
            }
        ));
        out.note(report::table(&report, out.color).trim_end());
        blocked |= report.fails();
    }
    if !blocked {
        return Ok(ExitCode::SUCCESS);
    }
    if std::env::var("PALISADE_HOOK").is_ok_and(|v| v.eq_ignore_ascii_case("warn")) {
        out.note("palisade: PALISADE_HOOK=warn, so the push goes ahead");
        return Ok(ExitCode::SUCCESS);
    }
    out.note(&format!(
        "{} push blocked by palisade's policy. Fix with `palisade fix`, add an ignore with a reason to palisade.toml, \
         or push with PALISADE_HOOK=warn (git push --no-verify skips all hooks)",
        out.paint("1;31", "palisade:")
    ));
    Ok(ExitCode::from(1))
}
