//! Documents found in Terraform plans: the real plans in `tests/iac/`
//! (see its SOURCES.md), and plans built here in the same shape for what
//! no public plan holds (child modules, instance keys, roles, control and
//! bucket policies, documents not known until apply, data sources).

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::string_slice,
    reason = "tests unwrap and index what they just built"
)]

use std::path::{Path, PathBuf};

use ramguard::sources::{
    DocumentKind, Found, MAX_TEMPLATE_DEPTH, MAX_TEMPLATE_NODES, RosOptions, SourceError, is_ros_template,
    is_terraform_plan, read_ros_template, read_terraform_plan,
};
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

// ROS templates: the real one in `tests/iac/ros/`, and the fixtures beside
// it written for these tests (see tests/iac/SOURCES.md).

fn template(name: &str) -> (String, Vec<Found>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/iac/ros").join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(is_ros_template(&text), "{name}");
    let found = read_ros_template(&path, &text, &RosOptions::default()).unwrap();
    (text, found)
}

fn document(found: &Found) -> Value {
    serde_json::from_str(found.document.as_deref().unwrap()).unwrap()
}

fn summary(found: &[Found]) -> Vec<(&str, DocumentKind, Vec<&str>)> {
    found.iter().map(|f| (f.place.as_str(), f.kind, f.unresolved.iter().map(String::as_str).collect())).collect()
}

#[test]
fn the_real_template_yields_its_policy_and_its_trust_policy_resolved() {
    let (text, found) = template("cross-account-command-inspection-role.yaml");
    assert_eq!(
        summary(&found),
        [
            ("RamManagedPolicy.PolicyDocument", DocumentKind::Identity, vec![]),
            ("RamRole.AssumeRolePolicyDocument", DocumentKind::Trust, vec![]),
        ]
    );
    // `at` is the value's opening brace, after the property's name.
    for (found, name) in found.iter().zip(["\"PolicyDocument\": ", "\"AssumeRolePolicyDocument\": "]) {
        let line = text.lines().nth(found.at.line - 1).unwrap();
        let before: String = line.chars().take(found.at.column - 1).collect();
        assert!(before.trim_start() == name, "{line}");
        assert!(at(&text, found.at).starts_with('{'), "{line}");
    }
    let policy = document(&found[0]);
    assert_eq!(policy["Statement"][0]["Action"], json!(["ecs:DescribeInvocationResults", "ecs:RunCommand"]));
    assert_eq!(policy["Version"], "1");
    // The account parameter defaults to "", so the condition holds and the
    // principal is the stack's own account, a pseudo parameter.
    let trust = document(&found[1]);
    assert_eq!(
        trust["Statement"][0]["Principal"]["RAM"],
        json!(["acs:ram::{{ALIYUN::AccountId}}:role/AliyunCustomConfigRuleRole"])
    );
    Policy::parse("trust", found[1].document.as_deref().unwrap(), found[1].kind.policy_kind()).unwrap();
    // A parameter given wins over its default: the condition is false now.
    let path = Path::new("t.yaml");
    let options = RosOptions {
        parameters: [("AssumeRolePrincipalAccount".to_owned(), "1234567890123456".to_owned())].into(),
        ..RosOptions::default()
    };
    let found = read_ros_template(path, &text, &options).unwrap();
    assert_eq!(
        document(&found[1])["Statement"][0]["Principal"]["RAM"],
        json!(["acs:ram::1234567890123456:role/AliyunCustomConfigRuleRole"])
    );
}

#[test]
fn short_tags_resolve_like_their_long_forms() {
    let (text, found) = template("short-tags.yaml");
    assert_eq!(
        summary(&found),
        [("Logs.Policy", DocumentKind::Resource, vec!["Ref:TrustedAccount", "Ref:Logs", "GetAtt:Vpc.VpcId"])]
    );
    assert_eq!(at(&text, found[0].at), "Version: '1'");
    let policy = document(&found[0]);
    let statement = &policy["Statement"][0];
    assert_eq!(statement["Action"], json!(["oss:GetObject", "oss:PutObject"]));
    assert_eq!(statement["Principal"]["RAM"], "acs:ram::{{Ref:TrustedAccount}}:root");
    assert_eq!(statement["Resource"], json!(["acs:oss:*:*:{{Ref:Logs}}/*", "acs:oss:*:*:prod-logs", "acs:oss:*:*:b"]));
    assert_eq!(statement["Condition"]["StringEquals"]["acs:SourceVpc"], "{{GetAtt:Vpc.VpcId}}");
    assert_eq!(policy["Version"], "1");
}

