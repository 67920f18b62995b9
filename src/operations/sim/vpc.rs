//! The VPC service: VPN gateways and their children (IPsec servers and VPN
//! connections), and traffic mirror sessions.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Params, Services, UPDATE_SECONDS, later, param};
use crate::operations::catalog::Operation;
use crate::operations::guard::{ApiResponse, error_response};

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

impl Services {
    /// Finishes the gateway updates, child deletions and mirror session
    /// deletions due by `now`.
    pub(super) fn settle_vpc(&mut self, now: i64) {
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
    }

    pub(super) fn delete_gateway_child(&mut self, op: &Operation, params: &Params, request_id: &str) -> ApiResponse {
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

    pub(super) fn delete_mirror_session(&mut self, op: &Operation, params: &Params, request_id: &str) -> ApiResponse {
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

    /// The VPC reads, or `None` for an API that is not one.
    pub(super) fn vpc_read(&self, op: &Operation, params: &Params, request_id: &str) -> Option<ApiResponse> {
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
            _ => return None,
        };
        Some(ApiResponse { status: 200, body })
    }
}
