//! The world file of `ramguard call` and `ramguard poll`: concurrent runs take
//! turns, a run killed while it writes leaves the old world or the new one,
//! and a world whose numbers are out of range is refused where they are.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests unwrap and index what they just built"
)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;

fn ramguard() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ramguard"));
    command.current_dir(common::repo());
    command
}

/// A fresh directory for one test.
fn temp_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ramguard-world-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The bundled world with `padding` more gateways, to make it as large as a
/// test needs, written to `dir/world.json`.
fn world_file(dir: &Path, padding: usize) -> PathBuf {
    let mut world: Value =
        serde_json::from_str(&std::fs::read_to_string(common::repo().join("policies/worlds/network.json")).unwrap())
            .unwrap();
    let gateways = world["vpn_gateways"].as_array_mut().unwrap();
    for i in 0..padding {
        gateways.push(serde_json::json!({
            "VpnGatewayId": format!("vpn-padding{i:08}"), "RegionId": "cn-hangzhou", "Status": "active"
        }));
    }
    let path = dir.join("world.json");
    std::fs::write(&path, serde_json::to_string_pretty(&world).unwrap()).unwrap();
    path
}

const DELETE: [&str; 12] = [
    "--principal",
    "acs:ram::1234567890123456:user/alice",
    "--identity",
    "policies/network-ops-vpn.json",
    "--operation",
    "vpc:DeleteIpsecServer",
    "--param",
    "RegionId=cn-hangzhou",
    "--param",
    "IpsecServerId=iss-bp1jougp8cfsbo8y9",
    "--format",
    "json",
];

/// A call that only reads, so that every run that finishes adds one request.
const DESCRIBE: [&str; 10] = [
    "--principal",
    "acs:ram::1234567890123456:user/alice",
    "--identity",
    "policies/network-ops-vpn.json",
    "--operation",
    "vpc:DescribeVpnGateway",
    "--param",
    "RegionId=cn-hangzhou",
    "--param",
    "VpnGatewayId=vpn-bp1hgim8by0kc9nga",
];

/// `ramguard call` on `world`, deleting the bundled IPsec server with `extra` arguments.
fn delete(world: &Path, extra: &[&str]) -> Command {
    let mut command = ramguard();
    command.args(["call", "--world", world.to_str().unwrap()]).args(DELETE).args(extra);
    command
}

