//! The live path's costs, on the bundled real captures:
//!
//! * journal appends with 1 ms group commit: records per second until
//!   durable, and the latency of each `append` as the kernel sees it;
//! * recovery: a journal of ≥ 1 M records (the USD-M capture's events as a
//!   live session journals them, inputs and decisions) replayed through a
//!   fresh kernel, every decision checked;
//! * tick-to-order: a spot frame's bytes through decode, sync, book,
//!   signals, strategy and risk to the signed bytes of the order request.
//!
//! `cargo bench -p kestrel-benches --bench live`; figures in BENCHMARKS.md.
//! `KESTREL_BENCH_ONLY=tick` (or `journal`, `recovery`) runs one part.
#![allow(clippy::expect_used)] // a kernel of the built-in strategy always builds

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use kestrel_benches::backtest::{backtest_config, imbalance_mm};
use kestrel_benches::live::{acknowledge_all, spot_kernel_config, spot_strategy};
use kestrel_benches::{load_frames, load_market_events, spot_capture};
use kestrel_binance::{BinanceConfig, BinanceExecution};
use kestrel_binance::{BinanceDecoder, SpotSequencer};
use kestrel_engine::entry::{self, Entry, SessionHeader};
use kestrel_engine::{Kernel, OrderIntent, replay};
use kestrel_feed::Instruments;
use kestrel_feed::{FeedEvent, FeedKind, FrameStart, FrameSync};
use kestrel_journal::{FsyncPolicy, JournalWriter, WriterConfig};
use kestrel_model::{MarketEvent, UnixNanos};
use kestrel_registry::testing::spot_btcusdt;
use kestrel_venue::Credentials;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kestrel-bench-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// 1 ns to 10 s at 3 significant digits.
fn hist() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 10_000_000_000, 3).unwrap_or_else(|e| panic!("{e}"))
}

fn print(name: &str, h: &Histogram<u64>) {
    println!(
        "  {name:<34} n={:>8}  p50 {:>6} ns  p99 {:>7} ns  p99.9 {:>8} ns  max {:>9} ns",
        h.len(),
        h.value_at_quantile(0.5),
        h.value_at_quantile(0.99),
        h.value_at_quantile(0.999),
        h.max()
    );
}

/// Bytes of the files in `dir`.
fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok()?.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

fn writer(dir: &Path, fsync: FsyncPolicy) -> JournalWriter {
    JournalWriter::open(WriterConfig {
        dir: dir.to_path_buf(),
        fsync,
        segment_bytes: 64 << 20,
        queue: 1 << 16,
    })
    .unwrap_or_else(|e| panic!("{e}"))
    .0
}

/// The payloads a live session journals for the USD-M capture's deltas.
fn delta_payloads(events: &[MarketEvent]) -> Vec<(kestrel_journal::RecordType, Vec<u8>)> {
    events
        .iter()
        .filter_map(|e| match e {
            MarketEvent::Delta(d) => {
                let mut buf = Vec::new();
                let kind = entry::encode_delta(d.time.local, IX, d, &mut buf);
                Some((kind, buf))
            }
            _ => None,
        })
        .collect()
}

fn journal_figures(events: &[MarketEvent]) {
    journal_run(
        "the records a live session writes (inputs, decisions, acks)",
        &live_like_records(events, 200_000, 0).0,
    );
    journal_run("USD-M depth deltas only", &delta_payloads(events));
}

