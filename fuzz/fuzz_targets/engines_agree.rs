//! The compiled policy set decides exactly like the reference evaluator, on
//! arbitrary policy sets and requests.
//!
//! The input drives a generator: policies of every kind, built from the
//! names RAM uses (the operations in scope, their ARNs, condition keys and
//! operators) spliced with wildcards, case changes and arbitrary text, and
//! requests from several principals with multi-valued, missing and
//! malformed context values. Half the sets also hold enough statements on
//! every action for the compiled set to index them by resource. Both engines
//! must return the same decision, and the explanation of each must agree
//! with its decision.

#![no_main]

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use ramguard::policy::Operator;
use ramguard::{CompiledPolicySet, Context, Policy, PolicyKind, PolicySet, Principal, Request};
use serde_json::{Map, Value, json};

const ACTIONS: &[&str] = &[
    "vpc:DeleteIpsecServer",
    "vpc:DeleteVpnConnection",
    "vpc:DeleteTrafficMirrorSession",
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
    "acs:vpc:cn-hangzhou:2:trafficmirrorsession/tms-1",
    "acs:expressconnectrouter::1:expressconnectrouter/ecr-1",
    "acs:ram::1:role/ops",
    "acs:zstack::1:ipsecconnection/ü-1",
    "acs:oss:cn-hangzhou::bucket/report",
    "*",
];

const KEYS: &[&str] = &[
    "k",
    "K",
    "acs:SourceIp",
    "acs:SecureTransport",
    "acs:CurrentTime",
    "acs:PrincipalARN",
    "InstanceType",
    "expressconnectrouter:InstanceType",
    "acs:MFAPresent",
];

const VALUES: &[&str] = &[
    "a",
    "A",
    "a*",
    "?",
    "VBR",
    "vbr",
    "VPC",
    "1",
    "1.0",
    "-3",
    "10.25",
    "1e3",
    "2020-01-01T00:00:00Z",
    "2020-01-01T08:00:00+08:00",
    "2021-06-01",
    "10.1.2.3",
    "10.0.0.0/8",
    "::1",
    "::ffff:10.0.0.1",
    "2001:db8::/32",
    "true",
    "FALSE",
    "acs:ram::1:user/alice",
    "",
];

const PRINCIPALS: &[&str] = &[
    "acs:ram::1:user/alice",
    "acs:ram::2:user/alice",
    "acs:ram::1:role/ops",
    "acs:ram::1:assumed-role/ops/s1",
    "acs:ram::2:assumed-role/app/s1",
    "acs:ram::1:root",
    "acs:ram::2:root",
    "ecs.aliyuncs.com",
    "acs:ram::1:saml-provider/idp",
];

const PRINCIPAL_ELEMENTS: &[&str] = &[
    r#""*""#,
    r#"{"RAM": ["acs:ram::1:root"]}"#,
    r#"{"RAM": "acs:ram::1:role/o*"}"#,
    r#"{"RAM": ["acs:ram::2:user/alice", "acs:ram::1:assumed-role/ops/*"]}"#,
    r#"{"RAM": "1"}"#,
    r#"{"Service": "ecs.aliyuncs.com"}"#,
    r#"{"Federated": "acs:ram::1:saml-provider/*"}"#,
];

