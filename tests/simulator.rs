//! The guard in front of the simulated VPC and ExpressConnect Router: each
//! documented success and error path of the operations, and their
//! asynchronous behaviour on the simulator's clock.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "tests unwrap and index what they just built"
)]

use std::collections::BTreeMap;

use ramguard::catalog::{Caller, Catalog};
use ramguard::guard::Guard;
use ramguard::sim::{
    EcrGrant, IpsecServer, JOB_RETENTION_SECONDS, JOB_SECONDS, Simulator, TrafficMirrorSession, UPDATE_SECONDS,
    VpnConnection, VpnGateway, World, ZstackIpsecConnection, ZstackSession,
};
use ramguard::{Policy, PolicyKind, PolicySetBuilder};

const POLICY: &str = r#"{"Version": "1", "Statement": [
    {"Effect": "Allow", "Action": ["vpc:Create*", "vpc:Update*", "vpc:Modify*", "vpc:Delete*", "vpc:Describe*", "vpc:List*"],
     "Resource": "*"},
    {"Effect": "Allow", "Action": "expressconnectrouter:*", "Resource": "*",
     "Condition": {"StringEquals": {"InstanceType": "VBR"}}},
    {"Effect": "Allow", "Action": "expressconnectrouter:Describe*", "Resource": "*"},
    {"Effect": "Allow", "Action": "zstack:ChangeIPSecConnectionState", "Resource": "acs:zstack::1234567890123456:ipsecconnection/*"}]}"#;

fn world() -> World {
    let connection = |id: &str, gw: &str| VpnConnection {
        vpn_connection_id: id.into(),
        region_id: "cn-hangzhou".into(),
        vpn_gateway_id: gw.into(),
        ..VpnConnection::default()
    };
    World {
        clock: 1_764_000_000,
        vpn_gateways: vec![
            VpnGateway {
                vpn_gateway_id: "vpn-1".into(),
                region_id: "cn-hangzhou".into(),
                status: "active".into(),
                updating_until: None,
                financial_locked: false,
            },
            VpnGateway {
                vpn_gateway_id: "vpn-locked".into(),
                region_id: "cn-hangzhou".into(),
                status: "active".into(),
                updating_until: None,
                financial_locked: true,
            },
        ],
        ipsec_servers: vec![IpsecServer {
            ipsec_server_id: "iss-1".into(),
            region_id: "cn-hangzhou".into(),
            vpn_gateway_id: "vpn-1".into(),
            ..IpsecServer::default()
        }],
        vpn_connections: vec![
            VpnConnection { fault: Some("InternalError".into()), ..connection("vco-flaky", "vpn-1") },
            VpnConnection { fault: Some("Forbbiden.SubUser".into()), ..connection("vco-other-user", "vpn-1") },
            connection("vco-1", "vpn-1"),
            connection("vco-2", "vpn-1"),
            connection("vco-locked", "vpn-locked"),
            connection("vco-orphan", "vpn-gone"),
        ],
        traffic_mirror_sessions: vec![
            TrafficMirrorSession {
                traffic_mirror_session_id: "tms-1".into(),
                region_id: "cn-hangzhou".into(),
                traffic_mirror_session_status: "Created".into(),
                ..TrafficMirrorSession::default()
            },
            TrafficMirrorSession {
                traffic_mirror_session_id: "tms-filter".into(),
                region_id: "cn-hangzhou".into(),
                traffic_mirror_session_status: "Created".into(),
                traffic_mirror_filter_status: Some("Modifying".into()),
                ..TrafficMirrorSession::default()
            },
            TrafficMirrorSession {
                traffic_mirror_session_id: "tms-busy".into(),
                region_id: "cn-hangzhou".into(),
                traffic_mirror_session_status: "Modifying".into(),
                ..TrafficMirrorSession::default()
            },
        ],
        ecr_grants: vec![EcrGrant {
            ecr_id: "ecr-1".into(),
            ecr_owner_ali_uid: "1210123456123456".into(),
            instance_id: "vbr-1".into(),
            instance_type: "VBR".into(),
            instance_region_id: "cn-hangzhou".into(),
        }],
        zstack_sessions: vec![
            ZstackSession { uuid: "b86c9016b4f24953a9edefb53ca0678c".into(), expires_at: 1_764_003_600 },
            ZstackSession { uuid: "expired".into(), expires_at: 1_763_990_000 },
        ],
        zstack_ipsec_connections: vec![
            ZstackIpsecConnection {
                uuid: "76424bb25d3a37c9961fff1116bc06da".into(),
                name: "IPSec-1".into(),
                peer_address: "198.51.100.1".into(),
                auth_key: "s3cret-psk".into(),
                state: "Disabled".into(),
                status: "Ready".into(),
            },
            ZstackIpsecConnection {
                uuid: "13b5a2cd8c5c30a9a47ba95802cf4e1a".into(),
                name: "IPSec-2".into(),
                peer_address: "198.51.100.2".into(),
                auth_key: "other".into(),
                state: "Enabled".into(),
                status: "Connecting".into(),
            },
        ],
        ..World::default()
    }
}

