//! State shared by several gateways, kept in Redis: client tokens and
//! signature nonces, so that replicas behind one load balancer perform a
//! call with a `ClientToken` once between them and accept a signed request
//! once between them.
//!
//! One [`RedisStore`] is one reconnecting connection (the `redis` crate's
//! `ConnectionManager`). [`RedisStore::tokens`] gives the guard's
//! [`ClientTokenStore`] ([`RedisTokens`]), [`RedisStore::nonces`] the
//! verifier's [`NonceStore`] ([`RedisNonces`]). Both must be used from
//! within a tokio runtime; outside one they answer that they cannot tell,
//! and the request is refused.
//!
//! # Keys
//!
//! Every key starts with the configured prefix (`ramguard:` by default), so
//! that one Redis database can serve other programs too:
//!
//! - `<prefix>nonce:<n>:<AccessKeyId>:<nonce>`, where `<n>` is the
//!   AccessKeyId's length in bytes, so that no two pairs give one key; the
//!   value is `1`. It is written with `SET ... NX PX <ms>`: the first writer
//!   wins, and the key lives until the request's timestamp is more than 15
//!   minutes before the clock (up to 30 minutes for a request signed 15
//!   minutes ahead), plus [`CLOCK_MARGIN`] for replicas whose clocks differ.
//!   A nonce is at most 128 bytes (the verifier's limit), so a key is too.
//! - `<prefix>token:<action>:<sha256>`, where `<action>` is the catalog's
//!   (`vpc:DeleteIpsecServer`) and `<sha256>` the hex SHA-256 of the
//!   `ClientToken`, so that a key has a fixed length whatever the token.
//!   The value is a JSON record: in flight (the SHA-256 of the call's
//!   parameters, the claim's random owner id and time), answered (the
//!   first answer, as a world file keeps it) or unknown. Every record lives
//!   [`CLIENT_TOKEN_TTL_SECONDS`] (24 h, on Redis's clock) from when it was
//!   written.
//!
//! # How a token is claimed
//!
//! One atomic transaction (`MULTI`, `SET key in-flight NX PX 86400000`,
//! `GET key`, `PTTL key`, `EXEC`) either claims the key ([`Claim::Fresh`])
//! or reads the record that holds it: an answer ([`Claim::Answered`]), an
//! unknown outcome ([`Claim::Unknown`]), or a call in flight with other
//! parameters ([`Claim::Mismatch`]). A call in flight with the same
//! parameters is waited for: the claim polls, 5 ms and doubling up to
//! 100 ms between polls, until the record is settled. An in-flight record
//! older than the store's `abandon_after` (its age is read from its TTL, on
//! Redis's own clock, so the replicas' clocks do not matter) was left by a
//! gateway that stopped mid-call or could not write its settlement: the
//! waiter answers [`Claim::Unknown`], and nothing ever performs it again
//! while it is remembered. A waiter waits `abandon_after` at most. A claim
//! whose transaction fails, or whose call is cancelled, before its reply is
//! read may have claimed the key all the same: it takes its own record back
//! (compare-and-delete), since nothing was performed with it.
//!
//! Settling ([`ClientTokenStore::settle`]) never blocks: it spawns a task
//! that replaces the record with the answer, deletes it (released) or marks
//! it unknown, by a compare-and-set script that changes the record only
//! while it is still this claim's. A settlement that cannot be written is
//! retried until `abandon_after` has passed; after that the record stays in
//! flight, and is answered unknown once it is old enough: it fails closed.
//!
//! # When Redis cannot answer
//!
//! Every command is bounded by the store's timeout. A command that fails or
//! times out makes the call that needed it fail closed: a nonce is refused
//! ([`NonceRefusal::Unavailable`], HTTP 503 `ServiceUnavailable`), a token
//! is not claimed ([`Claim::Unavailable`], 503, not performed). The
//! connection reconnects by itself; the first failure and the first success
//! after failures each write one line on stderr (the URL without its
//! password), not one line per request.
//!
//! Worst cases, with `timeout` the store's timeout and `abandon_after` the
//! tokens': a signed request waits `timeout` at most for its nonce; a call
//! with a `ClientToken` waits `timeout` to claim it and, behind an
//! identical call in flight, `abandon_after` at most (a gateway's request
//! timeout bounds both); a settlement is retried for `abandon_after`.
//!
//! # What Redis must guarantee
//!
//! At most once holds while Redis keeps what it acknowledged: a single
//! primary, `maxmemory-policy noeviction` (the default: a full Redis then
//! refuses writes, and calls fail closed, where an evicting one would
//! forget tokens and nonces early), and persistence (`appendonly yes`) if
//! the guarantee must survive a restart of Redis. A failover to a replica
//! that had not yet received a write can forget it.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use ramguard::guard::{
    CLIENT_TOKEN_TTL_SECONDS, Claim, ClientTokenStore, ClientTokens, RememberedCall, Settlement, TokenKey,
};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::signature::{MAX_SKEW, NonceRefusal, NonceStore};

