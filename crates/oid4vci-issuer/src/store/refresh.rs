//! Refresh tokens: rotation, and revocation of the whole grant when a rotated token comes
//! back (OAuth 2.0 Security BCP §4.14.2). The engine rotates only refresh tokens bound to
//! neither an attested wallet instance nor a DPoP key; a bound one is read with
//! [`RefreshTokenStore::peek`] and kept.

use std::sync::Mutex;

use jose_core::UnixTime;

use super::bounded::BoundedMap;
use super::{StoreError, lock};
use crate::{GrantId, SubjectClaims};

/// What a refresh token family grants.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RefreshGrant {
    /// The grant (shared by every rotation of the original token and every access token).
    pub grant: GrantId,
    /// The credential configurations.
    pub configuration_ids: Vec<String>,
    /// The credential identifiers handed out at the original grant (see
    /// [`crate::AccessGrant::credential_identifiers`]).
    pub credential_identifiers: Vec<(String, String)>,
    /// The subject claims.
    pub claims: SubjectClaims,
    /// The attested client id at the original grant.
    pub client_id: Option<String>,
    /// The thumbprint of the attested wallet instance key at the original grant; a refresh
    /// must present an attestation for the same key.
    pub instance_key: Option<String>,
    /// The DPoP key thumbprint of the family: the original grant's DPoP key, or the key of
    /// the first refresh that carried a DPoP proof (RFC 9449 §5). Without an `instance_key`
    /// the refresh token is bound to it; with one (an attested wallet instance, proved again
    /// at every refresh) it is not, but a refresh must then carry a DPoP proof of some key.
    pub dpop_jkt: Option<String>,
    /// When the family expires.
    pub expires_at: UnixTime,
}

impl RefreshGrant {
    /// A grant with no client, instance key, DPoP key or credential identifiers.
    #[must_use]
    pub fn new(
        grant: GrantId,
        configuration_ids: Vec<String>,
        claims: impl Into<SubjectClaims>,
        expires_at: UnixTime,
    ) -> Self {
        Self {
            grant,
            configuration_ids,
            credential_identifiers: Vec::new(),
            claims: claims.into(),
            client_id: None,
            instance_key: None,
            dpop_jkt: None,
            expires_at,
        }
    }

    /// Whether the family is sender-constrained: bound to an attested wallet instance or to a
    /// DPoP key (RFC 9700 §4.14.2). The engine does not rotate such a refresh token.
    #[must_use]
    pub const fn is_sender_constrained(&self) -> bool {
        self.instance_key.is_some() || self.dpop_jkt.is_some()
    }

    /// Binds a family that is not bound to a DPoP key yet to `jkt` (a refresh with a DPoP
    /// proof: RFC 9449 §5 binds the refresh tokens issued to it); a bound family keeps its
    /// key. Whether the grant changed.
    pub fn bind_dpop(&mut self, jkt: Option<&str>) -> bool {
        match (&self.dpop_jkt, jkt) {
            (None, Some(jkt)) => {
                self.dpop_jkt = Some(jkt.to_owned());
                true
            }
            _ => false,
        }
    }
}

/// Why a refresh token was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefreshError {
    /// Never issued, expired long ago, or its grant was revoked.
    Unknown,
    /// The family expired.
    Expired,
    /// Already rotated: the whole grant is now revoked.
    Reused {
        /// The revoked grant.
        grant: GrantId,
    },
    /// The store could not keep the rotated token.
    Store(StoreError),
}

/// Stores refresh token families.
pub trait RefreshTokenStore: Send + Sync + core::fmt::Debug {
    /// Stores a new current `token` for `grant.grant`.
    ///
    /// # Errors
    /// [`StoreError`] when the token cannot be kept.
    fn insert(&self, token: String, grant: RefreshGrant, now: UnixTime) -> Result<(), StoreError>;

    /// Marks `presented` as used and makes `next` the family's current token, atomically;
    /// a family not bound to a DPoP key yet is bound to `bind_dpop` from `next` on
    /// ([`RefreshGrant::bind_dpop`]). Returns the grant as `next` holds it.
    ///
    /// # Errors
    /// [`RefreshError::Reused`] (and the grant is revoked) when `presented` was already
    /// rotated; [`RefreshError::Unknown`], [`RefreshError::Expired`], [`RefreshError::Store`].
    fn rotate(
        &self,
        presented: &str,
        next: String,
        bind_dpop: Option<&str>,
        now: UnixTime,
    ) -> Result<RefreshGrant, RefreshError>;

