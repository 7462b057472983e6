//! Where alerts go: the log, a dead-letter file for what could not be
//! delivered, and (feature `webhook`) a signed HTTP webhook. The
//! [`Dispatcher`] journals each event before acting on it and settles
//! each (alert, sink) once.

#[cfg(feature = "webhook")]
pub mod webhook;

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::journal::{AlertJournal, AlertJournalError, Entry, Recovered};
use crate::watch::{Alert, WatchEvent};

/// A line per alert on a writer (stderr by default).
pub struct LogSink {
    out: Box<dyn Write + Send>,
}

impl Default for LogSink {
    fn default() -> Self {
        Self {
            out: Box::new(std::io::stderr()),
        }
    }
}

impl LogSink {
    /// Lines go to `out`.
    pub fn to(out: Box<dyn Write + Send>) -> Self {
        Self { out }
    }

    /// Writes the alert's line.
    pub fn deliver(&mut self, alert: &Alert) -> std::io::Result<()> {
        let price = alert
            .price
            .map_or_else(|| "-".to_owned(), |p| p.to_string());
        writeln!(
            self.out,
            "ALERT {} on {} at {} UTC, last price {} (id {})",
            alert.rule,
            alert.instrument,
            kestrel_model::UnixNanos::new(alert.time_ns).utc(),
            price,
            alert.id
        )
    }
}

/// Alerts a sink gave up on, one JSON line each, beside the journal.
pub struct DeadLetters {
    path: PathBuf,
}

impl DeadLetters {
    /// The file `dead_letters.jsonl` in `dir`.
    pub fn in_dir(dir: &Path) -> Self {
        Self {
            path: dir.join("dead_letters.jsonl"),
        }
    }

    /// Where they are.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one and syncs it.
    pub fn keep(&self, alert: &Alert, sink: &str, error: &str) -> std::io::Result<()> {
        let line = serde_json::json!({ "alert": alert, "sink": sink, "error": error });
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        writeln!(file, "{line}")?;
        file.sync_data()
    }
}

/// What the dispatcher did, for the summary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Dispatched {
    /// Alerts fired (new to the journal).
    pub fired: u64,
    /// Alerts already in the journal, met again on a replay.
    pub repeated: u64,
    /// Deliveries made.
    pub delivered: u64,
    /// Deliveries given up and kept as dead letters.
    pub dead: u64,
    /// Firings suppressed by a cooldown.
    pub suppressed: u64,
}

/// A sink the dispatcher delivers to.
pub enum Sink {
    /// The log.
    Log(LogSink),
    /// The webhook (boxed: it carries its client and runtime).
    #[cfg(feature = "webhook")]
    Webhook(Box<webhook::Webhook>),
}

impl Sink {
    /// Its name in the journal.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Log(_) => "log",
            #[cfg(feature = "webhook")]
            Self::Webhook(_) => "webhook",
        }
    }

    fn deliver(&mut self, alert: &Alert) -> Result<(), String> {
        match self {
            Self::Log(log) => log.deliver(alert).map_err(|e| e.to_string()),
            #[cfg(feature = "webhook")]
            Self::Webhook(hook) => hook
                .deliver_blocking(alert)
                .map(drop)
                .map_err(|e| e.to_string()),
        }
    }
}

/// Journals the watch's events and delivers each alert to every sink once.
pub struct Dispatcher {
    journal: AlertJournal,
    recovered: Recovered,
    sinks: Vec<Sink>,
    dead: DeadLetters,
    counts: Dispatched,
}

impl Dispatcher {
    /// Over the journal in `dir`, delivering to `sinks`.
    pub fn open(dir: &Path, sinks: Vec<Sink>) -> Result<Self, AlertJournalError> {
        let (journal, recovered) = AlertJournal::open(dir)?;
        Ok(Self {
            journal,
            recovered,
            sinks,
            dead: DeadLetters::in_dir(dir),
            counts: Dispatched::default(),
        })
    }

    /// What the journal held when opened.
    pub fn recovered(&self) -> &Recovered {
        &self.recovered
    }

    /// Delivers what the journal holds as fired and not yet delivered:
    /// what a crash interrupted.
    pub fn deliver_pending(&mut self) -> Result<(), AlertJournalError> {
        let fired = self.recovered.fired.clone();
        for alert in &fired {
            self.deliver(alert)?;
        }
        Ok(())
    }

    /// Takes one event of the watch.
    pub fn on_event(&mut self, event: &WatchEvent) -> Result<(), AlertJournalError> {
        match event {
            WatchEvent::Fired(alert) => {
                if self.recovered.fired.iter().any(|a| a.id == alert.id) {
                    // A replay of a recording meets its alerts again.
                    self.counts.repeated += 1;
                } else {
                    // On disk before anyone hears of it.
                    self.journal.record(&Entry::Watch(event.clone()))?;
                    self.recovered.fired.push(alert.clone());
                    self.counts.fired += 1;
                }
                self.deliver(alert)
            }
            WatchEvent::Suppressed { .. } => {
                self.counts.suppressed += 1;
                self.journal.record(&Entry::Watch(event.clone()))
            }
            WatchEvent::Rearmed { .. } => self.journal.record(&Entry::Watch(event.clone())),
        }
    }

    /// Delivers `alert` to each sink it is not settled for.
    fn deliver(&mut self, alert: &Alert) -> Result<(), AlertJournalError> {
        for sink in &mut self.sinks {
            let name = sink.name();
            if self.recovered.is_settled(&alert.id, name) {
                continue;
            }
            let entry = match sink.deliver(alert) {
                Ok(()) => {
                    self.counts.delivered += 1;
                    Entry::Delivered {
                        id: alert.id.clone(),
                        sink: name.to_owned(),
                    }
                }
                Err(error) => {
                    self.counts.dead += 1;
                    self.dead.keep(alert, name, &error)?;
                    Entry::DeadLetter {
                        id: alert.id.clone(),
                        sink: name.to_owned(),
                        error,
                    }
                }
            };
            self.journal.record(&entry)?;
            self.recovered
                .settled
                .insert((alert.id.clone(), name.to_owned()));
        }
        Ok(())
    }

    /// What it did.
    pub fn counts(&self) -> Dispatched {
        self.counts
    }

    /// Where dead letters go.
    pub fn dead_letters(&self) -> &Path {
        self.dead.path()
    }

    /// Closes the journal cleanly.
    pub fn close(self) -> Result<(), AlertJournalError> {
        self.journal.close()
    }
}
