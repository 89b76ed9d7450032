//! One module per file format. Each parser turns one file's text into an
//! [`Inventory`] of that file, through [`Builder`].

pub(crate) mod cargo;
pub(crate) mod composer;
pub(crate) mod dotnet;
pub(crate) mod gomod;
pub(crate) mod gradle;
pub(crate) mod npm;
pub(crate) mod pnpm;
pub(crate) mod pom;
pub(crate) mod python;
pub(crate) mod ruby;
pub(crate) mod yarn;

use std::collections::{BTreeSet, VecDeque};

use foldhash::{HashMap, HashMapExt};

use crate::model::{Graph, Inventory, Node, Package, Root, Scope, Source, VersionStatus, Warning};
use crate::purl::purl;

/// The packages whose name and version hash to one key: almost always one.
enum Slot {
    One(usize),
    Many(Vec<usize>),
}

/// Collects the packages and edges of one file.
pub(crate) struct Builder {
    origin: String,
    ecosystem: &'static str,
    packages: Vec<Package>,
    /// Package indices by a hash of name and version, looked up by `&str`
    /// without allocating; the packages themselves tell colliding hashes
    /// apart. (Keyed by strings of its own, the index cost more memory than
    /// the packages did.)
    index: HashMap<u64, Slot>,
    hasher: foldhash::quality::RandomState,
    edges: BTreeSet<(Option<usize>, usize)>,
    requirements: HashMap<(Option<usize>, usize), String>,
    /// Scope of each direct dependency, for formats that only label those.
    root_scopes: HashMap<usize, Scope>,
    root_name: String,
    warnings: Vec<Warning>,
}

impl Builder {
    pub(crate) fn new(origin: &str, ecosystem: &'static str, root_name: &str) -> Builder {
        // A lockfile's own name says little about the project in dependency
        // paths: its directory's name says more (`payment > requests > idna`).
        let root_name = if crate::Format::from_name(root_name).is_some() {
            let path = origin.rsplit('!').next().unwrap_or(origin);
            let mut parts = path.rsplit(['/', '\\']).skip(1);
            parts
                .find(|p| !p.is_empty() && *p != ".")
                .filter(|p| *p != "..")
                .unwrap_or(root_name)
        } else {
            root_name
        };
        Builder {
            origin: origin.to_string(),
            ecosystem,
            packages: Vec::new(),
            index: HashMap::new(),
            hasher: foldhash::quality::RandomState::default(),
            edges: BTreeSet::new(),
            requirements: HashMap::new(),
            root_scopes: HashMap::new(),
            root_name: root_name.to_string(),

            warnings: Vec::new(),
        }
    }

