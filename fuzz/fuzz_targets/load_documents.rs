//! The other documents ramguard reads: test suites, account snapshots,
//! simulator world files and operation catalogs, from arbitrary bytes.
//!
//! The first byte says which; the rest is the text. Loading never panics,
//! every located error points inside the text, and what loads is then used:
//! a suite is run, a snapshot is audited (who may delete a VPN connection,
//! what its first principal may do), a world is driven through every
//! catalog operation and its clock moved on.

#![no_main]

use std::collections::BTreeMap;
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use ramguard::access::{AccessModel, WhoCanQuery};
use ramguard::catalog::{Caller, Catalog};
use ramguard::guard::Guard;
use ramguard::sim::{Simulator, World};
use ramguard::snapshot::Snapshot;
use ramguard::suite::{Suite, SuiteError};
use ramguard::{CompiledPolicySet, Context, Limits, Location, Policy, PolicyKind, PolicySet};

/// Whether `at` is a place in `text` (one past the end of a line included).
fn inside(text: &str, at: Location) -> bool {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Some(line) = text.split('\n').nth(at.line.saturating_sub(1)) else { return false };
    at.line >= 1 && at.column >= 1 && at.column <= line.chars().count() + 1
}

/// A suite path whose folder holds no policy files: a suite that names a
/// file gets a read error, never a file of the machine's.
const SUITE: &str = "/nonexistent-ramguard-fuzz/suite.json";

fn suite(text: &str) {
    match Suite::from_json(Path::new(SUITE), text, &Limits::default()) {
        Ok(suite) => {
            let report = suite.run();
            assert_eq!(report.cases.len(), suite.len(), "a case without a result");
        }
        Err(SuiteError::Format { location, message, .. } | SuiteError::Context { location, message, .. }) => {
            assert!(inside(text, location), "{message} at {location} is outside the suite");
        }
        Err(SuiteError::Policy { file, errors, .. }) if file == Path::new(SUITE) => {
            for e in errors.errors() {
                assert!(inside(text, e.location()), "{} at {} is outside the suite", e.kind(), e.location());
            }
        }
        Err(_) => {}
    }
}

fn snapshot(text: &str, catalog: &Catalog) {
    let snapshot = match Snapshot::from_json(Path::new("snapshot.json"), text) {
        Ok(snapshot) => snapshot,
        Err(e) => {
            if let Some(at) = e.location() {
                assert!(inside(text, at), "{e} is outside the snapshot");
            }
            return;
        }
    };
    let Ok(model) = AccessModel::new(&snapshot) else { return };
    let query =
        WhoCanQuery { action: "vpc:DeleteVpnConnection".to_owned(), resources: Vec::new(), context: Context::new() };
    let _ = model.who_can(&query, catalog);
    if let Some(first) = model.principals().first() {
        let _ = model.what_can(first, catalog, &Context::new());
    }
}

fn world(text: &str, catalog: &Catalog) {
    let world = match World::from_json(text) {
        Ok(world) => world,
        Err(e) => {
            assert!(inside(text, e.location), "{} at {} is outside the world file", e.message, e.location);
            return;
        }
    };
    // Allow everything: the calls reach the simulator.
    let allow = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
    let Ok(policy) = Policy::parse("all", allow, PolicyKind::Identity) else { return };
    let Ok(set) = CompiledPolicySet::compile(PolicySet::new().with(policy)) else { return };
    let guard = Guard::new(set, catalog.clone());
    let simulator = Simulator::new(world);
    let ids: Vec<String> = {
        let w = simulator.world();
        let mut ids: Vec<String> = Vec::new();
        ids.extend(w.ipsec_servers.iter().map(|s| s.ipsec_server_id.clone()));
        ids.extend(w.vpn_connections.iter().map(|c| c.vpn_connection_id.clone()));
        ids.extend(w.traffic_mirror_sessions.iter().map(|s| s.traffic_mirror_session_id.clone()));
        ids.extend(w.zstack_ipsec_connections.iter().map(|c| c.uuid.clone()));
        ids.truncate(4);
        ids
    };
    let Ok(principal) = "acs:ram::1:user/alice".parse() else { return };
    let caller = Caller::new(principal);
    for operation in catalog.operations() {
        for id in ids.iter().map(String::as_str).chain(["missing"]) {
            let mut params = BTreeMap::new();
            for p in &operation.parameters {
                let value = if p.name.ends_with("Id") || p.name == "uuid" { id } else { "cn-hangzhou" };
                params.insert(p.name.clone(), value.to_owned());
            }
            params.insert("ClientToken".to_owned(), format!("t-{id}"));
            let _ = pollster::block_on(guard.call(&simulator, &operation.action, &params, &caller));
        }
    }
    simulator.advance(i64::MAX);
    for job in simulator.world().zstack_jobs.iter().map(|j| j.id.clone()).collect::<Vec<_>>() {
        let _ = simulator.poll(&job);
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((which, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let Ok(catalog) = Catalog::builtin() else { return };
    match which % 4 {
        0 => suite(text),
        1 => snapshot(text, catalog),
        2 => world(text, catalog),
        _ => {
            if let Ok(mut extended) = Catalog::from_json(text) {
                let _ = extended.merge(catalog.clone());
                for op in extended.operations().iter().take(8) {
                    let _ = extended.get(&op.action);
                    let _ = extended.suggest(&op.action.to_lowercase());
                }
            }
        }
    }
});
