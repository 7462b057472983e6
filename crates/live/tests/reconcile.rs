//! Reconciliation after a restart, against our simulator over real
//! sockets: what happens to an order the journal was cancelling when the
//! crash came, and to an order the journal never heard of, by policy.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use kestrel_binance::{BinanceConfig, BinanceExecution};
use kestrel_exec::{OrderState, Working};
use kestrel_live::reconcile::{KnownOrder, reconcile};
use kestrel_live::{ReconcileMode, UnknownOrderPolicy};
use kestrel_model::{
    Asset, ClientOrderId, Decimal, InstrumentIndex, OrderType, Price, Qty, Side, TimeInForce,
};
use kestrel_registry::testing::spot_btcusdt;
use kestrel_sim::AccountId;
use kestrel_sim_server::{RunningServer, ServerConfig};
use kestrel_venue::{Credentials, ExecutionClient, OrderSpec};

async fn server() -> RunningServer {
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/sample/binance_spot_btcusdt_20240808.raw.gz");
    let deposits = [
        (Asset::new("USDT").unwrap(), Decimal::from(100_000)),
        (Asset::new("BTC").unwrap(), Decimal::from(1)),
    ];
    kestrel_sim_server::start(ServerConfig::loopback(data, spot_btcusdt()).with_account(
        "k",
        "s",
        AccountId(1),
        deposits,
    ))
    .await
    .unwrap()
}

/// A post-only bid far below the market: it rests.
fn resting(name: &str) -> OrderSpec {
    OrderSpec {
        instrument: IX,
        id: ClientOrderId::new(name).unwrap(),
        side: Side::Buy,
        kind: OrderType::PostOnly,
        time_in_force: TimeInForce::Gtc,
        price: Some(Price::from_ticks(3_000_000)),
        qty: Qty::from_lots(100_000),
    }
}

#[tokio::test]
async fn a_cut_cancel_is_sent_again_and_unknown_orders_follow_the_policy() {
    let server = server().await;
    let venue = BinanceExecution::new(
        BinanceConfig::simulator(server.addr.port()),
        Credentials::new("k", "s"),
        spot_btcusdt(),
    )
    .unwrap();
    venue.sync_clock().await.unwrap();
    let (ours, stranger) = (resting("kp-1-a"), resting("kp-1-b"));
    venue.submit(&ours).await.unwrap();
    venue.submit(&stranger).await.unwrap();
    // The journal had sent a cancel for `ours` when the crash came; the
    // venue never got it. It never heard of `stranger`.
    let known = [KnownOrder {
        id: ours.id,
        side: Side::Buy,
        state: OrderState::PendingCancel { was: Working::New },
        filled: Qty::ZERO,
    }];
    let instrument = spot_btcusdt();
    let run = |mode| {
        reconcile(
            &venue,
            (InstrumentIndex::FIRST, &instrument),
            &known,
            None,
            mode,
        )
    };

    let cancel = run(ReconcileMode::Restart(UnknownOrderPolicy::Cancel))
        .await
        .unwrap();
    assert_eq!((cancel.agreed, cancel.adopted), (1, 1), "{cancel:?}");
    assert_eq!(cancel.to_cancel, vec![ours.id, stranger.id]);

    let adopt = run(ReconcileMode::Restart(UnknownOrderPolicy::Adopt))
        .await
        .unwrap();
    assert_eq!(adopt.adopted, 1);
    assert_eq!(adopt.to_cancel, vec![ours.id], "the stranger keeps working");

    // Mid-session the cancel may still be on its way: nothing is resent.
    let live = run(ReconcileMode::Live).await.unwrap();
    assert!(live.to_cancel.is_empty(), "{live:?}");
}

/// The one instrument of these tests.
const IX: kestrel_model::InstrumentIndex = kestrel_model::InstrumentIndex::FIRST;
