//! What a capture holds, read from its frames: the venue protocol and the
//! symbols, so a command can look the instrument up in the catalogue
//! instead of being told (or guessing) which market a file is.
//!
//! * Binance frames name the symbol in `s`; the market shows in the depth
//!   diff's fields: USDⓈ-M and COIN-M send the previous final id `pu`, and
//!   COIN-M also the pair `ps`; spot sends neither. Trades tell futures
//!   (`X`, the order type) from spot (`M`).
//! * OKX frames name `instId` in `arg`.
//! * Bybit frames name the symbol at the end of `topic`
//!   (`orderbook.500.XRPUSDT`); spot and linear frames have the same
//!   shape, except that only derivatives serve 500- and 1000-level books;
//!   otherwise the venue needs saying when the catalogue lists the symbol
//!   on several.
//!
//! Only the first frames are read ([`SAMPLE_FRAMES`]); a symbol that first
//! appears later is not mis-scaled: its frames find no instrument in the
//! decoder and are counted as not ours.

use kestrel_model::Venue;
use serde_json::Value;

use kestrel_binance::{BinanceDecoder, FuturesSequencer, SpotSequencer};
use kestrel_bybit::{BybitDecoder, BybitSequencer};
use kestrel_feed::{FrameDecoder, Instruments, Sequencer};
use kestrel_okx::{OkxDecoder, OkxSequencer};

/// Frames read to identify a capture.
pub const SAMPLE_FRAMES: usize = 2000;

/// The wire protocol a capture's frames are in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// Binance spot streams.
    BinanceSpot,
    /// Binance USDⓈ-M futures streams.
    BinanceUsdm,
    /// Binance COIN-M futures streams.
    BinanceCoinm,
    /// OKX v5 public channels.
    Okx,
    /// Bybit v5 public topics (spot, linear or inverse: same shape).
    Bybit,
}

/// What the sampled frames say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// The protocol.
    pub protocol: Protocol,
    /// The venues the frames can be from: one, except for Bybit.
    pub venues: Vec<Venue>,
    /// Native symbols, in order of first appearance.
    pub symbols: Vec<String>,
}

/// Why a capture could not be identified.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IdentifyError {
    /// No frame named a symbol in a format we read.
    #[error("none of the first {0} frames is a Binance, OKX or Bybit market frame")]
    Unknown(usize),
    /// Frames of several protocols in one file.
    #[error("the capture mixes {0:?} and {1:?} frames")]
    MixedProtocols(Protocol, Protocol),
    /// Binance frames that do not show which market they are from.
    #[error(
        "the first frames do not show whether this is Binance spot, USDⓈ-M or COIN-M; pass --venue"
    )]
    BinanceMarketUnclear,
}

/// Identifies a capture from its first frames (`frames` yields each
/// frame's JSON, without the capture's timestamp).
pub fn identify<'a>(frames: impl IntoIterator<Item = &'a [u8]>) -> Result<Identity, IdentifyError> {
    let mut family: Option<Family> = None;
    let mut binance_market: Option<Protocol> = None;
    let mut symbols: Vec<String> = Vec::new();
    let mut deep_book = false;
    let mut read = 0;
    for frame in frames.into_iter().take(SAMPLE_FRAMES) {
        read += 1;
        let Ok(value) = serde_json::from_slice::<Value>(frame) else {
            continue;
        };
        let Some((seen, symbol, market)) = classify(&value) else {
            continue;
        };
        deep_book |= is_deep_bybit_book(&value);
        match family {
            None => family = Some(seen),
            Some(f) if f != seen => {
                return Err(IdentifyError::MixedProtocols(f.protocol(), seen.protocol()));
            }
            Some(_) => {}
        }
        if binance_market.is_none() {
            binance_market = market;
        }
        if !symbols.iter().any(|s| s.eq_ignore_ascii_case(&symbol)) {
            symbols.push(symbol.to_ascii_uppercase());
        }
    }
    let protocol = match family {
        None => return Err(IdentifyError::Unknown(read)),
        Some(Family::Binance) => binance_market.ok_or(IdentifyError::BinanceMarketUnclear)?,
        Some(f) => f.protocol(),
    };
    let venues = match protocol {
        Protocol::BinanceSpot => vec![Venue::BinanceSpot],
        Protocol::BinanceUsdm => vec![Venue::BinanceUsdm],
        Protocol::BinanceCoinm => vec![Venue::BinanceCoinm],
        Protocol::Okx => vec![Venue::Okx],
        Protocol::Bybit if deep_book => vec![Venue::BybitLinear, Venue::BybitInverse],
        Protocol::Bybit => vec![Venue::BybitSpot, Venue::BybitLinear, Venue::BybitInverse],
    };
    Ok(Identity {
        protocol,
        venues,
        symbols,
    })
}

