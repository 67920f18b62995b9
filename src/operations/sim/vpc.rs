//! The VPC service: VPN gateways and their children (IPsec servers and VPN
//! connections), and traffic mirror sessions.
//!
//! A world file spells each resource's members as the API answers them
//! (`IpsecServerId`, `TrafficMirrorSessionStatus`), plus the simulator's own
//! (`Deleting`, `Fault`, the timers). Answers are built member by member
//! from the API's names, never by writing a world record out, so that no
//! simulator member reaches a client and every member has the SDK's name.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{Params, Services, UPDATE_SECONDS, format_clock, later, list_param, new_id, param, present};
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

/// An IPsec server of a VPN gateway.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct IpsecServer {
    /// `iss-...`. A world file may also spell it `Id`, as it once did.
    #[serde(alias = "Id")]
    pub ipsec_server_id: String,
    /// The region.
    pub region_id: String,
    /// Its gateway.
    pub vpn_gateway_id: String,
    /// Its name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipsec_server_name: Option<String>,
    /// The gateway side's CIDR blocks, as the API writes them (`192.168.0.0/24`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_subnet: Option<String>,
    /// The CIDR block client addresses are given from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_ip_pool: Option<String>,
    /// When it was created, in ISO 8601 UTC (`2025-11-01T08:00:00Z`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_time: Option<String>,
    /// Whether a delete is in progress.
    #[serde(default)]
    pub deleting: bool,
    /// A documented error code that calls on this resource answer with
    /// (`InternalError`, `Forbbiden.SubUser`), to rehearse failures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<String>,
}

/// An IPsec (VPN) connection of a VPN gateway.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct VpnConnection {
    /// `vco-...`. A world file may also spell it `Id`, as it once did.
    #[serde(alias = "Id")]
    pub vpn_connection_id: String,
    /// The region.
    pub region_id: String,
    /// Its gateway.
    pub vpn_gateway_id: String,
    /// Its name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The gateway side's CIDR blocks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_subnet: Option<String>,
    /// The peer side's CIDR blocks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_subnet: Option<String>,
    /// The customer gateway at the other end (`cgw-...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_gateway_id: Option<String>,
    /// When it was created, in milliseconds since the Unix epoch, as the
    /// API gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_time: Option<i64>,
    /// Whether a delete is in progress.
    #[serde(default)]
    pub deleting: bool,
    /// A documented error code that calls on this resource answer with
    /// (`InternalError`, `Forbbiden.SubUser`), to rehearse failures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<String>,
}

/// A traffic mirror session.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct TrafficMirrorSession {
    /// `tms-...`.
    pub traffic_mirror_session_id: String,
    /// The region.
    pub region_id: String,
    /// `Creating`, `Created`, `Modifying` or `Deleting`.
    pub traffic_mirror_session_status: String,
    /// Its name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traffic_mirror_session_name: Option<String>,
    /// Where mirrored traffic goes (`eni-...` or a load balancer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traffic_mirror_target_id: Option<String>,
    /// `NetworkInterface` or `SLB`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traffic_mirror_target_type: Option<String>,
    /// Its filter (`tmf-...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traffic_mirror_filter_id: Option<String>,
    /// Its priority (1 is first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<i64>,
    /// The network interfaces whose traffic it mirrors.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub traffic_mirror_source_ids: Vec<String>,
    /// When a create in progress ends (clock seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creating_until: Option<i64>,
    /// When a delete in progress ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleting_until: Option<i64>,
    /// The status of the session's filter, when it is not `Created`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traffic_mirror_filter_status: Option<String>,
}

impl IpsecServer {
    /// The server as `ListIpsecServers` and `CreateIpsecServer` answer it.
    fn answer(&self) -> Value {
        present(json!({
            "IpsecServerId": self.ipsec_server_id,
            "RegionId": self.region_id,
            "VpnGatewayId": self.vpn_gateway_id,
            "IpsecServerName": self.ipsec_server_name,
            "LocalSubnet": self.local_subnet,
            "ClientIpPool": self.client_ip_pool,
            "CreationTime": self.creation_time,
        }))
    }
}

