//! Binance USDⓈ-M JSON: orders, trades, positions, account, user-data
//! events, mark price and funding, exchange information.
//!
//! Prices are written on the instrument's grid, quantities on its lot,
//! amounts off any grid (margins, profits, fees) in their exact shortest
//! form; clients read all of them as decimal strings.

use kestrel_model::{Decimal, Instrument, OrderType, Price, Qty, Side, TimeInForce};
use kestrel_sim::margin::{Brackets, Liquidation, MarginType};
use kestrel_sim::{ExecReport, Liquidity};
use serde_json::{Map, Value, json};

use super::{FundingRecord, Income};
use crate::exchange::{DepthView, MarginUpdate, Premium, Snapshot};
use crate::orders::{OrderRecord, TradeRecord};
use crate::wire::{status, stp_mode};

fn side(s: Side) -> &'static str {
    match s {
        Side::Buy => "BUY",
        Side::Sell => "SELL",
    }
}

fn px(p: Option<Price>, i: &Instrument) -> String {
    p.unwrap_or(Price::ZERO).display(&i.tick).to_string()
}

fn qty(q: Qty, i: &Instrument) -> String {
    q.display(&i.lot).to_string()
}

/// An amount at most 8 decimals long, as the venue writes them (an entry
/// price averaged over fills carries 18 inside).
fn text(d: Decimal) -> String {
    super::round_dp(d, 8).to_string()
}

/// Binance USDⓈ-M's name of an order type.
pub fn order_type(t: OrderType) -> &'static str {
    match t {
        OrderType::Market => "MARKET",
        OrderType::Limit | OrderType::PostOnly => "LIMIT",
        OrderType::StopMarket => "STOP_MARKET",
        OrderType::StopLimit => "STOP",
        OrderType::TakeProfitMarket => "TAKE_PROFIT_MARKET",
        OrderType::TakeProfitLimit => "TAKE_PROFIT",
    }
}

fn time_in_force(kind: OrderType, t: TimeInForce) -> &'static str {
    match (kind, t) {
        (OrderType::PostOnly, _) | (_, TimeInForce::Gtx) => "GTX",
        (_, TimeInForce::Gtc) => "GTC",
        (_, TimeInForce::Ioc) => "IOC",
        (_, TimeInForce::Fok) => "FOK",
    }
}

/// The average fill price: Σ price × qty ÷ Σ qty, 0 before a fill.
fn avg_price(r: &OrderRecord, i: &Instrument) -> String {
    let filled = i
        .qty_decimal(r.last.filled)
        .and_then(|q| q.checked_mul(i.contract.multiplier))
        .filter(|q| *q != Decimal::ZERO);
    filled
        .and_then(|q| r.cum_quote.checked_div(q))
        .map_or_else(|| "0".to_owned(), text)
}

/// An order object (`GET /fapi/v1/order`, `openOrders`, `allOrders`, and
/// with `time` left out, the answers of new and cancelled orders).
pub fn order(r: &OrderRecord, i: &Instrument, with_time: bool) -> Value {
    let q = &r.request;
    let mut m = Map::new();
    let mut put = |k: &str, v: Value| {
        m.insert(k.into(), v);
    };
    put("orderId", json!(r.id.0));
    put("symbol", json!(i.native_symbol.as_str()));
    put("status", json!(status(r.last.status)));
    put("clientOrderId", json!(q.client_id.as_str()));
    put(
        "price",
        json!(px(q.price.filter(|_| q.kind.has_limit_price()), i)),
    );
    put("avgPrice", json!(avg_price(r, i)));
    put("origQty", json!(qty(q.qty, i)));
    put("executedQty", json!(qty(r.last.filled, i)));
    put("cumQty", json!(qty(r.last.filled, i)));
    put("cumQuote", json!(text(r.cum_quote)));
    put("timeInForce", json!(time_in_force(q.kind, q.time_in_force)));
    put("type", json!(order_type(q.kind)));
    put(
        "reduceOnly",
        json!(r.terms.reduce_only || r.terms.close_position),
    );
    put("closePosition", json!(r.terms.close_position));
    put("side", json!(side(q.side)));
    put("positionSide", json!("BOTH"));
    put("stopPrice", json!(px(q.trigger, i)));
    put("workingType", json!("CONTRACT_PRICE"));
    put("priceProtect", json!(false));
    put("origType", json!(order_type(q.kind)));
    put("priceMatch", json!("NONE"));
    put("selfTradePreventionMode", json!(stp_mode(q.stp)));
    put("goodTillDate", json!(0));
    if with_time {
        put("time", json!(r.created_ms));
    }
    put("updateTime", json!(r.updated_ms));
    Value::Object(m)
}

