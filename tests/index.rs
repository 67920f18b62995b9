//! The compiled set's resource index never drops a statement that applies.
//!
//! Statements that share an action are filed by what their resource
//! patterns fix; these tests fill such shared actions with enough statements
//! for the index to be used, then put the one statement that decides where an
//! index could lose it: wildcards in the service, region or account fields,
//! `*` crossing `:` and `/`, patterns that are not ARNs, case differences
//! (resources match case-sensitively), the request resource `*`, and Deny
//! statements. Each decision is also checked against the reference evaluator.
//! A property test does the same over generated sets that share actions.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "tests index small fixed tables and unwrap what they just built"
)]

use proptest::prelude::*;
use ramguard::{CompiledPolicySet, Outcome, Policy, PolicyKind, PolicySet, Principal, Request};
use serde_json::{Value, json};

const ACTION: &str = "vpc:DeleteVpnConnection";

/// Statements that grant `action` on resources the requests never name, so
/// that the action's statements are many and indexed.
fn filler(action: &str) -> Vec<Value> {
    (0..40)
        .map(|i| {
            json!({"Effect": "Allow", "Action": action,
                   "Resource": format!("acs:vpc:cn-shanghai:99{i}:vpnconnection/vco-filler{i}-*")})
        })
        .collect()
}

fn sets(statements: &[Value]) -> (PolicySet, CompiledPolicySet) {
    let mut set = PolicySet::new();
    for (i, chunk) in statements.chunks(7).enumerate() {
        let text = json!({"Version": "1", "Statement": chunk}).to_string();
        set.add(Policy::parse(&format!("p{i}"), &text, PolicyKind::Identity).unwrap());
    }
    let compiled = CompiledPolicySet::compile(set.clone()).unwrap();
    (set, compiled)
}

/// The outcome for `action` on `resource` with `subject` among many
/// statements sharing its actions, after checking both engines agree.
fn outcome_with(subject: Value, action: &str, resource: &str) -> Outcome {
    let mut statements = filler(ACTION);
    statements.extend(filler("vpc:Delete*"));
    statements.extend(filler("*:Delete*"));
    statements.insert(57, subject);
    let (set, compiled) = sets(&statements);
    let request = Request::new("acs:ram::1:user/alice".parse::<Principal>().unwrap(), action, resource);
    let expected = set.authorize(&request);
    assert_eq!(compiled.authorize(&request), expected, "{action} on {resource}");
    expected.outcome
}

fn allow(resource: &str) -> Value {
    json!({"Effect": "Allow", "Action": ACTION, "Resource": resource})
}

const VCO: &str = "acs:vpc:cn-hangzhou:1:vpnconnection/vco-1";

#[test]
fn wildcards_in_any_field_are_found() {
    for pattern in [
        "acs:*:cn-hangzhou:1:vpnconnection/vco-1",
        "acs:vpc:*:1:vpnconnection/vco-1",
        "acs:vpc:cn-*:1:vpnconnection/*",
        "acs:vpc:cn-hangzhou:*:vpnconnection/vco-1",
        "acs:vpc:cn-hangzhou:?:vpnconnection/vco-?",
        "acs:vpc:cn-hangzhou:1:*",
        "acs:vpc:cn-hangzhou:1:vpnconnection/vco-*",
        "acs:vpc:cn-hangzhou:1:vpnconnection/vco-1*",
        "acs:*:*cn-hangzhou*:*:*",
        "acs:vpc*",
        "acs*1",
        "*vco-1",
        "*",
        VCO,
    ] {
        assert_eq!(outcome_with(allow(pattern), ACTION, VCO), Outcome::Allow, "{pattern}");
    }
}

