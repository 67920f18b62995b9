//! The three requests captured from the official Python SDKs: each
//! verifies with its credentials at its own time and yields its operation
//! and parameters; each change to what its signature covers, an unknown
//! key, a clock 16 minutes off, a replay and an unsigned `x-acs-action` are
//! refused with Alibaba's codes.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic,
    reason = "tests unwrap and index what they just built, and fail by panicking"
)]

mod common;

use std::collections::BTreeMap;

use common::{
    Capture, KEY_ID, assert_code, assert_does_not_match, minutes, query_parameters, spec_v1_string_to_sign, verifier,
};
use ramguard_gateway::signature::{AuthError, SignatureVersion};

fn owned(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|&(name, value)| (name.to_owned(), value.to_owned())).collect()
}

const V3_IPSEC: usize = 0;
const V3_ECR: usize = 1;
const V1_VPN: usize = 2;

#[test]
fn v3_delete_ipsec_server_verifies_with_its_query_parameters() {
    let capture = Capture::get(V3_IPSEC);
    let call = capture.verify_fresh().unwrap();
    assert_eq!(call.access_key_id, KEY_ID);
    assert_eq!(call.signature_version, SignatureVersion::V3);
    assert_eq!((call.action.as_str(), call.api_version.as_str()), ("DeleteIpsecServer", "2016-04-28"));
    assert_eq!(
        call.parameters,
        owned(&[
            ("ClientToken", "02fb3da4-130e-11e9-8e44-001"),
            ("DryRun", "false"),
            ("IpsecServerId", "iss-bp1jougp8cfsbo8y9xxxx"),
            ("RegionId", "cn-hangzhou"),
        ])
    );
    assert_eq!(call.nonce, "58f047248e793d4fdc27d49bc1dc989b");
    assert_eq!(call.timestamp.unix_timestamp(), 1_795_350_036);
    assert_eq!(call.security_token, None);
}

#[test]
fn v3_ecr_revoke_verifies_with_its_form_body_verbatim() {
    let capture = Capture::get(V3_ECR);
    let call = capture.verify_fresh().unwrap();
    assert_eq!(call.signature_version, SignatureVersion::V3);
    assert_eq!(
        (call.action.as_str(), call.api_version.as_str()),
        ("RevokeInstanceFromExpressConnectRouter", "2023-09-01")
    );
    assert_eq!(
        call.parameters,
        owned(&[
            ("DryRun", "False"),
            ("EcrId", "ecr-mezk2idmsd0vx2xxxx"),
            ("EcrOwnerAliUid", "1210123456123456"),
            ("InstanceId", "vbr-j6cwxhgg0s5nuephpxxxx"),
            ("InstanceRegionId", "cn-hangzhou"),
            ("InstanceType", "VBR"),
        ])
    );
    assert_eq!(call.nonce, "6b65372486de298c180ee610b698515f");
}

#[test]
fn v1_delete_vpn_connection_verifies_without_the_protocol_parameters() {
    let capture = Capture::get(V1_VPN);
    let call = capture.verify_fresh().unwrap();
    assert_eq!(call.access_key_id, KEY_ID);
    assert_eq!(call.signature_version, SignatureVersion::V1);
    assert_eq!((call.action.as_str(), call.api_version.as_str()), ("DeleteVpnConnection", "2016-04-28"));
    assert_eq!(
        call.parameters,
        owned(&[
            ("ClientToken", "02fb3da4-130e-11e9-8e44-0016e04115b"),
            ("RegionId", "cn-hangzhou"),
            ("VpnConnectionId", "vco-bp1bbi27hojx80nckxxxx"),
        ])
    );
    assert_eq!(call.nonce, "df282a88a297074f172b97c5f373c6f3");
    assert_eq!(call.timestamp.unix_timestamp(), 1_795_350_052);
    assert_eq!(call.security_token, None);
}

#[test]
fn a_byte_changed_in_a_signed_header_does_not_match() {
    for index in [V3_IPSEC, V3_ECR] {
        let mut capture = Capture::get(index);
        capture.edit_header("user-agent", "TeaDSL/2", "TeaDSL/3");
        let string_to_sign = assert_does_not_match(capture.verify_fresh());
        assert!(string_to_sign.starts_with("ACS3-HMAC-SHA256\n"), "{string_to_sign}");
        assert_eq!(string_to_sign.len(), "ACS3-HMAC-SHA256\n".len() + 64);
    }
    // The V1 signature covers no header: its unsigned action header may
    // only repeat the signed Action (see the x-acs-action test below).
}

