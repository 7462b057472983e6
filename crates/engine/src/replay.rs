//! A journal folded through a fresh kernel: the state the live kernel had,
//! rebuilt, and every decision it made checked order for order.
//!
//! The journal holds each input followed by the outputs the kernel made
//! from it. Replay applies the inputs and compares the outputs it makes
//! with the journaled ones; the first difference is reported. Outputs made
//! after the last journaled one (the journal was cut by a crash between
//! an input and its outputs) are handed back as *unconfirmed*: they may or
//! may not have reached the venue, and recovery asks the venue.

use std::collections::VecDeque;
use std::path::Path;

use kestrel_journal::{JournalReader, TailReport};
use kestrel_model::{Decimal, ExecKind, InstrumentIndex, UnixNanos};
use kestrel_strategy::Strategy;

use crate::entry::{self, Entry, EntryError, SessionHeader};
use crate::kernel::{Kernel, OrderIntent, StateError};

/// A fill's identity: its instrument and the venue's trade id (venues
/// number trades per symbol, so two markets' ids can meet).
pub type FillKey = (InstrumentIndex, u64);

/// The venue's balances (base, quote) of each instrument's assets when a
/// session began.
pub type StartBalances = std::collections::BTreeMap<InstrumentIndex, (Decimal, Decimal)>;

/// Why a journal could not be replayed.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The files could not be read.
    #[error("journal I/O: {0}")]
    Io(#[from] std::io::Error),
    /// The journal is empty or does not open with a session header.
    #[error("the journal holds no session header")]
    NoHeader,
    /// A record passed its checksum but is not a valid entry: written by
    /// another version, or a bug. Replay stops rather than guess.
    #[error("record {seq}: {error}")]
    Entry {
        /// Its sequence number.
        seq: u64,
        /// What is wrong with it.
        error: EntryError,
    },
}

/// The first output that replay did not make the same way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// The journaled output's sequence number.
    pub seq: u64,
    /// What the journal says the kernel decided.
    pub journaled: Entry,
    /// What replay decided instead (`None`: nothing).
    pub replayed: Option<Entry>,
}

/// What a replay found.
#[derive(Clone, Debug, Default)]
pub struct Replayed {
    /// Records read (header included).
    pub records: u64,
    /// Inputs applied.
    pub inputs: u64,
    /// Journaled outputs that replay made identically.
    pub outputs_matched: u64,
    /// The first difference, if any.
    pub mismatch: Option<Mismatch>,
    /// Intents replay made that the journal does not hold: cut by a crash
    /// (at the end, or before a restart's `Resume`). The venue knows
    /// whether they were sent; recovery asks it.
    pub unconfirmed: Vec<OrderIntent>,
    /// Every journaled fill, by instrument and trade id.
    pub trade_ids: std::collections::HashSet<FillKey>,
    /// The venue's balances of each instrument's assets when the session
    /// began.
    pub start_balances: StartBalances,
    /// The snapshot replay started from, if any.
    pub snapshot_seq: Option<u64>,
    /// Newer snapshots passed over, and why: they did not read, or were
    /// written by another schema, or their state did not decode.
    pub snapshots_skipped: Vec<(u64, String)>,
    /// Operator repairs the journal records: (first record cut, bytes).
    pub repairs: Vec<(u64, u64)>,
    /// The last input was a Stop: the session ended cleanly.
    pub stopped: bool,
    /// The last record is an operator's repair.
    pub ended_by_repair: bool,
    /// Kernel time of the last input.
    pub last_time: Option<UnixNanos>,
    /// Where the journal stopped early, if it did.
    pub tail: Option<TailReport>,
    /// The sequence number the next record gets.
    pub next_seq: u64,
}

/// What a snapshot holds besides the kernel: what recovery needs to know of
/// the records before it.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SessionState {
    /// [`Kernel::save_state`]'s bytes.
    pub kernel: Vec<u8>,
    /// Every fill applied, by instrument and trade id.
    pub trade_ids: Vec<FillKey>,
    /// The venue's balances of each instrument's assets when the session
    /// began.
    pub start_balances: StartBalances,
    /// Kernel time of the last input.
    pub last_time: Option<UnixNanos>,
}

