//! Verification of OpenID4VCI `jwt` key proofs (`openid4vci-proof+jwt`, OpenID4VCI 1.0
//! App. F.1, F.4).

use jose_core::{Algorithm, Header, Limits, PublicJwk, UnixTime, claims};
use serde_json::Value;

use crate::common::{
    Expected, TimeWindow, check_audience, check_expected, check_header, check_signature,
    claim_error, nonce_error, parse,
};
use crate::error::{Error, short};
use crate::limits::{DEFAULT_CLOCK_SKEW_SECS, DEFAULT_REPLAY_WINDOW_SECS};
use crate::nonce::{NoncePurpose, StatelessNonces};

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
    nonce: Expected<'a>,
    nonce_required: bool,
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
            .field("nonce_required", &self.nonce_required)
            .field("client", &self.client)
            .field("kid_resolver", &self.kid_resolver.is_some())
            .field("chain_validator", &self.chain_validator.is_some())
            .finish()
    }
}

impl<'a> KeyProofPolicy<'a> {
    /// Proofs for `credential_issuer` (the Credential Issuer Identifier) signed with one of
    /// `algorithms` (the configuration's `proof_signing_alg_values_supported`).
    ///
    /// Defaults: skew [`DEFAULT_CLOCK_SKEW_SECS`], `iat` max age [`DEFAULT_REPLAY_WINDOW_SECS`],
    /// no nonce check, client [`ProofClient::Unknown`], only `jwk` keys (no `kid` resolver, no
    /// `x5c` validator).
    #[must_use]
    pub const fn new(credential_issuer: &'a str, algorithms: &'a [Algorithm]) -> Self {
        Self {
            credential_issuer,
            algorithms,
            window: TimeWindow {
                skew: DEFAULT_CLOCK_SKEW_SECS,
                window: DEFAULT_REPLAY_WINDOW_SECS,
            },
            nonce: Expected::Nothing,
            nonce_required: false,
            client: ProofClient::Unknown,
            kid_resolver: None,
            chain_validator: None,
        }
    }

    /// Sets the tolerated clock skew in seconds.
    #[must_use]
    pub const fn with_clock_skew(mut self, secs: u64) -> Self {
        self.window.skew = secs;
        self
    }

    /// Sets how old (plus the skew) `iat` may be, in seconds.
    #[must_use]
    pub const fn with_max_age(mut self, secs: u64) -> Self {
        self.window.window = secs;
        self
    }

    /// Expects `nonce` to be this `c_nonce`. With `required` (the issuer has a Nonce Endpoint),
    /// a proof without `nonce` is refused with [`Error::NonceMissing`].
    #[must_use]
    pub const fn with_expected_nonce(mut self, c_nonce: Option<&'a str>, required: bool) -> Self {
        self.nonce = Expected::value_or_nothing(c_nonce);
        self.nonce_required = required;
        self
    }

    /// Checks `nonce` with the caller's predicate (e.g. a lookup in a store of issued nonces).
    #[must_use]
    pub const fn with_nonce_validator(
        mut self,
        validator: &'a dyn Fn(&str) -> bool,
        required: bool,
    ) -> Self {
        self.nonce = Expected::Validator(validator);
        self.nonce_required = required;
        self
    }

    /// Checks `nonce` as a stateless nonce of purpose [`NoncePurpose::CNonce`] no older than
    /// `max_age` seconds.
    #[must_use]
    pub const fn with_stateless_nonces(
        mut self,
        nonces: &'a StatelessNonces,
        max_age: u64,
        required: bool,
    ) -> Self {
        self.nonce = Expected::Stateless { nonces, max_age };
        self.nonce_required = required;
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

/// A key proof that passed every check: the key to bind into the credential (`cnf`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifiedKeyProof {
    /// The verified holder key.
    pub holder_key: PublicJwk,
    /// Where it came from.
    pub key_source: KeySource,
    /// The `iat`.
    pub iat: UnixTime,
    /// The `nonce`, if carried.
    pub nonce: Option<String>,
    /// The `iss`, if carried.
    pub iss: Option<String>,
    /// The `key_attestation` header (a compact JWT), undecoded, if present: the issuer verifies
    /// it (OpenID4VCI 1.0 App. D) and may require it.
    pub key_attestation: Option<String>,
}

/// Verifies an OpenID4VCI `jwt` key proof and returns the holder key.
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
) -> Result<VerifiedKeyProof, Error> {
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
        policy.nonce_required,
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
    Ok(VerifiedKeyProof {
        holder_key,
        key_source,
        iat,
        nonce: nonce.map(str::to_owned),
        iss: iss.map(str::to_owned),
        key_attestation,
    })
}

/// Exactly one of `kid`, `jwk`, `x5c`, resolved to a key.
fn holder_key(
    header: &Header,
    policy: &KeyProofPolicy<'_>,
) -> Result<(PublicJwk, KeySource), Error> {
    let found = [
        header.kid().is_some(),
        header.jwk().is_some(),
        header.x5c().is_some(),
    ]
    .iter()
    .filter(|present| **present)
    .count();
    if found != 1 {
        return Err(Error::KeySourceCount { found });
    }
    if let Some(jwk) = header.jwk() {
        return Ok((jwk.clone(), KeySource::Jwk));
    }
    if let Some(kid) = header.kid() {
        let resolver = policy.kid_resolver.ok_or_else(|| Error::KeyResolution {
            reason: "kid keys are not accepted (no resolver configured)".to_owned(),
        })?;
        let key = resolver
            .resolve_kid(kid, header)
            .map_err(|reason| Error::KeyResolution { reason })?;
        return Ok((key, KeySource::Kid(kid.to_owned())));
    }
    let chain = header.x5c().unwrap_or_default();
    let validator = policy.chain_validator.ok_or_else(|| Error::KeyResolution {
        reason: "x5c keys are not accepted (no chain validator configured)".to_owned(),
    })?;
    let key = validator
        .leaf_key(chain)
        .map_err(|reason| Error::KeyResolution { reason })?;
    Ok((key, KeySource::X5c))
}

#[cfg(test)]
mod tests;
