//! The aws-lc-rs provider (feature `aws-lc-rs`): every algorithm, ES512 included, on AWS-LC.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self as als, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _};

use super::{CryptoProvider, SigningKey, mismatch, not_a_key_of_this_algorithm, rsa_signing};
use crate::algorithm::Algorithm;
use crate::error::Error;
use crate::jwk::{EcCurve, PublicKey};
use crate::random::RandomSource;
use crate::signer::Pkcs8Secret;

/// The aws-lc-rs provider. Keys are generated from AWS-LC's own system RNG (the `rng`
/// argument of [`CryptoProvider::generate_pkcs8`] is not used); ECDSA signatures draw their
/// nonce from it too.
#[derive(Debug)]
#[non_exhaustive]
pub struct AwsLcRsProvider;

/// The aws-lc-rs provider, the default when the `aws-lc-rs` feature is on.
pub static AWS_LC_RS: AwsLcRsProvider = AwsLcRsProvider;

impl CryptoProvider for AwsLcRsProvider {
    fn name(&self) -> &'static str {
        "aws-lc-rs"
    }

    fn verify_signature(
        &self,
        key: &PublicKey,
        alg: Algorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<bool, Error> {
        let check = |algorithm: &'static dyn als::VerificationAlgorithm, raw: &[u8]| {
            als::UnparsedPublicKey::new(algorithm, raw)
                .verify(message, signature)
                .is_ok()
        };
        Ok(match (key, alg) {
            (PublicKey::Ec { point, .. }, Algorithm::Es256) => {
                check(&als::ECDSA_P256_SHA256_FIXED, point)
            }
            (PublicKey::Ec { point, .. }, Algorithm::Es384) => {
                check(&als::ECDSA_P384_SHA384_FIXED, point)
            }
            (PublicKey::Ec { point, .. }, Algorithm::Es512) => {
                check(&als::ECDSA_P521_SHA512_FIXED, point)
            }
            (PublicKey::Ed25519 { x }, Algorithm::EdDsa) => check(&als::ED25519, x),
            (PublicKey::Rsa { n, e }, Algorithm::Rs256) => als::RsaPublicKeyComponents { n, e }
                .verify(&als::RSA_PKCS1_2048_8192_SHA256, message, signature)
                .is_ok(),
            (PublicKey::Rsa { n, e }, Algorithm::Ps256) => als::RsaPublicKeyComponents { n, e }
                .verify(&als::RSA_PSS_2048_8192_SHA256, message, signature)
                .is_ok(),
            _ => return Err(mismatch(key, alg)),
        })
    }

    fn signing_key_from_pkcs8(
        &self,
        alg: Algorithm,
        pkcs8: &[u8],
    ) -> Result<Box<dyn SigningKey>, Error> {
        match alg {
            Algorithm::Es256 | Algorithm::Es384 | Algorithm::Es512 => {
                let (signing, curve) = ecdsa_signing(alg);
                let pair = EcdsaKeyPair::from_pkcs8(signing, pkcs8)
                    .map_err(|_| not_a_key_of_this_algorithm())?;
                let public = PublicKey::from_ec_point(curve, pair.public_key().as_ref())?;
                Ok(Box::new(AwsLcEcdsa {
                    pair,
                    public,
                    rng: SystemRandom::new(),
                }))
            }
            Algorithm::EdDsa => {
                let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8)
                    .map_err(|_| not_a_key_of_this_algorithm())?;
                let x = <[u8; 32]>::try_from(pair.public_key().as_ref())
                    .map_err(|_| not_a_key_of_this_algorithm())?;
                let public = PublicKey::Ed25519 { x };
                Ok(Box::new(AwsLcEd25519 { pair, public }))
            }
            Algorithm::Ps256 | Algorithm::Rs256 => Err(rsa_signing()),
        }
    }

    fn generate_pkcs8(&self, alg: Algorithm, _: &dyn RandomSource) -> Result<Pkcs8Secret, Error> {
        let rng = SystemRandom::new();
        let failed = |_| Error::Unsupported {
            what: "key generation",
        };
        let document = match alg {
            Algorithm::Es256 | Algorithm::Es384 | Algorithm::Es512 => {
                EcdsaKeyPair::generate_pkcs8(ecdsa_signing(alg).0, &rng).map_err(failed)?
            }
            Algorithm::EdDsa => Ed25519KeyPair::generate_pkcs8(&rng).map_err(failed)?,
            Algorithm::Ps256 | Algorithm::Rs256 => {
                return Err(Error::Unsupported {
                    what: "RSA key generation",
                });
            }
        };
        Ok(Pkcs8Secret::new(document.as_ref().to_vec()))
    }
}

/// AWS-LC's fixed-signature ECDSA signing algorithm and the curve of ES256, ES384 or ES512.
fn ecdsa_signing(alg: Algorithm) -> (&'static als::EcdsaSigningAlgorithm, EcCurve) {
    match alg {
        Algorithm::Es384 => (&als::ECDSA_P384_SHA384_FIXED_SIGNING, EcCurve::P384),
        Algorithm::Es512 => (&als::ECDSA_P521_SHA512_FIXED_SIGNING, EcCurve::P521),
        _ => (&als::ECDSA_P256_SHA256_FIXED_SIGNING, EcCurve::P256),
    }
}

struct AwsLcEcdsa {
    pair: EcdsaKeyPair,
    public: PublicKey,
    rng: SystemRandom,
}

impl SigningKey for AwsLcEcdsa {
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

struct AwsLcEd25519 {
    pair: Ed25519KeyPair,
    public: PublicKey,
}

impl SigningKey for AwsLcEd25519 {
    fn public_key(&self) -> &PublicKey {
        &self.public
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Error> {
        Ok(self.pair.sign(message).as_ref().to_vec())
    }
}
