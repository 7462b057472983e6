//! Journal directories: any bytes as a segment (and, split by the first
//! byte, a snapshot) are inspected without panicking; what inspection
//! calls intact, the reader replays record for record; and inspection
//! never changes a file.
#![no_main]

use kestrel_journal::{JournalReader, inspect, segment, snapshot};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = std::env::temp_dir().join(format!("kestrel-fuzz-journal-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    let split = data.first().map_or(0, |&b| usize::from(b)).min(data.len());
    let (snapshot_bytes, segment_bytes) = data.split_at(split);
    let _ = std::fs::write(segment::segment_path(&dir, 0), segment_bytes);
    if !snapshot_bytes.is_empty() {
        let _ = std::fs::write(snapshot::path(&dir, 3), snapshot_bytes);
    }
    let Ok(found) = inspect(&dir) else {
        return;
    };
    assert_eq!(
        std::fs::read(segment::segment_path(&dir, 0)).ok().as_deref(),
        Some(segment_bytes),
        "inspection changed the segment"
    );
    if found.blocking().next().is_none() {
        let Ok(mut reader) = JournalReader::open(&dir, 0) else {
            return;
        };
        let mut records = 0;
        while let Ok(Some(_)) = reader.next_record() {
            records += 1;
        }
        assert_eq!(records, found.next_seq);
    }
});
