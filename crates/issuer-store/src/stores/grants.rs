//! What hangs off a grant: access tokens, refresh token families, deferred transactions and
//! notification ids.

use std::sync::Arc;

use jose_core::UnixTime;
use oid4vci_issuer::{
    AccessGrant, AccessTokenStore, DEFAULT_MAX_EVENTS_PER_NOTIFICATION, DeferredError,
    DeferredStore, GrantId, NotificationStore, RefreshError, RefreshGrant, RefreshTokenStore,
    StoreError,
};
use rusqlite::{OptionalExtension, params};

use crate::codec;
use crate::db::{Cached, Db, purge, unavailable};
use crate::shared::secret_key;

/// [`AccessTokenStore`] on SQLite.
#[derive(Debug)]
pub(crate) struct SqliteAccessTokens {
    db: Arc<Db>,
}

impl SqliteAccessTokens {
    pub(crate) const fn new(db: Arc<Db>) -> Self {
        Self { db }
    }
}

/// The two tables of tokens stored by hash with their grant.
#[derive(Clone, Copy)]
enum TokenTable {
    Access,
    Refresh,
}

/// Stores `token` (by its hash) with its grant id and JSON until `expires_at`.
/// The live grant JSON of `token` by `sql`, a `SELECT grant_json FROM <table> WHERE
/// token_hash = ?1 AND expires_at > ?2` of this crate (a literal, so the statement cache
/// keeps one prepared statement per table).
fn live_token(
    conn: &rusqlite::Connection,
    sql: &str,
    token: &str,
    now: UnixTime,
) -> Result<Option<String>, StoreError> {
    conn.row(sql, params![secret_key(token), now.secs()], |row| {
        row.get(0)
    })
    .optional()
    .map_err(unavailable)
}

fn insert_token(
    tx: &rusqlite::Connection,
    table: TokenTable,
    token: &str,
    grant: &GrantId,
    json: &str,
    expires_at: i64,
) -> Result<(), StoreError> {
    let sql = match table {
        TokenTable::Access => {
            "INSERT OR REPLACE INTO access_tokens (token_hash, grant_id, grant_json, expires_at)
             VALUES (?1, ?2, ?3, ?4)"
        }
        TokenTable::Refresh => {
            "INSERT OR REPLACE INTO refresh_tokens (token_hash, grant_id, grant_json, expires_at)
             VALUES (?1, ?2, ?3, ?4)"
        }
    };
    tx.exec(
        sql,
        params![secret_key(token), grant.as_str(), json, expires_at],
    )
    .map_err(unavailable)?;
    Ok(())
}

impl AccessTokenStore for SqliteAccessTokens {
    fn insert(&self, token: String, grant: AccessGrant, now: UnixTime) -> Result<(), StoreError> {
        let json = codec::access_to_json(&grant);
        self.db.write(|tx| {
            purge(tx, "access_tokens", now)?;
            insert_token(
                tx,
                TokenTable::Access,
                &token,
                &grant.grant,
                &json,
                grant.expires_at.secs(),
            )
        })
    }

    fn get(&self, token: &str, now: UnixTime) -> Result<Option<AccessGrant>, StoreError> {
        self.db.with(|conn| {
            live_token(
                conn,
                "SELECT grant_json FROM access_tokens WHERE token_hash = ?1 AND expires_at > ?2",
                token,
                now,
            )?
            .map(|j| codec::access_from_json(&j))
            .transpose()
        })
    }

    fn revoke_grant(&self, grant: &GrantId) -> Result<(), StoreError> {
        self.db
            .with(|conn| {
                conn.exec(
                    "DELETE FROM access_tokens WHERE grant_id = ?1",
                    [grant.as_str()],
                )
                .map_err(unavailable)
            })
            .map(|_| ())
    }
}

/// [`RefreshTokenStore`] on SQLite: the current token of each family, the rotated tokens (a
/// rotated token presented again revokes its grant) and the revoked grants.
#[derive(Debug)]
pub(crate) struct SqliteRefreshTokens {
    db: Arc<Db>,
}

impl SqliteRefreshTokens {
    pub(crate) const fn new(db: Arc<Db>) -> Self {
        Self { db }
    }
}

/// Revokes `grant` until `until` (keeping the later end if it was already revoked) and drops
/// its current refresh token.
fn revoke(tx: &rusqlite::Connection, grant: &GrantId, until: UnixTime) -> Result<(), StoreError> {
    tx.exec(
        "DELETE FROM refresh_tokens WHERE grant_id = ?1",
        [grant.as_str()],
    )
    .map_err(unavailable)?;
    tx.exec(
        "INSERT INTO revoked_grants (grant_id, expires_at) VALUES (?1, ?2)
         ON CONFLICT (grant_id) DO UPDATE SET expires_at = max(expires_at, excluded.expires_at)",
        params![grant.as_str(), until.secs()],
    )
    .map_err(unavailable)?;
    Ok(())
}

