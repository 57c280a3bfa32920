//! Verification of the ABCA Client Attestation PoP JWT (`oauth-client-attestation-pop+jwt`),
//! draft -07 (with `iss`) and draft -10 (without).

use jose_core::{Algorithm, Limits, PublicJwk, UnixTime, claims};

use crate::common::{
    Expected, ExpectedError, TimeWindow, check_audience, check_expected, check_header,
    check_signature, claim_error, jti, parse,
};
use crate::error::{Error, short};
use crate::limits::{DEFAULT_CLOCK_SKEW_SECS, DEFAULT_MAX_JTI_LEN, DEFAULT_REPLAY_WINDOW_SECS};
use crate::nonce::{NoncePurpose, StatelessNonces};
use crate::replay::replay_key;

/// The `typ` of a Client Attestation PoP JWT (ABCA -10 §5.1, §13.8).
pub const ATTESTATION_POP_TYP: &str = "oauth-client-attestation-pop+jwt";

/// What the server requires of a Client Attestation PoP JWT.
///
/// The lifetime `'a` is that of the borrowed issuer identifier, algorithm list, client id and
/// challenge expectation.
///
/// ```
/// use jose_core::Algorithm;
/// use pop_verifier::AttestationPopPolicy;
/// let policy = AttestationPopPolicy::new("https://as.example.com", &[Algorithm::Es256])
///     .with_clock_skew(60)
///     .with_expected_challenge(Some("5c1a9e10"), true);
/// # let _ = policy;
/// ```
#[derive(Clone, Copy, Debug)]
pub struct AttestationPopPolicy<'a> {
    audience: &'a str,
    algorithms: &'a [Algorithm],
    window: TimeWindow,
    challenge: Expected<'a>,
    challenge_required: bool,
    client_id: Option<&'a str>,
    max_jti_len: usize,
}

impl<'a> AttestationPopPolicy<'a> {
    /// A policy for PoPs addressed to `as_issuer` (the AS issuer identifier of RFC 8414, or at an
    /// RS its resource identifier of RFC 9728), signed with one of `algorithms`.
    ///
    /// Defaults: clock skew [`DEFAULT_CLOCK_SKEW_SECS`], replay window
    /// [`DEFAULT_REPLAY_WINDOW_SECS`], no challenge required, no client id check, `jti` at most
    /// [`DEFAULT_MAX_JTI_LEN`] bytes.
    #[must_use]
    pub const fn new(as_issuer: &'a str, algorithms: &'a [Algorithm]) -> Self {
        Self {
            audience: as_issuer,
            algorithms,
            window: TimeWindow {
                skew: DEFAULT_CLOCK_SKEW_SECS,
                window: DEFAULT_REPLAY_WINDOW_SECS,
            },
            challenge: Expected::Nothing,
            challenge_required: false,
            client_id: None,
            max_jti_len: DEFAULT_MAX_JTI_LEN,
        }
    }

    /// Sets the tolerated clock skew in seconds.
    #[must_use]
    pub const fn with_clock_skew(mut self, secs: u64) -> Self {
        self.window.skew = secs;
        self
    }

    /// Sets the replay window in seconds: how long after `iat` (plus the skew) a PoP is accepted.
    #[must_use]
    pub const fn with_replay_window(mut self, secs: u64) -> Self {
        self.window.window = secs;
        self
    }

    /// Expects `challenge` (the value this server issued). With `required`, a PoP without a
    /// `challenge` is refused with [`Error::ChallengeMissing`]; a carried challenge is checked
    /// whenever an expectation is set, required or not. `None` with `required` refuses every
    /// PoP that carries a challenge it cannot check, and every PoP without one.
    #[must_use]
    pub const fn with_expected_challenge(
        mut self,
        challenge: Option<&'a str>,
        required: bool,
    ) -> Self {
        self.challenge = Expected::value_or_nothing(challenge);
        self.challenge_required = required;
        self
    }

    /// Checks a carried challenge with the caller's predicate (e.g. a lookup in a store of
    /// issued challenges); `required` as in [`Self::with_expected_challenge`].
    #[must_use]
    pub const fn with_challenge_validator(
        mut self,
        validator: &'a dyn Fn(&str) -> bool,
        required: bool,
    ) -> Self {
        self.challenge = Expected::Validator(validator);
        self.challenge_required = required;
        self
    }

