//! The simulator's answers, read by the official Alibaba Cloud SDKs: for
//! every Alibaba Cloud (RPC) operation of the built-in catalog, a
//! successful call's body goes through the operation's response model in
//! the V3 Python SDK (`alibabacloud_vpc20160428`,
//! `alibabacloud_expressconnectrouter20230901`), and every member must
//! survive its `from_map` / `to_map` round trip under the model's own name
//! and type (`tests/sdk/check_models.py`). The SDK drops a member it has no
//! field for without a word, so a misspelt member reaches no client.
//!
//! The SDKs run in the environment `tests/common/python.rs` creates. The V1
//! SDK (`aliyun-python-sdk-vpc`) has no response models; ZStack is not an
//! Alibaba Cloud SDK's to read.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests unwrap what they just built, and stop with the whole report"
)]

#[path = "common/python.rs"]
mod python;

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

use ramguard::catalog::{Caller, Catalog, Operation, Style};
use ramguard::guard::Guard;
use ramguard::sim::{Simulator, UPDATE_SECONDS, World};
use ramguard::{Policy, PolicyKind, PolicySetBuilder};
use serde_json::{Value, json};

/// One of every resource the simulator holds, with every member a world
/// file can give it, so that the answers carry every member they can.
const WORLD: &str = r#"{
  "clock": 1764000000,
  "vpn_gateways": [{"VpnGatewayId": "vpn-1", "RegionId": "cn-hangzhou", "Status": "active"}],
  "ipsec_servers": [{"IpsecServerId": "iss-1", "RegionId": "cn-hangzhou", "VpnGatewayId": "vpn-1",
                     "IpsecServerName": "office", "LocalSubnet": "192.168.0.0/24",
                     "ClientIpPool": "10.10.0.0/24", "CreationTime": "2025-11-01T08:00:00Z"}],
  "vpn_connections": [{"VpnConnectionId": "vco-1", "RegionId": "cn-hangzhou", "VpnGatewayId": "vpn-1",
                       "Name": "branch", "LocalSubnet": "192.168.0.0/24", "RemoteSubnet": "172.16.0.0/24",
                       "CustomerGatewayId": "cgw-1", "CreateTime": 1761984000000}],
  "traffic_mirror_sessions": [{"TrafficMirrorSessionId": "tms-1", "RegionId": "cn-hangzhou",
                               "TrafficMirrorSessionStatus": "Created", "TrafficMirrorSessionName": "audit",
                               "TrafficMirrorTargetId": "eni-target", "TrafficMirrorTargetType": "NetworkInterface",
                               "TrafficMirrorFilterId": "tmf-1", "Priority": 1,
                               "TrafficMirrorSourceIds": ["eni-source"]}],
  "ecr_grants": [{"EcrId": "ecr-1", "EcrOwnerAliUid": "1210123456123456", "InstanceId": "vbr-1",
                  "InstanceType": "VBR", "InstanceRegionId": "cn-hangzhou"}]
}"#;

