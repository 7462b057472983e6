//! Which market a recording holds: its venue and symbol read from its own
//! frames, its instrument looked up in the catalogue. Shared by `replay`,
//! `data convert` and `backtest`, so a capture of any listed symbol works
//! with no flags, and one that is not listed gets an error naming the
//! command that fetches it.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};
use kestrel_feed::Instruments;
use kestrel_feed::capture::CaptureReader;
use kestrel_instruments::LookupError;
use kestrel_model::{
    Contract, Decimal, Increment, Instrument, InstrumentId, Qty, Symbol, TradingRules, Venue,
};
use kestrel_registry::identify::{
    IdentifyError, Identity, Protocol, SAMPLE_FRAMES, WithFeed, identify,
};
use kestrel_tape::{MappedTape, TapeDecoder};
use serde_json::Value;

use crate::instruments::CatalogueArgs;

/// How to pick the market of a recording, when its frames do not say.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct MarketArgs {
    /// The venue, when the frames cannot tell (Bybit spot and linear
    /// frames look alike). Read from the frames otherwise.
    #[arg(long)]
    pub venue: Option<Venue>,
    /// The native symbol to take from a capture that holds several;
    /// frames of the others are counted and never applied.
    #[arg(long)]
    pub symbol: Option<String>,
    #[command(flatten)]
    pub catalogue: CatalogueArgs,
}

/// A recording's market.
#[derive(Clone, Debug)]
pub struct RecordedMarket {
    /// The frames' protocol.
    pub protocol: Protocol,
    /// The instrument, from the catalogue (or inferred, see `inferred`).
    pub instrument: Instrument,
    /// The grid was inferred from the data: the symbol is not in the
    /// catalogue, so order checks cannot be trusted.
    pub inferred: bool,
    /// Every symbol the sampled frames named (a tape's header lists).
    pub symbols: Vec<String>,
    /// The recording is a tape, mapped: its events were decoded once.
    pub tape: Option<TapeInput>,
}

/// A mapped tape and which of its instruments is read.
#[derive(Clone, Debug)]
pub struct TapeInput {
    /// The tape.
    pub map: Arc<MappedTape>,
    /// The instrument's index in its header.
    pub index: u16,
}

impl RecordedMarket {
    /// Runs `work` with the decoder this recording needs (a tape's, or
    /// the protocol's over `instrument`) under its protocol's sync rules.
    pub fn with_feed<W: WithFeed>(&self, instrument: Instrument, work: W) -> W::Output {
        match &self.tape {
            Some(t) => self
                .protocol
                .with_sequencer(TapeDecoder::new(t.map.instruments(), t.index), work),
            None => self.protocol.with_feed(Instruments::new(instrument), work),
        }
    }
}

/// Whether `name` names `instrument`: `venue:NATIVE` (e.g.
/// `binance_usdm:BTCUSDT`, any case for the venue) or its canonical id.
pub fn is_named(instrument: &Instrument, name: &str) -> bool {
    instrument.id.to_string() == name
        || name.split_once(':').is_some_and(|(venue, native)| {
            venue
                .parse::<Venue>()
                .is_ok_and(|v| v == instrument.id.venue)
                && native == instrument.native_symbol.as_str()
        })
}

/// `instruments` as `venue:NATIVE` names, for messages.
pub fn names(instruments: &[Instrument]) -> String {
    let names: Vec<String> = instruments
        .iter()
        .map(|i| {
            format!(
                "{}:{}",
                i.id.venue.as_str().to_ascii_lowercase(),
                i.native_symbol
            )
        })
        .collect();
    names.join(", ")
}

/// Whether the file at `path` is a tape (`kestrel data convert`'s output),
/// by its magic.
pub fn is_tape(path: &Path) -> bool {
    let mut magic = [0u8; 8];
    std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic))
        .is_ok_and(|()| magic == kestrel_tape::header::MAGIC)
}

