//! Bracket exits: a stop-loss and a take-profit attached to a position.

use kestrel_model::{Price, Side};

/// Exit prices for a position held on `side`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Bracket {
    /// The position's side: long (`Buy`) or short (`Sell`).
    pub side: Side,
    /// Close at a loss when the mark reaches this.
    pub stop_loss: Option<Price>,
    /// Close at a profit when the mark reaches this.
    pub take_profit: Option<Price>,
}

/// Which leg fired.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum BracketExit {
    /// The stop-loss.
    StopLoss,
    /// The take-profit.
    TakeProfit,
}

impl Bracket {
    /// The leg the mark `price` reaches, if any (the stop first if both).
    pub fn check(&self, price: Price) -> Option<BracketExit> {
        let (stopped, taken) = match self.side {
            Side::Buy => (
                self.stop_loss.is_some_and(|s| price <= s),
                self.take_profit.is_some_and(|t| price >= t),
            ),
            Side::Sell => (
                self.stop_loss.is_some_and(|s| price >= s),
                self.take_profit.is_some_and(|t| price <= t),
            ),
        };
        if stopped {
            Some(BracketExit::StopLoss)
        } else if taken {
            Some(BracketExit::TakeProfit)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_and_short_brackets_fire_on_the_right_side() {
        let p = Price::from_ticks;
        let long = Bracket {
            side: Side::Buy,
            stop_loss: Some(p(95)),
            take_profit: Some(p(110)),
        };
        assert_eq!(long.check(p(100)), None);
        assert_eq!(long.check(p(95)), Some(BracketExit::StopLoss));
        assert_eq!(long.check(p(111)), Some(BracketExit::TakeProfit));
        let short = Bracket {
            side: Side::Sell,
            stop_loss: Some(p(105)),
            take_profit: Some(p(90)),
        };
        assert_eq!(short.check(p(106)), Some(BracketExit::StopLoss));
        assert_eq!(short.check(p(90)), Some(BracketExit::TakeProfit));
        assert_eq!(short.check(p(100)), None);
    }
}
