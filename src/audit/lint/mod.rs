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
//!
//! ```
//! use ramguard::catalog::Catalog;
//! use ramguard::lint::{LintOptions, Severity, lint};
//! use ramguard::Limits;
//!
//! let text = r#"{"Version": "1", "Statement": [{"Effect": "Allow",
//!     "Action": "vpc:DeleteIpsecSever", "Resource": "*"}]}"#;
//! let limits = Limits::default();
//! let options = LintOptions { catalog: Catalog::builtin()?, limits: &limits, kind: None };
//! let findings = lint("ops.json", text, &options);
//! let typo = findings.iter().find(|f| f.code == "RG201").ok_or("no finding")?;
//! assert_eq!(typo.severity, Severity::Warning);
//! assert_eq!((typo.location.line, typo.path.to_string().as_str()), (2, "Statement[0].Action"));
//! assert!(typo.help.contains("vpc:DeleteIpsecServer"));
//! Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod invisible;
mod rules;

use std::fmt;

use serde::Serialize;

use crate::language::error::{JsonPath, Location, ParseErrorKind};
use crate::language::policy::{Limits, Policy, PolicyKind};
use crate::operations::catalog::Catalog;

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
pub const RULES: &[Rule] = &[
    Rule {
        code: "RG001",
        name: "invalid-policy",
        severity: Severity::Error,
        summary: "RAM rejects the document",
        help: "RAM's policy grammar and limits reject this document; the message says what is wrong and where. \
               Fix it before anything else: RAM will not save the policy.",
    },
    Rule {
        code: "RG101",
        name: "allow-all",
        severity: Severity::SecurityWarning,
        summary: "an Allow grants every action on every resource",
        help: "`\"Action\": \"*\"` on `\"Resource\": \"*\"` makes the holder an administrator of the account. \
               List the actions and resources the holder needs instead; if full access is really meant, attach \
               the AdministratorAccess system policy so that the intent is visible.",
    },
    Rule {
        code: "RG102",
        name: "allow-not-action",
        severity: Severity::SecurityWarning,
        summary: "an Allow uses NotAction, granting every action but the listed ones",
        help: "`Allow` with `NotAction` grants every action of every service except the listed ones, including \
               actions that do not exist yet. List the allowed actions in `Action` instead, or use `NotAction` \
               only in a `Deny`.",
    },
    Rule {
        code: "RG103",
        name: "deny-never-matches",
        severity: Severity::SecurityWarning,
        summary: "a Deny statement can never apply to a real request",
        help: "The author of a `Deny` believes it protects something, but this one can never match: its actions \
               are misspelt, its resources fit none of its actions' resource types, or one of its conditions can \
               never hold for its actions. Fix the part the message names so that the `Deny` protects what it \
               was meant to.",
    },
    Rule {
        code: "RG104",
        name: "allow-privilege-escalation",
        severity: Severity::SecurityWarning,
        summary: "an Allow on every resource grants RAM actions that let the holder widen their own rights",
        help: "Attaching policies, writing policy versions, passing roles, creating access keys, changing login \
               profiles, joining groups and changing role trust on `*` let the holder grant themselves anything. \
               Limit the `Resource` to the users, roles, groups and policies the holder must manage, or grant \
               read-only RAM actions.",
    },
    Rule {
        code: "RG201",
        name: "unknown-action",
        severity: Severity::Warning,
        summary: "an action that the catalog does not know is a near miss of one it knows",
        help: "RAM accepts any action name, so a misspelt action silently grants or denies nothing. Use the \
               spelling the message suggests. Actions the catalog does not cover are not reported unless they \
               are within two edits of one it does.",
    },
    Rule {
        code: "RG202",
        name: "action-matches-nothing",
        severity: Severity::Warning,
        summary: "a wildcard action pattern of a catalog service matches no catalog action but nearly matches one",
        help: "The pattern names a service the catalog knows and matches none of its actions, although a catalog \
               action is within two edits of it: it is probably misspelt. Fix the spelling. Patterns that match \
               nothing in the catalog and are not near any catalog action are not reported, because the catalog \
               does not list every action of a service.",
    },
    Rule {
        code: "RG203",
        name: "resource-type-mismatch",
        severity: Severity::Warning,
        summary: "a resource pattern matches no resource type of the statement's actions",
        help: "Each action is authorized against the ARNs of its own resource types; a pattern that can match none \
               of them makes the statement useless for that resource. Write the ARN of the resource type the \
               action uses (the help names its template), or split the statement by resource type.",
    },
    Rule {
        code: "RG204",
        name: "unsupported-condition-key",
        severity: Severity::Warning,
        summary: "a condition key that is neither global nor set by any of the statement's actions",
        help: "A key that no action of the statement sets is always absent: a positive operator on it is never \
               true, a negated one always true. Use a key the actions set (the message lists them) or a global \
               `acs:` key.",
    },
    Rule {
        code: "RG205",
        name: "condition-value-type",
        severity: Severity::Warning,
        summary: "a condition operator of the wrong type for its key, or a value the key never takes",
        help: "Compare each key with operators of its type (`IpAddress` for `acs:SourceIp`, `Date...` for \
               `acs:CurrentTime`, `Bool` for boolean keys), and use values the key can take; string comparisons \
               are case-sensitive unless the operator ends in `IgnoreCase`.",
    },
    Rule {
        code: "RG206",
        name: "shadowed-statement",
        severity: Severity::Warning,
        summary: "another statement of the same effect already covers everything this one does",
        help: "Another statement of the same effect covers all of this statement's actions and resources with \
               conditions that are a subset of this one's, so this statement changes nothing. Remove it, or \
               narrow the other statement if this one was meant to be the only grant or denial.",
    },
    Rule {
        code: "RG207",
        name: "duplicate-statement",
        severity: Severity::Warning,
        summary: "a statement repeats an earlier one",
        help: "The statement has the same effect, actions, resources, principal and conditions as an earlier one \
               (order within lists and `Sid` aside). Remove one of them.",
    },
    Rule {
        code: "RG208",
        name: "non-string-value",
        severity: Severity::Warning,
        summary: "a number or boolean written where RAM expects a string",
        help: "RAM reads condition values as strings. Write numbers and booleans in quotes (`\"10\"`, `\"true\"`) \
               so that the policy means the same everywhere it is read.",
    },
    Rule {
        code: "RG209",
        name: "near-size-limit",
        severity: Severity::Warning,
        summary: "the document uses 90 % or more of its kind's size limit",
        help: "RAM rejects documents over the size limit of their kind (6,144 characters for a custom policy, \
               2,048 for a session policy, 4,096 for a control policy; whitespace counts). Remove whitespace, \
               merge statements or split the policy before the next change pushes it over.",
    },
    Rule {
        code: "RG210",
        name: "invisible-character",
        severity: Severity::Warning,
        summary: "an action, resource or condition key with whitespace at an end, an invisible character or a lookalike letter",
        help: "RAM compares names character by character: `\"acs:SourceIp \"` with a trailing space, a name with a \
               zero-width space in it, or `vpc:DeleteVpnConnеction` with a Cyrillic `е` is another name than the one \
               it shows, so a condition on it never sees a value and an action or resource matches nothing real. \
               Retype the name, or take the spelling the help suggests.",
    },
    Rule {
        code: "RG211",
        name: "missing-set-qualifier",
        severity: Severity::Warning,
        summary: "an operator without `ForAnyValue:` or `ForAllValues:` on a key that can carry several values",
        help: "When a request carries several values of a key (one per item of a list parameter), an operator \
               without a set qualifier leaves open which of them must match. ramguard reads a positive operator \
               as `ForAnyValue:` (any value matches) and a negated one as `ForAllValues:` (no value matches), \
               which in an `Allow` lets a listed value carry unlisted ones through and in a `Deny` lets an unlisted \
               value escape beside a listed one. Write the qualifier the help names.",
    },
    Rule {
        code: "RG301",
        name: "redundant-action",
        severity: Severity::Suggestion,
        summary: "an action already covered by another pattern of the same list",
        help: "The action or pattern is repeated, or matched by a wider pattern of the same list; removing it \
               changes nothing.",
    },
    Rule {
        code: "RG302",
        name: "redundant-resource",
        severity: Severity::Suggestion,
        summary: "a resource already covered by another pattern of the same list",
        help: "The resource or pattern is repeated, or matched by a wider pattern of the same list; removing it \
               changes nothing.",
    },
    Rule {
        code: "RG303",
        name: "action-case",
        severity: Severity::Suggestion,
        summary: "a catalog action written in another case than its own",
        help: "RAM compares actions case-insensitively, so this works, but the canonical spelling is easier to \
               read and to search for.",
    },
];

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

