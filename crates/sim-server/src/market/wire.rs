//! The public market data as Binance's JSON: the REST answers and the
//! stream events, decimals as strings, times in ms.

use kestrel_model::{Instrument, Level, Price, Qty};
use serde_json::{Value, json};

use super::rolling::WindowStats;
use super::{AggRow, TradeRow};
use crate::wire::quote_text;

fn px(ticks: i64, i: &Instrument) -> String {
    Price::from_ticks(ticks).display(&i.tick).to_string()
}

fn qty(lots: u64, i: &Instrument) -> String {
    Qty::from_lots(lots).display(&i.lot).to_string()
}

/// A window's figures as a ticker shows them: an empty window shows the
/// last price before it, unchanged, with no trades (ids −1, as Binance).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TickerFigures {
    /// What the window holds, if any trade.
    pub stats: Option<WindowStats>,
    /// The last price before now, for an empty window.
    pub last_before: Option<i64>,
    /// When the window opens and closes, ms.
    pub open_ms: u64,
    /// Closes.
    pub close_ms: u64,
}

impl TickerFigures {
    fn prices(&self) -> (i64, i64, i64, i64) {
        match self.stats {
            Some(s) => (s.open, s.high, s.low, s.last),
            None => {
                let p = self.last_before.unwrap_or(0);
                (p, p, p, p)
            }
        }
    }

    /// The last price before the window: none when the recording began
    /// inside it (shown as 0, as Binance shows a new symbol's).
    fn prev_close(&self) -> Option<i64> {
        match self.stats {
            Some(s) => s.prev_close,
            None => self.last_before,
        }
    }

    /// The fields every ticker shares, by Binance's long names.
    fn common(&self, i: &Instrument) -> serde_json::Map<String, Value> {
        let (open, high, low, last) = self.prices();
        let s = self.stats;
        let (first, last_id) = s
            .and_then(|s| s.ids)
            .map_or((-1, -1), |(f, l)| (f as i64, l as i64));
        let mut m = serde_json::Map::new();
        m.insert("symbol".into(), json!(i.native_symbol.as_str()));
        m.insert("openPrice".into(), json!(px(open, i)));
        m.insert("highPrice".into(), json!(px(high, i)));
        m.insert("lowPrice".into(), json!(px(low, i)));
        m.insert("lastPrice".into(), json!(px(last, i)));
        m.insert("volume".into(), json!(qty(s.map_or(0, |s| s.volume), i)));
        m.insert(
            "quoteVolume".into(),
            json!(quote_text(s.map_or(0, |s| s.quote), i)),
        );
        m.insert("openTime".into(), json!(self.open_ms));
        m.insert("closeTime".into(), json!(self.close_ms));
        m.insert("firstId".into(), json!(first));
        m.insert("lastId".into(), json!(last_id));
        m.insert("count".into(), json!(s.map_or(0, |s| s.count)));
        m
    }

