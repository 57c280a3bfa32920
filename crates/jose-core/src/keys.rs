//! The key and trust lookup seam: every verifier asks a [`KeyLookup`] for the keys that may
//! have signed a token, with a [`KeyQuery`] of what the token says about its signer and the
//! verification time.
//!
//! Implementations: [`StaticKeys`] (configured keys), [`JwkSet`] (a JWK Set document),
//! [`KeyFn`] (a closure, for example over a KMS client) and, in `trust-x509`, X.509 path
//! validation to configured anchors. Errors separate a token no trusted key fits (the client's
//! fault) from a source that cannot answer (the server's fault), see [`KeyLookupError`].
//!
//! ```
//! use jose_core::{Algorithm, LocalSigner, SystemRandom, UnixTime};
//! use jose_core::keys::{KeyLookup, KeyLookupError, KeyQuery, StaticKeys};
//!
//! let key = LocalSigner::generate(Algorithm::Es256, &SystemRandom::new())?.public_jwk();
//! let keys = StaticKeys::new(vec![key.with_kid("k1")]);
//! let now = UnixTime::from_secs(1_700_000_000);
//! assert_eq!(keys.keys(&KeyQuery::new().with_kid("k1"), now).map(|k| k.len()), Ok(1));
//! assert!(matches!(
//!     keys.keys(&KeyQuery::new().with_kid("k2"), now),
//!     Err(KeyLookupError::NoTrustedKey { .. })
//! ));
//! # Ok::<(), jose_core::Error>(())
//! ```

use std::sync::Arc;

use serde_json::Value;

use crate::{Error, Header, PublicJwk, UnixTime};

/// What a token says about its signer, none of it trusted yet: the key a [`KeyLookup`] returns
/// is what makes it so. Built by the verifier; every member is optional.
#[derive(Clone, Copy, Debug, Default)]
#[non_exhaustive]
pub struct KeyQuery<'a> {
    kid: Option<&'a str>,
    x5c: Option<&'a [Vec<u8>]>,
    issuer: Option<&'a str>,
    key_reference: Option<&'a str>,
    header: Option<&'a Header>,
}

impl<'a> KeyQuery<'a> {
    /// An empty query (no hint at all).
    #[must_use]
    pub const fn new() -> Self {
        Self {
            kid: None,
            x5c: None,
            issuer: None,
            key_reference: None,
            header: None,
        }
    }

    /// The query of a JOSE header: its `kid`, its `x5c` and the header itself.
    #[must_use]
    pub fn from_header(header: &'a Header) -> Self {
        Self {
            kid: header.kid(),
            x5c: header.x5c(),
            header: Some(header),
            ..Self::new()
        }
    }

    /// Sets the key id.
    #[must_use]
    pub const fn with_kid(mut self, kid: &'a str) -> Self {
        self.kid = Some(kid);
        self
    }

    /// Sets the certificate chain as received: DER certificates, leaf first. An empty chain is
    /// recorded as none.
    #[must_use]
    pub const fn with_x5c(mut self, chain: &'a [Vec<u8>]) -> Self {
        self.x5c = if chain.is_empty() { None } else { Some(chain) };
        self
    }

    /// Sets the token's issuer (`iss`).
    #[must_use]
    pub const fn with_issuer(mut self, issuer: &'a str) -> Self {
        self.issuer = Some(issuer);
        self
    }

    /// Sets the key reference of the verifier's configuration (for example a KMS key id).
    /// Unlike the other members it comes from the configuration, not from the token.
    #[must_use]
    pub const fn with_key_reference(mut self, key_reference: &'a str) -> Self {
        self.key_reference = Some(key_reference);
        self
    }

    /// Sets the JOSE header (without changing `kid` or `x5c`).
    #[must_use]
    pub const fn with_header(mut self, header: &'a Header) -> Self {
        self.header = Some(header);
        self
    }

    /// The key id the token names, if any.
    #[must_use]
    pub const fn kid(&self) -> Option<&'a str> {
        self.kid
    }

    /// The received certificate chain (DER, leaf first), if any; never empty.
    #[must_use]
    pub const fn x5c(&self) -> Option<&'a [Vec<u8>]> {
        self.x5c
    }

    /// The token's issuer, if any.
    #[must_use]
    pub const fn issuer(&self) -> Option<&'a str> {
        self.issuer
    }

    /// The configured key reference, if any.
    #[must_use]
    pub const fn key_reference(&self) -> Option<&'a str> {
        self.key_reference
    }

    /// The JOSE header, if the token has one.
    #[must_use]
    pub const fn header(&self) -> Option<&'a Header> {
        self.header
    }
}

/// Why a [`KeyLookup`] gave no key.
///
/// [`NoTrustedKey`](Self::NoTrustedKey) is about the token (a verifier answers it as a bad
/// token or client); [`Unavailable`](Self::Unavailable) is about the server (a KMS or
/// directory that cannot be reached, a broken trust store): verifiers report it as a server
/// fault, never as "token refused".
///
/// Equality compares the variant, the reason and the cause's message.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum KeyLookupError {
    /// No key this source trusts fits the token: the client's fault.
    NoTrustedKey {
        /// Why, without secrets.
        reason: String,
        /// The typed cause, if any (for example a `trust_x509::Error`); a verifier may
        /// downcast it to report its own typed error.
        cause: Option<Arc<dyn core::error::Error + Send + Sync>>,
    },
    /// The source cannot answer now: the server's fault.
    Unavailable {
        /// Why, without secrets.
        reason: String,
    },
}

