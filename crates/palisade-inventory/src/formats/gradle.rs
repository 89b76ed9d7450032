//! Java: `gradle.lockfile`, one `group:artifact:version=configurations` line per
//! package. Packages only in test or build-tool configurations are development
//! scope.

use super::Builder;
use crate::model::{Inventory, Scope};
use crate::{Error, Result};

fn dev_only(configurations: &str) -> bool {
    let configs: Vec<&str> = configurations
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    !configs.is_empty()
        && configs.iter().all(|c| {
            c.starts_with("test") || c.starts_with("annotationProcessor") || *c == "developmentOnly"
        })
}

pub(crate) fn parse(origin: &str, text: &str) -> Result<Inventory> {
    let mut b = Builder::new(origin, "Maven", "gradle.lockfile");
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with("empty=") {
            continue;
        }
        let (coordinates, configurations) = line.split_once('=').unwrap_or((line, ""));
        let mut parts = coordinates.split(':');
        let (Some(group), Some(artifact), Some(version)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(Error::parse(
                origin,
                Some(n + 1),
                "expected group:artifact:version=configurations",
            ));
        };
        let i = b.add(&format!("{group}:{artifact}"), version, Some(n + 1));
        if dev_only(configurations) {
            b.pkg(i).scope = Scope::Dev;
            b.pkg(i).groups = vec!["dev".to_string()];
        }
    }
    Ok(b.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_test_only_configurations() {
        let text = "# comment\ncom.google.guava:guava:32.1.3-jre=compileClasspath,runtimeClasspath\njunit:junit:4.13.2=testCompileClasspath,testRuntimeClasspath\nempty=annotationProcessor\n";
        let inv = parse("gradle.lockfile", text).expect("valid");
        assert_eq!(inv.packages.len(), 2);
        assert_eq!(
            (inv.packages[0].scope, inv.packages[0].source.line),
            (Scope::Prod, Some(2))
        );
        assert_eq!(inv.packages[1].scope, Scope::Dev);
        assert!(parse("gradle.lockfile", "not-a-coordinate=x\n").is_err());
    }
}
