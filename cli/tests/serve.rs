//! `ramguard serve` as a user runs it: the bundled configuration copied to a
//! scratch folder, the server on a free loopback port, requests signed with
//! V3 as the SDKs sign them and sent over plain HTTP.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests unwrap and index what they just built")]

mod common;
#[path = "../../tests/common/python.rs"]
mod python;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bytes::Bytes;
use ramguard_gateway::signature::{Secret, v3};
use serde_json::Value;

struct Serve {
    child: Child,
    addr: SocketAddr,
    dir: tempfile::TempDir,
    stdout: std::sync::mpsc::Receiver<String>,
    /// What it wrote on stderr after saying where it listens.
    stderr: std::sync::mpsc::Receiver<String>,
    /// The line that says where it listens.
    banner: String,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The bundled gateway configuration, in a scratch folder of its own.
fn scratch() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let gateway = common::repo().join("policies/gateway");
    for file in ["account.json", "credentials.toml", "zstack-sessions.toml"] {
        std::fs::copy(gateway.join(file), dir.path().join(file)).unwrap();
    }
    std::fs::copy(common::repo().join("policies/worlds/network.json"), dir.path().join("world.json")).unwrap();
    let config = std::fs::read_to_string(gateway.join("gateway.toml"))
        .unwrap()
        .replace("../worlds/network.json", "world.json")
        .replace("../../target/gateway/world.json", "state/world.json");
    std::fs::write(dir.path().join("gateway.toml"), config).unwrap();
    private(&dir.path().join("credentials.toml"), 0o600);
    private(&dir.path().join("zstack-sessions.toml"), 0o600);
    dir
}

fn private(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn start(dir: tempfile::TempDir) -> Serve {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ramguard"))
        .args(["serve", "--config"])
        .arg(dir.path().join("gateway.toml"))
        .args(["--listen", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic_line(&line))
        .parse()
        .unwrap();
    Serve { addr, dir, stdout: lines(child.stdout.take().unwrap()), stderr: lines(stderr), child, banner: line }
}

/// The lines of `out`, read by a thread of their own (so that the server
/// never blocks on a full pipe).
fn lines(out: impl Read + Send + 'static) -> std::sync::mpsc::Receiver<String> {
    let (send, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            let _ = send.send(line);
        }
    });
    lines
}

fn panic_line(line: &str) -> &str {
    assert!(line.contains("listening on http://"), "ramguard serve did not say where it listens: {line:?}");
    line
}

/// Sends one V3-signed RPC request and returns the status and JSON body.
fn call(serve: &Serve, key: (&str, &str), token: Option<&str>, action: &str, query: &str, nonce: &str) -> (u16, Value) {
    send(serve, &signed(serve, key, token, action, query, nonce))
}

/// One V3-signed RPC request to `serve`, as the bytes an SDK sends.
fn signed(serve: &Serve, key: (&str, &str), token: Option<&str>, action: &str, query: &str, nonce: &str) -> String {
    signed_to(serve.addr, key, token, action, query, nonce)
}

fn signed_to(
    addr: SocketAddr,
    key: (&str, &str),
    token: Option<&str>,
    action: &str,
    query: &str,
    nonce: &str,
) -> String {
    let (mut parts, body) =
        http::Request::post(format!("http://{addr}/?{query}")).body(Bytes::new()).unwrap().into_parts();
    let secret = Secret::new(key.1);
    let mut signing = v3::V3Signing::new(key.0, &secret, action, "2016-04-28", time::OffsetDateTime::now_utc(), nonce);
    if let Some(token) = token {
        signing = signing.with_security_token(token);
    }
    v3::sign(&mut parts, &body, &signing).unwrap();
    let mut request = format!("POST {} HTTP/1.1\r\n", parts.uri.path_and_query().unwrap());
    for (name, value) in &parts.headers {
        request.push_str(&format!("{name}: {}\r\n", value.to_str().unwrap()));
    }
    request.push_str("content-length: 0\r\nconnection: close\r\n\r\n");
    request
}

/// Sends `request` as it is and returns the status and JSON body.
fn send(serve: &Serve, request: &str) -> (u16, Value) {
    send_to(serve.addr, request)
}

fn send_to(addr: SocketAddr, request: &str) -> (u16, Value) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = answer.split_once("\r\n\r\n").unwrap().1;
    // The answers carry a Content-Length: the body is the JSON itself.
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

fn log_line(serve: &Serve) -> Value {
    let line = serve.stdout.recv_timeout(Duration::from_secs(10)).unwrap();
    serde_json::from_str(&line).unwrap()
}

const ALICE: (&str, &str) = ("LTAI5tExampleKeyId", "ExampleSecret123");
const DAVE: (&str, &str) = ("LTAI5tDaveExampleKey", "DaveSecret456");
const OPS: (&str, &str) = ("STS.NUExampleOpsSession", "OpsSessionSecret789");
const DELETE: &str = "RegionId=cn-hangzhou&IpsecServerId=iss-bp1jougp8cfsbo8y9";

#[test]
fn serve_decides_by_the_snapshot_logs_each_decision_and_keeps_the_world() {
    let serve = start(scratch());

    let (status, body) = call(&serve, DAVE, None, "DeleteIpsecServer", DELETE, "n-1");
    assert_eq!((status, body["Code"].as_str()), (403, Some("Forbidden")), "{body}");
    assert_eq!(body["AccessDeniedDetail"]["AuthPrincipalDisplayName"], "dave");
    let denied = log_line(&serve);
    assert_eq!(denied["principal"], "acs:ram::1234567890123456:user/dave");
    assert_eq!(denied["outcome"], "ImplicitDeny");
    assert_eq!(denied["performed"], false);
    assert_eq!(denied["resources"][0], "acs:vpc:cn-hangzhou:1234567890123456:vpnipsecserver/iss-bp1jougp8cfsbo8y9");

    let (status, body) = call(&serve, ALICE, None, "DeleteIpsecServer", DELETE, "n-2");
    assert_eq!(status, 200, "{body}");
    let allowed = log_line(&serve);
    assert_eq!((allowed["outcome"].as_str(), allowed["performed"].as_bool()), (Some("Allow"), Some(true)));
    assert_eq!(allowed["access_key_id"], ALICE.0);
    assert!(!allowed["matched"].as_array().unwrap().is_empty(), "{allowed}");
    assert_eq!(allowed["request_id"], body["RequestId"]);

    // The world file is written after the change.
    let world = saved_world_once_deleted(&serve);
    assert_eq!(deleted(&world), ["iss-bp1jougp8cfsbo8y9"], "{world}");

    // No secret is ever written out.
    let log = [denied.to_string(), allowed.to_string()].concat();
    for secret in [ALICE.1, DAVE.1] {
        assert!(!log.contains(secret));
    }
}

#[test]
fn a_role_session_needs_its_security_token() {
    let serve = start(scratch());
    let (status, body) = call(&serve, OPS, Some("CAISExampleSecurityToken"), "DeleteIpsecServer", DELETE, "n-3");
    assert_eq!(status, 200, "{body}");
    let line = log_line(&serve);
    assert_eq!(line["principal"], "acs:ram::1234567890123456:assumed-role/ops/alice-oncall");

    let (status, body) = call(&serve, OPS, None, "DeleteIpsecServer", DELETE, "n-4");
    assert_eq!((status, body["Code"].as_str()), (400, Some("MissingSecurityToken")), "{body}");
}

