//! Where the verifier gets the issuer's key (RFC 9901 §7.1 step 2.c, SD-JWT VC §2.5): the
//! workspace's one key lookup seam, [`jose_core::KeyLookup`]. This module adds the SD-JWT VC
//! source (JWT VC Issuer Metadata) and maps lookup errors to [`Error`].

use jose_core::keys::{JwkSet, KeyLookup, KeyLookupError, KeyQuery, StaticKeys};
use jose_core::{Header, PublicJwk, UnixTime};
use serde_json::Value;

use crate::error::Error;

/// The query for the issuer-signed JWT: its header (`kid`, `x5c`), the payload's `iss`, and,
/// when the protected header has no `kid`, the unprotected one of a JWS JSON serialization
/// (a hint only).
pub(crate) fn query<'a>(
    header: &'a Header,
    issuer: Option<&'a str>,
    unprotected_kid: Option<&'a str>,
) -> KeyQuery<'a> {
    let mut query = KeyQuery::from_header(header);
    if let Some(iss) = issuer {
        query = query.with_issuer(iss);
    }
    if let (None, Some(kid)) = (header.kid(), unprotected_kid) {
        query = query.with_kid(kid);
    }
    query
}

/// The verifier's error for a key lookup that gave no key: the typed cause when it is this
/// crate's [`Error`] (the [`X5cTrust`](crate::X5cTrust) adapter) or a `trust_x509::Error`
/// ([`Error::X509`]); [`Error::IssuerKey`] for any other untrusted token;
/// [`Error::KeyLookupUnavailable`] when the source cannot answer.
pub(crate) fn lookup_error(error: &KeyLookupError) -> Error {
    if let Some(own) = error.cause::<Error>() {
        return own.clone();
    }
    #[cfg(feature = "x509")]
    if let Some(x509) = error.cause::<trust_x509::Error>() {
        return Error::X509(x509.clone());
    }
    match error {
        KeyLookupError::Unavailable { reason } => Error::KeyLookupUnavailable {
            reason: reason.clone(),
        },
        other => Error::IssuerKey {
            reason: other.reason().to_owned(),
        },
    }
}

/// JWT VC Issuer Metadata (SD-JWT VC §4): the document fetched by the caller from
/// `/.well-known/jwt-vc-issuer`, parsed from bytes. It applies only to SD-JWTs whose `iss`
/// equals its `issuer`; keys are then selected by `kid` like
/// [`StaticKeys`](jose_core::keys::StaticKeys).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuerMetadata {
    issuer: String,
    keys: StaticKeys,
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
            keys: StaticKeys::new(keys),
        }
    }

    /// The document with an inline `jwks`, `{"issuer": …, "jwks": {"keys": […]}}`, which
    /// [`Self::from_json`] reads back.
    #[must_use]
    pub fn to_value(&self) -> Value {
        let keys: Vec<Value> = self
            .keys
            .as_slice()
            .iter()
            .map(PublicJwk::to_value)
            .collect();
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
        self.keys.as_slice()
    }
}

fn parse_jwks(jwks: &Value) -> Result<StaticKeys, Error> {
    let set = JwkSet::from_value(jwks).map_err(|e| match e {
        jose_core::Error::InvalidKey {
            reason: "JWK Set has no keys array",
        } => metadata_err("jwks has no keys array"),
        other => metadata_err(&other.to_string()),
    })?;
    Ok(StaticKeys::new(set.as_slice().to_vec()))
}

impl KeyLookup for IssuerMetadata {
    fn keys(&self, query: &KeyQuery<'_>, now: UnixTime) -> Result<Vec<PublicJwk>, KeyLookupError> {
        if query.issuer() != Some(self.issuer.as_str()) {
            return Err(KeyLookupError::no_trusted_key(
                "issuer metadata: iss does not equal the metadata issuer",
            ));
        }
        self.keys.keys(query, now)
    }
}
