//! The PostgreSQL schema and its migrations, versioned in `issuer_store_schema`.

use postgres::Client;

use crate::OpenError;

/// The migrations, in order: migration `n` (1-based) brings the schema from version `n - 1`
/// to `n`. Append only; never edit a released one.
const MIGRATIONS: &[&str] = &[
    // 1: every store of the engine and the replay guard. Times are Unix seconds.
    "
    CREATE TABLE replay (
        key TEXT PRIMARY KEY,
        expires_at BIGINT NOT NULL
    );
    CREATE INDEX replay_expiry ON replay (expires_at);

    CREATE TABLE pre_auth_codes (
        code_hash TEXT PRIMARY KEY,
        grant_json TEXT NOT NULL,
        attempts_left BIGINT NOT NULL,
        expires_at BIGINT NOT NULL
    );
    CREATE INDEX pre_auth_codes_expiry ON pre_auth_codes (expires_at);

    CREATE TABLE access_tokens (
        token_hash TEXT PRIMARY KEY,
        grant_id TEXT NOT NULL,
        grant_json TEXT NOT NULL,
        expires_at BIGINT NOT NULL
    );
    CREATE INDEX access_tokens_grant ON access_tokens (grant_id);
    CREATE INDEX access_tokens_expiry ON access_tokens (expires_at);

    CREATE TABLE refresh_tokens (
        token_hash TEXT PRIMARY KEY,
        grant_id TEXT NOT NULL,
        grant_json TEXT NOT NULL,
        expires_at BIGINT NOT NULL
    );
    CREATE INDEX refresh_tokens_grant ON refresh_tokens (grant_id);
    CREATE INDEX refresh_tokens_expiry ON refresh_tokens (expires_at);

    CREATE TABLE rotated_refresh_tokens (
        token_hash TEXT PRIMARY KEY,
        grant_id TEXT NOT NULL,
        expires_at BIGINT NOT NULL
    );
    CREATE INDEX rotated_refresh_tokens_expiry ON rotated_refresh_tokens (expires_at);

    CREATE TABLE revoked_grants (
        grant_id TEXT PRIMARY KEY,
        expires_at BIGINT NOT NULL
    );
    CREATE INDEX revoked_grants_expiry ON revoked_grants (expires_at);

    CREATE TABLE deferred (
        grant_id TEXT NOT NULL,
        transaction_hash TEXT NOT NULL,
        credentials_json TEXT NOT NULL,
        ready_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        PRIMARY KEY (grant_id, transaction_hash)
    );
    CREATE INDEX deferred_expiry ON deferred (expires_at);

    CREATE TABLE notifications (
        grant_id TEXT NOT NULL,
        notification_hash TEXT NOT NULL,
        credential_ids_json TEXT NOT NULL,
        events_json TEXT NOT NULL,
        expires_at BIGINT NOT NULL,
        PRIMARY KEY (grant_id, notification_hash)
    );
    CREATE INDEX notifications_expiry ON notifications (expires_at);

    CREATE TABLE issued_credentials (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        credential_id TEXT NOT NULL,
        grant_id TEXT NOT NULL,
        configuration_id TEXT NOT NULL,
        status_list_id TEXT NOT NULL,
        status_uri TEXT NOT NULL,
        status_idx BIGINT NOT NULL,
        issued_at BIGINT NOT NULL
    );

    CREATE TABLE status_lists (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        size BIGINT NOT NULL CHECK (size > 0),
        allocated BIGINT NOT NULL DEFAULT 0,
        bytes BYTEA NOT NULL
    );
    CREATE TABLE status_indices (
        list_id BIGINT NOT NULL REFERENCES status_lists (id),
        idx BIGINT NOT NULL,
        PRIMARY KEY (list_id, idx)
    );

    CREATE TABLE pushed_requests (
        uri_hash TEXT PRIMARY KEY,
        client_id TEXT NOT NULL,
        request_json TEXT NOT NULL,
        expires_at BIGINT NOT NULL
    );
    CREATE INDEX pushed_requests_expiry ON pushed_requests (expires_at);

    CREATE TABLE authorization_codes (
        code_hash TEXT PRIMARY KEY,
        issued_json TEXT NOT NULL,
        expires_at BIGINT NOT NULL
    );
    CREATE INDEX authorization_codes_expiry ON authorization_codes (expires_at);

    CREATE TABLE redeemed_codes (
        code_hash TEXT PRIMARY KEY,
        grant_id TEXT NOT NULL,
        expires_at BIGINT NOT NULL
    );
    CREATE INDEX redeemed_codes_expiry ON redeemed_codes (expires_at);
    ",
    // 2: the append-only audit trail, with SQLite's columns. One statement-level trigger
    // refuses every UPDATE, DELETE and TRUNCATE (even one that touches no row), so not even a
    // bug in this crate can rewrite or drop an event through its connections.
    "
    CREATE TABLE audit_events (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at BIGINT NOT NULL,
        kind TEXT NOT NULL,
        details_json TEXT NOT NULL
    );
    CREATE FUNCTION issuer_store_audit_events_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP
            USING ERRCODE = 'restrict_violation';
    END
    $$;
    CREATE TRIGGER audit_events_append_only
        BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_events
        FOR EACH STATEMENT EXECUTE FUNCTION issuer_store_audit_events_append_only();
    ",
    // 3: appending an audit event in one statement (one round trip): the function takes the
    // table's lock, so ids are drawn and committed in the same order (without it an insert
    // could draw id 7, another id 8 and commit first, and a reader that has seen 8 would
    // never ask for 7); called outside a transaction, its statement commits at once and the
    // lock goes with it. It is the lock an older process's transaction takes, so processes
    // of both versions take turns during a rolling upgrade.
    "
    CREATE FUNCTION issuer_store_audit_append(event_at BIGINT, event_kind TEXT, event_details TEXT)
    RETURNS BIGINT LANGUAGE plpgsql AS $$
    DECLARE
        appended BIGINT;
    BEGIN
        LOCK TABLE audit_events IN EXCLUSIVE MODE;
        INSERT INTO audit_events (at, kind, details_json)
            VALUES (event_at, event_kind, event_details)
            RETURNING id INTO appended;
        RETURN appended;
    END
    $$;
    ",
];

