//! Errors of the advisory database. Each names what failed and where: the
//! file (or `archive.zip!entry`), the line and column when known, the database
//! path or the URL.

use std::fmt;
use std::path::PathBuf;

/// Where in the input a problem was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// A file path, or `archive.zip!entry` for an archive member.
    pub origin: String,
    /// 1-based line, when the parser knows it.
    pub line: Option<usize>,
    /// 1-based column, when the parser knows it.
    pub column: Option<usize>,
}

impl Location {
    pub(crate) fn new(origin: impl Into<String>) -> Location {
        Location {
            origin: origin.into(),
            line: None,
            column: None,
        }
    }

    pub(crate) fn at(origin: impl Into<String>, line: usize, column: usize) -> Location {
        Location {
            origin: origin.into(),
            line: (line > 0).then_some(line),
            column: (column > 0).then_some(column),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.origin)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is not well-formed JSON, YAML, TOML or Markdown front matter.
    #[error("{location}: {message}")]
    Syntax { location: Location, message: String },

    /// The input parses but is not a usable advisory (missing id, bad date, ...).
    #[error("{location}: {message}")]
    Invalid { location: Location, message: String },

    /// An input exceeds a size or count limit.
    #[error("{location}: {message}")]
    TooLarge { location: Location, message: String },

    /// A zip archive cannot be read.
    #[error("{location}: not a readable zip archive: {message}")]
    Archive { location: Location, message: String },

    /// A path given to import is neither an advisory file, a directory nor a zip.
    #[error("{path}: {message}")]
    Unsupported { path: PathBuf, message: String },

    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("database {path}: {source}")]
    Database {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },

    /// The database was written by a newer palisade.
    #[error(
        "database {path} has schema version {found}, newer than this palisade understands ({known})"
    )]
    SchemaTooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },

    /// A download failed (after retries, where retrying makes sense).
    #[error("{url}: {message}")]
    Download { url: String, message: String },
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// A JSON parse error at its line and column, `what` saying what the
    /// input was expected to be (the position is not repeated in the text).
    pub(crate) fn json(origin: &str, error: &serde_json::Error, what: &str) -> Error {
        let message = error.to_string();
        let position = format!(" at line {} column {}", error.line(), error.column());
        Error::Syntax {
            location: Location::at(origin, error.line(), error.column()),
            message: format!(
                "{what}: {}",
                message.strip_suffix(&position).unwrap_or(&message)
            ),
        }
    }

    pub(crate) fn invalid(location: Location, message: impl Into<String>) -> Error {
        Error::Invalid {
            location,
            message: message.into(),
        }
    }

    /// Renames the input an error points at: `from` (a temporary file) becomes
    /// `to` (the URL it was downloaded from), keeping any `!member` suffix.
    #[must_use]
    pub fn relocated(mut self, from: &str, to: &str) -> Error {
        if let Error::Syntax { location, .. }
        | Error::Invalid { location, .. }
        | Error::TooLarge { location, .. }
        | Error::Archive { location, .. } = &mut self
            && let Some(rest) = location.origin.strip_prefix(from)
        {
            location.origin = format!("{to}{rest}");
        }
        self
    }

    /// The input location, for errors about an input.
    pub fn location(&self) -> Option<&Location> {
        match self {
            Error::Syntax { location, .. }
            | Error::Invalid { location, .. }
            | Error::TooLarge { location, .. }
            | Error::Archive { location, .. } => Some(location),
            _ => None,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
