//! Where the Document Signer key comes from: the workspace's one key lookup seam,
//! [`jose_core::KeyLookup`], asked with the received `x5chain` (a [`KeyQuery`] whose `x5c` is
//! the chain, Document Signer first) and the verification time. A key configured out of band
//! is a [`jose_core::keys::StaticKeys`]; the ISO 18013-5 trust model is [`IacaTrust`].

use jose_core::keys::KeyLookupError;
#[cfg(feature = "x509")]
use jose_core::keys::{KeyLookup, KeyQuery};
#[cfg(feature = "x509")]
use jose_core::{PublicJwk, UnixTime};

use crate::error::Error;

/// The verifier's error for a key lookup that gave no key: the typed cause when it is this
/// crate's [`Error`] ([`IacaTrust`]) or a `trust_x509::Error` ([`Error::X509`]);
/// [`Error::UntrustedChain`] for any other refusal; [`Error::KeyLookupUnavailable`] when the
/// source cannot answer.
pub(crate) fn lookup_error(error: &KeyLookupError) -> Error {
    if let Some(own) = error.cause::<Error>() {
        return own.clone();
    }
    #[cfg(feature = "x509")]
    if let Some(x509) = error.cause::<trust_x509::Error>() {
        return Error::X509(x509.clone());
    }
    match error {
        KeyLookupError::Unavailable { reason } => Error::KeyLookupUnavailable {
            reason: reason.clone(),
        },
        other => Error::UntrustedChain {
            reason: other.reason().to_owned(),
        },
    }
}

/// The ISO 18013-5 trust model (feature `x509`): the `x5chain` (Document Signer first) must
/// validate at `now` to one of the configured IACA certificates under the IACA → DS profile of
/// Annex B (`trust_x509::Policy::mdoc_document_signer`), and the Document Signer key is the
/// leaf's key. An adapter over `trust_x509::AnchorLookup`.
///
/// Refused: no `x5chain` ([`Error::MissingX5Chain`]), a chain that does not validate
/// ([`Error::X509`]). As a [`KeyLookup`], each is a [`KeyLookupError::NoTrustedKey`] whose
/// cause ([`KeyLookupError::cause`]) is that [`Error`].
#[cfg(feature = "x509")]
#[cfg_attr(docsrs, doc(cfg(feature = "x509")))]
#[derive(Debug)]
pub struct IacaTrust {
    chains: trust_x509::AnchorLookup,
}

#[cfg(feature = "x509")]
impl IacaTrust {
    /// Trusts Document Signers issued by one of `iacas`.
    #[must_use]
    pub fn new(iacas: trust_x509::TrustAnchors) -> Self {
        Self {
            chains: trust_x509::AnchorLookup::new(
                iacas,
                trust_x509::Policy::mdoc_document_signer(),
            ),
        }
    }

    /// Replaces the validation policy (for example to change its limits).
    #[must_use]
    pub fn with_policy(self, policy: trust_x509::Policy) -> Self {
        Self {
            chains: self.chains.with_policy(policy),
        }
    }

    fn leaf_key(&self, query: &KeyQuery<'_>, now: UnixTime) -> Result<PublicJwk, Error> {
        let chain = query.x5c().ok_or(Error::MissingX5Chain)?;
        self.chains
            .validate(chain, now)
            .map(|validated| PublicJwk::new(validated.public_key().clone()))
            .map_err(Error::X509)
    }
}

#[cfg(feature = "x509")]
impl KeyLookup for IacaTrust {
    fn keys(&self, query: &KeyQuery<'_>, now: UnixTime) -> Result<Vec<PublicJwk>, KeyLookupError> {
        self.leaf_key(query, now)
            .map(|key| vec![key])
            .map_err(KeyLookupError::untrusted)
    }
}
