//! In-memory services that behave as the VPC and ExpressConnect Router APIs
//! are documented to, with a clock the caller controls. They are backends for
//! the [`Guard`](crate::guard::Guard) in examples and tests, and a user can load a
//! world of their own from JSON.
//!
//! Timing: a change to an IPsec server or a VPN connection (create,
//! update, delete) leaves its gateway `updating` for [`UPDATE_SECONDS`],
//! after which the gateway is `active` and a deleted resource gone; a new
//! traffic mirror session is `Creating` for as long, then `Created`, and a
//! deleted one `Deleting`, then gone. Two calls on one instance less than [`CONFLICT_SECONDS`] apart get
//! `OperationConflict`. An ExpressConnect Router grant or revoke locks the
//! router for [`UPDATE_SECONDS`] (`Conflict.Lock`).
//!
//! The services live one file apiece: `vpc` (VPN gateway children, IPsec
//! servers, VPN connections, traffic mirror sessions), `ecr` (ExpressConnect
//! Router grants and locks) and `zstack` (ZStack sessions, IPsec connections,
//! jobs and polling). This file holds what they share: the [`World`], its
//! clock and reading from JSON, and the [`Simulator`] that answers for all.
//!
//! ```
//! use std::collections::BTreeMap;
//!
//! use ramguard::catalog::{Caller, Catalog};
//! use ramguard::guard::Guard;
//! use ramguard::sim::{Simulator, UPDATE_SECONDS, World};
//! use ramguard::{Policy, PolicyKind, PolicySetBuilder};
//!
//! let world = World::from_json(r#"{"clock": 1796219400,
//!     "vpn_gateways": [{"VpnGatewayId": "vpn-1", "RegionId": "cn-hangzhou", "Status": "active"}],
//!     "vpn_connections": [{"VpnConnectionId": "vco-1", "RegionId": "cn-hangzhou", "VpnGatewayId": "vpn-1"}]}"#)?;
//! let vpc = Simulator::new(world);
//! let mut policies = PolicySetBuilder::new();
//! policies.add(Policy::parse("ops", r#"{"Version": "1", "Statement": [{"Effect": "Allow",
//!     "Action": "vpc:DeleteVpnConnection", "Resource": "*"}]}"#, PolicyKind::Identity)?);
//! let guard = Guard::new(policies.build()?, Catalog::builtin()?.clone());
//! let params = BTreeMap::from([
//!     ("RegionId".to_owned(), "cn-hangzhou".to_owned()),
//!     ("VpnConnectionId".to_owned(), "vco-1".to_owned()),
//! ]);
//! let alice = Caller::new("acs:ram::1234567890123456:user/alice".parse()?);
//!
//! assert!(pollster::block_on(guard.call(&vpc, "vpc:DeleteVpnConnection", &params, &alice))?.response.is_success());
//! assert_eq!(vpc.world().vpn_gateways[0].status, "updating");
//! vpc.advance(UPDATE_SECONDS);
//! assert_eq!(vpc.world().vpn_gateways[0].status, "active");
//! assert!(vpc.world().vpn_connections.is_empty());
//! Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod ecr;
mod vpc;
mod zstack;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::language::error::{JsonPath, Location};
use crate::language::json::Value as JsonValue;
use crate::operations::catalog::{Operation, list_element};
use crate::operations::guard::{ApiResponse, Backend, ClientTokens, error_response};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// How long a VPN gateway stays `updating`, a mirror session `Deleting`, and
/// a router locked, in seconds.
pub const UPDATE_SECONDS: i64 = 5;
/// Calls on one instance closer together than this conflict, in seconds.
pub const CONFLICT_SECONDS: i64 = 2;

pub use ecr::EcrGrant;
pub use vpc::{IpsecServer, TrafficMirrorSession, VpnConnection, VpnGateway};
pub use zstack::{JOB_RETENTION_SECONDS, JOB_SECONDS, ZstackIpsecConnection, ZstackJob, ZstackSession};

/// Everything the simulated services hold.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct World {
    /// The clock, in seconds since the Unix epoch.
    pub clock: i64,
    /// Requests answered so far (request ids are derived from it).
    #[serde(default)]
    pub requests: u64,
    /// VPN gateways.
    #[serde(default)]
    pub vpn_gateways: Vec<VpnGateway>,
    /// IPsec servers.
    #[serde(default)]
    pub ipsec_servers: Vec<IpsecServer>,
    /// IPsec (VPN) connections.
    #[serde(default)]
    pub vpn_connections: Vec<VpnConnection>,
    /// Traffic mirror sessions.
    #[serde(default)]
    pub traffic_mirror_sessions: Vec<TrafficMirrorSession>,
    /// ExpressConnect Router grants.
    #[serde(default)]
    pub ecr_grants: Vec<EcrGrant>,
    /// Routers locked by an operation in progress, until when.
    #[serde(default)]
    pub ecr_locks: BTreeMap<String, i64>,
    /// The last change made to each instance, when.
    #[serde(default)]
    pub last_change: BTreeMap<String, i64>,
    /// ZStack sessions.
    #[serde(default)]
    pub zstack_sessions: Vec<ZstackSession>,
    /// ZStack IPsec connections.
    #[serde(default)]
    pub zstack_ipsec_connections: Vec<ZstackIpsecConnection>,
    /// ZStack jobs, running or finished.
    #[serde(default)]
    pub zstack_jobs: Vec<ZstackJob>,
    /// Client tokens and their first answers.
    #[serde(default)]
    pub client_tokens: ClientTokens,
}

