//! Notification ids (OpenID4VCI 1.0 §11), stored under their grant.

use std::sync::Mutex;

use jose_core::UnixTime;

use super::bounded::BoundedMap;
use super::{StoreError, lock};
use crate::GrantId;
use crate::limits::DEFAULT_MAX_EVENTS_PER_NOTIFICATION;

/// Remembers notification ids and the events wallets reported for them.
pub trait NotificationStore: Send + Sync + core::fmt::Debug {
    /// Registers `notification_id` under `grant` for the listed credential ids, until
    /// `expires_at`.
    ///
    /// # Errors
    /// [`StoreError`] when the id cannot be kept.
    fn register(
        &self,
        grant: &GrantId,
        notification_id: String,
        credential_ids: Vec<String>,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> Result<(), StoreError>;

    /// Records `event` for `notification_id` if it was registered under `grant`; `false` if it
    /// is unknown, expired or another grant's.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot answer: the engine answers 503, so the wallet
    /// retries instead of taking its id for unknown.
    fn record(
        &self,
        grant: &GrantId,
        notification_id: &str,
        event: &str,
        now: UnixTime,
    ) -> Result<bool, StoreError>;

    /// The events recorded for `notification_id` under `grant` (none for an unknown or
    /// expired id).
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot answer (never an empty list in its place).
    fn events(
        &self,
        grant: &GrantId,
        notification_id: &str,
        now: UnixTime,
    ) -> Result<Vec<String>, StoreError>;
}

/// The credential ids of a notification id and the events reported for it.
type Entry = (Vec<String>, Vec<String>);

/// In-memory [`NotificationStore`], bounded, forgetting expired ids.
#[derive(Debug)]
pub struct InMemoryNotifications {
    ids: Mutex<BoundedMap<(GrantId, String), Entry>>,
}

impl InMemoryNotifications {
    /// A store of at most `capacity` live notification ids.
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        Self {
            ids: Mutex::new(BoundedMap::new("notification id", capacity)),
        }
    }
}

impl Default for InMemoryNotifications {
    fn default() -> Self {
        Self::new(crate::limits::DEFAULT_MAX_NOTIFICATION_IDS)
    }
}

impl NotificationStore for InMemoryNotifications {
    fn register(
        &self,
        grant: &GrantId,
        notification_id: String,
        credential_ids: Vec<String>,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        lock(&self.ids).insert(
            (grant.clone(), notification_id),
            (credential_ids, Vec::new()),
            expires_at,
            now,
        )
    }

    fn record(
        &self,
        grant: &GrantId,
        notification_id: &str,
        event: &str,
        now: UnixTime,
    ) -> Result<bool, StoreError> {
        let key = (grant.clone(), notification_id.to_owned());
        let mut ids = lock(&self.ids);
        if ids.get(&key, now).is_none() {
            return Ok(false);
        }
        if let Some(((_, events), _)) = ids.get_mut_with_expiry(&key)
            && events.len() < DEFAULT_MAX_EVENTS_PER_NOTIFICATION
        {
            events.push(event.to_owned());
        }
        Ok(true)
    }

    fn events(
        &self,
        grant: &GrantId,
        notification_id: &str,
        now: UnixTime,
    ) -> Result<Vec<String>, StoreError> {
        Ok(lock(&self.ids)
            .get(&(grant.clone(), notification_id.to_owned()), now)
            .map(|(_, events)| events.clone())
            .unwrap_or_default())
    }
}
