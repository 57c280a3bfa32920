//! A ring-backed [`CryptoProvider`] for applications that also use jsonwebtoken 11
//! (feature `jsonwebtoken`).
//!
//! jsonwebtoken 11 has no cryptography of its own: without a process-wide provider it panics on
//! first use, its `rust_crypto` backend pulls `rsa` 0.9 (RUSTSEC-2023-0071) and its `aws_lc_rs`
//! backend needs a C build. [`RING_PROVIDER`] runs it on ring, the engine this workspace already
//! links. Call [`install`] once at start-up, before anything touches jsonwebtoken.
//!
//! | Algorithm | Sign | Verify | Key |
//! |---|---|---|---|
//! | ES256, ES384 | yes | yes | sign: PKCS#8 DER; verify: uncompressed point `04‖x‖y` |
//! | EdDSA (Ed25519) | yes | yes | sign: PKCS#8 v1 or v2 DER; verify: 32-byte public key |
//! | HS256, HS384, HS512 | yes | yes | a secret at least as long as the hash output (RFC 7518 §3.2) |
//! | RS256/384/512, PS256/384/512 | no | yes | `n`/`e` components or a PKCS#1 `RSAPublicKey` DER, 2048–8192 bits |
//!
//! Every factory refuses an algorithm whose family differs from the key's family with
//! `ErrorKind::InvalidKeyFormat`, so an `HS256` token "keyed" with an EC or RSA public key never
//! verifies (the classic algorithm-confusion attack).

use std::sync::OnceLock;

use jsonwebtoken::crypto::{CryptoProvider, JwtSigner, JwtVerifier, KeyUtils};
use jsonwebtoken::errors::{Error as JwtError, ErrorKind};
use jsonwebtoken::jwk::{EllipticCurve, ThumbprintHash};
use jsonwebtoken::signature;
use jsonwebtoken::{Algorithm, DecodingKey, DecodingKeyKind, EncodingKey};
use ring::rand::SystemRandom;
use ring::signature::{
    self as rs, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, RsaPublicKeyComponents,
    UnparsedPublicKey,
};
use ring::{digest, hmac};

mod rsa_der;
#[cfg(test)]
mod tests;

/// jsonwebtoken's result type.
type JwtResult<T> = Result<T, JwtError>;

/// The ring-backed provider. Prefer [`install`], which also tells whether it is the one in use.
pub static RING_PROVIDER: CryptoProvider = CryptoProvider {
    signer_factory: new_signer,
    verifier_factory: new_verifier,
    key_utils: KeyUtils {
        rsa_pub_components_from_private_key: rsa_components_from_private_key,
        rsa_pub_components_from_public_key: rsa_components_from_public_key,
        ec_pub_components_from_private_key: ec_components_from_private_key,
        ed_pub_components_from_private_key: ed_component_from_private_key,
        compute_digest,
    },
};

/// The outcome of this module's one attempt to install [`RING_PROVIDER`].
static INSTALLED_BY_US: OnceLock<bool> = OnceLock::new();

/// Installs [`RING_PROVIDER`] as jsonwebtoken's process-wide provider.
///
/// Returns `true` when ours is the installed provider (installed by this call or an earlier
/// one), `false` when another provider was installed first. jsonwebtoken's choice is made once
/// per process, so the answer never changes; calling this again is cheap and harmless.
///
/// Any jsonwebtoken call that signs, verifies or builds a JWK *before* a provider is installed
/// fixes jsonwebtoken's panicking placeholder as the provider, after which this returns `false`:
/// call it first thing in `main`. Installing `RING_PROVIDER` directly with
/// `install_default()` instead of through this function also makes it return `false`.
#[must_use = "false means another jsonwebtoken provider is in use"]
pub fn install() -> bool {
    *INSTALLED_BY_US.get_or_init(|| RING_PROVIDER.install_default().is_ok())
}

/// Refuses a key whose family is not the algorithm's (the algorithm-confusion guard).
fn check_family(alg: Algorithm, key_family: jsonwebtoken::AlgorithmFamily) -> JwtResult<()> {
    if alg.family() == key_family {
        Ok(())
    } else {
        Err(ErrorKind::InvalidKeyFormat.into())
    }
}

