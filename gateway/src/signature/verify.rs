//! The verifier: one request in, what it authenticates (or Alibaba's
//! error) out.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderValue, Method};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::credentials::{Credential, Credentials};
use super::encoding::{Pairs, insert_all, insert_all_apart, parse_pairs};
use super::error::AuthError;
use super::nonce::{NonceRefusal, NonceStore};
use super::timestamp::parse_timestamp;
use super::{v1, v3};

/// The most a request's time may be from the server's clock, either way:
/// 15 minutes, as Alibaba Cloud allows.
pub const MAX_SKEW: Duration = Duration::from_secs(15 * 60);

/// The request to verify, as the HTTP layer holds it.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequest<'a> {
    method: &'a Method,
    target: &'a str,
    authority: Option<&'a str>,
    headers: &'a HeaderMap,
    body: &'a [u8],
}

impl<'a> SignedRequest<'a> {
    /// A request with `method`, `target` (the path and query as sent,
    /// `/?Action=...`), `headers` and the whole `body`.
    pub fn new(method: &'a Method, target: &'a str, headers: &'a HeaderMap, body: &'a [u8]) -> Self {
        Self { method, target, authority: None, headers, body }
    }

    /// The request of `parts` (as `http::Request::into_parts` gives them)
    /// with the collected `body`. The URI's authority stands in for a
    /// missing `Host` header, as HTTP/2 sends it.
    pub fn from_parts(parts: &'a http::request::Parts, body: &'a [u8]) -> Self {
        Self {
            method: &parts.method,
            target: parts.uri.path_and_query().map_or("/", http::uri::PathAndQuery::as_str),
            authority: parts.uri.authority().map(http::uri::Authority::as_str),
            headers: &parts.headers,
            body,
        }
    }
}

/// How large a request the verifier reads. Past any of them the request is
/// refused (`InvalidParameter`) before any other work, so verification
/// costs time linear in what the limits allow (sorting parameters and
/// header values adds a logarithmic factor).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Bytes of the path and query: 32 KiB by default, four times the
    /// request line most HTTP servers take (8 KiB).
    pub target_bytes: usize,
    /// Header fields, counting each value of a repeated header: 100.
    pub header_fields: usize,
    /// Bytes of header names and values: 64 KiB (an STS token is 1 to 2 KiB).
    pub header_bytes: usize,
    /// Bytes of the body: 1 MiB.
    pub body_bytes: usize,
    /// Parameters of the query and a form body together: 1,000.
    pub parameters: usize,
    /// Bytes of a nonce: 128 (the SDKs send 32 hex digits or a 36-character
    /// UUID); this bounds what a nonce store holds per request (a
    /// [`MemoryNonceStore`](super::MemoryNonceStore) holds a digest of a
    /// fixed size).
    pub nonce_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            target_bytes: 32 * 1024,
            header_fields: 100,
            header_bytes: 64 * 1024,
            body_bytes: 1024 * 1024,
            parameters: 1000,
            nonce_bytes: 128,
        }
    }
}

/// Which signature a request carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignatureVersion {
    /// `ACS3-HMAC-SHA256`, in the `Authorization` header.
    V3,
    /// `HMAC-SHA1`, in the `Signature` parameter.
    V1,
}

impl SignatureVersion {
    /// The algorithm's name: `ACS3-HMAC-SHA256` or `HMAC-SHA1`.
    pub fn algorithm(self) -> &'static str {
        match self {
            Self::V3 => v3::ALGORITHM,
            Self::V1 => v1::SIGNATURE_METHOD,
        }
    }
}

/// What a verified request authenticated.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Authenticated {
    /// Who signed.
    pub access_key_id: String,
    /// With which signature.
    pub signature_version: SignatureVersion,
    /// The API operation (`x-acs-action` or `Action`).
    pub action: String,
    /// The API version (`x-acs-version` or `Version`).
    pub api_version: String,
    /// The API parameters, of the query and a form body, decoded and
    /// verbatim (`DryRun` stays `False` if sent so); for V1 without the
    /// signature's own ([`v1::PROTOCOL_PARAMETERS`]).
    pub parameters: BTreeMap<String, String>,
    /// The request's nonce, now remembered.
    pub nonce: String,
    /// The request's time.
    pub timestamp: OffsetDateTime,
    /// The security token of a temporary credential.
    pub security_token: Option<String>,
}

