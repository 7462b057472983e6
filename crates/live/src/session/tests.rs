//! The session on hand-made Binance spot frames: a diff that crosses the
//! book loses it and asks for a snapshot, once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use kestrel_binance::{BinanceDecoder, SpotSequencer};
use kestrel_book::OrderBook;
use kestrel_feed::Instruments;
use kestrel_registry::testing::spot_btcusdt;
use kestrel_signals::SignalValues;
use kestrel_strategy::Context;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};
use tokio_tungstenite::tungstenite::Bytes;

use super::*;
use kestrel_feed::FrameSync;

/// A strategy that never trades.
pub(crate) struct Idle;

impl Strategy for Idle {
    fn on_book(
        &mut self,
        _: &mut dyn Context,
        _: kestrel_model::InstrumentIndex,
        _: &OrderBook,
        _: &SignalValues,
    ) {
    }
}

/// A Binance spot session that never trades.
pub(crate) type IdleSession = LiveSession<Idle, BinanceDecoder, SpotSequencer>;

/// An [`IdleSession`] on BTCUSDT without a journal, and the ends of its
/// gateway and resync channels.
pub(crate) fn idle_session() -> (
    IdleSession,
    UnboundedReceiver<GatewayCommand>,
    UnboundedReceiver<()>,
) {
    let instrument = spot_btcusdt();
    let header = SessionHeader {
        instruments: vec![instrument.clone()],
        session_ms: 1,
        config: String::new(),
    };
    let kernel = Kernel::new(&instrument, Idle, &kestrel_engine::testing::kernel_config()).unwrap();
    let frames = FrameSync::new(
        BinanceDecoder::new(Instruments::new(instrument.clone())),
        SpotSequencer::new(),
    );
    let (gateway, orders) = unbounded_channel();
    let (resync, resyncs) = unbounded_channel();
    let market = SessionMarket::new(instrument.id, frames, gateway, resync);
    let session = LiveSession::new(kernel, vec![market], &header, None).unwrap();
    (session, orders, resyncs)
}

fn frame(text: &str) -> LiveInput {
    LiveInput::Frame {
        ix: InstrumentIndex::FIRST,
        local: UnixNanos::new(1),
        bytes: Bytes::from(text.to_owned()),
    }
}

fn diff(first: u64, last: u64, bids: &str, asks: &str) -> LiveInput {
    frame(&format!(
        r#"{{"stream":"btcusdt@depth@100ms","data":{{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":{first},"u":{last},"b":[{bids}],"a":[{asks}]}}}}"#
    ))
}

#[test]
fn a_diff_that_crosses_the_book_resyncs_it() {
    let (mut session, _orders, mut resyncs) = idle_session();
    let now = UnixNanos::new(2);
    session.on_input(
        frame(r#"{"lastUpdateId":10,"bids":[["100.00","1.0"],["99.00","1.0"]],"asks":[["101.00","1.0"]]}"#),
        now,
    );
    session.on_input(diff(11, 11, r#"["99.50","2.0"]"#, ""), now);
    assert!(!session.kernel().book().is_crossed());
    assert_eq!(session.stats().gaps, 0);

    // The bid at 100.00 should have gone; the ask falls through it.
    session.on_input(diff(12, 12, "", r#"["99.80","1.0"]"#), now);
    assert_eq!(session.stats().books_lost, 1);
    assert_eq!(session.stats().gaps, 1);
    assert!(resyncs.try_recv().is_ok(), "a snapshot was asked for");

    // Until a snapshot comes the diffs are held, and nothing more is asked.
    session.on_input(diff(13, 13, "", r#"["99.70","1.0"]"#), now);
    assert!(resyncs.try_recv().is_err());
    session.on_input(
        frame(r#"{"lastUpdateId":13,"bids":[["99.50","2.0"]],"asks":[["99.70","1.0"],["101.00","1.0"]]}"#),
        now,
    );
    assert!(!session.kernel().book().is_crossed());
    assert_eq!(session.stats().books_lost, 1);
}
