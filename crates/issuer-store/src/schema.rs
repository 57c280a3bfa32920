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
    // 3: fewer pages written per insert. The replay guard, the pre-authorized codes and the
    // access and refresh tokens become rowid tables whose random key is a UNIQUE column: an
    // expiry index orders the rows of one second by rowid, so its new entries append, where
    // in a WITHOUT ROWID table they sorted by the random key and each landed on its own page.
    // The registry and the audit trail drop AUTOINCREMENT (and so their `sqlite_sequence`
    // row, written on every insert): neither deletes rows, so a new id is still above every
    // id given before.
    "
    CREATE TABLE replay_v3 (
        key TEXT NOT NULL UNIQUE,
        expires_at INTEGER NOT NULL
    );
    INSERT INTO replay_v3 (key, expires_at) SELECT key, expires_at FROM replay;
    DROP TABLE replay;
    ALTER TABLE replay_v3 RENAME TO replay;
    CREATE INDEX replay_expiry ON replay (expires_at);

    CREATE TABLE pre_auth_codes_v3 (
        code_hash TEXT NOT NULL UNIQUE,
        grant_json TEXT NOT NULL,
        attempts_left INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
    );
    INSERT INTO pre_auth_codes_v3 (code_hash, grant_json, attempts_left, expires_at)
        SELECT code_hash, grant_json, attempts_left, expires_at FROM pre_auth_codes;
    DROP TABLE pre_auth_codes;
    ALTER TABLE pre_auth_codes_v3 RENAME TO pre_auth_codes;
    CREATE INDEX pre_auth_codes_expiry ON pre_auth_codes (expires_at);

    CREATE TABLE access_tokens_v3 (
        token_hash TEXT NOT NULL UNIQUE,
        grant_id TEXT NOT NULL,
        grant_json TEXT NOT NULL,
        expires_at INTEGER NOT NULL
    );
    INSERT INTO access_tokens_v3 (token_hash, grant_id, grant_json, expires_at)
        SELECT token_hash, grant_id, grant_json, expires_at FROM access_tokens;
    DROP TABLE access_tokens;
    ALTER TABLE access_tokens_v3 RENAME TO access_tokens;
    CREATE INDEX access_tokens_grant ON access_tokens (grant_id);
    CREATE INDEX access_tokens_expiry ON access_tokens (expires_at);

    CREATE TABLE refresh_tokens_v3 (
        token_hash TEXT NOT NULL UNIQUE,
        grant_id TEXT NOT NULL,
        grant_json TEXT NOT NULL,
        expires_at INTEGER NOT NULL
    );
    INSERT INTO refresh_tokens_v3 (token_hash, grant_id, grant_json, expires_at)
        SELECT token_hash, grant_id, grant_json, expires_at FROM refresh_tokens;
    DROP TABLE refresh_tokens;
    ALTER TABLE refresh_tokens_v3 RENAME TO refresh_tokens;
    CREATE INDEX refresh_tokens_grant ON refresh_tokens (grant_id);
    CREATE INDEX refresh_tokens_expiry ON refresh_tokens (expires_at);

    CREATE TABLE issued_credentials_v3 (
        seq INTEGER PRIMARY KEY,
        credential_id TEXT NOT NULL,
        grant_id TEXT NOT NULL,
        configuration_id TEXT NOT NULL,
        status_list_id TEXT NOT NULL,
        status_uri TEXT NOT NULL,
        status_idx INTEGER NOT NULL,
        issued_at INTEGER NOT NULL
    );
    INSERT INTO issued_credentials_v3 (seq, credential_id, grant_id, configuration_id,
            status_list_id, status_uri, status_idx, issued_at)
        SELECT seq, credential_id, grant_id, configuration_id, status_list_id, status_uri,
            status_idx, issued_at FROM issued_credentials;
    DROP TABLE issued_credentials;
    ALTER TABLE issued_credentials_v3 RENAME TO issued_credentials;

    CREATE TABLE audit_events_v3 (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        kind TEXT NOT NULL,
        details_json TEXT NOT NULL
    );
    INSERT INTO audit_events_v3 (id, at, kind, details_json)
        SELECT id, at, kind, details_json FROM audit_events;
    DROP TABLE audit_events;
    ALTER TABLE audit_events_v3 RENAME TO audit_events;
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
pub const SCHEMA_VERSION: i64 = 3;

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

    fn count(conn: &Connection, sql: &str) -> i64 {
        conn.query_row(sql, [], |row| row.get(0)).unwrap()
    }

    /// The named indexes and triggers, with their tables (SQLite's own automatic indexes
    /// left out: a `UNIQUE` column makes one where a primary key did not).
    fn indexes_and_triggers(conn: &Connection) -> Vec<(String, String, String)> {
        let mut statement = conn
            .prepare(
                "SELECT type, name, tbl_name FROM sqlite_master
                 WHERE type IN ('index', 'trigger') AND name NOT LIKE 'sqlite_autoindex_%'
                 ORDER BY name",
            )
            .unwrap();
        statement
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// A version 2 database with a row in each rebuilt table keeps every row, the keys stay
    /// unique, the audit trail stays append-only, and new ids continue above the old ones.
    #[test]
    fn version_3_keeps_the_rows_and_rules_of_version_2() {
        let mut conn = Connection::open_in_memory().unwrap();
        for migration in MIGRATIONS.iter().take(2) {
            conn.execute_batch(migration).unwrap();
        }
        conn.execute_batch(
            "PRAGMA user_version = 2;
             INSERT INTO replay VALUES ('jti', 50);
             INSERT INTO pre_auth_codes VALUES ('c', '{}', 3, 60);
             INSERT INTO access_tokens VALUES ('a', 'g', '{}', 70);
             INSERT INTO refresh_tokens VALUES ('r', 'g', '{}', 80);
             INSERT INTO issued_credentials (credential_id, grant_id, configuration_id,
                 status_list_id, status_uri, status_idx, issued_at)
                 VALUES ('cred', 'g', 'pid', '1', 'https://i/1', 7, 40);
             INSERT INTO audit_events (at, kind, details_json) VALUES (40, 'k', '{}');
             INSERT INTO audit_events (at, kind, details_json) VALUES (41, 'k', '{}');",
        )
        .unwrap();
        let before = indexes_and_triggers(&conn);
        migrate(&mut conn).unwrap();
        assert_eq!(
            indexes_and_triggers(&conn),
            before,
            "no index or trigger lost"
        );
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .unwrap();
        assert_eq!(version, 3);
        for (sql, expected) in [
            ("SELECT expires_at FROM replay WHERE key = 'jti'", 50),
            (
                "SELECT attempts_left FROM pre_auth_codes WHERE code_hash = 'c'",
                3,
            ),
            (
                "SELECT expires_at FROM access_tokens WHERE token_hash = 'a'",
                70,
            ),
            (
                "SELECT expires_at FROM refresh_tokens WHERE token_hash = 'r'",
                80,
            ),
            (
                "SELECT status_idx FROM issued_credentials WHERE credential_id = 'cred'",
                7,
            ),
            ("SELECT max(id) FROM audit_events", 2),
        ] {
            assert_eq!(count(&conn, sql), expected, "{sql}");
        }
        // The random keys are still unique.
        assert_eq!(
            conn.execute(
                "INSERT INTO replay VALUES ('jti', 90) ON CONFLICT DO NOTHING",
                []
            )
            .unwrap(),
            0
        );
        for sql in [
            "INSERT INTO pre_auth_codes VALUES ('c', '{}', 3, 61)",
            "INSERT INTO access_tokens VALUES ('a', 'g', '{}', 71)",
            "INSERT INTO refresh_tokens VALUES ('r', 'g', '{}', 81)",
        ] {
            assert!(conn.execute(sql, []).is_err(), "{sql}");
        }
        // The audit trail is still append-only, and its ids continue.
        for sql in [
            "UPDATE audit_events SET kind = 'x'",
            "DELETE FROM audit_events WHERE id = 1",
        ] {
            let error = conn.execute(sql, []).unwrap_err().to_string();
            assert!(error.contains("append-only"), "{sql}: {error}");
        }
        conn.execute(
            "INSERT INTO audit_events (at, kind, details_json) VALUES (42, 'k', '{}')",
            [],
        )
        .unwrap();
        assert_eq!(count(&conn, "SELECT max(id) FROM audit_events"), 3);
        // No AUTOINCREMENT left: nothing writes sqlite_sequence any more.
        assert_eq!(count(&conn, "SELECT count(*) FROM sqlite_sequence"), 0);
    }
}