    /// Adds a package (or finds the one with the same name and version).
    pub(crate) fn add(&mut self, name: &str, version: &str, line: Option<usize>) -> usize {
        if let Some(i) = self.find(name, version) {
            return i;
        }
        self.packages.push(Package {
            ecosystem: self.ecosystem.to_string(),
            name: name.to_string(),
            version: version.to_string(),
            status: VersionStatus::Exact,
            purl: purl(self.ecosystem, name, version, &[]),
            scope: Scope::Prod,
            groups: Vec::new(),
            direct: false,
            source: Source {
                file: self.origin.clone(),
                line,
            },
            commit: None,
        });
        let at = self.packages.len() - 1;
        let key = self.key(name, version);
        match self.index.entry(key) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(Slot::One(at));
            }
            std::collections::hash_map::Entry::Occupied(mut o) => {
                let slot = o.get_mut();
                match slot {
                    Slot::One(first) => *slot = Slot::Many(vec![*first, at]),
                    Slot::Many(list) => list.push(at),
                }
            }
        }
        at
    }

    fn key(&self, name: &str, version: &str) -> u64 {
        use std::hash::{BuildHasher, Hasher};
        let mut h = self.hasher.build_hasher();
        h.write(name.as_bytes());
        h.write_u8(0xff);
        h.write(version.as_bytes());
        h.finish()
    }

    /// Makes room for `additional` packages at once: a parser that knows
    /// how many entries it read saves the doubling copies (and the peak of
    /// old and new storage side by side) of a list grown one at a time.
    pub(crate) fn reserve(&mut self, additional: usize) {
        self.packages.reserve_exact(additional);
        self.index.reserve(additional);
    }

    /// The file new packages are attributed to.
    pub(crate) fn origin_name(&self) -> &str {
        &self.origin
    }

    /// Attributes the next packages to another file (an included one).
    pub(crate) fn set_origin(&mut self, origin: &str) {
        self.origin = origin.to_string();
    }

    /// Files the next packages under another ecosystem (installed metadata
    /// of one folder can mix them).
    pub(crate) fn set_ecosystem(&mut self, ecosystem: &'static str) {
        self.ecosystem = ecosystem;
    }

    pub(crate) fn find(&self, name: &str, version: &str) -> Option<usize> {
        let same = |&i: &usize| {
            let p = &self.packages[i];
            p.name == name && p.version == version
        };
        match self.index.get(&self.key(name, version))? {
            Slot::One(i) => Some(*i).filter(same),
            Slot::Many(list) => list.iter().copied().find(same),
        }
    }

    pub(crate) fn pkg(&mut self, i: usize) -> &mut Package {
        &mut self.packages[i]
    }

    /// Records that `from` (a package, or the project for `None`) depends on `to`.
    pub(crate) fn depends(&mut self, from: Option<usize>, to: usize) {
        if from != Some(to) {
            self.edges.insert((from, to));
        }
    }

    /// Records the requirement `from` declares on `to` (`None` for the project).
    pub(crate) fn requires(&mut self, from: Option<usize>, to: usize, requirement: &str) {
        let requirement = requirement.trim();
        if !requirement.is_empty() {
            self.requirements
                .entry((from, to))
                .or_insert_with(|| requirement.to_string());
        }
    }

    /// A direct dependency of the project in the given scope.
    pub(crate) fn direct(&mut self, to: usize, scope: Scope) {
        self.depends(None, to);
        let entry = self.root_scopes.entry(to).or_insert(scope);
        if scope.rank() < entry.rank() {
            *entry = scope;
        }
    }

    pub(crate) fn warn(&mut self, message: impl Into<String>) {
        self.warnings
            .push(Warning::new(self.origin.clone(), message.into()));
    }

    /// Gives every package the best scope by which the project reaches it,
    /// for formats that only say how direct dependencies are used. Packages
    /// the project does not reach keep their scope.
    pub(crate) fn propagate_scopes(&mut self) {
        let mut children: HashMap<usize, Vec<usize>> = HashMap::new();
        for &(from, to) in &self.edges {
            if let Some(from) = from {
                children.entry(from).or_default().push(to);
            }
        }
        let mut best: HashMap<usize, Scope> = HashMap::new();
        let mut queue: VecDeque<(usize, Scope)> =
            self.root_scopes.iter().map(|(&i, &s)| (i, s)).collect();
        while let Some((i, scope)) = queue.pop_front() {
            if best.get(&i).is_some_and(|&b| b.rank() <= scope.rank()) {
                continue;
            }
            best.insert(i, scope);
            for &child in children.get(&i).map(Vec::as_slice).unwrap_or(&[]) {
                queue.push_back((child, scope));
            }
        }
        for (i, scope) in best {
            self.packages[i].scope = scope;
        }
    }

    pub(crate) fn finish(mut self) -> Inventory {
        for &(from, to) in &self.edges {
            if from.is_none() {
                self.packages[to].direct = true;
            }
        }
        let roots = vec![Root {
            name: self.root_name.clone(),
            file: self.origin.clone(),
        }];
        let edges = self
            .edges
            .iter()
            .map(|&(from, to)| (from.map_or(Node::Root(0), Node::Package), to))
            .collect();
        // Sorted first, so the map is built in one pass over presized memory.
        let mut requirements: Vec<((Node, usize), String)> =
            Vec::with_capacity(self.requirements.len());
        requirements.extend(
            self.requirements
                .into_iter()
                .filter(|(edge, _)| self.edges.contains(edge))
                .map(|((from, to), r)| ((from.map_or(Node::Root(0), Node::Package), to), r)),
        );
        requirements.sort_unstable_by_key(|r| r.0);
        let requirements = requirements.into_iter().collect();
        Inventory {
            packages: self.packages,
            graph: Graph {
                roots,
                edges,
                requirements,
            },
            warnings: self.warnings,
            files: vec![self.origin],
        }
    }
}

