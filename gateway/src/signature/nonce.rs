//! Remembering nonces, so that a signed request is accepted once.
//!
//! A request is accepted while its timestamp is within
//! [`MAX_SKEW`](super::MAX_SKEW) of the clock, so a nonce has to be
//! remembered until its request's timestamp leaves that window: after that a
//! replay fails on its timestamp (`InvalidTimeStamp.Expired`) and the nonce
//! can be forgotten. [`MemoryNonceStore`] does exactly that, within a fixed
//! number of nonces.

use std::collections::{BTreeMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use time::OffsetDateTime;

use super::MAX_SKEW;

/// Why a nonce was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceRefusal {
    /// This AccessKeyId used this nonce within the window.
    Used,
    /// The store holds as many nonces as it may, all still within their
    /// window; room frees up after `retry_after`.
    Full {
        /// When the oldest remembered nonce leaves its window.
        retry_after: Duration,
    },
    /// The store could not answer (it is kept elsewhere and is unreachable,
    /// or too slow), so whether the nonce was used is unknown: the request
    /// is refused, never let through unchecked.
    Unavailable,
}

/// Nonces seen per AccessKeyId.
///
/// [`Verifier`](super::Verifier) calls it only for a request whose
/// signature, credential and timestamp have been verified, so only a holder
/// of the secret can use up nonces or room, and only with a timestamp within
/// the window of `now`.
///
/// It is asynchronous so that the nonces can be kept in another process,
/// shared by several gateways (`store::RedisNonces`); [`MemoryNonceStore`]
/// answers at once.
pub trait NonceStore {
    /// Accepts and remembers `nonce` for `access_key_id` unless it was
    /// remembered before, atomically: of two calls with the same pair, one
    /// succeeds. `timestamp` is the request's, `now` the clock's; a store
    /// must remember the nonce at least until `timestamp` is more than
    /// [`MAX_SKEW`](super::MAX_SKEW) before `now`. A store that cannot tell
    /// answers [`NonceRefusal::Unavailable`], never `Ok`.
    fn remember(
        &self,
        access_key_id: &str,
        nonce: &str,
        timestamp: OffsetDateTime,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<(), NonceRefusal>> + Send;
}

impl<T: NonceStore + ?Sized> NonceStore for &T {
    fn remember(
        &self,
        id: &str,
        nonce: &str,
        timestamp: OffsetDateTime,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<(), NonceRefusal>> + Send {
        (**self).remember(id, nonce, timestamp, now)
    }
}

impl<T: NonceStore + ?Sized> NonceStore for Arc<T> {
    fn remember(
        &self,
        id: &str,
        nonce: &str,
        timestamp: OffsetDateTime,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<(), NonceRefusal>> + Send {
        (**self).remember(id, nonce, timestamp, now)
    }
}

/// Nonces in memory, for one gateway process, shared by its threads.
///
/// Each nonce is kept until its request's timestamp is more than
/// [`MAX_SKEW`](super::MAX_SKEW) before the clock (at most 30 minutes, for a
/// timestamp 15 minutes ahead), and never more than `capacity` at once.
///
/// **Decision: a full store fails closed.** When `capacity` nonces are all
/// still within their window, a new request is refused with
/// `ServiceUnavailable` (HTTP 503, retryable) instead of forgetting one,
/// since a forgotten nonce could be replayed. Size `capacity` at the peak
/// rate of accepted requests per second times 900 (the window), doubled for
/// clients whose clocks run ahead; an entry holds its AccessKeyId and nonce
/// twice (at most 128 bytes of nonce by default, see
/// [`Limits`](super::Limits)), a few hundred bytes in all.
///
/// ```
/// use std::time::Duration;
/// use ramguard_gateway::signature::{MemoryNonceStore, NonceRefusal, NonceStore};
/// use time::OffsetDateTime;
///
/// use pollster::block_on;
///
/// let store = MemoryNonceStore::new(1);
/// let t = OffsetDateTime::from_unix_timestamp(1_795_350_036)?;
/// assert_eq!(block_on(store.remember("LTAI5t", "n1", t, t)), Ok(()));
/// assert_eq!(block_on(store.remember("LTAI5t", "n1", t, t)), Err(NonceRefusal::Used));
/// assert_eq!(
///     block_on(store.remember("LTAI5t", "n2", t, t)),
///     Err(NonceRefusal::Full { retry_after: Duration::from_secs(901) })
/// );
/// // 15 minutes and 1 second on, n1's request would be expired: room again.
/// let later = t + Duration::from_secs(901);
/// assert_eq!(block_on(store.remember("LTAI5t", "n2", later, later)), Ok(()));
/// # Ok::<(), time::error::ComponentRange>(())
/// ```
#[derive(Debug)]
pub struct MemoryNonceStore {
    capacity: usize,
    entries: Mutex<Entries>,
}

#[derive(Debug, Default)]
struct Entries {
    /// Every remembered (AccessKeyId, nonce).
    seen: HashSet<(String, String)>,
    /// The same, by the second after which each may be forgotten (with a
    /// sequence number to keep equal seconds apart).
    by_expiry: BTreeMap<(i64, u64), (String, String)>,
    next: u64,
}

impl Entries {
    fn forget_expired(&mut self, now: i64) {
        while let Some(oldest) = self.by_expiry.first_entry() {
            if oldest.key().0 >= now {
                break;
            }
            let key = oldest.remove();
            self.seen.remove(&key);
        }
    }
}

impl MemoryNonceStore {
    /// A store that remembers at most `capacity` nonces at once.
    pub fn new(capacity: usize) -> Self {
        Self { capacity, entries: Mutex::new(Entries::default()) }
    }

