//! The Redis stores against a real `redis-server` of the test's own: two
//! store instances, each with its own connection, stand for two gateway
//! replicas sharing one Redis.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests unwrap and index what they just built, and fail by panicking"
)]

#[path = "../../tests/common/redis.rs"]
mod redis_server;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use ramguard::catalog::{Caller, Catalog, Operation};
use ramguard::guard::{
    ApiResponse, Backend, CLIENT_TOKEN_TTL_SECONDS, Claim, ClientTokenStore, ClientTokens, Guard, RememberedCall,
    Settlement, TokenKey,
};
use ramguard::{Policy, PolicyKind, PolicySetBuilder};
use ramguard_gateway::signature::{NonceRefusal, NonceStore, parse_timestamp};
use ramguard_gateway::store::{RedisStore, RedisUrl};
use redis_server::RedisServer;
use time::OffsetDateTime;

const TIMEOUT: Duration = Duration::from_millis(500);

async fn connect(server: &RedisServer) -> RedisStore {
    RedisStore::connect(&RedisUrl::new(server.url()), "test:", TIMEOUT).await.unwrap()
}

fn key(token: &str) -> TokenKey {
    TokenKey { action: "vpc:DeleteIpsecServer".into(), token: token.into() }
}

fn params(server: &str) -> BTreeMap<String, String> {
    BTreeMap::from([("IpsecServerId".to_owned(), server.to_owned()), ("RegionId".to_owned(), "cn-hangzhou".to_owned())])
}

