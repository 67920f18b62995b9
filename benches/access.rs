//! Account-wide questions on a generated account of 1,000 principals (900
//! users, 100 roles) and 10,000 statements (250 custom policies of 40).
//!
//! Benchmarks: `snapshot/load` (read the single-file snapshot, parse every
//! document), `snapshot/load_40000_users` (the same account with 40,000
//! users, for how loading grows with the listings), `snapshot/model` (compile every distinct policy set),
//! `who_can/resource` and `who_can/some_resource` (one question over every
//! principal, with a resource and with witnesses), and `what_can/user` (one
//! principal over the whole built-in catalog). Run with
//! `cargo bench --bench access`; `cargo test --benches` runs each once.
//!
//! The account is generated deterministically and shaped like a real one:
//! 40 groups carry most grants and each is shared by many users (a user is in
//! one to three groups drawn from a few team profiles), some users and every
//! role have policies of their own, and statements mix exact and wildcard
//! actions, ARN patterns and `*`, conditions, and denies.

#![allow(
    clippy::indexing_slicing,
    clippy::expect_used,
    reason = "benchmark set-up indexes fixed tables and stops on invalid generated data"
)]

mod common;

use std::hint::black_box;
use std::path::Path;

use common::Rng;
use criterion::{Criterion, criterion_group, criterion_main};
use ramguard::access::{AccessModel, WhoCanQuery};
use ramguard::catalog::Catalog;
use ramguard::snapshot::Snapshot;
use ramguard::{Context, Request};
use serde_json::{Value, json};

const ACCT: &str = "1234567890123456";
const POLICIES: usize = 250;
const STATEMENTS_PER_POLICY: usize = 40;
const GROUPS: usize = 40;
const USERS: usize = 900;
const ROLES: usize = 100;

const SERVICES: [&str; 8] = ["vpc", "ecs", "oss", "rds", "slb", "kms", "ram", "cms"];
const VERBS: [&str; 8] = ["Describe", "List", "Create", "Delete", "Modify", "Get", "Update", "Tag"];
const NOUNS: [&str; 8] = ["IpsecServer", "VpnConnection", "Instance", "Disk", "Bucket", "Vpc", "Key", "Alarm"];

fn statement(rng: &mut Rng) -> Value {
    let service = SERVICES[rng.below(SERVICES.len())];
    let action = match rng.below(10) {
        0 => format!("{service}:{}*", VERBS[rng.below(VERBS.len())]),
        1 => format!("{service}:*"),
        2 => format!("{service}:*{}*", NOUNS[rng.below(NOUNS.len())]),
        _ => format!("{service}:{}{}", VERBS[rng.below(VERBS.len())], NOUNS[rng.below(NOUNS.len())]),
    };
    let resource = match rng.below(4) {
        0 => "*".to_owned(),
        1 => format!("acs:{service}:*:{ACCT}:*"),
        _ => format!(
            "acs:{service}:cn-hangzhou:{ACCT}:{}/r-{}*",
            NOUNS[rng.below(NOUNS.len())].to_lowercase(),
            rng.below(100)
        ),
    };
    let effect = if rng.below(10) == 0 { "Deny" } else { "Allow" };
    let mut s = json!({"Effect": effect, "Action": [action], "Resource": resource});
    match rng.below(6) {
        0 => s["Condition"] = json!({"IpAddress": {"acs:SourceIp": ["10.0.0.0/8", "192.168.0.0/16"]}}),
        1 => s["Condition"] = json!({"Bool": {"acs:MFAPresent": "true"}}),
        _ => {}
    }
    s
}

fn list(outer: &str, inner: &str, items: Vec<Value>) -> Value {
    json!({ outer: { inner: items } })
}

fn policy_refs(names: &[usize]) -> Value {
    let items = names
        .iter()
        .map(|i| json!({"PolicyName": format!("p{i}"), "PolicyType": "Custom", "DefaultVersion": "v1"}))
        .collect();
    list("Policies", "Policy", items)
}

