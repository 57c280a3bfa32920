//! The shared write transaction. Writes made inside [`crate::db::Db::deferring`] scopes (one
//! per request in the demo) do not commit one by one: they go into one open transaction,
//! which the first scope that wrote and ends commits, with every write made before it, also
//! those of the requests running beside it. One commit then writes each changed page once,
//! takes SQLite's file locks once and counts once for the group sync, where each call used to
//! be a transaction of its own.
//!
//! What does not change:
//! - **Every call is atomic.** Each call runs in a savepoint of the open transaction, released
//!   when it succeeds and rolled back when it fails, is refused or panics, as its own
//!   transaction was.
//! - **Nothing is answered before it is on disk.** A scope returns only after its writes
//!   were committed and synced. A call outside any scope commits at once.
//! - **Single use holds across calls and processes.** Every call of this process runs on
//!   the one connection, in turn, and sees every write made before it, committed or not.
//!   Another process waits for SQLite's write lock, which the open transaction holds
//!   (`BEGIN IMMEDIATE`), and then sees the commit.
//! - **A failed commit fails every scope that wrote into it.** SQLite may also roll a
//!   transaction back by itself (after an I/O error or a full disk); that is noticed before
//!   the next call runs, so no call writes into a fresh transaction believing that it
//!   continues the lost one.

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
    /// closed, so the next write begins a new one.
    fn notice_rollback(&mut self) {
        if let Some(open) = self.open
            && self.conn.is_autocommit()
        {
            self.open = None;
            self.fail(open.generation);
        }
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

    /// Prepares the connection for a call: notices a transaction that SQLite rolled back.
    pub(crate) fn ready(&mut self) {
        self.notice_rollback();
    }

    /// The open transaction, begun (`BEGIN IMMEDIATE`: SQLite's write lock at once) when none
    /// is.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the transaction cannot begin (the lock was not free
    /// within the busy timeout, or the database failed).
    pub(crate) fn begin(&mut self) -> Result<Generation, StoreError> {
        self.notice_rollback();
        if let Some(open) = self.open {
            return Ok(open.generation);
        }
        if !self.conn.is_autocommit() {
            // A transaction left over from a failed rollback: end it before beginning anew.
            self.conn.exec("ROLLBACK", []).map_err(unavailable)?;
        }
        self.conn.exec("BEGIN IMMEDIATE", []).map_err(unavailable)?;
        let generation = Generation(self.next);
        self.next = self.next.saturating_add(1);
        self.open = Some(Open {
            generation,
            changed: false,
        });
        Ok(generation)
    }

    /// Records that the last call changed rows: returns the open transaction that holds them,
    /// or `None` when none is open (the statements committed on their own).
    ///
    /// # Errors
    /// [`lost`] when SQLite rolled the open transaction back during the call.
    pub(crate) fn changed(&mut self) -> Result<Option<Generation>, StoreError> {
        let Some(open) = self.open.as_mut() else {
            return Ok(None);
        };
        let generation = open.generation;
        if self.conn.is_autocommit() {
            self.open = None;
            self.fail(generation);
            return Err(lost());
        }
        open.changed = true;
        Ok(Some(generation))
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
        match self.open {
            Some(open) if open.generation == generation => self.open = None,
            _ => return Ok(durable.counted()),
        }
        match self.conn.exec("COMMIT", []) {
            Ok(_) => Ok(durable.committed()),
            Err(e) => {
                if !self.conn.is_autocommit() {
                    // Left open if this fails too: the next `begin` ends it.
                    self.conn.exec("ROLLBACK", []).ok();
                }
                self.fail(generation);
                Err(unavailable(e))
            }
        }
    }
}

/// One call's savepoint in the open transaction: released by [`Self::keep`], rolled back by
/// [`Self::undo`] and when dropped unfinished (a panic in the call).
pub(crate) struct Call<'c> {
    conn: &'c Connection,
    open: bool,
}

impl<'c> Call<'c> {
    /// Starts the call's savepoint.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when SQLite refuses it.
    pub(crate) fn start(conn: &'c Connection) -> Result<Self, StoreError> {
        conn.exec("SAVEPOINT call", []).map_err(unavailable)?;
        Ok(Self { conn, open: true })
    }

    /// Keeps the call's changes in the transaction.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when SQLite refuses the release (the whole transaction is
    /// then rolled back, so no change of a failed call is ever committed).
    pub(crate) fn keep(mut self) -> Result<(), StoreError> {
        self.open = false;
        self.finish(self.conn.exec("RELEASE call", []))
    }

    /// Drops the call's changes.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when SQLite refuses the rollback (the whole transaction is
    /// then rolled back instead).
    pub(crate) fn undo(mut self) -> Result<(), StoreError> {
        self.open = false;
        self.finish(self.rollback())
    }

    fn rollback(&self) -> rusqlite::Result<usize> {
        self.conn
            .exec("ROLLBACK TO call", [])
            .and_then(|_| self.conn.exec("RELEASE call", []))
    }

    /// When ending the savepoint failed, ends the whole transaction: [`Shared`] notices it
    /// before the next call, and every scope that wrote into it fails.
    fn finish(&self, ended: rusqlite::Result<usize>) -> Result<(), StoreError> {
        ended.map(drop).map_err(|e| {
            self.conn.exec("ROLLBACK", []).ok();
            unavailable(e)
        })
    }
}

impl Drop for Call<'_> {
    fn drop(&mut self) {
        if self.open {
            // Unwinding from a panic in the call: its changes must not be committed by a
            // later call.
            self.finish(self.rollback()).ok();
        }
    }
}
