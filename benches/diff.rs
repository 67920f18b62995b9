//! Time of `ramguard::diff` on the example policies of `policies/`: the set
//! against itself (no new access: every representative request is
//! searched), and against the set without its office-network Deny (new
//! access: the search of each action stops at its first counterexample).
//! Also the representative values alone. Run with
//! `cargo bench --bench diff -- --warm-up-time 1 --measurement-time 3`.

#![allow(clippy::expect_used, reason = "benchmark set-up stops on unreadable example policies")]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use ramguard::diff::{DiffOptions, Universe, diff};
use ramguard::{Policy, PolicyKind, PolicySet};

const EXAMPLES: [(&str, PolicyKind); 6] = [
    ("network-ops-vpn.json", PolicyKind::Identity),
    ("deny-deletes-outside-office.json", PolicyKind::Identity),
    ("require-mfa-for-deletes.json", PolicyKind::Identity),
    ("ecr-revoke-vbr-only.json", PolicyKind::Identity),
    ("zstack-ipsec-operator.json", PolicyKind::Identity),
    ("change-window-control.json", PolicyKind::Control),
];

fn examples(skip: Option<&str>) -> PolicySet {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    let mut set = PolicySet::new();
    for (file, kind) in EXAMPLES.iter().filter(|(f, _)| Some(*f) != skip) {
        let text = std::fs::read_to_string(dir.join(file)).expect("example policy");
        set.add(Policy::parse(file, &text, *kind).expect("valid example policy"));
    }
    set
}

fn bench(c: &mut Criterion) {
    let all = examples(None);
    let without_deny = examples(Some("deny-deletes-outside-office.json"));
    let options = DiffOptions::default();
    let mut group = c.benchmark_group("diff");
    group.bench_function("universe", |b| {
        b.iter(|| Universe::new(black_box(&[&all, &without_deny]), &[], &options).expect("universe"));
    });
    group.bench_function("no_new_access", |b| {
        b.iter(|| diff(black_box(&all), black_box(&all), &options).expect("diff"));
    });
    group.bench_function("new_access", |b| {
        b.iter(|| diff(black_box(&all), black_box(&without_deny), &options).expect("diff"));
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
