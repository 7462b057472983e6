//! Binance `exchangeInfo`: spot (`/api/v3`), USDⓈ-M (`/fapi/v1`) and
//! COIN-M (`/dapi/v1`). The three share the envelope and most filters:
//! * spot states `baseAssetPrecision`, the decimals its books and balances
//!   are written in, which is finer than the order `stepSize` for most
//!   symbols; the book grid is the former, the step a rule;
//! * USDⓈ-M sizes are in the base asset (linear, multiplier 1);
//! * COIN-M sizes are contracts of `contractSize` USD (inverse).

use kestrel_model::{
    Contract, ContractKind, Decimal, Increment, Instrument, InstrumentStatus, PriceBand,
    TradingRules, UnixNanos,
};
use serde::Deserialize;
use serde_json::Value;

use kestrel_instruments::{Fields, ParseError, Parsed, Skipped};

use crate::endpoints::BinanceMarket;

#[derive(Deserialize)]
struct Listing {
    symbols: Vec<Value>,
}

/// What Binance sends instead of a listing: `{"code":-1003,"msg":"…"}`.
#[derive(Deserialize)]
struct VenueError {
    code: i64,
    msg: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Symbol {
    symbol: String,
    /// Spot and USDⓈ-M.
    status: Option<String>,
    /// COIN-M.
    contract_status: Option<String>,
    base_asset: Option<String>,
    quote_asset: Option<String>,
    margin_asset: Option<String>,
    base_asset_precision: Option<u32>,
    contract_type: Option<String>,
    delivery_date: Option<u64>,
    contract_size: Option<u64>,
    #[serde(default)]
    filters: Vec<Filter>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Filter {
    filter_type: String,
    tick_size: Option<String>,
    min_price: Option<String>,
    max_price: Option<String>,
    step_size: Option<String>,
    min_qty: Option<String>,
    max_qty: Option<String>,
    /// Spot `NOTIONAL` and the older `MIN_NOTIONAL`.
    min_notional: Option<String>,
    max_notional: Option<String>,
    /// USDⓈ-M `MIN_NOTIONAL`.
    notional: Option<String>,
    /// Futures `MAX_NUM_ORDERS` / `MAX_NUM_ALGO_ORDERS`.
    limit: Option<u32>,
    max_num_orders: Option<u32>,
    max_num_algo_orders: Option<u32>,
    multiplier_up: Option<String>,
    multiplier_down: Option<String>,
    bid_multiplier_up: Option<String>,
    bid_multiplier_down: Option<String>,
    ask_multiplier_up: Option<String>,
    ask_multiplier_down: Option<String>,
}

fn listing(endpoint: &'static str, body: &[u8]) -> Result<Vec<Value>, ParseError> {
    if let Ok(e) = serde_json::from_slice::<VenueError>(body) {
        return Err(ParseError::Venue {
            endpoint,
            message: format!("{} {}", e.code, e.msg),
        });
    }
    serde_json::from_slice::<Listing>(body)
        .map(|l| l.symbols)
        .map_err(|e| ParseError::Json {
            endpoint,
            message: e.to_string(),
        })
}

/// Reads each symbol of a listing, keeping the name for errors.
fn symbols(endpoint: &'static str, body: &[u8]) -> Result<Vec<Symbol>, ParseError> {
    listing(endpoint, body)?
        .into_iter()
        .map(|value| {
            let name = value
                .get("symbol")
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_owned();
            Symbol::deserialize(value).map_err(|e| ParseError::Field {
                endpoint,
                symbol: name,
                field: "symbol entry",
                problem: e.to_string(),
            })
        })
        .collect()
}

/// Reads one `exchangeInfo` response of `market`.
pub fn parse(market: BinanceMarket, body: &[u8]) -> Result<Parsed, ParseError> {
    match market {
        BinanceMarket::Spot => parse_spot(body),
        BinanceMarket::UsdM | BinanceMarket::CoinM => parse_futures(market, body),
    }
}

/// Spot `exchangeInfo`.
fn parse_spot(body: &[u8]) -> Result<Parsed, ParseError> {
    let market = BinanceMarket::Spot;
    let endpoint = market.listing_name();
    let mut parsed = Parsed::default();
    for s in symbols(endpoint, body)? {
        let f = Fields {
            endpoint,
            symbol: &s.symbol,
        };
        let Some(status) = spot_status(f.required("status", s.status.as_deref())?) else {
            parsed
                .skipped
                .push(skipped(&s.symbol, "status", s.status.as_deref()));
            continue;
        };
        let base = f.asset("baseAsset", s.base_asset.as_deref())?;
        let quote = f.asset("quoteAsset", s.quote_asset.as_deref())?;
        let precision = s
            .base_asset_precision
            .filter(|p| *p <= 18)
            .ok_or_else(|| f.error("baseAssetPrecision", "is missing or above 18"))?;
        let lot = Increment::parse(&unit_at(precision))
            .map_err(|e| f.error("baseAssetPrecision", e.to_string()))?;
        let filters = Filters(&s.filters);
        let mut instrument = common(market, &f, &filters, base, quote, lot, status)?;
        let step = f.qty(
            "LOT_SIZE.stepSize",
            filters.get("LOT_SIZE", |x| &x.step_size),
            &lot,
        )?;
        if step.lots() > 1 {
            instrument.rules.order_qty_step = Some(step);
        }
        instrument.id = f.id(market.venue(), &base, &quote, None, None)?;
        instrument.contract = Contract::spot(quote);
        instrument.rules.price_band = spot_band(&f, &filters)?;
        instrument.rules.max_open_orders = filters
            .find("MAX_NUM_ORDERS")
            .and_then(|x| x.max_num_orders);
        instrument.rules.max_algo_orders = filters
            .find("MAX_NUM_ALGO_ORDERS")
            .and_then(|x| x.max_num_algo_orders);
        instrument.rules.max_notional = f.optional_decimal(
            "NOTIONAL.maxNotional",
            filters.get("NOTIONAL", |x| &x.max_notional),
            true,
        )?;
        parsed.instruments.push(instrument);
    }
    Ok(parsed)
}

/// USDⓈ-M or COIN-M `exchangeInfo`.
fn parse_futures(market: BinanceMarket, body: &[u8]) -> Result<Parsed, ParseError> {
    let inverse = market == BinanceMarket::CoinM;
    let endpoint = market.listing_name();
    let mut parsed = Parsed::default();
    for s in symbols(endpoint, body)? {
        let f = Fields {
            endpoint,
            symbol: &s.symbol,
        };
        let status_text = if inverse {
            &s.contract_status
        } else {
            &s.status
        };
        let Some(status) = futures_status(f.required("status", status_text.as_deref())?) else {
            parsed
                .skipped
                .push(skipped(&s.symbol, "status", status_text.as_deref()));
            continue;
        };
        let expiry = match s.contract_type.as_deref() {
            Some(t) if t.contains("PERPETUAL") => None,
            Some(t) if t.contains("QUARTER") || t.contains("MONTH") => Some(
                s.delivery_date
                    .ok_or_else(|| f.error("deliveryDate", "is missing on a dated contract"))?,
            ),
            other => {
                parsed
                    .skipped
                    .push(skipped(&s.symbol, "contractType", other));
                continue;
            }
        };
        let base = f.asset("baseAsset", s.base_asset.as_deref())?;
        let quote = f.asset("quoteAsset", s.quote_asset.as_deref())?;
        let settle = f.asset("marginAsset", s.margin_asset.as_deref())?;
        let filters = Filters(&s.filters);
        let lot = f.increment(
            "LOT_SIZE.stepSize",
            filters.get("LOT_SIZE", |x| &x.step_size),
            false,
        )?;
        let mut instrument = common(market, &f, &filters, base, quote, lot, status)?;
        instrument.id = f.id(market.venue(), &base, &quote, Some(&settle), expiry)?;
        let multiplier = if inverse {
            let size = s
                .contract_size
                .filter(|&n| n > 0)
                .ok_or_else(|| f.error("contractSize", "is missing or zero"))?;
            Decimal::from(
                i64::try_from(size).map_err(|_| f.error("contractSize", "is out of range"))?,
            )
        } else {
            Decimal::from(1)
        };
        instrument.contract = Contract {
            kind: if inverse {
                ContractKind::Inverse
            } else {
                ContractKind::Linear
            },
            multiplier,
            settle,
            expiry: expiry.map(UnixNanos::from_millis),
        };
        let percent = filters.find("PERCENT_PRICE");
        instrument.rules.price_band = match percent {
            Some(p) => {
                let up = f.decimal("PERCENT_PRICE.multiplierUp", p.multiplier_up.as_deref())?;
                let down =
                    f.decimal("PERCENT_PRICE.multiplierDown", p.multiplier_down.as_deref())?;
                Some(PriceBand {
                    bid_up: up,
                    bid_down: down,
                    ask_up: up,
                    ask_down: down,
                })
            }
            None => None,
        };
        instrument.rules.max_open_orders = filters.find("MAX_NUM_ORDERS").and_then(|x| x.limit);
        instrument.rules.max_algo_orders =
            filters.find("MAX_NUM_ALGO_ORDERS").and_then(|x| x.limit);
        parsed.instruments.push(instrument);
    }
    Ok(parsed)
}

struct Filters<'a>(&'a [Filter]);

impl<'a> Filters<'a> {
    fn find(&self, kind: &str) -> Option<&'a Filter> {
        self.0.iter().find(|x| x.filter_type == kind)
    }

