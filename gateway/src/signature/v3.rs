//! The V3 signature, `ACS3-HMAC-SHA256`: what the current official SDKs
//! send, in the `Authorization` header; and signing a request with it, for
//! the calls the gateway forwards.
//!
//! The canonical request is
//! `METHOD\nPATH\nCanonicalQuery\nCanonicalHeaders\nSignedHeaders\nHashedPayload`:
//! the query parameters sorted by name, each name and value RFC
//! 3986-encoded (`name=` for an empty value); each signed header as
//! `name:value\n`, names lower-case and sorted, values trimmed, a header sent
//! more than once with its values sorted and joined by `,` (as the SDK's
//! `get_canonicalized_headers` does); the signed names joined by `;`; and the
//! hex SHA-256 of the body. The string-to-sign is `ACS3-HMAC-SHA256\n`
//! followed by the hex SHA-256 of the canonical request, and the signature
//! the hex HMAC-SHA256 of that under the secret:
//! `Authorization: ACS3-HMAC-SHA256 Credential=<AccessKeyId>,SignedHeaders=<a;b>,Signature=<hex>`.
//!
//! The SDK's own test vector:
//!
//! ```
//! use std::collections::BTreeMap;
//! use http::{HeaderMap, HeaderName, HeaderValue, Method};
//! use ramguard_gateway::signature::{Secret, v3};
//!
//! let query = BTreeMap::from([("test".to_owned(), "ok".to_owned()), ("empty".to_owned(), String::new())]);
//! let mut headers = HeaderMap::new();
//! headers.append(HeaderName::from_bytes(b"x-acs-test")?, HeaderValue::from_static("http"));
//! headers.append(HeaderName::from_bytes(b"x-acs-TEST")?, HeaderValue::from_static("https"));
//! let payload = "55e12e91650d2fec56ec74e1d3e4ddbfce2ef3a65890c2a19ecf88a307e76a23";
//! let canonical = v3::canonical_request(&Method::GET, "/", &query, &headers, payload)?;
//! assert_eq!(canonical, format!("GET\n/\nempty=&test=ok\nx-acs-test:http,https\n\nx-acs-test\n{payload}"));
//! let signature = v3::signature(&Secret::new("secret"), &v3::string_to_sign(&canonical));
//! assert_eq!(signature, "d16b30a7699ae9e43875b13195b2f81bcc3ed10c14a9b5eb780e51619aa50be1");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;

use hmac::{Hmac, Mac};
use http::header::{AUTHORIZATION, HOST};
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::credentials::Secret;
use super::encoding::{Pairs, Sink, decode_hex, insert_all, parse_pairs, write_encoded};
use super::error::AuthError;
use super::timestamp::format_timestamp;

/// The algorithm, first word of the `Authorization` header.
pub const ALGORITHM: &str = "ACS3-HMAC-SHA256";

/// The API operation's name.
pub const ACTION: &str = "x-acs-action";
/// The API version.
pub const VERSION: &str = "x-acs-version";
/// The request's time, `yyyy-MM-ddTHH:mm:ssZ`.
pub const DATE: &str = "x-acs-date";
/// The request's nonce.
pub const NONCE: &str = "x-acs-signature-nonce";
/// The hex SHA-256 of the body.
pub const CONTENT_SHA256: &str = "x-acs-content-sha256";
/// The security token of a temporary credential.
pub const SECURITY_TOKEN: &str = "x-acs-security-token";

/// Why a request could not be signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// Neither a `Host` header nor an authority in the URI says where the
    /// request goes, and the host must be signed.
    #[error("the request has no Host header and its URI no authority")]
    NoHost,
    /// A value cannot be sent in this header (a control character, say).
    #[error("the value of {name} cannot be sent as a header")]
    HeaderValue {
        /// The header.
        name: String,
    },
    /// The query string does not decode, or gives a parameter twice.
    #[error("the query string does not read as parameters: {0}")]
    Query(AuthError),
}

/// What [`sign`] needs besides the request: who signs, the operation, the
/// time and the nonce.
#[derive(Clone, Copy)]
pub struct V3Signing<'a> {
    access_key_id: &'a str,
    secret: &'a Secret,
    action: &'a str,
    version: &'a str,
    date: OffsetDateTime,
    nonce: &'a str,
    security_token: Option<&'a str>,
}

impl<'a> V3Signing<'a> {
    /// Signing as `access_key_id` with `secret`, for API `action` of
    /// `version`, at `date`, with `nonce` (unique per request: the SDKs use
    /// 32 random hex digits).
    pub fn new(
        access_key_id: &'a str,
        secret: &'a Secret,
        action: &'a str,
        version: &'a str,
        date: OffsetDateTime,
        nonce: &'a str,
    ) -> Self {
        Self { access_key_id, secret, action, version, date, nonce, security_token: None }
    }

