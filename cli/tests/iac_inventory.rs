//! Every document in the real, licensed infrastructure-as-code files under
//! `tests/iac/` (Terraform plans, Terraform configurations, a ROS
//! template), found with its kind and location, as `tests/iac/SOURCES.md`
//! lists them after reading each file by hand; and every document that
//! resolves validated.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests unwrap what they just built")]

mod common;

use std::process::Command;

use sha2::{Digest, Sha256};

/// Every copied file: its path under `tests/iac/`, its size and its sha256,
/// as published with its source, so that a copy that drifted from the
/// original fails here.
const COPIED: &[(&str, usize, &str)] = &[
    ("terraform-plan/ram_policy.tfplan.json", 3565, "f32df7cd6e4c8b40ac43615932a4bd1620102f714c362746a9d9c55829a5d5d0"),
    (
        "terraform-plan/ecs_auto_snapshot_policy.tfplan.json",
        3721,
        "0985047ed5eb6d305c2f1af2e532110cdfe499d963307474ccbead7e4754173b",
    ),
    (
        "terraform-plan/resource_manager_resource_group.tfplan.json",
        2408,
        "ff92c937167d5b6b65a6d5a15128def31ee20144cbab3e672638492d9669a688",
    ),
    (
        "terraform-plan/ros_stack_instance.tfplan.json",
        8094,
        "e7f4bd299ce8438f9992736b78b27120836351ef4376139cb23a5e6cd5f4b739",
    ),
    (
        "terraform-plan/providers-count.tfplan.json",
        22811,
        "996502f6a5748324c4b055f15e53df6cc75d39377215ff4266f4bc4a18aae9d1",
    ),
    (
        "terraform-plan/providers-alicloud.tfplan.json",
        50729,
        "4fd326ecd8886d622724b41dcc85289d458941df7398ec8cad747c6f1fd56e90",
    ),
    ("terraform/rostran-ram_policy/main.tf", 437, "9d04032d271bb9367e9f47d04c8c6fa27c920369907e766c8375da95b432e063"),
    (
        "terraform/ram-policy-OssBucketReadOnly/modules/OssBucketReadOnly/main.tf",
        1064,
        "7fda797b9df04c2f4b8b636ebab302f6a94f8f0dfe4e889e2ffffd275cfc5f41",
    ),
    (
        "terraform/ram-policy-OssBucketReadOnly/modules/OssBucketReadOnly/variables.tf",
        808,
        "7b4c143c30e306a52b309d33f5c70a20973d4900192151afb655b86e60b8fc0e",
    ),
    (
        "terraform/ram-policy-OssBucketReadOnly/examples/OssBucketReadOnly/main.tf",
        265,
        "0fd5821c07c3bf050e2cf7d62482440fcb84302fb0b721ae3180f1d4318fc3a4",
    ),
    ("terraform/ram-assumable-role/main.tf", 1346, "7e81d0dace7d8032bcfc19737b00c3bb70945afff99b0a30133f6c30011be1af"),
    (
        "terraform/ram-assumable-role/locals.tf",
        1394,
        "da3cb937e33d5791c51b6c8af2703578819bc7eacad036870a9934fb6395ac3a",
    ),
    (
        "terraform/ram-assumable-role/variables.tf",
        3290,
        "df61ee174e3104739c4a2e47849719b3681b4bda646702c0b7ec61a065bed3b5",
    ),
    ("terraform/ram-role-for-saml/main.tf", 1276, "ba1c376b993931e2b5e021963d3761618a3ba7f9ee50413d4ef44cbdf4854387"),
    (
        "terraform/ram-role-for-saml/variables.tf",
        1339,
        "e5f4ce18e36c7d9f2ee6afe8fae6c40a69e1285303ecc15bf6bf0e7edc4a78a0",
    ),
    ("terraform/quickstart-ram-role/main.tf", 565, "1e5652616e648822e3be9949d84cd4788616f544855fef693062b9a4071d9fd8"),
    (
        "terraform/quickstart-ram-role-policy-attachment/main.tf",
        1008,
        "9e411a0ae77452fad24241e45af1d925fbbb265787529b53d8985d31c7b42358",
    ),
    (
        "terraform/quickstart-oss-bucket-policy/main.tf",
        1325,
        "0888fb0b722c345309e4c62d0682b043d907df1c52e74aba6f493b353f9eb286",
    ),
    (
        "terraform/quickstart-cen-oss-bucket-policy/main.tf",
        11964,
        "0b10d263bb11dc5a09b2193431ad21d1c71f36ef63d7fcea77ca078e692151dc",
    ),
    (
        "terraform/quickstart-rm-control-policy/main.tf",
        572,
        "4ca411b79046472a454274a9d4f59f7f0381163e725e31c0e86b32650fa10c79",
    ),
    ("terraform/quickstart-rm-policy/main.tf", 299, "af7da012dd1a6f0dc7e89af4b46d8e9cfbd3781a027a58450889c326f3d8c553"),
    (
        "terraform/landing-zone-control-policy-template/main.tf",
        1518,
        "5404a4ab122e604292048a8b5873dd55888fc1a4ca3b1d0405019be1eb211005",
    ),
    (
        "terraform/landing-zone-control-policy-template/variables.tf",
        476,
        "77fdc14118966f4bf4affceac429c242c51bdec55d0fec1b03f49e72d37c778f",
    ),
    (
        "terraform/landing-zone-control-policy-template/tfvars.json.example",
        185,
        "e9e21a38985a26e988d116af6b11848f565e8a95bb5fb6fedb6ec86f1e9ff1f7",
    ),
    (
        "terraform/landing-zone-cross-account-role/main.tf",
        856,
        "db6748bdd2e2498e7ced5a97d0cd43d3e6aff6f7b1b65adc4565690359b18d3d",
    ),
    (
        "terraform/landing-zone-cross-account-role/variables.tf",
        3011,
        "d591965e4972d7faac2ded4c1b3a61c84964004031f5ee1014ad303425d391e1",
    ),
    ("terraform/oss-bucket-module/main.tf", 1192, "770dd007c259584a5d12552458e84a081fba2f245982ff466d80135a6e7e2afd"),
    (
        "terraform/oss-bucket-module/variables.tf",
        1101,
        "e9baa73e2759f97446285b25af20f260a090d6e02a82fe96c62d47970397b97f",
    ),
    (
        "terraform/oss-bucket-module/examples/complete/main.tf",
        352,
        "a848cd8fd0a8e5df0b312296cf7318bcba597f5430b05d74af9d889a1b3ab3de",
    ),
    (
        "terraform/oss-bucket-module/examples/complete/variables.tf",
        1517,
        "bd11697d12f1eac3f598ce6d29c3da9c5b66d6c37cb537ce9917af599a46097f",
    ),
    (
        "ros/cross-account-command-inspection-role.yaml",
        5354,
        "ad785336bdd89c9daab29ca6eae7cd4700ec179e0b8a39f828c5fa3b4d9a1d38",
    ),
];

