//! Crypto providers: the signature primitives behind [`PublicKey::verify`] and
//! [`LocalSigner`](crate::LocalSigner), chosen the way rustls chooses its `CryptoProvider`.
//!
//! Every signature check of every crate in this workspace goes through
//! [`PublicKey::verify`], which calls the [`default_provider`]; every in-process key is a
//! [`SigningKey`] made by one. Two providers exist:
//!
//! | Provider | Feature | ES256 | ES384 | ES512 | EdDSA | RS256, PS256 (verify) |
//! |---|---|---|---|---|---|---|
//! | [`RING`] | always | ring | ring | `p521` (feature `es512`) | ring | ring |
//! | [`AWS_LC_RS`] | `aws-lc-rs` or `aws-lc-rs-provider` | aws-lc | aws-lc | aws-lc | aws-lc | aws-lc |
//!
//! **The default.** [`RING`] is the default; enabling the `aws-lc-rs` feature (on this crate,
//! or through the feature of the same name on any crate built on it) makes [`AWS_LC_RS`] the
//! default for the whole build. Cargo unifies features, so one crate in a build that asks for
//! aws-lc-rs switches every verifier in that build: a build-wide choice, made once, as with
//! rustls' crate features. There is no process-global to install and nothing to forget. The
//! `aws-lc-rs-provider` feature compiles [`AWS_LC_RS`] without making it the default.
//! aws-lc-rs builds AWS-LC from C sources (a C compiler, no cmake, on x86-64 and aarch64 Linux).
//!
//! **Explicit choice.** [`PublicKey::verify_with`] and
//! [`LocalSigner::from_pkcs8_with`](crate::LocalSigner::from_pkcs8_with) take a provider for one
//! call; benches use them to time both floors in one run. A provider of your own (a FIPS
//! module, a hardware accelerator) implements [`CryptoProvider`].
//!
//! ```
//! use jose_core::crypto::{self, CryptoProvider};
//! use jose_core::{Algorithm, LocalSigner, Signer, SystemRandom};
//!
//! let signer = LocalSigner::generate(Algorithm::Es256, &SystemRandom::new())?;
//! let signature = signer.sign(b"payload")?;
//! let key = signer.public_jwk();
//! // The default provider, and ring named explicitly, agree.
//! key.verify(Algorithm::Es256, b"payload", &signature)?;
//! key.key().verify_with(&crypto::RING, Algorithm::Es256, b"payload", &signature)?;
//! assert!(["ring", "aws-lc-rs"].contains(&crypto::default_provider().name()));
//! # Ok::<(), jose_core::Error>(())
//! ```

#[cfg(feature = "aws-lc-rs-provider")]
mod aws_lc_rs;
mod p521;
mod ring;

#[cfg(feature = "aws-lc-rs-provider")]
#[cfg_attr(docsrs, doc(cfg(feature = "aws-lc-rs-provider")))]
pub use self::aws_lc_rs::{AWS_LC_RS, AwsLcRsProvider};
pub use self::ring::{RING, RingProvider};

use crate::algorithm::Algorithm;
use crate::error::Error;
use crate::jwk::PublicKey;
use crate::random::RandomSource;
use crate::signer::Pkcs8Secret;

/// The signature primitives one cryptographic library offers.
///
/// [`PublicKey::verify_with`] checks what is the same for every provider (the algorithm fits
/// the key, a fixed-length signature has its length) before it calls
/// [`Self::verify_signature`]; a provider only runs the primitive.
pub trait CryptoProvider: Send + Sync + core::fmt::Debug {
    /// A short name for logs and bench output (`"ring"`, `"aws-lc-rs"`).
    fn name(&self) -> &'static str;

    /// Whether `signature` (JOSE form: ECDSA as fixed-length r||s, Ed25519 raw, RSA raw) is a
    /// valid `alg` signature by `key` over `message`.
    ///
    /// # Errors
    /// [`Error::Unsupported`] when this provider has no implementation of `alg`;
    /// [`Error::KeyAlgorithmMismatch`] when `alg` does not fit the key type.
    fn verify_signature(
        &self,
        key: &PublicKey,
        alg: Algorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<bool, Error>;

    /// Loads a PKCS#8 (v1 or v2) private key for `alg`.
    ///
    /// # Errors
    /// [`Error::InvalidPrivateKey`] if the document is not a key of the algorithm's type;
    /// [`Error::Unsupported`] for RSA or an algorithm this provider lacks.
    fn signing_key_from_pkcs8(
        &self,
        alg: Algorithm,
        pkcs8: &[u8],
    ) -> Result<Box<dyn SigningKey>, Error>;

    /// Generates a fresh private key for `alg` as a PKCS#8 document.
    ///
    /// `rng` is used where the provider can take outside randomness; a provider whose library
    /// generates keys from its own system RNG (ring, aws-lc) says so in its documentation.
    ///
    /// # Errors
    /// [`Error::Unsupported`] for RSA, an algorithm this provider lacks, or failed randomness.
    fn generate_pkcs8(&self, alg: Algorithm, rng: &dyn RandomSource) -> Result<Pkcs8Secret, Error>;
}

/// A private key in process memory, loaded by a [`CryptoProvider`].
pub trait SigningKey: Send + Sync {
    /// The public half.
    fn public_key(&self) -> &PublicKey;

    /// Signs `message`, returning a JOSE-form signature.
    ///
    /// # Errors
    /// [`Error::SigningFailed`] when the library fails.
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Error>;
}

/// The provider every verifier and [`LocalSigner`](crate::LocalSigner) in this build uses:
/// [`AWS_LC_RS`] when the `aws-lc-rs` feature is on, [`RING`] otherwise.
#[must_use]
pub fn default_provider() -> &'static dyn CryptoProvider {
    #[cfg(feature = "aws-lc-rs")]
    {
        &AWS_LC_RS
    }
    #[cfg(not(feature = "aws-lc-rs"))]
    {
        &RING
    }
}

/// The error for an algorithm that does not fit the key type.
fn mismatch(key: &PublicKey, alg: Algorithm) -> Error {
    Error::KeyAlgorithmMismatch {
        alg,
        key: key.describe(),
    }
}

/// The error for a PKCS#8 document that is not a key of the algorithm's type.
const fn not_a_key_of_this_algorithm() -> Error {
    Error::InvalidPrivateKey {
        reason: "not a PKCS#8 key of this algorithm",
    }
}

/// The error for RSA private-key operations, which no provider offers.
const fn rsa_signing() -> Error {
    Error::Unsupported {
        what: "RSA signing",
    }
}

#[cfg(test)]
mod tests;
