//! Binance spot JSON to Kestrel's types: orders, trades, balances and
//! `executionReport` events. Numbers arrive as decimal strings and are read
//! onto the instrument's grid exactly; anything off the grid is an error,
//! never a rounded value.

use kestrel_model::{
    AccountId, Asset, ClientOrderId, Decimal, ExecKind, ExecReport, ExpireReason, FeeAsset, Fill,
    Instrument, Liquidity, OrderId, OrderStatus, OrderType, Price, Qty, RejectReason, Side,
    UnixNanos,
};
use serde::Deserialize;

use kestrel_venue::VenueError;
use kestrel_venue::order::{VenueBalance, VenueFill, VenueOrder};

fn bad(what: &str, value: &str) -> VenueError {
    VenueError::Decode(format!("{what} {value:?}"))
}

/// Binance writes prices with trailing zeros (`61837.63000000`); the grid
/// parser wants at most the tick's decimals.
fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

fn price(s: &str, i: &Instrument) -> Result<Price, VenueError> {
    Price::parse(trim_zeros(s), &i.tick).map_err(|_| bad("price", s))
}

fn qty(s: &str, i: &Instrument) -> Result<Qty, VenueError> {
    Qty::parse(trim_zeros(s), &i.lot).map_err(|_| bad("quantity", s))
}

/// What a commission was charged in, from its asset's name.
fn fee_asset(asset: &str, i: &Instrument) -> FeeAsset {
    if asset == i.quote.as_str() {
        FeeAsset::Quote
    } else if asset == i.base.as_str() {
        FeeAsset::Base
    } else {
        FeeAsset::Other
    }
}

fn decimal(s: &str) -> Result<Decimal, VenueError> {
    Decimal::parse(s).map_err(|_| bad("decimal", s))
}

fn client_id(s: &str) -> Result<ClientOrderId, VenueError> {
    ClientOrderId::new(s).map_err(|_| bad("client order id", s))
}

fn side(s: &str) -> Result<Side, VenueError> {
    match s {
        "BUY" => Ok(Side::Buy),
        "SELL" => Ok(Side::Sell),
        _ => Err(bad("side", s)),
    }
}

/// Binance's order status names.
pub(crate) fn status(s: &str) -> Result<OrderStatus, VenueError> {
    Ok(match s {
        "NEW" | "PENDING_NEW" => OrderStatus::New,
        "PARTIALLY_FILLED" => OrderStatus::PartiallyFilled,
        "FILLED" => OrderStatus::Filled,
        "CANCELED" | "PENDING_CANCEL" => OrderStatus::Canceled,
        "REJECTED" => OrderStatus::Rejected,
        "EXPIRED" | "EXPIRED_IN_MATCH" => OrderStatus::Expired,
        _ => return Err(bad("order status", s)),
    })
}

fn order_type(s: &str) -> Result<OrderType, VenueError> {
    Ok(match s {
        "LIMIT" => OrderType::Limit,
        "MARKET" => OrderType::Market,
        "LIMIT_MAKER" => OrderType::PostOnly,
        "STOP_LOSS" => OrderType::StopMarket,
        "STOP_LOSS_LIMIT" => OrderType::StopLimit,
        "TAKE_PROFIT" => OrderType::TakeProfitMarket,
        "TAKE_PROFIT_LIMIT" => OrderType::TakeProfitLimit,
        _ => return Err(bad("order type", s)),
    })
}

fn ms(t: u64) -> UnixNanos {
    UnixNanos::from_millis(t)
}

/// An order object (`GET /api/v3/order`, `openOrders`, the answers of
/// `POST` with `RESULT` and of `DELETE`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OrderJson<'a> {
    order_id: u64,
    #[serde(borrow)]
    client_order_id: &'a str,
    #[serde(default, borrow)]
    orig_client_order_id: Option<&'a str>,
    #[serde(borrow)]
    price: &'a str,
    #[serde(borrow)]
    orig_qty: &'a str,
    #[serde(borrow)]
    executed_qty: &'a str,
    #[serde(borrow)]
    status: &'a str,
    #[serde(borrow, rename = "type")]
    kind: &'a str,
    #[serde(borrow)]
    side: &'a str,
    #[serde(default)]
    update_time: Option<u64>,
    #[serde(default)]
    transact_time: Option<u64>,
    #[serde(default)]
    time: Option<u64>,
}

