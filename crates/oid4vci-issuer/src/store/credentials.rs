//! Issued credentials and the status lists that revoke them.

use std::sync::Mutex;

use jose_core::{RandomSource, UnixTime};
use status_list::{Bits, IndexAllocator, Status, StatusIndex, StatusList};

use super::{StoreError, lock};
use crate::GrantId;

/// A credential the issuer has signed.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct IssuedCredential {
    /// The issuer's id for it.
    pub credential_id: String,
    /// The grant it was issued under.
    pub grant: GrantId,
    /// Its credential configuration.
    pub configuration_id: String,
    /// The status list id it points into.
    pub status_list_id: String,
    /// Its status reference `uri`.
    pub status_uri: String,
    /// Its status reference `idx`.
    pub status_idx: u64,
    /// When it was issued.
    pub issued_at: UnixTime,
}

impl IssuedCredential {
    /// A record.
    #[must_use]
    pub const fn new(
        credential_id: String,
        grant: GrantId,
        configuration_id: String,
        status_list_id: String,
        status_uri: String,
        status_idx: u64,
        issued_at: UnixTime,
    ) -> Self {
        Self {
            credential_id,
            grant,
            configuration_id,
            status_list_id,
            status_uri,
            status_idx,
            issued_at,
        }
    }
}

/// Remembers issued credentials (for revocation).
pub trait CredentialRegistry: Send + Sync + core::fmt::Debug {
    /// Records one.
    ///
    /// # Errors
    /// [`StoreError`] when it cannot be kept: the caller must not hand out a credential it
    /// could not record, since it could never be revoked.
    fn record(&self, credential: IssuedCredential) -> Result<(), StoreError>;
    /// Records every one of `credentials` (one request's batch), in their order. The provided
    /// method records them one by one; a store that can keep them in one write (one
    /// transaction, one statement) should, and then keeps all or none.
    ///
    /// # Errors
    /// As [`Self::record`]: the caller hands out none of them, though some may have been
    /// recorded before the failure (a record of a credential never handed out is harmless:
    /// it is only ever revoked).
    fn record_all(&self, credentials: Vec<IssuedCredential>) -> Result<(), StoreError> {
        credentials
            .into_iter()
            .try_for_each(|credential| self.record(credential))
    }
    /// Every record, oldest first.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot answer (never an empty list in its place: a
    /// revocation tool must not take an outage for "nothing was issued").
    fn list(&self) -> Result<Vec<IssuedCredential>, StoreError>;
}

/// In-memory [`CredentialRegistry`] of at most a fixed number of records.
#[derive(Debug)]
pub struct InMemoryCredentialRegistry {
    capacity: usize,
    issued: Mutex<Vec<IssuedCredential>>,
}

impl InMemoryCredentialRegistry {
    /// A registry of at most `capacity` records.
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            issued: Mutex::new(Vec::new()),
        }
    }
}

impl Default for InMemoryCredentialRegistry {
    fn default() -> Self {
        Self::new(crate::limits::DEFAULT_MAX_ISSUED_CREDENTIALS)
    }
}

impl CredentialRegistry for InMemoryCredentialRegistry {
    fn record(&self, credential: IssuedCredential) -> Result<(), StoreError> {
        let mut issued = lock(&self.issued);
        if issued.len() >= self.capacity {
            return Err(StoreError::Full {
                store: "issued credential",
                capacity: self.capacity,
            });
        }
        issued.push(credential);
        Ok(())
    }

    fn list(&self) -> Result<Vec<IssuedCredential>, StoreError> {
        Ok(lock(&self.issued).clone())
    }
}

