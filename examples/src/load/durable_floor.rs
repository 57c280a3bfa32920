//! The durable floor of one issuance on SQLite: the CPU time bare SQLite needs to record, on
//! disk, what one issuance of the load must record, written the cheapest way the protocol
//! allows. Set beside the crypto floor, it says how much of the issuer's CPU on SQLite its own
//! store layer adds, as the crypto floor says it for the rest.
//!
//! **What is written.** A fresh database in the given directory (the issuer's file system),
//! opened as `issuer-store` opens its own (WAL, `synchronous = NORMAL`, the WAL synced with
//! `fdatasync` after each commit). Each issuance is three transactions, one per request that
//! changes state, each synced before its answer could leave:
//! 1. the offer: the pre-authorized code and an audit event;
//! 2. `/token`: the code's redemption, an access token and a refresh token, the `jti`s of the
//!    attestation PoP and of the DPoP proof, and an audit event;
//! 3. `/credential`: the `jti`s of the DPoP proof and of the `B` key proofs, `B` status
//!    indices, `B` registry rows, a notification id and an audit event.
//!
//! Codes, tokens, `jti`s and notification ids are keyed by random 43-character text, as the
//! issuer keys its SHA-256 hashes; the tables have no secondary index. The issuer keeps more
//! (expiry indexes its purges use, the grant index revocation uses, a savepoint per store
//! call), which is why this is a floor.
//!
//! **Timing.** The calling thread's CPU time from `/proc/thread-self/schedstat` (Linux, in
//! nanoseconds), user and kernel alike, as the issuer's CPU time counts both; the time spent
//! waiting for the disk is not CPU time on either side.

use core::time::Duration;
use std::fs::File;
use std::path::Path;

use jose_core::{RandomSource as _, SystemRandom, random_base64url};
use rusqlite::{Connection, Transaction, params};

use crate::error::DemoError;

