//! The schema and its migrations, versioned with `PRAGMA user_version`.

use rusqlite::{Connection, TransactionBehavior};

use crate::OpenError;

/// The migrations, in order: migration `n` (1-based) brings the schema from version `n - 1`
/// to `n`. Append only; never edit a released one.
const MIGRATIONS: &[&str] = &[
    // 1: every store of the engine and the replay guard.
    "
    CREATE TABLE replay (
        key TEXT PRIMARY KEY NOT NULL,
        expires_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX replay_expiry ON replay (expires_at);

    CREATE TABLE pre_auth_codes (
        code_hash TEXT PRIMARY KEY NOT NULL,
        grant_json TEXT NOT NULL,
        attempts_left INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX pre_auth_codes_expiry ON pre_auth_codes (expires_at);

    CREATE TABLE access_tokens (
        token_hash TEXT PRIMARY KEY NOT NULL,
        grant_id TEXT NOT NULL,
        grant_json TEXT NOT NULL,
        expires_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX access_tokens_grant ON access_tokens (grant_id);
    CREATE INDEX access_tokens_expiry ON access_tokens (expires_at);

    CREATE TABLE refresh_tokens (
        token_hash TEXT PRIMARY KEY NOT NULL,
        grant_id TEXT NOT NULL,
        grant_json TEXT NOT NULL,
        expires_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX refresh_tokens_grant ON refresh_tokens (grant_id);
    CREATE INDEX refresh_tokens_expiry ON refresh_tokens (expires_at);

    CREATE TABLE rotated_refresh_tokens (
        token_hash TEXT PRIMARY KEY NOT NULL,
        grant_id TEXT NOT NULL,
        expires_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX rotated_refresh_tokens_expiry ON rotated_refresh_tokens (expires_at);

    CREATE TABLE revoked_grants (
        grant_id TEXT PRIMARY KEY NOT NULL,
        expires_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX revoked_grants_expiry ON revoked_grants (expires_at);

    CREATE TABLE deferred (
        grant_id TEXT NOT NULL,
        transaction_hash TEXT NOT NULL,
        credentials_json TEXT NOT NULL,
        ready_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (grant_id, transaction_hash)
    ) WITHOUT ROWID;
    CREATE INDEX deferred_expiry ON deferred (expires_at);

    CREATE TABLE notifications (
        grant_id TEXT NOT NULL,
        notification_hash TEXT NOT NULL,
        credential_ids_json TEXT NOT NULL,
        events_json TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (grant_id, notification_hash)
    ) WITHOUT ROWID;
    CREATE INDEX notifications_expiry ON notifications (expires_at);

    CREATE TABLE issued_credentials (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        credential_id TEXT NOT NULL,
        grant_id TEXT NOT NULL,
        configuration_id TEXT NOT NULL,
        status_list_id TEXT NOT NULL,
        status_uri TEXT NOT NULL,
        status_idx INTEGER NOT NULL,
        issued_at INTEGER NOT NULL
    );

    CREATE TABLE status_lists (
        id INTEGER PRIMARY KEY,
        size INTEGER NOT NULL CHECK (size > 0),
        allocated INTEGER NOT NULL DEFAULT 0,
        bytes BLOB NOT NULL
    );
    CREATE TABLE status_indices (
        list_id INTEGER NOT NULL REFERENCES status_lists (id),
        idx INTEGER NOT NULL,
        PRIMARY KEY (list_id, idx)
    ) WITHOUT ROWID;

    CREATE TABLE pushed_requests (
        uri_hash TEXT PRIMARY KEY NOT NULL,
        client_id TEXT NOT NULL,
        request_json TEXT NOT NULL,
        expires_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX pushed_requests_expiry ON pushed_requests (expires_at);

    CREATE TABLE authorization_codes (
        code_hash TEXT PRIMARY KEY NOT NULL,
        issued_json TEXT NOT NULL,
        expires_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX authorization_codes_expiry ON authorization_codes (expires_at);

    CREATE TABLE redeemed_codes (
        code_hash TEXT PRIMARY KEY NOT NULL,
        grant_id TEXT NOT NULL,
        expires_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX redeemed_codes_expiry ON redeemed_codes (expires_at);
    ",
    // 2: the append-only audit trail. The triggers refuse every UPDATE and DELETE, so not even
    // a bug in this crate can rewrite or drop an event through this connection.
    "
    CREATE TABLE audit_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        kind TEXT NOT NULL,
        details_json TEXT NOT NULL
    );
    CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
    BEGIN
        SELECT RAISE(ABORT, 'audit_events is append-only');
    END;
    CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
    BEGIN
        SELECT RAISE(ABORT, 'audit_events is append-only');
    END;
    ",
];

/// The schema version this crate writes: the number of migrations.
pub const SCHEMA_VERSION: i64 = 2;

/// Brings the schema to [`SCHEMA_VERSION`] in one transaction, or refuses a newer one.
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), OpenError> {
    let sqlite = |e: rusqlite::Error| OpenError::Sqlite(e.to_string());
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sqlite)?;
    let found: i64 = tx
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(sqlite)?;
    if found > SCHEMA_VERSION {
        return Err(OpenError::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    let done = usize::try_from(found)
        .map_err(|_| OpenError::Sqlite(format!("a negative schema version {found}")))?;
    for (n, migration) in MIGRATIONS.iter().enumerate().skip(done) {
        tx.execute_batch(migration).map_err(sqlite)?;
        let version = i64::try_from(n.saturating_add(1))
            .map_err(|_| OpenError::Sqlite("too many migrations".into()))?;
        tx.pragma_update(None, "user_version", version)
            .map_err(sqlite)?;
    }
    tx.commit().map_err(sqlite)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_is_the_number_of_migrations() {
        assert_eq!(usize::try_from(SCHEMA_VERSION).ok(), Some(MIGRATIONS.len()));
    }
}
