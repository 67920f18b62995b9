//! The `ramguard` binary, run as a user runs it: exit codes, located
//! messages, and JSON that other tools can read.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests unwrap and index what they just built"
)]

use std::path::PathBuf;
use std::process::{Command, Output};

fn ramguard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ramguard")).args(args).current_dir(env!("CARGO_MANIFEST_DIR")).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// A file under a fresh temporary directory, unique to the calling test.
fn temp_file(test: &str, name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ramguard-cli-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(o)))
}

/// `ramguard eval` with the network-operations policy and `args`.
fn ops_eval(args: &[&str]) -> Output {
    let mut all = vec!["eval", "--identity", "policies/network-ops-vpn.json"];
    all.extend_from_slice(args);
    ramguard(&all)
}

const VCO: &str = "acs:vpc:cn-hangzhou:1234567890123456:vpnconnection/vco-1";

#[test]
fn the_bundled_suite_passes_and_counts_every_case() {
    let suite: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string("policies/network-ops.suite.json").unwrap()).unwrap();
    let cases = suite["cases"].as_array().unwrap().len();
    assert!(cases >= 30);
    let o = ramguard(&["test", "policies/"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert_eq!(stdout(&o).lines().last().unwrap(), format!("{cases} passed, 0 failed"));

    let o = ramguard(&["test", "--format", "json", "policies/network-ops.suite.json"]);
    assert_eq!(o.status.code(), Some(0));
    let report = json(&o);
    assert_eq!(report["passed"], cases);
    assert_eq!(report["failed"], 0);
    let listed = report["cases"].as_array().unwrap();
    assert_eq!(listed.len(), cases);
    for (case, expected) in listed.iter().zip(suite["cases"].as_array().unwrap()) {
        assert_eq!(case["name"], expected["name"]);
        assert_eq!(case["passed"], true);
        let want = expected["expect"].as_str().unwrap();
        let got = case["actual"].as_str().unwrap();
        assert!(want == got || (want == "Deny" && got != "Allow"), "{want} vs {got}");
    }
}

#[test]
fn a_failing_case_exits_2_and_is_named() {
    let suite = temp_file(
        "failing",
        "bad.suite.json",
        r#"{"policies": {"p": {"Version": "1", "Statement": [{"Effect": "Allow", "Action": "vpc:Describe*", "Resource": "*"}]}},
            "cases": [
              {"name": "reads are allowed", "identity": ["p"], "action": "vpc:DescribeVpcs", "resource": "*", "expect": "Allow"},
              {"name": "deletes are allowed", "identity": ["p"], "action": "vpc:DeleteVpc", "resource": "*", "expect": "Allow"}]}"#,
    );
    let o = ramguard(&["test", suite.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let out = stdout(&o);
    assert!(out.contains("FAIL  deletes are allowed: expected Allow, got ImplicitDeny"), "{out}");
    assert!(out.contains("ok    reads are allowed"), "{out}");
    assert_eq!(out.lines().last().unwrap(), "1 passed, 1 failed");

    let o = ramguard(&["test", "--format", "json", suite.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let report = json(&o);
    assert_eq!(report["failed"], 1);
    assert_eq!(report["cases"][1]["actual"], "ImplicitDeny");
    assert_eq!(report["cases"][1]["passed"], false);
}

#[test]
fn an_invalid_policy_in_a_suite_is_an_error_located_in_the_suite_file() {
    let suite = temp_file(
        "invalid",
        "invalid.suite.json",
        "{\"policies\": {\"p\": {\"Version\": \"1\", \"Statement\": [\n  {\"Effect\": \"Alow\", \"Action\": \"*\", \"Resource\": \"*\"}]}},\n \"cases\": [{\"name\": \"x\", \"identity\": [\"p\"], \"action\": \"a:b\", \"resource\": \"*\", \"expect\": \"Allow\"}]}",
    );
    let o = ramguard(&["test", suite.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("invalid.suite.json:2:14: invalid effect `Alow`"), "{err}");
    assert!(err.contains("(at Statement[0].Effect)"), "{err}");

    let unknown = temp_file(
        "invalid",
        "unknown.suite.json",
        r#"{"policies": {}, "cases": [{"name": "x", "identity": ["nope"], "action": "a:b", "resource": "*", "expect": "Allow"}]}"#,
    );
    let o = ramguard(&["test", unknown.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("case `x`: no policy named `nope`"), "{}", stderr(&o));

    let typo = temp_file(
        "invalid",
        "typo.suite.json",
        r#"{"cases": [{"name": "x", "action": "a:b", "resource": "*", "expected": "Allow"}]}"#,
    );
    let o = ramguard(&["test", typo.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("typo.suite.json:1:"), "{}", stderr(&o));
}

#[test]
fn every_bundled_policy_validates() {
    let files: Vec<String> = std::fs::read_dir("policies")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json") && !p.to_string_lossy().ends_with(".suite.json"))
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    assert!(files.len() >= 8, "{files:?}");
    let mut args = vec!["validate"];
    args.extend(files.iter().map(String::as_str));
    let o = ramguard(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert_eq!(stdout(&o).lines().filter(|l| l.contains(": ok (")).count(), files.len());
}

#[test]
fn validate_reports_located_errors_with_help() {
    let file = temp_file(
        "validate",
        "broken.json",
        "{\n  \"Version\": \"1\",\n  \"Statement\": [{\n    \"Effect\": \"allow \",\n    \"Action\": \"vpc:DeleteVpnConnection\",\n    \"Resource\": \"*\"\n  }]\n}\n",
    );
    let path = file.to_str().unwrap();
    let o = ramguard(&["validate", path]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains(&format!(
            "{path}:4:15: invalid effect `allow `: expected `Allow` or `Deny` (at Statement[0].Effect)"
        )),
        "{out}"
    );
    assert!(out.contains("  help: did you mean `Allow`?"), "{out}");

    let o = ramguard(&["validate", "--format", "json", path, "policies/network-ops-vpn.json"]);
    assert_eq!(o.status.code(), Some(1));
    let report = json(&o);
    let broken = &report["files"][0];
    assert_eq!(broken["valid"], false);
    let error = &broken["errors"][0];
    assert_eq!(error["code"], "invalid-effect");
    assert_eq!(error["path"], "Statement[0].Effect");
    assert_eq!((error["line"].as_u64(), error["column"].as_u64()), (Some(4), Some(15)));
    assert_eq!(report["files"][1]["valid"], true);
    assert_eq!(report["files"][1]["kind"], "identity");
}

#[test]
fn validate_applies_the_kind_and_its_size_limit() {
    let mut text = String::from(
        r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "vpc:Describe*", "Resource": "*"}]}"#,
    );
    text.push_str(&" ".repeat(2_100));
    let file = temp_file("limits", "long.json", &text);
    let path = file.to_str().unwrap();
    assert_eq!(ramguard(&["validate", path]).status.code(), Some(0));
    let o = ramguard(&["validate", "--kind", "session", path]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("session policies may have at most 2048"), "{}", stdout(&o));
    assert_eq!(ramguard(&["validate", "--kind", "session", "--no-size-limit", path]).status.code(), Some(0));

    let trust = ramguard(&["validate", "--kind", "identity", "policies/netops-role-trust.json"]);
    assert_eq!(trust.status.code(), Some(1));
    assert!(stdout(&trust).contains("`Principal` is not allowed in identity policies"), "{}", stdout(&trust));
}

#[test]
fn eval_exit_codes_follow_the_decision() {
    let allow = ops_eval(&[
        "policies/deny-deletes-outside-office.json",
        "--action",
        "vpc:DeleteVpnConnection",
        "--resource",
        VCO,
        "--context",
        "acs:SourceIp=203.0.113.5",
        "--format",
        "json",
    ]);
    assert_eq!(allow.status.code(), Some(0), "{}{}", stdout(&allow), stderr(&allow));
    let e = json(&allow);
    assert_eq!(e["decision"], "Allow");
    assert_eq!(e["decided_by"], "identity");
    assert_eq!(e["matched"][0]["sid"], "DeleteVpnConnections");
    assert!(e.get("access_denied_detail").is_none());

    let deny = ops_eval(&[
        "policies/deny-deletes-outside-office.json",
        "--action",
        "vpc:DeleteVpnConnection",
        "--resource",
        VCO,
        "--context",
        "acs:SourceIp=198.51.100.5",
        "--format",
        "json",
    ]);
    assert_eq!(deny.status.code(), Some(2));
    let e = json(&deny);
    assert_eq!(e["decision"], "ExplicitDeny");
    let detail = &e["access_denied_detail"];
    assert_eq!(detail["NoPermissionType"], "ExplicitDeny");
    assert_eq!(detail["PolicyType"], "AccountLevelIdentityBasedPolicy");
    assert_eq!(detail["AuthAction"], "vpc:DeleteVpnConnection");
    let decoded = ramguard::decode_diagnostic_message(detail["EncodedDiagnosticMessage"].as_str().unwrap()).unwrap();
    assert_eq!(decoded.auth_resource, VCO);

    let implicit = ops_eval(&["--action", "vpc:CreateVpnConnection", "--resource", VCO, "--format", "json"]);
    assert_eq!(implicit.status.code(), Some(2));
    assert_eq!(json(&implicit)["access_denied_detail"]["NoPermissionType"], "ImplicitDeny");

    let human = ops_eval(&["--action", "vpc:CreateVpnConnection", "--resource", VCO]);
    assert_eq!(human.status.code(), Some(2));
    assert!(stdout(&human).starts_with("ImplicitDeny (decided by identity policies)"), "{}", stdout(&human));
}

#[test]
fn eval_takes_every_policy_kind() {
    let session = ramguard(&[
        "eval",
        "--principal",
        "acs:ram::1234567890123456:assumed-role/netops/alice",
        "--identity",
        "policies/network-ops-vpn.json",
        "--session",
        "policies/session-vpn-readonly.json",
        "--action",
        "vpc:DeleteVpnConnection",
        "--resource",
        VCO,
        "--format",
        "json",
    ]);
    assert_eq!(session.status.code(), Some(2));
    let e = json(&session);
    assert_eq!(e["decided_by"], "session");
    assert_eq!(e["access_denied_detail"]["PolicyType"], "SessionPolicy");
    assert_eq!(e["access_denied_detail"]["AuthPrincipalDisplayName"], "netops:alice");

    let control = ops_eval(&[
        "--control",
        "policies/change-window-control.json",
        "--action",
        "vpc:DeleteVpnConnection",
        "--resource",
        VCO,
        "--context",
        "acs:CurrentTime=2026-12-01T10:00:00+08:00",
        "--format",
        "json",
    ]);
    assert_eq!(control.status.code(), Some(2));
    assert_eq!(json(&control)["access_denied_detail"]["PolicyType"], "ControlPolicy");

    let trust = ramguard(&[
        "eval",
        "--principal",
        "ecs.aliyuncs.com",
        "--resource-policy",
        "policies/netops-role-trust.json",
        "--action",
        "sts:AssumeRole",
        "--resource",
        "acs:ram::1234567890123456:role/netops",
    ]);
    assert_eq!(trust.status.code(), Some(0), "{}", stdout(&trust));
}

#[test]
fn a_repeated_context_key_is_multi_valued() {
    let policy = temp_file(
        "multi",
        "tags.json",
        r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "ram:CreateRole", "Resource": "*",
            "Condition": {"ForAllValues:StringEquals": {"ram:TrustedPrincipalTypes": "Service"}}}]}"#,
    );
    let run = |values: &[&str]| {
        let mut args =
            vec!["eval", "--identity", policy.to_str().unwrap(), "--action", "ram:CreateRole", "--resource", "*"];
        let pairs: Vec<String> = values.iter().map(|v| format!("ram:TrustedPrincipalTypes={v}")).collect();
        for p in &pairs {
            args.push("--context");
            args.push(p);
        }
        ramguard(&args).status.code()
    };
    assert_eq!(run(&["Service"]), Some(0));
    assert_eq!(run(&["Service", "Service"]), Some(0));
    assert_eq!(run(&["Service", "RAM"]), Some(2));
}

#[test]
fn bad_input_exits_1_with_a_message() {
    let o = ops_eval(&["--principal", "alice", "--action", "a:b", "--resource", "*"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("--principal: `alice` is not a principal"), "{}", stderr(&o));

    let o = ops_eval(&["--action", "a:b", "--resource", "*", "--context", "novalue"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("expected KEY=VALUE"), "{}", stderr(&o));

    let o = ramguard(&["validate", "policies/does-not-exist.json"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("policies/does-not-exist.json: cannot read"), "{}", stderr(&o));

    let o = ramguard(&["test", "tests/corpus"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no `*.suite.json` files"), "{}", stderr(&o));

    // Usage errors are errors (1), not denials (2).
    assert_eq!(ramguard(&["frobnicate"]).status.code(), Some(1));
    assert_eq!(ramguard(&["eval", "--action", "a:b"]).status.code(), Some(1));
    assert_eq!(ramguard(&["validate", "--kind", "bucket", "x.json"]).status.code(), Some(1));
    let help = ramguard(&["--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(stdout(&help).contains("validate"));
}

#[test]
fn catalog_lists_and_shows_operations() {
    let o = ramguard(&["catalog"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 16, "{out}");
    assert!(out.lines().any(|l| l.starts_with("vpc:DeleteTrafficMirrorSession") && l.contains("trafficmirrorsession")));

    let o = ramguard(&["catalog", "--format", "json", "VPC:deleteipsecserver"]);
    assert_eq!(o.status.code(), Some(0));
    let op = json(&o);
    assert_eq!(op["action"], "vpc:DeleteIpsecServer");
    assert_eq!(op["dry_run"], "string");
    assert_eq!(op["resources"][0]["arn"], "acs:vpc:{#regionId}:{#accountId}:vpnipsecserver/{#IpsecServerId}");

    let o = ramguard(&["catalog", "vpc:DeleteVpnConection"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("did you mean `vpc:DeleteVpnConnection`?"), "{}", stderr(&o));
}

#[test]
fn eval_derives_the_request_from_an_operation() {
    let revoke = |instance_type: &str, instance: &str| {
        ramguard(&[
            "eval",
            "--identity",
            "policies/ecr-revoke-vbr-only.json",
            "--operation",
            "expressconnectrouter:RevokeInstanceFromExpressConnectRouter",
            "--param",
            "EcrId=ecr-mezk2idmsd0vx2",
            "--param",
            "EcrOwnerAliUid=1210123456123456",
            "--param",
            &format!("InstanceId={instance}"),
            "--param",
            &format!("InstanceType={instance_type}"),
            "--param",
            "InstanceRegionId=cn-hangzhou",
            "--format",
            "json",
        ])
    };
    let vbr = revoke("VBR", "vbr-j6cwxhgg0s5nuephp");
    assert_eq!(vbr.status.code(), Some(0), "{}{}", stdout(&vbr), stderr(&vbr));
    let e = json(&vbr);
    assert_eq!(
        e["derived"]["resources"][0],
        "acs:expressconnect:cn-hangzhou:1234567890123456:virtualborderrouter/vbr-j6cwxhgg0s5nuephp"
    );
    assert_eq!(e["derived"]["context"]["expressconnectrouter:instancetype"][0], "VBR");

    let vpc = revoke("VPC", "vpc-bp1example");
    assert_eq!(vpc.status.code(), Some(2));
    let e = json(&vpc);
    assert_eq!(e["derived"]["resources"][0], "acs:vpc:cn-hangzhou:1234567890123456:vpc/vpc-bp1example");
    assert_eq!(e["access_denied_detail"]["NoPermissionType"], "ImplicitDeny");

    let other_account = ops_eval(&[
        "--operation",
        "vpc:DeleteIpsecServer",
        "--param",
        "RegionId=cn-hangzhou",
        "--param",
        "IpsecServerId=iss-1",
        "--account",
        "9999999999999999",
    ]);
    assert_eq!(other_account.status.code(), Some(2));
    assert!(
        stdout(&other_account).contains("resources [\"acs:vpc:cn-hangzhou:9999999999999999:vpnipsecserver/iss-1\"]")
    );

    let missing = ops_eval(&["--operation", "vpc:DeleteIpsecServer", "--param", "RegionId=cn-hangzhou"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).contains("parameter `IpsecServerId` is required"), "{}", stderr(&missing));

    let unknown = ops_eval(&["--operation", "vpc:DeleteIpsecServer", "--param", "Nope=1"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(stderr(&unknown).contains("has no such parameter"), "{}", stderr(&unknown));

    let both = ramguard(&[
        "eval",
        "--operation",
        "vpc:DeleteIpsecServer",
        "--action",
        "vpc:DeleteIpsecServer",
        "--resource",
        "*",
    ]);
    assert_eq!(both.status.code(), Some(1));
}

/// A private copy of the bundled world, for `call` to change.
fn world_copy(test: &str) -> PathBuf {
    temp_file(test, "world.json", &std::fs::read_to_string("policies/worlds/network.json").unwrap())
}

fn call(world: &std::path::Path, args: &[&str]) -> Output {
    let mut all =
        vec!["call", "--world", world.to_str().unwrap(), "--principal", "acs:ram::1234567890123456:user/alice"];
    all.extend_from_slice(args);
    ramguard(&all)
}

#[test]
fn call_runs_each_vpc_delete_against_the_simulator_and_keeps_the_world() {
    let world = world_copy("call-vpc");
    let office = ["--identity", "policies/network-ops-vpn.json", "policies/deny-deletes-outside-office.json"];
    let run = |op: &str, params: &[&str], ip: &str| {
        let mut args: Vec<&str> = office.to_vec();
        args.extend(["--operation", op, "--source-ip", ip, "--format", "json"]);
        for p in params {
            args.extend(["--param", p]);
        }
        call(&world, &args)
    };
    let o =
        run("vpc:DeleteIpsecServer", &["RegionId=cn-hangzhou", "IpsecServerId=iss-bp1jougp8cfsbo8y9"], "203.0.113.7");
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert_eq!(json(&o)["status"], 200);
    let saved: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&world).unwrap()).unwrap();
    assert_eq!(saved["vpn_gateways"][0]["Status"], "updating");
    assert_eq!(saved["requests"], 1);

    let o = run(
        "vpc:DeleteVpnConnection",
        &["RegionId=cn-hangzhou", "VpnConnectionId=vco-bp1bbi27hojx80nck"],
        "203.0.113.7",
    );
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(json(&o)["body"]["Code"], "VpnGateway.Configuring");

    let o = run(
        "vpc:DeleteTrafficMirrorSession",
        &["RegionId=cn-hangzhou", "TrafficMirrorSessionId=tms-j6cla50buc44ap8tu"],
        "198.51.100.7",
    );
    assert_eq!(o.status.code(), Some(2));
    let e = json(&o);
    assert_eq!(e["status"], 403);
    assert_eq!(e["body"]["AccessDeniedDetail"]["NoPermissionType"], "ExplicitDeny");
    assert_eq!(e["performed"], false);

    let o = run("vpc:DeleteTrafficMirrorSession", &["RegionId=cn-hangzhou"], "203.0.113.7");
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(json(&o)["body"]["Code"], "MissingParameter");
}

#[test]
fn call_moves_the_clock_with_at() {
    let world = world_copy("call-at");
    let args = |conn: &'static str, at: &'static str| {
        vec![
            "--identity",
            "policies/network-ops-vpn.json",
            "--operation",
            "vpc:DeleteVpnConnection",
            "--param",
            "RegionId=cn-hangzhou",
            "--param",
            conn,
            "--at",
            at,
        ]
    };
    assert_eq!(
        call(&world, &args("VpnConnectionId=vco-bp1bbi27hojx80nck", "2026-12-02T21:50:00+08:00")).status.code(),
        Some(0)
    );
    let busy = call(&world, &args("VpnConnectionId=vco-bp15oes1py4i66rmd", "2026-12-02T21:50:02+08:00"));
    assert_eq!(busy.status.code(), Some(3));
    assert!(stdout(&busy).contains("VpnTask.CONFLICT"), "{}", stdout(&busy));
    let later = call(&world, &args("VpnConnectionId=vco-bp15oes1py4i66rmd", "2026-12-02T21:51:00+08:00"));
    assert_eq!(later.status.code(), Some(0), "{}", stdout(&later));
    let back = call(&world, &args("VpnConnectionId=vco-bp15oes1py4i66rmd", "2026-12-01T00:00:00Z"));
    assert_eq!(back.status.code(), Some(1));
    assert!(stderr(&back).contains("is before the world's clock"), "{}", stderr(&back));
}

#[test]
fn call_lets_a_vbr_revoke_through_and_stops_a_vpc_revoke_with_the_ecr_denial() {
    let world = world_copy("call-ecr");
    let revoke = |instance: &str, kind: &str| {
        let id = format!("InstanceId={instance}");
        let ty = format!("InstanceType={kind}");
        call(
            &world,
            &[
                "--identity",
                "policies/ecr-revoke-vbr-only.json",
                "--operation",
                "expressconnectrouter:RevokeInstanceFromExpressConnectRouter",
                "--param",
                "EcrId=ecr-mezk2idmsd0vx2",
                "--param",
                "EcrOwnerAliUid=1210123456123456",
                "--param",
                &id,
                "--param",
                &ty,
                "--param",
                "InstanceRegionId=cn-hangzhou",
                "--format",
                "json",
            ],
        )
    };
    let vbr = revoke("vbr-j6cwxhgg0s5nuephp", "VBR");
    assert_eq!(vbr.status.code(), Some(0), "{}{}", stdout(&vbr), stderr(&vbr));
    assert_eq!(json(&vbr)["body"]["Success"], true);
    let vpc = revoke("vpc-bp1example", "VPC");
    assert_eq!(vpc.status.code(), Some(2));
    let body = &json(&vpc)["body"];
    assert_eq!(body["Code"], "Forbidden.RAM");
    assert_eq!(body["HostId"], "expressconnectrouter.aliyuncs.com");
    let saved: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&world).unwrap()).unwrap();
    assert_eq!(saved["ecr_grants"].as_array().unwrap().len(), 1, "only the VBR grant was revoked");
    assert_eq!(saved["ecr_grants"][0]["InstanceType"], "VPC");
}

#[test]
fn call_and_poll_a_zstack_state_change() {
    let world = world_copy("call-zstack");
    let change = |event: &str, session: &str, at: &str| {
        let event = format!("stateEvent={event}");
        let auth = format!("Authorization=OAuth {session}");
        call(
            &world,
            &[
                "--identity",
                "policies/zstack-ipsec-operator.json",
                "--operation",
                "zstack:ChangeIPSecConnectionState",
                "--param",
                "uuid=76424bb25d3a37c9961fff1116bc06da",
                "--param",
                &event,
                "--param",
                &auth,
                "--at",
                at,
                "--format",
                "json",
            ],
        )
    };
    let started = change("enable", "b86c9016b4f24953a9edefb53ca0678c", "2026-12-02T13:50:00Z");
    assert_eq!(started.status.code(), Some(0), "{}{}", stdout(&started), stderr(&started));
    let location = json(&started)["body"]["location"].as_str().unwrap().to_owned();
    let w = world.to_str().unwrap();
    let running = ramguard(&["poll", "--world", w, &location]);
    assert_eq!(running.status.code(), Some(0));
    assert!(stdout(&running).starts_with("HTTP 202"), "{}", stdout(&running));
    let done = ramguard(&["poll", "--world", w, "--at", "2026-12-02T13:50:05Z", &location]);
    assert_eq!(done.status.code(), Some(0));
    assert!(stdout(&done).contains("\"state\": \"Enabled\""), "{}", stdout(&done));
    assert!(!stdout(&done).contains("example-psk"), "the key is never shown");

    let denied = change("disable", "b86c9016b4f24953a9edefb53ca0678c", "2026-12-02T13:51:00Z");
    assert_eq!(denied.status.code(), Some(2));
    assert_eq!(json(&denied)["body"]["error"]["code"], "SYS.1006");
    let bad_session = change("enable", "nope", "2026-12-02T13:52:00Z");
    assert_eq!(bad_session.status.code(), Some(3));
    assert_eq!(json(&bad_session)["body"]["error"]["code"], "ID.1001");
    let gone = ramguard(&["poll", "--world", w, "--at", "2026-12-02T15:00:00Z", &location]);
    assert_eq!(gone.status.code(), Some(3));
    assert!(stdout(&gone).starts_with("HTTP 404"));
}

#[test]
fn client_tokens_last_across_calls_in_the_world_file() {
    let world = world_copy("call-token");
    let delete = |id: &str| {
        let param = format!("IpsecServerId={id}");
        call(
            &world,
            &[
                "--identity",
                "policies/network-ops-vpn.json",
                "--operation",
                "vpc:DeleteIpsecServer",
                "--param",
                "RegionId=cn-hangzhou",
                "--param",
                &param,
                "--param",
                "ClientToken=02fb3da4-130e-11e9-8e44-00163e",
                "--format",
                "json",
            ],
        )
    };
    let first = delete("iss-bp1jougp8cfsbo8y9");
    assert_eq!(first.status.code(), Some(0), "{}{}", stdout(&first), stderr(&first));
    let again = delete("iss-bp1jougp8cfsbo8y9");
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(json(&again)["body"]["RequestId"], json(&first)["body"]["RequestId"]);
    assert_eq!(json(&again)["performed"], false);
    let other = delete("iss-other");
    assert_eq!(other.status.code(), Some(3));
    assert_eq!(json(&other)["body"]["Code"], "IdempotentParameterMismatch");
}
