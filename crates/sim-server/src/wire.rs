//! Binance spot JSON, rendered from the simulator's types: orders, fills,
//! execution reports, balances, depth and exchange information.
//!
//! Decimals are written on the instrument's grid (`61837.63`,
//! `0.00100000`); amounts off any grid (quote totals, fees) in their exact
//! shortest form. Binance clients read all of them as decimal strings.

use kestrel_model::{Asset, Decimal, Instrument, OrderType, Price, Qty, Side, TimeInForce};
use kestrel_sim::{
    AccountId, Balance, ExecKind, ExecReport, Liquidity, OrderStatus, SelfTradePrevention,
};
use serde_json::{Value, json};

use crate::exchange::DepthView;
use crate::orders::{OrderRecord, TradeRecord};

/// Binance's name of an order status.
pub fn status(s: OrderStatus) -> &'static str {
    match s {
        OrderStatus::New => "NEW",
        OrderStatus::PartiallyFilled => "PARTIALLY_FILLED",
        OrderStatus::Filled => "FILLED",
        OrderStatus::Canceled => "CANCELED",
        OrderStatus::Rejected => "REJECTED",
        OrderStatus::Expired => "EXPIRED",
    }
}

/// Binance's name of an order type (a triggered stop keeps its own).
pub fn order_type(t: OrderType) -> &'static str {
    match t {
        OrderType::Market => "MARKET",
        OrderType::Limit => "LIMIT",
        OrderType::PostOnly => "LIMIT_MAKER",
        OrderType::StopMarket => "STOP_LOSS",
        OrderType::StopLimit => "STOP_LOSS_LIMIT",
        OrderType::TakeProfitMarket => "TAKE_PROFIT",
        OrderType::TakeProfitLimit => "TAKE_PROFIT_LIMIT",
    }
}

/// Binance's name of a time in force.
pub fn time_in_force(t: TimeInForce) -> &'static str {
    match t {
        TimeInForce::Gtc => "GTC",
        TimeInForce::Ioc => "IOC",
        TimeInForce::Fok => "FOK",
        TimeInForce::Gtx => "GTX",
    }
}

/// Binance's name of a self-trade prevention mode.
pub fn stp_mode(m: SelfTradePrevention) -> &'static str {
    match m {
        SelfTradePrevention::None => "NONE",
        SelfTradePrevention::ExpireTaker => "EXPIRE_TAKER",
        SelfTradePrevention::ExpireMaker => "EXPIRE_MAKER",
        SelfTradePrevention::ExpireBoth => "EXPIRE_BOTH",
    }
}

fn side(s: Side) -> &'static str {
    match s {
        Side::Buy => "BUY",
        Side::Sell => "SELL",
    }
}

fn px(p: Option<Price>, i: &Instrument) -> String {
    p.map_or_else(
        || Price::ZERO.display(&i.tick).to_string(),
        |p| p.display(&i.tick).to_string(),
    )
}

fn qty(q: Qty, i: &Instrument) -> String {
    q.display(&i.lot).to_string()
}

/// The fields every order object shares.
fn order_fields(r: &OrderRecord, i: &Instrument) -> serde_json::Map<String, Value> {
    let q = &r.request;
    let mut m = serde_json::Map::new();
    m.insert("symbol".into(), json!(i.native_symbol.as_str()));
    m.insert("orderId".into(), json!(r.id.0));
    m.insert("orderListId".into(), json!(-1));
    m.insert("clientOrderId".into(), json!(q.client_id.as_str()));
    m.insert(
        "price".into(),
        json!(px(q.price.filter(|_| q.kind.has_limit_price()), i)),
    );
    m.insert("origQty".into(), json!(qty(q.qty, i)));
    m.insert("executedQty".into(), json!(qty(r.last.filled, i)));
    m.insert("cummulativeQuoteQty".into(), json!(r.cum_quote.to_string()));
    m.insert("status".into(), json!(status(r.last.status)));
    m.insert("timeInForce".into(), json!(time_in_force(q.time_in_force)));
    m.insert("type".into(), json!(order_type(q.kind)));
    m.insert("side".into(), json!(side(q.side)));
    m.insert("stopPrice".into(), json!(px(q.trigger, i)));
    m.insert("origQuoteOrderQty".into(), json!("0"));
    m.insert("selfTradePreventionMode".into(), json!(stp_mode(q.stp)));
    m
}

