//! Durable stores for the [`oid4vci_issuer`] engine: every store trait of the engine and
//! pop-verifier's [`ReplayGuard`] on SQLite, so an issuer keeps its codes, tokens, refresh
//! families, deferred transactions, notification ids, issued-credential registry and status
//! lists across a restart; and (feature `postgres`) on PostgreSQL, so a fleet of issuer
//! processes shares them (`PostgresStores`, whose docs give that backend's choices); and
//! (feature `redis`) the replay guard alone on Redis (`RedisReplayGuard`).
//!
//! ```no_run
//! use issuer_store::{SqliteOptions, SqliteStores};
//! let db = SqliteStores::open("issuer.sqlite3", &SqliteOptions::default())?;
//! let stores = db.stores(); // an `oid4vci_issuer::Stores`, one SQLite implementation per trait
//! let replay = db.replay_guard(); // PoP and DPoP `jti`s
//! let audit = db.audit_sink(); // the append-only audit trail, read with `db.audit_events`
//! # let _ = (stores, replay, audit);
//! # Ok::<(), issuer_store::OpenError>(())
//! ```
//!
//! # Backends
//! | backend | feature | for |
//! |---|---|---|
//! | [`SqliteStores`] | (always) | one server that restarts without losing state; no setup; the audit trail |
//! | `PostgresStores` | `postgres` | a fleet of issuer processes on one database: every store and the audit trail |
//! | `RedisReplayGuard` | `redis` | the replay `jti` set alone, beside PostgreSQL |
//!
//! Each answers like the engine's in-memory stores and fails closed; the PostgreSQL and Redis
//! types document how they reach single use across processes, their pools and timeouts.
//!
//! # Semantics
//! The same as the engine's in-memory stores, checked by one conformance suite run against
//! each backend (`tests/conformance.rs`). On SQLite:
//! - **Single use is atomic.** A code, `request_uri`, refresh token or deferred transaction
//!   is consumed by one `DELETE … RETURNING` (or inside one call, in a `BEGIN IMMEDIATE`
//!   transaction that holds SQLite's write lock from its first statement), and a replay key
//!   by a unique insert: never a read followed by a separate write.
//! - **Ids are bound to their grant.** Deferred transactions and notification ids are keyed
//!   by `(grant, id)`; another grant's id is answered exactly like an unknown one.
//! - **Expiry.** Every row carries `expires_at`; an expired row is never returned, and each
//!   insert purges the expired rows of its table ([`SqliteStores::purge_expired`] purges
//!   them all), so nothing grows without bound except the issued-credential registry and the
//!   status lists, which must outlive the credentials they revoke.
//! - **Failures fail closed.** A database error is [`StoreError::Unavailable`] or
//!   [`ReplayError::Unavailable`] (the engine answers `503 temporarily_unavailable`). Where a
//!   trait method cannot return an error it answers the refusing value: no token, no
//!   grant, "revoked", "no such entry", or `Pending` for a deferred transaction (its
//!   credentials stay stored, so the wallet may ask again when the database is back).
//! - **Secrets are stored hashed.** Codes, tokens, `request_uri`s, transaction and
//!   notification ids are stored under their SHA-256, so a copy of the database file hands out no
//!   usable token. Values (grants, claims) are stored as JSON; nothing is logged.
//!
//! # Concurrency
//! One [`rusqlite::Connection`] behind a [`std::sync::Mutex`]: SQLite has a single writer
//! anyway, and nearly every call writes (single use, expiry purges), so a pool of readers would
//! only add lock contention inside SQLite. The file is in WAL mode with a busy timeout, so
//! another process on the same file (a second issuer, a backup) waits instead of failing at
//! once. A call that wrote returns only once its commit is on disk, so a redemption that was
//! answered survives a power loss (what `synchronous = FULL` promises), with a group commit:
//! the connection runs `synchronous = NORMAL`, and after each commit the WAL file is synced
//! with `fdatasync` outside the connection's lock, one sync covering every commit made before
//! it started. A failed sync fails every later call (the file's state is unknown).
//! [`SqliteStores::durably`] runs one request's calls and makes them durable once at their
//! end (usually one commit and one sync): the demo issuer wraps every handler in it, which
//! took its SQLite load from about 23 syncs per issuance to about 4, and, once the calls of
//! concurrent requests shared one transaction, its `fcntl` lock calls from about 92 per
//! issuance to about 21.
//!
//! Inside `durably` scopes, the calls write into one transaction shared by every scope
//! running at the time (each call in a savepoint of it, so still all or none), committed
//! when the first scope that depends on it ends. Three consequences:
//! - **A call sees the writes of concurrent requests before they commit.** Single use is
//!   unchanged (a code redeemed by one request is gone for the next, committed or not).
//!   Nothing is answered before it is on disk: a scope that ran while the transaction held
//!   uncommitted writes, even one that only read, returns only once that transaction is
//!   committed and synced, and fails if it is not.
//! - **SQLite's write lock is held from a scope's first write until a scope ends**,
//!   including the work a request does between its store calls (signing, for instance).
//!   This is a design for one issuer process per file: another process (a second issuer, a
//!   backup, an admin tool) gets the lock between commits and waits up to its busy timeout
//!   for it, and under steady load may wait often. For several processes, use
//!   `PostgresStores`.
//! - **One `SqliteStores` per file in a process.** Its handles share the one connection; a
//!   second `SqliteStores` on the same file is another connection, and writing through it
//!   inside a scope of the first waits for the lock that scope holds.
//!
//! Every call is synchronous. Outside a scope a write blocks for its sync, so an async server
//! runs such calls on a blocking thread. The cheaper way is [`SqliteStores::committed`]: the
//! request's calls run right on the async worker (the statements take microseconds, and
//! SQLite's pages are in memory), and the answer is a [`Committed`] the handler awaits; a
//! background thread of this crate runs the sync meanwhile and wakes the task, so no worker
//! waits for the disk. The demo issuer does so: against `spawn_blocking` around `durably`,
//! its SQLite load went from 2.21–2.25 to 1.88–1.97 ms of server CPU per issuance, and from
//! about 400 to 450 issuances per second (three interleaved runs each, 4 wallets), since each
//! request no longer hops to another thread and back.
//!
//! Several processes may open the same file (each sees the others' single use, through
//! SQLite's file locks); that is a restartable single server, not a fleet across machines,
//! which needs a networked database (`PostgresStores`).
//!
//! # Audit trail
//! [`SqliteStores::audit_sink`] appends the engine's audit events to `audit_events`, read in
//! pages with [`SqliteStores::audit_events`]. The table is append-only: no call updates or
//! deletes a row, and triggers make SQLite refuse an `UPDATE` or `DELETE` on it. It is not
//! purged; archive the file to rotate it.
//!
//! `PostgresStores` keeps the same trail (the same columns, the same [`StoredAuditEvent`]s
//! and [`MAX_AUDIT_PAGE`]) in its database with `PostgresStores::audit_sink` and
//! `PostgresStores::audit_events`: every process of a fleet appends to one table and reads
//! all of it, and a trigger refuses `UPDATE`, `DELETE` and `TRUNCATE`. A sink on either
//! backend never fails the engine's call: an event it could not store is counted in its
//! `failures()`.
//!
//! # Schema
//! Versioned with `PRAGMA user_version`; [`SqliteStores::open`] runs the missing migrations
//! in one transaction and refuses a database written by a newer version
//! ([`OpenError::SchemaTooNew`]).