#[test]
fn serve_refuses_credentials_that_others_can_read() {
    let dir = scratch();
    private(&dir.path().join("credentials.toml"), 0o644);
    let out = Command::new(env!("CARGO_BIN_EXE_ramguard"))
        .args(["serve", "--config"])
        .arg(dir.path().join("gateway.toml"))
        .args(["--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("chmod 600"), "{stderr}");
    assert!(!stderr.contains(ALICE.1));
}

#[test]
fn sigterm_lets_requests_finish_and_saves_the_world() {
    let mut serve = start(scratch());
    let (status, _) = call(&serve, ALICE, None, "DeleteIpsecServer", DELETE, "n-5");
    assert_eq!(status, 200);
    let pid = serve.child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let code = serve.child.wait().unwrap();
    assert_eq!(code.code(), Some(0), "serve exits cleanly on SIGTERM");
    let world: Value =
        serde_json::from_str(&std::fs::read_to_string(serve.dir.path().join("state/world.json")).unwrap()).unwrap();
    assert_eq!(world["vpn_gateways"][0]["Status"], "updating");
}

#[test]
fn an_upstream_gateway_forwards_allowed_calls_re_signed_with_its_own_key() {
    // B serves the simulator and knows the front gateway's own key (as alice's).
    let back_dir = scratch();
    let mut credentials = std::fs::read_to_string(back_dir.path().join("credentials.toml")).unwrap();
    credentials.push_str(
        "\n[[key]]\naccess_key_id = \"LTAI5tFrontGateway\"\naccess_key_secret = \"FrontSecret000\"\nuser = \"alice\"\n",
    );
    std::fs::write(back_dir.path().join("credentials.toml"), credentials).unwrap();
    let back = start(back_dir);

    // A decides with the same snapshot and forwards what it allows to B.
    let front_dir = scratch();
    let config = std::fs::read_to_string(front_dir.path().join("gateway.toml")).unwrap();
    let config = config.replace("zstack_sessions = \"zstack-sessions.toml\"\n", "");
    let (settings, _) = config.split_once("[backend]").unwrap();
    let config = format!("{settings}[backend]\nkind = \"upstream\"\nendpoint = \"http://{}\"\n", back.addr);
    std::fs::write(front_dir.path().join("gateway.toml"), config).unwrap();
    let mut credentials = std::fs::read_to_string(front_dir.path().join("credentials.toml")).unwrap();
    credentials
        .push_str("\n[upstream]\naccess_key_id = \"LTAI5tFrontGateway\"\naccess_key_secret = \"FrontSecret000\"\n");
    std::fs::write(front_dir.path().join("credentials.toml"), credentials).unwrap();
    let front = start(front_dir);

    let (status, body) = call(&front, ALICE, None, "DeleteIpsecServer", DELETE, "n-up-1");
    assert_eq!(status, 200, "{body}");
    let front_line = log_line(&front);
    assert_eq!(
        (front_line["principal"].as_str(), front_line["performed"].as_bool()),
        (Some("acs:ram::1234567890123456:user/alice"), Some(true))
    );
    let back_line = log_line(&back);
    assert_eq!(back_line["access_key_id"], "LTAI5tFrontGateway", "B verified the call as signed by A's own key");
    assert_eq!(back_line["outcome"], "Allow");
    assert_eq!(body["RequestId"], back_line["request_id"], "A relays B's answer unchanged");

    // Dave is stopped at A: nothing reaches B.
    let (status, body) = call(&front, DAVE, None, "DeleteIpsecServer", DELETE, "n-up-2");
    assert_eq!((status, body["Code"].as_str()), (403, Some("Forbidden")), "{body}");
    assert!(back.stdout.recv_timeout(Duration::from_millis(500)).is_err(), "a denied call never reaches the upstream");

    // The front counts both through its layer; the back counts what A forwarded.
    let samples = scrape(front.addr);
    assert_eq!(requests(&samples, "vpc:DeleteIpsecServer", "allow"), 1.0);
    assert_eq!(requests(&samples, "vpc:DeleteIpsecServer", "implicit_deny"), 1.0);
    let samples = scrape(back.addr);
    assert_eq!(requests(&samples, "vpc:DeleteIpsecServer", "allow"), 1.0);
    assert_eq!(requests(&samples, "vpc:DeleteIpsecServer", "implicit_deny"), 0.0);
}

/// Sends a plain HTTP request and returns the status and the body's text.
fn raw(serve: &Serve, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
    raw_to(serve.addr, method, path, headers, body)
}

fn raw_to(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
    let mut request = format!("{method} {path} HTTP/1.1\r\nhost: {addr}\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!("content-length: {}\r\nconnection: close\r\n\r\n{body}", body.len()));
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, answer.split_once("\r\n\r\n").unwrap().1.to_owned())
}

const IPSEC: &str = "/zstack/v1/ipsec/76424bb25d3a37c9961fff1116bc06da/actions";
const ALICE_SESSION: &str = "OAuth b86c9016b4f24953a9edefb53ca0678c";
const DAVE_SESSION: &str = "OAuth 5f0c0c9e2b6b4f0c9d7a1e3b2c4d6e8f";

fn state_event(event: &str) -> String {
    format!(r#"{{"changeIPSecConnectionState": {{"stateEvent": "{event}"}}, "systemTags": [], "userTags": []}}"#)
}

#[test]
fn zstack_calls_are_authenticated_by_session_decided_and_polled_to_completion() {
    let serve = start(scratch());
    let json = [("content-type", "application/json")];

    let (status, body) = raw(&serve, "PUT", IPSEC, &json, &state_event("enable"));
    assert_eq!(status, 400, "no Authorization header: {body}");
    assert!(body.contains("Authorization: OAuth"), "{body}");

    let unknown = [("authorization", "OAuth 00000000000000000000000000000000"), json[0]];
    let (status, body) = raw(&serve, "PUT", IPSEC, &unknown, &state_event("enable"));
    assert_eq!(status, 401, "{body}");
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["error"]["code"], "ID.1001");

    // Dave has no grant; alice may enable but not disable.
    for (session, event) in [(DAVE_SESSION, "enable"), (ALICE_SESSION, "disable")] {
        let (status, body) = raw(&serve, "PUT", IPSEC, &[("authorization", session), json[0]], &state_event(event));
        assert_eq!(status, 403, "{body}");
        assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["error"]["code"], "SYS.1006");
        assert_eq!(log_line(&serve)["outcome"], "ImplicitDeny");
    }

    let alice = [("authorization", ALICE_SESSION), json[0]];
    let (status, body) = raw(&serve, "PUT", IPSEC, &alice, &state_event("enable"));
    assert_eq!(status, 202, "{body}");
    let line = log_line(&serve);
    assert_eq!(
        (line["principal"].as_str(), line["outcome"].as_str()),
        (Some("acs:ram::1234567890123456:user/alice"), Some("Allow"))
    );
    let location = serde_json::from_str::<Value>(&body).unwrap()["location"].as_str().unwrap().to_owned();
    let prefix = format!("http://{}/zstack/v1/api-jobs/", serve.addr);
    assert!(location.starts_with(&prefix), "the job's location is on the gateway: {location}");
    let job = location.replacen(&format!("http://{}", serve.addr), "", 1);

    let mut polled = (0, String::new());
    for _ in 0..100 {
        polled = raw(&serve, "GET", &job, &[("authorization", ALICE_SESSION)], "");
        if polled.0 != 202 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(polled.0, 200, "{}", polled.1);
    let inventory = &serde_json::from_str::<Value>(&polled.1).unwrap()["inventory"];
    assert_eq!(inventory["state"], "Enabled");
    assert_eq!(raw(&serve, "GET", &job, &[], "").0, 400, "polling needs a session too");
}

/// What the official Python SDK returned or raised for `scenario` of
/// `tests/sdk/drive.py` against `serve`.
fn sdk(serve: &Serve, scenario: &str, args: &Value) -> Value {
    sdk_at(serve.addr, scenario, args)
}

/// The official SDKs, pointed at `addr`.
fn sdk_at(addr: SocketAddr, scenario: &str, args: &Value) -> Value {
    let script = common::repo().join("tests/sdk/drive.py");
    let out = Command::new(python::sdk_python())
        .arg(&script)
        .arg(addr.to_string())
        .arg(scenario)
        .arg(args.to_string())
        .output()
        .unwrap();
    assert!(out.status.success(), "{scenario}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn key_args(key: (&str, &str), more: Value) -> Value {
    let mut args = serde_json::json!({"key": key.0, "secret": key.1});
    args.as_object_mut().unwrap().extend(more.as_object().unwrap().clone());
    args
}

#[test]
fn the_official_sdks_call_the_gateway_unmodified() {
    let serve = start(scratch());
    let server = serde_json::json!({"server": "iss-bp1jougp8cfsbo8y9"});

    // V3: DryRun is answered by the gateway, not performed.
    let dry = sdk(
        &serve,
        "delete_ipsec_server",
        &key_args(ALICE, serde_json::json!({"server": "iss-bp1jougp8cfsbo8y9", "dry_run": "true"})),
    );
    assert_eq!((dry[0]["code"].as_str(), dry[0]["status"].as_u64()), (Some("DryRunOperation"), Some(400)), "{dry}");

    // V3: allowed, parsed by the SDK's response model; the same ClientToken twice deletes once.
    let twice = sdk(
        &serve,
        "delete_ipsec_server",
        &key_args(
            ALICE,
            serde_json::json!({"server": "iss-bp1jougp8cfsbo8y9", "client_token": "02fb3da4-130e-11e9", "times": 2}),
        ),
    );
    assert_eq!(twice[0]["status"], 200, "{twice}");
    assert!(twice[0]["body"]["RequestId"].is_string(), "{twice}");
    assert_eq!(twice[1], twice[0], "the second call with the token gets the first answer");
    let lines = [log_line(&serve), log_line(&serve), log_line(&serve)];
    assert_eq!(lines.iter().filter(|l| l["performed"] == true).count(), 1, "{lines:?}");

    // V1: denied by the account's control policy, with the detail explain gives.
    let denied = sdk(
        &serve,
        "v1_delete_vpn_connection",
        &key_args(ALICE, serde_json::json!({"connection": "vco-bp1bbi27hojx80nck"})),
    );
    assert_eq!(
        (denied["raised"].as_str(), denied["code"].as_str()),
        (Some("ServerException"), Some("Forbidden")),
        "{denied}"
    );
    assert_eq!(denied["status"], 403);
    let detail = &denied["raw_body"]["AccessDeniedDetail"];
    let expected = expected_denial(
        "alice",
        "vpc:DeleteVpnConnection",
        "acs:vpc:cn-hangzhou:1234567890123456:vpnconnection/vco-bp1bbi27hojx80nck",
    );
    for field in [
        "AuthAction",
        "AuthPrincipalType",
        "AuthPrincipalOwnerId",
        "AuthPrincipalDisplayName",
        "PolicyType",
        "NoPermissionType",
    ] {
        assert_eq!(detail[field], expected[field], "{field}: {detail}");
    }
    let message =
        ramguard::decision::decode_diagnostic_message(detail["EncodedDiagnosticMessage"].as_str().unwrap()).unwrap();
    let wanted =
        ramguard::decision::decode_diagnostic_message(expected["EncodedDiagnosticMessage"].as_str().unwrap()).unwrap();
    assert_eq!(message.explicit_deny_statements, wanted.explicit_deny_statements);
    assert_eq!(message.auth_resource, wanted.auth_resource);

    // ExpressConnect Router: a VBR-only policy lets the VBR through and stops the VPC.
    let vbr = sdk(
        &serve,
        "revoke_instance",
        &key_args(ALICE, serde_json::json!({"instance": "vbr-j6cwxhgg0s5nuephp", "type": "VBR"})),
    );
    assert_eq!(vbr["status"], 200, "{vbr}");
    let vpc = sdk(
        &serve,
        "revoke_instance",
        &key_args(ALICE, serde_json::json!({"instance": "vpc-bp1example", "type": "VPC"})),
    );
    assert_eq!((vpc["code"].as_str(), vpc["status"].as_u64()), (Some("Forbidden.RAM"), Some(403)), "{vpc}");
    assert!(vpc["data"]["AccessDeniedDetail"].is_object(), "{vpc}");

    // Refusals the SDK raises with Alibaba's codes.
    let wrong = sdk(&serve, "delete_ipsec_server", &key_args((ALICE.0, "not-the-secret"), server.clone()));
    assert_eq!(wrong[0]["code"], "SignatureDoesNotMatch", "{wrong}");
    let unknown = sdk(&serve, "delete_ipsec_server", &key_args(("LTAI5tNobody", "x"), server.clone()));
    assert_eq!(unknown[0]["code"], "InvalidAccessKeyId.NotFound", "{unknown}");
    let stale = sdk(&serve, "stale_timestamp", &key_args(ALICE, server.clone()));
    assert_eq!(stale[0]["code"], "InvalidTimeStamp.Expired", "{stale}");
    let replay = sdk(&serve, "replayed_nonce", &key_args(DAVE, server));
    assert_eq!(replay[0]["code"], "Forbidden", "the first call is decided: {replay}");
    assert_eq!(replay[1]["code"], "SignatureNonceUsed", "{replay}");

    // The world changed once, as the SDK's first call asked.
    let world = saved_world_once_deleted(&serve);
    assert_eq!(deleted(&world), ["iss-bp1jougp8cfsbo8y9"], "{world}");
}

/// The `AccessDeniedDetail` the library's explanation gives for `user`'s
/// request under the bundled snapshot.
fn expected_denial(user: &str, action: &str, resource: &str) -> Value {
    let snapshot = ramguard::snapshot::Snapshot::load(&common::repo().join("policies/gateway/account.json")).unwrap();
    let model = ramguard::access::AccessModel::new(&snapshot).unwrap();
    let principal = model.find(user).unwrap();
    let request = ramguard::Request::new(principal.principal().clone(), action, resource)
        .with_context(ramguard::Context::new().with("acs:SourceIp", "127.0.0.1"));
    let explanation = model.policy_set(principal).unwrap().explain(&request);
    serde_json::to_value(explanation.access_denied_detail.unwrap()).unwrap()
}

/// The bundled world's IPsec server, when `world` has it being deleted or
/// gone (the deletion runs for a while on the simulated clock, then the
/// server is removed).
fn deleted(world: &Value) -> Vec<&'static str> {
    let Some(servers) = world["ipsec_servers"].as_array() else { return Vec::new() };
    let ours = servers.iter().find(|s| s["IpsecServerId"] == "iss-bp1jougp8cfsbo8y9");
    if ours.is_none_or(|s| s["Deleting"] == true) { vec!["iss-bp1jougp8cfsbo8y9"] } else { Vec::new() }
}

/// The world file the server keeps, read until the IPsec server is being
/// deleted or gone (the saver writes it shortly after the change), or
/// after 5 s. That is what lasts: the VPN gateway's `updating` settles back
/// to `active` as the simulated clock follows the wall clock.
fn saved_world_once_deleted(serve: &Serve) -> Value {
    let mut world = Value::Null;
    for _ in 0..100 {
        if let Ok(text) = std::fs::read_to_string(serve.dir.path().join("state/world.json")) {
            world = serde_json::from_str(&text).unwrap_or(Value::Null);
            if !deleted(&world).is_empty() {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    world
}

#[path = "../../tests/common/redis.rs"]
mod redis_server;

use redis_server::RedisServer;

/// The password of the tests' Redis: it must never be written out.
const REDIS_PASSWORD: &str = "Redis-Pass-71";

/// The bundled configuration, in a scratch folder, with its client tokens
/// and nonces kept in `redis`.
fn scratch_with_redis(redis: &RedisServer) -> tempfile::TempDir {
    let dir = scratch();
    let path = dir.path().join("gateway.toml");
    let mut config = std::fs::read_to_string(&path).unwrap();
    config.push_str(&format!("\n[store]\nkind = \"redis\"\nurl = \"{}\"\nprefix = \"replicas:\"\n", redis.url()));
    std::fs::write(&path, config).unwrap();
    dir
}

/// Every line `lines` has had, waiting half a second for one more.
fn drain(lines: &std::sync::mpsc::Receiver<String>) -> Vec<String> {
    std::iter::from_fn(|| lines.recv_timeout(Duration::from_millis(500)).ok()).collect()
}

const DELETE_WITH_TOKEN: &str =
    "RegionId=cn-hangzhou&IpsecServerId=iss-bp1jougp8cfsbo8y9&ClientToken=02fb3da4-replicas";

#[test]
fn two_replicas_sharing_redis_perform_a_client_token_call_once_and_accept_a_signed_request_once() {
    let redis = RedisServer::start_with_password(REDIS_PASSWORD);
    let replicas = [start(scratch_with_redis(&redis)), start(scratch_with_redis(&redis))];

    // The same call, with one ClientToken, to both replicas at once (each
    // signed anew, as an SDK's retry is).
    let requests: Vec<String> = replicas
        .iter()
        .enumerate()
        .map(|(i, replica)| {
            signed(replica, ALICE, None, "DeleteIpsecServer", DELETE_WITH_TOKEN, &format!("n-both-{i}"))
        })
        .collect();
    let together = std::sync::Barrier::new(2);
    let answers: Vec<(u16, Value)> = std::thread::scope(|scope| {
        let sent: Vec<_> = replicas
            .iter()
            .zip(&requests)
            .map(|(replica, request)| {
                let (together, addr) = (&together, replica.addr);
                scope.spawn(move || {
                    together.wait();
                    send_to(addr, request)
                })
            })
            .collect();
        sent.into_iter().map(|s| s.join().unwrap()).collect()
    });
    for (status, body) in &answers {
        assert_eq!(*status, 200, "{body}");
    }
    assert_eq!(answers[0].1, answers[1].1, "both replicas answer with the one answer");
    let lines = [log_line(&replicas[0]), log_line(&replicas[1])];
    let performed = lines.iter().filter(|line| line["performed"] == true).count();
    assert_eq!(performed, 1, "exactly one replica performed the call: {lines:?}");
    assert!(lines.iter().all(|line| line["outcome"] == "Allow"), "{lines:?}");

    // A signed request replayed to the other replica is refused there.
    let request = signed(&replicas[0], DAVE, None, "DeleteIpsecServer", DELETE, "n-replayed");
    let (status, body) = send(&replicas[0], &request);
    assert_eq!((status, body["Code"].as_str()), (403, Some("Forbidden")), "the first is decided: {body}");
    let (status, body) = send(&replicas[1], &request);
    assert_eq!((status, body["Code"].as_str()), (400, Some("SignatureNonceUsed")), "{body}");

    for replica in &replicas {
        let said = [drain(&replica.stdout), drain(&replica.stderr)].concat();
        assert!(said.iter().all(|line| !line.contains(REDIS_PASSWORD)), "{said:?}");
    }
}

#[test]
fn with_redis_stopped_a_replica_refuses_every_call_and_performs_nothing_until_it_is_back() {
    let mut redis = RedisServer::start_with_password(REDIS_PASSWORD);
    let serve = start(scratch_with_redis(&redis));
    redis.stop();
    for n in 0..5 {
        let (status, body) = call(&serve, ALICE, None, "DeleteIpsecServer", DELETE_WITH_TOKEN, &format!("n-down-{n}"));
        assert_eq!((status, body["Code"].as_str()), (503, Some("ServiceUnavailable")), "{body}");
        assert!(body["Message"].as_str().unwrap().contains("could not be checked"), "{body}");
        assert_eq!(log_line(&serve)["performed"], false);
    }
    let said = drain(&serve.stderr);
    assert_eq!(said.len(), 1, "one line for the failure, not one per request: {said:?}");
    assert!(said[0].contains("failed") && said[0].contains("redis://***@127.0.0.1:"), "{said:?}");
    assert!(!said[0].contains(REDIS_PASSWORD), "{said:?}");

    // Started again on the same port, Redis is found again: the first calls
    // may still be refused while the connection comes back.
    redis.restart();
    let mut answer = (0, Value::Null);
    let mut line = Value::Null;
    for n in 0..100 {
        answer = call(&serve, ALICE, None, "DeleteIpsecServer", DELETE_WITH_TOKEN, &format!("n-up-{n}"));
        line = log_line(&serve);
        if answer.0 != 503 {
            break;
        }
        assert_eq!(line["performed"], false, "{line}");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(answer.0, 200, "{}", answer.1);
    assert_eq!(line["performed"], true, "{line}");
    let (status, body) = call(&serve, ALICE, None, "DeleteIpsecServer", DELETE_WITH_TOKEN, "n-again");
    assert_eq!((status, &body), (200, &answer.1), "the same token gets the first answer");
    assert_eq!(log_line(&serve)["performed"], false);
    let said = drain(&serve.stderr);
    assert!(said.iter().any(|line| line.contains("answers again")), "{said:?}");
    assert!(said.iter().all(|line| !line.contains(REDIS_PASSWORD)), "{said:?}");
}

// Policies that change without a restart.

/// Alice may delete the IPsec server through her group `netops`; a dry run
/// is answered `DryRunOperation` when allowed and `Forbidden` when not, and
/// changes nothing, so it can be asked any number of times.
const DRY_DELETE: &str = "RegionId=cn-hangzhou&IpsecServerId=iss-bp1jougp8cfsbo8y9&DryRun=true";

/// The revision the server said it started with.
fn started_revision(serve: &Serve) -> String {
    serve.banner.split("revision ").nth(1).unwrap().trim().trim_end_matches(')').to_owned()
}

/// Writes `text` to `path` the way an editor or a deployment does: beside
/// it, then renamed over it, so that the server never reads half a file.
fn replace_file(path: &Path, text: &str) {
    let temp = path.with_extension("new");
    std::fs::write(&temp, text).unwrap();
    std::fs::rename(&temp, path).unwrap();
}

/// The bundled snapshot with alice out of the group that lets her delete
/// IPsec servers.
fn revoked_snapshot(original: &str) -> String {
    let mut snapshot: Value = serde_json::from_str(original).unwrap();
    snapshot["ListGroupsForUser"]["alice"]["Groups"]["Group"] = serde_json::json!([]);
    serde_json::to_string_pretty(&snapshot).unwrap()
}

/// The next stderr line that contains `needle` (within 30 seconds), and
/// every line before it.
fn wait_stderr(serve: &Serve, needle: &str) -> (String, Vec<String>) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let mut before = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let line = serve.stderr.recv_timeout(left);
        assert!(line.is_ok(), "no stderr line with {needle:?} within 30 s; saw {before:?}");
        let line = line.unwrap();
        if line.contains(needle) {
            return (line, before);
        }
        before.push(line);
    }
}

/// The revision a "reloaded policies" line names.
fn reloaded_revision(serve: &Serve) -> String {
    let (line, before) = wait_stderr(serve, "reloaded policies, revision ");
    assert!(before.is_empty(), "unexpected stderr before the reload: {before:?}");
    line.split("revision ").nth(1).unwrap().split_whitespace().next().unwrap().to_owned()
}

/// Sends SIGHUP to the server.
fn hup(serve: &Serve) {
    let pid = serve.child.id().to_string();
    assert!(Command::new("kill").args(["-HUP", &pid]).status().unwrap().success());
}

/// A dry-run delete by alice: its status, its code and its log line.
fn dry_delete(serve: &Serve, nonce: &str) -> (u16, String, Value) {
    let (status, body) = call(serve, ALICE, None, "DeleteIpsecServer", DRY_DELETE, nonce);
    let line = log_line(serve);
    assert_eq!(line["request_id"], body["RequestId"], "{line}");
    (status, body["Code"].as_str().unwrap_or_default().to_owned(), line)
}

#[test]
fn a_changed_snapshot_takes_effect_without_a_restart_and_sighup_reloads() {
    let serve = start(scratch());
    let snapshot = serve.dir.path().join("account.json");
    let original = std::fs::read_to_string(&snapshot).unwrap();
    let first = started_revision(&serve);
    assert_eq!(first.len(), 16, "{}", serve.banner);

    let (status, code, line) = dry_delete(&serve, "r-1");
    assert_eq!((status, code.as_str()), (400, "DryRunOperation"));
    assert_eq!(line["revision"], first.as_str(), "{line}");

    // The snapshot changes on disk: the next decision is by the new one.
    replace_file(&snapshot, &revoked_snapshot(&original));
    let revoked = reloaded_revision(&serve);
    assert_ne!(revoked, first);
    let (status, code, line) = dry_delete(&serve, "r-2");
    assert_eq!((status, code.as_str()), (403, "Forbidden"), "{line}");
    assert_eq!(line["revision"], revoked.as_str(), "{line}");

    // SIGHUP reloads (nothing changed: it says so, and the server lives on).
    hup(&serve);
    let (line, _) = wait_stderr(&serve, "policies unchanged");
    assert!(line.contains(&revoked), "{line}");

    // Back to the original: the same content is the same revision.
    replace_file(&snapshot, &original);
    hup(&serve);
    assert_eq!(reloaded_revision(&serve), first);
    let (status, code, line) = dry_delete(&serve, "r-3");
    assert_eq!((status, code.as_str()), (400, "DryRunOperation"));
    assert_eq!(line["revision"], first.as_str(), "{line}");
}

#[test]
fn a_broken_change_is_refused_with_its_location_and_the_last_good_policies_stay() {
    let serve = start(scratch());
    let snapshot = serve.dir.path().join("account.json");
    let credentials = serve.dir.path().join("credentials.toml");
    let first = started_revision(&serve);

    // Invalid JSON: refused, located, the old decisions stay.
    replace_file(&snapshot, "{\n  \"AccountId\": \"1234567890123456\",\n  \"ListUsers\": [\n");
    let (line, _) = wait_stderr(&serve, "reload refused");
    assert!(line.contains(&format!("revision {first} stays in force")), "{line}");
    assert!(line.contains("account.json:4:1: invalid JSON"), "the error names the file and where: {line}");
    let (status, code, log) = dry_delete(&serve, "b-1");
    assert_eq!((status, code.as_str()), (400, "DryRunOperation"));
    assert_eq!(log["revision"], first.as_str(), "{log}");

    // Back to a good snapshot, then a key owned by no user of it.
    std::fs::copy(common::repo().join("policies/gateway/account.json"), serve.dir.path().join("account.json.new"))
        .unwrap();
    std::fs::rename(serve.dir.path().join("account.json.new"), &snapshot).unwrap();
    // The same files as those in force: nothing to swap, nothing said
    // unless asked.
    hup(&serve);
    let (line, before) = wait_stderr(&serve, "policies unchanged");
    assert!(line.contains(&first) && before.is_empty(), "{before:?} {line}");
    let text = std::fs::read_to_string(&credentials).unwrap();
    let unknown = text.replacen("user = \"dave\"", "user = \"mallory\"", 1);
    assert_ne!(unknown, text, "the credentials file names dave");
    std::fs::write(&credentials, &unknown).unwrap();
    let (line, _) = wait_stderr(&serve, "reload refused");
    assert!(line.contains("credentials.toml") && line.contains("mallory"), "{line}");
    assert!(!line.contains(DAVE.1) && !line.contains(ALICE.1), "no secret in the error: {line}");
    std::fs::write(&credentials, &text).unwrap();
    hup(&serve);
    let (line, before) = wait_stderr(&serve, "policies unchanged");
    assert!(line.contains(&first) && before.is_empty(), "{before:?} {line}");

    // A credentials file others can read: refused on SIGHUP (a mode change
    // leaves the modification time alone).
    private(&credentials, 0o644);
    hup(&serve);
    let (line, _) = wait_stderr(&serve, "reload refused");
    assert!(line.contains("chmod 600"), "{line}");
    let (status, code, log) = dry_delete(&serve, "b-2");
    assert_eq!((status, code.as_str()), (400, "DryRunOperation"));
    assert_eq!(log["revision"], first.as_str(), "{log}");
}

/// Sends `request` and reads the answer, or says what failed.
fn try_send(addr: SocketAddr, request: &str) -> Result<(u16, Value), String> {
    let mut stream = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    stream.set_read_timeout(Some(Duration::from_secs(10))).map_err(|e| e.to_string())?;
    stream.write_all(request.as_bytes()).map_err(|e| e.to_string())?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).map_err(|e| e.to_string())?;
    let status = answer.split_whitespace().nth(1).and_then(|s| s.parse().ok()).ok_or(format!("no status: {answer}"))?;
    let body = answer.split_once("\r\n\r\n").ok_or(format!("no body: {answer}"))?.1;
    Ok((status, serde_json::from_str(body).map_err(|e| format!("{e}: {body}"))?))
}

#[test]
fn under_load_every_answer_is_the_one_its_revision_gives() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    let serve = start(scratch());
    let snapshot = serve.dir.path().join("account.json");
    let original = std::fs::read_to_string(&snapshot).unwrap();
    let revoked = revoked_snapshot(&original);
    // What each revision answers alice's dry run with.
    let mut expected = std::collections::HashMap::from([(started_revision(&serve), "DryRunOperation")]);

    let stop = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..4)
        .map(|client| {
            let (stop, answered, addr) = (stop.clone(), answered.clone(), serve.addr);
            std::thread::spawn(move || {
                let mut answers = Vec::new();
                for n in 0.. {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let request =
                        signed_to(addr, ALICE, None, "DeleteIpsecServer", DRY_DELETE, &format!("load-{client}-{n}"));
                    answers.push(try_send(addr, &request));
                    answered.fetch_add(1, Ordering::Relaxed);
                }
                answers
            })
        })
        .collect();

    // Each version is in force for at least a few answers before the next.
    let settle = |answered: &AtomicUsize| {
        let from = answered.load(Ordering::Relaxed);
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while answered.load(Ordering::Relaxed) < from + 20 {
            assert!(std::time::Instant::now() < deadline, "the clients stopped getting answers");
            std::thread::sleep(Duration::from_millis(5));
        }
    };
    settle(&answered);
    for swap in 0..20 {
        let (text, code) = if swap % 2 == 0 { (&revoked, "Forbidden") } else { (&original, "DryRunOperation") };
        replace_file(&snapshot, text);
        let revision = reloaded_revision(&serve);
        assert_eq!(*expected.entry(revision).or_insert(code), code, "one revision, two contents");
        settle(&answered);
    }
    stop.store(true, Ordering::Relaxed);
    let answers: Vec<_> = clients.into_iter().flat_map(|c| c.join().unwrap()).collect();
    assert_eq!(expected.len(), 2, "the two versions have a revision each: {expected:?}");

    // The decision log, by request id: the revision each call was decided by.
    let mut logged = std::collections::HashMap::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while logged.len() < answers.len() && std::time::Instant::now() < deadline {
        if let Ok(line) = serve.stdout.recv_timeout(Duration::from_secs(1)) {
            let line: Value = serde_json::from_str(&line).unwrap();
            logged.insert(line["request_id"].as_str().unwrap().to_owned(), line);
        }
    }

    let mut seen = std::collections::HashMap::<&str, usize>::new();
    for answer in &answers {
        assert!(answer.is_ok(), "a request failed: {answer:?}");
        let (status, body) = answer.as_ref().unwrap();
        let code = body["Code"].as_str().unwrap_or_default();
        assert!(
            matches!((status, code), (400, "DryRunOperation") | (403, "Forbidden")),
            "neither the allowed answer nor the denial: {status} {body}"
        );
        let line = &logged[body["RequestId"].as_str().unwrap()];
        let revision = line["revision"].as_str().unwrap();
        assert!(expected.contains_key(revision), "a revision never loaded: {line}");
        let decided = expected[revision];
        assert_eq!(code, decided, "answered otherwise than its revision says: {line}");
        *seen.entry(code).or_default() += 1;
    }
    assert!(seen.len() == 2, "both answers were given: {seen:?}");
    assert!(answers.len() >= 20 * 20, "{} answers", answers.len());
}

#[test]
fn sighup_reopens_the_decision_log_for_rotation() {
    let dir = scratch();
    let config = dir.path().join("gateway.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    let to_file = text.replace("decision_log = \"-\"", "decision_log = \"decisions.log\"");
    assert_ne!(to_file, text, "the bundled configuration logs to stdout");
    std::fs::write(&config, to_file).unwrap();
    let serve = start(dir);
    let log = serve.dir.path().join("decisions.log");
    let rotated = serve.dir.path().join("decisions.log.1");
    let ids = |path: &Path| -> Vec<String> {
        std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap()["request_id"].as_str().unwrap().to_owned())
            .collect()
    };
    let dry = |nonce: &str| {
        let (status, body) = call(&serve, ALICE, None, "DeleteIpsecServer", DRY_DELETE, nonce);
        assert_eq!(status, 400, "{body}");
        body["RequestId"].as_str().unwrap().to_owned()
    };

    let first = dry("rot-1");
    // Moved away as logrotate does: the server writes on to the moved file...
    std::fs::rename(&log, &rotated).unwrap();
    let second = dry("rot-2");
    // ...until SIGHUP, after which it writes to a new file at the path.
    hup(&serve);
    let _ = wait_stderr(&serve, "reopened the decision log");
    let third = dry("rot-3");
    assert_eq!(ids(&rotated), [first, second]);
    assert_eq!(ids(&log), [third]);
}

