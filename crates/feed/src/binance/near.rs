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
    BookDelta, EventTime, Instrument, Level, LevelUpdate, Price, Side, TouchBounds, UnixNanos,
    UpdateIds,
};

use crate::decode::Instruments;
use crate::json::Scanner;
use crate::level_scan::{ListRead, level_at, levels_from, levels_while};
use crate::list_end::list_close;

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

/// Where the read of one side's list stopped, as offsets into the frame.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum SideCursor {
    /// Nothing left to read.
    #[default]
    Done,
    /// A best-first list: its next level starts at `next`.
    Forward { next: usize },
    /// A worst-first list, read from its end: the next level back ends
    /// just before `end`; the list's first level starts at `first`.
    Backward { end: usize, first: usize },
}

/// A diff's read so far, per side, so that [`more_depth`] can go on.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct NearRead {
    cursors: [SideCursor; 2],
    beyond: TouchBounds,
}

/// Decodes a `depthUpdate` frame's ids, time and near levels into
/// `delta`; the price beyond which the levels left lie, per side.
pub(super) fn near_depth(
    frame: &[u8],
    local: UnixNanos,
    bounds: TouchBounds,
    instruments: &Instruments,
    delta: &mut BookDelta,
    read: &mut NearRead,
) -> Option<TouchBounds> {
    let mut header = Header::default();
    *read = NearRead::default();
    delta.updates.clear();
    let mut s = Scanner::new(frame);
    let mut lists = Lists {
        frame,
        bounds,
        instruments,
        delta,
        read,
    };
    lists.object(&mut s, &mut header, true)?;
    if !(header.bids && header.asks) {
        return None;
    }
    lists.delta.ids = UpdateIds {
        first: header.first_id?,
        last: header.last_id?,
        prev: header.prev_id,
    };
    lists.delta.time = EventTime {
        exchange: UnixNanos::from_millis(header.transaction_ms.or(header.event_ms)?),
        local,
    };
    Some(read.beyond)
}

/// Reads on from where [`near_depth`] (or the last call) stopped, on each
/// side with a bound, until the first level beyond it: `delta`'s levels
/// become the ones read now. The price beyond which the levels left lie,
/// per side.
pub(super) fn more_depth(
    frame: &[u8],
    bounds: TouchBounds,
    instruments: &Instruments,
    delta: &mut BookDelta,
    read: &mut NearRead,
) -> Option<TouchBounds> {
    delta.updates.clear();
    let instrument = instruments.iter().find(|i| i.id == delta.instrument)?;
    for side in [Side::Buy, Side::Sell] {
        let i = side as usize;
        let Some(bound) = bounds.get(side) else {
            continue;
        };
        let (cursor, past) = match read.cursors[i] {
            SideCursor::Done => continue,
            SideCursor::Forward { next } => {
                forward(frame, next, side, bound, instrument, &mut delta.updates)?
            }
            SideCursor::Backward { end, first } => backward(
                frame,
                end,
                first,
                side,
                bound,
                instrument,
                &mut delta.updates,
            )?,
        };
        read.cursors[i] = cursor;
        match side {
            Side::Buy => read.beyond.bid = past,
            Side::Sell => read.beyond.ask = past,
        }
    }
    Some(read.beyond)
}

/// What the first read of a frame's lists needs.
struct Lists<'d, 'i> {
    frame: &'i [u8],
    bounds: TouchBounds,
    instruments: &'i Instruments,
    delta: &'d mut BookDelta,
    read: &'d mut NearRead,
}

