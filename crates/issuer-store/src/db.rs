//! The shared connection: opening, configuration, transactions and error mapping.

use core::time::Duration;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use jose_core::UnixTime;
use oid4vci_issuer::StoreError;
use rusqlite::{Connection, OpenFlags, Params, Row};

use crate::OpenError;
use crate::durable::{Commit, Durability};
use crate::group::{self, Call, Generation, Shared};
use crate::schema;
use crate::shared::EXPIRING_TABLES;

/// Room in the connection's statement cache: more than the distinct statements of this crate
/// (about fifty), so after the first call of each none is parsed again.
const STATEMENT_CACHE: usize = 96;

/// Statements through the connection's cache of prepared statements: SQLite parses and plans
/// each distinct text once per connection, not on every call (`Connection::execute` and
/// `query_row` prepare the text anew each time, which was a tenth of the issuer's CPU under
/// load).
pub(crate) trait Cached {
    /// `execute` through the statement cache: the number of rows changed.
    fn exec<P: Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize>;

    /// `query_row` through the statement cache.
    fn row<T, P: Params>(
        &self,
        sql: &str,
        params: P,
        f: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T>;
}

impl Cached for Connection {
    fn exec<P: Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize> {
        self.prepare_cached(sql)?.execute(params)
    }

    fn row<T, P: Params>(
        &self,
        sql: &str,
        params: P,
        f: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        self.prepare_cached(sql)?.query_row(params, f)
    }
}

std::thread_local! {
    /// What the running [`Db::deferring`] scope of this thread must make durable at its end.
    static DEFERRING: core::cell::Cell<Option<Deferred>> = const { core::cell::Cell::new(None) };
}

/// The writes of a [`Db::deferring`] scope, not yet durable.
#[derive(Clone, Copy, Debug)]
struct Deferred {
    /// The database (by address).
    db: usize,
    /// The last statement that committed on its own.
    commit: Option<Commit>,
    /// The last shared transaction the scope wrote into.
    generation: Option<Generation>,
    /// Whether an earlier transaction the scope wrote into failed to commit.
    lost: bool,
}

/// One connection to the database file.
#[derive(Debug)]
pub(crate) struct Db {
    shared: Mutex<Shared>,
    pub(crate) durable: Arc<Durability>,
}

impl Drop for Db {
    fn drop(&mut self) {
        self.durable.close();
    }
}

/// A failed statement as a store failure. SQLite's message names the statement's problem,
/// never a bound value, so no claim, token or code reaches it.
pub(crate) fn unavailable(e: rusqlite::Error) -> StoreError {
    StoreError::Unavailable(format!("sqlite: {e}"))
}

impl Db {
    /// Opens and configures the file, then migrates its schema.
    pub(crate) fn open(path: &Path, busy_timeout: Duration) -> Result<Self, OpenError> {
        let sqlite = |e: rusqlite::Error| OpenError::Sqlite(e.to_string());
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let mut conn = Connection::open_with_flags(path, flags).map_err(sqlite)?;
        conn.busy_timeout(busy_timeout).map_err(sqlite)?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .map_err(sqlite)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(OpenError::Sqlite(format!(
                "the database refused WAL mode (journal_mode is {mode})"
            )));
        }
        // A committed redemption must survive a power loss too (a lost redemption is a code
        // that works twice). NORMAL alone may lose the last commits; the group commit of
        // `durable` syncs the WAL after each commit, before the call returns.
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(sqlite)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(sqlite)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        schema::migrate(&mut conn)?;
        // The migration ran a transaction, so the WAL file exists.
        let file = conn.path().map(Path::new).unwrap_or(path);
        let durable = Durability::open(file).map_err(|e| {
            OpenError::Sqlite(format!("cannot open the write-ahead log for syncing: {e}"))
        })?;
        Ok(Self {
            shared: Mutex::new(Shared::new(conn)),
            durable: Arc::new(durable),
        })
    }