/// How long past its window a nonce is kept, for gateways whose clocks
/// differ by up to this much: one minute.
pub const CLOCK_MARGIN: Duration = Duration::from_secs(60);

/// The default prefix of every key.
pub const DEFAULT_PREFIX: &str = "ramguard:";

/// The most bytes of a key prefix.
pub const MAX_PREFIX_BYTES: usize = 64;

/// The client-token TTL in milliseconds, as Redis's `PX` takes it.
const TOKEN_TTL_MS: i64 = CLIENT_TOKEN_TTL_SECONDS * 1000;

/// The first and the longest pause between two polls of a token in flight.
const FIRST_POLL: Duration = Duration::from_millis(5);
const LONGEST_POLL: Duration = Duration::from_millis(100);

/// Replaces a token's record with `ARGV[2]` (for `ARGV[3]` ms), or deletes
/// it when `ARGV[2]` is empty, only while it is still `ARGV[1]`, the claim's
/// own in-flight record.
const SETTLE: &str = r"if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end
return 1";

/// A Redis URL (`redis://[user:password@]host:port/db`, or
/// `redis+unix:///path`), which may hold a password: its `Debug` and
/// `Display` show it without one.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct RedisUrl(String);

impl RedisUrl {
    /// The URL `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    /// The URL with its user and password (whatever stands before an `@`
    /// in its authority) shown as `***`.
    pub fn redacted(&self) -> String {
        let Some((scheme, rest)) = self.0.split_once("://") else {
            return "<a Redis URL that does not read>".to_owned();
        };
        let (authority, path) = rest.find('/').map_or((rest, ""), |at| rest.split_at(at));
        match authority.rsplit_once('@') {
            Some((_, host)) => format!("{scheme}://***@{host}{path}"),
            None => format!("{scheme}://{authority}{path}"),
        }
    }
}

impl fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RedisUrl").field(&self.redacted()).finish()
    }
}

impl fmt::Display for RedisUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// Why a store could not be opened or written to. Its message names the
/// URL without its password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct StoreError(String);

/// Whether Redis answers, so that a failure is said once on stderr, not
/// once per request.
#[derive(Debug)]
struct Health {
    down: AtomicBool,
    url: String,
}

impl Health {
    fn failed(&self, error: &dyn fmt::Display) {
        if !self.down.swap(true, Ordering::SeqCst) {
            say(&format!(
                "ramguard: the Redis store at {} failed ({error}): requests that need it are refused with ServiceUnavailable until it answers again",
                self.url
            ));
        }
    }

    fn answered(&self) {
        // A load first: the common case writes nothing.
        if self.down.load(Ordering::Relaxed) && self.down.swap(false, Ordering::SeqCst) {
            say(&format!("ramguard: the Redis store at {} answers again", self.url));
        }
    }
}

