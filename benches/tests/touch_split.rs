//! Deciding on a diff's levels near the touch, before the rest of its
//! frame is decoded, gives exactly the decisions of the whole diff: every
//! frame of the bundled spot and USD-M captures goes through two kernels,
//! one fed whole diffs as a backtest is, one fed as a live session is
//! (near part, decision, rest), and their orders, risk decisions and
//! books must agree frame by frame.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use kestrel_benches::backtest::{backtest_config, imbalance_mm};
use kestrel_benches::live::{acknowledge_all, spot_kernel_config, spot_strategy};
use kestrel_benches::{load_frames, sample_capture, spot_capture};
use kestrel_binance::{BinanceDecoder, FuturesSequencer, SpotSequencer};
use kestrel_engine::{Kernel, KernelConfig, OrderIntent, RiskEvent};
use kestrel_feed::{FeedEvent, FeedKind, FrameStart, FrameSync};
use kestrel_feed::{Instruments, Sequencer};
use kestrel_model::{Instrument, UnixNanos};
use kestrel_registry::testing::{spot_btcusdt, usdm_btcusdt};
use kestrel_strategy::ImbalanceMm;

type Mm = Kernel<ImbalanceMm>;

/// What a frame made a kernel do.
#[derive(Debug, PartialEq)]
struct Decided {
    intents: Vec<OrderIntent>,
    decisions: Vec<RiskEvent>,
}

fn drain(kernel: &mut Mm, into: &mut Decided) {
    into.decisions.extend(kernel.drain_decisions());
    into.intents.extend(kernel.drain_intents());
}

fn on_event(kernel: &mut Mm, slot: &FeedEvent, now: UnixNanos) {
    match slot.kind {
        FeedKind::Delta => kernel.on_delta(IX, &slot.delta, now),
        FeedKind::Snapshot => kernel.on_snapshot(IX, &slot.snapshot, now),
        FeedKind::Trade => kernel.on_trade(IX, &slot.trade, now),
        FeedKind::Gap => kernel.on_gap(IX, now),
    }
}

#[derive(Debug, Default)]
struct Splits {
    diffs: u64,
    near: u64,
    decided_early: u64,
    levels_whole: u64,
    levels_near: u64,
}

fn compare<Q: Sequencer>(
    path: &Path,
    instrument: &Instrument,
    sequencer: impl Fn() -> Q,
    strategy: impl Fn() -> ImbalanceMm,
    config: &KernelConfig,
) -> Splits {
    let frames = load_frames(path).unwrap();
    let decoder = || BinanceDecoder::new(Instruments::new(instrument.clone()));
    let (mut whole, mut split) = (
        Kernel::new(instrument, strategy(), config).unwrap(),
        Kernel::new(instrument, strategy(), config).unwrap(),
    );
    let (mut whole_sync, mut split_sync) = (
        FrameSync::new(decoder(), sequencer()),
        FrameSync::new(decoder(), sequencer()),
    );
    let (mut whole_slot, mut split_slot) =
        (FeedEvent::new(instrument.id), FeedEvent::new(instrument.id));
    let mut splits = Splits::default();
    for (n, (now, frame)) in frames.iter().enumerate() {
        let now = *now;
        let mut a = Decided {
            intents: Vec::new(),
            decisions: Vec::new(),
        };
        let mut made = whole_sync.on_frame(frame, now, &mut whole_slot);
        while made {
            if whole_slot.kind == FeedKind::Delta {
                splits.diffs += 1;
                splits.levels_whole += whole_slot.delta.updates.len() as u64;
            }
            on_event(&mut whole, &whole_slot, now);
            drain(&mut whole, &mut a);
            made = whole_sync.next_held(&mut whole_slot);
        }

        let mut b = Decided {
            intents: Vec::new(),
            decisions: Vec::new(),
        };
        let bounds = split.touch_bounds(IX);
        let mut made = match split_sync.on_frame_near(frame, now, bounds, &mut split_slot) {
            FrameStart::Near(beyond) => {
                splits.near += 1;
                let decided = split_sync.take_near(frame, beyond, |part, beyond| {
                    splits.levels_near += part.len() as u64;
                    split.on_delta_near(IX, part, beyond, now)
                });
                if decided {
                    splits.decided_early += 1;
                }
                drain(&mut split, &mut b);
                let end = split_sync.finish_near(frame, now, &mut split_slot);
                assert_eq!(end.fault, None, "frame {n}");
                split.on_delta_rest(IX, end.rest, now);
                drain(&mut split, &mut b);
                split_sync.next_held(&mut split_slot)
            }
            FrameStart::Whole(made) => made,
        };
        while made {
            on_event(&mut split, &split_slot, now);
            drain(&mut split, &mut b);
            made = split_sync.next_held(&mut split_slot);
        }
        assert_eq!(a, b, "frame {n}");
        acknowledge_all(&mut whole, instrument.id, now);
        acknowledge_all(&mut split, instrument.id, now);
    }
    assert_eq!(
        whole.book().snapshot(100_000),
        split.book().snapshot(100_000)
    );
    assert_eq!(whole.counters(), split.counters());
    splits
}

fn check(splits: &Splits, what: &str) {
    println!("{what}: {splits:?}");
    // The split path must carry the big diffs, decide on nearly all of
    // them early, and leave most levels for later, or this test proves
    // little.
    assert!(splits.near * 10 > splits.diffs, "{what}: {splits:?}");
    let early = splits.decided_early * 100 > splits.near * 98;
    assert!(early, "{what}: {splits:?}");
    let fewer = splits.levels_near * 2 < splits.levels_whole;
    assert!(fewer, "{what}: {splits:?}");
}

#[test]
fn spot_decisions_equal_the_whole_diffs() {
    let splits = compare(
        &spot_capture(),
        &spot_btcusdt(),
        SpotSequencer::new,
        spot_strategy,
        &spot_kernel_config(),
    );
    check(&splits, "spot");
}

#[test]
fn usdm_decisions_equal_the_whole_diffs() {
    let splits = compare(
        &sample_capture(),
        &usdm_btcusdt(),
        FuturesSequencer::new,
        imbalance_mm,
        &backtest_config().kernel,
    );
    check(&splits, "usd-m");
}

/// The one instrument of these tests.
const IX: kestrel_model::InstrumentIndex = kestrel_model::InstrumentIndex::FIRST;
