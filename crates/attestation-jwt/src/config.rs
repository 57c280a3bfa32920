//! The issuer's attestation policy: the `clientAttestationConfig` JSON object.

use jose_core::PublicJwk;
use serde_json::{Map, Value};

use crate::error::ConfigError;
#[cfg(feature = "x509")]
use crate::limits::DEFAULT_MAX_TRUSTED_ROOTS;
use crate::limits::{
    DEFAULT_CLOCK_SKEW_SECONDS, DEFAULT_MAX_CONFIG_LEN, DEFAULT_REPLAY_WINDOW_SECONDS,
    MAX_CONFIGURED_SECONDS,
};

/// How the issuer decides that an attestation was signed by a trusted Client Attester.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerificationMethod {
    /// `{"type":"static-jwk","jwk":{...}}`: one configured public key.
    StaticJwk {
        /// The attester's public key.
        jwk: PublicJwk,
    },
    /// `{"type":"kms-key","keyReference":"..."}`: a key the caller's
    /// [`KeyLookup`](jose_core::KeyLookup) returns for a query carrying this reference.
    KmsKey {
        /// The opaque reference (an ARN, a key URI, a key id).
        key_reference: String,
    },
    /// `{"type":"x509-chain","trustedRootCertificatesPem":[...]}`: the attestation carries `x5c`,
    /// which must chain to one of these roots.
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
            reject_unknown(method, &["type", "jwk"], "verificationMethod.")?;
            let jwk = method.get("jwk").ok_or(ConfigError::MissingField {
                name: "verificationMethod.jwk",
            })?;
            let jwk = PublicJwk::from_value(jwk).map_err(ConfigError::InvalidJwk)?;
            Ok(VerificationMethod::StaticJwk { jwk })
        }
        "kms-key" => {
            reject_unknown(method, &["type", "keyReference"], "verificationMethod.")?;
            match method.get("keyReference") {
                Some(Value::String(reference)) if !reference.is_empty() => {
                    Ok(VerificationMethod::KmsKey {
                        key_reference: reference.clone(),
                    })
                }
                Some(_) => Err(invalid("verificationMethod.keyReference")),
                None => Err(ConfigError::MissingField {
                    name: "verificationMethod.keyReference",
                }),
            }
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
