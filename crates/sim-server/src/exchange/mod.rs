//! The exchange task: the one owner of the simulated venue, its records and
//! the market replay. HTTP handlers and the clock talk to it by message, so
//! every order and every market event is processed one at a time, in
//! arrival order, with no lock.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use kestrel_model::{Asset, ClientOrderId, Decimal, Instrument, Level, Qty, UnixNanos};
use kestrel_sim::{
    AccountId, Balance, Command, ExecReport, OrderId, OrderRef, OrderRequest, RejectReason,
    SimVenue, VenueEvent,
};
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::time::{Instant, sleep_until};

use crate::clock::{ClockMode, MarketClock, VenueClock};
use crate::faults::{FaultLog, MarketFault, SharedFaults};
use crate::market::kline_streams::KlineStreams;
use crate::market::{AggQuery, MarketData};
use crate::orders::{OrderRecord, OrderRecords, PositionTerms, TradeRecord};
use crate::replay::{MarketFrame, MarketReplay};

mod futures;
mod market;

pub use futures::{FuturesOrder, FuturesReject, FuturesRequest, MarginUpdate, Premium, Snapshot};

/// A report to an account's user-data stream.
#[derive(Clone, Debug)]
pub enum AccountEvent {
    /// An order changed.
    Report(ExecReport, Box<OrderRecord>),
    /// Balances after a change.
    Balances(AccountId, Vec<(Asset, Balance)>),
    /// A futures account's margin after a change.
    Margin(AccountId, Box<MarginUpdate>),
    /// A futures position closed by liquidation, with the wall time.
    Liquidated(kestrel_sim::margin::Liquidation, u64),
}

impl AccountEvent {
    /// The account it belongs to.
    pub fn account(&self) -> AccountId {
        match self {
            Self::Report(r, _) => r.account,
            Self::Balances(a, _) | Self::Margin(a, _) => *a,
            Self::Liquidated(l, _) => l.account,
        }
    }
}

/// Depth as `GET /api/v3/depth` returns it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DepthView {
    /// The book's update id.
    pub last_update_id: u64,
    /// Best first.
    pub bids: Vec<Level>,
    /// Best first.
    pub asks: Vec<Level>,
}

/// What the HTTP side asks the exchange task.
#[derive(Debug)]
pub enum Request {
    /// A new order, with the quote amount a market order spends if it
    /// names one instead of a quantity; the reply carries every report it
    /// produced at once, and the order's record unless it was rejected.
    Submit(
        OrderRequest,
        Option<Decimal>,
        oneshot::Sender<(Vec<ExecReport>, Option<OrderRecord>)>,
    ),
    /// Cancel one order.
    Cancel(
        AccountId,
        OrderRef,
        oneshot::Sender<Result<OrderRecord, RejectReason>>,
    ),
    /// Cancel all of an account's open orders.
    CancelAll(AccountId, oneshot::Sender<Vec<OrderRecord>>),
    /// One order.
    Order(
        AccountId,
        Option<OrderId>,
        Option<ClientOrderId>,
        oneshot::Sender<Option<OrderRecord>>,
    ),
    /// An account's open orders.
    OpenOrders(AccountId, oneshot::Sender<Vec<OrderRecord>>),
    /// Every order of the account (`GET /api/v3/allOrders`).
    AllOrders(AccountId, oneshot::Sender<Vec<OrderRecord>>),
    /// An account's fills.
    Trades(AccountId, oneshot::Sender<Vec<TradeRecord>>),
    /// An account's balances.
    Balances(AccountId, oneshot::Sender<Vec<(Asset, Balance)>>),
    /// The book, best `limit` levels per side; `None` before the first sync.
    Depth(usize, oneshot::Sender<Option<DepthView>>),
    /// Klines of the trades so far: interval (s), start and end (s), limit.
    Klines(KlineQuery, oneshot::Sender<Vec<crate::klines::Kline>>),
    /// The filters a submit would apply, without submitting.
    TestOrder(OrderRequest, oneshot::Sender<Result<(), RejectReason>>),
    /// Public market data as of the market clock, as Binance's JSON.
    Market(MarketQuery, oneshot::Sender<serde_json::Value>),
    /// A USDⓈ-M question.
    Futures(FuturesRequest),
    /// Change the clock's pace.
    SetClock(ClockMode),
    /// Release `n` frames of a stepped clock.
    Step(u64),
}

