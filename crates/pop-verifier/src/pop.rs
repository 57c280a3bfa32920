//! Verification of the ABCA Client Attestation PoP JWT (`oauth-client-attestation-pop+jwt`),
//! draft -07 (with `iss`) and draft -10 (without).

use jose_core::{
    Algorithm, DEFAULT_HOLDER_CLOCK_SKEW_SECONDS, Limits, PublicJwk, UnixTime, claims,
};

use crate::common::{
    ExpectedError, NonceCheck, NonceMode, TimeWindow, check_audience, check_expected, check_header,
    check_signature, claim_error, jti, parse,
};
use crate::error::Error;
use crate::limits::{DEFAULT_MAX_JTI_LEN, DEFAULT_REPLAY_WINDOW_SECS};
use crate::nonce::NoncePurpose;
use crate::replay::{Unrecorded, replay_key};

/// The `typ` of a Client Attestation PoP JWT (ABCA -10 §5.1, §13.8).
pub const ATTESTATION_POP_TYP: &str = "oauth-client-attestation-pop+jwt";

/// What the server requires of a Client Attestation PoP JWT.
///
/// The lifetime `'a` is that of the borrowed issuer identifier, client id, algorithm list and
/// challenge expectation. The challenge is required by default; a server that issues none
/// says so with [`Self::danger_skip_challenge_check`].
///
/// ```
/// use jose_core::Algorithm;
/// use pop_verifier::{AttestationPopPolicy, NonceCheck};
/// let policy = AttestationPopPolicy::new(
///     "https://as.example.com",
///     "https://client.example.com",
///     &[Algorithm::Es256],
///     NonceCheck::Value("5c1a9e10"),
/// )
/// .with_clock_skew_seconds(60);
/// # let _ = policy;
/// ```
#[derive(Clone, Copy, Debug)]
pub struct AttestationPopPolicy<'a> {
    audience: &'a str,
    client_id: &'a str,
    algorithms: &'a [Algorithm],
    window: TimeWindow,
    challenge: NonceCheck<'a>,
    challenge_mode: NonceMode,
    max_jti_len: usize,
}

impl<'a> AttestationPopPolicy<'a> {
    /// A policy for PoPs addressed to `as_issuer` (the AS issuer identifier of RFC 8414, or at an
    /// RS its resource identifier of RFC 9728) by `client_id` (the attestation's `sub`), signed
    /// with one of `algorithms`, carrying a `challenge` that passes `challenge` (a
    /// [`NoncePurpose::AttestationChallenge`] when stateless).
    ///
    /// A draft -07 PoP `iss`, when present, must equal `client_id`; the `jti` is recorded
    /// scoped by it, so two clients cannot block each other's `jti`s.
    ///
    /// Defaults: challenge required, clock skew [`DEFAULT_HOLDER_CLOCK_SKEW_SECONDS`], replay window
    /// [`DEFAULT_REPLAY_WINDOW_SECS`], `jti` at most [`DEFAULT_MAX_JTI_LEN`] bytes.
    #[must_use]
    pub const fn new(
        as_issuer: &'a str,
        client_id: &'a str,
        algorithms: &'a [Algorithm],
        challenge: NonceCheck<'a>,
    ) -> Self {
        Self {
            audience: as_issuer,
            client_id,
            algorithms,
            window: TimeWindow {
                skew: DEFAULT_HOLDER_CLOCK_SKEW_SECONDS,
                window: DEFAULT_REPLAY_WINDOW_SECS,
            },
            challenge,
            challenge_mode: NonceMode::Required,
            max_jti_len: DEFAULT_MAX_JTI_LEN,
        }
    }

    /// Sets the tolerated clock skew in seconds.
    #[must_use]
    pub const fn with_clock_skew_seconds(mut self, secs: u64) -> Self {
        self.window.skew = secs;
        self
    }

    /// Sets the replay window in seconds: how long after `iat` (plus the skew) a PoP is accepted.
    #[must_use]
    pub const fn with_replay_window_seconds(mut self, secs: u64) -> Self {
        self.window.window = secs;
        self
    }

    /// Accepts a PoP without `challenge`; a carried `challenge` is still checked (the
    /// `challengeRequired: false` configuration).
    ///
    /// Dangerous: a PoP made in advance omits the challenge and is accepted within the `iat`
    /// window (each `jti` once).
    #[must_use]
    pub const fn danger_allow_missing_challenge(mut self) -> Self {
        self.challenge_mode = NonceMode::DangerOptional;
        self
    }

    /// Checks no `challenge` at all: for a server that issued none and does not require one.
    /// A carried `challenge` is reported in [`AcceptedAttestationPop::challenge`], unchecked.
    ///
    /// Dangerous: freshness rests on `iat` and the single-use `jti` alone.
    #[must_use]
    pub const fn danger_skip_challenge_check(mut self) -> Self {
        self.challenge_mode = NonceMode::DangerSkipped;
        self
    }

    /// Sets the maximum `jti` length in bytes.
    #[must_use]
    pub const fn with_max_jti_len(mut self, max: usize) -> Self {
        self.max_jti_len = max;
        self
    }

