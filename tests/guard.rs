//! The guard's order (validate, authorize, `DryRun`, `ClientToken`, call)
//! and the service envelopes of its answers. The backend here only records
//! what reaches it and succeeds, so every assertion is about the guard.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests unwrap and index what they just built")]

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

use ramguard::catalog::{Caller, Catalog, Operation};
use ramguard::decision::decode_diagnostic_message;
use ramguard::guard::{
    ApiResponse, Backend, CLIENT_TOKEN_TTL_SECONDS, Claim, ClientTokenStore, Guard, GuardError, Settlement, TokenKey,
};
use ramguard::{CompiledPolicySet, Policy, PolicyKind, PolicySetBuilder};
use serde_json::json;

#[derive(Default)]
struct Recorder {
    clock: i64,
    next_id: AtomicU32,
    performed: Mutex<Vec<(String, BTreeMap<String, String>)>>,
}

impl Recorder {
    fn performed(&self) -> Vec<(String, BTreeMap<String, String>)> {
        self.performed.lock().unwrap().clone()
    }
}

impl Backend for Recorder {
    fn now(&self) -> i64 {
        self.clock
    }
    fn request_id(&self) -> String {
        format!("REQ-{}", self.next_id.fetch_add(1, Ordering::SeqCst) + 1)
    }
    async fn perform(&self, op: &Operation, params: &BTreeMap<String, String>, request_id: &str) -> ApiResponse {
        self.performed.lock().unwrap().push((op.action.clone(), params.clone()));
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
    let (g, b) = (guard(), Recorder::default());
    let out = pollster::block_on(g.call(
        &b,
        "vpc:DeleteIpsecServer",
        &params(&[("RegionId", "cn-hangzhou"), ("IpsecServerId", "iss-1")]),
        &caller(OFFICE),
    ))
    .unwrap();
    assert!(out.performed);
    assert_eq!(out.response.status, 200);
    assert_eq!(out.response.body["RequestId"], "REQ-1");
    assert_eq!(b.performed().len(), 1);
}

#[test]
fn a_denied_vpc_call_answers_forbidden_with_access_denied_detail() {
    let (g, b) = (guard(), Recorder::default());
    let p = params(&[("RegionId", "cn-hangzhou"), ("VpnConnectionId", "vco-1")]);
    let out = pollster::block_on(g.call(&b, "vpc:DeleteVpnConnection", &p, &caller("198.51.100.9"))).unwrap();
    assert!(!out.performed);
    assert!(b.performed().is_empty());
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
    let out = pollster::block_on(g.call(&b, "vpc:DeleteVpnConnection", &other_region, &caller(OFFICE))).unwrap();
    assert_eq!(out.response.body["AccessDeniedDetail"]["NoPermissionType"], "ImplicitDeny");
}

#[test]
fn the_ecr_revoke_lets_a_vbr_through_and_stops_a_vpc_with_its_own_denial() {
    let (g, b) = (guard(), Recorder::default());
    let base = [("EcrId", "ecr-1"), ("EcrOwnerAliUid", "1210123456123456"), ("InstanceRegionId", "cn-hangzhou")];
    let vbr = params(&[base[0], base[1], base[2], ("InstanceId", "vbr-1"), ("InstanceType", "VBR")]);
    let out = pollster::block_on(g.call(
        &b,
        "expressconnectrouter:RevokeInstanceFromExpressConnectRouter",
        &vbr,
        &caller(OFFICE),
    ))
    .unwrap();
    assert!(out.performed, "{:?}", out.response);
    let vpc = params(&[base[0], base[1], base[2], ("InstanceId", "vpc-1"), ("InstanceType", "VPC")]);
    let out = pollster::block_on(g.call(
        &b,
        "expressconnectrouter:RevokeInstanceFromExpressConnectRouter",
        &vpc,
        &caller(OFFICE),
    ))
    .unwrap();
    assert!(!out.performed);
    assert_eq!(out.response.status, 403);
    assert_eq!(out.response.body["Code"], "Forbidden.RAM");
    assert_eq!(out.response.body["HostId"], "expressconnectrouter.aliyuncs.com");
    assert_eq!(out.response.body["AccessDeniedDetail"]["NoPermissionType"], "ImplicitDeny");
    assert_eq!(b.performed().len(), 1);
}

#[test]
fn parameters_are_validated_before_authorization_with_each_services_codes() {
    let (g, b) = (guard(), Recorder::default());
    // Even a caller every policy denies learns about a missing parameter first.
    let out = pollster::block_on(g.call(
        &b,
        "vpc:DeleteIpsecServer",
        &params(&[("RegionId", "cn-hangzhou")]),
        &caller("198.51.100.9"),
    ))
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
    let out = pollster::block_on(g.call(&b, ecr, &missing, &caller(OFFICE))).unwrap();
    assert_eq!(out.response.code(), Some("MissingParam.%s"));
    assert_eq!(out.response.body["DynamicCode"], "MissingParam.InstanceId");
    assert_eq!(out.response.body["DynamicMessage"], "The param of InstanceId is missing.");

    let mut odd = missing.clone();
    odd.insert("InstanceId".into(), "cen-1".into());
    odd.insert("InstanceType".into(), "CEN".into());
    let out = pollster::block_on(g.call(&b, ecr, &odd, &caller(OFFICE))).unwrap();
    assert_eq!(out.response.body["DynamicCode"], "IllegalParam.InstanceType");

    let mut uid = odd.clone();
    uid.insert("InstanceType".into(), "VBR".into());
    uid.insert("EcrOwnerAliUid".into(), "twelve".into());
    let out = pollster::block_on(g.call(&b, ecr, &uid, &caller(OFFICE))).unwrap();
    assert_eq!(out.response.body["DynamicCode"], "IllegalParamFormat.EcrOwnerAliUid");

    let bad_dry_run = params(&[("RegionId", "cn-hangzhou"), ("TrafficMirrorSessionId", "tms-1"), ("DryRun", "maybe")]);
    let out = pollster::block_on(g.call(&b, "vpc:DeleteTrafficMirrorSession", &bad_dry_run, &caller(OFFICE))).unwrap();
    assert_eq!((out.response.status, out.response.code()), (400, Some("InvalidParameter")));

    let long_token = "x".repeat(65);
    let token = params(&[("RegionId", "cn-hangzhou"), ("IpsecServerId", "iss-1"), ("ClientToken", &long_token)]);
    let out = pollster::block_on(g.call(&b, "vpc:DeleteIpsecServer", &token, &caller(OFFICE))).unwrap();
    assert_eq!(out.response.code(), Some("InvalidParameter"));

    let zstack = pollster::block_on(g.call(
        &b,
        "zstack:ChangeIPSecConnectionState",
        &params(&[("uuid", "u1"), ("stateEvent", "toggle")]),
        &caller(OFFICE),
    ))
    .unwrap();
    assert_eq!(zstack.response.code(), Some("SYS.1007"));
    assert!(zstack.response.body["error"]["details"].as_str().unwrap().contains("[enable, disable], but toggle found"));
    assert!(b.performed().is_empty());
}

#[test]
fn a_required_list_may_arrive_as_its_elements() {
    let mut builder = PolicySetBuilder::new();
    let all = r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "vpc:*", "Resource": "*"}]}"#;
    builder.add(Policy::parse("all", all, PolicyKind::Identity).unwrap());
    let (g, b) = (Guard::new(builder.build().unwrap(), Catalog::builtin().unwrap().clone()), Recorder::default());
    let create = |sources: &[(&'static str, &'static str)]| {
        let mut p = params(&[
            ("RegionId", "cn-hangzhou"),
            ("TrafficMirrorTargetId", "eni-target"),
            ("TrafficMirrorTargetType", "NetworkInterface"),
            ("TrafficMirrorFilterId", "tmf-1"),
            ("Priority", "1"),
        ]);
        p.extend(params(sources));
        pollster::block_on(g.call(&b, "vpc:CreateTrafficMirrorSession", &p, &caller(OFFICE))).unwrap()
    };
    // As the SDKs flatten a list: `TrafficMirrorSourceIds.1`, `.2`.
    let out = create(&[("TrafficMirrorSourceIds.1", "eni-a"), ("TrafficMirrorSourceIds.2", "eni-b")]);
    assert!(out.performed && out.response.is_success(), "{:?}", out.response);
    assert_eq!(create(&[("TrafficMirrorSourceIds", "eni-a")]).response.status, 200);
    for absent in [&[][..], &[("TrafficMirrorSourceIds.", "eni-a")], &[("TrafficMirrorSourceIdsX.1", "eni-a")]] {
        let out = create(absent);
        assert_eq!((out.response.status, out.response.code()), (400, Some("MissingParameter")), "{absent:?}");
        assert!(out.response.body["Message"].as_str().unwrap().contains("\"TrafficMirrorSourceIds\""));
    }
    assert_eq!(b.performed().len(), 2);
}

