//! Verification of OpenID4VCI `jwt` key proofs (`openid4vci-proof+jwt`, OpenID4VCI 1.0
//! App. F.1, F.4).

use jose_core::keys::{KeyLookup, KeyLookupError, KeyQuery};
use jose_core::{
    Algorithm, CompactJws, DEFAULT_HOLDER_CLOCK_SKEW_SECONDS, Header, Limits, PublicJwk, UnixTime,
    base64url, claims,
};
use serde_json::Value;

use crate::common::{
    NonceCheck, NonceMode, TimeWindow, check_audience, check_expected, check_header,
    check_signature, claim_error, nonce_error, parse,
};
use crate::error::Error;
use crate::limits::DEFAULT_REPLAY_WINDOW_SECS;
use crate::nonce::{NoncePurpose, spent_nonce_key};
use crate::replay::{Unrecorded, replay_key};

/// The `typ` of an OpenID4VCI key proof JWT (OpenID4VCI 1.0 App. F.1).
pub const KEY_PROOF_TYP: &str = "openid4vci-proof+jwt";

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
/// client id and key lookups.
#[derive(Clone, Copy)]
pub struct KeyProofPolicy<'a> {
    credential_issuer: &'a str,
    algorithms: &'a [Algorithm],
    window: TimeWindow,
    nonce: NonceCheck<'a>,
    nonce_mode: NonceMode,
    reusable_nonce: bool,
    client: ProofClient<'a>,
    kid_keys: Option<&'a dyn KeyLookup>,
    x5c_keys: Option<&'a dyn KeyLookup>,
}

impl core::fmt::Debug for KeyProofPolicy<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("KeyProofPolicy")
            .field("credential_issuer", &self.credential_issuer)
            .field("algorithms", &self.algorithms)
            .field("window", &self.window)
            .field("nonce", &self.nonce)
            .field("nonce_mode", &self.nonce_mode)
            .field("reusable_nonce", &self.reusable_nonce)
            .field("client", &self.client)
            .field("kid_keys", &self.kid_keys.is_some())
            .field("x5c_keys", &self.x5c_keys.is_some())
            .finish()
    }
}

impl<'a> KeyProofPolicy<'a> {
    /// Proofs for `credential_issuer` (the Credential Issuer Identifier) signed with one of
    /// `algorithms` (the configuration's `proof_signing_alg_values_supported`), carrying a
    /// `nonce` that passes `c_nonce` (a [`NoncePurpose::CNonce`] when stateless).
    ///
    /// Defaults: nonce required (OpenID4VCI 1.0 App. F.1: it MUST be present when the issuer
    /// has a Nonce Endpoint) and, when it is [`NonceCheck::Stateless`], spent by the proof
    /// (see [`Self::with_reusable_nonce`]), skew [`DEFAULT_HOLDER_CLOCK_SKEW_SECONDS`], `iat` max age
    /// [`DEFAULT_REPLAY_WINDOW_SECS`], client [`ProofClient::Unknown`], only `jwk` keys (no
    /// key lookup for `kid`, none for `x5c`).
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
            reusable_nonce: false,
            client: ProofClient::Unknown,
            kid_keys: None,
            x5c_keys: None,
        }
    }

    /// Sets the tolerated clock skew in seconds.
    #[must_use]
    pub const fn with_clock_skew_seconds(mut self, secs: u64) -> Self {
        self.window.skew = secs;
        self
    }

    /// Sets the replay window in seconds: how old (plus the skew) `iat` may be, which is also
    /// how long the proof is remembered.
    #[must_use]
    pub const fn with_replay_window_seconds(mut self, secs: u64) -> Self {
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

    /// Lets a [`NonceCheck::Stateless`] c_nonce be used by any number of proofs until it is too
    /// old, as OpenID4VCI 1.0 allows an issuer to (the wallet reuses a nonce until it is told
    /// `invalid_nonce`). Each proof is still accepted once.
    ///
    /// By default the nonce is spent: recording a proof ([`Unrecorded::record`], or
    /// [`Unrecorded::record_all`] for the proofs of one request, which may share it) also
    /// records the nonce's [`spent_nonce_key`](crate::spent_nonce_key) until the nonce is too
    /// old, and a later proof with the same nonce is refused with
    /// [`ReplayError::NonceSpent`](crate::ReplayError::NonceSpent) (answer `invalid_nonce`; the
    /// wallet fetches a fresh one). So a key proof that leaked from a wallet, a log or a proxy
    /// cannot be turned into a credential by anyone who also holds the wallet's access token,
    /// and a replayed proof is `invalid_nonce`, as OpenID4VCI conformance tests expect. A
    /// [`NonceCheck::Value`] or [`NonceCheck::Validator`] nonce is the caller's to retire.
    #[must_use]
    pub const fn with_reusable_nonce(mut self) -> Self {
        self.reusable_nonce = true;
        self
    }

    /// Sets what is known about the client (the `iss` rule).
    #[must_use]
    pub const fn with_client(mut self, client: ProofClient<'a>) -> Self {
        self.client = client;
        self
    }

    /// Accepts `kid` keys through this key lookup: a DID resolver, or the `attested_keys` of
    /// a verified key attestation (the query carries the whole header, `key_attestation`
    /// included), for example a [`KeyFn`](jose_core::keys::KeyFn) or
    /// [`StaticKeys`](jose_core::keys::StaticKeys). It is asked with
    /// [`KeyQuery::from_header`] at the verification time; its candidates are tried in order.
    #[must_use]
    pub const fn with_kid_keys(mut self, lookup: &'a dyn KeyLookup) -> Self {
        self.kid_keys = Some(lookup);
        self
    }

    /// Accepts `x5c` keys through this key lookup, which validates the chain (DER, leaf first)
    /// at the verification time and returns the leaf's key: for example
    /// `trust_x509::AnchorLookup`.
    #[must_use]
    pub const fn with_x5c_keys(mut self, lookup: &'a dyn KeyLookup) -> Self {
        self.x5c_keys = Some(lookup);
        self
    }
}