impl SessionState {
    /// The schema of [`Self::encode`]'s bytes, stored with each snapshot:
    /// a snapshot of another schema is passed over, never misread (1 was
    /// the one-instrument kernel's state, 2 kept one trade-id space and one
    /// pair of balances, 3 held the report's series inside the kernel, 4
    /// counted equity in one settlement asset only, 5 had no bars and
    /// priced every market by its book).
    pub const SCHEMA: u32 = 6;

    /// The encoded bytes, as a journal snapshot holds them.
    pub fn encode(&self) -> Result<Vec<u8>, StateError> {
        postcard::to_allocvec(self).map_err(|e| StateError::from_text(e.to_string()))
    }

    /// From a journal snapshot's bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self, StateError> {
        postcard::from_bytes(bytes).map_err(|e| StateError::from_text(e.to_string()))
    }
}

/// Rebuilds a session's kernel from its journal: from the newest snapshot
/// at or below `end_seq` (the journal's intact end) that reads and decodes,
/// passing over the ones that do not (said in
/// [`Replayed::snapshots_skipped`]), else from `fresh` (a kernel as the
/// session began); then the records after it, up to `end_seq`.
pub fn recover<S, E>(
    dir: &Path,
    end_seq: u64,
    fresh: impl FnOnce(&SessionHeader) -> Result<Kernel<S>, E>,
) -> Result<(Kernel<S>, Replayed), RecoverError<E>>
where
    S: Strategy + serde::Serialize + serde::de::DeserializeOwned,
{
    let found = kestrel_journal::snapshot::usable(dir, end_seq).map_err(ReplayError::Io)?;
    let mut skipped: Vec<(u64, String)> = found
        .bad
        .into_iter()
        .map(|(seq, fault)| (seq, fault.to_string()))
        .collect();
    let mut start = None;
    for snap in found.good {
        match from_snapshot::<S>(&snap) {
            Ok(found) => {
                start = Some(found);
                break;
            }
            Err(why) => skipped.push((snap.seq, why)),
        }
    }
    skipped.sort_by_key(|s| std::cmp::Reverse(s.0));
    let (mut kernel, from, mut out) = match start {
        Some(found) => found,
        None => {
            let header = read_header(dir)?;
            (
                fresh(&header).map_err(RecoverError::Fresh)?,
                0,
                Replayed::default(),
            )
        }
    };
    out.snapshots_skipped = skipped;
    let replayed = replay_range(dir, from, end_seq, &mut kernel, out)?;
    Ok((kernel, replayed))
}

/// A kernel and what is known of the records before a snapshot.
fn from_snapshot<S>(snap: &kestrel_journal::Snapshot) -> Result<(Kernel<S>, u64, Replayed), String>
where
    S: Strategy + serde::Serialize + serde::de::DeserializeOwned,
{
    if snap.schema != SessionState::SCHEMA {
        return Err(format!(
            "schema {}, where this build reads {}",
            snap.schema,
            SessionState::SCHEMA
        ));
    }
    let state = SessionState::decode(&snap.bytes).map_err(|e| format!("session state: {e}"))?;
    let kernel = Kernel::load_state(&state.kernel).map_err(|e| format!("kernel state: {e}"))?;
    let out = Replayed {
        trade_ids: state.trade_ids.into_iter().collect(),
        start_balances: state.start_balances,
        last_time: state.last_time,
        snapshot_seq: Some(snap.seq),
        ..Replayed::default()
    };
    Ok((kernel, snap.seq, out))
}

