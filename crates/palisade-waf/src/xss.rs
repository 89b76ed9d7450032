//! Cross-site scripting detection in the manner of libinjection's: the
//! input is read the way a browser's HTML tokenizer would read it where it
//! lands — as text, or as the rest of an attribute it has just closed —
//! and flagged when it opens a script-bearing element, sets an event
//! handler, points a URL attribute at a script scheme, or, in a script
//! context, breaks out to call one of the functions payloads use.
//!
//! LOW sensitivity keeps to what benign values do not contain: known event
//! handler names, script schemes, a short list of dangerous elements, a
//! sink called straight after a breakout character. HIGH adds any `on*`
//! attribute, `data:` URLs, and sinks called anywhere.

use std::borrow::Cow;
use std::sync::LazyLock;

use crate::acl::Sensitivity;
use crate::transform::Transform;

/// How far one tag is read; attribute values past this are not examined.
const TAG_WINDOW: usize = 2048;
/// How many quotes a value may close to reach attribute context.
const MAX_BREAKOUTS: usize = 8;

/// Elements that run or load script, or change how the page is read.
const DANGEROUS_TAGS: &[&str] = &[
    "script",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "style",
    "link",
    "meta",
    "base",
    "isindex",
    "import",
    "vmlframe",
    "bgsound",
    "xml",
    "svg",
    "math",
    "xss",
    "portal",
    "template",
    "handler",
    "listener",
    "html",
    "head",
    "body",
    "form",
    "input",
    "button",
    "textarea",
    "select",
    "keygen",
    "layer",
    "ilayer",
    "set",
    "animate",
    "animatetransform",
    // Elements whose content the parser reads as text up to their closing
    // tag: opening or closing one moves the page's parser to another
    // state, the mechanism of context breakouts and mutation XSS.
    "title",
    "xmp",
    "plaintext",
    "noscript",
    "noembed",
    "noframes",
];

/// Attributes that load data or code, or send a form elsewhere.
const DANGEROUS_ATTRIBUTES: &[&str] = &[
    "datasrc",
    "datafld",
    "dataformatas",
    "formaction",
    "dirname",
    "xlink:href",
    "srcdoc",
];

/// Event handler attributes in browsers today (and a few legacy ones).
const EVENTS: &[&str] = &[
    "abort",
    "activate",
    "afterprint",
    "afterscriptexecute",
    "animationcancel",
    "animationend",
    "animationiteration",
    "animationstart",
    "auxclick",
    "beforeactivate",
    "beforecopy",
    "beforecut",
    "beforedeactivate",
    "beforeinput",
    "beforepaste",
    "beforeprint",
    "beforescriptexecute",
    "beforetoggle",
    "beforeunload",
    "begin",
    "blur",
    "bounce",
    "canplay",
    "canplaythrough",
    "change",
    "click",
    "close",
    "contextmenu",
    "copy",
    "cuechange",
    "cut",
    "dblclick",
    "deactivate",
    "drag",
    "dragend",
    "dragenter",
    "dragleave",
    "dragover",
    "dragstart",
    "drop",
    "durationchange",
    "end",
    "ended",
    "error",
    "finish",
    "focus",
    "focusin",
    "focusout",
    "formdata",
    "fullscreenchange",
    "hashchange",
    "help",
    "input",
    "invalid",
    "keydown",
    "keypress",
    "keyup",
    "load",
    "loadeddata",
    "loadedmetadata",
    "loadend",
    "loadstart",
    "message",
    "mousedown",
    "mouseenter",
    "mouseleave",
    "mousemove",
    "mouseout",
    "mouseover",
    "mouseup",
    "mousewheel",
    "move",
    "offline",
    "online",
    "pagehide",
    "pageshow",
    "paste",
    "pause",
    "play",
    "playing",
    "pointercancel",
    "pointerdown",
    "pointerenter",
    "pointerleave",
    "pointermove",
    "pointerout",
    "pointerover",
    "pointerrawupdate",
    "pointerup",
    "popstate",
    "progress",
    "propertychange",
    "ratechange",
    "readystatechange",
    "repeat",
    "reset",
    "resize",
    "scroll",
    "scrollend",
    "search",
    "seeked",
    "seeking",
    "select",
    "selectionchange",
    "selectstart",
    "show",
    "start",
    "stalled",
    "storage",
    "submit",
    "suspend",
    "timeupdate",
    "toggle",
    "touchend",
    "touchmove",
    "touchstart",
    "transitioncancel",
    "transitionend",
    "transitionrun",
    "transitionstart",
    "unhandledrejection",
    "unload",
    "volumechange",
    "waiting",
    "webkitanimationend",
    "webkitanimationiteration",
    "webkitanimationstart",
    "webkittransitionend",
    "wheel",
];

