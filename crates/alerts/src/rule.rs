//! Alert rules as configs write them, and their conditions compiled into
//! evaluators that keep what they need (bars, indicators, a price
//! history) and answer "does it hold now?".

use std::collections::VecDeque;

use kestrel_bars::{BarAggregator, BarEvent, BarOptions};
use kestrel_indicators::{Bollinger, Macd, Rsi};
use kestrel_model::{Bar, BarSpec, Instrument, Trade};
use kestrel_signals::SignalValues;

/// One rule, as a config file writes it (`[[alerts]]`).
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    /// Its name: unique in the file, in every alert it fires.
    pub name: String,
    /// The market, `venue:NATIVE`.
    pub instrument: String,
    /// What fires it.
    pub when: Condition,
    /// How far a price must come back past its level before the rule
    /// re-arms (price thresholds only; 0: as soon as it is back).
    #[serde(default)]
    pub hysteresis: f64,
    /// The least time between two firings, s.
    #[serde(default)]
    pub cooldown_s: u64,
}

/// Which way a cross or a breakout goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Upwards.
    Up,
    /// Downwards.
    Down,
}

/// A microstructure signal of the book.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalName {
    /// Top-of-book imbalance, −1 to 1.
    Imbalance,
    /// The spread, in ticks.
    SpreadTicks,
    /// The last trade's size in standard deviations of recent sizes.
    TradeSizeZ,
}

/// When a rule holds. Tables name one condition: `{ price_above = 62000 }`,
/// `{ rsi = { bar = "1m", period = 14, above = 70 } }`, `{ any = [ … ] }`.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Condition {
    /// The last trade above a level.
    PriceAbove(f64),
    /// The last trade below a level.
    PriceBelow(f64),
    /// The last trade on the other side of a level than the one before.
    PriceCrosses(f64),
    /// The price moved at least `percent` (signed: +2 up, −2 down) over
    /// the last `window_s` seconds.
    Change {
        /// The move, percent.
        percent: f64,
        /// The window, s (at most a week).
        window_s: u64,
    },
    /// Wilder's RSI of bar closes beyond a level.
    Rsi {
        /// The bars.
        bar: String,
        /// RSI period, bars.
        #[serde(default = "fourteen")]
        period: usize,
        /// Holds above this.
        above: Option<f64>,
        /// Holds below this.
        below: Option<f64>,
    },
    /// MACD's line crossed its signal on the last bar.
    MacdCross {
        /// The bars.
        bar: String,
        /// Which way.
        direction: Direction,
    },
    /// A bar closed outside its Bollinger band (20 bars, 2 σ).
    BollingerBreakout {
        /// The bars.
        bar: String,
        /// Through the upper band or the lower.
        direction: Direction,
    },
    /// A signal of the book beyond a level.
    Signal {
        /// Which.
        name: SignalName,
        /// Holds above this.
        above: Option<f64>,
        /// Holds below this.
        below: Option<f64>,
    },
    /// Every one holds.
    All(Vec<Condition>),
    /// At least one holds.
    Any(Vec<Condition>),
}

fn fourteen() -> usize {
    14
}

/// Why a rule was refused.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum RuleError {
    /// A bar spec that does not parse or does not fit the instrument.
    #[error("rule {rule:?}: {what}")]
    Invalid {
        /// The rule.
        rule: String,
        /// What was wrong.
        what: String,
    },
}

/// The most a price history of `change` keeps, s.
const MAX_WINDOW_S: u64 = 7 * 86_400;

/// A condition compiled: the state it needs to answer.
#[derive(Debug)]
pub(crate) enum Eval {
    Above(f64),
    Below(f64),
    Crosses {
        level: f64,
        side: Option<bool>,
        crossed: bool,
    },
    Change {
        percent: f64,
        window_ns: u64,
        /// (second, last price in it), oldest first.
        history: VecDeque<(u64, f64)>,
        now: Option<f64>,
        /// Whether the history reaches back a whole window.
        full: bool,
    },
    Bars {
        bars: Box<BarAggregator>,
        on_bar: OnBar,
        holds: Option<bool>,
        /// The bars a trade closes (reused: no allocation per trade).
        closed: Vec<BarEvent>,
    },
    Signal {
        name: SignalName,
        above: Option<f64>,
        below: Option<f64>,
        value: Option<f64>,
    },
    All(Vec<Eval>),
    Any(Vec<Eval>),
}

