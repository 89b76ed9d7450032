//! Web application firewall rules in AWS WAF's web ACL format (issue:
//! "WAF"). Built in steps: so far the web ACL model, read strictly from
//! AWS's JSON, and the text transformations a rule applies before it
//! inspects a request component.

pub mod acl;
pub mod transform;

pub use acl::{AclError, WebAcl};
pub use transform::{Transform, apply_all};
