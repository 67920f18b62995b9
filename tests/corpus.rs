//! Every real policy document in `tests/corpus/` is read as RAM reads it: the
//! documents that `SOURCES.md` lists under "Documents RAM rejects as written"
//! must fail with a located message, and every other one must be accepted.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests unwrap and index what they just built")]

use std::collections::BTreeMap;
use std::path::Path;

use ramguard::{Limits, Policy, PolicyKind, detect_kind};

/// The rejected documents, with the error code and path each must report.
const REJECTED: &[(&str, &str, &str)] = &[
    (
        "aliyun__ros-templates__stack-group-aliyun-ros-stack-group-administration-role-trust.json",
        "invalid-version",
        "Version",
    ),
    ("AlibabaCloudDocs__ecs__Use-the-instance-RAM-role-in-the-console.json", "invalid-version", "Version"),
    ("AlibabaCloudDocs__oss__STS-temporary-access-authorization.json", "invalid-effect", "Statement[0].Effect"),
    (
        "AlibabaCloudDocs__ecs__Access-other-Cloud-Product-APIs-by-the-Instance-2.json",
        "unknown-element",
        "Statement[0][\"Resource \"]",
    ),
    (
        "AlibabaCloudDocs__ecs__Use-RAM-roles-to-access-other-Alibaba-Cloud-serv-2.json",
        "invalid-action",
        "Statement[0].Action",
    ),
    (
        "AlibabaCloudDocs__ram__Authorize-RAM-users-to-use-ActionTrail-resources-2.json",
        "invalid-condition-value",
        "Statement[0].Condition.IpAddress.acs:SourceIp",
    ),
    (
        "alibabacloud-docs__examples__kms-key-policy-principal-ram.json",
        "invalid-condition-value",
        "Statement[0].Condition.IpAddress.acs:SourceIp[0]",
    ),
    (
        "alibabacloud-docs__examples__kms-sourceip-cidr.json",
        "invalid-condition-value",
        "Statement[0].Condition.IpAddress.acs:SourceIp",
    ),
    (
        "AlibabaCloudDocs__ecs__Access-other-Cloud-Product-APIs-by-the-Instance.json",
        "unknown-principal-type",
        "Statement[0].Principal[\"Service \"]",
    ),
    (
        "AlibabaCloudDocs__ram__Change-the-trusted-entity-of-a-RAM-role.json",
        "wildcard-principal-account",
        "Statement[0].Principal.Federated[0]",
    ),
    ("AlibabaCloudDocs__ram__CreateRole.json", "wildcard-principal-account", "Statement[0].Principal.RAM[0]"),
    ("AlibabaCloudDocs__ram__UpdateRole.json", "wildcard-principal-account", "Statement[0].Principal.RAM"),
    (
        "AlibabaCloudDocs__ram__Use-a-RAM-role-to-grant-permissions-across-Aliba.json",
        "wildcard-principal-account",
        "Statement[0].Principal.RAM[0]",
    ),
    (
        "alibabacloud-docs__examples__trust-policy-specific-user.json",
        "wildcard-principal-account",
        "Statement[0].Principal.RAM",
    ),
    (
        "aliyun__terraform-provider-alicloud__ram_policy_document-2.json",
        "wildcard-principal-account",
        "Statement[0].Principal.RAM[0]",
    ),
    (
        "aliyun__terraform-provider-alicloud__ram_policy_document-3.json",
        "wildcard-principal-account",
        "Statement[0].Principal.Federated[0]",
    ),
];

fn corpus() -> BTreeMap<String, String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&p).unwrap()))
        .collect()
}

#[test]
fn the_rejected_list_matches_sources_md() {
    let sources =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/SOURCES.md")).unwrap();
    let section = sources.split("## Documents RAM rejects as written").nth(1).unwrap();
    let table = section.split("\n\n| file | source").next().unwrap();
    let listed: Vec<&str> = table
        .lines()
        .filter_map(|l| l.strip_prefix("| "))
        .filter_map(|l| l.split(" |").next())
        .filter(|f| f.ends_with(".json"))
        .collect();
    assert_eq!(listed.len(), 16, "{listed:?}");
    for file in &listed {
        assert!(REJECTED.iter().any(|(f, _, _)| f == file), "{file} is listed in SOURCES.md but not here");
    }
}

#[test]
fn corpus_documents_are_read_as_ram_reads_them() {
    let docs = corpus();
    assert_eq!(docs.len(), 308);
    let mut failures = Vec::new();
    for (file, text) in &docs {
        let result = Policy::parse_auto(file, text, &Limits::default());
        match (REJECTED.iter().find(|(f, _, _)| f == file), result) {
            (None, Ok(_)) => {}
            (None, Err(e)) => failures.push(format!("{file}: should be accepted, got:\n{e}")),
            (Some(_), Ok(_)) => failures.push(format!("{file}: should be rejected, was accepted")),
            (Some((_, code, path)), Err(e)) => {
                let found = e.errors().iter().any(|err| err.code() == *code && err.path().to_string() == *path);
                if !found {
                    failures.push(format!("{file}: expected `{code}` at {path}, got:\n{e}"));
                }
                for err in e.errors() {
                    let loc = err.location();
                    let line = text.lines().nth(loc.line - 1).unwrap_or_default();
                    assert!(loc.column <= line.chars().count() + 1, "{file}: column {loc} is past the end of its line");
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} corpus failures:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn corpus_kinds_are_detected() {
    let docs = corpus();
    let resource = docs.values().filter(|t| detect_kind(t) == PolicyKind::Resource).count();
    // 61 statements in the corpus carry a Principal; they sit in fewer documents.
    assert!(resource > 20 && resource < 61, "{resource} resource policies");
}

#[test]
fn rejected_documents_point_at_the_offending_text() {
    let docs = corpus();
    let text = &docs["AlibabaCloudDocs__oss__STS-temporary-access-authorization.json"];
    let err = Policy::parse_auto("x", text, &Limits::default()).unwrap_err();
    let e = err.errors().iter().find(|e| e.code() == "invalid-effect").unwrap();
    let line = text.lines().nth(e.location().line - 1).unwrap();
    let at: String = line.chars().skip(e.location().column - 1).collect();
    assert!(at.starts_with("\"allow \""), "{at}");
    assert_eq!(e.help(), Some("did you mean `Allow`?"));
}
