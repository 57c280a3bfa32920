//! The PostgreSQL implementation of each store trait and of the replay guard.
//!
//! One handle type implements every trait: each trait object in [`Stores`] is a clone of it.
//! Single use is one statement (`DELETE … RETURNING`, `INSERT … ON CONFLICT`) or a
//! transaction that locks the row it reads (`SELECT … FOR UPDATE`) before changing it.

use std::sync::Arc;

use jose_core::{RandomSource, UnixTime};
use oid4vci_issuer::{
    AccessGrant, AccessTokenStore, AuthorizationStore, CodeError, CodeRefusal, CredentialRegistry,
    DEFAULT_MAX_EVENTS_PER_NOTIFICATION, DeferredError, DeferredStore, GrantId, IssuedCode,
    IssuedCredential, NotificationStore, PreAuthCodeStore, PreAuthGrant, PushedRequest,
    RedeemError, RefreshError, RefreshGrant, RefreshTokenStore, StatusListStore, StoreError,
    StoreLimits, Stores,
};
use pop_verifier::{ReplayError, ReplayGuard};
use postgres::{GenericClient, Transaction};
use status_list::{Bits, IndexAllocator, Status, StatusIndex, StatusList};

use super::db::{PgDb, all, col, exec, one, push_placeholders};
use crate::codec;
use crate::shared::{
    RANDOM_TRIES, TxCodeCheck, check_tx_code, corrupt, parse_list_id, secret_key, status_error,
    uniform_below,
};

/// Every store of the engine, and the replay guard, over one pool.
#[derive(Debug, Clone)]
pub(crate) struct PgHandle {
    db: Arc<PgDb>,
    /// Entries of each new status list.
    size: u32,
}

impl PgHandle {
    pub(crate) const fn new(db: Arc<PgDb>, size: u32) -> Self {
        Self { db, size }
    }

    /// Every store as this handle.
    pub(crate) fn stores(&self) -> Stores {
        // `Stores` is non-exhaustive: start from the in-memory set (which allocates nothing up
        // front) and replace every field, so no store is left in memory.
        let mut stores = Stores::in_memory(&StoreLimits::new(), 1);
        stores.codes = Arc::new(self.clone());
        stores.tokens = Arc::new(self.clone());
        stores.refresh = Arc::new(self.clone());
        stores.deferred = Arc::new(self.clone());
        stores.notifications = Arc::new(self.clone());
        stores.registry = Arc::new(self.clone());
        stores.status = Arc::new(self.clone());
        stores.authorizations = Arc::new(self.clone());
        stores
    }
}

// ---------------------------------------------------------------------------------------------
// Replay guard

