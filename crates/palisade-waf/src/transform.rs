//! AWS WAF text transformations: what a rule does to a request component
//! before it inspects it, so `%27%20OR%201=1` and `' or 1=1` look alike.
//! Each works on bytes, never fails, and never grows its input more than
//! the encoding it reverses allows (UTF8_TO_UNICODE excepted, bounded by 6x).

use std::borrow::Cow;

/// The transformation types of AWS WAF's `TextTransformation.Type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Transform {
    None,
    CompressWhiteSpace,
    HtmlEntityDecode,
    Lowercase,
    CmdLine,
    UrlDecode,
    UrlDecodeUni,
    Base64Decode,
    Base64DecodeExt,
    HexDecode,
    JsDecode,
    CssDecode,
    EscapeSeqDecode,
    NormalizePath,
    NormalizePathWin,
    RemoveNulls,
    ReplaceNulls,
    ReplaceComments,
    SqlHexDecode,
    Utf8ToUnicode,
    Trim,
    TrimLeft,
    TrimRight,
}

impl Transform {
    const NAMES: [(&'static str, Transform); 23] = [
        ("NONE", Transform::None),
        ("COMPRESS_WHITE_SPACE", Transform::CompressWhiteSpace),
        ("HTML_ENTITY_DECODE", Transform::HtmlEntityDecode),
        ("LOWERCASE", Transform::Lowercase),
        ("CMD_LINE", Transform::CmdLine),
        ("URL_DECODE", Transform::UrlDecode),
        ("URL_DECODE_UNI", Transform::UrlDecodeUni),
        ("BASE64_DECODE", Transform::Base64Decode),
        ("BASE64_DECODE_EXT", Transform::Base64DecodeExt),
        ("HEX_DECODE", Transform::HexDecode),
        ("JS_DECODE", Transform::JsDecode),
        ("CSS_DECODE", Transform::CssDecode),
        ("ESCAPE_SEQ_DECODE", Transform::EscapeSeqDecode),
        ("NORMALIZE_PATH", Transform::NormalizePath),
        ("NORMALIZE_PATH_WIN", Transform::NormalizePathWin),
        ("REMOVE_NULLS", Transform::RemoveNulls),
        ("REPLACE_NULLS", Transform::ReplaceNulls),
        ("REPLACE_COMMENTS", Transform::ReplaceComments),
        ("SQL_HEX_DECODE", Transform::SqlHexDecode),
        ("UTF8_TO_UNICODE", Transform::Utf8ToUnicode),
        ("TRIM", Transform::Trim),
        ("TRIM_LEFT", Transform::TrimLeft),
        ("TRIM_RIGHT", Transform::TrimRight),
    ];

    /// The type as AWS WAF's JSON names it (`URL_DECODE`).
    pub fn parse(name: &str) -> Option<Transform> {
        Transform::NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| *t)
    }

