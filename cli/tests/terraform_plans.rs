//! `extract` and `validate` on Terraform plans (`terraform show -json`):
//! the real plans in `tests/iac/` and plans derived from them here.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests unwrap and index what they just built")]

mod common;

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn ramguard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ramguard")).args(args).current_dir(common::repo()).output().unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// The text of the file at `path` from line `line`, column `column` on.
fn text_at(path: &Path, line: usize, column: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines().nth(line - 1).unwrap().chars().skip(column - 1).collect()
}

#[test]
fn extract_finds_the_one_document_of_the_real_plans_where_it_is() {
    let out = ramguard(&["extract", "--format", "json", "tests/iac/terraform-plan"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let found: Value = serde_json::from_slice(&out.stdout).unwrap();
    let found = found.as_array().unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    let doc = &found[0];
    assert_eq!(doc["source"], "tests/iac/terraform-plan/ram_policy.tfplan.json");
    assert_eq!(doc["where"], "alicloud_ram_policy.policy.policy_document");
    assert_eq!(doc["kind"], "identity");
    assert_eq!(doc["unresolved"], serde_json::json!([]));
    assert_eq!(doc["document"]["Statement"][0]["Action"][1], "oss:GetObject");
    let plan = common::repo().join("tests/iac/terraform-plan/ram_policy.tfplan.json");
    let at = text_at(&plan, doc["line"].as_u64().unwrap() as usize, doc["column"].as_u64().unwrap() as usize);
    assert!(at.starts_with("\"  {\\n    \\\"Statement"), "{at}");

    let human = stdout(&ramguard(&["extract", "tests/iac/terraform-plan/ram_policy.tfplan.json"]));
    assert!(human.contains("alicloud_ram_policy.policy.policy_document (identity)"), "{human}");
    assert!(human.trim_end().ends_with("1 document"), "{human}");
}

#[test]
fn validate_checks_a_plans_documents_and_locates_errors_in_the_plan() {
    let out = ramguard(&["validate", "tests/iac/terraform-plan"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains(
            "ram_policy.tfplan.json:alicloud_ram_policy.policy.policy_document: ok (identity policy, 1 statement)"
        ),
        "{text}"
    );
    assert_eq!(text.matches("no policy document in this Terraform plan").count(), 5, "{text}");

    // The real plan with a misspelt effect, and a second policy computed at apply.
    let mut plan: Value = serde_json::from_str(
        &std::fs::read_to_string(common::repo().join("tests/iac/terraform-plan/ram_policy.tfplan.json")).unwrap(),
    )
    .unwrap();
    let resources = plan["planned_values"]["root_module"]["resources"].as_array_mut().unwrap();
    let document = resources[0]["values"]["policy_document"].as_str().unwrap().replace("\"Allow\"", "\"Alow\"");
    resources[0]["values"]["policy_document"] = Value::String(document);
    let mut later = resources[0].clone();
    later["address"] = "alicloud_ram_policy.later".into();
    later["values"]["policy_document"] = Value::Null;
    resources.push(later);
    plan["resource_changes"].as_array_mut().unwrap().push(serde_json::json!(
        {"address": "alicloud_ram_policy.later", "change": {"after_unknown": {"policy_document": true}}}));
    plan["configuration"]["root_module"]["resources"].as_array_mut().unwrap().push(serde_json::json!(
        {"address": "alicloud_ram_policy.later", "expressions": {"policy_document": {"references": ["var.document"]}}}));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.tfplan.json");
    std::fs::write(&path, serde_json::to_string_pretty(&plan).unwrap()).unwrap();

    let out = ramguard(&["validate", path.to_str().unwrap()]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let error = text.lines().find(|l| l.contains("invalid effect `Alow`")).unwrap();
    assert!(error.contains(": alicloud_ram_policy.policy.policy_document: "), "{error}");
    let position: Vec<usize> = error
        .strip_prefix(&format!("{}:", path.display()))
        .unwrap()
        .split(':')
        .take(2)
        .map(|n| n.parse().unwrap())
        .collect();
    assert!(text_at(&path, position[0], position[1]).starts_with("\\\"Alow\\\""), "{error}");
    let unknown = text.lines().find(|l| l.contains("alicloud_ram_policy.later")).unwrap();
    assert!(unknown.contains("not known until apply, so not checked (depends on var.document)"), "{unknown}");

    // The same in JSON: the error located in the plan, the unknown one not valid.
    let out = ramguard(&["validate", "--format", "json", path.to_str().unwrap()]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let files = report["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(
        (files[0]["where"].as_str(), files[0]["valid"].as_bool()),
        (Some("alicloud_ram_policy.policy.policy_document"), Some(false))
    );
    let e = &files[0]["errors"][0];
    assert_eq!((e["line"].as_u64(), e["column"].as_u64()), (Some(position[0] as u64), Some(position[1] as u64)));
    assert_eq!((files[1]["known"].as_bool(), files[1]["valid"].as_bool()), (Some(false), Some(false)));
    assert_eq!(files[1]["unresolved"], serde_json::json!(["var.document"]));
}
