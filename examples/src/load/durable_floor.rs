//! The durable floor of one issuance on SQLite: the CPU time bare SQLite needs to record, on
//! disk, what one issuance of the load must record, written the cheapest way the protocol
//! allows. Set beside the crypto floor, it says how much of the issuer's CPU on SQLite its own
//! store layer adds, as the crypto floor says it for the rest.
//!
//! **What is written.** A fresh database in the given directory (the issuer's file system),
//! opened as `issuer-store` opens its own (WAL, `synchronous = NORMAL`, the WAL synced with
//! `fdatasync` after each commit). Each issuance is what the demo issuer records for one
//! issuance of the load, in one transaction per request that records anything, each synced
//! before its answer could leave:
//! 1. the offer: the pre-authorized code;
//! 2. `/token`: the code's redemption, an access token and a refresh token, the `jti`s of the
//!    attestation PoP and of the DPoP proof, and the redemption's audit event;
//! 3. the replayed token request: the audit event of the replay it was refused for;
//! 4. `/credential`: the `jti`s of the DPoP proof and of the `B` key proofs, the spent
//!    c_nonce, `B` status indices, `B` registry rows, a notification id and `B` audit events
//!    (one per credential).
//!
//! Codes, tokens, `jti`s and notification ids are keyed by random 43-character text, as the
//! issuer keys its SHA-256 hashes; the tables have no secondary index. The issuer keeps more
//! (expiry indexes its purges use, the grant index revocation uses, a savepoint per store
//! call), which is why this is a floor.
//!
//! **Timing.** The calling thread's CPU time from `/proc/thread-self/schedstat` (Linux, in
//! nanoseconds), user and kernel alike, as the issuer's CPU time counts both, and its mean
//! over the timed issuances; the time spent waiting for the disk is not CPU time on either
//! side. (The crypto floor is a wall-clock median instead: it makes no system calls.)

use core::time::Duration;
use std::fs::File;
use std::path::Path;

use jose_core::{RandomSource as _, SystemRandom, random_base64url};
use rusqlite::{Connection, Transaction, params};

use super::MAX_BATCH;
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

/// The most issuances timed (their keys are drawn up front).
const MAX_ROUNDS: usize = 100_000;

/// The database's file name, and the names of its WAL and shared-memory files.
const FILES: [&str; 3] = [
    "durable-floor.sqlite3",
    "durable-floor.sqlite3-wal",
    "durable-floor.sqlite3-shm",
];

/// The CPU time of one issuance's durable writes (see the module docs), the mean over `rounds`
/// issuances after `warmup` untimed ones, each with batches of `batch`. The database's files
/// are removed before and after.
///
/// # Errors
/// [`DemoError::Config`] for a `batch` outside `1..=100` or more than 100,000 `rounds`;
/// [`DemoError::Io`] when the database cannot be made or written, or the thread's CPU time
/// cannot be read (not Linux, or a kernel without scheduler statistics).
pub fn durable_floor(
    dir: &Path,
    batch: usize,
    warmup: usize,
    rounds: usize,
) -> Result<Duration, DemoError> {
    if batch == 0 || batch > MAX_BATCH || rounds > MAX_ROUNDS || warmup > MAX_ROUNDS {
        return Err(DemoError::Config(format!(
            "durable floor: batch must be 1..={MAX_BATCH}, warmup and rounds at most {MAX_ROUNDS}"
        )));
    }
    let files = Files::fresh(dir);
    let mut floor = Floor::open(dir)?;
    let rng = SystemRandom::new();
    let grant = grant_json();
    for _ in 0..warmup {
        Issuance::new(batch, &rng)?.write(&mut floor, &grant)?;
    }
    let rounds = rounds.max(1);
    let count = u32::try_from(rounds).map_err(|e| failed(&e))?;
    // Keys are drawn before the clock starts: the floor is the database's work.
    let drawn = (0..rounds)
        .map(|_| Issuance::new(batch, &rng))
        .collect::<Result<Vec<_>, _>>()?;
    let before = thread_cpu()?;
    for issuance in &drawn {
        issuance.write(&mut floor, &grant)?;
    }
    let spent = thread_cpu()?.saturating_sub(before);
    drop(floor);
    drop(files);
    if spent.is_zero() {
        return Err(failed(
            &"no CPU time read (is sched_info off in this kernel?)",
        ));
    }
    Ok(spent / count)
}

