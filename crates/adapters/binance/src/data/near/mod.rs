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

use super::decoder::Header;
use kestrel_feed::decode::Instruments;
use kestrel_feed::json::Scanner;
use kestrel_feed::level_scan::{ListRead, level_at, levels_from, levels_while};
use kestrel_feed::list_end::list_close;

/// The header of a diff and the sides read so far.
#[derive(Default)]
struct Head<'a> {
    fields: Header<'a>,
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
    let mut head = Head::default();
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
    lists.object(&mut s, &mut head, true)?;
    if !(head.bids && head.asks) {
        return None;
    }
    lists.delta.ids = UpdateIds {
        first: head.fields.first_id?,
        last: head.fields.last_id?,
        prev: head.fields.prev_id,
    };
    lists.delta.time = EventTime {
        exchange: UnixNanos::from_millis(head.fields.exchange_ms()?),
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
        read.beyond.set(side, past);
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
    fn object(&mut self, s: &mut Scanner<'i>, head: &mut Head<'i>, top: bool) -> Option<()> {
        s.begin_object().ok()?;
        let mut first = true;
        while let Some(key) = s.next_key(&mut first).ok()? {
            if head.fields.read(key, s).ok()? {
                continue;
            }
            match key {
                b"data" if top && s.peek() == Some(b'{') => {
                    self.object(s, head, false)?;
                    if head.bids && head.asks {
                        return Some(());
                    }
                }
                b"b" | b"a" => {
                    if head.fields.event_type != Some(b"depthUpdate") {
                        return None;
                    }
                    let instrument = self.instruments.find(head.fields.symbol?)?;
                    // Both lists must be of the one instrument.
                    if (head.bids || head.asks) && self.delta.instrument != instrument.id {
                        return None;
                    }
                    self.delta.instrument = instrument.id;
                    let (side, seen) = if key == b"b" {
                        (Side::Buy, &mut head.bids)
                    } else {
                        (Side::Sell, &mut head.asks)
                    };
                    if std::mem::replace(seen, true) {
                        return None;
                    }
                    // The lists come last: after the second nothing is
                    // read, and where it ends is not needed.
                    let last = head.bids && head.asks;
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
                    self.read.beyond.set(side, past);
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
    let beyond = |price: Price| side.is_worse(price, bound);
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
            if side.is_worse(f.price, level.price) {
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
        let beyond = side.is_worse(level.price, bound);
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
        let past = side.is_worse(level.price, bound).then_some(level.price);
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
mod tests;
