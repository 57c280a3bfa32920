//! The shared write transaction. Writes made inside [`crate::db::Db::deferring`] scopes (one
//! per request in the demo) do not commit one by one: they go into one open transaction,
//! which the first scope that depends on it and ends commits, with every write made before
//! it, also those of the requests running beside it. One commit then writes each changed page
//! once, takes SQLite's file locks once and counts once for the group sync, where each call
//! used to be a transaction of its own.
//!
//! What does not change:
//! - **Every call is atomic.** Each call runs in a savepoint of the open transaction, released
//!   when it succeeds and rolled back when it fails, is refused or panics, as its own
//!   transaction was. When ending a savepoint fails, the whole transaction is abandoned.
//! - **Nothing is answered before it is on disk.** A call that runs while the open
//!   transaction holds changes depends on them, whether it wrote or only read (it may have
//!   seen them): a scope returns only after every transaction it depends on was committed and
//!   synced, and a call outside any scope commits and syncs them before it returns.
//! - **Single use holds across calls and processes.** Every call made through one
//!   `SqliteStores` runs on its one connection, in turn, and sees every write made before it,
//!   committed or not. Another process (or another `SqliteStores` on the same file) waits
//!   for SQLite's write lock, which the open transaction holds (`BEGIN IMMEDIATE`), and then
//!   sees the commit.
//! - **A failed commit fails every scope that depends on it.** SQLite may also roll a
//!   transaction back by itself (after an I/O error or a full disk); that is noticed before
//!   the next call runs, so no call writes into a fresh transaction believing that it
//!   continues the lost one. A transaction nobody tracks any more (its rollback failed) is
//!   rolled back before the next call, or that call fails.

use std::collections::VecDeque;

use oid4vci_issuer::StoreError;
use rusqlite::Connection;

use crate::db::{Cached, unavailable};
use crate::durable::{Commit, Durability};

/// How many failed transactions are remembered. A scope holding an older one than these
/// fails closed (only after that many failed commits, so on a broken disk anyway).
const FAILURES_KEPT: usize = 32;

/// A transaction's number, in the order they were begun.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Generation(u64);

/// The connection and the transaction open on it.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) conn: Connection,
    open: Option<Open>,
    next: u64,
    /// The latest transactions whose commit failed (or that SQLite rolled back), oldest first.
    failed: VecDeque<Generation>,
    /// Transactions below this one are no longer remembered, and are taken as failed.
    forgotten_below: Generation,
}

#[derive(Clone, Copy, Debug)]
struct Open {
    generation: Generation,
    /// Whether a call changed rows in it (and kept them).
    changed: bool,
}

/// The error of a scope whose writes were in a transaction that did not commit.
pub(crate) fn lost() -> StoreError {
    StoreError::Unavailable(
        "sqlite: the transaction holding this request's writes did not commit".to_owned(),
    )
}

impl Shared {
    pub(crate) fn new(conn: Connection) -> Self {
        Self {
            conn,
            open: None,
            next: 0,
            failed: VecDeque::new(),
            forgotten_below: Generation(0),
        }
    }

    /// Notices that SQLite rolled the open transaction back by itself: it is failed and
    /// closed, so the next write begins a new one. Returns it if so.
    fn notice_rollback(&mut self) -> Option<Generation> {
        let open = self.open.filter(|_| self.conn.is_autocommit())?;
        self.open = None;
        self.fail(open.generation);
        Some(open.generation)
    }

    fn fail(&mut self, generation: Generation) {
        self.failed.push_back(generation);
        if self.failed.len() > FAILURES_KEPT
            && let Some(Generation(oldest)) = self.failed.pop_front()
        {
            self.forgotten_below = Generation(oldest.saturating_add(1));
        }
    }

    /// Whether `generation` failed (or is too old to tell, which counts as failed).
    pub(crate) fn is_failed(&self, generation: Generation) -> bool {
        generation < self.forgotten_below || self.failed.contains(&generation)
    }

    /// Prepares the connection for a call: notices a transaction that SQLite rolled back,
    /// and rolls back a transaction nobody tracks (abandoned when its rollback failed), so
    /// that no call runs inside it.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when that rollback fails again.
    pub(crate) fn ready(&mut self) -> Result<(), StoreError> {
        self.notice_rollback();
        if self.open.is_none() && !self.conn.is_autocommit() {
            self.conn.exec("ROLLBACK", []).map_err(unavailable)?;
        }
        Ok(())
    }

    /// The open transaction, begun (`BEGIN IMMEDIATE`: SQLite's write lock at once) when none
    /// is.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the transaction cannot begin (the lock was not free
    /// within the busy timeout, or the database failed).
    fn begin(&mut self) -> Result<(), StoreError> {
        if self.open.is_some() {
            return Ok(());
        }
        self.conn.exec("BEGIN IMMEDIATE", []).map_err(unavailable)?;
        let generation = Generation(self.next);
        self.next = self.next.saturating_add(1);
        self.open = Some(Open {
            generation,
            changed: false,
        });
        Ok(())
    }

    /// The open transaction if it holds changes not yet committed: every call that runs now
    /// depends on it.
    pub(crate) fn pending(&self) -> Option<Generation> {
        self.open
            .filter(|open| open.changed)
            .map(|open| open.generation)
    }

    /// Gives up the open transaction: it is failed, and rolled back (now, or by
    /// [`Self::ready`] before the next call if this rollback fails too).
    fn abandon(&mut self) {
        if let Some(open) = self.open.take() {
            self.fail(open.generation);
        }
        self.conn.exec("ROLLBACK", []).ok();
    }

