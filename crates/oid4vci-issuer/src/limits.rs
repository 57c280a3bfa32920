//! Capacities of the bounded in-memory stores.
//!
//! Every in-memory store refuses a new entry ([`crate::StoreError::Full`]) rather than grow
//! without bound; expired entries are dropped first. Each default is sized for a single demo or
//! test process; a deployment sets its own through [`crate::StoreLimits`] or uses a durable store.

/// Default number of live pre-authorized codes (unredeemed offers).
pub const DEFAULT_MAX_PRE_AUTHORIZED_CODES: usize = 100_000;
/// Default number of live access tokens.
pub const DEFAULT_MAX_ACCESS_TOKENS: usize = 100_000;
/// Default number of refresh token families (current and rotated tokens count together).
pub const DEFAULT_MAX_REFRESH_TOKENS: usize = 200_000;
/// Default number of pending deferred transactions.
pub const DEFAULT_MAX_DEFERRED_TRANSACTIONS: usize = 10_000;
/// Default number of live notification ids.
pub const DEFAULT_MAX_NOTIFICATION_IDS: usize = 100_000;
/// Default number of events remembered per notification id (a wallet sends one or two).
pub const DEFAULT_MAX_EVENTS_PER_NOTIFICATION: usize = 8;
/// Default number of issued-credential records.
pub const DEFAULT_MAX_ISSUED_CREDENTIALS: usize = 1_000_000;

/// Capacities of the in-memory stores.
///
/// ```
/// let limits = oid4vci_issuer::StoreLimits::default().with_max_access_tokens(10);
/// assert_eq!(limits.max_access_tokens(), 10);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoreLimits {
    max_pre_authorized_codes: usize,
    max_access_tokens: usize,
    max_refresh_tokens: usize,
    max_deferred_transactions: usize,
    max_notification_ids: usize,
    max_issued_credentials: usize,
}

impl Default for StoreLimits {
    fn default() -> Self {
        Self::new()
    }
}

macro_rules! limit_accessors {
    ($( $field:ident, $with:ident, $doc:literal; )*) => {
        $(
            #[doc = concat!("The maximum number of ", $doc, ".")]
            #[must_use]
            pub const fn $field(&self) -> usize {
                self.$field
            }

            #[doc = concat!("Sets the maximum number of ", $doc, ".")]
            #[must_use]
            pub const fn $with(mut self, max: usize) -> Self {
                self.$field = max;
                self
            }
        )*
    };
}

impl StoreLimits {
    /// The defaults of this module.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            max_pre_authorized_codes: DEFAULT_MAX_PRE_AUTHORIZED_CODES,
            max_access_tokens: DEFAULT_MAX_ACCESS_TOKENS,
            max_refresh_tokens: DEFAULT_MAX_REFRESH_TOKENS,
            max_deferred_transactions: DEFAULT_MAX_DEFERRED_TRANSACTIONS,
            max_notification_ids: DEFAULT_MAX_NOTIFICATION_IDS,
            max_issued_credentials: DEFAULT_MAX_ISSUED_CREDENTIALS,
        }
    }

    limit_accessors! {
        max_pre_authorized_codes, with_max_pre_authorized_codes, "unredeemed pre-authorized codes";
        max_access_tokens, with_max_access_tokens, "live access tokens";
        max_refresh_tokens, with_max_refresh_tokens, "current and rotated refresh tokens";
        max_deferred_transactions, with_max_deferred_transactions, "pending deferred transactions";
        max_notification_ids, with_max_notification_ids, "live notification ids";
        max_issued_credentials, with_max_issued_credentials, "issued-credential records";
    }
}
