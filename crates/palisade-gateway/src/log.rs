//! The access log: one JSON object per line, written by a thread of its own
//! so a slow disk never stalls a request.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};

use crate::config::AccessLog;
use crate::error::Error;
use crate::metrics::Metrics;

/// Lines waiting for the writer; past this they are dropped and counted.
const BACKLOG: usize = 65_536;

#[derive(Debug, Clone)]
pub struct AccessLogger {
    sender: Option<SyncSender<String>>,
    metrics: Arc<Metrics>,
}

impl AccessLogger {
    pub fn open(target: &AccessLog, metrics: Arc<Metrics>) -> Result<AccessLogger, Error> {
        let writer: Box<dyn Write + Send> = match target {
            AccessLog::Off => {
                return Ok(AccessLogger {
                    sender: None,
                    metrics,
                });
            }
            AccessLog::Stdout => Box::new(std::io::stdout()),
            AccessLog::Stderr => Box::new(std::io::stderr()),
            AccessLog::File(path) => Box::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|source| Error::Io {
                        path: path.clone(),
                        source,
                    })?,
            ),
        };
        let (sender, receiver) = sync_channel(BACKLOG);
        std::thread::Builder::new()
            .name("palisade-access-log".into())
            .spawn(move || write_lines(&receiver, writer))
            .map_err(|source| Error::Io {
                path: "access log thread".into(),
                source,
            })?;
        Ok(AccessLogger {
            sender: Some(sender),
            metrics,
        })
    }

    pub fn enabled(&self) -> bool {
        self.sender.is_some()
    }

    pub fn line(&self, line: String) {
        if let Some(sender) = &self.sender
            && let Err(TrySendError::Full(_)) = sender.try_send(line)
        {
            self.metrics
                .log_lines_dropped
                .fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Writes lines as they come, flushing whenever the queue runs dry.
fn write_lines(receiver: &Receiver<String>, writer: Box<dyn Write + Send>) {
    let mut out = std::io::BufWriter::with_capacity(64 << 10, writer);
    while let Ok(first) = receiver.recv() {
        let mut line = Some(first);
        while let Some(text) = line {
            if out
                .write_all(text.as_bytes())
                .and_then(|()| out.write_all(b"\n"))
                .is_err()
            {
                return;
            }
            line = receiver.try_recv().ok();
        }
        if out.flush().is_err() {
            return;
        }
    }
}
