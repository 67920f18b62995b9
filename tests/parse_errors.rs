//! Golden cases for policy validation, read from `tests/cases/parse_errors/`.
//!
//! Each file holds `{"cases": [...]}`, one file per concern. A case gives a
//! document and the errors it must produce, in document order:
//!
//! ```json
//! {"name": "...", "kind": "identity",
//!  "policy": {"Version": "1", "Statement": [{"Effect": "allow ", ...}]},
//!  "expected": [{"code": "invalid-effect", "path": "Statement[0].Effect",
//!                "line": 1, "column": 30, "help_contains": "`Allow`"}]}
//! ```
//!
//! - `policy` is an inline document, parsed in its compact serialization with
//!   members in name order (what `serde_json::to_string` writes). Syntax errors
//!   and layouts that matter are given verbatim as `policy_text` instead.
//! - `pad_to` (optional) appends spaces until the text has that many characters.
//! - `unlimited` (optional) lifts the size limits.
//! - `expected` lists every error as its code and JSON path (`(document)` for
//!   the root); `line` and `column` (1-based, column in characters) and
//!   `help_contains` are checked when given. An empty list means the document
//!   is valid, and `warnings` (optional) is then the number of warnings.
//!
//! Every error must also display its location as `line:column` and, below the
//! root, its path. All cases run; every failure is reported by file and name
//! before the test fails. `XFAIL` lists cases known to fail.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test runner unwraps what it just built and panics to fail"
)]

mod common;

use std::collections::BTreeSet;
use std::fmt::Write as _;

use ramguard::{Limits, ParseError, Policy, PolicyKind};
use serde::Deserialize;

/// Cases known to fail, as `"<file stem>/<case name>"`.
const XFAIL: &[&str] = &[];

/// One file per concern.
const CONCERNS: [&str; 9] =
    ["version", "statement", "effect", "action", "resource", "principal", "condition", "limits", "json"];

/// Every error code; each must be expected by at least one case.
const CODES: [&str; 17] = [
    "json-syntax",
    "too-long",
    "wrong-type",
    "unknown-element",
    "missing-element",
    "invalid-version",
    "invalid-effect",
    "invalid-action",
    "empty",
    "conflicting-elements",
    "not-resource",
    "not-allowed-here",
    "unknown-operator",
    "invalid-condition-value",
    "unknown-principal-type",
    "duplicate-condition-key",
    "wildcard-principal-account",
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    cases: Vec<Case>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Kind {
    Identity,
    Session,
    Control,
    Resource,
}

impl From<Kind> for PolicyKind {
    fn from(kind: Kind) -> Self {
        match kind {
            Kind::Identity => PolicyKind::Identity,
            Kind::Session => PolicyKind::Session,
            Kind::Control => PolicyKind::Control,
            Kind::Resource => PolicyKind::Resource,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    kind: Kind,
    #[serde(default)]
    policy: Option<serde_json::Value>,
    #[serde(default)]
    policy_text: Option<String>,
    #[serde(default)]
    pad_to: Option<usize>,
    #[serde(default)]
    unlimited: bool,
    #[serde(default)]
    warnings: Option<usize>,
    expected: Vec<Expected>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    code: String,
    path: String,
    #[serde(default)]
    line: Option<usize>,
    #[serde(default)]
    column: Option<usize>,
    #[serde(default)]
    help_contains: Option<String>,
}

/// Compact JSON with object members in name order, whatever order the
/// `serde_json::Map` in use keeps.
fn compact(value: &serde_json::Value, out: &mut String) {
    match value {
        serde_json::Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                compact(item, out);
            }
            out.push(']');
        }
        serde_json::Value::Object(members) => {
            let mut sorted: Vec<_> = members.iter().collect();
            sorted.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (name, item)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(name).expect("a string serializes"));
                out.push(':');
                compact(item, out);
            }
            out.push('}');
        }
        scalar => out.push_str(&serde_json::to_string(scalar).expect("a scalar serializes")),
    }
}

fn source(case: &Case) -> Result<String, String> {
    let mut text = match (&case.policy, &case.policy_text) {
        (Some(policy), None) => {
            let mut text = String::new();
            compact(policy, &mut text);
            text
        }
        (None, Some(text)) => text.clone(),
        _ => return Err("give exactly one of `policy` and `policy_text`".to_owned()),
    };
    if let Some(target) = case.pad_to {
        let length = text.chars().count();
        if length > target {
            return Err(format!("the document has {length} characters, more than pad_to = {target}"));
        }
        text.extend(std::iter::repeat_n(' ', target - length));
    }
    Ok(text)
}

/// Whether `line:column` lies inside `text` (a column may be one past the
/// last character of its line).
fn inside(text: &str, line: usize, column: usize) -> bool {
    let lines: Vec<&str> = text.split('\n').collect();
    line >= 1 && line <= lines.len() && column >= 1 && column <= lines[line - 1].chars().count() + 1
}

