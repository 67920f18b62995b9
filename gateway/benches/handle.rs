//! The gateway's cost per call in process, without HTTP: the compiled
//! decision alone (the baseline), the guard around the simulator, and the
//! whole of `Gateway::handle` (V3 verification, the key's policies, the
//! guard, the simulator) on a signed `DescribeVpnGateway`.

#![allow(clippy::unwrap_used, reason = "a benchmark stops at once on a broken setup")]

use std::collections::BTreeMap;
use std::hint::black_box;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use ramguard::catalog::{Caller, Catalog};
use ramguard::guard::Guard;
use ramguard::sim::{Simulator, World};
use ramguard::{Policy, PolicyKind, PolicySetBuilder, Principal};
use ramguard_gateway::rpc::{Gateway, Key, KeyRing, Peer};
use ramguard_gateway::signature::{
    AuthError, Authenticated, Credential, Credentials, MemoryNonceStore, NonceStore, Secret, SignedRequest, Verifier,
    format_timestamp, v1, v3,
};

const POLICY: &str = r#"{"Version": "1", "Statement": [
    {"Effect": "Allow", "Action": ["vpc:DescribeVpnGateway", "vpc:ListIpsecServers"], "Resource": "*"},
    {"Effect": "Deny", "Action": "vpc:Delete*", "Resource": "*",
     "Condition": {"NotIpAddress": {"acs:SourceIp": "203.0.113.0/24"}}}]}"#;

fn world() -> World {
    World::from_json(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../policies/worlds/network.json")).unwrap(),
    )
    .unwrap()
}

/// Verifies one signed request with `verifier`, as the gateway does.
fn verifying<C: Credentials, N: NonceStore>(
    verifier: &Verifier<C, N>,
) -> impl FnMut(&mut (http::request::Parts, Bytes)) -> Result<Authenticated, AuthError> + '_ {
    move |(parts, body)| {
        let authenticated = pollster::block_on(
            verifier.verify(&SignedRequest::from_parts(parts, body), time::OffsetDateTime::now_utc()),
        );
        assert!(authenticated.is_ok(), "{authenticated:?}");
        authenticated
    }
}

