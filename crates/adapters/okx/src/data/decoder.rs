//! OKX v5 public frames:
//! `{"arg":{"channel":…,"instId":…},"action":…,"data":[…]}`.
//!
//! Numbers arrive as strings (`"ts":"1597026383085"`) except `seqId`,
//! `prevSeqId` and `checksum`; the scanner takes either. Levels are
//! `[price, size, "0", orders]`. `pong` (plain text) and `{"event":…}`
//! answers decode as [`Decoded::Other`].

use kestrel_model::{EventTime, Instrument, Level, Quote, Side, Trade, UnixNanos, UpdateIds};

use kestrel_feed::FrameError;
use kestrel_feed::decode::{
    self, Decoded, FrameBuffers, FrameDecoder, Instruments, delta_levels, scan_delta_levels,
    scan_levels, snapshot_levels,
};
use kestrel_feed::json::Scanner;

/// The channels decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Channel {
    /// `books`, `books-l2-tbt`, `books50-l2-tbt`: snapshot then updates.
    Books,
    /// `books5`: the top five levels, each message whole.
    Books5,
    /// `bbo-tbt`: best bid and ask.
    Bbo,
    /// `trades`.
    Trades,
}

impl Channel {
    fn parse(name: &[u8]) -> Option<Self> {
        match name {
            b"books" | b"books-l2-tbt" | b"books50-l2-tbt" => Some(Self::Books),
            b"books5" => Some(Self::Books5),
            b"bbo-tbt" => Some(Self::Bbo),
            b"trades" | b"trades-all" => Some(Self::Trades),
            _ => None,
        }
    }
}

/// One element of a book message's `data`.
#[derive(Default)]
struct BookFields<'a> {
    asks: Option<&'a [u8]>,
    bids: Option<&'a [u8]>,
    ts: Option<u64>,
    checksum: Option<i64>,
    prev_seq: Option<i64>,
    seq: Option<i64>,
    /// The level lists were decoded into the output buffers while reading.
    levels_done: bool,
}

/// Where [`read_book_data`] puts level lists as it meets them: straight into
/// the output buffers, already reset for this message, when the message's
/// kind is known before its `data` (OKX sends `arg` and `action` first).
struct LevelSink<'s> {
    buffers: &'s mut FrameBuffers,
    instrument: &'s Instrument,
    /// Into the snapshot buffer (`books` snapshots, `books5`), else the delta.
    whole_book: bool,
}

/// Decodes OKX public frames for a set of instruments.
#[derive(Debug)]
pub struct OkxDecoder {
    instruments: Instruments,
    buffers: FrameBuffers,
}

impl OkxDecoder {
    /// A decoder for `instruments` (native symbols such as `BTC-USDT`).
    pub fn new(instruments: Instruments) -> Self {
        let buffers = FrameBuffers::new(instruments.first().id);
        Self {
            instruments,
            buffers,
        }
    }
}

