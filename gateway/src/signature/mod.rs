//! Request signatures: verifying the two that Alibaba Cloud's official SDKs
//! send, and signing with V3 the calls the gateway forwards.
//!
//! - **V3**, `ACS3-HMAC-SHA256` ([`v3`]): what the current SDKs send
//!   (`alibabacloud-tea-openapi` and every `alibabacloud-*` product SDK):
//!   an `Authorization` header over the method, path, query, the signed
//!   headers and the SHA-256 of the body; the operation is in
//!   `x-acs-action` / `x-acs-version`, the time in `x-acs-date`, the nonce
//!   in `x-acs-signature-nonce`.
//! - **V1**, `HMAC-SHA1` ([`v1`]): what `aliyun-python-sdk-core` and the
//!   other older SDKs send: a `Signature` parameter over every parameter of
//!   the query and of a form body; the operation is in `Action` /
//!   `Version`, the time in `Timestamp`, the nonce in `SignatureNonce`.
//!
//! A [`Verifier`] holds the [`Credentials`] (AccessKeyId to secret, and for
//! a temporary credential its security token and expiry) and a
//! [`NonceStore`]. [`Verifier::verify`] (async: it awaits the nonce store)
//! takes a [`SignedRequest`] (made from
//! an `http::request::Parts` and the collected body) and the wall clock, and
//! returns what was [`Authenticated`]: who, with which signature, the
//! operation, its parameters, the nonce, the time and the security token.
//! Or it returns an [`AuthError`], which knows the HTTP status, code and
//! message Alibaba answers with:
//!
//! | Code | Status | When |
//! | --- | --- | --- |
//! | `IncompleteSignature` | 400 | no signature; a malformed `Authorization` or `Signature`; `host`, `content-type` or an `x-acs-*` header unsigned; a signed header absent; a V1 body that is not form parameters |
//! | `SignatureDoesNotMatch` | 400 | the signature is not the secret's over the request received, or `x-acs-content-sha256` is not the body's |
//! | `InvalidAccessKeyId.NotFound` | 404 | an unknown AccessKeyId |
//! | `InvalidTimeStamp.Format` | 400 | a time that is not `yyyy-MM-ddTHH:mm:ssZ` |
//! | `InvalidTimeStamp.Expired` | 400 | more than 15 minutes from the clock, either way |
//! | `MissingParameter` | 400 | no action, version, time, nonce, content hash, AccessKeyId, ... |
//! | `InvalidParameter` | 400 | a parameter given twice, a value that does not decode, an unsupported `SignatureMethod` / `SignatureVersion`, a request over the [`Limits`] |
//! | `MissingSecurityToken` | 400 | a temporary credential without its token |
//! | `InvalidSecurityToken.MismatchWithAccessKey` | 400 | another token, or a token with a permanent key |
//! | `InvalidSecurityToken.Expired` | 400 | a temporary credential past its expiry |
//! | `SignatureNonceUsed` | 400 | a nonce this AccessKeyId sent within the window |
//! | `ServiceUnavailable` | 503 | the nonce store is full, or (kept elsewhere) cannot answer (retryable) |
//!
//! Signatures are compared in constant time (`hmac`'s `verify_slice`). No
//! input panics, and the work is bounded by [`Limits`]: 32 KiB of path and
//! query, 100 header fields and 64 KiB of headers, 1 MiB of body, 1,000
//! parameters, 128-byte nonces.
//!
//! **Decisions.** Query strings and form bodies are decoded as forms (`+`
//! is a space) and must be well-formed UTF-8. A V3 request must sign
//! `host`, `content-type` when it has one (the body's parameters are read by
//! it) and every `x-acs-*` header it has. A V1 request's `x-acs-action`,
//! `x-acs-version` and `x-acs-security-token` headers, which the V1 SDK
//! sends unsigned, must repeat the signed parameters. A security token sent
//! with a permanent AccessKeyId is refused. The skew is counted in whole
//! seconds, and 15 minutes exactly is accepted.

mod credentials;
mod encoding;
mod error;
mod nonce;
mod timestamp;
pub mod v1;
pub mod v3;
mod verify;

pub use credentials::{Credential, Credentials, Secret};
pub(crate) use encoding::push_encoded;
pub use error::AuthError;
pub use nonce::{MemoryNonceStore, NonceRefusal, NonceStore};
pub use timestamp::{format_timestamp, parse_timestamp};
pub use verify::{Authenticated, Limits, MAX_SKEW, SignatureVersion, SignedRequest, Verifier};