/// An algo order's status: waiting for its trigger as the order's own,
/// then `TRIGGERED` while the order it placed works and `FINISHED` once
/// that is done.
fn algo_status(r: &OrderRecord) -> &'static str {
    match (r.triggered_ms, r.last.status.is_open()) {
        (None, _) => status(r.last.status),
        (Some(_), true) => "TRIGGERED",
        (Some(_), false) => "FINISHED",
    }
}

/// An algo order object (`POST`/`GET /fapi/v1/algoOrder`,
/// `openAlgoOrders`, `allAlgoOrders`). Once triggered, its order works in
/// the book under the same id (`actualOrderId`).
pub fn algo_order(r: &OrderRecord, i: &Instrument) -> Value {
    let q = &r.request;
    json!({
        "algoId": r.id.0,
        "clientAlgoId": q.client_id.as_str(),
        "algoType": "CONDITIONAL",
        "orderType": order_type(q.kind),
        "symbol": i.native_symbol.as_str(),
        "side": side(q.side),
        "positionSide": "BOTH",
        "timeInForce": time_in_force(q.kind, q.time_in_force),
        "quantity": qty(q.qty, i),
        "algoStatus": algo_status(r),
        "actualOrderId": r.triggered_ms.map_or_else(String::new, |_| r.id.0.to_string()),
        "actualPrice": avg_price(r, i),
        "triggerPrice": px(q.trigger, i),
        "price": px(q.price.filter(|_| q.kind.has_limit_price()), i),
        "icebergQuantity": Value::Null,
        "selfTradePreventionMode": stp_mode(q.stp),
        "workingType": "CONTRACT_PRICE",
        "priceMatch": "NONE",
        "closePosition": r.terms.close_position,
        "priceProtect": false,
        "reduceOnly": r.terms.reduce_only || r.terms.close_position,
        "createTime": r.created_ms,
        "updateTime": r.updated_ms,
        "triggerTime": r.triggered_ms.unwrap_or(0),
        "goodTillDate": 0,
    })
}

/// A user-data `ALGO_UPDATE` event: an algo order placed, cancelled,
/// expired or triggered.
pub fn algo_update(r: &OrderRecord, i: &Instrument, now_ms: u64) -> Value {
    let q = &r.request;
    json!({
        "e": "ALGO_UPDATE",
        "T": now_ms,
        "E": now_ms,
        "o": {
            "caid": q.client_id.as_str(),
            "aid": r.id.0,
            "at": "CONDITIONAL",
            "o": order_type(q.kind),
            "s": i.native_symbol.as_str(),
            "S": side(q.side),
            "ps": "BOTH",
            "f": time_in_force(q.kind, q.time_in_force),
            "q": qty(q.qty, i),
            "X": algo_status(r),
            "ai": r.triggered_ms.map_or_else(String::new, |_| r.id.0.to_string()),
            "ap": avg_price(r, i),
            "aq": qty(r.last.filled, i),
            "act": if r.triggered_ms.is_some() { order_type(q.kind) } else { "0" },
            "tp": px(q.trigger, i),
            "p": px(q.price.filter(|_| q.kind.has_limit_price()), i),
            "V": stp_mode(q.stp),
            "wt": "CONTRACT_PRICE",
            "pm": "NONE",
            "cp": r.terms.close_position,
            "pP": false,
            "R": r.terms.reduce_only || r.terms.close_position,
            "tt": r.triggered_ms.unwrap_or(0),
            "gtd": 0,
        }
    })
}