    /// Records that the last call changed rows: returns the open transaction that holds them,
    /// or `None` when none is open (the statements committed on their own).
    ///
    /// # Errors
    /// [`lost`] when SQLite rolled the open transaction back during the call.
    pub(crate) fn changed(&mut self) -> Result<Option<Generation>, StoreError> {
        if self.notice_rollback().is_some() {
            return Err(lost());
        }
        Ok(self.open.as_mut().map(|open| {
            open.changed = true;
            open.generation
        }))
    }

    /// Ends the open transaction when no call changed anything in it, so SQLite's write lock
    /// is not held for nothing.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the rollback fails.
    pub(crate) fn close_if_unchanged(&mut self) -> Result<(), StoreError> {
        self.notice_rollback();
        if let Some(open) = self.open
            && !open.changed
        {
            self.open = None;
            self.conn.exec("ROLLBACK", []).map_err(unavailable)?;
        }
        Ok(())
    }

    /// Commits `generation` if it is still open, and returns a commit number that covers it
    /// for the sync (if another scope already committed it, the latest number counted).
    ///
    /// # Errors
    /// [`lost`] or [`StoreError::Unavailable`] when `generation` did not commit.
    pub(crate) fn commit(
        &mut self,
        generation: Generation,
        durable: &Durability,
    ) -> Result<Commit, StoreError> {
        self.notice_rollback();
        if self.is_failed(generation) {
            return Err(lost());
        }
        if !matches!(self.open, Some(open) if open.generation == generation) {
            return Ok(durable.counted());
        }
        match self.conn.exec("COMMIT", []) {
            Ok(_) => {
                self.open = None;
                Ok(durable.committed())
            }
            Err(e) => {
                self.abandon();
                Err(unavailable(e))
            }
        }
    }
}

/// One call's savepoint in the open transaction (begun for it when none is open): released
/// by [`Self::keep`], rolled back by [`Self::undo`] and when dropped unfinished (a panic in
/// the call). A transaction begun for a call that changed nothing is ended with it, so
/// SQLite's write lock is not held for nothing.
pub(crate) struct Call<'s> {
    shared: &'s mut Shared,
    open: bool,
}

impl<'s> Call<'s> {
    /// Starts the call's savepoint, beginning the shared transaction if none is open.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when SQLite refuses either.
    pub(crate) fn start(shared: &'s mut Shared) -> Result<Self, StoreError> {
        shared.begin()?;
        if let Err(e) = shared.conn.exec("SAVEPOINT call", []) {
            shared.close_if_unchanged().ok();
            return Err(unavailable(e));
        }
        Ok(Self { shared, open: true })
    }

    /// The connection, for the call's statements.
    pub(crate) fn conn(&self) -> &Connection {
        &self.shared.conn
    }

    /// Keeps the call's changes in the transaction (and ends the transaction if nothing in it
    /// changed).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when SQLite refuses the release (the whole transaction is
    /// then abandoned, so no change of a failed call is ever committed), or the call changed
    /// rows in a transaction that SQLite rolled back meanwhile ([`lost`]).
    pub(crate) fn keep(mut self, changed: bool) -> Result<(), StoreError> {
        self.open = false;
        let released = self.shared.conn.exec("RELEASE call", []);
        self.finish(released)?;
        if changed {
            self.shared.changed().map(drop)
        } else {
            self.shared.close_if_unchanged()
        }
    }

    /// Drops the call's changes (and ends the transaction if nothing in it changed).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when SQLite refuses the rollback (the whole transaction is
    /// then abandoned instead).
    pub(crate) fn undo(mut self) -> Result<(), StoreError> {
        self.open = false;
        self.end_unchanged()
    }

    fn end_unchanged(&mut self) -> Result<(), StoreError> {
        let rolled_back = self
            .shared
            .conn
            .exec("ROLLBACK TO call", [])
            .and_then(|_| self.shared.conn.exec("RELEASE call", []));
        self.finish(rolled_back)?;
        self.shared.close_if_unchanged()
    }

    /// When ending the savepoint failed, abandons the whole transaction: every scope that
    /// depends on it fails.
    fn finish(&mut self, ended: rusqlite::Result<usize>) -> Result<(), StoreError> {
        ended.map(drop).map_err(|e| {
            self.shared.abandon();
            unavailable(e)
        })
    }
}

impl Drop for Call<'_> {
    fn drop(&mut self) {
        if self.open {
            // Unwinding from a panic in the call: its changes must not be committed by a
            // later call, and a transaction begun for it must not keep the write lock.
            self.end_unchanged().ok();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Failures are remembered up to [`FAILURES_KEPT`]; a transaction older than those counts
    /// as failed, also one that committed (failing closed).
    #[test]
    fn an_old_transaction_past_the_remembered_failures_counts_as_failed() {
        let Ok(conn) = Connection::open_in_memory() else {
            panic!("an in-memory database opens")
        };
        let mut shared = Shared::new(conn);
        let kept = u64::try_from(FAILURES_KEPT).unwrap_or(u64::MAX);
        for failed in 1..=kept {
            shared.fail(Generation(failed));
        }
        assert!(!shared.is_failed(Generation(0)), "a commit that succeeded");
        assert!(shared.is_failed(Generation(1)));
        assert!(!shared.is_failed(Generation(kept + 1)));
        shared.fail(Generation(kept + 1));
        assert!(
            shared.is_failed(Generation(0)),
            "forgotten: taken as failed"
        );
        assert!(shared.is_failed(Generation(1)));
        assert!(shared.is_failed(Generation(kept + 1)));
        assert!(!shared.is_failed(Generation(kept + 2)));
    }
}
