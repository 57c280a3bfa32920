//! Credential Request (OpenID4VCI 1.0 §8.2) and Deferred Credential Request (§9.1), with the
//! draft-13 shapes recognised and, on request, converted.

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::display::Extra;
use crate::error::{Error, MessageKind};
use crate::json;
use crate::limits::Limits;
use crate::options::ParseOptions;

const MSG: MessageKind = MessageKind::CredentialRequest;

/// Which credential is requested (§8.2: exactly one of the two 1.0 members).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum CredentialTarget {
    /// `credential_identifier`, from the token response's `authorization_details`.
    Identifier(String),
    /// `credential_configuration_id`, when the token response had no `authorization_details`.
    ConfigurationId(String),
    /// Draft 13: `format` plus its format members (`vct`, `doctype`,
    /// `credential_definition`), only produced with
    /// [`ParseOptions::accept_draft13`]; resolve it to a configuration id with
    /// [`validate_credential_request`](crate::validate_credential_request).
    Draft13Format {
        /// The draft-13 `format` value (e.g. `vc+sd-jwt`, `mso_mdoc`).
        format: String,
        /// `vct`, `doctype` and `credential_definition` as received.
        details: Map<String, Value>,
    },
}

/// The `proofs` object: one proof type with a non-empty array (§8.2, App. F).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Proofs {
    /// `jwt`: compact JWTs of type `openid4vci-proof+jwt` (App. F.1).
    Jwt(Vec<String>),
    /// `attestation`: exactly one key attestation JWT (App. F.3).
    Attestation(Vec<String>),
    /// Any other proof type (e.g. `di_vp`), kept as received.
    Other {
        /// The proof type name.
        proof_type: String,
        /// The array elements.
        values: Vec<Value>,
    },
}

impl Proofs {
    /// The proof type name.
    #[must_use]
    pub fn proof_type(&self) -> &str {
        match self {
            Self::Jwt(_) => "jwt",
            Self::Attestation(_) => "attestation",
            Self::Other { proof_type, .. } => proof_type,
        }
    }

    /// Number of proofs.
    #[must_use]
    pub fn len(&self) -> usize {
        match self {
            Self::Jwt(v) | Self::Attestation(v) => v.len(),
            Self::Other { values, .. } => values.len(),
        }
    }

    /// Whether there are no proofs (never true for a parsed request).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn from_parts(proof_type: &str, values: Vec<Value>, limits: &Limits) -> Result<Self, Error> {
        if values.is_empty() {
            return Err(Error::MalformedProofs {
                detail: "the proof type's array is empty",
            });
        }
        if values.len() > limits.max_proofs {
            return Err(Error::TooManyProofs {
                count: values.len(),
                max: u64::try_from(limits.max_proofs).unwrap_or(u64::MAX),
            });
        }
        let strings = |values: Vec<Value>| -> Result<Vec<String>, Error> {
            values
                .into_iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s),
                    _ => Err(Error::MalformedProofs {
                        detail: "jwt and attestation proofs must be strings",
                    }),
                })
                .collect()
        };
        match proof_type {
            "jwt" => Ok(Self::Jwt(strings(values)?)),
            "attestation" => {
                if values.len() != 1 {
                    return Err(Error::TooManyProofs {
                        count: values.len(),
                        max: 1,
                    });
                }
                Ok(Self::Attestation(strings(values)?))
            }
            other => Ok(Self::Other {
                proof_type: other.to_owned(),
                values,
            }),
        }
    }

    fn to_value(&self) -> Value {
        let values: Vec<Value> = match self {
            Self::Jwt(v) | Self::Attestation(v) => v.iter().cloned().map(Value::String).collect(),
            Self::Other { values, .. } => values.clone(),
        };
        let mut map = Map::new();
        map.insert(self.proof_type().to_owned(), Value::Array(values));
        Value::Object(map)
    }
}

/// `credential_response_encryption` in a request (§8.2): `jwk` and `enc` REQUIRED, `zip`
/// optional. There is no `alg` in 1.0 (the JWK's `alg` is used); a received `alg` is kept in
/// `extra`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ResponseEncryption {
    /// REQUIRED. The wallet's public encryption key.
    pub jwk: Map<String, Value>,
    /// REQUIRED. JWE `enc`.
    pub enc: String,
    /// JWE `zip`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zip: Option<String>,
    /// Unknown members.
    #[serde(flatten)]
    pub extra: Extra,
}

impl ResponseEncryption {
    /// Parameters asking for a response encrypted to `jwk` with `enc`, uncompressed.
    #[must_use]
    pub fn new(jwk: Map<String, Value>, enc: &str) -> Self {
        Self {
            jwk,
            enc: enc.into(),
            zip: None,
            extra: Extra::new(),
        }
    }