/// A JSON object read as a list of pairs in file order: cheaper than a map
/// when the keys are only iterated (lockfiles with thousands of entries).
#[derive(Debug)]
pub(crate) struct Pairs<K, V>(pub(crate) Vec<(K, V)>);

impl<K, V> Default for Pairs<K, V> {
    fn default() -> Self {
        Pairs(Vec::new())
    }
}

impl<'de, K: serde::Deserialize<'de>, V: serde::Deserialize<'de>> serde::Deserialize<'de>
    for Pairs<K, V>
{
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor<K, V>(std::marker::PhantomData<(K, V)>);
        impl<'de, K: serde::Deserialize<'de>, V: serde::Deserialize<'de>> serde::de::Visitor<'de>
            for Visitor<K, V>
        {
            type Value = Pairs<K, V>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                let mut out = Vec::with_capacity(map.size_hint().unwrap_or(0).min(4096));
                while let Some(pair) = map.next_entry()? {
                    out.push(pair);
                }
                Ok(Pairs(out))
            }
        }
        d.deserialize_map(Visitor(std::marker::PhantomData))
    }
}

impl<K, V> Pairs<K, V> {
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The 1-based line at byte offset `at`.
/// Line numbers of byte offsets in one text, for parsers that locate many
/// entries: counting from the start for each would be quadratic.
pub(crate) struct LineIndex {
    /// Offset just past each newline.
    starts: Vec<usize>,
}

impl LineIndex {
    pub(crate) fn new(text: &str) -> LineIndex {
        LineIndex {
            starts: newline_ends(text),
        }
    }

    /// The 1-based line holding byte `at`.
    pub(crate) fn line(&self, at: usize) -> usize {
        self.starts.partition_point(|&start| start <= at) + 1
    }
}

fn newline_ends(text: &str) -> Vec<usize> {
    text.bytes()
        .enumerate()
        .filter(|&(_, b)| b == b'\n')
        .map(|(i, _)| i + 1)
        .collect()
}

/// Where each YAML mapping key first starts a line at or after byte `from`
/// (any indentation, quoted or not): [`yaml_key`] for many keys in one pass.
pub(crate) struct YamlKeys<'a> {
    lines: LineIndex,
    /// Key -> (offset of its line, offset after that line).
    first: HashMap<&'a str, (usize, usize)>,
}

impl<'a> YamlKeys<'a> {
    pub(crate) fn new(text: &'a str, from: usize) -> YamlKeys<'a> {
        let mut first: HashMap<&'a str, (usize, usize)> = HashMap::new();
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            let start = offset;
            offset += line.len();
            if start < from {
                continue;
            }
            let trimmed = line.trim_start();
            // A key is what precedes a `:`, or a quoted text followed by one.
            let quote = trimmed.chars().next().filter(|c| *c == '"' || *c == '\'');
            let body = match quote {
                Some(_) => &trimmed[1..],
                None => trimmed,
            };
            for (at, _) in body.match_indices(':') {
                let key = match quote {
                    Some(q) => match body[..at].strip_suffix(q) {
                        Some(key) => key,
                        None => continue,
                    },
                    None => &body[..at],
                };
                first.entry(key).or_insert((start, offset));
            }
        }
        YamlKeys {
            lines: LineIndex::new(text),
            first,
        }
    }

    /// The line of `key` and the offset after that line.
    pub(crate) fn get(&self, key: &str) -> Option<(usize, usize)> {
        self.first
            .get(key)
            .map(|&(start, after)| (self.lines.line(start), after))
    }
}

