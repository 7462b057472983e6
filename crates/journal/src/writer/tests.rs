//! The writer and the reader together, on real files.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::reader::{JournalReader, TailReason};
use crate::segment::segment_files;

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kestrel-journal-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn config(dir: &Path) -> WriterConfig {
    WriterConfig {
        dir: dir.to_path_buf(),
        fsync: FsyncPolicy::Interval(Duration::from_millis(1)),
        segment_bytes: 1 << 16,
        queue: 1024,
    }
}

fn payload(n: u64) -> Vec<u8> {
    format!("record {n} {}", "x".repeat((n % 50) as usize)).into_bytes()
}

fn write(dir: &Path, n: u64) -> u64 {
    let (mut w, opened) = JournalWriter::open(config(dir)).unwrap();
    assert_eq!(opened.torn, None);
    for _ in 0..n {
        let seq = w.next_seq();
        w.append(RecordType(1), &payload(seq)).unwrap();
    }
    w.sync().unwrap();
    let durable = w.durable();
    w.close().unwrap();
    durable
}

fn read_all(dir: &Path) -> (Vec<u64>, Option<crate::reader::TailReport>) {
    let mut r = JournalReader::open(dir, 0).unwrap();
    let mut seqs = Vec::new();
    while let Some(rec) = r.next_record().unwrap() {
        assert_eq!(rec.payload, &payload(rec.seq)[..], "record {}", rec.seq);
        seqs.push(rec.seq);
    }
    (seqs, r.tail().cloned())
}

#[test]
fn records_come_back_in_order_across_segments() {
    let d = dir("order");
    assert_eq!(write(&d, 5_000), 5_000, "synced through the last record");
    assert!(segment_files(&d).unwrap().len() > 2, "rotated");
    let (seqs, tail) = read_all(&d);
    assert_eq!(seqs, (0..5_000).collect::<Vec<_>>());
    assert_eq!(tail, None);
    // From the middle: whole earlier segments are skipped.
    let mut r = JournalReader::open(&d, 4_321).unwrap();
    assert_eq!(r.next_record().unwrap().map(|r| r.seq), Some(4_321));
    // Reopening continues the numbering.
    write(&d, 10);
    assert_eq!(read_all(&d).0.len(), 5_010);
    let _ = std::fs::remove_dir_all(d);
}

#[test]
fn a_torn_tail_is_reported_and_cut_on_reopen() {
    let d = dir("torn");
    write(&d, 1_000);
    // As a crash leaves it: no clean-stop marker.
    crate::marker::remove(&d).unwrap();
    let (_, last) = segment_files(&d).unwrap().pop().unwrap();
    let len = std::fs::metadata(&last).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&last)
        .unwrap()
        .set_len(len - 7)
        .unwrap();
    let (seqs, tail) = read_all(&d);
    assert_eq!(
        seqs,
        (0..999).collect::<Vec<_>>(),
        "the torn record is not replayed"
    );
    let tail = tail.unwrap();
    assert!(matches!(
        tail.reason,
        TailReason::Frame(crate::FrameError::Torn { .. })
    ));
    assert!(tail.bytes_cut > 0 && tail.bytes_cut < 100);
    let (w, opened) = JournalWriter::open(config(&d)).unwrap();
    let kept = opened.torn.map(|q| q.bytes());
    assert_eq!((w.next_seq(), kept), (999, Some(tail.bytes_cut)));
    w.close().unwrap();
    write(&d, 1);
    assert_eq!(read_all(&d), ((0..1_000).collect::<Vec<_>>(), None));
    let _ = std::fs::remove_dir_all(d);
}

#[test]
fn a_flipped_bit_stops_the_replay_there() {
    let d = dir("flip");
    write(&d, 3_000);
    let segments = segment_files(&d).unwrap();
    let (_, middle) = &segments[1];
    let mut bytes = std::fs::read(middle).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x10;
    std::fs::write(middle, &bytes).unwrap();
    let (seqs, tail) = read_all(&d);
    let tail = tail.unwrap();
    assert_eq!(&tail.segment, middle);
    assert!(seqs.len() < 3_000 && seqs.windows(2).all(|w| w[1] == w[0] + 1));
    // Everything after the bad byte, later segments included, is cut.
    let after: u64 = segments[2..]
        .iter()
        .map(|(_, p)| std::fs::metadata(p).unwrap().len())
        .sum();
    assert!(tail.bytes_cut > after);
    let _ = std::fs::remove_dir_all(d);
}

#[test]
fn a_segment_that_is_not_a_journal_is_refused() {
    let d = dir("magic");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(crate::segment::segment_path(&d, 0), b"not a journal at all").unwrap();
    let (seqs, tail) = read_all(&d);
    assert!(seqs.is_empty());
    assert_eq!(tail.unwrap().reason, TailReason::BadMagic);
    assert!(matches!(
        JournalWriter::open(config(&d)),
        Err(JournalError::Damaged(_))
    ));
    let _ = std::fs::remove_dir_all(d);
}