impl VpnConnection {
    /// The connection as `DescribeVpnConnection` and
    /// `ModifyVpnConnectionAttribute` answer it.
    fn answer(&self, request_id: &str) -> Value {
        present(json!({
            "RequestId": request_id,
            "VpnConnectionId": self.vpn_connection_id,
            "VpnGatewayId": self.vpn_gateway_id,
            "Name": self.name,
            "LocalSubnet": self.local_subnet,
            "RemoteSubnet": self.remote_subnet,
            "CustomerGatewayId": self.customer_gateway_id,
            "CreateTime": self.create_time,
        }))
    }
}

impl TrafficMirrorSession {
    /// The session as `ListTrafficMirrorSessions` answers it.
    fn answer(&self) -> Value {
        let sources = (!self.traffic_mirror_source_ids.is_empty()).then_some(&self.traffic_mirror_source_ids);
        present(json!({
            "TrafficMirrorSessionId": self.traffic_mirror_session_id,
            "TrafficMirrorSessionStatus": self.traffic_mirror_session_status,
            "TrafficMirrorSessionName": self.traffic_mirror_session_name,
            "TrafficMirrorTargetId": self.traffic_mirror_target_id,
            "TrafficMirrorTargetType": self.traffic_mirror_target_type,
            "TrafficMirrorFilterId": self.traffic_mirror_filter_id,
            "Priority": self.priority,
            "TrafficMirrorSourceIds": sources,
        }))
    }
}

/// Which child of a gateway a call is on.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Child {
    Server,
    Connection,
}

impl Child {
    /// The child an action changes: an IPsec server's actions name one.
    fn of(op: &Operation) -> Child {
        if op.action.to_ascii_lowercase().ends_with("ipsecserver") { Child::Server } else { Child::Connection }
    }

    /// The parameter that names the child.
    fn parameter(self) -> &'static str {
        match self {
            Child::Server => "IpsecServerId",
            Child::Connection => "VpnConnectionId",
        }
    }

    fn not_found(self, op: &Operation, id: &str, request_id: &str) -> ApiResponse {
        match self {
            Child::Server => error_response(
                op,
                404,
                "InvalidIpsecServerId.NotFound",
                &format!("The specified IPsec server ID ({id}) does not exist."),
                request_id,
            ),
            Child::Connection => error_response(
                op,
                404,
                "InvalidVpnConnectionInstanceId.NotFound",
                "The specified vpn connection instance id does not exist.",
                request_id,
            ),
        }
    }
}

fn gateway_not_found(op: &Operation, request_id: &str) -> ApiResponse {
    error_response(
        op,
        400,
        "InvalidVpnGatewayInstanceId.NotFound",
        "The specified vpn gateway instance id does not exist.",
        request_id,
    )
}

fn configuring(op: &Operation, request_id: &str) -> ApiResponse {
    error_response(op, 400, "VpnGateway.Configuring", "The specified service is configuring.", request_id)
}

fn financial_locked(op: &Operation, request_id: &str) -> ApiResponse {
    error_response(op, 400, "VpnGateway.FinancialLocked", "The specified service is financial locked.", request_id)
}

impl Services {
    /// Finishes the gateway updates, child deletions, and mirror session
    /// creations and deletions due by `now`.
    pub(super) fn settle_vpc(&mut self, now: i64) {
        let mut finished = Vec::new();
        for gw in &mut self.world.vpn_gateways {
            if gw.updating_until.is_some_and(|t| t <= now) {
                gw.updating_until = None;
                gw.status = "active".into();
                finished.push(gw.vpn_gateway_id.clone());
            }
        }
        self.world.ipsec_servers.retain(|s| !(s.deleting && finished.contains(&s.vpn_gateway_id)));
        self.world.vpn_connections.retain(|c| !(c.deleting && finished.contains(&c.vpn_gateway_id)));
        for session in &mut self.world.traffic_mirror_sessions {
            if session.creating_until.is_some_and(|t| t <= now) {
                session.creating_until = None;
                if session.traffic_mirror_session_status == "Creating" {
                    session.traffic_mirror_session_status = "Created".into();
                }
            }
        }
        self.world.traffic_mirror_sessions.retain(|s| s.deleting_until.is_none_or(|t| t > now));
    }

