//! `ramguard serve`: the gateway as an HTTP server that the official SDKs
//! talk to, configured by one TOML file.
//!
//! ```toml
//! listen = "127.0.0.1:8080"
//! # metrics_listen = "127.0.0.1:9090" # /metrics, /healthz, /readyz there only
//! snapshot = "account.json"          # who is who: users, groups, roles, policies
//! credentials = "credentials.toml"   # AccessKeyIds, their secrets and owners (mode 0600)
//! trusted_proxies = []               # peers whose X-Forwarded-For is believed
//! decision_log = "-"                 # one JSON line per request: "-" is stdout
//!
//! [limits]
//! max_body_bytes = 1048576
//! request_timeout_ms = 10000
//!
//! [backend]
//! kind = "simulator"
//! world = "../worlds/network.json"   # read at start, written back after each change
//!
//! [store]                            # where client tokens and nonces are kept
//! kind = "memory"                    # this process only (the default)
//! # kind = "redis"                   # shared by every replica that names the same Redis:
//! # url = "redis://127.0.0.1:6379/0" # may hold a password; it is never logged
//! # prefix = "ramguard:"             # the start of every key
//! # timeout_ms = 1000                # each connection attempt and command
//!
//! [tls]                              # without it, plain HTTP
//! cert = "server.crt"                # PEM: the certificate, then any intermediates
//! key = "server.key"                 # PEM: its private key (mode 0600)
//! ```
//!
//! **TLS.** With `[tls]`, the listener speaks TLS only (1.2 and 1.3,
//! HTTP/1.1 agreed by ALPN `http/1.1`), and stderr says `listening on
//! https://...`; `acs:SecureTransport` is true on those connections and
//! false on plain ones. The certificate file must hold at least one
//! certificate, the key file (PKCS#8, PKCS#1 or SEC1) must be private like
//! the credentials file and match the first certificate, or the server does
//! not start, naming the file. A handshake must complete within the
//! 30 seconds a request's head is given, or the connection is closed. The
//! pair is reloaded like the policies (below): on SIGHUP and when either
//! file changes, the new pair is read, checked and used for the connections
//! after it; a pair that does not read or match is refused and logged with
//! its file, and the one in force stays.
//!
//! **Several replicas.** Behind one load balancer, replicas must share their
//! client tokens (or a retried call with a `ClientToken` could be performed
//! by each) and their nonces (or a signed request could be replayed to
//! another): give them one `[store] kind = "redis"`. A call then waits for
//! Redis at most `timeout_ms` for its nonce and for its token's claim, and
//! at most `request_timeout_ms` behind an identical call in flight on any
//! replica; an in-flight call older than `request_timeout_ms + timeout_ms`
//! was abandoned by a replica that stopped, and is answered `UnknownError`,
//! never performed again. When Redis does not answer, every signed request
//! is refused with `ServiceUnavailable` (503) and nothing is performed; the
//! connection comes back by itself, and stderr says once that Redis
//! failed and once that it answers again. The server does not start if
//! Redis does not answer at start. See [`crate::store`] for the keys and
//! what Redis must guarantee. `max_nonces` and `max_client_tokens` bound
//! the memory store only. With the simulator backend and Redis, the client
//! tokens a world file remembers are written to Redis at start (for what
//! is left of their day, never over a record Redis holds), and the world
//! file keeps them as it read them.
//!
//! **Policies that change without a restart.** On SIGHUP, and when the
//! snapshot, the credentials file or the sessions file changes on disk
//! (their modification times and lengths are looked at every second), the
//! server reads and compiles them again, the same way as at start, on a
//! blocking thread, and swaps the new key ring and sessions in whole
//! ([`crate::rpc::Gateway::replace_keys`]): each request is decided by one
//! set or the other. Each set is named by its revision, the first 16 hex
//! digits of the SHA-256 of its files, which travels with the key ring into
//! each request's [`crate::rpc::Handled::revision`] and its decision-log
//! line. A change that does not read, parse or validate is refused and
//! logged on stderr with its file and location; the set in force stays. A
//! reload costs what a start costs: the snapshot is compiled again. SIGHUP
//! also reopens a `decision_log` file, for log rotation, and reloads the
//! TLS certificate and key (which are also watched on their own).
//!
//! **Operating it.** `/healthz` (200 while it serves), `/readyz` (200 when
//! a policy set is in force and the store answers: for Redis, a `PING`
//! within `timeout_ms`; 503 with a one-line reason otherwise) and
//! `/metrics` (the Prometheus text format) are answered to `GET` and
//! `HEAD` without a signature: on `listen`, or, when `metrics_listen` is
//! given, on that address only (which serves nothing else), so that they
//! can be kept off a public port. The metrics count requests by the
//! catalog's operation (or `unknown`) and outcome, authentication failures
//! by their fixed error code, request latency, reloads by result, the
//! revision in force and the store's failures; every label value comes
//! from a fixed set, never from what a caller sent (see `ops.rs`).
//!
//! Paths are relative to the configuration file. Who may do what comes from
//! the account snapshot that `ramguard who-can` audits: each key's owner
//! (a RAM user, or a session of a role) is decided by the policies the
//! snapshot attaches to it, control policies included, so the audit answers
//! exactly what the gateway enforces.

mod ops;
mod reload;
mod tls;

pub use tls::TlsConfig;

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::extract::{Extension, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::any;
use bytes::Bytes;
use http::StatusCode;
use http_body_util::{BodyExt, Full};
use ramguard::access::AccessModel;
use ramguard::catalog::Catalog;
use ramguard::guard::{Claim, ClientTokenStore, ClientTokens, Guard, MemoryTokens, Revision, Settlement, TokenKey};
use ramguard::sim::{Simulator, World};
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;
use tokio::sync::Notify;

use crate::layer::{Authorized, GuardLayer};
use crate::rpc::{Gateway, Handled, Key, KeyRing, Peer, envelope, json_response, request_id};
use crate::signature::{Credential, MemoryNonceStore, NonceRefusal, NonceStore, Secret, parse_timestamp};
use crate::store::{DEFAULT_PREFIX, RedisNonces, RedisStore, RedisTokens, RedisUrl};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// A file could not be read or written.
    #[error("{}: {message}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The configuration or credentials say something the server cannot do.
    #[error("{0}")]
    Config(String),
    /// The listener failed.
    #[error("listening: {0}")]
    Io(#[from] std::io::Error),
}

fn file_error(path: &Path, message: impl std::fmt::Display) -> ServeError {
    ServeError::File { path: path.to_owned(), message: message.to_string() }
}

/// The configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The address to listen on.
    pub listen: SocketAddr,
    /// Where `/metrics`, `/healthz` and `/readyz` are served: on `listen`
    /// when not given; when given, there only.
    #[serde(default)]
    pub metrics_listen: Option<SocketAddr>,
    /// The account snapshot (one JSON file, or a directory).
    pub snapshot: PathBuf,
    /// The credentials file.
    pub credentials: PathBuf,
    /// The ZStack sessions file: which OAuth session is whose.
    #[serde(default)]
    pub zstack_sessions: Option<PathBuf>,
    /// Peers whose `X-Forwarded-For` names the caller.
    #[serde(default)]
    pub trusted_proxies: Vec<IpAddr>,
    /// Where to write the decision log: `-` for stdout, or a file to append to.
    #[serde(default)]
    pub decision_log: Option<String>,
    /// Bounds on one request.
    #[serde(default)]
    pub limits: Limits,
    /// What performs the allowed calls.
    pub backend: BackendConfig,
    /// Where client tokens and signature nonces are kept.
    #[serde(default)]
    pub store: StoreConfig,
    /// The certificate and key to speak TLS with; plain HTTP without them.
    #[serde(default)]
    pub tls: Option<TlsConfig>,
}

