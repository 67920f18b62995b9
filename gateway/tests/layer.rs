//! The guard layer in a real axum server on a loopback port, called over
//! HTTP with requests signed as the SDKs sign them; behind it, the
//! simulated services perform what is allowed.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests unwrap and index what they just built")]

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::extract::{ConnectInfo, Extension, Request, State};
use axum::routing::any;
use axum::{Json, Router};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use ramguard::catalog::Catalog;
use ramguard::decision::decode_diagnostic_message;
use ramguard::guard::{Backend, Guard};
use ramguard::sim::{Simulator, World};
use ramguard::{Policy, PolicyKind, PolicySetBuilder};
use ramguard_gateway::layer::{Authorized, GuardLayer};
use ramguard_gateway::rpc::{Gateway, Key, KeyRing, Peer};
use ramguard_gateway::signature::{Credential, MemoryNonceStore, Secret, v3};
use serde_json::Value;
use tower::ServiceExt;

const KEY_ID: &str = "LTAI5tExampleKeyId";
const SECRET: &str = "ExampleSecret123";

const POLICY: &str = r#"{"Version": "1", "Statement": [
    {"Effect": "Allow", "Action": ["vpc:DeleteIpsecServer", "vpc:DeleteVpnConnection"],
     "Resource": "acs:vpc:cn-hangzhou:1234567890123456:*"},
    {"Effect": "Deny", "Action": "vpc:DeleteVpnConnection", "Resource": "*",
     "Condition": {"NotIpAddress": {"acs:SourceIp": "203.0.113.0/24"}}}]}"#;

const WORLD: &str = r#"{"clock": 1796219400,
    "vpn_gateways": [{"VpnGatewayId": "vpn-1", "RegionId": "cn-hangzhou", "Status": "active"}],
    "ipsec_servers": [{"IpsecServerId": "iss-1", "RegionId": "cn-hangzhou", "VpnGatewayId": "vpn-1"}],
    "vpn_connections": [{"VpnConnectionId": "vco-1", "RegionId": "cn-hangzhou", "VpnGatewayId": "vpn-1"}]}"#;

/// The services behind the gateway, and how many calls reached them.
struct Services {
    simulator: Simulator,
    catalog: Catalog,
    performed: AtomicUsize,
}

/// The inner service: performs an authorized call on the simulator.
async fn perform(
    State(services): State<Arc<Services>>,
    Extension(call): Extension<Authorized>,
) -> (http::StatusCode, Json<Value>) {
    services.performed.fetch_add(1, Ordering::SeqCst);
    // Give simultaneous calls time to overlap.
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let operation = services.catalog.get(&call.action).unwrap();
    let answer = services.simulator.perform(operation, &call.parameters, &call.request_id).await;
    (http::StatusCode::from_u16(answer.status).unwrap(), Json(answer.body))
}

struct Server {
    addr: SocketAddr,
    services: Arc<Services>,
}

fn gateway(trusted: Vec<IpAddr>) -> Arc<Gateway> {
    let mut builder = PolicySetBuilder::new();
    builder.add(Policy::parse("ops", POLICY, PolicyKind::Identity).unwrap());
    let guard = Arc::new(Guard::new(builder.build().unwrap(), Catalog::builtin().unwrap().clone()));
    let mut keys = KeyRing::new();
    let alice = "acs:ram::1234567890123456:user/alice".parse().unwrap();
    keys.insert(KEY_ID, Key::new(Credential::permanent(Secret::new(SECRET)), alice));
    Arc::new(Gateway::new(guard, keys, MemoryNonceStore::new(10_000)).with_trusted_proxies(trusted))
}

async fn with_peer(ConnectInfo(addr): ConnectInfo<SocketAddr>, mut request: Request) -> Request {
    request.extensions_mut().insert(Peer { addr, secure: false });
    request
}

fn services() -> Arc<Services> {
    Arc::new(Services {
        simulator: Simulator::new(World::from_json(WORLD).unwrap()),
        catalog: Catalog::builtin().unwrap().clone(),
        performed: AtomicUsize::new(0),
    })
}

fn app(gateway: Arc<Gateway>, services: Arc<Services>) -> Router {
    Router::new().route("/", any(perform)).with_state(services).layer(GuardLayer::new(gateway).max_body(4096))
}

async fn serve(trusted: Vec<IpAddr>) -> Server {
    let services = services();
    let app = app(gateway(trusted), services.clone()).layer(axum::middleware::map_request(with_peer));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await });
    Server { addr, services }
}

