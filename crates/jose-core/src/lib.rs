#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod algorithm;
pub mod base64url;
pub mod claims;
pub mod crypto;
mod error;
mod header;
pub mod json;
#[cfg(feature = "jsonwebtoken")]
#[cfg_attr(docsrs, doc(cfg(feature = "jsonwebtoken")))]
pub mod jsonwebtoken_provider;
pub mod jwe;
mod jwk;
mod jws;
pub mod keys;
mod limits;
mod random;
mod roca;
mod signer;
mod unsigned;
mod verify;

pub use algorithm::{ALL_ALGORITHMS, Algorithm};
pub use claims::{ClaimError, UnixTime};
pub use error::{Error, JsonError, JwsPart, short_text};
pub use header::{Header, media_type_eq};
pub use jwk::{EcCurve, PRIVATE_MEMBERS, PublicJwk, PublicKey};
pub use jws::{CompactJws, HeaderPolicy, OpaqueJws};
pub use keys::{KeyLookup, KeyLookupError, KeyQuery};
pub use limits::{
    DEFAULT_CLOCK_SKEW_SECONDS, DEFAULT_HOLDER_CLOCK_SKEW_SECONDS, DEFAULT_MAX_JSON_DEPTH,
    DEFAULT_MAX_TOKEN_LEN, Limits, MAX_ERROR_TEXT_CHARS,
};
pub use random::{RandomSource, SystemRandom, random_base64url};
pub use signer::{LocalSigner, Pkcs8Secret, Signer, ecdsa_signature_from_der};
pub use unsigned::UnsignedJws;

/// Helpers for fuzz targets, compiled only under `--cfg fuzzing` (cargo-fuzz sets it). Not
/// part of the stable API.
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing {
    use crate::{CompactJws, Error, HeaderPolicy, Limits, PublicJwk};

    /// A fixed P-256 public key (RFC 7515 A.3) for fuzz targets that must reach verification.
    const FIXED_JWK: &[u8] = br#"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#;

    /// Fuzz entry: parse a compact JWS and verify it against a fixed key with every algorithm.
    ///
    /// # Errors
    /// Whatever parsing or verification returns.
    pub fn parse_and_verify_jws(token: &str) -> Result<(), Error> {
        let jws = CompactJws::parse(token, &Limits::default())?;
        let key = PublicJwk::from_json(FIXED_JWK)?;
        jws.verify(&key, &HeaderPolicy::new(crate::ALL_ALGORITHMS))
    }

    /// The RFC 7518 Appendix C recipient ("Bob"): the fixed P-256 key of the JWE fuzz target.
    const FIXED_JWE_SCALAR: &str = "VEmDZpDXXK8p8N0Cndsxs924q6nS1RXFASRl6BfUqdw";

    /// Fuzz entry: parse a compact JWE and decrypt it with a fixed P-256 key (RFC 7518 App. C
    /// Bob), both GCM variants and `zip` allowed, a 64 KiB plaintext cap.
    ///
    /// # Errors
    /// Whatever parsing or decryption returns.
    pub fn parse_and_decrypt_jwe(token: &str) -> Result<Vec<u8>, crate::jwe::JweError> {
        use crate::jwe::{CompactJwe, JweLimits, JwePolicy, LocalKeyAgreement};
        let limits = JweLimits::default().with_max_plaintext_len(64 * 1024);
        let jwe = CompactJwe::parse(token, &limits)?;
        let scalar = crate::base64url::decode(FIXED_JWE_SCALAR).unwrap_or_default();
        let key = LocalKeyAgreement::from_scalar(crate::EcCurve::P256, &scalar)?;
        jwe.decrypt_with_limits(&key, &JwePolicy::default(), &limits)
    }

    /// Fuzz entry: parse a JWK and, if it parses, compute its thumbprint and re-parse its
    /// serialisation (which must give the same key).
    ///
    /// # Errors
    /// Whatever parsing returns.
    ///
    /// # Panics
    /// If the serialised form of a parsed key does not parse back to the same key (a bug).
    pub fn parse_jwk(data: &[u8]) -> Result<(), Error> {
        let jwk = PublicJwk::from_json(data)?;
        let _ = jwk.thumbprint();
        let again = PublicJwk::from_value(&jwk.to_value())?;
        assert_eq!(again, jwk, "JWK round trip changed the key");
        Ok(())
    }
}
