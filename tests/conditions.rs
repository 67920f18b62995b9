//! Golden cases for condition operators, read from `tests/cases/conditions/`.
//!
//! Each file holds `{"cases": [...]}`. A case describes one condition and one
//! request context:
//!
//! ```json
//! {"name": "...", "operator": "ForAnyValue:StringLike", "key": "oss:Prefix",
//!  "values": ["a/*"], "context": {"oss:Prefix": ["a/b", "c"]},
//!  "effect": "Deny", "expected": true}
//! ```
//!
//! - `values` is written into the policy as is, character for character: a
//!   list, a single string, or bare JSON numbers and booleans (which must then
//!   raise a warning; `1.50` reaches the policy as `1.50`, not `1.5`).
//! - `context` maps keys to a string or a list of strings; a key left out is
//!   missing, and an empty list is a key without values.
//! - `effect` is `Allow` (the default) or `Deny`.
//! - `expected` says whether the statement applies: `Allow` for an Allow
//!   statement, `ExplicitDeny` for a Deny statement, `ImplicitDeny` otherwise.
//! - `malformed` (optional) is the request value the explanation must report
//!   as malformed; without it, no value may be reported as malformed.
//! - `missing_reported` (optional) says whether the explanation must list the
//!   policy's key among the missing context keys. A case without a context must
//!   always list it.
//!
//! Every case is checked against the reference evaluator (`authorize` and
//! `explain`) and the compiled policy set. All cases run; every failure is
//! reported by file and name before the test fails. `XFAIL` lists cases known
//! to fail; a listed case that passes is reported too, so the list stays honest.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test runner unwraps what it just built and panics to fail"
)]

mod common;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use ramguard::policy::Operator;
use ramguard::{Context, Outcome, Policy, PolicyKind, PolicySet, PolicySetBuilder, Principal, Request};
use serde::Deserialize;
use serde_json::value::RawValue;

/// Cases known to fail, as `"<file stem>/<case name>"`.
const XFAIL: &[&str] = &[];

const ACTION: &str = "vpc:DeleteVpnConnection";
const RESOURCE: &str = "acs:vpc:cn-hangzhou:1234567890123456:vpnconnection/vco-1";
const PRINCIPAL: &str = "acs:ram::1234567890123456:user/alice";

/// Files that are not named after an operator.
const CONCERN_FILES: [&str; 5] = ["ForAnyValue", "ForAllValues", "MissingKeys", "KeyNames", "FailClosed"];

