//! Deferred issuance transactions (OpenID4VCI 1.0 §9), stored under their grant.

use std::sync::Mutex;

use jose_core::UnixTime;

use super::bounded::BoundedMap;
use super::{StoreError, lock};
use crate::GrantId;

/// Why a deferred credential was not handed out.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeferredError {
    /// Unknown, expired or already collected `transaction_id`, or one that belongs to another
    /// grant (answered the same way: `invalid_transaction_id`).
    Unknown,
    /// Not ready yet: ask again after the interval.
    Pending,
    /// The store failed: nothing was handed out or forgotten (the engine answers 500
    /// `server_error`).
    Store(StoreError),
}

/// Holds credentials until their deferred transaction is collected by the grant that asked
/// for them.
pub trait DeferredStore: Send + Sync + core::fmt::Debug {
    /// Stores the `credentials` of `transaction_id` under `grant`, ready from `ready_at`,
    /// forgotten at `expires_at`.
    ///
    /// # Errors
    /// [`StoreError`] when the transaction cannot be kept.
    fn insert(
        &self,
        grant: &GrantId,
        transaction_id: String,
        credentials: Vec<String>,
        ready_at: UnixTime,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> Result<(), StoreError>;

    /// Hands out (and forgets) the credentials of `transaction_id` once ready, if it was
    /// stored under `grant`. A transaction of another grant is left untouched.
    ///
    /// # Errors
    /// The [`DeferredError`].
    fn take(
        &self,
        grant: &GrantId,
        transaction_id: &str,
        now: UnixTime,
    ) -> Result<Vec<String>, DeferredError>;
}

/// The credentials of a pending transaction and when they are ready.
type Pending = (Vec<String>, UnixTime);

/// In-memory [`DeferredStore`], bounded, forgetting expired transactions.
#[derive(Debug)]
pub struct InMemoryDeferred {
    pending: Mutex<BoundedMap<(GrantId, String), Pending>>,
}

impl InMemoryDeferred {
    /// A store of at most `capacity` pending transactions.
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        Self {
            pending: Mutex::new(BoundedMap::new("deferred transaction", capacity)),
        }
    }
}

impl Default for InMemoryDeferred {
    fn default() -> Self {
        Self::new(crate::limits::DEFAULT_MAX_DEFERRED_TRANSACTIONS)
    }
}

impl DeferredStore for InMemoryDeferred {
    fn insert(
        &self,
        grant: &GrantId,
        transaction_id: String,
        credentials: Vec<String>,
        ready_at: UnixTime,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        lock(&self.pending).insert(
            (grant.clone(), transaction_id),
            (credentials, ready_at),
            expires_at,
            now,
        )
    }

    fn take(
        &self,
        grant: &GrantId,
        transaction_id: &str,
        now: UnixTime,
    ) -> Result<Vec<String>, DeferredError> {
        let key = (grant.clone(), transaction_id.to_owned());
        let mut pending = lock(&self.pending);
        let (_, ready_at) = pending.get(&key, now).ok_or(DeferredError::Unknown)?;
        if *ready_at > now {
            return Err(DeferredError::Pending);
        }
        pending
            .remove(&key)
            .map(|((credentials, _), _)| credentials)
            .ok_or(DeferredError::Unknown)
    }
}
