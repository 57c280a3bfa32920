//! Public JSON Web Keys (RFC 7517, RFC 7518 §6, RFC 8037) and RFC 7638 thumbprints.

use serde_json::{Map, Value};

use crate::algorithm::Algorithm;
use crate::base64url;
use crate::error::Error;

/// JWK members that carry private or secret key material (RFC 7518 §6.2.2, §6.3.2, §6.4;
/// RFC 8037 §2; `priv` as used by some post-quantum drafts). Their presence where a public key is
/// expected is an error, never silently ignored.
pub const PRIVATE_MEMBERS: &[&str] = &["d", "p", "q", "dp", "dq", "qi", "oth", "k", "priv"];

/// An elliptic curve usable with ECDSA.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EcCurve {
    /// NIST P-256 (secp256r1), for ES256.
    P256,
    /// NIST P-384 (secp384r1), for ES384.
    P384,
    /// NIST P-521 (secp521r1), for ES512.
    P521,
}

impl EcCurve {
    /// The JWK `crv` name.
    #[must_use]
    pub const fn jwk_name(self) -> &'static str {
        match self {
            Self::P256 => "P-256",
            Self::P384 => "P-384",
            Self::P521 => "P-521",
        }
    }

    /// The length in bytes of one coordinate.
    #[must_use]
    pub const fn coordinate_len(self) -> usize {
        match self {
            Self::P256 => 32,
            Self::P384 => 48,
            Self::P521 => 66,
        }
    }

    /// The ECDSA algorithm that uses this curve.
    #[must_use]
    pub const fn algorithm(self) -> Algorithm {
        match self {
            Self::P256 => Algorithm::Es256,
            Self::P384 => Algorithm::Es384,
            Self::P521 => Algorithm::Es512,
        }
    }

    fn from_jwk_name(name: &str) -> Result<Self, Error> {
        match name {
            "P-256" => Ok(Self::P256),
            "P-384" => Ok(Self::P384),
            "P-521" => Ok(Self::P521),
            _ => Err(Error::InvalidKey {
                reason: "unsupported EC curve",
            }),
        }
    }
}

/// Public key material, without JWK metadata.
#[derive(Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PublicKey {
    /// An EC public key as an uncompressed SEC1 point `0x04 || x || y`.
    Ec {
        /// The curve.
        curve: EcCurve,
        /// `0x04 || x || y`, each coordinate [`EcCurve::coordinate_len`] bytes.
        point: Vec<u8>,
    },
    /// An Ed25519 public key (OKP, RFC 8037).
    Ed25519 {
        /// The 32-byte public key.
        x: [u8; 32],
    },
    /// An RSA public key (verification only).
    Rsa {
        /// The modulus, big-endian, without leading zero bytes.
        n: Vec<u8>,
        /// The public exponent, big-endian.
        e: Vec<u8>,
    },
}

impl core::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "PublicKey({} {})",
            self.describe(),
            base64url::encode(&self.thumbprint())
        )
    }
}

impl PublicKey {
    /// Builds an EC key from an uncompressed SEC1 point.
    ///
    /// # Errors
    /// [`Error::InvalidKey`] if the point is not `0x04 || x || y` of the curve's size.
    pub fn from_ec_point(curve: EcCurve, point: &[u8]) -> Result<Self, Error> {
        let expected = curve
            .coordinate_len()
            .checked_mul(2)
            .and_then(|n| n.checked_add(1));
        if point.first() != Some(&4) || Some(point.len()) != expected {
            return Err(Error::InvalidKey {
                reason: "EC point is not uncompressed SEC1 of the curve size",
            });
        }
        Ok(Self::Ec {
            curve,
            point: point.to_vec(),
        })
    }

