//! Account snapshots, `who-can` and `what-can`, on the hand-written account
//! in `tests/snapshots/` (the same account as one file, `account.json`, and
//! as the directory the aliyun script writes, `account/`).
//!
//! The account (1234567890123456):
//! - group `netops`: custom `NetOpsVpn` v2: `ManageVpn` allows deleting IPsec
//!   servers and VPN connections and updating IPsec servers on
//!   `acs:vpc:*:1234567890123456:*`; `AssumeOps` allows `sts:AssumeRole` on role `ops`.
//! - group `readers`: system `AliyunVPNGatewayReadOnlyAccess` v9 (copied from
//!   Alibaba Cloud's page): `vpc:DescribeVpn*`, `vpc:ListIpsecServer*` and others on `*`.
//! - alice: netops. bob: netops, readers, and custom `DenyProdVpnDeletes`
//!   (deny `vpc:Delete*` on `acs:vpc:*:*:vpnipsecserver/iss-prod*`).
//!   carol: readers, and custom `MfaIpsecDeletes` (allow deleting IPsec
//!   servers in cn-hangzhou when `acs:MFAPresent` is true). dave: nothing.
//!   erin: readers only (the same policies as the auditor role).
//! - role `ops`: custom `OpsVpcAdmin` (`vpc:*` on `*`); trusts user alice only.
//! - role `auditor`: `AliyunVPNGatewayReadOnlyAccess`; trusts the account
//!   (`acs:ram::1234567890123456:root`) and the `actiontrail.aliyuncs.com` service.
//! - control policies: `FullAliyunAccess` (allow all, scope All) on the root
//!   folder, `DenyVpnConnectionDeletes` (deny `vpc:DeleteVpnConnection`,
//!   scope RAM) on the account.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests unwrap and index what they just built"
)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ramguard::access::{AccessModel, PrincipalKind, WhatCanReport, WhoCanQuery, WhoCanReport};
use ramguard::catalog::Catalog;
use ramguard::snapshot::{EffectScope, PolicyType, Snapshot, SnapshotErrorKind};
use ramguard::{Context, PolicyKind};

const ACCT: &str = "1234567890123456";
const FILE: &str = "tests/snapshots/account.json";
const DIR: &str = "tests/snapshots/account";

fn path(rel: &str) -> PathBuf {
    common::repo().join(rel)
}

fn model() -> AccessModel {
    AccessModel::new(&Snapshot::load(&path(FILE)).unwrap()).unwrap()
}

fn iss(id: &str) -> String {
    format!("acs:vpc:cn-hangzhou:{ACCT}:vpnipsecserver/{id}")
}

fn who(action: &str, resources: &[&str], context: &[(&str, &str)]) -> WhoCanReport {
    let mut ctx = Context::new();
    for (k, v) in context {
        ctx.insert(k, *v);
    }
    let query = WhoCanQuery {
        action: action.to_owned(),
        resources: resources.iter().map(|r| (*r).to_owned()).collect(),
        context: ctx,
    };
    model().who_can(&query, Catalog::builtin().unwrap()).unwrap()
}

fn names(report: &WhoCanReport) -> Vec<&str> {
    report.allowed.iter().map(|g| g.name.as_str()).collect()
}

fn conditional(report: &WhoCanReport) -> Vec<&str> {
    report.conditional.iter().map(|g| g.name.as_str()).collect()
}

/// `policy#index` of each statement.
fn refs(statements: &[ramguard::access::AttachedStatement]) -> Vec<String> {
    statements.iter().map(|s| format!("{}#{}", s.policy, s.statement)).collect()
}