    pub fn name(self) -> &'static str {
        Transform::NAMES
            .iter()
            .find(|(_, t)| *t == self)
            .map_or("NONE", |(n, _)| n)
    }

    /// Applies the transformation.
    pub fn apply<'a>(self, input: &'a [u8]) -> Cow<'a, [u8]> {
        match self {
            Transform::None => Cow::Borrowed(input),
            Transform::CompressWhiteSpace => {
                if changes_white_space(input) {
                    Cow::Owned(compress_white_space(input))
                } else {
                    Cow::Borrowed(input)
                }
            }
            Transform::HtmlEntityDecode => decode_if(input, b'&', html_entity_decode),
            Transform::Lowercase => {
                if input.iter().any(u8::is_ascii_uppercase) {
                    Cow::Owned(input.to_ascii_lowercase())
                } else {
                    Cow::Borrowed(input)
                }
            }
            Transform::CmdLine => {
                if changes_cmd_line(input) {
                    Cow::Owned(cmd_line(input))
                } else {
                    Cow::Borrowed(input)
                }
            }
            Transform::UrlDecode => {
                if memchr::memchr2(b'%', b'+', input).is_some() {
                    Cow::Owned(url_decode(input, false))
                } else {
                    Cow::Borrowed(input)
                }
            }
            Transform::UrlDecodeUni => {
                if memchr::memchr2(b'%', b'+', input).is_some() {
                    Cow::Owned(url_decode(input, true))
                } else {
                    Cow::Borrowed(input)
                }
            }
            Transform::Base64Decode => base64_decode(input, false),
            Transform::Base64DecodeExt => base64_decode(input, true),
            Transform::HexDecode => hex_decode(input),
            Transform::JsDecode => decode_if(input, b'\\', |i| escape_decode(i, Dialect::Js)),
            Transform::CssDecode => decode_if(input, b'\\', css_decode),
            Transform::EscapeSeqDecode => {
                decode_if(input, b'\\', |i| escape_decode(i, Dialect::Ansi))
            }
            Transform::NormalizePath => normalize_path(input, false),
            Transform::NormalizePathWin => normalize_path(input, true),
            Transform::RemoveNulls => {
                if input.contains(&0) {
                    Cow::Owned(input.iter().copied().filter(|&b| b != 0).collect())
                } else {
                    Cow::Borrowed(input)
                }
            }
            Transform::ReplaceNulls => {
                if input.contains(&0) {
                    Cow::Owned(
                        input
                            .iter()
                            .map(|&b| if b == 0 { b' ' } else { b })
                            .collect(),
                    )
                } else {
                    Cow::Borrowed(input)
                }
            }
            Transform::ReplaceComments => decode_if(input, b'/', replace_comments),
            Transform::SqlHexDecode => Cow::Owned(sql_hex_decode(input)),
            Transform::Utf8ToUnicode => {
                if input.is_ascii() {
                    Cow::Borrowed(input)
                } else {
                    Cow::Owned(utf8_to_unicode(input))
                }
            }
            Transform::Trim => Cow::Borrowed(trim_end(trim_start(input))),
            Transform::TrimLeft => Cow::Borrowed(trim_start(input)),
            Transform::TrimRight => Cow::Borrowed(trim_end(input)),
        }
    }

    /// The bytes without which this transformation leaves a value as it
    /// is; None when it may change any value.
    fn markers(self) -> Option<&'static [u8]> {
        match self {
            Transform::None => Some(b""),
            Transform::UrlDecode | Transform::UrlDecodeUni => Some(b"%+"),
            Transform::HtmlEntityDecode => Some(b"&"),
            Transform::JsDecode | Transform::CssDecode | Transform::EscapeSeqDecode => Some(b"\\"),
            Transform::RemoveNulls | Transform::ReplaceNulls => Some(b"\0"),
            Transform::ReplaceComments => Some(b"/"),
            Transform::Lowercase => Some(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
            _ => None,
        }
    }
}

/// A statement's transformations, with what lets a value skip them all: a
/// chain of transformations that each need a marker byte leaves a value
/// without any of those bytes as it is, which one scan tells.
#[derive(Clone, Debug)]
pub struct Chain {
    list: Vec<Transform>,
    markers: Markers,
}

/// The bytes some transformation of a chain acts on. Up to three (the
/// usual URL and HTML decoding chain has `%`, `+` and `&`) are looked for
/// with `memchr`'s vectorised search, which reads a User-Agent in a few
/// steps rather than byte by byte.
#[derive(Clone, Debug)]
enum Markers {
    /// One of the transformations may change any value.
    Any,
    Few(Vec<u8>),
    Table(Box<[bool; 256]>),
}

impl Markers {
    fn occur_in(&self, input: &[u8]) -> bool {
        match self {
            Markers::Any => true,
            // Short values (most) in one plain pass: the vectorised search
            // costs more to set up than it saves on them.
            Markers::Few(bytes) if input.len() < 16 => input.iter().any(|b| bytes.contains(b)),
            Markers::Few(bytes) => match **bytes {
                [] => false,
                [a] => memchr::memchr(a, input).is_some(),
                [a, b] => memchr::memchr2(a, b, input).is_some(),
                [a, b, c] => memchr::memchr3(a, b, c, input).is_some(),
                _ => bytes.iter().any(|m| input.contains(m)),
            },
            Markers::Table(table) => input.iter().any(|b| table[usize::from(*b)]),
        }
    }
}

impl Chain {
    pub fn new(list: Vec<Transform>) -> Chain {
        let mut bytes: Vec<u8> = Vec::new();
        for transform in &list {
            match transform.markers() {
                Some(more) => bytes.extend_from_slice(more),
                None => {
                    return Chain {
                        list,
                        markers: Markers::Any,
                    };
                }
            }
        }
        bytes.sort_unstable();
        bytes.dedup();
        let markers = if bytes.len() <= 3 {
            Markers::Few(bytes)
        } else {
            let mut table = Box::new([false; 256]);
            bytes.iter().for_each(|b| table[usize::from(*b)] = true);
            Markers::Table(table)
        };
        Chain { list, markers }
    }

    pub fn apply<'a>(&self, input: &'a [u8]) -> Cow<'a, [u8]> {
        if !self.markers.occur_in(input) {
            return Cow::Borrowed(input);
        }
        apply_all(input, &self.list)
    }
}

