//! The issued-credential registry and the status lists.

use std::sync::Arc;

use jose_core::{RandomSource, UnixTime};
use oid4vci_issuer::{CredentialRegistry, GrantId, IssuedCredential, StatusListStore, StoreError};
use rusqlite::{Connection, OptionalExtension, params};
use status_list::{Bits, IndexAllocator, Status, StatusIndex, StatusList};

use crate::db::{Cached, Db, unavailable};
use crate::shared::{RANDOM_TRIES, parse_list_id, status_error, uniform_below};

/// [`CredentialRegistry`] on SQLite: append only, oldest first.
#[derive(Debug)]
pub(crate) struct SqliteRegistry {
    db: Arc<Db>,
}

impl SqliteRegistry {
    pub(crate) const fn new(db: Arc<Db>) -> Self {
        Self { db }
    }
}

/// Inserts the record of `c`.
fn insert_record(conn: &Connection, c: &IssuedCredential) -> Result<(), StoreError> {
    let idx = i64::try_from(c.status_idx)
        .map_err(|_| StoreError::StatusList("a status index past i64".into()))?;
    conn.exec(
        "INSERT INTO issued_credentials
         (credential_id, grant_id, configuration_id, status_list_id, status_uri,
          status_idx, issued_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            c.credential_id,
            c.grant.as_str(),
            c.configuration_id,
            c.status_list_id,
            c.status_uri,
            idx,
            c.issued_at.secs()
        ],
    )
    .map_err(unavailable)?;
    Ok(())
}

impl CredentialRegistry for SqliteRegistry {
    fn record(&self, c: IssuedCredential) -> Result<(), StoreError> {
        self.db.write(|conn| insert_record(conn, &c))
    }

    /// All in one call (one savepoint, one commit): all or none recorded.
    fn record_all(&self, credentials: Vec<IssuedCredential>) -> Result<(), StoreError> {
        self.db.write(|tx| {
            credentials
                .iter()
                .try_for_each(|credential| insert_record(tx, credential))
        })
    }

    fn list(&self) -> Result<Vec<IssuedCredential>, StoreError> {
        self.db.with(|conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT credential_id, grant_id, configuration_id, status_list_id,
                                status_uri, status_idx, issued_at
                         FROM issued_credentials ORDER BY seq",
                )
                .map_err(unavailable)?;
            let rows = stmt
                .query_map([], |row| {
                    // Out of u64's range (a row changed behind the store) fails.
                    let idx: u64 = row.get(5)?;
                    Ok(IssuedCredential::new(
                        row.get(0)?,
                        GrantId::new(row.get(1)?),
                        row.get(2)?,
                        row.get(3)?,
                        row.get(4)?,
                        idx,
                        UnixTime::from_secs(row.get(6)?),
                    ))
                })
                .map_err(unavailable)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(unavailable)
        })
    }
}

/// [`StatusListStore`] on SQLite: 1-bit lists, the packed bytes of each in `status_lists`,
/// every allocated index in `status_indices` (its primary key makes a second allocation of
/// the same index impossible, across restarts and processes).
#[derive(Debug)]
pub(crate) struct SqliteStatusLists {
    db: Arc<Db>,
    size: u32,
}

impl SqliteStatusLists {
    pub(crate) const fn new(db: Arc<Db>, size: u32) -> Self {
        Self { db, size }
    }
}

