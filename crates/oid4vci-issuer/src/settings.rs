//! The engine's settings and credential profiles, validated when the engine is built.

use jose_core::Algorithm;

use crate::EngineError;

/// The longest life of an access token that is not sender-constrained (Bearer, no DPoP):
/// OpenID4VCI 1.0 §13 ("Protecting the Access Token") calls tokens of more than five minutes
/// long-lived and allows them only sender-constrained. DPoP-bound tokens live
/// [`IssuerSettings::access_token_ttl_seconds`].
pub const MAX_BEARER_TOKEN_TTL_SECONDS: u64 = 300;

/// Lifetimes, sizes and algorithms of an issuer. Build with [`IssuerSettings::new`] and the
/// `with_*` options; [`crate::IssuerEngine::builder`] checks them.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct IssuerSettings {
    /// The credential issuer identifier (also the AS issuer identifier and every access
    /// token's audience), without a trailing `/`.
    pub credential_issuer: String,
    /// The most proofs (and so credentials) one credential request may carry.
    pub batch_size: usize,
    /// Lifetime of a pre-authorized code.
    pub pre_authorized_code_ttl_seconds: u64,
    /// Wrong `tx_code` attempts after which a pre-authorized code is burnt.
    pub tx_code_max_attempts: u32,
    /// Lifetime of an access token. A Bearer token (no DPoP key) lives at most
    /// [`MAX_BEARER_TOKEN_TTL_SECONDS`] of it.
    pub access_token_ttl_seconds: u64,
    /// Lifetime of a refresh token family (also how long transaction and notification ids
    /// are kept).
    pub refresh_token_ttl_seconds: u64,
    /// How long a `c_nonce` (and an attestation challenge) stays valid.
    pub nonce_max_age_seconds: u64,
    /// Validity of an issued credential: it expires at the first whole hour at or after this
    /// long after issuance (never after its signing certificate), and says it was issued at
    /// the start of the hour (see [`crate::TIME_GRANULARITY_SECONDS`]).
    pub credential_ttl_seconds: u64,
    /// Seconds a deferred credential takes to become ready (and the `interval` sent).
    pub deferred_interval_seconds: u64,
    /// The algorithms accepted for key proofs and DPoP proofs.
    pub proof_algorithms: Vec<Algorithm>,
    /// Lifetime of a pushed authorization request's `request_uri` (RFC 9126 §2.2: short).
    pub par_ttl_seconds: u64,
    /// Lifetime of an authorization code (RFC 6749 §4.1.2: at most ten minutes, short is
    /// better).
    pub authorization_code_ttl_seconds: u64,
    /// How long the user has, once the `request_uri` is taken at the authorization endpoint,
    /// to log in and consent (the login and consent pages of a [`crate::PendingAuthorization`]).
    pub user_interaction_ttl_seconds: u64,
    /// Every token request must carry a DPoP proof, so every access and refresh token is
    /// sender-constrained (HAIP 1.0 and FAPI 2.0 require it of an issuer); a request without
    /// one is `400 invalid_request` (a missing parameter; `invalid_dpop_proof` is for a proof
    /// that was sent and failed). Off by default: Bearer tokens for wallets without DPoP.
    pub dpop_required: bool,
    /// Accept two credential request shapes of the drafts before OpenID4VCI 1.0 that wallet
    /// libraries still send (Sphereon's `oid4vci-client` 0.20, for one): a single `proof`
    /// object, read as `proofs` with that one proof, and a `credential_configuration_id` where
    /// the token response issued `credential_identifiers`, read as the configuration's
    /// identifier when it has exactly one. Every acceptance is a warning of the response
    /// ([`crate::EndpointResponse::warnings`]); the proofs are verified as any other. Off by
    /// default: such requests are `invalid_proof` and `invalid_credential_request`.
    pub draft_credential_requests: bool,
}

impl IssuerSettings {
    /// The settings of `credential_issuer` with the defaults: batch 3, code 300 s, 3 `tx_code`
    /// attempts, access token 600 s, refresh family 1 day, nonce 300 s, credential 1 year,
    /// deferred 1 s, ES256/ES384/ES512/EdDSA, `request_uri` 60 s, authorization code 60 s, login and consent 600 s.
    #[must_use]
    pub fn new(credential_issuer: &str) -> Self {
        Self {
            credential_issuer: credential_issuer.trim_end_matches('/').to_owned(),
            batch_size: 3,
            pre_authorized_code_ttl_seconds: 300,
            tx_code_max_attempts: 3,
            access_token_ttl_seconds: 600,
            refresh_token_ttl_seconds: 86_400,
            nonce_max_age_seconds: 300,
            credential_ttl_seconds: 365 * 86_400,
            deferred_interval_seconds: 1,
            proof_algorithms: vec![
                Algorithm::Es256,
                Algorithm::Es384,
                Algorithm::Es512,
                Algorithm::EdDsa,
            ],
            par_ttl_seconds: 60,
            authorization_code_ttl_seconds: 60,
            user_interaction_ttl_seconds: 600,
            dpop_required: false,
            draft_credential_requests: false,
        }
    }

