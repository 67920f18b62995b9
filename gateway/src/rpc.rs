//! Alibaba Cloud RPC calls from SDK clients: authenticate the request's
//! signature, find the operation in the catalog, build the caller's context
//! from the transport, and hand the call to the guard.
//!
//! [`Gateway::handle`] is the whole path for one request, as a plain async
//! function over any [`Backend`]; [`crate::layer`] puts it in front of a
//! tower service.
//!
//! The context RAM conditions see comes from the transport and the
//! credential, never from the caller's parameters: `acs:SourceIp` is the
//! peer's address (or, when the peer is a trusted proxy, the last address in
//! `X-Forwarded-For` that is not one), `acs:SecureTransport` says whether
//! the connection was TLS, `acs:CurrentTime` is the gateway's clock,
//! `acs:AccessId` the AccessKeyId that signed, and `acs:MFAPresent` is
//! `false` unless the credential says otherwise.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use ramguard::Principal;
use ramguard::catalog::{Caller, Catalog, Operation};
use ramguard::guard::{Backend, ClientTokenStore, Guard, GuardOutcome, MemoryTokens};
use ramguard::sim::format_clock;
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::signature::{AuthError, Credential, Credentials, MemoryNonceStore, NonceStore, SignedRequest, Verifier};

/// Who the caller is and how it reached the gateway, as the server saw the
/// connection. A request without one is refused: without the peer's
/// address, a condition on `acs:SourceIp` could not be decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer {
    /// The address the connection came from.
    pub addr: SocketAddr,
    /// Whether the connection was TLS.
    pub secure: bool,
}

/// One AccessKeyId the gateway accepts: its credential and whose it is.
#[derive(Clone)]
pub struct Key {
    credential: Credential,
    principal: Principal,
    mfa: bool,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Key").field("principal", &self.principal).field("mfa", &self.mfa).finish_non_exhaustive()
    }
}

impl Key {
    /// A key of `principal` (a RAM user's AccessKey, or a role session's
    /// temporary credential).
    pub fn new(credential: Credential, principal: Principal) -> Self {
        Self { credential, principal, mfa: false }
    }

    /// Says that requests signed with this key were authenticated with MFA
    /// (`acs:MFAPresent` is then `true`).
    #[must_use]
    pub fn with_mfa(mut self, mfa: bool) -> Self {
        self.mfa = mfa;
        self
    }

    /// Whose key it is.
    pub fn principal(&self) -> &Principal {
        &self.principal
    }
}

/// The AccessKeyIds the gateway accepts.
#[derive(Debug, Clone, Default)]
pub struct KeyRing {
    keys: HashMap<String, Key>,
}

impl KeyRing {
    /// An empty key ring.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) `access_key_id`.
    pub fn insert(&mut self, access_key_id: impl Into<String>, key: Key) -> &mut Self {
        self.keys.insert(access_key_id.into(), key);
        self
    }

    /// The key of `access_key_id`.
    pub fn get(&self, access_key_id: &str) -> Option<&Key> {
        self.keys.get(access_key_id)
    }

    /// How many keys there are.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

impl Credentials for KeyRing {
    fn credential(&self, access_key_id: &str) -> Option<Credential> {
        self.keys.get(access_key_id).map(|k| k.credential.clone())
    }
}

/// What the gateway did with one request, for its decision log.
#[derive(Debug, Clone)]
pub struct Handled {
    /// The answer, as the service gives it (or would).
    pub response: Response<Bytes>,
    /// The AccessKeyId that signed, once the signature was verified.
    pub access_key_id: Option<String>,
    /// The operation, once it was found in the catalog.
    pub action: Option<String>,
    /// The guard's outcome, when the call reached the guard.
    pub outcome: Option<GuardOutcome>,
}

/// Alibaba Cloud's error envelope for answers given before an operation is
/// known (signature, unknown action): `RequestId`, `HostId`, `Code`,
/// `Message`, `Recommend`.
pub fn envelope(status: StatusCode, code: &str, message: &str, request_id: &str, host: &str) -> Response<Bytes> {
    let body = json!({
        "RequestId": request_id,
        "HostId": host,
        "Code": code,
        "Message": message,
        "Recommend": format!("https://api.aliyun.com/troubleshoot?q={code}&requestId={request_id}"),
    });
    json_response(status, &body)
}

/// A JSON answer with `status`.
pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response<Bytes> {
    let mut response = Response::new(Bytes::from(body.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json;charset=utf-8"));
    response
}

/// A fresh request id in Alibaba's form (an upper-case UUID).
pub fn request_id() -> String {
    uuid::Uuid::new_v4().to_string().to_ascii_uppercase()
}

/// The gateway: a guard, the keys it accepts and the nonces it has seen.
/// Share one behind an `Arc`; every method takes `&self`.
pub struct Gateway<T = MemoryTokens, N = MemoryNonceStore> {
    guard: Arc<Guard<T>>,
    keys: Arc<KeyRing>,
    verifier: Verifier<Arc<KeyRing>, N>,
    trusted_proxies: Vec<IpAddr>,
}

impl<T, N> std::fmt::Debug for Gateway<T, N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field("keys", &self.keys.len())
            .field("trusted_proxies", &self.trusted_proxies)
            .finish_non_exhaustive()
    }
}

impl<T: ClientTokenStore, N: NonceStore> Gateway<T, N> {
    /// A gateway that authorizes with `guard`, accepts `keys`, and
    /// remembers nonces in `nonces`.
    pub fn new(guard: Arc<Guard<T>>, keys: KeyRing, nonces: N) -> Self {
        let keys = Arc::new(keys);
        Self { guard, verifier: Verifier::new(keys.clone(), nonces), keys, trusted_proxies: Vec::new() }
    }

