//! Compile and decision times of the compiled set and of the reference
//! evaluator, measured in the same run, at 10 to 10,000 statements.
//!
//! Groups: `compile/<n>`, `compiled/<n>` and `reference/<n>` (one benchmark per
//! outcome: `allow`, `explicit_deny`, `implicit_deny`), and `threads` for
//! throughput from several threads sharing one compiled set. Run with
//! `cargo bench --bench authorize`; `cargo test --benches` runs each once.
//!
//! The policies are a realistic mix, generated deterministically: most
//! statements are about other services and actions, some use wildcards, some
//! carry conditions, some deny; a few are about the VPN deletes the requests ask for.
//!
//! Two more workloads look like real accounts, where dozens of policies grant
//! the same popular actions on different resources: `shared/...` (every
//! statement grants one of a dozen popular actions, on resources of its own
//! region, account, type and team) and `shared_wild/...` (the same, with
//! about 18% of the statements granting wildcard actions such as
//! `vpc:Delete*`, `ecs:Describe*` or `*:Describe*`). Their groups are
//! `shared/compile/<n>`, `shared/compiled/<n>`, `shared/reference/<n>`, and
//! likewise for `shared_wild`, on the same three requests.

#![allow(
    clippy::indexing_slicing,
    clippy::expect_used,
    reason = "benchmark set-up indexes fixed tables and stops on invalid generated data"
)]

mod common;

use std::hint::black_box;

use common::Rng;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ramguard::{CompiledPolicySet, Context, Outcome, Policy, PolicyKind, PolicySet, Principal, Request};

const SIZES: [usize; 4] = [10, 100, 1_000, 10_000];
const STATEMENTS_PER_POLICY: usize = 20;

const VERBS: [&str; 12] =
    ["Describe", "List", "Create", "Delete", "Modify", "Get", "Update", "Attach", "Detach", "Start", "Stop", "Tag"];
const NOUNS: [&str; 16] = [
    "Instance",
    "Disk",
    "Snapshot",
    "Image",
    "Bucket",
    "Cluster",
    "Table",
    "Queue",
    "Topic",
    "Gateway",
    "Route",
    "Listener",
    "Certificate",
    "Domain",
    "Record",
    "Alarm",
];

/// One statement of the realistic mix, as JSON.
fn filler_statement(rng: &mut Rng) -> serde_json::Value {
    let service = format!("svc{}", rng.below(60));
    let action = match rng.below(10) {
        0 => format!("{service}:{}*", VERBS[rng.below(VERBS.len())]),
        1 => format!("{service}:*"),
        2 => format!("{service}:*{}*", NOUNS[rng.below(NOUNS.len())]),
        _ => format!("{service}:{}{}", VERBS[rng.below(VERBS.len())], NOUNS[rng.below(NOUNS.len())]),
    };
    let resource = match rng.below(4) {
        0 => "*".to_owned(),
        1 => format!("acs:{service}:*:1234567890123456:*"),
        _ => format!(
            "acs:{service}:cn-hangzhou:1234567890123456:{}/r-{}",
            NOUNS[rng.below(NOUNS.len())].to_lowercase(),
            rng.below(1000)
        ),
    };
    let effect = if rng.below(8) == 0 { "Deny" } else { "Allow" };
    let mut statement = serde_json::json!({"Effect": effect, "Action": [action], "Resource": resource});
    match rng.below(6) {
        0 => {
            statement["Condition"] =
                serde_json::json!({"IpAddress": {"acs:SourceIp": ["10.0.0.0/8", "192.168.0.0/16"]}})
        }
        1 => {
            statement["Condition"] =
                serde_json::json!({"StringEquals": {"acs:ResourceTag/team": ["network", "platform"]}})
        }
        2 => statement["Condition"] = serde_json::json!({"Bool": {"acs:SecureTransport": "true"}}),
        _ => {}
    }
    statement
}

