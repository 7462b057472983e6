//! Leverage brackets: how much position a leverage allows, and the
//! maintenance margin rate at each size (Binance `GET /fapi/v1/leverageBracket`).

use kestrel_model::Decimal;

/// One tier of position notional.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bracket {
    /// The largest notional of the tier, in the settlement asset.
    pub notional_cap: Decimal,
    /// The highest leverage allowed in it.
    pub max_leverage: u32,
    /// The maintenance margin rate.
    pub maint_rate: Decimal,
}

/// A tier with its floor and maintenance amount, as the venue lists it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BracketView {
    /// 1-based.
    pub number: usize,
    /// The tier itself.
    pub bracket: Bracket,
    /// The smallest notional of the tier (the previous cap).
    pub floor: Decimal,
    /// The maintenance amount (`cum`): what keeps the margin continuous
    /// where two tiers meet.
    pub cum: Decimal,
}

/// A contract's tiers, smallest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Brackets(Vec<Bracket>);

/// Why a bracket table was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BracketError {
    /// No tiers.
    #[error("a bracket table needs at least one tier")]
    Empty,
    /// Caps must grow and leverages must not.
    #[error("tiers must have growing caps, falling leverage and rising rates")]
    Unordered,
}

impl Brackets {
    /// Tiers, smallest first: caps growing, leverage not growing, rates not
    /// falling.
    pub fn new(tiers: Vec<Bracket>) -> Result<Self, BracketError> {
        if tiers.is_empty() {
            return Err(BracketError::Empty);
        }
        let ordered = tiers.windows(2).all(|w| {
            w[0].notional_cap < w[1].notional_cap
                && w[0].max_leverage >= w[1].max_leverage
                && w[0].maint_rate <= w[1].maint_rate
        });
        if !ordered || tiers.iter().any(|t| t.max_leverage == 0) {
            return Err(BracketError::Unordered);
        }
        Ok(Self(tiers))
    }

    /// Binance USDⓈ-M BTCUSDT's published tiers as of 2024: 125× up to
    /// 50,000 USDT at 0.40 %, down to 1× up to 1.8 billion at 50 %.
    pub fn binance_btcusdt() -> Self {
        let tier = |cap: i64, lev: u32, rate: &str| Bracket {
            notional_cap: Decimal::from(cap),
            max_leverage: lev,
            maint_rate: Decimal::parse(rate).unwrap_or(Decimal::ZERO),
        };
        Self(vec![
            tier(50_000, 125, "0.004"),
            tier(600_000, 100, "0.005"),
            tier(3_000_000, 75, "0.0065"),
            tier(12_000_000, 50, "0.01"),
            tier(70_000_000, 25, "0.02"),
            tier(100_000_000, 20, "0.025"),
            tier(230_000_000, 10, "0.05"),
            tier(480_000_000, 5, "0.1"),
            tier(600_000_000, 4, "0.125"),
            tier(800_000_000, 3, "0.15"),
            tier(1_200_000_000, 2, "0.25"),
            tier(1_800_000_000, 1, "0.5"),
        ])
    }

    /// Every tier with its floor and maintenance amount. The amount follows
    /// from continuity: `cum[k] = cum[k−1] + floor[k] × (rate[k] − rate[k−1])`.
    pub fn views(&self) -> impl Iterator<Item = BracketView> + '_ {
        let mut floor = Decimal::ZERO;
        let mut cum = Decimal::ZERO;
        let mut rate = Decimal::ZERO;
        self.0.iter().enumerate().map(move |(n, b)| {
            let step = b
                .maint_rate
                .checked_sub(rate)
                .and_then(|r| r.checked_mul(floor));
            cum = step.and_then(|s| cum.checked_add(s)).unwrap_or(cum);
            let view = BracketView {
                number: n + 1,
                bracket: *b,
                floor,
                cum,
            };
            floor = b.notional_cap;
            rate = b.maint_rate;
            view
        })
    }

    /// The tier a position of `notional` (absolute) falls in; the largest
    /// tier past the last cap.
    pub fn at(&self, notional: Decimal) -> BracketView {
        let mut last = None;
        for v in self.views() {
            if notional <= v.bracket.notional_cap {
                return v;
            }
            last = Some(v);
        }
        // `new` refuses an empty table, so the loop ran at least once.
        last.unwrap_or(BracketView {
            number: 1,
            bracket: Bracket {
                notional_cap: Decimal::ZERO,
                max_leverage: 1,
                maint_rate: Decimal::ZERO,
            },
            floor: Decimal::ZERO,
            cum: Decimal::ZERO,
        })
    }

    /// The highest leverage any tier allows.
    pub fn max_leverage(&self) -> u32 {
        self.0.first().map_or(1, |b| b.max_leverage)
    }

    /// The largest notional `leverage` allows: the cap of the last tier
    /// that still allows it.
    pub fn max_notional(&self, leverage: u32) -> Decimal {
        self.0
            .iter()
            .take_while(|b| b.max_leverage >= leverage)
            .last()
            .map_or(Decimal::ZERO, |b| b.notional_cap)
    }

    /// Maintenance margin of a position of `notional` (absolute):
    /// `notional × rate − cum` of its tier.
    pub fn maintenance(&self, notional: Decimal) -> Option<Decimal> {
        let v = self.at(notional);
        notional
            .checked_mul(v.bracket.maint_rate)?
            .checked_sub(v.cum)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    /// The maintenance amounts Binance publishes for BTCUSDT (50, 950,
    /// 11 450, … 421 481 450) follow from the caps and rates alone.
    #[test]
    fn maintenance_amounts_match_binances_published_ones() {
        let cums: Vec<Decimal> = Brackets::binance_btcusdt().views().map(|v| v.cum).collect();
        let published = [
            "0",
            "50",
            "950",
            "11450",
            "131450",
            "481450",
            "2981450",
            "14481450",
            "26481450",
            "41481450",
            "121481450",
            "421481450",
        ];
        assert_eq!(cums, published.map(d).to_vec());
    }

    /// Continuous where tiers meet: at 50 000 USDT, 0.4 % of it (200) and
    /// 0.5 % less 50 (200) agree.
    #[test]
    fn maintenance_is_continuous_and_leverage_caps_notional() {
        let b = Brackets::binance_btcusdt();
        assert_eq!(b.maintenance(d("50000")).unwrap(), d("200"));
        assert_eq!(b.maintenance(d("50000.1")).unwrap(), d("200.0005"));
        assert_eq!(b.maintenance(d("10000")).unwrap(), d("40"));
        assert_eq!(b.max_notional(125), d("50000"));
        assert_eq!(b.max_notional(20), d("100000000"));
        assert_eq!(b.max_notional(21), d("70000000"));
        assert_eq!(b.max_leverage(), 125);
        assert_eq!(b.at(d("2000000000")).number, 12);
    }

    #[test]
    fn disordered_tables_are_refused() {
        let t = |cap, lev| Bracket {
            notional_cap: Decimal::from(cap),
            max_leverage: lev,
            maint_rate: d("0.01"),
        };
        assert_eq!(Brackets::new(vec![]), Err(BracketError::Empty));
        assert_eq!(
            Brackets::new(vec![t(10, 5), t(5, 2)]),
            Err(BracketError::Unordered)
        );
        assert!(Brackets::new(vec![t(5, 5), t(10, 2)]).is_ok());
    }
}
