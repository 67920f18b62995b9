//! `ramguard diff` on templates and Terraform modules that hold
//! placeholders: each is an unknown value, the same on both sides, never the
//! literal text it is written as.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic, reason = "tests unwrap what they just built")]

use std::path::Path;
use std::process::{Command, Output};

/// A ROS template with a parameter `Bucket` that has no default, holding one
/// managed policy with `statements` (YAML list items, indented for it).
fn template(statements: &[&str]) -> String {
    let mut out = String::from(
        "ROSTemplateFormatVersion: '2015-09-01'\nParameters:\n  Bucket:\n    Type: String\nResources:\n  Ops:\n    \
         Type: ALIYUN::RAM::ManagedPolicy\n    Properties:\n      PolicyName: ops\n      PolicyDocument:\n        \
         Version: '1'\n        Statement:\n",
    );
    for s in statements {
        out.push_str(s);
    }
    out
}

const READ_BUCKET: &str =
    "        - Effect: Allow\n          Action: oss:GetObject\n          Resource: !Sub 'acs:oss:*:*:${Bucket}/*'\n";
const READ_EXACT: &str =
    "        - Effect: Allow\n          Action: oss:GetObject\n          Resource: !Sub 'acs:oss:*:*:${Bucket}'\n";
const DENY_AUDIT: &str =
    "        - Effect: Deny\n          Action: oss:GetObject\n          Resource: 'acs:oss:*:*:audit'\n";
const DENY_SECRET: &str = "        - Effect: Deny\n          Action: oss:GetObject\n          Resource: !Sub 'acs:oss:*:*:${Bucket}/secret*'\n";
const DELETE_SERVER: &str = "        - Effect: Allow\n          Action: vpc:DeleteIpsecServer\n          \
                             Resource: !Sub 'acs:vpc:*:${ALIYUN::AccountId}:vpnipsecserver/${Bucket}'\n";

fn ramguard(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ramguard")).args(args).current_dir(dir).output().unwrap()
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    })
}

#[test]
fn an_unchanged_grant_through_a_placeholder_with_a_deny_added_is_no_new_access() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "old.yaml", &template(&[READ_BUCKET]));
    write(dir.path(), "new.yaml", &template(&[READ_BUCKET, DENY_SECRET]));
    let out = ramguard(&["diff", "--format", "json", "old.yaml", "new.yaml"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let report = json(&out);
    assert_eq!(report["result"], "pass");
    assert_eq!(report["unknowns"]["placeholders"], serde_json::json!(["{{Ref:Bucket}}"]));
    assert_eq!(report["unknowns"]["possible"], false);
    let out = ramguard(&["diff", "old.yaml", "new.yaml"], dir.path());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("no new access") && text.contains("unknown values, the same on both sides: {{Ref:Bucket}}"));
}

#[test]
fn a_new_grant_through_a_placeholder_is_new_access_shown_with_the_placeholder() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "old.yaml", &template(&[READ_BUCKET]));
    write(dir.path(), "new.yaml", &template(&[READ_BUCKET, DELETE_SERVER]));
    let out = ramguard(&["diff", "--format", "json", "old.yaml", "new.yaml"], dir.path());
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stdout));
    let report = json(&out);
    assert_eq!(report["result"], "fail");
    let found = &report["new_access"]["counterexamples"][0];
    assert_eq!(found["action"], "vpc:DeleteIpsecServer");
    // The account placeholder is the principal's account; the bucket is shown as the placeholder.
    let resource = found["resource"].as_str().unwrap();
    assert!(resource.ends_with(":1234567890123456:vpnipsecserver/{{Ref:Bucket}}"), "{resource}");
    assert_eq!(report["unknowns"]["account_placeholders"], serde_json::json!(["{{ALIYUN::AccountId}}"]));
    assert_eq!(report["unknowns"]["account"], "1234567890123456");
    // No token is left anywhere in the output.
    assert!(!String::from_utf8_lossy(&out.stdout).contains("qzx"));
    // Another principal's account is the account then.
    let out =
        ramguard(&["diff", "--principal", "acs:ram::5550001112223334:user/ops", "old.yaml", "new.yaml"], dir.path());
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains(":5550001112223334:vpnipsecserver/{{Ref:Bucket}}"), "{text}");
    assert!(text.contains("{{ALIYUN::AccountId}} read as the principal's account, 5550001112223334"), "{text}");
    // `--not-granted` reads the placeholders the same way.
    let out = ramguard(&["diff", "new.yaml", "--not-granted", "vpc:Delete*"], dir.path());
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("GRANTED") && text.contains("vpnipsecserver/{{Ref:Bucket}}"), "{text}");
    let out = ramguard(&["diff", "old.yaml", "--not-granted", "vpc:Delete*"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn access_that_only_some_values_give_is_undecided_and_the_values_settle_it() {
    // Both sides allow the bucket the parameter names; the old side also
    // denies `audit`, the new one no longer does. With Bucket = audit that
    // is new access; with any other value it is not.
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "old.yaml", &template(&[READ_EXACT, DENY_AUDIT]));
    write(dir.path(), "new.yaml", &template(&[READ_EXACT]));
    let out = ramguard(&["diff", "--format", "json", "old.yaml", "new.yaml"], dir.path());
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stdout));
    let report = json(&out);
    assert_eq!(report["result"], "undecided");
    assert_eq!(report["unknowns"]["possible"], true);
    assert!(report["undecided"].as_str().unwrap().contains("{{Ref:Bucket}}"), "{report}");
    assert!(report["new_access"]["counterexamples"][0]["resource"].as_str().unwrap().ends_with(":audit"));
    let out = ramguard(&["diff", "old.yaml", "new.yaml"], dir.path());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("NOT RULED OUT: ") && !text.contains("\nNEW ACCESS"), "{text}");
    assert!(text.contains("UNDECIDED: new access cannot be ruled out for every value of {{Ref:Bucket}}"), "{text}");
    // `--accept-inexact` is about budgets: it does not accept this.
    let out = ramguard(&["diff", "--accept-inexact", "old.yaml", "new.yaml"], dir.path());
    assert_eq!(out.status.code(), Some(3));
    let with = |value: &str| {
        let bucket = format!("Bucket={value}");
        ramguard(&["diff", "--parameters", &bucket, "old.yaml", "new.yaml"], dir.path()).status.code()
    };
    assert_eq!(with("logs"), Some(0));
    assert_eq!(with("audit"), Some(2));
}

