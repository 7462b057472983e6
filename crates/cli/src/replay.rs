//! `kestrel replay`: rebuild a book from a recorded capture through the live
//! feed pipeline and report it.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use kestrel_book::OrderBook;
use kestrel_feed::capture::CaptureReader;
use kestrel_feed::{
    FeedStats, FeedUpdate, FrameDecoder, FrameError, InstrumentFeed, Sequencer, SyncStats,
};
use kestrel_model::{Instrument, Level, Side, UnixNanos};
use kestrel_registry::identify::WithFeed;

use crate::market::{MarketArgs, RecordedMarket, TapeInput};

/// The capture shipped in the repository.
const SAMPLE: &str = "data/sample/binance_usdm_btcusdt_20240808.raw.gz";

/// End state of the bundled capture, as published with the data
/// (`data/sample/README.md`): last `u`, best bid, best ask, levels per side.
const SAMPLE_ORACLE: (u64, &str, &str, usize, usize) =
    (5_123_135_475_514, "61659.70", "61659.80", 5018, 4578);

/// Off-grid frames that make a replay fail as a likely tick or lot change.
const OFF_GRID_RUN: u64 = 10;

/// Levels per side printed unless `--depth` says otherwise.
const DEFAULT_DEPTH: usize = 5;

/// Options of `kestrel replay`.
#[derive(clap::Args)]
pub struct ReplayArgs {
    /// Capture to replay (`<local_ts_ns> <frame>` lines, gzip or plain);
    /// defaults to the bundled Binance USD-M BTCUSDT capture. Its venue
    /// and symbol are read from its frames.
    #[arg(long)]
    file: Option<PathBuf>,
    #[command(flatten)]
    market: MarketArgs,
    /// Levels per side to print.
    #[arg(long, default_value_t = DEFAULT_DEPTH)]
    depth: usize,
}

impl Default for ReplayArgs {
    fn default() -> Self {
        Self {
            file: None,
            market: MarketArgs::default(),
            depth: DEFAULT_DEPTH,
        }
    }
}

/// Finds the bundled sample from the repository root or from the source tree.
fn sample_path() -> PathBuf {
    let from_cwd = PathBuf::from(SAMPLE);
    if from_cwd.exists() {
        return from_cwd;
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(SAMPLE)
}

pub fn run(args: &ReplayArgs) -> anyhow::Result<()> {
    let bundled = args.file.is_none();
    let path = args.file.clone().unwrap_or_else(sample_path);
    let market = crate::market::resolve(&path, &args.market, true)?;
    let summary = market.with_feed(
        market.instrument.clone(),
        Replay {
            path: &path,
            instrument: &market.instrument,
            tape: market.tape.as_ref(),
        },
    )?;
    report(&path, &market, &summary, args.depth)?;
    if let Some((line, error)) = summary.off_grid {
        bail!(
            "line {line}: {error}. The capture's prices or sizes are off {}'s grid (tick {}, lot {}) \
             from there on: the venue may have changed its tick or lot size since the catalogue's \
             listing. Fetch the instrument as it was listed then (`kestrel instruments fetch`) \
             and pass --catalogue",
            market.instrument.id,
            market.instrument.tick,
            market.instrument.lot
        );
    }
    if bundled && args.market.symbol.is_none() {
        if !summary.trusted {
            bail!("the bundled capture did not end with a trusted book");
        }
        check_oracle(&summary.book)?;
    }
    Ok(())
}

/// What a replay leaves behind.
struct Summary {
    book: OrderBook,
    trusted: bool,
    sync: SyncStats,
    feed: FeedStats,
    wall: Duration,
    /// The first price or size off the instrument's grid, and its line.
    off_grid: Option<(u64, FrameError)>,
    /// Frames after which the best bid or ask (price or size) changed:
    /// the touch is read after every frame, as a strategy would.
    touch_changes: u64,
}

/// The best bid and ask after each frame, and how often they changed.
#[derive(Default)]
struct Touch {
    last: (Option<Level>, Option<Level>),
    changes: u64,
}

impl Touch {
    #[inline]
    fn read(&mut self, book: &OrderBook) {
        let now = (book.best_bid(), book.best_ask());
        if now != self.last {
            self.last = now;
            self.changes += 1;
        }
    }
}

/// A recording replayed through one protocol's feed.
struct Replay<'a> {
    path: &'a Path,
    instrument: &'a Instrument,
    tape: Option<&'a TapeInput>,
}

