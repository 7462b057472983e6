//! The same recorded data, configuration and seed give the same fills,
//! byte for byte; another seed (other latency draws) gives other ones.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use kestrel_model::{ClientOrderId, EventTime, Price, Qty, Side, UnixNanos};
use kestrel_registry::testing::spot_btcusdt;
use kestrel_sim::{
    AccountId, Command, LatencyModel, OrderRequest, QueueModel, SelfTradePrevention, SimConfig,
    SimVenue, local_clock_offset,
};
use kestrel_sim_server::{MarketReplay, StreamKind};

fn capture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/sample/binance_spot_btcusdt_20240808.raw.gz")
}

/// The recording host's clock against Binance's, from the capture (it
/// runs about 2 s behind).
fn clock_offset() -> i64 {
    let instrument = spot_btcusdt();
    let mut venue = SimVenue::new([instrument.clone()], SimConfig::default());
    let mut replay = MarketReplay::open(&capture(), &instrument).unwrap();
    let times = std::iter::from_fn(|| replay.next_frame(&mut venue))
        .filter(|f| f.kind != StreamKind::BookTicker)
        .map(|f| EventTime {
            exchange: f.exchange,
            local: f.recorded,
        });
    local_clock_offset(times).unwrap()
}

/// Replays the whole spot capture with a quoting loop (a bid and an ask at
/// the touch every 50 frames, plus a market order every 500) under
/// recorded latencies; returns every report as text, and the fill count.
fn session(seed: u64) -> (Vec<String>, usize) {
    let instrument = spot_btcusdt();
    let config = SimConfig {
        local_offset_ns: clock_offset(),
        queue_model: QueueModel::Probabilistic { power: 2.0 },
        order_entry: LatencyModel::recorded(vec![300_000, 450_000, 800_000, 2_500_000]).unwrap(),
        ack: LatencyModel::recorded(vec![200_000, 350_000, 1_200_000]).unwrap(),
        seed,
        ..SimConfig::default()
    };
    let mut venue = SimVenue::new([instrument.clone()], config);
    let mut replay = MarketReplay::open(&capture(), &instrument).unwrap();
    let mut reports = Vec::new();
    let mut fills = 0;
    let mut n = 0u64;
    while let Some(frame) = replay.next_frame(&mut venue) {
        replay.apply_staged(&mut venue);
        let now = UnixNanos::new(frame.recorded.as_nanos());
        while let Some(event) = venue.next_event(now) {
            if let kestrel_sim::VenueEvent::Report(r) = &event {
                fills += usize::from(matches!(r.kind, kestrel_sim::ExecKind::Trade(_)));
            }
            reports.push(format!("{event:?}"));
        }
        n += 1;
        let Some(engine) = venue.engine(instrument.id) else {
            continue;
        };
        let (Some(bid), Some(ask)) = (engine.book().best_bid(), engine.book().best_ask()) else {
            continue;
        };
        let order = |k: u64, side: Side, price: Option<Price>| {
            let (id, qty) = (
                ClientOrderId::new(&format!("d{k}")).unwrap(),
                Qty::from_lots(100_000),
            );
            let request = match price {
                Some(price) => {
                    OrderRequest::limit(AccountId(1), instrument.id, id, side, price, qty)
                }
                None => OrderRequest::market(AccountId(1), instrument.id, id, side, qty),
            };
            Command::Submit(OrderRequest {
                stp: SelfTradePrevention::ExpireMaker,
                ..request
            })
        };
        if n % 50 == 0 {
            venue.send(now, order(2 * n, Side::Buy, Some(bid.price)));
            venue.send(now, order(2 * n + 1, Side::Sell, Some(ask.price)));
        }
        if n % 500 == 0 {
            let side = if n % 1000 == 0 { Side::Buy } else { Side::Sell };
            venue.send(now, order(3 * n + 7, side, None));
        }
    }
    (reports, fills)
}

#[test]
fn same_data_config_and_seed_give_identical_fills() {
    let offset = clock_offset();
    assert!(
        (-5_000_000_000..0).contains(&offset),
        "the recorder runs behind Binance: {offset} ns"
    );
    let (a, fills) = session(11);
    assert!(fills > 100, "the session must trade: {fills} fills");
    let (b, _) = session(11);
    assert_eq!(a.len(), b.len());
    assert!(a == b, "same seed, different reports");
    let (c, _) = session(12);
    assert!(a != c, "another seed draws other latencies, so other fills");
}
