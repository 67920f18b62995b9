//! Policy lint: findings in the four classes of Alibaba Cloud's policy check.
//!
//! [`lint`] reads one policy document and reports everything worth a
//! reviewer's attention: what RAM would reject ([`Severity::Error`]), grants
//! that are risky or protections that do not protect
//! ([`Severity::SecurityWarning`]), statements that do not do what they seem
//! to ([`Severity::Warning`]), and tidy-ups ([`Severity::Suggestion`]).
//!
//! Every finding carries a stable rule code (see [`RULES`]), the file, the
//! JSON path, the line and column, a one-line message and a longer help.

use std::fmt;

use serde::Serialize;

use crate::catalog::Catalog;
use crate::error::{JsonPath, Location};
use crate::policy::{Limits, Policy, PolicyKind};

/// The four classes of Alibaba Cloud's policy check, most serious first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// RAM rejects the document.
    Error,
    /// The document grants too much, or a protection in it does not protect.
    SecurityWarning,
    /// The document is accepted but does not do what it seems to.
    Warning,
    /// The document works; it could be clearer or shorter.
    Suggestion,
}

impl Severity {
    /// The name used in reports and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::SecurityWarning => "security-warning",
            Severity::Warning => "warning",
            Severity::Suggestion => "suggestion",
        }
    }

    /// Every class, most serious first.
    pub const ALL: [Severity; 4] =
        [Severity::Error, Severity::SecurityWarning, Severity::Warning, Severity::Suggestion];
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A lint rule: its stable code, class, name and documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// The stable code (`RG101`).
    pub code: &'static str,
    /// A short kebab-case name (`allow-all`).
    pub name: &'static str,
    /// The class of its findings.
    pub severity: Severity,
    /// One line: what the rule finds.
    pub summary: &'static str,
    /// Why it matters and how to fix it.
    pub help: &'static str,
}

/// Every lint rule, in code order.
pub const RULES: &[Rule] = &[Rule {
    code: "RG001",
    name: "invalid-policy",
    severity: Severity::Error,
    summary: "RAM rejects the document",
    help: "RAM's policy grammar and limits reject this document; the message says what is wrong and where. \
           Fix it before anything else: RAM will not save the policy.",
}];

/// The rule with this code or name (case-insensitive).
pub fn rule(code_or_name: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.code.eq_ignore_ascii_case(code_or_name) || r.name.eq_ignore_ascii_case(code_or_name))
}

/// One finding of one rule in one document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule's stable code.
    pub code: &'static str,
    /// The rule's name.
    pub rule: &'static str,
    /// The rule's class.
    pub severity: Severity,
    /// The file (or policy name) the finding is in.
    pub file: String,
    /// Where, as a JSON path.
    #[serde(serialize_with = "serialize_display")]
    pub path: JsonPath,
    /// Where, as line and column.
    #[serde(flatten)]
    pub location: Location,
    /// One line: what is wrong here.
    pub message: String,
    /// How to fix it, specific to this finding when possible.
    pub help: String,
}

fn serialize_display<S: serde::Serializer>(value: &impl fmt::Display, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {} {}[{}]: {}", self.file, self.location, self.severity, self.code, self.rule, self.message)?;
        if !self.path.is_root() {
            write!(f, " (at {})", self.path)?;
        }
        Ok(())
    }
}

/// What the linter knows besides the document.
#[derive(Debug, Clone, Copy)]
pub struct LintOptions<'a> {
    /// The operations whose actions, resources and condition keys the
    /// catalog-aware rules check against.
    pub catalog: &'a Catalog,
    /// The size limits of RAM documents.
    pub limits: &'a Limits,
    /// The kind of the document; `None` reads a document with a `Principal`
    /// as a resource policy and any other as an identity policy.
    pub kind: Option<PolicyKind>,
}

/// Lints one document. `file` names it in the findings; findings come in
/// document order (line, then column), then by code.
pub fn lint(file: &str, text: &str, options: &LintOptions<'_>) -> Vec<Finding> {
    let kind = options.kind.unwrap_or_else(|| crate::policy::detect_kind(text));
    let mut findings = Vec::new();
    match Policy::parse_with_limits(file, text, kind, options.limits) {
        Err(errors) => {
            let Some(rule) = rule("RG001") else { return findings };
            for e in errors.errors() {
                findings.push(Finding {
                    code: rule.code,
                    rule: rule.name,
                    severity: rule.severity,
                    file: file.to_owned(),
                    path: e.path().clone(),
                    location: e.location(),
                    message: e.kind().to_string(),
                    help: e.help().map_or_else(|| rule.help.to_owned(), str::to_owned),
                });
            }
        }
        Ok(_policy) => {}
    }
    findings.sort_by(|a, b| a.location.cmp(&b.location).then(a.code.cmp(b.code)));
    findings
}
