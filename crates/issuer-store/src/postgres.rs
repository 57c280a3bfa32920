//! The PostgreSQL backend (feature `postgres`); its choices are documented on
//! [`PostgresStores`].

mod audit;
mod db;
mod pool;
mod schema;
mod stores;

use core::time::Duration;
use std::sync::Arc;

use jose_core::UnixTime;
use oid4vci_issuer::{StoreError, Stores};
use pop_verifier::ReplayGuard;

use crate::{OpenError, StoredAuditEvent};

pub use audit::PostgresAuditSink;
pub use schema::POSTGRES_SCHEMA_VERSION;

/// How [`PostgresStores::connect`] connects.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct PostgresOptions {
    /// The most connections the pool opens (at least 1).
    pub pool_size: u32,
    /// How long connecting, or waiting for a free pooled connection, may take before the call
    /// fails with [`StoreError::Unavailable`] (not 0).
    pub connect_timeout: Duration,
    /// The session's `statement_timeout` (lock waits included) (not 0).
    pub statement_timeout: Duration,
    /// How often (by the callers' clock) an insert of this process purges its table's expired
    /// rows.
    pub purge_interval: Duration,
    /// The number of entries of each new status list (existing lists keep their size).
    pub status_list_size: u32,
}

impl Default for PostgresOptions {
    /// 16 connections, 5 s to connect, 5 s per statement, a purge per table each minute, and
    /// status lists of 131,072 entries (16 KiB each).
    fn default() -> Self {
        Self {
            pool_size: 16,
            connect_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(5),
            purge_interval: Duration::from_secs(60),
            status_list_size: 1 << 17,
        }
    }
}

impl PostgresOptions {
    /// These options with a pool of at most `size` connections.
    #[must_use]
    pub const fn with_pool_size(mut self, size: u32) -> Self {
        self.pool_size = size;
        self
    }

    /// These options with `timeout` as the connect (and pool wait) timeout.
    #[must_use]
    pub const fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// These options with `timeout` as the statement timeout.
    #[must_use]
    pub const fn with_statement_timeout(mut self, timeout: Duration) -> Self {
        self.statement_timeout = timeout;
        self
    }

    /// These options with expired rows purged at most every `interval` per table.
    #[must_use]
    pub const fn with_purge_interval(mut self, interval: Duration) -> Self {
        self.purge_interval = interval;
        self
    }

    /// These options with new status lists of `size` entries.
    #[must_use]
    pub const fn with_status_list_size(mut self, size: u32) -> Self {
        self.status_list_size = size;
        self
    }
}

/// Every store of the issuer engine and the replay guard, on one PostgreSQL database through a
/// connection pool (feature `postgres`). Any number of processes may connect to the same
/// database: single use, status indices and revocations hold across all of them.
///
/// Cheap to share: the handles it gives out share its pool.
///
/// ```no_run
/// use issuer_store::{PostgresOptions, PostgresStores};
/// let db = PostgresStores::connect(
///     "postgres://issuer@db.internal/issuer",
///     &PostgresOptions::default(),
/// )?;
/// let stores = db.stores(); // an `oid4vci_issuer::Stores`, one PostgreSQL implementation per trait
/// let replay = db.replay_guard(); // PoP and DPoP `jti`s, shared by every process
/// let audit = db.audit_sink(); // the fleet's append-only audit trail, read with `db.audit_events`
/// # let _ = (stores, replay, audit);
/// # Ok::<(), issuer_store::OpenError>(())
/// ```
///
/// # Choices
/// - **Synchronous client, small pool.** The store traits are synchronous, so the synchronous
///   [`postgres`](https://docs.rs/postgres) client (it drives each connection on a private runtime) behind an [`r2d2`](https://docs.rs/r2d2)
///   pool of [`PostgresOptions::pool_size`] connections, opened on demand. A connection that
///   has been idle for a second or more is checked with an empty query when it is handed out,
///   so connections broken while the database was down are replaced and the stores recover
///   by themselves once it is back (one back sooner is handed out untested: under load that
///   test cost as much as a statement).
/// - **One round trip per statement.** Every parameter's type is known at compile time
///   (`BIGINT`, `TEXT` or `BYTEA`), so a statement is parsed, bound and executed in one round
///   trip instead of being prepared first.
/// - **Single use across processes.** A code, `request_uri`, refresh token or deferred
///   transaction is consumed by one `DELETE … RETURNING`, or in a transaction that first locks
///   its row with `SELECT … FOR UPDATE` (the other session waits, then finds the row gone);
///   a replay key by one `INSERT … ON CONFLICT … DO UPDATE … WHERE expired` (0 rows: a
///   replay). Never a read and a write in two statements without a lock. Transactions run at
///   PostgreSQL's default `READ COMMITTED`; where a redemption waited for a row that another
///   session consumed, it reads again (a new snapshot) to answer "reused" rather than
///   "unknown", as the single-process stores do.
/// - **Status indices.** Unique by the primary key `(list_id, idx)`, whichever process
///   claims; drawn uniformly at random (rejection sampling, then an exact draw over the free
///   indices of a nearly full list) from the engine's random source. A slot of the list is
///   reserved first by one `UPDATE … allocated = allocated + 1 WHERE allocated < size`, so
///   allocations from many sessions run side by side and never overfill a list; a new list
///   is created under a transaction-level advisory lock. A reservation whose claim then fails
///   (a database error, a crash) leaves one entry of its list unused: an index may be wasted,
///   never handed out twice.
/// - **Expiry.** As on SQLite every row carries `expires_at` and an expired row is never
///   returned; but an insert purges its table at most once per
///   [`PostgresOptions::purge_interval`] per process (in batches that skip rows other sessions
///   hold), not on every insert, so a busy fleet does not spend its time deleting.
///   [`PostgresStores::purge_expired`] purges everything.
/// - **Migrations** run in [`PostgresStores::connect`], in one transaction holding
///   `pg_advisory_xact_lock`, so processes starting together migrate once; the applied
///   versions are rows of `issuer_store_schema`. The tables live in the connection's
///   `search_path` (give the issuer its own database or schema).
/// - **Timeouts.** [`PostgresOptions::connect_timeout`] bounds connecting and waiting for a
///   pooled connection; [`PostgresOptions::statement_timeout`] is set as the session's
///   `statement_timeout` (lock waits included), and a session idle inside a transaction for
///   four times that is ended by the server.
/// - **Failures fail closed**, as on SQLite: a database error is
///   [`StoreError::Unavailable`] or [`ReplayError::Unavailable`](crate::ReplayError), and
///   methods without an error answer their refusing value. Errors keep the server's message
///   and SQLSTATE only (never a `DETAIL`, which may quote a row).
/// - **Audit trail.** [`PostgresStores::audit_sink`] appends the engine's audit events to
///   `audit_events` (the columns of SQLite's table: `id`, `at`, `kind`, `details_json` as
///   text), read in pages with [`PostgresStores::audit_events`]. Each insert holds the table's
///   `EXCLUSIVE` lock for its short transaction, so the fleet's inserts take turns and ids
///   increase in commit order: a reader paging by id never skips an event. A statement-level
///   trigger makes the database refuse `UPDATE`, `DELETE` and `TRUNCATE` on the table. That
///   guards against this crate's code and against mistakes, not against the table's owner,
///   who can drop the trigger: a trail that must survive a compromised database account
///   also needs a copy elsewhere (the log). The trail is never purged.
/// - **Secrets are stored hashed** with the same codec as SQLite (SHA-256 of codes, tokens,
///   `request_uri`s, transaction and notification ids).
/// - **No TLS yet**: connections are plain (`NoTls`); run the database on loopback, a unix
///   socket (`host=/run/postgresql`) or a private network.
#[derive(Debug, Clone)]
pub struct PostgresStores {
    handle: stores::PgHandle,
    db: Arc<db::PgDb>,
}

