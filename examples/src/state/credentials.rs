//! Issued credentials and the status lists that revoke them.

use std::sync::Mutex;

use jose_core::{RandomSource, UnixTime};
use status_list::{Bits, IndexAllocator, Status, StatusIndex, StatusList};

use super::lock;

/// A credential the issuer has signed.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct IssuedCredential {
    /// The issuer's id for it.
    pub credential_id: String,
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
        configuration_id: String,
        status_list_id: String,
        status_uri: String,
        status_idx: u64,
        issued_at: UnixTime,
    ) -> Self {
        Self {
            credential_id,
            configuration_id,
            status_list_id,
            status_uri,
            status_idx,
            issued_at,
        }
    }
}

/// Remembers issued credentials.
pub trait CredentialRegistry: Send + Sync + core::fmt::Debug {
    /// Records one.
    fn record(&self, credential: IssuedCredential);
    /// Every record, oldest first.
    fn list(&self) -> Vec<IssuedCredential>;
}

/// In-memory [`CredentialRegistry`].
#[derive(Debug, Default)]
pub struct InMemoryCredentialRegistry {
    issued: Mutex<Vec<IssuedCredential>>,
}

impl CredentialRegistry for InMemoryCredentialRegistry {
    fn record(&self, credential: IssuedCredential) {
        lock(&self.issued).push(credential);
    }

    fn list(&self) -> Vec<IssuedCredential> {
        lock(&self.issued).clone()
    }
}

/// Status lists: random index allocation and status updates.
pub trait StatusListStore: Send + Sync + core::fmt::Debug {
    /// A fresh random index: `(list id, idx)`.
    ///
    /// # Errors
    /// A description when no index can be allocated.
    fn allocate(&self, rng: &dyn RandomSource) -> Result<(String, u64), String>;
    /// Sets entry `idx` of `list_id`; `false` if there is no such entry.
    fn set(&self, list_id: &str, idx: u64, status: Status) -> bool;
    /// The status of entry `idx` of `list_id`.
    fn status(&self, list_id: &str, idx: u64) -> Option<Status>;
    /// A copy of list `list_id`.
    fn snapshot(&self, list_id: &str) -> Option<StatusList>;
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

    fn new_slot(&self, n: usize) -> Result<Slot, String> {
        let list = StatusList::new(
            Bits::One,
            u64::from(self.size),
            &status_list::Limits::default(),
        )
        .map_err(|e| e.to_string())?;
        Ok(Slot {
            id: n.saturating_add(1).to_string(),
            list,
            allocator: IndexAllocator::new(self.size),
        })
    }
}

impl StatusListStore for InMemoryStatusLists {
    fn allocate(&self, rng: &dyn RandomSource) -> Result<(String, u64), String> {
        let mut lists = lock(&self.lists);
        if lists.last().is_none_or(|s| s.allocator.remaining() == 0) {
            let slot = self.new_slot(lists.len())?;
            lists.push(slot);
        }
        let slot = lists.last_mut().ok_or("no status list")?;
        let idx = slot.allocator.allocate(rng).map_err(|e| e.to_string())?;
        Ok((slot.id.clone(), idx.get()))
    }

    fn set(&self, list_id: &str, idx: u64, status: Status) -> bool {
        lock(&self.lists)
            .iter_mut()
            .find(|s| s.id == list_id)
            .is_some_and(|s| s.list.set(StatusIndex::new(idx), status).is_ok())
    }

    fn status(&self, list_id: &str, idx: u64) -> Option<Status> {
        lock(&self.lists)
            .iter()
            .find(|s| s.id == list_id)
            .and_then(|s| s.list.get(StatusIndex::new(idx)).ok())
    }

    fn snapshot(&self, list_id: &str) -> Option<StatusList> {
        lock(&self.lists)
            .iter()
            .find(|s| s.id == list_id)
            .map(|s| s.list.clone())
    }
}
