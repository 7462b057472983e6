//! `kestrel sim`: the exchange simulator. `serve` speaks the Binance spot
//! API on 127.0.0.1 over a recorded capture; `replay` runs a capture
//! through the venue in process, as fast as it goes, with orders resting,
//! and reports the rate and the peak memory.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use anyhow::Context;

use crate::instruments::CatalogueArgs;
use std::time::Instant;

use kestrel_model::{Asset, ClientOrderId, Decimal, Qty, Side, UnixNanos};
use kestrel_sim::{
    AccountId, Command, ExecKind, OrderRequest, QueueModel, SimConfig, SimVenue, VenueEvent,
};
use kestrel_sim_server::{ApiKey, ApiKeys, FaultConfig, MarketReplay, ServerConfig, parse_clock};

/// Options of `kestrel sim`.
#[derive(clap::Args)]
pub struct SimArgs {
    #[command(subcommand)]
    command: SimCommand,
}

#[derive(clap::Subcommand)]
enum SimCommand {
    /// Serve the Binance spot API (or USDⓈ-M, for a linear contract's
    /// capture) over a recorded capture.
    Serve(Box<ServeArgs>),
    /// Replay a capture through the simulated venue in process, with ten
    /// orders kept resting at the touch; print the rate, fills and peak memory.
    Replay(ReplayArgs),
}

/// Options of `kestrel sim replay`.
#[derive(clap::Args)]
struct ReplayArgs {
    /// Binance spot capture (`<local_ns> <json>` lines, maybe gzipped).
    #[arg(
        long,
        default_value = "data/sample/binance_spot_btcusdt_20240808.raw.gz"
    )]
    data: PathBuf,
    #[command(flatten)]
    catalogue: CatalogueArgs,
}

/// Options of `kestrel sim serve`.
#[derive(clap::Args)]
struct ServeArgs {
    /// Binance spot capture (`<local_ns> <json>` lines, maybe gzipped).
    #[arg(
        long,
        default_value = "data/sample/binance_spot_btcusdt_20240808.raw.gz"
    )]
    data: PathBuf,
    #[command(flatten)]
    catalogue: CatalogueArgs,
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 8765)]
    port: u16,
    /// Market clock: realtime, speed (with --speed) or stepped.
    #[arg(long, default_value = "realtime")]
    clock: String,
    /// Replay speed for `--clock speed`.
    #[arg(long)]
    speed: Option<f64>,
    /// API key clients send in X-MBX-APIKEY.
    #[arg(long, env = "KESTREL_SIM_API_KEY", default_value = "kestrel-sim-key")]
    api_key: String,
    /// Secret clients sign with.
    #[arg(
        long,
        env = "KESTREL_SIM_API_SECRET",
        default_value = "kestrel-sim-secret"
    )]
    api_secret: String,
    /// An Ed25519 public key (PEM, as Binance takes them) for the same
    /// account: clients sign with its private half (REST, and
    /// `session.logon` on the WebSocket API).
    #[arg(long)]
    ed25519_public_key: Option<PathBuf>,
    /// The API key that names the Ed25519 key.
    #[arg(long, default_value = "kestrel-sim-ed25519-key")]
    ed25519_api_key: String,
    /// Opening balances as ASSET=AMOUNT, repeatable.
    #[arg(long = "deposit", default_values_t = ["USDT=100000".to_owned(), "BTC=1".to_owned()])]
    deposits: Vec<String>,
    /// Fault settings, a JSON file of `FaultConfig` (also settable live with
    /// POST /sim/faults).
    #[arg(long)]
    faults: Option<PathBuf>,
    /// Queue model: probabilistic (default, power 2) or conservative.
    #[arg(long, default_value = "probabilistic")]
    queue: String,
    /// Request weight allowed per minute before 429s and, after three of
    /// them, a two-minute 418 ban (Binance spot's limit by default).
    #[arg(long, default_value_t = kestrel_sim_server::weight::WEIGHT_PER_MINUTE)]
    weight_per_minute: u32,
    /// New orders allowed per account in 10 seconds before 429 (-1015);
    /// Binance spot's by default.
    #[arg(long, default_value_t = kestrel_sim_server::order_count::ORDERS_PER_10S)]
    orders_per_10s: u32,
    /// New orders allowed per account in a day (UTC).
    #[arg(long, default_value_t = kestrel_sim_server::order_count::ORDERS_PER_DAY)]
    orders_per_day: u32,
    /// The token the /sim control endpoints require in the
    /// X-Kestrel-Sim-Token header; a random one, printed at start, if not
    /// given.
    #[arg(long, env = "KESTREL_SIM_CONTROL_TOKEN", hide_env_values = true)]
    control_token: Option<String>,
}

