//! The ramguard gateway: the service in front of real Alibaba Cloud SDK
//! traffic. [`layer::GuardLayer`] is a tower layer that authenticates each
//! request, authorizes it with `ramguard`'s guard and passes only allowed
//! calls to the service it wraps; [`rpc::Gateway::handle`] is the same path
//! as a plain async function. Underneath, [`signature`] verifies
//! the two request signatures the official SDKs send (V3
//! `ACS3-HMAC-SHA256` in the `Authorization` header, V1 `HMAC-SHA1` in the
//! `Signature` parameter) against the gateway's credentials and a nonce
//! store, answers a failure with Alibaba's own status, code and message,
//! and signs with V3 the calls the gateway forwards upstream. [`store`]
//! keeps client tokens and nonces in Redis, for several gateways behind
//! one load balancer. [`check`] answers an existing gateway (nginx, Caddy,
//! Envoy) that asks whether to let a request through.
//!
//! What a verification returns, [`signature::Authenticated`], names the
//! AccessKeyId, the operation (`x-acs-action` / `Action`), its API version
//! and its parameters: what an HTTP layer needs to authorize the call with
//! `ramguard`'s guard.
//!
//! Sign a call as an SDK would, verify it, and refuse its replay:
//!
//! ```
//! use std::collections::HashMap;
//! use ramguard_gateway::signature::{
//!     Credential, MemoryNonceStore, Secret, SignedRequest, Verifier, parse_timestamp, v3,
//! };
//!
//! let secret = Secret::new("ExampleSecret123");
//! let now = parse_timestamp("2026-11-22T12:20:36Z").ok_or("unreadable time")?;
//! let (mut parts, body) = http::Request::post("http://127.0.0.1:18080/?RegionId=cn-hangzhou&IpsecServerId=iss-1")
//!     .body(Vec::new())?
//!     .into_parts();
//! let signing = v3::V3Signing::new("LTAI5tExampleKeyId", &secret, "DeleteIpsecServer", "2016-04-28", now, "58f0472");
//! v3::sign(&mut parts, &body, &signing)?;
//!
//! let credentials = HashMap::from([("LTAI5tExampleKeyId".to_owned(), Credential::permanent(secret.clone()))]);
//! let verifier = Verifier::new(credentials, MemoryNonceStore::new(100_000));
//! let call = pollster::block_on(verifier.verify(&SignedRequest::from_parts(&parts, &body), now))?;
//! assert_eq!((call.access_key_id.as_str(), call.action.as_str()), ("LTAI5tExampleKeyId", "DeleteIpsecServer"));
//! assert_eq!(call.parameters["IpsecServerId"], "iss-1");
//!
//! let replay = pollster::block_on(verifier.verify(&SignedRequest::from_parts(&parts, &body), now)).unwrap_err();
//! assert_eq!((replay.status(), replay.code()), (400, "SignatureNonceUsed"));
//! assert_eq!(replay.message(), "Specified signature nonce was used already.");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod check;
pub mod layer;
pub mod rpc;
pub mod server;
pub mod signature;
pub mod store;
