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
use hmac::{Hmac, Mac};
use sha1::Sha1;

use super::credentials::Secret;
use super::encoding::{Sink, write_encoded_twice};

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
    let mut text = String::with_capacity(256);
    write_string_to_sign(&mut text, method, parameters.iter().map(|(name, value)| (name.as_str(), value.as_str())));
    text
}

/// Writes the string-to-sign of `method` and `parameters` (sorted by name)
/// to `out`: `METHOD&%2F&` and the pairs `name=value` joined by `&`, each
/// name and value encoded and the whole encoded once more.
pub(crate) fn write_string_to_sign<'p>(
    out: &mut (impl Sink + ?Sized),
    method: &str,
    parameters: impl IntoIterator<Item = (&'p str, &'p str)>,
) {
    out.put(method);
    out.put("&%2F&");
    let mut first = true;
    for (name, value) in parameters.into_iter().filter(|&(name, _)| name != "Signature") {
        if !first {
            // `&`, encoded.
            out.put("%26");
        }
        first = false;
        write_encoded_twice(out, name);
        // `=`, encoded.
        out.put("%3D");
        write_encoded_twice(out, value);
    }
}

impl Sink for Hmac<Sha1> {
    fn put(&mut self, text: &str) {
        self.update(text.as_bytes());
    }
}

/// The base64 signature of `string_to_sign` under `secret`.
pub fn signature(secret: &Secret, string_to_sign: &str) -> String {
    // HMAC takes keys of any length, so `mac` always gives one; were it
    // not to, the empty signature verifies nothing.
    mac(secret)
        .map(|mut mac| {
            mac.update(string_to_sign.as_bytes());
            STANDARD.encode(mac.finalize().into_bytes())
        })
        .unwrap_or_default()
}

/// Whether `signature` (decoded) is the signature of the string-to-sign of
/// `method` and `parameters` (sorted by name), compared in constant time.
/// The string-to-sign is hashed as it is written.
pub(crate) fn verify<'p>(
    secret: &Secret,
    method: &str,
    parameters: impl IntoIterator<Item = (&'p str, &'p str)>,
    signature: &[u8],
) -> bool {
    mac(secret).is_some_and(|mut mac| {
        write_string_to_sign(&mut mac, method, parameters);
        mac.verify_slice(signature).is_ok()
    })
}

/// The HMAC-SHA1 keyed with the secret followed by `&`.
fn mac(secret: &Secret) -> Option<Hmac<Sha1>> {
    secret.v1_mac()
}
