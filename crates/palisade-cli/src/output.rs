//! Presentation: colors, numbers, progress bars, JSON.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use palisade_vulndb::Rating;

use crate::cli::{ColorChoice, Global};

/// How to write for this run.
#[derive(Clone, Debug)]
pub struct Out {
    pub color: bool,
    pub quiet: bool,
    pub verbose: u8,
    pub json: bool,
    /// Progress bars only when a person is watching stderr.
    pub progress: bool,
}

impl Out {
    pub fn new(global: &Global) -> Out {
        let color = match global.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
            }
        };
        Out {
            color,
            quiet: global.quiet,
            verbose: global.verbose,
            json: global.json,
            progress: std::io::stderr().is_terminal() && !global.quiet && !global.json,
        }
    }

    pub fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    pub fn bold(&self, text: &str) -> String {
        self.paint("1", text)
    }

    pub fn dim(&self, text: &str) -> String {
        self.paint("2", text)
    }

    pub fn rating(&self, rating: Rating) -> String {
        let code = match rating {
            Rating::Critical => "1;35",
            Rating::High => "1;31",
            Rating::Medium => "33",
            Rating::Low => "36",
            Rating::None => "2",
        };
        self.paint(code, rating.as_str())
    }

    /// A line (or block) of text for people on stdout: any control or
    /// bidirectional character in it other than newlines, tabs and this
    /// run's own colors is shown as an escape (the text quotes files,
    /// package names and feeds anybody can write). Write errors (a closed
    /// pipe) end the program quietly.
    pub fn line(&self, text: &str) {
        raw_line(&terminal_safe(text, self.color));
    }

    /// A JSON document on stdout, with the characters JSON leaves raw in
    /// strings (C1 controls, bidirectional overrides) escaped as `\u`.
    pub fn json_text(&self, text: &str) {
        raw_line(&json_safe(text));
    }

    /// A note on stderr, unless quiet (made safe as [`Out::line`] is).
    pub fn note(&self, text: &str) {
        if !self.quiet {
            self.error_line(text);
        }
    }

    /// A note on stderr at `-v` and above.
    pub fn verbose(&self, text: &str) {
        if self.verbose > 0 && !self.quiet {
            self.error_line(text);
        }
    }

    /// A line on stderr, even when quiet (errors). Each line is cut at
    /// [`MAX_NOTE_LINE`] characters: messages quote inputs, and an input
    /// may be one line of a hundred megabytes.
    pub fn error_line(&self, text: &str) {
        let safe = terminal_safe(text, self.color);
        let mut stderr = std::io::stderr().lock();
        for line in safe.split('\n') {
            let _ = match line.char_indices().nth(MAX_NOTE_LINE) {
                Some((cut, _)) => writeln!(
                    stderr,
                    "{}… ({} more bytes)",
                    &line[..cut],
                    line.len() - cut
                ),
                None => writeln!(stderr, "{line}"),
            };
        }
    }

    /// The records an import left out, one note each.
    pub fn skipped(&self, skipped: &[palisade_vulndb::Skipped]) {
        for s in skipped {
            self.note(&format!("{} {}", self.paint("33", "skipped:"), s.error));
        }
    }

    /// A JSON document on stdout, written as it is serialized (a large
    /// inventory is never held as text), made safe as [`Out::json_text`].
    pub fn json<T: serde::Serialize + ?Sized>(&self, value: &T) {
        let stdout = std::io::BufWriter::with_capacity(64 << 10, std::io::stdout().lock());
        if let Err(e) = palisade_scan::report::write_json(stdout, value) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
            self.error_line(&format!("error: cannot write JSON: {e}"));
        }
    }

    /// A spinner or bar on stderr, hidden unless a person is watching.
    pub fn progress(&self, total: Option<u64>, template: &str) -> ProgressBar {
        let bar = match total {
            Some(t) => ProgressBar::new(t),
            None => ProgressBar::new_spinner(),
        };
        if !self.progress {
            bar.set_draw_target(ProgressDrawTarget::hidden());
            return bar;
        }
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    }
}

/// The longest line of a note or error shown whole.
const MAX_NOTE_LINE: usize = 2000;

fn raw_line(text: &str) {
    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "{text}").is_err() {
        std::process::exit(0);
    }
}

pub use palisade_scan::report::thousands;
use palisade_scan::report::{json_safe, terminal_safe};

/// What an import did, for people: `12 new, 3 updated, 0 unchanged, 1 skipped`.
pub fn tally(added: usize, updated: usize, unchanged: usize, skipped: usize) -> String {
    let mut text = format!(
        "{} new, {} updated, {} unchanged",
        thousands(added as u64),
        thousands(updated as u64),
        thousands(unchanged as u64)
    );
    if skipped > 0 {
        text.push_str(&format!(", {skipped} skipped"));
    }
    text
}

/// The records an import left out, as JSON.
pub fn skipped_json(skipped: &[palisade_vulndb::Skipped]) -> serde_json::Value {
    skipped
        .iter()
        .map(|s| serde_json::json!({"origin": s.origin, "error": s.error}))
        .collect()
}

/// `1 file`, `2,304 files`.
pub fn files(n: usize) -> String {
    format!(
        "{} {}",
        thousands(n as u64),
        if n == 1 { "file" } else { "files" }
    )
}

/// Bytes for people: `12.3 MB`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1234), "1,234");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(bytes(999), "999 B");
        assert_eq!(bytes(12_345_678), "12.3 MB");
    }
}
