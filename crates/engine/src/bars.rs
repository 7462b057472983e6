//! OHLCV bars: reading them, and a bar-by-bar backtest.
//!
//! The backtest's fills follow backtesting.py's default semantics, so its
//! results can be checked against that library's (`tests/fidelity.rs`):
//!
//! * a strategy sees bar `i` closed and its orders fill at bar `i + 1`'s
//!   open; orders fill in the order they were placed;
//! * an all-in order buys (or sells short) `floor(equity / (open × (1 +
//!   commission)))` whole units, equity being cash plus open PnL at that
//!   open; backtesting.py also shaves a machine epsilon off the equity,
//!   which only matters at an exact boundary;
//! * commission is a fraction of each fill's notional, paid on entry and on
//!   exit; a closed trade's PnL is `size × (exit − entry)` less both;
//! * cash changes only when a trade closes (by its PnL); equity at each
//!   bar is cash plus the open trade's PnL at the close.
//!
//! Money is kept in exact decimals; reports convert to floats.

use std::path::Path;

use kestrel_analytics::{Activity, Basis, FillMark, Report, RunSeries, TradeStats};
use kestrel_book::OrderBook;
use kestrel_model::{
    Bar, BarSpec, ClientOrderId, Decimal, Instrument, InstrumentIndex, OrderType, Price, Qty, Side,
    UnixNanos,
};
use kestrel_strategy::{Context, ContextError, NewOrder, OrderUpdate, Size, Strategy, TimerId};

/// Why bars could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BarError {
    /// The file could not be read.
    #[error("read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// A line is not `date,open,high,low,close,volume`.
    #[error("line {line}: {what}")]
    Format {
        /// 1-based line number.
        line: usize,
        /// What was wrong.
        what: String,
    },
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn parse_date(s: &str) -> Option<UnixNanos> {
    let mut parts = s.get(..10)?.split('-');
    let (y, m, d) = (
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
    );
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let days = u64::try_from(days_from_civil(y, m, d)).ok()?;
    Some(UnixNanos::new(days * 86_400_000_000_000))
}

/// One day, the daily files' bars.
const DAY: BarSpec = match std::num::NonZeroU64::new(86_400_000_000_000) {
    Some(ns) => BarSpec::Time(ns),
    None => unreachable!(),
};

/// Reads a daily OHLCV CSV (`date,Open,High,Low,Close,Volume` after a
/// header line) of `instrument`; prices must be on its tick, volumes on its
/// lot. Each bar closes one day after it opens.
pub fn read_daily_csv(path: &Path, instrument: &Instrument) -> Result<Vec<Bar>, BarError> {
    let text = std::fs::read_to_string(path).map_err(|source| BarError::Io {
        path: path.display().to_string(),
        source,
    })?;
    let mut bars = Vec::new();
    for (n, line) in text.lines().enumerate().skip(1) {
        let bad = |what: &str| BarError::Format {
            line: n + 1,
            what: what.to_owned(),
        };
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split(',').collect();
        if f.len() < 6 {
            return Err(bad("expected 6 fields"));
        }
        let open_time = parse_date(f[0]).ok_or_else(|| bad("bad date"))?;
        let price = |s: &str| {
            Price::parse(s.trim(), &instrument.tick).map_err(|e| bad(&format!("price {s:?}: {e}")))
        };
        let volume =
            Qty::parse(f[5].trim(), &instrument.lot).map_err(|e| bad(&format!("volume: {e}")))?;
        let bar = Bar {
            instrument: instrument.id,
            spec: DAY,
            open_time,
            close_time: open_time.saturating_add_nanos(86_400_000_000_000),
            open: price(f[1])?,
            high: price(f[2])?,
            low: price(f[3])?,
            close: price(f[4])?,
            volume,
        };
        if !bar.is_consistent() {
            return Err(bad("high/low do not contain open and close"));
        }
        bars.push(bar);
    }
    Ok(bars)
}