/// The statements the requests are about: ops may delete VPN connections, but
/// not from outside the office.
fn subject_statements() -> Vec<serde_json::Value> {
    vec![
        serde_json::json!({"Effect": "Allow", "Action": ["vpc:DeleteVpnConnection", "vpc:DescribeVpnConnection"],
                           "Resource": "acs:vpc:*:1234567890123456:vpnconnection/*"}),
        serde_json::json!({"Effect": "Deny", "Action": "vpc:Delete*", "Resource": "*",
                           "Condition": {"NotIpAddress": {"acs:SourceIp": ["203.0.113.0/24", "2001:db8:10::/48"]}}}),
    ]
}

/// The popular actions of the shared workloads, with the resource type and id
/// prefix each is granted on.
const POPULAR: [(&str, &str, &str, &str); 12] = [
    ("vpc", "DeleteIpsecServer", "vpnipsecserver", "iss"),
    ("vpc", "DeleteVpnConnection", "vpnconnection", "vco"),
    ("vpc", "DeleteVpnGateway", "vpngateway", "vpn"),
    ("vpc", "DescribeVpnConnection", "vpnconnection", "vco"),
    ("vpc", "DeleteVpc", "vpc", "vpc"),
    ("vpc", "DescribeVpcs", "vpc", "vpc"),
    ("ecs", "DescribeInstances", "instance", "i"),
    ("ecs", "StopInstance", "instance", "i"),
    ("ecs", "DeleteInstance", "instance", "i"),
    ("ecs", "DescribeDisks", "disk", "d"),
    ("oss", "GetObject", "bucket", "logs"),
    ("rds", "DescribeDBInstances", "dbinstance", "rm"),
];
const REGIONS: [&str; 8] = [
    "cn-hangzhou",
    "cn-beijing",
    "cn-shanghai",
    "cn-shenzhen",
    "ap-southeast-1",
    "eu-central-1",
    "us-west-1",
    "cn-qingdao",
];
const ACCOUNTS: [&str; 4] = ["1234567890123456", "2234567890123456", "3234567890123456", "4234567890123456"];
const WILD_ACTIONS: [&str; 5] = ["vpc:Delete*", "ecs:Describe*", "*:Describe*", "vpc:*Vpn*", "ecs:*Instance"];

/// One statement of a shared workload: a popular action (or, with `wild`, now
/// and then a wildcard action) on the resources of one team, never the
/// subject team the requests are about.
fn shared_statement(rng: &mut Rng, wild: bool) -> serde_json::Value {
    let (service, action, kind, prefix) = POPULAR[rng.below(POPULAR.len())];
    let action = if wild && rng.below(100) < 18 {
        WILD_ACTIONS[rng.below(WILD_ACTIONS.len())].to_owned()
    } else {
        format!("{service}:{action}")
    };
    let region = REGIONS[rng.below(REGIONS.len())];
    let account = ACCOUNTS[rng.below(ACCOUNTS.len())];
    let team = rng.below(400);
    let resource = match rng.below(10) {
        0 => format!("acs:{service}:*:{account}:{kind}/{prefix}-team{team}-*"),
        1 => format!("acs:{service}:{region}:{account}:{kind}/{prefix}-team{team}-{}", rng.below(1000)),
        2 => format!("acs:{service}:{region}:*:{kind}/{prefix}-team{team}-*"),
        _ => format!("acs:{service}:{region}:{account}:{kind}/{prefix}-team{team}-*"),
    };
    let effect = if rng.below(10) == 0 { "Deny" } else { "Allow" };
    let mut statement = serde_json::json!({"Effect": effect, "Action": action, "Resource": resource});
    match rng.below(6) {
        0 => statement["Condition"] = serde_json::json!({"IpAddress": {"acs:SourceIp": ["10.0.0.0/8"]}}),
        1 => {
            statement["Condition"] =
                serde_json::json!({"StringEquals": {"acs:ResourceTag/team": [format!("team{team}")]}})
        }
        _ => {}
    }
    statement
}

