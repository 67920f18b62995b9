//! Properties over random requests: whatever parameters a client sends
//! (any Unicode, `~`, `*`, `+`, spaces, empty values), a request signed by
//! the V3 signer or by a V1 signer written from the specification verifies
//! and yields them back; a changed value never verifies; and no input, however
//! malformed, panics the verifier.

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
    KEY_ID, SECRET, form_encode, minutes, spec_encode, spec_v1_signature, spec_v1_string_to_sign, v1_protocol, verifier,
};
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use proptest::prelude::*;
use ramguard_gateway::signature::{
    AuthError, Secret, SignatureVersion, SignedRequest, format_timestamp, parse_timestamp, v1, v3,
};
use time::OffsetDateTime;

fn t0() -> OffsetDateTime {
    parse_timestamp("2026-11-22T12:20:36Z").unwrap()
}

/// Text from characters that encodings get wrong: the unreserved ones,
/// reserved ones, `+`, space, `%`, and beyond ASCII.
fn text(min: usize) -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "a", "Z", "0", "-", "_", ".", "~", "*", "+", " ", "%", "&", "=", "?", "/", ":", "#", "'", "!", "é", "中", "😀",
        "\u{7f}", "\t", "%20", "%2B", "Region", "Id",
    ]);
    prop::collection::vec(pieces, min..8).prop_map(|pieces| pieces.concat())
}

/// API parameters: names not of the V1 protocol, values possibly empty.
fn parameters() -> impl Strategy<Value = BTreeMap<String, String>> {
    prop::collection::btree_map(text(1), text(0), 0..8)
        .prop_map(|map| map.into_iter().filter(|(name, _)| !v1::PROTOCOL_PARAMETERS.contains(&name.as_str())).collect())
}

fn encode_pairs(pairs: &BTreeMap<String, String>, encode: fn(&str) -> String) -> String {
    pairs.iter().map(|(name, value)| format!("{}={}", encode(name), encode(value))).collect::<Vec<_>>().join("&")
}

/// Splits `parameters` into those sent in the query and those in the body.
fn split(
    parameters: &BTreeMap<String, String>,
    in_body: &[bool],
) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let (body, query): (Vec<_>, Vec<_>) =
        parameters.iter().enumerate().partition(|(index, _)| in_body.get(*index).copied().unwrap_or(false));
    let owned =
        |pairs: Vec<(usize, (&String, &String))>| pairs.into_iter().map(|(_, (n, v))| (n.clone(), v.clone())).collect();
    (owned(query), owned(body))
}

fn method() -> impl Strategy<Value = Method> {
    prop::sample::select(vec![Method::POST, Method::GET, Method::PUT, Method::DELETE])
}

