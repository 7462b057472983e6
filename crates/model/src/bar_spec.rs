//! [`BarSpec`]: what closes a bar. A bar is keyed by its instrument (which
//! names its venue) and its spec, so bars of one symbol on two venues, or
//! of two periods, never collide.

use std::fmt;
use std::num::NonZeroU64;
use std::str::FromStr;

use crate::Decimal;

const SECOND: u64 = 1_000_000_000;

/// What closes a bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum BarSpec {
    /// A fixed span of event time, aligned to the Unix epoch, in ns
    /// (`1s`, `1m`, `5m`, `15m`, `1h`, `4h`, `1d`, or any multiple).
    Time(NonZeroU64),
    /// Every this many trades (`ticks:100`).
    Ticks(NonZeroU64),
    /// Every this much base quantity traded (`volume:2.5`); a trade that
    /// crosses the line is split between the two bars.
    Volume(Decimal),
    /// Every this much quote notional, price × quantity (`notional:1e6` is
    /// not taken; write `notional:1000000`); split like volume.
    Notional(Decimal),
}

/// Why a bar spec was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BarSpecError {
    /// Not one of the forms this parser reads.
    #[error(
        "bar spec {0:?}: expected a period such as 1s, 1m, 5m, 1h, 4h or 1d, or ticks:N, volume:Q or notional:V"
    )]
    Form(String),
    /// A zero or negative size.
    #[error("bar spec {0:?}: the size must be above zero")]
    NotPositive(String),
    /// A period that is not a fixed span (a month) or too long to count.
    #[error("bar spec {0:?}: not a fixed span of at most 366 days")]
    Span(String),
}

impl BarSpec {
    /// One minute.
    pub const MINUTE: Self = match NonZeroU64::new(60 * SECOND) {
        Some(ns) => Self::Time(ns),
        None => unreachable!(),
    };

    /// The span of a time bar, in ns.
    pub const fn period_ns(&self) -> Option<u64> {
        match self {
            Self::Time(ns) => Some(ns.get()),
            _ => None,
        }
    }
}

impl FromStr for BarSpec {
    type Err = BarSpecError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim();
        let form = || BarSpecError::Form(s.to_owned());
        let positive = |d: &str| -> Result<Decimal, BarSpecError> {
            let value = Decimal::parse(d.trim()).map_err(|_| form())?;
            if value.is_negative() || value == Decimal::ZERO {
                return Err(BarSpecError::NotPositive(s.to_owned()));
            }
            Ok(value)
        };
        if let Some((kind, size)) = text.split_once(':') {
            return match kind.trim() {
                "ticks" => {
                    let n: u64 = size.trim().parse().map_err(|_| form())?;
                    NonZeroU64::new(n)
                        .map(Self::Ticks)
                        .ok_or_else(|| BarSpecError::NotPositive(s.to_owned()))
                }
                "volume" => positive(size).map(Self::Volume),
                "notional" => positive(size).map(Self::Notional),
                _ => Err(form()),
            };
        }
        let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(form)?;
        let (count, unit) = text.split_at(split);
        let count: u64 = count.parse().map_err(|_| form())?;
        let unit_ns = match unit {
            "s" => SECOND,
            "m" => 60 * SECOND,
            "h" => 3_600 * SECOND,
            "d" => 86_400 * SECOND,
            "w" => 7 * 86_400 * SECOND,
            // A month is not a fixed span.
            "M" => return Err(BarSpecError::Span(s.to_owned())),
            _ => return Err(form()),
        };
        if count == 0 {
            return Err(BarSpecError::NotPositive(s.to_owned()));
        }
        count
            .checked_mul(unit_ns)
            .filter(|&ns| ns <= 366 * 86_400 * SECOND)
            .and_then(NonZeroU64::new)
            .map(Self::Time)
            .ok_or_else(|| BarSpecError::Span(s.to_owned()))
    }
}

impl fmt::Display for BarSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Time(ns) => {
                let ns = ns.get();
                let units = [
                    (7 * 86_400 * SECOND, "w"),
                    (86_400 * SECOND, "d"),
                    (3_600 * SECOND, "h"),
                    (60 * SECOND, "m"),
                    (SECOND, "s"),
                ];
                match units.iter().find(|(unit, _)| ns % unit == 0) {
                    Some((unit, name)) => write!(f, "{}{name}", ns / unit),
                    // Not from the parser: shown in ns.
                    None => write!(f, "{ns}ns"),
                }
            }
            Self::Ticks(n) => write!(f, "ticks:{n}"),
            Self::Volume(q) => write!(f, "volume:{q}"),
            Self::Notional(v) => write!(f, "notional:{v}"),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn periods_and_sizes_parse_and_print_back() {
        for text in ["1s", "1m", "5m", "15m", "1h", "4h", "1d", "90s", "1w"] {
            let spec: BarSpec = text.parse().unwrap();
            assert_eq!(spec.to_string(), text);
        }
        assert_eq!("90m".parse::<BarSpec>().unwrap().to_string(), "90m");
        assert_eq!("120m".parse::<BarSpec>().unwrap().to_string(), "2h");
        assert_eq!("1m".parse::<BarSpec>().unwrap(), BarSpec::MINUTE);
        assert_eq!(
            "ticks:100".parse::<BarSpec>().unwrap().to_string(),
            "ticks:100"
        );
        assert_eq!(
            "volume:2.5".parse::<BarSpec>().unwrap(),
            BarSpec::Volume(Decimal::parse("2.5").unwrap())
        );
        assert_eq!(
            "notional:100000".parse::<BarSpec>().unwrap().to_string(),
            "notional:100000"
        );
    }

    #[test]
    fn zero_and_nonsense_are_refused() {
        for bad in ["0m", "ticks:0", "volume:0", "volume:-1", "notional:0.0"] {
            assert!(
                matches!(bad.parse::<BarSpec>(), Err(BarSpecError::NotPositive(_))),
                "{bad}"
            );
        }
        for bad in [
            "",
            "m",
            "1x",
            "1.5m",
            "ticks:abc",
            "minute",
            "-1m",
            "bars:3",
        ] {
            assert!(
                matches!(bad.parse::<BarSpec>(), Err(BarSpecError::Form(_))),
                "{bad}"
            );
        }
        for bad in ["1M", "367d", "99999999999999999d"] {
            assert!(
                matches!(bad.parse::<BarSpec>(), Err(BarSpecError::Span(_))),
                "{bad}"
            );
        }
    }
}
