//! Raw signature verification on ring (and `p521` for ES512).

use ring::signature::{self as rs, RsaPublicKeyComponents, UnparsedPublicKey};

use crate::algorithm::Algorithm;
use crate::error::Error;
use crate::jwk::PublicKey;

impl PublicKey {
    /// Verifies a JOSE-form signature (ECDSA as fixed-length r||s, Ed25519 raw, RSA raw) over
    /// `message`.
    ///
    /// This is the one place signatures are checked; everything else in the workspace calls it.
    ///
    /// # Errors
    /// [`Error::KeyAlgorithmMismatch`] when `alg` does not fit the key, [`Error::SignatureLength`]
    /// when a fixed-length signature has the wrong size, [`Error::SignatureInvalid`] otherwise.
    pub fn verify(&self, alg: Algorithm, message: &[u8], signature: &[u8]) -> Result<(), Error> {
        self.check_algorithm(alg)?;
        if let Some(expected) = alg.fixed_signature_len()
            && signature.len() != expected
        {
            return Err(Error::SignatureLength {
                alg,
                len: signature.len(),
                expected,
            });
        }
        let ok = match (self, alg) {
            (Self::Ec { point, .. }, Algorithm::Es256) => {
                UnparsedPublicKey::new(&rs::ECDSA_P256_SHA256_FIXED, point)
                    .verify(message, signature)
                    .is_ok()
            }
            (Self::Ec { point, .. }, Algorithm::Es384) => {
                UnparsedPublicKey::new(&rs::ECDSA_P384_SHA384_FIXED, point)
                    .verify(message, signature)
                    .is_ok()
            }
            (Self::Ec { point, .. }, Algorithm::Es512) => verify_p521(point, message, signature)?,
            (Self::Ed25519 { x }, Algorithm::EdDsa) => UnparsedPublicKey::new(&rs::ED25519, x)
                .verify(message, signature)
                .is_ok(),
            (Self::Rsa { n, e }, Algorithm::Rs256) => RsaPublicKeyComponents { n, e }
                .verify(&rs::RSA_PKCS1_2048_8192_SHA256, message, signature)
                .is_ok(),
            (Self::Rsa { n, e }, Algorithm::Ps256) => RsaPublicKeyComponents { n, e }
                .verify(&rs::RSA_PSS_2048_8192_SHA256, message, signature)
                .is_ok(),
            _ => {
                return Err(Error::KeyAlgorithmMismatch {
                    alg,
                    key: self.describe(),
                });
            }
        };
        if ok {
            Ok(())
        } else {
            Err(Error::SignatureInvalid)
        }
    }
}

#[cfg(feature = "es512")]
fn verify_p521(point: &[u8], message: &[u8], signature: &[u8]) -> Result<bool, Error> {
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
fn verify_p521(_: &[u8], _: &[u8], _: &[u8]) -> Result<bool, Error> {
    Err(Error::Unsupported {
        what: "ES512 (enable the es512 feature)",
    })
}
