//! The `ramguard` binary, run as a user runs it: exit codes, located
//! messages, and JSON that other tools can read.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests unwrap and index what they just built"
)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn ramguard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ramguard")).args(args).current_dir(common::repo()).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// A file under a fresh temporary directory, unique to the calling test.
fn temp_file(test: &str, name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ramguard-cli-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// The run failed as bad input (exit 1) and said `needle` on stderr.
fn assert_error(o: &Output, needle: &str) {
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(o), stderr(o));
    assert!(stderr(o).contains(needle), "{}", stderr(o));
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(o)))
}

/// `ramguard eval` with the network-operations policy and `args`.
fn ops_eval(args: &[&str]) -> Output {
    let mut all = vec!["eval", "--identity", "policies/network-ops-vpn.json"];
    all.extend_from_slice(args);
    ramguard(&all)
}

const VCO: &str = "acs:vpc:cn-hangzhou:1234567890123456:vpnconnection/vco-1";

/// Every `*.suite.json` under `dir`, as `ramguard test` finds them.
fn suite_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            suite_files(&path, found);
        } else if path.to_string_lossy().ends_with(".suite.json") {
            found.push(path);
        }
    }
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The bundled example policies (not the suites, the catalog or the worlds),
/// each with the kind it is meant to be read as.
fn bundled_policies() -> Vec<(String, &'static str)> {
    let mut files: Vec<(String, &'static str)> = std::fs::read_dir(common::repo().join("policies"))
        .unwrap()
        .map(|e| Path::new("policies").join(e.unwrap().file_name()))
        .filter(|p| p.extension().is_some_and(|e| e == "json") && !p.to_string_lossy().ends_with(".suite.json"))
        .map(|p| {
            let name = p.to_string_lossy().into_owned();
            let kind = if name.ends_with("-control.json") {
                "control"
            } else if name.contains("session-") {
                "session"
            } else if name.ends_with("-trust.json") {
                "resource"
            } else {
                "identity"
            };
            (name, kind)
        })
        .collect();
    files.sort();
    files
}

#[test]
fn the_bundled_suite_passes_and_counts_every_case() {
    let mut suites = Vec::new();
    suite_files(&common::repo().join("policies"), &mut suites);
    assert!(suites.iter().any(|p| p.ends_with("network-ops.suite.json")), "{suites:?}");
    let expected: Vec<serde_json::Value> =
        suites.iter().flat_map(|p| read_json(p)["cases"].as_array().unwrap().clone()).collect();
    let ops = read_json(&common::repo().join("policies/network-ops.suite.json"));
    assert!(ops["cases"].as_array().unwrap().len() >= 30);
    let cases = expected.len();

    let o = ramguard(&["test", "policies/"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert_eq!(out.lines().last().unwrap(), format!("{cases} passed, 0 failed"));
    assert_eq!(out.lines().filter(|l| l.starts_with("  ok    ")).count(), cases, "{out}");
    assert!(out.contains("\n        note: root-cannot-assume-role: "), "{out}");
    assert!(!out.contains("FAIL"), "{out}");

    let o = ramguard(&["test", "--format", "json", "policies/"]);
    assert_eq!(o.status.code(), Some(0));
    let report = json(&o);
    assert_eq!(report["passed"], cases);
    assert_eq!(report["failed"], 0);
    let listed = report["cases"].as_array().unwrap();
    assert_eq!(listed.len(), cases);
    let mut names: Vec<&str> = listed.iter().map(|c| c["name"].as_str().unwrap()).collect();
    let mut wanted: Vec<&str> = expected.iter().map(|c| c["name"].as_str().unwrap()).collect();
    names.sort_unstable();
    wanted.sort_unstable();
    assert_eq!(names, wanted);

    // One suite: the cases come back in file order, each with its own verdict.
    let o = ramguard(&["test", "--format", "json", "policies/network-ops.suite.json"]);
    assert_eq!(o.status.code(), Some(0));
    let report = json(&o);
    let listed = report["cases"].as_array().unwrap();
    let written = ops["cases"].as_array().unwrap();
    assert_eq!(listed.len(), written.len());
    for (case, written) in listed.iter().zip(written) {
        assert_eq!(case["suite"], "policies/network-ops.suite.json");
        assert_eq!(case["name"], written["name"]);
        assert_eq!(case["expected"], written["expect"]);
        assert_eq!(case["passed"], true, "{case}");
        let want = written["expect"].as_str().unwrap();
        let got = case["actual"].as_str().unwrap();
        assert!(want == got || (want == "Deny" && got != "Allow"), "{}: {want} vs {got}", case["name"]);
        assert!(
            ["root", "control", "session", "identity", "resource", "account-boundary"]
                .contains(&case["decided_by"].as_str().unwrap()),
            "{case}"
        );
    }
    let decided_by = |name: &str| {
        listed.iter().find(|c| c["name"] == name).unwrap_or_else(|| panic!("no case `{name}`"))["decided_by"].clone()
    };
    assert_eq!(decided_by("a delete one second before the window is denied by the control policy"), "control");
    assert_eq!(decided_by("a read-only session may not delete, whatever the role allows"), "session");
    assert_eq!(decided_by("a session policy only narrows: it grants nothing the role lacks"), "identity");
    assert_eq!(decided_by("the account's root is not restricted by control policies"), "root");
    assert_eq!(decided_by("a user of another account may not, whatever it is granted"), "resource");
    assert_eq!(decided_by("a grant on every resource stops at another account's VPN gateways"), "account-boundary");
    assert_eq!(decided_by("a grant on every resource covers the account's own VPN gateways"), "identity");
    let root_assume = "the account's root cannot assume the role, though the trust names its account";
    assert_eq!(decided_by(root_assume), "root");
    let notes = |name: &str| -> Vec<String> {
        let case = listed.iter().find(|c| c["name"] == name).unwrap();
        case["notes"].as_array().unwrap().iter().map(|n| n["code"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(notes(root_assume), ["root-cannot-assume-role"]);
    assert_eq!(notes("a grant on every resource stops at another account's VPN gateways"), ["account-boundary"]);
    assert!(notes("ops may delete a Hangzhou VPN connection from the office").is_empty());
}

#[test]
fn a_failing_case_exits_2_and_is_named() {
    let suite = temp_file(
        "failing",
        "bad.suite.json",
        r#"{"policies": {"p": {"Version": "1", "Statement": [{"Effect": "Allow", "Action": "vpc:Describe*", "Resource": "*"}]}},
            "cases": [
              {"name": "reads are allowed", "identity": ["p"], "action": "vpc:DescribeVpcs", "resource": "*", "expect": "Allow"},
              {"name": "deletes are allowed", "identity": ["p"], "action": "vpc:DeleteVpc", "resource": "*", "expect": "Allow"},
              {"name": "deletes are denied", "identity": ["p"], "action": "vpc:DeleteVpc", "resource": "*", "expect": "Deny"}]}"#,
    );
    let path = suite.to_str().unwrap();
    let o = ramguard(&["test", path]);
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("FAIL  deletes are allowed: expected Allow, got ImplicitDeny"), "{out}");
    assert!(out.contains("ok    reads are allowed"), "{out}");
    assert!(out.contains("ok    deletes are denied"), "{out}");
    assert_eq!(out.lines().filter(|l| l.contains("FAIL")).count(), 1, "{out}");
    assert_eq!(out.lines().last().unwrap(), "2 passed, 1 failed");

    let o = ramguard(&["test", "--format", "json", path]);
    assert_eq!(o.status.code(), Some(2));
    let report = json(&o);
    assert_eq!((report["passed"].as_u64(), report["failed"].as_u64()), (Some(2), Some(1)));
    let failed = &report["cases"][1];
    assert_eq!(failed["name"], "deletes are allowed");
    assert_eq!(failed["suite"], path);
    assert_eq!(failed["expected"], "Allow");
    assert_eq!(failed["actual"], "ImplicitDeny");
    assert_eq!(failed["decided_by"], "identity");
    assert_eq!(failed["passed"], false);
    assert_eq!(report["cases"][2]["expected"], "Deny");
    assert_eq!(report["cases"][2]["passed"], true);

    // A failing suite next to the bundled one fails the whole run.
    let o = ramguard(&["test", "policies/", path]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).lines().last().unwrap().ends_with(" passed, 1 failed"), "{}", stdout(&o));
}

#[test]
fn a_suite_context_is_read_exactly_with_each_key_spelled_once() {
    // A bare number is the value as written, as in a policy.
    let policy = r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "a:b", "Resource": "*",
        "Condition": {"StringEquals": {"acs:ResourceTag/price": "1.50"}}}]}"#;
    let numbers = temp_file(
        "context",
        "numbers.suite.json",
        &format!(
            r#"{{"policies": {{"p": {policy}}}, "cases": [{{"name": "a bare number", "identity": ["p"],
                "action": "a:b", "resource": "*", "context": {{"acs:ResourceTag/price": 1.50}}, "expect": "Allow"}}]}}"#
        ),
    );
    let o = ramguard(&["test", numbers.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));

    // Two spellings of one key are an input error, located at the second.
    let case = |context: &str| {
        format!(
            "{{\"cases\": [\n  {{\"name\": \"fine\", \"action\": \"a:b\", \"resource\": \"*\", \"expect\": \"ImplicitDeny\"}},\n  {{\"name\": \"two spellings\", \"action\": \"a:b\", \"resource\": \"*\", \"expect\": \"ImplicitDeny\",\n   \"context\": {context}}}]}}"
        )
    };
    let column = |text: &str, needle: &str| text.lines().nth(3).unwrap().find(needle).unwrap() + 1;
    let text = case(r#"{"acs:SourceIp": "10.0.0.1", "acs:sourceip": ["192.0.2.1"]}"#);
    let spelled = temp_file("context", "spelled.suite.json", &text);
    let o = ramguard(&["test", spelled.to_str().unwrap()]);
    assert_error(
        &o,
        &format!(
            "{}:4:{}: case `two spellings`: `acs:sourceip` and `acs:SourceIp` are one condition key (at cases[1].context.acs:sourceip)",
            spelled.display(),
            column(&text, "\"acs:sourceip\"")
        ),
    );
    assert!(stderr(&o).contains("under one spelling"), "{}", stderr(&o));
    assert!(stdout(&o).is_empty(), "{}", stdout(&o));

    let text = case(r#"{"InstanceType": "VBR", "expressconnectrouter:InstanceType": "VPC"}"#);
    let alias = temp_file("context", "alias.suite.json", &text);
    assert_error(
        &ramguard(&["test", alias.to_str().unwrap()]),
        &format!(
            "{}:4:{}: case `two spellings`: `expressconnectrouter:InstanceType` and `InstanceType` are one condition key",
            alias.display(),
            column(&text, "\"expressconnectrouter:InstanceType\"")
        ),
    );

    // The same spelling twice is a duplicate member: neither value may be dropped silently.
    let text = case(r#"{"acs:SourceIp": "10.0.0.1", "acs:SourceIp": "192.0.2.1"}"#);
    let twice = temp_file("context", "twice.suite.json", &text);
    assert_error(&ramguard(&["test", twice.to_str().unwrap()]), &format!("{}:4:", twice.display()));
    assert_error(&ramguard(&["test", twice.to_str().unwrap()]), "duplicate member name `acs:SourceIp`");
}

#[test]
fn an_invalid_policy_in_a_suite_is_an_error_located_in_the_suite_file() {
    let suite = temp_file(
        "invalid",
        "invalid.suite.json",
        "{\"policies\": {\"p\": {\"Version\": \"1\", \"Statement\": [\n  {\"Effect\": \"Alow\", \"Action\": \"*\", \"Resource\": \"*\"}]}},\n \"cases\": [{\"name\": \"x\", \"identity\": [\"p\"], \"action\": \"a:b\", \"resource\": \"*\", \"expect\": \"Allow\"}]}",
    );
    let o = ramguard(&["test", suite.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains(&format!("{}:2:14: invalid effect `Alow`", suite.display())), "{err}");
    assert!(err.contains("(at Statement[0].Effect)"), "{err}");
    assert!(stdout(&o).is_empty(), "no results for a suite that cannot run: {}", stdout(&o));

    // A policy file the suite names is located in that file.
    let policy = temp_file(
        "invalid",
        "typo-policy.json",
        "{\n  \"Version\": \"1\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\", \"Action\": \"vpc:Describe*\", \"Resorce\": \"*\"}\n  ]\n}\n",
    );
    let by_file = temp_file(
        "invalid",
        "by-file.suite.json",
        r#"{"policies": {"reads": "typo-policy.json"},
            "cases": [{"name": "x", "identity": ["reads"], "action": "vpc:DescribeVpnGateway", "resource": "*", "expect": "Allow"}]}"#,
    );
    let o = ramguard(&["test", by_file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains(&format!("{}:4:52: unknown element `Resorce`", policy.display())), "{err}");
    assert!(err.contains("did you mean `Resource`?"), "{err}");

    // A policy is read with the rules of the role a case uses it in.
    let misused = temp_file(
        "invalid",
        "misused.suite.json",
        &format!(
            r#"{{"policies": {{"trust": "{}/policies/netops-role-trust.json"}},
                "cases": [{{"name": "x", "identity": ["trust"], "action": "sts:AssumeRole", "resource": "*", "expect": "Allow"}}]}}"#,
            common::repo().display()
        ),
    );
    let o = ramguard(&["test", misused.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("netops-role-trust.json:7:7: `Principal` is not allowed in identity policies"), "{err}");
    assert!(err.contains("[policy `trust` read as identity]"), "{err}");

    let unknown = temp_file(
        "invalid",
        "unknown.suite.json",
        r#"{"policies": {}, "cases": [{"name": "x", "identity": ["nope"], "action": "a:b", "resource": "*", "expect": "Allow"}]}"#,
    );
    assert_error(&ramguard(&["test", unknown.to_str().unwrap()]), "case `x`: no policy named `nope`");

    let typo = temp_file(
        "invalid",
        "typo.suite.json",
        r#"{"cases": [{"name": "x", "action": "a:b", "resource": "*", "expected": "Allow"}]}"#,
    );
    let o = ramguard(&["test", typo.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains(&format!("{}:1:", typo.display())), "{}", stderr(&o));
    assert!(stderr(&o).contains("`expected`"), "{}", stderr(&o));

    let bad_expectation = temp_file(
        "invalid",
        "expect.suite.json",
        r#"{"cases": [{"name": "x", "action": "a:b", "resource": "*", "expect": "Denied"}]}"#,
    );
    let o = ramguard(&["test", bad_expectation.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains(&format!("{}:1:", bad_expectation.display())), "{}", stderr(&o));
}

#[test]
fn every_bundled_policy_validates() {
    let files = bundled_policies();
    assert!(files.len() >= 8, "{files:?}");
    for (file, kind) in &files {
        let text = std::fs::read_to_string(common::repo().join(file)).unwrap();
        assert!(text.lines().count() > 5 && text.ends_with("}\n"), "{file} is not pretty-printed");
        let o = ramguard(&["validate", "--kind", kind, "--format", "json", file]);
        assert_eq!(o.status.code(), Some(0), "{file}: {}", stdout(&o));
        let report = json(&o);
        assert_eq!(report["files"][0]["valid"], true, "{file}");
        assert_eq!(report["files"][0]["kind"], *kind, "{file}");
        assert_eq!(report["files"][0]["warnings"].as_array().unwrap().len(), 0, "{file}: {report}");
    }

    // All at once, with the kind told from the content.
    let auto: Vec<&str> =
        files.iter().filter(|(_, k)| *k != "control" && *k != "session").map(|(f, _)| f.as_str()).collect();
    let mut args = vec!["validate"];
    args.extend(&auto);
    let o = ramguard(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert_eq!(stdout(&o).lines().filter(|l| l.contains(": ok (")).count(), auto.len());
    assert!(
        stdout(&o).contains("policies/netops-role-trust.json: ok (resource policy, 1 statement)"),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("policies/network-ops-vpn.json: ok (identity policy, "), "{}", stdout(&o));
}

#[test]
fn validate_reports_located_errors_with_help() {
    let file = temp_file(
        "validate",
        "broken.json",
        "{\n  \"Version\": \"1\",\n  \"Statement\": [{\n    \"Effect\": \"allow \",\n    \"Action\": \"vpc:DeleteVpnConnection\",\n    \"Resource\": \"*\"\n  }]\n}\n",
    );
    let path = file.to_str().unwrap();
    let o = ramguard(&["validate", path]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains(&format!(
            "{path}:4:15: invalid effect `allow `: expected `Allow` or `Deny` (at Statement[0].Effect)"
        )),
        "{out}"
    );
    assert!(out.contains("  help: did you mean `Allow`?"), "{out}");

    let o = ramguard(&["validate", "--format", "json", path, "policies/network-ops-vpn.json"]);
    assert_eq!(o.status.code(), Some(1));
    let report = json(&o);
    let broken = &report["files"][0];
    assert_eq!(broken["file"], path);
    assert_eq!(broken["valid"], false);
    let error = &broken["errors"][0];
    assert_eq!(error["code"], "invalid-effect");
    assert_eq!(error["path"], "Statement[0].Effect");
    assert_eq!((error["line"].as_u64(), error["column"].as_u64()), (Some(4), Some(15)));
    assert!(error["message"].as_str().unwrap().contains("invalid effect `allow `"), "{error}");
    assert_eq!(error["help"], "did you mean `Allow`?");
    assert_eq!(report["files"][1]["valid"], true);
    assert_eq!(report["files"][1]["kind"], "identity");
    assert_eq!(report["files"][1]["errors"].as_array().unwrap().len(), 0);

    // Every problem in a document is reported, in document order.
    let many = temp_file(
        "validate",
        "many.json",
        "{\n  \"Version\": \"1\",\n  \"Statement\": [{\n    \"Effect\": \"Allow\",\n    \"Action\": \"vpc:DeleteVpnConnection\",\n    \"Resource \": \"*\",\n    \"Condition\": {\"IpAddress\": {\"acs:SourceIp\": \"203.0.113.0/33\"}}\n  }]\n}\n",
    );
    let o = ramguard(&["validate", "--format", "json", many.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let errors = json(&o)["files"][0]["errors"].as_array().unwrap().clone();
    assert!(errors.len() >= 2, "{errors:?}");
    let lines: Vec<u64> = errors.iter().map(|e| e["line"].as_u64().unwrap()).collect();
    assert!(lines.windows(2).all(|w| w[0] <= w[1]), "{lines:?}");
    assert!(
        errors.iter().any(|e| e["path"] == r#"Statement[0]["Resource "]"# && e["help"] == "did you mean `Resource`?")
    );
    assert!(
        errors.iter().any(|e| e["path"].as_str().unwrap().starts_with("Statement[0].Condition.IpAddress")),
        "{errors:?}"
    );
}

#[test]
fn validate_applies_the_kind_and_its_size_limit() {
    // The session limit counts characters (not bytes), whitespace included.
    let base = r#"{"Version": "1", "Statement": [{"Sid": "网络只读", "Effect": "Allow", "Action": "vpc:DescribeVpn*", "Resource": "*"}]}"#;
    let pad = 2_048 - base.chars().count();
    let at_limit = temp_file("limits", "at-limit.json", &format!("{base}{}", " ".repeat(pad)));
    let over = temp_file("limits", "over-limit.json", &format!("{base}{}", " ".repeat(pad + 1)));
    assert!(std::fs::metadata(&at_limit).unwrap().len() > 2_048, "the file has more bytes than characters");
    let (at_limit, over) = (at_limit.to_str().unwrap(), over.to_str().unwrap());

    assert_eq!(ramguard(&["validate", "--kind", "session", at_limit]).status.code(), Some(0));
    assert_eq!(ramguard(&["validate", over]).status.code(), Some(0), "an identity policy may be longer");
    let o = ramguard(&["validate", "--kind", "session", over]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains(&format!(
            "{over}:1:1: the document is 2049 characters long, but session policies may have at most 2048"
        )),
        "{out}"
    );
    assert!(out.contains("  help: "), "{out}");
    let o = ramguard(&["validate", "--kind", "session", "--format", "json", over]);
    assert_eq!(json(&o)["files"][0]["errors"][0]["code"], "too-long");
    assert_eq!(ramguard(&["validate", "--kind", "session", "--no-size-limit", over]).status.code(), Some(0));

    // Control policies stop at 4096, identity policies at 6144.
    let long = temp_file("limits", "long.json", &format!("{base}{}", " ".repeat(6_144 - base.chars().count() + 1)));
    let long = long.to_str().unwrap();
    let o = ramguard(&["validate", "--kind", "control", long]);
    assert!(stdout(&o).contains("control policies may have at most 4096"), "{}", stdout(&o));
    let o = ramguard(&["validate", "--kind", "identity", long]);
    assert!(stdout(&o).contains("identity policies may have at most 6144"), "{}", stdout(&o));
    assert_eq!(ramguard(&["validate", "--kind", "identity", "--no-size-limit", long]).status.code(), Some(0));

    // The kind decides which elements a statement needs.
    let trust = ramguard(&["validate", "--kind", "identity", "policies/netops-role-trust.json"]);
    assert_eq!(trust.status.code(), Some(1));
    assert!(stdout(&trust).contains("`Principal` is not allowed in identity policies"), "{}", stdout(&trust));
    let ops = ramguard(&["validate", "--kind", "resource", "policies/network-ops-vpn.json"]);
    assert_eq!(ops.status.code(), Some(1));
    assert!(stdout(&ops).contains("(at Statement[0]"), "{}", stdout(&ops));
}

#[test]
fn eval_exit_codes_follow_the_decision() {
    let office = |ip: &str| {
        let ip = format!("acs:SourceIp={ip}");
        ops_eval(&[
            "policies/deny-deletes-outside-office.json",
            "--action",
            "vpc:DeleteVpnConnection",
            "--resource",
            VCO,
            "--context",
            &ip,
            "--format",
            "json",
        ])
    };
    let allow = office("203.0.113.5");
    assert_eq!(allow.status.code(), Some(0), "{}{}", stdout(&allow), stderr(&allow));
    let e = json(&allow);
    assert_eq!(e["decision"], "Allow");
    assert_eq!(e["decided_by"], "identity");
    assert_eq!(e["matched"][0]["sid"], "DeleteVpnConnections");
    assert_eq!(e["matched"][0]["policy"], "policies/network-ops-vpn.json");
    assert_eq!(e["resources"][0]["resource"], VCO);
    assert!(e.get("access_denied_detail").is_none());

    let deny = office("198.51.100.5");
    assert_eq!(deny.status.code(), Some(2));
    let e = json(&deny);
    assert_eq!(e["decision"], "ExplicitDeny");
    assert_eq!(e["decided_by"], "identity");
    assert!(e["matched"].as_array().unwrap().iter().any(|m| m["sid"] == "DeletesOnlyFromTheOffice"), "{e}");
    let detail = &e["access_denied_detail"];
    assert_eq!(detail["NoPermissionType"], "ExplicitDeny");
    assert_eq!(detail["PolicyType"], "AccountLevelIdentityBasedPolicy");
    assert_eq!(detail["AuthAction"], "vpc:DeleteVpnConnection");
    assert_eq!(detail["AuthPrincipalType"], "SubUser");
    assert_eq!(detail["AuthPrincipalOwnerId"], "1234567890123456");
    assert_eq!(detail["AuthPrincipalDisplayName"], "test-user");
    let decoded =
        ramguard::decision::decode_diagnostic_message(detail["EncodedDiagnosticMessage"].as_str().unwrap()).unwrap();
    assert_eq!(decoded.auth_resource, VCO);

    // A malformed address fails closed, and the explanation shows it.
    let malformed = office("203.0.113.256");
    assert_eq!(malformed.status.code(), Some(2));
    let e = json(&malformed);
    assert_eq!(e["decision"], "ExplicitDeny");
    let shown = e["considered"].as_array().unwrap().iter().flat_map(|t| t["conditions"].as_array().unwrap().clone());
    assert!(shown.into_iter().any(|c| c["malformed_value"] == "203.0.113.256"), "{e}");

    let implicit = ops_eval(&["--action", "vpc:CreateVpnConnection", "--resource", VCO, "--format", "json"]);
    assert_eq!(implicit.status.code(), Some(2));
    let e = json(&implicit);
    assert_eq!(e["decision"], "ImplicitDeny");
    assert_eq!(e["matched"].as_array().unwrap().len(), 0);
    assert_eq!(e["access_denied_detail"]["NoPermissionType"], "ImplicitDeny");
    assert_eq!(e["access_denied_detail"]["PolicyType"], "AccountLevelIdentityBasedPolicy");

    let human = ops_eval(&["--action", "vpc:CreateVpnConnection", "--resource", VCO]);
    assert_eq!(human.status.code(), Some(2));
    assert!(stdout(&human).starts_with("ImplicitDeny (decided by identity policies)"), "{}", stdout(&human));
    assert!(stdout(&human).contains("\"NoPermissionType\": \"ImplicitDeny\""), "{}", stdout(&human));

    // Keys a decision rested on but the request lacked are listed.
    let o = ramguard(&[
        "eval",
        "--identity",
        "policies/network-ops-vpn.json",
        "policies/require-mfa-for-deletes.json",
        "--action",
        "vpc:DeleteVpnConnection",
        "--resource",
        VCO,
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(json(&o)["missing_context_keys"], serde_json::json!(["acs:MFAPresent"]));
}

#[test]
fn eval_decides_every_resource() {
    let shanghai = "acs:vpc:cn-shanghai:1234567890123456:vpnconnection/vco-2";
    let beijing = "acs:vpc:cn-beijing:1234567890123456:vpnconnection/vco-3";
    let o = ops_eval(&["--action", "vpc:DeleteVpnConnection", "--resource", VCO, shanghai, "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert_eq!(json(&o)["resources"].as_array().unwrap().len(), 2);

    let o = ops_eval(&["--action", "vpc:DeleteVpnConnection", "--resource", VCO, beijing, "--format", "json"]);
    assert_eq!(o.status.code(), Some(2));
    let e = json(&o);
    assert_eq!(e["decision"], "ImplicitDeny");
    assert_eq!(e["resources"][0]["decision"], "Allow");
    assert_eq!(e["resources"][1]["decision"], "ImplicitDeny");
    let decoded = ramguard::decision::decode_diagnostic_message(
        e["access_denied_detail"]["EncodedDiagnosticMessage"].as_str().unwrap(),
    )
    .unwrap();
    assert_eq!(decoded.auth_resource, beijing, "the denial names the resource that was denied");

    let o = ops_eval(&["--action", "vpc:DeleteVpnConnection", "--resource", VCO, beijing]);
    assert!(stdout(&o).contains(&format!("  {beijing}: ImplicitDeny (identity)")), "{}", stdout(&o));
}

#[test]
fn eval_takes_every_policy_kind() {
    // The identity policies of the network team with the read-only session policy.
    let with_session = |principal: &str, action: &str, format: &str| {
        ramguard(&[
            "eval",
            "--principal",
            principal,
            "--identity",
            "policies/network-ops-vpn.json",
            "--session",
            "policies/session-vpn-readonly.json",
            "--action",
            action,
            "--resource",
            VCO,
            "--format",
            format,
        ])
    };
    let netops = "acs:ram::1234567890123456:assumed-role/netops/alice";
    let session = with_session(netops, "vpc:DeleteVpnConnection", "json");
    assert_eq!(session.status.code(), Some(2));
    let e = json(&session);
    assert_eq!(e["decision"], "ImplicitDeny");
    assert_eq!(e["decided_by"], "session");
    assert_eq!(e["access_denied_detail"]["PolicyType"], "SessionPolicy");
    assert_eq!(e["access_denied_detail"]["AuthPrincipalType"], "AssumedRoleUser");
    assert_eq!(e["access_denied_detail"]["AuthPrincipalDisplayName"], "netops:alice");
    assert_eq!(e["notes"].as_array().map(Vec::len), Some(0), "{e}");

    let read = with_session(netops, "vpc:DescribeVpnConnection", "human");
    assert_eq!(read.status.code(), Some(0), "{}", stdout(&read));

    // A session policy binds role sessions only: for a RAM user it is not
    // applied, and eval says so.
    let user = |format: &str| with_session("acs:ram::1234567890123456:user/alice", "vpc:DeleteVpnConnection", format);
    let o = user("json");
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let e = json(&o);
    assert_eq!(e["decided_by"], "identity");
    assert_eq!(e["notes"][0]["code"], "session-policy-ignored", "{e}");
    assert!(e["notes"][0]["message"].as_str().unwrap().contains("only to role sessions"), "{e}");
    let o = user("human");
    assert!(stdout(&o).contains("note: session-policy-ignored: the session policy was not applied"), "{}", stdout(&o));

    // Another account's resource: an allow-all stops at the boundary.
    let all = temp_file(
        "boundary",
        "all.json",
        r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#,
    );
    let foreign = VCO.replace("1234567890123456", "9999999999999999");
    let boundary = |format: &str| {
        let all = all.to_str().unwrap();
        let args = ["eval", "--identity", all, "--action", "vpc:DeleteVpnConnection", "--resource", &foreign];
        let mut args = args.to_vec();
        args.extend(["--format", format]);
        ramguard(&args)
    };
    let o = boundary("json");
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    let e = json(&o);
    assert_eq!(e["decided_by"], "account-boundary");
    assert_eq!(e["access_denied_detail"]["PolicyType"], "ResourceBasedPolicy");
    let detail = ramguard::decision::decode_diagnostic_message(
        e["access_denied_detail"]["EncodedDiagnosticMessage"].as_str().unwrap(),
    );
    assert_eq!(detail.unwrap().deny_reason.as_deref(), Some("AccountBoundary"));
    let o = boundary("human");
    assert!(stdout(&o).starts_with("ImplicitDeny (decided by the account boundary)"), "{}", stdout(&o));
    assert!(stdout(&o).contains("note: account-boundary: "), "{}", stdout(&o));

    let window = |time: &str| {
        let time = format!("acs:CurrentTime={time}");
        ops_eval(&[
            "--control",
            "policies/change-window-control.json",
            "--action",
            "vpc:DeleteVpnConnection",
            "--resource",
            VCO,
            "--context",
            &time,
            "--format",
            "json",
        ])
    };
    let outside = window("2026-12-01T10:00:00+08:00");
    assert_eq!(outside.status.code(), Some(2));
    let e = json(&outside);
    assert_eq!(e["decision"], "ExplicitDeny");
    assert_eq!(e["decided_by"], "control");
    assert_eq!(e["access_denied_detail"]["PolicyType"], "ControlPolicy");
    assert_eq!(e["access_denied_detail"]["NoPermissionType"], "ExplicitDeny");
    assert_eq!(window("2026-12-05T23:00:00+08:00").status.code(), Some(0));

    let trust = |principal: &str, identity: Option<&str>| {
        let mut args = vec!["eval", "--principal", principal, "--resource-policy", "policies/netops-role-trust.json"];
        if let Some(identity) = identity {
            args.extend(["--identity", identity]);
        }
        args.extend(["--action", "sts:AssumeRole", "--resource", "acs:ram::1234567890123456:role/netops"]);
        args.extend(["--format", "json"]);
        ramguard(&args)
    };
    assert_eq!(trust("ecs.aliyuncs.com", None).status.code(), Some(0));
    let stranger = trust("fc.aliyuncs.com", None);
    assert_eq!(stranger.status.code(), Some(2));
    assert_eq!(json(&stranger)["access_denied_detail"]["PolicyType"], "AssumeRolePolicy");
    let grant = temp_file(
        "kinds",
        "assume.json",
        r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "acs:ram::1234567890123456:role/netops"}]}"#,
    );
    let grant = grant.to_str().unwrap();
    assert_eq!(trust("acs:ram::1234567890123456:user/alice", Some(grant)).status.code(), Some(0));
    assert_eq!(trust("acs:ram::1234567890123456:user/alice", None).status.code(), Some(2));
    assert_eq!(trust("acs:ram::9999999999999999:user/mallory", Some(grant)).status.code(), Some(2));

    let root = ramguard(&[
        "eval",
        "--principal",
        "acs:ram::1234567890123456:root",
        "--control",
        "policies/change-window-control.json",
        "--action",
        "vpc:DeleteVpnConnection",
        "--resource",
        VCO,
        "--format",
        "json",
    ]);
    assert_eq!(root.status.code(), Some(0));
    assert_eq!(json(&root)["decided_by"], "root");
}

#[test]
fn a_repeated_context_key_is_multi_valued() {
    let policy = temp_file(
        "multi",
        "trusted-types.json",
        r#"{"Version": "1", "Statement": [
            {"Effect": "Allow", "Action": "ram:CreateRole", "Resource": "*",
             "Condition": {"ForAllValues:StringEquals": {"ram:TrustedPrincipalTypes": "Service"}}},
            {"Effect": "Allow", "Action": "ram:UpdateRole", "Resource": "*",
             "Condition": {"ForAnyValue:StringEquals": {"ram:TrustedPrincipalTypes": "Service"}}}]}"#,
    );
    let run = |action: &str, values: &[&str]| {
        let mut args = vec!["eval", "--identity", policy.to_str().unwrap(), "--action", action, "--resource", "*"];
        let pairs: Vec<String> = values.iter().map(|v| format!("ram:TrustedPrincipalTypes={v}")).collect();
        for p in &pairs {
            args.extend(["--context", p]);
        }
        ramguard(&args).status.code()
    };
    // Every value must be `Service`: a second value is not dropped, whichever comes first.
    assert_eq!(run("ram:CreateRole", &["Service"]), Some(0));
    assert_eq!(run("ram:CreateRole", &["Service", "Service"]), Some(0));
    assert_eq!(run("ram:CreateRole", &["Service", "RAM"]), Some(2));
    assert_eq!(run("ram:CreateRole", &["RAM", "Service"]), Some(2));
    assert_eq!(run("ram:CreateRole", &[]), Some(0), "ForAllValues holds for an absent key");
    // One value being `Service` is enough, whichever comes first.
    assert_eq!(run("ram:UpdateRole", &["Service", "RAM"]), Some(0));
    assert_eq!(run("ram:UpdateRole", &["RAM", "Service"]), Some(0));
    assert_eq!(run("ram:UpdateRole", &["RAM", "Federated"]), Some(2));
    assert_eq!(run("ram:UpdateRole", &[]), Some(2), "ForAnyValue fails for an absent key");

    let eval = |pairs: &[&str]| {
        let mut args = vec!["eval", "--identity", policy.to_str().unwrap(), "--action", "ram:UpdateRole"];
        args.extend(["--resource", "*", "--format", "json"]);
        for p in pairs {
            args.extend(["--context", p]);
        }
        ramguard(&args)
    };
    let o = eval(&["RAM:trustedprincipaltypes=RAM", "RAM:trustedprincipaltypes=Service"]);
    assert_eq!(o.status.code(), Some(0), "key names are case-insensitive: {}", stdout(&o));
    let e = json(&o);
    assert_eq!(e["matched"][0]["conditions"][0]["request_values"], serde_json::json!(["RAM", "Service"]));

    // Two spellings of one key are a mistake, not two values.
    let o = eval(&["ram:TrustedPrincipalTypes=RAM", "RAM:trustedprincipaltypes=Service"]);
    assert_error(
        &o,
        "--context `RAM:trustedprincipaltypes=Service`: `RAM:trustedprincipaltypes` and `ram:TrustedPrincipalTypes` are one condition key",
    );
    assert!(stderr(&o).contains("under one spelling"), "{}", stderr(&o));
    assert!(stdout(&o).is_empty(), "{}", stdout(&o));
    let o = eval(&["InstanceType=VBR", "ram:TrustedPrincipalTypes=RAM", "expressconnectrouter:InstanceType=VPC"]);
    assert_error(&o, "`expressconnectrouter:InstanceType` and `InstanceType` are one condition key");
}

#[test]
fn bad_input_exits_1_with_a_message() {
    let o = ops_eval(&["--principal", "alice", "--action", "a:b", "--resource", "*"]);
    assert_error(&o, "--principal: `alice` is not a principal");
    assert!(stdout(&o).is_empty());

    assert_error(&ops_eval(&["--action", "a:b", "--resource", "*", "--context", "novalue"]), "expected KEY=VALUE");
    assert_error(&ops_eval(&["--action", "a:b", "--resource", "*", "--context", "=value"]), "expected KEY=VALUE");

    assert_error(&ramguard(&["validate", "policies/does-not-exist.json"]), "policies/does-not-exist.json: cannot read");
    // A directory stands for the policy files under it, as in `lint` and
    // `diff`: JSON that is not policy-shaped (a catalog) is skipped, and said so.
    let o = ramguard(&["validate", "policies/catalog"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("policies/catalog/operations.json: skipped, not a policy document"), "{}", stdout(&o));
    assert_error(
        &ramguard(&["eval", "--identity", "policies/nope.json", "--action", "a:b", "--resource", "*"]),
        "policies/nope.json: cannot read",
    );
    assert_error(&ramguard(&["test", "policies/nope.suite.json"]), "policies/nope.suite.json: cannot read");

    // A policy that is invalid for eval is an error, not a denial.
    assert_error(
        &ramguard(&["eval", "--identity", "policies/netops-role-trust.json", "--action", "a:b", "--resource", "*"]),
        "policies/netops-role-trust.json:7:7:",
    );

    assert_error(&ramguard(&["test", "tests/corpus"]), "no `*.suite.json` files");

    // One unreadable input is reported, and the others are still checked.
    let o = ramguard(&["validate", "--format", "json", "policies/nope.json", "policies/network-ops-vpn.json"]);
    assert_error(&o, "policies/nope.json: cannot read");
    let files = json(&o)["files"].as_array().unwrap().clone();
    assert_eq!(files.len(), 2);
    assert_eq!((files[0]["file"].as_str(), files[0]["valid"].as_bool()), (Some("policies/nope.json"), Some(false)));
    assert!(files[0]["read_error"].as_str().unwrap().contains("cannot read"));
    assert_eq!((files[1]["valid"].as_bool(), files[1]["kind"].as_str()), (Some(true), Some("identity")));
    let o = ramguard(&["test", "policies/nope.suite.json", "policies/network-ops.suite.json"]);
    assert_error(&o, "policies/nope.suite.json: cannot read");
    assert!(stdout(&o).lines().last().unwrap().ends_with(" passed, 0 failed"), "{}", stdout(&o));
    assert!(!stdout(&o).lines().last().unwrap().starts_with("0 passed"), "{}", stdout(&o));

    // Usage errors are errors (1), not denials (2).
    assert_eq!(ramguard(&["frobnicate"]).status.code(), Some(1));
    assert_eq!(ramguard(&["eval", "--action", "a:b"]).status.code(), Some(1));
    assert_eq!(ramguard(&["validate", "--kind", "bucket", "x.json"]).status.code(), Some(1));
    assert_eq!(ramguard(&["test", "--format", "xml", "policies/"]).status.code(), Some(1));
    assert_eq!(ramguard(&["validate"]).status.code(), Some(1));
    let help = ramguard(&["--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(stdout(&help).contains("validate"));
}

#[test]
fn catalog_lists_and_shows_operations() {
    let o = ramguard(&["catalog"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 16, "{out}");
    assert!(out.lines().any(|l| l.starts_with("vpc:DeleteTrafficMirrorSession") && l.contains("trafficmirrorsession")));

    let o = ramguard(&["catalog", "--format", "json", "VPC:deleteipsecserver"]);
    assert_eq!(o.status.code(), Some(0));
    let op = json(&o);
    assert_eq!(op["action"], "vpc:DeleteIpsecServer");
    assert_eq!(op["dry_run"], "string");
    assert_eq!(op["resources"][0]["arn"], "acs:vpc:{#regionId}:{#accountId}:vpnipsecserver/{#IpsecServerId}");

    assert_error(&ramguard(&["catalog", "vpc:DeleteVpnConection"]), "did you mean `vpc:DeleteVpnConnection`?");
}

#[test]
fn eval_derives_the_request_from_an_operation() {
    let revoke = |instance_type: &str, instance: &str| {
        ramguard(&[
            "eval",
            "--identity",
            "policies/ecr-revoke-vbr-only.json",
            "--operation",
            "expressconnectrouter:RevokeInstanceFromExpressConnectRouter",
            "--param",
            "EcrId=ecr-mezk2idmsd0vx2",
            "--param",
            "EcrOwnerAliUid=1210123456123456",
            "--param",
            &format!("InstanceId={instance}"),
            "--param",
            &format!("InstanceType={instance_type}"),
            "--param",
            "InstanceRegionId=cn-hangzhou",
            "--format",
            "json",
        ])
    };
    let vbr = revoke("VBR", "vbr-j6cwxhgg0s5nuephp");
    assert_eq!(vbr.status.code(), Some(0), "{}{}", stdout(&vbr), stderr(&vbr));
    let e = json(&vbr);
    assert_eq!(
        e["derived"]["resources"][0],
        "acs:expressconnect:cn-hangzhou:1234567890123456:virtualborderrouter/vbr-j6cwxhgg0s5nuephp"
    );
    assert_eq!(e["derived"]["context"]["expressconnectrouter:instancetype"][0], "VBR");

    let vpc = revoke("VPC", "vpc-bp1example");
    assert_eq!(vpc.status.code(), Some(2));
    let e = json(&vpc);
    assert_eq!(e["derived"]["resources"][0], "acs:vpc:cn-hangzhou:1234567890123456:vpc/vpc-bp1example");
    assert_eq!(e["access_denied_detail"]["NoPermissionType"], "ImplicitDeny");

    let other_account = ops_eval(&[
        "--operation",
        "vpc:DeleteIpsecServer",
        "--param",
        "RegionId=cn-hangzhou",
        "--param",
        "IpsecServerId=iss-1",
        "--account",
        "9999999999999999",
    ]);
    assert_eq!(other_account.status.code(), Some(2));
    assert!(
        stdout(&other_account).contains("resources [\"acs:vpc:cn-hangzhou:9999999999999999:vpnipsecserver/iss-1\"]")
    );

    let missing = ops_eval(&["--operation", "vpc:DeleteIpsecServer", "--param", "RegionId=cn-hangzhou"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).contains("parameter `IpsecServerId` is required"), "{}", stderr(&missing));

    let unknown = ops_eval(&["--operation", "vpc:DeleteIpsecServer", "--param", "Nope=1"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(stderr(&unknown).contains("has no such parameter"), "{}", stderr(&unknown));

    let both = ramguard(&[
        "eval",
        "--operation",
        "vpc:DeleteIpsecServer",
        "--action",
        "vpc:DeleteIpsecServer",
        "--resource",
        "*",
    ]);
    assert_eq!(both.status.code(), Some(1));
}

/// A private copy of the bundled world, for `call` to change.
fn world_copy(test: &str) -> PathBuf {
    temp_file(
        test,
        "world.json",
        &std::fs::read_to_string(common::repo().join("policies/worlds/network.json")).unwrap(),
    )
}

fn call(world: &std::path::Path, args: &[&str]) -> Output {
    let mut all =
        vec!["call", "--world", world.to_str().unwrap(), "--principal", "acs:ram::1234567890123456:user/alice"];
    all.extend_from_slice(args);
    ramguard(&all)
}

#[test]
fn call_runs_each_vpc_delete_against_the_simulator_and_keeps_the_world() {
    let world = world_copy("call-vpc");
    let office = ["--identity", "policies/network-ops-vpn.json", "policies/deny-deletes-outside-office.json"];
    let run = |op: &str, params: &[&str], ip: &str| {
        let mut args: Vec<&str> = office.to_vec();
        args.extend(["--operation", op, "--source-ip", ip, "--format", "json"]);
        for p in params {
            args.extend(["--param", p]);
        }
        call(&world, &args)
    };
    let o =
        run("vpc:DeleteIpsecServer", &["RegionId=cn-hangzhou", "IpsecServerId=iss-bp1jougp8cfsbo8y9"], "203.0.113.7");
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert_eq!(json(&o)["status"], 200);
    let saved: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&world).unwrap()).unwrap();
    assert_eq!(saved["vpn_gateways"][0]["Status"], "updating");
    assert_eq!(saved["requests"], 1);

    let o = run(
        "vpc:DeleteVpnConnection",
        &["RegionId=cn-hangzhou", "VpnConnectionId=vco-bp1bbi27hojx80nck"],
        "203.0.113.7",
    );
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(json(&o)["body"]["Code"], "VpnGateway.Configuring");

    let o = run(
        "vpc:DeleteTrafficMirrorSession",
        &["RegionId=cn-hangzhou", "TrafficMirrorSessionId=tms-j6cla50buc44ap8tu"],
        "198.51.100.7",
    );
    assert_eq!(o.status.code(), Some(2));
    let e = json(&o);
    assert_eq!(e["status"], 403);
    assert_eq!(e["body"]["AccessDeniedDetail"]["NoPermissionType"], "ExplicitDeny");
    assert_eq!(e["performed"], false);

    let o = run("vpc:DeleteTrafficMirrorSession", &["RegionId=cn-hangzhou"], "203.0.113.7");
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(json(&o)["body"]["Code"], "MissingParameter");
}

#[test]
fn call_moves_the_clock_with_at() {
    let world = world_copy("call-at");
    let args = |conn: &'static str, at: &'static str| {
        vec![
            "--identity",
            "policies/network-ops-vpn.json",
            "--operation",
            "vpc:DeleteVpnConnection",
            "--param",
            "RegionId=cn-hangzhou",
            "--param",
            conn,
            "--at",
            at,
        ]
    };
    assert_eq!(
        call(&world, &args("VpnConnectionId=vco-bp1bbi27hojx80nck", "2026-12-02T21:50:00+08:00")).status.code(),
        Some(0)
    );
    let busy = call(&world, &args("VpnConnectionId=vco-bp15oes1py4i66rmd", "2026-12-02T21:50:02+08:00"));
    assert_eq!(busy.status.code(), Some(3));
    assert!(stdout(&busy).contains("VpnTask.CONFLICT"), "{}", stdout(&busy));
    let later = call(&world, &args("VpnConnectionId=vco-bp15oes1py4i66rmd", "2026-12-02T21:51:00+08:00"));
    assert_eq!(later.status.code(), Some(0), "{}", stdout(&later));
    let back = call(&world, &args("VpnConnectionId=vco-bp15oes1py4i66rmd", "2026-12-01T00:00:00Z"));
    assert_eq!(back.status.code(), Some(1));
    assert!(stderr(&back).contains("is before the world's clock"), "{}", stderr(&back));
}

#[test]
fn call_lets_a_vbr_revoke_through_and_stops_a_vpc_revoke_with_the_ecr_denial() {
    let world = world_copy("call-ecr");
    let revoke = |instance: &str, kind: &str| {
        let id = format!("InstanceId={instance}");
        let ty = format!("InstanceType={kind}");
        call(
            &world,
            &[
                "--identity",
                "policies/ecr-revoke-vbr-only.json",
                "--operation",
                "expressconnectrouter:RevokeInstanceFromExpressConnectRouter",
                "--param",
                "EcrId=ecr-mezk2idmsd0vx2",
                "--param",
                "EcrOwnerAliUid=1210123456123456",
                "--param",
                &id,
                "--param",
                &ty,
                "--param",
                "InstanceRegionId=cn-hangzhou",
                "--format",
                "json",
            ],
        )
    };
    let vbr = revoke("vbr-j6cwxhgg0s5nuephp", "VBR");
    assert_eq!(vbr.status.code(), Some(0), "{}{}", stdout(&vbr), stderr(&vbr));
    assert_eq!(json(&vbr)["body"]["Success"], true);
    let vpc = revoke("vpc-bp1example", "VPC");
    assert_eq!(vpc.status.code(), Some(2));
    let body = &json(&vpc)["body"];
    assert_eq!(body["Code"], "Forbidden.RAM");
    assert_eq!(body["HostId"], "expressconnectrouter.aliyuncs.com");
    let saved: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&world).unwrap()).unwrap();
    assert_eq!(saved["ecr_grants"].as_array().unwrap().len(), 1, "only the VBR grant was revoked");
    assert_eq!(saved["ecr_grants"][0]["InstanceType"], "VPC");
}

#[test]
fn call_and_poll_a_zstack_state_change() {
    let world = world_copy("call-zstack");
    let change = |event: &str, session: &str, at: &str| {
        let event = format!("stateEvent={event}");
        let auth = format!("Authorization=OAuth {session}");
        call(
            &world,
            &[
                "--identity",
                "policies/zstack-ipsec-operator.json",
                "--operation",
                "zstack:ChangeIPSecConnectionState",
                "--param",
                "uuid=76424bb25d3a37c9961fff1116bc06da",
                "--param",
                &event,
                "--param",
                &auth,
                "--at",
                at,
                "--format",
                "json",
            ],
        )
    };
    let started = change("enable", "b86c9016b4f24953a9edefb53ca0678c", "2026-12-02T13:50:00Z");
    assert_eq!(started.status.code(), Some(0), "{}{}", stdout(&started), stderr(&started));
    let location = json(&started)["body"]["location"].as_str().unwrap().to_owned();
    let w = world.to_str().unwrap();
    let running = ramguard(&["poll", "--world", w, &location]);
    assert_eq!(running.status.code(), Some(0));
    assert!(stdout(&running).starts_with("HTTP 202"), "{}", stdout(&running));
    let done = ramguard(&["poll", "--world", w, "--at", "2026-12-02T13:50:05Z", &location]);
    assert_eq!(done.status.code(), Some(0));
    assert!(stdout(&done).contains("\"state\": \"Enabled\""), "{}", stdout(&done));
    assert!(!stdout(&done).contains("example-psk"), "the key is never shown");

    let denied = change("disable", "b86c9016b4f24953a9edefb53ca0678c", "2026-12-02T13:51:00Z");
    assert_eq!(denied.status.code(), Some(2));
    assert_eq!(json(&denied)["body"]["error"]["code"], "SYS.1006");
    let bad_session = change("enable", "nope", "2026-12-02T13:52:00Z");
    assert_eq!(bad_session.status.code(), Some(3));
    assert_eq!(json(&bad_session)["body"]["error"]["code"], "ID.1001");
    let still_done = ramguard(&["poll", "--world", w, "--format", "json", &location]);
    assert_eq!(still_done.status.code(), Some(0));
    let answer = json(&still_done);
    assert_eq!(answer["status"], 200);
    assert_eq!(answer["body"]["inventory"]["state"], "Enabled", "{answer}");
    let gone = ramguard(&["poll", "--world", w, "--at", "2026-12-02T15:00:00Z", &location]);
    assert_eq!(gone.status.code(), Some(3));
    assert!(stdout(&gone).starts_with("HTTP 404"));
}

#[test]
fn client_tokens_last_across_calls_in_the_world_file() {
    let world = world_copy("call-token");
    let delete = |id: &str| {
        let param = format!("IpsecServerId={id}");
        call(
            &world,
            &[
                "--identity",
                "policies/network-ops-vpn.json",
                "--operation",
                "vpc:DeleteIpsecServer",
                "--param",
                "RegionId=cn-hangzhou",
                "--param",
                &param,
                "--param",
                "ClientToken=02fb3da4-130e-11e9-8e44-00163e",
                "--format",
                "json",
            ],
        )
    };
    let first = delete("iss-bp1jougp8cfsbo8y9");
    assert_eq!(first.status.code(), Some(0), "{}{}", stdout(&first), stderr(&first));
    let again = delete("iss-bp1jougp8cfsbo8y9");
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(json(&again)["body"]["RequestId"], json(&first)["body"]["RequestId"]);
    assert_eq!(json(&again)["performed"], false);
    let other = delete("iss-other");
    assert_eq!(other.status.code(), Some(3));
    assert_eq!(json(&other)["body"]["Code"], "IdempotentParameterMismatch");
}
