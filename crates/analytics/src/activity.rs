//! How much a strategy traded and how hard it worked the venue for it.

use serde::Serialize;

/// Counters of order activity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct Activity {
    /// New orders sent.
    pub orders: u64,
    /// Cancels sent.
    pub cancels: u64,
    /// Replaces sent.
    pub replaces: u64,
    /// Orders that filled at least in part.
    pub filled_orders: u64,
    /// Fills received.
    pub fills: u64,
    /// Quote notional traded.
    pub traded: f64,
    /// Fees paid.
    pub fees: f64,
}

impl Activity {
    /// Share of orders sent that traded at all.
    pub fn fill_ratio(&self) -> Option<f64> {
        (self.orders > 0).then(|| self.filled_orders as f64 / self.orders as f64)
    }

    /// Order messages (new, cancel, replace) per fill, as venues count it.
    pub fn order_to_trade(&self) -> Option<f64> {
        (self.fills > 0)
            .then(|| (self.orders + self.cancels + self.replaces) as f64 / self.fills as f64)
    }

    /// Notional traded per unit of `capital`.
    pub fn turnover(&self, capital: f64) -> Option<f64> {
        (capital > 0.0).then(|| self.traded / capital)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_of_the_counters() {
        let a = Activity {
            orders: 40,
            cancels: 30,
            replaces: 10,
            filled_orders: 10,
            fills: 16,
            traded: 50_000.0,
            fees: 5.0,
        };
        assert_eq!(a.fill_ratio(), Some(0.25));
        assert_eq!(a.order_to_trade(), Some(5.0));
        assert_eq!(a.turnover(10_000.0), Some(5.0));
        assert_eq!(Activity::default().order_to_trade(), None);
    }
}
