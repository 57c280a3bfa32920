//! The issuer side: [`ClientAttestationVerifier`].

use jose_core::{Algorithm, UnixTime};
use pop_verifier::{ReplayGuard, StatelessNonces};

use crate::config::ClientAttestationConfig;
use crate::error::Error;
use crate::fallback::{self, Fallback};
use crate::keys::KeyResolver;
use crate::limits::Limits;
use crate::request::{ClientAuthRequest, JWT_BEARER_ASSERTION_TYPE, LEGACY_ASSERTION_TYPE};
use crate::verdict::{LenientReason, PopMode, Verdict};

mod attestation;
mod proof;
mod x509;

use x509::X509Trust;

/// The algorithms accepted by default for the attestation and the PoP: ES256, ES384, EdDSA
/// (and ES512). RSA is verify-capable in jose-core but not offered by default: wallet keys are
/// EC or Ed25519, and HAIP requires ES256.
pub const DEFAULT_ALGORITHMS: &[Algorithm] = &[
    Algorithm::Es256,
    Algorithm::Es384,
    Algorithm::Es512,
    Algorithm::EdDsa,
];

/// How the PoP's (or DPoP proof's) `challenge` is checked for this request.
#[derive(Clone, Copy)]
#[non_exhaustive]
pub enum ChallengeCheck<'c> {
    /// This server issued no challenge for the request. With `challengeRequired`, every PoP is
    /// refused with `use_attestation_challenge`.
    None,
    /// The value this server issued (from a session or a store).
    Expected(&'c str),
    /// Stateless, MAC-protected challenges no older than `max_age` seconds.
    Stateless {
        /// The nonce keys.
        nonces: &'c StatelessNonces,
        /// Maximum age in seconds.
        max_age: u64,
    },
    /// The caller's predicate (e.g. a lookup in a store of issued challenges).
    Validator(&'c dyn Fn(&str) -> bool),
}

impl core::fmt::Debug for ChallengeCheck<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::None => "ChallengeCheck::None",
            Self::Expected(_) => "ChallengeCheck::Expected(..)",
            Self::Stateless { .. } => "ChallengeCheck::Stateless { .. }",
            Self::Validator(_) => "ChallengeCheck::Validator(..)",
        })
    }
}

/// Verifies client authentication on a token (or PAR) request.
///
/// Built from the [`ClientAttestationConfig`] and the AS issuer identifier; options enable the
/// legacy body form, DPoP combined mode and fallback methods. See the crate docs for an
/// end-to-end example.
pub struct ClientAttestationVerifier<'r> {
    pub(crate) config: ClientAttestationConfig,
    pub(crate) issuer: String,
    pub(crate) attestation_algs: Vec<Algorithm>,
    pub(crate) pop_algs: Vec<Algorithm>,
    pub(crate) key_resolver: Option<&'r dyn KeyResolver>,
    pub(crate) limits: Limits,
    pub(crate) legacy_body_form: bool,
    pub(crate) combined_mode: bool,
    pub(crate) fallback: Option<Fallback<'r>>,
    pub(crate) x509: Option<X509Trust>,
}

impl core::fmt::Debug for ClientAttestationVerifier<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ClientAttestationVerifier")
            .field("config", &self.config)
            .field("issuer", &self.issuer)
            .field("attestation_algs", &self.attestation_algs)
            .field("pop_algs", &self.pop_algs)
            .field("key_resolver", &self.key_resolver.is_some())
            .field("limits", &self.limits)
            .field("legacy_body_form", &self.legacy_body_form)
            .field("combined_mode", &self.combined_mode)
            .field("fallback", &self.fallback)
            .field("x509", &self.x509)
            .finish()
    }
}

impl<'r> ClientAttestationVerifier<'r> {
    /// A verifier for `config` at the AS whose issuer identifier (RFC 8414) is `issuer`: the
    /// value every PoP `aud` must carry.
    #[must_use]
    pub fn new(config: ClientAttestationConfig, issuer: impl Into<String>) -> Self {
        let x509 = X509Trust::new(&config.verification_method);
        Self {
            x509,
            config,
            issuer: issuer.into(),
            attestation_algs: DEFAULT_ALGORITHMS.to_vec(),
            pop_algs: DEFAULT_ALGORITHMS.to_vec(),
            key_resolver: None,
            limits: Limits::default(),
            legacy_body_form: false,
            combined_mode: false,
            fallback: None,
        }
    }

    /// Sets the algorithms allowed for the attestation (published as
    /// `client_attestation_signing_alg_values_supported`).
    #[must_use]
    pub fn with_attestation_algorithms(mut self, algs: &[Algorithm]) -> Self {
        self.attestation_algs = algs.to_vec();
        self
    }

    /// Sets the algorithms allowed for the PoP and, in combined mode, the DPoP proof (published
    /// as `client_attestation_pop_signing_alg_values_supported`).
    #[must_use]
    pub fn with_pop_algorithms(mut self, algs: &[Algorithm]) -> Self {
        self.pop_algs = algs.to_vec();
        self
    }

    /// Sets the resolver for the `kms-key` method.
    #[must_use]
    pub fn with_key_resolver(mut self, resolver: &'r dyn KeyResolver) -> Self {
        self.key_resolver = Some(resolver);
        self
    }

