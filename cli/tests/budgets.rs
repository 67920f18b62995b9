//! Searches and budgets that run out answer "undecided" and say so, on the
//! RAM-valid fixtures of `tests/fixtures/budgets/` (written by its
//! `generate.py`):
//!
//! - `witness-long.json`: user `long-ids` whose one 6,131-character policy
//!   allows `vpc:DeleteIpsecServer` on IPsec servers with ids of thousands
//!   of `?`: a real grant, cheap to find.
//! - `witness-undecided.json`: user `star-ids` whose one 6,131-character
//!   policy allows it on `*?*?…*?`: the witness search needs millions of
//!   steps, more than its budget.
//! - `overlap.json`: user `overlap`, allowed on `…/vpnipsecserver/*a*a…*`
//!   and denied on `…/vpnipsecserver/*b*b…*` (4,000 tokens each), whose
//!   overlap needs 16 million steps to settle.
//! - `lint-pairwise.json`: a 6,075-character policy of two statements of 45
//!   `*`- and `?`-heavy resource patterns each.
//! - `diff-4/`, `diff-8/`: four and eight policies of about 6,100
//!   characters, each an Allow of 750 `*<three letters>*` patterns (for the
//!   `budgets` bench; the memory budget itself is tested in
//!   `src/audit/diff/strings.rs`, on a family small enough for a debug build).

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests unwrap and index what they just built"
)]

mod common;

use std::path::PathBuf;
use std::process::{Command, Output};

use ramguard::access::{AccessModel, WhoCanQuery};
use ramguard::catalog::Catalog;
use ramguard::lint::{LintOptions, PAIRWISE_STEPS, lint_document};
use ramguard::snapshot::Snapshot;
use ramguard::{Context, Limits};

fn fixture(name: &str) -> PathBuf {
    common::repo().join("tests/fixtures/budgets").join(name)
}

fn ramguard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ramguard")).args(args).output().unwrap()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stdout)))
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

/// The one custom policy document of a fixture snapshot.
fn document(snapshot: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(fixture(snapshot)).unwrap()).unwrap();
    let versions = v["GetPolicyVersion"]["Custom"].as_object().unwrap();
    assert_eq!(versions.len(), 1);
    let (_, version) = versions.iter().next().unwrap();
    version["PolicyVersion"]["PolicyDocument"].as_str().unwrap().to_owned()
}

#[test]
fn the_fixtures_are_ram_valid() {
    for (snapshot, size) in [("witness-long.json", 6131), ("witness-undecided.json", 6131)] {
        let text = document(snapshot);
        assert_eq!(text.chars().count(), size, "{snapshot}");
        ramguard::Policy::parse(snapshot, &text, ramguard::PolicyKind::Identity).unwrap();
    }
    let lint = std::fs::read_to_string(fixture("lint-pairwise.json")).unwrap();
    assert_eq!(lint.chars().count(), 6075);
    ramguard::Policy::parse("lint", &lint, ramguard::PolicyKind::Identity).unwrap();
    for dir in ["diff-4", "diff-8"] {
        for entry in std::fs::read_dir(fixture(dir)).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(text.chars().count() <= 6144, "{}", path.display());
            ramguard::Policy::parse("diff", &text, ramguard::PolicyKind::Identity).unwrap();
        }
    }
    // Each overlap policy on its own, as attached.
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("overlap.json")).unwrap()).unwrap();
    for (name, version) in v["GetPolicyVersion"]["Custom"].as_object().unwrap() {
        let text = version["PolicyVersion"]["PolicyDocument"].as_str().unwrap();
        assert!(text.chars().count() <= 6144, "{name}");
        ramguard::Policy::parse(name, text, ramguard::PolicyKind::Identity).unwrap();
    }
}

fn who_can(snapshot: &str) -> ramguard::access::WhoCanReport {
    let model = AccessModel::new(&Snapshot::load(&fixture(snapshot)).unwrap()).unwrap();
    let query =
        WhoCanQuery { action: "vpc:DeleteIpsecServer".to_owned(), resources: Vec::new(), context: Context::new() };
    model.who_can(&query, Catalog::builtin().unwrap()).unwrap()
}

#[test]
fn a_long_pattern_s_grant_is_found() {
    // The witness search used to refuse any pattern whose position pairs
    // with the template passed 262,144, so this grant went unreported.
    let report = who_can("witness-long.json");
    let names: Vec<&str> = report.allowed.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["long-ids"]);
    assert!(report.is_decided());
    let witness = &report.allowed[0].resources[0];
    assert!(witness.starts_with("acs:vpc:x:1234567890123456:vpnipsecserver/x"), "{witness}");
}