/// A tape's market: the instrument its header lists (the one `--symbol`
/// and `--venue` pick, when it lists several). A tape is self-describing,
/// so the catalogue is not asked.
fn resolve_tape(path: &Path, args: &MarketArgs) -> anyhow::Result<RecordedMarket> {
    let map =
        MappedTape::open(path).with_context(|| format!("cannot open tape {}", path.display()))?;
    let listed = map.instruments();
    let picked: Vec<usize> = (0..listed.len())
        .filter(|&n| {
            let i = &listed[n];
            args.symbol
                .as_ref()
                .is_none_or(|s| i.native_symbol.as_str().eq_ignore_ascii_case(s))
                && args.venue.is_none_or(|v| v == i.id.venue)
        })
        .collect();
    let index = match picked.as_slice() {
        [one] => *one,
        [] => bail!(
            "{} holds {}: none is the one asked for",
            path.display(),
            names(listed)
        ),
        _ => bail!(
            "{} holds {} instruments ({}): pass --symbol (and --venue) to take one",
            path.display(),
            listed.len(),
            names(listed)
        ),
    };
    let instrument = listed[index].clone();
    let protocol = Protocol::of_venue(instrument.id.venue)
        .with_context(|| format!("{} has no order-book feed to replay", instrument.id.venue))?;
    let symbols = listed.iter().map(|i| i.native_symbol.to_string()).collect();
    Ok(RecordedMarket {
        protocol,
        instrument,
        inferred: false,
        symbols,
        tape: Some(TapeInput {
            map: Arc::new(map),
            index: u16::try_from(index)?,
        }),
    })
}

/// Says what a capture's first frames (`frames`, read from `path`) are.
fn identify_frames(path: &Path, frames: &[Vec<u8>]) -> anyhow::Result<Identity> {
    if frames.is_empty() {
        bail!("{} holds no market events: it is empty", path.display());
    }
    identify(frames.iter().map(Vec::as_slice)).map_err(|e| match e {
        IdentifyError::Unknown(_) => {
            anyhow::anyhow!("{} holds no market events: {e}", path.display())
        }
        e => anyhow::anyhow!("{}: {e}", path.display()),
    })
}

fn sample(path: &Path) -> anyhow::Result<Vec<Vec<u8>>> {
    let mut reader = CaptureReader::open(path)
        .with_context(|| format!("cannot open capture {}", path.display()))?;
    let mut frames = Vec::new();
    while frames.len() < SAMPLE_FRAMES {
        match reader.next_frame() {
            Some(Ok(frame)) => frames.push(frame.frame.to_vec()),
            Some(Err(e)) if e.is_recoverable() => {}
            Some(Err(e)) => return Err(e).context(format!("reading {}", path.display())),
            None => break,
        }
    }
    Ok(frames)
}

/// The market of the capture at `path`. With `allow_inferred`, a symbol
/// missing from the catalogue gets a grid inferred from the data, with a
/// warning; otherwise it is an error naming the fetch command.
pub fn resolve(
    path: &Path,
    args: &MarketArgs,
    allow_inferred: bool,
) -> anyhow::Result<RecordedMarket> {
    if is_tape(path) {
        return resolve_tape(path, args);
    }
    let frames = sample(path)?;
    let identity = identify_frames(path, &frames)?;
    let venues = match args.venue {
        Some(v) if identity.venues.contains(&v) => vec![v],
        Some(v) => bail!(
            "{}: the frames are {:?} frames, which {v} does not send",
            path.display(),
            identity.protocol
        ),
        None => identity.venues.clone(),
    };
    let symbol = match (&args.symbol, identity.symbols.as_slice()) {
        (Some(s), _) => s.to_ascii_uppercase(),
        (None, [only]) => only.clone(),
        (None, many) => bail!(
            "{} mixes {} symbols ({}): pass --symbol to take one; the others' frames are counted, never applied",
            path.display(),
            many.len(),
            many.join(", ")
        ),
    };
    let catalogue = args.catalogue.load()?;
    let found: Vec<&Instrument> = venues
        .iter()
        .filter_map(|&v| catalogue.find(v, &symbol).ok())
        .collect();
    let (instrument, inferred) = match found.as_slice() {
        [one] => ((*one).clone(), false),
        [] if allow_inferred => {
            let venue = venues[0];
            let instrument = inferred_instrument(venue, &symbol, &frames)?;
            eprintln!(
                "warning: {venue} {symbol} is not in the instrument catalogue; prices and sizes are \
                 read on a grid inferred from the data (tick {}). Order checks need the real \
                 instrument: `kestrel instruments fetch --venue {}`",
                instrument.tick,
                venue.as_str().to_ascii_lowercase()
            );
            (instrument, true)
        }
        [] => {
            return Err(LookupError::NotFound {
                venue: venues[0],
                symbol,
            }
            .into());
        }
        several => bail!(
            "{symbol} is listed on {}, and the frames do not say which: pass --venue",
            several
                .iter()
                .map(|i| i.id.venue.as_str().to_ascii_lowercase())
                .collect::<Vec<_>>()
                .join(" and ")
        ),
    };
    Ok(RecordedMarket {
        protocol: identity.protocol,
        instrument,
        inferred,
        symbols: identity.symbols,
        tape: None,
    })
}

