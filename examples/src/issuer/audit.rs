//! The demo's audit trail: every engine audit event goes to the log as one JSON line (tracing
//! target `audit`), to a queryable trail (the SQLite `audit_events` table of issuer-store, or
//! an in-memory one while the demo keeps its state in memory) and to the metrics; and
//! `GET /admin/audit?after=ID&limit=N` (loopback clients only) pages through the trail.

use core::net::SocketAddr;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{ConnectInfo, Query, State};
use axum::response::{IntoResponse, Response};
use issuer_store::{
    MAX_AUDIT_PAGE, PostgresAuditSink, PostgresStores, SqliteAuditSink, SqliteStores,
    StoredAuditEvent,
};
use jose_core::UnixTime;
use oid4vci_issuer::{AuditEvent, AuditSink, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::IssuerState;
use super::metrics::Metrics;
use crate::error::ApiError;

/// How many events the in-memory trail keeps (the oldest go first; the SQLite trail keeps
/// every event).
pub const IN_MEMORY_AUDIT_CAPACITY: usize = 100_000;

/// The page size of `GET /admin/audit` without `limit`.
pub const DEFAULT_AUDIT_PAGE: usize = 100;

/// One event of the trail, as `GET /admin/audit` answers it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct AuditEntry {
    /// Increasing in insertion order: the paging cursor.
    pub id: i64,
    /// When it happened (seconds since the epoch).
    pub at: i64,
    /// [`AuditEvent::kind`].
    pub kind: String,
    /// [`AuditEvent::details`].
    pub details: Map<String, Value>,
}

/// The in-memory trail: lost on restart and bounded by [`IN_MEMORY_AUDIT_CAPACITY`] (for a
/// demo without a data directory; the SQLite trail is the durable, append-only one).
#[derive(Debug, Default)]
pub struct InMemoryAuditTrail {
    entries: Mutex<(i64, VecDeque<AuditEntry>)>,
}

impl InMemoryAuditTrail {
    fn append(&self, event: &AuditEvent, now: UnixTime, details: Map<String, Value>) {
        let mut guard = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let (last, entries) = &mut *guard;
        *last = last.saturating_add(1);
        if entries.len() >= IN_MEMORY_AUDIT_CAPACITY {
            entries.pop_front();
        }
        entries.push_back(AuditEntry {
            id: *last,
            at: now.secs(),
            kind: event.kind().to_owned(),
            details,
        });
    }

    fn page(&self, after: Option<i64>, limit: usize) -> Vec<AuditEntry> {
        let guard = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let after = after.unwrap_or(0);
        guard
            .1
            .iter()
            .filter(|e| e.id > after)
            .take(limit)
            .cloned()
            .collect()
    }
}

/// Stored events as the admin API's entries.
fn entries(events: Result<Vec<StoredAuditEvent>, StoreError>) -> Result<Vec<AuditEntry>, String> {
    events
        .map(|events| {
            events
                .into_iter()
                .map(|e| AuditEntry {
                    id: e.id,
                    at: e.at.secs(),
                    kind: e.kind,
                    details: e.details,
                })
                .collect()
        })
        .map_err(|e| e.to_string())
}

/// Where the demo keeps its audit events.
#[derive(Debug)]
#[non_exhaustive]
pub enum AuditTrail {
    /// In memory (see [`InMemoryAuditTrail`]).
    InMemory(InMemoryAuditTrail),
    /// The `audit_events` table of the issuer's SQLite database.
    Sqlite {
        /// The database (for reading pages).
        db: SqliteStores,
        /// Its audit sink (for appending; counts failures).
        sink: Arc<SqliteAuditSink>,
    },
    /// The `audit_events` table of the fleet's PostgreSQL database (one trail for every
    /// instance).
    Postgres {
        /// The database (for reading pages).
        db: PostgresStores,
        /// Its audit sink (for appending; counts failures).
        sink: Arc<PostgresAuditSink>,
    },
}

impl AuditTrail {
    /// An empty in-memory trail.
    #[must_use]
    pub fn in_memory() -> Self {
        Self::InMemory(InMemoryAuditTrail::default())
    }

    /// The trail in `db`'s `audit_events` table.
    #[must_use]
    pub fn sqlite(db: &SqliteStores) -> Self {
        Self::Sqlite {
            db: db.clone(),
            sink: db.audit_sink(),
        }
    }

    /// The trail in `db`'s `audit_events` table.
    #[must_use]
    pub fn postgres(db: &PostgresStores) -> Self {
        Self::Postgres {
            db: db.clone(),
            sink: db.audit_sink(),
        }
    }

    /// Appends `event` at `now`; `details` are its [`AuditEvent::details`] (the database sinks
    /// write their rows from the event itself).
    fn append(&self, event: &AuditEvent, now: UnixTime, details: Map<String, Value>) {
        let stored = match self {
            Self::InMemory(trail) => {
                trail.append(event, now, details);
                Ok(0)
            }
            Self::Sqlite { sink, .. } => sink.append(event, now),
            Self::Postgres { sink, .. } => sink.append(event, now),
        };
        if let Err(e) = stored {
            // The event is still in the log line written before.
            tracing::error!(error = %e, kind = event.kind(), "audit event not stored");
        }
    }

    /// Appends `events` at `now`, each with its [`AuditEvent::details`]: the SQLite trail in
    /// one transaction, the others one by one.
    fn append_all(&self, events: Vec<(&AuditEvent, Map<String, Value>)>, now: UnixTime) {
        let Self::Sqlite { sink, .. } = self else {
            for (event, details) in events {
                self.append(event, now, details);
            }
            return;
        };
        if let Err(e) = sink.append_all(events.iter().map(|(event, _)| *event), now) {
            // The events are still in the log lines written before.
            tracing::error!(error = %e, events = events.len(), "audit events not stored");
        }
    }