/// Bybit serves 500- and 1000-level books for derivatives only (spot:
/// 1, 50, 200).
fn is_deep_bybit_book(value: &Value) -> bool {
    value
        .get("topic")
        .and_then(Value::as_str)
        .is_some_and(|t| t.starts_with("orderbook.500.") || t.starts_with("orderbook.1000."))
}

/// Work to run with a protocol's decoder and sequencer, whatever their
/// types: [`Protocol::with_feed`] picks them, the caller's code stays
/// generic and monomorphised (no dynamic dispatch per frame).
pub trait WithFeed {
    /// What the work returns.
    type Output;
    /// Runs with the protocol's decoder and a fresh sequencer.
    fn run<D: FrameDecoder + 'static, S: Sequencer + 'static>(
        self,
        decoder: D,
        sequencer: S,
    ) -> Self::Output;
}

impl Protocol {
    /// Runs `work` with this protocol's decoder over `instruments` and its
    /// sync rules.
    pub fn with_feed<W: WithFeed>(self, instruments: Instruments, work: W) -> W::Output {
        match self {
            Self::BinanceUsdm | Self::BinanceCoinm => {
                work.run(BinanceDecoder::new(instruments), FuturesSequencer::new())
            }
            Self::BinanceSpot => work.run(BinanceDecoder::new(instruments), SpotSequencer::new()),
            Self::Okx => work.run(OkxDecoder::new(instruments), OkxSequencer::new()),
            Self::Bybit => work.run(BybitDecoder::new(instruments), BybitSequencer::new()),
        }
    }

    /// The protocol a venue's feed speaks, `None` for venues without one
    /// (bar data).
    pub fn of_venue(venue: Venue) -> Option<Self> {
        Some(match venue {
            Venue::BinanceSpot => Self::BinanceSpot,
            Venue::BinanceUsdm => Self::BinanceUsdm,
            Venue::BinanceCoinm => Self::BinanceCoinm,
            Venue::Okx => Self::Okx,
            Venue::BybitSpot | Venue::BybitLinear | Venue::BybitInverse => Self::Bybit,
            Venue::Bitstamp | Venue::Nasdaq => return None,
        })
    }

