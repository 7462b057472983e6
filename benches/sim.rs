//! The simulator replaying the bundled capture in process, with 10 of our
//! orders resting (`cargo bench -p kestrel-benches --bench sim`).
//!
//! * `sim_replay/venue_10_resting`: every market event (the 6,5xx applied
//!   diffs with their 443k level updates, and 21k trades) through
//!   [`SimVenue`], with 5 bids and 5 asks kept resting 0–4 ticks from the
//!   touch: filled orders are replaced, and all ten are cancelled and
//!   re-placed at the touch every 200 messages, so ten are always working
//!   near the market and the queue, fill and cross checks all run.
//! * `sim_replay/book_only`: the same events into a bare `OrderBook`, the
//!   floor the simulator's overhead is measured against.
//!
//! Throughput is counted in market events: level updates plus trades.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kestrel_benches::load_market_events;
use kestrel_book::OrderBook;
use kestrel_model::{ClientOrderId, Instrument, MarketEvent, Price, Qty, Side};
use kestrel_sim::{
    AccountId, Command, ExecKind, OrderRef, OrderRequest, SimConfig, SimVenue, VenueEvent,
};

fn order(instrument: &Instrument, client_id: ClientOrderId, side: Side, price: Price) -> Command {
    Command::Submit(OrderRequest::limit(
        AccountId(1),
        instrument.id,
        client_id,
        side,
        price,
        Qty::from_lots(5),
    ))
}

/// Replays `events` with ten orders resting 0–4 ticks from the touch,
/// re-placed at the touch every 200 venue messages as a quoting strategy
/// would; returns our fills.
fn replay(instrument: &Instrument, events: &[MarketEvent]) -> u64 {
    let mut venue = SimVenue::new([instrument.clone()], SimConfig::default());
    let mut next_id = 0u64;
    let mut fills = 0;
    let mut working: Vec<ClientOrderId> = Vec::with_capacity(16);
    for (n, event) in events.iter().enumerate() {
        let now = match event {
            MarketEvent::Delta(d) => {
                venue.on_delta(d);
                d.time.exchange
            }
            MarketEvent::Trade(t) => {
                venue.on_trade(t);
                t.time.exchange
            }
            MarketEvent::Snapshot(s) => {
                venue.on_snapshot(s);
                s.time.exchange
            }
            MarketEvent::Quote(_) | MarketEvent::Bar(_) => continue,
        };
        while let Some(e) = venue.next_event(now) {
            if let VenueEvent::Report(r) = e {
                if matches!(r.kind, ExecKind::Trade(_)) {
                    fills += 1;
                }
                if !r.status.is_open() {
                    working.retain(|c| *c != r.client_id);
                }
            }
        }
        if n % 200 == 0 {
            for client_id in working.drain(..) {
                venue.send(
                    now,
                    Command::Cancel {
                        account: AccountId(1),
                        instrument: instrument.id,
                        target: OrderRef::Client(client_id),
                    },
                );
            }
            venue.advance_to(now);
            while venue.next_event(now).is_some() {}
        }
        if working.len() < 10 {
            let Some(engine) = venue.engine(instrument.id) else {
                continue;
            };
            let (Some(bid), Some(ask)) = (engine.book().best_bid(), engine.book().best_ask())
            else {
                continue;
            };
            while working.len() < 10 {
                let offset = (next_id % 5) as i64;
                let (side, price) = if next_id % 2 == 0 {
                    (Side::Buy, bid.price.checked_offset(-offset))
                } else {
                    (Side::Sell, ask.price.checked_offset(offset))
                };
                next_id += 1;
                let (Some(price), Ok(client_id)) =
                    (price, ClientOrderId::new(&format!("b{next_id}")))
                else {
                    continue;
                };
                venue.send(now, order(instrument, client_id, side, price));
                working.push(client_id);
            }
            venue.advance_to(now);
        }
    }
    fills
}

fn sim_benches(c: &mut Criterion) {
    let (instrument, events) = load_market_events().unwrap_or_else(|e| panic!("{e}"));
    let count: u64 = events
        .iter()
        .map(|e| match e {
            MarketEvent::Delta(d) => d.updates.len() as u64,
            _ => 1,
        })
        .sum();
    let fills = replay(&instrument, &events);
    println!(
        "{} venue messages, {count} market events (level updates + trades); {fills} fills of our orders",
        events.len()
    );

    let mut g = c.benchmark_group("sim_replay");
    g.throughput(Throughput::Elements(count));
    g.sample_size(20);
    g.bench_function("venue_10_resting", |b| {
        b.iter(|| black_box(replay(&instrument, &events)))
    });
    g.bench_function("book_only", |b| {
        b.iter(|| {
            let mut book = OrderBook::new(&instrument);
            for event in &events {
                match event {
                    MarketEvent::Delta(d) => {
                        for u in &d.updates {
                            book.update_level(u.side, u.price, u.qty);
                        }
                    }
                    MarketEvent::Snapshot(s) => {
                        let _ = book.load_snapshot(s);
                    }
                    _ => {}
                }
            }
            black_box(book.best_bid())
        })
    });
    g.finish();
}

criterion_group!(benches, sim_benches);
criterion_main!(benches);
