//! `kestrel journal`: check, inspect and repair a session's journal.
//!
//! `verify` checks every file (each record's checksum and number, the
//! segments' numbering, every snapshot, the clean-stop marker), folds the
//! intact log through a fresh kernel built from the session header,
//! checks that every journaled decision comes out the same and that every
//! snapshot holds the state replay reaches there, and reports each
//! inconsistency it finds; `dump` prints the records; `repair` is the
//! operator's explicit cut at damage, keeping what it cuts.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use kestrel_engine::entry::{self, Entry, SessionHeader};
use kestrel_engine::replay::{self, Replayed, SessionState};
use kestrel_engine::{Clock, WallClock};
use kestrel_journal::{FsyncPolicy, Inspection, JournalReader, JournalWriter, WriterConfig};

use crate::live::kernel_from_header;

/// Options of `kestrel journal`.
#[derive(clap::Args)]
pub struct JournalArgs {
    #[command(subcommand)]
    command: JournalCommand,
}

#[derive(clap::Subcommand)]
enum JournalCommand {
    /// Check every file and replay the session; exits non-zero on any
    /// damage, a snapshot that does not read or disagrees with replay, a
    /// decision replay makes differently, or a clean stop without its
    /// Stop record. A journal that ended by a crash is said so; that is no
    /// failure.
    Verify {
        /// The journal's directory.
        dir: PathBuf,
    },
    /// Print records, one per line.
    Dump {
        /// The journal's directory.
        dir: PathBuf,
        /// First sequence number.
        #[arg(long, default_value_t = 0)]
        from: u64,
        /// At most this many records.
        #[arg(long)]
        limit: Option<u64>,
    },
    /// Cut a damaged journal at its first damage so a session can resume:
    /// everything cut (the rest of the damaged segment, later segments,
    /// snapshots past the new end, damaged snapshots) goes to
    /// `DIR/quarantine/<time>-repair/` with a report, and the journal
    /// records the repair. Without --accept-loss it only says what it
    /// would cut.
    Repair {
        /// The journal's directory.
        dir: PathBuf,
        /// Give up the records after the damage (they are kept in the
        /// quarantine folder, not replayed).
        #[arg(long)]
        accept_loss: bool,
    },
}

pub fn run(args: &JournalArgs) -> anyhow::Result<()> {
    match &args.command {
        JournalCommand::Verify { dir } => verify(dir),
        JournalCommand::Dump { dir, from, limit } => dump(dir, *from, *limit),
        JournalCommand::Repair { dir, accept_loss } => repair(dir, *accept_loss),
    }
}