// Operating the server: /metrics, /healthz, /readyz.

/// One sample of a Prometheus text exposition: its name, labels and value.
type Sample = (String, std::collections::BTreeMap<String, String>, f64);

/// The samples of `text`, in the Prometheus text format: comments skipped,
/// each other line `name{label="value",...} number`.
fn parse_metrics(text: &str) -> Vec<Sample> {
    let mut samples = Vec::new();
    for line in text.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let (series, value) = line.rsplit_once(' ').ok_or_else(|| format!("no value: {line:?}")).unwrap();
        let value: f64 = value.parse().map_err(|_| format!("not a number: {line:?}")).unwrap();
        let (name, labels) = match series.split_once('{') {
            Some((name, rest)) => (name, rest.strip_suffix('}').ok_or_else(|| format!("unclosed: {line:?}")).unwrap()),
            None => (series, ""),
        };
        let labels = labels
            .split(',')
            .filter(|l| !l.is_empty())
            .map(|label| {
                let (key, value) = label.split_once('=').ok_or_else(|| format!("bad label in {line:?}")).unwrap();
                let value = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap();
                (key.to_owned(), value.to_owned())
            })
            .collect();
        samples.push((name.to_owned(), labels, value));
    }
    samples
}

/// The value of the sample `name` with exactly `labels`; 0 when there is
/// none (a series not yet created).
fn sample(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    let wanted: std::collections::BTreeMap<String, String> =
        labels.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    let found: Vec<f64> = samples.iter().filter(|(n, l, _)| n == name && *l == wanted).map(|(_, _, v)| *v).collect();
    assert!(found.len() <= 1, "{name} {labels:?} is given {} times", found.len());
    found.first().copied().unwrap_or(0.0)
}

