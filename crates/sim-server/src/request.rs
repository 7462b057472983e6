//! Reading Binance request parameters into the simulator's types: pure
//! functions of the request text, so they can be fuzzed apart from the
//! server.

use kestrel_model::{ClientOrderId, Decimal, Instrument, OrderType, Price, Qty, Side, TimeInForce};
use kestrel_sim::{AccountId, OrderRequest, SelfTradePrevention};

use crate::error::ApiError;
use crate::wire::RespType;

/// Request parameters from the query string and the form body.
pub struct Params(Vec<(String, String)>);

impl Params {
    /// Both parts' `key=value` pairs, form-decoded.
    pub fn new(query: &str, body: &str) -> Self {
        Self(
            form_urlencoded::parse(query.as_bytes())
                .chain(form_urlencoded::parse(body.as_bytes()))
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// A non-empty parameter.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    /// Refuses a parameter sent twice (-1101), as Binance does: which of
    /// the two to take would be a guess.
    pub fn refuse_duplicates(&self) -> Result<(), ApiError> {
        let mut seen = std::collections::HashSet::with_capacity(self.0.len());
        match self.0.iter().find(|(k, _)| !seen.insert(k.as_str())) {
            Some(_) => Err(ApiError::with_code(
                -1101,
                "Duplicate values for a parameter detected.",
            )),
            None => Ok(()),
        }
    }

    /// An unsigned number parameter, if sent (-1100 if not a number).
    pub fn number(&self, name: &str) -> Result<Option<u64>, ApiError> {
        self.get(name)
            .map(|v| v.parse::<u64>().map_err(|_| ApiError::bad_param(name)))
            .transpose()
    }

    /// `limit`: `default` when absent, else 1 to `max` (-1100 otherwise).
    pub fn limit(&self, default: usize, max: usize) -> Result<usize, ApiError> {
        match self.number("limit")? {
            None => Ok(default),
            Some(n) if (1..=max as u64).contains(&n) => Ok(n as usize),
            Some(_) => Err(ApiError::with_code(
                -1100,
                "Illegal value for parameter 'limit'.",
            )),
        }
    }

    /// `startTime` and `endTime` (ms), each if sent: the start not after
    /// the end (-1023) and, with `max_hours`, at most that far apart
    /// (-1127).
    pub fn time_range(
        &self,
        max_hours: Option<u64>,
    ) -> Result<(Option<u64>, Option<u64>), ApiError> {
        let (start, end) = (self.number("startTime")?, self.number("endTime")?);
        if let (Some(s), Some(e)) = (start, end) {
            if s > e {
                return Err(ApiError::with_code(
                    -1023,
                    "Start time is greater than end time.",
                ));
            }
            if let Some(h) = max_hours.filter(|h| e - s > h * 3_600_000) {
                return Err(ApiError::with_code(
                    -1127,
                    format!("More than {h} hours between startTime and endTime."),
                ));
            }
        }
        Ok((start, end))
    }

    /// A parameter that must be there (-1102 otherwise).
    pub fn require(&self, name: &str) -> Result<&str, ApiError> {
        self.get(name).ok_or_else(|| ApiError::mandatory(name))
    }

    /// `quantity` on the instrument's lot (off the lot: the `LOT_SIZE`
    /// filter's error).
    pub fn qty(&self, inst: &Instrument) -> Result<Qty, ApiError> {
        Qty::parse(self.require("quantity")?, &inst.lot).map_err(|e| match e {
            kestrel_model::DecimalError::OffGrid => ApiError::filter("LOT_SIZE"),
            _ => ApiError::bad_param("quantity"),
        })
    }

    /// A price parameter on the instrument's tick (off the tick: the
    /// `PRICE_FILTER`'s error).
    pub fn price(&self, name: &str, inst: &Instrument) -> Result<Price, ApiError> {
        Price::parse(self.require(name)?, &inst.tick).map_err(|e| match e {
            kestrel_model::DecimalError::OffGrid => ApiError::filter("PRICE_FILTER"),
            _ => ApiError::bad_param(name),
        })
    }

    /// `selfTradePreventionMode`, `default` when absent.
    pub fn stp(&self, default: SelfTradePrevention) -> Result<SelfTradePrevention, ApiError> {
        Ok(match self.get("selfTradePreventionMode") {
            None => default,
            Some("NONE") => SelfTradePrevention::None,
            Some("EXPIRE_TAKER") => SelfTradePrevention::ExpireTaker,
            Some("EXPIRE_MAKER") => SelfTradePrevention::ExpireMaker,
            Some("EXPIRE_BOTH") => SelfTradePrevention::ExpireBoth,
            Some(_) => return Err(ApiError::invalid_enum(-1181, "selfTradePreventionMode")),
        })
    }

    /// The client id in `name`, or one `generated` if the client named none.
    pub fn client_id(
        &self,
        name: &str,
        generated: impl FnOnce() -> String,
    ) -> Result<ClientOrderId, ApiError> {
        match self.get(name) {
            Some(c) => ClientOrderId::new(c).map_err(|_| ApiError::bad_param(name)),
            None => ClientOrderId::new(&generated()).map_err(|_| ApiError::internal("client id")),
        }
    }
}

/// The request must name this server's symbol (-1121 otherwise).
pub fn check_symbol(inst: &Instrument, params: &Params) -> Result<(), ApiError> {
    let symbol = params.require("symbol")?;
    if symbol.eq_ignore_ascii_case(inst.native_symbol.as_str()) {
        Ok(())
    } else {
        Err(ApiError::invalid_symbol())
    }
}

/// A new-order request as parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParsedOrder {
    /// The order; with `quote_qty`, its quantity is 0 until the venue sets it.
    pub request: OrderRequest,
    /// The answer asked for.
    pub resp: RespType,
    /// `quoteOrderQty` of a market order: what to spend (or receive).
    pub quote_qty: Option<Decimal>,
}

/// The order `params` describe, and the answer it asks for;
/// `generated_id` names it if the client did not.
pub fn order_request(
    inst: &Instrument,
    account: AccountId,
    p: &Params,
    generated_id: impl FnOnce() -> String,
) -> Result<ParsedOrder, ApiError> {
    check_symbol(inst, p)?;
    let side = match p.require("side")? {
        "BUY" => Side::Buy,
        "SELL" => Side::Sell,
        _ => return Err(ApiError::invalid_enum(-1117, "side")),
    };
    let kind = match p.require("type")? {
        "LIMIT" => OrderType::Limit,
        "MARKET" => OrderType::Market,
        "LIMIT_MAKER" => OrderType::PostOnly,
        "STOP_LOSS" => OrderType::StopMarket,
        "STOP_LOSS_LIMIT" => OrderType::StopLimit,
        "TAKE_PROFIT" => OrderType::TakeProfitMarket,
        "TAKE_PROFIT_LIMIT" => OrderType::TakeProfitLimit,
        _ => return Err(ApiError::invalid_enum(-1116, "orderType")),
    };
    let time_in_force = if kind.needs_time_in_force() {
        match p.require("timeInForce")? {
            "GTC" => TimeInForce::Gtc,
            "IOC" => TimeInForce::Ioc,
            "FOK" => TimeInForce::Fok,
            _ => return Err(ApiError::invalid_enum(-1115, "timeInForce")),
        }
    } else {
        TimeInForce::Gtc
    };
    // A market order may name what to spend instead of what to trade.
    let quote_qty = match (kind, p.get("quantity"), p.get("quoteOrderQty")) {
        (OrderType::Market, None, Some(q)) => Some(
            Decimal::parse(q)
                .ok()
                .filter(|d| !d.is_negative() && *d != Decimal::ZERO)
                .ok_or_else(|| ApiError::bad_param("quoteOrderQty"))?,
        ),
        _ => None,
    };
    let qty = match quote_qty {
        Some(_) => Qty::ZERO,
        None => p.qty(inst)?,
    };
    let price = kind
        .has_limit_price()
        .then(|| p.price("price", inst))
        .transpose()?;
    let trigger = kind
        .has_trigger_price()
        .then(|| p.price("stopPrice", inst))
        .transpose()?;
    let client_id = p.client_id("newClientOrderId", generated_id)?;
    // Binance spot's default mode.
    let stp = p.stp(SelfTradePrevention::ExpireMaker)?;
    let resp = match p.get("newOrderRespType") {
        Some("ACK") => RespType::Ack,
        Some("RESULT") => RespType::Result,
        Some("FULL") => RespType::Full,
        Some(_) => return Err(ApiError::invalid_enum(-1177, "newOrderRespType")),
        None if matches!(kind, OrderType::Limit | OrderType::Market) => RespType::Full,
        None => RespType::Ack,
    };
    let request = OrderRequest {
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
    };
    Ok(ParsedOrder {
        request,
        resp,
        quote_qty,
    })
}
