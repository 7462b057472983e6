//! The public market data a client asks for beside the book: recent and
//! aggregate trades, and rolling tickers, all from the recording's trades
//! as of the market clock. Each trade updates every window in O(1)
//! (amortised); the memory kept is bounded by the longest window Binance
//! offers (7 days of one-second buckets) and a ring of recent trades.

pub mod kline_streams;
pub mod request;
pub mod rolling;
pub mod wire;

use std::collections::VecDeque;

use kestrel_model::{Side, Trade};
use rolling::{RollingWindow, Second, WindowStats};

/// Recent trades kept for `trades`, `historicalTrades` and `aggTrades`:
/// older ones are dropped (and counted), so a long replay stays bounded.
pub const MAX_TRADES: usize = 100_000;
/// The longest rolling window Binance serves (`windowSize=7d`), s.
pub const MAX_WINDOW_S: u64 = 7 * 86_400;

/// One recorded trade as the trade endpoints give it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TradeRow {
    /// The venue's trade id.
    pub id: u64,
    /// Ticks.
    pub price: i64,
    /// Lots.
    pub lots: u64,
    /// Trade time, ms.
    pub time_ms: u64,
    /// The buyer was the maker (the taker sold).
    pub buyer_maker: bool,
}

/// Trades of one taker order at one price, as Binance aggregates them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AggRow {
    /// Aggregate id, from 0 in the replay's order.
    pub id: u64,
    /// Ticks.
    pub price: i64,
    /// Lots, summed.
    pub lots: u64,
    /// First and last trade ids.
    pub first_id: u64,
    /// Last trade id.
    pub last_id: u64,
    /// Time of its trades, ms.
    pub time_ms: u64,
    /// The buyer was the maker.
    pub buyer_maker: bool,
}

/// The rolling windows kept as trades come: what `avgPrice`, the 24-hour
/// ticker and the rolling-window ticker streams read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Window {
    /// 5 minutes: `avgPrice`.
    FiveMinutes,
    /// 1 hour: `@ticker_1h`.
    Hour,
    /// 4 hours: `@ticker_4h`.
    FourHours,
    /// 24 hours: `ticker/24hr`, `@ticker`, `@miniTicker`, `@ticker_1d`.
    Day,
}

impl Window {
    const ALL: [Self; 4] = [Self::FiveMinutes, Self::Hour, Self::FourHours, Self::Day];

    /// Its length, s.
    pub fn len_s(self) -> u64 {
        match self {
            Self::FiveMinutes => 300,
            Self::Hour => 3_600,
            Self::FourHours => 14_400,
            Self::Day => 86_400,
        }
    }
}

/// The recording's trades so far, for the public market-data endpoints.
#[derive(Debug)]
pub struct MarketData {
    trades: VecDeque<TradeRow>,
    aggs: VecDeque<AggRow>,
    /// The aggregate still open: the next trade may join it.
    open_agg: Option<AggRow>,
    next_agg: u64,
    windows: [RollingWindow; 4],
    /// Seconds of the last [`MAX_WINDOW_S`], for windows of other lengths.
    history: VecDeque<Second>,
    /// The last trade.
    last: Option<TradeRow>,
    /// Trades dropped past [`MAX_TRADES`].
    pub dropped: u64,
}

impl Default for MarketData {
    fn default() -> Self {
        Self {
            trades: VecDeque::new(),
            aggs: VecDeque::new(),
            open_agg: None,
            next_agg: 0,
            windows: Window::ALL.map(|w| RollingWindow::new(w.len_s())),
            history: VecDeque::new(),
            last: None,
            dropped: 0,
        }
    }
}

impl MarketData {
    /// Takes a recorded trade; the aggregate it closed, if any.
    pub fn on_trade(&mut self, trade: &Trade) -> Option<AggRow> {
        let row = TradeRow {
            id: trade.trade_id,
            price: trade.price.ticks(),
            lots: trade.qty.lots(),
            time_ms: trade.time.exchange.as_nanos() / 1_000_000,
            buyer_maker: trade.aggressor == Some(Side::Sell),
        };
        let s = row.time_ms / 1_000;
        for w in &mut self.windows {
            w.on_trade(s, row.price, row.lots, row.id);
        }
        rolling::add_trade(&mut self.history, s, row.price, row.lots, row.id);
        let oldest_kept = s.saturating_sub(MAX_WINDOW_S - 1);
        while self.history.front().is_some_and(|b| b.s() < oldest_kept) {
            self.history.pop_front();
        }
        if self.trades.len() == MAX_TRADES {
            self.trades.pop_front();
            self.dropped += 1;
        }
        self.trades.push_back(row);
        self.last = Some(row);
        // One taker order's fills share a time, a side and (Binance splits
        // the rest) a price, with consecutive ids.
        if let Some(agg) = self.open_agg.as_mut().filter(|a| {
            a.time_ms == row.time_ms
                && a.price == row.price
                && a.buyer_maker == row.buyer_maker
                && a.last_id.checked_add(1) == Some(row.id)
        }) {
            agg.lots = agg.lots.saturating_add(row.lots);
            agg.last_id = row.id;
            return None;
        }
        let closed = self.close_agg();
        self.open_agg = Some(AggRow {
            id: self.next_agg,
            price: row.price,
            lots: row.lots,
            first_id: row.id,
            last_id: row.id,
            time_ms: row.time_ms,
            buyer_maker: row.buyer_maker,
        });
        self.next_agg += 1;
        closed
    }