impl RefreshTokenStore for SqliteRefreshTokens {
    fn insert(&self, token: String, grant: RefreshGrant, now: UnixTime) -> Result<(), StoreError> {
        let json = codec::refresh_to_json(&grant);
        self.db.write(|tx| {
            purge(tx, "refresh_tokens", now)?;
            insert_token(
                tx,
                TokenTable::Refresh,
                &token,
                &grant.grant,
                &json,
                grant.expires_at.secs(),
            )
        })
    }

    fn rotate(
        &self,
        presented: &str,
        next: String,
        bind_dpop: Option<&str>,
        now: UnixTime,
    ) -> Result<RefreshGrant, RefreshError> {
        let key = secret_key(presented);
        let out = self.db.write(|tx| {
            let rotated: Option<(String, i64)> = tx
                .row(
                    "SELECT grant_id, expires_at FROM rotated_refresh_tokens WHERE token_hash = ?1",
                    [&key],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()
                .map_err(unavailable)?;
            if let Some((grant, expires_at)) = rotated {
                let grant = GrantId::new(grant);
                revoke(tx, &grant, UnixTime::from_secs(expires_at))?;
                return Ok(Err(RefreshError::Reused { grant }));
            }
            // Single use: only the connection whose DELETE returns the row rotates it.
            let current: Option<(String, i64)> = tx
                .row(
                    "DELETE FROM refresh_tokens WHERE token_hash = ?1 RETURNING grant_json, expires_at",
                    [&key],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()
                .map_err(unavailable)?;
            let Some((json, expires_at)) = current else {
                return Ok(Err(RefreshError::Unknown));
            };
            let mut grant = codec::refresh_from_json(&json)?;
            purge(tx, "rotated_refresh_tokens", now)?;
            tx.exec(
                "INSERT OR REPLACE INTO rotated_refresh_tokens (token_hash, grant_id, expires_at)
                 VALUES (?1, ?2, ?3)",
                params![key, grant.grant.as_str(), expires_at],
            )
            .map_err(unavailable)?;
            if UnixTime::from_secs(expires_at) <= now {
                return Ok(Err(RefreshError::Expired));
            }
            let json = codec::refresh_bound(json, &mut grant, bind_dpop);
            insert_token(tx, TokenTable::Refresh, &next, &grant.grant, &json, expires_at)?;
            Ok(Ok(grant))
        });
        out.unwrap_or_else(|e| Err(RefreshError::Store(e)))
    }

    fn peek(&self, token: &str, now: UnixTime) -> Result<Option<RefreshGrant>, StoreError> {
        self.db.with(|conn| {
            live_token(
                conn,
                "SELECT grant_json FROM refresh_tokens WHERE token_hash = ?1 AND expires_at > ?2",
                token,
                now,
            )?
            .map(|j| codec::refresh_from_json(&j))
            .transpose()
        })
    }

    fn is_revoked(&self, grant: &GrantId, now: UnixTime) -> Result<bool, StoreError> {
        self.db.with(|conn| {
            conn.row(
                "SELECT EXISTS (SELECT 1 FROM revoked_grants
                 WHERE grant_id = ?1 AND expires_at > ?2)",
                params![grant.as_str(), now.secs()],
                |row| row.get::<_, bool>(0),
            )
            .map_err(unavailable)
        })
    }

    fn revoke_grant(
        &self,
        grant: &GrantId,
        until: UnixTime,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        self.db.write(|tx| {
            purge(tx, "revoked_grants", now)?;
            revoke(tx, grant, until)
        })
    }
}

/// [`DeferredStore`] on SQLite, keyed by `(grant, transaction id)`.
#[derive(Debug)]
pub(crate) struct SqliteDeferred {
    db: Arc<Db>,
}

impl SqliteDeferred {
    pub(crate) const fn new(db: Arc<Db>) -> Self {
        Self { db }
    }
}

impl DeferredStore for SqliteDeferred {
    fn insert(
        &self,
        grant: &GrantId,
        transaction_id: String,
        credentials: Vec<String>,
        ready_at: UnixTime,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        let json = codec::strings_text(&credentials);
        self.db.write(|tx| {
            purge(tx, "deferred", now)?;
            tx.exec(
                "INSERT OR REPLACE INTO deferred
                 (grant_id, transaction_hash, credentials_json, ready_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    grant.as_str(),
                    secret_key(&transaction_id),
                    json,
                    ready_at.secs(),
                    expires_at.secs()
                ],
            )
            .map_err(unavailable)?;
            Ok(())
        })
    }