/// The statements the requests are about, in the shared workloads: the ops
/// team may delete its VPN connections, but nobody may delete any from
/// outside the office.
fn shared_subject_statements() -> Vec<serde_json::Value> {
    vec![
        serde_json::json!({"Effect": "Allow", "Action": ["vpc:DeleteVpnConnection", "vpc:DescribeVpnConnection"],
                           "Resource": "acs:vpc:*:1234567890123456:vpnconnection/vco-ops-*"}),
        serde_json::json!({"Effect": "Deny", "Action": "vpc:DeleteVpnConnection", "Resource": "acs:vpc:*:*:vpnconnection/*",
                           "Condition": {"NotIpAddress": {"acs:SourceIp": ["203.0.113.0/24", "2001:db8:10::/48"]}}}),
    ]
}

/// `n` statements of a shared workload, in policies of [`STATEMENTS_PER_POLICY`].
fn shared_policy_set(n: usize, wild: bool) -> PolicySet {
    let mut rng = Rng(0xA11CE ^ n as u64 ^ u64::from(wild));
    let mut statements = shared_subject_statements();
    while statements.len() < n {
        statements.push(shared_statement(&mut rng, wild));
    }
    let last = statements.len() - 1;
    statements.swap(1, last);
    statements.swap(0, last / 2);
    into_set(&statements)
}

fn shared_requests() -> [(&'static str, Request, Outcome); 3] {
    let alice: Principal = "acs:ram::1234567890123456:user/alice".parse().expect("valid principal");
    let ops = "acs:vpc:cn-hangzhou:1234567890123456:vpnconnection/vco-ops-1";
    let other = "acs:vpc:cn-hangzhou:1234567890123456:vpnconnection/vco-dev-1";
    let from = |ip: &str| Context::new().with("acs:SourceIp", ip);
    [
        (
            "allow",
            Request::new(alice.clone(), "vpc:DeleteVpnConnection", ops).with_context(from("203.0.113.9")),
            Outcome::Allow,
        ),
        (
            "explicit_deny",
            Request::new(alice.clone(), "vpc:DeleteVpnConnection", ops).with_context(from("198.51.100.1")),
            Outcome::ExplicitDeny,
        ),
        (
            "implicit_deny",
            Request::new(alice, "vpc:DeleteVpnConnection", other).with_context(from("203.0.113.9")),
            Outcome::ImplicitDeny,
        ),
    ]
}

/// `n` statements in policies of [`STATEMENTS_PER_POLICY`], the subject statements among them.
fn policy_set(n: usize) -> PolicySet {
    let mut rng = Rng(0x5EED ^ n as u64);
    let mut statements: Vec<serde_json::Value> = subject_statements();
    while statements.len() < n {
        statements.push(filler_statement(&mut rng));
    }
    // Spread the subject statements through the set rather than leaving them first.
    let last = statements.len() - 1;
    statements.swap(1, last);
    statements.swap(0, last / 2);
    into_set(&statements)
}

fn into_set(statements: &[serde_json::Value]) -> PolicySet {
    let mut set = PolicySet::new();
    for (i, chunk) in statements.chunks(STATEMENTS_PER_POLICY).enumerate() {
        let text = serde_json::json!({"Version": "1", "Statement": chunk}).to_string();
        let policy = Policy::parse_with_limits(
            &format!("policy-{i}"),
            &text,
            PolicyKind::Identity,
            &ramguard::Limits::unlimited(),
        )
        .expect("generated policies are valid");
        set.add(policy);
    }
    set
}

fn requests() -> [(&'static str, Request, Outcome); 3] {
    let alice: Principal = "acs:ram::1234567890123456:user/alice".parse().expect("valid principal");
    let resource = "acs:vpc:cn-hangzhou:1234567890123456:vpnconnection/vco-bp1";
    let from = |ip: &str| Context::new().with("acs:SourceIp", ip).with("acs:SecureTransport", "true");
    [
        (
            "allow",
            Request::new(alice.clone(), "vpc:DeleteVpnConnection", resource).with_context(from("203.0.113.9")),
            Outcome::Allow,
        ),
        (
            "explicit_deny",
            Request::new(alice.clone(), "vpc:DeleteVpnConnection", resource).with_context(from("198.51.100.1")),
            Outcome::ExplicitDeny,
        ),
        (
            "implicit_deny",
            Request::new(alice, "vpc:CreateVpnConnection", resource).with_context(from("203.0.113.9")),
            Outcome::ImplicitDeny,
        ),
    ]
}

/// The workloads: a name prefix for the groups, the policies at `n`
/// statements, and the requests with their expected outcomes.
type Workload = (&'static str, fn(usize) -> PolicySet, fn() -> [(&'static str, Request, Outcome); 3]);

