//! Catalogue files: one JSON document of instruments, every number an exact
//! decimal string, written by `kestrel instruments fetch` and read by every
//! command that takes `--catalogue`. Unknown fields are refused, so a typo
//! is an error rather than a rule silently left out.
//!
//! ```json
//! {"format": "kestrel-instruments", "version": 1,
//!  "sources": [{"endpoint": "Binance USDⓈ-M exchangeInfo", "url": "https://…", "fetched_at_ms": 1723680000000}],
//!  "instruments": [{"venue": "BINANCE_USDM", "symbol": "BTC/USDT:USDT", "native": "BTCUSDT",
//!                   "base": "BTC", "quote": "USDT", "kind": "linear", "multiplier": "1", "settle": "USDT",
//!                   "tick": "0.10", "lot": "0.001", "min_qty": "0.001", "min_notional": "100",
//!                   "maker_fee": "0.0002", "taker_fee": "0.0005", "status": "trading", …}]}
//! ```

use kestrel_model::{
    Asset, Contract, ContractKind, Decimal, Increment, Instrument, InstrumentId, InstrumentStatus,
    PriceBand, Qty, Symbol, TradingRules, UnixNanos, Venue,
};
use serde::{Deserialize, Serialize};

use crate::Catalogue;

/// The `format` field's value.
pub const FORMAT: &str = "kestrel-instruments";
/// The version this code writes and reads.
pub const VERSION: u32 = 1;

/// Why a catalogue file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    /// Not JSON of the catalogue's shape (the parser's message says where).
    #[error("catalogue file: {0}")]
    Json(String),
    /// Another format or version.
    #[error(
        "catalogue file: format {format:?} version {version} is not {FORMAT:?} version {VERSION}"
    )]
    Format {
        /// What it said.
        format: String,
        /// What it said.
        version: u32,
    },
    /// The file could not be read or written.
    #[error("catalogue file {path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// The system's message.
        message: String,
    },
    /// An instrument whose field does not read.
    #[error("catalogue file: instrument {index} ({symbol}): {field} {problem}")]
    Field {
        /// Position in the file, from 0.
        index: usize,
        /// Its native symbol.
        symbol: String,
        /// The field.
        field: &'static str,
        /// What is wrong.
        problem: String,
    },
}

/// Where a catalogue's listings came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// The endpoint read.
    pub endpoint: String,
    /// Its URL, or a path for a saved response.
    pub url: String,
    /// When it was read (ms since the epoch).
    pub fetched_at_ms: u64,
}

/// A catalogue with its sources.
#[derive(Clone, Debug, Default)]
pub struct CatalogueFile {
    /// Where the listings came from.
    pub sources: Vec<Source>,
    /// The instruments.
    pub catalogue: Catalogue,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    format: String,
    version: u32,
    #[serde(default)]
    sources: Vec<Source>,
    instruments: Vec<Entry>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    venue: String,
    symbol: String,
    native: String,
    base: String,
    quote: String,
    kind: String,
    multiplier: String,
    settle: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expiry_ms: Option<u64>,
    tick: String,
    lot: String,
    min_qty: String,
    min_notional: String,
    maker_fee: String,
    taker_fee: String,
    status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    min_price: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_price: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    order_qty_step: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_qty: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_market_qty: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_notional: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    price_band: Option<[String; 4]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_open_orders: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_algo_orders: Option<u32>,
}

impl CatalogueFile {
    /// Reads a catalogue file's text.
    pub fn parse(text: &str) -> Result<Self, FileError> {
        let doc: Document =
            serde_json::from_str(text).map_err(|e| FileError::Json(e.to_string()))?;
        if doc.format != FORMAT || doc.version != VERSION {
            return Err(FileError::Format {
                format: doc.format,
                version: doc.version,
            });
        }
        let mut catalogue = Catalogue::new();
        for (index, entry) in doc.instruments.iter().enumerate() {
            catalogue.insert(read_entry(index, entry)?);
        }
        Ok(Self {
            sources: doc.sources,
            catalogue,
        })
    }

