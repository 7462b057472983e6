//! [`SimVenue`]: the matching engines behind order-entry and ack latency.
//!
//! Two clocks meet here. Market events carry the venue's time and our
//! receive time; the venue works in its own time, the strategy in ours.
//! A command the strategy sends at local time `t` reaches the venue at
//! `t + entry latency`, and is matched against the market as it stood then;
//! the venue's answers reach the strategy `ack latency` after they happen.
//! Each direction keeps its order, as one TCP connection would.

use kestrel_model::{
    BookDelta, BookSnapshot, Decimal, EventTime, Instrument, InstrumentId, Qty, Side, Trade,
    UnixNanos,
};

use crate::latency::{FeedLatency, LatencyModel};
use crate::ledger::Ledger;
use crate::link::Link;
use crate::matching::{MatchingEngine, OrderRef, rejected_report};
use crate::order::{AccountId, OrderId, OrderRequest};
use crate::report::{ExecReport, RejectReason};
use crate::rng::SplitMix64;
use kestrel_book::queue::QueueModel;

/// The simulator's settings; with the same data they fix every result.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct SimConfig {
    /// How recorded cancellations move our queue position.
    pub queue_model: QueueModel,
    /// From our send to the venue's receipt.
    pub order_entry: LatencyModel,
    /// From the venue's action to our receipt of its report.
    pub ack: LatencyModel,
    /// When market data reaches the strategy.
    pub feed: FeedLatency,
    /// The strategy's (local) clock minus the venue's, in ns. Recording
    /// hosts are rarely synced to the venue; [`local_clock_offset`] estimates
    /// it from recorded data. Commands sent at local `t` reach the venue at
    /// venue time `t − offset + entry latency`; reports made at venue time
    /// `v` reach the strategy at local `v + offset + ack latency`.
    pub local_offset_ns: i64,
    /// Seed of the latency draws.
    pub seed: u64,
    /// Refuse orders the account's [`Ledger`] balance cannot pay for, and
    /// book every fill there (server mode). Backtests that keep positions
    /// themselves leave it off.
    pub enforce_balances: bool,
    /// Trade-only data (no book recorded): a market order fills whole at
    /// the next trade's price, this many ticks worse.
    pub trade_slippage_ticks: u32,
}

/// What a client sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// A new order.
    Submit(OrderRequest),
    /// Cancel an open order.
    Cancel {
        /// Whose order.
        account: AccountId,
        /// Its market.
        instrument: InstrumentId,
        /// Which order.
        target: OrderRef,
    },
}

/// What the venue sends back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VenueEvent {
    /// A change to an order.
    Report(ExecReport),
    /// A cancel that was refused (the order was unknown or already done).
    CancelRejected {
        /// Whose cancel.
        account: AccountId,
        /// Its market.
        instrument: InstrumentId,
        /// The order it named.
        target: OrderRef,
        /// Why.
        reason: RejectReason,
        /// Venue time of the refusal.
        time: UnixNanos,
    },
}

/// The simulated venue: one [`MatchingEngine`] per instrument, reached
/// through latency. Feed it the recorded market in venue-time order with
/// `on_*`, send commands with [`Self::send`], collect answers with
/// [`Self::next_event`].
#[derive(Debug)]
pub struct SimVenue {
    engines: Vec<MatchingEngine>,
    inbound: Link<Command>,
    outbound: Link<VenueEvent>,
    rng: SplitMix64,
    feed: FeedLatency,
    local_offset_ns: i64,
    /// Draws of the feed latency, apart from the order path's so that
    /// trading does not change when data arrives.
    feed_rng: SplitMix64,
    next_order_id: u64,
    ledger: Option<Ledger>,
    /// Venue time of the latest event processed.
    now: UnixNanos,
    scratch: Vec<ExecReport>,
}

