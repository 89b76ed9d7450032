//! Untrusted text on its way to a terminal or a document.
//!
//! Package names, file paths, advisory summaries and feed titles come from
//! files anybody can write. Printed raw, an escape sequence in one can move
//! the cursor, rewrite earlier lines, set the window title or the clipboard,
//! and a carriage return or a right-to-left override can make a line read
//! differently from what it says. Such characters are shown as visible
//! escapes (`\x1b`, `\r`, `\u{202e}`) instead.

use std::borrow::Cow;

/// Whether `c` may change how a terminal shows what follows it: C0 and C1
/// controls, DEL, and the bidirectional formatting characters.
fn hazardous(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

fn escape_into(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
        c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
    }
}

/// `text` with every control, DEL and bidirectional formatting character
/// (newlines and tabs included) written as a visible escape: for one value
/// inside a line.
pub fn visible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(hazardous) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if hazardous(c) {
            escape_into(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// The length of a color sequence (`ESC [ digits and ; m`) at the start of
/// `rest`, if it is one.
fn color_sequence(rest: &str) -> Option<usize> {
    let body = rest.strip_prefix("\x1b[")?;
    let params = body
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b';')
        .count();
    (params <= 16 && body.as_bytes().get(params) == Some(&b'm')).then_some(2 + params + 1)
}

/// A whole block of output made safe for a terminal: newlines and tabs
/// stay, and so do color sequences when `colors` (the output's own); any
/// other hazardous character is escaped as [`visible`] does. A net under
/// the values already passed through [`visible`], for text assembled
/// elsewhere.
pub fn terminal_safe(text: &str, colors: bool) -> Cow<'_, str> {
    let kept = |c: char| c == '\n' || c == '\t';
    if !text.chars().any(|c| hazardous(c) && !kept(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if colors && let Some(n) = color_sequence(rest) {
            out.push_str(&rest[..n]);
            rest = &rest[n..];
            continue;
        }
        if hazardous(c) && !kept(c) {
            escape_into(&mut out, c);
        } else {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    Cow::Owned(out)
}

/// JSON text with the characters serde_json leaves raw in strings (DEL,
/// C1 controls, bidirectional formatting) written as `\u` escapes: the
/// same document, safe to print. Outside strings JSON has none of them.
pub fn json_safe(text: &str) -> Cow<'_, str> {
    let raw = |c: char| hazardous(c) && (c as u32) >= 0x7f;
    if !text.chars().any(raw) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if raw(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// serde_json's pretty printing, with the characters [`json_safe`] escapes
/// written as `\u` escapes as they go: for documents streamed to a writer
/// rather than held whole.
struct SafePretty<'a>(serde_json::ser::PrettyFormatter<'a>);

impl serde_json::ser::Formatter for SafePretty<'_> {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut rest = fragment;
        while let Some((at, c)) = rest
            .char_indices()
            .find(|&(_, c)| hazardous(c) && (c as u32) >= 0x7f)
        {
            writer.write_all(&rest.as_bytes()[..at])?;
            write!(writer, "\\u{:04x}", c as u32)?;
            rest = &rest[at + c.len_utf8()..];
        }
        writer.write_all(rest.as_bytes())
    }

    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_array(w)
    }

    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array(w)
    }

    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_array_value(w, first)
    }

    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array_value(w)
    }

    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object(w)
    }

    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object(w)
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_object_key(w, first)
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object_value(w)
    }

    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// Writes `value` as pretty JSON to `writer` as it is serialized (nothing
/// held whole), escaping what [`json_safe`] escapes, and a final newline.
pub fn write_json<W: std::io::Write, T: serde::Serialize + ?Sized>(
    writer: W,
    value: &T,
) -> std::io::Result<()> {
    let mut serializer = serde_json::Serializer::with_formatter(
        writer,
        SafePretty(serde_json::ser::PrettyFormatter::new()),
    );
    value
        .serialize(&mut serializer)
        .map_err(std::io::Error::other)?;
    serializer.into_inner().write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_show_every_hazard_as_an_escape() {
        assert!(matches!(visible("lodash 4.17.21"), Cow::Borrowed(_)));
        assert_eq!(
            visible("evil\x1b]0;pwned\x07\r\x08name\n\u{9b}2J\u{202e}cod.exe\u{7f}"),
            "evil\\x1b]0;pwned\\x07\\r\\x08name\\n\\u{9b}2J\\u{202e}cod.exe\\x7f"
        );
        assert_eq!(visible("naïve 名前"), "naïve 名前");
    }

    #[test]
    fn blocks_keep_their_lines_and_own_colors_only() {
        let text = "\x1b[1;31mhigh\x1b[0m  a\tb\nnext\x1b[2J\x1b[31\x1b]8;;x\x07";
        assert_eq!(
            terminal_safe(text, true),
            "\x1b[1;31mhigh\x1b[0m  a\tb\nnext\\x1b[2J\\x1b[31\\x1b]8;;x\\x07"
        );
        assert_eq!(
            terminal_safe(text, false),
            "\\x1b[1;31mhigh\\x1b[0m  a\tb\nnext\\x1b[2J\\x1b[31\\x1b]8;;x\\x07"
        );
        assert!(matches!(terminal_safe("plain\n", false), Cow::Borrowed(_)));
    }

    #[test]
    fn streamed_json_is_the_same_document_made_safe() {
        let value =
            serde_json::json!({"name": "a\u{1b}b\u{9b}c\u{202e}d", "list": [1, {"x": null}]});
        let mut out = Vec::new();
        write_json(&mut out, &value).expect("write");
        let text = String::from_utf8(out).expect("utf-8");
        assert!(!text.chars().any(|c| hazardous(c) && c != '\n'), "{text}");
        assert_eq!(
            text,
            format!(
                "{}\n",
                json_safe(&serde_json::to_string_pretty(&value).expect("json"))
            )
        );
    }

    #[test]
    fn json_stays_json() {
        let value = serde_json::json!({"name": "a\u{1b}b\u{9b}c\u{202e}d\u{7f}"});
        let text = serde_json::to_string(&value).expect("json");
        let safe = json_safe(&text);
        assert!(!safe.chars().any(hazardous), "{safe}");
        let back: serde_json::Value = serde_json::from_str(&safe).expect("still JSON");
        assert_eq!(back, value);
    }
}
