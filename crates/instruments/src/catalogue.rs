//! The catalogue itself: instruments indexed by native and canonical name.

use std::collections::HashMap;

use kestrel_model::{Instrument, InstrumentId, Venue};

/// Why a lookup found nothing. The message names the command that would
/// fetch the missing market, so a user is never left guessing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    /// The venue has no instrument of that name in this catalogue.
    #[error(
        "{venue} symbol {symbol:?} is not in the instrument catalogue; fetch the venue's \
         instruments with `kestrel instruments fetch --venue {venue_arg} -o FILE` and pass \
         `--catalogue FILE`",
        venue_arg = venue.as_str().to_ascii_lowercase()
    )]
    NotFound {
        /// The venue asked for.
        venue: Venue,
        /// The symbol as given.
        symbol: String,
    },
    /// The text names no venue we know, or is not `VENUE:SYMBOL` or
    /// `CANONICAL@VENUE`.
    #[error(
        "{0:?} does not name an instrument: write VENUE:NATIVE (binance_usdm:BTCUSDT) or \
         CANONICAL@VENUE (BTC/USDT:USDT@BINANCE_USDM)"
    )]
    BadName(String),
}

/// Instruments by venue and symbol. Lookups are by hash; the hot path never
/// calls them (it carries dense indices assigned when a session starts).
#[derive(Clone, Debug, Default)]
pub struct Catalogue {
    instruments: Vec<Instrument>,
    by_native: HashMap<(Venue, String), usize>,
    by_id: HashMap<InstrumentId, usize>,
}

impl Catalogue {
    /// An empty catalogue.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an instrument, replacing one of the same venue and native
    /// symbol (a newer listing of the same market), which it returns.
    pub fn insert(&mut self, instrument: Instrument) -> Option<Instrument> {
        let key = native_key(instrument.id.venue, instrument.native_symbol.as_str());
        if let Some(&at) = self.by_native.get(&key) {
            let old = std::mem::replace(&mut self.instruments[at], instrument);
            self.by_id.remove(&old.id);
            self.by_id.insert(self.instruments[at].id, at);
            return Some(old);
        }
        let at = self.instruments.len();
        self.by_id.insert(instrument.id, at);
        self.by_native.insert(key, at);
        self.instruments.push(instrument);
        None
    }

    /// Adds every instrument of `other`, its listings replacing ours.
    pub fn extend(&mut self, other: impl IntoIterator<Item = Instrument>) {
        for instrument in other {
            self.insert(instrument);
        }
    }

    /// The instrument a venue calls `native` (as frames and order endpoints
    /// spell it; case is ignored).
    pub fn find(&self, venue: Venue, native: &str) -> Result<&Instrument, LookupError> {
        self.by_native
            .get(&native_key(venue, native))
            .map(|&at| &self.instruments[at])
            .ok_or_else(|| LookupError::NotFound {
                venue,
                symbol: native.to_owned(),
            })
    }

    /// The instrument with this canonical id.
    pub fn get(&self, id: &InstrumentId) -> Result<&Instrument, LookupError> {
        self.by_id
            .get(id)
            .map(|&at| &self.instruments[at])
            .ok_or_else(|| LookupError::NotFound {
                venue: id.venue,
                symbol: id.symbol.to_string(),
            })
    }

    /// An instrument named in a config or on the command line, either
    /// `VENUE:NATIVE` (`binance_usdm:BTCUSDT`) or `CANONICAL@VENUE`
    /// (`BTC/USDT:USDT@BINANCE_USDM`).
    pub fn resolve(&self, name: &str) -> Result<&Instrument, LookupError> {
        let bad = || LookupError::BadName(name.to_owned());
        if let Some((symbol, venue)) = name.rsplit_once('@') {
            let venue: Venue = venue.parse().map_err(|_| bad())?;
            let symbol = symbol.parse().map_err(|_| bad())?;
            return self.get(&InstrumentId { venue, symbol });
        }
        let (venue, native) = name.split_once(':').ok_or_else(bad)?;
        self.find(venue.parse().map_err(|_| bad())?, native)
    }

    /// Every instrument, in insertion order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &Instrument> {
        self.instruments.iter()
    }

    /// How many instruments it holds.
    pub fn len(&self) -> usize {
        self.instruments.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.instruments.is_empty()
    }
}

impl FromIterator<Instrument> for Catalogue {
    fn from_iter<T: IntoIterator<Item = Instrument>>(iter: T) -> Self {
        let mut catalogue = Self::new();
        catalogue.extend(iter);
        catalogue
    }
}

fn native_key(venue: Venue, native: &str) -> (Venue, String) {
    (venue, native.to_ascii_uppercase())
}