impl SimVenue {
    /// A venue trading `instruments`, empty books, under `config`.
    pub fn new(instruments: impl IntoIterator<Item = Instrument>, config: SimConfig) -> Self {
        Self {
            engines: instruments
                .into_iter()
                .map(|i| {
                    MatchingEngine::new(i, config.queue_model)
                        .with_trade_slippage(config.trade_slippage_ticks)
                })
                .collect(),
            inbound: Link::new(config.order_entry),
            outbound: Link::new(config.ack),
            rng: SplitMix64::new(config.seed),
            feed: config.feed,
            local_offset_ns: config.local_offset_ns,
            feed_rng: SplitMix64::new(config.seed ^ 0x5EED_FEED),
            next_order_id: 1,
            ledger: config.enforce_balances.then(Ledger::new),
            now: UnixNanos::new(0),
            scratch: Vec::new(),
        }
    }

    /// What a market order spending `quote` would trade now on
    /// `instrument` (see [`MatchingEngine::qty_for_quote`]).
    pub fn qty_for_quote(
        &self,
        instrument: InstrumentId,
        side: Side,
        quote: Decimal,
    ) -> Option<Qty> {
        self.engine(instrument)
            .map(|e| e.qty_for_quote(side, quote))
    }

    /// The engine of one instrument.
    pub fn engine(&self, instrument: InstrumentId) -> Option<&MatchingEngine> {
        self.engines
            .iter()
            .find(|e| e.instrument().id == instrument)
    }

    /// The accounts' balances, if the venue enforces them.
    pub fn ledger(&self) -> Option<&Ledger> {
        self.ledger.as_ref()
    }

    /// The ledger, to fund accounts.
    pub fn ledger_mut(&mut self) -> Option<&mut Ledger> {
        self.ledger.as_mut()
    }

    /// Venue time of the latest event or command processed.
    pub fn now(&self) -> UnixNanos {
        self.now
    }

    /// When a market event stamped `time` reaches the strategy, by the
    /// feed latency model. Call once per event, in order.
    pub fn feed_arrival(&mut self, time: EventTime) -> UnixNanos {
        self.feed.arrival(time, &mut self.feed_rng)
    }

    /// Sends a command at local time `now`.
    pub fn send(&mut self, now: UnixNanos, command: Command) {
        let at_venue = shift(now, -self.local_offset_ns);
        self.inbound.send(at_venue, &mut self.rng, [command]);
    }

    /// The next answer that has reached us by local time `now`.
    pub fn next_event(&mut self, now: UnixNanos) -> Option<VenueEvent> {
        self.outbound.pop_due(now).map(|(_, e)| e)
    }

    /// When the next answer reaches us, if one is in flight.
    pub fn next_event_time(&self) -> Option<UnixNanos> {
        self.outbound.next_due()
    }

    /// Venue time at which the next command in flight reaches the venue.
    /// A runner that merges clocks advances the venue to it, so the
    /// command's answer is made on time even when no market event follows.
    pub fn next_command_time(&self) -> Option<UnixNanos> {
        self.inbound.next_due()
    }

    /// The strategy's clock minus the venue's, in ns.
    pub fn local_offset_ns(&self) -> i64 {
        self.local_offset_ns
    }

    /// Processes the commands that have reached the venue by venue time `now`.
    #[inline]
    pub fn advance_to(&mut self, now: UnixNanos) {
        // Most calls find nothing due: a check inline, the work apart.
        if self.inbound.next_due().is_some_and(|at| at <= now) {
            self.execute_due(now);
        }
        self.now = self.now.max(now);
    }

    #[inline(never)]
    fn execute_due(&mut self, now: UnixNanos) {
        while let Some((at, command)) = self.inbound.pop_due(now) {
            self.now = self.now.max(at);
            self.execute(command);
        }
    }

    /// A recorded diff, at its venue time.
    pub fn on_delta(&mut self, delta: &BookDelta) {
        self.on_market(delta.instrument, delta.time.exchange, |e, now, out| {
            e.on_delta(delta, now, out)
        });
    }

    /// A recorded snapshot, at its venue time.
    pub fn on_snapshot(&mut self, snapshot: &BookSnapshot) {
        self.on_market(
            snapshot.instrument,
            snapshot.time.exchange,
            |e, now, out| e.on_snapshot(snapshot, now, out),
        );
    }

