//! Lint reports: the findings of many files, rendered for people (rustc-style
//! snippets), for programs (JSON), for code-scanning dashboards (SARIF 2.1.0)
//! and for CI test dashboards (`JUnit` XML).
//!
//! A [`Report`] holds one [`FileReport`] per file: its findings, how many
//! were ignored (see [`IgnoreList`]), and the source text for snippets. A
//! file that could not be read is a `FileReport` with an error instead of
//! findings, so one bad path does not hide the report of the others.
//!
//! ```
//! use ramguard::lint::{LintOptions, lint};
//! use ramguard::report::{FileReport, Report};
//! use ramguard::{Limits};
//! use ramguard::catalog::{Catalog};
//!
//! let text = r#"{"Version": "1", "Statement": [{"Effect": "Allw", "Action": "ecs:*", "Resource": "*"}]}"#;
//! let limits = Limits::default();
//! let options = LintOptions { catalog: Catalog::builtin()?, limits: &limits, kind: None };
//! let findings = lint("p.json", text, &options);
//! let report = Report::new(vec![FileReport::new("p.json", Some(text.to_owned()), findings)]);
//! assert_eq!(report.summary().error, 1);
//! assert!(report.human().contains("p.json:1:43"));
//! let sarif = report.sarif();
//! assert_eq!(sarif["runs"][0]["results"][0]["ruleId"], "RG001");
//! Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::{Value, json};
use unicode_width::UnicodeWidthChar;

use crate::audit::ignore::normalize_path;
pub use crate::audit::ignore::{IgnoreError, IgnoreList};
use crate::audit::lint::{Finding, RULES, Rule, Severity, Unchecked};
use crate::language::policy::PolicyKind;

/// Where the SARIF `tool.driver.informationUri` points.
pub const INFORMATION_URI: &str = "https://docs.rs/ramguard";

/// The `security-severity` (0.0 to 10.0, GitHub code scanning's scale) given
/// to every [`Severity::SecurityWarning`] rule: 8.0 is "high".
pub const SECURITY_SEVERITY: &str = "8.0";

/// The SARIF schema URI written in `$schema`.
pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The most results one SARIF run holds: GitHub code scanning rejects runs
/// with more. Beyond it the least serious findings are left out, and a
/// notification says how many.
pub const SARIF_MAX_RESULTS: usize = 25_000;

/// How many characters of a long source line the human report shows on
/// each side of the column.
const SNIPPET_CONTEXT: usize = 60;

/// The findings of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReport {
    /// The file as given (forward slashes are used in SARIF and globs).
    pub file: String,
    /// The text the findings point into, for snippets; `None` shows none.
    pub source: Option<String>,
    /// The findings left after ignores, in document order.
    pub findings: Vec<Finding>,
    /// How many findings the ignore list removed.
    pub ignored: usize,
    /// Why the file could not be read, when it could not.
    pub error: Option<String>,
    /// The kind the document was read as, when the caller says.
    pub kind: Option<PolicyKind>,
    /// The rules a work budget kept from checking the file fully.
    pub unchecked: Option<Unchecked>,
}

impl FileReport {
    /// The findings of a file that was read.
    pub fn new(file: impl Into<String>, source: Option<String>, findings: Vec<Finding>) -> Self {
        Self { file: file.into(), source, findings, ignored: 0, error: None, kind: None, unchecked: None }
    }

    /// The same report, saying which kind the document was read as.
    pub fn with_kind(mut self, kind: PolicyKind) -> Self {
        self.kind = Some(kind);
        self
    }

    /// The same report, saying which rules a budget kept from checking the
    /// file fully (see [`crate::audit::lint::lint_document`]).
    pub fn with_unchecked(mut self, unchecked: Option<Unchecked>) -> Self {
        self.unchecked = unchecked;
        self
    }