impl KeyLookupError {
    /// [`Self::NoTrustedKey`] without a typed cause.
    #[must_use]
    pub fn no_trusted_key(reason: impl Into<String>) -> Self {
        Self::NoTrustedKey {
            reason: reason.into(),
            cause: None,
        }
    }

    /// [`Self::NoTrustedKey`] caused by `cause`; the reason is its message.
    #[must_use]
    pub fn untrusted(cause: impl core::error::Error + Send + Sync + 'static) -> Self {
        Self::NoTrustedKey {
            reason: cause.to_string(),
            cause: Some(Arc::new(cause)),
        }
    }

    /// [`Self::Unavailable`].
    #[must_use]
    pub fn unavailable(reason: impl Into<String>) -> Self {
        Self::Unavailable {
            reason: reason.into(),
        }
    }

    /// Whether this is the server's fault ([`Self::Unavailable`]).
    #[must_use]
    pub const fn is_unavailable(&self) -> bool {
        matches!(self, Self::Unavailable { .. })
    }

    /// The reason.
    #[must_use]
    pub fn reason(&self) -> &str {
        match self {
            Self::NoTrustedKey { reason, .. } | Self::Unavailable { reason } => reason,
        }
    }

    /// The typed cause, if it is a `T`.
    #[must_use]
    pub fn cause<T: core::error::Error + 'static>(&self) -> Option<&T> {
        match self {
            Self::NoTrustedKey {
                cause: Some(cause), ..
            } => {
                let cause: &(dyn core::error::Error + 'static) = cause.as_ref();
                cause.downcast_ref::<T>()
            }
            _ => None,
        }
    }
}

impl PartialEq for KeyLookupError {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (
                Self::NoTrustedKey {
                    reason: a,
                    cause: ca,
                },
                Self::NoTrustedKey {
                    reason: b,
                    cause: cb,
                },
            ) => {
                a == b
                    && ca.as_ref().map(ToString::to_string) == cb.as_ref().map(ToString::to_string)
            }
            (Self::Unavailable { reason: a }, Self::Unavailable { reason: b }) => a == b,
            _ => false,
        }
    }
}

impl Eq for KeyLookupError {}

impl core::fmt::Display for KeyLookupError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::NoTrustedKey { reason, .. } => write!(f, "no trusted key: {reason}"),
            Self::Unavailable { reason } => write!(f, "key source unavailable: {reason}"),
        }
    }
}

impl core::error::Error for KeyLookupError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::NoTrustedKey {
                cause: Some(cause), ..
            } => Some(cause.as_ref()),
            _ => None,
        }
    }
}

/// Where a verifier gets the keys that may have signed a token.
///
/// It must not let the token choose how keys are discovered: the query is only a hint to
/// select among keys the implementation already trusts (or a chain it validates).
pub trait KeyLookup: Send + Sync {
    /// The candidate keys, in the order the verifier tries them; never empty on success.
    ///
    /// # Errors
    /// [`KeyLookupError::NoTrustedKey`] when no trusted key fits the query,
    /// [`KeyLookupError::Unavailable`] when the source cannot answer.
    fn keys(&self, query: &KeyQuery<'_>, now: UnixTime) -> Result<Vec<PublicJwk>, KeyLookupError>;
}

/// Keys whose `kid` equals the query's (keys without `kid` match any), or all keys when the
/// query names none.
fn select(keys: &[PublicJwk], kid: Option<&str>) -> Result<Vec<PublicJwk>, KeyLookupError> {
    let chosen: Vec<PublicJwk> = keys
        .iter()
        .filter(|key| match (kid, key.kid()) {
            (Some(wanted), Some(have)) => wanted == have,
            _ => true,
        })
        .cloned()
        .collect();
    if chosen.is_empty() {
        return Err(KeyLookupError::no_trusted_key(if kid.is_some() {
            "no configured key matches the kid"
        } else {
            "no key is configured"
        }));
    }
    Ok(chosen)
}

/// A fixed set of trusted keys (for example from configuration), selected by `kid`.
///
/// A query with a `kid` gets the keys with that `kid` and the keys without one; a query
/// without a `kid` gets every key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StaticKeys {
    keys: Vec<PublicJwk>,
}

impl StaticKeys {
    /// These keys.
    #[must_use]
    pub const fn new(keys: Vec<PublicJwk>) -> Self {
        Self { keys }
    }

    /// The configured keys.
    #[must_use]
    pub fn as_slice(&self) -> &[PublicJwk] {
        &self.keys
    }
}

impl From<PublicJwk> for StaticKeys {
    fn from(key: PublicJwk) -> Self {
        Self::new(vec![key])
    }
}