#[test]
fn file_and_directory_forms_load_to_the_same_account() {
    let file = Snapshot::load(&path(FILE)).unwrap();
    let dir = Snapshot::load(&path(DIR)).unwrap();
    assert_eq!(file, dir);
    assert_eq!(file.account_id, ACCT);
    let users: Vec<&str> = file.users.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(users, ["alice", "bob", "carol", "dave", "erin"]);
    let bob = &file.users[1];
    assert_eq!(bob.groups, ["netops", "readers"]);
    assert_eq!(bob.policies.len(), 1);
    assert_eq!(bob.policies[0].name, "DenyProdVpnDeletes");
    assert_eq!(bob.display_name.as_deref(), Some("Bob"));
    let roles: Vec<(&str, &str)> = file.roles.iter().map(|r| (r.name.as_str(), r.arn.as_str())).collect();
    assert_eq!(
        roles,
        [("ops", "acs:ram::1234567890123456:role/ops"), ("auditor", "acs:ram::1234567890123456:role/auditor")]
    );
    assert_eq!(file.roles[0].trust.kind(), PolicyKind::Resource);
    assert_eq!(file.policies.len(), 5);
    let system: Vec<&str> =
        file.policies.keys().filter(|r| r.policy_type == PolicyType::System).map(|r| r.name.as_str()).collect();
    assert_eq!(system, ["AliyunVPNGatewayReadOnlyAccess"]);
    let control: Vec<(&str, EffectScope)> = file.control_policies.iter().map(|c| (c.name.as_str(), c.scope)).collect();
    // Targets are read in name order: the account id sorts before the root folder `r-...`.
    assert_eq!(control, [("DenyVpnConnectionDeletes", EffectScope::Ram), ("FullAliyunAccess", EffectScope::All)]);
}

#[test]
fn principals_with_the_same_attachments_share_a_compiled_set() {
    let m = model();
    let kinds: Vec<(PrincipalKind, &str)> = m.principals().iter().map(|p| (p.kind(), p.name())).collect();
    assert_eq!(
        kinds,
        [
            (PrincipalKind::User, "alice"),
            (PrincipalKind::User, "bob"),
            (PrincipalKind::User, "carol"),
            (PrincipalKind::User, "dave"),
            (PrincipalKind::User, "erin"),
            (PrincipalKind::Role, "ops"),
            (PrincipalKind::Role, "auditor"),
        ]
    );
    // Seven principals, six distinct attachment sets (erin and the auditor
    // role both have the readers' policy alone), plus the root's.
    assert_eq!(m.compiled_sets(), 7);
    let erin = m.find("erin").unwrap();
    let auditor = m.find("auditor").unwrap();
    assert!(std::ptr::eq(m.policy_set(erin).unwrap(), m.policy_set(auditor).unwrap()));
    assert!(!std::ptr::eq(m.policy_set(erin).unwrap(), m.policy_set(m.find("carol").unwrap()).unwrap()));
    assert_eq!(m.root().arn(), "acs:ram::1234567890123456:root");
    assert!(m.root().principal().is_root());
    assert_eq!(
        m.find("ops").unwrap().principal().to_string(),
        "acs:ram::1234567890123456:assumed-role/ops/ramguard-audit"
    );
    assert_eq!(m.find("acs:ram::1234567890123456:assumed-role/ops/s1").unwrap().name(), "ops");
    assert_eq!(m.find("acs:ram::1234567890123456:user/bob").unwrap().name(), "bob");
    assert!(m.find("frank").is_err());
    assert!(m.find("acs:ram::999:user/bob").is_err());
}

#[test]
fn who_can_delete_one_ipsec_server() {
    let r = who("vpc:DeleteIpsecServer", &[&iss("iss-1")], &[]);
    assert_eq!(names(&r), ["alice", "bob", "ops"]);
    assert_eq!(refs(&r.allowed[0].granted_by), ["NetOpsVpn#0"]);
    assert_eq!(r.allowed[0].granted_by[0].sid.as_deref(), Some("ManageVpn"));
    assert_eq!(r.allowed[0].granted_by[0].via, ["group netops"]);
    assert_eq!(refs(&r.allowed[2].granted_by), ["OpsVpcAdmin#0"]);
    assert_eq!(r.allowed[2].granted_by[0].via, ["role"]);
    // Carol's grant needs MFA, which the question does not say.
    assert_eq!(conditional(&r), ["carol"]);
    assert_eq!(r.conditional[0].missing_context_keys, ["acs:MFAPresent"]);
    assert_eq!(refs(&r.conditional[0].statements), ["MfaIpsecDeletes#0"]);
    assert_eq!(r.conditional[0].statements[0].via, ["user"]);
    assert!(r.root.allowed);
    assert_eq!(refs(&r.root.granted_by), ["root identity#0"]);
    assert!(r.root.by_root_identity());
}

