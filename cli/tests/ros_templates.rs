//! `extract` and `validate` on ROS templates: the real template in
//! `tests/iac/ros/` and the fixtures written beside it (see
//! `tests/iac/SOURCES.md`).

#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests unwrap and index what they just built")]

mod common;
#[path = "common/sources.rs"]
mod sources;

use std::process::Command;

use serde_json::{Value, json};
use sources::{ramguard, stdout, text_at};

#[test]
fn extract_lists_every_document_of_the_templates() {
    let out = ramguard(&["extract", "--format", "json", "tests/iac/ros"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let found: Value = serde_json::from_slice(&out.stdout).unwrap();
    let listed: Vec<(String, String, String, Value)> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let file = d["source"].as_str().unwrap().trim_start_matches("tests/iac/ros/").to_owned();
            (
                file,
                d["where"].as_str().unwrap().to_owned(),
                d["kind"].as_str().unwrap().to_owned(),
                d["unresolved"].clone(),
            )
        })
        .collect();
    let expected = [
        ("control-policy.yaml", "NoDeletes.PolicyDocument", "control", json!([])),
        ("control-policy.yaml", "OneRegion.PolicyDocument", "control", json!(["Ref:Region"])),
        ("cross-account-command-inspection-role.yaml", "RamManagedPolicy.PolicyDocument", "identity", json!([])),
        ("cross-account-command-inspection-role.yaml", "RamRole.AssumeRolePolicyDocument", "trust", json!([])),
        ("long-forms.json", "Role.AssumeRolePolicyDocument", "trust", json!([])),
        ("long-forms.json", "Role.Policies[0].PolicyDocument", "identity", json!([])),
        ("long-forms.json", "Role.Policies[1].PolicyDocument", "identity", json!(["Fn::Jq"])),
        ("long-forms.json", "Ops.Policies[0].PolicyDocument", "identity", json!([])),
        ("short-tags.yaml", "Logs.Policy", "resource", json!(["Ref:TrustedAccount", "Ref:Logs", "GetAtt:Vpc.VpcId"])),
        ("version-number.yaml", "ReadOnly.PolicyDocument", "identity", json!([])),
    ]
    .map(|(f, w, k, u)| (f.to_owned(), w.to_owned(), k.to_owned(), u));
    assert_eq!(listed, expected);
    // Each points at its property's value in the template.
    for d in found.as_array().unwrap() {
        let path = common::repo().join(d["source"].as_str().unwrap());
        let at = text_at(&path, d["line"].as_u64().unwrap() as usize, d["column"].as_u64().unwrap() as usize);
        // A JSON or flow map's brace, a block map's first key, JSON text's quote.
        assert!(["{", "Version", "'{\"Version\""].iter().any(|p| at.starts_with(p)), "{}: {at}", d["where"]);
    }
    let bucket = found.as_array().unwrap().iter().find(|d| d["where"] == "Logs.Policy").unwrap();
    assert_eq!(bucket["document"]["Statement"][0]["Resource"][0], "acs:oss:*:*:{{Ref:Logs}}/*");

    let human = stdout(&ramguard(&["extract", "tests/iac/ros/short-tags.yaml"]));
    assert!(human.contains("short-tags.yaml:24:9: Logs.Policy (resource)"), "{human}");
    assert!(human.contains("depends on: Ref:TrustedAccount, Ref:Logs, GetAtt:Vpc.VpcId"), "{human}");
}

