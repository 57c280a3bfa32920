//! The `x509-chain` verification method: the attestation's `x5c` must chain to a configured
//! root (HAIP: leaf and intermediates in `x5c`, the anchor left out).

use jose_core::{CompactJws, PublicJwk, UnixTime};
use trust_x509::{CertRef, TrustAnchors};

use crate::error::{ConfigError, Error};

/// The trust anchors of an `x509-chain` configuration, parsed and checked once per verifier.
#[derive(Debug)]
pub(crate) struct X509Trust {
    anchors: TrustAnchors,
    direct_trust: bool,
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
        Ok(Self {
            anchors,
            direct_trust,
        })
    }

    /// The attester key: the `x5c` leaf's key, once the chain validates to a configured root
    /// at `now` under the ABCA attester profile (leaf KeyUsage, when present, allows
    /// `digitalSignature`; the leaf is not self-issued unless it is itself a configured root
    /// and direct trust is enabled).
    ///
    /// # Errors
    /// [`Error::X5cMissing`], [`Error::X5cUntrusted`], and [`Error::TrustedRootsInvalid`]
    /// (a server fault) when the path ends at a root that is expired or not yet valid.
    pub(crate) fn leaf_key(&self, jws: &CompactJws<'_>, now: UnixTime) -> Result<PublicJwk, Error> {
        let chain = jws.header().x5c().ok_or(Error::X5cMissing)?;
        let mut policy = trust_x509::Policy::attester();
        if self.direct_trust {
            policy = policy.with_direct_trust();
        }
        let validated = trust_x509::validate_chain(chain, &self.anchors, now, &policy).map_err(
            |e| match e {
                trust_x509::Error::Expired {
                    cert: CertRef::Anchor(_),
                    ..
                }
                | trust_x509::Error::NotYetValid {
                    cert: CertRef::Anchor(_),
                    ..
                } => Error::TrustedRootsInvalid {
                    reason: e.to_string(),
                },
                other => Error::X5cUntrusted {
                    reason: other.to_string(),
                },
            },
        )?;
        Ok(PublicJwk::new(validated.public_key().clone()))
    }
}
