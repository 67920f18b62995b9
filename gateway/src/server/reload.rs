//! Policies that change without a restart: the snapshot, the credentials
//! file and the ZStack sessions file are read, hashed and compiled into a
//! key ring (and sessions) named by their revision; on SIGHUP, and when one
//! of the files changes (their modification times and lengths, polled
//! every second), they are read and compiled again off the async workers,
//! and swapped in whole. A set that does not read, parse or validate is
//! refused and the one in force stays. The TLS certificate and key are
//! looked at the same way, and reloaded on their own.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant, SystemTime};

use ramguard::access::AccessModel;
use ramguard::snapshot::Snapshot;
use sha2::{Digest, Sha256};

use super::ops::Reload;
use super::{
    Config, DecisionLog, LoadedKeys, Nonces, ServeError, Tokens, ZstackSession, file_error, keys_from, read_private,
};
use crate::rpc::{Gateway, KeyRing};
use crate::signature::Secret;

/// How often the files are looked at.
pub(super) const POLL: Duration = Duration::from_secs(1);

/// What the policy files held when they were read: the keys and sessions
/// compiled from them, and their revision.
pub(super) struct Policies {
    /// The keys, carrying the revision.
    pub keys: KeyRing,
    /// The gateway's own key for its upstream.
    pub upstream: Option<(String, Secret)>,
    /// The ZStack sessions, when the configuration names a file of them.
    pub sessions: Option<Sessions>,
    /// The first 16 hex digits of the SHA-256 of the files.
    pub revision: Arc<str>,
}

/// The ZStack sessions in force, with the revision they were built from.
#[derive(Debug, Default)]
pub(super) struct Sessions {
    pub by_uuid: HashMap<String, ZstackSession>,
    pub revision: Arc<str>,
}

/// The ZStack sessions, replaceable while requests are served.
#[derive(Debug, Default)]
pub(super) struct SharedSessions(RwLock<Arc<Sessions>>);

impl SharedSessions {
    pub fn new(sessions: Sessions) -> Self {
        Self(RwLock::new(Arc::new(sessions)))
    }

