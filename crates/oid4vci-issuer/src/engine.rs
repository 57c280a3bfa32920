//! The issuer engine: built once from settings, profiles, keys and stores, validated at build,
//! shared by every request (`Send + Sync`).

mod access;
mod authorize;
mod client_auth;
mod credential;
mod deferred;
mod encryption;
mod proofs;
mod token;

use std::sync::{Arc, PoisonError, RwLock};

use jose_core::{RandomSource, UnixTime};
use oid4vci_types::OAuthError;
use pop_verifier::{
    InMemoryReplayGuard, KeyAttestationVerifier, NoncePurpose, ReplayGuard, StatelessNonces,
};
use serde_json::{Map, Value};

pub use access::Authorized;
pub use authorize::{PAR_PATH, PendingAuthorization};
pub use client_auth::{ClientAuthContext, ClientAuthenticator, ClientIdentity, FormCredentials};
pub use credential::{STATUS_LIST_CWT_SUFFIX, STATUS_LIST_PATH};

use crate::audit::{AuditEvent, AuditSink, AuditedReplayGuard, NoAudit, Pseudonym, Pseudonymizer};
use crate::mint::IssuerKeys;
use crate::settings::{CredentialFormat, CredentialProfile, IssuerSettings};
use crate::{
    AccessTokenStore, AuthorizationStore, CredentialRegistry, DeferredStore,
    InMemoryAuthorizations, NotificationStore, PreAuthCodeStore, RefreshTokenStore,
    StatusListStore,
};
use crate::{
    EngineError, InMemoryAccessTokens, InMemoryCredentialRegistry, InMemoryDeferred,
    InMemoryNotifications, InMemoryPreAuthCodes, InMemoryRefreshTokens, InMemoryStatusLists,
    StoreLimits,
};

/// The issuer's state: one `Arc` per store, so a deployment can put any of them in a database.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Stores {
    /// Pre-authorized codes.
    pub codes: Arc<dyn PreAuthCodeStore>,
    /// Access tokens.
    pub tokens: Arc<dyn AccessTokenStore>,
    /// Refresh token families.
    pub refresh: Arc<dyn RefreshTokenStore>,
    /// Deferred transactions.
    pub deferred: Arc<dyn DeferredStore>,
    /// Notification ids.
    pub notifications: Arc<dyn NotificationStore>,
    /// Issued credentials.
    pub registry: Arc<dyn CredentialRegistry>,
    /// Status lists.
    pub status: Arc<dyn StatusListStore>,
    /// Pushed authorization requests and authorization codes.
    pub authorizations: Arc<dyn AuthorizationStore>,
}

impl Stores {
    /// Bounded in-memory stores (state is lost when the process stops); status lists of
    /// `status_list_size` entries each.
    #[must_use]
    pub fn in_memory(limits: &StoreLimits, status_list_size: u32) -> Self {
        Self {
            codes: Arc::new(InMemoryPreAuthCodes::new(limits.max_pre_authorized_codes())),
            tokens: Arc::new(InMemoryAccessTokens::new(limits.max_access_tokens())),
            refresh: Arc::new(InMemoryRefreshTokens::new(limits.max_refresh_tokens())),
            deferred: Arc::new(InMemoryDeferred::new(limits.max_deferred_transactions())),
            notifications: Arc::new(InMemoryNotifications::new(limits.max_notification_ids())),
            registry: Arc::new(InMemoryCredentialRegistry::new(
                limits.max_issued_credentials(),
            )),
            status: Arc::new(InMemoryStatusLists::new(status_list_size)),
            authorizations: Arc::new(InMemoryAuthorizations::new(
                limits.max_pre_authorized_codes(),
            )),
        }
    }
}

/// The engine of an OpenID4VCI credential issuer and its authorization server: the token,
/// nonce, credential, deferred credential and notification endpoints as functions of a
/// request and `now`.
///
/// Built once with [`IssuerEngine::builder`], validated there, and shared by every request.
pub struct IssuerEngine {
    settings: IssuerSettings,
    profiles: Vec<CredentialProfile>,
    /// The active signing keys: replaced whole by [`IssuerEngine::replace_keys`], read as one
    /// snapshot per request.
    keys: RwLock<Arc<IssuerKeys>>,
    stores: Stores,
    nonces: StatelessNonces,
    replay: Arc<dyn ReplayGuard>,
    client_auth: Option<Arc<dyn ClientAuthenticator>>,
    key_attestation: Option<Arc<KeyAttestationVerifier>>,
    key_attestation_status: Option<Arc<dyn crate::KeyAttestationStatus>>,
    rng: Arc<dyn RandomSource + Send + Sync>,
    encryption: Option<crate::EncryptionSettings>,
    audit: Arc<dyn AuditSink>,
    pseudonyms: Pseudonymizer,
}

