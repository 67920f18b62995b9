//! A load generator for the gateway: the same V3-signed requests, from 64
//! keep-alive connections, first to a bare hyper server answering a fixed
//! body (the baseline), then to `ramguard serve`'s server with an account
//! of 1,000 users (each its own key and its own policy, besides its
//! group's) in front of the simulated VPC. Both servers run in this process
//! on loopback ports, one after the other, and share the machine with the
//! client. Like the `ramguard` binary, the process allocates with mimalloc.
//!
//! Run with `cargo run --release -p ramguard-gateway --example load -- [SECONDS] [CONNECTIONS] [MODE]`
//! (defaults: 10 seconds per server, 64 connections, mode `both`). Modes:
//! - `both`: the bare server, then the gateway, and the ratio;
//! - `bare`, `gateway`: that server alone (for a profiler);
//! - `replicas`: one gateway keeping its nonces in memory, then two
//!   gateways sharing one Redis (`LOAD_REDIS_URL`, required), the
//!   connections spread over both, and the ratio;
//! - `nginx`: the gateway serving directly, then Debian's nginx (on the
//!   `PATH`) in front of a bare server, without and then with the shipped
//!   `auth_request` configuration asking the gateway's `/ramguard/check`.
//!
//! With `LOAD_REDIS_URL=redis://127.0.0.1:6379/0` the gateway of the other
//! modes keeps its nonces (and client tokens) in that Redis, as replicas do.
//! `LOAD_STATEMENTS=N` gives each user's policy N statements (1 by
//! default); `LOAD_WRITE_CONFIG=DIR` only writes the configuration (and its
//! snapshot, credentials and world) into DIR, for `ramguard serve`
//! (`scripts/reload-time.sh` times its reloads). With `LOAD_SHOW_FAILURES=1`, each answer that is not a success is printed
//! on stderr.

#![allow(clippy::indexing_slicing, reason = "the snapshot edited here is the bundled one, whose shape is known")]

use std::convert::Infallible;
use std::net::SocketAddr;
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
        // The first statement allows what the load sends; the others, on
        // resources of their own, make the snapshot as large as asked.
        let mut statements = vec![json!({"Effect": "Allow",
            "Action": ["vpc:DescribeVpnGateway", "vpc:ListIpsecServers"], "Resource": "*"})];
        for s in 1..statements_per_user() {
            statements.push(json!({"Effect": "Allow", "Action": ["vpc:DeleteIpsecServer", "vpc:Describe*"],
                "Resource": format!("acs:vpc:cn-hangzhou:*:vpnipsecserver/iss-load-{i:04}-{s:03}")}));
        }
        let document = json!({"Version": "1", "Statement": statements}).to_string();
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

/// Statements in each load user's policy: `LOAD_STATEMENTS` (1 unless set).
fn statements_per_user() -> usize {
    std::env::var("LOAD_STATEMENTS").ok().and_then(|n| n.parse().ok()).unwrap_or(1).max(1)
}

fn key(i: usize) -> (String, String) {
    (format!("LTAI5tLoad{i:04}"), format!("LoadSecret{i:04}"))
}

