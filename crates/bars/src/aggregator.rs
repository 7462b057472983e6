//! [`BarAggregator`]: one instrument's bars of one spec, and the time bars'
//! closing by event time.

use std::collections::VecDeque;

use kestrel_model::{Bar, BarSpec, Instrument, InstrumentId, Price, Qty, Trade, UnixNanos};

use crate::{
    BarError, BarOptions, CORRECTABLE, EmptyBars, LatePolicy, MAX_EMPTY_RUN, MAX_OPEN_BARS,
    ceil_units,
};

/// What an aggregator emits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum BarEvent {
    /// A bar closed: emitted once per bar.
    Closed(Bar),
    /// A late trade revised a bar already closed: the whole revised bar,
    /// as a new event ([`LatePolicy::Correct`]).
    Corrected(Bar),
}

/// What an aggregator has seen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BarCounters {
    /// Trades taken.
    pub trades: u64,
    /// Bars closed, empty ones included.
    pub closed: u64,
    /// Of those, spans with no trade carried at the last close.
    pub empty: u64,
    /// Spans with no trade past [`crate::MAX_EMPTY_RUN`] in one gap: not
    /// emitted (a stamp far ahead would otherwise make bars without end).
    pub empty_skipped: u64,
    /// Trades for a time bar already closed.
    pub late: u64,
    /// Of those, the ones that revised their bar in a correction.
    pub corrected: u64,
    /// Trades stamped before the one taken before them.
    pub out_of_order: u64,
    /// Trades refused for a stamp too far past the caller's clock.
    pub future: u64,
    /// Trades so large they would have split into more than
    /// [`crate::MAX_EMPTY_RUN`] bars: the rest went whole into the last.
    pub oversized: u64,
}

/// What closes a bar, in the instrument's units.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum Rule {
    /// Event time, ns.
    Time(u64),
    /// Trades.
    Ticks(u64),
    /// Lots.
    Volume(u64),
    /// Price ticks × lots.
    Notional(u128),
}

/// A bar being built.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Building {
    /// Start (time bars: the span's; else the first trade's stamp), ns.
    pub(crate) start: u64,
    /// End, exclusive, of a time bar's span; else the last trade's stamp.
    pub(crate) end: u64,
    open: Price,
    open_at: u64,
    high: Price,
    low: Price,
    close: Price,
    close_at: u64,
    /// Lots traded.
    pub(crate) volume: u64,
    /// Price ticks × lots traded.
    pub(crate) notional: u128,
    /// Trades in it.
    pub(crate) trades: u64,
}

impl Building {
    /// A bar with no trade yet, at `price`.
    pub(crate) fn empty(start: u64, end: u64, price: Price) -> Self {
        Self {
            start,
            end,
            open: price,
            open_at: start,
            high: price,
            low: price,
            close: price,
            close_at: start,
            volume: 0,
            notional: 0,
            trades: 0,
        }
    }

    /// Adds `lots` at `price`, stamped `at`: the earliest stamp opens the
    /// bar and the latest closes it, whatever order they came in.
    pub(crate) fn add(&mut self, price: Price, lots: u64, at: u64) {
        if self.trades == 0 {
            (self.open, self.high, self.low, self.close) = (price, price, price, price);
            (self.open_at, self.close_at) = (at, at);
        } else {
            if at < self.open_at {
                (self.open, self.open_at) = (price, at);
            }
            if at >= self.close_at {
                (self.close, self.close_at) = (price, at);
            }
            self.high = self.high.max(price);
            self.low = self.low.min(price);
        }
        self.volume = self.volume.saturating_add(lots);
        let ticks = u128::from(price.ticks().unsigned_abs());
        self.notional = self.notional.saturating_add(ticks * u128::from(lots));
        self.trades += 1;
    }

    fn bar(&self, instrument: InstrumentId, spec: BarSpec) -> Bar {
        Bar {
            instrument,
            spec,
            open_time: UnixNanos::new(self.start),
            close_time: UnixNanos::new(self.end),
            open: self.open,
            high: self.high,
            low: self.low,
            close: self.close,
            volume: Qty::from_lots(self.volume),
        }
    }
}

