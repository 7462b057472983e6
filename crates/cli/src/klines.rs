//! `kestrel data klines`: kline backfill from Binance's REST API (or the
//! simulator, which serves the same endpoint), page by page within the
//! venue's request weight, into Binance's kline CSV layout. Resumable: run
//! again on the same file and it continues after its last kline, so an
//! interrupted backfill loses nothing and repeats nothing.

use std::io::{BufRead, BufReader, Read, Seek, Write};
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use kestrel_binance::BinanceMarket;
use kestrel_net::{RestClient, RestConfig, RestError};

/// The CSV's header (Binance's futures kline files use it).
const HEADER: &str = "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore";

/// Klines a request asks for at most.
const MAX_PAGE: u32 = 1_000;

/// Options of `kestrel data klines`.
#[derive(clap::Args)]
pub struct KlinesArgs {
    /// The native symbol (`BTCUSDT`).
    #[arg(long)]
    symbol: String,
    /// Binance's interval: 1s, 1m, 3m, 5m, 15m, 30m, 1h, 2h, 4h, 6h, 8h,
    /// 12h, 1d, 3d or 1w.
    #[arg(long, default_value = "1m")]
    interval: String,
    /// Which API: spot, usdm or coinm.
    #[arg(long, default_value = "spot")]
    market: String,
    /// Another server speaking the same API (the simulator:
    /// `http://127.0.0.1:PORT`).
    #[arg(long)]
    base_url: Option<String>,
    /// First kline's open time, ms since the epoch (ignored when resuming).
    #[arg(long)]
    start_ms: u64,
    /// Last kline's open time at most, ms; now by default.
    #[arg(long)]
    end_ms: Option<u64>,
    /// Klines a request (1 to 1000).
    #[arg(long, default_value_t = MAX_PAGE)]
    page: u32,
    /// Stop after this many requests (the rest on the next run).
    #[arg(long)]
    max_requests: Option<u64>,
    /// The CSV to write or to resume.
    #[arg(short, long)]
    output: PathBuf,
}

/// The interval's length, ms: Binance's intervals, as the simulator
/// serves them.
fn interval_ms(name: &str) -> Option<u64> {
    kestrel_sim_server::klines::interval_secs(name).map(|s| s * 1_000)
}

/// The open time of the file's last kline, if it has one; a file that is
/// not ours is refused, never overwritten.
fn last_open(path: &PathBuf) -> anyhow::Result<Option<u64>> {
    let Ok(file) = std::fs::File::open(path) else {
        return Ok(None);
    };
    let mut lines = BufReader::new(file).lines();
    match lines.next() {
        Some(Ok(h)) if h == HEADER => {}
        None => return Ok(None),
        _ => bail!(
            "{} is not a kline file of this layout: refusing to add to it",
            path.display()
        ),
    }
    let mut last = None;
    for (n, line) in lines.enumerate() {
        let line = line?;
        let open = line
            .split(',')
            .next()
            .and_then(|v| v.parse::<u64>().ok())
            .filter(|_| line.split(',').count() == HEADER.split(',').count())
            .with_context(|| {
                format!(
                    "{} line {}: not a whole kline row: refusing to add to it",
                    path.display(),
                    n + 2
                )
            })?;
        last = Some(open);
    }
    // A row cut short by a crash parses as a shorter open time: a file
    // must end with a whole line before anything is added after it.
    let mut file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    let mut end = [0u8];
    file.seek(std::io::SeekFrom::Start(len.saturating_sub(1)))?;
    file.read_exact(&mut end)?;
    if end != *b"\n" {
        bail!(
            "{} ends in a partial row (a write cut short): refusing to add to it; \
             remove or complete its last line",
            path.display()
        );
    }
    Ok(last)
}

pub fn run(args: &KlinesArgs) -> anyhow::Result<()> {
    let market = match args.market.as_str() {
        "spot" => BinanceMarket::Spot,
        "usdm" => BinanceMarket::UsdM,
        "coinm" => BinanceMarket::CoinM,
        other => bail!("--market {other:?}: spot, usdm or coinm"),
    };
    let step = interval_ms(&args.interval)
        .with_context(|| format!("--interval {:?} is not one of Binance's", args.interval))?;
    if !(1..=MAX_PAGE).contains(&args.page) {
        bail!("--page must be 1 to {MAX_PAGE}");
    }
    let end = args.end_ms.unwrap_or_else(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64)
    });
    let resumed = last_open(&args.output)?;
    let mut next = resumed.map_or(args.start_ms, |last| last + step);
    let mut out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&args.output)
        .with_context(|| format!("opening {}", args.output.display()))?;
    if resumed.is_none() && out.metadata()?.len() == 0 {
        writeln!(out, "{HEADER}")?;
    }
    kestrel_net::install_crypto_provider();
    let mut config = RestConfig::new(
        args.base_url
            .clone()
            .unwrap_or_else(|| market.rest_url().to_owned()),
    );
    config.weight_per_minute = market.weight_per_minute();
    let client = RestClient::new(config)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (mut written, mut requests) = (0u64, 0u64);
    while next <= end && args.max_requests.is_none_or(|m| requests < m) {
        let (path, weight) =
            market.klines_request(&args.symbol, &args.interval, next, end, args.page);
        let body = match runtime.block_on(client.get(&path, weight)) {
            Ok(body) => body,
            Err(
                RestError::RateLimited { retry_after, .. }
                | RestError::Blocked(retry_after)
                | RestError::WeightBudget { retry_after, .. },
            ) => {
                eprintln!("rate limit: waiting {retry_after:?}");
                std::thread::sleep(retry_after.max(Duration::from_millis(100)));
                continue;
            }
            Err(e) => return Err(e).context(format!("GET {path}")),
        };
        requests += 1;
        let page: Vec<Vec<serde_json::Value>> = serde_json::from_slice(&body)
            .with_context(|| format!("GET {path}: not a list of klines"))?;
        if page.is_empty() {
            break;
        }
        for kline in &page {
            let open = kline.first().and_then(serde_json::Value::as_u64);
            let Some(open) = open.filter(|&o| o >= next) else {
                bail!("GET {path}: a kline out of order: {kline:?}");
            };
            let fields: Vec<String> = kline
                .iter()
                .map(|v| match v {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect();
            writeln!(out, "{}", fields.join(","))?;
            next = open + step;
            written += 1;
        }
        out.flush()?;
    }
    out.sync_data()?;
    println!(
        "{} klines of {} {} written to {} in {requests} requests{}; next open time {next}",
        written,
        args.symbol,
        args.interval,
        args.output.display(),
        if resumed.is_some() { " (resumed)" } else { "" },
    );
    Ok(())
}
