//! The market maker against a recording `Context`.

use kestrel_exec::OrderState;
use kestrel_model::{ClientOrderId, Instrument, OrderType, Side, TimeInForce, UnixNanos};

use crate::api::{ContextError, NewOrder};

const IX: InstrumentIndex = InstrumentIndex::FIRST;
use kestrel_signals::{SignalConfig, Signals};

use super::*;

#[derive(Debug, Clone, PartialEq)]
enum Action {
    Place(Side, i64),
    Cancel(String),
    Replace(String, i64),
    CancelAll,
}

struct Recorder {
    instrument: Instrument,
    now: UnixNanos,
    trusted: bool,
    position: i64,
    actions: Vec<Action>,
    next: u64,
    queue_ahead: u64,
}

impl Context for Recorder {
    fn now(&self) -> UnixNanos {
        self.now
    }
    fn subscriptions(&self) -> &[InstrumentIndex] {
        &[IX]
    }
    fn instrument(&self, _: InstrumentIndex) -> Result<&Instrument, ContextError> {
        Ok(&self.instrument)
    }
    fn book(&self, ix: InstrumentIndex) -> Result<&OrderBook, ContextError> {
        Err(ContextError::NotSubscribed(ix))
    }
    fn book_trusted(&self, _: InstrumentIndex) -> bool {
        self.trusted
    }
    fn position_lots(&self, _: InstrumentIndex) -> i64 {
        self.position
    }
    fn open_orders(&self) -> &[OrderUpdate] {
        &[]
    }
    fn place(&mut self, order: NewOrder) -> Result<ClientOrderId, ContextError> {
        assert_eq!(
            (order.kind, order.time_in_force, order.instrument),
            (OrderType::PostOnly, TimeInForce::Gtx, IX)
        );
        let price = order.price.ok_or(ContextError::Refused)?;
        self.actions.push(Action::Place(order.side, price.ticks()));
        self.next += 1;
        ClientOrderId::new(&format!("q{}", self.next)).map_err(|_| ContextError::Refused)
    }
    fn cancel(&mut self, id: ClientOrderId) {
        self.actions.push(Action::Cancel(id.to_string()));
    }
    fn replace(
        &mut self,
        id: ClientOrderId,
        price: Price,
        _qty: Qty,
    ) -> Result<ClientOrderId, ContextError> {
        self.actions
            .push(Action::Replace(id.to_string(), price.ticks()));
        self.next += 1;
        ClientOrderId::new(&format!("q{}", self.next)).map_err(|_| ContextError::Refused)
    }
    fn queue_ahead(&self, _id: ClientOrderId) -> Option<u64> {
        Some(self.queue_ahead)
    }
    fn cancel_all(&mut self) {
        self.actions.push(Action::CancelAll);
    }
    fn close_position(&mut self, _: InstrumentIndex) {}
    fn set_timer(&mut self, _at: UnixNanos) -> crate::api::TimerId {
        crate::api::TimerId(0)
    }
}

fn instrument() -> Instrument {
    kestrel_model::testing::instrument("1", "1")
}

fn config() -> ImbalanceMmConfig {
    ImbalanceMmConfig {
        qty: Qty::from_lots(1),
        half_spread_ticks: 2.0,
        imbalance_skew_ticks: 0.0,
        inventory_skew_ticks: 4.0,
        max_position_lots: 10,
        reprice: RepricePolicy {
            min_move_ticks: 2,
            min_interval_ns: 1_000,
        },
        hopeless_queue_lots: 100,
        max_volatility: 0.01,
    }
}

/// A book 1000 × 5 / 1010 × 5: microprice 1005.
fn book(bid: i64, ask: i64) -> OrderBook {
    let mut b = OrderBook::new(&instrument());
    b.update_level(Side::Buy, Price::from_ticks(bid), Qty::from_lots(5));
    b.update_level(Side::Sell, Price::from_ticks(ask), Qty::from_lots(5));
    b
}

