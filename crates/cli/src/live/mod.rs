//! `kestrel live --config FILE` trades a Binance-compatible venue over
//! real sockets; `kestrel paper` starts the simulator on the bundled
//! capture and a live session against it, in one command.

pub mod config;
mod feeds;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use kestrel_binance::{BinanceAccount, BinanceConfig, BinanceExecution};
use kestrel_binance::{BinanceDecoder, SpotSequencer};
use kestrel_binance::{BinanceMarket, BinanceRest};
use kestrel_engine::Clock;
use kestrel_engine::entry::SessionHeader;
use kestrel_engine::replay;
use kestrel_engine::{Kernel, WallClock};
use kestrel_feed::FrameSync;
use kestrel_feed::Instruments;
use kestrel_journal::{JournalWriter, WriterConfig};
use kestrel_live::{
    AccountLink, Channels, Connection, LiveSession, RecoveryPlan, SessionStart, Wiring,
};
use kestrel_model::{Asset, Decimal, Instrument, InstrumentIndex};
use kestrel_net::RestClient;
use kestrel_sim::{AccountId, SimConfig};
use kestrel_sim_server::{ApiKey, ApiKeys, ClockMode, FaultConfig, ServerConfig};
use kestrel_strategy::BuiltIn;
use kestrel_venue::Credentials;

use config::LiveFile;
pub(crate) use feeds::{BookFeed, listed_instrument, market_feeds};

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
    /// A session file whose markets each name the capture their
    /// simulator replays (`data`); by default, imbalance_mm on the bundled
    /// Binance spot BTCUSDT capture (configs/paper.toml).
    #[arg(long)]
    config: Option<PathBuf>,
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
    for (n, v) in file.markets().iter().enumerate() {
        if let Some(data) = &v.data {
            println!(
                "  note: market {n}'s data ({}) is for kestrel paper; kestrel live trades {}",
                data.display(),
                v.rest_url
            );
        }
    }
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
    let text = match &args.config {
        Some(path) => {
            std::fs::read_to_string(path).with_context(|| format!("read {}", path.display()))?
        }
        None => PAPER_CONFIG.to_owned(),
    };
    let mut file = LiveFile::parse(&text).context("the paper session's config")?;
    let (key, secret) = ("kestrel-paper-key", "kestrel-paper-secret");
    let account = AccountId(1);
    let asset = |a: &Asset| Asset::new(a.as_str()).map_err(|e| anyhow::anyhow!("{e}"));
    let mut servers = Vec::new();
    for (n, v) in file.venue.iter_mut().chain(&mut file.venues).enumerate() {
        let data = crate::backtest::data_path(v.data.as_deref().with_context(|| {
            format!(
                "market {n} ({}): name the capture its simulator replays as `data`",
                v.symbol
            )
        })?);
        let instrument = crate::market::binance_sim_instrument(&data, &Default::default())?;
        if instrument.contract.kind != kestrel_model::ContractKind::Spot {
            bail!(
                "market {n}: {} is a USDⓈ-M capture; `kestrel sim serve` serves it on /fapi, \
                 but kestrel paper's Binance gateway trades spot only so far",
                data.display()
            );
        }
        if instrument.native_symbol.as_str() != v.symbol {
            bail!(
                "market {n}: {} holds {}, not {}",
                data.display(),
                instrument.native_symbol,
                v.symbol
            );
        }
        let deposits = vec![
            (account, asset(&instrument.quote)?, Decimal::from(100_000)),
            (account, asset(&instrument.base)?, Decimal::from(1)),
        ];
        let server = runtime.block_on(kestrel_sim_server::start(ServerConfig {
            data: data.clone(),
            instrument,
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            clock,
            keys: ApiKeys(vec![ApiKey::hmac(key, secret, account)]),
            deposits,
            faults: faults.clone(),
            sim: SimConfig::default(),
            weight_per_minute: kestrel_sim_server::weight::WEIGHT_PER_MINUTE,
            control_token: kestrel_sim_server::new_control_token(),
            order_limits: kestrel_sim_server::order_count::OrderLimits::default(),
            futures: Default::default(),
            idle_timeout: kestrel_sim_server::IDLE_TIMEOUT,
        }))?;
        println!(
            "kestrel paper: simulator on http://{} replaying {}",
            server.addr,
            data.display()
        );
        v.rest_url = format!("http://{}", server.addr);
        v.ws_api_url = format!("ws://{}/ws-api/v3", server.addr);
        v.stream_url = format!("ws://{}/stream?streams=", server.addr);
        servers.push(server);
    }
    file.session.metrics = args.metrics.or(file.session.metrics);
    file.session.journal = args.journal.clone().unwrap_or_else(|| {
        PathBuf::from(format!(
            "journal/paper-{}",
            WallClock.now().as_nanos() / 1_000_000
        ))
    });
    let credentials = vec![Credentials::new(key, secret); servers.len()];
    let result = session(
        &runtime,
        &file,
        &text,
        credentials,
        Some(Duration::from_secs(args.seconds)),
    );
    for server in servers {
        runtime.block_on(server.shutdown());
    }
    result
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}