fn check_error(text: &str, error: &ParseError, problems: &mut Vec<String>) {
    let shown = error.to_string();
    let location = error.location();
    let at = format!("{}:{}", location.line, location.column);
    if !shown.contains(&at) {
        problems.push(format!("`{shown}` does not show its location {at}"));
    }
    if !error.path().is_root() && !shown.contains(&error.path().to_string()) {
        problems.push(format!("`{shown}` does not show its path {}", error.path()));
    }
    if error.code() != "json-syntax" && !inside(text, location.line, location.column) {
        problems.push(format!("`{shown}`: location {at} is outside the text"));
    }
}

/// Runs one case; returns what went wrong, if anything.
fn run(case: &Case) -> Vec<String> {
    let text = match source(case) {
        Ok(text) => text,
        Err(e) => return vec![e],
    };
    let limits = if case.unlimited { Limits::unlimited() } else { Limits::default() };
    let mut problems = Vec::new();
    match Policy::parse_with_limits("case", &text, case.kind.into(), &limits) {
        Ok(policy) => {
            if !case.expected.is_empty() {
                let codes: Vec<String> = case.expected.iter().map(|e| format!("{} at {}", e.code, e.path)).collect();
                problems.push(format!("the document was accepted, expected {}", codes.join(", ")));
            }
            if let Some(n) = case.warnings
                && policy.warnings().len() != n
            {
                problems.push(format!("expected {n} warnings, got {:?}", policy.warnings()));
            }
        }
        Err(errors) => {
            let errors = errors.errors();
            let got: Vec<(String, String)> =
                errors.iter().map(|e| (e.code().to_owned(), e.path().to_string())).collect();
            let want: Vec<(String, String)> = case.expected.iter().map(|e| (e.code.clone(), e.path.clone())).collect();
            if got != want {
                let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
                problems.push(format!(
                    "expected (code, path) {want:?}\n      got {got:?}\n      errors:\n        {}",
                    shown.join("\n        ")
                ));
            } else {
                for (error, expected) in errors.iter().zip(&case.expected) {
                    let location = error.location();
                    if expected.line.is_some_and(|l| l != location.line)
                        || expected.column.is_some_and(|c| c != location.column)
                    {
                        problems.push(format!(
                            "{} at {}: expected location {}:{}, got {}:{}",
                            expected.code,
                            expected.path,
                            expected.line.map_or("_".to_owned(), |l| l.to_string()),
                            expected.column.map_or("_".to_owned(), |c| c.to_string()),
                            location.line,
                            location.column
                        ));
                    }
                    if let Some(want) = &expected.help_contains
                        && !error.help().is_some_and(|h| h.contains(want.as_str()))
                    {
                        problems.push(format!(
                            "{} at {}: help {:?} does not contain {want:?}",
                            expected.code,
                            expected.path,
                            error.help()
                        ));
                    }
                }
            }
            for error in errors {
                check_error(&text, error, &mut problems);
            }
            if case.warnings.is_some() {
                problems.push("`warnings` is only checked on a valid document".to_owned());
            }
        }
    }
    problems
}

#[test]
fn parse_error_cases() {
    let files: Vec<(String, CaseFile)> = common::load_case_files("parse_errors");
    let mut failures = String::new();
    let mut unexpected_passes = Vec::new();
    let mut codes_seen = BTreeSet::new();
    let mut total = 0;

    let stems: Vec<&str> = files.iter().map(|(stem, _)| stem.as_str()).collect();
    for concern in CONCERNS {
        if !stems.contains(&concern) {
            let _ = writeln!(failures, "no case file {concern}.json");
        }
    }
    for (stem, file) in &files {
        if !CONCERNS.contains(&stem.as_str()) {
            let _ = writeln!(failures, "{stem}.json: not a known concern");
        }
        if file.cases.is_empty() {
            let _ = writeln!(failures, "{stem}.json: holds no case");
        }
        let mut names = BTreeSet::new();
        for case in &file.cases {
            total += 1;
            let id = format!("{stem}/{}", case.name);
            if !names.insert(case.name.as_str()) {
                let _ = writeln!(failures, "{id}: duplicate case name");
            }
            codes_seen.extend(case.expected.iter().map(|e| e.code.clone()));
            let problems = run(case);
            let xfail = XFAIL.contains(&id.as_str());
            match (problems.is_empty(), xfail) {
                (true, true) => unexpected_passes.push(id),
                (false, false) => {
                    let _ = writeln!(failures, "{id}");
                    for p in problems {
                        let _ = writeln!(failures, "    {p}");
                    }
                }
                _ => {}
            }
        }
    }
    for code in CODES {
        if !codes_seen.contains(code) {
            let _ = writeln!(failures, "no case expects the error code {code}");
        }
    }
    for code in &codes_seen {
        if !CODES.contains(&code.as_str()) {
            let _ = writeln!(failures, "a case expects the unknown error code {code}");
        }
    }
    for id in XFAIL {
        if !files.iter().any(|(stem, f)| f.cases.iter().any(|c| format!("{stem}/{}", c.name) == *id)) {
            let _ = writeln!(failures, "XFAIL names a case that does not exist: {id}");
        }
    }
    for id in &unexpected_passes {
        let _ = writeln!(failures, "{id}: listed in XFAIL but passes; remove it from the list");
    }
    assert!(failures.is_empty(), "parse error cases failed ({total} cases in {} files):\n{failures}", files.len());
}
