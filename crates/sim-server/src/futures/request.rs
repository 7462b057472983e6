//! Reading USDⓈ-M order parameters: a pure function of the request text,
//! fuzzed with the spot parsers.

use kestrel_model::{Instrument, OrderType, Qty, Side, TimeInForce};
use kestrel_sim::{AccountId, OrderRequest, SelfTradePrevention};

use crate::error::ApiError;
use crate::exchange::FuturesOrder;
use crate::orders::PositionTerms;
use crate::request::{Params, check_symbol};

fn flag(p: &Params, name: &str) -> Result<bool, ApiError> {
    match p.get(name) {
        None | Some("false" | "FALSE") => Ok(false),
        Some("true" | "TRUE") => Ok(true),
        Some(_) => Err(ApiError::bad_param(name)),
    }
}

/// Which endpoint an order came through: since December 2025 Binance
/// takes conditional orders (stops, take-profits) only as algo orders.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    /// `POST /fapi/v1/order` and `batchOrders`: limit and market orders.
    Order,
    /// `POST /fapi/v1/algoOrder` (`algoType=CONDITIONAL`): conditional
    /// orders, with `triggerPrice` and `clientAlgoId`.
    Algo,
}

/// The order `p` describes; `generated_id` names it if the client did not.
/// One-way mode only: `positionSide` may be `BOTH` or absent.
pub fn order_request(
    inst: &Instrument,
    account: AccountId,
    p: &Params,
    entry: Entry,
    generated_id: impl FnOnce() -> String,
) -> Result<FuturesOrder, ApiError> {
    check_symbol(inst, p)?;
    if entry == Entry::Algo && p.require("algoType")? != "CONDITIONAL" {
        return Err(ApiError::invalid_enum(-1116, "algoType"));
    }
    let side = match p.require("side")? {
        "BUY" => Side::Buy,
        "SELL" => Side::Sell,
        _ => return Err(ApiError::invalid_enum(-1117, "side")),
    };
    if !matches!(p.get("positionSide"), None | Some("BOTH")) {
        return Err(ApiError::with_code(
            -4061,
            "Order's position side does not match user's setting.",
        ));
    }
    let mut kind = match p.require("type")? {
        "LIMIT" => OrderType::Limit,
        "MARKET" => OrderType::Market,
        "STOP" => OrderType::StopLimit,
        "STOP_MARKET" => OrderType::StopMarket,
        "TAKE_PROFIT" => OrderType::TakeProfitLimit,
        "TAKE_PROFIT_MARKET" => OrderType::TakeProfitMarket,
        "TRAILING_STOP_MARKET" => {
            return Err(ApiError::with_code(
                -1116,
                "Invalid orderType: the simulator does not serve TRAILING_STOP_MARKET.",
            ));
        }
        _ => return Err(ApiError::invalid_enum(-1116, "orderType")),
    };
    match (entry, kind.has_trigger_price()) {
        (Entry::Order, true) => {
            return Err(ApiError::with_code(
                -4120,
                "Order type not supported for this endpoint. Please use the Algo Order API endpoints instead.",
            ));
        }
        (Entry::Algo, false) => return Err(ApiError::invalid_enum(-1116, "orderType")),
        _ => {}
    }
    if p.get("workingType").is_some_and(|w| w != "CONTRACT_PRICE") {
        return Err(ApiError::with_code(
            -1100,
            "Illegal characters found in parameter 'workingType'; the simulator triggers on CONTRACT_PRICE only.",
        ));
    }
    let time_in_force = if kind.needs_time_in_force() {
        match p.get("timeInForce").unwrap_or("GTC") {
            "GTC" => TimeInForce::Gtc,
            "IOC" => TimeInForce::Ioc,
            "FOK" => TimeInForce::Fok,
            "GTX" if kind == OrderType::Limit => {
                kind = OrderType::PostOnly;
                TimeInForce::Gtc
            }
            _ => return Err(ApiError::invalid_enum(-1115, "timeInForce")),
        }
    } else {
        TimeInForce::Gtc
    };
    let close_position = flag(p, "closePosition")?;
    let reduce_only = flag(p, "reduceOnly")?;
    if close_position {
        if !matches!(kind, OrderType::StopMarket | OrderType::TakeProfitMarket) {
            return Err(ApiError::with_code(
                -4136,
                "Target strategy invalid for orderType, closePosition true",
            ));
        }
        if p.get("quantity").is_some() || reduce_only {
            return Err(ApiError::with_code(
                -1106,
                "Parameter 'quantity' or 'reduceOnly' sent when not required.",
            ));
        }
    }
    let qty = if close_position {
        Qty::ZERO
    } else {
        p.qty(inst)?
    };
    let price = kind
        .has_limit_price()
        .then(|| p.price("price", inst))
        .transpose()?;
    let trigger = kind
        .has_trigger_price()
        .then(|| p.price("triggerPrice", inst))
        .transpose()?;
    let id_param = match entry {
        Entry::Order => "newClientOrderId",
        Entry::Algo => "clientAlgoId",
    };
    let client_id = p.client_id(id_param, generated_id)?;
    let stp = p.stp(SelfTradePrevention::None)?;
    if !matches!(p.get("newOrderRespType"), None | Some("ACK" | "RESULT")) {
        return Err(ApiError::invalid_enum(-1177, "newOrderRespType"));
    }
    Ok(FuturesOrder {
        request: OrderRequest {
            account,
            instrument: inst.id,
            client_id,
            side,
            kind,
            time_in_force,
            qty,
            price,
            trigger,
            stp,
        },
        terms: PositionTerms {
            reduce_only,
            close_position,
        },
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn perp() -> Instrument {
        kestrel_registry::testing::usdm_btcusdt()
    }

    fn parse(q: &str) -> Result<FuturesOrder, ApiError> {
        let entry = if q.contains("algoType") {
            Entry::Algo
        } else {
            Entry::Order
        };
        order_request(&perp(), AccountId(1), &Params::new(q, ""), entry, || {
            "gen".into()
        })
    }

    #[test]
    fn futures_names_map_to_our_types() {
        let o = parse(
            "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTX&quantity=0.002&price=60000.1",
        )
        .unwrap();
        assert_eq!(o.request.kind, OrderType::PostOnly);
        let o = parse("algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&type=STOP&quantity=0.002&price=59000&triggerPrice=59100&reduceOnly=true")
            .unwrap();
        assert_eq!(o.request.kind, OrderType::StopLimit);
        assert!(o.terms.reduce_only);
        let o = parse(
            "algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&type=TAKE_PROFIT_MARKET&triggerPrice=61000&closePosition=true",
        )
        .unwrap();
        assert_eq!(
            (o.request.kind, o.request.qty),
            (OrderType::TakeProfitMarket, Qty::ZERO)
        );
        assert!(o.terms.close_position);
    }

    #[test]
    fn what_is_not_served_is_refused() {
        let code = |q| parse(q).unwrap_err().code;
        assert_eq!(
            code("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=1&positionSide=LONG"),
            -4061
        );
        assert_eq!(
            code("symbol=BTCUSDT&side=BUY&type=TRAILING_STOP_MARKET&quantity=1"),
            -1116
        );
        assert_eq!(
            code("symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=1&closePosition=true"),
            -4136
        );
        assert_eq!(
            code(
                "algoType=CONDITIONAL&symbol=BTCUSDT&side=BUY&type=STOP_MARKET&quantity=1&triggerPrice=1&closePosition=true"
            ),
            -1106
        );
        assert_eq!(
            code("symbol=BTCUSDT&side=BUY&type=STOP_MARKET&quantity=1&stopPrice=1"),
            -4120
        );
        assert_eq!(
            code("algoType=CONDITIONAL&symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=1"),
            -1116
        );
        assert_eq!(
            code("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=1&reduceOnly=maybe"),
            -1100
        );
        assert_eq!(
            code("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=1&workingType=MARK_PRICE"),
            -1100
        );
    }
}
