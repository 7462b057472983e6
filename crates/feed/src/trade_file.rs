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

/// Trades in one batch from the reading thread.
const BATCH: usize = 4096;
/// Batches read ahead of the consumer.
const AHEAD: usize = 4;

/// A [`TradeFile`] read and parsed on a thread of its own, a few batches
/// ahead of whoever consumes it: on two cores, parsing a file and
/// backtesting its trades overlap instead of adding up. Trades come in
/// the file's order; bad rows reach the consumer as they would unthreaded.
pub struct ReadAhead {
    batches: std::sync::mpsc::Receiver<Vec<Result<Trade, FeedError>>>,
    batch: std::vec::IntoIter<Result<Trade, FeedError>>,
}

impl ReadAhead {
    /// Starts reading `file` on a new thread.
    pub fn new<T: TradeFile + Send + 'static>(mut file: T) -> Self {
        let (send, batches) = std::sync::mpsc::sync_channel(AHEAD);
        std::thread::spawn(move || {
            loop {
                let mut batch = Vec::with_capacity(BATCH);
                let mut fatal = false;
                while batch.len() < BATCH {
                    match file.next_trade() {
                        Some(item) => {
                            fatal = item.as_ref().is_err_and(|e| !e.is_recoverable());
                            batch.push(item);
                            if fatal {
                                break;
                            }
                        }
                        None => break,
                    }
                }
                let done = batch.len() < BATCH || fatal;
                // A consumer gone means nobody wants the rest.
                if send.send(batch).is_err() || done {
                    return;
                }
            }
        });
        Self {
            batches,
            batch: Vec::new().into_iter(),
        }
    }
}

impl TradeFile for ReadAhead {
    fn next_trade(&mut self) -> Option<Result<Trade, FeedError>> {
        loop {
            if let Some(item) = self.batch.next() {
                return Some(item);
            }
            // The reader stops after a short batch: a closed channel is the
            // end of the file.
            self.batch = self.batches.recv().ok()?.into_iter();
        }
    }
}
