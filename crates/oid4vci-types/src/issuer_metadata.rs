//! Credential Issuer Metadata (OpenID4VCI 1.0 §12.2) and its signed form (§12.2.3).

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::configuration::CredentialConfiguration;
use crate::display::{Extra, IssuerDisplay};
use crate::error::{Error, MessageKind};
use crate::json;
use crate::limits::Limits;
use crate::well_known::check_issuer_identifier;

/// The `typ` of signed issuer metadata (§12.2.3).
pub const SIGNED_METADATA_TYP: &str = "openidvci-issuer-metadata+jwt";

/// Credential Issuer Metadata (§12.2.4).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CredentialIssuerMetadata {
    /// REQUIRED. The issuer identifier (https, no query, no fragment).
    pub credential_issuer: String,
    /// Authorization servers; absent means the issuer is its own AS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_servers: Option<Vec<String>>,
    /// REQUIRED. The credential endpoint.
    pub credential_endpoint: String,
    /// The nonce endpoint (absent: no `c_nonce` is used).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce_endpoint: Option<String>,
    /// The deferred credential endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deferred_credential_endpoint: Option<String>,
    /// The notification endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_endpoint: Option<String>,
    /// Encryption of credential requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_request_encryption: Option<RequestEncryptionMetadata>,
    /// Encryption of credential responses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_response_encryption: Option<ResponseEncryptionMetadata>,
    /// Batch issuance: the maximum length of `proofs`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_credential_issuance: Option<BatchCredentialIssuance>,
    /// Localized display properties of the issuer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<Vec<IssuerDisplay>>,
    /// REQUIRED. Configurations by id.
    pub credential_configurations_supported: BTreeMap<String, CredentialConfiguration>,
    /// Unknown members.
    #[serde(flatten)]
    pub extra: Extra,
}

impl CredentialIssuerMetadata {
    /// Metadata with the REQUIRED members and no configuration yet.
    #[must_use]
    pub fn new(credential_issuer: &str, credential_endpoint: &str) -> Self {
        Self {
            credential_issuer: credential_issuer.into(),
            authorization_servers: None,
            credential_endpoint: credential_endpoint.into(),
            nonce_endpoint: None,
            deferred_credential_endpoint: None,
            notification_endpoint: None,
            credential_request_encryption: None,
            credential_response_encryption: None,
            batch_credential_issuance: None,
            display: None,
            credential_configurations_supported: BTreeMap::new(),
            extra: Extra::new(),
        }
    }

    /// Parses and [checks](Self::check) a metadata document with the default limits.
    ///
    /// # Errors
    ///
    /// Any JSON error, a missing REQUIRED member, or an error from [`Self::check`].
    pub fn from_json(bytes: &[u8]) -> Result<Self, Error> {
        Self::from_json_with(bytes, &Limits::default())
    }

    /// Like [`Self::from_json`] with explicit limits (`max_metadata_len` applies).
    ///
    /// # Errors
    ///
    /// As [`Self::from_json`].
    pub fn from_json_with(bytes: &[u8], limits: &Limits) -> Result<Self, Error> {
        let meta: Self = json::parse_typed(
            bytes,
            limits.max_metadata_len,
            limits.max_json_depth,
            MessageKind::CredentialIssuerMetadata,
        )?;
        meta.check()?;
        Ok(meta)
    }

    /// Serializes to a JSON value.
    #[must_use]
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// Checks the rules serde cannot: `credential_issuer` is an https URL without query or
    /// fragment, `authorization_servers` is non-empty, `batch_size` is at least 2, every
    /// request-encryption key has a `kid`, and every configuration passes
    /// [`CredentialConfiguration::check`].
    ///
    /// # Errors
    ///
    /// [`Error::InvalidUrl`], [`Error::EmptyArray`], [`Error::BatchSizeTooSmall`],
    /// [`Error::MissingMember`], [`Error::WrongAlgorithmKind`], [`Error::DuplicateClaimPath`].
    pub fn check(&self) -> Result<(), Error> {
        check_issuer_identifier(&self.credential_issuer, "credential_issuer")?;
        if self
            .authorization_servers
            .as_ref()
            .is_some_and(Vec::is_empty)
        {
            return Err(Error::EmptyArray {
                message: MessageKind::CredentialIssuerMetadata,
                member: "authorization_servers",
            });
        }
        if let Some(batch) = &self.batch_credential_issuance
            && batch.batch_size < 2
        {
            return Err(Error::BatchSizeTooSmall {
                batch_size: batch.batch_size,
            });
        }
        if let Some(enc) = &self.credential_request_encryption
            && enc.jwks.keys.iter().any(|k| !k.contains_key("kid"))
        {
            return Err(Error::MissingMember {
                message: MessageKind::CredentialIssuerMetadata,
                member: "credential_request_encryption.jwks.keys[].kid".into(),
            });
        }
        for (id, config) in &self.credential_configurations_supported {
            config.check(id)?;
        }
        Ok(())
    }

    /// The largest number of proofs one request may carry: `batch_size`, or 1 without batch
    /// issuance (§8.2).
    #[must_use]
    pub fn max_proofs(&self) -> u64 {
        self.batch_credential_issuance
            .as_ref()
            .map_or(1, |b| b.batch_size)
    }
}

