//! The append-only audit trail: what every backend shares (how an event becomes a row, how a
//! row becomes a [`StoredAuditEvent`], the page limit, the failure count), and the SQLite
//! [`AuditSink`], which inserts each event as a row of `audit_events`, with its paged reader.
//! Rows are never updated or deleted (the schema's triggers refuse both).

use core::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use jose_core::UnixTime;
use oid4vci_issuer::{AuditEvent, AuditSink, StoreError};
use serde_json::{Map, Value};

use crate::db::{Cached, Db, unavailable};
use crate::shared::corrupt;

/// The largest page `audit_events` returns (on [`crate::SqliteStores`] and
/// `PostgresStores`), whatever `limit` asks.
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

/// An event as the columns of its row: `at` (Unix seconds), `kind`, `details_json`.
#[derive(Debug)]
pub(crate) struct AuditRow {
    /// When it happened, in Unix seconds.
    pub(crate) at: i64,
    /// [`AuditEvent::kind`].
    pub(crate) kind: &'static str,
    /// [`AuditEvent::details`] as JSON text. Text, not PostgreSQL's `jsonb`: `jsonb` refuses
    /// the escape `\u0000`, and a client id with a NUL in it must not keep an event out.
    pub(crate) details_json: String,
}

impl AuditRow {
    /// The row of `event`, which happened at `now`.
    pub(crate) fn new(event: &AuditEvent, now: UnixTime) -> Self {
        Self {
            at: now.secs(),
            kind: event.kind(),
            details_json: Value::Object(event.details()).to_string(),
        }
    }
}

/// The SQL `LIMIT` of a page that asks for `limit` events: at most [`MAX_AUDIT_PAGE`].
pub(crate) fn page_limit(limit: usize) -> i64 {
    i64::try_from(limit.min(MAX_AUDIT_PAGE)).unwrap_or(0)
}

/// The cursor of a page: ids above it are returned (`None`: from the first).
pub(crate) fn page_after(after_id: Option<i64>) -> i64 {
    after_id.unwrap_or(0)
}

/// A stored row back as an event; details that are not a JSON object are a corrupt row.
pub(crate) fn decode(
    id: i64,
    at: i64,
    kind: String,
    details_json: &str,
) -> Result<StoredAuditEvent, StoreError> {
    let Ok(Value::Object(details)) = serde_json::from_str(details_json) else {
        return Err(corrupt("audit event"));
    };
    Ok(StoredAuditEvent {
        id,
        at: UnixTime::from_secs(at),
        kind,
        details,
    })
}

/// How many events a sink could not store.
#[derive(Debug, Default)]
pub(crate) struct Failures(AtomicU64);

