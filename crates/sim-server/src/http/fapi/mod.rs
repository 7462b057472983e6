//! Binance USDⓈ-M futures on `/fapi`: served when the recording is of a
//! linear contract. Public market data reuses the spot endpoints' reading
//! and computing, reshaped to the futures venue's answers; orders,
//! positions and the account are the futures venue's own.

mod account;
mod algo;
mod orders;

use axum::Router;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::rest::{self, ask, check_symbol, endpoint};
use super::{AppState, market, ws};
use crate::error::ApiError;
use crate::exchange::{FuturesRequest, Request};
use crate::futures::wire;
use crate::request::Params;

/// The `/fapi` routes and the futures venue's stream paths.
pub(super) fn routes(state: AppState) -> Router<AppState> {
    let reshaped = Router::new()
        .route("/fapi/v1/ticker/24hr", get(market::day_ticker))
        .route("/fapi/v1/ticker/price", get(market::price))
        .route("/fapi/v2/ticker/price", get(market::price))
        .route("/fapi/v1/ticker/bookTicker", get(market::book_ticker))
        .route("/fapi/v1/trades", get(market::trades))
        .route("/fapi/v1/historicalTrades", get(market::historical_trades))
        .route("/fapi/v1/aggTrades", get(market::agg_trades))
        .route_layer(axum::middleware::from_fn_with_state(state, futures_shape));
    Router::new()
        .merge(reshaped)
        .route("/fapi/v1/ping", get(rest::ping))
        // The spot host's ping and time, which python-binance's socket
        // manager calls before any futures stream.
        .route("/api/v3/ping", get(rest::ping))
        .route("/api/v3/time", get(rest::time))
        .route("/fapi/v1/time", get(rest::time))
        .route("/fapi/v1/exchangeInfo", get(exchange_info))
        .route("/fapi/v1/depth", get(depth))
        .route("/fapi/v1/klines", get(rest::klines))
        .route("/fapi/v1/premiumIndex", get(premium_index))
        .route("/fapi/v1/fundingRate", get(funding_rate))
        .route("/fapi/v1/fundingInfo", get(funding_info))
        .route(
            "/fapi/v1/order",
            post(orders::new_order)
                .get(orders::query_order)
                .delete(orders::cancel_order),
        )
        .route("/fapi/v1/batchOrders", post(orders::batch_orders))
        .route(
            "/fapi/v1/algoOrder",
            post(algo::new_algo)
                .get(algo::query_algo)
                .delete(algo::cancel_algo),
        )
        .route("/fapi/v1/openAlgoOrders", get(algo::open_algo))
        .route("/fapi/v1/allAlgoOrders", get(algo::all_algo))
        .route(
            "/fapi/v1/algoOpenOrders",
            axum::routing::delete(algo::cancel_all_algo),
        )
        .route("/fapi/v1/openOrders", get(orders::open_orders))
        .route("/fapi/v1/openOrder", get(orders::open_order))
        .route(
            "/fapi/v1/allOpenOrders",
            axum::routing::delete(orders::cancel_all),
        )
        .route("/fapi/v1/allOrders", get(orders::all_orders))
        .route("/fapi/v1/userTrades", get(account::user_trades))
        .route("/fapi/v1/income", get(account::income))
        .route("/fapi/v1/commissionRate", get(account::commission_rate))
        .route("/fapi/v1/leverage", post(account::leverage))
        .route("/fapi/v1/marginType", post(account::margin_type))
        .route("/fapi/v1/leverageBracket", get(account::leverage_bracket))
        .route(
            "/fapi/v1/positionSide/dual",
            get(account::position_mode).post(account::set_position_mode),
        )
        .route("/fapi/v1/multiAssetsMargin", get(account::multi_assets))
        .route("/fapi/v2/positionRisk", get(account::position_risk_v2))
        .route("/fapi/v3/positionRisk", get(account::position_risk_v3))
        .route("/fapi/v2/account", get(account::account_v2))
        .route("/fapi/v3/account", get(account::account_v3))
        .route("/fapi/v2/balance", get(account::balance))
        .route("/fapi/v3/balance", get(account::balance))
        .route(
            "/fapi/v1/listenKey",
            post(rest::new_listen_key)
                .put(rest::keep_listen_key)
                .delete(rest::close_listen_key),
        )
        // The futures venue's stream hosts split public, market and
        // private paths; all serve every stream here.
        .route("/public/ws", get(ws::bare))
        .route("/market/ws", get(ws::bare))
        .route("/public/ws/{*streams}", get(ws::raw))
        .route("/market/ws/{*streams}", get(ws::raw))
        .route("/public/stream", get(ws::combined))
        .route("/market/stream", get(ws::combined))
        .route("/private/ws", get(ws::private))
        .route("/private/ws/{*streams}", get(ws::raw))
        .route("/private/stream", get(ws::combined))
}