fn pick<'a>(u: &mut Unstructured<'_>, from: &[&'a str]) -> Result<&'a str> {
    Ok(u.choose(from)?)
}

/// A short arbitrary string, mostly from the characters patterns use.
fn text(u: &mut Unstructured<'_>) -> Result<String> {
    let n = u.int_in_range(0..=6)?;
    let mut s = String::new();
    for _ in 0..n {
        s.push(*u.choose(&['a', 'A', '*', '?', ':', '/', '-', '1', 'é', 'ß', 'İ', '\u{0}'])?);
    }
    Ok(s)
}

/// A name from `from`, mutated: wildcards spliced in, case changed, text
/// inserted, or left as is.
fn mutate(u: &mut Unstructured<'_>, from: &[&str]) -> Result<String> {
    let literal = pick(u, from)?;
    let chars: Vec<char> = literal.chars().collect();
    let a = u.int_in_range(0..=chars.len())?;
    let b = u.int_in_range(0..=chars.len())?;
    let (lo, hi) = (a.min(b), a.max(b));
    let before: String = chars.iter().take(lo).collect();
    let after: String = chars.iter().skip(hi).collect();
    Ok(match u.int_in_range(0..=7)? {
        0 | 1 => literal.to_owned(),
        2 => format!("{before}*{after}"),
        3 => format!("{before}?{}", chars.iter().skip(lo + 1).collect::<String>()),
        4 => literal.to_uppercase(),
        5 => format!("{before}{}{after}", text(u)?),
        6 => literal.to_lowercase(),
        _ => "*".to_owned(),
    })
}

fn one_or_many(u: &mut Unstructured<'_>, items: Vec<String>) -> Result<Value> {
    Ok(match items.as_slice() {
        [one] if u.arbitrary()? => json!(one),
        _ => json!(items),
    })
}

fn condition_block(u: &mut Unstructured<'_>) -> Result<Value> {
    let mut block = Map::new();
    for _ in 0..u.int_in_range(1..=3)? {
        let op = *u.choose(&Operator::ALL)?;
        let name = match u.int_in_range(0..=3)? {
            0 => format!("ForAnyValue:{}", op.name()),
            1 => format!("ForAllValues:{}", op.name()),
            _ => op.name().to_owned(),
        };
        let mut values = Vec::new();
        for _ in 0..u.int_in_range(1..=3)? {
            values.push(if u.ratio(1, 6)? { text(u)? } else { pick(u, VALUES)?.to_owned() });
        }
        let key = pick(u, KEYS)?;
        let entry = block.entry(name).or_insert_with(|| json!({}));
        if let Value::Object(keys) = entry {
            keys.insert(key.to_owned(), one_or_many(u, values)?);
        }
    }
    Ok(Value::Object(block))
}

fn statement(u: &mut Unstructured<'_>, kind: PolicyKind) -> Result<Value> {
    let mut s = Map::new();
    s.insert("Effect".into(), json!(if u.arbitrary()? { "Deny" } else { "Allow" }));
    let mut actions = Vec::new();
    for _ in 0..u.int_in_range(1..=3)? {
        actions.push(if u.ratio(1, 8)? {
            "*".to_owned()
        } else {
            let action = pick(u, ACTIONS)?;
            let (service, name) = action.split_once(':').unwrap_or((action, "x"));
            format!("{}:{}", mutate(u, &[service])?, mutate(u, &[name])?)
        });
    }
    let actions = one_or_many(u, actions)?;
    s.insert(if u.ratio(1, 5)? { "NotAction" } else { "Action" }.into(), actions);
    if kind != PolicyKind::Resource || u.ratio(3, 4)? {
        let mut resources = Vec::new();
        for _ in 0..u.int_in_range(1..=2)? {
            resources.push(mutate(u, RESOURCES)?);
        }
        let resources = one_or_many(u, resources)?;
        s.insert("Resource".into(), resources);
    }
    if kind == PolicyKind::Resource {
        let element: Value = serde_json::from_str(pick(u, PRINCIPAL_ELEMENTS)?).unwrap_or(Value::Null);
        s.insert("Principal".into(), element);
    }
    if u.ratio(1, 2)? {
        s.insert("Condition".into(), condition_block(u)?);
    }
    Ok(Value::Object(s))
}

fn policy(u: &mut Unstructured<'_>, index: usize) -> Result<Option<Policy>> {
    let kind = *u.choose(&[
        PolicyKind::Identity,
        PolicyKind::Identity,
        PolicyKind::Resource,
        PolicyKind::Control,
        PolicyKind::Session,
    ])?;
    let mut statements = Vec::new();
    for _ in 0..u.int_in_range(1..=4)? {
        statements.push(statement(u, kind)?);
    }
    let text = json!({"Version": "1", "Statement": statements}).to_string();
    // A generated document RAM would reject (a bad wildcard in an action, a
    // value of the wrong type) is left out of the set.
    Ok(Policy::parse(&format!("p{index}"), &text, kind).ok())
}

/// Statements on every action that no generated request names a resource
/// of, so that the compiled set's action groups are large enough to be
/// indexed by resource and the generated statements are found through it.
fn padding() -> Result<Policy> {
    let actions: Vec<&str> = ACTIONS.iter().copied().filter(|a| a.is_ascii()).collect();
    let statements: Vec<Value> = (0..8)
        .flat_map(|i| {
            let resource = format!("acs:pad:{i}:0:pad/x-{i}");
            [
                json!({"Effect": "Allow", "Action": actions, "Resource": resource}),
                json!({"Effect": "Allow", "Action": "*", "Resource": resource}),
            ]
        })
        .collect();
    let text = json!({"Version": "1", "Statement": statements}).to_string();
    Policy::parse("padding", &text, PolicyKind::Identity).map_err(|_| libfuzzer_sys::arbitrary::Error::IncorrectFormat)
}

fn run(u: &mut Unstructured<'_>) -> Result<()> {
    let mut reference = PolicySet::new();
    for i in 0..u.int_in_range(0..=5)? {
        if let Some(p) = policy(u, i)? {
            reference.add(p);
        }
    }
    if u.ratio(1, 2)? {
        reference.add(padding()?);
    }
    let Ok(compiled) = CompiledPolicySet::compile(reference.clone()) else { return Ok(()) };
    for _ in 0..u.int_in_range(1..=4)? {
        let Ok(principal) = pick(u, PRINCIPALS)?.parse::<Principal>() else { continue };
        let action = match u.int_in_range(0..=5)? {
            0 => pick(u, ACTIONS)?.to_uppercase(),
            1 => mutate(u, ACTIONS)?,
            _ => pick(u, ACTIONS)?.to_owned(),
        };
        let mut resources = vec![if u.ratio(1, 5)? { mutate(u, RESOURCES)? } else { pick(u, RESOURCES)?.to_owned() }];
        if u.ratio(1, 4)? {
            resources.push(pick(u, RESOURCES)?.to_owned());
        }
        let mut context = Context::new();
        for _ in 0..u.int_in_range(0..=4)? {
            let key = pick(u, KEYS)?;
            let mut values = Vec::new();
            for _ in 0..u.int_in_range(0..=2)? {
                values.push(if u.ratio(1, 6)? { text(u)? } else { pick(u, VALUES)?.to_owned() });
            }
            context.set(key, values);
        }
        let first = resources.first().cloned().unwrap_or_default();
        let request = Request::new(principal, &action, &first).with_resources(resources).with_context(context);
        let expected = reference.authorize(&request);
        assert_eq!(compiled.authorize(&request), expected, "{request:?}\n{reference:#?}");
        assert_eq!(compiled.explain(&request).to_decision(), expected, "{request:?}");
        assert_eq!(reference.explain(&request).to_decision(), expected, "{request:?}");
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});