/// A trade of the bar backtest: a position from entry to exit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BarTrade {
    /// Units, positive long, negative short.
    pub size: i64,
    /// Index of the bar it was entered at (at the open).
    pub entry_bar: usize,
    /// Its entry price.
    pub entry_price: Price,
    /// Commission paid on entry.
    pub entry_commission: Decimal,
    /// Index of the exit bar and the exit price, once closed.
    pub exit: Option<(usize, Price)>,
    /// PnL after both commissions, once closed.
    pub pnl: Option<Decimal>,
}

/// What the bar backtest produced.
#[derive(Clone, Debug, PartialEq)]
pub struct BarReport {
    /// Closed trades, in closing order.
    pub closed: Vec<BarTrade>,
    /// The trade still open at the end, if any.
    pub open: Option<BarTrade>,
    /// Equity at each bar's close.
    pub equity: Vec<Decimal>,
}

impl BarReport {
    /// The analytics report of this run over `bars`: equity at each close,
    /// fills at entry and exit opens, `commission` (a fraction) on each.
    pub fn to_report(
        &self,
        title: &str,
        instrument: &Instrument,
        bars: &[Bar],
        commission: f64,
    ) -> Report {
        let ms = |i: usize| {
            bars.get(i)
                .map_or(0, |b| b.open_time.as_nanos() / 1_000_000)
        };
        let px = |p: Price| p.to_f64(&instrument.tick);
        let mut trades = TradeStats::default();
        let mut fills = Vec::new();
        let mut inventory = vec![(ms(0), 0.0)];
        for t in self.closed.iter().chain(self.open.iter()) {
            fills.push(FillMark {
                time_ms: ms(t.entry_bar),
                price: px(t.entry_price),
                qty: t.size.unsigned_abs() as f64,
                buy: t.size > 0,
            });
            inventory.push((ms(t.entry_bar), t.size as f64));
            if let (Some((bar, price)), Some(pnl)) = (t.exit, t.pnl) {
                fills.push(FillMark {
                    time_ms: ms(bar),
                    price: px(price),
                    qty: t.size.unsigned_abs() as f64,
                    buy: t.size < 0,
                });
                trades.add(pnl.to_f64());
            }
        }
        inventory.push((
            ms(bars.len().saturating_sub(1)),
            self.open.map_or(0.0, |t| t.size as f64),
        ));
        let traded: f64 = fills.iter().map(|f| f.price * f.qty).sum();
        let fill_count = fills.len() as u64;
        let series = RunSeries {
            equity: self
                .equity
                .iter()
                .enumerate()
                .map(|(i, e)| (ms(i), e.to_f64()))
                .collect(),
            inventory,
            price: bars
                .iter()
                .map(|b| (b.open_time.as_nanos() / 1_000_000, px(b.close)))
                .collect(),
            fills,
            legs: Vec::new(),
        };
        let activity = Activity {
            orders: fill_count,
            filled_orders: fill_count,
            fills: fill_count,
            traded,
            fees: traded * commission,
            ..Activity::default()
        };
        let (sample_seconds, periods_per_year) = sampling(bars);
        let basis = Basis {
            currency: instrument.contract.settle.to_string(),
            qty_unit: instrument.qty_unit(),
            sample_seconds,
            periods_per_year,
        };
        Report::new(title, series, trades, activity, basis)
    }
}

/// Seconds a bar spans and bars a year: daily bars count a trading year
/// of 252 (as backtesting.py does for equities); shorter time bars trade
/// round the clock (crypto); bars of no fixed span take their mean span.
fn sampling(bars: &[Bar]) -> (f64, f64) {
    const YEAR_S: f64 = 365.25 * 86_400.0;
    let seconds = match bars.first().map(|b| b.spec) {
        Some(spec) if spec == DAY => return (86_400.0, 252.0),
        Some(BarSpec::Time(ns)) => ns.get() as f64 / 1e9,
        _ => match (bars.first(), bars.last()) {
            (Some(first), Some(last)) => {
                last.close_time.nanos_since(first.open_time).max(1) as f64 / 1e9 / bars.len() as f64
            }
            _ => 86_400.0,
        },
    };
    (seconds, YEAR_S / seconds)
}

/// An order waiting for the next open.
#[derive(Clone, Copy, Debug)]
enum Pending {
    Close,
    Market { side: Side, size: Size },
}

