//! `ramguard serve` with `[tls]`, as a user runs it: the bundled
//! configuration in a scratch folder with a self-signed certificate made
//! for the test, the server on a free loopback port, and V3-signed
//! requests sent over TLS by a rustls client that trusts that certificate
//! only.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests unwrap and index what they just built")]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use ramguard_gateway::signature::{Secret, v3};
use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::Value;

const DAVE: (&str, &str) = ("LTAI5tDaveExampleKey", "DaveSecret456");
/// A dry-run delete: `DryRunOperation` when allowed, `Forbidden` when not.
const DRY_DELETE: &str = "RegionId=cn-hangzhou&IpsecServerId=iss-bp1jougp8cfsbo8y9&DryRun=true";

struct Serve {
    child: Child,
    addr: SocketAddr,
    dir: tempfile::TempDir,
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

fn private(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// The bundled gateway configuration in a scratch folder, with dave
/// allowed to delete IPsec servers over TLS only.
fn scratch() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let gateway = common::repo().join("policies/gateway");
    std::fs::copy(gateway.join("credentials.toml"), dir.path().join("credentials.toml")).unwrap();
    std::fs::copy(common::repo().join("policies/worlds/network.json"), dir.path().join("world.json")).unwrap();
    let config = std::fs::read_to_string(gateway.join("gateway.toml"))
        .unwrap()
        .replace("zstack_sessions = \"zstack-sessions.toml\"\n", "")
        .replace("decision_log = \"-\"\n", "")
        .replace("../worlds/network.json", "world.json")
        .replace("../../target/gateway/world.json", "state/world.json");
    std::fs::write(dir.path().join("gateway.toml"), config).unwrap();
    private(&dir.path().join("credentials.toml"), 0o600);

    let mut snapshot: Value =
        serde_json::from_str(&std::fs::read_to_string(gateway.join("account.json")).unwrap()).unwrap();
    let document = serde_json::json!({"Version": "1", "Statement": [{
        "Effect": "Allow",
        "Action": "vpc:DeleteIpsecServer",
        "Resource": "*",
        "Condition": {"Bool": {"acs:SecureTransport": "true"}},
    }]});
    snapshot["GetPolicyVersion"]["Custom"]["TlsOnlyIpsecDeletes"] = serde_json::json!({
        "PolicyVersion": {"VersionId": "v1", "IsDefaultVersion": true, "CreateDate": "2026-03-01T08:00:00Z",
            "PolicyDocument": document.to_string()},
        "RequestId": "tls-REQUEST",
    });
    snapshot["ListPoliciesForUser"]["dave"]["Policies"]["Policy"] = serde_json::json!([{
        "PolicyName": "TlsOnlyIpsecDeletes", "PolicyType": "Custom", "DefaultVersion": "v1",
        "Description": "", "AttachDate": "2026-03-02T08:00:00Z",
    }]);
    std::fs::write(dir.path().join("account.json"), snapshot.to_string()).unwrap();
    dir
}

/// A new self-signed certificate for `localhost`: its DER, its PEM and
/// its private key's PEM.
fn certificate() -> (CertificateDer<'static>, String, String) {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    (made.cert.der().clone(), made.cert.pem(), made.signing_key.serialize_pem())
}

/// Writes `text` beside `path` with `mode`, then renames it over `path`,
/// as a deployment does.
fn replace_file(path: &Path, text: &str, mode: u32) {
    let temp = path.with_extension("new");
    std::fs::write(&temp, text).unwrap();
    private(&temp, mode);
    std::fs::rename(&temp, path).unwrap();
}

/// Gives `dir` a certificate and key (the key private) and a `[tls]`
/// section naming them.
fn with_tls(dir: &Path, cert: &str, key: &str) {
    replace_file(&dir.join("server.crt"), cert, 0o644);
    replace_file(&dir.join("server.key"), key, 0o600);
    let mut config = std::fs::read_to_string(dir.join("gateway.toml")).unwrap();
    config.push_str("\n[tls]\ncert = \"server.crt\"\nkey = \"server.key\"\n");
    std::fs::write(dir.join("gateway.toml"), config).unwrap();
}

fn command(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ramguard"));
    command.args(["serve", "--config"]).arg(dir.join("gateway.toml")).args(["--listen", "127.0.0.1:0"]);
    command
}

fn start(dir: tempfile::TempDir) -> Serve {
    let mut child =
        command(dir.path()).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    assert!(line.contains("listening on http"), "ramguard serve did not say where it listens: {line:?}");
    let addr = line.split("://").nth(1).unwrap().split_whitespace().next().unwrap().parse().unwrap();
    let (send, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            let _ = send.send(line);
        }
    });
    Serve { child, addr, dir, stderr: lines, banner: line }
}

