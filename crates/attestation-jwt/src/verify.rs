//! The issuer side: [`ClientAttestationVerifier`].

use std::sync::Arc;

use jose_core::keys::{KeyLookup, KeyLookupError, KeyQuery};
use jose_core::{Algorithm, PublicJwk, UnixTime};
use pop_verifier::{ReplayGuard, StatelessNonces};

use crate::config::{ClientAttestationConfig, VerificationMethod};
use crate::error::{ConfigError, Error};
use crate::fallback::{self, Fallback};
use crate::limits::Limits;
use crate::request::{
    ATTESTATION_HEADER, ClientAuthRequest, JWT_BEARER_ASSERTION_TYPE, LEGACY_ASSERTION_TYPE,
    POP_HEADER,
};
use crate::verdict::{LenientReason, PopMode, Verdict};

mod attestation;
mod proof;
#[cfg(feature = "x509")]
mod x509;

#[cfg(feature = "x509")]
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
/// Built once, with [`ClientAttestationVerifier::builder`], from the
/// [`ClientAttestationConfig`] and the AS issuer identifier; options enable the legacy body
/// form, DPoP combined mode and fallback methods. Building validates everything it can (trust
/// anchors parsed and checked through trust-x509, the `kms-key` reference resolved, algorithm
/// lists), so a bad configuration fails at start-up, not on every request. The verifier owns
/// all it needs and is `Send + Sync + 'static`: keep the `Arc` in server state and share it
/// across tasks. See the crate docs for an end-to-end example.
pub struct ClientAttestationVerifier {
    pub(crate) config: ClientAttestationConfig,
    pub(crate) issuer: String,
    pub(crate) attestation_algs: Vec<Algorithm>,
    pub(crate) pop_algs: Vec<Algorithm>,
    pub(crate) attester: Attester,
    pub(crate) limits: Limits,
    pub(crate) legacy_body_form: bool,
    pub(crate) combined_mode: bool,
    pub(crate) missing_iat_tolerated: bool,
    pub(crate) error_code: AttestationErrorCode,
    pub(crate) fallback: Option<Fallback>,
}

/// The attester key source of the configured verification method, prepared at build time.
pub(crate) enum Attester {
    /// `static-jwk`: `jwk` then `additionalJwks` (never empty, bounded by the configuration).
    Static(Vec<PublicJwk>),
    /// `kms-key`: each reference (`keyReference` then `additionalKeyReferences`) looked up on
    /// every request (so a rotated KMS key is picked up; the lookup caches), and once at build
    /// time to refuse a reference that does not resolve.
    Kms {
        key_references: Vec<String>,
        lookup: Arc<dyn KeyLookup>,
    },
    /// `x509-chain`: the parsed and checked anchors.
    #[cfg(feature = "x509")]
    X509(X509Trust),
}

impl core::fmt::Debug for Attester {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Static(jwks) => f.debug_tuple("Static").field(jwks).finish(),
            Self::Kms { key_references, .. } => f
                .debug_struct("Kms")
                .field("key_references", key_references)
                .finish_non_exhaustive(),
            #[cfg(feature = "x509")]
            Self::X509(trust) => f.debug_tuple("X509").field(trust).finish(),
        }
    }
}

impl core::fmt::Debug for ClientAttestationVerifier {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ClientAttestationVerifier")
            .field("config", &self.config)
            .field("issuer", &self.issuer)
            .field("attestation_algs", &self.attestation_algs)
            .field("pop_algs", &self.pop_algs)
            .field("attester", &self.attester)
            .field("limits", &self.limits)
            .field("legacy_body_form", &self.legacy_body_form)
            .field("combined_mode", &self.combined_mode)
            .field("fallback", &self.fallback)
            .finish()
    }
}

