//! JSON input: an order-preserving value that rejects duplicate member names,
//! and a locator that maps a JSON path back to a line and column.
//!
//! `serde_json` parses the text (and reports syntax errors with their line and
//! column). [`parse`] then gives every number its exact source text, which
//! `serde_json` only hands over as an `f64`, `u64` or `i64`. Semantic errors
//! are found later, on the parsed value, and carry a [`JsonPath`]; [`locate`]
//! walks the original text along that path to find where the offending value
//! starts.

use std::fmt;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// A parsed JSON value that keeps member order and knows no duplicates.
///
/// Read documents with [`parse`]: deserializing a `Value` directly leaves
/// numbers in `serde_json`'s rendering of the parsed float or integer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    /// The number exactly as the source text writes it (`1.50`, `1e2`).
    Number(String),
    String(String),
    Array(Vec<Value>),
    Object(Vec<(String, Value)>),
}

impl Value {
    /// A short description of the value's JSON type, for messages.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.to_string()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.to_string()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Number(v.to_string()))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut members: Vec<(String, Value)> = Vec::new();
        let mut names = MemberNames::default();
        while let Some(key) = map.next_key::<String>()? {
            names.insert(&key)?;
            let value = map.next_value()?;
            members.push((key, value));
        }
        Ok(Value::Object(members))
    }
}

/// The member names of one object seen so far, to reject a repeated one in
/// linear time: a short list compared one by one, then, from
/// [`MemberNames::SHORT`] names on, a hash set (`std`'s, whose keys are
/// random per process, so that no document can be written to collide).
#[derive(Debug, Default)]
pub(crate) struct MemberNames {
    short: Vec<String>,
    long: Option<std::collections::HashSet<String>>,
}

impl MemberNames {
    /// Up to this many names, comparing them one by one beats hashing.
    const SHORT: usize = 16;

    /// Records `name`; an error when the object already has a member of that name.
    pub(crate) fn insert<E: de::Error>(&mut self, name: &str) -> Result<(), E> {
        let repeated = match &mut self.long {
            Some(set) => !set.insert(name.to_owned()),
            None if self.short.iter().any(|n| n == name) => true,
            None if self.short.len() < Self::SHORT => {
                self.short.push(name.to_owned());
                false
            }
            None => {
                let mut set: std::collections::HashSet<String> = self.short.drain(..).collect();
                set.insert(name.to_owned());
                self.long = Some(set);
                false
            }
        };
        if repeated {
            return Err(E::custom(format_args!("duplicate member name `{name}`: RAM would keep only one of them")));
        }
        Ok(())
    }
}

/// Reads a JSON document: `serde_json` checks it (syntax errors and duplicate
/// member names carry their line and column) and builds the tree, then every
/// number takes its source text, so `1.50` stays `1.50` and a 30-digit
/// integer keeps every digit.
pub(crate) fn parse(text: &str) -> Result<Value, serde_json::Error> {
    let mut value: Value = serde_json::from_str(text)?;
    Scanner { bytes: text.as_bytes(), pos: 0 }.copy_numbers(&mut value);
    Ok(value)
}

/// One step of a [`JsonPath`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Step {
    Key(String),
    Index(usize),
}

/// The path from the document root to a value, such as
/// `Statement[2].Condition.StringLike`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct JsonPath {
    steps: Vec<Step>,
}

impl JsonPath {
    /// The document root.
    pub fn root() -> Self {
        Self::default()
    }

    pub(crate) fn key(&self, key: &str) -> Self {
        let mut steps = self.steps.clone();
        steps.push(Step::Key(key.to_owned()));
        Self { steps }
    }

    pub(crate) fn index(&self, index: usize) -> Self {
        let mut steps = self.steps.clone();
        steps.push(Step::Index(index));
        Self { steps }
    }

    pub(crate) fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// Whether this is the document root.
    pub fn is_root(&self) -> bool {
        self.steps.is_empty()
    }
}

