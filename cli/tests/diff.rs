//! `ramguard diff`: does a new policy set allow any request the old one
//! denies? Every expected answer here was worked out by hand from the
//! fixtures under `tests/diff/`, and every counterexample the diff reports
//! is evaluated again here on both sets with the reference evaluator.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests unwrap and index what they just built"
)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use ramguard::diff::{
    Counterexample, DiffOptions, DiffReport, MatchKind, StringPattern, Universe, diff, not_granted,
    representative_strings,
};
use ramguard::{Outcome, Policy, PolicyKind, PolicySet, Principal, Request};

fn fixture(path: &str) -> PathBuf {
    common::repo().join("tests/diff").join(path)
}

fn policy(path: &Path, kind: PolicyKind) -> Policy {
    let text = std::fs::read_to_string(path).unwrap();
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    Policy::parse(&name, &text, kind).unwrap()
}

fn set(path: &str) -> PolicySet {
    PolicySet::new().with(policy(&fixture(path), PolicyKind::Identity))
}

/// The diff of two fixtures, with every counterexample checked on both sets.
fn run(old: &str, new: &str) -> DiffReport {
    let (old, new) = (set(old), set(new));
    let report = diff(&old, &new, &DiffOptions::default()).unwrap();
    check_all(&report, &old, Some(&new));
    report
}

/// Every counterexample is allowed by `new` and denied by `old`, as the
/// reference evaluator decides.
fn check_all(report: &DiffReport, old: &PolicySet, new: Option<&PolicySet>) {
    let principal: Principal = report.principal.parse().unwrap();
    for c in &report.counterexamples {
        let request = c.request(&principal);
        match new {
            Some(new) => {
                assert_eq!(new.authorize(&request).outcome, Outcome::Allow, "{c:?}");
                assert_ne!(old.authorize(&request).outcome, Outcome::Allow, "{c:?}");
            }
            None => assert_eq!(old.authorize(&request).outcome, Outcome::Allow, "{c:?}"),
        }
    }
}

fn only(report: &DiffReport) -> &Counterexample {
    assert_eq!(report.counterexamples.len(), 1, "{:#?}", report.counterexamples);
    &report.counterexamples[0]
}

#[test]
fn identical_sets_grant_nothing_new() {
    for f in ["widen/new.json", "deny-ip/old.json", "date/old.json", "tighten/old.json", "reorder/old.json"] {
        let report = run(f, f);
        assert!(!report.found(), "{f}: {:#?}", report.counterexamples);
        assert!(report.exact && report.exhaustive, "{f}");
    }
}

#[test]
fn the_example_policies_against_themselves_grant_nothing_new() {
    let dir = common::repo().join("policies");
    let mut all = PolicySet::new();
    for (file, kind) in [
        ("network-ops-vpn.json", PolicyKind::Identity),
        ("deny-deletes-outside-office.json", PolicyKind::Identity),
        ("require-mfa-for-deletes.json", PolicyKind::Identity),
        ("ecr-revoke-vbr-only.json", PolicyKind::Identity),
        ("zstack-ipsec-operator.json", PolicyKind::Identity),
        ("change-window-control.json", PolicyKind::Control),
    ] {
        all.add(policy(&dir.join(file), kind));
    }
    let report = diff(&all, &all, &DiffOptions::default()).unwrap();
    assert!(!report.found(), "{:#?}", report.counterexamples);
    // Every action, resource and context was covered: pruning proves that
    // wherever the new set may allow, the old one allows too.
    assert!(report.exact && report.exhaustive && report.complete);
    assert!(report.actions_checked >= 16);
}

#[test]
fn reordering_and_splitting_statements_grant_nothing_new() {
    for (old, new) in [
        ("reorder/old.json", "reorder/new.json"),
        ("reorder/new.json", "reorder/old.json"),
        ("reorder/old.json", "reorder/split.json"),
        ("reorder/split.json", "reorder/old.json"),
    ] {
        let report = run(old, new);
        assert!(!report.found(), "{old} -> {new}: {:#?}", report.counterexamples);
    }
}

#[test]
fn a_split_that_drops_the_cross_product_is_narrower() {
    // `split-narrower.json` gives each delete only its own resource type; the
    // combined statement also lets `vpc:DeleteIpsecServer` act on VPN
    // connections (and the reverse), from the office range only.
    assert!(!run("reorder/old.json", "reorder/split-narrower.json").found());
    let report = run("reorder/split-narrower.json", "reorder/old.json");
    assert_eq!(report.counterexamples.len(), 2);
    for c in &report.counterexamples {
        let crossed = (c.action == "vpc:DeleteIpsecServer" && c.resource.contains(":vpnconnection/"))
            || (c.action == "vpc:DeleteVpnConnection" && c.resource.contains(":vpnipsecserver/"));
        assert!(crossed, "{c:?}");
        assert!(c.context["acs:SourceIp"][0].starts_with("203.0.113."), "{c:?}");
        assert_eq!(c.granted_by[0].sid.as_deref(), Some("Deletes"));
        assert_eq!(c.old.as_ref().unwrap().outcome, Outcome::ImplicitDeny);
    }
}

