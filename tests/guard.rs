//! The guard's order (validate, authorize, `DryRun`, `ClientToken`, call)
//! and the service envelopes of its answers. The backend here only records
//! what reaches it and succeeds, so every assertion is about the guard.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests unwrap and index what they just built")]

use std::collections::BTreeMap;

use ramguard::catalog::{Caller, Catalog, Operation};
use ramguard::decision::decode_diagnostic_message;
use ramguard::guard::{ApiResponse, Backend, CLIENT_TOKEN_TTL_SECONDS, Guard, GuardError};
use ramguard::{CompiledPolicySet, Policy, PolicyKind, PolicySetBuilder};
use serde_json::json;

#[derive(Default)]
struct Recorder {
    clock: i64,
    next_id: u32,
    performed: Vec<(String, BTreeMap<String, String>)>,
}

impl Backend for Recorder {
    fn now(&self) -> i64 {
        self.clock
    }
    fn request_id(&mut self) -> String {
        self.next_id += 1;
        format!("REQ-{}", self.next_id)
    }
    fn perform(&mut self, op: &Operation, params: &BTreeMap<String, String>, request_id: &str) -> ApiResponse {
        self.performed.push((op.action.clone(), params.clone()));
        ApiResponse { status: 200, body: json!({"RequestId": request_id}) }
    }
}

const POLICY: &str = r#"{"Version": "1", "Statement": [
    {"Effect": "Allow", "Action": ["vpc:DeleteIpsecServer", "vpc:DeleteVpnConnection", "vpc:DeleteTrafficMirrorSession"],
     "Resource": "acs:vpc:cn-hangzhou:1234567890123456:*"},
    {"Effect": "Deny", "Action": "vpc:Delete*", "Resource": "*",
     "Condition": {"NotIpAddress": {"acs:SourceIp": "203.0.113.0/24"}}},
    {"Effect": "Allow", "Action": "expressconnectrouter:RevokeInstanceFromExpressConnectRouter", "Resource": "*",
     "Condition": {"StringEquals": {"InstanceType": "VBR"}}},
    {"Effect": "Allow", "Action": "zstack:ChangeIPSecConnectionState", "Resource": "*",
     "Condition": {"StringEquals": {"zstack:StateEvent": "enable"}}},
    {"Effect": "Deny", "Action": "zstack:ChangeIPSecConnectionState", "Resource": "*",
     "Condition": {"StringEquals": {"zstack:StateEvent": "disable"}, "IpAddress": {"acs:SourceIp": "198.51.100.0/24"}}}]}"#;

fn guard() -> Guard {
    let mut builder = PolicySetBuilder::new();
    builder.add(Policy::parse("ops", POLICY, PolicyKind::Identity).unwrap());
    let policies: CompiledPolicySet = builder.build().unwrap();
    Guard::new(policies, Catalog::builtin().unwrap().clone())
}

fn caller(ip: &str) -> Caller {
    let mut c = Caller::new("acs:ram::1234567890123456:user/alice".parse().unwrap());
    c.source_ip = Some(ip.to_owned());
    c
}

fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

const OFFICE: &str = "203.0.113.7";

#[test]
fn an_allowed_call_reaches_the_backend() {
    let (mut g, mut b) = (guard(), Recorder::default());
    let out = g
        .call(
            &mut b,
            "vpc:DeleteIpsecServer",
            &params(&[("RegionId", "cn-hangzhou"), ("IpsecServerId", "iss-1")]),
            &caller(OFFICE),
        )
        .unwrap();
    assert!(out.performed);
    assert_eq!(out.response.status, 200);
    assert_eq!(out.response.body["RequestId"], "REQ-1");
    assert_eq!(b.performed.len(), 1);
}

#[test]
fn a_denied_vpc_call_answers_forbidden_with_access_denied_detail() {
    let (mut g, mut b) = (guard(), Recorder::default());
    let p = params(&[("RegionId", "cn-hangzhou"), ("VpnConnectionId", "vco-1")]);
    let out = g.call(&mut b, "vpc:DeleteVpnConnection", &p, &caller("198.51.100.9")).unwrap();
    assert!(!out.performed);
    assert!(b.performed.is_empty());
    assert_eq!(out.response.status, 403);
    let body = &out.response.body;
    assert_eq!(body["Code"], "Forbidden");
    assert_eq!(body["Message"], "User not authorized to operate on the specified resource.");
    assert_eq!(body["HostId"], "vpc.aliyuncs.com");
    assert_eq!(body["RequestId"], "REQ-1");
    assert!(body["Recommend"].as_str().unwrap().contains("Forbidden"));
    let detail = &body["AccessDeniedDetail"];
    assert_eq!(detail["AuthAction"], "vpc:DeleteVpnConnection");
    assert_eq!(detail["NoPermissionType"], "ExplicitDeny");
    assert_eq!(detail["AuthPrincipalDisplayName"], "alice");
    let decoded = decode_diagnostic_message(detail["EncodedDiagnosticMessage"].as_str().unwrap()).unwrap();
    assert_eq!(decoded.auth_resource, "acs:vpc:cn-hangzhou:1234567890123456:vpnconnection/vco-1");
    assert_eq!(out.explanation.unwrap().matched.len(), 2);

    let other_region = params(&[("RegionId", "cn-beijing"), ("VpnConnectionId", "vco-1")]);
    let out = g.call(&mut b, "vpc:DeleteVpnConnection", &other_region, &caller(OFFICE)).unwrap();
    assert_eq!(out.response.body["AccessDeniedDetail"]["NoPermissionType"], "ImplicitDeny");
}