fn read_world(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("the world file is not JSON ({e}): {} bytes", text.len()))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn concurrent_calls_take_turns_and_a_client_token_call_runs_once() {
    let dir = temp_dir("concurrent");
    let world = world_file(&dir, 2_000);
    let before = read_world(&world)["requests"].as_u64().unwrap_or(0);
    const RUNS: usize = 16;
    let children: Vec<Child> = (0..RUNS)
        .map(|_| {
            delete(&world, &["--param", "ClientToken=0c593ea1-3bea-11e9-b96b-88e9fe637760"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs: Vec<Output> = children.into_iter().map(|c| c.wait_with_output().unwrap()).collect();
    for o in &outputs {
        assert_eq!(o.status.code(), Some(0), "{}{}", text(&o.stdout), text(&o.stderr));
    }
    let answers: Vec<Value> = outputs.iter().map(|o| serde_json::from_slice(&o.stdout).unwrap()).collect();
    let performed = answers.iter().filter(|a| a["performed"] == true).count();
    assert_eq!(performed, 1, "the ClientToken call is performed exactly once");
    let first = &answers.iter().find(|a| a["performed"] == true).unwrap()["body"]["RequestId"];
    assert!(answers.iter().all(|a| a["body"]["RequestId"] == *first), "every run gets the first answer");

    let after = read_world(&world);
    assert_eq!(after["requests"].as_u64().unwrap(), before + RUNS as u64, "no run's update is lost");
    assert_eq!(after["client_tokens"].as_array().unwrap().len(), 1);
    assert!(after["ipsec_servers"].as_array().unwrap()[0]["Deleting"] == true);
}

#[test]
fn concurrent_polls_and_calls_all_count() {
    let dir = temp_dir("mixed");
    let world = world_file(&dir, 2_000);
    let w = world.to_str().unwrap().to_owned();
    let children: Vec<Child> = (0..12)
        .map(|i| {
            let mut command = if i % 2 == 0 {
                let mut c = ramguard();
                c.args(["poll", "--world", &w, "no-such-job"]);
                c
            } else {
                delete(&world, &[])
            };
            command.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap()
        })
        .collect();
    for child in children {
        let o = child.wait_with_output().unwrap();
        assert!(matches!(o.status.code(), Some(0 | 3)), "{}", text(&o.stderr));
    }
    // Polls take no request id; the six calls each took one.
    assert_eq!(read_world(&world)["requests"], 6);
}

/// The temporary files a run writes beside `world`.
fn temporaries(world: &Path) -> Vec<PathBuf> {
    let prefix = format!(".{}.ramguard-", world.file_name().unwrap().to_string_lossy());
    std::fs::read_dir(world.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(&prefix))
        .collect()
}

/// What identifies one version of a file: its size, modification time and
/// (on Unix) inode.
fn version(path: &Path) -> (u64, std::time::SystemTime, u64) {
    let m = std::fs::metadata(path).unwrap();
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(&m);
    #[cfg(not(unix))]
    let inode = 0;
    (m.len(), m.modified().unwrap(), inode)
}

/// Gateways added to make the world large enough (some megabytes) that a
/// write takes a while.
const PADDING: usize = 16_000;

#[test]
fn a_run_killed_while_it_writes_leaves_the_old_world_or_the_new() {
    let dir = temp_dir("killed");
    let world = world_file(&dir, PADDING);
    let mut requests = read_world(&world)["requests"].as_u64().unwrap_or(0);
    // Each run is killed once it has started to write (a temporary file
    // appears, or the world file itself changes): at once, several times,
    // then after growing pauses, so that the kills land in the write, the
    // sync and the rename. Where a kill lands varies; what must hold after
    // every one does not.
    for pause_ms in [0, 0, 0, 0, 0, 0, 2, 4, 6, 8, 10, 12, 14, 16] {
        let seen = version(&world);
        let mut child = ramguard()
            .args(["call", "--world", world.to_str().unwrap()])
            .args(DESCRIBE)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Stat the world at every turn (its size changes the moment it is
        // truncated, its inode when it is replaced), and look for a
        // temporary file at every 16th.
        let mut turn = 0u32;
        let exited = loop {
            turn = turn.wrapping_add(1);
            if version(&world) != seen || (turn.is_multiple_of(16) && !temporaries(&world).is_empty()) {
                break false;
            }
            if turn.is_multiple_of(64) && child.try_wait().unwrap().is_some() {
                break true;
            }
        };
        if !exited && pause_ms > 0 {
            std::thread::sleep(std::time::Duration::from_millis(pause_ms));
        }
        let _ = child.kill();
        let _ = child.wait().unwrap();

        let now = read_world(&world);
        ramguard::sim::World::from_json(&std::fs::read_to_string(&world).unwrap()).unwrap();
        let counted = now["requests"].as_u64().unwrap_or(0);
        assert!(counted == requests || counted == requests + 1, "{requests} then {counted}");
        assert_eq!(now["vpn_gateways"].as_array().unwrap().len(), PADDING + 1);
        requests = counted;
    }
    // The next run clears what killed runs left.
    let o = delete(&world, &[]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(temporaries(&world), Vec::<PathBuf>::new());
}

#[cfg(unix)]
#[test]
fn the_world_keeps_its_permissions_and_a_link_to_it_stays_a_link() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = temp_dir("permissions");
    let world = world_file(&dir, 0);
    std::fs::set_permissions(&world, std::fs::Permissions::from_mode(0o640)).unwrap();
    let link = dir.join("link.json");
    std::os::unix::fs::symlink(&world, &link).unwrap();
    let o = delete(&link, &[]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert_eq!(std::fs::metadata(&world).unwrap().permissions().mode() & 0o777, 0o640);
    assert_eq!(read_world(&world)["requests"], 1);
}

/// A world with `value` as the text of the number at `pointer`.
fn world_with(dir: &Path, name: &str, pointer: &str, value: &str) -> PathBuf {
    let mut world: Value =
        serde_json::from_str(&std::fs::read_to_string(common::repo().join("policies/worlds/network.json")).unwrap())
            .unwrap();
    let mut at = &mut world;
    for step in pointer.split('/').skip(1) {
        at = match step.parse::<usize>() {
            Ok(index) => &mut at[index],
            Err(_) => &mut at[step],
        };
    }
    *at = Value::from("@value@");
    let text = serde_json::to_string_pretty(&world).unwrap().replace("\"@value@\"", value);
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn out_of_range_numbers_are_located_errors_for_call_and_poll() {
    let dir = temp_dir("range");
    let fields = [
        "/clock",
        "/requests",
        "/vpn_gateways/0/UpdatingUntil",
        "/traffic_mirror_sessions/0/DeletingUntil",
        "/ecr_locks/ecr-mezk2idmsd0vx2",
        "/last_change/vco-bp1bbi27hojx80nck",
        "/zstack_sessions/0/expiresAt",
    ];
    for (i, field) in fields.iter().enumerate() {
        for value in ["9223372036854775807", "-9223372036854775808", "18446744073709551615"] {
            let world = world_with(&dir, &format!("w{i}.json"), field, value);
            let w = world.to_str().unwrap();
            let mut poll = ramguard();
            poll.args(["poll", "--world", w, "job"]);
            for mut command in [delete(&world, &[]), poll] {
                let o = command.output().unwrap();
                let err = text(&o.stderr);
                assert_eq!(o.status.code(), Some(1), "{field} = {value}: {err}");
                assert!(err.contains(&format!("`{value}` is out of range: expected ")), "{err}");
                assert!(err.starts_with(&format!("error: {w}:")), "{err}");
            }
        }
    }
}

#[test]
fn at_beyond_the_clock_range_is_refused() {
    let dir = temp_dir("at");
    let world = world_file(&dir, 0);
    let o = delete(&world, &["--at", "9999-12-31T23:59:59-14:00"]).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("is out of range: expected a time from 0000-01-01T00:00:00Z"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn a_world_at_the_end_of_time_still_runs() {
    let dir = temp_dir("edge");
    let world = world_with(&dir, "edge.json", "/clock", "253402300799");
    let o = delete(&world, &[]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    // The gateway's update ends at the last second a world can hold, and the
    // world written back can be read again.
    let o = delete(&world, &[]).output().unwrap();
    assert!(matches!(o.status.code(), Some(0 | 3)), "{}", text(&o.stderr));
    ramguard::sim::World::from_json(&std::fs::read_to_string(&world).unwrap()).unwrap();
}

#[test]
fn a_world_file_may_start_with_a_byte_order_mark() {
    let dir = temp_dir("bom");
    let world = world_file(&dir, 0);
    let text_then = std::fs::read_to_string(&world).unwrap();
    std::fs::write(&world, format!("\u{feff}{text_then}")).unwrap();
    let o = delete(&world, &[]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(read_world(&world)["requests"], 1);
}
