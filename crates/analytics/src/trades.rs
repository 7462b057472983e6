//! Statistics of closed trades (round trips).

use serde::Serialize;

/// Win rate and profit factor of a set of closed trades' net PnLs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct TradeStats {
    /// Closed trades.
    pub trades: u64,
    /// Trades that made money.
    pub wins: u64,
    /// Σ of the winning trades.
    pub gross_profit: f64,
    /// Σ of the losing trades, as a positive number.
    pub gross_loss: f64,
}

impl TradeStats {
    /// Adds a closed trade's net PnL (a trade that breaks even is neither).
    pub fn add(&mut self, pnl: f64) {
        self.trades += 1;
        if pnl > 0.0 {
            self.wins += 1;
            self.gross_profit += pnl;
        } else if pnl < 0.0 {
            self.gross_loss -= pnl;
        }
    }

    /// Share of trades that made money.
    pub fn win_rate(&self) -> Option<f64> {
        (self.trades > 0).then(|| self.wins as f64 / self.trades as f64)
    }

    /// Gross profit over gross loss; `None` without a loss.
    pub fn profit_factor(&self) -> Option<f64> {
        (self.gross_loss > 0.0).then(|| self.gross_profit / self.gross_loss)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn win_rate_and_profit_factor() {
        let mut s = TradeStats::default();
        for pnl in [30.0, -10.0, 0.0, 20.0, -15.0] {
            s.add(pnl);
        }
        assert_eq!(s.win_rate(), Some(0.4));
        assert_eq!(s.profit_factor(), Some(2.0));
        assert_eq!(TradeStats::default().win_rate(), None);
    }
}