/// A user-data `ORDER_TRADE_UPDATE` event.
pub fn order_trade_update(rep: &ExecReport, r: &OrderRecord, i: &Instrument, now_ms: u64) -> Value {
    let q = &r.request;
    let (x, fill) = crate::wire::execution_type(rep.kind);
    json!({
        "e": "ORDER_TRADE_UPDATE",
        "E": now_ms,
        "T": now_ms,
        "o": {
            "s": i.native_symbol.as_str(),
            "c": q.client_id.as_str(),
            "S": side(q.side),
            "o": order_type(q.kind),
            "f": time_in_force(q.kind, q.time_in_force),
            "q": qty(q.qty, i),
            "p": px(q.price.filter(|_| q.kind.has_limit_price()), i),
            "ap": avg_price(r, i),
            "sp": px(q.trigger, i),
            "x": x,
            "X": status(rep.status),
            "i": rep.order_id.0,
            "l": qty(fill.map_or(Qty::ZERO, |f| f.qty), i),
            "z": qty(rep.filled, i),
            "L": px(fill.map(|f| f.price), i),
            "N": i.contract.settle.as_str(),
            "n": fill.map_or_else(|| "0".to_owned(), |f| text(f.fee)),
            "T": now_ms,
            "t": fill.map_or(0, |f| f.trade_id),
            "b": "0",
            "a": "0",
            "m": fill.is_some_and(|f| f.liquidity == Liquidity::Maker),
            "R": r.terms.reduce_only || r.terms.close_position,
            "wt": "CONTRACT_PRICE",
            "ot": order_type(q.kind),
            "ps": "BOTH",
            "cp": r.terms.close_position,
            "rp": text(if fill.is_some() { r.last_realized } else { Decimal::ZERO }),
            "pP": false,
            "si": 0,
            "ss": 0,
            "V": stp_mode(q.stp),
            "pm": "NONE",
            "gtd": 0,
        }
    })
}

/// The `ORDER_TRADE_UPDATE` of a liquidation: the venue's own order.
pub fn liquidation_update(l: &Liquidation, i: &Instrument, now_ms: u64) -> Value {
    let q = text(l.qty);
    let p = text(l.price);
    json!({
        "e": "ORDER_TRADE_UPDATE",
        "E": now_ms,
        "T": now_ms,
        "o": {
            "s": i.native_symbol.as_str(), "c": format!("autoclose-{now_ms}"), "S": side(l.side),
            "o": "LIQUIDATION", "f": "IOC", "q": q, "p": p, "ap": p, "sp": "0",
            "x": "CALCULATED", "X": "FILLED", "i": 0, "l": q, "z": q, "L": p,
            "N": i.contract.settle.as_str(), "n": text(l.fee), "T": now_ms, "t": 0,
            "b": "0", "a": "0", "m": false, "R": true, "wt": "CONTRACT_PRICE",
            "ot": "LIQUIDATION", "ps": "BOTH", "cp": false, "rp": text(l.realized),
            "pP": false, "si": 0, "ss": 0, "V": "NONE", "pm": "NONE", "gtd": 0,
        }
    })
}

fn margin_type(t: MarginType, lower: bool) -> &'static str {
    match (t, lower) {
        (MarginType::Cross, true) => "cross",
        (MarginType::Isolated, true) => "isolated",
        (t, false) => t.as_str(),
    }
}