/// The bar broker: cash, the open trade, orders waiting for the next open.
#[derive(Debug)]
struct BarBroker {
    instrument: Instrument,
    commission: Decimal,
    cash: Decimal,
    open: Option<BarTrade>,
    pending: Vec<Pending>,
    closed: Vec<BarTrade>,
}

impl BarBroker {
    fn price(&self, p: Price) -> Decimal {
        Decimal::from_steps(p.ticks(), &self.instrument.tick)
    }

    fn commission_on(&self, size: i64, price: Price) -> Decimal {
        self.price(price)
            .checked_mul(Decimal::from(size.abs()))
            .and_then(|n| n.checked_mul(self.commission))
            .unwrap_or(Decimal::ZERO)
    }

    /// The open trade's PnL if closed at `price` with no exit commission.
    fn open_pnl(&self, price: Price) -> Decimal {
        let Some(t) = &self.open else {
            return Decimal::ZERO;
        };
        let diff = self
            .price(price)
            .checked_sub(self.price(t.entry_price))
            .unwrap_or(Decimal::ZERO);
        diff.checked_mul(Decimal::from(t.size))
            .and_then(|g| g.checked_sub(t.entry_commission))
            .unwrap_or(Decimal::ZERO)
    }

    fn equity_at(&self, price: Price) -> Decimal {
        self.cash
            .checked_add(self.open_pnl(price))
            .unwrap_or(self.cash)
    }

    fn close(&mut self, bar: usize, price: Price) {
        let Some(mut t) = self.open.take() else {
            return;
        };
        let exit_commission = self.commission_on(t.size, price);
        let diff = self
            .price(price)
            .checked_sub(self.price(t.entry_price))
            .unwrap_or(Decimal::ZERO);
        let pnl = diff
            .checked_mul(Decimal::from(t.size))
            .and_then(|g| g.checked_sub(t.entry_commission))
            .and_then(|g| g.checked_sub(exit_commission))
            .unwrap_or(Decimal::ZERO);
        self.cash = self.cash.checked_add(pnl).unwrap_or(self.cash);
        t.exit = Some((bar, price));
        t.pnl = Some(pnl);
        self.closed.push(t);
    }

    /// The most whole units `margin` pays for at `price` with commission.
    fn all_in_units(&self, margin: Decimal, price: Price) -> i64 {
        let one_plus_c = Decimal::from(1)
            .checked_add(self.commission)
            .unwrap_or_default();
        let cost = |n: i64| {
            self.price(price)
                .checked_mul(Decimal::from(n))
                .and_then(|x| x.checked_mul(one_plus_c))
        };
        let fits = |n: i64| cost(n).is_some_and(|c| c <= margin);
        let estimate = margin.to_f64() / (self.price(price).to_f64() * one_plus_c.to_f64());
        let mut n = if estimate.is_finite() {
            estimate.floor().max(0.0) as i64
        } else {
            0
        };
        while n > 0 && !fits(n) {
            n -= 1;
        }
        while fits(n + 1) {
            n += 1;
        }
        n
    }

    /// Fills the waiting orders at bar `i`'s open.
    fn fill_pending(&mut self, i: usize, open: Price) {
        for order in std::mem::take(&mut self.pending) {
            match order {
                Pending::Close => self.close(i, open),
                Pending::Market { side, size } => {
                    if self
                        .open
                        .is_some_and(|t| (t.size > 0) != (side == Side::Buy))
                    {
                        self.close(i, open);
                    }
                    let units = match size {
                        Size::Qty(q) => i64::try_from(q.lots()).unwrap_or(0),
                        Size::AllIn => {
                            let used = self.open.map_or(Decimal::ZERO, |t| {
                                self.price(open)
                                    .checked_mul(Decimal::from(t.size.abs()))
                                    .unwrap_or_default()
                            });
                            let margin = self.equity_at(open).checked_sub(used).unwrap_or_default();
                            if margin.is_negative() {
                                0
                            } else {
                                self.all_in_units(margin, open)
                            }
                        }
                    };
                    if units == 0 {
                        continue;
                    }
                    let size = if side == Side::Buy { units } else { -units };
                    match &mut self.open {
                        // Adding to a trade in the same direction: backtesting.py
                        // opens a separate trade; one merged trade is kept here.
                        Some(t) => t.size += size,
                        None => {
                            self.open = Some(BarTrade {
                                size,
                                entry_bar: i,
                                entry_price: open,
                                entry_commission: self.commission_on(size, open),
                                exit: None,
                                pnl: None,
                            });
                        }
                    }
                }
            }
        }
    }
}

