//! Binance spot and futures market-data frames, decoded in one pass.
//!
//! Handles `depthUpdate`, the REST depth snapshot, `trade`, `aggTrade` and
//! `bookTicker`, bare or inside the combined-stream envelope
//! `{"stream":…,"data":…}`. Spot and futures differ only in optional fields
//! (`T`, `pu`, `e` on spot `bookTicker`), which the decoder takes as they come.

use kestrel_model::{
    EventTime, Instrument, Level, Quote, Side, TouchBounds, Trade, UnixNanos, UpdateIds,
};

use super::near;
use kestrel_feed::FrameError;
use kestrel_feed::decode::{
    self, Decoded, FrameBuffers, FrameDecoder, Instruments, NearDelta, delta_levels,
    scan_delta_levels, snapshot_levels,
};
use kestrel_feed::json::{Scanner, parse_u64};

/// What a Binance payload is, whose and when, and a diff's ids: read the
/// same way by the whole decode and by the near read (`near`).
#[derive(Default)]
pub(super) struct Header<'a> {
    pub event_type: Option<&'a [u8]>,
    pub event_ms: Option<u64>,
    pub transaction_ms: Option<u64>,
    pub symbol: Option<&'a [u8]>,
    pub first_id: Option<u64>,
    pub last_id: Option<u64>,
    pub prev_id: Option<u64>,
}

impl<'a> Header<'a> {
    /// Reads the value of `key` if it is a header field: whether it was.
    #[inline]
    pub fn read(&mut self, key: &[u8], s: &mut Scanner<'a>) -> Result<bool, FrameError> {
        match key {
            b"e" => set_once(&mut self.event_type, s.string()?, "e")?,
            b"E" => set_once(&mut self.event_ms, s.u64()?, "E")?,
            b"T" => set_once(&mut self.transaction_ms, s.u64()?, "T")?,
            b"s" | b"symbol" => set_once(&mut self.symbol, s.string()?, "s")?,
            b"U" => set_once(&mut self.first_id, s.u64()?, "U")?,
            b"u" => set_once(&mut self.last_id, s.u64()?, "u")?,
            b"pu" => set_once(&mut self.prev_id, s.u64()?, "pu")?,
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The matching engine's time where Binance gives it (`T`, futures),
    /// else the event's (`E`), in ms.
    pub fn exchange_ms(&self) -> Option<u64> {
        self.transaction_ms.or(self.event_ms)
    }
}

/// Stores a field's value, refusing a second one (`DuplicateField`).
#[inline]
fn set_once<T>(slot: &mut Option<T>, value: T, name: &'static str) -> Result<(), FrameError> {
    match slot.replace(value) {
        Some(_) => Err(FrameError::DuplicateField(name)),
        None => Ok(()),
    }
}

/// The fields of any Binance market-data payload, as borrowed slices.
#[derive(Default)]
struct Fields<'a> {
    header: Header<'a>,
    /// `b`: bid levels (depth) or best bid price (bookTicker).
    b: Option<&'a [u8]>,
    /// `a`: ask levels (depth), best ask price (bookTicker) or aggregate trade id.
    a: Option<&'a [u8]>,
    bid_qty: Option<&'a [u8]>,
    ask_qty: Option<&'a [u8]>,
    trade_id: Option<u64>,
    price: Option<&'a [u8]>,
    qty: Option<&'a [u8]>,
    buyer_is_maker: Option<bool>,
    trade_kind: Option<&'a [u8]>,
    last_update_id: Option<u64>,
    bids: Option<&'a [u8]>,
    asks: Option<&'a [u8]>,
    /// Whether a `b` or an `a` was met, decoded in the scan or kept raw.
    b_seen: bool,
    a_seen: bool,
    /// Depth levels already decoded into the delta buffer during the scan.
    levels_done: bool,
}

/// Decodes Binance market-data frames for a set of instruments.
#[derive(Debug)]
pub struct BinanceDecoder {
    instruments: Instruments,
    buffers: FrameBuffers,
    /// How far the last [`FrameDecoder::decode_near`] read.
    near: near::NearRead,
}

impl BinanceDecoder {
    /// A decoder for `instruments`.
    pub fn new(instruments: Instruments) -> Self {
        let buffers = FrameBuffers::new(instruments.first().id);
        Self {
            instruments,
            buffers,
            near: near::NearRead::default(),
        }
    }

