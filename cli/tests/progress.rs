//! Progress bars: drawn on standard error when it is a terminal (a real
//! pseudo-terminal, from util-linux's `script`), never when it is not, and
//! never mixed into the JSON a command writes on standard output.

#![allow(clippy::unwrap_used, clippy::panic, reason = "tests unwrap what they just ran")]

mod common;

use std::process::{Command, Stdio};

/// Runs `ramguard ARGS > OUT` with standard error on a pseudo-terminal, and
/// returns what the terminal showed and what went to `OUT`.
fn on_a_terminal(args: &str) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let command = format!("'{}' {args} > '{}'", env!("CARGO_BIN_EXE_ramguard"), out.display());
    let ran = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(common::repo())
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("`script` runs a command on a terminal; install util-linux (bsdutils): {e}"));
    (String::from_utf8_lossy(&ran.stdout).into_owned(), std::fs::read_to_string(&out).unwrap())
}

fn without_a_terminal(args: &[&str]) -> (String, String) {
    let ran = Command::new(env!("CARGO_BIN_EXE_ramguard")).args(args).current_dir(common::repo()).output().unwrap();
    (String::from_utf8_lossy(&ran.stderr).into_owned(), String::from_utf8_lossy(&ran.stdout).into_owned())
}

#[test]
fn lint_draws_a_bar_on_a_terminal_and_keeps_its_json_clean() {
    let (terminal, json) = on_a_terminal("lint --format json policies");
    assert!(terminal.contains("linting ["), "{terminal:?}");
    // The bar is cleared when the work is done.
    assert!(terminal.contains("\u{1b}[2K"), "{terminal:?}");
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(report["files"].as_array().is_some_and(|f| !f.is_empty()));
    assert!(!json.contains('\u{1b}'));
    let (stderr, stdout) = without_a_terminal(&["lint", "--format", "json", "policies"]);
    assert!(!stderr.contains("linting") && !stderr.contains('\u{1b}'), "{stderr:?}");
    serde_json::from_str::<serde_json::Value>(&stdout).unwrap();
}

#[test]
fn test_and_validate_draw_their_bars_only_on_a_terminal() {
    let (terminal, human) = on_a_terminal("test policies");
    assert!(terminal.contains("testing ["), "{terminal:?}");
    assert!(human.contains("passed, 0 failed") && !human.contains('\u{1b}'), "{human}");
    let (stderr, _) = without_a_terminal(&["test", "policies"]);
    assert!(!stderr.contains("testing") && !stderr.contains('\u{1b}'), "{stderr:?}");
    let (terminal, json) = on_a_terminal("validate --format json policies/network-ops-vpn.json");
    assert!(terminal.contains("validating ["), "{terminal:?}");
    serde_json::from_str::<serde_json::Value>(&json).unwrap();
}

#[test]
fn diff_and_the_audits_show_their_progress_only_on_a_terminal() {
    let (terminal, json) = on_a_terminal("diff --format json policies policies");
    assert!(terminal.contains("checking actions ["), "{terminal:?}");
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(report["result"], "pass");
    let (stderr, _) = without_a_terminal(&["diff", "policies", "policies"]);
    assert!(!stderr.contains("checking") && !stderr.contains('\u{1b}'), "{stderr:?}");
    let (terminal, json) =
        on_a_terminal("who-can --format json --snapshot tests/snapshots/account.json --action vpc:DeleteIpsecServer");
    assert!(terminal.contains("who-can"), "{terminal:?}");
    serde_json::from_str::<serde_json::Value>(&json).unwrap();
    let (stderr, _) = without_a_terminal(&[
        "who-can",
        "--snapshot",
        "tests/snapshots/account.json",
        "--action",
        "vpc:DeleteIpsecServer",
    ]);
    assert!(!stderr.contains("who-can") && !stderr.contains('\u{1b}'), "{stderr:?}");
}
