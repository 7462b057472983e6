//! The damage policy on real files: each case is told apart exactly.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use proptest::prelude::*;

use super::*;
use crate::frame::RecordType;
use crate::writer::{FsyncPolicy, JournalError, JournalWriter, WriterConfig};

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kestrel-inspect-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn config(dir: &Path) -> WriterConfig {
    WriterConfig {
        dir: dir.to_path_buf(),
        fsync: FsyncPolicy::Interval(Duration::from_millis(1)),
        segment_bytes: 1 << 16,
        queue: 64,
    }
}

/// A journal of `n` records; `clean` leaves the clean-stop marker, as a
/// graceful stop does, else it is left as a crash leaves it.
fn journal(dir: &Path, n: u64, clean: bool) {
    let (mut w, opened) = JournalWriter::open(config(dir)).unwrap();
    for _ in 0..n {
        let seq = w.next_seq();
        let payload = format!("record {seq} {}", "x".repeat((seq % 50) as usize));
        w.append(RecordType(1), payload.as_bytes()).unwrap();
    }
    assert_eq!(opened.torn, None);
    if clean {
        w.close().unwrap();
    } else {
        w.sync().unwrap();
        drop(w);
    }
}

fn segments(dir: &Path) -> Vec<PathBuf> {
    crate::segment::segment_files(dir)
        .unwrap()
        .into_iter()
        .map(|(_, p)| p)
        .collect()
}

/// Every file under `dir`, with its bytes: what "nothing changed" compares.
fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(tree(&path));
        } else {
            out.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
    out.sort();
    out
}

fn edit(path: &Path, f: impl FnOnce(&mut Vec<u8>)) {
    let mut bytes = std::fs::read(path).unwrap();
    f(&mut bytes);
    std::fs::write(path, bytes).unwrap();
}

/// The record boundaries of a segment.
fn boundaries(path: &Path) -> Vec<usize> {
    let bytes = std::fs::read(path).unwrap();
    let mut at = SEGMENT_MAGIC.len();
    let mut out = vec![at];
    while let Ok((_, p)) = frame::decode(&bytes[at..]) {
        at += HEADER_LEN + p.len();
        out.push(at);
    }
    out
}

/// Damage refuses the writer and leaves every byte as it was.
fn refused_unchanged(dir: &Path) -> Inspection {
    let before = tree(dir);
    let Err(JournalError::Damaged(found)) = JournalWriter::open(config(dir)) else {
        panic!("a damaged journal was opened for writing");
    };
    assert_eq!(tree(dir), before, "a refused open changed the directory");
    *found
}

#[test]
fn a_clean_journal_has_no_damage_and_its_marker_matches() {
    let d = scratch("clean");
    journal(&d, 3_000, true);
    let found = inspect(&d).unwrap();
    assert_eq!(found.damage, vec![]);
    assert_eq!(
        (found.next_seq, found.clean_stop, found.torn.clone()),
        (3_000, Some(3_000), None)
    );
    assert!(found.segments.len() >= 3, "rotated");
    assert_eq!(found.records(), 3_000);
    // Reopened for writing: the marker goes, the numbering goes on.
    let (w, opened) = JournalWriter::open(config(&d)).unwrap();
    assert_eq!(opened.next_seq, 3_000);
    assert_eq!(inspect(&d).unwrap().clean_stop, None);
    w.close().unwrap();
    assert_eq!(inspect(&d).unwrap().clean_stop, Some(3_000));
    let _ = std::fs::remove_dir_all(d);
}

#[test]
fn a_torn_tail_is_cut_and_kept_and_the_log_goes_on() {
    let d = scratch("torn");
    journal(&d, 1_000, false);
    let last = segments(&d).pop().unwrap();
    let len = std::fs::metadata(&last).unwrap().len();
    let original = std::fs::read(&last).unwrap();
    edit(&last, |b| b.truncate(b.len() - 7));
    let found = inspect(&d).unwrap();
    assert_eq!(found.damage, vec![]);
    let torn = found.torn.clone().unwrap();
    assert_eq!((torn.kind, found.next_seq), (TornKind::Partial, 999));
    let (w, opened) = JournalWriter::open(config(&d)).unwrap();
    let cut = opened.torn.unwrap();
    assert_eq!(cut.kept.len(), 1);
    let kept = std::fs::read(&cut.kept[0].kept).unwrap();
    assert_eq!(kept, original[torn.offset as usize..(len - 7) as usize]);
    assert!(
        std::fs::read_to_string(cut.folder.join("REPORT.txt"))
            .unwrap()
            .contains("torn")
    );
    w.close().unwrap();
    let after = inspect(&d).unwrap();
    assert_eq!((after.damage.clone(), after.next_seq), (vec![], 999));
    let _ = std::fs::remove_dir_all(d);
}