/// The database's files in a directory, removed when made and when dropped (also after a
/// failure: a leftover would make the next floor's schema fail).
struct Files<'d>(&'d Path);

impl<'d> Files<'d> {
    fn fresh(dir: &'d Path) -> Self {
        let files = Self(dir);
        files.remove();
        files
    }

    fn remove(&self) {
        for name in FILES {
            // A file that is not there is what is wanted.
            let _ = std::fs::remove_file(self.0.join(name));
        }
    }
}

impl Drop for Files<'_> {
    fn drop(&mut self) {
        self.remove();
    }
}

fn failed(error: &dyn core::fmt::Display) -> DemoError {
    DemoError::Io(std::io::Error::other(format!("durable floor: {error}")))
}

/// The floor's database: the connection, its WAL file, and the synced commits made so far.
struct Floor {
    conn: Connection,
    wal: File,
    commits: usize,
}

impl Floor {
    /// A fresh database in `dir`, opened as `issuer-store` opens its own.
    fn open(dir: &Path) -> Result<Self, DemoError> {
        let [database, wal, _] = FILES;
        let conn = Connection::open(dir.join(database)).map_err(|e| failed(&e))?;
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
            .open(dir.join(wal))
            .map_err(|e| failed(&e))?;
        Ok(Self {
            conn,
            wal,
            commits: 0,
        })
    }

    /// Runs `write` in one transaction, commits it and syncs the WAL.
    fn durably(
        &mut self,
        write: impl FnOnce(&Transaction<'_>) -> rusqlite::Result<()>,
    ) -> Result<(), DemoError> {
        let tx = self.conn.transaction().map_err(|e| failed(&e))?;
        write(&tx).map_err(|e| failed(&e))?;
        tx.commit().map_err(|e| failed(&e))?;
        self.wal.sync_data().map_err(|e| failed(&e))?;
        self.commits = self.commits.saturating_add(1);
        Ok(())
    }
}

/// The random keys and indices of one issuance.
struct Issuance {
    code: String,
    access_token: String,
    refresh_token: String,
    /// The attestation PoP's and the DPoP proof's `jti`s at `/token`.
    token_jtis: [String; 2],
    /// The DPoP proof's and the key proofs' `jti`s and the spent c_nonce at `/credential`.
    credential_jtis: Vec<String>,
    credentials: Vec<(String, u32)>,
    notification: String,
}

impl Issuance {
    fn new(batch: usize, rng: &SystemRandom) -> Result<Self, DemoError> {
        let key = || random_base64url(rng, 32);
        let index = || -> Result<u32, DemoError> {
            let mut bytes = [0u8; 4];
            rng.fill(&mut bytes)?;
            Ok(u32::from_le_bytes(bytes) % LIST_SIZE)
        };
        // Distinct within the batch, as the issuer's allocator hands them out.
        let mut credentials: Vec<(String, u32)> = Vec::with_capacity(batch);
        while credentials.len() < batch {
            let idx = index()?;
            if credentials.iter().all(|(_, taken)| *taken != idx) {
                credentials.push((key()?, idx));
            }
        }
        Ok(Self {
            code: key()?,
            access_token: key()?,
            refresh_token: key()?,
            token_jtis: [key()?, key()?],
            credential_jtis: (0..batch.saturating_add(2))
                .map(|_| key())
                .collect::<Result<_, _>>()?,
            credentials,
            notification: key()?,
        })
    }

