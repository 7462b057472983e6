//! The table a live session prints when it ends.

use std::sync::atomic::{AtomicU64, Ordering};

use kestrel_binance::{BinanceAccount, GatewayCounters};
use kestrel_live::LiveOutcome;

/// The table printed at shutdown; `accounts` are the session's gateways.
pub fn print<S: kestrel_strategy::Strategy>(o: &LiveOutcome<S>, accounts: &[&BinanceAccount]) {
    let k = o.kernel.counters();
    let s = &o.session;
    let g = &o.gateway;
    let count = |read: fn(&GatewayCounters) -> &AtomicU64| -> u64 {
        accounts
            .iter()
            .map(|a| read(a.counters()).load(Ordering::Relaxed))
            .sum()
    };
    println!(
        "  inputs        {} ({} market events, {} gaps, {} of them a book found wrong: crossed or off its checksum)",
        s.inputs, s.market_events, s.gaps, s.books_lost
    );
    let m = &o.market;
    let failures = m.snapshot_failures.load(Ordering::Relaxed);
    let last_failure = match m.last_failure.lock().ok().and_then(|l| l.clone()) {
        Some(why) if failures > 0 => format!(", the last: {why}"),
        _ => String::new(),
    };
    let unrouted = match m.unrouted.load(Ordering::Relaxed) {
        0 => String::new(),
        n => format!("; {n} frames named none of the connection's markets"),
    };
    println!(
        "  market        {} connects, {} depth snapshots ({failures} requests failed{last_failure}){unrouted}",
        m.connects.load(Ordering::Relaxed),
        m.snapshots.load(Ordering::Relaxed),
    );
    println!(
        "  book          {} updates, {} trades seen; {} diffs decided near the touch first ({} out of order)",
        k.book_updates, k.trades, s.near_first, s.near_faults
    );
    println!(
        "  orders        {} sent, {} rejected, {} unknown; {} cancels ({} refused)",
        g.submitted.load(Ordering::Relaxed),
        g.rejected.load(Ordering::Relaxed),
        g.unknown.load(Ordering::Relaxed),
        g.cancelled.load(Ordering::Relaxed),
        g.cancel_rejected.load(Ordering::Relaxed)
    );
    let refusals: Vec<String> = o
        .kernel
        .refusals()
        .iter()
        .map(|(reason, n)| format!("{n} {reason}"))
        .collect();
    println!(
        "  risk          {} refused{}{}; kill switch {}",
        k.refused,
        if refusals.is_empty() { "" } else { ": " },
        refusals.join(", "),
        o.kernel
            .kill_switch()
            .map_or_else(|| "off".to_owned(), |r| format!("on ({r})"))
    );
    println!(
        "  reports       {} applied, {} repeats dropped, {} odd",
        s.reports, s.duplicate_reports, k.odd_reports
    );
    println!(
        "  recovered     {} fill gaps ({} fills fetched, {} unresolved), {} reconciliations",
        s.fill_gaps, s.recovered_fills, s.unresolved_gaps, s.reconciliations
    );
    println!(
        "  gateway       {} retries, {} look-ups, {} refused locally, {} clock re-syncs, {} user-stream reconnects",
        count(|c| &c.retries),
        count(|c| &c.lookups),
        count(|c| &c.refused),
        count(|c| &c.resyncs),
        o.user_stream_reconnects
    );
    for line in super::position_lines(&o.kernel) {
        println!("  position      {line}");
    }
    println!(
        "  equity        {} {}",
        o.kernel.equity(),
        o.kernel.currency()
    );
    println!(
        "  journal       {} records, {} snapshots{}",
        s.journaled,
        s.snapshots,
        if s.snapshot_failures > 0 {
            format!(
                " ({} could not be encoded: recovery replays more)",
                s.snapshot_failures
            )
        } else {
            String::new()
        }
    );
}
