//! Fee rates. The venues' instrument endpoints do not carry them: they
//! depend on the account's tier. A [`FeeSchedule`] gives each venue and
//! market kind a default tier (the regular rates each venue published,
//! `data/instruments/fees.json`); an account's own rates, read from its
//! venue or given on the command line, override it.

use std::collections::HashMap;

use kestrel_model::{ContractKind, Decimal, Instrument, Venue};
use serde::Deserialize;

/// A fee file that does not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeeError {
    /// Not the fee table's JSON.
    #[error("fee table: {0}")]
    Json(String),
    /// A rate or name that does not parse.
    #[error("fee table: {venue} {kind}: {field} {value:?} is not valid")]
    Field {
        /// The row's venue, as written.
        venue: String,
        /// The row's kind, as written.
        kind: String,
        /// Which field.
        field: &'static str,
        /// What it said.
        value: String,
    },
}

/// Maker and taker rates, as fractions of notional.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeeRates {
    /// Rate paid (negative: earned) when a resting order is taken.
    pub maker: Decimal,
    /// Rate paid when taking liquidity.
    pub taker: Decimal,
}

/// Default rates by venue and market kind.
#[derive(Clone, Debug, Default)]
pub struct FeeSchedule {
    rates: HashMap<(Venue, ContractKind), FeeRates>,
}

#[derive(Deserialize)]
struct FeeFile {
    tiers: Vec<FeeRow>,
}

#[derive(Deserialize)]
struct FeeRow {
    venue: String,
    kind: String,
    maker: String,
    taker: String,
}

impl FeeSchedule {
    /// Reads a fee table (the shape of `data/instruments/fees.json`).
    pub fn from_json(text: &str) -> Result<Self, FeeError> {
        let file: FeeFile =
            serde_json::from_str(text).map_err(|e| FeeError::Json(e.to_string()))?;
        let mut rates = HashMap::new();
        for row in file.tiers {
            let bad = |field: &'static str, value: &str| FeeError::Field {
                venue: row.venue.clone(),
                kind: row.kind.clone(),
                field,
                value: value.to_owned(),
            };
            let venue: Venue = row.venue.parse().map_err(|_| bad("venue", &row.venue))?;
            let kind = match row.kind.as_str() {
                "spot" => ContractKind::Spot,
                "linear" => ContractKind::Linear,
                "inverse" => ContractKind::Inverse,
                other => return Err(bad("kind", other)),
            };
            let maker = row.maker.parse().map_err(|_| bad("maker", &row.maker))?;
            let taker = row.taker.parse().map_err(|_| bad("taker", &row.taker))?;
            rates.insert((venue, kind), FeeRates { maker, taker });
        }
        Ok(Self { rates })
    }

    /// The default rates of a venue's market kind, if the table has them.
    pub fn rates(&self, venue: Venue, kind: ContractKind) -> Option<FeeRates> {
        self.rates.get(&(venue, kind)).copied()
    }

    /// Sets `instrument`'s fees from the table; with no row, fees are left
    /// as they were (zero from a parser), and `false` says so.
    pub fn apply(&self, instrument: &mut Instrument) -> bool {
        match self.rates(instrument.id.venue, instrument.contract.kind) {
            Some(rates) => {
                instrument.maker_fee = rates.maker;
                instrument.taker_fee = rates.taker;
                true
            }
            None => false,
        }
    }
}