    /// The four transactions, each committed and synced, with `grant` as the grant the code
    /// and tokens hold.
    fn write(&self, floor: &mut Floor, grant: &str) -> Result<(), DemoError> {
        floor.durably(|tx| insert(tx, "INSERT INTO codes VALUES (?1, ?2)", &self.code, grant))?;
        floor.durably(|tx| {
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
            for jti in &self.token_jtis {
                replay(tx, jti)?;
            }
            audit(tx, "pre_authorized_code_redeemed")
        })?;
        floor.durably(|tx| audit(tx, "replay_detected"))?;
        floor.durably(|tx| {
            for jti in &self.credential_jtis {
                replay(tx, jti)?;
            }
            for (credential, idx) in &self.credentials {
                tx.prepare_cached(
                    "INSERT INTO status_indices VALUES (1, ?1) ON CONFLICT DO NOTHING",
                )?
                .execute([idx])?;
                tx.prepare_cached("INSERT INTO registry (credential, idx) VALUES (?1, ?2)")?
                    .execute(params![credential, idx])?;
                audit(tx, "credential_issued")?;
            }
            insert(
                tx,
                "INSERT INTO notifications VALUES (?1, ?2)",
                &self.notification,
                &self.code,
            )
        })
    }
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
        failed(&format_args!(
            "the thread's CPU time is read from /proc (Linux): {e}"
        ))
    })?;
    text.split_whitespace()
        .next()
        .and_then(|ns| ns.parse().ok())
        .map(Duration::from_nanos)
        .ok_or_else(|| failed(&format_args!("schedstat reads {text:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A new directory of its own for one test.
    fn scratch_dir(test: &str) -> std::path::PathBuf {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir = std::env::temp_dir().join(format!(
            "durable-floor-{test}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// The floor writes what its docs say one issuance records, in four synced commits.
    #[test]
    fn one_issuance_writes_its_records() {
        let dir = scratch_dir("records");
        let files = Files::fresh(&dir);
        let mut floor = Floor::open(&dir).unwrap();
        let batch = 3;
        Issuance::new(batch, &SystemRandom::new())
            .unwrap()
            .write(&mut floor, &grant_json())
            .unwrap();
        let commits = floor.commits;
        assert_eq!(commits, 4, "offer, token, the refused replay, credential");
        let conn = &floor.conn;
        let count = |sql: &str| -> usize { conn.query_row(sql, [], |row| row.get(0)).unwrap() };
        assert_eq!(
            count("SELECT count(*) FROM codes"),
            0,
            "the code is redeemed"
        );
        assert_eq!(
            count("SELECT count(*) FROM tokens"),
            2,
            "access and refresh"
        );
        // Two at /token; at /credential the DPoP proof, the key proofs and the c_nonce.
        assert_eq!(count("SELECT count(*) FROM replay"), batch + 4);
        assert_eq!(count("SELECT count(*) FROM status_indices"), batch);
        assert_eq!(count("SELECT count(*) FROM registry"), batch);
        assert_eq!(count("SELECT count(*) FROM notifications"), 1);
        let audit =
            |kind: &str| count(&format!("SELECT count(*) FROM audit WHERE kind = '{kind}'"));
        assert_eq!(audit("pre_authorized_code_redeemed"), 1);
        assert_eq!(audit("replay_detected"), 1);
        assert_eq!(audit("credential_issued"), batch);
        assert_eq!(count("SELECT count(*) FROM audit"), batch + 2);
        drop(floor);
        drop(files);
        for name in FILES {
            assert!(!dir.join(name).exists(), "{name} is removed");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn out_of_range_inputs_are_refused_before_any_file_is_made() {
        let dir = std::env::temp_dir().join("durable-floor-never-made");
        for (batch, rounds) in [(0, 1), (MAX_BATCH + 1, 1), (1, MAX_ROUNDS + 1)] {
            assert!(matches!(
                durable_floor(&dir, batch, 0, rounds),
                Err(DemoError::Config(_))
            ));
        }
        assert!(!dir.exists());
    }

    /// A floor that failed halfway leaves no file that makes the next one fail.
    #[test]
    fn a_leftover_database_is_replaced() {
        let dir = scratch_dir("leftover");
        // As a failed run leaves it: the schema made, the files not removed.
        drop(Floor::open(&dir).unwrap());
        assert!(dir.join(FILES[0]).exists());
        assert!(durable_floor(&dir, 2, 1, 2).unwrap() > Duration::ZERO);
        for name in FILES {
            assert!(!dir.join(name).exists(), "{name} is removed");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