    /// A file that could not be read, and why.
    pub fn unreadable(file: impl Into<String>, error: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            source: None,
            findings: Vec::new(),
            ignored: 0,
            error: Some(error.into()),
            kind: None,
            unchecked: None,
        }
    }

    /// Drops the findings `ignore` ignores, counting them in [`FileReport::ignored`].
    pub fn apply(&mut self, ignore: &IgnoreList) {
        let before = self.findings.len();
        self.findings.retain(|f| !ignore.ignores_finding(f));
        self.ignored += before - self.findings.len();
    }

    fn count(&self, severity: Severity) -> usize {
        self.findings.iter().filter(|f| f.severity == severity).count()
    }
}

/// Counts over a whole report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Summary {
    /// Files in the report, read or not.
    pub files: usize,
    /// Files that could not be read.
    pub unreadable: usize,
    /// Findings reported (after ignores).
    pub findings: usize,
    /// Findings of class [`Severity::Error`].
    pub error: usize,
    /// Findings of class [`Severity::SecurityWarning`].
    pub security_warning: usize,
    /// Findings of class [`Severity::Warning`].
    pub warning: usize,
    /// Findings of class [`Severity::Suggestion`].
    pub suggestion: usize,
    /// Findings the ignore list removed.
    pub ignored: usize,
    /// Files that some rule could not check fully within its budget.
    pub unchecked: usize,
}

impl Summary {
    /// The count of one class.
    pub fn of(&self, severity: Severity) -> usize {
        match severity {
            Severity::Error => self.error,
            Severity::SecurityWarning => self.security_warning,
            Severity::Warning => self.warning,
            Severity::Suggestion => self.suggestion,
        }
    }
}

/// The lint report of many files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    files: Vec<FileReport>,
}

impl Report {
    /// A report of `files`, sorted by file, each file's findings by line,
    /// column, then code.
    pub fn new(mut files: Vec<FileReport>) -> Self {
        files.sort_by(|a, b| a.file.cmp(&b.file));
        for f in &mut files {
            f.findings.sort_by(|a, b| a.location.cmp(&b.location).then(a.code.cmp(b.code)));
        }
        Self { files }
    }

    /// The files, sorted.
    pub fn files(&self) -> &[FileReport] {
        &self.files
    }

    /// Drops the findings `ignore` ignores from every file.
    pub fn apply(&mut self, ignore: &IgnoreList) {
        for f in &mut self.files {
            f.apply(ignore);
        }
    }