#[test]
fn a_yaml_number_stays_a_number_and_its_error_is_located_in_the_template() {
    let (text, found) = template("version-number.yaml");
    assert_eq!(summary(&found), [("ReadOnly.PolicyDocument", DocumentKind::Identity, vec![])]);
    assert_eq!(document(&found[0])["Version"], json!(1));
    let errors = Policy::parse("t", found[0].document.as_deref().unwrap(), found[0].kind.policy_kind()).unwrap_err();
    let version = errors.errors().iter().find(|e| e.path().to_string().contains("Version")).unwrap();
    let located = found[0].locate(version.location());
    assert_eq!(at(&text, located), "1", "{located:?}");
    assert_eq!(text.lines().nth(located.line - 1).unwrap().trim(), "Version: 1");
}

#[test]
fn long_forms_in_json_resolve_and_what_cannot_be_known_is_a_placeholder() {
    let (text, found) = template("long-forms.json");
    assert_eq!(
        summary(&found),
        [
            ("Role.AssumeRolePolicyDocument", DocumentKind::Trust, vec![]),
            ("Role.Policies[0].PolicyDocument", DocumentKind::Identity, vec![]),
            ("Role.Policies[1].PolicyDocument", DocumentKind::Identity, vec!["Fn::Jq"]),
            ("Ops.Policies[0].PolicyDocument", DocumentKind::Identity, vec![]),
        ]
    );
    for f in &found {
        assert!(at(&text, f.at).starts_with('{'), "{}", f.place);
    }
    let trust = document(&found[0]);
    assert_eq!(trust["Statement"][0]["Principal"]["Service"], json!(["ecs.aliyuncs.com"]));
    assert_eq!(trust["Statement"][0]["Principal"]["RAM"], json!(["acs:ram::{{ALIYUN::AccountId}}:root"]));
    let read = document(&found[1]);
    // `WithLogs` is false: the `Fn::If` chose `ALIYUN::NoValue`, and the element is gone.
    assert_eq!(read["Statement"][0]["Action"], json!(["ecs:Describe*"]));
    assert_eq!(read["Statement"][0]["Resource"], "acs:ecs:{{ALIYUN::Region}}:*:instance/${Literal}");
    assert_eq!(read["Statement"][0]["Condition"]["IpAddress"], json!({"acs:SourceIp": "203.0.113.0/24"}));
    assert_eq!(document(&found[2])["Statement"][0]["Resource"], "{{Fn::Jq}}");
    // `NoLogs` is `Fn::Not` of the condition `Logs`.
    assert_eq!(document(&found[3])["Statement"][0]["Effect"], "Deny");
    // Each value maps to where it is written: the `Fn::Jq` call's line.
    let jq = found[2].document.as_deref().unwrap().find("\"{{Fn::Jq}}\"").unwrap();
    let inside = Location { line: 1, column: found[2].document.as_deref().unwrap()[..jq].chars().count() + 1 };
    let located = found[2].locate(inside);
    assert!(text.lines().nth(located.line - 1).unwrap().contains("Fn::Jq"), "{located:?}");
}

#[test]
fn a_control_policy_may_be_json_text() {
    let (_, found) = template("control-policy.yaml");
    assert_eq!(
        summary(&found),
        [
            ("NoDeletes.PolicyDocument", DocumentKind::Control, vec![]),
            ("OneRegion.PolicyDocument", DocumentKind::Control, vec!["Ref:Region"]),
        ]
    );
    assert_eq!(document(&found[0])["Statement"][0]["Action"], "ecs:Delete*");
    assert_eq!(
        document(&found[1])["Statement"][0]["Condition"]["StringNotEquals"]["acs:RequestedRegion"],
        "{{Ref:Region}}"
    );
}

fn template_error(text: &str) -> (Location, String) {
    match read_ros_template(Path::new("t.yaml"), text, &RosOptions::default()) {
        Err(SourceError::Template { at, message, .. }) => (at, message),
        other => panic!("{other:?}"),
    }
}

#[test]
fn templates_nested_too_deep_are_refused_where_they_get_too_deep() {
    let deep = format!("ROSTemplateFormatVersion: '2015-09-01'\nX: {}{}\n", "[".repeat(100), "]".repeat(100));
    let (at, message) = template_error(&deep);
    assert_eq!(at.line, 2);
    assert!(message.contains(&format!("nested more than {MAX_TEMPLATE_DEPTH} deep")), "{message}");
    // Conditions that name each other never end: refused too.
    let cycle = "ROSTemplateFormatVersion: '2015-09-01'
Conditions:
  A: {Condition: B}
  B: {Condition: A}
Resources:
  P:
    Type: ALIYUN::RAM::ManagedPolicy
    Properties:
      PolicyDocument: {Version: '1', Statement: !If [A, [], []]}
";
    let (at, message) = template_error(cycle);
    assert_eq!(at.line, 3, "{message}");
    assert!(message.contains("nested more than"), "{message}");
}