impl fmt::Debug for Authenticated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticated")
            .field("access_key_id", &self.access_key_id)
            .field("signature_version", &self.signature_version)
            .field("action", &self.action)
            .field("api_version", &self.api_version)
            .field("parameters", &self.parameters)
            .field("nonce", &self.nonce)
            .field("timestamp", &self.timestamp)
            .field("security_token", &self.security_token.as_ref().map(|_| ".."))
            .finish()
    }
}

/// Verifies requests against `credentials`, remembering nonces in `nonces`.
///
/// Share one verifier (and so one nonce store) between all the threads that
/// serve requests: it is `Sync` when its parts are.
#[derive(Debug)]
pub struct Verifier<C, N> {
    credentials: C,
    nonces: N,
    limits: Limits,
}

/// The parts of a request both signatures read.
struct Parsed<'a> {
    request: &'a SignedRequest<'a>,
    named: NamedHeaders<'a>,
    path: &'a str,
    query: Pairs<'a>,
    body: Pairs<'a>,
    form: bool,
}

/// The headers verification reads by name, found in one pass over the
/// request's headers rather than looked up one by one.
#[derive(Default)]
struct NamedHeaders<'h> {
    content_type: Named<'h>,
    authorization: Named<'h>,
    action: Named<'h>,
    version: Named<'h>,
    date: Named<'h>,
    nonce: Named<'h>,
    content_sha256: Named<'h>,
    security_token: Named<'h>,
}

/// A header's first value, and whether it has more than one.
#[derive(Debug, Default, Clone, Copy)]
struct Named<'h> {
    first: Option<&'h HeaderValue>,
    repeated: bool,
}

impl<'h> NamedHeaders<'h> {
    fn of(headers: &'h HeaderMap) -> Self {
        let mut named = Self::default();
        for (name, value) in headers {
            let header = match name.as_str() {
                "content-type" => &mut named.content_type,
                "authorization" => &mut named.authorization,
                v3::ACTION => &mut named.action,
                v3::VERSION => &mut named.version,
                v3::DATE => &mut named.date,
                v3::NONCE => &mut named.nonce,
                v3::CONTENT_SHA256 => &mut named.content_sha256,
                v3::SECURITY_TOKEN => &mut named.security_token,
                _ => continue,
            };
            if header.first.is_none() {
                header.first = Some(value);
            } else {
                header.repeated = true;
            }
        }
        named
    }
}

impl<C: Credentials, N: NonceStore> Verifier<C, N> {
    /// A verifier with the default [`Limits`].
    pub fn new(credentials: C, nonces: N) -> Self {
        Self { credentials, nonces, limits: Limits::default() }
    }

