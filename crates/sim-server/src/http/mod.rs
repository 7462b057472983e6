//! The HTTP and WebSocket front of the simulator: routes, shared state, and
//! the server's start and stop.

mod account;
mod control;
mod fapi;
mod guard;
mod limits;
pub use guard::{CONTROL_HEADER, new_token as new_control_token};
pub use limits::IDLE as IDLE_TIMEOUT;
mod market;
mod replace;
mod rest;
mod ws;
mod ws_api;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::routing::{get, post};
use kestrel_model::{Asset, Decimal, Instrument};
use kestrel_sim::{AccountId, SimConfig, SimVenue};
use tokio::net::TcpListener;
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::auth::ApiKeys;
use crate::clock::ClockMode;
use crate::exchange::{Exchange, Outlets, Request};
use crate::faults::{FaultConfig, FaultLog, SharedFaults};
use crate::replay::MarketReplay;
use crate::weight::WeightMeter;

/// Everything `kestrel sim serve` needs.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// The Binance spot capture to replay.
    pub data: PathBuf,
    /// The instrument it records.
    pub instrument: Instrument,
    /// Where to listen; keep it on loopback.
    pub addr: SocketAddr,
    /// The market clock's pace.
    pub clock: ClockMode,
    /// API keys and their accounts.
    pub keys: ApiKeys,
    /// Opening balances.
    pub deposits: Vec<(AccountId, Asset, Decimal)>,
    /// Faults from the start.
    pub faults: FaultConfig,
    /// Matching settings (queue model); latency is the real network's.
    pub sim: SimConfig,
    /// Request weight allowed per minute (Binance: 6,000); benchmarks raise it.
    pub weight_per_minute: u32,
    /// The token the `/sim` control endpoints require, in the
    /// `X-Kestrel-Sim-Token` header.
    pub control_token: String,
    /// New orders allowed per account (Binance's by default); benchmarks
    /// raise them.
    pub order_limits: crate::order_count::OrderLimits,
    /// Leverage tiers and funding, used when the instrument is a linear
    /// contract (then `/fapi` is served instead of `/api`).
    pub futures: crate::futures::FuturesConfig,
    /// A connection that sends nothing for this long is closed (60 s;
    /// tests shorten it).
    pub idle_timeout: std::time::Duration,
}

impl ServerConfig {
    /// `data`, a capture of `instrument`, served on an ephemeral loopback
    /// port with a stepped clock, Binance's weight limit and no faults; no
    /// keys or balances yet, which a caller sets with `..`.
    pub fn loopback(data: PathBuf, instrument: Instrument) -> Self {
        Self {
            data,
            instrument,
            addr: SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, 0)),
            clock: ClockMode::Stepped,
            keys: ApiKeys(Vec::new()),
            deposits: Vec::new(),
            faults: FaultConfig::default(),
            sim: SimConfig::default(),
            weight_per_minute: crate::weight::WEIGHT_PER_MINUTE,
            control_token: guard::new_token(),
            order_limits: crate::order_count::OrderLimits::default(),
            futures: crate::futures::FuturesConfig::default(),
            idle_timeout: limits::IDLE,
        }
    }

    /// Adds `account`, traded with `key` and `secret`, holding `deposits`.
    #[must_use]
    pub fn with_account(
        mut self,
        key: &str,
        secret: &str,
        account: AccountId,
        deposits: impl IntoIterator<Item = (Asset, Decimal)>,
    ) -> Self {
        self.keys.0.push(crate::ApiKey::hmac(key, secret, account));
        self.deposits.extend(
            deposits
                .into_iter()
                .map(|(asset, amount)| (account, asset, amount)),
        );
        self
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The capture could not be opened.
    #[error("market data: {0}")]
    Data(#[from] kestrel_feed::FeedError),
    /// The address could not be bound.
    #[error("listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The error.
        source: std::io::Error,
    },
    /// An opening balance did not fit.
    #[error("opening balance: {0}")]
    Ledger(#[from] kestrel_sim::LedgerError),
    /// A futures deposit of an asset other than the margin asset, or a
    /// contract margin cannot serve.
    #[error("futures margin: {0}")]
    Margin(String),
}

/// State every handler shares.
#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) exchange: mpsc::Sender<Request>,
    pub(crate) outlets: Outlets,
    pub(crate) keys: Arc<ApiKeys>,
    pub(crate) weight: WeightMeter,
    pub(crate) faults: SharedFaults,
    pub(crate) log: FaultLog,
    pub(crate) instrument: Arc<Instrument>,
    pub(crate) listen_keys: Arc<Mutex<HashMap<String, AccountId>>>,
    pub(crate) counter: Arc<AtomicU64>,
    /// Closes every WebSocket connection when sent to.
    pub(crate) kick: broadcast::Sender<()>,
    /// What the `/sim` endpoints require.
    pub(crate) control_token: Arc<str>,
    /// New orders per account, for Binance's order-count limits.
    pub(crate) orders: crate::order_count::OrderCounter,
    /// The port served, for the control endpoints' origin check.
    pub(crate) port: u16,
    /// USDⓈ-M (`/fapi`) rather than spot.
    pub(crate) futures: bool,
    /// The venue's clock: every time the server states.
    pub(crate) clock: crate::clock::VenueClock,
    /// The contract's leverage tiers (futures).
    pub(crate) brackets: Arc<kestrel_sim::margin::Brackets>,
}

