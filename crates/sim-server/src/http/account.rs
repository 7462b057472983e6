//! The account's own endpoints: balances, commission rates and trades.

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use kestrel_sim::OrderId;
use serde_json::Value;

use super::AppState;
use super::rest::{ask, check_symbol, endpoint, signed};
use crate::error::ApiError;
use crate::exchange::Request;
use crate::orders::TradeRecord;
use crate::request::Params;
use crate::wire;

/// `GET /api/v3/account/commission`: the account's rates on the symbol.
pub(super) async fn commission(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    endpoint(&state, 20, "GET /api/v3/account/commission", async {
        let (_, params) = signed(&state, &headers, &query, "")?;
        check_symbol(&state, &params)?;
        Ok(wire::account_commission(&state.instrument))
    })
    .await
}

/// `GET /api/v3/account`: balances and permissions.
pub(super) async fn account(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    endpoint(&state, 20, "GET /api/v3/account", async {
        let (account, _) = signed(&state, &headers, &query, "")?;
        let balances = ask(&state, |tx| Request::Balances(account, tx)).await?;
        Ok(wire::account(
            account,
            &balances,
            &state.instrument,
            state.clock.now_ms(),
        ))
    })
    .await
}

/// `GET /api/v3/myTrades`: the account's fills.
pub(super) async fn my_trades(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    endpoint(&state, 20, "GET /api/v3/myTrades", async {
        let (account, params) = signed(&state, &headers, &query, "")?;
        check_symbol(&state, &params)?;
        let trades = ask(&state, |tx| Request::Trades(account, tx)).await?;
        let chosen = chosen_trades(&trades, &params, 24)?;
        Ok(Value::Array(
            chosen
                .into_iter()
                .map(|t| wire::my_trade(t, &state.instrument))
                .collect(),
        ))
    })
    .await
}

/// The fills a trade-list request selects, by Binance's rules: of one
/// `orderId` if named; from `fromId` on, or within the times (at most
/// `max_hours` apart), oldest first; with neither, the newest `limit`.
pub(super) fn chosen_trades<'a>(
    trades: &'a [TradeRecord],
    params: &Params,
    max_hours: u64,
) -> Result<Vec<&'a TradeRecord>, ApiError> {
    let order = params.number("orderId")?.map(OrderId);
    let from_id = params.number("fromId")?;
    let (start, end) = params.time_range(Some(max_hours))?;
    let limit = params.limit(500, 1000)?;
    let chosen: Vec<_> = trades
        .iter()
        .filter(|t| order.is_none_or(|o| t.order == o))
        .filter(|t| from_id.is_none_or(|f| t.fill.trade_id >= f))
        .filter(|t| start.is_none_or(|s| t.time_ms >= s))
        .filter(|t| end.is_none_or(|e| t.time_ms <= e))
        .collect();
    let newest = from_id.is_none() && start.is_none() && end.is_none();
    let skip = if newest {
        chosen.len().saturating_sub(limit)
    } else {
        0
    };
    Ok(chosen.into_iter().skip(skip).take(limit).collect())
}