fn bench(c: &mut Criterion) {
    let mut builder = PolicySetBuilder::new();
    builder.add(Policy::parse("ops", POLICY, PolicyKind::Identity).unwrap());
    let policies = builder.build().unwrap();
    let catalog = Catalog::builtin().unwrap().clone();
    let alice: Principal = "acs:ram::1234567890123456:user/alice".parse().unwrap();
    let params: BTreeMap<String, String> = [("RegionId", "cn-hangzhou"), ("VpnGatewayId", "vpn-bp1hgim8by0kc9nga")]
        .into_iter()
        .map(|(k, v)| (k.into(), v.into()))
        .collect();
    let mut caller = Caller::new(alice.clone());
    caller.source_ip = Some("127.0.0.1".into());
    let operation = catalog.get("vpc:DescribeVpnGateway").unwrap().clone();
    let request = operation.authorization_request(&params, &caller).unwrap();

    let mut group = c.benchmark_group("gateway");
    group.bench_function("authorize (compiled set)", |b| b.iter(|| black_box(policies.authorize(black_box(&request)))));

    let guard = Arc::new(Guard::new(policies.clone(), catalog.clone()));
    let simulator = Simulator::new(world());
    group.bench_function("guard.call (simulator)", |b| {
        b.iter(|| {
            pollster::block_on(guard.call(&simulator, "vpc:DescribeVpnGateway", black_box(&params), &caller)).unwrap()
        })
    });

    let mut keys = KeyRing::new();
    keys.insert("LTAI5tExampleKeyId", Key::new(Credential::permanent(Secret::new("ExampleSecret123")), alice));
    // Each benchmark that verifies has a gateway, and so a nonce store, of
    // its own, with room for every iteration's nonce: none pays for the
    // nonces another left.
    let fresh_gateway = || Gateway::new(guard.clone(), keys.clone(), MemoryNonceStore::new(100_000_000));
    let gateway = fresh_gateway();
    let peer = Peer { addr: SocketAddr::from(([127, 0, 0, 1], 40000)), secure: false };
    let secret = Secret::new("ExampleSecret123");
    let nonce = AtomicU64::new(0);
    let signed = || {
        let uri = "http://127.0.0.1:8080/?RegionId=cn-hangzhou&VpnGatewayId=vpn-bp1hgim8by0kc9nga";
        let (mut parts, body) = http::Request::post(uri).body(Bytes::new()).unwrap().into_parts();
        let n = format!("bench-{:016x}", nonce.fetch_add(1, Ordering::Relaxed));
        let signing = v3::V3Signing::new(
            "LTAI5tExampleKeyId",
            &secret,
            "DescribeVpnGateway",
            "2016-04-28",
            time::OffsetDateTime::now_utc(),
            &n,
        );
        v3::sign(&mut parts, &body, &signing).unwrap();
        (parts, body)
    };
    group.bench_function("sign (client side, for reference)", |b| b.iter(|| black_box(signed())));
    // The verifier the gateway serves with, over its shared key ring; the
    // request is dropped after the timing, as only its verification counts.
    let v3_gateway = fresh_gateway();
    let verifier = v3_gateway.verifier();
    group.bench_function("verify (V3, DescribeVpnGateway)", |b| {
        b.iter_batched_ref(signed, verifying(verifier), criterion::BatchSize::SmallInput)
    });
    // A V1 request as aliyun-python-sdk-core sends one: every parameter and
    // the signature in the query, and the unsigned x-acs-action and
    // x-acs-version headers.
    let signed_v1 = || {
        let n = format!("bench-{:016x}", nonce.fetch_add(1, Ordering::Relaxed));
        let timestamp = format_timestamp(time::OffsetDateTime::now_utc());
        let mut parameters: BTreeMap<String, String> = [
            ("AccessKeyId", "LTAI5tExampleKeyId"),
            ("Action", "DescribeVpnGateway"),
            ("Format", "JSON"),
            ("RegionId", "cn-hangzhou"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", n.as_str()),
            ("SignatureType", ""),
            ("SignatureVersion", "1.0"),
            ("Timestamp", timestamp.as_str()),
            ("Version", "2016-04-28"),
            ("VpnGatewayId", "vpn-bp1hgim8by0kc9nga"),
        ]
        .into_iter()
        .map(|(k, v)| (k.into(), v.into()))
        .collect();
        let signature = v1::signature(&secret, &v1::string_to_sign("POST", &parameters));
        parameters.insert("Signature".into(), signature);
        let query: Vec<String> = parameters
            .iter()
            .map(|(k, v)| {
                format!("{k}={}", percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC))
            })
            .collect();
        let uri = format!("http://127.0.0.1:8080/?{}", query.join("&"));
        let (parts, body) = http::Request::post(uri)
            .header("host", "127.0.0.1:8080")
            .header("x-acs-action", "DescribeVpnGateway")
            .header("x-acs-version", "2016-04-28")
            .body(Bytes::new())
            .unwrap()
            .into_parts();
        (parts, body)
    };
    let v1_gateway = fresh_gateway();
    let verifier = v1_gateway.verifier();
    group.bench_function("verify (V1, DescribeVpnGateway)", |b| {
        b.iter_batched_ref(signed_v1, verifying(verifier), criterion::BatchSize::SmallInput)
    });
    group.bench_function("Gateway::handle (verify, authorize, simulator)", |b| {
        b.iter_batched(
            signed,
            |(parts, body)| {
                let handled = pollster::block_on(gateway.handle(&parts, &body, &peer, &simulator));
                assert_eq!(handled.response.status(), 200);
                handled
            },
            criterion::BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
