//! The check endpoint's decisions, made directly on a gateway: what it
//! believes of the proxy's description of the request, and what it answers.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests unwrap and index what they just built")]

use std::net::{IpAddr, SocketAddr};

use bytes::Bytes;
use ramguard::catalog::Catalog;
use ramguard::guard::Guard;
use ramguard::{Policy, PolicyKind, PolicySetBuilder};
use ramguard_gateway::check::check;
use ramguard_gateway::rpc::{Gateway, Key, KeyRing, Peer};
use ramguard_gateway::signature::{Credential, MemoryNonceStore, Secret, v3};
use serde_json::Value;

const KEY_ID: &str = "LTAI5tExampleKeyId";
const SECRET: &str = "ExampleSecret123";

/// Deleting IPsec servers over TLS only, from 203.0.113.0/24 only.
const POLICY: &str = r#"{"Version": "1", "Statement": [
    {"Effect": "Allow", "Action": "vpc:DeleteIpsecServer", "Resource": "*",
     "Condition": {"Bool": {"acs:SecureTransport": "true"}, "IpAddress": {"acs:SourceIp": "203.0.113.0/24"}}}]}"#;

const PROXY: &str = "127.0.0.3";

fn gateway() -> Gateway {
    let mut builder = PolicySetBuilder::new();
    builder.add(Policy::parse("tls-only", POLICY, PolicyKind::Identity).unwrap());
    let guard = std::sync::Arc::new(Guard::new(builder.build().unwrap(), Catalog::builtin().unwrap().clone()));
    let mut keys = KeyRing::new();
    let alice = "acs:ram::1234567890123456:user/alice".parse().unwrap();
    keys.insert(KEY_ID, Key::new(Credential::permanent(Secret::new(SECRET)), alice));
    Gateway::new(guard, keys, MemoryNonceStore::new(1_000)).with_trusted_proxies(vec![PROXY.parse().unwrap()])
}

/// A check request for a V3-signed `DeleteIpsecServer`, as a proxy sends it.
fn check_request(nonce: &str, extra: &[(&'static str, &str)]) -> http::request::Parts {
    let (mut parts, body) = http::Request::post("http://api.example/?RegionId=cn-hangzhou&IpsecServerId=iss-1")
        .body(Bytes::new())
        .unwrap()
        .into_parts();
    let secret = Secret::new(SECRET);
    let signing =
        v3::V3Signing::new(KEY_ID, &secret, "DeleteIpsecServer", "2016-04-28", time::OffsetDateTime::now_utc(), nonce);
    v3::sign(&mut parts, &body, &signing).unwrap();
    let original = parts.uri.path_and_query().unwrap().as_str().to_owned();
    let mut check = http::Request::get("/ramguard/check").body(()).unwrap().into_parts().0;
    check.headers = parts.headers;
    check.headers.insert("x-forwarded-method", "POST".parse().unwrap());
    check.headers.insert("x-forwarded-uri", original.parse().unwrap());
    for (name, value) in extra {
        check.headers.insert(*name, value.parse().unwrap());
    }
    check
}

fn peer(ip: &str) -> Peer {
    Peer { addr: SocketAddr::new(ip.parse::<IpAddr>().unwrap(), 40000), secure: false }
}

async fn decide(gateway: &Gateway, nonce: &str, from: &str, extra: &[(&'static str, &str)]) -> (u16, Value) {
    let trusted: Vec<IpAddr> = vec![PROXY.parse().unwrap()];
    let checked = check(gateway, &trusted, &check_request(nonce, extra), b"", peer(from)).await;
    let body = serde_json::from_slice(checked.response.body()).unwrap_or(Value::Null);
    assert_eq!(checked.allowed(), checked.response.status() == 200, "{body}");
    (checked.response.status().as_u16(), body)
}

#[tokio::test]
async fn tls_and_the_client_address_are_taken_from_a_trusted_proxy_only() {
    let gateway = gateway();
    let forwarded = [("x-forwarded-proto", "https"), ("x-forwarded-for", "203.0.113.7")];

    // The trusted proxy says: TLS, from 203.0.113.7. Allowed.
    let (status, body) = decide(&gateway, "n1", PROXY, &forwarded).await;
    assert_eq!(status, 200, "{body}");

    // The same words from anyone else are not believed: denied.
    let (status, body) = decide(&gateway, "n2", "198.51.100.9", &forwarded).await;
    assert_eq!((status, body["Code"].as_str()), (403, Some("Forbidden")), "{body}");

    // The trusted proxy, on plain HTTP: denied by the TLS condition.
    let (status, body) =
        decide(&gateway, "n3", PROXY, &[("x-forwarded-proto", "http"), ("x-forwarded-for", "203.0.113.7")]).await;
    assert_eq!((status, body["Code"].as_str()), (403, Some("Forbidden")), "{body}");

    // The trusted proxy, for a client outside the range: denied.
    let (status, body) =
        decide(&gateway, "n4", PROXY, &[("x-forwarded-proto", "https"), ("x-forwarded-for", "192.0.2.1")]).await;
    assert_eq!((status, body["Code"].as_str()), (403, Some("Forbidden")), "{body}");
}

#[tokio::test]
async fn a_description_that_does_not_read_is_refused_not_guessed() {
    let gateway = gateway();
    let (status, body) = decide(&gateway, "b1", PROXY, &[("x-forwarded-method", "PO ST")]).await;
    assert_eq!((status, body["Code"].as_str()), (400, Some("InvalidParameter")), "{body}");
    assert!(body["Message"].as_str().unwrap().contains("not an HTTP method"), "{body}");

    // nginx's form: the refusal as 403, the real status in a header.
    let trusted: Vec<IpAddr> = vec![PROXY.parse().unwrap()];
    let request =
        check_request("b2", &[("x-ramguard-refusal-status", "403"), ("x-forwarded-uri", "/?RegionId=cn-hangzhou")]);
    let checked = check(&gateway, &trusted, &request, b"", peer(PROXY)).await;
    assert_eq!(checked.response.status(), 403);
    assert_eq!(checked.response.headers()["x-ramguard-status"], "400");
    let envelope: Value = serde_json::from_slice(checked.response.body()).unwrap();
    assert_eq!(envelope["Code"], "SignatureDoesNotMatch", "the query is not the one signed: {envelope}");
    assert_eq!(
        serde_json::from_slice::<Value>(checked.response.headers()["x-ramguard-envelope"].as_bytes()).unwrap(),
        envelope
    );
    // Only 401 and 403 are taken as the refusal status.
    let request =
        check_request("b3", &[("x-ramguard-refusal-status", "200"), ("x-forwarded-uri", "/?RegionId=cn-hangzhou")]);
    let checked = check(&gateway, &trusted, &request, b"", peer(PROXY)).await;
    assert_eq!(checked.response.status(), 400);
}
