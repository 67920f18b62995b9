//! Inputs that are not quite what they seem: a byte order mark before a
//! document, a suite that names one policy or one context key twice, and a
//! misspelt parameter of a guarded call.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests unwrap and index what they just built"
)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ramguard::catalog::Catalog;
use ramguard::lint::{LintOptions, lint};
use ramguard::sim::World;
use ramguard::snapshot::Snapshot;
use ramguard::suite::Suite;
use ramguard::{Limits, Policy, PolicyKind};

const BOM: &str = "\u{feff}";

const POLICY: &str =
    r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "vpc:DeleteVpnConnection", "Resource": "*"}]}"#;

fn ramguard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ramguard")).args(args).current_dir(common::repo()).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A fresh directory for one test.
fn temp_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ramguard-inputs-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Where the first error of `text`, read as an identity policy, is.
fn at(text: &str) -> (usize, usize) {
    let errors = Policy::parse("p", text, PolicyKind::Identity).unwrap_err();
    let e = &errors.errors()[0];
    (e.location().line, e.location().column)
}

#[test]
fn a_policy_may_start_with_a_byte_order_mark() {
    let plain = Policy::parse("p", POLICY, PolicyKind::Identity).unwrap();
    let marked = Policy::parse("p", &format!("{BOM}{POLICY}"), PolicyKind::Identity).unwrap();
    assert_eq!(format!("{:?}", marked.statements()), format!("{:?}", plain.statements()));
    assert_eq!(ramguard::detect_kind(&format!("{BOM}{POLICY}")), PolicyKind::Identity);
    let trust = r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"RAM": "acs:ram::1234567890123456:root"}}]}"#;
    assert_eq!(ramguard::detect_kind(&format!("{BOM}{trust}")), PolicyKind::Resource);
    // The mark is not part of the document: it counts toward no size limit.
    let limits = Limits::default();
    let limit = limits.for_kind(PolicyKind::Identity).unwrap();
    let full = POLICY.replacen("{", &format!("{{{}", " ".repeat(limit - POLICY.len())), 1);
    assert_eq!(full.chars().count(), limit);
    Policy::parse_with_limits("p", &format!("{BOM}{full}"), PolicyKind::Identity, &limits).unwrap();
}

#[test]
fn positions_after_a_byte_order_mark_count_from_the_next_character() {
    let bad = r#"{"Version": "1", "Statement": [{"Effect": "Alow", "Action": "*", "Resource": "*"}]}"#;
    assert_eq!(at(bad), (1, 43));
    assert_eq!(at(&format!("{BOM}{bad}")), (1, 43));
    let broken = "{\"Version\": \"1\",,}";
    assert_eq!(at(&format!("{BOM}{broken}")), at(broken));
    let lines = "{\n  \"Version\": \"1\",\n  \"Statement\": 7}";
    assert_eq!(at(&format!("{BOM}{lines}")), (3, 16));
}

#[test]
fn a_byte_order_mark_anywhere_else_is_still_an_error() {
    // A second mark, a mark after a line break, a mark between members.
    assert_eq!(at(&format!("{BOM}{BOM}{POLICY}")), (1, 1));
    assert_eq!(at(&format!("\n{BOM}{POLICY}")), (2, 1));
    assert_eq!(at(&POLICY.replacen(", ", &format!(",{BOM} "), 1)), (1, 17));
    // Inside a string it is part of the value: the action is not valid.
    let inside = POLICY.replace("\"vpc:", &format!("\"{BOM}vpc:"));
    assert!(Policy::parse("p", &inside, PolicyKind::Identity).is_err());
}