    /// The market clock moved to `now_ms`: the windows drop what left
    /// them, and an aggregate older than now is closed (no later trade can
    /// join it); it is returned.
    pub fn advance(&mut self, now_ms: u64) -> Option<AggRow> {
        for w in &mut self.windows {
            w.expire(now_ms / 1_000);
        }
        if self.open_agg.is_some_and(|a| a.time_ms < now_ms) {
            return self.close_agg();
        }
        None
    }

    fn close_agg(&mut self) -> Option<AggRow> {
        let closed = self.open_agg.take()?;
        if self.aggs.len() == MAX_TRADES {
            self.aggs.pop_front();
        }
        self.aggs.push_back(closed);
        Some(closed)
    }

    /// The last trade.
    pub fn last(&self) -> Option<TradeRow> {
        self.last
    }

    /// A kept window's statistics (after [`Self::advance`] to the clock).
    pub fn window(&self, w: Window) -> Option<WindowStats> {
        self.windows[w as usize].stats()
    }

    /// The close before a kept window, when none of its trades are left.
    pub fn before(&self, w: Window) -> Option<i64> {
        self.windows[w as usize].prev_close()
    }

    /// The statistics of the `len_s` seconds ending at `now_s` (at most
    /// [`MAX_WINDOW_S`]), by a scan of the seconds kept.
    pub fn window_of(&self, len_s: u64, now_s: u64) -> Option<WindowStats> {
        let len_s = len_s.clamp(1, MAX_WINDOW_S);
        rolling::scan(&self.history, now_s.saturating_sub(len_s - 1), now_s)
    }

    /// The newest `limit` trades, oldest first, or `limit` from trade id
    /// `from_id` on.
    pub fn trades(&self, from_id: Option<u64>, limit: usize) -> Vec<TradeRow> {
        match from_id {
            Some(id) => {
                let at = self.trades.partition_point(|t| t.id < id);
                self.trades.range(at..).take(limit).copied().collect()
            }
            None => {
                let at = self.trades.len().saturating_sub(limit);
                self.trades.range(at..).copied().collect()
            }
        }
    }

    /// Closed aggregates: `limit` from aggregate id `from_id` on, or of
    /// trades in `start_ms ..= end_ms`, or else the newest `limit`; oldest
    /// first.
    pub fn aggs(&self, query: AggQuery) -> Vec<AggRow> {
        let AggQuery {
            from_id,
            window,
            limit,
        } = query;
        match (from_id, window) {
            (Some(id), _) => {
                let at = self.aggs.partition_point(|a| a.id < id);
                self.aggs.range(at..).take(limit).copied().collect()
            }
            (None, Some((start, end))) => {
                let at = self.aggs.partition_point(|a| a.time_ms < start);
                self.aggs
                    .range(at..)
                    .take_while(|a| a.time_ms <= end)
                    .take(limit)
                    .copied()
                    .collect()
            }
            (None, None) => {
                let at = self.aggs.len().saturating_sub(limit);
                self.aggs.range(at..).copied().collect()
            }
        }
    }
}

/// Which aggregates `aggTrades` asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AggQuery {
    /// From this aggregate id on.
    pub from_id: Option<u64>,
    /// Trades in this time range, ms (inclusive).
    pub window: Option<(u64, u64)>,
    /// At most.
    pub limit: usize,
}

#[cfg(test)]
mod tests {
    use super::*;
    use kestrel_model::{EventTime, Price, Qty, UnixNanos};

    fn trade(id: u64, ms: u64, price: i64, sell: bool) -> Trade {
        let at = UnixNanos::from_millis(ms);
        Trade {
            instrument: kestrel_registry::testing::spot_btcusdt().id,
            trade_id: id,
            price: Price::from_ticks(price),
            qty: Qty::from_lots(2),
            aggressor: Some(if sell { Side::Sell } else { Side::Buy }),
            time: EventTime {
                exchange: at,
                local: at,
            },
        }
    }

    #[test]
    fn fills_of_one_taker_at_one_price_are_one_aggregate() {
        let mut m = MarketData::default();
        assert_eq!(m.on_trade(&trade(10, 1_000, 100, false)), None);
        assert_eq!(m.on_trade(&trade(11, 1_000, 100, false)), None);
        // Another price: the first aggregate closes with both trades.
        let a = m.on_trade(&trade(12, 1_000, 101, false)).unwrap();
        assert_eq!((a.id, a.lots, a.first_id, a.last_id), (0, 4, 10, 11));
        // A later clock closes the open one.
        assert_eq!(m.advance(1_000), None);
        let b = m.advance(1_001).unwrap();
        assert_eq!((b.id, b.first_id), (1, 12));
        let all = m.aggs(AggQuery {
            from_id: None,
            window: None,
            limit: 500,
        });
        assert_eq!(all.len(), 2);
        let from_one = m.aggs(AggQuery {
            from_id: Some(1),
            window: None,
            limit: 500,
        });
        assert_eq!(from_one, [b]);
        assert_eq!(m.trades(Some(11), 1).first().map(|t| t.id), Some(11));
        assert_eq!(
            m.trades(None, 2).iter().map(|t| t.id).collect::<Vec<_>>(),
            [11, 12]
        );
    }
}
