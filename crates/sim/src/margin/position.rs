//! One position in one-way mode: its signed size, its entry price, and what
//! a fill does to both.

use kestrel_model::{Decimal, Side};

/// How a position's margin is held.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum MarginType {
    /// Every cross position shares the wallet; a loss can take all of it.
    #[default]
    Cross,
    /// The position has its own margin; its liquidation takes only that.
    Isolated,
}

impl MarginType {
    /// Binance's name (`CROSSED`, `ISOLATED`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Cross => "CROSSED",
            Self::Isolated => "ISOLATED",
        }
    }
}

/// A position: size (positive long, negative short) in the instrument's
/// units, the average price it was opened at, and for isolated margin the
/// margin set aside for it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Position {
    /// Signed size.
    pub qty: Decimal,
    /// Average entry price; 0 when flat.
    pub entry: Decimal,
    /// Isolated margin (0 for cross): margin put in on opening, less its
    /// share on each reduction, less losses and funding.
    pub isolated: Decimal,
}

/// What a fill did to a position.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FillEffect {
    /// Profit realised by the part that closed (0 if none did).
    pub realized: Decimal,
    /// Isolated margin the fill released to the wallet (0 for cross).
    pub released: Decimal,
}

fn signed(side: Side, qty: Decimal) -> Option<Decimal> {
    match side {
        Side::Buy => Some(qty),
        Side::Sell => qty.checked_neg(),
    }
}

/// The absolute value.
pub(crate) fn abs(d: Decimal) -> Decimal {
    if d.is_negative() {
        d.checked_neg().unwrap_or(d)
    } else {
        d
    }
}

impl Position {
    /// Whether there is none.
    pub fn is_flat(&self) -> bool {
        self.qty == Decimal::ZERO
    }

    /// Profit of the position at `mark`: (mark − entry) × qty.
    pub fn unrealized(&self, mark: Decimal) -> Option<Decimal> {
        mark.checked_sub(self.entry)?.checked_mul(self.qty)
    }

    /// Value at `mark`, absolute.
    pub fn notional(&self, mark: Decimal) -> Option<Decimal> {
        Some(abs(self.qty.checked_mul(mark)?))
    }

    /// How much of a `side` order of `qty` would add to the position rather
    /// than reduce it.
    pub fn opening_part(&self, side: Side, qty: Decimal) -> Decimal {
        let reducing = match side {
            Side::Buy if self.qty.is_negative() => abs(self.qty),
            Side::Sell if self.qty > Decimal::ZERO => self.qty,
            _ => Decimal::ZERO,
        };
        match qty.checked_sub(reducing) {
            Some(rest) if rest > Decimal::ZERO => rest,
            _ => Decimal::ZERO,
        }
    }

    /// Books a fill of `qty` at `price`. A fill on the position's side (or
    /// from flat) averages the entry; one against it realises
    /// (price − entry) on the part it closes, and what goes beyond opens
    /// the other way at `price`. Isolated margin: `qty × price / leverage`
    /// of what opens is put in, and a reduction releases its share.
    pub fn fill(
        &mut self,
        side: Side,
        price: Decimal,
        qty: Decimal,
        isolated_leverage: Option<u32>,
    ) -> Option<FillEffect> {
        let delta = signed(side, qty)?;
        let mut effect = FillEffect::default();
        let same_way = self.qty == Decimal::ZERO || self.qty.is_negative() == delta.is_negative();
        let opened = if same_way {
            let size = abs(self.qty);
            let cost = size
                .checked_mul(self.entry)?
                .checked_add(qty.checked_mul(price)?)?;
            let new_size = size.checked_add(qty)?;
            self.entry = cost.checked_div(new_size)?;
            self.qty = self.qty.checked_add(delta)?;
            qty
        } else {
            let size = abs(self.qty);
            let closed = if qty < size { qty } else { size };
            let long = !self.qty.is_negative();
            let per_unit = if long {
                price.checked_sub(self.entry)?
            } else {
                self.entry.checked_sub(price)?
            };
            effect.realized = per_unit.checked_mul(closed)?;
            if self.isolated != Decimal::ZERO {
                effect.released = self.isolated.checked_mul(closed)?.checked_div(size)?;
                self.isolated = self.isolated.checked_sub(effect.released)?;
            }
            let rest = qty.checked_sub(closed)?;
            if closed == size {
                // Flat, then what is left opens the other way at the price.
                self.qty = Decimal::ZERO;
                self.entry = Decimal::ZERO;
                self.isolated = Decimal::ZERO;
                if rest > Decimal::ZERO {
                    self.qty = signed(side, rest)?;
                    self.entry = price;
                }
            } else {
                self.qty = self.qty.checked_add(delta)?;
            }
            rest
        };
        if let Some(leverage) = isolated_leverage.filter(|_| opened > Decimal::ZERO) {
            let margin = opened
                .checked_mul(price)?
                .checked_div(Decimal::from(i64::from(leverage)))?;
            self.isolated = self.isolated.checked_add(margin)?;
        }
        Some(effect)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    /// Worked by hand: buy 1 at 60 000, buy 1 at 62 000: long 2 at 61 000.
    /// Sell 0.5 at 63 000: realises 0.5 × 2 000 = 1 000, entry unchanged.
    /// Sell 2 at 60 000: closes 1.5 (realises 1.5 × −1 000 = −1 500) and
    /// opens 0.5 short at 60 000.
    #[test]
    fn entries_average_reductions_realise_and_flips_reopen() {
        let mut p = Position::default();
        p.fill(Side::Buy, d("60000"), d("1"), None).unwrap();
        p.fill(Side::Buy, d("62000"), d("1"), None).unwrap();
        assert_eq!((p.qty, p.entry), (d("2"), d("61000")));
        let e = p.fill(Side::Sell, d("63000"), d("0.5"), None).unwrap();
        assert_eq!(e.realized, d("1000"));
        assert_eq!((p.qty, p.entry), (d("1.5"), d("61000")));
        let e = p.fill(Side::Sell, d("60000"), d("2"), None).unwrap();
        assert_eq!(e.realized, d("-1500"));
        assert_eq!((p.qty, p.entry), (d("-0.5"), d("60000")));
        // The short gains as the price falls: 0.5 × 1 000.
        assert_eq!(p.unrealized(d("59000")).unwrap(), d("500"));
        assert_eq!(p.opening_part(Side::Buy, d("0.8")), d("0.3"));
        assert_eq!(p.opening_part(Side::Sell, d("0.8")), d("0.8"));
    }

    /// Isolated at 10×: opening 0.2 at 50 000 puts in 1 000; closing half
    /// releases 500; closing the rest releases the rest.
    #[test]
    fn isolated_margin_goes_in_on_opening_and_out_on_reduction() {
        let mut p = Position::default();
        p.fill(Side::Sell, d("50000"), d("0.2"), Some(10)).unwrap();
        assert_eq!(p.isolated, d("1000"));
        let e = p.fill(Side::Buy, d("49000"), d("0.1"), Some(10)).unwrap();
        assert_eq!((e.realized, e.released), (d("100"), d("500")));
        let e = p.fill(Side::Buy, d("51000"), d("0.1"), Some(10)).unwrap();
        assert_eq!((e.realized, e.released), (d("-100"), d("500")));
        assert!(p.is_flat());
        assert_eq!(p.isolated, Decimal::ZERO);
    }
}