impl core::fmt::Debug for IssuerEngine {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("IssuerEngine")
            .field("credential_issuer", &self.settings.credential_issuer)
            .field("profiles", &self.profiles)
            .field("client_auth", &self.client_auth)
            .finish_non_exhaustive()
    }
}

/// Builds an [`IssuerEngine`]; see [`IssuerEngine::builder`].
#[must_use]
pub struct IssuerEngineBuilder {
    settings: IssuerSettings,
    profiles: Vec<CredentialProfile>,
    keys: IssuerKeys,
    nonce_secret: Vec<u8>,
    stores: Option<Stores>,
    replay: Option<Arc<dyn ReplayGuard>>,
    client_auth: Option<Arc<dyn ClientAuthenticator>>,
    key_attestation: Option<Arc<KeyAttestationVerifier>>,
    key_attestation_status: Option<Arc<dyn crate::KeyAttestationStatus>>,
    rng: Arc<dyn RandomSource + Send + Sync>,
    encryption: Option<crate::EncryptionSettings>,
    audit: Option<Arc<dyn AuditSink>>,
}

impl core::fmt::Debug for IssuerEngineBuilder {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("IssuerEngineBuilder")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl IssuerEngineBuilder {
    /// Uses `stores` instead of the default bounded in-memory ones.
    pub fn with_stores(mut self, stores: Stores) -> Self {
        self.stores = Some(stores);
        self
    }

    /// Uses `replay` instead of a bounded in-memory guard (a fleet needs a shared one): it
    /// records the PoP and DPoP `jti`s, the key proofs and the c_nonces they spend.
    pub fn with_replay_guard(mut self, replay: Arc<dyn ReplayGuard>) -> Self {
        self.replay = Some(replay);
        self
    }

    /// Authenticates clients at the token endpoint; without one, every client is anonymous
    /// (pre-authorized code flow with anonymous access).
    pub fn with_client_authenticator(mut self, auth: Arc<dyn ClientAuthenticator>) -> Self {
        self.client_auth = Some(auth);
        self
    }

    /// Verifies key attestations (OpenID4VCI 1.0 App. D): the `key_attestation` header of
    /// `jwt` proofs and the `attestation` proof type. Required when a profile
    /// [requires key attestation](CredentialProfile::requires_key_attestation); without one,
    /// `attestation` proofs are refused and a `key_attestation` header is ignored.
    pub fn with_key_attestation_verifier(mut self, verifier: Arc<KeyAttestationVerifier>) -> Self {
        self.key_attestation = Some(verifier);
        self
    }

    /// Checks the `status` of key attestations through the caller's Token Status List client:
    /// an attestation whose entry is not `VALID` is refused with `invalid_proof`. Without one,
    /// a key attestation's `status` is not checked.
    pub fn with_key_attestation_status(
        mut self,
        status: Arc<dyn crate::KeyAttestationStatus>,
    ) -> Self {
        self.key_attestation_status = Some(status);
        self
    }

    /// Offers credential request and response encryption (OpenID4VCI 1.0 §8.2, §10); without
    /// it, an encrypted request or a request for an encrypted response is
    /// `invalid_encryption_parameters`.
    pub fn with_encryption(mut self, encryption: crate::EncryptionSettings) -> Self {
        self.encryption = Some(encryption);
        self
    }

    /// Hands every [`AuditEvent`] to `sink` (see [`AuditSink`]); without one, events are
    /// dropped ([`crate::NoAudit`]).
    pub fn with_audit_sink(mut self, sink: Arc<dyn AuditSink>) -> Self {
        self.audit = Some(sink);
        self
    }

