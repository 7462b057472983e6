//! `kestrel live --config FILE` trades a Binance-compatible venue over
//! real sockets; `kestrel paper` starts the simulator on the bundled
//! capture and a live session against it, in one command.

pub mod config;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use kestrel_engine::Clock;
use kestrel_engine::entry::SessionHeader;
use kestrel_engine::live::{
    self, Channels, LiveSession, MarketFeed, RecoveryPlan, SessionStart, SnapshotRequest, Wiring,
};
use kestrel_engine::market::FrameSync;
use kestrel_engine::replay;
use kestrel_engine::{Kernel, WallClock};
use kestrel_feed::Instruments;
use kestrel_feed::binance::{BinanceDecoder, SpotSequencer};
use kestrel_journal::{JournalWriter, WriterConfig};
use kestrel_model::{Asset, Decimal};
use kestrel_net::binance::{BinanceMarket, BinanceRest};
use kestrel_net::{RestClient, WsConfig};
use kestrel_sim::{AccountId, SimConfig};
use kestrel_sim_server::{ApiKey, ApiKeys, ClockMode, FaultConfig, ServerConfig};
use kestrel_strategy::ImbalanceMm;
use kestrel_venue::binance::{BinanceConfig, BinanceExecution};
use kestrel_venue::{Credentials, VenueError};

use crate::backtest::config::StrategySection;
use config::LiveFile;

/// The built-in paper-trading session.
const PAPER_CONFIG: &str = include_str!("../../../../configs/paper.toml");

/// Options of `kestrel live`.
#[derive(clap::Args)]
pub struct LiveArgs {
    /// Session file (see configs/paper.toml).
    #[arg(long)]
    config: PathBuf,
    /// Stop after this many seconds (default: at Ctrl-C or SIGTERM).
    #[arg(long)]
    seconds: Option<u64>,
}

/// Options of `kestrel paper`.
#[derive(clap::Args)]
pub struct PaperArgs {
    /// Stop after this many seconds (Ctrl-C or SIGTERM stop earlier).
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// Replay speed of the simulator's market (1 = as recorded).
    #[arg(long, default_value_t = 1.0)]
    speed: f64,
    /// The journal's directory. Each paper session trades a fresh
    /// simulator, so by default it gets a fresh journal,
    /// `journal/paper-<start ms>`.
    #[arg(long)]
    journal: Option<PathBuf>,
    /// Simulator faults, a JSON file of `FaultConfig`.
    #[arg(long)]
    faults: Option<PathBuf>,
    /// Serve Prometheus `GET /metrics` here, e.g. 127.0.0.1:9184.
    #[arg(long)]
    metrics: Option<std::net::SocketAddr>,
}

pub fn run_live(args: &LiveArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.config)
        .with_context(|| format!("read {}", args.config.display()))?;
    let file =
        LiveFile::parse(&text).with_context(|| format!("parse {}", args.config.display()))?;
    let credentials = file.credentials()?;
    let runtime = runtime()?;
    session(
        &runtime,
        &file,
        &text,
        credentials,
        args.seconds.map(Duration::from_secs),
    )
}

pub fn run_paper(args: &PaperArgs) -> anyhow::Result<()> {
    let runtime = runtime()?;
    let faults = match &args.faults {
        Some(path) => serde_json::from_str::<FaultConfig>(
            &std::fs::read_to_string(path).with_context(|| format!("read {}", path.display()))?,
        )
        .with_context(|| format!("parse {}", path.display()))?,
        None => FaultConfig::default(),
    };
    let clock = if args.speed == 1.0 {
        ClockMode::RealTime
    } else if args.speed > 0.0 {
        ClockMode::Speed(args.speed)
    } else {
        bail!("--speed must be above 0");
    };
    let (key, secret) = ("kestrel-paper-key", "kestrel-paper-secret");
    let account = AccountId(1);
    let asset = |a: &str| Asset::new(a).map_err(|e| anyhow::anyhow!("{e}"));
    let data = crate::backtest::data_path(Path::new(
        "data/sample/binance_spot_btcusdt_20240808.raw.gz",
    ));
    let instrument = crate::market::binance_spot_instrument(&data, &Default::default())?;
    let server = runtime.block_on(kestrel_sim_server::start(ServerConfig {
        data,
        instrument,
        addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        clock,
        keys: ApiKeys(vec![ApiKey {
            key: key.into(),
            secret: secret.into(),
            account,
        }]),
        deposits: vec![
            (account, asset("USDT")?, Decimal::from(100_000)),
            (account, asset("BTC")?, Decimal::from(1)),
        ],
        faults,
        sim: SimConfig::default(),
        weight_per_minute: kestrel_sim_server::weight::WEIGHT_PER_MINUTE,
    }))?;
    let port = server.addr.port();
    println!(
        "kestrel paper: simulator on http://{} replaying the bundled Binance spot capture",
        server.addr
    );
    let text = PAPER_CONFIG.replace("127.0.0.1:8765", &format!("127.0.0.1:{port}"));
    let mut file = LiveFile::parse(&text).context("the built-in paper config")?;
    file.session.metrics = args.metrics;
    file.session.journal = args.journal.clone().unwrap_or_else(|| {
        PathBuf::from(format!(
            "journal/paper-{}",
            WallClock.now().as_nanos() / 1_000_000
        ))
    });
    let result = session(
        &runtime,
        &file,
        &text,
        Credentials::new(key, secret),
        Some(Duration::from_secs(args.seconds)),
    );
    runtime.block_on(server.shutdown());
    result
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}

