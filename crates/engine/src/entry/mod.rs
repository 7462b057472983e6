//! What the journal holds: every input to the kernel, with the time the
//! kernel saw it, and what the kernel decided.
//!
//! An [`Entry`] is one journal record's meaning; its [`RecordType`] says
//! which variant the payload holds. Inputs are applied with [`apply`], in
//! live trading and in replay alike, so a journal folded through a fresh
//! kernel rebuilds the state the live kernel had. Outputs (intents and
//! risk decisions) are journaled too: replay compares its own against
//! them, and recovery learns which client order ids were already sent.
//!
//! Payloads are little-endian fields, market data in varints (see `wire`).
//! The instruments are written once, in the session header; market events,
//! reports and balances carry the instrument's index into that list (one
//! byte for the first 128), not the instrument again.

mod codec;
mod instrument;
mod wire;

use kestrel_journal::RecordType;
use kestrel_model::{
    BookDelta, BookSnapshot, ClientOrderId, Decimal, ExecReport, Instrument, InstrumentId,
    InstrumentIndex, Trade, UnixNanos,
};
use kestrel_strategy::Strategy;

use crate::kernel::{AdoptedOrder, Kernel, OrderIntent, RiskEvent};

pub use codec::{decode, decode_header, encode, encode_delta, encode_snapshot};

/// Record types of the entries, stable on disk.
pub mod kind {
    use kestrel_journal::RecordType;

    /// [`Entry::Session`](super::Entry::Session), with every instrument's
    /// contract terms and rules (1 had none, 21 one instrument; neither is
    /// read any more).
    pub const SESSION: RecordType = RecordType(23);
    /// [`Entry::Start`](super::Entry::Start).
    pub const START: RecordType = RecordType(2);
    /// [`Entry::Snapshot`](super::Entry::Snapshot), levels in varints,
    /// with its instrument's index (3 and 16 were one instrument's, no
    /// longer read).
    pub const SNAPSHOT: RecordType = RecordType(24);
    /// [`Entry::Delta`](super::Entry::Delta), levels in varints, with its
    /// instrument's index (4 and 17, no longer read).
    pub const DELTA: RecordType = RecordType(25);
    /// [`Entry::Gap`](super::Entry::Gap), with its instrument's index (5,
    /// no longer read).
    pub const GAP: RecordType = RecordType(26);
    /// [`Entry::Trade`](super::Entry::Trade), in varints, with its
    /// instrument's index (6 and 18, no longer read).
    pub const TRADE: RecordType = RecordType(27);
    /// [`Entry::Report`](super::Entry::Report), fills with their fee's
    /// asset, with its instrument's index (7 and 19, no longer read).
    pub const REPORT: RecordType = RecordType(28);
    /// [`Entry::CancelRejected`](super::Entry::CancelRejected).
    pub const CANCEL_REJECTED: RecordType = RecordType(8);
    /// [`Entry::Timers`](super::Entry::Timers).
    pub const TIMERS: RecordType = RecordType(9);
    /// [`Entry::ResetKillSwitch`](super::Entry::ResetKillSwitch).
    pub const RESET_KILL_SWITCH: RecordType = RecordType(10);
    /// [`Entry::Stop`](super::Entry::Stop).
    pub const STOP: RecordType = RecordType(11);
    /// [`Entry::Adopt`](super::Entry::Adopt), with the order's instrument
    /// (12 was the form without, no longer read).
    pub const ADOPT: RecordType = RecordType(22);
    /// [`Entry::Resume`](super::Entry::Resume).
    pub const RESUME: RecordType = RecordType(13);
    /// [`Entry::Balances`](super::Entry::Balances), with its instrument's
    /// index (14, no longer read).
    pub const BALANCES: RecordType = RecordType(29);
    /// [`Entry::CancelAll`](super::Entry::CancelAll).
    pub const CANCEL_ALL: RecordType = RecordType(15);
    /// [`Entry::Intent`](super::Entry::Intent), a submit with its
    /// instrument (32 was the form without, no longer read).
    pub const INTENT: RecordType = RecordType(34);
    /// [`Entry::Risk`](super::Entry::Risk).
    pub const RISK: RecordType = RecordType(33);
    /// [`Entry::Repaired`](super::Entry::Repaired).
    pub const REPAIRED: RecordType = RecordType(20);
}