#[test]
fn a_bad_record_with_records_after_it_is_damage_not_a_tail() {
    let d = scratch("middle");
    journal(&d, 1_000, false);
    let only = segments(&d).pop().unwrap();
    let b = boundaries(&only);
    edit(&only, |bytes| bytes[b[400] + 25] ^= 0x10);
    let found = refused_unchanged(&d);
    assert_eq!(found.next_seq, 400);
    let [
        Damage::BadRecord {
            after, expected, ..
        },
    ] = &found.damage[..]
    else {
        panic!("{:?}", found.damage);
    };
    assert_eq!(
        (*expected, *after),
        (
            400,
            After::Record {
                offset: b[401] as u64,
                seq: 401
            }
        )
    );
    assert_eq!(
        found.records(),
        999,
        "what is intact after the damage is counted"
    );
    assert!(
        found
            .report()
            .contains("valid records follow from record 401")
    );
    let _ = std::fs::remove_dir_all(d);
}

#[test]
fn a_whole_last_record_that_does_not_read_is_damage() {
    let d = scratch("last");
    journal(&d, 100, false);
    let only = segments(&d).pop().unwrap();
    let b = boundaries(&only);
    // A flipped payload byte, and a length made longer than the file.
    edit(&only, |bytes| bytes[b[99] + 21] ^= 1);
    let found = refused_unchanged(&d);
    assert!(matches!(
        found.damage[..],
        [Damage::BadRecord {
            after: After::Nothing,
            ..
        }]
    ));
    edit(&only, |bytes| {
        bytes[b[99] + 21] ^= 1;
        bytes[b[99] + 1] ^= 1;
    });
    let found = refused_unchanged(&d);
    assert!(
        matches!(
            found.damage[..],
            [Damage::BadRecord {
                reason: FrameError::Torn { .. },
                ..
            }]
        ),
        "{:?}",
        found.damage
    );
    let _ = std::fs::remove_dir_all(d);
}

#[test]
fn the_session_header_is_never_a_torn_tail() {
    let d = scratch("header");
    journal(&d, 10, false);
    let only = segments(&d).pop().unwrap();
    let b = boundaries(&only);
    let original = std::fs::read(&only).unwrap();
    for case in ["flip", "magic", "cut inside", "empty", "magic only"] {
        let mut bytes = original.clone();
        match case {
            "flip" => bytes[b[0] + 22] ^= 4,
            "magic" => bytes[1] = b'X',
            "cut inside" => bytes.truncate(b[1] - 3),
            "empty" => bytes.clear(),
            _ => bytes.truncate(SEGMENT_MAGIC.len()),
        }
        std::fs::write(&only, &bytes).unwrap();
        let found = refused_unchanged(&d);
        assert_eq!(found.next_seq, 0, "{case}");
        assert!(!found.is_empty(), "{case}");
        assert!(
            found
                .damage
                .iter()
                .any(|d| matches!(d, Damage::NoHeader { .. } | Damage::BadMagic { .. })),
            "{case}: {:?}",
            found.damage
        );
    }
    let _ = std::fs::remove_dir_all(d);
}

#[test]
fn segments_missing_renamed_swapped_or_duplicated_are_damage() {
    let d = scratch("numbering");
    journal(&d, 5_000, true);
    let segs = segments(&d);
    assert!(segs.len() >= 4);
    let copy = |name: &str| {
        let c = scratch(name);
        std::fs::create_dir_all(&c).unwrap();
        for (p, bytes) in tree(&d) {
            std::fs::write(c.join(p.file_name().unwrap()), bytes).unwrap();
        }
        c
    };
    type Damaging<'a> = Box<dyn Fn(&Path) + 'a>;
    let cases: Vec<(&str, Damaging)> = vec![
        (
            "middle deleted",
            Box::new(|c: &Path| {
                std::fs::remove_file(c.join(segs[1].file_name().unwrap())).unwrap()
            }),
        ),
        (
            "last deleted",
            Box::new(|c: &Path| {
                std::fs::remove_file(c.join(segs[segs.len() - 1].file_name().unwrap())).unwrap()
            }),
        ),
        (
            "first renamed",
            Box::new(|c: &Path| {
                std::fs::rename(
                    c.join(segs[0].file_name().unwrap()),
                    crate::segment::segment_path(c, 5),
                )
                .unwrap()
            }),
        ),
        (
            "two swapped",
            Box::new(|c: &Path| {
                let (a, b) = (
                    c.join(segs[1].file_name().unwrap()),
                    c.join(segs[2].file_name().unwrap()),
                );
                let (x, y) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
                std::fs::write(&a, y).unwrap();
                std::fs::write(&b, x).unwrap();
            }),
        ),
        (
            "one duplicated",
            Box::new(|c: &Path| {
                std::fs::copy(
                    c.join(segs[1].file_name().unwrap()),
                    crate::segment::segment_path(c, 2_999),
                )
                .unwrap();
            }),
        ),
        (
            "cut at a record boundary",
            Box::new(|c: &Path| {
                let last = c.join(segs[segs.len() - 1].file_name().unwrap());
                let b = boundaries(&last);
                edit(&last, |bytes| bytes.truncate(b[b.len() - 3]));
            }),
        ),
    ];
    for (what, damage) in cases {
        let c = copy(what);
        damage(&c);
        let found = refused_unchanged(&c);
        assert!(found.next_seq < 5_000, "{what}");
        assert!(!found.damage.is_empty(), "{what}");
        let _ = std::fs::remove_dir_all(c);
    }
    let _ = std::fs::remove_dir_all(d);
}