/// The account, with `user_count` users, as one snapshot file's text.
fn account(user_count: usize) -> String {
    let mut rng = Rng(0xACC0_0417);
    let mut versions = serde_json::Map::new();
    for p in 0..POLICIES {
        let statements: Vec<Value> = (0..STATEMENTS_PER_POLICY).map(|_| statement(&mut rng)).collect();
        let document = json!({"Version": "1", "Statement": statements}).to_string();
        versions.insert(
            format!("p{p}"),
            json!({"PolicyVersion": {"VersionId": "v1", "IsDefaultVersion": true, "PolicyDocument": document}}),
        );
    }
    // Groups hold policies 0..120, three each; users' and roles' own policies come from the rest.
    let mut for_group = serde_json::Map::new();
    for g in 0..GROUPS {
        for_group.insert(format!("g{g}"), policy_refs(&[3 * g, 3 * g + 1, 3 * g + 2]));
    }
    // Team profiles: each user takes one, so groups are shared by many users.
    let profiles: Vec<Vec<usize>> =
        (0..60).map(|_| (0..1 + rng.below(3)).map(|_| rng.below(GROUPS)).collect()).collect();
    let mut users = Vec::new();
    let mut groups_for_user = serde_json::Map::new();
    let mut for_user = serde_json::Map::new();
    for u in 0..user_count {
        let name = format!("user{u}");
        users.push(json!({"UserName": name, "UserId": format!("2{u:015}")}));
        let mut groups = profiles[rng.below(profiles.len())].clone();
        groups.sort_unstable();
        groups.dedup();
        let items = groups.iter().map(|g| json!({"GroupName": format!("g{g}")})).collect();
        groups_for_user.insert(name.clone(), list("Groups", "Group", items));
        let own = if rng.below(5) == 0 { vec![120 + rng.below(POLICIES - 120)] } else { Vec::new() };
        for_user.insert(name, policy_refs(&own));
    }
    let trust = json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
        "Principal": {"RAM": [format!("acs:ram::{ACCT}:root")]}}]})
    .to_string();
    let mut roles = Vec::new();
    let mut get_role = serde_json::Map::new();
    let mut for_role = serde_json::Map::new();
    for r in 0..ROLES {
        let name = format!("role{r}");
        roles.push(json!({"RoleName": name}));
        get_role.insert(
            name.clone(),
            json!({"Role": {"RoleName": name, "Arn": format!("acs:ram::{ACCT}:role/{name}"), "AssumeRolePolicyDocument": trust}}),
        );
        for_role.insert(name, policy_refs(&[120 + rng.below(POLICIES - 120), 120 + rng.below(POLICIES - 120)]));
    }
    let groups = (0..GROUPS).map(|g| json!({"GroupName": format!("g{g}")})).collect();
    let full = json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}).to_string();
    let deny = json!({"Version": "1", "Statement": [{"Effect": "Deny", "Action": "vpc:DeleteVpnConnection", "Resource": "*"}]})
        .to_string();
    json!({
        "AccountId": ACCT,
        "ListUsers": list("Users", "User", users),
        "ListGroups": list("Groups", "Group", groups),
        "ListRoles": list("Roles", "Role", roles),
        "GetRole": get_role,
        "ListGroupsForUser": groups_for_user,
        "ListPoliciesForUser": for_user,
        "ListPoliciesForGroup": for_group,
        "ListPoliciesForRole": for_role,
        "GetPolicyVersion": {"Custom": versions},
        "ListControlPolicyAttachmentsForTarget": {ACCT: list("ControlPolicyAttachments", "ControlPolicyAttachment", vec![
            json!({"PolicyId": "cp-full", "PolicyName": "FullAliyunAccess"}),
            json!({"PolicyId": "cp-deny", "PolicyName": "DenyVpnConnectionDeletes"}),
        ])},
        "GetControlPolicy": {
            "cp-full": {"ControlPolicy": {"PolicyName": "FullAliyunAccess", "EffectScope": "All", "PolicyDocument": full}},
            "cp-deny": {"ControlPolicy": {"PolicyName": "DenyVpnConnectionDeletes", "EffectScope": "RAM", "PolicyDocument": deny}},
        },
    })
    .to_string()
}