    /// Every finding, file by file.
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.files.iter().flat_map(|f| f.findings.iter())
    }

    /// The counts.
    pub fn summary(&self) -> Summary {
        let mut s = Summary { files: self.files.len(), ..Summary::default() };
        for file in &self.files {
            s.unreadable += usize::from(file.error.is_some());
            s.unchecked += usize::from(file.unchecked.is_some());
            s.ignored += file.ignored;
            for f in &file.findings {
                s.findings += 1;
                match f.severity {
                    Severity::Error => s.error += 1,
                    Severity::SecurityWarning => s.security_warning += 1,
                    Severity::Warning => s.warning += 1,
                    Severity::Suggestion => s.suggestion += 1,
                }
            }
        }
        s
    }

    /// Whether some finding is of class `threshold` or a more serious one.
    pub fn fails(&self, threshold: Severity) -> bool {
        self.findings().any(|f| f.severity <= threshold)
    }

    /// Whether some rule of class `threshold` or a more serious one was not
    /// fully checked in some file: a report that does not
    /// [`fail`](Report::fails) at that threshold has then not proved a pass.
    pub fn undecided(&self, threshold: Severity) -> bool {
        self.files.iter().any(|f| f.unchecked.as_ref().is_some_and(|u| u.reaches(threshold)))
    }

    /// The rules with at least one finding, in code order.
    pub fn rules_fired(&self) -> Vec<&'static Rule> {
        let codes: BTreeSet<&str> = self.findings().map(|f| f.code).collect();
        RULES.iter().filter(|r| codes.contains(r.code)).collect()
    }

    // ----- human -----

    /// The report for a terminal: per file, each finding with its class,
    /// code and name, message, `file:line:column` and JSON path, the source
    /// line with a caret under the column, and its help; then a summary line.
    pub fn human(&self) -> String {
        let mut out = String::new();
        for file in &self.files {
            let name = sanitize(&file.file);
            if let Some(error) = &file.error {
                let _ = writeln!(out, "{name}: error: {}\n", sanitize(error));
                continue;
            }
            let mut ignored = if file.ignored > 0 { format!(" ({} ignored)", file.ignored) } else { String::new() };
            if let Some(kind) = file.kind {
                let _ = write!(
                    ignored,
                    ", read as {} {kind} policy",
                    if kind == PolicyKind::Identity { "an" } else { "a" }
                );
            }
            let note = file.unchecked.as_ref().map(|u| format!("note: {}\n", sanitize(&u.to_string())));
            if file.findings.is_empty() {
                match &note {
                    Some(note) => {
                        let _ = writeln!(out, "{name}: no findings from the rules checked fully{ignored}\n{note}");
                    }
                    None => {
                        let _ = writeln!(out, "{name}: no findings{ignored}\n");
                    }
                }
                continue;
            }
            let counts: Vec<String> = Severity::ALL
                .iter()
                .filter(|s| file.count(**s) > 0)
                .map(|s| count_phrase(file.count(*s), *s))
                .collect();
            let _ = writeln!(out, "{name}: {}{ignored}\n", counts.join(", "));
            if let Some(note) = &note {
                let _ = writeln!(out, "{note}");
            }
            let mut cursor = file.source.as_deref().map(Cursor::new);
            for f in &file.findings {
                render_finding(&mut out, f, cursor.as_mut());
            }
        }
        let s = self.summary();
        let mut line = format!(
            "summary: {} {}, {}, {}, {}, {}",
            s.files,
            if s.files == 1 { "file" } else { "files" },
            count_phrase(s.error, Severity::Error),
            count_phrase(s.security_warning, Severity::SecurityWarning),
            count_phrase(s.warning, Severity::Warning),
            count_phrase(s.suggestion, Severity::Suggestion),
        );
        let mut extra = Vec::new();
        if s.ignored > 0 {
            extra.push(format!("{} ignored", s.ignored));
        }
        if s.unreadable > 0 {
            extra.push(format!("{} unreadable", s.unreadable));
        }
        if s.unchecked > 0 {
            extra.push(format!("{} not fully checked", s.unchecked));
        }
        if !extra.is_empty() {
            let _ = write!(line, " ({})", extra.join(", "));
        }
        out.push_str(&line);
        out.push('\n');
        out
    }

    // ----- JSON -----

    /// The report as JSON: `tool`, `files` (each with `file`, `status`
    /// `ok`/`findings`/`unreadable`, `error` when unreadable, `findings`
    /// with every field, `ignored`), `summary` (counts) and `rules` (the
    /// rules that fired, with their documentation).
    pub fn json(&self) -> Value {
        let files: Vec<Value> = self
            .files
            .iter()
            .map(|f| {
                let status = match (&f.error, f.findings.is_empty(), &f.unchecked) {
                    (Some(_), _, _) => "unreadable",
                    (None, true, Some(_)) => "unchecked",
                    (None, true, None) => "ok",
                    (None, false, _) => "findings",
                };
                let mut v = json!({
                    "file": f.file, "status": status, "findings": f.findings, "ignored": f.ignored,
                });
                if let (Some(error), Some(obj)) = (&f.error, v.as_object_mut()) {
                    obj.insert("error".to_owned(), json!(error));
                }
                if let (Some(kind), Some(obj)) = (f.kind, v.as_object_mut()) {
                    obj.insert("kind".to_owned(), json!(kind));
                }
                if let (Some(unchecked), Some(obj)) = (&f.unchecked, v.as_object_mut()) {
                    obj.insert("unchecked".to_owned(), json!(unchecked));
                }
                v
            })
            .collect();
        json!({
            "tool": { "name": "ramguard", "version": env!("CARGO_PKG_VERSION") },
            "files": files,
            "summary": self.summary(),
            "rules": self.rules_fired(),
        })
    }

    // ----- SARIF -----

    /// The report as a SARIF 2.1.0 log with one run, fit for GitHub code
    /// scanning: every rule in `tool.driver.rules` (so `ruleIndex` is stable),
    /// one result per finding (at most [`SARIF_MAX_RESULTS`], the most
    /// serious kept), and unreadable files as tool execution notifications
    /// (with `executionSuccessful` false).
    pub fn sarif(&self) -> Value {
        self.sarif_with_rules(RULES)
    }

    /// [`Report::sarif`] with `rules` as `tool.driver.rules` (and as what
    /// `ruleIndex` counts in); a finding whose code is not among them gets
    /// a `ruleId` without a `ruleIndex`.
    pub fn sarif_with_rules(&self, rules: &[Rule]) -> Value {
        let mut kept: Vec<(usize, &Finding)> = self.findings().enumerate().collect();
        let left_out = kept.len().saturating_sub(SARIF_MAX_RESULTS);
        if left_out > 0 {
            // Keep the most serious findings, then restore document order.
            kept.sort_by_key(|(i, f)| (f.severity, *i));
            kept.truncate(SARIF_MAX_RESULTS);
            kept.sort_by_key(|(i, _)| *i);
        }
        let results: Vec<Value> = kept.iter().map(|(_, f)| sarif_result(f, rules)).collect();
        let rule_list = rules;
        let rules: Vec<Value> = rules.iter().map(sarif_rule).collect();
        let mut notifications: Vec<Value> = self
            .files
            .iter()
            .filter_map(|f| {
                f.error.as_ref().map(|e| {
                    json!({
                        "level": "error",
                        "message": { "text": format!("{}: {e}", f.file) },
                        "locations": [{ "physicalLocation": { "artifactLocation": { "uri": sarif_uri(&f.file) } } }],
                    })
                })
            })
            .collect();
        let execution_successful = notifications.is_empty();
        // Rules a budget kept from checking a file fully: a warning per file
        // and rule, pointing at the rule's descriptor.
        for f in &self.files {
            let Some(u) = &f.unchecked else { continue };
            for code in &u.rules {
                let mut rule = json!({ "id": code });
                if let (Some(index), Some(obj)) = (rule_list.iter().position(|r| r.code == *code), rule.as_object_mut())
                {
                    obj.insert("index".to_owned(), json!(index));
                }
                notifications.push(json!({
                    "level": "warning",
                    "message": { "text": format!("{}: {code} not fully checked: {}", f.file, u.reason) },
                    "locations": [{ "physicalLocation": { "artifactLocation": { "uri": sarif_uri(&f.file) } } }],
                    "associatedRule": rule,
                }));
            }
        }
        if left_out > 0 {
            notifications.push(json!({
                "level": "warning",
                "message": { "text": format!(
                    "{left_out} less serious {} left out: GitHub code scanning rejects runs of more than {SARIF_MAX_RESULTS} results",
                    if left_out == 1 { "finding was" } else { "findings were" }
                ) },
            }));
        }
        let mut invocation = json!({ "executionSuccessful": execution_successful });
        if let (false, Some(obj)) = (notifications.is_empty(), invocation.as_object_mut()) {
            obj.insert("toolExecutionNotifications".to_owned(), Value::Array(notifications));
        }
        json!({
            "$schema": SARIF_SCHEMA,
            "version": "2.1.0",
            "runs": [{
                "tool": { "driver": {
                    "name": "ramguard",
                    "version": env!("CARGO_PKG_VERSION"),
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "informationUri": INFORMATION_URI,
                    "rules": rules,
                } },
                "invocations": [invocation],
                "columnKind": "unicodeCodePoints",
                "results": results,
            }],
        })
    }

    // ----- JUnit -----

    /// The report as `JUnit` XML: one `testsuite` per file and one `testcase`
    /// per finding. Findings of class `fail_at` or a more serious one are
    /// `failure`s; less serious ones pass and carry their text in
    /// `system-out`. A file without findings is one passing `lint` testcase;
    /// an unreadable file is one `read` testcase with an `error`.
    pub fn junit(&self, fail_at: Severity) -> String {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let mut suites = String::new();
        let (mut tests, mut failures, mut errors) = (0usize, 0usize, 0usize);
        for file in &self.files {
            let classname = file.file.strip_suffix(".json").unwrap_or(&file.file);
            let case_attrs = |name: &str, line: Option<usize>| {
                let mut a =
                    format!("name=\"{}\" classname=\"{}\" file=\"{}\"", attr(name), attr(classname), attr(&file.file));
                if let Some(line) = line {
                    let _ = write!(a, " line=\"{line}\"");
                }
                a.push_str(" time=\"0\"");
                a
            };
            let mut cases = String::new();
            let (mut t, mut fl, mut er, mut sk) = (0usize, 0usize, 0usize, 0usize);
            if let Some(error) = &file.error {
                t += 1;
                er += 1;
                let _ = writeln!(
                    cases,
                    "    <testcase {}>\n      <error message=\"{}\" type=\"unreadable\">{}</error>\n    </testcase>",
                    case_attrs("read", None),
                    attr(error),
                    text(&format!("{}: {error}", file.file)),
                );
            } else if let Some(u) = &file.unchecked {
                // A rule a budget kept from checking the file fully is a
                // skipped test, never a passing one.
                for code in &u.rules {
                    t += 1;
                    sk += 1;
                    let name = match crate::audit::lint::rule(code) {
                        Some(r) => format!("{}[{}] not fully checked", r.code, r.name),
                        None => format!("{code} not fully checked"),
                    };
                    let _ = writeln!(
                        cases,
                        "    <testcase {}>\n      <skipped message=\"{}\"/>\n    </testcase>",
                        case_attrs(&name, None),
                        attr(&u.reason),
                    );
                }
            } else if file.findings.is_empty() {
                t += 1;
                let _ = writeln!(cases, "    <testcase {}/>", case_attrs("lint", None));
            }
            for f in &file.findings {
                t += 1;
                let name = if f.path.is_root() {
                    format!("{}[{}]", f.code, f.rule)
                } else {
                    format!("{}[{}] at {}", f.code, f.rule, f.path)
                };
                let body = format!(
                    "{}:{}: {} {}[{}]: {}\nat: {}\nhelp: {}",
                    f.file, f.location, f.severity, f.code, f.rule, f.message, f.path, f.help
                );
                if f.severity <= fail_at {
                    fl += 1;
                    let _ = writeln!(
                        cases,
                        "    <testcase {}>\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
                        case_attrs(&name, Some(f.location.line)),
                        attr(&f.message),
                        f.severity,
                        text(&body),
                    );
                } else {
                    let _ = writeln!(
                        cases,
                        "    <testcase {}>\n      <system-out>{}</system-out>\n    </testcase>",
                        case_attrs(&name, Some(f.location.line)),
                        text(&body),
                    );
                }
            }
            let _ = write!(
                suites,
                "  <testsuite name=\"{}\" tests=\"{t}\" failures=\"{fl}\" errors=\"{er}\" skipped=\"{sk}\" time=\"0\" file=\"{}\">\n{cases}  </testsuite>\n",
                attr(&file.file),
                attr(&file.file),
            );
            tests += t;
            failures += fl;
            errors += er;
        }
        let _ = write!(
            out,
            "<testsuites name=\"ramguard lint\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" time=\"0\">\n{suites}</testsuites>\n"
        );
        out
    }
}

