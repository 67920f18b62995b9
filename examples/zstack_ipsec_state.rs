//! ZStack: enable an IPsec connection behind the session check and the RAM
//! policy, then poll the asynchronous job until it answers with the inventory.
//!
//! Run with `cargo run --example zstack_ipsec_state`.

use std::collections::BTreeMap;

use ramguard::catalog::{Caller, Catalog};
use ramguard::guard::Guard;
use ramguard::sim::{JOB_SECONDS, Simulator, World, ZstackIpsecConnection, ZstackSession};
use ramguard::{Policy, PolicyKind, PolicySetBuilder};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let file = "policies/zstack-ipsec-operator.json";
    let mut policies = PolicySetBuilder::new();
    policies.add(Policy::parse(file, &std::fs::read_to_string(file)?, PolicyKind::Identity)?);
    let guard = Guard::new(policies.build()?, Catalog::builtin()?.clone());
    let zstack = Simulator::new(World {
        clock: 1_796_219_400,
        zstack_sessions: vec![ZstackSession {
            uuid: "b86c9016b4f24953a9edefb53ca0678c".into(),
            expires_at: 1_796_223_000,
        }],
        zstack_ipsec_connections: vec![ZstackIpsecConnection {
            uuid: "76424bb25d3a37c9961fff1116bc06da".into(),
            name: "IPSec-1".into(),
            peer_address: "198.51.100.1".into(),
            auth_key: "never-shown".into(),
            state: "Disabled".into(),
            status: "Ready".into(),
        }],
        ..World::default()
    });
    let operator = Caller::new("acs:ram::1234567890123456:user/operator".parse()?);
    let call = |event: &str, session: &str| -> BTreeMap<String, String> {
        [
            ("uuid", "76424bb25d3a37c9961fff1116bc06da"),
            ("stateEvent", event),
            ("Authorization", &format!("OAuth {session}")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    };
    let action = "zstack:ChangeIPSecConnectionState";

    let expired = pollster::block_on(guard.call(&zstack, action, &call("enable", "stale-session"), &operator))?;
    println!("stale session: HTTP {} {}", expired.response.status, expired.response.body);
    let disable = pollster::block_on(guard.call(
        &zstack,
        action,
        &call("disable", "b86c9016b4f24953a9edefb53ca0678c"),
        &operator,
    ))?;
    println!("disable: HTTP {} {}", disable.response.status, disable.response.body);
    let enable = pollster::block_on(guard.call(
        &zstack,
        action,
        &call("enable", "b86c9016b4f24953a9edefb53ca0678c"),
        &operator,
    ))?;
    println!("enable: HTTP {} {}", enable.response.status, enable.response.body);
    let job = enable
        .response
        .body
        .get("location")
        .and_then(|l| l.as_str())
        .and_then(|l| l.rsplit('/').next())
        .unwrap_or_default()
        .to_owned();
    println!("poll now: HTTP {}", zstack.poll(&job).status);
    zstack.advance(JOB_SECONDS);
    let done = zstack.poll(&job);
    println!("poll after {JOB_SECONDS}s: HTTP {} {}", done.status, done.body);
    Ok(())
}