#[test]
fn a_widened_resource_is_new_access_outside_the_old_prefix() {
    let report = run("widen/old.json", "widen/new.json");
    let c = only(&report);
    assert_eq!(c.action, "vpc:DeleteIpsecServer");
    assert!(c.in_catalog);
    let id = c.resource.strip_prefix("acs:vpc:").unwrap();
    assert!(id.contains(":1234567890123456:vpnipsecserver/"), "{}", c.resource);
    assert!(!id.contains("vpnipsecserver/iss-prod"), "{}", c.resource);
    assert!(c.context.is_empty());
    let old = c.old.as_ref().unwrap();
    assert_eq!(old.outcome, Outcome::ImplicitDeny);
    assert!(old.denied_by.is_empty());
    assert_eq!((c.granted_by[0].policy.as_str(), c.granted_by[0].statement), ("new.json", 0));
    // Narrowing back is not new access.
    assert!(!run("widen/new.json", "widen/old.json").found());
}

#[test]
fn a_newly_granted_action_is_new_access() {
    let report = run("new-action/old/ops.json", "new-action/new/ops.json");
    let c = only(&report);
    assert_eq!(c.action, "vpc:DeleteIpsecServer");
    assert_eq!(c.granted_by[0].sid.as_deref(), Some("DeleteIpsecServers"));
    assert_eq!(c.granted_by[0].statement, 2);
    assert!(c.resource.starts_with("acs:vpc:cn-hangzhou:1234567890123456:vpnipsecserver/"));
}

#[test]
fn a_narrowed_deny_is_new_access_just_outside_the_new_range() {
    let report = run("deny-ip/old.json", "deny-ip/new.json");
    let c = only(&report);
    assert_eq!(c.action, "vpc:DeleteVpnConnection");
    // Just past the end of 10.0.0.0/16, still inside 10.0.0.0/8.
    assert_eq!(c.context["acs:SourceIp"], ["10.1.0.0"]);
    let old = c.old.as_ref().unwrap();
    assert_eq!(old.outcome, Outcome::ExplicitDeny);
    assert_eq!(old.denied_by[0].sid.as_deref(), Some("NotFromTheLab"));
    // Widening the Deny back is a tightening.
    assert!(!run("deny-ip/new.json", "deny-ip/old.json").found());
}

#[test]
fn a_removed_deny_is_new_access_inside_its_range() {
    let report = run("deny-ip/old.json", "deny-ip/removed.json");
    let c = only(&report);
    let ip: std::net::Ipv4Addr = c.context["acs:SourceIp"][0].parse().unwrap();
    assert_eq!(ip.octets()[0], 10, "{ip}");
    assert_eq!(c.old.as_ref().unwrap().outcome, Outcome::ExplicitDeny);
}

#[test]
fn a_moved_numeric_boundary_is_new_access_at_the_old_boundary() {
    // NumericLessThan 10 -> 12: 10 is the smallest value let in (10 < 12, not 10 < 10).
    let report = run("numeric/old.json", "numeric/new.json");
    let c = only(&report);
    assert_eq!(c.action, "vpc:UpdateIpsecServer");
    assert_eq!(c.context["vpc:MaxConnections"], ["10"]);
    assert!(!run("numeric/new.json", "numeric/old.json").found());
}

#[test]
fn a_date_moved_by_one_second_is_new_access_at_the_old_boundary() {
    let report = run("date/old.json", "date/new.json");
    let c = only(&report);
    assert_eq!(c.context["acs:CurrentTime"], ["2026-12-06T02:00:00+08:00"]);
    assert!(!run("date/new.json", "date/old.json").found());
}

#[test]
fn string_equals_loosened_to_string_like_lets_vpc_in() {
    let report = run("instance-type/old.json", "instance-type/new.json");
    let c = only(&report);
    assert_eq!(c.action, "expressconnectrouter:RevokeInstanceFromExpressConnectRouter");
    assert_eq!(c.context["InstanceType"], ["VPC"]);
    assert!(!run("instance-type/new.json", "instance-type/old.json").found());
}

#[test]
fn tightening_only_is_no_new_access() {
    let report = run("tighten/old.json", "tighten/new.json");
    assert!(!report.found(), "{:#?}", report.counterexamples);
    assert!(report.exhaustive);
    // The other way round, the three deletes are new (fewer conditions, no Deny
    // on 10.1.0.0/16 and beyond).
    let back = run("tighten/new.json", "tighten/old.json");
    let mut actions: Vec<&str> = back.counterexamples.iter().map(|c| c.action.as_str()).collect();
    actions.sort_unstable();
    assert_eq!(actions, ["vpc:DeleteIpsecServer", "vpc:DeleteTrafficMirrorSession", "vpc:DeleteVpnConnection"]);
}

#[test]
fn not_granted_both_ways() {
    let old = set("new-action/old/ops.json");
    let new = set("new-action/new/ops.json");
    let options = DiffOptions::default();
    let delete = ["vpc:DeleteIpsecServer".to_owned()];
    let r = not_granted(&new, None, &delete, &options).unwrap();
    check_all(&r, &new, None);
    assert_eq!(only(&r).action, "vpc:DeleteIpsecServer");
    assert!(only(&r).old.is_none());
    assert!(!not_granted(&old, None, &delete, &options).unwrap().found());
    // A pattern: the old set grants one delete, the VPN connection's.
    let r = not_granted(&old, None, &["VPC:Delete*".to_owned()], &options).unwrap();
    assert_eq!(only(&r).action, "vpc:DeleteVpnConnection");
    assert!(!not_granted(&new, Some(&old), &["ecs:*".to_owned()], &options).unwrap().found());
}

