//! What the gateway's tests share: the SDK captures, the credentials they
//! were made with, and a V1 signer written from the specification alone
//! (operations.md section 4), independent of the crate's own.
#![allow(dead_code, reason = "each test file uses a part of what is shared here")]

use std::collections::{BTreeMap, HashMap};

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use ramguard_gateway::signature::{
    AuthError, Authenticated, Credential, MemoryNonceStore, Secret, SignedRequest, Verifier, parse_timestamp,
};
use time::OffsetDateTime;

pub const KEY_ID: &str = "LTAI5tExampleKeyId";
pub const SECRET: &str = "ExampleSecret123";

pub type TestVerifier = Verifier<HashMap<String, Credential>, MemoryNonceStore>;

/// The capture's permanent credential, and room for 1,000 nonces.
pub fn verifier() -> TestVerifier {
    verifier_with(HashMap::from([(KEY_ID.to_owned(), Credential::permanent(Secret::new(SECRET)))]))
}

pub fn verifier_with(credentials: HashMap<String, Credential>) -> TestVerifier {
    Verifier::new(credentials, MemoryNonceStore::new(1000))
}

/// One request as `tests/data/sdk-captures.json` holds it.
#[derive(Debug, Clone)]
pub struct Capture {
    pub method: Method,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub signature_version: String,
    /// When the SDK signed it (its `x-acs-date` or `Timestamp`), kept
    /// whatever a test changes.
    pub signed_at: OffsetDateTime,
}

impl Capture {
    /// The three captures, in the file's order: V3 `DeleteIpsecServer`, V3
    /// ECR `RevokeInstanceFromExpressConnectRouter`, V1 `DeleteVpnConnection`.
    pub fn all() -> Vec<Capture> {
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/sdk-captures.json")).unwrap();
        let file: serde_json::Value = serde_json::from_str(&text).unwrap();
        let requests = file["requests"].as_array().unwrap();
        assert_eq!(requests.len(), 3);
        requests
            .iter()
            .map(|request| Capture {
                signed_at: OffsetDateTime::UNIX_EPOCH,
                method: request["method"].as_str().unwrap().parse().unwrap(),
                target: request["path"].as_str().unwrap().to_owned(),
                headers: request["headers"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(name, value)| (name.clone(), value.as_str().unwrap().to_owned()))
                    .collect(),
                body: request["body"].as_str().unwrap().as_bytes().to_vec(),
                signature_version: request["signature_version"].as_str().unwrap().to_owned(),
            })
            .map(|capture| {
                let text = match capture.header("x-acs-date") {
                    Some(date) => date.to_owned(),
                    None => query_parameters(&capture.target)["Timestamp"].clone(),
                };
                Capture { signed_at: parse_timestamp(&text).unwrap(), ..capture }
            })
            .collect()
    }

    pub fn get(index: usize) -> Capture {
        Self::all().swap_remove(index)
    }

    pub fn header_map(&self) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in &self.headers {
            map.append(HeaderName::from_bytes(name.as_bytes()).unwrap(), HeaderValue::from_str(value).unwrap());
        }
        map
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Replaces the header (of any case) or adds it.
    pub fn set_header(&mut self, name: &str, value: &str) {
        self.remove_header(name);
        self.headers.push((name.to_owned(), value.to_owned()));
    }

    pub fn remove_header(&mut self, name: &str) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    }

    /// Replaces `from` by `to` in the named header, which must contain it.
    pub fn edit_header(&mut self, name: &str, from: &str, to: &str) {
        let value = self.header(name).unwrap().to_owned();
        assert!(value.contains(from), "{name}: {value} has no {from}");
        self.set_header(name, &value.replacen(from, to, 1));
    }

    /// Replaces `from` by `to` in the target, which must contain it.
    pub fn edit_target(&mut self, from: &str, to: &str) {
        assert!(self.target.contains(from), "{} has no {from}", self.target);
        self.target = self.target.replacen(from, to, 1);
    }

    /// The time the capture was signed at.
    pub fn timestamp(&self) -> OffsetDateTime {
        self.signed_at
    }

    pub fn verify(&self, verifier: &TestVerifier, now: OffsetDateTime) -> Result<Authenticated, AuthError> {
        let headers = self.header_map();
        pollster::block_on(verifier.verify(&SignedRequest::new(&self.method, &self.target, &headers, &self.body), now))
    }

    /// Verifies with a fresh verifier at the capture's own time.
    pub fn verify_fresh(&self) -> Result<Authenticated, AuthError> {
        self.verify(&verifier(), self.timestamp())
    }
}