/// The fewest cases an operator's file may hold.
const MIN_CASES_PER_OPERATOR: usize = 8;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    cases: Vec<Case>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
enum Effect {
    #[default]
    Allow,
    Deny,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ContextValue {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    operator: String,
    key: String,
    values: Box<RawValue>,
    #[serde(default)]
    context: BTreeMap<String, ContextValue>,
    #[serde(default)]
    effect: Effect,
    expected: bool,
    #[serde(default)]
    malformed: Option<String>,
    #[serde(default)]
    missing_reported: Option<bool>,
}

fn policy_text(case: &Case) -> String {
    let effect = match case.effect {
        Effect::Allow => "Allow",
        Effect::Deny => "Deny",
    };
    let quote = |s: &str| serde_json::to_string(s).expect("a string serializes");
    format!(
        r#"{{"Version":"1","Statement":[{{"Effect":"{effect}","Action":"{ACTION}","Resource":"*","Condition":{{{}:{{{}:{}}}}}}}]}}"#,
        quote(&case.operator),
        quote(&case.key),
        case.values.get()
    )
}

fn context(case: &Case) -> Context {
    let mut ctx = Context::new();
    for (key, value) in &case.context {
        match value {
            ContextValue::One(v) => {
                ctx.insert(key, v.as_str());
            }
            ContextValue::Many(vs) if vs.is_empty() => {
                ctx.set(key, Vec::new());
            }
            ContextValue::Many(vs) => {
                for v in vs {
                    ctx.insert(key, v.as_str());
                }
            }
        }
    }
    ctx
}

fn has_non_string_value(values: &RawValue) -> bool {
    let values: serde_json::Value = serde_json::from_str(values.get()).expect("case values are JSON");
    match &values {
        serde_json::Value::String(_) => false,
        serde_json::Value::Array(items) => items.iter().any(|v| !v.is_string()),
        _ => true,
    }
}

/// Runs one case; returns what went wrong, if anything.
fn run(case: &Case) -> Vec<String> {
    let mut problems = Vec::new();
    let text = policy_text(case);
    let policy = match Policy::parse("case", &text, PolicyKind::Identity) {
        Ok(p) => p,
        Err(e) => return vec![format!("the policy was rejected: {e}\n      policy: {text}")],
    };
    let warned = !policy.warnings().is_empty();
    if warned != has_non_string_value(&case.values) {
        problems.push(format!("warnings {:?} do not fit the values {}", policy.warnings(), case.values.get()));
    }

    let principal: Principal = PRINCIPAL.parse().expect("valid principal");
    let request = Request::new(principal, ACTION, RESOURCE).with_context(context(case));
    let applies = match case.effect {
        Effect::Allow => Outcome::Allow,
        Effect::Deny => Outcome::ExplicitDeny,
    };
    let expected = if case.expected { applies } else { Outcome::ImplicitDeny };

    let set = PolicySet::new().with(policy.clone());
    let reference = set.authorize(&request).outcome;
    let explanation = set.explain(&request);
    let mut builder = PolicySetBuilder::new();
    builder.add(policy);
    let compiled = builder.build().expect("the policy set compiles").authorize(&request).outcome;
    for (engine, outcome) in
        [("reference authorize", reference), ("reference explain", explanation.decision), ("compiled", compiled)]
    {
        if outcome != expected {
            problems.push(format!("{engine}: expected {expected:?}, got {outcome:?}"));
        }
    }

    match explanation.considered.as_slice() {
        [statement] => match statement.conditions.as_slice() {
            [condition] => {
                if condition.malformed_value != case.malformed {
                    problems.push(format!(
                        "malformed value: expected {:?}, explanation has {:?}",
                        case.malformed, condition.malformed_value
                    ));
                }
                if condition.result != case.expected {
                    problems.push(format!(
                        "condition trace: expected result {}, trace says {}",
                        case.expected, condition.result
                    ));
                }
            }
            other => problems.push(format!("expected one condition trace, got {}", other.len())),
        },
        other => problems.push(format!("expected one considered statement, got {}", other.len())),
    }

    let reported = explanation.missing_context_keys.iter().any(|k| k == &case.key);
    let must_report = case.missing_reported.or(case.context.is_empty().then_some(true));
    if let Some(must) = must_report
        && must != reported
    {
        problems.push(format!(
            "missing key `{}`: expected reported = {must}, missing_context_keys = {:?}",
            case.key, explanation.missing_context_keys
        ));
    }
    problems
}

fn bare_operator(operator: &str) -> &str {
    operator.strip_prefix("ForAnyValue:").or_else(|| operator.strip_prefix("ForAllValues:")).unwrap_or(operator)
}

#[test]
fn condition_cases() {
    let files: Vec<(String, CaseFile)> = common::load_case_files("conditions");
    let mut failures = String::new();
    let mut unexpected_passes = Vec::new();
    let mut total = 0;

    let stems: Vec<&str> = files.iter().map(|(stem, _)| stem.as_str()).collect();
    for op in Operator::ALL {
        if !stems.contains(&op.name()) {
            let _ = writeln!(failures, "no case file for operator {}", op.name());
        }
    }
    for concern in CONCERN_FILES {
        if !stems.contains(&concern) {
            let _ = writeln!(failures, "no case file {concern}.json");
        }
    }

    for (stem, file) in &files {
        let operator_file = Operator::from_name(stem).is_some();
        if !operator_file && !CONCERN_FILES.contains(&stem.as_str()) {
            let _ = writeln!(failures, "{stem}.json: not an operator and not a known concern");
        }
        if file.cases.is_empty() {
            let _ = writeln!(failures, "{stem}.json: holds no case");
        }
        if operator_file && file.cases.len() < MIN_CASES_PER_OPERATOR {
            let _ = writeln!(
                failures,
                "{stem}.json: {} cases, at least {MIN_CASES_PER_OPERATOR} expected",
                file.cases.len()
            );
        }
        let mut names = std::collections::BTreeSet::new();
        for case in &file.cases {
            total += 1;
            let id = format!("{stem}/{}", case.name);
            if !names.insert(case.name.as_str()) {
                let _ = writeln!(failures, "{id}: duplicate case name");
            }
            if operator_file && bare_operator(&case.operator) != stem {
                let _ = writeln!(failures, "{id}: operator {} does not belong in {stem}.json", case.operator);
            }
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
    for id in XFAIL {
        if !files.iter().any(|(stem, f)| f.cases.iter().any(|c| format!("{stem}/{}", c.name) == *id)) {
            let _ = writeln!(failures, "XFAIL names a case that does not exist: {id}");
        }
    }
    for id in &unexpected_passes {
        let _ = writeln!(failures, "{id}: listed in XFAIL but passes; remove it from the list");
    }
    assert!(failures.is_empty(), "condition cases failed ({total} cases in {} files):\n{failures}", files.len());
}