pub fn run(args: &SimArgs) -> anyhow::Result<()> {
    match &args.command {
        SimCommand::Serve(args) => serve(args),
        SimCommand::Replay(args) => replay(args),
    }
}

fn replay(args: &ReplayArgs) -> anyhow::Result<()> {
    let instrument = crate::market::binance_sim_instrument(&args.data, &args.catalogue)?;
    let mut venue = SimVenue::new([instrument.clone()], SimConfig::default());
    let mut replay = MarketReplay::open(&args.data, &instrument)
        .with_context(|| format!("open {}", args.data.display()))?;
    let started = Instant::now();
    let (mut fills, mut placed) = (0u64, 0u64);
    let mut working: Vec<ClientOrderId> = Vec::new();
    while let Some(frame) = replay.next_frame(&mut venue) {
        replay.apply_staged(&mut venue);
        let now = frame.exchange;
        while let Some(event) = venue.next_event(UnixNanos::new(u64::MAX)) {
            if let VenueEvent::Report(r) = event {
                fills += u64::from(matches!(r.kind, ExecKind::Trade(_)));
                if !r.status.is_open() {
                    working.retain(|c| *c != r.client_id);
                }
            }
        }
        let book = venue
            .engine(instrument.id)
            .map(|e| (e.book().best_bid(), e.book().best_ask()));
        let Some((Some(bid), Some(ask))) = book else {
            continue;
        };
        while working.len() < 10 {
            placed += 1;
            let (side, price) = if placed % 2 == 0 {
                (Side::Buy, bid.price)
            } else {
                (Side::Sell, ask.price)
            };
            let client_id =
                ClientOrderId::new(&format!("r{placed}")).map_err(|e| anyhow::anyhow!("{e}"))?;
            venue.send(
                now,
                Command::Submit(OrderRequest::limit(
                    AccountId(1),
                    instrument.id,
                    client_id,
                    side,
                    price,
                    Qty::from_lots(100_000),
                )),
            );
            working.push(client_id);
        }
        venue.advance_to(now);
    }
    let elapsed = started.elapsed();
    let stats = replay.stats();
    println!("kestrel sim replay of {}", args.data.display());
    println!(
        "  frames     {} read, {} published ({} stale, {} gaps, {} malformed)",
        stats.frames, stats.published, stats.stale, stats.gaps, stats.malformed
    );
    println!(
        "  orders     {placed} placed, {fills} fills, 10 of 0.001 BTC kept resting at the touch"
    );
    println!(
        "  time       {:.3} s, {:.0} frames/s (gunzip and decode included)",
        elapsed.as_secs_f64(),
        stats.frames as f64 / elapsed.as_secs_f64()
    );
    match peak_rss_kib() {
        Some(kib) => println!(
            "  peak RSS   {:.1} MiB (the capture is streamed, never loaded whole)",
            kib as f64 / 1024.0
        ),
        None => println!("  peak RSS   unavailable on this platform"),
    }
    Ok(())
}