    /// A short description for messages: `EC P-256`, `OKP Ed25519`, `RSA`.
    #[must_use]
    pub const fn describe(&self) -> &'static str {
        match self {
            Self::Ec {
                curve: EcCurve::P256,
                ..
            } => "EC P-256",
            Self::Ec {
                curve: EcCurve::P384,
                ..
            } => "EC P-384",
            Self::Ec {
                curve: EcCurve::P521,
                ..
            } => "EC P-521",
            Self::Ed25519 { .. } => "OKP Ed25519",
            Self::Rsa { .. } => "RSA",
        }
    }

    /// Checks that `alg` can be used with this key (key type and, for ECDSA, the curve).
    ///
    /// # Errors
    /// [`Error::KeyAlgorithmMismatch`].
    pub fn check_algorithm(&self, alg: Algorithm) -> Result<(), Error> {
        let fits = match self {
            Self::Ec { curve, .. } => curve.algorithm() == alg,
            Self::Ed25519 { .. } => alg == Algorithm::EdDsa,
            Self::Rsa { .. } => matches!(alg, Algorithm::Rs256 | Algorithm::Ps256),
        };
        if fits {
            Ok(())
        } else {
            Err(Error::KeyAlgorithmMismatch {
                alg,
                key: self.describe(),
            })
        }
    }

    /// The RFC 7638 JWK thumbprint (SHA-256 over the required members in lexicographic order).
    #[must_use]
    pub fn thumbprint(&self) -> [u8; 32] {
        let canonical = match self {
            Self::Ec { curve, point } => {
                let (x, y) = split_point(*curve, point);
                format!(
                    r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
                    curve.jwk_name(),
                    base64url::encode(x),
                    base64url::encode(y)
                )
            }
            Self::Ed25519 { x } => {
                format!(
                    r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
                    base64url::encode(x)
                )
            }
            Self::Rsa { n, e } => format!(
                r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
                base64url::encode(e),
                base64url::encode(n)
            ),
        };
        let digest = ring::digest::digest(&ring::digest::SHA256, canonical.as_bytes());
        let mut out = [0u8; 32];
        out.copy_from_slice(digest.as_ref());
        out
    }

    /// The RFC 7638 thumbprint as unpadded base64url (the form used in `jkt`, `cnf.jkt`).
    #[must_use]
    pub fn thumbprint_base64url(&self) -> String {
        base64url::encode(&self.thumbprint())
    }

    fn write_members(&self, map: &mut Map<String, Value>) {
        match self {
            Self::Ec { curve, point } => {
                let (x, y) = split_point(*curve, point);
                map.insert("kty".into(), "EC".into());
                map.insert("crv".into(), curve.jwk_name().into());
                map.insert("x".into(), base64url::encode(x).into());
                map.insert("y".into(), base64url::encode(y).into());
            }
            Self::Ed25519 { x } => {
                map.insert("kty".into(), "OKP".into());
                map.insert("crv".into(), "Ed25519".into());
                map.insert("x".into(), base64url::encode(x).into());
            }
            Self::Rsa { n, e } => {
                map.insert("kty".into(), "RSA".into());
                map.insert("n".into(), base64url::encode(n).into());
                map.insert("e".into(), base64url::encode(e).into());
            }
        }
    }

    fn from_members(map: &Map<String, Value>) -> Result<Self, Error> {
        for member in PRIVATE_MEMBERS {
            if map.contains_key(*member) {
                return Err(Error::PrivateKeyMember { member });
            }
        }
        match required_str(map, "kty")? {
            "EC" => {
                let curve = EcCurve::from_jwk_name(required_str(map, "crv")?)?;
                let x = coordinate(map, "x", curve)?;
                let y = coordinate(map, "y", curve)?;
                let mut point = Vec::with_capacity(x.len().saturating_mul(2).saturating_add(1));
                point.push(4);
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                Ok(Self::Ec { curve, point })
            }
            "OKP" => {
                if required_str(map, "crv")? != "Ed25519" {
                    return Err(Error::InvalidKey {
                        reason: "unsupported OKP curve",
                    });
                }
                let x = base64url::decode_array::<32>(required_str(map, "x")?).ok_or(
                    Error::InvalidKey {
                        reason: "Ed25519 x is not 32 bytes of base64url",
                    },
                )?;
                Ok(Self::Ed25519 { x })
            }
            "RSA" => {
                let n = base64url::decode(required_str(map, "n")?).ok_or(Error::InvalidKey {
                    reason: "RSA n is not base64url",
                })?;
                let e = base64url::decode(required_str(map, "e")?).ok_or(Error::InvalidKey {
                    reason: "RSA e is not base64url",
                })?;
                if n.first().is_none_or(|b| *b == 0) || e.first().is_none_or(|b| *b == 0) {
                    return Err(Error::InvalidKey {
                        reason: "RSA n or e is empty or has a leading zero",
                    });
                }
                if crate::roca::has_roca_fingerprint(&n) {
                    return Err(Error::InvalidKey {
                        reason: "RSA modulus has the ROCA fingerprint (CVE-2017-15361)",
                    });
                }
                Ok(Self::Rsa { n, e })
            }
            "oct" => Err(Error::InvalidKey {
                reason: "symmetric key where a public key is expected",
            }),
            _ => Err(Error::InvalidKey {
                reason: "unsupported kty",
            }),
        }
    }
}

