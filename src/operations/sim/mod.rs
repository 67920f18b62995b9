//! In-memory services that behave as the VPC and ExpressConnect Router APIs
//! are documented to, with a clock the caller controls. They are backends for
//! the [`Guard`](crate::Guard) in examples and tests, and a user can load a
//! world of their own from JSON.
//!
//! Timing: a VPN delete leaves its gateway `updating` for
//! [`UPDATE_SECONDS`], after which the gateway is `active` and the deleted
//! resource gone; a traffic mirror session is `Deleting` for as long, then
//! gone. Two calls on one instance less than [`CONFLICT_SECONDS`] apart get
//! `OperationConflict`. An ExpressConnect Router grant or revoke locks the
//! router for [`UPDATE_SECONDS`] (`Conflict.Lock`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::language::error::{JsonPath, Location};
use crate::language::json::Value as JsonValue;
use crate::operations::catalog::Operation;
use crate::operations::guard::{ApiResponse, Backend, ClientTokens, dynamic_error, error_response};

/// How long a VPN gateway stays `updating`, a mirror session `Deleting`, and
/// a router locked, in seconds.
pub const UPDATE_SECONDS: i64 = 5;
/// Calls on one instance closer together than this conflict, in seconds.
pub const CONFLICT_SECONDS: i64 = 2;

/// A VPN gateway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct VpnGateway {
    /// `vpn-...`.
    pub vpn_gateway_id: String,
    /// The region.
    pub region_id: String,
    /// `active` or `updating`.
    pub status: String,
    /// When an update in progress ends (clock seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updating_until: Option<i64>,
    /// Whether the gateway is suspended for overdue payments.
    #[serde(default)]
    pub financial_locked: bool,
}

/// An IPsec server or an IPsec (VPN) connection of a gateway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct GatewayChild {
    /// `iss-...` or `vco-...`.
    pub id: String,
    /// The region.
    pub region_id: String,
    /// Its gateway.
    pub vpn_gateway_id: String,
    /// Whether a delete is in progress.
    #[serde(default)]
    pub deleting: bool,
    /// A documented error code that calls on this resource answer with
    /// (`InternalError`, `Forbbiden.SubUser`), to rehearse failures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<String>,
}

/// A traffic mirror session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct TrafficMirrorSession {
    /// `tms-...`.
    pub traffic_mirror_session_id: String,
    /// The region.
    pub region_id: String,
    /// `Creating`, `Created`, `Modifying` or `Deleting`.
    pub traffic_mirror_session_status: String,
    /// When a delete in progress ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleting_until: Option<i64>,
    /// The status of the session's filter, when it is not `Created`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traffic_mirror_filter_status: Option<String>,
}

/// A network instance granted to an ExpressConnect Router.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct EcrGrant {
    /// The router.
    pub ecr_id: String,
    /// The router owner's account.
    pub ecr_owner_ali_uid: String,
    /// `vpc-...` or `vbr-...`.
    pub instance_id: String,
    /// `VPC` or `VBR`.
    pub instance_type: String,
    /// The instance's region.
    pub instance_region_id: String,
}

/// How long a ZStack job runs, in seconds.
pub const JOB_SECONDS: i64 = 2;
/// How long a finished ZStack job can still be polled, in seconds.
pub const JOB_RETENTION_SECONDS: i64 = 600;

/// A ZStack login session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ZstackSession {
    /// The session uuid sent as `Authorization: OAuth <uuid>`.
    pub uuid: String,
    /// When it expires (clock seconds).
    pub expires_at: i64,
}

/// A ZStack IPsec connection (the fields of its inventory that matter here).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ZstackIpsecConnection {
    /// The uuid.
    pub uuid: String,
    /// The name.
    pub name: String,
    /// The peer's address.
    #[serde(default)]
    pub peer_address: String,
    /// The pre-shared key: a secret, never shown in answers.
    #[serde(default)]
    pub auth_key: String,
    /// `Enabled` or `Disabled`.
    pub state: String,
    /// `Ready`, or another status in which the state cannot change.
    pub status: String,
}

