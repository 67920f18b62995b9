//! Where the guard keeps `ClientToken`s: which calls were made with which
//! token, and the answer each was given, so that a call repeated with the
//! same token is answered again instead of performed again.
//!
//! The guard claims a token before it calls the backend. A claim is
//! [`Claim::Fresh`] for exactly one caller; every other caller with the same
//! action and token waits until that call is settled, then gets its answer
//! ([`Claim::Answered`]). So under any concurrency a call with a client
//! token is performed at most once while it is remembered.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::future::Future;
use std::sync::{Mutex, MutexGuard, PoisonError};

use event_listener::Event;

use super::guard::{CLIENT_TOKEN_TTL_SECONDS, ClientTokens, RememberedCall};

/// The action and token a call was made with: calls to different actions
/// may use the same token.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TokenKey {
    /// The RAM action (`vpc:DeleteIpsecServer`).
    pub action: String,
    /// The `ClientToken`.
    pub token: String,
}

/// What a store says to a caller that wants to use a client token.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// The token is the caller's: it performs the call and then settles the
    /// token with [`ClientTokenStore::settle`].
    Fresh,
    /// The token was used before (perhaps by a call that was in flight when
    /// this one arrived and has since been settled): its first answer.
    Answered(RememberedCall),
    /// A call with this token is in flight with other parameters.
    Mismatch,
    /// A call with this token was started and abandoned while the backend
    /// was performing it, so whether it took effect is unknown.
    Unknown,
    /// The store is full of tokens still remembered, and refuses new ones
    /// rather than forget one early.
    Full,
    /// The store could not answer (it is kept elsewhere and is unreachable,
    /// or too slow): nothing is known of the token, so the call must not be
    /// performed. The guard answers `ServiceUnavailable` (503), and a retry
    /// with the same token is safe.
    Unavailable,
}

/// How a claimed token is settled.
#[derive(Debug, Clone, PartialEq)]
pub enum Settlement {
    /// The call was performed and succeeded: remember its answer.
    Answered(RememberedCall),
    /// The call was not performed, or failed: the token is free again.
    Released,
    /// The call was abandoned while the backend performed it.
    Unknown,
}

/// Where client tokens are kept. An implementation must make [`claim`]
/// return [`Claim::Fresh`] to at most one caller per key until that key is
/// settled, and must not forget an answered key for
/// [`CLIENT_TOKEN_TTL_SECONDS`]. A store kept in another process answers
/// [`Claim::Unavailable`] when it cannot tell, never [`Claim::Fresh`].
///
/// [`claim`]: ClientTokenStore::claim
pub trait ClientTokenStore: Send + Sync {
    /// Claims `key` for a call with `params` at `now` (seconds on the
    /// backend's clock), waiting while another call holds it with the same
    /// parameters.
    fn claim(&self, key: &TokenKey, params: &BTreeMap<String, String>, now: i64) -> impl Future<Output = Claim> + Send;

    /// Settles a key claimed with [`Claim::Fresh`], waking its waiters. It
    /// is called from `Drop` when a call is cancelled, so it must not block
    /// for long.
    fn settle(&self, key: &TokenKey, settlement: Settlement);
}

/// The default most tokens a [`MemoryTokens`] remembers.
pub const DEFAULT_TOKEN_CAPACITY: usize = 100_000;

/// A client-token store in memory, shared by every call through the guard.
///
/// It forgets an answered token [`CLIENT_TOKEN_TTL_SECONDS`] after its call,
/// and holds at most a fixed number of tokens (answered, in flight or
/// unknown); when that many are remembered, a call with a new token is
/// refused ([`Claim::Full`]) until old ones expire.
#[derive(Debug)]
pub struct MemoryTokens {
    state: Mutex<State>,
    settled: Event,
    capacity: usize,
}

#[derive(Debug, Default)]
struct State {
    entries: HashMap<TokenKey, Entry>,
    /// The settled keys in the order they were settled, with the time
    /// their call was made, for expiry.
    order: VecDeque<(i64, TokenKey)>,
}

#[derive(Debug, Clone)]
enum Entry {
    InFlight { params: BTreeMap<String, String>, since: i64 },
    Answered(RememberedCall),
    Unknown { since: i64 },
}

impl Entry {
    fn since(&self) -> i64 {
        match self {
            Entry::InFlight { since, .. } | Entry::Unknown { since } => *since,
            Entry::Answered(call) => call.at,
        }
    }
}

fn live(at: i64, now: i64) -> bool {
    now.saturating_sub(at) < CLIENT_TOKEN_TTL_SECONDS
}

