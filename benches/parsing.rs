//! Reading documents with very many members: a policy whose one condition
//! operator holds 100,000 keys (about 1 MB of JSON).
//!
//! Benchmarks: `parsing/auto_over_limit` (`--kind auto` with RAM's limits: the
//! document is over the identity limit and must be refused), `parsing/
//! unlimited` (the same document read with the limits lifted: every member is
//! checked against the others for duplicates), `parsing/duplicate_last` (its
//! last key repeats the first, so it is refused) and `parsing/auto_resource`
//! (a resource policy of the same size, which has no default limit, read with
//! `--kind auto`). Run with
//! `cargo bench --bench parsing -- --warm-up-time 1 --measurement-time 2`.

#![allow(clippy::expect_used, reason = "benchmark set-up stops on unexpected results")]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use ramguard::{Limits, Policy, PolicyKind};

const MEMBERS: usize = 100_000;

/// A policy with `MEMBERS` condition keys; `principal` makes it a resource
/// policy, `repeat_first` makes its last key a copy of its first.
fn document(principal: bool, repeat_first: bool) -> String {
    let mut keys: Vec<String> = (0..MEMBERS).map(|i| format!("\"k{i}\":\"v\"")).collect();
    if repeat_first && let Some(last) = keys.last_mut() {
        *last = "\"k0\":\"v\"".to_owned();
    }
    let principal = if principal { "\"Principal\":{\"RAM\":[\"acs:ram::1234567890123456:root\"]}," } else { "" };
    format!(
        "{{\"Version\":\"1\",\"Statement\":[{{\"Effect\":\"Allow\",\"Action\":\"oss:GetObject\",\"Resource\":\"*\",{principal}\"Condition\":{{\"StringEquals\":{{{}}}}}}}]}}",
        keys.join(",")
    )
}

fn bench(c: &mut Criterion) {
    let identity = document(false, false);
    let resource = document(true, false);
    let duplicate = document(false, true);
    eprintln!("documents of {} bytes with {MEMBERS} condition keys", identity.len());
    let limits = Limits::default();
    let unlimited = Limits::unlimited();
    assert!(Policy::parse_auto("p", &identity, &limits).is_err(), "over the identity limit");
    assert!(Policy::parse_with_limits("p", &identity, PolicyKind::Identity, &unlimited).is_ok());
    assert!(Policy::parse_with_limits("p", &duplicate, PolicyKind::Identity, &unlimited).is_err());
    assert_eq!(Policy::parse_auto("p", &resource, &limits).expect("no resource limit").kind(), PolicyKind::Resource);

    let mut group = c.benchmark_group("parsing");
    group.sample_size(10);
    group.bench_function("auto_over_limit", |b| b.iter(|| Policy::parse_auto("p", black_box(&identity), &limits)));
    group.bench_function("unlimited", |b| {
        b.iter(|| Policy::parse_with_limits("p", black_box(&identity), PolicyKind::Identity, &unlimited))
    });
    group.bench_function("duplicate_last", |b| {
        b.iter(|| Policy::parse_with_limits("p", black_box(&duplicate), PolicyKind::Identity, &unlimited))
    });
    group.bench_function("auto_resource", |b| b.iter(|| Policy::parse_auto("p", black_box(&resource), &limits)));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