fn answer(token: &str, params: BTreeMap<String, String>) -> RememberedCall {
    RememberedCall {
        action: "vpc:DeleteIpsecServer".into(),
        token: token.into(),
        params,
        at: 1_796_219_400,
        status: 200,
        body: serde_json::json!({"RequestId": "4EC0-FIRST"}),
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build().unwrap()
}

/// Polls `done` every 20 ms, up to 10 s; whether it came true.
async fn eventually(mut done: impl AsyncFnMut() -> bool) -> bool {
    for _ in 0..500 {
        if done().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

#[test]
fn of_many_claims_through_two_replicas_one_is_fresh_and_the_others_get_its_answer() {
    let server = RedisServer::start();
    runtime().block_on(async {
        let (a, b) = (connect(&server).await, connect(&server).await);
        let stores = [Arc::new(a.tokens(Duration::from_secs(10))), Arc::new(b.tokens(Duration::from_secs(10)))];
        let first = answer("t-many", params("iss-1"));
        let start = Arc::new(tokio::sync::Barrier::new(32));
        let tasks: Vec<_> = (0..32)
            .map(|i| {
                let (store, start, first) = (stores[i % 2].clone(), start.clone(), first.clone());
                tokio::spawn(async move {
                    start.wait().await;
                    let claim = store.claim(&key("t-many"), &params("iss-1"), 1_796_219_400).await;
                    if claim == Claim::Fresh {
                        // Hold the token a while, as a call being performed would.
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        store.settle(&key("t-many"), Settlement::Answered(first));
                    }
                    claim
                })
            })
            .collect();
        let mut claims = Vec::new();
        for task in tasks {
            claims.push(task.await.unwrap());
        }
        assert_eq!(claims.iter().filter(|c| **c == Claim::Fresh).count(), 1, "{claims:?}");
        assert!(
            claims.iter().all(|c| *c == Claim::Fresh || *c == Claim::Answered(first.clone())),
            "every other caller gets the first answer: {claims:?}"
        );
        // And later callers, through either replica, too.
        for store in &stores {
            assert_eq!(
                store.claim(&key("t-many"), &params("iss-1"), 1_796_219_500).await,
                Claim::Answered(first.clone())
            );
        }
    });
}

#[test]
fn a_token_in_flight_with_other_parameters_is_a_mismatch_and_its_answer_keeps_the_first_parameters() {
    let server = RedisServer::start();
    runtime().block_on(async {
        let (a, b) = (
            connect(&server).await.tokens(Duration::from_secs(10)),
            connect(&server).await.tokens(Duration::from_secs(10)),
        );
        assert_eq!(a.claim(&key("t-mis"), &params("iss-1"), 0).await, Claim::Fresh);
        assert_eq!(b.claim(&key("t-mis"), &params("iss-2"), 0).await, Claim::Mismatch);
        let first = answer("t-mis", params("iss-1"));
        a.settle(&key("t-mis"), Settlement::Answered(first.clone()));
        // The guard compares the answer's parameters with the call's.
        let later =
            eventually(async || b.claim(&key("t-mis"), &params("iss-2"), 0).await == Claim::Answered(first.clone()))
                .await;
        assert!(later, "the answer with the first call's parameters");
        // Other actions may use the same token.
        let other = TokenKey { action: "vpc:DeleteVpnConnection".into(), token: "t-mis".into() };
        assert_eq!(b.claim(&other, &params("iss-2"), 0).await, Claim::Fresh);
    });
}

#[test]
fn a_released_token_is_free_again_and_an_unknown_one_is_never_performed_again() {
    let server = RedisServer::start();
    runtime().block_on(async {
        let (a, b) = (
            connect(&server).await.tokens(Duration::from_secs(10)),
            connect(&server).await.tokens(Duration::from_secs(10)),
        );
        assert_eq!(a.claim(&key("t-rel"), &params("iss-1"), 0).await, Claim::Fresh);
        a.settle(&key("t-rel"), Settlement::Released);
        assert!(eventually(async || b.claim(&key("t-rel"), &params("iss-1"), 0).await == Claim::Fresh).await);

        assert_eq!(a.claim(&key("t-unk"), &params("iss-1"), 0).await, Claim::Fresh);
        a.settle(&key("t-unk"), Settlement::Unknown);
        assert!(eventually(async || b.claim(&key("t-unk"), &params("iss-1"), 0).await == Claim::Unknown).await);
        assert_eq!(a.claim(&key("t-unk"), &params("iss-1"), 0).await, Claim::Unknown);
    });
}

#[test]
fn a_call_abandoned_by_a_replica_that_stopped_is_answered_unknown_after_the_timeout() {
    let server = RedisServer::start();
    runtime().block_on(async {
        // Replica A claims and stops before it settles.
        let a = connect(&server).await.tokens(Duration::from_secs(10));
        assert_eq!(a.claim(&key("t-dead"), &params("iss-1"), 0).await, Claim::Fresh);
        drop(a);
        // Replica B waits at most its abandon_after, then answers unknown,
        // and so does every claim after it: nothing performs it again.
        let b = connect(&server).await.tokens(Duration::from_millis(300));
        assert_eq!(b.claim(&key("t-dead"), &params("iss-1"), 0).await, Claim::Unknown);
        assert_eq!(b.claim(&key("t-dead"), &params("iss-1"), 0).await, Claim::Unknown);
    });
}

#[test]
fn a_claim_cancelled_before_its_reply_takes_its_record_back() {
    let server = RedisServer::start();
    runtime().block_on(async {
        let (a, b) = (
            connect(&server).await.tokens(Duration::from_secs(10)),
            connect(&server).await.tokens(Duration::from_secs(2)),
        );
        // Redis holds every write for 300 ms: A's claim is sent, and A's
        // call is cancelled (its request timed out, say) before the reply.
        assert!(server.command(&["CLIENT", "PAUSE", "300", "WRITE"]).starts_with("+OK"));
        let cancelled =
            tokio::time::timeout(Duration::from_millis(100), a.claim(&key("t-cut"), &params("iss-1"), 0)).await;
        assert!(cancelled.is_err(), "Redis held the claim: {cancelled:?}");
        // Nothing was performed with it, so the token is free once Redis
        // has run the claim and its taking back: not left in flight to be
        // answered unknown.
        assert_eq!(b.claim(&key("t-cut"), &params("iss-1"), 0).await, Claim::Fresh);
    });
}

#[test]
fn records_expire_by_redis_ttl_a_day_for_tokens_and_the_window_for_nonces() {
    let server = RedisServer::start();
    runtime().block_on(async {
        let store = connect(&server).await;
        let tokens = store.tokens(Duration::from_secs(10));
        assert_eq!(tokens.claim(&key("t-ttl"), &params("iss-1"), 0).await, Claim::Fresh);
        let redis_key = tokens.key(&key("t-ttl"));
        let pttl = |key: &str| server.command(&["PTTL", key]).trim_start_matches(':').trim().parse::<i64>().unwrap();
        let day = CLIENT_TOKEN_TTL_SECONDS * 1000;
        let in_flight = pttl(&redis_key);
        assert!(in_flight > day - 60_000 && in_flight <= day, "{in_flight}");
        tokens.settle(&key("t-ttl"), Settlement::Answered(answer("t-ttl", params("iss-1"))));
        assert!(eventually(async || server.command(&["GET", &redis_key]).contains("answered")).await);
        let answered = pttl(&redis_key);
        assert!(answered > day - 60_000 && answered <= day, "{answered}");

        // A nonce lives until its request leaves the 15-minute window, plus a minute.
        let nonces = store.nonces();
        let t = parse_timestamp("2026-11-22T12:20:36Z").unwrap();
        assert_eq!(nonces.remember("LTAI5tOne", "n-now", t, t).await, Ok(()));
        let now = pttl(&nonces.key("LTAI5tOne", "n-now"));
        assert!(now > 950_000 && now <= 960_000, "15 min + 1 min: {now}");
        let ahead = t + Duration::from_secs(15 * 60);
        assert_eq!(nonces.remember("LTAI5tOne", "n-ahead", ahead, t).await, Ok(()));
        let ahead = pttl(&nonces.key("LTAI5tOne", "n-ahead"));
        assert!(ahead > 1_850_000 && ahead <= 1_860_000, "30 min + 1 min: {ahead}");
        // A request already out of the window leaves nothing behind.
        let stale = t - Duration::from_secs(15 * 60 + 1);
        assert_eq!(nonces.remember("LTAI5tOne", "n-stale", stale, t).await, Ok(()));
        assert_eq!(pttl(&nonces.key("LTAI5tOne", "n-stale")), -2, "no such key");

        // Redis forgets a key when its TTL runs out: so is a token free again.
        server.command(&["PEXPIRE", &redis_key, "50"]);
        assert!(eventually(async || tokens.claim(&key("t-ttl"), &params("iss-1"), 0).await == Claim::Fresh).await);
    });
}

#[test]
fn a_nonce_is_accepted_once_across_replicas_and_per_access_key_id() {
    let server = RedisServer::start();
    runtime().block_on(async {
        let (a, b) = (connect(&server).await.nonces(), connect(&server).await.nonces());
        let t = OffsetDateTime::now_utc();
        assert_eq!(a.remember("LTAI5tOne", "58f0472", t, t).await, Ok(()));
        assert_eq!(
            b.remember("LTAI5tOne", "58f0472", t, t).await,
            Err(NonceRefusal::Used),
            "replayed to the other replica"
        );
        assert_eq!(a.remember("LTAI5tOne", "58f0472", t, t).await, Err(NonceRefusal::Used));
        assert_eq!(b.remember("LTAI5tTwo", "58f0472", t, t).await, Ok(()), "another key's nonce");
        // The parts of a key cannot run into each other.
        assert_eq!(a.remember("LTAI5t:x", "y", t, t).await, Ok(()));
        assert_eq!(b.remember("LTAI5t", "x:y", t, t).await, Ok(()));
        assert_ne!(a.key("LTAI5t:x", "y"), a.key("LTAI5t", "x:y"));

        // Of many replicas' simultaneous uses of one nonce, one wins.
        let start = Arc::new(tokio::sync::Barrier::new(16));
        let stores = [Arc::new(a), Arc::new(b)];
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                let (store, start) = (stores[i % 2].clone(), start.clone());
                tokio::spawn(async move {
                    start.wait().await;
                    store.remember("LTAI5tOne", "shared", t, t).await
                })
            })
            .collect();
        let mut accepted = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(()) => accepted += 1,
                Err(refusal) => assert_eq!(refusal, NonceRefusal::Used),
            }
        }
        assert_eq!(accepted, 1);
    });
}