    /// Change, change %, weighted average (with Binance's names).
    fn changes(&self, i: &Instrument) -> [(&'static str, String); 3] {
        let (open, _, _, last) = self.prices();
        let percent = if open == 0 {
            0.0
        } else {
            (last - open) as f64 / open as f64 * 100.0
        };
        [
            ("priceChange", px(last - open, i)),
            ("priceChangePercent", format!("{percent:.3}")),
            (
                "weightedAvgPrice",
                weighted(self.stats, i).unwrap_or_else(|| px(0, i)),
            ),
        ]
    }
}

/// The best bid and ask, if the book has them.
pub type Top = (Option<Level>, Option<Level>);

fn level_fields(top: Top, i: &Instrument) -> [(&'static str, String); 4] {
    let (bid, ask) = top;
    let p = |l: Option<Level>| l.map_or(0, |l| l.price.ticks());
    let q = |l: Option<Level>| l.map_or(0, |l| l.qty.lots());
    [
        ("bidPrice", px(p(bid), i)),
        ("bidQty", qty(q(bid), i)),
        ("askPrice", px(p(ask), i)),
        ("askQty", qty(q(ask), i)),
    ]
}

/// `GET /api/v3/ticker/24hr`, `type=FULL` (or `MINI`).
pub fn ticker_24hr(
    f: &TickerFigures,
    last: Option<TradeRow>,
    top: Top,
    full: bool,
    i: &Instrument,
) -> Value {
    let mut m = f.common(i);
    if full {
        for (k, v) in f.changes(i) {
            m.insert(k.into(), json!(v));
        }
        m.insert(
            "prevClosePrice".into(),
            json!(px(f.prev_close().unwrap_or(0), i)),
        );
        m.insert("lastQty".into(), json!(qty(last.map_or(0, |t| t.lots), i)));
        for (k, v) in level_fields(top, i) {
            m.insert(k.into(), json!(v));
        }
    }
    Value::Object(m)
}

/// `GET /api/v3/ticker`: a rolling window of the asked size.
pub fn rolling_ticker(f: &TickerFigures, full: bool, i: &Instrument) -> Value {
    let mut m = f.common(i);
    if full {
        for (k, v) in f.changes(i) {
            m.insert(k.into(), json!(v));
        }
    }
    Value::Object(m)
}

/// `GET /api/v3/ticker/price`.
pub fn price_ticker(last: Option<TradeRow>, i: &Instrument) -> Value {
    json!({ "symbol": i.native_symbol.as_str(), "price": px(last.map_or(0, |t| t.price), i) })
}

/// `GET /api/v3/ticker/bookTicker`.
pub fn book_ticker(top: Top, i: &Instrument) -> Value {
    let mut m = serde_json::Map::new();
    m.insert("symbol".into(), json!(i.native_symbol.as_str()));
    for (k, v) in level_fields(top, i) {
        m.insert(k.into(), json!(v));
    }
    Value::Object(m)
}

/// `GET /api/v3/avgPrice`: the volume-weighted price of the last five
/// minutes, or the last price if none traded in them.
pub fn avg_price(five: &TickerFigures, i: &Instrument) -> Value {
    json!({ "mins": 5, "price": avg_text(five, i), "closeTime": five.close_ms })
}

fn avg_text(five: &TickerFigures, i: &Instrument) -> String {
    weighted(five.stats, i).unwrap_or_else(|| px(five.last_before.unwrap_or(0), i))
}

/// The volume-weighted price of a window with volume, to Binance's eight
/// decimals: an average need not sit on the tick grid.
fn weighted(stats: Option<WindowStats>, i: &Instrument) -> Option<String> {
    let s = stats.filter(|s| s.volume > 0)?;
    let ticks = s.quote as f64 / s.volume as f64;
    Some(format!("{:.8}", ticks * i.tick.as_decimal().to_f64()))
}

/// `GET /api/v3/trades` and `historicalTrades`.
pub fn trades(rows: &[TradeRow], i: &Instrument) -> Value {
    Value::Array(
        rows.iter()
            .map(|t| {
                json!({
                    "id": t.id,
                    "price": px(t.price, i),
                    "qty": qty(t.lots, i),
                    "quoteQty": quote_text(u128::from(t.price.unsigned_abs()) * u128::from(t.lots), i),
                    "time": t.time_ms,
                    "isBuyerMaker": t.buyer_maker,
                    "isBestMatch": true,
                })
            })
            .collect(),
    )
}

/// `GET /api/v3/aggTrades`, by Binance's one-letter names.
pub fn aggs(rows: &[AggRow], i: &Instrument) -> Value {
    Value::Array(rows.iter().map(|a| agg_fields(a, i)).collect())
}

fn agg_fields(a: &AggRow, i: &Instrument) -> Value {
    json!({
        "a": a.id,
        "p": px(a.price, i),
        "q": qty(a.lots, i),
        "f": a.first_id,
        "l": a.last_id,
        "T": a.time_ms,
        "m": a.buyer_maker,
        "M": true,
    })
}

/// The `@aggTrade` event.
pub fn agg_event(a: &AggRow, event_ms: u64, i: &Instrument) -> Value {
    let mut v = agg_fields(a, i);
    if let Value::Object(m) = &mut v {
        m.insert("e".into(), json!("aggTrade"));
        m.insert("E".into(), json!(event_ms));
        m.insert("s".into(), json!(i.native_symbol.as_str()));
    }
    v
}

/// The `@miniTicker` event (24 hours).
pub fn mini_ticker_event(f: &TickerFigures, i: &Instrument) -> Value {
    let (open, high, low, last) = f.prices();
    json!({
        "e": "24hrMiniTicker",
        "E": f.close_ms,
        "s": i.native_symbol.as_str(),
        "c": px(last, i),
        "o": px(open, i),
        "h": px(high, i),
        "l": px(low, i),
        "v": qty(f.stats.map_or(0, |s| s.volume), i),
        "q": quote_text(f.stats.map_or(0, |s| s.quote), i),
    })
}

/// The `@ticker` event (24 hours), or `@ticker_<window>` when `window`
/// names one (`1h`, `4h`, `1d`): Binance's one-letter names.
pub fn ticker_event(
    f: &TickerFigures,
    window: Option<&str>,
    last: Option<TradeRow>,
    top: Top,
    i: &Instrument,
) -> Value {
    let (open, high, low, last_price) = f.prices();
    let [change, percent, weighted] = f.changes(i).map(|(_, v)| v);
    let s = f.stats;
    let (first, last_id) = s
        .and_then(|s| s.ids)
        .map_or((-1, -1), |(f, l)| (f as i64, l as i64));
    let mut m = serde_json::Map::new();
    let kind = window.map_or_else(|| "24hrTicker".to_owned(), |w| format!("{w}Ticker"));
    m.insert("e".into(), json!(kind));
    m.insert("E".into(), json!(f.close_ms));
    m.insert("s".into(), json!(i.native_symbol.as_str()));
    m.insert("p".into(), json!(change));
    m.insert("P".into(), json!(percent));
    m.insert("w".into(), json!(weighted));
    m.insert("o".into(), json!(px(open, i)));
    m.insert("h".into(), json!(px(high, i)));
    m.insert("l".into(), json!(px(low, i)));
    m.insert("c".into(), json!(px(last_price, i)));
    m.insert("v".into(), json!(qty(s.map_or(0, |s| s.volume), i)));
    m.insert("q".into(), json!(quote_text(s.map_or(0, |s| s.quote), i)));
    m.insert("O".into(), json!(f.open_ms));
    m.insert("C".into(), json!(f.close_ms));
    m.insert("F".into(), json!(first));
    m.insert("L".into(), json!(last_id));
    m.insert("n".into(), json!(s.map_or(0, |s| s.count)));
    if window.is_none() {
        m.insert("x".into(), json!(px(f.prev_close().unwrap_or(0), i)));
        m.insert("Q".into(), json!(qty(last.map_or(0, |t| t.lots), i)));
        let [bp, bq, ap, aq] = level_fields(top, i).map(|(_, v)| v);
        m.insert("b".into(), json!(bp));
        m.insert("B".into(), json!(bq));
        m.insert("a".into(), json!(ap));
        m.insert("A".into(), json!(aq));
    }
    Value::Object(m)
}

/// The `@avgPrice` event.
pub fn avg_price_event(five: &TickerFigures, i: &Instrument) -> Value {
    json!({
        "e": "avgPrice",
        "E": five.close_ms,
        "s": i.native_symbol.as_str(),
        "i": "5m",
        "w": avg_text(five, i),
        "T": five.close_ms,
    })
}

/// The `@kline_<interval>` event for the kline in progress.
pub fn kline_event(
    k: &crate::klines::Kline,
    interval: &str,
    closed: bool,
    ids: Option<(u64, u64)>,
    event_ms: u64,
    i: &Instrument,
) -> Value {
    let open_ms = k.open_s * 1_000;
    let (first, last) = ids.map_or((-1, -1), |(f, l)| (f as i64, l as i64));
    json!({
        "e": "kline",
        "E": event_ms,
        "s": i.native_symbol.as_str(),
        "k": {
            "t": open_ms,
            "T": open_ms + k.len_s * 1_000 - 1,
            "s": i.native_symbol.as_str(),
            "i": interval,
            "f": first,
            "L": last,
            "o": px(k.open, i),
            "c": px(k.close, i),
            "h": px(k.high, i),
            "l": px(k.low, i),
            "v": qty(k.volume, i),
            "n": k.trades,
            "x": closed,
            "q": quote_text(k.quote, i),
            "V": qty(k.taker_buy, i),
            "Q": quote_text(k.taker_buy_quote, i),
            "B": "0",
        }
    })
}
