//! The `x509-chain` verification method.

use jose_core::{CompactJws, PublicJwk, UnixTime};

use crate::error::Error;

/// The attester key from the attestation's `x5c` leaf, once the chain validates to one of
/// `roots` at `now`.
///
/// This build has no X.509 path validation (the `trust-x509` crate is not wired in yet), so
/// the method refuses every attestation with [`Error::X509Unavailable`] after checking that an
/// `x5c` is present.
pub(crate) fn leaf_key(
    jws: &CompactJws<'_>,
    roots: &[Vec<u8>],
    now: UnixTime,
) -> Result<PublicJwk, Error> {
    let _ = (roots, now);
    if jws.header().x5c().is_none() {
        return Err(Error::X5cMissing);
    }
    Err(Error::X509Unavailable)
}