    /// The instruments served.
    pub fn instruments(&self) -> &Instruments {
        &self.instruments
    }

    /// Decodes a REST depth snapshot (`GET /api/v3/depth`, `/fapi/v1/depth`)
    /// for `instrument`, which the reply itself does not name on spot and USD-M.
    pub fn decode_snapshot(
        &mut self,
        body: &[u8],
        instrument: &Instrument,
        local: UnixNanos,
    ) -> Result<Decoded<'_>, FrameError> {
        let mut fields = Fields::default();
        collect(&mut Scanner::new(body), &mut fields, None, None, true)?;
        self.snapshot(&fields, instrument, local)
    }

    /// The near levels read into the delta buffer, and where the rest lie.
    fn near_delta(&self, beyond: TouchBounds) -> NearDelta<'_> {
        NearDelta {
            delta: &self.buffers.delta,
            beyond,
        }
    }

    fn snapshot(
        &mut self,
        fields: &Fields<'_>,
        instrument: &Instrument,
        local: UnixNanos,
    ) -> Result<Decoded<'_>, FrameError> {
        let last_update_id = fields
            .last_update_id
            .ok_or(FrameError::MissingField("lastUpdateId"))?;
        let snapshot = self.buffers.reset_snapshot(instrument.id);
        snapshot.last_update_id = last_update_id;
        snapshot.time = EventTime {
            // Spot snapshots carry no time: fall back to ours.
            exchange: fields
                .header
                .exchange_ms()
                .map_or(local, UnixNanos::from_millis),
            local,
        };
        let bids = fields.bids.ok_or(FrameError::MissingField("bids"))?;
        let asks = fields.asks.ok_or(FrameError::MissingField("asks"))?;
        snapshot_levels(bids, instrument, &mut snapshot.bids)?;
        snapshot_levels(asks, instrument, &mut snapshot.asks)?;
        Ok(Decoded::Snapshot {
            snapshot: &self.buffers.snapshot,
            checksum: None,
        })
    }

    fn depth(&mut self, fields: &Fields<'_>, local: UnixNanos) -> Result<Decoded<'_>, FrameError> {
        let Some(instrument) = fields.header.symbol.and_then(|s| self.instruments.find(s)) else {
            return Ok(Decoded::Other);
        };
        let delta = &mut self.buffers.delta;
        if !fields.levels_done {
            delta.instrument = instrument.id;
            delta.updates.clear();
            for (side, raw) in [(Side::Buy, fields.b), (Side::Sell, fields.a)] {
                let raw = raw.ok_or(FrameError::MissingField("b/a"))?;
                delta_levels(raw, side, instrument, &mut delta.updates)?;
            }
        }
        delta.ids = UpdateIds {
            first: fields
                .header
                .first_id
                .ok_or(FrameError::MissingField("U"))?,
            last: fields.header.last_id.ok_or(FrameError::MissingField("u"))?,
            prev: fields.header.prev_id,
        };
        delta.time = EventTime {
            exchange: UnixNanos::from_millis(
                fields
                    .header
                    .exchange_ms()
                    .ok_or(FrameError::MissingField("E"))?,
            ),
            local,
        };
        Ok(Decoded::Delta {
            delta: &self.buffers.delta,
            checksum: None,
        })
    }

    fn trade(
        &mut self,
        fields: &Fields<'_>,
        aggregate: bool,
        local: UnixNanos,
    ) -> Result<Decoded<'_>, FrameError> {
        let Some(instrument) = fields.header.symbol.and_then(|s| self.instruments.find(s)) else {
            return Ok(Decoded::Other);
        };
        // Insurance-fund and ADL prints are off-book transfers, not trades
        // anyone could have taken part in (Tardis drops them too).
        if fields.trade_kind.is_some_and(|x| x != b"MARKET") {
            return Ok(Decoded::Other);
        }
        let trade_id = if aggregate {
            fields
                .a
                .and_then(parse_u64)
                .ok_or(FrameError::MissingField("a"))?
        } else {
            fields.trade_id.ok_or(FrameError::MissingField("t"))?
        };
        let buyer_is_maker = fields.buyer_is_maker.ok_or(FrameError::MissingField("m"))?;
        let trade = Trade {
            instrument: instrument.id,
            trade_id,
            price: decode::price(
                fields.price.ok_or(FrameError::MissingField("p"))?,
                instrument,
            )?,
            qty: decode::qty(fields.qty.ok_or(FrameError::MissingField("q"))?, instrument)?,
            aggressor: Some(if buyer_is_maker {
                Side::Sell
            } else {
                Side::Buy
            }),
            time: EventTime {
                exchange: UnixNanos::from_millis(
                    fields
                        .header
                        .exchange_ms()
                        .ok_or(FrameError::MissingField("T"))?,
                ),
                local,
            },
        };
        self.buffers.trades.clear();
        self.buffers.trades.push(trade);
        Ok(Decoded::Trades(&self.buffers.trades))
    }

    fn book_ticker(
        &self,
        fields: &Fields<'_>,
        local: UnixNanos,
    ) -> Result<Decoded<'_>, FrameError> {
        let Some(instrument) = fields.header.symbol.and_then(|s| self.instruments.find(s)) else {
            return Ok(Decoded::Other);
        };
        let level = |px: Option<&[u8]>, sz: Option<&[u8]>, field| -> Result<Level, FrameError> {
            let px = px
                .and_then(unquote)
                .ok_or(FrameError::MissingField(field))?;
            let sz = sz.ok_or(FrameError::MissingField(field))?;
            Ok(Level {
                price: decode::price(px, instrument)?,
                qty: decode::qty(sz, instrument)?,
            })
        };
        Ok(Decoded::Quote(Quote {
            instrument: instrument.id,
            update_id: fields.header.last_id.ok_or(FrameError::MissingField("u"))?,
            bid: level(fields.b, fields.bid_qty, "b")?,
            ask: level(fields.a, fields.ask_qty, "a")?,
            time: EventTime {
                // Spot bookTicker carries no time at all.
                exchange: fields
                    .header
                    .exchange_ms()
                    .map_or(local, UnixNanos::from_millis),
                local,
            },
        }))
    }
}

