//! Every lockfile fixture in `../shared/data/lockfiles` yields exactly the
//! packages its README lists (`expected.tsv`): same names, versions and count,
//! and the lines, groups and commits where the fixture states them. Formats are
//! recognized from the content, since the fixtures' file names are not the
//! usual ones.

use std::collections::BTreeMap;

use palisade_inventory::parse_file;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Expected {
    name: String,
    version: String,
    line: Option<usize>,
    groups: Vec<String>,
    commit: Option<String>,
}

#[test]
fn every_lockfile_fixture_yields_exactly_its_listed_packages() {
    let Some(dir) = palisade_testkit::data_dir("lockfiles") else {
        return;
    };
    let tsv = std::fs::read_to_string(dir.join("expected.tsv")).expect("expected.tsv");
    let mut expected: BTreeMap<String, Vec<Expected>> = BTreeMap::new();
    for line in tsv.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let [fixture, name, version, line_no, groups, commit, ..] = cols[..] else {
            panic!("bad row {line}")
        };
        let mut groups: Vec<String> = groups
            .split(',')
            .filter(|g| !g.is_empty())
            .map(String::from)
            .collect();
        groups.sort();
        expected
            .entry(fixture.to_string())
            .or_default()
            .push(Expected {
                name: name.to_string(),
                version: version.to_string(),
                line: line_no.parse().ok(),
                groups,
                commit: (!commit.is_empty()).then(|| commit.to_string()),
            });
    }
    assert!(expected.len() >= 19, "fixtures listed: {}", expected.len());
    let mut failures = Vec::new();
    for (fixture, want) in &expected {
        let inventory = match parse_file(&dir.join(fixture)) {
            Ok(inv) => inv,
            Err(e) => {
                failures.push(format!("{fixture}: {e}"));
                continue;
            }
        };
        let mut got: Vec<(String, String)> = inventory
            .packages
            .iter()
            .map(|p| (p.name.clone(), p.version.clone()))
            .collect();
        got.sort();
        let mut want_pairs: Vec<(String, String)> = want
            .iter()
            .map(|e| (e.name.clone(), e.version.clone()))
            .collect();
        want_pairs.sort();
        if got != want_pairs {
            failures.push(format!(
                "{fixture}: packages differ\n  got  {got:?}\n  want {want_pairs:?}"
            ));
            continue;
        }
        for e in want {
            let p = inventory
                .packages
                .iter()
                .find(|p| p.name == e.name && p.version == e.version)
                .expect("present");
            if e.line.is_some() && p.source.line != e.line {
                failures.push(format!(
                    "{fixture}: {}@{} line {:?}, want {:?}",
                    e.name, e.version, p.source.line, e.line
                ));
            }
            let mut groups = p.groups.clone();
            groups.sort();
            if groups != e.groups {
                failures.push(format!(
                    "{fixture}: {}@{} groups {groups:?}, want {:?}",
                    e.name, e.version, e.groups
                ));
            }
            if e.commit.is_some() && p.commit != e.commit {
                failures.push(format!(
                    "{fixture}: {}@{} commit {:?}, want {:?}",
                    e.name, e.version, p.commit, e.commit
                ));
            }
            assert!(p.purl.starts_with("pkg:"), "{}", p.purl);
        }
    }
    assert!(
        failures.is_empty(),
        "{} problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
