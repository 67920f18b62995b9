//! The nonce store: one winner among concurrent uses of a nonce, nonces
//! forgotten only once their request's timestamp leaves the window, and a
//! full store that refuses rather than forgets.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic,
    reason = "tests unwrap and index what they just built, and fail by panicking"
)]

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Barrier};
use std::time::Duration;

use common::{Capture, KEY_ID, SECRET, assert_code, minutes};
use ramguard_gateway::signature::{
    Credential, MemoryNonceStore, NonceRefusal, NonceStore, Secret, SignedRequest, Verifier, parse_timestamp, v3,
};
use time::OffsetDateTime;

fn t0() -> OffsetDateTime {
    parse_timestamp("2026-11-22T12:20:36Z").unwrap()
}

#[test]
fn of_many_threads_using_one_nonce_exactly_one_wins() {
    let store = Arc::new(MemoryNonceStore::new(1000));
    let threads = 32;
    let start = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (store, start) = (Arc::clone(&store), Arc::clone(&start));
            std::thread::spawn(move || {
                start.wait();
                pollster::block_on(store.remember(KEY_ID, "58f047248e793d4fdc27d49bc1dc989b", t0(), t0()))
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|handle| handle.join().unwrap()).collect();
    assert_eq!(results.iter().filter(|result| result.is_ok()).count(), 1, "{results:?}");
    assert!(results.iter().all(|result| matches!(result, Ok(()) | Err(NonceRefusal::Used))));
    assert_eq!(store.len(), 1);
}

#[test]
fn many_threads_with_their_own_nonces_all_pass() {
    let store = Arc::new(MemoryNonceStore::new(10_000));
    let handles: Vec<_> = (0..8)
        .map(|thread| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                (0..500)
                    .filter(|n| {
                        pollster::block_on(store.remember(KEY_ID, &format!("{thread}-{n}"), t0(), t0())).is_ok()
                    })
                    .count()
            })
        })
        .collect();
    let accepted: usize = handles.into_iter().map(|handle| handle.join().unwrap()).sum();
    assert_eq!((accepted, store.len()), (4000, 4000));
}

#[test]
fn a_nonce_is_per_access_key_id() {
    let store = MemoryNonceStore::new(10);
    assert_eq!(pollster::block_on(store.remember("LTAI5tOne", "n", t0(), t0())), Ok(()));
    assert_eq!(pollster::block_on(store.remember("LTAI5tTwo", "n", t0(), t0())), Ok(()));
    assert_eq!(pollster::block_on(store.remember("LTAI5tOne", "n", t0(), t0())), Err(NonceRefusal::Used));
}

#[test]
fn a_nonce_is_remembered_while_its_request_is_in_the_window() {
    let store = MemoryNonceStore::new(10);
    let ahead = t0() + minutes(15);
    assert_eq!(pollster::block_on(store.remember(KEY_ID, "ahead", ahead, t0())), Ok(()));
    assert_eq!(pollster::block_on(store.remember(KEY_ID, "now", t0(), t0())), Ok(()));
    // 15 minutes on, the request of `now` is still accepted: so is its nonce refused.
    let later = t0() + minutes(15);
    assert_eq!(pollster::block_on(store.remember(KEY_ID, "now", t0(), later)), Err(NonceRefusal::Used));
    // A second more, its timestamp refuses it: the nonce is forgotten.
    let past = later + time::Duration::seconds(1);
    assert_eq!(pollster::block_on(store.remember(KEY_ID, "now", t0(), past)), Ok(()));
    assert_eq!(store.len(), 1, "remembering an expired request's nonce keeps nothing; `ahead` stays");
    // The one signed 15 minutes ahead stays until 30 minutes from t0.
    assert_eq!(pollster::block_on(store.remember(KEY_ID, "ahead", ahead, t0() + minutes(30))), Err(NonceRefusal::Used));
    assert_eq!(
        pollster::block_on(store.remember(KEY_ID, "ahead", ahead, t0() + minutes(30) + time::Duration::seconds(1))),
        Ok(())
    );
}