/// A configuration in `dir` for the gateway under load.
fn configure(dir: &std::path::Path, redis: Option<&str>) -> Result<Config, Box<dyn std::error::Error>> {
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
         trusted_proxies = [\"127.0.0.3\"]\n\
         [limits]\nmax_nonces = 10000000\n[backend]\nkind = \"simulator\"\nworld = \"world.json\"\n",
    );
    // The nonces in a Redis instead, as replicas keep them.
    if let Some(url) = redis {
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

/// `connections` keep-alive connections, spread over `addrs` in turn, each
/// sending one request after another for `seconds`.
async fn drive(addrs: &[SocketAddr], seconds: u64, connections: usize) -> Result<Figures, Box<dyn std::error::Error>> {
    // One count for the whole run: a server driven twice sees no nonce twice.
    static NONCES: AtomicU64 = AtomicU64::new(0);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for c in 0..connections {
        let addr = *addrs.get(c % addrs.len().max(1)).ok_or("no address to drive")?;
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
                let Ok(request) = request(addr, k, NONCES.fetch_add(1, Ordering::Relaxed)) else { break };
                let sent = Instant::now();
                match sender.send_request(request).await {
                    Ok(response) => {
                        let ok = response.status().is_success();
                        if !ok && std::env::var_os("LOAD_SHOW_FAILURES").is_some() {
                            let status = response.status();
                            let body = response.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
                            eprintln!("failed: {status} {}", String::from_utf8_lossy(&body));
                            failures += 1;
                            latencies.push(sent.elapsed());
                            continue;
                        }
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

/// A server running on a loopback port, until `stop`.
struct Running {
    addr: SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    serving: tokio::task::JoinHandle<Result<(), ramguard_gateway::server::ServeError>>,
}

impl Running {
    async fn start(config: &Config) -> Result<Self, Box<dyn std::error::Error>> {
        let server = Server::new(config).await?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = tokio::spawn(server.run(listener, async move {
            let _ = stopped.await;
        }));
        Ok(Self { addr, stop, serving })
    }

    async fn stop(self) -> Result<(), Box<dyn std::error::Error>> {
        let _ = self.stop.send(());
        self.serving.await??;
        Ok(())
    }
}

fn per_second(f: &Figures) -> f64 {
    f.requests as f64 / f.seconds
}

/// nginx, started with the shipped `auth_request` configuration (or, with
/// `check` false, the same without `auth_request`), in front of `service`.
struct Nginx {
    child: std::process::Child,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // The master stops its workers on `-s stop`; killed, it would leave them running.
        let stopped = std::process::Command::new("nginx")
            .arg("-p")
            .arg(self._dir.path())
            .arg("-c")
            .arg(self._dir.path().join("nginx.conf"))
            .args(["-s", "stop"])
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !stopped {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

fn nginx(check: SocketAddr, service: SocketAddr, with_check: bool) -> Result<Nginx, Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse()?;
    let template =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../policies/gateway/proxies/nginx.conf"))?;
    let mut config = template
        .replace("127.0.0.1:8443", &addr.to_string())
        .replace("127.0.0.1:8080", &check.to_string())
        .replace("127.0.0.1:9090", &service.to_string());
    if !with_check {
        config = config.replace("auth_request /.ramguard-check;", "");
    }
    let p = dir.path().display();
    let config = format!(
        // Two workers, one a core, as `worker_processes auto` gives here; and
        // connections from the load generator kept for the whole run.
        "daemon off;\nuser root;\nworker_processes 2;\npid {p}/nginx.pid;\nerror_log {p}/error.log warn;\n\
         events {{ worker_connections 1024; }}\nhttp {{\n  access_log off;\n  keepalive_requests 10000000;\n  \
         client_body_temp_path {p}/body;\n  \
         proxy_temp_path {p}/proxy;\n  fastcgi_temp_path {p}/fastcgi;\n  uwsgi_temp_path {p}/uwsgi;\n  \
         scgi_temp_path {p}/scgi;\n{config}\n}}\n"
    );
    std::fs::write(dir.path().join("nginx.conf"), config)?;
    let child = std::process::Command::new("nginx")
        .arg("-p")
        .arg(dir.path())
        .arg("-e")
        .arg(dir.path().join("error.log"))
        .arg("-c")
        .arg(dir.path().join("nginx.conf"))
        .stdin(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("nginx: {e} (install Debian's nginx)"))?;
    let nginx = Nginx { child, addr, _dir: dir };
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(addr).is_err() {
        if Instant::now() > deadline {
            return Err("nginx did not start".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(nginx)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let seconds = args.next().map(|s| s.parse()).transpose()?.unwrap_or(10);
    let connections = args.next().map(|s| s.parse()).transpose()?.unwrap_or(64);
    let mode = args.next().unwrap_or_else(|| "both".to_owned());
    let redis = std::env::var("LOAD_REDIS_URL").ok();

    // Only write the configuration, for `ramguard serve` to run.
    if let Some(out) = std::env::var_os("LOAD_WRITE_CONFIG") {
        let out = std::path::PathBuf::from(out);
        std::fs::create_dir_all(&out)?;
        configure(&out, redis.as_deref())?;
        println!(
            "wrote {}: {} users, {} statements each",
            out.join("gateway.toml").display(),
            USERS,
            statements_per_user()
        );
        return Ok(());
    }

    let dir = tempfile::tempdir()?;
    match mode.as_str() {
        "bare" | "gateway" | "both" => {}
        "replicas" => {
            let Some(url) = redis.as_deref() else {
                return Err("replicas share a Redis: start one (redis-server --port 6379 --save '') and set \
                            LOAD_REDIS_URL=redis://127.0.0.1:6379/0"
                    .into());
            };
            let one = Running::start(&configure(dir.path(), None)?).await?;
            let alone = drive(&[one.addr], seconds, connections).await?;
            report("one replica, nonces in memory", &alone);
            one.stop().await?;
            let config = configure(dir.path(), Some(url))?;
            let (a, b) = (Running::start(&config).await?, Running::start(&config).await?);
            let two = drive(&[a.addr, b.addr], seconds, connections).await?;
            report("two replicas, nonces in one Redis", &two);
            a.stop().await?;
            b.stop().await?;
            println!(
                "throughput ratio (two over Redis / one in memory): {:.0} %",
                100.0 * per_second(&two) / per_second(&alone)
            );
            return Ok(());
        }
        "nginx" => {
            let gateway = Running::start(&configure(dir.path(), redis.as_deref())?).await?;
            let direct = drive(&[gateway.addr], seconds, connections).await?;
            report("ramguard serve, directly", &direct);
            let service = bare().await?;
            let plain = nginx(gateway.addr, service, false)?;
            let proxied = drive(&[plain.addr], seconds, connections).await?;
            report("nginx to a bare server, no check", &proxied);
            drop(plain);
            let checking = nginx(gateway.addr, service, true)?;
            let checked = drive(&[checking.addr], seconds, connections).await?;
            report("nginx + /ramguard/check, bare server", &checked);
            drop(checking);
            gateway.stop().await?;
            println!(
                "throughput ratios: checked behind nginx / ramguard directly {:.0} %, / nginx without the check {:.0} %",
                100.0 * per_second(&checked) / per_second(&direct),
                100.0 * per_second(&checked) / per_second(&proxied)
            );
            return Ok(());
        }
        other => return Err(format!("unknown mode `{other}`: bare, gateway, replicas or nginx").into()),
    }

    let config = configure(dir.path(), redis.as_deref())?;
    let built = Instant::now();
    let server = Server::new(&config).await?;
    println!(
        "gateway: {} keys, {} users' policies compiled in {:.2} s",
        server.keys,
        USERS,
        built.elapsed().as_secs_f64()
    );
    drop(server);

    let baseline = if mode == "gateway" {
        None
    } else {
        let baseline = drive(&[bare().await?], seconds, connections).await?;
        report("bare hyper, fixed body", &baseline);
        if mode == "bare" {
            return Ok(());
        }
        Some(baseline)
    };

    let gateway = Running::start(&config).await?;
    let figures = drive(&[gateway.addr], seconds, connections).await?;
    report("ramguard serve (V3, 1,000 users, simulator)", &figures);
    gateway.stop().await?;

    if let Some(baseline) = baseline {
        println!("throughput ratio (gateway / bare): {:.0} %", 100.0 * per_second(&figures) / per_second(&baseline));
    }
    Ok(())
}
