//! A load generator for the gateway: the same V3-signed requests, from 64
//! keep-alive connections, first to a bare hyper server answering a fixed
//! body (the baseline), then to `ramguard serve`'s server with an account
//! of 1,000 users (each its own key and its own policy, besides its
//! group's) in front of the simulated VPC. Both servers run in this process
//! on loopback ports, one after the other, and share the machine with the
//! client. Like the `ramguard` binary, the process allocates with mimalloc.
//!
//! Run with `cargo run --release -p ramguard-gateway --example load -- [SECONDS] [CONNECTIONS] [bare|gateway]`
//! (defaults: 10 seconds per server, 64 connections, both servers; naming
//! one server drives only that one, for a profiler).
//! With `LOAD_REDIS_URL=redis://127.0.0.1:6379/0` the gateway keeps its
//! nonces (and client tokens) in that Redis, as replicas do.

#![allow(clippy::indexing_slicing, reason = "the snapshot edited here is the bundled one, whose shape is known")]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use ramguard_gateway::server::{Config, Server};
use ramguard_gateway::signature::{Secret, v3};
use serde_json::{Value, json};

/// The allocator `ramguard serve` runs with (see `cli/src/main.rs`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USERS: usize = 1_000;

/// The bundled account with `USERS` more users, each in the `netops` group
/// and with a policy of its own.
fn snapshot() -> Result<Value, Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../policies/gateway/account.json"))?;
    let mut snapshot: Value = serde_json::from_str(&text)?;
    let date = "2026-03-01T08:00:00Z";
    for i in 0..USERS {
        let user = format!("load-{i:04}");
        let policy = format!("LoadReads-{i:04}");
        let document = json!({"Version": "1", "Statement": [{"Effect": "Allow",
            "Action": ["vpc:DescribeVpnGateway", "vpc:ListIpsecServers"],
            "Resource": "*"}]})
        .to_string();
        let users = snapshot["ListUsers"]["Users"]["User"].as_array_mut().ok_or("no users")?;
        users.push(json!({"UserName": user, "UserId": format!("29{i:014}"), "DisplayName": user,
            "CreateDate": date, "UpdateDate": date, "Comments": ""}));
        snapshot["ListGroupsForUser"][&user] = json!({"Groups": {"Group": [
            {"GroupName": "netops", "Comments": "", "JoinDate": date}]}, "RequestId": "LOAD"});
        snapshot["ListPoliciesForUser"][&user] = json!({"Policies": {"Policy": [{"PolicyName": policy,
            "PolicyType": "Custom", "DefaultVersion": "v1", "Description": "", "AttachDate": date}]},
            "RequestId": "LOAD"});
        snapshot["GetPolicyVersion"]["Custom"][&policy] = json!({"PolicyVersion": {"VersionId": "v1",
            "IsDefaultVersion": true, "CreateDate": date, "PolicyDocument": document}, "RequestId": "LOAD"});
    }
    Ok(snapshot)
}

fn key(i: usize) -> (String, String) {
    (format!("LTAI5tLoad{i:04}"), format!("LoadSecret{i:04}"))
}

/// A configuration in `dir` for the gateway under load.
fn configure(dir: &std::path::Path) -> Result<Config, Box<dyn std::error::Error>> {
    std::fs::write(dir.join("account.json"), snapshot()?.to_string())?;
    let mut credentials = String::new();
    for i in 0..USERS {
        let (id, secret) = key(i);
        credentials.push_str(&format!(
            "[[key]]\naccess_key_id = \"{id}\"\naccess_key_secret = \"{secret}\"\nuser = \"load-{i:04}\"\n\n"
        ));
    }
    let path = dir.join("credentials.toml");
    std::fs::write(&path, credentials)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    }
    std::fs::copy(concat!(env!("CARGO_MANIFEST_DIR"), "/../policies/worlds/network.json"), dir.join("world.json"))?;
    let mut config = String::from(
        "listen = \"127.0.0.1:0\"\nsnapshot = \"account.json\"\ncredentials = \"credentials.toml\"\n\
         [limits]\nmax_nonces = 10000000\n[backend]\nkind = \"simulator\"\nworld = \"world.json\"\n",
    );
    // The nonces in a Redis instead, as replicas keep them.
    if let Ok(url) = std::env::var("LOAD_REDIS_URL") {
        config.push_str(&format!("[store]\nkind = \"redis\"\nurl = \"{url}\"\nprefix = \"load:\"\n"));
    }
    std::fs::write(dir.join("gateway.toml"), config)?;
    Ok(Config::load(&dir.join("gateway.toml"))?)
}

