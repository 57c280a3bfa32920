//! Failed sign-ins counted per user, across login sessions: a session ends after
//! [`super::authorize::MAX_FAILED_LOGINS`] wrong passwords, but anyone who can open sessions
//! (one pushed authorization request each) could otherwise go on guessing one user's password
//! in session after session. After [`MAX_FAILURES_PER_USER`] failures within
//! [`WINDOW_SECONDS`] a user cannot sign in, even with the right password, until that window
//! ends; a successful sign-in clears the count.
//!
//! Only configured users are counted: a name nobody has cannot sign in anyway, and counting
//! arbitrary names would let a flood of them grow the table. The page says that the user is
//! locked out, so it tells whoever made ten failed attempts that the name exists; the demo
//! accepts that for a clear message. The counts live in the process: each instance of a fleet
//! counts its own, and a restart forgets them.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use jose_core::UnixTime;

/// Failed sign-ins of one user within [`WINDOW_SECONDS`] after which the user is locked out.
pub const MAX_FAILURES_PER_USER: u32 = 10;

/// How long failures count, from the first of them, in seconds (15 minutes).
pub const WINDOW_SECONDS: u64 = 15 * 60;

/// The failures of one user since `since`.
#[derive(Clone, Copy, Debug)]
struct Failures {
    count: u32,
    since: UnixTime,
}

impl Failures {
    fn current(self, now: UnixTime) -> bool {
        now < self.since.saturating_add(WINDOW_SECONDS)
    }
}

/// The failure counts of the configured users (keyed by their configured names).
#[derive(Debug, Default)]
pub(super) struct SignInThrottle(Mutex<HashMap<String, Failures>>);

impl SignInThrottle {
    fn with<T>(&self, f: impl FnOnce(&mut HashMap<String, Failures>) -> T) -> T {
        // A panic while holding the lock cannot leave a count half-written.
        f(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Whether `user` is locked out at `now`.
    pub(super) fn locked_out(&self, user: &str, now: UnixTime) -> bool {
        self.with(|users| {
            users.get(user).is_some_and(|failures| {
                failures.current(now) && failures.count >= MAX_FAILURES_PER_USER
            })
        })
    }

    /// Counts a failed sign-in of `user` at `now`: returns the failures in the current window.
    pub(super) fn failed(&self, user: &str, now: UnixTime) -> u32 {
        self.with(|users| {
            let failures = users
                .entry(user.to_owned())
                .and_modify(|failures| {
                    if failures.current(now) {
                        failures.count = failures.count.saturating_add(1);
                    } else {
                        *failures = Failures {
                            count: 1,
                            since: now,
                        };
                    }
                })
                .or_insert(Failures {
                    count: 1,
                    since: now,
                });
            failures.count
        })
    }

    /// Clears the count of `user` after a successful sign-in.
    pub(super) fn succeeded(&self, user: &str) {
        self.with(|users| users.remove(user));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: UnixTime = UnixTime::from_secs(1_800_000_000);

    #[test]
    fn a_user_is_locked_out_for_the_rest_of_the_window() {
        let throttle = SignInThrottle::default();
        for n in 1..MAX_FAILURES_PER_USER {
            assert_eq!(throttle.failed("erika", T0), n);
            assert!(!throttle.locked_out("erika", T0));
        }
        let last = T0.saturating_add(WINDOW_SECONDS - 1);
        assert_eq!(throttle.failed("erika", last), MAX_FAILURES_PER_USER);
        assert!(throttle.locked_out("erika", last));
        assert!(!throttle.locked_out("max", last), "per user");
        // The window runs from the first failure.
        let end = T0.saturating_add(WINDOW_SECONDS);
        assert!(!throttle.locked_out("erika", end));
        assert_eq!(throttle.failed("erika", end), 1, "a new window");
    }

    #[test]
    fn a_successful_sign_in_clears_the_count() {
        let throttle = SignInThrottle::default();
        for _ in 1..MAX_FAILURES_PER_USER {
            throttle.failed("erika", T0);
        }
        throttle.succeeded("erika");
        assert_eq!(throttle.failed("erika", T0), 1);
        assert!(!throttle.locked_out("erika", T0));
    }
}
