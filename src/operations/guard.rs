//! The guard: authorize a call, then make it, answering a denial exactly as
//! the service does.
//!
//! Order, for every call: validate the parameters (answering with the
//! service's own error codes), let the backend authenticate the caller where
//! the service does so itself (ZStack sessions), authorize against the compiled policies,
//! honour `DryRun` (only an allowed call learns that it would pass), honour
//! `ClientToken` idempotence, and only then call the backend.
//!
//! A guard around an operation of your own: implement [`Backend`] and the
//! guard calls it only for an allowed, valid call.
//!
//! ```
//! use std::collections::BTreeMap;
//! use std::sync::Mutex;
//!
//! use ramguard::catalog::{Caller, Catalog, Operation};
//! use ramguard::guard::{ApiResponse, Backend, Guard};
//! use ramguard::{Policy, PolicyKind, PolicySetBuilder};
//!
//! struct Vpc { deleted: Mutex<Vec<String>> }
//!
//! impl Backend for Vpc {
//!     fn now(&self) -> i64 { 1_796_219_400 }
//!     fn request_id(&self) -> String { "4ec0-req".to_owned() }
//!     async fn perform(&self, _: &Operation, params: &BTreeMap<String, String>, id: &str) -> ApiResponse {
//!         self.deleted.lock().unwrap().extend(params.get("VpnConnectionId").cloned());
//!         ApiResponse { status: 200, body: serde_json::json!({"RequestId": id}) }
//!     }
//! }
//!
//! let mut policies = PolicySetBuilder::new();
//! policies.add(Policy::parse("ops", r#"{"Version": "1", "Statement": [{"Effect": "Allow",
//!     "Action": "vpc:DeleteVpnConnection", "Resource": "acs:vpc:*:*:vpnconnection/vco-test*"}]}"#,
//!     PolicyKind::Identity)?);
//! let guard = Guard::new(policies.build()?, Catalog::builtin()?.clone());
//! let vpc = Vpc { deleted: Mutex::new(Vec::new()) };
//! let alice = Caller::new("acs:ram::1234567890123456:user/alice".parse()?);
//! let call = |id: &str| BTreeMap::from([
//!     ("RegionId".to_owned(), "cn-hangzhou".to_owned()),
//!     ("VpnConnectionId".to_owned(), id.to_owned()),
//! ]);
//!
//! let denied = pollster::block_on(guard.call(&vpc, "vpc:DeleteVpnConnection", &call("vco-prod1"), &alice))?;
//! assert!(!denied.performed);
//! assert_eq!((denied.response.status, denied.response.code()), (403, Some("Forbidden")));
//! assert_eq!(denied.response.body["AccessDeniedDetail"]["NoPermissionType"], "ImplicitDeny");
//!
//! let allowed = pollster::block_on(guard.call(&vpc, "vpc:DeleteVpnConnection", &call("vco-test1"), &alice))?;
//! assert!(allowed.performed && allowed.response.is_success());
//! assert_eq!(*vpc.deleted.lock().unwrap(), ["vco-test1"]);
//! Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, PoisonError, RwLock};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::engine::compile::CompiledPolicySet;
use crate::engine::decision::{Explanation, Outcome};
use crate::engine::request::Request;
use crate::operations::catalog::{Caller, Catalog, MappingError, Operation, ParamType, Style, list_element};
pub use crate::operations::tokens::{
    Claim, ClientTokenStore, DEFAULT_TOKEN_CAPACITY, MemoryTokens, Settlement, TokenKey,
};

/// How long a `ClientToken` is remembered, in seconds of the backend's clock.
pub const CLIENT_TOKEN_TTL_SECONDS: i64 = 24 * 60 * 60;

/// An HTTP answer: status and JSON body.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiResponse {
    /// The HTTP status.
    pub status: u16,
    /// The JSON body.
    pub body: Value,
}

impl ApiResponse {
    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The error code of an Alibaba Cloud error body, or of a ZStack `error`.
    pub fn code(&self) -> Option<&str> {
        self.body.get("Code").or_else(|| self.body.get("error").and_then(|e| e.get("code"))).and_then(Value::as_str)
    }
}