#[test]
fn validate_accepts_the_valid_templates_and_locates_a_yaml_number_at_its_line() {
    for valid in
        ["cross-account-command-inspection-role.yaml", "short-tags.yaml", "long-forms.json", "control-policy.yaml"]
    {
        let out = ramguard(&["validate", &format!("tests/iac/ros/{valid}")]);
        assert_eq!(out.status.code(), Some(0), "{valid}: {}", stdout(&out));
    }
    let out = ramguard(&["validate", "tests/iac/ros/cross-account-command-inspection-role.yaml"]);
    assert!(stdout(&out).contains("RamRole.AssumeRolePolicyDocument: ok (resource policy, 1 statement)"));

    let out = ramguard(&["validate", "tests/iac/ros/version-number.yaml"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let error = text.lines().find(|l| l.contains("`Version` must be the string")).unwrap();
    let path = common::repo().join("tests/iac/ros/version-number.yaml");
    let position: Vec<usize> = error
        .strip_prefix("tests/iac/ros/version-number.yaml:")
        .unwrap()
        .split(':')
        .take(2)
        .map(|n| n.parse().unwrap())
        .collect();
    let line = std::fs::read_to_string(&path).unwrap().lines().nth(position[0] - 1).unwrap().to_owned();
    assert_eq!(line.trim(), "Version: 1", "{error}");
    assert_eq!(text_at(&path, position[0], position[1]), "1", "{error}");
    assert!(error.contains(": ReadOnly.PolicyDocument: "), "{error}");
}

#[test]
fn yaml_files_in_a_directory_are_read_only_when_they_are_templates() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ci.yml"), "jobs:\n  test:\n    runs-on: ubuntu-latest\n").unwrap();
    std::fs::write(dir.path().join("policy.json"), r#"{"Version": "1", "Statement": []}"#).unwrap();
    std::fs::copy(common::repo().join("tests/iac/ros/short-tags.yaml"), dir.path().join("bucket.yaml")).unwrap();
    let out = ramguard(&["extract", "--format", "json", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let found: Value = serde_json::from_slice(&out.stdout).unwrap();
    let sources: Vec<&str> = found.as_array().unwrap().iter().map(|d| d["source"].as_str().unwrap()).collect();
    assert_eq!(sources.len(), 2, "{sources:?}");
    assert!(sources[0].ends_with("bucket.yaml") && sources[1].ends_with("policy.json"), "{sources:?}");

    let out = ramguard(&["validate", dir.path().to_str().unwrap()]);
    let text = stdout(&out);
    assert!(text.contains("ci.yml: skipped, not a ROS template"), "{text}");
    assert!(text.contains("bucket.yaml:Logs.Policy: ok"), "{text}");
    // Named, a YAML file that is no template is an error.
    let out = ramguard(&["validate", dir.path().join("ci.yml").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a policy document, a Terraform plan or a ROS template"));
}

/// The MIT-licensed template from the landing-zone repository.
const LANDING_ZONE: &str = "tests/iac/ros/cross-account-command-inspection-role.yaml";

/// The trusted principal of the landing-zone template's role, as `extract`
/// resolves it with `args`.
fn principal(args: &[&str]) -> String {
    let out = ramguard(&[&["extract", "--format", "json"], args, &[LANDING_ZONE]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let found: Value = serde_json::from_slice(&out.stdout).unwrap();
    found[1]["document"]["Statement"][0]["Principal"]["RAM"][0].as_str().unwrap().to_owned()
}

#[test]
fn a_parameter_given_on_the_command_line_wins_over_its_default() {
    assert_eq!(principal(&[]), "acs:ram::{{ALIYUN::AccountId}}:role/AliyunCustomConfigRuleRole");
    assert_eq!(
        principal(&[
            "--parameters",
            "AssumeRolePrincipalAccount=1234567890123456",
            "--parameters",
            "AssumeRolePrincipalRole=ops"
        ]),
        "acs:ram::1234567890123456:role/ops"
    );
    let out = ramguard(&["validate", "--parameters", "no-equals-sign", LANDING_ZONE]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected NAME=VALUE"));
}

#[test]
fn lint_and_diff_read_templates_and_locate_findings_in_them() {
    let out = Command::new(env!("CARGO_BIN_EXE_ramguard"))
        .args(["lint", "--format", "json", "tests/iac/ros"])
        .current_dir(common::repo())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stdout));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings: Vec<&serde_json::Value> =
        report["files"].as_array().unwrap().iter().flat_map(|f| f["findings"].as_array().unwrap()).collect();
    assert_eq!(findings.len(), 1, "{findings:?}");
    let finding = findings[0];
    assert_eq!(finding["file"], "tests/iac/ros/version-number.yaml");
    assert_eq!((finding["line"].as_u64(), finding["column"].as_u64()), (Some(9), Some(18)), "{finding}");
    assert!(finding["message"].as_str().unwrap().starts_with("ReadOnly.PolicyDocument: "), "{finding}");

    // A template that newly grants an action is new access; one that only adds a Deny is not.
    let template = |extra: &str| {
        format!(
            "ROSTemplateFormatVersion: '2015-09-01'\nResources:\n  Ops:\n    Type: ALIYUN::RAM::ManagedPolicy\n    \
             Properties:\n      PolicyName: ops\n      PolicyDocument:\n        Version: '1'\n        Statement:\n        \
             - Effect: Allow\n          Action: oss:GetObject\n          Resource: !Join ['', ['acs:oss:*:*:', logs, '/*']]\n{extra}"
        )
    };
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: String| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let base = write("base.yaml", template(""));
    let grants = write(
        "grants.yaml",
        template("        - Effect: Allow\n          Action: vpc:DeleteIpsecServer\n          Resource: '*'\n"),
    );
    let denies = write(
        "denies.yaml",
        template("        - Effect: Deny\n          Action: oss:GetObject\n          Resource: '*'\n"),
    );
    let diff = |new: &str| Command::new(env!("CARGO_BIN_EXE_ramguard")).args(["diff", &base, new]).output().unwrap();
    let out = diff(&grants);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("NEW ACCESS") && text.contains("vpc:DeleteIpsecServer"), "{text}");
    assert!(text.contains("grants.yaml:Ops.PolicyDocument statement 1"), "{text}");
    let out = diff(&denies);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));

    // A value known only at deployment is never read as the text it is
    // (it would match nothing and hide the grant): the account placeholder
    // is the principal's account, so the grant is found.
    let pseudo = write(
        "pseudo.yaml",
        template(
            "        - Effect: Allow\n          Action: vpc:DeleteIpsecServer\n          \
             Resource: !Sub 'acs:vpc:*:${ALIYUN::AccountId}:*'\n",
        ),
    );
    let out = diff(&pseudo);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("{{ALIYUN::AccountId}} read as the principal's account, 1234567890123456"), "{text}");
    assert!(text.contains("NEW ACCESS") && text.contains(":1234567890123456:vpnipsecserver/"), "{text}");
    // Bound with --account, it is that account.
    let out = Command::new(env!("CARGO_BIN_EXE_ramguard"))
        .args(["diff", "--account", "1234567890123456", "--principal", "acs:ram::1234567890123456:user/ops"])
        .args([&base, &pseudo])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains(":1234567890123456:vpnipsecserver/"), "{text}");
}

#[test]
fn account_and_region_bind_the_pseudo_parameters() {
    // Unbound, the pseudo parameter stays a placeholder; bound, it is the account.
    assert_eq!(principal(&[]), "acs:ram::{{ALIYUN::AccountId}}:role/AliyunCustomConfigRuleRole");
    assert_eq!(
        principal(&["--account", "5550001112223334"]),
        "acs:ram::5550001112223334:role/AliyunCustomConfigRuleRole"
    );
    let human = stdout(&ramguard(&["extract", "--account", "5550001112223334", LANDING_ZONE]));
    assert!(human.contains("acs:ram::5550001112223334:role/") && !human.contains("{{ALIYUN::AccountId}}"), "{human}");

    // `${ALIYUN::AccountId}` in Fn::Sub and `Ref ALIYUN::Region` bind too.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.yaml");
    std::fs::write(
        &path,
        "ROSTemplateFormatVersion: '2015-09-01'\nResources:\n  P:\n    Type: ALIYUN::RAM::ManagedPolicy\n    Properties:\n      \
         PolicyName: p\n      PolicyDocument:\n        Version: '1'\n        Statement:\n        - Effect: Allow\n          \
         Action: ecs:StartInstance\n          Resource: !Sub 'acs:ecs:${ALIYUN::Region}:${ALIYUN::TenantId}:instance/*'\n",
    )
    .unwrap();
    let path = path.to_str().unwrap();
    let resource = |args: &[&str]| {
        let out = ramguard(&[&["extract", "--format", "json"], args, &[path]].concat());
        let found: Value = serde_json::from_slice(&out.stdout).unwrap();
        found[0]["document"]["Statement"][0]["Resource"].as_str().unwrap().to_owned()
    };
    assert_eq!(resource(&[]), "acs:ecs:{{ALIYUN::Region}}:{{ALIYUN::TenantId}}:instance/*");
    assert_eq!(resource(&["--account", "42", "--region", "cn-shanghai"]), "acs:ecs:cn-shanghai:42:instance/*");
    assert_eq!(resource(&["--region", "cn-shanghai"]), "acs:ecs:cn-shanghai:{{ALIYUN::TenantId}}:instance/*");

    for (flag, bad) in [("--account", "12ab"), ("--region", "CN_Hangzhou"), ("--account", "")] {
        for command in ["extract", "validate", "lint", "diff"] {
            let out = ramguard(&[command, flag, bad, path]);
            assert_eq!(out.status.code(), Some(1), "{command} {flag} {bad}");
            assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("{flag} `{bad}`")), "{command} {flag}");
        }
    }
}