/// A klines request: interval, optional start and end (s), limit.
#[derive(Clone, Copy, Debug)]
pub struct KlineQuery {
    /// Interval, s.
    pub len_s: u64,
    /// Opening at or after, s.
    pub start_s: Option<u64>,
    /// Opening at or before, s.
    pub end_s: Option<u64>,
    /// At most.
    pub limit: usize,
}

/// A public market-data question.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarketQuery {
    /// `ticker/24hr`, full or mini.
    Day {
        /// `type=FULL`.
        full: bool,
    },
    /// `ticker` over a window of this many seconds, full or mini.
    Rolling {
        /// The window, s.
        len_s: u64,
        /// `type=FULL`.
        full: bool,
    },
    /// `ticker/price`.
    Price,
    /// `ticker/bookTicker`.
    BookTicker,
    /// `avgPrice`.
    AvgPrice,
    /// `trades` (newest) and `historicalTrades` (from an id).
    Trades {
        /// From this trade id on.
        from_id: Option<u64>,
        /// At most.
        limit: usize,
    },
    /// `aggTrades`.
    Aggs(AggQuery),
}

/// Channels the exchange task publishes on.
#[derive(Clone, Debug)]
pub struct Outlets {
    /// Market frames, after fault injection.
    pub market: broadcast::Sender<Arc<MarketFrame>>,
    /// Order and balance events.
    pub accounts: broadcast::Sender<Arc<AccountEvent>>,
}

/// Wall-clock milliseconds, the time base of order and account messages.
pub fn wall_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// The exchange task's state.
pub struct Exchange {
    venue: SimVenue,
    instrument: Instrument,
    replay: MarketReplay,
    clock: MarketClock,
    records: OrderRecords,
    outlets: Outlets,
    faults: SharedFaults,
    log: FaultLog,
    /// The next frame, read ahead so its due time is known.
    next: Option<MarketFrame>,
    /// A frame held back by a reorder fault, sent after the next one.
    held: Option<MarketFrame>,
    /// The trades released so far, by second, for klines.
    klines: crate::klines::KlineHistory,
    /// The trades released so far, for tickers and trade lists.
    market: MarketData,
    /// The klines in progress, for the kline streams.
    kline_streams: KlineStreams,
    /// The market clock: the newest released frame's venue time, ms.
    market_ms: u64,
    /// Margin, mark price and funding, when the instrument is a linear
    /// contract.
    futures: Option<crate::futures::Futures>,
    /// The venue's clock, which the HTTP side reads too.
    venue_clock: VenueClock,
}

impl Exchange {
    /// An exchange over `replay`; accounts must be funded in `venue` already.
    pub fn new(
        venue: SimVenue,
        instrument: Instrument,
        replay: MarketReplay,
        clock: ClockMode,
        outlets: Outlets,
        faults: SharedFaults,
        log: FaultLog,
    ) -> Self {
        let mut exchange = Self {
            venue,
            instrument,
            replay,
            clock: MarketClock::new(clock),
            venue_clock: VenueClock::new(0),
            records: OrderRecords::default(),
            outlets,
            faults,
            log,
            next: None,
            held: None,
            klines: crate::klines::KlineHistory::default(),
            market: MarketData::default(),
            kline_streams: KlineStreams::default(),
            market_ms: 0,
            futures: None,
        };
        // The first frame is read now, so that the venue's clock stands at
        // the recording's start before any client asks the time.
        exchange.next = exchange.replay.next_frame(&mut exchange.venue);
        let first_ms = exchange
            .next
            .as_ref()
            .map(|f| f.exchange.as_nanos() / 1_000_000);
        exchange
            .venue_clock
            .released(first_ms.unwrap_or(0), first_ms);
        exchange.venue_clock.set_mode(clock);
        exchange
    }

    /// The venue's clock, for the HTTP side.
    pub fn venue_clock(&self) -> VenueClock {
        self.venue_clock.clone()
    }

    /// Serves a linear contract with these margin accounts.
    #[must_use]
    pub fn with_futures(mut self, futures: crate::futures::Futures) -> Self {
        self.futures = Some(futures);
        self
    }

