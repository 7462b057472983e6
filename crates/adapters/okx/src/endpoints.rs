//! OKX's public REST host, the instrument listing's paths and its pacing:
//! plain data, read by the instrument fetch.

/// Production REST host.
pub const REST_URL: &str = "https://www.okx.com";

/// The instrument endpoint's name, as errors print it.
pub const LISTING_NAME: &str = "OKX public/instruments";

/// The requests that together list every instrument: one per type.
pub const LISTING_PATHS: [&str; 3] = [
    "/api/v5/public/instruments?instType=SPOT",
    "/api/v5/public/instruments?instType=SWAP",
    "/api/v5/public/instruments?instType=FUTURES",
];

/// Least time between two listing requests, in ms: OKX allows 20 per 2 s.
pub const LISTING_INTERVAL_MS: u64 = 200;