/// Where client tokens and signature nonces are kept: in this process, or
/// in a Redis that several replicas share.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum StoreConfig {
    /// In memory, for one process (bounded by `max_nonces` and
    /// `max_client_tokens`).
    #[default]
    Memory,
    /// In Redis (see [`crate::store`]).
    Redis {
        /// `redis://[user:password@]host:port/db`; never logged with its
        /// password.
        url: RedisUrl,
        /// The start of every key: `ramguard:` by default.
        #[serde(default = "default_prefix")]
        prefix: String,
        /// The bound on each connection attempt and each command, in
        /// milliseconds: 1000 by default.
        #[serde(default = "default_store_timeout_ms")]
        timeout_ms: u64,
    },
}

fn default_prefix() -> String {
    DEFAULT_PREFIX.to_owned()
}

fn default_store_timeout_ms() -> u64 {
    1000
}

/// Bounds on one request.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// The most bytes of a request body.
    pub max_body_bytes: usize,
    /// The longest a request may take, in milliseconds; a slower one is
    /// answered `ServiceUnavailable`.
    pub request_timeout_ms: u64,
    /// The most signature nonces remembered at once.
    pub max_nonces: usize,
    /// The most client tokens remembered at once.
    pub max_client_tokens: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: crate::layer::DEFAULT_MAX_BODY,
            request_timeout_ms: 10_000,
            max_nonces: 1_000_000,
            max_client_tokens: ramguard::guard::DEFAULT_TOKEN_CAPACITY,
        }
    }
}

/// What performs the allowed calls.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum BackendConfig {
    /// The simulated services over a world file, shared by every request
    /// and written back (atomically) after each change.
    Simulator {
        /// The world to start from.
        world: PathBuf,
        /// Where the world is kept as it changes: read instead of `world`
        /// once it exists, written after each change. Without it, `world`
        /// itself is written.
        #[serde(default)]
        state: Option<PathBuf>,
    },
    /// Another service speaking the same API (Alibaba Cloud's endpoint, or
    /// another gateway): each allowed call is forwarded there, signed with
    /// V3 by the gateway's own key (`[upstream]` in the credentials file),
    /// and its answer relayed unchanged.
    Upstream {
        /// The endpoint, `http://host:port`.
        endpoint: String,
    },
}

/// One entry of the credentials file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyEntry {
    access_key_id: String,
    access_key_secret: String,
    /// The RAM user the key belongs to.
    #[serde(default)]
    user: Option<String>,
    /// The role whose session the key is (a temporary credential).
    #[serde(default)]
    role: Option<String>,
    /// The session's name.
    #[serde(default)]
    session: Option<String>,
    /// The temporary credential's token.
    #[serde(default)]
    security_token: Option<String>,
    /// When the temporary credential expires (`yyyy-MM-ddTHH:mm:ssZ`).
    #[serde(default)]
    expires: Option<String>,
    /// Whether the key's holder authenticated with MFA.
    #[serde(default)]
    mfa: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CredentialsFile {
    #[serde(default)]
    key: Vec<KeyEntry>,
    /// The gateway's own key, for the upstream it forwards to.
    #[serde(default)]
    upstream: Option<UpstreamKey>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpstreamKey {
    access_key_id: String,
    access_key_secret: String,
}

/// The keys a credentials file lists, and the gateway's own key for its
/// upstream, if it has one.
#[derive(Debug)]
pub struct LoadedKeys {
    /// The keys callers sign with.
    pub keys: KeyRing,
    /// The gateway's own AccessKeyId and secret.
    pub upstream: Option<(String, Secret)>,
}

/// The most bytes of a configuration or credentials file.
const MAX_CONFIG_BYTES: u64 = 1 << 20;

fn read(path: &Path, cap: u64) -> Result<String, ServeError> {
    ramguard::files::read_regular(path, cap).map_err(|e| file_error(path, e))
}

impl Config {
    /// Reads a configuration file; its paths are made relative to its folder.
    pub fn load(path: &Path) -> Result<Config, ServeError> {
        let text = read(path, MAX_CONFIG_BYTES)?;
        let mut config: Config = toml::from_str(&text).map_err(|e| file_error(path, e))?;
        let base = path.parent().unwrap_or(Path::new("."));
        config.snapshot = base.join(&config.snapshot);
        config.credentials = base.join(&config.credentials);
        if let Some(sessions) = &mut config.zstack_sessions {
            *sessions = base.join(&*sessions);
        }
        match &mut config.backend {
            BackendConfig::Simulator { world, state } => {
                *world = base.join(&*world);
                if let Some(state) = state {
                    *state = base.join(&*state);
                }
            }
            BackendConfig::Upstream { .. } => {}
        }
        if let Some(tls) = &mut config.tls {
            tls.cert = base.join(&tls.cert);
            tls.key = base.join(&tls.key);
        }
        if let Some(log) = &mut config.decision_log
            && log != "-"
        {
            *log = base.join(&*log).display().to_string();
        }
        Ok(config)
    }
}

/// Refuses a credentials file that others may read.
fn check_private(path: &Path) -> Result<(), ServeError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).map_err(|e| file_error(path, e))?.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(file_error(
                path,
                format!(
                    "holds secrets but is open to other users (mode {:o}): run `chmod 600 {}`",
                    mode & 0o777,
                    path.display()
                ),
            ));
        }
    }
    Ok(())
}

/// Reads a private file of secrets, refusing it if others may read it.
fn read_private(path: &Path) -> Result<String, ServeError> {
    check_private(path)?;
    read(path, MAX_CONFIG_BYTES)
}

/// Parses the text of a private TOML file of secrets (`what` names it in
/// errors, which never quote its text).
fn parse_secrets<T: serde::de::DeserializeOwned>(path: &Path, text: &str, what: &str) -> Result<T, ServeError> {
    toml::from_str(text).map_err(|e| {
        let place = e.span().map(|s| format!(" at byte {}", s.start)).unwrap_or_default();
        file_error(path, format!("not a {what}{place}: {}", e.message()))
    })
}

