//! Access tokens: opaque random handles mapped to what they grant.

use std::collections::HashMap;
use std::sync::Mutex;

use jose_core::UnixTime;
use serde_json::{Map, Value};

use super::lock;

/// What an access token grants.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AccessGrant {
    /// The credential configurations it may be used for.
    pub configuration_ids: Vec<String>,
    /// The subject claims.
    pub claims: Map<String, Value>,
    /// The audience (this credential issuer's identifier).
    pub audience: String,
    /// The attested client id, if the client was authenticated.
    pub client_id: Option<String>,
    /// The JWK thumbprint of the DPoP key it is bound to (`token_type: DPoP`).
    pub dpop_jkt: Option<String>,
    /// The refresh token family it belongs to.
    pub family: String,
    /// When it expires.
    pub expires_at: UnixTime,
}

impl AccessGrant {
    /// A grant.
    #[must_use]
    pub const fn new(
        configuration_ids: Vec<String>,
        claims: Map<String, Value>,
        audience: String,
        family: String,
        expires_at: UnixTime,
    ) -> Self {
        Self {
            configuration_ids,
            claims,
            audience,
            client_id: None,
            dpop_jkt: None,
            family,
            expires_at,
        }
    }
}

/// Stores access tokens.
pub trait AccessTokenStore: Send + Sync + core::fmt::Debug {
    /// Stores `token`.
    fn insert(&self, token: String, grant: AccessGrant);
    /// What `token` grants, if it is known.
    fn get(&self, token: &str) -> Option<AccessGrant>;
    /// Forgets every token of `family`.
    fn revoke_family(&self, family: &str);
}

/// In-memory [`AccessTokenStore`].
#[derive(Debug, Default)]
pub struct InMemoryAccessTokens {
    tokens: Mutex<HashMap<String, AccessGrant>>,
}

impl AccessTokenStore for InMemoryAccessTokens {
    fn insert(&self, token: String, grant: AccessGrant) {
        lock(&self.tokens).insert(token, grant);
    }

    fn get(&self, token: &str) -> Option<AccessGrant> {
        lock(&self.tokens).get(token).cloned()
    }

    fn revoke_family(&self, family: &str) {
        lock(&self.tokens).retain(|_, g| g.family != family);
    }
}
