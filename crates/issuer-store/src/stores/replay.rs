//! The replay guard: one row per recorded key, recorded by a unique insert.

use std::sync::Arc;

use jose_core::UnixTime;
use pop_verifier::{ReplayError, ReplayGuard};
use rusqlite::params;

use crate::db::{Cached, Db, purge, unavailable};

/// [`ReplayGuard`] on SQLite.
#[derive(Debug)]
pub(crate) struct SqliteReplayGuard {
    db: Arc<Db>,
}

impl SqliteReplayGuard {
    pub(crate) const fn new(db: Arc<Db>) -> Self {
        Self { db }
    }
}

impl ReplayGuard for SqliteReplayGuard {
    fn check_and_record(
        &self,
        key: &str,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> Result<(), ReplayError> {
        if expires_at <= now {
            return Err(ReplayError::AlreadyExpired);
        }
        let inserted = self
            .db
            .write(|tx| {
                // An expired entry no longer blocks its key.
                purge(tx, "replay", now)?;
                tx.exec(
                    "INSERT INTO replay (key, expires_at) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                    params![key, expires_at.secs()],
                )
                .map_err(unavailable)
            })
            .map_err(|e| ReplayError::Unavailable {
                reason: e.to_string(),
            })?;
        if inserted == 1 {
            Ok(())
        } else {
            Err(ReplayError::Replayed)
        }
    }
}