#[test]
fn actions_outside_the_catalog_are_checked_too() {
    let old = PolicySet::new();
    let new = PolicySet::new().with(
        Policy::parse(
            "n",
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:*","Resource":"*"}]}"#,
            PolicyKind::Identity,
        )
        .unwrap(),
    );
    let report = diff(&old, &new, &DiffOptions::default()).unwrap();
    check_all(&report, &old, Some(&new));
    let c = only(&report);
    assert!(c.action.starts_with("ecs:"), "{c:?}");
    assert!(!c.in_catalog);
}

#[test]
fn pruning_searches_context_spaces_beyond_the_budget() {
    // Five numeric keys with three or four boundaries each: at least 10 values
    // per key (absent, the boundaries, their neighbours), over 100,000
    // contexts, far over the 4,096 budget.
    let policy = |last: &str| {
        let keys: Vec<String> = (1..=5)
            .map(|i| {
                let top = if i == 5 { last } else { "30" };
                format!(r#""NumericLessThan":{{"vpc:K{i}":["10","20","{top}"]}}"#)
            })
            .collect();
        let conditions: Vec<String> = keys.iter().map(|k| format!("{{{k}}}")).collect();
        let statements: Vec<String> = conditions
            .iter()
            .map(|c| {
                format!(r#"{{"Effect":"Allow","Action":"vpc:DeleteVpnConnection","Resource":"*","Condition":{c}}}"#)
            })
            .collect();
        let text = format!(r#"{{"Version":"1","Statement":[{}]}}"#, statements.join(","));
        PolicySet::new().with(Policy::parse("p", &text, PolicyKind::Identity).unwrap())
    };
    let (old, new) = (policy("30"), policy("40"));
    let same = diff(&old, &old, &DiffOptions::default()).unwrap();
    assert!(!same.found());
    assert!(same.exhaustive, "pruning proves it without trying 100,000 contexts");
    let report = diff(&old, &new, &DiffOptions::default()).unwrap();
    check_all(&report, &old, Some(&new));
    assert!(report.exhaustive);
    // The fifth statement now allows K5 in [30, 40): 30 is the first such
    // value, with every other key absent (their statements do not apply).
    let c = only(&report);
    assert_eq!(c.context.len(), 1, "{c:?}");
    assert_eq!(c.context["vpc:K5"], ["30"]);
}

#[test]
fn the_principal_arn_follows_the_principal() {
    let by_arn = |pattern: &str| {
        let text = format!(
            r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"vpc:DeleteVpnConnection","Resource":"*",
                "Condition":{{"StringLike":{{"acs:PrincipalARN":"{pattern}"}}}}}}]}}"#
        );
        PolicySet::new().with(Policy::parse("p", &text, PolicyKind::Identity).unwrap())
    };
    let roles = by_arn("acs:ram::1234567890123456:role/*");
    let users = by_arn("acs:ram::1234567890123456:user/*");
    // The default principal is a user: moving the grant from roles to users is new access for it...
    let report = diff(&roles, &users, &DiffOptions::default()).unwrap();
    check_all(&report, &roles, Some(&users));
    let c = only(&report);
    assert!(c.context.is_empty(), "{c:?}");
    // ...and none for a role, whose ARN no longer matches. The key is never
    // set apart from the principal, so no request claims a role's ARN for a user.
    let role = DiffOptions {
        principal: Some("acs:ram::1234567890123456:role/ops".parse().unwrap()),
        ..DiffOptions::default()
    };
    assert!(!diff(&roles, &users, &role).unwrap().found());
    assert!(Universe::new(&[&roles], &[], &role).unwrap().key("acs:PrincipalArn").is_none());
}

#[test]
fn the_representatives_are_public() {
    let old = set("deny-ip/old.json");
    let new = set("deny-ip/new.json");
    let u = Universe::new(&[&old, &new], &[], &DiffOptions::default()).unwrap();
    assert_eq!(u.principal().to_string(), "acs:ram::1234567890123456:user/test-user");
    assert!(u.actions().iter().any(|a| a.action == "vpc:DeleteVpnConnection" && a.in_catalog));
    let ip = u.key("ACS:SOURCEIP").unwrap();
    assert_eq!(ip.choices[0], None);
    for want in ["10.1.0.0", "9.255.255.255", "11.0.0.0", "10.0.255.255"] {
        assert!(ip.choices.contains(&Some(vec![want.to_owned()])), "{want}");
    }
    let resources = u.resources("vpc:DeleteVpnConnection");
    assert!(resources.exact);
    assert!(resources.strings.contains(&"acs:vpc:cn-hangzhou:1234567890123456:vpnconnection/vco-xxx".to_owned()));
    // A resource outside `acs:vpc:*:1234567890123456:vpnconnection/*` is represented too.
    let p = StringPattern::new("acs:vpc:*:1234567890123456:vpnconnection/*", MatchKind::Glob);
    assert!(resources.strings.iter().any(|r| !p.matches(r)));
    let r = representative_strings(std::slice::from_ref(&p), &[], &[], 1000);
    assert_eq!(r.strings.len(), 2);
}

fn parse_set(docs: &[(&str, PolicyKind)]) -> PolicySet {
    let mut set = PolicySet::new();
    for (i, (text, kind)) in docs.iter().enumerate() {
        set.add(Policy::parse(&format!("p{i}"), text, *kind).unwrap());
    }
    set
}