/// The PostgreSQL schema version this crate writes: the number of migrations.
pub const POSTGRES_SCHEMA_VERSION: i64 = 3;

/// The transaction-level advisory lock that serializes migrations across processes (the
/// bytes of "issuers1").
const MIGRATION_LOCK: i64 = 0x6973_7375_6572_7331;

fn pg(e: &postgres::Error) -> OpenError {
    OpenError::Postgres(super::db::describe(e))
}

/// Brings the schema to [`POSTGRES_SCHEMA_VERSION`] in one transaction, or refuses a newer
/// one. The advisory lock makes a second process starting at the same time wait, then find
/// the schema migrated.
pub(crate) fn migrate(client: &mut Client) -> Result<(), OpenError> {
    let mut tx = client.transaction().map_err(|e| pg(&e))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .map_err(|e| pg(&e))?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS issuer_store_schema (
            version BIGINT PRIMARY KEY,
            applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
        )",
    )
    .map_err(|e| pg(&e))?;
    let found: i64 = tx
        .query_one(
            "SELECT COALESCE(max(version), 0) FROM issuer_store_schema",
            &[],
        )
        .and_then(|row| row.try_get(0))
        .map_err(|e| pg(&e))?;
    if found > POSTGRES_SCHEMA_VERSION {
        return Err(OpenError::SchemaTooNew {
            found,
            supported: POSTGRES_SCHEMA_VERSION,
        });
    }
    let done = usize::try_from(found)
        .map_err(|_| OpenError::Postgres(format!("a negative schema version {found}")))?;
    for (n, migration) in MIGRATIONS.iter().enumerate().skip(done) {
        tx.batch_execute(migration).map_err(|e| pg(&e))?;
        let version = i64::try_from(n.saturating_add(1))
            .map_err(|_| OpenError::Postgres("too many migrations".into()))?;
        tx.execute(
            "INSERT INTO issuer_store_schema (version) VALUES ($1)",
            &[&version],
        )
        .map_err(|e| pg(&e))?;
    }
    tx.commit().map_err(|e| pg(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_is_the_number_of_migrations() {
        assert_eq!(
            usize::try_from(POSTGRES_SCHEMA_VERSION).ok(),
            Some(MIGRATIONS.len())
        );
    }
}