#[test]
fn a_byte_changed_in_the_query_does_not_match() {
    let mut ipsec = Capture::get(V3_IPSEC);
    ipsec.edit_target("RegionId=cn-hangzhou", "RegionId=cn-hangzhov");
    assert_does_not_match(ipsec.verify_fresh());

    let mut ecr = Capture::get(V3_ECR);
    ecr.edit_target("/", "/?");
    assert!(ecr.verify_fresh().is_ok(), "an empty query is no query");
    ecr.edit_target("/?", "/?D");
    assert_does_not_match(ecr.verify_fresh());

    let mut vpn = Capture::get(V1_VPN);
    vpn.edit_target("RegionId=cn-hangzhou", "RegionId=cn-hangzhov");
    let string_to_sign = assert_does_not_match(vpn.verify_fresh());
    // The server's string-to-sign is the one the specification gives for
    // the request as received: the SDK's own comparison finds the change.
    assert_eq!(string_to_sign, spec_v1_string_to_sign("POST", &query_parameters(&vpn.target)));
}

#[test]
fn a_byte_changed_in_the_body_does_not_match() {
    let mut ipsec = Capture::get(V3_IPSEC);
    ipsec.body = b" ".to_vec();
    assert!(matches!(ipsec.verify_fresh(), Err(AuthError::BodyHashMismatch { .. })));
    assert_does_not_match(ipsec.verify_fresh());

    let mut ecr = Capture::get(V3_ECR);
    let body = String::from_utf8(ecr.body.clone()).unwrap().replace("InstanceType=VBR", "InstanceType=VPC");
    ecr.body = body.into_bytes();
    assert_does_not_match(ecr.verify_fresh());

    // V1 signs the parameters of a form body: one added there is not signed.
    let mut vpn = Capture::get(V1_VPN);
    vpn.set_header("Content-Type", "application/x-www-form-urlencoded");
    vpn.body = b"DryRun=true".to_vec();
    assert_does_not_match(vpn.verify_fresh());
    // A body its signature cannot cover is refused outright.
    vpn.remove_header("Content-Type");
    let error = assert_code(vpn.verify_fresh(), 400, "IncompleteSignature");
    assert_eq!(error.message(), "The request signature does not conform to Aliyun standards.");
}

#[test]
fn a_byte_changed_in_the_signature_does_not_match() {
    for index in [V3_IPSEC, V3_ECR] {
        let mut capture = Capture::get(index);
        let authorization = capture.header("Authorization").unwrap().to_owned();
        let last = authorization.chars().last().unwrap();
        let changed = format!("{}{}", &authorization[..authorization.len() - 1], if last == '0' { '1' } else { '0' });
        capture.set_header("Authorization", &changed);
        assert_does_not_match(capture.verify_fresh());
    }
    let mut vpn = Capture::get(V1_VPN);
    vpn.edit_target("Signature=%2BsY7", "Signature=%2BsY8");
    assert_does_not_match(vpn.verify_fresh());
}

#[test]
fn a_wrong_secret_answers_the_clients_own_string_to_sign() {
    // The V1 Python core SDK compares the text after the message's `:` with
    // its own string-to-sign; when they are equal it reports a wrong
    // AccessKeySecret rather than a signing bug.
    let vpn = Capture::get(V1_VPN);
    let wrong = common::verifier_with(std::collections::HashMap::from([(
        KEY_ID.to_owned(),
        ramguard_gateway::signature::Credential::permanent(ramguard_gateway::signature::Secret::new("NotTheSecret")),
    )]));
    let string_to_sign = assert_does_not_match(vpn.verify(&wrong, vpn.timestamp()));
    assert_eq!(string_to_sign, spec_v1_string_to_sign("POST", &query_parameters(&vpn.target)));
    assert!(string_to_sign.starts_with("POST&%2F&AccessKeyId%3DLTAI5tExampleKeyId%26Action%3DDeleteVpnConnection"));
}

#[test]
fn a_forged_request_uses_up_no_nonce() {
    for index in [V3_IPSEC, V3_ECR, V1_VPN] {
        let genuine = Capture::get(index);
        let mut forged = genuine.clone();
        if forged.target.contains('?') {
            forged.edit_target("?", "?Forged=1&");
        } else {
            forged.edit_target("/", "/?Forged=1");
        }
        let verifier = verifier();
        assert_does_not_match(forged.verify(&verifier, genuine.timestamp()));
        assert!(genuine.verify(&verifier, genuine.timestamp()).is_ok());
    }
}

