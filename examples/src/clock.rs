//! Time for the servers: the real clock, or a manual one tests move forward.

use core::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use jose_core::UnixTime;

/// Where the servers read the current time. Library crates take `now` as a parameter; this is
/// the one place in the demo that asks the operating system.
pub trait Clock: Send + Sync + core::fmt::Debug {
    /// The current time.
    fn now(&self) -> UnixTime;
}

/// The operating system's clock.
#[derive(Debug, Default, Clone, Copy)]
#[non_exhaustive]
pub struct SystemClock;

impl SystemClock {
    /// The system clock.
    #[must_use]
    pub const fn new() -> Self {
        Self
    }
}

impl Clock for SystemClock {
    fn now(&self) -> UnixTime {
        // Before 1970 the time is negative, not 0; beyond i64 seconds it saturates.
        let secs = match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
            Err(before) => {
                i64::try_from(before.duration().as_secs()).map_or(i64::MIN, |s| s.saturating_neg())
            }
        };
        UnixTime::from_secs(secs)
    }
}

/// A clock that stands still until told to move: "expired" without waiting.
#[derive(Debug)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    /// A clock showing `start`.
    #[must_use]
    pub const fn new(start: UnixTime) -> Self {
        Self(AtomicI64::new(start.secs()))
    }

    /// Moves the clock forward by `secs`.
    pub fn advance(&self, secs: u64) {
        let step = i64::try_from(secs).unwrap_or(i64::MAX);
        let _ = self
            .0
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |t| {
                Some(t.saturating_add(step))
            });
    }
}

impl Clock for ManualClock {
    fn now(&self) -> UnixTime {
        UnixTime::from_secs(self.0.load(Ordering::SeqCst))
    }
}