/// What performs the operations: a client of the real service, a
/// simulator, or an operation of your own.
///
/// The guard shares one backend among all its callers, so a backend is
/// called through `&self` and is `Send + Sync`; its calls are asynchronous,
/// since a real backend answers over the network.
pub trait Backend: Send + Sync {
    /// Seconds since the Unix epoch on the backend's clock.
    fn now(&self) -> i64;
    /// A fresh request id.
    fn request_id(&self) -> String;
    /// Performs a call that has been validated and authorized.
    fn perform(
        &self,
        operation: &Operation,
        params: &BTreeMap<String, String>,
        request_id: &str,
    ) -> impl Future<Output = ApiResponse> + Send;

    /// Checks who is calling before anything is authorized (a ZStack session,
    /// say), answering the service's refusal; `None` lets the call go on.
    fn authenticate(
        &self,
        operation: &Operation,
        params: &BTreeMap<String, String>,
        request_id: &str,
    ) -> impl Future<Output = Option<ApiResponse>> + Send {
        let _ = (operation, params, request_id);
        std::future::ready(None)
    }
}

/// Why the guard could not handle a call at all (as opposed to answering it
/// with an error response).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GuardError {
    /// The operation is not in the catalog.
    #[error("`{action}` is not in the catalog{}", suggestion.as_ref().map(|s| format!(": did you mean `{s}`?")).unwrap_or_default())]
    UnknownOperation {
        /// The action asked for.
        action: String,
        /// The closest known action.
        suggestion: Option<String>,
    },
    /// The call cannot be turned into an authorization request.
    #[error(transparent)]
    Mapping(#[from] MappingError),
}

/// The guard's answer to one call.
#[derive(Debug, Clone)]
pub struct GuardOutcome {
    /// What the service answers (or would answer).
    pub response: ApiResponse,
    /// Why the call was denied, when it was.
    pub explanation: Option<Explanation>,
    /// Whether the backend was called.
    pub performed: bool,
    /// The revision of the policies that decided the call.
    pub revision: u64,
    /// The request RAM evaluated, once the call got that far (its
    /// parameters valid and its caller authenticated): the resources, the
    /// context. A gateway logs it, or explains an allowed call with it,
    /// without building it again.
    pub request: Option<Request>,
}

/// The first answer given to a `ClientToken`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RememberedCall {
    /// The action the token was used with.
    pub action: String,
    /// The token.
    pub token: String,
    /// The call's parameters.
    pub params: BTreeMap<String, String>,
    /// When it was answered (the backend's clock).
    pub at: i64,
    /// The answer.
    pub status: u16,
    /// The answer's body.
    pub body: Value,
}

/// Client tokens and the answers they were given, as a world file keeps
/// them between runs (see [`MemoryTokens::from_remembered`] and
/// [`MemoryTokens::remembered`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClientTokens(Vec<RememberedCall>);

impl ClientTokens {
    /// The calls, as given.
    pub fn from_calls(calls: Vec<RememberedCall>) -> Self {
        Self(calls)
    }

    /// The calls.
    pub fn into_calls(self) -> Vec<RememberedCall> {
        self.0
    }

