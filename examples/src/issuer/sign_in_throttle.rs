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
    /// Decides one sign-in attempt of `user` at `now` under one lock, so that parallel
    /// attempts cannot all pass the check before any of them is counted: a locked-out user is
    /// refused whatever the password; a wrong password is counted; a right one clears the
    /// count.
    pub(super) fn attempt(&self, user: &str, password_matches: bool, now: UnixTime) -> Attempt {
        // A panic while holding the lock cannot leave a count half-written.
        let mut users = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let current = users.get(user).copied().filter(|f| f.current(now));
        if current.is_some_and(|f| f.count >= MAX_FAILURES_PER_USER) {
            return Attempt::LockedOut;
        }
        if password_matches {
            users.remove(user);
            return Attempt::SignedIn;
        }
        let failures = match current {
            Some(f) => Failures {
                count: f.count.saturating_add(1),
                ..f
            },
            None => Failures {
                count: 1,
                since: now,
            },
        };
        users.insert(user.to_owned(), failures);
        Attempt::Wrong {
            failures: failures.count,
        }
    }
}

/// The outcome of [`SignInThrottle::attempt`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Attempt {
    /// The password was right and the user is not locked out.
    SignedIn,
    /// The password was wrong: the user's failures in the current window, this one included.
    Wrong { failures: u32 },
    /// The user is locked out; the password was not looked at.
    LockedOut,
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: UnixTime = UnixTime::from_secs(1_800_000_000);

    #[test]
    fn a_user_is_locked_out_for_the_rest_of_the_window() {
        let throttle = SignInThrottle::default();
        for n in 1..MAX_FAILURES_PER_USER {
            assert_eq!(
                throttle.attempt("erika", false, T0),
                Attempt::Wrong { failures: n }
            );
        }
        let last = T0.saturating_add(WINDOW_SECONDS - 1);
        assert_eq!(
            throttle.attempt("erika", false, last),
            Attempt::Wrong {
                failures: MAX_FAILURES_PER_USER
            }
        );
        // Locked out: the right password does not help, nor does a wrong one count.
        assert_eq!(throttle.attempt("erika", true, last), Attempt::LockedOut);
        assert_eq!(throttle.attempt("erika", false, last), Attempt::LockedOut);
        assert_eq!(
            throttle.attempt("max", true, last),
            Attempt::SignedIn,
            "per user"
        );
        // The window runs from the first failure.
        let end = T0.saturating_add(WINDOW_SECONDS);
        assert_eq!(
            throttle.attempt("erika", false, end),
            Attempt::Wrong { failures: 1 },
            "a new window"
        );
        assert_eq!(throttle.attempt("erika", true, end), Attempt::SignedIn);
    }

    #[test]
    fn a_successful_sign_in_clears_the_count() {
        let throttle = SignInThrottle::default();
        for _ in 1..MAX_FAILURES_PER_USER {
            throttle.attempt("erika", false, T0);
        }
        assert_eq!(throttle.attempt("erika", true, T0), Attempt::SignedIn);
        assert_eq!(
            throttle.attempt("erika", false, T0),
            Attempt::Wrong { failures: 1 }
        );
    }

    /// Parallel wrong passwords of one user: exactly `MAX_FAILURES_PER_USER` are counted as
    /// wrong, every later one is refused as locked out, whatever the interleaving.
    #[test]
    fn parallel_attempts_never_pass_the_limit() {
        let throttle = SignInThrottle::default();
        let outcomes: Vec<Attempt> = std::thread::scope(|scope| {
            let threads: Vec<_> = (0..4)
                .map(|_| {
                    scope.spawn(|| {
                        (0..MAX_FAILURES_PER_USER)
                            .map(|_| throttle.attempt("erika", false, T0))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            threads
                .into_iter()
                .flat_map(|t| t.join().unwrap_or_default())
                .collect()
        });
        let wrong = outcomes
            .iter()
            .filter(|o| matches!(o, Attempt::Wrong { .. }))
            .count();
        assert_eq!(wrong, usize::try_from(MAX_FAILURES_PER_USER).unwrap_or(0));
        assert_eq!(
            outcomes.len() - wrong,
            outcomes
                .iter()
                .filter(|o| **o == Attempt::LockedOut)
                .count()
        );
    }
}