/// Functions and properties payloads reach for once they run.
const SINKS: &[&str] = &[
    "alert",
    "prompt",
    "confirm",
    "eval",
    "settimeout",
    "setinterval",
    "execscript",
    "print",
];
const STRONG: &[&str] = &[
    "document.cookie",
    "document.write",
    "document.domain",
    "document.location",
    "window.location",
    "location.href",
    ".innerhtml",
    ".outerhtml",
    "fromcharcode",
    "-moz-binding",
    "constructor(",
    ".constructor",
    "vbscript:",
    "livescript:",
    "<![cdata[",
    "<!entity",
    "top[",
    "self[",
    "parent[",
    "window[",
    "frames[",
];

/// Whether `input` reads as cross-site scripting at `level`.
pub fn is_xss(input: &[u8], level: Sensitivity) -> bool {
    let seen = classes(input);
    if seen & ENCODED != 0 {
        // Rare: a `0xC2` (`¼`, `¾`), a `P` (base64 markup), a backslash.
        if let Some(stripped) = high_bit_markup(input)
            && detect(&stripped, classes(&stripped), level)
        {
            return true;
        }
        if let Some(narrow) = full_width_markup(input)
            && detect(&narrow, classes(&narrow), level)
        {
            return true;
        }
        if let Some(markup) = base64_markup(input)
            && detect(&markup, classes(&markup), level)
        {
            return true;
        }
        // `al\u0065rt(1)`: JavaScript reads an escaped identifier as the name.
        if memchr::memchr_iter(b'\\', input).any(|at| input.get(at + 1) == Some(&b'u')) {
            let unescaped = Transform::JsDecode.apply(input);
            if *unescaped != *input && detect(&unescaped, classes(&unescaped), level) {
                return true;
            }
        }
    }
    detect(input, seen, level)
}

/// The classes of the bytes in `input`, or-ed.
fn classes(input: &[u8]) -> u8 {
    input
        .iter()
        .fold(0u8, |seen, b| seen | CLASSES[usize::from(*b)])
}

/// `PHN2ZyB4bWxucz0i…`: markup sent base64-encoded, for a page (or a
/// `data:` URL built around the value) to decode. Base64 text that starts
/// with `P` decodes to text starting with `<`, `=`, `>` or `?`; the first
/// such run of 16 characters or more, decoded, when it holds a `<`.
fn base64_markup(input: &[u8]) -> Option<Vec<u8>> {
    if input.len() < 16 {
        return None;
    }
    let base64 = |b: u8| b.is_ascii_alphanumeric() || b == b'+' || b == b'/';
    let start = memchr::memchr_iter(b'P', input)
        .take(8)
        .find(|&at| at == 0 || !base64(input[at - 1]))?;
    let len = input[start..].iter().take_while(|b| base64(**b)).count();
    if len < 16 {
        return None;
    }
    let run = &input[start..start + len.min(4096)];
    let decoded = Transform::Base64Decode.apply(run);
    // Markup is text: random base64 (a token, a signature) decodes to
    // bytes, some of which may happen to be `<`.
    let text = decoded
        .iter()
        .filter(|b| b.is_ascii_graphic() || b.is_ascii_whitespace())
        .count();
    if text * 10 < decoded.len() * 9 {
        return None;
    }
    memchr::memchr(b'<', &decoded).map(|_| decoded.into_owned())
}

/// `¼script¾alert(¢XSS¢)¼/script¾`: Latin-1 characters whose low seven bits
/// are `<`, `>` and `"`, which a page served as US-ASCII (or a filter that
/// strips the high bit) turns into markup. The value read that way, when it
/// has any of them.
fn high_bit_markup(input: &[u8]) -> Option<Vec<u8>> {
    // `¼` and `¾` are C2 BC and C2 BE in UTF-8.
    memchr::memchr(0xc2, input)?;
    let text = std::str::from_utf8(input).ok()?;
    if !text.contains(['\u{bc}', '\u{be}']) {
        return None;
    }
    Some(
        text.chars()
            .map(|c| match c {
                '\u{bc}' => '<',
                '\u{be}' => '>',
                '\u{a2}' => '"',
                '\u{a7}' => '\'',
                c => c,
            })
            .collect::<String>()
            .into_bytes(),
    )
}

/// `＜script＞`: full-width forms (U+FF01 to U+FF5E, EF BC 81 to EF BD 9E
/// in UTF-8) read as the ASCII they stand for. A browser does not, but a
/// back end that normalises text (NFKC, a best-fit code page) turns them
/// into markup before it reaches a page.
fn full_width_markup(input: &[u8]) -> Option<Vec<u8>> {
    memchr::memchr(0xef, input)?;
    let text = std::str::from_utf8(input).ok()?;
    let wide = |c: char| ('\u{ff01}'..='\u{ff5e}').contains(&c);
    if !text.chars().any(wide) {
        return None;
    }
    Some(
        text.chars()
            .map(|c| {
                if wide(c) {
                    char::from_u32(u32::from(c) - 0xfee0).unwrap_or(c)
                } else {
                    c
                }
            })
            .collect::<String>()
            .into_bytes(),
    )
}