fn bench(c: &mut Criterion) {
    let text = account(USERS);
    let large = account(40_000);
    let file = Path::new("generated-account.json");
    let snapshot = Snapshot::from_json(file, &text).expect("the generated snapshot is valid");
    let model = AccessModel::new(&snapshot).expect("the generated account compiles");
    let catalog = Catalog::builtin().expect("the built-in catalog is valid");
    let statements: usize = snapshot.policies.values().map(|p| p.document.statements().len()).sum();
    let with_resource = WhoCanQuery {
        action: "vpc:DeleteIpsecServer".to_owned(),
        resources: vec![format!("acs:vpc:cn-hangzhou:{ACCT}:vpnipsecserver/iss-1")],
        context: Context::new(),
    };
    let some_resource = WhoCanQuery { resources: Vec::new(), ..with_resource.clone() };
    let report = model.who_can(&with_resource, catalog).expect("who-can answers");
    let some = model.who_can(&some_resource, catalog).expect("who-can answers");
    let user = model.find("user7").expect("user7 exists");
    let what = model.what_can(user, catalog, &Context::new()).expect("what-can answers");
    eprintln!(
        "account: {} principals, {statements} statements, {} bytes of snapshot, {} distinct compiled sets; \
         who-can with a resource: {} allowed, {} conditional; on some resource: {} allowed, {} conditional; \
         what-can user7: {} actions",
        model.principals().len(),
        text.len(),
        model.compiled_sets(),
        report.allowed.len(),
        report.conditional.len(),
        some.allowed.len(),
        some.conditional.len(),
        what.actions.len(),
    );

    let mut group = c.benchmark_group("snapshot");
    group.sample_size(10);
    group.bench_function("load", |b| b.iter(|| Snapshot::from_json(file, black_box(&text)).expect("valid")));
    group.bench_function("load_40000_users", |b| {
        b.iter(|| Snapshot::from_json(file, black_box(&large)).expect("valid"))
    });
    group.bench_function("model", |b| b.iter(|| AccessModel::new(black_box(&snapshot)).expect("compiles")));
    group.finish();

    let mut group = c.benchmark_group("who_can");
    group.sample_size(10);
    group
        .bench_function("resource", |b| b.iter(|| model.who_can(black_box(&with_resource), catalog).expect("answers")));
    group.bench_function("some_resource", |b| {
        b.iter(|| model.who_can(black_box(&some_resource), catalog).expect("answers"))
    });
    // The decisions alone, one per principal: compiled sets against the
    // reference evaluator (a scan of every statement) as the baseline.
    let resource = format!("acs:vpc:cn-hangzhou:{ACCT}:vpnipsecserver/iss-1");
    let cases: Vec<_> = model
        .principals()
        .iter()
        .map(|p| {
            let set = model.policy_set(p).expect("every principal has a compiled set");
            (set, Request::new(p.principal().clone(), "vpc:DeleteIpsecServer", &resource))
        })
        .collect();
    let allowed = |reference: bool| {
        cases
            .iter()
            .filter(|(set, request)| {
                let request = black_box(request);
                let decision = if reference { set.policies().authorize(request) } else { set.authorize(request) };
                decision.outcome.is_allow()
            })
            .count()
    };
    assert_eq!(allowed(true), allowed(false), "the two evaluators agree");
    group.bench_function("decisions/compiled", |b| b.iter(|| allowed(false)));
    group.bench_function("decisions/reference", |b| b.iter(|| allowed(true)));
    group.finish();

    let mut group = c.benchmark_group("what_can");
    group.bench_function("user", |b| {
        b.iter(|| model.what_can(black_box(user), catalog, &Context::new()).expect("answers"))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