#[test]
fn snapshots_are_checked_every_one() {
    let d = scratch("snapshots");
    journal(&d, 100, false);
    crate::snapshot::write(&d, 40, 1, b"state at 40").unwrap();
    crate::snapshot::write(&d, 90, 1, b"state at 90").unwrap();
    assert_eq!(inspect(&d).unwrap().damage, vec![]);
    // The newest damaged: reported, though the older one is good; the log
    // is whole, so the writer may go on.
    edit(&crate::snapshot::path(&d, 90), |b| b.truncate(30));
    let found = inspect(&d).unwrap();
    assert!(matches!(found.damage[..], [Damage::BadSnapshot { .. }]));
    assert_eq!(found.blocking().count(), 0);
    // A valid one past the end proves records are missing.
    crate::snapshot::write(&d, 150, 1, b"state at 150").unwrap();
    let found = refused_unchanged(&d);
    assert!(
        found
            .damage
            .contains(&Damage::SnapshotPastEnd { seq: 150, end: 100 })
    );
    let _ = std::fs::remove_dir_all(d);
}

#[test]
fn appended_garbage_is_damage_and_appended_zeros_a_torn_tail() {
    let d = scratch("appended");
    journal(&d, 100, false);
    let only = segments(&d).pop().unwrap();
    let original = std::fs::read(&only).unwrap();
    edit(&only, |b| {
        b.extend_from_slice(b"this is not a record of any journal, just text")
    });
    refused_unchanged(&d);
    std::fs::write(&only, [&original[..], &[0; 4096]].concat()).unwrap();
    let found = inspect(&d).unwrap();
    assert_eq!(
        (found.torn.map(|t| t.kind), found.next_seq),
        (Some(TornKind::ZeroFilled), 100)
    );
    let _ = std::fs::remove_dir_all(d);
}

#[test]
fn repair_cuts_at_the_damage_and_keeps_every_byte_it_removes() {
    let d = scratch("repair");
    journal(&d, 3_000, true);
    crate::snapshot::write(&d, 2_500, 1, b"late state").unwrap();
    let segs = segments(&d);
    let b = boundaries(&segs[1]);
    edit(&segs[1], |bytes| bytes[b[10] + 30] ^= 0x40);
    let before: u64 = tree(&d).iter().map(|(_, b)| b.len() as u64).sum();
    let damaged = inspect(&d).unwrap();
    let cut = crate::quarantine::repair(&d).unwrap().unwrap();
    assert_eq!(cut.next_seq, damaged.next_seq);
    let after = inspect(&d).unwrap();
    assert_eq!(
        (after.damage.clone(), after.next_seq, after.torn),
        (vec![], damaged.next_seq, None)
    );
    // Every byte is still there: in the journal, or in the quarantine.
    let total: u64 = tree(&d)
        .iter()
        .filter(|(p, _)| p.file_name().is_none_or(|n| n != "REPORT.txt"))
        .map(|(_, b)| b.len() as u64)
        .sum();
    assert_eq!(total, before);
    assert!(cut.kept.iter().any(|k| k.offset == b[10] as u64));
    let report = std::fs::read_to_string(cut.folder.join("REPORT.txt")).unwrap();
    assert!(
        report.contains("DAMAGE") && report.contains("set aside"),
        "{report}"
    );
    assert_eq!(
        crate::quarantine::repair(&d).unwrap(),
        None,
        "nothing left to cut"
    );
    let _ = std::fs::remove_dir_all(d);
}

fn small_journal(name: &str) -> (PathBuf, Vec<u8>) {
    let d = scratch(name);
    journal(&d, 40, false);
    let only = segments(&d).pop().unwrap();
    let bytes = std::fs::read(&only).unwrap();
    (only, bytes)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any prefix a crash can leave (a cut past the first record) reads
    /// as exactly the whole records in it.
    #[test]
    fn any_prefix_reads_as_its_whole_records(cut in 0.0f64..1.0) {
        let (only, bytes) = small_journal("prefix");
        let b = boundaries(&only);
        let at = b[1] + ((bytes.len() - b[1]) as f64 * cut) as usize;
        std::fs::write(&only, &bytes[..at]).unwrap();
        let found = inspect(only.parent().unwrap()).unwrap();
        let whole = b.iter().filter(|&&x| x <= at).count() as u64 - 1;
        prop_assert_eq!(found.damage, vec![]);
        prop_assert_eq!(found.next_seq, whole);
        prop_assert_eq!(found.torn.is_some(), !b.contains(&at));
    }

    /// Any single changed byte is refused: it never reads as a shorter log.
    #[test]
    fn any_changed_byte_is_refused(at in 0usize..100_000, xor in 1u8..=255) {
        let (only, mut bytes) = small_journal("byte");
        let at = at % bytes.len();
        bytes[at] ^= xor;
        std::fs::write(&only, &bytes).unwrap();
        let found = inspect(only.parent().unwrap()).unwrap();
        prop_assert!(found.blocking().next().is_some(), "byte {} ^ {}: {:?}", at, xor, found);
    }
}