#[test]
fn aliases_cannot_multiply_a_template_without_bound() {
    // Nine levels of ten aliases each: a billion values once expanded.
    let mut laughs = String::from(
        "ROSTemplateFormatVersion: '2015-09-01'\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n",
    );
    for level in 1..10 {
        let previous = format!("*a{}", level - 1);
        laughs.push_str(&format!("a{level}: &a{level} [{}]\n", vec![previous; 10].join(", ")));
    }
    let (at, message) = template_error(&laughs);
    assert!(message.contains(&format!("more than {MAX_TEMPLATE_NODES} values")), "{message}");
    assert!(at.line >= 7, "{at:?}");
    // A few aliases are read as the values they name.
    let few = "ROSTemplateFormatVersion: '2015-09-01'
Statement: &s [{Effect: Allow, Action: 'ecs:*', Resource: '*'}]
Resources:
  P:
    Type: ALIYUN::RAM::ManagedPolicy
    Properties:
      PolicyDocument: {Version: '1', Statement: *s}
";
    let found = read_ros_template(Path::new("t.yaml"), few, &RosOptions::default()).unwrap();
    assert_eq!(document(&found[0])["Statement"][0]["Action"], "ecs:*");
}

#[test]
fn what_is_not_a_template_is_told_apart() {
    assert!(!is_ros_template("Version: '1'\nStatement: []\n"));
    assert!(!is_ros_template("{\"format_version\": \"1.2\"}"));
    assert!(!is_ros_template("[: broken"));
    assert!(matches!(
        read_ros_template(Path::new("p.yaml"), "a: b\n", &RosOptions::default()),
        Err(SourceError::NotATemplate { .. })
    ));
    assert!(matches!(
        read_ros_template(Path::new("p.yaml"), "a: [b\n", &RosOptions::default()),
        Err(SourceError::Yaml { .. })
    ));
    // An unknown tag outside a policy does not stop the reader; inside one it is a placeholder.
    let text = "ROSTemplateFormatVersion: '2015-09-01'
Resources:
  P:
    Type: ALIYUN::RAM::ManagedPolicy
    Properties:
      PolicyName: !Base64Decode cA==
      PolicyDocument: {Version: '1', Statement: [{Effect: Allow, Action: !Base64Decode ZWNzOio=, Resource: '*'}]}
";
    let found = read_ros_template(Path::new("t.yaml"), text, &RosOptions::default()).unwrap();
    assert_eq!(found[0].unresolved, ["Fn::Base64Decode"]);
}

#[test]
fn copies_of_a_large_default_cannot_grow_a_document_without_bound() {
    // A 100 KB default referenced a hundred times: 10 MB once resolved.
    let mut text = format!(
        "ROSTemplateFormatVersion: '2015-09-01'\nParameters:\n  Big:\n    Type: String\n    Default: '{}'\n",
        "x".repeat(100_000)
    );
    text.push_str("Resources:\n  P:\n    Type: ALIYUN::RAM::ManagedPolicy\n    Properties:\n      PolicyDocument:\n");
    text.push_str("        Version: '1'\n        Statement:\n");
    for _ in 0..100 {
        text.push_str("        - !Ref Big\n");
    }
    let (at, message) = template_error(&text);
    assert!(message.contains("larger than"), "{message}");
    assert!(at.line > 12, "{at:?}");
}

#[test]
fn json_templates_indented_with_tabs_are_read() {
    let text = "{\n\t\"ROSTemplateFormatVersion\": \"2015-09-01\",\n\t\"Resources\": {\n\t\t\"P\": {\n\t\t\t\"Type\": \"ALIYUN::RAM::ManagedPolicy\",\n\t\t\t\"Properties\": {\"PolicyDocument\": {\"Version\": \"1\", \"Statement\": []}}\n\t\t}\n\t}\n}\n";
    let found = read_ros_template(Path::new("t.json"), text, &RosOptions::default()).unwrap();
    assert_eq!(found[0].place, "P.PolicyDocument");
    assert_eq!(found[0].at, Location { line: 6, column: 37 });
}