/// Whose a key or session is: a RAM user of the snapshot, or a named
/// session of one of its roles; with that principal's policies.
fn owner(
    model: &AccessModel,
    user: Option<&str>,
    role: Option<&str>,
    session: Option<&str>,
) -> Result<(ramguard::Principal, Revision), String> {
    let (name, session) = match (user, role, session) {
        (Some(user), None, None) => (user, None),
        (None, Some(role), Some(session)) => (role, Some(session)),
        _ => return Err("give `user`, or `role` and `session`".into()),
    };
    let owner = model.find(name).map_err(|e| e.to_string())?;
    let principal = match session {
        None => owner.principal().clone(),
        Some(session) => format!("acs:ram::{}:assumed-role/{}/{session}", model.account(), owner.name())
            .parse()
            .map_err(|e| format!("session `{session}`: {e}"))?,
    };
    let set = model.policy_set(owner).ok_or_else(|| format!("`{name}` has no policy set"))?;
    Ok((principal, Revision { number: 0, policies: Arc::new(set.clone()) }))
}

/// The keys of a credentials file, each decided by its owner's policies in
/// the snapshot.
pub fn load_keys(credentials: &Path, model: &AccessModel) -> Result<LoadedKeys, ServeError> {
    keys_from(credentials, &read_private(credentials)?, model)
}

/// The keys of a credentials file's text, read from `credentials`.
fn keys_from(credentials: &Path, text: &str, model: &AccessModel) -> Result<LoadedKeys, ServeError> {
    let file: CredentialsFile = parse_secrets(credentials, text, "credentials file")?;
    let mut keys = KeyRing::new();
    for entry in file.key {
        let id = &entry.access_key_id;
        let bad = |message: String| file_error(credentials, format!("key `{id}`: {message}"));
        let (principal, revision) =
            owner(model, entry.user.as_deref(), entry.role.as_deref(), entry.session.as_deref()).map_err(bad)?;
        let session = entry.session.as_ref();
        let secret = Secret::new(entry.access_key_secret.clone());
        let credential = match (&entry.security_token, &entry.expires, &session) {
            (None, None, None) => Credential::permanent(secret),
            (Some(token), Some(expires), Some(_)) => {
                let at = parse_timestamp(expires)
                    .ok_or_else(|| bad(format!("`expires` `{expires}` is not yyyy-MM-ddTHH:mm:ssZ")))?;
                Credential::temporary(secret, token.clone(), at)
            }
            (_, _, Some(_)) => return Err(bad("a role session's key needs `security_token` and `expires`".into())),
            _ => return Err(bad("only a role session's key has `security_token` and `expires`".into())),
        };
        if keys.get(id).is_some() {
            return Err(bad("listed twice".into()));
        }
        keys.insert(id.clone(), Key::new(credential, principal).with_mfa(entry.mfa).with_policies(revision));
    }
    let upstream = file.upstream.map(|u| (u.access_key_id, Secret::new(u.access_key_secret)));
    Ok(LoadedKeys { keys, upstream })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SessionEntry {
    uuid: String,
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    session: Option<String>,
    expires: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SessionsFile {
    #[serde(default)]
    session: Vec<SessionEntry>,
}

/// One ZStack login session: whose it is, until when, and its policies.
#[derive(Debug, Clone)]
pub struct ZstackSession {
    principal: ramguard::Principal,
    expires: OffsetDateTime,
    policies: Revision,
}

/// The sessions of a ZStack sessions file, by uuid, each decided by its
/// owner's policies in the snapshot. Session uuids are bearer secrets: the
/// file must be private, and no error quotes one.
pub fn load_sessions(path: &Path, model: &AccessModel) -> Result<HashMap<String, ZstackSession>, ServeError> {
    sessions_from(path, &read_private(path)?, model)
}

/// The sessions of a sessions file's text, read from `path`.
fn sessions_from(path: &Path, text: &str, model: &AccessModel) -> Result<HashMap<String, ZstackSession>, ServeError> {
    let file: SessionsFile = parse_secrets(path, text, "sessions file")?;
    let mut sessions = HashMap::new();
    for (n, entry) in file.session.into_iter().enumerate() {
        let bad = |message: String| file_error(path, format!("session {}: {message}", n + 1));
        let (principal, policies) =
            owner(model, entry.user.as_deref(), entry.role.as_deref(), entry.session.as_deref()).map_err(bad)?;
        let expires = parse_timestamp(&entry.expires)
            .ok_or_else(|| bad(format!("`expires` `{}` is not yyyy-MM-ddTHH:mm:ssZ", entry.expires)))?;
        if sessions.insert(entry.uuid, ZstackSession { principal, expires, policies }).is_some() {
            return Err(bad("its uuid is listed twice".into()));
        }
    }
    Ok(sessions)
}

/// The decision log: one JSON line per request, to stdout or to a file
/// (reopened on SIGHUP, for log rotation).
struct DecisionLog {
    out: Mutex<Box<dyn Write + Send>>,
    /// The file, when it is one.
    file: Option<PathBuf>,
}

impl DecisionLog {
    fn open(target: &str) -> Result<Self, ServeError> {
        if target == "-" {
            return Ok(Self { out: Mutex::new(Box::new(std::io::stdout())), file: None });
        }
        let path = PathBuf::from(target);
        let out = Self::append(&path)?;
        Ok(Self { out: Mutex::new(out), file: Some(path) })
    }

    fn append(path: &Path) -> Result<Box<dyn Write + Send>, ServeError> {
        let file = std::fs::OpenOptions::new().create(true).append(true).open(path).map_err(|e| file_error(path, e))?;
        Ok(Box::new(file))
    }

    /// Opens the log file anew (after logrotate moved it away, say): the
    /// lines after this go to the file now at its path. If it cannot be
    /// opened, the lines go on to the old one. Blocking.
    fn reopen(&self) {
        let Some(path) = &self.file else { return };
        match Self::append(path) {
            Ok(out) => {
                let mut old = self.out.lock().unwrap_or_else(PoisonError::into_inner);
                let _ = old.flush();
                *old = out;
                drop(old);
                eprintln!("ramguard serve: reopened the decision log {}", path.display());
            }
            Err(e) => eprintln!("ramguard serve: the decision log stays where it was: {e}"),
        }
    }

    /// Logs a request served (`check` false) or checked for a proxy
    /// (`check` true: nothing was performed, `allowed` says whether the
    /// proxy was told to let it through).
    fn record(&self, handled: &Handled, latency: Duration, check: bool) {
        let body: Value = serde_json::from_slice(handled.response.body()).unwrap_or(Value::Null);
        let explanation = handled.explanation.as_ref();
        let mut line = json!({
            "time": crate::signature::format_timestamp(OffsetDateTime::now_utc()),
            "request_id": body.get("RequestId"),
            "access_key_id": handled.access_key_id,
            "principal": handled.principal,
            "action": handled.action,
            "resources": handled.resources,
            "outcome": explanation.map(|e| e.decision.name()),
            "decided_by": explanation.map(|e| e.decided_by.name()),
            "matched": explanation.map(|e| e.matched.iter().map(|s| format!("{}#{}", s.policy, s.statement)).collect::<Vec<_>>()),
            "performed": !check && handled.outcome.as_ref().is_some_and(|o| o.performed),
            "check": check,
            "allowed": check.then(|| handled.outcome.as_ref().is_some_and(|o| o.performed)),
            "revision": handled.revision.as_deref(),
            "status": handled.response.status().as_u16(),
            "code": body.get("Code"),
            "latency_ms": latency.as_secs_f64() * 1000.0,
        });
        if !check && let Some(fields) = line.as_object_mut() {
            fields.remove("allowed");
        }
        // The whole line, newline included, goes out in one write: lines
        // from concurrent requests (and, with `O_APPEND`, from replicas
        // sharing the file) are never interleaved.
        let mut bytes = serde_json::to_vec(&line).unwrap_or_default();
        bytes.push(b'\n');
        let mut out = self.out.lock().unwrap_or_else(PoisonError::into_inner);
        // A log that cannot be written must not take the gateway down.
        let _ = out.write_all(&bytes).and_then(|()| out.flush());
    }
}

/// The client tokens a world file keeps: those of the memory store, or,
/// when the tokens are in Redis, the ones the file held at start (written
/// to Redis then), kept as they were.
enum KeptTokens {
    Memory(Arc<MemoryTokens>),
    AsRead(ClientTokens),
}

/// The simulated services and where their world is kept.
struct Services {
    simulator: Simulator,
    tokens: KeptTokens,
    world: PathBuf,
    changed: Notify,
    /// When the world's clock was last moved on.
    ticked: Mutex<std::time::Instant>,
}

impl Services {
    /// Moves the world's clock on by the whole seconds of wall time since
    /// it was last moved, so that updates finish and jobs complete as time
    /// passes.
    fn tick(&self) {
        let mut ticked = self.ticked.lock().unwrap_or_else(PoisonError::into_inner);
        let seconds = ticked.elapsed().as_secs();
        if seconds > 0 {
            self.simulator.advance(i64::try_from(seconds).unwrap_or(i64::MAX));
            *ticked += Duration::from_secs(seconds);
        }
    }

    /// Writes the world (and the client tokens) to a temporary file beside
    /// the world file, then renames it into place.
    fn save(&self) -> Result<(), ServeError> {
        let mut world = self.simulator.world();
        world.client_tokens = match &self.tokens {
            KeptTokens::Memory(tokens) => tokens.remembered(),
            KeptTokens::AsRead(tokens) => tokens.clone(),
        };
        let text = serde_json::to_string_pretty(&world).map_err(|e| file_error(&self.world, e))? + "\n";
        let dir = self.world.parent().unwrap_or(Path::new("."));
        let mut temp = tempfile::NamedTempFile::new_in(dir).map_err(|e| file_error(&self.world, e))?;
        temp.write_all(text.as_bytes())
            .and_then(|()| temp.as_file().sync_all())
            .map_err(|e| file_error(&self.world, e))?;
        temp.persist(&self.world).map_err(|e| file_error(&self.world, e.error))?;
        Ok(())
    }
}

/// The simulator as the gateway's backend: it moves the simulated clock on
/// before each call and wakes the saver after a call that changes the world.
/// It leaves authentication to the gateway (the simulator's own check of
/// ZStack sessions against its world is not made).
struct SimulatorBackend<'a>(&'a Services);

impl ramguard::guard::Backend for SimulatorBackend<'_> {
    fn now(&self) -> i64 {
        self.0.simulator.now()
    }
    fn request_id(&self) -> String {
        request_id()
    }
    async fn perform(
        &self,
        operation: &ramguard::catalog::Operation,
        params: &BTreeMap<String, String>,
        request_id: &str,
    ) -> ramguard::guard::ApiResponse {
        self.0.tick();
        let answer = self.0.simulator.perform(operation, params, request_id).await;
        // Reads change nothing worth a write; what time settles is written
        // with the next change, or at shutdown.
        if !matches!(operation.access_level.as_str(), "get" | "list") {
            self.0.changed.notify_one();
        }
        answer
    }
}

