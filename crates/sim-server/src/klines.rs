//! Klines of the recording's trades as of the market clock, as Binance
//! serves them: one-second buckets are kept, and any of Binance's
//! intervals is built from them on request, spans without a trade carried
//! at the last close with no volume, the newest kline still open.

use std::collections::VecDeque;

use kestrel_model::{Side, Trade};

/// Binance's kline intervals and their length, s (`1M` has no fixed
/// length and is refused).
pub const INTERVALS: [(&str, u64); 15] = [
    ("1s", 1),
    ("1m", 60),
    ("3m", 180),
    ("5m", 300),
    ("15m", 900),
    ("30m", 1_800),
    ("1h", 3_600),
    ("2h", 7_200),
    ("4h", 14_400),
    ("6h", 21_600),
    ("8h", 28_800),
    ("12h", 43_200),
    ("1d", 86_400),
    ("3d", 259_200),
    ("1w", 604_800),
];

/// The most seconds of history kept (11.5 days of trading): older ones are
/// dropped and counted, so a long replay cannot grow without bound.
const MAX_SECONDS: usize = 1_000_000;

/// An interval's length, s; `None` for one Binance does not have.
pub fn interval_secs(name: &str) -> Option<u64> {
    INTERVALS.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
}

/// One bucket of trades: a second, or a kline built from seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kline {
    /// Open time, s since the epoch.
    pub open_s: u64,
    /// Length, s.
    pub len_s: u64,
    /// Prices, ticks.
    pub open: i64,
    /// Highest.
    pub high: i64,
    /// Lowest.
    pub low: i64,
    /// Last.
    pub close: i64,
    /// Base traded, lots.
    pub volume: u64,
    /// Quote traded, ticks × lots.
    pub quote: u128,
    /// Trades in it.
    pub trades: u64,
    /// Base bought by takers, lots.
    pub taker_buy: u64,
    /// Quote paid by takers buying, ticks × lots.
    pub taker_buy_quote: u128,
}

impl Kline {
    /// A kline of no trades, carried at `price`.
    pub(crate) fn empty(open_s: u64, len_s: u64, price: i64) -> Self {
        Self {
            open_s,
            len_s,
            open: price,
            high: price,
            low: price,
            close: price,
            volume: 0,
            quote: 0,
            trades: 0,
            taker_buy: 0,
            taker_buy_quote: 0,
        }
    }

    /// One trade, as a one-second bucket.
    pub(crate) fn of_trade(trade: &Trade) -> Self {
        let s = trade.time.exchange.as_nanos() / 1_000_000_000;
        let (price, lots) = (trade.price.ticks(), trade.qty.lots());
        let quote = u128::from(price.unsigned_abs()) * u128::from(lots);
        let buy = trade.aggressor == Some(Side::Buy);
        Self {
            open_s: s,
            len_s: 1,
            open: price,
            high: price,
            low: price,
            close: price,
            volume: lots,
            quote,
            trades: 1,
            taker_buy: if buy { lots } else { 0 },
            taker_buy_quote: if buy { quote } else { 0 },
        }
    }

    /// Folds a later bucket (a second, or a trade as one) into this one.
    pub(crate) fn absorb(&mut self, later: &Self) {
        if self.trades == 0 {
            (self.open, self.high, self.low) = (later.open, later.high, later.low);
        } else {
            self.high = self.high.max(later.high);
            self.low = self.low.min(later.low);
        }
        if later.trades > 0 {
            self.close = later.close;
        }
        self.volume = self.volume.saturating_add(later.volume);
        self.quote = self.quote.saturating_add(later.quote);
        self.trades += later.trades;
        self.taker_buy = self.taker_buy.saturating_add(later.taker_buy);
        self.taker_buy_quote = self.taker_buy_quote.saturating_add(later.taker_buy_quote);
    }
}

/// The recording's trades so far, by second.
#[derive(Debug, Default)]
pub struct KlineHistory {
    seconds: VecDeque<Kline>,
    /// Seconds dropped past [`MAX_SECONDS`].
    pub dropped: u64,
}

/// Where a bucket of `len_s` opens for second `s`: aligned to the epoch,
/// weeks to Monday as Binance has them.
pub(crate) fn bucket(s: u64, len_s: u64) -> u64 {
    if len_s == 604_800 {
        // 1970-01-01 was a Thursday; Binance's weeks open on Mondays.
        let monday = 4 * 86_400;
        s.saturating_sub(monday) / len_s * len_s + monday
    } else {
        s - s % len_s
    }
}

impl KlineHistory {
    /// Takes a recorded trade (the recording's order: a trade stamped
    /// before the newest second joins that second).
    pub fn on_trade(&mut self, trade: &Trade) {
        let one = Kline::of_trade(trade);
        match self.seconds.back_mut() {
            Some(last) if last.open_s >= one.open_s => last.absorb(&one),
            _ => {
                if self.seconds.len() == MAX_SECONDS {
                    self.seconds.pop_front();
                    self.dropped += 1;
                }
                self.seconds.push_back(one);
            }
        }
    }

