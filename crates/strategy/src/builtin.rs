//! The built-in strategies as one type, so a kernel can run several of
//! them side by side (a kernel holds strategies of one type; an enum keeps
//! their calls statically dispatched and their state serialisable). Configs
//! name them by [`BuiltIn::name`].

use kestrel_book::OrderBook;
use kestrel_model::{Bar, InstrumentIndex, Trade};
use kestrel_signals::SignalValues;

use crate::api::{Context, OrderUpdate, Strategy, TimerId};
use crate::{EmaCross, ImbalanceMm, LeadLag, SmaCross};

/// One of the built-in strategies.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub enum BuiltIn {
    /// `imbalance_mm`.
    ImbalanceMm(ImbalanceMm),
    /// `lead_lag`.
    LeadLag(LeadLag),
    /// `sma_cross`.
    SmaCross(SmaCross),
    /// `ema_cross`.
    EmaCross(EmaCross),
}

impl BuiltIn {
    /// The name configs use.
    pub const fn name(&self) -> &'static str {
        match self {
            Self::ImbalanceMm(_) => "imbalance_mm",
            Self::LeadLag(_) => "lead_lag",
            Self::SmaCross(_) => "sma_cross",
            Self::EmaCross(_) => "ema_cross",
        }
    }

    fn inner(&mut self) -> &mut dyn Strategy {
        match self {
            Self::ImbalanceMm(s) => s,
            Self::LeadLag(s) => s,
            Self::SmaCross(s) => s,
            Self::EmaCross(s) => s,
        }
    }
}

impl Strategy for BuiltIn {
    fn on_start(&mut self, ctx: &mut dyn Context) {
        self.inner().on_start(ctx);
    }
    fn on_book(
        &mut self,
        ctx: &mut dyn Context,
        instrument: InstrumentIndex,
        book: &OrderBook,
        signals: &SignalValues,
    ) {
        match self {
            // The hot path: no virtual call for the market makers.
            Self::ImbalanceMm(s) => s.on_book(ctx, instrument, book, signals),
            Self::LeadLag(s) => s.on_book(ctx, instrument, book, signals),
            Self::SmaCross(s) => s.on_book(ctx, instrument, book, signals),
            Self::EmaCross(s) => s.on_book(ctx, instrument, book, signals),
        }
    }
    fn on_trade(&mut self, ctx: &mut dyn Context, instrument: InstrumentIndex, trade: &Trade) {
        self.inner().on_trade(ctx, instrument, trade);
    }
    fn on_bar(&mut self, ctx: &mut dyn Context, instrument: InstrumentIndex, bar: &Bar) {
        self.inner().on_bar(ctx, instrument, bar);
    }
    fn on_bar_corrected(&mut self, ctx: &mut dyn Context, instrument: InstrumentIndex, bar: &Bar) {
        self.inner().on_bar_corrected(ctx, instrument, bar);
    }
    fn on_order(&mut self, ctx: &mut dyn Context, update: &OrderUpdate) {
        self.inner().on_order(ctx, update);
    }
    fn on_timer(&mut self, ctx: &mut dyn Context, timer: TimerId) {
        self.inner().on_timer(ctx, timer);
    }
    fn on_stop(&mut self, ctx: &mut dyn Context) {
        self.inner().on_stop(ctx);
    }
    fn book_depth(&self) -> Option<usize> {
        match self {
            Self::ImbalanceMm(s) => s.book_depth(),
            Self::LeadLag(s) => s.book_depth(),
            Self::SmaCross(s) => s.book_depth(),
            Self::EmaCross(s) => s.book_depth(),
        }
    }
    fn bars(&self) -> &[kestrel_model::BarSpec] {
        match self {
            Self::ImbalanceMm(s) => s.bars(),
            Self::LeadLag(s) => s.bars(),
            Self::SmaCross(s) => s.bars(),
            Self::EmaCross(s) => s.bars(),
        }
    }
}
