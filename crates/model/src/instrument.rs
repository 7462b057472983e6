//! Venues, canonical symbols and instrument definitions.
//!
//! Every venue spells a market its own way (`BTCUSDT`, `BTC-USDT`,
//! `BTCUSD_PERP`). [`InstrumentId`] pairs a [`Venue`] with one canonical
//! [`Symbol`] in the unified `BASE/QUOTE[:SETTLE[-YYMMDD]]` form, so strategy
//! code names markets the same way on every venue.

use std::fmt;

use crate::contract::Contract;
use crate::decimal::{Decimal, Increment};
use crate::inline_str::{InlineStr, InlineStrError};
use crate::price::{Price, Qty};
use crate::rules::TradingRules;

/// A trading venue. Segments of one exchange that run separate matching
/// engines and APIs (Binance spot vs USD-M futures) are separate venues.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Venue {
    /// Binance spot.
    BinanceSpot,
    /// Binance USDⓈ-margined futures.
    BinanceUsdm,
    /// Binance coin-margined futures.
    BinanceCoinm,
    /// OKX (all instrument types share one API).
    Okx,
    /// Bybit spot.
    BybitSpot,
    /// Bybit USDT/USDC linear contracts.
    BybitLinear,
    /// Bybit inverse (coin-margined) contracts.
    BybitInverse,
    /// Bitstamp.
    Bitstamp,
    /// Nasdaq (US equities, quoted in USD): OHLCV bar data such as the
    /// bundled GOOG sample. Native symbols are tickers (`GOOG`).
    Nasdaq,
}

impl Venue {
    /// Upper-case name used in ids and configuration.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::BinanceSpot => "BINANCE_SPOT",
            Self::BinanceUsdm => "BINANCE_USDM",
            Self::BinanceCoinm => "BINANCE_COINM",
            Self::Okx => "OKX",
            Self::BybitSpot => "BYBIT_SPOT",
            Self::BybitLinear => "BYBIT_LINEAR",
            Self::BybitInverse => "BYBIT_INVERSE",
            Self::Bitstamp => "BITSTAMP",
            Self::Nasdaq => "NASDAQ",
        }
    }
}

/// A venue name that [`Venue::from_str`](std::str::FromStr) does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown venue {0:?}")]
pub struct UnknownVenue(pub String);

impl Venue {
    /// Every venue, in declaration order.
    pub const ALL: [Self; 9] = [
        Self::BinanceSpot,
        Self::BinanceUsdm,
        Self::BinanceCoinm,
        Self::Okx,
        Self::BybitSpot,
        Self::BybitLinear,
        Self::BybitInverse,
        Self::Bitstamp,
        Self::Nasdaq,
    ];
}

impl std::str::FromStr for Venue {
    type Err = UnknownVenue;
    /// Reads the name [`Venue::as_str`] writes, ignoring case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownVenue(s.to_owned()))
    }
}

impl fmt::Display for Venue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a venue's native symbol could not be normalised.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SymbolError {
    /// The symbol does not have the venue's shape.
    #[error("{venue} symbol {native:?} is not in a recognised form")]
    Unrecognised {
        /// The venue.
        venue: Venue,
        /// What it sent.
        native: String,
    },
    /// A part of the symbol is not a valid asset code or is too long.
    #[error("invalid symbol part: {0}")]
    Invalid(#[from] InlineStrError),
}

/// An asset code such as `BTC` or `USDT`.
pub type Asset = InlineStr<16>;

/// A canonical symbol such as `BTC/USDT` (spot), `BTC/USDT:USDT` (linear
/// perpetual) or `BTC/USD:BTC-240927` (inverse future).
pub type Symbol = InlineStr<40>;

/// A market on a venue, named the same way on every venue.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct InstrumentId {
    /// Where it trades.
    pub venue: Venue,
    /// Its canonical symbol.
    pub symbol: Symbol,
}

impl InstrumentId {
    /// Normalises a venue's native symbol: Binance spot `BTCUSDT` and OKX
    /// `BTC-USDT` both become `BTC/USDT` on their venue.
    pub fn from_native(venue: Venue, native: &str) -> Result<Self, SymbolError> {
        let symbol = canonical_symbol(venue, native)?;
        Ok(Self { venue, symbol })
    }
}

impl fmt::Display for InstrumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.symbol, self.venue)
    }
}

