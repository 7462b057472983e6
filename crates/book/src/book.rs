//! [`OrderBook`]: the L2 book of one instrument.

use kestrel_model::{
    BookDelta, BookSnapshot, EventTime, Increment, Instrument, InstrumentId, Level, Price, Qty,
    Side,
};

use crate::ladder::{Ladder, LadderIter};

/// Ticks covered by each side's dense window unless configured otherwise:
/// ±3,277 USD around the touch for BTCUSDT's 0.10 tick, 512 KiB per side.
pub const DEFAULT_WINDOW_TICKS: usize = 1 << 16;

/// Levels per side reserved up front by [`OrderBook::snapshot`]; deeper
/// snapshots grow as they fill.
const SNAPSHOT_PREALLOC: usize = 1024;

/// Why a book refused an event or failed its integrity check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BookError {
    /// Window sizes must be powers of two of at least 64 ticks.
    #[error("window of {0} ticks is not a power of two of at least 64")]
    InvalidWindow(usize),
    /// The best bid is at or above the best ask.
    #[error("book crossed: best bid {bid:?} >= best ask {ask:?}")]
    Crossed {
        /// Best bid.
        bid: Price,
        /// Best ask.
        ask: Price,
    },
    /// An event for another instrument.
    #[error("event for {got} applied to the book of {expected}")]
    WrongInstrument {
        /// This book's instrument.
        expected: InstrumentId,
        /// The event's instrument.
        got: InstrumentId,
    },
}

/// Maps a price to its side's ladder key, where lower is better, and back:
/// asks keep their ticks, bids take the bitwise complement. Selecting by XOR
/// rather than by branch matters: bid and ask updates interleave unpredictably.
#[inline(always)]
const fn ladder_key(side: Side, ticks: i64) -> i64 {
    ticks ^ -((side as u8 == Side::Buy as u8) as i64)
}

/// The L2 order book of one instrument.
///
/// Each side is a tick-indexed window around the touch with a cached best
/// slot (O(1) top of book, no allocation per update), plus an ordered store
/// (a B+ tree, O(log n) per update) for far levels, which real feeds do carry
/// (an ask at 10× the price) and glitching ones spread over any range.
/// Memory is bounded by the window and the levels present, not by how far
/// apart the levels are.
///
/// The book applies what it is given; the feed's sequencer decides what is
/// valid to give it.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct OrderBook {
    instrument: InstrumentId,
    tick: Increment,
    lot: Increment,
    /// Bids at index `Side::Buy`, asks at `Side::Sell`.
    sides: [Ladder; 2],
    last_update_id: u64,
    time: EventTime,
}

impl OrderBook {
    /// An empty book with the default window.
    pub fn new(instrument: &Instrument) -> Self {
        Self::build(instrument, DEFAULT_WINDOW_TICKS)
    }

    /// An empty book whose dense windows span `window_ticks` ticks per side.
    pub fn with_window(instrument: &Instrument, window_ticks: usize) -> Result<Self, BookError> {
        if window_ticks < 64 || !window_ticks.is_power_of_two() {
            return Err(BookError::InvalidWindow(window_ticks));
        }
        Ok(Self::build(instrument, window_ticks))
    }

    fn build(instrument: &Instrument, window_ticks: usize) -> Self {
        Self {
            instrument: instrument.id,
            tick: instrument.tick,
            lot: instrument.lot,
            sides: [Ladder::new(window_ticks), Ladder::new(window_ticks)],
            last_update_id: 0,
            time: EventTime::default(),
        }
    }

    /// Sets the size at one price; zero removes the level. Removing a level
    /// that is not there is a no-op, as venues' sync rules require.
    /// Always inlined: it is the inner loop of every diff, and a caller the
    /// compiler judged too big to take it (the multi-instrument kernel's
    /// `apply_levels`) paid a call per level.
    #[inline(always)]
    pub fn update_level(&mut self, side: Side, price: Price, qty: Qty) {
        self.sides[side as usize].set(ladder_key(side, price.ticks()), qty.lots());
    }

    /// The size resting at `price` on `side`, zero if there is no level.
    #[inline]
    pub fn qty_at(&self, side: Side, price: Price) -> Qty {
        Qty::from_lots(self.sides[side as usize].get(ladder_key(side, price.ticks())))
    }

