//! Container images built by the test: a `docker save` tarball and OCI
//! layouts (a directory, a tar of one). A later layer removes packages with
//! whiteouts; the inventory must show the merged filesystem, not the union of
//! layers.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;

use palisade_inventory::{Inventory, image, inventory_of};

/// A tar archive of (path, content) files; `None` content makes a directory.
fn tar_of(files: &[(&str, Option<&[u8]>)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (path, content) in files {
        let mut header = tar::Header::new_gnu();
        match content {
            Some(data) => {
                header.set_size(data.len() as u64);
                header.set_mode(0o644);
                header.set_entry_type(tar::EntryType::Regular);
                builder
                    .append_data(&mut header, path, *data)
                    .expect("append");
            }
            None => {
                header.set_size(0);
                header.set_mode(0o755);
                header.set_entry_type(tar::EntryType::Directory);
                builder
                    .append_data(&mut header, path, &[][..])
                    .expect("append dir");
            }
        }
    }
    builder.into_inner().expect("tar")
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    z.write_all(data).expect("gzip");
    z.finish().expect("gzip")
}

const STATUS_BOTH: &[u8] = b"Package: base-files\nStatus: install ok installed\nVersion: 12.4+deb12u5\nArchitecture: amd64\n\nPackage: curl\nStatus: install ok installed\nVersion: 7.88.1-10+deb12u5\nArchitecture: amd64\n";
const STATUS_ONE: &[u8] = b"Package: base-files\nStatus: install ok installed\nVersion: 12.4+deb12u5\nArchitecture: amd64\n";

/// Layer 1 installs two Debian packages, two npm packages and two Python
/// packages; layer 2 removes curl's dpkg entry (a new status file), deletes one
/// npm package with a `.wh.` file and empties site-packages with an opaque
/// whiteout before adding a third Python package.
fn layers() -> (Vec<u8>, Vec<u8>) {
    let first = tar_of(&[
        ("etc/os-release", Some(b"ID=debian\nVERSION_ID=\"12\"\n")),
        ("var/lib/dpkg/status", Some(STATUS_BOTH)),
        (
            "app/node_modules/express/package.json",
            Some(br#"{"name": "express", "version": "4.18.2"}"#),
        ),
        (
            "app/node_modules/lodash/package.json",
            Some(br#"{"name": "lodash", "version": "4.17.20"}"#),
        ),
        (
            "usr/lib/python3/site-packages/requests-2.31.0.dist-info/METADATA",
            Some(b"Name: requests\nVersion: 2.31.0\n"),
        ),
        (
            "usr/lib/python3/site-packages/urllib3-1.26.0.dist-info/METADATA",
            Some(b"Name: urllib3\nVersion: 1.26.0\n"),
        ),
    ]);
    let second = tar_of(&[
        ("var/lib/dpkg/status", Some(STATUS_ONE)),
        ("app/node_modules/.wh.lodash", Some(b"")),
        ("usr/lib/python3/site-packages", None),
        ("usr/lib/python3/site-packages/.wh..wh..opq", Some(b"")),
        (
            "usr/lib/python3/site-packages/flask-3.0.0.dist-info/METADATA",
            Some(b"Name: flask\nVersion: 3.0.0\n"),
        ),
    ]);
    (first, second)
}

fn names(inv: &Inventory) -> BTreeSet<String> {
    inv.packages
        .iter()
        .map(|p| format!("{}:{}@{}", p.ecosystem, p.name, p.version))
        .collect()
}

fn expected() -> BTreeSet<String> {
    [
        "Debian:base-files@12.4+deb12u5",
        "npm:express@4.18.2",
        "PyPI:flask@3.0.0",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

#[test]
fn a_docker_save_tarball_gives_the_merged_view() {
    let (l1, l2) = layers();
    let manifest = br#"[{"Config": "config.json", "RepoTags": ["app:latest"], "Layers": ["l1/layer.tar", "l2/layer.tar"]}]"#;
    let archive = tar_of(&[
        ("manifest.json", Some(manifest)),
        ("config.json", Some(b"{}")),
        ("l1/layer.tar", Some(&l1)),
        ("l2/layer.tar", Some(&gzip(&l2))),
    ]);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("app.tar");
    std::fs::write(&path, archive).expect("write");
    let inv = inventory_of(&path).expect("image");
    assert_eq!(names(&inv), expected());
    let deb = inv
        .packages
        .iter()
        .find(|p| p.ecosystem == "Debian")
        .expect("deb");
    assert_eq!(
        deb.purl,
        "pkg:deb/debian/base-files@12.4+deb12u5?arch=amd64&distro=debian-12"
    );
    assert!(
        deb.source.file.ends_with("app.tar!var/lib/dpkg/status"),
        "{}",
        deb.source.file
    );
}

fn write_oci_layout(dir: &Path) {
    let (l1, l2) = layers();
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).expect("mkdir");
    let (d1, d2) = (
        "1111111111111111111111111111111111111111111111111111111111111111",
        "2222222222222222222222222222222222222222222222222222222222222222",
    );
    std::fs::write(blobs.join(d1), gzip(&l1)).expect("layer 1");
    std::fs::write(blobs.join(d2), &l2).expect("layer 2");
    let manifest = format!(
        r#"{{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {{"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:{d1}", "size": 2}},
            "layers": [{{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "sha256:{d1}", "size": 1}},
                       {{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": "sha256:{d2}", "size": 1}}]}}"#
    );
    let dm = "3333333333333333333333333333333333333333333333333333333333333333";
    std::fs::write(blobs.join(dm), manifest).expect("manifest");
    std::fs::write(
        dir.join("oci-layout"),
        br#"{"imageLayoutVersion": "1.0.0"}"#,
    )
    .expect("layout");
    let index = format!(
        r#"{{"schemaVersion": 2, "manifests": [{{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:{dm}", "size": 1,
            "platform": {{"os": "linux", "architecture": "amd64"}}}}]}}"#
    );
    std::fs::write(dir.join("index.json"), index).expect("index");
}

#[test]
fn an_oci_layout_directory_and_its_tar_give_the_merged_view() {
    let dir = tempfile::tempdir().expect("tempdir");
    let layout = dir.path().join("layout");
    write_oci_layout(&layout);
    assert_eq!(names(&image(&layout).expect("oci dir")), expected());
    assert_eq!(
        names(&inventory_of(&layout).expect("oci dir by discovery")),
        expected()
    );

    // The same layout as a tarball.
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for entry in ["oci-layout", "index.json"] {
        files.push((
            entry.to_string(),
            std::fs::read(layout.join(entry)).expect("read"),
        ));
    }
    for blob in std::fs::read_dir(layout.join("blobs/sha256")).expect("blobs") {
        let blob = blob.expect("entry");
        files.push((
            format!("blobs/sha256/{}", blob.file_name().to_string_lossy()),
            std::fs::read(blob.path()).expect("read"),
        ));
    }
    let refs: Vec<(&str, Option<&[u8]>)> = files
        .iter()
        .map(|(n, d)| (n.as_str(), Some(d.as_slice())))
        .collect();
    let tar_path = dir.path().join("layout.tar");
    std::fs::write(&tar_path, tar_of(&refs)).expect("write");
    assert_eq!(
        names(&inventory_of(&tar_path).expect("oci tar")),
        expected()
    );
}

#[test]
fn layer_entries_that_leave_the_image_are_ignored() {
    let evil = {
        let mut builder = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        let data = b"Name: evil\nVersion: 6.6.6\n";
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        // Bypass the builder's own path checks to write a hostile name.
        header.as_gnu_mut().expect("gnu").name[..].fill(0);
        let name = b"../../x/evil-1.dist-info/METADATA";
        header.as_gnu_mut().expect("gnu").name[..name.len()].copy_from_slice(name);
        header.set_cksum();
        builder.append(&header, &data[..]).expect("append");
        builder.into_inner().expect("tar")
    };
    let manifest = br#"[{"Config": "c.json", "Layers": ["l/layer.tar"]}]"#;
    let archive = tar_of(&[
        ("manifest.json", Some(manifest)),
        ("l/layer.tar", Some(&evil)),
    ]);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("evil.tar");
    std::fs::write(&path, archive).expect("write");
    let inv = inventory_of(&path).expect("reads");
    assert!(inv.packages.is_empty());
    assert!(
        inv.warnings
            .iter()
            .any(|w| w.message.contains("leaves the image")),
        "{:?}",
        inv.warnings
    );
}
