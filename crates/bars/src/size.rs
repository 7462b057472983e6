//! Tick, volume and notional bars: closed by the trade that fills them.

use kestrel_model::Price;

use crate::aggregator::{BarAggregator, BarEvent, Building, Rule};

impl BarAggregator {
    /// Adds a trade to the bar in progress; a trade crossing a volume or
    /// notional line fills the bar to it and goes on into the next.
    pub(crate) fn size_trade(
        &mut self,
        price: Price,
        mut lots: u64,
        at: u64,
        out: &mut Vec<BarEvent>,
    ) {
        let ticks = u128::from(price.ticks().unsigned_abs());
        let mut closed = 0u64;
        loop {
            if self.open.is_empty() {
                self.open.push_back(Building::empty(at, at, price));
            }
            let Some(bar) = self.open.front_mut() else {
                return;
            };
            let take = match self.rule {
                // A trade that would split into more bars than a gap may
                // hold: the rest goes whole into this one, counted.
                _ if closed == crate::MAX_EMPTY_RUN => {
                    self.counters.oversized += 1;
                    lots
                }
                Rule::Volume(limit) => lots.min(limit.saturating_sub(bar.volume)),
                Rule::Notional(limit) if ticks > 0 => {
                    let left = limit.saturating_sub(bar.notional);
                    let needed = left.div_ceil(ticks);
                    lots.min(u64::try_from(needed).unwrap_or(u64::MAX))
                }
                _ => lots,
            };
            bar.add(price, take, at);
            lots -= take;
            let full = match self.rule {
                Rule::Ticks(n) => bar.trades >= n,
                Rule::Volume(limit) => bar.volume >= limit,
                Rule::Notional(limit) => bar.notional >= limit,
                Rule::Time(_) => false,
            };
            if full {
                if let Some(done) = self.open.pop_front() {
                    closed += 1;
                    self.counters.closed += 1;
                    out.push(BarEvent::Closed(self.finished(&done)));
                }
            }
            if lots == 0 {
                return;
            }
        }
    }
}