/// The instrument of a Binance spot or USDⓈ-M capture, for the simulator,
/// which speaks both: any listed symbol, refused with a reason otherwise.
pub fn binance_sim_instrument(
    path: &Path,
    catalogue: &crate::instruments::CatalogueArgs,
) -> anyhow::Result<Instrument> {
    let args = MarketArgs {
        catalogue: catalogue.clone(),
        ..MarketArgs::default()
    };
    if is_tape(path) {
        bail!(
            "{} is a tape; the simulator serves the venue's frames: give it the capture",
            path.display()
        );
    }
    let market = resolve(path, &args, false)?;
    if !matches!(
        market.protocol,
        Protocol::BinanceSpot | Protocol::BinanceUsdm
    ) {
        bail!(
            "{} holds {:?} frames; the simulator serves Binance spot and USDⓈ-M captures",
            path.display(),
            market.protocol
        );
    }
    Ok(market.instrument)
}

/// An instrument for a symbol the catalogue lacks: the finest decimal grids
/// the sampled frames use for prices and for sizes. Enough to replay a book
/// exactly; nothing about the venue's order rules.
fn inferred_instrument(
    venue: Venue,
    native: &str,
    frames: &[Vec<u8>],
) -> anyhow::Result<Instrument> {
    let mut grids = Grids::default();
    for frame in frames {
        if let Ok(value) = serde_json::from_slice::<Value>(frame) {
            grids.scan(&value, "");
        }
    }
    let step = |decimals: u8| -> anyhow::Result<Increment> {
        Ok(Increment::parse(&match decimals {
            0 => "1".to_owned(),
            d => format!("0.{}1", "0".repeat(usize::from(d) - 1)),
        })?)
    };
    let id = InstrumentId::from_native(venue, native)
        .with_context(|| format!("{venue} symbol {native:?} cannot be named"))?;
    let (base, rest) = id.symbol.as_str().split_once('/').unwrap_or((native, "?"));
    let quote = rest.split([':', '-']).next().unwrap_or(rest).parse()?;
    Ok(Instrument {
        id,
        native_symbol: Symbol::new(native)?,
        base: base.parse()?,
        quote,
        tick: step(grids.price)?,
        lot: step(grids.qty)?,
        min_qty: Qty::from_lots(1),
        min_notional: Decimal::ZERO,
        maker_fee: Decimal::ZERO,
        taker_fee: Decimal::ZERO,
        contract: Contract::spot(quote),
        rules: TradingRules::default(),
    })
}

/// The most decimals seen in prices and in sizes.
#[derive(Default)]
struct Grids {
    price: u8,
    qty: u8,
}

impl Grids {
    /// Walks a frame the way the venues lay prices and sizes out: `[price,
    /// size, …]` in level lists, `p`/`b`/`a`/`px` prices and `q`/`B`/`A`/
    /// `sz` sizes in trades and tickers.
    fn scan(&mut self, value: &Value, key: &str) {
        match value {
            Value::Object(map) => map.iter().for_each(|(k, v)| self.scan(v, k)),
            Value::Array(items) => {
                for item in items {
                    match item.as_array().map(Vec::as_slice) {
                        Some([Value::String(p), Value::String(q), ..]) => {
                            self.price = self.price.max(decimals(p));
                            self.qty = self.qty.max(decimals(q));
                        }
                        _ => self.scan(item, key),
                    }
                }
            }
            Value::String(text) => match key {
                "p" | "b" | "a" | "px" | "price" => self.price = self.price.max(decimals(text)),
                "q" | "B" | "A" | "sz" | "qty" | "v" => self.qty = self.qty.max(decimals(text)),
                _ => {}
            },
            _ => {}
        }
    }
}

/// Decimals of a decimal string, trailing zeros trimmed (`"2650.1200"` → 2);
/// 0 for anything else.
fn decimals(text: &str) -> u8 {
    let Some((int, frac)) = text.split_once('.') else {
        return 0;
    };
    let frac = frac.trim_end_matches('0');
    let numeric = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if numeric(int.trim_start_matches('-')) && numeric(frac) {
        u8::try_from(frac.len()).unwrap_or(u8::MAX).min(18)
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grids_come_from_prices_and_sizes_where_the_venues_put_them() {
        let mut grids = Grids::default();
        let frames = [
            r#"{"s":"ETHUSDT","E":1723161255123,"b":[["2650.12000000","0.0450"]],"x":"1.23456","id":"17"}"#,
            r#"{"e":"trade","p":"2650.3","q":"0.00001"}"#,
        ];
        for frame in frames {
            grids.scan(&serde_json::from_str(frame).unwrap_or(Value::Null), "");
        }
        assert_eq!((grids.price, grids.qty), (2, 5));
    }
}
