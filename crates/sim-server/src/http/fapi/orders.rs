//! USDⓈ-M order entry and queries.

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use kestrel_sim::OrderRef;
use kestrel_sim::margin::MarginError;
use serde_json::{Value, json};

use super::ask_futures;
use crate::error::ApiError;
use crate::exchange::{FuturesReject, FuturesRequest, Request, wall_ms};
use crate::futures::request::{Entry, order_request};
use crate::futures::wire;
use crate::http::AppState;
use crate::http::rest::{
    ask, check_symbol, chosen_orders, endpoint, generated_id, rejection, signed, target,
    with_order_counts,
};
use crate::orders::OrderRecord;
use crate::request::Params;

/// A futures refusal as Binance's error.
pub(super) fn refusal(why: FuturesReject) -> ApiError {
    match why {
        FuturesReject::Venue(kestrel_sim::RejectReason::InsufficientBalance)
        | FuturesReject::Margin(MarginError::Insufficient) => {
            ApiError::with_code(-2019, "Margin is insufficient.")
        }
        FuturesReject::Venue(kestrel_sim::RejectReason::WouldTake) => ApiError::with_code(
            -5022,
            "Due to the order could not be executed as maker, the Post Only order will be rejected.",
        ),
        FuturesReject::Venue(reason) => rejection(reason),
        FuturesReject::Margin(MarginError::PositionTooLarge) => ApiError::with_code(
            -2027,
            "Exceeded the maximum allowable position at current leverage.",
        ),
        FuturesReject::Margin(MarginError::LeverageTooHigh { .. }) => {
            ApiError::with_code(-4028, "Leverage is not valid")
        }
        FuturesReject::Margin(MarginError::SameMarginType) => {
            ApiError::with_code(-4046, "No need to change margin type.")
        }
        FuturesReject::Margin(MarginError::PositionOpen) => ApiError::with_code(
            -4048,
            "Margin type cannot be changed if there exists position.",
        ),
        FuturesReject::OpenOrders => ApiError::with_code(
            -4047,
            "Margin type cannot be changed if there exists open orders.",
        ),
        FuturesReject::Margin(MarginError::UnknownInstrument) => ApiError::invalid_symbol(),
        FuturesReject::Margin(MarginError::Overflow) => ApiError::internal("amount out of range"),
        FuturesReject::ReduceOnly => ApiError::with_code(-2022, "ReduceOnly Order is rejected."),
        FuturesReject::NoMark => ApiError::unavailable(),
    }
}

/// Places one order read from `params` through `entry`; its answer (an
/// order, or an algo order). `counts` gets the account's order counts
/// once it is counted.
pub(super) async fn place(
    state: &AppState,
    account: kestrel_sim::AccountId,
    params: &Params,
    entry: Entry,
    counts: &mut Option<(u32, u32)>,
) -> Result<Value, ApiError> {
    let order = order_request(
        &state.instrument,
        account,
        params,
        entry,
        generated_id(state),
    )?;
    *counts = Some(state.orders.count(account, wall_ms())?);
    if let Some(code) = state.faults.reject_code(&state.log) {
        return Err(rejection(kestrel_sim::RejectReason::Injected(code)));
    }
    let answer = ask_futures(state, |tx| FuturesRequest::Submit(order, tx)).await?;
    state.faults.delay_ack().await;
    let (_, record) = answer.map_err(refusal)?;
    let record = record.ok_or_else(|| ApiError::internal("order not recorded"))?;
    Ok(match entry {
        Entry::Order => wire::order(&record, &state.instrument, false),
        Entry::Algo => wire::algo_order(&record, &state.instrument),
    })
}

/// `POST /fapi/v1/order`.
pub(super) async fn new_order(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: String,
) -> Response {
    let what = "POST /fapi/v1/order";
    new_entry(&state, &headers, &query, &body, what, Entry::Order).await
}

/// One signed order through `entry`, answered with the account's order
/// counts.
pub(super) async fn new_entry(
    state: &AppState,
    headers: &HeaderMap,
    query: &Option<String>,
    body: &str,
    what: &str,
    entry: Entry,
) -> Response {
    let mut counts = None;
    let response = endpoint(state, 0, what, async {
        let (account, params) = signed(state, headers, query, body)?;
        place(state, account, &params, entry, &mut counts).await
    })
    .await;
    with_order_counts(response, counts)
}

/// `POST /fapi/v1/batchOrders`: up to 5 orders, each answered in place by
/// its order or its error.
pub(super) async fn batch_orders(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: String,
) -> Response {
    endpoint(&state, 5, "POST /fapi/v1/batchOrders", async {
        let (account, params) = signed(&state, &headers, &query, &body)?;
        let list: Vec<serde_json::Map<String, Value>> =
            serde_json::from_str(params.require("batchOrders")?)
                .map_err(|_| ApiError::bad_param("batchOrders"))?;
        if list.is_empty() || list.len() > 5 {
            return Err(ApiError::with_code(
                -1130,
                "Invalid data sent for a parameter: batchOrders holds 1 to 5 orders.",
            ));
        }
        let mut answers = Vec::with_capacity(list.len());
        for item in list {
            let one = Params::new(&form(&item), "");
            answers.push(
                match place(&state, account, &one, Entry::Order, &mut None).await {
                    Ok(v) => v,
                    Err(e) => json!({ "code": e.code, "msg": e.msg }),
                },
            );
        }
        Ok(Value::Array(answers))
    })
    .await
}