/// A user-data `ACCOUNT_UPDATE` event.
pub fn account_update(u: &MarginUpdate, i: &Instrument, now_ms: u64) -> Value {
    let p = &u.position;
    json!({
        "e": "ACCOUNT_UPDATE",
        "E": now_ms,
        "T": now_ms,
        "a": {
            "m": u.reason,
            "B": [{
                "a": i.contract.settle.as_str(),
                "wb": text(u.account.wallet),
                "cw": text(u.account.cross_wallet),
                "bc": text(u.change),
            }],
            "P": [{
                "s": i.native_symbol.as_str(),
                "pa": text(p.position.qty),
                "ep": text(p.position.entry),
                "bep": text(p.position.entry),
                "cr": "0",
                "up": text(p.unrealized),
                "mt": margin_type(p.settings.margin_type, true),
                "iw": text(p.position.isolated),
                "ps": "BOTH",
            }],
        }
    })
}

fn liquidation_text(s: &Snapshot) -> String {
    s.position.liquidation.map_or_else(|| "0".to_owned(), text)
}

/// `GET /fapi/v2/positionRisk`'s entry.
pub fn position_risk_v2(s: &Snapshot, i: &Instrument, now_ms: u64) -> Value {
    let p = &s.position;
    let isolated_margin = p.position.isolated.checked_add(p.unrealized);
    json!({
        "symbol": i.native_symbol.as_str(),
        "positionAmt": text(p.position.qty),
        "entryPrice": text(p.position.entry),
        "breakEvenPrice": text(p.position.entry),
        "markPrice": text(p.mark),
        "unRealizedProfit": text(p.unrealized),
        "liquidationPrice": liquidation_text(s),
        "leverage": p.settings.leverage.to_string(),
        "maxNotionalValue": text(p.max_notional),
        "marginType": margin_type(p.settings.margin_type, true),
        "isolatedMargin": text(match p.settings.margin_type {
            MarginType::Isolated => isolated_margin.unwrap_or(Decimal::ZERO),
            MarginType::Cross => Decimal::ZERO,
        }),
        "isAutoAddMargin": "false",
        "positionSide": "BOTH",
        "notional": text(p.position.qty.checked_mul(p.mark).unwrap_or(Decimal::ZERO)),
        "isolatedWallet": text(p.position.isolated),
        "updateTime": now_ms,
    })
}

/// `GET /fapi/v3/positionRisk`'s entry.
pub fn position_risk_v3(s: &Snapshot, i: &Instrument, now_ms: u64) -> Value {
    let p = &s.position;
    json!({
        "symbol": i.native_symbol.as_str(),
        "positionSide": "BOTH",
        "positionAmt": text(p.position.qty),
        "entryPrice": text(p.position.entry),
        "breakEvenPrice": text(p.position.entry),
        "markPrice": text(p.mark),
        "unRealizedProfit": text(p.unrealized),
        "liquidationPrice": liquidation_text(s),
        "isolatedMargin": text(p.position.isolated.checked_add(p.unrealized).filter(|_| p.settings.margin_type == MarginType::Isolated).unwrap_or(Decimal::ZERO)),
        "notional": text(p.position.qty.checked_mul(p.mark).unwrap_or(Decimal::ZERO)),
        "marginAsset": i.contract.settle.as_str(),
        "isolatedWallet": text(p.position.isolated),
        "initialMargin": text(p.initial_margin.checked_add(s.account.order_margin).unwrap_or(p.initial_margin)),
        "maintMargin": text(p.maintenance),
        "positionInitialMargin": text(p.initial_margin),
        "openOrderInitialMargin": text(s.account.order_margin),
        "adl": 0,
        "bidNotional": text(s.open_notional.0),
        "askNotional": text(s.open_notional.1),
        "updateTime": now_ms,
    })
}