/// A running server.
pub struct RunningServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its fault settings, to change them in process.
    pub faults: SharedFaults,
    /// The faults it injected.
    pub log: FaultLog,
    /// The token its `/sim` endpoints require.
    pub control_token: String,
    kick: broadcast::Sender<()>,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl RunningServer {
    /// Closes every WebSocket connection now (logged), as
    /// `POST /sim/faults/close-connections` does; how many were open.
    pub fn close_connections(&self) -> usize {
        let closed = self.kick.send(()).unwrap_or(0);
        self.log
            .push("close_connections", format!("{closed} connections"));
        closed
    }

    /// Stops accepting, closes connections and waits for the server to end.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
    }

    /// Waits until the server ends by itself (it does not, unless killed).
    pub async fn wait(self) {
        let _ = self.task.await;
    }
}

/// Binds, starts the exchange task and serves until shut down.
pub async fn start(config: ServerConfig) -> Result<RunningServer, ServerError> {
    let replay = MarketReplay::open(&config.data, &config.instrument)?;
    let futures = config.instrument.contract.kind == kestrel_model::ContractKind::Linear;
    let mut sim = config.sim.clone();
    // Spot holds balances in the venue's ledger; futures margin is the
    // exchange task's.
    sim.enforce_balances = !futures;
    let mut venue = SimVenue::new([config.instrument.clone()], sim);
    if let Some(ledger) = venue.ledger_mut() {
        for (account, asset, amount) in &config.deposits {
            ledger.deposit(*account, *asset, *amount)?;
        }
    }
    let margin = futures.then(|| futures_accounts(&config)).transpose()?;
    let listener = TcpListener::bind(config.addr)
        .await
        .map_err(|source| ServerError::Bind {
            addr: config.addr,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| ServerError::Bind {
        addr: config.addr,
        source,
    })?;
    let outlets = Outlets {
        market: broadcast::channel(4096).0,
        accounts: broadcast::channel(4096).0,
    };
    let faults = SharedFaults::new(config.faults.clone());
    let log = FaultLog::default();
    let (requests, inbox) = mpsc::channel(1024);
    let mut exchange = Exchange::new(
        venue,
        config.instrument.clone(),
        replay,
        config.clock,
        outlets.clone(),
        faults.clone(),
        log.clone(),
    );
    if let Some(margin) = margin {
        exchange = exchange.with_futures(margin);
    }
    let state = AppState {
        exchange: requests,
        outlets,
        keys: Arc::new(config.keys.clone()),
        weight: WeightMeter::new(config.weight_per_minute),
        faults: faults.clone(),
        log: log.clone(),
        instrument: Arc::new(config.instrument.clone()),
        listen_keys: Arc::default(),
        counter: Arc::default(),
        kick: broadcast::channel(16).0,
        control_token: Arc::from(config.control_token.as_str()),
        orders: crate::order_count::OrderCounter::new(config.order_limits),
        port: addr.port(),
        futures,
        clock: exchange.venue_clock(),
        brackets: Arc::new(config.futures.brackets.clone()),
    };
    let kick = state.kick.clone();
    let idle = config.idle_timeout;
    let app = router(state);
    let (shutdown, stop) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let exchange = tokio::spawn(exchange.run(inbox));
        let listener = limits::CappedListener::new(listener, idle);
        let served = axum::serve(listener, app).with_graceful_shutdown(async move {
            let _ = stop.await;
        });
        let _ = served.await;
        exchange.abort();
    });
    Ok(RunningServer {
        addr,
        faults,
        log,
        control_token: config.control_token,
        kick,
        shutdown: Some(shutdown),
        task,
    })
}

