//! The issuer's attestation policy: the `clientAttestationConfig` JSON object.

use jose_core::PublicJwk;
use serde_json::{Map, Value};

use crate::error::ConfigError;
#[cfg(feature = "x509")]
use crate::limits::DEFAULT_MAX_TRUSTED_ROOTS;
use crate::limits::{
    DEFAULT_CLOCK_SKEW_SECONDS, DEFAULT_MAX_CONFIG_LEN, DEFAULT_REPLAY_WINDOW_SECONDS,
    MAX_ADDITIONAL_ATTESTER_KEYS, MAX_CONFIGURED_SECONDS,
};

/// How the issuer decides that an attestation was signed by a trusted Client Attester.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerificationMethod {
    /// `{"type":"static-jwk","jwk":{...},"additionalJwks":[{...}]}`: configured public keys.
    ///
    /// An attestation verifies if any of `jwk` and `additional_jwks` verifies its signature:
    /// during a key transition, configure the new key beside the old one, then remove the old
    /// one once no attestation signed by it is still valid. When the attestation's `kid`
    /// equals the `kid` of a configured key, only that key is tried; otherwise each key in
    /// order.
    StaticJwk {
        /// The attester's public key.
        jwk: PublicJwk,
        /// `additionalJwks` (optional, default empty): more trusted attester keys, at most
        /// [`MAX_ADDITIONAL_ATTESTER_KEYS`], none the same key (JWK thumbprint) or the same
        /// `kid` as `jwk` or an earlier entry.
        additional_jwks: Vec<PublicJwk>,
    },
    /// `{"type":"kms-key","keyReference":"...","additionalKeyReferences":["..."]}`: keys the
    /// caller's [`KeyLookup`](jose_core::KeyLookup) returns for queries carrying these
    /// references.
    ///
    /// An attestation verifies if a key of any reference verifies its signature (the key
    /// transition mechanism, as for `static-jwk`); each reference is queried in order.
    KmsKey {
        /// The opaque reference (an ARN, a key URI, a key id).
        key_reference: String,
        /// `additionalKeyReferences` (optional, default empty): more references, non-empty,
        /// at most [`MAX_ADDITIONAL_ATTESTER_KEYS`], no two equal (nor equal to
        /// `key_reference`).
        additional_key_references: Vec<String>,
    },
    /// `{"type":"x509-chain","trustedRootCertificatesPem":[...]}`: the attestation carries `x5c`,
    /// which must chain to one of these roots.
    ///
    /// Several roots are also the key transition mechanism of this method: configure the new
    /// root beside the old one, and remove the old one when no attester certificate chaining
    /// to it is still in use.
    X509Chain {
        /// The trusted roots, DER, decoded from the configured PEM.
        trusted_roots_der: Vec<Vec<u8>>,
    },
}

impl VerificationMethod {
    /// Which kind of method this is.
    #[must_use]
    pub const fn kind(&self) -> MethodKind {
        match self {
            Self::StaticJwk { .. } => MethodKind::StaticJwk,
            Self::KmsKey { .. } => MethodKind::KmsKey,
            Self::X509Chain { .. } => MethodKind::X509Chain,
        }
    }
}

/// The kind of a [`VerificationMethod`], as reported in a verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MethodKind {
    /// `static-jwk`.
    StaticJwk,
    /// `kms-key`.
    KmsKey,
    /// `x509-chain`.
    X509Chain,
}

impl MethodKind {
    /// The configuration's `type` string.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::StaticJwk => "static-jwk",
            Self::KmsKey => "kms-key",
            Self::X509Chain => "x509-chain",
        }
    }
}

