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
    /// Annualised Sharpe ratio.
    pub sharpe: Option<f64>,
    /// Annualised Sortino ratio.
    pub sortino: Option<f64>,
    /// Largest drawdown, a negative fraction.
    pub max_drawdown: f64,
    /// Annualised return over the largest drawdown.
    pub calmar: Option<f64>,
    /// Annualised geometric return.
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
    /// Notional traded per unit of starting equity.
    pub turnover: Option<f64>,
}

/// A whole report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// What ran, for the title.
    pub title: String,
    /// The figures.
    pub summary: Summary,
    /// Counters of the run beside the figures (events, risk refusals by
    /// reason, ...), named by the runner; sorted by name.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub counters: BTreeMap<String, u64>,
    /// The series.
    pub series: RunSeries,
}

impl Report {
    /// Computes the figures from the series; `periods_per_year` is how many
    /// equity samples make a year.
    pub fn new(
        title: impl Into<String>,
        series: RunSeries,
        trades: TradeStats,
        activity: Activity,
        periods_per_year: f64,
    ) -> Self {
        let equity: Vec<f64> = series.equity.iter().map(|p| p.1).collect();
        let r = returns(&equity);
        let start = equity.first().copied().unwrap_or(0.0);
        let end = equity.last().copied().unwrap_or(0.0);
        let summary = Summary {
            start_equity: start,
            end_equity: end,
            total_return: if start != 0.0 { end / start - 1.0 } else { 0.0 },
            sharpe: sharpe(&r, periods_per_year),
            sortino: sortino(&r, periods_per_year),
            max_drawdown: max_drawdown(&equity),
            calmar: calmar(&equity, periods_per_year),
            annual_return: annual_return(&equity, periods_per_year),
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
            summary,
            counters: BTreeMap::new(),
            series,
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