/// `GET /api/v3/order` and `openOrders` entries.
pub fn order(r: &OrderRecord, i: &Instrument) -> Value {
    let mut m = order_fields(r, i);
    m.insert("icebergQty".into(), json!(qty(Qty::ZERO, i)));
    m.insert("time".into(), json!(r.created_ms));
    m.insert("updateTime".into(), json!(r.updated_ms));
    m.insert("isWorking".into(), json!(r.last.status.is_open()));
    m.insert("workingTime".into(), json!(r.created_ms));
    Value::Object(m)
}

/// How much `POST /api/v3/order` answers with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RespType {
    /// Ids only.
    Ack,
    /// The order's state.
    Result,
    /// The state and its fills.
    Full,
}

/// `POST /api/v3/order`'s answer.
pub fn new_order(
    r: &OrderRecord,
    reports: &[ExecReport],
    i: &Instrument,
    resp: RespType,
    now_ms: u64,
) -> Value {
    let mut m = if resp == RespType::Ack {
        let mut m = serde_json::Map::new();
        m.insert("symbol".into(), json!(i.native_symbol.as_str()));
        m.insert("orderId".into(), json!(r.id.0));
        m.insert("orderListId".into(), json!(-1));
        m.insert("clientOrderId".into(), json!(r.request.client_id.as_str()));
        m
    } else {
        let mut m = order_fields(r, i);
        // Binance gives `stopPrice` only for orders that have one.
        if r.request.trigger.is_none() {
            m.remove("stopPrice");
        }
        m.insert("workingTime".into(), json!(r.created_ms));
        m
    };
    m.insert("transactTime".into(), json!(now_ms));
    if resp == RespType::Full {
        let fills: Vec<Value> = reports
            .iter()
            .filter_map(|rep| match rep.kind {
                ExecKind::Trade(f) => Some(json!({
                    "price": px(Some(f.price), i),
                    "qty": qty(f.qty, i),
                    "commission": f.fee.to_string(),
                    "commissionAsset": i.quote.as_str(),
                    "tradeId": f.trade_id,
                })),
                _ => None,
            })
            .collect();
        m.insert("fills".into(), Value::Array(fills));
    }
    Value::Object(m)
}

/// `DELETE /api/v3/order`'s answer.
pub fn canceled(r: &OrderRecord, i: &Instrument, now_ms: u64) -> Value {
    let mut m = order_fields(r, i);
    m.remove("stopPrice");
    m.insert(
        "origClientOrderId".into(),
        json!(r.request.client_id.as_str()),
    );
    m.insert("transactTime".into(), json!(now_ms));
    Value::Object(m)
}

/// `GET /api/v3/myTrades` entries.
pub fn my_trade(t: &TradeRecord, i: &Instrument) -> Value {
    let quote = i
        .notional(t.fill.price, t.fill.qty)
        .unwrap_or(Decimal::ZERO);
    json!({
        "symbol": i.native_symbol.as_str(),
        "id": t.fill.trade_id,
        "orderId": t.order.0,
        "orderListId": -1,
        "price": px(Some(t.fill.price), i),
        "qty": qty(t.fill.qty, i),
        "quoteQty": quote.to_string(),
        "commission": t.fill.fee.to_string(),
        "commissionAsset": i.quote.as_str(),
        "time": t.time_ms,
        "isBuyer": t.report.side == Side::Buy,
        "isMaker": t.fill.liquidity == Liquidity::Maker,
        "isBestMatch": true,
    })
}

