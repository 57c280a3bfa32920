//! The `x509-chain` verification method: the attestation's `x5c` must chain to a configured
//! root (HAIP: leaf and intermediates in `x5c`, the anchor left out).

use jose_core::{CompactJws, PublicJwk, UnixTime};

use crate::config::VerificationMethod;
use crate::error::Error;

/// The trust anchors of an `x509-chain` configuration, prepared once per verifier.
#[derive(Debug)]
pub(crate) struct X509Trust {
    #[cfg(feature = "x509")]
    anchors: Result<trust_x509::TrustAnchors, String>,
    pub(crate) direct_trust: bool,
}

impl X509Trust {
    /// Prepares the anchors when `method` is `x509-chain`.
    pub(crate) fn new(method: &VerificationMethod) -> Option<Self> {
        let VerificationMethod::X509Chain { trusted_roots_der } = method else {
            return None;
        };
        #[cfg(not(feature = "x509"))]
        let _ = trusted_roots_der;
        Some(Self {
            #[cfg(feature = "x509")]
            anchors: trust_x509::TrustAnchors::from_der(trusted_roots_der.clone())
                .map_err(|e| e.to_string()),
            direct_trust: false,
        })
    }
}

/// The attester key: the `x5c` leaf's key, once the chain validates to a configured root at
/// `now` under the ABCA attester profile (leaf KeyUsage, when present, allows
/// `digitalSignature`; the leaf is not self-issued unless it is itself a configured root and
/// direct trust is enabled).
///
/// # Errors
/// [`Error::X5cMissing`], [`Error::TrustedRootsInvalid`], [`Error::X5cUntrusted`], and
/// [`Error::X509Unavailable`] without the `x509` feature.
pub(crate) fn leaf_key(
    jws: &CompactJws<'_>,
    trust: Option<&X509Trust>,
    now: UnixTime,
) -> Result<PublicJwk, Error> {
    let chain = jws.header().x5c().ok_or(Error::X5cMissing)?;
    let trust = trust.ok_or(Error::ApiMisuse {
        reason: "x509-chain trust was not prepared",
    })?;
    validate(chain, trust, now)
}

#[cfg(feature = "x509")]
fn validate(chain: &[Vec<u8>], trust: &X509Trust, now: UnixTime) -> Result<PublicJwk, Error> {
    let anchors = trust
        .anchors
        .as_ref()
        .map_err(|reason| Error::TrustedRootsInvalid {
            reason: reason.clone(),
        })?;
    let mut policy = trust_x509::Policy::attester();
    if trust.direct_trust {
        policy = policy.with_direct_trust();
    }
    let validated = trust_x509::validate_chain(chain, anchors, now, &policy).map_err(|e| {
        Error::X5cUntrusted {
            reason: e.to_string(),
        }
    })?;
    Ok(PublicJwk::new(validated.public_key().clone()))
}

#[cfg(not(feature = "x509"))]
fn validate(chain: &[Vec<u8>], trust: &X509Trust, now: UnixTime) -> Result<PublicJwk, Error> {
    let _ = (chain, trust, now);
    Err(Error::X509Unavailable)
}
