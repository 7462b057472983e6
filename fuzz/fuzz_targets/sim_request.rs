//! Requests to the simulator: any query string, form body, stream name and
//! control JSON give a typed answer; a market-data query they describe is
//! answered; an order they describe, however odd, goes through the venue
//! (balances enforced) without a panic.
#![no_main]

use kestrel_registry::testing::spot_btcusdt;
use kestrel_model::{
    Asset, BookSnapshot, Decimal, EventTime, Level, Price, Qty, UnixNanos,
};
use kestrel_sim::{AccountId, Command, SimConfig, SimVenue};
use kestrel_sim_server::request::{Params, order_request};
use kestrel_sim_server::{ApiKey, ApiKeys, FaultConfig};
use kestrel_sim_server::market::{MarketData, request as market};
use libfuzzer_sys::fuzz_target;

/// The market-data parsers over the same text, their queries answered by
/// a few trades' worth of data; a stream name from the control line.
fn market_data(params: &Params, name: &str) {
    let _ = kestrel_sim_server::streams::parse(name, "btcusdt", false);
    let _ = kestrel_sim_server::streams::parse(name, "btcusdt", true);
    if let Ok(scope) = market::scope(params, "BTCUSDT") {
        let _ = (market::day_ticker_weight(scope), market::rolling_weight(scope));
    }
    let _ = (market::full(params), market::window_size(params));
    let mut data = MarketData::default();
    for id in 0..50u64 {
        let at = UnixNanos::from_millis(1_700_000_000_000 + id * 700);
        let _ = data.on_trade(&kestrel_model::Trade {
            instrument: spot_btcusdt().id,
            trade_id: id,
            price: Price::from_ticks(6_000_000 + (id % 7) as i64),
            qty: Qty::from_lots(1 + id),
            aggressor: None,
            time: EventTime { exchange: at, local: at },
        });
    }
    if let Ok(kestrel_sim_server::exchange::MarketQuery::Aggs(q)) = market::aggs(params) {
        let _ = data.aggs(q);
    }
    if let Ok(kestrel_sim_server::exchange::MarketQuery::Trades { from_id, limit }) =
        market::trades(params, true)
    {
        let _ = data.trades(from_id, limit);
    }
    if let Ok(len_s) = market::window_size(params) {
        let _ = data.window_of(len_s, 1_700_000_040);
    }
}

/// The USDⓈ-M order parsers over the same text; an order either reads is
/// put through the margin accounts at its own price: a check, a fill, the
/// views, funding and liquidation, never a panic.
fn futures(params: &Params) {
    use kestrel_sim::margin::{Brackets, MarginAccounts, OpenOrder, base_qty};
    use kestrel_sim_server::futures::request::{Entry, order_request as futures_order};
    let perp = kestrel_registry::testing::usdm_btcusdt();
    for entry in [Entry::Order, Entry::Algo] {
        let Ok(order) = futures_order(&perp, AccountId(1), params, entry, || "gen".into()) else {
            continue;
        };
        let r = order.request;
        let mut margin = MarginAccounts::new();
        let _ = margin.add_contract(&perp, Brackets::binance_btcusdt());
        let _ = margin.deposit(AccountId(1), Decimal::from(10_000));
        let price = perp.price_decimal(r.price.or(r.trigger).unwrap_or(Price::from_ticks(600_000)));
        let Some(qty) = base_qty(&perp, r.qty) else {
            continue;
        };
        let marks = move |_| Some(price);
        let none = |_| Vec::new();
        let open = OpenOrder { side: r.side, qty, price };
        let _ = margin.check_order(AccountId(1), perp.id, open, &marks, &none);
        let _ = margin.on_fill(AccountId(1), perp.id, r.side, price, qty, Decimal::ZERO);
        let _ = margin.position_view(AccountId(1), perp.id, price, &marks);
        let _ = margin.account_view(AccountId(1), &marks, &none);
        let _ = margin.fund(perp.id, price, Decimal::parse("0.0001").unwrap_or_default());
        let _ = margin.liquidate(perp.id, Decimal::from(1), &|_| Some(Decimal::from(1)));
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(3, '\n');
    let (query, body, control) = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
    );
    let keys = ApiKeys(vec![ApiKey::hmac("k", "s", AccountId(1))]);
    let clocks = kestrel_sim_server::auth::SigningClocks {
        wall: 1_700_000_000_000,
        venue_start: 1_723_161_255_000,
        venue_latest: 1_723_161_300_000,
    };
    let _ = keys.verify(Some("k"), query, body, clocks);
    let _ = serde_json::from_str::<FaultConfig>(control);
    let _ = kestrel_sim_server::auth::ed25519_public_key_from_pem(control);

    let instrument = spot_btcusdt();
    let params = Params::new(query, body);
    market_data(&params, control);
    futures(&params);
    let Ok(parsed) = order_request(&instrument, AccountId(1), &params, || "gen".into()) else {
        return;
    };
    let mut request = parsed.request;
    let mut venue = SimVenue::new(
        [instrument.clone()],
        SimConfig {
            enforce_balances: true,
            ..SimConfig::default()
        },
    );
    if let (Some(ledger), Ok(usdt), Ok(btc)) =
        (venue.ledger_mut(), Asset::new("USDT"), Asset::new("BTC"))
    {
        let _ = ledger.deposit(AccountId(1), usdt, Decimal::parse("1000000").unwrap_or_default());
        let _ = ledger.deposit(AccountId(1), btc, Decimal::parse("10").unwrap_or_default());
    }
    let level = |ticks, lots| Level {
        price: Price::from_ticks(ticks),
        qty: Qty::from_lots(lots),
    };
    venue.on_snapshot(&BookSnapshot {
        instrument: instrument.id,
        last_update_id: 1,
        time: EventTime::default(),
        bids: vec![level(6_000_000, 100_000), level(5_999_000, 500_000)],
        asks: vec![level(6_000_100, 100_000), level(6_001_000, 500_000)],
    });
    if let Some(quote) = parsed.quote_qty {
        request.qty = venue
            .qty_for_quote(instrument.id, request.side, quote)
            .unwrap_or(Qty::ZERO);
    }
    venue.send(UnixNanos::new(0), Command::Submit(request));
    venue.advance_to(UnixNanos::new(1));
    while venue.next_event(UnixNanos::new(u64::MAX)).is_some() {}
    if let Some(engine) = venue.engine(instrument.id) {
        assert!(!engine.book().is_crossed());
    }
});