#[test]
fn segments_after_a_wildcard_are_found_where_the_wildcard_spans_separators() {
    // `*` crosses `:`, `/` and `-`, so the segments after it may sit at any
    // place in the resource, not only in the field they are written in. (The
    // account field stays the principal's, so that no request crosses the
    // account boundary.)
    for (pattern, resource) in [
        ("acs:vpc:*:1:vpnconnection/vco-1", "acs:vpc:cn-hangzhou:1:x:1:vpnconnection/vco-1"),
        ("acs:vpc:*:1:vpnconnection/vco-1", "acs:vpc:cn-hangzhou:1:3:1:vpnconnection/vco-1"),
        ("acs:vpc:*:vpnconnection/*", "acs:vpc:cn-hangzhou:1:vpnconnection/vco-1"),
        ("*:vpnconnection/vco-*", "acs:vpc:cn-hangzhou:1:vpnconnection/vco-1"),
        ("acs:vpc:cn-*-1:*", "acs:vpc:cn-hangzhou-1:1:vpnconnection/vco-1"),
        ("*-1", "acs:vpc:cn-hangzhou:1:vpnconnection/vco-1"),
        ("*/vco-1", "acs:vpc:cn-hangzhou:1:vpnconnection/vco-1"),
        ("*team-*", "a-team-team-team-1"),
        ("*1:*:1", "1:1:1"),
    ] {
        assert_eq!(outcome_with(allow(pattern), ACTION, resource), Outcome::Allow, "{pattern} on {resource}");
    }
    // A segment the pattern fixes must be a whole segment of the resource.
    for (pattern, resource) in [
        ("acs:vpc:*:1:vpnconnection/vco-1", "acs:vpc:cn-hangzhou:1:21:vpnconnection/vco-1"),
        ("acs:vpc:*:1:vpnconnection/vco-1", "acs:vpc:cn-hangzhou:1:3-1:vpnconnection/vco-1"),
        ("*:vpnconnection/vco-*", "acs:vpc:cn-hangzhou:1:myvpnconnection/vco-1"),
        ("*-1", "acs:vpc:cn-hangzhou:1:vpnconnection/vco-11"),
    ] {
        assert_eq!(outcome_with(allow(pattern), ACTION, resource), Outcome::ImplicitDeny, "{pattern} on {resource}");
    }
}

#[test]
fn a_resource_repeating_a_filed_segment_decides_like_the_reference() {
    let repeated = format!("acs:vpc:cn-hangzhou:1:vpnconnection/{}vco-1", "team7-".repeat(2_000));
    let deny = json!({"Effect": "Deny", "Action": ACTION, "Resource": "*:vpnconnection/team7-*"});
    assert_eq!(outcome_with(allow("acs:vpc:*:vpnconnection/team7-*"), ACTION, &repeated), Outcome::Allow);
    assert_eq!(outcome_with(deny, ACTION, &repeated), Outcome::ExplicitDeny);
}

#[test]
fn patterns_that_cannot_match_stay_unmatched() {
    for pattern in [
        "acs:vpc:cn-hangzhou:1:vpnconnection/vco-",
        "acs:vpc:cn-hangzhou:1:vpnconnection/vco-1-",
        "acs:vpc:cn-hangzhou:1:vpnconnection/vco-1/*",
        "acs:vpc:cn-hangzhou:1:vpnconnection/vco-2*",
        "acs:vpc:cn-hangzhou:12:*",
        "acs:vpc:cn-beijing:*",
        "acs:ecs:*",
        "acs:vpc:cn-hangzhou:1:vpnconnection/vco-?1",
    ] {
        assert_eq!(outcome_with(allow(pattern), ACTION, VCO), Outcome::ImplicitDeny, "{pattern}");
    }
}

