//! Whatever the input, reading and evaluating never panic, and every error
//! is located inside the text.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests unwrap and index what they just built")]

#[path = "common/arbitrary.rs"]
mod arbitrary;

use proptest::prelude::*;
use ramguard::{CompiledPolicySet, Context, Limits, Policy, PolicyKind, PolicySet, Principal, Request};

fn kinds() -> impl Strategy<Value = PolicyKind> {
    prop_oneof![
        Just(PolicyKind::Identity),
        Just(PolicyKind::Session),
        Just(PolicyKind::Control),
        Just(PolicyKind::Resource)
    ]
}

fn check_located(text: &str, kind: PolicyKind) {
    if let Err(errors) = Policy::parse_with_limits("fuzz", text, kind, &Limits::unlimited()) {
        assert!(!errors.errors().is_empty());
        let lines = text.split('\n').count();
        for e in errors.errors() {
            assert!(e.location().line >= 1 && e.location().line <= lines, "{e} in {text:?}");
            assert!(e.location().column >= 1);
            assert!(!e.to_string().is_empty());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256), kind in kinds()) {
        let text = String::from_utf8_lossy(&bytes);
        check_located(&text, kind);
    }

    #[test]
    fn random_json_never_panics(value in arbitrary::arb_json(), kind in kinds(), pretty in any::<bool>()) {
        let text = if pretty { serde_json::to_string_pretty(&value) } else { serde_json::to_string(&value) }.unwrap();
        check_located(&text, kind);
    }

    #[test]
    fn malformed_context_never_splits_the_engines(
        deny in prop::collection::vec(any::<bool>(), 1..4),
        actions in prop::collection::vec("[a-z*?]{1,3}:[A-Za-z*?]{1,4}|\\*", 1..4),
        operators in prop::collection::vec(0usize..4, 1..4),
        action in "[a-z]{1,3}:[A-Za-z]{0,4}",
        resource in ".{0,16}",
        ip in ".{0,10}",
        time in ".{0,12}",
    ) {
        // Valid statements whose conditions read the (often malformed) source
        // address and time, so every case reaches the evaluator.
        let conditions = [
            serde_json::json!({"IpAddress": {"acs:SourceIp": "10.0.0.0/8"}}),
            serde_json::json!({"NotIpAddress": {"acs:SourceIp": ["10.0.0.0/8", "::1"]}}),
            serde_json::json!({"DateLessThan": {"acs:CurrentTime": "2030-01-01T00:00:00Z"}}),
            serde_json::json!({"ForAllValues:DateGreaterThan": {"acs:CurrentTime": "2020-01-01"}}),
        ];
        let statements: Vec<serde_json::Value> = deny
            .iter()
            .zip(actions.iter().cycle())
            .zip(operators.iter().cycle())
            .map(|((d, a), o)| serde_json::json!({
                "Effect": if *d { "Deny" } else { "Allow" }, "Action": a, "Resource": "*",
                "Condition": conditions[*o],
            }))
            .collect();
        let text = serde_json::json!({"Version": "1", "Statement": statements}).to_string();
        let policy = Policy::parse("fuzz", &text, PolicyKind::Identity);
        prop_assert!(policy.is_ok(), "{text}: {:?}", policy.err());
        let set = PolicySet::new().with(policy.unwrap());
        let compiled = CompiledPolicySet::compile(set.clone()).unwrap();
        let principal: Principal = "acs:ram::1:user/u".parse().unwrap();
        let request = Request::new(principal, &action, &resource)
            .with_context(Context::new().with("acs:SourceIp", ip).with("acs:CurrentTime", time));
        let fast = set.authorize(&request);
        prop_assert_eq!(fast, set.explain(&request).to_decision());
        prop_assert_eq!(fast, compiled.authorize(&request));
    }
}
