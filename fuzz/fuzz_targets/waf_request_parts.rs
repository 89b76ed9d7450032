//! A query string and a Cookie header as the statements read them: every
//! argument and cookie (name and value) that splitting at `&` or `;` and at
//! the first `=` gives, in order, and never a panic on any text.
#![no_main]

use std::borrow::Cow;

use libfuzzer_sys::fuzz_target;
use palisade_waf::acl::FieldToMatch;
use palisade_waf::{Component, WafRequest};

fn field(value: serde_json::Value) -> Option<FieldToMatch> {
    serde_json::from_value(value).ok()
}

fn texts(component: Component<'_>) -> Vec<Vec<u8>> {
    match component {
        Component::Values(values) => values.into_iter().map(Cow::into_owned).collect(),
        other => panic!("{other:?}"),
    }
}

/// `name=value` pairs as `str::split` reads them.
fn pairs(text: &str, separator: char, trim: bool) -> Vec<(&str, &str)> {
    text.split(separator)
        .map(|p| if trim { p.trim_ascii() } else { p })
        .filter(|p| trim || !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (query, cookie) = text.split_once('\n').unwrap_or((text, ""));
    let request = WafRequest {
        method: "GET",
        query,
        headers: vec![("cookie", cookie)],
        ..WafRequest::default()
    };
    let arguments = pairs(query, '&', false);
    let values: Vec<Vec<u8>> = arguments
        .iter()
        .map(|(_, v)| v.as_bytes().to_vec())
        .collect();
    let Some(all) = field(serde_json::json!({"AllQueryArguments": {}})) else {
        return;
    };
    assert_eq!(texts(all.extract(&request)), values);
    if let Some((name, _)) = arguments.first() {
        let named: Vec<Vec<u8>> = arguments
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_bytes().to_vec())
            .collect();
        // (A name the model refuses, such as an empty one, is skipped.)
        if let Some(single) = field(serde_json::json!({"SingleQueryArgument": {"Name": name}})) {
            assert_eq!(texts(single.extract(&request)), named);
        }
    }
    let cookies: Vec<Vec<u8>> = pairs(cookie, ';', true)
        .into_iter()
        .flat_map(|(k, v)| [k.as_bytes().to_vec(), v.as_bytes().to_vec()])
        .collect();
    let all = serde_json::json!({"Cookies": {"MatchPattern": {"All": {}}, "MatchScope": "ALL", "OversizeHandling": "CONTINUE"}});
    if let Some(all) = field(all) {
        assert_eq!(texts(all.extract(&request)), cookies);
    }
});
