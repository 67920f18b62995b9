//! The ZStack service: login sessions, IPsec connections, and the
//! asynchronous jobs that change a connection's state and are polled.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{Params, Services, later, param};
use crate::operations::catalog::Operation;
use crate::operations::guard::{ApiResponse, error_response};

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

impl Services {
    /// Applies the jobs finished by `now` and forgets those past their
    /// retention.
    pub(super) fn settle_zstack(&mut self, now: i64) {
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
    pub(super) fn poll(&mut self, job_id: &str) -> ApiResponse {
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

    pub(super) fn zstack_change_state(&mut self, params: &Params, request_id: &str) -> ApiResponse {
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

    /// The answer to a ZStack call whose session is missing, unknown or
    /// expired; `None` when the session is valid.
    pub(super) fn session_denial(&self, op: &Operation, params: &Params, request_id: &str) -> Option<ApiResponse> {
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
