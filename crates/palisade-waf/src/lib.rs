//! Web application firewall rules in AWS WAF's web ACL format: the web ACL
//! model, read strictly from AWS's JSON; the request components a rule
//! inspects and the text transformations applied to them first; SQL
//! injection and XSS detection; IP and regex pattern sets; rate-based rules
//! counted in memory or, with the `redis` feature, in Redis.

pub mod acl;
pub mod cases;
pub mod eval;
pub mod geo;
pub mod inspect;
pub mod log;
pub mod managed;
pub mod rate;
#[cfg(feature = "redis")]
pub mod redis_rate;
pub mod sets;
pub mod sqli;
pub mod transform;
mod verdicts;
pub mod xss;

pub use acl::{AclError, ParseOptions, RuleGroup, WebAcl};
pub use eval::{Decision, Evaluator, Response, RuleMatch, SharedRate, StoreFailure, Verdict};
pub use inspect::{BODY_INSPECTION_LIMIT, Component, WafRequest};
pub use sets::{IpSet, RegexSet, Set, Sets, parse_set};
pub use sqli::is_sqli;
pub use transform::{Transform, apply_all};
pub use xss::is_xss;