    /// Sets `zip`.
    #[must_use]
    pub fn with_zip(mut self, zip: &str) -> Self {
        self.zip = Some(zip.into());
        self
    }
}

/// A Credential Request (§8.2).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct CredentialRequest {
    /// The requested credential.
    pub target: CredentialTarget,
    /// Proofs of possession, REQUIRED when the configuration has `proof_types_supported`.
    pub proofs: Option<Proofs>,
    /// Response encryption parameters.
    pub credential_response_encryption: Option<ResponseEncryption>,
    /// Unknown members.
    pub extra: Extra,
}

impl CredentialRequest {
    /// A request for `target` without proofs.
    #[must_use]
    pub fn new(target: CredentialTarget) -> Self {
        Self {
            target,
            proofs: None,
            credential_response_encryption: None,
            extra: Extra::new(),
        }
    }

    /// Parses a JSON credential request.
    ///
    /// # Errors
    ///
    /// JSON errors; [`Error::AmbiguousCredentialTarget`], [`Error::MissingCredentialTarget`];
    /// [`Error::Draft13Shape`] for `proof` (without `proofs`: beside it, `proof` is an unknown
    /// member, kept in `extra`) or `format` unless `accept_draft13`;
    /// [`Error::InvalidProofsShape`], [`Error::MalformedProofs`], [`Error::TooManyProofs`],
    /// [`Error::InvalidMember`], [`Error::MissingMember`].
    pub fn parse(bytes: &[u8], options: &ParseOptions) -> Result<Self, Error> {
        let map = json::parse_object(
            bytes,
            options.limits.max_message_len,
            options.limits.max_json_depth,
            MSG,
        )?;
        Self::from_map(map, options)
    }

    /// Builds a request from an already parsed JSON object (e.g. a decrypted JWE payload).
    ///
    /// # Errors
    ///
    /// As [`Self::parse`].
    pub fn from_map(mut map: Map<String, Value>, options: &ParseOptions) -> Result<Self, Error> {
        let identifier = take_string(&mut map, "credential_identifier")?;
        let configuration_id = take_string(&mut map, "credential_configuration_id")?;
        let target = match (identifier, configuration_id) {
            (Some(_), Some(_)) => return Err(Error::AmbiguousCredentialTarget),
            (Some(id), None) => CredentialTarget::Identifier(id),
            (None, Some(id)) => CredentialTarget::ConfigurationId(id),
            (None, None) => {
                if !map.contains_key("format") {
                    return Err(Error::MissingCredentialTarget);
                }
                if !options.accept_draft13 {
                    return Err(Error::Draft13Shape {
                        message: MSG,
                        member: "format",
                    });
                }
                let format = take_string(&mut map, "format")?.unwrap_or_default();
                let mut details = Map::new();
                for key in ["vct", "doctype", "credential_definition"] {
                    if let Some(v) = map.remove(key) {
                        details.insert(key.to_owned(), v);
                    }
                }
                CredentialTarget::Draft13Format { format, details }
            }
        };
        let proofs = match (map.remove("proofs"), map.remove("proof")) {
            (Some(proofs), draft13) => {
                // Beside `proofs`, the draft-13 `proof` is an unknown member: kept, ignored
                // (§8.2: unrecognized parameters are ignored).
                if let Some(proof) = draft13 {
                    map.insert("proof".to_owned(), proof);
                }
                Some(parse_proofs(proofs, &options.limits)?)
            }
            (None, Some(proof)) => {
                if !options.accept_draft13 {
                    return Err(Error::Draft13Shape {
                        message: MSG,
                        member: "proof",
                    });
                }
                Some(convert_draft13_proof(proof, &options.limits)?)
            }
            (None, None) => None,
        };
        let credential_response_encryption = match map.remove("credential_response_encryption") {
            Some(v) => Some(json::from_value(v, MSG).map_err(|e| {
                Error::MalformedEncryptionParameters {
                    member: "credential_response_encryption",
                    reason: alloc::string::ToString::to_string(&e),
                }
            })?),
            None => None,
        };
        Ok(Self {
            target,
            proofs,
            credential_response_encryption,
            extra: map,
        })
    }

