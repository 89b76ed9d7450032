//! File trees inventoried as a whole: directories, zip archives (function
//! packages, jars) and container images. Each is read in place; nothing is
//! extracted to disk.
//!
//! In a tree palisade reads lockfiles and manifests, operating-system package
//! databases, installed package metadata (`node_modules`, Python `dist-info`,
//! jars and the jars nested in them) and the dependency information embedded in
//! Go and Rust executables.

use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Seek};
use std::path::{Path, PathBuf};

use crate::formats::Builder;
use crate::installed::{self, Found};
use crate::model::{Inventory, Scope, Warning};
use crate::os::{self, Distro};
use crate::{Format, Result};

/// Largest file read from a tree (lockfiles, metadata, executables).
pub const MAX_TREE_FILE: u64 = 256 * 1024 * 1024;
/// Most bytes read out of one archive in total.
pub const MAX_ARCHIVE_TOTAL: u64 = 4 * 1024 * 1024 * 1024;
/// Highest compression ratio accepted for a member of a zip archive larger
/// than [`BOMB_FLOOR`] bytes.
pub const MAX_RATIO: u64 = 200;
const BOMB_FLOOR: u64 = 1024 * 1024;
/// Jars inside jars inside jars: deeper nesting is not read.
const MAX_NESTING: usize = 3;

/// A file of a tree.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    /// Relative path with `/` separators and no leading `/`.
    pub(crate) path: String,
    pub(crate) size: u64,
    pub(crate) executable: bool,
}

/// A tree of files that can be listed and read.
pub(crate) trait Tree {
    /// How the tree's files are named in results: `archive.zip!` or `dir/`.
    fn prefix(&self) -> String;
    fn entries(&self) -> &[Entry];
    /// Reads the named files, at most `limit` bytes each.
    fn read_files(&mut self, paths: &[String], limit: u64) -> Vec<(String, Result<Vec<u8>>)>;
    /// The on-disk path of a file, when there is one.
    fn disk_path(&self, _path: &str) -> Option<PathBuf> {
        None
    }
    /// Packages embedded in an executable.
    fn binary(&mut self, path: &str) -> Option<Vec<Found>> {
        let mut files = self.read_files(&[path.to_string()], MAX_TREE_FILE);
        let (_, data) = files.pop()?;
        installed::binary_packages_in(&data.ok()?)
    }
}