/// Resolves when the session should stop: Ctrl-C, SIGTERM, or time up.
async fn stop_signal(after: Option<Duration>) {
    let time_up = async {
        match after {
            Some(d) => tokio::time::sleep(d).await,
            None => std::future::pending().await,
        }
    };
    let terminate = async {
        #[cfg(unix)]
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
            return;
        }
        std::future::pending::<()>().await;
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
        () = time_up => {}
    }
}

fn session(
    runtime: &tokio::runtime::Runtime,
    file: &LiveFile,
    text: &str,
    credentials: Credentials,
    duration: Option<Duration>,
) -> anyhow::Result<()> {
    let v = &file.venue;
    let StrategySection::ImbalanceMm { .. } = file.strategy else {
        bail!("live sessions run imbalance_mm (sma_cross trades daily bars)");
    };
    // The journal first, before the venue is touched: a damaged journal
    // stops the session here, with nothing changed anywhere.
    let dir = &file.session.journal;
    let prior = open_prior(dir)?;

    let market = BinanceMarket::Spot;
    let rest = Arc::new(BinanceRest::new(
        RestClient::new(market.rest_config(v.rest_url.clone()))?,
        market,
    ));
    let mut instrument = runtime
        .block_on(live::patiently(|| async {
            rest.instruments().await.map_err(VenueError::from)
        }))
        .context("exchangeInfo")?
        .into_iter()
        .find(|i| i.native_symbol.as_str() == v.symbol)
        .with_context(|| format!("the venue does not list {}", v.symbol))?;
    if let Some(p) = &prior {
        if p.header.instrument.id != instrument.id {
            bail!(
                "{} holds a session on {}, not {}",
                dir.display(),
                p.header.instrument.id,
                instrument.id
            );
        }
        if p.header.config != text {
            println!("  note: the session keeps the configuration it was started with");
        }
    }
    let venue = BinanceExecution::new(
        BinanceConfig::new(v.rest_url.clone(), v.ws_api_url.clone()),
        credentials,
        instrument.clone(),
    )?;
    runtime
        .block_on(live::patiently(|| venue.sync_clock()))
        .context("the venue's clock")?;
    (instrument.maker_fee, instrument.taker_fee) = runtime
        .block_on(live::patiently(|| venue.fee_rates()))
        .context("the account's fee rates")?;
    let venue = Arc::new(venue);

    let (journal, opened) = JournalWriter::open(WriterConfig {
        dir: dir.clone(),
        fsync: file.fsync()?,
        segment_bytes: 64 << 20,
        queue: 1 << 16,
    })
    .with_context(|| format!("open the journal in {}", dir.display()))?;
    if let Some(cut) = &opened.torn {
        println!(
            "  journal: cut a crash's partial last record ({} bytes), kept in {}",
            cut.bytes(),
            cut.folder.display()
        );
    }
    let now_ms = WallClock.now().as_nanos() / 1_000_000;
    let (header, kernel, start) = match prior {
        None => {
            let header = SessionHeader {
                instrument: instrument.clone(),
                session_ms: now_ms,
                config: text.to_owned(),
            };
            let kernel = kernel_for(file, &instrument, now_ms)?;
            let start = SessionStart::Fresh {
                id_prefix: file.session.id_prefix.clone(),
                unknown_orders: file.unknown_orders()?,
            };
            (header, kernel, start)
        }
        Some(p) => {
            if opened.next_seq != p.next_seq {
                bail!(
                    "{} changed while the session started ({} records, then {})",
                    dir.display(),
                    p.next_seq,
                    opened.next_seq
                );
            }
            let plan = RecoveryPlan {
                applied: p.replayed.trade_ids,
                start_base_quote: p.replayed.start_balances,
                unknown_orders: file.unknown_orders()?,
                session_ms: now_ms,
            };
            (p.header, p.kernel, SessionStart::Resume(plan))
        }
    };
    let frames = FrameSync::new(
        BinanceDecoder::new(Instruments::new(instrument.clone())),
        SpotSequencer::new(),
    );
    let channels = Channels::new();
    let (gateway_tx, resync_tx) = channels.session_ends();
    let mut live_session = LiveSession::new(
        kernel,
        frames,
        &header,
        Some(journal),
        gateway_tx,
        resync_tx,
    );
    live_session.snapshot_every(file.session.snapshot_every);

    let ws = WsConfig::new(format!(
        "{}{}",
        v.stream_url,
        market.book_streams(&v.symbol)
    ));
    let (symbol, depth) = (v.symbol.clone(), v.depth_limit);
    let snapshot = move || -> SnapshotRequest {
        let (rest, symbol) = (Arc::clone(&rest), symbol.clone());
        Box::pin(async move { rest.depth_snapshot(&symbol, depth).await })
    };
    let title = file
        .title
        .clone()
        .unwrap_or_else(|| format!("imbalance_mm on {}", instrument.id));
    println!("kestrel live: {title}");
    println!("  journal {}", file.session.journal.display());
    if let Some(addr) = file.session.metrics {
        println!("  metrics http://{addr}/metrics");
    }
    let outcome = live::run(
        runtime.handle(),
        live_session,
        channels,
        Wiring {
            venue: Arc::clone(&venue),
            market: MarketFeed { ws, snapshot },
            policy: file.shutdown()?,
            start,
            metrics: file.session.metrics,
        },
        stop_signal(duration),
    )?;
    if let Some(r) = &outcome.reconciled {
        println!(
            "  reconciled    {} agreed, {} resolved, {} never arrived, {} adopted, {} cancels sent, {} fills recovered, {} {}",
            r.agreed,
            r.resolved,
            r.never_arrived,
            r.adopted,
            r.to_cancel.len(),
            r.missed_fills,
            r.passes,
            if r.passes == 1 { "pass" } else { "passes" }
        );
    }
    if let Some(r) = outcome.leftovers.as_ref().filter(|r| r.adopted > 0) {
        println!(
            "  earlier orders {} open at the venue with this session's id prefix, adopted ({} fills recovered); {} cancelled by policy",
            r.adopted,
            r.missed_fills,
            r.to_cancel.len()
        );
    }
    summary::print(&outcome, &venue);
    println!("  latency (stages of the live pipeline)");
    print!("{}", outcome.latency.table());
    if let Some(e) = &outcome.session.journal_error {
        bail!("the journal failed: {e}");
    }
    Ok(())
}

