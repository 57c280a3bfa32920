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

/// The ISO 18013-5 trust model (feature `x509`): the `x5chain` (Document Signer first) must
/// validate at `now` to one of the configured IACA certificates under the IACA → DS profile of
/// Annex B (`trust_x509::Policy::mdoc_document_signer`), and the Document Signer key is the
/// leaf's key.
#[cfg(feature = "x509")]
#[cfg_attr(docsrs, doc(cfg(feature = "x509")))]
#[derive(Debug)]
pub struct IacaTrust {
    anchors: trust_x509::TrustAnchors,
    policy: trust_x509::Policy,
}

#[cfg(feature = "x509")]
impl IacaTrust {
    /// Trusts Document Signers issued by one of `iacas`.
    #[must_use]
    pub fn new(iacas: trust_x509::TrustAnchors) -> Self {
        Self {
            anchors: iacas,
            policy: trust_x509::Policy::mdoc_document_signer(),
        }
    }

    /// Replaces the validation policy (for example to change its limits).
    #[must_use]
    pub fn with_policy(mut self, policy: trust_x509::Policy) -> Self {
        self.policy = policy;
        self
    }
}

#[cfg(feature = "x509")]
impl DocumentSignerTrust for IacaTrust {
    fn document_signer_key(&self, x5chain: &[Vec<u8>], now: UnixTime) -> Result<PublicKey, Error> {
        if x5chain.is_empty() {
            return Err(Error::MissingX5Chain);
        }
        trust_x509::validate_chain(x5chain, &self.anchors, now, &self.policy)
            .map(|chain| chain.public_key().clone())
            .map_err(Error::X509)
    }
}
