//! The near read on hand-made frames: both list directions, bounds,
//! reading on, and what it declines.
use super::*;
use kestrel_model::Qty;
use kestrel_registry::testing::usdm_btcusdt;

/// A frame's read in progress: what [`near_depth`] starts and
/// [`more_depth`] goes on with.
struct Reading {
    instruments: Instruments,
    delta: BookDelta,
    read: NearRead,
}

fn bounds(bid: Option<i64>, ask: Option<i64>) -> TouchBounds {
    TouchBounds {
        bid: bid.map(Price::from_ticks),
        ask: ask.map(Price::from_ticks),
    }
}

impl Reading {
    /// The first read of `frame` to the bounds (in ticks); where the
    /// levels left lie.
    fn start(frame: &str, bid: Option<i64>, ask: Option<i64>) -> Option<(Self, TouchBounds)> {
        let inst = usdm_btcusdt();
        let mut reading = Self {
            delta: BookDelta {
                instrument: inst.id,
                ids: UpdateIds::default(),
                time: EventTime::default(),
                updates: Vec::new(),
            },
            instruments: Instruments::new(inst),
            read: NearRead::default(),
        };
        let beyond = near_depth(
            frame.as_bytes(),
            UnixNanos::new(9),
            bounds(bid, ask),
            &reading.instruments,
            &mut reading.delta,
            &mut reading.read,
        )?;
        Some((reading, beyond))
    }

    /// Reads on to the bounds; `delta` holds the levels read now.
    fn more(&mut self, frame: &str, bid: Option<i64>, ask: Option<i64>) -> Option<TouchBounds> {
        more_depth(
            frame.as_bytes(),
            bounds(bid, ask),
            &self.instruments,
            &mut self.delta,
            &mut self.read,
        )
    }
}

fn near(frame: &str, bid: Option<i64>, ask: Option<i64>) -> Option<(BookDelta, TouchBounds)> {
    Reading::start(frame, bid, ask).map(|(reading, beyond)| (reading.delta, beyond))
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
    let f = frame(
        &["99.0", "99.5", "100.1", "100.3", "100.5"],
        &["101.0", "101.2", "101.4", "103.0"],
    );
    let (mut r, beyond) = Reading::start(&f, Some(1004), Some(1010)).unwrap();
    assert_eq!(prices(&r.delta, Side::Buy), [1005, 1003]);
    assert_eq!(prices(&r.delta, Side::Sell), [1010, 1012]);
    assert_eq!(beyond.bid, Some(Price::from_ticks(1003)));
    // Only the bids need more; then all of the asks.
    let beyond = r.more(&f, Some(1000), None).unwrap();
    assert_eq!(prices(&r.delta, Side::Buy), [1001, 995]);
    assert!(prices(&r.delta, Side::Sell).is_empty());
    assert_eq!(beyond.bid, Some(Price::from_ticks(995)));
    assert_eq!(beyond.ask, Some(Price::from_ticks(1012)));
    let beyond = r.more(&f, Some(0), Some(i64::MAX)).unwrap();
    assert_eq!(prices(&r.delta, Side::Buy), [990]);
    assert_eq!(prices(&r.delta, Side::Sell), [1014, 1030]);
    assert_eq!(beyond, TouchBounds::default());
    // Nothing is left.
    let beyond = r.more(&f, Some(0), Some(i64::MAX)).unwrap();
    assert!(r.delta.updates.is_empty());
    assert_eq!(beyond, TouchBounds::default());
}

#[test]
fn reads_on_after_a_first_level_already_beyond() {
    let f = frame(&["100.5", "100.3", "100.1"], &["101.0", "101.2"]);
    let (mut r, _) = Reading::start(&f, Some(1010), None).unwrap();
    assert_eq!(prices(&r.delta, Side::Buy), [1005]);
    r.more(&f, Some(0), None).unwrap();
    assert_eq!(prices(&r.delta, Side::Buy), [1003, 1001]);
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
    let spaced = r#"{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[ ["1.0","1"]],"a":[]}"#;
    assert!(near(spaced, Some(1), Some(1)).is_none());
    // A cut frame, and ids missing.
    let f = frame(&["100.5", "100.3"], &["101.0"]);
    assert!(near(&f[..f.len() - 20], Some(1000), Some(1020)).is_none());
    let no_ids = f.replace(r#""U":5,"#, "");
    assert!(near(&no_ids, Some(1000), Some(1020)).is_none());
}
