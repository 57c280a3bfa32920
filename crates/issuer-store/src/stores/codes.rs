//! Pre-authorized codes.

use std::sync::Arc;

use jose_core::UnixTime;
use oid4vci_issuer::{PreAuthCodeStore, PreAuthGrant, RedeemError, StoreError};
use rusqlite::{OptionalExtension, params};

use crate::codec;
use crate::db::{Cached, Db, purge, unavailable};
use crate::shared::{TxCodeCheck, check_tx_code, secret_key};

/// [`PreAuthCodeStore`] on SQLite.
#[derive(Debug)]
pub(crate) struct SqlitePreAuthCodes {
    db: Arc<Db>,
}

impl SqlitePreAuthCodes {
    pub(crate) const fn new(db: Arc<Db>) -> Self {
        Self { db }
    }
}

impl PreAuthCodeStore for SqlitePreAuthCodes {
    fn insert(
        &self,
        code: String,
        grant: PreAuthGrant,
        max_attempts: u32,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        let json = codec::pre_auth_to_json(&grant);
        self.db.write(|tx| {
            purge(tx, "pre_auth_codes", now)?;
            tx.exec(
                "INSERT OR REPLACE INTO pre_auth_codes (code_hash, grant_json, attempts_left, expires_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![secret_key(&code), json, max_attempts, grant.expires_at.secs()],
            )
            .map_err(unavailable)?;
            Ok(())
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
            let row: Option<(String, u32, i64)> = tx
                .row(
                    "SELECT grant_json, attempts_left, expires_at FROM pre_auth_codes
                     WHERE code_hash = ?1",
                    [&key],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
                )
                .optional()
                .map_err(unavailable)?;
            let Some((json, attempts, expires_at)) = row else {
                return Ok(Err(RedeemError::Unknown));
            };
            let delete = || {
                tx.exec("DELETE FROM pre_auth_codes WHERE code_hash = ?1", [&key])
                    .map_err(unavailable)
            };
            if UnixTime::from_secs(expires_at) <= now {
                delete()?;
                return Ok(Err(RedeemError::Expired));
            }
            let grant = codec::pre_auth_from_json(&json)?;
            match check_tx_code(grant.tx_code.as_deref(), tx_code, attempts) {
                TxCodeCheck::Pass => {}
                TxCodeCheck::Refuse(e) => return Ok(Err(e)),
                TxCodeCheck::Wrong { attempts_left } => {
                    if attempts_left == 0 {
                        delete()?;
                    } else {
                        tx.exec(
                            "UPDATE pre_auth_codes SET attempts_left = ?2 WHERE code_hash = ?1",
                            params![key, attempts_left],
                        )
                        .map_err(unavailable)?;
                    }
                    return Ok(Err(RedeemError::WrongTxCode { attempts_left }));
                }
            }
            if let Err(reason) = accept(&grant) {
                return Ok(Err(RedeemError::Refused(reason)));
            }
            // The write lock is held since BEGIN IMMEDIATE; the DELETE … RETURNING is the
            // redemption itself, and only the connection that deletes the row gets the grant.
            let taken: Option<String> = tx
                .row(
                    "DELETE FROM pre_auth_codes WHERE code_hash = ?1 RETURNING grant_json",
                    [&key],
                    |row| row.get(0),
                )
                .optional()
                .map_err(unavailable)?;
            Ok(match taken {
                Some(_) => Ok(grant),
                None => Err(RedeemError::Unknown),
            })
        });
        out.unwrap_or_else(|e| Err(RedeemError::Store(e)))
    }
}