/// The earliest clock reading a world may hold: `0000-01-01T00:00:00Z`, in
/// seconds since the Unix epoch (the first instant ISO 8601 writes with a
/// four-digit year, as `acs:CurrentTime` does).
pub const MIN_CLOCK: i64 = -62_167_219_200;
/// The latest clock reading a world may hold: `9999-12-31T23:59:59Z`.
pub const MAX_CLOCK: i64 = 253_402_300_799;
/// The most requests a world can count: request ids end in 12 hexadecimal
/// digits, as the services' do.
pub const MAX_REQUESTS: u64 = 0xFFFF_FFFF_FFFF;

/// `now` plus `seconds`, kept inside the clock's range: a timer that would
/// end after [`MAX_CLOCK`] ends there.
fn later(now: i64, seconds: i64) -> i64 {
    now.saturating_add(seconds).min(MAX_CLOCK.max(now))
}

/// Why a world file cannot be read: where, and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {message}{}", path.as_ref().map(|p| format!(" (at {p})")).unwrap_or_default())]
pub struct WorldError {
    /// Line and column in the text.
    pub location: Location,
    /// The offending value's JSON path, when the error is about one value.
    pub path: Option<JsonPath>,
    /// What is wrong and what was expected.
    pub message: String,
}

/// What a number in a world file counts, and so which values it may take.
#[derive(Clone, Copy)]
enum Number {
    /// A clock reading: [`MIN_CLOCK`] to [`MAX_CLOCK`].
    Instant,
    /// The request counter: 0 to [`MAX_REQUESTS`].
    Requests,
    /// An HTTP status: 100 to 599.
    Status,
}

impl Number {
    fn expected(self) -> String {
        match self {
            Number::Instant => format!(
                "a time in whole seconds since the Unix epoch, from {MIN_CLOCK} (0000-01-01T00:00:00Z) to {MAX_CLOCK} (9999-12-31T23:59:59Z)"
            ),
            Number::Requests => {
                format!("a whole number from 0 to {MAX_REQUESTS} (request ids have 12 hexadecimal digits)")
            }
            Number::Status => "an HTTP status from 100 to 599".to_owned(),
        }
    }

    fn accepts(self, text: &str) -> bool {
        match self {
            Number::Instant => text.parse::<i64>().is_ok_and(|n| (MIN_CLOCK..=MAX_CLOCK).contains(&n)),
            Number::Requests => text.parse::<u64>().is_ok_and(|n| n <= MAX_REQUESTS),
            Number::Status => text.parse::<u16>().is_ok_and(|n| (100..=599).contains(&n)),
        }
    }
}

fn member<'v>(value: &'v JsonValue, key: &str) -> Option<&'v JsonValue> {
    match value {
        JsonValue::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
        _ => None,
    }
}

/// Checks every number of a world file against the range of what it counts,
/// so that no clock, timer or counter read from a file can overflow later.
/// Values that are not numbers are left to the typed reading, which names
/// what it expected.
fn check_numbers(text: &str, root: &JsonValue) -> Result<(), WorldError> {
    let check = |path: JsonPath, name: &str, value: &JsonValue, number: Number| match value {
        JsonValue::Number(digits) if !number.accepts(digits) => Err(WorldError {
            location: crate::language::json::locate(text, &path),
            message: format!("{name} `{digits}` is out of range: expected {}", number.expected()),
            path: Some(path),
        }),
        _ => Ok(()),
    };
    let top = JsonPath::root();
    for (key, number) in [("clock", Number::Instant), ("requests", Number::Requests)] {
        if let Some(value) = member(root, key) {
            check(top.key(key), key, value, number)?;
        }
    }
    let lists: [(&str, &[(&str, Number)]); 5] = [
        ("vpn_gateways", &[("UpdatingUntil", Number::Instant)]),
        ("traffic_mirror_sessions", &[("CreatingUntil", Number::Instant), ("DeletingUntil", Number::Instant)]),
        ("zstack_sessions", &[("expiresAt", Number::Instant)]),
        ("zstack_jobs", &[("finishesAt", Number::Instant)]),
        ("client_tokens", &[("at", Number::Instant), ("status", Number::Status)]),
    ];
    for (list, fields) in lists {
        let Some(JsonValue::Array(items)) = member(root, list) else { continue };
        for (index, item) in items.iter().enumerate() {
            for &(field, number) in fields {
                if let Some(value) = member(item, field) {
                    check(top.key(list).index(index).key(field), field, value, number)?;
                }
            }
        }
    }
    for map in ["ecr_locks", "last_change"] {
        let Some(JsonValue::Object(members)) = member(root, map) else { continue };
        for (key, value) in members {
            check(top.key(map).key(key), map, value, Number::Instant)?;
        }
    }
    Ok(())
}