fn split_point(curve: EcCurve, point: &[u8]) -> (&[u8], &[u8]) {
    let body = point.get(1..).unwrap_or_default();
    body.split_at(curve.coordinate_len().min(body.len()))
}

fn required_str<'m>(map: &'m Map<String, Value>, name: &'static str) -> Result<&'m str, Error> {
    match map.get(name) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(Error::InvalidKey {
            reason: member_reason(name, true),
        }),
        None => Err(Error::InvalidKey {
            reason: member_reason(name, false),
        }),
    }
}

fn member_reason(name: &str, present: bool) -> &'static str {
    match (name, present) {
        ("kty", false) => "kty is missing",
        ("crv", false) => "crv is missing",
        ("x", false) => "x is missing",
        ("y", false) => "y is missing",
        ("n", false) => "n is missing",
        ("e", false) => "e is missing",
        (_, false) => "required member is missing",
        (_, true) => "member is not a string",
    }
}

fn coordinate(
    map: &Map<String, Value>,
    name: &'static str,
    curve: EcCurve,
) -> Result<Vec<u8>, Error> {
    let bytes = base64url::decode(required_str(map, name)?).ok_or(Error::InvalidKey {
        reason: "EC coordinate is not base64url",
    })?;
    if bytes.len() == curve.coordinate_len() {
        Ok(bytes)
    } else {
        Err(Error::InvalidKey {
            reason: "EC coordinate has the wrong length for the curve",
        })
    }
}

/// A public JWK: key material plus the optional `kid`, `alg` and `use` members.
///
/// Parsing is strict: a JWK carrying any of [`PRIVATE_MEMBERS`] is refused, coordinates must have
/// the curve's exact length, unknown `kty`/`crv` values are errors. Other members (`x5c`,
/// `key_ops`, ...) are ignored and not kept.
///
/// ```
/// use jose_core::PublicJwk;
/// let jwk = PublicJwk::from_json(br#"{"kty":"OKP","crv":"Ed25519",
///     "x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#)?;
/// assert_eq!(jwk.thumbprint_base64url(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
/// # Ok::<(), jose_core::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicJwk {
    key: PublicKey,
    kid: Option<String>,
    alg: Option<String>,
    key_use: Option<String>,
    key_ops: Option<Vec<String>>,
}

impl PublicJwk {
    /// Wraps key material with no metadata.
    #[must_use]
    pub const fn new(key: PublicKey) -> Self {
        Self {
            key,
            kid: None,
            alg: None,
            key_use: None,
            key_ops: None,
        }
    }

    /// Parses a JWK from JSON text, refusing duplicate member names.
    ///
    /// # Errors
    /// [`Error::InvalidJson`] (reported as a header error), plus those of [`Self::from_map`].
    pub fn from_json(bytes: &[u8]) -> Result<Self, Error> {
        let map = crate::json::parse_object(bytes, crate::limits::DEFAULT_MAX_JSON_DEPTH).map_err(
            |error| Error::InvalidJson {
                part: crate::error::JwsPart::Header,
                error,
            },
        )?;
        Self::from_map(&map)
    }

    /// Parses a JWK from an already parsed JSON value.
    ///
    /// # Errors
    /// [`Error::InvalidKey`] if `value` is not an object.
    pub fn from_value(value: &Value) -> Result<Self, Error> {
        match value {
            Value::Object(map) => Self::from_map(map),
            _ => Err(Error::InvalidKey {
                reason: "JWK is not a JSON object",
            }),
        }
    }

    /// Parses a JWK from a JSON object.
    ///
    /// # Errors
    /// [`Error::PrivateKeyMember`] when private material is present; [`Error::InvalidKey`] for a
    /// missing or malformed member, an unsupported `kty` or `crv`.
    pub fn from_map(map: &Map<String, Value>) -> Result<Self, Error> {
        let key = PublicKey::from_members(map)?;
        Ok(Self {
            key,
            kid: optional_str(map, "kid")?,
            alg: optional_str(map, "alg")?,
            key_use: optional_str(map, "use")?,
            key_ops: match map.get("key_ops") {
                None => None,
                Some(Value::Array(ops)) => Some(
                    ops.iter()
                        .map(|op| op.as_str().map(str::to_owned))
                        .collect::<Option<Vec<_>>>()
                        .ok_or(Error::InvalidKey {
                            reason: "key_ops is not an array of strings",
                        })?,
                ),
                Some(_) => {
                    return Err(Error::InvalidKey {
                        reason: "key_ops is not an array of strings",
                    });
                }
            },
        })
    }