#[test]
fn lint_names_the_placeholders_a_finding_depends_on_and_only_those() {
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("stack.yaml");
    std::fs::write(
        &template,
        r"ROSTemplateFormatVersion: '2015-09-01'
Parameters:
  Missing:
    Type: String
Resources:
  Ops:
    Type: ALIYUN::RAM::ManagedPolicy
    Properties:
      PolicyName: ops
      PolicyDocument:
        Version: '1'
        Statement:
          - Effect: Allow
            Action: ecs:*
            Resource: !Sub acs:ecs:*:*:instance/${Missing}
          - Effect: Allow
            Action: ecs:*
            Resource: '*'
          - Effect: Allow
            Action: vpc:DeleteVpc
            Resource: acs:vpc:*:*:vpc/vpc-1
          - Effect: Allow
            Action: vpc:DeleteVpc
            Resource: acs:vpc:*:*:vpc/vpc-1
",
    )
    .unwrap();
    let out = ramguard(&["lint", "--format", "json", template.to_str().unwrap()]);
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let findings: Vec<(String, String)> = report["files"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap().to_owned(), f["message"].as_str().unwrap().to_owned()))
        .collect();
    let on = |statement: &str| findings.iter().filter(|(p, _)| p.starts_with(statement)).collect::<Vec<_>>();
    // The statement built from the parameter without a default: named.
    assert!(!on("Statement[0]").is_empty(), "{findings:?}");
    for (_, message) in on("Statement[0]") {
        assert!(message.ends_with("(depends on {{Ref:Missing}})"), "{message}");
    }
    // The literal duplicate: no note.
    let literal: Vec<_> =
        findings.iter().filter(|(p, _)| p.starts_with("Statement[2]") || p.starts_with("Statement[3]")).collect();
    assert!(!literal.is_empty(), "{findings:?}");
    for (_, message) in literal {
        assert!(!message.contains("depends on"), "{message}");
    }
}
