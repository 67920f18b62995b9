//! The official Alibaba Cloud Python SDKs, for tests that check ramguard
//! against them, in a virtual environment the tests create themselves.
//!
//! [`sdk_python`] returns the environment's interpreter. The environment is
//! `sdk-venv` in the Cargo target directory's temporary folder
//! (`CARGO_TARGET_TMPDIR`, normally `target/tmp/sdk-venv`) and holds exactly
//! the packages pinned in `tests/sdk/requirements.txt`, installed with
//! `pip install --no-deps` (the package index must be reachable the first
//! time).
//!
//! - It is built once. A marker file inside it holds the requirements and
//!   the base interpreter it was built from; when either differs (a pin
//!   changed, `python3` was upgraded) it is built again from scratch. A
//!   build that was interrupted left no marker, so it is built again too.
//! - Concurrent builds cannot happen: test threads share one attempt per
//!   process, and processes take an exclusive lock on `sdk-venv.lock`
//!   beside it, so a second test binary waits for the first to finish and
//!   then finds the environment ready.
//! - A machine without `python3` 3.11 or newer, or without its `venv`
//!   module, fails the test that asked, saying what to install: these
//!   tests never pass by skipping.
//!
//! A test file includes it with `#[path = "common/python.rs"] mod python;`
//! (from `gateway/tests/`: `#[path = "../../tests/common/python.rs"]`); the
//! requirements are compiled in relative to this file, so both find them.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Instant;

/// The pinned packages: the five SDK packages and everything they pull in.
const REQUIREMENTS: &str = include_str!("../sdk/requirements.txt");

/// The oldest Python the pinned releases support.
const MIN_PYTHON: (u32, u32) = (3, 11);

/// What a machine needs, in the words of the failure that says it lacks it.
const NEEDED: &str = "python3 (3.11 or newer) with the venv module is required to test against the \
                      Alibaba Cloud SDKs: apt-get install python3 python3-venv";

/// The interpreter of the SDK environment, built first if it is missing or
/// stale. Panics, with what to install or what pip said, when it cannot be
/// built.
#[allow(clippy::panic, reason = "a test that needs the SDKs must fail, not skip, without them")]
pub fn sdk_python() -> PathBuf {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match PYTHON.get_or_init(|| ensure(Path::new(env!("CARGO_TARGET_TMPDIR")))) {
        Ok(python) => python.clone(),
        Err(message) => panic!("{message}"),
    }
}

/// Makes `<dir>/sdk-venv` hold the pinned packages, under the lock.
fn ensure(dir: &Path) -> Result<PathBuf, String> {
    let base = base_python()?;
    fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let lock_path = dir.join("sdk-venv.lock");
    let lock = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| format!("{}: {e}", lock_path.display()))?;
    // Held until `lock` is dropped at the end of this function.
    lock.lock().map_err(|e| format!("cannot lock {}: {e}", lock_path.display()))?;

    let venv = dir.join("sdk-venv");
    let python = venv.join(if cfg!(windows) { "Scripts/python.exe" } else { "bin/python" });
    let marker = venv.join("ramguard-installed.txt");
    let expected = format!("{base}\n{REQUIREMENTS}");
    if python.exists() && fs::read_to_string(&marker).is_ok_and(|m| m == expected) {
        return Ok(python);
    }

    let started = Instant::now();
    eprintln!("creating the SDK environment {} (once)", venv.display());
    if venv.exists() {
        fs::remove_dir_all(&venv).map_err(|e| format!("cannot remove the stale {}: {e}", venv.display()))?;
    }
    run(Command::new("python3").arg("-m").arg("venv").arg(&venv), &format!("{NEEDED}; `python3 -m venv` failed"))?;
    let requirements = venv.join("requirements.txt");
    fs::write(&requirements, REQUIREMENTS).map_err(|e| format!("{}: {e}", requirements.display()))?;
    let pip = |args: &[&str]| {
        let mut command = Command::new(&python);
        command.args(["-m", "pip", "--disable-pip-version-check", "--no-input"]).args(args);
        command
    };
    run(
        pip(&["install", "--quiet", "--no-deps", "-r"]).arg(&requirements),
        "pip could not install tests/sdk/requirements.txt (PyPI must be reachable the first time)",
    )?;
    // `--no-deps` trusts the list to be complete; `pip check` proves it is.
    run(&mut pip(&["check"]), "tests/sdk/requirements.txt misses a dependency: pin it too")?;
    fs::write(&marker, &expected).map_err(|e| format!("{}: {e}", marker.display()))?;
    eprintln!("created the SDK environment in {:.1} s", started.elapsed().as_secs_f64());
    Ok(python)
}

/// The base interpreter's identity (its path and full version), once it is
/// known to be new enough and to have the `venv` and `ensurepip` modules
/// (Debian puts `ensurepip` in `python3-venv`, without which `python3 -m
/// venv` fails).
fn base_python() -> Result<String, String> {
    let probe = format!(
        "import sys, venv, ensurepip; print(sys.executable, sys.version); sys.exit(sys.version_info[:2] < {MIN_PYTHON:?})"
    );
    let output = Command::new("python3")
        .args(["-c", &probe])
        .output()
        .map_err(|e| format!("{NEEDED} (running `python3`: {e})"))?;
    let stdout = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let found = if stdout.is_empty() { stderr.trim().lines().last().unwrap_or_default() } else { &stdout };
        return Err(format!("{NEEDED} (found: {found})"));
    }
    Ok(stdout)
}

/// Runs `command`; on failure, `context` with what the command printed.
fn run(command: &mut Command, context: &str) -> Result<(), String> {
    let output = command.output().map_err(|e| format!("{context}: {e}"))?;
    if output.status.success() {
        return Ok(());
    }
    Err(format!(
        "{context} ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    ))
}