#[test]
fn a_deny_with_a_placeholder_kept_on_both_sides_refuses_the_same_requests_on_both() {
    let dir = tempfile::tempdir().unwrap();
    let open = "        - Effect: Allow\n          Action: oss:GetObject\n          Resource: '*'\n";
    write(dir.path(), "old.yaml", &template(&[open, DENY_SECRET]));
    write(dir.path(), "same.yaml", &template(&[open, DENY_SECRET]));
    write(dir.path(), "gone.yaml", &template(&[open]));
    let out = ramguard(&["diff", "old.yaml", "same.yaml"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    // Taken away, it is new access on what it refused.
    let out = ramguard(&["diff", "old.yaml", "gone.yaml"], dir.path());
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("{{Ref:Bucket}}/secret"), "{text}");
}

#[test]
fn a_new_grant_with_a_placeholder_next_to_shared_ones_is_not_settled_by_finding_nothing() {
    // Whatever the values, the literal grant on the old side covers the new
    // one; but settling that for every value is beyond the two searches, so
    // the answer is undecided rather than a guess.
    let dir = tempfile::tempdir().unwrap();
    let everything = "        - Effect: Allow\n          Action: oss:PutObject\n          Resource: '*'\n";
    let put = "        - Effect: Allow\n          Action: oss:PutObject\n          \
               Resource: [!Sub 'acs:oss:*:*:${Bucket}/in/*']\n";
    write(dir.path(), "old.yaml", &template(&[READ_BUCKET, everything]));
    write(dir.path(), "new.yaml", &template(&[READ_BUCKET, everything, put]));
    let out = ramguard(&["diff", "--format", "json", "old.yaml", "new.yaml"], dir.path());
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stdout));
    let report = json(&out);
    assert_eq!(report["unknowns"]["possible"], false);
    assert!(report["undecided"].as_str().unwrap().contains("is not on the old side"), "{report}");
}

#[test]
fn a_terraform_variable_without_a_value_is_an_unknown_and_the_account_data_source_is_the_account() {
    let dir = tempfile::tempdir().unwrap();
    let module = |extra: &str| {
        format!(
            "variable \"bucket\" {{}}\ndata \"alicloud_account\" \"current\" {{}}\n\
             resource \"alicloud_ram_policy\" \"ops\" {{\n  policy_name = \"ops\"\n  policy_document = jsonencode({{\n    \
             Version = \"1\"\n    Statement = [\n      {{ Effect = \"Allow\", Action = \"oss:GetObject\", \
             Resource = \"acs:oss:*:*:${{var.bucket}}/*\" }},\n{extra}    ]\n  }})\n}}\n"
        )
    };
    for (name, extra) in [
        ("old", ""),
        (
            "deny",
            "      { Effect = \"Deny\", Action = \"oss:GetObject\", Resource = \"acs:oss:*:*:${var.bucket}/k*\" },\n",
        ),
        (
            "grant",
            "      { Effect = \"Allow\", Action = \"vpc:DeleteIpsecServer\", \
             Resource = \"acs:vpc:*:${data.alicloud_account.current.id}:vpnipsecserver/*\" },\n",
        ),
    ] {
        std::fs::create_dir(dir.path().join(name)).unwrap();
        write(&dir.path().join(name), "main.tf", &module(extra));
    }
    let out = ramguard(&["diff", "old", "deny"], dir.path());
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("unknown values, the same on both sides: {{var.bucket}}"), "{text}");
    let out = ramguard(&["diff", "old", "grant"], dir.path());
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("vpc:DeleteIpsecServer on acs:vpc:") && text.contains(":1234567890123456:vpnipsecserver/"));
    assert!(text.contains("{{data.alicloud_account.current.id}} read as the principal's account"), "{text}");
    // `--account` binds the data source in every command, not only in diff.
    let out = ramguard(&["extract", "--format", "json", "--account", "5550001112223334", "grant"], dir.path());
    let found = json(&out);
    assert_eq!(found[0]["unresolved"], serde_json::json!(["var.bucket"]), "{found}");
    assert!(found[0]["document"].to_string().contains(":5550001112223334:vpnipsecserver/*"), "{found}");
}