    /// The connection, ready for a call (see [`Shared::ready`]).
    fn lock(&self) -> Result<MutexGuard<'_, Shared>, StoreError> {
        // A panic between two statements leaves no half-done work: every multi-statement
        // operation runs in a savepoint, rolled back when its guard drops during the unwind.
        let mut shared = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
        shared.ready()?;
        Ok(shared)
    }

    /// Runs `f` on the connection: for reads, and single statements that commit on their own
    /// when no transaction is open (inside one, a statement joins it without a savepoint of
    /// its own). Returns only once what the call wrote, or saw uncommitted, is on disk
    /// (inside [`Self::deferring`]: the scope does).
    pub(crate) fn with<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut shared = self.lock()?;
        let before = shared.conn.total_changes();
        let out = f(&shared.conn);
        if shared.conn.total_changes() != before && shared.changed()?.is_none() {
            // No transaction was open: the statements committed on their own.
            let commit = self.durable.committed();
            drop(shared);
            self.settle(commit)?;
            return out;
        }
        self.depend(shared)?;
        out
    }

    /// This database's identity for [`DEFERRING`].
    fn address(&self) -> usize {
        core::ptr::from_ref(self).addr()
    }

    /// Applies `f` to this thread's scope on this database, if it has one; `false` if not.
    fn in_scope(&self, f: impl FnOnce(&mut Deferred)) -> bool {
        let me = self.address();
        DEFERRING.with(|cell| match cell.get() {
            Some(mut deferred) if deferred.db == me => {
                f(&mut deferred);
                cell.set(Some(deferred));
                true
            }
            _ => false,
        })
    }

    /// Makes `commit` durable now, or, inside [`Self::deferring`] on this database, notes it
    /// for the one sync at the end.
    fn settle(&self, commit: Commit) -> Result<(), StoreError> {
        if self.in_scope(|deferred| deferred.commit = Some(commit)) {
            Ok(())
        } else {
            self.durable.sync(commit)
        }
    }

    /// After a call: when the open transaction holds changes (the call's, or others' it may
    /// have seen), inside [`Self::deferring`] on this database notes it for the scope's end;
    /// outside, commits it now and returns once it is on disk.
    fn depend(&self, mut shared: MutexGuard<'_, Shared>) -> Result<(), StoreError> {
        let Some(generation) = shared.pending() else {
            return Ok(());
        };
        let noted = self.in_scope(|deferred| {
            if let Some(earlier) = deferred.generation
                && earlier != generation
                && shared.is_failed(earlier)
            {
                deferred.lost = true;
            }
            deferred.generation = Some(generation);
        });
        if noted {
            return Ok(());
        }
        let commit = shared.commit(generation, &self.durable)?;
        drop(shared);
        self.durable.sync(commit)
    }

    /// Runs `f` (one request's calls, on this thread) and makes its writes durable once at
    /// its end: they go into the shared transaction (see [`crate::group`]); at the end the
    /// last transaction the scope depends on is committed, if no other scope did so before,
    /// and synced once. Nested calls leave it to the outermost. A panic in `f` commits that
    /// transaction (every call in it is whole; the panicking call was rolled back) and skips
    /// the sync: nothing was answered, and the next sync of anyone covers the commit.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when a transaction the scope depends on did not commit, or
    /// the final sync fails: `f`'s writes may not be on disk, or it may have seen writes
    /// that never were, so what `f` returned must not be answered.
    pub(crate) fn deferring<T>(&self, f: impl FnOnce() -> T) -> Result<T, StoreError> {
        let (out, last) = self.committing(f)?;
        if let Some(commit) = last {
            self.durable.sync(commit)?;
        }
        Ok(out)
    }

    /// [`Self::deferring`] up to the sync: runs `f` in the scope and commits what it depends
    /// on, then returns what `f` returned with the commit to sync before answering it
    /// (`None`: nothing to sync, or an enclosing scope on this thread syncs it).
    ///
    /// # Errors
    /// As [`Self::deferring`], but for the sync.
    pub(crate) fn committing<T>(
        &self,
        f: impl FnOnce() -> T,
    ) -> Result<(T, Option<Commit>), StoreError> {
        /// Puts back what the thread deferred before, on return and on unwind; on unwind,
        /// also commits the shared transaction the scope wrote into, so SQLite's write lock
        /// is not held until another call commits.
        struct Restore<'d> {
            db: &'d Db,
            outer: Option<Deferred>,
        }
        impl Drop for Restore<'_> {
            fn drop(&mut self) {
                let mine = DEFERRING.with(|cell| cell.replace(self.outer));
                if std::thread::panicking()
                    && let Some(generation) = mine.and_then(|deferred| deferred.generation)
                {
                    self.db.commit(generation).ok();
                }
            }
        }
        let me = self.address();
        let outer = DEFERRING.with(core::cell::Cell::get);
        if matches!(outer, Some(deferred) if deferred.db == me) {
            return Ok((f(), None));
        }
        let restore = Restore { db: self, outer };
        DEFERRING.with(|cell| {
            cell.set(Some(Deferred {
                db: me,
                commit: None,
                generation: None,
                lost: false,
            }));
        });
        let out = f();
        let mine = DEFERRING.with(core::cell::Cell::get);
        drop(restore);
        let Some(mine) = mine else {
            return Ok((out, None));
        };
        // Committed even when the scope fails, so the write lock is not held for nothing.
        let committed = mine.generation.map(|generation| self.commit(generation));
        if mine.lost {
            return Err(group::lost());
        }
        let mut last = mine.commit;
        if let Some(commit) = committed {
            last = last.max(Some(commit?));
        }
        Ok((out, last))
    }

    /// Commits `generation` unless it is committed already (see [`Shared::commit`]).
    fn commit(&self, generation: Generation) -> Result<Commit, StoreError> {
        self.lock()?.commit(generation, &self.durable)
    }

    /// Runs `f` as one atomic call, in a savepoint of the shared transaction (begun with
    /// `BEGIN IMMEDIATE`, so no other connection can change what `f` reads), keeping its
    /// changes when `f` returns `Ok` (a refusal whose writes must stay, e.g. a burnt code, is
    /// an `Ok(Err(_))`) and rolling them back on `Err` (a database failure). Returns once the
    /// changes are on disk (inside [`Self::deferring`]: the scope does).
    pub(crate) fn write<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.write_unless(|conn| f(conn).map(Ok::<T, core::convert::Infallible>))
            .map(|out| out.unwrap_or_else(|never| match never {}))
    }

    /// [`Self::write`] for a change that `f` may refuse part-way: `Ok(Err(refusal))` rolls the
    /// call's changes back and returns the refusal, so a refused batch leaves nothing behind;
    /// only `Ok(Ok(_))` keeps them.
    pub(crate) fn write_unless<T, R>(
        &self,
        f: impl FnOnce(&Connection) -> Result<Result<T, R>, StoreError>,
    ) -> Result<Result<T, R>, StoreError> {
        let mut shared = self.lock()?;
        let call = Call::start(&mut shared)?;
        let before = call.conn().total_changes();
        let out = f(call.conn());
        if matches!(out, Ok(Ok(_))) {
            let changed = call.conn().total_changes() != before;
            call.keep(changed)?;
        } else {
            call.undo()?;
        }
        self.depend(shared)?;
        out
    }

    /// Deletes the expired rows of every table.
    pub(crate) fn purge_all(&self, now: UnixTime) -> Result<usize, StoreError> {
        self.write(|tx| {
            let mut total = 0usize;
            for table in EXPIRING_TABLES {
                total = total.saturating_add(purge(tx, table, now)?);
            }
            Ok(total)
        })
    }
}

/// Deletes the expired rows of `table` (one of this crate's table names, never input).
pub(crate) fn purge(conn: &Connection, table: &str, now: UnixTime) -> Result<usize, StoreError> {
    conn.exec(
        &format!("DELETE FROM {table} WHERE expires_at <= ?1"),
        [now.secs()],
    )
    .map_err(unavailable)
}

#[cfg(test)]
mod tests;