/// A ZStack asynchronous job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ZstackJob {
    /// The job id (the last part of its location).
    pub id: String,
    /// The connection it changes.
    pub connection: String,
    /// `Enabled` or `Disabled`: the state it sets.
    pub target_state: String,
    /// When it finishes.
    pub finishes_at: i64,
}

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
    pub ipsec_servers: Vec<GatewayChild>,
    /// IPsec (VPN) connections.
    #[serde(default)]
    pub vpn_connections: Vec<GatewayChild>,
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
        ("traffic_mirror_sessions", &[("DeletingUntil", Number::Instant)]),
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

/// A simulated VPC and ExpressConnect Router service over a [`World`].
#[derive(Debug, Clone, Default)]
pub struct Simulator {
    world: World,
}

fn param<'a>(params: &'a BTreeMap<String, String>, name: &str) -> &'a str {
    params.get(name).map_or("", String::as_str)
}

impl Simulator {
    /// A simulator over `world`.
    pub fn new(world: World) -> Self {
        let mut sim = Self { world };
        sim.settle();
        sim
    }

    /// How many more request ids the world can hand out before
    /// [`MAX_REQUESTS`].
    pub fn requests_left(&self) -> u64 {
        MAX_REQUESTS.saturating_sub(self.world.requests)
    }

    /// The world as it is now.
    pub fn world(&self) -> &World {
        &self.world
    }

    /// Takes the world back out, as it is now.
    pub fn into_world(self) -> World {
        self.world
    }

    /// Moves the clock forward and lets background work finish. The clock
    /// stops at [`MAX_CLOCK`].
    pub fn advance(&mut self, seconds: i64) {
        self.world.clock = later(self.world.clock, seconds.max(0));
        self.settle();
    }

    /// Completes whatever background work is due at the current time.
    fn settle(&mut self) {
        let now = self.world.clock;
        let mut finished = Vec::new();
        for gw in &mut self.world.vpn_gateways {
            if gw.updating_until.is_some_and(|t| t <= now) {
                gw.updating_until = None;
                gw.status = "active".into();
                finished.push(gw.vpn_gateway_id.clone());
            }
        }
        let done = |c: &GatewayChild| c.deleting && finished.contains(&c.vpn_gateway_id);
        self.world.ipsec_servers.retain(|c| !done(c));
        self.world.vpn_connections.retain(|c| !done(c));
        self.world.traffic_mirror_sessions.retain(|s| s.deleting_until.is_none_or(|t| t > now));
        self.world.ecr_locks.retain(|_, until| *until > now);
        for job in &self.world.zstack_jobs {
            if job.finishes_at <= now
                && let Some(c) = self.world.zstack_ipsec_connections.iter_mut().find(|c| c.uuid == job.connection)
                && c.state != job.target_state
                && c.status == "Ready"
            {
                c.state = job.target_state.clone();
            }
        }
        self.world.zstack_jobs.retain(|j| j.finishes_at.saturating_add(JOB_RETENTION_SECONDS) > now);
    }

    /// The answer to `GET` on a ZStack job's location: 202 while it runs, 200
    /// with the inventory, 503 with the error, 404 once it has expired.
    pub fn poll(&mut self, job_id: &str) -> ApiResponse {
        self.settle();
        let Some(job) = self.world.zstack_jobs.iter().find(|j| j.id == job_id) else {
            return ApiResponse { status: 404, body: Value::String(format!("job[{job_id}] not found")) };
        };
        if job.finishes_at > self.world.clock {
            return ApiResponse { status: 202, body: json!({"location": job_location(job_id)}) };
        }
        match self.world.zstack_ipsec_connections.iter().find(|c| c.uuid == job.connection) {
            Some(c) if c.status == "Ready" => ApiResponse { status: 200, body: json!({"inventory": inventory(c)}) },
            Some(c) => ApiResponse {
                status: 503,
                body: zstack_error(
                    "SYS.1007",
                    &format!("can not change state because ipsec [uuid:{}] status is not ready", c.uuid),
                ),
            },
            None => ApiResponse { status: 503, body: zstack_error("SYS.1003", &not_found(&job.connection)) },
        }
    }

