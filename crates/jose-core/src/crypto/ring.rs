//! The ring provider (the default): ES256, ES384, EdDSA and RSA verification on ring, ES512
//! on the pure-Rust `p521` crate (feature `es512`; ring has no P-521).

use ring::rand::SystemRandom;
use ring::signature::{self as rs, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _};

use super::{CryptoProvider, SigningKey, mismatch, not_a_key_of_this_algorithm, rsa_signing};
use crate::algorithm::Algorithm;
use crate::error::Error;
use crate::jwk::{EcCurve, PublicKey};
use crate::random::RandomSource;
use crate::signer::Pkcs8Secret;

/// The ring provider. Keys are generated from ring's own system RNG (the `rng` argument of
/// [`CryptoProvider::generate_pkcs8`] is used for ES512 only); ECDSA signatures draw their
/// nonce from it too.
#[derive(Debug)]
#[non_exhaustive]
pub struct RingProvider;

/// The ring provider, the default unless the `aws-lc-rs` feature is on.
pub static RING: RingProvider = RingProvider;

impl CryptoProvider for RingProvider {
    fn name(&self) -> &'static str {
        "ring"
    }

    fn verify_signature(
        &self,
        key: &PublicKey,
        alg: Algorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<bool, Error> {
        let check = |algorithm: &'static dyn rs::VerificationAlgorithm, raw: &[u8]| {
            rs::UnparsedPublicKey::new(algorithm, raw)
                .verify(message, signature)
                .is_ok()
        };
        Ok(match (key, alg) {
            (PublicKey::Ec { point, .. }, Algorithm::Es256) => {
                check(&rs::ECDSA_P256_SHA256_FIXED, point)
            }
            (PublicKey::Ec { point, .. }, Algorithm::Es384) => {
                check(&rs::ECDSA_P384_SHA384_FIXED, point)
            }
            (PublicKey::Ec { point, .. }, Algorithm::Es512) => {
                super::p521::verify(point, message, signature)?
            }
            (PublicKey::Ed25519 { x }, Algorithm::EdDsa) => check(&rs::ED25519, x),
            (PublicKey::Rsa { n, e }, Algorithm::Rs256) => rs::RsaPublicKeyComponents { n, e }
                .verify(&rs::RSA_PKCS1_2048_8192_SHA256, message, signature)
                .is_ok(),
            (PublicKey::Rsa { n, e }, Algorithm::Ps256) => rs::RsaPublicKeyComponents { n, e }
                .verify(&rs::RSA_PSS_2048_8192_SHA256, message, signature)
                .is_ok(),
            _ => return Err(mismatch(key, alg)),
        })
    }

    fn signing_key_from_pkcs8(
        &self,
        alg: Algorithm,
        pkcs8: &[u8],
    ) -> Result<Box<dyn SigningKey>, Error> {
        let rng = SystemRandom::new();
        match alg {
            Algorithm::Es256 | Algorithm::Es384 => {
                let (signing, curve) = ecdsa_signing(alg);
                let pair = EcdsaKeyPair::from_pkcs8(signing, pkcs8, &rng)
                    .map_err(|_| not_a_key_of_this_algorithm())?;
                let public = PublicKey::from_ec_point(curve, pair.public_key().as_ref())?;
                Ok(Box::new(RingEcdsa { pair, public, rng }))
            }
            Algorithm::EdDsa => {
                let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8)
                    .map_err(|_| not_a_key_of_this_algorithm())?;
                let x = <[u8; 32]>::try_from(pair.public_key().as_ref())
                    .map_err(|_| not_a_key_of_this_algorithm())?;
                let public = PublicKey::Ed25519 { x };
                Ok(Box::new(RingEd25519 { pair, public }))
            }
            Algorithm::Es512 => super::p521::signing_key_from_pkcs8(pkcs8),
            Algorithm::Ps256 | Algorithm::Rs256 => Err(rsa_signing()),
        }
    }

    fn generate_pkcs8(&self, alg: Algorithm, rng: &dyn RandomSource) -> Result<Pkcs8Secret, Error> {
        let ring_rng = SystemRandom::new();
        let failed = |_| Error::Unsupported {
            what: "key generation",
        };
        let document = match alg {
            Algorithm::Es256 | Algorithm::Es384 => {
                EcdsaKeyPair::generate_pkcs8(ecdsa_signing(alg).0, &ring_rng).map_err(failed)?
            }
            Algorithm::EdDsa => Ed25519KeyPair::generate_pkcs8(&ring_rng).map_err(failed)?,
            Algorithm::Es512 => return super::p521::generate_pkcs8(rng),
            Algorithm::Ps256 | Algorithm::Rs256 => {
                return Err(Error::Unsupported {
                    what: "RSA key generation",
                });
            }
        };
        Ok(Pkcs8Secret::new(document.as_ref().to_vec()))
    }
}

/// ring's fixed-signature ECDSA signing algorithm and the curve of ES256 or ES384.
fn ecdsa_signing(alg: Algorithm) -> (&'static rs::EcdsaSigningAlgorithm, EcCurve) {
    if alg == Algorithm::Es384 {
        (&rs::ECDSA_P384_SHA384_FIXED_SIGNING, EcCurve::P384)
    } else {
        (&rs::ECDSA_P256_SHA256_FIXED_SIGNING, EcCurve::P256)
    }
}

struct RingEcdsa {
    pair: EcdsaKeyPair,
    public: PublicKey,
    rng: SystemRandom,
}

impl SigningKey for RingEcdsa {
    fn public_key(&self) -> &PublicKey {
        &self.public
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Error> {
        self.pair
            .sign(&self.rng, message)
            .map(|signature| signature.as_ref().to_vec())
            .map_err(|_| Error::SigningFailed {
                reason: "ECDSA signing failed".into(),
            })
    }
}

struct RingEd25519 {
    pair: Ed25519KeyPair,
    public: PublicKey,
}

impl SigningKey for RingEd25519 {
    fn public_key(&self) -> &PublicKey {
        &self.public
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Error> {
        Ok(self.pair.sign(message).as_ref().to_vec())
    }
}