impl ReplayGuard for PgHandle {
    fn check_and_record(
        &self,
        key: &str,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> Result<(), ReplayError> {
        self.check_and_record_all(&[(key, expires_at)], now)
    }

    /// One statement for the batch, committing on its own: a new key is inserted, an expired
    /// entry is taken over, and a live one is left alone (no row back). Two sessions inserting
    /// the same key at once are ordered by the primary key: the second sees the first's live
    /// row. When a key was live, the keys this batch did record are deleted again (by the keys
    /// the statement returned), so a refused batch spends nothing; meanwhile they only refuse
    /// more, never accept.
    fn check_and_record_all(
        &self,
        entries: &[(&str, UnixTime)],
        now: UnixTime,
    ) -> Result<(), ReplayError> {
        if !pop_verifier::check_batch(entries, now)? {
            return Ok(());
        }
        let unavailable = |e: StoreError| ReplayError::Unavailable {
            reason: e.to_string(),
        };
        let now_secs = now.secs();
        // In key order: two batches that share keys (two requests over one c_nonce) then wait
        // on each other's rows in the same order, never in a deadlock.
        let mut entries = entries.to_vec();
        entries.sort_unstable_by_key(|&(key, _)| key);
        let expiries: Vec<i64> = entries.iter().map(|(_, at)| at.secs()).collect();
        let mut params: Vec<&dyn super::db::Param> = vec![&now_secs];
        let mut sql = String::from("INSERT INTO replay (key, expires_at) VALUES ");
        for ((key, _), expires_at) in entries.iter().zip(&expiries) {
            if params.len() > 1 {
                sql.push_str(", ");
            }
            push_placeholders(&mut sql, params.len().saturating_add(1), 2);
            params.push(key);
            params.push(expires_at);
        }
        sql.push_str(
            " ON CONFLICT (key) DO UPDATE SET expires_at = EXCLUDED.expires_at
             WHERE replay.expires_at <= $1
             RETURNING key",
        );
        let recorded: Vec<String> = self
            .db
            .with(|c| {
                self.db.purge_if_due(c, "replay", now)?;
                all(c, &sql, &params)?
                    .iter()
                    .map(|row| col(row, 0))
                    .collect()
            })
            .map_err(unavailable)?;
        if recorded.len() == entries.len() {
            return Ok(());
        }
        if !recorded.is_empty() {
            let mut sql = String::from("DELETE FROM replay WHERE key IN ");
            push_placeholders(&mut sql, 1, recorded.len());
            let keys: Vec<&dyn super::db::Param> = recorded
                .iter()
                .map(|key| {
                    let key: &dyn super::db::Param = key;
                    key
                })
                .collect();
            self.db
                .with(|c| exec(c, &sql, &keys))
                .map_err(unavailable)?;
        }
        Err(ReplayError::Replayed)
    }
}

// ---------------------------------------------------------------------------------------------
// Pre-authorized codes

impl PreAuthCodeStore for PgHandle {
    fn insert(
        &self,
        code: String,
        grant: PreAuthGrant,
        max_attempts: u32,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        let json = codec::pre_auth_to_json(&grant);
        self.db.with_purging("pre_auth_codes", now, |tx| {
            exec(
                tx,
                "INSERT INTO pre_auth_codes (code_hash, grant_json, attempts_left, expires_at)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (code_hash) DO UPDATE SET grant_json = EXCLUDED.grant_json,
                   attempts_left = EXCLUDED.attempts_left, expires_at = EXCLUDED.expires_at",
                &[
                    &secret_key(&code),
                    &json,
                    &i64::from(max_attempts),
                    &grant.expires_at.secs(),
                ],
            )
            .map(|_| ())
        })
    }

    fn redeem_checked(
        &self,
        code: &str,
        tx_code: Option<&str>,
        now: UnixTime,
        accept: &dyn Fn(&PreAuthGrant) -> Result<(), String>,
    ) -> Result<PreAuthGrant, RedeemError> {
        let key = secret_key(code);
        let out = self.db.write(|tx| {
            // The row lock is held to the commit: a concurrent redemption waits here, then
            // finds the row gone.
            let Some(row) = one(
                tx,
                "SELECT grant_json, attempts_left, expires_at FROM pre_auth_codes
                 WHERE code_hash = $1 FOR UPDATE",
                &[&key],
            )?
            else {
                return Ok(Err(RedeemError::Unknown));
            };
            let json: String = col(&row, 0)?;
            let attempts =
                u32::try_from(col::<i64>(&row, 1)?).map_err(|_| corrupt("attempt count"))?;
            let expires_at: i64 = col(&row, 2)?;
            let delete = |tx: &mut Transaction<'_>| {
                exec(
                    tx,
                    "DELETE FROM pre_auth_codes WHERE code_hash = $1",
                    &[&key],
                )
            };
            if UnixTime::from_secs(expires_at) <= now {
                delete(tx)?;
                return Ok(Err(RedeemError::Expired));
            }
            let grant = codec::pre_auth_from_json(&json)?;
            match check_tx_code(grant.tx_code.as_deref(), tx_code, attempts) {
                TxCodeCheck::Pass => {}
                TxCodeCheck::Refuse(e) => return Ok(Err(e)),
                TxCodeCheck::Wrong { attempts_left } => {
                    if attempts_left == 0 {
                        delete(tx)?;
                    } else {
                        exec(
                            tx,
                            "UPDATE pre_auth_codes SET attempts_left = $2 WHERE code_hash = $1",
                            &[&key, &i64::from(attempts_left)],
                        )?;
                    }
                    return Ok(Err(RedeemError::WrongTxCode { attempts_left }));
                }
            }
            if let Err(reason) = accept(&grant) {
                return Ok(Err(RedeemError::Refused(reason)));
            }
            // The redemption itself, under the row lock.
            Ok(if delete(tx)? == 1 {
                Ok(grant)
            } else {
                Err(RedeemError::Unknown)
            })
        });
        out.unwrap_or_else(|e| Err(RedeemError::Store(e)))
    }
}

// ---------------------------------------------------------------------------------------------
// Access and refresh tokens