/// The strategy's view of the bar broker.
struct BarContext<'a> {
    broker: &'a mut BarBroker,
    now: UnixNanos,
    ids: u64,
}

/// The bar broker trades one instrument, index 0.
const ONLY: InstrumentIndex = InstrumentIndex::FIRST;

impl Context for BarContext<'_> {
    fn now(&self) -> UnixNanos {
        self.now
    }

    fn subscriptions(&self) -> &[InstrumentIndex] {
        &[ONLY]
    }

    fn instrument(&self, ix: InstrumentIndex) -> Result<&Instrument, ContextError> {
        (ix == ONLY)
            .then_some(&self.broker.instrument)
            .ok_or(ContextError::NotSubscribed(ix))
    }

    fn book(&self, ix: InstrumentIndex) -> Result<&OrderBook, ContextError> {
        // Bars carry no book.
        Err(ContextError::NotSubscribed(ix))
    }

    fn book_trusted(&self, _: InstrumentIndex) -> bool {
        true
    }

    fn position_lots(&self, ix: InstrumentIndex) -> i64 {
        if ix == ONLY {
            self.broker.open.map_or(0, |t| t.size)
        } else {
            0
        }
    }

    fn open_orders(&self) -> &[OrderUpdate] {
        &[]
    }

    fn place(&mut self, order: NewOrder) -> Result<ClientOrderId, ContextError> {
        if order.instrument != ONLY {
            return Err(ContextError::NotSubscribed(order.instrument));
        }
        if order.kind != OrderType::Market {
            return Err(ContextError::Refused);
        }
        self.broker.pending.push(Pending::Market {
            side: order.side,
            size: order.size,
        });
        self.ids += 1;
        ClientOrderId::new(&format!("bar-{}", self.ids)).map_err(|_| ContextError::Refused)
    }

    fn cancel(&mut self, _id: ClientOrderId) {}

    fn replace(
        &mut self,
        id: ClientOrderId,
        _price: Price,
        _qty: Qty,
    ) -> Result<ClientOrderId, ContextError> {
        Err(ContextError::UnknownOrder(id))
    }

    fn queue_ahead(&self, _id: ClientOrderId) -> Option<u64> {
        None
    }

    fn cancel_all(&mut self) {
        self.broker.pending.clear();
    }

    fn close_position(&mut self, ix: InstrumentIndex) {
        if ix == ONLY {
            self.broker.pending.push(Pending::Close);
        }
    }

    fn set_timer(&mut self, _at: UnixNanos) -> TimerId {
        TimerId(0)
    }
}

/// Runs `strategy` over `bars` with `cash` and a `commission` rate.
pub fn backtest_bars(
    instrument: &Instrument,
    bars: &[Bar],
    strategy: &mut dyn Strategy,
    cash: Decimal,
    commission: Decimal,
) -> BarReport {
    let mut broker = BarBroker {
        instrument: instrument.clone(),
        commission,
        cash,
        open: None,
        pending: Vec::new(),
        closed: Vec::new(),
    };
    let mut equity = Vec::with_capacity(bars.len());
    let mut ids = 0;
    for (i, bar) in bars.iter().enumerate() {
        broker.fill_pending(i, bar.open);
        equity.push(broker.equity_at(bar.close));
        let mut ctx = BarContext {
            broker: &mut broker,
            now: bar.close_time,
            ids,
        };
        strategy.on_bar(&mut ctx, ONLY, bar);
        ids = ctx.ids;
    }
    BarReport {
        closed: broker.closed,
        open: broker.open,
        equity,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_count_days_from_the_epoch() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2004, 8, 19), 12_649);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(
            parse_date("2013-03-01"),
            Some(UnixNanos::new(15_765 * 86_400_000_000_000))
        );
        assert_eq!(parse_date("2013-13-01"), None);
    }
}
