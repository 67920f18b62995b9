//! Everything a user needs is reachable from the crate root.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests unwrap and index what they just built")]

use ramguard::*;

#[test]
fn the_root_exports_are_enough_for_the_whole_flow() {
    let policy = Policy::parse(
        "ops",
        r#"{"Version": "1", "Statement": [
            {"Sid": "Vco", "Effect": "Allow", "Action": "vpc:DeleteVpnConnection", "Resource": "*"},
            {"Effect": "Deny", "Action": "vpc:*", "Resource": "*", "Condition": {"Bool": {"acs:SecureTransport": "false"}}}]}"#,
        PolicyKind::Identity,
    )
    .unwrap();
    assert_eq!(policy.statements()[0].sid(), Some("Vco"));
    assert_eq!(policy.statements()[1].conditions()[0].operator(), Operator::Bool);
    assert!(matches!(policy.statements()[0].actions(), ActionSpec::Action(_)));

    let mut builder = PolicySetBuilder::new();
    builder.add(policy.clone());
    let compiled: CompiledPolicySet = builder.build().unwrap();
    let reference = PolicySet::new().with(policy);

    let principal: Principal = "acs:ram::1234567890123456:user/alice".parse().unwrap();
    let arn: Arn = "acs:vpc:cn-hangzhou:1234567890123456:vpnconnection/vco-1".parse().unwrap();
    assert_eq!(arn.resource_type(), "vpnconnection");
    let request = Request::new(principal, "vpc:DeleteVpnConnection", &arn.to_string())
        .with_context(Context::new().with("acs:SecureTransport", "false"));

    let decision: Decision = compiled.authorize(&request);
    assert_eq!(decision, reference.authorize(&request));
    assert_eq!(decision.outcome, Outcome::ExplicitDeny);
    assert_eq!(decision.decided_by, DecidedBy::Identity);

    let explanation: Explanation = compiled.explain(&request);
    let statement: &StatementTrace = &explanation.matched[1];
    assert_eq!(statement.effect, Effect::Deny);
    let condition: &ConditionTrace = &statement.conditions[0];
    assert_eq!(condition.request_values, ["false"]);
    let detail: &AccessDeniedDetail = explanation.access_denied_detail.as_ref().unwrap();
    let decoded: DiagnosticMessage = decode_diagnostic_message(&detail.encoded_diagnostic_message).unwrap();
    assert_eq!(decoded.explicit_deny_statements, ["ops#1"]);
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
fn the_audit_modules_are_reachable_for_a_whole_review() {
    use ramguard::diff::{DiffOptions, diff};
    use ramguard::lint::{LintOptions, Severity, lint};
    use ramguard::report::{FileReport, Report};

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

    // Diff: the widened resource is new access outside `iss-prod*`.
    let set = |name: &str, text: &str| PolicySet::new().with(Policy::parse(name, text, PolicyKind::Identity).unwrap());
    let found = diff(&set("old.json", old_text), &set("new.json", new_text), &DiffOptions::default()).unwrap();
    let example = found.counterexamples.iter().find(|c| c.action == "vpc:DeleteIpsecServer").unwrap();
    assert!(example.resource.contains(":vpnipsecserver/"), "{}", example.resource);
    assert!(!example.resource.contains("iss-prod"), "{}", example.resource);
}

#[test]
fn snapshots_answer_who_can_from_the_crate_root() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/account.json");
    let snapshot = Snapshot::from_json(&path, &std::fs::read_to_string(&path).unwrap()).unwrap();
    let model = AccessModel::new(&snapshot).unwrap();
    let query =
        WhoCanQuery { action: "vpc:DeleteIpsecServer".to_owned(), resources: Vec::new(), context: Context::new() };
    let report: WhoCanReport = model.who_can(&query, Catalog::builtin().unwrap()).unwrap();
    let names: Vec<&str> = report.allowed.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["alice", "bob", "ops"]);
    assert_eq!(report.conditional.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["carol"]);
}