mod audit;
mod codec;
mod committed;
mod db;
mod durable;
mod group;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "redis")]
mod redis_guard;
mod schema;
mod shared;
mod stores;

use core::time::Duration;
use std::path::Path;
use std::sync::Arc;

use jose_core::UnixTime;
use oid4vci_issuer::{StoreError, Stores};
use pop_verifier::ReplayGuard;

pub use audit::{MAX_AUDIT_PAGE, SqliteAuditSink, StoredAuditEvent};
pub use committed::Committed;
pub use schema::SCHEMA_VERSION;

#[cfg(feature = "postgres")]
pub use postgres::{POSTGRES_SCHEMA_VERSION, PostgresAuditSink, PostgresOptions, PostgresStores};
#[cfg(feature = "redis")]
pub use redis_guard::{RedisOptions, RedisReplayGuard};

#[doc(no_inline)]
pub use pop_verifier::ReplayError;

/// How [`SqliteStores::open`] opens the database.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SqliteOptions {
    /// How long a statement waits for another connection's write lock before failing with
    /// [`StoreError::Unavailable`].
    pub busy_timeout: Duration,
    /// The number of entries of each new status list (existing lists keep their size).
    pub status_list_size: u32,
}

impl Default for SqliteOptions {
    /// A 5 s busy timeout and status lists of 131,072 entries (16 KiB each).
    fn default() -> Self {
        Self {
            busy_timeout: Duration::from_secs(5),
            status_list_size: 1 << 17,
        }
    }
}

