//! The V1 RPC signature, `HMAC-SHA1`: what `aliyun-python-sdk-core` and the
//! other V1 SDKs send, in the `Signature` parameter of the query or of an
//! `application/x-www-form-urlencoded` body.
//!
//! Every parameter but `Signature` (of the query and the body alike) is
//! sorted by name, each name and value RFC 3986-encoded, and the pairs
//! joined as `name=value&...`; the string-to-sign is
//! `METHOD&%2F&` followed by that text encoded once more, and the signature
//! is the base64 HMAC-SHA1 of it under the secret followed by `&`.
//!
//! Alibaba's documented example:
//!
//! ```
//! use std::collections::BTreeMap;
//! use ramguard_gateway::signature::{Secret, v1};
//!
//! let parameters: BTreeMap<String, String> = [
//!     ("AccessKeyId", "testid"),
//!     ("Action", "DescribeRegions"),
//!     ("Format", "XML"),
//!     ("SignatureMethod", "HMAC-SHA1"),
//!     ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
//!     ("SignatureVersion", "1.0"),
//!     ("Timestamp", "2016-02-23T12:46:24Z"),
//!     ("Version", "2014-05-26"),
//! ]
//! .into_iter()
//! .map(|(name, value)| (name.to_owned(), value.to_owned()))
//! .collect();
//! let string_to_sign = v1::string_to_sign("GET", &parameters);
//! assert!(string_to_sign.starts_with("GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions"));
//! assert_eq!(v1::signature(&Secret::new("testsecret"), &string_to_sign), "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
//! ```

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;

use super::credentials::Secret;
use super::encoding::push_encoded;

/// The value of `SignatureMethod`.
pub const SIGNATURE_METHOD: &str = "HMAC-SHA1";
/// The value of `SignatureVersion`.
pub const SIGNATURE_VERSION: &str = "1.0";

/// The parameters that belong to the signature protocol rather than to the
/// API operation, which [`Authenticated::parameters`](super::Authenticated)
/// leaves out of a V1 request.
pub const PROTOCOL_PARAMETERS: [&str; 11] = [
    "AccessKeyId",
    "Action",
    "Format",
    "SecurityToken",
    "Signature",
    "SignatureMethod",
    "SignatureNonce",
    "SignatureType",
    "SignatureVersion",
    "Timestamp",
    "Version",
];

/// The string-to-sign of a request with `method` and `parameters` (every
/// parameter of the query and of a form body; a `Signature` among them is
/// left out).
pub fn string_to_sign(method: &str, parameters: &BTreeMap<String, String>) -> String {
    let mut canonical = String::new();
    for (name, value) in parameters.iter().filter(|(name, _)| name.as_str() != "Signature") {
        if !canonical.is_empty() {
            canonical.push('&');
        }
        push_encoded(&mut canonical, name);
        canonical.push('=');
        push_encoded(&mut canonical, value);
    }
    let mut text = String::with_capacity(method.len() + 6 + canonical.len() * 3 / 2);
    text.push_str(method);
    text.push_str("&%2F&");
    push_encoded(&mut text, &canonical);
    text
}

/// The base64 signature of `string_to_sign` under `secret`.
pub fn signature(secret: &Secret, string_to_sign: &str) -> String {
    // HMAC takes keys of any length, so `mac` always gives one; were it
    // not to, the empty signature verifies nothing.
    mac(secret, string_to_sign).map(|mac| STANDARD.encode(mac.finalize().into_bytes())).unwrap_or_default()
}

/// Whether `signature` (decoded) is the signature of `string_to_sign`,
/// compared in constant time.
pub(crate) fn verify(secret: &Secret, string_to_sign: &str, signature: &[u8]) -> bool {
    mac(secret, string_to_sign).is_some_and(|mac| mac.verify_slice(signature).is_ok())
}

fn mac(secret: &Secret, string_to_sign: &str) -> Option<Hmac<Sha1>> {
    let mut key = Vec::with_capacity(secret.as_bytes().len() + 1);
    key.extend_from_slice(secret.as_bytes());
    key.push(b'&');
    let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(&key).ok()?;
    mac.update(string_to_sign.as_bytes());
    Some(mac)
}
