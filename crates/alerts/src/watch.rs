//! [`AlertWatch`]: the rules as a strategy that never trades. The kernel
//! feeds it trades and books as it feeds any strategy, so alerts run on a
//! recording, on paper and live alike, by event time.
//!
//! Each rule is armed or not. An armed rule whose condition holds fires
//! once and disarms; it re-arms when the condition stops holding (a price
//! threshold only once the price is `hysteresis` back inside). A price
//! crossing is an event of one update: each crossing fires. A firing
//! within `cooldown_s` of the rule's last one is suppressed (counted, and
//! the rule disarms as if it had fired), so a condition flickering at its
//! level cannot spam.

use std::sync::mpsc::Sender;

use kestrel_book::OrderBook;
use kestrel_model::{Increment, Instrument, InstrumentIndex, Trade, UnixNanos};
use kestrel_signals::SignalValues;
use kestrel_strategy::{Context, Strategy};

use crate::rule::{Eval, RuleConfig, RuleError};

/// One firing.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Alert {
    /// `rule@time_ns`: the same firing has the same id however often a
    /// recording is replayed, so a receiver can drop a repeat.
    pub id: String,
    /// The rule's name.
    pub rule: String,
    /// The market, canonical id.
    pub instrument: String,
    /// When the update that fired it reached the kernel, ns: the recorded
    /// arrival on a recording, the clock live.
    pub time_ns: u64,
    /// The last trade's price then, if any.
    pub price: Option<f64>,
}

/// What the watch reports, in order.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum WatchEvent {
    /// A rule fired.
    Fired(Alert),
    /// A rule re-armed.
    Rearmed {
        /// The rule.
        rule: String,
        /// When, ns.
        time_ns: u64,
    },
    /// A firing within the rule's cooldown, not delivered.
    Suppressed {
        /// The rule.
        rule: String,
        /// When, ns.
        time_ns: u64,
    },
}

/// A rule's state, as the journal restores it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RuleState {
    /// Whether it may fire.
    pub disarmed: bool,
    /// Its last firing, ns.
    pub last_fired_ns: Option<u64>,
}

struct Rule {
    config: RuleConfig,
    instrument: InstrumentIndex,
    name: String,
    tick: Increment,
    eval: Eval,
    state: RuleState,
    price: Option<f64>,
}

/// The rules, evaluated on every update of their markets.
pub struct AlertWatch {
    rules: Vec<Rule>,
    events: Vec<WatchEvent>,
    sink: Option<Sender<WatchEvent>>,
}

impl AlertWatch {
    /// The rules, each on the instrument at its index in `instruments` (the
    /// kernel's order); names must be unique.
    pub fn new(
        rules: &[(RuleConfig, InstrumentIndex)],
        instruments: &[Instrument],
    ) -> Result<Self, RuleError> {
        let mut compiled: Vec<Rule> = Vec::with_capacity(rules.len());
        for (config, ix) in rules {
            let invalid = |what: String| RuleError::Invalid {
                rule: config.name.clone(),
                what,
            };
            if compiled.iter().any(|r| r.config.name == config.name) {
                return Err(invalid("two rules of this name".into()));
            }
            let instrument = instruments
                .get(ix.get())
                .ok_or_else(|| invalid(format!("no instrument {ix}")))?;
            if !(config.hysteresis.is_finite() && config.hysteresis >= 0.0) {
                return Err(invalid("hysteresis must be 0 or more".into()));
            }
            compiled.push(Rule {
                eval: Eval::compile(&config.when, instrument, &config.name)?,
                config: config.clone(),
                instrument: *ix,
                name: instrument.id.to_string(),
                tick: instrument.tick,
                state: RuleState::default(),
                price: None,
            });
        }
        Ok(Self {
            rules: compiled,
            events: Vec::new(),
            sink: None,
        })
    }

    /// Streams every event to `sink` as it happens (the in-process channel
    /// a server carries to users), besides keeping it.
    pub fn with_sink(mut self, sink: Sender<WatchEvent>) -> Self {
        self.sink = Some(sink);
        self
    }

    /// Restores rules' states (from the journal) by name.
    pub fn restore(&mut self, states: &[(String, RuleState)]) {
        for (name, state) in states {
            if let Some(rule) = self.rules.iter_mut().find(|r| &r.config.name == name) {
                rule.state = *state;
            }
        }
    }

    /// Every event so far.
    pub fn events(&self) -> &[WatchEvent] {
        &self.events
    }

    fn emit(&mut self, event: WatchEvent) {
        if let Some(sink) = &self.sink {
            // A receiver gone away leaves the events kept here.
            let _ = sink.send(event.clone());
        }
        self.events.push(event);
    }

    /// Checks rule `r` at event time `now`.
    fn check(&mut self, r: usize, now: UnixNanos) {
        let rule = &mut self.rules[r];
        let Some(holds) = rule.eval.holds(rule.price) else {
            return;
        };
        let time_ns = now.as_nanos();
        let event = if !rule.state.disarmed && holds {
            // An event (a crossing) leaves the rule armed for the next one.
            rule.state.disarmed = !rule.eval.is_event();
            let cooldown_ns = rule.config.cooldown_s.saturating_mul(1_000_000_000);
            let cooling = rule
                .state
                .last_fired_ns
                .is_some_and(|last| time_ns < last.saturating_add(cooldown_ns));
            if cooling {
                WatchEvent::Suppressed {
                    rule: rule.config.name.clone(),
                    time_ns,
                }
            } else {
                rule.state.last_fired_ns = Some(time_ns);
                WatchEvent::Fired(Alert {
                    id: format!("{}@{time_ns}", rule.config.name),
                    rule: rule.config.name.clone(),
                    instrument: rule.name.clone(),
                    time_ns,
                    price: rule.price,
                })
            }
        } else if rule.state.disarmed && !holds {
            let back_inside = match (rule.eval.rearm_level(rule.config.hysteresis), rule.price) {
                (Some((level, above)), Some(p)) => {
                    if above {
                        p > level
                    } else {
                        p < level
                    }
                }
                _ => true,
            };
            if !back_inside {
                return;
            }
            rule.state.disarmed = false;
            WatchEvent::Rearmed {
                rule: rule.config.name.clone(),
                time_ns,
            }
        } else {
            return;
        };
        self.emit(event);
    }
}

impl Strategy for AlertWatch {
    fn book_depth(&self) -> Option<usize> {
        Some(1)
    }

    fn on_trade(&mut self, ctx: &mut dyn Context, instrument: InstrumentIndex, trade: &Trade) {
        for r in 0..self.rules.len() {
            let rule = &mut self.rules[r];
            if rule.instrument != instrument {
                continue;
            }
            let price = trade.price.to_f64(&rule.tick);
            rule.price = Some(price);
            rule.eval.on_trade(trade, price, &rule.tick);
            self.check(r, ctx.now());
        }
    }

    fn on_book(
        &mut self,
        ctx: &mut dyn Context,
        instrument: InstrumentIndex,
        book: &OrderBook,
        signals: &SignalValues,
    ) {
        let spread = book.spread().map(|s| s.ticks() as f64);
        for r in 0..self.rules.len() {
            if self.rules[r].instrument != instrument {
                continue;
            }
            self.rules[r].eval.on_book(signals, spread);
            self.check(r, ctx.now());
        }
    }
}