pub use rules::PAIRWISE_STEPS;

/// Rules that a work budget kept from checking one document fully: they
/// reported what they found, but may have missed findings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unchecked {
    /// The rules' codes (`RG206`), in code order.
    pub rules: Vec<&'static str>,
    /// Why, as a sentence.
    pub reason: String,
}

impl Unchecked {
    /// Whether a rule of class `threshold` or a more serious one is among
    /// them, so that a pass at that threshold is not proved.
    pub fn reaches(&self, threshold: Severity) -> bool {
        self.rules.iter().any(|code| rule(code).is_some_and(|r| r.severity <= threshold))
    }
}

impl fmt::Display for Unchecked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not fully checked: {} ({})", self.rules.join(", "), self.reason)
    }
}

/// The lint of one document: its findings and the rules a budget left
/// not fully checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Linted {
    /// The findings, in document order (line, then column), then by code.
    pub findings: Vec<Finding>,
    /// The rules not fully checked, when a budget ran out.
    pub unchecked: Option<Unchecked>,
}

/// Lints one document. `file` names it in the findings; findings come in
/// document order (line, then column), then by code.
///
/// This is [`lint_document`] without [`Linted::unchecked`]: a program that
/// must know whether the pairwise rules were fully checked (a document
/// whose patterns cost more than [`PAIRWISE_STEPS`] to compare) calls
/// [`lint_document`].
pub fn lint(file: &str, text: &str, options: &LintOptions<'_>) -> Vec<Finding> {
    lint_document(file, text, options).findings
}