fn setup() -> (Guard, Simulator, Caller) {
    let mut b = PolicySetBuilder::new();
    b.add(Policy::parse("ops", POLICY, PolicyKind::Identity).unwrap());
    let guard = Guard::new(b.build().unwrap(), Catalog::builtin().unwrap().clone());
    (guard, Simulator::new(world()), Caller::new("acs:ram::1234567890123456:user/alice".parse().unwrap()))
}

fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn code(g: &Guard, s: &Simulator, c: &Caller, action: &str, p: &[(&str, &str)]) -> (u16, String) {
    let out = pollster::block_on(g.call(s, action, &params(p), c)).unwrap();
    (out.response.status, out.response.code().unwrap_or("OK").to_owned())
}

#[test]
fn delete_ipsec_server_runs_in_the_background() {
    let (g, s, c) = setup();
    let p = [("RegionId", "cn-hangzhou"), ("IpsecServerId", "iss-1")];
    assert_eq!(code(&g, &s, &c, "vpc:DeleteIpsecServer", &p), (200, "OK".into()));
    let gw = [("RegionId", "cn-hangzhou"), ("VpnGatewayId", "vpn-1")];
    let out = pollster::block_on(g.call(&s, "vpc:DescribeVpnGateway", &params(&gw), &c)).unwrap();
    assert_eq!(out.response.body["Status"], "updating");
    // Too soon on the same instance, then still configuring.
    assert_eq!(code(&g, &s, &c, "vpc:DeleteIpsecServer", &p), (409, "OperationConflict".into()));
    s.advance(3);
    assert_eq!(code(&g, &s, &c, "vpc:DeleteIpsecServer", &p), (400, "VpnGateway.Configuring".into()));
    s.advance(UPDATE_SECONDS);
    let out = pollster::block_on(g.call(&s, "vpc:DescribeVpnGateway", &params(&gw), &c)).unwrap();
    assert_eq!(out.response.body["Status"], "active");
    let (status, error) = code(&g, &s, &c, "vpc:DeleteIpsecServer", &p);
    assert_eq!((status, error.as_str()), (404, "InvalidIpsecServerId.NotFound"));
    let missing = [("RegionId", "cn-hangzhou"), ("VpnGatewayId", "vpn-nope")];
    assert_eq!(
        code(&g, &s, &c, "vpc:DescribeVpnGateway", &missing),
        (400, "InvalidVpnGatewayInstanceId.NotFound".into())
    );
    let listed =
        pollster::block_on(g.call(&s, "vpc:ListIpsecServers", &params(&[("RegionId", "cn-hangzhou")]), &c)).unwrap();
    assert_eq!(listed.response.body["TotalCount"], 0);
}

#[test]
fn delete_vpn_connection_error_paths() {
    let (g, s, c) = setup();
    let del = |id: &'static str| [("RegionId", "cn-hangzhou"), ("VpnConnectionId", id)];
    assert_eq!(code(&g, &s, &c, "vpc:DeleteVpnConnection", &del("vco-flaky")), (400, "InternalError".into()));
    assert_eq!(code(&g, &s, &c, "vpc:DeleteVpnConnection", &del("vco-other-user")), (403, "Forbbiden.SubUser".into()));
    assert_eq!(code(&g, &s, &c, "vpc:DeleteVpnConnection", &del("vco-1")).0, 200);
    // Only one connection of a gateway at a time.
    assert_eq!(code(&g, &s, &c, "vpc:DeleteVpnConnection", &del("vco-2")), (400, "VpnTask.CONFLICT".into()));
    assert_eq!(
        code(&g, &s, &c, "vpc:DeleteVpnConnection", &del("vco-locked")),
        (400, "VpnGateway.FinancialLocked".into())
    );
    assert_eq!(
        code(&g, &s, &c, "vpc:DeleteVpnConnection", &del("vco-orphan")),
        (400, "InvalidVpnGatewayInstanceId.NotFound".into())
    );
    assert_eq!(
        code(&g, &s, &c, "vpc:DeleteVpnConnection", &del("vco-nope")),
        (404, "InvalidVpnConnectionInstanceId.NotFound".into())
    );
    s.advance(UPDATE_SECONDS);
    assert_eq!(code(&g, &s, &c, "vpc:DeleteVpnConnection", &del("vco-2")).0, 200);
    assert!(s.world().vpn_connections.iter().all(|v| v.vpn_connection_id != "vco-1"));
}

#[test]
fn delete_traffic_mirror_session_error_paths() {
    let (g, s, c) = setup();
    let del = |id: &'static str| [("RegionId", "cn-hangzhou"), ("TrafficMirrorSessionId", id)];
    assert_eq!(code(&g, &s, &c, "vpc:DeleteTrafficMirrorSession", &del("tms-1")).0, 200);
    let list = || params(&[("RegionId", "cn-hangzhou")]);
    let out = pollster::block_on(g.call(&s, "vpc:ListTrafficMirrorSessions", &list(), &c)).unwrap();
    assert_eq!(out.response.body["TrafficMirrorSessions"][0]["TrafficMirrorSessionStatus"], "Deleting");
    assert_eq!(
        code(&g, &s, &c, "vpc:DeleteTrafficMirrorSession", &del("tms-1")),
        (400, "IncorrectStatus.TrafficMirrorSession".into())
    );
    assert_eq!(
        code(&g, &s, &c, "vpc:DeleteTrafficMirrorSession", &del("tms-filter")),
        (400, "IncorrectStatus.TrafficMirrorFilter".into())
    );
    assert_eq!(
        code(&g, &s, &c, "vpc:DeleteTrafficMirrorSession", &del("tms-busy")),
        (400, "IncorrectStatus.TrafficMirrorSession".into())
    );
    assert_eq!(
        code(&g, &s, &c, "vpc:DeleteTrafficMirrorSession", &del("tms-nope")),
        (400, "ResourceNotFound.TrafficMirrorSession".into())
    );
    s.advance(UPDATE_SECONDS);
    let out = pollster::block_on(g.call(&s, "vpc:ListTrafficMirrorSessions", &list(), &c)).unwrap();
    assert_eq!(out.response.body["TotalCount"], "2", "the sessions that could not be deleted are left");
}

