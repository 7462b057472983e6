//! Performance analytics, in floating point (analytics is where floats
//! belong; positions and money stay fixed-point upstream).
//!
//! Ratios follow empyrical's conventions, so figures compare with the
//! Python tools quants already use: simple returns between equity samples,
//! sample standard deviation (ddof = 1) for Sharpe, downside deviation as
//! the root mean square of the negative returns for Sortino, drawdown as a
//! negative fraction of the running peak, and Calmar as the annualised
//! (geometric) return over the largest drawdown.

pub mod activity;
pub mod html;
pub mod points;
pub mod portfolio;
pub mod report;
pub mod returns;
pub mod trades;

pub use activity::Activity;
pub use html::to_html;
pub use points::{RunPoint, SeriesBuilder};
pub use portfolio::{AccountBalances, AssetBalance, Portfolio};
pub use report::{Basis, FillMark, Leg, MIN_ANNUALISED_YEARS, Point, Report, RunSeries, Summary};
pub use returns::{annual_return, calmar, drawdown_series, max_drawdown, returns, sharpe, sortino};
pub use trades::TradeStats;