/// `GET /fapi/v2/account` and `v3/account`: totals, the settlement
/// asset, and (v2, or v3 with a position) the position.
pub fn account(s: &Snapshot, i: &Instrument, now_ms: u64, v3: bool) -> Value {
    let a = &s.account;
    let margin_balance = a.wallet.checked_add(a.unrealized).unwrap_or(a.wallet);
    let initial = a
        .position_margin
        .checked_add(a.order_margin)
        .unwrap_or(a.position_margin);
    let p = &s.position;
    let position = json!({
        "symbol": i.native_symbol.as_str(),
        "positionSide": "BOTH",
        "positionAmt": text(p.position.qty),
        "unrealizedProfit": text(p.unrealized),
        "isolatedMargin": text(p.position.isolated),
        "notional": text(p.position.qty.checked_mul(p.mark).unwrap_or(Decimal::ZERO)),
        "isolatedWallet": text(p.position.isolated),
        "initialMargin": text(p.initial_margin),
        "maintMargin": text(p.maintenance),
        "positionInitialMargin": text(p.initial_margin),
        "openOrderInitialMargin": text(a.order_margin),
        "leverage": p.settings.leverage.to_string(),
        "isolated": p.settings.margin_type == MarginType::Isolated,
        "entryPrice": text(p.position.entry),
        "breakEvenPrice": text(p.position.entry),
        "maxNotional": text(p.max_notional),
        "bidNotional": text(s.open_notional.0),
        "askNotional": text(s.open_notional.1),
        "updateTime": now_ms,
    });
    let positions = if v3 && p.position.is_flat() {
        Vec::new()
    } else {
        vec![position]
    };
    json!({
        "feeTier": 0,
        "canTrade": true,
        "canDeposit": false,
        "canWithdraw": false,
        "feeBurn": false,
        "tradeGroupId": -1,
        "updateTime": 0,
        "multiAssetsMargin": false,
        "totalInitialMargin": text(initial),
        "totalMaintMargin": text(a.maintenance),
        "totalWalletBalance": text(a.wallet),
        "totalUnrealizedProfit": text(a.unrealized),
        "totalMarginBalance": text(margin_balance),
        "totalPositionInitialMargin": text(a.position_margin),
        "totalOpenOrderInitialMargin": text(a.order_margin),
        "totalCrossWalletBalance": text(a.cross_wallet),
        "totalCrossUnPnl": text(a.cross_unrealized),
        "availableBalance": text(a.available),
        "maxWithdrawAmount": text(a.available),
        "assets": [{
            "asset": i.contract.settle.as_str(),
            "walletBalance": text(a.wallet),
            "unrealizedProfit": text(a.unrealized),
            "marginBalance": text(margin_balance),
            "maintMargin": text(a.maintenance),
            "initialMargin": text(initial),
            "positionInitialMargin": text(a.position_margin),
            "openOrderInitialMargin": text(a.order_margin),
            "crossWalletBalance": text(a.cross_wallet),
            "crossUnPnl": text(a.cross_unrealized),
            "availableBalance": text(a.available),
            "maxWithdrawAmount": text(a.available),
            "marginAvailable": true,
            "updateTime": now_ms,
        }],
        "positions": positions,
    })
}

/// `GET /fapi/v2/balance`.
pub fn balance(s: &Snapshot, i: &Instrument, now_ms: u64) -> Value {
    let a = &s.account;
    json!([{
        "accountAlias": "SimKestrel",
        "asset": i.contract.settle.as_str(),
        "balance": text(a.wallet),
        "crossWalletBalance": text(a.cross_wallet),
        "crossUnPnl": text(a.cross_unrealized),
        "availableBalance": text(a.available),
        "maxWithdrawAmount": text(a.available),
        "marginAvailable": true,
        "updateTime": now_ms,
    }])
}

/// `GET /fapi/v1/userTrades`'s entry.
pub fn user_trade(t: &TradeRecord, i: &Instrument) -> Value {
    let quote = i
        .notional(t.fill.price, t.fill.qty)
        .unwrap_or(Decimal::ZERO);
    json!({
        "buyer": t.report.side == Side::Buy,
        "commission": text(t.fill.fee),
        "commissionAsset": i.contract.settle.as_str(),
        "id": t.fill.trade_id,
        "maker": t.fill.liquidity == Liquidity::Maker,
        "orderId": t.order.0,
        "price": px(Some(t.fill.price), i),
        "qty": qty(t.fill.qty, i),
        "quoteQty": text(quote),
        "realizedPnl": text(t.realized),
        "side": side(t.report.side),
        "positionSide": "BOTH",
        "symbol": i.native_symbol.as_str(),
        "time": t.time_ms,
    })
}