/// Where the holder key of a key proof came from.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeySource {
    /// The `jwk` header.
    Jwk,
    /// The `kid` header, resolved by the policy's `kid` key lookup
    /// ([`KeyProofPolicy::with_kid_keys`]).
    Kid(String),
    /// The leaf of the `x5c` header, validated by the policy's `x5c` key lookup
    /// ([`KeyProofPolicy::with_x5c_keys`]).
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

impl Unrecorded<AcceptedKeyProof> {
    /// The `key_attestation` header (a compact JWT), undecoded and unverified: the issuer
    /// verifies it (OpenID4VCI 1.0 App. D) before recording the proof, so that a refused
    /// attestation spends nothing and the proof can spend the attestation's nonce
    /// ([`Unrecorded::spending`]).
    #[must_use]
    pub fn key_attestation(&self) -> Option<&str> {
        self.peek().key_attestation()
    }
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
/// nonce is reusable. A stateless c_nonce is spent with the proof unless the policy says
/// [`KeyProofPolicy::with_reusable_nonce`].
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
/// [`Error::KeyLookupUnavailable`] (a server fault),
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
    let (candidates, key_source) = holder_keys(header, policy, now)?;
    let holder_key = first_verifying(&jws, candidates)?;
    let claims = jws.claims();
    check_audience(claims, policy.credential_issuer)?;
    let iat = claims::required_time(claims, "iat").map_err(claim_error)?;
    policy.window.check_iat(iat, now)?;
    let nonce = claims::optional_str(claims, "nonce").map_err(claim_error)?;
    let nonce_end = check_expected(
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
            return Err(Error::IssuerMismatch {
                found: jose_core::short_text(iss),
            });
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
    let unrecorded = Unrecorded::new(accepted, key, policy.window.replay_expiry(iat));
    Ok(match (nonce, nonce_end) {
        (Some(nonce), Some(end)) if !policy.reusable_nonce => {
            unrecorded.spending((spent_nonce_key(NoncePurpose::CNonce, nonce), end))
        }
        _ => unrecorded,
    })
}

/// The first candidate whose signature verifies; else the first candidate's error.
fn first_verifying(jws: &CompactJws<'_>, candidates: Vec<PublicJwk>) -> Result<PublicJwk, Error> {
    let mut first_error = None;
    for key in candidates {
        match check_signature(jws, &key) {
            Ok(()) => return Ok(key),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Err(first_error.unwrap_or_else(|| Error::KeyResolution {
        reason: "the key lookup returned no key".to_owned(),
    }))
}

/// Asks `lookup` for the candidates of `header`.
fn lookup_keys(
    lookup: &dyn KeyLookup,
    header: &Header,
    now: UnixTime,
) -> Result<Vec<PublicJwk>, Error> {
    lookup
        .keys(&KeyQuery::from_header(header), now)
        .map_err(|e| match e {
            KeyLookupError::Unavailable { reason } => Error::KeyLookupUnavailable { reason },
            other => Error::KeyResolution {
                reason: other.reason().to_owned(),
            },
        })
}

/// Exactly one of `kid`, `jwk`, `x5c`, resolved to candidate keys.
fn holder_keys(
    header: &Header,
    policy: &KeyProofPolicy<'_>,
    now: UnixTime,
) -> Result<(Vec<PublicJwk>, KeySource), Error> {
    match (header.kid(), header.jwk(), header.x5c()) {
        (None, Some(jwk), None) => Ok((vec![jwk.clone()], KeySource::Jwk)),
        (Some(kid), None, None) => {
            let lookup = policy.kid_keys.ok_or_else(|| Error::KeyResolution {
                reason: "kid keys are not accepted (no key lookup configured)".to_owned(),
            })?;
            let keys = lookup_keys(lookup, header, now)?;
            Ok((keys, KeySource::Kid(kid.to_owned())))
        }
        (None, None, Some(_)) => {
            let lookup = policy.x5c_keys.ok_or_else(|| Error::KeyResolution {
                reason: "x5c keys are not accepted (no key lookup configured)".to_owned(),
            })?;
            let keys = lookup_keys(lookup, header, now)?;
            Ok((keys, KeySource::X5c))
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
