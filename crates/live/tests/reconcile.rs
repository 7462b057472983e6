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
            None,
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

#[tokio::test]
async fn an_order_sent_and_cancelled_before_its_record_reached_the_journal_is_adopted() {
    use kestrel_exec::ClientOrderIds;
    use kestrel_live::reconcile::{Correction, LostIds};
    use kestrel_model::{ExecKind, UnixNanos};

    let server = server().await;
    let venue = BinanceExecution::new(
        BinanceConfig::simulator(server.addr.port()),
        Credentials::new("k", "s"),
        spot_btcusdt(),
    )
    .unwrap();
    venue.sync_clock().await.unwrap();
    let crash_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    // The crashed session had issued (and journaled) one id; it sent a
    // second and cancelled it, and the crash cut both records.
    let mut ids = ClientOrderIds::new("kst0", crash_ms - 5_000);
    let journaled = resting(ids.next_id().as_str());
    let restored = ids.clone();
    let lost = resting(ids.next_id().as_str());
    let foreign = resting("manual-7");
    for order in [&journaled, &lost, &foreign] {
        venue.submit(order).await.unwrap();
        venue.cancel(order.id).await.unwrap();
    }
    let instrument = spot_btcusdt();
    let generators = [restored];
    let found = reconcile(
        &venue,
        (InstrumentIndex::FIRST, &instrument),
        &[],
        None,
        ReconcileMode::Restart(UnknownOrderPolicy::Cancel),
        Some(LostIds {
            generators: &generators,
            after: UnixNanos::from_millis(crash_ms),
        }),
    )
    .await
    .unwrap();
    assert_eq!(found.adopted, 1, "{found:?}");
    assert!(found.to_cancel.is_empty(), "it is closed already");
    assert!(
        matches!(
            found.corrections.as_slice(),
            [Correction::Adopt(a), .., Correction::Report(r)]
                if a.id == lost.id && r.client_id == lost.id && r.kind == ExecKind::Canceled
        ),
        "{found:?}"
    );
}

/// The one instrument of these tests.
const IX: kestrel_model::InstrumentIndex = kestrel_model::InstrumentIndex::FIRST;