/// The diff of `old` and `new` for `principal`, every counterexample checked.
fn diff_for(principal: &str, old: &PolicySet, new: &PolicySet) -> DiffReport {
    let options = DiffOptions { principal: Some(principal.parse().unwrap()), ..DiffOptions::default() };
    let report = diff(old, new, &options).unwrap();
    check_all(&report, old, Some(new));
    report
}

#[test]
fn new_access_is_found_on_the_principal_s_own_account() {
    // A grant on every account's VPC resources can only reach the
    // principal's own: the counterexample is one of its account's resources.
    let old = parse_set(&[]);
    let new = parse_set(&[(
        r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"vpc:DeleteVpnConnection","Resource":"acs:vpc:*:*:*"}]}"#,
        PolicyKind::Identity,
    )]);
    let report = diff_for("acs:ram::2222222222222222:user/carol", &old, &new);
    let c = only(&report);
    assert_eq!(c.action, "vpc:DeleteVpnConnection");
    assert_eq!(c.resource.split(':').nth(3), Some("2222222222222222"), "{c:?}");
    assert!(report.exact && report.exhaustive && report.complete);
}

#[test]
fn a_grant_on_another_account_alone_is_no_new_access_for_identity_policies() {
    // An identity policy that names only another account's resources (with
    // no wildcard that could reach the principal's own) grants nothing.
    let old = parse_set(&[]);
    let new = parse_set(&[(
        r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"vpc:DeleteVpnConnection",
            "Resource":"acs:vpc:cn-hangzhou:9999999999999999:vpnconnection/vco-1"}]}"#,
        PolicyKind::Identity,
    )]);
    let report = diff_for("acs:ram::2222222222222222:user/carol", &old, &new);
    assert!(!report.found(), "{:#?}", report.counterexamples);
    assert!(report.exact && report.exhaustive && report.complete);
    // The same grant is new access for a user of that account.
    let report = diff_for("acs:ram::9999999999999999:user/dave", &old, &new);
    assert_eq!(only(&report).resource, "acs:vpc:cn-hangzhou:9999999999999999:vpnconnection/vco-1");
}

#[test]
fn a_bucket_policy_for_another_account_is_new_access_across_the_boundary() {
    let old = parse_set(&[]);
    let new = parse_set(&[(
        r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:GetObject",
            "Resource":"acs:oss:*:1234567890123456:shared/*","Principal":["2222222222222222"]}]}"#,
        PolicyKind::Resource,
    )]);
    let report = diff_for("acs:ram::2222222222222222:user/carol", &old, &new);
    let c = only(&report);
    assert!(c.resource.starts_with("acs:oss:") && c.resource.contains(":1234567890123456:shared/"), "{c:?}");
}

#[test]
fn a_set_with_a_session_policy_is_asked_about_as_a_role_session() {
    let role = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"vpc:*","Resource":"*"}]}"#;
    let read_only = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"vpc:Describe*","Resource":"*"}]}"#;
    let old = parse_set(&[]);
    let new = parse_set(&[(role, PolicyKind::Identity), (read_only, PolicyKind::Session)]);
    let report = diff(&old, &new, &DiffOptions::default()).unwrap();
    assert!(report.principal.contains(":assumed-role/"), "{}", report.principal);
    assert!(report.notes.is_empty());
    check_all(&report, &old, Some(&new));
    assert!(report.found());
    assert!(report.counterexamples.iter().all(|c| c.action.to_ascii_lowercase().starts_with("vpc:describe")));
    // Asked about a RAM user, the session policy does not apply, and the
    // report says so.
    let report = diff_for("acs:ram::1234567890123456:user/u", &old, &new);
    assert!(report.counterexamples.iter().any(|c| c.action.eq_ignore_ascii_case("vpc:DeleteVpnConnection")));
    assert_eq!(report.notes.len(), 1);
    assert!(report.notes[0].contains("apply only to role sessions"), "{:?}", report.notes);
}

mod property {
    use super::*;
    use proptest::prelude::*;

    const ACTIONS: [&str; 5] = ["vpc:DeleteIpsecServer", "vpc:DeleteVpnConnection", "vpc:Delete*", "vpc:*", "*"];
    const RESOURCES: [&str; 5] = [
        "*",
        "acs:vpc:*:*:vpnipsecserver/*",
        "acs:vpc:cn-hangzhou:*:*",
        "acs:vpc:*:*:vpnipsecserver/iss-1*",
        "acs:vpc:cn-hangzhou:1234567890123456:vpnconnection/vco-1",
    ];
    const CONDITIONS: [&str; 9] = [
        "",
        r#","Condition":{"IpAddress":{"acs:SourceIp":"10.0.0.0/8"}}"#,
        r#","Condition":{"IpAddress":{"acs:SourceIp":"10.0.0.0/16"}}"#,
        r#","Condition":{"NotIpAddress":{"acs:SourceIp":"10.0.0.0/8"}}"#,
        r#","Condition":{"NumericLessThan":{"vpc:MaxConnections":"10"}}"#,
        r#","Condition":{"StringLike":{"InstanceType":"V*"}}"#,
        r#","Condition":{"StringEquals":{"InstanceType":"VBR"}}"#,
        r#","Condition":{"NumericLessThanEquals":{"vpc:MaxConnections":"10"},"StringEquals":{"InstanceType":"VPC"}}"#,
        r#","Condition":{"ForAllValues:StringEquals":{"InstanceType":["VBR","VPC"]}}"#,
    ];

    /// (deny, action indexes, resource indexes, condition index)
    type Stmt = (bool, Vec<usize>, Vec<usize>, usize);