/// Rewrites a spot market-data answer into the futures venue's shape.
async fn futures_shape(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let response = next.run(request).await;
    if !response.status().is_success() {
        return response;
    }
    let (parts, body) = response.into_parts();
    // Answers are bounded (at most 1000 trades), so reading one whole is.
    let Ok(bytes) = axum::body::to_bytes(body, 4 << 20).await else {
        return ApiError::internal("answer too large").into_response();
    };
    let Ok(value) = serde_json::from_slice::<Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    let shaped = wire::market(value, state.clock.now_ms()).to_string();
    let mut response = Response::from_parts(parts, Body::from(shaped));
    response
        .headers_mut()
        .remove(axum::http::header::CONTENT_LENGTH);
    response
}

async fn exchange_info(State(state): State<AppState>) -> Response {
    endpoint(&state, 1, "GET /fapi/v1/exchangeInfo", async {
        Ok(wire::exchange_info(
            &state.instrument,
            state.clock.now_ms(),
            state.weight.limit(),
            state.orders.limits(),
        ))
    })
    .await
}

/// `GET /fapi/v1/depth`, at the futures venue's limits and weights.
async fn depth(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let params = Params::new(query.as_deref().unwrap_or(""), "");
    let limit = match params.number("limit") {
        Ok(None) => Ok(500),
        Ok(Some(n @ (5 | 10 | 20 | 50 | 100 | 500 | 1000))) => Ok(n as usize),
        Ok(Some(_)) | Err(_) => Err(ApiError::with_code(
            -1100,
            "Illegal value for parameter 'limit'.",
        )),
    };
    let weight = match limit.as_ref().map_or(500, |l| *l) {
        0..=50 => 2,
        51..=100 => 5,
        101..=500 => 10,
        _ => 20,
    };
    endpoint(&state, weight, "GET /fapi/v1/depth", async {
        check_symbol(&state, &params)?;
        let limit = limit?;
        let view = ask(&state, |tx| Request::Depth(limit, tx)).await?;
        let view = view.ok_or_else(ApiError::unavailable)?;
        Ok(wire::depth(&view, &state.instrument, state.clock.now_ms()))
    })
    .await
}

/// Asks the exchange task a futures question.
pub(super) async fn ask_futures<T>(
    state: &AppState,
    make: impl FnOnce(tokio::sync::oneshot::Sender<T>) -> FuturesRequest,
) -> Result<T, ApiError> {
    ask(state, |tx| Request::Futures(make(tx))).await
}

/// `GET /fapi/v1/premiumIndex`: one object for the symbol, an array
/// without one.
async fn premium_index(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let params = Params::new(query.as_deref().unwrap_or(""), "");
    endpoint(&state, 1, "GET /fapi/v1/premiumIndex", async {
        let one = params.get("symbol").is_some();
        if one {
            check_symbol(&state, &params)?;
        }
        let premium = ask_futures(&state, FuturesRequest::Premium).await?;
        let premium = premium.ok_or_else(ApiError::unavailable)?;
        let v = wire::premium(&premium, &state.instrument);
        Ok(if one { v } else { json!([v]) })
    })
    .await
}

/// `GET /fapi/v1/fundingRate`: funding events, oldest first, from
/// `startTime`, to `endTime`, `limit` of them (default 100, at most 1000).
async fn funding_rate(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let params = Params::new(query.as_deref().unwrap_or(""), "");
    endpoint(&state, 1, "GET /fapi/v1/fundingRate", async {
        if params.get("symbol").is_some() {
            check_symbol(&state, &params)?;
        }
        let (start, end) = params.time_range(None)?;
        let limit = params.limit(100, 1000)?;
        let all = ask_futures(&state, FuturesRequest::Fundings).await?;
        let chosen: Vec<Value> = all
            .iter()
            .filter(|f| start.is_none_or(|s| f.time_ms >= s))
            .filter(|f| end.is_none_or(|e| f.time_ms <= e))
            .take(limit)
            .map(|f| wire::funding(f, &state.instrument))
            .collect();
        Ok(Value::Array(chosen))
    })
    .await
}

/// `GET /fapi/v1/fundingInfo`: the symbol's funding interval.
async fn funding_info(State(state): State<AppState>) -> Response {
    endpoint(&state, 1, "GET /fapi/v1/fundingInfo", async {
        Ok(json!([{
            "symbol": state.instrument.native_symbol.as_str(),
            "adjustedFundingRateCap": "0.02000000",
            "adjustedFundingRateFloor": "-0.02000000",
            "fundingIntervalHours": crate::futures::FUNDING_INTERVAL_MS / 3_600_000,
            "disclaimer": false,
        }]))
    })
    .await
}
