//! Container images: `docker save` tarballs and OCI image layouts (a directory
//! or a tar of one). Layers are applied in order — `.wh.NAME` deletes NAME,
//! `.wh..wh..opq` empties a directory of what lower layers put there — and the
//! merged filesystem is inventoried like any other tree. Nothing is extracted.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::model::{Inventory, Warning};
use crate::tree::{Entry, Tree, clean_path, inventory_tree};
use crate::{Error, Result};

/// Most bytes a layer may expand to.
pub const MAX_LAYER_BYTES: u64 = 32 * 1024 * 1024 * 1024;
/// Most entries in one layer, and in the merged filesystem.
pub const MAX_ENTRIES: usize = 2_000_000;

/// Where a blob lives: a file, or a region of the outer tarball.
#[derive(Clone, Debug)]
enum Blob {
    File(PathBuf),
    Region {
        file: PathBuf,
        offset: u64,
        size: u64,
    },
}

impl Blob {
    /// A reader over the blob, decompressed when it is gzip.
    fn open(&self) -> Result<Box<dyn Read>> {
        let (path, reader): (&Path, Box<dyn Read>) = match self {
            Blob::File(p) => (
                p,
                Box::new(BufReader::new(File::open(p).map_err(|e| Error::io(p, e))?)),
            ),
            Blob::Region { file, offset, size } => {
                let mut f = File::open(file).map_err(|e| Error::io(file, e))?;
                f.seek(SeekFrom::Start(*offset))
                    .map_err(|e| Error::io(file, e))?;
                (file, Box::new(BufReader::new(f).take(*size)))
            }
        };
        let mut reader = BufReader::new(reader);
        let head = std::io::BufRead::fill_buf(&mut reader).map_err(|e| Error::io(path, e))?;
        if head.starts_with(&[0x1f, 0x8b]) {
            Ok(Box::new(flate2::read::MultiGzDecoder::new(reader)))
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Err(Error::Unsupported {
                path: path.to_path_buf(),
                message: "zstd-compressed layers are not supported".into(),
            })
        } else {
            Ok(Box::new(reader))
        }
    }

    fn read_all(&self, limit: u64) -> Result<Vec<u8>> {
        let mut data = Vec::new();
        self.open()?
            .take(limit + 1)
            .read_to_end(&mut data)
            .map_err(|e| Error::io(self.path(), e))?;
        if data.len() as u64 > limit {
            return Err(Error::TooLarge {
                origin: self.path().display().to_string(),
                message: format!("blob over {limit} bytes"),
            });
        }
        Ok(data)
    }

    fn path(&self) -> &Path {
        match self {
            Blob::File(p) | Blob::Region { file: p, .. } => p,
        }
    }
}

/// The files of an image: a directory (OCI layout) or a tarball's members.
struct Container {
    label: String,
    blobs: HashMap<String, Blob>,
}

