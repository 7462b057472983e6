//! Turning one instrument's text fields into typed values, with errors
//! that name the symbol and the field.

use kestrel_model::{
    Asset, Decimal, Increment, InstrumentId, Qty, Symbol, Venue, symbol_from_parts,
};

use super::ParseError;
use crate::civil::yymmdd;

/// The context of one instrument's fields: errors name both.
pub struct Fields<'a> {
    /// The endpoint's name, as errors print it.
    pub endpoint: &'static str,
    /// The instrument, as the venue names it.
    pub symbol: &'a str,
}

impl Fields<'_> {
    /// An error about `field` of this instrument.
    pub fn error(&self, field: &'static str, problem: impl Into<String>) -> ParseError {
        ParseError::Field {
            endpoint: self.endpoint,
            symbol: self.symbol.to_owned(),
            field,
            problem: problem.into(),
        }
    }

    /// A field that must be present and non-empty.
    pub fn required<'t>(
        &self,
        field: &'static str,
        text: Option<&'t str>,
    ) -> Result<&'t str, ParseError> {
        match text {
            Some(t) if !t.is_empty() => Ok(t),
            _ => Err(self.error(field, "is missing")),
        }
    }

    /// A grid step. Binance spot pads to eight decimals (`0.01000000`); the
    /// padding is trimmed when `trim` so prices print the way frames do.
    pub fn increment(
        &self,
        field: &'static str,
        text: Option<&str>,
        trim: bool,
    ) -> Result<Increment, ParseError> {
        let text = self.required(field, text)?;
        let text = if trim { trim_zeros(text) } else { text };
        Increment::parse(text).map_err(|e| self.error(field, format!("{text:?}: {e}")))
    }

    /// An exact decimal.
    pub fn decimal(&self, field: &'static str, text: Option<&str>) -> Result<Decimal, ParseError> {
        let text = self.required(field, text)?;
        Decimal::parse(text).map_err(|e| self.error(field, format!("{text:?}: {e}")))
    }

    /// An optional decimal: absent or empty is `None`; so is zero when
    /// `zero_is_none` (venues write `0` for "no limit").
    pub fn optional_decimal(
        &self,
        field: &'static str,
        text: Option<&str>,
        zero_is_none: bool,
    ) -> Result<Option<Decimal>, ParseError> {
        match text {
            None | Some("") => Ok(None),
            Some(_) => {
                let value = self.decimal(field, text)?;
                Ok((!(zero_is_none && value == Decimal::ZERO)).then_some(value))
            }
        }
    }

    /// A quantity on `lot`'s grid.
    pub fn qty(
        &self,
        field: &'static str,
        text: Option<&str>,
        lot: &Increment,
    ) -> Result<Qty, ParseError> {
        let text = self.required(field, text)?;
        Qty::parse(trim_zeros(text), lot)
            .map_err(|e| self.error(field, format!("{text:?} on a lot of {lot}: {e}")))
    }

    /// An optional quantity cap; zero and empty mean none. A cap off the
    /// lot grid is rounded down onto it (a venue's maximum is a bound, not
    /// an order), so `9222449.99` on a lot of 1 caps at 9222449.
    pub fn optional_qty(
        &self,
        field: &'static str,
        text: Option<&str>,
        lot: &Increment,
    ) -> Result<Option<Qty>, ParseError> {
        let Some(value) = self.optional_decimal(field, text, true)? else {
            return Ok(None);
        };
        if value.is_negative() {
            return Err(self.error(field, "is negative"));
        }
        let steps = value
            .checked_div(lot.as_decimal())
            .map(|ratio| ratio.to_parts())
            .and_then(|(mantissa, scale)| {
                let whole = mantissa / 10i128.checked_pow(u32::from(scale))?;
                u64::try_from(whole).ok()
            })
            .ok_or_else(|| self.error(field, "is out of range"))?;
        Ok(Some(Qty::from_lots(steps)))
    }

    /// An asset code that must be present.
    pub fn asset(&self, field: &'static str, text: Option<&str>) -> Result<Asset, ParseError> {
        let text = self.required(field, text)?;
        Asset::new(text).map_err(|e| self.error(field, format!("{text:?}: {e}")))
    }

    /// The venue's own name of the instrument, checked.
    pub fn native(&self) -> Result<Symbol, ParseError> {
        Symbol::new(self.symbol).map_err(|e| self.error("symbol", e.to_string()))
    }

    /// The canonical id from the parts the listing states.
    pub fn id(
        &self,
        venue: Venue,
        base: &Asset,
        quote: &Asset,
        settle: Option<&Asset>,
        expiry_ms: Option<u64>,
    ) -> Result<InstrumentId, ParseError> {
        let expiry = expiry_ms.map(yymmdd);
        let symbol = symbol_from_parts(
            base.as_str(),
            quote.as_str(),
            settle.map(Asset::as_str),
            expiry.as_deref(),
        )
        .map_err(|e| self.error("symbol", e.to_string()))?;
        Ok(InstrumentId { venue, symbol })
    }

    /// A millisecond timestamp written as a number or a string.
    pub fn millis(&self, field: &'static str, text: &str) -> Result<u64, ParseError> {
        text.parse()
            .map_err(|_| self.error(field, format!("{text:?} is not a millisecond time")))
    }
}

/// `0.01000000` → `0.01`, `1.00000000` → `1`.
fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}