/// Stores `token` (by its hash) in `table` (`access_tokens` or `refresh_tokens`, never
/// input) with its grant id and JSON until `expires_at`.
fn insert_token(
    c: &mut impl GenericClient,
    table: &str,
    token: &str,
    grant: &GrantId,
    json: &str,
    expires_at: i64,
) -> Result<(), StoreError> {
    exec(
        c,
        &format!(
            "INSERT INTO {table} (token_hash, grant_id, grant_json, expires_at)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (token_hash) DO UPDATE SET grant_id = EXCLUDED.grant_id,
               grant_json = EXCLUDED.grant_json, expires_at = EXCLUDED.expires_at"
        ),
        &[&secret_key(token), &grant.as_str(), &json, &expires_at],
    )
    .map(|_| ())
}

/// The live grant JSON of `token` in `table` (one of this crate's table names).
fn live_token(
    c: &mut impl GenericClient,
    table: &str,
    token: &str,
    now: UnixTime,
) -> Result<Option<String>, StoreError> {
    one(
        c,
        &format!("SELECT grant_json FROM {table} WHERE token_hash = $1 AND expires_at > $2"),
        &[&secret_key(token), &now.secs()],
    )?
    .map(|row| col(&row, 0))
    .transpose()
}

impl AccessTokenStore for PgHandle {
    fn insert(&self, token: String, grant: AccessGrant, now: UnixTime) -> Result<(), StoreError> {
        let json = codec::access_to_json(&grant);
        self.db.with_purging("access_tokens", now, |tx| {
            insert_token(
                tx,
                "access_tokens",
                &token,
                &grant.grant,
                &json,
                grant.expires_at.secs(),
            )
        })
    }

    fn get(&self, token: &str, now: UnixTime) -> Result<Option<AccessGrant>, StoreError> {
        self.db.with(|c| {
            live_token(c, "access_tokens", token, now)?
                .map(|j| codec::access_from_json(&j))
                .transpose()
        })
    }

    fn revoke_grant(&self, grant: &GrantId) -> Result<(), StoreError> {
        self.db
            .with(|c| {
                exec(
                    c,
                    "DELETE FROM access_tokens WHERE grant_id = $1",
                    &[&grant.as_str()],
                )
            })
            .map(|_| ())
    }
}

/// Revokes `grant` until `until` (keeping the later end if it was already revoked) and drops
/// its current refresh token.
fn revoke(tx: &mut Transaction<'_>, grant: &GrantId, until: UnixTime) -> Result<(), StoreError> {
    exec(
        tx,
        "DELETE FROM refresh_tokens WHERE grant_id = $1",
        &[&grant.as_str()],
    )?;
    exec(
        tx,
        "INSERT INTO revoked_grants (grant_id, expires_at) VALUES ($1, $2)
         ON CONFLICT (grant_id) DO UPDATE
         SET expires_at = GREATEST(revoked_grants.expires_at, EXCLUDED.expires_at)",
        &[&grant.as_str(), &until.secs()],
    )?;
    Ok(())
}

/// The grant a rotated refresh token belonged to and the token's end, if `key` was rotated.
fn rotated(tx: &mut Transaction<'_>, key: &str) -> Result<Option<(GrantId, i64)>, StoreError> {
    one(
        tx,
        "SELECT grant_id, expires_at FROM rotated_refresh_tokens WHERE token_hash = $1",
        &[&key],
    )?
    .map(|row| Ok((GrantId::new(col(&row, 0)?), col(&row, 1)?)))
    .transpose()
}

