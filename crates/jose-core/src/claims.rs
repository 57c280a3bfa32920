//! Typed access to JWT claims (RFC 7519 §4.1) and the Unix time newtype.

use serde_json::{Map, Value};

/// Seconds since the Unix epoch: the JWT NumericDate and the `now` every check takes.
///
/// ```
/// use jose_core::UnixTime;
/// let t = UnixTime::from_secs(1_700_000_000);
/// assert_eq!(t.saturating_add(60).secs(), 1_700_000_060);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixTime(i64);

impl UnixTime {
    /// From seconds since the epoch.
    #[must_use]
    pub const fn from_secs(secs: i64) -> Self {
        Self(secs)
    }

    /// Seconds since the epoch.
    #[must_use]
    pub const fn secs(self) -> i64 {
        self.0
    }

    /// `self + secs`, saturating.
    #[must_use]
    pub fn saturating_add(self, secs: u64) -> Self {
        Self(
            self.0
                .saturating_add(i64::try_from(secs).unwrap_or(i64::MAX)),
        )
    }

    /// `self - secs`, saturating.
    #[must_use]
    pub fn saturating_sub(self, secs: u64) -> Self {
        Self(
            self.0
                .saturating_sub(i64::try_from(secs).unwrap_or(i64::MAX)),
        )
    }
}

impl From<time::OffsetDateTime> for UnixTime {
    fn from(t: time::OffsetDateTime) -> Self {
        Self(t.unix_timestamp())
    }
}

/// Why a claim could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClaimError {
    /// The claim is absent.
    Missing {
        /// Its name.
        name: &'static str,
    },
    /// The claim has the wrong JSON type or an invalid value.
    Invalid {
        /// Its name.
        name: &'static str,
    },
}

impl core::fmt::Display for ClaimError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Missing { name } => write!(f, "claim {name:?} is missing"),
            Self::Invalid { name } => write!(f, "claim {name:?} is invalid"),
        }
    }
}

impl core::error::Error for ClaimError {}

/// A required string claim.
///
/// # Errors
/// [`ClaimError::Missing`] or [`ClaimError::Invalid`] (not a string).
pub fn required_str<'m>(
    claims: &'m Map<String, Value>,
    name: &'static str,
) -> Result<&'m str, ClaimError> {
    optional_str(claims, name)?.ok_or(ClaimError::Missing { name })
}

/// An optional string claim.
///
/// # Errors
/// [`ClaimError::Invalid`] when present but not a string.
pub fn optional_str<'m>(
    claims: &'m Map<String, Value>,
    name: &'static str,
) -> Result<Option<&'m str>, ClaimError> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ClaimError::Invalid { name }),
    }
}

/// A required NumericDate claim. Fractional values are truncated toward negative infinity.
///
/// # Errors
/// [`ClaimError::Missing`] or [`ClaimError::Invalid`] (not a number, or out of range).
pub fn required_time(
    claims: &Map<String, Value>,
    name: &'static str,
) -> Result<UnixTime, ClaimError> {
    optional_time(claims, name)?.ok_or(ClaimError::Missing { name })
}

/// An optional NumericDate claim.
///
/// # Errors
/// [`ClaimError::Invalid`] when present but not a number in range.
pub fn optional_time(
    claims: &Map<String, Value>,
    name: &'static str,
) -> Result<Option<UnixTime>, ClaimError> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => {
            if let Some(i) = n.as_i64() {
                return Ok(Some(UnixTime(i)));
            }
            let f = n
                .as_f64()
                .filter(|f| f.is_finite())
                .ok_or(ClaimError::Invalid { name })?;
            float_secs(f)
                .map(|s| Some(UnixTime(s)))
                .ok_or(ClaimError::Invalid { name })
        }
        Some(_) => Err(ClaimError::Invalid { name }),
    }
}

/// Truncates a finite float to whole seconds within ±2^53 (beyond that no date is meaningful).
fn float_secs(f: f64) -> Option<i64> {
    const LIMIT: f64 = 9_007_199_254_740_992.0;
    let floor = f.floor();
    if !(-LIMIT..=LIMIT).contains(&floor) {
        return None;
    }
    // Exact: |floor| <= 2^53 is an integer representable in both types.
    floor.to_string().parse().ok()
}

/// The `aud` claim as a list: a string gives one element, an array of strings its elements.
///
/// # Errors
/// [`ClaimError::Missing`], or [`ClaimError::Invalid`] for other types or an empty array.
pub fn audiences(claims: &Map<String, Value>) -> Result<Vec<&str>, ClaimError> {
    const NAME: &str = "aud";
    match claims.get(NAME) {
        None => Err(ClaimError::Missing { name: NAME }),
        Some(Value::String(s)) => Ok(vec![s.as_str()]),
        Some(Value::Array(items)) if !items.is_empty() => items
            .iter()
            .map(|v| v.as_str().ok_or(ClaimError::Invalid { name: NAME }))
            .collect(),
        Some(_) => Err(ClaimError::Invalid { name: NAME }),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn numeric_dates_accept_integers_and_fractions() {
        let c = obj(json!({"a": 10, "b": 10.9, "c": -1.5, "d": "10", "e": 1e300}));
        assert_eq!(required_time(&c, "a"), Ok(UnixTime(10)));
        assert_eq!(required_time(&c, "b"), Ok(UnixTime(10)));
        assert_eq!(required_time(&c, "c"), Ok(UnixTime(-2)));
        assert_eq!(
            required_time(&c, "d"),
            Err(ClaimError::Invalid { name: "d" })
        );
        assert_eq!(
            required_time(&c, "e"),
            Err(ClaimError::Invalid { name: "e" })
        );
        assert_eq!(
            required_time(&c, "z"),
            Err(ClaimError::Missing { name: "z" })
        );
    }

    #[test]
    fn audiences_accept_string_or_array() {
        assert_eq!(audiences(&obj(json!({"aud": "x"}))), Ok(vec!["x"]));
        assert_eq!(
            audiences(&obj(json!({"aud": ["x", "y"]}))),
            Ok(vec!["x", "y"])
        );
        assert_eq!(
            audiences(&obj(json!({"aud": []}))),
            Err(ClaimError::Invalid { name: "aud" })
        );
        assert_eq!(
            audiences(&obj(json!({"aud": [1]}))),
            Err(ClaimError::Invalid { name: "aud" })
        );
    }
}
