//! The check endpoint: an existing gateway (nginx `auth_request`, Caddy
//! `forward_auth`, Envoy's and Higress's external authorization) asks
//! ramguard whether to let an Alibaba Cloud request through, and makes the
//! call itself.
//!
//! The proxy sends ramguard a copy of the original request's headers (and,
//! where it can, its body) on [`CHECK_PATH`]. ramguard rebuilds the
//! original request and decides it exactly as it decides a call it serves
//! ([`Gateway::check`]): the signature is verified and its nonce
//! remembered, the parameters validated, the call authorized, and nothing
//! is performed.
//!
//! | what | read from |
//! |---|---|
//! | method | `X-Forwarded-Method` (Caddy, Traefik), `X-Original-Method` (nginx convention), else the check's own method |
//! | path and query | `X-Forwarded-Uri`, `X-Original-URI`, else the check's own path after [`CHECK_PATH`] (Envoy's `path_prefix`) and its query |
//! | headers | the check's own: the proxy copies the original ones (`Host` must be the original's: the V3 signature covers it) |
//! | body | the check's own, when the proxy passes it |
//! | client address | the peer, or, when the peer is a trusted proxy, `X-Forwarded-For` as for any request |
//! | TLS | the peer's connection, or, when the peer is a trusted proxy, `X-Forwarded-Proto: https` |
//!
//! The answer is `200` when the call may go through, with the caller in
//! `X-Ramguard-Principal` and the action in `X-Ramguard-Action`. Otherwise
//! it is the answer the client must get, the same as `ramguard serve`
//! would give (a `Forbidden` with its `AccessDeniedDetail`, a
//! `SignatureDoesNotMatch`, a `DryRunOperation` ...), with its status, and
//! two headers for proxies that cannot relay a body: `X-Ramguard-Status`
//! (the status) and `X-Ramguard-Envelope` (the JSON body). nginx accepts
//! only 401 and 403 from `auth_request`: a check request that carries
//! `X-Ramguard-Refusal-Status: 403` (or `401`) is refused with that status
//! instead, the real one being in `X-Ramguard-Status`.
//!
//! **Bodies the proxy does not pass.** nginx's `auth_request` and Caddy's
//! `forward_auth` send no body. Calls whose parameters are all in the query
//! (the V3 SDKs' RPC calls with an empty body, V1 `GET` calls) are decided
//! from the headers alone. A call whose signature covers a body the check
//! did not receive (a V3 `x-acs-content-sha256` that is not the empty
//! body's, or a V1 form body holding the signature) cannot be decided, and
//! is refused with `InvalidParameter` saying so: it is never let through.

use std::net::IpAddr;

use bytes::Bytes;
use http::{HeaderValue, Method, Response, StatusCode, Uri};
use ramguard::guard::ClientTokenStore;

use crate::rpc::{Gateway, Handled, Peer, envelope, request_id};
use crate::signature::NonceStore;
use crate::signature::v3::CONTENT_SHA256;

/// Where the check endpoint answers; paths below it (`/ramguard/check/...`)
/// name the original path, as Envoy's `path_prefix` sends it.
pub const CHECK_PATH: &str = "/ramguard/check";

/// The SHA-256 of an empty body, in hex.
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// What a check decided: the answer for the proxy, and what the gateway
/// did (for the decision log; `outcome.performed` is `true` when the call
/// was let through, though nothing was made).
#[derive(Debug)]
pub struct Checked {
    /// The answer to send to the proxy.
    pub response: Response<Bytes>,
    /// The decision, as [`Gateway::check`] gave it.
    pub handled: Handled,
}

impl Checked {
    /// Whether the call may go through.
    pub fn allowed(&self) -> bool {
        self.handled.outcome.as_ref().is_some_and(|o| o.performed)
    }
}

