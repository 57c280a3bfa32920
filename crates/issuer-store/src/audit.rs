//! The append-only audit trail: an [`AuditSink`] that inserts each event as a row of
//! `audit_events`, and a paged reader. Rows are never updated or deleted (the schema's
//! triggers refuse both).

use core::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use jose_core::UnixTime;
use oid4vci_issuer::{AuditEvent, AuditSink, StoreError};
use serde_json::{Map, Value};

use crate::db::{Db, unavailable};
use crate::shared::corrupt;

/// The largest page [`crate::SqliteStores::audit_events`] returns, whatever `limit` asks.
pub const MAX_AUDIT_PAGE: usize = 1_000;

/// One stored audit event.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoredAuditEvent {
    /// Its row id: increasing in insertion order, the cursor of the next page.
    pub id: i64,
    /// When it happened (the engine's `now`).
    pub at: UnixTime,
    /// Its kind ([`AuditEvent::kind`]).
    pub kind: String,
    /// Its fields ([`AuditEvent::details`]).
    pub details: Map<String, Value>,
}

/// An [`AuditSink`] on the `audit_events` table (from [`crate::SqliteStores::audit_sink`]).
///
/// Recording cannot fail from the engine's point of view (see [`AuditSink`]): an event the
/// database refuses is counted ([`Self::failures`]) and dropped. Watch the count: a growing one
/// means the trail has gaps.
#[derive(Debug)]
pub struct SqliteAuditSink {
    db: Arc<Db>,
    failures: AtomicU64,
}

impl SqliteAuditSink {
    pub(crate) const fn new(db: Arc<Db>) -> Self {
        Self {
            db,
            failures: AtomicU64::new(0),
        }
    }

    /// How many events this sink could not store.
    #[must_use]
    pub fn failures(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }

    /// Appends `event` at `now`.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the database refuses the row.
    pub fn append(&self, event: &AuditEvent, now: UnixTime) -> Result<i64, StoreError> {
        let details = Value::Object(event.details()).to_string();
        self.db.with(|conn| {
            conn.execute(
                "INSERT INTO audit_events (at, kind, details_json) VALUES (?1, ?2, ?3)",
                rusqlite::params![now.secs(), event.kind(), details],
            )
            .map_err(unavailable)?;
            Ok(conn.last_insert_rowid())
        })
    }
}

impl AuditSink for SqliteAuditSink {
    fn record(&self, event: &AuditEvent, now: UnixTime) {
        if self.append(event, now).is_err() {
            self.failures.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Up to `limit` (at most [`MAX_AUDIT_PAGE`]) events with an id above `after_id`, oldest
/// first.
pub(crate) fn page(
    db: &Db,
    after_id: Option<i64>,
    limit: usize,
) -> Result<Vec<StoredAuditEvent>, StoreError> {
    let limit = i64::try_from(limit.min(MAX_AUDIT_PAGE)).unwrap_or(0);
    db.with(|conn| {
        let mut statement = conn
            .prepare(
                "SELECT id, at, kind, details_json FROM audit_events
                 WHERE id > ?1 ORDER BY id LIMIT ?2",
            )
            .map_err(unavailable)?;
        let rows = statement
            .query_map(rusqlite::params![after_id.unwrap_or(0), limit], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, i64>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                ))
            })
            .map_err(unavailable)?;
        let mut out = Vec::new();
        for row in rows {
            let (id, at, kind, details) = row.map_err(unavailable)?;
            let Ok(Value::Object(details)) = serde_json::from_str(&details) else {
                return Err(corrupt("audit event"));
            };
            out.push(StoredAuditEvent {
                id,
                at: UnixTime::from_secs(at),
                kind,
                details,
            });
        }
        Ok(out)
    })
}