impl World {
    /// Reads a world file's text. A leading UTF-8 byte order mark is skipped
    /// (lines and columns count from the character after it); duplicate
    /// member names are an error; every clock reading and timer must lie
    /// between [`MIN_CLOCK`] and [`MAX_CLOCK`], `requests` must be at most
    /// [`MAX_REQUESTS`] and a remembered status must be an HTTP status.
    /// Errors carry the line and column and, for a value, its JSON path.
    pub fn from_json(text: &str) -> Result<World, WorldError> {
        let text = crate::language::policy::without_bom(text);
        let serde_error = |e: serde_json::Error| {
            let (location, message) = crate::language::json::serde_error(text, &e);
            WorldError { location, path: None, message }
        };
        let value = crate::language::json::parse(text).map_err(serde_error)?;
        check_numbers(text, &value)?;
        serde_json::from_str(text).map_err(serde_error)
    }
}

/// Seconds since the Unix epoch for an ISO 8601 time (`2026-11-22T21:31:00+08:00`).
pub fn parse_clock(text: &str) -> Option<i64> {
    crate::language::condition::value::parse_instant(text).map(crate::language::condition::value::Instant::unix_seconds)
}

/// The ISO 8601 UTC form of a clock reading, as `acs:CurrentTime` carries it.
pub fn format_clock(seconds: i64) -> Option<String> {
    crate::language::condition::value::format_unix_seconds(seconds)
}

/// Simulated VPC, ExpressConnect Router and ZStack services over a
/// [`World`], shared by every caller: calls through one simulator are
/// answered one at a time, in the order they take its lock.
#[derive(Debug, Default)]
pub struct Simulator {
    services: Mutex<Services>,
}

/// The services' state and the code that changes it, one call at a time.
#[derive(Debug, Clone, Default)]
struct Services {
    world: World,
}

/// The parameters of a call, by name.
type Params = BTreeMap<String, String>;

fn param<'a>(params: &'a Params, name: &str) -> &'a str {
    params.get(name).map_or("", String::as_str)
}

/// The elements of the list parameter `name`, in order: `Name.1`, `Name.2`,
/// ... as RPC calls send them, or `Name` alone as one element.
fn list_param(params: &Params, name: &str) -> Vec<String> {
    let mut elements: Vec<(&str, &String)> = params
        .iter()
        .filter_map(|(key, value)| list_element(key).filter(|(base, _)| *base == name).map(|(_, n)| (n, value)))
        .collect();
    // Decimal order without parsing, so that no index is too long to read.
    elements.sort_by_key(|(n, _)| {
        let digits = n.trim_start_matches('0');
        (digits.len(), digits)
    });
    match params.get(name) {
        Some(whole) if elements.is_empty() => vec![whole.clone()],
        _ => elements.into_iter().map(|(_, value)| value.clone()).collect(),
    }
}

/// The id of a resource a call creates: `prefix-` and the request id's
/// last twelve hexadecimal digits, so that ids are unique in a world.
fn new_id(prefix: &str, request_id: &str) -> String {
    let serial = request_id.rsplit('-').next().unwrap_or(request_id);
    format!("{prefix}-{}", serial.to_ascii_lowercase())
}

/// An answer without the members it has no value for: the services leave
/// out what they do not know, and never send `null`.
fn present(mut answer: Value) -> Value {
    if let Value::Object(members) = &mut answer {
        members.retain(|_, value| !value.is_null());
    }
    answer
}

impl Clone for Simulator {
    fn clone(&self) -> Self {
        Self { services: Mutex::new(self.lock().clone()) }
    }
}

impl Simulator {
    /// A simulator over `world`.
    pub fn new(world: World) -> Self {
        let mut services = Services { world };
        services.settle();
        Self { services: Mutex::new(services) }
    }

