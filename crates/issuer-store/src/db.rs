//! The shared connection: opening, configuration, transactions and error mapping.

use core::time::Duration;
use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};

use jose_core::UnixTime;
use oid4vci_issuer::StoreError;
use rusqlite::{Connection, OpenFlags, Params, Row, Transaction, TransactionBehavior};

use crate::OpenError;
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

/// One connection to the database file.
#[derive(Debug)]
pub(crate) struct Db {
    conn: Mutex<Connection>,
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
        // FULL: a committed redemption survives a power loss too (NORMAL in WAL mode may
        // lose the last commits, and a lost redemption is a code that works twice).
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(sqlite)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(sqlite)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        schema::migrate(&mut conn)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic between two statements leaves no half-done work: every multi-statement
        // operation is a transaction, rolled back when its guard drops during the unwind.
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` on the connection.
    pub(crate) fn with<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        f(&self.lock())
    }

    /// Runs `f` in a `BEGIN IMMEDIATE` transaction (the write lock is taken at once, so no
    /// other connection can change what `f` reads), committing when `f` returns `Ok` (a
    /// refusal whose writes must stay, e.g. a burnt code, is an `Ok(Err(_))`) and rolling back
    /// on `Err` (a database failure).
    pub(crate) fn write<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(unavailable)?;
        let out = f(&tx)?;
        tx.commit().map_err(unavailable)?;
        Ok(out)
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
