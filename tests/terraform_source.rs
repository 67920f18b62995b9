//! Policy documents read from the Terraform source in `tests/iac/terraform`.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

use std::path::Path;

use ramguard::sources::{DocumentKind, Found, TerraformOptions, read_terraform_module};
use ramguard::{Location, Policy};

fn read(dir: &str, options: &TerraformOptions) -> Vec<Found> {
    read_terraform_module(&Path::new("tests/iac/terraform").join(dir), options).unwrap()
}

fn summary(found: &[Found]) -> Vec<(String, DocumentKind, String, Vec<String>)> {
    found.iter().map(|f| (f.place.clone(), f.kind, f.at.to_string(), f.unresolved.clone())).collect()
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| (*x).to_owned()).collect()
}

fn valid(found: &Found) {
    Policy::parse("t", found.document.as_deref().unwrap(), found.kind.policy_kind()).unwrap();
}

#[test]
fn literal_documents_resolve_and_are_valid() {
    let none = TerraformOptions::default();
    for (dir, place, kind, at) in [
        ("rostran-ram_policy", "alicloud_ram_policy.policy.policy_document", DocumentKind::Identity, "3:21"),
        ("quickstart-ram-role", "alicloud_ram_role.default.assume_role_policy_document", DocumentKind::Trust, "8:33"),
        (
            "quickstart-rm-control-policy",
            "alicloud_resource_manager_control_policy.example.policy_document",
            DocumentKind::Control,
            "9:25",
        ),
        (
            "quickstart-rm-policy",
            "alicloud_resource_manager_policy.example.policy_document",
            DocumentKind::Identity,
            "7:21",
        ),
        ("quickstart-oss-bucket-policy", "alicloud_oss_bucket_policy.example.policy", DocumentKind::Resource, "34:12"),
    ] {
        let found = read(dir, &none);
        assert_eq!(summary(&found), [(place.to_owned(), kind, at.to_owned(), vec![])], "{dir}");
        valid(&found[0]);
    }
    let found = read("quickstart-ram-role-policy-attachment", &none);
    assert_eq!(found.len(), 2);
    assert_eq!(found[1].place, "alicloud_ram_role.default.document");
    assert!(found[0].document.as_deref().unwrap().starts_with("\t\t{\n"));
    found.iter().for_each(valid);
}