    fn get(&self, kind: &str, field: impl Fn(&'a Filter) -> &'a Option<String>) -> Option<&'a str> {
        self.find(kind).and_then(|x| field(x).as_deref())
    }
}

/// The fields spot and futures read alike: grids, minimums, price range,
/// size caps.
fn common(
    market: BinanceMarket,
    f: &Fields<'_>,
    filters: &Filters<'_>,
    base: kestrel_model::Asset,
    quote: kestrel_model::Asset,
    lot: Increment,
    status: InstrumentStatus,
) -> Result<Instrument, ParseError> {
    let spot = market == BinanceMarket::Spot;
    let tick = f.increment(
        "PRICE_FILTER.tickSize",
        filters.get("PRICE_FILTER", |x| &x.tick_size),
        spot,
    )?;
    let min_qty = f.qty(
        "LOT_SIZE.minQty",
        filters.get("LOT_SIZE", |x| &x.min_qty),
        &lot,
    )?;
    let min_notional = match filters
        .find("NOTIONAL")
        .or_else(|| filters.find("MIN_NOTIONAL"))
    {
        Some(x) => f.decimal(
            "MIN_NOTIONAL",
            x.min_notional.as_deref().or(x.notional.as_deref()),
        )?,
        None => Decimal::ZERO,
    };
    let rules = TradingRules {
        status,
        min_price: f.optional_decimal(
            "PRICE_FILTER.minPrice",
            filters.get("PRICE_FILTER", |x| &x.min_price),
            true,
        )?,
        max_price: f.optional_decimal(
            "PRICE_FILTER.maxPrice",
            filters.get("PRICE_FILTER", |x| &x.max_price),
            true,
        )?,
        max_qty: f.optional_qty(
            "LOT_SIZE.maxQty",
            filters.get("LOT_SIZE", |x| &x.max_qty),
            &lot,
        )?,
        max_market_qty: f.optional_qty(
            "MARKET_LOT_SIZE.maxQty",
            filters.get("MARKET_LOT_SIZE", |x| &x.max_qty),
            &lot,
        )?,
        ..TradingRules::default()
    };
    Ok(Instrument {
        // The caller sets the id and contract from what it knows.
        id: f.id(market.venue(), &base, &quote, None, None)?,
        native_symbol: f.native()?,
        base,
        quote,
        tick,
        lot,
        min_qty,
        min_notional,
        maker_fee: Decimal::ZERO,
        taker_fee: Decimal::ZERO,
        contract: Contract::spot(quote),
        rules,
    })
}