    /// `{credential_issuer}{path}`.
    #[must_use]
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.credential_issuer)
    }

    pub(crate) fn check(&self) -> Result<(), EngineError> {
        let bad = |path: &str, reason: &str| {
            Err(EngineError::Config {
                path: path.to_owned(),
                reason: reason.to_owned(),
            })
        };
        if !(self.credential_issuer.starts_with("https://")
            || self.credential_issuer.starts_with("http://"))
        {
            return bad("credentialIssuer", "must be an http(s) URL");
        }
        if self.batch_size == 0 {
            return bad("batchSize", "must be at least 1");
        }
        if self.tx_code_max_attempts == 0 {
            return bad("txCodeMaxAttempts", "must be at least 1");
        }
        for (path, value) in [
            (
                "preAuthorizedCodeTtlSeconds",
                self.pre_authorized_code_ttl_seconds,
            ),
            ("accessTokenTtlSeconds", self.access_token_ttl_seconds),
            ("refreshTokenTtlSeconds", self.refresh_token_ttl_seconds),
            ("nonceMaxAgeSeconds", self.nonce_max_age_seconds),
            ("credentialTtlSeconds", self.credential_ttl_seconds),
            ("parTtlSeconds", self.par_ttl_seconds),
            (
                "authorizationCodeTtlSeconds",
                self.authorization_code_ttl_seconds,
            ),
            (
                "userInteractionTtlSeconds",
                self.user_interaction_ttl_seconds,
            ),
        ] {
            if value == 0 {
                return bad(path, "must be at least 1");
            }
        }
        if self.proof_algorithms.is_empty() {
            return bad("proofAlgorithms", "must name at least one algorithm");
        }
        Ok(())
    }
}

/// What a credential configuration issues.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialFormat {
    /// `dc+sd-jwt`: an SD-JWT VC of type `vct`; every claim but `always_disclosed` (and the
    /// never-disclosable SD-JWT VC claims) is selectively disclosable.
    SdJwtVc {
        /// The `vct`.
        vct: String,
        /// Claims that are always disclosed.
        always_disclosed: Vec<String>,
    },
    /// `mso_mdoc`: an mdoc of `doctype`; flat claims go into `name_space`.
    Mdoc {
        /// The document type.
        doctype: String,
        /// The name space of flat claims.
        name_space: String,
    },
}

impl CredentialFormat {
    /// The OpenID4VCI `format` identifier.
    #[must_use]
    pub const fn format_id(&self) -> &'static str {
        match self {
            Self::SdJwtVc { .. } => "dc+sd-jwt",
            Self::Mdoc { .. } => "mso_mdoc",
        }
    }
}

/// One credential configuration the engine issues.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CredentialProfile {
    /// The `credential_configuration_id`.
    pub id: String,
    /// What it issues.
    pub format: CredentialFormat,
    /// Issue through the deferred endpoint (202 + `transaction_id`).
    pub deferred: bool,
    /// The OAuth `scope` value that asks for it in an authorization request (OpenID4VCI 1.0
    /// §5.1.2), if any.
    pub scope: Option<String>,
    /// Requires a key attestation (OpenID4VCI 1.0 App. D) meeting this requirement for every
    /// proof: the configuration's `key_attestations_required`. `None`: not required (an
    /// attestation that is carried is still verified).
    pub key_attestation: Option<pop_verifier::KeyAttestationRequirement>,
}

impl CredentialProfile {
    /// An immediate profile.
    #[must_use]
    pub fn new(id: &str, format: CredentialFormat) -> Self {
        Self {
            id: id.to_owned(),
            format,
            deferred: false,
            scope: None,
            key_attestation: None,
        }
    }

    /// Requires a key attestation meeting `required` (the configuration's
    /// `key_attestations_required`): a `jwt` proof without a `key_attestation` header is
    /// refused, and the engine needs a key attestation verifier
    /// ([`IssuerEngineBuilder::with_key_attestation_verifier`](crate::IssuerEngineBuilder::with_key_attestation_verifier)).
    #[must_use]
    pub fn requires_key_attestation(
        mut self,
        required: pop_verifier::KeyAttestationRequirement,
    ) -> Self {
        self.key_attestation = Some(required);
        self
    }

    /// Names the `scope` value that asks for this configuration.
    #[must_use]
    pub fn with_scope(mut self, scope: &str) -> Self {
        self.scope = Some(scope.to_owned());
        self
    }

    /// Issues through the deferred endpoint.
    #[must_use]
    pub const fn deferred(mut self) -> Self {
        self.deferred = true;
        self
    }
}
