//! `kestrel data`: convert recorded market data into Kestrel tapes, merge
//! tapes, and inspect them.

use std::fs::File;
use std::io::{BufRead, BufWriter, Read};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use kestrel_binance::{BinanceDepthCsvReader, BinanceTradesCsvReader, TradeLayout};
use kestrel_feed::capture::{CaptureReader, open_maybe_gzip};
use kestrel_feed::tardis::{TardisBookReader, TardisTradeReader};
use kestrel_feed::{Decoded, FeedError, FrameDecoder, Instruments, TradeFile};
use kestrel_model::{Instrument, UnixNanos, Venue};
use kestrel_tape::{MappedTape, TapeError, TapeEvent, TapeEvents, TapeWriter};

use crate::market::MarketArgs;

/// Options of `kestrel data`.
#[derive(clap::Args)]
pub struct DataArgs {
    #[command(subcommand)]
    command: DataCommand,
}

#[derive(clap::Subcommand)]
enum DataCommand {
    /// Turn a capture, Tardis CSV or Binance historical depth or trades CSV
    /// into a tape (or Parquet).
    Convert(ConvertArgs),
    /// Join tapes into one, by receive time: a market's days into one
    /// tape, or several markets into one that replay and backtest read
    /// (`--symbol`, or a portfolio's feeds naming their instrument).
    Merge {
        /// The tapes, two or more.
        #[arg(required = true, num_args = 2..)]
        inputs: Vec<PathBuf>,
        /// Tape to write.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Check a tape record by record and summarise what it holds.
    Info {
        /// The tape.
        file: PathBuf,
    },
    /// Write a seeded synthetic tape as a Binance trades CSV: the same
    /// seed gives the same file, for benchmarks and side-by-side runs.
    SynthTrades(crate::synth::SynthArgs),
    /// Backfill klines from Binance's REST API (or the simulator) into
    /// Binance's kline CSV, paged within the request weight; run again to
    /// resume after the file's last kline.
    Klines(crate::klines::KlinesArgs),
}

#[derive(clap::Args)]
struct ConvertArgs {
    /// Input file, gzipped or plain.
    input: PathBuf,
    /// Tape to write.
    #[arg(short, long)]
    output: PathBuf,
    /// Input format; `auto` reads the first line to tell.
    #[arg(long, value_enum, default_value_t = InputFormat::Auto)]
    format: InputFormat,
    /// The market, where the input does not say: captures and Tardis
    /// files name venue and symbol, Binance depth CSVs only the symbol
    /// (their venue defaults to USDⓈ-M, which publishes them).
    #[command(flatten)]
    market: MarketArgs,
    /// Streams to leave out of the tape (the book's depth is always kept):
    /// a tape for work that never reads them is smaller and replays
    /// faster. What is left out is counted and printed.
    #[arg(long, value_enum, value_delimiter = ',')]
    without: Vec<Stream>,
    /// Into a `.parquet` output: what to write, `trades`, `deltas`, or
    /// `bars:SPEC` (`bars:1m`, `bars:ticks:100`) made from the trades.
    #[arg(long, default_value = "trades")]
    kind: crate::parquet_out::Kind,
}

/// Streams `convert` can leave out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Stream {
    /// Trade prints.
    Trades,
    /// The venue's best bid and ask (Binance `bookTicker`, OKX `bbo-tbt`).
    Quotes,
}

/// Recorded-data formats `convert` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum InputFormat {
    /// Tell from the first line.
    Auto,
    /// `<local_ts_ns> <frame>` lines (hftbacktest collector, `kestrel record`) or bare frames.
    Capture,
    /// Tardis `incremental_book_L2` CSV.
    TardisBook,
    /// Tardis `trades` CSV.
    TardisTrades,
    /// Binance `T_DEPTH` historical CSV.
    BinanceDepthCsv,
    /// Binance's public `trades` CSV (data.binance.vision).
    BinanceTrades,
    /// Binance's public `aggTrades` CSV.
    BinanceAggTrades,
}

pub fn run(args: &DataArgs) -> anyhow::Result<()> {
    match &args.command {
        DataCommand::Convert(args) => convert(args),
        DataCommand::Merge { inputs, output } => merge(inputs, output),
        DataCommand::Info { file } => info(file),
        DataCommand::SynthTrades(args) => crate::synth::run(args),
        DataCommand::Klines(args) => crate::klines::run(args),
    }
}

