//! Errors of inventory building. Each names the file (or `archive!member`) and,
//! where known, the line.

use std::fmt;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is not a well-formed file of its format. The message may
    /// quote the file (a parser's own error does): it is shown bounded.
    #[error("{origin}{}: {}", line_suffix(*.line), excerpt(message))]
    Parse {
        origin: String,
        line: Option<usize>,
        message: String,
    },

    /// An input exceeds a size, count, depth or expansion limit.
    #[error("{origin}: {message}")]
    TooLarge { origin: String, message: String },

    /// A path given is not something palisade can inventory.
    #[error("{path}: {message}")]
    Unsupported { path: PathBuf, message: String },

    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The most characters of a message quoting an input that is shown.
const MAX_QUOTED: usize = 240;

/// `text` as it may be shown: control characters as visible escapes, and
/// at most [`MAX_QUOTED`] characters of it. Messages about a file quote it,
/// and a file may be anything: a 100 MB line, a terminal escape.
pub(crate) fn excerpt(text: &str) -> String {
    let mut out = String::new();
    for (count, c) in text.chars().enumerate() {
        if count == MAX_QUOTED {
            out.push_str(&format!(
                "… ({} more bytes)",
                text.len()
                    - text
                        .char_indices()
                        .nth(count)
                        .map_or(text.len(), |(i, _)| i)
            ));
            break;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// A line of a file quoted in a warning: as [`excerpt`], but only as far as
/// its first `=` or `:` with something after it. A line palisade does not
/// understand may be from a file it should never have read, such as
/// `key = secret` in a credentials file: its value is not repeated.
pub(crate) fn quoted_line(line: &str) -> String {
    let line = line.trim();
    let cut = line
        .char_indices()
        .find(|&(i, c)| (c == '=' || c == ':') && !line[i + 1..].trim().is_empty())
        .map(|(i, c)| i + c.len_utf8());
    match cut {
        Some(end) => {
            let mut shown = excerpt(&line[..end]);
            shown.push_str(" …");
            shown
        }
        None => excerpt(line),
    }
}

fn line_suffix(line: Option<usize>) -> String {
    line.map(|l| format!(":{l}")).unwrap_or_default()
}

impl Error {
    pub(crate) fn parse(origin: &str, line: Option<usize>, message: impl fmt::Display) -> Error {
        Error::Parse {
            origin: origin.to_string(),
            line,
            message: message.to_string(),
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_input_is_bounded_escaped_and_values_left_out() {
        let long = "x".repeat(10_000);
        let shown = excerpt(&long);
        assert!(shown.starts_with(&"x".repeat(240)), "{shown}");
        assert!(shown.ends_with("… (9760 more bytes)"), "{shown}");
        assert_eq!(excerpt("a\u{1b}[2J\r"), "a\\u{1b}[2J\\r");
        assert_eq!(
            quoted_line("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG"),
            "aws_secret_access_key = …"
        );
        assert_eq!(quoted_line("password: hunter2"), "password: …");
        assert_eq!(quoted_line("[default]"), "[default]");
        let error = Error::parse(
            "big.json",
            Some(1),
            format!("invalid type: string \"{long}\""),
        );
        assert!(error.to_string().len() < 300, "{error}");
    }
}