#[test]
fn resources_match_case_sensitively_through_the_index() {
    assert_eq!(outcome_with(allow("ACS:VPC:CN-HANGZHOU:1:VPNCONNECTION/VCO-1"), ACTION, VCO), Outcome::ImplicitDeny);
    assert_eq!(outcome_with(allow("acs:vpc:cn-hangzhou:1:VpnConnection/*"), ACTION, VCO), Outcome::ImplicitDeny);
    let upper = "acs:vpc:cn-hangzhou:1:VpnConnection/vco-1";
    assert_eq!(outcome_with(allow("acs:vpc:cn-hangzhou:1:VpnConnection/*"), ACTION, upper), Outcome::Allow);
    // Actions, unlike resources, ignore case.
    assert_eq!(outcome_with(allow(VCO), "VPC:deletevpnconnection", VCO), Outcome::Allow);
}

#[test]
fn resources_that_are_not_arns_are_found() {
    for (pattern, resource) in [
        ("vco-1", "vco-1"),
        ("my bucket/*", "my bucket/report"),
        ("::", "::"),
        ("a-b-c-*", "a-b-c-"),
        ("é:ü/*", "é:ü/ß"),
    ] {
        assert_eq!(outcome_with(allow(pattern), ACTION, resource), Outcome::Allow, "{pattern} on {resource}");
    }
}

#[test]
fn the_all_resources_request_is_matched_only_by_patterns_matching_a_star() {
    assert_eq!(outcome_with(allow("*"), ACTION, "*"), Outcome::Allow);
    assert_eq!(outcome_with(allow("acs:vpc:*"), ACTION, "*"), Outcome::ImplicitDeny);
    assert_eq!(outcome_with(allow("*:*"), ACTION, "*"), Outcome::ImplicitDeny);
}

#[test]
fn denies_found_only_through_the_index_still_deny() {
    let everything = json!({"Effect": "Allow", "Action": "*", "Resource": "*"});
    for (action, pattern) in [
        (ACTION, "acs:vpc:cn-hangzhou:1:vpnconnection/vco-1"),
        (ACTION, "acs:vpc:*:1:vpnconnection/*"),
        ("vpc:Delete*", "acs:vpc:cn-hangzhou:1:vpnconnection/vco-*"),
        ("*:Delete*", "acs:*:cn-hangzhou:*:*/vco-1"),
    ] {
        let mut statements = filler(ACTION);
        statements.extend(filler("vpc:Delete*"));
        statements.extend(filler("*:Delete*"));
        statements.push(everything.clone());
        statements.insert(33, json!({"Effect": "Deny", "Action": action, "Resource": pattern}));
        let (set, compiled) = sets(&statements);
        let request = Request::new("acs:ram::1:user/alice".parse::<Principal>().unwrap(), ACTION, VCO);
        assert_eq!(compiled.authorize(&request).outcome, Outcome::ExplicitDeny, "{action} on {pattern}");
        assert_eq!(compiled.authorize(&request), set.authorize(&request));
    }
}

#[test]
fn a_statement_under_several_actions_and_resources_decides_once() {
    let subject = json!({"Effect": "Deny", "Action": [ACTION, "vpc:Delete*", "*"],
                         "Resource": ["acs:vpc:*", "acs:vpc:cn-hangzhou:*", VCO]});
    assert_eq!(outcome_with(subject, ACTION, VCO), Outcome::ExplicitDeny);
}

#[test]
fn every_resource_of_a_request_is_looked_up() {
    let mut statements = filler(ACTION);
    statements.push(allow("acs:vpc:cn-hangzhou:1:vpnconnection/vco-1"));
    statements.push(allow("acs:vpc:cn-beijing:1:vpnconnection/*"));
    let (set, compiled) = sets(&statements);
    let alice: Principal = "acs:ram::1:user/alice".parse().unwrap();
    let both = Request::new(alice.clone(), ACTION, VCO)
        .with_resources(vec![VCO.to_owned(), "acs:vpc:cn-beijing:1:vpnconnection/vco-9".to_owned()]);
    assert_eq!(compiled.authorize(&both).outcome, Outcome::Allow);
    let one_outside = Request::new(alice, ACTION, VCO)
        .with_resources(vec![VCO.to_owned(), "acs:vpc:cn-shenzhen:1:vpnconnection/vco-9".to_owned()]);
    assert_eq!(compiled.authorize(&one_outside).outcome, Outcome::ImplicitDeny);
    assert_eq!(compiled.authorize(&both), set.authorize(&both));
    assert_eq!(compiled.authorize(&one_outside), set.authorize(&one_outside));
}