#[test]
fn the_copied_files_are_the_originals_byte_for_byte() {
    for (path, size, sum) in COPIED {
        let bytes = std::fs::read(common::repo().join("tests/iac").join(path)).unwrap();
        assert_eq!(bytes.len(), *size, "{path}");
        let digest: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(digest, *sum, "{path}");
    }
}

/// Every document found: file, where, kind, line and column of its value,
/// and the values it depends on that the files do not fix. Checked by hand
/// against the files and `tests/iac/SOURCES.md`; with the variables'
/// defaults and no `--var`.
/// File, where, kind, line, column, unresolved.
type Entry = (&'static str, &'static str, &'static str, usize, usize, &'static [&'static str]);

const DOCUMENTS: &[Entry] = &[
    (
        "terraform/landing-zone-control-policy-template/main.tf",
        "alicloud_resource_manager_control_policy.logarchive.policy_document",
        "control",
        10,
        25,
        &["var.logarchive_account_id", "var.central_sls_project", "var.oss_export_job_ids", "var.oss_bucket_name"],
    ),
    (
        "terraform/landing-zone-cross-account-role/main.tf",
        "alicloud_ram_role.role.document",
        "trust",
        3,
        14,
        &["var.ALIYUN__AccountId", "var.assume_role_principal_role"],
    ),
    (
        "terraform/landing-zone-cross-account-role/main.tf",
        "alicloud_ram_policy.policy.policy_document",
        "identity",
        23,
        21,
        &["jsonencode(var.policy_document)"],
    ),
    // The bucket policy comes from the example's variable default, through
    // the module call; it is located at the module's `policy = var.policy`.
    (
        "terraform/oss-bucket-module/main.tf",
        "module.oss-bucket.alicloud_oss_bucket.create_new_bucket.policy",
        "resource",
        42,
        12,
        &[],
    ),
    (
        "terraform/quickstart-cen-oss-bucket-policy/main.tf",
        "alicloud_oss_bucket_policy.default.policy",
        "resource",
        67,
        14,
        &["alicloud_oss_bucket.bucket1.bucket"],
    ),
    (
        "terraform/quickstart-oss-bucket-policy/main.tf",
        "alicloud_oss_bucket_policy.example.policy",
        "resource",
        34,
        12,
        &[],
    ),
    (
        "terraform/quickstart-ram-role/main.tf",
        "alicloud_ram_role.default.assume_role_policy_document",
        "trust",
        8,
        33,
        &[],
    ),
    (
        "terraform/quickstart-ram-role-policy-attachment/main.tf",
        "alicloud_ram_policy.default.policy_document",
        "identity",
        3,
        21,
        &[],
    ),
    (
        "terraform/quickstart-ram-role-policy-attachment/main.tf",
        "alicloud_ram_role.default.document",
        "trust",
        27,
        17,
        &[],
    ),
    (
        "terraform/quickstart-rm-control-policy/main.tf",
        "alicloud_resource_manager_control_policy.example.policy_document",
        "control",
        9,
        25,
        &[],
    ),
    (
        "terraform/quickstart-rm-policy/main.tf",
        "alicloud_resource_manager_policy.example.policy_document",
        "identity",
        7,
        21,
        &[],
    ),
    // `ram-assumable-role` creates its role only when `create_role` is
    // true (default false): no document with the defaults.
    // The module read through its example's call; a module that another
    // one in the directory calls is not a root of its own (and neither is
    // `oss-bucket-module`, which its example calls).
    (
        "terraform/ram-policy-OssBucketReadOnly/modules/OssBucketReadOnly/main.tf",
        "module.example.alicloud_ram_policy.policy[0].policy_document",
        "identity",
        45,
        21,
        &[],
    ),
    (
        "terraform/ram-role-for-saml/main.tf",
        "data.alicloud_ram_policy_document.assume_role_with_saml[0].document",
        "trust",
        5,
        1,
        &[],
    ),
    ("terraform/ram-role-for-saml/main.tf", "alicloud_ram_role.this[0].document", "trust", 27, 14, &[]),
    ("terraform/rostran-ram_policy/main.tf", "alicloud_ram_policy.policy.policy_document", "identity", 3, 21, &[]),
    ("terraform-plan/ram_policy.tfplan.json", "alicloud_ram_policy.policy.policy_document", "identity", 53, 32, &[]),
    ("ros/cross-account-command-inspection-role.yaml", "RamManagedPolicy.PolicyDocument", "identity", 111, 27, &[]),
    ("ros/cross-account-command-inspection-role.yaml", "RamRole.AssumeRolePolicyDocument", "trust", 156, 37, &[]),
];

/// An [`Entry`] as read back from `extract`.
type Owned = (String, String, String, u64, u64, Vec<String>);

/// The copied sources, as `extract` is given them.
const SOURCES: [&str; 3] =
    ["tests/iac/terraform", "tests/iac/terraform-plan", "tests/iac/ros/cross-account-command-inspection-role.yaml"];

fn ramguard(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ramguard")).args(args).current_dir(common::repo()).output().unwrap()
}

#[test]
fn every_document_of_the_copied_files_is_found_with_its_kind_and_place() {
    let mut args = vec!["extract", "--format", "json"];
    args.extend(SOURCES);
    let o = ramguard(&args);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let found: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let found: Vec<Owned> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let text = |k: &str| d[k].as_str().unwrap().to_owned();
            let unresolved = d["unresolved"].as_array().unwrap().iter().map(|u| u.as_str().unwrap().to_owned());
            (text("source"), text("where"), text("kind"), d["line"].as_u64().unwrap(), d["column"].as_u64().unwrap(), {
                unresolved.collect()
            })
        })
        .collect();
    let expected: Vec<Owned> = DOCUMENTS
        .iter()
        .map(|(file, place, kind, line, column, unresolved)| {
            (
                format!("tests/iac/{file}"),
                (*place).to_owned(),
                (*kind).to_owned(),
                *line as u64,
                *column as u64,
                unresolved.iter().map(|u| (*u).to_owned()).collect(),
            )
        })
        .collect();
    assert_eq!(found, expected);
}

