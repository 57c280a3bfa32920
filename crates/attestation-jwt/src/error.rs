//! The one error type of this crate, and its configuration category.

use jose_core::{ClaimError, JsonError};

/// Why a `clientAttestationConfig` was refused, when it is read or when a
/// [`ClientAttestationVerifier`](crate::ClientAttestationVerifier) is built from it.
///
/// Each message starts with the configuration path it is about (for example
/// `verificationMethod.trustedRootCertificatesPem[0]: ...`), so an operator can find the line
/// to fix.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The JSON text is malformed, has duplicate member names, or is nested too deeply.
    #[error("configuration JSON: {0}")]
    Json(JsonError),
    /// The JSON text is longer than [`DEFAULT_MAX_CONFIG_LEN`](crate::DEFAULT_MAX_CONFIG_LEN).
    #[error("configuration is {len} bytes, the limit is {max}")]
    TooLong {
        /// The length received.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A required member is absent.
    #[error("configuration member {name:?} is missing")]
    MissingField {
        /// The member (dotted path).
        name: &'static str,
    },
    /// A member has the wrong JSON type or an out-of-range value.
    #[error("configuration member {name:?} is invalid")]
    InvalidField {
        /// The member (dotted path).
        name: &'static str,
    },
    /// A member this crate does not know (typos would otherwise silently become defaults).
    #[error("unknown configuration member {name:?}")]
    UnknownField {
        /// The member (dotted path, truncated).
        name: String,
    },
    /// `verificationMethod.type` is not `static-jwk`, `kms-key` or `x509-chain`.
    #[error(
        "unknown verificationMethod type {found:?}; expected \"static-jwk\", \"kms-key\" or \"x509-chain\""
    )]
    UnknownMethodType {
        /// The value received (truncated).
        found: String,
    },
    /// `verificationMethod.jwk` is not a valid public JWK (or carries private members).
    #[error("verificationMethod.jwk: {0}")]
    InvalidJwk(jose_core::Error),
    /// A PEM text holds no `CERTIFICATE` block, or one that is not valid base64.
    #[error("verificationMethod.trustedRootCertificatesPem[{index}]: not a valid PEM certificate")]
    InvalidPem {
        /// Zero-based index of the certificate that failed.
        index: usize,
    },
    /// More trusted roots than [`DEFAULT_MAX_TRUSTED_ROOTS`](crate::DEFAULT_MAX_TRUSTED_ROOTS).
    #[error("more than {max} trusted root certificates")]
    TooManyRoots {
        /// The limit.
        max: usize,
    },
    /// `trustedRootCertificatesPem` is empty.
    #[error("x509-chain needs at least one trusted root certificate")]
    NoTrustedRoots,
    /// trust-x509 refused a configured root certificate (malformed, not a CA, no
    /// SubjectKeyIdentifier, an unknown critical extension, ...): no chain could ever end at it.
    ///
    /// `index` counts the certificates in configuration order, which is the array index when
    /// each element of `trustedRootCertificatesPem` holds one certificate (the usual form).
    #[error("verificationMethod.trustedRootCertificatesPem[{index}]: {reason}")]
    TrustedRoot {
        /// Zero-based index of the refused certificate.
        index: usize,
        /// Why (trust-x509's message).
        reason: String,
    },
    /// trust-x509 refused the set of configured roots as a whole (e.g. too many).
    #[error("verificationMethod.trustedRootCertificatesPem: {reason}")]
    TrustedRoots {
        /// Why (trust-x509's message).
        reason: String,
    },
    /// The `x509-chain` method is configured, but this build has no X.509 path validation (the
    /// `x509` feature is off).
    #[error("verificationMethod.type: x509-chain needs the x509 feature of attestation-jwt")]
    X509Unavailable,
    /// The `kms-key` method is configured, but no [`KeyLookup`](jose_core::KeyLookup) was
    /// given to the builder
    /// ([`with_key_lookup`](crate::ClientAttestationVerifierBuilder::with_key_lookup)).
    #[error("verificationMethod.keyReference: kms-key needs a key resolver")]
    KeyResolverMissing,
    /// The `kms-key` reference did not resolve when the verifier was built.
    #[error("verificationMethod.keyReference: does not resolve: {reason}")]
    KeyUnresolved {
        /// Why (from the resolver).
        reason: String,
    },
    /// The attester key fits none of the allowed attestation algorithms, so no attestation
    /// could ever verify.
    #[error("{path}: the attester key fits none of the allowed attestation algorithms")]
    AttesterKeyAlgorithm {
        /// `verificationMethod.jwk` or `verificationMethod.keyReference`.
        path: &'static str,
    },
    /// An entry of `verificationMethod.additionalJwks` is not a valid public JWK.
    #[error("verificationMethod.additionalJwks[{index}]: {error}")]
    InvalidAdditionalJwk {
        /// Zero-based index of the refused entry.
        index: usize,
        /// Why (jose-core's error).
        error: jose_core::Error,
    },
    /// A list member, or one of its entries, has the wrong JSON type or is empty (for example
    /// `verificationMethod.additionalKeyReferences[1]`).
    #[error("configuration member {path:?} is invalid")]
    InvalidEntry {
        /// The member or entry (dotted path with index).
        path: String,
    },
    /// An entry of a key list names the same key as `jwk` / `keyReference` or as an earlier
    /// entry (same JWK thumbprint, same `kid`, or same reference).
    #[error("{path}: the same key is configured twice")]
    DuplicateEntry {
        /// The later of the two entries (dotted path with index).
        path: String,
    },
    /// A key list has more entries than
    /// [`MAX_ADDITIONAL_ATTESTER_KEYS`](crate::MAX_ADDITIONAL_ATTESTER_KEYS).
    #[error("{name}: more than {max} entries")]
    TooManyEntries {
        /// The list (dotted path).
        name: &'static str,
        /// The limit.
        max: usize,
    },
    /// An additional attester key fits none of the allowed attestation algorithms.
    #[error("{path}: the attester key fits none of the allowed attestation algorithms")]
    AdditionalKeyAlgorithm {
        /// `verificationMethod.additionalJwks[i]` or
        /// `verificationMethod.additionalKeyReferences[i]`.
        path: String,
    },
    /// An entry of `verificationMethod.additionalKeyReferences` did not resolve when the
    /// verifier was built.
    #[error("{path}: does not resolve: {reason}")]
    AdditionalKeyUnresolved {
        /// `verificationMethod.additionalKeyReferences[i]`.
        path: String,
        /// Why (from the resolver).
        reason: String,
    },
    /// An algorithm list given to the builder is empty, so every request would be refused.
    #[error("{option}: no algorithm is allowed")]
    NoAlgorithms {
        /// The builder option (`with_attestation_algorithms` or `with_pop_algorithms`).
        option: &'static str,
    },
}