fn count_phrase(n: usize, severity: Severity) -> String {
    let noun = match severity {
        Severity::Error => "error",
        Severity::SecurityWarning => "security warning",
        Severity::Warning => "warning",
        Severity::Suggestion => "suggestion",
    };
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

/// Text safe to print on a terminal: control characters other than newline
/// and tab become U+FFFD, so a policy cannot send escape sequences.
fn sanitize(s: &str) -> String {
    s.chars().map(|c| if c.is_control() && c != '\n' && c != '\t' { '\u{fffd}' } else { c }).collect()
}

fn render_finding(out: &mut String, f: &Finding, source: Option<&mut Cursor<'_>>) {
    let _ = writeln!(out, "{} {}[{}]: {}", f.severity, f.code, f.rule, sanitize(&f.message));
    let line_no = f.location.line;
    let gutter = " ".repeat(line_no.to_string().len());
    let at = if f.path.is_root() { String::new() } else { format!(" at {}", sanitize(&f.path.to_string())) };
    let _ = writeln!(out, "{gutter}--> {}:{}{at}", sanitize(&f.file), f.location);
    if let Some((shown, caret)) = source.and_then(|s| s.snippet(line_no, f.location.column)) {
        let _ = writeln!(out, "{gutter} |");
        let _ = writeln!(out, "{line_no} | {shown}");
        let _ = writeln!(out, "{gutter} | {caret}");
    }
    for (i, help_line) in sanitize(&f.help).lines().enumerate() {
        let lead = if i == 0 { "= help: " } else { "        " };
        let _ = writeln!(out, "{gutter} {lead}{help_line}");
    }
    out.push('\n');
}

/// Display width of one character as the snippet shows it.
fn shown_char(c: char) -> (String, usize) {
    match c {
        '\t' => ("    ".to_owned(), 4),
        c if c.is_control() => ("\u{fffd}".to_owned(), 1),
        c => (c.to_string(), c.width().unwrap_or(0)),
    }
}

/// The source line `line` (1-based) as shown, and the caret line under
/// character column `column` (1-based). `None` when the line does not exist.
/// Tabs show as four spaces, control characters as U+FFFD, wide characters
/// take two cells; a line longer than the context around the column is cut,
/// with `...` marking each cut.
#[cfg(test)]
fn snippet(source: &str, line: usize, column: usize) -> Option<(String, String)> {
    Cursor::new(source).snippet(line, column)
}

/// A forward cursor over one file's text for [`Cursor::snippet`]. A file's
/// findings come in document order, so the snippets of all of them cost one
/// pass over the text, however many there are and however long its lines
/// (a one-line document with a hundred thousand findings included).
struct Cursor<'a> {
    text: &'a str,
    /// The line the cursor is on (1-based) and the byte where it starts.
    line: usize,
    start: usize,
    /// The character (0-based, in the line) and byte the cursor is at.
    column: usize,
    at: usize,
    /// Where the current line's newline is (the end of the text when it
    /// has none), once looked for.
    end: Option<usize>,
}

