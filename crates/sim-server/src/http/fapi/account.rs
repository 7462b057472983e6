//! USDⓈ-M account endpoints: positions, balances, settings, trades and
//! income.

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use kestrel_sim::margin::MarginType;
use serde_json::{Value, json};

use super::ask_futures;
use super::orders::refusal;
use crate::error::ApiError;
use crate::exchange::{FuturesRequest, Request, Snapshot};
use crate::futures::wire;
use crate::http::AppState;
use crate::http::account::chosen_trades;
use crate::http::rest::{ask, check_symbol, endpoint, signed};
use crate::request::Params;

type Query = Option<String>;

/// The signed account's figures (503 before the book has synced).
async fn snapshot(
    state: &AppState,
    headers: &HeaderMap,
    query: &Query,
) -> Result<(Snapshot, Params), ApiError> {
    let (account, params) = signed(state, headers, query, "")?;
    if params.get("symbol").is_some() {
        check_symbol(state, &params)?;
    }
    let s = ask_futures(state, |tx| FuturesRequest::Snapshot(account, tx)).await?;
    Ok((s.ok_or_else(ApiError::unavailable)?, params))
}

/// `GET /fapi/v2/positionRisk`: the symbol's position, flat or not.
pub(super) async fn position_risk_v2(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    endpoint(&state, 5, "GET /fapi/v2/positionRisk", async {
        let (s, _) = snapshot(&state, &headers, &query).await?;
        Ok(json!([wire::position_risk_v2(
            &s,
            &state.instrument,
            state.clock.now_ms()
        )]))
    })
    .await
}

/// `GET /fapi/v3/positionRisk`: positions that are open (or have orders).
pub(super) async fn position_risk_v3(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    endpoint(&state, 5, "GET /fapi/v3/positionRisk", async {
        let (s, _) = snapshot(&state, &headers, &query).await?;
        let has_orders = s.open_notional != (Default::default(), Default::default());
        Ok(if s.position.position.is_flat() && !has_orders {
            json!([])
        } else {
            json!([wire::position_risk_v3(
                &s,
                &state.instrument,
                state.clock.now_ms()
            )])
        })
    })
    .await
}

/// `GET /fapi/v2/account`.
pub(super) async fn account_v2(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    endpoint(&state, 5, "GET /fapi/v2/account", async {
        let (s, _) = snapshot(&state, &headers, &query).await?;
        Ok(wire::account(
            &s,
            &state.instrument,
            state.clock.now_ms(),
            false,
        ))
    })
    .await
}

/// `GET /fapi/v3/account`: only open positions listed.
pub(super) async fn account_v3(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    endpoint(&state, 5, "GET /fapi/v3/account", async {
        let (s, _) = snapshot(&state, &headers, &query).await?;
        Ok(wire::account(
            &s,
            &state.instrument,
            state.clock.now_ms(),
            true,
        ))
    })
    .await
}

/// `GET /fapi/v2/balance` (and `v3`).
pub(super) async fn balance(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    endpoint(&state, 5, "GET /fapi/v2/balance", async {
        let (s, _) = snapshot(&state, &headers, &query).await?;
        Ok(wire::balance(&s, &state.instrument, state.clock.now_ms()))
    })
    .await
}

/// `POST /fapi/v1/leverage`.
pub(super) async fn leverage(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: String,
) -> Response {
    endpoint(&state, 1, "POST /fapi/v1/leverage", async {
        let (account, params) = signed(&state, &headers, &query, &body)?;
        check_symbol(&state, &params)?;
        let leverage = params
            .require("leverage")?
            .parse::<u32>()
            .map_err(|_| ApiError::bad_param("leverage"))?;
        let cap = ask_futures(&state, |tx| FuturesRequest::Leverage(account, leverage, tx))
            .await?
            .map_err(refusal)?;
        Ok(json!({
            "leverage": leverage,
            "maxNotionalValue": cap.to_string(),
            "symbol": state.instrument.native_symbol.as_str(),
        }))
    })
    .await
}

