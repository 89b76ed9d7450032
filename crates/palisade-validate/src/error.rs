//! Errors of model loading and compilation.

use std::path::PathBuf;

/// What went wrong, naming the file (and position) when there is one.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{origin}:{line}:{column}: invalid JSON: {message}")]
    Json {
        origin: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{origin}: larger than {limit} bytes")]
    TooLarge { origin: String, limit: u64 },
    #[error("{origin}: not a usable JSON Schema: {message}")]
    Schema { origin: String, message: String },
}

pub type Result<T> = std::result::Result<T, Error>;
