//! The simulator's own control endpoints, under `/sim`.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::{AppState, parse_clock};
use crate::exchange::Request;
use crate::faults::FaultConfig;

/// `POST /sim/faults`: replaces the fault settings (JSON [`FaultConfig`]).
pub(super) async fn set_faults(State(state): State<AppState>, body: String) -> Response {
    match serde_json::from_str::<FaultConfig>(&body) {
        Ok(config) => {
            state.log.push("configure", body);
            state.faults.set(config);
            Json(json!({ "ok": true })).into_response()
        }
        Err(e) => (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": e.to_string() })),
        )
            .into_response(),
    }
}

/// `GET /sim/faults`: the current settings.
pub(super) async fn get_faults(State(state): State<AppState>) -> Response {
    Json(state.faults.config()).into_response()
}

/// `GET /sim/faults/log`: every fault injected so far, with its time.
pub(super) async fn fault_log(State(state): State<AppState>) -> Response {
    Json(state.log.records()).into_response()
}

/// `POST /sim/faults/close-connections`: closes every WebSocket now.
pub(super) async fn close_connections(State(state): State<AppState>) -> Response {
    let closed = state.kick.send(()).unwrap_or(0);
    state
        .log
        .push("close_connections", format!("{closed} connections"));
    Json(json!({ "closed": closed })).into_response()
}

#[derive(Deserialize)]
pub(super) struct ClockBody {
    mode: String,
    speed: Option<f64>,
}

/// `POST /sim/clock` with `{"mode":"realtime"|"stepped"|"speed","speed":N}`.
pub(super) async fn set_clock(
    State(state): State<AppState>,
    Json(body): Json<ClockBody>,
) -> Response {
    let Some(mode) = parse_clock(&body.mode, body.speed) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": "mode is realtime, stepped or speed with speed > 0" })),
        )
            .into_response();
    };
    match state.exchange.send(Request::SetClock(mode)).await {
        Ok(()) => Json(json!({ "ok": true })).into_response(),
        Err(_) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

#[derive(Deserialize)]
pub(super) struct StepQuery {
    frames: Option<u64>,
}

/// `POST /sim/clock/step?frames=N`: releases N frames of a stepped clock.
pub(super) async fn step(State(state): State<AppState>, Query(q): Query<StepQuery>) -> Response {
    let frames = q.frames.unwrap_or(1);
    match state.exchange.send(Request::Step(frames)).await {
        Ok(()) => Json(json!({ "released": frames })).into_response(),
        Err(_) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}
