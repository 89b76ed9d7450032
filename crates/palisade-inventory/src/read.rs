//! Bounded reading of files.

use std::io::Read;
use std::path::Path;

use crate::{Error, Result};

/// Largest manifest or lockfile read (a 50,000-package lockfile is ~30 MB).
pub const MAX_FILE_BYTES: u64 = 128 * 1024 * 1024;

/// Reads a file as UTF-8 text, refusing files over [`MAX_FILE_BYTES`].
pub fn read_text(path: &Path) -> Result<String> {
    let bytes = read_bytes(path, MAX_FILE_BYTES)?;
    text_of(&path.display().to_string(), bytes)
}

/// Reads at most `limit` bytes of a file; a larger file is an error.
pub fn read_bytes(path: &Path, limit: u64) -> Result<Vec<u8>> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    if len > limit {
        return Err(Error::TooLarge {
            origin: path.display().to_string(),
            message: format!("{len} bytes; files over {limit} bytes are not read"),
        });
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    if bytes.len() as u64 > limit {
        return Err(Error::TooLarge {
            origin: path.display().to_string(),
            message: format!("files over {limit} bytes are not read"),
        });
    }
    Ok(bytes)
}

/// Bytes as UTF-8 (a BOM dropped), or an error naming the line.
pub fn text_of(origin: &str, bytes: Vec<u8>) -> Result<String> {
    match String::from_utf8(bytes) {
        Ok(mut s) => {
            if s.starts_with('\u{feff}') {
                s.drain(..3);
            }
            Ok(s)
        }
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let line = e.as_bytes()[..valid]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1;
            Err(Error::parse(origin, Some(line), "invalid UTF-8"))
        }
    }
}
