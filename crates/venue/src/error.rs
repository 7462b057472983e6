//! One error type for every venue: what went wrong, normalised from the
//! venue's codes, and whether trying again can help.

use std::time::Duration;

use kestrel_model::RejectReason;
use kestrel_net::RestError;

/// Why a venue call failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VenueError {
    /// No answer in time: the call may or may not have taken effect.
    #[error("venue call timed out")]
    Timeout,
    /// The connection failed before an answer: it may or may not have
    /// taken effect.
    #[error("transport: {0}")]
    Transport(String),
    /// The venue's own trouble (HTTP 5xx, or Binance -1001/-1006/-1007).
    #[error("venue unavailable (HTTP {status}, code {code}): {msg}")]
    Unavailable {
        /// HTTP status.
        status: u16,
        /// The venue's code, 0 if none.
        code: i32,
        /// The venue's message.
        msg: String,
    },
    /// Too many requests (HTTP 429) or banned (418): wait.
    #[error("rate limited, retry after {retry_after:?}")]
    RateLimited {
        /// How long to wait.
        retry_after: Duration,
    },
    /// Refused locally so as not to exceed the venue's limits.
    #[error("local rate limit ({0}), retry after {1:?}")]
    Throttled(&'static str, Duration),
    /// Refused locally: too many failures in a row; the breaker is open.
    #[error("circuit breaker open for another {0:?}")]
    CircuitOpen(Duration),
    /// Key missing, wrong or without permission.
    #[error("authentication failed ({code}): {msg}")]
    Auth {
        /// The venue's code.
        code: i32,
        /// The venue's message.
        msg: String,
    },
    /// Our timestamp is outside the venue's receive window.
    #[error("timestamp outside the venue's receive window: {0}")]
    ClockSkew(String),
    /// The venue has no such order (never placed, or long gone).
    #[error("unknown order")]
    UnknownOrder,
    /// The client order id is already in use: a retried submit that did
    /// reach the venue the first time.
    #[error("duplicate client order id")]
    Duplicate,
    /// The venue refused the order or request on its merits.
    #[error("rejected ({code}): {msg}")]
    Rejected {
        /// The venue's code.
        code: i32,
        /// The venue's message.
        msg: String,
    },
    /// An answer we cannot read.
    #[error("cannot decode the venue's answer: {0}")]
    Decode(String),
}

impl VenueError {
    /// Whether the call may have taken effect without our knowing: a
    /// submit or cancel that failed this way must be resolved by a query
    /// (or retried, when the call is idempotent).
    pub fn outcome_unknown(&self) -> bool {
        matches!(
            self,
            Self::Timeout | Self::Transport(_) | Self::Unavailable { .. }
        )
    }

    /// Whether trying the same call again later can succeed.
    pub fn is_transient(&self) -> bool {
        self.outcome_unknown()
            || matches!(
                self,
                Self::RateLimited { .. }
                    | Self::Throttled(..)
                    | Self::CircuitOpen(_)
                    | Self::ClockSkew(_)
            )
    }

    /// Whether the failure counts against the circuit breaker: the venue
    /// or the path to it is unwell, not our request.
    pub fn trips_breaker(&self) -> bool {
        self.outcome_unknown()
    }

    /// The refusal of an order that certainly did not reach the book, as
    /// the kernel's reject reason; codes we do not map keep their number.
    pub fn reject_reason(&self) -> RejectReason {
        match self {
            Self::Rejected { code: -1013, msg } if msg.contains("NOTIONAL") => {
                RejectReason::NotionalTooSmall
            }
            Self::Rejected { code: -1013, msg } if msg.contains("PRICE") => RejectReason::BadPrice,
            Self::Rejected { code: -1013, .. } => RejectReason::QtyTooSmall,
            Self::Rejected { code: -1121, .. } => RejectReason::UnknownInstrument,
            Self::Rejected { msg, .. } if msg.contains("immediately match") => {
                RejectReason::WouldTake
            }
            Self::Rejected { msg, .. } if msg.contains("insufficient balance") => {
                RejectReason::InsufficientBalance
            }
            Self::Duplicate => RejectReason::DuplicateClientId,
            Self::UnknownOrder => RejectReason::UnknownOrder,
            Self::Rejected { code, .. } | Self::Auth { code, .. } => RejectReason::Injected(*code),
            Self::RateLimited { .. } | Self::Throttled(..) => RejectReason::Injected(-1015),
            Self::ClockSkew(_) => RejectReason::Injected(-1021),
            Self::CircuitOpen(_)
            | Self::Timeout
            | Self::Transport(_)
            | Self::Unavailable { .. }
            | Self::Decode(_) => RejectReason::Injected(-1001),
        }
    }

