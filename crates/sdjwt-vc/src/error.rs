//! The one error type of this crate.

use jose_core::UnixTime;

use crate::path::ClaimPath;

/// Everything that can go wrong while issuing, presenting or verifying an SD-JWT.
///
/// Variants name the RFC 9901 / SD-JWT VC rule they enforce. Descriptions never contain key
/// material or claim values; digests and claim names are attacker-chosen and truncated.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A claim name was disclosed that already exists at that level (RFC 9901 §7.1 step 3.c).
    #[error("disclosed claim {name:?} already exists in the object at {path}")]
    ClaimNameConflict {
        /// The claim name.
        name: String,
        /// The object it was to be inserted into.
        path: ClaimPath,
    },
    /// The claims given to the issuer use a name reserved by SD-JWT (`_sd`, `...`, `_sd_alg`) or
    /// set by the SD-JWT VC builder.
    #[error("claim {name:?} is reserved here and cannot be set directly")]
    ClaimReserved {
        /// The claim name.
        name: String,
    },
    /// A disclosure is not unpadded base64url of a JSON array (RFC 9901 §4.2).
    #[error("disclosure #{index} is not base64url-encoded JSON")]
    DisclosureEncoding {
        /// Position of the disclosure in the received list (0-based).
        index: usize,
    },
    /// A disclosure matched a digest of the other kind: an `_sd` digest needs
    /// `[salt, name, value]`, an array digest `[salt, value]` (RFC 9901 §7.1 step 3.c).
    #[error("disclosure {digest} has {found} elements where {expected} are required")]
    DisclosureKindMismatch {
        /// The digest of the disclosure.
        digest: String,
        /// 3 for an object property, 2 for an array element.
        expected: usize,
        /// What the disclosure has.
        found: usize,
    },
    /// A disclosure is not an array of 2 or 3 elements with a string salt (and a string name)
    /// (RFC 9901 §4.2.1, §4.2.2).
    #[error("disclosure #{index} is malformed: {reason}")]
    DisclosureShape {
        /// Position of the disclosure in the received list (0-based).
        index: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// The same disclosure was sent twice (RFC 9901 §4: the holder must not repeat one).
    #[error("disclosure {digest} appears more than once")]
    DuplicateDisclosure {
        /// Its digest.
        digest: String,
    },
    /// A digest appears more than once in the SD-JWT, counting digests inside disclosures
    /// (RFC 9901 §7.1 step 4).
    #[error("digest {digest} appears more than once")]
    DuplicateDigest {
        /// The repeated digest.
        digest: String,
    },
    /// The SD-JWT has expired (`exp` plus skew is before `now`).
    #[error("expired at {exp:?}, now is {now:?}")]
    Expired {
        /// `exp`.
        exp: UnixTime,
        /// The verifier's time.
        now: UnixTime,
    },
    /// An issuer JWT, KB-JWT or JSON serialization was refused by `jose_core`.
    #[error("{what}: {error}")]
    Jose {
        /// Which JWT: `issuer-signed JWT` or `KB-JWT`.
        what: &'static str,
        /// The underlying error.
        error: jose_core::Error,
    },
    /// An internal invariant of this crate failed: a bug, never a property of the input.
    /// Returned instead of a silent fallback value (such as an empty salt) where the code
    /// relies on a fact it established itself; report it.
    #[error("internal error (a bug, not the input): {invariant}")]
    Internal {
        /// The invariant that failed.
        invariant: &'static str,
    },
    /// An array element digest object (`{"...": digest}`) has other members, or `...` appears
    /// anywhere else (RFC 9901 §4.2.4.2).
    #[error("invalid array element digest at {path}")]
    InvalidArrayDigest {
        /// Where.
        path: ClaimPath,
    },
    /// A claim has the wrong type or an invalid value.
    #[error("claim {name:?} is invalid: {reason}")]
    InvalidClaim {
        /// The claim.
        name: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// The JWS JSON serialization is malformed (RFC 9901 §8).
    #[error("invalid JWS JSON serialization: {reason}")]
    InvalidJsonSerialization {
        /// What is wrong.
        reason: &'static str,
    },
    /// A disclosure policy path is malformed or selects nothing in the claims.
    #[error("disclosure policy path {path} {reason}")]
    InvalidPolicyPath {
        /// The path.
        path: ClaimPath,
        /// What is wrong.
        reason: &'static str,
    },
    /// `_sd` is not an array of strings (RFC 9901 §4.2.4.1).
    #[error("_sd at {path} is not an array of strings")]
    InvalidSdArray {
        /// The object holding it.
        path: ClaimPath,
    },
    /// The issuer JWT was issued after `now` plus skew.
    #[error("issued at {iat:?}, in the future of {now:?}")]
    IssuedInFuture {
        /// `iat`.
        iat: UnixTime,
        /// The verifier's time.
        now: UnixTime,
    },
    /// The issuer key could not be found or tied to the issuer (RFC 9901 §7.1 step 2.c).
    #[error("no trusted issuer key: {reason}")]
    IssuerKey {
        /// Why.
        reason: String,
    },
    /// The issuer key lookup cannot answer now
    /// ([`KeyLookupError::Unavailable`](jose_core::KeyLookupError::Unavailable), e.g. the
    /// issuer metadata cannot be fetched or the trust store is broken): the server's fault,
    /// not the token's.
    #[error("issuer key lookup unavailable: {reason}")]
    KeyLookupUnavailable {
        /// Why (from the key lookup).
        reason: String,
    },
    /// The issuer key came from a validated `x5c` chain, but the leaf certificate does not name
    /// the payload's `iss` (SD-JWT VC §3.5, X.509 key resolution: a `dns:` `iss` must equal a
    /// `dNSName` SubjectAltName entry, any other `iss` a `uniformResourceIdentifier` entry).
    #[error("the x5c leaf certificate's SubjectAltName does not name iss {iss:?}")]
    IssuerNotInCertificate {
        /// The `iss` received (truncated to `jose_core::MAX_ERROR_TEXT_CHARS` characters).
        iss: String,
    },
    /// The verifier requires a KB-JWT wherever the request came from and none was sent
    /// (RFC 9901 §7.3).
    #[error("a key binding JWT is required and none was presented")]
    KeyBindingMissing,
    /// The verifier forbids a KB-JWT and one was sent; a holder also refuses an SD-JWT+KB from
    /// an issuer (RFC 9901 §7.2).
    #[error("a key binding JWT was presented where none is allowed")]
    KeyBindingUnexpected,
    /// The KB-JWT `aud` is not the single string the verifier expects (RFC 9901 §4.3).
    #[error("KB-JWT aud does not match")]
    KbAudienceMismatch,
    /// The KB-JWT `iat` is outside the verifier's window (RFC 9901 §4.3, §7.3 step 5).
    #[error("KB-JWT iat {iat:?} is outside the accepted window at {now:?}")]
    KbIatOutOfWindow {
        /// The KB-JWT `iat`.
        iat: UnixTime,
        /// The verifier's time.
        now: UnixTime,
    },
    /// A required KB-JWT claim is missing or has the wrong type (RFC 9901 §4.3).
    #[error("KB-JWT claim {name:?} is missing or invalid")]
    KbClaim {
        /// The claim.
        name: &'static str,
    },
    /// The KB-JWT `nonce` does not match.
    #[error("KB-JWT nonce does not match")]
    KbNonceMismatch,
    /// The KB-JWT `sd_hash` does not match the presented SD-JWT (RFC 9901 §4.3.1).
    #[error("KB-JWT sd_hash does not match the presented SD-JWT")]
    KbSdHashMismatch,
    /// The SD-JWT has no usable `cnf.jwk` holder key for key binding (RFC 9901 §4.1.2).
    #[error("no holder key (cnf.jwk) to verify key binding: {reason}")]
    HolderKey {
        /// Why.
        reason: &'static str,
    },
    /// The serialization is not `<JWT>~<D>~...~` (or `...~<KB-JWT>`) (RFC 9901 §4).
    #[error("malformed SD-JWT: {reason}")]
    Malformed {
        /// What is wrong.
        reason: &'static str,
    },
    /// A required claim is absent.
    #[error("claim {name:?} is missing")]
    MissingClaim {
        /// The claim.
        name: &'static str,
    },
    /// The processed claims nest deeper than the limit (a nesting bomb).
    #[error("claims nest deeper than {max} levels")]
    NestingTooDeep {
        /// The limit.
        max: usize,
    },
    /// A claim that SD-JWT VC forbids from being selectively disclosable was selected in the
    /// issuer's policy or arrived in a disclosure (SD-JWT VC §2.2.2).
    #[error("claim {name:?} must never be selectively disclosable")]
    NeverDisclosable {
        /// The top-level claim name.
        name: String,
    },
    /// The SD-JWT is not yet valid (`nbf` minus skew is after `now`).
    #[error("not valid before {nbf:?}, now is {now:?}")]
    NotYetValid {
        /// `nbf`.
        nbf: UnixTime,
        /// The verifier's time.
        now: UnixTime,
    },
    /// The random source failed.
    #[error("randomness unavailable: {0}")]
    Random(jose_core::Error),
    /// `_sd_alg` appears below the top level (RFC 9901 §4.1.1).
    #[error("_sd_alg at {path}: it is only allowed at the top level")]
    SdAlgMisplaced {
        /// Where.
        path: ClaimPath,
    },
    /// The issuer asked for salts shorter than 128 bits (RFC 9901 §9.3).
    #[error("salt length {len} bytes is below the 16-byte minimum")]
    SaltTooShort {
        /// The requested length.
        len: usize,
    },
    /// Too many disclosures.
    #[error("{count} disclosures, the limit is {max}")]
    TooManyDisclosures {
        /// How many were received.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// The input is longer than the limit.
    #[error("input is {len} bytes, the limit is {max}")]
    TooLong {
        /// The length received.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A disclosure is not referenced by any digest, directly or through other disclosures
    /// (RFC 9901 §7.1 step 5).
    #[error("disclosure {digest} is not referenced by any digest")]
    UnreferencedDisclosure {
        /// Its digest.
        digest: String,
    },
    /// `_sd_alg` names a hash other than `sha-256` (RFC 9901 §7.1 step 2.d).
    #[error("unsupported _sd_alg {alg:?}")]
    UnsupportedSdAlg {
        /// The value received (truncated).
        alg: String,
    },
    /// The issuer's `x5c` chain does not validate to a configured trust anchor (SD-JWT VC
    /// §3.5; feature `x509`, [`X5cTrust`](crate::X5cTrust)).
    #[cfg(feature = "x509")]
    #[cfg_attr(docsrs, doc(cfg(feature = "x509")))]
    #[error("issuer x5c chain: {0}")]
    X509(trust_x509::Error),
}

impl Error {
    pub(crate) fn issuer_jwt(error: jose_core::Error) -> Self {
        Self::Jose {
            what: "issuer-signed JWT",
            error,
        }
    }

    pub(crate) fn kb_jwt(error: jose_core::Error) -> Self {
        Self::Jose {
            what: "KB-JWT",
            error,
        }
    }
}