    /// Runs `work` with `decoder` (events already decoded once, from a
    /// tape) under this protocol's sync rules.
    pub fn with_sequencer<D: FrameDecoder + 'static, W: WithFeed>(
        self,
        decoder: D,
        work: W,
    ) -> W::Output {
        match self {
            Self::BinanceUsdm | Self::BinanceCoinm => work.run(decoder, FuturesSequencer::new()),
            Self::BinanceSpot => work.run(decoder, SpotSequencer::new()),
            Self::Okx => work.run(decoder, OkxSequencer::new()),
            Self::Bybit => work.run(decoder, BybitSequencer::new()),
        }
    }

    /// This protocol's decoder, boxed, for tools that only decode.
    pub fn decoder(self, instruments: Instruments) -> Box<dyn FrameDecoder> {
        match self {
            Self::BinanceUsdm | Self::BinanceCoinm | Self::BinanceSpot => {
                Box::new(BinanceDecoder::new(instruments))
            }
            Self::Okx => Box::new(OkxDecoder::new(instruments)),
            Self::Bybit => Box::new(BybitDecoder::new(instruments)),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Family {
    Binance,
    Okx,
    Bybit,
}

impl Family {
    fn protocol(self) -> Protocol {
        match self {
            // Reported only in a mix; the market is settled later.
            Self::Binance => Protocol::BinanceSpot,
            Self::Okx => Protocol::Okx,
            Self::Bybit => Protocol::Bybit,
        }
    }
}

/// The family, the symbol, and for Binance the market if this frame shows it.
fn classify(value: &Value) -> Option<(Family, String, Option<Protocol>)> {
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
    if let Some(inst) = value.get("arg").and_then(|a| text(a, "instId")) {
        return Some((Family::Okx, inst, None));
    }
    if let Some(topic) = text(value, "topic") {
        let symbol = topic.rsplit('.').next()?.to_owned();
        return (topic.contains('.') && !symbol.is_empty()).then_some((
            Family::Bybit,
            symbol,
            None,
        ));
    }
    let data = value
        .get("data")
        .filter(|_| value.get("stream").is_some())
        .unwrap_or(value);
    let symbol = text(data, "s")?;
    let event = text(data, "e");
    let market = match event.as_deref() {
        Some("depthUpdate") if data.get("ps").is_some() => Some(Protocol::BinanceCoinm),
        Some("depthUpdate") if data.get("pu").is_some() => Some(Protocol::BinanceUsdm),
        Some("depthUpdate") => Some(Protocol::BinanceSpot),
        Some("trade") if data.get("M").is_some() => Some(Protocol::BinanceSpot),
        Some("trade") if data.get("X").is_some() => Some(if symbol.contains('_') {
            Protocol::BinanceCoinm
        } else {
            Protocol::BinanceUsdm
        }),
        _ => None,
    };
    Some((Family::Binance, symbol, market))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn run(frames: &[&str]) -> Result<Identity, IdentifyError> {
        identify(frames.iter().map(|f| f.as_bytes()))
    }

    #[test]
    fn each_venue_is_told_apart_by_its_frames() {
        let usdm = r#"{"stream":"btcusdt@depth@0ms","data":{"e":"depthUpdate","E":1,"T":1,"s":"BTCUSDT","U":1,"u":2,"pu":0,"b":[],"a":[]}}"#;
        let coinm = r#"{"stream":"btcusd_perp@depth@0ms","data":{"e":"depthUpdate","E":1,"T":1,"s":"BTCUSD_PERP","ps":"BTCUSD","U":1,"u":2,"pu":0,"b":[],"a":[]}}"#;
        let spot = r#"{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[],"a":[]}}"#;
        let okx =
            r#"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"snapshot","data":[]}"#;
        let bybit = r#"{"topic":"orderbook.500.XRPUSDT","type":"snapshot","ts":1,"data":{"s":"XRPUSDT","b":[],"a":[],"u":1,"seq":1}}"#;
        let cases = [
            (usdm, Protocol::BinanceUsdm, "BTCUSDT"),
            (coinm, Protocol::BinanceCoinm, "BTCUSD_PERP"),
            (spot, Protocol::BinanceSpot, "BTCUSDT"),
            (okx, Protocol::Okx, "BTC-USDT"),
            (bybit, Protocol::Bybit, "XRPUSDT"),
        ];
        for (frame, protocol, symbol) in cases {
            // A REST snapshot line first, as recorders write them.
            let id = run(&[r#"{"lastUpdateId":5,"bids":[],"asks":[]}"#, frame]).unwrap();
            assert_eq!(id.protocol, protocol, "{frame}");
            assert_eq!(id.symbols, [symbol]);
        }
        let bybit = run(&[bybit]).unwrap();
        assert_eq!(bybit.venues, [Venue::BybitLinear, Venue::BybitInverse]);
    }

    #[test]
    fn several_symbols_are_all_reported_and_mixtures_refused() {
        let a = r#"{"e":"trade","s":"BTCUSDT","p":"1","q":"1","X":"MARKET"}"#;
        let b = r#"{"e":"trade","s":"ethusdt","p":"1","q":"1","X":"MARKET"}"#;
        let id = run(&[a, b, a]).unwrap();
        assert_eq!(id.protocol, Protocol::BinanceUsdm);
        assert_eq!(id.symbols, ["BTCUSDT", "ETHUSDT"]);
        let okx = r#"{"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[]}"#;
        assert!(matches!(
            run(&[a, okx]),
            Err(IdentifyError::MixedProtocols(..))
        ));
        let ticker = r#"{"u":1,"s":"BTCUSDT","b":"1","B":"1","a":"2","A":"1"}"#;
        assert_eq!(run(&[ticker]), Err(IdentifyError::BinanceMarketUnclear));
        assert_eq!(run(&["garbage", "{}"]), Err(IdentifyError::Unknown(2)));
    }
}
