//! Reader for recorded Binance websocket captures.
//!
//! One message per line, `<local_receive_ts_ns> <json>`, optionally gzipped
//! (the hftbacktest collector's format). The JSON is a combined-stream
//! envelope `{"stream": …, "data": …}`, except for the REST depth snapshot
//! the collector fetched after subscribing, which is a bare object.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;
use kestrel_model::{
    BookDelta, BookSnapshot, EventTime, Instrument, Level, LevelUpdate, Price, Qty, Side,
    UnixNanos, UpdateIds,
};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::FeedError;

/// One decoded line of a capture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CaptureRecord {
    /// A `depthUpdate` event for the reader's instrument.
    Depth(BookDelta),
    /// The REST depth snapshot.
    Snapshot(BookSnapshot),
    /// Another stream (`@trade`, `@bookTicker`) or another symbol; not decoded here.
    Other,
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    stream: &'a str,
    #[serde(borrow)]
    data: &'a RawValue,
}

/// A futures or spot `depthUpdate`; prices stay borrowed strings until parsed
/// onto the instrument's grid.
#[derive(Deserialize)]
struct DepthUpdate<'a> {
    #[serde(rename = "E")]
    event_ms: u64,
    #[serde(rename = "T")]
    transaction_ms: Option<u64>,
    #[serde(rename = "s", borrow)]
    symbol: &'a str,
    #[serde(rename = "U")]
    first: u64,
    #[serde(rename = "u")]
    last: u64,
    #[serde(rename = "pu")]
    prev: Option<u64>,
    #[serde(rename = "b", borrow)]
    bids: Vec<[&'a str; 2]>,
    #[serde(rename = "a", borrow)]
    asks: Vec<[&'a str; 2]>,
}

#[derive(Deserialize)]
struct DepthSnapshot<'a> {
    #[serde(rename = "lastUpdateId")]
    last_update_id: u64,
    #[serde(rename = "E")]
    event_ms: Option<u64>,
    #[serde(rename = "T")]
    transaction_ms: Option<u64>,
    #[serde(borrow)]
    bids: Vec<[&'a str; 2]>,
    #[serde(borrow)]
    asks: Vec<[&'a str; 2]>,
}

/// Streams [`CaptureRecord`]s from a capture, one line at a time, so memory
/// stays bounded whatever the file size.
pub struct CaptureReader<R> {
    input: R,
    line: Vec<u8>,
    line_no: u64,
    instrument: Instrument,
}

impl CaptureReader<Box<dyn BufRead>> {
    /// Opens a capture file, gunzipping it if it starts with the gzip magic.
    pub fn open(path: &Path, instrument: Instrument) -> Result<Self, FeedError> {
        let mut file = BufReader::with_capacity(1 << 16, File::open(path)?);
        let gzipped = file.fill_buf()?.starts_with(&[0x1f, 0x8b]);
        let input: Box<dyn BufRead> = if gzipped {
            Box::new(BufReader::with_capacity(1 << 16, MultiGzDecoder::new(file)))
        } else {
            Box::new(file)
        };
        Ok(Self::new(input, instrument))
    }
}

impl<R: BufRead> CaptureReader<R> {
    /// Reads a capture from any buffered input.
    pub fn new(input: R, instrument: Instrument) -> Self {
        Self {
            input,
            line: Vec::with_capacity(1 << 12),
            line_no: 0,
            instrument,
        }
    }

    /// The instrument whose depth events are decoded.
    pub fn instrument(&self) -> &Instrument {
        &self.instrument
    }

    fn malformed(&self, reason: impl Into<String>) -> FeedError {
        FeedError::Malformed {
            line: self.line_no,
            reason: reason.into(),
        }
    }

    fn decode_line(&self) -> Result<Option<CaptureRecord>, FeedError> {
        let mut line = self.line.as_slice();
        while let [rest @ .., b'\n' | b'\r'] = line {
            line = rest;
        }
        if line.is_empty() {
            return Ok(None);
        }
        let space = line
            .iter()
            .position(|&b| b == b' ')
            .ok_or_else(|| self.malformed("no space after the timestamp"))?;
        let local = std::str::from_utf8(&line[..space])
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
            .map(UnixNanos::new)
            .ok_or_else(|| self.malformed("timestamp is not an integer"))?;
        let json = std::str::from_utf8(&line[space + 1..])
            .map_err(|_| self.malformed("message is not UTF-8"))?;
        let record = if json.starts_with(r#"{"stream""#) {
            let envelope: Envelope<'_> =
                serde_json::from_str(json).map_err(|e| self.malformed(e.to_string()))?;
            if envelope.stream.contains("@depth") {
                let update: DepthUpdate<'_> = serde_json::from_str(envelope.data.get())
                    .map_err(|e| self.malformed(e.to_string()))?;
                self.depth_record(&update, local)?
            } else {
                CaptureRecord::Other
            }
        } else {
            let snapshot: DepthSnapshot<'_> =
                serde_json::from_str(json).map_err(|e| self.malformed(e.to_string()))?;
            CaptureRecord::Snapshot(self.snapshot(&snapshot, local)?)
        };
        Ok(Some(record))
    }

    fn level(&self, [price, qty]: [&str; 2]) -> Result<Level, FeedError> {
        let bad = |text: &str, error| FeedError::Decimal {
            line: self.line_no,
            text: text.to_owned(),
            error,
        };
        Ok(Level {
            price: Price::parse(price, &self.instrument.tick).map_err(|e| bad(price, e))?,
            qty: Qty::parse(qty, &self.instrument.lot).map_err(|e| bad(qty, e))?,
        })
    }

    fn depth_record(
        &self,
        update: &DepthUpdate<'_>,
        local: UnixNanos,
    ) -> Result<CaptureRecord, FeedError> {
        if !update
            .symbol
            .eq_ignore_ascii_case(self.instrument.native_symbol.as_str())
        {
            return Ok(CaptureRecord::Other);
        }
        let mut updates = Vec::with_capacity(update.bids.len() + update.asks.len());
        for (side, levels) in [(Side::Buy, &update.bids), (Side::Sell, &update.asks)] {
            for &pair in levels {
                let Level { price, qty } = self.level(pair)?;
                updates.push(LevelUpdate { price, qty, side });
            }
        }
        Ok(CaptureRecord::Depth(BookDelta {
            instrument: self.instrument.id,
            ids: UpdateIds {
                first: update.first,
                last: update.last,
                prev: update.prev,
            },
            time: EventTime {
                // The matching engine's time where Binance gives it (futures).
                exchange: UnixNanos::from_millis(update.transaction_ms.unwrap_or(update.event_ms)),
                local,
            },
            updates,
        }))
    }

    fn snapshot(
        &self,
        snapshot: &DepthSnapshot<'_>,
        local: UnixNanos,
    ) -> Result<BookSnapshot, FeedError> {
        let levels = |side: &[[&str; 2]]| -> Result<Vec<Level>, FeedError> {
            side.iter().map(|&pair| self.level(pair)).collect()
        };
        let exchange_ms = snapshot.transaction_ms.or(snapshot.event_ms);
        Ok(BookSnapshot {
            instrument: self.instrument.id,
            last_update_id: snapshot.last_update_id,
            time: EventTime {
                // Spot snapshots carry no time: fall back to ours.
                exchange: exchange_ms.map_or(local, UnixNanos::from_millis),
                local,
            },
            bids: levels(&snapshot.bids)?,
            asks: levels(&snapshot.asks)?,
        })
    }
}

impl<R: BufRead> Iterator for CaptureReader<R> {
    type Item = Result<CaptureRecord, FeedError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            self.line.clear();
            match self
                .input
                .by_ref()
                .take(MAX_LINE_BYTES)
                .read_until(b'\n', &mut self.line)
            {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e) => return Some(Err(e.into())),
            }
            self.line_no += 1;
            if self.line.len() as u64 == MAX_LINE_BYTES && self.line.last() != Some(&b'\n') {
                let error = self.malformed("line longer than the 16 MiB limit");
                // Skip the rest of the oversized line.
                if let Err(e) = self.input.skip_until(b'\n') {
                    return Some(Err(e.into()));
                }
                return Some(Err(error));
            }
            match self.decode_line() {
                Ok(Some(record)) => return Some(Ok(record)),
                Ok(None) => continue,
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

/// Longest line accepted; a REST snapshot of 1,000 levels a side is ~60 KB.
const MAX_LINE_BYTES: u64 = 16 << 20;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binance::instruments::usdm_btcusdt;

    fn read(text: &str) -> Vec<Result<CaptureRecord, FeedError>> {
        CaptureReader::new(text.as_bytes(), usdm_btcusdt()).collect()
    }

    #[test]
    fn decodes_depth_snapshot_and_skips_other_streams() {
        let text = concat!(
            r#"1723161255030314667 {"stream":"btcusdt@depth@0ms","data":{"e":"depthUpdate","E":1723161256299,"T":1723161256298,"s":"BTCUSDT","U":5,"u":7,"pu":4,"b":[["61496.50","0.010"],["61510.90","0.000"]],"a":[["61800.30","2.510"]]}}"#,
            "\n",
            r#"1723161255088176367 {"stream":"btcusdt@trade","data":{"e":"trade","E":1723161256322,"T":1723161256322,"s":"BTCUSDT","t":5266583935,"p":"61800.30","q":"0.006","X":"MARKET","m":false}}"#,
            "\r\n\n",
            r#"1723161255319702566 {"lastUpdateId":6,"E":1723161256501,"T":1723161256493,"bids":[["61800.20","2.909"]],"asks":[["61800.30","1.000"]]}"#,
        );
        let records: Vec<_> = read(text).into_iter().map(Result::unwrap).collect();
        assert_eq!(records.len(), 3);
        let CaptureRecord::Depth(delta) = &records[0] else {
            panic!("{:?}", records[0])
        };
        assert_eq!(
            delta.ids,
            UpdateIds {
                first: 5,
                last: 7,
                prev: Some(4)
            }
        );
        assert_eq!(delta.updates.len(), 3);
        assert_eq!(delta.updates[1].qty, Qty::ZERO);
        assert_eq!(delta.updates[2].side, Side::Sell);
        assert_eq!(delta.time.exchange, UnixNanos::from_millis(1723161256298));
        assert_eq!(delta.time.local, UnixNanos::new(1723161255030314667));
        assert_eq!(records[1], CaptureRecord::Other);
        let CaptureRecord::Snapshot(snap) = &records[2] else {
            panic!("{:?}", records[2])
        };
        assert_eq!(snap.last_update_id, 6);
        assert_eq!(snap.bids[0].price.ticks(), 618_002);
    }

    #[test]
    fn bad_lines_are_typed_errors_and_reading_goes_on() {
        let text = concat!(
            "not-a-number {}\n",
            "12345\n",
            "1 {\"stream\":\"x@depth\",\"data\":{\"E\":1}}\n",
            "1 {\"stream\":\"btcusdt@depth\",\"data\":{\"E\":1,\"s\":\"BTCUSDT\",\"U\":1,\"u\":2,\"b\":[[\"61659.75\",\"1\"]],\"a\":[]}}\n",
            "1 {\"stream\":\"btcusdt@depth\",\"data\":{\"E\":1,\"s\":\"BTCUSDT\",\"U\":1,\"u\":2,\"b\":[[\"1\",\"-1\"]],\"a\":[]}}\n",
            "1 {\"lastUpdateId\":\"x\"}\n",
            "1 \u{0}\u{1}garbage\n",
            "1 {\"lastUpdateId\":1,\"bids\":[],\"asks\":[]}\n",
        );
        let records = read(text);
        assert_eq!(records.len(), 8);
        for (i, r) in records[..7].iter().enumerate() {
            let e = r.as_ref().unwrap_err();
            assert!(e.is_recoverable(), "line {}: {e}", i + 1);
        }
        assert!(matches!(
            records[3],
            Err(FeedError::Decimal {
                error: kestrel_model::DecimalError::OffGrid,
                ..
            })
        ));
        assert!(matches!(records[7], Ok(CaptureRecord::Snapshot(_))));
    }
}