/// The list that takes the next index: the newest one with a free index, or a new one.
fn current_list(tx: &Connection, size: u32) -> Result<(i64, u32, u32), StoreError> {
    let newest: Option<(i64, u32, u32)> = tx
        .row(
            "SELECT id, size, allocated FROM status_lists ORDER BY id DESC LIMIT 1",
            [],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .optional()
        .map_err(unavailable)?;
    if let Some((id, list_size, allocated)) = newest
        && allocated < list_size
    {
        return Ok((id, list_size, allocated));
    }
    let list = StatusList::new(Bits::One, u64::from(size), &status_list::Limits::default())
        .map_err(|e| status_error(&e))?;
    tx.exec(
        "INSERT INTO status_lists (size, allocated, bytes) VALUES (?1, 0, ?2)",
        params![size, list.as_bytes()],
    )
    .map_err(unavailable)?;
    Ok((tx.last_insert_rowid(), size, 0))
}

/// Marks `idx` of `list` allocated; `false` if it already was.
fn claim(tx: &Connection, list: i64, idx: u32) -> Result<bool, StoreError> {
    let inserted = tx
        .exec(
            "INSERT INTO status_indices (list_id, idx) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            params![list, idx],
        )
        .map_err(unavailable)?;
    Ok(inserted == 1)
}

/// The list named `list_id` and its row id.
fn load(conn: &Connection, list_id: &str) -> Result<Option<(i64, StatusList)>, StoreError> {
    let Some(id) = parse_list_id(list_id) else {
        return Ok(None);
    };
    let bytes: Option<Vec<u8>> = conn
        .row(
            "SELECT bytes FROM status_lists WHERE id = ?1",
            [id],
            |row| row.get(0),
        )
        .optional()
        .map_err(unavailable)?;
    Ok(bytes.map(|b| (id, StatusList::from_bytes(Bits::One, b))))
}

/// Allocates one random free index in the newest list with room (a new list when none has),
/// within the caller's transaction.
fn allocate_in(
    tx: &Connection,
    rng: &dyn RandomSource,
    list_size: u32,
) -> Result<(String, u64), StoreError> {
    let (list, size, _) = current_list(tx, list_size)?;
    // Rejection sampling: a draw uniform over `0..size`, kept when free, is uniform
    // over the free indices.
    let mut chosen = None;
    for _ in 0..RANDOM_TRIES {
        let idx = uniform_below(rng, size)?;
        if claim(tx, list, idx)? {
            chosen = Some(idx);
            break;
        }
    }
    // A nearly full list: draw exactly among the free indices instead (also uniform).
    let idx = match chosen {
        Some(idx) => idx,
        None => {
            let mut stmt = tx
                .prepare_cached("SELECT idx FROM status_indices WHERE list_id = ?1")
                .map_err(unavailable)?;
            let used = stmt
                .query_map([list], |row| row.get::<_, u32>(0))
                .map_err(unavailable)?
                .collect::<Result<Vec<u32>, _>>()
                .map_err(unavailable)?;
            let idx = IndexAllocator::with_used(size, used.into_iter().map(StatusIndex::from))
                .allocate(rng)
                .map_err(|e| status_error(&e))?;
            let idx = u32::try_from(idx.get())
                .map_err(|_| StoreError::StatusList("an index past the list".into()))?;
            if !claim(tx, list, idx)? {
                return Err(StoreError::StatusList(
                    "the allocator handed out a used index".into(),
                ));
            }
            idx
        }
    };
    tx.exec(
        "UPDATE status_lists SET allocated = allocated + 1 WHERE id = ?1",
        [list],
    )
    .map_err(unavailable)?;
    Ok((list.to_string(), u64::from(idx)))
}

impl StatusListStore for SqliteStatusLists {
    fn allocate(&self, rng: &dyn RandomSource) -> Result<(String, u64), StoreError> {
        self.db.write(|tx| allocate_in(tx, rng, self.size))
    }

    /// All in one call (one savepoint, one commit): all or none allocated.
    fn allocate_many(
        &self,
        rng: &dyn RandomSource,
        count: usize,
    ) -> Result<Vec<(String, u64)>, StoreError> {
        self.db.write(|tx| {
            (0..count)
                .map(|_| allocate_in(tx, rng, self.size))
                .collect()
        })
    }

    fn set(&self, list_id: &str, idx: u64, status: Status) -> Result<bool, StoreError> {
        self.db.write(|tx| {
            let Some((id, mut list)) = load(tx, list_id)? else {
                return Ok(false);
            };
            if list.set(StatusIndex::new(idx), status).is_err() {
                return Ok(false);
            }
            tx.exec(
                "UPDATE status_lists SET bytes = ?2 WHERE id = ?1",
                params![id, list.as_bytes()],
            )
            .map_err(unavailable)?;
            Ok(true)
        })
    }

    fn status(&self, list_id: &str, idx: u64) -> Result<Option<Status>, StoreError> {
        Ok(self
            .db
            .with(|conn| load(conn, list_id))?
            .and_then(|(_, list)| list.get(StatusIndex::new(idx)).ok()))
    }

    fn snapshot(&self, list_id: &str) -> Result<Option<StatusList>, StoreError> {
        Ok(self
            .db
            .with(|conn| load(conn, list_id))?
            .map(|(_, list)| list))
    }
}