/// Applies `transforms` in order (callers sort by `Priority`).
pub fn apply_all<'a>(input: &'a [u8], transforms: &[Transform]) -> Cow<'a, [u8]> {
    let mut value = Cow::Borrowed(input);
    for transform in transforms {
        value = match value {
            Cow::Borrowed(b) => transform.apply(b),
            Cow::Owned(v) => match transform.apply(&v) {
                Cow::Owned(changed) => Cow::Owned(changed),
                Cow::Borrowed(same) if same.len() == v.len() => Cow::Owned(v),
                Cow::Borrowed(part) => Cow::Owned(part.to_vec()),
            },
        };
    }
    value
}

/// Runs `decode` only when the marker byte occurs at all.
fn decode_if(input: &[u8], marker: u8, decode: impl Fn(&[u8]) -> Vec<u8>) -> Cow<'_, [u8]> {
    if input.contains(&marker) {
        Cow::Owned(decode(input))
    } else {
        Cow::Borrowed(input)
    }
}

/// Space, tab, newline, carriage return, form feed, vertical tab and the
/// Latin-1 non-breaking space, as AWS WAF counts white space.
fn is_white(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c | 0xa0)
}

/// Whether COMPRESS_WHITE_SPACE changes `input`: white space other than
/// one space at a time. (Most values have none; they are not copied.)
fn changes_white_space(input: &[u8]) -> bool {
    let mut previous_space = false;
    for &b in input {
        let space = b == b' ';
        if (space && previous_space) || (!space && is_white(b)) {
            return true;
        }
        previous_space = space;
    }
    false
}

/// Whether CMD_LINE changes `input`: a character it deletes or replaces,
/// an upper-case letter, white space other than single spaces, or a space
/// before `/` or `(`.
fn changes_cmd_line(input: &[u8]) -> bool {
    let mut previous_space = false;
    for &b in input {
        match b {
            b'\\' | b'"' | b'\'' | b'^' | b',' | b';' | b'A'..=b'Z' => return true,
            b'/' | b'(' | b' ' if previous_space => return true,
            b if b != b' ' && is_white(b) => return true,
            _ => {}
        }
        previous_space = b == b' ';
    }
    false
}

fn compress_white_space(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut in_space = false;
    for &b in input {
        if is_white(b) {
            if !in_space {
                out.push(b' ');
            }
            in_space = true;
        } else {
            out.push(b);
            in_space = false;
        }
    }
    out
}

fn trim_start(input: &[u8]) -> &[u8] {
    let start = input
        .iter()
        .position(|&b| !is_white(b))
        .unwrap_or(input.len());
    &input[start..]
}

fn trim_end(input: &[u8]) -> &[u8] {
    let end = input
        .iter()
        .rposition(|&b| !is_white(b))
        .map_or(0, |i| i + 1);
    &input[..end]
}