fn verify(dir: &Path) -> anyhow::Result<()> {
    let found = kestrel_journal::inspect(dir).with_context(|| format!("read {}", dir.display()))?;
    println!("journal {}", dir.display());
    let bytes: u64 = found.segments.iter().map(|s| s.bytes).sum();
    println!(
        "  files        {} segment(s), {bytes} bytes, {} records read; records 0..{} intact; {} snapshot(s)",
        found.segments.len(),
        found.records(),
        found.next_seq,
        found.snapshots.len()
    );
    let mut bad = false;
    for d in &found.damage {
        println!("  DAMAGE       {d}");
        bad = true;
    }
    if found.is_empty() {
        bail!("{} holds no journal", dir.display());
    }
    let header = match replay::read_header(dir) {
        Ok(h) => h,
        Err(e) => {
            println!("  HEADER       {e}");
            bail!("the journal does not verify");
        }
    };
    // One pass over the intact log, stopping at each snapshot to compare.
    let mut kernel = kernel_from_header(&header)?;
    let mut replayed = Replayed::default();
    let mut from = 0;
    let mut snapshot_lines = Vec::new();
    for snap in found.snapshots.iter().filter(|s| s.seq <= found.next_seq) {
        replayed = replay::replay_range(dir, from, snap.seq, &mut kernel, replayed)?;
        from = snap.seq;
        let line = match kestrel_journal::snapshot::read(&snap.path)? {
            Err(_) => continue, // reported as damage above
            Ok(s) if s.schema != SessionState::SCHEMA => format!(
                "SNAPSHOT     at record {}: schema {}, where this build reads {}",
                s.seq,
                s.schema,
                SessionState::SCHEMA
            ),
            Ok(s) => match SessionState::decode(&s.bytes) {
                Err(e) => format!("SNAPSHOT     at record {} does not decode: {e}", s.seq),
                Ok(stored) if stored.kernel == kernel.save_state()? => format!(
                    "snapshot     at record {}: the replayed state, byte for byte",
                    s.seq
                ),
                Ok(_) => format!(
                    "SNAPSHOT     at record {} differs from the replayed state",
                    s.seq
                ),
            },
        };
        bad |= line.starts_with("SNAPSHOT");
        snapshot_lines.push(line);
    }
    replayed = replay::replay_range(dir, from, found.next_seq, &mut kernel, replayed)?;
    let mut counts: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut reader = JournalReader::open(dir, 0)?;
    let ids = header.ids();
    while let Some(record) = reader.next_record()? {
        let name =
            entry::decode(record.kind, record.payload, &ids).map_or("undecodable", |e| name(&e));
        *counts.entry(name).or_default() += 1;
    }
    println!(
        "  session      {} since {} ms (ids), {} records replayed",
        markets_text(&header),
        header.session_ms,
        replayed.records
    );
    for (name, n) in &counts {
        println!("    {name:<16} {n}");
    }
    println!(
        "  replay       {} inputs, {} decisions matched",
        replayed.inputs, replayed.outputs_matched
    );
    for line in crate::live::position_lines(&kernel) {
        println!("  state        {line}");
    }
    for line in &snapshot_lines {
        println!("  {line}");
    }
    for (cut_at, bytes) in &replayed.repairs {
        println!("  repaired     by an operator: {bytes} bytes from record {cut_at} set aside");
    }
    if !replayed.unconfirmed.is_empty() {
        println!(
            "  unconfirmed  {} intents made after the last journaled record",
            replayed.unconfirmed.len()
        );
    }
    bad |= ending(&found, &replayed);
    if let Some(m) = &replayed.mismatch {
        println!("  MISMATCH     at record {}", m.seq);
        println!("    journaled  {:?}", m.journaled);
        println!("    replayed   {:?}", m.replayed);
        bad = true;
    }
    if bad {
        bail!("the journal does not verify");
    }
    println!("  ok");
    Ok(())
}

/// Says how the journal ended; `true` if that is an inconsistency.
fn ending(found: &Inspection, replayed: &Replayed) -> bool {
    match (found.clean_stop, replayed.stopped) {
        (Some(_), true) => {
            println!("  ended        cleanly, with a Stop record");
            false
        }
        (Some(at), false) => {
            println!(
                "  STOP         the journal was closed cleanly at record {at}, but its last input is not a Stop record"
            );
            true
        }
        (None, _) => {
            match &found.torn {
                Some(t) => println!(
                    "  ended        by a crash, in a partial record ({} bytes at offset {} of {}), cut and kept when a session resumes",
                    t.bytes,
                    t.offset,
                    t.segment.display()
                ),
                None if replayed.ended_by_repair => {
                    println!("  ended        at an operator's repair; a session resumes from here")
                }
                None => println!("  ended        by a crash (the journal was not closed)"),
            }
            false
        }
    }
}