impl State {
    /// Forgets the settled keys whose day has passed. `order` holds one item
    /// per settled key, in the order they were settled; an item whose key
    /// was forgotten or claimed again since is skipped.
    fn expire(&mut self, now: i64) {
        while let Some((at, _)) = self.order.front() {
            if live(*at, now) {
                break;
            }
            let Some((at, key)) = self.order.pop_front() else { break };
            if self.entries.get(&key).is_some_and(|e| !matches!(e, Entry::InFlight { .. }) && e.since() == at) {
                self.entries.remove(&key);
            }
        }
    }
}

impl Default for MemoryTokens {
    fn default() -> Self {
        Self::with_capacity(DEFAULT_TOKEN_CAPACITY)
    }
}

impl MemoryTokens {
    /// An empty store that remembers at most `capacity` tokens.
    pub fn with_capacity(capacity: usize) -> Self {
        Self { state: Mutex::new(State::default()), settled: Event::new(), capacity }
    }

    /// A store that starts with `remembered` (the answers a world file
    /// kept), with the default capacity.
    pub fn from_remembered(remembered: ClientTokens) -> Self {
        let store = Self::default();
        store.remember(remembered);
        store
    }

    /// Adds `remembered` (the answers a world file kept) to the store, each
    /// under its action and token.
    pub fn remember(&self, remembered: ClientTokens) {
        let mut state = self.lock();
        let mut calls = remembered.into_calls();
        calls.sort_by_key(|c| c.at);
        for call in calls {
            let key = TokenKey { action: call.action.clone(), token: call.token.clone() };
            state.order.push_back((call.at, key.clone()));
            state.entries.insert(key, Entry::Answered(call));
        }
    }

    /// The answered tokens, oldest first, as a world file keeps them.
    pub fn remembered(&self) -> ClientTokens {
        let state = self.lock();
        let mut calls: Vec<RememberedCall> = state
            .entries
            .values()
            .filter_map(|e| match e {
                Entry::Answered(call) => Some(call.clone()),
                _ => None,
            })
            .collect();
        calls.sort_by(|a, b| (a.at, &a.action, &a.token).cmp(&(b.at, &b.action, &b.token)));
        ClientTokens::from_calls(calls)
    }

    /// How many tokens are remembered (answered, in flight or unknown).
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether no token is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere while the lock was held leaves the map as it
        // was between two whole operations; keep serving it.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<T: ClientTokenStore> ClientTokenStore for std::sync::Arc<T> {
    fn claim(&self, key: &TokenKey, params: &BTreeMap<String, String>, now: i64) -> impl Future<Output = Claim> + Send {
        (**self).claim(key, params, now)
    }

    fn settle(&self, key: &TokenKey, settlement: Settlement) {
        (**self).settle(key, settlement);
    }
}

impl ClientTokenStore for MemoryTokens {
    async fn claim(&self, key: &TokenKey, params: &BTreeMap<String, String>, now: i64) -> Claim {
        loop {
            let listener = {
                let mut state = self.lock();
                state.expire(now);
                if state.entries.get(key).is_some_and(|e| !matches!(e, Entry::InFlight { .. }) && !live(e.since(), now))
                {
                    state.entries.remove(key);
                }
                match state.entries.get(key) {
                    None => {
                        if state.entries.len() >= self.capacity {
                            return Claim::Full;
                        }
                        state.entries.insert(key.clone(), Entry::InFlight { params: params.clone(), since: now });
                        return Claim::Fresh;
                    }
                    Some(Entry::Answered(call)) => return Claim::Answered(call.clone()),
                    Some(Entry::Unknown { .. }) => return Claim::Unknown,
                    Some(Entry::InFlight { params: first, .. }) if first != params => return Claim::Mismatch,
                    // Listen before the lock is let go, so that a settlement
                    // between here and the wait is not missed.
                    Some(Entry::InFlight { .. }) => self.settled.listen(),
                }
            };
            listener.await;
        }
    }

