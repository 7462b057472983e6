//! The corruption suite: a real paper session's journal, with open orders
//! and fills, damaged as an operator meets it (a bad sector, a torn copy,
//! a bad restore). Each case has one exact outcome:
//!
//! * **refused**: `kestrel live` stops before touching the venue, with a
//!   report, and the journal's directory is byte for byte as it was;
//!   `kestrel journal verify` flags it (exit 1);
//! * **resumed**: a crash's torn tail is cut and kept, snapshots that do
//!   not read or decode are passed over, and the session reconciles with
//!   the venue;
//! * **repaired**: `kestrel journal repair --accept-loss` cuts at the damage
//!   into a quarantine folder, and the session that resumes recovers from
//!   the venue every fill the cut removed: nothing lost, nothing invented.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use common::{kestrel, live, live_config, read_journal, show, start_sim, text, venue_agrees};
use kestrel_journal::{Damage, HEADER_LEN, SEGMENT_MAGIC, inspect, segment_files, snapshot};
use kestrel_venue::ExecutionClient;

const MINUTE: Duration = Duration::from_secs(60);

/// Every file under `dir`, with its bytes.
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

fn copy_dir(from: &Path, to: &Path) {
    let _ = std::fs::remove_dir_all(to);
    std::fs::create_dir_all(to).unwrap();
    for (path, bytes) in tree(from) {
        std::fs::write(to.join(path.strip_prefix(from).unwrap()), bytes).unwrap();
    }
}

/// The first segment of a journal (each session that resumes starts a new
/// one), and its record starts (the end of the file last).
fn segment(dir: &Path) -> (PathBuf, Vec<usize>) {
    let segments = segment_files(dir).unwrap();
    let path = segments[0].1.clone();
    let bytes = std::fs::read(&path).unwrap();
    let mut at = SEGMENT_MAGIC.len();
    let mut starts = vec![at];
    while let Some(len) = bytes.get(at..at + 4) {
        at += HEADER_LEN + u32::from_le_bytes(len.try_into().unwrap()) as usize;
        starts.push(at);
    }
    assert_eq!(at, bytes.len(), "the records tile the segment");
    (path, starts)
}

fn edit(path: &Path, f: impl FnOnce(&mut Vec<u8>)) {
    let mut bytes = std::fs::read(path).unwrap();
    f(&mut bytes);
    std::fs::write(path, bytes).unwrap();
}

/// `kestrel live` for `seconds`, to the end.
fn live_for(config: &Path, seconds: u64) -> Output {
    let seconds = seconds.to_string();
    kestrel(
        &[
            "live",
            "--config",
            config.to_str().unwrap(),
            "--seconds",
            &seconds,
        ],
        MINUTE,
    )
}

/// `kestrel journal verify`.
fn verified(journal: &Path) -> Output {
    kestrel(&["journal", "verify", journal.to_str().unwrap()], MINUTE)
}

/// `live` refuses `journal` with a report and changes nothing; `verify`
/// flags it.
fn refused(config: &Path, journal: &Path, what: &str) {
    let before = tree(journal);
    let out = kestrel(&["live", "--config", config.to_str().unwrap()], MINUTE);
    let said = text(&out);
    assert!(!out.status.success(), "{what}: live started:\n{said}");
    assert!(
        said.contains("the journal is damaged") && said.contains("DAMAGE"),
        "{what}: no report:\n{said}"
    );
    assert_eq!(
        tree(journal),
        before,
        "{what}: a refused start changed the journal"
    );
    let verify = verified(journal);
    assert_eq!(
        verify.status.code(),
        Some(1),
        "{what}: verify passed:\n{}",
        text(&verify)
    );
    assert_eq!(tree(journal), before, "{what}: verify changed the journal");
}

