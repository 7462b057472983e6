//! Trade-driven inputs: the seeded synthetic ETHUSDT tape of the
//! `ema_cross` comparison, the strategy as configured there, and a bank of
//! ten streaming indicators.
#![allow(clippy::expect_used)] // fixed, valid settings: a failure is a bug here

use kestrel_indicators::{
    Adx, Atr, Bar, Bollinger, Cci, Ema, EmaSeed, Macd, Rsi, Sma, Stoch, WillR,
};
use std::fmt::Write as _;

use kestrel_model::{BarSpec, Instrument, Qty, Side, Trade};
use kestrel_registry::testing::usdm_btcusdt;
use kestrel_sim::{SyntheticSpec, SyntheticTrades};
use kestrel_strategy::{EmaCross, EmaCrossConfig};

/// `n` trades of the tape `kestrel data synth-trades` writes (seed 7), on
/// an instrument with ETHUSDT's grid (0.01 tick, 0.001 lot).
pub fn synthetic_eth(n: usize) -> (Instrument, Vec<Trade>) {
    let mut instrument = usdm_btcusdt();
    instrument.tick = "0.01".parse().expect("a tick");
    instrument.lot = "0.001".parse().expect("a lot");
    let spec = SyntheticSpec::ethusdt(7);
    let trades = SyntheticTrades::new(instrument.id, spec).take(n).collect();
    (instrument, trades)
}

/// `ema_cross(10, 20)` on 1-minute bars, NautilusTrader's seeding, 0.01
/// ETH a trade.
pub fn ema_cross() -> EmaCross {
    EmaCross::new(EmaCrossConfig {
        bar: BarSpec::MINUTE,
        fast: 10,
        slow: 20,
        seed: EmaSeed::First,
        qty: Qty::from_lots(10),
    })
    .expect("periods in range")
}

/// Ten streaming indicators: SMA, EMA, RSI, MACD, Bollinger, ATR, ADX,
/// stochastic, CCI and Williams %R.
pub struct TenIndicators {
    sma: Sma,
    ema: Ema,
    rsi: Rsi,
    macd: Macd,
    bands: Bollinger,
    atr: Atr,
    adx: Adx,
    stoch: Stoch,
    cci: Cci,
    willr: WillR,
}

impl Default for TenIndicators {
    fn default() -> Self {
        Self {
            sma: Sma::new(20).expect("period"),
            ema: Ema::new(10, EmaSeed::Sma).expect("period"),
            rsi: Rsi::new(14).expect("period"),
            macd: Macd::new(12, 26, 9).expect("period"),
            bands: Bollinger::new(20, 2.0, 2.0).expect("period"),
            atr: Atr::new(14).expect("period"),
            adx: Adx::new(14).expect("period"),
            stoch: Stoch::new(5, 3, 3).expect("period"),
            cci: Cci::new(14).expect("period"),
            willr: WillR::new(14).expect("period"),
        }
    }
}

impl TenIndicators {
    /// Feeds one bar to all ten; a sum of what they gave, so none of the
    /// work can be left out.
    pub fn update(&mut self, bar: &Bar) -> f64 {
        let c = bar.close;
        let mut sum = 0.0;
        let mut add = |v: Option<f64>| sum += v.unwrap_or(0.0);
        add(self.sma.update(c).ok().flatten());
        add(self.ema.update(c).ok().flatten());
        add(self.rsi.update(c).ok().flatten());
        add(self.macd.update(c).ok().flatten().map(|m| m.histogram));
        add(self.bands.update(c).ok().flatten().map(|b| b.upper));
        add(self.atr.update(bar).ok().flatten());
        add(self.adx.update(bar).ok().flatten());
        add(self.stoch.update(bar).ok().flatten().map(|s| s.d));
        add(self.cci.update(bar).ok().flatten());
        add(self.willr.update(bar).ok().flatten());
        sum
    }
}

/// The trades as Binance writes them (futures `trades` layout).
pub fn binance_csv(instrument: &Instrument, trades: &[Trade]) -> Vec<u8> {
    let mut text = String::from("id,price,qty,quote_qty,time,is_buyer_maker\n");
    for t in trades {
        let _ = writeln!(
            text,
            "{},{},{},0,{},{}",
            t.trade_id,
            t.price.display(&instrument.tick),
            t.qty.display(&instrument.lot),
            t.time.exchange.as_nanos() / 1_000_000,
            t.aggressor == Some(Side::Sell)
        );
    }
    text.into_bytes()
}
