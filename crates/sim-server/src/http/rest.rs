//! Binance spot REST endpoints.

use std::sync::atomic::Ordering;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use kestrel_model::ClientOrderId;
use kestrel_sim::{AccountId, ExecKind, OrderId, OrderRef, RejectReason};
use serde_json::{Value, json};
use tokio::sync::oneshot;

use super::AppState;
use crate::error::ApiError;
use crate::exchange::{KlineQuery, Request, wall_ms};
use crate::faults::RestFault;
use crate::orders::OrderRecord;
use crate::request::{Params, ParsedOrder, order_request};
use crate::wire;

/// Fault injection and weight, before any endpoint runs; the minute's
/// weight so far.
fn admit(state: &AppState, weight: u32, what: &str) -> Result<u32, ApiError> {
    match state.faults.rest_fault(what, &state.log) {
        RestFault::None => {}
        RestFault::ServerError => return Err(ApiError::unavailable()),
        RestFault::RateLimited(after) => {
            return Err(ApiError::rate_limited(false, after, state.weight.limit()));
        }
    }
    state.weight.charge(weight, wall_ms())
}

fn respond(used: u32, body: Value) -> Response {
    let mut response = (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response();
    response
        .headers_mut()
        .insert("x-mbx-used-weight-1m", HeaderValue::from(used));
    response
        .headers_mut()
        .insert("x-mbx-used-weight", HeaderValue::from(used));
    response
}

fn api_key(headers: &HeaderMap) -> Option<&str> {
    headers.get("x-mbx-apikey").and_then(|v| v.to_str().ok())
}

/// Checks a signed request; its account and parameters.
pub(super) fn signed(
    state: &AppState,
    headers: &HeaderMap,
    query: &Option<String>,
    body: &str,
) -> Result<(AccountId, Params), ApiError> {
    let query = query.as_deref().unwrap_or("");
    let account = state.keys.verify(
        api_key(headers),
        query,
        body,
        state.clock.signing(wall_ms()),
    )?;
    let params = Params::new(query, body);
    params.refuse_duplicates()?;
    Ok((account, params))
}

/// Asks the exchange task and waits for its answer.
pub(super) async fn ask<T>(
    state: &AppState,
    make: impl FnOnce(oneshot::Sender<T>) -> Request,
) -> Result<T, ApiError> {
    let (tx, rx) = oneshot::channel();
    state
        .exchange
        .send(make(tx))
        .await
        .map_err(|_| ApiError::internal("exchange stopped"))?;
    rx.await.map_err(|_| ApiError::internal("exchange stopped"))
}

pub(super) fn check_symbol(state: &AppState, params: &Params) -> Result<(), ApiError> {
    crate::request::check_symbol(&state.instrument, params)
}

/// Runs an endpoint: admission, then the body; errors become Binance's.
pub(super) async fn endpoint<F>(state: &AppState, weight: u32, what: &str, run: F) -> Response
where
    F: std::future::Future<Output = Result<Value, ApiError>>,
{
    // The endpoints both venues share are named by the venue served.
    let renamed;
    let what = if state.futures && what.contains("/api/v3/") {
        renamed = what
            .replace("/api/v3/userDataStream", "/fapi/v1/listenKey")
            .replace("/api/v3/", "/fapi/v1/");
        renamed.as_str()
    } else {
        what
    };
    let used = match admit(state, weight, what) {
        Ok(used) => used,
        Err(e) => return e.into_response(),
    };
    let answer = run.await;
    let entry = what.starts_with("POST /api/v3/order")
        || what.starts_with("POST /fapi/v1/order")
        || what.starts_with("POST /fapi/v1/batchOrders")
        || what.starts_with("POST /fapi/v1/algoOrder")
        || what.starts_with("DELETE");
    if entry && answer.is_ok() && state.faults.lose_answer(what, &state.log) {
        return ApiError::unavailable().into_response();
    }
    match answer {
        Ok(body) => respond(used, body),
        Err(e) => e.into_response(),
    }
}

pub(super) async fn ping(State(state): State<AppState>) -> Response {
    endpoint(&state, 1, "GET /api/v3/ping", async { Ok(json!({})) }).await
}

pub(super) async fn time(State(state): State<AppState>) -> Response {
    endpoint(&state, 1, "GET /api/v3/time", async {
        Ok(json!({ "serverTime": state.clock.now_ms() }))
    })
    .await
}

pub(super) async fn exchange_info(State(state): State<AppState>) -> Response {
    endpoint(&state, 20, "GET /api/v3/exchangeInfo", async {
        Ok(wire::exchange_info(
            &state.instrument,
            state.clock.now_ms(),
            state.weight.limit(),
            state.orders.limits(),
        ))
    })
    .await
}

pub(super) async fn depth(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let params = Params::new(query.as_deref().unwrap_or(""), "");
    // Binance's range, 1 to 5000; a limit that is not a number in it is
    // refused, never read as the default.
    let limit = params.limit(100, 5000);
    let weight = match limit.as_ref().map_or(100, |l| *l) {
        0..=100 => 5,
        101..=500 => 25,
        501..=1000 => 50,
        _ => 250,
    };
    endpoint(&state, weight, "GET /api/v3/depth", async {
        check_symbol(&state, &params)?;
        let limit = limit?;
        let view = ask(&state, |tx| Request::Depth(limit, tx)).await?;
        let view = view.ok_or_else(ApiError::unavailable)?;
        Ok(wire::depth(&view, &state.instrument))
    })
    .await
}

/// `GET /api/v3/klines` (and `uiKlines`): klines of the trades replayed
/// so far, at Binance's weight (2) and with its parameter rules; only UTC
/// buckets are served (`timeZone` 0).
pub(super) async fn klines(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let params = Params::new(query.as_deref().unwrap_or(""), "");
    endpoint(&state, 2, "GET /api/v3/klines", async {
        check_symbol(&state, &params)?;
        let interval = params
            .get("interval")
            .ok_or_else(|| ApiError::mandatory("interval"))?;
        let len_s = crate::klines::interval_secs(interval)
            .ok_or_else(|| ApiError::invalid_enum(-1120, "interval"))?;
        let (start, end) = params.time_range(None)?;
        let limit = match params.get("limit") {
            None => 500,
            Some(l) => l
                .parse::<usize>()
                .ok()
                .filter(|l| (1..=1000).contains(l))
                .ok_or_else(|| ApiError::bad_param("limit"))?,
        };
        if params
            .get("timeZone")
            .is_some_and(|z| !matches!(z, "0" | "+00:00" | "00:00"))
        {
            return Err(ApiError::bad_param("timeZone"));
        }
        let query = KlineQuery {
            len_s,
            // Klines opening at or after the start, at or before the end.
            start_s: start.map(|ms| ms.div_ceil(1_000)),
            end_s: end.map(|ms| ms / 1_000),
            limit,
        };
        let klines = ask(&state, |tx| Request::Klines(query, tx)).await?;
        Ok(wire::klines(&klines, &state.instrument))
    })
    .await
}

pub(super) fn rejection(reason: RejectReason) -> ApiError {
    match reason {
        RejectReason::UnknownInstrument => ApiError::invalid_symbol(),
        RejectReason::QtyTooSmall => ApiError::filter("LOT_SIZE"),
        RejectReason::NotionalTooSmall => ApiError::filter("NOTIONAL"),
        RejectReason::BadPrice => ApiError::filter("PRICE_FILTER"),
        RejectReason::WouldTake => {
            ApiError::new_order_rejected("Order would immediately match and take.")
        }
        RejectReason::InsufficientBalance => {
            ApiError::new_order_rejected("Account has insufficient balance for requested action.")
        }
        RejectReason::DuplicateClientId => ApiError::new_order_rejected("Duplicate order sent."),
        RejectReason::UnknownOrder => ApiError::unknown_order(),
        RejectReason::Injected(code) => {
            ApiError::with_code(code, "Order rejected by the simulator's fault injection.")
        }
    }
}

pub(super) async fn new_order(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: String,
) -> Response {
    let mut counts = None;
    let response = endpoint(&state, 1, "POST /api/v3/order", async {
        let (account, params) = signed(&state, &headers, &query, &body)?;
        let parsed = order_request(&state.instrument, account, &params, generated_id(&state))?;
        counts = Some(state.orders.count(account, wall_ms())?);
        place(&state, parsed).await
    })
    .await;
    with_order_counts(response, counts)
}

/// A client order id for an order that names none.
pub(super) fn generated_id(state: &AppState) -> impl FnOnce() -> String + '_ {
    || {
        let n = state.counter.fetch_add(1, Ordering::Relaxed);
        format!("sim{n:019}")
    }
}

