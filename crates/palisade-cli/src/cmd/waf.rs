//! `palisade waf test`: recorded requests replayed through a web ACL, for CI.

use std::path::Path;
use std::process::ExitCode;

use palisade_waf::cases::{MAX_CASES_BYTES, parse_cases, run};
use palisade_waf::{Decision, Evaluator, Sets, WebAcl, parse_set};
use serde_json::json;

use crate::cli::WafTestArgs;
use crate::output::Out;
use crate::{CmdResult, Failure};

fn read(path: &Path) -> Result<String, Failure> {
    let meta =
        std::fs::metadata(path).map_err(|e| Failure::new(format!("{}: {e}", path.display())))?;
    if meta.len() > MAX_CASES_BYTES as u64 {
        return Err(Failure::new(format!(
            "{}: larger than {MAX_CASES_BYTES} bytes",
            path.display()
        )));
    }
    std::fs::read_to_string(path).map_err(|e| Failure::new(format!("{}: {e}", path.display())))
}

pub fn test(out: &Out, args: &WafTestArgs) -> CmdResult {
    let acl = WebAcl::parse(&read(&args.web_acl)?, &args.web_acl.display().to_string())
        .map_err(|e| Failure::new(e.to_string()))?;
    let mut sets = Sets::default();
    for file in &args.sets {
        let set = parse_set(&read(file)?, &file.display().to_string()).map_err(Failure::new)?;
        sets.add(set);
    }
    if let Some(file) = &args.geo_database {
        sets.geo = Some(std::sync::Arc::new(
            palisade_waf::geo::GeoDb::open(file).map_err(Failure::new)?,
        ));
    }
    let evaluator = Evaluator::new(acl, &sets).map_err(|e| {
        Failure::new(format!("{}: {e}", args.web_acl.display())).hint(
            "IP sets and regex pattern sets are given with --sets FILE..., a country database with --geo-database FILE",
        )
    })?;
    let cases = parse_cases(&read(&args.requests)?, &args.requests.display().to_string())
        .map_err(|e| Failure::new(e.to_string()))?;
    let outcomes = run(&evaluator, &cases);
    let mut failed = 0;
    let mut records = Vec::new();
    for (case, outcome) in cases.iter().zip(&outcomes) {
        let verdict = &outcome.verdict;
        let action = match &verdict.decision {
            Decision::Allow => "ALLOW",
            Decision::Block(_) => "BLOCK",
        };
        let rule = verdict
            .terminating_rule
            .as_deref()
            .unwrap_or("Default_Action");
        failed += usize::from(outcome.mismatch.is_some());
        if out.json {
            records.push(json!({
                "name": case.name,
                "action": action,
                "terminating_rule": rule,
                "labels": verdict.labels,
                "counted": verdict.counted,
                "inserted_headers": verdict.inserted_headers,
                "status": match &verdict.decision {
                    Decision::Block(Some(r)) => r.status,
                    Decision::Block(None) => 403,
                    Decision::Allow => 200,
                },
                "passed": outcome.mismatch.is_none(),
                "mismatch": outcome.mismatch,
            }));
            continue;
        }
        let mark = match (
            &outcome.mismatch,
            case.expect.is_some() || case.expect_rule.is_some(),
        ) {
            (Some(_), _) => out.paint("1;31", "FAIL"),
            (None, true) => out.paint("32", "ok  "),
            (None, false) => out.dim("--  "),
        };
        let painted = if action == "BLOCK" {
            out.paint("31", action)
        } else {
            out.paint("32", action)
        };
        let mut line = format!("{mark} {}  {painted}  {}", case.name, out.bold(rule));
        if !verdict.labels.is_empty() {
            line.push_str(&format!("  labels: {}", verdict.labels.join(", ")));
        }
        if !verdict.counted.is_empty() {
            line.push_str(&format!("  counted: {}", verdict.counted.join(", ")));
        }
        out.line(&line);
        if let Some(mismatch) = &outcome.mismatch {
            out.line(&format!("       {mismatch}"));
        }
    }
    if out.json {
        out.json(&records);
    } else {
        out.note(&format!("{} case(s), {failed} failed", cases.len()));
    }
    Ok(if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
