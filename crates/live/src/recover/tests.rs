//! A restart against our simulator while an order of ours fills between
//! the reconciliation's queries and the balance read.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Mutex;

use kestrel_binance::{BinanceConfig, BinanceExecution};
use kestrel_model::{Asset, ClientOrderId, OrderId, OrderType, Qty, Side, TimeInForce, UnixNanos};
use kestrel_registry::testing::spot_btcusdt;
use kestrel_sim::AccountId;
use kestrel_sim_server::{ApiKey, ApiKeys, ServerConfig};
use kestrel_venue::{Credentials, OrderSpec, VenueBalance, VenueFill, VenueOrder};

use super::*;
use crate::UnknownOrderPolicy;
use crate::session::tests::idle_session;

/// The venue, where `trade` is carried out right after the first look at
/// the fills: an order filling while the restart looks elsewhere.
struct TradesMeanwhile {
    venue: BinanceExecution,
    trade: Mutex<Option<OrderSpec>>,
}

impl ExecutionClient for TradesMeanwhile {
    fn instrument(&self) -> &Instrument {
        ExecutionClient::instrument(&self.venue)
    }

    async fn submit(&self, order: &OrderSpec) -> Result<VenueOrder, VenueError> {
        self.venue.submit(order).await
    }

    async fn cancel(&self, id: ClientOrderId) -> Result<VenueOrder, VenueError> {
        self.venue.cancel(id).await
    }

    async fn cancel_all(&self) -> Result<Vec<VenueOrder>, VenueError> {
        self.venue.cancel_all().await
    }

    async fn order(&self, id: ClientOrderId) -> Result<VenueOrder, VenueError> {
        self.venue.order(id).await
    }

    async fn order_by_venue_id(&self, id: OrderId) -> Result<VenueOrder, VenueError> {
        self.venue.order_by_venue_id(id).await
    }

    async fn open_orders(&self) -> Result<Vec<VenueOrder>, VenueError> {
        self.venue.open_orders().await
    }

    async fn orders_from(&self, start: UnixNanos) -> Result<Vec<VenueOrder>, VenueError> {
        self.venue.orders_from(start).await
    }

    async fn fills(&self, from_trade_id: u64) -> Result<Vec<VenueFill>, VenueError> {
        let fills = self.venue.fills(from_trade_id).await;
        let trade = self.trade.lock().unwrap().take();
        if let Some(order) = trade {
            self.venue.submit(&order).await?;
        }
        fills
    }

    async fn order_fills(&self, id: OrderId) -> Result<Vec<VenueFill>, VenueError> {
        self.venue.order_fills(id).await
    }

    async fn balances(&self) -> Result<Vec<VenueBalance>, VenueError> {
        self.venue.balances().await
    }
}

#[tokio::test]
async fn a_fill_during_the_restart_is_found_before_the_balances_are_checked() {
    let account = AccountId(1);
    let (btc, usdt) = (Decimal::from(1), Decimal::from(100_000));
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/sample/binance_spot_btcusdt_20240808.raw.gz");
    let server = kestrel_sim_server::start(ServerConfig {
        keys: ApiKeys(vec![ApiKey::hmac("k", "s", account)]),
        deposits: vec![
            (account, Asset::new("BTC").unwrap(), btc),
            (account, Asset::new("USDT").unwrap(), usdt),
        ],
        ..ServerConfig::loopback(data, spot_btcusdt())
    })
    .await
    .unwrap();
    let instrument = spot_btcusdt();
    let venue = BinanceExecution::new(
        BinanceConfig::simulator(server.addr.port()),
        Credentials::new("k", "s"),
        instrument.clone(),
    )
    .unwrap();
    venue.sync_clock().await.unwrap();
    let venue = TradesMeanwhile {
        venue,
        trade: Mutex::new(Some(OrderSpec {
            instrument: IX,
            id: ClientOrderId::new("kp-0-1").unwrap(),
            side: Side::Sell,
            kind: OrderType::Market,
            time_in_force: TimeInForce::Gtc,
            price: None,
            qty: Qty::from_lots(100_000),
        })),
    };

    let (mut session, _orders, _resyncs) = idle_session();
    let plan = RecoveryPlan {
        applied: HashSet::new(),
        start_balances: [(IX, (btc, usdt))].into(),
        unknown_orders: UnknownOrderPolicy::Adopt,
        session_ms: 2,
    };

    let legs = [Leg {
        ix: IX,
        venue: &venue,
        instrument: &instrument,
        account: 0,
    }];
    let found = recover(&mut session, &legs, plan).await.unwrap().remove(0);
    assert_eq!(
        found.passes, 2,
        "the balances moved during the first: {found:?}"
    );
    assert_eq!(
        found.adopted, 1,
        "the second pass found the order: {found:?}"
    );
    assert!(found.missed_fills >= 1);
    assert_eq!(
        session.kernel().position().net_lots(),
        -100_000,
        "the sell is in the position"
    );
}

/// The one instrument of these tests.
const IX: kestrel_model::InstrumentIndex = kestrel_model::InstrumentIndex::FIRST;

/// Two markets on one account sharing USDT: bought 0.002 BTC at 100 and
/// 0.5 ETH at 10, the account's USDT fell by both (5.2), which neither
/// market's fills alone account for; a USDT balance 0.01 short of that is
/// one drift, of USDT.
#[test]
fn a_shared_asset_moves_by_every_market_on_the_account() {
    let d = |s: &str| Decimal::parse(s).unwrap();
    let btc = spot_btcusdt();
    let mut eth = spot_btcusdt();
    eth.base = Asset::new("ETH").unwrap();
    let markets = [
        (&btc, (d("0.002"), d("-0.2")), (d("1"), d("1000"))),
        (&eth, (d("0.5"), d("-5")), (d("2"), d("1000"))),
    ];
    let assets = [btc.base, btc.quote, eth.base];
    let moves = account_moves(&markets, &assets, &[d("1.002"), d("994.8"), d("2.5")]);
    assert_eq!(reconcile::balances_agree(&moves), Ok(()));
    let short = account_moves(&markets, &assets, &[d("1.002"), d("994.79"), d("2.5")]);
    let drift = reconcile::balances_agree(&short).unwrap_err();
    assert_eq!(drift.0.len(), 1);
    assert_eq!(drift.0[0].asset, btc.quote);
    assert_eq!(drift.0[0].fills, d("-5.2"));
}