    /// Reads the catalogue file at `path`.
    pub fn load(path: &std::path::Path) -> Result<Self, FileError> {
        let text = std::fs::read_to_string(path).map_err(|e| FileError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        Self::parse(&text)
    }

    /// Writes the file whole or not at all: a temporary beside it, then a
    /// rename, so a reader never sees half a catalogue.
    pub fn save(&self, path: &std::path::Path) -> Result<(), FileError> {
        let io = |e: std::io::Error| FileError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let partial = path.with_file_name(format!(".{name}.partial"));
        let written =
            std::fs::write(&partial, self.to_json()).and_then(|()| std::fs::rename(&partial, path));
        if written.is_err() {
            // Our own temporary, never the file being replaced.
            let _ = std::fs::remove_file(&partial);
        }
        written.map_err(io)
    }

    /// The file's text: pretty JSON, one instrument per block.
    pub fn to_json(&self) -> String {
        let doc = Document {
            format: FORMAT.into(),
            version: VERSION,
            sources: self.sources.clone(),
            instruments: self.catalogue.iter().map(write_entry).collect(),
        };
        // A document of strings and integers always serialises.
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    }
}

/// One instrument as a single line of catalogue JSON: the form other
/// self-describing files (tapes) carry their instruments in.
pub fn instrument_to_json(instrument: &Instrument) -> String {
    // Strings, integers and options always serialise.
    serde_json::to_string(&write_entry(instrument)).unwrap_or_default()
}

/// Reads what [`instrument_to_json`] wrote.
pub fn instrument_from_json(text: &str) -> Result<Instrument, FileError> {
    let entry: Entry = serde_json::from_str(text).map_err(|e| FileError::Json(e.to_string()))?;
    read_entry(0, &entry)
}

fn write_entry(i: &Instrument) -> Entry {
    let qty = |q: Qty| {
        i.lot
            .display_trimmed(i64::try_from(q.lots()).unwrap_or(i64::MAX))
            .to_string()
    };
    let r = &i.rules;
    Entry {
        venue: i.id.venue.as_str().into(),
        symbol: i.id.symbol.to_string(),
        native: i.native_symbol.to_string(),
        base: i.base.to_string(),
        quote: i.quote.to_string(),
        kind: i.contract.kind.as_str().into(),
        multiplier: i.contract.multiplier.to_string(),
        settle: i.contract.settle.to_string(),
        expiry_ms: i.contract.expiry.map(|t| t.as_nanos() / 1_000_000),
        tick: i.tick.to_string(),
        lot: i.lot.to_string(),
        min_qty: qty(i.min_qty),
        min_notional: i.min_notional.to_string(),
        maker_fee: i.maker_fee.to_string(),
        taker_fee: i.taker_fee.to_string(),
        status: r.status.as_str().into(),
        min_price: r.min_price.map(|d| d.to_string()),
        max_price: r.max_price.map(|d| d.to_string()),
        order_qty_step: r.order_qty_step.map(qty),
        max_qty: r.max_qty.map(qty),
        max_market_qty: r.max_market_qty.map(qty),
        max_notional: r.max_notional.map(|d| d.to_string()),
        price_band: r
            .price_band
            .map(|b| [b.bid_up, b.bid_down, b.ask_up, b.ask_down].map(|d| d.to_string())),
        max_open_orders: r.max_open_orders,
        max_algo_orders: r.max_algo_orders,
    }
}

fn read_entry(index: usize, e: &Entry) -> Result<Instrument, FileError> {
    let err = |field: &'static str, problem: String| FileError::Field {
        index,
        symbol: e.native.clone(),
        field,
        problem,
    };
    let decimal = |field: &'static str, text: &str| -> Result<Decimal, FileError> {
        Decimal::parse(text).map_err(|x| err(field, format!("{text:?}: {x}")))
    };
    let opt_decimal =
        |field: &'static str, text: &Option<String>| -> Result<Option<Decimal>, FileError> {
            text.as_deref().map(|t| decimal(field, t)).transpose()
        };
    let asset = |field: &'static str, text: &str| -> Result<Asset, FileError> {
        Asset::new(text).map_err(|x| err(field, format!("{text:?}: {x}")))
    };
    let increment = |field: &'static str, text: &str| -> Result<Increment, FileError> {
        Increment::parse(text).map_err(|x| err(field, format!("{text:?}: {x}")))
    };
    let venue: Venue = e.venue.parse().map_err(|x| err("venue", format!("{x}")))?;
    let tick = increment("tick", &e.tick)?;
    let lot = increment("lot", &e.lot)?;
    let qty = |field: &'static str, text: &str| -> Result<Qty, FileError> {
        Qty::parse(text, &lot).map_err(|x| err(field, format!("{text:?} on a lot of {lot}: {x}")))
    };
    let opt_qty = |field: &'static str, text: &Option<String>| -> Result<Option<Qty>, FileError> {
        text.as_deref().map(|t| qty(field, t)).transpose()
    };
    let kind = match e.kind.as_str() {
        "spot" => ContractKind::Spot,
        "linear" => ContractKind::Linear,
        "inverse" => ContractKind::Inverse,
        other => {
            return Err(err(
                "kind",
                format!("{other:?} is not spot, linear or inverse"),
            ));
        }
    };
    let multiplier = decimal("multiplier", &e.multiplier)?;
    if multiplier <= Decimal::ZERO {
        return Err(err("multiplier", "must be positive".into()));
    }
    let status = match e.status.as_str() {
        "trading" => InstrumentStatus::Trading,
        "pre_trading" => InstrumentStatus::PreTrading,
        "halted" => InstrumentStatus::Halted,
        "delivering" => InstrumentStatus::Delivering,
        "closed" => InstrumentStatus::Closed,
        other => return Err(err("status", format!("{other:?} is not a status"))),
    };
    let price_band = match &e.price_band {
        Some([a, b, c, d]) => Some(PriceBand {
            bid_up: decimal("price_band", a)?,
            bid_down: decimal("price_band", b)?,
            ask_up: decimal("price_band", c)?,
            ask_down: decimal("price_band", d)?,
        }),
        None => None,
    };
    Ok(Instrument {
        id: InstrumentId {
            venue,
            symbol: Symbol::new(&e.symbol).map_err(|x| err("symbol", x.to_string()))?,
        },
        native_symbol: Symbol::new(&e.native).map_err(|x| err("native", x.to_string()))?,
        base: asset("base", &e.base)?,
        quote: asset("quote", &e.quote)?,
        tick,
        lot,
        min_qty: qty("min_qty", &e.min_qty)?,
        min_notional: decimal("min_notional", &e.min_notional)?,
        maker_fee: decimal("maker_fee", &e.maker_fee)?,
        taker_fee: decimal("taker_fee", &e.taker_fee)?,
        contract: Contract {
            kind,
            multiplier,
            settle: asset("settle", &e.settle)?,
            expiry: e.expiry_ms.map(UnixNanos::from_millis),
        },
        rules: TradingRules {
            status,
            min_price: opt_decimal("min_price", &e.min_price)?,
            max_price: opt_decimal("max_price", &e.max_price)?,
            order_qty_step: opt_qty("order_qty_step", &e.order_qty_step)?,
            max_qty: opt_qty("max_qty", &e.max_qty)?,
            max_market_qty: opt_qty("max_market_qty", &e.max_market_qty)?,
            max_notional: opt_decimal("max_notional", &e.max_notional)?,
            price_band,
            max_open_orders: e.max_open_orders,
            max_algo_orders: e.max_algo_orders,
        },
    })
}