/// Why [`recover`] failed.
#[derive(Debug, thiserror::Error)]
pub enum RecoverError<E> {
    /// Reading the journal failed.
    #[error(transparent)]
    Replay(#[from] ReplayError),
    /// The fresh kernel could not be built.
    #[error("building the session's kernel: {0}")]
    Fresh(E),
}

/// The session header: the journal's first record.
pub fn read_header(dir: &Path) -> Result<SessionHeader, ReplayError> {
    let mut reader = JournalReader::open(dir, 0)?;
    let Some(record) = reader.next_record()? else {
        return Err(ReplayError::NoHeader);
    };
    if record.kind != entry::kind::SESSION {
        return Err(ReplayError::NoHeader);
    }
    entry::decode_header(record.payload).map_err(|error| ReplayError::Entry {
        seq: record.seq,
        error,
    })
}

/// Folds the journal in `dir` through `kernel` (new, built from the
/// header's configuration), checking each journaled output.
pub fn replay<S: Strategy>(dir: &Path, kernel: &mut Kernel<S>) -> Result<Replayed, ReplayError> {
    replay_range(dir, 0, u64::MAX, kernel, Replayed::default())
}

/// Folds the records in `from_seq..until_seq` through `kernel`, which holds
/// the state before `from_seq`; `out` carries what is known of that state.
pub fn replay_range<S: Strategy>(
    dir: &Path,
    from_seq: u64,
    until_seq: u64,
    kernel: &mut Kernel<S>,
    mut out: Replayed,
) -> Result<Replayed, ReplayError> {
    let header = read_header(dir)?;
    let instruments = header.ids();
    let mut reader = JournalReader::open(dir, from_seq)?;
    let mut made: VecDeque<Entry> = VecDeque::new();
    while let Some(record) = reader.next_record()? {
        if record.seq >= until_seq {
            break;
        }
        out.records += 1;
        let seq = record.seq;
        let entry = entry::decode(record.kind, record.payload, &instruments)
            .map_err(|error| ReplayError::Entry { seq, error })?;
        if let Entry::Repaired { cut_at, bytes, .. } = entry {
            // What the cut records decided is gone: outputs of the last
            // input before it are unconfirmed, as at a crash.
            unconfirmed(&mut made, &mut out);
            out.repairs.push((cut_at, bytes));
            out.ended_by_repair = true;
            continue;
        }
        out.ended_by_repair = false;
        if entry.is_input() {
            out.stopped = matches!(entry, Entry::Stop { .. });
            if let Some(now) = input_time(&entry) {
                out.last_time = Some(now);
            }
            if let Entry::Balances {
                ix, base, quote, ..
            } = &entry
            {
                out.start_balances.entry(*ix).or_insert((*base, *quote));
            }
            if let Entry::Report { ix, report, .. } = &entry {
                if let ExecKind::Trade(fill) = report.kind {
                    out.trade_ids.insert((*ix, fill.trade_id));
                }
            }
            if matches!(entry, Entry::Resume { .. }) {
                // A restart: the crashed process may have journaled an
                // input and not its outputs. They are unconfirmed, not wrong.
                unconfirmed(&mut made, &mut out);
            }
            // Otherwise the previous input's outputs were all journaled
            // before this input: records are written in order.
            if let (Some(replayed), None) = (made.pop_front(), &out.mismatch) {
                out.mismatch = Some(Mismatch {
                    seq,
                    journaled: entry.clone(),
                    replayed: Some(replayed),
                });
            }
            made.clear();
            entry::apply(kernel, &entry);
            out.inputs += 1;
            let now = out.last_time.unwrap_or_default();
            made.extend(kernel.drain_decisions().map(Entry::Risk));
            made.extend(
                kernel
                    .drain_intents()
                    .map(|intent| Entry::Intent { now, intent }),
            );
        } else if !matches!(entry, Entry::Session(_)) {
            let replayed = made.pop_front();
            if replayed.as_ref() == Some(&entry) {
                out.outputs_matched += 1;
            } else if out.mismatch.is_none() {
                out.mismatch = Some(Mismatch {
                    seq,
                    journaled: entry,
                    replayed,
                });
            }
        }
    }
    // Outputs of the last input that the journal never got.
    unconfirmed(&mut made, &mut out);
    out.tail = reader.tail().cloned();
    out.next_seq = reader.next_seq().unwrap_or(0);
    Ok(out)
}

fn unconfirmed(made: &mut VecDeque<Entry>, out: &mut Replayed) {
    for e in made.drain(..) {
        if let Entry::Intent { intent, .. } = e {
            out.unconfirmed.push(intent);
        }
    }
}

fn input_time(e: &Entry) -> Option<UnixNanos> {
    match e {
        Entry::Start { now }
        | Entry::Snapshot { now, .. }
        | Entry::Delta { now, .. }
        | Entry::Gap { now, .. }
        | Entry::Trade { now, .. }
        | Entry::Report { now, .. }
        | Entry::CancelRejected { now, .. }
        | Entry::Timers { now }
        | Entry::ResetKillSwitch { now }
        | Entry::Stop { now }
        | Entry::CancelAll { now }
        | Entry::Adopt { now, .. }
        | Entry::Resume { now, .. }
        | Entry::Balances { now, .. } => Some(*now),
        Entry::Session(_) | Entry::Intent { .. } | Entry::Risk(_) | Entry::Repaired { .. } => None,
    }
}
