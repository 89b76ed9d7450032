//! Web application firewall rules in AWS WAF's web ACL format (issue:
//! "WAF"). Built in steps: so far the web ACL model, read strictly from
//! AWS's JSON, the request components a rule inspects, and the text
//! transformations it applies to them first.

pub mod acl;
pub mod eval;
pub mod inspect;
pub mod rate;
pub mod sets;
pub mod sqli;
pub mod transform;
pub mod xss;

pub use acl::{AclError, WebAcl};
pub use eval::{Decision, Evaluator, Response, Verdict};
pub use inspect::{BODY_INSPECTION_LIMIT, Component, WafRequest};
pub use sets::{IpSet, RegexSet, Set, Sets, parse_set};
pub use sqli::is_sqli;
pub use transform::{Transform, apply_all};
pub use xss::is_xss;