    /// Applies a whole delta batch and records its ids and time.
    pub fn apply_delta(&mut self, delta: &BookDelta) -> Result<(), BookError> {
        self.check_instrument(delta.instrument)?;
        for update in &delta.updates {
            self.update_level(update.side, update.price, update.qty);
        }
        self.last_update_id = delta.ids.last;
        self.time = delta.time;
        Ok(())
    }

    /// Replaces the whole book with a snapshot.
    pub fn load_snapshot(&mut self, snapshot: &BookSnapshot) -> Result<(), BookError> {
        self.check_instrument(snapshot.instrument)?;
        self.clear();
        for level in &snapshot.bids {
            self.update_level(Side::Buy, level.price, level.qty);
        }
        for level in &snapshot.asks {
            self.update_level(Side::Sell, level.price, level.qty);
        }
        self.last_update_id = snapshot.last_update_id;
        self.time = snapshot.time;
        Ok(())
    }

    /// The best `depth` levels of each side as a snapshot (allocates).
    pub fn snapshot(&self, depth: usize) -> BookSnapshot {
        let side = |side: Side| {
            let mut levels = Vec::with_capacity(depth.min(SNAPSHOT_PREALLOC));
            levels.extend(self.levels(side).take(depth));
            levels
        };
        BookSnapshot {
            instrument: self.instrument,
            last_update_id: self.last_update_id,
            time: self.time,
            bids: side(Side::Buy),
            asks: side(Side::Sell),
        }
    }

    /// Removes every level, keeping the allocations.
    pub fn clear(&mut self) {
        for ladder in &mut self.sides {
            ladder.clear();
        }
    }

    fn check_instrument(&self, got: InstrumentId) -> Result<(), BookError> {
        if got == self.instrument {
            Ok(())
        } else {
            Err(BookError::WrongInstrument {
                expected: self.instrument,
                got,
            })
        }
    }

    /// Highest bid.
    #[inline]
    pub fn best_bid(&self) -> Option<Level> {
        self.best(Side::Buy)
    }

    /// Lowest ask.
    #[inline]
    pub fn best_ask(&self) -> Option<Level> {
        self.best(Side::Sell)
    }

    /// Best level of `side` (`Buy` = bids): a cached field, two loads.
    #[inline]
    pub fn best(&self, side: Side) -> Option<Level> {
        self.sides[side as usize].best().map(|(key, lots)| Level {
            price: Price::from_ticks(ladder_key(side, key)),
            qty: Qty::from_lots(lots),
        })
    }

    /// Levels of `side`, best first. Does not allocate.
    pub fn levels(&self, side: Side) -> Levels<'_> {
        Levels {
            inner: self.sides[side as usize].iter(),
            side,
        }
    }

    /// Number of levels on `side`. Counted on demand, O(window / 64):
    /// keeping a running count would put a read of the old size on every update.
    pub fn level_count(&self, side: Side) -> usize {
        self.sides[side as usize].len()
    }

    /// Number of levels on `side` outside the dense window (far from the touch).
    pub fn far_level_count(&self, side: Side) -> usize {
        self.sides[side as usize].far_len()
    }

    /// Times `side`'s dense window has been moved to follow the touch. Each
    /// move costs O(window / 64 + levels moved + log far levels); a healthy
    /// replay needs few.
    pub fn recenter_count(&self, side: Side) -> u64 {
        self.sides[side as usize].recenters()
    }

    /// Whether the best bid is at or above the best ask (crossed or locked).
    /// A venue's book never is once a batch has been applied in full.
    pub fn is_crossed(&self) -> bool {
        matches!((self.best_bid(), self.best_ask()), (Some(b), Some(a)) if b.price >= a.price)
    }

    /// The book's integrity as a value: `Err(Crossed)` when crossed or locked.
    pub fn check(&self) -> Result<(), BookError> {
        match (self.best_bid(), self.best_ask()) {
            (Some(b), Some(a)) if b.price >= a.price => Err(BookError::Crossed {
                bid: b.price,
                ask: a.price,
            }),
            _ => Ok(()),
        }
    }

    /// Best ask minus best bid, in ticks.
    pub fn spread(&self) -> Option<Price> {
        let (bid, ask) = (self.best_bid()?, self.best_ask()?);
        ask.price.checked_sub(bid.price)
    }

    /// Midpoint of the best bid and ask, in price units (analytics only).
    pub fn mid(&self) -> Option<f64> {
        let (bid, ask) = (self.best_bid()?, self.best_ask()?);
        let sum = i128::from(bid.price.ticks()) + i128::from(ask.price.ticks());
        Some(sum as f64 / 2.0 * self.tick.to_f64(1))
    }

    /// Size-weighted mid: leans towards the side with less size, where the
    /// next trade is likelier to move the price. Price units, analytics only.
    pub fn microprice(&self) -> Option<f64> {
        let (bid, ask) = (self.best_bid()?, self.best_ask()?);
        let (bq, aq) = (bid.qty.lots() as f64, ask.qty.lots() as f64);
        let weighted = (bid.price.ticks() as f64 * aq + ask.price.ticks() as f64 * bq) / (bq + aq);
        Some(weighted * self.tick.to_f64(1))
    }

    /// The instrument this book belongs to.
    pub fn instrument(&self) -> InstrumentId {
        self.instrument
    }

    /// Price grid, for rendering prices.
    pub fn tick(&self) -> &Increment {
        &self.tick
    }

    /// Quantity grid, for rendering sizes.
    pub fn lot(&self) -> &Increment {
        &self.lot
    }

    /// Venue update id of the last snapshot or delta applied.
    pub fn last_update_id(&self) -> u64 {
        self.last_update_id
    }

    /// Timestamps of the last snapshot or delta applied.
    pub fn time(&self) -> EventTime {
        self.time
    }

    /// Heap bytes held by the book: the windows, their bitsets and the far
    /// stores (their node arenas at capacity, as memory freed by removed
    /// levels is kept for reuse).
    pub fn heap_bytes(&self) -> usize {
        self.sides.iter().map(Ladder::heap_bytes).sum()
    }
}

