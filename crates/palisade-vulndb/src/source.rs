//! Finding and reading advisory records: single files, directory trees and zip
//! archives, with every size bounded.
//!
//! Zip members are read from the archive in memory, never extracted, so an
//! entry's path cannot escape anywhere; its declared size is checked before
//! reading and its real size while reading.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::{Error, Location, Result};
use crate::osv::{self, Advisory};
use crate::rustsec;

/// Largest single advisory record (file or zip member).
pub const MAX_RECORD_BYTES: u64 = 32 * 1024 * 1024;
/// Most members read from one zip archive.
pub const MAX_ZIP_ENTRIES: usize = 2_000_000;
/// Most bytes read from the members of one zip archive together.
pub const MAX_ZIP_TOTAL_BYTES: u64 = 16 * 1024 * 1024 * 1024;
/// Deepest directory level walked.
const MAX_DEPTH: usize = 64;

/// The format of one advisory record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    OsvJson,
    OsvYaml,
    RustSec,
}

impl Format {
    /// The format a file name suggests; `.md` still needs [`rustsec::looks_like_rustsec`].
    fn from_name(name: &str) -> Option<Format> {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".json") {
            Some(Format::OsvJson)
        } else if lower.ends_with(".yaml") || lower.ends_with(".yml") {
            Some(Format::OsvYaml)
        } else if lower.ends_with(".md") {
            Some(Format::RustSec)
        } else {
            None
        }
    }
}

/// Parses one record's bytes.
pub fn parse_record(origin: &str, format: Format, bytes: &[u8]) -> Result<Advisory> {
    match format {
        Format::OsvJson => osv::parse_json(origin, bytes),
        Format::OsvYaml => osv::parse_yaml(origin, bytes),
        Format::RustSec => rustsec::parse(origin, bytes),
    }
}

/// One thing to import.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    File { path: PathBuf, format: Format },
    Zip(PathBuf),
}

impl Input {
    pub fn path(&self) -> &Path {
        match self {
            Input::File { path, .. } | Input::Zip(path) => path,
        }
    }
}

fn is_zip(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
}

/// Expands the paths given to import into files and archives, in a stable
/// order. Directories are walked (hidden entries and symlinked directories
/// skipped); inside them only `.json`, `.yaml`, `.yml`, RustSec `.md` and
/// `.zip` files count. A file named explicitly must be one of those.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<Input>> {
    let mut inputs = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
        if meta.is_dir() {
            walk(path, 0, &mut inputs)?;
        } else if is_zip(path) {
            inputs.push(Input::Zip(path.clone()));
        } else {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let format = match Format::from_name(name) {
                Some(f) => f,
                None => sniff(path)?.ok_or_else(|| Error::Unsupported {
                    path: path.clone(),
                    message: "not an advisory file: expected OSV .json or .yaml, a RustSec .md, \
                              a directory or a .zip"
                        .to_string(),
                })?,
            };
            inputs.push(Input::File {
                path: path.clone(),
                format,
            });
        }
    }
    Ok(inputs)
}

/// Guesses the format of a file without a telling extension from its first bytes.
fn sniff(path: &Path) -> Result<Option<Format>> {
    let mut head = [0u8; 64];
    let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
    let n = file.read(&mut head).map_err(|e| Error::io(path, e))?;
    let head = &head[..n];
    if head.trim_ascii_start().starts_with(b"{") {
        Ok(Some(Format::OsvJson))
    } else if rustsec::looks_like_rustsec(head) {
        Ok(Some(Format::RustSec))
    } else {
        Ok(None)
    }
}

/// The entries of a directory being walked, sorted by name, hidden ones
/// (`.git`, ...) left out; a tree deeper than [`MAX_DEPTH`] is refused.
pub(crate) fn walk_entries(
    dir: &Path,
    depth: usize,
) -> Result<Vec<(String, PathBuf, std::fs::FileType)>> {
    if depth > MAX_DEPTH {
        return Err(Error::TooLarge {
            location: Location::new(dir.display().to_string()),
            message: format!("directory tree deeper than {MAX_DEPTH} levels"),
        });
    }
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .collect::<std::io::Result<_>>()
        .map_err(|e| Error::io(dir, e))?;
    entries.sort_by_key(std::fs::DirEntry::file_name);
    let mut out = Vec::with_capacity(entries.len());
    for entry in entries {
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        let file_type = entry.file_type().map_err(|e| Error::io(&path, e))?;
        out.push((name, path, file_type));
    }
    Ok(out)
}

fn walk(dir: &Path, depth: usize, inputs: &mut Vec<Input>) -> Result<()> {
    for (name, path, file_type) in walk_entries(dir, depth)? {
        if name == "EXAMPLE_ADVISORY.md" {
            continue;
        }
        if file_type.is_dir() {
            walk(&path, depth + 1, inputs)?;
            continue;
        }
        if file_type.is_symlink() && std::fs::metadata(&path).is_ok_and(|m| m.is_dir()) {
            continue;
        }
        if is_zip(&path) {
            inputs.push(Input::Zip(path));
        } else if let Some(format) = Format::from_name(&name) {
            if format == Format::RustSec && !starts_like_rustsec(&path)? {
                continue;
            }
            inputs.push(Input::File { path, format });
        }
    }
    Ok(())
}

