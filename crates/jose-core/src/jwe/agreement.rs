//! The key-agreement seam and the in-process P-256 / P-384 implementation.

#[allow(
    clippy::wildcard_imports,
    reason = "the module is one file split in parts"
)]
use super::*;

/// The ECDH shared secret Z (the x-coordinate of the shared point). Its `Debug` is redacted.
pub struct SharedSecret(Vec<u8>);

impl SharedSecret {
    /// Wraps the raw bytes of Z (from an HSM or another backend).
    #[must_use]
    pub const fn new(z: Vec<u8>) -> Self {
        Self(z)
    }

    /// The raw bytes of Z.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl core::fmt::Debug for SharedSecret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SharedSecret(<redacted>)")
    }
}

impl Drop for SharedSecret {
    fn drop(&mut self) {
        self.0.fill(0);
    }
}

/// The key-agreement seam: a recipient's static EC private key, wherever it lives.
///
/// An HSM or KMS implementation computes ECDH with the peer's (already validated, on-curve)
/// public key and returns Z; [`LocalKeyAgreement`] does it in process.
pub trait KeyAgreement {
    /// The curve of the private key.
    fn curve(&self) -> EcCurve;

    /// The public JWK of the private key (advertised in metadata, used to pick a key by `kid`).
    fn public_jwk(&self) -> PublicJwk;

    /// Computes ECDH with `peer` and returns Z.
    ///
    /// # Errors
    /// [`JweError::KeyAgreementFailed`] (backend failure) or [`JweError::CurveMismatch`].
    fn agree(&self, peer: &PublicJwk) -> Result<SharedSecret, JweError>;
}

/// An in-process P-256 or P-384 private key for ECDH (RustCrypto `p256` / `p384`; ring cannot
/// do ECDH with a static private key). Its `Debug` shows the curve and public key only.
#[derive(Clone)]
pub struct LocalKeyAgreement {
    secret: LocalSecret,
    public: PublicJwk,
}

#[derive(Clone)]
pub(super) enum LocalSecret {
    P256(p256::SecretKey),
    P384(p384::SecretKey),
}

impl core::fmt::Debug for LocalKeyAgreement {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "LocalKeyAgreement({:?})", self.public.key())
    }
}

impl LocalKeyAgreement {
    /// A key from its big-endian private scalar (the JWK `d` member, decoded).
    ///
    /// # Errors
    /// [`JweError::InvalidRecipientKey`] for another curve, a wrong length, zero or a scalar
    /// not below the group order.
    pub fn from_scalar(curve: EcCurve, scalar: &[u8]) -> Result<Self, JweError> {
        let invalid = JweError::InvalidRecipientKey {
            reason: "private scalar is not valid for the curve",
        };
        if scalar.len() != curve.coordinate_len() {
            return Err(invalid);
        }
        let secret = match curve {
            EcCurve::P256 => {
                LocalSecret::P256(p256::SecretKey::from_slice(scalar).map_err(|_| invalid.clone())?)
            }
            EcCurve::P384 => {
                LocalSecret::P384(p384::SecretKey::from_slice(scalar).map_err(|_| invalid.clone())?)
            }
            _ => {
                return Err(JweError::InvalidRecipientKey {
                    reason: "only P-256 and P-384 are supported",
                });
            }
        };
        Self::from_secret(secret)
    }

    /// A key from PKCS#8 DER (P-256 or P-384).
    ///
    /// # Errors
    /// [`JweError::InvalidRecipientKey`] when the DER is not a P-256 or P-384 PKCS#8 key.
    pub fn from_pkcs8(pkcs8: &Pkcs8Secret) -> Result<Self, JweError> {
        use p256::pkcs8::DecodePrivateKey as _;
        let der = pkcs8.as_bytes();
        let secret = if let Ok(key) = p256::SecretKey::from_pkcs8_der(der) {
            LocalSecret::P256(key)
        } else if let Ok(key) = p384::SecretKey::from_pkcs8_der(der) {
            LocalSecret::P384(key)
        } else {
            return Err(JweError::InvalidRecipientKey {
                reason: "not a P-256 or P-384 PKCS#8 private key",
            });
        };
        Self::from_secret(secret)
    }

    /// A fresh key from `rng`.
    ///
    /// # Errors
    /// [`JweError::InvalidRecipientKey`] for a curve other than P-256/P-384;
    /// [`JweError::EncryptionFailed`] when the source fails or keeps producing invalid scalars.
    pub fn generate(curve: EcCurve, rng: &dyn RandomSource) -> Result<Self, JweError> {
        if !matches!(curve, EcCurve::P256 | EcCurve::P384) {
            return Err(JweError::InvalidRecipientKey {
                reason: "only P-256 and P-384 are supported",
            });
        }
        let mut scalar = vec![0u8; curve.coordinate_len()];
        for _ in 0..16 {
            rng.fill(&mut scalar)?;
            let made = Self::from_scalar(curve, &scalar);
            scalar.fill(0);
            if let Ok(key) = made {
                return Ok(key);
            }
        }
        Err(JweError::EncryptionFailed {
            reason: "the random source produced no valid private scalar",
        })
    }

    /// The private scalar, big-endian (for storing the key; handle as a secret).
    #[must_use]
    pub fn scalar_bytes(&self) -> Vec<u8> {
        match &self.secret {
            LocalSecret::P256(key) => key.to_bytes().to_vec(),
            LocalSecret::P384(key) => key.to_bytes().to_vec(),
        }
    }

    fn from_secret(secret: LocalSecret) -> Result<Self, JweError> {
        use p256::elliptic_curve::sec1::ToSec1Point as _;
        let (curve, point) = match &secret {
            LocalSecret::P256(key) => (
                EcCurve::P256,
                key.public_key().to_sec1_point(false).as_bytes().to_vec(),
            ),
            LocalSecret::P384(key) => (
                EcCurve::P384,
                key.public_key().to_sec1_point(false).as_bytes().to_vec(),
            ),
        };
        let public =
            PublicKey::from_ec_point(curve, &point).map_err(|_| JweError::InvalidRecipientKey {
                reason: "public point encoding failed",
            })?;
        Ok(Self {
            secret,
            public: PublicJwk::new(public),
        })
    }
}

impl KeyAgreement for LocalKeyAgreement {
    fn curve(&self) -> EcCurve {
        match self.secret {
            LocalSecret::P256(_) => EcCurve::P256,
            LocalSecret::P384(_) => EcCurve::P384,
        }
    }

    fn public_jwk(&self) -> PublicJwk {
        self.public.clone()
    }

    fn agree(&self, peer: &PublicJwk) -> Result<SharedSecret, JweError> {
        let PublicKey::Ec { curve, point } = peer.key() else {
            return Err(JweError::InvalidEphemeralKey {
                reason: "kty is not EC",
            });
        };
        if *curve != self.curve() {
            return Err(JweError::CurveMismatch {
                epk: curve.jwk_name(),
                recipient: self.curve().jwk_name(),
            });
        }
        let off_curve = JweError::InvalidEphemeralKey {
            reason: "point is not on the curve",
        };
        let z = match &self.secret {
            LocalSecret::P256(key) => {
                let peer = p256::PublicKey::from_sec1_bytes(point).map_err(|_| off_curve)?;
                key.diffie_hellman(&peer).raw_secret_bytes().to_vec()
            }
            LocalSecret::P384(key) => {
                let peer = p384::PublicKey::from_sec1_bytes(point).map_err(|_| off_curve)?;
                key.diffie_hellman(&peer).raw_secret_bytes().to_vec()
            }
        };
        Ok(SharedSecret(z))
    }
}
