//! The usual way to decode a Binance depth frame, for comparison: derive
//! `serde::Deserialize` on borrowed structs and let a general JSON library
//! (serde_json, or the SIMD-accelerated sonic-rs) build them; then convert
//! the strings exactly, as our decoder does.

use kestrel_model::{Instrument, LevelUpdate, Price, Qty, Side, UpdateIds};
use serde::Deserialize;

/// `{"stream": …, "data": {…}}` with a `depthUpdate` inside.
#[derive(Deserialize)]
pub struct Envelope<'a> {
    /// The stream name.
    #[serde(borrow)]
    pub stream: &'a str,
    /// The payload.
    #[serde(borrow)]
    pub data: DepthUpdate<'a>,
}

/// A futures `depthUpdate` with borrowed strings.
#[derive(Deserialize)]
pub struct DepthUpdate<'a> {
    /// Event time, ms.
    #[serde(rename = "E")]
    pub event_ms: u64,
    /// Symbol.
    #[serde(rename = "s", borrow)]
    pub symbol: &'a str,
    /// First update id.
    #[serde(rename = "U")]
    pub first: u64,
    /// Last update id.
    #[serde(rename = "u")]
    pub last: u64,
    /// Previous event's last update id.
    #[serde(rename = "pu")]
    pub prev: Option<u64>,
    /// Bids.
    #[serde(rename = "b", borrow)]
    pub bids: Vec<[&'a str; 2]>,
    /// Asks.
    #[serde(rename = "a", borrow)]
    pub asks: Vec<[&'a str; 2]>,
}

impl DepthUpdate<'_> {
    /// Update ids as our sequencers take them.
    pub fn ids(&self) -> UpdateIds {
        UpdateIds {
            first: self.first,
            last: self.last,
            prev: self.prev,
        }
    }

    /// Converts the levels exactly into `out`; `None` on a bad decimal.
    pub fn levels_into(&self, instrument: &Instrument, out: &mut Vec<LevelUpdate>) -> Option<()> {
        out.clear();
        for (side, levels) in [(Side::Buy, &self.bids), (Side::Sell, &self.asks)] {
            for [px, sz] in levels {
                out.push(LevelUpdate {
                    price: Price::parse(px, &instrument.tick).ok()?,
                    qty: Qty::parse(sz, &instrument.lot).ok()?,
                    side,
                });
            }
        }
        Some(())
    }
}

/// Decodes with serde_json.
pub fn serde_json_depth(frame: &[u8]) -> Option<Envelope<'_>> {
    serde_json::from_slice(frame).ok()
}

/// Decodes with sonic-rs.
pub fn sonic_depth(frame: &[u8]) -> Option<Envelope<'_>> {
    sonic_rs::from_slice(frame).ok()
}

/// `{"stream": …, "data": {…}}` with a `trade` inside.
#[derive(Deserialize)]
pub struct TradeEnvelope<'a> {
    /// The stream name.
    #[serde(borrow)]
    pub stream: &'a str,
    /// The payload.
    #[serde(borrow)]
    pub data: TradeEvent<'a>,
}

/// A `trade` event with borrowed strings.
#[derive(Deserialize)]
pub struct TradeEvent<'a> {
    /// Trade time, ms.
    #[serde(rename = "T")]
    pub trade_ms: u64,
    /// Symbol.
    #[serde(rename = "s", borrow)]
    pub symbol: &'a str,
    /// Trade id.
    #[serde(rename = "t")]
    pub trade_id: u64,
    /// Price.
    #[serde(rename = "p", borrow)]
    pub price: &'a str,
    /// Quantity.
    #[serde(rename = "q", borrow)]
    pub qty: &'a str,
    /// Whether the buyer was the maker.
    #[serde(rename = "m")]
    pub buyer_is_maker: bool,
}

/// Decodes a trade frame with serde_json and converts its decimals exactly.
pub fn serde_json_trade(frame: &[u8], instrument: &Instrument) -> Option<(Price, Qty)> {
    let env: TradeEnvelope<'_> = serde_json::from_slice(frame).ok()?;
    Some((
        Price::parse(env.data.price, &instrument.tick).ok()?,
        Qty::parse(env.data.qty, &instrument.lot).ok()?,
    ))
}
