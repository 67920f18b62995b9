//! The guard in front of an axum application: only calls that an SDK signed
//! with a known key, and that the policies allow, reach the handler.
//!
//! The example serves on a free loopback port, calls itself twice as an SDK
//! would (signed with V3), and prints the answers: the delete in
//! `cn-hangzhou` is allowed and performed, the one in `cn-beijing` denied
//! with Alibaba's `AccessDeniedDetail`.
//!
//! Run with `cargo run -p ramguard-gateway --example axum_gateway`.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Extension, Request};
use axum::routing::any;
use axum::{Json, Router};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use ramguard::catalog::Catalog;
use ramguard::guard::Guard;
use ramguard::{Policy, PolicyKind, PolicySetBuilder};
use ramguard_gateway::layer::{Authorized, GuardLayer};
use ramguard_gateway::rpc::{Gateway, Key, KeyRing, Peer};
use ramguard_gateway::signature::{Credential, MemoryNonceStore, Secret, v3};
use serde_json::{Value, json};

/// The operation itself: here it only answers; a real one would delete.
async fn perform(Extension(call): Extension<Authorized>) -> Json<Value> {
    println!("  performing {} on {}", call.action, call.parameters.get("IpsecServerId").map_or("?", String::as_str));
    Json(json!({"RequestId": call.request_id}))
}

/// Tells the gateway who is calling, from the connection.
async fn with_peer(ConnectInfo(addr): ConnectInfo<SocketAddr>, mut request: Request) -> Request {
    request.extensions_mut().insert(Peer { addr, secure: false });
    request
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut policies = PolicySetBuilder::new();
    policies.add(Policy::parse(
        "ops",
        r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "vpc:DeleteIpsecServer",
            "Resource": "acs:vpc:cn-hangzhou:*:vpnipsecserver/*"}]}"#,
        PolicyKind::Identity,
    )?);
    let guard = Arc::new(Guard::new(policies.build()?, Catalog::builtin()?.clone()));
    let mut keys = KeyRing::new();
    let alice = "acs:ram::1234567890123456:user/alice".parse()?;
    keys.insert("LTAI5tExampleKeyId", Key::new(Credential::permanent(Secret::new("ExampleSecret123")), alice));
    let gateway = Arc::new(Gateway::new(guard, keys, MemoryNonceStore::new(100_000)));

    let app = Router::new()
        .route("/", any(perform))
        .layer(GuardLayer::new(gateway))
        .layer(axum::middleware::map_request(with_peer));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await });

    for (region, nonce) in [("cn-hangzhou", "8c7d1e2a"), ("cn-beijing", "1f0e9d8c")] {
        let uri = format!("http://{addr}/?RegionId={region}&IpsecServerId=iss-bp1jougp8cfsbo8y9");
        let (mut parts, body) = http::Request::post(uri).body(Bytes::new())?.into_parts();
        let secret = Secret::new("ExampleSecret123");
        let now = time::OffsetDateTime::now_utc();
        let signing = v3::V3Signing::new("LTAI5tExampleKeyId", &secret, "DeleteIpsecServer", "2016-04-28", now, nonce);
        v3::sign(&mut parts, &body, &signing)?;
        parts.uri = parts.uri.path_and_query().map_or("/", |p| p.as_str()).parse()?;

        let stream = tokio::net::TcpStream::connect(addr).await?;
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        let response = sender.send_request(http::Request::from_parts(parts, Full::new(body))).await?;
        let status = response.status();
        let answer = response.into_body().collect().await?.to_bytes();
        println!("DeleteIpsecServer in {region}: HTTP {status}\n  {}", String::from_utf8_lossy(&answer));
    }
    Ok(())
}