impl SqliteOptions {
    /// These options with `timeout` as the busy timeout.
    #[must_use]
    pub const fn with_busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    /// These options with new status lists of `size` entries.
    #[must_use]
    pub const fn with_status_list_size(mut self, size: u32) -> Self {
        self.status_list_size = size;
        self
    }
}

/// Why the database could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// SQLite refused to open, configure or migrate the file (not a database, read-only,
    /// locked past the busy timeout, ...).
    #[error("sqlite: {0}")]
    Sqlite(String),
    /// PostgreSQL refused the connection string, the connection or the migration (feature
    /// `postgres`).
    #[cfg(feature = "postgres")]
    #[error("postgres: {0}")]
    Postgres(String),
    /// Redis refused the URL or the connection (feature `redis`).
    #[cfg(feature = "redis")]
    #[error("redis: {0}")]
    Redis(String),
    /// The database was written by a newer version of this crate: its schema is unknown here,
    /// and opening it could corrupt it.
    #[error(
        "the database schema is version {found}, newer than the {supported} this version knows; run the newer version or restore a backup"
    )]
    SchemaTooNew {
        /// The database's schema version (SQLite: `user_version`).
        found: i64,
        /// The newest version this crate knows ([`SCHEMA_VERSION`] for SQLite).
        supported: i64,
    },
    /// A status list size of 0.
    #[error("status lists need at least one entry")]
    EmptyStatusList,
}

/// Every store of the issuer engine and the replay guard, on one SQLite file.
///
/// Cheap to share: the handles it gives out share its connection.
#[derive(Debug, Clone)]
pub struct SqliteStores {
    db: Arc<db::Db>,
    status_list_size: u32,
}

impl SqliteStores {
    /// Opens (creating it if needed) the database at `path`: WAL mode, a busy timeout, foreign
    /// keys on, and the schema migrated to [`SCHEMA_VERSION`].
    ///
    /// # Errors
    /// [`OpenError::Sqlite`] when the file cannot be opened, configured or migrated;
    /// [`OpenError::SchemaTooNew`] when it was written by a newer version;
    /// [`OpenError::EmptyStatusList`] for a status list size of 0.
    pub fn open(path: impl AsRef<Path>, options: &SqliteOptions) -> Result<Self, OpenError> {
        if options.status_list_size == 0 {
            return Err(OpenError::EmptyStatusList);
        }
        let db = db::Db::open(path.as_ref(), options.busy_timeout)?;
        Ok(Self {
            db: Arc::new(db),
            status_list_size: options.status_list_size,
        })
    }

    /// The engine's stores, one SQLite implementation of each trait.
    #[must_use]
    pub fn stores(&self) -> Stores {
        stores::all(&self.db, self.status_list_size)
    }

    /// The replay guard for PoP, DPoP and key proof `jti`s.
    #[must_use]
    pub fn replay_guard(&self) -> Arc<dyn ReplayGuard> {
        Arc::new(stores::SqliteReplayGuard::new(Arc::clone(&self.db)))
    }