#[test]
fn remembered_tokens_are_written_for_what_is_left_of_their_day_and_never_over_a_record() {
    let server = RedisServer::start();
    runtime().block_on(async {
        let tokens = connect(&server).await.tokens(Duration::from_secs(10));
        let now = 1_796_219_400;
        let mut fresh = answer("kept", params("iss-1"));
        fresh.at = now - 3600;
        let mut old = answer("expired", params("iss-1"));
        old.at = now - CLIENT_TOKEN_TTL_SECONDS;
        let kept = ClientTokens::from_calls(vec![fresh.clone(), old]);
        assert_eq!(tokens.remember(kept.clone(), now).await, Ok(1));
        assert_eq!(tokens.claim(&key("kept"), &params("iss-1"), now).await, Claim::Answered(fresh.clone()));
        assert_eq!(tokens.claim(&key("expired"), &params("iss-1"), now).await, Claim::Fresh);
        let pttl: i64 =
            server.command(&["PTTL", &tokens.key(&key("kept"))]).trim_start_matches(':').trim().parse().unwrap();
        assert!(pttl <= (CLIENT_TOKEN_TTL_SECONDS - 3600) * 1000 && pttl > 0, "{pttl}");
        // Written again (a replica restarting with the same world file): nothing changes.
        assert_eq!(tokens.remember(kept, now).await, Ok(0));
    });
}

