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

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, PoisonError, RwLock};

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use ramguard::catalog::{Caller, Catalog, Operation};
use ramguard::guard::{
    ApiResponse, Backend, Claim, ClientTokenStore, Guard, GuardOutcome, MemoryTokens, Revision, Settlement, TokenKey,
};
use ramguard::sim::format_clock;
use ramguard::{Explanation, Principal};
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

/// One AccessKeyId the gateway accepts: its credential, whose it is, and
/// (when they are the key's own) the policies its calls are decided by.
#[derive(Clone)]
pub struct Key {
    credential: Credential,
    principal: Principal,
    mfa: bool,
    policies: Option<Revision>,
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
        Self { credential, principal, mfa: false, policies: None }
    }

    /// Decides this key's calls by `policies` (the principal's attached
    /// policies) rather than the guard's own.
    #[must_use]
    pub fn with_policies(mut self, policies: Revision) -> Self {
        self.policies = Some(policies);
        self
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
    /// The policy revision the keys' policies were built from.
    revision: Arc<str>,
}

/// The gateway's key ring, replaceable while requests are served.
#[derive(Debug, Default)]
pub struct SharedKeys(RwLock<Arc<KeyRing>>);

impl SharedKeys {
    /// The key ring in force.
    pub fn current(&self) -> Arc<KeyRing> {
        self.0.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    fn replace(&self, keys: KeyRing) {
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(keys);
    }
}

impl Credentials for SharedKeys {
    fn credential(&self, access_key_id: &str) -> Option<Credential> {
        // Looked up under the lock, without taking a reference to the ring.
        self.0.read().unwrap_or_else(PoisonError::into_inner).credential(access_key_id)
    }
}

impl KeyRing {
    /// An empty key ring.
    pub fn new() -> Self {
        Self::default()
    }

    /// Names the policy revision these keys' policies were built from: it
    /// travels with the ring, so that each request's [`Handled::revision`]
    /// is the one it was decided by.
    #[must_use]
    pub fn with_revision(mut self, revision: impl Into<Arc<str>>) -> Self {
        self.revision = revision.into();
        self
    }

    /// The policy revision these keys' policies were built from (empty
    /// unless [`KeyRing::with_revision`] named one).
    pub fn revision(&self) -> &Arc<str> {
        &self.revision
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
    /// The principal of that key.
    pub principal: Option<String>,
    /// The operation, once it was found in the catalog.
    pub action: Option<String>,
    /// The resources the call was authorized against.
    pub resources: Vec<String>,
    /// The guard's outcome, when the call reached the guard.
    pub outcome: Option<GuardOutcome>,
    /// Why the call was decided so: on a denial always, on an allowed call
    /// when the gateway explains every decision ([`Gateway::explaining`]).
    pub explanation: Option<Explanation>,
    /// The policy revision of the key ring the call was decided with, once
    /// its key was found.
    pub revision: Option<Arc<str>>,
    /// The error code the request was refused with before a decision, when
    /// its signature, key, timestamp or nonce did not hold: one of the
    /// verifier's fixed codes ([`AuthError::code`]), for metrics.
    pub auth_failure: Option<&'static str>,
}

impl Handled {
    pub(crate) fn refused(response: Response<Bytes>) -> Self {
        Self {
            response,
            access_key_id: None,
            principal: None,
            action: None,
            resources: Vec::new(),
            outcome: None,
            explanation: None,
            revision: None,
            auth_failure: None,
        }
    }
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
    // Writing to a `Vec` skips the formatter that `to_string` goes through;
    // a `Value` always serializes, and were it not to, `{}` says nothing.
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    let mut response = Response::new(Bytes::from(bytes));
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
    /// The guard that checks without making calls: it shares the catalog
    /// and keeps no client tokens.
    checker: Guard<NoTokens>,
    keys: Arc<SharedKeys>,
    verifier: Verifier<Arc<SharedKeys>, N>,
    trusted_proxies: Vec<IpAddr>,
    explaining: bool,
}

impl<T, N> std::fmt::Debug for Gateway<T, N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field("keys", &self.keys.current().len())
            .field("trusted_proxies", &self.trusted_proxies)
            .finish_non_exhaustive()
    }
}

impl<T: ClientTokenStore, N: NonceStore> Gateway<T, N> {
    /// A gateway that authorizes with `guard`, accepts `keys`, and
    /// remembers nonces in `nonces`.
    pub fn new(guard: Arc<Guard<T>>, keys: KeyRing, nonces: N) -> Self {
        let keys = Arc::new(SharedKeys(RwLock::new(Arc::new(keys))));
        // The checker decides by the revision each call names, never by a
        // set of its own: an empty one, rather than a copy of the guard's.
        let own = ramguard::PolicySetBuilder::new().build().unwrap_or_else(|_| (*guard.policies().policies).clone());
        let checker = Guard::with_tokens(own, guard.catalog().clone(), NoTokens);
        Self {
            guard,
            checker,
            verifier: Verifier::new(keys.clone(), nonces),
            keys,
            trusted_proxies: Vec::new(),
            explaining: false,
        }
    }

    /// Explains allowed calls too (for a decision log that names the
    /// statements that allowed), at the cost of the slow path per call.
    #[must_use]
    pub fn explaining(mut self, explaining: bool) -> Self {
        self.explaining = explaining;
        self
    }

