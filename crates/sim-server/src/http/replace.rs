//! `POST /api/v3/order/cancelReplace`: cancels an order and places another
//! in one call, by Binance's modes. `STOP_ON_FAILURE` places nothing when
//! the cancel fails; `ALLOW_FAILURE` places the new order anyway. Either
//! result failing makes the answer an error carrying both results in
//! `data` (-2022 when nothing was done, -2021 when one half was).

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use kestrel_sim::OrderRef;
use serde_json::{Value, json};

use super::AppState;
use super::rest::{ask, check_symbol, endpoint, generated_id, place, signed, with_order_counts};
use crate::error::ApiError;
use crate::exchange::{Request, wall_ms};
use crate::request::{Params, order_request};
use crate::wire;

/// The order to cancel: `cancelOrderId` or `cancelOrigClientOrderId`.
fn cancel_target(p: &Params) -> Result<OrderRef, ApiError> {
    if let Some(id) = p.get("cancelOrderId") {
        let id = id
            .parse()
            .map_err(|_| ApiError::bad_param("cancelOrderId"))?;
        return Ok(OrderRef::Venue(kestrel_sim::OrderId(id)));
    }
    let client = p
        .get("cancelOrigClientOrderId")
        .ok_or_else(|| ApiError::mandatory("cancelOrderId"))?;
    kestrel_model::ClientOrderId::new(client)
        .map(OrderRef::Client)
        .map_err(|_| ApiError::bad_param("cancelOrigClientOrderId"))
}

fn failure(e: &ApiError) -> Value {
    json!({ "code": e.code, "msg": e.msg })
}

pub(super) async fn cancel_replace(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: String,
) -> Response {
    let mut counts = None;
    let response = endpoint(&state, 1, "POST /api/v3/order/cancelReplace", async {
        let (account, params) = signed(&state, &headers, &query, &body)?;
        check_symbol(&state, &params)?;
        let stop_on_failure = match params.require("cancelReplaceMode")? {
            "STOP_ON_FAILURE" => true,
            "ALLOW_FAILURE" => false,
            _ => return Err(ApiError::invalid_enum(-1100, "cancelReplaceMode")),
        };
        let target = cancel_target(&params)?;
        // The new order is read first: a malformed one cancels nothing.
        let parsed = order_request(&state.instrument, account, &params, generated_id(&state))?;

        counts = Some(state.orders.count(account, wall_ms())?);
        let cancelled = ask(&state, |tx| Request::Cancel(account, target, tx))
            .await?
            .map(|record| wire::canceled(&record, &state.instrument, state.clock.now_ms()))
            .map_err(|_| ApiError::unknown_order());
        if let (Err(e), true) = (&cancelled, stop_on_failure) {
            let data = json!({
                "cancelResult": "FAILURE",
                "newOrderResult": "NOT_ATTEMPTED",
                "cancelResponse": failure(e),
                "newOrderResponse": null,
            });
            return Err(ApiError::with_code(-2022, "Order cancel-replace failed.")
                .with_data(StatusCode::BAD_REQUEST, &data));
        }

        let placed = place(&state, parsed).await;

        let half = |r: &Result<Value, ApiError>| match r {
            Ok(_) => "SUCCESS",
            Err(_) => "FAILURE",
        };
        let answer = |r: &Result<Value, ApiError>| match r {
            Ok(v) => v.clone(),
            Err(e) => failure(e),
        };
        let data = json!({
            "cancelResult": half(&cancelled),
            "newOrderResult": half(&placed),
            "cancelResponse": answer(&cancelled),
            "newOrderResponse": answer(&placed),
        });
        match (cancelled.is_ok(), placed.is_ok()) {
            (true, true) => Ok(data),
            (false, false) => Err(ApiError::with_code(-2022, "Order cancel-replace failed.")
                .with_data(StatusCode::BAD_REQUEST, &data)),
            _ => Err(
                ApiError::with_code(-2021, "Order cancel-replace partially failed.")
                    .with_data(StatusCode::CONFLICT, &data),
            ),
        }
    })
    .await;
    with_order_counts(response, counts)
}
