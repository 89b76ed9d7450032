//! Errors of inventory building. Each names the file (or `archive!member`) and,
//! where known, the line.

use std::fmt;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is not a well-formed file of its format.
    #[error("{origin}{}: {message}", line_suffix(*.line))]
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