impl OrderJson<'_> {
    fn into_order(self, i: &Instrument) -> Result<VenueOrder, VenueError> {
        let kind = order_type(self.kind)?;
        // A cancel's answer names the cancel request in `clientOrderId`
        // and the order in `origClientOrderId`.
        let id = self
            .orig_client_order_id
            .filter(|s| !s.is_empty())
            .unwrap_or(self.client_order_id);
        Ok(VenueOrder {
            order_id: OrderId(self.order_id),
            client_id: client_id(id)?,
            side: side(self.side)?,
            kind,
            price: if kind.has_limit_price() {
                Some(price(self.price, i)?)
            } else {
                None
            },
            qty: qty(self.orig_qty, i)?,
            filled: qty(self.executed_qty, i)?,
            status: status(self.status)?,
            time: ms(self
                .update_time
                .or(self.transact_time)
                .or(self.time)
                .unwrap_or(0)),
        })
    }
}

/// One order object.
pub(crate) fn order(body: &[u8], i: &Instrument) -> Result<VenueOrder, VenueError> {
    serde_json::from_slice::<OrderJson<'_>>(body)
        .map_err(|e| VenueError::Decode(e.to_string()))?
        .into_order(i)
}

/// An array of order objects.
pub(crate) fn orders(body: &[u8], i: &Instrument) -> Result<Vec<VenueOrder>, VenueError> {
    serde_json::from_slice::<Vec<OrderJson<'_>>>(body)
        .map_err(|e| VenueError::Decode(e.to_string()))?
        .into_iter()
        .map(|o| o.into_order(i))
        .collect()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TradeJson<'a> {
    id: u64,
    order_id: u64,
    #[serde(borrow)]
    price: &'a str,
    #[serde(borrow)]
    qty: &'a str,
    #[serde(borrow)]
    commission: &'a str,
    #[serde(borrow)]
    commission_asset: &'a str,
    time: u64,
    is_buyer: bool,
    is_maker: bool,
}

/// `GET /api/v3/myTrades`.
pub(crate) fn fills(body: &[u8], i: &Instrument) -> Result<Vec<VenueFill>, VenueError> {
    serde_json::from_slice::<Vec<TradeJson<'_>>>(body)
        .map_err(|e| VenueError::Decode(e.to_string()))?
        .into_iter()
        .map(|t| {
            Ok(VenueFill {
                trade_id: t.id,
                order_id: OrderId(t.order_id),
                side: if t.is_buyer { Side::Buy } else { Side::Sell },
                price: price(t.price, i)?,
                qty: qty(t.qty, i)?,
                fee: decimal(t.commission)?,
                fee_asset: fee_asset(t.commission_asset, i),
                liquidity: if t.is_maker {
                    Liquidity::Maker
                } else {
                    Liquidity::Taker
                },
                time: ms(t.time),
            })
        })
        .collect()
}

#[derive(Deserialize)]
struct BalanceJson<'a> {
    #[serde(borrow)]
    asset: &'a str,
    #[serde(borrow)]
    free: &'a str,
    #[serde(borrow)]
    locked: &'a str,
}

#[derive(Deserialize)]
struct AccountJson<'a> {
    #[serde(borrow)]
    balances: Vec<BalanceJson<'a>>,
}

/// `GET /api/v3/account`'s balances.
pub(crate) fn balances(body: &[u8]) -> Result<Vec<VenueBalance>, VenueError> {
    serde_json::from_slice::<AccountJson<'_>>(body)
        .map_err(|e| VenueError::Decode(e.to_string()))?
        .balances
        .into_iter()
        .map(|b| {
            Ok(VenueBalance {
                asset: Asset::new(b.asset).map_err(|_| bad("asset", b.asset))?,
                free: decimal(b.free)?,
                locked: decimal(b.locked)?,
            })
        })
        .collect()
}

#[derive(Deserialize)]
struct RatesJson<'a> {
    #[serde(borrow)]
    maker: &'a str,
    #[serde(borrow)]
    taker: &'a str,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AccountRatesJson<'a> {
    #[serde(borrow)]
    commission_rates: RatesJson<'a>,
}

/// `GET /api/v3/account`'s maker and taker fee rates.
pub(crate) fn fee_rates(body: &[u8]) -> Result<(Decimal, Decimal), VenueError> {
    let rates = serde_json::from_slice::<AccountRatesJson<'_>>(body)
        .map_err(|e| VenueError::Decode(e.to_string()))?
        .commission_rates;
    Ok((decimal(rates.maker)?, decimal(rates.taker)?))
}

