//! A depth diff's levels near the touch, decoded before the rest of the
//! frame ([`FrameDecoder::decode_near`](crate::FrameDecoder::decode_near)).
//!
//! Binance lists each side of a diff in price order: in every diff of the
//! bundled spot, USD-M and COIN-M captures (46,000 lists of two levels or
//! more), though its documentation does not say so, and not in one
//! direction: spot lists bids best first, the futures worst first. So the
//! near end of a list is found from its first two levels, and the list is
//! read from that end (backwards, level by level, when it is the last)
//! until the first level beyond the caller's bound. The level list's end
//! is found without reading the levels between.
//!
//! Anything else (another layout, a field the header lacks, two levels
//! at one price) declines, and the caller decodes the frame whole.

use kestrel_model::{
    BookDelta, EventTime, Instrument, LevelUpdate, Price, Side, TouchBounds, UnixNanos, UpdateIds,
};

use crate::decode::Instruments;
use crate::json::Scanner;
use crate::level_scan::{level_at, list_close};

/// The header fields a diff's near part needs.
#[derive(Default)]
struct Header<'a> {
    event_type: Option<&'a [u8]>,
    event_ms: Option<u64>,
    transaction_ms: Option<u64>,
    symbol: Option<&'a [u8]>,
    first_id: Option<u64>,
    last_id: Option<u64>,
    prev_id: Option<u64>,
    /// Sides read so far.
    bids: bool,
    asks: bool,
}

/// Decodes a `depthUpdate` frame's ids, time and near levels into
/// `delta`; the price beyond which the levels left lie, per side.
pub(super) fn near_depth(
    frame: &[u8],
    local: UnixNanos,
    bounds: TouchBounds,
    instruments: &Instruments,
    delta: &mut BookDelta,
) -> Option<TouchBounds> {
    let mut header = Header::default();
    let mut beyond = TouchBounds::default();
    delta.updates.clear();
    let mut s = Scanner::new(frame);
    object(
        &mut s,
        &mut header,
        &mut beyond,
        bounds,
        instruments,
        delta,
        true,
    )?;
    if !(header.bids && header.asks) {
        return None;
    }
    delta.ids = UpdateIds {
        first: header.first_id?,
        last: header.last_id?,
        prev: header.prev_id,
    };
    delta.time = EventTime {
        exchange: UnixNanos::from_millis(header.transaction_ms.or(header.event_ms)?),
        local,
    };
    Some(beyond)
}

/// Reads one object of the frame (the envelope or its `data`). The lists
/// come after the header in Binance's layout; a list before the fields
/// that identify the diff declines.
fn object<'a>(
    s: &mut Scanner<'a>,
    header: &mut Header<'a>,
    beyond: &mut TouchBounds,
    bounds: TouchBounds,
    instruments: &Instruments,
    delta: &mut BookDelta,
    top_level: bool,
) -> Option<()> {
    s.begin_object().ok()?;
    let mut first = true;
    while let Some(key) = s.next_key(&mut first).ok()? {
        match key {
            b"data" if top_level && s.peek() == Some(b'{') => {
                object(s, header, beyond, bounds, instruments, delta, false)?;
            }
            b"e" => header.event_type = Some(s.string().ok()?),
            b"E" => header.event_ms = Some(s.u64().ok()?),
            b"T" => header.transaction_ms = Some(s.u64().ok()?),
            b"s" => header.symbol = Some(s.string().ok()?),
            b"U" => header.first_id = Some(s.u64().ok()?),
            b"u" => header.last_id = Some(s.u64().ok()?),
            b"pu" => header.prev_id = Some(s.u64().ok()?),
            b"b" | b"a" => {
                if header.event_type != Some(b"depthUpdate") {
                    return None;
                }
                let instrument = instruments.find(header.symbol?)?;
                if header.bids || header.asks {
                    // Both lists must be of the instrument the delta is for.
                    if delta.instrument != instrument.id {
                        return None;
                    }
                }
                delta.instrument = instrument.id;
                let (side, seen) = if key == b"b" {
                    (Side::Buy, &mut header.bids)
                } else {
                    (Side::Sell, &mut header.asks)
                };
                if *seen {
                    return None;
                }
                *seen = true;
                let (used, past) = near_levels(
                    s.rest(),
                    side,
                    bounds.get(side),
                    instrument,
                    &mut delta.updates,
                )?;
                s.advance(used);
                match side {
                    Side::Buy => beyond.bid = past,
                    Side::Sell => beyond.ask = past,
                }
            }
            _ => {
                s.skip_value().ok()?;
            }
        }
    }
    Some(())
}