    /// Overrides the limits.
    #[must_use]
    pub const fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Accepts the legacy body form (`client_assertion_type=...jwt-client-attestation`,
    /// `client_assertion=<attestation>~<pop>`, drafts -00 to -07). Off by default.
    #[must_use]
    pub const fn with_legacy_body_form(mut self, enabled: bool) -> Self {
        self.legacy_body_form = enabled;
        self
    }

    /// Accepts DPoP combined mode (drafts -09/-10 §7.3): attestation + `DPoP`, no PoP header.
    /// Off by default.
    #[must_use]
    pub const fn with_combined_mode(mut self, enabled: bool) -> Self {
        self.combined_mode = enabled;
        self
    }

    /// Enables fallback methods for clients that cannot attest. Off by default; see
    /// [`Fallback`].
    #[must_use]
    pub fn with_fallback(mut self, fallback: Fallback<'r>) -> Self {
        self.fallback = Some(fallback);
        self
    }

    /// With the `x509-chain` method: also accept an `x5c` whose only certificate is itself one
    /// of the configured roots (a pinned, possibly self-signed attester certificate). Off by
    /// default, as HAIP leaves the anchor out of `x5c`.
    #[must_use]
    pub fn with_x509_direct_trust(mut self, enabled: bool) -> Self {
        if let Some(trust) = &mut self.x509 {
            trust.direct_trust = enabled;
        }
        self
    }

    /// The configuration.
    #[must_use]
    pub const fn config(&self) -> &ClientAttestationConfig {
        &self.config
    }

    /// Authenticates the client of `request` at time `now`.
    ///
    /// A request uses exactly one method: attestation headers (or, when enabled, the legacy
    /// body form), or a configured fallback (`private_key_jwt`, client secret). With none,
    /// strict mode refuses with [`Error::AttestationMissing`] and lenient mode accepts with
    /// [`LenientReason::Absent`]. In lenient mode every failure of the attestation path is
    /// accepted with [`LenientReason::Invalid`]; failures of fallback credentials are always
    /// errors.
    ///
    /// In normal mode a `DPoP` header is not looked at (validate it separately for token
    /// binding, ABCA -10 §7.3).
    ///
    /// # Errors
    /// Every step of ABCA -10 §7.1 has its [`Error`] variant; map it to the response with
    /// [`OAuthError::from_error`](crate::OAuthError::from_error).
    pub fn verify(
        &self,
        request: &ClientAuthRequest<'_>,
        challenge: ChallengeCheck<'_>,
        replay: &dyn ReplayGuard,
        now: UnixTime,
    ) -> Result<Verdict, Error> {
        let headers = request.attestation.is_some() || request.pop.is_some();
        let assertion_type = request.client_assertion_type;
        let legacy = assertion_type == Some(LEGACY_ASSERTION_TYPE);
        let jwt_bearer = assertion_type == Some(JWT_BEARER_ASSERTION_TYPE);
        if assertion_type.is_some() && !legacy && !jwt_bearer {
            return Err(Error::UnsupportedAssertionType);
        }
        if assertion_type.is_none() && request.client_assertion.is_some() {
            return Err(Error::UnsupportedAssertionType);
        }
        let secret = request.client_secret.is_some();
        let methods = [headers, legacy, jwt_bearer, secret]
            .iter()
            .filter(|used| **used)
            .count();
        if methods > 1 {
            return Err(Error::MultipleAuthenticationMethods);
        }
        if headers || legacy {
            let result = self.verify_attestation(request, legacy, challenge, replay, now);
            return match result {
                Err(error)
                    if !self.config.required && !matches!(error, Error::ApiMisuse { .. }) =>
                {
                    Ok(Verdict::unauthenticated(LenientReason::Invalid(error)))
                }
                other => other,
            };
        }
        if jwt_bearer || secret {
            return fallback::verify(self, request, jwt_bearer, replay, now);
        }
        if self.config.required {
            Err(Error::AttestationMissing)
        } else {
            Ok(Verdict::unauthenticated(LenientReason::Absent))
        }
    }

    fn verify_attestation(
        &self,
        request: &ClientAuthRequest<'_>,
        legacy: bool,
        challenge: ChallengeCheck<'_>,
        replay: &dyn ReplayGuard,
        now: UnixTime,
    ) -> Result<Verdict, Error> {
        if let Some(header) = request.repeated {
            return Err(Error::HeaderRepeated { header });
        }
        let (attestation, pop, mode) = if legacy {
            if !self.legacy_body_form {
                return Err(Error::LegacyFormDisabled);
            }
            let assertion = request.client_assertion.ok_or(Error::LegacyFormMalformed)?;
            let (att, pop) = assertion
                .split_once('~')
                .filter(|(a, p)| !a.is_empty() && !p.is_empty() && !p.contains('~'))
                .ok_or(Error::LegacyFormMalformed)?;
            (att, Some(pop), PopMode::LegacyBody)
        } else {
            let attestation = request.attestation.ok_or(Error::AttestationMissing)?;
            let mode = if request.pop.is_some() || !self.combined_mode || request.dpop.is_none() {
                PopMode::PopJwt
            } else {
                PopMode::DpopCombined
            };
            (attestation, request.pop, mode)
        };
        if let Some(client_id) = request.client_id {
            let max = self.limits.max_client_id_len();
            if client_id.len() > max {
                return Err(Error::ClientIdTooLong {
                    len: client_id.len(),
                    max,
                });
            }
        }
        let checked = attestation::check(self, attestation, request.client_id, now)?;
        let mut proof = match mode {
            PopMode::DpopCombined => proof::check_dpop(self, request, &checked, challenge, now)?,
            PopMode::PopJwt | PopMode::LegacyBody => {
                let pop = pop.ok_or(Error::PopMissing)?;
                proof::check_pop(self, pop, &checked, challenge, now)?
            }
        };
        proof::record(replay, &mut proof, now)?;
        Ok(checked.into_verdict(self.config.verification_method.kind(), mode, &proof))
    }
}