impl FrameDecoder for BinanceDecoder {
    fn decode(&mut self, frame: &[u8], local: UnixNanos) -> Result<Decoded<'_>, FrameError> {
        let mut fields = Fields::default();
        let mut scanner = Scanner::new(frame);
        collect(
            &mut scanner,
            &mut fields,
            Some(&self.instruments),
            Some(&mut self.buffers),
            true,
        )?;
        scanner.finish()?;
        match fields.header.event_type {
            Some(b"depthUpdate") => self.depth(&fields, local),
            Some(b"trade") => self.trade(&fields, false, local),
            Some(b"aggTrade") => self.trade(&fields, true, local),
            Some(b"bookTicker") => self.book_ticker(&fields, local),
            Some(_) => Ok(Decoded::Other),
            None if fields.last_update_id.is_some() => {
                let instrument = match fields.header.symbol {
                    Some(symbol) => match self.instruments.find(symbol) {
                        Some(instrument) => instrument.clone(),
                        None => return Ok(Decoded::Other),
                    },
                    None => self.instruments.first().clone(),
                };
                self.snapshot(&fields, &instrument, local)
            }
            // Spot `bookTicker` has no event type: it is the payload with `B`.
            None if fields.bid_qty.is_some() => self.book_ticker(&fields, local),
            // Subscription answers (`{"result":null,"id":1}`) and the like.
            None => Ok(Decoded::Other),
        }
    }

    fn decode_near(
        &mut self,
        frame: &[u8],
        local: UnixNanos,
        bounds: TouchBounds,
    ) -> Option<NearDelta<'_>> {
        let (delta, read) = (&mut self.buffers.delta, &mut self.near);
        let beyond = near::near_depth(frame, local, bounds, &self.instruments, delta, read)?;
        Some(self.near_delta(beyond))
    }

    fn decode_more(&mut self, frame: &[u8], bounds: TouchBounds) -> Option<NearDelta<'_>> {
        let (delta, read) = (&mut self.buffers.delta, &mut self.near);
        let beyond = near::more_depth(frame, bounds, &self.instruments, delta, read)?;
        Some(self.near_delta(beyond))
    }
}

