//! `[risk]`: the account's limits and each market's own, on the markets'
//! grids; amounts in the quote asset, quantities in the base asset.

use std::collections::BTreeMap;

use anyhow::bail;
use kestrel_engine::{BracketTicks, MarketSetup};
use kestrel_model::Instrument;
use kestrel_risk::{RiskLimits, TokenBucket};
use serde::Deserialize;

use super::{decimal, qty};

/// `[risk]`; amounts in the quote asset, quantities in the base asset.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RiskSection {
    /// Largest order.
    pub max_order_qty: String,
    /// Largest order notional.
    pub max_order_notional: String,
    /// Largest position either way.
    pub max_position: String,
    /// Largest total exposure.
    pub max_exposure: String,
    /// Largest distance of a limit price from mid, bps.
    pub price_band_bps: u32,
    /// Order-rate bucket size.
    pub orders_burst: u32,
    /// Order-rate refill per second.
    pub orders_per_second: f64,
    /// Oldest book orders may be based on, ms.
    pub max_book_age_ms: u64,
    /// Volatility per √s above which new orders are refused.
    pub max_volatility: Option<f64>,
    /// Largest loss on one closing fill.
    pub max_trade_loss: String,
    /// Largest loss in a day.
    pub max_daily_loss: String,
    /// Largest fall from peak equity.
    pub max_drawdown: String,
    /// Largest tick-to-ack p99, ms.
    pub max_ack_p99_ms: u64,
    /// Bracket stop-loss on every position, ticks from its average price.
    pub stop_loss_ticks: Option<i64>,
    /// Bracket take-profit on every position, ticks from its average price.
    pub take_profit_ticks: Option<i64>,
    /// Limits of one market in place of the ones above, by `venue:NATIVE`
    /// (e.g. `[risk.markets."binance_usdm:BTCUSDT"]`), for a file of
    /// several markets whose sizes differ.
    pub markets: BTreeMap<String, MarketRisk>,
}

/// `[risk.markets."venue:NATIVE"]`: one market's own limits; a key left
/// out keeps `[risk]`'s.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketRisk {
    /// Largest order, in the market's base asset or contracts.
    pub max_order_qty: Option<String>,
    /// Largest order notional.
    pub max_order_notional: Option<String>,
    /// Largest position either way.
    pub max_position: Option<String>,
    /// Largest distance of a limit price from mid, bps.
    pub price_band_bps: Option<u32>,
    /// Oldest book orders may be based on, ms.
    pub max_book_age_ms: Option<u64>,
    /// Volatility per √s above which new orders are refused.
    pub max_volatility: Option<f64>,
}

impl Default for RiskSection {
    fn default() -> Self {
        Self {
            max_order_qty: "1".into(),
            max_order_notional: "100000".into(),
            max_position: "1".into(),
            max_exposure: "100000".into(),
            price_band_bps: 50,
            orders_burst: 20,
            orders_per_second: 10.0,
            max_book_age_ms: 5_000,
            max_volatility: None,
            max_trade_loss: "1000".into(),
            max_daily_loss: "5000".into(),
            max_drawdown: "5000".into(),
            max_ack_p99_ms: 1_000,
            stop_loss_ticks: None,
            take_profit_ticks: None,
            markets: BTreeMap::new(),
        }
    }
}

impl RiskSection {
    /// The limits, on `instrument`'s grids.
    pub fn limits(&self, instrument: &Instrument) -> anyhow::Result<RiskLimits> {
        let r = self;
        let own = r
            .markets
            .iter()
            .find(|(name, _)| crate::market::is_named(instrument, name));
        let (key, m) = match own {
            Some((name, m)) => (format!("risk.markets.{name:?}"), m.clone()),
            None => ("risk".to_owned(), MarketRisk::default()),
        };
        let text = |own: &Option<String>, all: &str| own.clone().unwrap_or_else(|| all.to_owned());
        Ok(RiskLimits {
            max_order_qty: qty(
                &text(&m.max_order_qty, &r.max_order_qty),
                instrument,
                &format!("{key}.max_order_qty"),
            )?,
            max_order_notional: decimal(
                &text(&m.max_order_notional, &r.max_order_notional),
                &format!("{key}.max_order_notional"),
            )?,
            max_position: qty(
                &text(&m.max_position, &r.max_position),
                instrument,
                &format!("{key}.max_position"),
            )?,
            max_exposure: decimal(&r.max_exposure, "risk.max_exposure")?,
            price_band_bps: m.price_band_bps.unwrap_or(r.price_band_bps),
            orders: TokenBucket::new(r.orders_burst, r.orders_per_second),
            max_book_age_ns: m.max_book_age_ms.unwrap_or(r.max_book_age_ms) * 1_000_000,
            max_volatility: m.max_volatility.or(r.max_volatility),
            max_trade_loss: decimal(&r.max_trade_loss, "risk.max_trade_loss")?,
            max_daily_loss: decimal(&r.max_daily_loss, "risk.max_daily_loss")?,
            max_drawdown: decimal(&r.max_drawdown, "risk.max_drawdown")?,
            max_ack_p99_ns: r.max_ack_p99_ms * 1_000_000,
        })
    }

    /// Each of `instruments` with its limits, for a kernel of several
    /// markets; every `[risk.markets]` entry must name one of them.
    pub fn market_setups(&self, instruments: &[Instrument]) -> anyhow::Result<Vec<MarketSetup>> {
        self.check_markets(instruments)?;
        instruments
            .iter()
            .map(|i| {
                Ok(MarketSetup {
                    instrument: i.clone(),
                    limits: self.limits(i)?,
                    prices: kestrel_engine::PriceSource::Book,
                })
            })
            .collect()
    }

    /// Checks that every `[risk.markets]` entry names one of `instruments`:
    /// a misspelt market must not leave the defaults silently in force.
    fn check_markets(&self, instruments: &[Instrument]) -> anyhow::Result<()> {
        for name in self.markets.keys() {
            if !instruments.iter().any(|i| crate::market::is_named(i, name)) {
                bail!(
                    "risk.markets.{name:?} is none of the markets ({})",
                    crate::market::names(instruments)
                );
            }
        }
        Ok(())
    }

    /// The bracket attached to every position.
    pub fn bracket(&self) -> BracketTicks {
        BracketTicks {
            stop_loss: self.stop_loss_ticks,
            take_profit: self.take_profit_ticks,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use kestrel_registry::testing::{spot_btcusdt, usdm_btcusdt};

    use kestrel_model::Qty;

    use super::*;

    #[test]
    fn a_market_of_its_own_overrides_the_limits_it_names() {
        let risk: RiskSection = toml::from_str(
            "max_position = \"0.05\"\n\
             price_band_bps = 50\n\
             [markets.\"binance_usdm:BTCUSDT\"]\n\
             max_position = \"0.5\"\n\
             price_band_bps = 20\n",
        )
        .unwrap();
        let (spot, usdm) = (spot_btcusdt(), usdm_btcusdt());
        let on_usdm = risk.limits(&usdm).unwrap();
        assert_eq!(on_usdm.max_position, Qty::from_lots(500));
        assert_eq!(on_usdm.price_band_bps, 20);
        let on_spot = risk.limits(&spot).unwrap();
        assert_eq!(on_spot.price_band_bps, 50);
        assert_eq!(
            on_spot.max_position.lots(),
            5_000_000,
            "0.05 BTC on spot's grid"
        );
        risk.check_markets(&[spot.clone(), usdm]).unwrap();
        let e = risk.check_markets(&[spot]).unwrap_err().to_string();
        assert!(e.contains("none of the markets"), "{e}");
    }
}