    /// The same verifier with other limits.
    pub fn with_limits(self, limits: Limits) -> Self {
        Self { limits, ..self }
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The credentials it looks AccessKeyIds up in.
    pub fn credentials(&self) -> &C {
        &self.credentials
    }

    /// The nonce store.
    pub fn nonces(&self) -> &N {
        &self.nonces
    }

    /// Verifies `request` at `now` (the wall clock).
    ///
    /// A request with an `Authorization` header is V3, one without is V1.
    /// Everything that needs no secret is checked first (limits, the form
    /// of the signature and of every header and parameter it covers,
    /// parameters given twice, the timestamp's form); then the AccessKeyId,
    /// the clock skew and the signature; then the security token, and only
    /// then is the nonce remembered, so that neither a forged request nor
    /// one with a wrong token uses one up.
    ///
    /// It awaits only the nonce store, after every other check has passed:
    /// a store that cannot answer refuses the request
    /// ([`AuthError::NonceStoreUnavailable`]), it never lets it through.
    pub async fn verify(&self, request: &SignedRequest<'_>, now: OffsetDateTime) -> Result<Authenticated, AuthError> {
        self.verify_with(&self.credentials, request, now).await
    }

    /// [`Verifier::verify`], looking the AccessKeyId up in `credentials`
    /// instead of the verifier's own: a caller that holds one version of
    /// a replaceable key ring verifies and decides with that same version.
    pub async fn verify_with<K: Credentials + ?Sized>(
        &self,
        credentials: &K,
        request: &SignedRequest<'_>,
        now: OffsetDateTime,
    ) -> Result<Authenticated, AuthError> {
        let authenticated = self.authenticate(credentials, request, now)?;
        self.remember(&authenticated.access_key_id, &authenticated.nonce, authenticated.timestamp, now).await?;
        Ok(authenticated)
    }

    /// Every check of [`Verifier::verify`] but the nonce.
    fn authenticate<K: Credentials + ?Sized>(
        &self,
        credentials: &K,
        request: &SignedRequest<'_>,
        now: OffsetDateTime,
    ) -> Result<Authenticated, AuthError> {
        self.check_limits(request)?;
        let named = NamedHeaders::of(request.headers);
        let (path, query) = request.target.split_once('?').unwrap_or((request.target, ""));
        let mut query_pairs = Pairs::new();
        parse_pairs(query.as_bytes(), self.limits.parameters, &mut query_pairs)?;
        let form = is_form(named.content_type)?;
        let mut body_pairs = Pairs::new();
        if form {
            let room = self.limits.parameters.saturating_sub(query_pairs.len());
            parse_pairs(request.body, room, &mut body_pairs)?;
        }
        let authorization = named.authorization;
        let parsed = Parsed { request, named, path, query: query_pairs, body: body_pairs, form };
        match authorization {
            Named { first: Some(_), repeated: true } => {
                Err(AuthError::IncompleteSignature { reason: "the request has more than one Authorization header" })
            }
            Named { first: Some(value), repeated: false } => self.verify_v3(credentials, parsed, value, now),
            Named { first: None, .. } => self.verify_v1(credentials, parsed, now),
        }
    }

    fn check_limits(&self, request: &SignedRequest<'_>) -> Result<(), AuthError> {
        let limits = &self.limits;
        let too_large = |what, limit| Err(AuthError::TooLarge { what, limit });
        if request.target.len() > limits.target_bytes {
            return too_large("path and query bytes", limits.target_bytes);
        }
        if request.headers.len() > limits.header_fields {
            return too_large("header fields", limits.header_fields);
        }
        let header_bytes = request
            .headers
            .iter()
            .fold(0_usize, |sum, (name, value)| sum.saturating_add(name.as_str().len()).saturating_add(value.len()));
        if header_bytes > limits.header_bytes {
            return too_large("header bytes", limits.header_bytes);
        }
        if request.body.len() > limits.body_bytes {
            return too_large("body bytes", limits.body_bytes);
        }
        Ok(())
    }

    fn verify_v3<K: Credentials + ?Sized>(
        &self,
        credentials: &K,
        parsed: Parsed<'_>,
        authorization: &http::HeaderValue,
        now: OffsetDateTime,
    ) -> Result<Authenticated, AuthError> {
        let Parsed { request, named, path, query: query_pairs, body: body_pairs, .. } = parsed;
        let headers = request.headers;
        let auth = v3::parse_authorization(authorization)?;
        let action = required_header(named.action, v3::ACTION)?;
        let api_version = required_header(named.version, v3::VERSION)?;
        let date = required_header(named.date, v3::DATE)?;
        let nonce = required_header(named.nonce, v3::NONCE)?;
        let content_sha256 = required_header(named.content_sha256, v3::CONTENT_SHA256)?;
        let security_token = single_header(named.security_token, v3::SECURITY_TOKEN)?.filter(|token| !token.is_empty());
        self.check_nonce_size(v3::NONCE, nonce)?;
        let header_values = signed_header_values(&auth.signed_headers, headers, request.authority)?;
        // The query alone is signed as the canonical query; the parameters
        // are the query's and the body's, which are kept apart until the
        // canonical request is hashed rather than copied.
        let mut query = BTreeMap::new();
        insert_all(&mut query, query_pairs)?;
        let mut body = BTreeMap::new();
        insert_all_apart(&mut body, &query, body_pairs)?;
        let timestamp = parse_timestamp(date).ok_or(AuthError::TimestampFormat { name: v3::DATE })?;

        let credential = credentials.credential(auth.access_key_id).ok_or(AuthError::AccessKeyNotFound)?;
        check_skew(timestamp, now)?;
        let body_hash = v3::HexSha256::of(request.body);
        let mut canonical = Sha256::new();
        v3::write_canonical_request(
            &mut canonical,
            request.method.as_str(),
            path,
            &query,
            |out| v3::write_canonical_headers(out, &auth.signed_headers, &header_values),
            &auth.signed_headers,
            body_hash.as_str(),
        );
        let string_to_sign = v3::StringToSign::of(&canonical.finalize());
        if !content_sha256.eq_ignore_ascii_case(body_hash.as_str()) {
            return Err(AuthError::BodyHashMismatch { string_to_sign: string_to_sign.as_str().to_owned() });
        }
        if !v3::verify(credential.secret(), string_to_sign.as_str(), &auth.signature) {
            return Err(AuthError::SignatureDoesNotMatch { string_to_sign: string_to_sign.as_str().to_owned() });
        }
        check_security_token(&credential, security_token, now)?;
        let mut parameters = query;
        parameters.append(&mut body);
        Ok(Authenticated {
            access_key_id: auth.access_key_id.to_owned(),
            signature_version: SignatureVersion::V3,
            action: action.to_owned(),
            api_version: api_version.to_owned(),
            parameters,
            nonce: nonce.to_owned(),
            timestamp,
            security_token: security_token.map(str::to_owned),
        })
    }

    fn verify_v1<K: Credentials + ?Sized>(
        &self,
        credentials: &K,
        parsed: Parsed<'_>,
        now: OffsetDateTime,
    ) -> Result<Authenticated, AuthError> {
        let Parsed { request, named, query, body, form, .. } = parsed;
        if !form && !request.body.is_empty() {
            return Err(AuthError::IncompleteSignature {
                reason: "a V1 request has a body that is not form parameters, which its signature would not cover",
            });
        }
        // Every parameter is signed; only the operation's, and a few that
        // the result holds, are copied out of the request.
        let mut signed: BTreeMap<Cow<'_, str>, Cow<'_, str>> = BTreeMap::new();
        insert_all(&mut signed, query)?;
        insert_all(&mut signed, body)?;
        let Some(signature) = signed.get("Signature") else {
            return Err(AuthError::IncompleteSignature {
                reason: "the request carries neither an Authorization header nor a Signature parameter",
            });
        };
        // Room for more than an HMAC-SHA1, so that a longer signature is
        // told apart by its length rather than by the room.
        let mut decoded = [0; 32];
        let signature = STANDARD
            .decode_slice(signature.as_bytes(), &mut decoded)
            .ok()
            .filter(|&length| length == 20)
            .and_then(|length| decoded.get(..length))
            .ok_or(AuthError::IncompleteSignature { reason: "the Signature parameter is not a base64 HMAC-SHA1" })?;
        let required = |name: &'static str| {
            signed
                .get(name)
                .map(|value| value.as_ref())
                .filter(|value| !value.is_empty())
                .ok_or(AuthError::MissingParameter { name })
        };
        let access_key_id = required("AccessKeyId")?;
        let method = required("SignatureMethod")?;
        let version = required("SignatureVersion")?;
        let nonce = required("SignatureNonce")?;
        let date = required("Timestamp")?;
        let action = required("Action")?;
        let api_version = required("Version")?;
        if method != v1::SIGNATURE_METHOD {
            return Err(AuthError::InvalidParameter { name: "SignatureMethod".to_owned() });
        }
        if version != v1::SIGNATURE_VERSION {
            return Err(AuthError::InvalidParameter { name: "SignatureVersion".to_owned() });
        }
        self.check_nonce_size("SignatureNonce", nonce)?;
        let security_token = signed.get("SecurityToken").map(|token| token.as_ref()).filter(|token| !token.is_empty());
        // The V1 SDK also sends x-acs-action and x-acs-version headers, which
        // its signature does not cover: they may only repeat what it does.
        for (header, name, signed_value) in [
            (named.action, v3::ACTION, Some(action)),
            (named.version, v3::VERSION, Some(api_version)),
            (named.security_token, v3::SECURITY_TOKEN, security_token),
        ] {
            if let Some(value) = single_header(header, name)?
                && Some(value) != signed_value
            {
                return Err(AuthError::IncompleteSignature {
                    reason: "an x-acs- header of a V1 request differs from the signed parameter",
                });
            }
        }
        let timestamp = parse_timestamp(date).ok_or(AuthError::TimestampFormat { name: "Timestamp" })?;

        let credential = credentials.credential(access_key_id).ok_or(AuthError::AccessKeyNotFound)?;
        check_skew(timestamp, now)?;
        let parameters = || signed.iter().map(|(name, value)| (name.as_ref(), value.as_ref()));
        if !v1::verify(credential.secret(), request.method.as_str(), parameters(), signature) {
            let mut string_to_sign = String::new();
            v1::write_string_to_sign(&mut string_to_sign, request.method.as_str(), parameters());
            return Err(AuthError::SignatureDoesNotMatch { string_to_sign });
        }
        check_security_token(&credential, security_token, now)?;
        let authenticated = Authenticated {
            access_key_id: access_key_id.to_owned(),
            signature_version: SignatureVersion::V1,
            action: action.to_owned(),
            api_version: api_version.to_owned(),
            parameters: BTreeMap::new(),
            nonce: nonce.to_owned(),
            timestamp,
            security_token: security_token.map(str::to_owned),
        };
        let parameters = signed
            .into_iter()
            .filter(|(name, _)| !v1::PROTOCOL_PARAMETERS.contains(&name.as_ref()))
            .map(|(name, value)| (name.into_owned(), value.into_owned()))
            .collect();
        Ok(Authenticated { parameters, ..authenticated })
    }