impl Failures {
    /// Counts `result` if it is an error.
    pub(crate) fn count<T>(&self, result: &Result<T, StoreError>) {
        if result.is_err() {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counts `lost` events at once.
    pub(crate) fn add(&self, lost: usize) {
        self.0
            .fetch_add(u64::try_from(lost).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// The count.
    pub(crate) fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// An [`AuditSink`] on the `audit_events` table (from [`crate::SqliteStores::audit_sink`]).
///
/// Recording cannot fail from the engine's point of view (see [`AuditSink`]): an event the
/// database refuses is counted ([`Self::failures`]) and dropped. Watch the count: a growing one
/// means the trail has gaps.
#[derive(Debug)]
pub struct SqliteAuditSink {
    db: Arc<Db>,
    failures: Failures,
}

impl SqliteAuditSink {
    pub(crate) fn new(db: Arc<Db>) -> Self {
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

    /// Appends `event` at `now`, returning its id (inside
    /// [`SqliteStores::durably`](crate::SqliteStores::durably), in the request's commit).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the database refuses the row.
    pub fn append(&self, event: &AuditEvent, now: UnixTime) -> Result<i64, StoreError> {
        self.db.write(|conn| insert_event(conn, event, now))
    }

    /// Appends `events` at `now`, in their order, in one call (one savepoint, one commit;
    /// all or none), returning their ids.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the database refuses a row; then none is kept.
    pub fn append_all<'e>(
        &self,
        events: impl IntoIterator<Item = &'e AuditEvent>,
        now: UnixTime,
    ) -> Result<Vec<i64>, StoreError> {
        self.db.write(|tx| {
            events
                .into_iter()
                .map(|event| insert_event(tx, event, now))
                .collect()
        })
    }
}

/// Inserts the row of `event` at `now`, returning its id.
fn insert_event(
    conn: &rusqlite::Connection,
    event: &AuditEvent,
    now: UnixTime,
) -> Result<i64, StoreError> {
    let row = AuditRow::new(event, now);
    conn.exec(
        "INSERT INTO audit_events (at, kind, details_json) VALUES (?1, ?2, ?3)",
        rusqlite::params![row.at, row.kind, row.details_json],
    )
    .map_err(unavailable)?;
    Ok(conn.last_insert_rowid())
}

impl AuditSink for SqliteAuditSink {
    fn record(&self, event: &AuditEvent, now: UnixTime) {
        self.failures.count(&self.append(event, now));
    }

    /// One transaction for the batch; a failure counts once per event lost.
    fn record_all(&self, events: &[AuditEvent], now: UnixTime) {
        if self.append_all(events, now).is_err() {
            self.failures.add(events.len());
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
    db.with(|conn| {
        let mut statement = conn
            .prepare_cached(
                "SELECT id, at, kind, details_json FROM audit_events
                 WHERE id > ?1 ORDER BY id LIMIT ?2",
            )
            .map_err(unavailable)?;
        let rows = statement
            .query_map(
                rusqlite::params![page_after(after_id), page_limit(limit)],
                |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        row.get::<_, i64>(1)?,
                        row.get::<_, String>(2)?,
                        row.get::<_, String>(3)?,
                    ))
                },
            )
            .map_err(unavailable)?;
        let mut out = Vec::new();
        for row in rows {
            let (id, at, kind, details) = row.map_err(unavailable)?;
            out.push(decode(id, at, kind, &details)?);
        }
        Ok(out)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use oid4vci_issuer::KeyChange;

    #[test]
    fn a_page_asks_for_at_most_the_maximum() {
        assert_eq!(page_limit(0), 0);
        assert_eq!(page_limit(7), 7);
        assert_eq!(page_limit(MAX_AUDIT_PAGE), 1_000);
        assert_eq!(page_limit(usize::MAX), 1_000);
        assert_eq!(page_after(None), 0);
        assert_eq!(page_after(Some(41)), 41);
    }

    #[test]
    fn a_row_decodes_back_to_its_event_and_a_non_object_is_corrupt() {
        let event = AuditEvent::key_changed("k\u{0}1", "credential", KeyChange::Rotated);
        let row = AuditRow::new(&event, UnixTime::from_secs(5));
        assert_eq!((row.at, row.kind), (5, "key_changed"));
        let stored = decode(3, row.at, row.kind.to_owned(), &row.details_json).unwrap();
        assert_eq!(stored.id, 3);
        assert_eq!(stored.at, UnixTime::from_secs(5));
        assert_eq!(stored.kind, "key_changed");
        assert_eq!(stored.details, event.details());
        for bad in ["[]", "1", "{", ""] {
            assert!(matches!(
                decode(1, 0, "x".into(), bad),
                Err(StoreError::Unavailable(_))
            ));
        }
    }

    #[test]
    fn failures_count_errors_only() {
        let failures = Failures::default();
        failures.count(&Ok::<_, StoreError>(1));
        assert_eq!(failures.get(), 0);
        failures.count(&Err::<i64, _>(StoreError::Unavailable("down".into())));
        assert_eq!(failures.get(), 1);
    }
}