/// Which bytes a value has, by the rules that need them.
const LT: u8 = 1;
const GT: u8 = 2;
const EQ: u8 = 4;
/// `(` or a backtick: a call.
const CALL: u8 = 8;
/// `:`, `[`, `.`, `-`: a scheme, a property or a CSS breakout.
const PUNCT: u8 = 16;
/// `0xC2`, `0xEF`, `P`, `\\`: what an encoded payload starts with.
const ENCODED: u8 = 32;

static CLASSES: [u8; 256] = {
    let mut table = [0u8; 256];
    table[b'<' as usize] = LT;
    table[b'>' as usize] = GT;
    table[b'=' as usize] = EQ;
    table[b'(' as usize] = CALL;
    table[b'`' as usize] = CALL;
    table[b':' as usize] = PUNCT;
    table[b'[' as usize] = PUNCT;
    table[b'.' as usize] = PUNCT;
    table[b'-' as usize] = PUNCT;
    table[0xc2] = ENCODED;
    table[0xef] = ENCODED;
    table[b'P' as usize] = ENCODED;
    table[b'\\' as usize] = ENCODED;
    table
};

thread_local! {
    /// The lowercased value, kept by the thread: a request has a dozen.
    static LOWER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// `seen` is [`classes`] of `input`.
fn detect(input: &[u8], seen: u8, level: Sensitivity) -> bool {
    // Every rule below needs one of these: a tag, an attribute, a scheme,
    // a call, a property or a CSS breakout.
    if seen & (LT | EQ | CALL | PUNCT) == 0 {
        return false;
    }
    let high = level == Sensitivity::High;
    let rules = |lower: &[u8]| {
        (seen & LT != 0 && tags(lower, high))
            || (seen & EQ != 0 && breakouts(lower, high))
            || scheme(lower, high)
            || (seen & CALL != 0 && script_context(lower, high))
            || (seen & (CALL | EQ) != 0 && sink_reference(lower))
            || (seen & (LT | GT) == LT | GT && comment_breakout(lower))
            || (seen & CALL != 0 && global_call(lower))
            || (seen & EQ != 0 && location_assignment(lower))
            || (seen & CALL != 0 && jquery_call(lower))
    };
    LOWER.with(|cell| match cell.try_borrow_mut() {
        Ok(mut lower) => {
            lower.clear();
            lower.extend(input.iter().map(u8::to_ascii_lowercase));
            rules(&lower)
        }
        Err(_) => rules(&input.to_ascii_lowercase()),
    })
}

/// Objects only a page's script has.
const GLOBALS: &[&str] = &["window", "document", "navigator", "location", "history"];

/// A method called on a browser global (`navigator.vibrate(500)`,
/// `document.createElement("div")`): script, not text.
fn global_call(lower: &[u8]) -> bool {
    let chain = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b == b'.';
    memchr::memchr_iter(b'(', lower).take(64).any(|at| {
        let start = lower[..at]
            .iter()
            .rposition(|b| !chain(*b))
            .map_or(0, |p| p + 1);
        let callee = &lower[start..at];
        GLOBALS.iter().any(|g| {
            callee
                .strip_prefix(g.as_bytes())
                .and_then(|rest| rest.strip_prefix(b"."))
                .is_some_and(|method| method.first().is_some_and(u8::is_ascii_alphabetic))
        })
    })
}

/// `$("a.bar").click()`: a method called on elements jQuery selected, the
/// page's script library driving the page (like [`global_call`]).
fn jquery_call(lower: &[u8]) -> bool {
    memchr::memmem::find_iter(lower, b"$(").take(16).any(|at| {
        let rest = &lower[at + 2..];
        let Some((&quote, selector)) = rest.split_first() else {
            return false;
        };
        if quote != b'"' && quote != b'\'' {
            return false;
        }
        let Some(close) = memchr::memchr(quote, selector) else {
            return false;
        };
        let Some(method) = selector[close + 1..].strip_prefix(b").") else {
            return false;
        };
        let name = method
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
            .count();
        name > 0 && method.get(name) == Some(&b'(')
    })
}

/// `location="http://evil/"`, `location='javascript:…'`: script sending
/// the page elsewhere. The name must open a statement (`?location=…` in a
/// URL and `location = "Paris"` are data).
fn location_assignment(lower: &[u8]) -> bool {
    memchr::memmem::find_iter(lower, b"location")
        .take(16)
        .any(|at| {
            let opens = at == 0 || matches!(lower[at - 1], b';' | b'{' | b'\n' | b' ');
            let rest = lower[at + 8..].trim_ascii_start();
            let Some(rest) = rest.strip_prefix(b"=") else {
                return false;
            };
            let rest = rest.trim_ascii_start();
            let Some(rest) = rest.strip_prefix(b"\"").or_else(|| rest.strip_prefix(b"'")) else {
                return false;
            };
            opens
                && !rest.starts_with(b"=")
                && [&b"http:"[..], b"https:", b"//", b"javascript:", b"data:"]
                    .iter()
                    .any(|scheme| rest.starts_with(scheme))
        })
}

/// `-->…</div>`, `]]><img …`: the value closes the comment or CDATA
/// section it was placed in, then writes markup.
fn comment_breakout(lower: &[u8]) -> bool {
    // Both closers end in `>`, which most values do not have.
    let Some(at) = memchr::memchr_iter(b'>', lower)
        .take(64)
        .find(|&at| at >= 2 && matches!(&lower[at - 2..at], b"--" | b"]]"))
    else {
        return false;
    };
    let rest = &lower[at + 1..];
    memchr::memchr_iter(b'<', rest).take(64).any(|j| {
        let name = rest.get(j + 1..).unwrap_or_default();
        let name = name.strip_prefix(b"/").unwrap_or(name);
        name.first().is_some_and(u8::is_ascii_alphabetic)
    })
}

/// A sink used as a value rather than called by name: `(alert)(1)`,
/// `[1].find(alert)`, `a=alert,a(1)`.
fn sink_reference(lower: &[u8]) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'$';
    let sink_at = |from: usize| {
        SINKS.iter().find_map(|sink| {
            lower[from..]
                .starts_with(sink.as_bytes())
                .then(|| from + sink.len())
                .filter(|&end| !lower.get(end).copied().is_some_and(word))
        })
    };
    memchr::memchr2_iter(b'(', b'=', lower).take(64).any(|at| {
        let Some(end) = sink_at(at + 1) else {
            return false;
        };
        let after = lower.get(end).copied();
        if lower[at] == b'=' {
            // Assigned, then called by its new name (`type=alert, x` is a
            // setting).
            let name_start = lower[..at]
                .iter()
                .rposition(|b| !word(*b))
                .map_or(0, |p| p + 1);
            let name = &lower[name_start..at];
            return matches!(after, Some(b',' | b';'))
                && !name.is_empty()
                && memchr::memmem::find_iter(&lower[end..], name)
                    .any(|j| lower.get(end + j + name.len()) == Some(&b'('));
        }
        // Called through the parentheses, or passed to a function.
        after == Some(b')') && (lower.get(end + 1) == Some(&b'(') || at > 0 && word(lower[at - 1]))
    })
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0c)
}