    fn check_nonce_size(&self, name: &str, nonce: &str) -> Result<(), AuthError> {
        if nonce.len() > self.limits.nonce_bytes {
            return Err(AuthError::InvalidParameter { name: name.to_owned() });
        }
        Ok(())
    }

    async fn remember(
        &self,
        access_key_id: &str,
        nonce: &str,
        timestamp: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<(), AuthError> {
        self.nonces.remember(access_key_id, nonce, timestamp, now).await.map_err(|refusal| match refusal {
            NonceRefusal::Used => AuthError::NonceUsed,
            NonceRefusal::Full { retry_after } => AuthError::Unavailable { retry_after },
            NonceRefusal::Unavailable => AuthError::NonceStoreUnavailable,
        })
    }
}

/// Whether the body is `application/x-www-form-urlencoded` (with any
/// parameters, such as `charset`).
fn is_form(content_type: Named<'_>) -> Result<bool, AuthError> {
    Ok(single_header(content_type, CONTENT_TYPE.as_str())?.is_some_and(|value| {
        value.split(';').next().unwrap_or_default().trim().eq_ignore_ascii_case("application/x-www-form-urlencoded")
    }))
}

/// The value of header `name`, which must not be sent twice, trimmed.
fn single_header<'h>(header: Named<'h>, name: &str) -> Result<Option<&'h str>, AuthError> {
    let Some(value) = header.first else {
        return Ok(None);
    };
    if header.repeated {
        return Err(AuthError::DuplicateParameter { name: name.to_owned() });
    }
    let text =
        std::str::from_utf8(value.as_bytes()).map_err(|_| AuthError::InvalidParameter { name: name.to_owned() })?;
    Ok(Some(text.trim_matches([' ', '\t'])))
}