fn journal_run(what: &str, payloads: &[(kestrel_journal::RecordType, Vec<u8>)]) {
    let mean = payloads.iter().map(|(_, p)| p.len()).sum::<usize>() / payloads.len().max(1);
    const N: usize = 2_000_000;
    println!("journal: {N} appends of {what} (mean payload {mean} B), 1 ms group commit");
    for round in 0..3 {
        let dir = scratch(&format!("journal-{round}"));
        let mut j = writer(&dir, FsyncPolicy::Interval(Duration::from_millis(1)));
        let mut enqueue = hist();
        let started = Instant::now();
        for i in 0..N {
            let (kind, payload) = &payloads[i % payloads.len()];
            let t = Instant::now();
            j.append(*kind, payload).unwrap_or_else(|e| panic!("{e}"));
            enqueue.saturating_record(t.elapsed().as_nanos() as u64);
        }
        let queued = started.elapsed();
        j.close().unwrap_or_else(|e| panic!("{e}"));
        let durable = started.elapsed();
        let bytes = dir_bytes(&dir);
        println!(
            "  round {round}: {:.2} M records/s to durable ({:.0} MB/s); queued in {:.0} ms, durable after {:.0} ms",
            N as f64 / durable.as_secs_f64() / 1e6,
            bytes as f64 / durable.as_secs_f64() / 1e6,
            queued.as_secs_f64() * 1e3,
            durable.as_secs_f64() * 1e3
        );
        print("append (enqueue, as the kernel sees it)", &enqueue);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// The records a live session journals for the capture's events (each
/// input, the kernel's decisions, and the venue's acknowledgement of each
/// order or cancel right after), looping over the capture until there are
/// `records`.
type Records = Vec<(kestrel_journal::RecordType, Vec<u8>)>;

/// Records, and the session snapshots a live session would have taken
/// every `snapshot_every` records (at that record index).
fn live_like_records(
    events: &[MarketEvent],
    records: usize,
    snapshot_every: usize,
) -> (Records, Vec<(usize, Vec<u8>)>) {
    let (instrument, _) = load_market_events().unwrap_or_else(|e| panic!("{e}"));
    let config = backtest_config();
    let header = SessionHeader {
        instruments: vec![instrument.clone()],
        session_ms: config.kernel.session_ms,
        config: String::new(),
    };
    let mut kernel =
        Kernel::new(&instrument, imbalance_mm(), &config.kernel).expect("an imbalance_mm kernel");
    let mut out = Vec::with_capacity(records);
    let mut snapshots = Vec::new();
    let record = |out: &mut Vec<_>, e: &Entry| {
        let mut buf = Vec::new();
        let kind = entry::encode(e, &mut buf);
        out.push((kind, buf));
    };
    record(&mut out, &Entry::Session(Box::new(header)));
    let span = events
        .last()
        .map_or(0, |e| time(e).as_nanos())
        .saturating_sub(events.first().map_or(0, |e| time(e).as_nanos()))
        + 1_000_000_000;
    let mut lap = 0u64;
    let mut order_id = 0u64;
    while out.len() < records {
        for e in events {
            let now = UnixNanos::new(time(e).as_nanos() + lap * span);
            let input = match e {
                MarketEvent::Delta(d) => Entry::Delta {
                    now,
                    ix: IX,
                    delta: d.clone(),
                },
                MarketEvent::Snapshot(s) => Entry::Snapshot {
                    now,
                    ix: IX,
                    book: s.clone(),
                },
                MarketEvent::Trade(t) => Entry::Trade {
                    now,
                    ix: IX,
                    trade: *t,
                },
                _ => continue,
            };
            let mut inputs = vec![input];
            while let Some(input) = inputs.pop() {
                record(&mut out, &input);
                entry::apply(&mut kernel, &input);
                let decisions: Vec<_> = kernel.drain_decisions().collect();
                for d in decisions {
                    record(&mut out, &Entry::Risk(d));
                }
                let intents: Vec<_> = kernel.drain_intents().collect();
                for intent in intents {
                    record(&mut out, &Entry::Intent { now, intent });
                    order_id += 1;
                    inputs.push(Entry::Report {
                        now,
                        ix: IX,
                        report: venue_answer(&kernel, intent, order_id, now),
                    });
                }
            }
            if snapshot_every > 0 && out.len() / snapshot_every > snapshots.len() {
                let state = kestrel_engine::replay::SessionState {
                    kernel: kernel.save_state().unwrap_or_else(|e| panic!("{e}")),
                    trade_ids: Vec::new(),
                    start_balances: Default::default(),
                    last_time: Some(now),
                };
                snapshots.push((out.len(), state.encode().unwrap_or_else(|e| panic!("{e}"))));
            }
            if out.len() >= records {
                break;
            }
        }
        lap += 1;
    }
    (out, snapshots)
}

/// The venue's answer to an intent: accepted, or cancelled.
fn venue_answer(
    kernel: &Kernel<kestrel_strategy::ImbalanceMm>,
    intent: OrderIntent,
    order_id: u64,
    now: UnixNanos,
) -> kestrel_model::ExecReport {
    use kestrel_model::{ExecKind, OrderStatus, Qty};
    let (id, kind, status) = match intent {
        OrderIntent::Submit(order) => (order.id, ExecKind::New, OrderStatus::New),
        OrderIntent::Cancel(id) => (id, ExecKind::Canceled, OrderStatus::Canceled),
    };
    let order = kernel.order(id);
    kestrel_model::ExecReport {
        order_id: kestrel_model::OrderId(order_id),
        client_id: id,
        account: kestrel_model::AccountId::default(),
        instrument: kestrel_benches_instrument(),
        side: order.map_or(kestrel_model::Side::Buy, |o| o.side),
        kind,
        status,
        filled: Qty::ZERO,
        leaves: if status.is_open() {
            order.map_or(Qty::ZERO, |o| o.order.qty())
        } else {
            Qty::ZERO
        },
        time: now,
    }
}

fn kestrel_benches_instrument() -> kestrel_model::InstrumentId {
    kestrel_registry::testing::usdm_btcusdt().id
}

fn time(e: &MarketEvent) -> UnixNanos {
    match e {
        MarketEvent::Delta(d) => d.time.local,
        MarketEvent::Snapshot(s) => s.time.local,
        MarketEvent::Trade(t) => t.time.local,
        _ => UnixNanos::new(0),
    }
}

fn recovery_figures(events: &[MarketEvent]) {
    let dir = scratch("recovery");
    let (records, snapshots) = live_like_records(events, 1_000_000, 100_000);
    let mut j = writer(&dir, FsyncPolicy::Never);
    let mut next_snapshot = snapshots.iter().peekable();
    for (i, (kind, payload)) in records.iter().enumerate() {
        if let Some((_, bytes)) = next_snapshot.next_if(|(at, _)| *at == i) {
            j.snapshot(replay::SessionState::SCHEMA, bytes.clone())
                .unwrap_or_else(|e| panic!("{e}"));
        }
        j.append(*kind, payload).unwrap_or_else(|e| panic!("{e}"));
    }
    j.close().unwrap_or_else(|e| panic!("{e}"));
    let snapshot_bytes = snapshots.last().map_or(0, |(_, b)| b.len());
    let written = records.len();
    drop(records);
    let bytes = dir_bytes(&dir);

    println!(
        "recovery: a journal of {written} records ({:.0} MB), a snapshot every 100,000 ({} kB each)",
        bytes as f64 / 1e6,
        snapshot_bytes / 1000
    );
    let (instrument, _) = load_market_events().unwrap_or_else(|e| panic!("{e}"));
    for round in 0..3 {
        // What a restart does first: every file checked, nothing changed.
        let started = Instant::now();
        let found = kestrel_journal::inspect(&dir).unwrap_or_else(|e| panic!("{e}"));
        let took = started.elapsed();
        assert!(found.damage.is_empty(), "{:?}", found.damage);
        assert_eq!(found.next_seq, written as u64);
        println!(
            "  round {round}: inspecting every file ({} records, {} snapshots) in {:.0} ms",
            found.records(),
            found.snapshots.len(),
            took.as_secs_f64() * 1e3
        );
        let started = Instant::now();
        let (_, replayed) = replay::recover(&dir, written as u64, |_| {
            Ok::<_, std::convert::Infallible>(
                Kernel::new(&instrument, imbalance_mm(), &backtest_config().kernel)
                    .expect("an imbalance_mm kernel"),
            )
        })
        .unwrap_or_else(|e| panic!("{e}"));
        let took = started.elapsed();
        assert!(replayed.mismatch.is_none(), "{:?}", replayed.mismatch);
        println!(
            "  round {round}: from the snapshot at {:?}, {} records replayed, in {:.0} ms",
            replayed.snapshot_seq,
            replayed.records,
            took.as_secs_f64() * 1e3
        );
        let started = Instant::now();
        let mut kernel = Kernel::new(&instrument, imbalance_mm(), &backtest_config().kernel)
            .expect("an imbalance_mm kernel");
        let replayed = replay::replay(&dir, &mut kernel).unwrap_or_else(|e| panic!("{e}"));
        let took = started.elapsed();
        assert!(replayed.mismatch.is_none(), "{:?}", replayed.mismatch);
        println!(
            "  round {round}: all {} records from the start ({} inputs, {} decisions checked) in {:.0} ms = {:.2} M records/s",
            replayed.records,
            replayed.inputs,
            replayed.outputs_matched,
            took.as_secs_f64() * 1e3,
            replayed.records as f64 / took.as_secs_f64() / 1e6
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Where the time of one frame went, up to its last order. Without
/// `detail` only the frame's start and its orders are timed, so that the
/// clock's own reads (some 25 ns each) stay out of tick-to-order.
struct FrameClock {
    detail: bool,
    start: Instant,
    decoding: Duration,
    deciding: Duration,
    /// `(since start, decoding, deciding)` when the last order was signed.
    at_order: Option<(Duration, Duration, Duration)>,
    orders: u64,
    levels: usize,
}

impl FrameClock {
    fn time<T>(detail: bool, total: &mut Duration, f: impl FnOnce() -> T) -> T {
        if !detail {
            return f();
        }
        let t = Instant::now();
        let out = f();
        *total += t.elapsed();
        out
    }

    fn decode<T>(&mut self, f: impl FnOnce() -> T) -> T {
        Self::time(self.detail, &mut self.decoding, f)
    }

    /// The kernel's work, then the signed request of each order it made.
    fn decide(
        &mut self,
        kernel: &mut Kernel<kestrel_strategy::ImbalanceMm>,
        venue: &BinanceExecution,
        pass: &mut TickPass,
        f: impl FnOnce(&mut Kernel<kestrel_strategy::ImbalanceMm>),
    ) {
        Self::time(self.detail, &mut self.deciding, || {
            f(kernel);
            kernel.drain_decisions().for_each(drop);
        });
        for intent in kernel.drain_intents() {
            if let Some(order) = intent.order() {
                let ts = self.detail.then(Instant::now);
                let request = venue.order_request(&order);
                pass.bytes += request.len();
                if let Some(ts) = ts {
                    pass.signing
                        .saturating_record(ts.elapsed().as_nanos() as u64);
                }
                self.orders += 1;
                self.at_order = Some((self.start.elapsed(), self.decoding, self.deciding));
            }
        }
    }
}

/// One pass of a capture's frames through the live path.
struct TickPass {
    ordered: Histogram<u64>,
    quiet: Histogram<u64>,
    decode: Histogram<u64>,
    decide: Histogram<u64>,
    signing: Histogram<u64>,
    orders: u64,
    bytes: usize,
    ordered_levels: usize,
    quiet_levels: usize,
}

/// What the tick-to-order figures run on.
struct TickSetup<'a, Q> {
    frames: &'a [(UnixNanos, Vec<u8>)],
    instrument: &'a kestrel_model::Instrument,
    sequencer: &'a dyn Fn() -> Q,
    strategy: &'a dyn Fn() -> kestrel_strategy::ImbalanceMm,
    config: &'a kestrel_engine::KernelConfig,
    venue: &'a BinanceExecution,
}

impl<Q: kestrel_feed::Sequencer> TickSetup<'_, Q> {
    /// Every frame once, a diff taken near part first (`split`, as a live
    /// session does) or whole.
    fn pass(&self, split: bool, detail: bool) -> TickPass {
        let instrument = self.instrument;
        let mut kernel = Kernel::new(instrument, (self.strategy)(), self.config)
            .expect("an imbalance_mm kernel");
        let mut sync = FrameSync::new(
            BinanceDecoder::new(Instruments::new(instrument.clone())),
            (self.sequencer)(),
        );
        let mut slot = FeedEvent::new(instrument.id);
        let mut pass = TickPass {
            ordered: hist(),
            quiet: hist(),
            decode: hist(),
            decide: hist(),
            signing: hist(),
            orders: 0,
            bytes: 0,
            ordered_levels: 0,
            quiet_levels: 0,
        };
        let mut bounds = None;
        for (local, frame) in self.frames {
            let now = *local;
            let mut clock = FrameClock {
                detail,
                start: Instant::now(),
                decoding: Duration::ZERO,
                deciding: Duration::ZERO,
                at_order: None,
                orders: 0,
                levels: 0,
            };
            let start = clock.decode(|| sync.on_frame_near(frame, now, bounds, &mut slot));
            let mut made = match start {
                FrameStart::Near(beyond) => {
                    // Reading on, if the kernel asks, counts as its work.
                    clock.decide(&mut kernel, self.venue, &mut pass, |k| {
                        sync.take_near(frame, beyond, |part, beyond| {
                            k.on_delta_near(IX, part, beyond, now)
                        });
                    });
                    let end = clock.decode(|| sync.finish_near(frame, now, &mut slot));
                    assert_eq!(end.fault, None);
                    clock.levels += slot.delta.updates.len();
                    clock.decide(&mut kernel, self.venue, &mut pass, |k| {
                        k.on_delta_rest(IX, end.rest, now);
                    });
                    clock.decode(|| sync.next_held(&mut slot))
                }
                FrameStart::Whole(made) => made,
            };
            while made {
                if slot.kind == FeedKind::Delta {
                    clock.levels += slot.delta.updates.len();
                }
                clock.decide(&mut kernel, self.venue, &mut pass, |k| match slot.kind {
                    FeedKind::Delta => k.on_delta(IX, &slot.delta, now),
                    FeedKind::Snapshot => k.on_snapshot(IX, &slot.snapshot, now),
                    FeedKind::Trade => k.on_trade(IX, &slot.trade, now),
                    FeedKind::Gap => k.on_gap(IX, now),
                });
                made = clock.decode(|| sync.next_held(&mut slot));
            }
            let frame_ns = clock.start.elapsed().as_nanos() as u64;
            if let Some((to_order, decoding, deciding)) = clock.at_order {
                pass.orders += clock.orders;
                pass.ordered.saturating_record(to_order.as_nanos() as u64);
                pass.decode.saturating_record(decoding.as_nanos() as u64);
                pass.decide.saturating_record(deciding.as_nanos() as u64);
                pass.ordered_levels += clock.levels;
            } else {
                pass.quiet.saturating_record(frame_ns);
                pass.quiet_levels += clock.levels;
            }
            // The venue acknowledges at once, so quotes keep being made.
            acknowledge_all(&mut kernel, instrument.id, now);
            // Between inputs, as a live session does.
            bounds = if split { kernel.touch_bounds(IX) } else { None };
        }
        pass
    }
}

/// One capture's frames through the live path, three rounds of each way
/// of taking a diff: near part first (as a live session does) and whole.
/// Each is one pass timing only tick-to-order, and one timing its shares.
fn tick_to_order_figures<Q: kestrel_feed::Sequencer>(
    name: &str,
    path: &Path,
    instrument: kestrel_model::Instrument,
    sequencer: impl Fn() -> Q,
    strategy: impl Fn() -> kestrel_strategy::ImbalanceMm,
    config: &kestrel_engine::KernelConfig,
) {
    let frames = load_frames(path).unwrap_or_else(|e| panic!("{e}"));
    let venue = BinanceExecution::new(
        BinanceConfig::simulator(1),
        Credentials::new("bench-key", "bench-secret"),
        instrument.clone(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    println!(
        "tick-to-order, {name}: {} frames; frame bytes → decode, sync, book, signals, strategy, risk → signed order bytes",
        frames.len()
    );
    let setup = TickSetup {
        frames: &frames,
        instrument: &instrument,
        sequencer: &sequencer,
        strategy: &strategy,
        config,
        venue: &venue,
    };
    for round in 0..3 {
        for split in [true, false] {
            let plain = setup.pass(split, false);
            let shares = setup.pass(split, true);
            println!(
                "  round {round}, {}: {} orders ({} request bytes)",
                if split {
                    "near part first"
                } else {
                    "whole diffs"
                },
                plain.orders,
                plain.bytes,
            );
            print(
                "frames that made an order, to the last order",
                &plain.ordered,
            );
            print("frames that did not", &plain.quiet);
            println!(
                "  level updates per frame: {:.1} in frames that made an order, {:.1} in the others",
                plain.ordered_levels as f64 / plain.ordered.len().max(1) as f64,
                plain.quiet_levels as f64 / plain.quiet.len().max(1) as f64
            );
            print("timing each share: to the last order", &shares.ordered);
            print("of which: decode + sync", &shares.decode);
            print("of which: book … risk", &shares.decide);
            print("of which: order bytes (format + sign)", &shares.signing);
        }
    }
}

/// `KESTREL_BENCH_ONLY=tick|journal|recovery` runs one part.
fn main() {
    let only = std::env::var("KESTREL_BENCH_ONLY").ok();
    let run = |part: &str| only.as_deref().is_none_or(|o| o == part);
    if run("tick") {
        tick_to_order_figures(
            "Binance spot (depth@100ms batches)",
            &spot_capture(),
            spot_btcusdt(),
            SpotSequencer::new,
            spot_strategy,
            &spot_kernel_config(),
        );
        tick_to_order_figures(
            "Binance USD-M (depth@0ms)",
            &kestrel_benches::sample_capture(),
            kestrel_registry::testing::usdm_btcusdt(),
            kestrel_binance::FuturesSequencer::new,
            imbalance_mm,
            &backtest_config().kernel,
        );
    }
    if run("journal") || run("recovery") {
        let (_, events) = load_market_events().unwrap_or_else(|e| panic!("{e}"));
        if run("journal") {
            journal_figures(&events);
        }
        if run("recovery") {
            recovery_figures(&events);
        }
    }
}

/// The one instrument of these tests.
const IX: kestrel_model::InstrumentIndex = kestrel_model::InstrumentIndex::FIRST;