/// An HMAC key for `alg`, refusing secrets shorter than the hash output (RFC 7518 §3.2).
fn hmac_key(alg: Algorithm, secret: &[u8]) -> JwtResult<hmac::Key> {
    let ring_alg = match alg {
        Algorithm::HS256 => hmac::HMAC_SHA256,
        Algorithm::HS384 => hmac::HMAC_SHA384,
        Algorithm::HS512 => hmac::HMAC_SHA512,
        _ => return Err(ErrorKind::UnsupportedAlgorithm.into()),
    };
    if secret.len() < ring_alg.digest_algorithm().output_len() {
        return Err(ErrorKind::InvalidKeyFormat.into());
    }
    Ok(hmac::Key::new(ring_alg, secret))
}

/// ring's fixed-length (JOSE r‖s) ECDSA signing algorithm for `alg`.
fn ecdsa_signing(alg: Algorithm) -> JwtResult<&'static rs::EcdsaSigningAlgorithm> {
    match alg {
        Algorithm::ES256 => Ok(&rs::ECDSA_P256_SHA256_FIXED_SIGNING),
        Algorithm::ES384 => Ok(&rs::ECDSA_P384_SHA384_FIXED_SIGNING),
        _ => Err(ErrorKind::UnsupportedAlgorithm.into()),
    }
}

/// A private key ready to sign.
enum SigningKey {
    Ecdsa(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
    Hmac(hmac::Key),
}

/// A [`JwtSigner`] over one ring key.
struct RingSigner {
    alg: Algorithm,
    key: SigningKey,
    rng: SystemRandom,
}

impl signature::Signer<Vec<u8>> for RingSigner {
    fn try_sign(&self, msg: &[u8]) -> Result<Vec<u8>, signature::Error> {
        match &self.key {
            SigningKey::Ecdsa(pair) => pair
                .sign(&self.rng, msg)
                .map(|sig| sig.as_ref().to_vec())
                .map_err(|_| signature::Error::new()),
            SigningKey::Ed25519(pair) => Ok(pair.sign(msg).as_ref().to_vec()),
            SigningKey::Hmac(key) => Ok(hmac::sign(key, msg).as_ref().to_vec()),
        }
    }
}

impl JwtSigner for RingSigner {
    fn algorithm(&self) -> Algorithm {
        self.alg
    }
}

/// `signer_factory`: ES256/ES384/EdDSA from PKCS#8 DER, HS* from a secret. RSA signing is not
/// offered (as in [`LocalSigner`](crate::LocalSigner)).
fn new_signer(alg: &Algorithm, key: &EncodingKey) -> JwtResult<Box<dyn JwtSigner>> {
    let alg = *alg;
    check_family(alg, key.family())?;
    let rng = SystemRandom::new();
    let bytes = key.as_bytes();
    let signing_key = match alg {
        Algorithm::ES256 | Algorithm::ES384 => SigningKey::Ecdsa(
            EcdsaKeyPair::from_pkcs8(ecdsa_signing(alg)?, bytes, &rng)
                .map_err(|_| ErrorKind::InvalidEcdsaKey)?,
        ),
        Algorithm::EdDSA => SigningKey::Ed25519(
            Ed25519KeyPair::from_pkcs8_maybe_unchecked(bytes)
                .map_err(|_| ErrorKind::InvalidEddsaKey)?,
        ),
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => {
            SigningKey::Hmac(hmac_key(alg, bytes)?)
        }
        _ => return Err(ErrorKind::UnsupportedAlgorithm.into()),
    };
    Ok(Box::new(RingSigner {
        alg,
        key: signing_key,
        rng,
    }))
}

/// A public key (or HMAC secret) ready to verify.
enum VerifyingKey {
    /// EC point or Ed25519 key bytes, with the ring algorithm they go with.
    Raw {
        ring_alg: &'static dyn rs::VerificationAlgorithm,
        bytes: Vec<u8>,
    },
    /// RSA modulus and exponent, big-endian without leading zeros.
    Rsa {
        params: &'static rs::RsaParameters,
        n: Vec<u8>,
        e: Vec<u8>,
    },
    Hmac(hmac::Key),
}

/// A [`JwtVerifier`] over one ring key.
struct RingVerifier {
    alg: Algorithm,
    key: VerifyingKey,
}

impl signature::Verifier<Vec<u8>> for RingVerifier {
    fn verify(&self, msg: &[u8], sig: &Vec<u8>) -> Result<(), signature::Error> {
        let verified = match &self.key {
            VerifyingKey::Raw { ring_alg, bytes } => {
                UnparsedPublicKey::new(*ring_alg, bytes).verify(msg, sig)
            }
            VerifyingKey::Rsa { params, n, e } => {
                RsaPublicKeyComponents { n, e }.verify(params, msg, sig)
            }
            VerifyingKey::Hmac(key) => hmac::verify(key, msg, sig),
        };
        verified.map_err(|_| signature::Error::new())
    }
}

impl JwtVerifier for RingVerifier {
    fn algorithm(&self) -> Algorithm {
        self.alg
    }
}

/// Checks that `point` is an uncompressed SEC1 point of `len` bytes.
fn ec_point(point: &[u8], len: usize) -> JwtResult<Vec<u8>> {
    if point.len() == len && point.first() == Some(&4) {
        Ok(point.to_vec())
    } else {
        Err(ErrorKind::InvalidEcdsaKey.into())
    }
}

/// ring's RSA verification parameters for `alg` (2048–8192-bit moduli).
fn rsa_params(alg: Algorithm) -> JwtResult<&'static rs::RsaParameters> {
    match alg {
        Algorithm::RS256 => Ok(&rs::RSA_PKCS1_2048_8192_SHA256),
        Algorithm::RS384 => Ok(&rs::RSA_PKCS1_2048_8192_SHA384),
        Algorithm::RS512 => Ok(&rs::RSA_PKCS1_2048_8192_SHA512),
        Algorithm::PS256 => Ok(&rs::RSA_PSS_2048_8192_SHA256),
        Algorithm::PS384 => Ok(&rs::RSA_PSS_2048_8192_SHA384),
        Algorithm::PS512 => Ok(&rs::RSA_PSS_2048_8192_SHA512),
        _ => Err(ErrorKind::UnsupportedAlgorithm.into()),
    }
}