    /// Sends `token` as `x-acs-security-token`, for a temporary credential.
    pub fn with_security_token(self, token: &'a str) -> Self {
        Self { security_token: Some(token), ..self }
    }
}

impl fmt::Debug for V3Signing<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("V3Signing")
            .field("access_key_id", &self.access_key_id)
            .field("secret", self.secret)
            .field("action", &self.action)
            .field("version", &self.version)
            .field("date", &self.date)
            .field("nonce", &self.nonce)
            .field("security_token", &self.security_token.map(|_| ".."))
            .finish()
    }
}

/// Signs a request: sets `host` (from the URI, if absent), `x-acs-action`,
/// `x-acs-version`, `x-acs-date`, `x-acs-signature-nonce`,
/// `x-acs-content-sha256` (of `body`), `x-acs-security-token` (or removes
/// it) and `Authorization`.
///
/// The signed headers are `host`, `content-type` if present and every
/// `x-acs-*` header: what a verifier requires to be signed, and nothing a
/// proxy or the HTTP client may add or rewrite on the way (`Content-Length`,
/// `Accept-Encoding`, `User-Agent`).
pub fn sign(parts: &mut http::request::Parts, body: &[u8], signing: &V3Signing<'_>) -> Result<(), SignError> {
    let headers = &mut parts.headers;
    if !headers.contains_key(HOST) {
        let authority = parts.uri.authority().ok_or(SignError::NoHost)?;
        headers.insert(HOST, header_value(HOST.as_str(), authority.as_str())?);
    }
    let date = format_timestamp(signing.date);
    let body_hash = hex::encode(Sha256::digest(body));
    for (name, value) in [
        (ACTION, signing.action),
        (VERSION, signing.version),
        (DATE, date.as_str()),
        (NONCE, signing.nonce),
        (CONTENT_SHA256, body_hash.as_str()),
    ] {
        headers.insert(HeaderName::from_static(name), header_value(name, value)?);
    }
    match signing.security_token {
        Some(token) => {
            headers.insert(HeaderName::from_static(SECURITY_TOKEN), header_value(SECURITY_TOKEN, token)?);
        }
        None => {
            headers.remove(SECURITY_TOKEN);
        }
    }
    headers.remove(AUTHORIZATION);

    let mut pairs = Pairs::new();
    let mut query = BTreeMap::new();
    parse_pairs(parts.uri.query().unwrap_or_default().as_bytes(), usize::MAX, &mut pairs)
        .and_then(|()| insert_all(&mut query, pairs))
        .map_err(SignError::Query)?;
    let mut signed: Vec<&str> = headers.keys().map(HeaderName::as_str).filter(|name| must_be_signed(name)).collect();
    signed.sort_unstable();
    let canonical_headers = canonical_headers(&signed, headers, None).map_err(|bad| match bad {
        BadHeader::NotUtf8(name) | BadHeader::Absent(name) => SignError::HeaderValue { name: name.to_owned() },
    })?;
    let signed_headers = signed.join(";");
    let canonical = assemble(parts.method.as_str(), parts.uri.path(), &query, &canonical_headers, &signed, &body_hash);
    let signature = signature(signing.secret, &string_to_sign(&canonical));
    let authorization = format!(
        "{ALGORITHM} Credential={},SignedHeaders={signed_headers},Signature={signature}",
        signing.access_key_id
    );
    parts.headers.insert(AUTHORIZATION, header_value(AUTHORIZATION.as_str(), &authorization)?);
    Ok(())
}

/// The canonical request of a request that signs every header in
/// `headers`, as the SDKs sign every header they set. `path` is the path as
/// sent (`/` for RPC-style APIs; empty counts as `/`), `query` the decoded
/// query parameters, `hashed_payload` the hex SHA-256 of the body.
pub fn canonical_request(
    method: &Method,
    path: &str,
    query: &BTreeMap<String, String>,
    headers: &HeaderMap,
    hashed_payload: &str,
) -> Result<String, SignError> {
    let signed: Vec<&str> = headers.keys().map(HeaderName::as_str).collect();
    let canonical_headers = canonical_headers(&signed, headers, None).map_err(|bad| match bad {
        BadHeader::NotUtf8(name) | BadHeader::Absent(name) => SignError::HeaderValue { name: name.to_owned() },
    })?;
    Ok(assemble(method.as_str(), path, query, &canonical_headers, &signed, hashed_payload))
}