/// Places a parsed order (through the injected rejections and ack
/// delay): its answer as `newOrderRespType` asks, or why it was refused.
pub(super) async fn place(state: &AppState, parsed: ParsedOrder) -> Result<Value, ApiError> {
    if let Some(code) = state.faults.reject_code(&state.log) {
        return Err(rejection(RejectReason::Injected(code)));
    }
    let (reports, record) = ask(state, |tx| {
        Request::Submit(parsed.request, parsed.quote_qty, tx)
    })
    .await?;
    state.faults.delay_ack().await;
    if let Some(ExecKind::Rejected(reason)) = reports.first().map(|r| r.kind) {
        return Err(rejection(reason));
    }
    let record = record.ok_or_else(|| ApiError::internal("order not recorded"))?;
    Ok(wire::new_order(
        &record,
        &reports,
        &state.instrument,
        parsed.resp,
        state.clock.now_ms(),
    ))
}

/// The orders an `allOrders` request selects, by Binance's rules: from
/// `orderId` on, or created within `startTime` to `endTime` (at most
/// `max_hours` apart), or else the latest; `limit` of them (default 500,
/// at most 1000), oldest first.
pub(super) fn chosen_orders<'a>(
    all: &'a mut [OrderRecord],
    params: &Params,
    max_hours: u64,
) -> Result<Vec<&'a OrderRecord>, ApiError> {
    let limit = params.limit(500, 1000)?;
    let from_id = params.number("orderId")?;
    let span = max_hours * 3_600_000;
    let window = match params.time_range(Some(max_hours))? {
        (Some(s), e) => Some((s, e.unwrap_or(s.saturating_add(span)))),
        (None, Some(e)) => Some((e.saturating_sub(span), e)),
        (None, None) => None,
    };
    all.sort_unstable_by_key(|r| r.id);
    Ok(match (from_id, window) {
        (Some(id), _) => all.iter().filter(|r| r.id.0 >= id).take(limit).collect(),
        (None, Some((s, e))) => all
            .iter()
            .filter(|r| (s..=e).contains(&r.created_ms))
            .take(limit)
            .collect(),
        (None, None) => all.iter().skip(all.len().saturating_sub(limit)).collect(),
    })
}