#[test]
fn the_ecr_revoke_lets_a_vbr_through_and_stops_a_vpc_with_its_own_denial() {
    let (mut g, mut b) = (guard(), Recorder::default());
    let base = [("EcrId", "ecr-1"), ("EcrOwnerAliUid", "1210123456123456"), ("InstanceRegionId", "cn-hangzhou")];
    let vbr = params(&[base[0], base[1], base[2], ("InstanceId", "vbr-1"), ("InstanceType", "VBR")]);
    let out =
        g.call(&mut b, "expressconnectrouter:RevokeInstanceFromExpressConnectRouter", &vbr, &caller(OFFICE)).unwrap();
    assert!(out.performed, "{:?}", out.response);
    let vpc = params(&[base[0], base[1], base[2], ("InstanceId", "vpc-1"), ("InstanceType", "VPC")]);
    let out =
        g.call(&mut b, "expressconnectrouter:RevokeInstanceFromExpressConnectRouter", &vpc, &caller(OFFICE)).unwrap();
    assert!(!out.performed);
    assert_eq!(out.response.status, 403);
    assert_eq!(out.response.body["Code"], "Forbidden.RAM");
    assert_eq!(out.response.body["HostId"], "expressconnectrouter.aliyuncs.com");
    assert_eq!(out.response.body["AccessDeniedDetail"]["NoPermissionType"], "ImplicitDeny");
    assert_eq!(b.performed.len(), 1);
}

#[test]
fn parameters_are_validated_before_authorization_with_each_services_codes() {
    let (mut g, mut b) = (guard(), Recorder::default());
    // Even a caller every policy denies learns about a missing parameter first.
    let out = g
        .call(&mut b, "vpc:DeleteIpsecServer", &params(&[("RegionId", "cn-hangzhou")]), &caller("198.51.100.9"))
        .unwrap();
    assert_eq!((out.response.status, out.response.code()), (400, Some("MissingParameter")));
    assert!(out.response.body["Message"].as_str().unwrap().contains("\"IpsecServerId\""));
    assert!(out.explanation.is_none());

    let ecr = "expressconnectrouter:RevokeInstanceFromExpressConnectRouter";
    let missing = params(&[
        ("EcrId", "ecr-1"),
        ("EcrOwnerAliUid", "1"),
        ("InstanceType", "VBR"),
        ("InstanceRegionId", "cn-hangzhou"),
    ]);
    let out = g.call(&mut b, ecr, &missing, &caller(OFFICE)).unwrap();
    assert_eq!(out.response.code(), Some("MissingParam.%s"));
    assert_eq!(out.response.body["DynamicCode"], "MissingParam.InstanceId");
    assert_eq!(out.response.body["DynamicMessage"], "The param of InstanceId is missing.");

    let mut odd = missing.clone();
    odd.insert("InstanceId".into(), "cen-1".into());
    odd.insert("InstanceType".into(), "CEN".into());
    let out = g.call(&mut b, ecr, &odd, &caller(OFFICE)).unwrap();
    assert_eq!(out.response.body["DynamicCode"], "IllegalParam.InstanceType");

    let mut uid = odd.clone();
    uid.insert("InstanceType".into(), "VBR".into());
    uid.insert("EcrOwnerAliUid".into(), "twelve".into());
    let out = g.call(&mut b, ecr, &uid, &caller(OFFICE)).unwrap();
    assert_eq!(out.response.body["DynamicCode"], "IllegalParamFormat.EcrOwnerAliUid");

    let bad_dry_run = params(&[("RegionId", "cn-hangzhou"), ("TrafficMirrorSessionId", "tms-1"), ("DryRun", "maybe")]);
    let out = g.call(&mut b, "vpc:DeleteTrafficMirrorSession", &bad_dry_run, &caller(OFFICE)).unwrap();
    assert_eq!((out.response.status, out.response.code()), (400, Some("InvalidParameter")));

    let long_token = "x".repeat(65);
    let token = params(&[("RegionId", "cn-hangzhou"), ("IpsecServerId", "iss-1"), ("ClientToken", &long_token)]);
    let out = g.call(&mut b, "vpc:DeleteIpsecServer", &token, &caller(OFFICE)).unwrap();
    assert_eq!(out.response.code(), Some("InvalidParameter"));

    let zstack = g
        .call(
            &mut b,
            "zstack:ChangeIPSecConnectionState",
            &params(&[("uuid", "u1"), ("stateEvent", "toggle")]),
            &caller(OFFICE),
        )
        .unwrap();
    assert_eq!(zstack.response.code(), Some("SYS.1007"));
    assert!(zstack.response.body["error"]["details"].as_str().unwrap().contains("[enable, disable], but toggle found"));
    assert!(b.performed.is_empty());
}