/// Levels of one side of an [`OrderBook`], best first.
pub struct Levels<'a> {
    inner: LadderIter<'a>,
    side: Side,
}

impl Iterator for Levels<'_> {
    type Item = Level;

    #[inline]
    fn next(&mut self) -> Option<Level> {
        let (key, lots) = self.inner.next()?;
        Some(Level {
            price: Price::from_ticks(ladder_key(self.side, key)),
            qty: Qty::from_lots(lots),
        })
    }
}

#[cfg(test)]
mod tests {
    use kestrel_model::{EventTime, LevelUpdate, UnixNanos, UpdateIds};

    use super::*;
    use crate::test_support::{book_with, instrument, lvl};

    #[test]
    fn top_of_book_and_derived_prices() {
        let book = book_with(&[(100.0, 1), (99.9, 2)], &[(100.2, 3), (100.3, 5)]);
        assert_eq!(book.best_bid(), Some(lvl(100.0, 1)));
        assert_eq!(book.best_ask(), Some(lvl(100.2, 3)));
        assert_eq!(book.spread(), Some(Price::from_ticks(2)));
        assert!((book.mid().unwrap() - 100.1).abs() < 1e-9);
        // (100.0·3 + 100.2·1) / 4 = 100.05: leans to the thin bid.
        assert!((book.microprice().unwrap() - 100.05).abs() < 1e-9);
        assert_eq!(book.level_count(Side::Buy), 2);
        assert!(!book.is_crossed());
        assert_eq!(book.check(), Ok(()));
    }

    #[test]
    fn size_at_a_price_reads_window_and_far_levels() {
        let mut book = book_with(&[], &[]);
        book.update_level(Side::Buy, Price::from_ticks(1_000), Qty::from_lots(5));
        book.update_level(Side::Buy, Price::from_ticks(10), Qty::from_lots(7));
        book.update_level(Side::Sell, Price::from_ticks(1_001), Qty::from_lots(3));
        assert_eq!(
            book.qty_at(Side::Buy, Price::from_ticks(1_000)),
            Qty::from_lots(5)
        );
        assert_eq!(
            book.qty_at(Side::Buy, Price::from_ticks(10)),
            Qty::from_lots(7)
        );
        assert_eq!(book.qty_at(Side::Buy, Price::from_ticks(999)), Qty::ZERO);
        assert_eq!(
            book.qty_at(Side::Sell, Price::from_ticks(1_001)),
            Qty::from_lots(3)
        );
        assert_eq!(book.qty_at(Side::Sell, Price::from_ticks(1_000)), Qty::ZERO);
    }

