//! `kestrel`: the command-line entry point. With no arguments it runs the
//! main job: the `imbalance_mm` market maker backtested over the bundled
//! real capture on the simulated venue, with its report.

mod alerts;
mod backtest;
mod data;
mod instruments;
mod journal;
mod klines;
mod live;
mod market;
mod parquet_out;
mod record;
mod replay;
mod sim;
mod synth;

use clap::{Parser, Subcommand};

/// Kestrel, a low-latency trading engine.
#[derive(Parser)]
#[command(name = "kestrel", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Backtest a strategy over recorded data on the simulated venue and
    /// write HTML and JSON reports (the default command, on the built-in
    /// configuration); `--sweep` runs a parameter grid across all cores.
    Backtest(backtest::BacktestArgs),
    /// Rebuild an order book from a recorded capture and report its final
    /// state and the update rate.
    Replay(replay::ReplayArgs),
    /// Convert recorded market data into Kestrel's binary tape format, and
    /// inspect tapes.
    Data(data::DataArgs),
    /// Record a live Binance session (frames with receive times, plus a
    /// depth snapshot after every connect) for exact replay.
    Record(record::RecordArgs),
    /// Trade a Binance-compatible venue live over real sockets, with the
    /// journal; resumes a journaled session after a crash.
    Live(live::LiveArgs),
    /// Paper trading in one command: the simulator on the bundled capture,
    /// and a live session trading it over real sockets.
    Paper(live::PaperArgs),
    /// The instrument catalogue: `fetch` a venue's listing into a file,
    /// `list` or `show` what a catalogue holds.
    Instruments(instruments::InstrumentsArgs),
    /// Check (`verify`: records and a replay of every decision) or print
    /// (`dump`) a session's journal.
    Journal(journal::JournalArgs),
    /// The exchange simulator: `kestrel sim serve` speaks the Binance spot
    /// API over a recorded capture, for paper trading and client tests.
    Sim(sim::SimArgs),
    /// Alert rules over a recording: `test` prints when each would have
    /// fired, `run` journals and delivers them (log, signed webhook).
    Alerts(alerts::AlertsArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if matches!(
        cli.command,
        Some(
            Command::Data(_)
                | Command::Journal(_)
                | Command::Replay(_)
                | Command::Backtest(_)
                | Command::Instruments(_)
        )
    ) {
        quiet_on_broken_pipe();
    }
    match cli.command {
        Some(Command::Backtest(args)) => backtest::run(&args),
        Some(Command::Replay(args)) => replay::run(&args),
        Some(Command::Data(args)) => data::run(&args),
        Some(Command::Record(args)) => record::run(&args),
        Some(Command::Sim(args)) => sim::run(&args),
        Some(Command::Live(args)) => live::run_live(&args),
        Some(Command::Journal(args)) => journal::run(&args),
        Some(Command::Instruments(args)) => instruments::run(&args),
        Some(Command::Paper(args)) => live::run_paper(&args),
        Some(Command::Alerts(args)) => alerts::run(&args),
        None => backtest::run(&backtest::BacktestArgs::default()),
    }
}

/// Lets a closed pipe end an offline command quietly, as it ends any Unix
/// tool (`kestrel data info X | head -5`): Rust ignores SIGPIPE, so a write
/// to a closed pipe would otherwise fail and `println!` panic. Trading
/// commands keep ignoring it: a closed terminal must not kill a session.
fn quiet_on_broken_pipe() {
    #[cfg(unix)]
    // SAFETY: `signal` with SIG_DFL installs no handler of ours; it is called
    // once, before any other thread exists.
    #[allow(unsafe_code)]
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