    fn statement() -> impl Strategy<Value = Stmt> {
        (
            proptest::bool::weighted(0.3),
            proptest::collection::vec(0..ACTIONS.len(), 1..3),
            proptest::collection::vec(0..RESOURCES.len(), 1..3),
            0..CONDITIONS.len(),
        )
    }

    fn build(statements: &[Stmt]) -> PolicySet {
        let body: Vec<String> = statements
            .iter()
            .map(|(deny, a, r, c)| {
                let effect = if *deny { "Deny" } else { "Allow" };
                let actions: Vec<String> = a.iter().map(|i| format!("\"{}\"", ACTIONS[*i])).collect();
                let resources: Vec<String> = r.iter().map(|i| format!("\"{}\"", RESOURCES[*i])).collect();
                format!(
                    r#"{{"Effect":"{effect}","Action":[{}],"Resource":[{}]{}}}"#,
                    actions.join(","),
                    resources.join(","),
                    CONDITIONS[*c]
                )
            })
            .collect();
        let text = format!(r#"{{"Version":"1","Statement":[{}]}}"#, body.join(","));
        PolicySet::new().with(Policy::parse("p", &text, PolicyKind::Identity).unwrap())
    }

    const REQUEST_ACTIONS: [&str; 3] = ["vpc:DeleteIpsecServer", "vpc:DeleteVpnConnection", "vpc:CreateIpsecServer"];
    const REQUEST_RESOURCES: [&str; 5] = [
        "acs:vpc:cn-hangzhou:1234567890123456:vpnipsecserver/iss-1a",
        "acs:vpc:cn-shanghai:1:vpnipsecserver/iss-2",
        "acs:vpc:cn-hangzhou:1234567890123456:vpnconnection/vco-1",
        "acs:vpc:cn-hangzhou:1234567890123456:vpnconnection/vco-12",
        "*",
    ];
    const IPS: [Option<&str>; 4] = [None, Some("10.0.0.1"), Some("10.1.2.3"), Some("192.168.0.1")];
    const NUMBERS: [Option<&str>; 4] = [None, Some("5"), Some("10"), Some("10.5")];
    const TYPES: [&[&str]; 5] = [&[], &["VBR"], &["VPC"], &["CEN"], &["VBR", "CEN"]];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

        #[test]
        fn counterexamples_are_real_and_new_access_is_found(
            old in proptest::collection::vec(statement(), 1..4),
            new in proptest::collection::vec(statement(), 1..4),
            probes in proptest::collection::vec((0..3usize, 0..5usize, 0..4usize, 0..4usize, 0..5usize), 12),
        ) {
            let (old, new) = (build(&old), build(&new));
            let report = diff(&old, &new, &DiffOptions::default()).unwrap();
            prop_assert!(report.exact && report.exhaustive);
            // Soundness: each counterexample is allowed by NEW and denied by OLD.
            let principal: Principal = report.principal.parse().unwrap();
            for c in &report.counterexamples {
                let request = c.request(&principal);
                prop_assert_eq!(new.authorize(&request).outcome, Outcome::Allow);
                prop_assert!(old.authorize(&request).outcome != Outcome::Allow);
            }
            // Completeness on the pool: new access on a probe is reported for its action.
            for (a, r, ip, n, t) in probes {
                let mut request = Request::new(principal.clone(), REQUEST_ACTIONS[a], REQUEST_RESOURCES[r]);
                for (key, value) in [("acs:SourceIp", IPS[ip]), ("vpc:MaxConnections", NUMBERS[n])] {
                    if let Some(v) = value {
                        request = request.with_context_value(key, v);
                    }
                }
                for v in TYPES[t] {
                    request = request.with_context_value("InstanceType", v);
                }
                if new.authorize(&request).outcome == Outcome::Allow && old.authorize(&request).outcome != Outcome::Allow {
                    prop_assert!(
                        report.counterexamples.iter().any(|c| c.action.eq_ignore_ascii_case(REQUEST_ACTIONS[a])),
                        "missed {:?}", request
                    );
                }
            }
        }
    }
}

/// The grant `oss:Pu?BucketPolicy` on `*`, and denials of
/// `oss:Pu<c>BucketPolicy` for every character the representative search
/// once filled wildcards with: `oss:Pu-BucketPolicy` is still granted.
fn filler_starved() -> PolicySet {
    let fillers: String = "xzqjkvwyXZQJKVWY0123456789gbmhfupldnocrtseaiGBMHFUPLDNOCRTSEAI_~^"
        .chars()
        .chain('\u{a1}'..='\u{24f}')
        .chain(['\u{2603}'])
        .collect();
    let denied: Vec<String> = fillers.chars().map(|c| format!("\"oss:Pu{c}BucketPolicy\"")).collect();
    let text = format!(
        r#"{{"Version": "1", "Statement": [{{"Effect": "Allow", "Action": "oss:Pu?BucketPolicy", "Resource": "*"}},
            {{"Effect": "Deny", "Action": [{}], "Resource": "*"}}]}}"#,
        denied.join(",")
    );
    let policy = Policy::parse_with_limits("oss.json", &text, PolicyKind::Identity, &ramguard::Limits::unlimited());
    PolicySet::new().with(policy.unwrap())
}

