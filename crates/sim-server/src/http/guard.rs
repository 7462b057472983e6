//! What keeps the `/sim` control endpoints for their owner: they can reject
//! every order, freeze the clock or drop every socket, so a request must
//! carry the server's control token in a header (which a web page on
//! another origin cannot send without a preflight this server never
//! approves), must not come from another origin, and must send its body
//! as JSON.

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::AppState;

/// The header the control token travels in.
pub const CONTROL_HEADER: &str = "x-kestrel-sim-token";

/// A fresh control token: 128 random bits, hex.
pub fn new_token() -> String {
    use ring::rand::{SecureRandom, SystemRandom};
    let mut bytes = [0u8; 16];
    // The system generator does not fail on the platforms served; if it
    // did, the time is unguessable enough for a loopback token.
    if SystemRandom::new().fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        bytes = nanos.to_le_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Equal bytes, compared in time that does not depend on where they
/// differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn refuse(status: StatusCode, why: &str) -> Response {
    (status, axum::Json(json!({ "error": why }))).into_response()
}

/// Admits a `/sim` request only with the token, from no other origin, and
/// with a JSON body if it has one.
pub(super) async fn control(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    let token = headers
        .get(CONTROL_HEADER)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if !same(token, state.control_token.as_bytes()) {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "the /sim endpoints need the control token in the X-Kestrel-Sim-Token header",
        );
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let own = [
            format!("http://127.0.0.1:{}", state.port),
            format!("http://localhost:{}", state.port),
        ];
        if !own.iter().any(|o| o.as_bytes() == origin.as_bytes()) {
            return refuse(StatusCode::FORBIDDEN, "cross-origin requests are refused");
        }
    }
    let has_body = headers
        .get(header::CONTENT_LENGTH)
        .is_some_and(|l| l.as_bytes() != b"0")
        || headers.contains_key(header::TRANSFER_ENCODING);
    let json = headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if request.method() == Method::POST && has_body && !json {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "control bodies are JSON (Content-Type: application/json)",
        );
    }
    next.run(request).await
}
