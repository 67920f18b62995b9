//! How `validate`, `lint`, `diff` and `test` choose and read policy files:
//! one rule for all of them (recursion, globs relative to the directory
//! given, hidden entries and suites skipped, only regular files, a cap on
//! the bytes read, symlinked directories walked once).

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests unwrap and index what they just built"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const ALLOW_ALL: &str = r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#;
const DESCRIBE: &str =
    r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "vpc:DescribeVpcs", "Resource": "*"}]}"#;

fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ramguard-inputs-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Runs ramguard in `dir`; a run that has not ended after a minute is
/// killed and fails the test (a FIFO or a symlink maze would hang it).
fn ramguard(dir: &Path, args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ramguard"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("ramguard {args:?} did not finish: it hangs");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status();
    match status {
        Ok(s) if s.success() => {}
        other => panic!("this test needs `mkfifo` (coreutils) to make a FIFO: {other:?}"),
    }
}

#[test]
fn a_fifo_is_refused_without_being_opened() {
    let dir = scratch("fifo");
    write(&dir.join("p/ok.json"), DESCRIBE);
    mkfifo(&dir.join("p/pipe.json"));
    for args in [
        &["validate", "p/pipe.json"][..],
        &["validate", "p"],
        &["lint", "p"],
        &["diff", "p", "p"],
        &["eval", "--identity", "p/pipe.json", "--action", "vpc:DescribeVpcs", "--resource", "*"],
    ] {
        let o = ramguard(&dir, args);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", text(&o));
        assert!(text(&o).contains("pipe.json"), "{args:?}: {}", text(&o));
        assert!(text(&o).contains("cannot read: a FIFO, not a regular file"), "{args:?}: {}", text(&o));
    }
}