#[test]
fn an_unknown_access_key_id_is_not_found() {
    for index in [V3_IPSEC, V3_ECR] {
        let mut capture = Capture::get(index);
        capture.edit_header("Authorization", "Credential=LTAI5tExampleKeyId", "Credential=LTAI5tOtherKeyId");
        let error = assert_code(capture.verify_fresh(), 404, "InvalidAccessKeyId.NotFound");
        assert_eq!(error.message(), "Specified access key is not found.");
    }
    let mut vpn = Capture::get(V1_VPN);
    vpn.edit_target("AccessKeyId=LTAI5tExampleKeyId", "AccessKeyId=LTAI5tOtherKeyId");
    assert_code(vpn.verify_fresh(), 404, "InvalidAccessKeyId.NotFound");
}

#[test]
fn a_clock_sixteen_minutes_off_either_way_is_expired() {
    for capture in Capture::all() {
        let signed_at = capture.timestamp();
        for now in [signed_at + minutes(16), signed_at - minutes(16)] {
            let error = assert_code(capture.verify(&verifier(), now), 400, "InvalidTimeStamp.Expired");
            assert_eq!(error.message(), "Specified time stamp or date value is expired.");
        }
        for now in [signed_at + minutes(15), signed_at - minutes(15)] {
            assert!(capture.verify(&verifier(), now).is_ok(), "15 minutes of skew is allowed");
        }
    }
}

#[test]
fn the_same_request_twice_uses_its_nonce_again() {
    for capture in Capture::all() {
        let verifier = verifier();
        let now = capture.timestamp() + minutes(1);
        assert!(capture.verify(&verifier, now).is_ok());
        let error = assert_code(capture.verify(&verifier, now + minutes(5)), 400, "SignatureNonceUsed");
        assert_eq!(error.message(), "Specified signature nonce was used already.");
    }
}

#[test]
fn an_unsigned_x_acs_action_is_incomplete() {
    for index in [V3_IPSEC, V3_ECR] {
        let mut capture = Capture::get(index);
        capture.edit_header("Authorization", "x-acs-action;", "");
        let error = assert_code(capture.verify_fresh(), 400, "IncompleteSignature");
        assert!(matches!(error, AuthError::IncompleteSignature { reason } if reason.contains("not signed")));
    }
    // The V1 SDK sends x-acs-action unsigned: it may only repeat Action.
    let mut vpn = Capture::get(V1_VPN);
    vpn.set_header("x-acs-action", "DeleteVpnGateway");
    assert_code(vpn.verify_fresh(), 400, "IncompleteSignature");
    vpn.remove_header("x-acs-action");
    assert_eq!(vpn.verify_fresh().unwrap().action, "DeleteVpnConnection");
}

#[test]
fn an_unsigned_or_absent_header_is_incomplete() {
    let mut added = Capture::get(V3_IPSEC);
    added.set_header("x-acs-region-id", "cn-beijing");
    assert_code(added.verify_fresh(), 400, "IncompleteSignature");

    let mut typed = Capture::get(V3_IPSEC);
    typed.set_header("Content-Type", "application/x-www-form-urlencoded");
    assert_code(typed.verify_fresh(), 400, "IncompleteSignature");

    let mut hostless = Capture::get(V3_ECR);
    hostless.edit_header("Authorization", "host;", "");
    assert_code(hostless.verify_fresh(), 400, "IncompleteSignature");

    let mut absent = Capture::get(V3_ECR);
    absent.remove_header("user-agent");
    let error = assert_code(absent.verify_fresh(), 400, "IncompleteSignature");
    assert!(matches!(error, AuthError::IncompleteSignature { reason: "a signed header is absent" }));

    let mut unsorted = Capture::get(V3_IPSEC);
    unsorted.edit_header("Authorization", "accept;host", "host;accept");
    assert_code(unsorted.verify_fresh(), 400, "IncompleteSignature");

    let mut unsigned = Capture::get(V3_IPSEC);
    unsigned.remove_header("Authorization");
    let error = assert_code(unsigned.verify_fresh(), 400, "IncompleteSignature");
    assert!(matches!(error, AuthError::IncompleteSignature { reason } if reason.contains("neither")));
}

