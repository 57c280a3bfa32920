//! The X.509 implementation of `jose_core`'s key lookup seam: the received chain is validated
//! to configured anchors at the verification time, and the leaf's key is the only candidate.

use jose_core::keys::{KeyLookup, KeyLookupError, KeyQuery};
use jose_core::{PublicJwk, UnixTime};

use crate::{CertRef, Error, Policy, TrustAnchors, ValidatedChain, validate_chain};

/// A [`KeyLookup`] over X.509 path validation: the query's `x5c` (DER, leaf first, as
/// received) must validate at `now` to one of the anchors under the policy; the leaf's public
/// key is then the only candidate.
///
/// Errors: no `x5c` is [`KeyLookupError::NoTrustedKey`] ("no x5c certificate chain"); a chain
/// that does not validate is [`KeyLookupError::NoTrustedKey`] with the [`Error`] as its cause
/// ([`KeyLookupError::cause`]); a path that ends at an anchor that is expired or not yet valid
/// means the trust store is broken: [`KeyLookupError::Unavailable`] (a server fault).
///
/// ```no_run
/// use jose_core::keys::{KeyLookup, KeyQuery};
/// use trust_x509::{AnchorLookup, Policy, TrustAnchors};
/// # fn f(roots_pem: &str, chain: &[Vec<u8>], now: jose_core::UnixTime) -> Result<(), Box<dyn std::error::Error>> {
/// let lookup = AnchorLookup::new(TrustAnchors::from_pem(roots_pem)?, Policy::any_eku());
/// let leaf_key = lookup.keys(&KeyQuery::new().with_x5c(chain), now)?;
/// # let _ = leaf_key; Ok(()) }
/// ```
#[derive(Debug)]
pub struct AnchorLookup {
    anchors: TrustAnchors,
    policy: Policy,
}

impl AnchorLookup {
    /// Trusts chains to `anchors` under `policy`.
    #[must_use]
    pub const fn new(anchors: TrustAnchors, policy: Policy) -> Self {
        Self { anchors, policy }
    }

    /// Replaces the policy.
    #[must_use]
    pub fn with_policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// The trust anchors.
    #[must_use]
    pub const fn anchors(&self) -> &TrustAnchors {
        &self.anchors
    }

    /// The policy.
    #[must_use]
    pub const fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Validates `chain` (DER, leaf first) at `now`, for adapters that check more of the leaf
    /// than its key (for example that it names the token's issuer).
    ///
    /// # Errors
    /// The [`Error`] of [`validate_chain`].
    pub fn validate(&self, chain: &[Vec<u8>], now: UnixTime) -> Result<ValidatedChain, Error> {
        validate_chain(chain, &self.anchors, now, &self.policy)
    }
}

/// Whether the error says that the configured anchor itself cannot end a path now.
const fn anchor_broken(error: &Error) -> bool {
    matches!(
        error,
        Error::Expired {
            cert: CertRef::Anchor(_),
            ..
        } | Error::NotYetValid {
            cert: CertRef::Anchor(_),
            ..
        }
    )
}

impl KeyLookup for AnchorLookup {
    fn keys(&self, query: &KeyQuery<'_>, now: UnixTime) -> Result<Vec<PublicJwk>, KeyLookupError> {
        let chain = query
            .x5c()
            .ok_or_else(|| KeyLookupError::no_trusted_key("no x5c certificate chain"))?;
        match self.validate(chain, now) {
            Ok(validated) => Ok(vec![PublicJwk::new(validated.public_key().clone())]),
            Err(error) if anchor_broken(&error) => Err(KeyLookupError::unavailable(format!(
                "trust anchor unusable: {error}"
            ))),
            Err(error) => Err(KeyLookupError::untrusted(error)),
        }
    }
}