    /// Runs until every request sender is gone.
    pub async fn run(mut self, mut requests: mpsc::Receiver<Request>) {
        self.drain_venue();
        loop {
            let due = self.next.as_ref().and_then(|f| self.clock.due(f.recorded));
            if due.is_some_and(|d| d <= Instant::now()) {
                // Due already (a stepped or fast clock): no timer, whose
                // tick costs a millisecond a frame; waiting requests first.
                loop {
                    match requests.try_recv() {
                        Ok(request) => self.handle(request),
                        Err(mpsc::error::TryRecvError::Empty) => break,
                        Err(mpsc::error::TryRecvError::Disconnected) => return,
                    }
                }
                self.release_frame();
                // The market's readers run between frames.
                tokio::task::yield_now().await;
                continue;
            }
            tokio::select! {
                request = requests.recv() => match request {
                    Some(request) => self.handle(request),
                    None => return,
                },
                () = sleep_until(due.unwrap_or_else(Instant::now)), if due.is_some() => {
                    self.release_frame();
                }
            }
        }
    }

    fn release_frame(&mut self) {
        let Some(frame) = self.next.take() else {
            return;
        };
        self.clock.released();
        let closed = self.market_before(&frame);
        self.replay.apply_staged(&mut self.venue);
        let recorded = frame.recorded;
        self.publish(frame);
        self.market_after(recorded, closed);
        if self.futures.is_some() {
            self.futures_after_frame();
        }
        self.next = self.replay.next_frame(&mut self.venue);
        let next_ms = self
            .next
            .as_ref()
            .map(|f| f.exchange.as_nanos() / 1_000_000);
        self.venue_clock.released(self.market_ms, next_ms);
        self.drain_venue();
    }

