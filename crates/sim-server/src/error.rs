//! Binance's error answers: an HTTP status and `{"code":…,"msg":"…"}`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// An error as Binance sends it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status: 400 for request errors, 401 for keys, 429/418 for rate
    /// limits, 5xx for the venue's own trouble.
    pub status: StatusCode,
    /// Binance's error code.
    pub code: i32,
    /// Binance's message.
    pub msg: String,
    /// Seconds to wait, sent as `Retry-After`.
    pub retry_after: Option<u64>,
    /// Binance's `data` object, rendered (a cancel-replace's two results).
    pub data: Option<String>,
}

impl ApiError {
    fn new(status: StatusCode, code: i32, msg: impl Into<String>) -> Self {
        Self {
            status,
            code,
            msg: msg.into(),
            retry_after: None,
            data: None,
        }
    }

    /// The error with Binance's `data` object and its own status.
    #[must_use]
    pub fn with_data(mut self, status: StatusCode, data: &serde_json::Value) -> Self {
        self.status = status;
        self.data = Some(data.to_string());
        self
    }

    /// -1102: a required parameter is missing or malformed.
    pub fn mandatory(name: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            -1102,
            format!("Mandatory parameter '{name}' was not sent, was empty/null, or malformed."),
        )
    }

    /// -1100/-1106-style bad parameter value.
    pub fn bad_param(name: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            -1100,
            format!(
                "Illegal characters found in parameter '{name}'; legal range is '^[a-zA-Z0-9-_.:/]{{1,36}}$'."
            ),
        )
    }

    /// -1116 / -1115 / -1117: an enum value Binance does not know.
    pub fn invalid_enum(code: i32, what: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, format!("Invalid {what}."))
    }

    /// -1121: unknown symbol.
    pub fn invalid_symbol() -> Self {
        Self::new(StatusCode::BAD_REQUEST, -1121, "Invalid symbol.")
    }

    /// -1013: an order breaks a symbol filter.
    pub fn filter(filter: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            -1013,
            format!("Filter failure: {filter}"),
        )
    }

    /// -2010: the matching engine refused a new order.
    pub fn new_order_rejected(msg: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, -2010, msg)
    }

    /// -2011: a cancel named no open order.
    pub fn unknown_order() -> Self {
        Self::new(StatusCode::BAD_REQUEST, -2011, "Unknown order sent.")
    }

    /// -2013: a query named no order.
    pub fn no_such_order() -> Self {
        Self::new(StatusCode::BAD_REQUEST, -2013, "Order does not exist.")
    }

    /// -1021: timestamp outside `recvWindow` or ahead of the server.
    pub fn timestamp(msg: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, -1021, msg)
    }

    /// -1022: bad signature.
    pub fn signature() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            -1022,
            "Signature for this request is not valid.",
        )
    }

    /// -2014/-2015: missing or unknown API key.
    pub fn api_key(code: i32) -> Self {
        let msg = if code == -2014 {
            "API-key format invalid."
        } else {
            "Invalid API-key, IP, or permissions for action."
        };
        Self::new(StatusCode::UNAUTHORIZED, code, msg)
    }

    /// -1003 with 429 (or 418 once banned) and `Retry-After`, naming the
    /// weight per minute in force.
    pub fn rate_limited(banned: bool, retry_after: u64, limit: u32) -> Self {
        let (status, msg) = if banned {
            (
                StatusCode::IM_A_TEAPOT,
                format!(
                    "Way too much request weight used; IP banned until {retry_after} s from now. Please use WebSocket Streams for live updates to avoid bans."
                ),
            )
        } else {
            (
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "Too much request weight used; current limit is {limit} request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API."
                ),
            )
        };
        Self {
            retry_after: Some(retry_after),
            ..Self::new(status, -1003, msg)
        }
    }

    /// -1001 with 503: the venue's own failure (fault injection).
    pub fn unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            -1001,
            "Internal error; unable to process your request. Please try again.",
        )
    }

    /// -1000: anything else.
    pub fn internal(msg: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, -1000, msg)
    }

    /// The Binance error for a response the router or an extractor made
    /// with no Binance body (an unknown path, a method the path lacks, a
    /// body too large or unreadable), at its status.
    pub fn for_status(status: StatusCode) -> Self {
        let (code, msg) = match status.as_u16() {
            404 | 405 => (-1020, "This operation is not supported."),
            413 => (-1101, "Request too large."),
            s if s >= 500 => (
                -1000,
                "An unknown error occurred while processing the request.",
            ),
            _ => (-1100, "Malformed request."),
        };
        Self::new(status, code, msg)
    }

    /// Any code, e.g. a rejection injected by a test.
    pub fn with_code(code: i32, msg: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, msg)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = serde_json::json!({ "code": self.code, "msg": self.msg }).to_string();
        if let Some(data) = &self.data {
            // `{"code":…,"msg":…}` plus `,"data":…` before the closing brace.
            body.pop();
            body.push_str(&format!(",\"data\":{data}}}"));
        }
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