/// The RPC side of a simulator-backed server: the gateway, called directly
/// with the simulator as its backend.
struct Rpc {
    gateway: Arc<Gateway<Tokens, Nonces>>,
    services: Arc<Services>,
    log: Option<Arc<DecisionLog>>,
    metrics: Arc<ops::Metrics>,
    max_body: usize,
}

/// One RPC request: the gateway's whole path, then the decision log.
async fn rpc<B>(rpc: &Rpc, peer: Peer, request: http::Request<B>) -> http::Response<Bytes>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let started = std::time::Instant::now();
    let (parts, body) = request.into_parts();
    let body = match read_body(body, rpc.max_body).await {
        Ok(body) => body,
        Err(refused) => {
            rpc.metrics.count(None, None, None, started.elapsed());
            return refused;
        }
    };
    let handled = rpc.gateway.handle(&parts, &body, &peer, &SimulatorBackend(&rpc.services)).await;
    rpc.metrics.record(&handled, started.elapsed());
    if let Some(log) = &rpc.log {
        log.record(&handled, started.elapsed(), false);
    }
    handled.response
}

/// A request's body, up to `max` bytes; past that, or unreadable, the
/// `InvalidParameter` (413) answer.
async fn read_body<B>(body: B, max: usize) -> Result<Bytes, http::Response<Bytes>>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    http_body_util::Limited::new(body, max).collect().await.map(|c| c.to_bytes()).map_err(|_| {
        let message = format!("The request body is larger than {max} bytes, or could not be read.");
        envelope(StatusCode::PAYLOAD_TOO_LARGE, "InvalidParameter", &message, &request_id(), "ramguard")
    })
}

/// The check endpoint's state (see [`crate::check`]).
struct CheckEndpoint {
    gateway: Arc<Gateway<Tokens, Nonces>>,
    trusted_proxies: Vec<IpAddr>,
    log: Option<Arc<DecisionLog>>,
    metrics: Arc<ops::Metrics>,
    max_body: usize,
}

/// Answers a proxy that asks whether to let a request through.
async fn check_endpoint(State(check): State<Arc<CheckEndpoint>>, request: Request) -> Response {
    let started = std::time::Instant::now();
    let (parts, body) = request.into_parts();
    let Some(peer) = parts.extensions.get::<Peer>().copied() else {
        let message = "The gateway does not know the caller's address.";
        return envelope(StatusCode::INTERNAL_SERVER_ERROR, "InternalError", message, &request_id(), "ramguard")
            .map(axum::body::Body::from);
    };
    let body = match read_body(body, check.max_body).await {
        Ok(body) => body,
        Err(refused) => return refused.map(axum::body::Body::from),
    };
    let checked = crate::check::check(&check.gateway, &check.trusted_proxies, &parts, &body, peer).await;
    check.metrics.record(&checked.handled, started.elapsed());
    if let Some(log) = &check.log {
        log.record(&checked.handled, started.elapsed(), true);
    }
    checked.response.map(axum::body::Body::from)
}

