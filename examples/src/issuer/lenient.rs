//! The lenient-mode log: requests accepted although a strict issuer would refuse them (token
//! requests without a valid client attestation, credential requests in a pre-1.0 shape).

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};

/// How many lenient-mode acceptances the log keeps (the oldest are dropped first; every one
/// is also written to the tracing log).
pub const LENIENT_LOG_CAPACITY: usize = 1_000;

/// The most recent lenient-mode acceptances, bounded by [`LENIENT_LOG_CAPACITY`].
#[derive(Debug, Default)]
pub struct LenientLog {
    entries: Mutex<VecDeque<String>>,
}

impl LenientLog {
    /// Records one acceptance.
    pub fn push(&self, text: String) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= LENIENT_LOG_CAPACITY {
            entries.pop_front();
        }
        entries.push_back(text);
    }

    /// The kept acceptances, oldest first.
    #[must_use]
    pub fn entries(&self) -> Vec<String> {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_keeps_the_newest_entries() {
        let log = LenientLog::default();
        for i in 0..=LENIENT_LOG_CAPACITY {
            log.push(i.to_string());
        }
        let entries = log.entries();
        assert_eq!(entries.len(), LENIENT_LOG_CAPACITY);
        assert_eq!(entries.first().map(String::as_str), Some("1"));
    }
}