    /// The gateway and fault of a child, if it exists in `region`.
    fn child(&self, child: Child, id: &str, region: &str) -> Option<(String, Option<String>)> {
        match child {
            Child::Server => self
                .world
                .ipsec_servers
                .iter()
                .find(|s| s.ipsec_server_id == id && s.region_id == region)
                .map(|s| (s.vpn_gateway_id.clone(), s.fault.clone())),
            Child::Connection => self
                .world
                .vpn_connections
                .iter()
                .find(|c| c.vpn_connection_id == id && c.region_id == region)
                .map(|c| (c.vpn_gateway_id.clone(), c.fault.clone())),
        }
    }

    /// The checks a change to a gateway's child passes, in the service's
    /// order: the child exists, its fault, a change too soon after the
    /// last, its gateway exists, is not financially locked (connections)
    /// and is not configuring. Returns the gateway's id.
    fn check_child_change(
        &self,
        op: &Operation,
        child: Child,
        delete: bool,
        params: &Params,
        request_id: &str,
    ) -> Result<String, ApiResponse> {
        let (id, region) = (param(params, child.parameter()), param(params, "RegionId"));
        let (gateway_id, fault) = self.child(child, id, region).ok_or_else(|| child.not_found(op, id, request_id))?;
        if let Some(fault) = &fault {
            return Err(Self::documented(op, fault, id, request_id));
        }
        if let Some(conflict) = self.too_fast(op, id, request_id) {
            return Err(conflict);
        }
        let gateway = self
            .world
            .vpn_gateways
            .iter()
            .find(|g| g.vpn_gateway_id == gateway_id)
            .ok_or_else(|| gateway_not_found(op, request_id))?;
        if child == Child::Connection && gateway.financial_locked {
            return Err(financial_locked(op, request_id));
        }
        if gateway.status == "updating" {
            let deleting_connection =
                self.world.vpn_connections.iter().any(|c| c.deleting && c.vpn_gateway_id == gateway_id);
            if child == Child::Connection && delete && deleting_connection {
                return Err(error_response(op, 400, "VpnTask.CONFLICT", "Vpn task has conflict.", request_id));
            }
            return Err(configuring(op, request_id));
        }
        Ok(gateway_id)
    }

    /// The checks a new child of `gateway_id` passes: the gateway exists in
    /// the region, is not financially locked (connections) and is not
    /// configuring.
    fn check_new_child(&self, op: &Operation, child: Child, params: &Params, request_id: &str) -> Option<ApiResponse> {
        let (gateway_id, region) = (param(params, "VpnGatewayId"), param(params, "RegionId"));
        let Some(gateway) =
            self.world.vpn_gateways.iter().find(|g| g.vpn_gateway_id == gateway_id && g.region_id == region)
        else {
            return Some(gateway_not_found(op, request_id));
        };
        if child == Child::Connection && gateway.financial_locked {
            return Some(financial_locked(op, request_id));
        }
        (gateway.status == "updating").then(|| configuring(op, request_id))
    }

    /// Puts `gateway_id` into `updating` for [`UPDATE_SECONDS`], for a
    /// change to its child `id` made now.
    fn start_update(&mut self, gateway_id: &str, id: &str) {
        let until = later(self.world.clock, UPDATE_SECONDS);
        if let Some(gateway) = self.world.vpn_gateways.iter_mut().find(|g| g.vpn_gateway_id == gateway_id) {
            gateway.status = "updating".into();
            gateway.updating_until = Some(until);
        }
        self.world.last_change.insert(id.to_owned(), self.world.clock);
    }