/// Normalizes an archive member name; `None` for names that climb out of the
/// archive (`..`) — they are reported, never used.
pub(crate) fn clean_path(name: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in name.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

// ---- directories ----------------------------------------------------------------

/// A directory on disk.
pub(crate) struct DirTree {
    root: PathBuf,
    entries: Vec<Entry>,
}

/// Directories of a running system whose contents are not packages.
const SYSTEM_DIRS: &[&str] = &[
    "proc",
    "sys",
    "dev",
    "run",
    "tmp",
    "var/tmp",
    "var/cache",
    "var/log",
    "lost+found",
];

impl DirTree {
    /// Walks a project or function directory: `.gitignore` is honoured, hidden
    /// entries and `.git` are skipped, and a `node_modules` folder is read only
    /// when no lockfile beside it covers it.
    pub(crate) fn project(root: &Path, warnings: &mut Vec<Warning>) -> DirTree {
        let mut walker = ignore::WalkBuilder::new(root);
        walker
            .hidden(true)
            .git_ignore(true)
            .git_exclude(true)
            .parents(false)
            .follow_links(false)
            .max_depth(Some(64))
            .filter_entry(|e| {
                let name = e.file_name().to_str().unwrap_or("");
                if name == ".git" {
                    return false;
                }
                if name == "node_modules" {
                    let dir = e.path().parent().unwrap_or(Path::new(""));
                    let covered = [
                        "package-lock.json",
                        "npm-shrinkwrap.json",
                        "yarn.lock",
                        "pnpm-lock.yaml",
                    ]
                    .iter()
                    .any(|l| dir.join(l).is_file());
                    return !covered;
                }
                true
            });
        DirTree::walk(root, &mut walker, warnings)
    }

    /// Walks an unpacked root filesystem: everything but the kernel's and the
    /// run-time's virtual and scratch directories.
    pub(crate) fn rootfs(root: &Path, warnings: &mut Vec<Warning>) -> DirTree {
        let base = root.to_path_buf();
        let mut walker = ignore::WalkBuilder::new(root);
        walker
            .standard_filters(false)
            .follow_links(false)
            .max_depth(Some(64))
            .filter_entry(move |e| {
                let rel = e.path().strip_prefix(&base).unwrap_or(e.path());
                let rel = rel.to_string_lossy();
                // Caches tagged by the Cache Directory Tagging convention (build
                // output, package-manager caches) hold nothing deployed.
                let cache = e.file_type().is_some_and(|t| t.is_dir())
                    && e.path().join("CACHEDIR.TAG").is_file();
                !SYSTEM_DIRS.contains(&rel.as_ref()) && !cache
            });
        DirTree::walk(root, &mut walker, warnings)
    }

    fn walk(root: &Path, walker: &mut ignore::WalkBuilder, warnings: &mut Vec<Warning>) -> DirTree {
        walker.sort_by_file_name(|a, b| a.cmp(b));
        let mut entries = Vec::new();
        for item in walker.build() {
            let item = match item {
                Ok(i) => i,
                Err(e) => {
                    warnings.push(Warning::new(root.display().to_string(), e.to_string()));
                    continue;
                }
            };
            if !item.file_type().is_some_and(|t| t.is_file()) {
                continue;
            }
            let Ok(rel) = item.path().strip_prefix(root) else {
                continue;
            };
            let Some(path) = rel.to_str().and_then(clean_path) else {
                continue;
            };
            let meta = item.metadata().ok();
            #[cfg(unix)]
            let executable = {
                use std::os::unix::fs::PermissionsExt;
                meta.as_ref()
                    .is_some_and(|m| m.permissions().mode() & 0o111 != 0)
            };
            #[cfg(not(unix))]
            let executable = path.ends_with(".exe") || path.rsplit('/').next() == Some("bootstrap");
            entries.push(Entry {
                path,
                size: meta.map_or(0, |m| m.len()),
                executable,
            });
        }
        DirTree {
            root: root.to_path_buf(),
            entries,
        }
    }
}

impl Tree for DirTree {
    fn prefix(&self) -> String {
        let root = self.root.display().to_string();
        if root.ends_with('/') {
            root
        } else {
            format!("{root}/")
        }
    }

    fn entries(&self) -> &[Entry] {
        &self.entries
    }

    fn read_files(&mut self, paths: &[String], limit: u64) -> Vec<(String, Result<Vec<u8>>)> {
        paths
            .iter()
            .map(|p| {
                (
                    p.clone(),
                    crate::read::read_bytes(&self.root.join(p), limit),
                )
            })
            .collect()
    }

    fn disk_path(&self, path: &str) -> Option<PathBuf> {
        Some(self.root.join(path))
    }

    fn binary(&mut self, path: &str) -> Option<Vec<Found>> {
        let file = std::cell::RefCell::new(std::fs::File::open(self.root.join(path)).ok()?);
        let read_at = |offset: u64, len: usize| -> Option<Vec<u8>> {
            let mut f = file.borrow_mut();
            f.seek(std::io::SeekFrom::Start(offset)).ok()?;
            let mut buf = vec![0u8; len];
            f.read_exact(&mut buf).ok()?;
            Some(buf)
        };
        installed::binary_packages(&read_at)
    }
}

// ---- zip archives ---------------------------------------------------------------

/// A zip archive: a Lambda deployment package, a jar, a war.
pub(crate) struct ZipTree<R: Read + Seek> {
    label: String,
    archive: zip::ZipArchive<R>,
    entries: Vec<Entry>,
    /// Member index by cleaned path.
    index: HashMap<String, usize>,
    read_total: u64,
}

impl<R: Read + Seek> ZipTree<R> {
    pub(crate) fn open(label: &str, reader: R, warnings: &mut Vec<Warning>) -> Result<ZipTree<R>> {
        let mut archive = zip::ZipArchive::new(reader).map_err(|e| crate::Error::Parse {
            origin: label.to_string(),
            line: None,
            message: format!("not a readable zip archive: {e}"),
        })?;
        let mut entries = Vec::new();
        let mut index = HashMap::new();
        for i in 0..archive.len().min(1_000_000) {
            let Ok(member) = archive.by_index_raw(i) else {
                continue;
            };
            if member.is_dir() {
                continue;
            }
            let name = member.name().map(|n| n.into_owned()).unwrap_or_default();
            let Some(path) =
                clean_path(&name).filter(|_| !name.starts_with('/') && !name.contains(".."))
            else {
                warnings.push(Warning::new(
                    format!("{label}!{name}"),
                    "member name leaves the archive (absolute or `..`); ignored",
                ));
                continue;
            };
            let executable = member.unix_mode().is_some_and(|m| m & 0o111 != 0);
            index.insert(path.clone(), i);
            entries.push(Entry {
                path,
                size: member.size(),
                executable,
            });
        }
        Ok(ZipTree {
            label: label.to_string(),
            archive,
            entries,
            index,
            read_total: 0,
        })
    }

    fn read_member(&mut self, path: &str, limit: u64) -> Result<Vec<u8>> {
        let origin = format!("{}!{path}", self.label);
        let too_large = |message: String| crate::Error::TooLarge {
            origin: origin.clone(),
            message,
        };
        let &i = self
            .index
            .get(path)
            .ok_or_else(|| too_large("no such member".to_string()))?;
        let mut member = self.archive.by_index(i).map_err(|e| crate::Error::Parse {
            origin: origin.clone(),
            line: None,
            message: e.to_string(),
        })?;
        let (size, packed) = (member.size(), member.compressed_size().max(1));
        if size > limit {
            return Err(too_large(format!(
                "{size} bytes; members over {limit} bytes are not read"
            )));
        }
        if size > BOMB_FLOOR && size / packed > MAX_RATIO {
            return Err(too_large(format!(
                "expands {}x ({packed} -> {size} bytes): not read",
                size / packed
            )));
        }
        if self.read_total + size > MAX_ARCHIVE_TOTAL {
            return Err(too_large(format!(
                "the archive's members add up to more than {MAX_ARCHIVE_TOTAL} bytes"
            )));
        }
        let mut data = Vec::with_capacity(size as usize);
        (&mut member)
            .take(limit.min(size.saturating_add(1)))
            .read_to_end(&mut data)
            .map_err(|e| crate::Error::Parse {
                origin: origin.clone(),
                line: None,
                message: e.to_string(),
            })?;
        self.read_total += data.len() as u64;
        Ok(data)
    }
}

impl<R: Read + Seek> Tree for ZipTree<R> {
    fn prefix(&self) -> String {
        format!("{}!", self.label)
    }

    fn entries(&self) -> &[Entry] {
        &self.entries
    }

    fn read_files(&mut self, paths: &[String], limit: u64) -> Vec<(String, Result<Vec<u8>>)> {
        paths
            .iter()
            .map(|p| (p.clone(), self.read_member(p, limit)))
            .collect()
    }
}

// ---- what is in a tree ------------------------------------------------------------

fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn parent_dir(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

/// `.../node_modules/<name>/package.json` or `.../node_modules/@s/<name>/package.json`.
fn is_installed_npm_manifest(path: &str) -> bool {
    let Some((_, tail)) = path.rsplit_once("node_modules/") else {
        return false;
    };
    let parts: Vec<&str> = tail.split('/').collect();
    matches!(parts.as_slice(), [_, "package.json"])
        || matches!(parts.as_slice(), [s, _, "package.json"] if s.starts_with('@'))
}

fn is_archive(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    [".jar", ".war", ".ear", ".hpi", ".zip"]
        .iter()
        .any(|e| lower.ends_with(e))
}

/// Groups installed packages by the folder that holds them, one graph root each.
#[derive(Default)]
struct Installed {
    groups: BTreeMap<String, Vec<(Found, String)>>,
}

impl Installed {
    fn add(&mut self, root: &str, found: Found, origin: String) {
        self.groups
            .entry(root.to_string())
            .or_default()
            .push((found, origin));
    }

    fn into_inventory(self, label: &str) -> Inventory {
        let mut all = Inventory::default();
        for (root, items) in self.groups {
            let ecosystem = items.first().map_or("npm", |(f, _)| f.ecosystem);
            let root_name = if root.is_empty() {
                label.to_string()
            } else {
                root.clone()
            };
            let mut b = Builder::new(
                items.first().map_or(label, |(_, o)| o.as_str()),
                ecosystem,
                &root_name,
            );
            let mut indices = Vec::new();
            for (f, origin) in &items {
                b.set_origin(origin);
                b.set_ecosystem(f.ecosystem);
                let i = b.add(&f.name, &f.version, None);
                if f.commit.is_some() {
                    b.pkg(i).commit = f.commit.clone();
                }
                indices.push(i);
            }
            let has_graph = items.iter().any(|(f, _)| !f.depends.is_empty());
            for ((f, _), &i) in items.iter().zip(&indices) {
                for &d in &f.depends {
                    if let Some(&to) = indices.get(d) {
                        b.depends(Some(i), to);
                    }
                }
                // Without recorded edges every installed package is taken as
                // deployed on purpose; with them, the binary's own crate is the root.
                if !has_graph || f.main {
                    b.direct(i, Scope::Prod);
                }
            }
            all.extend(b.finish());
        }
        all
    }
}

/// Inventories a whole tree. `depth` counts archives inside archives.
pub(crate) fn inventory_tree(tree: &mut dyn Tree, depth: usize) -> Inventory {
    let prefix = tree.prefix();
    let origin = |p: &str| format!("{prefix}{p}");
    let mut inv = Inventory::default();
    let entries: Vec<Entry> = tree.entries().to_vec();

    // Operating system.
    let mut os_paths: Vec<String> = Vec::new();
    for e in &entries {
        let p = e.path.as_str();
        if matches!(
            p,
            "etc/os-release"
                | "usr/lib/os-release"
                | "var/lib/dpkg/status"
                | "lib/apk/db/installed"
                | "var/lib/apt/extended_states"
        ) || (p.starts_with("var/lib/dpkg/status.d/") && !p.ends_with(".md5sums"))
        {
            os_paths.push(e.path.clone());
        }
    }
    let mut os_files: BTreeMap<String, String> = BTreeMap::new();
    for (path, data) in tree.read_files(&os_paths, crate::read::MAX_FILE_BYTES) {
        match data.and_then(|d| crate::read::text_of(&origin(&path), d)) {
            Ok(text) => {
                os_files.insert(path, text);
            }
            Err(e) => inv
                .warnings
                .push(Warning::new(origin(&path), format!("skipped: {e}"))),
        }
    }
    let distro = os_files
        .get("etc/os-release")
        .or_else(|| os_files.get("usr/lib/os-release"))
        .map(|t| Distro::parse(t))
        .unwrap_or_default();
    let dpkg_files: Vec<(String, String)> = os_files
        .iter()
        .filter(|(p, _)| {
            p.as_str() == "var/lib/dpkg/status" || p.starts_with("var/lib/dpkg/status.d/")
        })
        .map(|(p, t)| (origin(p), t.clone()))
        .collect();
    if !dpkg_files.is_empty() {
        let auto = os_files
            .get("var/lib/apt/extended_states")
            .map(|t| os::apt_auto_installed(t))
            .unwrap_or_default();
        inv.extend(os::dpkg(&dpkg_files, &distro, &auto));
    }
    if let Some(text) = os_files.get("lib/apk/db/installed") {
        let distro = if distro.id.is_empty() {
            Distro {
                id: "alpine".into(),
                ..distro
            }
        } else {
            distro
        };
        inv.extend(os::apk(&origin("lib/apk/db/installed"), text, &distro));
    }

    // Lockfiles and manifests (node_modules' own files are installed metadata).
    let mut lockfiles: Vec<(String, Format)> = Vec::new();
    let mut npm_manifests = Vec::new();
    let mut python_meta = Vec::new();
    let mut archives = Vec::new();
    let mut executables = Vec::new();
    for e in &entries {
        let p = e.path.as_str();
        let name = base_name(p);
        if p.contains("node_modules/") {
            if is_installed_npm_manifest(p) {
                npm_manifests.push(e.path.clone());
            }
            continue;
        }
        // Inside jars, META-INF/maven holds the jar's own build files, read
        // through pom.properties instead.
        if let Some(format) = Format::from_name(name).filter(|_| !p.starts_with("META-INF/")) {
            lockfiles.push((e.path.clone(), format));
        } else if p.ends_with(".dist-info/METADATA") || p.ends_with(".egg-info/PKG-INFO") {
            python_meta.push(e.path.clone());
        } else if is_archive(p) && depth < MAX_NESTING {
            archives.push(e.path.clone());
        } else if (e.executable || name == "bootstrap")
            && e.size >= 64
            && e.size <= MAX_TREE_FILE
            && !p.starts_with("usr/share/")
        {
            executables.push(e.path.clone());
        }
    }
    let lock_paths: Vec<String> = lockfiles.iter().map(|(p, _)| p.clone()).collect();
    for ((path, data), (_, format)) in tree
        .read_files(&lock_paths, crate::read::MAX_FILE_BYTES)
        .into_iter()
        .zip(&lockfiles)
    {
        let o = origin(&path);
        let disk = tree.disk_path(&path);
        let result = data
            .and_then(|d| crate::read::text_of(&o, d))
            .and_then(|text| crate::parse(*format, &o, &text, disk.as_deref()));
        match result {
            Ok(found) => inv.extend(found),
            Err(e) => inv.warnings.push(Warning::new(o, format!("skipped: {e}"))),
        }
    }

    // Installed metadata.
    let mut installed = Installed::default();
    let skipped = |path: &str, e: crate::Error, inv: &mut Inventory| {
        inv.warnings
            .push(Warning::new(origin(path), format!("skipped: {e}")));
    };
    for (path, data) in tree.read_files(&npm_manifests, 16 * 1024 * 1024) {
        let data = match data {
            Ok(d) => d,
            Err(e) => {
                skipped(&path, e, &mut inv);
                continue;
            }
        };
        if let Some(found) = installed::npm_package_json(&String::from_utf8_lossy(&data)) {
            let root = path
                .split_once("node_modules/")
                .map_or("", |(r, _)| r)
                .trim_end_matches('/');
            installed.add(root, found, origin(&path));
        }
    }
    for (path, data) in tree.read_files(&python_meta, 16 * 1024 * 1024) {
        let data = match data {
            Ok(d) => d,
            Err(e) => {
                skipped(&path, e, &mut inv);
                continue;
            }
        };
        if let Some(found) = installed::python_metadata(&String::from_utf8_lossy(&data)) {
            installed.add(parent_dir(parent_dir(&path)), found, origin(&path));
        }
    }
    for path in &executables {
        if let Some(found) = tree.binary(path) {
            for f in found {
                installed.add(path, f, origin(path));
            }
        }
    }
    inv.extend(installed.into_inventory(&prefix));

    // Archives inside the tree: jars (their pom.properties and nested jars).
    for (path, data) in tree.read_files(&archives, MAX_TREE_FILE) {
        let o = origin(&path);
        let data = match data {
            Ok(d) => d,
            Err(e) => {
                inv.warnings.push(Warning::new(o, format!("skipped: {e}")));
                continue;
            }
        };
        inv.extend(archive_inventory(&o, std::io::Cursor::new(data), depth + 1));
    }
    inv
}

/// The inventory of a zip archive (a function package, a jar), read from
/// `reader`. Inside a jar, `META-INF/maven/**/pom.properties` names the jar's
/// own artifact and those it shades.
pub(crate) fn archive_inventory<R: Read + Seek>(label: &str, reader: R, depth: usize) -> Inventory {
    let mut warnings = Vec::new();
    let mut tree = match ZipTree::open(label, reader, &mut warnings) {
        Ok(t) => t,
        Err(e) => {
            return Inventory {
                warnings: vec![Warning::new(label.to_string(), format!("skipped: {e}"))],
                ..Inventory::default()
            };
        }
    };
    let props: Vec<String> = tree
        .entries()
        .iter()
        .filter(|e| e.path.starts_with("META-INF/maven/") && e.path.ends_with("/pom.properties"))
        .map(|e| e.path.clone())
        .collect();
    let mut inv = inventory_tree(&mut tree, depth);
    if !props.is_empty() {
        let mut installed = Installed::default();
        for (path, data) in tree.read_files(&props, 1024 * 1024) {
            let Ok(data) = data else { continue };
            if let Some(found) = installed::pom_properties(&String::from_utf8_lossy(&data)) {
                installed.add(label, found, format!("{label}!{path}"));
            }
        }
        inv.extend(installed.into_inventory(label));
    }
    inv.warnings.extend(warnings);
    inv
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_paths_never_leave_the_archive() {
        assert_eq!(clean_path("a/./b//c"), Some("a/b/c".to_string()));
        assert_eq!(clean_path("a/../b"), Some("b".to_string()));
        assert_eq!(clean_path("../../etc/passwd"), None);
        assert_eq!(clean_path("/"), None);
    }

    #[test]
    fn installed_npm_manifests_are_at_a_package_root() {
        assert!(is_installed_npm_manifest(
            "node_modules/left-pad/package.json"
        ));
        assert!(is_installed_npm_manifest(
            "app/node_modules/@aws/sdk/package.json"
        ));
        assert!(!is_installed_npm_manifest(
            "node_modules/left-pad/lib/package.json"
        ));
        assert!(!is_installed_npm_manifest("node_modules/package.json"));
    }
}
