//! Any JSON reads as a proxy event or record event, or fails with an error;
//! checking it against a model never panics.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use palisade_validate::event::{ProxyRequest, check_records};
use palisade_validate::{GatewayResponses, MethodRules, Model, Models, Options, Validator};

fuzz_target!(|data: &[u8]| {
    let Ok(event) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let schema = serde_json::json!({"type": "object", "required": ["name"]});
    let Ok(model) = Model::compile(&schema, &Options::default()) else {
        return;
    };
    let model = Arc::new(model);
    let _ = ProxyRequest::from_event(&event);
    let mut models = Models::default();
    models.insert("application/json", model.clone());
    let rules = MethodRules {
        validator: Validator {
            body: true,
            parameters: true,
        },
        models,
        ..MethodRules::default()
    };
    let _ =
        palisade_validate::event::check_proxy_event(&event, &rules, &GatewayResponses::default());
    let _ = check_records(&event, &model);
});
