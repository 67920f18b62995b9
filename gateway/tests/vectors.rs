//! The signature algorithms against the vectors of operations.md section 4:
//! the V3 SDK's own test vector, Alibaba's documented V1 example, and the
//! three requests captured from the official Python SDKs.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic,
    reason = "tests unwrap and index what they just built, and fail by panicking"
)]

mod common;

use std::collections::BTreeMap;

use common::{Capture, KEY_ID, SECRET, query_parameters, spec_v1_signature, spec_v1_string_to_sign};
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use ramguard_gateway::signature::{Secret, SignedRequest, format_timestamp, v1, v3};
use sha2::{Digest, Sha256};

fn owned(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|&(name, value)| (name.to_owned(), value.to_owned())).collect()
}

#[test]
fn v3_sdk_vector_gives_its_canonical_request_and_signature() {
    let query = owned(&[("test", "ok"), ("empty", "")]);
    let mut headers = HeaderMap::new();
    headers.append(HeaderName::from_bytes(b"x-acs-test").unwrap(), HeaderValue::from_static("http"));
    headers.append(HeaderName::from_bytes(b"x-acs-TEST").unwrap(), HeaderValue::from_static("https"));
    let payload = "55e12e91650d2fec56ec74e1d3e4ddbfce2ef3a65890c2a19ecf88a307e76a23";

    let canonical = v3::canonical_request(&Method::GET, "/", &query, &headers, payload).unwrap();
    assert_eq!(
        canonical,
        "GET\n/\nempty=&test=ok\nx-acs-test:http,https\n\nx-acs-test\n\
         55e12e91650d2fec56ec74e1d3e4ddbfce2ef3a65890c2a19ecf88a307e76a23"
    );
    let string_to_sign = v3::string_to_sign(&canonical);
    assert_eq!(string_to_sign, format!("ACS3-HMAC-SHA256\n{}", hex::encode(Sha256::digest(canonical.as_bytes()))));
    assert_eq!(
        v3::signature(&Secret::new("secret"), &string_to_sign),
        "d16b30a7699ae9e43875b13195b2f81bcc3ed10c14a9b5eb780e51619aa50be1"
    );
}

#[test]
fn v1_documented_vector_gives_its_signature() {
    let parameters = owned(&[
        ("AccessKeyId", "testid"),
        ("Action", "DescribeRegions"),
        ("Format", "XML"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
        ("SignatureVersion", "1.0"),
        ("Timestamp", "2016-02-23T12:46:24Z"),
        ("Version", "2014-05-26"),
    ]);
    let string_to_sign = v1::string_to_sign("GET", &parameters);
    assert_eq!(
        string_to_sign,
        "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1\
         %26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0\
         %26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26"
    );
    assert_eq!(string_to_sign, spec_v1_string_to_sign("GET", &parameters));
    assert_eq!(v1::signature(&Secret::new("testsecret"), &string_to_sign), "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
    assert_eq!(spec_v1_signature("testsecret", &string_to_sign), "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
}

/// The Authorization's `SignedHeaders` and `Signature`.
fn authorization_parts(capture: &Capture) -> (Vec<String>, String) {
    let authorization = capture.header("Authorization").unwrap();
    let signed = authorization.split("SignedHeaders=").nth(1).unwrap().split(',').next().unwrap();
    let signature = authorization.split("Signature=").nth(1).unwrap();
    (signed.split(';').map(str::to_owned).collect(), signature.to_owned())
}

#[test]
fn the_v3_primitives_reproduce_both_v3_captures() {
    for capture in Capture::all().into_iter().filter(|c| c.signature_version == "ACS3-HMAC-SHA256") {
        let (signed, signature) = authorization_parts(&capture);
        let mut headers = HeaderMap::new();
        for (name, value) in &capture.headers {
            if signed.contains(&name.to_ascii_lowercase()) {
                headers.append(HeaderName::from_bytes(name.as_bytes()).unwrap(), HeaderValue::from_str(value).unwrap());
            }
        }
        assert_eq!(headers.keys_len(), signed.len());
        let payload = hex::encode(Sha256::digest(&capture.body));
        assert_eq!(capture.header("x-acs-content-sha256"), Some(payload.as_str()));
        let canonical =
            v3::canonical_request(&capture.method, "/", &query_parameters(&capture.target), &headers, &payload)
                .unwrap();
        assert_eq!(v3::signature(&Secret::new(SECRET), &v3::string_to_sign(&canonical)), signature, "{canonical}");
    }
}

#[test]
fn the_v1_primitives_reproduce_the_v1_capture() {
    let capture = Capture::get(2);
    let parameters = query_parameters(&capture.target);
    assert_eq!(parameters["Signature"], "+sY7iNbeG34F1GSSxUvXSyTDBXg=");
    assert_eq!(parameters["SignatureType"], "");
    let string_to_sign = v1::string_to_sign("POST", &parameters);
    assert_eq!(string_to_sign, spec_v1_string_to_sign("POST", &parameters));
    assert!(string_to_sign.contains("%26SignatureType%3D%26"), "{string_to_sign}");
    assert_eq!(v1::signature(&Secret::new(SECRET), &string_to_sign), "+sY7iNbeG34F1GSSxUvXSyTDBXg=");
}

#[test]
fn signing_a_capture_again_with_its_date_and_nonce_verifies() {
    for capture in Capture::all().into_iter().filter(|c| c.signature_version == "ACS3-HMAC-SHA256") {
        let mut builder = http::Request::builder().method(capture.method.clone()).uri(&capture.target);
        for (name, value) in capture.headers.iter().filter(|(name, _)| !name.eq_ignore_ascii_case("authorization")) {
            builder = builder.header(name, value);
        }
        let (mut parts, body) = builder.body(capture.body.clone()).unwrap().into_parts();
        let secret = Secret::new(SECRET);
        let date = capture.timestamp();
        let action = capture.header("x-acs-action").unwrap();
        let version = capture.header("x-acs-version").unwrap();
        let nonce = capture.header("x-acs-signature-nonce").unwrap();
        v3::sign(&mut parts, &body, &v3::V3Signing::new(KEY_ID, &secret, action, version, date, nonce)).unwrap();
        assert_eq!(parts.headers["x-acs-date"], format_timestamp(date).as_str());
        assert_eq!(parts.headers["x-acs-content-sha256"], capture.header("x-acs-content-sha256").unwrap());
        let authorization = parts.headers["authorization"].to_str().unwrap();
        let signed_headers = authorization.split("SignedHeaders=").nth(1).unwrap().split(',').next().unwrap();
        let expected = if body.is_empty() {
            "host;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version"
        } else {
            "content-type;host;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version"
        };
        assert_eq!(signed_headers, expected);
        let authenticated =
            pollster::block_on(common::verifier().verify(&SignedRequest::from_parts(&parts, &body), date)).unwrap();
        assert_eq!(authenticated.action, action);
    }
}
