//! Steps shared by the three proof verifiers: header checks, signature, claims, time window,
//! expected challenge or nonce.

use jose_core::{Algorithm, CompactJws, HeaderPolicy, PublicJwk, UnixTime, claims};
use serde_json::{Map, Value};

use crate::error::{Error, NonceError, short};
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
            found: header.typ().map(short),
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
        [one] => Err(Error::AudienceMismatch { found: short(one) }),
        more => Err(Error::AudienceMultiple { count: more.len() }),
    }
}

/// The acceptance window for `iat`, shared by all proofs.
///
/// A proof is accepted when `now - window - skew <= iat <= now + skew`. A replay record for it
/// must therefore live until `iat + window + skew` ([`TimeWindow::replay_expiry`]): after that
/// instant the same proof fails the `iat` check by itself.
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
        iat.saturating_add(self.window).saturating_add(self.skew)
    }
}

/// What a verifier expects of a server-issued value carried in the token (ABCA `challenge`,
/// OpenID4VCI `nonce`, DPoP `nonce`).
#[derive(Clone, Copy)]
pub(crate) enum Expected<'a> {
    /// Nothing configured: a carried value is reported, not checked.
    Nothing,
    /// Exactly this value.
    Value(&'a str),
    /// Whatever the caller's predicate accepts (e.g. a lookup in a challenge store).
    Validator(&'a dyn Fn(&str) -> bool),
    /// A stateless nonce of this crate, no older than `max_age` seconds.
    Stateless {
        nonces: &'a StatelessNonces,
        max_age: u64,
    },
}

impl<'a> Expected<'a> {
    /// [`Self::Value`] for `Some`, [`Self::Nothing`] for `None`.
    pub(crate) const fn value_or_nothing(value: Option<&'a str>) -> Self {
        match value {
            Some(value) => Self::Value(value),
            None => Self::Nothing,
        }
    }
}

impl core::fmt::Debug for Expected<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Nothing => f.write_str("Nothing"),
            Self::Value(v) => f.debug_tuple("Value").field(v).finish(),
            Self::Validator(_) => f.write_str("Validator(..)"),
            Self::Stateless { max_age, .. } => f
                .debug_struct("Stateless")
                .field("max_age", max_age)
                .finish_non_exhaustive(),
        }
    }
}

/// Why an expected value was refused; mapped to challenge or nonce variants by the caller.
pub(crate) enum ExpectedError {
    Missing,
    Mismatch,
    Invalid(NonceError),
}

/// Checks a carried value against the expectation. A carried value is always checked when an
/// expectation is configured, even when not `required`.
pub(crate) fn check_expected(
    expected: Expected<'_>,
    required: bool,
    carried: Option<&str>,
    purpose: NoncePurpose,
    now: UnixTime,
) -> Result<(), ExpectedError> {
    let Some(value) = carried else {
        return if required {
            Err(ExpectedError::Missing)
        } else {
            Ok(())
        };
    };
    match expected {
        Expected::Nothing => {
            if required {
                // Required but no way to check it: fail closed.
                Err(ExpectedError::Mismatch)
            } else {
                Ok(())
            }
        }
        Expected::Value(v) if v == value => Ok(()),
        Expected::Value(_) => Err(ExpectedError::Mismatch),
        Expected::Validator(f) if f(value) => Ok(()),
        Expected::Validator(_) => Err(ExpectedError::Mismatch),
        Expected::Stateless { nonces, max_age } => nonces
            .verify(value, purpose, now, max_age)
            .map(|_| ())
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