/// Status lists: random index allocation and status updates.
pub trait StatusListStore: Send + Sync + core::fmt::Debug {
    /// A fresh random index: `(list id, idx)`.
    ///
    /// # Errors
    /// [`StoreError`] when no index can be allocated.
    fn allocate(&self, rng: &dyn RandomSource) -> Result<(String, u64), StoreError>;
    /// `count` fresh random indices (one request's batch), each as [`Self::allocate`] gives
    /// one; they may fall in different lists when one fills up. The provided method allocates
    /// them one by one; a store that can allocate them in one write should.
    ///
    /// # Errors
    /// As [`Self::allocate`]; indices allocated before a failure stay allocated (and unused,
    /// which is harmless: an index is never handed out twice).
    fn allocate_many(
        &self,
        rng: &dyn RandomSource,
        count: usize,
    ) -> Result<Vec<(String, u64)>, StoreError> {
        (0..count).map(|_| self.allocate(rng)).collect()
    }
    /// Sets entry `idx` of `list_id`; `false` if there is no such entry.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the store cannot answer (never `false`: a relying
    /// party must not be told that an entry does not exist when the store is down).
    fn set(&self, list_id: &str, idx: u64, status: Status) -> Result<bool, StoreError>;
    /// The status of entry `idx` of `list_id`; `None` if there is no such entry.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the store cannot answer.
    fn status(&self, list_id: &str, idx: u64) -> Result<Option<Status>, StoreError>;
    /// A copy of list `list_id`; `None` if there is no such list.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the store cannot answer (a status list endpoint then
    /// answers 503, not 404).
    fn snapshot(&self, list_id: &str) -> Result<Option<StatusList>, StoreError>;
}

#[derive(Debug)]
struct Slot {
    id: String,
    list: StatusList,
    allocator: IndexAllocator,
}

/// In-memory [`StatusListStore`] of 1-bit lists of a fixed size; a new list starts when the
/// current one is full.
#[derive(Debug)]
pub struct InMemoryStatusLists {
    size: u32,
    lists: Mutex<Vec<Slot>>,
}

impl InMemoryStatusLists {
    /// Lists of `size` entries each.
    #[must_use]
    pub fn new(size: u32) -> Self {
        Self {
            size,
            lists: Mutex::new(Vec::new()),
        }
    }

    fn new_slot(&self, n: usize) -> Result<Slot, StoreError> {
        let list = StatusList::new(
            Bits::One,
            u64::from(self.size),
            &status_list::Limits::default(),
        )
        .map_err(|e| StoreError::StatusList(e.to_string()))?;
        Ok(Slot {
            id: n.saturating_add(1).to_string(),
            list,
            allocator: IndexAllocator::new(self.size),
        })
    }
}

impl StatusListStore for InMemoryStatusLists {
    fn allocate(&self, rng: &dyn RandomSource) -> Result<(String, u64), StoreError> {
        let mut lists = lock(&self.lists);
        let slot = match lists.last_mut() {
            Some(slot) if slot.allocator.remaining() > 0 => slot,
            _ => {
                let slot = self.new_slot(lists.len())?;
                lists.push(slot);
                lists
                    .last_mut()
                    .ok_or_else(|| StoreError::StatusList("no status list".into()))?
            }
        };
        let idx = slot
            .allocator
            .allocate(rng)
            .map_err(|e| StoreError::StatusList(e.to_string()))?;
        Ok((slot.id.clone(), idx.get()))
    }

    fn set(&self, list_id: &str, idx: u64, status: Status) -> Result<bool, StoreError> {
        Ok(lock(&self.lists)
            .iter_mut()
            .find(|s| s.id == list_id)
            .is_some_and(|s| s.list.set(StatusIndex::new(idx), status).is_ok()))
    }

    fn status(&self, list_id: &str, idx: u64) -> Result<Option<Status>, StoreError> {
        Ok(lock(&self.lists)
            .iter()
            .find(|s| s.id == list_id)
            .and_then(|s| s.list.get(StatusIndex::new(idx)).ok()))
    }

    fn snapshot(&self, list_id: &str) -> Result<Option<StatusList>, StoreError> {
        Ok(lock(&self.lists)
            .iter()
            .find(|s| s.id == list_id)
            .map(|s| s.list.clone()))
    }
}
