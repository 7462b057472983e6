//! Bybit v5 public order-book frames:
//! `{"topic":"orderbook.500.XRPUSDT","type":"snapshot"|"delta","ts":…,
//! "cts":…,"data":{"s":…,"b":[…],"a":[…],"u":…,"seq":…}}`.
//!
//! Pongs and subscription answers (`{"success":true,…}`) decode as
//! [`Decoded::Other`].

use kestrel_model::{EventTime, Side, UnixNanos, UpdateIds};

use kestrel_feed::FrameError;
use kestrel_feed::decode::{
    Decoded, FrameBuffers, FrameDecoder, Instruments, delta_levels, snapshot_levels,
};
use kestrel_feed::json::Scanner;

/// The `data` object of an order-book message.
#[derive(Default)]
struct BookFields<'a> {
    symbol: Option<&'a [u8]>,
    bids: Option<&'a [u8]>,
    asks: Option<&'a [u8]>,
    update_id: Option<u64>,
}

/// Decodes Bybit order-book frames for a set of instruments.
#[derive(Debug)]
pub struct BybitDecoder {
    instruments: Instruments,
    buffers: FrameBuffers,
}

impl BybitDecoder {
    /// A decoder for `instruments` (native symbols such as `XRPUSDT`).
    pub fn new(instruments: Instruments) -> Self {
        let buffers = FrameBuffers::new(instruments.first().id);
        Self {
            instruments,
            buffers,
        }
    }
}

impl FrameDecoder for BybitDecoder {
    fn decode(&mut self, frame: &[u8], local: UnixNanos) -> Result<Decoded<'_>, FrameError> {
        let mut s = Scanner::new(frame);
        s.begin_object()?;
        let (mut topic, mut kind, mut ts, mut cts) = (None, None, None, None);
        let mut data = BookFields::default();
        let mut first = true;
        while let Some(key) = s.next_key(&mut first)? {
            match key {
                b"topic" => topic = Some(s.string()?),
                b"type" => kind = Some(s.string()?),
                b"ts" => ts = Some(s.u64()?),
                b"cts" => cts = Some(s.u64()?),
                b"data" if s.peek() == Some(b'{') => {
                    s.begin_object()?;
                    let mut first_key = true;
                    while let Some(key) = s.next_key(&mut first_key)? {
                        match key {
                            b"s" => data.symbol = Some(s.string()?),
                            b"b" => data.bids = Some(s.skip_value()?),
                            b"a" => data.asks = Some(s.skip_value()?),
                            b"u" => data.update_id = Some(s.u64()?),
                            _ => {
                                s.skip_value()?;
                            }
                        }
                    }
                }
                _ => {
                    s.skip_value()?;
                }
            }
        }
        s.finish()?;
        if !topic.is_some_and(|t| t.starts_with(b"orderbook.")) {
            return Ok(Decoded::Other);
        }
        let symbol = data.symbol.ok_or(FrameError::MissingField("s"))?;
        let Some(instrument) = self.instruments.find(symbol) else {
            return Ok(Decoded::Other);
        };
        let update_id = data.update_id.ok_or(FrameError::MissingField("u"))?;
        let bids = data.bids.ok_or(FrameError::MissingField("b"))?;
        let asks = data.asks.ok_or(FrameError::MissingField("a"))?;
        let time = EventTime {
            // The matching engine's time where given, else the gateway's.
            exchange: UnixNanos::from_millis(cts.or(ts).ok_or(FrameError::MissingField("ts"))?),
            local,
        };
        match kind {
            Some(b"snapshot") => {
                let out = self.buffers.reset_snapshot(instrument.id);
                out.last_update_id = update_id;
                out.time = time;
                snapshot_levels(bids, instrument, &mut out.bids)?;
                snapshot_levels(asks, instrument, &mut out.asks)?;
                Ok(Decoded::Snapshot {
                    snapshot: &self.buffers.snapshot,
                    checksum: None,
                })
            }
            Some(b"delta") => {
                let delta = self.buffers.reset_delta(instrument.id);
                delta.ids = UpdateIds {
                    first: update_id,
                    last: update_id,
                    prev: None,
                };
                delta.time = time;
                delta_levels(bids, Side::Buy, instrument, &mut delta.updates)?;
                delta_levels(asks, Side::Sell, instrument, &mut delta.updates)?;
                Ok(Decoded::Delta {
                    delta: &self.buffers.delta,
                    checksum: None,
                })
            }
            _ => Err(FrameError::BadValue("type")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kestrel_model::{Price, Qty};
    use kestrel_registry::testing::bybit_linear_xrpusdt;

    #[test]
    fn snapshot_delta_and_control_frames() {
        let mut d = BybitDecoder::new(Instruments::new(bybit_linear_xrpusdt()));
        let snap = br#"{"topic":"orderbook.500.XRPUSDT","type":"snapshot","ts":1733011200691,"data":{"s":"XRPUSDT","b":[["1.9531","6198"]],"a":[["1.9532","100"]],"u":20254869,"seq":1},"cts":1733011200690}"#;
        let Decoded::Snapshot { snapshot, .. } = d.decode(snap, UnixNanos::new(1)).unwrap() else {
            panic!()
        };
        assert_eq!(snapshot.last_update_id, 20254869);
        assert_eq!(snapshot.bids[0].price, Price::from_ticks(19531));
        assert_eq!(
            snapshot.time.exchange,
            UnixNanos::from_millis(1733011200690)
        );
        let delta = br#"{"topic":"orderbook.500.XRPUSDT","type":"delta","ts":1733011200693,"data":{"s":"XRPUSDT","b":[["1.9531","0"]],"a":[],"u":20254870,"seq":2},"cts":1733011200691}"#;
        let Decoded::Delta { delta, .. } = d.decode(delta, UnixNanos::new(1)).unwrap() else {
            panic!()
        };
        assert_eq!(delta.ids.first, 20254870);
        assert_eq!(delta.updates[0].qty, Qty::ZERO);
        for frame in [
            &br#"{"success":true,"ret_msg":"pong","conn_id":"x","op":"ping"}"#[..],
            br#"{"topic":"publicTrade.XRPUSDT","type":"snapshot","ts":1,"data":[]}"#,
        ] {
            assert!(matches!(
                d.decode(frame, UnixNanos::new(1)),
                Ok(Decoded::Other)
            ));
        }
        let odd = br#"{"topic":"orderbook.500.XRPUSDT","type":"partial","ts":1,"data":{"s":"XRPUSDT","b":[],"a":[],"u":1}}"#;
        assert_eq!(
            d.decode(odd, UnixNanos::new(1)).unwrap_err(),
            FrameError::BadValue("type")
        );
    }
}
