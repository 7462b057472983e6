//! The kernel thread's loop, its snapshots and its metrics text.

use std::sync::Mutex;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

use kestrel_feed::{FrameDecoder, Sequencer};
use kestrel_model::UnixNanos;
use kestrel_strategy::Strategy;

use super::{LiveInput, LiveSession, SessionStats, elapsed};
use crate::latency::Latencies;
use kestrel_engine::clock::{Clock, WallClock};
use kestrel_engine::kernel::Kernel;
use kestrel_engine::replay::SessionState;

impl<S: Strategy, D: FrameDecoder, Q: Sequencer> LiveSession<S, D, Q> {
    /// The session's counters, position and latencies as Prometheus text.
    pub fn prometheus(&self) -> String {
        let s = &self.stats;
        let k = self.kernel.counters();
        let mut out = String::with_capacity(4096);
        let mut counter = |name: &str, help: &str, v: u64| {
            out.push_str(&format!(
                "# HELP kestrel_{name} {help}\n# TYPE kestrel_{name} counter\nkestrel_{name} {v}\n"
            ));
        };
        counter(
            "inputs_total",
            "Inputs the kernel thread processed.",
            s.inputs,
        );
        counter(
            "market_events_total",
            "Market events applied.",
            s.market_events,
        );
        counter("gaps_total", "Feed gaps (each resynced).", s.gaps);
        counter("reports_total", "Execution reports applied.", s.reports);
        counter(
            "duplicate_reports_total",
            "Repeated reports dropped.",
            s.duplicate_reports,
        );
        counter(
            "fill_gaps_total",
            "Reports that showed missed fills.",
            s.fill_gaps,
        );
        counter(
            "recovered_fills_total",
            "Fills fetched from the venue.",
            s.recovered_fills,
        );
        counter(
            "commands_total",
            "Orders and cancels sent to the gateway.",
            s.commands,
        );
        counter("journaled_total", "Records journaled.", s.journaled);
        counter(
            "odd_reports_total",
            "Reports the order life cycle did not expect.",
            k.odd_reports,
        );
        out.push_str(
            "# HELP kestrel_position_lots Net position in lots, per instrument.\n# TYPE kestrel_position_lots gauge\n",
        );
        for (n, i) in self.kernel.instruments().enumerate() {
            out.push_str(&format!(
                "kestrel_position_lots{{instrument=\"{}\"}} {}\n",
                i.id,
                self.kernel
                    .net_lots(kestrel_model::InstrumentIndex(n as u16))
            ));
        }
        self.latency.prometheus(&mut out);
        out
    }
}

impl<S, D, Q> LiveSession<S, D, Q>
where
    S: Strategy + serde::Serialize + serde::de::DeserializeOwned,
    D: FrameDecoder,
    Q: Sequencer,
{
    /// Takes a snapshot if one is due (after the input just applied, whose
    /// records are all journaled); the writer thread stores it once they
    /// are durable.
    pub fn maybe_snapshot(&mut self, now: UnixNanos) {
        self.since_snapshot += 1;
        if self.snapshot_every == 0 || self.since_snapshot < self.snapshot_every {
            return;
        }
        self.since_snapshot = 0;
        let Some(journal) = self.journal.as_mut() else {
            return;
        };
        let state = self.kernel.save_state().and_then(|kernel| {
            SessionState {
                kernel,
                trade_ids: self.applied.iter().copied().collect(),
                start_balances: self.start_balances.clone(),
                last_time: Some(now),
            }
            .encode()
        });
        match state {
            Ok(bytes) => match journal.snapshot(SessionState::SCHEMA, bytes) {
                Ok(_) => self.stats.snapshots += 1,
                Err(e) => {
                    self.stats
                        .journal_error
                        .get_or_insert_with(|| e.to_string());
                }
            },
            // A state that cannot be encoded is a bug; the journal still
            // holds everything, so the session goes on without it.
            Err(_) => self.stats.snapshot_failures += 1,
        }
    }
}

/// Runs the kernel thread: inputs as they come, timers when due, until a
/// [`LiveInput::Shutdown`] or every sender is gone. With `metrics`, the
/// session's counters and latencies are rendered into it once a second.
pub fn run<S, D, Q>(
    mut session: LiveSession<S, D, Q>,
    inputs: &Receiver<LiveInput>,
    metrics: Option<&Mutex<String>>,
) -> (Kernel<S>, SessionStats, Latencies)
where
    S: Strategy + serde::Serialize + serde::de::DeserializeOwned,
    D: FrameDecoder,
    Q: Sequencer,
{
    let clock = WallClock;
    session.start(clock.now());
    let mut published = clock.now();
    loop {
        let now = clock.now();
        session.on_timers(now);
        let wait = session
            .kernel
            .next_timer()
            .map_or(Duration::from_millis(100), |t| {
                Duration::from_nanos(t.as_nanos().saturating_sub(now.as_nanos()))
            })
            .min(Duration::from_secs(1));
        let next = match inputs.try_recv() {
            Ok(input) => Ok(input),
            Err(_) => {
                // Idle: hand the journaled records to the writer before
                // waiting, so they reach the disk within its interval.
                session.flush_journal();
                inputs.recv_timeout(wait)
            }
        };
        match next {
            Ok(input) => {
                let now = clock.now();
                if !session.on_input(input, now) {
                    break;
                }
                session.maybe_snapshot(now);
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                session.on_input(LiveInput::Shutdown, clock.now());
                break;
            }
        }
        if session.stats.journal_error.is_some() {
            // Without a journal the session cannot be recovered: stop
            // trading now rather than trade unrecorded.
            session.cancel_everything();
            session.on_input(LiveInput::Shutdown, clock.now());
            break;
        }
        if let Some(target) = metrics {
            let now = clock.now();
            if elapsed(published, now) >= 1_000_000_000 {
                published = now;
                let text = session.prometheus();
                if let Ok(mut m) = target.lock() {
                    *m = text;
                }
            }
        }
    }
    session.finish()
}
