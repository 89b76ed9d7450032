//! Every text transformation, alone and chained, on any bytes: no panic,
//! the output never grows past what the encodings allow, and a chain's
//! shortcut (values without its marker bytes are left as they are) gives
//! what applying every transformation gives.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_waf::transform::Chain;
use palisade_waf::{Transform, apply_all};

const ALL: [&str; 23] = [
    "NONE",
    "COMPRESS_WHITE_SPACE",
    "HTML_ENTITY_DECODE",
    "LOWERCASE",
    "CMD_LINE",
    "URL_DECODE",
    "URL_DECODE_UNI",
    "BASE64_DECODE",
    "BASE64_DECODE_EXT",
    "HEX_DECODE",
    "JS_DECODE",
    "CSS_DECODE",
    "ESCAPE_SEQ_DECODE",
    "NORMALIZE_PATH",
    "NORMALIZE_PATH_WIN",
    "REMOVE_NULLS",
    "REPLACE_NULLS",
    "REPLACE_COMMENTS",
    "SQL_HEX_DECODE",
    "UTF8_TO_UNICODE",
    "TRIM",
    "TRIM_LEFT",
    "TRIM_RIGHT",
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    for name in ALL {
        let transform = Transform::parse(name).expect("known name");
        let out = transform.apply(input);
        // UTF8_TO_UNICODE writes 4 bytes as 12; the decoders only shrink,
        // except a %uHHHH or &#...; that becomes up to 4 bytes of UTF-8.
        assert!(
            out.len() <= input.len() * 3 + 3,
            "{name} grew {} to {}",
            input.len(),
            out.len()
        );
    }
    let chain: Vec<Transform> = (0..4)
        .filter_map(|i| Transform::parse(ALL[usize::from(selector.rotate_left(i * 2)) % ALL.len()]))
        .collect();
    let all = apply_all(input, &chain);
    assert_eq!(Chain::new(chain.clone()).apply(input), all, "{chain:?}");
});