#[test]
fn every_reader_skips_a_leading_byte_order_mark() {
    let dir = temp_dir("readers");
    // Suites, and the policy files they name.
    write(&dir, "p.json", &format!("{BOM}{POLICY}"));
    let suite = r#"{"policies": {"p": "p.json"}, "cases": [{"name": "c", "identity": ["p"],
        "action": "vpc:DeleteVpnConnection", "resource": "*", "expect": "Allow"}]}"#;
    let path = write(&dir, "s.suite.json", &format!("{BOM}{suite}"));
    let report = Suite::load(&path).unwrap().run();
    assert_eq!((report.passed, report.failed), (1, 0));

    // Catalogs.
    let builtin = std::fs::read_to_string(common::repo().join("policies/catalog/operations.json")).unwrap();
    let catalog = Catalog::from_json(&format!("{BOM}{builtin}")).unwrap();
    assert_eq!(catalog.operations().len(), Catalog::builtin().unwrap().operations().len());

    // Snapshots.
    let snapshot = std::fs::read_to_string(common::repo().join("tests/snapshots/account.json")).unwrap();
    Snapshot::from_json(Path::new("account.json"), &format!("{BOM}{snapshot}")).unwrap();

    // Worlds.
    let world = std::fs::read_to_string(common::repo().join("policies/worlds/network.json")).unwrap();
    assert_eq!(World::from_json(&format!("{BOM}{world}")).unwrap(), World::from_json(&world).unwrap());

    // Lint: the same findings at the same places.
    let options = LintOptions { catalog: Catalog::builtin().unwrap(), limits: &Limits::default(), kind: None };
    let risky = r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#;
    let found = |text: &str| -> Vec<(String, usize, usize)> {
        lint("p.json", text, &options).iter().map(|f| (f.code.to_owned(), f.location.line, f.location.column)).collect()
    };
    assert!(!found(risky).is_empty());
    assert_eq!(found(&format!("{BOM}{risky}")), found(risky));
}

