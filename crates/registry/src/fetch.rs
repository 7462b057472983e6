//! Fetching a venue's instrument listing over REST, politely: requests are
//! spaced by the endpoint's pacing, a 429 or 418 is waited out as the venue
//! asks (up to a bound, then the fetch stops with the venue's answer), and
//! paged listings are followed to their end or a page cap.

use std::time::Duration;

use kestrel_instruments::{ParseError, Parsed};
use kestrel_net::{RestClient, RestConfig, RestError};
use tokio::time::{Instant, sleep_until};

use crate::listing::{Endpoint, parse};

/// Most pages followed for one listing: Bybit serves up to 1000 a page,
/// and no venue lists 100 000 instruments in one category.
const MAX_PAGES: usize = 100;

/// Longest `Retry-After` waited out; a longer ban ends the fetch.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(120);

/// Retries of one request after a rate limit.
const MAX_RETRIES: u32 = 3;

/// Why a listing could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The request failed (after waiting out rate limits where allowed).
    #[error("{endpoint} {path}: {source}")]
    Request {
        /// The listing.
        endpoint: Endpoint,
        /// The request.
        path: String,
        /// Why.
        source: RestError,
    },
    /// The answer did not parse.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// The venue kept paging past [`MAX_PAGES`].
    #[error("{0}: more than {MAX_PAGES} pages; stopped rather than loop")]
    TooManyPages(Endpoint),
    /// The client could not be built.
    #[error("{0}")]
    Client(RestError),
}

/// A whole listing and what it took.
#[derive(Debug, Default)]
pub struct Fetched {
    /// Every page's instruments and skips, together.
    pub parsed: Parsed,
    /// Requests sent, retries included.
    pub requests: u32,
    /// The URLs read.
    pub urls: Vec<String>,
}

/// Reads every page of `endpoint`'s listing from `base_url` (the venue's,
/// or a simulator's).
pub async fn fetch(endpoint: Endpoint, base_url: &str) -> Result<Fetched, FetchError> {
    let mut config = RestConfig::new(base_url);
    config.timeout = Duration::from_secs(30);
    config.weight_per_minute = 6000;
    let client = RestClient::new(config).map_err(FetchError::Client)?;
    let pace = Duration::from_millis(endpoint.min_interval_ms());
    let mut fetched = Fetched::default();
    let mut next_at = Instant::now();
    for (base_path, weight) in endpoint.requests() {
        let mut cursor: Option<String> = None;
        for page in 0.. {
            if page == MAX_PAGES {
                return Err(FetchError::TooManyPages(endpoint));
            }
            let path = match &cursor {
                Some(c) => format!("{base_path}&cursor={}", encode(c)),
                None => base_path.to_owned(),
            };
            let mut retries = 0;
            let body = loop {
                sleep_until(next_at).await;
                fetched.requests += 1;
                next_at = Instant::now() + pace;
                match client.get(&path, weight).await {
                    Ok(body) => break body,
                    Err(
                        RestError::RateLimited { retry_after, .. }
                        | RestError::Blocked(retry_after),
                    ) if retries < MAX_RETRIES && retry_after <= MAX_RETRY_WAIT => {
                        retries += 1;
                        next_at = Instant::now() + retry_after.max(pace);
                    }
                    Err(source) => {
                        return Err(FetchError::Request {
                            endpoint,
                            path,
                            source,
                        });
                    }
                }
            };
            fetched.urls.push(format!("{base_url}{path}"));
            let parsed = parse(endpoint, &body)?;
            fetched.parsed.instruments.extend(parsed.instruments);
            fetched.parsed.skipped.extend(parsed.skipped);
            match parsed.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
    }
    Ok(fetched)
}

/// Percent-encodes a cursor for a query string (Bybit's hold `=` and `%`).
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_are_encoded() {
        assert_eq!(encode("a=b%2C c"), "a%3Db%252C%20c");
    }
}
