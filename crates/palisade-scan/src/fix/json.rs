//! Locating string values in JSON text by their member path, so a manifest
//! can be edited in place: every byte outside the replaced value is kept.

/// Deepest nesting followed; manifests are shallow.
const MAX_DEPTH: usize = 64;

struct Scanner<'a> {
    text: &'a [u8],
    pos: usize,
}

/// Where a member's string value is: the bytes between its quotes.
pub(crate) type Span = (usize, usize);

impl Scanner<'_> {
    fn ws(&mut self) {
        while self.pos < self.text.len() && self.text[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
    }

    /// A string starting at `pos` (the opening quote): its raw content span.
    fn string(&mut self) -> Option<Span> {
        if self.text.get(self.pos) != Some(&b'"') {
            return None;
        }
        let start = self.pos + 1;
        let mut i = start;
        while i < self.text.len() {
            match self.text[i] {
                b'\\' => i += 2,
                b'"' => {
                    self.pos = i + 1;
                    return Some((start, i));
                }
                _ => i += 1,
            }
        }
        None
    }

    /// Skips any value; `visit` sees each object member's path and string value.
    fn value(
        &mut self,
        path: &mut Vec<String>,
        depth: usize,
        visit: &mut dyn FnMut(&[String], Span),
    ) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.ws();
        match self.text.get(self.pos)? {
            b'{' => {
                self.pos += 1;
                loop {
                    self.ws();
                    if self.text.get(self.pos) == Some(&b'}') {
                        self.pos += 1;
                        return Some(());
                    }
                    let key = self.string()?;
                    let key =
                        serde_json::from_slice::<String>(&self.text[key.0 - 1..key.1 + 1]).ok()?;
                    self.ws();
                    if self.text.get(self.pos) != Some(&b':') {
                        return None;
                    }
                    self.pos += 1;
                    self.ws();
                    path.push(key);
                    if self.text.get(self.pos) == Some(&b'"') {
                        let span = self.string()?;
                        visit(path, span);
                    } else {
                        self.value(path, depth + 1, visit)?;
                    }
                    path.pop();
                    self.ws();
                    match self.text.get(self.pos)? {
                        b',' => self.pos += 1,
                        b'}' => {
                            self.pos += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b'[' => {
                self.pos += 1;
                loop {
                    self.ws();
                    if self.text.get(self.pos) == Some(&b']') {
                        self.pos += 1;
                        return Some(());
                    }
                    if self.text.get(self.pos) == Some(&b'"') {
                        self.string()?;
                    } else {
                        self.value(path, depth + 1, visit)?;
                    }
                    self.ws();
                    match self.text.get(self.pos)? {
                        b',' => self.pos += 1,
                        b']' => {
                            self.pos += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b'"' => self.string().map(|_| ()),
            _ => {
                // Numbers and literals: up to the next delimiter.
                while self.pos < self.text.len() && !b",}] \t\r\n".contains(&self.text[self.pos]) {
                    self.pos += 1;
                }
                Some(())
            }
        }
    }
}

/// Every string-valued member whose path is `[section, name]`, with its
/// value's span. `None` when the text is not well-formed JSON.
pub(crate) fn members(text: &str, sections: &[&str]) -> Option<Vec<(String, String, Span)>> {
    let mut found = Vec::new();
    let mut scanner = Scanner {
        text: text.as_bytes(),
        pos: 0,
    };
    let mut path = Vec::new();
    scanner.value(&mut path, 0, &mut |path, span| {
        if path.len() == 2 && sections.contains(&path[0].as_str()) {
            found.push((path[0].clone(), path[1].clone(), span));
        }
    })?;
    Some(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependency_values_are_located_exactly() {
        let text = "{\n  \"name\": \"x\",\n  \"dependencies\": {\"lodash\": \"^4.17.0\", \"a\\\"b\": \"1\"},\n  \"devDependencies\": {\n    \"mocha\": \"^9.0.0\"\n  },\n  \"config\": {\"nested\": {\"lodash\": \"no\"}}, \"n\": [1, {\"x\": true}]\n}";
        let found = members(text, &["dependencies", "devDependencies"]).unwrap_or_default();
        let got: Vec<(&str, &str)> = found
            .iter()
            .map(|(_, name, (s, e))| (name.as_str(), &text[*s..*e]))
            .collect();
        assert_eq!(
            got,
            [("lodash", "^4.17.0"), ("a\"b", "1"), ("mocha", "^9.0.0")]
        );
        assert!(members("{\"a\": ", &["a"]).is_none());
        assert!(members(&"[".repeat(10_000), &["a"]).is_none());
    }
}
