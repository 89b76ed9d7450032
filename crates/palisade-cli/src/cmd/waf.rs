//! `palisade waf test`: recorded requests replayed through a web ACL, for CI.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use palisade_waf::cases::{
    MAX_CASES_BYTES, deciding_rule, is_ftw, parse_cases, parse_ftw, run_with,
};
use palisade_waf::log::LogContext;
use palisade_waf::{Decision, Evaluator, ParseOptions, RuleGroup, Sets, WebAcl, parse_set};
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

/// The web ACL and everything it references, compiled; warnings printed.
fn evaluator(out: &Out, args: &WafTestArgs) -> Result<Evaluator, Failure> {
    let options = ParseOptions {
        strict: args.strict,
    };
    let acl = WebAcl::parse_with(
        &read(&args.web_acl)?,
        &args.web_acl.display().to_string(),
        options,
    )
    .map_err(|e| Failure::new(e.to_string()))?;
    let mut sets = Sets::default();
    for file in &args.sets {
        let set = parse_set(&read(file)?, &file.display().to_string()).map_err(Failure::new)?;
        sets.add(set);
    }
    for file in &args.rule_groups {
        let group = RuleGroup::parse(&read(file)?, &file.display().to_string(), options)
            .map_err(|e| Failure::new(e.to_string()))?;
        sets.rule_groups.push(group);
    }
    let open = |file: &Path| {
        palisade_waf::geo::GeoDb::open(file)
            .map(std::sync::Arc::new)
            .map_err(Failure::new)
    };
    if let Some(file) = &args.geo_database {
        sets.geo = Some(open(file)?);
    }
    if let Some(file) = &args.asn_database {
        sets.asn = Some(open(file)?);
    }
    let evaluator = Evaluator::new(acl, &sets).map_err(|e| {
        Failure::new(format!("{}: {e}", args.web_acl.display())).hint(
            "IP sets and regex pattern sets are given with --sets FILE..., rule groups with --rule-groups FILE..., a country database with --geo-database FILE, an ASN one with --asn-database FILE",
        )
    })?;
    for warning in evaluator.warnings() {
        out.error_line(&format!("{} {warning}", out.paint("33", "warning:")));
    }
    Ok(evaluator)
}

pub fn test(out: &Out, args: &WafTestArgs) -> CmdResult {
    let evaluator = evaluator(out, args)?;
    let text = read(&args.requests)?;
    let origin = args.requests.display().to_string();
    let cases = if is_ftw(&text) {
        parse_ftw(&text, &origin)
    } else {
        parse_cases(&text, &origin)
    }
    .map_err(|e| Failure::new(e.to_string()))?;
    let mut log = match &args.log {
        None => None,
        Some(path) => Some(std::io::BufWriter::new(
            std::fs::File::create(path)
                .map_err(|e| Failure::new(format!("{}: {e}", path.display())))?,
        )),
    };
    let mut log_error = None;
    let mut index = 0usize;
    let outcomes = run_with(&evaluator, &cases, |request, verdict| {
        index += 1;
        let Some(writer) = log.as_mut() else {
            return;
        };
        let request_id = format!("case-{index}");
        let context = LogContext {
            timestamp_ms: u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(0),
            http_version: "HTTP/1.1",
            request_id: &request_id,
            source_name: "-",
            source_id: "-",
            country: None,
            body_size: Some(request.body.len() as u64),
        };
        let record = evaluator.aws_log(verdict, request, &context);
        if let Err(e) = serde_json::to_writer(&mut *writer, &record)
            .map_err(std::io::Error::from)
            .and_then(|()| writer.write_all(b"\n"))
        {
            log_error.get_or_insert(e);
        }
    });
    if let Some(writer) = log.as_mut()
        && let Err(e) = writer.flush()
    {
        log_error.get_or_insert(e);
    }
    if let (Some(e), Some(path)) = (log_error, &args.log) {
        return Err(Failure::new(format!("{}: {e}", path.display())));
    }
    let mut failed = 0;
    let mut checked = 0;
    let mut records = Vec::new();
    for (case, outcome) in cases.iter().zip(&outcomes) {
        let verdict = &outcome.verdict;
        let action = match &verdict.decision {
            Decision::Allow => "ALLOW",
            Decision::Block(_) => "BLOCK",
        };
        let rule = deciding_rule(verdict);
        let expected =
            case.expect.is_some() || case.expect_rule.is_some() || !case.expect_labels.is_empty();
        checked += usize::from(expected);
        failed += usize::from(outcome.mismatch.is_some());
        if out.json {
            records.push(json!({
                "name": case.name,
                "action": action,
                "terminating_rule": verdict.terminating_rule.as_deref().unwrap_or("Default_Action"),
                "terminating_group": verdict.terminating_group,
                "terminating_group_rule": verdict.terminating_group_rule,
                "rule": rule,
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
        let mark = match (&outcome.mismatch, expected) {
            (Some(_), _) => out.paint("1;31", "FAIL"),
            (None, true) => out.paint("32", "ok  "),
            (None, false) => out.dim("--  "),
        };
        let painted = if action == "BLOCK" {
            out.paint("31", action)
        } else {
            out.paint("32", action)
        };
        let mut line = format!("{mark} {}  {painted}  {}", case.name, out.bold(&rule));
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
        out.note(&format!(
            "{} case(s), {checked} with an expectation, {failed} failed",
            cases.len()
        ));
    }
    Ok(if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