    /// Serializes to a JSON value (a draft-13 target is written back in its draft-13 form).
    #[must_use]
    pub fn to_value(&self) -> Value {
        let mut map = self.extra.clone();
        match &self.target {
            CredentialTarget::Identifier(id) => {
                map.insert("credential_identifier".into(), Value::String(id.clone()));
            }
            CredentialTarget::ConfigurationId(id) => {
                map.insert(
                    "credential_configuration_id".into(),
                    Value::String(id.clone()),
                );
            }
            CredentialTarget::Draft13Format { format, details } => {
                map.insert("format".into(), Value::String(format.clone()));
                map.extend(details.clone());
            }
        }
        if let Some(p) = &self.proofs {
            map.insert("proofs".into(), p.to_value());
        }
        if let Some(e) = &self.credential_response_encryption {
            map.insert(
                "credential_response_encryption".into(),
                serde_json::to_value(e).unwrap_or(Value::Null),
            );
        }
        Value::Object(map)
    }
}

impl Serialize for CredentialRequest {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for CredentialRequest {
    /// Strict 1.0 parsing (no draft-13 shapes); use [`CredentialRequest::parse`] for options.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = Map::deserialize(deserializer)?;
        Self::from_map(map, &ParseOptions::default()).map_err(serde::de::Error::custom)
    }
}

fn take_string(map: &mut Map<String, Value>, name: &str) -> Result<Option<String>, Error> {
    match map.remove(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(Error::InvalidMember {
            message: MSG,
            detail: alloc::format!("{name} is not a string"),
        }),
    }
}

fn parse_proofs(value: Value, limits: &Limits) -> Result<Proofs, Error> {
    let Value::Object(map) = value else {
        return Err(Error::MalformedProofs {
            detail: "not an object",
        });
    };
    if map.len() != 1 {
        return Err(Error::InvalidProofsShape {
            proof_types: map.len(),
        });
    }
    let Some((proof_type, values)) = map.into_iter().next() else {
        return Err(Error::InvalidProofsShape { proof_types: 0 });
    };
    let Value::Array(values) = values else {
        return Err(Error::MalformedProofs {
            detail: "the proof type's value is not an array",
        });
    };
    Proofs::from_parts(&proof_type, values, limits)
}

/// Draft 13: `"proof": {"proof_type": "jwt", "jwt": "..."}` becomes `{"jwt": ["..."]}`.
fn convert_draft13_proof(value: Value, limits: &Limits) -> Result<Proofs, Error> {
    let Value::Object(mut map) = value else {
        return Err(Error::InvalidMember {
            message: MSG,
            detail: "proof is not an object".to_owned(),
        });
    };
    let Some(Value::String(proof_type)) = map.remove("proof_type") else {
        return Err(Error::MissingMember {
            message: MSG,
            member: "proof.proof_type".to_owned(),
        });
    };
    let Some(single) = map.remove(&proof_type) else {
        return Err(Error::MissingMember {
            message: MSG,
            member: alloc::format!("proof.{proof_type}"),
        });
    };
    Proofs::from_parts(&proof_type, vec![single], limits)
}

/// A Deferred Credential Request (§9.1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DeferredCredentialRequest {
    /// REQUIRED. The id from the 202 response.
    pub transaction_id: String,
    /// New response encryption parameters (the newest key wins).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_response_encryption: Option<ResponseEncryption>,
    /// Unknown members.
    #[serde(flatten)]
    pub extra: Extra,
}

impl DeferredCredentialRequest {
    /// A request for `transaction_id`.
    #[must_use]
    pub fn new(transaction_id: &str) -> Self {
        Self {
            transaction_id: transaction_id.into(),
            credential_response_encryption: None,
            extra: Extra::new(),
        }
    }

    /// Parses a deferred credential request with default limits.
    ///
    /// # Errors
    ///
    /// JSON errors, [`Error::MissingMember`], [`Error::InvalidMember`], and
    /// [`Error::MalformedEncryptionParameters`] for a `credential_response_encryption` that is
    /// not the object §8.2 defines (answered `invalid_encryption_parameters`, §9.3, as at the
    /// credential endpoint).
    pub fn from_json(bytes: &[u8]) -> Result<Self, Error> {
        const MSG: MessageKind = MessageKind::DeferredCredentialRequest;
        let limits = Limits::default();
        json::parse_typed(bytes, limits.max_message_len, limits.max_json_depth, MSG).map_err(
            |error| {
                // Refused: say so when the encryption parameters are what is wrong.
                let encryption =
                    json::parse_value(bytes, limits.max_message_len, limits.max_json_depth, MSG)
                        .ok()
                        .and_then(|mut value| {
                            value
                                .get_mut("credential_response_encryption")
                                .map(Value::take)
                        });
                match encryption.map(|v| json::from_value::<ResponseEncryption>(v, MSG)) {
                    Some(Err(e)) => Error::MalformedEncryptionParameters {
                        member: "credential_response_encryption",
                        reason: alloc::string::ToString::to_string(&e),
                    },
                    _ => error,
                }
            },
        )
    }
}