/// Quote assets recognised at the end of concatenated symbols (`ETHBTC`),
/// longest first so `USDT` wins over `USD`.
const QUOTE_ASSETS: [&str; 18] = [
    "FDUSD", "USDT", "USDC", "TUSD", "BUSD", "USDE", "DAI", "BTC", "ETH", "BNB", "EUR", "TRY",
    "BRL", "JPY", "GBP", "AUD", "USD", "PLN",
];

fn unrecognised(venue: Venue, native: &str) -> SymbolError {
    SymbolError::Unrecognised {
        venue,
        native: native.to_owned(),
    }
}

/// Splits a concatenated symbol (`BTCUSDT`) at a known quote asset.
fn split_concatenated(venue: Venue, upper: &str) -> Result<(&str, &str), SymbolError> {
    QUOTE_ASSETS
        .iter()
        .find(|q| upper.len() > q.len() && upper.ends_with(*q))
        .map(|q| upper.split_at(upper.len() - q.len()))
        .ok_or_else(|| unrecognised(venue, upper))
}

fn is_expiry(s: &str) -> bool {
    s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The canonical symbol from its parts, as catalogue parsers read them from
/// a venue's instrument endpoint: `BTC/USDT`, `BTC/USDT:USDT`,
/// `BTC/USD:BTC-240927`. `expiry` is `YYMMDD`.
pub fn symbol_from_parts(
    base: &str,
    quote: &str,
    settle: Option<&str>,
    expiry: Option<&str>,
) -> Result<Symbol, SymbolError> {
    build(base, quote, settle, expiry)
}

fn build(
    base: &str,
    quote: &str,
    settle: Option<&str>,
    expiry: Option<&str>,
) -> Result<Symbol, SymbolError> {
    let is_code = |b: u8| b.is_ascii_uppercase() || b.is_ascii_digit();
    Asset::new_with(base, is_code)?;
    Asset::new_with(quote, is_code)?;
    let mut text = format!("{base}/{quote}");
    if let Some(settle) = settle {
        Asset::new_with(settle, is_code)?;
        text.push(':');
        text.push_str(settle);
    }
    if let Some(expiry) = expiry {
        text.push('-');
        text.push_str(expiry);
    }
    Ok(Symbol::new(&text)?)
}

/// The canonical symbol for a venue's native symbol.
pub fn canonical_symbol(venue: Venue, native: &str) -> Result<Symbol, SymbolError> {
    let upper = native.to_ascii_uppercase();
    match venue {
        Venue::Nasdaq => build(&upper, "USD", None, None),
        Venue::BinanceSpot | Venue::BybitSpot | Venue::Bitstamp => {
            let (base, quote) = split_concatenated(venue, &upper)?;
            build(base, quote, None, None)
        }
        Venue::BinanceUsdm | Venue::BybitLinear => {
            // `BTCUSDT` (perpetual) or `BTCUSDT_240927` (quarterly).
            let (pair, expiry) = match upper.split_once('_') {
                Some((pair, expiry)) if is_expiry(expiry) => (pair, Some(expiry)),
                Some(_) => return Err(unrecognised(venue, native)),
                None => (upper.as_str(), None),
            };
            let (base, quote) = split_concatenated(venue, pair)?;
            build(base, quote, Some(quote), expiry)
        }
        Venue::BybitInverse => {
            // `BTCUSD` (perpetual); dated inverse contracts are named by
            // month code and come from the catalogue instead.
            let (base, quote) = split_concatenated(venue, &upper)?;
            build(base, quote, Some(base), None)
        }
        Venue::BinanceCoinm => {
            // `BTCUSD_PERP` or `BTCUSD_240927`; settled in the base coin.
            let (pair, suffix) = upper
                .split_once('_')
                .ok_or_else(|| unrecognised(venue, native))?;
            let expiry = match suffix {
                "PERP" => None,
                s if is_expiry(s) => Some(s),
                _ => return Err(unrecognised(venue, native)),
            };
            let (base, quote) = split_concatenated(venue, pair)?;
            build(base, quote, Some(base), expiry)
        }
        Venue::Okx => {
            // `BTC-USDT`, `BTC-USDT-SWAP`, `BTC-USD-SWAP`, `BTC-USD-240927`.
            let parts: Vec<&str> = upper.split('-').collect();
            let linear = |quote: &str| matches!(quote, "USDT" | "USDC");
            match parts.as_slice() {
                [base, quote] => build(base, quote, None, None),
                [base, quote, "SWAP"] => build(
                    base,
                    quote,
                    Some(if linear(quote) { quote } else { base }),
                    None,
                ),
                [base, quote, expiry] if is_expiry(expiry) => build(
                    base,
                    quote,
                    Some(if linear(quote) { quote } else { base }),
                    Some(expiry),
                ),
                _ => Err(unrecognised(venue, native)),
            }
        }
    }
}

/// Everything needed to trade a market and check an order against the
/// venue's filters before sending it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Instrument {
    /// Venue and canonical symbol.
    pub id: InstrumentId,
    /// The venue's own spelling, used on the wire.
    pub native_symbol: Symbol,
    /// What is bought or sold.
    pub base: Asset,
    /// What prices are quoted in.
    pub quote: Asset,
    /// Price grid.
    pub tick: Increment,
    /// Quantity grid.
    pub lot: Increment,
    /// Smallest order quantity.
    pub min_qty: Qty,
    /// Smallest order value, price × quantity, in quote units.
    pub min_notional: Decimal,
    /// Fee rate for resting liquidity taken by others (negative = rebate).
    pub maker_fee: Decimal,
    /// Fee rate for taking liquidity.
    pub taker_fee: Decimal,
    /// What a unit of quantity is and how profit settles.
    pub contract: Contract,
    /// Status, price band and caps the venue states.
    pub rules: TradingRules,
}