#[test]
fn a_principal_whose_witness_search_runs_out_is_undecided_not_denied() {
    let report = who_can("witness-undecided.json");
    assert!(report.allowed.is_empty());
    assert!(!report.is_decided());
    let undecided: Vec<&str> = report.undecided.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(undecided, ["star-ids"]);
    let reason = &report.undecided[0].reason;
    assert!(reason.contains("ran out of its budget"), "{reason}");
    assert!(reason.contains("(6036 characters)"), "{reason}");

    let path = fixture("witness-undecided.json");
    let args = ["who-can", "--snapshot", path.to_str().unwrap(), "--action", "vpc:DeleteIpsecServer"];
    let o = ramguard(&args);
    assert_eq!(o.status.code(), Some(3), "{}", stdout(&o));
    let text = stdout(&o);
    assert!(text.contains("allowed (0):"), "{text}");
    assert!(text.contains("undecided (1): a search ran out of its budget, so these may be allowed:"), "{text}");
    assert!(text.contains("user star-ids (acs:ram::1234567890123456:user/star-ids)"), "{text}");
    let o = ramguard(&[&args[..], &["--format", "json"]].concat());
    assert_eq!(o.status.code(), Some(3));
    let v = json(&o);
    assert_eq!(v["allowed"], serde_json::json!([]));
    assert_eq!(v["undecided"][0]["name"], "star-ids");
    assert_eq!(v["undecided"][0]["kind"], "user");
    assert!(v["undecided"][0]["reason"].as_str().unwrap().contains("budget"));

    // A grant found elsewhere answers the question: exit 0, the undecided
    // principal still listed.
    let long = fixture("witness-long.json");
    let o = ramguard(&["who-can", "--snapshot", long.to_str().unwrap(), "--action", "vpc:DeleteIpsecServer"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn what_can_lists_an_undecided_grant() {
    let path = fixture("witness-undecided.json");
    let args = ["what-can", "--snapshot", path.to_str().unwrap(), "--principal", "star-ids"];
    let o = ramguard(&args);
    assert_eq!(o.status.code(), Some(3), "{}", stdout(&o));
    assert!(stdout(&o).contains("undecided (1): a search ran out of its budget, so these may be granted:"));
    let o = ramguard(&[&args[..], &["--format", "json"]].concat());
    assert_eq!(o.status.code(), Some(3));
    let v = json(&o);
    assert_eq!(v["actions"], serde_json::json!([]));
    assert_eq!(v["undecided"][0]["action"], "vpc:DeleteIpsecServer");
    assert!(v["undecided"][0]["pattern"].as_str().unwrap().starts_with("*?*?"));
}

#[test]
fn an_overlap_too_costly_to_settle_is_a_possible_denial() {
    let path = fixture("overlap.json");
    let args = ["what-can", "--snapshot", path.to_str().unwrap(), "--principal", "overlap", "--format", "json"];
    let o = ramguard(&args);
    assert_eq!(o.status.code(), Some(3), "{}", stdout(&o));
    let v = json(&o);
    let grant = &v["actions"][0]["resources"][0];
    assert_eq!(v["actions"][0]["action"], "vpc:DeleteIpsecServer");
    assert_eq!(grant["partially_denied_by"], serde_json::json!([]));
    assert_eq!(grant["possibly_denied_by"][0]["policy"], "DenyB");
    let o = ramguard(&args[..5]);
    let text = stdout(&o);
    assert!(
        text.contains("possibly partly denied by DenyB#0 (undecided: the overlap search ran out of its budget)"),
        "{text}"
    );
}

#[test]
fn lint_reports_the_pairwise_rules_its_budget_left_unchecked() {
    let text = std::fs::read_to_string(fixture("lint-pairwise.json")).unwrap();
    let limits = Limits::default();
    let options = LintOptions { catalog: Catalog::builtin().unwrap(), limits: &limits, kind: None };
    let linted = lint_document("lint-pairwise.json", &text, &options);
    let unchecked = linted.unchecked.expect("a budget ran out");
    for code in ["RG206", "RG302"] {
        assert!(unchecked.rules.contains(&code), "{unchecked:?}");
    }
    assert_eq!(PAIRWISE_STEPS, 100_000_000);
    assert!(unchecked.reason.contains("more than 100,000,000 glob steps"), "{}", unchecked.reason);

    let path = fixture("lint-pairwise.json");
    let file = path.to_str().unwrap();
    // RG206 and RG302 are below `security`: the default pass stands.
    let o = ramguard(&["lint", file]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("note: not fully checked: RG206"), "{}", stdout(&o));
    // At `warning`, RG206 could fail the run: undecided (the size warning
    // aside, which `--no-size-limit` lifts). Every format says so (see
    // `tests/report.rs`); here the JSON.
    let o = ramguard(&["lint", "--fail-on", "warning", "--no-size-limit", "--format", "json", file]);
    assert_eq!(o.status.code(), Some(3), "{}", stdout(&o));
    let v = json(&o);
    assert_eq!(v["files"][0]["status"], "unchecked");
    assert!(v["files"][0]["unchecked"]["rules"].as_array().unwrap().contains(&serde_json::json!("RG206")));
    assert_eq!(v["summary"]["unchecked"], 1);
}