/// What an indicator condition does with a closed bar.
#[derive(Debug)]
pub(crate) enum OnBar {
    Rsi {
        rsi: Rsi,
        above: Option<f64>,
        below: Option<f64>,
    },
    Macd {
        macd: Macd,
        direction: Direction,
        /// Line less signal at the bar before.
        before: Option<f64>,
    },
    Bollinger {
        bands: Bollinger,
        direction: Direction,
    },
}

/// Whether `value` is beyond the levels given (above the one, below the
/// other; `None` until there is a value).
fn beyond(value: Option<f64>, above: Option<f64>, below: Option<f64>) -> Option<bool> {
    let v = value?;
    Some(above.is_some_and(|a| v > a) || below.is_some_and(|b| v < b))
}

impl Eval {
    /// Compiles `condition` for `instrument`, naming `rule` in errors.
    pub(crate) fn compile(
        condition: &Condition,
        instrument: &Instrument,
        rule: &str,
    ) -> Result<Self, RuleError> {
        let invalid = |what: String| RuleError::Invalid {
            rule: rule.to_owned(),
            what,
        };
        let bars = |bar: &str| -> Result<Box<BarAggregator>, RuleError> {
            let spec: BarSpec = bar.parse().map_err(|e| invalid(format!("{e}")))?;
            BarAggregator::new(instrument, spec, BarOptions::default())
                .map(Box::new)
                .map_err(|e| invalid(format!("{e}")))
        };
        let indicator = |e: kestrel_indicators::IndicatorError| invalid(e.to_string());
        let neither = |above: &Option<f64>, below: &Option<f64>| {
            if above.is_none() && below.is_none() {
                Err(invalid("give `above`, `below` or both".into()))
            } else {
                Ok(())
            }
        };
        Ok(match condition {
            Condition::PriceAbove(level) => Self::Above(*level),
            Condition::PriceBelow(level) => Self::Below(*level),
            Condition::PriceCrosses(level) => Self::Crosses {
                level: *level,
                side: None,
                crossed: false,
            },
            Condition::Change { percent, window_s } => {
                if *window_s == 0 || *window_s > MAX_WINDOW_S || *percent == 0.0 {
                    return Err(invalid(format!(
                        "change: a window of 1 s to {MAX_WINDOW_S} s and a move other than 0"
                    )));
                }
                Self::Change {
                    percent: *percent,
                    window_ns: window_s * 1_000_000_000,
                    history: VecDeque::new(),
                    now: None,
                    full: false,
                }
            }
            Condition::Rsi {
                bar,
                period,
                above,
                below,
            } => {
                neither(above, below)?;
                Self::Bars {
                    bars: bars(bar)?,
                    on_bar: OnBar::Rsi {
                        rsi: Rsi::new(*period).map_err(indicator)?,
                        above: *above,
                        below: *below,
                    },
                    holds: None,
                    closed: Vec::new(),
                }
            }
            Condition::MacdCross { bar, direction } => Self::Bars {
                bars: bars(bar)?,
                on_bar: OnBar::Macd {
                    macd: Macd::new(12, 26, 9).map_err(indicator)?,
                    direction: *direction,
                    before: None,
                },
                holds: None,
                closed: Vec::new(),
            },
            Condition::BollingerBreakout { bar, direction } => Self::Bars {
                bars: bars(bar)?,
                on_bar: OnBar::Bollinger {
                    bands: Bollinger::new(20, 2.0, 2.0).map_err(indicator)?,
                    direction: *direction,
                },
                holds: None,
                closed: Vec::new(),
            },
            Condition::Signal { name, above, below } => {
                neither(above, below)?;
                Self::Signal {
                    name: *name,
                    above: *above,
                    below: *below,
                    value: None,
                }
            }
            Condition::All(list) | Condition::Any(list) => {
                if list.is_empty() {
                    return Err(invalid(
                        "`all` and `any` need at least one condition".into(),
                    ));
                }
                let compiled = list
                    .iter()
                    .map(|c| Self::compile(c, instrument, rule))
                    .collect::<Result<Vec<_>, _>>()?;
                if matches!(condition, Condition::All(_)) {
                    Self::All(compiled)
                } else {
                    Self::Any(compiled)
                }
            }
        })
    }