    /// Replaces the key ring (and with it the keys' policies) for every
    /// request that starts after this returns.
    pub fn replace_keys(&self, keys: KeyRing) {
        self.keys.replace(keys);
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
    pub fn verifier(&self) -> &Verifier<Arc<SharedKeys>, N> {
        &self.verifier
    }

    /// The caller's address: the peer's, or for a trusted proxy the last
    /// address in `X-Forwarded-For` that is not a trusted proxy's.
    pub fn source_ip(&self, peer: &Peer, headers: &http::HeaderMap) -> IpAddr {
        source_ip(&self.trusted_proxies, peer, headers)
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
        self.decide(&self.guard, parts, body, peer, backend).await
    }

    /// Decides one RPC request as [`Gateway::handle`] does, without making
    /// it: for an existing gateway that asks whether to let the request
    /// through (see [`crate::check`]). The signature is verified and its
    /// nonce remembered, the parameters are validated and the call is
    /// authorized; a `DryRun` call is answered `DryRunOperation`. Client
    /// tokens are neither claimed nor answered from the store: whoever
    /// makes the call keeps them. `Handled::outcome`'s `performed` is
    /// `true` exactly when the call would have been made, and then the
    /// response is a `200` with only a `RequestId`.
    pub async fn check(&self, parts: &http::request::Parts, body: &[u8], peer: &Peer) -> Handled {
        self.decide(&self.checker, parts, body, peer, &CheckBackend).await
    }

    async fn decide<G: ClientTokenStore, B: Backend>(
        &self,
        guard: &Guard<G>,
        parts: &http::request::Parts,
        body: &[u8],
        peer: &Peer,
        backend: &B,
    ) -> Handled {
        let now = OffsetDateTime::now_utc();
        let host = parts.headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("ramguard").to_owned();
        let refuse = |status: StatusCode, code: &str, message: &str| {
            Handled::refused(envelope(status, code, message, &request_id(), &host))
        };
        // One version of the key ring verifies and decides, even when a
        // reload replaces it in between.
        let keys = self.keys.current();
        let request = SignedRequest::from_parts(parts, body);
        let authenticated = match self.verifier.verify_with(&*keys, &request, now).await {
            Ok(a) => a,
            Err(e) => return auth_error(&e, &host),
        };
        let Some(key) = keys.get(&authenticated.access_key_id) else {
            let mut handled =
                refuse(StatusCode::NOT_FOUND, "InvalidAccessKeyId.NotFound", "Specified access key is not found.");
            handled.auth_failure = Some(AuthError::AccessKeyNotFound.code());
            return handled;
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
            handled.principal = Some(key.principal.to_string());
            handled.revision = Some(keys.revision().clone());
            return handled;
        };
        let mut caller = Caller::new(key.principal.clone());
        caller.source_ip = Some(self.source_ip(peer, &parts.headers).to_string());
        caller.secure_transport = Some(peer.secure);
        caller.current_time = format_clock(now.unix_timestamp());
        caller.mfa_present = Some(key.mfa);
        caller.access_key_id = Some(authenticated.access_key_id.clone());
        let revision = key.policies.clone().unwrap_or_else(|| self.guard.policies());
        let action = operation.action.clone();
        let mut handled = Handled::refused(Response::new(Bytes::new()));
        handled.access_key_id = Some(authenticated.access_key_id.clone());
        handled.principal = Some(key.principal.to_string());
        handled.action = Some(action.clone());
        handled.revision = Some(keys.revision().clone());
        match guard.call_with(&revision, backend, &action, &authenticated.parameters, &caller).await {
            Ok(outcome) => {
                let status = StatusCode::from_u16(outcome.response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                handled.response = json_response(status, &outcome.response.body);
                handled.resources = outcome.request.as_ref().map(|r| r.resources().to_vec()).unwrap_or_default();
                handled.explanation = match (&outcome.explanation, &outcome.request) {
                    (Some(explanation), _) => Some(explanation.clone()),
                    (None, Some(request)) if self.explaining => Some(revision.policies.explain(request)),
                    (None, _) => None,
                };
                handled.outcome = Some(outcome);
            }
            Err(e) => {
                handled.response =
                    envelope(StatusCode::BAD_REQUEST, "InvalidParameter", &e.to_string(), &request_id(), &host)
            }
        }
        handled
    }
}

/// The caller's address: the peer's, or, when the peer is one of
/// `trusted_proxies`, the last address in `X-Forwarded-For` that is not a
/// trusted proxy's. An `X-Forwarded-For` that does not read as addresses
/// is ignored.
pub fn source_ip(trusted_proxies: &[IpAddr], peer: &Peer, headers: &http::HeaderMap) -> IpAddr {
    let mut ip = peer.addr.ip();
    if !trusted_proxies.contains(&ip) {
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
        if !trusted_proxies.contains(hop) {
            break;
        }
    }
    ip
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
    let mut handled = Handled::refused(response);
    handled.auth_failure = Some(error.code());
    handled
}

/// No client tokens: every claim is fresh and nothing is kept. For checks,
/// where the call is made (and its token kept) by whoever makes it.
#[derive(Debug)]
struct NoTokens;

impl ClientTokenStore for NoTokens {
    async fn claim(&self, _: &TokenKey, _: &BTreeMap<String, String>, _: i64) -> Claim {
        Claim::Fresh
    }

    fn settle(&self, _: &TokenKey, _: Settlement) {}
}

/// The backend of a check: it makes nothing, and answers a `200` with the
/// request id, which says "let it through".
struct CheckBackend;

impl Backend for CheckBackend {
    fn now(&self) -> i64 {
        OffsetDateTime::now_utc().unix_timestamp()
    }

    fn request_id(&self) -> String {
        request_id()
    }

    async fn perform(&self, _: &Operation, _: &BTreeMap<String, String>, request_id: &str) -> ApiResponse {
        ApiResponse { status: 200, body: json!({ "RequestId": request_id }) }
    }
}
