//! Live session files (TOML): where the venue is, where the journal goes,
//! and the same `[strategy]`, `[account]` and `[risk]` sections as a
//! backtest file. `configs/paper.toml` shows every key.
//!
//! A session of several markets lists them as `[[venues]]`, one venue
//! connection (account and symbol) each, and its strategies as
//! `[[strategies]]`, each naming the market it trades as `venue:NATIVE`
//! (and `lead_lag` the one it reads), as a portfolio backtest does
//! (`configs/paper_two_markets.toml`).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use kestrel_engine::KernelConfig;
use kestrel_exec::CostMethod;
use kestrel_journal::FsyncPolicy;
use kestrel_live::{ShutdownPolicy, UnknownOrderPolicy};
use kestrel_model::Instrument;
use kestrel_signals::SignalConfig;
use kestrel_sim::QueueModel;
use serde::Deserialize;

use crate::backtest::config::{AccountSection, RiskSection, StrategySection, decimal};

/// A whole live session file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiveFile {
    /// Shown in the summary.
    pub title: Option<String>,
    /// The venue, for a session of one market.
    pub venue: Option<VenueSection>,
    /// The venues, one market each, for a session of several.
    #[serde(default)]
    pub venues: Vec<VenueSection>,
    /// Journal and shutdown.
    #[serde(default)]
    pub session: SessionSection,
    /// The strategy and its settings, for a session of one market.
    pub strategy: Option<StrategySection>,
    /// The strategies (`kind`, `instrument`, `lead` for `lead_lag`,
    /// `max_loss`, and the strategy's own keys), for `[[venues]]`.
    #[serde(default)]
    pub strategies: Vec<toml::Table>,
    /// Starting cash, for equity accounting.
    #[serde(default)]
    pub account: AccountSection,
    /// Risk limits.
    #[serde(default)]
    pub risk: RiskSection,
}

/// `[venue]`: a Binance-compatible spot venue.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VenueSection {
    /// Only `binance-spot` for now.
    pub kind: String,
    /// REST base.
    pub rest_url: String,
    /// WebSocket API (user-data stream).
    pub ws_api_url: String,
    /// Combined-stream URL prefix; the stream names follow.
    pub stream_url: String,
    /// The venue's symbol, e.g. `BTCUSDT`.
    pub symbol: String,
    /// Environment variable holding the API key.
    pub api_key_env: String,
    /// Environment variable holding the API secret.
    pub api_secret_env: String,
    /// Levels in each REST depth snapshot.
    #[serde(default = "default_depth")]
    pub depth_limit: u32,
    /// For `kestrel paper`: the Binance spot capture this market's
    /// simulator replays (its URLs are then the simulator's). `kestrel
    /// live` says it ignores it.
    pub data: Option<PathBuf>,
}

fn default_depth() -> u32 {
    1000
}

/// `[session]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionSection {
    /// The journal's directory; a session resumes from what it holds.
    pub journal: PathBuf,
    /// `every`, `interval` or `never`.
    pub fsync: String,
    /// Group-commit interval for `interval`, ms.
    pub fsync_interval_ms: u64,
    /// `cancel-all` or `leave-open`.
    pub shutdown: String,
    /// At a restart, open venue orders the journal does not know (sent
    /// just before a crash cut the journal): `cancel` or `adopt` (leave
    /// them working, tracked as the strategy's).
    pub unknown_orders: String,
    /// Prefix of our client order ids.
    pub id_prefix: String,
    /// Equity sample interval, ms.
    pub sample_interval_ms: u64,
    /// Where to serve Prometheus `GET /metrics` (e.g. `127.0.0.1:9184`).
    pub metrics: Option<std::net::SocketAddr>,
    /// Inputs between state snapshots in the journal (0: none).
    pub snapshot_every: u64,
}

impl Default for SessionSection {
    fn default() -> Self {
        Self {
            journal: "journal/live".into(),
            fsync: "interval".into(),
            fsync_interval_ms: 1,
            shutdown: "cancel-all".into(),
            unknown_orders: "cancel".into(),
            id_prefix: "kl".into(),
            sample_interval_ms: 1_000,
            metrics: None,
            snapshot_every: 50_000,
        }
    }
}

