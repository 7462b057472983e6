//! [`TradeFile`]: trades read from a file one at a time, whatever its
//! layout, so a backtest can run on trades alone.

use kestrel_model::Trade;

use crate::FeedError;

/// A file of trades: Tardis `trades`, Binance's public trades and
/// aggTrades, Parquet.
pub trait TradeFile {
    /// The next trade; `None` at the end. A bad row is a recoverable
    /// [`FeedError::Frame`]: the caller counts it and goes on.
    fn next_trade(&mut self) -> Option<Result<Trade, FeedError>>;
}

impl<T: TradeFile + ?Sized> TradeFile for Box<T> {
    fn next_trade(&mut self) -> Option<Result<Trade, FeedError>> {
        (**self).next_trade()
    }
}

/// Trades already in memory, as a [`TradeFile`] (tests and benchmarks).
#[derive(Clone, Debug)]
pub struct TradeIter<I>(pub I);

impl<I: Iterator<Item = Trade>> TradeFile for TradeIter<I> {
    fn next_trade(&mut self) -> Option<Result<Trade, FeedError>> {
        self.0.next().map(Ok)
    }
}