#[test]
fn context_makes_a_condition_hold_or_fail() {
    let r = who("vpc:DeleteIpsecServer", &[&iss("iss-1")], &[("acs:MFAPresent", "true")]);
    assert_eq!(names(&r), ["alice", "bob", "carol", "ops"]);
    assert_eq!(refs(&r.allowed[2].granted_by), ["MfaIpsecDeletes#0"]);
    assert!(r.conditional.is_empty());
    let r = who("vpc:DeleteIpsecServer", &[&iss("iss-1")], &[("acs:MFAPresent", "false")]);
    assert_eq!(names(&r), ["alice", "bob", "ops"]);
    // The key was given and the condition failed: not a conditional grant.
    assert!(r.conditional.is_empty());
}

#[test]
fn an_identity_deny_removes_a_principal() {
    let r = who("vpc:DeleteIpsecServer", &[&iss("iss-prod-1")], &[]);
    assert_eq!(names(&r), ["alice", "ops"]);
    // Outside cn-hangzhou carol's statement does not match at all.
    let r = who("vpc:DeleteIpsecServer", &[&format!("acs:vpc:cn-beijing:{ACCT}:vpnipsecserver/iss-1")], &[]);
    assert_eq!(names(&r), ["alice", "bob", "ops"]);
    assert!(r.conditional.is_empty());
    // Several resources: allowed only on every one.
    let r = who("vpc:DeleteIpsecServer", &[&iss("iss-1"), &iss("iss-prod-1")], &[]);
    assert_eq!(names(&r), ["alice", "ops"]);
}

#[test]
fn nobody_in_the_account_reaches_another_account_s_resource() {
    // Ops has `vpc:*` on `*`, and the root is unrestricted on its own
    // account: on another account's server both stop at the boundary.
    let foreign = "acs:vpc:cn-hangzhou:9999999999999999:vpnipsecserver/iss-1";
    let r = who("vpc:DeleteIpsecServer", &[foreign], &[]);
    assert!(r.allowed.is_empty(), "{:?}", names(&r));
    assert!(r.conditional.is_empty());
    assert!(!r.root.allowed);
    let r = who("vpc:DeleteIpsecServer", &[&iss("iss-1")], &[]);
    assert!(names(&r).contains(&"ops") && r.root.allowed);
}

#[test]
fn who_can_without_a_resource_finds_witnesses() {
    let r = who("vpc:DeleteIpsecServer", &[], &[]);
    assert_eq!(names(&r), ["alice", "bob", "ops"]);
    let witness = format!("acs:vpc:x:{ACCT}:vpnipsecserver/x");
    assert_eq!(r.allowed[0].resources, std::slice::from_ref(&witness));
    assert_eq!(r.allowed[2].resources, [witness]);
    assert_eq!(conditional(&r), ["carol"]);
    assert_eq!(r.conditional[0].resources, [format!("acs:vpc:cn-hangzhou:{ACCT}:vpnipsecserver/x")]);
    // A read-only action of the catalog with "All Resources".
    let r = who("vpc:DescribeVpnGateway", &[], &[]);
    assert_eq!(names(&r), ["bob", "carol", "erin", "ops", "auditor"]);
    assert_eq!(r.allowed[0].resources, ["*"]);
    assert_eq!(refs(&r.allowed[0].granted_by), ["AliyunVPNGatewayReadOnlyAccess#0"]);
}

#[test]
fn a_control_policy_deny_leaves_only_the_root() {
    let r = who("vpc:DeleteVpnConnection", &[], &[]);
    assert!(r.allowed.is_empty());
    assert!(r.conditional.is_empty());
    // The deny's scope is RAM, so the root identity is not restricted.
    assert!(r.root.allowed);
}

