//! Golden decisions across policy kinds: every case in
//! `tests/cases/decisions/*.json` is decided by the reference evaluator
//! (`authorize` and `explain`) and by the compiled set, which must all agree
//! with the expected outcome, deciding kind, applicable statements, missing
//! keys and the `AccessDeniedDetail` of a denial. Every failing case is
//! reported by file and name before the test fails.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests unwrap and index what they just built"
)]

mod common;

use std::collections::BTreeMap;

use ramguard::{CompiledPolicySet, Context, Policy, PolicyKind, PolicySet, Principal, Request};
use serde::Deserialize;

const DEFAULT_PRINCIPAL: &str = "acs:ram::1234567890123456:user/alice";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    policies: BTreeMap<String, NamedPolicy>,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NamedPolicy {
    kind: String,
    document: serde_json::Value,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    principal: Option<String>,
    policies: Vec<String>,
    action: String,
    resource: OneOrMany,
    #[serde(default)]
    context: BTreeMap<String, OneOrMany>,
    expect: Expect,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    decision: String,
    decided_by: String,
    matched: Option<Vec<String>>,
    missing_context_keys: Option<Vec<String>>,
    policy_type: Option<String>,
    principal_type: Option<String>,
    display_name: Option<String>,
    /// The codes of the explanation's notes, in order; none when absent.
    #[serde(default)]
    notes: Vec<String>,
    /// The diagnostic message's `DenyReason`, checked when given.
    deny_reason: Option<String>,
}

fn kind(name: &str) -> PolicyKind {
    match name {
        "identity" => PolicyKind::Identity,
        "session" => PolicyKind::Session,
        "control" => PolicyKind::Control,
        "resource" => PolicyKind::Resource,
        other => panic!("unknown policy kind `{other}`"),
    }
}

/// The problems with one case, empty when it passes.
fn check(file: &CaseFile, case: Case) -> Vec<String> {
    let mut problems = Vec::new();
    let mut set = PolicySet::new();
    for name in &case.policies {
        let named = file.policies.get(name).unwrap_or_else(|| panic!("no policy `{name}`"));
        let text = serde_json::to_string(&named.document).unwrap();
        set.add(Policy::parse(name, &text, kind(&named.kind)).unwrap_or_else(|e| panic!("policy `{name}`: {e}")));
    }
    let principal: Principal = case.principal.as_deref().unwrap_or(DEFAULT_PRINCIPAL).parse().unwrap();
    let mut context = Context::new();
    for (k, v) in case.context {
        context.set(&k, v.into_vec());
    }
    let resources = case.resource.into_vec();
    let request =
        Request::new(principal, &case.action, &resources[0]).with_resources(resources.clone()).with_context(context);

    let fast = set.authorize(&request);
    let explanation = set.explain(&request);
    let compiled = CompiledPolicySet::compile(set).unwrap().authorize(&request);
    let e = &case.expect;
    for (engine, d) in [("authorize", fast), ("explain", explanation.to_decision()), ("compiled", compiled)] {
        if d.outcome.name() != e.decision || d.decided_by.name() != e.decided_by {
            problems.push(format!(
                "{engine}: expected {} by {}, got {} by {}",
                e.decision, e.decided_by, d.outcome, d.decided_by
            ));
        }
    }
    if let Some(matched) = &e.matched {
        let mut got: Vec<String> =
            explanation.matched.iter().map(|t| format!("{}#{}", t.policy, t.statement)).collect();
        got.sort();
        got.dedup();
        let mut want = matched.clone();
        want.sort();
        if got != want {
            problems.push(format!("matched: expected {want:?}, got {got:?}"));
        }
    }
    if let Some(missing) = &e.missing_context_keys
        && &explanation.missing_context_keys != missing
    {
        problems.push(format!("missing keys: expected {missing:?}, got {:?}", explanation.missing_context_keys));
    }
    let notes: Vec<&str> = explanation.notes.iter().map(|n| n.code.name()).collect();
    if notes != e.notes {
        problems.push(format!("notes: expected {:?}, got {notes:?}", e.notes));
    }
    if explanation.notes.iter().any(|n| n.message.is_empty()) {
        problems.push("a note without a message".to_owned());
    }
    match (&explanation.access_denied_detail, explanation.decision.is_allow()) {
        (Some(_), true) => problems.push("an Allow carries an AccessDeniedDetail".to_owned()),
        (None, false) => problems.push("a denial carries no AccessDeniedDetail".to_owned()),
        (None, true) => {}
        (Some(detail), false) => {
            if detail.no_permission_type != explanation.decision.name() {
                problems.push(format!("NoPermissionType {} for {}", detail.no_permission_type, explanation.decision));
            }
            if detail.auth_action != case.action {
                problems.push(format!("AuthAction {}", detail.auth_action));
            }
            let decoded = detail.decode_diagnostic_message().unwrap();
            if !resources.contains(&decoded.auth_resource) {
                problems.push(format!("AuthResource {} is not a requested resource", decoded.auth_resource));
            }
            if decoded.no_permission_type != detail.no_permission_type || decoded.policy_type != detail.policy_type {
                problems.push("the diagnostic message disagrees with the detail".to_owned());
            }
            if let Some(want) = &e.deny_reason
                && decoded.deny_reason.as_ref() != Some(want)
            {
                problems.push(format!("DenyReason: expected {want}, got {:?}", decoded.deny_reason));
            }
            for (field, want, got) in [
                ("PolicyType", &e.policy_type, &detail.policy_type),
                ("AuthPrincipalType", &e.principal_type, &detail.auth_principal_type),
                ("AuthPrincipalDisplayName", &e.display_name, &detail.auth_principal_display_name),
            ] {
                if let Some(want) = want
                    && want != got
                {
                    problems.push(format!("{field}: expected {want}, got {got}"));
                }
            }
        }
    }
    problems
}

#[test]
fn golden_decisions() {
    let mut failures = Vec::new();
    let mut total = 0;
    for (stem, mut file) in common::load_case_files::<CaseFile>("decisions") {
        let cases = std::mem::take(&mut file.cases);
        assert!(!cases.is_empty(), "{stem} has no cases");
        for case in cases {
            total += 1;
            let name = case.name.clone();
            for problem in check(&file, case) {
                failures.push(format!("{stem}/{name}: {problem}"));
            }
        }
    }
    assert!(total >= 80, "only {total} decision cases");
    assert!(failures.is_empty(), "{} problems:\n{}", failures.len(), failures.join("\n"));
}
