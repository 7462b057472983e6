//! Snapshots of the state the journal folds to, so recovery replays only
//! the records after the newest one.
//!
//! A snapshot file `<seq:020>.ksnap` holds the state after every record
//! below `seq`: a magic, `seq`, the length, a CRC32C and the bytes. It is
//! written to a temporary name, fsynced and renamed, and only after the
//! records below `seq` are on disk, so a snapshot never gets ahead of the
//! journal. A snapshot that fails its checksum is passed over for an older
//! one; the two newest are kept.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The first bytes of every snapshot file, with the format version.
pub const SNAPSHOT_MAGIC: [u8; 8] = *b"KSNP\x01\0\0\0";
const HEADER_LEN: usize = 8 + 8 + 8 + 4;
const KEEP: usize = 2;

/// A snapshot read back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// The state is the fold of every record below this sequence number.
    pub seq: u64,
    /// The state, as the engine encoded it.
    pub bytes: Vec<u8>,
}

fn path(dir: &Path, seq: u64) -> PathBuf {
    dir.join(format!("{seq:020}.ksnap"))
}

/// Writes a snapshot durably, then drops all but the newest two.
pub fn write(dir: &Path, seq: u64, bytes: &[u8]) -> io::Result<()> {
    let tmp = dir.join(format!("{seq:020}.ksnap.tmp"));
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(&tmp)?;
    let crc = crc32c::crc32c(bytes);
    file.write_all(&SNAPSHOT_MAGIC)?;
    file.write_all(&seq.to_le_bytes())?;
    file.write_all(&(bytes.len() as u64).to_le_bytes())?;
    file.write_all(&crc.to_le_bytes())?;
    file.write_all(bytes)?;
    file.sync_data()?;
    std::fs::rename(&tmp, path(dir, seq))?;
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    let all = list(dir)?;
    for (_, old) in all.iter().rev().skip(KEEP) {
        let _ = std::fs::remove_file(old);
    }
    Ok(())
}

/// Snapshot files in `dir`, oldest first.
fn list(dir: &Path) -> io::Result<Vec<(u64, PathBuf)>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let seq = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".ksnap"))
            .and_then(|n| n.parse::<u64>().ok());
        if let Some(seq) = seq {
            out.push((seq, path));
        }
    }
    out.sort();
    Ok(out)
}

/// Reads one snapshot file; `None` if it is not a whole, valid snapshot.
fn read(path: &Path) -> io::Result<Option<Snapshot>> {
    let data = std::fs::read(path)?;
    if data.len() < HEADER_LEN || data[..8] != SNAPSHOT_MAGIC {
        return Ok(None);
    }
    let u64_at = |at: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&data[at..at + 8]);
        u64::from_le_bytes(b)
    };
    let (seq, len) = (u64_at(8), u64_at(16));
    let mut crc = [0u8; 4];
    crc.copy_from_slice(&data[24..28]);
    let body = &data[HEADER_LEN..];
    if body.len() as u64 != len || crc32c::crc32c(body) != u32::from_le_bytes(crc) {
        return Ok(None);
    }
    Ok(Some(Snapshot {
        seq,
        bytes: body.to_vec(),
    }))
}

/// The newest valid snapshot at or below `max_seq` (the journal's end:
/// a snapshot past a journal cut short is not used).
pub fn latest(dir: &Path, max_seq: u64) -> io::Result<Option<Snapshot>> {
    for (seq, path) in list(dir)?.into_iter().rev() {
        if seq > max_seq {
            continue;
        }
        if let Some(s) = read(&path)? {
            return Ok(Some(s));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_newest_valid_snapshot_within_the_journal_is_used() {
        let dir = std::env::temp_dir().join(format!("kestrel-snap-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for seq in [10, 20, 30] {
            write(&dir, seq, format!("state {seq}").as_bytes()).unwrap();
        }
        assert_eq!(list(&dir).unwrap().len(), 2, "two kept");
        assert_eq!(latest(&dir, 100).unwrap().unwrap().seq, 30);
        assert_eq!(latest(&dir, 25).unwrap().unwrap().seq, 20);
        // A flipped bit: the older one is used.
        let newest = path(&dir, 30);
        let mut data = std::fs::read(&newest).unwrap();
        let n = data.len();
        data[n - 1] ^= 1;
        std::fs::write(&newest, data).unwrap();
        let s = latest(&dir, 100).unwrap().unwrap();
        assert_eq!((s.seq, s.bytes), (20, b"state 20".to_vec()));
        assert_eq!(latest(&dir, 5).unwrap(), None);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
