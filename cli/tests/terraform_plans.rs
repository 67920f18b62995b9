//! `extract` and `validate` on Terraform plans (`terraform show -json`):
//! the real plans in `tests/iac/` and plans derived from them here.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests unwrap and index what they just built")]

mod common;
#[path = "common/sources.rs"]
mod sources;

use std::path::Path;

use serde_json::Value;
use sources::{ramguard, stdout, text_at};

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

/// The real plan with its policy replaced by `document`, written in `dir`.
fn plan_with(dir: &Path, document: &Value) -> std::path::PathBuf {
    let mut plan: Value = serde_json::from_str(
        &std::fs::read_to_string(common::repo().join("tests/iac/terraform-plan/ram_policy.tfplan.json")).unwrap(),
    )
    .unwrap();
    plan["planned_values"]["root_module"]["resources"][0]["values"]["policy_document"] =
        Value::String(document.to_string());
    let path = dir.join("admin.tfplan.json");
    std::fs::write(&path, serde_json::to_string_pretty(&plan).unwrap()).unwrap();
    path
}

#[test]
fn lint_reports_a_plans_findings_at_the_plans_own_lines_in_every_format() {
    let out = ramguard(&["lint", "tests/iac/terraform-plan"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));

    let dir = tempfile::tempdir().unwrap();
    let admin = serde_json::json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]});
    let path = plan_with(dir.path(), &admin);
    let file = path.to_str().unwrap();
    let out = ramguard(&["lint", "--format", "json", file]);
    assert_eq!(out.status.code(), Some(2), "a security warning fails by default: {}", stdout(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let finding =
        report["files"][0]["findings"].as_array().unwrap().iter().find(|f| f["code"] == "RG101").unwrap().clone();
    assert!(
        finding["message"].as_str().unwrap().starts_with("alicloud_ram_policy.policy.policy_document: "),
        "{finding}"
    );
    let (line, column) = (finding["line"].as_u64().unwrap() as usize, finding["column"].as_u64().unwrap() as usize);
    assert!(text_at(&path, line, column).starts_with("\\\"*\\\""), "at the escaped action: {finding}");

    // SARIF: the same place, in the plan file, for code scanning.
    let out = ramguard(&["lint", "--format", "sarif", file]);
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    let result =
        sarif["runs"][0]["results"].as_array().unwrap().iter().find(|r| r["ruleId"] == "RG101").unwrap().clone();
    let location = &result["locations"][0]["physicalLocation"];
    assert!(location["artifactLocation"]["uri"].as_str().unwrap().ends_with("admin.tfplan.json"), "{location}");
    assert_eq!(
        (location["region"]["startLine"].as_u64(), location["region"]["startColumn"].as_u64()),
        (Some(line as u64), Some(column as u64))
    );

    // A document not known until apply cannot be linted: an error, saying why.
    let mut plan: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    plan["planned_values"]["root_module"]["resources"][0]["values"]["policy_document"] = Value::Null;
    plan["resource_changes"][0]["change"]["after_unknown"]["policy_document"] = Value::Bool(true);
    std::fs::write(&path, plan.to_string()).unwrap();
    let out = ramguard(&["lint", file]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("alicloud_ram_policy.policy.policy_document: not known until apply, so not checked"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn diff_of_two_plans_finds_new_access_and_passes_a_plan_that_only_adds_a_deny() {
    let base = common::repo().join("tests/iac/terraform-plan/ram_policy.tfplan.json");
    let plan: Value = serde_json::from_str(&std::fs::read_to_string(&base).unwrap()).unwrap();
    let written = plan["planned_values"]["root_module"]["resources"][0]["values"]["policy_document"].as_str().unwrap();
    let statements = serde_json::from_str::<Value>(written).unwrap()["Statement"].as_array().unwrap().clone();
    let with = |extra: Value| {
        let mut all = statements.clone();
        all.push(extra);
        serde_json::json!({"Version": "1", "Statement": all})
    };
    let granting = tempfile::tempdir().unwrap();
    let grants = plan_with(
        granting.path(),
        &with(serde_json::json!({"Effect": "Allow", "Action": "vpc:DeleteIpsecServer", "Resource": "*"})),
    );
    let denying = tempfile::tempdir().unwrap();
    let denies = plan_with(
        denying.path(),
        &with(serde_json::json!({"Effect": "Deny", "Action": "oss:GetObject", "Resource": "*"})),
    );

    let out = ramguard(&["diff", base.to_str().unwrap(), grants.to_str().unwrap()]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("NEW ACCESS"), "{text}");
    assert!(text.contains("vpc:DeleteIpsecServer"), "{text}");
    assert!(text.contains("admin.tfplan.json:alicloud_ram_policy.policy.policy_document statement 1"), "{text}");

    let out = ramguard(&["diff", base.to_str().unwrap(), denies.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("no new access"), "{}", stdout(&out));

    // A side whose document is computed at apply cannot be compared.
    let mut unknown = plan.clone();
    unknown["planned_values"]["root_module"]["resources"][0]["values"]["policy_document"] = Value::Null;
    unknown["resource_changes"][0]["change"]["after_unknown"]["policy_document"] = Value::Bool(true);
    let path = denying.path().join("unknown.tfplan.json");
    std::fs::write(&path, unknown.to_string()).unwrap();
    let out = ramguard(&["diff", base.to_str().unwrap(), path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "never `no new access` without the document: {}", stdout(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not known until apply, so the plans cannot be compared"));
}
