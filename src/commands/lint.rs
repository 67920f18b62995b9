//! `ramguard lint`.

use std::path::PathBuf;

/// Arguments of `ramguard lint`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// Policy documents, or directories searched for `*.json`.
    #[arg(required = true)]
    pub(crate) files: Vec<PathBuf>,
}

pub(crate) fn run(args: &Args) -> Result<u8, String> {
    Err(format!("lint is not available yet ({} files)", args.files.len()))
}
