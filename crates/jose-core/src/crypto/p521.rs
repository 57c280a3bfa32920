//! ES512 for the ring provider, on the pure-Rust `p521` crate (feature `es512`; ring has no
//! P-521). P-521 signatures are deterministic (RFC 6979).

use super::SigningKey;
use crate::error::Error;
#[cfg(feature = "es512")]
use crate::jwk::{EcCurve, PublicKey};
use crate::random::RandomSource;
use crate::signer::Pkcs8Secret;

#[cfg(not(feature = "es512"))]
const fn disabled() -> Error {
    Error::Unsupported {
        what: "ES512 (enable the es512 feature)",
    }
}

/// Whether `signature` (r||s, 132 bytes) is a valid ES512 signature by the SEC1 `point`.
#[cfg(feature = "es512")]
pub(super) fn verify(point: &[u8], message: &[u8], signature: &[u8]) -> Result<bool, Error> {
    use p521::ecdsa::signature::Verifier as _;
    let Ok(key) = p521::ecdsa::VerifyingKey::from_sec1_bytes(point) else {
        return Ok(false);
    };
    let Ok(signature) = p521::ecdsa::Signature::from_slice(signature) else {
        return Ok(false);
    };
    Ok(key.verify(message, &signature).is_ok())
}

#[cfg(not(feature = "es512"))]
pub(super) fn verify(_: &[u8], _: &[u8], _: &[u8]) -> Result<bool, Error> {
    Err(disabled())
}

#[cfg(feature = "es512")]
struct P521Key {
    key: p521::ecdsa::SigningKey,
    public: PublicKey,
}

#[cfg(feature = "es512")]
impl SigningKey for P521Key {
    fn public_key(&self) -> &PublicKey {
        &self.public
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Error> {
        use p521::ecdsa::signature::Signer as _;
        let signature: p521::ecdsa::Signature =
            self.key
                .try_sign(message)
                .map_err(|_| Error::SigningFailed {
                    reason: "P-521 signing failed".into(),
                })?;
        Ok(signature.to_bytes().to_vec())
    }
}

/// Loads a PKCS#8 P-521 key.
#[cfg(feature = "es512")]
pub(super) fn signing_key_from_pkcs8(pkcs8: &[u8]) -> Result<Box<dyn SigningKey>, Error> {
    use p521::pkcs8::DecodePrivateKey as _;
    let key =
        p521::ecdsa::SigningKey::from_pkcs8_der(pkcs8).map_err(|_| Error::InvalidPrivateKey {
            reason: "not a PKCS#8 P-521 key",
        })?;
    let point = key.verifying_key().to_sec1_bytes();
    let public = PublicKey::from_ec_point(EcCurve::P521, &point)?;
    Ok(Box::new(P521Key { key, public }))
}

#[cfg(not(feature = "es512"))]
pub(super) fn signing_key_from_pkcs8(_: &[u8]) -> Result<Box<dyn SigningKey>, Error> {
    Err(disabled())
}

/// Generates a P-521 key from `rng` by rejection sampling: 521 random bits, drawn again while
/// they are not a valid scalar (0 or ≥ n).
#[cfg(feature = "es512")]
pub(super) fn generate_pkcs8(rng: &dyn RandomSource) -> Result<Pkcs8Secret, Error> {
    use p521::pkcs8::EncodePrivateKey as _;
    for _ in 0..64 {
        let mut bytes = [0u8; 66];
        rng.fill(&mut bytes)?;
        bytes[0] &= 0x01;
        if let Ok(key) = p521::ecdsa::SigningKey::from_slice(&bytes) {
            let document = key.to_pkcs8_der().map_err(|_| Error::Unsupported {
                what: "P-521 PKCS#8 encoding",
            })?;
            return Ok(Pkcs8Secret::new(document.as_bytes().to_vec()));
        }
    }
    Err(Error::Unsupported {
        what: "P-521 key generation",
    })
}

#[cfg(not(feature = "es512"))]
pub(super) fn generate_pkcs8(_: &dyn RandomSource) -> Result<Pkcs8Secret, Error> {
    Err(disabled())
}
