//! The market clock: when the next recorded frame is released.

use std::time::Duration;

use kestrel_model::UnixNanos;
use tokio::time::Instant;

/// How the replay advances.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ClockMode {
    /// Frames are released at the pace they were recorded.
    RealTime,
    /// At `n` times the recorded pace (`n` > 0; large values replay as
    /// fast as the server can).
    Speed(f64),
    /// Only when a client asks (`POST /sim/clock/step`), so a test decides
    /// exactly which market events happen between its actions.
    Stepped,
}

/// Maps recorded times to wall-clock deadlines.
#[derive(Debug)]
pub(crate) struct MarketClock {
    mode: ClockMode,
    /// The wall instant and recorded time the current pace is measured from.
    origin: Option<(Instant, UnixNanos)>,
    /// Frames a stepped clock may still release.
    steps: u64,
}

impl MarketClock {
    pub(crate) fn new(mode: ClockMode) -> Self {
        Self {
            mode,
            origin: None,
            steps: 0,
        }
    }

    /// Changes the pace from now on, measured from the next frame.
    pub(crate) fn set_mode(&mut self, mode: ClockMode) {
        self.mode = mode;
        self.origin = None;
    }

    /// Lets a stepped clock release `frames` more frames.
    pub(crate) fn step(&mut self, frames: u64) {
        self.steps = self.steps.saturating_add(frames);
    }

    /// When the frame recorded at `recorded` is due; `None` while a stepped
    /// clock has no steps left.
    pub(crate) fn due(&mut self, recorded: UnixNanos) -> Option<Instant> {
        let speed = match self.mode {
            ClockMode::Stepped => return (self.steps > 0).then(Instant::now),
            ClockMode::RealTime => 1.0,
            ClockMode::Speed(s) => s,
        };
        let (wall, start) = *self.origin.get_or_insert((Instant::now(), recorded));
        let elapsed = recorded.as_nanos().saturating_sub(start.as_nanos()) as f64 / speed.max(1e-9);
        Some(wall + Duration::from_nanos(elapsed.min(1e18) as u64))
    }

    /// Records that one frame was released.
    pub(crate) fn released(&mut self) {
        if self.mode == ClockMode::Stepped {
            self.steps = self.steps.saturating_sub(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn paces_follow_the_mode() {
        let mut clock = MarketClock::new(ClockMode::Speed(10.0));
        let t0 = clock.due(UnixNanos::new(1_000_000_000)).unwrap();
        let t1 = clock.due(UnixNanos::new(3_000_000_000)).unwrap();
        assert_eq!(t1 - t0, Duration::from_millis(200), "2 s recorded at 10×");
        clock.set_mode(ClockMode::Stepped);
        assert!(clock.due(UnixNanos::new(4_000_000_000)).is_none());
        clock.step(1);
        assert!(clock.due(UnixNanos::new(4_000_000_000)).is_some());
        clock.released();
        assert!(clock.due(UnixNanos::new(5_000_000_000)).is_none());
    }
}