/// Where allowed calls are forwarded, and the key they are signed with.
struct Upstream {
    client: hyper_util::client::legacy::Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>,
    endpoint: http::Uri,
    access_key_id: String,
    secret: Secret,
    catalog: Catalog,
    max_body: usize,
}

/// Forwards an authorized call upstream, signed with V3 by the gateway's
/// key, and relays the answer.
async fn forward(State(upstream): State<Arc<Upstream>>, Extension(call): Extension<Authorized>) -> Response {
    let failed = |message: &str| {
        envelope(StatusCode::BAD_GATEWAY, "ServiceUnavailable", message, &call.request_id, "ramguard")
            .map(axum::body::Body::from)
    };
    let Some(operation) = upstream.catalog.get(&call.action) else {
        return failed("The operation is not in the catalog.");
    };
    let mut query = String::new();
    for (name, value) in &call.parameters {
        if !query.is_empty() {
            query.push('&');
        }
        crate::signature::push_encoded(&mut query, name);
        query.push('=');
        crate::signature::push_encoded(&mut query, value);
    }
    let Ok(uri) = format!("{}?{query}", upstream.endpoint.to_string().trim_end_matches('/').to_owned() + "/")
        .parse::<http::Uri>()
    else {
        return failed("The upstream address could not be formed.");
    };
    let Ok(request) = http::Request::post(uri).body(Bytes::new()) else {
        return failed("The request could not be formed.");
    };
    let (mut parts, body) = request.into_parts();
    let nonce = request_id();
    let signing = crate::signature::v3::V3Signing::new(
        &upstream.access_key_id,
        &upstream.secret,
        &operation.api,
        &operation.version,
        OffsetDateTime::now_utc(),
        &nonce,
    );
    if crate::signature::v3::sign(&mut parts, &body, &signing).is_err() {
        return failed("The request could not be signed.");
    }
    let Ok(response) = upstream.client.request(http::Request::from_parts(parts, Full::new(body))).await else {
        return failed("The upstream service could not be reached.");
    };
    let (parts, body) = response.into_parts();
    let Ok(collected) = http_body_util::Limited::new(body, upstream.max_body).collect().await else {
        return failed("The upstream answer could not be read.");
    };
    Response::from_parts(parts, axum::body::Body::from(collected.to_bytes()))
}

/// The ZStack side of the server: its sessions, and the shared guard and
/// services.
struct Zstack {
    sessions: Arc<reload::SharedSessions>,
    guard: Arc<Guard<Tokens>>,
    services: Arc<Services>,
    trusted_proxies: Vec<IpAddr>,
    log: Option<Arc<DecisionLog>>,
    metrics: Arc<ops::Metrics>,
}

fn zstack_error(status: StatusCode, code: &str, description: &str) -> Response {
    let body = json!({"error": {"code": code, "description": description, "details": description,
        "elaboration": null, "opaque": null, "cause": null}});
    json_response(status, &body).map(axum::body::Body::from)
}

impl Zstack {
    /// The caller's session, or ZStack's answer to a missing, unknown or
    /// expired one.
    fn session(&self, headers: &http::HeaderMap) -> Result<(ZstackSession, Arc<str>), Box<Response>> {
        let Some(session) = headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("OAuth "))
            .map(str::trim)
        else {
            let mut answer = Response::new(axum::body::Body::from(
                "the header Authorization: OAuth <session-uuid> is missing or invalid",
            ));
            *answer.status_mut() = StatusCode::BAD_REQUEST;
            return Err(Box::new(answer));
        };
        let sessions = self.sessions.current();
        match sessions.by_uuid.get(session) {
            Some(found) if found.expires > OffsetDateTime::now_utc() => Ok((found.clone(), sessions.revision.clone())),
            _ => Err(Box::new(zstack_error(
                StatusCode::UNAUTHORIZED,
                "ID.1001",
                &format!("invalid or expired session[uuid:{session}]"),
            ))),
        }
    }
}

/// `PUT /zstack/v1/ipsec/{uuid}/actions`: change an IPsec connection's state.
async fn zstack_change_state(
    State(zstack): State<Arc<Zstack>>,
    axum::extract::Path(uuid): axum::extract::Path<String>,
    Extension(peer): Extension<Peer>,
    headers: http::HeaderMap,
    body: Bytes,
) -> Response {
    let started = std::time::Instant::now();
    let action = "zstack:ChangeIPSecConnectionState";
    let (session, revision) = match zstack.session(&headers) {
        Ok(found) => found,
        Err(answer) => {
            // An unknown or expired session is ID.1001; a missing header has no code.
            let code = (answer.status() == StatusCode::UNAUTHORIZED).then_some("ID.1001");
            zstack.metrics.count(Some(action), None, code, started.elapsed());
            return *answer;
        }
    };
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        zstack.metrics.count(Some(action), None, None, started.elapsed());
        return zstack_error(StatusCode::BAD_REQUEST, "SYS.1007", "the request body is not JSON");
    };
    let mut params = BTreeMap::from([("uuid".to_owned(), uuid)]);
    if let Some(event) = body.pointer("/changeIPSecConnectionState/stateEvent") {
        params.insert("stateEvent".to_owned(), event.as_str().map_or_else(|| event.to_string(), str::to_owned));
    }
    let mut caller = ramguard::catalog::Caller::new(session.principal.clone());
    caller.source_ip = Some(crate::rpc::source_ip(&zstack.trusted_proxies, &peer, &headers).to_string());
    caller.secure_transport = Some(peer.secure);
    caller.current_time = ramguard::sim::format_clock(OffsetDateTime::now_utc().unix_timestamp());
    caller.mfa_present = Some(false);
    // The gateway has checked the session against its sessions file; the
    // simulator's own check of its world's sessions is not asked for.
    let backend = SimulatorBackend(&zstack.services);
    let outcome = match zstack.guard.call_with(&session.policies, &backend, action, &params, &caller).await {
        Ok(outcome) => outcome,
        Err(e) => {
            zstack.metrics.count(Some(action), None, None, started.elapsed());
            return zstack_error(StatusCode::BAD_REQUEST, "SYS.1007", &e.to_string());
        }
    };
    zstack.metrics.count(Some(action), Some(&outcome), None, started.elapsed());
    let mut answer = outcome.response.body.clone();
    if let (Some(location), Some(host)) =
        (answer.get("location").and_then(Value::as_str), headers.get(http::header::HOST).and_then(|h| h.to_str().ok()))
    {
        let relocated = Value::String(location.replacen("localhost:8080", host, 1));
        if let Some(slot) = answer.get_mut("location") {
            *slot = relocated;
        }
    }
    let status = StatusCode::from_u16(outcome.response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let response = json_response(status, &answer);
    if let Some(log) = &zstack.log {
        let request = zstack.guard.catalog().get(action).and_then(|o| o.authorization_request(&params, &caller).ok());
        let mut handled = Handled::refused(response.clone());
        handled.principal = Some(session.principal.to_string());
        handled.action = Some(action.to_owned());
        handled.resources = request.as_ref().map(|r| r.resources().to_vec()).unwrap_or_default();
        handled.explanation =
            outcome.explanation.clone().or_else(|| request.map(|r| session.policies.policies.explain(&r)));
        handled.outcome = Some(outcome);
        handled.revision = Some(revision);
        log.record(&handled, started.elapsed(), false);
    }
    response.map(axum::body::Body::from)
}

