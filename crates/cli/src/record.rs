//! `kestrel record`: capture a live Binance session as `<local_ts_ns>
//! <frame>` lines, with a REST depth snapshot after every connect, so
//! `kestrel replay` and `kestrel data convert` read it back exactly.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use flate2::Compression;
use flate2::write::GzEncoder;
use kestrel_binance::{BinanceMarket, BinanceRest};
use kestrel_feed::capture::CaptureWriter;
use kestrel_net::record::RecordStats;
use kestrel_net::{RestClient, WsConfig};

/// Options of `kestrel record`.
#[derive(clap::Args)]
pub struct RecordArgs {
    /// Binance market.
    #[arg(long, value_enum, default_value_t = Market::Usdm)]
    market: Market,
    /// Native symbol, e.g. BTCUSDT.
    #[arg(long, default_value = "BTCUSDT")]
    symbol: String,
    /// Where to write; gzipped if the name ends in `.gz`.
    #[arg(short, long)]
    output: PathBuf,
    /// Stop after this many seconds (default: until Ctrl-C).
    #[arg(long)]
    seconds: Option<u64>,
    /// Stream URL prefix (streams are appended); defaults to the market's
    /// production host. Point it at a simulator or testnet.
    #[arg(long)]
    ws_url: Option<String>,
    /// REST host for snapshots; defaults to the market's production host.
    #[arg(long)]
    rest_url: Option<String>,
    /// Depth snapshot levels.
    #[arg(long, default_value_t = 1000)]
    depth: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Market {
    Spot,
    Usdm,
    Coinm,
}

pub fn run(args: &RecordArgs) -> anyhow::Result<()> {
    let market = match args.market {
        Market::Spot => BinanceMarket::Spot,
        Market::Usdm => BinanceMarket::UsdM,
        Market::Coinm => BinanceMarket::CoinM,
    };
    let prefix = args.ws_url.as_deref().unwrap_or(market.stream_url());
    let config = WsConfig::new(format!("{prefix}{}", market.book_streams(&args.symbol)));
    let rest_url = args.rest_url.as_deref().unwrap_or(market.rest_url());
    let rest = Arc::new(BinanceRest::new(
        RestClient::new(market.rest_config(rest_url))?,
        market,
    ));
    let file = File::create(&args.output)
        .with_context(|| format!("cannot create {}", args.output.display()))?;
    println!("recording {} to {}", config.url, args.output.display());
    let stats = if args.output.extension().is_some_and(|e| e == "gz") {
        let gz = GzEncoder::new(BufWriter::new(file), Compression::default());
        let (stats, gz) = session(args, config, rest, gz)?;
        gz.finish()?.flush()?;
        stats
    } else {
        let (stats, mut plain) = session(args, config, rest, BufWriter::new(file))?;
        plain.flush()?;
        stats
    };
    println!(
        "  {} frames, {} snapshots ({} failed), {} connections, {} disconnects",
        stats.frames,
        stats.snapshots,
        stats.snapshot_failures,
        stats.connections,
        stats.disconnects
    );
    if let Some(reason) = &stats.last_disconnect {
        println!("  last disconnect: {reason:?}");
    }
    Ok(())
}

/// Records into `out` until the time is up or Ctrl-C; hands `out` back.
fn session<W: Write>(
    args: &RecordArgs,
    config: WsConfig,
    rest: Arc<BinanceRest>,
    out: W,
) -> anyhow::Result<(RecordStats, W)> {
    let mut writer = CaptureWriter::new(out);
    let (symbol, depth) = (args.symbol.clone(), args.depth);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let stats = runtime.block_on(kestrel_net::record::record(
        config,
        || {
            let (rest, symbol) = (Arc::clone(&rest), symbol.clone());
            async move { rest.depth_snapshot(&symbol, depth).await }
        },
        args.seconds.map(Duration::from_secs),
        async {
            let _ = tokio::signal::ctrl_c().await;
        },
        |local, frame| writer.write_frame(local, frame),
    ))?;
    Ok((stats, writer.into_inner()?))
}