/// Drops leading zero bytes (a JWK `n` sometimes carries a sign byte; the number is the same).
fn without_leading_zeros(bytes: &[u8]) -> Vec<u8> {
    let start = bytes.iter().take_while(|b| **b == 0).count();
    bytes.get(start..).unwrap_or_default().to_vec()
}

/// `verifier_factory`: every algorithm jsonwebtoken names, each only with a key of its family.
fn new_verifier(alg: &Algorithm, key: &DecodingKey) -> JwtResult<Box<dyn JwtVerifier>> {
    let alg = *alg;
    check_family(alg, key.family())?;
    let verifying_key = match (alg, key.kind()) {
        (Algorithm::ES256, DecodingKeyKind::SecretOrDer(point)) => VerifyingKey::Raw {
            ring_alg: &rs::ECDSA_P256_SHA256_FIXED,
            bytes: ec_point(point, 65)?,
        },
        (Algorithm::ES384, DecodingKeyKind::SecretOrDer(point)) => VerifyingKey::Raw {
            ring_alg: &rs::ECDSA_P384_SHA384_FIXED,
            bytes: ec_point(point, 97)?,
        },
        (Algorithm::EdDSA, DecodingKeyKind::SecretOrDer(x)) => {
            if x.len() != 32 {
                return Err(ErrorKind::InvalidEddsaKey.into());
            }
            VerifyingKey::Raw {
                ring_alg: &rs::ED25519,
                bytes: x.clone(),
            }
        }
        (
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512,
            DecodingKeyKind::SecretOrDer(secret),
        ) => VerifyingKey::Hmac(hmac_key(alg, secret)?),
        (_, DecodingKeyKind::RsaModulusExponent { n, e }) => VerifyingKey::Rsa {
            params: rsa_params(alg)?,
            n: without_leading_zeros(n),
            e: without_leading_zeros(e),
        },
        (_, DecodingKeyKind::SecretOrDer(der)) => {
            let params = rsa_params(alg)?;
            let (n, e) = rsa_der::parse_rsa_public_key(der).ok_or_else(|| {
                ErrorKind::InvalidRsaKey("not a DER PKCS#1 RSAPublicKey".to_owned())
            })?;
            VerifyingKey::Rsa { params, n, e }
        }
    };
    Ok(Box::new(RingVerifier {
        alg,
        key: verifying_key,
    }))
}

