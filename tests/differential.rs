//! The compiled policy set decides exactly like the reference evaluator.
//!
//! Random policy sets (every element and operator, wildcards anywhere,
//! `NotAction`, every policy kind, principals) meet random requests (missing,
//! multi-valued and malformed context values, several resources), and both
//! engines must return the same outcome and the same deciding kind.
//!
//! 10,000 cases run by default; set `PROPTEST_CASES` for more. proptest
//! shrinks a failure and records it in
//! `tests/differential.proptest-regressions`, where it is replayed on every
//! later run.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "test generators index small fixed tables and unwrap what they built"
)]

use proptest::prelude::*;
use proptest::test_runner::Config;
use ramguard::policy::{Operator, canonical_key};
use ramguard::{CompiledPolicySet, Context, Policy, PolicyKind, PolicySet, Principal, Request};
use serde_json::{Value, json};

const ACTIONS: &[&str] = &[
    "vpc:DeleteIpsecServer",
    "vpc:DeleteVpnConnection",
    "vpc:DescribeVpnGateway",
    "ecs:DescribeInstances",
    "sts:AssumeRole",
    "expressconnectrouter:RevokeInstanceFromExpressConnectRouter",
    "zstack:ChangeIPSecConnectionState",
    "oss:GetObjecté",
];

const RESOURCES: &[&str] = &[
    "acs:vpc:cn-hangzhou:1:vpnconnection/vco-a",
    "acs:vpc:cn-beijing:1:vpnipsecserver/iss-b",
    "acs:vpc:cn-hangzhou:2:vpc/vpc-a",
    "acs:expressconnect:cn-hangzhou:1:virtualborderrouter/vbr-1",
    "acs:ram::1:role/ops",
    "acs:zstack::1:ipsecconnection/ü-1",
    "acs:oss:cn-hangzhou::bucket/report",
    "*",
];

const KEYS: &[&str] =
    &["k", "K", "acs:SourceIp", "InstanceType", "expressconnectrouter:InstanceType", "acs:CurrentTime"];

const REQUEST_VALUES: &[&str] = &[
    "a",
    "A",
    "ab",
    "1",
    "1.0",
    "2.5",
    "-3",
    "2020-01-01T00:00:00Z",
    "2020-01-01T08:00:00+08:00",
    "2021-06-01",
    "10.1.2.3",
    "192.168.0.1",
    "::1",
    "::ffff:10.0.0.1",
    "true",
    "False",
    "VBR",
    "garbage",
    "",
];

/// Turns a literal into a pattern: wildcards spliced in, case changed.
fn mutate(literal: &'static str) -> impl Strategy<Value = String> {
    let n = literal.chars().count();
    (0..=n, 0..=n, 0u8..6).prop_map(move |(a, b, how)| {
        let chars: Vec<char> = literal.chars().collect();
        let (lo, hi) = (a.min(b), a.max(b));
        let before: String = chars[..lo].iter().collect();
        let after: String = chars[hi..].iter().collect();
        match how {
            0 => literal.to_owned(),
            1 => format!("{before}*{after}"),
            2 if lo < n => format!("{before}?{}", chars[lo + 1..].iter().collect::<String>()),
            3 => literal.to_uppercase(),
            4 => format!("{before}**{after}"),
            _ => "*".to_owned(),
        }
    })
}

/// An action pattern: service and name mutated apart, so the colon stays
/// (RAM requires it), or the match-all `*`; a `*` may still span the colon.
fn action_pattern() -> impl Strategy<Value = String> {
    prop::sample::select(ACTIONS).prop_flat_map(|action| {
        let (service, name) = action.split_once(':').unwrap();
        let service: &'static str = service;
        let name: &'static str = name;
        prop_oneof![
            8 => (mutate(service), mutate(name)).prop_map(|(s, n)| format!("{s}:{n}")),
            1 => Just("*".to_owned()),
            1 => Just(format!("{}*:*{}", service.chars().next().unwrap(), name.chars().last().unwrap())),
        ]
    })
}

fn one_or_many(items: Vec<String>) -> Value {
    if items.len() == 1 { json!(items[0]) } else { json!(items) }
}

