//! A JSON body as a JsonBody statement reads it: streamed (MatchPattern
//! All) and through the parsed document (IncludedPaths [""], the root)
//! must agree on whether it is JSON, the stream must yield every key and
//! value the document holds (more only when a key repeats: the document
//! keeps the last), and neither may panic on any bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_waf::acl::FieldToMatch;
use palisade_waf::{Component, WafRequest};

fn field(pattern: serde_json::Value) -> Option<FieldToMatch> {
    serde_json::from_value(serde_json::json!({"JsonBody": {
        "MatchPattern": pattern,
        "MatchScope": "ALL",
        "InvalidFallbackBehavior": "NO_MATCH",
        "OversizeHandling": "CONTINUE",
    }}))
    .ok()
}

fn sorted(component: Component<'_>) -> Option<Vec<Vec<u8>>> {
    match component {
        Component::Values(values) => {
            let mut values: Vec<Vec<u8>> = values.into_iter().map(|v| v.into_owned()).collect();
            values.sort();
            Some(values)
        }
        _ => None,
    }
}

fuzz_target!(|data: &[u8]| {
    let (Some(streamed), Some(parsed)) = (
        field(serde_json::json!({"All": {}})),
        field(serde_json::json!({"IncludedPaths": [""]})),
    ) else {
        return;
    };
    let request = WafRequest {
        method: "POST",
        body: data,
        ..WafRequest::default()
    };
    match (
        sorted(streamed.extract(&request)),
        sorted(parsed.extract(&request)),
    ) {
        (Some(streamed), Some(parsed)) => {
            for entry in &parsed {
                assert!(streamed.contains(entry), "the stream missed {entry:?}");
            }
        }
        (None, None) => {}
        (streamed, parsed) => panic!("streamed {streamed:?}, parsed {parsed:?}"),
    }
});