/// A JSON string's contents from its raw bytes, quotes included.
fn unquote(raw: &[u8]) -> Option<&[u8]> {
    raw.strip_prefix(b"\"")?.strip_suffix(b"\"")
}

/// Reads one object's fields into `fields`, descending into the envelope's
/// `data` (only at the top level: nesting is not followed further).
///
/// When the payload is a `depthUpdate` whose symbol is already known by the
/// time its `b` and `a` lists arrive (Binance always sends them in that
/// order), the levels are decoded straight into the delta buffer, in the
/// same pass; otherwise their raw bytes are kept for later.
fn collect<'a>(
    s: &mut Scanner<'a>,
    fields: &mut Fields<'a>,
    instruments: Option<&Instruments>,
    mut buffers: Option<&mut FrameBuffers>,
    top_level: bool,
) -> Result<(), FrameError> {
    s.begin_object()?;
    let mut first = true;
    let mut pending_direct: Option<(&Instrument, bool, bool)> = None;
    while let Some(key) = s.next_key(&mut first)? {
        if fields.header.read(key, s)? {
            continue;
        }
        match key {
            b"data" if top_level && s.peek() == Some(b'{') => {
                collect(s, fields, instruments, buffers.as_deref_mut(), false)?;
            }
            b"b" | b"a" => {
                let is_bid = key == b"b";
                let seen = if is_bid {
                    &mut fields.b_seen
                } else {
                    &mut fields.a_seen
                };
                if std::mem::replace(seen, true) {
                    return Err(FrameError::DuplicateField(if is_bid { "b" } else { "a" }));
                }
                let direct = match (
                    &mut pending_direct,
                    fields.header.event_type,
                    fields.header.symbol,
                ) {
                    (Some(state), _, _) => Some(state),
                    (None, Some(b"depthUpdate"), Some(symbol)) => {
                        match (instruments.and_then(|t| t.find(symbol)), &mut buffers) {
                            (Some(instrument), Some(buffers)) => {
                                buffers.reset_delta(instrument.id);
                                pending_direct = Some((instrument, false, false));
                                pending_direct.as_mut()
                            }
                            _ => None,
                        }
                    }
                    _ => None,
                };
                match (direct, buffers.as_deref_mut()) {
                    (Some((instrument, bids_done, asks_done)), Some(buffers)) => {
                        let side = if is_bid { Side::Buy } else { Side::Sell };
                        scan_delta_levels(s, side, instrument, &mut buffers.delta.updates)?;
                        if is_bid {
                            *bids_done = true;
                        } else {
                            *asks_done = true;
                        }
                    }
                    _ => {
                        let raw = s.skip_value()?;
                        if is_bid {
                            fields.b = Some(raw);
                        } else {
                            fields.a = Some(raw);
                        }
                    }
                }
            }
            b"B" => set_once(&mut fields.bid_qty, s.string()?, "B")?,
            b"A" => set_once(&mut fields.ask_qty, s.string()?, "A")?,
            b"t" => set_once(&mut fields.trade_id, s.u64()?, "t")?,
            b"p" => set_once(&mut fields.price, s.string()?, "p")?,
            b"q" => set_once(&mut fields.qty, s.string()?, "q")?,
            b"m" => set_once(&mut fields.buyer_is_maker, s.bool()?, "m")?,
            b"X" => set_once(&mut fields.trade_kind, s.string()?, "X")?,
            b"lastUpdateId" => set_once(&mut fields.last_update_id, s.u64()?, "lastUpdateId")?,
            b"bids" => set_once(&mut fields.bids, s.skip_value()?, "bids")?,
            b"asks" => set_once(&mut fields.asks, s.skip_value()?, "asks")?,
            _ => {
                s.skip_value()?;
            }
        }
    }
    if let Some((_, true, true)) = pending_direct {
        fields.levels_done = true;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use kestrel_model::{Price, Qty};
    use kestrel_registry::testing::{spot_btcusdt, usdm_btcusdt};

    fn decoder() -> BinanceDecoder {
        BinanceDecoder::new(Instruments::new(usdm_btcusdt()))
    }

    const DEPTH: &[u8] = br#"{"stream":"btcusdt@depth@0ms","data":{"e":"depthUpdate","E":1723161256299,"T":1723161256298,"s":"BTCUSDT","U":5,"u":7,"pu":4,"b":[["61496.50","0.010"],["61510.90","0.000"]],"a":[["61800.30","2.510"]]}}"#;

    #[test]
    fn depth_update_in_the_combined_envelope() {
        let mut d = decoder();
        let Decoded::Delta { delta, checksum } = d.decode(DEPTH, UnixNanos::new(9)).unwrap() else {
            panic!()
        };
        assert_eq!(checksum, None);
        assert_eq!(
            delta.ids,
            UpdateIds {
                first: 5,
                last: 7,
                prev: Some(4)
            }
        );
        assert_eq!(delta.updates.len(), 3);
        assert_eq!(delta.updates[0].price, Price::from_ticks(614_965));
        assert_eq!(delta.updates[0].qty, Qty::from_lots(10));
        assert_eq!(delta.updates[1].qty, Qty::ZERO);
        assert_eq!(delta.updates[2].side, Side::Sell);
        assert_eq!(delta.time.exchange, UnixNanos::from_millis(1723161256298));
        assert_eq!(delta.time.local, UnixNanos::new(9));
    }

    #[test]
    fn field_order_does_not_matter() {
        let reordered = br#"{"data":{"a":[["61800.30","2.510"]],"b":[["61496.50","0.010"],["61510.90","0.000"]],"pu":4,"u":7,"U":5,"s":"BTCUSDT","T":1723161256298,"E":1723161256299,"e":"depthUpdate"},"stream":"btcusdt@depth@0ms"}"#;
        let mut d = decoder();
        let expected = match d.decode(DEPTH, UnixNanos::new(9)).unwrap() {
            Decoded::Delta { delta, .. } => delta.clone(),
            other => panic!("{other:?}"),
        };
        let Decoded::Delta { delta, .. } = d.decode(reordered, UnixNanos::new(9)).unwrap() else {
            panic!()
        };
        let mut got = delta.clone();
        got.updates.sort_by_key(|u| (u.side as u8, u.price));
        let mut want = expected;
        want.updates.sort_by_key(|u| (u.side as u8, u.price));
        assert_eq!(got, want);
    }

    #[test]
    fn trades_aggtrades_and_book_tickers() {
        let mut d = decoder();
        let trade = br#"{"stream":"btcusdt@trade","data":{"e":"trade","E":1723161256322,"T":1723161256321,"s":"BTCUSDT","t":5266583935,"p":"61800.30","q":"0.006","X":"MARKET","m":false}}"#;
        let Decoded::Trades([t]) = d.decode(trade, UnixNanos::new(1)).unwrap() else {
            panic!()
        };
        assert_eq!(t.trade_id, 5266583935);
        assert_eq!(t.aggressor, Some(Side::Buy));
        assert_eq!(t.qty, Qty::from_lots(6));
        assert_eq!(t.time.exchange, UnixNanos::from_millis(1723161256321));

        let agg = br#"{"e":"aggTrade","E":123456789,"s":"BTCUSDT","a":5933014,"p":"0.10","q":"100.000","f":100,"l":105,"T":123456785,"m":true}"#;
        let Decoded::Trades([t]) = d.decode(agg, UnixNanos::new(1)).unwrap() else {
            panic!()
        };
        assert_eq!((t.trade_id, t.aggressor), (5933014, Some(Side::Sell)));

        let insurance = br#"{"e":"trade","E":1,"T":1,"s":"BTCUSDT","t":1,"p":"1.0","q":"1.000","X":"INSURANCE_FUND","m":false}"#;
        assert!(matches!(
            d.decode(insurance, UnixNanos::new(1)),
            Ok(Decoded::Other)
        ));

        let ticker = br#"{"stream":"btcusdt@bookTicker","data":{"e":"bookTicker","u":5123107849547,"s":"BTCUSDT","b":"61800.20","B":"2.909","a":"61800.30","A":"1.000","T":1723161256294,"E":1723161256299}}"#;
        let Decoded::Quote(q) = d.decode(ticker, UnixNanos::new(1)).unwrap() else {
            panic!()
        };
        assert_eq!(q.update_id, 5123107849547);
        assert_eq!(q.bid.price, Price::from_ticks(618_002));
        assert_eq!(q.ask.qty, Qty::from_lots(1000));
    }

    #[test]
    fn spot_frames_without_timestamps_or_event_type() {
        let mut d = BinanceDecoder::new(Instruments::new(spot_btcusdt()));
        let ticker = br#"{"stream":"btcusdt@bookTicker","data":{"u":50093239208,"s":"BTCUSDT","b":"61800.00000000","B":"1.00000000","a":"61800.01000000","A":"0.50000000"}}"#;
        let Decoded::Quote(q) = d.decode(ticker, UnixNanos::new(77)).unwrap() else {
            panic!()
        };
        assert_eq!(q.time.exchange, UnixNanos::new(77));
        let snapshot = br#"{"lastUpdateId":50093239218,"bids":[["61800.00000000","1.00000000"]],"asks":[["61800.01000000","0.50000000"]]}"#;
        let Decoded::Snapshot { snapshot, .. } = d.decode(snapshot, UnixNanos::new(5)).unwrap()
        else {
            panic!()
        };
        assert_eq!(snapshot.last_update_id, 50093239218);
        assert_eq!((snapshot.bids.len(), snapshot.asks.len()), (1, 1));
    }

    #[test]
    fn other_symbols_and_control_frames_are_not_errors() {
        let mut d = decoder();
        let eth =
            br#"{"e":"depthUpdate","E":1,"s":"ETHUSDT","U":1,"u":2,"b":[["1.00","1.000"]],"a":[]}"#;
        assert!(matches!(
            d.decode(eth, UnixNanos::new(1)),
            Ok(Decoded::Other)
        ));
        assert!(matches!(
            d.decode(br#"{"result":null,"id":1}"#, UnixNanos::new(1)),
            Ok(Decoded::Other)
        ));
    }

    #[test]
    fn bad_frames_are_typed_errors() {
        let mut d = decoder();
        for frame in [
            &b""[..],
            b"garbage",
            &DEPTH[..DEPTH.len() - 3],
            br#"{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["61659.75","1"]],"a":[]}"#,
            br#"{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["1.0","-1"]],"a":[]}"#,
            br#"{"e":"depthUpdate","E":1,"s":"BTCUSDT","u":2,"b":[],"a":[]}"#,
            br#"{"e":"trade","s":"BTCUSDT","t":1,"p":"1.0","q":"1.000","m":false}"#,
            br#"{"lastUpdateId":"x"}"#,
            br#"{"e":"depthUpdate"} trailing"#,
        ] {
            assert!(
                d.decode(frame, UnixNanos::new(1)).is_err(),
                "{}",
                String::from_utf8_lossy(frame)
            );
        }
    }
    /// A repeated key is refused whichever copy would have counted: a
    /// second list after the first (what the near read stops at), a
    /// header field again after the lists, a list kept raw then repeated.
    #[test]
    fn repeated_fields_are_refused() {
        let mut d = decoder();
        for (frame, field) in [
            (
                &br#"{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[],"a":[["1.0","1.000"]],"a":[["1.1","1.000"]]}"#[..],
                "a",
            ),
            (
                br#"{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[],"a":[],"u":3}"#,
                "u",
            ),
            (
                br#"{"b":[],"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[],"a":[]}"#,
                "b",
            ),
            (
                br#"{"stream":"x","data":{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[],"a":[]},"data":{"a":[]}}"#,
                "a",
            ),
        ] {
            assert!(
                matches!(d.decode(frame, UnixNanos::new(1)), Err(FrameError::DuplicateField(f)) if f == field),
                "{}",
                String::from_utf8_lossy(frame)
            );
        }
    }
}