    /// Up to `limit` events (at most [`MAX_AUDIT_PAGE`]) with an id above `after`, oldest
    /// first.
    ///
    /// # Errors
    /// The store's failure, as text.
    pub fn page(&self, after: Option<i64>, limit: usize) -> Result<Vec<AuditEntry>, String> {
        let limit = limit.min(MAX_AUDIT_PAGE);
        match self {
            Self::InMemory(trail) => Ok(trail.page(after, limit)),
            Self::Sqlite { db, .. } => entries(db.audit_events(after, limit)),
            Self::Postgres { db, .. } => entries(db.audit_events(after, limit)),
        }
    }
}

/// The demo's [`AuditSink`]: a JSON log line, the trail, the metrics.
#[derive(Debug)]
pub struct DemoAudit {
    trail: AuditTrail,
    metrics: Arc<Metrics>,
}

impl DemoAudit {
    /// A sink writing to `trail` and counting in `metrics`.
    #[must_use]
    pub const fn new(trail: AuditTrail, metrics: Arc<Metrics>) -> Self {
        Self { trail, metrics }
    }

    /// The trail.
    #[must_use]
    pub const fn trail(&self) -> &AuditTrail {
        &self.trail
    }

    /// Writes the log line of `event` and counts it in the metrics; its details, made once for
    /// the line and the trail.
    fn log_and_count(&self, event: &AuditEvent, now: UnixTime) -> Map<String, Value> {
        let details = event.details();
        tracing::info!(target: "audit", "{}", line_of(event.kind(), now, &details));
        self.metrics.observe_audit(event);
        details
    }
}

/// The JSON log line of `event` at `now`: `{"audit":KIND,"at":SECS,...details}`, the kind and
/// time first, then [`AuditEvent::details`] in their order.
#[must_use]
pub fn json_line(event: &AuditEvent, now: UnixTime) -> String {
    line_of(event.kind(), now, &event.details())
}

/// [`json_line`] from the event's kind and details, written straight into one buffer (this
/// runs for every audited request).
fn line_of(kind: &str, now: UnixTime, details: &Map<String, Value>) -> String {
    // Writing JSON into a `Vec` cannot fail (no I/O, and strings, numbers and `Value`s
    // always serialise).
    let mut line = Vec::with_capacity(256);
    line.extend_from_slice(b"{\"audit\":");
    let _ = jose_core::json::write_str(&mut line, kind);
    line.extend_from_slice(b",\"at\":");
    let _ = serde_json::to_writer(&mut line, &now.secs());
    // No event has a detail named `audit` or `at`; one would be a duplicate member.
    for (name, value) in details
        .iter()
        .filter(|(n, _)| !matches!(n.as_str(), "audit" | "at"))
    {
        line.push(b',');
        let _ = jose_core::json::write_str(&mut line, name);
        line.push(b':');
        let _ = jose_core::json::write_value(&mut line, value);
    }
    line.push(b'}');
    String::from_utf8(line).unwrap_or_default()
}

impl AuditSink for DemoAudit {
    fn record(&self, event: &AuditEvent, now: UnixTime) {
        let details = self.log_and_count(event, now);
        self.trail.append(event, now, details);
    }

    /// As [`Self::record`] for each event, the trail taking the batch at once.
    fn record_all(&self, events: &[AuditEvent], now: UnixTime) {
        let batch = events
            .iter()
            .map(|event| (event, self.log_and_count(event, now)))
            .collect();
        self.trail.append_all(batch, now);
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AuditQuery {
    after: Option<i64>,
    limit: Option<usize>,
}

/// `GET /admin/audit?after=ID&limit=N` (loopback clients only): up to `N` events (default
/// [`DEFAULT_AUDIT_PAGE`], at most [`MAX_AUDIT_PAGE`]) after the event `ID` (from the first
/// without it), oldest first, as `{"events": [...], "next": CURSOR}`. `next` is the `after` of
/// the following page: the last id of this page, or the `after` sent when this page is empty
/// (`null` when the trail is empty), so a client can poll with it.
pub(super) async fn audit_page(
    State(state): State<Arc<IssuerState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> Response {
    super::off_runtime(
        state.store_calls.clone(),
        move || -> Result<Response, ApiError> {
            super::admin::loopback_only(peer)?;
            let Query(query) = query.map_err(|e| ApiError::invalid_request(e.body_text()))?;
            let limit = query.limit.unwrap_or(DEFAULT_AUDIT_PAGE);
            if limit == 0 {
                return Err(ApiError::invalid_request("limit must be at least 1"));
            }
            let events = state
                .audit
                .trail()
                .page(query.after, limit)
                .map_err(|e| ApiError::server_error(&e))?;
            let next = events.last().map(|e| e.id).or(query.after);
            Ok(Json(json!({"events": events, "next": next})).into_response())
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The line is one JSON object: the kind and time first, then every detail.
    #[test]
    fn the_json_line_holds_the_kind_the_time_and_every_detail() {
        let event =
            AuditEvent::key_changed("kid-1", "credential", oid4vci_issuer::KeyChange::Rotated);
        let line = json_line(&event, UnixTime::from_secs(1_800_000_000));
        assert!(
            line.starts_with(r#"{"audit":"key_changed","at":1800000000,"#),
            "{line}"
        );
        let Ok(Value::Object(parsed)) = serde_json::from_str::<Value>(&line) else {
            panic!("not a JSON object: {line}");
        };
        let mut expected = event.details();
        expected.insert("audit".into(), Value::String(event.kind().to_owned()));
        expected.insert("at".into(), Value::from(1_800_000_000_i64));
        assert_eq!(parsed, expected);
    }
}
