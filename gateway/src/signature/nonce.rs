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

use sha2::{Digest, Sha256};
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
/// clients whose clocks run ahead. An entry is a 128-bit digest of its
/// AccessKeyId and nonce, whatever their length: well under 100 bytes in
/// all.
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

/// A remembered (AccessKeyId, nonce): the first 128 bits of the SHA-256 of
/// the AccessKeyId's length (8 bytes, little-endian), the AccessKeyId and
/// the nonce. The length makes the bytes hashed tell every pair apart, and
/// two pairs share a key only by a collision of SHA-256 in 128 bits (about
/// one chance in 2^69 among a billion entries), which would refuse a fresh
/// nonce, never accept a replay: a replay has the very same key.
type Key = [u8; 16];

fn key(access_key_id: &str, nonce: &str) -> Key {
    let length = u64::try_from(access_key_id.len()).unwrap_or(u64::MAX);
    let digest =
        Sha256::new().chain_update(length.to_le_bytes()).chain_update(access_key_id).chain_update(nonce).finalize();
    digest.first_chunk().copied().unwrap_or_default()
}

#[derive(Debug, Default)]
struct Entries {
    /// Every remembered (AccessKeyId, nonce).
    seen: HashSet<Key>,
    /// The same, by the second after which each may be forgotten.
    by_expiry: BTreeMap<i64, Vec<Key>>,
}

impl Entries {
    fn forget_expired(&mut self, now: i64) {
        while let Some(oldest) = self.by_expiry.first_entry() {
            if *oldest.key() >= now {
                break;
            }
            for key in oldest.remove() {
                self.seen.remove(&key);
            }
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
        let key = key(access_key_id, nonce);
        let mut entries = self.lock();
        entries.forget_expired(now);
        if expires < now {
            // The request is outside the window already: its timestamp
            // refuses any replay, so there is nothing to remember.
            return Ok(());
        }
        if entries.seen.len() >= self.capacity {
            if entries.seen.contains(&key) {
                return Err(NonceRefusal::Used);
            }
            let oldest = entries.by_expiry.first_key_value().map_or(expires, |(&at, _)| at);
            let wait = oldest.saturating_sub(now).saturating_add(1).max(1);
            return Err(NonceRefusal::Full { retry_after: Duration::from_secs(u64::try_from(wait).unwrap_or(1)) });
        }
        if !entries.seen.insert(key) {
            return Err(NonceRefusal::Used);
        }
        entries.by_expiry.entry(expires).or_default().push(key);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remember(
        store: &MemoryNonceStore,
        id: &str,
        nonce: &str,
        timestamp: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<(), NonceRefusal> {
        pollster::block_on(NonceStore::remember(store, id, nonce, timestamp, now))
    }

    fn at(seconds: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_795_350_036 + seconds).unwrap()
    }

    #[test]
    fn keys_tell_every_pair_apart() {
        assert_eq!(key("LTAI5t", "n1"), key("LTAI5t", "n1"));
        assert_ne!(key("LTAI5t", "n1"), key("LTAI5t", "n2"));
        assert_ne!(key("LTAI5t", "n1"), key("LTAI5u", "n1"));
        // The same bytes, split differently.
        assert_ne!(key("ab", "c"), key("a", "bc"));
        assert_ne!(key("a", ""), key("", "a"));
    }

    #[test]
    fn refuses_a_replay_but_not_the_nonce_under_another_access_key_id() {
        let store = MemoryNonceStore::new(10);
        assert_eq!(remember(&store, "LTAI5tOne", "n", at(0), at(0)), Ok(()));
        assert_eq!(remember(&store, "LTAI5tOne", "n", at(0), at(1)), Err(NonceRefusal::Used));
        assert_eq!(remember(&store, "LTAI5tTwo", "n", at(0), at(1)), Ok(()));
        assert_eq!(remember(&store, "LTAI5tOn", "en", at(0), at(1)), Ok(()));
        assert_eq!(store.len(), 3);
    }

    #[test]
    fn forgets_a_nonce_once_its_request_leaves_the_window() {
        let store = MemoryNonceStore::new(10);
        for nonce in ["a", "b", "c"] {
            assert_eq!(remember(&store, "LTAI5t", nonce, at(0), at(0)), Ok(()));
        }
        assert_eq!(remember(&store, "LTAI5t", "d", at(5), at(5)), Ok(()));
        // 15 minutes on, the requests of the first second are still in the window.
        assert_eq!(remember(&store, "LTAI5t", "a", at(0), at(900)), Err(NonceRefusal::Used));
        // A second later they are not, and are forgotten together.
        assert_eq!(remember(&store, "LTAI5t", "e", at(901), at(901)), Ok(()));
        assert_eq!(store.len(), 2);
        assert_eq!(remember(&store, "LTAI5t", "d", at(5), at(901)), Err(NonceRefusal::Used));
        assert_eq!(remember(&store, "LTAI5t", "a", at(901), at(901)), Ok(()));
        // A request already outside the window leaves nothing to remember.
        assert_eq!(remember(&store, "LTAI5t", "f", at(0), at(901)), Ok(()));
        assert_eq!(store.len(), 3);
    }

    #[test]
    fn a_full_store_refuses_until_its_oldest_nonce_leaves_the_window() {
        let store = MemoryNonceStore::new(2);
        assert_eq!(remember(&store, "LTAI5t", "a", at(10), at(0)), Ok(()));
        assert_eq!(remember(&store, "LTAI5t", "b", at(-10), at(0)), Ok(()));
        // The oldest, b, may be forgotten 890 seconds on: room a second later.
        assert_eq!(
            remember(&store, "LTAI5t", "c", at(0), at(0)),
            Err(NonceRefusal::Full { retry_after: Duration::from_secs(891) })
        );
        // A replay is a replay, full or not.
        assert_eq!(remember(&store, "LTAI5t", "a", at(10), at(0)), Err(NonceRefusal::Used));
        assert_eq!(remember(&store, "LTAI5t", "c", at(0), at(891)), Ok(()));
        // Now c is the oldest: it may be forgotten at 900.
        assert_eq!(
            remember(&store, "LTAI5t", "b", at(0), at(891)),
            Err(NonceRefusal::Full { retry_after: Duration::from_secs(10) })
        );
    }
}