impl Instrument {
    /// `price` as an exact decimal.
    pub fn price_decimal(&self, price: Price) -> Decimal {
        Decimal::from_steps(price.ticks(), &self.tick)
    }

    /// `qty` as an exact decimal in the instrument's units (coins for spot,
    /// contracts for most derivatives); `None` past `i64`.
    pub fn qty_decimal(&self, qty: Qty) -> Option<Decimal> {
        Some(Decimal::from_steps(
            i64::try_from(qty.lots()).ok()?,
            &self.lot,
        ))
    }

    /// The order's value in quote units, exactly: price × quantity ×
    /// multiplier, or for inverse contracts quantity × contract value.
    /// `None` if out of range.
    pub fn notional(&self, price: Price, qty: Qty) -> Option<Decimal> {
        self.contract
            .quote_value(self.price_decimal(price), self.qty_decimal(qty)?)
    }

    /// The order's value in the settlement asset: the quote value for spot
    /// and linear contracts, coins (quote value ÷ price) for inverse ones.
    pub fn settle_value(&self, price: Price, qty: Qty) -> Option<Decimal> {
        self.contract
            .settle_value(self.price_decimal(price), self.qty_decimal(qty)?)
    }

    /// What one unit of quantity is, for people: `BTC` for spot and
    /// coin-sized contracts, `contracts of 0.01 BTC`, `contracts of 100 USD`.
    pub fn qty_unit(&self) -> String {
        let m = self.contract.multiplier;
        match self.contract.kind {
            crate::ContractKind::Spot => self.base.to_string(),
            crate::ContractKind::Linear if m == Decimal::from(1) => self.base.to_string(),
            crate::ContractKind::Linear => format!("contracts of {m} {}", self.base),
            crate::ContractKind::Inverse => format!("contracts of {m} {}", self.quote),
        }
    }

    /// A signed quantity of `lots` for people, in the instrument's units:
    /// `-0.005 BTC`, `3 contracts of 100 USD`.
    pub fn qty_text(&self, lots: i64) -> String {
        format!("{} {}", self.lot.display_trimmed(lots), self.qty_unit())
    }

