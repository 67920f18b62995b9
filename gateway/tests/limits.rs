//! Bounded work: requests past the limits are refused before anything else,
//! and malformed ones with Alibaba's codes.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic,
    reason = "tests unwrap and index what they just built, and fail by panicking"
)]

mod common;

use common::{Capture, assert_code, verifier};
use http::{HeaderMap, HeaderValue, Method};
use ramguard_gateway::signature::{AuthError, Limits, SignedRequest};

fn too_large(error: AuthError) -> (&'static str, usize) {
    assert_eq!((error.status(), error.code()), (400, "InvalidParameter"));
    match error {
        AuthError::TooLarge { what, limit } => (what, limit),
        other => panic!("not a limit: {other:?}"),
    }
}

#[test]
fn the_defaults_are_documented_ones() {
    let limits = Limits::default();
    assert_eq!(
        (
            limits.target_bytes,
            limits.header_fields,
            limits.header_bytes,
            limits.body_bytes,
            limits.parameters,
            limits.nonce_bytes
        ),
        (32 * 1024, 100, 64 * 1024, 1024 * 1024, 1000, 128)
    );
}

#[test]
fn each_limit_is_enforced_with_an_alibaba_error() {
    let mut long = Capture::get(0);
    long.target.push_str(&"&a=b".repeat(9000));
    let error = long.verify_fresh().unwrap_err();
    assert_eq!(error.message(), "The request exceeds a limit of this gateway: at most 32768 path and query bytes.");
    assert_eq!(too_large(error), ("path and query bytes", 32 * 1024));

    let mut many = Capture::get(0);
    for n in 0..100 {
        many.headers.push((format!("x-extra-{n}"), "1".into()));
    }
    assert_eq!(too_large(many.verify_fresh().unwrap_err()), ("header fields", 100));

    let mut heavy = Capture::get(0);
    heavy.headers.push(("x-extra".into(), "v".repeat(64 * 1024)));
    assert_eq!(too_large(heavy.verify_fresh().unwrap_err()), ("header bytes", 64 * 1024));

    let mut big = Capture::get(1);
    big.body = vec![b'a'; 1024 * 1024 + 1];
    assert_eq!(too_large(big.verify_fresh().unwrap_err()), ("body bytes", 1024 * 1024));

    let mut numerous = Capture::get(1);
    numerous.body = (0..1001).map(|n| format!("P{n}=1")).collect::<Vec<_>>().join("&").into_bytes();
    assert_eq!(too_large(numerous.verify_fresh().unwrap_err()), ("parameters", 1000));

    let mut nonce = Capture::get(0);
    nonce.set_header("x-acs-signature-nonce", &"n".repeat(129));
    let error = assert_code(nonce.verify_fresh(), 400, "InvalidParameter");
    assert_eq!(error.message(), "The specified parameter \"x-acs-signature-nonce\" is not valid.");
}

#[test]
fn limits_can_be_set() {
    let capture = Capture::get(1);
    let mut limits = Limits::default();
    limits.body_bytes = 100;
    let verifier = verifier().with_limits(limits);
    assert_eq!(verifier.limits().body_bytes, 100);
    assert_eq!(too_large(capture.verify(&verifier, capture.timestamp()).unwrap_err()), ("body bytes", 100));
}

#[test]
fn malformed_requests_get_alibaba_codes() {
    let mut escape = Capture::get(0);
    escape.edit_target("RegionId=cn-hangzhou", "RegionId=cn-hangzhou%G0");
    assert_eq!(escape.verify_fresh().unwrap_err(), AuthError::InvalidParameter { name: "RegionId".into() });

    let mut nameless = Capture::get(0);
    nameless.target.push_str("&=x");
    let error = assert_code(nameless.verify_fresh(), 400, "InvalidParameter");
    assert_eq!(error.message(), "The specified parameter is not valid.");

    let mut twice = Capture::get(0);
    let authorization = twice.header("Authorization").unwrap().to_owned();
    twice.headers.push(("authorization".into(), authorization));
    assert_code(twice.verify_fresh(), 400, "IncompleteSignature");

    let mut other = Capture::get(0);
    other.set_header("Authorization", "Bearer 0123");
    assert_code(other.verify_fresh(), 400, "IncompleteSignature");

    let mut binary = Capture::get(0);
    let mut headers = binary.header_map();
    headers.insert("user-agent", HeaderValue::from_bytes(b"caf\xe9").unwrap());
    let error = pollster::block_on(
        verifier()
            .verify(&SignedRequest::new(&binary.method, &binary.target, &headers, &binary.body), binary.timestamp()),
    )
    .unwrap_err();
    assert_eq!(error, AuthError::InvalidParameter { name: "user-agent".into() });
    binary.body.clear();

    let empty = HeaderMap::new();
    let anonymous =
        pollster::block_on(verifier().verify(&SignedRequest::new(&Method::GET, "/", &empty, b""), binary.timestamp()));
    assert_code(anonymous, 400, "IncompleteSignature");
}

#[test]
fn a_request_without_host_header_signs_its_authority() {
    // HTTP/2 carries the host as the URI's authority, not as a header.
    let capture = Capture::get(0);
    let mut builder = http::Request::builder().method(capture.method.clone()).uri(format!(
        "http://{}{}",
        capture.header("host").unwrap(),
        capture.target
    ));
    for (name, value) in capture.headers.iter().filter(|(name, _)| name != "host") {
        builder = builder.header(name, value);
    }
    let (parts, body) = builder.body(capture.body.clone()).unwrap().into_parts();
    assert!(!parts.headers.contains_key("host"));
    let call =
        pollster::block_on(verifier().verify(&SignedRequest::from_parts(&parts, &body), capture.timestamp())).unwrap();
    assert_eq!(call.action, "DeleteIpsecServer");
    // The host must be signed even when it comes as the authority.
    let mut unsigned = parts.clone();
    let authorization = unsigned.headers["authorization"].to_str().unwrap().replacen("host;", "", 1);
    unsigned.headers.insert("authorization", HeaderValue::from_str(&authorization).unwrap());
    let error = assert_code(
        pollster::block_on(verifier().verify(&SignedRequest::from_parts(&unsigned, &body), capture.timestamp())),
        400,
        "IncompleteSignature",
    );
    assert_eq!(error, AuthError::IncompleteSignature { reason: "host is not signed" });
    // Without the authority, the signed host is absent.
    let headers = parts.headers.clone();
    let without = pollster::block_on(
        verifier().verify(&SignedRequest::new(&parts.method, &capture.target, &headers, &body), capture.timestamp()),
    );
    assert_code(without, 400, "IncompleteSignature");
}