#[test]
fn ecr_revoke_and_grant_with_the_router_lock() {
    let (g, s, c) = setup();
    let call = |id: &'static str, kind: &'static str| {
        [
            ("EcrId", "ecr-1"),
            ("EcrOwnerAliUid", "1210123456123456"),
            ("InstanceId", id),
            ("InstanceType", kind),
            ("InstanceRegionId", "cn-hangzhou"),
        ]
    };
    let revoke = "expressconnectrouter:RevokeInstanceFromExpressConnectRouter";
    let out = pollster::block_on(g.call(&s, revoke, &params(&call("vbr-1", "VBR")), &c)).unwrap();
    assert_eq!(out.response.body["Success"], true);
    assert_eq!(out.response.body["HttpStatusCode"], 200);
    assert!(s.world().ecr_grants.is_empty());
    let grant = "expressconnectrouter:GrantInstanceToExpressConnectRouter";
    assert_eq!(code(&g, &s, &c, grant, &call("vbr-1", "VBR")), (400, "Conflict.Lock".into()));
    s.advance(UPDATE_SECONDS);
    assert_eq!(code(&g, &s, &c, grant, &call("vbr-1", "VBR")).0, 200);
    s.advance(UPDATE_SECONDS);
    let out = pollster::block_on(g.call(&s, revoke, &params(&call("vbr-9", "VBR")), &c)).unwrap();
    assert_eq!(out.response.body["DynamicCode"], "IllegalParam.InstanceId");
    // A VPC revoke is denied by the policy before it reaches the router.
    let out = pollster::block_on(g.call(&s, revoke, &params(&call("vpc-1", "VPC")), &c)).unwrap();
    assert_eq!((out.response.status, out.response.code()), (403, Some("Forbidden.RAM")));
    let described = pollster::block_on(g.call(
        &s,
        "expressconnectrouter:DescribeInstanceGrantedToExpressConnectRouter",
        &params(&[("EcrId", "ecr-1")]),
        &c,
    ))
    .unwrap();
    assert_eq!(described.response.body["TotalCount"], 1);
}