fn balance_entries(balances: &[(Asset, Balance)], long: bool) -> Vec<Value> {
    balances
        .iter()
        .map(|(a, b)| {
            if long {
                json!({ "asset": a.as_str(), "free": b.free.to_string(), "locked": b.locked.to_string() })
            } else {
                json!({ "a": a.as_str(), "f": b.free.to_string(), "l": b.locked.to_string() })
            }
        })
        .collect()
}

/// `GET /api/v3/account`'s answer.
pub fn account(
    account: AccountId,
    balances: &[(Asset, Balance)],
    i: &Instrument,
    now_ms: u64,
) -> Value {
    let bps = |rate: Decimal| (rate.to_f64() * 10_000.0).round() as i64;
    json!({
        "makerCommission": bps(i.maker_fee),
        "takerCommission": bps(i.taker_fee),
        "buyerCommission": 0,
        "sellerCommission": 0,
        "commissionRates": {
            "maker": i.maker_fee.to_string(),
            "taker": i.taker_fee.to_string(),
            "buyer": "0",
            "seller": "0",
        },
        "canTrade": true,
        "canWithdraw": false,
        "canDeposit": false,
        "brokered": false,
        "requireSelfTradePrevention": false,
        "preventSor": false,
        "updateTime": now_ms,
        "accountType": "SPOT",
        "balances": balance_entries(balances, true),
        "permissions": ["SPOT"],
        "uid": account.0,
    })
}

/// Binance's execution type (`x`) of a report, and its fill if it has one.
pub fn execution_type(kind: ExecKind) -> (&'static str, Option<kestrel_sim::Fill>) {
    match kind {
        ExecKind::New | ExecKind::Triggered => ("NEW", None),
        ExecKind::Trade(f) => ("TRADE", Some(f)),
        ExecKind::Canceled => ("CANCELED", None),
        ExecKind::Rejected(_) => ("REJECTED", None),
        ExecKind::Expired(_) => ("EXPIRED", None),
    }
}

/// A user-data `executionReport` event.
pub fn execution_report(rep: &ExecReport, r: &OrderRecord, i: &Instrument, now_ms: u64) -> Value {
    let q = &r.request;
    let (x, fill) = execution_type(rep.kind);
    let last_quote = fill
        .and_then(|f| i.notional(f.price, f.qty))
        .unwrap_or(Decimal::ZERO);
    json!({
        "e": "executionReport",
        "E": now_ms,
        "s": i.native_symbol.as_str(),
        "c": q.client_id.as_str(),
        "S": side(q.side),
        "o": order_type(q.kind),
        "f": time_in_force(q.time_in_force),
        "q": qty(q.qty, i),
        "p": px(q.price.filter(|_| q.kind.has_limit_price()), i),
        "P": px(q.trigger, i),
        "F": qty(Qty::ZERO, i),
        "g": -1,
        "C": if x == "CANCELED" { q.client_id.as_str() } else { "" },
        "x": x,
        "X": status(rep.status),
        "r": "NONE",
        "i": rep.order_id.0,
        "l": qty(fill.map_or(Qty::ZERO, |f| f.qty), i),
        "z": qty(rep.filled, i),
        "L": px(fill.map(|f| f.price), i),
        "n": fill.map_or_else(|| "0".to_owned(), |f| f.fee.to_string()),
        "N": fill.map(|_| i.quote.as_str()),
        "T": now_ms,
        "t": fill.map_or(-1, |f| f.trade_id as i64),
        "I": 0,
        "w": rep.status.is_open(),
        "m": fill.is_some_and(|f| f.liquidity == Liquidity::Maker),
        "M": false,
        "O": r.created_ms,
        "Z": r.cum_quote.to_string(),
        "Y": last_quote.to_string(),
        "Q": "0",
        "W": r.created_ms,
        "V": stp_mode(q.stp),
    })
}