/// Builds one instrument's bars of one spec from its trades. See the crate
/// docs for the rules.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct BarAggregator {
    instrument: InstrumentId,
    spec: BarSpec,
    pub(crate) rule: Rule,
    options: BarOptions,
    /// Bars not yet closed, oldest first (time bars: at most the watermark's
    /// span; size bars: one).
    pub(crate) open: VecDeque<Building>,
    /// The last closed time bars, for corrections.
    recent: VecDeque<Building>,
    /// The latest trade stamp seen, ns.
    high_water: u64,
    /// Time bars: the end of the last closed bar, where the next begins.
    next_start: Option<u64>,
    /// The last trade's stamp, for counting those out of order.
    last_at: u64,
    pub(crate) counters: BarCounters,
}

impl BarAggregator {
    /// Bars of `spec` for `instrument`, closing as `options` say.
    pub fn new(
        instrument: &Instrument,
        spec: BarSpec,
        options: BarOptions,
    ) -> Result<Self, BarError> {
        let size = |what| BarError::Size { spec, what };
        let rule = match spec {
            BarSpec::Time(ns) => {
                let period = ns.get();
                if options.watermark_ns / period > MAX_OPEN_BARS {
                    return Err(BarError::Watermark {
                        spec,
                        watermark_ns: options.watermark_ns,
                    });
                }
                Rule::Time(period)
            }
            BarSpec::Ticks(n) => Rule::Ticks(n.get()),
            BarSpec::Volume(q) => {
                let lots = ceil_units(q, instrument.lot.as_decimal())
                    .and_then(|l| u64::try_from(l).ok())
                    .ok_or_else(|| size("out of range for the instrument's lot"))?;
                Rule::Volume(lots.max(1))
            }
            BarSpec::Notional(v) => {
                let unit = instrument
                    .tick
                    .as_decimal()
                    .checked_mul(instrument.lot.as_decimal())
                    .ok_or_else(|| size("tick × lot out of range"))?;
                let units =
                    ceil_units(v, unit).ok_or_else(|| size("out of range for tick × lot"))?;
                Rule::Notional(units.max(1))
            }
        };
        Ok(Self {
            instrument: instrument.id,
            spec,
            rule,
            options,
            open: VecDeque::new(),
            recent: VecDeque::with_capacity(CORRECTABLE),
            high_water: 0,
            next_start: None,
            last_at: 0,
            counters: BarCounters::default(),
        })
    }

    /// The spec.
    pub fn spec(&self) -> BarSpec {
        self.spec
    }

    /// The instrument.
    pub fn instrument(&self) -> InstrumentId {
        self.instrument
    }

    /// What it has seen.
    pub fn counters(&self) -> &BarCounters {
        &self.counters
    }

    /// The latest bar still in progress, if any.
    pub fn partial(&self) -> Option<Bar> {
        let b = self.open.back()?;
        Some(self.finished(b))
    }

    /// A bar as emitted: size bars end at their last trade's stamp.
    pub(crate) fn finished(&self, b: &Building) -> Bar {
        let mut bar = b.bar(self.instrument, self.spec);
        if !matches!(self.rule, Rule::Time(_)) {
            bar.close_time = UnixNanos::new(b.close_at);
        }
        bar
    }

    /// Takes a trade reaching us at `now` (the caller's clock), pushing
    /// what it closes or corrects to `out`.
    #[inline]
    pub fn on_trade(&mut self, trade: &Trade, now: UnixNanos, out: &mut Vec<BarEvent>) {
        let at = trade.time.exchange.as_nanos();
        if at > now.as_nanos().saturating_add(self.options.max_future_ns) {
            self.counters.future += 1;
            return;
        }
        self.counters.trades += 1;
        if at < self.last_at {
            self.counters.out_of_order += 1;
        } else {
            self.last_at = at;
        }
        match self.rule {
            Rule::Time(period) => self.time_trade(trade.price, trade.qty.lots(), at, period, out),
            _ => self.size_trade(trade.price, trade.qty.lots(), at, out),
        }
    }

