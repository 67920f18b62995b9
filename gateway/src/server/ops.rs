//! Operating the server: `/metrics` in the Prometheus text format,
//! `/healthz` (liveness) and `/readyz` (readiness), answered without a
//! signature, on `listen` or on `metrics_listen` when the configuration
//! names one.
//!
//! Every label value comes from a fixed set, so the number of series is
//! fixed at start: `operation` is an action of the catalog or `unknown`
//! (never a caller's own `Action`), `outcome` one of four decisions, `code`
//! one of the fixed error codes, `result` one of three, `store` one of two.
//! The series a request counts in are created at start, so counting one
//! is a map lookup and a few atomic additions.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Method, StatusCode, header};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use ramguard::Outcome;
use ramguard::catalog::Catalog;
use ramguard::guard::GuardOutcome;

use crate::rpc::Handled;
use crate::store::RedisStore;

/// The paths answered here, on whichever listener serves them.
pub(super) const PATHS: [&str; 3] = ["/metrics", "/healthz", "/readyz"];

/// The `operation` of a request whose operation is not known: its
/// signature failed, or it names an action the catalog does not have.
pub(super) const UNKNOWN_OPERATION: &str = "unknown";

/// The `outcome` label values, in the order of a request's counters.
const OUTCOMES: [&str; 4] = ["allow", "explicit_deny", "implicit_deny", "error"];
const ALLOW: usize = 0;
const EXPLICIT_DENY: usize = 1;
const IMPLICIT_DENY: usize = 2;
const ERROR: usize = 3;

/// Every code an authentication failure is counted under: the signature
/// verifier's ([`crate::signature::AuthError::code`]), and ZStack's answer
/// to an unknown or expired session. A code outside it (none today) is
/// counted as `other`.
pub(super) const AUTH_CODES: [&str; 13] = [
    "IncompleteSignature",
    "SignatureDoesNotMatch",
    "InvalidAccessKeyId.NotFound",
    "InvalidTimeStamp.Format",
    "InvalidTimeStamp.Expired",
    "MissingParameter",
    "InvalidParameter",
    "MissingSecurityToken",
    "InvalidSecurityToken.MismatchWithAccessKey",
    "InvalidSecurityToken.Expired",
    "SignatureNonceUsed",
    "ServiceUnavailable",
    "ID.1001",
];

/// How a reload ended: the `result` label.
#[derive(Debug, Clone, Copy)]
pub(super) enum Reload {
    /// A new revision is in force.
    Ok = 0,
    /// The files held the revision in force.
    Unchanged = 1,
    /// The files did not read, parse or validate; the revision in force stays.
    Refused = 2,
}

const RELOAD_RESULTS: [&str; 3] = ["ok", "unchanged", "refused"];

/// Which store failed to answer: the `store` label.
#[derive(Debug, Clone, Copy)]
pub(super) enum StoreUse {
    /// A signature nonce could not be checked.
    Nonces = 0,
    /// A client token could not be claimed.
    ClientTokens = 1,
}

const STORE_USES: [&str; 2] = ["nonces", "client_tokens"];

