//! Steps shared by the three proof verifiers: header checks, signature, claims, time window,
//! expected challenge or nonce.

use jose_core::{Algorithm, CompactJws, HeaderPolicy, PublicJwk, UnixTime, claims};
use serde_json::{Map, Value};

use crate::error::{Error, NonceError};
use crate::nonce::{NoncePurpose, StatelessNonces};

/// Checks `typ` (RFC 7515 §4.1.9 comparison), the `alg` allow-list and `crit`, in that order.
pub(crate) fn check_header(
    jws: &CompactJws<'_>,
    typ: &'static str,
    algorithms: &[Algorithm],
) -> Result<(), Error> {
    let header = jws.header();
    if !header.typ_matches(typ) {
        return Err(Error::WrongType {
            expected: typ,
            found: header.typ().map(jose_core::short_text),
        });
    }
    if !algorithms.contains(&header.alg()) {
        return Err(Error::AlgorithmNotAllowed { alg: header.alg() });
    }
    HeaderPolicy::new(algorithms)
        .check(header)
        .map_err(|source| Error::Header { source })
}

/// Checks that the key fits `alg`, then the signature over the received signing input.
pub(crate) fn check_signature(jws: &CompactJws<'_>, key: &PublicJwk) -> Result<(), Error> {
    let alg = jws.header().alg();
    key.check_algorithm(alg).map_err(|e| match e {
        jose_core::Error::KeyAlgorithmMismatch { alg, key } => {
            Error::KeyAlgorithmMismatch { alg, key }
        }
        source => Error::Header { source },
    })?;
    jws.verify_signature(key.key())
        .map_err(|_| Error::SignatureInvalid)
}

/// Maps a claim-access error to this crate's variants.
pub(crate) fn claim_error(e: claims::ClaimError) -> Error {
    match e {
        claims::ClaimError::Missing { name } => Error::MissingClaim { name },
        claims::ClaimError::Invalid { name } => Error::InvalidClaim { name },
        _ => Error::InvalidClaim { name: "unknown" },
    }
}

/// A required, non-empty `jti` of at most `max_len` bytes.
pub(crate) fn jti(claims: &Map<String, Value>, max_len: usize) -> Result<String, Error> {
    let jti = claims::required_str(claims, "jti").map_err(claim_error)?;
    if jti.is_empty() {
        return Err(Error::InvalidClaim { name: "jti" });
    }
    if jti.len() > max_len {
        return Err(Error::JtiTooLong {
            len: jti.len(),
            max: max_len,
        });
    }
    Ok(jti.to_owned())
}

/// `aud` must be exactly `expected`; a one-element array is tolerated, more elements are not.
pub(crate) fn check_audience(claims: &Map<String, Value>, expected: &str) -> Result<(), Error> {
    let auds = claims::audiences(claims).map_err(claim_error)?;
    match auds.as_slice() {
        [one] if *one == expected => Ok(()),
        [one] => Err(Error::AudienceMismatch {
            found: jose_core::short_text(one),
        }),
        more => Err(Error::AudienceMultiple { count: more.len() }),
    }
}

/// The acceptance window for `iat`, shared by all proofs.
///
/// A proof is accepted when `now - window - skew <= iat <= now + skew`, so up to and including
/// `now = iat + window + skew`. A replay record for it must therefore live until
/// `iat + window + skew + 1` ([`TimeWindow::replay_expiry`]), the first instant at which the
/// same proof fails the `iat` check by itself (a guard drops entries with `expires_at <= now`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TimeWindow {
    pub(crate) skew: u64,
    pub(crate) window: u64,
}

impl TimeWindow {
    pub(crate) fn check_iat(self, iat: UnixTime, now: UnixTime) -> Result<(), Error> {
        let latest = now.saturating_add(self.skew);
        if iat > latest {
            return Err(Error::IatInFuture {
                iat: iat.secs(),
                latest: latest.secs(),
            });
        }
        let earliest = now.saturating_sub(self.window).saturating_sub(self.skew);
        if iat < earliest {
            return Err(Error::IatTooOld {
                iat: iat.secs(),
                earliest: earliest.secs(),
            });
        }
        Ok(())
    }

    pub(crate) fn replay_expiry(self, iat: UnixTime) -> UnixTime {
        iat.saturating_add(self.window)
            .saturating_add(self.skew)
            .saturating_add(1)
    }
}