    /// The JWK as a JSON object with only public members (and `kid`, `alg`, `use` when set).
    #[must_use]
    pub fn to_map(&self) -> Map<String, Value> {
        let mut map = Map::new();
        self.key.write_members(&mut map);
        if let Some(kid) = &self.kid {
            map.insert("kid".into(), kid.clone().into());
        }
        if let Some(alg) = &self.alg {
            map.insert("alg".into(), alg.clone().into());
        }
        if let Some(key_use) = &self.key_use {
            map.insert("use".into(), key_use.clone().into());
        }
        if let Some(ops) = &self.key_ops {
            map.insert(
                "key_ops".into(),
                ops.iter().cloned().map(Value::String).collect(),
            );
        }
        map
    }

    /// The JWK as a JSON value.
    #[must_use]
    pub fn to_value(&self) -> Value {
        Value::Object(self.to_map())
    }

    /// Sets `kid`.
    #[must_use]
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// Sets `alg`.
    #[must_use]
    pub fn with_alg(mut self, alg: Algorithm) -> Self {
        self.alg = Some(alg.jose_name().into());
        self
    }

    /// Sets `use`.
    #[must_use]
    pub fn with_use(mut self, key_use: impl Into<String>) -> Self {
        self.key_use = Some(key_use.into());
        self
    }

    /// The key material.
    #[must_use]
    pub const fn key(&self) -> &PublicKey {
        &self.key
    }

    /// `kid`, if present.
    #[must_use]
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// `alg`, if present (as received; not necessarily one we support).
    #[must_use]
    pub fn alg(&self) -> Option<&str> {
        self.alg.as_deref()
    }

    /// `use`, if present.
    #[must_use]
    pub fn key_use(&self) -> Option<&str> {
        self.key_use.as_deref()
    }

    /// The JWK's `key_ops`, if any (RFC 7517 §4.3).
    #[must_use]
    pub fn key_ops(&self) -> Option<&[String]> {
        self.key_ops.as_deref()
    }

    /// Checks that the key may verify signatures with `alg`: the key type and curve fit, the
    /// JWK's own `alg` (if any) is the same, `use` (if any) is `sig` and `key_ops` (if any)
    /// contains `verify` (RFC 7517 §4.2-4.4).
    ///
    /// # Errors
    /// [`Error::KeyAlgorithmMismatch`], [`Error::KeyNotForSignatures`].
    pub fn check_algorithm(&self, alg: Algorithm) -> Result<(), Error> {
        self.key.check_algorithm(alg)?;
        if self.key_use.as_deref().is_some_and(|u| u != "sig")
            || self
                .key_ops
                .as_ref()
                .is_some_and(|ops| !ops.iter().any(|op| op == "verify"))
        {
            return Err(Error::KeyNotForSignatures);
        }
        match &self.alg {
            Some(named) if named != alg.jose_name() => Err(Error::KeyAlgorithmMismatch {
                alg,
                key: self.key.describe(),
            }),
            _ => Ok(()),
        }
    }

    /// The RFC 7638 SHA-256 thumbprint.
    #[must_use]
    pub fn thumbprint(&self) -> [u8; 32] {
        self.key.thumbprint()
    }

    /// The RFC 7638 SHA-256 thumbprint as unpadded base64url.
    #[must_use]
    pub fn thumbprint_base64url(&self) -> String {
        self.key.thumbprint_base64url()
    }

    /// Whether both JWKs hold the same key material (metadata ignored).
    #[must_use]
    pub fn same_key(&self, other: &Self) -> bool {
        self.key == other.key
    }

    /// Verifies `signature` over `message` with this key, after checking that `alg` fits.
    ///
    /// # Errors
    /// [`Error::KeyAlgorithmMismatch`], [`Error::SignatureLength`], [`Error::SignatureInvalid`],
    /// [`Error::Unsupported`] for ES512 without the `es512` feature.
    pub fn verify(&self, alg: Algorithm, message: &[u8], signature: &[u8]) -> Result<(), Error> {
        self.check_algorithm(alg)?;
        self.key.verify(alg, message, signature)
    }
}

impl From<PublicKey> for PublicJwk {
    fn from(key: PublicKey) -> Self {
        Self::new(key)
    }
}

fn optional_str(map: &Map<String, Value>, name: &'static str) -> Result<Option<String>, Error> {
    match map.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(Error::InvalidKey {
            reason: member_reason(name, true),
        }),
    }
}

impl serde::Serialize for PublicJwk {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_map().serialize(serializer)
    }
}

impl<'de> serde::Deserialize<'de> for PublicJwk {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = Map::<String, Value>::deserialize(deserializer)?;
        Self::from_map(&map).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests;
