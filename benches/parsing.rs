//! Reading documents with very many members: a policy whose one condition
//! operator holds 100,000 keys (about 1 MB of JSON).
//!
//! Benchmarks: `parsing/auto_over_limit` (`--kind auto` with RAM's limits: the
//! document is over the identity limit and must be refused), `parsing/
//! unlimited` (the same document read with the limits lifted: every member is
//! checked against the others for duplicates), `parsing/duplicate_last` (its
//! last key repeats the first, so it is refused) and `parsing/auto_resource`
//! (a resource policy of the same size, which has no default limit, read with
//! `--kind auto`).
//!
//! And a document with very many errors: 20,000 statements on one line,
//! each with an invalid action (about 1.1 MB). `parsing/errors_located`
//! reads it with the limits lifted (20,000 errors, each with its line and
//! column) and `parsing/lint_human` lints it and renders the terminal report
//! (a snippet and caret under each finding). Both are one pass over the text;
//! locating each error or snippet from the start took 40 and 60 seconds.
//!
//! Run with
//! `cargo bench --bench parsing -- --warm-up-time 1 --measurement-time 2`.

#![allow(clippy::expect_used, reason = "benchmark set-up stops on unexpected results")]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use ramguard::catalog::Catalog;
use ramguard::lint::{LintOptions, lint_document};
use ramguard::report::{FileReport, Report};
use ramguard::{Limits, Policy, PolicyKind};

const MEMBERS: usize = 100_000;
const ERRORS: usize = 20_000;

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

    let statements = vec![r#"{"Effect":"Allow","Action":"bad","Resource":"*"}"#; ERRORS].join(",");
    let broken = format!(r#"{{"Version":"1","Statement":[{statements}]}}"#);
    let errors = Policy::parse_with_limits("p", &broken, PolicyKind::Identity, &unlimited).expect_err("invalid");
    assert_eq!(errors.errors().len(), ERRORS);
    let last = errors.errors().last().expect("errors").location();
    assert_eq!((last.line, last.column), (1, broken.rfind("\"bad\"").expect("an action") + 1));
    group.bench_function("errors_located", |b| {
        b.iter(|| Policy::parse_with_limits("p", black_box(&broken), PolicyKind::Identity, &unlimited))
    });
    let catalog = Catalog::builtin().expect("the built-in catalog");
    let options = LintOptions { catalog, limits: &unlimited, kind: Some(PolicyKind::Identity) };
    group.bench_function("lint_human", |b| {
        b.iter(|| {
            let linted = lint_document("p.json", black_box(&broken), &options);
            Report::new(vec![FileReport::new("p.json", Some(broken.clone()), linted.findings)]).human()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
