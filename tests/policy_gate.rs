//! `scripts/policy-gate.sh`, the CI job the README shows, run on a real git
//! repository: a pull request that newly grants `vpc:DeleteIpsecServer`
//! fails, one that only narrows passes.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests unwrap and index what they just built"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const MANIFEST: &str = env!("CARGO_MANIFEST_DIR");

/// The options the README's job passes for the bundled policies.
const GATE_OPTIONS: [&str; 2] = ["--control", "change-window-control.json"];

fn git(repo: &Path, args: &[&str]) {
    let o = Command::new("git")
        .args(["-c", "user.name=ramguard", "-c", "user.email=ramguard@example.com", "-c", "commit.gpgsign=false"])
        .args(args)
        .current_dir(repo)
        .output()
        .unwrap();
    assert!(o.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&o.stderr));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// A repository whose `main` holds the bundled policies, checked out on a
/// new branch `pr`.
fn repository(test: &str) -> PathBuf {
    let repo = std::env::temp_dir().join(format!("ramguard-gate-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&repo);
    copy_dir(&Path::new(MANIFEST).join("policies"), &repo.join("policies"));
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "base policies"]);
    git(&repo, &["checkout", "-q", "-b", "pr"]);
    repo
}

fn commit(repo: &Path, file: &str, text: &str) {
    std::fs::write(repo.join(file), text).unwrap();
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "-m", "change policies"]);
}

fn gate(repo: &Path) -> Output {
    let mut args = vec![format!("{MANIFEST}/scripts/policy-gate.sh"), "main".to_owned(), "policies".to_owned()];
    args.extend(GATE_OPTIONS.iter().map(|s| (*s).to_owned()));
    Command::new("bash").args(&args).env("RAMGUARD", env!("CARGO_BIN_EXE_ramguard")).current_dir(repo).output().unwrap()
}

fn out(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[test]
fn unchanged_policies_pass_the_gate() {
    let repo = repository("unchanged");
    let o = gate(&repo);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(out(&o).contains("allow nothing new"), "{}", out(&o));
}

#[test]
fn a_pull_request_that_newly_grants_delete_ipsec_server_fails() {
    let repo = repository("grant");
    commit(
        &repo,
        "policies/ipsec-cleanup.json",
        r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "vpc:DeleteIpsecServer",
            "Resource": "acs:vpc:*:*:vpnipsecserver/*"}]}"#,
    );
    let o = gate(&repo);
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    let text = out(&o);
    assert!(text.contains("NEW ACCESS"), "{text}");
    assert!(text.contains("vpc:DeleteIpsecServer on acs:vpc:"), "{text}");
    assert!(text.contains("ipsec-cleanup.json"), "{text}");
}

#[test]
fn a_pull_request_that_only_narrows_passes() {
    let repo = repository("narrow");
    // A new Deny can only take access away.
    commit(
        &repo,
        "policies/deny-deletes-from-lab.json",
        r#"{"Version": "1", "Statement": [{"Effect": "Deny", "Action": "vpc:Delete*", "Resource": "*",
            "Condition": {"IpAddress": {"acs:SourceIp": "192.0.2.0/24"}}}]}"#,
    );
    let o = gate(&repo);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(out(&o).contains("no new access"), "{}", out(&o));
}

#[test]
fn a_pull_request_with_an_allow_all_fails_the_lint_step() {
    let repo = repository("lint");
    commit(
        &repo,
        "policies/break-glass.json",
        r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#,
    );
    let o = gate(&repo);
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    assert!(out(&o).contains("RG101[allow-all]"), "{}", out(&o));
}

#[test]
fn a_broken_policy_makes_the_gate_an_error() {
    let repo = repository("broken");
    commit(&repo, "policies/broken.json", r#"{"Version": "1", "Statement": [{"Effect": "Alow"}"#);
    let o = gate(&repo);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(out(&o).contains("broken.json"), "{}", out(&o));
}

#[test]
fn the_gate_refuses_arguments_it_does_not_know() {
    let repo = repository("arguments");
    let script = format!("{MANIFEST}/scripts/policy-gate.sh");
    let run = |args: &[&str]| {
        Command::new("bash")
            .arg(&script)
            .args(args)
            .env("RAMGUARD", env!("CARGO_BIN_EXE_ramguard"))
            .current_dir(&repo)
            .output()
            .unwrap()
    };
    let o = run(&["main", "policies", "--frobnicate"]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(out(&o).contains("unknown option --frobnicate"), "{}", out(&o));
    let o = run(&["main", "policies", "--control"]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(out(&o).contains("--control needs a glob"), "{}", out(&o));
    let o = run(&["no-such-branch"]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(out(&o).contains("no common history with no-such-branch"), "{}", out(&o));
}
