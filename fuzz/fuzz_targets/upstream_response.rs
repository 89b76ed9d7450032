//! Whatever an upstream sends back reads as a status and a body, or fails
//! with an error; the head and chunk readers never panic or run unbounded.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for method in [http::Method::GET, http::Method::HEAD] {
        if let Ok((status, body)) = palisade_gateway::decode_response(data, &method) {
            assert!((200..=999).contains(&status));
            assert!(body.len() <= data.len());
        }
    }
});
