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
        self.check_and_record_all(&[(key, expires_at)], now)
    }

    /// One transaction: every key is inserted, or (a live key, a key given twice) the
    /// transaction is rolled back and nothing is recorded.
    fn check_and_record_all(
        &self,
        entries: &[(&str, UnixTime)],
        now: UnixTime,
    ) -> Result<(), ReplayError> {
        if !pop_verifier::check_batch(entries, now)? {
            return Ok(());
        }
        self.db
            .write_unless(|tx| {
                // An expired entry no longer blocks its key.
                purge(tx, "replay", now)?;
                for &(key, expires_at) in entries {
                    let inserted = tx
                        .exec(
                            "INSERT INTO replay (key, expires_at) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                            params![key, expires_at.secs()],
                        )
                        .map_err(unavailable)?;
                    if inserted != 1 {
                        return Ok(Err(ReplayError::Replayed));
                    }
                }
                Ok(Ok(()))
            })
            .map_err(|e| ReplayError::Unavailable {
                reason: e.to_string(),
            })?
    }
}