impl WithFeed for Replay<'_> {
    type Output = anyhow::Result<Summary>;

    fn run<D: FrameDecoder + 'static, S: Sequencer + 'static>(
        self,
        decoder: D,
        sequencer: S,
    ) -> Self::Output {
        let feed = InstrumentFeed::new(self.instrument, decoder, sequencer);
        match self.tape {
            Some(tape) => replay_tape(self.path, tape, feed),
            None => replay_file(self.path, feed),
        }
    }
}

/// A tape's messages of one instrument through the feed: the same sync
/// and checks as its capture's frames, with nothing left to parse.
fn replay_tape<D: FrameDecoder, S: Sequencer>(
    path: &Path,
    tape: &TapeInput,
    mut feed: InstrumentFeed<D, S>,
) -> anyhow::Result<Summary> {
    let started = Instant::now();
    let mut next = 0;
    let mut touch = Touch::default();
    while let Some(message) = tape.map.message(next) {
        let message = message.with_context(|| format!("replay of {} stopped", path.display()))?;
        next = message.next;
        if message.instrument == tape.index {
            feed.on_frame(message.bytes, UnixNanos::new(message.local_ns));
            touch.read(feed.sync().book());
        }
    }
    Ok(summary(feed, started.elapsed(), None, touch.changes))
}

/// What a replay through `feed` left.
fn summary<D: FrameDecoder, S: Sequencer>(
    feed: InstrumentFeed<D, S>,
    wall: Duration,
    off_grid: Option<(u64, FrameError)>,
    touch_changes: u64,
) -> Summary {
    Summary {
        trusted: feed.sync().trusted_book().is_some(),
        book: feed.sync().book().clone(),
        sync: feed.sync().stats().clone(),
        feed: feed.stats().clone(),
        wall,
        off_grid,
        touch_changes,
    }
}

fn replay_file<D: FrameDecoder, S: Sequencer>(
    path: &Path,
    mut feed: InstrumentFeed<D, S>,
) -> anyhow::Result<Summary> {
    let mut reader = CaptureReader::open(path)
        .with_context(|| format!("cannot open capture {}", path.display()))?;
    let (mut off_grid, mut off_grid_frames) = (None, 0u64);
    let mut touch = Touch::default();
    let started = Instant::now();
    while let Some(frame) = reader.next_frame() {
        match frame {
            Ok(frame) => {
                let update = feed.on_frame(frame.frame, frame.local.unwrap_or_default());
                if let FeedUpdate::Malformed(e @ FrameError::Decimal { .. }) = update {
                    off_grid_frames += 1;
                    off_grid.get_or_insert((reader.lines_read(), e));
                }
                touch.read(feed.sync().book());
            }
            // Counted like an undecodable frame; reading goes on.
            Err(e) if e.is_recoverable() => {
                feed.on_frame(b"", UnixNanos::default());
            }
            Err(e) => return Err(e).context(format!("replay of {} stopped", path.display())),
        }
    }
    // A stray frame is counted as malformed; a tick or lot change shows
    // as a run of them from one point on.
    let off_grid = off_grid.filter(|_| off_grid_frames >= OFF_GRID_RUN);
    Ok(summary(feed, started.elapsed(), off_grid, touch.changes))
}