/// The options of a [`ClientAttestationVerifier`] being built; [`build`](Self::build) validates
/// them. Made by [`ClientAttestationVerifier::builder`].
#[must_use]
pub struct ClientAttestationVerifierBuilder {
    config: ClientAttestationConfig,
    issuer: String,
    attestation_algs: Vec<Algorithm>,
    pop_algs: Vec<Algorithm>,
    key_lookup: Option<(Arc<dyn KeyLookup>, UnixTime)>,
    limits: Limits,
    legacy_body_form: bool,
    combined_mode: bool,
    missing_iat_tolerated: bool,
    error_code: AttestationErrorCode,
    fallback: Option<Fallback>,
    x509_direct_trust: bool,
}

impl core::fmt::Debug for ClientAttestationVerifierBuilder {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ClientAttestationVerifierBuilder")
            .field("config", &self.config)
            .field("issuer", &self.issuer)
            .field("attestation_algs", &self.attestation_algs)
            .field("pop_algs", &self.pop_algs)
            .field("key_lookup", &self.key_lookup.is_some())
            .field("limits", &self.limits)
            .field("legacy_body_form", &self.legacy_body_form)
            .field("combined_mode", &self.combined_mode)
            .field("fallback", &self.fallback)
            .field("x509_direct_trust", &self.x509_direct_trust)
            .finish()
    }
}

impl ClientAttestationVerifier {
    /// Starts building a verifier for `config` at the AS whose issuer identifier (RFC 8414) is
    /// `issuer`: the value every PoP `aud` must carry.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use attestation_jwt::{ClientAttestationConfig, ClientAttestationVerifier, ConfigError,
    ///     VerificationMethod};
    /// use jose_core::keys::{KeyFn, KeyLookupError, KeyQuery};
    /// let config = ClientAttestationConfig::new(VerificationMethod::KmsKey {
    ///     key_reference: "attester-1".into(), additional_key_references: Vec::new() });
    /// // kms-key without a resolver: refused when built, with the configuration path.
    /// let error = ClientAttestationVerifier::builder(config.clone(), "https://as.example.com")
    ///     .build()
    ///     .unwrap_err();
    /// assert_eq!(error, ConfigError::KeyResolverMissing);
    /// assert_eq!(error.to_string(), "verificationMethod.keyReference: kms-key needs a key resolver");
    /// // With a resolver (a KMS client in production).
    /// let attester = jose_core::LocalSigner::generate(
    ///     jose_core::Algorithm::Es256, &jose_core::SystemRandom::new())?;
    /// let public = attester.public_jwk();
    /// let kms = KeyFn::new(move |query: &KeyQuery<'_>, _now| match query.key_reference() {
    ///     Some("attester-1") => Ok(vec![public.clone()]),
    ///     _ => Err(KeyLookupError::no_trusted_key("unknown key")),
    /// });
    /// let now = jose_core::UnixTime::from_secs(1_700_000_000);
    /// let verifier = ClientAttestationVerifier::builder(config, "https://as.example.com")
    ///     .with_key_lookup(Arc::new(kms), now)
    ///     .build()?;
    /// std::thread::spawn(move || drop(verifier)); // Send + Sync + 'static
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn builder(
        config: ClientAttestationConfig,
        issuer: impl Into<String>,
    ) -> ClientAttestationVerifierBuilder {
        ClientAttestationVerifierBuilder {
            config,
            issuer: issuer.into(),
            attestation_algs: DEFAULT_ALGORITHMS.to_vec(),
            pop_algs: DEFAULT_ALGORITHMS.to_vec(),
            key_lookup: None,
            limits: Limits::default(),
            legacy_body_form: false,
            combined_mode: false,
            missing_iat_tolerated: false,
            error_code: AttestationErrorCode::InvalidClient,
            fallback: None,
            x509_direct_trust: false,
        }
    }
}

impl ClientAttestationVerifierBuilder {
    /// Sets the algorithms allowed for the attestation (published as
    /// `client_attestation_signing_alg_values_supported`). Default [`DEFAULT_ALGORITHMS`].
    pub fn with_attestation_algorithms(mut self, algs: &[Algorithm]) -> Self {
        self.attestation_algs = algs.to_vec();
        self
    }