/// Where each JSON object key first appears at or after byte `from`:
/// [`json_key`] for many keys in one pass.
pub(crate) struct JsonKeys<'a> {
    lines: LineIndex,
    /// Key as written (escaped) -> (offset of its opening quote, offset after it).
    first: HashMap<&'a str, (usize, usize)>,
}

impl<'a> JsonKeys<'a> {
    pub(crate) fn new(text: &'a str, from: usize) -> JsonKeys<'a> {
        let bytes = text.as_bytes();
        let mut first: HashMap<&'a str, (usize, usize)> = HashMap::new();
        let mut i = from.min(bytes.len());
        while let Some(open) = memchr::memchr(b'"', &bytes[i..]).map(|p| i + p) {
            // The closing quote: the next one not escaped.
            let mut close = open + 1;
            loop {
                match memchr::memchr2(b'"', b'\\', &bytes[close..]) {
                    Some(p) if bytes[close + p] == b'\\' => close += p + 2,
                    Some(p) => {
                        close += p;
                        break;
                    }
                    None => {
                        close = bytes.len();
                        break;
                    }
                }
            }
            if close >= bytes.len() {
                break;
            }
            let after = close + 1;
            if text[after..].trim_start().starts_with(':') {
                first.entry(&text[open + 1..close]).or_insert((open, after));
            }
            i = after;
        }
        JsonKeys {
            lines: LineIndex::new(text),
            first,
        }
    }

    /// The line of `key` and the offset after it.
    pub(crate) fn get(&self, key: &str) -> Option<(usize, usize)> {
        let escaped = serde_json::to_string(key).ok()?;
        let raw = &escaped[1..escaped.len() - 1];
        self.first
            .get(raw)
            .map(|&(open, after)| (self.lines.line(open), after))
    }
}

pub(crate) fn line_at(text: &str, at: usize) -> usize {
    text.as_bytes()[..at.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// The line of a JSON object key `"key":` found after byte `from`, and the
/// offset just past it. Lockfiles write keys one per line, so a textual search
/// from the enclosing key finds the right one.
pub(crate) fn json_key(text: &str, from: usize, key: &str) -> Option<(usize, usize)> {
    let needle = serde_json::to_string(key).ok()?;
    let mut start = from.min(text.len());
    while let Some(pos) = text[start..].find(&needle) {
        let at = start + pos;
        let after = at + needle.len();
        if text[after..].trim_start().starts_with(':') {
            return Some((line_at(text, at), after));
        }
        start = after;
    }
    None
}

/// The line of a `"field": "value"` pair found after byte `from`.
pub(crate) fn json_field(
    text: &str,
    from: usize,
    field: &str,
    value: &str,
) -> Option<(usize, usize)> {
    let key = serde_json::to_string(field).ok()?;
    let val = serde_json::to_string(value).ok()?;
    let mut start = from.min(text.len());
    while let Some(pos) = text[start..].find(&val) {
        let at = start + pos;
        let before = text[..at].trim_end();
        if let Some(before) = before.strip_suffix(':')
            && before.trim_end().ends_with(&key)
        {
            return Some((line_at(text, at), at + val.len()));
        }
        start = at + val.len();
    }
    None
}

/// The line of a YAML mapping key at the start of a line (any indentation,
/// quoted or not), searched after byte `from`.
pub(crate) fn yaml_key(text: &str, from: usize, key: &str) -> Option<(usize, usize)> {
    YamlKeys::new(text, from).get(key)
}

/// Parses JSON, with the error located.
pub(crate) fn json<T: serde::de::DeserializeOwned>(origin: &str, text: &str) -> crate::Result<T> {
    serde_json::from_str(text).map_err(|e| {
        let message = e.to_string();
        let position = format!(" at line {} column {}", e.line(), e.column());
        crate::Error::parse(
            origin,
            (e.line() > 0).then_some(e.line()),
            message.strip_suffix(&position).unwrap_or(&message),
        )
    })
}

/// Deepest nesting of YAML or TOML collections accepted. Checked before the
/// parser runs: a YAML document nested 100,000 deep otherwise takes the parser
/// tens of seconds to reject.
pub(crate) const MAX_NESTING: usize = 128;

/// Finds the first place where flow collections (`[`, `{`) or block
/// indentation nest deeper than [`MAX_NESTING`], ignoring quoted text and
/// comments; returns its line.
pub(crate) fn too_deep(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (n, line) in text.lines().enumerate() {
        let indent = line.len() - line.trim_start_matches(' ').len();
        if indent / 2 > MAX_NESTING {
            return Some(n + 1);
        }
        let mut quote: Option<char> = None;
        for c in line.chars() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') => quote = Some(c),
                (None, '#') => break,
                (None, '[' | '{') => {
                    depth += 1;
                    if depth > MAX_NESTING {
                        return Some(n + 1);
                    }
                }
                (None, ']' | '}') => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
    }
    None
}

/// Parses YAML, with the error located.
pub(crate) fn yaml<T: serde::de::DeserializeOwned>(origin: &str, text: &str) -> crate::Result<T> {
    if let Some(line) = too_deep(text) {
        return Err(crate::Error::TooLarge {
            origin: format!("{origin}:{line}"),
            message: format!("nested deeper than {MAX_NESTING} levels"),
        });
    }

    serde_yaml_ng::from_str(text).map_err(|e| {
        crate::Error::parse(
            origin,
            e.location().map(|l| l.line()),
            format!("invalid YAML: {e}"),
        )
    })
}

/// Parses TOML, with the error located.
pub(crate) fn toml_doc<T: serde::de::DeserializeOwned>(
    origin: &str,
    text: &str,
) -> crate::Result<T> {
    if let Some(line) = too_deep(text) {
        return Err(crate::Error::TooLarge {
            origin: format!("{origin}:{line}"),
            message: format!("nested deeper than {MAX_NESTING} levels"),
        });
    }

    toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| line_at(text, s.start));
        crate::Error::parse(origin, line, format!("invalid TOML: {}", e.message()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_indexes_agree_with_searching_for_each_key() {
        let yaml = "lockfileVersion: '9.0'\npackages:\n\n  /a@1.0.0:\n    resolution: {integrity: x}\n  '@s/b@2.0.0':\n    dev: true\n  \"c@3\":\n  /a@1.0.0:\n";
        let from = yaml_key(yaml, 0, "packages").map_or(0, |(_, after)| after);
        let keys = YamlKeys::new(yaml, from);
        for key in [
            "/a@1.0.0",
            "@s/b@2.0.0",
            "c@3",
            "resolution",
            "dev",
            "missing",
        ] {
            assert_eq!(keys.get(key), yaml_key(yaml, from, key), "{key}");
        }
        assert_eq!(keys.get("@s/b@2.0.0").map(|(line, _)| line), Some(6));

        let json = "{\n \"default\": {\n  \"idna\": {\"version\": \"==2.8\"},\n  \"we\\\"ird\" : {},\n  \"six\": {\"note\": \"idna\"}\n }\n}";
        let from = json_key(json, 0, "default").map_or(0, |(_, after)| after);
        let keys = JsonKeys::new(json, from);
        for key in ["idna", "six", "we\"ird", "version", "note", "missing"] {
            assert_eq!(keys.get(key), json_key(json, from, key), "{key}");
        }
        assert_eq!(keys.get("six").map(|(line, _)| line), Some(5));
    }

    #[test]
    fn the_line_index_agrees_with_counting_newlines() {
        let text = "a\nbb\n\nccc\nd";
        let index = LineIndex::new(text);
        for at in 0..=text.len() + 2 {
            assert_eq!(index.line(at), line_at(text, at), "offset {at}");
        }
        assert_eq!(index.line(0), 1);
        assert_eq!(index.line(2), 2);
        assert_eq!(index.line(6), 4);
    }
}