impl KeyLookup for StaticKeys {
    fn keys(&self, query: &KeyQuery<'_>, _now: UnixTime) -> Result<Vec<PublicJwk>, KeyLookupError> {
        select(&self.keys, query.kid())
    }
}

/// The depth a JWK Set document may nest to (`{"keys":[{"x5c":[..]}]}` is 4).
const JWKS_MAX_DEPTH: usize = 8;

/// A JWK Set (RFC 7517 §5) fetched by the caller, parsed from bytes; keys are selected by `kid`
/// like [`StaticKeys`].
///
/// ```
/// use jose_core::keys::{JwkSet, KeyLookup, KeyQuery};
/// let jwks = JwkSet::from_json(br#"{"keys":[{"kty":"EC","crv":"P-256","kid":"a",
///   "x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
///   "y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}"#)?;
/// let now = jose_core::UnixTime::from_secs(0);
/// assert_eq!(jwks.keys(&KeyQuery::new().with_kid("a"), now).map(|k| k.len()), Ok(1));
/// # Ok::<(), jose_core::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JwkSet {
    keys: StaticKeys,
}

impl JwkSet {
    /// Parses a JWK Set document (strict JSON, an object with a `keys` array of public JWKs).
    ///
    /// # Errors
    /// [`Error::InvalidKey`] when the document is not a strict JSON object with a `keys`
    /// array, or the error of the first key that is not a valid public JWK.
    pub fn from_json(document: &[u8]) -> Result<Self, Error> {
        let value =
            crate::json::parse_value(document, JWKS_MAX_DEPTH).map_err(|_| Error::InvalidKey {
                reason: "JWK Set is not strict JSON",
            })?;
        Self::from_value(&value)
    }

    /// A JWK Set from a parsed JSON value.
    ///
    /// # Errors
    /// As [`Self::from_json`].
    pub fn from_value(value: &Value) -> Result<Self, Error> {
        let Some(Value::Array(keys)) = value.get("keys") else {
            return Err(Error::InvalidKey {
                reason: "JWK Set has no keys array",
            });
        };
        let keys = keys
            .iter()
            .map(PublicJwk::from_value)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            keys: StaticKeys::new(keys),
        })
    }

    /// The keys of the set.
    #[must_use]
    pub fn as_slice(&self) -> &[PublicJwk] {
        self.keys.as_slice()
    }
}

impl KeyLookup for JwkSet {
    fn keys(&self, query: &KeyQuery<'_>, now: UnixTime) -> Result<Vec<PublicJwk>, KeyLookupError> {
        self.keys.keys(query, now)
    }
}

/// A [`KeyLookup`] from a closure, for example over a KMS client's "get public key" call
/// (cache its answers: it runs on every verification). Return
/// [`KeyLookupError::Unavailable`] when the KMS cannot be reached.
///
/// ```
/// use jose_core::keys::{KeyFn, KeyLookup, KeyLookupError, KeyQuery};
/// let kms = KeyFn::new(|query: &KeyQuery<'_>, _now| match query.key_reference() {
///     Some("down") => Err(KeyLookupError::unavailable("KMS timeout")),
///     _ => Err(KeyLookupError::no_trusted_key("unknown key")),
/// });
/// let now = jose_core::UnixTime::from_secs(0);
/// let error = kms.keys(&KeyQuery::new().with_key_reference("down"), now).unwrap_err();
/// assert!(error.is_unavailable());
/// ```
pub struct KeyFn<F> {
    lookup: F,
}

impl<F> KeyFn<F>
where
    F: Fn(&KeyQuery<'_>, UnixTime) -> Result<Vec<PublicJwk>, KeyLookupError> + Send + Sync,
{
    /// Looks keys up with `lookup`.
    pub const fn new(lookup: F) -> Self {
        Self { lookup }
    }
}

impl<F> core::fmt::Debug for KeyFn<F> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("KeyFn")
    }
}

impl<F> KeyLookup for KeyFn<F>
where
    F: Fn(&KeyQuery<'_>, UnixTime) -> Result<Vec<PublicJwk>, KeyLookupError> + Send + Sync,
{
    fn keys(&self, query: &KeyQuery<'_>, now: UnixTime) -> Result<Vec<PublicJwk>, KeyLookupError> {
        (self.lookup)(query, now)
    }
}

impl<T: KeyLookup + ?Sized> KeyLookup for Arc<T> {
    fn keys(&self, query: &KeyQuery<'_>, now: UnixTime) -> Result<Vec<PublicJwk>, KeyLookupError> {
        (**self).keys(query, now)
    }
}

impl<T: KeyLookup + ?Sized> KeyLookup for Box<T> {
    fn keys(&self, query: &KeyQuery<'_>, now: UnixTime) -> Result<Vec<PublicJwk>, KeyLookupError> {
        (**self).keys(query, now)
    }
}

impl<T: KeyLookup + ?Sized> KeyLookup for &T {
    fn keys(&self, query: &KeyQuery<'_>, now: UnixTime) -> Result<Vec<PublicJwk>, KeyLookupError> {
        (**self).keys(query, now)
    }
}

#[cfg(test)]
mod tests;
