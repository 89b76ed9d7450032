//! Installed-package metadata, read from what is deployed rather than from
//! lockfiles: `node_modules/**/package.json`, Python `*.dist-info/METADATA`
//! and `*.egg-info/PKG-INFO`, Maven `pom.properties` inside jars, Go build
//! information embedded in binaries, and the dependency list that
//! `cargo auditable` embeds in Rust binaries.

use std::io::Read;

use serde::Deserialize;

/// A package found in installed metadata.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub ecosystem: &'static str,
    pub name: String,
    pub version: String,
    pub commit: Option<String>,
    /// Indices (into the same list) this package depends on, where known.
    pub depends: Vec<usize>,
    /// The binary's own module or crate, rather than a dependency.
    pub main: bool,
}

fn found(ecosystem: &'static str, name: &str, version: &str) -> Found {
    Found {
        ecosystem,
        name: name.to_string(),
        version: version.to_string(),
        commit: None,
        depends: Vec::new(),
        main: false,
    }
}

/// `package.json` of an installed npm package.
pub fn npm_package_json(text: &str) -> Option<Found> {
    #[derive(Deserialize)]
    struct Pkg {
        name: Option<String>,
        version: Option<String>,
    }
    let pkg: Pkg = serde_json::from_str(text).ok()?;
    let (name, version) = (pkg.name?, pkg.version?);
    (!name.is_empty() && !version.is_empty()).then(|| found("npm", &name, &version))
}

/// A Python core-metadata file (`METADATA`, `PKG-INFO`): its `Name` and
/// `Version` headers.
pub fn python_metadata(text: &str) -> Option<Found> {
    let mut name = None;
    let mut version = None;
    for line in text.lines() {
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.strip_prefix("Name:") {
            name = Some(v.trim().to_string());
        } else if let Some(v) = line.strip_prefix("Version:") {
            version = Some(v.trim().to_string());
        }
    }
    let (name, version) = (name?, version?);
    (!name.is_empty() && !version.is_empty()).then(|| found("PyPI", &name, &version))
}

/// A jar's `META-INF/maven/<group>/<artifact>/pom.properties`.
pub fn pom_properties(text: &str) -> Option<Found> {
    let mut group = None;
    let mut artifact = None;
    let mut version = None;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        match k.trim() {
            "groupId" => group = Some(v.trim().to_string()),
            "artifactId" => artifact = Some(v.trim().to_string()),
            "version" => version = Some(v.trim().to_string()),
            _ => {}
        }
    }
    Some(found(
        "Maven",
        &format!("{}:{}", group?, artifact?),
        &version?,
    ))
}

/// Random access to a file's bytes: `read_at(offset, len)` returns exactly
/// `len` bytes or `None`.
pub type ReadAt<'a> = &'a dyn Fn(u64, usize) -> Option<Vec<u8>>;

/// Largest ELF section read.
const MAX_SECTION: u64 = 64 * 1024 * 1024;