    /// Sets the algorithms allowed for the PoP and, in combined mode, the DPoP proof (published
    /// as `client_attestation_pop_signing_alg_values_supported`). Default
    /// [`DEFAULT_ALGORITHMS`].
    pub fn with_pop_algorithms(mut self, algs: &[Algorithm]) -> Self {
        self.pop_algs = algs.to_vec();
        self
    }

    /// Sets the key lookup for the `kms-key` method (required with it), for example a
    /// [`KeyFn`](jose_core::keys::KeyFn) over a KMS client.
    ///
    /// Every verification asks it with a [`KeyQuery`] carrying the configured `keyReference`
    /// (plus the attestation's header and `kid`) and the verification time; the candidates are
    /// tried in order. [`KeyLookupError::Unavailable`] is answered as
    /// [`Error::KeyResolution`](crate::Error::KeyResolution) (a server fault, in both modes),
    /// [`KeyLookupError::NoTrustedKey`] as
    /// [`Error::AttesterKeyUntrusted`](crate::Error::AttesterKeyUntrusted) (the client's).
    ///
    /// [`build`](Self::build) asks it once, at `now` (the caller's clock: the library reads
    /// none), with the `keyReference` only, so a reference that does not resolve is a
    /// configuration error; verifications ask again (the lookup caches), so a rotated KMS key
    /// is picked up.
    pub fn with_key_lookup(mut self, lookup: Arc<dyn KeyLookup>, now: UnixTime) -> Self {
        self.key_lookup = Some((lookup, now));
        self
    }

