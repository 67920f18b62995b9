//! Temporary (STS) credentials: the right token passes; a wrong, missing or
//! unexpected token and an expired credential are refused with Alibaba's
//! codes, after the signature and before the nonce is used up.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic,
    reason = "tests unwrap and index what they just built, and fail by panicking"
)]

mod common;

use std::collections::{BTreeMap, HashMap};

use common::{KEY_ID, SECRET, assert_code, minutes, spec_v1_query, v1_protocol, verifier_with};
use http::Method;
use ramguard_gateway::signature::{
    AuthError, Authenticated, Credential, Secret, SignedRequest, format_timestamp, parse_timestamp, v3,
};
use time::OffsetDateTime;

const TOKEN: &str = "CAIS8wF1q6Ft5B2yfSjIr5fFOtbYiO1r0Y2nR0H9kWkhQ+M3SaOw";

fn now() -> OffsetDateTime {
    parse_timestamp("2026-11-22T12:20:36Z").unwrap()
}

fn temporary(expires_at: OffsetDateTime) -> common::TestVerifier {
    verifier_with(HashMap::from([(KEY_ID.to_owned(), Credential::temporary(Secret::new(SECRET), TOKEN, expires_at))]))
}

/// A V3 request signed at `at` with `nonce`, carrying `token` if any.
fn v3_request(at: OffsetDateTime, nonce: &str, token: Option<&str>) -> (http::request::Parts, Vec<u8>) {
    let (mut parts, body) = http::Request::post("http://vpc.example/?RegionId=cn-hangzhou&IpsecServerId=iss-1")
        .body(Vec::new())
        .unwrap()
        .into_parts();
    let secret = Secret::new(SECRET);
    let mut signing = v3::V3Signing::new(KEY_ID, &secret, "DeleteIpsecServer", "2016-04-28", at, nonce);
    if let Some(token) = token {
        signing = signing.with_security_token(token);
    }
    v3::sign(&mut parts, &body, &signing).unwrap();
    (parts, body)
}

fn verify_v3(
    verifier: &common::TestVerifier,
    request: &(http::request::Parts, Vec<u8>),
    now: OffsetDateTime,
) -> Result<Authenticated, AuthError> {
    pollster::block_on(verifier.verify(&SignedRequest::from_parts(&request.0, &request.1), now))
}

#[test]
fn the_right_token_passes_and_is_returned() {
    let verifier = temporary(now() + minutes(60));
    let call = verify_v3(&verifier, &v3_request(now(), "n1", Some(TOKEN)), now()).unwrap();
    assert_eq!(call.security_token.as_deref(), Some(TOKEN));
    assert!(!format!("{call:?}").contains(TOKEN), "Debug shows no token");
}

#[test]
fn a_missing_token_is_missing_security_token() {
    let verifier = temporary(now() + minutes(60));
    let error = assert_code(verify_v3(&verifier, &v3_request(now(), "n1", None), now()), 400, "MissingSecurityToken");
    assert_eq!(error.message(), "SecurityToken is mandatory for this action.");
}

#[test]
fn another_token_mismatches_the_access_key() {
    let verifier = temporary(now() + minutes(60));
    let request = v3_request(now(), "n1", Some("CAIS-another-session"));
    let error = assert_code(verify_v3(&verifier, &request, now()), 400, "InvalidSecurityToken.MismatchWithAccessKey");
    assert_eq!(error.message(), "Specified SecurityToken mismatch with the AccessKey.");
}

#[test]
fn a_token_with_a_permanent_key_mismatches() {
    let verifier = common::verifier();
    let request = v3_request(now(), "n1", Some(TOKEN));
    assert_code(verify_v3(&verifier, &request, now()), 400, "InvalidSecurityToken.MismatchWithAccessKey");
}

#[test]
fn an_expired_credential_is_refused_from_its_expiry_on() {
    let expires_at = now() + minutes(10);
    let verifier = temporary(expires_at);
    let just_before = expires_at - time::Duration::seconds(1);
    assert!(verify_v3(&verifier, &v3_request(just_before, "n1", Some(TOKEN)), just_before).is_ok());
    let error = assert_code(
        verify_v3(&verifier, &v3_request(expires_at, "n2", Some(TOKEN)), expires_at),
        400,
        "InvalidSecurityToken.Expired",
    );
    assert_eq!(error.message(), "Specified SecurityToken is expired.");
}

#[test]
fn a_refused_token_uses_up_no_nonce() {
    let verifier = temporary(now() + minutes(60));
    assert_code(
        verify_v3(&verifier, &v3_request(now(), "n1", Some("CAIS-wrong")), now()),
        400,
        "InvalidSecurityToken.MismatchWithAccessKey",
    );
    assert!(verify_v3(&verifier, &v3_request(now(), "n1", Some(TOKEN)), now()).is_ok());
}

#[test]
fn the_token_is_signed_so_it_cannot_be_swapped() {
    let verifier = temporary(now() + minutes(60));
    let mut request = v3_request(now(), "n1", Some("CAIS-wrong"));
    request.0.headers.insert("x-acs-security-token", TOKEN.parse().unwrap());
    common::assert_does_not_match(verify_v3(&verifier, &request, now()));
}

fn v1_call(token: Option<&str>, nonce: &str) -> String {
    let mut parameters: BTreeMap<String, String> =
        v1_protocol("DeleteVpnConnection", "2016-04-28", &format_timestamp(now()), nonce);
    parameters.insert("VpnConnectionId".into(), "vco-1".into());
    if let Some(token) = token {
        parameters.insert("SecurityToken".into(), token.into());
    }
    spec_v1_query("POST", &parameters, SECRET)
}

#[test]
fn v1_takes_the_token_as_a_signed_parameter() {
    let verifier = temporary(now() + minutes(60));
    let headers = http::HeaderMap::new();
    let verify = |target: &str| {
        pollster::block_on(verifier.verify(&SignedRequest::new(&Method::POST, target, &headers, b""), now()))
    };

    let call = verify(&v1_call(Some(TOKEN), "n1")).unwrap();
    assert_eq!(call.security_token.as_deref(), Some(TOKEN));
    assert_eq!(call.parameters, BTreeMap::from([("VpnConnectionId".to_owned(), "vco-1".to_owned())]));
    assert_code(verify(&v1_call(None, "n2")), 400, "MissingSecurityToken");
    assert_code(verify(&v1_call(Some("CAIS-other"), "n3")), 400, "InvalidSecurityToken.MismatchWithAccessKey");
}
