//! Decide one request against one identity policy, then explain a denial.
//!
//! Run with `cargo run --example authorize_one`.

use ramguard::{Context, Policy, PolicyKind, PolicySet, Principal, Request};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let policy = Policy::parse(
        "network-ops",
        r#"{
          "Version": "1",
          "Statement": [
            {"Effect": "Allow", "Action": "vpc:DeleteVpnConnection",
             "Resource": "acs:vpc:cn-hangzhou:1234567890123456:vpnconnection/*"},
            {"Effect": "Deny", "Action": "vpc:Delete*", "Resource": "*",
             "Condition": {"NotIpAddress": {"acs:SourceIp": ["203.0.113.0/24"]}}}
          ]
        }"#,
        PolicyKind::Identity,
    )?;
    let set = PolicySet::new().with(policy);
    let alice: Principal = "acs:ram::1234567890123456:user/alice".parse()?;
    let resource = "acs:vpc:cn-hangzhou:1234567890123456:vpnconnection/vco-bp1example";

    for source_ip in ["203.0.113.7", "198.51.100.20"] {
        let request = Request::new(alice.clone(), "vpc:DeleteVpnConnection", resource)
            .with_context(Context::new().with("acs:SourceIp", source_ip));
        let decision = set.authorize(&request);
        println!("from {source_ip}: {} (decided by {} policies)", decision.outcome, decision.decided_by);
        if !decision.outcome.is_allow() {
            let explanation = set.explain(&request);
            for statement in &explanation.matched {
                println!("  {:?} by {}#{}", statement.effect, statement.policy, statement.statement);
            }
            if let Some(detail) = &explanation.access_denied_detail {
                println!("  AccessDeniedDetail: {}", serde_json::to_string(detail)?);
            }
        }
    }
    Ok(())
}