/// `GET /api/v3/time`.
pub(crate) fn server_time(body: &[u8]) -> Result<i64, VenueError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Time {
        server_time: i64,
    }
    serde_json::from_slice::<Time>(body)
        .map(|t| t.server_time)
        .map_err(|e| VenueError::Decode(e.to_string()))
}

/// A user-data `executionReport`, in the fields we use.
#[derive(Deserialize)]
struct ExecutionReportJson<'a> {
    #[serde(rename = "s", borrow)]
    symbol: &'a str,
    #[serde(rename = "c", borrow)]
    client_id: &'a str,
    #[serde(rename = "C", default, borrow)]
    orig_client_id: Option<&'a str>,
    #[serde(rename = "S", borrow)]
    side: &'a str,
    #[serde(rename = "q", borrow)]
    qty: &'a str,
    #[serde(rename = "x", borrow)]
    exec_type: &'a str,
    #[serde(rename = "X", borrow)]
    status: &'a str,
    #[serde(rename = "i")]
    order_id: u64,
    #[serde(rename = "l", borrow)]
    last_qty: &'a str,
    #[serde(rename = "z", borrow)]
    filled: &'a str,
    #[serde(rename = "L", borrow)]
    last_price: &'a str,
    #[serde(rename = "n", borrow)]
    fee: &'a str,
    /// Null until the order trades.
    #[serde(rename = "N", default, borrow)]
    fee_asset: Option<&'a str>,
    #[serde(rename = "T")]
    time: u64,
    #[serde(rename = "t")]
    trade_id: i64,
    #[serde(rename = "m")]
    maker: bool,
}

/// A WebSocket API push, `{"subscriptionId":…,"event":{…}}`.
#[derive(Deserialize)]
struct Pushed<'a> {
    #[serde(borrow)]
    event: ExecutionReportJson<'a>,
}

/// A pushed `executionReport` event as an [`ExecReport`], on the grid of
/// the instrument `instrument_of` gives for its symbol; `None` for a symbol
/// it gives none for.
pub(crate) fn pushed_execution_report(
    frame: &[u8],
    instrument_of: impl Fn(&str) -> Option<Instrument>,
) -> Result<Option<ExecReport>, VenueError> {
    let pushed: Pushed<'_> =
        serde_json::from_slice(frame).map_err(|e| VenueError::Decode(e.to_string()))?;
    match instrument_of(pushed.event.symbol) {
        Some(i) => execution_report(pushed.event, &i),
        None => Ok(None),
    }
}

fn execution_report(
    e: ExecutionReportJson<'_>,
    i: &Instrument,
) -> Result<Option<ExecReport>, VenueError> {
    if e.symbol != i.native_symbol.as_str() {
        return Ok(None);
    }
    let status = status(e.status)?;
    let kind = match e.exec_type {
        "NEW" => ExecKind::New,
        "TRADE" => ExecKind::Trade(Fill {
            trade_id: u64::try_from(e.trade_id).map_err(|_| bad("trade id", e.exec_type))?,
            price: price(e.last_price, i)?,
            qty: qty(e.last_qty, i)?,
            liquidity: if e.maker {
                Liquidity::Maker
            } else {
                Liquidity::Taker
            },
            fee: decimal(e.fee)?,
            fee_asset: e.fee_asset.map_or(FeeAsset::Quote, |a| fee_asset(a, i)),
        }),
        "CANCELED" => ExecKind::Canceled,
        // Binance spot sends no reason code in `r` for a rejection we
        // could act on; the REST answer carries it.
        "REJECTED" => ExecKind::Rejected(RejectReason::Injected(0)),
        "EXPIRED" => ExecKind::Expired(ExpireReason::Remainder),
        "TRADE_PREVENTION" => ExecKind::Expired(ExpireReason::SelfTrade),
        other => return Err(bad("execution type", other)),
    };
    // On a cancel, `c` is the cancel request's id and `C` the order's.
    let id = e
        .orig_client_id
        .filter(|s| !s.is_empty())
        .unwrap_or(e.client_id);
    let total = qty(e.qty, i)?;
    let filled = qty(e.filled, i)?;
    Ok(Some(ExecReport {
        order_id: OrderId(e.order_id),
        client_id: client_id(id)?,
        account: AccountId::default(),
        instrument: i.id,
        side: side(e.side)?,
        kind,
        status,
        filled,
        leaves: if status.is_open() {
            total.saturating_sub(filled)
        } else {
            Qty::ZERO
        },
        time: ms(e.time),
    }))
}

#[cfg(test)]
mod tests;
