//! `scripts/policy-gate.sh`, the CI job the README shows, run on a real git
//! repository: a pull request that newly grants `vpc:DeleteIpsecServer`
//! fails, one that only narrows passes.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests unwrap and index what they just built"
)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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
    copy_dir(&common::repo().join("policies"), &repo.join("policies"));
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "base policies"]);
    git(&repo, &["checkout", "-q", "-b", "pr"]);
    repo
}

fn commit(repo: &Path, file: &str, text: &str) {
    commit_all(repo, &[(file, text)]);
}

fn commit_all(repo: &Path, files: &[(&str, &str)]) {
    for (file, text) in files {
        let path = repo.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "-m", "change policies"]);
}

/// [`repository`] whose `main` also holds `files`.
fn repository_with(test: &str, files: &[(&str, &str)]) -> PathBuf {
    let repo = repository(test);
    git(&repo, &["checkout", "-q", "main"]);
    commit_all(&repo, files);
    git(&repo, &["checkout", "-q", "-B", "pr"]);
    repo
}

fn gate(repo: &Path) -> Output {
    gate_with(repo, &GATE_OPTIONS)
}

fn gate_with(repo: &Path, options: &[&str]) -> Output {
    let mut args =
        vec![format!("{}/scripts/policy-gate.sh", common::repo().display()), "main".to_owned(), "policies".to_owned()];
    args.extend(options.iter().map(|s| (*s).to_owned()));
    Command::new("bash").args(&args).env("RAMGUARD", env!("CARGO_BIN_EXE_ramguard")).current_dir(repo).output().unwrap()
}

/// A new grant the base branch's policies do not give.
const IPSEC_CLEANUP: &str = r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "vpc:DeleteIpsecServer",
    "Resource": "acs:vpc:*:*:vpnipsecserver/*"}]}"#;

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
    let script = format!("{}/scripts/policy-gate.sh", common::repo().display());
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

#[test]
fn a_control_glob_written_as_the_printed_path_is_an_error_not_a_pass() {
    // `policies/control/*` once matched the path lint prints but not the
    // path diff sees: lint read the full-access control policy as control,
    // diff as an identity grant of everything on both sides, and no grant
    // could look new.
    let repo = repository_with(
        "control-path",
        &[(
            "policies/control/full-access.json",
            r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#,
        )],
    );
    commit(&repo, "policies/ipsec-cleanup.json", IPSEC_CLEANUP);
    let o = gate_with(&repo, &["--control", "change-window-control.json", "--control", "policies/control/*"]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(out(&o).contains("--control `policies/control/*` matches no document"), "{}", out(&o));
    // Written relative to the policy directory, the glob finds the new access.
    let o = gate_with(&repo, &["--control", "change-window-control.json", "--control", "control/*"]);
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    assert!(out(&o).contains("vpc:DeleteIpsecServer on acs:vpc:"), "{}", out(&o));
}

#[test]
fn a_policy_in_a_subdirectory_is_linted() {
    let repo = repository("subdirectory");
    // A Deny that can never match (a misspelt action) protects nothing: a
    // security warning, which lint once missed below the top directory.
    commit(
        &repo,
        "policies/team/deny-ipsec-deletes.json",
        r#"{"Version": "1", "Statement": [{"Effect": "Deny", "Action": "vpc:DeleteIpsecSever", "Resource": "*"}]}"#,
    );
    let o = gate(&repo);
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    assert!(out(&o).contains("policies/team/deny-ipsec-deletes.json: 1 security warning"), "{}", out(&o));
    assert!(out(&o).contains("RG103[deny-never-matches]"), "{}", out(&o));
}

#[test]
fn a_kind_glob_that_matches_nothing_fails_the_gate() {
    // A guardrail meant as a control policy, named with a typo: read as an
    // identity grant of `vpc:*`, it made every new VPC grant look old.
    let repo = repository_with(
        "typo",
        &[(
            "policies/guardrail.json",
            r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "vpc:*", "Resource": "*"}]}"#,
        )],
    );
    commit(&repo, "policies/ipsec-cleanup.json", IPSEC_CLEANUP);
    let o = gate_with(&repo, &["--control", "change-window-control.json", "--control", "guardrails.json"]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(out(&o).contains("--control `guardrails.json` matches no document"), "{}", out(&o));
    let o = gate_with(&repo, &["--control", "change-window-control.json", "--control", "guardrail.json"]);
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    assert!(out(&o).contains("vpc:DeleteIpsecServer on acs:vpc:"), "{}", out(&o));
}