    /// What `token` grants, without using it (`None` if unknown, expired or already rotated).
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot answer. Never `None` for that: the engine checks
    /// the token's key bindings on what this returns, and a refresh must not pass unchecked.
    fn peek(&self, token: &str, now: UnixTime) -> Result<Option<RefreshGrant>, StoreError>;

    /// Whether `grant` was revoked.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot answer: the engine answers 503 (it neither trusts
    /// the grant nor tells the wallet it was revoked).
    fn is_revoked(&self, grant: &GrantId, now: UnixTime) -> Result<bool, StoreError>;

    /// Revokes `grant` (e.g. its authorization code was presented twice): its current refresh
    /// token stops working, and [`Self::is_revoked`] says so until `until`.
    ///
    /// # Errors
    /// [`StoreError`] when the revocation cannot be kept.
    fn revoke_grant(
        &self,
        grant: &GrantId,
        until: UnixTime,
        now: UnixTime,
    ) -> Result<(), StoreError>;
}

#[derive(Debug)]
struct Families {
    current: BoundedMap<String, RefreshGrant>,
    rotated: BoundedMap<String, GrantId>,
    revoked: BoundedMap<GrantId, ()>,
}

/// In-memory [`RefreshTokenStore`], bounded, forgetting a family's tokens when it expires.
#[derive(Debug)]
pub struct InMemoryRefreshTokens {
    inner: Mutex<Families>,
}

impl InMemoryRefreshTokens {
    /// A store of at most `capacity` current tokens, `capacity` remembered rotated tokens and
    /// `capacity` revoked grants.
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Mutex::new(Families {
                current: BoundedMap::new("refresh token", capacity),
                rotated: BoundedMap::new("rotated refresh token", capacity),
                revoked: BoundedMap::new("revoked grant", capacity),
            }),
        }
    }
}

impl Default for InMemoryRefreshTokens {
    fn default() -> Self {
        Self::new(crate::limits::DEFAULT_MAX_REFRESH_TOKENS)
    }
}

impl RefreshTokenStore for InMemoryRefreshTokens {
    fn insert(&self, token: String, grant: RefreshGrant, now: UnixTime) -> Result<(), StoreError> {
        let expires_at = grant.expires_at;
        lock(&self.inner)
            .current
            .insert(token, grant, expires_at, now)
    }

    fn rotate(
        &self,
        presented: &str,
        next: String,
        bind_dpop: Option<&str>,
        now: UnixTime,
    ) -> Result<RefreshGrant, RefreshError> {
        let key = presented.to_owned();
        let mut f = lock(&self.inner);
        if let Some((grant, expires_at)) = f.rotated.get_mut_with_expiry(&key) {
            let grant = grant.clone();
            f.current.retain(|_, g| g.grant != grant);
            f.revoked
                .insert(grant.clone(), (), expires_at, now)
                .map_err(RefreshError::Store)?;
            return Err(RefreshError::Reused { grant });
        }
        let (mut grant, expires_at) = f.current.remove(&key).ok_or(RefreshError::Unknown)?;
        f.rotated
            .insert(key, grant.grant.clone(), expires_at, now)
            .map_err(RefreshError::Store)?;
        if expires_at <= now {
            return Err(RefreshError::Expired);
        }
        grant.bind_dpop(bind_dpop);
        f.current
            .insert(next, grant.clone(), expires_at, now)
            .map_err(RefreshError::Store)?;
        Ok(grant)
    }

    fn peek(&self, token: &str, now: UnixTime) -> Result<Option<RefreshGrant>, StoreError> {
        Ok(lock(&self.inner)
            .current
            .get(&token.to_owned(), now)
            .cloned())
    }

    fn is_revoked(&self, grant: &GrantId, now: UnixTime) -> Result<bool, StoreError> {
        Ok(lock(&self.inner).revoked.get(grant, now).is_some())
    }

    fn revoke_grant(
        &self,
        grant: &GrantId,
        until: UnixTime,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        let mut f = lock(&self.inner);
        f.current.retain(|_, g| &g.grant != grant);
        f.revoked.insert(grant.clone(), (), until, now)
    }
}
