//! The public market-data endpoints beside the book: tickers, average
//! price, recent, historical and aggregate trades. Parameters are read by
//! Binance's rules before the weight is charged, since the weight depends
//! on them; the answer is computed by the exchange task as of the market
//! clock.

use axum::extract::{RawQuery, State};
use axum::response::Response;
use serde_json::Value;

use super::AppState;
use super::rest::{ask, endpoint};
use crate::error::ApiError;
use crate::exchange::{MarketQuery, Request};
use crate::market::request::{self, Scope};
use crate::request::Params;

/// Answers `query` for the scope: one object for one symbol, else an
/// array of the symbols served that the request names.
async fn scoped(state: &AppState, scope: Scope, query: MarketQuery) -> Result<Value, ApiError> {
    let one = ask(state, |tx| Request::Market(query, tx)).await?;
    Ok(match scope {
        Scope::One => one,
        Scope::List(_) | Scope::All => Value::Array(vec![one]),
    })
}

fn params(query: Option<&str>) -> Params {
    Params::new(query.unwrap_or(""), "")
}

/// `GET /api/v3/ticker/24hr`.
pub(super) async fn day_ticker(State(state): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let p = params(q.as_deref());
    let scope = request::scope(&p, state.instrument.native_symbol.as_str());
    let weight = scope.as_ref().map_or(2, |s| request::day_ticker_weight(*s));
    endpoint(&state, weight, "GET /api/v3/ticker/24hr", async {
        let full = request::full(&p)?;
        scoped(&state, scope?, MarketQuery::Day { full }).await
    })
    .await
}

/// `GET /api/v3/ticker`: a rolling window of `windowSize`.
pub(super) async fn rolling_ticker(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
) -> Response {
    let p = params(q.as_deref());
    let scope = request::scope(&p, state.instrument.native_symbol.as_str());
    let weight = scope.as_ref().map_or(4, |s| request::rolling_weight(*s));
    endpoint(&state, weight, "GET /api/v3/ticker", async {
        let scope = scope?;
        if scope == Scope::All {
            return Err(ApiError::mandatory("symbol"));
        }
        let query = MarketQuery::Rolling {
            len_s: request::window_size(&p)?,
            full: request::full(&p)?,
        };
        scoped(&state, scope, query).await
    })
    .await
}

/// `GET /api/v3/ticker/price`.
pub(super) async fn price(State(state): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let p = params(q.as_deref());
    let scope = request::scope(&p, state.instrument.native_symbol.as_str());
    let weight = scope.as_ref().map_or(2, |s| request::price_weight(*s));
    endpoint(&state, weight, "GET /api/v3/ticker/price", async {
        scoped(&state, scope?, MarketQuery::Price).await
    })
    .await
}

/// `GET /api/v3/ticker/bookTicker`.
pub(super) async fn book_ticker(State(state): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let p = params(q.as_deref());
    let scope = request::scope(&p, state.instrument.native_symbol.as_str());
    let weight = scope.as_ref().map_or(2, |s| request::price_weight(*s));
    endpoint(&state, weight, "GET /api/v3/ticker/bookTicker", async {
        scoped(&state, scope?, MarketQuery::BookTicker).await
    })
    .await
}

/// `GET /api/v3/avgPrice`.
pub(super) async fn avg_price(State(state): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let p = params(q.as_deref());
    endpoint(&state, 2, "GET /api/v3/avgPrice", async {
        crate::request::check_symbol(&state.instrument, &p)?;
        ask(&state, |tx| Request::Market(MarketQuery::AvgPrice, tx)).await
    })
    .await
}

/// `GET /api/v3/trades`: the newest.
pub(super) async fn trades(State(state): State<AppState>, RawQuery(q): RawQuery) -> Response {
    trade_list(state, q, false, "GET /api/v3/trades").await
}

/// `GET /api/v3/historicalTrades`: from `fromId`.
pub(super) async fn historical_trades(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
) -> Response {
    trade_list(state, q, true, "GET /api/v3/historicalTrades").await
}

async fn trade_list(state: AppState, q: Option<String>, historical: bool, what: &str) -> Response {
    let p = params(q.as_deref());
    endpoint(&state, 25, what, async {
        crate::request::check_symbol(&state.instrument, &p)?;
        let query = request::trades(&p, historical)?;
        ask(&state, |tx| Request::Market(query, tx)).await
    })
    .await
}

/// `GET /api/v3/aggTrades`.
pub(super) async fn agg_trades(State(state): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let p = params(q.as_deref());
    endpoint(&state, 2, "GET /api/v3/aggTrades", async {
        crate::request::check_symbol(&state.instrument, &p)?;
        let query = request::aggs(&p)?;
        ask(&state, |tx| Request::Market(query, tx)).await
    })
    .await
}