/// What the server checks a proof's server-issued value against: the ABCA `challenge`, the
/// OpenID4VCI `nonce` (a `c_nonce`) or the DPoP `nonce`.
///
/// Every policy takes one in its constructor and, by default, **requires** the value: a proof
/// without it is refused (`NonceMissing` / `ChallengeMissing`), one with a value the check
/// refuses is refused (`NonceMismatch` / `NonceInvalid`, `ChallengeMismatch` /
/// `ChallengeInvalid`). Looser behaviour is an explicit `danger_*` option of the policy.
///
/// ```
/// use pop_verifier::{NonceCheck, NoncePurpose, StatelessNonces};
/// let nonces = StatelessNonces::new(&[7u8; 32], None)?;
/// let issued = NonceCheck::Stateless { nonces: &nonces, max_age: 300 };
/// let remembered = NonceCheck::Value("LarRGSbmUPYtRYO6BQ4yn8");
/// # let _ = (issued, remembered);
/// # Ok::<(), pop_verifier::NonceError>(())
/// ```
#[derive(Clone, Copy)]
#[non_exhaustive]
pub enum NonceCheck<'a> {
    /// Exactly this value (one the server issued for this exchange and remembers).
    Value(&'a str),
    /// Whatever the caller's predicate accepts (e.g. a lookup in a store of issued values).
    Validator(&'a dyn Fn(&str) -> bool),
    /// A stateless nonce of this crate ([`StatelessNonces`]) of the verifier's purpose, no
    /// older than `max_age` seconds.
    Stateless {
        /// The nonce keys.
        nonces: &'a StatelessNonces,
        /// The maximum age in seconds.
        max_age: u64,
    },
    /// The server requires a value but has issued none for this exchange: a proof without
    /// one is refused as missing (answer with a fresh value), a proof with one as a mismatch.
    NoneIssued,
}

impl core::fmt::Debug for NonceCheck<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Value(v) => f.debug_tuple("Value").field(v).finish(),
            Self::Validator(_) => f.write_str("Validator(..)"),
            Self::Stateless { max_age, .. } => f
                .debug_struct("Stateless")
                .field("max_age", max_age)
                .finish_non_exhaustive(),
            Self::NoneIssued => f.write_str("NoneIssued"),
        }
    }
}

impl NonceCheck<'_> {
    /// Checks `carried` as a policy does by default (the value required and checked), for a
    /// value taken from a proof verified elsewhere under a policy that skipped its own check:
    /// a DPoP proof the token endpoint accepted, whose `nonce` is also an attestation
    /// challenge (ABCA combined mode), for instance.
    ///
    /// ```
    /// use pop_verifier::{Error, NonceCheck, NoncePurpose};
    /// let now = jose_core::UnixTime::from_secs(1_700_000_000);
    /// let check = NonceCheck::Value("n-1");
    /// assert!(check.check(Some("n-1"), NoncePurpose::AttestationChallenge, now).is_ok());
    /// assert!(matches!(
    ///     check.check(None, NoncePurpose::AttestationChallenge, now),
    ///     Err(Error::NonceMissing)
    /// ));
    /// ```
    ///
    /// # Errors
    /// [`Error::NonceMissing`] without a value, [`Error::NonceMismatch`] or
    /// [`Error::NonceInvalid`] for a value the check refuses.
    pub fn check(
        self,
        carried: Option<&str>,
        purpose: NoncePurpose,
        now: UnixTime,
    ) -> Result<(), Error> {
        check_expected(self, NonceMode::Required, carried, purpose, now)
            .map(|_| ())
            .map_err(nonce_error)
    }
}

/// How strictly a policy applies its [`NonceCheck`]. Only `Required` is reachable without a
/// `danger_*` call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NonceMode {
    /// The value must be present and pass the check (the default).
    Required,
    /// A carried value must pass the check; a proof without one is accepted.
    DangerOptional,
    /// Nothing is checked; a carried value is reported in the accepted proof.
    DangerSkipped,
}

/// Why an expected value was refused; mapped to challenge or nonce variants by the caller.
pub(crate) enum ExpectedError {
    Missing,
    Mismatch,
    Invalid(NonceError),
}

/// Checks a carried value against the expectation under `mode`. For a stateless nonce that
/// passed, the first second at which it is refused as too old (`issued_at + max_age + 1`):
/// until then a verifier that spends nonces keeps it recorded.
pub(crate) fn check_expected(
    expected: NonceCheck<'_>,
    mode: NonceMode,
    carried: Option<&str>,
    purpose: NoncePurpose,
    now: UnixTime,
) -> Result<Option<UnixTime>, ExpectedError> {
    if mode == NonceMode::DangerSkipped {
        return Ok(None);
    }
    let Some(value) = carried else {
        return match mode {
            NonceMode::Required => Err(ExpectedError::Missing),
            NonceMode::DangerOptional | NonceMode::DangerSkipped => Ok(None),
        };
    };
    match expected {
        NonceCheck::Value(v) if v == value => Ok(None),
        NonceCheck::Validator(f) if f(value) => Ok(None),
        NonceCheck::Value(_) | NonceCheck::Validator(_) | NonceCheck::NoneIssued => {
            Err(ExpectedError::Mismatch)
        }
        NonceCheck::Stateless { nonces, max_age } => nonces
            .verify(value, purpose, now, max_age)
            .map(|issued_at| Some(issued_at.saturating_add(max_age).saturating_add(1)))
            .map_err(ExpectedError::Invalid),
    }
}

/// Maps an [`ExpectedError`] for a nonce (`NonceMissing`, `NonceMismatch`, `NonceInvalid`).
pub(crate) fn nonce_error(e: ExpectedError) -> Error {
    match e {
        ExpectedError::Missing => Error::NonceMissing,
        ExpectedError::Mismatch => Error::NonceMismatch,
        ExpectedError::Invalid(source) => Error::NonceInvalid { source },
    }
}

/// Parses the token, mapping every structural failure to [`Error::Malformed`].
pub(crate) fn parse<'t>(
    token: &'t str,
    limits: &jose_core::Limits,
) -> Result<CompactJws<'t>, Error> {
    CompactJws::parse(token, limits).map_err(|source| Error::Malformed { source })
}