/// An order answer with the account's order counts, as Binance sends them.
pub(super) fn with_order_counts(mut response: Response, counts: Option<(u32, u32)>) -> Response {
    if let Some((ten_s, day)) = counts {
        let headers = response.headers_mut();
        headers.insert("x-mbx-order-count-10s", HeaderValue::from(ten_s));
        headers.insert("x-mbx-order-count-1d", HeaderValue::from(day));
    }
    response
}

/// `POST /api/v3/order/test`: the order read and checked against the
/// symbol's filters as a submit would be, and not placed; with
/// `computeCommissionRates=true`, the rates it would pay.
pub(super) async fn test_order(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: String,
) -> Response {
    let rates = Params::new(query.as_deref().unwrap_or(""), &body).get("computeCommissionRates")
        == Some("true");
    let weight = if rates { 20 } else { 1 };
    endpoint(&state, weight, "POST /api/v3/order/test", async {
        let (account, params) = signed(&state, &headers, &query, &body)?;
        let parsed = order_request(&state.instrument, account, &params, || "test".into())?;
        ask(&state, |tx| Request::TestOrder(parsed.request, tx))
            .await?
            .map_err(rejection)?;
        Ok(if rates {
            wire::order_commission(&state.instrument)
        } else {
            json!({})
        })
    })
    .await
}

/// The order a cancel or query names.
pub(super) fn target(p: &Params) -> Result<(Option<OrderId>, Option<ClientOrderId>), ApiError> {
    let id = p
        .get("orderId")
        .map(|v| {
            v.parse()
                .map(OrderId)
                .map_err(|_| ApiError::bad_param("orderId"))
        })
        .transpose()?;
    let client = p
        .get("origClientOrderId")
        .map(|v| ClientOrderId::new(v).map_err(|_| ApiError::bad_param("origClientOrderId")))
        .transpose()?;
    if id.is_none() && client.is_none() {
        return Err(ApiError::mandatory("orderId"));
    }
    Ok((id, client))
}

