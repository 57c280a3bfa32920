//! Where the verifier gets the issuer's key (RFC 9901 §7.1 step 2.c, SD-JWT VC §2.5): a
//! caller-supplied [`IssuerKeyResolver`], with static keys, JWT VC Issuer Metadata and `x5c`
//! adapters.

use jose_core::{Header, PublicJwk, UnixTime};
use serde_json::Value;

use crate::error::Error;

/// What the resolver is told about the SD-JWT being verified. Nothing here is trusted yet: the
/// key it returns is what makes it so.
#[derive(Clone, Copy, Debug)]
pub struct KeyRequest<'a> {
    header: &'a Header,
    issuer: Option<&'a str>,
    unprotected_kid: Option<&'a str>,
    now: UnixTime,
}

impl<'a> KeyRequest<'a> {
    /// The protected header of the issuer-signed JWT.
    #[must_use]
    pub const fn header(&self) -> &'a Header {
        self.header
    }

    /// The payload's `iss`, if it is a string.
    #[must_use]
    pub const fn issuer(&self) -> Option<&'a str> {
        self.issuer
    }

    /// The protected `kid`, or else the unprotected one of a JWS JSON serialization (a hint only).
    #[must_use]
    pub fn kid(&self) -> Option<&'a str> {
        self.header.kid().or(self.unprotected_kid)
    }

    /// The verification time (for certificate validity, key rotation windows).
    #[must_use]
    pub const fn now(&self) -> UnixTime {
        self.now
    }
}

/// Resolves the keys that may have signed an SD-JWT. Implement it for the caller's trust
/// policy; it must not let the token choose the key-discovery method for an issuer (SD-JWT VC
/// §7). Closures `Fn(&KeyRequest<'_>) -> Result<Vec<PublicJwk>, Error>` implement it.
pub trait IssuerKeyResolver {
    /// The candidate keys, tried in order.
    ///
    /// # Errors
    /// [`Error::IssuerKey`] (or any error) when no key can be trusted for this request.
    fn resolve(&self, request: &KeyRequest<'_>) -> Result<Vec<PublicJwk>, Error>;
}

impl<F: Fn(&KeyRequest<'_>) -> Result<Vec<PublicJwk>, Error>> IssuerKeyResolver for F {
    fn resolve(&self, request: &KeyRequest<'_>) -> Result<Vec<PublicJwk>, Error> {
        self(request)
    }
}

pub(crate) const fn request<'a>(
    header: &'a Header,
    issuer: Option<&'a str>,
    unprotected_kid: Option<&'a str>,
    now: UnixTime,
) -> KeyRequest<'a> {
    KeyRequest {
        header,
        issuer,
        unprotected_kid,
        now,
    }
}

/// Keys with a matching `kid` (keys without `kid` match any), or all keys when there is no `kid`.
fn select(keys: &[PublicJwk], kid: Option<&str>) -> Result<Vec<PublicJwk>, Error> {
    let chosen: Vec<PublicJwk> = keys
        .iter()
        .filter(|key| match (kid, key.kid()) {
            (Some(wanted), Some(have)) => wanted == have,
            _ => true,
        })
        .cloned()
        .collect();
    if chosen.is_empty() {
        return Err(Error::IssuerKey {
            reason: "no configured key matches the kid".into(),
        });
    }
    Ok(chosen)
}

/// A fixed set of trusted issuer keys (for example from configuration).
///
/// ```
/// use jose_core::{Algorithm, LocalSigner, SystemRandom};
/// let key = LocalSigner::generate(Algorithm::Es256, &SystemRandom::new())?.public_jwk();
/// let keys = sdjwt_vc::StaticKeys::new(vec![key.with_kid("k1")]);
/// assert_eq!(keys.keys().len(), 1);
/// # Ok::<(), jose_core::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaticKeys {
    keys: Vec<PublicJwk>,
}

impl StaticKeys {
    /// These keys.
    #[must_use]
    pub const fn new(keys: Vec<PublicJwk>) -> Self {
        Self { keys }
    }

    /// The keys.
    #[must_use]
    pub fn keys(&self) -> &[PublicJwk] {
        &self.keys
    }
}

impl IssuerKeyResolver for StaticKeys {
    fn resolve(&self, request: &KeyRequest<'_>) -> Result<Vec<PublicJwk>, Error> {
        select(&self.keys, request.kid())
    }
}

/// JWT VC Issuer Metadata (SD-JWT VC §4): the document fetched by the caller from
/// `/.well-known/jwt-vc-issuer`, parsed from bytes. It applies only to SD-JWTs whose `iss`
/// equals its `issuer`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuerMetadata {
    issuer: String,
    keys: Vec<PublicJwk>,
}

fn metadata_err(reason: &str) -> Error {
    Error::IssuerKey {
        reason: format!("issuer metadata: {reason}"),
    }
}