    /// How many calls are remembered.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The policies a guard decides with, and their revision: 0 for the set it
/// was built with, one more at each [`Guard::replace_policies`].
#[derive(Debug, Clone)]
pub struct Revision {
    /// The revision number.
    pub number: u64,
    /// The policies.
    pub policies: Arc<CompiledPolicySet>,
}

/// Authorizes calls against compiled policies, then makes them.
///
/// One guard serves any number of concurrent calls: share it behind an
/// `Arc`. Its policies can be replaced while calls are in flight; each call
/// is decided wholly by the revision that was current when it started.
#[derive(Debug)]
pub struct Guard<T = MemoryTokens> {
    policies: RwLock<Revision>,
    catalog: Catalog,
    tokens: T,
}

fn is_boolean(value: &str) -> bool {
    value.eq_ignore_ascii_case("true") || value.eq_ignore_ascii_case("false")
}

/// The service's error envelope for `code` and `message`.
pub fn error_response(operation: &Operation, status: u16, code: &str, message: &str, request_id: &str) -> ApiResponse {
    let body = match operation.style {
        Style::Rpc => json!({
            "RequestId": request_id,
            "HostId": format!("{}.aliyuncs.com", operation.product.to_ascii_lowercase()),
            "Code": code,
            "Message": message,
            "Recommend": format!(
                "https://api.aliyun.com/troubleshoot?q={code}&product={}&requestId={request_id}",
                operation.product
            ),
        }),
        Style::Zstack => json!({"error": {
            "code": code, "description": message, "details": message,
            "elaboration": null, "opaque": null, "cause": null,
        }}),
    };
    ApiResponse { status, body }
}

/// An error with a `%s` template (`MissingParam.%s`) filled for `name`:
/// the template stays in `Code` / `Message` and the concrete text goes in
/// `DynamicCode` / `DynamicMessage`, as ExpressConnect Router answers.
pub(crate) fn dynamic_error(
    operation: &Operation,
    template: &str,
    name: &str,
    request_id: &str,
) -> Option<ApiResponse> {
    let spec = operation.errors.iter().find(|e| e.code == template)?;
    let mut response = error_response(operation, spec.status, &spec.code, &spec.message, request_id);
    if let Some(body) = response.body.as_object_mut() {
        body.insert("DynamicCode".into(), Value::from(spec.code.replace("%s", name)));
        body.insert("DynamicMessage".into(), Value::from(spec.message.replace("%s", name)));
    }
    Some(response)
}

impl Guard {
    /// A guard over `policies`, for the operations in `catalog`, keeping
    /// client tokens in memory.
    pub fn new(policies: CompiledPolicySet, catalog: Catalog) -> Self {
        Self::with_tokens(policies, catalog, MemoryTokens::default())
    }
}

/// The answer to a call with a client token that is already in use by a
/// call with other parameters.
fn mismatch(operation: &Operation, request_id: &str) -> ApiResponse {
    error_response(
        operation,
        400,
        "IdempotentParameterMismatch",
        "The request uses the same client token as a previous, but non-identical request. Do not reuse a client token with different requests, unless the requests are identical.",
        request_id,
    )
}

/// Settles a claimed token when the call ends, however it ends: a call
/// dropped while the backend performed it leaves the token unknown, one
/// dropped before leaves it free.
struct ClaimedToken<'a, T: ClientTokenStore> {
    store: &'a T,
    key: TokenKey,
    performing: bool,
    settled: bool,
}

impl<T: ClientTokenStore> ClaimedToken<'_, T> {
    fn settle(mut self, settlement: Settlement) {
        self.settled = true;
        self.store.settle(&self.key, settlement);
    }
}

impl<T: ClientTokenStore> Drop for ClaimedToken<'_, T> {
    fn drop(&mut self) {
        if !self.settled {
            self.store.settle(&self.key, if self.performing { Settlement::Unknown } else { Settlement::Released });
        }
    }
}

impl<T: ClientTokenStore> Guard<T> {
    /// A guard over `policies`, for the operations in `catalog`, keeping
    /// client tokens in `tokens`.
    pub fn with_tokens(policies: CompiledPolicySet, catalog: Catalog, tokens: T) -> Self {
        let revision = Revision { number: 0, policies: Arc::new(policies) };
        Self { policies: RwLock::new(revision), catalog, tokens }
    }

    /// The operations the guard knows.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Where the guard keeps client tokens.
    pub fn tokens(&self) -> &T {
        &self.tokens
    }

