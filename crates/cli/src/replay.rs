//! `kestrel replay`: rebuild a book from a recorded capture and report it.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use kestrel_book::OrderBook;
use kestrel_feed::binance::instruments::usdm_btcusdt;
use kestrel_feed::binance::{CaptureReader, CaptureReplay, SyncedEvent};
use kestrel_model::{Level, Side};

/// The capture shipped in the repository.
const SAMPLE: &str = "data/sample/binance_usdm_btcusdt_20240808.raw.gz";

/// End state of the bundled capture, as published with the data
/// (`data/sample/README.md`): last `u`, best bid, best ask, levels per side.
const SAMPLE_ORACLE: (u64, &str, &str, usize, usize) =
    (5_123_135_475_514, "61659.70", "61659.80", 5018, 4578);

/// Levels per side printed unless `--depth` says otherwise.
const DEFAULT_DEPTH: usize = 5;

/// Options of `kestrel replay`.
#[derive(clap::Args)]
pub struct ReplayArgs {
    /// Capture to replay (`<local_ts_ns> <json>` lines, gzip or plain);
    /// defaults to the bundled Binance USD-M BTCUSDT capture.
    #[arg(long)]
    file: Option<PathBuf>,
    /// Levels per side to print.
    #[arg(long, default_value_t = DEFAULT_DEPTH)]
    depth: usize,
}

impl Default for ReplayArgs {
    fn default() -> Self {
        Self {
            file: None,
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
    let instrument = usdm_btcusdt();
    let reader = CaptureReader::open(&path, instrument.clone())
        .with_context(|| format!("cannot open capture {}", path.display()))?;
    let mut replay = CaptureReplay::new(reader);
    let mut book = OrderBook::new(&instrument);
    let mut book_time = Duration::ZERO;
    let started = Instant::now();
    for event in replay.by_ref() {
        let event = event.with_context(|| format!("replay of {} stopped", path.display()))?;
        match &event {
            SyncedEvent::Snapshot(snapshot) => book.load_snapshot(snapshot)?,
            SyncedEvent::Delta(delta) => {
                let t = Instant::now();
                book.apply_delta(delta)?;
                book_time += t.elapsed();
            }
        }
    }
    let wall = started.elapsed();
    let stats = replay.stats();

    let tick = *book.tick();
    let lot = *book.lot();
    let show = |l: Option<Level>| {
        l.map_or("-".to_owned(), |l| {
            format!("{} × {}", l.price.display(&tick), l.qty.display(&lot))
        })
    };
    println!("Kestrel replay of {}", path.display());
    println!("  instrument    {}", book.instrument());
    println!(
        "  events        {} snapshot, {} diffs applied ({} level updates), {} stale, {} other-stream lines, {} malformed lines",
        stats.snapshots,
        stats.deltas_applied,
        stats.levels_applied,
        stats.deltas_stale,
        stats.other,
        stats.malformed
    );
    if let Some(e) = replay.first_malformed() {
        println!("  first malformed line: {e}");
    }
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
        println!(
            "  mid {mid:.2}  microprice {micro:.4}  spread {}",
            spread.display(&tick)
        );
    }
    println!("  top {} levels (bid | ask):", args.depth);
    for (bid, ask) in book
        .levels(Side::Buy)
        .map(Some)
        .chain(std::iter::repeat(None))
        .zip(
            book.levels(Side::Sell)
                .map(Some)
                .chain(std::iter::repeat(None)),
        )
        .take(args.depth)
    {
        println!("    {:>24} | {:<24}", show(bid), show(ask));
    }
    println!(
        "  book memory   {:.2} MiB",
        book.heap_bytes() as f64 / (1 << 20) as f64
    );
    let per_sec = |n: u64, d: Duration| n as f64 / d.as_secs_f64().max(1e-9);
    println!(
        "  replay rate   {:.0} diffs/s, {:.2} M level updates/s end to end (read, gunzip, decode, sync, apply) in {:.0} ms",
        per_sec(stats.deltas_applied, wall),
        per_sec(stats.levels_applied, wall) / 1e6,
        wall.as_secs_f64() * 1e3
    );
    if stats.levels_applied > 0 {
        println!(
            "  book rate     {:.1} M level updates/s in the book alone ({:.1} ns per update, timer included; `cargo bench` isolates it)",
            per_sec(stats.levels_applied, book_time) / 1e6,
            book_time.as_nanos() as f64 / stats.levels_applied as f64
        );
    }

    if bundled {
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
