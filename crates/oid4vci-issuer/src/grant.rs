//! The grant every id a client presents descends from.

use core::fmt;

/// Identifies one grant: created when a pre-authorized code (or an authorization code) is
/// redeemed, and kept through every refresh token rotation.
///
/// Access tokens, refresh tokens, deferred `transaction_id`s, `notification_id`s and credential
/// identifiers are stored *under* their grant. The stores of this crate look an id up only
/// within the grant of the access token it is presented with, so an id that belongs to another
/// grant is answered exactly like an unknown one (OpenID4VCI 1.0 §9, §11). There is no lookup
/// by id alone: a handler cannot forget the binding.
///
/// The value is a random handle the server chose; it is never sent to a client.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GrantId(String);

impl GrantId {
    /// A grant id from a random handle (at least 128 bits of entropy, e.g. 32 random bytes in
    /// base64url, as [`jose_core::random_base64url`] makes).
    #[must_use]
    pub const fn new(handle: String) -> Self {
        Self(handle)
    }

    /// The handle.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for GrantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("GrantId").field(&self.0).finish()
    }
}