    /// Moves event time to `at` (a trade's stamp, or any later venue
    /// stamp), closing the time bars it closes.
    pub fn advance(&mut self, at: UnixNanos, out: &mut Vec<BarEvent>) {
        let Rule::Time(period) = self.rule else {
            return;
        };
        let at = at.as_nanos();
        if at <= self.high_water {
            return;
        }
        self.high_water = at;
        let carry = self.options.empty == EmptyBars::Carry;
        let mut empty_run = 0u64;
        loop {
            // The earliest bar not closed: an open one, or (carrying) the
            // empty span after the last close.
            let gap = self
                .next_start
                .zip(self.recent.back().map(|b| b.close))
                .filter(|&(s, _)| carry && self.open.front().is_none_or(|b| b.start > s));
            let end = match (gap, self.open.front()) {
                (Some((start, _)), _) => start.checked_add(period),
                (None, Some(b)) => Some(b.end),
                (None, None) => return,
            };
            // A span ending past the end of time (stamps saturated far in
            // the future) never closes: time cannot pass it.
            let Some(end) = end.filter(|&e| {
                e.checked_add(self.options.watermark_ns)
                    .is_some_and(|closes_at| closes_at <= at)
            }) else {
                return;
            };
            let bar = match gap {
                Some((start, _)) if empty_run == MAX_EMPTY_RUN => {
                    // Too long a gap: jump to the last span it closes (or
                    // to the next open bar), counting what was passed over.
                    let horizon = at.saturating_sub(self.options.watermark_ns);
                    let last = horizon - horizon % period;
                    let to = self
                        .open
                        .front()
                        .map_or(last, |b| b.start.min(last))
                        .max(start);
                    self.counters.empty_skipped += (to - start) / period;
                    self.next_start = Some(to);
                    empty_run = 0;
                    continue;
                }
                Some((start, price)) => {
                    self.counters.empty += 1;
                    empty_run += 1;
                    Building::empty(start, end, price)
                }
                None => match self.open.pop_front() {
                    Some(b) => b,
                    None => return,
                },
            };
            self.close(bar, out);
        }
    }

    fn close(&mut self, bar: Building, out: &mut Vec<BarEvent>) {
        self.counters.closed += 1;
        self.next_start = Some(bar.end);
        out.push(BarEvent::Closed(self.finished(&bar)));
        if self.recent.len() == CORRECTABLE {
            self.recent.pop_front();
        }
        self.recent.push_back(bar);
    }

    #[inline]
    fn time_trade(
        &mut self,
        price: Price,
        lots: u64,
        at: u64,
        period: u64,
        out: &mut Vec<BarEvent>,
    ) {
        // Most trades fall in the one bar open, with no empty span before
        // it: nothing can close, and no division is needed.
        if self.open.len() == 1 {
            let no_gap = self.next_start;
            if let Some(bar) = self.open.front_mut()
                && at >= bar.start
                && at < bar.end
                && no_gap.is_none_or(|next| next >= bar.start)
            {
                bar.add(price, lots, at);
                self.high_water = self.high_water.max(at);
                return;
            }
        }
        self.time_trade_closing(price, lots, at, period, out);
    }

    /// A time-bar trade that may close bars, open one, or be late.
    #[inline(never)]
    fn time_trade_closing(
        &mut self,
        price: Price,
        lots: u64,
        at: u64,
        period: u64,
        out: &mut Vec<BarEvent>,
    ) {
        self.advance(UnixNanos::new(at), out);
        let start = at - at % period;
        if let Some(back) = self.open.back_mut()
            && back.start == start
        {
            back.add(price, lots, at);
            return;
        }
        if self.next_start.is_some_and(|next| start < next) {
            self.late(price, lots, at, start, out);
            return;
        }
        let mut bar = Building::empty(start, start.saturating_add(period), price);
        bar.add(price, lots, at);
        match self.open.iter().rposition(|b| b.start <= start) {
            Some(i) if self.open[i].start == start => self.open[i].add(price, lots, at),
            Some(i) => self.open.insert(i + 1, bar),
            None => self.open.push_front(bar),
        }
    }

    fn late(&mut self, price: Price, lots: u64, at: u64, start: u64, out: &mut Vec<BarEvent>) {
        self.counters.late += 1;
        if self.options.late == LatePolicy::Drop {
            return;
        }
        let Some(i) = self.recent.iter().rposition(|b| b.start == start) else {
            // Older than the bars kept, or a span skipped as empty.
            return;
        };
        self.recent[i].add(price, lots, at);
        self.counters.corrected += 1;
        out.push(BarEvent::Corrected(self.finished(&self.recent[i])));
    }
}
