//! A generated account, shaped like a real one, as one snapshot file's text:
//! groups carry most grants and each is shared by many users (a user is in
//! one to three groups drawn from a few team profiles), some users and every
//! role have policies of their own, and statements mix exact and wildcard
//! actions, ARN patterns and `*`, conditions, and denies. The same shape
//! always gives the same account.

use serde_json::{Value, json};

use crate::common::Rng;

/// The generated accounts' id.
pub const ACCT: &str = "1234567890123456";

const SERVICES: [&str; 8] = ["vpc", "ecs", "oss", "rds", "slb", "kms", "ram", "cms"];
const VERBS: [&str; 8] = ["Describe", "List", "Create", "Delete", "Modify", "Get", "Update", "Tag"];
const NOUNS: [&str; 8] = ["IpsecServer", "VpnConnection", "Instance", "Disk", "Bucket", "Vpc", "Key", "Alarm"];

/// How large a generated account is.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// Custom policies, of `statements` statements each.
    pub policies: usize,
    /// Statements per policy.
    pub statements: usize,
    /// Groups, of three policies each (the first `3 * groups` policies).
    pub groups: usize,
    /// Team profiles: the sets of groups users are drawn into.
    pub profiles: usize,
    /// RAM users.
    pub users: usize,
    /// RAM roles.
    pub roles: usize,
}

impl Shape {
    /// `thousands` times an account of 1,000 principals (900 users, 100
    /// roles) and 10,000 statements (250 policies of 40, 40 groups, 60 team
    /// profiles).
    pub fn scaled(thousands: usize) -> Self {
        Self {
            policies: 250 * thousands,
            statements: 40,
            groups: 40 * thousands,
            profiles: 60 * thousands,
            users: 900 * thousands,
            roles: 100 * thousands,
        }
    }
}

fn statement(rng: &mut Rng) -> Value {
    let service = SERVICES[rng.below(SERVICES.len())];
    let action = match rng.below(10) {
        0 => format!("{service}:{}*", VERBS[rng.below(VERBS.len())]),
        1 => format!("{service}:*"),
        2 => format!("{service}:*{}*", NOUNS[rng.below(NOUNS.len())]),
        _ => format!("{service}:{}{}", VERBS[rng.below(VERBS.len())], NOUNS[rng.below(NOUNS.len())]),
    };
    let resource = match rng.below(4) {
        0 => "*".to_owned(),
        1 => format!("acs:{service}:*:{ACCT}:*"),
        _ => format!(
            "acs:{service}:cn-hangzhou:{ACCT}:{}/r-{}*",
            NOUNS[rng.below(NOUNS.len())].to_lowercase(),
            rng.below(100)
        ),
    };
    let effect = if rng.below(10) == 0 { "Deny" } else { "Allow" };
    let mut s = json!({"Effect": effect, "Action": [action], "Resource": resource});
    match rng.below(6) {
        0 => s["Condition"] = json!({"IpAddress": {"acs:SourceIp": ["10.0.0.0/8", "192.168.0.0/16"]}}),
        1 => s["Condition"] = json!({"Bool": {"acs:MFAPresent": "true"}}),
        _ => {}
    }
    s
}

fn list(outer: &str, inner: &str, items: Vec<Value>) -> Value {
    json!({ outer: { inner: items } })
}

fn policy_refs(names: &[usize]) -> Value {
    let items = names
        .iter()
        .map(|i| json!({"PolicyName": format!("p{i}"), "PolicyType": "Custom", "DefaultVersion": "v1"}))
        .collect();
    list("Policies", "Policy", items)
}