/// Decodes a book-channel message (`books*`, `bbo-tbt`).
fn book<'b>(
    buffers: &'b mut FrameBuffers,
    channel: Channel,
    snapshot: bool,
    f: &BookFields<'_>,
    instrument: &Instrument,
    local: UnixNanos,
) -> Result<Decoded<'b>, FrameError> {
    let exchange = UnixNanos::from_millis(f.ts.ok_or(FrameError::MissingField("ts"))?);
    let time = EventTime { exchange, local };
    let lists = || -> Result<(&[u8], &[u8]), FrameError> {
        Ok((
            f.bids.ok_or(FrameError::MissingField("bids"))?,
            f.asks.ok_or(FrameError::MissingField("asks"))?,
        ))
    };
    let seq = f.seq.unwrap_or(0);
    let seq = u64::try_from(seq).map_err(|_| FrameError::BadValue("seqId"))?;
    // 0 means OKX did not compute one (the case since June 2026).
    let checksum = f
        .checksum
        .filter(|&c| c != 0)
        .map(|c| i32::try_from(c).map_err(|_| FrameError::BadValue("checksum")))
        .transpose()?;
    match channel {
        Channel::Bbo => {
            let best = |raw| -> Result<Level, FrameError> {
                let mut top = None;
                decode::levels(raw, instrument, |l| {
                    top.get_or_insert(l);
                })?;
                top.ok_or(FrameError::MissingField("bbo level"))
            };
            let (bids, asks) = lists()?;
            Ok(Decoded::Quote(Quote {
                instrument: instrument.id,
                update_id: seq,
                bid: best(bids)?,
                ask: best(asks)?,
                time,
            }))
        }
        Channel::Books5 | Channel::Books if snapshot || channel == Channel::Books5 => {
            if !f.levels_done {
                let (bids, asks) = lists()?;
                let out = buffers.reset_snapshot(instrument.id);
                snapshot_levels(bids, instrument, &mut out.bids)?;
                snapshot_levels(asks, instrument, &mut out.asks)?;
            }
            let out = &mut buffers.snapshot;
            out.last_update_id = seq;
            out.time = time;
            let out = &buffers.snapshot;
            Ok(if channel == Channel::Books5 {
                Decoded::TopLevels(out)
            } else {
                Decoded::Snapshot {
                    snapshot: out,
                    checksum,
                }
            })
        }
        _ => {
            let prev = f.prev_seq.ok_or(FrameError::MissingField("prevSeqId"))?;
            let prev = u64::try_from(prev).map_err(|_| FrameError::BadValue("prevSeqId"))?;
            if !f.levels_done {
                let (bids, asks) = lists()?;
                let delta = buffers.reset_delta(instrument.id);
                delta_levels(bids, Side::Buy, instrument, &mut delta.updates)?;
                delta_levels(asks, Side::Sell, instrument, &mut delta.updates)?;
            }
            let delta = &mut buffers.delta;
            delta.ids = UpdateIds {
                first: seq,
                last: seq,
                prev: Some(prev),
            };
            delta.time = time;
            Ok(Decoded::Delta {
                delta: &buffers.delta,
                checksum,
            })
        }
    }
}

/// Decodes a `trades` message, one [`Trade`] per element of `data`.
fn trades<'b>(
    buffers: &'b mut FrameBuffers,
    data: &[u8],
    instrument: &Instrument,
    local: UnixNanos,
) -> Result<Decoded<'b>, FrameError> {
    buffers.trades.clear();
    let mut s = Scanner::new(data);
    s.begin_array()?;
    let mut first = true;
    while s.next_element(&mut first)? {
        s.begin_object()?;
        let (mut id, mut px, mut sz, mut side, mut ts) = (None, None, None, None, None);
        let mut first_key = true;
        while let Some(key) = s.next_key(&mut first_key)? {
            match key {
                b"tradeId" => id = Some(s.u64()?),
                b"px" => px = Some(s.string()?),
                b"sz" => sz = Some(s.string()?),
                b"side" => side = Some(s.string()?),
                b"ts" => ts = Some(s.u64()?),
                _ => {
                    s.skip_value()?;
                }
            }
        }
        let aggressor = match side.ok_or(FrameError::MissingField("side"))? {
            b"buy" => Side::Buy,
            b"sell" => Side::Sell,
            _ => return Err(FrameError::BadValue("side")),
        };
        buffers.trades.push(Trade {
            instrument: instrument.id,
            trade_id: id.ok_or(FrameError::MissingField("tradeId"))?,
            price: decode::price(px.ok_or(FrameError::MissingField("px"))?, instrument)?,
            qty: decode::qty(sz.ok_or(FrameError::MissingField("sz"))?, instrument)?,
            aggressor: Some(aggressor),
            time: EventTime {
                exchange: UnixNanos::from_millis(ts.ok_or(FrameError::MissingField("ts"))?),
                local,
            },
        });
    }
    Ok(Decoded::Trades(&buffers.trades))
}