fn is_plain_key(key: &str) -> bool {
    !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | ':' | '/' | '-' | '$' | '@'))
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.steps.is_empty() {
            return f.write_str("(document)");
        }
        for (i, step) in self.steps.iter().enumerate() {
            match step {
                Step::Key(k) if is_plain_key(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(k)?;
                }
                Step::Key(k) => {
                    let quoted = serde_json::to_string(k).map_err(|_| fmt::Error)?;
                    write!(f, "[{quoted}]")?;
                }
                Step::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// A position in the source text: 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Location {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// Where a `serde_json` error on `text` is, in characters, and its message
/// without the position `serde_json` appends.
///
/// `serde_json` counts columns in bytes; a [`Location`] counts characters, so
/// an error after a non-ASCII character is reported where an editor shows it.
/// A byte column inside a character is that character's column; past the end
/// of the line, one past its last character.
pub(crate) fn serde_error(text: &str, e: &serde_json::Error) -> (Location, String) {
    let full = e.to_string();
    let message = full.rsplit_once(" at line ").map_or(full.as_str(), |(m, _)| m).to_owned();
    let line = e.line().max(1);
    let line_text = text.split('\n').nth(line - 1).unwrap_or("");
    let bytes = e.column().max(1);
    let column = if bytes > line_text.len() {
        line_text.chars().count() + 1
    } else {
        line_text.char_indices().take_while(|(i, _)| *i < bytes).count().max(1)
    };
    (Location { line, column }, message)
}

/// The line and column of a byte offset in `text`.
pub(crate) fn location_of(text: &str, offset: usize) -> Location {
    let mut line = 1;
    let mut column = 1;
    for (i, c) in text.char_indices() {
        if i >= offset {
            break;
        }
        if c == '\n' {
            line += 1;
            column = 1;
        } else {
            column += 1;
        }
    }
    Location { line, column }
}

/// Where the value at `path` starts in `text`, or where the member named by
/// the last key would go (its enclosing object) when that member is absent.
///
/// `text` must be a JSON document that `serde_json` accepted; on anything else
/// the answer is the best position reached, never a panic.
pub(crate) fn locate(text: &str, path: &JsonPath) -> Location {
    locate_all(text, [(path, false)]).pop().unwrap_or(Location { line: 1, column: 1 })
}

/// Where the member name of the last step of `path` starts (for errors about
/// a name rather than a value); the value's position when the last step is
/// not a member.
pub(crate) fn locate_name(text: &str, path: &JsonPath) -> Location {
    locate_all(text, [(path, true)]).pop().unwrap_or(Location { line: 1, column: 1 })
}

/// [`locate`] (or [`locate_name`], where the flag is set) for many paths at
/// once, in one pass over `text`: linear in the text and the paths, where
/// walking to each path from the start would cost the text up to it each
/// time, so that a document with a hundred thousand errors is located as
/// fast as one with a single error. [`locate`] and [`locate_name`] are this
/// for one path.
pub(crate) fn locate_all<'p>(text: &str, wanted: impl IntoIterator<Item = (&'p JsonPath, bool)>) -> Vec<Location> {
    let wanted: Vec<(&[Step], bool)> = wanted.into_iter().map(|(p, at_name)| (p.steps.as_slice(), at_name)).collect();
    // Every prefix of a wanted path is visited, so that the place of an
    // absent member is its nearest enclosing value.
    let mut prefixes: HashSet<&[Step]> = HashSet::default();
    for (steps, _) in &wanted {
        for n in 0..=steps.len() {
            if let Some(prefix) = steps.get(..n) {
                prefixes.insert(prefix);
            }
        }
    }
    let mut found: HashMap<Vec<Step>, (usize, Option<usize>)> = HashMap::default();
    let mut scanner = Scanner { bytes: text.as_bytes(), pos: 0 };
    let mut path = Vec::new();
    scanner.visit(&mut path, None, &prefixes, &mut found);
    let offsets: Vec<usize> = wanted
        .iter()
        .map(|(steps, at_name)| {
            let full = found.get(*steps).map(|&(value, name)| if *at_name { name.unwrap_or(value) } else { value });
            full.unwrap_or_else(|| {
                (0..steps.len())
                    .rev()
                    .find_map(|n| steps.get(..n).and_then(|prefix| found.get(prefix)).map(|&(value, _)| value))
                    .unwrap_or(0)
            })
        })
        .collect();
    locations_of(text, &offsets)
}

/// [`location_of`] for many offsets, in one pass over `text`.
fn locations_of(text: &str, offsets: &[usize]) -> Vec<Location> {
    let mut order: Vec<usize> = (0..offsets.len()).collect();
    order.sort_by_key(|&i| offsets.get(i).copied().unwrap_or(0));
    let mut out = vec![Location { line: 1, column: 1 }; offsets.len()];
    let mut chars = text.char_indices().peekable();
    let (mut line, mut column) = (1, 1);
    for i in order {
        let offset = offsets.get(i).copied().unwrap_or(0);
        while let Some(&(at, c)) = chars.peek() {
            if at >= offset {
                break;
            }
            chars.next();
            if c == '\n' {
                line += 1;
                column = 1;
            } else {
                column += 1;
            }
        }
        if let Some(slot) = out.get_mut(i) {
            *slot = Location { line, column };
        }
    }
    out
}