/// A journal a session resumes from, rebuilt.
struct Prior {
    header: SessionHeader,
    kernel: Kernel<ImbalanceMm>,
    replayed: replay::Replayed,
    next_seq: u64,
}

/// Inspects the journal in `dir` and rebuilds its session, changing
/// nothing: `None` for an empty journal, an error for a damaged one or one
/// whose replay does not reproduce its decisions.
fn open_prior(dir: &Path) -> anyhow::Result<Option<Prior>> {
    let found = kestrel_journal::inspect(dir)
        .with_context(|| format!("read the journal in {}", dir.display()))?;
    if found.blocking().next().is_some() {
        bail!(
            "{}the journal is damaged, so the session does not start, and nothing was changed.\n\
             `kestrel journal verify {d}` reports everything; `kestrel journal repair {d} --accept-loss` \
             cuts at the damage, keeping what it cuts in {d}/quarantine, after which a session resumes and \
             reconciles with the venue.",
            found.report(),
            d = dir.display()
        );
    }
    if found.is_empty() {
        return Ok(None);
    }
    let header = replay::read_header(dir)?;
    let started = std::time::Instant::now();
    let (kernel, replayed) = replay::recover(dir, found.next_seq, kernel_from_header)?;
    if let Some(m) = &replayed.mismatch {
        bail!(
            "replaying {} does not reproduce record {}: journaled {:?}, replayed {:?}",
            dir.display(),
            m.seq,
            m.journaled,
            m.replayed
        );
    }
    for (seq, why) in &replayed.snapshots_skipped {
        println!("  note: the snapshot at record {seq} was passed over: {why}");
    }
    println!(
        "  resumed: {} from {}, {} records replayed in {:.0?} (position {}, {} orders open, {} intents unconfirmed)",
        dir.display(),
        replayed.snapshot_seq.map_or_else(
            || "the start".to_owned(),
            |s| format!("the snapshot at record {s}")
        ),
        replayed.records,
        started.elapsed(),
        kernel.instrument().qty_text(kernel.position().net_lots()),
        kernel.open_orders().count(),
        replayed.unconfirmed.len()
    );
    Ok(Some(Prior {
        header,
        kernel,
        replayed,
        next_seq: found.next_seq,
    }))
}