#[test]
fn dry_run_answers_only_after_authorization() {
    let (g, b) = (guard(), Recorder::default());
    let p = params(&[("RegionId", "cn-hangzhou"), ("IpsecServerId", "iss-1"), ("DryRun", "true")]);
    let allowed = pollster::block_on(g.call(&b, "vpc:DeleteIpsecServer", &p, &caller(OFFICE))).unwrap();
    assert_eq!((allowed.response.status, allowed.response.code()), (400, Some("DryRunOperation")));
    assert_eq!(allowed.response.body["Message"], "Request validation has been passed with DryRun flag set.");
    let denied = pollster::block_on(g.call(&b, "vpc:DeleteIpsecServer", &p, &caller("198.51.100.9"))).unwrap();
    assert_eq!(denied.response.code(), Some("Forbidden"));
    // A boolean DryRun arrives as `False` from some SDKs.
    let sdk = params(&[("RegionId", "cn-hangzhou"), ("TrafficMirrorSessionId", "tms-1"), ("DryRun", "False")]);
    assert!(pollster::block_on(g.call(&b, "vpc:DeleteTrafficMirrorSession", &sdk, &caller(OFFICE))).unwrap().performed);
    // DeleteVpnConnection has no DryRun parameter: the flag is not honoured.
    let no_dry_run = params(&[("RegionId", "cn-hangzhou"), ("VpnConnectionId", "vco-1"), ("DryRun", "true")]);
    assert!(pollster::block_on(g.call(&b, "vpc:DeleteVpnConnection", &no_dry_run, &caller(OFFICE))).unwrap().performed);
    assert_eq!(b.performed().len(), 2);
}

