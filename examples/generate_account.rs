//! Writes a generated account snapshot, the one `benches/access.rs`
//! measures, scaled to `THOUSANDS` thousand principals (90% users, 10%
//! roles) and ten thousand statements per thousand principals, for
//! measuring `ramguard who-can` and `what-can` at scale:
//!
//! ```text
//! cargo run --release --example generate_account -- 10 account-10k.json
//! ramguard who-can --snapshot account-10k.json --action vpc:DeleteIpsecServer
//! ```
//!
//! The same arguments always write the same file.

#![allow(
    clippy::indexing_slicing,
    reason = "the generator indexes fixed tables with numbers drawn below their lengths"
)]

#[path = "../benches/common/mod.rs"]
#[allow(dead_code, reason = "the generator uses only the random numbers of what the benchmarks share")]
mod common;

#[path = "../benches/common/account.rs"]
mod account;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(thousands), Some(out)) = (args.first().and_then(|a| a.parse::<usize>().ok()), args.get(1)) else {
        eprintln!("usage: generate_account THOUSANDS OUT.json");
        return ExitCode::FAILURE;
    };
    if thousands == 0 {
        eprintln!("THOUSANDS must be at least 1");
        return ExitCode::FAILURE;
    }
    let shape = account::Shape::scaled(thousands);
    if let Err(e) = std::fs::write(out, account::account(shape)) {
        eprintln!("{out}: {e}");
        return ExitCode::FAILURE;
    }
    eprintln!(
        "{out}: {} users, {} roles, {} statements in {} policies, {} groups",
        shape.users,
        shape.roles,
        shape.policies * shape.statements,
        shape.policies,
        shape.groups
    );
    ExitCode::SUCCESS
}