pub(super) async fn cancel_order(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: String,
) -> Response {
    endpoint(&state, 1, "DELETE /api/v3/order", async {
        let (account, params) = signed(&state, &headers, &query, &body)?;
        check_symbol(&state, &params)?;
        let target = match target(&params)? {
            (Some(id), _) => OrderRef::Venue(id),
            (None, Some(client)) => OrderRef::Client(client),
            (None, None) => return Err(ApiError::mandatory("orderId")),
        };
        let record = ask(&state, |tx| Request::Cancel(account, target, tx)).await?;
        state.faults.delay_ack().await;
        let record = record.map_err(|_| ApiError::unknown_order())?;
        Ok(wire::canceled(
            &record,
            &state.instrument,
            state.clock.now_ms(),
        ))
    })
    .await
}

pub(super) async fn query_order(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    endpoint(&state, 4, "GET /api/v3/order", async {
        let (account, params) = signed(&state, &headers, &query, "")?;
        check_symbol(&state, &params)?;
        let (id, client) = target(&params)?;
        let record = ask(&state, |tx| Request::Order(account, id, client, tx)).await?;
        let record = record.ok_or_else(ApiError::no_such_order)?;
        Ok(wire::order(&record, &state.instrument))
    })
    .await
}

/// `GET /api/v3/allOrders`: the account's orders, oldest first, with
/// Binance's selection: from `orderId` on, or created within `startTime`
/// to `endTime` (at most 24 hours apart), or else the latest; `limit` of
/// them (default 500, at most 1000).
pub(super) async fn all_orders(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    endpoint(&state, 20, "GET /api/v3/allOrders", async {
        let (account, params) = signed(&state, &headers, &query, "")?;
        check_symbol(&state, &params)?;
        let mut all = ask(&state, |tx| Request::AllOrders(account, tx)).await?;
        let chosen = chosen_orders(&mut all, &params, 24)?;
        Ok(Value::Array(
            chosen
                .into_iter()
                .map(|r| wire::order(r, &state.instrument))
                .collect(),
        ))
    })
    .await
}

pub(super) async fn open_orders(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    endpoint(&state, 6, "GET /api/v3/openOrders", async {
        let (account, params) = signed(&state, &headers, &query, "")?;
        if params.get("symbol").is_some() {
            check_symbol(&state, &params)?;
        }
        let open = ask(&state, |tx| Request::OpenOrders(account, tx)).await?;
        Ok(Value::Array(
            open.iter()
                .map(|r| wire::order(r, &state.instrument))
                .collect(),
        ))
    })
    .await
}

pub(super) async fn cancel_all(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: String,
) -> Response {
    endpoint(&state, 1, "DELETE /api/v3/openOrders", async {
        let (account, params) = signed(&state, &headers, &query, &body)?;
        check_symbol(&state, &params)?;
        let done = ask(&state, |tx| Request::CancelAll(account, tx)).await?;
        if done.is_empty() {
            return Err(ApiError::unknown_order());
        }
        let now = state.clock.now_ms();
        Ok(Value::Array(
            done.iter()
                .map(|r| wire::canceled(r, &state.instrument, now))
                .collect(),
        ))
    })
    .await
}

pub(super) async fn new_listen_key(State(state): State<AppState>, headers: HeaderMap) -> Response {
    endpoint(&state, 2, "POST /api/v3/userDataStream", async {
        let account = state.keys.account(api_key(&headers))?;
        let n = state.counter.fetch_add(1, Ordering::Relaxed);
        let key = format!("simlistenkey{account:0>8}{n:0>44}", account = account.0);
        state
            .listen_keys
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(key.clone(), account);
        Ok(json!({ "listenKey": key }))
    })
    .await
}

pub(super) async fn keep_listen_key(State(state): State<AppState>, headers: HeaderMap) -> Response {
    endpoint(&state, 2, "PUT /api/v3/userDataStream", async {
        state.keys.account(api_key(&headers))?;
        Ok(json!({}))
    })
    .await
}

pub(super) async fn close_listen_key(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    endpoint(&state, 2, "DELETE /api/v3/userDataStream", async {
        state.keys.account(api_key(&headers))?;
        let params = Params::new(query.as_deref().unwrap_or(""), "");
        if let Some(key) = params.get("listenKey") {
            state
                .listen_keys
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .remove(key);
        }
        Ok(json!({}))
    })
    .await
}