/// Resolves when the session should stop: Ctrl-C, SIGTERM, or time up.
pub(crate) async fn stop_signal(after: Option<Duration>) {
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

/// One market of a session, opened: its venue section, REST client,
/// instrument (with the account's fees) and order gateway.
struct OpenMarket<'a> {
    section: &'a config::VenueSection,
    rest: Arc<BinanceRest>,
    instrument: Instrument,
    venue: Arc<BinanceExecution>,
}

/// Reads a market's instrument from its venue and opens its gateway, on
/// the account of `accounts` it shares keys and hosts with, or a new one.
fn open_market<'a>(
    runtime: &tokio::runtime::Runtime,
    section: &'a config::VenueSection,
    credentials: Credentials,
    accounts: &mut Vec<(&'a config::VenueSection, Arc<BinanceAccount>)>,
) -> anyhow::Result<OpenMarket<'a>> {
    let market = BinanceMarket::Spot;
    let rest = Arc::new(BinanceRest::new(
        RestClient::new(market.rest_config(section.rest_url.clone()))?,
        market,
    ));
    let mut instrument = listed_instrument(runtime, &rest, &section.rest_url, &section.symbol)?;
    let shared = accounts
        .iter()
        .find(|(s, _)| same_account(s, section))
        .map(|(_, a)| Arc::clone(a));
    let account = match shared {
        Some(account) => account,
        None => {
            let account = Arc::new(BinanceAccount::new(
                BinanceConfig::new(section.rest_url.clone(), section.ws_api_url.clone()),
                credentials,
            )?);
            runtime
                .block_on(kestrel_live::patiently(|| account.sync_clock()))
                .context("the venue's clock")?;
            accounts.push((section, Arc::clone(&account)));
            account
        }
    };
    let venue = account.market(instrument.clone());
    (instrument.maker_fee, instrument.taker_fee) = runtime
        .block_on(kestrel_live::patiently(|| venue.fee_rates()))
        .context("the account's fee rates")?;
    Ok(OpenMarket {
        section,
        rest,
        instrument,
        venue: Arc::new(venue),
    })
}

/// Whether two markets trade on one account: the same venue and keys.
fn same_account(a: &config::VenueSection, b: &config::VenueSection) -> bool {
    a.rest_url == b.rest_url && a.ws_api_url == b.ws_api_url && a.api_key_env == b.api_key_env
}

