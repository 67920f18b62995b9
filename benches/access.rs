//! Account-wide questions on a generated account of 1,000 principals (900
//! users, 100 roles) and 10,000 statements (250 custom policies of 40).
//!
//! Benchmarks: `snapshot/load` (read the single-file snapshot, parse every
//! document), `snapshot/load_40000_users` (the same account with 40,000
//! users, for how loading grows with the listings), `snapshot/model` (the
//! principals and their distinct policy sets, compiled when a question needs them),
//! `who_can/resource` and `who_can/some_resource` (one question over every
//! principal, with a resource and with witnesses), and `what_can/user` (one
//! principal over the whole built-in catalog), and `scaled/who_can_2000` and
//! `scaled/what_can_2000` (the same account at 2,000 principals and 20,000
//! statements, whose figures against the 1,000 show the growth). Run with
//! `cargo bench --bench access`; `cargo test --benches` runs each once.
//!
//! The account is generated deterministically (`common/account.rs`, which
//! `examples/generate_account.rs` writes to a file at larger scales).

#![allow(
    clippy::indexing_slicing,
    clippy::expect_used,
    reason = "benchmark set-up indexes fixed tables and stops on invalid generated data"
)]

#[path = "common/account.rs"]
mod account;
mod common;

use std::hint::black_box;
use std::path::Path;

use account::{ACCT, Shape, account};
use criterion::{Criterion, criterion_group, criterion_main};
use ramguard::access::{AccessModel, WhoCanQuery};
use ramguard::catalog::Catalog;
use ramguard::snapshot::Snapshot;
use ramguard::{Context, Request};

fn bench(c: &mut Criterion) {
    let text = account(Shape::scaled(1));
    let large = account(Shape { users: 40_000, ..Shape::scaled(1) });
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

    // Twice the account: the model is built once, each question compiles
    // the sets it needs, so these include compiling.
    let scaled = Snapshot::from_json(file, &account(Shape::scaled(2))).expect("the generated snapshot is valid");
    let scaled = AccessModel::new(&scaled).expect("the generated account compiles");
    let scaled_user = scaled.find("user7").expect("user7 exists");
    let mut group = c.benchmark_group("scaled");
    group.sample_size(10);
    group.bench_function("who_can_2000", |b| {
        b.iter(|| scaled.who_can(black_box(&some_resource), catalog).expect("answers"))
    });
    group.bench_function("what_can_2000", |b| {
        b.iter(|| scaled.what_can(black_box(scaled_user), catalog, &Context::new()).expect("answers"))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