    fn settle(&self, key: &TokenKey, settlement: Settlement) {
        {
            let mut state = self.lock();
            let since = match state.entries.get(key) {
                Some(Entry::InFlight { since, .. }) => *since,
                _ => return,
            };
            let entry = match settlement {
                Settlement::Answered(call) => Some(Entry::Answered(call)),
                Settlement::Unknown => Some(Entry::Unknown { since }),
                Settlement::Released => None,
            };
            match entry {
                Some(entry) => {
                    state.order.push_back((entry.since(), key.clone()));
                    state.entries.insert(key.clone(), entry);
                }
                None => {
                    state.entries.remove(key);
                }
            }
        }
        self.settled.notify(usize::MAX);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(token: &str) -> TokenKey {
        TokenKey { action: "vpc:DeleteIpsecServer".into(), token: token.into() }
    }

    fn answered(token: &str, at: i64) -> RememberedCall {
        RememberedCall {
            action: "vpc:DeleteIpsecServer".into(),
            token: token.into(),
            params: BTreeMap::new(),
            at,
            status: 200,
            body: serde_json::json!({"RequestId": "r"}),
        }
    }

    #[test]
    fn an_answer_is_kept_for_a_day_then_forgotten() {
        let store = MemoryTokens::default();
        let params = BTreeMap::new();
        assert_eq!(pollster::block_on(store.claim(&key("t"), &params, 100)), Claim::Fresh);
        store.settle(&key("t"), Settlement::Answered(answered("t", 100)));
        let again = pollster::block_on(store.claim(&key("t"), &params, 100 + CLIENT_TOKEN_TTL_SECONDS - 1));
        assert_eq!(again, Claim::Answered(answered("t", 100)));
        assert_eq!(pollster::block_on(store.claim(&key("t"), &params, 100 + CLIENT_TOKEN_TTL_SECONDS)), Claim::Fresh);
    }

    #[test]
    fn a_released_token_is_free_and_an_unknown_one_stays_unknown() {
        let store = MemoryTokens::default();
        let params = BTreeMap::new();
        assert_eq!(pollster::block_on(store.claim(&key("a"), &params, 0)), Claim::Fresh);
        store.settle(&key("a"), Settlement::Released);
        assert!(store.is_empty());
        assert_eq!(pollster::block_on(store.claim(&key("a"), &params, 0)), Claim::Fresh);
        store.settle(&key("a"), Settlement::Unknown);
        assert_eq!(pollster::block_on(store.claim(&key("a"), &params, 1)), Claim::Unknown);
        assert_eq!(pollster::block_on(store.claim(&key("a"), &params, CLIENT_TOKEN_TTL_SECONDS)), Claim::Fresh);
    }

    #[test]
    fn a_full_store_refuses_new_tokens_until_old_ones_expire() {
        let store = MemoryTokens::with_capacity(2);
        let params = BTreeMap::new();
        for (i, token) in ["a", "b"].into_iter().enumerate() {
            let at = i64::try_from(i).unwrap();
            assert_eq!(pollster::block_on(store.claim(&key(token), &params, at)), Claim::Fresh);
            store.settle(&key(token), Settlement::Answered(answered(token, at)));
        }
        assert_eq!(pollster::block_on(store.claim(&key("c"), &params, 5)), Claim::Full);
        // The answered ones are still there, not pushed out.
        assert!(matches!(pollster::block_on(store.claim(&key("a"), &params, 5)), Claim::Answered(_)));
        assert_eq!(pollster::block_on(store.claim(&key("c"), &params, CLIENT_TOKEN_TTL_SECONDS)), Claim::Fresh);
        assert_eq!(store.len(), 2, "a expired; b (at 1) and c remain");
    }

    #[test]
    fn in_flight_with_other_parameters_is_a_mismatch() {
        let store = MemoryTokens::default();
        let one = BTreeMap::from([("IpsecServerId".to_owned(), "iss-1".to_owned())]);
        let two = BTreeMap::from([("IpsecServerId".to_owned(), "iss-2".to_owned())]);
        assert_eq!(pollster::block_on(store.claim(&key("t"), &one, 0)), Claim::Fresh);
        assert_eq!(pollster::block_on(store.claim(&key("t"), &two, 0)), Claim::Mismatch);
    }

    #[test]
    fn waiters_get_the_first_answer() {
        let store = std::sync::Arc::new(MemoryTokens::default());
        let params = BTreeMap::new();
        assert_eq!(pollster::block_on(store.claim(&key("t"), &params, 0)), Claim::Fresh);
        let waiters: Vec<_> = (0..8)
            .map(|_| {
                let store = store.clone();
                std::thread::spawn(move || pollster::block_on(store.claim(&key("t"), &BTreeMap::new(), 0)))
            })
            .collect();
        std::thread::sleep(std::time::Duration::from_millis(50));
        store.settle(&key("t"), Settlement::Answered(answered("t", 0)));
        for waiter in waiters {
            assert_eq!(waiter.join().unwrap(), Claim::Answered(answered("t", 0)));
        }
    }

    #[test]
    fn remembered_tokens_round_trip() {
        let kept = ClientTokens::from_calls(vec![answered("a", 1), answered("b", 2)]);
        let store = MemoryTokens::from_remembered(kept.clone());
        assert_eq!(store.remembered(), kept);
    }
}