fn detect(path: &Path) -> anyhow::Result<InputFormat> {
    let mut first = Vec::new();
    let mut input = open_maybe_gzip(path)?;
    Read::by_ref(&mut input)
        .take(1 << 16)
        .read_until(b'\n', &mut first)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(
        if first.starts_with(b"exchange,symbol,timestamp,local_timestamp,is_snapshot") {
            InputFormat::TardisBook
        } else if first.starts_with(b"exchange,symbol,timestamp,local_timestamp,id") {
            InputFormat::TardisTrades
        } else if first.starts_with(b"symbol,timestamp,first_update_id") {
            InputFormat::BinanceDepthCsv
        } else if first.starts_with(TradeLayout::Trades.header()) {
            InputFormat::BinanceTrades
        } else if first.starts_with(TradeLayout::AggTrades.header()) {
            InputFormat::BinanceAggTrades
        } else {
            InputFormat::Capture
        },
    )
}

/// Reads `input` (of `format`, `instrument`'s) decoded message by
/// message into `take`; bad input reaches `take` as errors.
pub(crate) fn each_item(
    format: InputFormat,
    input: &Path,
    instrument: &Instrument,
    decoder: Option<Box<dyn FrameDecoder>>,
    mut take: impl FnMut(Result<Decoded<'_>, FeedError>) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let opened = |e: FeedError| anyhow::Error::new(e).context(format!("{}", input.display()));
    match format {
        InputFormat::Auto | InputFormat::Capture => {
            let mut decoder = decoder.context("a capture needs its decoder")?;
            let mut reader = CaptureReader::open(input).map_err(opened)?;
            while let Some(frame) = reader.next_frame() {
                let item = frame.and_then(|f| {
                    let local = f.local.unwrap_or(UnixNanos::default());
                    decoder
                        .decode(f.frame, local)
                        .map_err(|error| FeedError::Frame {
                            line: f.line,
                            error,
                        })
                });
                take(item)?;
            }
        }
        InputFormat::TardisBook => {
            let mut reader = TardisBookReader::open(input, instrument).map_err(opened)?;
            while let Some(item) = reader.next_event() {
                take(item)?;
            }
        }
        InputFormat::TardisTrades => {
            let mut reader = TardisTradeReader::open(input, instrument).map_err(opened)?;
            while let Some(item) = reader.next_event() {
                take(item)?;
            }
        }
        InputFormat::BinanceDepthCsv => {
            let mut reader = BinanceDepthCsvReader::open(input, instrument).map_err(opened)?;
            while let Some(item) = reader.next_event() {
                take(item)?;
            }
        }
        InputFormat::BinanceTrades | InputFormat::BinanceAggTrades => {
            let layout = if format == InputFormat::BinanceTrades {
                TradeLayout::Trades
            } else {
                TradeLayout::AggTrades
            };
            let mut reader =
                BinanceTradesCsvReader::open(input, instrument, layout).map_err(opened)?;
            while let Some(item) = reader.next_trade() {
                match item {
                    Ok(trade) => take(Ok(Decoded::Trades(std::slice::from_ref(&trade))))?,
                    Err(e) => take(Err(e))?,
                }
            }
        }
    }
    Ok(())
}

/// Counts of what a conversion wrote and skipped.
#[derive(Default)]
struct Converted {
    events: u64,
    bad_input: u64,
    first_bad: Option<String>,
    /// Streams the user asked to leave out.
    without: Vec<Stream>,
    /// Events of those streams, left out.
    left_out: u64,
}

impl Converted {
    /// Writes one decoded message; bad input is counted, not fatal.
    fn take<W: std::io::Write>(
        &mut self,
        tape: &mut TapeWriter<W>,
        item: Result<Decoded<'_>, FeedError>,
    ) -> anyhow::Result<()> {
        match item {
            Ok(Decoded::Trades(t)) if self.without.contains(&Stream::Trades) => {
                self.left_out += t.len() as u64;
            }
            Ok(Decoded::Quote(_)) if self.without.contains(&Stream::Quotes) => self.left_out += 1,
            Ok(decoded) => self.events += write(tape, &decoded)?,
            Err(e) if e.is_recoverable() => {
                self.bad_input += 1;
                self.first_bad.get_or_insert_with(|| e.to_string());
            }
            Err(e) => return Err(e.into()),
        }
        Ok(())
    }
}

/// Merges tapes into a temporary file beside `output`, renamed into place
/// only on success.
fn merge(inputs: &[PathBuf], output: &Path) -> anyhow::Result<()> {
    let tapes = inputs
        .iter()
        .map(|p| MappedTape::open(p).with_context(|| format!("cannot open tape {}", p.display())))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let partial = partial_path(output)?;
    let started = Instant::now();
    let written = File::create(&partial)
        .with_context(|| format!("cannot create {}", partial.display()))
        .and_then(|f| {
            Ok(kestrel_tape::merge(
                &tapes,
                BufWriter::with_capacity(1 << 16, f),
            )?)
        });
    let merged = match written {
        Ok(m) => m,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    std::fs::rename(&partial, output)
        .with_context(|| format!("cannot write {}", output.display()))?;
    println!("merged {} tapes → {}", inputs.len(), output.display());
    for (n, i) in merged.instruments.iter().enumerate() {
        println!("  instrument  #{n} {}", i.id);
    }
    println!(
        "  messages    {} in {} bytes, in {} ms",
        merged.messages,
        merged.bytes,
        started.elapsed().as_millis()
    );
    Ok(())
}

/// Where a file is written before it is renamed into place at `output`.
pub(crate) fn partial_path(output: &Path) -> anyhow::Result<PathBuf> {
    let name = output
        .file_name()
        .with_context(|| format!("{} is not a file name", output.display()))?;
    Ok(output.with_file_name(format!(".{}.partial", name.to_string_lossy())))
}

/// Converts the capture at `input` into a tape at `output` (what a sweep
/// does once, so that its runs read events instead of text).
pub fn capture_to_tape(input: &Path, output: &Path, market: &MarketArgs) -> anyhow::Result<()> {
    convert(&ConvertArgs {
        input: input.to_path_buf(),
        output: output.to_path_buf(),
        format: InputFormat::Capture,
        market: market.clone(),
        without: Vec::new(),
        kind: crate::parquet_out::Kind::Trades,
    })
}

/// Converts into a temporary file beside the output and renames it into
/// place only on success: a failed or empty conversion leaves nothing but
/// its error, never a valid-looking partial tape.
fn convert(args: &ConvertArgs) -> anyhow::Result<()> {
    let partial = partial_path(&args.output)?;
    let result = convert_into(args, &partial);
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result?;
    std::fs::rename(&partial, &args.output)
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    Ok(())
}

fn convert_into(args: &ConvertArgs, partial: &Path) -> anyhow::Result<()> {
    if crate::market::is_tape(&args.input) {
        bail!(
            "{} is a tape already: replay and backtest read it as it is",
            args.input.display()
        );
    }
    let format = match args.format {
        InputFormat::Auto => detect(&args.input)?,
        f => f,
    };
    let (instrument, decoder) = match format {
        InputFormat::Auto | InputFormat::Capture => {
            let market = crate::market::resolve(&args.input, &args.market, false)?;
            let decoder = market
                .protocol
                .decoder(Instruments::new(market.instrument.clone()));
            (market.instrument, Some(decoder))
        }
        csv => (csv_instrument(&args.input, csv, &args.market)?, None),
    };
    if args.output.extension().is_some_and(|e| e == "parquet") {
        return crate::parquet_out::convert(
            args.kind,
            format,
            &args.input,
            &instrument,
            decoder,
            partial,
        );
    }
    let out =
        File::create(partial).with_context(|| format!("cannot create {}", partial.display()))?;
    let mut tape = TapeWriter::new(
        BufWriter::with_capacity(1 << 16, out),
        std::slice::from_ref(&instrument),
    )?;
    let started = Instant::now();
    let mut done = Converted {
        without: args.without.clone(),
        ..Converted::default()
    };
    let input = &args.input;
    each_item(format, input, &instrument, decoder, |item| {
        done.take(&mut tape, item)
    })?;
    if done.events == 0 {
        match &done.first_bad {
            Some(first) => bail!(
                "{} holds no market events: {} bad lines or frames, the first: {first}",
                input.display(),
                done.bad_input
            ),
            None => bail!("{} holds no market events: it is empty", input.display()),
        }
    }
    let messages = tape.messages();
    tape.finish()?;
    let wall = started.elapsed();
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    println!(
        "converted {} ({format:?}) → {}",
        input.display(),
        args.output.display()
    );
    println!("  instrument  {}", instrument.id);
    println!("  events      {} in {messages} messages", done.events);
    if !done.without.is_empty() {
        println!(
            "  left out    {} events of {:?}, as --without asked",
            done.left_out, done.without
        );
    }
    println!(
        "  bytes       {} in, {} out, in {:.0} ms",
        size(input),
        size(partial),
        wall.as_secs_f64() * 1e3
    );
    if done.bad_input > 0 {
        println!(
            "  skipped     {} bad lines or frames; first: {}",
            done.bad_input,
            done.first_bad.unwrap_or_default()
        );
    }
    Ok(())
}

/// The instrument of a CSV input: the symbol from its first row, the venue
/// from Tardis's `exchange` column, `--venue`, or USDⓈ-M for Binance's
/// depth CSVs. Binance's trades files name neither: the symbol is
/// `--symbol` or the file name's first part (`ETHUSDT-trades-2024-01-01`),
/// the venue `--venue`, or USDⓈ-M for a file with the futures header.
fn csv_instrument(
    path: &Path,
    format: InputFormat,
    args: &MarketArgs,
) -> anyhow::Result<Instrument> {
    if matches!(
        format,
        InputFormat::BinanceTrades | InputFormat::BinanceAggTrades
    ) {
        let from_name = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.split(['-', '.']).next())
            .filter(|s| !s.is_empty());
        let Some(symbol) = args.symbol.as_deref().or(from_name) else {
            bail!("{}: name the market with --symbol", path.display());
        };
        let venue = match args.venue {
            Some(v) => v,
            None if detect(path)? == format => Venue::BinanceUsdm,
            None => bail!(
                "{}: a Binance trades file without a header row is spot or futures: pass --venue",
                path.display()
            ),
        };
        return Ok(args.catalogue.load()?.find(venue, symbol)?.clone());
    }
    let mut input = open_maybe_gzip(path)?;
    let mut header = String::new();
    let mut row = String::new();
    input.read_line(&mut header)?;
    input.read_line(&mut row)?;
    let fields: Vec<&str> = row.trim_end().split(',').collect();
    let (exchange, symbol) = match format {
        InputFormat::BinanceDepthCsv => (None, fields.first().copied()),
        _ => (fields.first().copied(), fields.get(1).copied()),
    };
    let Some(symbol) = symbol.filter(|s| !s.is_empty()) else {
        bail!(
            "{} holds no market events: it has no data rows",
            path.display()
        );
    };
    let symbol = args.symbol.as_deref().unwrap_or(symbol);
    let venue = match (args.venue, exchange) {
        (Some(v), _) => v,
        (None, None) => Venue::BinanceUsdm,
        (None, Some(exchange)) => tardis_venue(exchange).with_context(|| {
            format!("Tardis exchange {exchange:?} is not one Kestrel maps to a venue: pass --venue")
        })?,
    };
    Ok(args.catalogue.load()?.find(venue, symbol)?.clone())
}

/// The venue of a Tardis `exchange` name.
fn tardis_venue(exchange: &str) -> Option<Venue> {
    Some(match exchange {
        "binance" => Venue::BinanceSpot,
        "binance-futures" => Venue::BinanceUsdm,
        "binance-delivery" => Venue::BinanceCoinm,
        "okex" | "okex-swap" | "okex-futures" | "okx" | "okx-swap" | "okx-futures" => Venue::Okx,
        "bybit" => Venue::BybitLinear,
        "bybit-spot" => Venue::BybitSpot,
        _ => return None,
    })
}

/// Writes one decoded message; returns how many events it held.
fn write<W: std::io::Write>(
    tape: &mut TapeWriter<W>,
    decoded: &Decoded<'_>,
) -> Result<u64, TapeError> {
    match decoded {
        Decoded::Delta { delta, .. } => tape.write_delta(delta).map(|()| 1),
        Decoded::Snapshot { snapshot, .. } => tape.write_snapshot(snapshot).map(|()| 1),
        Decoded::Trades(trades) => {
            for t in *trades {
                tape.write_trade(t)?;
            }
            Ok(trades.len() as u64)
        }
        Decoded::Quote(q) => tape.write_quote(q).map(|()| 1),
        // A top-of-book view is not a base for replay; nothing to keep.
        Decoded::TopLevels(_) | Decoded::Other => Ok(0),
    }
}

fn info(path: &Path) -> anyhow::Result<()> {
    let tape =
        MappedTape::open(path).with_context(|| format!("cannot open tape {}", path.display()))?;
    println!("tape {}", path.display());
    for (i, instrument) in tape.instruments().iter().enumerate() {
        println!(
            "  instrument {i}: {} (tick {}, lot {})",
            instrument.id, instrument.tick, instrument.lot
        );
    }
    println!("  bytes       {} of messages", tape.data_len());
    let mut events = TapeEvents::new(tape.messages(), tape.instruments());
    let (mut deltas, mut levels, mut snapshots, mut trades, mut quotes) = (0u64, 0u64, 0, 0, 0);
    let mut span: Option<(UnixNanos, UnixNanos)> = None;
    let verdict = loop {
        match events.next_event() {
            Ok(None) => break Ok(()),
            Err(e) => break Err(e),
            Ok(Some(event)) => {
                let local = event.time().local;
                span = Some(span.map_or((local, local), |(a, b)| (a.min(local), b.max(local))));
                match event {
                    TapeEvent::Delta(d) => {
                        deltas += 1;
                        levels += d.updates.len() as u64;
                    }
                    TapeEvent::Snapshot(_) => snapshots += 1,
                    TapeEvent::Trade(_) => trades += 1,
                    TapeEvent::Quote(_) => quotes += 1,
                }
            }
        }
    };
    println!(
        "  events      {deltas} deltas ({levels} level updates), {snapshots} snapshots, {trades} trades, {quotes} quotes"
    );
    if let Some((first, last)) = span {
        println!("  local time  {first} → {last}");
    }
    match verdict {
        Ok(()) => {
            println!("  check       every message whole and matching its checksum");
            Ok(())
        }
        Err(e) => bail!(
            "tape damaged after {} whole messages: {e}",
            deltas + snapshots + trades + quotes
        ),
    }
}