#[test]
fn client_tokens_make_calls_idempotent_for_a_day() {
    let (g, mut b) = (guard(), Recorder::default());
    let p = params(&[("RegionId", "cn-hangzhou"), ("IpsecServerId", "iss-1"), ("ClientToken", "02fb3da4-130e")]);
    let first = pollster::block_on(g.call(&b, "vpc:DeleteIpsecServer", &p, &caller(OFFICE))).unwrap();
    let again = pollster::block_on(g.call(&b, "vpc:DeleteIpsecServer", &p, &caller(OFFICE))).unwrap();
    assert_eq!(again.response, first.response);
    assert!(!again.performed);
    assert_eq!(b.performed().len(), 1);

    let mut changed = p.clone();
    changed.insert("IpsecServerId".into(), "iss-2".into());
    let mismatch = pollster::block_on(g.call(&b, "vpc:DeleteIpsecServer", &changed, &caller(OFFICE))).unwrap();
    assert_eq!((mismatch.response.status, mismatch.response.code()), (400, Some("IdempotentParameterMismatch")));

    b.clock += CLIENT_TOKEN_TTL_SECONDS;
    let later = pollster::block_on(g.call(&b, "vpc:DeleteIpsecServer", &changed, &caller(OFFICE))).unwrap();
    assert!(later.performed, "a token is forgotten after a day");

    let no_token = params(&[("RegionId", "cn-hangzhou"), ("IpsecServerId", "iss-1")]);
    pollster::block_on(g.call(&b, "vpc:DeleteIpsecServer", &no_token, &caller(OFFICE))).unwrap();
    pollster::block_on(g.call(&b, "vpc:DeleteIpsecServer", &no_token, &caller(OFFICE))).unwrap();
    assert_eq!(b.performed().len(), 4, "without a token nothing is de-duplicated");
}

/// A token store kept elsewhere that cannot be reached.
struct Unreachable;

impl ClientTokenStore for Unreachable {
    async fn claim(&self, _: &TokenKey, _: &BTreeMap<String, String>, _: i64) -> Claim {
        Claim::Unavailable
    }
    fn settle(&self, _: &TokenKey, _: Settlement) {}
}

#[test]
fn a_token_store_that_cannot_answer_refuses_the_call_and_performs_nothing() {
    let mut builder = PolicySetBuilder::new();
    builder.add(Policy::parse("ops", POLICY, PolicyKind::Identity).unwrap());
    let g = Guard::with_tokens(builder.build().unwrap(), Catalog::builtin().unwrap().clone(), Unreachable);
    let b = Recorder::default();
    let p = params(&[("RegionId", "cn-hangzhou"), ("IpsecServerId", "iss-1"), ("ClientToken", "02fb3da4-130e")]);
    let out = pollster::block_on(g.call(&b, "vpc:DeleteIpsecServer", &p, &caller(OFFICE))).unwrap();
    assert!(!out.performed);
    assert_eq!((out.response.status, out.response.code()), (503, Some("ServiceUnavailable")));
    let message = out.response.body["Message"].as_str().unwrap();
    assert!(message.contains("client token could not be checked"), "{message}");
    assert!(b.performed().is_empty());

    // A call without a token does not need the store.
    let no_token = params(&[("RegionId", "cn-hangzhou"), ("IpsecServerId", "iss-1")]);
    assert!(pollster::block_on(g.call(&b, "vpc:DeleteIpsecServer", &no_token, &caller(OFFICE))).unwrap().performed);
}