/// The value of header `name`, which the V3 signature needs.
fn required_header<'h>(header: Named<'h>, name: &'static str) -> Result<&'h str, AuthError> {
    single_header(header, name)?.filter(|value| !value.is_empty()).ok_or(AuthError::MissingParameter { name })
}

/// The values of the signed headers (`signed`, sorted and without
/// repeats), for [`v3::write_canonical_headers`]: each as the index of its
/// name in `signed` and the value trimmed, sorted by both, read in one pass
/// over the headers. `host` falls back on `authority` when the request has
/// no `Host` header (HTTP/2).
///
/// `host`, `content-type` (when sent) and every `x-acs-*` header must be
/// signed, every signed header sent, and its values UTF-8 (else the first
/// such name, in `signed`'s order, is refused as an invalid parameter).
fn signed_header_values<'h>(
    signed: &[&str],
    headers: &'h HeaderMap,
    authority: Option<&'h str>,
) -> Result<Vec<(usize, &'h str)>, AuthError> {
    // The index of a name in `signed`: for the dozen names the SDKs sign,
    // comparing lengths first is cheaper than comparing text.
    let index = |name: &str| {
        if signed.len() <= 16 {
            signed.iter().position(|&signed| signed == name)
        } else {
            signed.binary_search(&name).ok()
        }
    };
    let Some(host) = index("host") else {
        return Err(AuthError::IncompleteSignature { reason: "host is not signed" });
    };
    let mut values = Vec::with_capacity(headers.len() + 1);
    let (mut unsigned, mut has_host, mut not_utf8) = (false, false, None);
    for (name, value) in headers {
        let Some(index) = index(name.as_str()) else {
            unsigned |= v3::must_be_signed(name.as_str());
            continue;
        };
        has_host |= index == host;
        let text = match std::str::from_utf8(value.as_bytes()) {
            Ok(text) => text.trim_matches([' ', '\t']),
            Err(_) => {
                // Kept (empty) to count the header as sent; refused below.
                not_utf8 = Some(not_utf8.map_or(index, |first: usize| first.min(index)));
                ""
            }
        };
        values.push((index, text));
    }
    if unsigned {
        return Err(AuthError::IncompleteSignature { reason: "an x-acs- header or Content-Type is not signed" });
    }
    if !has_host && let Some(authority) = authority {
        values.push((host, authority));
    }
    values.sort_unstable();
    // Each name counted once, however many values it has.
    let sent =
        values.iter().zip(values.iter().skip(1)).filter(|(a, b)| a.0 != b.0).count() + usize::from(!values.is_empty());
    if sent != signed.len() {
        return Err(AuthError::IncompleteSignature { reason: "a signed header is absent" });
    }
    if let Some(index) = not_utf8 {
        let name = signed.get(index).copied().unwrap_or_default();
        return Err(AuthError::InvalidParameter { name: name.to_owned() });
    }
    Ok(values)
}