/// The account of `shape`, as one snapshot file's text.
pub fn account(shape: Shape) -> String {
    let mut rng = Rng(0xACC0_0417);
    let grouped = 3 * shape.groups;
    let own = shape.policies - grouped;
    let mut versions = serde_json::Map::new();
    for p in 0..shape.policies {
        let statements: Vec<Value> = (0..shape.statements).map(|_| statement(&mut rng)).collect();
        let document = json!({"Version": "1", "Statement": statements}).to_string();
        versions.insert(
            format!("p{p}"),
            json!({"PolicyVersion": {"VersionId": "v1", "IsDefaultVersion": true, "PolicyDocument": document}}),
        );
    }
    // Groups hold the first policies, three each; users' and roles' own policies come from the rest.
    let mut for_group = serde_json::Map::new();
    for g in 0..shape.groups {
        for_group.insert(format!("g{g}"), policy_refs(&[3 * g, 3 * g + 1, 3 * g + 2]));
    }
    // Team profiles: each user takes one, so groups are shared by many users.
    let profiles: Vec<Vec<usize>> =
        (0..shape.profiles).map(|_| (0..1 + rng.below(3)).map(|_| rng.below(shape.groups)).collect()).collect();
    let mut users = Vec::new();
    let mut groups_for_user = serde_json::Map::new();
    let mut for_user = serde_json::Map::new();
    for u in 0..shape.users {
        let name = format!("user{u}");
        users.push(json!({"UserName": name, "UserId": format!("2{u:015}")}));
        let mut groups = profiles[rng.below(profiles.len())].clone();
        groups.sort_unstable();
        groups.dedup();
        let items = groups.iter().map(|g| json!({"GroupName": format!("g{g}")})).collect();
        groups_for_user.insert(name.clone(), list("Groups", "Group", items));
        let mine = if rng.below(5) == 0 { vec![grouped + rng.below(own)] } else { Vec::new() };
        for_user.insert(name, policy_refs(&mine));
    }
    let trust = json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
        "Principal": {"RAM": [format!("acs:ram::{ACCT}:root")]}}]})
    .to_string();
    let mut roles = Vec::new();
    let mut get_role = serde_json::Map::new();
    let mut for_role = serde_json::Map::new();
    for r in 0..shape.roles {
        let name = format!("role{r}");
        roles.push(json!({"RoleName": name}));
        get_role.insert(
            name.clone(),
            json!({"Role": {"RoleName": name, "Arn": format!("acs:ram::{ACCT}:role/{name}"), "AssumeRolePolicyDocument": trust}}),
        );
        for_role.insert(name, policy_refs(&[grouped + rng.below(own), grouped + rng.below(own)]));
    }
    let groups = (0..shape.groups).map(|g| json!({"GroupName": format!("g{g}")})).collect();
    let full = json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}).to_string();
    let deny = json!({"Version": "1", "Statement": [{"Effect": "Deny", "Action": "vpc:DeleteVpnConnection", "Resource": "*"}]})
        .to_string();
    json!({
        "AccountId": ACCT,
        "ListUsers": list("Users", "User", users),
        "ListGroups": list("Groups", "Group", groups),
        "ListRoles": list("Roles", "Role", roles),
        "GetRole": get_role,
        "ListGroupsForUser": groups_for_user,
        "ListPoliciesForUser": for_user,
        "ListPoliciesForGroup": for_group,
        "ListPoliciesForRole": for_role,
        "GetPolicyVersion": {"Custom": versions},
        "ListControlPolicyAttachmentsForTarget": {ACCT: list("ControlPolicyAttachments", "ControlPolicyAttachment", vec![
            json!({"PolicyId": "cp-full", "PolicyName": "FullAliyunAccess"}),
            json!({"PolicyId": "cp-deny", "PolicyName": "DenyVpnConnectionDeletes"}),
        ])},
        "GetControlPolicy": {
            "cp-full": {"ControlPolicy": {"PolicyName": "FullAliyunAccess", "EffectScope": "All", "PolicyDocument": full}},
            "cp-deny": {"ControlPolicy": {"PolicyName": "DenyVpnConnectionDeletes", "EffectScope": "RAM", "PolicyDocument": deny}},
        },
    })
    .to_string()
}
