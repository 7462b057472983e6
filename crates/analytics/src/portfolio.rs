//! The portfolio at the end of a run of several markets: what it holds
//! across them, and what the run did to each venue account's balances.

use serde::Serialize;

/// The portfolio at a run's end, in the report's currency where it sums
/// across markets and in each asset where it does not.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Portfolio {
    /// Σ over markets of the open position's value, long or short.
    pub gross_exposure: f64,
    /// Σ over markets of the open position's value, long positive: what
    /// the portfolio gains per unit rise of every price at once.
    pub net_exposure: f64,
    /// Each venue account's balances as the run's fills moved them.
    pub accounts: Vec<AccountBalances>,
}

/// One venue account's balances, as the run's fills moved them.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct AccountBalances {
    /// The venue (`BINANCE_SPOT`).
    pub venue: String,
    /// Each asset the account's markets use, in order of first use.
    pub assets: Vec<AssetBalance>,
}

/// One asset of a venue account.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct AssetBalance {
    /// The asset.
    pub asset: String,
    /// What the fills moved its balance by, in the asset: a spot market's
    /// base by what was bought and sold less fees withheld in it, its
    /// quote by their proceeds and costs less fees; a derivative's
    /// settlement asset (its margin) by the PnL realised less fees.
    pub moved: f64,
    /// The open PnL of derivatives settled in it, on top of `moved` in the
    /// margin balance; zero for spot.
    pub open: f64,
}