    /// Checks a carried challenge as a stateless nonce of purpose
    /// [`NoncePurpose::AttestationChallenge`] no older than `max_age` seconds; `required` as in
    /// [`Self::with_expected_challenge`].
    #[must_use]
    pub const fn with_stateless_challenges(
        mut self,
        nonces: &'a StatelessNonces,
        max_age: u64,
        required: bool,
    ) -> Self {
        self.challenge = Expected::Stateless { nonces, max_age };
        self.challenge_required = required;
        self
    }

    /// Sets the client identifier (the attestation's `sub`): a PoP `iss` (draft -07), when
    /// present, must equal it.
    #[must_use]
    pub const fn with_client_id(mut self, client_id: &'a str) -> Self {
        self.client_id = Some(client_id);
        self
    }

    /// Sets the maximum `jti` length in bytes.
    #[must_use]
    pub const fn with_max_jti_len(mut self, max: usize) -> Self {
        self.max_jti_len = max;
        self
    }

    /// When a replay record of a PoP issued at `iat` may be forgotten: `iat + window + skew`.
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

/// A PoP that passed every check. Record its `jti` with a
/// [`ReplayGuard`](crate::ReplayGuard) under [`Self::replay_key`] until
/// [`Self::replay_expires_at`] before accepting the request (ABCA -10 §7.1 step 15).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifiedAttestationPop {
    /// The `jti`.
    pub jti: String,
    /// The `iat`.
    pub iat: UnixTime,
    /// The `challenge`, if carried.
    pub challenge: Option<String>,
    /// The `iss`, if carried (draft -07).
    pub iss: Option<String>,
    /// Which draft shape was seen.
    pub shape: PopShape,
    /// `iat + window + skew`: until when the `jti` must be remembered.
    pub replay_expires_at: UnixTime,
}

impl VerifiedAttestationPop {
    /// The replay-guard key: the `jti` scoped by the client id (the attestation `sub`), so two
    /// clients cannot block each other's `jti`s.
    #[must_use]
    pub fn replay_key(&self, client_id: &str) -> String {
        replay_key("abca-pop", client_id, &self.jti)
    }

    /// Until when the replay record must be kept.
    #[must_use]
    pub const fn replay_expires_at(&self) -> UnixTime {
        self.replay_expires_at
    }
}

/// Verifies a Client Attestation PoP JWT against the attestation's `cnf.jwk`.
///
/// Order (ABCA -10 §7.1 steps 9-14): parse strictly; `typ`; `alg` in the allow-list (never
/// `none` or MAC); `crit`; `alg` fits `cnf_jwk`; signature; claims `aud`, `jti` (non-empty),
/// `iat` present and well-typed; `iss` (if present and a client id is configured); `challenge`;
/// `iat` window (`now - window - skew <= iat <= now + skew`); `exp` and `nbf` if present
/// (draft -07 tolerance, each with the skew); `aud` value.
///
/// The `jti` is **not** recorded: do that only after every other check of the request passed.
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
) -> Result<VerifiedAttestationPop, Error> {
    let jws = parse(token, limits)?;
    check_header(&jws, ATTESTATION_POP_TYP, policy.algorithms)?;
    check_signature(&jws, cnf_jwk)?;
    let claims = jws.claims();
    claims::audiences(claims).map_err(claim_error)?;
    let jti = jti(claims, policy.max_jti_len)?;
    let iat = claims::required_time(claims, "iat").map_err(claim_error)?;
    let iss = claims::optional_str(claims, "iss").map_err(claim_error)?;
    if let (Some(iss), Some(client_id)) = (iss, policy.client_id)
        && iss != client_id
    {
        return Err(Error::IssuerMismatch { found: short(iss) });
    }
    let challenge = claims::optional_str(claims, "challenge").map_err(claim_error)?;
    check_expected(
        policy.challenge,
        policy.challenge_required,
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
    Ok(VerifiedAttestationPop {
        jti,
        iat,
        challenge: challenge.map(str::to_owned),
        iss: iss.map(str::to_owned),
        shape: if iss.is_some() {
            PopShape::Draft07
        } else {
            PopShape::Draft10
        },
        replay_expires_at: policy.window.replay_expiry(iat),
    })
}

#[cfg(test)]
mod tests;
