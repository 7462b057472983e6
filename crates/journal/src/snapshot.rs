//! Snapshots of the state the journal folds to, so recovery replays only
//! the records after the newest one.
//!
//! A snapshot file `<seq:020>.ksnap` holds the state after every record
//! below `seq`: a magic, `seq`, the state's schema number, the length, a
//! CRC32C and the bytes. It is
//! written to a temporary name, fsynced and renamed, and only after the
//! records below `seq` are on disk, so a snapshot never gets ahead of the
//! journal. Recovery passes over a snapshot that does not read for an older
//! one, or for a full replay; the two newest are kept.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::marker::sync_dir;

/// The first bytes of every snapshot file, with the format version (2:
/// with the state's schema).
pub const SNAPSHOT_MAGIC: [u8; 8] = *b"KSNP\x02\0\0\0";
const HEADER_LEN: usize = 8 + 8 + 4 + 8 + 4;
const KEEP: usize = 2;

/// A snapshot read back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// The state is the fold of every record below this sequence number.
    pub seq: u64,
    /// The schema of the state's encoding, as its writer numbered it.
    pub schema: u32,
    /// The state, as the engine encoded it.
    pub bytes: Vec<u8>,
}

/// Why a snapshot file does not read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotFault {
    /// Shorter than its header.
    #[error("{0} bytes, shorter than a snapshot's header")]
    Short(usize),
    /// Not a snapshot of this format.
    #[error("not a snapshot of this format (magic {0:02x?})")]
    BadMagic([u8; 8]),
    /// The name and the header disagree on the sequence.
    #[error("named for record {named} but holds the state at record {inside}")]
    Misnamed {
        /// The name's.
        named: u64,
        /// The header's.
        inside: u64,
    },
    /// The body is not as long as the header says.
    #[error("{have} bytes of state where the header says {want}")]
    Length {
        /// There.
        have: u64,
        /// Said.
        want: u64,
    },
    /// The checksum does not match.
    #[error("checksum mismatch")]
    Checksum,
}

/// The path of the snapshot at `seq`.
pub fn path(dir: &Path, seq: u64) -> PathBuf {
    dir.join(format!("{seq:020}.ksnap"))
}

/// Writes a snapshot durably, then drops all but the newest two.
pub fn write(dir: &Path, seq: u64, schema: u32, bytes: &[u8]) -> io::Result<()> {
    let tmp = dir.join(format!("{seq:020}.ksnap.tmp"));
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(&tmp)?;
    let crc = crc32c::crc32c(bytes);
    file.write_all(&SNAPSHOT_MAGIC)?;
    file.write_all(&seq.to_le_bytes())?;
    file.write_all(&schema.to_le_bytes())?;
    file.write_all(&(bytes.len() as u64).to_le_bytes())?;
    file.write_all(&crc.to_le_bytes())?;
    file.write_all(bytes)?;
    file.sync_data()?;
    std::fs::rename(&tmp, path(dir, seq))?;
    sync_dir(dir);
    let all = list(dir)?;
    for (_, old) in all.iter().rev().skip(KEEP) {
        let _ = std::fs::remove_file(old);
    }
    Ok(())
}

/// Snapshot files in `dir`, oldest first; a missing directory has none.
pub fn list(dir: &Path) -> io::Result<Vec<(u64, PathBuf)>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    for entry in entries {
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

/// Reads one snapshot file; the fault if it is not a whole, valid one.
pub fn read(path: &Path) -> io::Result<Result<Snapshot, SnapshotFault>> {
    let data = std::fs::read(path)?;
    if data.len() < HEADER_LEN {
        return Ok(Err(SnapshotFault::Short(data.len())));
    }
    let mut magic = [0u8; 8];
    magic.copy_from_slice(&data[..8]);
    if magic != SNAPSHOT_MAGIC {
        return Ok(Err(SnapshotFault::BadMagic(magic)));
    }
    let u64_at = |at: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&data[at..at + 8]);
        u64::from_le_bytes(b)
    };
    let u32_at =
        |at: usize| u32::from_le_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]]);
    let (seq, schema, len, crc) = (u64_at(8), u32_at(16), u64_at(20), u32_at(28));
    let named = path
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_suffix(".ksnap"))
        .and_then(|n| n.parse::<u64>().ok());
    if let Some(named) = named.filter(|n| *n != seq) {
        return Ok(Err(SnapshotFault::Misnamed { named, inside: seq }));
    }
    let body = &data[HEADER_LEN..];
    if body.len() as u64 != len {
        return Ok(Err(SnapshotFault::Length {
            have: body.len() as u64,
            want: len,
        }));
    }
    if crc32c::crc32c(body) != crc {
        return Ok(Err(SnapshotFault::Checksum));
    }
    Ok(Ok(Snapshot {
        seq,
        schema,
        bytes: body.to_vec(),
    }))
}

/// Snapshots at or below a sequence: the ones that read, newest first,
/// and the faults of the ones that do not, by sequence.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Usable {
    /// Valid, newest first.
    pub good: Vec<Snapshot>,
    /// Not readable: (sequence, fault).
    pub bad: Vec<(u64, SnapshotFault)>,
}

/// The snapshots at or below `max_seq` (the journal's intact end: a
/// snapshot past it is never used). Recovery tries the good ones in turn.
pub fn usable(dir: &Path, max_seq: u64) -> io::Result<Usable> {
    let (mut good, mut bad) = (Vec::new(), Vec::new());
    for (seq, path) in list(dir)?.into_iter().rev() {
        if seq > max_seq {
            continue;
        }
        match read(&path)? {
            Ok(s) => good.push(s),
            Err(fault) => bad.push((seq, fault)),
        }
    }
    Ok(Usable { good, bad })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn seqs(found: &Usable) -> (Vec<u64>, Vec<u64>) {
        (
            found.good.iter().map(|s| s.seq).collect(),
            found.bad.iter().map(|(s, _)| *s).collect(),
        )
    }

    #[test]
    fn valid_snapshots_within_the_journal_come_newest_first_and_faults_beside_them() {
        let dir = std::env::temp_dir().join(format!("kestrel-snap-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for seq in [10, 20, 30] {
            write(&dir, seq, 7, format!("state {seq}").as_bytes()).unwrap();
        }
        assert_eq!(list(&dir).unwrap().len(), 2, "two kept");
        assert_eq!(seqs(&usable(&dir, 100).unwrap()), (vec![30, 20], vec![]));
        assert_eq!(seqs(&usable(&dir, 25).unwrap()), (vec![20], vec![]));
        let newest = path(&dir, 30);
        let mut data = std::fs::read(&newest).unwrap();
        let n = data.len();
        data[n - 1] ^= 1;
        std::fs::write(&newest, &data).unwrap();
        let found = usable(&dir, 100).unwrap();
        assert_eq!(seqs(&found), (vec![20], vec![30]));
        assert_eq!(found.bad[0].1, SnapshotFault::Checksum);
        assert_eq!(
            (found.good[0].schema, &found.good[0].bytes[..]),
            (7, &b"state 20"[..])
        );
        // Renamed: the name no longer says what it holds.
        std::fs::rename(path(&dir, 20), path(&dir, 25)).unwrap();
        assert_eq!(
            read(&path(&dir, 25)).unwrap(),
            Err(SnapshotFault::Misnamed {
                named: 25,
                inside: 20
            })
        );
        std::fs::write(&newest, &data[..10]).unwrap();
        assert_eq!(read(&newest).unwrap(), Err(SnapshotFault::Short(10)));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