/// Every `<` that starts a tag: its name and its attributes.
fn tags(lower: &[u8], high: bool) -> bool {
    for at in memchr::memchr_iter(b'<', lower) {
        let mut i = at + 1;
        if lower.get(i) == Some(&b'/') {
            i += 1;
        }
        let Some(&first) = lower.get(i) else { break };
        if first == b'?' || first == b'!' {
            // `<?xml`, `<!ENTITY`, `<![CDATA[`, `<!--`: markup a form value
            // has no use for.
            if first == b'?'
                || lower[i..].starts_with(b"!--")
                || lower[i..].starts_with(b"![")
                || lower[i..].starts_with(b"!doctype")
                || lower[i..].starts_with(b"!attlist")
                || lower[i..].starts_with(b"!element")
            {
                return true;
            }
            continue;
        }
        if !first.is_ascii_alphabetic() {
            continue;
        }
        let end = (i..lower.len())
            .find(|&j| is_space(lower[j]) || lower[j] == b'/' || lower[j] == b'>')
            .unwrap_or(lower.len());
        let name = &lower[i..end];
        // A namespaced element (`<xsl:stylesheet>`, `<html:script>`) is XML
        // a browser may run.
        let dangerous = name.contains(&b':')
            || DANGEROUS_TAGS.iter().any(|t| {
                name == t.as_bytes()
                    || (name.starts_with(t.as_bytes()) && (high || name.len() > t.len() + 3))
            });
        if dangerous {
            return true;
        }
        // Inside a tag the value opened itself, any `on*` attribute counts.
        if attributes(lower, end, high, true) {
            return true;
        }
    }
    false
}

/// A value that closes an attribute (`" onfocus=...`) or sits unquoted in
/// one (`x onmouseover=...`) goes on with attributes of its own. Only
/// called for values with an `=`.
fn breakouts(lower: &[u8], high: bool) -> bool {
    if attributes(lower, 0, high, false) {
        return true;
    }
    lower
        .iter()
        .enumerate()
        .filter(|(_, b)| matches!(b, b'"' | b'\'' | b'`'))
        .take(MAX_BREAKOUTS)
        .any(|(at, _)| attributes(lower, at + 1, high, false))
}

