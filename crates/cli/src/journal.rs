//! `kestrel journal`: check and inspect a session's journal offline.
//!
//! `verify` reads every record (checksums, sequence, entry format), then
//! folds the journal through a fresh kernel built from the session header
//! and checks that every journaled decision comes out the same; `dump`
//! prints the records.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use kestrel_engine::entry::{self, Entry};
use kestrel_engine::replay;
use kestrel_journal::JournalReader;

use crate::live::kernel_from_header;

/// Options of `kestrel journal`.
#[derive(clap::Args)]
pub struct JournalArgs {
    #[command(subcommand)]
    command: JournalCommand,
}

#[derive(clap::Subcommand)]
enum JournalCommand {
    /// Check every record and replay the session; exits non-zero on a
    /// corrupt record, a torn tail, or a decision replay makes differently.
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
}

pub fn run(args: &JournalArgs) -> anyhow::Result<()> {
    match &args.command {
        JournalCommand::Verify { dir } => verify(dir),
        JournalCommand::Dump { dir, from, limit } => dump(dir, *from, *limit),
    }
}

fn verify(dir: &Path) -> anyhow::Result<()> {
    let header = replay::read_header(dir).with_context(|| format!("read {}", dir.display()))?;
    let mut kernel = kernel_from_header(&header)?;
    let replayed = replay::replay(dir, &mut kernel)?;
    let mut counts: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut reader = JournalReader::open(dir, 0)?;
    while let Some(record) = reader.next_record()? {
        let name = entry::decode(record.kind, record.payload, header.instrument.id)
            .map_or("undecodable", |e| name(&e));
        *counts.entry(name).or_default() += 1;
    }
    println!("journal {}", dir.display());
    println!(
        "  session      {} since {} ms (ids), {} records",
        header.instrument.id, header.session_ms, replayed.records
    );
    for (name, n) in &counts {
        println!("    {name:<16} {n}");
    }
    println!(
        "  replay       {} inputs, {} decisions matched",
        replayed.inputs, replayed.outputs_matched
    );
    let position = kernel.position();
    println!(
        "  state        position {} lots, realised {}, fees {}",
        position.net_lots(),
        position.realised(),
        position.fees()
    );
    if !replayed.unconfirmed.is_empty() {
        println!(
            "  unconfirmed  {} intents made after the last journaled record",
            replayed.unconfirmed.len()
        );
    }
    let mut bad = false;
    // The newest snapshot must be exactly the state replay reaches there.
    let end = replayed.next_seq;
    if let Some(snap) = kestrel_journal::snapshot::latest(dir, end)? {
        let mut at_snapshot = kernel_from_header(&header)?;
        replay::replay_range(
            dir,
            0,
            snap.seq,
            &mut at_snapshot,
            replay::Replayed::default(),
        )?;
        let replayed_state = at_snapshot.save_state()?;
        let stored = replay::SessionState::decode(&snap.bytes)?;
        if stored.kernel == replayed_state {
            println!(
                "  snapshot     at record {}: the replayed state, byte for byte",
                snap.seq
            );
        } else {
            println!(
                "  SNAPSHOT     at record {} differs from the replayed state",
                snap.seq
            );
            bad = true;
        }
    }
    if let Some(tail) = &replayed.tail {
        println!(
            "  TAIL         {} bytes cut at offset {} of {}: {:?}",
            tail.bytes_cut,
            tail.offset,
            tail.segment.display(),
            tail.reason
        );
        bad = true;
    }
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

fn dump(dir: &Path, from: u64, limit: Option<u64>) -> anyhow::Result<()> {
    let header = replay::read_header(dir).with_context(|| format!("read {}", dir.display()))?;
    let mut reader = JournalReader::open(dir, from)?;
    let mut printed = 0;
    while let Some(record) = reader.next_record()? {
        if limit.is_some_and(|l| printed >= l) {
            return Ok(());
        }
        match entry::decode(record.kind, record.payload, header.instrument.id) {
            Ok(Entry::Session(h)) => println!(
                "{:>10} session {} ids {} ({} config bytes)",
                record.seq,
                h.instrument.id,
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
    }
}
