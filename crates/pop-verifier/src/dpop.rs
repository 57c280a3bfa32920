//! Verification of DPoP proofs (`dpop+jwt`, RFC 9449 §4.2-4.3).

use jose_core::{
    Algorithm, DEFAULT_HOLDER_CLOCK_SKEW_SECONDS, Limits, PublicJwk, UnixTime, base64url, claims,
};

use crate::common::{
    NonceCheck, NonceMode, TimeWindow, check_expected, check_header, check_signature, claim_error,
    jti, nonce_error, parse,
};
use crate::error::Error;
use crate::htu::normalize_htu;
use crate::limits::{DEFAULT_MAX_JTI_LEN, DEFAULT_REPLAY_WINDOW_SECS};
use crate::nonce::NoncePurpose;
use crate::replay::{Unrecorded, replay_key};

/// The `typ` of a DPoP proof JWT (RFC 9449 §4.2).
pub const DPOP_TYP: &str = "dpop+jwt";

/// What the server requires of a DPoP proof for one request.
///
/// The lifetime `'a` is that of the borrowed method, URI, algorithms, access token and nonce
/// expectation. The server nonce (RFC 9449 §8) is required by default; a server that issues
/// none says so with [`Self::danger_skip_nonce_check`].
///
/// ```
/// use jose_core::Algorithm;
/// use pop_verifier::{DpopPolicy, NonceCheck};
/// let policy = DpopPolicy::new(
///     "POST",
///     "https://server.example.com/token",
///     &[Algorithm::Es256],
///     NonceCheck::Value("eyJ7S_zG.eyJH0-Z.HX4w-7v"),
/// );
/// # let _ = policy;
/// ```
#[derive(Clone, Copy, Debug)]
pub struct DpopPolicy<'a> {
    method: &'a str,
    uri: &'a str,
    algorithms: &'a [Algorithm],
    window: TimeWindow,
    access_token: Option<&'a str>,
    nonce: NonceCheck<'a>,
    nonce_mode: NonceMode,
    max_jti_len: usize,
}

impl<'a> DpopPolicy<'a> {
    /// Proofs for a request with this HTTP `method` to this absolute `uri` (its query and
    /// fragment are ignored), signed with one of `algorithms`
    /// (`dpop_signing_alg_values_supported`), carrying a `nonce` that passes `nonce`.
    ///
    /// Defaults: nonce required, skew [`DEFAULT_HOLDER_CLOCK_SKEW_SECONDS`], `iat` max age
    /// [`DEFAULT_REPLAY_WINDOW_SECS`], no access token, `jti` at most [`DEFAULT_MAX_JTI_LEN`]
    /// bytes.
    #[must_use]
    pub const fn new(
        method: &'a str,
        uri: &'a str,
        algorithms: &'a [Algorithm],
        nonce: NonceCheck<'a>,
    ) -> Self {
        Self {
            method,
            uri,
            algorithms,
            window: TimeWindow {
                skew: DEFAULT_HOLDER_CLOCK_SKEW_SECONDS,
                window: DEFAULT_REPLAY_WINDOW_SECS,
            },
            access_token: None,
            nonce,
            nonce_mode: NonceMode::Required,
            max_jti_len: DEFAULT_MAX_JTI_LEN,
        }
    }

    /// Sets the tolerated clock skew in seconds.
    #[must_use]
    pub const fn with_clock_skew_seconds(mut self, secs: u64) -> Self {
        self.window.skew = secs;
        self
    }

