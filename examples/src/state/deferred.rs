//! Deferred issuance transactions and notification ids.

use std::collections::HashMap;
use std::sync::Mutex;

use jose_core::UnixTime;
use serde_json::Value;

use super::lock;

/// Why a deferred credential was not handed out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeferredError {
    /// Unknown (or already collected) `transaction_id`.
    Unknown,
    /// Not ready yet: ask again after the interval.
    Pending,
}

/// Holds credentials until their deferred transaction is collected.
pub trait DeferredStore: Send + Sync + core::fmt::Debug {
    /// Stores the credentials of `transaction_id`, ready from `ready_at`.
    fn insert(&self, transaction_id: String, credentials: Vec<Value>, ready_at: UnixTime);
    /// Hands out (and forgets) the credentials once ready.
    ///
    /// # Errors
    /// The [`DeferredError`].
    fn take(&self, transaction_id: &str, now: UnixTime) -> Result<Vec<Value>, DeferredError>;
}

/// In-memory [`DeferredStore`].
#[derive(Debug, Default)]
pub struct InMemoryDeferred {
    pending: Mutex<HashMap<String, (Vec<Value>, UnixTime)>>,
}

impl DeferredStore for InMemoryDeferred {
    fn insert(&self, transaction_id: String, credentials: Vec<Value>, ready_at: UnixTime) {
        lock(&self.pending).insert(transaction_id, (credentials, ready_at));
    }

    fn take(&self, transaction_id: &str, now: UnixTime) -> Result<Vec<Value>, DeferredError> {
        let mut pending = lock(&self.pending);
        let (_, ready_at) = pending.get(transaction_id).ok_or(DeferredError::Unknown)?;
        if *ready_at > now {
            return Err(DeferredError::Pending);
        }
        pending
            .remove(transaction_id)
            .map(|(c, _)| c)
            .ok_or(DeferredError::Unknown)
    }
}

/// Remembers notification ids and the events wallets reported for them.
pub trait NotificationStore: Send + Sync + core::fmt::Debug {
    /// Registers `notification_id` for the listed credential ids.
    fn register(&self, notification_id: String, credential_ids: Vec<String>);
    /// Records `event`; `false` if the id is unknown.
    fn record(&self, notification_id: &str, event: &str) -> bool;
    /// The events recorded for `notification_id`.
    fn events(&self, notification_id: &str) -> Vec<String>;
}

/// The credential ids of a notification id and the events reported for it.
type Entry = (Vec<String>, Vec<String>);

/// In-memory [`NotificationStore`].
#[derive(Debug, Default)]
pub struct InMemoryNotifications {
    ids: Mutex<HashMap<String, Entry>>,
}

impl NotificationStore for InMemoryNotifications {
    fn register(&self, notification_id: String, credential_ids: Vec<String>) {
        lock(&self.ids).insert(notification_id, (credential_ids, Vec::new()));
    }

    fn record(&self, notification_id: &str, event: &str) -> bool {
        lock(&self.ids)
            .get_mut(notification_id)
            .map(|(_, events)| events.push(event.to_owned()))
            .is_some()
    }

    fn events(&self, notification_id: &str) -> Vec<String> {
        lock(&self.ids)
            .get(notification_id)
            .map(|(_, e)| e.clone())
            .unwrap_or_default()
    }
}