/// `GET /zstack/v1/api-jobs/{id}`: a job's state, for a valid session.
async fn zstack_poll(
    State(zstack): State<Arc<Zstack>>,
    axum::extract::Path(id): axum::extract::Path<String>,
    headers: http::HeaderMap,
) -> Response {
    if let Err(answer) = zstack.session(&headers) {
        return *answer;
    }
    zstack.services.tick();
    let answer = zstack.services.simulator.poll(&id);
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    json_response(status, &answer.body).map(axum::body::Body::from)
}

/// Any other path: Alibaba's envelope, not an empty 404.
async fn not_found() -> Response {
    envelope(
        StatusCode::NOT_FOUND,
        "InvalidAction.NotFound",
        "Specified api is not found, please check your url and method.",
        &request_id(),
        "ramguard",
    )
    .map(axum::body::Body::from)
}

/// Bounds the time of one request.
async fn with_timeout(State(timeout): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => timed_out(timeout).map(axum::body::Body::from),
    }
}

/// A configured server, ready to run.
pub struct Server {
    router: Router,
    /// The simulator's RPC path, served without the router.
    direct: Option<Arc<Rpc>>,
    timeout: Duration,
    services: Option<Arc<Services>>,
    /// The TLS acceptor, when `[tls]` is configured.
    acceptor: Option<tokio_rustls::TlsAcceptor>,
    listen: SocketAddr,
    /// How many keys it accepts.
    pub keys: usize,
    revision: Arc<str>,
    reloader: Arc<reload::Reloader>,
    /// What the reloader starts from, taken when it starts.
    watched: Mutex<Option<(Option<reload::Hangups>, reload::Seen)>>,
    /// `/metrics`, `/healthz` and `/readyz`.
    ops: Arc<ops::Ops>,
    /// The configured `metrics_listen`.
    ops_listen: Option<SocketAddr>,
    /// Its listener, once bound.
    ops_listener: Option<tokio::net::TcpListener>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server").field("listen", &self.listen).field("keys", &self.keys).finish_non_exhaustive()
    }
}

impl Server {
    /// Reads everything the configuration names, connects to its store and
    /// builds the server. It must run within a tokio runtime (the Redis
    /// store's connection lives there).
    pub async fn new(config: &Config) -> Result<Server, ServeError> {
        // Looked at before the files are read, so that a change while
        // they are read is seen by the first look after start.
        let seen = reload::seen(config);
        let hangups = reload::hangups();
        let certificates = config.tls.as_ref().map(tls::Certificates::load).transpose()?.map(Arc::new);
        let acceptor = certificates.as_ref().map(tls::Certificates::acceptor).transpose()?;
        let reload::Policies { keys, upstream, sessions, revision } = reload::load_policies(config)?;
        let builtin = Catalog::builtin().map_err(|e| ServeError::Config(e.to_string()))?;
        let catalog = builtin.clone();
        let metrics = Arc::new(ops::Metrics::new(builtin, &revision));
        let timeout = Duration::from_millis(config.limits.request_timeout_ms);
        let mut redis = None;
        let (tokens, nonces) = match &config.store {
            StoreConfig::Memory => (
                Tokens::Memory(Arc::new(MemoryTokens::with_capacity(config.limits.max_client_tokens))),
                Nonces::Memory(MemoryNonceStore::new(config.limits.max_nonces)),
            ),
            StoreConfig::Redis { url, prefix, timeout_ms } => {
                let store_timeout = Duration::from_millis(*timeout_ms);
                let store = RedisStore::connect(url, prefix, store_timeout)
                    .await
                    .map_err(|e| ServeError::Config(e.to_string()))?;
                // A live replica settles a call within its request timeout
                // and one write; a record older than that was abandoned.
                redis = Some(store.clone());
                (
                    Tokens::Redis(store.tokens(timeout.saturating_add(store_timeout)), metrics.clone()),
                    Nonces::Redis(store.nonces(), metrics.clone()),
                )
            }
        };
        let empty = ramguard::PolicySetBuilder::new().build().map_err(|e| ServeError::Config(e.to_string()))?;
        let guard = Arc::new(Guard::with_tokens(empty, catalog.clone(), tokens));
        let key_count = keys.len();
        let gateway = Arc::new(
            Gateway::new(guard.clone(), keys, nonces)
                .with_trusted_proxies(config.trusted_proxies.clone())
                .explaining(config.decision_log.is_some()),
        );
        let mut layer = GuardLayer::new(gateway.clone()).max_body(config.limits.max_body_bytes);
        let log = config.decision_log.as_deref().map(DecisionLog::open).transpose()?.map(Arc::new);
        let (hook_log, hook_metrics) = (log.clone(), metrics.clone());
        layer = layer.on_decision(Arc::new(move |handled: &Handled, latency: Duration| {
            hook_metrics.record(handled, latency);
            if let Some(log) = &hook_log {
                log.record(handled, latency, false);
            }
        }));
        let shared_sessions = sessions.map(|sessions| Arc::new(reload::SharedSessions::new(sessions)));
        let reloader = Arc::new(reload::Reloader {
            config: config.clone(),
            gateway: gateway.clone(),
            sessions: shared_sessions.clone(),
            revision: Mutex::new(revision.clone()),
            log: log.clone(),
            metrics: metrics.clone(),
            certificates,
        });
        let ops = Arc::new(ops::Ops { metrics: metrics.clone(), store: redis, revision: reloader.clone() });
        let mut direct = None;
        let (routes, services) = match &config.backend {
            BackendConfig::Simulator { world: start, state } => {
                let kept = state.clone().unwrap_or_else(|| start.clone());
                let from = if kept.exists() { &kept } else { start };
                let world = World::from_json(&read(from, ramguard::files::LIFTED_READ_CAP)?)
                    .map_err(|e| ServeError::Config(format!("{}:{e}", from.display())))?;
                if let Some(dir) = kept.parent()
                    && !dir.as_os_str().is_empty()
                {
                    std::fs::create_dir_all(dir).map_err(|e| file_error(dir, e))?;
                }
                let kept_tokens = match guard.tokens() {
                    Tokens::Memory(tokens) => {
                        tokens.remember(world.client_tokens.clone());
                        KeptTokens::Memory(tokens.clone())
                    }
                    Tokens::Redis(tokens, _) => {
                        tokens
                            .remember(world.client_tokens.clone(), world.clock)
                            .await
                            .map_err(|e| ServeError::Config(e.to_string()))?;
                        KeptTokens::AsRead(world.client_tokens.clone())
                    }
                };
                let services = Arc::new(Services {
                    simulator: Simulator::new(world),
                    tokens: kept_tokens,
                    world: kept,
                    changed: Notify::new(),
                    ticked: Mutex::new(std::time::Instant::now()),
                });
                // RPC calls (on `/`) go to the gateway directly, with the
                // simulator as its backend, before the router: see `serve`.
                direct = Some(Arc::new(Rpc {
                    gateway: gateway.clone(),
                    services: services.clone(),
                    log: log.clone(),
                    metrics: metrics.clone(),
                    max_body: config.limits.max_body_bytes,
                }));
                let zstack = Arc::new(Zstack {
                    sessions: shared_sessions.unwrap_or_default(),
                    guard,
                    services: services.clone(),
                    trusted_proxies: config.trusted_proxies.clone(),
                    log,
                    metrics: metrics.clone(),
                });
                let zstack = Router::new()
                    .route("/zstack/v1/ipsec/{uuid}/actions", axum::routing::put(zstack_change_state))
                    .route("/zstack/v1/api-jobs/{id}", axum::routing::get(zstack_poll))
                    .with_state(zstack)
                    .layer(axum::extract::DefaultBodyLimit::max(config.limits.max_body_bytes));
                (zstack, Some(services))
            }
            BackendConfig::Upstream { endpoint } => {
                let endpoint: http::Uri =
                    endpoint.parse().map_err(|e| ServeError::Config(format!("backend endpoint `{endpoint}`: {e}")))?;
                if endpoint.scheme_str() != Some("http") || endpoint.authority().is_none() {
                    return Err(ServeError::Config(format!(
                        "backend endpoint `{endpoint}`: expected http://host:port"
                    )));
                }
                let (access_key_id, secret) = upstream.ok_or_else(|| {
                    file_error(&config.credentials, "an upstream backend needs the gateway's own key: add [upstream]")
                })?;
                let client =
                    hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build_http();
                let upstream = Arc::new(Upstream {
                    client,
                    endpoint,
                    access_key_id,
                    secret,
                    catalog,
                    max_body: config.limits.max_body_bytes,
                });
                if shared_sessions.is_some() {
                    return Err(ServeError::Config(
                        "zstack_sessions is for the simulator backend: an upstream backend forwards Alibaba Cloud calls only".into(),
                    ));
                }
                (Router::new().route("/", any(forward)).with_state(upstream).layer(layer), None)
            }
        };
        let check = Arc::new(CheckEndpoint {
            gateway: gateway.clone(),
            trusted_proxies: config.trusted_proxies.clone(),
            log: reloader.log.clone(),
            metrics: metrics.clone(),
            max_body: config.limits.max_body_bytes,
        });
        let check = Router::new()
            .route(crate::check::CHECK_PATH, any(check_endpoint))
            .route(&format!("{}/", crate::check::CHECK_PATH), any(check_endpoint))
            .route(&format!("{}/{{*original}}", crate::check::CHECK_PATH), any(check_endpoint))
            .with_state(check);
        let router =
            routes.merge(check).fallback(not_found).layer(axum::middleware::from_fn_with_state(timeout, with_timeout));
        Ok(Server {
            router,
            direct,
            timeout,
            services,
            acceptor,
            listen: config.listen,
            keys: key_count,
            revision,
            reloader,
            watched: Mutex::new(Some((hangups, seen))),
            ops,
            ops_listen: config.metrics_listen,
            ops_listener: None,
        })
    }

