//! The shared connection: opening, configuration, transactions and error mapping.

use core::time::Duration;
use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};

use jose_core::UnixTime;
use oid4vci_issuer::StoreError;
use rusqlite::{Connection, OpenFlags, Params, Row, Transaction, TransactionBehavior};

use crate::OpenError;
use crate::durable::{Commit, Durability};
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
    /// The database whose syncs this thread defers (by address), and the last commit it
    /// deferred: set by [`Db::deferring`] for the length of its call.
    static DEFERRING: core::cell::Cell<Option<(usize, Option<Commit>)>> =
        const { core::cell::Cell::new(None) };
}

/// One connection to the database file.
#[derive(Debug)]
pub(crate) struct Db {
    conn: Mutex<Connection>,
    durable: Durability,
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
            conn: Mutex::new(conn),
            durable,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic between two statements leaves no half-done work: every multi-statement
        // operation is a transaction, rolled back when its guard drops during the unwind.
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` on the connection. When its statements changed rows (each committed on its
    /// own), returns only once they are on disk.
    pub(crate) fn with<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let conn = self.lock();
        let before = conn.total_changes();
        let out = f(&conn);
        let commit = (conn.total_changes() != before).then(|| self.durable.committed());
        drop(conn);
        if let Some(commit) = commit {
            self.settle(commit)?;
        }
        out
    }

    /// This database's identity for [`DEFERRING`].
    fn address(&self) -> usize {
        core::ptr::from_ref(self).addr()
    }

    /// Makes `commit` durable now, or, inside [`Self::deferring`] on this database, notes it
    /// for the one sync at the end.
    fn settle(&self, commit: Commit) -> Result<(), StoreError> {
        let me = self.address();
        let deferred = DEFERRING.with(|cell| match cell.get() {
            Some((db, _)) if db == me => {
                cell.set(Some((db, Some(commit))));
                true
            }
            _ => false,
        });
        if deferred {
            Ok(())
        } else {
            self.durable.sync(commit)
        }
    }

    /// Runs `f`, deferring the syncs of the commits it makes on this thread to one sync when
    /// it returns (nested calls leave it to the outermost). A panic in `f` skips that sync:
    /// nothing was answered, and the next sync of anyone covers the commits.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the final sync fails: `f`'s commits may not be on
    /// disk, so what `f` returned must not be answered.
    pub(crate) fn deferring<T>(&self, f: impl FnOnce() -> T) -> Result<T, StoreError> {
        /// Puts back what the thread deferred before, on return and on unwind.
        struct Restore(Option<(usize, Option<Commit>)>);
        impl Drop for Restore {
            fn drop(&mut self) {
                DEFERRING.with(|cell| cell.set(self.0));
            }
        }
        let me = self.address();
        let outer = DEFERRING.with(core::cell::Cell::get);
        if matches!(outer, Some((db, _)) if db == me) {
            return Ok(f());
        }
        let restore = Restore(outer);
        DEFERRING.with(|cell| cell.set(Some((me, None))));
        let out = f();
        let last = DEFERRING
            .with(core::cell::Cell::get)
            .and_then(|(_, commit)| commit);
        drop(restore);
        if let Some(commit) = last {
            self.durable.sync(commit)?;
        }
        Ok(out)
    }

    /// Runs `f` in a `BEGIN IMMEDIATE` transaction (the write lock is taken at once, so no
    /// other connection can change what `f` reads), committing when `f` returns `Ok` (a
    /// refusal whose writes must stay, e.g. a burnt code, is an `Ok(Err(_))`) and rolling back
    /// on `Err` (a database failure). Returns once the commit is on disk (see `durable`).
    pub(crate) fn write<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.write_unless(|tx| f(tx).map(Ok::<T, core::convert::Infallible>))
            .map(|out| out.unwrap_or_else(|never| match never {}))
    }

    /// [`Self::write`] for a change that `f` may refuse part-way: `Ok(Err(refusal))` rolls the
    /// transaction back and returns the refusal, so a refused batch leaves nothing behind; only
    /// `Ok(Ok(_))` commits.
    pub(crate) fn write_unless<T, R>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<Result<T, R>, StoreError>,
    ) -> Result<Result<T, R>, StoreError> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(unavailable)?;
        let out = match f(&tx)? {
            Ok(out) => out,
            Err(refusal) => {
                tx.rollback().map_err(unavailable)?;
                return Ok(Err(refusal));
            }
        };
        tx.commit().map_err(unavailable)?;
        let commit = self.durable.committed();
        drop(conn);
        self.settle(commit)?;
        Ok(Ok(out))
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
mod tests {
    use super::*;

    /// A fresh database in its own temporary directory (removed by the caller).
    fn fresh(name: &str) -> (std::path::PathBuf, Db) {
        let dir = std::env::temp_dir().join(format!("db-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_default();
        let Ok(db) = Db::open(&dir.join("issuer.db"), Duration::from_secs(1)) else {
            panic!("the database opens")
        };
        (dir, db)
    }

    /// Both ways of writing (a transaction, and statements committing on their own) return
    /// only after a sync that covers them; a read commits and syncs nothing.
    #[test]
    fn every_write_is_synced_before_it_returns_and_a_read_is_not_counted() {
        let (dir, db) = fresh("sync");
        let before = db.durable.counts();
        assert_eq!(before.0, before.1, "the migration's writes are not counted");
        let insert = "INSERT INTO replay (key, expires_at) VALUES (?1, 10)";
        let wrote = db.write(|tx| tx.exec(insert, ["a"]).map_err(unavailable));
        assert!(matches!(wrote, Ok(1)));
        assert_eq!(db.durable.counts(), (before.0 + 1, before.0 + 1));
        let wrote = db.with(|conn| conn.exec(insert, ["b"]).map_err(unavailable));
        assert!(matches!(wrote, Ok(1)));
        assert_eq!(db.durable.counts(), (before.0 + 2, before.0 + 2));
        let count = db.with(|conn| {
            conn.row("SELECT COUNT(*) FROM replay", [], |row| {
                row.get::<_, i64>(0)
            })
            .map_err(unavailable)
        });
        assert!(matches!(count, Ok(2)));
        assert_eq!(db.durable.counts(), (before.0 + 2, before.0 + 2));
        std::fs::remove_dir_all(&dir).unwrap_or_default();
    }

    /// Inside `deferring`, commits are counted but synced once at its end (also the nested
    /// call's), and a commit outside it is synced on its own again.
    #[test]
    fn deferring_syncs_the_commits_of_its_call_once_at_its_end() {
        let (dir, db) = fresh("defer");
        let (start, _) = db.durable.counts();
        let insert = |key: &str| {
            db.write(|tx| {
                tx.exec(
                    "INSERT INTO replay (key, expires_at) VALUES (?1, 10)",
                    [key],
                )
                .map_err(unavailable)
            })
        };
        let inside = db.deferring(|| {
            let first = insert("a");
            let nested = db.deferring(|| insert("b"));
            assert!(matches!(nested, Ok(Ok(1))));
            assert_eq!(
                db.durable.counts(),
                (start + 2, start),
                "nothing synced yet"
            );
            first
        });
        assert!(matches!(inside, Ok(Ok(1))));
        assert_eq!(
            db.durable.counts(),
            (start + 2, start + 2),
            "one sync at the end"
        );
        assert!(matches!(insert("c"), Ok(1)));
        assert_eq!(db.durable.counts(), (start + 3, start + 3));
        let quiet = db.deferring(|| 7);
        assert!(matches!(quiet, Ok(7)));
        assert_eq!(db.durable.counts(), (start + 3, start + 3));
        std::fs::remove_dir_all(&dir).unwrap_or_default();
    }
}