#[test]
fn a_condition_on_what_is_not_known_leaves_its_fn_if_a_placeholder() {
    let text = "ROSTemplateFormatVersion: '2015-09-01'
Parameters:
  Account: {Type: String}
  Env: {Type: String, Default: prod}
Conditions:
  Own: !Equals [!Ref Account, '']
  Prod: !Equals [!Ref Env, prod]
  ProdAndOwn: !And [{Condition: Prod}, {Condition: Own}]
  ProdOrOwn: !Or [{Condition: Prod}, {Condition: Own}]
  NotProd: !Not [{Condition: Prod}]
Resources:
  P:
    Type: ALIYUN::RAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Version: '1'
        Statement:
        - Effect: Allow
          Action: [!If [Own, a:A, b:B], !If [ProdAndOwn, c:C, d:D], !If [ProdOrOwn, e:E, f:F], !If [NotProd, g:G, h:H]]
          Resource: !Ref ALIYUN::StackId
";
    let found = read_ros_template(Path::new("t.yaml"), text, &RosOptions::default()).unwrap();
    let policy = document(&found[0]);
    assert_eq!(policy["Statement"][0]["Action"], json!(["{{Fn::If:Own}}", "{{Fn::If:ProdAndOwn}}", "e:E", "h:H"]));
    assert_eq!(policy["Statement"][0]["Resource"], "{{ALIYUN::StackId}}");
    assert_eq!(found[0].unresolved, ["Fn::If:Own", "Fn::If:ProdAndOwn"]);
}

#[test]
fn positions_inside_json_text_in_a_quoted_scalar_map_to_its_characters() {
    for quoted in [
        r#"'{"Version": "1", "Statement": [{"Effect": "Dany", "Action": "ecs:*", "Resource": "*", "Sid": "it''s"}]}'"#,
        r#""{\"Version\": \"1\", \"Statement\": [{\"Effect\": \"Dany\", \"Action\": \"ecs:*\", \"Resource\": \"*\"}]}""#,
    ] {
        let text = format!(
            "ROSTemplateFormatVersion: '2015-09-01'\nResources:\n  C:\n    Type: ALIYUN::ResourceManager::ControlPolicy\n    Properties:\n      PolicyDocument: {quoted}\n"
        );
        let found = read_ros_template(Path::new("t.yaml"), &text, &RosOptions::default()).unwrap();
        assert_eq!(found[0].at, Location { line: 6, column: 23 });
        let errors =
            Policy::parse("c", found[0].document.as_deref().unwrap(), found[0].kind.policy_kind()).unwrap_err();
        let effect = errors.errors().iter().find(|e| e.path().to_string().ends_with("Effect")).unwrap();
        let located = found[0].locate(effect.location());
        let there = at(&text, located);
        assert!(there.starts_with("\"Dany\"") || there.starts_with("\\\"Dany\\\""), "{there}");
    }
}

#[test]
fn a_plan_that_is_not_json_is_located_in_characters_and_never_at_column_zero() {
    // A raw line break inside a string: serde_json says column 0 of the next line.
    let text = "{\"format_version\": \"1.2\", \"x\": \"a\nb\"}";
    let Err(SourceError::Json { at, message, .. }) = read_terraform_plan(Path::new("plan.json"), text) else {
        panic!("not a JSON error")
    };
    assert_eq!((at.line, at.column), (2, 1), "{message}");
    assert!(message.starts_with("control character") && !message.contains(" at line "), "{message}");
    // After non-ASCII text, the column counts characters, as an editor shows them.
    let text = "{\"note\": \"日本\" x}";
    let Err(SourceError::Json { at, .. }) = read_terraform_plan(Path::new("plan.json"), text) else {
        panic!("not a JSON error")
    };
    assert_eq!((at.line, at.column), (1, 15));
}

#[test]
fn a_template_cut_off_at_the_end_is_located_at_the_end_of_its_last_line() {
    // The YAML parser places this error on the line after the last one.
    let text = "{\n  \"ROSTemplateFormatVersion\": \"2015-09-01\",\n  ";
    let Err(SourceError::Yaml { at, .. }) = read_ros_template(Path::new("t.json"), text, &RosOptions::default()) else {
        panic!("not a YAML error")
    };
    assert_eq!((at.line, at.column), (3, 3));
}

#[test]
fn a_lone_carriage_return_does_not_end_a_line_of_the_location() {
    // YAML ends a line at a lone `\r`; ramguard's lines, as an editor that
    // shows it as a character, end at `\n` alone.
    let text = "ROSTemplateFormatVersion: '2015-09-01'\nResources:\n  P:\n    Type: ALIYUN::RAM::ManagedPolicy\n    \
                Properties:\r      PolicyName: p\n      PolicyDocument: {Version: '1', Statement: [{Effect: Allow, \
                Action: 'ecs:*', Resource: '*'}]}\n";
    let found = read_ros_template(Path::new("t.yaml"), text, &RosOptions::default()).unwrap();
    assert_eq!((found[0].at.line, found[0].at.column), (6, 23));
}