/// Reads attributes from `from` to the end of the tag, as the HTML
/// tokenizer does: `/` separates like a space, values are quoted or end at
/// a space.
fn attributes(lower: &[u8], from: usize, high: bool, in_tag: bool) -> bool {
    let end = lower.len().min(from.saturating_add(TAG_WINDOW));
    let mut i = from;
    while i < end {
        while i < end && (is_space(lower[i]) || lower[i] == b'/') {
            i += 1;
        }
        if i >= end || lower[i] == b'>' {
            return false;
        }
        let name_start = i;
        i += 1;
        while i < end && !is_space(lower[i]) && !matches!(lower[i], b'/' | b'>' | b'=') {
            i += 1;
        }
        let name = &lower[name_start..i];
        while i < end && is_space(lower[i]) {
            i += 1;
        }
        if i >= end || lower[i] != b'=' {
            continue;
        }
        i += 1;
        while i < end && is_space(lower[i]) {
            i += 1;
        }
        let value = match lower.get(i) {
            Some(&q) if q == b'"' || q == b'\'' || q == b'`' => {
                let close =
                    memchr::memchr(q, &lower[i + 1..end.max(i + 1)]).map_or(end, |at| i + 1 + at);
                let value = &lower[(i + 1).min(close)..close];
                i = close + 1;
                value
            }
            _ => {
                let start = i;
                while i < end && !is_space(lower[i]) && lower[i] != b'>' {
                    i += 1;
                }
                if in_tag
                    && i < end
                    && is_space(lower[i])
                    && is_url_attribute(name)
                    && spaced_scheme(&lower[start..end])
                {
                    return true;
                }
                &lower[start..i]
            }
        };
        if attribute(name, value, high, in_tag) {
            return true;
        }
    }
    false
}

fn attribute(name: &[u8], value: &[u8], high: bool, in_tag: bool) -> bool {
    if in_tag {
        match name {
            // DOM clobbering: a planted element with an id or name becomes
            // a global the page's script may read instead of its own.
            b"id" | b"name" if !value.is_empty() => return true,
            // Planted inline style: any declaration can cover, move or
            // restyle the page around it.
            b"style" if value.contains(&b':') => return true,
            _ => {}
        }
        // A URL spelled with character references for its letters
        // (`&#106;&#97;…`): only written so to hide what it is.
        if is_url_attribute(name) && encoded_letters(value) {
            return true;
        }
    }
    if let Some(event) = name.strip_prefix(b"on") {
        let known = EVENTS.iter().any(|e| e.as_bytes() == event);
        let code_like = value
            .iter()
            .any(|b| matches!(b, b'(' | b'`' | b'=' | b'[' | b'.'));
        if known || (code_like && !event.is_empty()) || ((high || in_tag) && event.len() >= 3) {
            return true;
        }
    }
    if in_tag
        && (DANGEROUS_ATTRIBUTES.iter().any(|a| a.as_bytes() == name) || name.starts_with(b"xmlns"))
    {
        return true;
    }
    let value = decoded(value);
    if script_scheme(&value, high) {
        return true;
    }
    // A link the value planted whose host hides what it is: a filter
    // evasion (`http://0x42.0x0000066.0x7.0x93/`), not a link anyone types.
    if in_tag && is_url_attribute(name) && disguised_host(&value) {
        return true;
    }
    // A planted image (or other resource loaded without a click) whose URL
    // carries parameters: every reader's browser sends that request, with
    // their cookies, to another site.
    if in_tag
        && matches!(
            name,
            b"src" | b"background" | b"lowsrc" | b"dynsrc" | b"poster"
        )
        && (value.starts_with(b"http://")
            || value.starts_with(b"https://")
            || value.starts_with(b"//"))
        && value.contains(&b'?')
    {
        return true;
    }
    match name {
        // CSS that runs script, loads from elsewhere, or breaks out of the
        // declaration it was put in.
        b"style" => contains_any(
            &Transform::CssDecode.apply(&value).to_ascii_lowercase(),
            &[
                "expression",
                "javascript:",
                "binding",
                "behavior:",
                "behaviour:",
                "url(",
                "@import",
                "}",
                "{",
                "/*",
            ],
        ),
        b"srcdoc" => value.contains(&b'<'),
        _ => false,
    }
}

/// Attributes whose value the browser loads or follows as a URL.
const URL_ATTRIBUTES: &[&str] = &[
    "href",
    "src",
    "action",
    "formaction",
    "background",
    "lowsrc",
    "dynsrc",
    "poster",
    "data",
    "codebase",
    "cite",
    "longdesc",
];

