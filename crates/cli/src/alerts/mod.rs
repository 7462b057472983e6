//! `kestrel alerts`: alert rules over a recording or a live feed.
//!
//! * `test` replays the data through the rules and prints when each would
//!   have fired, re-armed or been suppressed; nothing is delivered.
//! * `run` does the same and delivers as it goes: each event journaled,
//!   each alert to the log and (with a `[webhook]` section) to the signed
//!   webhook, once. Run again over the same journal, alerts already
//!   delivered are not sent again, and any a crash left undelivered are.
//!   With `[live]` instead of `[data]` it watches a live market ([`live`])
//!   until stopped.
//!
//! A file holds `[data]` (as a backtest's) or `[live]`, `[journal]`, an
//! optional `[webhook]` and `[[alerts]]` rules, each naming the market.

mod live;

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, bail};
use kestrel_alerts::{
    AlertWatch, Dispatcher, LogSink, RuleConfig, Sink, WatchEvent, Webhook, WebhookConfig,
};
use kestrel_engine::backtest::{MarketSource, TradeSource};
use kestrel_engine::run_backtest;
use kestrel_feed::{FrameDecoder, Sequencer};
use kestrel_model::{Instrument, InstrumentIndex};
use kestrel_registry::identify::WithFeed;
use serde::Deserialize;

use crate::backtest::config::{
    AccountSection, BarsSection, DataFormat, DataSection, ReportSection, RiskSection, Settings,
    SimSection,
};
use crate::backtest::{Input, data_path};

/// Options of `kestrel alerts`.
#[derive(clap::Args)]
pub struct AlertsArgs {
    #[command(subcommand)]
    command: AlertsCommand,
}

#[derive(clap::Subcommand)]
enum AlertsCommand {
    /// Replay the data through the rules and print when each would have
    /// fired; deliver nothing.
    Test {
        /// The alerts file (TOML).
        #[arg(long)]
        config: PathBuf,
    },
    /// Replay the data (or watch the `[live]` market) through the rules,
    /// journaling and delivering each alert once (the log, and the webhook
    /// if the file has one).
    Run {
        /// The alerts file (TOML).
        #[arg(long)]
        config: PathBuf,
        /// A live watch stops after this many seconds (default: at Ctrl-C
        /// or SIGTERM).
        #[arg(long)]
        seconds: Option<u64>,
    },
}

/// An alerts file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AlertsFile {
    data: Option<DataSection>,
    live: Option<live::LiveSection>,
    #[serde(default)]
    journal: JournalSection,
    webhook: Option<WebhookSection>,
    alerts: Vec<RuleConfig>,
}

/// `[journal]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JournalSection {
    /// Where the alerts' journal and dead letters live.
    dir: PathBuf,
}

impl Default for JournalSection {
    fn default() -> Self {
        Self {
            dir: PathBuf::from("alerts-journal"),
        }
    }
}

/// `[webhook]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WebhookSection {
    url: String,
    /// The environment variable holding the shared secret (never the
    /// secret itself in a file).
    secret_env: String,
    #[serde(default = "five")]
    attempts: u32,
    #[serde(default = "half_second")]
    first_backoff_ms: u64,
    #[serde(default = "five_seconds")]
    timeout_ms: u64,
}

fn five() -> u32 {
    5
}
fn half_second() -> u64 {
    500
}
fn five_seconds() -> u64 {
    5_000
}