impl FrameDecoder for OkxDecoder {
    fn decode(&mut self, frame: &[u8], local: UnixNanos) -> Result<Decoded<'_>, FrameError> {
        if frame.trim_ascii() == b"pong" {
            return Ok(Decoded::Other);
        }
        let mut s = Scanner::new(frame);
        s.begin_object()?;
        let (mut channel, mut inst_id, mut action, mut data, mut event) =
            (None, None, None, None, false);
        let mut fields = None;
        let mut first = true;
        while let Some(key) = s.next_key(&mut first)? {
            match key {
                b"arg" => {
                    s.begin_object()?;
                    let mut first_arg = true;
                    while let Some(key) = s.next_key(&mut first_arg)? {
                        match key {
                            b"channel" => channel = Some(s.string()?),
                            b"instId" => inst_id = Some(s.string()?),
                            _ => {
                                s.skip_value()?;
                            }
                        }
                    }
                }
                b"action" => action = Some(s.string()?),
                b"data" => match self.sink_for(channel, inst_id, action) {
                    Some(sink) => fields = Some(read_book_data(&mut s, Some(sink))?),
                    None => data = Some(s.skip_value()?),
                },
                b"event" => {
                    event = true;
                    s.skip_value()?;
                }
                _ => {
                    s.skip_value()?;
                }
            }
        }
        s.finish()?;
        if event {
            return Ok(Decoded::Other);
        }
        let Some(channel) = channel.and_then(Channel::parse) else {
            return Ok(Decoded::Other);
        };
        let inst_id = inst_id.ok_or(FrameError::MissingField("instId"))?;
        let Some(instrument) = self.instruments.find(inst_id) else {
            return Ok(Decoded::Other);
        };
        if let (Channel::Trades, Some(data)) = (channel, data) {
            return trades(&mut self.buffers, data, instrument, local);
        }
        let fields = match (fields, data) {
            (Some(fields), _) => fields,
            (None, Some(data)) => read_book_data(&mut Scanner::new(data), None)?,
            (None, None) => return Err(FrameError::MissingField("data")),
        };
        match channel {
            Channel::Trades => Err(FrameError::MissingField("data")),
            _ => {
                let snapshot = match action {
                    Some(b"snapshot") => true,
                    Some(b"update") => false,
                    None if channel != Channel::Books => false,
                    _ => return Err(FrameError::BadValue("action")),
                };
                book(
                    &mut self.buffers,
                    channel,
                    snapshot,
                    &fields,
                    instrument,
                    local,
                )
            }
        }
    }
}

/// Reads a book message's `data` array, whose first (only) element holds
/// the book; level lists go to `sink` when there is one.
fn read_book_data<'a>(
    s: &mut Scanner<'a>,
    mut sink: Option<LevelSink<'_>>,
) -> Result<BookFields<'a>, FrameError> {
    s.begin_array()?;
    let mut first = true;
    if !s.next_element(&mut first)? {
        return Err(FrameError::MissingField("data[0]"));
    }
    let mut f = BookFields {
        levels_done: sink.is_some(),
        ..BookFields::default()
    };
    s.begin_object()?;
    let mut first_key = true;
    while let Some(key) = s.next_key(&mut first_key)? {
        match (key, sink.as_mut()) {
            (b"asks" | b"bids", Some(sink)) => {
                let bid = key == b"bids";
                let LevelSink {
                    buffers,
                    instrument,
                    whole_book,
                } = sink;
                if *whole_book {
                    let out = &mut buffers.snapshot;
                    let side = if bid { &mut out.bids } else { &mut out.asks };
                    scan_levels(s, instrument, side, |level| level)?;
                } else {
                    let side = if bid { Side::Buy } else { Side::Sell };
                    scan_delta_levels(s, side, instrument, &mut buffers.delta.updates)?;
                }
                // Mark the list as present for the missing-field checks.
                if bid {
                    f.bids = Some(&[]);
                } else {
                    f.asks = Some(&[]);
                }
            }
            (b"asks", None) => f.asks = Some(s.skip_value()?),
            (b"bids", None) => f.bids = Some(s.skip_value()?),
            (b"ts", _) => f.ts = Some(s.u64()?),
            (b"checksum", _) => f.checksum = Some(s.i64()?),
            (b"prevSeqId", _) => f.prev_seq = Some(s.i64()?),
            (b"seqId", _) => f.seq = Some(s.i64()?),
            _ => {
                s.skip_value()?;
            }
        }
    }
    if f.levels_done && (f.bids.is_none() || f.asks.is_none()) {
        return Err(FrameError::MissingField("bids/asks"));
    }
    while s.next_element(&mut first)? {
        s.skip_value()?;
    }
    Ok(f)
}

