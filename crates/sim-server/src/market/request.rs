//! Reading the public market-data requests' parameters by Binance's rules:
//! pure functions of the request text, so they can be fuzzed apart from
//! the server.

use crate::error::ApiError;
use crate::exchange::MarketQuery;
use crate::market::AggQuery;
use crate::request::Params;

/// Which symbols a ticker request names, which decides its answer's shape
/// (one object, or an array) and its weight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// `symbol=…`: one object.
    One,
    /// `symbols=[…]` of this many: an array.
    List(usize),
    /// Neither: every symbol, an array.
    All,
}

/// The most symbols one `symbols` list may name.
const MAX_SYMBOLS: usize = 100;
/// An hour, ms: the widest `aggTrades` time range.
const HOUR_MS: u64 = 3_600_000;

/// The symbols a request names; each must be `served` (-1121), and
/// `symbol` and `symbols` do not go together (-1128).
pub fn scope(params: &Params, served: &str) -> Result<Scope, ApiError> {
    match (params.get("symbol"), params.get("symbols")) {
        (Some(_), Some(_)) => Err(ApiError::with_code(
            -1128,
            "Combination of optional parameters invalid.",
        )),
        (Some(symbol), None) => {
            if symbol.eq_ignore_ascii_case(served) {
                Ok(Scope::One)
            } else {
                Err(ApiError::invalid_symbol())
            }
        }
        (None, Some(list)) => {
            let names: Vec<String> =
                serde_json::from_str(list).map_err(|_| ApiError::bad_param("symbols"))?;
            if names.is_empty() || names.len() > MAX_SYMBOLS {
                return Err(ApiError::bad_param("symbols"));
            }
            if names.iter().any(|n| !n.eq_ignore_ascii_case(served)) {
                return Err(ApiError::invalid_symbol());
            }
            Ok(Scope::List(names.len()))
        }
        (None, None) => Ok(Scope::All),
    }
}

/// `ticker/24hr`'s weight for a scope.
pub fn day_ticker_weight(scope: Scope) -> u32 {
    match scope {
        Scope::One => 2,
        Scope::List(n) if n <= 20 => 2,
        Scope::List(n) if n <= 100 => 40,
        Scope::List(_) | Scope::All => 80,
    }
}

/// `ticker/price` and `ticker/bookTicker`'s weight for a scope.
pub fn price_weight(scope: Scope) -> u32 {
    if scope == Scope::One { 2 } else { 4 }
}

/// `type`: `FULL` (the default) or `MINI`.
pub fn full(params: &Params) -> Result<bool, ApiError> {
    match params.get("type") {
        None | Some("FULL") => Ok(true),
        Some("MINI") => Ok(false),
        Some(_) => Err(ApiError::bad_param("type")),
    }
}

/// `windowSize` of the rolling `ticker`: `1m`–`59m`, `1h`–`23h` or
/// `1d`–`7d`, in seconds; `1d` when absent.
pub fn window_size(params: &Params) -> Result<u64, ApiError> {
    let Some(text) = params.get("windowSize") else {
        return Ok(86_400);
    };
    let bad = || ApiError::with_code(-1100, "Invalid windowSize.");
    let (n, max, secs) = if let Some(n) = text.strip_suffix('m') {
        (n, 59, 60)
    } else if let Some(n) = text.strip_suffix('h') {
        (n, 23, 3_600)
    } else if let Some(n) = text.strip_suffix('d') {
        (n, 7, 86_400)
    } else {
        return Err(bad());
    };
    let n: u64 = n.parse().map_err(|_| bad())?;
    if (1..=max).contains(&n) {
        Ok(n * secs)
    } else {
        Err(bad())
    }
}

/// The rolling `ticker`'s weight: 4 a symbol, at most 200.
pub fn rolling_weight(scope: Scope) -> u32 {
    match scope {
        Scope::One => 4,
        Scope::List(n) => (4 * n as u32).min(200),
        Scope::All => 200,
    }
}

/// `trades` (newest `limit`) or `historicalTrades` (`fromId` on).
pub fn trades(params: &Params, historical: bool) -> Result<MarketQuery, ApiError> {
    Ok(MarketQuery::Trades {
        from_id: if historical {
            params.number("fromId")?
        } else {
            None
        },
        limit: params.limit(500, 1000)?,
    })
}

/// `aggTrades`: from `fromId`, or within `startTime`–`endTime` (at most
/// an hour apart), or else the newest.
pub fn aggs(params: &Params) -> Result<MarketQuery, ApiError> {
    let window = match params.time_range(Some(1))? {
        (Some(s), e) => Some((s, e.unwrap_or(u64::MAX))),
        (None, Some(e)) => Some((e.saturating_sub(HOUR_MS), e)),
        (None, None) => None,
    };
    Ok(MarketQuery::Aggs(AggQuery {
        from_id: params.number("fromId")?,
        window,
        limit: params.limit(500, 1000)?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(q: &str) -> Params {
        Params::new(q, "")
    }

    #[test]
    fn scopes_weights_and_refusals() {
        assert_eq!(scope(&p("symbol=btcusdt"), "BTCUSDT"), Ok(Scope::One));
        assert_eq!(
            scope(&p("symbols=%5B%22BTCUSDT%22%5D"), "BTCUSDT"),
            Ok(Scope::List(1))
        );
        assert_eq!(scope(&p(""), "BTCUSDT"), Ok(Scope::All));
        assert_eq!(
            scope(&p("symbol=ETHUSDT"), "BTCUSDT").unwrap_err().code,
            -1121
        );
        assert_eq!(
            scope(&p("symbol=BTCUSDT&symbols=[\"BTCUSDT\"]"), "BTCUSDT")
                .unwrap_err()
                .code,
            -1128
        );
        assert_eq!(
            scope(&p("symbols=BTCUSDT"), "BTCUSDT").unwrap_err().code,
            -1100
        );
        assert_eq!(day_ticker_weight(Scope::All), 80);
        assert_eq!(rolling_weight(Scope::List(60)), 200);
    }

    #[test]
    fn windows_limits_and_time_ranges() {
        assert_eq!(window_size(&p("windowSize=15m")), Ok(900));
        assert_eq!(window_size(&p("windowSize=7d")), Ok(604_800));
        assert_eq!(window_size(&p("")), Ok(86_400));
        for bad in ["60m", "0h", "8d", "1w", "m", "", "-1m", "1é", "é"] {
            let q = format!("windowSize={bad}");
            assert!(bad.is_empty() || window_size(&p(&q)).is_err(), "{bad}");
        }
        assert_eq!(p("limit=abc").limit(500, 1000).unwrap_err().code, -1100);
        assert_eq!(p("limit=-1").limit(500, 1000).unwrap_err().code, -1100);
        assert!(p("limit=0").limit(500, 1000).is_err());
        assert_eq!(p("limit=1000").limit(500, 1000), Ok(1000));
        assert_eq!(
            aggs(&p("startTime=0&endTime=3600001")).unwrap_err().code,
            -1127
        );
        assert!(matches!(
            aggs(&p("fromId=5&limit=10")),
            Ok(MarketQuery::Aggs(AggQuery {
                from_id: Some(5),
                limit: 10,
                ..
            }))
        ));
    }
}