/// One line on stderr; a stderr that cannot be written is ignored.
fn say(line: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// A reconnecting connection to Redis, shared by the stores made from it.
/// Cloning it is cheap and shares the connection.
#[derive(Clone)]
pub struct RedisStore {
    connection: ConnectionManager,
    prefix: Arc<str>,
    timeout: Duration,
    health: Arc<Health>,
    runtime: tokio::runtime::Handle,
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("url", &self.health.url)
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// Connects to `url`, with every key under `prefix`, each command (and
    /// each connection attempt) bounded by `timeout`, and checks that Redis
    /// answers (`PING`). Must be called within a tokio runtime, whose tasks
    /// write the settlements of client tokens.
    pub async fn connect(url: &RedisUrl, prefix: &str, timeout: Duration) -> Result<Self, StoreError> {
        let shown = url.redacted();
        let fail = |message: String| StoreError(format!("the Redis store at {shown}: {message}"));
        if prefix.len() > MAX_PREFIX_BYTES {
            return Err(fail(format!("the key prefix is longer than {MAX_PREFIX_BYTES} bytes")));
        }
        if timeout.is_zero() {
            return Err(fail("the timeout must be at least 1 ms".to_owned()));
        }
        let runtime =
            tokio::runtime::Handle::try_current().map_err(|_| fail("not connected from a tokio runtime".to_owned()))?;
        // The URL's own parse error could quote it: say only that it does not read.
        let client = redis::Client::open(url.0.as_str())
            .map_err(|e| fail(format!("the URL does not read as a Redis URL ({:?})", e.kind())))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(2)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(timeout);
        let connection = match tokio::time::timeout(timeout, ConnectionManager::new_with_config(client, config)).await {
            Ok(Ok(connection)) => connection,
            Ok(Err(e)) => return Err(fail(e.to_string())),
            Err(_) => return Err(fail(format!("no connection within {} ms", timeout.as_millis()))),
        };
        let store = Self {
            connection,
            prefix: prefix.into(),
            timeout,
            health: Arc::new(Health { down: AtomicBool::new(false), url: shown.clone() }),
            runtime,
        };
        let mut connection = store.connection.clone();
        match tokio::time::timeout(timeout, redis::cmd("PING").query_async::<String>(&mut connection)).await {
            Ok(Ok(_)) => Ok(store),
            Ok(Err(e)) => Err(fail(e.to_string())),
            Err(_) => Err(fail(format!("no answer to PING within {} ms", timeout.as_millis()))),
        }
    }

    /// Whether Redis answers `PING` within the store's timeout (a
    /// readiness check). A failure, and the first answer after failures,
    /// is said on stderr as for any command.
    pub async fn ping(&self) -> bool {
        self.run(|mut connection| async move { redis::cmd("PING").query_async::<String>(&mut connection).await })
            .await
            .is_some()
    }

    /// The key prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The bound on each command.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The client tokens, in this Redis: a claim waits at most
    /// `abandon_after` behind an identical call in flight, and an in-flight
    /// record older than that is taken as abandoned (answered unknown, never
    /// performed again). Set it above the longest a call may take from its
    /// claim to its settlement: a gateway's request timeout plus the
    /// store's timeout.
    pub fn tokens(&self, abandon_after: Duration) -> RedisTokens {
        RedisTokens { store: self.clone(), abandon_after, claimed: Mutex::new(HashMap::new()) }
    }

    /// The signature nonces, in this Redis.
    pub fn nonces(&self) -> RedisNonces {
        RedisNonces { store: self.clone() }
    }

    /// Runs one command (or transaction) within the timeout, saying on
    /// stderr when Redis stops or starts answering; `None` when it did not
    /// answer.
    async fn run<T, F>(&self, request: impl FnOnce(ConnectionManager) -> F) -> Option<T>
    where
        F: Future<Output = redis::RedisResult<T>>,
    {
        match tokio::time::timeout(self.timeout, request(self.connection.clone())).await {
            Ok(Ok(value)) => {
                self.health.answered();
                Some(value)
            }
            Ok(Err(e)) => {
                self.health.failed(&e);
                None
            }
            Err(_) => {
                self.health.failed(&format_args!("no answer within {} ms", self.timeout.as_millis()));
                None
            }
        }
    }

    /// `SET key value NX PX px`: whether the key was new and is now set,
    /// or `None` when Redis did not answer.
    async fn set_new(&self, key: &str, value: &str, px: i64) -> Option<bool> {
        self.run(|mut connection| async move {
            redis::cmd("SET")
                .arg(key)
                .arg(value)
                .arg("NX")
                .arg("PX")
                .arg(px)
                .query_async::<Option<String>>(&mut connection)
                .await
        })
        .await
        .map(|reply| reply.is_some())
    }

    fn nonce_key(&self, access_key_id: &str, nonce: &str) -> String {
        format!("{}nonce:{}:{access_key_id}:{nonce}", self.prefix, access_key_id.len())
    }

    fn token_key(&self, key: &TokenKey) -> String {
        format!("{}token:{}:{}", self.prefix, key.action, hex::encode(Sha256::digest(key.token.as_bytes())))
    }
}

/// `after` from now, or as late as the clock can say.
fn later(after: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(after).or_else(|| now.checked_add(Duration::from_secs(86_400))).unwrap_or(now)
}

/// Whether the calling task runs on a tokio runtime, which the connection
/// and its timers need.
fn in_runtime() -> bool {
    tokio::runtime::Handle::try_current().is_ok()
}

/// Signature nonces kept in Redis, shared by every gateway that uses the
/// same Redis and prefix (see the [module](self) documentation).
#[derive(Debug, Clone)]
pub struct RedisNonces {
    store: RedisStore,
}

impl RedisNonces {
    /// The key a nonce of `access_key_id` is kept under.
    pub fn key(&self, access_key_id: &str, nonce: &str) -> String {
        self.store.nonce_key(access_key_id, nonce)
    }
}

impl NonceStore for RedisNonces {
    async fn remember(
        &self,
        access_key_id: &str,
        nonce: &str,
        timestamp: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<(), NonceRefusal> {
        let until = timestamp.saturating_add(time::Duration::try_from(MAX_SKEW).unwrap_or(time::Duration::MAX));
        if until < now {
            // The request is outside the window already: its timestamp
            // refuses any replay, so there is nothing to remember.
            return Ok(());
        }
        if !in_runtime() {
            return Err(NonceRefusal::Unavailable);
        }
        let margin = i64::try_from(CLOCK_MARGIN.as_millis()).unwrap_or(i64::MAX);
        let window = i64::try_from((until - now).whole_milliseconds()).unwrap_or(i64::MAX);
        let px = window.saturating_add(margin).max(1);
        let key = self.key(access_key_id, nonce);
        match self.store.set_new(&key, "1", px).await {
            Some(true) => Ok(()),
            Some(false) => Err(NonceRefusal::Used),
            None => Err(NonceRefusal::Unavailable),
        }
    }
}

/// A token's record, as its key's value holds it (JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
enum Record {
    /// A call is being performed with the token.
    InFlight {
        /// The SHA-256 of the call's parameters.
        params: String,
        /// The claim's own random id, so that it knows its record.
        owner: String,
        /// When it was claimed, on the backend's clock.
        since: i64,
    },
    /// The call succeeded: its answer.
    Answered { call: RememberedCall },
    /// The call was abandoned while it was performed.
    Unknown { since: i64 },
}

/// The SHA-256 of a call's parameters, each name and value preceded by its
/// length so that no two sets give one digest.
fn params_digest(params: &BTreeMap<String, String>) -> String {
    let mut hash = Sha256::new();
    for (name, value) in params {
        for part in [name, value] {
            hash.update(u64::try_from(part.len()).unwrap_or(u64::MAX).to_be_bytes());
            hash.update(part.as_bytes());
        }
    }
    hex::encode(hash.finalize())
}

/// A claim this store holds: its key in Redis, its in-flight record as
/// written, and when it was claimed.
#[derive(Debug)]
struct Held {
    key: String,
    record: String,
    since: i64,
}

/// Client tokens kept in Redis, shared by every gateway that uses the same
/// Redis and prefix (see the [module](self) documentation).
#[derive(Debug)]
pub struct RedisTokens {
    store: RedisStore,
    abandon_after: Duration,
    /// The claims this store made and has not settled yet.
    claimed: Mutex<HashMap<TokenKey, Held>>,
}

impl RedisTokens {
    /// The key a token is kept under.
    pub fn key(&self, key: &TokenKey) -> String {
        self.store.token_key(key)
    }

    /// How long a claim waits behind an identical call in flight, and how
    /// old an in-flight record must be to be taken as abandoned.
    pub fn abandon_after(&self) -> Duration {
        self.abandon_after
    }

    /// Writes `remembered` (the answers a world file kept, answered at
    /// `at` on the backend's clock) to Redis, each for what remains of its
    /// day at `now`, never over a record Redis already holds. Returns how
    /// many were written.
    pub async fn remember(&self, remembered: ClientTokens, now: i64) -> Result<usize, StoreError> {
        let mut written = 0;
        for call in remembered.into_calls() {
            let left = CLIENT_TOKEN_TTL_SECONDS.saturating_sub(now.saturating_sub(call.at));
            if left <= 0 {
                continue;
            }
            let key = self.key(&TokenKey { action: call.action.clone(), token: call.token.clone() });
            let record = serde_json::to_string(&Record::Answered { call })
                .map_err(|e| StoreError(format!("a remembered token does not serialize: {e}")))?;
            let px = left.saturating_mul(1000);
            match self.store.set_new(&key, &record, px).await {
                Some(true) => written += 1,
                Some(false) => {}
                None => {
                    return Err(StoreError(format!(
                        "the Redis store at {} did not take the remembered client tokens",
                        self.store.health.url
                    )));
                }
            }
        }
        Ok(written)
    }

    fn held(&self) -> std::sync::MutexGuard<'_, HashMap<TokenKey, Held>> {
        // Nothing that runs under the lock can panic.
        self.claimed.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Writes a settlement (or a release, `record` empty) in a task of its
    /// own, retried until `abandon_after` has passed.
    fn write_settlement(&self, held: Held, record: String) {
        let store = self.store.clone();
        let deadline = later(self.abandon_after);
        let px = TOKEN_TTL_MS;
        self.store.runtime.spawn(async move {
            let mut pause = LONGEST_POLL;
            loop {
                let (key, expected, record) = (held.key.clone(), held.record.clone(), record.clone());
                let written = store
                    .run(|mut connection| async move {
                        redis::cmd("EVAL")
                            .arg(SETTLE)
                            .arg(1)
                            .arg(&key)
                            .arg(&expected)
                            .arg(&record)
                            .arg(px)
                            .query_async::<i64>(&mut connection)
                            .await
                    })
                    .await;
                if written.is_some() || later(pause) > deadline {
                    return;
                }
                tokio::time::sleep(pause).await;
                pause = pause.saturating_mul(2).min(Duration::from_secs(1));
            }
        });
    }
}

/// A claim's transaction whose reply has not been read: dropped armed, it
/// takes the claim back (a compare-and-delete of its own record).
struct Pending<'a> {
    tokens: &'a RedisTokens,
    held: Option<Held>,
}

impl Pending<'_> {
    fn disarm(mut self) -> Option<Held> {
        self.held.take()
    }
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        if let Some(held) = self.held.take() {
            self.tokens.write_settlement(held, String::new());
        }
    }
}