/// The next stderr line that contains `needle` (within 30 seconds).
fn wait_stderr(serve: &Serve, needle: &str) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let mut before = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let line = serve.stderr.recv_timeout(left);
        assert!(line.is_ok(), "no stderr line with {needle:?} within 30 s; saw {before:?}");
        let line = line.unwrap();
        if line.contains(needle) {
            return line;
        }
        before.push(line);
    }
}

/// A dry-run delete by dave, V3-signed as the SDKs sign it.
fn dry_delete(addr: SocketAddr, nonce: &str) -> String {
    let (mut parts, body) =
        http::Request::post(format!("https://{addr}/?{DRY_DELETE}")).body(Bytes::new()).unwrap().into_parts();
    let secret = Secret::new(DAVE.1);
    let signing =
        v3::V3Signing::new(DAVE.0, &secret, "DeleteIpsecServer", "2016-04-28", time::OffsetDateTime::now_utc(), nonce);
    v3::sign(&mut parts, &body, &signing).unwrap();
    let mut request = format!("POST {} HTTP/1.1\r\n", parts.uri.path_and_query().unwrap());
    for (name, value) in &parts.headers {
        request.push_str(&format!("{name}: {}\r\n", value.to_str().unwrap()));
    }
    request.push_str("content-length: 0\r\nconnection: close\r\n\r\n");
    request
}

/// The status and the `Code` of an answer.
fn status_and_code(answer: &str) -> (u16, String) {
    let status = answer.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body: Value = serde_json::from_str(answer.split_once("\r\n\r\n").unwrap().1).unwrap();
    (status, body["Code"].as_str().unwrap_or_default().to_owned())
}

/// Sends `request` over plain TCP and returns all it got back.
fn send_plain(addr: SocketAddr, request: &str) -> std::io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.write_all(request.as_bytes())?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    Ok(answer)
}

/// Sends `request` over TLS, trusting `root` only, and returns the
/// certificate the server presented, the protocol it agreed and its answer.
fn send_tls(addr: SocketAddr, root: &CertificateDer<'static>, request: &str) -> (CertificateDer<'static>, String) {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(root.clone()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let name = ServerName::try_from("localhost").unwrap();
    let connection = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let socket = TcpStream::connect(addr).unwrap();
    socket.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut stream = rustls::StreamOwned::new(connection, socket);
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert_eq!(stream.conn.alpn_protocol(), Some(&b"http/1.1"[..]), "the server agrees HTTP/1.1");
    let presented = stream.conn.peer_certificates().unwrap()[0].clone().into_owned();
    (presented, answer)
}

#[test]
fn secure_transport_is_true_over_tls_and_false_over_plain_http() {
    let (cert, cert_pem, key_pem) = certificate();
    let dir = scratch();
    with_tls(dir.path(), &cert_pem, &key_pem);
    let secure = start(dir);
    assert!(secure.banner.contains("listening on https://"), "{}", secure.banner);
    let plain = start(scratch());
    assert!(plain.banner.contains("listening on http://"), "{}", plain.banner);

    // The policy allows dave's delete when acs:SecureTransport is true.
    let (presented, answer) = send_tls(secure.addr, &cert, &dry_delete(secure.addr, "tls-1"));
    assert_eq!(presented, cert);
    assert_eq!(status_and_code(&answer), (400, "DryRunOperation".to_owned()), "{answer}");
    let answer = String::from_utf8(send_plain(plain.addr, &dry_delete(plain.addr, "plain-1")).unwrap()).unwrap();
    assert_eq!(status_and_code(&answer), (403, "Forbidden".to_owned()), "{answer}");

    // Plain HTTP to the TLS port is not served: the connection ends (or
    // breaks) without an HTTP answer.
    match send_plain(secure.addr, &dry_delete(secure.addr, "plain-2")) {
        Ok(answer) => assert!(!answer.starts_with(b"HTTP/"), "{}", String::from_utf8_lossy(&answer)),
        Err(e) => assert!(
            !matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut),
            "the connection was held open: {e}"
        ),
    }
}