    /// An audit sink appending to the `audit_events` table (give it to
    /// `IssuerEngineBuilder::with_audit_sink`). Each call makes a sink with its own failure
    /// count.
    #[must_use]
    pub fn audit_sink(&self) -> Arc<SqliteAuditSink> {
        Arc::new(SqliteAuditSink::new(Arc::clone(&self.db)))
    }

    /// Up to `limit` stored audit events (at most [`MAX_AUDIT_PAGE`]) with an id above
    /// `after_id` (all, from the first, for `None`), oldest first: pass the last id of a page
    /// as `after_id` to read the next one. The trail is append-only: there is no call to
    /// change or delete an event, and the schema refuses both.
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

    /// Runs `f` (one request's calls on these stores, on this thread) and makes its writes
    /// durable once at its end, instead of after each call: they go into the transaction
    /// shared by every scope running at the time, which the first of them to end commits and
    /// syncs (see the crate docs, *Concurrency*). Everything `f` wrote is on disk when this
    /// returns `Ok`, as after any single call, so answer the request only then. Without it
    /// each write commits and syncs on its own: forgetting it costs speed, never durability.
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("durably-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// use issuer_store::{SqliteOptions, SqliteStores};
    /// let db = SqliteStores::open(dir.join("issuer.db"), &SqliteOptions::default())?;
    /// let guard = db.replay_guard();
    /// let now = jose_core::UnixTime::from_secs(1_700_000_000);
    /// let expires = now.saturating_add(300);
    /// // Two replay records, one sync.
    /// let fresh = db.durably(|| {
    ///     (guard.check_and_record("dpop:jti-1", expires, now).is_ok(),
    ///      guard.check_and_record("dpop:jti-2", expires, now).is_ok())
    /// })?;
    /// assert_eq!(fresh, (true, true));
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the commit or the sync fails (or an earlier sync
    /// did): `f`'s writes may not be on disk, so what `f` returned must not be answered as a
    /// success.
    pub fn durably<T>(&self, f: impl FnOnce() -> T) -> Result<T, StoreError> {
        self.db.deferring(f)
    }

    /// [`Self::durably`] for an async server: runs `f` on this thread and commits its
    /// writes, and returns before their sync. What `f` returned is reachable only once they
    /// are on disk, by awaiting the [`Committed`] (a background thread runs the sync and wakes
    /// the task, so no thread of the runtime waits for the disk) or by [`Committed::wait`].
    ///
    /// `f` itself runs here: on an async worker it holds that worker for its statements (and,
    /// when another process holds SQLite's write lock, up to the busy timeout), never for a
    /// sync. That costs far less than moving each request to a blocking thread and back.
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("committed-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// use issuer_store::{SqliteOptions, SqliteStores};
    /// let db = SqliteStores::open(dir.join("issuer.db"), &SqliteOptions::default())?;
    /// let guard = db.replay_guard();
    /// let now = jose_core::UnixTime::from_secs(1_700_000_000);
    /// let pending = db.committed(|| guard.check_and_record("dpop:jti-1", now.saturating_add(300), now).is_ok())?;
    /// // In an async handler: `let fresh = pending.await?;`
    /// let fresh = pending.wait()?;
    /// assert!(fresh);
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when a transaction `f` depends on did not commit (the sync's
    /// failure comes from the [`Committed`]).
    pub fn committed<T>(&self, f: impl FnOnce() -> T) -> Result<Committed<T>, StoreError> {
        let (value, commit) = self.db.committing(f)?;
        Ok(Committed::new(value, commit, Arc::clone(&self.db)))
    }

    /// Deletes every expired row of every table (inserts already purge their own table; call
    /// this from a periodic task to reclaim tables that only see reads). Returns how many rows
    /// went.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the database fails.
    pub fn purge_expired(&self, now: UnixTime) -> Result<usize, StoreError> {
        self.db.purge_all(now)
    }

    /// The schema version of the open database.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the database fails.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.db.with(|conn| {
            conn.pragma_query_value(None, "user_version", |row| row.get(0))
                .map_err(db::unavailable)
        })
    }
}
