//! Reading the files ramguard is given, bounded: only regular files, at
//! most a cap of bytes, as UTF-8.
//!
//! The type is checked before the file is opened (opening a FIFO blocks)
//! and again on the open file (the path may have been replaced in between);
//! no more than the cap is read, so a device, a pipe or a growing file can
//! make no command take unbounded time or memory.
//!
//! ```
//! use ramguard::files::{ReadError, read_capped};
//!
//! assert_eq!(read_capped(&b"{}"[..], 16)?, "{}");
//! assert!(matches!(read_capped(&[b' '; 17][..], 16), Err(ReadError::TooLarge { cap: 16 })));
//! assert!(matches!(read_capped(&[0xff][..], 16), Err(ReadError::NotUtf8 { valid_up_to: 0 })));
//! Ok::<(), ReadError>(())
//! ```

use std::io::Read as _;
use std::path::Path;

/// The most bytes read from one policy file: above the 24,576 bytes that
/// RAM's largest size limit (6,144 characters, each at most 4 bytes in
/// UTF-8) allows, with room for resource policies, which RAM's limits leave
/// unbounded here.
pub const READ_CAP: u64 = 64 * 1024;
/// The most bytes read from one file with every size limit lifted, and from
/// a file that is not a policy (a suite, a snapshot, a world, a catalog).
pub const LIFTED_READ_CAP: u64 = 64 * 1024 * 1024;

/// Why a file was not read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The file system refused.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The path names something other than a regular file.
    #[error("{what}, not a regular file")]
    NotRegular {
        /// What it is instead: `a FIFO`, `a socket`, `a device`, `a directory`.
        what: &'static str,
    },
    /// The file holds more than the cap.
    #[error("larger than {cap} bytes, the most read from one file")]
    TooLarge {
        /// The cap in force.
        cap: u64,
    },
    /// The bytes are not UTF-8.
    #[error("not UTF-8 (at byte {valid_up_to})")]
    NotUtf8 {
        /// How many bytes from the start are valid UTF-8.
        valid_up_to: usize,
    },
}

/// What a file that is not a regular file is, for messages.
pub fn describe(kind: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_socket() {
            return "a socket";
        }
        if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
    }
    if kind.is_dir() { "a directory" } else { "something else" }
}

/// The text of `path` if it is a regular file of at most `cap` bytes.
pub fn read_regular(path: &Path, cap: u64) -> Result<String, ReadError> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(ReadError::NotRegular { what: describe(meta.file_type()) });
    }
    let file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(ReadError::NotRegular { what: describe(meta.file_type()) });
    }
    read_capped(file, cap)
}

/// At most `cap` bytes of `from` (a file, standard input), as UTF-8.
pub fn read_capped(from: impl std::io::Read, cap: u64) -> Result<String, ReadError> {
    let mut bytes = Vec::new();
    from.take(cap.saturating_add(1)).read_to_end(&mut bytes)?;
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > cap {
        return Err(ReadError::TooLarge { cap });
    }
    String::from_utf8(bytes).map_err(|e| ReadError::NotUtf8 { valid_up_to: e.utf8_error().valid_up_to() })
}