#[test]
fn who_can_assume_roles_uses_trust_policies() {
    let ops = format!("acs:ram::{ACCT}:role/ops");
    let auditor = format!("acs:ram::{ACCT}:role/auditor");
    let r = who("sts:AssumeRole", &[&ops], &[]);
    // Bob's policies allow it too, but the trust policy names alice only.
    assert_eq!(names(&r), ["alice"]);
    assert_eq!(refs(&r.allowed[0].granted_by), ["NetOpsVpn#1", "ops (trust policy)#0"]);
    // The trust policy is the role's, not attached to alice.
    assert!(r.allowed[0].granted_by[1].via.is_empty());
    assert!(!r.root.allowed);
    let r = who("sts:AssumeRole", &[&auditor], &[]);
    // The auditor role trusts the whole account, but no user's policies
    // allow assuming it, and the root identity cannot assume roles at all.
    assert!(r.allowed.is_empty());
    assert!(!r.root.allowed);
    assert!(r.root.granted_by.is_empty());
    assert!(r.root.reason.as_deref().is_some_and(|why| why.contains("cannot call sts:AssumeRole")));
    // Without a resource: every role each principal may assume.
    let r = who("sts:AssumeRole", &[], &[]);
    assert_eq!(names(&r), ["alice"]);
    assert_eq!(r.allowed[0].resources, [ops]);
    assert!(r.root.resources.is_empty());
    // Any other action has no such rule.
    assert_eq!(who("vpc:DeleteVpnConnection", &[], &[]).root.reason, None);
}

fn what(principal: &str, context: &[(&str, &str)]) -> WhatCanReport {
    let m = model();
    let mut ctx = Context::new();
    for (k, v) in context {
        ctx.insert(k, *v);
    }
    m.what_can(m.find(principal).unwrap(), Catalog::builtin().unwrap(), &ctx).unwrap()
}

fn actions(r: &WhatCanReport) -> Vec<&str> {
    r.actions.iter().map(|a| a.action.as_str()).collect()
}

#[test]
fn what_can_lists_catalog_actions_with_patterns() {
    let r = what("alice", &[]);
    // DeleteVpnConnection is granted too, but the control policy denies it everywhere.
    assert_eq!(actions(&r), ["vpc:DeleteIpsecServer", "vpc:UpdateIpsecServer"]);
    let delete = &r.actions[0].resources;
    assert_eq!(delete.len(), 1);
    assert_eq!(delete[0].pattern, format!("acs:vpc:*:{ACCT}:*"));
    assert_eq!(delete[0].witness, format!("acs:vpc:x:{ACCT}:vpnipsecserver/x"));
    assert_eq!(refs(&delete[0].granted_by), ["NetOpsVpn#0"]);
    assert!(delete[0].partially_denied_by.is_empty());

    let r = what("bob", &[]);
    assert_eq!(
        actions(&r),
        [
            "vpc:DeleteIpsecServer",
            "vpc:UpdateIpsecServer",
            "vpc:ListIpsecServers",
            "vpc:DescribeVpnConnection",
            "vpc:DescribeVpnGateway"
        ]
    );
    assert_eq!(refs(&r.actions[0].resources[0].partially_denied_by), ["DenyProdVpnDeletes#0"]);
    assert!(r.actions[1].resources[0].partially_denied_by.is_empty());
    assert_eq!(r.actions[3].resources[0].witness, format!("acs:vpc:x:{ACCT}:vpnconnection/x"));
}

#[test]
fn what_can_follows_the_context() {
    assert_eq!(
        actions(&what("carol", &[])),
        ["vpc:ListIpsecServers", "vpc:DescribeVpnConnection", "vpc:DescribeVpnGateway"]
    );
    let r = what("carol", &[("acs:MFAPresent", "true")]);
    assert_eq!(actions(&r)[0], "vpc:DeleteIpsecServer");
    assert_eq!(r.actions[0].resources[0].pattern, "acs:vpc:cn-hangzhou:*:vpnipsecserver/*");
    assert!(what("dave", &[]).actions.is_empty());
}

#[test]
fn what_can_for_a_role_and_the_root() {
    let r = what("ops", &[]);
    assert_eq!(r.kind, PrincipalKind::Role);
    // Every VPC action of the catalog (11 of them) but the VPN connection delete.
    assert_eq!(r.actions.len(), 11);
    assert!(r.actions.iter().all(|a| a.action.starts_with("vpc:")));
    assert!(!actions(&r).contains(&"vpc:DeleteVpnConnection"));
    let r = what("root", &[]);
    assert_eq!(r.actions.len(), 16);
}