#[test]
fn a_renewed_certificate_is_used_for_new_connections_and_a_broken_one_is_refused() {
    let (a, a_pem, a_key) = certificate();
    let dir = scratch();
    with_tls(dir.path(), &a_pem, &a_key);
    let serve = start(dir);
    let (presented, _) = send_tls(serve.addr, &a, &dry_delete(serve.addr, "r-1"));
    assert_eq!(presented, a);

    // The pair is renewed on disk: new connections get B.
    let (b, b_pem, b_key) = certificate();
    assert_ne!(a, b);
    let cert = serve.dir.path().join("server.crt");
    let key = serve.dir.path().join("server.key");
    replace_file(&key, &b_key, 0o600);
    replace_file(&cert, &b_pem, 0o644);
    let line = wait_stderr(&serve, "reloaded the TLS certificate");
    assert!(line.contains("server.crt"), "{line}");
    let (presented, answer) = send_tls(serve.addr, &b, &dry_delete(serve.addr, "r-2"));
    assert_eq!(presented, b);
    assert_eq!(status_and_code(&answer), (400, "DryRunOperation".to_owned()), "{answer}");

    // SIGHUP reads the pair again: the same pair, nothing swapped.
    let pid = serve.child.id().to_string();
    assert!(Command::new("kill").args(["-HUP", &pid]).status().unwrap().success());
    wait_stderr(&serve, "TLS certificate unchanged");

    // A certificate file that holds no certificate: refused, named, and B
    // stays in force.
    replace_file(&cert, "not a certificate\n", 0o644);
    let line = wait_stderr(&serve, "TLS reload refused");
    assert!(line.contains("server.crt") && line.contains("holds no certificate"), "{line}");
    let (presented, answer) = send_tls(serve.addr, &b, &dry_delete(serve.addr, "r-3"));
    assert_eq!(presented, b);
    assert_eq!(status_and_code(&answer), (400, "DryRunOperation".to_owned()), "{answer}");
}

/// What `ramguard serve` says when it does not start, after checking that
/// it exits 1.
fn refused(dir: &Path) -> String {
    let mut child = command(dir).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let mut status = child.try_wait().unwrap();
    while status.is_none() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        status = child.try_wait().unwrap();
    }
    if status.is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
    assert!(status.is_some(), "ramguard serve went on running where it should have refused to start");
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    assert_eq!(status.unwrap().code(), Some(1), "{stderr}");
    stderr
}

#[test]
fn serve_refuses_to_start_with_a_key_that_does_not_match_or_a_missing_or_open_file() {
    let (_, cert_pem, _) = certificate();
    let (_, _, other_key) = certificate();
    let dir = scratch();
    with_tls(dir.path(), &cert_pem, &other_key);
    let stderr = refused(dir.path());
    assert!(stderr.contains("server.key: does not match the certificate in"), "{stderr}");
    assert!(!stderr.contains("PRIVATE KEY"), "no key in the error: {stderr}");

    let (_, cert_pem, key_pem) = certificate();
    replace_file(&dir.path().join("server.key"), &key_pem, 0o644);
    replace_file(&dir.path().join("server.crt"), &cert_pem, 0o644);
    let stderr = refused(dir.path());
    assert!(stderr.contains("server.key") && stderr.contains("chmod 600"), "{stderr}");

    private(&dir.path().join("server.key"), 0o600);
    std::fs::remove_file(dir.path().join("server.crt")).unwrap();
    let stderr = refused(dir.path());
    assert!(stderr.contains("server.crt"), "{stderr}");
}