#[test]
fn dry_run_answers_only_after_authorization() {
    let (mut g, mut b) = (guard(), Recorder::default());
    let p = params(&[("RegionId", "cn-hangzhou"), ("IpsecServerId", "iss-1"), ("DryRun", "true")]);
    let allowed = g.call(&mut b, "vpc:DeleteIpsecServer", &p, &caller(OFFICE)).unwrap();
    assert_eq!((allowed.response.status, allowed.response.code()), (400, Some("DryRunOperation")));
    assert_eq!(allowed.response.body["Message"], "Request validation has been passed with DryRun flag set.");
    let denied = g.call(&mut b, "vpc:DeleteIpsecServer", &p, &caller("198.51.100.9")).unwrap();
    assert_eq!(denied.response.code(), Some("Forbidden"));
    // A boolean DryRun arrives as `False` from some SDKs.
    let sdk = params(&[("RegionId", "cn-hangzhou"), ("TrafficMirrorSessionId", "tms-1"), ("DryRun", "False")]);
    assert!(g.call(&mut b, "vpc:DeleteTrafficMirrorSession", &sdk, &caller(OFFICE)).unwrap().performed);
    // DeleteVpnConnection has no DryRun parameter: the flag is not honoured.
    let no_dry_run = params(&[("RegionId", "cn-hangzhou"), ("VpnConnectionId", "vco-1"), ("DryRun", "true")]);
    assert!(g.call(&mut b, "vpc:DeleteVpnConnection", &no_dry_run, &caller(OFFICE)).unwrap().performed);
    assert_eq!(b.performed.len(), 2);
}

#[test]
fn client_tokens_make_calls_idempotent_for_a_day() {
    let (mut g, mut b) = (guard(), Recorder::default());
    let p = params(&[("RegionId", "cn-hangzhou"), ("IpsecServerId", "iss-1"), ("ClientToken", "02fb3da4-130e")]);
    let first = g.call(&mut b, "vpc:DeleteIpsecServer", &p, &caller(OFFICE)).unwrap();
    let again = g.call(&mut b, "vpc:DeleteIpsecServer", &p, &caller(OFFICE)).unwrap();
    assert_eq!(again.response, first.response);
    assert!(!again.performed);
    assert_eq!(b.performed.len(), 1);

    let mut changed = p.clone();
    changed.insert("IpsecServerId".into(), "iss-2".into());
    let mismatch = g.call(&mut b, "vpc:DeleteIpsecServer", &changed, &caller(OFFICE)).unwrap();
    assert_eq!((mismatch.response.status, mismatch.response.code()), (400, Some("IdempotentParameterMismatch")));

    b.clock += CLIENT_TOKEN_TTL_SECONDS;
    let later = g.call(&mut b, "vpc:DeleteIpsecServer", &changed, &caller(OFFICE)).unwrap();
    assert!(later.performed, "a token is forgotten after a day");

    let no_token = params(&[("RegionId", "cn-hangzhou"), ("IpsecServerId", "iss-1")]);
    g.call(&mut b, "vpc:DeleteIpsecServer", &no_token, &caller(OFFICE)).unwrap();
    g.call(&mut b, "vpc:DeleteIpsecServer", &no_token, &caller(OFFICE)).unwrap();
    assert_eq!(b.performed.len(), 4, "without a token nothing is de-duplicated");
}

#[test]
fn zstack_denials_use_its_error_codes() {
    let (mut g, mut b) = (guard(), Recorder::default());
    let disable = params(&[("uuid", "76424bb2"), ("stateEvent", "disable")]);
    let implicit = g.call(&mut b, "zstack:ChangeIPSecConnectionState", &disable, &caller(OFFICE)).unwrap();
    assert_eq!(implicit.response.code(), Some("SYS.1006"));
    assert!(implicit.response.body.get("AccessDeniedDetail").is_none());
    let explicit = g.call(&mut b, "zstack:ChangeIPSecConnectionState", &disable, &caller("198.51.100.1")).unwrap();
    assert_eq!(explicit.response.code(), Some("ID.1002"));
    let enable = params(&[("uuid", "76424bb2"), ("stateEvent", "enable")]);
    assert!(g.call(&mut b, "zstack:ChangeIPSecConnectionState", &enable, &caller(OFFICE)).unwrap().performed);
}

#[test]
fn unknown_operations_are_refused_with_a_suggestion() {
    let (mut g, mut b) = (guard(), Recorder::default());
    let err = g.call(&mut b, "vpc:DeleteIpsecSever", &BTreeMap::new(), &caller(OFFICE)).unwrap_err();
    assert_eq!(err.to_string(), "`vpc:DeleteIpsecSever` is not in the catalog: did you mean `vpc:DeleteIpsecServer`?");
    assert!(matches!(err, GuardError::UnknownOperation { .. }));
}
