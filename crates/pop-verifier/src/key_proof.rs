//! Verification of OpenID4VCI `jwt` key proofs (`openid4vci-proof+jwt`, OpenID4VCI 1.0
//! App. F.1, F.4).

use jose_core::{
    Algorithm, DEFAULT_HOLDER_CLOCK_SKEW_SECONDS, Header, Limits, PublicJwk, UnixTime, base64url,
    claims,
};
use serde_json::Value;

use crate::common::{
    NonceCheck, NonceMode, TimeWindow, check_audience, check_expected, check_header,
    check_signature, claim_error, nonce_error, parse,
};
use crate::error::{Error, short};
use crate::limits::DEFAULT_REPLAY_WINDOW_SECS;
use crate::nonce::NoncePurpose;
use crate::replay::{Unrecorded, replay_key};

/// The `typ` of an OpenID4VCI key proof JWT (OpenID4VCI 1.0 App. F.1).
pub const KEY_PROOF_TYP: &str = "openid4vci-proof+jwt";

/// Resolves a `kid` header to the holder's public key: a DID URL through a DID resolver, or a
/// key listed in a verified key attestation (the `key_attestation` header is in `header`).
///
/// Closures `Fn(&str, &Header) -> Result<PublicJwk, String>` implement it. The error string is
/// reported in [`Error::KeyResolution`]; it must not contain secrets.
pub trait KidResolver {
    /// The key `kid` names.
    ///
    /// # Errors
    /// A short reason when the key cannot be resolved or is not trusted.
    fn resolve_kid(&self, kid: &str, header: &Header) -> Result<PublicJwk, String>;
}

impl<F: Fn(&str, &Header) -> Result<PublicJwk, String>> KidResolver for F {
    fn resolve_kid(&self, kid: &str, header: &Header) -> Result<PublicJwk, String> {
        self(kid, header)
    }
}

/// Validates an `x5c` chain (DER certificates, leaf first) to the caller's trust anchors at the
/// caller's time and returns the leaf's public key (e.g. through `trust-x509`).
///
/// Closures `Fn(&[Vec<u8>]) -> Result<PublicJwk, String>` implement it.
pub trait ChainValidator {
    /// The public key of the validated leaf certificate.
    ///
    /// # Errors
    /// A short reason when the chain does not validate.
    fn leaf_key(&self, chain: &[Vec<u8>]) -> Result<PublicJwk, String>;
}

impl<F: Fn(&[Vec<u8>]) -> Result<PublicJwk, String>> ChainValidator for F {
    fn leaf_key(&self, chain: &[Vec<u8>]) -> Result<PublicJwk, String> {
        self(chain)
    }
}

/// What the issuer knows about the client making the Credential Request, for the `iss` rule of
/// OpenID4VCI 1.0 App. F.1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProofClient<'a> {
    /// Not known to the verifier: `iss`, if present, is reported and not checked.
    Unknown,
    /// The access token was issued to this client: `iss`, if present, must equal it.
    ClientId(&'a str),
    /// The access token came from a Pre-Authorized Code Flow with anonymous access to the
    /// token endpoint: `iss` MUST be omitted.
    AnonymousPreAuthorized,
}

/// What the credential issuer requires of a key proof.
///
/// The lifetime `'a` is that of the borrowed issuer identifier, algorithms, nonce expectation,
/// client id and resolvers.
#[derive(Clone, Copy)]
pub struct KeyProofPolicy<'a> {
    credential_issuer: &'a str,
    algorithms: &'a [Algorithm],
    window: TimeWindow,
    nonce: NonceCheck<'a>,
    nonce_mode: NonceMode,
    client: ProofClient<'a>,
    kid_resolver: Option<&'a dyn KidResolver>,
    chain_validator: Option<&'a dyn ChainValidator>,
}

impl core::fmt::Debug for KeyProofPolicy<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("KeyProofPolicy")
            .field("credential_issuer", &self.credential_issuer)
            .field("algorithms", &self.algorithms)
            .field("window", &self.window)
            .field("nonce", &self.nonce)
            .field("nonce_mode", &self.nonce_mode)
            .field("client", &self.client)
            .field("kid_resolver", &self.kid_resolver.is_some())
            .field("chain_validator", &self.chain_validator.is_some())
            .finish()
    }
}

