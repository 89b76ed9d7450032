//! Lambda deployment packages, read in place: installed npm and Python
//! packages, jars with the jars nested in them, and lockfiles shipped inside.

use std::collections::BTreeSet;

use palisade_inventory::inventory_of;

#[test]
fn a_deployment_zip_is_inventoried_without_extracting_it() {
    let inner_jar = palisade_testkit::zip_bytes(&[(
        "META-INF/maven/com.fasterxml.jackson.core/jackson-databind/pom.properties",
        b"groupId=com.fasterxml.jackson.core\nartifactId=jackson-databind\nversion=2.13.0\n",
    )]);
    let fat_jar = palisade_testkit::zip_bytes(&[
        (
            "META-INF/maven/com.example/handler/pom.properties",
            b"groupId=com.example\nartifactId=handler\nversion=1.0.0\n",
        ),
        ("BOOT-INF/lib/jackson-databind-2.13.0.jar", &inner_jar),
    ]);
    let zip = palisade_testkit::zip_bytes(&[
        ("index.js", b"exports.handler = async () => {}"),
        (
            "node_modules/uuid/package.json",
            br#"{"name": "uuid", "version": "9.0.1"}"#,
        ),
        (
            "node_modules/@aws-sdk/client-s3/package.json",
            br#"{"name": "@aws-sdk/client-s3", "version": "3.400.0"}"#,
        ),
        (
            "node_modules/uuid/dist/package.json",
            br#"{"type": "module"}"#,
        ),
        (
            "python/requests-2.31.0.dist-info/METADATA",
            b"Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\n",
        ),
        ("lib/handler.jar", &fat_jar),
    ]);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("function.zip");
    std::fs::write(&path, zip).expect("write");
    let inv = inventory_of(&path).expect("reads");
    let got: BTreeSet<String> = inv.packages.iter().map(|p| p.purl.clone()).collect();
    let want: BTreeSet<String> = [
        "pkg:npm/uuid@9.0.1",
        "pkg:npm/%40aws-sdk/client-s3@3.400.0",
        "pkg:pypi/requests@2.31.0",
        "pkg:maven/com.example/handler@1.0.0",
        "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.13.0",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(got, want);
    let nested = inv
        .packages
        .iter()
        .find(|p| p.name.ends_with("jackson-databind"))
        .expect("nested jar");
    assert!(nested.source.file.ends_with("function.zip!lib/handler.jar!BOOT-INF/lib/jackson-databind-2.13.0.jar!META-INF/maven/com.fasterxml.jackson.core/jackson-databind/pom.properties"), "{}", nested.source.file);
    assert!(
        std::fs::read_dir(dir.path()).expect("dir").count() == 1,
        "nothing was extracted"
    );
}

#[test]
fn a_function_directory_prefers_its_lockfile_over_node_modules() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = dir.path();
    std::fs::write(
        f.join("package-lock.json"),
        r#"{"lockfileVersion": 3, "packages": {"": {"dependencies": {"uuid": "^9"}}, "node_modules/uuid": {"version": "9.0.1"}}}"#,
    )
    .expect("write");
    std::fs::create_dir_all(f.join("node_modules/uuid")).expect("mkdir");
    std::fs::write(
        f.join("node_modules/uuid/package.json"),
        r#"{"name": "uuid", "version": "9.0.1"}"#,
    )
    .expect("write");
    let inv = inventory_of(f).expect("reads");
    assert_eq!(inv.packages.len(), 1);
    assert!(inv.packages[0].source.file.ends_with("package-lock.json"));

    std::fs::remove_file(f.join("package-lock.json")).expect("rm");
    let inv = inventory_of(f).expect("reads");
    assert_eq!(inv.packages.len(), 1);
    assert!(
        inv.packages[0]
            .source
            .file
            .ends_with("node_modules/uuid/package.json")
    );
}
