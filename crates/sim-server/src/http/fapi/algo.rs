//! USDⓈ-M conditional orders through Binance's Algo Order API
//! (`/fapi/v1/algoOrder`, since December 2025 the only way to place stops
//! and take-profits). The matching engine holds them as trigger orders;
//! once triggered, the order works in the book under the same id.

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use kestrel_model::ClientOrderId;
use kestrel_sim::{OrderId, OrderRef};
use serde_json::{Value, json};

use super::orders::{cancel_all_of, new_entry, open_of};
use crate::error::ApiError;
use crate::exchange::Request;
use crate::futures::request::Entry;
use crate::futures::wire;
use crate::http::AppState;
use crate::http::rest::{ask, check_symbol, chosen_orders, endpoint, signed};
use crate::orders::OrderRecord;
use crate::request::Params;

/// The algo order a query or cancel names, by `algoId` or `clientAlgoId`.
async fn named(
    state: &AppState,
    account: kestrel_sim::AccountId,
    p: &Params,
) -> Result<OrderRecord, ApiError> {
    let id = p.number("algoId")?.map(OrderId);
    let client = p
        .get("clientAlgoId")
        .map(|c| ClientOrderId::new(c).map_err(|_| ApiError::bad_param("clientAlgoId")))
        .transpose()?;
    if id.is_none() && client.is_none() {
        return Err(ApiError::mandatory("algoId"));
    }
    let record = ask(state, |tx| Request::Order(account, id, client, tx)).await?;
    record
        .filter(|r| r.request.kind.has_trigger_price())
        .ok_or_else(ApiError::no_such_order)
}

/// `POST /fapi/v1/algoOrder` (`algoType=CONDITIONAL`).
pub(super) async fn new_algo(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: String,
) -> Response {
    let what = "POST /fapi/v1/algoOrder";
    new_entry(&state, &headers, &query, &body, what, Entry::Algo).await
}

/// `GET /fapi/v1/algoOrder`.
pub(super) async fn query_algo(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    endpoint(&state, 1, "GET /fapi/v1/algoOrder", async {
        let (account, params) = signed(&state, &headers, &query, "")?;
        let record = named(&state, account, &params).await?;
        Ok(wire::algo_order(&record, &state.instrument))
    })
    .await
}

/// `DELETE /fapi/v1/algoOrder`: only while it waits for its trigger; the
/// order it placed is cancelled as an order.
pub(super) async fn cancel_algo(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: String,
) -> Response {
    endpoint(&state, 1, "DELETE /fapi/v1/algoOrder", async {
        let (account, params) = signed(&state, &headers, &query, &body)?;
        let record = named(&state, account, &params).await?;
        if !record.is_waiting_trigger() {
            return Err(ApiError::unknown_order());
        }
        let target = OrderRef::Venue(record.id);
        ask(&state, |tx| Request::Cancel(account, target, tx))
            .await?
            .map_err(|_| ApiError::unknown_order())?;
        Ok(json!({
            "algoId": record.id.0,
            "clientAlgoId": record.request.client_id.as_str(),
            "code": "200",
            "msg": "success",
        }))
    })
    .await
}

/// `DELETE /fapi/v1/algoOpenOrders`.
pub(super) async fn cancel_all_algo(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: String,
) -> Response {
    let what = "DELETE /fapi/v1/algoOpenOrders";
    cancel_all_of(&state, &headers, &query, &body, what, Entry::Algo).await
}

/// `GET /fapi/v1/openAlgoOrders`: those waiting for their trigger.
pub(super) async fn open_algo(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    open_of(
        &state,
        &headers,
        &query,
        "GET /fapi/v1/openAlgoOrders",
        Entry::Algo,
    )
    .await
}

/// `GET /fapi/v1/allAlgoOrders`: every conditional order, by the
/// `allOrders` selection rules over at most 7 days.
pub(super) async fn all_algo(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    endpoint(&state, 5, "GET /fapi/v1/allAlgoOrders", async {
        let (account, params) = signed(&state, &headers, &query, "")?;
        check_symbol(&state, &params)?;
        let mut all = ask(&state, |tx| Request::AllOrders(account, tx)).await?;
        all.retain(|r| r.request.kind.has_trigger_price());
        let chosen = chosen_orders(&mut all, &params, 7 * 24)?;
        Ok(Value::Array(
            chosen
                .into_iter()
                .map(|r| wire::algo_order(r, &state.instrument))
                .collect(),
        ))
    })
    .await
}
