//! The summary table printed after a backtest, and the progress bar drawn
//! while it runs.

use std::fmt::Write as _;
use std::io::Write;

use kestrel_analytics::Summary;
use kestrel_analytics::report::{amount, decimals_for, span_text};

use super::Outcome;

/// A one-line bar on stderr, redrawn when the percentage changes; silent
/// when stderr is not a terminal (logs, CI).
pub struct ProgressBar {
    enabled: bool,
    shown: Option<u32>,
}

impl ProgressBar {
    /// A bar, drawn only if `enabled`.
    pub fn new(enabled: bool) -> Self {
        Self {
            enabled,
            shown: None,
        }
    }

    /// Shows `fraction` (0 to 1) done.
    pub fn show(&mut self, fraction: f64) {
        let percent = (fraction.clamp(0.0, 1.0) * 100.0) as u32;
        if !self.enabled || self.shown == Some(percent) {
            return;
        }
        self.shown = Some(percent);
        const WIDTH: usize = 40;
        let full = percent as usize * WIDTH / 100;
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r  backtest      [{}{}] {percent:>3}%",
            "█".repeat(full),
            "·".repeat(WIDTH - full)
        );
        let _ = err.flush();
    }

    /// Clears the bar's line.
    pub fn finish(&mut self) {
        if self.enabled && self.shown.is_some() {
            let _ = write!(std::io::stderr().lock(), "\r{:70}\r", "");
        }
    }
}

/// An amount with its sign, always.
fn signed(v: f64) -> String {
    let text = amount(v);
    if text.starts_with('-') {
        text
    } else {
        format!("+{text}")
    }
}

fn opt(v: Option<f64>, decimals: usize) -> String {
    v.map_or_else(|| "–".into(), |v| format!("{v:.decimals$}"))
}

/// The run's table, as printed after the run; `data` names what it ran on.
pub fn table(data: &str, outcome: &Outcome) -> String {
    let mut out = String::new();
    let r = &outcome.report;
    let s: &Summary = &r.summary;
    let a = &s.activity;
    let secs = outcome.elapsed.as_secs_f64();
    let _ = writeln!(out, "Kestrel backtest: {}", r.title);
    let _ = writeln!(out, "  data          {data}");
    let _ = writeln!(
        out,
        "  run           {} market events in {:.3} s ({:.1} M events/s)",
        outcome.events,
        secs,
        outcome.events as f64 / secs.max(1e-9) / 1e6
    );
    let b = &r.basis;
    let cur = &b.currency;
    // Start and end with the decimals the change needs (1 BTC that lost
    // 0.00037837 reads 1.00000000 → 0.99962163).
    let d = decimals_for(s.pnl).max(decimals_for(s.start_equity));
    let _ = writeln!(
        out,
        "  equity        {:.d$} → {:.d$} {cur}  (PnL {} {cur}, {:+.4} %)",
        s.start_equity,
        s.end_equity,
        amount(s.pnl),
        s.total_return * 100.0
    );
    let per = b.ratio_period(s.annualised);
    if s.annualised {
        let _ = writeln!(
            out,
            "  risk-adjusted over {:.1} years: Sharpe {}  Sortino {} per year, annual return {}, max drawdown {:.4} %, Calmar {}",
            s.span_years,
            opt(s.sharpe, 2),
            opt(s.sortino, 2),
            opt(s.annual_return.map(|r| r * 100.0), 2) + " %",
            s.max_drawdown * 100.0,
            opt(s.calmar, 2)
        );
    } else {
        let _ = writeln!(
            out,
            "  risk-adjusted over {}: Sharpe {}  Sortino {} per {per} (too short to annualise), max drawdown {:.4} %",
            span_text(s.span_years),
            opt(s.sharpe, 3),
            opt(s.sortino, 3),
            s.max_drawdown * 100.0
        );
    }
    let _ = writeln!(
        out,
        "  trades        {} closed, win rate {}, profit factor {}",
        s.trades.trades,
        opt(s.win_rate.map(|w| w * 100.0), 1) + " %",
        opt(s.profit_factor, 2)
    );
    let _ = writeln!(
        out,
        "  orders        {} sent, {} cancels, {} replaces, {} fills ({} filled whole)",
        a.orders, a.cancels, a.replaces, a.fills, a.filled_orders
    );
    let _ = writeln!(
        out,
        "  activity      traded {} {cur} (turnover {}×), fees {} {cur}, fill ratio {}, orders per fill {}; sizes in {}",
        amount(a.traded),
        opt(s.turnover, 2),
        amount(a.fees),
        opt(s.fill_ratio, 3),
        opt(s.order_to_trade, 2),
        b.qty_unit
    );
    for (n, leg) in r.series.legs.iter().enumerate() {
        let _ = writeln!(
            out,
            "  {:<14}{}: {} fills, fees {} {cur}, realised {} {cur}, open {} {cur}, position {} {}",
            if n == 0 { "legs" } else { "" },
            leg.instrument,
            leg.fill_count,
            amount(leg.fees),
            amount(leg.realised),
            amount(leg.unrealised),
            amount(leg.position),
            leg.qty_unit
        );
    }
    if let Some(p) = &r.portfolio {
        let _ = writeln!(
            out,
            "  exposure      gross {} {cur}, net {} {cur} (open positions at their marks)",
            amount(p.gross_exposure),
            amount(p.net_exposure)
        );
        for (n, account) in p.accounts.iter().enumerate() {
            let assets: Vec<String> = account
                .assets
                .iter()
                .map(|a| {
                    let open = if a.open == 0.0 {
                        String::new()
                    } else {
                        format!(" (open {})", signed(a.open))
                    };
                    format!("{} {}{open}", a.asset, signed(a.moved))
                })
                .collect();
            let _ = writeln!(
                out,
                "  {:<14}{}: {}",
                if n == 0 { "fills moved" } else { "" },
                account.venue,
                assets.join(", ")
            );
        }
    }
    let refusals: Vec<String> = r
        .counters
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("refused: ").map(|k| format!("{k} {v}")))
        .collect();
    if let Some(&decisions) = r.counters.get("risk_decisions") {
        let _ = writeln!(
            out,
            "  risk          {decisions} decisions, {} refused{}{}, kill switch tripped {} times",
            r.counters.get("risk_refused").copied().unwrap_or(0),
            if refusals.is_empty() { "" } else { ": " },
            refusals.join(", "),
            r.counters.get("kill_switch_trips").copied().unwrap_or(0)
        );
    }
    out
}
