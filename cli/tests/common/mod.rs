//! Shared by the tests of the command line.

use std::path::{Path, PathBuf};

/// The repository's root: where the test data (`policies/`, `tests/`,
/// `scripts/`) lives, and where the binary is run from, as a user of a
/// clone runs it.
pub fn repo() -> PathBuf {
    let cli = Path::new(env!("CARGO_MANIFEST_DIR"));
    cli.parent().unwrap_or(cli).to_path_buf()
}