/// The whole answer to `request`, head and body.
fn whole_answer(addr: SocketAddr, request: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

/// The samples `/metrics` on `addr` gives.
fn scrape(addr: SocketAddr) -> Vec<Sample> {
    let (status, text) = raw_to(addr, "GET", "/metrics", &[], "");
    assert_eq!(status, 200, "{text}");
    parse_metrics(&text)
}

fn requests(samples: &[Sample], operation: &str, outcome: &str) -> f64 {
    sample(samples, "ramguard_requests_total", &[("operation", operation), ("outcome", outcome)])
}

fn auth_failures(samples: &[Sample], code: &str) -> f64 {
    sample(samples, "ramguard_authentication_failures_total", &[("code", code)])
}

const DELETE_CONNECTION: &str = "RegionId=cn-hangzhou&VpnConnectionId=vco-bp1bbi27hojx80nck";

#[test]
fn metrics_count_each_request_under_its_operation_outcome_and_code() {
    let serve = start(scratch());
    assert_eq!(raw(&serve, "GET", "/healthz", &[], ""), (200, "ok\n".to_owned()));
    let (status, body) = raw(&serve, "GET", "/readyz", &[], "");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("store memory") && body.contains(&started_revision(&serve)), "{body}");
    assert_eq!(raw(&serve, "POST", "/metrics", &[], "").0, 405, "the endpoints answer GET and HEAD only");
    let answer = whole_answer(serve.addr, "GET /metrics HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
    let head = answer.split_once("\r\n\r\n").unwrap().0.to_ascii_lowercase();
    assert!(head.contains("content-type: text/plain; version=0.0.4"), "Prometheus's text format: {head}");

    let before = scrape(serve.addr);
    assert_eq!(requests(&before, "vpc:DeleteIpsecServer", "allow"), 0.0);
    assert_eq!(sample(&before, "ramguard_request_duration_seconds_count", &[]), 0.0);

    // Allowed, denied by nothing allowing, denied by a Deny.
    assert_eq!(call(&serve, ALICE, None, "DeleteIpsecServer", DELETE, "m-1").0, 200);
    assert_eq!(log_line(&serve)["outcome"], "Allow");
    assert_eq!(call(&serve, DAVE, None, "DeleteIpsecServer", DELETE, "m-2").0, 403);
    assert_eq!(log_line(&serve)["outcome"], "ImplicitDeny");
    assert_eq!(call(&serve, ALICE, None, "DeleteVpnConnection", DELETE_CONNECTION, "m-3").0, 403);
    assert_eq!(log_line(&serve)["outcome"], "ExplicitDeny");
    // A bad signature, a replayed nonce (its first use allowed, as a dry
    // run), and an action the catalog does not have.
    let (status, body) = call(&serve, (ALICE.0, "not-the-secret"), None, "DeleteIpsecServer", DELETE, "m-4");
    assert_eq!((status, body["Code"].as_str()), (400, Some("SignatureDoesNotMatch")), "{body}");
    let dry = signed(&serve, ALICE, None, "DeleteIpsecServer", DRY_DELETE, "m-5");
    assert_eq!(send(&serve, &dry).0, 400);
    let (status, body) = send(&serve, &dry);
    assert_eq!((status, body["Code"].as_str()), (400, Some("SignatureNonceUsed")), "{body}");
    let (status, body) = call(&serve, ALICE, None, "DeleteNoSuchThing", DELETE, "m-6");
    assert_eq!((status, body["Code"].as_str()), (404, Some("InvalidAction.NotFound")), "{body}");
    // ZStack: a denial, and a session it does not know.
    let json = ("content-type", "application/json");
    let (status, _) = raw(&serve, "PUT", IPSEC, &[("authorization", DAVE_SESSION), json], &state_event("enable"));
    assert_eq!(status, 403);
    let unknown = ("authorization", "OAuth 00000000000000000000000000000000");
    assert_eq!(raw(&serve, "PUT", IPSEC, &[unknown, json], &state_event("enable")).0, 401);

    let after = scrape(serve.addr);
    let delta = |f: &dyn Fn(&[Sample]) -> f64| f(&after) - f(&before);
    assert_eq!(delta(&|s| requests(s, "vpc:DeleteIpsecServer", "allow")), 2.0, "the delete and the dry run");
    assert_eq!(delta(&|s| requests(s, "vpc:DeleteIpsecServer", "implicit_deny")), 1.0);
    assert_eq!(delta(&|s| requests(s, "vpc:DeleteIpsecServer", "explicit_deny")), 0.0);
    assert_eq!(delta(&|s| requests(s, "vpc:DeleteVpnConnection", "explicit_deny")), 1.0);
    assert_eq!(delta(&|s| requests(s, "unknown", "error")), 3.0, "bad signature, replay, unknown action");
    assert_eq!(delta(&|s| requests(s, "zstack:ChangeIPSecConnectionState", "implicit_deny")), 1.0);
    assert_eq!(delta(&|s| requests(s, "zstack:ChangeIPSecConnectionState", "error")), 1.0);
    assert_eq!(delta(&|s| auth_failures(s, "SignatureDoesNotMatch")), 1.0);
    assert_eq!(delta(&|s| auth_failures(s, "SignatureNonceUsed")), 1.0);
    assert_eq!(delta(&|s| auth_failures(s, "ID.1001")), 1.0);
    assert_eq!(delta(&|s| auth_failures(s, "IncompleteSignature")), 0.0);
    assert_eq!(delta(&|s| sample(s, "ramguard_request_duration_seconds_count", &[])), 9.0, "every request counted");
    assert!(delta(&|s| sample(s, "ramguard_request_duration_seconds_sum", &[])) > 0.0);
    let inf = sample(&after, "ramguard_request_duration_seconds_bucket", &[("le", "+Inf")]);
    assert_eq!(inf, 9.0, "the last bucket holds every request");

    // A caller's own action name never becomes a label.
    let (_, text) = raw(&serve, "GET", "/metrics", &[], "");
    assert!(!text.contains("NoSuchThing"), "{text}");
    let revision = started_revision(&serve);
    assert_eq!(sample(&after, "ramguard_policy_revision_info", &[("revision", &revision)]), 1.0);
    assert_eq!(sample(&after, "ramguard_store_errors_total", &[("store", "nonces")]), 0.0);
}

fn reloads(samples: &[Sample], result: &str) -> f64 {
    sample(samples, "ramguard_policy_reloads_total", &[("result", result)])
}

#[test]
fn metrics_count_reloads_by_result_and_name_the_revision_in_force() {
    let serve = start(scratch());
    let snapshot = serve.dir.path().join("account.json");
    let original = std::fs::read_to_string(&snapshot).unwrap();
    let first = started_revision(&serve);
    let at_start = scrape(serve.addr);
    assert_eq!((reloads(&at_start, "ok"), reloads(&at_start, "refused")), (0.0, 0.0));

    replace_file(&snapshot, &revoked_snapshot(&original));
    let revoked = reloaded_revision(&serve);
    let samples = scrape(serve.addr);
    assert_eq!((reloads(&samples, "ok"), reloads(&samples, "refused")), (1.0, 0.0));
    assert_eq!(sample(&samples, "ramguard_policy_revision_info", &[("revision", &revoked)]), 1.0);
    assert_eq!(sample(&samples, "ramguard_policy_revision_info", &[("revision", &first)]), 0.0, "one revision");

    replace_file(&snapshot, "{\n  \"AccountId\": \"1234567890123456\",\n  \"ListUsers\": [\n");
    let _ = wait_stderr(&serve, "reload refused");
    let samples = scrape(serve.addr);
    assert_eq!((reloads(&samples, "ok"), reloads(&samples, "refused")), (1.0, 1.0));
    assert_eq!(sample(&samples, "ramguard_policy_revision_info", &[("revision", &revoked)]), 1.0, "it stays");
    let (status, body) = raw(&serve, "GET", "/readyz", &[], "");
    assert_eq!(status, 200, "the set in force still serves: {body}");

    replace_file(&snapshot, &revoked_snapshot(&original));
    hup(&serve);
    let _ = wait_stderr(&serve, "policies unchanged");
    let samples = scrape(serve.addr);
    assert_eq!((reloads(&samples, "ok"), reloads(&samples, "unchanged")), (1.0, 1.0));
}

#[test]
fn readyz_follows_the_redis_store_and_its_failures_are_counted() {
    let mut redis = RedisServer::start_with_password(REDIS_PASSWORD);
    let serve = start(scratch_with_redis(&redis));
    let (status, body) = raw(&serve, "GET", "/readyz", &[], "");
    assert_eq!((status, body.contains("store redis")), (200, true), "{body}");

    redis.stop();
    let (status, body) = raw(&serve, "GET", "/readyz", &[], "");
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("Redis store did not answer PING"), "{body}");
    assert!(!body.contains(REDIS_PASSWORD) && !body.contains("127.0.0.1"), "no address in the reason: {body}");
    assert_eq!(raw(&serve, "GET", "/healthz", &[], "").0, 200, "alive all the same");
    let (status, _) = call(&serve, ALICE, None, "DeleteIpsecServer", DELETE_WITH_TOKEN, "rz-1");
    assert_eq!(status, 503);
    let samples = scrape(serve.addr);
    assert_eq!(sample(&samples, "ramguard_store_errors_total", &[("store", "nonces")]), 1.0);
    assert_eq!(auth_failures(&samples, "ServiceUnavailable"), 1.0);

    redis.restart();
    let mut ready = (0, String::new());
    for _ in 0..100 {
        ready = raw(&serve, "GET", "/readyz", &[], "");
        if ready.0 == 200 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(ready.0, 200, "ready again once Redis answers: {}", ready.1);
}

#[test]
fn metrics_listen_keeps_the_endpoints_off_the_main_listener() {
    let dir = scratch();
    let config = dir.path().join("gateway.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    let with = text.replacen(
        "listen = \"127.0.0.1:8080\"\n",
        "listen = \"127.0.0.1:8080\"\nmetrics_listen = \"127.0.0.1:0\"\n",
        1,
    );
    assert_ne!(with, text, "the bundled configuration names its listen address");
    std::fs::write(&config, with).unwrap();
    let mut serve = start(dir);
    let line = serve.stderr.recv_timeout(Duration::from_secs(10)).unwrap();
    let ops: SocketAddr = line.split("http://").nth(1).unwrap().trim().parse().unwrap();
    assert_ne!(ops, serve.addr);

    for path in ["/metrics", "/healthz", "/readyz"] {
        let (status, body) = raw(&serve, "GET", path, &[], "");
        assert_eq!(status, 404, "{path} is not on the main listener: {body}");
        assert_eq!(raw_to(ops, "GET", path, &[], "").0, 200, "{path}");
    }
    // The other listener serves nothing else: no RPC, no ZStack.
    let request = signed_to(ops, ALICE, None, "DeleteIpsecServer", DRY_DELETE, "ml-0");
    assert_eq!(send_to(ops, &request).0, 404);

    assert_eq!(call(&serve, DAVE, None, "DeleteIpsecServer", DELETE, "ml-1").0, 403);
    assert_eq!(requests(&scrape(ops), "vpc:DeleteIpsecServer", "implicit_deny"), 1.0);

    let pid = serve.child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    assert_eq!(serve.child.wait().unwrap().code(), Some(0), "both listeners stop on SIGTERM");
}

#[test]
fn a_client_token_redis_will_not_take_is_counted_as_a_store_error_of_client_tokens() {
    let redis = RedisServer::start_with_password(REDIS_PASSWORD);
    // A Redis user that may keep nonces but not client tokens.
    let acl = [
        "ACL",
        "SETUSER",
        "nonces-only",
        "on",
        ">Nonces-Pass-5",
        "~replicas:nonce:*",
        "+@connection",
        "+select",
        "+set",
        "+get",
        "+pttl",
        "+multi",
        "+exec",
        "+eval",
        "+del",
    ];
    let answer = redis.command(&acl);
    assert!(answer.starts_with("+OK"), "{answer}");
    let dir = scratch();
    let path = dir.path().join("gateway.toml");
    let mut config = std::fs::read_to_string(&path).unwrap();
    let url = format!("redis://nonces-only:Nonces-Pass-5@127.0.0.1:{}/0", redis.port());
    config.push_str(&format!("\n[store]\nkind = \"redis\"\nurl = \"{url}\"\nprefix = \"replicas:\"\n"));
    std::fs::write(&path, config).unwrap();
    let serve = start(dir);

    let (status, body) = call(&serve, ALICE, None, "DeleteIpsecServer", DELETE_WITH_TOKEN, "ct-1");
    assert_eq!(status, 503, "{body}");
    assert!(body["Message"].as_str().unwrap().contains("client token could not be checked"), "{body}");
    assert_eq!(log_line(&serve)["performed"], false);
    // Nonces are kept all the same: a call without a token is decided.
    assert_eq!(call(&serve, DAVE, None, "DeleteIpsecServer", DELETE, "ct-2").0, 403);

    let samples = scrape(serve.addr);
    assert_eq!(sample(&samples, "ramguard_store_errors_total", &[("store", "client_tokens")]), 1.0);
    assert_eq!(sample(&samples, "ramguard_store_errors_total", &[("store", "nonces")]), 0.0);
    // The outcome is the policies' decision; the store's refusal is counted apart.
    assert_eq!(requests(&samples, "vpc:DeleteIpsecServer", "allow"), 1.0);
    assert_eq!(requests(&samples, "vpc:DeleteIpsecServer", "implicit_deny"), 1.0);
    assert_eq!(raw(&serve, "GET", "/readyz", &[], "").0, 200, "Redis answers PING");
}

/// The bundled configuration, in a scratch folder, trusting `proxy` to say
/// whom it forwards.
fn scratch_trusting(proxy: &str) -> tempfile::TempDir {
    let dir = scratch();
    let path = dir.path().join("gateway.toml");
    let config = std::fs::read_to_string(&path)
        .unwrap()
        .replace("trusted_proxies = []", &format!("trusted_proxies = [\"{proxy}\"]"));
    std::fs::write(&path, config).unwrap();
    dir
}

/// `request` (a V3-signed request, as `signed` makes it) sent to the check
/// endpoint the way a proxy sends it: the original headers, the original
/// method and URI in `X-Original-*`, no body, and `extra` headers.
fn as_check(request: &str, extra: &[(&str, &str)]) -> String {
    let (head, _) = request.split_once("\r\n\r\n").unwrap();
    let mut lines = head.split("\r\n");
    let mut start = lines.next().unwrap().split(' ');
    let (method, target) = (start.next().unwrap(), start.next().unwrap());
    let mut check =
        format!("GET /ramguard/check HTTP/1.1\r\nx-original-method: {method}\r\nx-original-uri: {target}\r\n");
    for line in lines.filter(|l| !l.starts_with("content-length") && !l.starts_with("connection")) {
        check.push_str(line);
        check.push_str("\r\n");
    }
    for (name, value) in extra {
        check.push_str(&format!("{name}: {value}\r\n"));
    }
    check.push_str("content-length: 0\r\nconnection: close\r\n\r\n");
    check
}

/// Sends `request` and returns the status, the headers (lower-case names)
/// and the body.
fn send_for_headers(addr: SocketAddr, request: &str) -> (u16, Vec<(String, String)>, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let headers = head
        .split("\r\n")
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    (status, headers, body.to_owned())
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

#[test]
fn the_check_endpoint_decides_without_performing_and_answers_refusals_for_proxies() {
    let serve = start(scratch_trusting("127.0.0.1"));

    // Allowed: 200, with who and what; nothing is performed.
    let allowed = as_check(&signed(&serve, ALICE, None, "DeleteIpsecServer", DELETE, "chk-1"), &[]);
    let (status, headers, body) = send_for_headers(serve.addr, &allowed);
    assert_eq!(status, 200, "{body}");
    assert_eq!(header(&headers, "x-ramguard-action"), Some("vpc:DeleteIpsecServer"));
    assert!(header(&headers, "x-ramguard-principal").is_some_and(|p| p.contains("alice")), "{headers:?}");
    let line = log_line(&serve);
    assert_eq!((line["check"].as_bool(), line["allowed"].as_bool()), (Some(true), Some(true)), "{line}");
    assert_eq!(line["performed"], false, "{line}");
    // The nonce is spent: the same request checked again is a replay.
    let (status, _, body) = send_for_headers(serve.addr, &allowed);
    assert_eq!(
        (status, serde_json::from_str::<Value>(&body).unwrap()["Code"].clone()),
        (400, "SignatureNonceUsed".into())
    );
    let _ = log_line(&serve);

    // Denied: the answer the client must get, in the body and in headers.
    let denied = as_check(&signed(&serve, DAVE, None, "DeleteIpsecServer", DELETE, "chk-2"), &[]);
    let (status, headers, body) = send_for_headers(serve.addr, &denied);
    let envelope: Value = serde_json::from_str(&body).unwrap();
    assert_eq!((status, envelope["Code"].as_str()), (403, Some("Forbidden")), "{body}");
    assert!(envelope["AccessDeniedDetail"].is_object(), "{body}");
    assert_eq!(header(&headers, "x-ramguard-status"), Some("403"));
    assert_eq!(serde_json::from_str::<Value>(header(&headers, "x-ramguard-envelope").unwrap()).unwrap(), envelope);
    let line = log_line(&serve);
    assert_eq!((line["outcome"].as_str(), line["allowed"].as_bool()), (Some("ImplicitDeny"), Some(false)), "{line}");

    // For nginx: every refusal with 403, the real status in a header.
    let wrong = as_check(
        &signed(&serve, (ALICE.0, "not-the-secret"), None, "DeleteIpsecServer", DELETE, "chk-3"),
        &[("x-ramguard-refusal-status", "403")],
    );
    let (status, headers, body) = send_for_headers(serve.addr, &wrong);
    assert_eq!(status, 403, "{body}");
    assert_eq!(header(&headers, "x-ramguard-status"), Some("400"));
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["Code"], "SignatureDoesNotMatch");

    // Without `X-Original-*`, the path after the endpoint and its query are the original's.
    let request = signed(&serve, ALICE, None, "DeleteIpsecServer", DELETE, "chk-4");
    let prefixed = request.replacen("POST /?", "POST /ramguard/check/?", 1);
    let (status, _, body) = send_for_headers(serve.addr, &prefixed);
    assert_eq!(status, 200, "{body}");
    let _ = log_line(&serve);

    // A signature over a body the check did not get cannot be decided.
    let (mut parts, body) = http::Request::post(format!("http://{}/", serve.addr))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Bytes::from_static(b"RegionId=cn-hangzhou&IpsecServerId=iss-bp1jougp8cfsbo8y9"))
        .unwrap()
        .into_parts();
    let secret = Secret::new(ALICE.1);
    let signing = v3::V3Signing::new(
        ALICE.0,
        &secret,
        "DeleteIpsecServer",
        "2016-04-28",
        time::OffsetDateTime::now_utc(),
        "chk-5",
    );
    v3::sign(&mut parts, &body, &signing).unwrap();
    let mut check = String::from("GET /ramguard/check HTTP/1.1\r\nx-original-method: POST\r\nx-original-uri: /\r\n");
    for (name, value) in &parts.headers {
        check.push_str(&format!("{name}: {}\r\n", value.to_str().unwrap()));
    }
    check.push_str("content-length: 0\r\nconnection: close\r\n\r\n");
    let (status, _, answer) = send_for_headers(serve.addr, &check);
    let envelope: Value = serde_json::from_str(&answer).unwrap();
    assert_eq!((status, envelope["Code"].as_str()), (400, Some("InvalidParameter")), "{answer}");
    assert!(envelope["Message"].as_str().unwrap().contains("body that the check did not receive"), "{answer}");
    // With the body passed along, the same call is decided.
    let with_body = check.replace("content-length: 0\r\n", &format!("content-length: {}\r\n", body.len()))
        + std::str::from_utf8(&body).unwrap();
    let (status, _, answer) = send_for_headers(serve.addr, &with_body);
    assert_eq!(status, 200, "{answer}");

    // Nothing was performed: the IPsec server is still there to delete,
    // once, by a call served.
    let _ = log_line(&serve);
    let _ = log_line(&serve);
    let (status, body) = call(&serve, ALICE, None, "DeleteIpsecServer", DELETE, "chk-6");
    assert_eq!(status, 200, "{body}");
    let (status, body) = call(&serve, ALICE, None, "DeleteIpsecServer", DELETE, "chk-7");
    assert_ne!(status, 200, "a second deletion finds nothing: {body}");

    // Checks are counted as requests are: three checks and two calls
    // allowed, dave's check denied, the two refusals by their codes.
    let samples = scrape(serve.addr);
    assert_eq!(requests(&samples, "vpc:DeleteIpsecServer", "allow"), 5.0);
    assert_eq!(requests(&samples, "vpc:DeleteIpsecServer", "implicit_deny"), 1.0);
    assert_eq!(auth_failures(&samples, "SignatureNonceUsed"), 1.0);
    assert_eq!(auth_failures(&samples, "SignatureDoesNotMatch"), 1.0);
}

