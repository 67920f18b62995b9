//! Guard a VPC delete: authorize it, then run it on the simulated VPC, and
//! watch the gateway go from `updating` back to `active`.
//!
//! Run with `cargo run --example guard_vpc_delete`.

use std::collections::BTreeMap;

use ramguard::catalog::{Caller, Catalog};
use ramguard::guard::Guard;
use ramguard::sim::{IpsecServer, Simulator, UPDATE_SECONDS, VpnGateway, World};
use ramguard::{Policy, PolicyKind, PolicySetBuilder};

fn gateway_status(vpc: &Simulator) -> String {
    vpc.world().vpn_gateways.first().map_or_else(|| "(none)".to_owned(), |g| g.status.clone())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut policies = PolicySetBuilder::new();
    for file in ["policies/network-ops-vpn.json", "policies/deny-deletes-outside-office.json"] {
        policies.add(Policy::parse(file, &std::fs::read_to_string(file)?, PolicyKind::Identity)?);
    }
    let guard = Guard::new(policies.build()?, Catalog::builtin()?.clone());
    let vpc = Simulator::new(World {
        clock: 1_796_219_400,
        vpn_gateways: vec![VpnGateway {
            vpn_gateway_id: "vpn-1".into(),
            region_id: "cn-hangzhou".into(),
            status: "active".into(),
            updating_until: None,
            financial_locked: false,
        }],
        ipsec_servers: vec![IpsecServer {
            ipsec_server_id: "iss-bp1jougp8cfsbo8y9".into(),
            region_id: "cn-hangzhou".into(),
            vpn_gateway_id: "vpn-1".into(),
            ..IpsecServer::default()
        }],
        ..World::default()
    });
    let params: BTreeMap<String, String> = [("RegionId", "cn-hangzhou"), ("IpsecServerId", "iss-bp1jougp8cfsbo8y9")]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();

    for ip in ["198.51.100.20", "203.0.113.7"] {
        let mut alice = Caller::new("acs:ram::1234567890123456:user/alice".parse()?);
        alice.source_ip = Some(ip.to_owned());
        let outcome = pollster::block_on(guard.call(&vpc, "vpc:DeleteIpsecServer", &params, &alice))?;
        println!("from {ip}: HTTP {} {}", outcome.response.status, outcome.response.body);
    }
    println!("gateway now: {}", gateway_status(&vpc));
    vpc.advance(UPDATE_SECONDS);
    println!(
        "after {UPDATE_SECONDS}s: {}, {} IPsec servers left",
        gateway_status(&vpc),
        vpc.world().ipsec_servers.len()
    );
    Ok(())
}
