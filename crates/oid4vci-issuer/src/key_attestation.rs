//! The status of key attestations (OpenID4VCI 1.0 App. D.1 `status`): a seam for the caller's
//! Token Status List client, since fetching a wallet provider's status list is I/O.

use jose_core::UnixTime;
use status_list::{Status, StatusListReference};

/// Answers the status of a key attestation's Token Status List entry: fetches the Status List
/// Token at [`StatusListReference::uri`], verifies it (signature by the wallet provider,
/// `sub` = the URI, freshness; see the `status-list` crate) and reads entry
/// [`StatusListReference::idx`]. Implementations cache lists as their `ttl` allows.
///
/// Given to the engine with
/// [`IssuerEngineBuilder::with_key_attestation_status`](crate::IssuerEngineBuilder::with_key_attestation_status);
/// without one, a key attestation's `status` is not checked.
pub trait KeyAttestationStatus: Send + Sync {
    /// The status of `reference` at `now`.
    ///
    /// # Errors
    /// Why the status cannot be determined now (the list cannot be fetched or verified); the
    /// engine answers 503 `temporarily_unavailable` and logs the reason.
    fn status(&self, reference: &StatusListReference, now: UnixTime) -> Result<Status, String>;
}