    pub(super) fn delete_gateway_child(&mut self, op: &Operation, params: &Params, request_id: &str) -> ApiResponse {
        let child = Child::of(op);
        let gateway = match self.check_child_change(op, child, true, params, request_id) {
            Ok(gateway) => gateway,
            Err(answer) => return answer,
        };
        let id = param(params, child.parameter());
        self.start_update(&gateway, id);
        match child {
            Child::Server => {
                for s in self.world.ipsec_servers.iter_mut().filter(|s| s.ipsec_server_id == id) {
                    s.deleting = true;
                }
            }
            Child::Connection => {
                for c in self.world.vpn_connections.iter_mut().filter(|c| c.vpn_connection_id == id) {
                    c.deleting = true;
                }
            }
        }
        Self::ok(request_id)
    }

    /// `CreateIpsecServer`: a new server, its gateway `updating` meanwhile.
    pub(super) fn create_ipsec_server(&mut self, op: &Operation, params: &Params, request_id: &str) -> ApiResponse {
        if let Some(refused) = self.check_new_child(op, Child::Server, params, request_id) {
            return refused;
        }
        let text = |name: &str| params.get(name).cloned();
        let server = IpsecServer {
            ipsec_server_id: new_id("iss", request_id),
            region_id: param(params, "RegionId").to_owned(),
            vpn_gateway_id: param(params, "VpnGatewayId").to_owned(),
            // This one operation spells it with a capital S.
            ipsec_server_name: text("IpSecServerName"),
            local_subnet: text("LocalSubnet"),
            client_ip_pool: text("ClientIpPool"),
            creation_time: format_clock(self.world.clock),
            deleting: false,
            fault: None,
        };
        self.start_update(&server.vpn_gateway_id, &server.ipsec_server_id);
        let mut body = server.answer();
        if let Value::Object(members) = &mut body {
            members.insert("RequestId".into(), json!(request_id));
            members.remove("LocalSubnet");
            members.remove("ClientIpPool");
        }
        self.world.ipsec_servers.push(server);
        ApiResponse { status: 200, body }
    }

    /// `UpdateIpsecServer`: the members given change, the gateway is
    /// `updating` meanwhile.
    pub(super) fn update_ipsec_server(&mut self, op: &Operation, params: &Params, request_id: &str) -> ApiResponse {
        let gateway = match self.check_child_change(op, Child::Server, false, params, request_id) {
            Ok(gateway) => gateway,
            Err(answer) => return answer,
        };
        let (id, region) = (param(params, "IpsecServerId"), param(params, "RegionId"));
        self.start_update(&gateway, id);
        if let Some(server) =
            self.world.ipsec_servers.iter_mut().find(|s| s.ipsec_server_id == id && s.region_id == region)
        {
            for (name, member) in [
                ("IpsecServerName", &mut server.ipsec_server_name),
                ("LocalSubnet", &mut server.local_subnet),
                ("ClientIpPool", &mut server.client_ip_pool),
            ] {
                if let Some(value) = params.get(name) {
                    *member = Some(value.clone());
                }
            }
        }
        Self::ok(request_id)
    }

    /// `CreateVpnConnection`: a new connection, its gateway `updating`
    /// meanwhile.
    pub(super) fn create_vpn_connection(&mut self, op: &Operation, params: &Params, request_id: &str) -> ApiResponse {
        if let Some(refused) = self.check_new_child(op, Child::Connection, params, request_id) {
            return refused;
        }
        let text = |name: &str| params.get(name).cloned();
        let connection = VpnConnection {
            vpn_connection_id: new_id("vco", request_id),
            region_id: param(params, "RegionId").to_owned(),
            vpn_gateway_id: param(params, "VpnGatewayId").to_owned(),
            name: text("Name"),
            local_subnet: text("LocalSubnet"),
            remote_subnet: text("RemoteSubnet"),
            customer_gateway_id: text("CustomerGatewayId"),
            create_time: Some(self.world.clock.saturating_mul(1000)),
            deleting: false,
            fault: None,
        };
        self.start_update(&connection.vpn_gateway_id, &connection.vpn_connection_id);
        let body = present(json!({
            "RequestId": request_id,
            "VpnConnectionId": connection.vpn_connection_id,
            "Name": connection.name,
            "CreateTime": connection.create_time,
        }));
        self.world.vpn_connections.push(connection);
        ApiResponse { status: 200, body }
    }

