//! The typed protected header of a received JWE and its member checks.

#[allow(
    clippy::wildcard_imports,
    reason = "the module is one file split in parts"
)]
use super::*;

/// The typed protected header of a received JWE.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JweHeader {
    pub(super) enc: ContentEncryption,
    pub(super) zip: Option<Compression>,
    pub(super) epk: PublicJwk,
    pub(super) epk_curve: EcCurve,
    apu: Option<Vec<u8>>,
    apv: Option<Vec<u8>>,
    kid: Option<String>,
    typ: Option<String>,
    cty: Option<String>,
    other: Map<String, Value>,
}

impl JweHeader {
    /// Builds the typed header from a parsed JSON object.
    ///
    /// # Errors
    /// [`JweError::MissingHeader`], [`JweError::InvalidHeader`],
    /// [`JweError::UnsupportedAlgorithm`], [`JweError::UnsupportedEncryption`],
    /// [`JweError::UnsupportedCompression`], [`JweError::InvalidEphemeralKey`],
    /// [`JweError::CriticalMalformed`], [`JweError::CriticalNotUnderstood`].
    pub fn from_map(mut map: Map<String, Value>) -> Result<Self, JweError> {
        match map.remove("alg") {
            Some(Value::String(name)) if name == ECDH_ES => {}
            Some(Value::String(name)) => {
                return Err(JweError::UnsupportedAlgorithm {
                    name: crate::short_text(&name),
                });
            }
            Some(_) => return Err(JweError::InvalidHeader { name: "alg" }),
            None => return Err(JweError::MissingHeader { name: "alg" }),
        }
        let enc = match map.remove("enc") {
            Some(Value::String(name)) => ContentEncryption::from_jose_name(&name)?,
            Some(_) => return Err(JweError::InvalidHeader { name: "enc" }),
            None => return Err(JweError::MissingHeader { name: "enc" }),
        };
        let zip = match map.remove("zip") {
            Some(Value::String(name)) => Some(Compression::from_jose_name(&name)?),
            Some(_) => return Err(JweError::InvalidHeader { name: "zip" }),
            None => None,
        };
        let (epk, epk_curve) = match map.remove("epk") {
            Some(Value::Object(epk)) => parse_epk(&epk)?,
            Some(_) => return Err(JweError::InvalidHeader { name: "epk" }),
            None => return Err(JweError::MissingHeader { name: "epk" }),
        };
        let apu = take_base64(&mut map, "apu")?;
        let apv = take_base64(&mut map, "apv")?;
        let kid = take_string(&mut map, "kid")?;
        let typ = take_string(&mut map, "typ")?;
        let cty = take_string(&mut map, "cty")?;
        for name in ["iv", "tag", "p2s", "p2c", "jku", "x5u"] {
            if map.contains_key(name) {
                return Err(JweError::InvalidHeader { name });
            }
        }
        match map.remove("crit") {
            None => {}
            Some(Value::Array(items)) if !items.is_empty() => {
                for item in &items {
                    let Value::String(name) = item else {
                        return Err(JweError::CriticalMalformed);
                    };
                    if REGISTERED.contains(&name.as_str()) || !map.contains_key(name) {
                        return Err(JweError::CriticalMalformed);
                    }
                }
                // No extension is understood: the first listed name is refused.
                let first = items.first().and_then(Value::as_str).unwrap_or_default();
                return Err(JweError::CriticalNotUnderstood {
                    name: crate::short_text(first),
                });
            }
            Some(_) => return Err(JweError::CriticalMalformed),
        }
        Ok(Self {
            enc,
            zip,
            epk,
            epk_curve,
            apu,
            apv,
            kid,
            typ,
            cty,
            other: map,
        })
    }

    /// `alg`: always [`ECDH_ES`].
    #[must_use]
    pub const fn alg(&self) -> &'static str {
        ECDH_ES
    }

    /// `enc`.
    #[must_use]
    pub const fn enc(&self) -> ContentEncryption {
        self.enc
    }

    /// `zip`.
    #[must_use]
    pub const fn zip(&self) -> Option<Compression> {
        self.zip
    }

    /// `epk`: the sender's ephemeral public key (validated on its curve).
    #[must_use]
    pub const fn epk(&self) -> &PublicJwk {
        &self.epk
    }

    /// The curve of `epk`.
    #[must_use]
    pub const fn epk_curve(&self) -> EcCurve {
        self.epk_curve
    }

    /// `apu`, decoded.
    #[must_use]
    pub fn apu(&self) -> Option<&[u8]> {
        self.apu.as_deref()
    }

    /// `apv`, decoded.
    #[must_use]
    pub fn apv(&self) -> Option<&[u8]> {
        self.apv.as_deref()
    }

    /// `kid`: which recipient key the sender used.
    #[must_use]
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// `typ`.
    #[must_use]
    pub fn typ(&self) -> Option<&str> {
        self.typ.as_deref()
    }

    /// `cty`.
    #[must_use]
    pub fn cty(&self) -> Option<&str> {
        self.cty.as_deref()
    }

    /// Any other member, by name.
    #[must_use]
    pub fn member(&self, name: &str) -> Option<&Value> {
        self.other.get(name)
    }
}

pub(super) fn take_string(
    map: &mut Map<String, Value>,
    name: &'static str,
) -> Result<Option<String>, JweError> {
    match map.remove(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(JweError::InvalidHeader { name }),
    }
}

pub(super) fn take_base64(
    map: &mut Map<String, Value>,
    name: &'static str,
) -> Result<Option<Vec<u8>>, JweError> {
    match map.remove(name) {
        None => Ok(None),
        Some(Value::String(s)) => base64url::decode(&s)
            .map(Some)
            .ok_or(JweError::InvalidHeader { name }),
        Some(_) => Err(JweError::InvalidHeader { name }),
    }
}

pub(super) fn parse_epk(map: &Map<String, Value>) -> Result<(PublicJwk, EcCurve), JweError> {
    if map.get("kty").and_then(Value::as_str) != Some("EC") {
        return Err(JweError::InvalidEphemeralKey {
            reason: "kty is not EC",
        });
    }
    let jwk = PublicJwk::from_map(map).map_err(|error| JweError::InvalidEphemeralKey {
        reason: match error {
            Error::PrivateKeyMember { .. } => "carries a private key member",
            Error::InvalidKey { reason } => reason,
            _ => "malformed",
        },
    })?;
    let PublicKey::Ec { curve, point } = jwk.key() else {
        return Err(JweError::InvalidEphemeralKey {
            reason: "kty is not EC",
        });
    };
    let curve = *curve;
    check_on_curve(curve, point).map_err(|reason| JweError::InvalidEphemeralKey { reason })?;
    Ok((jwk, curve))
}

/// Checks that an uncompressed SEC1 point lies on `curve` (and is not the identity).
pub(super) fn check_on_curve(curve: EcCurve, point: &[u8]) -> Result<(), &'static str> {
    match curve {
        EcCurve::P256 => p256::PublicKey::from_sec1_bytes(point)
            .map(|_| ())
            .map_err(|_| "point is not on P-256"),
        EcCurve::P384 => p384::PublicKey::from_sec1_bytes(point)
            .map(|_| ())
            .map_err(|_| "point is not on P-384"),
        _ => Err("curve is not P-256 or P-384"),
    }
}