    /// A recorded trade, at its venue time.
    pub fn on_trade(&mut self, trade: &Trade) {
        self.on_market(trade.instrument, trade.time.exchange, |e, now, out| {
            e.on_trade(trade, now, out)
        });
    }

    fn on_market(
        &mut self,
        instrument: InstrumentId,
        at: UnixNanos,
        apply: impl FnOnce(&mut MatchingEngine, UnixNanos, &mut Vec<ExecReport>),
    ) {
        self.advance_to(at);
        let now = self.now;
        let Some(engine) = self
            .engines
            .iter_mut()
            .find(|e| e.instrument().id == instrument)
        else {
            return;
        };
        let mut out = std::mem::take(&mut self.scratch);
        apply(engine, now, &mut out);
        // Most market events touch none of our orders: nothing to publish.
        if !out.is_empty() {
            self.publish(&mut out);
        }
        self.scratch = out;
    }

    fn execute(&mut self, command: Command) {
        let now = self.now;
        let mut out = std::mem::take(&mut self.scratch);
        match command {
            Command::Submit(req) => {
                let id = OrderId(self.next_order_id);
                self.next_order_id += 1;
                match self
                    .engines
                    .iter_mut()
                    .find(|e| e.instrument().id == req.instrument)
                {
                    Some(engine) if engine.has_open(req.account, req.client_id) => {
                        out.push(rejected_report(
                            id,
                            req,
                            RejectReason::DuplicateClientId,
                            now,
                        ));
                    }
                    Some(engine) => {
                        let held = self.ledger.as_mut().map(|l| hold_for(l, engine, id, &req));
                        match held {
                            Some(Err(reason)) => out.push(rejected_report(id, req, reason, now)),
                            _ => engine.submit(id, req, now, &mut out),
                        }
                    }
                    None => out.push(rejected_report(
                        id,
                        req,
                        RejectReason::UnknownInstrument,
                        now,
                    )),
                }
            }
            Command::Cancel {
                account,
                instrument,
                target,
            } => {
                let result = match self
                    .engines
                    .iter_mut()
                    .find(|e| e.instrument().id == instrument)
                {
                    Some(engine) => engine.cancel(account, target, now, &mut out),
                    None => Err(RejectReason::UnknownInstrument),
                };
                if let Err(reason) = result {
                    self.outbound.send(
                        shift(now, self.local_offset_ns),
                        &mut self.rng,
                        [VenueEvent::CancelRejected {
                            account,
                            instrument,
                            target,
                            reason,
                            time: now,
                        }],
                    );
                }
            }
        }
        self.publish(&mut out);
        self.scratch = out;
    }

    fn publish(&mut self, out: &mut Vec<ExecReport>) {
        if let Some(ledger) = &mut self.ledger {
            for r in out.iter() {
                let engine = self
                    .engines
                    .iter()
                    .find(|e| e.instrument().id == r.instrument);
                if let Some(engine) = engine {
                    // Amounts of real orders stay far inside the range.
                    let _ = ledger.apply(engine.instrument(), r);
                }
            }
        }
        if !out.is_empty() {
            self.outbound.send(
                shift(self.now, self.local_offset_ns),
                &mut self.rng,
                out.drain(..).map(VenueEvent::Report),
            );
        }
    }
}

/// `t` moved by `by` ns, saturating at the ends of time.
fn shift(t: UnixNanos, by: i64) -> UnixNanos {
    UnixNanos::new(t.as_nanos().saturating_add_signed(by))
}

/// The local clock's offset from the venue's, estimated from recorded
/// events as the smallest `local − venue` gap: the fastest message is taken
/// to have crossed in no time (an NTP-style lower bound). `None` without
/// events.
pub fn local_clock_offset(times: impl IntoIterator<Item = EventTime>) -> Option<i64> {
    times
        .into_iter()
        .map(|t| t.local.nanos_since(t.exchange))
        .min()
}

