#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod digest;
mod disclosure;
mod error;
mod issue;
mod kb;
mod limits;
mod path;
mod policy;
mod present;
mod process;
mod resolver;
mod selection;
mod serialization;
mod vc;
mod verify;
#[cfg(feature = "x509")]
mod x509;

pub use digest::{DisclosureEncoding, SD_ALG_SHA256, sha256_base64url};
pub use disclosure::Disclosure;
pub use error::Error;
pub use issue::{DEFAULT_SALT_LEN, Decoys, IssuedSdJwt, SdJwtBuilder, SdJwtPayload, UnsignedSdJwt};
pub use kb::{KB_JWT_TYP, KbClaims, KeyBinding, UnsignedKbJwt};
pub use limits::{
    DEFAULT_KB_MAX_AGE, DEFAULT_MAX_DEPTH, DEFAULT_MAX_DISCLOSURES, DEFAULT_MAX_LEN, Limits,
};
pub use path::{ClaimPath, PathSegment};
pub use policy::DisclosurePolicy;
pub use present::{Presentation, SdJwt};
pub use resolver::IssuerMetadata;
pub use status_list::{StatusClaim, StatusIndex, StatusListReference};
pub use vc::{DC_SD_JWT_TYP, NEVER_DISCLOSABLE, SdJwtVcBuilder, VC_SD_JWT_LEGACY_TYP};
pub use verify::{Verified, Verifier};
#[cfg(feature = "x509")]
#[cfg_attr(docsrs, doc(cfg(feature = "x509")))]
pub use x509::X5cTrust;

/// Helpers for fuzz targets, compiled only under `--cfg fuzzing` (cargo-fuzz sets it). Not
/// part of the stable API.
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing {
    use jose_core::{Algorithm, PublicJwk, UnixTime};

    use jose_core::keys::StaticKeys;

    use crate::{Disclosure, Error, KeyBinding, Limits, Verifier};

    /// The RFC 9901 example issuer key (Appendix A.5), public part.
    const ISSUER_JWK: &[u8] = br#"{"kty":"EC","crv":"P-256","x":"b28d4MwZMjw8-00CG4xfnn9SLMVMM19SlqZpVb_uNtQ","y":"Xv5zWwuoaTgdS6hV43yI6gBwTnjukmFQQnJ_kCxzqk8"}"#;

    fn keys() -> Result<StaticKeys, Error> {
        let key = PublicJwk::from_json(ISSUER_JWK).map_err(Error::issuer_jwt)?;
        Ok(StaticKeys::new(vec![key]))
    }

    /// Fuzz entry: verify `data` as a plain SD-JWT (no key binding) with the fixed key.
    ///
    /// # Errors
    /// Whatever verification returns.
    pub fn verify(data: &[u8]) -> Result<(), Error> {
        let text = core::str::from_utf8(data).map_err(|_| Error::Malformed { reason: "utf-8" })?;
        let keys = keys()?;
        let verifier =
            Verifier::new(&keys, &[Algorithm::Es256], KeyBinding::forbidden()).plain_sd_jwt(None);
        verifier
            .verify(text, UnixTime::from_secs(1_700_000_000))
            .map(|_| ())
    }

    /// Fuzz entry: decode one disclosure.
    ///
    /// # Errors
    /// Whatever parsing returns.
    pub fn disclosure_decode(data: &[u8]) -> Result<(), Error> {
        let text = core::str::from_utf8(data).map_err(|_| Error::Malformed { reason: "utf-8" })?;
        Disclosure::parse(text, Limits::default().max_depth()).map(|_| ())
    }

    /// Fuzz entry: verify `data` as an SD-JWT+KB with key binding required (aud
    /// `https://verifier.example.org`, nonce `1234567890`).
    ///
    /// # Errors
    /// Whatever verification returns.
    pub fn kb_verify(data: &[u8]) -> Result<(), Error> {
        let text = core::str::from_utf8(data).map_err(|_| Error::Malformed { reason: "utf-8" })?;
        let keys = keys()?;
        let binding = KeyBinding::required("https://verifier.example.org", "1234567890")
            .with_max_age(u64::MAX);
        let verifier = Verifier::new(&keys, &[Algorithm::Es256], binding).plain_sd_jwt(None);
        verifier
            .verify(text, UnixTime::from_secs(1_748_536_865))
            .map(|_| ())
    }
}
