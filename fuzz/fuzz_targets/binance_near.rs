//! Binance depth diffs read near the touch first (`decode_near`, then
//! `decode_more`): any bytes under any bounds give levels or a refusal,
//! never a panic. When the frame also decodes whole with a side in price
//! order, the levels read on that side are the side's own from its near
//! end, and every level not read lies beyond where the read said.
#![no_main]

use kestrel_binance::BinanceDecoder;
use kestrel_registry::testing::usdm_btcusdt;
use kestrel_feed::{Decoded, FrameDecoder, Instruments};
use kestrel_model::{LevelUpdate, Price, Side, TouchBounds, UnixNanos};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((head, frame)) = data.split_at_checked(4) else {
        return;
    };
    // Bounds in tens of ticks (the capture's prices are near 616,000);
    // zero for a side read whole.
    let bound = |b: &[u8]| {
        let v = u16::from_le_bytes([b[0], b[1]]);
        (v != 0).then(|| Price::from_ticks(i64::from(v) * 10))
    };
    let bounds = TouchBounds {
        bid: bound(&head[..2]),
        ask: bound(&head[2..]),
    };
    let mut decoder = BinanceDecoder::new(Instruments::new(usdm_btcusdt()));
    let (mut read, mut beyond) = match decoder.decode_near(frame, UnixNanos::new(0), bounds) {
        Some(near) => (near.delta.updates.clone(), near.beyond),
        None => return,
    };
    for step in 1..4 {
        let deeper = TouchBounds {
            bid: beyond.bid.map(|p| Price::from_ticks(p.ticks() - step * 50)),
            ask: beyond.ask.map(|p| Price::from_ticks(p.ticks() + step * 50)),
        };
        match decoder.decode_more(frame, deeper) {
            Some(more) => {
                read.extend_from_slice(&more.delta.updates);
                beyond = more.beyond;
            }
            None => break,
        }
    }
    let Ok(Decoded::Delta { delta, .. }) = decoder.decode(frame, UnixNanos::new(0)) else {
        return;
    };
    for side in [Side::Buy, Side::Sell] {
        let whole: Vec<LevelUpdate> = delta.updates.iter().filter(|u| u.side == side).copied().collect();
        let got: Vec<LevelUpdate> = read.iter().filter(|u| u.side == side).copied().collect();
        let descending = whole.windows(2).all(|w| w[0].price > w[1].price);
        let ascending = whole.windows(2).all(|w| w[0].price < w[1].price);
        if !(descending || ascending) {
            continue;
        }
        let best_first = if side == Side::Buy { descending } else { ascending };
        let mut from_near_end = whole.clone();
        if !best_first {
            from_near_end.reverse();
        }
        assert!(got.len() <= whole.len(), "{side:?}: read more than the diff has");
        assert_eq!(&from_near_end[..got.len()], &got[..], "{side:?}");
        let left = &from_near_end[got.len()..];
        match beyond.get(side) {
            Some(w) => assert!(left.iter().all(|u| side.is_worse(u.price, w)), "{side:?}"),
            None => assert!(left.is_empty(), "{side:?}: levels left unread"),
        }
    }
});