/// Lints one document: its findings, and the rules that a budget kept from
/// checking it fully.
pub fn lint_document(file: &str, text: &str, options: &LintOptions<'_>) -> Linted {
    let text = crate::language::policy::without_bom(text);
    let kind = options.kind.unwrap_or_else(|| crate::language::policy::detect_kind(text));
    let mut findings = Vec::new();
    let mut unchecked = None;
    match Policy::parse_with_limits(file, text, kind, options.limits) {
        Err(errors) => {
            let Some(rule) = rule("RG001") else { return Linted { findings, unchecked } };
            for e in errors.errors() {
                findings.push(Finding {
                    code: rule.code,
                    rule: rule.name,
                    severity: rule.severity,
                    file: file.to_owned(),
                    path: e.path().clone(),
                    location: e.location(),
                    message: e.kind().to_string(),
                    help: match e.kind() {
                        ParseErrorKind::InvalidAction { found } => {
                            invisible::invalid_action_help(found, options.catalog)
                        }
                        _ => None,
                    }
                    .or_else(|| e.help().map(str::to_owned))
                    .unwrap_or_else(|| rule.help.to_owned()),
                });
            }
        }
        Ok(policy) => (findings, unchecked) = rules::check(file, text, &policy, options),
    }
    findings.sort_by(|a, b| a.location.cmp(&b.location).then(a.code.cmp(b.code)));
    Linted { findings, unchecked }
}