    /// Takes a trade (`price` in the instrument's units).
    pub(crate) fn on_trade(&mut self, trade: &Trade, price: f64, tick: &kestrel_model::Increment) {
        match self {
            Self::Crosses {
                level,
                side,
                crossed,
            } => {
                let above = price > *level;
                *crossed = side.is_some_and(|s| s != above);
                *side = Some(above);
            }
            Self::Change {
                window_ns,
                history,
                now,
                full,
                ..
            } => {
                let at = trade.time.exchange.as_nanos();
                let second = at / 1_000_000_000;
                match history.back_mut() {
                    Some((s, p)) if *s == second => *p = price,
                    _ => history.push_back((second, price)),
                }
                let oldest = (at.saturating_sub(*window_ns)) / 1_000_000_000;
                // Keep the last price at or before the window's start.
                while history.len() > 1 && history.get(1).is_some_and(|(s, _)| *s <= oldest) {
                    history.pop_front();
                }
                *full = history.front().is_some_and(|(s, _)| *s <= oldest);
                *now = Some(price);
            }
            Self::Bars {
                bars,
                on_bar,
                holds,
                closed,
            } => {
                closed.clear();
                bars.on_trade(trade, trade.time.exchange, closed);
                for event in closed.iter() {
                    if let BarEvent::Closed(bar) = event {
                        *holds = on_bar.on_bar(bar, tick);
                    }
                }
            }
            Self::All(list) | Self::Any(list) => {
                for e in list {
                    e.on_trade(trade, price, tick);
                }
            }
            Self::Above(_) | Self::Below(_) | Self::Signal { .. } => {}
        }
    }

    /// Takes the book's signals and spread (ticks).
    pub(crate) fn on_book(&mut self, signals: &SignalValues, spread_ticks: Option<f64>) {
        match self {
            Self::Signal { name, value, .. } => {
                *value = match name {
                    SignalName::Imbalance => signals.imbalance,
                    SignalName::SpreadTicks => spread_ticks,
                    SignalName::TradeSizeZ => signals.trade_size_z,
                }
            }
            Self::All(list) | Self::Any(list) => {
                for e in list {
                    e.on_book(signals, spread_ticks);
                }
            }
            _ => {}
        }
    }

    /// Whether it holds at `price` (the last trade); `None` while it
    /// cannot tell (no price, indicators warming up).
    pub(crate) fn holds(&self, price: Option<f64>) -> Option<bool> {
        match self {
            Self::Above(level) => price.map(|p| p > *level),
            Self::Below(level) => price.map(|p| p < *level),
            Self::Crosses { side, crossed, .. } => side.map(|_| *crossed),
            Self::Change {
                percent,
                history,
                now,
                full,
                ..
            } => {
                if !full {
                    return None;
                }
                let (_, then) = history.front()?;
                let moved = (now.as_ref()? / then - 1.0) * 100.0;
                Some(if *percent > 0.0 {
                    moved >= *percent
                } else {
                    moved <= *percent
                })
            }
            Self::Bars { holds, .. } => *holds,
            Self::Signal {
                above,
                below,
                value,
                ..
            } => beyond(*value, *above, *below),
            Self::All(list) => list
                .iter()
                .map(|e| e.holds(price))
                .try_fold(true, |all, h| Some(all && h?)),
            Self::Any(list) => {
                let known: Vec<_> = list.iter().map(|e| e.holds(price)).collect();
                if known.contains(&Some(true)) {
                    Some(true)
                } else if known.iter().all(Option::is_some) {
                    Some(false)
                } else {
                    None
                }
            }
        }
    }

    /// Whether it holds for one update at a time (a price crossing): two
    /// crossings in a row are two events, with no re-arm between.
    pub(crate) fn is_event(&self) -> bool {
        matches!(self, Self::Crosses { .. })
    }

    /// The level a price threshold re-arms at, `hysteresis` back inside.
    pub(crate) fn rearm_level(&self, hysteresis: f64) -> Option<(f64, bool)> {
        match self {
            Self::Above(level) => Some((level - hysteresis, false)),
            Self::Below(level) => Some((level + hysteresis, true)),
            _ => None,
        }
    }
}

impl OnBar {
    /// Whether the condition holds after `bar` closed.
    fn on_bar(&mut self, bar: &Bar, tick: &kestrel_model::Increment) -> Option<bool> {
        let close = bar.close.to_f64(tick);
        match self {
            Self::Rsi { rsi, above, below } => beyond(rsi.update(close).ok()?, *above, *below),
            Self::Macd {
                macd,
                direction,
                before,
            } => {
                let value = macd.update(close).ok()??;
                let gap = value.macd - value.signal;
                let was = before.replace(gap)?;
                Some(match direction {
                    Direction::Up => was <= 0.0 && gap > 0.0,
                    Direction::Down => was >= 0.0 && gap < 0.0,
                })
            }
            Self::Bollinger { bands, direction } => {
                let b = bands.update(close).ok()??;
                Some(match direction {
                    Direction::Up => close > b.upper,
                    Direction::Down => close < b.lower,
                })
            }
        }
    }
}