fn ramguard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ramguard")).args(args).current_dir(common::repo()).output().unwrap()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&o.stdout)))
}

#[test]
fn cli_who_can_exit_codes_and_json() {
    let o = ramguard(&["who-can", "--snapshot", DIR, "--action", "vpc:DeleteIpsecServer", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0));
    let v = json(&o);
    assert_eq!(v["action"], "vpc:DeleteIpsecServer");
    assert_eq!(v["allowed"][0]["principal"], "acs:ram::1234567890123456:user/alice");
    assert_eq!(v["allowed"][0]["kind"], "user");
    assert_eq!(v["allowed"][0]["granted_by"][0]["policy"], "NetOpsVpn");
    assert_eq!(v["allowed"][0]["granted_by"][0]["sid"], "ManageVpn");
    assert_eq!(v["allowed"][0]["granted_by"][0]["via"][0], "group netops");
    assert!(v["root"]["granted_by"][0].get("via").is_none());
    assert_eq!(v["conditional"][0]["missing_context_keys"][0], "acs:MFAPresent");
    assert_eq!(v["root"]["allowed"], true);

    // Nobody but the root: exit 2.
    let o = ramguard(&["who-can", "--snapshot", FILE, "--action", "vpc:DeleteVpnConnection"]);
    assert_eq!(o.status.code(), Some(2));
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(out.contains("allowed (0):"), "{out}");

    let o = ramguard(&[
        "who-can",
        "--snapshot",
        FILE,
        "--action",
        "vpc:DeleteIpsecServer",
        "--resource",
        &iss("iss-1"),
        "--context",
        "acs:MFAPresent=true",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(
        out.contains("user carol (acs:ram::1234567890123456:user/carol)\n    granted by MfaIpsecDeletes#0 via user\n"),
        "{out}"
    );

    let o = ramguard(&["who-can", "--snapshot", "tests/snapshots/none.json", "--action", "vpc:DeleteIpsecServer"]);
    assert_eq!(o.status.code(), Some(1));

    // Two spellings of one context key are a mistake, as in `eval`.
    let o = ramguard(&[
        "who-can",
        "--snapshot",
        FILE,
        "--action",
        "vpc:DeleteIpsecServer",
        "--context",
        "acs:MFAPresent=true",
        "--context",
        "acs:mfapresent=false",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(err.contains("`acs:mfapresent` and `acs:MFAPresent` are one condition key"), "{err}");
}

#[test]
fn cli_what_can_json_and_errors() {
    let o = ramguard(&["what-can", "--snapshot", FILE, "--principal", "bob", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0));
    let v = json(&o);
    assert_eq!(v["principal"], "acs:ram::1234567890123456:user/bob");
    assert_eq!(v["actions"][0]["action"], "vpc:DeleteIpsecServer");
    assert_eq!(v["actions"][0]["resources"][0]["pattern"], "acs:vpc:*:1234567890123456:*");
    assert_eq!(v["actions"][0]["resources"][0]["partially_denied_by"][0]["policy"], "DenyProdVpnDeletes");
    assert_eq!(v["actions"].as_array().unwrap().len(), 5);

    let o = ramguard(&["what-can", "--snapshot", FILE, "--principal", "frank"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8(o.stderr).unwrap().contains("no principal `frank`"));
}

/// A copy of the single-file snapshot with `edit` applied to its text.
fn edited(test: &str, edit: impl Fn(String) -> String) -> PathBuf {
    let text = std::fs::read_to_string(path(FILE)).unwrap();
    let dir = std::env::temp_dir().join(format!("ramguard-audit-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("account.json");
    std::fs::write(&file, edit(text)).unwrap();
    file
}

#[test]
fn bad_json_is_located() {
    let file = edited("syntax", |t| t.replacen("\"IsTruncated\": false,", "\"IsTruncated\": false,,", 1));
    let e = Snapshot::load(&file).unwrap_err();
    assert!(matches!(e.kind(), SnapshotErrorKind::Syntax { .. }), "{e}");
    // `"IsTruncated": false,` is on line 4 of the file; the second comma is column 26.
    let l = e.location().unwrap();
    assert_eq!((l.line, l.column), (4, 26), "{e}");
    assert!(e.to_string().starts_with(&format!("{}:4:26: invalid JSON", file.display())), "{e}");
}

#[test]
fn a_wrong_shape_is_located_by_path() {
    let file = edited("shape", |t| t.replacen("\"UserName\": \"bob\"", "\"UserName\": 7", 1));
    let e = Snapshot::load(&file).unwrap_err();
    assert_eq!(e.path().to_string(), "ListUsers.Users.User[1].UserName");
    assert!(e.to_string().contains("expected a string, found a number"), "{e}");
    let text = std::fs::read_to_string(&file).unwrap();
    let line = text.lines().position(|l| l.contains("\"UserName\": 7")).unwrap() + 1;
    assert_eq!(e.location().unwrap().line, line);
}

#[test]
fn an_invalid_policy_document_is_reported_inside_the_document() {
    // The first `Deny` in the file is DenyProdVpnDeletes's, pretty-printed in
    // its string: line 5 is `      "Effect": "Deny",`, its value at column 17.
    let file = edited("document", |t| t.replacen("\\\"Effect\\\": \\\"Deny\\\"", "\\\"Effect\\\": \\\"Dney\\\"", 1));
    let e = Snapshot::load(&file).unwrap_err();
    let SnapshotErrorKind::InvalidPolicy { policy, errors } = e.kind() else { panic!("{e}") };
    assert_eq!(policy, "Custom policy `DenyProdVpnDeletes`");
    let inner = errors.first().unwrap();
    assert_eq!(inner.code(), "invalid-effect");
    assert_eq!(inner.path().to_string(), "Statement[0].Effect");
    assert_eq!((inner.location().line, inner.location().column), (5, 17));
    assert_eq!(e.path().to_string(), "GetPolicyVersion.Custom.DenyProdVpnDeletes.PolicyVersion.PolicyDocument");
    let message = e.to_string();
    assert!(message.contains("in the document, 5:17: invalid effect `Dney`"), "{message}");
}

#[test]
fn a_missing_attached_policy_is_an_error() {
    let file = edited("missing", |t| t.replacen("\"AliyunVPNGatewayReadOnlyAccess\": {", "\"SomethingElse\": {", 1));
    let e = Snapshot::load(&file).unwrap_err();
    let SnapshotErrorKind::MissingPolicy { policy_type, name, attached_to, .. } = e.kind() else { panic!("{e}") };
    assert_eq!(
        (*policy_type, name.as_str(), attached_to.as_str()),
        (PolicyType::System, "AliyunVPNGatewayReadOnlyAccess", "group `readers`")
    );
    assert_eq!(e.path().to_string(), "ListPoliciesForGroup.readers.Policies.Policy[0]");
    assert!(
        e.to_string()
            .contains("add its `GetPolicyVersion` output (`GetPolicyVersion.System.AliyunVPNGatewayReadOnlyAccess`)"),
        "{e}"
    );
}

#[test]
fn directory_form_errors_name_the_file() {
    let src = path(DIR);
    let dir = std::env::temp_dir().join(format!("ramguard-audit-{}-dir", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(&src, &dir);
    std::fs::remove_file(dir.join("ListPoliciesForUser/carol.json")).unwrap();
    let e = Snapshot::load(&dir).unwrap_err();
    assert!(e.file().ends_with("ListUsers.json"), "{e}");
    assert!(
        e.to_string().contains("no `ListPoliciesForUser` output for user `carol` (`ListPoliciesForUser/carol.json`)"),
        "{e}"
    );
    std::fs::write(dir.join("ListPoliciesForUser/carol.json"), "{\"Policies\": {\"Policy\": [}}").unwrap();
    let e = Snapshot::load(&dir).unwrap_err();
    assert!(e.file().ends_with("ListPoliciesForUser/carol.json"), "{e}");
    assert_eq!(e.location().unwrap().line, 1);
    std::fs::copy(src.join("ListPoliciesForUser/carol.json"), dir.join("ListPoliciesForUser/carol.json")).unwrap();
    assert!(Snapshot::load(&dir).is_ok());
    // Other files are ignored; a directory where outputs belong is not.
    std::fs::write(dir.join("ListPoliciesForUser/notes.txt"), "checked 2026-03-02").unwrap();
    assert!(Snapshot::load(&dir).is_ok());
    std::fs::create_dir(dir.join("GetRole/old")).unwrap();
    let e = Snapshot::load(&dir).unwrap_err();
    assert!(e.to_string().contains("unknown snapshot entry `old`: expected one of `<name>.json`"), "{e}");
    std::fs::remove_dir(dir.join("GetRole/old")).unwrap();
    std::fs::write(dir.join("ListUser.json"), "{}").unwrap();
    let e = Snapshot::load(&dir).unwrap_err();
    assert!(e.to_string().contains("unknown snapshot entry `ListUser.json`"), "{e}");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The aliyun script writes exactly the layout the loader reads: run it
/// against a stand-in for the CLI that answers from the directory fixture
/// (paging the user listing), and load what it wrote. Needs bash and jq.
#[test]
fn the_aliyun_script_builds_the_directory_form() {
    let out = std::env::temp_dir().join(format!("ramguard-audit-{}-script", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let o = Command::new("bash")
        .arg(path("scripts/snapshot-from-aliyun.sh"))
        .args(["--control-policies", out.to_str().unwrap(), "--", "--profile", "audit"])
        .env("ALIYUN", path("tests/snapshots/fake-aliyun.sh"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let written = Snapshot::load(&out).unwrap();
    assert_eq!(written, Snapshot::load(&path(DIR)).unwrap());
    // The five users came in three pages and were merged into one listing.
    let users: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("ListUsers.json")).unwrap()).unwrap();
    assert_eq!(users["Users"]["User"].as_array().unwrap().len(), 5);
    assert_eq!(users["IsTruncated"], false);
    assert_eq!(written.control_policies.len(), 2);
}

#[test]
fn a_model_is_not_built_from_an_inconsistent_snapshot() {
    let mut s = Snapshot::load(&path(FILE)).unwrap();
    s.users[0].groups.push("nobody".to_owned());
    let e = AccessModel::new(&s).unwrap_err();
    assert_eq!(e.to_string(), "user `alice` is in group `nobody`, which the snapshot does not have");
    let mut s = Snapshot::load(&path(FILE)).unwrap();
    s.policies.retain(|r, _| r.name != "OpsVpcAdmin");
    let e = AccessModel::new(&s).unwrap_err();
    assert_eq!(e.to_string(), "Custom policy `OpsVpcAdmin` is attached but its document is not in the snapshot");
}

#[test]
fn actions_outside_the_catalog_get_account_arns_of_their_service() {
    // `vpc:DeleteVpc` is not in the built-in catalog; only the ops role's `vpc:*` covers it.
    let r = who("vpc:DeleteVpc", &[], &[]);
    assert_eq!(names(&r), ["ops"]);
    assert_eq!(r.allowed[0].resources, [format!("acs:vpc:x:{ACCT}:x")]);
    // ListIpsecServers is in the catalog with "All Resources": its witness is `*`.
    let r = who("vpc:ListIpsecServers", &[], &[]);
    assert_eq!(r.allowed[0].resources, ["*"]);
}

#[test]
fn control_policies_scoped_all_restrict_the_root() {
    let mut s = Snapshot::load(&path(FILE)).unwrap();
    let deny = s.control_policies.iter_mut().find(|c| c.name == "DenyVpnConnectionDeletes").unwrap();
    deny.scope = EffectScope::All;
    let m = AccessModel::new(&s).unwrap();
    let query = WhoCanQuery { action: "vpc:DeleteVpnConnection".to_owned(), ..WhoCanQuery::default() };
    let r = m.who_can(&query, Catalog::builtin().unwrap()).unwrap();
    assert!(!r.root.allowed);
    let r = m.what_can(m.root(), Catalog::builtin().unwrap(), &Context::new()).unwrap();
    assert_eq!(r.actions.len(), 15);
    assert!(!r.actions.iter().any(|a| a.action == "vpc:DeleteVpnConnection"));
}

#[test]
fn a_granted_principal_is_not_also_conditional() {
    // Carol also gets deletes in cn-beijing without conditions: she is
    // allowed (on a cn-beijing witness), and her MFA-conditioned cn-hangzhou
    // grant no longer makes her a conditional grant.
    let mut s = Snapshot::load(&path(FILE)).unwrap();
    let reference = ramguard::snapshot::PolicyRef { policy_type: PolicyType::Custom, name: "BeijingIpsec".to_owned() };
    let text = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"vpc:DeleteIpsecServer",
        "Resource":"acs:vpc:cn-beijing:*:vpnipsecserver/*"}]}"#;
    let document = ramguard::Policy::parse("BeijingIpsec", text, PolicyKind::Identity).unwrap();
    s.policies.insert(
        reference.clone(),
        ramguard::snapshot::SnapshotPolicy { reference: reference.clone(), version: None, document },
    );
    s.users[2].policies.push(reference);
    let m = AccessModel::new(&s).unwrap();
    let query = WhoCanQuery { action: "vpc:DeleteIpsecServer".to_owned(), ..WhoCanQuery::default() };
    let r = m.who_can(&query, Catalog::builtin().unwrap()).unwrap();
    assert_eq!(names(&r), ["alice", "bob", "carol", "ops"]);
    assert_eq!(r.allowed[2].resources, [format!("acs:vpc:cn-beijing:{ACCT}:vpnipsecserver/x")]);
    assert_eq!(refs(&r.allowed[2].granted_by), ["BeijingIpsec#0"]);
    assert!(r.conditional.is_empty(), "{:?}", r.conditional);
}

#[test]
fn cli_catalog_files_add_actions() {
    let args = ["--snapshot", FILE, "--catalog", "tests/snapshots/extra-catalog.json", "--format", "json"];
    let o = ramguard(&[&["what-can", "--principal", "ops"], &args[..]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let v = json(&o);
    let actions = v["actions"].as_array().unwrap();
    assert_eq!(actions.len(), 12);
    let delete_vpc = actions.iter().find(|a| a["action"] == "vpc:DeleteVpc").unwrap();
    assert_eq!(delete_vpc["resources"][0]["witness"], "acs:vpc:x:1234567890123456:vpc/x");
    // sts:AssumeRole from the catalog file: the roles alice may assume.
    let o = ramguard(&[&["what-can", "--principal", "alice"], &args[..]].concat());
    let v = json(&o);
    let assume = v["actions"].as_array().unwrap().iter().find(|a| a["action"] == "sts:AssumeRole").unwrap();
    assert_eq!(assume["resources"].as_array().unwrap().len(), 1);
    assert_eq!(assume["resources"][0]["pattern"], "acs:ram::1234567890123456:role/ops");
    assert_eq!(assume["resources"][0]["granted_by"][1]["policy"], "ops (trust policy)");
    // A catalog that is not one is an error naming the file.
    let o = ramguard(&["who-can", "--snapshot", FILE, "--action", "a:b", "--catalog", FILE]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("tests/snapshots/account.json:"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// A damaged snapshot (a stretch of the text removed) is an error or a
    /// snapshot, never a panic, and whatever loads can be questioned.
    #[test]
    fn damaged_snapshots_never_panic(start in 0usize..20_000, len in 1usize..40) {
        let text = std::fs::read_to_string(path(FILE)).unwrap();
        let chars: Vec<char> = text.chars().collect();
        let start = start % chars.len();
        let damaged: String = chars[..start].iter().chain(chars[(start + len).min(chars.len())..].iter()).collect();
        if let Ok(s) = Snapshot::from_json(Path::new("damaged.json"), &damaged) {
            let m = AccessModel::new(&s).unwrap();
            let query = WhoCanQuery { action: "vpc:DeleteIpsecServer".to_owned(), ..WhoCanQuery::default() };
            m.who_can(&query, Catalog::builtin().unwrap()).unwrap();
        }
    }
}
