//! A run's series as a stream: the kernel emits [`RunPoint`]s and keeps
//! none of them, and whoever wants a report (a backtest) folds them into
//! a [`RunSeries`] with a [`SeriesBuilder`]. A live session can forward
//! the same points (to an API, a bus) or drop them; either way the
//! kernel's memory does not grow with the session.

use crate::report::{FillMark, Leg, RunSeries};

/// One point of a run's series, as the kernel emits it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RunPoint {
    /// Sampled on the kernel's interval: equity (the portfolio's), and the
    /// first instrument's inventory (in its units) and mid.
    Sample {
        /// Time, ms.
        ms: u64,
        /// Equity, in the settlement asset.
        equity: f64,
        /// The account's position in the first instrument.
        inventory: f64,
        /// The first instrument's mid, if it has one.
        mid: Option<f64>,
    },
    /// One instrument's inventory and mid at the same sample (runs of
    /// several instruments).
    LegSample {
        /// The instrument's index.
        leg: u16,
        /// Time, ms.
        ms: u64,
        /// The account's position in it, in its units.
        inventory: f64,
        /// Its mid, if it has one.
        mid: Option<f64>,
    },
    /// A fill of ours, for the run's own series; `inventory` is the first
    /// instrument's position after it.
    Fill {
        /// Where and how much.
        mark: FillMark,
        /// The position after it.
        inventory: f64,
    },
    /// A fill of ours on instrument `leg` (runs of several instruments);
    /// `inventory` is the position in it after.
    LegFill {
        /// The instrument's index.
        leg: u16,
        /// Where and how much.
        mark: FillMark,
        /// The position in it after.
        inventory: f64,
    },
}

/// Points each series has room for before it first grows (over an hour of
/// one-second samples): a backtest's folding allocates rarely.
pub const RESERVED_POINTS: usize = 4096;

/// Folds [`RunPoint`]s into a [`RunSeries`].
#[derive(Debug)]
pub struct SeriesBuilder {
    series: RunSeries,
}

impl SeriesBuilder {
    /// A builder for a run of one instrument, or of several when `legs`
    /// names each (instrument, quantity unit) by index.
    pub fn new(legs: impl IntoIterator<Item = (String, String)>) -> Self {
        Self {
            series: RunSeries {
                equity: Vec::with_capacity(RESERVED_POINTS),
                inventory: Vec::with_capacity(RESERVED_POINTS),
                price: Vec::with_capacity(RESERVED_POINTS),
                fills: Vec::with_capacity(RESERVED_POINTS),
                legs: legs
                    .into_iter()
                    .map(|(instrument, qty_unit)| Leg {
                        instrument,
                        qty_unit,
                        price: Vec::with_capacity(RESERVED_POINTS),
                        inventory: Vec::with_capacity(RESERVED_POINTS),
                        fills: Vec::with_capacity(RESERVED_POINTS),
                        ..Leg::default()
                    })
                    .collect(),
            },
        }
    }

    /// Adds one point. A point for a leg the builder was not given is
    /// ignored (a run of one instrument records no legs).
    pub fn push(&mut self, point: RunPoint) {
        let s = &mut self.series;
        match point {
            RunPoint::Sample {
                ms,
                equity,
                inventory,
                mid,
            } => {
                s.equity.push((ms, equity));
                s.inventory.push((ms, inventory));
                if let Some(mid) = mid {
                    s.price.push((ms, mid));
                }
            }
            RunPoint::LegSample {
                leg,
                ms,
                inventory,
                mid,
            } => {
                if let Some(l) = s.legs.get_mut(usize::from(leg)) {
                    l.inventory.push((ms, inventory));
                    if let Some(mid) = mid {
                        l.price.push((ms, mid));
                    }
                }
            }
            RunPoint::Fill { mark, inventory } => {
                s.inventory.push((mark.time_ms, inventory));
                s.fills.push(mark);
            }
            RunPoint::LegFill {
                leg,
                mark,
                inventory,
            } => {
                if let Some(l) = s.legs.get_mut(usize::from(leg)) {
                    l.inventory.push((mark.time_ms, inventory));
                    l.fills.push(mark);
                    l.fill_count += 1;
                }
            }
        }
    }

    /// The series so far.
    pub fn finish(self) -> RunSeries {
        self.series
    }
}

impl Extend<RunPoint> for SeriesBuilder {
    fn extend<I: IntoIterator<Item = RunPoint>>(&mut self, points: I) {
        for point in points {
            self.push(point);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(time_ms: u64, buy: bool) -> FillMark {
        FillMark {
            time_ms,
            price: 100.0,
            qty: 1.0,
            buy,
        }
    }

    #[test]
    fn points_fold_into_the_run_and_its_legs() {
        let mut b = SeriesBuilder::new([("A".to_owned(), "BTC".to_owned())]);
        b.extend([
            RunPoint::Sample {
                ms: 1,
                equity: 10.0,
                inventory: 0.0,
                mid: Some(100.0),
            },
            RunPoint::Fill {
                mark: mark(2, true),
                inventory: 1.0,
            },
            RunPoint::LegFill {
                leg: 0,
                mark: mark(2, true),
                inventory: 1.0,
            },
            RunPoint::LegSample {
                leg: 0,
                ms: 3,
                inventory: 1.0,
                mid: None,
            },
            // No such leg: ignored.
            RunPoint::LegSample {
                leg: 7,
                ms: 3,
                inventory: 1.0,
                mid: None,
            },
        ]);
        let s = b.finish();
        assert_eq!(s.equity, [(1, 10.0)]);
        assert_eq!(s.inventory, [(1, 0.0), (2, 1.0)]);
        assert_eq!(s.price, [(1, 100.0)]);
        assert_eq!(s.fills, [mark(2, true)]);
        assert_eq!(s.legs[0].inventory, [(2, 1.0), (3, 1.0)]);
        assert_eq!(s.legs[0].fill_count, 1);
        assert!(s.legs[0].price.is_empty());
    }
}
