//! Errors of a scan. Each names what failed and where: the configuration file
//! and line, the manifest being fixed, the git ref being read.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error(transparent)]
    Database(#[from] palisade_vulndb::Error),

    #[error(transparent)]
    Inventory(#[from] palisade_inventory::Error),

    /// `palisade.toml` is not valid.
    #[error("{path}{}: {message}", line_suffix(*.line))]
    Config {
        path: PathBuf,
        line: Option<usize>,
        message: String,
    },

    /// A manifest `palisade fix` was to edit could not be read or rewritten.
    #[error("{path}{}: {message}", line_suffix(*.line))]
    Manifest {
        path: PathBuf,
        line: Option<usize>,
        message: String,
    },

    /// Installing or removing the pre-push hook failed.
    #[error("{path}: {message}")]
    Hook { path: PathBuf, message: String },

    /// Reading a git ref failed.

    #[error("git {command}: {message}")]
    Git { command: String, message: String },

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
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn manifest(
        path: &std::path::Path,
        line: Option<usize>,
        message: impl Into<String>,
    ) -> Error {
        Error::Manifest {
            path: path.to_path_buf(),
            line,
            message: message.into(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