impl LiveFile {
    /// Parses a file's text; a policy the session would only read later
    /// (at a restart, at shutdown) is checked now.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let file: Self = toml::from_str(text)?;
        match (&file.venue, file.venues.is_empty()) {
            (Some(_), false) => {
                bail!("write [venue] for one market or [[venues]] for several, not both")
            }
            (None, true) => bail!("venue: name the market ([venue], or [[venues]] for several)"),
            _ => {}
        }
        match (&file.strategy, file.strategies.is_empty()) {
            (Some(_), false) => bail!("write [strategy] or [[strategies]], not both"),
            (None, true) => bail!("strategy: name one ([strategy], or [[strategies]])"),
            (Some(_), true) if file.venue.is_none() => bail!(
                "[[venues]] sessions name each strategy's market: write [[strategies]] with `instrument`"
            ),
            _ => {}
        }
        for (n, v) in file.markets().iter().enumerate() {
            if v.kind != "binance-spot" {
                bail!("venues[{n}].kind: {:?} is not binance-spot", v.kind);
            }
        }
        file.fsync()?;
        file.shutdown()?;
        file.unknown_orders()?;
        Ok(file)
    }

    /// The markets' venue connections, in the kernel's instrument order.
    pub fn markets(&self) -> Vec<&VenueSection> {
        self.venue.iter().chain(&self.venues).collect()
    }

    /// The journal's fsync policy.
    pub fn fsync(&self) -> anyhow::Result<FsyncPolicy> {
        Ok(match self.session.fsync.as_str() {
            "every" => FsyncPolicy::EveryRecord,
            "interval" => {
                FsyncPolicy::Interval(Duration::from_millis(self.session.fsync_interval_ms.max(1)))
            }
            "never" => FsyncPolicy::Never,
            other => bail!("session.fsync: {other:?} is not every, interval or never"),
        })
    }

    /// What happens to open orders at the end.
    pub fn shutdown(&self) -> anyhow::Result<ShutdownPolicy> {
        Ok(match self.session.shutdown.as_str() {
            "cancel-all" => ShutdownPolicy::CancelAll,
            "leave-open" => ShutdownPolicy::LeaveOpen,
            other => bail!("session.shutdown: {other:?} is not cancel-all or leave-open"),
        })
    }

    /// What a restart does with open venue orders the journal lacks.
    pub fn unknown_orders(&self) -> anyhow::Result<UnknownOrderPolicy> {
        Ok(match self.session.unknown_orders.as_str() {
            "cancel" => UnknownOrderPolicy::Cancel,
            "adopt" => UnknownOrderPolicy::Adopt,
            other => bail!("session.unknown_orders: {other:?} is not cancel or adopt"),
        })
    }

    /// The kernel's settings; ids carry `session_ms` so they never repeat
    /// across restarts.
    pub fn kernel_config(
        &self,
        instrument: &Instrument,
        session_ms: u64,
    ) -> anyhow::Result<KernelConfig> {
        Ok(KernelConfig {
            risk: self.risk.limits(instrument)?,
            signals: SignalConfig::default(),
            queue_model: QueueModel::default(),
            cost_method: CostMethod::Fifo,
            cash: decimal(&self.account.cash, "account.cash")?,
            id_prefix: self.session.id_prefix.clone(),
            session_ms,
            sample_interval_ns: self.session.sample_interval_ms.max(1) * 1_000_000,
            bracket: self.risk.bracket(),
            // The live strategies read books, not bars.
            bars: kestrel_bars::BarOptions::default(),
        })
    }

    /// The API key and secret of every market, from the environment
    /// variables the file names.
    pub fn credentials(&self) -> anyhow::Result<Vec<kestrel_venue::Credentials>> {
        self.markets().into_iter().map(credentials).collect()
    }
}

/// A venue connection's API key and secret, from the environment.
fn credentials(v: &VenueSection) -> anyhow::Result<kestrel_venue::Credentials> {
    kestrel_venue::Credentials::from_env(&v.api_key_env, &v.api_secret_env).with_context(|| {
        format!(
            "set {} and {} to the API key and secret (keys are never read from files)",
            v.api_key_env, v.api_secret_env
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAPER: &str = include_str!("../../../../configs/paper.toml");

    #[test]
    fn a_two_market_file_names_each_strategys_market() {
        let file =
            LiveFile::parse(include_str!("../../../../configs/paper_two_markets.toml")).unwrap();
        assert_eq!(file.markets().len(), 2);
        assert_eq!(file.strategies.len(), 2);
        let both = format!("{PAPER}\n[[strategies]]\nkind = \"imbalance_mm\"\n");
        let e = LiveFile::parse(&both).unwrap_err().to_string();
        assert!(e.contains("not both"), "{e}");
        let no_venue = PAPER.replace("[venue]", "[elsewhere]");
        assert!(LiveFile::parse(&no_venue).is_err());
    }

    #[test]
    fn policies_are_read_and_checked_when_the_file_is() {
        let file = LiveFile::parse(PAPER).unwrap();
        assert_eq!(file.unknown_orders().unwrap(), UnknownOrderPolicy::Cancel);
        assert_eq!(file.shutdown().unwrap(), ShutdownPolicy::CancelAll);
        let adopt = PAPER.replace(
            r#"unknown_orders = "cancel""#,
            r#"unknown_orders = "adopt""#,
        );
        assert_eq!(
            LiveFile::parse(&adopt).unwrap().unknown_orders().unwrap(),
            UnknownOrderPolicy::Adopt
        );
        let bad = PAPER.replace(r#"unknown_orders = "cancel""#, r#"unknown_orders = "keep""#);
        let e = LiveFile::parse(&bad).unwrap_err().to_string();
        assert!(e.contains("session.unknown_orders"), "{e}");
    }
}