    /// Sends a market frame through the configured faults.
    pub(super) fn publish(&mut self, frame: MarketFrame) {
        let fault = self.faults.market_fault(&frame, &self.log);
        let send = |f: MarketFrame| {
            // No subscriber is not an error.
            let _ = self.outlets.market.send(Arc::new(f));
        };
        match fault {
            MarketFault::None => {
                send(frame);
                if let Some(held) = self.held.take() {
                    send(held);
                }
            }
            MarketFault::Drop => {}
            MarketFault::Duplicate => {
                send(frame.clone());
                send(frame);
            }
            MarketFault::Reorder => {
                if let Some(earlier) = self.held.replace(frame) {
                    send(earlier);
                }
            }
            MarketFault::Delay(by) => {
                let market = self.outlets.market.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(by).await;
                    let _ = market.send(Arc::new(frame));
                });
            }
        }
    }

    fn handle(&mut self, request: Request) {
        match request {
            Request::Submit(mut req, quote, reply) => {
                if let Some(quote) = quote {
                    req.qty = self
                        .venue
                        .qty_for_quote(req.instrument, req.side, quote)
                        .unwrap_or(Qty::ZERO);
                }
                let reports = self.execute(Command::Submit(req), PositionTerms::default());
                let record = reports
                    .first()
                    .and_then(|r| self.records.find(r.account, Some(r.order_id), None))
                    .copied();
                let _ = reply.send((reports, record));
            }
            Request::Cancel(account, target, reply) => {
                let command = Command::Cancel {
                    account,
                    instrument: self.instrument.id,
                    target,
                };
                let rejected = self.cancel_rejection(command);
                let result = match rejected {
                    Some(reason) => Err(reason),
                    None => {
                        let (id, client) = match target {
                            OrderRef::Venue(id) => (Some(id), None),
                            OrderRef::Client(c) => (None, Some(c)),
                        };
                        self.records
                            .find(account, id, client)
                            .copied()
                            .ok_or(RejectReason::UnknownOrder)
                    }
                };
                let _ = reply.send(result);
            }
            Request::CancelAll(account, reply) => {
                let open: Vec<OrderId> = self.records.open(account).iter().map(|r| r.id).collect();
                let mut done = Vec::new();
                for id in open {
                    let command = Command::Cancel {
                        account,
                        instrument: self.instrument.id,
                        target: OrderRef::Venue(id),
                    };
                    if self.cancel_rejection(command).is_none() {
                        done.extend(self.records.find(account, Some(id), None).copied());
                    }
                }
                let _ = reply.send(done);
            }
            Request::Order(account, id, client, reply) => {
                let _ = reply.send(self.records.find(account, id, client).copied());
            }
            Request::AllOrders(account, reply) => {
                let all = self.records.all(account).into_iter().copied().collect();
                let _ = reply.send(all);
            }
            Request::OpenOrders(account, reply) => {
                let open = self.records.open(account).into_iter().copied().collect();
                let _ = reply.send(open);
            }
            Request::Klines(q, reply) => {
                let _ = reply.send(self.klines.query(q.len_s, q.start_s, q.end_s, q.limit));
            }
            Request::TestOrder(req, reply) => {
                let verdict = self
                    .venue
                    .engine(req.instrument)
                    .map_or(Err(RejectReason::UnknownInstrument), |e| e.validate(&req));
                let _ = reply.send(verdict);
            }
            Request::Market(q, reply) => {
                let _ = reply.send(self.market_answer(q));
            }
            Request::Trades(account, reply) => {
                let _ = reply.send(self.records.trades(account).to_vec());
            }
            Request::Balances(account, reply) => {
                let _ = reply.send(self.balances(account));
            }
            Request::Depth(limit, reply) => {
                let view = self
                    .replay
                    .last_update_id()
                    .zip(self.venue.engine(self.instrument.id))
                    .map(|(last_update_id, engine)| {
                        let side = |s| engine.book().levels(s).take(limit).collect();
                        DepthView {
                            last_update_id,
                            bids: side(kestrel_model::Side::Buy),
                            asks: side(kestrel_model::Side::Sell),
                        }
                    });
                let _ = reply.send(view);
            }
            Request::Futures(request) => self.handle_futures(request),
            Request::SetClock(mode) => {
                self.clock.set_mode(mode);
                self.venue_clock.set_mode(mode);
            }
            Request::Step(n) => self.clock.step(n),
        }
    }

    /// Runs a cancel; the reason if the venue refused it.
    fn cancel_rejection(&mut self, command: Command) -> Option<RejectReason> {
        let now = self.venue.now();
        self.venue.send(now, command);
        self.venue.advance_to(now);
        let mut refused = None;
        for event in self.collect_events(None) {
            if let VenueEvent::CancelRejected { reason, .. } = event {
                refused = Some(reason);
            }
        }
        refused
    }

    /// Runs a command now; returns the reports of the order it names.
    fn execute(&mut self, command: Command, terms: PositionTerms) -> Vec<ExecReport> {
        let now = self.venue.now();
        self.venue.send(now, command);
        self.venue.advance_to(now);
        let Command::Submit(req) = command else {
            return Vec::new();
        };
        self.collect_events(Some((req, terms)))
            .into_iter()
            .filter_map(|e| match e {
                VenueEvent::Report(r)
                    if r.client_id == req.client_id && r.account == req.account =>
                {
                    Some(r)
                }
                _ => None,
            })
            .collect()
    }

    /// Books and publishes everything the venue has reported; returns it.
    /// `submitted` is the request just sent, recorded under the id the
    /// venue gave it (rejected requests leave no order behind).
    fn collect_events(
        &mut self,
        submitted: Option<(OrderRequest, PositionTerms)>,
    ) -> Vec<VenueEvent> {
        let now_ms = self.venue_clock.now_ms();
        let mut events = Vec::new();
        let mut touched: Vec<AccountId> = Vec::new();
        while let Some(event) = self.venue.next_event(UnixNanos::new(u64::MAX)) {
            if let VenueEvent::Report(r) = event {
                let is_new = submitted
                    .filter(|(q, _)| q.account == r.account && q.client_id == r.client_id)
                    .filter(|_| {
                        self.records
                            .find(r.account, Some(r.order_id), None)
                            .is_none()
                    });
                match is_new {
                    Some(_) if r.status == kestrel_sim::OrderStatus::Rejected => {}
                    Some((req, terms)) => {
                        self.records.on_request(r.order_id, req, &r, now_ms);
                        self.records.set_terms(r.order_id, terms);
                    }
                    None => {}
                }
                let realized = self.futures_fill(&r);
                self.records
                    .on_report(&self.instrument, &r, now_ms, realized);
                if let Some(record) = self.records.find(r.account, Some(r.order_id), None) {
                    let _ = self
                        .outlets
                        .accounts
                        .send(Arc::new(AccountEvent::Report(r, Box::new(*record))));
                }
                if !touched.contains(&r.account) {
                    touched.push(r.account);
                }
            }
            events.push(event);
        }
        for account in touched {
            let event = if self.futures.is_some() {
                self.cancel_stale_reduce_only(account);
                self.margin_update(account, "ORDER", Decimal::ZERO)
            } else {
                Some(AccountEvent::Balances(account, self.balances(account)))
            };
            if let Some(event) = event {
                let _ = self.outlets.accounts.send(Arc::new(event));
            }
        }
        events
    }

    fn drain_venue(&mut self) {
        self.collect_events(None);
    }

    fn balances(&self, account: AccountId) -> Vec<(Asset, Balance)> {
        self.venue
            .ledger()
            .map(|l| l.balances(account).collect())
            .unwrap_or_default()
    }
}