    /// `ModifyVpnConnectionAttribute`: the members given change, the
    /// gateway is `updating` meanwhile; the answer is the connection.
    pub(super) fn modify_vpn_connection(&mut self, op: &Operation, params: &Params, request_id: &str) -> ApiResponse {
        let gateway = match self.check_child_change(op, Child::Connection, false, params, request_id) {
            Ok(gateway) => gateway,
            Err(answer) => return answer,
        };
        let (id, region) = (param(params, "VpnConnectionId"), param(params, "RegionId"));
        self.start_update(&gateway, id);
        let Some(connection) =
            self.world.vpn_connections.iter_mut().find(|c| c.vpn_connection_id == id && c.region_id == region)
        else {
            return Child::Connection.not_found(op, id, request_id);
        };
        for (name, member) in [
            ("Name", &mut connection.name),
            ("LocalSubnet", &mut connection.local_subnet),
            ("RemoteSubnet", &mut connection.remote_subnet),
        ] {
            if let Some(value) = params.get(name) {
                *member = Some(value.clone());
            }
        }
        ApiResponse { status: 200, body: connection.answer(request_id) }
    }

    /// `CreateTrafficMirrorSession`: a new session, `Creating` for
    /// [`UPDATE_SECONDS`], then `Created`.
    pub(super) fn create_mirror_session(&mut self, params: &Params, request_id: &str) -> ApiResponse {
        let text = |name: &str| params.get(name).cloned();
        let session = TrafficMirrorSession {
            traffic_mirror_session_id: new_id("tms", request_id),
            region_id: param(params, "RegionId").to_owned(),
            traffic_mirror_session_status: "Creating".into(),
            traffic_mirror_session_name: text("TrafficMirrorSessionName"),
            traffic_mirror_target_id: text("TrafficMirrorTargetId"),
            traffic_mirror_target_type: text("TrafficMirrorTargetType"),
            traffic_mirror_filter_id: text("TrafficMirrorFilterId"),
            priority: params.get("Priority").and_then(|p| p.parse().ok()),
            traffic_mirror_source_ids: list_param(params, "TrafficMirrorSourceIds"),
            creating_until: Some(later(self.world.clock, UPDATE_SECONDS)),
            deleting_until: None,
            traffic_mirror_filter_status: None,
        };
        let body = json!({"RequestId": request_id, "TrafficMirrorSessionId": session.traffic_mirror_session_id});
        self.world.traffic_mirror_sessions.push(session);
        ApiResponse { status: 200, body }
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
                    return Some(gateway_not_found(op, request_id));
                };
                let business = if gw.financial_locked { "FinancialLocked" } else { "Normal" };
                json!({"RequestId": request_id, "VpnGatewayId": gw.vpn_gateway_id, "Status": gw.status,
                       "BusinessStatus": business})
            }
            "DescribeVpnConnection" => {
                let id = param(params, "VpnConnectionId");
                let Some(connection) =
                    self.world.vpn_connections.iter().find(|c| c.vpn_connection_id == id && c.region_id == region)
                else {
                    return Some(Child::Connection.not_found(op, id, request_id));
                };
                connection.answer(request_id)
            }
            "ListIpsecServers" => {
                let servers: Vec<Value> = self
                    .world
                    .ipsec_servers
                    .iter()
                    .filter(|s| s.region_id == region)
                    .map(IpsecServer::answer)
                    .collect();
                json!({"RequestId": request_id, "TotalCount": servers.len(), "IpsecServers": servers})
            }
            "ListTrafficMirrorSessions" => {
                let sessions: Vec<Value> = self
                    .world
                    .traffic_mirror_sessions
                    .iter()
                    .filter(|s| s.region_id == region)
                    .map(TrafficMirrorSession::answer)
                    .collect();
                // This API's count is a string.
                json!({"RequestId": request_id, "TotalCount": sessions.len().to_string(),
                       "TrafficMirrorSessions": sessions})
            }
            _ => return None,
        };
        Some(ApiResponse { status: 200, body })
    }
}