    pub fn current(&self) -> Arc<Sessions> {
        self.0.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    fn replace(&self, sessions: Sessions) {
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(sessions);
    }
}

/// Feeds one named part into the revision's hash, framed so that no two
/// different sets of files hash alike.
fn part(hash: &mut Sha256, name: &str, bytes: &[u8]) {
    for piece in [name.as_bytes(), bytes] {
        hash.update((piece.len() as u64).to_be_bytes());
        hash.update(piece);
    }
}

/// How deep a snapshot directory may go (its own layout is three levels
/// deep): a deeper one, or a symbolic link to a folder above, is refused
/// rather than followed for ever.
const MAX_DEPTH: usize = 8;

/// The regular files under `dir`, sorted, recursively.
fn files_under(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), ServeError> {
    files_within(dir, out, MAX_DEPTH)
}

fn files_within(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) -> Result<(), ServeError> {
    let Some(depth) = depth.checked_sub(1) else {
        return Err(file_error(dir, format!("more than {MAX_DEPTH} folders deep (a link to a folder above?)")));
    };
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| file_error(dir, e))?
        .map(|entry| entry.map(|e| e.path()).map_err(|e| file_error(dir, e)))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files_within(&path, out, depth)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// The hash input of a snapshot directory: each file's path and content.
fn hash_dir(dir: &Path) -> Result<[u8; 32], ServeError> {
    let mut files = Vec::new();
    files_under(dir, &mut files)?;
    let mut hash = Sha256::new();
    for file in files {
        let text =
            ramguard::files::read_regular(&file, ramguard::files::LIFTED_READ_CAP).map_err(|e| file_error(&file, e))?;
        part(&mut hash, &file.strip_prefix(dir).unwrap_or(&file).display().to_string(), text.as_bytes());
    }
    Ok(hash.finalize().into())
}

/// Reads the snapshot, and what its revision hashes: a file's text is
/// parsed as it was hashed; a directory is hashed before and after it is
/// read, and refused if it changed meanwhile (the next look reads it again).
fn read_snapshot(path: &Path, hash: &mut Sha256) -> Result<Snapshot, ServeError> {
    if path.is_dir() {
        let before = hash_dir(path)?;
        let snapshot = Snapshot::load(path).map_err(|e| ServeError::Config(e.to_string()))?;
        if hash_dir(path)? != before {
            return Err(file_error(path, "changed while it was read"));
        }
        part(hash, "snapshot", &before);
        Ok(snapshot)
    } else {
        let text = super::read(path, ramguard::files::LIFTED_READ_CAP)?;
        part(hash, "snapshot", text.as_bytes());
        Snapshot::from_json(path, &text).map_err(|e| ServeError::Config(e.to_string()))
    }
}

/// Reads and compiles the snapshot, the credentials and the sessions the
/// configuration names: the same at start and at each reload.
pub(super) fn load_policies(config: &Config) -> Result<Policies, ServeError> {
    let mut hash = Sha256::new();
    let snapshot = read_snapshot(&config.snapshot, &mut hash)?;
    let model = AccessModel::new(&snapshot).map_err(|e| file_error(&config.snapshot, e))?;
    let credentials = read_private(&config.credentials)?;
    part(&mut hash, "credentials", credentials.as_bytes());
    let LoadedKeys { keys, upstream } = keys_from(&config.credentials, &credentials, &model)?;
    let sessions = match &config.zstack_sessions {
        Some(path) => {
            let text = read_private(path)?;
            part(&mut hash, "zstack_sessions", text.as_bytes());
            Some(super::sessions_from(path, &text, &model)?)
        }
        None => None,
    };
    let digest = hex::encode(hash.finalize());
    let revision: Arc<str> = digest.get(..16).unwrap_or(&digest).into();
    Ok(Policies {
        keys: keys.with_revision(revision.clone()),
        upstream,
        sessions: sessions.map(|by_uuid| Sessions { by_uuid, revision: revision.clone() }),
        revision,
    })
}

/// What the files looked like: each one's modification time and length
/// (`None` when it could not be looked at).
pub(super) type Fingerprint = Vec<(PathBuf, Option<(SystemTime, u64)>)>;

/// What the watched files looked like: the policy files, and the TLS
/// certificate and key.
#[derive(Debug, Default)]
pub(super) struct Seen {
    policies: Fingerprint,
    certificates: Fingerprint,
}

/// How the files the configuration names look now.
pub(super) fn seen(config: &Config) -> Seen {
    let certificates = config.tls.iter().flat_map(|tls| [tls.cert.clone(), tls.key.clone()]).collect();
    Seen { policies: fingerprint(config), certificates: looked_at(certificates) }
}

/// The fingerprint of the policy files the configuration names.
pub(super) fn fingerprint(config: &Config) -> Fingerprint {
    let mut paths = Vec::new();
    if config.snapshot.is_dir() {
        // A directory that cannot be listed is looked at as itself.
        if files_under(&config.snapshot, &mut paths).is_err() {
            paths.push(config.snapshot.clone());
        }
    } else {
        paths.push(config.snapshot.clone());
    }
    paths.push(config.credentials.clone());
    paths.extend(config.zstack_sessions.iter().cloned());
    looked_at(paths)
}

/// Each path's modification time and length.
fn looked_at(paths: Vec<PathBuf>) -> Fingerprint {
    paths
        .into_iter()
        .map(|path| {
            let seen = std::fs::metadata(&path).ok().and_then(|m| Some((m.modified().ok()?, m.len())));
            (path, seen)
        })
        .collect()
}

/// What reloads the policies into a running gateway.
pub(super) struct Reloader {
    pub config: Config,
    pub gateway: Arc<Gateway<Tokens, Nonces>>,
    pub sessions: Option<Arc<SharedSessions>>,
    /// The revision in force; held while a reload swaps, so that two never
    /// interleave.
    pub revision: Mutex<Arc<str>>,
    /// The decision log, reopened on SIGHUP.
    pub log: Option<Arc<DecisionLog>>,
    /// Where reloads are counted.
    pub metrics: Arc<super::ops::Metrics>,
    /// The TLS certificate and key, when the server speaks TLS.
    pub certificates: Option<Arc<super::tls::Certificates>>,
}

impl Reloader {
    /// Reads and compiles the files and, if they hold a new revision, swaps
    /// it in. Blocking: run it off the async workers. Says on stderr what
    /// it did.
    pub fn reload(&self, asked: bool) {
        let started = Instant::now();
        let loaded = load_policies(&self.config);
        let mut current = self.revision.lock().unwrap_or_else(PoisonError::into_inner);
        match loaded {
            Err(e) => {
                self.metrics.reloaded(Reload::Refused, &current);
                eprintln!("ramguard serve: reload refused, revision {current} stays in force: {e}");
            }
            Ok(policies) if policies.revision == *current => {
                self.metrics.reloaded(Reload::Unchanged, &current);
                if asked {
                    eprintln!("ramguard serve: policies unchanged, revision {current}");
                }
            }
            Ok(policies) => {
                self.gateway.replace_keys(policies.keys);
                if let (Some(shared), Some(sessions)) = (&self.sessions, policies.sessions) {
                    shared.replace(sessions);
                }
                *current = policies.revision;
                self.metrics.reloaded(Reload::Ok, &current);
                eprintln!(
                    "ramguard serve: reloaded policies, revision {current} (in {:.1} ms)",
                    started.elapsed().as_secs_f64() * 1000.0
                );
            }
        }
    }
}

/// Completes on the next SIGHUP; never, where there is none.
async fn hangup(signal: &mut Option<Hangups>) {
    match signal {
        #[cfg(unix)]
        Some(signal) => {
            if signal.recv().await.is_none() {
                std::future::pending::<()>().await;
            }
        }
        _ => std::future::pending::<()>().await,
    }
}

#[cfg(unix)]
pub(super) type Hangups = tokio::signal::unix::Signal;
#[cfg(not(unix))]
pub(super) type Hangups = std::convert::Infallible;

/// Listens for SIGHUP from now on (so that one sent once the server says
/// it listens reloads rather than ends it).
pub(super) fn hangups() -> Option<Hangups> {
    #[cfg(unix)]
    {
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok()
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// Reopens the decision log and reloads on SIGHUP; reloads the policies,
/// or the TLS certificate and key, when their files' fingerprint differs
/// from the one last seen (`seen`, taken before the files in force were
/// read).
pub(super) async fn watch(reloader: Arc<Reloader>, mut signal: Option<Hangups>, seen: Seen) {
    let mut tick = tokio::time::interval(POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut seen = seen;
    loop {
        let asked = tokio::select! {
            _ = tick.tick() => false,
            () = hangup(&mut signal) => true,
        };
        let reloader = reloader.clone();
        let last = std::mem::take(&mut seen);
        let looked = tokio::task::spawn_blocking(move || {
            if asked && let Some(log) = &reloader.log {
                log.reopen();
            }
            let now = self::seen(&reloader.config);
            if asked || now.policies != last.policies {
                reloader.reload(asked);
            }
            if let Some(certificates) = &reloader.certificates
                && (asked || now.certificates != last.certificates)
            {
                certificates.reload(asked);
            }
            now
        })
        .await;
        // A reload that panicked changed nothing: look again next time.
        seen = looked.unwrap_or_default();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests unwrap what they just built")]

    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_snapshot_folder_that_links_to_itself_is_refused_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ListUsers.json"), "{}").unwrap();
        std::os::unix::fs::symlink(dir.path(), dir.path().join("loop")).unwrap();
        let error = hash_dir(dir.path()).unwrap_err().to_string();
        assert!(error.contains("folders deep"), "{error}");
    }

    #[test]
    fn the_same_files_hash_alike_and_a_moved_byte_does_not() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a"), "xy").unwrap();
        let before = hash_dir(dir.path()).unwrap();
        assert_eq!(hash_dir(dir.path()).unwrap(), before);
        // The same bytes, framed otherwise: another name and content.
        std::fs::remove_file(dir.path().join("a")).unwrap();
        std::fs::write(dir.path().join("ax"), "y").unwrap();
        assert_ne!(hash_dir(dir.path()).unwrap(), before);
    }
}