fn policy_values(op: Operator) -> BoxedStrategy<Vec<String>> {
    let pool: &'static [&'static str] = match op.value_type() {
        ramguard::policy::ValueType::String => &["a", "A", "a*", "?", "b", "VBR", "vbr", "*"],
        ramguard::policy::ValueType::Number => &["1", "1.0", "2", "-1", "10.25"],
        ramguard::policy::ValueType::Date => {
            &["2020-01-01T00:00:00Z", "2020-01-01T07:00:00+08:00", "2021-06-01", "2019-12-31T23:59Z"]
        }
        ramguard::policy::ValueType::Bool => &["true", "FALSE"],
        ramguard::policy::ValueType::Ip => {
            &["10.0.0.0/8", "10.1.2.3", "::1", "2001:db8::/32", "0.0.0.0/0", "192.168.0.0/24"]
        }
    };
    prop::collection::vec(prop::sample::select(pool).prop_map(str::to_owned), 1..6).boxed()
}

fn condition() -> impl Strategy<Value = (String, String, Vec<String>)> {
    (prop::sample::select(Operator::ALL.to_vec()), 0u8..4, prop::sample::select(KEYS)).prop_flat_map(
        |(op, qualifier, key)| {
            let name = match qualifier {
                0 => format!("ForAnyValue:{}", op.name()),
                1 => format!("ForAllValues:{}", op.name()),
                _ => op.name().to_owned(),
            };
            policy_values(op).prop_map(move |values| (name.clone(), key.to_owned(), values))
        },
    )
}

fn principal_element() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!("*")),
        Just(json!(["1"])),
        Just(json!({"RAM": ["acs:ram::1:root"]})),
        Just(json!({"RAM": "acs:ram::1:role/o*"})),
        Just(json!({"RAM": ["acs:ram::2:user/alice", "*"]})),
        Just(json!({"Service": "ECS.aliyuncs.com"})),
        Just(json!({"Federated": "acs:ram::1:saml-provider/*"})),
    ]
}

#[derive(Debug, Clone)]
struct Doc {
    kind: PolicyKind,
    text: String,
}

fn statement(kind: PolicyKind) -> impl Strategy<Value = Value> {
    (
        any::<bool>(),
        any::<bool>(),
        prop::collection::vec(action_pattern(), 1..4),
        prop::collection::vec(prop::sample::select(RESOURCES).prop_flat_map(mutate), 1..3),
        prop::collection::vec(condition(), 0..3),
        principal_element(),
        any::<bool>(),
    )
        .prop_map(move |(deny, not_action, actions, resources, conditions, principal, omit_resource)| {
            let mut s = serde_json::Map::new();
            s.insert("Effect".into(), json!(if deny { "Deny" } else { "Allow" }));
            s.insert(if not_action { "NotAction" } else { "Action" }.into(), one_or_many(actions));
            if !(kind == PolicyKind::Resource && omit_resource) {
                s.insert("Resource".into(), one_or_many(resources));
            }
            if kind == PolicyKind::Resource {
                s.insert("Principal".into(), principal);
            }
            if !conditions.is_empty() {
                let mut block = serde_json::Map::new();
                for (op, key, values) in conditions {
                    let entry = block.entry(op).or_insert_with(|| json!({}));
                    // One key under one operator: a second spelling of it would be an error.
                    let spelled = entry
                        .as_object()
                        .and_then(|keys| keys.keys().find(|k| canonical_key(k) == canonical_key(&key)).cloned())
                        .unwrap_or(key);
                    entry[spelled] = json!(values);
                }
                s.insert("Condition".into(), Value::Object(block));
            }
            Value::Object(s)
        })
}

fn doc() -> impl Strategy<Value = Doc> {
    prop_oneof![
        4 => Just(PolicyKind::Identity),
        1 => Just(PolicyKind::Session),
        1 => Just(PolicyKind::Control),
        2 => Just(PolicyKind::Resource),
    ]
    .prop_flat_map(|kind| {
        prop::collection::vec(statement(kind), 1..5).prop_map(move |statements| Doc {
            kind,
            text: json!({"Version": "1", "Statement": statements}).to_string(),
        })
    })
}

