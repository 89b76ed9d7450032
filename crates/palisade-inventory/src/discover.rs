//! Finding what to inventory under the paths a user names: lockfiles and
//! manifests, directories (projects and function packages), zip archives
//! (function packages, jars), container images (`docker save` tarballs, OCI
//! layouts) and unpacked root filesystems.

use std::path::Path;

use crate::image::{image, is_image_tar, is_oci_layout};
use crate::model::Inventory;
use crate::tree::{DirTree, archive_inventory, inventory_tree};
use crate::{Error, Result};

fn has_extension(path: &Path, extensions: &[&str]) -> bool {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    extensions.iter().any(|e| name.ends_with(e))
}

/// The inventory of one path of any kind palisade reads.
pub fn inventory_of(path: &Path) -> Result<Inventory> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.is_dir() {
        if is_oci_layout(path) {
            return image(path);
        }
        let mut warnings = Vec::new();
        let mut tree = DirTree::project(path, &mut warnings);
        let mut inv = inventory_tree(&mut tree, 0);
        inv.warnings.splice(0..0, warnings);
        return Ok(inv);
    }
    if has_extension(path, &[".zip", ".jar", ".war", ".ear"]) {
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let inv = archive_inventory(
            &path.display().to_string(),
            std::io::BufReader::new(file),
            0,
        );
        if let Some(w) = inv
            .warnings
            .iter()
            .find(|w| w.origin == path.display().to_string() && w.message.starts_with("skipped"))
        {
            return Err(Error::Parse {
                origin: w.origin.clone(),
                line: None,
                message: w.message.trim_start_matches("skipped: ").to_string(),
            });
        }
        return Ok(inv);
    }
    if has_extension(path, &[".tar", ".tar.gz", ".tgz"])
        || (crate::Format::from_name(path.file_name().and_then(|n| n.to_str()).unwrap_or(""))
            .is_none()
            && is_image_tar(path))
    {
        return image(path);
    }
    crate::parse_file(path)
}

/// The inventory of every path, in order.
pub fn inventory(paths: &[std::path::PathBuf]) -> Result<Inventory> {
    let mut all = Inventory::default();
    for path in paths {
        all.extend(inventory_of(path)?);
    }
    Ok(all)
}

/// The inventory of an unpacked root filesystem: operating-system packages and
/// whatever language packages are installed anywhere in it.
pub fn rootfs(root: &Path) -> Result<Inventory> {
    if !root.is_dir() {
        return Err(Error::Unsupported {
            path: root.to_path_buf(),
            message: "--rootfs needs a directory".into(),
        });
    }
    let mut warnings = Vec::new();
    let mut tree = DirTree::rootfs(root, &mut warnings);
    let mut inv = inventory_tree(&mut tree, 0);
    inv.warnings.splice(0..0, warnings);
    Ok(inv)
}