    /// The most nonces remembered at once.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// How many nonces are remembered now (including some already out of
    /// their window, forgotten on the next call to `remember`).
    pub fn len(&self) -> usize {
        self.lock().seen.len()
    }

    /// Whether no nonce is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // Nothing that runs under the lock can panic, so a poisoned lock
        // (a panic elsewhere in the holding thread) left the sets consistent.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn window_seconds() -> i64 {
    i64::try_from(MAX_SKEW.as_secs()).unwrap_or(i64::MAX)
}

impl NonceStore for MemoryNonceStore {
    /// Answers at once: the future is ready.
    fn remember(
        &self,
        access_key_id: &str,
        nonce: &str,
        timestamp: OffsetDateTime,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<(), NonceRefusal>> + Send {
        std::future::ready(self.remember_at_once(access_key_id, nonce, timestamp, now))
    }
}

impl MemoryNonceStore {
    fn remember_at_once(
        &self,
        access_key_id: &str,
        nonce: &str,
        timestamp: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<(), NonceRefusal> {
        let now = now.unix_timestamp();
        let expires = timestamp.unix_timestamp().saturating_add(window_seconds());
        let mut entries = self.lock();
        entries.forget_expired(now);
        if expires < now {
            // The request is outside the window already: its timestamp
            // refuses any replay, so there is nothing to remember.
            return Ok(());
        }
        let key = (access_key_id.to_owned(), nonce.to_owned());
        if entries.seen.contains(&key) {
            return Err(NonceRefusal::Used);
        }
        if entries.seen.len() >= self.capacity {
            let oldest = entries.by_expiry.first_key_value().map_or(expires, |(&(at, _), _)| at);
            let wait = oldest.saturating_sub(now).saturating_add(1).max(1);
            return Err(NonceRefusal::Full { retry_after: Duration::from_secs(u64::try_from(wait).unwrap_or(1)) });
        }
        let sequence = entries.next;
        entries.next = sequence.wrapping_add(1);
        entries.seen.insert(key.clone());
        entries.by_expiry.insert((expires, sequence), key);
        Ok(())
    }
}
