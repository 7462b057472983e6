//! A real capture written to a tape and read back, streamed and mapped,
//! replays to the same book as the capture itself, and a damaged tape stops
//! cleanly after its last whole event.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::path::{Path, PathBuf};

use kestrel_binance::{BinanceDecoder, FuturesSequencer};
use kestrel_feed::capture::CaptureReader;
use kestrel_feed::{BookSync, Decoded, FrameDecoder, Instruments, SyncStatus, Trust};
use kestrel_model::{BookDelta, BookSnapshot, Price, Quote, Side, Trade};
use kestrel_registry::testing::usdm_btcusdt;
use kestrel_tape::{
    MappedTape, MessageSource, TapeError, TapeEvent, TapeEvents, TapeReader, TapeWriter,
};

const CAPTURE: &str = "../../data/sample/binance_usdm_btcusdt_20240808.raw.gz";

/// An owned copy of one event, to compare what went in with what came out.
#[derive(Debug, PartialEq)]
enum Owned {
    Delta(BookDelta),
    Snapshot(BookSnapshot),
    Trade(Trade),
    Quote(Quote),
}

fn owned(event: &TapeEvent<'_>) -> Owned {
    match event {
        TapeEvent::Delta(d) => Owned::Delta((*d).clone()),
        TapeEvent::Snapshot(s) => Owned::Snapshot((*s).clone()),
        TapeEvent::Trade(t) => Owned::Trade(*t),
        TapeEvent::Quote(q) => Owned::Quote(*q),
    }
}

/// Writes every event of the bundled capture to `path`; returns them.
fn write_capture(path: &Path) -> Vec<Owned> {
    let instrument = usdm_btcusdt();
    let mut decoder = BinanceDecoder::new(Instruments::new(instrument.clone()));
    let file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut tape = TapeWriter::new(file, &[instrument]).unwrap();
    let mut reader =
        CaptureReader::open(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(CAPTURE)).unwrap();
    let mut events = Vec::new();
    while let Some(frame) = reader.next_frame() {
        let frame = frame.unwrap();
        match decoder.decode(frame.frame, frame.local.unwrap()).unwrap() {
            Decoded::Delta { delta, .. } => {
                tape.write_delta(delta).unwrap();
                events.push(Owned::Delta(delta.clone()));
            }
            Decoded::Snapshot { snapshot, .. } => {
                tape.write_snapshot(snapshot).unwrap();
                events.push(Owned::Snapshot(snapshot.clone()));
            }
            Decoded::Trades(trades) => {
                for t in trades {
                    tape.write_trade(t).unwrap();
                    events.push(Owned::Trade(*t));
                }
            }
            Decoded::Quote(q) => {
                tape.write_quote(&q).unwrap();
                events.push(Owned::Quote(q));
            }
            Decoded::TopLevels(_) | Decoded::Other => {}
        }
    }
    tape.finish().unwrap();
    events
}

/// Replays a tape through the futures sync rules, checking every quote.
fn replay<S: MessageSource>(
    events: &mut TapeEvents<S>,
) -> (BookSync<FuturesSequencer>, Vec<Owned>) {
    let mut sync = BookSync::new(&usdm_btcusdt(), FuturesSequencer::new());
    let mut seen = Vec::new();
    while let Some(event) = events.next_event().unwrap() {
        match &event {
            TapeEvent::Delta(d) => assert!(!matches!(sync.on_delta(d, None), SyncStatus::Lost(_))),
            TapeEvent::Snapshot(s) => {
                sync.on_snapshot(s, None);
            }
            TapeEvent::Quote(q) => assert!(!matches!(sync.on_quote(q), Some(SyncStatus::Lost(_)))),
            TapeEvent::Trade(_) => {}
        }
        seen.push(owned(&event));
    }
    (sync, seen)
}

fn assert_oracle(sync: &BookSync<FuturesSequencer>) {
    let instrument = usdm_btcusdt();
    assert_eq!(sync.trust(), Trust::Trusted);
    let book = sync.trusted_book().unwrap();
    assert_eq!(book.last_update_id(), 5_123_135_475_514);
    let price = |s| Price::parse(s, &instrument.tick).unwrap();
    assert_eq!(book.best_bid().unwrap().price, price("61659.70"));
    assert_eq!(book.best_ask().unwrap().price, price("61659.80"));
    assert_eq!(book.level_count(Side::Buy), 5018);
    assert_eq!(book.level_count(Side::Sell), 4578);
}

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("kestrel-tape-{}-{name}", std::process::id()))
}