impl<'a> KeyProofPolicy<'a> {
    /// Proofs for `credential_issuer` (the Credential Issuer Identifier) signed with one of
    /// `algorithms` (the configuration's `proof_signing_alg_values_supported`), carrying a
    /// `nonce` that passes `c_nonce` (a [`NoncePurpose::CNonce`] when stateless).
    ///
    /// Defaults: nonce required (OpenID4VCI 1.0 App. F.1: it MUST be present when the issuer
    /// has a Nonce Endpoint), skew [`DEFAULT_HOLDER_CLOCK_SKEW_SECONDS`], `iat` max age
    /// [`DEFAULT_REPLAY_WINDOW_SECS`], client [`ProofClient::Unknown`], only `jwk` keys (no
    /// `kid` resolver, no `x5c` validator).
    ///
    /// ```
    /// use jose_core::Algorithm;
    /// use pop_verifier::{KeyProofPolicy, NonceCheck, ProofClient};
    /// let policy = KeyProofPolicy::new(
    ///     "https://issuer.example",
    ///     &[Algorithm::Es256],
    ///     NonceCheck::Value("LarRGSbmUPYtRYO6BQ4yn8"),
    /// )
    /// .with_client(ProofClient::AnonymousPreAuthorized);
    /// # let _ = policy;
    /// ```
    #[must_use]
    pub const fn new(
        credential_issuer: &'a str,
        algorithms: &'a [Algorithm],
        c_nonce: NonceCheck<'a>,
    ) -> Self {
        Self {
            credential_issuer,
            algorithms,
            window: TimeWindow {
                skew: DEFAULT_HOLDER_CLOCK_SKEW_SECONDS,
                window: DEFAULT_REPLAY_WINDOW_SECS,
            },
            nonce: c_nonce,
            nonce_mode: NonceMode::Required,
            client: ProofClient::Unknown,
            kid_resolver: None,
            chain_validator: None,
        }
    }

    /// Sets the tolerated clock skew in seconds.
    #[must_use]
    pub const fn with_clock_skew_seconds(mut self, secs: u64) -> Self {
        self.window.skew = secs;
        self
    }

    /// Sets how old (plus the skew) `iat` may be, in seconds.
    #[must_use]
    pub const fn with_max_age(mut self, secs: u64) -> Self {
        self.window.window = secs;
        self
    }

    /// Accepts a proof without `nonce`; a carried `nonce` is still checked.
    ///
    /// Dangerous: a wallet's proof made in advance, or an attacker's stolen one, omits the
    /// nonce and is accepted within the `iat` window.
    #[must_use]
    pub const fn danger_allow_missing_nonce(mut self) -> Self {
        self.nonce_mode = NonceMode::DangerOptional;
        self
    }

    /// Checks no `nonce` at all: for an issuer without a Nonce Endpoint. A carried `nonce` is
    /// reported in [`AcceptedKeyProof::nonce`], unchecked.
    ///
    /// Dangerous: proofs made in advance are accepted within the `iat` window (each one once,
    /// through [`Unrecorded::record`]).
    #[must_use]
    pub const fn danger_skip_nonce_check(mut self) -> Self {
        self.nonce_mode = NonceMode::DangerSkipped;
        self
    }

    /// Sets what is known about the client (the `iss` rule).
    #[must_use]
    pub const fn with_client(mut self, client: ProofClient<'a>) -> Self {
        self.client = client;
        self
    }

    /// Accepts `kid` keys through this resolver.
    #[must_use]
    pub const fn with_kid_resolver(mut self, resolver: &'a dyn KidResolver) -> Self {
        self.kid_resolver = Some(resolver);
        self
    }

    /// Accepts `x5c` keys through this chain validator.
    #[must_use]
    pub const fn with_chain_validator(mut self, validator: &'a dyn ChainValidator) -> Self {
        self.chain_validator = Some(validator);
        self
    }
}

/// Where the holder key of a key proof came from.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeySource {
    /// The `jwk` header.
    Jwk,
    /// The `kid` header, resolved by the caller's [`KidResolver`].
    Kid(String),
    /// The leaf of the `x5c` header, validated by the caller's [`ChainValidator`].
    X5c,
}

/// A key proof that passed every check and is recorded: the key to bind into the credential
/// (`cnf`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AcceptedKeyProof {
    holder_key: PublicJwk,
    key_source: KeySource,
    iat: UnixTime,
    nonce: Option<String>,
    iss: Option<String>,
    key_attestation: Option<String>,
}

impl AcceptedKeyProof {
    /// The verified holder key.
    #[must_use]
    pub const fn holder_key(&self) -> &PublicJwk {
        &self.holder_key
    }

    /// The holder key, by value.
    #[must_use]
    pub fn into_holder_key(self) -> PublicJwk {
        self.holder_key
    }

    /// Where the holder key came from.
    #[must_use]
    pub const fn key_source(&self) -> &KeySource {
        &self.key_source
    }

    /// The `iat`.
    #[must_use]
    pub const fn iat(&self) -> UnixTime {
        self.iat
    }

    /// The `nonce`, if carried (checked unless the policy skipped the check).
    #[must_use]
    pub fn nonce(&self) -> Option<&str> {
        self.nonce.as_deref()
    }

    /// The `iss`, if carried (checked per [`ProofClient`]).
    #[must_use]
    pub fn iss(&self) -> Option<&str> {
        self.iss.as_deref()
    }

    /// The `key_attestation` header (a compact JWT), undecoded, if present: the issuer
    /// verifies it (OpenID4VCI 1.0 App. D) and may require it.
    #[must_use]
    pub fn key_attestation(&self) -> Option<&str> {
        self.key_attestation.as_deref()
    }
}