impl<'i> Lists<'_, 'i> {
    /// Reads one object of the frame (the envelope or its `data`). The
    /// lists come after the header in Binance's layout; a list before the
    /// fields that identify the diff declines.
    fn object(&mut self, s: &mut Scanner<'i>, header: &mut Header<'i>, top: bool) -> Option<()> {
        s.begin_object().ok()?;
        let mut first = true;
        while let Some(key) = s.next_key(&mut first).ok()? {
            match key {
                b"data" if top && s.peek() == Some(b'{') => {
                    self.object(s, header, false)?;
                    if header.bids && header.asks {
                        return Some(());
                    }
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
                    let instrument = self.instruments.find(header.symbol?)?;
                    // Both lists must be of the one instrument.
                    if (header.bids || header.asks) && self.delta.instrument != instrument.id {
                        return None;
                    }
                    self.delta.instrument = instrument.id;
                    let (side, seen) = if key == b"b" {
                        (Side::Buy, &mut header.bids)
                    } else {
                        (Side::Sell, &mut header.asks)
                    };
                    if std::mem::replace(seen, true) {
                        return None;
                    }
                    // The lists come last: after the second nothing is
                    // read, and where it ends is not needed.
                    let last = header.bids && header.asks;
                    // Past any blank before the list.
                    s.peek()?;
                    let list = s.pos();
                    let bound = self.bounds.get(side);
                    let (end, cursor, past) = first_read(
                        self.frame,
                        list,
                        side,
                        bound,
                        instrument,
                        &mut self.delta.updates,
                        !last,
                    )?;
                    self.read.cursors[side as usize] = cursor;
                    match side {
                        Side::Buy => self.read.beyond.bid = past,
                        Side::Sell => self.read.beyond.ask = past,
                    }
                    if last {
                        return Some(());
                    }
                    s.advance(end? - list);
                }
                _ => {
                    s.skip_value().ok()?;
                }
            }
        }
        Some(())
    }
}

/// The list's last `]` before its closing one, searching from just
/// before `stop`, the end of a level read (which may be that last one).
fn list_close_from(frame: &[u8], stop: usize) -> Option<usize> {
    let from = stop.checked_sub(1)?;
    Some(from + list_close(frame.get(from..)?)?)
}

/// Which way a list runs, from its first two levels.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Order {
    Unknown,
    /// Best first: the near levels are at the front.
    AwayFromTouch,
    /// Worst first: the near levels are at the back.
    TowardTouch,
}

fn update(side: Side) -> impl Fn(Level) -> LevelUpdate {
    move |level| LevelUpdate {
        price: level.price,
        qty: level.qty,
        side,
    }
}

/// Reads the list whose `[` is at `frame[list]` on `side`: its levels at
/// or better than `bound` (all of them without one) and the first beyond
/// it, appended in the order read, from the list's near end. Returns where
/// the list ends (if `end_needed`, or known anyway), where the read
/// stopped, and the price of that first level beyond, if the list has more.
fn first_read(
    frame: &[u8],
    list: usize,
    side: Side,
    bound: Option<Price>,
    instrument: &Instrument,
    out: &mut Vec<LevelUpdate>,
    end_needed: bool,
) -> Option<(Option<usize>, SideCursor, Option<Price>)> {
    let input = frame.get(list..)?;
    let update = update(side);
    // Without a bound, all of the side, still from its near end.
    let bound = bound.unwrap_or(match side {
        Side::Buy => Price::from_ticks(i64::MIN),
        Side::Sell => Price::from_ticks(i64::MAX),
    });
    let beyond = |price: Price| TouchBounds::worse(side, price, bound);
    // Read from the front while the list runs away from the touch; stop at
    // its second level if it runs toward it.
    let mut first: Option<Level> = None;
    let mut order = Order::Unknown;
    let mut past = None;
    let mut second_untaken = false;
    let read = levels_while(input, instrument, |level| {
        if order == Order::Unknown {
            let Some(f) = first else {
                first = Some(level);
                return true;
            };
            if f.price == level.price {
                // Two levels at one price: no order to go by.
                return false;
            }
            if TouchBounds::worse(side, f.price, level.price) {
                order = Order::TowardTouch;
                return false;
            }
            order = Order::AwayFromTouch;
            out.push(update(f));
            if beyond(f.price) {
                // Read on from this second level, which is not taken.
                past = Some(f.price);
                second_untaken = true;
                return false;
            }
        }
        out.push(update(level));
        if beyond(level.price) {
            past = Some(level.price);
            return false;
        }
        true
    })?;
    let stop = match read {
        ListRead::Whole(used) => {
            if order == Order::Unknown {
                // A list of one level.
                out.extend(first.map(&update));
            }
            return Some((Some(list + used), SideCursor::Done, None));
        }
        ListRead::Stopped(stop) => list + stop,
    };
    if order == Order::AwayFromTouch {
        let after = if second_untaken {
            level_at(frame, list + 1, instrument)?.1
        } else {
            stop
        };
        let end = match end_needed {
            true => Some(list_close_from(frame, stop)? + 2),
            false => None,
        };
        return Some((end, next_forward(frame, after)?, past));
    }
    if order == Order::Unknown {
        return None;
    }
    let close = list_close_from(frame, stop)?;
    let (cursor, past) = backward(frame, close + 1, list + 1, side, bound, instrument, out)?;
    Some((Some(close + 2), cursor, past))
}

