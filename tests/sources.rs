//! Documents found in Terraform plans: the real plans in `tests/iac/`
//! (see its SOURCES.md), and plans built here in the same shape for what
//! no public plan holds (child modules, instance keys, roles, control and
//! bucket policies, documents not known until apply, data sources).

#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests unwrap and index what they just built")]

use std::path::{Path, PathBuf};

use ramguard::sources::{DocumentKind, Found, SourceError, is_terraform_plan, read_terraform_plan};
use ramguard::{Location, Policy};
use serde_json::{Value, json};

fn plans() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/iac/terraform-plan")
}

fn read(name: &str) -> (String, Vec<Found>) {
    let path = plans().join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    let found = read_terraform_plan(&path, &text).unwrap();
    (text, found)
}

/// The text of `text` from `at` on.
fn at(text: &str, at: Location) -> String {
    text.lines().nth(at.line - 1).unwrap().chars().skip(at.column - 1).collect()
}

#[test]
fn every_real_plan_yields_exactly_the_documents_it_holds() {
    let mut seen = Vec::new();
    for entry in std::fs::read_dir(plans()).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(is_terraform_plan(&serde_json::from_str(&text).unwrap()), "{}", path.display());
        for found in read_terraform_plan(&path, &text).unwrap() {
            seen.push((path.file_name().unwrap().to_string_lossy().into_owned(), found.place, found.kind));
        }
    }
    seen.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        seen,
        [(
            "ram_policy.tfplan.json".to_owned(),
            "alicloud_ram_policy.policy.policy_document".to_owned(),
            DocumentKind::Identity
        )],
        "only the RAM policy: not the snapshot policy, the resource group, the stack group's template, \
         nor the log project's `policy`"
    );
}

#[test]
fn the_real_policy_is_read_as_written_and_located_in_the_plan() {
    let (text, found) = read("ram_policy.tfplan.json");
    let policy = &found[0];
    let document = policy.document.as_deref().unwrap();
    assert!(document.starts_with("  {\n    \"Statement\""), "the heredoc's indentation is kept: {document:?}");
    assert!(policy.unresolved.is_empty());
    // The computed, deprecated `document` is not a second document.
    assert_eq!(found.len(), 1);
    let parsed = Policy::parse(&policy.place, document, policy.kind.policy_kind()).unwrap();
    assert_eq!(parsed.statements().len(), 1);
    // The attribute is located at its value in planned_values ...
    assert!(at(&text, policy.at).starts_with("\"  {\\n    \\\"Statement"), "{}", at(&text, policy.at));
    // ... and a place inside the document at its escaped text in the file.
    let line = document.lines().position(|l| l.contains("\"Effect\"")).unwrap() + 1;
    let column = document.lines().nth(line - 1).unwrap().find("\"Allow\"").unwrap() + 1;
    let in_plan = policy.locate(Location { line, column });
    assert_eq!(in_plan.line, policy.at.line);
    assert!(at(&text, in_plan).starts_with("\\\"Allow\\\""), "{}", at(&text, in_plan));
}

fn resource(address: &str, kind: &str, values: Value) -> Value {
    json!({"address": address, "mode": "managed", "type": kind, "name": "x", "values": values})
}

const TRUST: &str = r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
    "Principal": {"Service": ["ecs.aliyuncs.com"]}}]}"#;
const BUCKET: &str = r#"{"Version": "1", "Statement": [{"Effect": "Deny", "Action": "oss:DeleteObject",
    "Principal": ["*"], "Resource": "acs:oss:*:*:logs/*"}]}"#;
const DENY: &str =
    r#"{"Version": "1", "Statement": [{"Effect": "Deny", "Action": "vpc:DeleteIpsecServer", "Resource": "*"}]}"#;