/// Verifies an OpenID4VCI `jwt` key proof; [`Unrecorded::record`] then records it and yields
/// the [`AcceptedKeyProof`] with the holder key.
///
/// Key proofs carry no `jti`: the replay key is the SHA-256 of the signing input, so each
/// proof is accepted once within its `iat` window even when the nonce check is skipped or the
/// nonce is reusable (stateless nonces are).
///
/// Checks (OpenID4VCI 1.0 App. F.1, F.4): strict parse (a `jwk` with private members is
/// refused there); `typ`; `alg` allowed (never `none` or MAC); `crit`; exactly one of `kid`,
/// `jwk`, `x5c`; the key (resolved through the policy for `kid`/`x5c`) fits `alg`; signature;
/// `aud` = the Credential Issuer Identifier (a one-element array is tolerated); `iat` present
/// and within `now - max_age - skew ..= now + skew`; `nonce`; `iss` per [`ProofClient`];
/// `key_attestation`, when present, is a string.
///
/// # Errors
/// [`Error::Malformed`], [`Error::WrongType`], [`Error::AlgorithmNotAllowed`],
/// [`Error::Header`], [`Error::KeySourceCount`], [`Error::KeyResolution`],
/// [`Error::KeyAlgorithmMismatch`], [`Error::SignatureInvalid`], [`Error::MissingClaim`],
/// [`Error::InvalidClaim`], [`Error::AudienceMultiple`], [`Error::AudienceMismatch`],
/// [`Error::IatInFuture`], [`Error::IatTooOld`], [`Error::NonceMissing`],
/// [`Error::NonceMismatch`], [`Error::NonceInvalid`], [`Error::IssuerMismatch`],
/// [`Error::IssuerNotAllowed`].
pub fn verify_key_proof(
    token: &str,
    policy: &KeyProofPolicy<'_>,
    now: UnixTime,
    limits: &Limits,
) -> Result<Unrecorded<AcceptedKeyProof>, Error> {
    let jws = parse(token, limits)?;
    check_header(&jws, KEY_PROOF_TYP, policy.algorithms)?;
    let header = jws.header();
    let key_attestation = match header.member("key_attestation") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            return Err(Error::Header {
                source: jose_core::Error::InvalidHeader {
                    name: "key_attestation",
                },
            });
        }
    };
    let (holder_key, key_source) = holder_key(header, policy)?;
    check_signature(&jws, &holder_key)?;
    let claims = jws.claims();
    check_audience(claims, policy.credential_issuer)?;
    let iat = claims::required_time(claims, "iat").map_err(claim_error)?;
    policy.window.check_iat(iat, now)?;
    let nonce = claims::optional_str(claims, "nonce").map_err(claim_error)?;
    check_expected(
        policy.nonce,
        policy.nonce_mode,
        nonce,
        NoncePurpose::CNonce,
        now,
    )
    .map_err(nonce_error)?;
    let iss = claims::optional_str(claims, "iss").map_err(claim_error)?;
    match (policy.client, iss) {
        (ProofClient::ClientId(expected), Some(iss)) if iss != expected => {
            return Err(Error::IssuerMismatch { found: short(iss) });
        }
        (ProofClient::AnonymousPreAuthorized, Some(_)) => return Err(Error::IssuerNotAllowed),
        _ => {}
    }
    let digest = ring::digest::digest(&ring::digest::SHA256, jws.signing_input());
    // The digest names the proof itself; nobody can make it collide with another wallet's
    // proof, so unlike a `jti` it needs no scope beyond naming the hash.
    let key = replay_key(
        "openid4vci-proof",
        "sha256",
        &base64url::encode(digest.as_ref()),
    );
    let accepted = AcceptedKeyProof {
        holder_key,
        key_source,
        iat,
        nonce: nonce.map(str::to_owned),
        iss: iss.map(str::to_owned),
        key_attestation,
    };
    Ok(Unrecorded::new(
        accepted,
        key,
        policy.window.replay_expiry(iat),
    ))
}

/// Exactly one of `kid`, `jwk`, `x5c`, resolved to a key.
fn holder_key(
    header: &Header,
    policy: &KeyProofPolicy<'_>,
) -> Result<(PublicJwk, KeySource), Error> {
    match (header.kid(), header.jwk(), header.x5c()) {
        (None, Some(jwk), None) => Ok((jwk.clone(), KeySource::Jwk)),
        (Some(kid), None, None) => {
            let resolver = policy.kid_resolver.ok_or_else(|| Error::KeyResolution {
                reason: "kid keys are not accepted (no resolver configured)".to_owned(),
            })?;
            let key = resolver
                .resolve_kid(kid, header)
                .map_err(|reason| Error::KeyResolution { reason })?;
            Ok((key, KeySource::Kid(kid.to_owned())))
        }
        (None, None, Some(chain)) => {
            let validator = policy.chain_validator.ok_or_else(|| Error::KeyResolution {
                reason: "x5c keys are not accepted (no chain validator configured)".to_owned(),
            })?;
            let key = validator
                .leaf_key(chain)
                .map_err(|reason| Error::KeyResolution { reason })?;
            Ok((key, KeySource::X5c))
        }
        (kid, jwk, x5c) => Err(Error::KeySourceCount {
            found: usize::from(kid.is_some())
                + usize::from(jwk.is_some())
                + usize::from(x5c.is_some()),
        }),
    }
}

#[cfg(test)]
mod tests;