proptest! {
    #[test]
    fn whatever_the_v3_signer_signs_verifies(
        parameters in parameters(),
        in_body in prop::collection::vec(any::<bool>(), 8),
        method in method(),
        skew in -900_i64..=900,
        nonce in "[0-9a-f]{32}",
        token in prop::option::of("[A-Za-z0-9+/=]{1,64}"),
    ) {
        let (query, body) = split(&parameters, &in_body);
        let mut builder = http::Request::builder().method(method).uri(format!("http://vpc.example/?{}", encode_pairs(&query, spec_encode)));
        let body = if body.is_empty() {
            Vec::new()
        } else {
            builder = builder.header("content-type", "application/x-www-form-urlencoded");
            encode_pairs(&body, form_encode).into_bytes()
        };
        let (mut parts, body) = builder.body(body).unwrap().into_parts();
        let secret = Secret::new(SECRET);
        let mut signing = v3::V3Signing::new(KEY_ID, &secret, "DeleteIpsecServer", "2016-04-28", t0(), &nonce);
        if let Some(token) = &token {
            signing = signing.with_security_token(token);
        }
        v3::sign(&mut parts, &body, &signing).unwrap();
        let verifier = match &token {
            None => verifier(),
            Some(token) => common::verifier_with(std::collections::HashMap::from([(
                KEY_ID.to_owned(),
                ramguard_gateway::signature::Credential::temporary(secret.clone(), token.clone(), t0() + minutes(60)),
            )])),
        };
        let now = t0() + time::Duration::seconds(skew);
        let call = pollster::block_on(verifier.verify(&SignedRequest::from_parts(&parts, &body), now)).unwrap();
        prop_assert_eq!(call.signature_version, SignatureVersion::V3);
        prop_assert_eq!(&call.parameters, &parameters);
        prop_assert_eq!(call.action.as_str(), "DeleteIpsecServer");
        prop_assert_eq!(call.security_token, token);
        let replay = pollster::block_on(verifier.verify(&SignedRequest::from_parts(&parts, &body), now)).unwrap_err();
        prop_assert_eq!(replay, AuthError::NonceUsed);
    }

    #[test]
    fn whatever_a_spec_v1_signer_signs_verifies(
        parameters in parameters(),
        in_body in prop::collection::vec(any::<bool>(), 8),
        method in method(),
        nonce in "[0-9a-f-]{1,36}",
    ) {
        let mut signed = v1_protocol("DeleteVpnConnection", "2016-04-28", &format_timestamp(t0()), &nonce);
        signed.extend(parameters.clone());
        let signature = spec_v1_signature(SECRET, &spec_v1_string_to_sign(method.as_str(), &signed));
        let (mut query, body) = split(&signed, &in_body);
        query.insert("Signature".into(), signature);
        let mut headers = HeaderMap::new();
        let body = if body.is_empty() {
            Vec::new()
        } else {
            headers.insert("content-type", HeaderValue::from_static("application/x-www-form-urlencoded; charset=UTF-8"));
            encode_pairs(&body, form_encode).into_bytes()
        };
        let target = format!("/?{}", encode_pairs(&query, spec_encode));
        let call = pollster::block_on(verifier().verify(&SignedRequest::new(&method, &target, &headers, &body), t0())).unwrap();
        prop_assert_eq!(call.signature_version, SignatureVersion::V1);
        prop_assert_eq!(&call.parameters, &parameters);
        prop_assert_eq!(call.nonce, nonce);
        prop_assert_eq!(call.action.as_str(), "DeleteVpnConnection");
    }

    #[test]
    fn a_changed_value_never_verifies(parameters in parameters(), which in any::<prop::sample::Index>(), extra in text(1)) {
        prop_assume!(!parameters.is_empty());
        let mut signed = v1_protocol("DeleteVpnConnection", "2016-04-28", &format_timestamp(t0()), "n");
        signed.extend(parameters.clone());
        let signature = spec_v1_signature(SECRET, &spec_v1_string_to_sign("POST", &signed));
        let name = which.get(&parameters.keys().collect::<Vec<_>>()).to_string();
        let changed = format!("{}{extra}", signed[&name]);
        signed.insert(name, changed);
        signed.insert("Signature".into(), signature);
        let target = format!("/?{}", encode_pairs(&signed, spec_encode));
        let headers = HeaderMap::new();
        let result = pollster::block_on(verifier().verify(&SignedRequest::new(&Method::POST, &target, &headers, b""), t0()));
        prop_assert!(matches!(result, Err(AuthError::SignatureDoesNotMatch { .. })), "{result:?}");
    }

    #[test]
    fn no_input_panics_the_verifier(
        method in method(),
        target in any::<String>(),
        headers in prop::collection::vec((
            prop::sample::select(vec![
                "authorization", "host", "content-type", "x-acs-action", "x-acs-version", "x-acs-date",
                "x-acs-signature-nonce", "x-acs-content-sha256", "x-acs-security-token", "x-acs-other", "user-agent",
            ]),
            prop::collection::vec(any::<u8>(), 0..80),
        ), 0..12),
        authorization in "ACS3-HMAC-SHA256 [ -~]{0,200}",
        body in prop::collection::vec(any::<u8>(), 0..200),
        now in 0_i64..4_000_000_000,
    ) {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            if let Ok(value) = HeaderValue::from_bytes(&value) {
                map.append(HeaderName::from_static(name), value);
            }
        }
        let now = OffsetDateTime::from_unix_timestamp(now).unwrap();
        let verifier = verifier();
        let _ = pollster::block_on(verifier.verify(&SignedRequest::new(&method, &target, &map, &body), now));
        if let Ok(value) = HeaderValue::from_str(&authorization) {
            map.insert("authorization", value);
            let result = pollster::block_on(verifier.verify(&SignedRequest::new(&method, &target, &map, &body), now));
            prop_assert!(result.is_err(), "{result:?}");
        }
        let _ = pollster::block_on(verifier.verify(&SignedRequest::new(&method, &format!("/?{target}"), &map, &body), now));
    }

    #[test]
    fn no_change_to_a_capture_panics_the_verifier(
        index in 0_usize..3,
        at in any::<prop::sample::Index>(),
        replacement in any::<char>(),
        part in 0_u8..3,
    ) {
        let mut capture = common::Capture::get(index);
        let edit = |text: &str| -> String {
            let chars: Vec<char> = text.chars().collect();
            if chars.is_empty() {
                return replacement.to_string();
            }
            let i = at.index(chars.len());
            chars.iter().enumerate().map(|(j, &c)| if j == i { replacement } else { c }).collect()
        };
        match part {
            0 => capture.target = edit(&capture.target),
            1 => capture.body = edit(&String::from_utf8(capture.body.clone()).unwrap()).into_bytes(),
            _ => {
                let authorization = capture.header("Authorization").map(str::to_owned);
                if let Some(value) = authorization {
                    let changed = edit(&value);
                    if HeaderValue::from_str(&changed).is_ok() {
                        capture.set_header("Authorization", &changed);
                    }
                }
            }
        }
        let _ = capture.verify_fresh();
    }
}
