//! Validation of request bodies and events against JSON Schema models, the way
//! Amazon API Gateway validates them: draft 4 unless the model's `$schema`
//! names draft 7 or 2020-12, patterns run by a linear-time regex engine (a
//! model's `pattern` cannot be used for ReDoS), formats not asserted.
//!
//! ```
//! use palisade_validate::{Model, Options};
//! use serde_json::json;
//!
//! let model = Model::compile(
//!     &json!({"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}),
//!     &Options::default(),
//! )?;
//! assert!(model.is_valid(&json!({"name": "Unicorn"})));
//! let violations = model.violations(&json!({"name": 7}));
//! assert_eq!(violations[0].pointer, "/name");
//! # Ok::<(), palisade_validate::Error>(())
//! ```

mod document;
mod error;
pub mod event;
#[cfg(feature = "tower")]
pub mod layer;
mod model;
mod request;
mod response;
mod shortcut;

pub use document::{Duplicate, DuplicateKeys, find_duplicate, parse_document};
pub use error::{Error, Result};
pub use model::{Draft, MAX_MODEL_BYTES, Model, Options, Violation, read_json};
pub use request::{
    ContentTypeMismatch, Detail, Location, MethodRules, Models, ParamType, Parameter, Rejection,
    Request, Validator, lookup, query_pairs,
};
pub use response::{
    DEFAULT_TEMPLATE, DETAILED_TEMPLATE, ErrorContext, GatewayResponse, GatewayResponses, Rendered,
    ResponseType,
};
