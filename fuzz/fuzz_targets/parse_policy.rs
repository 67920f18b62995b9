//! Policy documents of every kind, from arbitrary bytes.
//!
//! Reading never panics, in every kind and under `--kind auto`; every error
//! and every lint finding points inside the text; and a document that reads
//! is decided alike by the reference evaluator and the compiled set.

#![no_main]

use libfuzzer_sys::fuzz_target;
use ramguard::catalog::Catalog;
use ramguard::lint::{LintOptions, lint_document};
use ramguard::{CompiledPolicySet, Limits, Location, Policy, PolicyKind, PolicySet, Principal, Request, detect_kind};

const KINDS: [PolicyKind; 4] = [PolicyKind::Identity, PolicyKind::Resource, PolicyKind::Control, PolicyKind::Session];

/// Whether `at` is a place in `text` (one past the end of a line included).
fn inside(text: &str, at: Location) -> bool {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Some(line) = text.split('\n').nth(at.line.saturating_sub(1)) else { return false };
    at.line >= 1 && at.column >= 1 && at.column <= line.chars().count() + 1
}

const PRINCIPALS: [&str; 4] =
    ["acs:ram::1:user/alice", "acs:ram::1:assumed-role/ops/s", "acs:ram::1:root", "ecs.aliyuncs.com"];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let limits = Limits::default();
    let _ = detect_kind(text);
    let _ = Policy::parse_auto("fuzz", text, &limits);
    let mut parsed = Vec::new();
    for kind in KINDS {
        match Policy::parse_with_limits("fuzz", text, kind, &limits) {
            Ok(policy) => parsed.push(policy),
            Err(errors) => {
                assert!(!errors.errors().is_empty(), "an error without errors for {kind:?}");
                for e in errors.errors() {
                    assert!(
                        inside(text, e.location()),
                        "{kind:?}: {} at {} is outside the text",
                        e.kind(),
                        e.location()
                    );
                }
            }
        }
    }
    if let Ok(catalog) = Catalog::builtin() {
        let linted = lint_document("fuzz", text, &LintOptions { catalog, limits: &limits, kind: None });
        for f in &linted.findings {
            assert!(inside(text, f.location), "{} at {} is outside the text", f.code, f.location);
        }
    }
    // What reads is decided alike by both engines, on requests built from
    // its own actions and resources.
    for policy in parsed {
        let mut actions: Vec<String> = vec!["vpc:DeleteVpnConnection".to_owned()];
        let mut resources: Vec<String> = vec!["acs:vpc:cn-hangzhou:1:vpnconnection/vco-1".to_owned()];
        for s in policy.statements().iter().take(4) {
            let (ramguard::policy::ActionSpec::Action(p) | ramguard::policy::ActionSpec::NotAction(p)) = s.actions();
            actions.extend(p.iter().take(2).map(|p| p.as_str().replace(['*', '?'], "x")));
            if let Some(r) = s.resources() {
                resources.extend(r.iter().take(2).map(|p| p.as_str().replace(['*', '?'], "x")));
            }
        }
        let set = PolicySet::new().with(policy);
        let Ok(compiled) = CompiledPolicySet::compile(set.clone()) else { continue };
        for principal in PRINCIPALS {
            let Ok(principal) = principal.parse::<Principal>() else { continue };
            for action in &actions {
                for resource in &resources {
                    let request = Request::new(principal.clone(), action, resource);
                    let expected = set.authorize(&request);
                    assert_eq!(compiled.authorize(&request), expected, "{action} on {resource}");
                    assert_eq!(compiled.explain(&request).to_decision(), expected, "{action} on {resource}");
                }
            }
        }
    }
});