pub fn run(args: &AlertsArgs) -> anyhow::Result<()> {
    let (path, deliver, seconds) = match &args.command {
        AlertsCommand::Test { config } => (config, false, None),
        AlertsCommand::Run { config, seconds } => (config, true, *seconds),
    };
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let file: AlertsFile =
        toml::from_str(&text).with_context(|| format!("in {}", path.display()))?;
    if file.alerts.is_empty() {
        bail!("{}: no [[alerts]]", path.display());
    }
    match (&file.data, &file.live, deliver) {
        (Some(_), Some(_), _) | (None, None, _) => {
            bail!(
                "{}: give [data] (a recording) or [live], one of them",
                path.display()
            )
        }
        (None, Some(_), false) => bail!(
            "{}: alerts test replays a recording ([data]); alerts run watches [live]",
            path.display()
        ),
        _ => {}
    }
    let (events, receiver) = mpsc::channel();
    let dispatcher = if deliver {
        Some(dispatcher(&file)?)
    } else {
        None
    };
    // A live watch goes on from the rules' states as the journal left
    // them: an alert delivered before a restart does not fire again while
    // its condition still holds. (A replay starts its data again, and the
    // journal knows its alerts by id.)
    let states = dispatcher
        .as_ref()
        .map(|d| d.recovered().states.clone())
        .unwrap_or_default();
    // Deliveries go on beside the replay, in the order the rules fired.
    let delivering = std::thread::spawn(move || -> anyhow::Result<Vec<WatchEvent>> {
        let mut seen = Vec::new();
        let mut dispatcher = dispatcher;
        if let Some(d) = &mut dispatcher {
            d.deliver_pending()?;
        }
        for event in receiver {
            if let Some(d) = &mut dispatcher {
                d.on_event(&event)?;
            }
            seen.push(event);
        }
        if let Some(d) = dispatcher {
            let c = d.counts();
            println!(
                "delivered {} (to each sink once), {} new alerts, {} met again from the journal, {} dead letters{}, {} suppressed by cooldowns",
                c.delivered,
                c.fired,
                c.repeated,
                c.dead,
                if c.dead > 0 {
                    format!(" (in {})", d.dead_letters().display())
                } else {
                    String::new()
                },
                c.suppressed
            );
            d.close()?;
        }
        Ok(seen)
    });
    let watched = match (&file.data, &file.live) {
        (Some(data), _) => replay(&file, data, events),
        (None, Some(live)) => live::watch_live(&file, live, seconds, &states, events),
        (None, None) => unreachable!("checked above"),
    };
    let seen = delivering
        .join()
        .map_err(|_| anyhow::anyhow!("the delivery thread stopped"))??;
    let instrument = watched?;
    print_events(&instrument, &seen, !deliver);
    Ok(())
}

/// The dispatcher the file asks for: the log, and the webhook if any.
fn dispatcher(file: &AlertsFile) -> anyhow::Result<Dispatcher> {
    let mut sinks = vec![Sink::Log(LogSink::default())];
    if let Some(w) = &file.webhook {
        let secret = std::env::var(&w.secret_env)
            .ok()
            .filter(|s| !s.is_empty())
            .with_context(|| format!("webhook.secret_env: {} is not set", w.secret_env))?;
        sinks.push(Sink::Webhook(Box::new(Webhook::new(WebhookConfig {
            url: w.url.clone(),
            secret,
            attempts: w.attempts,
            first_backoff: Duration::from_millis(w.first_backoff_ms),
            timeout: Duration::from_millis(w.timeout_ms),
        })?)));
    }
    Dispatcher::open(&file.journal.dir, sinks)
        .with_context(|| format!("opening the journal in {}", file.journal.dir.display()))
}

/// The file's rules on `instrument`, which each must name (one market a
/// file).
fn rules_on(file: &AlertsFile, instrument: &Instrument) -> anyhow::Result<AlertWatch> {
    for rule in &file.alerts {
        if !crate::market::is_named(instrument, &rule.instrument) {
            bail!(
                "alert {:?} names {}, but the file watches {} (one market a file)",
                rule.name,
                rule.instrument,
                instrument.id
            );
        }
    }
    let rules: Vec<_> = file
        .alerts
        .iter()
        .map(|r| (r.clone(), InstrumentIndex::FIRST))
        .collect();
    Ok(AlertWatch::new(&rules, std::slice::from_ref(instrument))?)
}