/// A plan with child modules, instance keys, every kind of holder, a
/// document not known until apply and a data source read at plan time.
fn synthetic() -> String {
    let plan = json!({
        "format_version": "1.2",
        "terraform_version": "1.8.4",
        "planned_values": {"root_module": {
            "resources": [
                resource("alicloud_ram_role.app[0]", "alicloud_ram_role", json!({"assume_role_policy_document": TRUST, "document": TRUST})),
                resource("alicloud_ram_role.old", "alicloud_ram_role", json!({"document": TRUST})),
                resource("alicloud_oss_bucket.logs", "alicloud_oss_bucket", json!({"policy": null})),
            ],
            "child_modules": [{
                "address": "module.guard[\"prod\"]",
                "resources": [
                    resource("module.guard[\"prod\"].alicloud_resource_manager_control_policy.deny", "alicloud_resource_manager_control_policy", json!({"policy_document": DENY})),
                    resource("module.guard[\"prod\"].alicloud_ram_policy.computed", "alicloud_ram_policy", json!({"policy_document": null})),
                ],
                "child_modules": [{
                    "address": "module.guard[\"prod\"].module.bucket",
                    "resources": [
                        resource("module.guard[\"prod\"].module.bucket.alicloud_oss_bucket_policy.p", "alicloud_oss_bucket_policy", json!({"policy": BUCKET})),
                    ],
                }],
            }],
        }},
        "resource_changes": [
            {"address": "module.guard[\"prod\"].alicloud_ram_policy.computed", "change": {"after_unknown": {"policy_document": true}}},
            {"address": "alicloud_oss_bucket.logs", "change": {"after_unknown": {"policy": false}}},
        ],
        "prior_state": {"values": {"root_module": {"resources": [
            {"address": "data.alicloud_ram_policy_document.read", "mode": "data", "type": "alicloud_ram_policy_document",
             "name": "read", "values": {"document": DENY}},
        ]}}},
        "configuration": {"root_module": {
            "module_calls": {"guard": {"module": {"resources": [
                {"address": "alicloud_ram_policy.computed", "expressions": {"policy_document": {
                    "references": ["alicloud_oss_bucket.b.bucket", "alicloud_oss_bucket.b"]}}},
            ]}}},
        }},
    });
    serde_json::to_string_pretty(&plan).unwrap()
}

#[test]
fn modules_instances_kinds_unknowns_and_data_sources() {
    let text = synthetic();
    let found = read_terraform_plan(Path::new("synthetic.tfplan.json"), &text).unwrap();
    let summary: Vec<(&str, DocumentKind, bool)> =
        found.iter().map(|f| (f.place.as_str(), f.kind, f.document.is_some())).collect();
    assert_eq!(
        summary,
        [
            ("alicloud_ram_role.app[0].assume_role_policy_document", DocumentKind::Trust, true),
            ("alicloud_ram_role.old.document", DocumentKind::Trust, true),
            (
                "module.guard[\"prod\"].alicloud_resource_manager_control_policy.deny.policy_document",
                DocumentKind::Control,
                true
            ),
            ("module.guard[\"prod\"].alicloud_ram_policy.computed.policy_document", DocumentKind::Identity, false),
            ("module.guard[\"prod\"].module.bucket.alicloud_oss_bucket_policy.p.policy", DocumentKind::Resource, true),
            ("data.alicloud_ram_policy_document.read.document", DocumentKind::Identity, true),
        ],
        "the bucket whose policy is absent (null, not unknown) holds no document"
    );
    let computed = &found[3];
    assert_eq!(computed.unresolved, ["alicloud_oss_bucket.b.bucket", "alicloud_oss_bucket.b"]);
    assert!(at(&text, computed.at).starts_with("null"), "located at its null value: {}", at(&text, computed.at));
    // Each known document is the attribute's string, located at it.
    for f in found.iter().filter(|f| f.document.is_some()) {
        let written = serde_json::to_string(f.document.as_deref().unwrap()).unwrap();
        assert!(at(&text, f.at).starts_with(&written), "{}: {}", f.place, at(&text, f.at));
        Policy::parse(&f.place, f.document.as_deref().unwrap(), f.kind.policy_kind()).unwrap();
    }
}

#[test]
fn what_is_not_a_plan_is_refused_with_its_place() {
    let err = read_terraform_plan(Path::new("p.json"), "{\"format_version\": \"1.2\",\n  oops}").unwrap_err();
    assert!(matches!(&err, SourceError::Json { at, .. } if at.line == 2), "{err}");
    let err = read_terraform_plan(Path::new("policy.json"), r#"{"Version": "1", "Statement": []}"#).unwrap_err();
    assert!(matches!(err, SourceError::NotAPlan { .. }), "{err}");
    assert!(err.to_string().contains("policy.json: not a Terraform plan"), "{err}");
}