/// What a session needs to be rebuilt: the first record of a journal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionHeader {
    /// The markets, in the kernel's instrument order, as the session
    /// resolved them (from the venues' `exchangeInfo` in live trading), so
    /// replay needs no venue.
    pub instruments: Vec<Instrument>,
    /// The client-order-id session (ms), so ids stay unique across
    /// restarts and replay issues the same ones.
    pub session_ms: u64,
    /// The configuration file the session ran with, verbatim.
    pub config: String,
}

impl SessionHeader {
    /// The instruments' ids, by index: what [`decode`] reads indices into.
    pub fn ids(&self) -> Vec<InstrumentId> {
        self.instruments.iter().map(|i| i.id).collect()
    }
}

/// One journal record's meaning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    /// The session's header.
    Session(Box<SessionHeader>),
    /// The kernel started.
    Start {
        /// Kernel time.
        now: UnixNanos,
    },
    /// A whole book (after a resync).
    Snapshot {
        /// Kernel time.
        now: UnixNanos,
        /// Its instrument.
        ix: InstrumentIndex,
        /// The book.
        book: BookSnapshot,
    },
    /// Incremental book changes.
    Delta {
        /// Kernel time.
        now: UnixNanos,
        /// Its instrument.
        ix: InstrumentIndex,
        /// The changes.
        delta: BookDelta,
    },
    /// The feed lost sync: the book is untrusted until the next snapshot.
    Gap {
        /// Kernel time.
        now: UnixNanos,
        /// Its instrument.
        ix: InstrumentIndex,
    },
    /// A print on the tape.
    Trade {
        /// Kernel time.
        now: UnixNanos,
        /// Its instrument.
        ix: InstrumentIndex,
        /// The trade.
        trade: Trade,
    },
    /// An execution report from the venue.
    Report {
        /// Kernel time.
        now: UnixNanos,
        /// Its instrument (the venue connection it came from).
        ix: InstrumentIndex,
        /// The report.
        report: ExecReport,
    },
    /// The venue refused a cancel.
    CancelRejected {
        /// Kernel time.
        now: UnixNanos,
        /// The order.
        id: ClientOrderId,
    },
    /// Due timers fired.
    Timers {
        /// Kernel time.
        now: UnixNanos,
    },
    /// An operator reset the kill switch.
    ResetKillSwitch {
        /// Kernel time.
        now: UnixNanos,
    },
    /// Every open order is to be cancelled (shutdown, operator).
    CancelAll {
        /// Kernel time.
        now: UnixNanos,
    },
    /// The kernel stopped.
    Stop {
        /// Kernel time.
        now: UnixNanos,
    },
    /// Recovery found an order at the venue that the journal lacks.
    Adopt {
        /// Kernel time.
        now: UnixNanos,
        /// The order.
        order: AdoptedOrder,
    },
    /// A restarted session resumed: ids come from a new session from here.
    Resume {
        /// Kernel time.
        now: UnixNanos,
        /// The new id session (ms).
        session_ms: u64,
    },
    /// The venue's balances of an instrument's two assets when the
    /// session began (a note for reconciliation; the kernel ignores it).
    Balances {
        /// Kernel time.
        now: UnixNanos,
        /// The instrument.
        ix: InstrumentIndex,
        /// Base asset, free plus locked.
        base: Decimal,
        /// Quote asset, free plus locked.
        quote: Decimal,
    },
    /// An order intent the kernel emitted (an output).
    Intent {
        /// Kernel time.
        now: UnixNanos,
        /// The intent.
        intent: OrderIntent,
    },
    /// A risk decision (an output).
    Risk(RiskEvent),
    /// An operator repaired the journal: records from `cut_at` on were
    /// damaged and set aside in its quarantine folder. Neither an input
    /// nor an output: the boundary of what replay can confirm.
    Repaired {
        /// Wall time of the repair.
        now: UnixNanos,
        /// The first record set aside.
        cut_at: u64,
        /// Bytes set aside.
        bytes: u64,
    },
}