fn principal() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "acs:ram::1:user/alice",
        "acs:ram::2:user/alice",
        "acs:ram::1:role/ops",
        "acs:ram::1:assumed-role/ops/s1",
        "acs:ram::1:assumed-role/ops/s2",
        "acs:ram::2:assumed-role/app/s1",
        "acs:ram::1:root",
        "acs:ram::2:root",
        "ecs.aliyuncs.com",
        "acs:ram::1:saml-provider/idp",
    ])
    .prop_map(str::to_owned)
}

fn context() -> impl Strategy<Value = Vec<(String, Vec<String>)>> {
    prop::collection::vec(
        (
            prop::sample::select(KEYS),
            prop::collection::vec(prop::sample::select(REQUEST_VALUES).prop_map(str::to_owned), 0..3),
        ),
        0..4,
    )
    .prop_map(|entries| entries.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

#[derive(Debug, Clone)]
struct Case {
    docs: Vec<Doc>,
    principal: String,
    action: String,
    resources: Vec<String>,
    context: Vec<(String, Vec<String>)>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(doc(), 0..5),
        principal(),
        prop::sample::select(ACTIONS)
            .prop_flat_map(|a| prop_oneof![Just(a.to_owned()), Just(a.to_uppercase()), Just(a.to_lowercase())]),
        prop::collection::vec(prop::sample::select(RESOURCES).prop_map(str::to_owned), 1..3),
        context(),
    )
        .prop_map(|(docs, principal, action, resources, context)| Case {
            docs,
            principal,
            action,
            resources,
            context,
        })
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000)
}

proptest! {
    #![proptest_config(Config { cases: cases(), max_shrink_iters: 10_000, ..Config::default() })]

    #[test]
    fn compiled_set_decides_like_the_reference(case in case()) {
        let mut reference = PolicySet::new();
        for (i, doc) in case.docs.iter().enumerate() {
            let policy = Policy::parse(&format!("p{i}"), &doc.text, doc.kind);
            prop_assert!(policy.is_ok(), "generated an invalid policy: {}\n{:?}", doc.text, policy.err());
            reference.add(policy.unwrap());
        }
        let compiled = CompiledPolicySet::compile(reference.clone()).unwrap();
        let principal: Principal = case.principal.parse().unwrap();
        let mut context = Context::new();
        for (k, v) in &case.context {
            context.set(k, v.clone());
        }
        let request = Request::new(principal, &case.action, &case.resources[0])
            .with_resources(case.resources.clone())
            .with_context(context);
        let expected = reference.authorize(&request);
        prop_assert_eq!(compiled.authorize(&request), expected, "policies: {:#?}", case.docs);
        prop_assert_eq!(compiled.explain(&request).to_decision(), expected);
    }
}

/// The generator is not vacuous: it reaches every outcome and every deciding kind.
#[test]
fn generated_cases_reach_every_outcome_and_kind() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    use std::collections::BTreeMap;

    let mut runner = TestRunner::deterministic();
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    for _ in 0..3_000 {
        let case = case().new_tree(&mut runner).unwrap().current();
        let mut set = PolicySet::new();
        for (i, doc) in case.docs.iter().enumerate() {
            set.add(Policy::parse(&format!("p{i}"), &doc.text, doc.kind).unwrap());
        }
        let principal: Principal = case.principal.parse().unwrap();
        let request = Request::new(principal, &case.action, &case.resources[0]).with_resources(case.resources.clone());
        let d = set.authorize(&request);
        *outcomes.entry(format!("{}/{}", d.outcome, d.decided_by)).or_default() += 1;
    }
    for key in [
        "Allow/identity",
        "Allow/resource",
        "Allow/root",
        "ExplicitDeny/identity",
        "ExplicitDeny/resource",
        "ExplicitDeny/control",
        "ExplicitDeny/session",
        "ImplicitDeny/identity",
        "ImplicitDeny/control",
        "ImplicitDeny/session",
        "ImplicitDeny/account-boundary",
        "ImplicitDeny/root",
    ] {
        assert!(outcomes.get(key).copied().unwrap_or(0) >= 15, "{key} is rare: {outcomes:?}");
    }
}