impl IssuerMetadata {
    /// The metadata of `issuer` with inline `keys`: what an issuer serves at
    /// `/.well-known/jwt-vc-issuer` (write it with [`Self::to_value`]).
    #[must_use]
    pub fn new(issuer: impl Into<String>, keys: Vec<PublicJwk>) -> Self {
        Self {
            issuer: issuer.into(),
            keys,
        }
    }

    /// The document with an inline `jwks`, `{"issuer": …, "jwks": {"keys": […]}}`, which
    /// [`Self::from_json`] reads back.
    #[must_use]
    pub fn to_value(&self) -> Value {
        let keys: Vec<Value> = self.keys.iter().map(PublicJwk::to_value).collect();
        let mut jwks = serde_json::Map::new();
        jwks.insert("keys".into(), Value::Array(keys));
        let mut document = serde_json::Map::new();
        document.insert("issuer".into(), Value::String(self.issuer.clone()));
        document.insert("jwks".into(), Value::Object(jwks));
        Value::Object(document)
    }

    /// Parses a metadata document with an inline `jwks`.
    ///
    /// # Errors
    /// [`Error::IssuerKey`] when it is not strict JSON, lacks `issuer`, has both or neither of
    /// `jwks` and `jwks_uri`, has only `jwks_uri` (fetch it and use [`Self::from_parts`]), or a
    /// key is not a valid public JWK.
    pub fn from_json(document: &[u8]) -> Result<Self, Error> {
        let object = jose_core::json::parse_object(document, 8)
            .map_err(|_| metadata_err("not a strict JSON object"))?;
        let Some(Value::String(issuer)) = object.get("issuer") else {
            return Err(metadata_err("issuer is missing or not a string"));
        };
        match (object.get("jwks"), object.get("jwks_uri")) {
            (Some(jwks), None) => Ok(Self {
                issuer: issuer.clone(),
                keys: parse_jwks(jwks)?,
            }),
            (None, Some(_)) => Err(metadata_err("only jwks_uri: fetch it and use from_parts")),
            _ => Err(metadata_err("exactly one of jwks and jwks_uri is required")),
        }
    }

    /// The metadata of `issuer` with a JWK Set document fetched from its `jwks_uri`.
    ///
    /// # Errors
    /// [`Error::IssuerKey`] when the JWK Set is malformed.
    pub fn from_parts(issuer: impl Into<String>, jwks: &[u8]) -> Result<Self, Error> {
        let value = jose_core::json::parse_value(jwks, 8)
            .map_err(|_| metadata_err("JWK Set is not strict JSON"))?;
        Ok(Self {
            issuer: issuer.into(),
            keys: parse_jwks(&value)?,
        })
    }

    /// `issuer`.
    #[must_use]
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The keys.
    #[must_use]
    pub fn keys(&self) -> &[PublicJwk] {
        &self.keys
    }
}

fn parse_jwks(jwks: &Value) -> Result<Vec<PublicJwk>, Error> {
    let Some(Value::Array(keys)) = jwks.get("keys") else {
        return Err(metadata_err("jwks has no keys array"));
    };
    keys.iter()
        .map(|key| PublicJwk::from_value(key).map_err(|e| metadata_err(&e.to_string())))
        .collect()
}

impl IssuerKeyResolver for IssuerMetadata {
    fn resolve(&self, request: &KeyRequest<'_>) -> Result<Vec<PublicJwk>, Error> {
        if request.issuer() != Some(self.issuer.as_str()) {
            return Err(metadata_err("iss does not equal the metadata issuer"));
        }
        select(&self.keys, request.kid())
    }
}

/// Trusts the leaf key of the `x5c` header after a caller-supplied chain validation (for
/// example `trust-x509` path validation to the issuer's anchors at `now`).
///
/// The closure receives the DER certificates, leaf first, and the payload `iss`; it returns
/// the leaf's public key only if the chain is trusted for that issuer.
pub struct X5cResolver<F> {
    validate: F,
}

impl<F> core::fmt::Debug for X5cResolver<F> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("X5cResolver")
    }
}

impl<F: Fn(&[Vec<u8>], Option<&str>) -> Result<PublicJwk, Error>> X5cResolver<F> {
    /// With this chain validator.
    pub const fn new(validate: F) -> Self {
        Self { validate }
    }
}

impl<F: Fn(&[Vec<u8>], Option<&str>) -> Result<PublicJwk, Error>> IssuerKeyResolver
    for X5cResolver<F>
{
    fn resolve(&self, request: &KeyRequest<'_>) -> Result<Vec<PublicJwk>, Error> {
        let chain = request.header().x5c().ok_or_else(|| Error::IssuerKey {
            reason: "no x5c header".into(),
        })?;
        (self.validate)(chain, request.issuer()).map(|key| vec![key])
    }
}