/// `GET /fapi/v1/premiumIndex`.
pub fn premium(p: &Premium, i: &Instrument) -> Value {
    json!({
        "symbol": i.native_symbol.as_str(),
        "markPrice": text(p.mark),
        "indexPrice": text(p.index),
        "estimatedSettlePrice": text(p.index),
        "lastFundingRate": text(p.rate),
        "interestRate": text(p.rate),
        "nextFundingTime": p.next_funding_ms,
        "time": p.time_ms,
    })
}

/// A `markPriceUpdate` stream event.
pub fn mark_price_event(p: &Premium, i: &Instrument) -> Value {
    json!({
        "e": "markPriceUpdate",
        "E": p.time_ms,
        "s": i.native_symbol.as_str(),
        "p": text(p.mark),
        "i": text(p.index),
        "P": text(p.index),
        "r": text(p.rate),
        "T": p.next_funding_ms,
    })
}

/// `GET /fapi/v1/fundingRate`'s entry.
pub fn funding(f: &FundingRecord, i: &Instrument) -> Value {
    json!({
        "symbol": i.native_symbol.as_str(),
        "fundingRate": text(f.rate),
        "fundingTime": f.time_ms,
        "markPrice": text(f.mark),
    })
}

/// `GET /fapi/v1/income`'s entry.
pub fn income(x: &Income, i: &Instrument) -> Value {
    json!({
        "symbol": i.native_symbol.as_str(),
        "incomeType": x.kind.as_str(),
        "income": text(x.amount),
        "asset": i.contract.settle.as_str(),
        "info": x.kind.as_str(),
        "time": x.time_ms,
        "tranId": x.id,
        "tradeId": x.trade_id.map_or_else(String::new, |t| t.to_string()),
    })
}

/// `GET /fapi/v1/leverageBracket`.
pub fn leverage_brackets(b: &Brackets, i: &Instrument) -> Value {
    let tiers: Vec<Value> = b
        .views()
        .map(|v| {
            json!({
                "bracket": v.number,
                "initialLeverage": v.bracket.max_leverage,
                "notionalCap": v.bracket.notional_cap.to_f64(),
                "notionalFloor": v.floor.to_f64(),
                "maintMarginRatio": v.bracket.maint_rate.to_f64(),
                "cum": v.cum.to_f64(),
            })
        })
        .collect();
    json!([{ "symbol": i.native_symbol.as_str(), "brackets": tiers }])
}

/// `GET /fapi/v1/depth`: spot's answer with the event and transaction times.
pub fn depth(d: &DepthView, i: &Instrument, now_ms: u64) -> Value {
    let mut v = crate::wire::depth(d, i);
    if let Value::Object(m) = &mut v {
        m.insert("E".into(), json!(now_ms));
        m.insert("T".into(), json!(now_ms));
    }
    v
}

/// A spot market-data answer in USDⓈ-M's shape: the fields the futures
/// venue does not send are dropped, `time` added where it sends one.
pub fn market(mut v: Value, now_ms: u64) -> Value {
    const SPOT_ONLY: [&str; 7] = [
        "prevClosePrice",
        "bidPrice",
        "bidQty",
        "askPrice",
        "askQty",
        "isBestMatch",
        "M",
    ];
    fn reshape(v: &mut Value, now_ms: u64) {
        match v {
            Value::Array(items) => items.iter_mut().for_each(|x| reshape(x, now_ms)),
            Value::Object(m) => {
                let book_ticker = m.contains_key("bidPrice") && !m.contains_key("lastPrice");
                let price_ticker = m.len() == 2 && m.contains_key("price");
                if book_ticker {
                    m.insert("time".into(), json!(now_ms));
                    return;
                }
                for k in SPOT_ONLY {
                    m.remove(k);
                }
                if price_ticker {
                    m.insert("time".into(), json!(now_ms));
                }
            }
            _ => {}
        }
    }
    reshape(&mut v, now_ms);
    v
}

