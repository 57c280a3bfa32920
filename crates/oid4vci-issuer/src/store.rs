//! Store traits of the issuer and their bounded in-memory versions.
//!
//! Every store is a trait, so a deployment can keep its state in a durable, shared database;
//! the in-memory versions here lose everything when the process stops, are bounded
//! ([`crate::StoreLimits`]) and forget expired entries. Every id a client presents is stored
//! under its [`crate::GrantId`], and every lookup takes the grant: the binding of ids to grants
//! is part of the trait signatures, not a check a caller could leave out.

mod authorization;
mod bounded;
mod codes;
mod credentials;
mod deferred;
mod notifications;
mod refresh;
mod tokens;

pub use authorization::{
    AuthorizationStore, CodeError, CodeRefusal, InMemoryAuthorizations, IssuedCode, PushedRequest,
};
pub use codes::{InMemoryPreAuthCodes, PreAuthCodeStore, PreAuthGrant, RedeemError};
pub use credentials::{
    CredentialRegistry, InMemoryCredentialRegistry, InMemoryStatusLists, IssuedCredential,
    StatusListStore,
};
pub use deferred::{DeferredError, DeferredStore, InMemoryDeferred};
pub use notifications::{InMemoryNotifications, NotificationStore};
pub use refresh::{InMemoryRefreshTokens, RefreshError, RefreshGrant, RefreshTokenStore};
pub use tokens::{AccessGrant, AccessTokenStore, InMemoryAccessTokens};

/// Why a store could not keep or hand out an entry. Always a server-side failure: the caller
/// answers `server_error` (or `temporarily_unavailable`), never blames the client.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The bounded store is full of live entries.
    #[error("the {store} store is full ({capacity} live entries)")]
    Full {
        /// Which store.
        store: &'static str,
        /// Its capacity.
        capacity: usize,
    },
    /// The status list could not allocate an index or change an entry.
    #[error("status list: {0}")]
    StatusList(String),
    /// A durable store is unreachable or failed.
    #[error("store unavailable: {0}")]
    Unavailable(String),
}

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