#[test]
fn zstack_denials_use_its_error_codes() {
    let (g, b) = (guard(), Recorder::default());
    let disable = params(&[("uuid", "76424bb2"), ("stateEvent", "disable")]);
    let implicit =
        pollster::block_on(g.call(&b, "zstack:ChangeIPSecConnectionState", &disable, &caller(OFFICE))).unwrap();
    assert_eq!(implicit.response.code(), Some("SYS.1006"));
    assert!(implicit.response.body.get("AccessDeniedDetail").is_none());
    let explicit =
        pollster::block_on(g.call(&b, "zstack:ChangeIPSecConnectionState", &disable, &caller("198.51.100.1"))).unwrap();
    assert_eq!(explicit.response.code(), Some("ID.1002"));
    let enable = params(&[("uuid", "76424bb2"), ("stateEvent", "enable")]);
    assert!(
        pollster::block_on(g.call(&b, "zstack:ChangeIPSecConnectionState", &enable, &caller(OFFICE)))
            .unwrap()
            .performed
    );
}

#[test]
fn unknown_operations_are_refused_with_a_suggestion() {
    let (g, b) = (guard(), Recorder::default());
    let err = pollster::block_on(g.call(&b, "vpc:DeleteIpsecSever", &BTreeMap::new(), &caller(OFFICE))).unwrap_err();
    assert_eq!(err.to_string(), "`vpc:DeleteIpsecSever` is not in the catalog: did you mean `vpc:DeleteIpsecServer`?");
    assert!(matches!(err, GuardError::UnknownOperation { .. }));
}

/// A backend that takes its time (and, for `IpsecServerId` `iss-hang`, never
/// answers), counting what it performs.
#[derive(Default)]
struct Slow {
    performed: AtomicU32,
    next_id: AtomicU32,
}

