//! The budgets of the wildcard searches, on the pathological RAM-valid
//! fixtures of `tests/fixtures/budgets/` (see `cli/tests/budgets.rs` for what
//! each holds):
//!
//! - `who_can/long_ids`: a 6,131-character policy of `?`-heavy ids, whose
//!   grant is found.
//! - `who_can/undecided`: a 6,131-character `*?*?…` policy, whose witness
//!   search runs out of its budget (the principal is undecided).
//! - `what_can/overlap`: an Allow and a Deny of 4,000 tokens each, whose
//!   overlap runs out of its budget (a possible denial).
//! - `lint/pairwise`: a 6,075-character policy of 90 `*`/`?`-heavy resource
//!   patterns, whose pairwise rules run out of the document's budget.
//! - `diff/four_files`: four 6,100-character policies of 750 patterns each
//!   against themselves, whose representative-string search stops at its
//!   memory budget.
//!
//! Run with `cargo bench --bench budgets`; `cargo test --benches` runs each
//! once. Peak memory is measured on the command line (see `docs/lint.md`,
//! `docs/snapshot.md` and `docs/diff.md`).

#![allow(clippy::expect_used, reason = "benchmark set-up stops on unreadable fixtures")]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use ramguard::access::{AccessModel, WhoCanQuery};
use ramguard::catalog::Catalog;
use ramguard::diff::{DiffOptions, diff};
use ramguard::lint::{LintOptions, lint_document};
use ramguard::snapshot::Snapshot;
use ramguard::{Context, Limits, Policy, PolicyKind, PolicySet};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/budgets").join(name)
}

fn model(name: &str) -> AccessModel {
    AccessModel::new(&Snapshot::load(&fixture(name)).expect("fixture snapshot")).expect("model")
}

fn policies(dir: &str) -> PolicySet {
    let mut set = PolicySet::new();
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(fixture(dir)).expect("fixture directory").map(|e| e.expect("entry").path()).collect();
    files.sort();
    for path in files {
        let text = std::fs::read_to_string(&path).expect("fixture policy");
        set.add(Policy::parse(&path.display().to_string(), &text, PolicyKind::Identity).expect("valid policy"));
    }
    set
}

fn bench(c: &mut Criterion) {
    let catalog = Catalog::builtin().expect("catalog");
    let query =
        WhoCanQuery { action: "vpc:DeleteIpsecServer".to_owned(), resources: Vec::new(), context: Context::new() };
    let mut group = c.benchmark_group("budgets");
    group.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(5));
    for (name, snapshot) in [("who_can/long_ids", "witness-long.json"), ("who_can/undecided", "witness-undecided.json")]
    {
        let model = model(snapshot);
        group.bench_function(name, |b| b.iter(|| model.who_can(black_box(&query), catalog).expect("who-can")));
    }
    let overlap = model("overlap.json");
    let principal = overlap.find("overlap").expect("principal");
    group.bench_function("what_can/overlap", |b| {
        b.iter(|| overlap.what_can(black_box(principal), catalog, &Context::new()).expect("what-can"));
    });
    let text = std::fs::read_to_string(fixture("lint-pairwise.json")).expect("fixture");
    let limits = Limits::default();
    let options = LintOptions { catalog, limits: &limits, kind: None };
    group.bench_function("lint/pairwise", |b| {
        b.iter(|| lint_document("lint-pairwise.json", black_box(&text), &options))
    });
    let four = policies("diff-4");
    let diff_options = DiffOptions::default();
    group.bench_function("diff/four_files", |b| {
        b.iter(|| diff(black_box(&four), black_box(&four), &diff_options).expect("diff"));
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