/// The margin accounts of a futures server, funded with the deposits of
/// the contract's margin asset; any other deposit is refused, not dropped.
fn futures_accounts(config: &ServerConfig) -> Result<crate::futures::Futures, ServerError> {
    use kestrel_sim::margin::MarginAccounts;
    let i = &config.instrument;
    let mut margin = MarginAccounts::new();
    margin
        .add_contract(i, config.futures.brackets.clone())
        .map_err(|e| ServerError::Margin(e.to_string()))?;
    for (account, asset, amount) in &config.deposits {
        if *asset != i.contract.settle {
            return Err(ServerError::Margin(format!(
                "{asset} deposited; {} is margined in {} only",
                i.native_symbol, i.contract.settle
            )));
        }
        margin
            .deposit(*account, *amount)
            .map_err(|e| ServerError::Margin(e.to_string()))?;
    }
    Ok(crate::futures::Futures::new(
        margin,
        config.futures.funding_rate,
    ))
}

pub(super) fn router(state: AppState) -> Router {
    let venue = if state.futures {
        fapi::routes(state.clone())
    } else {
        spot_routes()
    };
    venue
        .route("/ws", get(ws::bare))
        .route("/ws/{*streams}", get(ws::raw))
        .route("/stream", get(ws::combined))
        .merge(control_routes(state.clone()))
        .layer(axum::middleware::from_fn(single_values))
        .layer(axum::middleware::map_response(binance_errors))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .with_state(state)
}

fn spot_routes() -> Router<AppState> {
    Router::new()
        .route("/api/v3/ping", get(rest::ping))
        .route("/api/v3/time", get(rest::time))
        .route("/api/v3/exchangeInfo", get(rest::exchange_info))
        .route("/api/v3/depth", get(rest::depth))
        .route("/api/v3/klines", get(rest::klines))
        .route("/api/v3/uiKlines", get(rest::klines))
        .route("/api/v3/ticker/24hr", get(market::day_ticker))
        .route("/api/v3/ticker", get(market::rolling_ticker))
        .route("/api/v3/ticker/price", get(market::price))
        .route("/api/v3/ticker/bookTicker", get(market::book_ticker))
        .route("/api/v3/avgPrice", get(market::avg_price))
        .route("/api/v3/trades", get(market::trades))
        .route("/api/v3/historicalTrades", get(market::historical_trades))
        .route("/api/v3/aggTrades", get(market::agg_trades))
        .route(
            "/api/v3/order",
            post(rest::new_order)
                .delete(rest::cancel_order)
                .get(rest::query_order),
        )
        .route("/api/v3/order/test", post(rest::test_order))
        .route("/api/v3/order/cancelReplace", post(replace::cancel_replace))
        .route("/api/v3/account/commission", get(account::commission))
        .route(
            "/api/v3/openOrders",
            get(rest::open_orders).delete(rest::cancel_all),
        )
        .route("/api/v3/allOrders", get(rest::all_orders))
        .route("/api/v3/account", get(account::account))
        .route("/api/v3/myTrades", get(account::my_trades))
        .route(
            "/api/v3/userDataStream",
            post(rest::new_listen_key)
                .put(rest::keep_listen_key)
                .delete(rest::close_listen_key),
        )
        .route("/ws-api/v3", get(ws_api::ws_api))
}

/// Refuses a query naming a parameter twice (-1101), as Binance does;
/// signed requests check their query and body together as well.
async fn single_values(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let query = request.uri().query().unwrap_or("");
    if let Err(e) = crate::request::Params::new(query, "").refuse_duplicates() {
        return e.into_response();
    }
    next.run(request).await
}

/// The largest request body: orders and control settings are small.
const MAX_BODY: usize = 64 * 1024;

/// The `/sim` control endpoints, behind the control token.
fn control_routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route(
            "/sim/faults",
            post(control::set_faults).get(control::get_faults),
        )
        .route("/sim/faults/log", get(control::fault_log))
        .route(
            "/sim/faults/close-connections",
            post(control::close_connections),
        )
        .route("/sim/clock", post(control::set_clock))
        .route("/sim/clock/step", post(control::step))
        .route_layer(axum::middleware::from_fn_with_state(state, guard::control))
}

/// Every error answer carries a Binance JSON body: one made by the router
/// (an unknown path, a method the path lacks) or by an extractor (a body
/// too large or unreadable) gets the body of its status; clients such as
/// python-binance fail on an error without one.
async fn binance_errors(response: axum::response::Response) -> axum::response::Response {
    use axum::response::IntoResponse;
    let status = response.status();
    let json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    crate::error::ApiError::for_status(status).into_response()
}

/// Clock modes by name, for the control endpoint and the command line.
pub fn parse_clock(mode: &str, speed: Option<f64>) -> Option<ClockMode> {
    match mode {
        "realtime" => Some(ClockMode::RealTime),
        "stepped" => Some(ClockMode::Stepped),
        "speed" => speed.filter(|s| *s > 0.0).map(ClockMode::Speed),
        _ => None,
    }
}