/// Runs a session until `ready` holds (checked every 100 ms, for at most
/// two minutes), then SIGKILLs it with its orders working at the venue.
fn run_and_kill(config: &Path, log: &Path, mut ready: impl FnMut() -> bool) {
    let mut child = live(config, log, None);
    let deadline = Instant::now() + Duration::from_secs(120);
    while !ready() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the session exited by itself ({status}):\n{}", show(log));
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the session never got ready:\n{}", show(log));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn damaged_journals_are_refused_kept_and_repaired() {
    let dir = std::env::temp_dir().join(format!("kestrel-corruption-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let sim = start_sim(None);
    let config = live_config(&dir, sim.port, "cancel");
    let journal = dir.join("journal");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let venue = common::venue_client(&runtime, sim.port);

    // A session trades until its journal holds fills and two snapshots,
    // then is killed with orders working.
    let open_orders = || runtime.block_on(venue.open_orders()).map_or(0, |o| o.len());
    run_and_kill(&config, &dir.join("first.log"), || {
        inspect(&journal).is_ok_and(|f| f.snapshots.len() >= 2)
            && !read_journal(&journal).fills.is_empty()
            && open_orders() > 0
    });
    let first = read_journal(&journal);
    let working = runtime.block_on(venue.open_orders()).unwrap().len();
    assert!(
        !first.fills.is_empty() && working > 0,
        "the journal needs fills and working orders: {} fills, {working} open",
        first.fills.len()
    );
    let mut found = inspect(&journal).unwrap();
    assert!(
        found.damage.is_empty() && found.clean_stop.is_none(),
        "{found:?}"
    );
    if let Some(last) = found.snapshots.last().filter(|s| s.seq >= found.next_seq) {
        // Killed just after a snapshot of the whole log: take it as never
        // written (a crash a moment earlier), so that the tear below cuts
        // a record the newest snapshot does not cover.
        std::fs::remove_file(&last.path).unwrap();
        found = inspect(&journal).unwrap();
    }
    let records = found.next_seq;
    let newest_snapshot = found.snapshots.last().map(|s| s.seq).unwrap();
    println!(
        "the journal: {records} records, {} fills, {working} orders working, snapshots at {:?}",
        first.fills.len(),
        found.snapshots.iter().map(|s| s.seq).collect::<Vec<_>>()
    );

    every_cut_reads_as_its_whole_records(&journal, &dir.join("cut"), newest_snapshot);
    copies_are_refused(&journal, &dir, sim.port);

    // Resumed: a torn tail, and both snapshots unusable (the newest with a
    // valid checksum but garbage inside, the older one flipped).
    assert_eq!(segment_files(&journal).unwrap().len(), 1);
    let (seg, starts) = segment(&journal);
    let last = starts[starts.len() - 2];
    let torn_bytes = std::fs::read(&seg).unwrap()[last..starts[starts.len() - 1] - 3].to_vec();
    edit(&seg, |b| b.truncate(b.len() - 3));
    let snaps = inspect(&journal).unwrap().snapshots;
    snapshot::write(
        &journal,
        snaps[snaps.len() - 1].seq,
        kestrel_engine::replay::SessionState::SCHEMA,
        b"not a session state",
    )
    .unwrap();
    if snaps.len() > 1 {
        edit(&snaps[0].path, |b| {
            let n = b.len();
            b[n / 2] ^= 1;
        });
    }
    let out = live_for(&config, 3);
    let said = text(&out);
    assert!(
        out.status.success(),
        "the torn journal did not resume:\n{said}"
    );
    for expected in [
        "cut a crash's partial last record",
        "passed over",
        "from the start",
        "reconciled",
    ] {
        assert!(said.contains(expected), "no {expected:?}:\n{said}");
    }
    let kept = tree(&journal.join("quarantine"));
    assert!(
        kept.iter().any(|(_, b)| *b == torn_bytes),
        "the torn tail's bytes are not kept"
    );

    // Repaired: a flip in the middle of the first segment, records and a
    // later segment after it.
    let (seg, starts) = segment(&journal);
    let middle = starts[starts.len() / 2] + HEADER_LEN + 1;
    edit(&seg, |b| b[middle] ^= 0x20);
    refused(&config, &journal, "a flip in the middle");
    let before = tree(&journal);
    let dry = kestrel(&["journal", "repair", journal.to_str().unwrap()], MINUTE);
    assert_eq!(dry.status.code(), Some(1), "{}", text(&dry));
    assert_eq!(
        tree(&journal),
        before,
        "repair without --accept-loss changed the journal"
    );
    let repair = kestrel(
        &[
            "journal",
            "repair",
            journal.to_str().unwrap(),
            "--accept-loss",
        ],
        MINUTE,
    );
    assert!(repair.status.success(), "{}", text(&repair));
    let verify = verified(&journal);
    assert!(
        verify.status.success() && text(&verify).contains("operator's repair"),
        "{}",
        text(&verify)
    );
    let out = live_for(&config, 3);
    let said = text(&out);
    assert!(
        out.status.success() && said.contains("reconciled"),
        "{said}"
    );
    // Every fill the cut removed came back from the venue (orders the cut
    // removed that never filled are only in the quarantine).
    let after = read_journal(&journal);
    venue_agrees(&runtime, &venue, &after, false);
    let verify = verified(&journal);
    assert!(verify.status.success(), "{}", text(&verify));

    // A header that does not read: refused, then repaired to an empty
    // journal; the new session adopts the earlier one's working orders
    // and cancels them by policy, never leaving them unknown.
    run_and_kill(&config, &dir.join("third.log"), || open_orders() > 0);
    let working = runtime.block_on(venue.open_orders()).unwrap().len();
    assert!(working > 0, "no orders working to adopt");
    let (seg, starts) = segment(&journal);
    edit(&seg, |b| b[starts[0] + HEADER_LEN + 2] ^= 1);
    refused(&config, &journal, "a flipped header");
    let repair = kestrel(
        &[
            "journal",
            "repair",
            journal.to_str().unwrap(),
            "--accept-loss",
        ],
        MINUTE,
    );
    assert!(text(&repair).contains("now empty"), "{}", text(&repair));
    let out = live_for(&config, 3);
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("earlier orders"),
        "the earlier session's {working} orders were not adopted:\n{said}"
    );
    assert!(runtime.block_on(venue.open_orders()).unwrap().is_empty());
    let verify = verified(&journal);
    assert!(verify.status.success(), "{}", text(&verify));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Cuts at every record boundary and inside every record, as inspected:
/// each reads as exactly its whole records, a cut inside a record is a
/// torn tail, a cut into the header is damage, and a cut below a valid
/// snapshot is damage (the snapshot proves records are missing).
fn every_cut_reads_as_its_whole_records(journal: &Path, scratch: &Path, newest_snapshot: u64) {
    copy_dir(journal, scratch);
    let (seg, starts) = segment(scratch);
    let bytes = std::fs::read(&seg).unwrap();
    let snapshots: Vec<u64> = inspect(scratch)
        .unwrap()
        .snapshots
        .iter()
        .map(|s| s.seq)
        .collect();
    assert!(snapshots.contains(&newest_snapshot));
    for (k, pair) in starts.windows(2).enumerate() {
        for cut in [pair[0], (pair[0] + pair[1]) / 2] {
            std::fs::write(&seg, &bytes[..cut]).unwrap();
            let found = inspect(scratch).unwrap();
            let whole = k as u64;
            let past = snapshots.iter().any(|&s| s > whole);
            if whole == 0 {
                assert!(
                    found.blocking().next().is_some(),
                    "a cut into the header at {cut}"
                );
                continue;
            }
            assert_eq!(found.next_seq, whole, "cut at {cut}");
            assert_eq!(found.torn.is_some(), cut != pair[0], "cut at {cut}");
            assert_eq!(
                found.blocking().next().is_some(),
                past,
                "cut at {cut}: {:?}",
                found.damage
            );
        }
    }
    let _ = std::fs::remove_dir_all(scratch);
}

/// A way to damage a file of the journal.
type Damaging = Box<dyn Fn(&Path)>;

/// Damaged copies: every one refused, nothing changed.
fn copies_are_refused(journal: &Path, dir: &Path, port: u16) {
    let copy = dir.join("copy");
    std::fs::create_dir_all(&copy).unwrap();
    let config = live_config(&copy, port, "cancel");
    let (seg, starts) = segment(journal);
    let name = seg.file_name().unwrap().to_owned();
    let bytes = std::fs::read(&seg).unwrap();
    // A flipped payload byte in the first record of each type.
    let mut first_of_type = std::collections::BTreeMap::new();
    for w in starts.windows(2) {
        let kind = u16::from_le_bytes([bytes[w[0] + 8], bytes[w[0] + 9]]);
        first_of_type.entry(kind).or_insert(w[0]);
    }
    assert!(
        first_of_type.len() >= 8,
        "record types: {:?}",
        first_of_type.keys()
    );
    let mut cases: Vec<(String, Damaging)> = Vec::new();
    for (kind, at) in first_of_type {
        cases.push((
            format!("a flip in the first record of type {kind}"),
            Box::new(move |seg: &Path| edit(seg, |b| b[at + HEADER_LEN] ^= 0x08)),
        ));
    }
    let (second, third) = (starts[1], starts[2]);
    let split = starts[starts.len() / 2];
    let records = (starts.len() - 1) as u64;
    let cases_more: Vec<(&str, Damaging)> = vec![
        ("a bad magic", Box::new(|s: &Path| edit(s, |b| b[0] ^= 1))),
        (
            "a file cut to 0 bytes",
            Box::new(|s: &Path| edit(s, Vec::clear)),
        ),
        (
            "a cut inside the first record",
            Box::new(move |s: &Path| edit(s, |b| b.truncate(second - 5))),
        ),
        (
            "the segment deleted",
            Box::new(|s: &Path| std::fs::remove_file(s).unwrap()),
        ),
        (
            "the segment renamed from 0 to 5",
            Box::new(|s: &Path| {
                std::fs::rename(
                    s,
                    kestrel_journal::segment::segment_path(s.parent().unwrap(), 5),
                )
                .unwrap();
            }),
        ),
        (
            "the segment duplicated",
            Box::new(move |s: &Path| {
                std::fs::copy(
                    s,
                    kestrel_journal::segment::segment_path(s.parent().unwrap(), records),
                )
                .unwrap();
            }),
        ),
        (
            "split in two, then swapped",
            Box::new(move |s: &Path| {
                let b = std::fs::read(s).unwrap();
                let later = kestrel_journal::segment::segment_path(
                    s.parent().unwrap(),
                    (starts.len() / 2) as u64,
                );
                std::fs::write(&later, [&SEGMENT_MAGIC[..], &b[split..]].concat()).unwrap();
                std::fs::write(s, &b[..split]).unwrap();
                assert_eq!(
                    inspect(s.parent().unwrap()).unwrap().damage,
                    vec![],
                    "a clean split"
                );
                let (x, y) = (std::fs::read(s).unwrap(), std::fs::read(&later).unwrap());
                std::fs::write(s, y).unwrap();
                std::fs::write(&later, x).unwrap();
            }),
        ),
        (
            "garbage appended",
            Box::new(|s: &Path| {
                edit(s, |b| {
                    b.extend_from_slice(b"\x07garbage: not a record of this or any journal")
                })
            }),
        ),
        (
            "cut at a boundary before the newest snapshot",
            Box::new(move |s: &Path| edit(s, |b| b.truncate(third))),
        ),
        (
            "a clean stop's marker past the log's end",
            Box::new(|s: &Path| {
                let dir = s.parent().unwrap();
                let end = inspect(dir).unwrap().next_seq;
                kestrel_journal::marker::write(dir, end + 1).unwrap();
            }),
        ),
    ];
    cases.extend(cases_more.into_iter().map(|(w, f)| (w.to_owned(), f)));
    for (what, damage) in &cases {
        copy_dir(journal, &copy.join("journal"));
        damage(&copy.join("journal").join(&name));
        refused(&config, &copy.join("journal"), what);
    }
    // Snapshots: each bad one is reported by verify, though the log is
    // whole and recovery passes over it.
    let newest = inspect(journal).unwrap().snapshots.last().unwrap().clone();
    let snapshot_cases: Vec<(&str, Damaging)> = vec![
        (
            "zeroed",
            Box::new(|p: &Path| edit(p, |b| b.iter_mut().for_each(|x| *x = 0))),
        ),
        (
            "truncated",
            Box::new(|p: &Path| edit(p, |b| b.truncate(b.len() / 2))),
        ),
        (
            "flipped",
            Box::new(|p: &Path| {
                edit(p, |b| {
                    let n = b.len();
                    b[n - 1] ^= 1;
                })
            }),
        ),
    ];
    for (what, damage) in &snapshot_cases {
        copy_dir(journal, &copy.join("journal"));
        let path = copy.join("journal").join(newest.path.file_name().unwrap());
        damage(&path);
        let found = inspect(&copy.join("journal")).unwrap();
        assert!(
            matches!(found.damage[..], [Damage::BadSnapshot { .. }]),
            "{what}"
        );
        let verify = verified(&copy.join("journal"));
        assert_eq!(
            verify.status.code(),
            Some(1),
            "a {what} snapshot:\n{}",
            text(&verify)
        );
    }
    copy_dir(journal, &copy.join("journal"));
    snapshot::write(
        &copy.join("journal"),
        newest.seq,
        kestrel_engine::replay::SessionState::SCHEMA,
        b"garbage, with a good checksum",
    )
    .unwrap();
    let verify = verified(&copy.join("journal"));
    assert!(
        verify.status.code() == Some(1) && text(&verify).contains("does not decode"),
        "{}",
        text(&verify)
    );
    let _ = std::fs::remove_dir_all(copy);
}