fn run(mm: &mut ImbalanceMm, ctx: &mut Recorder, book: &OrderBook) -> Vec<Action> {
    let signals = Signals::new(SignalConfig::default()).values(book);
    mm.on_book(ctx, IX, book, &signals);
    std::mem::take(&mut ctx.actions)
}

fn recorder() -> Recorder {
    Recorder {
        instrument: instrument(),
        now: UnixNanos::new(10_000),
        trusted: true,
        position: 0,
        actions: Vec::new(),
        next: 0,
        queue_ahead: 0,
    }
}

#[test]
fn quotes_around_fair_and_skews_away_from_inventory() {
    let mut mm = ImbalanceMm::new(config());
    let mut ctx = recorder();
    assert_eq!(
        run(&mut mm, &mut ctx, &book(1000, 1010)),
        [
            Action::Place(Side::Buy, 1003),
            Action::Place(Side::Sell, 1007)
        ]
    );
    // Long 5 of 10: fair moves down 2 ticks; the 2-tick move is enough to replace.
    let mut mm = ImbalanceMm::new(config());
    ctx.position = 5;
    assert_eq!(
        run(&mut mm, &mut ctx, &book(1000, 1010)),
        [
            Action::Place(Side::Buy, 1001),
            Action::Place(Side::Sell, 1005)
        ]
    );
    // At the cap, no bid.
    let mut mm = ImbalanceMm::new(config());
    ctx.position = 10;
    assert_eq!(
        run(&mut mm, &mut ctx, &book(1000, 1010)),
        [Action::Place(Side::Sell, 1003)]
    );
}

#[test]
fn reprices_only_on_a_real_move_and_pulls_on_untrusted_books() {
    let mut mm = ImbalanceMm::new(config());
    let mut ctx = recorder();
    run(&mut mm, &mut ctx, &book(1000, 1010));
    // Fair moves by one tick: both quotes keep their place.
    ctx.now = UnixNanos::new(20_000);
    assert_eq!(run(&mut mm, &mut ctx, &book(1001, 1011)), []);
    // By three ticks: both move.
    assert_eq!(
        run(&mut mm, &mut ctx, &book(1003, 1013)),
        [
            Action::Replace("q1".into(), 1006),
            Action::Replace("q2".into(), 1010)
        ]
    );
    // Within the interval, a further move waits.
    ctx.now = UnixNanos::new(20_500);
    assert_eq!(run(&mut mm, &mut ctx, &book(1010, 1020)), []);
    // An untrusted book pulls everything.
    ctx.trusted = false;
    assert_eq!(
        run(&mut mm, &mut ctx, &book(1010, 1020)),
        [Action::CancelAll]
    );
    // A cancelled quote is forgotten and placed again (the replacements
    // are q3 and q4: a replace is a new order).
    ctx.trusted = true;
    ctx.now = UnixNanos::new(30_000);
    for id in ["q3", "q4"] {
        mm.on_order(
            &mut ctx,
            &OrderUpdate {
                id: ClientOrderId::new(id).unwrap(),
                instrument: IX,
                state: OrderState::Cancelled,
                filled: Qty::ZERO,
                fill: None,
            },
        );
    }
    assert_eq!(
        run(&mut mm, &mut ctx, &book(1010, 1020)),
        [
            Action::Place(Side::Buy, 1013),
            Action::Place(Side::Sell, 1017)
        ]
    );
}

#[test]
fn a_hopeless_queue_place_is_given_up_for_a_one_tick_move() {
    let mut mm = ImbalanceMm::new(config());
    let mut ctx = recorder();
    run(&mut mm, &mut ctx, &book(1000, 1010));
    ctx.now = UnixNanos::new(20_000);
    ctx.queue_ahead = 101;
    assert_eq!(
        run(&mut mm, &mut ctx, &book(1001, 1011)),
        [
            Action::Replace("q1".into(), 1004),
            Action::Replace("q2".into(), 1008)
        ]
    );
}