/// The cursor after a level of a best-first list that ends before `stop`.
fn next_forward(frame: &[u8], stop: usize) -> Option<SideCursor> {
    match frame.get(stop)? {
        b',' => Some(SideCursor::Forward { next: stop + 1 }),
        b']' => Some(SideCursor::Done),
        _ => None,
    }
}

/// Reads a best-first list on from the level at `frame[next]` up to the
/// first level beyond `bound`.
fn forward(
    frame: &[u8],
    next: usize,
    side: Side,
    bound: Price,
    instrument: &Instrument,
    out: &mut Vec<LevelUpdate>,
) -> Option<(SideCursor, Option<Price>)> {
    let update = update(side);
    let mut past = None;
    let read = levels_from(frame, next, instrument, |level| {
        out.push(update(level));
        let beyond = TouchBounds::worse(side, level.price, bound);
        if beyond {
            past = Some(level.price);
        }
        !beyond
    })?;
    match read {
        ListRead::Whole(_) => Some((SideCursor::Done, None)),
        ListRead::Stopped(stop) => Some((next_forward(frame, stop)?, past)),
    }
}

/// Reads a worst-first list back from the level that ends just before
/// `end`, up to the first level beyond `bound`; the list's first level
/// starts at `first`.
fn backward(
    frame: &[u8],
    mut end: usize,
    first: usize,
    side: Side,
    bound: Price,
    instrument: &Instrument,
    out: &mut Vec<LevelUpdate>,
) -> Option<(SideCursor, Option<Price>)> {
    let update = update(side);
    loop {
        let open = first + frame.get(first..end)?.iter().rposition(|&b| b == b'[')?;
        let (level, level_end) = level_at(frame, open, instrument)?;
        if level_end != end {
            return None;
        }
        out.push(update(level));
        let past = TouchBounds::worse(side, level.price, bound).then_some(level.price);
        if open == first {
            return Some((SideCursor::Done, None));
        }
        if frame.get(open - 1) != Some(&b',') {
            return None;
        }
        if past.is_some() {
            return Some((
                SideCursor::Backward {
                    end: open - 1,
                    first,
                },
                past,
            ));
        }
        end = open - 1;
    }
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
            &mut NearRead::default(),
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
    fn worst_first_lists_are_read_from_their_end() {
        let f = frame(&["99.0", "100.1", "100.3", "100.5"], &["101.0"]);
        let (delta, beyond) = near(&f, Some(1003), Some(1012)).unwrap();
        assert_eq!(prices(&delta, Side::Buy), [1005, 1003, 1001]);
        assert_eq!(beyond.bid, Some(Price::from_ticks(1001)));
        assert_eq!(beyond.ask, None);
    }

    #[test]
    fn a_side_without_a_bound_or_within_it_is_read_whole() {
        let f = frame(&["99.0", "100.1", "100.5"], &["103.0", "101.2", "101.0"]);
        let (delta, beyond) = near(&f, None, Some(1040)).unwrap();
        // Both worst first: read from the near end.
        assert_eq!(prices(&delta, Side::Buy), [1005, 1001, 990]);
        assert_eq!(prices(&delta, Side::Sell), [1010, 1012, 1030]);
        assert_eq!(beyond, TouchBounds::default());
        let empty = frame(&[], &["101.0"]);
        let (delta, _) = near(&empty, Some(1000), Some(1000)).unwrap();
        assert_eq!(delta.updates.len(), 1);
    }

    #[test]
    fn reads_on_from_where_it_stopped() {
        let inst = usdm_btcusdt();
        let instruments = Instruments::new(inst.clone());
        let f = frame(
            &["99.0", "99.5", "100.1", "100.3", "100.5"],
            &["101.0", "101.2", "101.4", "103.0"],
        );
        let mut delta = BookDelta {
            instrument: inst.id,
            ids: UpdateIds::default(),
            time: EventTime::default(),
            updates: Vec::new(),
        };
        let mut read = NearRead::default();
        let bounds = TouchBounds {
            bid: Some(Price::from_ticks(1004)),
            ask: Some(Price::from_ticks(1010)),
        };
        let beyond = near_depth(
            f.as_bytes(),
            UnixNanos::new(9),
            bounds,
            &instruments,
            &mut delta,
            &mut read,
        )
        .unwrap();
        assert_eq!(prices(&delta, Side::Buy), [1005, 1003]);
        assert_eq!(prices(&delta, Side::Sell), [1010, 1012]);
        assert_eq!(beyond.bid, Some(Price::from_ticks(1003)));
        // Only the bids need more; then all of the asks.
        let more = TouchBounds {
            bid: Some(Price::from_ticks(1000)),
            ask: None,
        };
        let beyond = more_depth(f.as_bytes(), more, &instruments, &mut delta, &mut read).unwrap();
        assert_eq!(prices(&delta, Side::Buy), [1001, 995]);
        assert!(prices(&delta, Side::Sell).is_empty());
        assert_eq!(beyond.bid, Some(Price::from_ticks(995)));
        assert_eq!(beyond.ask, Some(Price::from_ticks(1012)));
        let all = TouchBounds {
            bid: Some(Price::from_ticks(0)),
            ask: Some(Price::from_ticks(i64::MAX)),
        };
        let beyond = more_depth(f.as_bytes(), all, &instruments, &mut delta, &mut read).unwrap();
        assert_eq!(prices(&delta, Side::Buy), [990]);
        assert_eq!(prices(&delta, Side::Sell), [1014, 1030]);
        assert_eq!(beyond, TouchBounds::default());
        // Nothing is left.
        let beyond = more_depth(f.as_bytes(), all, &instruments, &mut delta, &mut read).unwrap();
        assert!(delta.updates.is_empty());
        assert_eq!(beyond, TouchBounds::default());
    }

    #[test]
    fn reads_on_after_a_first_level_already_beyond() {
        let inst = usdm_btcusdt();
        let instruments = Instruments::new(inst.clone());
        let f = frame(&["100.5", "100.3", "100.1"], &["101.0", "101.2"]);
        let mut delta = BookDelta {
            instrument: inst.id,
            ids: UpdateIds::default(),
            time: EventTime::default(),
            updates: Vec::new(),
        };
        let mut read = NearRead::default();
        let bounds = TouchBounds {
            bid: Some(Price::from_ticks(1010)),
            ask: None,
        };
        near_depth(
            f.as_bytes(),
            UnixNanos::new(9),
            bounds,
            &instruments,
            &mut delta,
            &mut read,
        )
        .unwrap();
        assert_eq!(prices(&delta, Side::Buy), [1005]);
        let all = TouchBounds {
            bid: Some(Price::from_ticks(0)),
            ask: None,
        };
        more_depth(f.as_bytes(), all, &instruments, &mut delta, &mut read).unwrap();
        assert_eq!(prices(&delta, Side::Buy), [1003, 1001]);
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
