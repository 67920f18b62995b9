//! The lint ignore file (`.ramguardignore`): which findings not to report.
//!
//! One entry per line; `#` starts a comment (at the start of a line or after
//! whitespace); blank lines are skipped. An entry is one of:
//!
//! - a rule, by code (`RG206`) or name (`shadowed-statement`): ignored in
//!   every file;
//! - a file glob (`policies/legacy/*.json`): every finding in matching files
//!   is ignored;
//! - `RULE FILE-GLOB`: that rule is ignored in matching files.
//!
//! A lone word with none of `/ . * ? [ {` in it is read as a rule, so a
//! misspelt rule name is an error rather than a glob that matches nothing.
//! Unknown rules are errors that name their line and column.
//!
//! Globs are matched against the file path as reported (forward slashes, no
//! leading `./`). A glob with a `/` matches the whole path, `*` stopping at
//! `/` and `**` crossing directories; a glob without `/` matches the file
//! name in any directory, as in `.gitignore`.

use std::fmt;

use globset::{GlobBuilder, GlobMatcher};

use crate::audit::lint::{Finding, Rule, rule};

/// A parsed ignore file.
#[derive(Debug, Clone, Default)]
pub struct IgnoreList {
    entries: Vec<Entry>,
}

#[derive(Debug, Clone)]
struct Entry {
    /// The rule's code; `None` ignores every rule.
    code: Option<&'static str>,
    /// The files; `None` is every file.
    files: Option<GlobMatcher>,
}

/// A line of an ignore file that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{column}: {message}")]
pub struct IgnoreError {
    line: usize,
    column: usize,
    message: String,
}

impl IgnoreError {
    /// The 1-based line of the bad entry.
    pub fn line(&self) -> usize {
        self.line
    }
    /// The 1-based column (in characters) of the bad word.
    pub fn column(&self) -> usize {
        self.column
    }
    /// What is wrong.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// A word of a line and its 1-based column.
fn words(line: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start: Option<(usize, usize)> = None; // (byte, column)
    let mut column = 0;
    for (byte, c) in line.char_indices() {
        column += 1;
        if c.is_whitespace() {
            if let Some((b, col)) = start.take() {
                out.push((col, line.get(b..byte).unwrap_or_default()));
            }
        } else if start.is_none() {
            start = Some((byte, column));
        }
    }
    if let Some((b, col)) = start {
        out.push((col, line.get(b..).unwrap_or_default()));
    }
    out
}

/// The line without its comment: `#` at the start or after whitespace.
fn strip_comment(line: &str) -> &str {
    let mut previous_is_space = true;
    for (byte, c) in line.char_indices() {
        if c == '#' && previous_is_space {
            return line.get(..byte).unwrap_or_default();
        }
        previous_is_space = c.is_whitespace();
    }
    line
}

fn looks_like_glob(word: &str) -> bool {
    word.contains(['/', '.', '*', '?', '[', '{'])
}

fn known_rule(word: &str, line: usize, column: usize) -> Result<&'static Rule, IgnoreError> {
    rule(word).ok_or_else(|| IgnoreError {
        line,
        column,
        message: format!(
            "unknown rule `{word}`: expected a rule code such as `RG001` or a rule name such as `invalid-policy`"
        ),
    })
}

fn glob(word: &str, line: usize, column: usize) -> Result<GlobMatcher, IgnoreError> {
    let pattern = word.strip_prefix("./").unwrap_or(word);
    let pattern = if pattern.contains('/') { pattern.to_owned() } else { format!("**/{pattern}") };
    GlobBuilder::new(&pattern)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| IgnoreError { line, column, message: format!("bad file glob `{word}`: {}", e.kind()) })
}