#[test]
fn capture_tape_replays_to_the_oracle_streamed_and_mapped() {
    let path = temp("capture.ktape");
    let written = write_capture(&path);

    let reader = TapeReader::open(&path).unwrap();
    assert_eq!(reader.instruments(), &[usdm_btcusdt()]);
    let instruments = reader.instruments().to_vec();
    let (sync, streamed) = replay(&mut TapeEvents::new(reader, &instruments));
    assert_oracle(&sync);
    assert_eq!(streamed.len(), written.len());
    assert!(
        streamed == written,
        "streamed events differ from those written"
    );

    let mapped = MappedTape::open(&path).unwrap();
    let (sync, from_map) = replay(&mut TapeEvents::new(
        mapped.messages(),
        mapped.instruments(),
    ));
    assert_oracle(&sync);
    assert!(from_map == written);
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn a_torn_tail_keeps_every_whole_event_before_it() {
    let path = temp("torn.ktape");
    let written = write_capture(&path);
    let full = std::fs::read(&path).unwrap();
    // Cut the file 10 bytes short, inside the last message, a bookTicker or
    // trade: everything before it must still come out.
    std::fs::write(&path, &full[..full.len() - 10]).unwrap();
    let reader = TapeReader::open(&path).unwrap();
    let instruments = reader.instruments().to_vec();
    let mut events = TapeEvents::new(reader, &instruments);
    let mut read = 0;
    let error = loop {
        match events.next_event() {
            Ok(Some(_)) => read += 1,
            Ok(None) => panic!("a torn tape must not end cleanly"),
            Err(e) => break e,
        }
    };
    assert!(matches!(error, TapeError::Truncated(_)), "{error}");
    assert_eq!(read, written.len() - 1);
    let mapped = MappedTape::open(&path).unwrap();
    let mut events = TapeEvents::new(mapped.messages(), mapped.instruments());
    let mut read = 0;
    while let Ok(Some(_)) = events.next_event() {
        read += 1;
    }
    assert_eq!(read, written.len() - 1, "the map stops at the same place");
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn damaged_messages_are_refused_not_misread() {
    let instrument = usdm_btcusdt();
    let mut delta = BookDelta {
        instrument: instrument.id,
        ids: Default::default(),
        time: Default::default(),
        updates: Vec::new(),
    };
    for i in 0..3 {
        delta.updates.push(kestrel_model::LevelUpdate {
            price: Price::from_ticks(100 + i),
            qty: kestrel_model::Qty::from_lots(1),
            side: Side::Buy,
        });
    }
    let mut tape = TapeWriter::new(Vec::new(), std::slice::from_ref(&instrument)).unwrap();
    tape.write_delta(&delta).unwrap();
    let bytes = tape.finish().unwrap();
    // The one message follows the header, whose length the preamble gives.
    let start = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
    let read = |bytes: &[u8]| {
        let reader = TapeReader::new(bytes).unwrap();
        let instruments = reader.instruments().to_vec();
        let mut events = TapeEvents::new(reader, &instruments);
        events.next_event().map(|e| e.map(|e| owned(&e)))
    };
    assert_eq!(read(&bytes).unwrap().unwrap(), Owned::Delta(delta));
    let n = u32::from_le_bytes(bytes[start..start + 4].try_into().unwrap()) as usize;
    assert_eq!(start + 4 + n + 4, bytes.len(), "one message, framed");

    // Any byte changed after the length is caught by the checksum.
    for i in start + 4..bytes.len() {
        let mut bad = bytes.clone();
        bad[i] ^= 0x10;
        assert!(
            matches!(read(&bad), Err(TapeError::BadChecksum)),
            "byte {i} changed"
        );
    }
    // A length no writer makes, or one past the end of the file.
    let mut bad = bytes.clone();
    bad[start + 3] = 0xff;
    assert!(matches!(read(&bad), Err(TapeError::BadLength(_))));
    let mut bad = bytes.clone();
    bad[start] += 1;
    assert!(matches!(read(&bad), Err(TapeError::Truncated(_))));
    // Not a tape at all.
    assert!(matches!(
        TapeReader::new(&b"{\"e\":1}"[..]),
        Err(TapeError::BadMagic)
    ));
    let mut not_tape = Vec::new();
    not_tape.write_all(b"KESTRELT\x04\x00\x00\x00").unwrap();
    not_tape.extend_from_slice(&[64, 0, 0, 0]);
    assert!(matches!(
        TapeReader::new(&not_tape[..]),
        Err(TapeError::Unsupported { version: 4, .. })
    ));
    // Version 2 (fixed 64-byte records) is no longer read.
    not_tape[8] = 2;
    not_tape[10] = 64;
    assert!(matches!(
        TapeReader::new(&not_tape[..]),
        Err(TapeError::Unsupported { version: 2, .. })
    ));
    // Version 1 (grids without contract terms) is no longer read.
    not_tape[8] = 1;
    not_tape[10] = 0;
    assert!(matches!(
        TapeReader::new(&not_tape[..]),
        Err(TapeError::Unsupported { version: 1, .. })
    ));
}