/// A request signed with V3 as the SDKs sign it.
fn signed(addr: SocketAddr, action: &str, query: &str, nonce: &str) -> http::Request<Bytes> {
    let (mut parts, body) =
        http::Request::post(format!("http://{addr}/?{query}")).body(Bytes::new()).unwrap().into_parts();
    let secret = Secret::new(SECRET);
    let signing = v3::V3Signing::new(KEY_ID, &secret, action, "2016-04-28", time::OffsetDateTime::now_utc(), nonce);
    v3::sign(&mut parts, &body, &signing).unwrap();
    parts.uri = parts.uri.path_and_query().unwrap().as_str().parse().unwrap();
    http::Request::from_parts(parts, body)
}

async fn send(addr: SocketAddr, request: http::Request<Bytes>) -> (u16, Value) {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await.unwrap();
    tokio::spawn(connection);
    let response = sender.send_request(request.map(Full::new)).await.unwrap();
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let json = serde_json::from_slice(&body);
    assert!(json.is_ok(), "not JSON: {}", String::from_utf8_lossy(&body));
    (status, json.unwrap())
}

#[tokio::test]
async fn an_allowed_call_reaches_the_service_and_changes_the_world() {
    let server = serve(Vec::new()).await;
    let request = signed(server.addr, "DeleteIpsecServer", "RegionId=cn-hangzhou&IpsecServerId=iss-1", "n-1");
    let (status, body) = send(server.addr, request).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["RequestId"].is_string());
    assert_eq!(server.services.performed.load(Ordering::SeqCst), 1);
    assert_eq!(server.services.simulator.world().vpn_gateways[0].status, "updating");
}

#[tokio::test]
async fn a_denied_call_is_answered_as_the_cloud_answers_and_never_reaches_the_service() {
    let server = serve(Vec::new()).await;
    let request = signed(server.addr, "DeleteVpnConnection", "RegionId=cn-hangzhou&VpnConnectionId=vco-1", "n-2");
    let (status, body) = send(server.addr, request).await;
    assert_eq!((status, body["Code"].as_str()), (403, Some("Forbidden")), "{body}");
    assert_eq!(body["AccessDeniedDetail"]["NoPermissionType"], "ExplicitDeny");
    assert_eq!(body["AccessDeniedDetail"]["AuthPrincipalDisplayName"], "alice");
    let message =
        decode_diagnostic_message(body["AccessDeniedDetail"]["EncodedDiagnosticMessage"].as_str().unwrap()).unwrap();
    assert_eq!(message.explicit_deny_statements, ["ops#1"]);
    let source = message.auth_conditions.iter().find(|c| c.key == "acs:sourceip").unwrap();
    assert_eq!(source.values, ["127.0.0.1"], "the source address is the connection's");
    let access = message.auth_conditions.iter().find(|c| c.key == "acs:accessid").unwrap();
    assert_eq!(access.values, [KEY_ID]);
    assert_eq!(server.services.performed.load(Ordering::SeqCst), 0);
    assert_eq!(server.services.simulator.world().vpn_connections.len(), 1);
}