/// The tables: one per kind of record, keyed like the issuer's.
const SCHEMA: &str = "
    CREATE TABLE codes (key TEXT PRIMARY KEY NOT NULL, grant_json TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE tokens (key TEXT PRIMARY KEY NOT NULL, grant_json TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE replay (key TEXT PRIMARY KEY NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TABLE status_indices (list INTEGER NOT NULL, idx INTEGER NOT NULL,
        PRIMARY KEY (list, idx)) WITHOUT ROWID;
    CREATE TABLE registry (id INTEGER PRIMARY KEY, credential TEXT NOT NULL, idx INTEGER NOT NULL);
    CREATE TABLE notifications (key TEXT PRIMARY KEY NOT NULL, grant_id TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE audit (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, kind TEXT NOT NULL,
        details_json TEXT NOT NULL);
";

/// The status list size the indices are drawn from (the demo's lists are this large).
const LIST_SIZE: u32 = 1 << 20;

/// The CPU time of one issuance's durable writes (see the module docs), the mean over `rounds`
/// issuances after `warmup` untimed ones, each with batches of `batch`.
///
/// # Errors
/// [`DemoError::Config`] when the database cannot be made or written, or the thread's CPU
/// time cannot be read (not Linux).
pub fn durable_floor(
    dir: &Path,
    batch: usize,
    warmup: usize,
    rounds: usize,
) -> Result<Duration, DemoError> {
    let (mut conn, wal) = open(dir)?;
    for _ in 0..warmup {
        Issuance::new(batch)?.write(&mut conn, &wal)?;
    }
    let count = u32::try_from(rounds.max(1))
        .map_err(|_| DemoError::Config("durable floor: too many rounds".into()))?;
    // Keys are drawn before the clock starts: the floor is the database's work.
    let mut drawn = Vec::with_capacity(rounds.max(1));
    for _ in 0..count {
        drawn.push(Issuance::new(batch)?);
    }
    let before = thread_cpu()?;
    for issuance in &drawn {
        issuance.write(&mut conn, &wal)?;
    }
    let spent = thread_cpu()?.saturating_sub(before);
    drop(conn);
    for suffix in ["", "-wal", "-shm"] {
        // A leftover file in the load's temporary directory is harmless.
        let _ = std::fs::remove_file(dir.join(format!("durable-floor.sqlite3{suffix}")));
    }
    Ok(spent / count)
}

fn failed(error: &dyn core::fmt::Display) -> DemoError {
    DemoError::Config(format!("durable floor: {error}"))
}

/// A fresh database in `dir`, opened as `issuer-store` opens its own, and its WAL file.
fn open(dir: &Path) -> Result<(Connection, File), DemoError> {
    let conn = Connection::open(dir.join("durable-floor.sqlite3")).map_err(|e| failed(&e))?;
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
        .map_err(|e| failed(&e))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(failed(&format_args!("journal_mode is {mode}, not WAL")));
    }
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(|e| failed(&e))?;
    conn.execute_batch(SCHEMA).map_err(|e| failed(&e))?;
    // The schema's commit made the WAL file.
    let wal = File::options()
        .write(true)
        .open(dir.join("durable-floor.sqlite3-wal"))
        .map_err(|e| failed(&e))?;
    Ok((conn, wal))
}

/// The random keys and indices of one issuance, and the grant its rows hold.
struct Issuance {
    code: String,
    access_token: String,
    refresh_token: String,
    /// The attestation PoP's and the two DPoP proofs' `jti`s, then the key proofs'.
    jtis: Vec<String>,
    credentials: Vec<(String, u32)>,
    notification: String,
    grant: String,
}

impl Issuance {
    fn new(batch: usize) -> Result<Self, DemoError> {
        let rng = SystemRandom::new();
        let key = || random_base64url(&rng, 32);
        let index = || -> Result<u32, DemoError> {
            let mut bytes = [0u8; 4];
            rng.fill(&mut bytes)?;
            Ok(u32::from_le_bytes(bytes) % LIST_SIZE)
        };
        Ok(Self {
            code: key()?,
            access_token: key()?,
            refresh_token: key()?,
            jtis: (0..batch.saturating_add(3))
                .map(|_| key())
                .collect::<Result<_, _>>()?,
            credentials: {
                // Distinct within the batch, as the issuer's allocator hands them out.
                let mut credentials: Vec<(String, u32)> = Vec::with_capacity(batch);
                while credentials.len() < batch {
                    let idx = index()?;
                    if credentials.iter().all(|(_, taken)| *taken != idx) {
                        credentials.push((key()?, idx));
                    }
                }
                credentials
            },
            notification: key()?,
            grant: grant_json(),
        })
    }

    /// The three transactions, each committed and synced.
    fn write(&self, conn: &mut Connection, wal: &File) -> Result<(), DemoError> {
        let grant = &self.grant;
        let (token_jtis, credential_jtis) = self.jtis.split_at(2.min(self.jtis.len()));
        durably(conn, wal, |tx| {
            insert(tx, "INSERT INTO codes VALUES (?1, ?2)", &self.code, grant)?;
            audit(tx, "offer")
        })?;
        durably(conn, wal, |tx| {
            tx.prepare_cached("DELETE FROM codes WHERE key = ?1")?
                .execute([&self.code])?;
            insert(
                tx,
                "INSERT INTO tokens VALUES (?1, ?2)",
                &self.access_token,
                grant,
            )?;
            insert(
                tx,
                "INSERT INTO tokens VALUES (?1, ?2)",
                &self.refresh_token,
                grant,
            )?;
            for jti in token_jtis {
                replay(tx, jti)?;
            }
            audit(tx, "token")
        })?;
        durably(conn, wal, |tx| {
            for jti in credential_jtis {
                replay(tx, jti)?;
            }
            for (credential, idx) in &self.credentials {
                tx.prepare_cached(
                    "INSERT INTO status_indices VALUES (1, ?1) ON CONFLICT DO NOTHING",
                )?
                .execute([idx])?;
                tx.prepare_cached("INSERT INTO registry (credential, idx) VALUES (?1, ?2)")?
                    .execute(params![credential, idx])?;
            }
            insert(
                tx,
                "INSERT INTO notifications VALUES (?1, ?2)",
                &self.notification,
                &self.code,
            )?;
            audit(tx, "credential")
        })
    }
}

/// Runs `write` in one transaction, commits it and syncs the WAL.
fn durably(
    conn: &mut Connection,
    wal: &File,
    write: impl FnOnce(&Transaction<'_>) -> rusqlite::Result<()>,
) -> Result<(), DemoError> {
    let tx = conn.transaction().map_err(|e| failed(&e))?;
    write(&tx).map_err(|e| failed(&e))?;
    tx.commit().map_err(|e| failed(&e))?;
    wal.sync_data().map_err(|e| failed(&e))
}

fn insert(tx: &Transaction<'_>, sql: &str, key: &str, value: &str) -> rusqlite::Result<()> {
    tx.prepare_cached(sql)?.execute([key, value]).map(drop)
}

fn replay(tx: &Transaction<'_>, jti: &str) -> rusqlite::Result<()> {
    tx.prepare_cached("INSERT INTO replay VALUES (?1, 1800000000) ON CONFLICT DO NOTHING")?
        .execute([jti])
        .map(drop)
}

fn audit(tx: &Transaction<'_>, kind: &str) -> rusqlite::Result<()> {
    const DETAILS: &str = r#"{"grant":"a4Qm2N0xv1KkXo5pJ8nLwQ","client":"https://wallet.example/instance/7","configuration":"IdentityCredential","credentials":3}"#;
    tx.prepare_cached("INSERT INTO audit (at, kind, details_json) VALUES (1800000000, ?1, ?2)")?
        .execute([kind, DETAILS])
        .map(drop)
}

/// A grant as the issuer stores one for an offer of the demo's claims.
fn grant_json() -> String {
    serde_json::json!({
        "grant": "a4Qm2N0xv1KkXo5pJ8nLwQ",
        "configuration_ids": [crate::config::IDENTITY_CONFIGURATION_ID],
        "claims": crate::demo::demo_claims(),
        "client_id": "https://wallet.example/instance/7",
        "expires_at": 1_800_000_000,
    })
    .to_string()
}

/// This thread's CPU time so far.
fn thread_cpu() -> Result<Duration, DemoError> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").map_err(|e| {
        DemoError::Config(format!(
            "durable floor: the thread's CPU time is read from /proc (Linux): {e}"
        ))
    })?;
    text.split_whitespace()
        .next()
        .and_then(|ns| ns.parse().ok())
        .map(Duration::from_nanos)
        .ok_or_else(|| DemoError::Config(format!("durable floor: schedstat reads {text:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The floor writes what its docs say one issuance records, in three synced commits.
    #[test]
    fn one_issuance_writes_its_records() {
        let dir = std::env::temp_dir().join(format!("durable-floor-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (mut conn, wal) = open(&dir).unwrap();
        let batch = 3;
        Issuance::new(batch)
            .unwrap()
            .write(&mut conn, &wal)
            .unwrap();
        let count = |table: &str| -> usize {
            conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
                row.get(0)
            })
            .unwrap()
        };
        assert_eq!(count("codes"), 0, "the code is redeemed");
        assert_eq!(count("tokens"), 2, "an access and a refresh token");
        assert_eq!(
            count("replay"),
            batch + 3,
            "PoP, two DPoP proofs, B key proofs"
        );
        assert_eq!(count("registry"), batch);
        assert_eq!(count("notifications"), 1);
        assert_eq!(count("audit"), 3);
        assert_eq!(count("status_indices"), batch);
        drop(conn);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