    /// The policies calls are decided with now.
    pub fn policies(&self) -> Revision {
        self.policies.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Replaces the policies, at once for every call that starts after this
    /// returns; calls in flight finish with the revision they started with.
    /// Returns the new revision number.
    pub fn replace_policies(&self, policies: CompiledPolicySet) -> u64 {
        let mut current = self.policies.write().unwrap_or_else(PoisonError::into_inner);
        current.number = current.number.saturating_add(1);
        current.policies = Arc::new(policies);
        current.number
    }

    /// Handles one call: validate, authorize, `DryRun`, `ClientToken`, then
    /// the backend.
    ///
    /// A call with a `ClientToken` is performed at most once while the token
    /// is remembered: an identical call that arrives while the first is in
    /// flight waits for it and gets its answer, one with other parameters is
    /// answered `IdempotentParameterMismatch` at once.
    pub async fn call<B: Backend>(
        &self,
        backend: &B,
        action: &str,
        params: &BTreeMap<String, String>,
        caller: &Caller,
    ) -> Result<GuardOutcome, GuardError> {
        self.call_with(&self.policies(), backend, action, params, caller).await
    }

    /// [`Guard::call`], decided by `revision` instead of the guard's own
    /// policies: for a gateway whose callers each have their own (a RAM
    /// user's attached policies), sharing one guard's catalog and client
    /// tokens.
    pub async fn call_with<B: Backend>(
        &self,
        revision: &Revision,
        backend: &B,
        action: &str,
        params: &BTreeMap<String, String>,
        caller: &Caller,
    ) -> Result<GuardOutcome, GuardError> {
        let operation = self.catalog.get(action).ok_or_else(|| GuardError::UnknownOperation {
            action: action.to_owned(),
            suggestion: self.catalog.suggest(action).map(str::to_owned),
        })?;
        let request_id = backend.request_id();
        let outcome = |response, request: Option<&Request>| GuardOutcome {
            response,
            explanation: None,
            performed: false,
            revision: revision.number,
            request: request.cloned(),
        };
        let answer = |response| Ok(outcome(response, None));
        if let Some(response) = validate(operation, params, &request_id) {
            return answer(response);
        }
        if let Some(response) = backend.authenticate(operation, params, &request_id).await {
            return answer(response);
        }

        let request = operation.authorization_request(params, caller)?;
        let decision = revision.policies.authorize(&request);
        if !decision.outcome.is_allow() {
            let explanation = revision.policies.explain(&request);
            let response = denial(operation, decision.outcome, &explanation, &request_id);
            return Ok(GuardOutcome {
                response,
                explanation: Some(explanation),
                performed: false,
                revision: revision.number,
                request: Some(request),
            });
        }
        // From here on, an answer carries the request it was decided on.
        let answer = |response| Ok(outcome(response, Some(&request)));

        if operation.dry_run.is_some() && params.get("DryRun").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
            return answer(error_response(
                operation,
                400,
                "DryRunOperation",
                "Request validation has been passed with DryRun flag set.",
                &request_id,
            ));
        }

        let now = backend.now();
        let mut claimed = None;
        if let Some(token) = params.get("ClientToken") {
            let key = TokenKey { action: operation.action.clone(), token: token.clone() };
            match self.tokens.claim(&key, params, now).await {
                Claim::Fresh => {
                    claimed = Some(ClaimedToken { store: &self.tokens, key, performing: false, settled: false })
                }
                Claim::Answered(first) if first.params == *params => {
                    return answer(ApiResponse { status: first.status, body: first.body });
                }
                Claim::Answered(_) | Claim::Mismatch => return answer(mismatch(operation, &request_id)),
                Claim::Unknown => {
                    return answer(error_response(
                        operation,
                        500,
                        "UnknownError",
                        "The first request with this client token was interrupted while it was being performed, and its outcome is unknown. Check the resource, then retry with a new client token.",
                        &request_id,
                    ));
                }
                Claim::Full => {
                    return answer(error_response(
                        operation,
                        503,
                        "ServiceUnavailable",
                        "The request has failed due to a temporary failure of the server.",
                        &request_id,
                    ));
                }
                Claim::Unavailable => {
                    return answer(error_response(
                        operation,
                        503,
                        "ServiceUnavailable",
                        "The request has failed due to a temporary failure of the server: its client token could not be checked, so the call was not performed. Retry with the same client token.",
                        &request_id,
                    ));
                }
            }
        }

        if let Some(claimed) = &mut claimed {
            claimed.performing = true;
        }
        let response = backend.perform(operation, params, &request_id).await;
        if let Some(claimed) = claimed {
            let settlement = if response.is_success() {
                Settlement::Answered(RememberedCall {
                    action: operation.action.clone(),
                    token: claimed.key.token.clone(),
                    params: params.clone(),
                    at: now,
                    status: response.status,
                    body: response.body.clone(),
                })
            } else {
                Settlement::Released
            };
            claimed.settle(settlement);
        }
        Ok(GuardOutcome {
            response,
            explanation: None,
            performed: true,
            revision: revision.number,
            request: Some(request),
        })
    }
}

