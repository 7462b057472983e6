//! What one unit of an instrument's quantity is, and how its profit settles.
//!
//! Three kinds cover the venues Kestrel speaks:
//! * **spot**: quantity is the base asset, value is price × quantity in the
//!   quote asset;
//! * **linear** contracts (Binance USDⓈ-M, OKX `BTC-USDT-SWAP`, Bybit
//!   linear): one unit of quantity is `multiplier` base units, value and
//!   profit are in the quote asset;
//! * **inverse** contracts (Binance COIN-M, OKX `BTC-USD-SWAP`, Bybit
//!   inverse): one contract is worth `multiplier` quote units (100 USD for
//!   Binance's `BTCUSD_PERP`), and margin and profit are in the base coin:
//!   a long of `n` contracts from `p0` to `p1` earns `n·m·(1/p0 − 1/p1)`.

use crate::decimal::Decimal;
use crate::instrument::Asset;
use crate::time::UnixNanos;

/// How an instrument's quantity and profit are counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContractKind {
    /// Exchange of the assets themselves.
    Spot,
    /// A derivative whose value is linear in price, settled in the quote.
    Linear,
    /// A derivative of fixed quote value per contract, settled in the base.
    Inverse,
}

impl ContractKind {
    /// Lower-case name, as catalogue files write it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Spot => "spot",
            Self::Linear => "linear",
            Self::Inverse => "inverse",
        }
    }
}

/// The contract terms of an instrument.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Contract {
    /// Spot, linear or inverse.
    pub kind: ContractKind,
    /// Spot: 1. Linear: base units per unit of quantity (0.01 BTC for OKX
    /// `BTC-USDT-SWAP`, 1 on Binance USDⓈ-M, whose sizes are in BTC).
    /// Inverse: quote value of one contract (100 USD for `BTCUSD_PERP`).
    pub multiplier: Decimal,
    /// The asset margin, fees on contracts and profit are counted in: the
    /// quote for spot and linear, the base coin for inverse.
    pub settle: Asset,
    /// When a dated future delivers; `None` for spot and perpetuals.
    pub expiry: Option<UnixNanos>,
}

impl Contract {
    /// Spot terms: quantity is the base asset, settled in `quote`.
    pub fn spot(quote: Asset) -> Self {
        Self {
            kind: ContractKind::Spot,
            multiplier: Decimal::from(1),
            settle: quote,
            expiry: None,
        }
    }

    /// The value of `qty` (a decimal quantity, in the instrument's units) at
    /// `price`, in the quote asset: price × qty × multiplier, or for inverse
    /// contracts qty × multiplier whatever the price.
    pub fn quote_value(&self, price: Decimal, qty: Decimal) -> Option<Decimal> {
        match self.kind {
            ContractKind::Spot | ContractKind::Linear => {
                price.checked_mul(qty)?.checked_mul(self.multiplier)
            }
            ContractKind::Inverse => qty.checked_mul(self.multiplier),
        }
    }

    /// The value of `qty` at `price` in the settlement asset: the quote value
    /// for spot and linear, quote value ÷ price (coins) for inverse.
    pub fn settle_value(&self, price: Decimal, qty: Decimal) -> Option<Decimal> {
        let quote = self.quote_value(price, qty)?;
        match self.kind {
            ContractKind::Spot | ContractKind::Linear => Some(quote),
            ContractKind::Inverse => quote.checked_div(price),
        }
    }

    /// Profit, in the settlement asset, of holding `qty` (signed: negative
    /// is short) from `entry` to `exit`. Linear: (exit − entry)·qty·m.
    /// Inverse: qty·m·(1/entry − 1/exit), rounded at 18 decimals.
    pub fn pnl(&self, entry: Decimal, exit: Decimal, qty: Decimal) -> Option<Decimal> {
        match self.kind {
            ContractKind::Spot | ContractKind::Linear => exit
                .checked_sub(entry)?
                .checked_mul(qty)?
                .checked_mul(self.multiplier),
            ContractKind::Inverse => {
                let notional = qty.checked_mul(self.multiplier)?;
                // n·m·(exit − entry)/(entry·exit): one division, one rounding.
                notional
                    .checked_mul(exit.checked_sub(entry)?)?
                    .checked_div(entry.checked_mul(exit)?)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn inverse(multiplier: &str, coin: &str) -> Contract {
        Contract {
            kind: ContractKind::Inverse,
            multiplier: d(multiplier),
            settle: coin.parse().unwrap(),
            expiry: None,
        }
    }

    /// Worked by hand: 10 BTCUSD_PERP contracts (100 USD each) long from
    /// 50 000 to 60 000 earn 1000·(1/50000 − 1/60000) = 0.02 − 0.0166… =
    /// 0.003333… BTC; the same short loses it. A short from 60 000 to
    /// 50 000 earns 1000·(1/50000 − 1/60000) too (in coins).
    #[test]
    fn inverse_pnl_is_in_coins_and_worked_cases_agree() {
        let c = inverse("100", "BTC");
        assert_eq!(
            c.pnl(d("50000"), d("60000"), d("10")).unwrap().to_string(),
            "0.003333333333333333"
        );
        assert_eq!(
            c.pnl(d("50000"), d("60000"), d("-10")).unwrap().to_string(),
            "-0.003333333333333333"
        );
        assert_eq!(
            c.pnl(d("60000"), d("50000"), d("-10")).unwrap().to_string(),
            "0.003333333333333333"
        );
        // 1 contract from 40 000 to 50 000: 100·10000/(2·10^9) = 0.0005 BTC,
        // exactly.
        assert_eq!(c.pnl(d("40000"), d("50000"), d("1")).unwrap(), d("0.0005"));
        // Value: 5 contracts are 500 USD at any price, 0.01 BTC at 50 000.
        assert_eq!(c.quote_value(d("50000"), d("5")).unwrap(), d("500"));
        assert_eq!(c.settle_value(d("50000"), d("5")).unwrap(), d("0.01"));
    }

    #[test]
    fn linear_and_spot_pnl_are_in_the_quote() {
        let okx_swap = Contract {
            kind: ContractKind::Linear,
            multiplier: d("0.01"),
            settle: "USDT".parse().unwrap(),
            expiry: None,
        };
        // 3 contracts of 0.01 BTC, 60 000 → 60 100: 0.03 × 100 = 3 USDT.
        assert_eq!(
            okx_swap.pnl(d("60000"), d("60100"), d("3")).unwrap(),
            d("3")
        );
        assert_eq!(okx_swap.quote_value(d("60000"), d("3")).unwrap(), d("1800"));
        let spot = Contract::spot("USDT".parse().unwrap());
        assert_eq!(spot.pnl(d("2.5"), d("2"), d("-4")).unwrap(), d("2"));
        assert_eq!(spot.settle_value(d("2"), d("4")).unwrap(), d("8"));
    }
}
