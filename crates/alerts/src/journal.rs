//! The alerts' journal: every firing, re-arm and suppression, and every
//! delivery or dead letter, in order, in Kestrel's checksummed journal
//! (`kestrel-journal`), each synced before the delivery it allows.
//!
//! On a restart it gives back each rule's state (disarmed or not, its
//! last firing) and what was fired but not yet delivered to a sink, so a
//! restart neither loses a pending alert nor fires one twice. A torn last
//! record is cut and kept (the journal's own rule); damage refuses the
//! open, for an operator to look at.

use std::collections::HashSet;
use std::path::Path;

use kestrel_journal::{
    FsyncPolicy, JournalError, JournalReader, JournalWriter, Quarantined, RecordType, WriterConfig,
};

use crate::watch::{Alert, RuleState, WatchEvent};

/// The record type of every alert journal entry (a JSON payload).
pub const ALERT_RECORD: RecordType = RecordType(0x0A1E);

/// One entry.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Entry {
    /// What the watch did.
    Watch(WatchEvent),
    /// An alert reached a sink.
    Delivered {
        /// The alert.
        id: String,
        /// The sink.
        sink: String,
    },
    /// A sink refused an alert for good, or every try failed: kept in
    /// the dead-letter file.
    DeadLetter {
        /// The alert.
        id: String,
        /// The sink.
        sink: String,
        /// The last failure.
        error: String,
    },
}

/// Why the journal could not be used.
#[derive(Debug, thiserror::Error)]
pub enum AlertJournalError {
    /// Reading it failed.
    #[error("alert journal: {0}")]
    Io(#[from] std::io::Error),
    /// The journal refused (damage, a stopped writer).
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// A record that is not an alert entry.
    #[error("alert journal record {seq}: {error}")]
    Entry {
        /// Its sequence number.
        seq: u64,
        /// What was wrong.
        error: String,
    },
}

/// What a journal held when it was opened.
#[derive(Clone, Debug, Default)]
pub struct Recovered {
    /// Each rule's state, by name, as the last entries left it.
    pub states: Vec<(String, RuleState)>,
    /// Every alert fired, in order.
    pub fired: Vec<Alert>,
    /// (alert id, sink) delivered or dead-lettered.
    pub settled: HashSet<(String, String)>,
    /// A torn tail cut on open, and where its bytes are.
    pub torn: Option<Quarantined>,
}

impl Recovered {
    /// Whether `id` is settled for `sink`.
    pub fn is_settled(&self, id: &str, sink: &str) -> bool {
        self.settled.contains(&(id.to_owned(), sink.to_owned()))
    }

    /// Alerts fired and not settled for `sink`.
    pub fn pending<'a>(&'a self, sink: &'a str) -> impl Iterator<Item = &'a Alert> + 'a {
        self.fired
            .iter()
            .filter(move |a| !self.is_settled(&a.id, sink))
    }

    fn fold(&mut self, entry: Entry) {
        let state = |states: &mut Vec<(String, RuleState)>, rule: &str| -> usize {
            match states.iter().position(|(n, _)| n == rule) {
                Some(i) => i,
                None => {
                    states.push((rule.to_owned(), RuleState::default()));
                    states.len() - 1
                }
            }
        };
        match entry {
            Entry::Watch(WatchEvent::Fired(alert)) => {
                let i = state(&mut self.states, &alert.rule);
                self.states[i].1 = RuleState {
                    disarmed: true,
                    last_fired_ns: Some(alert.time_ns),
                };
                self.fired.push(alert);
            }
            Entry::Watch(WatchEvent::Suppressed { rule, .. }) => {
                let i = state(&mut self.states, &rule);
                self.states[i].1.disarmed = true;
            }
            Entry::Watch(WatchEvent::Rearmed { rule, .. }) => {
                let i = state(&mut self.states, &rule);
                self.states[i].1.disarmed = false;
            }
            Entry::Delivered { id, sink } | Entry::DeadLetter { id, sink, .. } => {
                self.settled.insert((id, sink));
            }
        }
    }
}

/// The journal, open for appending.
pub struct AlertJournal {
    writer: JournalWriter,
}

impl AlertJournal {
    /// Opens (or creates) the journal in `dir`, with what it held.
    pub fn open(dir: &Path) -> Result<(Self, Recovered), AlertJournalError> {
        let mut recovered = Recovered::default();
        if dir.exists() {
            let mut reader = JournalReader::open(dir, 0)?;
            while let Some(record) = reader.next_record()? {
                if record.kind != ALERT_RECORD {
                    return Err(AlertJournalError::Entry {
                        seq: record.seq,
                        error: format!("record type {:#06x}", record.kind.0),
                    });
                }
                let entry: Entry = serde_json::from_slice(record.payload).map_err(|e| {
                    AlertJournalError::Entry {
                        seq: record.seq,
                        error: e.to_string(),
                    }
                })?;
                recovered.fold(entry);
            }
        }
        let (writer, opened) = JournalWriter::open(WriterConfig {
            dir: dir.to_path_buf(),
            fsync: FsyncPolicy::EveryRecord,
            segment_bytes: 64 << 20,
            queue: 64,
        })?;
        recovered.torn = opened.torn;
        Ok((Self { writer }, recovered))
    }

    /// Appends `entry` and waits until it is on disk.
    pub fn record(&mut self, entry: &Entry) -> Result<(), AlertJournalError> {
        let payload = serde_json::to_vec(entry).map_err(|e| AlertJournalError::Entry {
            seq: self.writer.next_seq(),
            error: e.to_string(),
        })?;
        self.writer.append(ALERT_RECORD, &payload)?;
        self.writer.sync()?;
        Ok(())
    }

    /// Syncs and closes, leaving the clean-stop marker.
    pub fn close(self) -> Result<(), AlertJournalError> {
        Ok(self.writer.close()?)
    }
}