impl Container {
    fn open(path: &Path) -> Result<Container> {
        let label = path.display().to_string();
        let mut blobs = HashMap::new();
        if path.is_dir() {
            let mut stack = vec![path.to_path_buf()];
            while let Some(dir) = stack.pop() {
                for entry in std::fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))? {
                    let entry = entry.map_err(|e| Error::io(&dir, e))?;
                    let p = entry.path();
                    if entry.file_type().map_err(|e| Error::io(&p, e))?.is_dir() {
                        stack.push(p);
                    } else if let Some(rel) = p
                        .strip_prefix(path)
                        .ok()
                        .and_then(|r| r.to_str())
                        .and_then(clean_path)
                    {
                        blobs.insert(rel, Blob::File(p));
                    }
                }
            }
        } else {
            let file = File::open(path).map_err(|e| Error::io(path, e))?;
            let mut archive = tar::Archive::new(BufReader::new(file));
            let entries = archive.entries().map_err(|e| Error::Parse {
                origin: label.clone(),
                line: None,
                message: format!("not a tar archive: {e}"),
            })?;
            for entry in entries.take(MAX_ENTRIES) {
                let entry = entry.map_err(|e| Error::Parse {
                    origin: label.clone(),
                    line: None,
                    message: format!("broken tar archive: {e}"),
                })?;
                if !entry.header().entry_type().is_file() {
                    continue;
                }
                let Some(name) = entry
                    .path()
                    .ok()
                    .and_then(|p| p.to_str().and_then(clean_path))
                else {
                    continue;
                };
                blobs.insert(
                    name,
                    Blob::Region {
                        file: path.to_path_buf(),
                        offset: entry.raw_file_position(),
                        size: entry.size(),
                    },
                );
            }
        }
        Ok(Container { label, blobs })
    }

    fn json<T: serde::de::DeserializeOwned>(&self, name: &str) -> Result<T> {
        let blob = self.blobs.get(name).ok_or_else(|| Error::Parse {
            origin: format!("{}!{name}", self.label),
            line: None,
            message: "missing".into(),
        })?;
        let data = blob.read_all(64 * 1024 * 1024)?;
        serde_json::from_slice(&data).map_err(|e| Error::Parse {
            origin: format!("{}!{name}", self.label),
            line: Some(e.line()),
            message: format!("invalid JSON: {e}"),
        })
    }

    /// The layer blobs of the image, bottom first.
    fn layers(&self) -> Result<Vec<String>> {
        #[derive(Deserialize)]
        struct DockerManifest {
            #[serde(rename = "Layers")]
            layers: Vec<String>,
        }
        #[derive(Deserialize)]
        struct Descriptor {
            digest: String,
            #[serde(default)]
            platform: Option<serde_json::Value>,
        }
        #[derive(Deserialize)]
        struct Index {
            #[serde(default)]
            manifests: Vec<Descriptor>,
            #[serde(default)]
            layers: Vec<Descriptor>,
        }
        if self.blobs.contains_key("manifest.json") {
            let manifests: Vec<DockerManifest> = self.json("manifest.json")?;
            let first = manifests.into_iter().next().ok_or_else(|| Error::Parse {
                origin: format!("{}!manifest.json", self.label),
                line: None,
                message: "lists no image".into(),
            })?;
            return Ok(first.layers.iter().filter_map(|l| clean_path(l)).collect());
        }
        if self.blobs.contains_key("index.json") {
            let blob_name = |digest: &str| format!("blobs/{}", digest.replacen(':', "/", 1));
            let mut index: Index = self.json("index.json")?;
            // Follow nested indexes to an image manifest, preferring linux/amd64.
            for _ in 0..4 {
                if !index.layers.is_empty() {
                    return Ok(index.layers.iter().map(|l| blob_name(&l.digest)).collect());
                }
                let pick = index
                    .manifests
                    .iter()
                    .find(|m| {
                        m.platform
                            .as_ref()
                            .is_some_and(|p| p["os"] == "linux" && p["architecture"] == "amd64")
                    })
                    .or_else(|| index.manifests.first())
                    .ok_or_else(|| Error::Parse {
                        origin: format!("{}!index.json", self.label),
                        line: None,
                        message: "lists no manifest".into(),
                    })?;
                index = self.json(&blob_name(&pick.digest))?;
            }
            return Err(Error::Parse {
                origin: self.label.clone(),
                line: None,
                message: "image indexes nested too deep".into(),
            });
        }
        Err(Error::Unsupported {
            path: PathBuf::from(&self.label),
            message:
                "not a container image: no manifest.json (docker save) or index.json (OCI layout)"
                    .into(),
        })
    }
}

/// A file of the merged filesystem: which layer holds it, and its position
/// among that layer's members.
#[derive(Clone, Debug)]
struct Placed {
    layer: usize,
    member: usize,
}

/// The merged filesystem of an image's layers.
struct LayerTree {
    label: String,
    layers: Vec<Blob>,
    entries: Vec<Entry>,
    placed: HashMap<String, Placed>,
}