impl<'a> Cursor<'a> {
    fn new(text: &'a str) -> Self {
        Self { text, line: 1, start: 0, column: 0, at: 0, end: None }
    }

    /// See [`snippet`].
    fn snippet(&mut self, line: usize, column: usize) -> Option<(String, String)> {
        if line == 0 {
            return None;
        }
        if line < self.line {
            *self = Cursor::new(self.text);
        }
        while self.line < line {
            let rest = self.text.get(self.start..)?;
            let newline = memchr::memchr(b'\n', rest.as_bytes())?;
            self.start += newline + 1;
            self.line += 1;
            self.column = 0;
            self.at = self.start;
            self.end = None;
        }
        let rest = self.text.get(self.start..)?;
        if rest.is_empty() {
            // No line here (`lines()` ends at a final newline).
            return None;
        }
        let end = *self.end.get_or_insert_with(|| memchr::memchr(b'\n', rest.as_bytes()).unwrap_or(rest.len()));
        let text = rest.get(..end)?;
        // A `\r` before the newline ends the line too, as in `lines()`.
        let text = if end < rest.len() { text.strip_suffix('\r').unwrap_or(text) } else { text };
        // Move to the first character shown, from the start of the line if
        // the cursor is past it.
        let wanted = column.saturating_sub(1);
        let first = wanted.saturating_sub(SNIPPET_CONTEXT);
        if self.column > first {
            self.column = 0;
            self.at = self.start;
        }
        let base = self.at;
        for (i, c) in text.get(base - self.start..)?.char_indices() {
            if self.column == first {
                break;
            }
            self.column += 1;
            self.at = base + i + c.len_utf8();
        }
        let from = text.get(self.at - self.start..)?;
        let mut window: Vec<char> = Vec::with_capacity(2 * SNIPPET_CONTEXT + 1);
        let mut more = false;
        for c in from.chars() {
            if window.len() == wanted - first + SNIPPET_CONTEXT {
                more = true;
                break;
            }
            window.push(c);
        }
        if self.column < first || window.len() < wanted - first {
            // The column is past the end of the line: the caret goes just
            // after it, with the context before it (a rare case, read from
            // the start of the line).
            let all: Vec<char> = text.chars().collect();
            let start = all.len().saturating_sub(SNIPPET_CONTEXT);
            return Some(render(all.get(start..).unwrap_or_default(), start > 0, all.len() - start, false));
        }
        Some(render(&window, first > 0, wanted - first, more))
    }
}