impl OkxDecoder {
    /// A sink for a book message's levels, if what the message is (a
    /// `books` snapshot or update, or `books5`) is known before its `data`.
    fn sink_for<'s>(
        &'s mut self,
        channel: Option<&[u8]>,
        inst_id: Option<&[u8]>,
        action: Option<&[u8]>,
    ) -> Option<LevelSink<'s>> {
        let whole_book = match (channel.and_then(Channel::parse)?, action) {
            (Channel::Books5, _) | (Channel::Books, Some(b"snapshot")) => true,
            (Channel::Books, Some(b"update")) => false,
            _ => return None,
        };
        let instrument = self.instruments.find(inst_id?)?;
        if whole_book {
            self.buffers.reset_snapshot(instrument.id);
        } else {
            self.buffers.reset_delta(instrument.id);
        }
        Some(LevelSink {
            buffers: &mut self.buffers,
            instrument,
            whole_book,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kestrel_model::{Price, Qty};
    use kestrel_registry::testing::okx_btc_usdt;

    fn decoder() -> OkxDecoder {
        OkxDecoder::new(Instruments::new(okx_btc_usdt()))
    }

    #[test]
    fn books_snapshot_and_update() {
        let mut d = decoder();
        let snap = br#"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"snapshot","data":[{"asks":[["3366.8","9","0","3"],["3368","8","0","1"]],"bids":[["3366.1","7","0","2"],["3366","6","0","1"]],"ts":"1597026383085","checksum":-1881014294,"prevSeqId":-1,"seqId":123456}]}"#;
        let Decoded::Snapshot { snapshot, checksum } = d.decode(snap, UnixNanos::new(1)).unwrap()
        else {
            panic!()
        };
        assert_eq!(checksum, Some(-1881014294));
        assert_eq!(snapshot.last_update_id, 123456);
        assert_eq!(snapshot.bids[0].price, Price::from_ticks(33661));
        assert_eq!(snapshot.asks[1].qty, Qty::from_lots(800_000_000));
        assert_eq!(
            snapshot.time.exchange,
            UnixNanos::from_millis(1597026383085)
        );

        let update = br#"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{"asks":[["3366.8","0","0","0"]],"bids":[],"ts":"1597026383185","checksum":0,"prevSeqId":123456,"seqId":123457}]}"#;
        let Decoded::Delta { delta, checksum } = d.decode(update, UnixNanos::new(2)).unwrap()
        else {
            panic!()
        };
        assert_eq!(checksum, None, "0 means not computed");
        assert_eq!(delta.ids.prev, Some(123456));
        assert_eq!(delta.updates[0].qty, Qty::ZERO);
        assert_eq!(delta.updates[0].side, Side::Sell);
    }

    #[test]
    fn data_before_its_arg_decodes_the_same() {
        // In OKX's order the levels go straight to the buffers; with `data`
        // first they are kept raw and read after. Both give the same book.
        let in_order = br#"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"snapshot","data":[{"asks":[["3366.8","9","0","3"]],"bids":[["3366.1","7","0","2"],["3366","6","0","1"]],"ts":"1597026383085","checksum":0,"prevSeqId":-1,"seqId":5}]}"#;
        let data_first = br#"{"data":[{"asks":[["3366.8","9","0","3"]],"bids":[["3366.1","7","0","2"],["3366","6","0","1"]],"ts":"1597026383085","checksum":0,"prevSeqId":-1,"seqId":5}],"action":"snapshot","arg":{"channel":"books","instId":"BTC-USDT"}}"#;
        let mut d = decoder();
        let Ok(Decoded::Snapshot { snapshot, .. }) = d.decode(in_order, UnixNanos::new(1)) else {
            panic!()
        };
        let expected = snapshot.clone();
        let Ok(Decoded::Snapshot { snapshot, .. }) = d.decode(data_first, UnixNanos::new(1)) else {
            panic!()
        };
        assert_eq!(*snapshot, expected);
        assert_eq!(snapshot.bids.len(), 2);
        let missing = br#"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{"asks":[],"ts":"1","prevSeqId":4,"seqId":5}]}"#;
        assert!(d.decode(missing, UnixNanos::new(1)).is_err());
    }

    #[test]
    fn books5_bbo_and_trades() {
        let mut d = decoder();
        let b5 = br#"{"arg":{"channel":"books5","instId":"BTC-USDT"},"data":[{"asks":[["8446","95","0","3"]],"bids":[["8445.9","10","0","1"]],"instId":"BTC-USDT","ts":"1597026383085","seqId":123}]}"#;
        assert!(matches!(
            d.decode(b5, UnixNanos::new(1)),
            Ok(Decoded::TopLevels(s)) if s.asks.len() == 1 && s.last_update_id == 123
        ));
        let bbo = br#"{"arg":{"channel":"bbo-tbt","instId":"BTC-USDT"},"data":[{"asks":[["8446","95","0","3"]],"bids":[["8445.9","10","0","1"]],"ts":"1597026383085","seqId":124}]}"#;
        let Decoded::Quote(q) = d.decode(bbo, UnixNanos::new(1)).unwrap() else {
            panic!()
        };
        assert_eq!((q.update_id, q.bid.price), (124, Price::from_ticks(84459)));
        let trades = br#"{"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT","tradeId":"130639474","px":"42219.9","sz":"0.12060306","side":"buy","ts":"1630048897897","count":"3"},{"instId":"BTC-USDT","tradeId":"130639475","px":"42219.8","sz":"0.1","side":"sell","ts":"1630048897898"}]}"#;
        let Decoded::Trades(t) = d.decode(trades, UnixNanos::new(1)).unwrap() else {
            panic!()
        };
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].trade_id, 130639474);
        assert_eq!(t[0].qty, Qty::from_lots(12_060_306));
        assert_eq!(t[1].aggressor, Some(Side::Sell));
    }

    #[test]
    fn control_frames_and_bad_frames() {
        let mut d = decoder();
        for frame in [
            &b"pong"[..],
            br#"{"event":"subscribe","arg":{"channel":"books","instId":"BTC-USDT"},"connId":"a4d3ae55"}"#,
            br#"{"event":"error","code":"60012","msg":"Invalid request","connId":"a4d3ae55"}"#,
            br#"{"arg":{"channel":"books","instId":"ETH-USDT"},"action":"update","data":[]}"#,
            br#"{"arg":{"channel":"tickers","instId":"BTC-USDT"},"data":[{}]}"#,
        ] {
            assert!(matches!(d.decode(frame, UnixNanos::new(1)), Ok(Decoded::Other)));
        }
        for frame in [
            &b"png"[..],
            br#"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[]}"#,
            br#"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{"asks":[],"bids":[],"ts":"1","seqId":2}]}"#,
            br#"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"sideways","data":[{}]}"#,
            br#"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"snapshot","data":[{"asks":[["1.05","1"]],"bids":[],"ts":"1","seqId":2}]}"#,
            br#"{"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"tradeId":"1","px":"1","sz":"1","side":"up","ts":"1"}]}"#,
        ] {
            assert!(
                d.decode(frame, UnixNanos::new(1)).is_err(),
                "{}",
                String::from_utf8_lossy(frame)
            );
        }
    }
}
