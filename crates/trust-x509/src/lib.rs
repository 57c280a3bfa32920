#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod anchors;
mod cert;
mod diagnose;
mod error;
mod key;
mod limits;
mod lookup;
mod pem;
mod policy;
mod profile;
mod validate;

pub use anchors::TrustAnchors;
pub use error::{CertRef, Error, KeyUsageBit, PemError, ProfileRule};
pub use key::leaf_public_key;
pub use limits::{
    DEFAULT_MAX_ANCHORS, DEFAULT_MAX_CERT_LEN, DEFAULT_MAX_CHAIN_LEN, DEFAULT_MAX_PEM_LEN, Limits,
    MAX_RSA_BITS, MIN_RSA_BITS,
};
pub use lookup::AnchorLookup;
pub use pem::pem_certificates;
pub use policy::{KeyPurpose, Policy, Profile};
pub use profile::{MDOC_DS_MAX_VALIDITY_DAYS, MDOC_IACA_MAX_VALIDITY_DAYS};
pub use validate::{ValidatedChain, validate_chain};

/// Helpers for fuzz targets, compiled only under `--cfg fuzzing` (cargo-fuzz sets it). Not
/// part of the stable API.
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing {
    use jose_core::UnixTime;

    use crate::{Policy, TrustAnchors, validate_chain};

    /// The fixed anchors of the fuzz target: the test PKI root and the test IACA.
    const ROOT: &[u8] = include_bytes!("../tests/data/root.der");
    const IACA: &[u8] = include_bytes!("../tests/data/iaca.der");

    /// Splits `data` into certificates (each prefixed by a 2-byte big-endian length) and
    /// validates them, leaf first, to fixed anchors at a fixed time under every profile.
    pub fn validate_split_chain(data: &[u8]) {
        let Ok(anchors) = TrustAnchors::from_der(vec![ROOT.to_vec(), IACA.to_vec()]) else {
            return;
        };
        let mut chain = Vec::new();
        let mut rest = data;
        while let [hi, lo, tail @ ..] = rest {
            let len = usize::from(u16::from_be_bytes([*hi, *lo]));
            let take = len.min(tail.len());
            let (cert, after) = tail.split_at(take);
            chain.push(cert.to_vec());
            rest = after;
        }
        let now = UnixTime::from_secs(1_767_225_600);
        for policy in [
            Policy::any_eku(),
            Policy::mdoc_document_signer(),
            Policy::attester(),
        ] {
            let _ = validate_chain(&chain, &anchors, now, &policy.with_direct_trust());
        }
        let _ = crate::leaf_public_key(data);
    }
}