/// Deletes `\ " ' ^`, deletes spaces before `/` and `(`, turns `,` and `;`
/// into spaces, collapses white space and lowercases: how a shell would
/// read `c^md /c "w,h;o"`.
fn cmd_line(input: &[u8]) -> Vec<u8> {
    let mut out: Vec<u8> = Vec::with_capacity(input.len());
    for &b in input {
        match b {
            b'\\' | b'"' | b'\'' | b'^' => {}
            b'/' | b'(' => {
                while out.last() == Some(&b' ') {
                    out.pop();
                }
                out.push(b);
            }
            b',' | b';' => {
                if out.last() != Some(&b' ') {
                    out.push(b' ');
                }
            }
            b if is_white(b) => {
                if out.last() != Some(&b' ') {
                    out.push(b' ');
                }
            }
            b => out.push(b.to_ascii_lowercase()),
        }
    }
    out
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// The value of `digits` hex digits at `input[at..]`, if they all are.
fn hex_at(input: &[u8], at: usize, digits: usize) -> Option<u32> {
    let slice = input.get(at..at + digits)?;
    slice
        .iter()
        .try_fold(0u32, |acc, &b| Some(acc * 16 + u32::from(hex_value(b)?)))
}

/// Appends the UTF-8 encoding of `code` (or `?` for a non-character).
fn push_char(out: &mut Vec<u8>, code: u32) {
    let c = char::from_u32(code).unwrap_or('\u{fffd}');
    let mut buf = [0u8; 4];
    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
}

/// A `%uHHHH` (or JavaScript `\uHHHH`) escape as AWS WAF decodes it: one
/// byte, the low one, except that the full-width forms `FF01`-`FF5E` become
/// the ASCII characters they stand for (`%uFF1C` is `<`). That is lossy on
/// purpose: it is what the rules of an ACL written for AWS expect to see.
fn unicode_byte(code: u32) -> u8 {
    let low = (code & 0xff) as u8;
    if code >> 8 == 0xff && (0x01..=0x5e).contains(&low) {
        low + 0x20
    } else {
        low
    }
}

/// `%XX` decoded, `+` read as a space; `%uXXXX` too when `uni`. A `%` not
/// followed by hex digits stays as it is.
fn url_decode(input: &[u8], uni: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                if uni
                    && matches!(input.get(i + 1), Some(b'u' | b'U'))
                    && let Some(code) = hex_at(input, i + 2, 4)
                {
                    out.push(unicode_byte(code));
                    i += 6;
                } else if let Some(byte) = hex_at(input, i + 1, 2) {
                    out.push(byte as u8);
                    i += 3;
                } else {
                    out.push(b'%');
                    i += 1;
                }
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

fn base64_value(b: u8) -> Option<u8> {
    match b {
        b'A'..=b'Z' => Some(b - b'A'),
        b'a'..=b'z' => Some(b - b'a' + 26),
        b'0'..=b'9' => Some(b - b'0' + 52),
        b'+' | b'-' => Some(62),
        b'/' | b'_' => Some(63),
        _ => None,
    }
}

/// Base64 (standard or URL alphabet, padding optional). Strict mode keeps
/// the input when it is not base64; the EXT form skips what is not.
fn base64_decode(input: &[u8], lenient: bool) -> Cow<'_, [u8]> {
    let body = input
        .iter()
        .rposition(|&b| b != b'=')
        .map_or(&input[..0], |end| &input[..=end]);
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for &b in body {
        let Some(v) = base64_value(b) else {
            if lenient {
                continue;
            }
            return Cow::Borrowed(input);
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Cow::Owned(out)
}

/// Pairs of hex digits to bytes; input that is not all hex stays as it is.
fn hex_decode(input: &[u8]) -> Cow<'_, [u8]> {
    if input.is_empty() || !input.iter().all(|b| b.is_ascii_hexdigit()) {
        return Cow::Borrowed(input);
    }
    Cow::Owned(
        input
            .chunks(2)
            .map(|pair| {
                pair.iter().fold(0u8, |acc, &b| {
                    acc.wrapping_mul(16) | hex_value(b).unwrap_or(0)
                })
            })
            .collect(),
    )
}

/// `0x414243` to `ABC`, anywhere in the input (SQL's hex literals).
fn sql_hex_decode(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        if input[i] == b'0'
            && matches!(input.get(i + 1), Some(b'x' | b'X'))
            && input.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
        {
            let mut j = i + 2;
            while j + 1 < input.len()
                && input[j].is_ascii_hexdigit()
                && input[j + 1].is_ascii_hexdigit()
            {
                out.push(
                    hex_value(input[j]).unwrap_or(0) * 16 + hex_value(input[j + 1]).unwrap_or(0),
                );
                j += 2;
            }
            if j == i + 2 {
                out.push(input[i]);
                i += 1;
            } else {
                i = j;
            }
        } else {
            out.push(input[i]);
            i += 1;
        }
    }
    out
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Dialect {
    /// JavaScript: `\xHH`, `\uHHHH`, octal, and the single-letter escapes.
    Js,
    /// ANSI C: the same without `\u`.
    Ansi,
}

/// Backslash escapes decoded; an unknown escape yields the escaped byte.
fn escape_decode(input: &[u8], dialect: Dialect) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        if input[i] != b'\\' || i + 1 == input.len() {
            out.push(input[i]);
            i += 1;
            continue;
        }
        let next = input[i + 1];
        match next {
            b'x' | b'X' if hex_at(input, i + 2, 2).is_some() => {
                out.push(hex_at(input, i + 2, 2).unwrap_or(0) as u8);
                i += 4;
            }
            b'u' | b'U' if dialect == Dialect::Js && hex_at(input, i + 2, 4).is_some() => {
                out.push(unicode_byte(hex_at(input, i + 2, 4).unwrap_or(0)));
                i += 6;
            }
            b'0'..=b'7' => {
                let mut value: u32 = 0;
                let mut j = i + 1;
                while j < input.len() && j < i + 4 && (b'0'..=b'7').contains(&input[j]) {
                    value = value * 8 + u32::from(input[j] - b'0');
                    j += 1;
                }
                out.push((value & 0xff) as u8);
                i = j;
            }
            _ => {
                out.push(match next {
                    b'a' => 0x07,
                    b'b' => 0x08,
                    b'f' => 0x0c,
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b't' => b'\t',
                    b'v' => 0x0b,
                    other => other,
                });
                i += 2;
            }
        }
    }
    out
}

