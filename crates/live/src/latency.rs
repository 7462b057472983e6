//! Where a live session's time goes, stage by stage, in HDR histograms:
//! printed at shutdown and served as Prometheus text on `/metrics`.
//!
//! Stages, each from the previous one's end:
//!
//! | stage | from | to |
//! |---|---|---|
//! | `receive_to_decode` | frame received (WS task) | decoded by the kernel thread (queueing included) |
//! | `decode_to_decision` | decoded | kernel done: book, signals, strategy, risk |
//! | `decision_to_journal` | kernel done | its input and outputs queued to the journal |
//! | `tick_to_dispatch` | frame received | order handed to the gateway task |
//! | `dispatch_to_sent` | order handed over | REST request answered by the venue |
//! | `order_to_ack` | intent | the venue's acknowledgement applied |
//! | `order_to_fill` | intent | its first fill applied |

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use hdrhistogram::Histogram;

/// A latency stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Frame received → decoded.
    ReceiveToDecode,
    /// Decoded → kernel done.
    DecodeToDecision,
    /// Kernel done → journaled.
    DecisionToJournal,
    /// Frame received → order handed to the gateway.
    TickToDispatch,
    /// Order handed over → venue's answer to the request.
    DispatchToSent,
    /// Intent → acknowledgement.
    OrderToAck,
    /// Intent → first fill.
    OrderToFill,
}

impl Stage {
    /// Every stage, in pipeline order.
    pub const ALL: [Self; 7] = [
        Self::ReceiveToDecode,
        Self::DecodeToDecision,
        Self::DecisionToJournal,
        Self::TickToDispatch,
        Self::DispatchToSent,
        Self::OrderToAck,
        Self::OrderToFill,
    ];

    /// Its name in tables and metrics.
    pub const fn name(self) -> &'static str {
        match self {
            Self::ReceiveToDecode => "receive_to_decode",
            Self::DecodeToDecision => "decode_to_decision",
            Self::DecisionToJournal => "decision_to_journal",
            Self::TickToDispatch => "tick_to_dispatch",
            Self::DispatchToSent => "dispatch_to_sent",
            Self::OrderToAck => "order_to_ack",
            Self::OrderToFill => "order_to_fill",
        }
    }
}

/// One histogram per stage, in nanoseconds (1 ns to 100 s, 3 digits).
#[derive(Clone, Debug)]
pub struct Latencies {
    stages: Vec<Histogram<u64>>,
}

impl Default for Latencies {
    fn default() -> Self {
        let stages = Stage::ALL
            .iter()
            .map(|_| Histogram::new_with_bounds(1, 100_000_000_000, 3))
            .collect::<Result<Vec<_>, _>>()
            .unwrap_or_default();
        Self { stages }
    }
}

impl Latencies {
    /// Records `ns` for `stage` (values past the range are clamped).
    pub fn record(&mut self, stage: Stage, ns: u64) {
        if let Some(h) = self.stages.get_mut(stage as usize) {
            h.saturating_record(ns.max(1));
        }
    }

    /// Adds another set's samples.
    pub fn merge(&mut self, other: &Self) {
        for (a, b) in self.stages.iter_mut().zip(&other.stages) {
            let _ = a.add(b);
        }
    }

    /// The table printed at shutdown.
    pub fn table(&self) -> String {
        let mut out = String::from(
            "  stage                    count      p50       p99     p99.9       max\n",
        );
        for (stage, h) in Stage::ALL.iter().zip(&self.stages) {
            if h.is_empty() {
                continue;
            }
            let q = |q: f64| micros(h.value_at_quantile(q));
            let _ = writeln!(
                out,
                "  {:<22} {:>7} {:>8} {:>9} {:>9} {:>9}",
                stage.name(),
                h.len(),
                q(0.5),
                q(0.99),
                q(0.999),
                micros(h.max())
            );
        }
        out
    }

    /// Prometheus text exposition: a summary per stage, in seconds.
    pub fn prometheus(&self, out: &mut String) {
        out.push_str("# HELP kestrel_latency_seconds Latency of each live pipeline stage.\n");
        out.push_str("# TYPE kestrel_latency_seconds summary\n");
        for stage in Stage::ALL {
            if stage != Stage::DispatchToSent {
                self.prometheus_stage(stage, out);
            }
        }
    }

    /// One stage's summary lines (the gateway's stage is rendered apart).
    pub fn prometheus_stage(&self, stage: Stage, out: &mut String) {
        if let Some(h) = self.stages.get(stage as usize) {
            let name = stage.name();
            for q in [0.5, 0.9, 0.99, 0.999] {
                let _ = writeln!(
                    out,
                    "kestrel_latency_seconds{{stage=\"{name}\",quantile=\"{q}\"}} {:e}",
                    h.value_at_quantile(q) as f64 / 1e9
                );
            }
            let sum = h.mean() * h.len() as f64 / 1e9;
            let _ = writeln!(
                out,
                "kestrel_latency_seconds_sum{{stage=\"{name}\"}} {sum:e}"
            );
            let _ = writeln!(
                out,
                "kestrel_latency_seconds_count{{stage=\"{name}\"}} {}",
                h.len()
            );
        }
    }
}

fn micros(ns: u64) -> String {
    if ns < 10_000 {
        format!("{:.1}µs", ns as f64 / 1e3)
    } else if ns < 10_000_000 {
        format!("{:.0}µs", ns as f64 / 1e3)
    } else {
        format!("{:.0}ms", ns as f64 / 1e6)
    }
}

/// Latencies recorded off the kernel thread (the gateway's), shared.
pub type SharedLatencies = Arc<Mutex<Latencies>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_render_as_a_table_and_as_prometheus_text() {
        let mut l = Latencies::default();
        for ns in [1_000, 2_000, 3_000, 50_000] {
            l.record(Stage::DecodeToDecision, ns);
        }
        let table = l.table();
        assert!(table.contains("decode_to_decision"), "{table}");
        assert!(
            !table.contains("order_to_fill"),
            "empty stages are left out"
        );
        let mut text = String::new();
        l.prometheus(&mut text);
        assert!(text.contains("kestrel_latency_seconds_count{stage=\"decode_to_decision\"} 4"));
        assert!(text.contains("quantile=\"0.5\"} 2e-6"), "{text}");
    }
}