/// `GET /fapi/v1/exchangeInfo`, written from the catalogue's instrument in
/// the order and form of Binance's own answer.
pub fn exchange_info(
    i: &Instrument,
    now_ms: u64,
    weight_per_minute: u32,
    orders: crate::order_count::OrderLimits,
) -> Value {
    let r = &i.rules;
    let decimal = |d: Option<Decimal>| d.map_or_else(|| "0".to_owned(), text);
    let cap = |q: Option<Qty>| q.map_or_else(|| "0".to_owned(), |q| qty(q, i));
    let mut filters = vec![
        json!({ "filterType": "PRICE_FILTER", "minPrice": decimal(r.min_price), "maxPrice": decimal(r.max_price), "tickSize": i.tick.to_string() }),
        json!({ "filterType": "LOT_SIZE", "minQty": qty(i.min_qty, i), "maxQty": cap(r.max_qty), "stepSize": i.lot.to_string() }),
        json!({ "filterType": "MARKET_LOT_SIZE", "minQty": qty(i.min_qty, i), "maxQty": cap(r.max_market_qty), "stepSize": i.lot.to_string() }),
    ];
    if let Some(n) = r.max_open_orders {
        filters.push(json!({ "filterType": "MAX_NUM_ORDERS", "limit": n }));
    }
    if let Some(n) = r.max_algo_orders {
        filters.push(json!({ "filterType": "MAX_NUM_ALGO_ORDERS", "limit": n }));
    }
    filters.push(json!({ "filterType": "MIN_NOTIONAL", "notional": text(i.min_notional) }));
    let settle = i.contract.settle.as_str();
    // A dated contract (`BTCUSDT_240927`) names its delivery; a perpetual
    // delivers in 2100, as Binance writes it.
    let native = i.native_symbol.as_str();
    let (contract_type, delivery) = match i.contract.expiry {
        Some(t) => ("CURRENT_QUARTER", t.as_nanos() / 1_000_000),
        None => ("PERPETUAL", 4_133_404_800_000),
    };
    json!({
        "timezone": "UTC",
        "serverTime": now_ms,
        "futuresType": "U_MARGINED",
        "rateLimits": [
            { "rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": weight_per_minute },
            { "rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": orders.per_10s },
            { "rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": orders.per_day },
        ],
        "exchangeFilters": [],
        "assets": [{ "asset": settle, "marginAvailable": true, "autoAssetExchange": "0" }],
        "symbols": [{
            "symbol": native,
            "pair": native.split('_').next().unwrap_or(native),
            "contractType": contract_type,
            "deliveryDate": delivery,
            "onboardDate": 1_569_398_400_000u64,
            "status": "TRADING",
            "maintMarginPercent": "2.5000",
            "requiredMarginPercent": "5.0000",
            "baseAsset": i.base.as_str(),
            "quoteAsset": i.quote.as_str(),
            "marginAsset": settle,
            "pricePrecision": i.tick.scale(),
            "quantityPrecision": i.lot.scale(),
            "baseAssetPrecision": 8,
            "quotePrecision": 8,
            "underlyingType": "COIN",
            "underlyingSubType": [],
            "settlePlan": 0,
            "triggerProtect": "0.0500",
            "liquidationFee": "0.012500",
            "marketTakeBound": "0.05",
            "maxMoveOrderLimit": 10000,
            "filters": filters,
            "orderTypes": ["LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET"],
            "timeInForce": ["GTC", "IOC", "FOK", "GTX"],
        }],
    })
}