    fn lock(&self) -> MutexGuard<'_, Services> {
        // Every change to the world completes under the lock, so a world
        // left by a panic elsewhere is still whole.
        self.services.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// How many more request ids the world can hand out before
    /// [`MAX_REQUESTS`].
    pub fn requests_left(&self) -> u64 {
        MAX_REQUESTS.saturating_sub(self.lock().world.requests)
    }

    /// A copy of the world as it is now.
    pub fn world(&self) -> World {
        self.lock().world.clone()
    }

    /// Takes the world back out, as it is now.
    pub fn into_world(self) -> World {
        self.services.into_inner().unwrap_or_else(PoisonError::into_inner).world
    }

    /// Moves the clock forward and lets background work finish. The clock
    /// stops at [`MAX_CLOCK`].
    pub fn advance(&self, seconds: i64) {
        let mut services = self.lock();
        services.world.clock = later(services.world.clock, seconds.max(0));
        services.settle();
    }

    /// The answer to `GET` on a ZStack job's location: 202 while it runs, 200
    /// with the inventory, 503 with the error, 404 once it has expired.
    pub fn poll(&self, job_id: &str) -> ApiResponse {
        self.lock().poll(job_id)
    }
}

impl Services {
    /// Completes whatever background work is due at the current time.
    fn settle(&mut self) {
        let now = self.world.clock;
        self.settle_vpc(now);
        self.settle_ecr(now);
        self.settle_zstack(now);
    }

    fn ok(request_id: &str) -> ApiResponse {
        ApiResponse { status: 200, body: json!({ "RequestId": request_id }) }
    }

    /// The documented error `code` of `op`, filled for `id`.
    fn documented(op: &Operation, code: &str, id: &str, request_id: &str) -> ApiResponse {
        match op.errors.iter().find(|e| e.code == code) {
            Some(e) => error_response(op, e.status, &e.code, &e.message.replace("%s", id), request_id),
            None => error_response(op, 500, "InternalError", &format!("undocumented fault `{code}`"), request_id),
        }
    }

    /// `OperationConflict` when `id` changed less than [`CONFLICT_SECONDS`] ago.
    fn too_fast(&self, op: &Operation, id: &str, request_id: &str) -> Option<ApiResponse> {
        let last = self.world.last_change.get(id)?;
        (self.world.clock.saturating_sub(*last) < CONFLICT_SECONDS).then(|| {
            error_response(
                op,
                409,
                "OperationConflict",
                "The operation against this instance is too frequent, please try again later.",
                request_id,
            )
        })
    }
}

impl Backend for Simulator {
    async fn authenticate(&self, op: &Operation, params: &Params, request_id: &str) -> Option<ApiResponse> {
        if op.style != crate::operations::catalog::Style::Zstack {
            return None;
        }
        self.lock().session_denial(op, params, request_id)
    }

    fn now(&self) -> i64 {
        self.lock().world.clock
    }

    /// The next request id. The counter stops at its maximum rather than
    /// overflow ([`World::from_json`] refuses a count beyond
    /// [`MAX_REQUESTS`]); a caller that needs every id unique checks
    /// [`Simulator::requests_left`] first.
    fn request_id(&self) -> String {
        let mut services = self.lock();
        services.world.requests = services.world.requests.saturating_add(1);
        format!("0ED8D006-F706-4D23-88ED-{:012X}", services.world.requests)
    }

    async fn perform(&self, op: &Operation, params: &Params, request_id: &str) -> ApiResponse {
        self.lock().perform(op, params, request_id)
    }
}

impl Services {
    fn perform(&mut self, op: &Operation, params: &Params, request_id: &str) -> ApiResponse {
        self.settle();
        match op.api.as_str() {
            "DeleteIpsecServer" | "DeleteVpnConnection" => self.delete_gateway_child(op, params, request_id),
            "DeleteTrafficMirrorSession" => self.delete_mirror_session(op, params, request_id),
            "CreateIpsecServer" => self.create_ipsec_server(op, params, request_id),
            "UpdateIpsecServer" => self.update_ipsec_server(op, params, request_id),
            "CreateVpnConnection" => self.create_vpn_connection(op, params, request_id),
            "ModifyVpnConnectionAttribute" => self.modify_vpn_connection(op, params, request_id),
            "CreateTrafficMirrorSession" => self.create_mirror_session(params, request_id),
            "RevokeInstanceFromExpressConnectRouter" | "GrantInstanceToExpressConnectRouter" => {
                self.ecr_change(op, params, request_id)
            }
            "ChangeIPSecConnectionState" => self.zstack_change_state(params, request_id),
            _ => self
                .vpc_read(op, params, request_id)
                .or_else(|| self.ecr_read(op, params, request_id))
                .unwrap_or_else(|| {
                    error_response(
                        op,
                        501,
                        "NotImplemented",
                        &format!("the simulator does not implement {}", op.api),
                        request_id,
                    )
                }),
        }
    }
}