/// Markets a session cannot keep apart: the same instrument twice. (Two
/// markets on one account may share an asset: a restart checks the
/// account's balances against the fills of all its markets together.)
fn check_markets(markets: &[OpenMarket<'_>]) -> anyhow::Result<()> {
    for (n, a) in markets.iter().enumerate() {
        if markets[n + 1..]
            .iter()
            .any(|b| a.instrument.id == b.instrument.id)
        {
            bail!("{} is listed twice", a.instrument.id);
        }
    }
    Ok(())
}

fn session(
    runtime: &tokio::runtime::Runtime,
    file: &LiveFile,
    text: &str,
    credentials: Vec<Credentials>,
    duration: Option<Duration>,
) -> anyhow::Result<()> {
    // The journal first, before the venue is touched: a damaged journal
    // stops the session here, with nothing changed anywhere.
    let dir = &file.session.journal;
    let prior = open_prior(dir)?;

    let mut accounts = Vec::new();
    let markets = file
        .markets()
        .into_iter()
        .zip(credentials)
        .map(|(section, credentials)| open_market(runtime, section, credentials, &mut accounts))
        .collect::<anyhow::Result<Vec<_>>>()?;
    check_markets(&markets)?;
    let instruments: Vec<Instrument> = markets.iter().map(|m| m.instrument.clone()).collect();
    if let Some(p) = &prior {
        let ids = |list: &[Instrument]| list.iter().map(|i| i.id).collect::<Vec<_>>();
        if ids(&p.header.instruments) != ids(&instruments) {
            bail!(
                "{} holds a session on {:?}, not {:?}",
                dir.display(),
                ids(&p.header.instruments),
                ids(&instruments)
            );
        }
        if p.header.config != text {
            println!("  note: the session keeps the configuration it was started with");
        }
    }

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
                instruments: instruments.clone(),
                session_ms: now_ms,
                config: text.to_owned(),
            };
            let kernel = kernel_for(file, &instruments, now_ms)?;
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
                start_balances: p.replayed.start_balances,
                unknown_orders: file.unknown_orders()?,
                session_ms: now_ms,
            };
            (p.header, p.kernel, SessionStart::Resume(plan))
        }
    };
    let channels = Channels::new(markets.len());
    let session_markets = instruments
        .iter()
        .enumerate()
        .filter_map(|(n, i)| {
            let frames = FrameSync::new(
                BinanceDecoder::new(Instruments::new(i.clone())),
                SpotSequencer::new(),
            );
            channels.session_market(n, i.id, frames)
        })
        .collect();
    let mut live_session = LiveSession::new(kernel, session_markets, &header, Some(journal))?;
    live_session.snapshot_every(file.session.snapshot_every);

    let connections = markets
        .iter()
        .map(|m| Connection {
            venue: Arc::clone(&m.venue),
        })
        .collect();
    let account_links = accounts
        .iter()
        .map(|(_, account)| AccountLink {
            stream: Arc::clone(account),
            markets: (0..markets.len())
                .filter(|&n| Arc::ptr_eq(markets[n].venue.account(), account))
                .map(|n| InstrumentIndex(n as u16))
                .collect(),
        })
        .collect();
    let books: Vec<BookFeed<'_>> = markets
        .iter()
        .map(|m| BookFeed {
            stream_url: &m.section.stream_url,
            symbol: &m.section.symbol,
            depth_limit: m.section.depth_limit,
            rest: Arc::clone(&m.rest),
        })
        .collect();
    let feeds = market_feeds(&books);
    let title = file.title.clone().unwrap_or_else(|| {
        let names: Vec<String> = instruments.iter().map(|i| i.id.to_string()).collect();
        format!("live on {}", names.join(" + "))
    });
    println!("kestrel live: {title}");
    println!("  journal {}", file.session.journal.display());
    if let Some(addr) = file.session.metrics {
        println!("  metrics http://{addr}/metrics");
    }
    let outcome = kestrel_live::run(
        runtime.handle(),
        live_session,
        channels,
        Wiring {
            connections,
            accounts: account_links,
            feeds,
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
    let gateways: Vec<&BinanceAccount> = accounts.iter().map(|(_, a)| &**a).collect();
    summary::print(&outcome, &gateways);
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
    kernel: Kernel<BuiltIn>,
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
        "  resumed: {} from {}, {} records replayed in {:.0?} ({} orders open, {} intents unconfirmed)",
        dir.display(),
        replayed.snapshot_seq.map_or_else(
            || "the start".to_owned(),
            |s| format!("the snapshot at record {s}")
        ),
        replayed.records,
        started.elapsed(),
        kernel.open_orders().count(),
        replayed.unconfirmed.len()
    );
    for line in position_lines(&kernel) {
        println!("    {line}");
    }
    Ok(Some(Prior {
        header,
        kernel,
        replayed,
        next_seq: found.next_seq,
    }))
}

mod kernel;
mod summary;

use kernel::kernel_for;
pub use kernel::{kernel_from_header, position_lines};
