//! IP sets and regex pattern sets, read from files in the JSON shapes AWS
//! uses (`aws wafv2 get-ip-set` / `get-regex-pattern-set`, or the set
//! itself), and found by the ARN a statement references.

use std::net::IpAddr;

use serde_json::Value;

/// One CIDR block, IPv4 addresses kept in their own family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Block {
    v6: bool,
    network: u128,
    prefix: u32,
}

impl Block {
    fn parse(text: &str) -> Option<Block> {
        let (address, prefix) = text.trim().split_once('/')?;
        let address: IpAddr = address.parse().ok()?;
        let prefix: u32 = prefix.parse().ok()?;
        let (v6, bits, value) = match address {
            IpAddr::V4(a) => (false, 32, u128::from(u32::from(a))),
            IpAddr::V6(a) => (true, 128, u128::from(a)),
        };
        if prefix > bits {
            return None;
        }
        Some(Block {
            v6,
            network: value & mask(bits, prefix),
            prefix,
        })
    }

    fn contains(&self, address: IpAddr) -> bool {
        let (v6, bits, value) = match address {
            IpAddr::V4(a) => (false, 32, u128::from(u32::from(a))),
            IpAddr::V6(a) => match a.to_ipv4_mapped() {
                // An IPv4 client seen through a dual-stack socket.
                Some(v4) if !self.v6 => (false, 32, u128::from(u32::from(v4))),
                _ => (true, 128, u128::from(a)),
            },
        };
        v6 == self.v6 && value & mask(bits, self.prefix) == self.network
    }
}

/// The `prefix` high bits of a `bits`-bit address.
fn mask(bits: u32, prefix: u32) -> u128 {
    if prefix == 0 {
        0
    } else {
        let all = if bits == 128 {
            u128::MAX
        } else {
            (1u128 << bits) - 1
        };
        all & !((1u128 << (bits - prefix)) - 1) & all
    }
}

/// An AWS WAF IP set.
#[derive(Clone, Debug)]
pub struct IpSet {
    pub name: String,
    pub arn: String,
    blocks: Vec<Block>,
}

impl IpSet {
    pub fn contains(&self, address: IpAddr) -> bool {
        self.blocks.iter().any(|b| b.contains(address))
    }
}

/// An AWS WAF regex pattern set, compiled.
#[derive(Clone, Debug)]
pub struct RegexSet {
    pub name: String,
    pub arn: String,
    pub patterns: Vec<regex::bytes::Regex>,
}

/// Reads `{"IPSet": {...}}` or `{"RegexPatternSet": {...}}` (or the inner
/// object alone) from `text`.
pub fn parse_set(text: &str, origin: &str) -> Result<Set, String> {
    let document: Value = serde_json::from_str(text)
        .map_err(|e| format!("{origin}:{}:{}: {e}", e.line(), e.column()))?;
    let (kind, set) = if let Some(set) = document.get("IPSet") {
        ("ip", set)
    } else if let Some(set) = document.get("RegexPatternSet") {
        ("regex", set)
    } else if document.get("Addresses").is_some() {
        ("ip", &document)
    } else if document.get("RegularExpressionList").is_some() {
        ("regex", &document)
    } else {
        return Err(format!(
            "{origin}: neither an IP set (Addresses) nor a regex pattern set (RegularExpressionList)"
        ));
    };
    let text_field = |name: &str| set.get(name).and_then(Value::as_str).map(str::to_string);
    let arn = text_field("ARN")
        .ok_or_else(|| format!("{origin}: missing ARN (statements reference sets by it)"))?;
    let name = text_field("Name").unwrap_or_else(|| arn.clone());
    if kind == "ip" {
        let addresses = set["Addresses"]
            .as_array()
            .ok_or_else(|| format!("{origin}: Addresses is not a list"))?;
        let blocks = addresses
            .iter()
            .enumerate()
            .map(|(i, a)| {
                a.as_str().and_then(Block::parse).ok_or_else(|| {
                    format!(
                        "{origin}: Addresses[{i}]: {a} is not a CIDR block such as 192.0.2.0/24"
                    )
                })
            })
            .collect::<Result<_, _>>()?;
        return Ok(Set::Ip(IpSet { name, arn, blocks }));
    }
    let list = set["RegularExpressionList"]
        .as_array()
        .ok_or_else(|| format!("{origin}: RegularExpressionList is not a list"))?;
    let patterns = list
        .iter()
        .enumerate()
        .map(|(i, entry)| {
            let text = entry["RegexString"].as_str().ok_or_else(|| {
                format!("{origin}: RegularExpressionList[{i}]: missing RegexString")
            })?;
            regex::bytes::RegexBuilder::new(text)
                .size_limit(1 << 20)
                .build()
                .map_err(|e| format!("{origin}: RegularExpressionList[{i}]: {e}"))
        })
        .collect::<Result<_, _>>()?;
    Ok(Set::Regex(RegexSet {
        name,
        arn,
        patterns,
    }))
}

