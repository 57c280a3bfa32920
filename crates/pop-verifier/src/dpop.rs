//! Verification of DPoP proofs (`dpop+jwt`, RFC 9449 §4.2-4.3).

use jose_core::{Algorithm, Limits, PublicJwk, UnixTime, base64url, claims};

use crate::common::{
    Expected, TimeWindow, check_expected, check_header, check_signature, claim_error, jti,
    nonce_error, parse,
};
use crate::error::{Error, short};
use crate::htu::normalize_htu;
use crate::limits::{DEFAULT_CLOCK_SKEW_SECS, DEFAULT_MAX_JTI_LEN, DEFAULT_REPLAY_WINDOW_SECS};
use crate::nonce::{NoncePurpose, StatelessNonces};
use crate::replay::replay_key;

/// The `typ` of a DPoP proof JWT (RFC 9449 §4.2).
pub const DPOP_TYP: &str = "dpop+jwt";

/// What the server requires of a DPoP proof for one request.
///
/// The lifetime `'a` is that of the borrowed method, URI, algorithms, access token and nonce
/// expectation.
///
/// ```
/// use jose_core::Algorithm;
/// use pop_verifier::DpopPolicy;
/// let policy = DpopPolicy::new("POST", "https://server.example.com/token", &[Algorithm::Es256])
///     .with_expected_nonce(Some("eyJ7S_zG.eyJH0-Z.HX4w-7v"), true);
/// # let _ = policy;
/// ```
#[derive(Clone, Copy, Debug)]
pub struct DpopPolicy<'a> {
    method: &'a str,
    uri: &'a str,
    algorithms: &'a [Algorithm],
    window: TimeWindow,
    access_token: Option<&'a str>,
    nonce: Expected<'a>,
    nonce_required: bool,
    max_jti_len: usize,
}

impl<'a> DpopPolicy<'a> {
    /// Proofs for a request with this HTTP `method` to this absolute `uri` (its query and
    /// fragment are ignored), signed with one of `algorithms`
    /// (`dpop_signing_alg_values_supported`).
    ///
    /// Defaults: skew [`DEFAULT_CLOCK_SKEW_SECS`], `iat` max age [`DEFAULT_REPLAY_WINDOW_SECS`],
    /// no access token, no server nonce, `jti` at most [`DEFAULT_MAX_JTI_LEN`] bytes.
    #[must_use]
    pub const fn new(method: &'a str, uri: &'a str, algorithms: &'a [Algorithm]) -> Self {
        Self {
            method,
            uri,
            algorithms,
            window: TimeWindow {
                skew: DEFAULT_CLOCK_SKEW_SECS,
                window: DEFAULT_REPLAY_WINDOW_SECS,
            },
            access_token: None,
            nonce: Expected::Nothing,
            nonce_required: false,
            max_jti_len: DEFAULT_MAX_JTI_LEN,
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

    /// The access token presented with the proof (at a protected resource): `ath` is then
    /// required and must be its base64url SHA-256 hash (RFC 9449 §4.3 point 12).
    #[must_use]
    pub const fn with_access_token(mut self, access_token: &'a str) -> Self {
        self.access_token = Some(access_token);
        self
    }

    /// Expects the server-provided `nonce` (RFC 9449 §8). With `required`, a proof without
    /// `nonce` is refused with [`Error::NonceMissing`] (answer `use_dpop_nonce`).
    #[must_use]
    pub const fn with_expected_nonce(mut self, nonce: Option<&'a str>, required: bool) -> Self {
        self.nonce = Expected::value_or_nothing(nonce);
        self.nonce_required = required;
        self
    }

    /// Checks `nonce` with the caller's predicate.
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

    /// Checks `nonce` as a stateless nonce of purpose [`NoncePurpose::DpopNonce`] no older than
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

    /// Sets the maximum `jti` length in bytes.
    #[must_use]
    pub const fn with_max_jti_len(mut self, max: usize) -> Self {
        self.max_jti_len = max;
        self
    }
}

/// A DPoP proof that passed every check. Record [`Self::replay_key`] in a
/// [`ReplayGuard`](crate::ReplayGuard) until [`Self::replay_expires_at`], and bind or compare
/// the access token's `cnf.jkt` with [`Self::jkt`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifiedDpopProof {
    /// The RFC 7638 SHA-256 thumbprint of `jwk`, base64url (the `jkt` of RFC 9449 §6.1).
    pub jkt: String,
    /// The proof's public key.
    pub jwk: PublicJwk,
    /// The `jti`.
    pub jti: String,
    /// The `iat`.
    pub iat: UnixTime,
    /// The `nonce`, if carried.
    pub nonce: Option<String>,
    /// `iat + max age + skew`: until when the `jti` must be remembered.
    pub replay_expires_at: UnixTime,
}

impl VerifiedDpopProof {
    /// The replay-guard key: the `jti` scoped by the key thumbprint (RFC 9449 §11.1).
    #[must_use]
    pub fn replay_key(&self) -> String {
        replay_key("dpop", &self.jkt, &self.jti)
    }