/// `POST /fapi/v1/marginType`.
pub(super) async fn margin_type(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: String,
) -> Response {
    endpoint(&state, 1, "POST /fapi/v1/marginType", async {
        let (account, params) = signed(&state, &headers, &query, &body)?;
        check_symbol(&state, &params)?;
        let kind = match params.require("marginType")? {
            "ISOLATED" => MarginType::Isolated,
            "CROSSED" | "CROSS" => MarginType::Cross,
            _ => return Err(ApiError::invalid_enum(-1116, "marginType")),
        };
        ask_futures(&state, |tx| FuturesRequest::MarginType(account, kind, tx))
            .await?
            .map_err(refusal)?;
        Ok(json!({ "code": 200, "msg": "success" }))
    })
    .await
}

/// `GET /fapi/v1/leverageBracket`.
pub(super) async fn leverage_bracket(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    endpoint(&state, 1, "GET /fapi/v1/leverageBracket", async {
        let (_, params) = signed(&state, &headers, &query, "")?;
        if params.get("symbol").is_some() {
            check_symbol(&state, &params)?;
        }
        Ok(wire::leverage_brackets(&state.brackets, &state.instrument))
    })
    .await
}

/// `GET /fapi/v1/positionSide/dual`: one-way mode, the only one served.
pub(super) async fn position_mode(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    endpoint(&state, 30, "GET /fapi/v1/positionSide/dual", async {
        signed(&state, &headers, &query, "")?;
        Ok(json!({ "dualSidePosition": false }))
    })
    .await
}

/// `POST /fapi/v1/positionSide/dual`: hedge mode is refused, not ignored.
pub(super) async fn set_position_mode(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: String,
) -> Response {
    endpoint(&state, 1, "POST /fapi/v1/positionSide/dual", async {
        let (_, params) = signed(&state, &headers, &query, &body)?;
        match params.require("dualSidePosition")? {
            "false" => Err(ApiError::with_code(
                -4059,
                "No need to change position side.",
            )),
            "true" => Err(ApiError::with_code(
                -4068,
                "The simulator serves one-way position mode only.",
            )),
            _ => Err(ApiError::bad_param("dualSidePosition")),
        }
    })
    .await
}

/// `GET /fapi/v1/multiAssetsMargin`: single-asset mode.
pub(super) async fn multi_assets(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    endpoint(&state, 30, "GET /fapi/v1/multiAssetsMargin", async {
        signed(&state, &headers, &query, "")?;
        Ok(json!({ "multiAssetsMargin": false }))
    })
    .await
}

/// `GET /fapi/v1/commissionRate`.
pub(super) async fn commission_rate(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    endpoint(&state, 20, "GET /fapi/v1/commissionRate", async {
        let (_, params) = signed(&state, &headers, &query, "")?;
        check_symbol(&state, &params)?;
        let i = &state.instrument;
        Ok(json!({
            "symbol": i.native_symbol.as_str(),
            "makerCommissionRate": i.maker_fee.to_string(),
            "takerCommissionRate": i.taker_fee.to_string(),
        }))
    })
    .await
}

/// `GET /fapi/v1/userTrades`: Binance's selection, over at most 7 days.
pub(super) async fn user_trades(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    endpoint(&state, 5, "GET /fapi/v1/userTrades", async {
        let (account, params) = signed(&state, &headers, &query, "")?;
        check_symbol(&state, &params)?;
        let trades = ask(&state, |tx| Request::Trades(account, tx)).await?;
        let chosen = chosen_trades(&trades, &params, 7 * 24)?;
        Ok(Value::Array(
            chosen
                .into_iter()
                .map(|t| wire::user_trade(t, &state.instrument))
                .collect(),
        ))
    })
    .await
}

/// `GET /fapi/v1/income`: oldest first, by `incomeType`, `startTime`,
/// `endTime`, `limit` (default 100, at most 1000).
pub(super) async fn income(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    endpoint(&state, 30, "GET /fapi/v1/income", async {
        let (account, params) = signed(&state, &headers, &query, "")?;
        if params.get("symbol").is_some() {
            check_symbol(&state, &params)?;
        }
        let kind = params.get("incomeType");
        let (start, end) = params.time_range(None)?;
        let limit = params.limit(100, 1000)?;
        let all = ask_futures(&state, |tx| FuturesRequest::Income(account, tx)).await?;
        Ok(Value::Array(
            all.iter()
                .filter(|x| kind.is_none_or(|k| k == x.kind.as_str()))
                .filter(|x| start.is_none_or(|s| x.time_ms >= s))
                .filter(|x| end.is_none_or(|e| x.time_ms <= e))
                .take(limit)
                .map(|x| wire::income(x, &state.instrument))
                .collect(),
        ))
    })
    .await
}
