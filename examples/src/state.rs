//! Server state behind traits, with in-memory implementations.
//!
//! Every store is a trait so a deployment can put it in a shared database; the in-memory
//! versions here lose everything when the process stops (the README says so).

mod codes;
mod credentials;
mod deferred;
mod refresh;
mod tokens;

pub use codes::{InMemoryPreAuthCodes, PreAuthCodeStore, PreAuthGrant, RedeemError};
pub use credentials::{
    CredentialRegistry, InMemoryCredentialRegistry, InMemoryStatusLists, IssuedCredential,
    StatusListStore,
};
pub use deferred::{
    DeferredError, DeferredStore, InMemoryDeferred, InMemoryNotifications, NotificationStore,
};
pub use refresh::{InMemoryRefreshTokens, RefreshError, RefreshGrant, RefreshTokenStore};
pub use tokens::{AccessGrant, AccessTokenStore, InMemoryAccessTokens};

/// Compares two secrets without an early exit on the first differing byte.
#[must_use]
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Locks a mutex, recovering the data if a panicking thread poisoned it (the stores keep no
/// invariant that a panic between two statements could break).
pub(crate) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