/// An action and its parameters.
type Call = (&'static str, Vec<(&'static str, &'static str)>);

/// The calls of each operation's check, in order, each of which must
/// succeed on [`WORLD`]: the operation, and for one that creates, a read
/// that shows what it created. A parameter value `@Name` is the member
/// `Name` of the previous answer. `None` for an operation with none yet.
fn calls(action: &str) -> Option<Vec<Call>> {
    const REGION: (&str, &str) = ("RegionId", "cn-hangzhou");
    let ecr = |instance| {
        vec![
            ("EcrId", "ecr-1"),
            ("EcrOwnerAliUid", "1210123456123456"),
            ("InstanceId", instance),
            ("InstanceType", "VBR"),
            ("InstanceRegionId", "cn-hangzhou"),
        ]
    };
    Some(match action {
        "vpc:DeleteIpsecServer" => vec![("vpc:DeleteIpsecServer", vec![REGION, ("IpsecServerId", "iss-1")])],
        "vpc:DeleteVpnConnection" => vec![("vpc:DeleteVpnConnection", vec![REGION, ("VpnConnectionId", "vco-1")])],
        "vpc:DeleteTrafficMirrorSession" => {
            vec![("vpc:DeleteTrafficMirrorSession", vec![REGION, ("TrafficMirrorSessionId", "tms-1")])]
        }
        "expressconnectrouter:RevokeInstanceFromExpressConnectRouter" => {
            vec![("expressconnectrouter:RevokeInstanceFromExpressConnectRouter", ecr("vbr-1"))]
        }
        "expressconnectrouter:GrantInstanceToExpressConnectRouter" => {
            vec![("expressconnectrouter:GrantInstanceToExpressConnectRouter", ecr("vbr-2"))]
        }
        "vpc:CreateIpsecServer" => vec![
            (
                "vpc:CreateIpsecServer",
                vec![
                    REGION,
                    ("VpnGatewayId", "vpn-1"),
                    ("LocalSubnet", "192.168.1.0/24"),
                    ("ClientIpPool", "10.20.0.0/24"),
                    ("IpSecServerName", "lab"),
                ],
            ),
            ("vpc:ListIpsecServers", vec![REGION]),
        ],
        "vpc:UpdateIpsecServer" => {
            vec![("vpc:UpdateIpsecServer", vec![REGION, ("IpsecServerId", "iss-1"), ("IpsecServerName", "hq")])]
        }
        "vpc:ListIpsecServers" => vec![("vpc:ListIpsecServers", vec![REGION])],
        "vpc:CreateVpnConnection" => vec![
            (
                "vpc:CreateVpnConnection",
                vec![
                    REGION,
                    ("VpnGatewayId", "vpn-1"),
                    ("LocalSubnet", "192.168.2.0/24"),
                    ("RemoteSubnet", "172.16.2.0/24"),
                    ("CustomerGatewayId", "cgw-2"),
                    ("Name", "depot"),
                ],
            ),
            ("vpc:DescribeVpnConnection", vec![REGION, ("VpnConnectionId", "@VpnConnectionId")]),
        ],
        "vpc:ModifyVpnConnectionAttribute" => vec![(
            "vpc:ModifyVpnConnectionAttribute",
            vec![REGION, ("VpnConnectionId", "vco-1"), ("Name", "branch-2"), ("RemoteSubnet", "172.16.9.0/24")],
        )],
        "vpc:DescribeVpnConnection" => vec![("vpc:DescribeVpnConnection", vec![REGION, ("VpnConnectionId", "vco-1")])],
        "vpc:DescribeVpnGateway" => vec![("vpc:DescribeVpnGateway", vec![REGION, ("VpnGatewayId", "vpn-1")])],
        "vpc:CreateTrafficMirrorSession" => vec![
            (
                "vpc:CreateTrafficMirrorSession",
                vec![
                    REGION,
                    ("TrafficMirrorTargetId", "eni-target"),
                    ("TrafficMirrorTargetType", "NetworkInterface"),
                    ("TrafficMirrorFilterId", "tmf-1"),
                    ("Priority", "2"),
                    ("TrafficMirrorSourceIds.1", "eni-a"),
                    ("TrafficMirrorSourceIds.2", "eni-b"),
                    ("TrafficMirrorSessionName", "capture"),
                ],
            ),
            ("vpc:ListTrafficMirrorSessions", vec![REGION]),
        ],
        "vpc:ListTrafficMirrorSessions" => vec![("vpc:ListTrafficMirrorSessions", vec![REGION])],
        "expressconnectrouter:DescribeInstanceGrantedToExpressConnectRouter" => {
            vec![("expressconnectrouter:DescribeInstanceGrantedToExpressConnectRouter", vec![("EcrId", "ecr-1")])]
        }
        _ => return None,
    })
}

/// A case for the model check: the body of `operation`'s answer.
fn case(name: &str, operation: &Operation, body: &Value) -> Value {
    json!({"name": name, "product": operation.product, "version": operation.version,
           "api": operation.api, "body": body})
}

/// Runs the model check on `cases` with the SDK environment's Python, and
/// returns its results, one per case.
fn read_with_models(cases: &[Value]) -> Vec<Value> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sdk/check_models.py");
    let mut child = Command::new(python::sdk_python())
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(serde_json::to_string(cases).unwrap().as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{script} failed:\n{}", String::from_utf8_lossy(&output.stderr));
    let results: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(results.len(), cases.len(), "one result per case");
    results
}

#[test]
fn every_simulated_answer_reads_into_its_sdk_model_unchanged() {
    let mut policies = PolicySetBuilder::new();
    let allow_all = r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#;
    policies.add(Policy::parse("allow-all", allow_all, PolicyKind::Identity).unwrap());
    let catalog = Catalog::builtin().unwrap();
    let guard = Guard::new(policies.build().unwrap(), catalog.clone());
    let caller = Caller::new("acs:ram::1234567890123456:user/alice".parse().unwrap());

    let mut failures = Vec::new();
    let mut cases = Vec::new();
    let mut checked = Vec::new();
    for operation in catalog.operations().iter().filter(|op| op.style == Style::Rpc) {
        let Some(calls) = calls(&operation.action) else {
            failures.push(format!("{}: no successful call to check; add one to `calls`", operation.action));
            continue;
        };
        checked.push(operation.action.clone());
        let simulator = Simulator::new(World::from_json(WORLD).unwrap());
        let mut previous = Value::Null;
        for (step, (action, params)) in calls.into_iter().enumerate() {
            let params: BTreeMap<String, String> = params
                .into_iter()
                .map(|(name, value)| {
                    let value = match value.strip_prefix('@') {
                        Some(member) => previous[member].as_str().unwrap_or_default().to_owned(),
                        None => value.to_owned(),
                    };
                    (name.to_owned(), value)
                })
                .collect();
            let out = pollster::block_on(guard.call(&simulator, action, &params, &caller)).unwrap();
            let name = if step == 0 { action.to_owned() } else { format!("{} then {action}", operation.action) };
            if !out.response.is_success() {
                failures.push(format!("{name}: answered {} {}", out.response.status, out.response.body));
                break;
            }
            cases.push(case(&name, catalog.get(action).unwrap(), &out.response.body));
            previous = out.response.body;
            simulator.advance(UPDATE_SECONDS);
        }
    }
    for result in read_with_models(&cases) {
        let name = result["name"].as_str().unwrap();
        if result["model"].is_null() {
            failures.push(format!("{name}: the SDK has no response model for it"));
        }
        for problem in result["problems"].as_array().unwrap() {
            failures.push(format!("{name}: {}", problem.as_str().unwrap()));
        }
    }
    assert!(failures.is_empty(), "{} problems:\n{}", failures.len(), failures.join("\n"));
    let zstack = catalog.operations().iter().filter(|op| op.style == Style::Zstack).count();
    assert_eq!(checked.len() + zstack, catalog.operations().len(), "every operation but ZStack's is checked");
    assert!(checked.len() >= 15, "the built-in catalog's 15 Alibaba Cloud operations: {checked:?}");
}

#[test]
fn the_model_check_finds_dropped_renamed_mistyped_and_null_members() {
    let catalog = Catalog::builtin().unwrap();
    let op = |action| catalog.get(action).unwrap();
    let list_servers = op("vpc:ListIpsecServers");
    let cases = [
        case(
            "sound",
            list_servers,
            &json!({"RequestId": "r-1", "TotalCount": 1,
                    "IpsecServers": [{"IpsecServerId": "iss-1", "RegionId": "cn-hangzhou"}]}),
        ),
        case(
            "server under Id",
            list_servers,
            &json!({"RequestId": "r-1", "TotalCount": 1, "IpsecServers": [{"Id": "iss-1", "RegionId": "cn-hangzhou"}]}),
        ),
        case(
            "count as a number",
            op("vpc:ListTrafficMirrorSessions"),
            &json!({"RequestId": "r-1", "TotalCount": 1,
                    "TrafficMirrorSessions": [{"TrafficMirrorSessionId": "tms-1"}]}),
        ),
        case("null status", op("vpc:DescribeVpnGateway"), &json!({"RequestId": "r-1", "Status": null})),
        case("empty list", list_servers, &json!({"RequestId": "r-1", "IpsecServers": []})),
    ];
    let results = read_with_models(&cases);
    let problems = |i: usize| -> Vec<String> {
        results[i]["problems"].as_array().unwrap().iter().map(|p| p.as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(results[0]["model"], "alibabacloud_vpc20160428.models.ListIpsecServersResponseBody");
    assert_eq!(problems(0), Vec::<String>::new(), "a sound body passes");
    let id = problems(1);
    assert!(
        id.contains(&"ListIpsecServers.IpsecServers[0].Id: dropped by the SDK's from_map/to_map".to_owned()),
        "{id:?}"
    );
    assert!(id.iter().any(|p| p.contains("has no member `Id`")), "{id:?}");
    assert_eq!(problems(2), ["ListTrafficMirrorSessions.TotalCount: expected a string, found int 1"]);
    assert!(problems(3).iter().any(|p| p.contains("Status: null")), "{:?}", problems(3));
    assert!(problems(4).iter().any(|p| p.contains("an empty list")), "{:?}", problems(4));

    let mut unknown = op("vpc:DescribeVpnGateway").clone();
    unknown.api = "DescribeNoSuchThing".into();
    let results = read_with_models(&[case("no model", &unknown, &json!({"RequestId": "r-1"}))]);
    assert!(results[0]["model"].is_null(), "{results:?}");
}