/// Holds what `req` may spend: the base quantity of a sell; for a buy,
/// the notional at its limit (or trigger, or the current walk for a market
/// order) plus the taker fee on it.
fn hold_for(
    ledger: &mut Ledger,
    engine: &mut MatchingEngine,
    id: OrderId,
    req: &OrderRequest,
) -> Result<(), RejectReason> {
    let i = engine.instrument();
    let (base, quote, lot, taker_fee) = (i.base, i.quote, i.lot, i.taker_fee);
    let lots = i64::try_from(req.qty.lots()).map_err(|_| RejectReason::QtyTooSmall)?;
    let (asset, amount) = match req.side {
        Side::Sell => (base, Some(Decimal::from_steps(lots, &lot))),
        Side::Buy => {
            let at = if req.kind.has_limit_price() {
                req.price
            } else {
                req.trigger
            };
            let notional = match at {
                Some(price) => i.notional(price, req.qty),
                None => engine.market_cost(req),
            };
            let with_fee = notional.and_then(|n| n.checked_add(n.checked_mul(taker_fee)?));
            (quote, with_fee)
        }
    };
    let amount = amount.ok_or(RejectReason::InsufficientBalance)?;
    ledger
        .hold(req.account, id, asset, amount)
        .map_err(|_| RejectReason::InsufficientBalance)
}

#[cfg(test)]
mod tests {
    use kestrel_model::{ClientOrderId, Decimal, EventTime, Level, Price, Qty, Side};

    use super::*;
    use crate::report::ExecKind;

    fn instrument() -> Instrument {
        crate::test_support::instrument("1", "1", "0", "0")
    }

    fn at(ns: u64) -> UnixNanos {
        UnixNanos::new(ns)
    }

    fn snapshot(exchange: u64, ask: i64) -> BookSnapshot {
        BookSnapshot {
            instrument: instrument().id,
            last_update_id: 1,
            time: EventTime {
                exchange: at(exchange),
                local: at(exchange + 7),
            },
            bids: vec![],
            asks: vec![Level {
                price: Price::from_ticks(ask),
                qty: Qty::from_lots(100),
            }],
        }
    }

    fn buy(cid: &str) -> Command {
        Command::Submit(OrderRequest::market(
            AccountId(1),
            instrument().id,
            ClientOrderId::new(cid).unwrap(),
            Side::Buy,
            Qty::from_lots(1),
        ))
    }

    fn fill_price(e: VenueEvent) -> Option<i64> {
        match e {
            VenueEvent::Report(ExecReport {
                kind: ExecKind::Trade(f),
                ..
            }) => Some(f.price.ticks()),
            _ => None,
        }
    }

    #[test]
    fn orders_meet_the_market_as_it_stood_when_they_arrived() {
        let config = SimConfig {
            order_entry: LatencyModel::Constant(100),
            ack: LatencyModel::Constant(50),
            ..SimConfig::default()
        };
        let mut venue = SimVenue::new([instrument()], config);
        venue.on_snapshot(&snapshot(1_000, 10));
        assert_eq!(venue.feed_arrival(snapshot(1_000, 10).time), at(1_007));
        // Sent at 1_050, it reaches the venue at 1_150: after the ask moved
        // to 11 at 1_120, before it moved to 12 at 1_200.
        venue.send(at(1_050), buy("a"));
        venue.on_snapshot(&snapshot(1_120, 11));
        venue.on_snapshot(&snapshot(1_200, 12));
        assert_eq!(
            venue.next_event_time(),
            Some(at(1_200)),
            "processed at 1_150, reported at +50"
        );
        assert!(venue.next_event(at(1_199)).is_none());
        let events: Vec<_> = std::iter::from_fn(|| venue.next_event(at(1_200))).collect();
        assert_eq!(events.len(), 2, "new, then the fill");
        assert_eq!(fill_price(events[1]), Some(11));
        // A cancel of an unknown order is refused, after the same latencies.
        venue.send(
            at(2_000),
            Command::Cancel {
                account: AccountId(1),
                instrument: instrument().id,
                target: OrderRef::Venue(OrderId(99)),
            },
        );
        venue.advance_to(at(2_100));
        assert!(matches!(
            venue.next_event(at(2_150)),
            Some(VenueEvent::CancelRejected {
                reason: RejectReason::UnknownOrder,
                ..
            })
        ));
    }