#[test]
fn denials_of_every_filler_character_do_not_hide_a_grant() {
    let (old, new) = (PolicySet::new(), filler_starved());
    let report = diff(&old, &new, &DiffOptions::default()).unwrap();
    check_all(&report, &old, Some(&new));
    // Either the grant is found, or the report admits it is no proof.
    assert!(report.found() || !(report.exact && report.exhaustive && report.complete), "{report:#?}");
    assert!(report.found(), "{report:#?}");
    assert!(report.counterexamples.iter().all(|c| c.action.starts_with("oss:Pu")), "{report:#?}");
}

#[test]
fn a_search_cut_short_says_which_budget_and_what_to_do() {
    use ramguard::diff::Shortfall;
    let (old, new) = (set("widen/old.json"), set("widen/new.json"));
    let report = diff(&old, &new, &DiffOptions { max_requests: 0, ..DiffOptions::default() }).unwrap();
    assert!(!report.found() && !report.complete && !report.conclusive(), "{report:#?}");
    assert_eq!(report.shortfalls, [Shortfall::Requests]);
    assert!(Shortfall::Requests.advice().contains("raise --max-requests"));
    // Too few automaton states for the adversarial set's action patterns.
    let report =
        diff(&PolicySet::new(), &filler_starved(), &DiffOptions { max_states: 50, ..DiffOptions::default() }).unwrap();
    assert!(!report.exact && report.shortfalls.contains(&Shortfall::States), "{report:#?}");
    assert!(Shortfall::States.advice().contains("raise --max-states"));
    let full = run("widen/old.json", "widen/new.json");
    assert!(full.conclusive() && full.shortfalls.is_empty(), "{full:#?}");
}

mod cli {
    use super::*;

    fn ramguard(args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_ramguard"))
            .args(args)
            .current_dir(crate::common::repo().join("tests/diff"))
            .output()
            .unwrap()
    }

    fn stdout(o: &Output) -> String {
        String::from_utf8(o.stdout.clone()).unwrap()
    }