#[test]
fn creates_and_updates_of_gateway_children_keep_the_gateway_updating() {
    let (g, s, c) = setup();
    let call = |action: &str, p: &[(&str, &str)]| pollster::block_on(g.call(&s, action, &params(p), &c)).unwrap();
    let region = ("RegionId", "cn-hangzhou");
    let server = [
        region,
        ("VpnGatewayId", "vpn-1"),
        ("LocalSubnet", "192.168.1.0/24"),
        ("ClientIpPool", "10.20.0.0/24"),
        ("IpSecServerName", "lab"),
    ];
    let created = call("vpc:CreateIpsecServer", &server);
    assert_eq!(created.response.status, 200, "{:?}", created.response);
    let id = created.response.body["IpsecServerId"].as_str().unwrap().to_owned();
    assert!(id.starts_with("iss-"), "{id}");
    assert_eq!(created.response.body["IpsecServerName"], "lab");
    assert_eq!(created.response.body["CreationTime"], "2025-11-24T16:00:00Z");
    assert_eq!(s.world().vpn_gateways[0].status, "updating");
    assert_eq!(code(&g, &s, &c, "vpc:CreateIpsecServer", &server), (400, "VpnGateway.Configuring".into()));
    let elsewhere = [region, ("VpnGatewayId", "vpn-nope"), ("LocalSubnet", "a"), ("ClientIpPool", "b")];
    assert_eq!(
        code(&g, &s, &c, "vpc:CreateIpsecServer", &elsewhere),
        (400, "InvalidVpnGatewayInstanceId.NotFound".into())
    );
    s.advance(UPDATE_SECONDS);
    let renamed =
        [region, ("IpsecServerId", id.as_str()), ("IpsecServerName", "lab-2"), ("LocalSubnet", "192.168.9.0/24")];
    assert_eq!(code(&g, &s, &c, "vpc:UpdateIpsecServer", &renamed), (200, "OK".into()));
    assert_eq!(s.world().vpn_gateways[0].status, "updating");
    let listed = call("vpc:ListIpsecServers", &[region]);
    let servers = listed.response.body["IpsecServers"].as_array().unwrap().clone();
    let mine = servers.iter().find(|s| s["IpsecServerId"] == id.as_str()).unwrap();
    assert_eq!(
        (&mine["IpsecServerName"], &mine["LocalSubnet"], &mine["ClientIpPool"]),
        (&"lab-2".into(), &"192.168.9.0/24".into(), &"10.20.0.0/24".into())
    );
    let missing = [region, ("IpsecServerId", "iss-nope")];
    assert_eq!(code(&g, &s, &c, "vpc:UpdateIpsecServer", &missing), (404, "InvalidIpsecServerId.NotFound".into()));

    s.advance(UPDATE_SECONDS);
    let connection = |gateway| {
        [
            region,
            ("VpnGatewayId", gateway),
            ("LocalSubnet", "192.168.2.0/24"),
            ("RemoteSubnet", "172.16.2.0/24"),
            ("CustomerGatewayId", "cgw-2"),
            ("Name", "depot"),
        ]
    };
    assert_eq!(
        code(&g, &s, &c, "vpc:CreateVpnConnection", &connection("vpn-locked")),
        (400, "VpnGateway.FinancialLocked".into())
    );
    let created = call("vpc:CreateVpnConnection", &connection("vpn-1"));
    let vco = created.response.body["VpnConnectionId"].as_str().unwrap().to_owned();
    assert_eq!(created.response.body["CreateTime"], s.world().clock * 1000, "milliseconds");
    // The new connection changed a moment ago, and its gateway is updating.
    let modify = [region, ("VpnConnectionId", vco.as_str()), ("Name", "depot-2")];
    assert_eq!(code(&g, &s, &c, "vpc:ModifyVpnConnectionAttribute", &modify), (409, "OperationConflict".into()));
    s.advance(UPDATE_SECONDS);
    let modified = call("vpc:ModifyVpnConnectionAttribute", &modify);
    assert_eq!((modified.response.status, &modified.response.body["Name"]), (200, &"depot-2".into()));
    assert_eq!(modified.response.body["RemoteSubnet"], "172.16.2.0/24", "what is not given stays");
    let described = call("vpc:DescribeVpnConnection", &[region, ("VpnConnectionId", vco.as_str())]);
    assert_eq!(described.response.body["Name"], "depot-2");
    assert_eq!(described.response.body["CustomerGatewayId"], "cgw-2");
    assert_eq!(described.response.body["VpnGatewayId"], "vpn-1");
    assert_eq!(
        code(&g, &s, &c, "vpc:DescribeVpnConnection", &[region, ("VpnConnectionId", "vco-nope")]),
        (404, "InvalidVpnConnectionInstanceId.NotFound".into())
    );
    let locked = [region, ("VpnConnectionId", "vco-locked"), ("Name", "x")];
    assert_eq!(
        code(&g, &s, &c, "vpc:ModifyVpnConnectionAttribute", &locked),
        (400, "VpnGateway.FinancialLocked".into())
    );
}