impl Entry {
    /// Whether this is an input to the kernel (outputs are only compared).
    pub fn is_input(&self) -> bool {
        !matches!(
            self,
            Self::Session(_) | Self::Intent { .. } | Self::Risk(_) | Self::Repaired { .. }
        )
    }
}

/// Why a payload is not an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    /// The payload ended inside a field.
    #[error("entry payload truncated")]
    Truncated,
    /// A field holds a value no encoder writes.
    #[error("invalid entry field: {0}")]
    Invalid(&'static str),
    /// The record type is not an entry's.
    #[error("unknown entry type {0}")]
    UnknownType(u16),
}

/// Feeds an input entry to the kernel, as live trading did; outputs and
/// the header are ignored.
pub fn apply<S: Strategy>(kernel: &mut Kernel<S>, entry: &Entry) {
    match entry {
        Entry::Start { now } => kernel.start(*now),
        Entry::Snapshot { now, ix, book } => kernel.on_snapshot(*ix, book, *now),
        Entry::Delta { now, ix, delta } => kernel.on_delta(*ix, delta, *now),
        Entry::Gap { now, ix } => kernel.on_gap(*ix, *now),
        Entry::Trade { now, ix, trade } => kernel.on_trade(*ix, trade, *now),
        Entry::Report { now, report, .. } => kernel.on_report(report, *now),
        Entry::CancelRejected { now, id } => kernel.on_cancel_rejected(*id, *now),
        Entry::Timers { now } => kernel.fire_timers(*now),
        Entry::ResetKillSwitch { .. } => kernel.reset_kill_switch(),
        Entry::CancelAll { now } => kernel.cancel_all(*now),
        Entry::Stop { now } => kernel.stop(*now),
        Entry::Adopt { now, order } => kernel.adopt(order, *now),
        Entry::Resume { session_ms, .. } => kernel.resume_ids(*session_ms),
        Entry::Session(_)
        | Entry::Balances { .. }
        | Entry::Intent { .. }
        | Entry::Risk(_)
        | Entry::Repaired { .. } => {}
    }
}

/// The record type of an entry.
pub fn kind_of(entry: &Entry) -> RecordType {
    match entry {
        Entry::Session(_) => kind::SESSION,
        Entry::Start { .. } => kind::START,
        Entry::Snapshot { .. } => kind::SNAPSHOT,
        Entry::Delta { .. } => kind::DELTA,
        Entry::Gap { .. } => kind::GAP,
        Entry::Trade { .. } => kind::TRADE,
        Entry::Report { .. } => kind::REPORT,
        Entry::CancelRejected { .. } => kind::CANCEL_REJECTED,
        Entry::Timers { .. } => kind::TIMERS,
        Entry::ResetKillSwitch { .. } => kind::RESET_KILL_SWITCH,
        Entry::Stop { .. } => kind::STOP,
        Entry::CancelAll { .. } => kind::CANCEL_ALL,
        Entry::Adopt { .. } => kind::ADOPT,
        Entry::Resume { .. } => kind::RESUME,
        Entry::Balances { .. } => kind::BALANCES,
        Entry::Intent { .. } => kind::INTENT,
        Entry::Risk(_) => kind::RISK,
        Entry::Repaired { .. } => kind::REPAIRED,
    }
}

#[cfg(test)]
mod tests;