impl ClientTokenStore for RedisTokens {
    async fn claim(&self, key: &TokenKey, params: &BTreeMap<String, String>, now: i64) -> Claim {
        if !in_runtime() {
            return Claim::Unavailable;
        }
        let digest = params_digest(params);
        let redis_key = self.key(key);
        let mine = Record::InFlight { params: digest.clone(), owner: uuid::Uuid::new_v4().to_string(), since: now };
        let Ok(mine) = serde_json::to_string(&mine) else { return Claim::Unavailable };
        let deadline = later(self.abandon_after);
        let abandon_ms = i64::try_from(self.abandon_after.as_millis()).unwrap_or(i64::MAX);
        let mut pause = FIRST_POLL;
        loop {
            let (k, m) = (redis_key.clone(), mine.clone());
            // Until its reply is read, the transaction may have claimed the
            // key: dropped (the call cancelled) or failed by then, the
            // claim is taken back, since nothing was performed with it.
            let pending =
                Pending { tokens: self, held: Some(Held { key: redis_key.clone(), record: mine.clone(), since: now }) };
            let reply = self
                .store
                .run(|mut connection| async move {
                    redis::pipe()
                        .atomic()
                        .cmd("SET")
                        .arg(&k)
                        .arg(&m)
                        .arg("NX")
                        .arg("PX")
                        .arg(TOKEN_TTL_MS)
                        .cmd("GET")
                        .arg(&k)
                        .cmd("PTTL")
                        .arg(&k)
                        .query_async::<(Option<String>, Option<String>, i64)>(&mut connection)
                        .await
                })
                .await;
            let Some((set, current, pttl)) = reply else {
                drop(pending);
                return Claim::Unavailable;
            };
            if set.is_some() || current.as_deref() == Some(mine.as_str()) {
                if let Some(held) = pending.disarm() {
                    self.held().insert(key.clone(), held);
                }
                return Claim::Fresh;
            }
            // Another claim holds the key: there is nothing of ours to take back.
            pending.disarm();
            match current.as_deref().map(serde_json::from_str::<Record>) {
                // Gone between the commands of one transaction cannot
                // happen; try again, within the deadline.
                None => {}
                Some(Err(_)) => {
                    self.store.health.failed(&format_args!("the record of a client token does not read: {redis_key}"));
                    return Claim::Unavailable;
                }
                Some(Ok(Record::Answered { call })) => return Claim::Answered(call),
                Some(Ok(Record::Unknown { .. })) => return Claim::Unknown,
                Some(Ok(Record::InFlight { params, .. })) if params != digest => return Claim::Mismatch,
                Some(Ok(Record::InFlight { .. })) => {
                    // A record without a TTL (-1) was not written by a
                    // gateway: its age is unknown, so it is taken as
                    // abandoned.
                    let age = if pttl < 0 { i64::MAX } else { TOKEN_TTL_MS.saturating_sub(pttl) };
                    if age >= abandon_ms {
                        return Claim::Unknown;
                    }
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Claim::Unknown;
            }
            tokio::time::sleep(pause.min(left)).await;
            pause = pause.saturating_mul(2).min(LONGEST_POLL);
        }
    }

    fn settle(&self, key: &TokenKey, settlement: Settlement) {
        let Some(held) = self.held().remove(key) else { return };
        let record = match settlement {
            Settlement::Answered(call) => serde_json::to_string(&Record::Answered { call }),
            Settlement::Unknown => serde_json::to_string(&Record::Unknown { since: held.since }),
            Settlement::Released => Ok(String::new()),
        };
        // A record that does not serialize cannot be written: the claim
        // stays in flight and is answered unknown once old enough.
        if let Ok(record) = record {
            self.write_settlement(held, record);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_is_shown_without_its_password() {
        let url = RedisUrl::new("redis://default:s3cret@10.0.0.5:6380/2");
        assert_eq!(url.redacted(), "redis://***@10.0.0.5:6380/2");
        assert!(!format!("{url:?} {url}").contains("s3cret"));
        assert_eq!(RedisUrl::new("redis://:p@h/0").redacted(), "redis://***@h/0");
        assert_eq!(RedisUrl::new("redis://127.0.0.1:6379/0").redacted(), "redis://127.0.0.1:6379/0");
        assert_eq!(RedisUrl::new("redis+unix:///run/redis.sock").redacted(), "redis+unix:///run/redis.sock");
        assert!(!RedisUrl::new("p@ss").redacted().contains("p@ss"));
    }

    #[test]
    fn parameter_digests_tell_every_set_apart() {
        let one = |pairs: &[(&str, &str)]| {
            params_digest(&pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect())
        };
        assert_ne!(one(&[("ab", "c")]), one(&[("a", "bc")]));
        assert_ne!(one(&[("a", "b"), ("c", "d")]), one(&[("a", "bc"), ("", "d")]));
        assert_eq!(one(&[("a", "b")]), one(&[("a", "b")]));
    }
}