    /// Overrides the limits.
    pub const fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Accepts the legacy body form (`client_assertion_type=...jwt-client-attestation`,
    /// `client_assertion=<attestation>~<pop>`, drafts -00 to -07). Off by default.
    pub const fn with_legacy_body_form(mut self, enabled: bool) -> Self {
        self.legacy_body_form = enabled;
        self
    }

    /// Accepts an attestation without `iat`, as drafts -07 to -10 allowed (the verdict then
    /// carries [`crate::Warning::AttestationWithoutIat`]). Off by default: the newest draft
    /// (the editor's copy toward -12) makes `iat` REQUIRED.
    pub const fn with_missing_iat_tolerated(mut self, tolerated: bool) -> Self {
        self.missing_iat_tolerated = tolerated;
        self
    }

    /// The error code a presented but failing attestation or PoP is answered with by
    /// [`ClientAttestationVerifier::oauth_error`]: [`AttestationErrorCode::InvalidClient`]
    /// (401, RFC 6749 §5.2; the default, what every deployed wallet knows) or
    /// [`AttestationErrorCode::InvalidClientAttestation`] (400, the draft's own code).
    pub const fn with_error_code(mut self, code: AttestationErrorCode) -> Self {
        self.error_code = code;
        self
    }

    /// Accepts DPoP combined mode (drafts -09/-10 §7.3): attestation + `DPoP`, no PoP header.
    /// Off by default.
    pub const fn with_combined_mode(mut self, enabled: bool) -> Self {
        self.combined_mode = enabled;
        self
    }

    /// Enables fallback methods for clients that cannot attest. Off by default; see
    /// [`Fallback`].
    pub fn with_fallback(mut self, fallback: Fallback) -> Self {
        self.fallback = Some(fallback);
        self
    }

    /// With the `x509-chain` method: also accept an `x5c` whose only certificate is itself one
    /// of the configured roots (a pinned, possibly self-signed attester certificate). Off by
    /// default, as HAIP leaves the anchor out of `x5c`.
    pub const fn with_x509_direct_trust(mut self, enabled: bool) -> Self {
        self.x509_direct_trust = enabled;
        self
    }

    /// Validates the configuration and the options and builds the verifier.
    ///
    /// Checked here, once: non-empty algorithm lists; for `static-jwk`, that the key fits an
    /// allowed attestation algorithm; for `kms-key`, that a resolver was given and the
    /// reference resolves (to a key that fits an allowed algorithm); for `x509-chain`, that
    /// trust-x509 accepts every root as a trust anchor (parsed once, here).
    ///
    /// # Errors
    /// The [`ConfigError`] naming the configuration path: [`ConfigError::NoAlgorithms`],
    /// [`ConfigError::AttesterKeyAlgorithm`], [`ConfigError::KeyResolverMissing`],
    /// [`ConfigError::KeyUnresolved`], [`ConfigError::TrustedRoot`],
    /// [`ConfigError::TrustedRoots`], and [`ConfigError::X509Unavailable`] without the `x509`
    /// feature.
    pub fn build(self) -> Result<Arc<ClientAttestationVerifier>, ConfigError> {
        if self.attestation_algs.is_empty() {
            return Err(ConfigError::NoAlgorithms {
                option: "with_attestation_algorithms",
            });
        }
        if self.pop_algs.is_empty() {
            return Err(ConfigError::NoAlgorithms {
                option: "with_pop_algorithms",
            });
        }
        let fits = |key: &PublicJwk| {
            self.attestation_algs
                .iter()
                .any(|alg| key.check_algorithm(*alg).is_ok())
        };
        let attester = match &self.config.verification_method {
            VerificationMethod::StaticJwk {
                jwk,
                additional_jwks,
            } => {
                if !fits(jwk) {
                    return Err(ConfigError::AttesterKeyAlgorithm {
                        path: "verificationMethod.jwk",
                    });
                }
                if let Some(index) = additional_jwks.iter().position(|key| !fits(key)) {
                    return Err(ConfigError::AdditionalKeyAlgorithm {
                        path: format!("verificationMethod.additionalJwks[{index}]"),
                    });
                }
                let mut keys = Vec::with_capacity(additional_jwks.len().saturating_add(1));
                keys.push(jwk.clone());
                keys.extend(additional_jwks.iter().cloned());
                Attester::Static(keys)
            }
            VerificationMethod::KmsKey {
                key_reference,
                additional_key_references,
            } => {
                let (lookup, now) = self
                    .key_lookup
                    .clone()
                    .ok_or(ConfigError::KeyResolverMissing)?;
                let resolve = |reference: &str| {
                    let query = KeyQuery::new().with_key_reference(reference);
                    let keys = lookup
                        .keys(&query, now)
                        .map_err(|e: KeyLookupError| e.reason().to_owned())?;
                    keys.first()
                        .map(&fits)
                        .ok_or_else(|| "the key lookup returned no key".to_owned())
                };
                match resolve(key_reference) {
                    Err(reason) => return Err(ConfigError::KeyUnresolved { reason }),
                    Ok(false) => {
                        return Err(ConfigError::AttesterKeyAlgorithm {
                            path: "verificationMethod.keyReference",
                        });
                    }
                    Ok(true) => {}
                }
                for (index, reference) in additional_key_references.iter().enumerate() {
                    let path = || format!("verificationMethod.additionalKeyReferences[{index}]");
                    match resolve(reference) {
                        Err(reason) => {
                            return Err(ConfigError::AdditionalKeyUnresolved {
                                path: path(),
                                reason,
                            });
                        }
                        Ok(false) => {
                            return Err(ConfigError::AdditionalKeyAlgorithm { path: path() });
                        }
                        Ok(true) => {}
                    }
                }
                let mut key_references =
                    Vec::with_capacity(additional_key_references.len().saturating_add(1));
                key_references.push(key_reference.clone());
                key_references.extend(additional_key_references.iter().cloned());
                Attester::Kms {
                    key_references,
                    lookup,
                }
            }
            #[cfg(feature = "x509")]
            VerificationMethod::X509Chain { trusted_roots_der } => {
                Attester::X509(X509Trust::new(trusted_roots_der, self.x509_direct_trust)?)
            }
            #[cfg(not(feature = "x509"))]
            VerificationMethod::X509Chain { .. } => return Err(ConfigError::X509Unavailable),
        };
        Ok(Arc::new(ClientAttestationVerifier {
            config: self.config,
            issuer: self.issuer,
            attestation_algs: self.attestation_algs,
            pop_algs: self.pop_algs,
            attester,
            limits: self.limits,
            legacy_body_form: self.legacy_body_form,
            combined_mode: self.combined_mode,
            missing_iat_tolerated: self.missing_iat_tolerated,
            error_code: self.error_code,
            fallback: self.fallback,
        }))
    }
}

/// How a presented attestation or PoP that fails verification is answered (an absent one is
/// always `invalid_client`, 401).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum AttestationErrorCode {
    /// `invalid_client`, 401 with `WWW-Authenticate: attest_jwt_client_auth …`.
    #[default]
    InvalidClient,
    /// `invalid_client_attestation`, 400 (the ABCA editor's copy: an AS SHOULD answer 400).
    InvalidClientAttestation,
}

