//! `kestrel sim serve`: the exchange simulator on 127.0.0.1, speaking the
//! Binance spot API over a recorded capture.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use anyhow::Context;
use kestrel_feed::instruments::spot_btcusdt;
use kestrel_model::{Asset, Decimal};
use kestrel_sim::{AccountId, QueueModel, SimConfig};
use kestrel_sim_server::{ApiKey, ApiKeys, FaultConfig, ServerConfig, parse_clock};

/// Options of `kestrel sim`.
#[derive(clap::Args)]
pub struct SimArgs {
    #[command(subcommand)]
    command: SimCommand,
}

#[derive(clap::Subcommand)]
enum SimCommand {
    /// Serve the Binance spot API over a recorded capture.
    Serve(ServeArgs),
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
}

pub fn run(args: &SimArgs) -> anyhow::Result<()> {
    let SimCommand::Serve(args) = &args.command;
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
    let config = ServerConfig {
        data: args.data.clone(),
        instrument: spot_btcusdt(),
        addr: SocketAddr::from((Ipv4Addr::LOCALHOST, args.port)),
        clock,
        keys: ApiKeys(vec![ApiKey {
            key: args.api_key.clone(),
            secret: args.api_secret.clone(),
            account,
        }]),
        deposits,
        faults,
        sim: SimConfig {
            queue_model,
            ..SimConfig::default()
        },
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let server = kestrel_sim_server::start(config).await?;
        println!(
            "kestrel sim: Binance spot API on http://{addr} (REST) and ws://{addr}/ws, /stream; \
             control under /sim; API key {:?}. Ctrl-C stops.",
            args.api_key,
            addr = server.addr
        );
        tokio::signal::ctrl_c().await?;
        server.shutdown().await;
        anyhow::Ok(())
    })
}
