//! Bars the kernel builds from its trade stream, for the strategies that
//! ask for them ([`Strategy::bars`]): one aggregator per instrument and
//! spec, however many strategies read it, so backtest, paper and live
//! deliver the same `on_bar` calls.

use kestrel_bars::{BarAggregator, BarEvent, BarOptions};
use kestrel_model::{BarSpec, Instrument, InstrumentIndex, StrategyIndex, Trade, UnixNanos};
use kestrel_strategy::Strategy;

use super::Kernel;
use super::build::KernelError;
use super::context::KernelContext;

/// One instrument's bars of one spec and the strategies reading them.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(super) struct BarFeed {
    pub aggregator: BarAggregator,
    pub subscribers: Vec<StrategyIndex>,
}

/// Adds `strategy` as a reader of `spec` bars in `feeds`, making the
/// aggregator if it is the first.
pub(super) fn subscribe(
    feeds: &mut Vec<BarFeed>,
    instrument: &Instrument,
    spec: BarSpec,
    options: BarOptions,
    strategy: StrategyIndex,
) -> Result<(), KernelError> {
    if let Some(feed) = feeds.iter_mut().find(|f| f.aggregator.spec() == spec) {
        if !feed.subscribers.contains(&strategy) {
            feed.subscribers.push(strategy);
        }
        return Ok(());
    }
    feeds.push(BarFeed {
        aggregator: BarAggregator::new(instrument, spec, options)?,
        subscribers: vec![strategy],
    });
    Ok(())
}

impl<S: Strategy> Kernel<S> {
    /// Feeds a trade of `ix` to its bars, delivering what closes.
    pub(super) fn trade_bars(&mut self, ix: InstrumentIndex, trade: &Trade, now: UnixNanos) {
        self.bars_with(ix, |agg, out| agg.on_trade(trade, now, out));
    }

    /// Moves `ix`'s bars' event time to a venue stamp other than a trade's
    /// (a book update), closing the time bars it closes.
    pub(super) fn advance_bars(&mut self, ix: InstrumentIndex, at: UnixNanos) {
        self.bars_with(ix, |agg, out| agg.advance(at, out));
    }

    fn bars_with(
        &mut self,
        ix: InstrumentIndex,
        mut step: impl FnMut(&mut BarAggregator, &mut Vec<BarEvent>),
    ) {
        let mut events = std::mem::take(&mut self.core.bar_events);
        for f in 0..self.markets[ix.get()].bars.len() {
            events.clear();
            step(&mut self.markets[ix.get()].bars[f].aggregator, &mut events);
            for event in &events {
                self.core.counters.bars += 1;
                for &s in &self.markets[ix.get()].bars[f].subscribers {
                    let strategy = &mut self.strategies[s.get()];
                    let ctx = &mut KernelContext::new(&mut self.core, &self.markets, s);
                    match event {
                        BarEvent::Closed(bar) => strategy.on_bar(ctx, ix, bar),
                        BarEvent::Corrected(bar) => strategy.on_bar_corrected(ctx, ix, bar),
                    }
                }
            }
        }
        events.clear();
        self.core.bar_events = events;
    }

    /// What each of `ix`'s bar aggregators has seen, by spec.
    pub fn bar_counters(
        &self,
        ix: InstrumentIndex,
    ) -> impl Iterator<Item = (BarSpec, kestrel_bars::BarCounters)> + '_ {
        self.markets
            .get(ix.get())
            .into_iter()
            .flat_map(|m| &m.bars)
            .map(|f| (f.aggregator.spec(), *f.aggregator.counters()))
    }

    /// The bar in progress of `ix` and `spec`, if any.
    pub fn partial_bar(&self, ix: InstrumentIndex, spec: BarSpec) -> Option<kestrel_model::Bar> {
        self.markets
            .get(ix.get())?
            .bars
            .iter()
            .find(|f| f.aggregator.spec() == spec)?
            .aggregator
            .partial()
    }
}