/// The `clientAttestationConfig` object.
///
/// ```
/// use attestation_jwt::{ClientAttestationConfig, MethodKind};
/// let config = ClientAttestationConfig::from_json(br#"{
///   "verificationMethod": {"type": "kms-key", "keyReference": "arn:aws:kms:eu-west-1:1:key/a"}
/// }"#)?;
/// assert!(config.required);
/// assert_eq!(config.clock_skew_seconds, 300);
/// assert_eq!(config.verification_method.kind(), MethodKind::KmsKey);
/// # Ok::<(), attestation_jwt::Error>(())
/// ```
///
/// Parsing is strict: duplicate member names, members this crate does not know (a typo such as
/// `clockSkewSecond` would otherwise silently fall back to a default), wrong JSON types, an
/// unknown method `type`, a private key in `jwk`, and seconds above [`MAX_CONFIGURED_SECONDS`]
/// are all errors.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientAttestationConfig {
    /// `required` (default `true`). `false` is lenient mode: absent and invalid attestations are
    /// accepted, and the verdict says why.
    pub required: bool,
    /// `verificationMethod`.
    pub verification_method: VerificationMethod,
    /// `clockSkewSeconds` (default 300).
    pub clock_skew_seconds: u64,
    /// `replayWindowSeconds` (default 300): how old a PoP `iat` may be, and how long a `jti` is
    /// remembered (plus the skew).
    pub replay_window_seconds: u64,
    /// `challengeRequired` (default `false`): every PoP must carry a challenge this server issued.
    pub challenge_required: bool,
}

impl ClientAttestationConfig {
    /// A configuration with the defaults and the given method.
    #[must_use]
    pub const fn new(verification_method: VerificationMethod) -> Self {
        Self {
            required: true,
            verification_method,
            clock_skew_seconds: DEFAULT_CLOCK_SKEW_SECONDS,
            replay_window_seconds: DEFAULT_REPLAY_WINDOW_SECONDS,
            challenge_required: false,
        }
    }

    /// Sets `required`.
    #[must_use]
    pub const fn with_required(mut self, required: bool) -> Self {
        self.required = required;
        self
    }

    /// Sets `clockSkewSeconds`.
    #[must_use]
    pub const fn with_clock_skew_seconds(mut self, secs: u64) -> Self {
        self.clock_skew_seconds = secs;
        self
    }

    /// Sets `replayWindowSeconds`.
    #[must_use]
    pub const fn with_replay_window_seconds(mut self, secs: u64) -> Self {
        self.replay_window_seconds = secs;
        self
    }

    /// Sets `challengeRequired`.
    #[must_use]
    pub const fn with_challenge_required(mut self, required: bool) -> Self {
        self.challenge_required = required;
        self
    }

    /// Parses the JSON text of a `clientAttestationConfig` object.
    ///
    /// # Errors
    /// [`Error::Config`](crate::Error::Config) with the [`ConfigError`] saying what is wrong.
    pub fn from_json(bytes: &[u8]) -> Result<Self, crate::Error> {
        if bytes.len() > DEFAULT_MAX_CONFIG_LEN {
            return Err(ConfigError::TooLong {
                len: bytes.len(),
                max: DEFAULT_MAX_CONFIG_LEN,
            }
            .into());
        }
        let map = jose_core::json::parse_object(bytes, jose_core::DEFAULT_MAX_JSON_DEPTH)
            .map_err(ConfigError::Json)?;
        Ok(Self::from_map(&map)?)
    }

    /// Reads a configuration from an already parsed JSON object.
    ///
    /// # Errors
    /// The [`ConfigError`] saying what is wrong.
    pub fn from_map(map: &Map<String, Value>) -> Result<Self, ConfigError> {
        reject_unknown(
            map,
            &[
                "required",
                "verificationMethod",
                "clockSkewSeconds",
                "replayWindowSeconds",
                "challengeRequired",
            ],
            "",
        )?;
        let method = match map.get("verificationMethod") {
            Some(Value::Object(method)) => parse_method(method)?,
            Some(_) => return Err(invalid("verificationMethod")),
            None => {
                return Err(ConfigError::MissingField {
                    name: "verificationMethod",
                });
            }
        };
        Ok(Self {
            required: bool_field(map, "required", true)?,
            verification_method: method,
            clock_skew_seconds: seconds_field(map, "clockSkewSeconds", DEFAULT_CLOCK_SKEW_SECONDS)?,
            replay_window_seconds: seconds_field(
                map,
                "replayWindowSeconds",
                DEFAULT_REPLAY_WINDOW_SECONDS,
            )?,
            challenge_required: bool_field(map, "challengeRequired", false)?,
        })
    }
}