/// `src=javasc ript:ale rt(1)>`: an unquoted URL broken by spaces into
/// words without `=` (which the tokenizer takes for empty attributes),
/// spelling a script scheme when put back together. `rest` runs from the
/// value to the end of the tag window.
fn spaced_scheme(rest: &[u8]) -> bool {
    let tag = &rest[..memchr::memchr(b'>', rest).unwrap_or(rest.len())];
    !tag.contains(&b'=') && script_scheme(&decoded(tag), false)
}

/// Whether `value` holds a numeric character reference to an ASCII letter.
fn encoded_letters(value: &[u8]) -> bool {
    memchr::memmem::find_iter(value, b"&#").take(16).any(|at| {
        crate::transform::numeric_reference(&value[at + 1..])
            .and_then(|(code, _)| char::from_u32(code))
            .is_some_and(|c| c.is_ascii_alphabetic())
    })
}

/// Whether `name` is an attribute the browser loads or follows as a URL.
fn is_url_attribute(name: &[u8]) -> bool {
    URL_ATTRIBUTES.iter().any(|a| a.as_bytes() == name)
}

/// Whether a URL's host is written so that a reader (or a filter) cannot
/// tell where it goes: percent-encoded, or an IPv4 address in hex, octal
/// or as fewer than four numbers (`http://1113982867/`).
fn disguised_host(url: &[u8]) -> bool {
    let Some(rest) = [&b"http://"[..], b"https://", b"ftp://", b"//"]
        .iter()
        .find_map(|scheme| url.strip_prefix(*scheme))
    else {
        return false;
    };
    let authority = rest
        .split(|b| matches!(b, b'/' | b'?' | b'#' | b'\\'))
        .next()
        .unwrap_or_default();
    let host_port = authority.rsplit(|b| *b == b'@').next().unwrap_or_default();
    let host = host_port.split(|b| *b == b':').next().unwrap_or_default();
    if host.contains(&b'%') {
        return true;
    }
    let labels: Vec<&[u8]> = host.split(|b| *b == b'.').collect();
    let numeric = |label: &[u8]| match label.strip_prefix(b"0x") {
        Some(hex) => hex.iter().all(u8::is_ascii_hexdigit),
        None => !label.is_empty() && label.iter().all(u8::is_ascii_digit),
    };
    if labels.len() > 4 || !labels.iter().all(|l| numeric(l)) {
        return false;
    }
    labels.len() < 4
        || labels
            .iter()
            .any(|l| l.starts_with(b"0x") || (l.len() > 1 && l.starts_with(b"0")))
}

/// An attribute value as the browser sees it: entities decoded, and the
/// tabs, newlines and controls that URL parsing drops from a scheme gone.
fn decoded(value: &[u8]) -> Vec<u8> {
    let value: Cow<'_, [u8]> = Transform::HtmlEntityDecode.apply(value);
    value
        .iter()
        .filter(|b| **b > b' ')
        .map(u8::to_ascii_lowercase)
        .collect()
}

fn script_scheme(value: &[u8], high: bool) -> bool {
    value.starts_with(b"javascript:")
        || value.starts_with(b"vbscript:")
        || value.starts_with(b"livescript:")
        || value.starts_with(b"mocha:")
        || value.starts_with(b"data:text/html")
        || value.starts_with(b"data:image/svg")
        || value.starts_with(b"data:application/x")
        || (high && value.starts_with(b"data:"))
}

/// One pass over the value finds any of the strong needles.
static STRONG_NEEDLES: LazyLock<Option<aho_corasick::AhoCorasick>> = LazyLock::new(|| {
    // Leftmost-first lets the search skip ahead with its SIMD
    // prefilter; any match will do.
    aho_corasick::AhoCorasick::builder()
        .match_kind(aho_corasick::MatchKind::LeftmostFirst)
        .build(STRONG)
        .ok()
});

static JAVASCRIPT: LazyLock<memchr::memmem::Finder<'static>> =
    LazyLock::new(|| memchr::memmem::Finder::new(b"javascript"));

fn contains_any(haystack: &[u8], needles: &[&str]) -> bool {
    needles
        .iter()
        .any(|n| memchr::memmem::find(haystack, n.as_bytes()).is_some())
}

/// A value used as a URL: `javascript:...` after optional quotes and
/// spaces, or after a quote or `=` that ends the text around it. Browsers
/// drop tabs and line breaks anywhere in a URL (`ja&Tab;vascript:`), so a
/// value holding them is read again without.
fn scheme(lower: &[u8], high: bool) -> bool {
    if scheme_as_written(lower, high) {
        return true;
    }
    if memchr::memchr3(b'\t', b'\n', b'\r', lower).is_none() {
        return false;
    }
    let joined: Vec<u8> = lower
        .iter()
        .copied()
        .filter(|b| !matches!(b, b'\t' | b'\n' | b'\r'))
        .collect();
    scheme_as_written(&joined, high)
}

