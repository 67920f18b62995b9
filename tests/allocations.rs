//! The compiled set's warm path allocates nothing: once a thread has
//! decided one request, deciding more (allowed, denied, with conditions,
//! several resources) takes no allocation on it.
//!
//! `allocation-counter` replaces the global allocator of this test binary
//! only, and counts the allocations of the current thread.

#![allow(clippy::unwrap_used, reason = "tests unwrap what they just built")]

use ramguard::{CompiledPolicySet, Context, Outcome, Policy, PolicyKind, PolicySetBuilder, Principal, Request};

fn set() -> CompiledPolicySet {
    let mut builder = PolicySetBuilder::new();
    builder.add(
        Policy::parse(
            "ops",
            r#"{"Version": "1", "Statement": [
                {"Effect": "Allow", "Action": ["vpc:Delete*", "vpc:Describe*"], "Resource": "acs:vpc:*:*:vpnconnection/*",
                 "Condition": {"IpAddress": {"acs:SourceIp": "10.0.0.0/8"}}},
                {"Effect": "Allow", "Action": "expressconnectrouter:RevokeInstanceFromExpressConnectRouter",
                 "Resource": "*", "Condition": {"StringEquals": {"InstanceType": "VBR"}}},
                {"Effect": "Deny", "Action": "vpc:DeleteVpnConnection", "Resource": "acs:vpc:cn-beijing:*:*"}]}"#,
            PolicyKind::Identity,
        )
        .unwrap(),
    );
    builder.build().unwrap()
}

/// Decides `requests` once to warm the thread's buffers, then again counting
/// allocations: the outcomes are `expected`, and nothing was allocated.
fn decides_without_allocating(set: &CompiledPolicySet, requests: &[Request], expected: &[Outcome]) {
    for r in requests {
        set.authorize(r);
    }
    let mut outcomes = Vec::with_capacity(requests.len());
    let info = allocation_counter::measure(|| {
        for r in requests {
            outcomes.push(set.authorize(r).outcome);
        }
    });
    assert_eq!(outcomes, expected);
    assert_eq!(info.count_total, 0, "{info:?}");
}

#[test]
fn a_warm_decision_allocates_nothing() {
    let set = set();
    let alice: Principal = "acs:ram::1:user/alice".parse().unwrap();
    let mut office = Context::new();
    office.set("acs:SourceIp", vec!["10.1.2.3".to_owned()]);
    let mut vbr = Context::new();
    vbr.set("InstanceType", vec!["VBR".to_owned()]);
    let requests = [
        Request::new(alice.clone(), "vpc:DeleteVpnConnection", "acs:vpc:cn-hangzhou:1:vpnconnection/vco-1")
            .with_context(office.clone()),
        Request::new(alice.clone(), "vpc:DeleteVpnConnection", "acs:vpc:cn-beijing:1:vpnconnection/vco-2")
            .with_context(office),
        Request::new(alice.clone(), "vpc:DeleteVpnConnection", "acs:vpc:cn-hangzhou:1:vpnconnection/vco-1"),
        Request::new(alice.clone(), "expressconnectrouter:RevokeInstanceFromExpressConnectRouter", "*")
            .with_context(vbr)
            .with_resources(vec!["acs:expressconnectrouter::1:expressconnectrouter/ecr-1".to_owned(), "*".to_owned()]),
        Request::new(alice, "ecs:DescribeInstances", "*"),
    ];
    let expected =
        [Outcome::Allow, Outcome::ExplicitDeny, Outcome::ImplicitDeny, Outcome::Allow, Outcome::ImplicitDeny];
    decides_without_allocating(&set, &requests, &expected);
}

/// The counter does count: explaining a decision builds its trace.
#[test]
fn the_counter_sees_allocations() {
    let set = set();
    let request = Request::new("acs:ram::1:user/alice".parse().unwrap(), "ecs:DescribeInstances", "*");
    set.explain(&request);
    let info = allocation_counter::measure(|| {
        set.explain(&request);
    });
    assert!(info.count_total > 0, "{info:?}");
}

/// The same with the resource index in use: many statements share the
/// requested actions, so they are looked up by resource.
#[test]
fn a_warm_indexed_decision_allocates_nothing() {
    let mut statements = Vec::new();
    for i in 0..200 {
        let action = ["vpc:DeleteVpnConnection", "vpc:Delete*", "*:Describe*"][i % 3];
        let effect = if i % 10 == 0 { "Deny" } else { "Allow" };
        statements.push(format!(
            r#"{{"Effect": "{effect}", "Action": "{action}", "Resource": "acs:vpc:*:1:vpnconnection/vco-team{i}-*"}}"#
        ));
    }
    let mut builder = PolicySetBuilder::new();
    for (i, chunk) in statements.chunks(20).enumerate() {
        let text = format!(r#"{{"Version": "1", "Statement": [{}]}}"#, chunk.join(","));
        builder.add(Policy::parse(&format!("p{i}"), &text, PolicyKind::Identity).unwrap());
    }
    let set = builder.build().unwrap();
    let alice: Principal = "acs:ram::1:user/alice".parse().unwrap();
    let requests = [
        Request::new(alice.clone(), "vpc:DeleteVpnConnection", "acs:vpc:cn-hangzhou:1:vpnconnection/vco-team4-1"),
        Request::new(alice.clone(), "vpc:DeleteVpnConnection", "acs:vpc:cn-hangzhou:1:vpnconnection/vco-team30-1"),
        Request::new(alice.clone(), "vpc:DeleteVpc", "acs:vpc:cn-hangzhou:1:vpnconnection/vco-team4-1")
            .with_resources(vec!["acs:vpc:cn-hangzhou:1:vpnconnection/vco-team1-1".to_owned(), "*".to_owned()]),
        Request::new(alice, "ecs:DescribeInstances", "acs:vpc:cn-hangzhou:1:vpnconnection/vco-team5-x"),
    ];
    let expected = [Outcome::Allow, Outcome::ExplicitDeny, Outcome::ImplicitDeny, Outcome::Allow];
    decides_without_allocating(&set, &requests, &expected);
}
