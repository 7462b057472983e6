//! The clean-stop marker: a small file the writer leaves when it closes
//! the journal cleanly, saying where the log ends.
//!
//! Its presence claims a clean stop; a log that does not end where it says
//! has lost records (a deleted last segment, a cut exactly at a record
//! boundary), which the records alone cannot show. Opening the journal for
//! writing removes it before anything new is written.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The marker's file name.
pub const MARKER_FILE: &str = "clean-stop.kjm";
const MAGIC: [u8; 8] = *b"KJCS\x01\0\0\0";
const LEN: usize = 8 + 8 + 4;

/// The marker's path in `dir`.
pub fn path(dir: &Path) -> PathBuf {
    dir.join(MARKER_FILE)
}

/// Writes the marker durably: the log ends before `next_seq`.
pub fn write(dir: &Path, next_seq: u64) -> io::Result<()> {
    let mut bytes = Vec::with_capacity(LEN);
    bytes.extend_from_slice(&MAGIC);
    bytes.extend_from_slice(&next_seq.to_le_bytes());
    let crc = crc32c::crc32c(&bytes);
    bytes.extend_from_slice(&crc.to_le_bytes());
    let tmp = dir.join(format!("{MARKER_FILE}.tmp"));
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(&tmp)?;
    file.write_all(&bytes)?;
    file.sync_data()?;
    std::fs::rename(&tmp, path(dir))?;
    sync_dir(dir);
    Ok(())
}

/// The marker: `None` if there is none, `Err(())` if it does not read.
pub fn read(dir: &Path) -> io::Result<Option<Result<u64, ()>>> {
    let bytes = match std::fs::read(path(dir)) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    if bytes.len() != LEN || bytes[..8] != MAGIC {
        return Ok(Some(Err(())));
    }
    let mut crc = [0u8; 4];
    crc.copy_from_slice(&bytes[16..20]);
    if crc32c::crc32c(&bytes[..16]) != u32::from_le_bytes(crc) {
        return Ok(Some(Err(())));
    }
    let mut seq = [0u8; 8];
    seq.copy_from_slice(&bytes[8..16]);
    Ok(Some(Ok(u64::from_le_bytes(seq))))
}

/// Removes the marker (the journal is open for writing again).
pub fn remove(dir: &Path) -> io::Result<()> {
    match std::fs::remove_file(path(dir)) {
        Ok(()) => {
            sync_dir(dir);
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Makes a directory's entries durable (best effort: not every platform
/// can open a directory).
pub(crate) fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}