#[test]
fn a_new_traffic_mirror_session_is_creating_then_created() {
    let (g, s, c) = setup();
    let create = [
        ("RegionId", "cn-hangzhou"),
        ("TrafficMirrorTargetId", "eni-target"),
        ("TrafficMirrorTargetType", "NetworkInterface"),
        ("TrafficMirrorFilterId", "tmf-1"),
        ("Priority", "3"),
        ("TrafficMirrorSourceIds.10", "eni-j"),
        ("TrafficMirrorSourceIds.2", "eni-b"),
        ("TrafficMirrorSourceIds.1", "eni-a"),
    ];
    let out = pollster::block_on(g.call(&s, "vpc:CreateTrafficMirrorSession", &params(&create), &c)).unwrap();
    let id = out.response.body["TrafficMirrorSessionId"].as_str().unwrap().to_owned();
    let listed = || {
        let out = pollster::block_on(g.call(
            &s,
            "vpc:ListTrafficMirrorSessions",
            &params(&[("RegionId", "cn-hangzhou")]),
            &c,
        ))
        .unwrap();
        out.response.body["TrafficMirrorSessions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["TrafficMirrorSessionId"] == id.as_str())
            .cloned()
    };
    let creating = listed().unwrap();
    assert_eq!(creating["TrafficMirrorSessionStatus"], "Creating");
    assert_eq!(creating["TrafficMirrorSourceIds"], serde_json::json!(["eni-a", "eni-b", "eni-j"]));
    assert_eq!((&creating["Priority"], &creating["TrafficMirrorFilterId"]), (&3.into(), &"tmf-1".into()));
    let delete = [("RegionId", "cn-hangzhou"), ("TrafficMirrorSessionId", id.as_str())];
    assert_eq!(
        code(&g, &s, &c, "vpc:DeleteTrafficMirrorSession", &delete),
        (400, "IncorrectStatus.TrafficMirrorSession".into())
    );
    s.advance(UPDATE_SECONDS);
    assert_eq!(listed().unwrap()["TrafficMirrorSessionStatus"], "Created");
    assert_eq!(code(&g, &s, &c, "vpc:DeleteTrafficMirrorSession", &delete).0, 200);
    s.advance(UPDATE_SECONDS);
    assert!(listed().is_none(), "deleted");
}

#[test]
fn answers_carry_the_apis_members_and_none_of_the_simulators() {
    let (g, s, c) = setup();
    let region = params(&[("RegionId", "cn-hangzhou")]);
    let delete = [("RegionId", "cn-hangzhou"), ("IpsecServerId", "iss-1")];
    assert_eq!(code(&g, &s, &c, "vpc:DeleteIpsecServer", &delete).0, 200);
    let listed = pollster::block_on(g.call(&s, "vpc:ListIpsecServers", &region, &c)).unwrap();
    let server = listed.response.body["IpsecServers"][0].as_object().unwrap().clone();
    assert_eq!(server["IpsecServerId"], "iss-1");
    assert!(!server.contains_key("Id") && !server.contains_key("Deleting"), "{server:?}");
    let sessions = pollster::block_on(g.call(&s, "vpc:ListTrafficMirrorSessions", &region, &c)).unwrap();
    let session = sessions.response.body["TrafficMirrorSessions"][1].as_object().unwrap().clone();
    assert_eq!(session["TrafficMirrorSessionId"], "tms-filter");
    for simulators in ["RegionId", "TrafficMirrorFilterStatus", "DeletingUntil"] {
        assert!(!session.contains_key(simulators), "{simulators}: {session:?}");
    }
    let gateway = params(&[("RegionId", "cn-hangzhou"), ("VpnGatewayId", "vpn-locked")]);
    let locked = pollster::block_on(g.call(&s, "vpc:DescribeVpnGateway", &gateway, &c)).unwrap();
    assert_eq!(locked.response.body["BusinessStatus"], "FinancialLocked");

    let grants = |extra: &[(&str, &str)]| {
        let mut p = params(&[("EcrId", "ecr-1")]);
        p.extend(params(extra));
        let action = "expressconnectrouter:DescribeInstanceGrantedToExpressConnectRouter";
        pollster::block_on(g.call(&s, action, &p, &c)).unwrap().response.body
    };
    let all = grants(&[]);
    assert_eq!(all["EcrGrantedInstanceList"][0]["NodeId"], "vbr-1");
    assert_eq!(all["EcrGrantedInstanceList"][0]["NodeType"], "VBR");
    assert_eq!(all["EcrGrantedInstanceList"][0]["NodeRegionId"], "cn-hangzhou");
    assert_eq!((&all["Success"], &all["HttpStatusCode"]), (&true.into(), &200.into()));
    assert_eq!(grants(&[("InstanceType", "VPC")])["TotalCount"], 0);
    assert_eq!(grants(&[("InstanceRegionId", "cn-beijing")])["TotalCount"], 0);
    assert_eq!(grants(&[("InstanceType", "VBR"), ("InstanceRegionId", "cn-hangzhou")])["TotalCount"], 1);
}

#[test]
fn world_files_may_name_children_by_their_old_id_member() {
    let old = r#"{"clock": 1, "vpn_gateways": [{"VpnGatewayId": "vpn-1", "RegionId": "cn-hangzhou", "Status": "active"}],
        "ipsec_servers": [{"Id": "iss-1", "RegionId": "cn-hangzhou", "VpnGatewayId": "vpn-1"}],
        "vpn_connections": [{"Id": "vco-1", "RegionId": "cn-hangzhou", "VpnGatewayId": "vpn-1"}]}"#;
    let world = World::from_json(old).unwrap();
    assert_eq!(world.ipsec_servers[0].ipsec_server_id, "iss-1");
    assert_eq!(world.vpn_connections[0].vpn_connection_id, "vco-1");
    let written = serde_json::to_value(&world).unwrap();
    assert_eq!(written["ipsec_servers"][0]["IpsecServerId"], "iss-1", "written in the new spelling");
    assert_eq!(written["vpn_connections"][0]["VpnConnectionId"], "vco-1");
    assert!(written["ipsec_servers"][0].get("Id").is_none());
    let both = old.replace(r#""Id": "iss-1""#, r#""Id": "iss-1", "IpsecServerId": "iss-2""#);
    let e = World::from_json(&both).unwrap_err();
    assert!(e.message.contains("duplicate field `IpsecServerId`"), "{e}");
}

#[test]
fn worlds_round_trip_through_json() {
    let w = world();
    let text = serde_json::to_string_pretty(&w).unwrap();
    let back: World = serde_json::from_str(&text).unwrap();
    assert_eq!(back, w);
    assert!(serde_json::from_str::<World>(r#"{"clock": 1, "vpn_gateway": []}"#).is_err(), "unknown fields are refused");
}

#[test]
fn zstack_state_changes_run_as_jobs_behind_a_session() {
    let (g, s, c) = setup();
    let action = "zstack:ChangeIPSecConnectionState";
    let call = |uuid: &str, event: &str, auth: Option<&str>| {
        let mut p = params(&[("uuid", uuid), ("stateEvent", event)]);
        if let Some(a) = auth {
            p.insert("Authorization".into(), a.into());
        }
        p
    };
    const SESSION: &str = "OAuth b86c9016b4f24953a9edefb53ca0678c";
    const READY: &str = "76424bb25d3a37c9961fff1116bc06da";

    let no_header = pollster::block_on(g.call(&s, action, &call(READY, "enable", None), &c)).unwrap();
    assert_eq!(no_header.response.status, 400);
    assert!(no_header.response.body.is_string(), "a plain-text answer");
    let expired = pollster::block_on(g.call(&s, action, &call(READY, "enable", Some("OAuth expired")), &c)).unwrap();
    assert_eq!((expired.response.status, expired.response.code()), (401, Some("ID.1001")));
    let unknown = pollster::block_on(g.call(&s, action, &call("0000", "enable", Some(SESSION)), &c)).unwrap();
    assert_eq!((unknown.response.status, unknown.response.code()), (503, Some("SYS.1003")));

    let started = pollster::block_on(g.call(&s, action, &call(READY, "enable", Some(SESSION)), &c)).unwrap();
    assert_eq!(started.response.status, 202);
    let location = started.response.body["location"].as_str().unwrap().to_owned();
    assert!(location.starts_with("http://localhost:8080/zstack/v1/api-jobs/"));
    let job = location.rsplit('/').next().unwrap().to_owned();
    assert_eq!(s.poll(&job).status, 202);
    s.advance(JOB_SECONDS);
    let done = s.poll(&job);
    assert_eq!(done.status, 200);
    assert_eq!(done.body["inventory"]["state"], "Enabled");
    assert_eq!(done.body["inventory"]["authKey"], "******", "the key is never shown");
    assert!(!serde_json::to_string(&done.body).unwrap().contains("s3cret"));

    // Repeating an event succeeds; a connection that is not Ready fails in its job.
    let again = pollster::block_on(g.call(&s, action, &call(READY, "enable", Some(SESSION)), &c)).unwrap();
    assert_eq!(again.response.status, 202);
    let busy =
        pollster::block_on(g.call(&s, action, &call("13b5a2cd8c5c30a9a47ba95802cf4e1a", "disable", Some(SESSION)), &c))
            .unwrap();
    let busy_job = busy.response.body["location"].as_str().unwrap().rsplit('/').next().unwrap().to_owned();
    s.advance(JOB_SECONDS);
    let failed = s.poll(&busy_job);
    assert_eq!((failed.status, failed.code()), (503, Some("SYS.1007")));
    assert!(failed.body["error"]["details"].as_str().unwrap().contains("status is not ready"));
    assert_eq!(s.world().zstack_ipsec_connections[1].state, "Enabled");

    s.advance(JOB_RETENTION_SECONDS);
    assert_eq!(s.poll(&job).status, 404, "an expired job is gone");
    assert_eq!(s.poll("no-such-job").status, 404);
}

/// A world file with every number a world can hold, each a distinct
/// placeholder (`@name@`) for the tests below to fill.
const NUMBERS: &str = r#"{
  "clock": @clock@,
  "requests": @requests@,
  "vpn_gateways": [{"VpnGatewayId": "vpn-1", "RegionId": "cn-hangzhou", "Status": "updating", "UpdatingUntil": @updating@}],
  "ipsec_servers": [{"IpsecServerId": "iss-1", "RegionId": "cn-hangzhou", "VpnGatewayId": "vpn-1"}],
  "vpn_connections": [{"VpnConnectionId": "vco-1", "RegionId": "cn-hangzhou", "VpnGatewayId": "vpn-1"}],
  "traffic_mirror_sessions": [{"TrafficMirrorSessionId": "tms-1", "RegionId": "cn-hangzhou",
                               "TrafficMirrorSessionStatus": "Deleting", "DeletingUntil": @deleting@},
                              {"TrafficMirrorSessionId": "tms-2", "RegionId": "cn-hangzhou",
                               "TrafficMirrorSessionStatus": "Creating", "CreatingUntil": @creating@}],
  "ecr_grants": [{"EcrId": "ecr-1", "EcrOwnerAliUid": "1210123456123456", "InstanceId": "vbr-1",
                  "InstanceType": "VBR", "InstanceRegionId": "cn-hangzhou"}],
  "ecr_locks": {"ecr-1": @lock@},
  "last_change": {"vco-1": @change@},
  "zstack_sessions": [{"uuid": "s-1", "expiresAt": @expires@}],
  "zstack_ipsec_connections": [{"uuid": "c-1", "name": "IPSec-1", "state": "Disabled", "status": "Ready"}],
  "zstack_jobs": [{"id": "j-1", "connection": "c-1", "targetState": "Enabled", "finishesAt": @finishes@}],
  "client_tokens": [{"action": "vpc:DeleteIpsecServer", "token": "t-1",
                     "params": {"RegionId": "cn-hangzhou", "IpsecServerId": "iss-1", "ClientToken": "t-1"},
                     "at": @at@, "status": @status@, "body": {"RequestId": "r-1"}}]
}"#;

/// Each placeholder of [`NUMBERS`] and the JSON path of its value.
const FIELDS: [(&str, &str); 11] = [
    ("clock", "clock"),
    ("requests", "requests"),
    ("updating", "vpn_gateways[0].UpdatingUntil"),
    ("deleting", "traffic_mirror_sessions[0].DeletingUntil"),
    ("creating", "traffic_mirror_sessions[1].CreatingUntil"),
    ("lock", "ecr_locks.ecr-1"),
    ("change", "last_change.vco-1"),
    ("expires", "zstack_sessions[0].expiresAt"),
    ("finishes", "zstack_jobs[0].finishesAt"),
    ("at", "client_tokens[0].at"),
    ("status", "client_tokens[0].status"),
];

/// [`NUMBERS`] with `value` at `field` and ordinary values elsewhere.
fn numbers_world(field: &str, value: &str) -> String {
    fill(&[(field, value)])
}

/// [`NUMBERS`] with the given values and ordinary ones elsewhere.
fn fill(values: &[(&str, &str)]) -> String {
    let ordinary = [
        ("clock", "1764000000"),
        ("requests", "7"),
        ("updating", "1764000005"),
        ("deleting", "1764000005"),
        ("creating", "1764000004"),
        ("lock", "1764000005"),
        ("change", "1763999999"),
        ("expires", "1764003600"),
        ("finishes", "1764000002"),
        ("at", "1763999000"),
        ("status", "200"),
    ];
    let mut text = NUMBERS.to_owned();
    for (name, default) in ordinary {
        let value = values.iter().find(|(n, _)| *n == name).map_or(default, |(_, v)| *v);
        text = text.replace(&format!("@{name}@"), value);
    }
    text
}

/// The 1-based line and column of the first member value `value` in `text`.
fn position(text: &str, value: &str) -> (usize, usize) {
    let offset = text.find(&format!("\": {value}")).unwrap() + 3;
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap().chars().count() + 1;
    (line, column)
}

#[test]
fn world_files_with_numbers_out_of_range_are_refused_where_they_are() {
    let out_of_range = [
        "9223372036854775807",
        "-9223372036854775808",
        "18446744073709551615",
        "253402300800",
        "-62167219201",
        "1.5",
        "-1",
        "99999999999999999999999",
    ];
    for (field, path) in FIELDS {
        for value in out_of_range {
            let plausible = match field {
                "requests" => value.parse::<u64>().is_ok_and(|n| n <= ramguard::sim::MAX_REQUESTS),
                "status" => value.parse::<u16>().is_ok_and(|n| (100..600).contains(&n)),
                _ => value
                    .parse::<i64>()
                    .is_ok_and(|n| (ramguard::sim::MIN_CLOCK..=ramguard::sim::MAX_CLOCK).contains(&n)),
            };
            if plausible {
                continue;
            }
            let text = numbers_world(field, value);
            let e = World::from_json(&text).unwrap_err();
            let (line, column) = position(&text, value);
            assert_eq!((e.location.line, e.location.column), (line, column), "{field} = {value}: {e}");
            assert_eq!(e.path.as_ref().map(ToString::to_string).as_deref(), Some(path), "{e}");
            assert!(e.message.contains(&format!("`{value}` is out of range: expected ")), "{e}");
            assert!(e.to_string().starts_with(&format!("{line}:{column}: ")), "{e}");
        }
    }
    // The edges themselves are fine.
    for (field, _) in FIELDS {
        let edges: &[&str] = match field {
            "requests" => &["0", "281474976710655"],
            "status" => &["100", "599"],
            _ => &["-62167219200", "253402300799"],
        };
        for edge in edges {
            World::from_json(&numbers_world(field, edge)).unwrap_or_else(|e| panic!("{field} = {edge}: {e}"));
        }
    }
}

#[test]
fn world_files_may_start_with_a_byte_order_mark() {
    let text = numbers_world("", "");
    let plain = World::from_json(&text).unwrap();
    assert_eq!(World::from_json(&format!("\u{feff}{text}")).unwrap(), plain);
    // Positions count from the character after the mark.
    let bad = format!("\u{feff}{}", numbers_world("clock", "253402300800"));
    let e = World::from_json(&bad).unwrap_err();
    assert_eq!((e.location.line, e.location.column), (2, 12), "{e}");
    // A second mark is not whitespace.
    let e = World::from_json(&format!("\u{feff}\u{feff}{text}")).unwrap_err();
    assert_eq!((e.location.line, e.location.column), (1, 1), "{e}");
}

/// Runs every operation the simulator has on `world`, through the guard,
/// with client tokens, and moves the clock by `jumps` between them.
fn exercise(world: World, jumps: &[i64]) -> Simulator {
    let mut b = PolicySetBuilder::new();
    b.add(Policy::parse("ops", POLICY, PolicyKind::Identity).unwrap());
    let g = Guard::new(b.build().unwrap(), Catalog::builtin().unwrap().clone());
    let c = Caller::new("acs:ram::1234567890123456:user/alice".parse().unwrap());
    let s = Simulator::new(world);
    let ecr = |id| {
        params(&[
            ("EcrId", "ecr-1"),
            ("EcrOwnerAliUid", "1210123456123456"),
            ("InstanceId", id),
            ("InstanceType", "VBR"),
            ("InstanceRegionId", "cn-hangzhou"),
            ("ClientToken", "t-2"),
        ])
    };
    let calls = [
        (
            "vpc:DeleteIpsecServer",
            params(&[("RegionId", "cn-hangzhou"), ("IpsecServerId", "iss-1"), ("ClientToken", "t-1")]),
        ),
        ("vpc:DeleteVpnConnection", params(&[("RegionId", "cn-hangzhou"), ("VpnConnectionId", "vco-1")])),
        ("vpc:DeleteTrafficMirrorSession", params(&[("RegionId", "cn-hangzhou"), ("TrafficMirrorSessionId", "tms-1")])),
        ("expressconnectrouter:RevokeInstanceFromExpressConnectRouter", ecr("vbr-1")),
        ("expressconnectrouter:GrantInstanceToExpressConnectRouter", ecr("vbr-1")),
        (
            "zstack:ChangeIPSecConnectionState",
            params(&[("uuid", "c-1"), ("stateEvent", "enable"), ("Authorization", "OAuth s-1")]),
        ),
        ("vpc:DescribeVpnGateway", params(&[("RegionId", "cn-hangzhou"), ("VpnGatewayId", "vpn-1")])),
        (
            "vpc:CreateIpsecServer",
            params(&[
                ("RegionId", "cn-hangzhou"),
                ("VpnGatewayId", "vpn-1"),
                ("LocalSubnet", "192.168.0.0/24"),
                ("ClientIpPool", "10.0.0.0/24"),
            ]),
        ),
        ("vpc:UpdateIpsecServer", params(&[("RegionId", "cn-hangzhou"), ("IpsecServerId", "iss-1")])),
        (
            "vpc:CreateVpnConnection",
            params(&[
                ("RegionId", "cn-hangzhou"),
                ("VpnGatewayId", "vpn-1"),
                ("LocalSubnet", "192.168.0.0/24"),
                ("RemoteSubnet", "172.16.0.0/24"),
            ]),
        ),
        ("vpc:ModifyVpnConnectionAttribute", params(&[("RegionId", "cn-hangzhou"), ("VpnConnectionId", "vco-1")])),
        ("vpc:DescribeVpnConnection", params(&[("RegionId", "cn-hangzhou"), ("VpnConnectionId", "vco-1")])),
        (
            "vpc:CreateTrafficMirrorSession",
            params(&[
                ("RegionId", "cn-hangzhou"),
                ("TrafficMirrorTargetId", "eni-1"),
                ("TrafficMirrorTargetType", "NetworkInterface"),
                ("TrafficMirrorFilterId", "tmf-1"),
                ("Priority", "1"),
                ("TrafficMirrorSourceIds.1", "eni-2"),
            ]),
        ),
        ("vpc:ListTrafficMirrorSessions", params(&[("RegionId", "cn-hangzhou")])),
        ("vpc:ListIpsecServers", params(&[("RegionId", "cn-hangzhou")])),
        ("expressconnectrouter:DescribeInstanceGrantedToExpressConnectRouter", params(&[("EcrId", "ecr-1")])),
    ];
    for (i, (action, p)) in calls.iter().enumerate() {
        let out = pollster::block_on(g.call(&s, action, p, &c)).unwrap();
        if let Some(job) = out.response.body["location"].as_str() {
            let _ = s.poll(job.rsplit('/').next().unwrap());
        }
        let _ = s.poll("j-1");
        s.advance(jumps.get(i).copied().unwrap_or(0));
    }
    s
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

    /// Whatever numbers a world holds, built in code where nothing checks
    /// them, the simulator and the guard answer without panicking.
    #[test]
    fn any_numbers_in_a_world_never_panic(
        clock in proptest::prelude::any::<i64>(),
        requests in proptest::prelude::any::<u64>(),
        timers in proptest::collection::vec(proptest::prelude::any::<i64>(), 7),
        jumps in proptest::collection::vec(proptest::prelude::any::<i64>(), 16),
    ) {
        let mut world = World::from_json(&numbers_world("", "")).unwrap();
        world.clock = clock;
        world.requests = requests;
        world.vpn_gateways[0].updating_until = Some(timers[0]);
        world.traffic_mirror_sessions[0].deleting_until = Some(timers[1]);
        world.ecr_locks.insert("ecr-1".into(), timers[2]);
        world.last_change.insert("vco-1".into(), timers[3]);
        world.zstack_sessions[0].expires_at = timers[4];
        world.zstack_jobs[0].finishes_at = timers[5];
        world.traffic_mirror_sessions[1].creating_until = Some(timers[6]);
        let _ = exercise(world, &jumps);
    }

    /// A world file that is accepted runs without panicking, and the world
    /// the simulator leaves is one that would be accepted again.
    #[test]
    fn accepted_world_files_stay_acceptable(
        values in proptest::collection::vec(
            proptest::prop_oneof![
                proptest::prelude::Strategy::prop_map(proptest::prelude::any::<i64>(), |n| n.to_string()),
                proptest::prelude::Strategy::prop_map(proptest::prelude::any::<u64>(), |n| n.to_string()),
                proptest::prelude::Strategy::prop_map(ramguard::sim::MIN_CLOCK..=ramguard::sim::MAX_CLOCK, |n| n.to_string()),
                proptest::prelude::Strategy::prop_map(100u16..600, |n| n.to_string()),
                proptest::prelude::Just(ramguard::sim::MAX_CLOCK.to_string()),
            ],
            11,
        ),
        jumps in proptest::collection::vec(proptest::prelude::any::<i64>(), 16),
    ) {
        let names =
            ["clock", "requests", "updating", "deleting", "creating", "lock", "change", "expires", "finishes", "at", "status"];
        let pairs: Vec<(&str, &str)> = names.iter().copied().zip(values.iter().map(String::as_str)).collect();
        let base = fill(&pairs);
        if let Ok(world) = World::from_json(&base) {
            let s = exercise(world, &jumps);
            let saved = serde_json::to_string_pretty(&s.world()).unwrap();
            if let Err(e) = World::from_json(&saved) {
                proptest::prop_assert!(false, "the simulator wrote a world it refuses: {e}\n{saved}");
            }
        }
    }
}
