//! `ramguard lint` run as a user runs it: exit codes, the ignore file,
//! `--output`, directory expansion, unreadable files and the JSON shape.
//!
//! Only the RG001 rule (documents RAM rejects) is relied on, so these tests
//! hold whatever other rules a build has.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests unwrap and index what they just built"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::repo;

/// RAM rejects this document: `Allw` is no effect. One RG001 finding, at 1:43.
const BAD: &str =
    r#"{"Version": "1", "Statement": [{"Effect": "Allw", "Action": "ecs:DescribeInstances", "Resource": "*"}]}"#;

/// An identity policy with nothing for RG001 to say.
const GOOD: &str =
    r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "ecs:DescribeInstances", "Resource": "*"}]}"#;

/// A fresh directory for one test.
fn workdir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ramguard-lint-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

/// `ramguard lint ARGS` with `dir` as the current directory.
fn lint_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ramguard")).arg("lint").args(args).current_dir(dir).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(o)))
}

/// The files a JSON report lists, with their status.
fn statuses(v: &serde_json::Value) -> Vec<(String, String)> {
    v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["file"].as_str().unwrap().to_owned(), f["status"].as_str().unwrap().to_owned()))
        .collect()
}

#[test]
fn exit_codes_under_each_fail_on() {
    let dir = workdir("exit");
    write(&dir, "bad.json", BAD);
    write(&dir, "good.json", GOOD);
    for fail_on in ["error", "security", "warning", "suggestion"] {
        // An error is at or above every threshold.
        let o = lint_in(&dir, &["--fail-on", fail_on, "bad.json", "good.json"]);
        assert_eq!(code(&o), 2, "--fail-on {fail_on}: {}{}", stdout(&o), stderr(&o));
        let o = lint_in(&dir, &["--fail-on", fail_on, "good.json"]);
        assert_eq!(code(&o), 0, "--fail-on {fail_on}: {}{}", stdout(&o), stderr(&o));
    }
    // The default is `security`, and a bad value is a usage error.
    assert_eq!(code(&lint_in(&dir, &["bad.json"])), 2);
    let o = lint_in(&dir, &["--fail-on", "fatal", "bad.json"]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("fatal"), "{}", stderr(&o));
    // No path at all is a usage error too.
    assert_eq!(code(&lint_in(&dir, &[])), 1);
}

#[test]
fn human_report_points_at_the_finding() {
    let dir = workdir("human");
    write(&dir, "bad.json", BAD);
    let o = lint_in(&dir, &["bad.json"]);
    let out = stdout(&o);
    // `"Allw"` is character 43: `{"Version": "1", "Statement": [{"Effect": ` is 42 long.
    assert!(out.contains("error RG001[invalid-policy]: invalid effect `Allw`"), "{out}");
    assert!(out.contains(" --> bad.json:1:43 at Statement[0].Effect\n"), "{out}");
    assert!(out.contains(&format!("  | {}^\n", " ".repeat(42))), "{out}");
    assert!(out.ends_with("summary: 1 file, 1 error, 0 security warnings, 0 warnings, 0 suggestions\n"), "{out}");
}