/// The decoded parameters of a target's query (the captures use no `+`).
pub fn query_parameters(target: &str) -> BTreeMap<String, String> {
    let query = target.split_once('?').map_or("", |(_, query)| query);
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(name), percent_decode(value))
        })
        .collect()
}

pub fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text).decode_utf8().unwrap().into_owned()
}

/// RFC 3986 encoding, as the specification states it: every byte but
/// `A-Z a-z 0-9 - _ . ~` as `%XX`.
pub fn spec_encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `application/x-www-form-urlencoded`, spaces as `+`.
pub fn form_encode(text: &str) -> String {
    spec_encode(text).replace("%20", "+")
}

/// The V1 string-to-sign, from the specification: every parameter but
/// `Signature`, sorted, encoded, joined; `METHOD&%2F&` and that encoded.
pub fn spec_v1_string_to_sign(method: &str, parameters: &BTreeMap<String, String>) -> String {
    let joined = parameters
        .iter()
        .filter(|(name, _)| name.as_str() != "Signature")
        .map(|(name, value)| format!("{}={}", spec_encode(name), spec_encode(value)))
        .collect::<Vec<_>>()
        .join("&");
    format!("{method}&%2F&{}", spec_encode(&joined))
}

/// base64 HMAC-SHA1 under `secret&`.
pub fn spec_v1_signature(secret: &str, string_to_sign: &str) -> String {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(format!("{secret}&").as_bytes()).unwrap();
    mac.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The V1 protocol parameters a client adds, at `at`, with `nonce`.
pub fn v1_protocol(action: &str, version: &str, at: &str, nonce: &str) -> BTreeMap<String, String> {
    [
        ("AccessKeyId", KEY_ID),
        ("Action", action),
        ("Format", "JSON"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureNonce", nonce),
        ("SignatureType", ""),
        ("SignatureVersion", "1.0"),
        ("Timestamp", at),
        ("Version", version),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value.to_owned()))
    .collect()
}

/// A V1 request as the core SDK sends one: every parameter (the signature
/// too) in the query, signed with `secret`.
pub fn spec_v1_query(method: &str, parameters: &BTreeMap<String, String>, secret: &str) -> String {
    let signature = spec_v1_signature(secret, &spec_v1_string_to_sign(method, parameters));
    let mut pairs: Vec<String> =
        parameters.iter().map(|(name, value)| format!("{}={}", spec_encode(name), spec_encode(value))).collect();
    pairs.push(format!("Signature={}", spec_encode(&signature)));
    format!("/?{}", pairs.join("&"))
}

/// The message's text after its only `:`, as the V1 Python core SDK reads
/// it (`Message.split(':')[1]`), checking there is exactly one.
pub fn python_sdk_server_string_to_sign(message: &str) -> &str {
    let pieces: Vec<&str> = message.split(':').collect();
    assert_eq!(pieces.len(), 2, "{message:?} must have exactly one `:`");
    pieces[1]
}

/// Asserts a `SignatureDoesNotMatch` whose message ends with the server's
/// string-to-sign after its only `:`; returns that string-to-sign.
pub fn assert_does_not_match(result: Result<Authenticated, AuthError>) -> String {
    let error = result.unwrap_err();
    assert_eq!((error.status(), error.code()), (400, "SignatureDoesNotMatch"), "{error:?}");
    let message = error.message();
    assert!(message.starts_with("Specified signature is not matched with our calculation. server string to sign is:"));
    let string_to_sign = match &error {
        AuthError::SignatureDoesNotMatch { string_to_sign } | AuthError::BodyHashMismatch { string_to_sign } => {
            string_to_sign.clone()
        }
        other => panic!("not a mismatch: {other:?}"),
    };
    assert!(message.ends_with(&format!(":{string_to_sign}")));
    assert_eq!(python_sdk_server_string_to_sign(&message), string_to_sign);
    string_to_sign
}

pub fn assert_code(result: Result<Authenticated, AuthError>, status: u16, code: &str) -> AuthError {
    let error = result.unwrap_err();
    assert_eq!((error.status(), error.code()), (status, code), "{error:?}");
    error
}

pub fn minutes(n: i64) -> time::Duration {
    time::Duration::minutes(n)
}