impl Backend for Slow {
    fn now(&self) -> i64 {
        0
    }
    fn request_id(&self) -> String {
        format!("REQ-{}", self.next_id.fetch_add(1, Ordering::SeqCst) + 1)
    }
    async fn perform(&self, _: &Operation, params: &BTreeMap<String, String>, request_id: &str) -> ApiResponse {
        self.performed.fetch_add(1, Ordering::SeqCst);
        if params.get("IpsecServerId").is_some_and(|id| id == "iss-hang") {
            std::future::pending::<()>().await;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
        ApiResponse { status: 200, body: json!({"RequestId": request_id}) }
    }
}

fn assert_send_sync<T: Send + Sync>(_: &T) {}
fn assert_send<T: Send>(_: &T) {}

#[test]
fn one_guard_serves_many_threads_and_its_calls_are_send() {
    let g = guard();
    assert_send_sync(&g);
    let b = Slow::default();
    let p = params(&[("RegionId", "cn-hangzhou"), ("IpsecServerId", "iss-1")]);
    let c = caller(OFFICE);
    let call = g.call(&b, "vpc:DeleteIpsecServer", &p, &c);
    assert_send(&call);
    assert!(pollster::block_on(call).unwrap().performed);
}

#[test]
fn simultaneous_calls_with_one_client_token_are_performed_once() {
    let (g, b) = (guard(), Slow::default());
    let p = params(&[("RegionId", "cn-hangzhou"), ("IpsecServerId", "iss-1"), ("ClientToken", "c0ffee-1")]);
    let start = std::sync::Barrier::new(32);
    let outcomes: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..32)
            .map(|_| {
                scope.spawn(|| {
                    start.wait();
                    pollster::block_on(g.call(&b, "vpc:DeleteIpsecServer", &p, &caller(OFFICE))).unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(b.performed.load(Ordering::SeqCst), 1, "the backend was called more than once");
    assert_eq!(outcomes.iter().filter(|o| o.performed).count(), 1);
    let first = outcomes.iter().find(|o| o.performed).unwrap();
    for o in &outcomes {
        assert_eq!(
            (o.response.status, &o.response.body),
            (200, &first.response.body),
            "every caller gets the first answer"
        );
    }
    assert_eq!(g.tokens().len(), 1);
}

#[test]
fn a_token_in_flight_with_other_parameters_is_a_mismatch_at_once() {
    let (g, b) = (guard(), Slow::default());
    let one = params(&[("RegionId", "cn-hangzhou"), ("IpsecServerId", "iss-1"), ("ClientToken", "t-2")]);
    let two = params(&[("RegionId", "cn-hangzhou"), ("IpsecServerId", "iss-2"), ("ClientToken", "t-2")]);
    std::thread::scope(|scope| {
        let first = scope.spawn(|| pollster::block_on(g.call(&b, "vpc:DeleteIpsecServer", &one, &caller(OFFICE))));
        while b.performed.load(Ordering::SeqCst) == 0 {
            std::thread::yield_now();
        }
        let other = pollster::block_on(g.call(&b, "vpc:DeleteIpsecServer", &two, &caller(OFFICE))).unwrap();
        assert_eq!((other.response.status, other.response.code()), (400, Some("IdempotentParameterMismatch")));
        assert!(first.join().unwrap().unwrap().performed);
    });
    assert_eq!(b.performed.load(Ordering::SeqCst), 1);
}

#[test]
fn a_call_dropped_while_performed_leaves_its_token_unknown_not_free() {
    let (g, b) = (guard(), Slow::default());
    let p = params(&[("RegionId", "cn-hangzhou"), ("IpsecServerId", "iss-hang"), ("ClientToken", "t-3")]);
    let c = caller(OFFICE);
    let mut call = Box::pin(g.call(&b, "vpc:DeleteIpsecServer", &p, &c));
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    assert!(call.as_mut().poll(&mut cx).is_pending(), "the backend never answers iss-hang");
    assert_eq!(b.performed.load(Ordering::SeqCst), 1);
    drop(call);

    let again = pollster::block_on(g.call(&b, "vpc:DeleteIpsecServer", &p, &caller(OFFICE))).unwrap();
    assert!(!again.performed);
    assert_eq!((again.response.status, again.response.code()), (500, Some("UnknownError")));
    assert_eq!(b.performed.load(Ordering::SeqCst), 1, "an abandoned call is not performed again");

    // Dropped before the backend was called (while waiting for the token),
    // a call leaves nothing behind.
    let q = params(&[("RegionId", "cn-hangzhou"), ("IpsecServerId", "iss-4"), ("ClientToken", "t-4")]);
    assert!(pollster::block_on(g.call(&b, "vpc:DeleteIpsecServer", &q, &caller(OFFICE))).unwrap().performed);
    assert!(!pollster::block_on(g.call(&b, "vpc:DeleteIpsecServer", &q, &caller(OFFICE))).unwrap().performed);
}

#[test]
fn policies_replaced_while_calls_run_decide_each_call_by_one_revision() {
    let set = |effect: &str| {
        let mut builder = PolicySetBuilder::new();
        let text = format!(
            r#"{{"Version": "1", "Statement": [{{"Effect": "{effect}", "Action": "vpc:*", "Resource": "*"}}]}}"#
        );
        builder.add(Policy::parse(effect, &text, PolicyKind::Identity).unwrap());
        builder.build().unwrap()
    };
    // Revision 0 allows; each replacement flips: odd revisions deny.
    let g = Guard::new(set("Allow"), Catalog::builtin().unwrap().clone());
    let b = Recorder::default();
    let p = params(&[("RegionId", "cn-hangzhou"), ("IpsecServerId", "iss-1")]);
    let done = std::sync::atomic::AtomicBool::new(false);
    let seen = std::thread::scope(|scope| {
        let callers: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(|| {
                    let mut seen = [0_u32; 2];
                    while !done.load(Ordering::SeqCst) {
                        let out = pollster::block_on(g.call(&b, "vpc:DeleteIpsecServer", &p, &caller(OFFICE))).unwrap();
                        let denies = out.revision % 2 == 1;
                        assert_eq!(out.response.is_success(), !denies, "revision {} decided wrongly", out.revision);
                        seen[usize::from(denies)] += 1;
                    }
                    seen
                })
            })
            .collect();
        for revision in 1..=200_u64 {
            let next = g.replace_policies(if revision % 2 == 1 { set("Deny") } else { set("Allow") });
            assert_eq!(next, revision);
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
        done.store(true, Ordering::SeqCst);
        callers.into_iter().map(|h| h.join().unwrap()).fold([0, 0], |a, s| [a[0] + s[0], a[1] + s[1]])
    });
    assert!(seen[0] > 0 && seen[1] > 0, "calls ran under both kinds of revision: {seen:?}");
    assert_eq!(g.policies().number, 200);
}
