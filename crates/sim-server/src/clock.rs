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

/// The venue's clock, which every time the server states reads (market
/// data, `serverTime`, order and trade times, user-stream events): the
/// venue time of the newest frame released, moving on between frames at
/// the replay's pace, never past the next frame's time. A stepped clock
/// stands still between steps. Shared by the exchange task, which sets it,
/// and the HTTP side, which reads it.
#[derive(Clone, Debug)]
pub struct VenueClock(std::sync::Arc<std::sync::Mutex<VenueTime>>);

#[derive(Debug)]
struct VenueTime {
    /// The first time it was set to, ms: the replay's start.
    start_ms: Option<u64>,
    /// The newest released frame's venue time, ms.
    at_ms: u64,
    /// When it was set.
    since: std::time::Instant,
    /// Venue ms per wall ms: 1 real time, n at speed n, 0 stepped.
    pace: f64,
    /// The next frame's venue time, ms: the clock does not pass it.
    cap_ms: u64,
}

impl VenueClock {
    /// Standing at `at_ms` until the first frame.
    pub fn new(at_ms: u64) -> Self {
        Self(std::sync::Arc::new(std::sync::Mutex::new(VenueTime {
            start_ms: None,
            at_ms,
            since: std::time::Instant::now(),
            pace: 0.0,
            cap_ms: at_ms,
        })))
    }

    fn state(&self) -> std::sync::MutexGuard<'_, VenueTime> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The venue's time now, ms.
    pub fn now_ms(&self) -> u64 {
        let s = self.state();
        let moved = s.since.elapsed().as_secs_f64() * 1_000.0 * s.pace;
        let now = s.at_ms.saturating_add(moved.min(1e15) as u64);
        now.min(s.cap_ms.max(s.at_ms))
    }

    /// The clocks a signed request may follow, with the wall clock at
    /// `wall_ms`: the venue's span so far, up to where a client that set
    /// its offset at the newest frame's release would be now.
    pub fn signing(&self, wall_ms: u64) -> crate::auth::SigningClocks {
        let now = self.now_ms();
        let s = self.state();
        let since_release = s.since.elapsed().as_millis() as u64;
        crate::auth::SigningClocks {
            wall: wall_ms,
            venue_start: s.start_ms.unwrap_or(s.at_ms),
            venue_latest: now.max(s.at_ms.saturating_add(since_release)),
        }
    }

    /// A frame at `at_ms` was released; the next is at `next_ms` (if any).
    pub(crate) fn released(&self, at_ms: u64, next_ms: Option<u64>) {
        let mut s = self.state();
        s.start_ms.get_or_insert(at_ms);
        s.at_ms = s.at_ms.max(at_ms);
        s.cap_ms = next_ms.unwrap_or(s.at_ms).max(s.at_ms);
        s.since = std::time::Instant::now();
    }

    /// The replay's pace changed.
    pub(crate) fn set_mode(&self, mode: ClockMode) {
        let now = self.now_ms();
        let mut s = self.state();
        s.at_ms = now;
        s.since = std::time::Instant::now();
        s.pace = match mode {
            ClockMode::RealTime => 1.0,
            ClockMode::Speed(x) => x,
            ClockMode::Stepped => 0.0,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_venue_clock_moves_between_frames_but_not_past_the_next() {
        let clock = VenueClock::new(1_000);
        assert_eq!(clock.now_ms(), 1_000);
        clock.set_mode(ClockMode::Speed(1e6));
        clock.released(2_000, Some(2_500));
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(clock.now_ms(), 2_500, "capped at the next frame");
        clock.set_mode(ClockMode::Stepped);
        clock.released(2_600, Some(9_000));
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(clock.now_ms(), 2_600, "a stepped clock stands still");
    }

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
