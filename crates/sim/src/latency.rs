//! Latency models: how long market data takes to reach us, our orders to
//! reach the venue, and its answers to come back.

use std::sync::Arc;

use kestrel_model::{EventTime, UnixNanos};

use crate::rng::SplitMix64;

/// A delay, in nanoseconds, drawn per message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LatencyModel {
    /// The same delay every time.
    Constant(u64),
    /// Drawn uniformly from recorded delays, so the distribution's tail is
    /// the real one.
    Recorded(Arc<[u64]>),
}

impl LatencyModel {
    /// A model drawing from `samples`; `None` if there are none.
    pub fn recorded(samples: impl Into<Arc<[u64]>>) -> Option<Self> {
        let samples = samples.into();
        (!samples.is_empty()).then_some(Self::Recorded(samples))
    }

    /// The feed latencies (local receive time − venue time) of recorded
    /// events, as a model; negative gaps, from clock offset between the venue
    /// and the recording host, count as zero. `None` if there are no events.
    pub fn from_feed(times: impl IntoIterator<Item = EventTime>) -> Option<Self> {
        let samples: Vec<u64> = times
            .into_iter()
            .map(|t| t.local.as_nanos().saturating_sub(t.exchange.as_nanos()))
            .collect();
        Self::recorded(samples)
    }

    /// The `q`-quantile (0 ≤ q ≤ 1) of the model's delays.
    pub fn quantile(&self, q: f64) -> u64 {
        match self {
            Self::Constant(d) => *d,
            Self::Recorded(samples) => {
                let mut sorted = samples.to_vec();
                sorted.sort_unstable();
                let i = ((sorted.len() - 1) as f64 * q.clamp(0.0, 1.0)).round() as usize;
                sorted[i]
            }
        }
    }

    pub(crate) fn sample(&self, rng: &mut SplitMix64) -> u64 {
        match self {
            Self::Constant(d) => *d,
            Self::Recorded(samples) => samples[rng.below(samples.len())],
        }
    }
}

impl Default for LatencyModel {
    fn default() -> Self {
        Self::Constant(0)
    }
}

/// When a recorded market event reaches the strategy.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum FeedLatency {
    /// At the local receive time the capture recorded: the real path from
    /// the venue to the recording host.
    #[default]
    Recorded,
    /// At the venue time plus a delay from a model, for data without local
    /// times or to test another network.
    Model(LatencyModel),
}

impl FeedLatency {
    pub(crate) fn arrival(&self, time: EventTime, rng: &mut SplitMix64) -> UnixNanos {
        match self {
            Self::Recorded => time.local,
            Self::Model(model) => time.exchange.saturating_add_nanos(model.sample(rng)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(exchange: u64, local: u64) -> EventTime {
        EventTime {
            exchange: UnixNanos::new(exchange),
            local: UnixNanos::new(local),
        }
    }

    #[test]
    fn feed_latency_comes_from_the_data() {
        let model = LatencyModel::from_feed([at(100, 150), at(200, 230), at(300, 290)]).unwrap();
        assert_eq!(model, LatencyModel::Recorded(Arc::from([50, 30, 0])));
        assert_eq!(model.quantile(0.0), 0);
        assert_eq!(model.quantile(1.0), 50);
        let mut rng = SplitMix64::new(1);
        for _ in 0..100 {
            assert!([50, 30, 0].contains(&model.sample(&mut rng)));
        }
        assert!(LatencyModel::from_feed([]).is_none());
    }

    #[test]
    fn arrival_is_recorded_or_modelled() {
        let mut rng = SplitMix64::new(1);
        assert_eq!(
            FeedLatency::Recorded.arrival(at(100, 170), &mut rng),
            UnixNanos::new(170)
        );
        let modelled = FeedLatency::Model(LatencyModel::Constant(5));
        assert_eq!(
            modelled.arrival(at(100, 170), &mut rng),
            UnixNanos::new(105)
        );
    }
}
