//! The `palisade` command: argument parsing and wiring of the library crates.
//! Exit codes: 0 success, 1 findings at or above the threshold, 2 usage, input
//! or runtime errors (explained on stderr).

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod cli;
mod cmd;
mod output;
mod paths;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

/// A scan allocates and frees hundreds of thousands of small strings;
/// mimalloc does that in a fraction of glibc malloc's time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use crate::output::Out;

/// An error for a person: what failed, and what to do about it.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub causes: Vec<String>,
    pub hint: Option<String>,
}

impl Failure {
    pub fn new(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            causes: Vec::new(),
            hint: None,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Failure {
        self.hint = Some(hint.into());
        self
    }
}

impl From<palisade_inventory::Error> for Failure {
    fn from(e: palisade_inventory::Error) -> Failure {
        let hint = match &e {
            palisade_inventory::Error::Unsupported { .. } => {
                Some("palisade reads lockfiles and manifests (package-lock.json, yarn.lock, poetry.lock, go.mod, ...), directories, and --rootfs DIR".to_string())
            }
            _ => None,
        };
        Failure {
            message: e.to_string(),
            causes: Vec::new(),
            hint,
        }
    }
}

impl From<palisade_watch::Error> for Failure {
    fn from(e: palisade_watch::Error) -> Failure {
        match e {
            palisade_watch::Error::Vulndb(e) => e.into(),
            e => Failure::new(e.to_string()),
        }
    }
}

impl From<palisade_vulndb::Error> for Failure {
    fn from(e: palisade_vulndb::Error) -> Failure {
        let mut causes = Vec::new();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            let text = s.to_string();
            if !e.to_string().contains(&text) {
                causes.push(text);
            }
            source = s.source();
        }
        let hint = match &e {
            palisade_vulndb::Error::Syntax { .. }
            | palisade_vulndb::Error::Invalid { .. }
            | palisade_vulndb::Error::TooLarge { .. }
            | palisade_vulndb::Error::Archive { .. } => {
                Some("nothing was imported; fix or remove the record, or pass --skip-invalid".to_string())
            }
            palisade_vulndb::Error::Download { .. } => Some(
                "check the network or the mirror (--mirror URL, $PALISADE_MIRROR); the database is unchanged"
                    .to_string(),
            ),
            palisade_vulndb::Error::SchemaTooNew { .. } => {
                Some("upgrade palisade, or point --db at another file".to_string())
            }
            _ => None,
        };
        Failure {
            message: e.to_string(),
            causes,
            hint,
        }
    }
}

pub type CmdResult = Result<ExitCode, Failure>;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let out = Out::new(&cli.global);
    let result = match &cli.command {
        Command::Scan(args) => cmd::scan::run(&cli.global, &out, args),
        Command::Fix(args) => cmd::fix::run(&cli.global, &out, args),
        Command::Hook(command) => cmd::hook::run(&cli.global, &out, command),

        Command::Db(command) => cmd::db::run(&cli.global, &out, command),

        Command::Version(command) => cmd::version::run(&out, command),
        Command::Sbom(args) => cmd::inventory::sbom(&out, args),
        Command::Graph(args) => cmd::inventory::graph(&out, args),
        Command::Validate(args) => cmd::validate::run(&out, args),
        Command::Gateway(args) => cmd::gateway::run(&out, args),
        Command::Waf(cli::WafCommand::Test(args)) => cmd::waf::test(&out, args),
        Command::Feeds(command) => cmd::feeds::run(&cli.global, &out, command),
        Command::Watch(command) => cmd::watch::run(&cli.global, &out, command),
    };
    match result {
        Ok(code) => code,
        Err(failure) => {
            out.error_line(&format!(
                "{} {}",
                out.paint("1;31", "error:"),
                failure.message
            ));
            for cause in &failure.causes {
                out.error_line(&format!("  caused by: {cause}"));
            }
            if let Some(hint) = &failure.hint {
                out.error_line(&format!("  {} {hint}", out.paint("1;36", "hint:")));
            }
            ExitCode::from(2)
        }
    }
}
