//! A map with a capacity and a per-entry expiry: the building block of the in-memory stores.

use core::hash::Hash;
use std::collections::HashMap;

use jose_core::UnixTime;

use crate::StoreError;

/// A map that holds at most `capacity` entries, each with an expiry. A full map first drops
/// its expired entries; if it is still full the insert fails (it never evicts a live entry,
/// which would silently invalidate a token or a code).
#[derive(Debug)]
pub(crate) struct BoundedMap<K, V> {
    store: &'static str,
    capacity: usize,
    entries: HashMap<K, (V, UnixTime)>,
}

impl<K: Eq + Hash, V> BoundedMap<K, V> {
    /// An empty map named `store` (for [`StoreError::Full`]) of `capacity` entries.
    pub(crate) fn new(store: &'static str, capacity: usize) -> Self {
        Self {
            store,
            capacity,
            entries: HashMap::new(),
        }
    }

    /// Inserts (or replaces) `key`, live until `expires_at`.
    pub(crate) fn insert(
        &mut self,
        key: K,
        value: V,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        if !self.entries.contains_key(&key) && self.entries.len() >= self.capacity {
            self.entries.retain(|_, (_, exp)| *exp > now);
            if self.entries.len() >= self.capacity {
                return Err(StoreError::Full {
                    store: self.store,
                    capacity: self.capacity,
                });
            }
        }
        self.entries.insert(key, (value, expires_at));
        Ok(())
    }

    /// The live value of `key`.
    pub(crate) fn get(&self, key: &K, now: UnixTime) -> Option<&V> {
        self.entries
            .get(key)
            .filter(|(_, exp)| *exp > now)
            .map(|(v, _)| v)
    }

    /// The value of `key` and its expiry, live or not.
    pub(crate) fn get_mut_with_expiry(&mut self, key: &K) -> Option<(&mut V, UnixTime)> {
        self.entries.get_mut(key).map(|(v, exp)| (v, *exp))
    }

    /// Removes `key`, returning its value and expiry.
    pub(crate) fn remove(&mut self, key: &K) -> Option<(V, UnixTime)> {
        self.entries.remove(key)
    }

    /// Keeps the entries for which `keep` is true.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&K, &V) -> bool) {
        self.entries.retain(|k, (v, _)| keep(k, v));
    }

    /// The number of entries, expired ones included until they are dropped.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_map_drops_expired_entries_then_refuses() {
        let t = UnixTime::from_secs;
        let mut map = BoundedMap::new("test", 2);
        map.insert("a", 1, t(10), t(0))
            .unwrap_or_else(|e| panic!("{e}"));
        map.insert("b", 2, t(20), t(0))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            map.insert("c", 3, t(30), t(5)),
            Err(StoreError::Full {
                store: "test",
                capacity: 2
            })
        );
        // At 10 "a" has expired: it makes room.
        assert_eq!(map.insert("c", 3, t(30), t(10)), Ok(()));
        assert_eq!(map.get(&"a", t(10)), None);
        assert_eq!(map.get(&"c", t(10)), Some(&3));
        assert_eq!(map.get(&"c", t(30)), None, "an entry is dead at its expiry");
        // Replacing a key never counts against the capacity.
        assert_eq!(map.insert("b", 4, t(40), t(11)), Ok(()));
        assert_eq!(map.len(), 2);
    }
}