    /// Trusts these peers to say, in `X-Forwarded-For`, whom they forward.
    #[must_use]
    pub fn with_trusted_proxies(mut self, proxies: Vec<IpAddr>) -> Self {
        self.trusted_proxies = proxies;
        self
    }

    /// The guard.
    pub fn guard(&self) -> &Arc<Guard<T>> {
        &self.guard
    }

    /// The signature verifier (its limits bound what one request may hold).
    pub fn verifier(&self) -> &Verifier<Arc<KeyRing>, N> {
        &self.verifier
    }

    /// The caller's address: the peer's, or for a trusted proxy the last
    /// address in `X-Forwarded-For` that is not a trusted proxy's.
    pub fn source_ip(&self, peer: &Peer, headers: &http::HeaderMap) -> IpAddr {
        let mut ip = peer.addr.ip();
        if !self.trusted_proxies.contains(&ip) {
            return ip;
        }
        let forwarded: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .map(|a| a.parse::<IpAddr>().ok())
            .collect::<Option<Vec<_>>>()
            .unwrap_or_default();
        for hop in forwarded.iter().rev() {
            ip = *hop;
            if !self.trusted_proxies.contains(hop) {
                break;
            }
        }
        ip
    }

    /// Handles one RPC request whose body has been read: verify its
    /// signature, find its operation, authorize it and, if allowed, make it
    /// on `backend`.
    pub async fn handle<B: Backend>(
        &self,
        parts: &http::request::Parts,
        body: &[u8],
        peer: &Peer,
        backend: &B,
    ) -> Handled {
        let now = OffsetDateTime::now_utc();
        let host = parts.headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("ramguard").to_owned();
        let refuse = |status: StatusCode, code: &str, message: &str| Handled {
            response: envelope(status, code, message, &request_id(), &host),
            access_key_id: None,
            action: None,
            outcome: None,
        };
        let authenticated = match self.verifier.verify(&SignedRequest::from_parts(parts, body), now) {
            Ok(a) => a,
            Err(e) => return auth_error(&e, &host),
        };
        let Some(key) = self.keys.get(&authenticated.access_key_id) else {
            return refuse(StatusCode::NOT_FOUND, "InvalidAccessKeyId.NotFound", "Specified access key is not found.");
        };
        let catalog: &Catalog = self.guard.catalog();
        let Some(operation) = find(catalog, &authenticated.action, &authenticated.api_version) else {
            let mut handled = refuse(
                StatusCode::NOT_FOUND,
                "InvalidAction.NotFound",
                &format!(
                    "Specified api is not found, please check your url and method. ({} {})",
                    authenticated.action, authenticated.api_version
                ),
            );
            handled.access_key_id = Some(authenticated.access_key_id);
            return handled;
        };
        let mut caller = Caller::new(key.principal.clone());
        caller.source_ip = Some(self.source_ip(peer, &parts.headers).to_string());
        caller.secure_transport = Some(peer.secure);
        caller.current_time = format_clock(now.unix_timestamp());
        caller.mfa_present = Some(key.mfa);
        caller.access_key_id = Some(authenticated.access_key_id.clone());
        let action = operation.action.clone();
        match self.guard.call(backend, &action, &authenticated.parameters, &caller).await {
            Ok(outcome) => {
                let status = StatusCode::from_u16(outcome.response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                Handled {
                    response: json_response(status, &outcome.response.body),
                    access_key_id: Some(authenticated.access_key_id),
                    action: Some(action),
                    outcome: Some(outcome),
                }
            }
            Err(e) => {
                let mut handled = refuse(StatusCode::BAD_REQUEST, "InvalidParameter", &e.to_string());
                handled.access_key_id = Some(authenticated.access_key_id);
                handled.action = Some(action);
                handled
            }
        }
    }
}

/// The operation an RPC request names by API and version.
pub fn find<'a>(catalog: &'a Catalog, api: &str, version: &str) -> Option<&'a Operation> {
    catalog.operations().iter().find(|o| o.api == api && o.version == version)
}

/// The answer to a request whose signature does not hold.
fn auth_error(error: &AuthError, host: &str) -> Handled {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = envelope(status, error.code(), &error.message(), &request_id(), host);
    if let Some(after) = error.retry_after() {
        let millis = after.as_millis().to_string();
        if let Ok(value) = HeaderValue::from_str(&millis) {
            response.headers_mut().insert("x-acs-retry-after", value);
        }
    }
    Handled { response, access_key_id: None, action: None, outcome: None }
}