#[test]
fn a_diff_cut_short_fails_the_gate_unless_accepted() {
    let repo = repository("inexact");
    commit(&repo, "policies/ipsec-cleanup.json", IPSEC_CLEANUP);
    let o = gate_with(&repo, &["--control", "change-window-control.json", "--", "--max-requests", "0"]);
    assert_eq!(o.status.code(), Some(3), "{}", out(&o));
    let text = out(&o);
    assert!(text.contains("UNDECIDED"), "{text}");
    assert!(text.contains("raise --max-requests"), "{text}");
    assert!(text.contains("policy-gate: diff could not prove that nothing new is allowed"), "{text}");
    assert!(!text.contains("allow nothing new"), "{text}");
    let options = ["--control", "change-window-control.json", "--", "--max-requests", "0", "--accept-inexact"];
    let o = gate_with(&repo, &options);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(out(&o).contains("accepted an inexact answer (--accept-inexact)"), "{}", out(&o));
}

#[test]
fn a_grant_hidden_behind_denials_of_the_filler_characters_fails_the_gate() {
    // `oss:Pu?BucketPolicy` on `*`, next to denials of `oss:Pu<c>BucketPolicy`
    // for every character the representative search once filled `?` with
    // (spread over files within RAM's size limit): `oss:Pu-BucketPolicy`,
    // say, is still granted.
    let repo = repository("filler");
    let fillers: Vec<char> = "xzqjkvwyXZQJKVWY0123456789gbmhfupldnocrtseaiGBMHFUPLDNOCRTSEAI_~^"
        .chars()
        .chain('\u{a1}'..='\u{24f}')
        .chain(['\u{2603}'])
        .collect();
    let mut files = vec![(
        "policies/oss-bucket-policies.json".to_owned(),
        r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "oss:Pu?BucketPolicy", "Resource": "*"}]}"#
            .to_owned(),
    )];
    for (i, chunk) in fillers.chunks(150).enumerate() {
        let actions: Vec<String> = chunk.iter().map(|c| format!("\"oss:Pu{c}BucketPolicy\"")).collect();
        let text = format!(
            r#"{{"Version": "1", "Statement": [{{"Effect": "Deny", "Action": [{}], "Resource": "*"}}]}}"#,
            actions.join(",")
        );
        files.push((format!("policies/oss-deny-{i}.json"), text));
    }
    let files: Vec<(&str, &str)> = files.iter().map(|(f, t)| (f.as_str(), t.as_str())).collect();
    commit_all(&repo, &files);
    let o = gate(&repo);
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    let text = out(&o);
    assert!(text.contains("NEW ACCESS"), "{text}");
    assert!(text.contains("granted by: oss-bucket-policies.json statement 0"), "{text}");
}

