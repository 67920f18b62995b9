//! The gateway as a tower layer: put [`GuardLayer`] in front of the service
//! that performs the operations, and only authenticated, allowed calls
//! reach it.
//!
//! For each request the layer reads the body (up to a limit), verifies the
//! signature, maps the call through the catalog, authorizes it with the
//! guard and, if allowed, calls the inner service with the request as it
//! came (its body collected and given back as a body of the same type, an
//! [`Authorized`] extension added), relaying the inner service's answer
//! unchanged. Everything else (a bad signature,
//! an unknown action, a denial with its `AccessDeniedDetail`, `DryRun`, a
//! replayed `ClientToken`) is answered by the layer in Alibaba's envelope.
//!
//! The server must put a [`Peer`] in each request's extensions (the
//! connection's address and whether it was TLS): a request without one is
//! refused, since conditions on `acs:SourceIp` could not be decided.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body::Body;
use http_body_util::{BodyExt, Full, Limited};
use ramguard::catalog::Operation;
use ramguard::guard::{ApiResponse, Backend, ClientTokenStore, MemoryTokens};
use serde_json::Value;
use tower::{Layer, Service, ServiceExt};

use crate::rpc::{Gateway, Handled, Peer, envelope, request_id};
use crate::signature::{MemoryNonceStore, NonceStore};

/// The most bytes of a request body the layer reads by default (1 MiB).
pub const DEFAULT_MAX_BODY: usize = 1 << 20;

/// What the layer authorized, added to the request it passes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorized {
    /// The RAM action (`vpc:DeleteIpsecServer`).
    pub action: String,
    /// The call's parameters, as signed.
    pub parameters: BTreeMap<String, String>,
    /// The request id the answer carries.
    pub request_id: String,
}

/// Called once per request with what was done and how long it took.
pub type DecisionHook = Arc<dyn Fn(&Handled, Duration) + Send + Sync>;

/// Puts a [`Gateway`] in front of a service.
pub struct GuardLayer<T = MemoryTokens, N = MemoryNonceStore> {
    gateway: Arc<Gateway<T, N>>,
    max_body: usize,
    hook: Option<DecisionHook>,
}

impl<T, N> Clone for GuardLayer<T, N> {
    fn clone(&self) -> Self {
        Self { gateway: self.gateway.clone(), max_body: self.max_body, hook: self.hook.clone() }
    }
}

impl<T, N> std::fmt::Debug for GuardLayer<T, N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuardLayer").field("max_body", &self.max_body).finish_non_exhaustive()
    }
}

impl<T, N> GuardLayer<T, N> {
    /// A layer over `gateway`, reading at most [`DEFAULT_MAX_BODY`] bytes of
    /// a body.
    pub fn new(gateway: Arc<Gateway<T, N>>) -> Self {
        Self { gateway, max_body: DEFAULT_MAX_BODY, hook: None }
    }

    /// Reads at most `bytes` of a request body; a longer one is refused.
    #[must_use]
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// Calls `hook` once per request, after it is answered (for a decision
    /// log, or metrics).
    #[must_use]
    pub fn on_decision(mut self, hook: DecisionHook) -> Self {
        self.hook = Some(hook);
        self
    }
}

impl<S, T, N> Layer<S> for GuardLayer<T, N> {
    type Service = GuardService<S, T, N>;

    fn layer(&self, inner: S) -> Self::Service {
        GuardService { inner, layer: self.clone() }
    }
}

/// The service [`GuardLayer`] makes.
pub struct GuardService<S, T = MemoryTokens, N = MemoryNonceStore> {
    inner: S,
    layer: GuardLayer<T, N>,
}

impl<S: Clone, T, N> Clone for GuardService<S, T, N> {
    fn clone(&self) -> Self {
        Self { inner: self.inner.clone(), layer: self.layer.clone() }
    }
}

