//! `ramguard who-can` and `ramguard what-can`.

use std::path::PathBuf;

/// Arguments of `ramguard who-can`.
#[derive(clap::Args)]
pub(crate) struct WhoCanArgs {
    /// The account snapshot (a file or a directory).
    #[arg(long)]
    pub(crate) snapshot: PathBuf,
}

/// Arguments of `ramguard what-can`.
#[derive(clap::Args)]
pub(crate) struct WhatCanArgs {
    /// The account snapshot (a file or a directory).
    #[arg(long)]
    pub(crate) snapshot: PathBuf,
}

pub(crate) fn who_can(args: &WhoCanArgs) -> Result<u8, String> {
    Err(format!("who-can is not available yet ({})", args.snapshot.display()))
}

pub(crate) fn what_can(args: &WhatCanArgs) -> Result<u8, String> {
    Err(format!("what-can is not available yet ({})", args.snapshot.display()))
}
