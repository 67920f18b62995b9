//! The commands on Terraform configurations (`.tf` files): findings at the
//! `.tf` file's lines, in SARIF too; a `.tf` file named alone; variables.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests unwrap what they just built")]

mod common;

use std::process::{Command, Output};

fn ramguard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ramguard")).args(args).current_dir(common::repo()).output().unwrap()
}

#[test]
fn lint_locates_a_finding_at_the_line_of_the_tf_file_in_sarif() {
    let o = ramguard(&["lint", "--format", "sarif", "tests/iac/terraform/quickstart-cen-oss-bucket-policy"]);
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    let sarif: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let missing = results
        .iter()
        .find(|r| r["message"]["text"].as_str().unwrap().contains("missing required element `Principal`"))
        .unwrap();
    let location = &missing["locations"][0]["physicalLocation"];
    assert_eq!(
        location["artifactLocation"]["uri"].as_str().unwrap(),
        "tests/iac/terraform/quickstart-cen-oss-bucket-policy/main.tf"
    );
    assert_eq!(location["region"]["startLine"], 67);
    assert_eq!(location["region"]["startColumn"], 59);
    assert!(missing["message"]["text"].as_str().unwrap().starts_with("alicloud_oss_bucket_policy.default.policy: "));
}

#[test]
fn a_tf_file_named_alone_yields_the_documents_in_it_resolved_with_its_module() {
    // `main.tf` holds the resource; its variables are in `variables.tf`.
    let dir = "tests/iac/terraform/landing-zone-control-policy-template";
    let o = ramguard(&["extract", "--format", "json", &format!("{dir}/main.tf")]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let found: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(found.as_array().unwrap().len(), 1);
    assert_eq!(found[0]["where"], "alicloud_resource_manager_control_policy.logarchive.policy_document");
    let o = ramguard(&["extract", "--format", "json", &format!("{dir}/variables.tf")]);
    let found: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(found, serde_json::json!([]));
}

#[test]
fn var_and_var_file_resolve_the_placeholders() {
    let dir = "tests/iac/terraform/landing-zone-control-policy-template";
    let file = format!("{dir}/tfvars.json.example");
    let o = ramguard(&["extract", "--format", "json", "--var-file", &file, "--var", "oss_bucket_name=logs", dir]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let found: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(found[0]["unresolved"], serde_json::json!([]));
    let text = found[0]["document"].to_string();
    // --var wins over the file; the file gives the %{for} its list.
    assert!(text.contains("acs:oss:oss-*::logs"), "{text}");
    assert!(text.contains("job/cold-logarchive-2"), "{text}");
    assert!(!text.contains("{{"), "{text}");
    // A malformed --var is an error naming it.
    let o = ramguard(&["extract", "--var", "oops", dir]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--var `oops`: expected NAME=VALUE"));
}

#[test]
fn a_count_of_zero_creates_no_document_until_a_variable_enables_it() {
    let dir = "tests/iac/terraform/ram-assumable-role";
    let o = ramguard(&["extract", "--format", "json", dir]);
    assert_eq!(serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap(), serde_json::json!([]));
    let o = ramguard(&["extract", "--format", "json", "--var", "create_role=true", dir]);
    let found: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(found[0]["where"], "alicloud_ram_role.this[0].document");
    assert_eq!(found[0]["kind"], "trust");
}

#[test]
fn a_called_module_is_read_through_its_call_unless_given_by_name() {
    let root = "tests/iac/terraform/ram-policy-OssBucketReadOnly";
    let places = |args: &[&str]| {
        let o = ramguard(&[&["extract", "--format", "json"], args].concat());
        let found: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        found
            .as_array()
            .unwrap()
            .iter()
            .map(|d| (d["where"].as_str().unwrap().to_owned(), d["unresolved"].clone()))
            .collect::<Vec<_>>()
    };
    // Walking the folder: the example's call only, resolved.
    assert_eq!(
        places(&[root]),
        [("module.example.alicloud_ram_policy.policy[0].policy_document".to_owned(), serde_json::json!([]))]
    );
    // The module given by name is a root: its variable has no value.
    assert_eq!(
        places(&[&format!("{root}/modules/OssBucketReadOnly")]),
        [("alicloud_ram_policy.policy[0].policy_document".to_owned(), serde_json::json!(["var.oss_bucket_name"]))]
    );
}