    /// [`DeferredError::Store`] when the database fails: the credentials stay stored, so the
    /// wallet asking again later gets them once the database is back.
    fn take(
        &self,
        grant: &GrantId,
        transaction_id: &str,
        now: UnixTime,
    ) -> Result<Vec<String>, DeferredError> {
        let out = self.db.write(|tx| {
            // One statement: the row goes only if it is this grant's, live and ready.
            let taken: Option<String> = tx
                .row(
                    "DELETE FROM deferred
                     WHERE grant_id = ?1 AND transaction_hash = ?2 AND expires_at > ?3
                       AND ready_at <= ?3
                     RETURNING credentials_json",
                    params![grant.as_str(), secret_key(transaction_id), now.secs()],
                    |row| row.get(0),
                )
                .optional()
                .map_err(unavailable)?;
            if let Some(json) = taken {
                return codec::parse_strings("deferred credentials", &json).map(Ok);
            }
            let pending: bool = tx
                .row(
                    "SELECT EXISTS (SELECT 1 FROM deferred
                     WHERE grant_id = ?1 AND transaction_hash = ?2 AND expires_at > ?3)",
                    params![grant.as_str(), secret_key(transaction_id), now.secs()],
                    |row| row.get(0),
                )
                .map_err(unavailable)?;
            Ok(Err(if pending {
                DeferredError::Pending
            } else {
                DeferredError::Unknown
            }))
        });
        out.unwrap_or_else(|e| Err(DeferredError::Store(e)))
    }
}

/// [`NotificationStore`] on SQLite, keyed by `(grant, notification id)`.
#[derive(Debug)]
pub(crate) struct SqliteNotifications {
    db: Arc<Db>,
}

impl SqliteNotifications {
    pub(crate) const fn new(db: Arc<Db>) -> Self {
        Self { db }
    }
}

impl NotificationStore for SqliteNotifications {
    fn register(
        &self,
        grant: &GrantId,
        notification_id: String,
        credential_ids: Vec<String>,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        let json = codec::strings_text(&credential_ids);
        self.db.write(|tx| {
            purge(tx, "notifications", now)?;
            tx.exec(
                "INSERT OR REPLACE INTO notifications
                 (grant_id, notification_hash, credential_ids_json, events_json, expires_at)
                 VALUES (?1, ?2, ?3, '[]', ?4)",
                params![
                    grant.as_str(),
                    secret_key(&notification_id),
                    json,
                    expires_at.secs()
                ],
            )
            .map_err(unavailable)?;
            Ok(())
        })
    }

    fn record(
        &self,
        grant: &GrantId,
        notification_id: &str,
        event: &str,
        now: UnixTime,
    ) -> Result<bool, StoreError> {
        let key = secret_key(notification_id);
        self.db.write(|tx| {
            let events: Option<String> = tx
                .row(
                    "SELECT events_json FROM notifications
                         WHERE grant_id = ?1 AND notification_hash = ?2 AND expires_at > ?3",
                    params![grant.as_str(), key, now.secs()],
                    |row| row.get(0),
                )
                .optional()
                .map_err(unavailable)?;
            let Some(events) = events else {
                return Ok(false);
            };
            let mut events = codec::parse_strings("notification events", &events)?;
            if events.len() < DEFAULT_MAX_EVENTS_PER_NOTIFICATION {
                events.push(event.to_owned());
                tx.exec(
                    "UPDATE notifications SET events_json = ?3
                         WHERE grant_id = ?1 AND notification_hash = ?2",
                    params![grant.as_str(), key, codec::strings_text(&events)],
                )
                .map_err(unavailable)?;
            }
            Ok(true)
        })
    }

    fn events(
        &self,
        grant: &GrantId,
        notification_id: &str,
        now: UnixTime,
    ) -> Result<Vec<String>, StoreError> {
        self.db
            .with(|conn| {
                let events: Option<String> = conn
                    .row(
                        "SELECT events_json FROM notifications
                         WHERE grant_id = ?1 AND notification_hash = ?2 AND expires_at > ?3",
                        params![grant.as_str(), secret_key(notification_id), now.secs()],
                        |row| row.get(0),
                    )
                    .optional()
                    .map_err(unavailable)?;
                events
                    .map(|e| codec::parse_strings("notification events", &e))
                    .transpose()
            })
            .map(Option::unwrap_or_default)
    }
}