/// CSS escapes: a backslash and 1-6 hex digits (one white space after them
/// is part of the escape), a backslash and a newline (removed), or a
/// backslash and any other character (that character).
fn css_decode(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        if input[i] != b'\\' || i + 1 == input.len() {
            out.push(input[i]);
            i += 1;
            continue;
        }
        let mut j = i + 1;
        let mut value: u32 = 0;
        while j < input.len() && j < i + 7 && input[j].is_ascii_hexdigit() {
            value = value * 16 + u32::from(hex_value(input[j]).unwrap_or(0));
            j += 1;
        }
        if j > i + 1 {
            push_char(&mut out, value);
            if j < input.len() && is_white(input[j]) {
                j += 1;
            }
            i = j;
        } else if input[i + 1] == b'\n' {
            i += 2;
        } else {
            out.push(input[i + 1]);
            i += 2;
        }
    }
    out
}

/// A numeric character reference, given what follows its `&`: `#DDD;` or
/// `#xHH;` (the semicolon may be missing; at most 8 digits are read). The
/// code point and the length after the `&`.
pub(crate) fn numeric_reference(rest: &[u8]) -> Option<(u32, usize)> {
    if rest.first() != Some(&b'#') {
        return None;
    }
    let hex = matches!(rest.get(1), Some(b'x' | b'X'));
    let start = if hex { 2 } else { 1 };
    let digits = rest[start..]
        .iter()
        .take_while(|b| {
            if hex {
                b.is_ascii_hexdigit()
            } else {
                b.is_ascii_digit()
            }
        })
        .count()
        .min(8);
    if digits == 0 {
        return None;
    }
    let code = rest[start..start + digits].iter().fold(0u32, |acc, &b| {
        acc.saturating_mul(if hex { 16 } else { 10 })
            .saturating_add(u32::from(hex_value(b).unwrap_or(0)))
    });
    let semicolon = usize::from(rest.get(start + digits) == Some(&b';'));
    Some((code, start + digits + semicolon))
}

/// `&lt;`, `&#60;`, `&#x3c;` and the other common entities decoded; an
/// unknown or unterminated one stays as it is.
fn html_entity_decode(input: &[u8]) -> Vec<u8> {
    // HTML5's names for punctuation are decoded by browsers in attributes
    // as much as the classic five, and payloads use them (`alert&lpar;1&rpar;`).
    const NAMED: [(&[u8], &[u8]); 34] = [
        (b"quot", b"\""),
        (b"amp", b"&"),
        (b"lt", b"<"),
        (b"gt", b">"),
        (b"apos", b"'"),
        (b"nbsp", b"\xa0"),
        (b"colon", b":"),
        (b"sol", b"/"),
        (b"bsol", b"\\"),
        (b"lpar", b"("),
        (b"rpar", b")"),
        (b"lsqb", b"["),
        (b"lbrack", b"["),
        (b"rsqb", b"]"),
        (b"rbrack", b"]"),
        (b"lcub", b"{"),
        (b"lbrace", b"{"),
        (b"rcub", b"}"),
        (b"rbrace", b"}"),
        (b"tab", b"\t"),
        (b"newline", b"\n"),
        (b"grave", b"`"),
        (b"period", b"."),
        (b"comma", b","),
        (b"semi", b";"),
        (b"excl", b"!"),
        (b"equals", b"="),
        (b"plus", b"+"),
        (b"num", b"#"),
        (b"percnt", b"%"),
        (b"ast", b"*"),
        (b"quest", b"?"),
        (b"commat", b"@"),
        (b"verbar", b"|"),
    ];
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        if input[i] != b'&' {
            out.push(input[i]);
            i += 1;
            continue;
        }
        let rest = &input[i + 1..];
        if let Some((code, len)) = numeric_reference(rest) {
            push_char(&mut out, code);
            i += 1 + len;
            continue;
        }
        if let Some((name, value)) = NAMED.iter().find(|(name, _)| {
            rest.len() > name.len()
                && rest[..name.len()].eq_ignore_ascii_case(name)
                && rest[name.len()] == b';'
        }) {
            out.extend_from_slice(value);
            i += 1 + name.len() + 1;
            continue;
        }
        out.push(b'&');
        i += 1;
    }
    out
}

/// `/* ... */` comments become one space (an unterminated one too).
fn replace_comments(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        if input[i] == b'/' && input.get(i + 1) == Some(&b'*') {
            match input[i + 2..].windows(2).position(|w| w == b"*/") {
                Some(end) => i += 2 + end + 2,
                None => i = input.len(),
            }
            out.push(b' ');
        } else {
            out.push(input[i]);
            i += 1;
        }
    }
    out
}

