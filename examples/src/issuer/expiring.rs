//! A bounded in-memory map whose entries expire: the demo's login sessions and offers.
//! In memory only (a restart forgets them), like every store of the demo until it persists
//! its state.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use jose_core::UnixTime;

/// The map is full of live entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Full;

#[derive(Debug)]
struct Entry<V> {
    value: V,
    expires_at: UnixTime,
}

/// At most `capacity` live entries; expired ones are never returned and are swept when room
/// is needed.
#[derive(Debug)]
pub(super) struct ExpiringMap<V> {
    entries: Mutex<HashMap<String, Entry<V>>>,
    capacity: usize,
}

impl<V: Clone> ExpiringMap<V> {
    pub(super) fn new(capacity: usize) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Entry<V>>> {
        // A panic while holding the lock cannot leave an entry half-written: every update
        // is a single insert or remove.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The locked entries, without the expired ones when the map is full.
    fn swept(&self, now: UnixTime) -> MutexGuard<'_, HashMap<String, Entry<V>>> {
        let mut entries = self.lock();
        if entries.len() >= self.capacity {
            entries.retain(|_, e| e.expires_at > now);
        }
        entries
    }

    /// Inserts `value` under `key` until `expires_at`.
    pub(super) fn insert(
        &self,
        key: String,
        value: V,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> Result<(), Full> {
        let mut entries = self.swept(now);
        if entries.len() >= self.capacity {
            return Err(Full);
        }
        entries.insert(key, Entry { value, expires_at });
        Ok(())
    }

    /// Inserts `value` under `key` until `expires_at`, making room when the map is full of
    /// live entries by dropping the one that expires first: for entries that are only a
    /// convenience (an offer's page), where the newest matters more than the oldest.
    pub(super) fn insert_evicting(
        &self,
        key: String,
        value: V,
        expires_at: UnixTime,
        now: UnixTime,
    ) {
        let mut entries = self.swept(now);
        if entries.len() >= self.capacity
            && let Some(first) = entries
                .iter()
                .min_by_key(|(_, e)| e.expires_at)
                .map(|(k, _)| k.clone())
        {
            entries.remove(&first);
        }
        entries.insert(key, Entry { value, expires_at });
    }

    /// A copy of the live value under `key`.
    pub(super) fn get(&self, key: &str, now: UnixTime) -> Option<V> {
        self.lock()
            .get(key)
            .filter(|e| e.expires_at > now)
            .map(|e| e.value.clone())
    }

    /// Removes and returns the live value under `key`.
    pub(super) fn take(&self, key: &str, now: UnixTime) -> Option<V> {
        self.lock()
            .remove(key)
            .filter(|e| e.expires_at > now)
            .map(|e| e.value)
    }

    /// Runs `update` on the live value under `key` and returns its result.
    pub(super) fn update<R>(
        &self,
        key: &str,
        now: UnixTime,
        update: impl FnOnce(&mut V) -> R,
    ) -> Option<R> {
        self.lock()
            .get_mut(key)
            .filter(|e| e.expires_at > now)
            .map(|e| update(&mut e.value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: UnixTime = UnixTime::from_secs(1_000);

    /// A full map drops the entry that expires first for the new one; live entries that
    /// expire later stay.
    #[test]
    fn an_evicting_insert_drops_the_entry_that_expires_first() {
        let map = ExpiringMap::new(2);
        map.insert_evicting("late".into(), 1, NOW.saturating_add(30), NOW);
        map.insert_evicting("early".into(), 2, NOW.saturating_add(10), NOW);
        map.insert_evicting("new".into(), 3, NOW.saturating_add(20), NOW);
        assert_eq!(map.get("early", NOW), None);
        assert_eq!(map.get("late", NOW), Some(1));
        assert_eq!(map.get("new", NOW), Some(3));
        // Expired entries go first, without evicting a live one.
        let later = NOW.saturating_add(25);
        map.insert_evicting("newer".into(), 4, later.saturating_add(10), later);
        assert_eq!(map.get("late", later), Some(1));
        assert_eq!(map.get("newer", later), Some(4));
    }

    #[test]
    fn entries_expire_and_make_room() {
        let map = ExpiringMap::new(1);
        assert_eq!(
            map.insert("a".into(), 1, NOW.saturating_add(10), NOW),
            Ok(())
        );
        assert_eq!(
            map.insert("b".into(), 2, NOW.saturating_add(10), NOW),
            Err(Full)
        );
        assert_eq!(map.get("a", NOW), Some(1));
        assert_eq!(map.get("a", NOW.saturating_add(10)), None);
        let later = NOW.saturating_add(10);
        assert_eq!(
            map.insert("b".into(), 2, later.saturating_add(5), later),
            Ok(())
        );
        assert_eq!(
            map.update("b", later, |v| {
                *v = 3;
                *v
            }),
            Some(3)
        );
        assert_eq!(map.take("b", later), Some(3));
        assert_eq!(map.take("b", later), None);
    }
}
