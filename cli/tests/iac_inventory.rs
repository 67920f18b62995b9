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