impl<S, T, N> std::fmt::Debug for GuardService<S, T, N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuardService").field("layer", &self.layer).finish_non_exhaustive()
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl<S, T, N, ReqBody, ResBody> Service<Request<ReqBody>> for GuardService<S, T, N>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
    ResBody: Body<Data = Bytes> + Send + 'static,
    ResBody::Error: Into<BoxError>,
    ReqBody: Body<Data = Bytes> + From<Bytes> + Send + 'static,
    ReqBody::Error: Into<BoxError>,
    T: ClientTokenStore + 'static,
    N: NonceStore + Send + Sync + 'static,
{
    type Response = Response<Full<Bytes>>;
    type Error = std::convert::Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // The inner service is made ready when a call reaches it.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let inner = self.inner.clone();
        let layer = self.layer.clone();
        Box::pin(async move {
            let started = Instant::now();
            let handled = serve(&layer, inner, request).await;
            if let Some(hook) = &layer.hook {
                hook(&handled, started.elapsed());
            }
            Ok(handled.response.map(Full::new))
        })
    }
}

/// Handles one request: the whole of the layer but the hook.
async fn serve<S, T, N, ReqBody, ResBody>(layer: &GuardLayer<T, N>, inner: S, request: Request<ReqBody>) -> Handled
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Send,
    S::Future: Send,
    S::Error: Into<BoxError>,
    ResBody: Body<Data = Bytes> + Send,
    ResBody::Error: Into<BoxError>,
    ReqBody: Body<Data = Bytes> + From<Bytes> + Send,
    ReqBody::Error: Into<BoxError>,
    T: ClientTokenStore,
    N: NonceStore,
{
    let (parts, body) = request.into_parts();
    let refuse = |status: StatusCode, code: &str, message: &str| {
        Handled::refused(envelope(status, code, message, &request_id(), "ramguard"))
    };
    let Some(peer) = parts.extensions.get::<Peer>().copied() else {
        return refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            "The gateway does not know the caller's address.",
        );
    };
    let body = match Limited::new(body, layer.max_body).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            return refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                "InvalidParameter",
                &format!("The request body is larger than {} bytes, or could not be read.", layer.max_body),
            );
        }
    };
    let backend = Inner {
        service: Mutex::new(Some(inner)),
        request: Mutex::new(Some(Request::from_parts(parts.clone(), ReqBody::from(body.clone())))),
        answer: Mutex::new(None),
        max_body: layer.max_body,
    };
    let mut handled = layer.gateway.handle(&parts, &body, &peer, &backend).await;
    if handled.outcome.as_ref().is_some_and(|o| o.performed)
        && let Some(answer) = backend.answer.lock().unwrap_or_else(PoisonError::into_inner).take()
    {
        handled.response = answer;
    }
    handled
}

/// The inner service as the guard's backend, for one request: it is called
/// at most once, with the request as it came.
struct Inner<S, B> {
    service: Mutex<Option<S>>,
    request: Mutex<Option<Request<B>>>,
    /// The inner service's answer, relayed unchanged.
    answer: Mutex<Option<Response<Bytes>>>,
    max_body: usize,
}

impl<S, ReqBody, ResBody> Backend for Inner<S, ReqBody>
where
    ReqBody: Send,
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Send,
    S::Future: Send,
    S::Error: Into<BoxError>,
    ResBody: Body<Data = Bytes> + Send,
    ResBody::Error: Into<BoxError>,
{
    fn now(&self) -> i64 {
        time::OffsetDateTime::now_utc().unix_timestamp()
    }

    fn request_id(&self) -> String {
        request_id()
    }

    async fn perform(&self, operation: &Operation, params: &BTreeMap<String, String>, request_id: &str) -> ApiResponse {
        let unavailable = || {
            ramguard::guard::error_response(
                operation,
                503,
                "ServiceUnavailable",
                "The request has failed due to a temporary failure of the server.",
                request_id,
            )
        };
        let service = self.service.lock().unwrap_or_else(PoisonError::into_inner).take();
        let request = self.request.lock().unwrap_or_else(PoisonError::into_inner).take();
        let (Some(service), Some(mut request)) = (service, request) else { return unavailable() };
        request.extensions_mut().insert(Authorized {
            action: operation.action.clone(),
            parameters: params.clone(),
            request_id: request_id.to_owned(),
        });
        let Ok(response) = service.oneshot(request).await else { return unavailable() };
        let (parts, body) = response.into_parts();
        let Ok(collected) = Limited::new(body, self.max_body).collect().await else { return unavailable() };
        let bytes = collected.to_bytes();
        let value =
            serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
        let status = parts.status.as_u16();
        *self.answer.lock().unwrap_or_else(PoisonError::into_inner) = Some(Response::from_parts(parts, bytes));
        ApiResponse { status, body: value }
    }
}
