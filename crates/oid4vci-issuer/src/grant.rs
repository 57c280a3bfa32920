//! The grant every id a client presents descends from.

use core::fmt;
use std::collections::BTreeMap;

use serde_json::{Map, Value};

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

/// The subject claims a grant's credentials carry: one set for every credential configuration,
/// and, where a configuration needs claims of its own, a set for it that replaces the common one.
///
/// One authorization can cover credentials of different formats whose claims differ, for
/// example a PID as an SD-JWT VC (`birthdate` as text) beside an mDL (ISO 18013-5's
/// `birth_date` as a full-date, `document_number`, `driving_privileges`). Claims given for a
/// configuration the grant does not cover are never issued.
///
/// ```
/// use oid4vci_issuer::SubjectClaims;
/// let object = |value: serde_json::Value| value.as_object().cloned().unwrap_or_default();
/// let claims = SubjectClaims::new(object(serde_json::json!({"birthdate": "1984-01-26"})))
///     .with_configuration("mdl", object(serde_json::json!({"document_number": "D-1"})));
/// assert!(claims.for_configuration("pid").contains_key("birthdate"));
/// assert!(claims.for_configuration("mdl").contains_key("document_number"));
/// assert!(!claims.for_configuration("mdl").contains_key("birthdate"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SubjectClaims {
    common: Map<String, Value>,
    by_configuration: BTreeMap<String, Map<String, Value>>,
}

impl SubjectClaims {
    /// The same `claims` for every configuration.
    #[must_use]
    pub const fn new(claims: Map<String, Value>) -> Self {
        Self {
            common: claims,
            by_configuration: BTreeMap::new(),
        }
    }

    /// Gives `configuration_id` its own `claims` instead of the common ones.
    #[must_use]
    pub fn with_configuration(
        mut self,
        configuration_id: impl Into<String>,
        claims: Map<String, Value>,
    ) -> Self {
        self.by_configuration
            .insert(configuration_id.into(), claims);
        self
    }

    /// The claims a credential of `configuration_id` carries.
    #[must_use]
    pub fn for_configuration(&self, configuration_id: &str) -> &Map<String, Value> {
        self.by_configuration
            .get(configuration_id)
            .unwrap_or(&self.common)
    }

    /// The claims of every configuration without claims of its own.
    #[must_use]
    pub const fn common(&self) -> &Map<String, Value> {
        &self.common
    }

    /// The configurations with claims of their own, and those claims, by configuration id.
    #[must_use]
    pub const fn by_configuration(&self) -> &BTreeMap<String, Map<String, Value>> {
        &self.by_configuration
    }
}

impl From<Map<String, Value>> for SubjectClaims {
    fn from(claims: Map<String, Value>) -> Self {
        Self::new(claims)
    }
}