/// One batch entry as a form: its values as they are (strings) or as JSON.
fn form(item: &serde_json::Map<String, Value>) -> String {
    let mut form = form_urlencoded::Serializer::new(String::new());
    for (k, v) in item {
        match v {
            Value::String(s) => form.append_pair(k, s),
            other => form.append_pair(k, &other.to_string()),
        };
    }
    form.finish()
}

/// `GET /fapi/v1/order`.
pub(super) async fn query_order(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    endpoint(&state, 1, "GET /fapi/v1/order", async {
        let (account, params) = signed(&state, &headers, &query, "")?;
        check_symbol(&state, &params)?;
        let (id, client) = target(&params)?;
        let record = ask(&state, |tx| Request::Order(account, id, client, tx)).await?;
        let record = record
            .filter(|r| !r.is_waiting_trigger())
            .ok_or_else(ApiError::no_such_order)?;
        Ok(wire::order(&record, &state.instrument, true))
    })
    .await
}

/// `GET /fapi/v1/openOrder`: one open order.
pub(super) async fn open_order(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    endpoint(&state, 1, "GET /fapi/v1/openOrder", async {
        let (account, params) = signed(&state, &headers, &query, "")?;
        check_symbol(&state, &params)?;
        let (id, client) = target(&params)?;
        let record = ask(&state, |tx| Request::Order(account, id, client, tx)).await?;
        let record = record
            .filter(|r| r.last.status.is_open() && !r.is_waiting_trigger())
            .ok_or_else(|| ApiError::with_code(-2013, "Order does not exist."))?;
        Ok(wire::order(&record, &state.instrument, true))
    })
    .await
}

/// `DELETE /fapi/v1/order`.
pub(super) async fn cancel_order(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: String,
) -> Response {
    endpoint(&state, 1, "DELETE /fapi/v1/order", async {
        let (account, params) = signed(&state, &headers, &query, &body)?;
        check_symbol(&state, &params)?;
        let (id, client) = target(&params)?;
        let known = ask(&state, |tx| Request::Order(account, id, client, tx)).await?;
        // An algo order waiting for its trigger is cancelled as one.
        let known = known
            .filter(|r| !r.is_waiting_trigger())
            .ok_or_else(ApiError::unknown_order)?;
        let target = OrderRef::Venue(known.id);
        let record = ask(&state, |tx| Request::Cancel(account, target, tx)).await?;
        state.faults.delay_ack().await;
        let record = record.map_err(|_| ApiError::unknown_order())?;
        Ok(wire::order(&record, &state.instrument, false))
    })
    .await
}

/// `DELETE /fapi/v1/allOpenOrders`: the orders in the book.
pub(super) async fn cancel_all(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: String,
) -> Response {
    let what = "DELETE /fapi/v1/allOpenOrders";
    cancel_all_of(&state, &headers, &query, &body, what, Entry::Order).await
}

/// Cancels every open order of the signed account entered through `entry`.
pub(super) async fn cancel_all_of(
    state: &AppState,
    headers: &HeaderMap,
    query: &Option<String>,
    body: &str,
    what: &str,
    entry: Entry,
) -> Response {
    endpoint(state, 1, what, async {
        let (account, params) = signed(state, headers, query, body)?;
        check_symbol(state, &params)?;
        let open = ask(state, |tx| Request::OpenOrders(account, tx)).await?;
        for r in open.iter().filter(|r| entered(r) == entry) {
            let target = OrderRef::Venue(r.id);
            // One that ended meanwhile is not an error of the whole.
            let _ = ask(state, |tx| Request::Cancel(account, target, tx)).await?;
        }
        Ok(json!({ "code": 200, "msg": "The operation of cancel all open order is done." }))
    })
    .await
}

/// `GET /fapi/v1/openOrders`: the orders in the book.
pub(super) async fn open_orders(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    open_of(
        &state,
        &headers,
        &query,
        "GET /fapi/v1/openOrders",
        Entry::Order,
    )
    .await
}

/// Where an order is listed: a conditional one waiting for its trigger is
/// an algo order, the rest are in the book.
pub(super) fn entered(r: &OrderRecord) -> Entry {
    if r.is_waiting_trigger() {
        Entry::Algo
    } else {
        Entry::Order
    }
}

/// The signed account's open orders entered through `entry`, as that
/// endpoint shows them.
pub(super) async fn open_of(
    state: &AppState,
    headers: &HeaderMap,
    query: &Option<String>,
    what: &str,
    entry: Entry,
) -> Response {
    endpoint(state, 1, what, async {
        let (account, params) = signed(state, headers, query, "")?;
        if params.get("symbol").is_some() {
            check_symbol(state, &params)?;
        }
        let open = ask(state, |tx| Request::OpenOrders(account, tx)).await?;
        Ok(Value::Array(
            open.iter()
                .filter(|r| entered(r) == entry)
                .map(|r| match entry {
                    Entry::Order => wire::order(r, &state.instrument, true),
                    Entry::Algo => wire::algo_order(r, &state.instrument),
                })
                .collect(),
        ))
    })
    .await
}

/// `GET /fapi/v1/allOrders`: Binance's selection, over at most 7 days.
pub(super) async fn all_orders(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    endpoint(&state, 5, "GET /fapi/v1/allOrders", async {
        let (account, params) = signed(&state, &headers, &query, "")?;
        check_symbol(&state, &params)?;
        let mut all = ask(&state, |tx| Request::AllOrders(account, tx)).await?;
        all.retain(|r| !r.is_waiting_trigger());
        let chosen = chosen_orders(&mut all, &params, 7 * 24)?;
        Ok(Value::Array(
            chosen
                .into_iter()
                .map(|r| wire::order(r, &state.instrument, true))
                .collect(),
        ))
    })
    .await
}