impl IgnoreList {
    /// An ignore list that ignores nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads an ignore file's text (a leading byte-order mark is skipped).
    pub fn parse(text: &str) -> Result<Self, IgnoreError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut entries = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let ws = words(strip_comment(raw));
            let entry = match ws.as_slice() {
                [] => continue,
                [(column, word)] if looks_like_glob(word) => {
                    Entry { code: None, files: Some(glob(word, line, *column)?) }
                }
                [(column, word)] => Entry { code: Some(known_rule(word, line, *column)?.code), files: None },
                [(rc, r), (gc, g)] => {
                    Entry { code: Some(known_rule(r, line, *rc)?.code), files: Some(glob(g, line, *gc)?) }
                }
                [_, _, (column, word), ..] => {
                    return Err(IgnoreError {
                        line,
                        column: *column,
                        message: format!(
                            "unexpected `{word}`: an entry is RULE, FILE-GLOB or RULE FILE-GLOB (globs cannot contain spaces)"
                        ),
                    });
                }
            };
            entries.push(entry);
        }
        Ok(Self { entries })
    }

    /// Whether findings of the rule `code` in `file` are ignored. `file` is
    /// the path as reported; backslashes and a leading `./` are normalised
    /// away before matching.
    pub fn ignores(&self, code: &str, file: &str) -> bool {
        let file = normalize_path(file);
        self.entries.iter().any(|e| {
            e.code.is_none_or(|c| c.eq_ignore_ascii_case(code)) && e.files.as_ref().is_none_or(|g| g.is_match(&file))
        })
    }

    /// Whether `finding` is ignored.
    pub fn ignores_finding(&self, finding: &Finding) -> bool {
        self.ignores(finding.code, &finding.file)
    }

    /// Whether the list has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// A path with forward slashes and no leading `./`.
pub(crate) fn normalize_path(path: &str) -> String {
    let path = path.replace('\\', "/");
    let mut rest = path.as_str();
    while let Some(r) = rest.strip_prefix("./") {
        rest = r;
    }
    rest.to_owned()
}

impl fmt::Display for IgnoreList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for e in &self.entries {
            match (&e.code, &e.files) {
                (Some(c), Some(g)) => writeln!(f, "{c} {}", g.glob())?,
                (Some(c), None) => writeln!(f, "{c}")?,
                (None, Some(g)) => writeln!(f, "{}", g.glob())?,
                (None, None) => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_of_each_shape() {
        let list = IgnoreList::parse(
            "# legacy files\n\nRG001 policies/legacy/*.json\n  drafts/**  # everything under drafts\n*.tmp.json\n",
        )
        .unwrap();
        assert!(list.ignores("RG001", "policies/legacy/a.json"));
        assert!(list.ignores("RG001", "./policies/legacy/a.json"));
        assert!(!list.ignores("RG001", "policies/legacy/deeper/a.json"), "`*` stops at `/`");
        assert!(!list.ignores("RG001", "policies/a.json"));
        assert!(list.ignores("RG001", "drafts/x/y.json"));
        assert!(list.ignores("RG001", "deep/dir/b.tmp.json"), "a glob without `/` matches the name anywhere");
        assert!(list.ignores("RG001", "b.tmp.json"));
    }

    #[test]
    fn rule_by_name_everywhere() {
        let list = IgnoreList::parse("invalid-policy\n").unwrap();
        assert!(list.ignores("RG001", "any/where.json"));
        assert!(list.ignores("rg001", "x.json"));
        assert!(!list.ignores("RG002", "x.json"));
    }

    #[test]
    fn unknown_rule_names_line_and_column() {
        let e = IgnoreList::parse("# ok\n\n   RG999 policies/*.json\n").unwrap_err();
        assert_eq!((e.line(), e.column()), (3, 4));
        assert!(e.message().contains("`RG999`"), "{e}");
        let e = IgnoreList::parse("invalid-polcy\n").unwrap_err();
        assert_eq!((e.line(), e.column()), (1, 1));
        assert_eq!(e.to_string().split(':').take(2).collect::<Vec<_>>(), ["1", "1"]);
    }

    #[test]
    fn too_many_words_and_bad_glob() {
        let e = IgnoreList::parse("RG001 a.json b.json\n").unwrap_err();
        assert_eq!((e.line(), e.column()), (1, 14));
        let e = IgnoreList::parse("RG001 {a.json\n").unwrap_err();
        assert_eq!((e.line(), e.column()), (1, 7));
        assert!(e.message().contains("bad file glob"), "{e}");
    }

    #[test]
    fn byte_order_mark_and_crlf() {
        let list = IgnoreList::parse("\u{feff}RG001 a.json\r\nb.json\r\n").unwrap();
        assert!(list.ignores("RG001", "a.json"));
        assert!(list.ignores("RG001", "b.json"));
        assert!(!list.ignores("RG001", "c.json"));
    }

    #[test]
    fn hash_inside_a_word_is_not_a_comment() {
        let list = IgnoreList::parse("a#b.json\n").unwrap();
        assert!(list.ignores("RG001", "a#b.json"));
        assert!(!list.ignores("RG001", "a"));
    }
}