    fn zstack_change_state(&mut self, params: &BTreeMap<String, String>, request_id: &str) -> ApiResponse {
        let uuid = param(params, "uuid");
        if !self.world.zstack_ipsec_connections.iter().any(|c| c.uuid == uuid) {
            return ApiResponse { status: 503, body: zstack_error("SYS.1003", &not_found(uuid)) };
        }
        let target = if param(params, "stateEvent") == "enable" { "Enabled" } else { "Disabled" };
        let id = request_id.to_ascii_lowercase().replace('-', "");
        self.world.zstack_jobs.push(ZstackJob {
            id: id.clone(),
            connection: uuid.to_owned(),
            target_state: target.to_owned(),
            finishes_at: later(self.world.clock, JOB_SECONDS),
        });
        ApiResponse { status: 202, body: json!({"location": job_location(&id)}) }
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

    fn delete_gateway_child(
        &mut self,
        op: &Operation,
        params: &BTreeMap<String, String>,
        request_id: &str,
    ) -> ApiResponse {
        let server = op.action.eq_ignore_ascii_case("vpc:DeleteIpsecServer");
        let (id, region) =
            (param(params, if server { "IpsecServerId" } else { "VpnConnectionId" }), param(params, "RegionId"));
        let children = if server { &self.world.ipsec_servers } else { &self.world.vpn_connections };
        let Some(child) = children.iter().find(|c| c.id == id && c.region_id == region).cloned() else {
            return if server {
                error_response(
                    op,
                    404,
                    "InvalidIpsecServerId.NotFound",
                    &format!("The specified IPsec server ID ({id}) does not exist."),
                    request_id,
                )
            } else {
                error_response(
                    op,
                    404,
                    "InvalidVpnConnectionInstanceId.NotFound",
                    "The specified vpn connection instance id does not exist.",
                    request_id,
                )
            };
        };
        if let Some(fault) = &child.fault {
            return Self::documented(op, fault, id, request_id);
        }
        if let Some(conflict) = self.too_fast(op, id, request_id) {
            return conflict;
        }
        let Some(gateway) = self.world.vpn_gateways.iter_mut().find(|g| g.vpn_gateway_id == child.vpn_gateway_id)
        else {
            return error_response(
                op,
                400,
                "InvalidVpnGatewayInstanceId.NotFound",
                "The specified vpn gateway instance id does not exist.",
                request_id,
            );
        };
        if !server && gateway.financial_locked {
            return error_response(
                op,
                400,
                "VpnGateway.FinancialLocked",
                "The specified service is financial locked.",
                request_id,
            );
        }
        if gateway.status == "updating" {
            let deleting_connection =
                self.world.vpn_connections.iter().any(|c| c.deleting && c.vpn_gateway_id == child.vpn_gateway_id);
            if !server && deleting_connection {
                return error_response(op, 400, "VpnTask.CONFLICT", "Vpn task has conflict.", request_id);
            }
            return error_response(
                op,
                400,
                "VpnGateway.Configuring",
                "The specified service is configuring.",
                request_id,
            );
        }
        gateway.status = "updating".into();
        gateway.updating_until = Some(later(self.world.clock, UPDATE_SECONDS));
        let children = if server { &mut self.world.ipsec_servers } else { &mut self.world.vpn_connections };
        for c in children.iter_mut().filter(|c| c.id == id) {
            c.deleting = true;
        }
        self.world.last_change.insert(id.to_owned(), self.world.clock);
        Self::ok(request_id)
    }

    fn delete_mirror_session(
        &mut self,
        op: &Operation,
        params: &BTreeMap<String, String>,
        request_id: &str,
    ) -> ApiResponse {
        let (id, region) = (param(params, "TrafficMirrorSessionId"), param(params, "RegionId"));
        let now = self.world.clock;
        let Some(session) = self
            .world
            .traffic_mirror_sessions
            .iter_mut()
            .find(|s| s.traffic_mirror_session_id == id && s.region_id == region)
        else {
            return error_response(
                op,
                400,
                "ResourceNotFound.TrafficMirrorSession",
                "The specified resource of traffic mirror session is not found.",
                request_id,
            );
        };
        if session.traffic_mirror_filter_status.as_deref().is_some_and(|f| f != "Created") {
            return error_response(
                op,
                400,
                "IncorrectStatus.TrafficMirrorFilter",
                "The status of traffic mirror filter is incorrect.",
                request_id,
            );
        }
        if session.traffic_mirror_session_status != "Created" {
            return error_response(
                op,
                400,
                "IncorrectStatus.TrafficMirrorSession",
                "The status of traffic mirror session is incorrect.",
                request_id,
            );
        }
        session.traffic_mirror_session_status = "Deleting".into();
        session.deleting_until = Some(later(now, UPDATE_SECONDS));
        Self::ok(request_id)
    }

    fn ecr_change(&mut self, op: &Operation, params: &BTreeMap<String, String>, request_id: &str) -> ApiResponse {
        let ecr = param(params, "EcrId").to_owned();
        if self.world.ecr_locks.contains_key(&ecr) {
            return error_response(op, 400, "Conflict.Lock", "There are other unfinished operations", request_id);
        }
        let grant = EcrGrant {
            ecr_id: ecr.clone(),
            ecr_owner_ali_uid: param(params, "EcrOwnerAliUid").to_owned(),
            instance_id: param(params, "InstanceId").to_owned(),
            instance_type: param(params, "InstanceType").to_owned(),
            instance_region_id: param(params, "InstanceRegionId").to_owned(),
        };
        let same = |g: &EcrGrant| g.ecr_id == grant.ecr_id && g.instance_id == grant.instance_id;
        let exists = self.world.ecr_grants.iter().any(same);
        if op.action.eq_ignore_ascii_case("expressconnectrouter:GrantInstanceToExpressConnectRouter") {
            if !exists {
                self.world.ecr_grants.push(grant);
            }
        } else if exists {
            self.world.ecr_grants.retain(|g| !same(g));
        } else {
            return dynamic_error(op, "IllegalParam.%s", "InstanceId", request_id)
                .unwrap_or_else(|| Self::documented(op, "IllegalParam.%s", "InstanceId", request_id));
        }
        self.world.ecr_locks.insert(ecr, later(self.world.clock, UPDATE_SECONDS));
        ApiResponse {
            status: 200,
            body: json!({"RequestId": request_id, "Success": true, "Code": "200", "Message": "OK", "HttpStatusCode": 200}),
        }
    }

    fn read(&self, op: &Operation, params: &BTreeMap<String, String>, request_id: &str) -> Option<ApiResponse> {
        let region = param(params, "RegionId");
        let body = match op.api.as_str() {
            "DescribeVpnGateway" => {
                let id = param(params, "VpnGatewayId");
                let Some(gw) = self.world.vpn_gateways.iter().find(|g| g.vpn_gateway_id == id && g.region_id == region)
                else {
                    return Some(error_response(
                        op,
                        400,
                        "InvalidVpnGatewayInstanceId.NotFound",
                        "The specified vpn gateway instance id does not exist.",
                        request_id,
                    ));
                };
                json!({"RequestId": request_id, "VpnGatewayId": gw.vpn_gateway_id, "Status": gw.status})
            }
            "ListIpsecServers" => {
                let servers: Vec<&GatewayChild> =
                    self.world.ipsec_servers.iter().filter(|s| s.region_id == region).collect();
                json!({"RequestId": request_id, "TotalCount": servers.len(), "IpsecServers": servers})
            }
            "ListTrafficMirrorSessions" => {
                let sessions: Vec<&TrafficMirrorSession> =
                    self.world.traffic_mirror_sessions.iter().filter(|s| s.region_id == region).collect();
                json!({"RequestId": request_id, "TotalCount": sessions.len(), "TrafficMirrorSessions": sessions})
            }
            "DescribeInstanceGrantedToExpressConnectRouter" => {
                let ecr = param(params, "EcrId");
                let grants: Vec<&EcrGrant> = self.world.ecr_grants.iter().filter(|g| g.ecr_id == ecr).collect();
                json!({"RequestId": request_id, "TotalCount": grants.len(), "EcrGrantedInstanceList": grants})
            }
            _ => return None,
        };
        Some(ApiResponse { status: 200, body })
    }
}

fn job_location(id: &str) -> String {
    format!("http://localhost:8080/zstack/v1/api-jobs/{id}")
}

fn not_found(uuid: &str) -> String {
    format!("invalid field[uuid], resource[uuid:{uuid}, type:IPsecConnectionVO] not found")
}

fn zstack_error(code: &str, details: &str) -> Value {
    json!({"error": {"code": code, "description": details, "details": details,
                     "elaboration": null, "opaque": null, "cause": null}})
}

/// A connection's inventory as ZStack answers it, the key masked.
fn inventory(c: &ZstackIpsecConnection) -> Value {
    json!({"uuid": c.uuid, "name": c.name, "peerAddress": c.peer_address, "authKey": "******",
           "state": c.state, "status": c.status})
}

impl Backend for Simulator {
    fn client_tokens(&mut self) -> Option<&mut ClientTokens> {
        Some(&mut self.world.client_tokens)
    }

