//! palisade's gateway: a reverse proxy that validates requests against JSON
//! Schema models exactly as Amazon API Gateway does (same models, validators,
//! error responses and OpenAPI extensions), anywhere, behind an AWS WAF
//! web ACL when the configuration has a `waf:` section.
//!
//! [`start`] loads a configuration file ([`Config`]) and serves it until
//! [`Running::shutdown`]; [`Running::reload`] swaps in a re-read
//! configuration without failing requests in flight.

mod admin;
mod budget;
mod config;
mod deadline;
mod error;
mod gather;
mod log;
mod metrics;
mod openapi;
mod pipeline;
mod proxy;
mod reader;
mod request_id;
mod route;
mod server;
mod sniff;
mod upstream;
mod waf;

pub use config::{AccessLog, Config, Limits, Route, Upstream, UpstreamMode};
pub use error::{Error, Problem};
pub use proxy::{Inbound, proxy_event, proxy_response};
pub use reader::MAX_CONFIG_BYTES;
pub use request_id::RequestId;
pub use route::{Method, PathTemplate};
pub use server::{Event, EventSink, Level, Running, ServeOptions, Variables, start};
#[doc(hidden)]
pub use upstream::decode_response;
pub use waf::{Waf, WafStats};
