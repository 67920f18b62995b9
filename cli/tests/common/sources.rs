//! Shared by the tests of the commands that read Terraform plans and ROS
//! templates: running the binary from the repository, and reading a file
//! from a line and column on.

use std::path::Path;
use std::process::{Command, Output};

/// `ramguard ARGS...`, run from the repository's root.
pub fn ramguard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ramguard")).args(args).current_dir(crate::common::repo()).output().unwrap()
}

/// What `out` wrote on standard output.
pub fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// The text of the file at `path` from line `line`, column `column` on.
pub fn text_at(path: &Path, line: usize, column: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines().nth(line - 1).unwrap().chars().skip(column - 1).collect()
}
