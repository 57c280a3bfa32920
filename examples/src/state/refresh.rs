//! Refresh tokens: rotation on every use, and family revocation when a rotated token returns.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use jose_core::UnixTime;
use serde_json::{Map, Value};

use super::lock;

/// What a refresh token family grants.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RefreshGrant {
    /// The family id (shared by every rotation of the original token).
    pub family: String,
    /// The credential configurations.
    pub configuration_ids: Vec<String>,
    /// The subject claims.
    pub claims: Map<String, Value>,
    /// The attested client id at the original grant.
    pub client_id: Option<String>,
    /// The thumbprint of the attested wallet instance key at the original grant; a refresh
    /// must present an attestation for the same key.
    pub instance_key: Option<String>,
    /// The DPoP key thumbprint the family is bound to, if the original grant used DPoP.
    pub dpop_jkt: Option<String>,
    /// When the family expires.
    pub expires_at: UnixTime,
}

impl RefreshGrant {
    /// A grant.
    #[must_use]
    pub const fn new(
        family: String,
        configuration_ids: Vec<String>,
        claims: Map<String, Value>,
        expires_at: UnixTime,
    ) -> Self {
        Self {
            family,
            configuration_ids,
            claims,
            client_id: None,
            instance_key: None,
            dpop_jkt: None,
            expires_at,
        }
    }
}

/// Why a refresh token was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefreshError {
    /// Never issued, or its family was revoked.
    Unknown,
    /// The family expired.
    Expired,
    /// Already rotated: the whole family is now revoked.
    Reused {
        /// The revoked family.
        family: String,
    },
}

/// Stores refresh token families.
pub trait RefreshTokenStore: Send + Sync + core::fmt::Debug {
    /// Stores a new current `token` for `grant.family`.
    fn insert(&self, token: String, grant: RefreshGrant);

    /// Marks `presented` as used and makes `next` the family's current token.
    ///
    /// # Errors
    /// [`RefreshError::Reused`] (and the family is revoked) when `presented` was already
    /// rotated; [`RefreshError::Unknown`], [`RefreshError::Expired`].
    fn rotate(
        &self,
        presented: &str,
        next: String,
        now: UnixTime,
    ) -> Result<RefreshGrant, RefreshError>;

    /// What `token` grants, without using it (`None` if unknown or already rotated).
    fn peek(&self, token: &str) -> Option<RefreshGrant>;

    /// Whether `family` was revoked.
    fn is_revoked(&self, family: &str) -> bool;
}

#[derive(Debug, Default)]
struct Families {
    current: HashMap<String, RefreshGrant>,
    rotated: HashMap<String, String>,
    revoked: HashSet<String>,
}

/// In-memory [`RefreshTokenStore`].
#[derive(Debug, Default)]
pub struct InMemoryRefreshTokens {
    inner: Mutex<Families>,
}

impl RefreshTokenStore for InMemoryRefreshTokens {
    fn insert(&self, token: String, grant: RefreshGrant) {
        lock(&self.inner).current.insert(token, grant);
    }

    fn rotate(
        &self,
        presented: &str,
        next: String,
        now: UnixTime,
    ) -> Result<RefreshGrant, RefreshError> {
        let mut f = lock(&self.inner);
        if let Some(family) = f.rotated.get(presented).cloned() {
            f.revoked.insert(family.clone());
            f.current.retain(|_, g| g.family != family);
            return Err(RefreshError::Reused { family });
        }
        let grant = f.current.remove(presented).ok_or(RefreshError::Unknown)?;
        f.rotated.insert(presented.to_owned(), grant.family.clone());
        if grant.expires_at <= now {
            return Err(RefreshError::Expired);
        }
        f.current.insert(next, grant.clone());
        Ok(grant)
    }

    fn peek(&self, token: &str) -> Option<RefreshGrant> {
        lock(&self.inner).current.get(token).cloned()
    }

    fn is_revoked(&self, family: &str) -> bool {
        lock(&self.inner).revoked.contains(family)
    }
}
