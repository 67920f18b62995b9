//! A `redis-server` of the test's own, on a free loopback port, for the
//! tests of the Redis stores: started with no persistence in a temporary
//! folder, waited for until it answers `PING`, and killed when dropped (or
//! by [`RedisServer::stop`], to see what the gateway does without it, and
//! started again on the same port by [`RedisServer::restart`]).
//!
//! A machine without `redis-server` fails the test that asked, saying what
//! to install: these tests never pass by skipping.
//!
//! A test file includes it with `#[path = "../../tests/common/redis.rs"]
//! mod redis_server;` (from `gateway/tests/` or `cli/tests/`).

#![allow(dead_code, reason = "each test file uses a part of it")]
#![allow(clippy::panic, clippy::unwrap_used, reason = "a test without its server must fail, not skip")]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// What a machine needs, in the words of the failure that says it lacks it.
const NEEDED: &str = "redis-server is required to test the Redis stores: apt-get install redis-server";

/// How long a server may take to answer after it is started.
const START: Duration = Duration::from_secs(10);

/// A running `redis-server`, killed on drop.
#[derive(Debug)]
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    password: Option<String>,
    dir: tempfile::TempDir,
}

impl RedisServer {
    /// A server on a free loopback port.
    pub fn start() -> Self {
        Self::start_with(None)
    }

    /// A server that asks for `password` (`--requirepass`).
    pub fn start_with_password(password: &str) -> Self {
        Self::start_with(Some(password))
    }

    fn start_with(password: Option<&str>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        // Another process may take the port between the probe and the
        // start: try a few.
        let mut last = String::new();
        for _ in 0..5 {
            let port = free_port();
            match spawn(port, password, &dir) {
                Ok(child) => return Self { child: Some(child), port, password: password.map(str::to_owned), dir },
                Err(message) => last = message,
            }
        }
        panic!("redis-server did not start: {last}");
    }

    /// `redis://127.0.0.1:<port>/0`, with `default:<password>@` when it has one.
    pub fn url(&self) -> String {
        match &self.password {
            Some(password) => format!("redis://default:{password}@127.0.0.1:{}/0", self.port),
            None => format!("redis://127.0.0.1:{}/0", self.port),
        }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Kills the server and waits until it has exited (its port is free).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port, empty.
    pub fn restart(&mut self) {
        self.stop();
        let started = Instant::now();
        loop {
            match spawn(self.port, self.password.as_deref(), &self.dir) {
                Ok(child) => {
                    self.child = Some(child);
                    return;
                }
                Err(message) if started.elapsed() > START => panic!("redis-server did not start again: {message}"),
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    /// Sends one command (as RESP) and returns the raw answer.
    pub fn command(&self, args: &[&str]) -> String {
        command(self.port, self.password.as_deref(), args)
            .unwrap_or_else(|e| panic!("redis-server on {}: {e}", self.port))
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Starts `redis-server` on `port` and waits until it answers `PING`.
fn spawn(port: u16, password: Option<&str>, dir: &tempfile::TempDir) -> Result<Child, String> {
    let mut redis = Command::new("redis-server");
    redis.args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]);
    redis.arg("--dir").arg(dir.path());
    if let Some(password) = password {
        redis.args(["--requirepass", password]);
    }
    let mut child = match redis.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).spawn() {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!("{NEEDED}"),
        Err(e) => panic!("redis-server: {e} ({NEEDED})"),
    };
    let started = Instant::now();
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("redis-server on port {port} exited: {status}"));
        }
        if command(port, password, &["PING"]).is_ok_and(|answer| answer.starts_with("+PONG")) {
            return Ok(child);
        }
        if started.elapsed() > START {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("redis-server on port {port} did not answer within {} s", START.as_secs()));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// One command over a connection of its own (authenticated first with
/// `password`); its reply.
fn command(port: u16, password: Option<&str>, args: &[&str]) -> Result<String, String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).map_err(|e| e.to_string())?;
    if let Some(password) = password {
        let ok = reply(&mut stream, &["AUTH", password])?;
        if !ok.starts_with("+OK") {
            return Err(format!("AUTH: {ok}"));
        }
    }
    reply(&mut stream, args)
}

/// Sends one command on `stream` and reads its reply (a status, an error,
/// an integer or a bulk string).
fn reply(stream: &mut TcpStream, args: &[&str]) -> Result<String, String> {
    let mut request = format!("*{}\r\n", args.len());
    for arg in args {
        request.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
    }
    stream.write_all(request.as_bytes()).map_err(|e| e.to_string())?;
    let mut answer = Vec::new();
    let mut buffer = [0_u8; 4096];
    // A reply ends with CRLF; a bulk string has two lines.
    loop {
        let n = stream.read(&mut buffer).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        answer.extend_from_slice(buffer.get(..n).unwrap_or_default());
        let text = String::from_utf8_lossy(&answer);
        let lines = text.matches("\r\n").count();
        let complete = match text.chars().next() {
            Some('$') if text.starts_with("$-1") => lines >= 1,
            Some('$') => lines >= 2,
            Some(_) => lines >= 1,
            None => false,
        };
        if complete {
            break;
        }
    }
    Ok(String::from_utf8_lossy(&answer).into_owned())
}