/// The named sections of an ELF file (32 or 64 bit, either byte order), read
/// through `read_at` so that only headers and the wanted sections are read.
fn elf_sections(read_at: ReadAt<'_>, wanted: &[&str]) -> Option<Vec<(String, Vec<u8>)>> {
    let ident = read_at(0, 64).or_else(|| read_at(0, 52))?;
    if ident.get(..4)? != b"\x7fELF" {
        return None;
    }
    let is64 = ident[4] == 2;
    let le = ident[5] == 1;
    let num = |b: &[u8]| -> u64 {
        let mut v: u64 = 0;
        for i in 0..b.len() {
            let byte = if le { b[b.len() - 1 - i] } else { b[i] };
            v = (v << 8) | u64::from(byte);
        }
        v
    };
    let (shoff, shentsize, shnum, shstrndx) = if is64 {
        (
            num(ident.get(0x28..0x30)?),
            num(ident.get(0x3A..0x3C)?),
            num(ident.get(0x3C..0x3E)?),
            num(ident.get(0x3E..0x40)?),
        )
    } else {
        (
            num(ident.get(0x20..0x24)?),
            num(ident.get(0x2E..0x30)?),
            num(ident.get(0x30..0x32)?),
            num(ident.get(0x32..0x34)?),
        )
    };
    let shnum = shnum.min(4096);
    if shentsize < if is64 { 0x40 } else { 0x28 } || shnum == 0 {
        return None;
    }
    let table = read_at(shoff, usize::try_from(shentsize.checked_mul(shnum)?).ok()?)?;
    let header = |i: u64| -> Option<(u64, u64, u64)> {
        let base = usize::try_from(i * shentsize).ok()?;
        let h = table.get(base..base + usize::try_from(shentsize).ok()?)?;
        let name = num(h.get(0..4)?);
        if is64 {
            Some((name, num(h.get(0x18..0x20)?), num(h.get(0x20..0x28)?)))
        } else {
            Some((name, num(h.get(0x10..0x14)?), num(h.get(0x14..0x18)?)))
        }
    };
    let (_, str_off, str_size) = header(shstrndx)?;
    let names = read_at(str_off, usize::try_from(str_size.min(MAX_SECTION)).ok()?)?;
    let mut out = Vec::new();
    for i in 0..shnum {
        let Some((name_off, offset, size)) = header(i) else {
            continue;
        };
        let Some(name_bytes) = names.get(usize::try_from(name_off).ok()?..) else {
            continue;
        };
        let end = name_bytes
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(name_bytes.len());
        let name = String::from_utf8_lossy(&name_bytes[..end]);
        if wanted.contains(&name.as_ref())
            && size <= MAX_SECTION
            && let Some(data) = read_at(offset, usize::try_from(size).ok()?)
        {
            out.push((name.into_owned(), data));
        }
    }
    Some(out)
}

/// Packages embedded in an executable: Go build information or a
/// `cargo auditable` dependency tree.
pub fn binary_packages(read_at: ReadAt<'_>) -> Option<Vec<Found>> {
    let sections = elf_sections(read_at, &[".go.buildinfo", ".dep-v0"])?;
    for (name, data) in sections {
        let found = match name.as_str() {
            ".go.buildinfo" => go_buildinfo(&data),
            _ => rust_auditable(&data),
        };
        if found.is_some() {
            return found;
        }
    }
    None
}

/// [`binary_packages`] over bytes in memory.
pub fn binary_packages_in(data: &[u8]) -> Option<Vec<Found>> {
    let read_at = |offset: u64, len: usize| -> Option<Vec<u8>> {
        let start = usize::try_from(offset).ok()?;
        data.get(start..start.checked_add(len)?).map(<[u8]>::to_vec)
    };
    binary_packages(&read_at)
}

