//! A bounded pool of logged-in sessions: a signature borrows one, a thread waits when all are
//! busy, and a session that failed is closed instead of being handed out again.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use cryptoki::error::Error as CkError;
use cryptoki::session::Session;
use cryptoki::slot::Slot;

use crate::module::Module;

#[derive(Debug)]
struct State {
    idle: Vec<Session>,
    /// Sessions that exist: idle or lent out.
    open: usize,
}

/// The pool. Sessions are opened lazily, read-only (signing needs no more); they share the
/// token's login, which the token's own anchor session keeps alive.
#[derive(Debug)]
pub(crate) struct SessionPool {
    state: Mutex<State>,
    returned: Condvar,
    max: usize,
}

impl SessionPool {
    pub(crate) fn new(max: usize) -> Self {
        Self {
            state: Mutex::new(State {
                idle: Vec::new(),
                open: 0,
            }),
            returned: Condvar::new(),
            max: max.max(1),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `op` on a pooled session. On error the session is closed, not returned.
    ///
    /// # Errors
    /// The error of opening a session or of `op`.
    pub(crate) fn with_session<T>(
        &self,
        module: &Module,
        slot: Slot,
        op: impl FnOnce(&Session) -> Result<T, CkError>,
    ) -> Result<T, CkError> {
        let session = self.take(module, slot)?;
        let result = op(&session);
        let healthy = result.is_ok();
        let mut state = self.lock();
        if healthy {
            state.idle.push(session);
        } else {
            state.open = state.open.saturating_sub(1);
        }
        drop(state);
        self.returned.notify_one();
        // A failed session is closed here, outside the lock.
        result
    }

    fn take(&self, module: &Module, slot: Slot) -> Result<Session, CkError> {
        let mut state = self.lock();
        loop {
            if let Some(session) = state.idle.pop() {
                return Ok(session);
            }
            if state.open < self.max {
                state.open = state.open.saturating_add(1);
                drop(state);
                return module.context.open_ro_session(slot).inspect_err(|_| {
                    let mut state = self.lock();
                    state.open = state.open.saturating_sub(1);
                    drop(state);
                    self.returned.notify_one();
                });
            }
            state = self
                .returned
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// How many sessions exist (idle or lent out).
    pub(crate) fn open_sessions(&self) -> usize {
        self.lock().open
    }
}