#[test]
fn the_command_line_reads_files_with_a_byte_order_mark() {
    let dir = temp_dir("cli");
    let policy = write(&dir, "p.json", &format!("{BOM}{POLICY}"));
    let o = ramguard(&["validate", policy.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let bad = write(&dir, "bad.json", &format!("{BOM}{{\"Version\": \"2\", \"Statement\": []}}"));
    let o = ramguard(&["validate", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains(":1:13:") || stderr(&o).contains(":1:13:"), "{}{}", stdout(&o), stderr(&o));
    let twice = write(&dir, "twice.json", &format!("{BOM}{BOM}{POLICY}"));
    let o = ramguard(&["validate", twice.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains(":1:1:") || stderr(&o).contains(":1:1:"), "{}{}", stdout(&o), stderr(&o));
}

/// Loads a suite written to a fresh file and returns its error.
fn suite_error(test: &str, text: &str) -> String {
    let dir = temp_dir(test);
    let path = write(&dir, "s.suite.json", text);
    match Suite::load(&path) {
        Ok(_) => panic!("the suite loaded"),
        Err(e) => {
            let shown = e.to_string();
            shown.strip_prefix(&format!("{}:", path.display())).unwrap_or_else(|| panic!("{shown}")).to_owned()
        }
    }
}

#[test]
fn a_suite_that_defines_a_policy_twice_is_an_error_at_the_second() {
    let text = r#"{"policies": {
    "ops": {"Version": "1", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
    "ops": "ops.json"},
 "cases": [{"name": "c", "identity": ["ops"], "action": "vpc:X", "resource": "*", "expect": "Allow"}]}"#;
    let e = suite_error("twice", text);
    assert!(e.starts_with("3:12: invalid suite: policy `ops` is defined twice in `policies` (first at 2:12)"), "{e}");
    // Names that differ are two policies, even in letter case.
    let dir = temp_dir("case");
    let text = text.replacen("\"ops\": \"ops.json\"", "\"OPS\": {\"Version\": \"1\", \"Statement\": []}", 1);
    let path = write(&dir, "s.suite.json", &text);
    let report = Suite::load(&path).unwrap().run();
    assert_eq!((report.passed, report.failed), (1, 0));
}

#[test]
fn a_case_that_gives_a_context_key_twice_is_an_error() {
    let case = |context: &str| {
        format!(
            r#"{{"policies": {{"p": {POLICY}}},
 "cases": [{{"name": "c", "identity": ["p"], "action": "vpc:DeleteVpnConnection", "resource": "*",
            "context": {context}, "expect": "Allow"}}]}}"#
        )
    };
    let e = suite_error("exact", &case(r#"{"acs:SourceIp": "10.0.0.1", "acs:SourceIp": "10.0.0.2"}"#));
    // On the second `acs:SourceIp` (columns 53 to 66).
    let (place, message) = e.split_once(": ").unwrap();
    let column: usize = place.strip_prefix("3:").unwrap().parse().unwrap();
    assert!((53..=66).contains(&column), "{e}");
    assert!(message.starts_with("case `c`: duplicate member name `acs:SourceIp`"), "{e}");
    let e = suite_error("spelling", &case(r#"{"acs:SourceIp": "10.0.0.1", "acs:sourceip": "10.0.0.2"}"#));
    assert!(e.starts_with("3:53: case `c`: `acs:sourceip` and `acs:SourceIp` are one condition key"), "{e}");
}

/// `ramguard call` on a fresh copy of the bundled world with `args`.
fn call(test: &str, args: &[&str]) -> Output {
    let dir = temp_dir(test);
    let world = write(
        &dir,
        "world.json",
        &std::fs::read_to_string(common::repo().join("policies/worlds/network.json")).unwrap(),
    );
    let mut all = vec![
        "call",
        "--world",
        world.to_str().unwrap(),
        "--principal",
        "acs:ram::1234567890123456:user/alice",
        "--identity",
        "policies/network-ops-vpn.json",
        "policies/zstack-ipsec-operator.json",
    ];
    all.extend_from_slice(args);
    ramguard(&all)
}

#[test]
fn a_misspelt_parameter_is_named_with_the_one_it_resembles() {
    // A required parameter misspelt: the warning, then the service's own answer.
    let o = call(
        "typo-required",
        &[
            "--operation",
            "vpc:DeleteIpsecServer",
            "--param",
            "RegionId=cn-hangzhou",
            "--param",
            "IpsecServerld=iss-bp1jougp8cfsbo8y9",
        ],
    );
    assert!(
        stderr(&o).contains(
            "warning: --param `IpsecServerld`: vpc:DeleteIpsecServer has no such parameter, so it has no effect: did you mean `IpsecServerId`?"
        ),
        "{}",
        stderr(&o)
    );
    assert_eq!(o.status.code(), Some(3), "{}", stdout(&o));
    assert!(stdout(&o).contains("MissingParameter"), "{}", stdout(&o));

    // An optional one: the call still runs, without it.
    let o = call(
        "typo-optional",
        &[
            "--operation",
            "vpc:DeleteIpsecServer",
            "--param",
            "RegionId=cn-hangzhou",
            "--param",
            "IpsecServerId=iss-bp1jougp8cfsbo8y9",
            "--param",
            "clienttoken=abc",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stderr(&o).contains("`clienttoken`: vpc:DeleteIpsecServer has no such parameter, so it has no effect: did you mean `ClientToken`?"), "{}", stderr(&o));

    // Nothing like any parameter: the catalog is named instead.
    let o = call(
        "typo-far",
        &[
            "--operation",
            "vpc:DescribeVpnGateway",
            "--param",
            "RegionId=cn-hangzhou",
            "--param",
            "VpnGatewayId=vpn-bp1hgim8by0kc9nga",
            "--param",
            "Colour=blue",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("`Colour`: vpc:DescribeVpnGateway has no such parameter, so it has no effect; `ramguard catalog vpc:DescribeVpnGateway` lists its parameters"), "{}", stderr(&o));
}

#[test]
fn known_parameters_draw_no_warning() {
    let o = call(
        "known",
        &[
            "--operation",
            "vpc:DeleteIpsecServer",
            "--param",
            "RegionId=cn-hangzhou",
            "--param",
            "IpsecServerId=iss-bp1jougp8cfsbo8y9",
            "--param",
            "ClientToken=abc",
            "--param",
            "DryRun=false",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stderr(&o), "");
    // A ZStack session travels as a parameter too.
    let o = call(
        "zstack",
        &[
            "--operation",
            "zstack:ChangeIPSecConnectionState",
            "--param",
            "uuid=76424bb25d3a37c9961fff1116bc06da",
            "--param",
            "stateEvent=enable",
            "--param",
            "Authorization=OAuth nope",
        ],
    );
    assert!(!stderr(&o).contains("warning"), "{}", stderr(&o));
}

#[test]
fn list_parameters_may_be_given_element_by_element() {
    let catalog = Catalog::builtin().unwrap();
    let (op, list) = catalog
        .operations()
        .iter()
        .find_map(|op| {
            op.parameters.iter().find(|p| p.param_type == ramguard::catalog::ParamType::List).map(|p| (op, p))
        })
        .unwrap();
    let element = format!("{}.1", list.name);
    let twelfth = format!("{}.12", list.name);
    let bad = [format!("{}.", list.name), format!("{}.x", list.name)];
    assert!(op.knows_parameter(&element) && op.knows_parameter(&twelfth));
    let unknown = op.unknown_parameters(bad.iter().map(String::as_str));
    assert_eq!(unknown.len(), 2, "{unknown:?}");
    assert_eq!(unknown[0].suggestion.as_deref(), Some(list.name.as_str()));
}
