//! The kline in progress of every Binance interval, for the
//! `@kline_<interval>` streams: each trade updates all of them (O(1)), and
//! each second of the market clock pushes them, a kline that ended pushed
//! once more as closed (`"x": true`) before the next one opens, carried at
//! the last close as Binance does.

use kestrel_model::Trade;

use crate::klines::{INTERVALS, Kline, bucket};

/// A kline in progress and the trade ids in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LiveKline {
    /// The kline.
    pub kline: Kline,
    /// First and last trade ids, if any trade.
    pub ids: Option<(u64, u64)>,
}

/// One push of one interval's kline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KlinePush {
    /// Its interval, an index into [`INTERVALS`].
    pub interval: usize,
    /// The kline.
    pub live: LiveKline,
    /// It has ended.
    pub closed: bool,
}

/// Every interval's kline in progress; none before the first trade.
#[derive(Debug, Default)]
pub struct KlineStreams {
    current: [Option<LiveKline>; INTERVALS.len()],
    /// Klines a trade's later bucket ended before a push said so.
    ended: Vec<KlinePush>,
}

impl KlineStreams {
    /// Takes a recorded trade.
    pub fn on_trade(&mut self, trade: &Trade) {
        let one = Kline::of_trade(trade);
        for (n, (_, len_s)) in INTERVALS.iter().enumerate() {
            let open_s = bucket(one.open_s, *len_s);
            let slot = &mut self.current[n];
            match slot {
                Some(live) if open_s <= live.kline.open_s => {
                    live.kline.absorb(&one);
                    live.ids = Some(live.ids.map_or((trade.trade_id, trade.trade_id), |(f, _)| {
                        (f, trade.trade_id)
                    }));
                }
                _ => {
                    if let Some(live) = slot.take() {
                        self.ended.push(KlinePush {
                            interval: n,
                            live,
                            closed: true,
                        });
                    }
                    let mut kline = Kline::empty(open_s, *len_s, one.open);
                    kline.absorb(&one);
                    *slot = Some(LiveKline {
                        kline,
                        ids: Some((trade.trade_id, trade.trade_id)),
                    });
                }
            }
        }
    }

    /// The pushes for the market clock's second `now_s`: each interval's
    /// kline, preceded by its last push as closed if it ended by then.
    pub fn tick(&mut self, now_s: u64) -> Vec<KlinePush> {
        let mut out = std::mem::take(&mut self.ended);
        for (n, (_, len_s)) in INTERVALS.iter().enumerate() {
            let Some(live) = self.current[n].as_mut() else {
                continue;
            };
            if live.kline.open_s.saturating_add(*len_s) <= now_s {
                out.push(KlinePush {
                    interval: n,
                    live: *live,
                    closed: true,
                });
                *live = LiveKline {
                    kline: Kline::empty(bucket(now_s, *len_s), *len_s, live.kline.close),
                    ids: None,
                };
            }
            out.push(KlinePush {
                interval: n,
                live: *live,
                closed: false,
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kestrel_model::{EventTime, Price, Qty, Side, UnixNanos};

    fn trade(id: u64, s: u64, price: i64) -> Trade {
        let at = UnixNanos::new(s * 1_000_000_000);
        Trade {
            instrument: kestrel_registry::testing::spot_btcusdt().id,
            trade_id: id,
            price: Price::from_ticks(price),
            qty: Qty::from_lots(1),
            aggressor: Some(Side::Buy),
            time: EventTime {
                exchange: at,
                local: at,
            },
        }
    }

    #[test]
    fn a_minute_closes_once_and_the_next_opens_at_its_close() {
        let mut k = KlineStreams::default();
        assert!(k.tick(10).is_empty(), "nothing before the first trade");
        k.on_trade(&trade(1, 61, 100));
        k.on_trade(&trade(2, 62, 105));
        /// A push of the minute: closed, open time, close, trade ids.
        type Seen = (bool, u64, i64, Option<(u64, u64)>);
        let minute = |pushes: &[KlinePush]| -> Vec<Seen> {
            pushes
                .iter()
                .filter(|p| INTERVALS[p.interval].0 == "1m")
                .map(|p| {
                    (
                        p.closed,
                        p.live.kline.open_s,
                        p.live.kline.close,
                        p.live.ids,
                    )
                })
                .collect()
        };
        assert_eq!(minute(&k.tick(62)), [(false, 60, 105, Some((1, 2)))]);
        assert_eq!(
            minute(&k.tick(120)),
            [(true, 60, 105, Some((1, 2))), (false, 120, 105, None)]
        );
        // A trade in a later minute with no push between still closes it.
        k.on_trade(&trade(3, 200, 90));
        assert_eq!(
            minute(&k.tick(200)),
            [(true, 120, 105, None), (false, 180, 90, Some((3, 3)))]
        );
    }
}