    /// Klines of `len_s` opening in `[start_s, end_s]` (the newest `limit`
    /// when no start is given), oldest first, at most `limit`.
    pub fn query(
        &self,
        len_s: u64,
        start_s: Option<u64>,
        end_s: Option<u64>,
        limit: usize,
    ) -> Vec<Kline> {
        let Some(last) = self.seconds.back() else {
            return Vec::new();
        };
        let newest = bucket(last.open_s, len_s);
        let end = end_s.map_or(newest, |e| bucket(e, len_s).min(newest));
        let start = match start_s {
            Some(s) => bucket(s.saturating_add(len_s - 1), len_s),
            None => end.saturating_sub(len_s.saturating_mul(limit.saturating_sub(1) as u64)),
        };
        // From the second before the range, for the close a leading empty
        // kline carries.
        let from = self.seconds.partition_point(|k| k.open_s < start);
        let mut previous_close = from.checked_sub(1).map(|i| self.seconds[i].close);
        let mut out: Vec<Kline> = Vec::new();
        let mut seconds = self.seconds.range(from..).peekable();
        // Before the first trade there is nothing to show: start at it, so
        // a start at 0 costs nothing.
        let mut open = match (previous_close, seconds.peek()) {
            (Some(_), _) => start,
            (None, Some(first)) => start.max(bucket(first.open_s, len_s)),
            (None, None) => return out,
        };
        while open <= end && out.len() < limit {
            let mut k = Kline::empty(open, len_s, previous_close.unwrap_or(0));
            while let Some(s) = seconds.next_if(|s| s.open_s < open.saturating_add(len_s)) {
                k.absorb(s);
            }
            // Before the first trade there is nothing to carry.
            if k.trades > 0 || previous_close.is_some() {
                previous_close = Some(k.close);
                out.push(k);
            }
            open = open.saturating_add(len_s);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kestrel_model::{EventTime, Price, Qty, UnixNanos};

    fn trade(s: f64, price: i64, lots: u64, buy: bool) -> Trade {
        let at = UnixNanos::new((s * 1e9) as u64);
        Trade {
            instrument: kestrel_registry::testing::spot_btcusdt().id,
            trade_id: 0,
            price: Price::from_ticks(price),
            qty: Qty::from_lots(lots),
            aggressor: Some(if buy { Side::Buy } else { Side::Sell }),
            time: EventTime {
                exchange: at,
                local: at,
            },
        }
    }

    #[test]
    fn minutes_from_seconds_with_empty_ones_carried() {
        let mut h = KlineHistory::default();
        for t in [
            trade(10.0, 100, 1, true),
            trade(20.5, 105, 2, false),
            trade(59.9, 99, 1, true),
            trade(185.0, 110, 4, true),
        ] {
            h.on_trade(&t);
        }
        let k = h.query(60, Some(0), None, 10);
        assert_eq!(k.len(), 4, "three minutes, one without a trade: {k:?}");
        assert_eq!(
            (k[0].open, k[0].high, k[0].low, k[0].close),
            (100, 105, 99, 99)
        );
        assert_eq!((k[0].volume, k[0].trades, k[0].taker_buy), (4, 3, 2));
        assert_eq!(k[0].quote, 100 + 210 + 99);
        assert_eq!((k[1].open, k[1].close, k[1].volume), (99, 99, 0));
        assert_eq!(k[3].open_s, 180);
        // The newest two, without a start.
        let newest = h.query(60, None, None, 2);
        assert_eq!(
            newest.iter().map(|k| k.open_s).collect::<Vec<_>>(),
            [120, 180]
        );
        // A start inside a minute begins at the next one, as Binance does.
        assert_eq!(h.query(60, Some(30), Some(120), 10).len(), 2);
        assert_eq!(interval_secs("1M"), None);
        assert_eq!(interval_secs("4h"), Some(14_400));
    }

    #[test]
    fn a_start_long_before_the_first_trade_costs_nothing() {
        let mut h = KlineHistory::default();
        h.on_trade(&trade(1_700_000_000.0, 100, 1, true));
        h.on_trade(&trade(1_700_000_005.0, 101, 1, true));
        let k = h.query(1, Some(0), None, 10);
        assert_eq!(k.len(), 6, "from the first trade's second to the last's");
        assert_eq!(k[0].open_s, 1_700_000_000);
    }

    #[test]
    fn weeks_open_on_mondays() {
        // 2024-08-08 was a Thursday; its week opened Monday 2024-08-05.
        let thursday = 1_723_075_200;
        assert_eq!(bucket(thursday, 604_800), 1_722_816_000);
    }
}