#[test]
fn ignore_file_by_code_by_name_by_glob_and_by_code_in_file() {
    let dir = workdir("ignore");
    write(&dir, "bad.json", BAD);
    write(&dir, "legacy/old.json", BAD);
    let args = ["--format", "json", "bad.json", "legacy/old.json"];

    // No ignore file: both findings count.
    let o = lint_in(&dir, &args);
    assert_eq!(code(&o), 2);
    assert_eq!(json(&o)["summary"]["error"], 2);

    // By code, in the default `.ramguardignore`.
    write(&dir, ".ramguardignore", "# accepted for now\nRG001\n");
    let o = lint_in(&dir, &args);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert_eq!((json(&o)["summary"]["error"].as_u64(), json(&o)["summary"]["ignored"].as_u64()), (Some(0), Some(2)));

    // By name.
    write(&dir, ".ramguardignore", "invalid-policy   # by its name\n");
    assert_eq!(code(&lint_in(&dir, &args)), 0);

    // By file glob: only the legacy file is ignored.
    write(&dir, ".ramguardignore", "legacy/*.json\n");
    let o = lint_in(&dir, &args);
    assert_eq!(code(&o), 2);
    let v = json(&o);
    assert_eq!(statuses(&v), [("bad.json".into(), "findings".into()), ("legacy/old.json".into(), "ok".into())]);
    assert_eq!(v["files"][1]["ignored"], 1);

    // By code in a file: the same, spelt as RULE FILE-GLOB.
    write(&dir, ".ramguardignore", "\nRG001 legacy/*.json\n");
    let v = json(&lint_in(&dir, &args));
    assert_eq!(v["summary"]["error"], 1);
    assert_eq!(v["files"][0]["findings"][0]["file"], "bad.json");

    // A glob that matches nothing ignores nothing.
    write(&dir, ".ramguardignore", "RG001 other/*.json\n");
    assert_eq!(json(&lint_in(&dir, &args))["summary"]["error"], 2);

    // `--ignore-file` takes another file instead of the default one.
    write(&dir, "lint.ignore", "bad.json\nlegacy/old.json\n");
    let o = lint_in(&dir, &["--ignore-file", "lint.ignore", "bad.json", "legacy/old.json"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(stdout(&o).contains("bad.json: no findings (1 ignored)"), "{}", stdout(&o));
}

#[test]
fn unknown_rule_in_ignore_file_is_an_error_with_line_and_column() {
    let dir = workdir("ignore-typo");
    write(&dir, "bad.json", BAD);
    write(&dir, ".ramguardignore", "# typo below\nRG001 legacy/*.json\n  RG0O1\n");
    let o = lint_in(&dir, &["bad.json"]);
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    assert!(stdout(&o).is_empty(), "no report on a bad ignore file: {}", stdout(&o));
    assert!(stderr(&o).contains(".ramguardignore:3:3: unknown rule `RG0O1`"), "{}", stderr(&o));

    write(&dir, "other.ignore", "shadowed-statment policies/*.json\n");
    let o = lint_in(&dir, &["--ignore-file", "other.ignore", "bad.json"]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("other.ignore:1:1: unknown rule `shadowed-statment`"), "{}", stderr(&o));

    // A missing `--ignore-file` is an error; a missing default one is not.
    let o = lint_in(&dir, &["--ignore-file", "nowhere.ignore", "bad.json"]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("nowhere.ignore: cannot read"), "{}", stderr(&o));
}

#[test]
fn output_writes_the_report_and_still_exits_by_findings() {
    let dir = workdir("output");
    write(&dir, "bad.json", BAD);
    let o = lint_in(&dir, &["--format", "sarif", "--output", "out/report.sarif", "bad.json"]);
    // The directory does not exist: writing fails, exit 1.
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("out/report.sarif: cannot write"), "{}", stderr(&o));

    let o = lint_in(&dir, &["--format", "sarif", "--output", "report.sarif", "bad.json"]);
    assert_eq!(code(&o), 2);
    assert!(stdout(&o).is_empty(), "{}", stdout(&o));
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report.sarif")).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "RG001");
    assert_eq!(result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "bad.json");
    assert_eq!(
        result["locations"][0]["physicalLocation"]["region"],
        serde_json::json!({"startLine": 1, "startColumn": 43})
    );

    let o = lint_in(&dir, &["--format", "junit", "--output", "report.xml", "bad.json"]);
    assert_eq!(code(&o), 2);
    let xml = std::fs::read_to_string(dir.join("report.xml")).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    assert_eq!(doc.root_element().attribute("failures"), Some("1"));
}

#[test]
fn directories_contribute_their_json_files_recursively_but_not_suites_or_hidden_ones() {
    let dir = workdir("dirs");
    write(&dir, "policies/b.json", BAD);
    write(&dir, "policies/a.json", GOOD);
    write(&dir, "policies/a.suite.json", "not even JSON");
    write(&dir, "policies/notes.txt", "not a policy");
    write(&dir, "policies/nested/c.json", BAD);
    write(&dir, "policies/.drafts/d.json", BAD);
    write(&dir, "policies/world.json", r#"{"clock": 0}"#);
    let o = lint_in(&dir, &["--format", "json", "policies"]);
    assert_eq!(code(&o), 2);
    assert_eq!(
        statuses(&json(&o)),
        [
            ("policies/a.json".into(), "ok".into()),
            ("policies/b.json".into(), "findings".into()),
            ("policies/nested/c.json".into(), "findings".into())
        ]
    );
    // JSON that is not policy-shaped is skipped and listed, as in `diff`.
    assert_eq!(json(&o)["skipped"], serde_json::json!(["policies/world.json"]));
    // An absolute path under the current directory is reported relative to it.
    let absolute = dir.join("policies").display().to_string();
    let v = json(&lint_in(&dir, &["--format", "json", &absolute]));
    assert_eq!(v["files"][1]["file"], "policies/b.json");
}

#[test]
fn an_unreadable_file_is_reported_among_the_others_and_exits_1() {
    let dir = workdir("unreadable");
    write(&dir, "bad.json", BAD);
    write(&dir, "good.json", GOOD);
    std::fs::write(dir.join("latin1.json"), b"{\"Sid\": \"caf\xe9\"}").unwrap();
    let o = lint_in(&dir, &["--format", "json", "good.json", "missing.json", "bad.json", "latin1.json"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(stderr(&o).contains("2 files could not be read"), "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(
        statuses(&v),
        [
            ("bad.json".into(), "findings".into()),
            ("good.json".into(), "ok".into()),
            ("latin1.json".into(), "unreadable".into()),
            ("missing.json".into(), "unreadable".into()),
        ]
    );
    assert!(v["files"][3]["error"].as_str().unwrap().starts_with("cannot read"), "{v}");
    assert_eq!((v["summary"]["unreadable"].as_u64(), v["summary"]["error"].as_u64()), (Some(2), Some(1)));

    // The human report says so too, and so does SARIF.
    let human = stdout(&lint_in(&dir, &["good.json", "missing.json"]));
    assert!(human.contains("missing.json: error: cannot read"), "{human}");
    let sarif: serde_json::Value =
        serde_json::from_slice(&lint_in(&dir, &["--format", "sarif", "missing.json"]).stdout).unwrap();
    assert_eq!(sarif["runs"][0]["invocations"][0]["executionSuccessful"], false);
}

#[test]
fn json_report_shape() {
    let dir = workdir("json");
    write(&dir, "bad.json", BAD);
    write(&dir, "good.json", GOOD);
    let o = lint_in(&dir, &["--format", "json", "good.json", "bad.json"]);
    let v = json(&o);
    let top: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(top, ["files", "rules", "skipped", "summary", "tool"]);
    assert_eq!(v["skipped"], serde_json::json!([]));
    assert_eq!(v["files"][0]["kind"], "identity");
    let f = &v["files"][0]["findings"][0];
    assert_eq!(
        f,
        &serde_json::json!({
            "code": "RG001", "rule": "invalid-policy", "severity": "error", "file": "bad.json",
            "path": "Statement[0].Effect", "line": 1, "column": 43,
            "message": "invalid effect `Allw`: expected `Allow` or `Deny`",
            "help": f["help"].clone(),
        })
    );
    assert!(f["help"].as_str().unwrap().contains("Allow"), "{f}");
    assert_eq!(
        v["summary"],
        serde_json::json!({
            "files": 2, "unreadable": 0, "findings": 1, "error": 1, "security-warning": 0,
            "warning": 0, "suggestion": 0, "ignored": 0, "unchecked": 0,
        })
    );
    assert_eq!(v["rules"][0]["code"], "RG001");
    assert_eq!(v["rules"].as_array().unwrap().len(), 1);
}

#[test]
fn kind_and_catalog_flags() {
    let dir = workdir("kind");
    write(&dir, "good.json", GOOD);
    // Read as a resource policy, the identity policy lacks `Principal`.
    let o = lint_in(&dir, &["--kind", "resource", "--format", "json", "good.json"]);
    assert_eq!(code(&o), 2);
    assert!(json(&o)["files"][0]["findings"][0]["message"].as_str().unwrap().contains("Principal"));
    assert_eq!(code(&lint_in(&dir, &["--kind", "identity", "good.json"])), 0);

    write(&dir, "extra.json", r#"{"operations": []}"#);
    assert_eq!(code(&lint_in(&dir, &["--catalog", "extra.json", "good.json"])), 0);
    write(&dir, "broken.json", r#"{"x": 1}"#);
    let o = lint_in(&dir, &["--catalog", "broken.json", "good.json"]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("broken.json"), "{}", stderr(&o));
}

#[test]
fn size_limit_is_lifted_on_request() {
    let dir = workdir("size");
    // An identity policy over RAM's 6,144-character limit.
    let actions: Vec<String> = (0..400).map(|i| format!("\"ecs:DescribeInstance{i:04}\"")).collect();
    let big = format!(
        r#"{{"Version": "1", "Statement": [{{"Effect": "Allow", "Action": [{}], "Resource": "*"}}]}}"#,
        actions.join(", ")
    );
    assert!(big.len() > 6144);
    write(&dir, "big.json", &big);
    let o = lint_in(&dir, &["--format", "json", "big.json"]);
    assert_eq!(code(&o), 2, "{}", stdout(&o));
    assert_eq!(code(&lint_in(&dir, &["--no-size-limit", "big.json"])), 0);
}

#[test]
fn control_and_session_documents_are_chosen_by_path() {
    let dir = workdir("kinds-by-path");
    // A control policy starts from Allow * on *: an allow-all grant only in
    // an identity policy.
    let control = r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "vpc:Delete*", "Resource": "*"}]}"#;
    write(&dir, "org/guardrails-control.json", control);
    write(&dir, "org/readonly-session.json", control);
    write(&dir, "team/ops.json", control);

    let codes = |o: &Output| -> Vec<(String, String)> {
        json(o)["files"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|f| {
                let file = f["file"].as_str().unwrap().to_owned();
                f["findings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(move |x| (file.clone(), x["code"].as_str().unwrap().to_owned()))
            })
            .collect()
    };
    let all = ["--format", "json", "org", "team"];

    let o = lint_in(&dir, &all);
    assert_eq!(code(&o), 2, "{}", stdout(&o));
    assert_eq!(codes(&o).iter().filter(|(_, c)| c == "RG101").count(), 3, "{:?}", codes(&o));

    // By file name alone, and by the path relative to the directory given.
    let mut args = vec!["--control", "*-control.json", "--session", "*-session.json"];
    args.extend_from_slice(&all);
    let o = lint_in(&dir, &args);
    assert_eq!(code(&o), 2, "{}", stdout(&o));
    assert_eq!(codes(&o), [("team/ops.json".to_owned(), "RG101".to_owned())]);
    let o = lint_in(
        &dir,
        &["--format", "json", "--control", "org/guardrails-control.json", "--session", "org/*-session.json", "."],
    );
    assert_eq!(code(&o), 2, "{}", stdout(&o));
    assert_eq!(codes(&o), [("team/ops.json".to_owned(), "RG101".to_owned())]);
    // The path as reported is not what globs see: one that matches no
    // document is an error.
    let o = lint_in(&dir, &["--session", "org/*-session.json", "org", "team"]);
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    assert!(stderr(&o).contains("--session `org/*-session.json` matches no document"), "{}", stderr(&o));

    // The globs outrank --kind.
    let o = lint_in(&dir, &["--kind", "identity", "--control", "*", "--format", "json", "org", "team"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(codes(&o).is_empty(), "{:?}", codes(&o));

    let o = lint_in(&dir, &["--control", "[", "org"]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("--control `[`"), "{}", stderr(&o));
}

/// The human report shown in `docs/lint.md` is what `ramguard lint` prints
/// for the files it describes, character for character.
#[test]
fn the_documented_human_report_is_the_real_one() {
    let doc = std::fs::read_to_string(repo().join("docs/lint.md")).unwrap();
    let (_, after) = doc.split_once("bad.json: 1 error").expect("the example in docs/lint.md");
    let shown = format!("bad.json: 1 error{}", after.split("```").next().unwrap());
    let dir = workdir("documented");
    write(
        &dir,
        "bad.json",
        "{\n  \"Version\": \"1\",\n  \"Statement\": [\n    {\n    \"Effect\": \"Allw\", \"Action\": \"ecs:*\", \"Resource\": \"*\"\n    }\n  ]\n}\n",
    );
    write(&dir, "ok.json", GOOD);
    let o = lint_in(&dir, &["bad.json", "missing.json", "ok.json"]);
    assert_eq!(code(&o), 1);
    assert_eq!(stdout(&o), shown);
}