    /// The configured address.
    pub fn listen(&self) -> SocketAddr {
        self.listen
    }

    /// Whether it speaks TLS (`[tls]`) rather than plain HTTP.
    pub fn secure(&self) -> bool {
        self.acceptor.is_some()
    }

    /// The policy revision it starts with: the first 16 hex digits of the
    /// SHA-256 of the snapshot, credentials and sessions files.
    pub fn revision(&self) -> &str {
        &self.revision
    }

    /// Binds the configured `metrics_listen`, if there is one, and returns
    /// the address it is bound to (for `127.0.0.1:0`, the port it got).
    /// [`Server::run`] binds it itself when this was not called.
    pub async fn bind_metrics(&mut self) -> Result<Option<SocketAddr>, ServeError> {
        if self.ops_listener.is_none()
            && let Some(addr) = self.ops_listen
        {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| ServeError::Config(format!("metrics_listen {addr}: {e}")))?;
            self.ops_listener = Some(listener);
        }
        self.ops_listener.as_ref().map(|l| l.local_addr()).transpose().map_err(ServeError::Io)
    }

    /// Serves on `listener` (and on `metrics_listen`, when configured)
    /// until `shutdown` completes, then lets the requests in flight finish
    /// and writes the world a last time.
    pub async fn run(
        mut self,
        listener: tokio::net::TcpListener,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        self.bind_metrics().await?;
        // One shutdown, for both listeners.
        let (stop, stopped) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            shutdown.await;
            let _ = stop.send(true);
        });
        let until = |mut stopped: tokio::sync::watch::Receiver<bool>| async move {
            // A sender gone is a shutdown too.
            let _ = stopped.wait_for(|stop| *stop).await;
        };
        let (main_ops, ops_loop) = match self.ops_listener.take() {
            Some(ops_listener) => {
                let only_ops = Router::new().fallback(not_found);
                let served = accept_loop(
                    ops_listener,
                    only_ops,
                    None,
                    Some(self.ops.clone()),
                    self.timeout,
                    // Plain HTTP: the operations listener is for a private network.
                    None,
                    until(stopped.clone()),
                );
                (None, Some(tokio::spawn(served)))
            }
            None => (Some(self.ops.clone()), None),
        };
        let saver = self.services.clone().map(|services| {
            tokio::spawn(async move {
                loop {
                    services.changed.notified().await;
                    let services = services.clone();
                    // A failed write is reported and retried on the next change.
                    if let Ok(Err(e)) = tokio::task::spawn_blocking(move || services.save()).await {
                        eprintln!("ramguard serve: {e}");
                    }
                }
            })
        });
        let watched = self.watched.lock().unwrap_or_else(PoisonError::into_inner).take();
        let watcher = watched.map(|(hangups, seen)| tokio::spawn(reload::watch(self.reloader.clone(), hangups, seen)));
        let served =
            accept_loop(listener, self.router, self.direct, main_ops, self.timeout, self.acceptor, until(stopped))
                .await;
        let ops_served = match ops_loop {
            Some(ops_loop) => ops_loop.await.unwrap_or(Ok(())),
            None => Ok(()),
        };
        if let Some(saver) = saver {
            saver.abort();
        }
        if let Some(watcher) = watcher {
            watcher.abort();
        }
        if let Some(services) = &self.services {
            services.save()?;
        }
        served.and(ops_served).map_err(ServeError::Io)
    }
}