#[test]
fn a_suite_s_policy_files_are_read_by_the_same_rule() {
    let dir = scratch("suite-files");
    let case =
        r#"{"name": "reads", "identity": ["p"], "action": "vpc:DescribeVpcs", "resource": "*", "expect": "Allow"}"#;
    let suite = |policy: &str| format!(r#"{{"policies": {{"p": "{policy}"}}, "cases": [{case}]}}"#);
    write(&dir.join("ok.json"), DESCRIBE);
    write(&dir.join("ok.suite.json"), &suite("ok.json"));
    let o = ramguard(&dir, &["test", "ok.suite.json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // A FIFO named by a suite is refused, not opened.
    mkfifo(&dir.join("pipe.json"));
    write(&dir.join("pipe.suite.json"), &suite("pipe.json"));
    let o = ramguard(&dir, &["test", "pipe.suite.json"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("pipe.json: cannot read: a FIFO, not a regular file"), "{}", text(&o));
    // A policy file over the cap is refused; lifting the limits lifts it.
    let big = format!("{}{}", DESCRIBE, " ".repeat(70_000 - DESCRIBE.len()));
    write(&dir.join("big.json"), &big);
    write(&dir.join("big.suite.json"), &suite("big.json"));
    let o = ramguard(&dir, &["test", "big.suite.json"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("big.json: cannot read: larger than 65536 bytes"), "{}", text(&o));
    let o = ramguard(&dir, &["test", "--no-size-limit", "big.suite.json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

/// Snapshots, catalogs, world files and ignore files are read by the same
/// rule as policies: a FIFO or a device is refused before it is opened.
#[cfg(target_os = "linux")]
#[test]
fn every_other_input_file_is_refused_when_not_a_regular_file() {
    let dir = scratch("other-inputs");
    write(&dir.join("p/ok.json"), DESCRIBE);
    mkfifo(&dir.join("pipe.json"));
    std::fs::create_dir_all(dir.join("snap")).unwrap();
    write(&dir.join("snap/ListUsers.json"), r#"{"Users": {"User": []}}"#);
    mkfifo(&dir.join("snap/ListRoles.json"));
    let who = ["who-can", "--action", "vpc:DescribeVpcs", "--snapshot"];
    let cases: Vec<(Vec<&str>, &str)> = vec![
        ([&who[..], &["pipe.json"]].concat(), "pipe.json: cannot read: a FIFO, not a regular file"),
        ([&who[..], &["/dev/zero"]].concat(), "/dev/zero: cannot read: a device, not a regular file"),
        ([&who[..], &["snap"]].concat(), "ListRoles.json: cannot read: a FIFO, not a regular file"),
        (vec!["lint", "--catalog", "/dev/zero", "p/ok.json"], "/dev/zero: cannot read: a device, not a regular file"),
        (vec!["lint", "--ignore-file", "pipe.json", "p/ok.json"], "pipe.json: cannot read: a FIFO, not a regular file"),
        (
            vec![
                "call",
                "--world",
                "pipe.json",
                "--operation",
                "vpc:DeleteVpnConnection",
                "--principal",
                "acs:ram::1:user/alice",
                "--identity",
                "p/ok.json",
            ],
            "pipe.json: cannot read: a FIFO, not a regular file",
        ),
    ];
    for (args, expected) in cases {
        let o = ramguard(&dir, &args);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", text(&o));
        assert!(text(&o).contains(expected), "{args:?}: {}", text(&o));
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_device_is_not_read_as_a_policy() {
    let dir = scratch("device");
    let o = ramguard(&dir, &["validate", "/dev/zero"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("/dev/zero: cannot read: a device, not a regular file"), "{}", text(&o));
}

#[test]
fn the_bytes_read_are_capped_and_no_size_limit_raises_the_cap() {
    let dir = scratch("cap");
    // A valid document of 70,000 bytes, mostly spaces.
    let big = format!("{}{}", DESCRIBE, " ".repeat(70_000 - DESCRIBE.len()));
    write(&dir.join("big.json"), &big);
    let o = ramguard(&dir, &["validate", "big.json"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains(
            "big.json: larger than 65536 bytes, the most read from one policy file (--no-size-limit raises it to 67108864)"
        ),
        "{}",
        text(&o)
    );
    let o = ramguard(&dir, &["validate", "--no-size-limit", "big.json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

#[test]
fn lint_and_validate_read_subdirectories_as_diff_does() {
    let dir = scratch("subdir");
    write(&dir.join("p/top.json"), DESCRIBE);
    write(&dir.join("p/team/grant.json"), ALLOW_ALL);
    write(&dir.join("p/.hidden/skip.json"), ALLOW_ALL);
    write(&dir.join("p/team/cases.suite.json"), r#"{"policies": {}, "cases": []}"#);
    let o = ramguard(&dir, &["lint", "--format", "json", "p"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let files: Vec<&str> = report["files"].as_array().unwrap().iter().map(|f| f["file"].as_str().unwrap()).collect();
    assert_eq!(files, ["p/team/grant.json", "p/top.json"]);
    assert!(text(&o).contains("RG101"), "{}", text(&o));
    let o = ramguard(&dir, &["validate", "p"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("p/team/grant.json: ok"), "{}", text(&o));
    assert!(!text(&o).contains("skip.json") && !text(&o).contains("suite"), "{}", text(&o));
}

#[test]
fn a_kind_glob_that_matches_nothing_is_an_error() {
    let dir = scratch("glob");
    write(&dir.join("p/control/window.json"), DESCRIBE);
    for command in ["lint", "validate"] {
        // The path as printed is not what globs see: they see the path
        // relative to the directory given.
        let o = ramguard(&dir, &[command, "--control", "p/control/*", "p"]);
        assert_eq!(o.status.code(), Some(1), "{command}: {}", text(&o));
        assert!(text(&o).contains("--control `p/control/*` matches no document"), "{command}: {}", text(&o));
    }
    let o = ramguard(&dir, &["diff", "--session", "readonly.json", "p", "p"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("--session `readonly.json` matches no document"), "{}", text(&o));
    // Relative to the directory, the same glob works for every command.
    for args in [&["lint", "--control", "control/*", "p"][..], &["validate", "--control", "control/*", "p"]] {
        let o = ramguard(&dir, args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", text(&o));
    }
    let o = ramguard(&dir, &["diff", "--control", "control/*", "p", "p"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

#[test]
fn lint_and_diff_list_each_file_with_the_kind_it_was_read_as() {
    let dir = scratch("kinds");
    write(&dir.join("p/control/window.json"), ALLOW_ALL);
    write(&dir.join("p/ops.json"), DESCRIBE);
    let o = ramguard(&dir, &["lint", "--control", "control/*", "p"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("p/control/window.json: no findings, read as a control policy"), "{}", text(&o));
    assert!(text(&o).contains("p/ops.json: no findings, read as an identity policy"), "{}", text(&o));
    let o = ramguard(&dir, &["lint", "--format", "json", "--control", "control/*", "p"]);
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["files"][0]["kind"], "control", "{report}");
    assert_eq!(report["files"][1]["kind"], "identity", "{report}");
    let o = ramguard(&dir, &["diff", "--control", "control/*", "p", "p"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("  control/window.json: control\n"), "{}", text(&o));
    assert!(text(&o).contains("  ops.json: identity\n"), "{}", text(&o));
}

#[cfg(unix)]
#[test]
fn symlinked_directories_are_walked_once() {
    let dir = scratch("symlinks");
    write(&dir.join("p/ops.json"), DESCRIBE);
    write(
        &dir.join("p/ops.suite.json"),
        r#"{"policies": {"ops": "ops.json"}, "cases": [{"name": "describe", "identity": ["ops"],
            "action": "vpc:DescribeVpcs", "resource": "*", "expect": "Allow"}]}"#,
    );
    // Each link points back at the directory: without a visited set the
    // walk would see 2^40 paths before the system's link limit stopped it.
    for name in ["a", "b", "c"] {
        std::os::unix::fs::symlink(".", dir.join("p").join(name)).unwrap();
    }
    std::os::unix::fs::symlink("../p", dir.join("p/up")).unwrap();
    let o = ramguard(&dir, &["diff", "p", "p"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("new: p (1 policy)"), "{}", text(&o));
    let o = ramguard(&dir, &["test", "p"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("1 passed, 0 failed"), "{}", text(&o));
    let o = ramguard(&dir, &["lint", "--format", "json", "p"]);
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["files"].as_array().unwrap().len(), 1, "{report}");
}