impl LayerTree {
    fn merge(label: &str, layers: Vec<Blob>, warnings: &mut Vec<Warning>) -> Result<LayerTree> {
        // path -> (placement, size, executable)
        let mut files: BTreeMap<String, (Placed, u64, bool)> = BTreeMap::new();
        for (l, blob) in layers.iter().enumerate() {
            let reader = blob.open()?;
            let mut archive = tar::Archive::new(CountingReader {
                inner: reader,
                count: 0,
                limit: MAX_LAYER_BYTES,
            });
            let origin = format!("{label}!layer {l}");
            let entries = archive.entries().map_err(|e| Error::Parse {
                origin: origin.clone(),
                line: None,
                message: e.to_string(),
            })?;
            let mut opaque: Vec<String> = Vec::new();
            let mut whiteouts: Vec<String> = Vec::new();
            let mut added: Vec<(String, (Placed, u64, bool))> = Vec::new();
            for (member, entry) in entries.enumerate() {
                if member >= MAX_ENTRIES {
                    return Err(Error::TooLarge {
                        origin,
                        message: format!("more than {MAX_ENTRIES} entries"),
                    });
                }
                let entry = entry.map_err(|e| Error::Parse {
                    origin: origin.clone(),
                    line: None,
                    message: e.to_string(),
                })?;
                let raw = entry
                    .path()
                    .map(|p| p.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let Some(path) = clean_path(&raw).filter(|_| !raw.split('/').any(|c| c == ".."))
                else {
                    if !raw.trim_matches(['/', '.']).is_empty() {
                        warnings.push(Warning::new(
                            format!("{origin}!{raw}"),
                            "entry name leaves the image; ignored",
                        ));
                    }
                    continue;
                };
                let (dir, name) = path.rsplit_once('/').unwrap_or(("", path.as_str()));
                if name == ".wh..wh..opq" {
                    opaque.push(dir.to_string());
                    continue;
                }
                if let Some(deleted) = name.strip_prefix(".wh.") {
                    whiteouts.push(if dir.is_empty() {
                        deleted.to_string()
                    } else {
                        format!("{dir}/{deleted}")
                    });
                    continue;
                }
                let header = entry.header();
                if header.entry_type().is_file() {
                    let executable = header.mode().is_ok_and(|m| m & 0o111 != 0);
                    added.push((
                        path,
                        (Placed { layer: l, member }, entry.size(), executable),
                    ));
                } else if header.entry_type().is_dir()
                    || header.entry_type().is_symlink()
                    || header.entry_type().is_hard_link()
                {
                    // A directory, link or symlink replaces a lower file of that name.
                    files.remove(&path);
                }
            }
            // This layer's deletions apply to the layers below it only.
            for dir in &opaque {
                let prefix = format!("{dir}/");
                files.retain(|p, _| !(dir.is_empty() || p.starts_with(&prefix)));
            }
            for gone in &whiteouts {
                let prefix = format!("{gone}/");
                files.retain(|p, _| p != gone && !p.starts_with(&prefix));
            }
            for (path, value) in added {
                files.insert(path, value);
            }
            if files.len() > MAX_ENTRIES {
                return Err(Error::TooLarge {
                    origin: label.to_string(),
                    message: format!("more than {MAX_ENTRIES} files"),
                });
            }
        }
        let entries = files
            .iter()
            .map(|(p, (_, size, exec))| Entry {
                path: p.clone(),
                size: *size,
                executable: *exec,
            })
            .collect();
        let placed = files
            .into_iter()
            .map(|(p, (placed, _, _))| (p, placed))
            .collect();
        Ok(LayerTree {
            label: label.to_string(),
            layers,
            entries,
            placed,
        })
    }
}

/// Counts bytes read and stops past a limit, to bound decompression.
struct CountingReader<R> {
    inner: R,
    count: u64,
    limit: u64,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        if self.count > self.limit {
            return Err(std::io::Error::other(format!(
                "layer expands past {} bytes",
                self.limit
            )));
        }
        Ok(n)
    }
}

impl Tree for LayerTree {
    fn prefix(&self) -> String {
        format!("{}!", self.label)
    }

    fn entries(&self) -> &[Entry] {
        &self.entries
    }