fn repair(dir: &Path, accept_loss: bool) -> anyhow::Result<()> {
    let found = kestrel_journal::inspect(dir).with_context(|| format!("read {}", dir.display()))?;
    if found.damage.is_empty() && found.torn.is_none() {
        println!(
            "{}: nothing to repair (records 0..{} intact)",
            dir.display(),
            found.next_seq
        );
        return Ok(());
    }
    print!("{}", found.report());
    if !accept_loss {
        let later: u64 = found.records().saturating_sub(found.next_seq);
        bail!(
            "nothing was changed. A repair keeps records 0..{} and sets aside the rest ({later} readable records among it) in {}/quarantine; run again with --accept-loss to do it",
            found.next_seq,
            dir.display()
        );
    }
    let Some(cut) = kestrel_journal::repair(dir)? else {
        return Ok(());
    };
    println!(
        "repaired: records 0..{} remain; {} bytes in {} file(s) set aside in {}",
        cut.next_seq,
        cut.bytes(),
        cut.kept.len(),
        cut.folder.display()
    );
    if cut.next_seq == 0 {
        println!(
            "the journal is now empty: the next session starts anew, and adopts or cancels (by its unknown_orders policy) the venue's open orders with its id prefix"
        );
        return Ok(());
    }
    // The journal records its repair; not closed cleanly, as the session
    // did not stop.
    let (mut writer, _) = JournalWriter::open(WriterConfig {
        dir: dir.to_path_buf(),
        fsync: FsyncPolicy::EveryRecord,
        segment_bytes: 64 << 20,
        queue: 4,
    })?;
    let note = Entry::Repaired {
        now: WallClock.now(),
        cut_at: cut.next_seq,
        bytes: cut.bytes(),
    };
    let mut payload = Vec::new();
    let kind = entry::encode(&note, &mut payload);
    writer.append(kind, &payload)?;
    writer.sync()?;
    drop(writer);
    println!("journaled the repair as record {}", cut.next_seq);
    Ok(())
}

fn dump(dir: &Path, from: u64, limit: Option<u64>) -> anyhow::Result<()> {
    let header = replay::read_header(dir).with_context(|| format!("read {}", dir.display()))?;
    let mut reader = JournalReader::open(dir, from)?;
    let mut printed = 0;
    let ids = header.ids();
    while let Some(record) = reader.next_record()? {
        if limit.is_some_and(|l| printed >= l) {
            return Ok(());
        }
        match entry::decode(record.kind, record.payload, &ids) {
            Ok(Entry::Session(h)) => println!(
                "{:>10} session {} ids {} ({} config bytes)",
                record.seq,
                markets_text(&h),
                h.session_ms,
                h.config.len()
            ),
            Ok(e) => println!("{:>10} {:?}", record.seq, e),
            Err(e) => println!("{:>10} type {} UNDECODABLE: {e}", record.seq, record.kind.0),
        }
        printed += 1;
    }
    if let Some(tail) = reader.tail() {
        println!(
            "TAIL: {} bytes cut at offset {} of {}: {:?}",
            tail.bytes_cut,
            tail.offset,
            tail.segment.display(),
            tail.reason
        );
    }
    Ok(())
}

/// A session's markets, by index: `#0 BTC/USDT@BINANCE_SPOT, #1 …`.
fn markets_text(header: &SessionHeader) -> String {
    let names: Vec<String> = header
        .instruments
        .iter()
        .enumerate()
        .map(|(n, i)| format!("#{n} {}", i.id))
        .collect();
    names.join(", ")
}

fn name(e: &Entry) -> &'static str {
    match e {
        Entry::Session(_) => "session",
        Entry::Start { .. } => "start",
        Entry::Snapshot { .. } => "snapshot",
        Entry::Delta { .. } => "delta",
        Entry::Gap { .. } => "gap",
        Entry::Trade { .. } => "trade",
        Entry::Report { .. } => "report",
        Entry::CancelRejected { .. } => "cancel-rejected",
        Entry::Timers { .. } => "timers",
        Entry::ResetKillSwitch { .. } => "reset-kill",
        Entry::Stop { .. } => "stop",
        Entry::CancelAll { .. } => "cancel-all",
        Entry::Adopt { .. } => "adopt",
        Entry::Resume { .. } => "resume",
        Entry::Balances { .. } => "balances",
        Entry::Intent { .. } => "intent",
        Entry::Risk(_) => "risk",
        Entry::Repaired { .. } => "repaired",
    }
}