    fn json(o: &Output) -> serde_json::Value {
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(o)))
    }

    #[test]
    fn a_search_cut_short_exits_3_unless_accepted() {
        let o = ramguard(&["diff", "--max-requests", "0", "widen/old.json", "widen/new.json"]);
        assert_eq!(o.status.code(), Some(3), "{}", stdout(&o));
        assert!(stdout(&o).contains("no new access found, but the search was cut short"), "{}", stdout(&o));
        assert!(stdout(&o).contains("cut short: the request budget ran out"), "{}", stdout(&o));
        assert!(stdout(&o).contains("UNDECIDED"), "{}", stdout(&o));
        let o = ramguard(&["diff", "--format", "json", "--max-requests", "0", "widen/old.json", "widen/new.json"]);
        assert_eq!(o.status.code(), Some(3), "{}", stdout(&o));
        let v = json(&o);
        assert_eq!((&v["result"], &v["inexact_accepted"]), (&"undecided".into(), &false.into()), "{v}");
        assert_eq!(v["new_access"]["shortfalls"], serde_json::json!(["requests"]), "{v}");
        let o = ramguard(&["diff", "--accept-inexact", "--max-requests", "0", "widen/old.json", "widen/new.json"]);
        assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
        assert!(stdout(&o).contains("accepted an inexact answer (--accept-inexact)"), "{}", stdout(&o));
        // Found new access is proof whatever the budgets: exit 2.
        let o = ramguard(&["diff", "--max-states", "1", "widen/old.json", "widen/new.json"]);
        assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
        let help = ramguard(&["diff", "--help"]);
        assert!(
            stdout(&help).contains("3 when nothing was found but a budget cut the search short"),
            "{}",
            stdout(&help)
        );
    }

    #[test]
    fn exit_codes() {
        let same = ramguard(&["diff", "widen/old.json", "widen/old.json"]);
        assert_eq!(same.status.code(), Some(0), "{}", stdout(&same));
        assert!(stdout(&same).contains("no new access"));
        let wider = ramguard(&["diff", "widen/old.json", "widen/new.json"]);
        assert_eq!(wider.status.code(), Some(2));
        assert!(stdout(&wider).contains("NEW ACCESS"));
        assert!(stdout(&wider).contains("vpc:DeleteIpsecServer on acs:vpc:"));
        let missing = ramguard(&["diff", "widen/old.json", "no-such.json"]);
        assert_eq!(missing.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&missing.stderr).contains("no-such.json: cannot read"));
        let alone = ramguard(&["diff", "widen/old.json"]);
        assert_eq!(alone.status.code(), Some(1));
    }

    #[test]
    fn a_broken_policy_is_an_error_with_its_place() {
        let dir = std::env::temp_dir().join(format!("ramguard-diff-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let bad = dir.join("bad.json");
        std::fs::write(&bad, r#"{"Version": "1", "Statement": [{"Effect": "Alow", "Action": "*", "Resource": "*"}]}"#)
            .unwrap();
        let o = ramguard(&["diff", "widen/old.json", bad.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(1));
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert!(err.contains("bad.json:1:43:") && err.contains("Statement[0].Effect"), "{err}");
    }

    #[test]
    fn directories_as_in_ci() {
        let o = ramguard(&["diff", "new-action/old", "new-action/new", "--format", "json"]);
        assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
        let v = json(&o);
        assert_eq!(v["result"], "fail");
        assert_eq!(v["new"]["files"], serde_json::json!([{"name": "ops.json", "kind": "identity"}]));
        assert_eq!(v["new"]["skipped"], serde_json::json!(["notes.json"]));
        let found = &v["new_access"]["counterexamples"];
        assert_eq!(found.as_array().unwrap().len(), 1);
        let c = &found[0];
        assert_eq!(c["action"], "vpc:DeleteIpsecServer");
        assert_eq!(c["in_catalog"], true);
        assert!(c["resource"].as_str().unwrap().starts_with("acs:vpc:cn-hangzhou:1234567890123456:vpnipsecserver/"));
        assert_eq!(c["context"], serde_json::json!({}));
        assert_eq!(
            c["granted_by"][0],
            serde_json::json!({"policy": "ops.json", "kind": "identity", "statement": 2, "sid": "DeleteIpsecServers"})
        );
        assert_eq!(c["decided_by"], "identity");
        assert_eq!(c["old"], serde_json::json!({"outcome": "ImplicitDeny", "decided_by": "identity", "denied_by": []}));
        assert_eq!(v["new_access"]["principal"], "acs:ram::1234567890123456:user/test-user");
        assert_eq!(v["new_access"]["exact"], true);
        assert_eq!(v["new_access"]["exhaustive"], true);
        assert!(v["new_access"]["requests_checked"].as_u64().unwrap() > 0);
    }

    #[test]
    fn control_documents_are_chosen_by_path() {
        // As a control policy, `deny-ip/old.json` would have to Allow for
        // anything to pass; read as identity it grants the delete.
        let o = ramguard(&["diff", "widen/old.json", "deny-ip", "--format", "json"]);
        let v = json(&o);
        assert_eq!(v["new"]["files"].as_array().unwrap().len(), 3);
        let o = ramguard(&["diff", "deny-ip", "deny-ip", "--control", "removed.json", "--format", "json"]);
        assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
        let kinds = &json(&o)["new"]["files"];
        assert_eq!(
            kinds,
            &serde_json::json!([
                {"name": "new.json", "kind": "identity"},
                {"name": "old.json", "kind": "identity"},
                {"name": "removed.json", "kind": "control"}
            ])
        );

        // A glob also matches the file name alone, in a subdirectory too.
        let dir = std::env::temp_dir().join(format!("ramguard-diff-kinds-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("org")).unwrap();
        std::fs::write(
            dir.join("org/guardrails.json"),
            r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#,
        )
        .unwrap();
        let d = dir.to_str().unwrap();
        let o = ramguard(&["diff", d, d, "--control", "guardrails.json", "--format", "json"]);
        assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
        assert_eq!(json(&o)["new"]["files"], serde_json::json!([{"name": "org/guardrails.json", "kind": "control"}]));
    }

    #[test]
    fn an_empty_directory_is_an_empty_set() {
        let empty = std::env::temp_dir().join(format!("ramguard-diff-empty-{}", std::process::id()));
        std::fs::create_dir_all(&empty).unwrap();
        let e = empty.to_str().unwrap();
        let o = ramguard(&["diff", "new-action/new", e]);
        assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
        assert!(stdout(&o).contains("(0 policies)"));
        let o = ramguard(&["diff", e, "new-action/new", "--format", "json"]);
        assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
        // Everything the new set grants is new: its three statements, one action each.
        let found = json(&o)["new_access"]["counterexamples"].as_array().unwrap().len();
        assert_eq!(found, 3);
    }

    /// A copy of the example policies without the office-network Deny.
    fn examples_without_the_office_deny() -> PathBuf {
        let src = crate::common::repo().join("policies");
        let dir = std::env::temp_dir().join(format!("ramguard-diff-examples-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for entry in std::fs::read_dir(&src).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_file() && name.ends_with(".json") && name != "deny-deletes-outside-office.json" {
                std::fs::copy(&path, dir.join(&name)).unwrap();
            }
        }
        dir
    }

    #[test]
    fn the_example_policies_without_their_office_deny() {
        let new = examples_without_the_office_deny();
        let new = new.to_str().unwrap();
        let old = crate::common::repo().join("policies");
        let old = old.to_str().unwrap();
        let o = ramguard(&["diff", old, new, "--control", "change-window-control.json", "--format", "json"]);
        assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
        let v = json(&o);
        // The three VPC deletes of network-ops-vpn.json and the router revoke of
        // ecr-revoke-vbr-only.json, each denied before by the office Deny.
        let mut actions: Vec<String> = v["new_access"]["counterexamples"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                assert_eq!(c["old"]["outcome"], "ExplicitDeny");
                assert_eq!(c["old"]["denied_by"][0]["policy"], "deny-deletes-outside-office.json");
                c["action"].as_str().unwrap().to_owned()
            })
            .collect();
        actions.sort();
        assert_eq!(
            actions,
            [
                "expressconnectrouter:RevokeInstanceFromExpressConnectRouter",
                "vpc:DeleteIpsecServer",
                "vpc:DeleteTrafficMirrorSession",
                "vpc:DeleteVpnConnection"
            ]
        );
        // Read with its session policy, the set only describes and lists:
        // removing a Deny on deletes grants nothing.
        let o = ramguard(&["diff", old, new, "--control", "change-window-control.json", "--session", "session-*.json"]);
        assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    }

    #[test]
    fn a_user_catalog_adds_actions() {
        let dir = std::env::temp_dir().join(format!("ramguard-diff-catalog-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let catalog = dir.join("catalog.json");
        std::fs::write(
            &catalog,
            r#"{"operations": [{"action": "x:DeleteThing", "api": "DeleteThing", "product": "X", "version": "1",
                "style": "rpc", "access_level": "delete", "method": "POST", "path": "/",
                "parameters": [{"name": "ThingId", "type": "string", "required": true, "prefix": "th-"}],
                "resources": [{"type": "thing", "arn": "acs:x::{#accountId}:thing/{#ThingId}"}],
                "denial": {"status": 403, "code": "Forbidden", "message": "no"}}]}"#,
        )
        .unwrap();
        let grant = dir.join("grant.json");
        std::fs::write(
            &grant,
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"x:Delete*","Resource":"*"}]}"#,
        )
        .unwrap();
        let args = ["diff", "widen/old.json", grant.to_str().unwrap(), "--format", "json"];
        let mut with_catalog = args.to_vec();
        with_catalog.extend(["--catalog", catalog.to_str().unwrap()]);
        let v = json(&ramguard(&with_catalog));
        let c = &v["new_access"]["counterexamples"][0];
        assert_eq!(c["action"], "x:DeleteThing");
        assert_eq!(c["in_catalog"], true);
        assert_eq!(c["resource"], "acs:x::1234567890123456:thing/th-xxx");
        // Without it, an action built from the pattern stands for x:Delete*.
        let v = json(&ramguard(&args));
        let c = &v["new_access"]["counterexamples"][0];
        assert!(c["action"].as_str().unwrap().to_ascii_lowercase().starts_with("x:delete"), "{c}");
        assert_eq!(c["in_catalog"], false);
    }

    #[test]
    fn not_granted_on_the_command_line() {
        let o = ramguard(&["diff", "new-action/new", "--not-granted", "vpc:DeleteIpsecServer", "--format", "json"]);
        assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
        let v = json(&o);
        assert_eq!(v["not_granted"]["counterexamples"][0]["action"], "vpc:DeleteIpsecServer");
        assert_eq!(v["not_granted"]["counterexamples"][0]["old"], serde_json::Value::Null);
        assert_eq!(v["not_granted"]["actions"], serde_json::json!(["vpc:DeleteIpsecServer"]));
        let o = ramguard(&["diff", "new-action/old", "--not-granted", "vpc:DeleteIpsecServer", "ecs:*"]);
        assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
        assert!(stdout(&o).contains("not granted: vpc:DeleteIpsecServer, ecs:*"));
        // Both checks at once: no new access, but the action is granted.
        let o = ramguard(&["diff", "widen/new.json", "widen/new.json", "--not-granted", "vpc:Delete*"]);
        assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
        assert!(stdout(&o).contains("no new access") && stdout(&o).contains("GRANTED"));
    }

    #[test]
    fn one_side_from_standard_input() {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ramguard"))
            .args(["diff", "-", "numeric/new.json", "--principal", "acs:ram::1234567890123456:role/ops"])
            .current_dir(fixture(""))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        {
            use std::io::Write as _;
            let text = std::fs::read(fixture("numeric/old.json")).unwrap();
            child.stdin.take().unwrap().write_all(&text).unwrap();
        }
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
        let out = stdout(&o);
        assert!(out.contains("principal: acs:ram::1234567890123456:role/ops"), "{out}");
        assert!(out.contains("vpc:MaxConnections = 10"), "{out}");
    }
}

