//! The ExpressConnect Router service: grants of network instances to a
//! router, and the lock a grant or revoke holds on it.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{Params, Services, UPDATE_SECONDS, later, param};
use crate::operations::catalog::Operation;
use crate::operations::guard::{ApiResponse, dynamic_error, error_response};

/// A network instance granted to an ExpressConnect Router, with the
/// members of the grant and revoke calls (the router's answers name the
/// instance `NodeId`, `NodeType` and `NodeRegionId`).
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

impl Services {
    /// Releases the router locks that have ended by `now`.
    pub(super) fn settle_ecr(&mut self, now: i64) {
        self.world.ecr_locks.retain(|_, until| *until > now);
    }

    pub(super) fn ecr_change(&mut self, op: &Operation, params: &Params, request_id: &str) -> ApiResponse {
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
        ApiResponse { status: 200, body: success(request_id) }
    }

    /// `DescribeInstanceGrantedToExpressConnectRouter`, or `None` for any
    /// other API: the router's grants, of one instance type or region when
    /// the call names one.
    pub(super) fn ecr_read(&self, op: &Operation, params: &Params, request_id: &str) -> Option<ApiResponse> {
        if op.api != "DescribeInstanceGrantedToExpressConnectRouter" {
            return None;
        }
        let ecr = param(params, "EcrId");
        let wanted = |name: &str, value: &str| params.get(name).is_none_or(|w| w == value);
        let grants: Vec<Value> = self
            .world
            .ecr_grants
            .iter()
            .filter(|g| g.ecr_id == ecr)
            .filter(|g| wanted("InstanceType", &g.instance_type) && wanted("InstanceRegionId", &g.instance_region_id))
            .map(EcrGrant::answer)
            .collect();
        let mut body = success(request_id);
        if let Value::Object(members) = &mut body {
            members.insert("TotalCount".into(), json!(grants.len()));
            members.insert("EcrGrantedInstanceList".into(), Value::Array(grants));
        }
        Some(ApiResponse { status: 200, body })
    }
}

impl EcrGrant {
    /// The grant as the router lists it: the granted instance is its
    /// `Node`.
    fn answer(&self) -> Value {
        json!({"EcrId": self.ecr_id, "EcrOwnerAliUid": self.ecr_owner_ali_uid, "NodeId": self.instance_id,
               "NodeType": self.instance_type, "NodeRegionId": self.instance_region_id})
    }
}

/// The members every successful ExpressConnect Router answer has.
fn success(request_id: &str) -> Value {
    json!({"RequestId": request_id, "Success": true, "Code": "200", "Message": "OK", "HttpStatusCode": 200})
}
