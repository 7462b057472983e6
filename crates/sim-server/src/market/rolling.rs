//! A rolling window of trades in one-second buckets, as Binance's tickers
//! use: running sums and monotonic deques of the extremes, so a trade costs
//! O(1) amortised and reading the window costs O(1) too.

use std::collections::VecDeque;

/// One second of trades.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Second {
    s: u64,
    open: i64,
    high: i64,
    low: i64,
    close: i64,
    volume: u64,
    quote: u128,
    count: u64,
    first_id: u64,
    last_id: u64,
}

impl Second {
    /// The second, since the epoch.
    pub fn s(&self) -> u64 {
        self.s
    }
}

/// What a window holds, as a ticker shows it. Prices are ticks, volumes
/// lots, quote volumes ticks × lots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowStats {
    /// The first price in the window.
    pub open: i64,
    /// The highest.
    pub high: i64,
    /// The lowest.
    pub low: i64,
    /// The last.
    pub last: i64,
    /// The last price before the window, if any trade came before it.
    pub prev_close: Option<i64>,
    /// Base traded.
    pub volume: u64,
    /// Quote traded.
    pub quote: u128,
    /// Trades.
    pub count: u64,
    /// Trade ids of the first and last trades, if any.
    pub ids: Option<(u64, u64)>,
}

/// The trades of the last `len_s` seconds: the window ending at second
/// `now` holds seconds `now - len_s + 1 ..= now`.
#[derive(Clone, Debug)]
pub struct RollingWindow {
    len_s: u64,
    seconds: VecDeque<Second>,
    /// Candidates for the high: seconds with a high no later second beats.
    highs: VecDeque<(u64, i64)>,
    lows: VecDeque<(u64, i64)>,
    volume: u64,
    quote: u128,
    count: u64,
    /// The close of the newest second that left the window.
    prev_close: Option<i64>,
}

impl RollingWindow {
    /// An empty window of `len_s` seconds (at least one).
    pub fn new(len_s: u64) -> Self {
        Self {
            len_s: len_s.max(1),
            seconds: VecDeque::new(),
            highs: VecDeque::new(),
            lows: VecDeque::new(),
            volume: 0,
            quote: 0,
            count: 0,
            prev_close: None,
        }
    }

    /// Takes a trade at second `s` (the recording's order: a trade stamped
    /// before the newest second joins that second).
    pub fn on_trade(&mut self, s: u64, price: i64, lots: u64, id: u64) {
        self.expire(s);
        let (at, quote) = add_trade(&mut self.seconds, s, price, lots, id);
        push_extreme(&mut self.highs, at, price, |new, old| new >= old);
        push_extreme(&mut self.lows, at, price, |new, old| new <= old);
        self.volume = self.volume.saturating_add(lots);
        self.quote = self.quote.saturating_add(quote);
        self.count += 1;
    }

    /// Drops the seconds the window ending at `now` no longer holds.
    pub fn expire(&mut self, now: u64) {
        let first_kept = now.saturating_sub(self.len_s - 1);
        while let Some(old) = self.seconds.front().copied().filter(|o| o.s < first_kept) {
            self.seconds.pop_front();
            self.volume = self.volume.saturating_sub(old.volume);
            self.quote = self.quote.saturating_sub(old.quote);
            self.count = self.count.saturating_sub(old.count);
            self.prev_close = Some(old.close);
        }
        while self.highs.front().is_some_and(|&(s, _)| s < first_kept) {
            self.highs.pop_front();
        }
        while self.lows.front().is_some_and(|&(s, _)| s < first_kept) {
            self.lows.pop_front();
        }
    }

    /// The window as it stands (call [`Self::expire`] with the clock's
    /// second first); `None` when no trade is in it.
    pub fn stats(&self) -> Option<WindowStats> {
        let (first, last) = (self.seconds.front()?, self.seconds.back()?);
        Some(WindowStats {
            open: first.open,
            high: self.highs.front().map_or(first.open, |&(_, p)| p),
            low: self.lows.front().map_or(first.open, |&(_, p)| p),
            last: last.close,
            prev_close: self.prev_close,
            volume: self.volume,
            quote: self.quote,
            count: self.count,
            ids: Some((first.first_id, last.last_id)),
        })
    }

    /// The close of the last second that left the window: what a ticker
    /// shows when none is in it.
    pub fn prev_close(&self) -> Option<i64> {
        self.prev_close
    }
}

