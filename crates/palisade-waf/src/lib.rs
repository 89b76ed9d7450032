//! Web application firewall rules in AWS WAF's web ACL format (issue:
//! "WAF"). Built in steps; this one holds the text transformations a rule
//! applies before it inspects a request component.

pub mod transform;

pub use transform::{Transform, apply_all};