/// Reads the levels of the list at the start of `input` on `side` that are
/// at or better than `bound` (all of them without one), and the first
/// beyond it, appending them in the list's order. Returns the bytes the
/// list takes and the price of that first level beyond, if the list had
/// more.
fn near_levels(
    input: &[u8],
    side: Side,
    bound: Option<Price>,
    instrument: &Instrument,
    out: &mut Vec<LevelUpdate>,
) -> Option<(usize, Option<Price>)> {
    if input.first() != Some(&b'[') {
        return None;
    }
    if input.get(1) == Some(&b']') {
        return Some((2, None));
    }
    // The last level's `]`; the list takes the byte after it too.
    let close = list_close(input)?;
    let used = close + 2;
    let update = |level: kestrel_model::Level| LevelUpdate {
        price: level.price,
        qty: level.qty,
        side,
    };
    let beyond = |price: Price| bound.is_some_and(|b| TouchBounds::worse(side, price, b));
    let (first, end) = level_at(input, 1, instrument)?;
    let near_first = if end == close + 1 {
        true
    } else {
        let (second, _) = level_at(input, end.checked_add(1)?, instrument)?;
        if first.price == second.price {
            return None;
        }
        !TouchBounds::worse(side, first.price, second.price)
    };
    if near_first {
        let mut at = 1;
        loop {
            let (level, end) = level_at(input, at, instrument)?;
            out.push(update(level));
            if beyond(level.price) {
                return Some((used, Some(level.price)));
            }
            if end == close + 1 {
                return Some((used, None));
            }
            if end > close || input.get(end) != Some(&b',') {
                return None;
            }
            at = end + 1;
        }
    }
    // The near end is the last: read back from it, then restore the order.
    let start = out.len();
    let mut end = close + 1;
    let past = loop {
        let open = input.get(..end)?.iter().rposition(|&b| b == b'[')?;
        let (level, level_end) = level_at(input, open, instrument)?;
        if level_end != end {
            return None;
        }
        out.push(update(level));
        if beyond(level.price) {
            break Some(level.price);
        }
        if open == 1 {
            break None;
        }
        if input.get(open - 1) != Some(&b',') {
            return None;
        }
        end = open - 1;
    };
    out.get_mut(start..)?.reverse();
    Some((used, past))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::instruments::usdm_btcusdt;
    use kestrel_model::Qty;

    fn near(frame: &str, bid: Option<i64>, ask: Option<i64>) -> Option<(BookDelta, TouchBounds)> {
        let inst = usdm_btcusdt();
        let mut delta = BookDelta {
            instrument: inst.id,
            ids: UpdateIds::default(),
            time: EventTime::default(),
            updates: Vec::new(),
        };
        let bounds = TouchBounds {
            bid: bid.map(Price::from_ticks),
            ask: ask.map(Price::from_ticks),
        };
        let beyond = near_depth(
            frame.as_bytes(),
            UnixNanos::new(9),
            bounds,
            &Instruments::new(inst.clone()),
            &mut delta,
        )?;
        Some((delta, beyond))
    }

    fn frame(bids: &[&str], asks: &[&str]) -> String {
        let list = |prices: &[&str]| {
            prices
                .iter()
                .map(|p| format!(r#"["{p}","1.000"]"#))
                .collect::<Vec<_>>()
                .join(",")
        };
        format!(
            r#"{{"stream":"btcusdt@depth","data":{{"e":"depthUpdate","E":1723161256299,"T":1723161256298,"s":"BTCUSDT","U":5,"u":7,"pu":4,"b":[{}],"a":[{}]}}}}"#,
            list(bids),
            list(asks)
        )
    }

    fn prices(delta: &BookDelta, side: Side) -> Vec<i64> {
        delta
            .updates
            .iter()
            .filter(|u| u.side == side)
            .map(|u| u.price.ticks())
            .collect()
    }

    #[test]
    fn best_first_lists_stop_at_the_first_level_beyond() {
        let f = frame(
            &["100.5", "100.3", "100.1", "99.0"],
            &["101.0", "101.2", "103.0"],
        );
        let (delta, beyond) = near(&f, Some(1003), Some(1012)).unwrap();
        assert_eq!(prices(&delta, Side::Buy), [1005, 1003, 1001]);
        assert_eq!(prices(&delta, Side::Sell), [1010, 1012, 1030]);
        assert_eq!(beyond.bid, Some(Price::from_ticks(1001)));
        // The ask list ended at its first level beyond: nothing was left.
        assert_eq!(beyond.ask, Some(Price::from_ticks(1030)));
        assert_eq!(
            delta.ids,
            UpdateIds {
                first: 5,
                last: 7,
                prev: Some(4)
            }
        );
        assert_eq!(delta.time.exchange, UnixNanos::from_millis(1723161256298));
        assert_eq!(delta.updates[0].qty, Qty::from_lots(1000));
    }

    #[test]
    fn worst_first_lists_are_read_from_their_end_in_their_order() {
        let f = frame(&["99.0", "100.1", "100.3", "100.5"], &["101.0"]);
        let (delta, beyond) = near(&f, Some(1003), Some(1012)).unwrap();
        assert_eq!(prices(&delta, Side::Buy), [1001, 1003, 1005]);
        assert_eq!(beyond.bid, Some(Price::from_ticks(1001)));
        assert_eq!(beyond.ask, None);
    }

    #[test]
    fn a_side_without_a_bound_or_within_it_is_read_whole() {
        let f = frame(&["99.0", "100.1", "100.5"], &["103.0", "101.2", "101.0"]);
        let (delta, beyond) = near(&f, None, Some(1040)).unwrap();
        assert_eq!(prices(&delta, Side::Buy), [990, 1001, 1005]);
        assert_eq!(prices(&delta, Side::Sell), [1030, 1012, 1010]);
        assert_eq!(beyond, TouchBounds::default());
        let empty = frame(&[], &["101.0"]);
        let (delta, _) = near(&empty, Some(1000), Some(1000)).unwrap();
        assert_eq!(delta.updates.len(), 1);
    }

    #[test]
    fn declines_what_it_cannot_read_in_order() {
        // Two levels at one price: no order to go by.
        assert!(near(&frame(&["100.5", "100.5"], &[]), Some(1000), Some(1000)).is_none());
        // Not a diff.
        let trade = r#"{"e":"trade","E":1,"s":"BTCUSDT","t":1,"p":"1.0","q":"1","T":1,"m":true}"#;
        assert!(near(trade, Some(1), Some(1)).is_none());
        // The lists before the symbol.
        let early = r#"{"e":"depthUpdate","b":[],"a":[],"E":1,"s":"BTCUSDT","U":1,"u":2}"#;
        assert!(near(early, Some(1), Some(1)).is_none());
        // Another layout.
        let spaced =
            r#"{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[ ["1.0","1"]],"a":[]}"#;
        assert!(near(spaced, Some(1), Some(1)).is_none());
        // A cut frame, and ids missing.
        let f = frame(&["100.5", "100.3"], &["101.0"]);
        assert!(near(&f[..f.len() - 20], Some(1000), Some(1020)).is_none());
        let no_ids = f.replace(r#""U":5,"#, "");
        assert!(near(&no_ids, Some(1000), Some(1020)).is_none());
    }
}
