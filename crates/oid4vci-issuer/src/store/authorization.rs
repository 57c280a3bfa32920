//! The authorization code flow's state: pushed authorization requests (RFC 9126) and
//! authorization codes (RFC 6749 §4.1), each single use and bound to its client.

use std::sync::Mutex;

use jose_core::UnixTime;

use super::bounded::BoundedMap;
use super::{StoreError, lock};
use crate::{GrantId, SubjectClaims};

/// A pushed authorization request, as the PAR endpoint accepted it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PushedRequest {
    /// The client that pushed it: only this client may use its `request_uri`.
    pub client_id: String,
    /// The `redirect_uri` the code goes to.
    pub redirect_uri: String,
    /// `state`, returned unchanged.
    pub state: Option<String>,
    /// The PKCE S256 `code_challenge`.
    pub code_challenge: String,
    /// The credential configurations asked for (from `authorization_details` and `scope`).
    pub configuration_ids: Vec<String>,
    /// Whether they were asked for with `authorization_details` (the token response then
    /// hands out `credential_identifiers`).
    pub by_authorization_details: bool,
    /// `issuer_state` from an offer, if any.
    pub issuer_state: Option<String>,
    /// The DPoP key thumbprint the code will be bound to (RFC 9449 §10), if any.
    pub dpop_jkt: Option<String>,
    /// The attested wallet instance key thumbprint, if the client was attested.
    pub instance_key: Option<String>,
    /// The scope granted, space-separated, when it is less than the `scope` asked for (values
    /// no configuration claims were dropped): the token response names it (RFC 6749 §3.3).
    pub granted_scope: Option<String>,
    /// When the `request_uri` stops working.
    pub expires_at: UnixTime,
}

impl PushedRequest {
    /// A pushed request by `client_id` for `configuration_ids`, with no `state`,
    /// `issuer_state`, DPoP key or instance key, asked for by `scope` (for stores that rebuild
    /// a stored request; set the other public fields afterwards).
    #[must_use]
    pub const fn new(
        client_id: String,
        redirect_uri: String,
        code_challenge: String,
        configuration_ids: Vec<String>,
        expires_at: UnixTime,
    ) -> Self {
        Self {
            client_id,
            redirect_uri,
            state: None,
            code_challenge,
            configuration_ids,
            by_authorization_details: false,
            issuer_state: None,
            dpop_jkt: None,
            instance_key: None,
            granted_scope: None,
            expires_at,
        }
    }
}

/// An authorization code and everything it is bound to.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct IssuedCode {
    /// The grant the code's tokens will belong to (chosen when the code is issued, so a
    /// second redemption can revoke what the first one got).
    pub grant: GrantId,
    /// The pushed request it answers.
    pub request: PushedRequest,
    /// The subject claims the user consented to.
    pub claims: SubjectClaims,
    /// When the code stops working.
    pub expires_at: UnixTime,
}

impl IssuedCode {
    /// A code of `grant` answering `request`, for the consented `claims`.
    #[must_use]
    pub fn new(
        grant: GrantId,
        request: PushedRequest,
        claims: impl Into<SubjectClaims>,
        expires_at: UnixTime,
    ) -> Self {
        Self {
            grant,
            request,
            claims: claims.into(),
            expires_at,
        }
    }
}

/// Why a redemption check refused a code (the code stays unused).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CodeRefusal {
    /// Another client presents it.
    ClientMismatch,
    /// The `redirect_uri` differs from the pushed one.
    RedirectUriMismatch,
    /// No `code_verifier`.
    PkceMissing,
    /// The `code_verifier` does not answer the `code_challenge`.
    PkceMismatch,
    /// The code is bound to a DPoP key and the request's proof is by another key, or absent.
    DpopMismatch,
    /// The code was issued to an attested instance and another instance presents it.
    InstanceKeyMismatch,
    /// The token request's `authorization_details` do not fit the code's grant (RFC 9396
    /// §8: `invalid_authorization_details`, which the client may correct and retry).
    AuthorizationDetails(String),
}

/// Why an authorization code was not redeemed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CodeError {
    /// Never issued, or forgotten.
    Unknown,
    /// Past its expiry (it is now forgotten).
    Expired,
    /// Already redeemed: the grant it created must be revoked (RFC 6749 §4.1.2).
    Reused {
        /// The grant of the first redemption.
        grant: GrantId,
    },
    /// The caller's check refused it; it stays unused.
    Refused(CodeRefusal),
    /// The store failed.
    Store(StoreError),
}