impl<'de> serde::Deserialize<'de> for ClientAttestationConfig {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = Map::<String, Value>::deserialize(deserializer)?;
        Self::from_map(&map).map_err(serde::de::Error::custom)
    }
}

fn parse_method(method: &Map<String, Value>) -> Result<VerificationMethod, ConfigError> {
    let kind = match method.get("type") {
        Some(Value::String(kind)) => kind.as_str(),
        Some(_) => return Err(invalid("verificationMethod.type")),
        None => {
            return Err(ConfigError::MissingField {
                name: "verificationMethod.type",
            });
        }
    };
    match kind {
        "static-jwk" => {
            reject_unknown(
                method,
                &["type", "jwk", ADDITIONAL_JWKS],
                "verificationMethod.",
            )?;
            let jwk = method.get("jwk").ok_or(ConfigError::MissingField {
                name: "verificationMethod.jwk",
            })?;
            let jwk = PublicJwk::from_value(jwk).map_err(ConfigError::InvalidJwk)?;
            let additional_jwks = additional_jwks(method.get(ADDITIONAL_JWKS), &jwk)?;
            Ok(VerificationMethod::StaticJwk {
                jwk,
                additional_jwks,
            })
        }
        "kms-key" => {
            reject_unknown(
                method,
                &["type", "keyReference", ADDITIONAL_KEY_REFERENCES],
                "verificationMethod.",
            )?;
            let key_reference = match method.get("keyReference") {
                Some(Value::String(reference)) if !reference.is_empty() => reference.clone(),
                Some(_) => return Err(invalid("verificationMethod.keyReference")),
                None => {
                    return Err(ConfigError::MissingField {
                        name: "verificationMethod.keyReference",
                    });
                }
            };
            let additional_key_references =
                additional_references(method.get(ADDITIONAL_KEY_REFERENCES), &key_reference)?;
            Ok(VerificationMethod::KmsKey {
                key_reference,
                additional_key_references,
            })
        }
        "x509-chain" => {
            reject_unknown(
                method,
                &["type", "trustedRootCertificatesPem"],
                "verificationMethod.",
            )?;
            let texts: Vec<&str> = match method.get("trustedRootCertificatesPem") {
                Some(Value::String(text)) => vec![text.as_str()],
                Some(Value::Array(items)) => items
                    .iter()
                    .map(Value::as_str)
                    .collect::<Option<_>>()
                    .ok_or_else(|| invalid("verificationMethod.trustedRootCertificatesPem"))?,
                Some(_) => return Err(invalid("verificationMethod.trustedRootCertificatesPem")),
                None => {
                    return Err(ConfigError::MissingField {
                        name: "verificationMethod.trustedRootCertificatesPem",
                    });
                }
            };
            let mut roots = Vec::new();
            for text in texts {
                parse_pem_certificates(text, &mut roots)?;
            }
            if roots.is_empty() {
                return Err(ConfigError::NoTrustedRoots);
            }
            Ok(VerificationMethod::X509Chain {
                trusted_roots_der: roots,
            })
        }
        other => Err(ConfigError::UnknownMethodType {
            found: jose_core::short_text(other),
        }),
    }
}

/// The member name of the extra `static-jwk` keys.
const ADDITIONAL_JWKS: &str = "additionalJwks";
/// The member name of the extra `kms-key` references.
const ADDITIONAL_KEY_REFERENCES: &str = "additionalKeyReferences";

/// The entries of an optional key list member: an array of at most
/// [`MAX_ADDITIONAL_ATTESTER_KEYS`] entries.
fn list_entries<'a>(
    value: Option<&'a Value>,
    name: &'static str,
) -> Result<&'a [Value], ConfigError> {
    match value {
        None => Ok(&[]),
        Some(Value::Array(items)) if items.len() > MAX_ADDITIONAL_ATTESTER_KEYS => {
            Err(ConfigError::TooManyEntries {
                name,
                max: MAX_ADDITIONAL_ATTESTER_KEYS,
            })
        }
        Some(Value::Array(items)) => Ok(items),
        Some(_) => Err(ConfigError::InvalidEntry {
            path: name.to_owned(),
        }),
    }
}