/// Decides the original request a proxy's check request describes.
pub async fn check<T: ClientTokenStore, N: NonceStore>(
    gateway: &Gateway<T, N>,
    trusted_proxies: &[IpAddr],
    parts: &http::request::Parts,
    body: &[u8],
    peer: Peer,
) -> Checked {
    let refusal_status = parts
        .headers
        .get("x-ramguard-refusal-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u16>().ok())
        .filter(|s| matches!(s, 401 | 403))
        .and_then(|s| StatusCode::from_u16(s).ok());
    let host = parts.headers.get(http::header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("ramguard").to_owned();
    let handled = match original(parts, body, peer, trusted_proxies) {
        Ok((original, peer)) => gateway.check(&original, body, &peer).await,
        Err(message) => {
            Handled::refused(envelope(StatusCode::BAD_REQUEST, "InvalidParameter", &message, &request_id(), &host))
        }
    };
    let allowed = handled.outcome.as_ref().is_some_and(|o| o.performed);
    let mut response = handled.response.clone();
    if allowed {
        for (name, value) in [("x-ramguard-principal", &handled.principal), ("x-ramguard-action", &handled.action)] {
            if let Some(value) = value.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
                response.headers_mut().insert(name, value);
            }
        }
    } else {
        let status = response.status();
        response.headers_mut().insert("x-ramguard-status", HeaderValue::from(status.as_u16()));
        // Compact JSON holds no control characters; a body that is not a
        // valid header value is left to the body alone.
        if let Ok(value) = HeaderValue::from_bytes(response.body()) {
            response.headers_mut().insert("x-ramguard-envelope", value);
        }
        if let Some(refusal) = refusal_status {
            *response.status_mut() = refusal;
        }
    }
    Checked { response, handled }
}

/// The original request's head, and the peer as the check believes it.
fn original(
    parts: &http::request::Parts,
    body: &[u8],
    peer: Peer,
    trusted_proxies: &[IpAddr],
) -> Result<(http::request::Parts, Peer), String> {
    let header = |names: &[&str]| {
        names.iter().find_map(|name| parts.headers.get(*name)).map(|v| {
            v.to_str().map_err(|_| format!("The check's `{}` header is not text.", names.first().unwrap_or(&"")))
        })
    };
    let method = match header(&["x-forwarded-method", "x-original-method"]).transpose()? {
        Some(method) => Method::from_bytes(method.trim().as_bytes())
            .map_err(|_| format!("The original method `{method}` is not an HTTP method."))?,
        None => parts.method.clone(),
    };
    let uri: Uri = match header(&["x-forwarded-uri", "x-original-uri"]).transpose()? {
        Some(uri) => uri.trim().parse().map_err(|_| format!("The original URI `{uri}` is not a request target."))?,
        None => {
            let rest = parts.uri.path().strip_prefix(CHECK_PATH).unwrap_or("");
            let path = if rest.is_empty() { "/" } else { rest };
            let target = match parts.uri.query() {
                Some(query) => format!("{path}?{query}"),
                None => path.to_owned(),
            };
            target.parse().map_err(|_| format!("The original URI `{target}` is not a request target."))?
        }
    };
    if body.is_empty() && signs_a_missing_body(parts, &uri) {
        return Err("The request's signature covers a body that the check did not receive, so the call cannot be \
                    decided: pass the body to the check, or send the parameters in the query."
            .to_owned());
    }
    let trusted = trusted_proxies.contains(&peer.addr.ip());
    let forwarded_tls = trusted
        && parts
            .headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').next_back().is_some_and(|p| p.trim().eq_ignore_ascii_case("https")));
    let mut original = http::Request::new(()).into_parts().0;
    original.method = method;
    original.uri = uri;
    original.version = parts.version;
    original.headers = parts.headers.clone();
    // Not the original's: the proxy's own description of it.
    for name in
        ["x-forwarded-method", "x-original-method", "x-forwarded-uri", "x-original-uri", "x-ramguard-refusal-status"]
    {
        original.headers.remove(name);
    }
    Ok((original, Peer { addr: peer.addr, secure: peer.secure || forwarded_tls }))
}

/// Whether the original request's signature covers a body (which the
/// check, having none, cannot check).
fn signs_a_missing_body(parts: &http::request::Parts, uri: &Uri) -> bool {
    if let Some(hash) = parts.headers.get(CONTENT_SHA256) {
        return hash.as_bytes() != EMPTY_SHA256.as_bytes();
    }
    // V1: the signature is a parameter; in a form body when not in the query.
    let form = parts
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
    let in_query = uri.query().is_some_and(|q| q.split('&').any(|p| p.starts_with("Signature=")));
    let v3 = parts.headers.contains_key(http::header::AUTHORIZATION);
    form && !in_query && !v3
}