/// A backend that counts what it performs.
#[derive(Default)]
struct Counter(std::sync::atomic::AtomicUsize);

impl Backend for Counter {
    fn now(&self) -> i64 {
        1_796_219_400
    }
    fn request_id(&self) -> String {
        "4EC0-REQ".into()
    }
    async fn perform(&self, _: &Operation, _: &BTreeMap<String, String>, request_id: &str) -> ApiResponse {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        ApiResponse { status: 200, body: serde_json::json!({"RequestId": request_id}) }
    }
}

#[test]
fn without_redis_nothing_is_performed_and_no_nonce_is_accepted_until_it_is_back() {
    let mut server = RedisServer::start();
    runtime().block_on(async {
        let store = connect(&server).await;
        let (tokens, nonces) = (store.tokens(Duration::from_secs(2)), store.nonces());
        let mut policies = PolicySetBuilder::new();
        policies.add(
            Policy::parse(
                "ops",
                r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "vpc:*", "Resource": "*"}]}"#,
                PolicyKind::Identity,
            )
            .unwrap(),
        );
        let guard = Guard::with_tokens(policies.build().unwrap(), Catalog::builtin().unwrap().clone(), tokens);
        let backend = Counter::default();
        let caller = Caller::new("acs:ram::1234567890123456:user/alice".parse().unwrap());
        let mut call = params("iss-1");
        call.insert("ClientToken".into(), "t-down".into());
        let t = OffsetDateTime::now_utc();

        server.stop();
        let refused = guard.call(&backend, "vpc:DeleteIpsecServer", &call, &caller).await.unwrap();
        assert_eq!((refused.response.status, refused.response.code()), (503, Some("ServiceUnavailable")));
        assert!(!refused.performed);
        assert_eq!(nonces.remember("LTAI5tOne", "n-down", t, t).await, Err(NonceRefusal::Unavailable));
        assert_eq!(backend.0.load(std::sync::atomic::Ordering::SeqCst), 0);

        server.restart();
        // The connection comes back by itself: the first command after the
        // restart may still fail while it reconnects.
        let back =
            eventually(async || nonces.remember("LTAI5tOne", "n-up", t, t).await != Err(NonceRefusal::Unavailable))
                .await;
        assert!(back, "the store answers again once Redis is back");
        assert_eq!(nonces.remember("LTAI5tOne", "n-up", t, t).await, Err(NonceRefusal::Used), "remembered once back");
        let performed = guard.call(&backend, "vpc:DeleteIpsecServer", &call, &caller).await.unwrap();
        assert!(performed.performed && performed.response.is_success(), "{:?}", performed.response);
        let again = guard.call(&backend, "vpc:DeleteIpsecServer", &call, &caller).await.unwrap();
        assert!(!again.performed);
        assert_eq!(backend.0.load(std::sync::atomic::Ordering::SeqCst), 1);
    });
}

#[test]
fn a_store_that_cannot_connect_says_where_without_the_password() {
    let mut server = RedisServer::start();
    let port = server.port();
    server.stop();
    runtime().block_on(async {
        let url = RedisUrl::new(format!("redis://default:TopSecret9@127.0.0.1:{port}/0"));
        let error = RedisStore::connect(&url, "test:", TIMEOUT).await.unwrap_err().to_string();
        assert!(error.contains(&format!("redis://***@127.0.0.1:{port}/0")), "{error}");
        assert!(!error.contains("TopSecret9"), "{error}");
        let too_long = "p".repeat(65);
        assert!(RedisStore::connect(&url, &too_long, TIMEOUT).await.unwrap_err().to_string().contains("prefix"));
    });
}

#[test]
fn outside_a_tokio_runtime_the_stores_refuse_rather_than_panic() {
    let server = RedisServer::start();
    let store = runtime().block_on(connect(&server));
    let t = OffsetDateTime::now_utc();
    let nonces = store.nonces();
    assert_eq!(pollster::block_on(nonces.remember("LTAI5tOne", "n", t, t)), Err(NonceRefusal::Unavailable));
    let tokens = store.tokens(Duration::from_secs(1));
    assert_eq!(pollster::block_on(tokens.claim(&key("t"), &params("iss-1"), 0)), Claim::Unavailable);
}