    /// Whether an order of `qty` at `price` passes the venue's minimum
    /// quantity and minimum notional filters.
    pub fn meets_minimums(&self, price: Price, qty: Qty) -> bool {
        qty >= self.min_qty
            && self
                .notional(price, qty)
                .is_some_and(|n| n >= self.min_notional)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn native_symbols_normalise() {
        struct Case {
            venue: Venue,
            native: &'static str,
            canonical: &'static str,
        }
        let cases = [
            Case {
                venue: Venue::BinanceSpot,
                native: "BTCUSDT",
                canonical: "BTC/USDT",
            },
            Case {
                venue: Venue::BinanceSpot,
                native: "btcusdt",
                canonical: "BTC/USDT",
            },
            Case {
                venue: Venue::BinanceSpot,
                native: "ETHBTC",
                canonical: "ETH/BTC",
            },
            Case {
                venue: Venue::BinanceSpot,
                native: "BTCFDUSD",
                canonical: "BTC/FDUSD",
            },
            Case {
                venue: Venue::Okx,
                native: "BTC-USDT",
                canonical: "BTC/USDT",
            },
            Case {
                venue: Venue::Okx,
                native: "BTC-USDT-SWAP",
                canonical: "BTC/USDT:USDT",
            },
            Case {
                venue: Venue::Okx,
                native: "BTC-USD-SWAP",
                canonical: "BTC/USD:BTC",
            },
            Case {
                venue: Venue::Okx,
                native: "BTC-USD-240927",
                canonical: "BTC/USD:BTC-240927",
            },
            Case {
                venue: Venue::BinanceUsdm,
                native: "BTCUSDT",
                canonical: "BTC/USDT:USDT",
            },
            Case {
                venue: Venue::BinanceUsdm,
                native: "BTCUSDT_240927",
                canonical: "BTC/USDT:USDT-240927",
            },
            Case {
                venue: Venue::BinanceCoinm,
                native: "BTCUSD_PERP",
                canonical: "BTC/USD:BTC",
            },
            Case {
                venue: Venue::BybitLinear,
                native: "XRPUSDT",
                canonical: "XRP/USDT:USDT",
            },
            Case {
                venue: Venue::Bitstamp,
                native: "btcusd",
                canonical: "BTC/USD",
            },
        ];
        for case in cases {
            let id = InstrumentId::from_native(case.venue, case.native).unwrap();
            assert_eq!(
                id.symbol.as_str(),
                case.canonical,
                "{} {}",
                case.venue,
                case.native
            );
            assert_eq!(id.venue, case.venue);
        }
        // The same market on two venues: same symbol, different ids.
        let binance = InstrumentId::from_native(Venue::BinanceSpot, "BTCUSDT").unwrap();
        let okx = InstrumentId::from_native(Venue::Okx, "BTC-USDT").unwrap();
        assert_eq!(binance.symbol, okx.symbol);
        assert_ne!(binance, okx);
        assert_eq!(binance.to_string(), "BTC/USDT@BINANCE_SPOT");
    }

    #[test]
    fn bad_symbols_are_errors() {
        for (venue, native) in [
            (Venue::BinanceSpot, "USDT"),
            (Venue::BinanceSpot, "BTCXYZ"),
            (Venue::BinanceSpot, ""),
            (Venue::BinanceCoinm, "BTCUSD"),
            (Venue::BinanceCoinm, "BTCUSD_NEXT"),
            (Venue::BinanceUsdm, "BTCUSDT_2409"),
            (Venue::Okx, "BTC-USDT-SWAP-X"),
            (Venue::Okx, "BTC--USDT"),
            (Venue::Okx, "BTC-USD-240927-60000-C"),
            (Venue::BinanceSpot, "BT C/USDT"),
        ] {
            assert!(
                InstrumentId::from_native(venue, native).is_err(),
                "{venue} {native}"
            );
        }
    }

    #[test]
    fn notional_and_minimums_are_exact() {
        let inst = Instrument {
            id: InstrumentId::from_native(Venue::BinanceUsdm, "BTCUSDT").unwrap(),
            native_symbol: Symbol::new("BTCUSDT").unwrap(),
            base: Asset::new("BTC").unwrap(),
            quote: Asset::new("USDT").unwrap(),
            tick: Increment::parse("0.10").unwrap(),
            lot: Increment::parse("0.001").unwrap(),
            min_qty: Qty::from_lots(1),
            min_notional: Decimal::parse("100").unwrap(),
            maker_fee: Decimal::parse("0.0002").unwrap(),
            taker_fee: Decimal::parse("0.0005").unwrap(),
            contract: crate::Contract::spot(Asset::new("USDT").unwrap()),
            rules: crate::TradingRules::default(),
        };
        let price = Price::parse("61659.70", &inst.tick).unwrap();
        assert_eq!(
            inst.notional(price, Qty::from_lots(2)).unwrap().to_string(),
            "123.3194"
        );
        assert!(inst.meets_minimums(price, Qty::from_lots(2)));
        assert!(!inst.meets_minimums(price, Qty::from_lots(1)));
        assert!(!inst.meets_minimums(price, Qty::ZERO));
    }
}