#[test]
fn a_full_store_refuses_and_forgets_nothing() {
    let store = MemoryNonceStore::new(3);
    for (n, offset) in [("a", 0), ("b", 60), ("c", 120)] {
        let at = t0() + time::Duration::seconds(offset);
        assert_eq!(pollster::block_on(store.remember(KEY_ID, n, at, at)), Ok(()));
    }
    let now = t0() + minutes(3);
    // The oldest (a, at t0) leaves the window 900 s after t0, 721 s from now.
    assert_eq!(
        pollster::block_on(store.remember(KEY_ID, "d", now, now)),
        Err(NonceRefusal::Full { retry_after: Duration::from_secs(721) })
    );
    for n in ["a", "b", "c"] {
        assert_eq!(
            pollster::block_on(store.remember(KEY_ID, n, t0(), now)),
            Err(NonceRefusal::Used),
            "{n} was not forgotten"
        );
    }
    assert_eq!(store.len(), 3);
    let after = t0() + minutes(15) + time::Duration::seconds(1);
    assert_eq!(pollster::block_on(store.remember(KEY_ID, "d", after, after)), Ok(()), "a left the window: room for d");
    assert_eq!(
        pollster::block_on(store.remember(KEY_ID, "e", after, after)),
        Err(NonceRefusal::Full { retry_after: Duration::from_secs(60) })
    );
}

#[test]
fn a_store_of_no_room_refuses_every_request() {
    let store = MemoryNonceStore::new(0);
    assert!(matches!(pollster::block_on(store.remember(KEY_ID, "n", t0(), t0())), Err(NonceRefusal::Full { .. })));
    assert!(store.is_empty());
}

#[test]
fn the_verifier_answers_a_full_store_with_service_unavailable() {
    let credentials = HashMap::from([(KEY_ID.to_owned(), Credential::permanent(Secret::new(SECRET)))]);
    let verifier = Verifier::new(credentials, MemoryNonceStore::new(1));
    let [ipsec, ecr, _] = <[Capture; 3]>::try_from(Capture::all()).unwrap();
    assert!(ipsec.verify(&verifier, ipsec.timestamp()).is_ok());
    let error = assert_code(ecr.verify(&verifier, ecr.timestamp()), 503, "ServiceUnavailable");
    assert_eq!(error.message(), "The request has failed due to a temporary failure of the server.");
    assert_eq!(error.retry_after(), Some(Duration::from_secs(901)));
    assert_code(ipsec.verify(&verifier, ipsec.timestamp()), 400, "SignatureNonceUsed");
    assert_eq!(verifier.nonces().len(), 1);
}

#[test]
fn the_verifier_shares_one_store_between_threads() {
    let credentials = HashMap::from([(KEY_ID.to_owned(), Credential::permanent(Secret::new(SECRET)))]);
    let verifier = Arc::new(Verifier::new(credentials, MemoryNonceStore::new(100)));
    let secret = Secret::new(SECRET);
    let (mut parts, body) =
        http::Request::post("http://vpc.example/?RegionId=cn-hangzhou").body(Vec::new()).unwrap().into_parts();
    v3::sign(&mut parts, &body, &v3::V3Signing::new(KEY_ID, &secret, "DescribeVpcs", "2016-04-28", t0(), "shared"))
        .unwrap();
    let request = Arc::new((parts, body));
    let start = Arc::new(Barrier::new(16));
    let handles: Vec<_> = (0..16)
        .map(|_| {
            let (verifier, request, start) = (Arc::clone(&verifier), Arc::clone(&request), Arc::clone(&start));
            std::thread::spawn(move || {
                start.wait();
                pollster::block_on(verifier.verify(&SignedRequest::from_parts(&request.0, &request.1), t0()))
                    .map(|call| call.nonce)
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|handle| handle.join().unwrap()).collect();
    assert_eq!(results.iter().filter(|result| result.is_ok()).count(), 1);
    assert_eq!(
        results.iter().filter(|result| matches!(result, Err(e) if e.code() == "SignatureNonceUsed")).count(),
        15
    );
}
