//! The backtest report: figures and series, as JSON and as one
//! self-contained HTML page.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::activity::Activity;
use crate::returns::{
    annual_return, calmar, drawdown_series, max_drawdown, returns, sharpe, sortino,
};
use crate::trades::TradeStats;

/// A point of a time series: time in ms and a value.
pub type Point = (u64, f64);

/// One of our fills, for the price chart.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct FillMark {
    /// Time, ms.
    pub time_ms: u64,
    /// Price.
    pub price: f64,
    /// Quantity.
    pub qty: f64,
    /// Whether we bought.
    pub buy: bool,
}

/// What a run produced, as series.
#[derive(Clone, Debug, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct RunSeries {
    /// Equity sampled at a fixed period.
    pub equity: Vec<Point>,
    /// Position after each change.
    pub inventory: Vec<Point>,
    /// Market mid price.
    pub price: Vec<Point>,
    /// Our fills.
    pub fills: Vec<FillMark>,
    /// Each instrument's part, when the run had several (empty for one);
    /// the series above are then the first instrument's, and `equity` the
    /// portfolio's. Always written: kernel snapshots hold these series in
    /// a format without field names, where a skipped field misreads.
    #[serde(default)]
    pub legs: Vec<Leg>,
}

/// One instrument's part of a run of several: its price and the account's
/// position in it, our fills on it, and its figures.
#[derive(Clone, Debug, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct Leg {
    /// The instrument.
    pub instrument: String,
    /// What its quantities are (`BTC`, `contracts of 100 USD`).
    pub qty_unit: String,
    /// Its mid, sampled.
    pub price: Vec<Point>,
    /// The account's position in it, in its units: sampled, and at each fill.
    pub inventory: Vec<Point>,
    /// Our fills on it.
    pub fills: Vec<FillMark>,
    /// Fills on it.
    pub fill_count: u64,
    /// Value traded on it, in its quote asset.
    pub traded: f64,
    /// Fees paid on it, in the report's currency.
    pub fees: f64,
    /// PnL realised on it after fees, in the report's currency.
    pub realised: f64,
    /// PnL of its open position at the last mark, in the report's currency.
    pub unrealised: f64,
    /// The position at the end, in its units.
    pub position: f64,
}

/// The figures of a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Equity at the start.
    pub start_equity: f64,
    /// Equity at the end.
    pub end_equity: f64,
    /// End over start, minus one.
    pub total_return: f64,
    /// End minus start, in the report's currency.
    pub pnl: f64,
    /// The time the equity samples span, in years.
    pub span_years: f64,
    /// Whether the ratios are annualised: only when the sample spans a
    /// year or more ([`MIN_ANNUALISED_YEARS`]). Shorter runs give them per
    /// sampling period, since scaling minutes up to a year says nothing.
    pub annualised: bool,
    /// Sharpe ratio: per year if `annualised`, else per sampling period.
    pub sharpe: Option<f64>,
    /// Sortino ratio: per year if `annualised`, else per sampling period.
    pub sortino: Option<f64>,
    /// Largest drawdown, a negative fraction.
    pub max_drawdown: f64,
    /// Annualised return over the largest drawdown (annualised runs only).
    pub calmar: Option<f64>,
    /// Annualised geometric return (annualised runs only).
    pub annual_return: Option<f64>,
    /// Closed trades and their statistics.
    pub trades: TradeStats,
    /// Share of closed trades that made money.
    pub win_rate: Option<f64>,
    /// Gross profit over gross loss.
    pub profit_factor: Option<f64>,
    /// Order activity.
    pub activity: Activity,
    /// Orders sent that filled at all.
    pub fill_ratio: Option<f64>,
    /// Order messages per fill.
    pub order_to_trade: Option<f64>,
    /// Value traded per unit of starting equity.
    pub turnover: Option<f64>,
}

/// An amount for people: two decimals from 1000 up, four from 1, eight
/// below (a BTC-settled run's PnL is a few hundred-thousandths).
pub fn amount(v: f64) -> String {
    let decimals = decimals_for(v);
    format!("{v:.decimals$}")
}

/// The decimals [`amount`] writes `v` with; several amounts of one kind
/// (start and end equity) read best with those of the largest.
pub fn decimals_for(v: f64) -> usize {
    match v.abs() {
        a if a >= 1000.0 => 2,
        a if a >= 1.0 => 4,
        _ => 8,
    }
}