/// Stores pushed requests and authorization codes.
pub trait AuthorizationStore: Send + Sync + core::fmt::Debug {
    /// Stores a pushed request under `request_uri` until its `expires_at`.
    ///
    /// # Errors
    /// [`StoreError`] when it cannot be kept.
    fn push(
        &self,
        request_uri: String,
        request: PushedRequest,
        now: UnixTime,
    ) -> Result<(), StoreError>;

    /// Takes (single use) the live pushed request of `request_uri` if `client_id` pushed it; a
    /// `request_uri` of another client is answered `None` and left in place.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot answer: the engine answers `server_error`, not
    /// an unknown `request_uri`, so the failure is not taken for the wallet's.
    fn take_pushed(
        &self,
        request_uri: &str,
        client_id: &str,
        now: UnixTime,
    ) -> Result<Option<PushedRequest>, StoreError>;

    /// Stores an authorization code until its `expires_at`.
    ///
    /// # Errors
    /// [`StoreError`] when it cannot be kept.
    fn insert_code(
        &self,
        code: String,
        issued: IssuedCode,
        now: UnixTime,
    ) -> Result<(), StoreError>;

    /// Redeems `code` atomically if `accept` accepts it; a refused code stays unused. A code
    /// redeemed before answers [`CodeError::Reused`] with its grant (remembered until the
    /// refresh tokens of that grant expire at `remember_until`).
    ///
    /// # Errors
    /// The [`CodeError`].
    fn redeem_code(
        &self,
        code: &str,
        now: UnixTime,
        remember_until: UnixTime,
        accept: &dyn Fn(&IssuedCode) -> Result<(), CodeRefusal>,
    ) -> Result<IssuedCode, CodeError>;
}

#[derive(Debug)]
struct State {
    pushed: BoundedMap<String, PushedRequest>,
    codes: BoundedMap<String, IssuedCode>,
    redeemed: BoundedMap<String, GrantId>,
}

/// In-memory [`AuthorizationStore`], bounded, forgetting expired entries.
#[derive(Debug)]
pub struct InMemoryAuthorizations {
    state: Mutex<State>,
}

impl InMemoryAuthorizations {
    /// A store of at most `capacity` pushed requests, `capacity` live codes and `capacity`
    /// remembered redeemed codes.
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        Self {
            state: Mutex::new(State {
                pushed: BoundedMap::new("pushed authorization request", capacity),
                codes: BoundedMap::new("authorization code", capacity),
                redeemed: BoundedMap::new("redeemed authorization code", capacity),
            }),
        }
    }
}

impl Default for InMemoryAuthorizations {
    fn default() -> Self {
        Self::new(crate::limits::DEFAULT_MAX_PRE_AUTHORIZED_CODES)
    }
}

impl AuthorizationStore for InMemoryAuthorizations {
    fn push(
        &self,
        request_uri: String,
        request: PushedRequest,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        let expires_at = request.expires_at;
        lock(&self.state)
            .pushed
            .insert(request_uri, request, expires_at, now)
    }

    fn take_pushed(
        &self,
        request_uri: &str,
        client_id: &str,
        now: UnixTime,
    ) -> Result<Option<PushedRequest>, StoreError> {
        let key = request_uri.to_owned();
        let mut state = lock(&self.state);
        if state
            .pushed
            .get(&key, now)
            .is_none_or(|request| request.client_id != client_id)
        {
            return Ok(None);
        }
        Ok(state.pushed.remove(&key).map(|(request, _)| request))
    }

    fn insert_code(
        &self,
        code: String,
        issued: IssuedCode,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        let expires_at = issued.expires_at;
        lock(&self.state)
            .codes
            .insert(code, issued, expires_at, now)
    }

    fn redeem_code(
        &self,
        code: &str,
        now: UnixTime,
        remember_until: UnixTime,
        accept: &dyn Fn(&IssuedCode) -> Result<(), CodeRefusal>,
    ) -> Result<IssuedCode, CodeError> {
        let key = code.to_owned();
        let mut state = lock(&self.state);
        if let Some(grant) = state.redeemed.get(&key, now) {
            return Err(CodeError::Reused {
                grant: grant.clone(),
            });
        }
        let Some((issued, expires_at)) = state.codes.get_mut_with_expiry(&key) else {
            return Err(CodeError::Unknown);
        };
        if expires_at <= now {
            state.codes.remove(&key);
            return Err(CodeError::Expired);
        }
        accept(issued).map_err(CodeError::Refused)?;
        let grant = issued.grant.clone();
        state
            .redeemed
            .insert(key.clone(), grant, remember_until, now)
            .map_err(CodeError::Store)?;
        state
            .codes
            .remove(&key)
            .map(|(issued, _)| issued)
            .ok_or(CodeError::Unknown)
    }
}
