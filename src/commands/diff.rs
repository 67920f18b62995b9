//! `ramguard diff`.

use std::path::PathBuf;

/// Arguments of `ramguard diff`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The policies before the change.
    pub(crate) old: PathBuf,
    /// The policies after the change.
    pub(crate) new: PathBuf,
}

pub(crate) fn run(args: &Args) -> Result<u8, String> {
    Err(format!("diff is not available yet ({} {})", args.old.display(), args.new.display()))
}
