//! `palisade version compare`

use std::cmp::Ordering;
use std::process::ExitCode;

use palisade_version::Ecosystem;

use crate::cli::VersionCommand;
use crate::output::Out;
use crate::{CmdResult, Failure};

pub fn run(out: &Out, command: &VersionCommand) -> CmdResult {
    match command {
        VersionCommand::Compare { ecosystem, a, b } => {
            let scheme = Ecosystem::from_name(ecosystem)
                .map(Ecosystem::scheme)
                .ok_or_else(|| {
                    let known: Vec<&str> = palisade_version::ALL_ECOSYSTEMS
                        .iter()
                        .map(|e| e.as_str())
                        .collect();
                    Failure::new(format!("unknown ecosystem {ecosystem:?}"))
                        .hint(format!("use one of: {}", known.join(", ")))
                })?;
            let op = match scheme.compare(a, b) {
                Ordering::Less => "<",
                Ordering::Equal => "=",
                Ordering::Greater => ">",
            };
            if out.json {
                out.json(&serde_json::json!({
                    "ecosystem": ecosystem, "scheme": format!("{scheme:?}"), "a": a, "b": b, "order": op
                }));
            } else {
                out.line(&format!("{a} {op} {b}"));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