/// The process's peak resident memory (`VmHWM`), Linux only.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn serve(args: &ServeArgs) -> anyhow::Result<()> {
    let clock = parse_clock(&args.clock, args.speed)
        .context("--clock is realtime, stepped, or speed with --speed N > 0")?;
    let faults = match &args.faults {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("read {}", path.display()))?;
            serde_json::from_str::<FaultConfig>(&text)
                .with_context(|| format!("parse {}", path.display()))?
        }
        None => FaultConfig::default(),
    };
    let queue_model = match args.queue.as_str() {
        "probabilistic" => QueueModel::default(),
        "conservative" => QueueModel::Conservative,
        other => anyhow::bail!("unknown queue model {other:?}"),
    };
    let account = AccountId(1);
    let mut deposits = Vec::new();
    for d in &args.deposits {
        let (asset, amount) = d.split_once('=').context("--deposit is ASSET=AMOUNT")?;
        let asset = Asset::new(asset).map_err(|e| anyhow::anyhow!("asset {asset:?}: {e}"))?;
        let amount =
            Decimal::parse(amount).map_err(|e| anyhow::anyhow!("amount {amount:?}: {e}"))?;
        deposits.push((account, asset, amount));
    }
    let mut keys = ApiKeys(vec![ApiKey::hmac(&args.api_key, &args.api_secret, account)]);
    if let Some(path) = &args.ed25519_public_key {
        let pem =
            std::fs::read_to_string(path).with_context(|| format!("read {}", path.display()))?;
        let public = kestrel_sim_server::auth::ed25519_public_key_from_pem(&pem)
            .with_context(|| format!("{} is not an Ed25519 PEM public key", path.display()))?;
        keys.0
            .push(ApiKey::ed25519(&args.ed25519_api_key, public, account));
    }
    let mut keys = ApiKeys(vec![ApiKey::hmac(&args.api_key, &args.api_secret, account)]);
    if let Some(path) = &args.ed25519_public_key {
        let pem =
            std::fs::read_to_string(path).with_context(|| format!("read {}", path.display()))?;
        let public = kestrel_sim_server::auth::ed25519_public_key_from_pem(&pem)
            .with_context(|| format!("{} is not an Ed25519 PEM public key", path.display()))?;
        keys.0
            .push(ApiKey::ed25519(&args.ed25519_api_key, public, account));
    }
    let instrument = crate::market::binance_sim_instrument(&args.data, &args.catalogue)?;
    let futures = instrument.contract.kind == kestrel_model::ContractKind::Linear;
    if futures {
        // Futures are margined in one asset: the others are left out, said.
        let settle = instrument.contract.settle;
        for (_, asset, amount) in deposits.iter().filter(|(_, a, _)| *a != settle) {
            println!(
                "kestrel sim: {} is margined in {settle}: the {amount} {asset} deposit is not used",
                instrument.native_symbol
            );
        }
        deposits.retain(|(_, a, _)| *a == settle);
    }
    let config = ServerConfig {
        data: args.data.clone(),
        instrument,
        addr: SocketAddr::from((Ipv4Addr::LOCALHOST, args.port)),
        clock,
        keys,
        deposits,
        faults,
        sim: SimConfig {
            queue_model,
            ..SimConfig::default()
        },
        weight_per_minute: args.weight_per_minute,
        control_token: args
            .control_token
            .clone()
            .unwrap_or_else(kestrel_sim_server::new_control_token),
        order_limits: kestrel_sim_server::order_count::OrderLimits {
            per_10s: args.orders_per_10s,
            per_day: args.orders_per_day,
        },
        futures: Default::default(),
        idle_timeout: kestrel_sim_server::IDLE_TIMEOUT,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let server = kestrel_sim_server::start(config).await?;
        println!(
            "kestrel sim: Binance {} API on http://{addr} (REST) and ws://{addr}/ws, /stream; \
             API key {:?}. Ctrl-C stops.",
            if futures {
                "USDⓈ-M (/fapi)"
            } else {
                "spot (/api)"
            },
            args.api_key,
            addr = server.addr
        );
        // The operator's own terminal: the token is theirs to pass on.
        if args.control_token.is_none() {
            println!(
                "kestrel sim: control under /sim with header X-Kestrel-Sim-Token: {}",
                server.control_token
            );
        }
        tokio::signal::ctrl_c().await?;
        server.shutdown().await;
        anyhow::Ok(())
    })
}