/// A snippet of `chars` with the caret under `chars[index]` (or just after
/// the last), `...` before when `cut_before`, after when `cut_after`.
fn render(chars: &[char], cut_before: bool, index: usize, cut_after: bool) -> (String, String) {
    let mut shown = String::new();
    let mut pad = 0;
    if cut_before {
        shown.push_str("...");
        pad += 3;
    }
    let mut caret_width = 1;
    for (i, c) in chars.iter().enumerate() {
        let (s, w) = shown_char(*c);
        shown.push_str(&s);
        if i < index {
            pad += w;
        } else if i == index {
            caret_width = w.max(1);
        }
    }
    if cut_after {
        shown.push_str("...");
    }
    let shown = shown.trim_end().to_owned();
    (shown, format!("{}{}", " ".repeat(pad), "^".repeat(caret_width)))
}

fn sarif_level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error | Severity::SecurityWarning => "error",
        Severity::Warning => "warning",
        Severity::Suggestion => "note",
    }
}

fn sarif_rule(r: &Rule) -> Value {
    let mut properties = json!({ "ramguard-severity": r.severity.name() });
    if let (Severity::SecurityWarning, Some(obj)) = (r.severity, properties.as_object_mut()) {
        obj.insert("tags".to_owned(), json!(["security"]));
        obj.insert("security-severity".to_owned(), json!(SECURITY_SEVERITY));
    }
    json!({
        "id": r.code,
        "name": r.name,
        "shortDescription": { "text": r.summary },
        "fullDescription": { "text": r.help },
        "help": { "text": r.help },
        "defaultConfiguration": { "level": sarif_level(r.severity) },
        "properties": properties,
    })
}

