//! The public surface is enough for each of ramguard's uses, through the
//! paths a user would write: the deciding core from the crate root, each
//! subsystem from its own module. Every import below is explicit, so an item
//! that moves or disappears breaks this file.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests unwrap and index what they just built")]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

use ramguard::catalog::{Caller, Catalog, Operation};
use ramguard::decision::{ConditionTrace, DiagnosticMessage, StatementTrace, decode_diagnostic_message};
use ramguard::guard::{ApiResponse, Backend, Guard, GuardOutcome};
use ramguard::policy::{ActionSpec, Arn, Effect, Operator, canonical_key};
use ramguard::{
    AccessDeniedDetail, CompiledPolicySet, Context, DecidedBy, Decision, Explanation, Limits, Location, Outcome,
    ParseError, ParseErrorKind, ParseErrors, Policy, PolicyKind, PolicySet, PolicySetBuilder, Principal, Request,
};

fn repo(path: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// A backend of the embedder's own: it counts the calls that reach it.
#[derive(Default)]
struct Counting {
    calls: Mutex<Vec<String>>,
}

impl Backend for Counting {
    fn now(&self) -> i64 {
        1_796_219_400
    }
    fn request_id(&self) -> String {
        format!("req-{}", self.calls.lock().unwrap().len())
    }
    async fn perform(&self, operation: &Operation, params: &BTreeMap<String, String>, request_id: &str) -> ApiResponse {
        let server = params.get("IpsecServerId").cloned().unwrap_or_default();
        self.calls.lock().unwrap().push(format!("{} {server}", operation.action));
        ApiResponse { status: 200, body: serde_json::json!({"RequestId": request_id}) }
    }
}

#[test]
fn embedding_decides_explains_and_guards_from_the_root_and_the_guard() {
    let policy = Policy::parse(
        "ops",
        r#"{"Version": "1", "Statement": [
            {"Sid": "Iss", "Effect": "Allow", "Action": "vpc:DeleteIpsecServer", "Resource": "*"},
            {"Effect": "Deny", "Action": "vpc:*", "Resource": "*", "Condition": {"Bool": {"acs:SecureTransport": "false"}}}]}"#,
        PolicyKind::Identity,
    )
    .unwrap();
    assert_eq!(policy.statements()[0].sid(), Some("Iss"));
    assert_eq!(policy.statements()[1].effect(), Effect::Deny);
    assert_eq!(policy.statements()[1].conditions()[0].operator(), Operator::Bool);
    assert!(matches!(policy.statements()[0].actions(), ActionSpec::Action(_)));

    let mut builder = PolicySetBuilder::new();
    builder.add(policy.clone());
    let compiled: CompiledPolicySet = builder.build().unwrap();
    let reference = PolicySet::new().with(policy);

    let alice: Principal = "acs:ram::1234567890123456:user/alice".parse().unwrap();
    let arn: Arn = "acs:vpc:cn-hangzhou:1234567890123456:vpnipsecserver/iss-1".parse().unwrap();
    assert_eq!(arn.resource_type(), "vpnipsecserver");
    let request = Request::new(alice.clone(), "vpc:DeleteIpsecServer", &arn.to_string())
        .with_context(Context::new().with("acs:SecureTransport", "false"));

    let decision: Decision = compiled.authorize(&request);
    assert_eq!(decision, reference.authorize(&request));
    assert_eq!((decision.outcome, decision.decided_by), (Outcome::ExplicitDeny, DecidedBy::Identity));

    let explanation: Explanation = compiled.explain(&request);
    let statement: &StatementTrace = &explanation.matched[1];
    assert_eq!(statement.effect, Effect::Deny);
    let condition: &ConditionTrace = &statement.conditions[0];
    assert_eq!(condition.request_values, ["false"]);
    let detail: &AccessDeniedDetail = explanation.access_denied_detail.as_ref().unwrap();
    let decoded: DiagnosticMessage = decode_diagnostic_message(&detail.encoded_diagnostic_message).unwrap();
    assert_eq!(decoded.explicit_deny_statements, ["ops#1"]);

    // The guard wraps the embedder's own operation: a denied call never
    // reaches it and is answered as the service answers; an allowed one is made.
    let guard = Guard::new(compiled, Catalog::builtin().unwrap().clone());
    let backend = Counting::default();
    let params: BTreeMap<String, String> = [("RegionId", "cn-hangzhou"), ("IpsecServerId", "iss-1")]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let mut caller = Caller::new(alice);
    caller.secure_transport = Some(false);
    let denied: GuardOutcome =
        pollster::block_on(guard.call(&backend, "vpc:DeleteIpsecServer", &params, &caller)).unwrap();
    assert!(!denied.performed && backend.calls.lock().unwrap().is_empty());
    assert_eq!((denied.response.status, denied.response.code()), (403, Some("Forbidden")));
    assert_eq!(denied.response.body["AccessDeniedDetail"]["NoPermissionType"], "ExplicitDeny");

    caller.secure_transport = Some(true);
    let allowed = pollster::block_on(guard.call(&backend, "vpc:DeleteIpsecServer", &params, &caller)).unwrap();
    assert!(allowed.performed && allowed.response.is_success());
    assert_eq!(*backend.calls.lock().unwrap(), ["vpc:DeleteIpsecServer iss-1"]);
}