#[derive(Clone, Debug)]
pub enum Set {
    Ip(IpSet),
    Regex(RegexSet),
}

/// The sets statements may reference.
#[derive(Clone, Debug, Default)]
pub struct Sets {
    pub ip: Vec<IpSet>,
    pub regex: Vec<RegexSet>,
    /// The country database GeoMatch statements look addresses up in.
    pub geo: Option<std::sync::Arc<crate::geo::GeoDb>>,
    /// The autonomous-system database of AsnMatch statements.
    pub asn: Option<std::sync::Arc<crate::geo::GeoDb>>,
    /// Rule groups of your own, found by ARN.
    pub rule_groups: Vec<crate::acl::RuleGroup>,
}

impl Sets {
    pub fn add(&mut self, set: Set) {
        match set {
            Set::Ip(s) => self.ip.push(s),
            Set::Regex(s) => self.regex.push(s),
        }
    }

    pub fn ip_set(&self, arn: &str) -> Option<&IpSet> {
        self.ip.iter().find(|s| s.arn == arn)
    }

    pub fn regex_set(&self, arn: &str) -> Option<&RegexSet> {
        self.regex.iter().find(|s| s.arn == arn)
    }

    /// The group with this ARN; failing that, a group whose document had
    /// no ARN (CloudFormation properties) named as the ARN's
    /// `.../rulegroup/<name>/<id>` says.
    pub fn rule_group(&self, arn: &str) -> Option<&crate::acl::RuleGroup> {
        self.rule_groups.iter().find(|g| g.arn == arn).or_else(|| {
            let mut parts = arn.rsplit('/');
            let (_id, name, kind) = (parts.next()?, parts.next()?, parts.next()?);
            (kind == "rulegroup")
                .then(|| {
                    self.rule_groups
                        .iter()
                        .find(|g| g.arn.is_empty() && g.name == name)
                })
                .flatten()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn ip_sets_match_their_blocks_in_each_family() {
        let text = r#"{"IPSet": {"Name": "blocked", "Id": "1", "ARN": "arn:aws:wafv2:us-east-1:1:regional/ipset/blocked/1",
            "IPAddressVersion": "IPV4", "Addresses": ["192.0.2.0/24", "198.51.100.7/32", "2001:db8::/32"]}, "LockToken": "t"}"#;
        let Ok(Set::Ip(set)) = parse_set(text, "blocked.json") else {
            panic!("not an IP set");
        };
        assert!(set.contains(ip("192.0.2.200")));
        assert!(set.contains(ip("198.51.100.7")));
        assert!(!set.contains(ip("198.51.100.8")));
        assert!(set.contains(ip("2001:db8:1::1")));
        assert!(!set.contains(ip("2001:db9::1")));
        assert!(
            set.contains(ip("::ffff:192.0.2.1")),
            "an IPv4-mapped client"
        );
        let every = Block::parse("0.0.0.0/0").unwrap_or_else(|| panic!("block"));
        assert!(every.contains(ip("203.0.113.1")));
        for bad in ["192.0.2.0", "192.0.2.0/33", "nonsense/8"] {
            assert_eq!(Block::parse(bad), None, "{bad}");
        }
        let err = parse_set(
            r#"{"ARN": "a", "Addresses": ["10.0.0.0/8", "x"]}"#,
            "s.json",
        )
        .err();
        assert!(err.unwrap_or_default().contains("Addresses[1]"));
    }

    #[test]
    fn regex_pattern_sets_compile_each_pattern() {
        let text = r#"{"RegexPatternSet": {"Name": "bots", "ARN": "arn:bots", "RegularExpressionList": [{"RegexString": "(?i)sqlmap"}, {"RegexString": "nikto"}]}}"#;
        let Ok(Set::Regex(set)) = parse_set(text, "bots.json") else {
            panic!("not a regex set");
        };
        assert_eq!(set.patterns.len(), 2);
        assert!(set.patterns[0].is_match(b"SQLMap/1.7"));
        let broken = r#"{"ARN": "a", "RegularExpressionList": [{"RegexString": "(a"}]}"#;
        assert!(
            parse_set(broken, "b.json")
                .err()
                .unwrap_or_default()
                .contains("RegularExpressionList[0]")
        );
    }
}