/// `credential_request_encryption` (§12.2.4).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RequestEncryptionMetadata {
    /// REQUIRED. The issuer's encryption keys as a JWK Set (each key with a `kid`).
    pub jwks: JwkSet,
    /// REQUIRED. Supported JWE `enc` values.
    pub enc_values_supported: Vec<String>,
    /// Supported JWE `zip` values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zip_values_supported: Option<Vec<String>>,
    /// REQUIRED. Whether plaintext requests are refused.
    pub encryption_required: bool,
    /// Unknown members.
    #[serde(flatten)]
    pub extra: Extra,
}

impl RequestEncryptionMetadata {
    /// `credential_request_encryption` with the issuer's keys (each needs a `kid`), the `enc`
    /// values it decrypts, and whether plaintext requests are refused; no `zip`.
    #[must_use]
    pub fn new(jwks: JwkSet, enc_values_supported: Vec<String>, encryption_required: bool) -> Self {
        Self {
            jwks,
            enc_values_supported,
            zip_values_supported: None,
            encryption_required,
            extra: Extra::new(),
        }
    }

    /// Sets `zip_values_supported`.
    #[must_use]
    pub fn with_zip_values(mut self, zip_values_supported: Vec<String>) -> Self {
        self.zip_values_supported = Some(zip_values_supported);
        self
    }
}

/// A JWK Set (RFC 7517 §5). Keys are kept as JSON objects; this crate does no cryptography.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct JwkSet {
    /// REQUIRED. The keys.
    pub keys: Vec<Map<String, Value>>,
    /// Unknown members.
    #[serde(flatten)]
    pub extra: Extra,
}

impl JwkSet {
    /// A set of `keys` (public JWKs as JSON objects).
    #[must_use]
    pub fn new(keys: Vec<Map<String, Value>>) -> Self {
        Self {
            keys,
            extra: Extra::new(),
        }
    }
}

/// `credential_response_encryption` metadata (§12.2.4).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ResponseEncryptionMetadata {
    /// REQUIRED. Supported JWE `alg` values.
    pub alg_values_supported: Vec<String>,
    /// REQUIRED. Supported JWE `enc` values.
    pub enc_values_supported: Vec<String>,
    /// Supported JWE `zip` values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zip_values_supported: Option<Vec<String>>,
    /// REQUIRED. Whether responses are always encrypted.
    pub encryption_required: bool,
    /// Unknown members.
    #[serde(flatten)]
    pub extra: Extra,
}

impl ResponseEncryptionMetadata {
    /// `credential_response_encryption` with the JWE `alg` and `enc` values the issuer
    /// encrypts with, and whether every response is encrypted; no `zip`.
    #[must_use]
    pub fn new(
        alg_values_supported: Vec<String>,
        enc_values_supported: Vec<String>,
        encryption_required: bool,
    ) -> Self {
        Self {
            alg_values_supported,
            enc_values_supported,
            zip_values_supported: None,
            encryption_required,
            extra: Extra::new(),
        }
    }

    /// Sets `zip_values_supported`.
    #[must_use]
    pub fn with_zip_values(mut self, zip_values_supported: Vec<String>) -> Self {
        self.zip_values_supported = Some(zip_values_supported);
        self
    }
}

/// `batch_credential_issuance` (§12.2.4).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BatchCredentialIssuance {
    /// REQUIRED. Maximum array size of `proofs`; at least 2.
    pub batch_size: u64,
    /// Unknown members.
    #[serde(flatten)]
    pub extra: Extra,
}

impl BatchCredentialIssuance {
    /// A batch size.
    #[must_use]
    pub fn new(batch_size: u64) -> Self {
        Self {
            batch_size,
            extra: Extra::new(),
        }
    }
}

/// The claims of signed issuer metadata (§12.2.3): `sub` (= `credential_issuer`), `iat`,
/// optional `iss` and `exp`, and every metadata parameter as a top-level claim. Verify the
/// JWT (typ [`SIGNED_METADATA_TYP`]) with `jose-core` first, then pass its claims here.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SignedMetadataClaims {
    /// REQUIRED. The issuer identifier.
    pub sub: String,
    /// REQUIRED. Issued-at, seconds since the epoch.
    pub iat: i64,
    /// The signer, if it is not the issuer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// Expiry, seconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    /// The metadata parameters.
    #[serde(flatten)]
    pub metadata: CredentialIssuerMetadata,
}

impl SignedMetadataClaims {
    /// Reads the claims of a verified signed-metadata JWT and checks them.
    ///
    /// # Errors
    ///
    /// A missing or mistyped claim, [`Error::SignedMetadataSubjectMismatch`] when `sub`
    /// differs from `credential_issuer`, or an error of [`CredentialIssuerMetadata::check`].
    pub fn from_claims(claims: Map<String, Value>) -> Result<Self, Error> {
        let signed: Self = json::from_value(Value::Object(claims), MessageKind::SignedMetadata)?;
        if signed.sub != signed.metadata.credential_issuer {
            return Err(Error::SignedMetadataSubjectMismatch);
        }
        signed.metadata.check()?;
        Ok(signed)
    }
}
