//! The SQLite implementation of each store trait.

mod authorization;
mod codes;
mod credentials;
mod grants;
mod replay;

use std::sync::Arc;

use oid4vci_issuer::{StoreLimits, Stores};

use crate::db::Db;

pub(crate) use replay::SqliteReplayGuard;

/// Every store over `db`.
pub(crate) fn all(db: &Arc<Db>, status_list_size: u32) -> Stores {
    // `Stores` is non-exhaustive: start from the in-memory set (which allocates nothing up
    // front) and replace every field, so no store is left in memory.
    let mut stores = Stores::in_memory(&StoreLimits::new(), 1);
    stores.codes = Arc::new(codes::SqlitePreAuthCodes::new(Arc::clone(db)));
    stores.tokens = Arc::new(grants::SqliteAccessTokens::new(Arc::clone(db)));
    stores.refresh = Arc::new(grants::SqliteRefreshTokens::new(Arc::clone(db)));
    stores.deferred = Arc::new(grants::SqliteDeferred::new(Arc::clone(db)));
    stores.notifications = Arc::new(grants::SqliteNotifications::new(Arc::clone(db)));
    stores.registry = Arc::new(credentials::SqliteRegistry::new(Arc::clone(db)));
    stores.status = Arc::new(credentials::SqliteStatusLists::new(
        Arc::clone(db),
        status_list_size,
    ));
    stores.authorizations = Arc::new(authorization::SqliteAuthorizations::new(Arc::clone(db)));
    stores
}