type Labels = [(&'static str, &'static str); 2];
type Label = [(&'static str, &'static str); 1];
type RevisionLabel = [(&'static str, String); 1];

/// The server's metrics.
#[derive(Debug)]
pub(super) struct Metrics {
    registry: Registry,
    /// The four outcome counters of each operation of the catalog.
    requests: HashMap<&'static str, [Counter; 4]>,
    /// Those of requests whose operation is not known.
    unknown: [Counter; 4],
    auth_failures: HashMap<&'static str, Counter>,
    other_auth_failure: Counter,
    latency: Histogram,
    reloads: [Counter; 3],
    revisions: Family<RevisionLabel, Gauge>,
    /// The revision whose series is 1.
    revision: Mutex<String>,
    store_errors: [Counter; 2],
}

/// The four counters of `operation`, one per outcome, created in `family`.
fn outcome_counters(family: &Family<Labels, Counter>, operation: &'static str) -> [Counter; 4] {
    OUTCOMES.map(|outcome| family.get_or_create_owned(&[("operation", operation), ("outcome", outcome)]))
}

/// One counter per value of `label`, created in `family`.
fn counters<const N: usize>(
    family: &Family<Label, Counter>,
    label: &'static str,
    values: [&'static str; N],
) -> [Counter; N] {
    values.map(|value| family.get_or_create_owned(&[(label, value)]))
}

impl Metrics {
    /// The metrics of a server over `catalog`, whose policies start at
    /// `revision`.
    pub fn new(catalog: &'static Catalog, revision: &str) -> Self {
        let mut registry = Registry::default();
        let requests_family = Family::<Labels, Counter>::default();
        let requests = catalog
            .operations()
            .iter()
            .map(|operation| (operation.action.as_str(), outcome_counters(&requests_family, operation.action.as_str())))
            .collect();
        let unknown = outcome_counters(&requests_family, UNKNOWN_OPERATION);
        registry.register(
            "ramguard_requests",
            "Requests decided, by the catalog's operation (unknown when the signature failed or the action is not in the catalog) and outcome",
            requests_family,
        );
        let auth_family = Family::<Label, Counter>::default();
        let auth_failures =
            AUTH_CODES.iter().map(|&code| (code, auth_family.get_or_create_owned(&[("code", code)]))).collect();
        let other_auth_failure = auth_family.get_or_create_owned(&[("code", "other")]);
        registry.register(
            "ramguard_authentication_failures",
            "Requests refused before a decision because their signature, key, timestamp, nonce or session did not hold, by error code",
            auth_family,
        );
        // 0.5 ms to 16 s: past the default request timeout of 10 s.
        let latency = Histogram::new(exponential_buckets(0.0005, 2.0, 16));
        registry.register(
            "ramguard_request_duration_seconds",
            "Time from a request's arrival to its answer, for the requests counted in ramguard_requests_total",
            latency.clone(),
        );
        let reload_family = Family::<Label, Counter>::default();
        let reloads = counters(&reload_family, "result", RELOAD_RESULTS);
        registry.register(
            "ramguard_policy_reloads",
            "Policy reloads (on SIGHUP or a changed file), by result: ok (a new revision is in force), unchanged, refused (the revision in force stays)",
            reload_family,
        );
        let revisions = Family::<RevisionLabel, Gauge>::default();
        revisions.get_or_create(&[("revision", revision.to_owned())]).set(1);
        registry.register(
            "ramguard_policy_revision_info",
            "The revision of the policies in force (the first 16 hex digits of the SHA-256 of their files), as the label of the one series that is 1",
            revisions.clone(),
        );
        let store_family = Family::<Label, Counter>::default();
        let store_errors = counters(&store_family, "store", STORE_USES);
        registry.register(
            "ramguard_store_errors",
            "Times the Redis store did not answer in time, so the request was refused: checking a signature nonce, or claiming a client token",
            store_family,
        );
        Self {
            registry,
            requests,
            unknown,
            auth_failures,
            other_auth_failure,
            latency,
            reloads,
            revisions,
            revision: Mutex::new(revision.to_owned()),
            store_errors,
        }
    }

    /// Counts one request the gateway handled.
    pub fn record(&self, handled: &Handled, latency: Duration) {
        self.count(handled.action.as_deref(), handled.outcome.as_ref(), handled.auth_failure, latency);
    }

    /// Counts one request: its operation (when known), the guard's outcome
    /// (when it got that far), the code it was refused with before a
    /// decision (when it was), and how long it took.
    pub fn count(
        &self,
        action: Option<&str>,
        outcome: Option<&GuardOutcome>,
        auth_failure: Option<&str>,
        latency: Duration,
    ) {
        let counters = action.and_then(|a| self.requests.get(a)).unwrap_or(&self.unknown);
        let index = match outcome {
            Some(GuardOutcome { explanation: Some(explanation), .. }) => match explanation.decision {
                Outcome::Allow => ALLOW,
                Outcome::ExplicitDeny => EXPLICIT_DENY,
                Outcome::ImplicitDeny => IMPLICIT_DENY,
            },
            // Past authorization without a denial: allowed (then performed,
            // or answered as a dry run or a client token's first answer).
            Some(GuardOutcome { explanation: None, request: Some(_), .. }) => ALLOW,
            _ => ERROR,
        };
        if let Some(counter) = counters.get(index) {
            counter.inc();
        }
        if let Some(code) = auth_failure {
            self.auth_failures.get(code).unwrap_or(&self.other_auth_failure).inc();
        }
        self.latency.observe(latency.as_secs_f64());
    }

    /// Counts one reload, and names the revision in force after it.
    pub fn reloaded(&self, result: Reload, revision: &str) {
        if let Some(counter) = self.reloads.get(result as usize) {
            counter.inc();
        }
        let mut current = self.revision.lock().unwrap_or_else(PoisonError::into_inner);
        if *current != revision {
            self.revisions.get_or_create(&[("revision", revision.to_owned())]).set(1);
            self.revisions.remove(&[("revision", std::mem::replace(&mut *current, revision.to_owned()))]);
        }
    }

    /// Counts one failure of the store.
    pub fn store_error(&self, store: StoreUse) {
        if let Some(counter) = self.store_errors.get(store as usize) {
            counter.inc();
        }
    }

    /// The metrics in the Prometheus text format (version 0.0.4).
    fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

/// What the operational endpoints look at.
pub(super) struct Ops {
    pub metrics: std::sync::Arc<Metrics>,
    /// The Redis store, when the configuration keeps its state there.
    pub store: Option<RedisStore>,
    /// The revision of the policies in force.
    pub revision: std::sync::Arc<super::reload::Reloader>,
}

fn text(status: StatusCode, content_type: &'static str, body: impl Into<Bytes>) -> http::Response<Bytes> {
    let mut response = http::Response::new(body.into());
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

const PLAIN: &str = "text/plain; charset=utf-8";

impl Ops {
    /// The answer to a request for one of [`PATHS`].
    pub async fn answer(&self, method: &Method, path: &str) -> http::Response<Bytes> {
        if method != Method::GET && method != Method::HEAD {
            let mut response = text(StatusCode::METHOD_NOT_ALLOWED, PLAIN, "only GET and HEAD\n");
            response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            return response;
        }
        match path {
            "/metrics" => match self.metrics.encode() {
                Ok(body) => text(StatusCode::OK, prometheus_client::encoding::prometheus_text::CONTENT_TYPE, body),
                Err(_) => text(StatusCode::INTERNAL_SERVER_ERROR, PLAIN, "the metrics could not be encoded\n"),
            },
            "/healthz" => text(StatusCode::OK, PLAIN, "ok\n"),
            "/readyz" => self.ready().await,
            _ => text(StatusCode::NOT_FOUND, PLAIN, "not found\n"),
        }
    }

    /// Ready when a policy set is in force and the store answers: for
    /// Redis, a `PING` within the store's timeout.
    async fn ready(&self) -> http::Response<Bytes> {
        let revision = self.revision.revision.lock().unwrap_or_else(PoisonError::into_inner).clone();
        if revision.is_empty() {
            return text(StatusCode::SERVICE_UNAVAILABLE, PLAIN, "not ready: no policies are loaded\n");
        }
        let store = match &self.store {
            None => "memory",
            Some(store) if store.ping().await => "redis",
            Some(store) => {
                let reason = format!(
                    "not ready: the Redis store did not answer PING within {} ms\n",
                    store.timeout().as_millis()
                );
                return text(StatusCode::SERVICE_UNAVAILABLE, PLAIN, reason);
            }
        };
        text(StatusCode::OK, PLAIN, format!("ready: revision {revision}, store {store}\n"))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests unwrap what they just built")]

    use super::*;
    use crate::signature::AuthError;

    #[test]
    fn every_code_the_verifier_answers_is_a_label_of_its_own() {
        let errors = [
            AuthError::IncompleteSignature { reason: "" },
            AuthError::SignatureDoesNotMatch { string_to_sign: String::new() },
            AuthError::BodyHashMismatch { string_to_sign: String::new() },
            AuthError::AccessKeyNotFound,
            AuthError::TimestampFormat { name: "" },
            AuthError::TimestampExpired,
            AuthError::MissingParameter { name: "" },
            AuthError::InvalidParameter { name: String::new() },
            AuthError::DuplicateParameter { name: String::new() },
            AuthError::MalformedParameters,
            AuthError::TooLarge { what: "", limit: 0 },
            AuthError::MissingSecurityToken,
            AuthError::SecurityTokenMismatch,
            AuthError::SecurityTokenExpired,
            AuthError::NonceUsed,
            AuthError::Unavailable { retry_after: Duration::ZERO },
            AuthError::NonceStoreUnavailable,
        ];
        for error in errors {
            assert!(AUTH_CODES.contains(&error.code()), "{} has no label", error.code());
        }
    }

    #[test]
    fn a_caller_named_action_is_counted_as_unknown_and_a_reload_moves_the_revision() {
        let metrics = Metrics::new(Catalog::builtin().unwrap(), "aaaa");
        metrics.count(Some("vpc:NoSuchThing"), None, Some("SignatureDoesNotMatch"), Duration::from_millis(1));
        metrics.reloaded(Reload::Ok, "bbbb");
        let text = metrics.encode().unwrap();
        assert!(text.contains("ramguard_requests_total{operation=\"unknown\",outcome=\"error\"} 1\n"), "{text}");
        assert!(!text.contains("NoSuchThing"), "{text}");
        assert!(text.contains("ramguard_policy_revision_info{revision=\"bbbb\"} 1\n"), "{text}");
        assert!(!text.contains("aaaa"), "the old revision's series is gone: {text}");
        assert!(text.contains("ramguard_authentication_failures_total{code=\"SignatureDoesNotMatch\"} 1\n"), "{text}");
    }
}
