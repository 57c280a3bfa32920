//! Pushed authorization requests and authorization codes.

use std::sync::Arc;

use jose_core::UnixTime;
use oid4vci_issuer::{
    AuthorizationStore, CodeError, CodeRefusal, GrantId, IssuedCode, PushedRequest, StoreError,
};
use rusqlite::{OptionalExtension, params};

use crate::codec;
use crate::db::{Cached, Db, purge, unavailable};
use crate::shared::secret_key;

/// [`AuthorizationStore`] on SQLite.
#[derive(Debug)]
pub(crate) struct SqliteAuthorizations {
    db: Arc<Db>,
}

impl SqliteAuthorizations {
    pub(crate) const fn new(db: Arc<Db>) -> Self {
        Self { db }
    }
}

impl AuthorizationStore for SqliteAuthorizations {
    fn push(
        &self,
        request_uri: String,
        request: PushedRequest,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        let json = codec::pushed_to_json(&request);
        self.db.write(|tx| {
            purge(tx, "pushed_requests", now)?;
            tx.exec(
                "INSERT OR REPLACE INTO pushed_requests (uri_hash, client_id, request_json, expires_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![
                    secret_key(&request_uri),
                    request.client_id,
                    json,
                    request.expires_at.secs()
                ],
            )
            .map_err(unavailable)?;
            Ok(())
        })
    }

    fn take_pushed(
        &self,
        request_uri: &str,
        client_id: &str,
        now: UnixTime,
    ) -> Result<Option<PushedRequest>, StoreError> {
        self.db.write(|tx| {
            // One statement: the row goes only if it is live and this client's.
            let json: Option<String> = tx
                .row(
                    "DELETE FROM pushed_requests
                         WHERE uri_hash = ?1 AND client_id = ?2 AND expires_at > ?3
                         RETURNING request_json",
                    params![secret_key(request_uri), client_id, now.secs()],
                    |row| row.get(0),
                )
                .optional()
                .map_err(unavailable)?;
            json.map(|j| codec::pushed_from_json(&j)).transpose()
        })
    }

    fn insert_code(
        &self,
        code: String,
        issued: IssuedCode,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        let json = codec::issued_code_to_json(&issued);
        self.db.write(|tx| {
            purge(tx, "authorization_codes", now)?;
            tx.exec(
                "INSERT OR REPLACE INTO authorization_codes (code_hash, issued_json, expires_at)
                 VALUES (?1, ?2, ?3)",
                params![secret_key(&code), json, issued.expires_at.secs()],
            )
            .map_err(unavailable)?;
            Ok(())
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
        let out = self.db.write(|tx| {
            let redeemed: Option<String> = tx
                .row(
                    "SELECT grant_id FROM redeemed_codes WHERE code_hash = ?1 AND expires_at > ?2",
                    params![key, now.secs()],
                    |row| row.get(0),
                )
                .optional()
                .map_err(unavailable)?;
            if let Some(grant) = redeemed {
                return Ok(Err(CodeError::Reused {
                    grant: GrantId::new(grant),
                }));
            }
            let row: Option<(String, i64)> = tx
                .row(
                    "SELECT issued_json, expires_at FROM authorization_codes WHERE code_hash = ?1",
                    [&key],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()
                .map_err(unavailable)?;
            let Some((json, expires_at)) = row else {
                return Ok(Err(CodeError::Unknown));
            };
            if UnixTime::from_secs(expires_at) <= now {
                tx.exec(
                    "DELETE FROM authorization_codes WHERE code_hash = ?1",
                    [&key],
                )
                .map_err(unavailable)?;
                return Ok(Err(CodeError::Expired));
            }
            let issued = codec::issued_code_from_json(&json)?;
            if let Err(refusal) = accept(&issued) {
                return Ok(Err(CodeError::Refused(refusal)));
            }
            purge(tx, "redeemed_codes", now)?;
            tx.exec(
                "INSERT OR REPLACE INTO redeemed_codes (code_hash, grant_id, expires_at)
                 VALUES (?1, ?2, ?3)",
                params![key, issued.grant.as_str(), remember_until.secs()],
            )
            .map_err(unavailable)?;
            // The redemption itself: only the connection whose DELETE returns the row gets it.
            let taken: Option<i64> = tx
                .row(
                    "DELETE FROM authorization_codes WHERE code_hash = ?1 RETURNING expires_at",
                    [&key],
                    |row| row.get(0),
                )
                .optional()
                .map_err(unavailable)?;
            Ok(match taken {
                Some(_) => Ok(issued),
                None => Err(CodeError::Unknown),
            })
        });
        out.unwrap_or_else(|e| Err(CodeError::Store(e)))
    }
}
