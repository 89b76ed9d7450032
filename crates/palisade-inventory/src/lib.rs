//! Package inventories: every package a project, a function package or a
//! container image holds, which file declares it, and the dependency graph
//! that explains why it is there.
//!
//! Lockfiles and manifests of npm, Yarn, pnpm, Cargo, Poetry, Pipenv, uv, PDM,
//! pip requirements, Go modules, Bundler, Composer, Maven, Gradle and NuGet are
//! read offline; formats are recognized by file name, or else by content.
//!
//! ```
//! use palisade_inventory::{Format, parse};
//!
//! let lock = "version = 3\n\n[[package]]\nname = \"smallvec\"\nversion = \"1.6.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n";
//! let inventory = parse(Format::CargoLock, "Cargo.lock", lock, None)?;
//! assert_eq!(inventory.packages[0].purl, "pkg:cargo/smallvec@1.6.0");
//! # Ok::<(), palisade_inventory::Error>(())
//! ```

mod detect;
mod discover;
mod error;
mod formats;
mod image;
pub mod installed;
mod manifest;
mod model;
pub mod os;
mod purl;
pub mod query;
pub mod read;
pub mod sbom;
mod tree;

use std::path::Path;

pub use discover::{inventory, inventory_of, rootfs};
pub use image::image;

pub use error::{Error, Result};

pub use model::{Graph, Inventory, Node, Package, Root, Scope, Source, VersionStatus, Warning};
pub use purl::purl;

/// A file format palisade reads packages from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    NpmLock,
    YarnLock,
    PnpmLock,
    CargoLock,
    PoetryLock,
    PipfileLock,
    UvLock,
    PdmLock,
    Requirements,
    GoMod,
    GemfileLock,
    ComposerLock,
    PomXml,
    GradleLockfile,
    NuGetLock,
}

/// Parses one file's text as `format`. `origin` names the file in results and
/// errors; `path`, when the file is on disk, lets formats follow includes.
pub fn parse(format: Format, origin: &str, text: &str, path: Option<&Path>) -> Result<Inventory> {
    use formats::*;
    match format {
        Format::NpmLock => npm::parse(origin, text, path),
        Format::YarnLock => yarn::parse(origin, text, path),
        Format::PnpmLock => pnpm::parse(origin, text),
        Format::CargoLock => cargo::parse(origin, text),
        Format::PoetryLock => python::parse_poetry(origin, text, path),
        Format::PipfileLock => python::parse_pipfile(origin, text, path),
        Format::UvLock => python::parse_uv(origin, text),
        Format::PdmLock => python::parse_pdm(origin, text, path),
        Format::Requirements => python::parse_requirements(origin, text, path),
        Format::GoMod => gomod::parse(origin, text),
        Format::GemfileLock => ruby::parse(origin, text),
        Format::ComposerLock => composer::parse(origin, text, path),
        Format::PomXml => pom::parse(origin, text),
        Format::GradleLockfile => gradle::parse(origin, text),
        Format::NuGetLock => dotnet::parse(origin, text),
    }
}

/// Reads a file, recognizing its format by name or content.
pub fn parse_file(path: &Path) -> Result<Inventory> {
    let text = read::read_text(path)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let format = Format::from_name(name)
        .or_else(|| Format::sniff(&text))
        .ok_or_else(|| Error::Unsupported {
            path: path.to_path_buf(),
            message: "not a lockfile or manifest palisade reads".to_string(),
        })?;
    parse(format, &path.display().to_string(), &text, Some(path))
}