#[test]
fn an_ipv4_mapped_address_is_tried_where_it_can_differ_from_ipv4() {
    // The old policy keeps IPv6 callers out, IPv4-mapped ones included; the
    // new one lets a mapped address of the IPv4 block in.
    let read = |conditions: &str| {
        let text = format!(
            r#"{{"Version": "1", "Statement": [{{"Effect": "Allow", "Action": "vpc:DeleteVpnConnection", "Resource": "*", "Condition": {conditions}}}]}}"#
        );
        PolicySet::new().with(Policy::parse("p", &text, PolicyKind::Identity).unwrap())
    };
    let old = read(r#"{"IpAddress": {"acs:SourceIp": "1.2.3.0/24"}, "NotIpAddress": {"acs:SourceIp": "::/0"}}"#);
    let new = read(r#"{"IpAddress": {"acs:SourceIp": "1.2.3.0/24"}}"#);
    let report = diff(&old, &new, &DiffOptions::default()).unwrap();
    check_all(&report, &old, Some(&new));
    let c = only(&report);
    assert!(c.context["acs:SourceIp"][0].starts_with("::ffff:1.2.3."), "{c:?}");
    assert!(report.exact, "{report:?}");
    assert!(!diff(&new, &old, &DiffOptions::default()).unwrap().found());
}

#[test]
fn the_progress_function_is_told_each_action_of_the_search() {
    use std::sync::{Arc, Mutex};
    let told: Arc<Mutex<Vec<(usize, usize)>>> = Arc::default();
    let sink = Arc::clone(&told);
    let progress = ramguard::diff::Progress::new(move |done, total| sink.lock().unwrap().push((done, total)));
    let (old, new) = (set("widen/old.json"), set("widen/new.json"));
    let report = diff(&old, &new, &DiffOptions { progress: Some(progress), ..DiffOptions::default() }).unwrap();
    let told = told.lock().unwrap();
    assert!(report.actions_checked > 1, "{report:#?}");
    assert_eq!(told.len(), report.actions_checked);
    let total = told[0].1;
    assert!(told.iter().enumerate().all(|(i, &(done, t))| done == i && t == total), "{told:?}");
    assert!(total >= report.actions_checked);
}
