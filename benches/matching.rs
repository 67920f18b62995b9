//! Wildcard matching at its worst: one decision by each engine on a policy
//! whose single pattern is as long as an identity policy allows (about 6,000
//! characters), against a request whose resource or action is 1 MB long.
//!
//! Groups `matching/compiled/<case>` and `matching/reference/<case>`:
//! `star_run` (`*`, a long run of `a`, then `b*`, against `aaaa...`: the
//! input that makes a backtracking matcher retry the run at every position),
//! `question_run` (the same with every other character a `?`), `non_ascii`
//! (the run in `é`), `action` (the run in an action pattern, matched without
//! regard to case), `many_stars` (2,000 `*`-separated segments),
//! `string_like` (four such runs in a `StringLike` condition, which the
//! compiled set matches through one `globset` regex) and `typical`
//! (a short ARN pattern against an ordinary resource, for scale). Run with
//! `cargo bench --bench matching -- --warm-up-time 1 --measurement-time 2`.
//!
//! The inputs are generated here, deterministically.

#![allow(
    clippy::indexing_slicing,
    clippy::expect_used,
    reason = "benchmark set-up indexes its own JSON and stops on invalid generated data"
)]

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use ramguard::{CompiledPolicySet, Outcome, Policy, PolicyKind, PolicySet, Principal, Request};

/// The length of the hostile request strings, in bytes.
const TEXT_BYTES: usize = 1_000_000;

struct Case {
    name: &'static str,
    action_pattern: String,
    resource_pattern: String,
    action: String,
    resource: String,
    /// `StringLike` patterns on `acs:UserAgent`, and the request's value.
    like: Option<(Vec<String>, String)>,
}

fn cases() -> Vec<Case> {
    let run = |unit: &str, n: usize| unit.repeat(n);
    let long_resource = |pattern: String, resource: String, name| Case {
        name,
        action_pattern: "oss:GetObject".to_owned(),
        resource_pattern: pattern,
        action: "oss:GetObject".to_owned(),
        resource,
        like: None,
    };
    vec![
        long_resource(format!("*{}b*", run("a", 5_998)), run("a", TEXT_BYTES), "star_run"),
        long_resource(format!("*{}b*", run("a?", 2_999)), run("a", TEXT_BYTES), "question_run"),
        long_resource(format!("*{}b*", run("é", 5_998)), run("é", TEXT_BYTES / 2), "non_ascii"),
        long_resource(run("*ab", 2_000), run("ab", TEXT_BYTES / 2), "many_stars"),
        Case {
            name: "action",
            action_pattern: format!("oss:*{}B*", run("A", 5_990)),
            resource_pattern: "*".to_owned(),
            action: format!("oss:{}", run("a", TEXT_BYTES)),
            resource: "acs:oss:*:1234567890123456:bucket/b".to_owned(),
            like: None,
        },
        Case {
            name: "string_like",
            action_pattern: "oss:GetObject".to_owned(),
            resource_pattern: "*".to_owned(),
            action: "oss:GetObject".to_owned(),
            resource: "acs:oss:*:1234567890123456:bucket/b".to_owned(),
            like: Some(((0..4).map(|i| format!("*{}{i}*", run("a", 1_400))).collect(), run("a", TEXT_BYTES))),
        },
        long_resource(
            "acs:oss:*:1234567890123456:bucket/logs-*/*.gz".to_owned(),
            "acs:oss:cn-hangzhou:1234567890123456:bucket/logs-2024/app/part-0001.gz".to_owned(),
            "typical",
        ),
    ]
}

fn bench(c: &mut Criterion) {
    let alice: Principal = "acs:ram::1234567890123456:user/alice".parse().expect("valid principal");
    for case in cases() {
        let mut statement = serde_json::json!({"Effect": "Allow",
            "Action": case.action_pattern, "Resource": case.resource_pattern});
        if let Some((patterns, _)) = &case.like {
            statement["Condition"] = serde_json::json!({"StringLike": {"acs:UserAgent": patterns}});
        }
        let document = serde_json::json!({"Version": "1", "Statement": [statement]}).to_string();
        // Within RAM's default identity limit: any account may hold such a policy.
        let policy = Policy::parse(case.name, &document, PolicyKind::Identity).expect("valid policy");
        let mut reference = PolicySet::new();
        reference.add(policy);
        let compiled = CompiledPolicySet::compile(reference.clone()).expect("compiles");
        let mut request = Request::new(alice.clone(), &case.action, &case.resource);
        if let Some((_, value)) = &case.like {
            request = request.with_context_value("acs:UserAgent", value);
        }
        let expected =
            if case.name == "typical" || case.name == "many_stars" { Outcome::Allow } else { Outcome::ImplicitDeny };
        assert_eq!(reference.authorize(&request).outcome, expected, "reference, {}", case.name);
        assert_eq!(compiled.authorize(&request).outcome, expected, "compiled, {}", case.name);

        let mut group = c.benchmark_group("matching");
        group.sample_size(10);
        group.bench_with_input(BenchmarkId::new("compiled", case.name), &request, |b, r| {
            b.iter(|| compiled.authorize(black_box(r)))
        });
        group.bench_with_input(BenchmarkId::new("reference", case.name), &request, |b, r| {
            b.iter(|| reference.authorize(black_box(r)))
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