#[test]
fn module_example_resolves_the_module_alone_does_not() {
    let none = TerraformOptions::default();
    let alone = read("ram-policy-OssBucketReadOnly/modules/OssBucketReadOnly", &none);
    assert_eq!(
        summary(&alone),
        [(
            "alicloud_ram_policy.policy[0].policy_document".to_owned(),
            DocumentKind::Identity,
            "45:21".to_owned(),
            s(&["var.oss_bucket_name"])
        )]
    );
    let example = read("ram-policy-OssBucketReadOnly/examples/OssBucketReadOnly", &none);
    assert_eq!(example[0].place, "module.example.alicloud_ram_policy.policy[0].policy_document");
    assert!(example[0].unresolved.is_empty());
    assert!(example[0].file.ends_with("modules/OssBucketReadOnly/main.tf"));
    assert!(
        example[0]
            .document
            .as_deref()
            .unwrap()
            .contains(r#""Resource": ["acs:oss:*:*:bkt1/file1","acs:oss:*:*:bkt1/file2"]"#)
    );
    valid(&example[0]);
}

#[test]
fn count_zero_is_no_document_and_a_variable_creates_it() {
    assert!(read("ram-assumable-role", &TerraformOptions::default()).is_empty());
    let mut options = TerraformOptions::default();
    options.variables.insert("create_role".into(), "true".into());
    let found = read("ram-assumable-role", &options);
    assert_eq!(
        summary(&found),
        [("alicloud_ram_role.this[0].document".to_owned(), DocumentKind::Trust, "8:17".to_owned(), vec![])]
    );
    // The defaults make an empty Action: Terraform would send it as is.
    assert!(found[0].document.as_deref().unwrap().contains(r#""Action": "","#));
}

#[test]
fn template_directives_resolve_with_a_variable_file() {
    let dir = "landing-zone-control-policy-template";
    let found = read(dir, &TerraformOptions::default());
    assert_eq!(
        found[0].unresolved,
        s(&["var.logarchive_account_id", "var.central_sls_project", "var.oss_export_job_ids", "var.oss_bucket_name"])
    );
    valid(&found[0]);
    let path = Path::new("tests/iac/terraform").join(dir).join("tfvars.json.example");
    let text = std::fs::read_to_string(&path).unwrap();
    let options = TerraformOptions { var_files: vec![(path, text)], ..TerraformOptions::default() };
    let found = read(dir, &options);
    assert!(found[0].unresolved.is_empty());
    let document = found[0].document.as_deref().unwrap();
    assert!(document.contains("\"acs:log:*::project//job/cold-logarchive-1\",\n"));
    valid(&found[0]);
}

#[test]
fn resource_attributes_and_missing_variables_stay_unresolved() {
    let none = TerraformOptions::default();
    let cen = read("quickstart-cen-oss-bucket-policy", &none);
    assert_eq!(
        summary(&cen),
        [(
            "alicloud_oss_bucket_policy.default.policy".to_owned(),
            DocumentKind::Resource,
            "67:14".to_owned(),
            s(&["alicloud_oss_bucket.bucket1.bucket"])
        )]
    );
    let errors = Policy::parse("t", cen[0].document.as_deref().unwrap(), cen[0].kind.policy_kind()).unwrap_err();
    assert_eq!(cen[0].locate(errors.errors()[0].location()), Location { line: 67, column: 59 });
    let role = read("landing-zone-cross-account-role", &none);
    assert_eq!(
        summary(&role),
        [
            (
                "alicloud_ram_role.role.document".to_owned(),
                DocumentKind::Trust,
                "3:14".to_owned(),
                s(&["var.ALIYUN__AccountId", "var.assume_role_principal_role"])
            ),
            (
                "alicloud_ram_policy.policy.policy_document".to_owned(),
                DocumentKind::Identity,
                "23:21".to_owned(),
                s(&["jsonencode(var.policy_document)"])
            ),
        ]
    );
    assert_eq!(role[1].document, None);
}

#[test]
fn bucket_policy_defaults_through_a_module_call() {
    assert!(read("oss-bucket-module", &TerraformOptions::default()).is_empty());
    let found = read("oss-bucket-module/examples/complete", &TerraformOptions::default());
    assert_eq!(
        summary(&found),
        [(
            "module.oss-bucket.alicloud_oss_bucket.create_new_bucket.policy".to_owned(),
            DocumentKind::Resource,
            "42:12".to_owned(),
            vec![]
        )]
    );
    assert!(found[0].file.ends_with("oss-bucket-module/main.tf"));
    let errors = Policy::parse("t", found[0].document.as_deref().unwrap(), found[0].kind.policy_kind()).unwrap_err();
    assert!(errors.errors()[0].to_string().contains("missing required element `Principal`"));
    assert_eq!(found[0].locate(errors.errors()[0].location()), Location { line: 42, column: 12 });
}

#[test]
fn a_data_source_document_feeds_a_role() {
    let found = read("ram-role-for-saml", &TerraformOptions::default());
    assert_eq!(
        summary(&found),
        [
            (
                "data.alicloud_ram_policy_document.assume_role_with_saml[0].document".to_owned(),
                DocumentKind::Trust,
                "5:1".to_owned(),
                vec![]
            ),
            ("alicloud_ram_role.this[0].document".to_owned(), DocumentKind::Trust, "27:14".to_owned(), vec![]),
        ]
    );
    assert_eq!(found[0].document, found[1].document);
    assert!(found[1].document.as_deref().unwrap().contains("\"Federated\": []"));
}

#[test]
fn the_account_binds_the_data_sources_that_name_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        r#"data "alicloud_account" "current" {}
data "alicloud_caller_identity" "me" {}

resource "alicloud_ram_policy" "ops" {
  policy_name = "ops"
  policy_document = jsonencode({
    Version = "1"
    Statement = [{
      Effect   = "Allow"
      Action   = "vpc:DeleteIpsecServer"
      Resource = ["acs:vpc:*:${data.alicloud_account.current.id}:vpnipsecserver/*",
                  "acs:vpc:*:${data.alicloud_caller_identity.me.account_id}:vpnconnection/*"]
    }]
  })
}
"#,
    )
    .unwrap();
    let unbound = read_terraform_module(dir.path(), &TerraformOptions::default()).unwrap();
    assert_eq!(
        unbound[0].unresolved,
        s(&["data.alicloud_account.current.id", "data.alicloud_caller_identity.me.account_id"])
    );
    let options = TerraformOptions { account: Some("5550001112223334".to_owned()), ..TerraformOptions::default() };
    let bound = read_terraform_module(dir.path(), &options).unwrap();
    assert!(bound[0].unresolved.is_empty(), "{:?}", bound[0].unresolved);
    let document = bound[0].document.as_deref().unwrap();
    assert!(document.contains("acs:vpc:*:5550001112223334:vpnipsecserver/*"), "{document}");
    assert!(document.contains("acs:vpc:*:5550001112223334:vpnconnection/*"), "{document}");
    valid(&bound[0]);
    // A finding on the bound value still points at the reference in the `.tf` file.
    let policy = Policy::parse("t", document, bound[0].kind.policy_kind()).unwrap();
    assert_eq!(policy.statements().len(), 1);
    let before = document.split("5550001112223334").next().unwrap();
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap().chars().count() + 1;
    assert_eq!(bound[0].locate(Location { line, column }).line, 11);
}