    /// Checks everything and builds the engine.
    ///
    /// # Errors
    /// [`EngineError::Config`] naming the setting or profile at fault: a bad setting, no or
    /// duplicate profiles, an SD-JWT VC profile without `vct`, an mdoc profile without
    /// `doctype` or without an mdoc signing key, a profile requiring key attestation without a
    /// key attestation verifier, unusable encryption settings (`encryption.*`);
    /// [`EngineError::NonceSecret`].
    pub fn build(self) -> Result<IssuerEngine, EngineError> {
        self.settings.check()?;
        if let Some(encryption) = &self.encryption {
            encryption.check()?;
        }
        let config = |path: String, reason: &str| EngineError::Config {
            path,
            reason: reason.to_owned(),
        };
        if self.profiles.is_empty() {
            return Err(config("credentialConfigurations".into(), "is empty"));
        }
        for (i, profile) in self.profiles.iter().enumerate() {
            let path = format!("credentialConfigurations[{i}]");
            if profile.id.is_empty() {
                return Err(config(format!("{path}.id"), "is empty"));
            }
            if self.profiles.iter().take(i).any(|p| p.id == profile.id) {
                return Err(config(format!("{path}.id"), "is used twice"));
            }
            match &profile.format {
                CredentialFormat::SdJwtVc { vct, .. } if vct.is_empty() => {
                    return Err(config(format!("{path}.vct"), "dc+sd-jwt needs a vct"));
                }
                CredentialFormat::Mdoc { doctype, .. } if doctype.is_empty() => {
                    return Err(config(
                        format!("{path}.doctype"),
                        "mso_mdoc needs a doctype",
                    ));
                }
                _ => {}
            }
            check_keys(&path, profile, &self.keys)?;
            if profile.key_attestation.is_some() && self.key_attestation.is_none() {
                return Err(config(
                    format!("{path}.keyAttestationsRequired"),
                    "requires key attestation, but no key attestation verifier is configured",
                ));
            }
        }
        let nonces =
            StatelessNonces::new(&self.nonce_secret, None).map_err(EngineError::NonceSecret)?;
        let audit: Arc<dyn AuditSink> = self.audit.unwrap_or_else(|| Arc::new(NoAudit));
        // Every replay any verifier of this engine catches is an audit event.
        let replay: Arc<dyn ReplayGuard> = Arc::new(AuditedReplayGuard {
            inner: self
                .replay
                .unwrap_or_else(|| Arc::new(InMemoryReplayGuard::default())),
            sink: Arc::clone(&audit),
        });
        Ok(IssuerEngine {
            settings: self.settings,
            profiles: self.profiles,
            keys: RwLock::new(Arc::new(self.keys)),
            stores: self
                .stores
                .unwrap_or_else(|| Stores::in_memory(&StoreLimits::default(), 16_384)),
            nonces,
            replay,
            client_auth: self.client_auth,
            key_attestation: self.key_attestation,
            key_attestation_status: self.key_attestation_status,
            rng: self.rng,
            encryption: self.encryption,
            pseudonyms: Pseudonymizer::new(&self.nonce_secret),
            audit,
        })
    }
}

/// Whether `keys` can sign what `profile` (at configuration `path`) issues.
fn check_keys(
    path: &str,
    profile: &CredentialProfile,
    keys: &IssuerKeys,
) -> Result<(), EngineError> {
    if matches!(profile.format, CredentialFormat::Mdoc { .. }) && keys.mdoc.is_none() {
        return Err(EngineError::Config {
            path: format!("{path}.format"),
            reason: "mso_mdoc needs an mdoc Document Signer key".to_owned(),
        });
    }
    Ok(())
}

impl IssuerEngine {
    /// Starts building an engine.
    ///
    /// `nonce_secret` keys the stateless `c_nonce`s and attestation challenges (at least 32
    /// random bytes; every instance of a fleet uses the same one). `rng` makes every token,
    /// code and id (e.g. [`jose_core::SystemRandom`]).
    pub fn builder(
        settings: IssuerSettings,
        profiles: Vec<CredentialProfile>,
        keys: IssuerKeys,
        nonce_secret: &[u8],
        rng: Arc<dyn RandomSource + Send + Sync>,
    ) -> IssuerEngineBuilder {
        IssuerEngineBuilder {
            settings,
            profiles,
            keys,
            nonce_secret: nonce_secret.to_vec(),
            stores: None,
            replay: None,
            client_auth: None,
            key_attestation: None,
            key_attestation_status: None,
            rng,
            encryption: None,
            audit: None,
        }
    }

    /// The settings.
    #[must_use]
    pub const fn settings(&self) -> &IssuerSettings {
        &self.settings
    }