/// Whether rebuilding `path` would give it back as it is (most paths: no
/// empty, `.` or `..` segment but a leading or trailing slash).
fn is_normal_path(path: &[u8]) -> bool {
    let last = path.iter().filter(|&&b| b == b'/').count();
    path.split(|&b| b == b'/')
        .enumerate()
        .all(|(i, segment)| match segment {
            b"." | b".." => false,
            b"" => i == 0 || i == last,
            _ => true,
        })
}

/// Removes `//`, `/./` and `dir/../` (Windows form: backslashes first turn
/// into slashes). A `..` above the root is dropped. A path already normal
/// is given back as it is.
fn normalize_path(input: &[u8], windows: bool) -> Cow<'_, [u8]> {
    if !(windows && input.contains(&b'\\')) && is_normal_path(input) {
        Cow::Borrowed(input)
    } else {
        Cow::Owned(rebuild_path(input, windows))
    }
}

fn rebuild_path(input: &[u8], windows: bool) -> Vec<u8> {
    let path: Vec<u8> = if windows {
        input
            .iter()
            .map(|&b| if b == b'\\' { b'/' } else { b })
            .collect()
    } else {
        input.to_vec()
    };
    let absolute = path.first() == Some(&b'/');
    let trailing = path.len() > 1 && path.last() == Some(&b'/');
    let mut segments: Vec<&[u8]> = Vec::new();
    for segment in path.split(|&b| b == b'/') {
        match segment {
            b"" | b"." => {}
            b".." => {
                if segments.last().is_some_and(|s| *s != b"..") {
                    segments.pop();
                } else if !absolute {
                    segments.push(segment);
                }
            }
            s => segments.push(s),
        }
    }
    let mut out = Vec::with_capacity(path.len());
    if absolute {
        out.push(b'/');
    }
    out.extend_from_slice(&segments.join(&b'/'));
    if trailing && !segments.is_empty() {
        out.push(b'/');
    }
    out
}