impl PostgresStores {
    /// Connects to the database at `url` (a `postgres://` URL or a `key=value` connection
    /// string) and migrates its schema to [`POSTGRES_SCHEMA_VERSION`].
    ///
    /// # Errors
    /// [`OpenError::Postgres`] when the URL does not parse, an option is 0, or the database
    /// cannot be reached or migrated within the connect timeout;
    /// [`OpenError::SchemaTooNew`] when it was migrated by a newer version;
    /// [`OpenError::EmptyStatusList`] for a status list size of 0.
    pub fn connect(url: &str, options: &PostgresOptions) -> Result<Self, OpenError> {
        if options.status_list_size == 0 {
            return Err(OpenError::EmptyStatusList);
        }
        let db = Arc::new(db::PgDb::open(url, options)?);
        Ok(Self {
            handle: stores::PgHandle::new(Arc::clone(&db), options.status_list_size),
            db,
        })
    }

    /// The engine's stores, one PostgreSQL implementation of each trait.
    #[must_use]
    pub fn stores(&self) -> Stores {
        self.handle.stores()
    }

    /// The replay guard for PoP, DPoP and key proof `jti`s.
    #[must_use]
    pub fn replay_guard(&self) -> Arc<dyn ReplayGuard> {
        Arc::new(self.handle.clone())
    }

    /// An audit sink appending to the `audit_events` table (give it to
    /// `IssuerEngineBuilder::with_audit_sink`). Each call makes a sink with its own failure
    /// count. Every process of a fleet may append to the same table.
    #[must_use]
    pub fn audit_sink(&self) -> Arc<PostgresAuditSink> {
        Arc::new(PostgresAuditSink::new(Arc::clone(&self.db)))
    }

    /// Up to `limit` stored audit events (at most [`MAX_AUDIT_PAGE`](crate::MAX_AUDIT_PAGE))
    /// with an id above `after_id` (all, from the first, for `None`), oldest first: pass the
    /// last id of a page as `after_id` to read the next one. Every process sees every
    /// process's events, and ids increase in commit order (see [`PostgresAuditSink`]), so
    /// paging never skips an event. Ids are not contiguous: an insert that rolled back used
    /// one. The trail is append-only: there is no call to change or delete an event, and the
    /// schema refuses both.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the database fails or a stored row does not decode.
    pub fn audit_events(
        &self,
        after_id: Option<i64>,
        limit: usize,
    ) -> Result<Vec<StoredAuditEvent>, StoreError> {
        audit::page(&self.db, after_id, limit)
    }

    /// Deletes every expired row of every table. Inserts purge their own table now and then;
    /// call this from a periodic task (on any one process) to reclaim the rest. Returns how
    /// many rows went.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the database fails.
    pub fn purge_expired(&self, now: UnixTime) -> Result<usize, StoreError> {
        self.db
            .purge_all(now)
            .map(|n| usize::try_from(n).unwrap_or(usize::MAX))
    }

    /// The schema version of the database.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the database fails.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.db.with(|c| {
            let row = db::one(
                c,
                "SELECT COALESCE(max(version), 0) FROM issuer_store_schema",
                &[],
            )?
            .ok_or_else(|| StoreError::Unavailable("postgres: no schema version row".into()))?;
            db::col(&row, 0)
        })
    }
}
