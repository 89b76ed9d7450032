//! The access log: one JSON object per line, written by a thread of its own
//! so a slow disk never stalls a request.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, Sender, SyncSender, TrySendError, channel, sync_channel};
use std::time::Duration;

use crate::config::AccessLog;
use crate::error::Error;
use crate::metrics::Metrics;

/// Lines waiting for the writer; past this they are dropped and counted.
const BACKLOG: usize = 65_536;

#[derive(Debug, Clone)]
pub struct AccessLogger {
    sender: Option<SyncSender<Message>>,
    metrics: Arc<Metrics>,
}

#[derive(Debug)]
enum Message {
    Line(String),
    /// Write out what came before, then answer.
    Flush(Sender<()>),
}

/// How long shutting down waits for the writer to catch up.
const FLUSH_WAIT: Duration = Duration::from_secs(5);

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

    /// Returns once every line logged before the call is written (or the
    /// writer has been given [`FLUSH_WAIT`]): a gateway that stops must not
    /// take the last requests' lines with it.
    pub fn flush(&self) {
        if let Some(sender) = &self.sender {
            let (done, written) = channel();
            if sender.send(Message::Flush(done)).is_ok() {
                let _ = written.recv_timeout(FLUSH_WAIT);
            }
        }
    }

    pub fn enabled(&self) -> bool {
        self.sender.is_some()
    }

    pub fn line(&self, line: String) {
        if let Some(sender) = &self.sender
            && let Err(TrySendError::Full(_)) = sender.try_send(Message::Line(line))
        {
            self.metrics
                .log_lines_dropped
                .fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Writes lines as they come, flushing whenever the queue runs dry.
fn write_lines(receiver: &Receiver<Message>, writer: Box<dyn Write + Send>) {
    let mut out = std::io::BufWriter::with_capacity(64 << 10, writer);
    while let Ok(first) = receiver.recv() {
        let mut message = Some(first);
        let mut waiting = Vec::new();
        while let Some(next) = message {
            match next {
                Message::Line(text) => {
                    if out
                        .write_all(text.as_bytes())
                        .and_then(|()| out.write_all(b"\n"))
                        .is_err()
                    {
                        return;
                    }
                }
                Message::Flush(done) => waiting.push(done),
            }
            message = receiver.try_recv().ok();
        }
        if out.flush().is_err() {
            return;
        }
        for done in waiting {
            let _ = done.send(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flush_returns_once_every_earlier_line_is_written() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("access.log");
        let logger = AccessLogger::open(&AccessLog::File(path.clone()), Arc::new(Metrics::new(1)))
            .unwrap_or_else(|e| panic!("{e}"));
        for i in 0..20_000 {
            logger.line(format!("{{\"n\": {i}}}"));
        }
        logger.flush();
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(text.lines().count(), 20_000);
        assert_eq!(text.lines().last(), Some("{\"n\": 19999}"));
    }
}