#[test]
fn a_missing_protocol_value_is_a_missing_parameter() {
    for (header, name) in [
        ("x-acs-action", "x-acs-action"),
        ("x-acs-version", "x-acs-version"),
        ("x-acs-date", "x-acs-date"),
        ("x-acs-signature-nonce", "x-acs-signature-nonce"),
        ("x-acs-content-sha256", "x-acs-content-sha256"),
    ] {
        let mut capture = Capture::get(V3_IPSEC);
        capture.remove_header(header);
        let error = assert_code(capture.verify_fresh(), 400, "MissingParameter");
        assert_eq!(
            error.message(),
            format!("The input parameter \"{name}\" that is mandatory for processing this request is not supplied.")
        );
    }
    for (parameter, value) in [
        ("AccessKeyId", "LTAI5tExampleKeyId"),
        ("SignatureNonce", "df282a88a297074f172b97c5f373c6f3"),
        ("Timestamp", "2026-11-22T12%3A20%3A52Z"),
        ("Action", "DeleteVpnConnection"),
        ("Version", "2016-04-28"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
    ] {
        let mut vpn = Capture::get(V1_VPN);
        vpn.edit_target(&format!("&{parameter}={value}"), "");
        let error = assert_code(vpn.verify_fresh(), 400, "MissingParameter");
        assert!(error.message().contains(&format!("\"{parameter}\"")), "{error}");
    }
}

#[test]
fn a_malformed_time_or_method_is_refused() {
    let mut ipsec = Capture::get(V3_IPSEC);
    ipsec.set_header("x-acs-date", "2026-11-22 12:20:36Z");
    let error = assert_code(ipsec.verify_fresh(), 400, "InvalidTimeStamp.Format");
    assert_eq!(error.message(), "Specified time stamp or date value is not well formatted.");

    let mut vpn = Capture::get(V1_VPN);
    vpn.edit_target("Timestamp=2026-11-22T12%3A20%3A52Z", "Timestamp=1795350052");
    assert_code(vpn.verify_fresh(), 400, "InvalidTimeStamp.Format");

    let mut sha256 = Capture::get(V1_VPN);
    sha256.edit_target("SignatureMethod=HMAC-SHA1", "SignatureMethod=HMAC-SHA256");
    let error = assert_code(sha256.verify_fresh(), 400, "InvalidParameter");
    assert_eq!(error.message(), "The specified parameter \"SignatureMethod\" is not valid.");

    let mut v2 = Capture::get(V1_VPN);
    v2.edit_target("SignatureVersion=1.0", "SignatureVersion=2.0");
    assert_code(v2.verify_fresh(), 400, "InvalidParameter");
}

#[test]
fn a_parameter_given_twice_is_refused() {
    let mut ecr = Capture::get(V3_ECR);
    ecr.edit_target("/", "/?InstanceType=VPC");
    let error = assert_code(ecr.verify_fresh(), 400, "InvalidParameter");
    assert_eq!(error, AuthError::DuplicateParameter { name: "InstanceType".into() });

    let mut body = Capture::get(V3_ECR);
    body.body.extend_from_slice(b"&InstanceType=VBR");
    assert_eq!(body.verify_fresh().unwrap_err(), AuthError::DuplicateParameter { name: "InstanceType".into() });

    let mut query = Capture::get(V1_VPN);
    query.target.push_str("&RegionId=cn-hangzhou");
    assert_eq!(query.verify_fresh().unwrap_err(), AuthError::DuplicateParameter { name: "RegionId".into() });

    let mut header = Capture::get(V3_IPSEC);
    header.headers.push(("x-acs-action".into(), "DeleteIpsecServer".into()));
    assert_eq!(header.verify_fresh().unwrap_err(), AuthError::DuplicateParameter { name: "x-acs-action".into() });
}

#[test]
fn no_error_shows_the_secret() {
    let mut capture = Capture::get(V1_VPN);
    capture.edit_target("RegionId=cn-hangzhou", "RegionId=cn-hangzhov");
    let error = capture.verify_fresh().unwrap_err();
    for shown in [error.message(), format!("{error:?}"), format!("{:?}", verifier())] {
        assert!(!shown.contains(common::SECRET), "{shown}");
    }
}

#[test]
fn verify_with_looks_keys_up_in_the_credentials_it_is_given() {
    // A gateway that holds one version of its key ring verifies with that
    // version: a key it no longer has is unknown, whatever the verifier's own.
    let capture = Capture::get(V3_IPSEC);
    let headers = capture.header_map();
    let request =
        ramguard_gateway::signature::SignedRequest::new(&capture.method, &capture.target, &headers, &capture.body);
    let verifier = verifier();
    let empty: std::collections::HashMap<String, ramguard_gateway::signature::Credential> =
        std::collections::HashMap::new();
    let refused = pollster::block_on(verifier.verify_with(&empty, &request, capture.timestamp()));
    assert_eq!(refused.unwrap_err(), AuthError::AccessKeyNotFound);
    let own = verifier.credentials();
    let call = pollster::block_on(verifier.verify_with(own, &request, capture.timestamp())).unwrap();
    assert_eq!(call.access_key_id, KEY_ID);
}