const WORKLOADS: [Workload; 3] = [
    ("", policy_set, requests),
    ("shared/", |n| shared_policy_set(n, false), shared_requests),
    ("shared_wild/", |n| shared_policy_set(n, true), shared_requests),
];

fn compile(c: &mut Criterion) {
    for (prefix, policies, _) in WORKLOADS {
        for n in SIZES {
            let set = policies(n);
            let mut group = c.benchmark_group(format!("{prefix}compile/{n}"));
            group.sample_size(if n >= 10_000 { 10 } else { 50 });
            group.bench_function("compiled", |b| b.iter(|| CompiledPolicySet::compile(black_box(set.clone()))));
            group.finish();
        }
    }
}

fn decide(c: &mut Criterion) {
    for (prefix, policies, requests) in WORKLOADS {
        for n in SIZES {
            let set = policies(n);
            let compiled = CompiledPolicySet::compile(set.clone()).expect("compiles");
            for (name, request, expected) in requests() {
                assert_eq!(set.authorize(&request).outcome, expected, "reference, {prefix}{name} at {n}");
                assert_eq!(compiled.authorize(&request).outcome, expected, "compiled, {prefix}{name} at {n}");
            }
            let mut group = c.benchmark_group(format!("{prefix}compiled/{n}"));
            for (name, request, _) in requests() {
                group.bench_with_input(BenchmarkId::from_parameter(name), &request, |b, r| {
                    b.iter(|| compiled.authorize(black_box(r)))
                });
            }
            group.finish();
            let mut group = c.benchmark_group(format!("{prefix}reference/{n}"));
            if n >= 10_000 {
                group.sample_size(20);
            }
            for (name, request, _) in requests() {
                group.bench_with_input(BenchmarkId::from_parameter(name), &request, |b, r| {
                    b.iter(|| set.authorize(black_box(r)))
                });
            }
            group.finish();
        }
    }
}

fn threads(c: &mut Criterion) {
    const PER_THREAD: usize = 10_000;
    let compiled = CompiledPolicySet::compile(policy_set(1_000)).expect("compiles");
    let requests = requests();
    let mut group = c.benchmark_group("threads");
    for threads in [1usize, 2] {
        group.throughput(Throughput::Elements((threads * PER_THREAD) as u64));
        group.bench_function(BenchmarkId::new("compiled/1000", threads), |b| {
            b.iter(|| {
                std::thread::scope(|scope| {
                    for t in 0..threads {
                        let set = compiled.clone();
                        let requests = &requests;
                        scope.spawn(move || {
                            for i in 0..PER_THREAD {
                                let (_, request, _) = &requests[(i + t) % requests.len()];
                                black_box(set.authorize(request));
                            }
                        });
                    }
                });
            })
        });
    }
    group.finish();
}

/// Not a timing: prints how much memory compiling a 10,000-statement set of
/// each workload keeps, beyond the parsed policies it takes over: the
/// compiled statements and the index, as counted by the allocator.
fn memory(_: &mut Criterion) {
    for (prefix, policies, _) in WORKLOADS {
        let set = policies(10_000);
        let mut compiled = None;
        let info = allocation_counter::measure(|| {
            compiled = Some(CompiledPolicySet::compile(set).expect("compiles"));
        });
        println!(
            "{prefix}memory/10000: compiling {} statements keeps {:.2} MiB beyond the parsed policies",
            compiled.as_ref().map_or(0, CompiledPolicySet::len),
            info.bytes_current as f64 / (1024.0 * 1024.0),
        );
    }
}

criterion_group!(benches, compile, decide, threads, memory);
criterion_main!(benches);