#[test]
fn every_document_that_resolves_validates_except_the_bucket_policies_without_a_principal() {
    let mut args = vec!["validate"];
    args.extend(SOURCES);
    let o = ramguard(&args);
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{text}");
    let oks = text.lines().filter(|l| l.contains(": ok (")).count();
    // 18 documents: 13 valid, and the five listed below.
    assert_eq!(oks, 13, "{text}");
    for expected in [
        // A bucket policy needs its Principal (the example's default has none).
        "tests/iac/terraform/oss-bucket-module/main.tf:42:12: module.oss-bucket.alicloud_oss_bucket.create_new_bucket.policy: missing required element `Principal` (at Statement[0])",
        "tests/iac/terraform/quickstart-cen-oss-bucket-policy/main.tf:67:59: alicloud_oss_bucket_policy.default.policy: missing required element `Principal` (at Statement[0])",
        // With the defaults the SAML provider list is empty.
        "tests/iac/terraform/ram-role-for-saml/main.tf:27:14: alicloud_ram_role.this[0].document: `Principal.Federated` must not be empty",
        "tests/iac/terraform/ram-role-for-saml/main.tf:2:17: data.alicloud_ram_policy_document.assume_role_with_saml[0].document: `Principal.Federated` must not be empty",
        "tests/iac/terraform/landing-zone-cross-account-role/main.tf:23:21: alicloud_ram_policy.policy.policy_document: not known until apply",
    ] {
        assert!(text.contains(expected), "missing {expected}\n{text}");
    }
}