    #[test]
    fn a_local_clock_behind_the_venue_is_corrected_for() {
        // Our clock runs 1_000 ns behind the venue's.
        let offset = local_clock_offset([EventTime {
            exchange: at(2_000),
            local: at(1_000),
        }])
        .unwrap();
        assert_eq!(offset, -1_000);
        let config = SimConfig {
            order_entry: LatencyModel::Constant(100),
            ack: LatencyModel::Constant(50),
            local_offset_ns: offset,
            ..SimConfig::default()
        };
        let mut venue = SimVenue::new([instrument()], config);
        venue.on_snapshot(&snapshot(1_000, 10));
        // Sent at local 1_050 = venue 2_050, it arrives at venue 2_150:
        // after the ask moved to 11 (2_100), before 12 (2_200).
        venue.send(at(1_050), buy("a"));
        venue.on_snapshot(&snapshot(2_100, 11));
        venue.on_snapshot(&snapshot(2_200, 12));
        // Made at venue 2_150, seen at local 2_150 − 1_000 + 50.
        assert_eq!(venue.next_event_time(), Some(at(1_200)));
        let events: Vec<_> = std::iter::from_fn(|| venue.next_event(at(1_200))).collect();
        assert_eq!(fill_price(events[1]), Some(11));
    }

    /// Runs 200 orders through random latencies; returns every event with
    /// the local time it was seen.
    fn session(seed: u64) -> Vec<(UnixNanos, VenueEvent)> {
        let config = SimConfig {
            order_entry: LatencyModel::recorded(vec![10, 40, 90, 300]).unwrap(),
            ack: LatencyModel::recorded(vec![5, 25, 60]).unwrap(),
            seed,
            ..SimConfig::default()
        };
        let mut venue = SimVenue::new([instrument()], config);
        let mut seen = Vec::new();
        for k in 0..200u64 {
            let t = 1_000 + k * 50;
            venue.on_snapshot(&snapshot(t, 10 + (k % 7) as i64));
            venue.send(at(t), buy(&format!("o{k}")));
            while let Some(e) = venue.next_event(at(t)) {
                seen.push((at(t), e));
            }
        }
        seen
    }

    #[test]
    fn the_same_seed_gives_the_same_session_and_another_seed_another() {
        let a = session(42);
        assert_eq!(a, session(42));
        assert_ne!(a, session(43));
        // Each order's reports still arrive in order: new before its fill.
        for pair in a.windows(2) {
            if let (VenueEvent::Report(x), VenueEvent::Report(y)) = (pair[0].1, pair[1].1) {
                if x.order_id == y.order_id {
                    assert!(x.filled <= y.filled);
                }
            }
        }
    }

    #[test]
    fn with_balances_enforced_an_order_the_account_cannot_pay_for_is_rejected() {
        let config = SimConfig {
            enforce_balances: true,
            ..SimConfig::default()
        };
        let mut venue = SimVenue::new([instrument()], config);
        let i = instrument();
        let ledger = venue.ledger_mut().unwrap();
        ledger
            .deposit(AccountId(1), i.quote, Decimal::parse("15").unwrap())
            .unwrap();
        venue.on_snapshot(&snapshot(1_000, 10));
        venue.send(at(1_000), buy("a"));
        venue.send(at(1_000), buy("b"));
        venue.advance_to(at(1_000));
        let events: Vec<_> = std::iter::from_fn(|| venue.next_event(at(1_000))).collect();
        assert_eq!(fill_price(events[1]), Some(10));
        assert!(matches!(
            events[2],
            VenueEvent::Report(ExecReport {
                kind: ExecKind::Rejected(RejectReason::InsufficientBalance),
                ..
            })
        ));
        let ledger = venue.ledger().unwrap();
        assert_eq!(
            ledger.balance(AccountId(1), i.base).free,
            Decimal::parse("1").unwrap()
        );
        assert_eq!(
            ledger.balance(AccountId(1), i.quote).free,
            Decimal::parse("5").unwrap()
        );
        assert_eq!(ledger.balance(AccountId(1), i.quote).locked, Decimal::ZERO);
    }
}
