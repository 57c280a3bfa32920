//! Access tokens: opaque random handles mapped to what they grant.

use std::sync::Mutex;

use jose_core::UnixTime;

use super::bounded::BoundedMap;
use super::{StoreError, lock};
use crate::{GrantId, SubjectClaims};

/// What an access token grants.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AccessGrant {
    /// The grant it descends from (shared with its refresh token family and every id issued
    /// under it).
    pub grant: GrantId,
    /// The credential configurations it may be used for.
    pub configuration_ids: Vec<String>,
    /// The `credential_identifiers` the token response handed out per configuration
    /// (OpenID4VCI 1.0 §6.2), when the token request carried `authorization_details`:
    /// `(credential_configuration_id, credential_identifier)` pairs.
    pub credential_identifiers: Vec<(String, String)>,
    /// The subject claims.
    pub claims: SubjectClaims,
    /// The audience (this credential issuer's identifier).
    pub audience: String,
    /// The attested client id, if the client was authenticated.
    pub client_id: Option<String>,
    /// The JWK thumbprint of the DPoP key it is bound to (`token_type: DPoP`).
    pub dpop_jkt: Option<String>,
    /// When it expires.
    pub expires_at: UnixTime,
}

impl AccessGrant {
    /// A grant for `configuration_ids` with no client, DPoP key or credential identifiers.
    #[must_use]
    pub fn new(
        grant: GrantId,
        configuration_ids: Vec<String>,
        claims: impl Into<SubjectClaims>,
        audience: String,
        expires_at: UnixTime,
    ) -> Self {
        Self {
            grant,
            configuration_ids,
            credential_identifiers: Vec::new(),
            claims: claims.into(),
            audience,
            client_id: None,
            dpop_jkt: None,
            expires_at,
        }
    }

    /// The credential configuration that `credential_identifier` was handed out for, under
    /// this grant.
    #[must_use]
    pub fn configuration_of_identifier(&self, credential_identifier: &str) -> Option<&str> {
        self.credential_identifiers
            .iter()
            .find(|(_, id)| id == credential_identifier)
            .map(|(configuration, _)| configuration.as_str())
    }
}

/// Stores access tokens.
pub trait AccessTokenStore: Send + Sync + core::fmt::Debug {
    /// Stores `token` until its grant's `expires_at`.
    ///
    /// # Errors
    /// [`StoreError`] when the token cannot be kept.
    fn insert(&self, token: String, grant: AccessGrant, now: UnixTime) -> Result<(), StoreError>;
    /// What `token` grants, if it is known and not expired.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot answer: the engine answers 503, never
    /// `invalid_token` (the token may well be valid, and a wallet would drop it).
    fn get(&self, token: &str, now: UnixTime) -> Result<Option<AccessGrant>, StoreError>;
    /// Forgets every token of `grant` (refresh token reuse, revocation).
    ///
    /// # Errors
    /// [`StoreError`] when the tokens cannot be forgotten: the caller must not answer as if
    /// they were (the engine answers 503).
    fn revoke_grant(&self, grant: &GrantId) -> Result<(), StoreError>;
}

/// In-memory [`AccessTokenStore`], bounded, forgetting expired tokens.
#[derive(Debug)]
pub struct InMemoryAccessTokens {
    tokens: Mutex<BoundedMap<String, AccessGrant>>,
}

impl InMemoryAccessTokens {
    /// A store of at most `capacity` live tokens.
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        Self {
            tokens: Mutex::new(BoundedMap::new("access token", capacity)),
        }
    }
}

impl Default for InMemoryAccessTokens {
    fn default() -> Self {
        Self::new(crate::limits::DEFAULT_MAX_ACCESS_TOKENS)
    }
}

impl AccessTokenStore for InMemoryAccessTokens {
    fn insert(&self, token: String, grant: AccessGrant, now: UnixTime) -> Result<(), StoreError> {
        let expires_at = grant.expires_at;
        lock(&self.tokens).insert(token, grant, expires_at, now)
    }

    fn get(&self, token: &str, now: UnixTime) -> Result<Option<AccessGrant>, StoreError> {
        Ok(lock(&self.tokens).get(&token.to_owned(), now).cloned())
    }

    fn revoke_grant(&self, grant: &GrantId) -> Result<(), StoreError> {
        lock(&self.tokens).retain(|_, g| &g.grant != grant);
        Ok(())
    }
}