impl ClientAttestationVerifier {
    /// The OAuth answer to `error` for `request`: as [`Self::oauth_error`], and a `401` to a
    /// client that authenticated with HTTP Basic challenges `Basic` (RFC 6749 §5.2: the
    /// scheme the client used).
    #[must_use]
    pub fn oauth_error_for(
        &self,
        request: &ClientAuthRequest<'_>,
        error: &Error,
        fresh_challenge: impl FnOnce() -> Option<String>,
    ) -> oid4vci_types::OAuthError {
        let answer = self.oauth_error(error, fresh_challenge);
        if answer.status() == 401 && request.basic_authorization().is_some() {
            answer.with_challenge("Basic")
        } else {
            answer
        }
    }

    /// The OAuth answer to `error` under this verifier's [`AttestationErrorCode`]; otherwise
    /// as [`crate::oauth_error`].
    #[must_use]
    pub fn oauth_error(
        &self,
        error: &Error,
        fresh_challenge: impl FnOnce() -> Option<String>,
    ) -> oid4vci_types::OAuthError {
        crate::oauth::oauth_error_as(error, self.error_code, fresh_challenge)
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
    /// [`LenientReason::Absent`]. In lenient mode every failure of the attestation path that
    /// is the client's is accepted with [`LenientReason::Invalid`]; [server
    /// faults](Error::is_server_fault) (trust store, key resolver, replay guard, configuration)
    /// and failures of fallback credentials are errors in both modes.
    ///
    /// In normal mode a `DPoP` header is not looked at (validate it separately for token
    /// binding, ABCA -10 §7.3).
    ///
    /// # Errors
    /// Every step of ABCA -10 §7.1 has its [`Error`] variant; map it to the response with
    /// [`oauth_error`](crate::oauth_error).
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
        let basic = request.basic_authorization().is_some();
        let methods = [headers, legacy, jwt_bearer, secret, basic]
            .iter()
            .filter(|used| **used)
            .count();
        if methods > 1 {
            return Err(Error::MultipleAuthenticationMethods);
        }
        if headers || legacy {
            let result = self.verify_attestation(request, legacy, challenge, replay, now);
            return lenient(self.config.required, result);
        }
        if jwt_bearer || secret || basic {
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
            structured_field_token(attestation, ATTESTATION_HEADER, &self.limits)?;
            if let Some(pop) = request.pop {
                structured_field_token(pop, POP_HEADER, &self.limits)?;
            }
            let dpop = request.dpop.is_some() || request.accepted_dpop.is_some();
            let mode = if request.pop.is_some() || !self.combined_mode || !dpop {
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
            PopMode::DpopCombined => match request.accepted_dpop {
                Some(accepted) => {
                    proof::check_accepted_dpop(self, accepted, &checked, challenge, now)?
                }
                None => proof::check_dpop(self, request, &checked, challenge, now)?,
            },
            PopMode::PopJwt | PopMode::LegacyBody => {
                let pop = pop.ok_or(Error::PopMissing)?;
                proof::check_pop(self, pop, &checked, challenge, now)?
            }
        };
        proof::record(replay, &mut proof, now)?;
        Ok(checked.into_verdict(self.config.verification_method.kind(), mode, &proof))
    }
}

/// Lenient mode's decision on the attestation path's `result`: with `required` false a
/// client's failure becomes an unauthenticated verdict; a server fault stays an error.
fn lenient(required: bool, result: Result<Verdict, Error>) -> Result<Verdict, Error> {
    match result {
        Err(error) if !required && !error.is_server_fault() => {
            Ok(Verdict::unauthenticated(LenientReason::Invalid(error)))
        }
        other => other,
    }
}

/// Both header values are RFC 9651 structured-field Items of type Token without parameters
/// (ABCA editor's copy toward -12): `( ALPHA / "*" ) *( tchar / ":" / "/" )`. A compact JWS
/// (`eyJ…`, base64url and `.`) is one; a `;param` suffix, a quoted string, a space or a list is
/// not. A value over the header length limit is refused for its length first, before any
/// scan.
fn structured_field_token(value: &str, header: &'static str, limits: &Limits) -> Result<(), Error> {
    let max = limits.max_header_len();
    if value.len() > max {
        return Err(Error::HeaderTooLong {
            header,
            len: value.len(),
            max,
        });
    }
    let mut bytes = value.bytes();
    let first_ok = bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'*');
    let rest_ok = bytes.all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~:/".contains(&b));
    if first_ok && rest_ok {
        Ok(())
    } else {
        Err(Error::HeaderNotToken { header })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn assert_send_sync_static<T: Send + Sync + 'static>() {}

    #[test]
    fn verifier_is_send_sync_static() {
        const {
            assert_send_sync_static::<ClientAttestationVerifier>();
            assert_send_sync_static::<Arc<ClientAttestationVerifier>>();
            assert_send_sync_static::<ClientAttestationVerifierBuilder>();
        }
    }

    #[test]
    fn server_faults_are_errors_in_both_modes() {
        let faults = [
            Error::Config(ConfigError::KeyResolverMissing),
            Error::ApiMisuse { reason: "misuse" },
            Error::KeyResolution {
                reason: "KMS unavailable".into(),
            },
            Error::TrustedRootsInvalid {
                reason: "trust anchor #0 expired".into(),
            },
            Error::ReplayGuard(pop_verifier::ReplayError::Full { max: 1 }),
            Error::ReplayGuard(pop_verifier::ReplayError::Unavailable {
                reason: "backend down".into(),
            }),
            Error::Signing(jose_core::Error::SignatureInvalid),
            Error::DpopRequestTargetMissing,
        ];
        for fault in faults {
            assert!(fault.is_server_fault(), "{fault}");
            for required in [true, false] {
                assert_eq!(lenient(required, Err(fault.clone())), Err(fault.clone()));
            }
        }
    }

    #[test]
    fn client_faults_are_tolerated_only_in_lenient_mode() {
        let faults = [
            Error::AttestationMissing,
            Error::X5cUntrusted {
                reason: "unknown issuer".into(),
            },
            Error::Replayed {
                token: crate::Token::Pop,
            },
            Error::ReplayGuard(pop_verifier::ReplayError::AlreadyExpired),
        ];
        for fault in faults {
            assert!(!fault.is_server_fault(), "{fault}");
            assert_eq!(lenient(true, Err(fault.clone())), Err(fault.clone()));
            let verdict = lenient(false, Err(fault.clone())).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(verdict.lenient, Some(LenientReason::Invalid(fault)));
        }
    }
}
