//! The ExpressConnect Router revoke with its `InstanceType` condition: a
//! policy that allows revoking VBR grants only lets a VBR revoke through and
//! stops a VPC revoke with the router's own denial.
//!
//! Run with `cargo run --example ecr_revoke_instance_type`.

use std::collections::BTreeMap;

use ramguard::catalog::{Caller, Catalog};
use ramguard::guard::Guard;
use ramguard::sim::{EcrGrant, Simulator, World};
use ramguard::{Policy, PolicyKind, PolicySetBuilder};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let file = "policies/ecr-revoke-vbr-only.json";
    let mut policies = PolicySetBuilder::new();
    policies.add(Policy::parse(file, &std::fs::read_to_string(file)?, PolicyKind::Identity)?);
    let guard = Guard::new(policies.build()?, Catalog::builtin()?.clone());
    let grant = |id: &str, kind: &str| EcrGrant {
        ecr_id: "ecr-mezk2idmsd0vx2".into(),
        ecr_owner_ali_uid: "1210123456123456".into(),
        instance_id: id.into(),
        instance_type: kind.into(),
        instance_region_id: "cn-hangzhou".into(),
    };
    let ecr = Simulator::new(World {
        clock: 1_796_219_400,
        ecr_grants: vec![grant("vbr-j6cwxhgg0s5nuephp", "VBR"), grant("vpc-bp1example", "VPC")],
        ..World::default()
    });
    let netops = Caller::new("acs:ram::1234567890123456:user/netops".parse()?);
    for (instance, kind) in [("vbr-j6cwxhgg0s5nuephp", "VBR"), ("vpc-bp1example", "VPC")] {
        let params: BTreeMap<String, String> = [
            ("EcrId", "ecr-mezk2idmsd0vx2"),
            ("EcrOwnerAliUid", "1210123456123456"),
            ("InstanceId", instance),
            ("InstanceType", kind),
            ("InstanceRegionId", "cn-hangzhou"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let outcome = pollster::block_on(guard.call(
            &ecr,
            "expressconnectrouter:RevokeInstanceFromExpressConnectRouter",
            &params,
            &netops,
        ))?;
        println!(
            "revoke {kind} {instance}: HTTP {}, Code {}",
            outcome.response.status,
            outcome.response.code().unwrap_or("-")
        );
        ecr.advance(ramguard::sim::UPDATE_SECONDS);
    }
    println!("grants left: {:?}", ecr.world().ecr_grants.iter().map(|g| &g.instance_id).collect::<Vec<_>>());
    Ok(())
}