fn spot_band(f: &Fields<'_>, filters: &Filters<'_>) -> Result<Option<PriceBand>, ParseError> {
    if let Some(p) = filters.find("PERCENT_PRICE_BY_SIDE") {
        return Ok(Some(PriceBand {
            bid_up: f.decimal(
                "PERCENT_PRICE_BY_SIDE.bidMultiplierUp",
                p.bid_multiplier_up.as_deref(),
            )?,
            bid_down: f.decimal(
                "PERCENT_PRICE_BY_SIDE.bidMultiplierDown",
                p.bid_multiplier_down.as_deref(),
            )?,
            ask_up: f.decimal(
                "PERCENT_PRICE_BY_SIDE.askMultiplierUp",
                p.ask_multiplier_up.as_deref(),
            )?,
            ask_down: f.decimal(
                "PERCENT_PRICE_BY_SIDE.askMultiplierDown",
                p.ask_multiplier_down.as_deref(),
            )?,
        }));
    }
    if let Some(p) = filters.find("PERCENT_PRICE") {
        let up = f.decimal("PERCENT_PRICE.multiplierUp", p.multiplier_up.as_deref())?;
        let down = f.decimal("PERCENT_PRICE.multiplierDown", p.multiplier_down.as_deref())?;
        return Ok(Some(PriceBand {
            bid_up: up,
            bid_down: down,
            ask_up: up,
            ask_down: down,
        }));
    }
    Ok(None)
}

fn spot_status(text: &str) -> Option<InstrumentStatus> {
    Some(match text {
        "TRADING" => InstrumentStatus::Trading,
        "PRE_TRADING" => InstrumentStatus::PreTrading,
        "BREAK" | "HALT" | "AUCTION_MATCH" | "POST_TRADING" => InstrumentStatus::Halted,
        "END_OF_DAY" => InstrumentStatus::Closed,
        _ => return None,
    })
}

fn futures_status(text: &str) -> Option<InstrumentStatus> {
    Some(match text {
        "TRADING" => InstrumentStatus::Trading,
        "PENDING_TRADING" => InstrumentStatus::PreTrading,
        "PRE_DELIVERING" | "DELIVERING" | "PRE_SETTLE" | "SETTLING" => InstrumentStatus::Delivering,
        "DELIVERED" | "CLOSE" => InstrumentStatus::Closed,
        _ => return None,
    })
}

fn skipped(symbol: &str, field: &str, value: Option<&str>) -> Skipped {
    Skipped {
        symbol: symbol.to_owned(),
        reason: format!("{field} {:?} is not one we know", value.unwrap_or("")),
    }
}

/// One unit at `decimals` decimals: 8 → `0.00000001`.
fn unit_at(decimals: u32) -> String {
    match decimals {
        0 => "1".to_owned(),
        d => format!("0.{}1", "0".repeat(d as usize - 1)),
    }
}
