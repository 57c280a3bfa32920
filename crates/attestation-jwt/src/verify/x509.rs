//! The `x509-chain` verification method: the attestation's `x5c` must chain to a configured
//! root (HAIP: leaf and intermediates in `x5c`, the anchor left out).

use jose_core::keys::{KeyLookup, KeyLookupError, KeyQuery};
use jose_core::{CompactJws, PublicJwk, UnixTime};
use trust_x509::{AnchorLookup, CertRef, Policy, TrustAnchors};

use crate::error::{ConfigError, Error};

/// The trust anchors of an `x509-chain` configuration, parsed and checked once per verifier:
/// the workspace's X.509 key lookup, [`AnchorLookup`], under the ABCA attester profile.
#[derive(Debug)]
pub(crate) struct X509Trust {
    chains: AnchorLookup,
}

/// The configuration error for a trust-x509 refusal of the configured roots: an error about
/// one anchor names its index, any other the whole list.
fn config_error(e: &trust_x509::Error) -> ConfigError {
    match e.cert() {
        Some(CertRef::Anchor(index)) => ConfigError::TrustedRoot {
            index,
            reason: e.to_string(),
        },
        _ => ConfigError::TrustedRoots {
            reason: e.to_string(),
        },
    }
}

impl X509Trust {
    /// Parses the roots and checks the anchor rules that do not depend on the time
    /// ([`TrustAnchors::check_profile`]).
    ///
    /// # Errors
    /// [`ConfigError::TrustedRoot`] naming the refused root, or [`ConfigError::TrustedRoots`].
    pub(crate) fn new(roots_der: &[Vec<u8>], direct_trust: bool) -> Result<Self, ConfigError> {
        let anchors = TrustAnchors::from_der(roots_der.to_vec()).map_err(|e| config_error(&e))?;
        anchors.check_profile().map_err(|e| config_error(&e))?;
        let mut policy = Policy::attester();
        if direct_trust {
            policy = policy.with_direct_trust();
        }
        Ok(Self {
            chains: AnchorLookup::new(anchors, policy),
        })
    }

    /// The attester key: the `x5c` leaf's key, once the chain validates to a configured root
    /// at `now` under the ABCA attester profile (leaf KeyUsage, when present, allows
    /// `digitalSignature`; the leaf is not self-issued unless it is itself a configured root
    /// and direct trust is enabled).
    ///
    /// # Errors
    /// [`Error::X5cMissing`], [`Error::X5cUntrusted`], and [`Error::TrustedRootsInvalid`]
    /// (a server fault: [`KeyLookupError::Unavailable`] from [`AnchorLookup`]) when the path
    /// ends at a root that is expired or not yet valid.
    pub(crate) fn leaf_key(&self, jws: &CompactJws<'_>, now: UnixTime) -> Result<PublicJwk, Error> {
        if jws.header().x5c().is_none() {
            return Err(Error::X5cMissing);
        }
        let keys = self
            .chains
            .keys(&KeyQuery::from_header(jws.header()), now)
            .map_err(|e| match e {
                KeyLookupError::Unavailable { reason } => Error::TrustedRootsInvalid { reason },
                other => Error::X5cUntrusted {
                    reason: other.reason().to_owned(),
                },
            })?;
        keys.into_iter().next().ok_or_else(|| Error::X5cUntrusted {
            reason: "the key lookup returned no key".to_owned(),
        })
    }
}
