//! Segment files: `<first sequence number, 20 digits>.kjl`, each opening
//! with [`SEGMENT_MAGIC`], then records back to back.

use std::io;
use std::path::{Path, PathBuf};

/// The first bytes of every segment: "KJNL", format version 1, padding.
pub const SEGMENT_MAGIC: [u8; 8] = *b"KJNL\x01\0\0\0";

/// Extension of segment files.
pub const EXTENSION: &str = "kjl";

/// The path of the segment whose first record is `first_seq`.
pub fn segment_path(dir: &Path, first_seq: u64) -> PathBuf {
    dir.join(format!("{first_seq:020}.{EXTENSION}"))
}

/// The journal's segments in `dir`, by first sequence number. Other files
/// are ignored; a missing directory is an empty journal.
pub fn segment_files(dir: &Path) -> io::Result<Vec<(u64, PathBuf)>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut segments = Vec::new();
    for entry in entries {
        let path = entry?.path();
        if path.extension().and_then(|e| e.to_str()) != Some(EXTENSION) {
            continue;
        }
        let first = path
            .file_stem()
            .and_then(|s| s.to_str())
            .and_then(|s| s.parse::<u64>().ok());
        if let Some(first) = first {
            segments.push((first, path));
        }
    }
    segments.sort();
    Ok(segments)
}
