//! Signature verification: the checks every provider shares, then the provider's primitive.

use crate::algorithm::Algorithm;
use crate::crypto::{CryptoProvider, default_provider};
use crate::error::Error;
use crate::jwk::PublicKey;

impl PublicKey {
    /// Verifies a JOSE-form signature (ECDSA as fixed-length r||s, Ed25519 raw, RSA raw) over
    /// `message` with the build's [`default_provider`].
    ///
    /// This is the one place signatures are checked; everything else in the workspace calls it.
    ///
    /// # Errors
    /// [`Error::KeyAlgorithmMismatch`] when `alg` does not fit the key, [`Error::SignatureLength`]
    /// when a fixed-length signature has the wrong size, [`Error::Unsupported`] when the provider
    /// lacks `alg` (ES512 without the `es512` feature on ring), [`Error::SignatureInvalid`]
    /// otherwise.
    pub fn verify(&self, alg: Algorithm, message: &[u8], signature: &[u8]) -> Result<(), Error> {
        self.verify_with(default_provider(), alg, message, signature)
    }

    /// As [`Self::verify`], with `provider` instead of the default.
    ///
    /// # Errors
    /// As [`Self::verify`].
    pub fn verify_with(
        &self,
        provider: &dyn CryptoProvider,
        alg: Algorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
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
        if provider.verify_signature(self, alg, message, signature)? {
            Ok(())
        } else {
            Err(Error::SignatureInvalid)
        }
    }
}
