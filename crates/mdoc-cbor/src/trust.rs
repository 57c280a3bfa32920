//! Where the Document Signer key comes from: a trust policy over the received `x5chain`.

use jose_core::{PublicJwk, PublicKey, UnixTime};

use crate::error::Error;

/// Validates the `x5chain` of `issuerAuth` and yields the Document Signer's public key.
///
/// Implement it over an X.509 path validator with the ISO 18013-5 IACA → DS profile (the
/// `x509` feature ships one over `trust-x509`), or use [`PinnedKey`] when the Document Signer
/// key is known in advance. Closures `Fn(&[Vec<u8>], UnixTime) -> Result<PublicKey, Error>`
/// implement it too.
pub trait DocumentSignerTrust {
    /// `x5chain` holds the DER certificates as received, Document Signer first (empty when the
    /// header has none). Returns the key that must have signed `issuerAuth`.
    ///
    /// # Errors
    /// [`Error::MissingX5Chain`] when a chain is needed and absent, [`Error::UntrustedChain`]
    /// (or any error) when the chain is not accepted at `now`.
    fn document_signer_key(&self, x5chain: &[Vec<u8>], now: UnixTime) -> Result<PublicKey, Error>;
}

impl<F> DocumentSignerTrust for F
where
    F: Fn(&[Vec<u8>], UnixTime) -> Result<PublicKey, Error>,
{
    fn document_signer_key(&self, x5chain: &[Vec<u8>], now: UnixTime) -> Result<PublicKey, Error> {
        self(x5chain, now)
    }
}

/// A Document Signer key configured out of band; any `x5chain` is ignored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PinnedKey {
    key: PublicKey,
}

impl PinnedKey {
    /// Trusts exactly `key`.
    #[must_use]
    pub const fn new(key: PublicKey) -> Self {
        Self { key }
    }

    /// Trusts exactly the key of `jwk`.
    #[must_use]
    pub fn from_jwk(jwk: &PublicJwk) -> Self {
        Self::new(jwk.key().clone())
    }
}

impl DocumentSignerTrust for PinnedKey {
    fn document_signer_key(
        &self,
        _x5chain: &[Vec<u8>],
        _now: UnixTime,
    ) -> Result<PublicKey, Error> {
        Ok(self.key.clone())
    }
}