const SHARED_ACTIONS: &[&str] =
    &["vpc:DeleteVpnConnection", "vpc:Delete*", "*:Delete*", "vpc:*", "*", "ecs:DescribeInstances"];
const SEGMENTS: &[&[&str]] = &[
    &["acs:"],
    &["vpc:", "ecs:", "*:", "vp?:", ""],
    &["cn-hangzhou:", "cn-beijing:", "cn-*:", "*:", ":", "cn-hangzhou", "cn-hangzhou:1:", "1:"],
    &["1:", "2:", "*:", "?:", "", "1"],
    &["vpnconnection/", "instance/", "*/", "vpnconnection"],
    &["vco-", "i-", "*-", "vco"],
    &["1", "2", "*", "?", "1*", "", "team1-*", "team?-1"],
];

/// A resource pattern or request resource: a few of the segments above, so
/// that patterns and resources share their structure and often match.
fn arn_like(wild: bool) -> impl Strategy<Value = String> {
    let pieces: Vec<_> = SEGMENTS
        .iter()
        .map(|choices| {
            let choices: Vec<&str> = choices.iter().copied().filter(|c| wild || !c.contains(['*', '?'])).collect();
            prop::sample::select(choices)
        })
        .collect();
    (pieces, 1..=SEGMENTS.len(), prop::bool::weighted(0.05))
        .prop_map(|(pieces, keep, star)| if star { "*".to_owned() } else { pieces[..keep].concat() })
}

fn shared_statement() -> impl Strategy<Value = Value> {
    (
        prop::bool::weighted(0.3),
        prop::collection::vec(prop::sample::select(SHARED_ACTIONS), 1..3),
        prop::collection::vec(arn_like(true), 1..3),
    )
        .prop_map(|(deny, actions, resources)| {
            json!({"Effect": if deny { "Deny" } else { "Allow" }, "Action": actions, "Resource": resources})
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn sets_that_share_actions_decide_like_the_reference(
        statements in prop::collection::vec(shared_statement(), 10..80),
        requests in prop::collection::vec(
            (prop::sample::select(&["vpc:DeleteVpnConnection", "VPC:deletevpc", "ecs:DescribeInstances"][..]),
             arn_like(false)),
            1..8,
        ),
    ) {
        let (set, compiled) = sets(&statements);
        let alice: Principal = "acs:ram::1:user/alice".parse().unwrap();
        for (action, resource) in &requests {
            let request = Request::new(alice.clone(), action, resource);
            prop_assert_eq!(compiled.authorize(&request), set.authorize(&request), "{} on {}", action, resource);
        }
    }
}

/// The generated sets are not vacuous: requests are allowed, denied and left
/// undecided, so a dropped statement would change some outcome.
#[test]
fn generated_shared_sets_reach_every_outcome() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    let mut runner = TestRunner::deterministic();
    let mut seen = [0usize; 3];
    for _ in 0..200 {
        let statements = prop::collection::vec(shared_statement(), 10..80).new_tree(&mut runner).unwrap().current();
        let resource = arn_like(false).new_tree(&mut runner).unwrap().current();
        let (_, compiled) = sets(&statements);
        let request = Request::new("acs:ram::1:user/alice".parse::<Principal>().unwrap(), ACTION, &resource);
        let slot = match compiled.authorize(&request).outcome {
            Outcome::Allow => 0,
            Outcome::ExplicitDeny => 1,
            Outcome::ImplicitDeny => 2,
        };
        seen[slot] += 1;
    }
    assert!(seen.iter().all(|&n| n > 0), "{seen:?}");
}