fn check_skew(timestamp: OffsetDateTime, now: OffsetDateTime) -> Result<(), AuthError> {
    if timestamp.unix_timestamp().abs_diff(now.unix_timestamp()) > MAX_SKEW.as_secs() {
        return Err(AuthError::TimestampExpired);
    }
    Ok(())
}

/// A temporary credential needs its own token and must not have expired; a
/// permanent one takes no token.
fn check_security_token(
    credential: &Credential,
    presented: Option<&str>,
    now: OffsetDateTime,
) -> Result<(), AuthError> {
    match (credential.security_token(), presented) {
        (None, None) => {}
        (Some(_), None) => return Err(AuthError::MissingSecurityToken),
        (None, Some(_)) => return Err(AuthError::SecurityTokenMismatch),
        (Some(expected), Some(given)) => {
            if expected != given {
                return Err(AuthError::SecurityTokenMismatch);
            }
        }
    }
    if credential.expires_at().is_some_and(|at| now >= at) {
        return Err(AuthError::SecurityTokenExpired);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use http::{HeaderName, HeaderValue};

    use super::super::encoding::Sink;

    use super::*;

    fn header_map(fields: &[(&str, &[u8])]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for &(name, value) in fields {
            map.append(HeaderName::from_bytes(name.as_bytes()).unwrap(), HeaderValue::from_bytes(value).unwrap());
        }
        map
    }

    /// The canonical request as verification writes it, checked against
    /// the canonical headers of `v3::canonical_headers` (which looks each
    /// name up) and against its hash as verification computes it.
    fn canonical(
        signed: &[&str],
        headers: &HeaderMap,
        authority: Option<&str>,
        query: &BTreeMap<String, String>,
    ) -> String {
        let values = signed_header_values(signed, headers, authority).unwrap();
        let mut written_headers = String::new();
        v3::write_canonical_headers(&mut written_headers, signed, &values);
        assert_eq!(written_headers, v3::canonical_headers(signed, headers, authority).unwrap());
        let payload = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(v3::HexSha256::of(b"").as_str(), payload);
        let mut text = String::new();
        let mut hash = Sha256::new();
        for out in [&mut text as &mut dyn Sink, &mut hash] {
            v3::write_canonical_request(
                out,
                "POST",
                "/",
                query,
                |out| v3::write_canonical_headers(out, signed, &values),
                signed,
                payload,
            );
        }
        let digest = hash.finalize();
        assert_eq!(digest, Sha256::digest(text.as_bytes()));
        assert_eq!(v3::StringToSign::of(&digest).as_str(), v3::string_to_sign(&text));
        text
    }

    fn query(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|&(name, value)| (name.to_owned(), value.to_owned())).collect()
    }

    #[test]
    fn the_canonical_request_is_hashed_as_it_is_written() {
        let headers = header_map(&[
            ("host", b"vpc.example"),
            ("x-acs-b", b"  two "),
            ("x-acs-a", b"\tzero"),
            ("x-acs-b", b"one"),
            ("x-acs-empty", b""),
            ("x-acs-text", "中文 é".as_bytes()),
            ("user-agent", b"unsigned"),
        ]);
        let signed = ["host", "x-acs-a", "x-acs-b", "x-acs-empty", "x-acs-text"];
        let parameters = query(&[("RegionId", "cn-hangzhou"), ("Empty", ""), ("名", "值 *~+"), ("a&b", "c=d")]);
        assert_eq!(
            canonical(&signed, &headers, None, &parameters),
            "POST\n/\nEmpty=&RegionId=cn-hangzhou&a%26b=c%3Dd&%E5%90%8D=%E5%80%BC%20%2A~%2B\n\
             host:vpc.example\nx-acs-a:zero\nx-acs-b:one,two\nx-acs-empty:\nx-acs-text:中文 é\n\n\
             host;x-acs-a;x-acs-b;x-acs-empty;x-acs-text\n\
             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        // An empty query, a header repeated with equal and empty values, the
        // host from the authority.
        let headers = header_map(&[("x-acs-r", b"b"), ("x-acs-r", b""), ("x-acs-r", b"b"), ("x-acs-r", b"a")]);
        assert_eq!(
            canonical(&["host", "x-acs-r"], &headers, Some("vpc.example:8080"), &BTreeMap::new()),
            "POST\n/\n\nhost:vpc.example:8080\nx-acs-r:,a,b,b\n\nhost;x-acs-r\n\
             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        // A Host header wins over the authority.
        let headers = header_map(&[("host", b"sent.example")]);
        assert!(
            canonical(&["host"], &headers, Some("authority.example"), &BTreeMap::new()).contains("host:sent.example\n")
        );
    }

    #[test]
    fn signed_headers_are_refused_as_before() {
        let code = |signed: &[&str], fields: &[(&str, &[u8])], authority: Option<&str>| {
            signed_header_values(signed, &header_map(fields), authority).unwrap_err()
        };
        let incomplete = |reason| AuthError::IncompleteSignature { reason };
        assert_eq!(code(&["x-acs-date"], &[("x-acs-date", b"d")], Some("h")), incomplete("host is not signed"));
        assert_eq!(
            code(&["host"], &[("host", b"h"), ("x-acs-date", b"d")], None),
            incomplete("an x-acs- header or Content-Type is not signed")
        );
        assert_eq!(
            code(&["host"], &[("host", b"h"), ("content-type", b"text/plain")], None),
            incomplete("an x-acs- header or Content-Type is not signed")
        );
        assert_eq!(code(&["host"], &[], None), incomplete("a signed header is absent"));
        assert_eq!(code(&["host", "x-acs-a"], &[("host", b"h")], None), incomplete("a signed header is absent"));
        assert_eq!(
            code(&["host", "x-acs-a"], &[("x-acs-a", b"a"), ("x-acs-a", b"b")], None),
            incomplete("a signed header is absent")
        );
        // Before a value that is not UTF-8, which names the first such header.
        assert_eq!(
            code(&["host", "x-acs-a", "x-acs-b"], &[("host", b"h"), ("x-acs-b", b"\xff")], None),
            incomplete("a signed header is absent")
        );
        assert_eq!(
            code(&["host", "x-acs-a", "x-acs-b"], &[("x-acs-b", b"\xff"), ("host", b"h"), ("x-acs-a", b"\xe4")], None),
            AuthError::InvalidParameter { name: "x-acs-a".into() }
        );
        assert_eq!(
            code(&["host", "x-acs-a"], &[("x-acs-a", b"a"), ("x-acs-a", b"\xff")], Some("h")),
            AuthError::InvalidParameter { name: "x-acs-a".into() }
        );
        // Many signed headers, as many as sent.
        let names: Vec<String> = (0..20).map(|n| format!("x-acs-{n:02}")).collect();
        let mut signed: Vec<&str> = names.iter().map(String::as_str).collect();
        signed.push("host");
        signed.sort_unstable();
        let mut fields: Vec<(&str, &[u8])> = signed.iter().map(|&name| (name, &b"v"[..])).collect();
        let headers = header_map(&fields);
        let values = signed_header_values(&signed, &headers, None).unwrap();
        assert_eq!(values.iter().map(|&(index, _)| index).collect::<Vec<_>>(), (0..21).collect::<Vec<_>>());
        fields.retain(|&(name, _)| name != "x-acs-07");
        assert_eq!(code(&signed, &fields, None), incomplete("a signed header is absent"));
        fields.push(("x-acs-20", b"v"));
        assert_eq!(code(&signed, &fields, None), incomplete("an x-acs- header or Content-Type is not signed"));
        // Headers that need no signature may go unsigned.
        let headers = header_map(&[("host", b"h"), ("accept", b"*/*")]);
        assert_eq!(signed_header_values(&["host"], &headers, None).unwrap(), [(0, "h")]);
    }
}