fn sarif_result(f: &Finding, rules: &[Rule]) -> Value {
    let mut result = json!({
        "ruleId": f.code,
        "level": sarif_level(f.severity),
        "message": { "text": format!("{}\nHelp: {}", f.message, f.help) },
        "locations": [{
            "physicalLocation": {
                "artifactLocation": { "uri": sarif_uri(&f.file) },
                "region": { "startLine": f.location.line.max(1), "startColumn": f.location.column.max(1) },
            },
            "logicalLocations": [{ "fullyQualifiedName": f.path.to_string(), "kind": "value" }],
        }],
        "properties": { "jsonPath": f.path.to_string(), "ramguard-severity": f.severity.name() },
    });
    if let (Some(index), Some(obj)) = (rules.iter().position(|r| r.code == f.code), result.as_object_mut()) {
        obj.insert("ruleIndex".to_owned(), json!(index));
    }
    result
}

/// A file path as a SARIF URI reference: forward slashes, no leading `./`,
/// percent-encoded outside RFC 3986's unreserved characters and `/`;
/// absolute paths become `file://` URIs.
pub fn sarif_uri(path: &str) -> String {
    let path = normalize_path(path);
    let mut out = String::new();
    let (prefix, rest) = if path.starts_with('/') {
        ("file://", path.as_str())
    } else if path.as_bytes().get(1) == Some(&b':') && path.as_bytes().first().is_some_and(u8::is_ascii_alphabetic) {
        // A Windows drive path, `C:/dir/file.json`.
        ("file:///", path.as_str())
    } else {
        ("", path.as_str())
    };
    out.push_str(prefix);
    for b in rest.bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/')
            || (b == b':' && !prefix.is_empty())
        {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Whether XML 1.0 allows the character.
fn xml_char(c: char) -> bool {
    matches!(c, '\u{9}' | '\u{a}' | '\u{d}' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

fn xml_escape(s: &str, in_attribute: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if in_attribute => out.push_str("&quot;"),
            '\'' if in_attribute => out.push_str("&apos;"),
            '\t' if in_attribute => out.push_str("&#9;"),
            '\n' if in_attribute => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c if !xml_char(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

/// Text content escaped for XML; characters XML 1.0 forbids are written as
/// `\u{..}`.
fn text(s: &str) -> String {
    xml_escape(s, false)
}

/// An attribute value escaped for XML (quotes, and tabs and newlines as
/// character references so they survive attribute normalisation).
fn attr(s: &str) -> String {
    xml_escape(s, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The snippet by its definition: the whole line, as characters.
    fn one_line_at_a_time(source: &str, line: usize, column: usize) -> Option<(String, String)> {
        let text = source.lines().nth(line.checked_sub(1)?)?;
        let chars: Vec<char> = text.chars().collect();
        let index = column.saturating_sub(1).min(chars.len());
        let start = index.saturating_sub(SNIPPET_CONTEXT);
        let end = (index + SNIPPET_CONTEXT).min(chars.len());
        let mut shown = String::new();
        let mut pad = 0;
        if start > 0 {
            shown.push_str("...");
            pad += 3;
        }
        let mut caret_width = 1;
        for (i, c) in chars.iter().enumerate().skip(start).take(end - start) {
            let (s, w) = shown_char(*c);
            shown.push_str(&s);
            if i < index {
                pad += w;
            } else if i == index {
                caret_width = w.max(1);
            }
        }
        if end < chars.len() {
            shown.push_str("...");
        }
        let shown = shown.trim_end().to_owned();
        Some((shown, format!("{}{}", " ".repeat(pad), "^".repeat(caret_width))))
    }

    proptest::proptest! {
        #[test]
        fn one_cursor_over_many_findings_shows_what_each_line_shows(
            text in "[ab\t\n\r宽\u{1}]{0,300}",
            at in proptest::collection::vec((0usize..8, 0usize..160), 0..20),
            sorted in proptest::bool::ANY,
        ) {
            let mut at = at;
            if sorted {
                at.sort_unstable();
            }
            let mut cursor = Cursor::new(&text);
            for (line, column) in at {
                proptest::prop_assert_eq!(cursor.snippet(line, column), one_line_at_a_time(&text, line, column), "{:?} {}:{}", text, line, column);
            }
        }
    }

    #[test]
    fn snippet_caret_and_cut() {
        assert_eq!(snippet("ab\n\tcd", 2, 2), Some(("    cd".to_owned(), "    ^".to_owned())));
        assert_eq!(snippet("ab", 3, 1), None);
        assert_eq!(snippet("ab", 0, 1), None);
        // Past the end of the line: the caret sits just after it.
        assert_eq!(snippet("ab", 1, 9), Some(("ab".to_owned(), "  ^".to_owned())));
        let long = "x".repeat(200);
        let (shown, caret) = snippet(&long, 1, 101).unwrap();
        assert_eq!(shown, format!("...{}...", "x".repeat(120)));
        assert_eq!(caret, format!("{}^", " ".repeat(63)));
    }

    #[test]
    fn uris() {
        assert_eq!(sarif_uri("./policies\\a b.json"), "policies/a%20b.json");
        assert_eq!(sarif_uri("/tmp/p.json"), "file:///tmp/p.json");
        assert_eq!(sarif_uri("C:\\x\\p.json"), "file:///C:/x/p.json");
        assert_eq!(sarif_uri("策略.json"), "%E7%AD%96%E7%95%A5.json");
    }

    #[test]
    fn xml_escapes() {
        assert_eq!(attr("a\"<b>&'\n\t"), "a&quot;&lt;b&gt;&amp;&apos;&#10;&#9;");
        assert_eq!(text("x\u{1b}[31m\u{0}\u{ffff}y\n"), "x\\u{1b}[31m\\u{0}\\u{ffff}y\n");
    }
}
