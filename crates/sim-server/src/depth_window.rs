//! Binance's `<symbol>@depth` stream (1000 ms): the 100 ms diffs of each
//! second merged into one, with `U` from the second's first diff, `u` from
//! its last, and each level at its last size. Chained this way, a client
//! syncing on the 1 s stream follows the same rules as on the 100 ms one.

use std::collections::BTreeMap;

use kestrel_model::{BookDelta, Instrument, Price, Qty, Side, UnixNanos};

/// The diffs of the current second, merged.
#[derive(Debug, Default)]
pub(crate) struct DepthWindow {
    /// The second (venue time) being merged; `None` before the first diff.
    second: Option<u64>,
    first_id: u64,
    last_id: u64,
    event: UnixNanos,
    bids: BTreeMap<Price, Qty>,
    asks: BTreeMap<Price, Qty>,
}

/// A closed second, ready to render.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ClosedWindow {
    pub(crate) first_id: u64,
    pub(crate) last_id: u64,
    pub(crate) event: UnixNanos,
    pub(crate) payload: Vec<u8>,
}

impl DepthWindow {
    /// Adds a diff; if it starts a new second, returns the previous one.
    pub(crate) fn add(
        &mut self,
        delta: &BookDelta,
        instrument: &Instrument,
    ) -> Option<ClosedWindow> {
        let second = delta.time.exchange.as_nanos() / 1_000_000_000;
        let closed = match self.second {
            Some(s) if s != second => Some(self.close(instrument)),
            _ => None,
        };
        if self.second != Some(second) {
            self.second = Some(second);
            self.first_id = delta.ids.first;
        }
        self.last_id = delta.ids.last;
        self.event = delta.time.exchange;
        for u in &delta.updates {
            let side = match u.side {
                Side::Buy => &mut self.bids,
                Side::Sell => &mut self.asks,
            };
            side.insert(u.price, u.qty);
        }
        closed
    }

    fn close(&mut self, i: &Instrument) -> ClosedWindow {
        let levels = |m: &BTreeMap<Price, Qty>, best_first_desc: bool| {
            let text = |(p, q): (&Price, &Qty)| {
                format!("[\"{}\",\"{}\"]", p.display(&i.tick), q.display(&i.lot))
            };
            let items: Vec<String> = if best_first_desc {
                m.iter().rev().map(text).collect()
            } else {
                m.iter().map(text).collect()
            };
            items.join(",")
        };
        let payload = format!(
            "{{\"e\":\"depthUpdate\",\"E\":{},\"s\":\"{}\",\"U\":{},\"u\":{},\"b\":[{}],\"a\":[{}]}}",
            self.event.as_nanos() / 1_000_000,
            i.native_symbol.as_str(),
            self.first_id,
            self.last_id,
            levels(&self.bids, true),
            levels(&self.asks, false),
        );
        self.bids.clear();
        self.asks.clear();
        ClosedWindow {
            first_id: self.first_id,
            last_id: self.last_id,
            event: self.event,
            payload: payload.into_bytes(),
        }
    }
}

#[cfg(test)]
mod tests {
    use kestrel_model::{EventTime, LevelUpdate, UpdateIds};
    use kestrel_registry::testing::spot_btcusdt;

    use super::*;

    fn diff(ms: u64, first: u64, last: u64, updates: &[(Side, i64, u64)]) -> BookDelta {
        BookDelta {
            instrument: spot_btcusdt().id,
            ids: UpdateIds {
                first,
                last,
                prev: None,
            },
            time: EventTime {
                exchange: UnixNanos::from_millis(ms),
                local: UnixNanos::from_millis(ms),
            },
            updates: updates
                .iter()
                .map(|&(side, ticks, lots)| LevelUpdate {
                    side,
                    price: Price::from_ticks(ticks),
                    qty: Qty::from_lots(lots),
                })
                .collect(),
        }
    }

    #[test]
    fn a_second_of_diffs_merges_into_one_chained_update() {
        let i = spot_btcusdt();
        let mut w = DepthWindow::default();
        assert!(
            w.add(
                &diff(5_000, 10, 12, &[(Side::Buy, 100, 5), (Side::Sell, 101, 7)]),
                &i
            )
            .is_none()
        );
        assert!(
            w.add(
                &diff(5_900, 13, 15, &[(Side::Buy, 100, 0), (Side::Buy, 99, 3)]),
                &i
            )
            .is_none()
        );
        let closed = w
            .add(&diff(6_000, 16, 16, &[(Side::Sell, 102, 1)]), &i)
            .unwrap();
        assert_eq!((closed.first_id, closed.last_id), (10, 15));
        assert_eq!(
            String::from_utf8(closed.payload).unwrap(),
            r#"{"e":"depthUpdate","E":5900,"s":"BTCUSDT","U":10,"u":15,"b":[["1.00","0.00000000"],["0.99","0.00000003"]],"a":[["1.01","0.00000007"]]}"#
        );
        // The next second starts at the diff that closed this one.
        let next = w.add(&diff(7_000, 17, 18, &[]), &i).unwrap();
        assert_eq!((next.first_id, next.last_id), (16, 16));
    }
}