    #[test]
    fn crossed_and_locked_books_are_reported() {
        let crossed = book_with(&[(100.3, 1)], &[(100.2, 1)]);
        assert!(crossed.is_crossed());
        assert_eq!(
            crossed.check(),
            Err(BookError::Crossed {
                bid: lvl(100.3, 0).price,
                ask: lvl(100.2, 0).price
            })
        );
        assert!(book_with(&[(100.2, 1)], &[(100.2, 1)]).is_crossed());
    }

    #[test]
    fn snapshot_round_trips_and_deltas_apply() {
        let inst = instrument("0.1", "1");
        let book = book_with(&[(100.0, 1), (99.9, 2)], &[(100.2, 3)]);
        let snap = book.snapshot(10);
        let mut copy = OrderBook::new(&inst);
        copy.update_level(Side::Buy, lvl(50.0, 9).price, Qty::from_lots(9));
        copy.load_snapshot(&snap).unwrap();
        assert_eq!(copy.snapshot(10), snap);

        let delta = BookDelta {
            instrument: inst.id,
            ids: UpdateIds {
                first: 7,
                last: 9,
                prev: Some(6),
            },
            time: EventTime {
                exchange: UnixNanos::new(1),
                local: UnixNanos::new(2),
            },
            updates: vec![
                LevelUpdate {
                    side: Side::Buy,
                    price: lvl(100.0, 0).price,
                    qty: Qty::ZERO,
                },
                LevelUpdate {
                    side: Side::Sell,
                    price: lvl(100.1, 0).price,
                    qty: Qty::from_lots(4),
                },
            ],
        };
        copy.apply_delta(&delta).unwrap();
        assert_eq!(copy.best_bid(), Some(lvl(99.9, 2)));
        assert_eq!(copy.best_ask(), Some(lvl(100.1, 4)));
        assert_eq!(copy.last_update_id(), 9);
        assert_eq!(copy.time().local, UnixNanos::new(2));
    }

    #[test]
    fn refuses_other_instruments_and_bad_windows() {
        let inst = instrument("0.1", "1");
        let mut book = OrderBook::new(&inst);
        let mut snap = book.snapshot(1);
        snap.instrument =
            InstrumentId::from_native(kestrel_model::Venue::BinanceSpot, "ETHBTC").unwrap();
        assert!(matches!(
            book.load_snapshot(&snap),
            Err(BookError::WrongInstrument { .. })
        ));
        assert_eq!(
            OrderBook::with_window(&inst, 100).err(),
            Some(BookError::InvalidWindow(100))
        );
        assert_eq!(
            OrderBook::with_window(&inst, 32).err(),
            Some(BookError::InvalidWindow(32))
        );
        assert!(OrderBook::with_window(&inst, 64).is_ok());
    }

    #[test]
    fn memory_is_bounded_by_the_window_not_the_price_range() {
        let inst = instrument("0.1", "1");
        let mut book = OrderBook::new(&inst);
        // Levels ten times away from the touch, as in the real capture.
        for (side, price) in [
            (Side::Sell, 6_213_687),
            (Side::Sell, 616_598),
            (Side::Buy, 616_597),
            (Side::Buy, 5_600),
        ] {
            book.update_level(side, Price::from_ticks(price), Qty::from_lots(1));
        }
        assert_eq!(book.far_level_count(Side::Sell), 1);
        assert_eq!(book.far_level_count(Side::Buy), 1);
        assert!(book.heap_bytes() < 2 << 20, "{} bytes", book.heap_bytes());
    }

    /// Kernel snapshots save books with postcard, which needs every
    /// sequence's length up front: far levels included.
    #[test]
    fn a_book_with_far_levels_round_trips_through_postcard() {
        let inst = instrument("0.1", "1");
        let mut book = OrderBook::new(&inst);
        for (side, price) in [
            (Side::Sell, 6_213_687),
            (Side::Sell, 616_598),
            (Side::Buy, 616_597),
            (Side::Buy, 5_600),
        ] {
            book.update_level(side, Price::from_ticks(price), Qty::from_lots(1));
        }
        let bytes = postcard::to_allocvec(&book).unwrap();
        let back: OrderBook = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(back.snapshot(usize::MAX), book.snapshot(usize::MAX));
        assert_eq!(back.far_level_count(Side::Sell), 1);
    }
}
