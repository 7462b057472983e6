#![allow(clippy::unwrap_used, clippy::expect_used)]

use kestrel_model::{
    ClientOrderId, Decimal, ExecKind, FeeAsset, Instrument, Liquidity, OrderStatus, OrderType,
    Price, Qty, Side,
};

use super::*;

fn btcusdt() -> Instrument {
    let mut i = kestrel_model::testing::instrument("0.01", "0.00001");
    i.native_symbol = kestrel_model::Symbol::new("BTCUSDT").unwrap();
    i
}

#[test]
fn order_objects_read_onto_the_grid() {
    let body = br#"{"symbol":"BTCUSDT","orderId":28,"orderListId":-1,"clientOrderId":"km-1-a",
        "price":"61837.63000000","origQty":"0.00100000","executedQty":"0.00040000",
        "cummulativeQuoteQty":"24.735","status":"PARTIALLY_FILLED","timeInForce":"GTC",
        "type":"LIMIT","side":"SELL","updateTime":1499827319559}"#;
    let o = order(body, &btcusdt()).unwrap();
    assert_eq!(o.client_id, ClientOrderId::new("km-1-a").unwrap());
    assert_eq!(o.price, Some(Price::from_ticks(6_183_763)));
    assert_eq!((o.qty, o.filled), (Qty::from_lots(100), Qty::from_lots(40)));
    assert_eq!(o.status, OrderStatus::PartiallyFilled);
    assert_eq!((o.side, o.kind), (Side::Sell, OrderType::Limit));
    // Off the grid is an error, never a rounded value.
    let off = br#"{"orderId":1,"clientOrderId":"a","price":"1.001","origQty":"1","executedQty":"0",
        "status":"NEW","type":"LIMIT","side":"BUY"}"#;
    assert!(matches!(order(off, &btcusdt()), Err(VenueError::Decode(_))));
}

#[test]
fn a_cancel_answer_names_the_order_in_orig_client_order_id() {
    let body = br#"{"symbol":"BTCUSDT","origClientOrderId":"km-1-b","orderId":4,
        "clientOrderId":"cancel-req-9","price":"100.00","origQty":"1.00000",
        "executedQty":"0.00000","status":"CANCELED","type":"LIMIT_MAKER","side":"BUY"}"#;
    let o = order(body, &btcusdt()).unwrap();
    assert_eq!(o.client_id.as_str(), "km-1-b");
    assert_eq!(o.kind, OrderType::PostOnly);
}

#[test]
fn execution_reports_become_exec_reports() {
    let i = btcusdt();
    let trade = br#"{"subscriptionId":0,"event":{"e":"executionReport","E":1,"s":"BTCUSDT",
        "c":"km-1-c","S":"BUY","o":"LIMIT","f":"GTC","q":"0.00200000","p":"100.00",
        "x":"TRADE","X":"PARTIALLY_FILLED","i":7,"l":"0.00050000","z":"0.00050000",
        "L":"99.99","n":"0.0000005","N":"USDT","T":1700000000123,"t":42,"m":true,"C":""}}"#;
    let r = pushed_execution_report(trade, only(&i)).unwrap().unwrap();
    let ExecKind::Trade(fill) = r.kind else {
        panic!("{r:?}")
    };
    assert_eq!(fill.trade_id, 42);
    assert_eq!(fill.price, Price::from_ticks(9999));
    assert_eq!(fill.qty, Qty::from_lots(50));
    assert_eq!(fill.liquidity, Liquidity::Maker);
    assert_eq!(fill.fee, Decimal::parse("0.0000005").unwrap());
    assert_eq!(fill.fee_asset, FeeAsset::Quote);
    let in_base = std::str::from_utf8(trade)
        .unwrap()
        .replace(r#""N":"USDT""#, r#""N":"BTC""#);
    let in_bnb = std::str::from_utf8(trade)
        .unwrap()
        .replace(r#""N":"USDT""#, r#""N":"BNB""#);
    for (frame, asset) in [(in_base, FeeAsset::Base), (in_bnb, FeeAsset::Other)] {
        let r = pushed_execution_report(frame.as_bytes(), only(&i))
            .unwrap()
            .unwrap();
        assert!(
            matches!(r.kind, ExecKind::Trade(f) if f.fee_asset == asset),
            "{r:?}"
        );
    }
    assert_eq!(
        (r.filled, r.leaves),
        (Qty::from_lots(50), Qty::from_lots(150))
    );
    assert_eq!(r.time.as_nanos(), 1_700_000_000_123_000_000);

    let cancel = br#"{"event":{"e":"executionReport","s":"BTCUSDT","c":"cxl-1","C":"km-1-c",
        "S":"BUY","q":"0.00200000","x":"CANCELED","X":"CANCELED","i":7,"l":"0","z":"0.00050000",
        "L":"0","n":"0","T":1,"t":-1,"m":false}}"#;
    let r = pushed_execution_report(cancel, only(&i)).unwrap().unwrap();
    assert_eq!(r.client_id.as_str(), "km-1-c");
    assert_eq!((r.kind, r.leaves), (ExecKind::Canceled, Qty::ZERO));

    let other = br#"{"event":{"e":"executionReport","s":"ETHUSDT","c":"x","S":"BUY","q":"1",
        "x":"NEW","X":"NEW","i":1,"l":"0","z":"0","L":"0","n":"0","T":1,"t":-1,"m":false}}"#;
    assert_eq!(pushed_execution_report(other, only(&i)).unwrap(), None);
    assert!(pushed_execution_report(b"{\"event\":{}}", only(&i)).is_err());
}

#[test]
fn trades_and_balances() {
    let i = btcusdt();
    let body = br#"[{"symbol":"BTCUSDT","id":3,"orderId":7,"orderListId":-1,"price":"100.00",
        "qty":"0.00100","quoteQty":"0.1","commission":"0.0001","commissionAsset":"USDT",
        "time":5,"isBuyer":false,"isMaker":false,"isBestMatch":true},
        {"symbol":"BTCUSDT","id":4,"orderId":8,"orderListId":-1,"price":"100.00",
        "qty":"0.00100","quoteQty":"0.1","commission":"0.000001","commissionAsset":"BTC",
        "time":6,"isBuyer":true,"isMaker":true,"isBestMatch":true}]"#;
    let f = fills(body, &i).unwrap();
    assert_eq!(f.len(), 2);
    assert_eq!(
        (f[0].fee_asset, f[1].fee_asset),
        (FeeAsset::Quote, FeeAsset::Base)
    );
    assert_eq!(
        (f[0].trade_id, f[0].side, f[0].liquidity),
        (3, Side::Sell, Liquidity::Taker)
    );
    let account = br#"{"balances":[{"asset":"USDT","free":"99.5","locked":"0.50000000"}]}"#;
    let b = balances(account).unwrap();
    assert_eq!(b[0].asset.as_str(), "USDT");
    assert_eq!(b[0].locked, Decimal::parse("0.5").unwrap());
}

/// The instrument of `i`'s symbol only, as an account trading just it.
fn only(i: &Instrument) -> impl Fn(&str) -> Option<Instrument> + '_ {
    move |s| (s == i.native_symbol.as_str()).then(|| i.clone())
}