    /// Sets the replay window in seconds: how old (plus the skew) `iat` may be, which is also
    /// how long the `jti` is remembered.
    #[must_use]
    pub const fn with_replay_window_seconds(mut self, secs: u64) -> Self {
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

    /// Accepts a proof without `nonce`; a carried `nonce` is still checked.
    ///
    /// Dangerous: an attacker holding a pre-generated proof simply omits the nonce, so the
    /// proof's freshness rests on `iat` alone.
    #[must_use]
    pub const fn danger_allow_missing_nonce(mut self) -> Self {
        self.nonce_mode = NonceMode::DangerOptional;
        self
    }

    /// Checks no `nonce` at all: for a server that issues no DPoP nonces (they are optional in
    /// RFC 9449 §8). A carried `nonce` is reported in [`AcceptedDpopProof::nonce`], unchecked.
    ///
    /// Dangerous: proofs generated in advance (RFC 9449 §11.2) are accepted within the `iat`
    /// window; the `jti` is still single-use through [`Unrecorded::record`].
    #[must_use]
    pub const fn danger_skip_nonce_check(mut self) -> Self {
        self.nonce_mode = NonceMode::DangerSkipped;
        self
    }

    /// Sets the maximum `jti` length in bytes.
    #[must_use]
    pub const fn with_max_jti_len(mut self, max: usize) -> Self {
        self.max_jti_len = max;
        self
    }
}

/// A DPoP proof that passed every check and whose `jti` is recorded: bind or compare the
/// access token's `cnf.jkt` with [`Self::jkt`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AcceptedDpopProof {
    jkt: String,
    jwk: PublicJwk,
    jti: String,
    iat: UnixTime,
    nonce: Option<String>,
}

impl AcceptedDpopProof {
    /// The RFC 7638 SHA-256 thumbprint of the proof key, base64url (the `jkt` of RFC 9449
    /// §6.1).
    #[must_use]
    pub fn jkt(&self) -> &str {
        &self.jkt
    }

    /// The proof's public key (the `jwk` header).
    #[must_use]
    pub const fn jwk(&self) -> &PublicJwk {
        &self.jwk
    }

    /// The `jti`.
    #[must_use]
    pub fn jti(&self) -> &str {
        &self.jti
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

    /// The `jkt`, by value.
    #[must_use]
    pub fn into_jkt(self) -> String {
        self.jkt
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

/// Verifies a DPoP proof (RFC 9449 §4.3); [`Unrecorded::record`] then records its `jti`
/// (scoped by the key thumbprint, RFC 9449 §11.1) and yields the [`AcceptedDpopProof`].
///
/// Order: the request URI is valid; strict parse (a `jwk` with private members is refused
/// there, point 7); `typ`; `alg` allowed (never `none` or MAC); `crit`; `jwk` present; `alg`
/// fits it; signature; `jti` (non-empty), `htm`, `htu`, `iat` present; `htm` equals the method
/// (case-sensitive); `htu` equals the URI after [`normalize_htu`] on both; `nonce`; `iat`
/// within `now - max_age - skew ..= now + skew`; `ath` when an access token is presented.
///
/// `jkt` is not compared with any token binding: that is the caller's, with the accepted
/// value.
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
) -> Result<Unrecorded<AcceptedDpopProof>, Error> {
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
        return Err(Error::HtmMismatch {
            found: jose_core::short_text(htm),
        });
    }
    // The same text as the request URI normalises to the same form (most wallets send the
    // endpoint URL as the issuer advertises it), so only a different text is normalised.
    if htu != policy.uri && normalize_htu(htu).as_deref() != Some(expected_htu.as_str()) {
        return Err(Error::HtuMismatch {
            found: jose_core::short_text(htu),
        });
    }
    let nonce = claims::optional_str(claims, "nonce").map_err(claim_error)?;
    check_expected(
        policy.nonce,
        policy.nonce_mode,
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
    let jkt = jwk.thumbprint_base64url();
    let key = replay_key("dpop", &jkt, &jti);
    let accepted = AcceptedDpopProof {
        jkt,
        jwk: jwk.clone(),
        jti,
        iat,
        nonce: nonce.map(str::to_owned),
    };
    Ok(Unrecorded::new(
        accepted,
        key,
        policy.window.replay_expiry(iat),
    ))
}

#[cfg(test)]
mod tests;