/// How long a connection may stay idle, take to complete its TLS
/// handshake, or take to send a request's headers, before it is closed.
const IDLE: Duration = Duration::from_secs(30);

/// The accept loop: HTTP/1.1 connections, each request to the gateway
/// directly when it is an RPC call to the simulator (the hot path: no
/// routing, no boxed bodies, no middleware), to `ops` when it asks for one
/// of its paths, to the router otherwise. With `acceptor`, every
/// connection is TLS, and its handshake must complete within [`IDLE`]. On
/// `shutdown`, it stops accepting and lets every connection finish the
/// request it is serving.
async fn accept_loop(
    listener: tokio::net::TcpListener,
    router: Router,
    direct: Option<Arc<Rpc>>,
    ops: Option<Arc<ops::Ops>>,
    timeout: Duration,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), std::io::Error> {
    type Body = http_body_util::Either<Full<Bytes>, axum::body::Body>;
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, addr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of descriptors, say: wait rather than spin.
                    eprintln!("ramguard serve: accept: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let router = router.clone();
        let direct = direct.clone();
        let ops = ops.clone();
        let secure = acceptor.is_some();
        let service = hyper::service::service_fn(move |mut request: http::Request<hyper::body::Incoming>| {
            let router = router.clone();
            let direct = direct.clone();
            let ops = ops.clone();
            async move {
                let peer = Peer { addr, secure };
                let path = request.uri().path();
                let response: http::Response<Body> = match (direct, ops) {
                    (_, Some(ops)) if ops::PATHS.contains(&path) => {
                        match tokio::time::timeout(timeout, ops.answer(request.method(), path)).await {
                            Ok(response) => response.map(|b| Body::Left(Full::new(b))),
                            Err(_) => timed_out(timeout).map(|b| Body::Left(Full::new(b))),
                        }
                    }
                    (Some(rpc), _) if path == "/" => {
                        match tokio::time::timeout(timeout, self::rpc(&rpc, peer, request)).await {
                            Ok(response) => response.map(|b| Body::Left(Full::new(b))),
                            Err(_) => {
                                rpc.metrics.count(None, None, None, timeout);
                                timed_out(timeout).map(|b| Body::Left(Full::new(b)))
                            }
                        }
                    }
                    _ => {
                        request.extensions_mut().insert(peer);
                        let Ok(response) = tower::ServiceExt::oneshot(router, request.map(axum::body::Body::new)).await;
                        response.map(Body::Right)
                    }
                };
                Ok::<_, std::convert::Infallible>(response)
            }
        });
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder.timer(hyper_util::rt::TokioTimer::new()).header_read_timeout(IDLE);
        let watcher = graceful.watcher();
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            // A connection that breaks off, or whose handshake fails or
            // stalls, is the client's business.
            let _ = match acceptor {
                None => watcher.watch(builder.serve_connection(hyper_util::rt::TokioIo::new(stream), service)).await,
                Some(acceptor) => match tokio::time::timeout(IDLE, acceptor.accept(stream)).await {
                    Ok(Ok(stream)) => {
                        watcher.watch(builder.serve_connection(hyper_util::rt::TokioIo::new(stream), service)).await
                    }
                    _ => return,
                },
            };
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// The answer to a request that took longer than `timeout`.
fn timed_out(timeout: Duration) -> http::Response<Bytes> {
    let message = format!("The request did not complete within {} ms.", timeout.as_millis());
    envelope(StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable", &message, &request_id(), "ramguard")
}

/// Completes on SIGTERM or Ctrl-C. SIGTERM is listened for from the call
/// on (not from the first poll), so that one sent as soon as the server
/// says it listens stops it cleanly. Call it within a tokio runtime.
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    async move {
        let ctrl_c = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        #[cfg(unix)]
        let terminate = async move {
            match terminate {
                Some(mut signal) => {
                    signal.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let terminate = std::future::pending::<()>();
        tokio::select! {
            () = ctrl_c => {},
            () = terminate => {},
        }
    }
}

/// Serves the configuration at `path` until SIGTERM or Ctrl-C, saying on
/// stderr where it listens.
pub fn serve(path: &Path, listen: Option<SocketAddr>) -> Result<(), ServeError> {
    let config = Config::load(path)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let mut server = Server::new(&config).await?;
        let listener = tokio::net::TcpListener::bind(listen.unwrap_or(server.listen())).await?;
        let addr = listener.local_addr()?;
        let metrics = server.bind_metrics().await?;
        let shutdown = shutdown_signal();
        let scheme = if server.secure() { "https" } else { "http" };
        eprintln!(
            "ramguard serve: listening on {scheme}://{addr} ({} keys, revision {})",
            server.keys,
            server.revision()
        );
        if let Some(metrics) = metrics {
            eprintln!("ramguard serve: /metrics, /healthz and /readyz on http://{metrics}");
        }
        server.run(listener, shutdown).await
    })
}

/// The client tokens where the configuration keeps them.
#[derive(Debug)]
enum Tokens {
    Memory(Arc<MemoryTokens>),
    /// In Redis; its failures are counted in the metrics.
    Redis(RedisTokens, Arc<ops::Metrics>),
}

impl ClientTokenStore for Tokens {
    async fn claim(&self, key: &TokenKey, params: &BTreeMap<String, String>, now: i64) -> Claim {
        match self {
            Self::Memory(tokens) => tokens.claim(key, params, now).await,
            Self::Redis(tokens, metrics) => {
                let claim = tokens.claim(key, params, now).await;
                if matches!(claim, Claim::Unavailable) {
                    metrics.store_error(ops::StoreUse::ClientTokens);
                }
                claim
            }
        }
    }

    fn settle(&self, key: &TokenKey, settlement: Settlement) {
        match self {
            Self::Memory(tokens) => tokens.settle(key, settlement),
            Self::Redis(tokens, _) => tokens.settle(key, settlement),
        }
    }
}

/// The signature nonces where the configuration keeps them.
#[derive(Debug)]
enum Nonces {
    Memory(MemoryNonceStore),
    /// In Redis; its failures are counted in the metrics.
    Redis(RedisNonces, Arc<ops::Metrics>),
}

impl NonceStore for Nonces {
    async fn remember(
        &self,
        access_key_id: &str,
        nonce: &str,
        timestamp: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<(), NonceRefusal> {
        match self {
            Self::Memory(nonces) => nonces.remember(access_key_id, nonce, timestamp, now).await,
            Self::Redis(nonces, metrics) => {
                let remembered = nonces.remember(access_key_id, nonce, timestamp, now).await;
                if remembered == Err(NonceRefusal::Unavailable) {
                    metrics.store_error(ops::StoreUse::Nonces);
                }
                remembered
            }
        }
    }
}