    fn read_files(&mut self, paths: &[String], limit: u64) -> Vec<(String, Result<Vec<u8>>)> {
        let mut by_layer: BTreeMap<usize, HashMap<usize, &String>> = BTreeMap::new();
        let mut out: Vec<(String, Result<Vec<u8>>)> = Vec::new();
        for p in paths {
            match self.placed.get(p) {
                Some(placed) => {
                    by_layer
                        .entry(placed.layer)
                        .or_default()
                        .insert(placed.member, p);
                }
                None => out.push((
                    p.clone(),
                    Err(Error::Parse {
                        origin: format!("{}!{p}", self.label),
                        line: None,
                        message: "not in the image".into(),
                    }),
                )),
            }
        }
        let mut found: HashMap<&String, Result<Vec<u8>>> = HashMap::new();
        for (layer, wanted) in by_layer {
            let origin = format!("{}!layer {layer}", self.label);
            let reader = match self.layers[layer].open() {
                Ok(r) => r,
                Err(e) => {
                    for p in wanted.values() {
                        found.insert(
                            p,
                            Err(Error::Parse {
                                origin: origin.clone(),
                                line: None,
                                message: e.to_string(),
                            }),
                        );
                    }
                    continue;
                }
            };
            let mut archive = tar::Archive::new(CountingReader {
                inner: reader,
                count: 0,
                limit: MAX_LAYER_BYTES,
            });
            let Ok(entries) = archive.entries() else {
                continue;
            };
            let last = wanted.keys().max().copied().unwrap_or(0);
            for (member, entry) in entries.enumerate() {
                if member > last {
                    break;
                }
                let Some(&p) = wanted.get(&member) else {
                    continue;
                };
                let result = entry
                    .map_err(|e| Error::Parse {
                        origin: origin.clone(),
                        line: None,
                        message: e.to_string(),
                    })
                    .and_then(|entry| {
                        if entry.size() > limit {
                            return Err(Error::TooLarge {
                                origin: format!("{}!{p}", self.label),
                                message: format!("{} bytes; not read", entry.size()),
                            });
                        }
                        let mut data = Vec::with_capacity(entry.size() as usize);
                        entry
                            .take(limit)
                            .read_to_end(&mut data)
                            .map_err(|e| Error::Parse {
                                origin: origin.clone(),
                                line: None,
                                message: e.to_string(),
                            })?;
                        Ok(data)
                    });
                found.insert(p, result);
            }
        }
        for p in paths {
            if let Some(result) = found.remove(p) {
                out.push((p.clone(), result));
            }
        }
        out
    }
}

/// True when a directory is an OCI image layout.
pub(crate) fn is_oci_layout(dir: &Path) -> bool {
    dir.join("oci-layout").is_file() && dir.join("index.json").is_file()
}

/// True when a tar file looks like an image (`manifest.json` or `index.json` at
/// its top level), judged from its first members.
pub(crate) fn is_image_tar(path: &Path) -> bool {
    let Ok(file) = File::open(path) else {
        return false;
    };
    let mut archive = tar::Archive::new(BufReader::new(file));
    let Ok(entries) = archive.entries() else {
        return false;
    };
    for entry in entries.take(10_000) {
        let Ok(entry) = entry else { return false };
        if let Some(name) = entry
            .path()
            .ok()
            .and_then(|p| p.to_str().and_then(clean_path))
            && matches!(name.as_str(), "manifest.json" | "index.json" | "oci-layout")
        {
            return true;
        }
    }
    false
}

/// The inventory of a container image: a `docker save` tarball, an OCI layout
/// directory, or a tar of one.
pub fn image(path: &Path) -> Result<Inventory> {
    let container = Container::open(path)?;
    let layer_names = container.layers()?;
    let mut layers = Vec::new();
    for name in &layer_names {
        let blob = container
            .blobs
            .get(name)
            .cloned()
            .ok_or_else(|| Error::Parse {
                origin: format!("{}!{name}", container.label),
                line: None,
                message: "layer blob is missing".into(),
            })?;
        layers.push(blob);
    }
    let mut warnings = Vec::new();
    let mut tree = LayerTree::merge(&container.label, layers, &mut warnings)?;
    let mut inv = inventory_tree(&mut tree, 0);
    inv.warnings.extend(warnings);
    Ok(inv)
}