/// A bare hyper server answering every request with a fixed body.
async fn bare() -> Result<SocketAddr, Box<dyn std::error::Error>> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let service = hyper::service::service_fn(|_request| async {
                    let body = Bytes::from_static(br#"{"RequestId":"0ED8D006-F706-4D23-88ED-000000000001"}"#);
                    Ok::<_, Infallible>(http::Response::new(Full::new(body)))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(addr)
}

/// This run's id: the process id.
fn run() -> u32 {
    std::process::id()
}

/// A `DescribeVpnGateway` call signed with V3 by user `i`'s key, nonce `n`.
fn request(addr: SocketAddr, i: usize, n: u64) -> Result<http::Request<Full<Bytes>>, Box<dyn std::error::Error>> {
    let uri = format!("http://{addr}/?RegionId=cn-hangzhou&VpnGatewayId=vpn-bp1hgim8by0kc9nga");
    let (mut parts, body) = http::Request::post(uri).body(Bytes::new())?.into_parts();
    let (id, secret) = key(i);
    let secret = Secret::new(secret);
    // Unique across runs too: a Redis store remembers the last run's.
    let nonce = format!("load-{}-{n:016x}", run());
    let signing =
        v3::V3Signing::new(&id, &secret, "DescribeVpnGateway", "2016-04-28", time::OffsetDateTime::now_utc(), &nonce);
    v3::sign(&mut parts, &body, &signing)?;
    parts.uri = parts.uri.path_and_query().map_or("/", |p| p.as_str()).parse()?;
    Ok(http::Request::from_parts(parts, Full::new(body)))
}

struct Figures {
    requests: usize,
    failures: usize,
    seconds: f64,
    p50: Duration,
    p99: Duration,
}

async fn drive(addr: SocketAddr, seconds: u64, connections: usize) -> Result<Figures, Box<dyn std::error::Error>> {
    let nonces = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for c in 0..connections {
        let nonces = nonces.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut failures = 0_usize;
            let Ok(stream) = tokio::net::TcpStream::connect(addr).await else { return (latencies, 1) };
            let _ = stream.set_nodelay(true);
            let Ok((mut sender, connection)) =
                hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await
            else {
                return (latencies, 1);
            };
            tokio::spawn(connection);
            let mut k = c;
            while Instant::now() < deadline {
                k = (k + connections) % USERS;
                let Ok(request) = request(addr, k, nonces.fetch_add(1, Ordering::Relaxed)) else { break };
                let sent = Instant::now();
                match sender.send_request(request).await {
                    Ok(response) => {
                        let ok = response.status().is_success();
                        if response.into_body().collect().await.is_err() || !ok {
                            failures += 1;
                        }
                        latencies.push(sent.elapsed());
                    }
                    Err(_) => {
                        failures += 1;
                        break;
                    }
                }
            }
            (latencies, failures)
        }));
    }
    let mut all = Vec::new();
    let mut failures = 0;
    for task in tasks {
        let (latencies, failed) = task.await?;
        all.extend(latencies);
        failures += failed;
    }
    let seconds = started.elapsed().as_secs_f64();
    all.sort();
    let at = |q: f64| {
        all.get(((all.len() as f64 * q) as usize).min(all.len().saturating_sub(1))).copied().unwrap_or_default()
    };
    Ok(Figures { requests: all.len(), failures, seconds, p50: at(0.50), p99: at(0.99) })
}

fn report(name: &str, f: &Figures) {
    println!(
        "{name:<40} {:>9.0} req/s   p50 {:>8.3} ms   p99 {:>8.3} ms   ({} requests, {} failed)",
        f.requests as f64 / f.seconds,
        f.p50.as_secs_f64() * 1e3,
        f.p99.as_secs_f64() * 1e3,
        f.requests,
        f.failures
    );
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let seconds = args.next().map(|s| s.parse()).transpose()?.unwrap_or(10);
    let connections = args.next().map(|s| s.parse()).transpose()?.unwrap_or(64);
    let only = args.next();

    let dir = tempfile::tempdir()?;
    let config = configure(dir.path())?;
    let built = Instant::now();
    let server = Server::new(&config).await?;
    println!(
        "gateway: {} keys, {} users' policies compiled in {:.2} s",
        server.keys,
        USERS,
        built.elapsed().as_secs_f64()
    );

    let baseline = if only.as_deref() == Some("gateway") {
        None
    } else {
        let baseline = drive(bare().await?, seconds, connections).await?;
        report("bare hyper, fixed body", &baseline);
        if only.as_deref() == Some("bare") {
            return Ok(());
        }
        Some(baseline)
    };

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.run(listener, async move {
        let _ = stopped.await;
    }));
    let gateway = drive(addr, seconds, connections).await?;
    report("ramguard serve (V3, 1,000 users, simulator)", &gateway);
    let _ = stop.send(());
    serving.await??;

    if let Some(baseline) = baseline {
        let ratio = (gateway.requests as f64 / gateway.seconds) / (baseline.requests as f64 / baseline.seconds);
        println!("throughput ratio (gateway / bare): {:.0} %", ratio * 100.0);
    }
    Ok(())
}