/// A user-data `outboundAccountPosition` event.
pub fn account_position(balances: &[(Asset, Balance)], now_ms: u64) -> Value {
    json!({
        "e": "outboundAccountPosition",
        "E": now_ms,
        "u": now_ms,
        "B": balance_entries(balances, false),
    })
}

/// `GET /api/v3/depth`'s answer.
pub fn depth(d: &DepthView, i: &Instrument) -> Value {
    let levels = |ls: &[kestrel_model::Level]| -> Vec<Value> {
        ls.iter()
            .map(|l| json!([px(Some(l.price), i), qty(l.qty, i)]))
            .collect()
    };
    json!({ "lastUpdateId": d.last_update_id, "bids": levels(&d.bids), "asks": levels(&d.asks) })
}

/// The symbol's standard rates, and no tax or discount (the simulator has
/// neither), by Binance's names.
fn commission_parts(i: &Instrument) -> (Value, Value, Value) {
    let zero = "0.00000000";
    (
        json!({ "maker": i.maker_fee.to_string(), "taker": i.taker_fee.to_string(), "buyer": zero, "seller": zero }),
        json!({ "maker": zero, "taker": zero, "buyer": zero, "seller": zero }),
        json!({ "enabledForAccount": false, "enabledForSymbol": false, "discountAsset": "BNB", "discount": zero }),
    )
}

/// `GET /api/v3/account/commission`.
pub fn account_commission(i: &Instrument) -> Value {
    let (standard, tax, discount) = commission_parts(i);
    json!({
        "symbol": i.native_symbol.as_str(),
        "standardCommission": standard,
        "taxCommission": tax,
        "discount": discount,
    })
}

/// `POST /api/v3/order/test` with `computeCommissionRates=true`.
pub fn order_commission(i: &Instrument) -> Value {
    let (standard, tax, discount) = commission_parts(i);
    json!({
        "standardCommissionForOrder": { "maker": standard["maker"], "taker": standard["taker"] },
        "taxCommissionForOrder": { "maker": tax["maker"], "taker": tax["taker"] },
        "discount": discount,
    })
}

/// A quote amount of `units` ticks × lots, as a decimal.
pub fn quote_text(units: u128, i: &Instrument) -> String {
    let (tick_step, tick_scale) = i.tick.as_decimal().to_parts();
    let (lot_step, lot_scale) = i.lot.as_decimal().to_parts();
    i128::try_from(units)
        .ok()
        .and_then(|u| u.checked_mul(tick_step)?.checked_mul(lot_step))
        .and_then(|m| kestrel_model::Decimal::from_parts(m, tick_scale + lot_scale))
        .map_or_else(|| "0".to_owned(), |d| d.to_string())
}

/// Klines as Binance writes them: `[open time (ms), open, high, low,
/// close, volume, close time (ms), quote volume, trades, taker buy
/// volume, taker buy quote volume, "0"]`, numbers as strings but the
/// times and the count.
pub fn klines(klines: &[crate::klines::Kline], i: &Instrument) -> Value {
    let quote = |units: u128| quote_text(units, i);
    let px = |t: i64| Price::from_ticks(t).display(&i.tick).to_string();
    let q = |l: u64| Qty::from_lots(l).display(&i.lot).to_string();
    Value::Array(
        klines
            .iter()
            .map(|k| {
                let open_ms = k.open_s * 1_000;
                json!([
                    open_ms,
                    px(k.open),
                    px(k.high),
                    px(k.low),
                    px(k.close),
                    q(k.volume),
                    open_ms + k.len_s * 1_000 - 1,
                    quote(k.quote),
                    k.trades,
                    q(k.taker_buy),
                    quote(k.taker_buy_quote),
                    "0"
                ])
            })
            .collect(),
    )
}