    /// Normalises a Binance error: HTTP status and `{"code":…,"msg":…}`.
    pub fn from_binance(status: u16, code: i32, msg: &str) -> Self {
        let msg_owned = || msg.to_owned();
        match code {
            -1021 => Self::ClockSkew(msg_owned()),
            -1022 | -2014 | -2015 => Self::Auth {
                code,
                msg: msg_owned(),
            },
            -2011 | -2013 => Self::UnknownOrder,
            -2010 if msg.contains("Duplicate") => Self::Duplicate,
            -1001 | -1006 | -1007 => Self::Unavailable {
                status,
                code,
                msg: msg_owned(),
            },
            -1003 | -1015 => Self::RateLimited {
                retry_after: Duration::from_secs(1),
            },
            _ if status >= 500 => Self::Unavailable {
                status,
                code,
                msg: msg_owned(),
            },
            _ => Self::Rejected {
                code,
                msg: msg_owned(),
            },
        }
    }
}

impl From<RestError> for VenueError {
    fn from(e: RestError) -> Self {
        match e {
            RestError::Timeout => Self::Timeout,
            RestError::Transport(m) => Self::Transport(m),
            RestError::RateLimited { retry_after, .. } => Self::RateLimited { retry_after },
            RestError::Blocked(d) => Self::RateLimited { retry_after: d },
            RestError::WeightBudget { retry_after, .. } => {
                Self::Throttled("request weight", retry_after)
            }
            RestError::Status { status, body } => {
                #[derive(serde::Deserialize)]
                struct Body {
                    code: i32,
                    msg: String,
                }
                match serde_json::from_str::<Body>(&body) {
                    Ok(b) => Self::from_binance(status, b.code, &b.msg),
                    Err(_) if status >= 500 => Self::Unavailable {
                        status,
                        code: 0,
                        msg: body,
                    },
                    Err(_) => Self::Rejected {
                        code: 0,
                        msg: format!("HTTP {status}: {body}"),
                    },
                }
            }
            RestError::Decode(m) => Self::Decode(m),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binance_codes_normalise() {
        assert_eq!(
            VenueError::from(RestError::Status {
                status: 400,
                body: r#"{"code":-2010,"msg":"Duplicate order sent."}"#.into()
            }),
            VenueError::Duplicate
        );
        assert_eq!(
            VenueError::from(RestError::Status {
                status: 400,
                body: r#"{"code":-2011,"msg":"Unknown order sent."}"#.into()
            }),
            VenueError::UnknownOrder
        );
        let skew = VenueError::from_binance(
            400,
            -1021,
            "Timestamp for this request is outside of the recvWindow.",
        );
        assert!(matches!(skew, VenueError::ClockSkew(_)) && skew.is_transient());
        let rejected =
            VenueError::from_binance(400, -2010, "Order would immediately match and take.");
        assert!(matches!(rejected, VenueError::Rejected { code: -2010, .. }));
        assert!(!rejected.is_transient() && !rejected.outcome_unknown());
        assert_eq!(rejected.reject_reason(), RejectReason::WouldTake);
        assert_eq!(
            VenueError::from_binance(400, -1013, "Filter failure: NOTIONAL").reject_reason(),
            RejectReason::NotionalTooSmall
        );
        let down = VenueError::from(RestError::Status {
            status: 503,
            body: "<html>bad gateway</html>".into(),
        });
        assert!(down.outcome_unknown() && down.trips_breaker());
        assert!(matches!(
            VenueError::from_binance(401, -2015, "Invalid API-key"),
            VenueError::Auth { code: -2015, .. }
        ));
    }
}