fn scheme_as_written(lower: &[u8], high: bool) -> bool {
    if STRONG_NEEDLES.as_ref().is_some_and(|a| a.is_match(lower)) {
        return true;
    }
    // A whole value that is a script-bearing URL (`data:text/html;base64,…`).
    let start = lower
        .iter()
        .position(|b| !is_space(*b) && !matches!(b, b'"' | b'\''));
    if start.is_some_and(|at| {
        let head = &lower[at..lower.len().min(at + 64)];
        // A scheme needs its colon, spelled out or as an entity.
        matches!(lower[at], b'd' | b'j' | b'v' | b'l' | b'm' | b'&')
            && memchr::memchr2(b':', b'&', head).is_some()
            && script_scheme(&decoded(head), false)
    }) {
        return true;
    }
    JAVASCRIPT.find_iter(lower).take(MAX_BREAKOUTS).any(|at| {
        let rest = decoded(&lower[at..lower.len().min(at + 64)]);
        if !rest.starts_with(b"javascript:") {
            return false;
        }
        let before = lower[..at].iter().rev().find(|b| !is_space(**b));
        (high && !before.is_some_and(u8::is_ascii_alphanumeric))
            || matches!(
                before,
                None | Some(b'"' | b'\'' | b'=' | b'(' | b'`' | b'>' | b':')
            )
    })
}