/// A proxy (nginx or caddy) started by a test, stopped when dropped.
struct Proxy {
    child: Child,
    addr: SocketAddr,
    /// Its configuration and logs, removed when it stops.
    _dir: tempfile::TempDir,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port nothing listens on now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The path of `program`, or a failure that says how to install it.
fn installed(program: &str, package: &str) -> std::path::PathBuf {
    let found = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .chain(["/usr/sbin".into(), "/usr/local/sbin".into()])
        .map(|dir| dir.join(program))
        .find(|path| path.is_file());
    assert!(found.is_some(), "`{program}` is not installed: install Debian's `{package}` (apt-get install {package})");
    found.unwrap()
}

/// Starts `command` and waits (up to 10 s) until `addr` accepts
/// connections; `log` is where it says why it did not.
fn start_proxy(mut command: Command, addr: SocketAddr, dir: tempfile::TempDir, log: &Path) -> Proxy {
    let child = command.stdin(Stdio::null()).stdout(Stdio::null()).spawn().unwrap();
    let mut proxy = Proxy { child, addr, _dir: dir };
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(addr).is_err() {
        let failed = std::time::Instant::now() > deadline || proxy.child.try_wait().unwrap().is_some();
        assert!(!failed, "the proxy did not start: {}", std::fs::read_to_string(log).unwrap_or_default());
        std::thread::sleep(Duration::from_millis(20));
    }
    proxy
}

/// nginx on a free port: each request is first checked by `check` with
/// `auth_request`, then, if let through, proxied to `service`. nginx
/// reaches `check` from 127.0.0.3, the address it is trusted at.
fn nginx(check: SocketAddr, service: SocketAddr) -> Proxy {
    let program = installed("nginx", "nginx");
    let dir = tempfile::tempdir().unwrap();
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let template = std::fs::read_to_string(common::repo().join("policies/gateway/proxies/nginx.conf")).unwrap();
    let config = template
        .replace("127.0.0.1:8443", &addr.to_string())
        .replace("127.0.0.1:8080", &check.to_string())
        .replace("127.0.0.1:9090", &service.to_string());
    let prefix = dir.path();
    let config = format!(
        "daemon off;\nmaster_process off;\npid {p}/nginx.pid;\nerror_log {p}/error.log info;\nevents {{ worker_connections 256; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path {p}/body;\n  proxy_temp_path {p}/proxy;\n  fastcgi_temp_path {p}/fastcgi;\n  \
         uwsgi_temp_path {p}/uwsgi;\n  scgi_temp_path {p}/scgi;\n{config}\n}}\n",
        p = prefix.display()
    );
    std::fs::write(prefix.join("nginx.conf"), config).unwrap();
    let mut command = Command::new(program);
    command.arg("-p").arg(prefix).arg("-e").arg(prefix.join("error.log")).arg("-c").arg(prefix.join("nginx.conf"));
    command.stderr(Stdio::null());
    let log = prefix.join("error.log");
    start_proxy(command, addr, dir, &log)
}

/// caddy on a free port: each request is first checked by `check` with
/// `forward_auth`, then, if let through, proxied to `service`.
fn caddy(check: SocketAddr, service: SocketAddr) -> Proxy {
    let program = installed("caddy", "caddy");
    let dir = tempfile::tempdir().unwrap();
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let template = std::fs::read_to_string(common::repo().join("policies/gateway/proxies/Caddyfile")).unwrap();
    let config = template
        .replace("127.0.0.1:8443", &addr.to_string())
        .replace("127.0.0.1:8080", &check.to_string())
        .replace("127.0.0.1:9090", &service.to_string());
    let caddyfile = dir.path().join("Caddyfile");
    std::fs::write(&caddyfile, config).unwrap();
    let log = dir.path().join("caddy.log");
    let mut command = Command::new(program);
    command
        .args(["run", "--adapter", "caddyfile", "--config"])
        .arg(&caddyfile)
        .env("HOME", dir.path())
        .env("XDG_DATA_HOME", dir.path().join("data"))
        .env("XDG_CONFIG_HOME", dir.path().join("config"))
        .stderr(std::fs::File::create(&log).unwrap());
    start_proxy(command, addr, dir, &log)
}

/// The official SDKs through `proxy`, which asks `check` and forwards to
/// `service` (a second `ramguard serve` standing for the cloud): an allowed
/// call is made by the service, a denied one reaches the SDK as the same
/// `Forbidden` it gets from ramguard directly, and a call the check cannot
/// decide without its body is refused, never let through.
fn sdks_through(proxy: &Proxy, check: &Serve, service: &Serve) {
    let server = serde_json::json!({"server": "iss-bp1jougp8cfsbo8y9"});

    // Denied (dave), through the proxy and directly: the same answer but for the request id.
    let through = sdk_at(proxy.addr, "delete_ipsec_server", &key_args(DAVE, server.clone()));
    let direct = sdk_at(service.addr, "delete_ipsec_server", &key_args(DAVE, server.clone()));
    assert_eq!(
        (through[0]["code"].as_str(), through[0]["status"].as_u64()),
        (Some("Forbidden"), Some(403)),
        "{through}"
    );
    let strip = |v: &Value| {
        let mut body = v[0]["data"].clone();
        for id in ["RequestId", "requestId", "Recommend", "HostId", "EncodedDiagnosticMessage"] {
            if let Some(o) = body.as_object_mut() {
                o.remove(id);
            }
            if let Some(o) = body["AccessDeniedDetail"].as_object_mut() {
                o.remove(id);
            }
        }
        if let Some(o) = body.as_object_mut() {
            o.retain(|k, _| !k.contains("headers") && k != "statusCode");
        }
        body
    };
    assert_eq!(strip(&through), strip(&direct), "through {through}\ndirect {direct}");
    // Decided with the client's address, which the proxy, being trusted, named.
    let message = ramguard::decision::decode_diagnostic_message(
        through[0]["data"]["AccessDeniedDetail"]["EncodedDiagnosticMessage"].as_str().unwrap(),
    )
    .unwrap();
    let source = message.auth_conditions.iter().find(|c| c.key == "acs:sourceip").map(|c| c.values.clone());
    assert_eq!(source, Some(vec!["127.0.0.1".to_owned()]), "{message:?}");
    assert!(through[0]["data"]["AccessDeniedDetail"]["AuthAction"] == "vpc:DeleteIpsecServer", "{through}");
    let line = log_line(check);
    assert_eq!((line["check"].as_bool(), line["allowed"].as_bool()), (Some(true), Some(false)), "{line}");
    let _ = log_line(service);

    // A bad signature: the SDK raises the same code as from ramguard directly.
    let wrong = sdk_at(proxy.addr, "delete_ipsec_server", &key_args((ALICE.0, "not-the-secret"), server.clone()));
    assert_eq!(
        (wrong[0]["code"].as_str(), wrong[0]["status"].as_u64()),
        (Some("SignatureDoesNotMatch"), Some(400)),
        "{wrong}"
    );
    let _ = log_line(check);

    // The V1 client: denied by the account's control policy.
    let v1 = sdk_at(
        proxy.addr,
        "v1_delete_vpn_connection",
        &key_args(ALICE, serde_json::json!({"connection": "vco-bp1bbi27hojx80nck"})),
    );
    assert_eq!((v1["code"].as_str(), v1["status"].as_u64()), (Some("Forbidden"), Some(403)), "{v1}");
    assert!(v1["raw_body"]["AccessDeniedDetail"].is_object(), "{v1}");

    // The ECR client sends its parameters in a form body, which the proxy does not pass to the check.
    let ecr = sdk_at(
        proxy.addr,
        "revoke_instance",
        &key_args(ALICE, serde_json::json!({"instance": "vbr-j6cwxhgg0s5nuephp", "type": "VBR"})),
    );
    assert_eq!((ecr["code"].as_str(), ecr["status"].as_u64()), (Some("InvalidParameter"), Some(400)), "{ecr}");

    // Allowed (alice): let through, and made by the service behind.
    drain(&check.stdout);
    drain(&service.stdout);
    let allowed = sdk_at(proxy.addr, "delete_ipsec_server", &key_args(ALICE, server));
    assert_eq!(allowed[0]["status"], 200, "{allowed}");
    assert!(allowed[0]["body"]["RequestId"].is_string(), "{allowed}");
    let checked = log_line(check);
    assert_eq!((checked["allowed"].as_bool(), checked["performed"].as_bool()), (Some(true), Some(false)), "{checked}");
    let made = log_line(service);
    assert_eq!(
        (made["action"].as_str(), made["performed"].as_bool()),
        (Some("vpc:DeleteIpsecServer"), Some(true)),
        "{made}"
    );
}

#[test]
fn behind_nginx_auth_request_the_sdks_get_the_answers_ramguard_gives() {
    let check = start(scratch_trusting("127.0.0.3"));
    let service = start(scratch());
    let proxy = nginx(check.addr, service.addr);
    sdks_through(&proxy, &check, &service);
}

#[test]
fn behind_caddy_forward_auth_the_sdks_get_the_answers_ramguard_gives() {
    let check = start(scratch_trusting("127.0.0.1"));
    let service = start(scratch());
    let proxy = caddy(check.addr, service.addr);
    sdks_through(&proxy, &check, &service);
}

#[test]
fn decision_log_lines_are_whole_under_concurrent_requests_and_replicas_sharing_a_file() {
    let shared = tempfile::tempdir().unwrap();
    let log = shared.path().join("decisions.log");
    let replica = || {
        let dir = scratch();
        let config = dir.path().join("gateway.toml");
        let text = std::fs::read_to_string(&config).unwrap();
        std::fs::write(
            &config,
            text.replace("decision_log = \"-\"", &format!("decision_log = {:?}", log.display().to_string())),
        )
        .unwrap();
        start(dir)
    };
    let replicas = [replica(), replica()];
    const THREADS: usize = 4;
    const EACH: usize = 50;
    let ids: Vec<String> = std::thread::scope(|scope| {
        let sent: Vec<_> = (0..THREADS * replicas.len())
            .map(|t| {
                let addr = replicas[t % replicas.len()].addr;
                scope.spawn(move || {
                    (0..EACH)
                        .map(|i| {
                            let nonce = format!("torn-{t}-{i}");
                            let request = signed_to(addr, ALICE, None, "DeleteIpsecServer", DRY_DELETE, &nonce);
                            let (status, body) = send_to(addr, &request);
                            assert_eq!(status, 400, "{body}");
                            body["RequestId"].as_str().unwrap().to_owned()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        sent.into_iter().flat_map(|s| s.join().unwrap()).collect()
    });
    drop(replicas);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.ends_with('\n'), "the last line is whole");
    let mut logged: Vec<String> = text
        .lines()
        .map(|l| {
            let line: Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("a torn or interleaved line ({e}): {l:?}"));
            line["request_id"].as_str().unwrap().to_owned()
        })
        .collect();
    let mut expected = ids;
    logged.sort();
    expected.sort();
    assert_eq!(logged.len(), THREADS * 2 * EACH);
    assert_eq!(logged, expected, "each request's line, once");
}

/// A scratch folder running `policies/gateway/replica.toml` as it is
/// shipped, but for the Redis URL, the addresses (free ports) and the
/// paths, which are the scratch folder's.
fn scratch_replica(redis: &RedisServer) -> tempfile::TempDir {
    let dir = scratch();
    let shipped = std::fs::read_to_string(common::repo().join("policies/gateway/replica.toml")).unwrap();
    let config = shipped
        .replace("redis://127.0.0.1:6379/0", &redis.url())
        .replace("listen = \"127.0.0.1:8080\"", "listen = \"127.0.0.1:0\"")
        .replace("metrics_listen = \"127.0.0.1:9090\"", "metrics_listen = \"127.0.0.1:0\"")
        .replace("../worlds/network.json", "world.json")
        .replace("../../target/gateway/replica-world.json", "state/world.json");
    for line in ["url = ", "listen = ", "metrics_listen = ", "world = ", "state = "] {
        assert!(config.lines().any(|l| l.starts_with(line)), "the shipped replica.toml has no `{line}`");
    }
    std::fs::write(dir.path().join("gateway.toml"), config).unwrap();
    dir
}

#[test]
fn the_shipped_replica_configuration_runs_replicas_that_perform_a_client_token_call_once() {
    let redis = RedisServer::start_with_password(REDIS_PASSWORD);
    let replicas = [start(scratch_replica(&redis)), start(scratch_replica(&redis))];
    // Each says where its operations listener is, and is ready (Redis answers).
    for replica in &replicas {
        let line = replica.stderr.recv_timeout(Duration::from_secs(10)).unwrap();
        let ops: SocketAddr = line.rsplit("http://").next().unwrap().trim().parse().unwrap();
        assert_eq!(raw_to(ops, "GET", "/readyz", &[], "").0, 200, "{line}");
    }
    let query = "RegionId=cn-hangzhou&IpsecServerId=iss-bp1jougp8cfsbo8y9&ClientToken=replica-toml-1";
    let answers: Vec<(u16, Value)> = std::thread::scope(|scope| {
        let sent: Vec<_> = replicas
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let (addr, request) =
                    (r.addr, signed(r, ALICE, None, "DeleteIpsecServer", query, &format!("replica-toml-{i}")));
                scope.spawn(move || send_to(addr, &request))
            })
            .collect();
        sent.into_iter().map(|s| s.join().unwrap()).collect()
    });
    assert!(answers.iter().all(|(status, _)| *status == 200), "{answers:?}");
    assert_eq!(answers[0].1, answers[1].1, "one answer for both");
    // Their decision logs (files, as shipped) say one performed it.
    let performed: usize = replicas
        .iter()
        .map(|r| {
            let path = r.dir.path().join("decisions.log");
            let deadline = std::time::Instant::now() + Duration::from_secs(10);
            let text = loop {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                if text.ends_with('\n') || std::time::Instant::now() > deadline {
                    break text;
                }
                std::thread::sleep(Duration::from_millis(20));
            };
            text.lines().filter(|l| serde_json::from_str::<Value>(l).unwrap()["performed"] == true).count()
        })
        .sum();
    assert_eq!(performed, 1);
}
