//! The world file of `ramguard call` and `ramguard poll`: read, changed and
//! written back by one process at a time, and never left half written.
//!
//! Each run takes an exclusive lock on a sidecar file, `<world>.lock`, before
//! it reads the world and keeps it until the new world is in place, so two
//! runs on one world take turns: neither loses the other's change, and a
//! `ClientToken` call is performed once. The lock is on the sidecar, not on
//! the world itself, because the world is replaced by a rename, which would
//! leave a lock on the old file behind. The sidecar stays in place: removing
//! it would let a waiting run lock a file that no longer guards anything.
//!
//! The new world is written to a temporary file in the world's own directory
//! (`.<world>.ramguard-XXXXXX.tmp`, made with `O_EXCL` under a random name),
//! flushed to the disk, given the old file's permissions, and renamed over
//! the old file; the directory is then synced so that the rename itself
//! lasts. A run killed at any point leaves the old world or the new one,
//! never a mix. A temporary file left by a killed run is removed by the next
//! run, under the lock, when no other run can be writing one.
//!
//! Both commands open the simulator over the locked world ([`open_world`])
//! and write the changed world back ([`save_world`]).

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use ramguard::sim::{MAX_CLOCK, MIN_CLOCK, Simulator, World, format_clock, parse_clock};

/// A world file, locked for this process until it is dropped.
pub(crate) struct LockedWorld {
    /// The world file itself (symbolic links resolved, so that the rename
    /// replaces the file the link points to, not the link).
    path: PathBuf,
    /// The path as the user gave it, for messages.
    shown: PathBuf,
    /// Held open for the lock; closing it releases the lock.
    _lock: File,
}

/// What the temporary files of a world are called: `.<name>.ramguard-`.
fn temp_prefix(path: &Path) -> String {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    format!(".{name}.ramguard-")
}

const TEMP_SUFFIX: &str = ".tmp";

impl LockedWorld {
    /// Waits for the exclusive lock on `path`'s world.
    pub(crate) fn lock(shown: &Path) -> Result<LockedWorld, String> {
        let path = std::fs::canonicalize(shown).map_err(|e| format!("{}: cannot read: {e}", shown.display()))?;
        let mut lock_name = path.clone().into_os_string();
        lock_name.push(".lock");
        let lock_path = PathBuf::from(lock_name);
        let lock = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(|e| format!("{}: cannot open the lock file: {e}", lock_path.display()))?;
        lock.lock().map_err(|e| format!("{}: cannot lock: {e}", lock_path.display()))?;
        let world = LockedWorld { path, shown: shown.to_owned(), _lock: lock };
        world.remove_stale_temporaries();
        Ok(world)
    }

    /// The world file's text.
    pub(crate) fn read(&self) -> Result<String, String> {
        ramguard::files::read_regular(&self.path, ramguard::files::LIFTED_READ_CAP)
            .map_err(|e| format!("{}: cannot read: {e}", self.shown.display()))
    }

    /// The world file's path as the user gave it, for messages.
    pub(crate) fn shown(&self) -> &Path {
        &self.shown
    }

    /// Replaces the world file with `text`, atomically.
    pub(crate) fn write(&self, text: &str) -> Result<(), String> {
        let fail = |what: &str, e: std::io::Error| format!("{}: cannot {what}: {e}", self.shown.display());
        let dir = self.path.parent().unwrap_or_else(|| Path::new("."));
        let prefix = temp_prefix(&self.path);
        let mut temp = tempfile::Builder::new()
            .prefix(&prefix)
            .suffix(TEMP_SUFFIX)
            .tempfile_in(dir)
            .map_err(|e| fail("create a temporary file beside it", e))?;
        temp.write_all(text.as_bytes()).map_err(|e| fail("write", e))?;
        temp.flush().map_err(|e| fail("write", e))?;
        let permissions = std::fs::metadata(&self.path).map_err(|e| fail("read its permissions", e))?.permissions();
        temp.as_file().set_permissions(permissions).map_err(|e| fail("keep its permissions", e))?;
        temp.as_file().sync_all().map_err(|e| fail("sync", e))?;
        temp.persist(&self.path).map_err(|e| fail("replace", e.error))?;
        sync_dir(dir).map_err(|e| fail("sync its directory", e))
    }

    /// Removes temporary files that a killed run left. Only a run holding the
    /// lock writes one, so while this run holds it any that exist are stale.
    /// Failing to remove one is harmless: it is only space.
    fn remove_stale_temporaries(&self) {
        let dir = self.path.parent().unwrap_or_else(|| Path::new("."));
        let prefix = temp_prefix(&self.path);
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with(&prefix) && name.ends_with(TEMP_SUFFIX) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

/// The simulator over a locked world file, its clock moved to `at` when given.
pub(crate) fn open_world(file: &LockedWorld, at: Option<&str>) -> Result<Simulator, String> {
    let text = file.read()?;
    let world = World::from_json(&text).map_err(|e| format!("{}:{e}", file.shown().display()))?;
    let simulator = Simulator::new(world);
    if let Some(at) = at {
        let when =
            parse_clock(at).ok_or_else(|| format!("--at `{at}`: expected an ISO 8601 time with `Z` or an offset"))?;
        if !(MIN_CLOCK..=MAX_CLOCK).contains(&when) {
            return Err(format!(
                "--at `{at}` is out of range: expected a time from 0000-01-01T00:00:00Z to 9999-12-31T23:59:59Z"
            ));
        }
        let now = simulator.world().clock;
        let Some(ahead) = when.checked_sub(now).filter(|s| *s >= 0) else {
            return Err(format!("--at `{at}` is before the world's clock ({})", format_clock(now).unwrap_or_default()));
        };
        simulator.advance(ahead);
    }
    Ok(simulator)
}

/// Writes the world back to the locked file.
pub(crate) fn save_world(file: &LockedWorld, world: &World) -> Result<(), String> {
    let world = serde_json::to_string_pretty(world).map_err(|e| e.to_string())?;
    file.write(&(world + "\n"))
}

/// Makes a rename in `dir` durable (on Unix, where a directory can be synced).
#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}