/// Replays `data` through the rules, streaming events to `events`; the
/// data's instrument.
fn replay(
    file: &AlertsFile,
    data: &DataSection,
    events: mpsc::Sender<WatchEvent>,
) -> anyhow::Result<Instrument> {
    let path = data_path(&data.file);
    let trades_only = !matches!(data.format, DataFormat::Capture);
    let market = if trades_only {
        None
    } else {
        Some(crate::market::resolve(&path, &data.market_args()?, false)?)
    };
    let instrument = match &market {
        Some(m) => m.instrument.clone(),
        None => data.named_instrument("trades files")?,
    };
    let watch = rules_on(file, &instrument)?.with_sink(events);
    // A tape of trades alone is read as trades: as a book feed it would
    // never sync.
    let trades_tape = market
        .as_ref()
        .and_then(|m| m.tape.as_ref())
        .filter(|t| !t.map.holds_book(t.index));
    match (market.as_ref(), trades_tape) {
        (None, _) => {
            let trades = crate::backtest::trades::open(data.format, &path, &instrument)?;
            watch_over(&instrument, TradeSource::new(trades), watch)?;
        }
        (Some(_), Some(tape)) => {
            let trades = crate::backtest::trades::open_tape(tape);
            watch_over(&instrument, TradeSource::new(trades), watch)?;
        }
        (Some(m), None) => {
            let input = Input {
                path: &path,
                tape: m.tape.as_ref(),
            };
            m.with_feed(
                instrument.clone(),
                Replay {
                    instrument: &instrument,
                    input,
                    watch,
                },
            )?;
        }
    }
    Ok(instrument)
}

/// The watch over a recording, whichever decoder it needs.
struct Replay<'a> {
    instrument: &'a Instrument,
    input: Input<'a>,
    watch: AlertWatch,
}

impl WithFeed for Replay<'_> {
    type Output = anyhow::Result<()>;

    fn run<D: FrameDecoder + 'static, S: Sequencer + 'static>(
        self,
        decoder: D,
        sequencer: S,
    ) -> Self::Output {
        let source = self.input.open(decoder, sequencer)?;
        watch_over(self.instrument, source, self.watch)
    }
}

/// Runs the watch in a kernel over `source` (a strategy that never trades,
/// on the default simulated venue).
fn watch_over<M: MarketSource>(
    instrument: &Instrument,
    source: M,
    watch: AlertWatch,
) -> anyhow::Result<()> {
    run_backtest(
        instrument,
        source,
        watch,
        &watch_config(instrument)?,
        |_| {},
    )?;
    Ok(())
}

/// The run a watch needs: every section at its defaults.
fn watch_config(instrument: &Instrument) -> anyhow::Result<kestrel_engine::BacktestConfig> {
    let settings = Settings {
        account: &AccountSection::default(),
        sim: &SimSection::default(),
        risk: &RiskSection::default(),
        report: &ReportSection::default(),
        bars: &BarsSection::default(),
    };
    settings.backtest_config(instrument)
}

/// One line per event, by time.
fn print_events(instrument: &Instrument, events: &[WatchEvent], dry: bool) {
    let fired = events
        .iter()
        .filter(|e| matches!(e, WatchEvent::Fired(_)))
        .count();
    println!(
        "{} alert events on {}: {fired} firings{}",
        events.len(),
        instrument.id,
        if dry {
            " (a test: nothing delivered)"
        } else {
            ""
        }
    );
    for event in events {
        let (what, rule, time_ns, price) = match event {
            WatchEvent::Fired(a) => ("fired", &a.rule, a.time_ns, a.price),
            WatchEvent::Rearmed { rule, time_ns } => ("re-armed", rule, *time_ns, None),
            WatchEvent::Suppressed { rule, time_ns } => {
                ("suppressed (cooldown)", rule, *time_ns, None)
            }
        };
        let price = price.map_or_else(String::new, |p| format!(" at {p}"));
        println!(
            "  {}  {what:<22} {rule}{price}",
            kestrel_model::UnixNanos::new(time_ns).utc()
        );
    }
}