/// Reads an unsigned LEB128 varint.
fn uvarint(data: &[u8]) -> Option<(u64, usize)> {
    let mut value: u64 = 0;
    for (i, &b) in data.iter().enumerate().take(10) {
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

const GO_MAGIC: &[u8] = b"\xff Go buildinf:";

/// The module build information Go (1.18 and later) embeds in binaries (the
/// `.go.buildinfo` section): the main module, its dependencies (`dep` lines,
/// after `=>` replacements) and the Go version as `stdlib`.
fn go_buildinfo(section: &[u8]) -> Option<Vec<Found>> {
    if !section.starts_with(GO_MAGIC) || section.len() < 32 {
        return None;
    }
    let flags = section[15];
    if flags & 0x2 == 0 {
        // Pre-1.18 binaries store pointers to the strings; not supported.
        return None;
    }
    let mut rest = &section[32..];
    let mut strings = Vec::new();
    for _ in 0..2 {
        let (len, used) = uvarint(rest)?;
        let len = usize::try_from(len).ok()?;
        let s = rest.get(used..used + len)?;
        strings.push(String::from_utf8_lossy(s).into_owned());
        rest = &rest[used + len..];
    }
    let go_version = strings[0].trim_start_matches("go").to_string();
    // The module info is framed by 16 bytes of sentinel on each side.
    let modinfo = strings[1]
        .get(16..strings[1].len().saturating_sub(16))
        .unwrap_or("");
    let mut out: Vec<Found> = Vec::new();
    for line in modinfo.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        match fields.as_slice() {
            ["mod", path, version, ..] => {
                let mut f = found("Go", path, version.trim_start_matches('v'));
                f.main = true;
                out.push(f);
            }
            ["dep", path, version, ..] => {
                out.push(found("Go", path, version.trim_start_matches('v')))
            }
            ["=>", path, version, ..] => {
                if let Some(last) = out.last_mut() {
                    *last = found("Go", path, version.trim_start_matches('v'));
                }
            }
            _ => {}
        }
    }
    if !go_version.is_empty() {
        out.push(found("Go", "stdlib", &go_version));
    }
    Some(out)
}

/// Most bytes the compressed dependency list of a Rust binary may inflate to.
const MAX_AUDITABLE_JSON: u64 = 8 * 1024 * 1024;

/// The dependency tree `cargo auditable` embeds (`.dep-v0`, zlib-compressed JSON).
fn rust_auditable(section: &[u8]) -> Option<Vec<Found>> {
    #[derive(Deserialize)]
    struct Tree {
        packages: Vec<Pkg>,
    }
    #[derive(Deserialize)]
    struct Pkg {
        name: String,
        version: String,
        #[serde(default)]
        source: Option<String>,
        #[serde(default)]
        dependencies: Vec<usize>,
        #[serde(default)]
        root: bool,
    }
    let mut json = Vec::new();
    flate2::read::ZlibDecoder::new(section)
        .take(MAX_AUDITABLE_JSON)
        .read_to_end(&mut json)
        .ok()?;
    let tree: Tree = serde_json::from_slice(&json).ok()?;
    let count = tree.packages.len();
    Some(
        tree.packages
            .into_iter()
            .map(|p| Found {
                ecosystem: "crates.io",
                main: p.root || p.source.as_deref() == Some("local"),
                commit: p
                    .source
                    .as_deref()
                    .and_then(|s| s.strip_prefix("git+"))
                    .and_then(|s| s.rsplit_once('#'))
                    .map(|(_, c)| c.to_string()),
                depends: p.dependencies.into_iter().filter(|&d| d < count).collect(),
                name: p.name,
                version: p.version,
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_files_give_name_and_version() {
        assert_eq!(
            npm_package_json(r#"{"name": "left-pad", "version": "1.3.0"}"#).map(|f| f.version),
            Some("1.3.0".into())
        );
        assert_eq!(npm_package_json(r#"{"name": "no-version"}"#), None);
        let meta =
            "Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\n\nVersion: not-a-header\n";
        assert_eq!(
            python_metadata(meta).map(|f| (f.name, f.version)),
            Some(("requests".into(), "2.31.0".into()))
        );
        let props =
            "#Generated by Maven\ngroupId=org.slf4j\nartifactId=slf4j-api\nversion=1.7.36\n";
        assert_eq!(
            pom_properties(props).map(|f| f.name),
            Some("org.slf4j:slf4j-api".into())
        );
    }

    /// A minimal 64-bit little-endian ELF file with the given sections.
    pub(crate) fn elf_with(sections: &[(&str, &[u8])]) -> Vec<u8> {
        let mut names = vec![0u8];
        let mut name_offsets = Vec::new();
        for (name, _) in sections.iter().copied().chain([(".shstrtab", &[][..])]) {
            name_offsets.push(names.len() as u32);
            names.extend(name.as_bytes());
            names.push(0);
        }
        let mut data = vec![0u8; 64];
        let mut placed = Vec::new();
        for (_, content) in sections {
            placed.push((data.len() as u64, content.len() as u64));
            data.extend(*content);
        }
        placed.push((data.len() as u64, names.len() as u64));
        data.extend(&names);
        let shoff = data.len() as u64;
        data.extend([0u8; 64]); // the null section
        for (i, (offset, size)) in placed.iter().enumerate() {
            let mut h = [0u8; 64];
            h[0..4].copy_from_slice(&name_offsets[i].to_le_bytes());
            h[0x18..0x20].copy_from_slice(&offset.to_le_bytes());
            h[0x20..0x28].copy_from_slice(&size.to_le_bytes());
            data.extend(h);
        }
        data[..4].copy_from_slice(b"\x7fELF");
        data[4] = 2;
        data[5] = 1;
        data[0x28..0x30].copy_from_slice(&shoff.to_le_bytes());
        data[0x3A..0x3C].copy_from_slice(&64u16.to_le_bytes());
        let count = (placed.len() + 1) as u16;
        data[0x3C..0x3E].copy_from_slice(&count.to_le_bytes());
        data[0x3E..0x40].copy_from_slice(&(count - 1).to_le_bytes());
        data
    }

    fn varint_string(s: &str) -> Vec<u8> {
        let mut out = Vec::new();
        let mut n = s.len();
        while n >= 0x80 {
            out.push((n as u8 & 0x7f) | 0x80);
            n >>= 7;
        }
        out.push(n as u8);
        out.extend(s.as_bytes());
        out
    }

    #[test]
    fn go_build_information_is_read_from_its_section() {
        let sentinel = "0123456789abcdef";
        let modinfo = format!(
            "{sentinel}path\texample.com/app\nmod\texample.com/app\t(devel)\t\ndep\tgithub.com/a/b\tv1.2.3\th1:x\ndep\tgolang.org/x/net\tv0.1.0\th1:y\n=>\texample.com/fork/net\tv0.2.0\th1:z\n{sentinel}"
        );
        let mut section = b"\xff Go buildinf:".to_vec();
        section.extend([8u8, 2]);
        section.resize(32, 0);
        section.extend(varint_string("go1.21.5"));
        section.extend(varint_string(&modinfo));
        let elf = elf_with(&[(".text", b"code"), (".go.buildinfo", &section)]);
        let found = binary_packages_in(&elf).expect("go binary");
        let got: Vec<(&str, &str, bool)> = found
            .iter()
            .map(|f| (f.name.as_str(), f.version.as_str(), f.main))
            .collect();
        assert_eq!(
            got,
            [
                ("example.com/app", "(devel)", true),
                ("github.com/a/b", "1.2.3", false),
                ("example.com/fork/net", "0.2.0", false),
                ("stdlib", "1.21.5", false),
            ]
        );
    }

    #[test]
    fn cargo_auditable_dependency_trees_are_read() {
        let json = br#"{"packages":[{"name":"app","version":"0.1.0","source":"local","dependencies":[1],"root":true},{"name":"smallvec","version":"1.6.0","source":"crates.io"}]}"#;
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut z, json).expect("compress");
        let elf = elf_with(&[(".dep-v0", &z.finish().expect("finish"))]);
        let found = binary_packages_in(&elf).expect("rust binary");
        assert_eq!(found.len(), 2);
        assert!(found[0].main && !found[1].main);
        assert_eq!(found[0].depends, [1]);
        assert_eq!(
            (found[1].name.as_str(), found[1].version.as_str()),
            ("smallvec", "1.6.0")
        );
    }

    #[test]
    fn garbage_is_not_a_binary() {
        assert_eq!(binary_packages_in(b"\x7fELF not really"), None);
        assert_eq!(binary_packages_in(&[0u8; 64]), None);
        let mut fake = vec![0u8; 64];
        fake[..4].copy_from_slice(b"\x7fELF");
        fake[4] = 2;
        fake[5] = 1;
        fake[0x28..0x30].copy_from_slice(&u64::MAX.to_le_bytes());
        fake[0x3A..0x3C].copy_from_slice(&64u16.to_le_bytes());
        fake[0x3C..0x3E].copy_from_slice(&3u16.to_le_bytes());
        assert_eq!(
            binary_packages_in(&fake),
            None,
            "a section table past the end is ignored"
        );
    }
}