/// `GET /api/v3/exchangeInfo`'s answer, written from the catalogue's
/// instrument so that Binance's parser reads back what we hold: books are
/// on `baseAssetPrecision`, orders on `stepSize`, and a rule we do not
/// hold is written as Binance writes "none" (`0`) or left out.
pub fn exchange_info(
    i: &Instrument,
    now_ms: u64,
    weight_per_minute: u32,
    orders: crate::order_count::OrderLimits,
) -> Value {
    let r = &i.rules;
    let decimal =
        |d: Option<kestrel_model::Decimal>| d.map_or_else(|| "0".to_owned(), |d| d.to_string());
    let cap = |q: Option<Qty>| q.map_or_else(|| "0".to_owned(), |q| qty(q, i));
    let step = r
        .order_qty_step
        .map_or_else(|| i.lot.to_string(), |q| qty(q, i));
    let mut filters = vec![
        json!({ "filterType": "PRICE_FILTER", "minPrice": decimal(r.min_price), "maxPrice": decimal(r.max_price), "tickSize": i.tick.to_string() }),
        json!({ "filterType": "LOT_SIZE", "minQty": qty(i.min_qty, i), "maxQty": cap(r.max_qty), "stepSize": step }),
        json!({ "filterType": "MARKET_LOT_SIZE", "minQty": "0", "maxQty": cap(r.max_market_qty), "stepSize": "0" }),
        json!({ "filterType": "NOTIONAL", "minNotional": i.min_notional.to_string(), "applyMinToMarket": false, "maxNotional": decimal(r.max_notional), "applyMaxToMarket": false, "avgPriceMins": 5 }),
    ];
    if let Some(b) = r.price_band {
        filters.push(json!({ "filterType": "PERCENT_PRICE_BY_SIDE",
            "bidMultiplierUp": b.bid_up.to_string(), "bidMultiplierDown": b.bid_down.to_string(),
            "askMultiplierUp": b.ask_up.to_string(), "askMultiplierDown": b.ask_down.to_string(), "avgPriceMins": 5 }));
    }
    if let Some(n) = r.max_open_orders {
        filters.push(json!({ "filterType": "MAX_NUM_ORDERS", "maxNumOrders": n }));
    }
    if let Some(n) = r.max_algo_orders {
        filters.push(json!({ "filterType": "MAX_NUM_ALGO_ORDERS", "maxNumAlgoOrders": n }));
    }
    let status = match r.status {
        kestrel_model::InstrumentStatus::Trading => "TRADING",
        kestrel_model::InstrumentStatus::PreTrading => "PRE_TRADING",
        kestrel_model::InstrumentStatus::Halted | kestrel_model::InstrumentStatus::Delivering => {
            "BREAK"
        }
        kestrel_model::InstrumentStatus::Closed => "END_OF_DAY",
    };
    json!({
        "timezone": "UTC",
        "serverTime": now_ms,
        "rateLimits": [
            { "rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": weight_per_minute },
            { "rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": orders.per_10s },
            { "rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": orders.per_day },
        ],
        "exchangeFilters": [],
        "symbols": [{
            "symbol": i.native_symbol.as_str(),
            "status": status,
            "baseAsset": i.base.as_str(),
            "baseAssetPrecision": i.lot.scale(),
            "quoteAsset": i.quote.as_str(),
            "quotePrecision": 8,
            "quoteAssetPrecision": 8,
            "baseCommissionPrecision": 8,
            "quoteCommissionPrecision": 8,
            "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"],
            "icebergAllowed": false,
            "ocoAllowed": false,
            "otoAllowed": false,
            "quoteOrderQtyMarketAllowed": true,
            "allowTrailingStop": false,
            "cancelReplaceAllowed": false,
            "isSpotTradingAllowed": true,
            "isMarginTradingAllowed": false,
            "filters": filters,
            "permissions": [],
            "permissionSets": [["SPOT"]],
            "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
            "allowedSelfTradePreventionModes": ["NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"],
        }],
    })
}