    fn authenticate(
        &mut self,
        op: &Operation,
        params: &BTreeMap<String, String>,
        request_id: &str,
    ) -> Option<ApiResponse> {
        if op.style != crate::operations::catalog::Style::Zstack {
            return None;
        }
        let Some(session) = params.get("Authorization").and_then(|h| h.strip_prefix("OAuth ")) else {
            return Some(ApiResponse {
                status: 400,
                body: Value::String("the header Authorization: OAuth <session-uuid> is missing or invalid".into()),
            });
        };
        let now = self.world.clock;
        let valid = self.world.zstack_sessions.iter().any(|s| s.uuid == session.trim() && s.expires_at > now);
        (!valid).then(|| {
            error_response(
                op,
                401,
                "ID.1001",
                &format!("invalid or expired session[uuid:{}]", session.trim()),
                request_id,
            )
        })
    }

    fn now(&self) -> i64 {
        self.world.clock
    }

    /// The next request id. The counter stops at its maximum rather than
    /// overflow ([`World::from_json`] refuses a count beyond
    /// [`MAX_REQUESTS`]); a caller that needs every id unique checks
    /// [`Simulator::requests_left`] first.
    fn request_id(&mut self) -> String {
        self.world.requests = self.world.requests.saturating_add(1);
        format!("0ED8D006-F706-4D23-88ED-{:012X}", self.world.requests)
    }

    fn perform(&mut self, op: &Operation, params: &BTreeMap<String, String>, request_id: &str) -> ApiResponse {
        self.settle();
        match op.api.as_str() {
            "DeleteIpsecServer" | "DeleteVpnConnection" => self.delete_gateway_child(op, params, request_id),
            "DeleteTrafficMirrorSession" => self.delete_mirror_session(op, params, request_id),
            "RevokeInstanceFromExpressConnectRouter" | "GrantInstanceToExpressConnectRouter" => {
                self.ecr_change(op, params, request_id)
            }
            "ChangeIPSecConnectionState" => self.zstack_change_state(params, request_id),
            _ => self.read(op, params, request_id).unwrap_or_else(|| {
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