/// `key_utils`: RSA `(n, e)` from a PKCS#1 (or PKCS#8) private key DER.
fn rsa_components_from_private_key(der: &[u8]) -> JwtResult<(Vec<u8>, Vec<u8>)> {
    let pair = rs::RsaKeyPair::from_der(der)
        .or_else(|_| rs::RsaKeyPair::from_pkcs8(der))
        .map_err(|rejected| ErrorKind::InvalidRsaKey(rejected.to_string()))?;
    let components = RsaPublicKeyComponents::<Vec<u8>>::from(pair.public());
    Ok((components.n, components.e))
}

/// `key_utils`: RSA `(n, e)` from a PKCS#1 `RSAPublicKey` DER.
fn rsa_components_from_public_key(der: &[u8]) -> JwtResult<(Vec<u8>, Vec<u8>)> {
    rsa_der::parse_rsa_public_key(der)
        .ok_or_else(|| ErrorKind::InvalidRsaKey("not a DER PKCS#1 RSAPublicKey".to_owned()).into())
}

/// `key_utils`: the curve and `(x, y)` of a PKCS#8 EC private key for `alg`.
fn ec_components_from_private_key(
    der: &[u8],
    alg: Algorithm,
) -> JwtResult<(EllipticCurve, Vec<u8>, Vec<u8>)> {
    let (curve, coordinate_len) = match alg {
        Algorithm::ES256 => (EllipticCurve::P256, 32),
        Algorithm::ES384 => (EllipticCurve::P384, 48),
        _ => return Err(ErrorKind::UnsupportedAlgorithm.into()),
    };
    let pair = EcdsaKeyPair::from_pkcs8(ecdsa_signing(alg)?, der, &SystemRandom::new())
        .map_err(|_| ErrorKind::InvalidEcdsaKey)?;
    let point = pair.public_key().as_ref();
    let (x, y) = match point.split_first() {
        Some((4, xy)) => xy
            .split_at_checked(coordinate_len)
            .ok_or(ErrorKind::InvalidEcdsaKey)?,
        _ => return Err(ErrorKind::InvalidEcdsaKey.into()),
    };
    Ok((curve, x.to_vec(), y.to_vec()))
}

/// `key_utils`: the Ed25519 public key of a PKCS#8 (v1 or v2) private key.
fn ed_component_from_private_key(der: &[u8], curve: &EllipticCurve) -> JwtResult<Vec<u8>> {
    if *curve != EllipticCurve::Ed25519 {
        return Err(ErrorKind::UnsupportedAlgorithm.into());
    }
    let pair =
        Ed25519KeyPair::from_pkcs8_maybe_unchecked(der).map_err(|_| ErrorKind::InvalidEddsaKey)?;
    Ok(pair.public_key().as_ref().to_vec())
}

/// `key_utils`: SHA-2 digests for JWK thumbprints (RFC 7638).
fn compute_digest(data: &[u8], hash: ThumbprintHash) -> JwtResult<Vec<u8>> {
    let algorithm = match hash {
        ThumbprintHash::SHA256 => &digest::SHA256,
        ThumbprintHash::SHA384 => &digest::SHA384,
        ThumbprintHash::SHA512 => &digest::SHA512,
        _ => return Err(ErrorKind::UnsupportedAlgorithm.into()),
    };
    Ok(digest::digest(algorithm, data).as_ref().to_vec())
}