impl RefreshTokenStore for PgHandle {
    fn insert(&self, token: String, grant: RefreshGrant, now: UnixTime) -> Result<(), StoreError> {
        let json = codec::refresh_to_json(&grant);
        self.db.with_purging("refresh_tokens", now, |tx| {
            insert_token(
                tx,
                "refresh_tokens",
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
            if let Some((grant, expires_at)) = rotated(tx, &key)? {
                revoke(tx, &grant, UnixTime::from_secs(expires_at))?;
                return Ok(Err(RefreshError::Reused { grant }));
            }
            // Single use: only the session whose DELETE returns the row rotates it.
            let current = one(
                tx,
                "DELETE FROM refresh_tokens WHERE token_hash = $1 RETURNING grant_json, expires_at",
                &[&key],
            )?;
            let Some(current) = current else {
                // A rotation that committed while this DELETE waited for its row: the token
                // is presented a second time, a reuse (the DELETE's snapshot did not show it,
                // this statement's does).
                if let Some((grant, expires_at)) = rotated(tx, &key)? {
                    revoke(tx, &grant, UnixTime::from_secs(expires_at))?;
                    return Ok(Err(RefreshError::Reused { grant }));
                }
                return Ok(Err(RefreshError::Unknown));
            };
            let json: String = col(&current, 0)?;
            let expires_at: i64 = col(&current, 1)?;
            let mut grant = codec::refresh_from_json(&json)?;
            self.db.purge_if_due(tx, "rotated_refresh_tokens", now)?;
            exec(
                tx,
                "INSERT INTO rotated_refresh_tokens (token_hash, grant_id, expires_at)
                 VALUES ($1, $2, $3)
                 ON CONFLICT (token_hash) DO UPDATE
                 SET grant_id = EXCLUDED.grant_id, expires_at = EXCLUDED.expires_at",
                &[&key, &grant.grant.as_str(), &expires_at],
            )?;
            if UnixTime::from_secs(expires_at) <= now {
                return Ok(Err(RefreshError::Expired));
            }
            let json = codec::refresh_bound(json, &mut grant, bind_dpop);
            insert_token(tx, "refresh_tokens", &next, &grant.grant, &json, expires_at)?;
            Ok(Ok(grant))
        });
        out.unwrap_or_else(|e| Err(RefreshError::Store(e)))
    }

    fn peek(&self, token: &str, now: UnixTime) -> Result<Option<RefreshGrant>, StoreError> {
        self.db.with(|c| {
            live_token(c, "refresh_tokens", token, now)?
                .map(|j| codec::refresh_from_json(&j))
                .transpose()
        })
    }

    fn is_revoked(&self, grant: &GrantId, now: UnixTime) -> Result<bool, StoreError> {
        self.db.with(|c| {
            let row = one(
                c,
                "SELECT EXISTS (SELECT 1 FROM revoked_grants
                 WHERE grant_id = $1 AND expires_at > $2)",
                &[&grant.as_str(), &now.secs()],
            )?;
            // EXISTS always answers one row; without one, fail closed.
            row.map_or(Ok(true), |row| col::<bool>(&row, 0))
        })
    }

    fn revoke_grant(
        &self,
        grant: &GrantId,
        until: UnixTime,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        self.db
            .write_purging("revoked_grants", now, |tx| revoke(tx, grant, until))
    }
}

// ---------------------------------------------------------------------------------------------
// Deferred transactions and notifications

