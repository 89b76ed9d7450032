//! `palisade gateway`: run (or `--check`) a validating gateway. SIGHUP
//! reloads the configuration; SIGTERM and Ctrl-C drain in-flight requests,
//! then exit.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use palisade_gateway::{Config, Error, Event, Level, ServeOptions};
use serde_json::json;
use tokio::signal::unix::{SignalKind, signal};

use crate::cli::GatewayArgs;
use crate::output::Out;
use crate::{CmdResult, Failure};

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        let hint = match &e {
            Error::Invalid { .. } => Some(
                "fix the fields named above; `palisade gateway --config FILE --check` reports every problem",
            ),
            Error::Listen { .. } => Some(
                "another process holds the port, or the address is not this machine's; change listen/admin",
            ),
            _ => None,
        };
        let failure = Failure::new(e.to_string());
        match hint {
            Some(h) => failure.hint(h),
            None => failure,
        }
    }
}

pub fn run(out: &Out, args: &GatewayArgs) -> CmdResult {
    if args.check {
        return check(out, args);
    }
    // Requests are served by the gateway's own worker threads; this runtime
    // only waits for signals and runs the admin listener.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::new(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(serve(out, args))
}

fn check(out: &Out, args: &GatewayArgs) -> CmdResult {
    let config = Config::load(&args.config, &|name| std::env::var(name).ok())?;
    if out.json {
        let routes: Vec<_> = config
            .routes
            .iter()
            .map(|r| {
                json!({
                    "route": r.name,
                    "upstream": config.upstreams[r.upstream].name,
                    "validates_body": r.rules.validator.body,
                    "validates_parameters": r.rules.validator.parameters,
                })
            })
            .collect();
        out.json(&json!({"valid": true, "listen": config.listen.to_string(), "routes": routes, "warnings": config.warnings}));
    } else {
        for warning in &config.warnings {
            out.error_line(&format!("{} {warning}", out.paint("33", "warning:")));
        }
        out.line(&format!(
            "{}: valid; {} routes to {} upstreams, listening on {}",
            args.config.display(),
            config.routes.len(),
            config.upstreams.len(),
            config.listen
        ));
    }
    Ok(ExitCode::SUCCESS)
}

async fn serve(out: &Out, args: &GatewayArgs) -> CmdResult {
    let quiet = out.quiet;
    let events = Arc::new(move |event: Event| {
        if quiet && event.level == Level::Info {
            return;
        }
        let level = match event.level {
            Level::Info => "info",
            Level::Warn => "warning",
            Level::Error => "error",
        };
        eprintln!("palisade gateway: {level}: {}", event.message);
    });
    let options = ServeOptions {
        watch_interval: (!args.no_watch).then(|| Duration::from_secs(1)),
        events,
        workers: args.workers.map(usize::from),
        ..ServeOptions::default()
    };
    let mut hangup = signal(SignalKind::hangup()).map_err(signal_failure)?;
    let mut terminate = signal(SignalKind::terminate()).map_err(signal_failure)?;
    let mut interrupt = signal(SignalKind::interrupt()).map_err(signal_failure)?;
    let running = palisade_gateway::start(&args.config, options).await?;
    loop {
        tokio::select! {
            _ = hangup.recv() => {
                // A failed reload is reported by the gateway and changes nothing.
                let _ = running.reload();
            }
            _ = terminate.recv() => break,
            _ = interrupt.recv() => break,
        }
    }
    if !quiet {
        eprintln!("palisade gateway: info: shutting down; finishing requests in flight");
    }
    running.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

#[allow(clippy::needless_pass_by_value)] // the shape map_err hands over
fn signal_failure(e: std::io::Error) -> Failure {
    Failure::new(format!("cannot install signal handlers: {e}"))
}