/// `verificationMethod.additionalJwks`: public keys, none the same key or `kid` as `jwk` or an
/// earlier entry.
fn additional_jwks(value: Option<&Value>, jwk: &PublicJwk) -> Result<Vec<PublicJwk>, ConfigError> {
    let entries = list_entries(value, "verificationMethod.additionalJwks")?;
    let mut keys: Vec<PublicJwk> = Vec::with_capacity(entries.len());
    for (index, entry) in entries.iter().enumerate() {
        let key = PublicJwk::from_value(entry)
            .map_err(|error| ConfigError::InvalidAdditionalJwk { index, error })?;
        let thumbprint = key.thumbprint_base64url();
        let duplicate = core::iter::once(jwk).chain(keys.iter()).any(|earlier| {
            earlier.thumbprint_base64url() == thumbprint
                || (key.kid().is_some() && earlier.kid() == key.kid())
        });
        if duplicate {
            return Err(ConfigError::DuplicateEntry {
                path: format!("verificationMethod.additionalJwks[{index}]"),
            });
        }
        keys.push(key);
    }
    Ok(keys)
}

/// `verificationMethod.additionalKeyReferences`: non-empty strings, none equal to
/// `keyReference` or an earlier entry.
fn additional_references(value: Option<&Value>, first: &str) -> Result<Vec<String>, ConfigError> {
    let entries = list_entries(value, "verificationMethod.additionalKeyReferences")?;
    let mut references: Vec<String> = Vec::with_capacity(entries.len());
    for (index, entry) in entries.iter().enumerate() {
        let path = || format!("verificationMethod.additionalKeyReferences[{index}]");
        let reference = match entry {
            Value::String(reference) if !reference.is_empty() => reference,
            _ => return Err(ConfigError::InvalidEntry { path: path() }),
        };
        if reference == first || references.contains(reference) {
            return Err(ConfigError::DuplicateEntry { path: path() });
        }
        references.push(reference.clone());
    }
    Ok(references)
}

/// Appends every `CERTIFICATE` block of a PEM text (RFC 7468) to `out` as DER, through the
/// workspace's one PEM reader, trust-x509's (strict RFC 7468).
#[cfg(feature = "x509")]
fn parse_pem_certificates(text: &str, out: &mut Vec<Vec<u8>>) -> Result<(), ConfigError> {
    let certificates = trust_x509::pem_certificates(text, &trust_x509::Limits::default())
        .map_err(|_| ConfigError::InvalidPem { index: out.len() })?;
    for der in certificates {
        if out.len() >= DEFAULT_MAX_TRUSTED_ROOTS {
            return Err(ConfigError::TooManyRoots {
                max: DEFAULT_MAX_TRUSTED_ROOTS,
            });
        }
        out.push(der);
    }
    Ok(())
}

/// Without the `x509` feature there is no PEM reader, and no `x509-chain` method to use one.
#[cfg(not(feature = "x509"))]
fn parse_pem_certificates(_: &str, _: &mut Vec<Vec<u8>>) -> Result<(), ConfigError> {
    Err(ConfigError::X509Unavailable)
}

fn reject_unknown(
    map: &Map<String, Value>,
    known: &[&str],
    prefix: &str,
) -> Result<(), ConfigError> {
    match map.keys().find(|name| !known.contains(&name.as_str())) {
        Some(name) => Err(ConfigError::UnknownField {
            name: format!("{prefix}{}", jose_core::short_text(name)),
        }),
        None => Ok(()),
    }
}

fn bool_field(
    map: &Map<String, Value>,
    name: &'static str,
    default: bool,
) -> Result<bool, ConfigError> {
    match map.get(name) {
        None => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(invalid(name)),
    }
}

fn seconds_field(
    map: &Map<String, Value>,
    name: &'static str,
    default: u64,
) -> Result<u64, ConfigError> {
    match map.get(name) {
        None => Ok(default),
        Some(Value::Number(n)) => n
            .as_u64()
            .filter(|secs| *secs <= MAX_CONFIGURED_SECONDS)
            .ok_or_else(|| invalid(name)),
        Some(_) => Err(invalid(name)),
    }
}

const fn invalid(name: &'static str) -> ConfigError {
    ConfigError::InvalidField { name }
}

#[cfg(test)]
mod tests;