    /// The credential profiles.
    #[must_use]
    pub fn profiles(&self) -> &[CredentialProfile] {
        &self.profiles
    }

    /// The profile `id`.
    #[must_use]
    pub fn profile(&self, id: &str) -> Option<&CredentialProfile> {
        self.profiles.iter().find(|p| p.id == id)
    }

    /// The active signing keys: a snapshot, unchanged by a later [`Self::replace_keys`] (so
    /// what one request signs, it signs with one set of keys).
    #[must_use]
    pub fn keys(&self) -> Arc<IssuerKeys> {
        Arc::clone(&self.keys.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Makes `keys` the active signing keys (a key rotation): every credential minted after
    /// this returns is signed by them; a request that took its snapshot before finishes with
    /// the previous keys. Answers the previous keys. The engine only signs: publishing the
    /// old and new public keys, and retiring the old one later, is the deployment's part.
    ///
    /// # Errors
    /// [`EngineError::Config`] naming `credentialConfigurations[i].format` when a profile
    /// issues `mso_mdoc` and `keys` have no mdoc Document Signer; the active keys are then
    /// unchanged.
    pub fn replace_keys(&self, keys: IssuerKeys) -> Result<Arc<IssuerKeys>, EngineError> {
        for (i, profile) in self.profiles.iter().enumerate() {
            check_keys(&format!("credentialConfigurations[{i}]"), profile, &keys)?;
        }
        let mut active = self.keys.write().unwrap_or_else(PoisonError::into_inner);
        Ok(core::mem::replace(&mut *active, Arc::new(keys)))
    }

    /// The stores.
    #[must_use]
    pub const fn stores(&self) -> &Stores {
        &self.stores
    }

    /// The encryption settings, if encryption is offered.
    #[must_use]
    pub const fn encryption(&self) -> Option<&crate::EncryptionSettings> {
        self.encryption.as_ref()
    }

    /// The random source.
    #[must_use]
    pub fn rng(&self) -> &dyn RandomSource {
        self.rng.as_ref()
    }

    /// `POST /nonce` (OpenID4VCI 1.0 §7): a fresh stateless `c_nonce`.
    ///
    /// # Errors
    /// `server_error` when no randomness is available.
    pub fn nonce(&self, now: UnixTime) -> Result<crate::EndpointResponse, OAuthError> {
        let c_nonce = self.fresh(NoncePurpose::CNonce, now)?;
        let body = oid4vci_types::NonceResponse::new(&c_nonce);
        Ok(crate::EndpointResponse::json(200, body.to_value()))
    }

    /// `POST /challenge` (ABCA challenge endpoint): a fresh stateless attestation challenge.
    ///
    /// No `DPoP-Nonce` goes with it: this issuer checks no DPoP nonce (freshness comes from
    /// `iat` and the single-use `jti`), and a nonce handed out but never checked would promise
    /// a freshness the server does not enforce (RFC 9449 §8).
    ///
    /// # Errors
    /// `server_error` when no randomness is available.
    pub fn challenge(&self, now: UnixTime) -> Result<crate::EndpointResponse, OAuthError> {
        let value = self.fresh(NoncePurpose::AttestationChallenge, now)?;
        let mut body = Map::new();
        body.insert("attestation_challenge".into(), Value::String(value));
        Ok(crate::EndpointResponse::json(200, Value::Object(body)))
    }

    /// A fresh stateless nonce of `purpose`.
    ///
    /// # Errors
    /// `server_error` when no randomness is available.
    pub fn fresh(&self, purpose: NoncePurpose, now: UnixTime) -> Result<String, OAuthError> {
        self.nonces
            .issue(purpose, now, self.rng.as_ref())
            .map_err(|_| OAuthError::server_error())
    }

    /// The stateless nonces (to verify an attestation challenge in a client authenticator).
    #[must_use]
    pub const fn nonces(&self) -> &StatelessNonces {
        &self.nonces
    }

    /// Checks that `claims` can be issued in a credential of each of `configuration_ids`, as
    /// [`Self::create_pre_authorized_code`] and [`Self::approve`] do before they hand out a
    /// code: a claim an SD-JWT VC reserves (`iss`, `vct`, `cnf`, `_sd`, …), an mdoc element
    /// of the wrong ISO 18013-5 type, or an mdoc without elements would otherwise be found
    /// only at the credential request, after the wallet did the whole flow. A host may call
    /// it on its own claims when it starts (the demo checks its users').
    ///
    /// # Errors
    /// `unknown_credential_configuration` for an unknown id; `invalid_request` naming the
    /// configuration and the claim; `server_error` when the random source fails.
    pub fn check_claims(
        &self,
        configuration_ids: &[String],
        claims: &crate::SubjectClaims,
    ) -> Result<(), OAuthError> {
        for id in configuration_ids {
            let Some(profile) = self.profile(id) else {
                return Err(OAuthError::bad_request(
                    "unknown_credential_configuration",
                    &format!("no credential configuration {id}"),
                ));
            };
            crate::mint::check_claims(
                &profile.format,
                claims.for_configuration(id),
                self.rng.as_ref(),
            )
            .map_err(|e| match e {
                crate::mint::MintError::Claims(reason) => OAuthError::bad_request(
                    "invalid_request",
                    &format!("the claims cannot be issued as {id}: {reason}"),
                ),
                crate::mint::MintError::Signing(reason) => {
                    OAuthError::server_error().with_internal_detail(reason)
                }
            })?;
        }
        Ok(())
    }

    /// Stores a pre-authorized code for `configuration_ids` with `claims` (the issuer side of
    /// a credential offer) and returns the code.
    ///
    /// # Errors
    /// Those of [`Self::check_claims`]; `server_error` when the code cannot be stored.
    pub fn create_pre_authorized_code(
        &self,
        configuration_ids: Vec<String>,
        claims: impl Into<crate::SubjectClaims>,
        tx_code: Option<String>,
        now: UnixTime,
    ) -> Result<String, OAuthError> {
        let claims = claims.into();
        self.check_claims(&configuration_ids, &claims)?;
        let code = self.handle()?;
        let grant = crate::PreAuthGrant::new(
            configuration_ids,
            claims,
            tx_code,
            now.saturating_add(self.settings.pre_authorized_code_ttl_seconds),
        );
        self.stores
            .codes
            .insert(code.clone(), grant, self.settings.tx_code_max_attempts, now)
            .map_err(store_failure)?;
        Ok(code)
    }

    /// Sets the status list entry of an issued `credential` to `status` (a revocation:
    /// [`status_list::Status::INVALID`]) and records an
    /// [`AuditEvent::CredentialStatusChanged`] naming `actor` (who asked: an operator, an
    /// admin client).
    ///
    /// # Errors
    /// [`crate::StoreError::StatusList`] when the status list store has no such entry, the
    /// store's own error when it cannot answer (nothing is recorded then).
    pub fn set_credential_status(
        &self,
        credential: &crate::IssuedCredential,
        status: status_list::Status,
        actor: &str,
        now: UnixTime,
    ) -> Result<(), crate::StoreError> {
        if !self
            .stores
            .status
            .set(&credential.status_list_id, credential.status_idx, status)?
        {
            return Err(crate::StoreError::StatusList(format!(
                "list {} has no entry {}",
                credential.status_list_id, credential.status_idx
            )));
        }
        self.record(
            AuditEvent::CredentialStatusChanged {
                actor: actor.to_owned(),
                credential_id: credential.credential_id.clone(),
                status_list_id: credential.status_list_id.clone(),
                status_index: credential.status_idx,
                status,
            },
            now,
        );
        Ok(())
    }

    /// Hands `event` to the audit sink.
    fn record(&self, event: AuditEvent, now: UnixTime) {
        self.audit.record(&event, now);
    }

    /// Records `events` with one call of the sink (see [`AuditSink::record_all`]).
    fn record_all(&self, events: &[AuditEvent], now: UnixTime) {
        self.audit.record_all(events, now);
    }

    /// The audit pseudonym of `grant`.
    fn grant_pseudonym(&self, grant: &crate::GrantId) -> Pseudonym {
        self.pseudonyms.pseudonym("grant", grant.as_str())
    }

    /// A random base64url handle of 32 bytes (codes, tokens, ids).
    fn handle(&self) -> Result<String, OAuthError> {
        jose_core::random_base64url(self.rng.as_ref(), 32).map_err(|_| OAuthError::server_error())
    }
}

/// A store failure: always the server's (`server_error`), never the client's.
#[expect(
    clippy::needless_pass_by_value,
    reason = "used as map_err(store_failure)"
)]
fn store_failure(e: crate::StoreError) -> OAuthError {
    OAuthError::server_error().with_internal_detail(e.to_string())
}