/// In a script context: a sink called right after a character that ends
/// the expression the value was meant to be (`';alert(1)//`, `"-alert(1)-"`).
/// Read from each `(` or backtick back to the name before it: values have
/// few of them, and the scan is linear without a bound.
fn script_context(lower: &[u8], high: bool) -> bool {
    for call in memchr::memchr2_iter(b'(', b'`', lower) {
        let mut after = call;
        while high && after > 0 && is_space(lower[after - 1]) {
            after -= 1;
        }
        let Some(sink) = SINKS
            .iter()
            .find(|sink| lower[..after].ends_with(sink.as_bytes()))
        else {
            continue;
        };
        let at = after - sink.len();
        // `confirm (yes or no)` is prose; `alert (1)` is not.
        if call > after && lower.get(call + 1).is_some_and(u8::is_ascii_alphabetic) {
            continue;
        }
        let before = lower[..at].iter().rev().find(|b| !is_space(**b));
        let word_before =
            at > 0 && (lower[at - 1].is_ascii_alphanumeric() || lower[at - 1] == b'_');
        if word_before {
            continue;
        }
        let breakout = matches!(
            before,
            None | Some(
                b'\''
                    | b'"'
                    | b'`'
                    | b';'
                    | b'-'
                    | b'+'
                    | b'*'
                    | b'/'
                    | b'|'
                    | b'&'
                    | b'^'
                    | b'~'
                    | b'!'
                    | b'='
                    | b'('
                    | b'{'
                    | b'}'
                    | b'['
                    | b','
                    | b':'
                    | b'>'
                    | b'?'
                    | b'.'
                    | b')'
            )
        );
        if breakout || high {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn low(s: &str) -> bool {
        is_xss(s.as_bytes(), Sensitivity::Low)
    }

    fn high(s: &str) -> bool {
        is_xss(s.as_bytes(), Sensitivity::High)
    }

    #[test]
    fn full_width_markup_and_schemes_split_by_tabs_are_read_as_browsers_and_back_ends_do() {
        for attack in [
            "＜script＞alert(1)＜/script＞",
            "var=＜img src=x onerror=alert(1)＞",
            "a=ja\tvascript:alert(1)",
            "v\nb\ts\nc\nr\ti\tp\nt::msgbox(1)",
        ] {
            assert!(is_xss(attack.as_bytes(), Sensitivity::Low), "{attack:?}");
        }
        for benign in [
            "ＡＢＣ株式会社 （東京）",
            "columns:\tname\tjavascript\tversion",
            "tab\tseparated: values",
        ] {
            assert!(!is_xss(benign.as_bytes(), Sensitivity::Low), "{benign:?}");
            assert!(!is_xss(benign.as_bytes(), Sensitivity::High), "{benign:?}");
        }
    }

    #[test]
    fn classic_payloads_are_found_at_low_sensitivity() {
        for attack in [
            "<script>alert(1)</script>",
            "<scr<script>ipt>alert('XSS')</scr<script>ipt>",
            "\"><img src=x onerror=alert(1)>",
            "<svg/onload=alert(1)>",
            "<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
            "<a href=\" &#106;avascript:alert(1)\">x</a>",
            "\" onmouseover=\"alert(1)",
            "' autofocus onfocus=alert(1) x='",
            "javascript:alert(document.domain)",
            "';alert(String.fromCharCode(88,83,83))//",
            "\"-confirm`1`-\"",
            "<div style=\"width: expression(alert(1))\">",
            "<iframe srcdoc=\"&lt;script&gt;\">",
            "<x oneonerrorrror=alert(1)>",
            "<!--<img src=\"--><img src=x onerror=alert(1)//\">",
            "<form action=\"https://evil.example\"><input name=password>",
            "<xsl:stylesheet version=\"1.0\">",
            "<div style=\"background:url(javascript:alert(1))\">",
            "<x style=\"font-family:foo}color=red;\">",
            "<span datasrc=#x datafld=c dataformatas=html></span>",
            "data:text/html;base64,PHN2Zy9vbmxvYWQ9YWxlcnQoMik+",
            "\u{bc}script\u{be}alert(\u{a2}XSS\u{a2})\u{bc}/script\u{be}",
            "<A HREF=\"http://0x42.0x0000066.0x7.0x93/\">XSS</A>",
            "<A HREF=\"htt\tp://6\t6.000146.0x7.147/\">XSS</A>",
            "<A HREF=\"http://1113982867/\">XSS</A>",
            "<A HREF=\"http://%77%77%77%2E%67%6F%6F%67%6C%65%2E%63%6F%6D\">XSS</A>",
            "<img src=\"//user@0102.0146.07.0223:80/x.png\">",
            // Planted markup that works without script of its own.
            "<a id=\"x\"><rect fill=\"white\" width=\"1000\" height=\"1000\"/></a>",
            "<form name=getElementById>",
            "<div style=\"[a]color[b]:[c]red\">XXX</div>",
            "<IMG SRC=\"http://www.thesiteyouareon.com/somecommand.php?somevariables=maliciouscode\">",
            "<img src=&#106;&#97;&#118;&#97;&#115;&#99; &#114;&#105;&#112;&#116;&#58;>",
            "</a>//[\"'`-->]]>]</div>",
            "(alert)(1)",
            "[1].find(alert)",
            "a=alert,a(1)",
            "navigator.vibrate(500)",
            "al\\u0065rt(1)",
            "<img src=javasc ript:ale rt('XSS')>",
            "PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciPjxzY3JpcHQ+YWxlcnQoMSk8L3NjcmlwdD48L3N2Zz4NCg==\"/>",
            "</xmp>",
            "<plaintext>",
            "</title><b>",
            "location=\"http://html5sec.org\";",
            "x=1; location = 'javascript:alert(1)'",
            "$(\"a.bar\").click();",
            "$('#login').hide()",
        ] {
            assert!(low(attack), "missed {attack:?}");
        }
    }

    #[test]
    fn ordinary_values_pass_at_both_levels() {
        for benign in [
            "Fish & chips < 5 pounds > 3 pounds",
            "I <3 palisade",
            "Please confirm (yes or no)",
            "Turn on the lights; once done = true",
            "Learning JavaScript: the good parts",
            "x < y and y > z",
            "https://example.com/?q=onion&one=1",
            "<b>bold</b> and <i>italic</i>",
            "Onion rings, one=1",
            "\u{bc} cup of sugar, \u{be} cup of flour",
            "<a href=\"http://66.102.7.147/\">our server</a>",
            "<a href=\"https://example.com/0x42\">link</a>",
            "<img src=\"http://10.0.0.1:8080/logo.png\">",
            "<a href=\"http://2001.example.com/\">2001</a>",
            "http://0x42.0x0000066.0x7.0x93/ as plain text",
            "step one --> step two <- back",
            "Status (alert) raised; alert=off, print=on",
            "type=alert, duration=5; level=confirm",
            "PHP is a language; Paris is a city",
            "see document.pdf (page 2) and window.frame",
            "<a href=https://example.com/a b>two words</a>",
            "<a href=\"https://example.com/search?q=1\">search</a>",
            "location = \"Paris\"",
            "https://maps.example.com/?location='https://example.com/'",
            "Pick-up location: \"http://example.com/map\"",
            "It costs $(\"5\") or so. Ok(",
            "Price: $('10').00",
            // A token whose base64 happens to decode to a `<` among bytes.
            "Bearer eyJ9.dH_PEYuympyAZgT8P2xOmPmokmdvweYC",
        ] {
            assert!(!low(benign), "low flagged {benign:?}");
            assert!(!high(benign), "high flagged {benign:?}");
        }
    }

    #[test]
    fn high_sensitivity_adds_weaker_signals() {
        for input in [
            "\" onanything=x",
            "<img src=\"data:image/png;base64,AAAA\">",
            "alert (1)",
        ] {
            assert!(!low(input), "{input:?} at low");
            assert!(high(input), "{input:?} at high");
        }
    }
}