impl DeferredStore for PgHandle {
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
        self.db.with_purging("deferred", now, |tx| {
            exec(
                tx,
                "INSERT INTO deferred
                 (grant_id, transaction_hash, credentials_json, ready_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (grant_id, transaction_hash) DO UPDATE
                 SET credentials_json = EXCLUDED.credentials_json,
                     ready_at = EXCLUDED.ready_at, expires_at = EXCLUDED.expires_at",
                &[
                    &grant.as_str(),
                    &secret_key(&transaction_id),
                    &json,
                    &ready_at.secs(),
                    &expires_at.secs(),
                ],
            )
            .map(|_| ())
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
        let key = secret_key(transaction_id);
        let out = self.db.with(|c| {
            // One statement: the row goes only if it is this grant's, live and ready.
            let taken = one(
                c,
                "DELETE FROM deferred
                 WHERE grant_id = $1 AND transaction_hash = $2 AND expires_at > $3
                   AND ready_at <= $3
                 RETURNING credentials_json",
                &[&grant.as_str(), &key, &now.secs()],
            )?;
            if let Some(row) = taken {
                let json: String = col(&row, 0)?;
                return codec::parse_strings("deferred credentials", &json).map(Ok);
            }
            let pending = one(
                c,
                "SELECT EXISTS (SELECT 1 FROM deferred
                 WHERE grant_id = $1 AND transaction_hash = $2 AND expires_at > $3)",
                &[&grant.as_str(), &key, &now.secs()],
            )?
            .map_or(Ok(false), |row| col::<bool>(&row, 0))?;
            Ok(Err(if pending {
                DeferredError::Pending
            } else {
                DeferredError::Unknown
            }))
        });
        out.unwrap_or_else(|e| Err(DeferredError::Store(e)))
    }
}

impl NotificationStore for PgHandle {
    fn register(
        &self,
        grant: &GrantId,
        notification_id: String,
        credential_ids: Vec<String>,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        let json = codec::strings_text(&credential_ids);
        self.db.with_purging("notifications", now, |tx| {
            exec(
                tx,
                "INSERT INTO notifications
                 (grant_id, notification_hash, credential_ids_json, events_json, expires_at)
                 VALUES ($1, $2, $3, '[]', $4)
                 ON CONFLICT (grant_id, notification_hash) DO UPDATE
                 SET credential_ids_json = EXCLUDED.credential_ids_json,
                     events_json = '[]', expires_at = EXCLUDED.expires_at",
                &[
                    &grant.as_str(),
                    &secret_key(&notification_id),
                    &json,
                    &expires_at.secs(),
                ],
            )
            .map(|_| ())
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
            // Locked to the commit, so two events recorded at once both stay.
            let Some(row) = one(
                tx,
                "SELECT events_json FROM notifications
                     WHERE grant_id = $1 AND notification_hash = $2 AND expires_at > $3
                     FOR UPDATE",
                &[&grant.as_str(), &key, &now.secs()],
            )?
            else {
                return Ok(false);
            };
            let events: String = col(&row, 0)?;
            let mut events = codec::parse_strings("notification events", &events)?;
            if events.len() < DEFAULT_MAX_EVENTS_PER_NOTIFICATION {
                events.push(event.to_owned());
                exec(
                    tx,
                    "UPDATE notifications SET events_json = $3
                         WHERE grant_id = $1 AND notification_hash = $2",
                    &[&grant.as_str(), &key, &codec::strings_text(&events)],
                )?;
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
            .with(|c| {
                one(
                    c,
                    "SELECT events_json FROM notifications
                     WHERE grant_id = $1 AND notification_hash = $2 AND expires_at > $3",
                    &[&grant.as_str(), &secret_key(notification_id), &now.secs()],
                )?
                .map(|row| {
                    let events: String = col(&row, 0)?;
                    codec::parse_strings("notification events", &events)
                })
                .transpose()
            })
            .map(Option::unwrap_or_default)
    }
}

// ---------------------------------------------------------------------------------------------
// The issued-credential registry and the status lists

/// The most rows one `INSERT` of credential records carries (7 parameters each, far below
/// PostgreSQL's 65,535).
const ROWS_PER_INSERT: usize = 1000;

/// Inserts the records of `credentials` with one statement (none for an empty list).
fn insert_records(
    c: &mut impl GenericClient,
    credentials: &[IssuedCredential],
) -> Result<(), StoreError> {
    if credentials.is_empty() {
        return Ok(());
    }
    let numbers = credentials
        .iter()
        .map(|c| {
            i64::try_from(c.status_idx)
                .map(|idx| (idx, c.issued_at.secs()))
                .map_err(|_| StoreError::StatusList("a status index past i64".into()))
        })
        .collect::<Result<Vec<(i64, i64)>, StoreError>>()?;
    let grants: Vec<&str> = credentials.iter().map(|c| c.grant.as_str()).collect();
    let mut sql = String::from(
        "INSERT INTO issued_credentials
         (credential_id, grant_id, configuration_id, status_list_id, status_uri,
          status_idx, issued_at)
         VALUES ",
    );
    let mut params: Vec<&dyn super::db::Param> = Vec::new();
    for ((record, grant), (idx, at)) in credentials.iter().zip(&grants).zip(&numbers) {
        if !params.is_empty() {
            sql.push_str(", ");
        }
        push_placeholders(&mut sql, params.len().saturating_add(1), 7);
        let row: [&dyn super::db::Param; 7] = [
            &record.credential_id,
            grant,
            &record.configuration_id,
            &record.status_list_id,
            &record.status_uri,
            idx,
            at,
        ];
        params.extend(row);
    }
    exec(c, &sql, &params).map(|_| ())
}

impl CredentialRegistry for PgHandle {
    fn record(&self, c: IssuedCredential) -> Result<(), StoreError> {
        self.db
            .with(|conn| insert_records(conn, core::slice::from_ref(&c)))
    }

    /// One multi-row statement for the batch (one round trip), so all or none are recorded;
    /// a batch of more than [`ROWS_PER_INSERT`] takes one statement per that many rows, in one
    /// transaction.
    fn record_all(&self, credentials: Vec<IssuedCredential>) -> Result<(), StoreError> {
        if credentials.len() <= ROWS_PER_INSERT {
            self.db.with(|c| insert_records(c, &credentials))
        } else {
            self.db.write(|tx| {
                credentials
                    .chunks(ROWS_PER_INSERT)
                    .try_for_each(|chunk| insert_records(tx, chunk))
            })
        }
    }

    fn list(&self) -> Result<Vec<IssuedCredential>, StoreError> {
        self.db.with(|conn| {
            let rows = all(
                conn,
                "SELECT credential_id, grant_id, configuration_id, status_list_id,
                            status_uri, status_idx, issued_at
                     FROM issued_credentials ORDER BY seq",
                &[],
            )?;
            rows.iter()
                .map(|row| {
                    let idx: i64 = col(row, 5)?;
                    Ok(IssuedCredential::new(
                        col(row, 0)?,
                        GrantId::new(col(row, 1)?),
                        col(row, 2)?,
                        col(row, 3)?,
                        col(row, 4)?,
                        u64::try_from(idx).map_err(|_| corrupt("status index"))?,
                        UnixTime::from_secs(col(row, 6)?),
                    ))
                })
                .collect()
        })
    }
}

/// The transaction-level advisory lock under which a new status list is created, so two
/// processes that find every list full at once create one list, not two (the bytes of
/// "issuersL").
const NEW_LIST_LOCK: i64 = 0x6973_7375_6572_734c;

/// How many times an allocation looks for a list with room (another process may fill the one
/// it found first) or retries an exact draw that another process took first.
const MAX_RETRIES: usize = 64;

/// Reserves `count` entries in the newest list with room for all of them, returning its id
/// and size. A single entry always finds a list (a new one is created when every list is
/// full). A batch finds `None` when the newest list lacks room for all of it: entry by entry,
/// it then fills that list before the next one starts, as single allocations do. Each
/// reservation is one statement (the counter row is locked only for it), so allocations from
/// many sessions run side by side; a reservation is never more than the list's size, so a
/// reserved entry is always free to claim.
fn reserve(
    c: &mut postgres::Client,
    size: u32,
    count: u32,
) -> Result<Option<(i64, u32)>, StoreError> {
    let batch = count > 1;
    let count = i64::from(count);
    for _ in 0..MAX_RETRIES {
        let reserved = one(
            c,
            "UPDATE status_lists SET allocated = allocated + $1
             WHERE id = (SELECT id FROM status_lists WHERE allocated + $1 <= size
                         ORDER BY id DESC LIMIT 1)
               AND allocated + $1 <= size
             RETURNING id, size",
            &[&count],
        )?;
        if let Some(row) = reserved {
            let id: i64 = col(&row, 0)?;
            let size = u32::try_from(col::<i64>(&row, 1)?).map_err(|_| corrupt("list size"))?;
            return Ok(Some((id, size)));
        }
        if batch {
            return Ok(None);
        }
        let mut tx = c.transaction().map_err(super::db::unavailable)?;
        exec(
            &mut tx,
            "SELECT pg_advisory_xact_lock($1)",
            &[&NEW_LIST_LOCK],
        )?;
        let room = one(
            &mut tx,
            "SELECT 1 FROM status_lists WHERE allocated + $1 <= size LIMIT 1",
            &[&count],
        )?;
        if room.is_none() {
            let list = StatusList::new(Bits::One, u64::from(size), &status_list::Limits::default())
                .map_err(|e| status_error(&e))?;
            exec(
                &mut tx,
                "INSERT INTO status_lists (size, allocated, bytes) VALUES ($1, 0, $2)",
                &[&i64::from(size), &list.as_bytes()],
            )?;
        }
        tx.commit().map_err(super::db::unavailable)?;
    }
    Err(StoreError::Unavailable(
        "postgres: no status list with room after repeated tries".into(),
    ))
}

/// Marks `idx` of `list` allocated; `false` if it already was.
fn claim(c: &mut impl GenericClient, list: i64, idx: u32) -> Result<bool, StoreError> {
    Ok(exec(
        c,
        "INSERT INTO status_indices (list_id, idx) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        &[&list, &i64::from(idx)],
    )? == 1)
}

/// The list named `list_id`, its row locked when `lock`.
fn load(
    c: &mut impl GenericClient,
    list_id: &str,
    lock: bool,
) -> Result<Option<(i64, StatusList)>, StoreError> {
    let Some(id) = parse_list_id(list_id) else {
        return Ok(None);
    };
    let sql = if lock {
        "SELECT bytes FROM status_lists WHERE id = $1 FOR UPDATE"
    } else {
        "SELECT bytes FROM status_lists WHERE id = $1"
    };
    one(c, sql, &[&id])?
        .map(|row| {
            let bytes: Vec<u8> = col(&row, 0)?;
            Ok((id, StatusList::from_bytes(Bits::One, bytes)))
        })
        .transpose()
}

/// Claims one free index of `list` (of `size` entries), in which the caller reserved an entry.
fn claim_reserved(
    c: &mut postgres::Client,
    rng: &dyn RandomSource,
    list: i64,
    size: u32,
) -> Result<(String, u64), StoreError> {
    // Rejection sampling: a draw uniform over `0..size`, kept when free (the unique
    // key decides, across every process), is uniform over the free indices.
    for _ in 0..RANDOM_TRIES {
        let idx = uniform_below(rng, size)?;
        if claim(c, list, idx)? {
            return Ok((list.to_string(), u64::from(idx)));
        }
    }
    // A nearly full list: draw exactly among the free indices instead (also uniform).
    // Another process may claim the drawn index first; then draw again.
    for _ in 0..MAX_RETRIES {
        let used = all(
            c,
            "SELECT idx FROM status_indices WHERE list_id = $1",
            &[&list],
        )?
        .iter()
        .map(|row| {
            u32::try_from(col::<i64>(row, 0)?)
                .map(StatusIndex::from)
                .map_err(|_| corrupt("status index"))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
        let idx = IndexAllocator::with_used(size, used)
            .allocate(rng)
            .map_err(|e| status_error(&e))?;
        let idx = u32::try_from(idx.get())
            .map_err(|_| StoreError::StatusList("an index past the list".into()))?;
        if claim(c, list, idx)? {
            return Ok((list.to_string(), u64::from(idx)));
        }
    }
    Err(StoreError::Unavailable(
        "postgres: no free status index after repeated tries".into(),
    ))
}

/// Reserves one entry and claims an index for it.
fn allocate_one(
    c: &mut postgres::Client,
    rng: &dyn RandomSource,
    list_size: u32,
) -> Result<(String, u64), StoreError> {
    let (list, size) = reserve(c, list_size, 1)?
        .ok_or_else(|| StoreError::StatusList("status lists of no entry".into()))?;
    claim_reserved(c, rng, list, size)
}

impl StatusListStore for PgHandle {
    fn allocate(&self, rng: &dyn RandomSource) -> Result<(String, u64), StoreError> {
        self.db.with(|c| allocate_one(c, rng, self.size))
    }

    /// One reservation for the whole batch in the newest list with room for all of it (a
    /// round trip fewer per entry), then a claim per entry; a batch larger than a list goes
    /// entry by entry.
    fn allocate_many(
        &self,
        rng: &dyn RandomSource,
        count: usize,
    ) -> Result<Vec<(String, u64)>, StoreError> {
        if count == 0 {
            return Ok(Vec::new());
        }
        self.db.with(|c| {
            let batch = u32::try_from(count).unwrap_or(u32::MAX);
            match reserve(c, self.size, batch)? {
                Some((list, size)) => (0..count)
                    .map(|_| claim_reserved(c, rng, list, size))
                    .collect(),
                None => (0..count)
                    .map(|_| allocate_one(c, rng, self.size))
                    .collect(),
            }
        })
    }

    fn set(&self, list_id: &str, idx: u64, status: Status) -> Result<bool, StoreError> {
        self.db.write(|tx| {
            // Locked to the commit: two changes to one list at once both stay.
            let Some((id, mut list)) = load(tx, list_id, true)? else {
                return Ok(false);
            };
            if list.set(StatusIndex::new(idx), status).is_err() {
                return Ok(false);
            }
            exec(
                tx,
                "UPDATE status_lists SET bytes = $2 WHERE id = $1",
                &[&id, &list.as_bytes()],
            )?;
            Ok(true)
        })
    }

    fn status(&self, list_id: &str, idx: u64) -> Result<Option<Status>, StoreError> {
        Ok(self
            .db
            .with(|c| load(c, list_id, false))?
            .and_then(|(_, list)| list.get(StatusIndex::new(idx)).ok()))
    }

    fn snapshot(&self, list_id: &str) -> Result<Option<StatusList>, StoreError> {
        Ok(self
            .db
            .with(|c| load(c, list_id, false))?
            .map(|(_, list)| list))
    }
}

// ---------------------------------------------------------------------------------------------
// Pushed authorization requests and authorization codes

/// The grant a redeemed authorization code went to, if `key` was redeemed and is remembered.
fn redeemed(
    tx: &mut Transaction<'_>,
    key: &str,
    now: UnixTime,
) -> Result<Option<GrantId>, StoreError> {
    one(
        tx,
        "SELECT grant_id FROM redeemed_codes WHERE code_hash = $1 AND expires_at > $2",
        &[&key, &now.secs()],
    )?
    .map(|row| col(&row, 0).map(GrantId::new))
    .transpose()
}

impl AuthorizationStore for PgHandle {
    fn push(
        &self,
        request_uri: String,
        request: PushedRequest,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        let json = codec::pushed_to_json(&request);
        self.db.with_purging("pushed_requests", now, |tx| {
            exec(
                tx,
                "INSERT INTO pushed_requests (uri_hash, client_id, request_json, expires_at)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (uri_hash) DO UPDATE SET client_id = EXCLUDED.client_id,
                   request_json = EXCLUDED.request_json, expires_at = EXCLUDED.expires_at",
                &[
                    &secret_key(&request_uri),
                    &request.client_id,
                    &json,
                    &request.expires_at.secs(),
                ],
            )
            .map(|_| ())
        })
    }

    fn take_pushed(
        &self,
        request_uri: &str,
        client_id: &str,
        now: UnixTime,
    ) -> Result<Option<PushedRequest>, StoreError> {
        self.db.with(|c| {
            // One statement: the row goes only if it is live and this client's.
            one(
                c,
                "DELETE FROM pushed_requests
                     WHERE uri_hash = $1 AND client_id = $2 AND expires_at > $3
                     RETURNING request_json",
                &[&secret_key(request_uri), &client_id, &now.secs()],
            )?
            .map(|row| {
                let json: String = col(&row, 0)?;
                codec::pushed_from_json(&json)
            })
            .transpose()
        })
    }

    fn insert_code(
        &self,
        code: String,
        issued: IssuedCode,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        let json = codec::issued_code_to_json(&issued);
        self.db.with_purging("authorization_codes", now, |tx| {
            exec(
                tx,
                "INSERT INTO authorization_codes (code_hash, issued_json, expires_at)
                 VALUES ($1, $2, $3)
                 ON CONFLICT (code_hash) DO UPDATE SET issued_json = EXCLUDED.issued_json,
                   expires_at = EXCLUDED.expires_at",
                &[&secret_key(&code), &json, &issued.expires_at.secs()],
            )
            .map(|_| ())
        })
    }

    fn redeem_code(
        &self,
        code: &str,
        now: UnixTime,
        remember_until: UnixTime,
        accept: &dyn Fn(&IssuedCode) -> Result<(), CodeRefusal>,
    ) -> Result<IssuedCode, CodeError> {
        let key = secret_key(code);
        let out = self.db.write_purging("redeemed_codes", now, |tx| {
            if let Some(grant) = redeemed(tx, &key, now)? {
                return Ok(Err(CodeError::Reused { grant }));
            }
            // The row lock is held to the commit: a concurrent redemption waits here.
            let row = one(
                tx,
                "SELECT issued_json, expires_at FROM authorization_codes
                 WHERE code_hash = $1 FOR UPDATE",
                &[&key],
            )?;
            let Some(row) = row else {
                // A redemption that committed while this one waited for the row is a reuse.
                return Ok(Err(match redeemed(tx, &key, now)? {
                    Some(grant) => CodeError::Reused { grant },
                    None => CodeError::Unknown,
                }));
            };
            let json: String = col(&row, 0)?;
            let expires_at: i64 = col(&row, 1)?;
            if UnixTime::from_secs(expires_at) <= now {
                exec(
                    tx,
                    "DELETE FROM authorization_codes WHERE code_hash = $1",
                    &[&key],
                )?;
                return Ok(Err(CodeError::Expired));
            }
            let issued = codec::issued_code_from_json(&json)?;
            if let Err(refusal) = accept(&issued) {
                return Ok(Err(CodeError::Refused(refusal)));
            }
            exec(
                tx,
                "INSERT INTO redeemed_codes (code_hash, grant_id, expires_at)
                 VALUES ($1, $2, $3)
                 ON CONFLICT (code_hash) DO UPDATE
                 SET grant_id = EXCLUDED.grant_id, expires_at = EXCLUDED.expires_at",
                &[&key, &issued.grant.as_str(), &remember_until.secs()],
            )?;
            // The redemption itself, under the row lock.
            let taken = exec(
                tx,
                "DELETE FROM authorization_codes WHERE code_hash = $1",
                &[&key],
            )?;
            Ok(if taken == 1 {
                Ok(issued)
            } else {
                Err(CodeError::Unknown)
            })
        });
        out.unwrap_or_else(|e| Err(CodeError::Store(e)))
    }
}