fn starts_like_rustsec(path: &Path) -> Result<bool> {
    let mut head = [0u8; 64];
    let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
    let n = file.read(&mut head).map_err(|e| Error::io(path, e))?;
    Ok(rustsec::looks_like_rustsec(&head[..n]))
}

/// Reads a whole file, refusing files over [`MAX_RECORD_BYTES`].
pub fn read_file(path: &Path) -> Result<Vec<u8>> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    if len > MAX_RECORD_BYTES {
        return Err(Error::TooLarge {
            location: Location::new(path.display().to_string()),
            message: format!("{len} bytes; an advisory record may have at most {MAX_RECORD_BYTES}"),
        });
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(MAX_RECORD_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    Ok(bytes)
}

/// Calls `f` with the origin (`archive.zip!member`), format and bytes of each
/// advisory member of a zip archive, in archive order. Members that are not
/// advisory files (by name) are skipped; a member's failure stops the walk.
pub fn for_each_zip_record(
    path: &Path,
    f: impl FnMut(String, Format, Vec<u8>) -> Result<()>,
) -> Result<()> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    for_each_zip_record_in(
        &path.display().to_string(),
        std::io::BufReader::new(file),
        f,
    )
}

/// [`for_each_zip_record`] over any seekable reader; `display` names the
/// archive in errors.
pub fn for_each_zip_record_in<R: Read + std::io::Seek>(
    display: &str,
    reader: R,
    mut f: impl FnMut(String, Format, Vec<u8>) -> Result<()>,
) -> Result<()> {
    let format_of = |name: &str| Format::from_name(name.rsplit('/').next().unwrap_or(name));
    for_each_zip_member_filtered(
        display,
        reader,
        |name| format_of(name).is_some(),
        |origin, bytes| {
            let name = origin.rsplit('!').next().unwrap_or(&origin);
            let Some(format) = format_of(name) else {
                return Ok(());
            };
            if format == Format::RustSec && !rustsec::looks_like_rustsec(&bytes) {
                return Ok(());
            }
            f(origin, format, bytes)
        },
    )
}

/// Calls `f` with the origin (`archive.zip!member`) and bytes of every file
/// member of a zip archive, with the same bounds as advisory records.
pub(crate) fn for_each_zip_member(
    path: &Path,
    f: impl FnMut(String, Vec<u8>) -> Result<()>,
) -> Result<()> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    for_each_zip_member_in(
        &path.display().to_string(),
        std::io::BufReader::new(file),
        f,
    )
}

/// [`for_each_zip_member`] over any seekable reader.
pub(crate) fn for_each_zip_member_in<R: Read + std::io::Seek>(
    display: &str,
    reader: R,
    f: impl FnMut(String, Vec<u8>) -> Result<()>,
) -> Result<()> {
    for_each_zip_member_filtered(display, reader, |_| true, f)
}

fn for_each_zip_member_filtered<R: Read + std::io::Seek>(
    display: &str,
    reader: R,
    wanted: impl Fn(&str) -> bool,
    mut f: impl FnMut(String, Vec<u8>) -> Result<()>,
) -> Result<()> {
    let display = display.to_string();
    let mut archive = zip::ZipArchive::new(reader).map_err(|e| Error::Archive {
        location: Location::new(display.clone()),
        message: e.to_string(),
    })?;
    if archive.len() > MAX_ZIP_ENTRIES {
        return Err(Error::TooLarge {
            location: Location::new(display),
            message: format!(
                "{} entries; at most {MAX_ZIP_ENTRIES} are read",
                archive.len()
            ),
        });
    }
    let mut total: u64 = 0;
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).map_err(|e| Error::Archive {
            location: Location::new(format!("{display}!#{index}")),
            message: e.to_string(),
        })?;
        if entry.is_dir() {
            continue;
        }
        let name = entry
            .name()
            .map_err(|e| Error::Archive {
                location: Location::new(format!("{display}!#{index}")),
                message: format!("unreadable member name: {e}"),
            })?
            .into_owned();
        if !wanted(&name) {
            continue;
        }
        let origin = format!("{display}!{name}");
        if entry.size() > MAX_RECORD_BYTES {
            return Err(Error::TooLarge {
                location: Location::new(origin),
                message: format!(
                    "entry claims {} bytes; a record may have at most {MAX_RECORD_BYTES}",
                    entry.size()
                ),
            });
        }
        let mut bytes = Vec::with_capacity(entry.size() as usize);
        (&mut entry)
            .take(MAX_RECORD_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::Archive {
                location: Location::new(origin.clone()),
                message: e.to_string(),
            })?;
        if bytes.len() as u64 > MAX_RECORD_BYTES {
            return Err(Error::TooLarge {
                location: Location::new(origin),
                message: format!("entry is larger than {MAX_RECORD_BYTES} bytes"),
            });
        }
        total += bytes.len() as u64;
        if total > MAX_ZIP_TOTAL_BYTES {
            return Err(Error::TooLarge {
                location: Location::new(display),
                message: format!("members add up to more than {MAX_ZIP_TOTAL_BYTES} bytes"),
            });
        }
        f(origin, bytes)?;
    }
    Ok(())
}