fn report(
    path: &Path,
    market: &RecordedMarket,
    summary: &Summary,
    depth: usize,
) -> anyhow::Result<()> {
    let Summary {
        book,
        trusted,
        sync,
        feed,
        wall,
        ..
    } = summary;
    let wall = *wall;
    let tick = *book.tick();
    let lot = *book.lot();
    let show = |l: Option<Level>| {
        l.map_or("-".to_owned(), |l| {
            format!("{} × {}", l.price.display(&tick), l.qty.display(&lot))
        })
    };
    println!("Kestrel replay of {}", path.display());
    println!(
        "  instrument    {} ({}){}",
        market.instrument.id,
        market.instrument.native_symbol,
        if market.inferred {
            ", grid inferred from the data"
        } else {
            ", from the catalogue"
        }
    );
    let others: Vec<&str> = market
        .symbols
        .iter()
        .filter(|s| **s != market.instrument.native_symbol.as_str())
        .map(String::as_str)
        .collect();
    if !others.is_empty() {
        println!(
            "  other symbols {} (their frames counted as other, never applied)",
            others.join(", ")
        );
    }
    println!(
        "  frames        {} ({} book, {} trades, {} quotes, {} other, {} malformed)",
        feed.frames, feed.book_frames, feed.trades, feed.quotes, feed.other, feed.malformed
    );
    println!(
        "  book sync     {} snapshot(s), {} diffs applied ({} level updates), {} stale, {} gaps, {} crossed",
        sync.snapshots,
        sync.deltas_applied,
        sync.levels_applied,
        sync.deltas_stale,
        sync.gaps,
        sync.crossed
    );
    println!(
        "  venue quotes  {} checked against the book at the same update id, {} disagreed",
        sync.quotes_matched, sync.quote_mismatches
    );
    if let Some(e) = &feed.first_error {
        println!("  first malformed frame: {e}");
    }
    println!(
        "  state         {}",
        if *trusted {
            "trusted"
        } else {
            "NOT trusted (rebuilding)"
        }
    );
    println!(
        "  touch         read after every frame; the best bid or ask changed after {} of them",
        summary.touch_changes
    );
    println!("  last update   {}", book.last_update_id());
    println!("  best bid      {}", show(book.best_bid()));
    println!("  best ask      {}", show(book.best_ask()));
    println!(
        "  levels        {} bids / {} asks ({} / {} far from the touch)",
        book.level_count(Side::Buy),
        book.level_count(Side::Sell),
        book.far_level_count(Side::Buy),
        book.far_level_count(Side::Sell)
    );
    if let (Some(mid), Some(micro), Some(spread)) = (book.mid(), book.microprice(), book.spread()) {
        let decimals = usize::from(tick.scale());
        println!(
            "  mid {mid:.p$}  microprice {micro:.q$}  spread {}",
            spread.display(&tick),
            p = decimals + 1,
            q = decimals + 3
        );
    }
    println!("  top {depth} levels (bid | ask):");
    for (bid, ask) in book
        .levels(Side::Buy)
        .map(Some)
        .chain(std::iter::repeat(None))
        .zip(
            book.levels(Side::Sell)
                .map(Some)
                .chain(std::iter::repeat(None)),
        )
        .take(depth)
    {
        println!("    {:>24} | {:<24}", show(bid), show(ask));
    }
    println!(
        "  book memory   {:.2} MiB",
        book.heap_bytes() as f64 / (1 << 20) as f64
    );
    let per_sec = |n: u64, d: Duration| n as f64 / d.as_secs_f64().max(1e-9);
    println!(
        "  replay rate   {:.2} M frames/s, {:.1} M level updates/s end to end ({}) in {:.0} ms",
        per_sec(feed.frames, wall) / 1e6,
        per_sec(sync.levels_applied, wall) / 1e6,
        if market.tape.is_some() {
            "mapped tape: read messages, sync, apply"
        } else {
            "read, gunzip, decode, sync, apply"
        },
        wall.as_secs_f64() * 1e3
    );
    Ok(())
}

/// Checks the bundled capture's end state against the oracle published with it.
fn check_oracle(book: &OrderBook) -> anyhow::Result<()> {
    let tick = *book.tick();
    {
        let (last, bid, ask, bids, asks) = SAMPLE_ORACLE;
        let got = (
            book.last_update_id(),
            book.best_bid().map(|l| l.price.display(&tick).to_string()),
            book.best_ask().map(|l| l.price.display(&tick).to_string()),
            book.level_count(Side::Buy),
            book.level_count(Side::Sell),
        );
        let want = (last, Some(bid.to_owned()), Some(ask.to_owned()), bids, asks);
        if got != want {
            bail!("end state {got:?} differs from the published oracle {want:?}");
        }
        println!(
            "  oracle        matches data/sample/README.md: {bid} / {ask}, {bids} / {asks} levels"
        );
    }
    Ok(())
}