/// UTF-8 sequences written as `%uHHHH`; bytes that are not UTF-8 are kept.
fn utf8_to_unicode(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() * 2);
    for chunk in input.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c.is_ascii() {
                out.push(c as u8);
            } else {
                let code = u32::from(c);
                if code > 0xffff {
                    out.extend_from_slice(
                        format!(
                            "%u{:04x}%u{:04x}",
                            0xd800 + ((code - 0x10000) >> 10),
                            0xdc00 + ((code - 0x10000) & 0x3ff)
                        )
                        .as_bytes(),
                    );
                } else {
                    out.extend_from_slice(format!("%u{code:04x}").as_bytes());
                }
            }
        }
        out.extend_from_slice(chunk.invalid());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn white_space_and_command_line_copy_only_what_they_change() {
        // Every string of up to five characters over the bytes the two
        // transformations treat specially: the shortcut agrees with the
        // transformation done in full.
        let alphabet = b" /(aA\t,\"\\";
        let mut inputs: Vec<Vec<u8>> = vec![Vec::new()];
        for _ in 0..5 {
            let longer: Vec<Vec<u8>> = inputs
                .iter()
                .filter(|i| i.len() == inputs.last().map_or(0, Vec::len))
                .flat_map(|i| {
                    alphabet.iter().map(move |&b| {
                        let mut next = i.clone();
                        next.push(b);
                        next
                    })
                })
                .collect();
            inputs.extend(longer);
        }
        for input in &inputs {
            assert_eq!(
                Transform::CompressWhiteSpace.apply(input).as_ref(),
                compress_white_space(input).as_slice(),
                "{input:?}"
            );
            assert_eq!(
                Transform::CmdLine.apply(input).as_ref(),
                cmd_line(input).as_slice(),
                "{input:?}"
            );
        }
    }

    #[test]
    fn a_chain_skips_only_values_it_would_leave_alone() {
        use Transform::*;
        let chains = [
            vec![UrlDecode, UrlDecodeUni, HtmlEntityDecode],
            vec![UrlDecodeUni, HtmlEntityDecode],
            vec![JsDecode, CssDecode, EscapeSeqDecode],
            vec![RemoveNulls, ReplaceComments, ReplaceNulls],
            vec![None],
            vec![UrlDecode, Lowercase],
            vec![UrlDecode, CompressWhiteSpace],
            // More markers than the vectorised search takes: a table.
            vec![UrlDecode, HtmlEntityDecode, JsDecode, RemoveNulls],
        ];
        let alphabet = b"a%+&\\\0/20x41;#*uA ";
        let mut inputs: Vec<Vec<u8>> = vec![Vec::new()];
        for _ in 0..4 {
            let longer: Vec<Vec<u8>> = inputs
                .iter()
                .filter(|i| i.len() == inputs.last().map_or(0, Vec::len))
                .flat_map(|i| alphabet.iter().map(move |b| [i.as_slice(), &[*b]].concat()))
                .collect();
            inputs.extend(longer);
        }
        // The same behind a plain run, past the short-value scan.
        let padded: Vec<Vec<u8>> = inputs
            .iter()
            .map(|i| [&b"plain-text-run-of-twenty"[..], i].concat())
            .collect();
        inputs.extend(padded);
        for list in chains {
            let chain = Chain::new(list.clone());
            for input in &inputs {
                assert_eq!(
                    chain.apply(input),
                    apply_all(input, &list),
                    "{list:?} on {:?}",
                    String::from_utf8_lossy(input)
                );
            }
        }
        let markers = |list: Vec<Transform>| Chain::new(list).markers;
        assert!(
            matches!(markers(vec![UrlDecode, UrlDecodeUni, HtmlEntityDecode]),
            Markers::Few(bytes) if bytes == b"%&+")
        );
        assert!(matches!(markers(vec![None]), Markers::Few(bytes) if bytes.is_empty()));
        assert!(matches!(
            markers(vec![UrlDecode, HtmlEntityDecode, JsDecode, RemoveNulls]),
            Markers::Table(_)
        ));
        assert!(matches!(
            markers(vec![UrlDecode, Lowercase]),
            Markers::Table(_)
        ));
        assert!(matches!(
            markers(vec![UrlDecode, CompressWhiteSpace]),
            Markers::Any
        ));
    }

    fn t(transform: Transform, input: &str) -> String {
        String::from_utf8_lossy(&transform.apply(input.as_bytes())).into_owned()
    }

    #[test]
    fn names_round_trip() {
        for (name, transform) in Transform::NAMES {
            assert_eq!(Transform::parse(name), Some(transform));
            assert_eq!(transform.name(), name);
        }
        assert_eq!(Transform::parse("MD6"), None);
    }

    #[test]
    fn url_decoding_reveals_what_was_encoded() {
        assert_eq!(
            t(Transform::UrlDecode, "%27%20OR%201%3D1--+x"),
            "' OR 1=1-- x"
        );
        assert_eq!(t(Transform::UrlDecode, "100%"), "100%");
        assert_eq!(t(Transform::UrlDecode, "%zz%4"), "%zz%4");
        assert_eq!(t(Transform::UrlDecodeUni, "%u003cscript%u003E"), "<script>");
        // Full-width forms are their ASCII characters; anything else keeps
        // its low byte, as AWS documents.
        assert_eq!(t(Transform::UrlDecodeUni, "%uFF1Cscript%uff1e"), "<script>");
        assert_eq!(t(Transform::UrlDecodeUni, "%uFF21%uFF5E"), "A~");
        assert_eq!(
            Transform::UrlDecodeUni
                .apply(b"%u2215%uFF00%uFF5F%u0041")
                .as_ref(),
            b"\x15\x00\x5fA"
        );
        assert_eq!(t(Transform::UrlDecodeUni, "%u00zz%u12"), "%u00zz%u12");
        assert_eq!(t(Transform::JsDecode, "\\uFF1Cimg\\u003e"), "<img>");
        assert_eq!(t(Transform::UrlDecode, "%u003c"), "%u003c");
    }

    #[test]
    fn html_entities_decode_by_name_and_number() {
        assert_eq!(
            t(
                Transform::HtmlEntityDecode,
                "&lt;img src=x onerror=alert&#40;1&#x29;&gt;"
            ),
            "<img src=x onerror=alert(1)>"
        );
        assert_eq!(
            t(Transform::HtmlEntityDecode, "&#106&#97vascript"),
            "javascript"
        );
        assert_eq!(
            t(
                Transform::HtmlEntityDecode,
                "alert&lpar;1&rpar;&Tab;&NewLine;&grave;&semi;&fake;"
            ),
            "alert(1)\t\n`;&fake;"
        );
        assert_eq!(
            t(Transform::HtmlEntityDecode, "fish & chips &unknown;"),
            "fish & chips &unknown;"
        );
    }

    #[test]
    fn white_space_and_case() {
        assert_eq!(
            t(Transform::CompressWhiteSpace, "a \t\n\r b\u{0b}c"),
            "a b c"
        );
        assert_eq!(t(Transform::Lowercase, "SeLeCt"), "select");
        assert_eq!(t(Transform::Trim, " \t x y \n"), "x y");
        assert_eq!(t(Transform::TrimLeft, "  x "), "x ");
        assert_eq!(t(Transform::TrimRight, "  x "), "  x");
    }

    #[test]
    fn cmd_line_reads_as_a_shell_would() {
        assert_eq!(
            t(Transform::CmdLine, "C^MD.exe  /c \"w,h;o\"  ( x"),
            "cmd.exe/c w h o( x"
        );
    }

    #[test]
    fn encodings_decode() {
        assert_eq!(t(Transform::Base64Decode, "PHNjcmlwdD4="), "<script>");
        assert_eq!(t(Transform::Base64Decode, "not base64!"), "not base64!");
        assert_eq!(t(Transform::Base64DecodeExt, "PHNj.cmlw*dD4="), "<script>");
        assert_eq!(t(Transform::HexDecode, "3c7363726970743e"), "<script>");
        assert_eq!(t(Transform::HexDecode, "3c7g"), "3c7g");
        assert_eq!(
            t(Transform::SqlHexDecode, "select 0x61646d696e, 0x"),
            "select admin, 0x"
        );
        assert_eq!(
            t(Transform::JsDecode, r"\x3cscript\u003e\101\n"),
            "<script>A\n"
        );
        assert_eq!(t(Transform::EscapeSeqDecode, r"\x41\u0042\t"), "Au0042\t");
        // `\c` would be U+000C (c is a hex digit); `\s` is an s.
        assert_eq!(
            t(
                Transform::CssDecode,
                r"\6a \61 va\script\
x"
            ),
            "javascriptx"
        );
    }

    #[test]
    fn paths_already_normal_are_given_back_as_they_are() {
        let paths = [
            "",
            "/",
            "//",
            "/a",
            "/a/",
            "a",
            "a/",
            "a/b",
            "/a//b",
            "/a/./b",
            "/a/../b",
            ".",
            "..",
            "./a",
            "../a",
            "/.",
            "/..",
            "/a/.",
            "/a/..",
            "a/b/",
            "/a/b/c",
            "///",
            "/a.b/c..d/.e",
            "/customizations",
            "/wp-admin/",
            "a//",
            "/\\a",
        ];
        for path in [
            "",
            "/",
            "/a",
            "/a/",
            "a/b",
            "/customizations",
            "/a.b/c..d/.e",
        ] {
            assert!(is_normal_path(path.as_bytes()), "{path:?}");
        }
        for path in paths {
            let rebuilt = rebuild_path(path.as_bytes(), false);
            // Conservative: `..` at the start of a relative path is kept
            // by the rebuild too, but it is rebuilt all the same.
            if is_normal_path(path.as_bytes()) {
                assert_eq!(rebuilt, path.as_bytes(), "{path:?}");
            }
            // Through the transform, borrowed or rebuilt, the same text.
            for transform in [Transform::NormalizePath, Transform::NormalizePathWin] {
                let windows = transform == Transform::NormalizePathWin;
                assert_eq!(
                    transform.apply(path.as_bytes()).as_ref(),
                    rebuild_path(path.as_bytes(), windows).as_slice(),
                    "{path:?}"
                );
            }
        }
    }

    #[test]
    fn paths_normalize() {
        assert_eq!(t(Transform::NormalizePath, "/a//b/./c/../d/"), "/a/b/d/");
        assert_eq!(
            t(Transform::NormalizePath, "/../../etc/passwd"),
            "/etc/passwd"
        );
        assert_eq!(t(Transform::NormalizePath, "a/../../b"), "../b");
        assert_eq!(
            t(
                Transform::NormalizePathWin,
                r"\windows\.\system32\..\win.ini"
            ),
            "/windows/win.ini"
        );
    }

    #[test]
    fn nulls_comments_and_unicode() {
        assert_eq!(t(Transform::RemoveNulls, "a\0b"), "ab");
        assert_eq!(t(Transform::ReplaceNulls, "a\0b"), "a b");
        assert_eq!(
            t(Transform::ReplaceComments, "UNION/**/SELECT/* x"),
            "UNION SELECT "
        );
        assert_eq!(
            t(Transform::Utf8ToUnicode, "a\u{e9}\u{1f600}"),
            "a%u00e9%ud83d%ude00"
        );
    }

    #[test]
    fn transformations_chain_in_order() {
        let chain = [
            Transform::UrlDecode,
            Transform::HtmlEntityDecode,
            Transform::Lowercase,
        ];
        let out = apply_all(b"%26lt%3BSCRIPT%26gt%3B", &chain);
        assert_eq!(out.as_ref(), b"<script>");
        assert!(matches!(apply_all(b"plain", &chain), Cow::Borrowed(_)));
    }
}