/// A small deterministic generator (xorshift), so the cases are the same on every run.
struct Cases(u64);

impl Cases {
    fn next(&mut self, below: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        usize::try_from(self.0 % below as u64).unwrap()
    }
}

#[test]
fn the_answer_with_unknowns_agrees_with_every_value_tried() {
    // Generated pairs of templates over one parameter. When the diff with
    // the placeholder unknown passes, no value given for it may show new
    // access; when it fails, a value that no pattern names must show it.
    const POOL: &[&str] = &[
        READ_BUCKET,
        READ_EXACT,
        DENY_AUDIT,
        DENY_SECRET,
        "        - Effect: Allow\n          Action: oss:GetObject\n          Resource: 'acs:oss:*:*:audit/*'\n",
        "        - Effect: Allow\n          Action: oss:GetObject\n          Resource: '*'\n",
        "        - Effect: Deny\n          Action: oss:GetObject\n          Resource: 'acs:oss:*:*:audit/*'\n",
        "        - Effect: Deny\n          NotAction: !Sub 'oss:${Bucket}'\n          Resource: '*'\n",
        "        - Effect: Allow\n          Action: oss:GetObject\n          Resource: '*'\n          Condition:\n            \
         StringEquals:\n              acs:SourceVpc: !Ref Bucket\n",
        "        - Effect: Deny\n          Action: !Sub 'oss:${Bucket}'\n          Resource: '*'\n",
    ];
    const VALUES: &[&str] = &["audit", "audit/x", "logs", "*", "GetObject", "zzfresh"];
    let dir = tempfile::tempdir().unwrap();
    let mut cases = Cases(0x9e37_79b9_7f4a_7c15);
    let mut seen = [0usize; 4];
    for case in 0..120 {
        let mut old: Vec<&str> = Vec::new();
        for _ in 0..1 + cases.next(3) {
            old.push(POOL[cases.next(POOL.len())]);
        }
        // The new side is the old one with a statement added, taken away or replaced.
        let mut new = old.clone();
        match cases.next(3) {
            0 => new.push(POOL[cases.next(POOL.len())]),
            1 if new.len() > 1 => {
                new.remove(cases.next(new.len()));
            }
            _ => {
                let at = cases.next(new.len());
                new[at] = POOL[cases.next(POOL.len())];
            }
        }
        write(dir.path(), "old.yaml", &template(&old));
        write(dir.path(), "new.yaml", &template(&new));
        let answer = ramguard(&["diff", "old.yaml", "new.yaml"], dir.path());
        let code = answer.status.code().unwrap();
        let shown = format!(
            "case {case}:\nold:\n{}\nnew:\n{}\n{}",
            old.concat(),
            new.concat(),
            String::from_utf8_lossy(&answer.stdout)
        );
        assert!([0, 2, 3].contains(&code), "{shown}{}", String::from_utf8_lossy(&answer.stderr));
        seen[usize::try_from(code).unwrap()] += 1;
        for value in VALUES {
            let bucket = format!("Bucket={value}");
            let with = ramguard(&["diff", "--parameters", &bucket, "old.yaml", "new.yaml"], dir.path());
            let with_code = with.status.code().unwrap();
            if code == 0 {
                assert_eq!(with_code, 0, "{shown}with {bucket}:\n{}", String::from_utf8_lossy(&with.stdout));
            }
            if code == 2 && *value == "zzfresh" {
                assert_eq!(with_code, 2, "{shown}with {bucket}:\n{}", String::from_utf8_lossy(&with.stdout));
            }
        }
    }
    // Every answer was given, so each rule above was exercised.
    assert!(seen[0] > 0 && seen[2] > 0 && seen[3] > 0, "{seen:?}");
}
