//! Package URLs (purl) for each ecosystem.

/// Percent-encodes a purl name or namespace segment.
fn encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn encode_path(path: &str) -> String {
    path.split('/').map(encode).collect::<Vec<_>>().join("/")
}

/// The purl of a package: `pkg:npm/%40scope/name@1.0.0`, `pkg:pypi/name@1.0`, ...
/// `qualifiers` are appended as given (already `key=value` pairs).
pub fn purl(ecosystem: &str, name: &str, version: &str, qualifiers: &[(&str, &str)]) -> String {
    let base = ecosystem.split(':').next().unwrap_or(ecosystem);
    let (kind, path) = match base {
        "npm" => ("npm", encode_path(name)),
        "PyPI" => ("pypi", encode(&name.to_lowercase().replace('_', "-"))),
        "crates.io" => ("cargo", encode(name)),
        "Go" => ("golang", encode_path(name)),
        "Maven" => (
            "maven",
            name.splitn(2, ':')
                .map(encode)
                .collect::<Vec<_>>()
                .join("/"),
        ),
        "RubyGems" => ("gem", encode(name)),
        "Packagist" => ("composer", encode_path(&name.to_lowercase())),
        "NuGet" => ("nuget", encode(name)),
        "Hex" => ("hex", encode(&name.to_lowercase())),
        "Pub" => ("pub", encode(&name.to_lowercase())),
        "Debian" => ("deb", format!("debian/{}", encode(name))),
        "Ubuntu" => ("deb", format!("ubuntu/{}", encode(name))),
        "Alpine" => ("apk", format!("alpine/{}", encode(name))),
        "Wolfi" => ("apk", format!("wolfi/{}", encode(name))),
        other => ("generic", encode(&format!("{other}/{name}"))),
    };
    let version = if base == "Go" && !version.starts_with('v') && name != "stdlib" {
        format!("v{version}")
    } else {
        version.to_string()
    };
    let mut out = format!("pkg:{kind}/{path}");
    if !version.is_empty() {
        out.push('@');
        out.push_str(&encode(&version).replace("%2B", "+"));
    }
    let qualifiers: Vec<String> = qualifiers
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect();
    if !qualifiers.is_empty() {
        out.push('?');
        out.push_str(&qualifiers.join("&"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purls_follow_each_ecosystems_type() {
        assert_eq!(
            purl("npm", "@babel/core", "7.0.0", &[]),
            "pkg:npm/%40babel/core@7.0.0"
        );
        assert_eq!(
            purl("PyPI", "Django_Rest", "3.0", &[]),
            "pkg:pypi/django-rest@3.0"
        );
        assert_eq!(
            purl("Go", "github.com/a/b", "1.2.3", &[]),
            "pkg:golang/github.com/a/b@v1.2.3"
        );
        assert_eq!(
            purl("Maven", "org.slf4j:slf4j-api", "1.7.25", &[]),
            "pkg:maven/org.slf4j/slf4j-api@1.7.25"
        );
        assert_eq!(
            purl(
                "Debian",
                "libc6",
                "2.36-9+deb12u4",
                &[("arch", "amd64"), ("distro", "debian-12")]
            ),
            "pkg:deb/debian/libc6@2.36-9+deb12u4?arch=amd64&distro=debian-12"
        );
    }
}