/// A forward-only walker over valid JSON text.
struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    /// Skips a string token starting at `pos` (which holds `"`) and returns
    /// its raw text, quotes included.
    fn skip_string(&mut self) -> &str {
        let start = self.pos;
        self.pos += 1;
        while let Some(b) = self.peek() {
            self.pos += 1;
            match b {
                b'\\' => self.pos += 1,
                b'"' => break,
                _ => {}
            }
        }
        let end = self.pos.min(self.bytes.len());
        std::str::from_utf8(self.bytes.get(start..end).unwrap_or_default()).unwrap_or_default()
    }

    /// Skips one whole value.
    fn skip_value(&mut self) {
        self.skip_ws();
        match self.peek() {
            Some(b'"') => {
                self.skip_string();
            }
            Some(open @ (b'{' | b'[')) => {
                let close = if open == b'{' { b'}' } else { b']' };
                self.pos += 1;
                loop {
                    self.skip_ws();
                    match self.peek() {
                        None => return,
                        Some(b) if b == close => {
                            self.pos += 1;
                            return;
                        }
                        Some(b',' | b':') => self.pos += 1,
                        Some(_) => self.skip_value(),
                    }
                }
            }
            Some(_) => {
                while let Some(b) = self.peek() {
                    if matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r') {
                        break;
                    }
                    self.pos += 1;
                }
            }
            None => {}
        }
    }

    /// Walks the value at `pos` alongside `value`, which `serde_json` built
    /// from this very text, and sets each number to its source text.
    fn copy_numbers(&mut self, value: &mut Value) {
        self.skip_ws();
        match value {
            Value::Number(number) => {
                let start = self.pos;
                self.skip_value();
                let raw = self.bytes.get(start..self.pos).and_then(|b| std::str::from_utf8(b).ok());
                if let Some(raw) = raw.filter(|r| r.starts_with(|c: char| c == '-' || c.is_ascii_digit())) {
                    raw.clone_into(number);
                }
            }
            Value::Array(items) => {
                self.pos += 1;
                for item in items {
                    self.skip_ws();
                    if self.peek() == Some(b',') {
                        self.pos += 1;
                    }
                    self.copy_numbers(item);
                }
                self.skip_ws();
                self.pos += 1;
            }
            Value::Object(members) => {
                self.pos += 1;
                for (_, member) in members {
                    self.skip_ws();
                    if self.peek() == Some(b',') {
                        self.pos += 1;
                        self.skip_ws();
                    }
                    self.skip_string();
                    self.skip_ws();
                    if self.peek() == Some(b':') {
                        self.pos += 1;
                    }
                    self.copy_numbers(member);
                }
                self.skip_ws();
                self.pos += 1;
            }
            Value::Null | Value::Bool(_) | Value::String(_) => self.skip_value(),
        }
    }

    /// Visits the value at `pos`, whose path is `path`, recording where it
    /// (and its member name) starts when the path is wanted, and descending
    /// only into wanted paths; the first of two equal member names counts,
    /// though a document that repeats a name is refused before it is located.
    fn visit(
        &mut self,
        path: &mut Vec<Step>,
        name_at: Option<usize>,
        wanted: &HashSet<&[Step]>,
        found: &mut HashMap<Vec<Step>, (usize, Option<usize>)>,
    ) {
        self.skip_ws();
        if !wanted.contains(path.as_slice()) || found.contains_key(path.as_slice()) {
            self.skip_value();
            return;
        }
        found.insert(path.clone(), (self.pos, name_at));
        match self.peek() {
            Some(b'{') => {
                self.pos += 1;
                loop {
                    self.skip_ws();
                    match self.peek() {
                        None => return,
                        Some(b'}') => {
                            self.pos += 1;
                            return;
                        }
                        Some(b'"') => {
                            let name_at = self.pos;
                            let raw = self.skip_string();
                            let name: Option<String> = serde_json::from_str(raw).ok();
                            self.skip_ws();
                            if self.peek() == Some(b':') {
                                self.pos += 1;
                            }
                            match name {
                                Some(name) => {
                                    path.push(Step::Key(name));
                                    self.visit(path, Some(name_at), wanted, found);
                                    path.pop();
                                }
                                None => self.skip_value(),
                            }
                        }
                        Some(_) => self.pos += 1,
                    }
                }
            }
            Some(b'[') => {
                self.pos += 1;
                let mut index = 0;
                loop {
                    self.skip_ws();
                    match self.peek() {
                        None => return,
                        Some(b']') => {
                            self.pos += 1;
                            return;
                        }
                        Some(b',') => {
                            self.pos += 1;
                            index += 1;
                        }
                        Some(_) => {
                            let before = self.pos;
                            path.push(Step::Index(index));
                            self.visit(path, None, wanted, found);
                            path.pop();
                            // Text that is not JSON: never stand still.
                            if self.pos == before {
                                self.pos += 1;
                            }
                        }
                    }
                }
            }
            _ => self.skip_value(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "{\n  \"Version\": \"1\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\", \"Action\": [\"a:b\", \"c:d\"]},\n    {\"Effect\": \"allow \",\n     \"Resource \": \"*\"}\n  ]\n}";

    /// The byte offset of the value at `path` and, when the last step is a
    /// member, of that member's name, found by walking from the start of the
    /// text to that one path: the definition that [`locate_all`] must agree
    /// with.
    fn walk(text: &str, path: &JsonPath) -> (usize, Option<usize>) {
        let mut scanner = Scanner { bytes: text.as_bytes(), pos: 0 };
        scanner.skip_ws();
        let mut name = None;
        for step in path.steps() {
            let container = scanner.pos;
            let found = match step {
                Step::Key(key) => enter_member(&mut scanner, key).map(Some),
                Step::Index(index) => enter_element(&mut scanner, *index).then_some(None),
            };
            match found {
                Some(at) => name = at,
                None => return (container, None),
            }
        }
        (scanner.pos, name)
    }

    /// Moves to the value of member `key` of the object at `pos`; where its
    /// name starts.
    fn enter_member(s: &mut Scanner<'_>, key: &str) -> Option<usize> {
        s.skip_ws();
        if s.peek() != Some(b'{') {
            return None;
        }
        s.pos += 1;
        loop {
            s.skip_ws();
            match s.peek() {
                Some(b'"') => {
                    let name_at = s.pos;
                    let raw = s.skip_string();
                    let name: Option<String> = serde_json::from_str(raw).ok();
                    s.skip_ws();
                    if s.peek() == Some(b':') {
                        s.pos += 1;
                    }
                    s.skip_ws();
                    if name.as_deref() == Some(key) {
                        return Some(name_at);
                    }
                    s.skip_value();
                }
                Some(b',') => s.pos += 1,
                _ => return None,
            }
        }
    }

    /// Moves to element `index` of the array at `pos`.
    fn enter_element(s: &mut Scanner<'_>, index: usize) -> bool {
        s.skip_ws();
        if s.peek() != Some(b'[') {
            return false;
        }
        s.pos += 1;
        let mut current = 0;
        loop {
            s.skip_ws();
            match s.peek() {
                Some(b']') | None => return false,
                Some(b',') => s.pos += 1,
                Some(_) => {
                    if current == index {
                        return true;
                    }
                    s.skip_value();
                    current += 1;
                }
            }
        }
    }

    fn path(steps: &[Step]) -> JsonPath {
        JsonPath { steps: steps.to_vec() }
    }

    #[test]
    fn serde_errors_are_placed_in_characters() {
        let at = |text: &str| {
            let e = parse(text).unwrap_err();
            serde_error(text, &e).0
        };
        // `é` is two bytes: serde_json says byte column 8.
        assert_eq!(at("{\"é\": x}"), Location { line: 1, column: 7 });
        assert_eq!(at("{\n  \"ü\": 1,\n  \"ß\": }"), Location { line: 3, column: 8 });
        // At the end of the text: the last character read.
        assert_eq!(at("{\"名\": 1"), Location { line: 1, column: 7 });
        assert_eq!(at(""), Location { line: 1, column: 1 });
        let (_, message) = serde_error("{", &parse("{").unwrap_err());
        assert!(!message.contains("line"), "{message}");
    }

    #[test]
    fn locates_nested_values() {
        let p = path(&[Step::Key("Statement".into()), Step::Index(1), Step::Key("Effect".into())]);
        assert_eq!(locate(DOC, &p), Location { line: 5, column: 16 });
        let p = path(&[Step::Key("Statement".into()), Step::Index(0), Step::Key("Action".into()), Step::Index(1)]);
        assert_eq!(locate(DOC, &p), Location { line: 4, column: 43 });
        let p = path(&[Step::Key("Statement".into()), Step::Index(1), Step::Key("Resource ".into())]);
        assert_eq!(locate(DOC, &p), Location { line: 6, column: 19 });
    }

    #[test]
    fn names_are_located_too() {
        let p = path(&[Step::Key("Statement".into()), Step::Index(1), Step::Key("Resource ".into())]);
        assert_eq!(locate_name(DOC, &p), Location { line: 6, column: 6 });
        let p = path(&[Step::Key("Statement".into()), Step::Index(1)]);
        assert_eq!(locate_name(DOC, &p), locate(DOC, &p));
    }

    #[test]
    fn absent_member_points_at_its_object() {
        let p = path(&[Step::Key("Statement".into()), Step::Index(1), Step::Key("Action".into())]);
        assert_eq!(locate(DOC, &p), Location { line: 5, column: 5 });
    }

    #[test]
    fn escaped_keys_and_strings_are_skipped_correctly() {
        let doc = r#"{"a\"b": "x\\", "c\u0041": [1, {"d": "]"}, 3]}"#;
        let p = path(&[Step::Key("cA".into()), Step::Index(2)]);
        assert_eq!(locate(doc, &p), Location { line: 1, column: 44 });
    }

    #[test]
    fn numbers_keep_their_source_text() {
        let text =
            "[1.50, {\"a\": 1e2, \"b\\\"1\": [\"2.0\", -0.0, 1E+2]},\n 123456789012345678901234567890, true, null, 7]";
        let numbers = |v: &Value| -> Vec<String> {
            fn walk(v: &Value, out: &mut Vec<String>) {
                match v {
                    Value::Number(n) => out.push(n.clone()),
                    Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
                    Value::Object(members) => members.iter().for_each(|(_, m)| walk(m, out)),
                    _ => {}
                }
            }
            let mut out = Vec::new();
            walk(v, &mut out);
            out
        };
        let value = parse(text).unwrap();
        assert_eq!(numbers(&value), ["1.50", "1e2", "-0.0", "1E+2", "123456789012345678901234567890", "7"]);
        assert_eq!(parse(" 0.10 ").unwrap(), Value::Number("0.10".into()));
        assert!(parse("[1.50,]").is_err());
        assert!(parse("[1e400]").is_err(), "beyond an f64");
    }

    /// JSON text with numbers in many spellings, whitespace anywhere and
    /// strings that look like numbers, with the numbers in document order.
    fn arbitrary_json() -> impl proptest::strategy::Strategy<Value = (String, Vec<String>)> {
        use proptest::prelude::*;
        let ws = || proptest::string::string_regex("[ \t\n\r]{0,2}").unwrap();
        let number = proptest::string::string_regex("-?(0|[1-9][0-9]{0,30})(\\.[0-9]{1,4})?([eE][+-]?[0-9]{1,2})?")
            .unwrap()
            .prop_map(|n| (n.clone(), vec![n]));
        let leaf = prop_oneof![
            number,
            proptest::string::string_regex("[-0-9a\\\\\" ,:\\]\\[{}]{0,6}")
                .unwrap()
                .prop_map(|s| (serde_json::to_string(&s).unwrap(), Vec::new())),
            Just(("true".to_owned(), Vec::new())),
            Just(("null".to_owned(), Vec::new())),
        ];
        leaf.prop_recursive(4, 32, 4, move |inner| {
            prop_oneof![
                proptest::collection::vec((inner.clone(), ws()), 0..4).prop_map(|items| {
                    let text = items.iter().map(|((t, _), w)| format!("{w}{t}{w}")).collect::<Vec<_>>().join(",");
                    (format!("[{text}]"), items.into_iter().flat_map(|((_, n), _)| n).collect())
                }),
                proptest::collection::vec((inner, ws()), 0..4).prop_map(|members| {
                    let text = members
                        .iter()
                        .enumerate()
                        .map(|(i, ((t, _), w))| format!("{w}\"k{i}\"{w}:{w}{t}{w}"))
                        .collect::<Vec<_>>()
                        .join(",");
                    (format!("{{{text}}}"), members.into_iter().flat_map(|((_, n), _)| n).collect())
                }),
            ]
        })
    }

    proptest::proptest! {
        #[test]
        fn every_number_keeps_its_text((text, expected) in arbitrary_json()) {
            fn walk(v: &Value, out: &mut Vec<String>) {
                match v {
                    Value::Number(n) => out.push(n.clone()),
                    Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
                    Value::Object(members) => members.iter().for_each(|(_, m)| walk(m, out)),
                    _ => {}
                }
            }
            // Numbers beyond the range of an `f64` are a syntax error for serde_json.
            if let Ok(value) = parse(&text) {
                let mut found = Vec::new();
                walk(&value, &mut found);
                proptest::prop_assert_eq!(found, expected);
            }
        }

        #[test]
        fn locating_many_paths_at_once_agrees_with_walking_to_each((text, _) in arbitrary_json()) {
            fn paths(v: &Value, here: &JsonPath, out: &mut Vec<JsonPath>) {
                out.push(here.clone());
                // An absent member and an absent element: placed at the enclosing value.
                out.push(here.key("absent"));
                out.push(here.index(99));
                match v {
                    Value::Array(items) => items.iter().enumerate().for_each(|(i, item)| paths(item, &here.index(i), out)),
                    Value::Object(members) => members.iter().for_each(|(k, m)| paths(m, &here.key(k), out)),
                    _ => {}
                }
            }
            if let Ok(value) = parse(&text) {
                let mut all = Vec::new();
                paths(&value, &JsonPath::root(), &mut all);
                for at_name in [false, true] {
                    let one_by_one: Vec<Location> = all
                        .iter()
                        .map(|p| {
                            let (value, name) = walk(&text, p);
                            location_of(&text, if at_name { name.unwrap_or(value) } else { value })
                        })
                        .collect();
                    let at_once = locate_all(&text, all.iter().map(|p| (p, at_name)));
                    proptest::prop_assert_eq!(at_once, one_by_one, "{}", text);
                }
            }
        }
    }

    #[test]
    fn duplicate_members_are_rejected_with_a_position() {
        let err = serde_json::from_str::<Value>("{\"a\": 1,\n \"a\": 2}").unwrap_err();
        assert!(err.to_string().contains("duplicate member name `a`"), "{err}");
        assert_eq!(err.line(), 2);
    }

    /// An object of `n` members `"k0"` to `"k<n-1>"`, one per line, the
    /// member at `repeat` (if any) named like the first.
    fn wide_object(n: usize, repeat: Option<usize>) -> String {
        let members: Vec<String> =
            (0..n).map(|i| if Some(i) == repeat { "\"k0\": 0".to_owned() } else { format!("\"k{i}\": {i}") }).collect();
        format!("{{\n{}\n}}", members.join(",\n"))
    }

    #[test]
    fn wide_objects_are_read_whole() {
        let value = parse(&wide_object(100_000, None)).unwrap();
        let Value::Object(members) = value else { panic!("an object") };
        assert_eq!(members.len(), 100_000);
        assert_eq!(members[99_999], ("k99999".to_owned(), Value::Number("99999".into())));
    }

    #[test]
    fn a_repeated_name_is_found_wherever_it_is() {
        for (n, at) in [(100_000, 99_999), (100_000, 1), (100_000, 16), (100_000, 17), (17, 16), (16, 15), (2, 1)] {
            let err = parse(&wide_object(n, Some(at))).unwrap_err();
            assert!(err.to_string().contains("duplicate member name `k0`"), "{n}, {at}: {err}");
            // Line 1 holds the `{`, member i is on line i + 2.
            assert_eq!(err.line(), at + 2, "{n}, {at}");
        }
        // Names that differ only in case, or only past the first characters, are different names.
        assert!(parse(r#"{"Statement": 1, "statement": 2, "Statements": 3}"#).is_ok());
        let mut many: Vec<String> = (0..40).map(|i| format!("\"n{i}\": 1")).collect();
        many.push("\"n39\": 2".to_owned());
        assert!(parse(&format!("{{{}}}", many.join(","))).is_err());
    }

    #[test]
    fn paths_display_like_ram() {
        let p = path(&[
            Step::Key("Statement".into()),
            Step::Index(2),
            Step::Key("Condition".into()),
            Step::Key("StringLike".into()),
        ]);
        assert_eq!(p.to_string(), "Statement[2].Condition.StringLike");
        let p = path(&[Step::Key("Statement".into()), Step::Index(0), Step::Key("Resource ".into())]);
        assert_eq!(p.to_string(), "Statement[0][\"Resource \"]");
    }
}