    /// When a replay record of a PoP issued at `iat` may be forgotten:
    /// `iat + window + skew + 1`, the first instant at which the `iat` check refuses it.
    #[must_use]
    pub fn replay_expiry(&self, iat: UnixTime) -> UnixTime {
        self.window.replay_expiry(iat)
    }
}

/// Which draft's PoP shape was received.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PopShape {
    /// Draft -07 (pinned by OpenID4VCI 1.0 and HAIP 1.0): `iss` = client id present.
    Draft07,
    /// Draft -08 and later (-10): no `iss`.
    Draft10,
}

/// A PoP that passed every check and whose `jti` is recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AcceptedAttestationPop {
    jti: String,
    iat: UnixTime,
    challenge: Option<String>,
    iss: Option<String>,
    shape: PopShape,
}

impl AcceptedAttestationPop {
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

    /// The `challenge`, if carried (checked unless the policy skipped the check).
    #[must_use]
    pub fn challenge(&self) -> Option<&str> {
        self.challenge.as_deref()
    }

    /// The `iss`, if carried (draft -07; equal to the client id).
    #[must_use]
    pub fn iss(&self) -> Option<&str> {
        self.iss.as_deref()
    }

    /// Which draft shape was seen.
    #[must_use]
    pub const fn shape(&self) -> PopShape {
        self.shape
    }
}

/// Verifies a Client Attestation PoP JWT against the attestation's `cnf.jwk`;
/// [`Unrecorded::record`] then records its `jti` (ABCA -10 §7.1 step 15, scoped by the client
/// id) and yields the [`AcceptedAttestationPop`].
///
/// Order (ABCA -10 §7.1 steps 9-14): parse strictly; `typ`; `alg` in the allow-list (never
/// `none` or MAC); `crit`; `alg` fits `cnf_jwk`; signature; claims `aud`, `jti` (non-empty),
/// `iat` present and well-typed; `iss` (if present); `challenge`;
/// `iat` window (`now - window - skew <= iat <= now + skew`); `exp` and `nbf` if present
/// (draft -07 tolerance, each with the skew); `aud` value.
///
/// # Errors
/// [`Error::Malformed`], [`Error::WrongType`], [`Error::AlgorithmNotAllowed`],
/// [`Error::Header`], [`Error::KeyAlgorithmMismatch`], [`Error::SignatureInvalid`],
/// [`Error::MissingClaim`], [`Error::InvalidClaim`], [`Error::JtiTooLong`],
/// [`Error::IssuerMismatch`], [`Error::ChallengeMissing`], [`Error::ChallengeMismatch`],
/// [`Error::ChallengeInvalid`], [`Error::IatInFuture`], [`Error::IatTooOld`],
/// [`Error::Expired`], [`Error::NotYetValid`], [`Error::AudienceMultiple`],
/// [`Error::AudienceMismatch`].
pub fn verify_attestation_pop(
    token: &str,
    cnf_jwk: &PublicJwk,
    policy: &AttestationPopPolicy<'_>,
    now: UnixTime,
    limits: &Limits,
) -> Result<Unrecorded<AcceptedAttestationPop>, Error> {
    let jws = parse(token, limits)?;
    check_header(&jws, ATTESTATION_POP_TYP, policy.algorithms)?;
    check_signature(&jws, cnf_jwk)?;
    let claims = jws.claims();
    claims::audiences(claims).map_err(claim_error)?;
    let jti = jti(claims, policy.max_jti_len)?;
    let iat = claims::required_time(claims, "iat").map_err(claim_error)?;
    let iss = claims::optional_str(claims, "iss").map_err(claim_error)?;
    if let Some(iss) = iss
        && iss != policy.client_id
    {
        return Err(Error::IssuerMismatch {
            found: jose_core::short_text(iss),
        });
    }
    let challenge = claims::optional_str(claims, "challenge").map_err(claim_error)?;
    check_expected(
        policy.challenge,
        policy.challenge_mode,
        challenge,
        NoncePurpose::AttestationChallenge,
        now,
    )
    .map_err(|e| match e {
        ExpectedError::Missing => Error::ChallengeMissing,
        ExpectedError::Mismatch => Error::ChallengeMismatch,
        ExpectedError::Invalid(source) => Error::ChallengeInvalid { source },
    })?;
    policy.window.check_iat(iat, now)?;
    if let Some(exp) = claims::optional_time(claims, "exp").map_err(claim_error)?
        && now > exp.saturating_add(policy.window.skew)
    {
        return Err(Error::Expired { exp: exp.secs() });
    }
    if let Some(nbf) = claims::optional_time(claims, "nbf").map_err(claim_error)?
        && nbf > now.saturating_add(policy.window.skew)
    {
        return Err(Error::NotYetValid { nbf: nbf.secs() });
    }
    check_audience(claims, policy.audience)?;
    let key = replay_key("abca-pop", policy.client_id, &jti);
    let accepted = AcceptedAttestationPop {
        jti,
        iat,
        challenge: challenge.map(str::to_owned),
        iss: iss.map(str::to_owned),
        shape: if iss.is_some() {
            PopShape::Draft07
        } else {
            PopShape::Draft10
        },
    };
    Ok(Unrecorded::new(
        accepted,
        key,
        policy.window.replay_expiry(iat),
    ))
}

#[cfg(test)]
mod tests;