/// Adds a trade to `seconds` (the recording's order: a trade stamped
/// before the newest second joins that second); the second it joined and
/// its quote amount.
pub fn add_trade(
    seconds: &mut VecDeque<Second>,
    s: u64,
    price: i64,
    lots: u64,
    id: u64,
) -> (u64, u128) {
    let quote = u128::from(price.unsigned_abs()) * u128::from(lots);
    match seconds.back_mut() {
        Some(last) if last.s >= s => {
            last.close = price;
            last.high = last.high.max(price);
            last.low = last.low.min(price);
            last.volume = last.volume.saturating_add(lots);
            last.quote = last.quote.saturating_add(quote);
            last.count += 1;
            last.last_id = id;
            (last.s, quote)
        }
        _ => {
            seconds.push_back(Second {
                s,
                open: price,
                high: price,
                low: price,
                close: price,
                volume: lots,
                quote,
                count: 1,
                first_id: id,
                last_id: id,
            });
            (s, quote)
        }
    }
}

/// The statistics of seconds `first_s ..= last_s` of `seconds` (oldest
/// first), by a scan: for windows no [`RollingWindow`] keeps.
pub fn scan(seconds: &VecDeque<Second>, first_s: u64, last_s: u64) -> Option<WindowStats> {
    let from = seconds.partition_point(|b| b.s < first_s);
    let mut held = seconds.range(from..).take_while(|b| b.s <= last_s);
    let first = *held.next()?;
    let mut st = WindowStats {
        open: first.open,
        high: first.high,
        low: first.low,
        last: first.close,
        prev_close: from.checked_sub(1).map(|i| seconds[i].close),
        volume: first.volume,
        quote: first.quote,
        count: first.count,
        ids: Some((first.first_id, first.last_id)),
    };
    for b in held {
        st.high = st.high.max(b.high);
        st.low = st.low.min(b.low);
        st.last = b.close;
        st.volume = st.volume.saturating_add(b.volume);
        st.quote = st.quote.saturating_add(b.quote);
        st.count += b.count;
        st.ids = st.ids.map(|(f, _)| (f, b.last_id));
    }
    Some(st)
}

/// Adds `price` at second `s` to a monotonic deque of extremes, `beats`
/// saying when a new price makes an older candidate useless.
fn push_extreme(
    deque: &mut VecDeque<(u64, i64)>,
    s: u64,
    price: i64,
    beats: impl Fn(i64, i64) -> bool,
) {
    while deque.back().is_some_and(|&(_, old)| beats(price, old)) {
        deque.pop_back();
    }
    deque.push_back((s, price));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The window recomputed from scratch over the trades it should hold.
    fn recount(
        trades: &[(u64, i64, u64)],
        len_s: u64,
        now: u64,
    ) -> Option<(i64, i64, i64, i64, u64)> {
        let first_kept = now.saturating_sub(len_s - 1);
        let held: Vec<_> = trades
            .iter()
            .filter(|t| t.0 >= first_kept && t.0 <= now)
            .collect();
        let open = held.first()?.1;
        let last = held.last()?.1;
        let high = held.iter().map(|t| t.1).max()?;
        let low = held.iter().map(|t| t.1).min()?;
        Some((open, high, low, last, held.iter().map(|t| t.2).sum()))
    }

    #[test]
    fn the_window_matches_a_recount_at_every_step() {
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let mut rand = |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        let mut trades = Vec::new();
        let mut w = RollingWindow::new(60);
        let mut history = VecDeque::new();
        let (mut s, mut now) = (1_000, 0);
        for id in 0..5_000 {
            s += rand(4);
            let price = 100 + rand(50) as i64;
            let lots = 1 + rand(9);
            trades.push((s, price, lots));
            w.on_trade(s, price, lots, id);
            add_trade(&mut history, s, price, lots, id);
            // The market clock only moves on.
            now = now.max(s + rand(3));
            w.expire(now);
            let got = w
                .stats()
                .map(|st| (st.open, st.high, st.low, st.last, st.volume));
            assert_eq!(got, recount(&trades, 60, now), "at second {now}");
            assert_eq!(
                w.stats().map(|st| (st.count, st.quote, st.ids)),
                scan(&history, now - 59, now).map(|st| (st.count, st.quote, st.ids))
            );
        }
    }

    #[test]
    fn prev_close_and_ids() {
        let mut w = RollingWindow::new(10);
        w.on_trade(100, 50, 1, 7);
        w.on_trade(100, 51, 1, 8);
        w.on_trade(105, 52, 2, 9);
        w.expire(110);
        let st = w.stats().unwrap();
        assert_eq!(
            (st.prev_close, st.ids, st.count),
            (Some(51), Some((9, 9)), 1)
        );
        w.expire(200);
        assert_eq!(w.stats(), None);
        assert_eq!(w.prev_close(), Some(52));
    }
}