#[test]
fn errors_are_reachable_and_located() {
    let errors: ParseErrors =
        Policy::parse("p", "{\"Version\": \"1\", \"Statement\": []}", PolicyKind::Identity).unwrap_err();
    let error: &ParseError = &errors.errors()[0];
    assert!(matches!(error.kind(), ParseErrorKind::Empty { .. }));
    assert_eq!(error.code(), "empty");
    assert_eq!(error.path().to_string(), "Statement");
    assert_eq!(error.location(), Location { line: 1, column: 31 });

    let lifted = Limits::unlimited();
    assert_eq!(lifted.for_kind(PolicyKind::Session), None);
    assert_eq!(Limits::default().for_kind(PolicyKind::Session), Some(2_048));
    assert!("nobody".parse::<Principal>().is_err());
    assert!("acs:vpc".parse::<Arn>().is_err());
    assert_eq!(canonical_key("InstanceType"), "expressconnectrouter:instancetype");
}

#[test]
fn ci_validates_lints_reports_runs_suites_and_refuses_new_access() {
    use ramguard::diff::{DiffOptions, diff};
    use ramguard::files::{READ_CAP, read_regular};
    use ramguard::lint::{LintOptions, Severity, lint};
    use ramguard::report::{FileReport, Report};
    use ramguard::suite::Suite;

    // Validate a file from disk, read bounded, with the kind it declares.
    let path = repo("policies/network-ops-vpn.json");
    let text = read_regular(&path, READ_CAP).unwrap();
    assert_eq!(ramguard::detect_kind(&text), PolicyKind::Identity);
    assert!(Policy::parse("network-ops-vpn.json", &text, PolicyKind::Identity).is_ok());

    let catalog = Catalog::builtin().unwrap();
    let old_text = r#"{"Version": "1", "Statement": [
        {"Effect": "Allow", "Action": "vpc:DeleteIpsecServer", "Resource": "acs:vpc:*:*:vpnipsecserver/iss-prod*"}]}"#;
    let new_text = r#"{"Version": "1", "Statement": [
        {"Effect": "Allow", "Action": "vpc:DeleteIpsecSever", "Resource": "*"},
        {"Effect": "Allow", "Action": "vpc:DeleteIpsecServer", "Resource": "acs:vpc:*:*:vpnipsecserver/*"}]}"#;

    // Lint: the misspelt action is a warning with a suggestion, located.
    let limits = Limits::default();
    let findings = lint("new.json", new_text, &LintOptions { catalog, limits: &limits, kind: None });
    let typo = findings.iter().find(|f| f.code == "RG201").unwrap();
    assert_eq!((typo.severity, typo.location.line), (Severity::Warning, 2));
    assert!(typo.help.contains("vpc:DeleteIpsecServer"), "{}", typo.help);
    let report = Report::new(vec![FileReport::new("new.json", Some(new_text.to_owned()), findings)]);
    assert!(report.fails(Severity::Warning) && !report.fails(Severity::Error));
    assert_eq!(report.sarif()["version"], "2.1.0");

    // A suite: the bundled one passes every case.
    let suite = Suite::load(&repo("policies/network-ops.suite.json")).unwrap();
    let results = suite.run();
    assert_eq!(
        results.failed,
        0,
        "{:?}",
        results.cases.iter().filter(|c| !c.passed).map(|c| &c.name).collect::<Vec<_>>()
    );
    assert_eq!(results.passed, suite.len());

    // Diff: the widened resource is new access outside `iss-prod*`.
    let set = |name: &str, text: &str| PolicySet::new().with(Policy::parse(name, text, PolicyKind::Identity).unwrap());
    let found = diff(&set("old.json", old_text), &set("new.json", new_text), &DiffOptions::default()).unwrap();
    let example = found.counterexamples.iter().find(|c| c.action == "vpc:DeleteIpsecServer").unwrap();
    assert!(example.resource.contains(":vpnipsecserver/"), "{}", example.resource);
    assert!(!example.resource.contains("iss-prod"), "{}", example.resource);
    assert!(found.complete);
}

#[test]
fn audit_answers_who_can_and_what_can_from_a_snapshot() {
    use ramguard::access::{AccessModel, WhatCanReport, WhoCanQuery, WhoCanReport};
    use ramguard::snapshot::Snapshot;

    let path = repo("tests/snapshots/account.json");
    let snapshot = Snapshot::from_json(&path, &std::fs::read_to_string(&path).unwrap()).unwrap();
    let model = AccessModel::new(&snapshot).unwrap();
    let catalog = Catalog::builtin().unwrap();
    let query =
        WhoCanQuery { action: "vpc:DeleteIpsecServer".to_owned(), resources: Vec::new(), context: Context::new() };
    let report: WhoCanReport = model.who_can(&query, catalog).unwrap();
    assert!(report.is_decided());
    let names: Vec<&str> = report.allowed.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["alice", "bob", "ops"]);
    assert_eq!(report.conditional.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["carol"]);
    let granted_by = &report.allowed[0].granted_by;
    assert!(!granted_by.is_empty() && granted_by.iter().all(|s| s.kind == PolicyKind::Identity));

    let alice = model.find("alice").unwrap();
    let what: WhatCanReport = model.what_can(alice, catalog, &Context::new()).unwrap();
    assert!(what.actions.iter().any(|a| a.action == "vpc:DeleteIpsecServer"));
}