    /// Until when the replay record must be kept.
    #[must_use]
    pub const fn replay_expires_at(&self) -> UnixTime {
        self.replay_expires_at
    }
}

/// `base64url(SHA-256(access_token))`, the `ath` value (RFC 9449 §4.2).
///
/// ```
/// assert_eq!(
///     pop_verifier::access_token_hash("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"),
///     "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
/// );
/// ```
#[must_use]
pub fn access_token_hash(access_token: &str) -> String {
    base64url::encode(ring::digest::digest(&ring::digest::SHA256, access_token.as_bytes()).as_ref())
}

/// Verifies a DPoP proof (RFC 9449 §4.3).
///
/// Order: the request URI is valid; strict parse (a `jwk` with private members is refused
/// there, point 7); `typ`; `alg` allowed (never `none` or MAC); `crit`; `jwk` present; `alg`
/// fits it; signature; `jti` (non-empty), `htm`, `htu`, `iat` present; `htm` equals the method
/// (case-sensitive); `htu` equals the URI after [`normalize_htu`] on both; `nonce`; `iat`
/// within `now - max_age - skew ..= now + skew`; `ath` when an access token is presented.
///
/// The `jti` is **not** recorded, and `jkt` is not compared with any token binding: both are
/// the caller's, with the returned value.
///
/// # Errors
/// [`Error::InvalidRequestUri`], [`Error::Malformed`], [`Error::WrongType`],
/// [`Error::AlgorithmNotAllowed`], [`Error::Header`], [`Error::MissingHeader`],
/// [`Error::KeyAlgorithmMismatch`], [`Error::SignatureInvalid`], [`Error::MissingClaim`],
/// [`Error::InvalidClaim`], [`Error::JtiTooLong`], [`Error::HtmMismatch`],
/// [`Error::HtuMismatch`], [`Error::NonceMissing`], [`Error::NonceMismatch`],
/// [`Error::NonceInvalid`], [`Error::IatInFuture`], [`Error::IatTooOld`],
/// [`Error::AthMissing`], [`Error::AthMismatch`].
pub fn verify_dpop_proof(
    token: &str,
    policy: &DpopPolicy<'_>,
    now: UnixTime,
    limits: &Limits,
) -> Result<VerifiedDpopProof, Error> {
    let expected_htu = normalize_htu(policy.uri).ok_or(Error::InvalidRequestUri)?;
    let jws = parse(token, limits)?;
    check_header(&jws, DPOP_TYP, policy.algorithms)?;
    let jwk = jws
        .header()
        .jwk()
        .ok_or(Error::MissingHeader { name: "jwk" })?;
    check_signature(&jws, jwk)?;
    let claims = jws.claims();
    let jti = jti(claims, policy.max_jti_len)?;
    let htm = claims::required_str(claims, "htm").map_err(claim_error)?;
    let htu = claims::required_str(claims, "htu").map_err(claim_error)?;
    let iat = claims::required_time(claims, "iat").map_err(claim_error)?;
    if htm != policy.method {
        return Err(Error::HtmMismatch { found: short(htm) });
    }
    if normalize_htu(htu).as_deref() != Some(expected_htu.as_str()) {
        return Err(Error::HtuMismatch { found: short(htu) });
    }
    let nonce = claims::optional_str(claims, "nonce").map_err(claim_error)?;
    check_expected(
        policy.nonce,
        policy.nonce_required,
        nonce,
        NoncePurpose::DpopNonce,
        now,
    )
    .map_err(nonce_error)?;
    policy.window.check_iat(iat, now)?;
    if let Some(access_token) = policy.access_token {
        let ath = claims::optional_str(claims, "ath")
            .map_err(claim_error)?
            .ok_or(Error::AthMissing)?;
        if ath != access_token_hash(access_token) {
            return Err(Error::AthMismatch);
        }
    }
    Ok(VerifiedDpopProof {
        jkt: jwk.thumbprint_base64url(),
        jwk: jwk.clone(),
        jti,
        iat,
        nonce: nonce.map(str::to_owned),
        replay_expires_at: policy.window.replay_expiry(iat),
    })
}

#[cfg(test)]
mod tests;
