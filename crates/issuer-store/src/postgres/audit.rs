//! The audit trail on PostgreSQL: the sink and the paged reader of `audit_events`, sharing
//! the row encoding, page limit and failure count with SQLite's (`crate::audit`).

use std::sync::Arc;

use jose_core::UnixTime;
use oid4vci_issuer::{AuditEvent, AuditSink, StoreError};

use super::db::{PgDb, all, col, one};
use crate::audit::{AuditRow, Failures, StoredAuditEvent, decode, page_after, page_limit};

/// An [`AuditSink`] on the `audit_events` table of a PostgreSQL database (from
/// [`crate::PostgresStores::audit_sink`]; feature `postgres`).
///
/// Recording cannot fail from the engine's point of view (see [`AuditSink`]): an event the
/// database refuses (it is down, the statement timed out, the table is gone) is counted
/// ([`Self::failures`]) and dropped; recording never panics. Watch the count: a growing one
/// means the trail has gaps.
///
/// Every process of a fleet appends to the same table. Each insert takes the table's
/// `EXCLUSIVE` lock (readers are not blocked) for its short transaction, so ids are handed out
/// in commit order: a reader paging by id never passes an id whose event commits later.
#[derive(Debug)]
pub struct PostgresAuditSink {
    db: Arc<PgDb>,
    failures: Failures,
}

impl PostgresAuditSink {
    pub(crate) fn new(db: Arc<PgDb>) -> Self {
        Self {
            db,
            failures: Failures::default(),
        }
    }

    /// How many events this sink could not store.
    #[must_use]
    pub fn failures(&self) -> u64 {
        self.failures.get()
    }

    /// Appends `event` at `now`, returning its id.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the database refuses the row or cannot be reached
    /// within the connect timeout.
    pub fn append(&self, event: &AuditEvent, now: UnixTime) -> Result<i64, StoreError> {
        let row = AuditRow::new(event, now);
        // One statement (schema version 3): the function takes the table's lock, so ids
        // increase in commit order.
        self.db.with(|c| {
            let appended = one(
                c,
                "SELECT issuer_store_audit_append($1, $2, $3)",
                &[&row.at, &row.kind, &row.details_json],
            )?
            .ok_or_else(|| StoreError::Unavailable("postgres: the append returned no id".into()))?;
            col(&appended, 0)
        })
    }
}

impl AuditSink for PostgresAuditSink {
    fn record(&self, event: &AuditEvent, now: UnixTime) {
        self.failures.count(&self.append(event, now));
    }
}

/// Up to `limit` (at most [`crate::MAX_AUDIT_PAGE`]) events with an id above `after_id`,
/// oldest first.
pub(crate) fn page(
    db: &PgDb,
    after_id: Option<i64>,
    limit: usize,
) -> Result<Vec<StoredAuditEvent>, StoreError> {
    let rows = db.with(|c| {
        all(
            c,
            "SELECT id, at, kind, details_json FROM audit_events
             WHERE id > $1 ORDER BY id LIMIT $2",
            &[&page_after(after_id), &page_limit(limit)],
        )
    })?;
    rows.iter()
        .map(|row| {
            let details: String = col(row, 3)?;
            decode(col(row, 0)?, col(row, 1)?, col(row, 2)?, &details)
        })
        .collect()
}