/// The kernel a session file describes.
fn kernel_for(
    file: &LiveFile,
    instrument: &kestrel_model::Instrument,
    session_ms: u64,
) -> anyhow::Result<Kernel<ImbalanceMm>> {
    let strategy = ImbalanceMm::new(file.strategy.imbalance_mm(instrument)?);
    Ok(Kernel::new(
        instrument,
        strategy,
        &file.kernel_config(instrument, session_ms)?,
    ))
}

/// A fresh kernel as the journaled session began: its configuration, its
/// instrument and its id session all come from the header.
pub fn kernel_from_header(header: &SessionHeader) -> anyhow::Result<Kernel<ImbalanceMm>> {
    let file = LiveFile::parse(&header.config).context("the journaled session's config")?;
    kernel_for(&file, &header.instrument, header.session_ms)
}

mod summary {
    use std::sync::atomic::Ordering;

    use kestrel_engine::live::LiveOutcome;
    use kestrel_venue::binance::BinanceExecution;

    /// The table printed at shutdown.
    pub fn print<S: kestrel_strategy::Strategy>(o: &LiveOutcome<S>, venue: &BinanceExecution) {
        let k = o.kernel.counters();
        let s = &o.session;
        let g = &o.gateway;
        let c = venue.counters();
        let position = o.kernel.position();
        println!(
            "  inputs        {} ({} market events, {} gaps, {} of them a crossed book)",
            s.inputs, s.market_events, s.gaps, s.crossed
        );
        let m = &o.market;
        let failures = m.snapshot_failures.load(Ordering::Relaxed);
        let last_failure = match m.last_failure.lock().ok().and_then(|l| l.clone()) {
            Some(why) if failures > 0 => format!(", the last: {why}"),
            _ => String::new(),
        };
        println!(
            "  market        {} connects, {} depth snapshots ({failures} requests failed{last_failure})",
            m.connects.load(Ordering::Relaxed),
            m.snapshots.load(Ordering::Relaxed),
        );
        println!(
            "  book          {} updates, {} trades seen; {} diffs decided near the touch first ({} out of order)",
            k.book_updates, k.trades, s.near_first, s.near_faults
        );
        println!(
            "  orders        {} sent, {} rejected, {} unknown; {} cancels ({} refused)",
            g.submitted.load(Ordering::Relaxed),
            g.rejected.load(Ordering::Relaxed),
            g.unknown.load(Ordering::Relaxed),
            g.cancelled.load(Ordering::Relaxed),
            g.cancel_rejected.load(Ordering::Relaxed)
        );
        let refusals: Vec<String> = o
            .kernel
            .refusals()
            .iter()
            .map(|(reason, n)| format!("{n} {reason}"))
            .collect();
        println!(
            "  risk          {} refused{}{}; kill switch {}",
            k.refused,
            if refusals.is_empty() { "" } else { ": " },
            refusals.join(", "),
            o.kernel
                .kill_switch()
                .map_or_else(|| "off".to_owned(), |r| format!("on ({r})"))
        );
        println!(
            "  reports       {} applied, {} repeats dropped, {} odd",
            s.reports, s.duplicate_reports, k.odd_reports
        );
        println!(
            "  recovered     {} fill gaps ({} fills fetched, {} unresolved), {} reconciliations",
            s.fill_gaps, s.recovered_fills, s.unresolved_gaps, s.reconciliations
        );
        println!(
            "  gateway       {} retries, {} look-ups, {} refused locally, {} clock re-syncs, {} user-stream reconnects",
            c.retries.load(Ordering::Relaxed),
            c.lookups.load(Ordering::Relaxed),
            c.refused.load(Ordering::Relaxed),
            c.resyncs.load(Ordering::Relaxed),
            o.user_stream_reconnects
        );
        let settle = &o.kernel.instrument().contract.settle;
        println!(
            "  position      {}, realised {} {settle}, fees {} {settle}, equity {} {settle}",
            o.kernel.instrument().qty_text(position.net_lots()),
            position.realised(),
            position.fees(),
            o.kernel.equity()
        );
        println!(
            "  journal       {} records, {} snapshots{}",
            s.journaled,
            s.snapshots,
            if s.snapshot_failures > 0 {
                format!(
                    " ({} could not be encoded: recovery replays more)",
                    s.snapshot_failures
                )
            } else {
                String::new()
            }
        );
    }
}