/// `ACS3-HMAC-SHA256\n` and the hex SHA-256 of `canonical_request`.
pub fn string_to_sign(canonical_request: &str) -> String {
    StringToSign::of(&Sha256::digest(canonical_request.as_bytes())).as_str().to_owned()
}

/// The length of a hex SHA-256.
const HEX_SHA256: usize = 64;

/// A string-to-sign, `ACS3-HMAC-SHA256\n` and a hex SHA-256, held without
/// allocating.
pub(crate) struct StringToSign([u8; ALGORITHM.len() + 1 + HEX_SHA256]);

impl StringToSign {
    /// The string-to-sign of the canonical request whose SHA-256 is `digest`.
    pub(crate) fn of(digest: &[u8]) -> Self {
        let mut text = [b'\n'; ALGORITHM.len() + 1 + HEX_SHA256];
        for (slot, byte) in text.iter_mut().zip(ALGORITHM.bytes()) {
            *slot = byte;
        }
        if let Some(hex_digits) = text.get_mut(ALGORITHM.len() + 1..) {
            // A SHA-256 gives exactly 64 digits; anything else leaves no
            // digits, a string-to-sign that no client signed.
            let _ = hex::encode_to_slice(digest, hex_digits);
        }
        Self(text)
    }

    pub(crate) fn as_str(&self) -> &str {
        // Only ASCII was written; were it not so, the empty string signs
        // nothing the client sent.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

/// The hex SHA-256 of `bytes`, held without allocating.
pub(crate) struct HexSha256([u8; HEX_SHA256]);

impl HexSha256 {
    /// The hex SHA-256 of no bytes, the body of most RPC calls.
    const EMPTY: Self = Self(*b"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

    pub(crate) fn of(bytes: &[u8]) -> Self {
        if bytes.is_empty() {
            return Self::EMPTY;
        }
        let mut text = [b'0'; HEX_SHA256];
        // The lengths are fixed: 32 bytes give exactly 64 digits.
        let _ = hex::encode_to_slice(Sha256::digest(bytes), &mut text);
        Self(text)
    }

    pub(crate) fn as_str(&self) -> &str {
        // Only ASCII digits were written.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

/// The hex HMAC-SHA256 of `string_to_sign` under `secret`.
pub fn signature(secret: &Secret, string_to_sign: &str) -> String {
    // HMAC takes keys of any length, so `mac` always gives one; were it
    // not to, the empty signature verifies nothing.
    mac(secret, string_to_sign).map(|mac| hex::encode(mac.finalize().into_bytes())).unwrap_or_default()
}

/// Whether `signature` (decoded) is the signature of `string_to_sign`,
/// compared in constant time.
pub(crate) fn verify(secret: &Secret, string_to_sign: &str, signature: &[u8]) -> bool {
    mac(secret, string_to_sign).is_some_and(|mac| mac.verify_slice(signature).is_ok())
}

fn mac(secret: &Secret, string_to_sign: &str) -> Option<Hmac<Sha256>> {
    let mut mac = secret.v3_mac()?;
    mac.update(string_to_sign.as_bytes());
    Some(mac)
}

/// Whether a header present in a request must be among its signed headers.
pub(crate) fn must_be_signed(name: &str) -> bool {
    name == "host" || name == "content-type" || name.starts_with("x-acs-")
}

/// The parts of an `Authorization` header.
#[derive(Debug)]
pub(crate) struct Authorization<'a> {
    pub(crate) access_key_id: &'a str,
    /// Lower-case, sorted, without repeats.
    pub(crate) signed_headers: Vec<&'a str>,
    pub(crate) signature: [u8; 32],
}

/// Reads `ACS3-HMAC-SHA256 Credential=<id>,SignedHeaders=<a;b>,Signature=<hex>`
/// (spaces after the commas allowed), each part once.
pub(crate) fn parse_authorization(value: &HeaderValue) -> Result<Authorization<'_>, AuthError> {
    let incomplete = |reason| AuthError::IncompleteSignature { reason };
    let text = value.to_str().map_err(|_| incomplete("the Authorization header is not ASCII"))?;
    let rest = text
        .trim()
        .strip_prefix(ALGORITHM)
        .and_then(|rest| rest.strip_prefix(' '))
        .ok_or(incomplete("the Authorization header is not ACS3-HMAC-SHA256"))?;
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let (name, value) = part.trim().split_once('=').ok_or(incomplete("a part of Authorization has no `=`"))?;
        let slot = match name {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => return Err(incomplete("Authorization has an unknown part")),
        };
        if slot.replace(value).is_some() {
            return Err(incomplete("a part of Authorization is given twice"));
        }
    }
    let access_key_id = credential.filter(|id| !id.is_empty()).ok_or(incomplete("Authorization has no Credential"))?;
    let signed_headers: Vec<&str> =
        signed_headers.ok_or(incomplete("Authorization has no SignedHeaders"))?.split(';').collect();
    if !signed_headers.iter().all(|name| !name.is_empty() && name.bytes().all(is_lower_case_token)) {
        return Err(incomplete("SignedHeaders holds a name that is not a lower-case header name"));
    }
    if !signed_headers.windows(2).all(|pair| matches!(pair, [a, b] if a < b)) {
        return Err(incomplete("SignedHeaders is not sorted, or repeats a name"));
    }
    let signature = signature
        .and_then(|hex_text| decode_hex(hex_text.as_bytes()))
        .ok_or(incomplete("the Signature of Authorization is not 64 hex digits"))?;
    Ok(Authorization { access_key_id, signed_headers, signature })
}

/// A byte of an HTTP header name (RFC 9110 `tchar`), but no upper-case
/// letter.
fn is_lower_case_token(byte: u8) -> bool {
    matches!(byte, b'a'..=b'z' | b'0'..=b'9')
        || matches!(byte, b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.' | b'^' | b'_')
        || matches!(byte, b'`' | b'|' | b'~')
}

/// Why a signed header cannot be canonicalized.
#[derive(Debug)]
pub(crate) enum BadHeader<'a> {
    /// A value is not UTF-8.
    NotUtf8(&'a str),
    /// The header is not in the request.
    Absent(&'a str),
}

/// `name:value\n` for each of `signed` (sorted), the values of a repeated
/// header trimmed, sorted and joined by `,`. `host` falls back on
/// `authority` when the request has no `Host` header (HTTP/2).
pub(crate) fn canonical_headers<'a>(
    signed: &[&'a str],
    headers: &HeaderMap,
    authority: Option<&str>,
) -> Result<String, BadHeader<'a>> {
    let mut out = String::new();
    let mut values = Vec::new();
    for &name in signed {
        values.clear();
        for value in headers.get_all(name) {
            let text = std::str::from_utf8(value.as_bytes()).map_err(|_| BadHeader::NotUtf8(name))?;
            values.push(text.trim_matches([' ', '\t']));
        }
        if values.is_empty()
            && name == "host"
            && let Some(authority) = authority
        {
            values.push(authority);
        }
        if values.is_empty() {
            return Err(BadHeader::Absent(name));
        }
        values.sort_unstable();
        out.push_str(name);
        out.push(':');
        for (index, value) in values.iter().enumerate() {
            if index > 0 {
                out.push(',');
            }
            out.push_str(value);
        }
        out.push('\n');
    }
    Ok(out)
}

/// The canonical request from its parts.
pub(crate) fn assemble(
    method: &str,
    path: &str,
    query: &BTreeMap<String, String>,
    canonical_headers: &str,
    signed_headers: &[&str],
    hashed_payload: &str,
) -> String {
    let mut out = String::with_capacity(method.len() + path.len() + canonical_headers.len() + 256);
    write_canonical_request(
        &mut out,
        method,
        path,
        query,
        |out| out.put(canonical_headers),
        signed_headers,
        hashed_payload,
    );
    out
}

/// Writes the canonical request to `out`, the canonical headers
/// (`name:value\n` each) by `canonical_headers`.
pub(crate) fn write_canonical_request<S: Sink + ?Sized>(
    out: &mut S,
    method: &str,
    path: &str,
    query: &BTreeMap<String, String>,
    canonical_headers: impl FnOnce(&mut S),
    signed_headers: &[&str],
    hashed_payload: &str,
) {
    out.put(method);
    out.put("\n");
    out.put(if path.is_empty() { "/" } else { path });
    out.put("\n");
    for (index, (name, value)) in query.iter().enumerate() {
        if index > 0 {
            out.put("&");
        }
        write_encoded(out, name);
        out.put("=");
        write_encoded(out, value);
    }
    out.put("\n");
    canonical_headers(out);
    out.put("\n");
    for (index, name) in signed_headers.iter().enumerate() {
        if index > 0 {
            out.put(";");
        }
        out.put(name);
    }
    out.put("\n");
    out.put(hashed_payload);
}

/// Writes `name:value\n` for each signed header, from `values`: pairs of
/// the index of a name in `signed` and one of its values, sorted, with
/// every name present. The values of a name are joined by `,`.
pub(crate) fn write_canonical_headers(out: &mut (impl Sink + ?Sized), signed: &[&str], values: &[(usize, &str)]) {
    let mut current = None;
    for &(index, value) in values {
        if current == Some(index) {
            out.put(",");
        } else {
            if current.is_some() {
                out.put("\n");
            }
            out.put(signed.get(index).copied().unwrap_or_default());
            out.put(":");
            current = Some(index);
        }
        out.put(value);
    }
    if current.is_some() {
        out.put("\n");
    }
}

fn header_value(name: &str, value: &str) -> Result<HeaderValue, SignError> {
    HeaderValue::from_str(value).map_err(|_| SignError::HeaderValue { name: name.to_owned() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> Result<Authorization<'static>, AuthError> {
        let value: &'static HeaderValue = Box::leak(Box::new(HeaderValue::from_str(text).unwrap()));
        parse_authorization(value)
    }

    const SIGNATURE: &str = "5dd105d3793d8ec57234c79309a68e464cd5fdcf544611350851f6415d164f93";

    #[test]
    fn reads_the_sdk_authorization() {
        let auth = parsed(&format!(
            "ACS3-HMAC-SHA256 Credential=LTAI5t,SignedHeaders=host;x-acs-action;x-acs-date,Signature={SIGNATURE}"
        ))
        .unwrap();
        assert_eq!(auth.access_key_id, "LTAI5t");
        assert_eq!(auth.signed_headers, ["host", "x-acs-action", "x-acs-date"]);
        assert_eq!(hex::encode(auth.signature), SIGNATURE);
        let spaced =
            parsed(&format!("ACS3-HMAC-SHA256 Credential=LTAI5t, SignedHeaders=host, Signature={SIGNATURE}")).unwrap();
        assert_eq!(spaced.signed_headers, ["host"]);
    }

    #[test]
    fn refuses_malformed_authorizations() {
        for text in [
            String::new(),
            "ACS3-HMAC-SHA256".to_owned(),
            format!("ACS3-HMAC-SM3 Credential=a,SignedHeaders=host,Signature={SIGNATURE}"),
            format!("acs3-hmac-sha256 Credential=a,SignedHeaders=host,Signature={SIGNATURE}"),
            format!("ACS3-HMAC-SHA256 Credential=,SignedHeaders=host,Signature={SIGNATURE}"),
            format!("ACS3-HMAC-SHA256 SignedHeaders=host,Signature={SIGNATURE}"),
            format!("ACS3-HMAC-SHA256 Credential=a,Signature={SIGNATURE}"),
            "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host".to_owned(),
            "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host,Signature=5dd1".to_owned(),
            format!("ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host,Signature={SIGNATURE}zz"),
            format!("ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host,Signature={SIGNATURE},Credential=b"),
            format!("ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host,Signature={SIGNATURE},Region=x"),
            format!("ACS3-HMAC-SHA256 Credential=a,SignedHeaders=x-acs-date;host,Signature={SIGNATURE}"),
            format!("ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host;host,Signature={SIGNATURE}"),
            format!("ACS3-HMAC-SHA256 Credential=a,SignedHeaders=Host,Signature={SIGNATURE}"),
            format!("ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host;;x-acs-date,Signature={SIGNATURE}"),
            format!("ACS3-HMAC-SHA256 Credential=a,SignedHeaders=,Signature={SIGNATURE}"),
            format!("ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host,Signature={SIGNATURE},"),
        ] {
            let error = parsed(&text).unwrap_err();
            assert_eq!(error.code(), "IncompleteSignature", "{text:?}: {error:?}");
        }
    }

    #[test]
    fn digests_are_written_as_hex() {
        for body in [&b""[..], b"abc", &[0; 1000]] {
            assert_eq!(HexSha256::of(body).as_str(), hex::encode(Sha256::digest(body)));
        }
        let digest = Sha256::digest(b"canonical");
        assert_eq!(StringToSign::of(&digest).as_str(), format!("ACS3-HMAC-SHA256\n{}", hex::encode(digest)));
    }

    #[test]
    fn joins_repeated_headers_sorted_and_trimmed() {
        let mut headers = HeaderMap::new();
        headers.append("x-acs-b", HeaderValue::from_static("  two "));
        headers.append("x-acs-b", HeaderValue::from_static("one"));
        headers.append("x-acs-a", HeaderValue::from_static("\tzero"));
        assert_eq!(
            canonical_headers(&["x-acs-a", "x-acs-b"], &headers, None).unwrap(),
            "x-acs-a:zero\nx-acs-b:one,two\n"
        );
        assert!(matches!(canonical_headers(&["host"], &headers, None), Err(BadHeader::Absent("host"))));
        assert_eq!(canonical_headers(&["host"], &headers, Some("example.com")).unwrap(), "host:example.com\n");
    }
}