#[tokio::test]
async fn context_keys_sent_as_parameters_change_nothing() {
    let server = serve(Vec::new()).await;
    let query = "RegionId=cn-hangzhou&VpnConnectionId=vco-1&acs%3ASourceIp=203.0.113.7\
                 &acs%3APrincipalARN=acs%3Aram%3A%3A1234567890123456%3Aroot&SourceIp=203.0.113.7";
    let (status, body) = send(server.addr, signed(server.addr, "DeleteVpnConnection", query, "n-3")).await;
    assert_eq!(status, 403, "{body}");
    let message =
        decode_diagnostic_message(body["AccessDeniedDetail"]["EncodedDiagnosticMessage"].as_str().unwrap()).unwrap();
    assert_eq!(message.auth_principal, "acs:ram::1234567890123456:user/alice");
    let source = message.auth_conditions.iter().find(|c| c.key == "acs:sourceip").unwrap();
    assert_eq!(source.values, ["127.0.0.1"]);
    assert_eq!(server.services.performed.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_trusted_proxy_names_the_caller_and_an_untrusted_peer_cannot() {
    let query = "RegionId=cn-hangzhou&VpnConnectionId=vco-1";
    let forwarded = |mut request: http::Request<Bytes>| {
        request.headers_mut().insert("x-forwarded-for", "203.0.113.7".parse().unwrap());
        request
    };
    let untrusted = serve(Vec::new()).await;
    let (status, _) =
        send(untrusted.addr, forwarded(signed(untrusted.addr, "DeleteVpnConnection", query, "n-4"))).await;
    assert_eq!(status, 403, "X-Forwarded-For from a peer that is not a trusted proxy is ignored");

    let trusted = serve(vec!["127.0.0.1".parse().unwrap()]).await;
    let (status, body) = send(trusted.addr, forwarded(signed(trusted.addr, "DeleteVpnConnection", query, "n-5"))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(trusted.services.performed.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn bad_signatures_unknown_actions_and_large_bodies_get_alibaba_envelopes() {
    let server = serve(Vec::new()).await;
    let mut tampered = signed(server.addr, "DeleteIpsecServer", "RegionId=cn-hangzhou&IpsecServerId=iss-1", "n-6");
    *tampered.uri_mut() = "/?RegionId=cn-hangzhou&IpsecServerId=iss-2".parse().unwrap();
    let (status, body) = send(server.addr, tampered).await;
    assert_eq!((status, body["Code"].as_str()), (400, Some("SignatureDoesNotMatch")), "{body}");
    assert!(body["Message"].as_str().unwrap().contains("server string to sign is:"));
    assert!(body["RequestId"].is_string());

    let unknown = signed(server.addr, "DeleteEverything", "RegionId=cn-hangzhou", "n-7");
    let (status, body) = send(server.addr, unknown).await;
    assert_eq!((status, body["Code"].as_str()), (404, Some("InvalidAction.NotFound")), "{body}");

    let mut large = signed(server.addr, "DeleteIpsecServer", "RegionId=cn-hangzhou&IpsecServerId=iss-1", "n-8");
    *large.body_mut() = Bytes::from(vec![b'a'; 5000]);
    let (status, body) = send(server.addr, large).await;
    assert_eq!((status, body["Code"].as_str()), (413, Some("InvalidParameter")), "{body}");
    assert_eq!(server.services.performed.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_request_without_its_peer_is_refused() {
    let services = services();
    let request =
        signed("127.0.0.1:1".parse().unwrap(), "DeleteIpsecServer", "RegionId=cn-hangzhou&IpsecServerId=iss-1", "n-9");
    let response =
        app(gateway(Vec::new()), services.clone()).oneshot(request.map(axum::body::Body::from)).await.unwrap();
    assert_eq!(response.status(), 500);
    let body: Value = serde_json::from_slice(&response.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(body["Code"], "InternalError");
    assert_eq!(services.performed.load(Ordering::SeqCst), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn simultaneous_requests_with_one_client_token_are_performed_once() {
    let server = serve(Vec::new()).await;
    let query = "RegionId=cn-hangzhou&IpsecServerId=iss-1&ClientToken=02fb3da4-130e-11e9";
    let calls: Vec<_> = (0..16)
        .map(|i| {
            let request = signed(server.addr, "DeleteIpsecServer", query, &format!("n-token-{i}"));
            tokio::spawn(send(server.addr, request))
        })
        .collect();
    let mut answers = Vec::new();
    for call in calls {
        answers.push(call.await.unwrap());
    }
    assert_eq!(server.services.performed.load(Ordering::SeqCst), 1, "the service was called more than once");
    let first = &answers[0];
    assert_eq!(first.0, 200, "{}", first.1);
    assert!(answers.iter().all(|a| a == first), "every caller gets the first answer: {answers:?}");
}

#[tokio::test]
async fn replayed_nonces_are_refused() {
    let server = serve(Vec::new()).await;
    let request = signed(server.addr, "DeleteIpsecServer", "RegionId=cn-hangzhou&IpsecServerId=iss-1", "n-10");
    let (first, _) = send(server.addr, request.clone()).await;
    let (status, body) = send(server.addr, request).await;
    assert_eq!(first, 200);
    assert_eq!((status, body["Code"].as_str()), (400, Some("SignatureNonceUsed")), "{body}");
    assert_eq!(server.services.performed.load(Ordering::SeqCst), 1);
}

/// Compiles only while the gateway can be shared between threads.
#[test]
fn the_gateway_and_its_layer_can_be_shared() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Gateway>();
    send_sync::<GuardLayer>();
}