/// The service's answer to invalid parameters, or `None` when they are valid.
fn validate(operation: &Operation, params: &BTreeMap<String, String>, request_id: &str) -> Option<ApiResponse> {
    let zstack = operation.style == Style::Zstack;
    let invalid = |name: &str, value: &str| {
        if zstack {
            let allowed = operation.parameter(name).and_then(|p| p.values.clone()).unwrap_or_default().join(", ");
            let message = format!("valid value for field[{name}] are [{allowed}], but {value} found");
            return error_response(operation, 400, "SYS.1007", &message, request_id);
        }
        error_response(
            operation,
            400,
            "InvalidParameter",
            &format!("The specified parameter \"{name}\" is not valid."),
            request_id,
        )
    };
    for p in &operation.parameters {
        let Some(value) = params.get(&p.name) else {
            // An RPC list arrives as its elements, `Name.1`, `Name.2`.
            let elements = p.param_type == ParamType::List
                && params.keys().any(|k| list_element(k).is_some_and(|(base, _)| base == p.name));
            if !p.required || elements {
                continue;
            }
            if zstack {
                let message = format!("missing mandatory field[{}]", p.name);
                return Some(error_response(operation, 400, "SYS.1007", &message, request_id));
            }
            return Some(dynamic_error(operation, "MissingParam.%s", &p.name, request_id).unwrap_or_else(|| {
                let message = format!(
                    "The input parameter \"{}\" that is mandatory for processing this request is not supplied.",
                    p.name
                );
                error_response(operation, 400, "MissingParameter", &message, request_id)
            }));
        };
        if p.name == "DryRun" && !is_boolean(value) {
            return Some(invalid(&p.name, value));
        }
        if p.name == "ClientToken" && (!value.is_ascii() || p.max_length.is_some_and(|max| value.chars().count() > max))
        {
            return Some(invalid(&p.name, value));
        }
        let bad_format = match p.param_type {
            ParamType::Integer => value.parse::<i64>().is_err(),
            ParamType::Boolean => !is_boolean(value),
            ParamType::String | ParamType::List => false,
        };
        if bad_format {
            return Some(
                dynamic_error(operation, "IllegalParamFormat.%s", &p.name, request_id)
                    .unwrap_or_else(|| invalid(&p.name, value)),
            );
        }
        if let Some(values) = &p.values
            && !values.contains(value)
        {
            return Some(
                dynamic_error(operation, "IllegalParam.%s", &p.name, request_id)
                    .unwrap_or_else(|| invalid(&p.name, value)),
            );
        }
    }
    None
}

/// The service's answer to a RAM denial: its documented code in its own
/// envelope, with Alibaba's `AccessDeniedDetail` for Alibaba Cloud services.
fn denial(operation: &Operation, outcome: Outcome, explanation: &Explanation, request_id: &str) -> ApiResponse {
    let d = &operation.denial;
    let (code, message) = match (outcome, &d.explicit_code, &d.explicit_message) {
        (Outcome::ExplicitDeny, Some(code), Some(message)) => (code.clone(), message.clone()),
        _ => (d.code.clone(), d.message.replace("%s", &operation.api)),
    };
    let mut response = error_response(operation, d.status, &code, &message, request_id);
    if operation.style == Style::Rpc
        && let (Some(body), Some(detail)) = (response.body.as_object_mut(), &explanation.access_denied_detail)
    {
        body.insert("AccessDeniedDetail".into(), serde_json::to_value(detail).unwrap_or(Value::Null));
    }
    response
}