/// A span of `years` in the unit that reads best: `5.8 min`, `3.2 h`.
pub fn span_text(years: f64) -> String {
    let secs = years * 365.0 * 86_400.0;
    match secs {
        s if s >= 86_400.0 => format!("{:.1} days", s / 86_400.0),
        s if s >= 3_600.0 => format!("{:.1} h", s / 3_600.0),
        s if s >= 60.0 => format!("{:.1} min", s / 60.0),
        s => format!("{s:.1} s"),
    }
}

/// Runs shorter than this many years report per-period ratios.
pub const MIN_ANNUALISED_YEARS: f64 = 1.0;

/// What a report's figures are counted in, and how its equity was sampled.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Basis {
    /// The asset equity, PnL, fees and value traded are in: the
    /// instrument's settlement asset (USDT, or BTC for an inverse contract).
    pub currency: String,
    /// What a quantity is: `BTC`, `shares`, `contracts of 100 USD`.
    pub qty_unit: String,
    /// Seconds between equity samples.
    pub sample_seconds: f64,
    /// Equity samples per year (252 for daily bars).
    pub periods_per_year: f64,
}

impl Basis {
    /// What the ratios are per: `year`, or the sampling period (`1 s`).
    pub fn ratio_period(&self, annualised: bool) -> String {
        if annualised {
            return "year".into();
        }
        let s = self.sample_seconds;
        match s {
            s if s >= 86_400.0 && s % 86_400.0 == 0.0 => format!("{} day", s / 86_400.0),
            s if s >= 3_600.0 && s % 3_600.0 == 0.0 => format!("{} h", s / 3_600.0),
            s if s >= 60.0 && s % 60.0 == 0.0 => format!("{} min", s / 60.0),
            s if s >= 1.0 => format!("{s} s"),
            s => format!("{} ms", s * 1e3),
        }
    }
}

/// A whole report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// What ran, for the title.
    pub title: String,
    /// Units and sampling of the figures.
    pub basis: Basis,
    /// The figures.
    pub summary: Summary,
    /// Counters of the run beside the figures (events, risk refusals by
    /// reason, ...), named by the runner; sorted by name.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub counters: BTreeMap<String, u64>,
    /// The series.
    pub series: RunSeries,
    /// Exposure and each venue account's balances, for a run of several
    /// markets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub portfolio: Option<crate::Portfolio>,
}

impl Report {
    /// Computes the figures from the series, counted and sampled as
    /// `basis` says.
    pub fn new(
        title: impl Into<String>,
        series: RunSeries,
        trades: TradeStats,
        activity: Activity,
        basis: Basis,
    ) -> Self {
        let equity: Vec<f64> = series.equity.iter().map(|p| p.1).collect();
        let r = returns(&equity);
        let start = equity.first().copied().unwrap_or(0.0);
        let end = equity.last().copied().unwrap_or(0.0);
        let ppy = basis.periods_per_year;
        let span_years = r.len() as f64 / ppy;
        let annualised = span_years >= MIN_ANNUALISED_YEARS;
        // Per-period ratios are the annual formula with one period a "year".
        let ratio_ppy = if annualised { ppy } else { 1.0 };
        let summary = Summary {
            start_equity: start,
            end_equity: end,
            total_return: if start != 0.0 { end / start - 1.0 } else { 0.0 },
            pnl: end - start,
            span_years,
            annualised,
            sharpe: sharpe(&r, ratio_ppy),
            sortino: sortino(&r, ratio_ppy),
            max_drawdown: max_drawdown(&equity),
            calmar: calmar(&equity, ppy).filter(|_| annualised),
            annual_return: annual_return(&equity, ppy).filter(|_| annualised),
            trades,
            win_rate: trades.win_rate(),
            profit_factor: trades.profit_factor(),
            activity,
            fill_ratio: activity.fill_ratio(),
            order_to_trade: activity.order_to_trade(),
            turnover: activity.turnover(start),
        };
        Self {
            title: title.into(),
            basis,
            summary,
            counters: BTreeMap::new(),
            series,
            portfolio: None,
        }
    }

    /// The report as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        // Plain data with string keys and finite or null numbers: always serialisable.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Drawdown at each equity sample.
    pub fn drawdown(&self) -> Vec<Point> {
        let equity: Vec<f64> = self.series.equity.iter().map(|p| p.1).collect();
        self.series
            .equity
            .iter()
            .zip(drawdown_series(&equity))
            .map(|(p, d)| (p.0, d))
            .collect()
    }
}