/// A repository whose `main` holds `files` alone (no bundled policies),
/// checked out on a new branch `pr`.
fn bare_repository(test: &str, files: &[(&str, &str)]) -> PathBuf {
    let repo = std::env::temp_dir().join(format!("ramguard-gate-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&repo);
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    commit_all(&repo, files);
    git(&repo, &["checkout", "-q", "-b", "pr"]);
    repo
}

fn gate_dir(repo: &Path, dir: &str, options: &[&str]) -> Output {
    let mut args =
        vec![format!("{}/scripts/policy-gate.sh", common::repo().display()), "main".to_owned(), dir.to_owned()];
    args.extend(options.iter().map(|s| (*s).to_owned()));
    Command::new("bash").args(&args).env("RAMGUARD", env!("CARGO_BIN_EXE_ramguard")).current_dir(repo).output().unwrap()
}

/// A ROS template holding one managed policy that lets operators describe
/// VPN gateways, with `EXTRA` spliced into its resources.
fn ros_template(extra: &str) -> String {
    format!(
        r#"ROSTemplateFormatVersion: '2015-09-01'
Parameters:
  Env:
    Type: String
    Default: prod
Resources:
  Operators:
    Type: ALIYUN::RAM::ManagedPolicy
    Properties:
      PolicyName: operators
      PolicyDocument:
        Version: '1'
        Statement:
          - Effect: Allow
            Action: vpc:DescribeVpnGateways
            Resource: !Sub acs:vpc:*:*:vpngateway/vpn-${{Env}}-*
{extra}"#
    )
}

const ROS_IPSEC_GRANT: &str = r"  IpsecCleanup:
    Type: ALIYUN::RAM::ManagedPolicy
    Properties:
      PolicyName: ipsec-cleanup
      PolicyDocument:
        Version: '1'
        Statement:
          - Effect: Allow
            Action: vpc:DeleteIpsecServer
            Resource: acs:vpc:*:*:vpnipsecserver/*
";

const ROS_DENY: &str = r"  NoDeletesFromLab:
    Type: ALIYUN::RAM::ManagedPolicy
    Properties:
      PolicyName: no-deletes-from-lab
      PolicyDocument:
        Version: '1'
        Statement:
          - Effect: Deny
            Action: vpc:Delete*
            Resource: '*'
            Condition:
              IpAddress:
                acs:SourceIp: 192.0.2.0/24
";

#[test]
fn a_ros_pull_request_that_newly_grants_delete_ipsec_server_fails() {
    let repo = bare_repository("ros-grant", &[("templates/stack.yaml", &ros_template(""))]);
    commit(&repo, "templates/stack.yaml", &ros_template(ROS_IPSEC_GRANT));
    let o = gate_dir(&repo, "templates", &[]);
    let text = out(&o);
    assert_eq!(o.status.code(), Some(2), "{text}");
    assert!(text.contains("NEW ACCESS"), "{text}");
    assert!(text.contains("vpc:DeleteIpsecServer on acs:vpc:"), "{text}");
    assert!(text.contains("IpsecCleanup.PolicyDocument"), "{text}");
}

#[test]
fn a_ros_pull_request_that_only_adds_a_deny_passes() {
    let repo = bare_repository("ros-deny", &[("templates/stack.yaml", &ros_template(""))]);
    commit(&repo, "templates/stack.yaml", &ros_template(ROS_DENY));
    let o = gate_dir(&repo, "templates", &[]);
    let text = out(&o);
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(text.contains("allow nothing new"), "{text}");
}

#[test]
fn a_ros_parameter_given_to_the_gate_reaches_both_sides() {
    // The new statement grants what the old one grants when Env is lab, and
    // more when Env keeps its default, prod.
    let lab = r"  LabOperators:
    Type: ALIYUN::RAM::ManagedPolicy
    Properties:
      PolicyName: lab-operators
      PolicyDocument:
        Version: '1'
        Statement:
          - Effect: Allow
            Action: vpc:DescribeVpnGateways
            Resource: acs:vpc:*:*:vpngateway/vpn-lab-*
";
    let repo = bare_repository("ros-param", &[("templates/stack.yaml", &ros_template(""))]);
    commit(&repo, "templates/stack.yaml", &ros_template(lab));
    let o = gate_dir(&repo, "templates", &[]);
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    let o = gate_dir(&repo, "templates", &["--parameters", "Env=lab"]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
}

/// A Terraform configuration with one policy that lets operators describe
/// VPN gateways, with `EXTRA` appended.
fn terraform(extra: &str) -> String {
    format!(
        r#"variable "env" {{
  type    = string
  default = "prod"
}}

resource "alicloud_ram_policy" "operators" {{
  policy_name     = "operators"
  policy_document = <<EOF
  {{
    "Version": "1",
    "Statement": [
      {{
        "Effect": "Allow",
        "Action": "vpc:DescribeVpnGateways",
        "Resource": "acs:vpc:*:*:vpngateway/vpn-${{var.env}}-*"
      }}
    ]
  }}
  EOF
}}
{extra}"#
    )
}

const TF_IPSEC_GRANT: &str = r#"
resource "alicloud_ram_policy" "ipsec_cleanup" {
  policy_name = "ipsec-cleanup"
  policy_document = jsonencode({
    Version = "1"
    Statement = [{
      Effect   = "Allow"
      Action   = "vpc:DeleteIpsecServer"
      Resource = "acs:vpc:*:*:vpnipsecserver/*"
    }]
  })
}
"#;

const TF_DENY: &str = r#"
resource "alicloud_ram_policy" "no_deletes_from_lab" {
  policy_name = "no-deletes-from-lab"
  policy_document = jsonencode({
    Version = "1"
    Statement = [{
      Effect    = "Deny"
      Action    = "vpc:Delete*"
      Resource  = "*"
      Condition = { IpAddress = { "acs:SourceIp" = "192.0.2.0/24" } }
    }]
  })
}
"#;

#[test]
fn a_terraform_pull_request_that_newly_grants_delete_ipsec_server_fails() {
    let repo = bare_repository("tf-grant", &[("infra/main.tf", &terraform(""))]);
    commit(&repo, "infra/main.tf", &terraform(TF_IPSEC_GRANT));
    let o = gate_dir(&repo, "infra", &[]);
    let text = out(&o);
    assert_eq!(o.status.code(), Some(2), "{text}");
    assert!(text.contains("NEW ACCESS"), "{text}");
    assert!(text.contains("vpc:DeleteIpsecServer on acs:vpc:"), "{text}");
    assert!(text.contains("alicloud_ram_policy.ipsec_cleanup.policy_document"), "{text}");
}

#[test]
fn a_terraform_pull_request_that_only_adds_a_deny_passes() {
    let repo = bare_repository("tf-deny", &[("infra/main.tf", &terraform(""))]);
    commit(&repo, "infra/main.tf", &terraform(TF_DENY));
    let o = gate_dir(&repo, "infra", &[]);
    let text = out(&o);
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(text.contains("allow nothing new"), "{text}");
}

#[test]
fn a_terraform_variable_given_to_the_gate_reaches_both_sides() {
    let lab = r#"
resource "alicloud_ram_policy" "lab_operators" {
  policy_name     = "lab-operators"
  policy_document = "{\"Version\": \"1\", \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"vpc:DescribeVpnGateways\", \"Resource\": \"acs:vpc:*:*:vpngateway/vpn-lab-*\"}]}"
}
"#;
    let repo = bare_repository("tf-var", &[("infra/main.tf", &terraform(""))]);
    commit(&repo, "infra/main.tf", &terraform(lab));
    let o = gate_dir(&repo, "infra", &[]);
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    let o = gate_dir(&repo, "infra", &["--var", "env=lab"]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    // The same through a variable file.
    std::fs::write(repo.join("lab.tfvars"), "env = \"lab\"\n").unwrap();
    let o = gate_dir(&repo, "infra", &["--var-file", "lab.tfvars"]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
}

#[test]
fn a_variable_without_a_value_is_an_unknown_to_the_gate_never_text_that_matches_nothing() {
    let config = |extra: &str| {
        format!(
            r#"variable "gateway" {{
  type = string
}}

resource "alicloud_ram_policy" "operators" {{
  policy_name = "operators"
  policy_document = jsonencode({{
    Version = "1"
    Statement = [
      {{ Effect = "Allow", Action = "vpc:DescribeVpnGateways", Resource = "acs:vpc:*:*:vpngateway/${{var.gateway}}" }},
{extra}    ]
  }})
}}
"#
        )
    };
    let deny = "      { Effect = \"Deny\", Action = \"vpc:DescribeVpnGateways\", Resource = \"*\", \
                Condition = { Bool = { \"acs:SecureTransport\" = \"false\" } } },\n";
    let grant = "      { Effect = \"Allow\", Action = \"vpc:DeleteVpnConnection\", \
                 Resource = \"acs:vpc:*:*:vpnconnection/${var.gateway}-*\" },\n";
    let repo = bare_repository("tf-unknown", &[("infra/main.tf", &config(""))]);
    commit(&repo, "infra/main.tf", &config(deny));
    let o = gate_dir(&repo, "infra", &[]);
    let text = out(&o);
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(text.contains("unknown values, the same on both sides: {{var.gateway}}"), "{text}");
    commit(&repo, "infra/main.tf", &config(&format!("{deny}{grant}")));
    let o = gate_dir(&repo, "infra", &[]);
    let text = out(&o);
    assert_eq!(o.status.code(), Some(2), "{text}");
    assert!(
        text.contains("vpc:DeleteVpnConnection on acs:vpc:") && text.contains("vpnconnection/{{var.gateway}}-"),
        "{text}"
    );
}

#[test]
fn a_terraform_repository_of_modules_and_environments_is_gated_through_the_calls() {
    // The module's variable has no default: read alone it would be an
    // unknown value, and through the call it resolves.
    let module = r#"variable "prefix" {
  type = string
}

resource "alicloud_ram_policy" "operators" {
  policy_name     = "operators"
  policy_document = <<EOF
  {"Version": "1", "Statement": [{"Effect": "Allow", "Action": "vpc:DescribeVpnGateways",
    "Resource": "acs:vpc:*:*:vpngateway/${var.prefix}-*"}]}
  EOF
}
"#;
    let prod = "module \"operators\" {\n  source = \"../../modules/operators\"\n  prefix = \"vpn-prod\"\n}\n";
    let repo = bare_repository(
        "tf-modules",
        &[("infra/modules/operators/main.tf", module), ("infra/envs/prod/main.tf", prod)],
    );
    let o = gate_dir(&repo, "infra", &[]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    commit(&repo, "infra/envs/prod/main.tf", &format!("{prod}{TF_IPSEC_GRANT}"));
    let o = gate_dir(&repo, "infra", &[]);
    let text = out(&o);
    assert_eq!(o.status.code(), Some(2), "{text}");
    assert!(text.contains("alicloud_ram_policy.ipsec_cleanup.policy_document"), "{text}");
}
