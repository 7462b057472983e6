//! Bybit v5 `GET /v5/market/instruments-info`, one category per request:
//! * spot sizes step by `basePrecision`, with a minimum order value
//!   `minOrderAmt` in the quote coin;
//! * linear contracts are sized in the base coin (`qtyStep`), settled in
//!   `settleCoin` (USDT or USDC);
//! * inverse contracts are sized in USD, one contract = 1 USD, settled in
//!   the coin.
//!
//! Listings page with `nextPageCursor`; the caller asks for the next page.

use kestrel_model::{
    Contract, ContractKind, Decimal, Instrument, InstrumentStatus, TradingRules, UnixNanos,
};
use serde::Deserialize;
use serde_json::Value;

use kestrel_instruments::{Fields, ParseError, Parsed, Skipped};

use crate::endpoints::Category;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    ret_code: i64,
    #[serde(default)]
    ret_msg: String,
    result: Option<ResultBody>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResultBody {
    #[serde(default)]
    list: Vec<Value>,
    next_page_cursor: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Inst {
    symbol: String,
    status: Option<String>,
    base_coin: Option<String>,
    quote_coin: Option<String>,
    settle_coin: Option<String>,
    contract_type: Option<String>,
    delivery_time: Option<String>,
    #[serde(default)]
    price_filter: PriceFilter,
    #[serde(default)]
    lot_size_filter: LotFilter,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct PriceFilter {
    tick_size: Option<String>,
    min_price: Option<String>,
    max_price: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct LotFilter {
    /// Spot.
    base_precision: Option<String>,
    min_order_amt: Option<String>,
    max_order_amt: Option<String>,
    /// Derivatives.
    qty_step: Option<String>,
    min_notional_value: Option<String>,
    max_mkt_order_qty: Option<String>,
    /// Both.
    min_order_qty: Option<String>,
    max_order_qty: Option<String>,
}

/// Reads one `instruments-info` page of `category`.
pub fn parse(category: Category, body: &[u8]) -> Result<Parsed, ParseError> {
    let endpoint = category.listing_name();
    let envelope: Envelope = serde_json::from_slice(body).map_err(|e| ParseError::Json {
        endpoint,
        message: e.to_string(),
    })?;
    if envelope.ret_code != 0 {
        return Err(ParseError::Venue {
            endpoint,
            message: format!("{} {}", envelope.ret_code, envelope.ret_msg),
        });
    }
    let result = envelope.result.ok_or_else(|| ParseError::Json {
        endpoint,
        message: "no `result`".into(),
    })?;
    let mut parsed = Parsed {
        next_cursor: result.next_page_cursor.filter(|c| !c.is_empty()),
        ..Parsed::default()
    };
    for value in result.list {
        let name = value
            .get("symbol")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_owned();
        let inst = Inst::deserialize(value).map_err(|e| ParseError::Field {
            endpoint,
            symbol: name.clone(),
            field: "instrument entry",
            problem: e.to_string(),
        })?;
        match instrument(category, &inst)? {
            Ok(instrument) => parsed.instruments.push(instrument),
            Err(reason) => parsed.skipped.push(Skipped {
                symbol: name,
                reason,
            }),
        }
    }
    Ok(parsed)
}

fn instrument(category: Category, inst: &Inst) -> Result<Result<Instrument, String>, ParseError> {
    let endpoint = category.listing_name();
    let f = Fields {
        endpoint,
        symbol: &inst.symbol,
    };
    let status = match inst.status.as_deref() {
        Some("Trading") => InstrumentStatus::Trading,
        Some("PreLaunch") => InstrumentStatus::PreTrading,
        Some("Delivering") => InstrumentStatus::Delivering,
        Some("Closed") => InstrumentStatus::Closed,
        other => {
            return Ok(Err(format!(
                "status {:?} is not one we know",
                other.unwrap_or("")
            )));
        }
    };
    let base = f.asset("baseCoin", inst.base_coin.as_deref())?;
    let quote = f.asset("quoteCoin", inst.quote_coin.as_deref())?;
    let tick = f.increment(
        "priceFilter.tickSize",
        inst.price_filter.tick_size.as_deref(),
        false,
    )?;
    let lots = &inst.lot_size_filter;
    let spot = category == Category::Spot;
    let (lot, contract, expiry_ms) = if spot {
        let lot = f.increment(
            "lotSizeFilter.basePrecision",
            lots.base_precision.as_deref(),
            false,
        )?;
        (lot, Contract::spot(quote), None)
    } else {
        let (kind, dated) = match inst.contract_type.as_deref() {
            Some("LinearPerpetual") => (ContractKind::Linear, false),
            Some("LinearFutures") => (ContractKind::Linear, true),
            Some("InversePerpetual") => (ContractKind::Inverse, false),
            Some("InverseFutures") => (ContractKind::Inverse, true),
            other => {
                return Ok(Err(format!(
                    "contractType {:?} is not one we know",
                    other.unwrap_or("")
                )));
            }
        };
        let expected = if category == Category::Inverse {
            ContractKind::Inverse
        } else {
            ContractKind::Linear
        };
        if kind != expected {
            return Err(f.error(
                "contractType",
                format!("is {kind:?} in the {endpoint} listing"),
            ));
        }
        let expiry = if dated {
            let text = f.required("deliveryTime", inst.delivery_time.as_deref())?;
            Some(f.millis("deliveryTime", text)?).filter(|&ms| ms > 0)
        } else {
            None
        };
        let lot = f.increment("lotSizeFilter.qtyStep", lots.qty_step.as_deref(), false)?;
        let contract = Contract {
            kind,
            // Linear sizes are coins; an inverse contract is one USD.
            multiplier: Decimal::from(1),
            settle: f.asset("settleCoin", inst.settle_coin.as_deref())?,
            expiry: expiry.map(UnixNanos::from_millis),
        };
        (lot, contract, expiry)
    };
    let settle = (!spot).then_some(&contract.settle);
    let min_notional = if spot {
        lots.min_order_amt.as_deref()
    } else {
        lots.min_notional_value.as_deref()
    };
    Ok(Ok(Instrument {
        id: f.id(category.venue(), &base, &quote, settle, expiry_ms)?,
        native_symbol: f.native()?,
        base,
        quote,
        tick,
        lot,
        min_qty: f.qty(
            "lotSizeFilter.minOrderQty",
            lots.min_order_qty.as_deref(),
            &lot,
        )?,
        min_notional: f
            .optional_decimal("lotSizeFilter.minNotionalValue", min_notional, false)?
            .unwrap_or(Decimal::ZERO),
        maker_fee: Decimal::ZERO,
        taker_fee: Decimal::ZERO,
        contract,
        rules: TradingRules {
            status,
            min_price: f.optional_decimal(
                "priceFilter.minPrice",
                inst.price_filter.min_price.as_deref(),
                true,
            )?,
            max_price: f.optional_decimal(
                "priceFilter.maxPrice",
                inst.price_filter.max_price.as_deref(),
                true,
            )?,
            max_qty: f.optional_qty(
                "lotSizeFilter.maxOrderQty",
                lots.max_order_qty.as_deref(),
                &lot,
            )?,
            max_market_qty: f.optional_qty(
                "lotSizeFilter.maxMktOrderQty",
                lots.max_mkt_order_qty.as_deref(),
                &lot,
            )?,
            max_notional: f.optional_decimal(
                "lotSizeFilter.maxOrderAmt",
                lots.max_order_amt.as_deref(),
                true,
            )?,
            ..TradingRules::default()
        },
    }))
}