/// Which JWT of the request an error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Token {
    /// The Client Attestation JWT.
    Attestation,
    /// The Client Attestation PoP JWT.
    Pop,
    /// The DPoP proof (combined mode).
    Dpop,
    /// An RFC 7523 client assertion (fallback).
    ClientAssertion,
}

impl core::fmt::Display for Token {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::Attestation => "client attestation",
            Self::Pop => "client attestation PoP",
            Self::Dpop => "DPoP proof",
            Self::ClientAssertion => "client assertion",
        })
    }
}

/// Everything that can go wrong in this crate.
///
/// The verification variants follow the order of ABCA draft -10 §7.1 (spec notes §A.5); each
/// failing step has its own variant. [`oauth_error`](crate::oauth_error)
/// maps them to the OAuth error response. Messages name what failed but never contain key
/// material, secrets or whole tokens; attacker-chosen strings are truncated.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    // ---- request shape (§7.1 steps 1-2) ----
    /// No `OAuth-Client-Attestation` header (and no other configured client authentication).
    #[error("no client attestation was presented")]
    AttestationMissing,
    /// A header was sent more than once (or its value is a comma-joined list).
    #[error("header {header} was sent more than once")]
    HeaderRepeated {
        /// The header name.
        header: &'static str,
    },
    /// A header value (or a JWT of the legacy body form) is longer than the limit.
    #[error("header {header} is {len} bytes, the limit is {max}")]
    HeaderTooLong {
        /// The header name.
        header: &'static str,
        /// The length received.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A header value is not an RFC 9651 structured-field Token without parameters (a
    /// `;param` suffix, a quoted string, whitespace inside, a list).
    #[error("header {header} is not a structured-field token (RFC 9651) without parameters")]
    HeaderNotToken {
        /// The header name.
        header: &'static str,
    },
    /// More than one client authentication method was used in one request (RFC 6749 §2.3).
    #[error("more than one client authentication method was used")]
    MultipleAuthenticationMethods,
    /// The legacy body form (`client_assertion_type=...jwt-client-attestation`) was used but is
    /// not enabled.
    #[error("the legacy client_assertion attestation form is not enabled")]
    LegacyFormDisabled,
    /// The legacy body form's `client_assertion` is not `<attestation>~<pop>`.
    #[error("client_assertion is not <attestation>~<pop>")]
    LegacyFormMalformed,
    /// The request's `client_id` is longer than the limit.
    #[error("client_id is {len} bytes, the limit is {max}")]
    ClientIdTooLong {
        /// The length received.
        len: usize,
        /// The limit.
        max: usize,
    },

    // ---- the attestation (§7.1 steps 3-8) ----
    /// The attestation is not a well-formed compact JWS (parts, base64url, JSON, duplicate
    /// member names, a malformed header member).
    #[error("client attestation is malformed: {0}")]
    AttestationMalformed(jose_core::Error),
    /// The attestation's `typ` is not `oauth-client-attestation+jwt`.
    #[error("client attestation typ {found:?} is not oauth-client-attestation+jwt")]
    AttestationType {
        /// The `typ` received (truncated), if any.
        found: Option<String>,
    },
    /// A required attestation claim (`sub`, `exp`, `cnf`, `cnf.jwk`) is missing or ill-typed.
    #[error("client attestation: {0}")]
    AttestationClaim(ClaimError),
    /// The attestation's `nbf` lies further in the future than the clock skew.
    #[error("client attestation not valid before {nbf} (now {now})")]
    AttestationNotYetValid {
        /// `nbf`.
        nbf: i64,
        /// The verifier's time.
        now: i64,
    },
    /// The attestation's `iat` lies further in the future than the clock skew.
    #[error("client attestation issued in the future ({iat}, now {now})")]
    AttestationIssuedInFuture {
        /// `iat`.
        iat: i64,
        /// The verifier's time.
        now: i64,
    },
    /// The attestation's `alg` is `none`, a MAC, unknown, or not allowed (§7.1 step 4).
    #[error("client attestation algorithm refused: {0}")]
    AttestationAlgorithm(jose_core::Error),
    /// The attestation's header has a `crit` this verifier does not understand.
    #[error("client attestation header refused: {0}")]
    AttestationCritical(jose_core::Error),
    /// The attestation's signature does not verify with the trusted attester key, or its `alg`
    /// does not fit that key (§7.1 step 5).
    #[error("client attestation signature: {0}")]
    AttestationSignature(jose_core::Error),
    /// The `kms-key` [`KeyLookup`](jose_core::KeyLookup) could not answer
    /// ([`KeyLookupError::Unavailable`](jose_core::KeyLookupError::Unavailable), e.g. the KMS
    /// is down): a server fault.
    #[error("attester key could not be resolved: {reason}")]
    KeyResolution {
        /// Why (from the key lookup).
        reason: String,
    },
    /// The `kms-key` [`KeyLookup`](jose_core::KeyLookup) trusts no key for this attestation
    /// ([`KeyLookupError::NoTrustedKey`](jose_core::KeyLookupError::NoTrustedKey), e.g. its
    /// `kid` names no key of the KMS): the client's fault.
    #[error("no trusted attester key for the client attestation: {reason}")]
    AttesterKeyUntrusted {
        /// Why (from the key lookup).
        reason: String,
    },
    /// The `x509-chain` method is configured, but the attestation carries no `x5c`.
    #[error("client attestation carries no x5c for x509-chain verification")]
    X5cMissing,
    /// A configured root certificate cannot end a path at this time (it has expired or is not
    /// yet valid): the trust store is broken, which is a server fault.
    #[error("configured trusted root certificates are invalid: {reason}")]
    TrustedRootsInvalid {
        /// Why (from the X.509 validator).
        reason: String,
    },
    /// The attestation's `x5c` does not chain to a configured root.
    #[error("client attestation x5c is not trusted: {reason}")]
    X5cUntrusted {
        /// Why.
        reason: String,
    },
    /// `cnf.jwk` is not a usable public key: a private member, or a malformed key (§7.1 step 6).
    #[error("client attestation cnf.jwk refused: {0}")]
    ConfirmationKey(jose_core::Error),
    /// The attestation has expired beyond the clock skew (§7.1 step 7): `invalid_client`.
    #[error("client attestation expired at {exp} (now {now})")]
    AttestationExpired {
        /// `exp`.
        exp: i64,
        /// The verifier's time.
        now: i64,
    },
    /// The request's `client_id` is not the attestation's `sub` (§7.1 step 8).
    #[error("client_id does not match the client attestation's sub")]
    ClientIdMismatch,

    // ---- the PoP or DPoP proof (§7.1 steps 9-16) ----
    /// No `OAuth-Client-Attestation-PoP` header (and combined mode not in use).
    #[error("no client attestation PoP was presented")]
    PopMissing,
    /// The PoP failed a check; the inner error names the step.
    #[error("client attestation PoP: {0}")]
    Pop(pop_verifier::Error),
    /// Combined mode: the DPoP proof failed a check.
    #[error("DPoP proof: {0}")]
    Dpop(pop_verifier::Error),
    /// Combined mode: the DPoP `jwk` is not the attestation's `cnf.jwk` (-10 §7.3).
    #[error("DPoP key is not the client attestation's cnf.jwk")]
    DpopKeyMismatch,
    /// Combined mode: the caller did not give the request's method and URI.
    #[error("combined mode needs the request method and URI")]
    DpopRequestTargetMissing,
    /// The proof's `jti` was seen before (§7.1 step 15).
    #[error("{token} replayed: its jti was already used")]
    Replayed {
        /// Which token.
        token: Token,
    },
    /// The replay guard could not record the `jti` (full or unavailable); fails closed. `Full`
    /// and `Unavailable` are server faults.
    #[error("replay guard refused: {0}")]
    ReplayGuard(pop_verifier::ReplayError),

    // ---- fallback client authentication ----
    /// The client used a fallback method that is not enabled.
    #[error("client authentication method {method} is not enabled")]
    MethodNotEnabled {
        /// The method name (`private_key_jwt`, `client_secret_basic`/`_post`).
        method: &'static str,
    },
    /// A `client_assertion_type` this server does not know.
    #[error("unsupported client_assertion_type")]
    UnsupportedAssertionType,
    /// No key or secret is registered for the client.
    #[error("no credentials are registered for this client")]
    UnknownClient,
    /// The client assertion is malformed, uses a refused algorithm, or does not verify.
    #[error("client assertion: {0}")]
    ClientAssertion(jose_core::Error),
    /// A required client assertion claim (`iss`, `sub`, `aud`, `exp`, `jti`) is missing or
    /// ill-typed.
    #[error("client assertion: {0}")]
    ClientAssertionClaim(ClaimError),
    /// The client assertion's `iss` and `sub` are not both the client id (RFC 7523 §3 items 1-2).
    #[error("client assertion iss/sub is not the client id")]
    ClientAssertionSubject,
    /// The client assertion's `aud` names neither the issuer nor the token endpoint
    /// (RFC 7523 §3 item 3).
    #[error("client assertion aud does not name this server")]
    ClientAssertionAudience,
    /// The client assertion has expired beyond the clock skew (RFC 7523 §3 item 4).
    #[error("client assertion expired at {exp} (now {now})")]
    ClientAssertionExpired {
        /// `exp`.
        exp: i64,
        /// The verifier's time.
        now: i64,
    },
    /// The client assertion's `exp` lies further ahead than the replay window allows, so its
    /// `jti` could not be remembered for its whole lifetime.
    #[error("client assertion lives too long (exp {exp}, now {now})")]
    ClientAssertionLifetime {
        /// `exp`.
        exp: i64,
        /// The verifier's time.
        now: i64,
    },
    /// The presented client secret does not match the registered one.
    #[error("client secret does not match")]
    ClientSecretMismatch,
    /// The `Basic` `Authorization` header holds no credentials (bad base64, no `:`, or a
    /// malformed form-urlencoded id or secret).
    #[error("the Authorization header holds no client_secret_basic credentials")]
    BasicCredentialsMalformed,

    // ---- configuration and issuing ----
    /// The configuration was refused.
    #[error("configuration: {0}")]
    Config(#[from] ConfigError),
    /// The caller asked for something the configuration cannot do (e.g. challenges required but
    /// no challenge check given).
    #[error("API misuse: {reason}")]
    ApiMisuse {
        /// What is wrong.
        reason: &'static str,
    },
    /// Producing a JWT failed (signer error, algorithm mismatch, no randomness).
    #[error("signing failed: {0}")]
    Signing(jose_core::Error),
}

impl Error {
    /// Whether the error is the server's fault rather than the client's: the configuration, the
    /// trust store, the key resolver (KMS), the replay guard being full or unavailable, API
    /// misuse, or signing.
    ///
    /// Lenient mode (`required: false`) tolerates a bad *client*, never a broken *server*:
    /// these errors are returned in both modes, and
    /// [`oauth_error`](crate::oauth_error) answers them with
    /// `server_error` (500).
    ///
    /// ```
    /// use attestation_jwt::Error;
    /// assert!(Error::KeyResolution { reason: "KMS timeout".into() }.is_server_fault());
    /// assert!(!Error::AttestationMissing.is_server_fault());
    /// ```
    #[must_use]
    pub const fn is_server_fault(&self) -> bool {
        use pop_verifier::ReplayError;
        matches!(
            self,
            Self::Config(_)
                | Self::ApiMisuse { .. }
                | Self::KeyResolution { .. }
                | Self::TrustedRootsInvalid { .. }
                | Self::ReplayGuard(ReplayError::Full { .. } | ReplayError::Unavailable { .. })
                | Self::Signing(_)
                | Self::DpopRequestTargetMissing
        )
    }

    /// Which JWT the error is about, when it is about one.
    #[must_use]
    pub const fn token(&self) -> Option<Token> {
        match self {
            Self::AttestationMalformed(_)
            | Self::AttestationType { .. }
            | Self::AttestationClaim(_)
            | Self::AttestationNotYetValid { .. }
            | Self::AttestationIssuedInFuture { .. }
            | Self::AttestationAlgorithm(_)
            | Self::AttestationCritical(_)
            | Self::AttestationSignature(_)
            | Self::X5cMissing
            | Self::X5cUntrusted { .. }
            | Self::AttesterKeyUntrusted { .. }
            | Self::ConfirmationKey(_)
            | Self::AttestationExpired { .. } => Some(Token::Attestation),
            Self::Pop(_) | Self::PopMissing => Some(Token::Pop),
            Self::Dpop(_) | Self::DpopKeyMismatch => Some(Token::Dpop),
            Self::ClientAssertion(_)
            | Self::ClientAssertionClaim(_)
            | Self::ClientAssertionSubject
            | Self::ClientAssertionAudience
            | Self::ClientAssertionExpired { .. }
            | Self::ClientAssertionLifetime { .. } => Some(Token::ClientAssertion),
            Self::Replayed { token } => Some(*token),
            _ => None,
        }
    }

    /// Whether a presented attestation or its proof failed verification (the ABCA
    /// `invalid_client_attestation` cases): not an absent attestation, not a fallback
    /// method's failure, not a server fault.
    ///
    /// ```
    /// use attestation_jwt::Error;
    /// assert!(Error::ClientIdMismatch.is_attestation_defect());
    /// assert!(!Error::AttestationMissing.is_attestation_defect());
    /// ```
    #[must_use]
    pub fn is_attestation_defect(&self) -> bool {
        !self.is_server_fault()
            && matches!(
                self,
                Self::HeaderRepeated { .. }
                    | Self::HeaderTooLong { .. }
                    | Self::HeaderNotToken { .. }
                    | Self::LegacyFormMalformed
                    | Self::AttestationMalformed(_)
                    | Self::AttestationType { .. }
                    | Self::AttestationClaim(_)
                    | Self::AttestationNotYetValid { .. }
                    | Self::AttestationExpired { .. }
                    | Self::AttestationIssuedInFuture { .. }
                    | Self::AttestationAlgorithm(_)
                    | Self::AttestationCritical(_)
                    | Self::AttestationSignature(_)
                    | Self::AttesterKeyUntrusted { .. }
                    | Self::ConfirmationKey(_)
                    | Self::ClientIdMismatch
                    | Self::PopMissing
                    | Self::Pop(_)
                    | Self::Dpop(_)
                    | Self::DpopKeyMismatch
                    | Self::Replayed { .. }
            )
    }
}

/// Sorts a JOSE parse error of the attestation into the A.5 step it belongs to.
pub(crate) fn attestation_parse_error(e: jose_core::Error) -> Error {
    match e {
        jose_core::Error::AlgorithmNone
        | jose_core::Error::SymmetricAlgorithm { .. }
        | jose_core::Error::UnsupportedAlgorithm { .. } => Error::AttestationAlgorithm(e),
        jose_core::Error::CriticalMalformed => Error::AttestationCritical(e),
        other => Error::AttestationMalformed(other),
    }
}
