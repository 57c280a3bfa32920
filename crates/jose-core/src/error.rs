//! The one error type of this crate.

use crate::algorithm::Algorithm;
use crate::limits::MAX_ERROR_TEXT_CHARS;

/// Which part of a compact JWS a decoding error was found in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum JwsPart {
    /// The protected header (first segment).
    Header,
    /// The payload (second segment).
    Payload,
    /// The signature (third segment).
    Signature,
}

impl core::fmt::Display for JwsPart {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::Header => "header",
            Self::Payload => "payload",
            Self::Signature => "signature",
        })
    }
}

/// Why a JSON text was refused by the strict parser.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum JsonError {
    /// A member name appears twice in one object (RFC 7515 §5.2 requires rejection).
    DuplicateMember {
        /// The repeated member name.
        name: String,
    },
    /// The text is not valid JSON (or not UTF-8), at the given byte offset.
    Syntax {
        /// One-based line of the error, as reported by the parser.
        line: usize,
        /// One-based column of the error, as reported by the parser.
        column: usize,
    },
    /// The top-level value is not a JSON object.
    NotAnObject,
    /// Objects and arrays nest deeper than the limit.
    TooDeep {
        /// The configured maximum depth.
        max: usize,
    },
}

impl core::fmt::Display for JsonError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::DuplicateMember { name } => write!(f, "duplicate member name {name:?}"),
            Self::Syntax { line, column } => {
                write!(f, "invalid JSON at line {line} column {column}")
            }
            Self::NotAnObject => f.write_str("not a JSON object"),
            Self::TooDeep { max } => write!(f, "nested deeper than {max} levels"),
        }
    }
}

/// Everything that can go wrong in this crate.
///
/// Descriptions name what failed but never contain key material or token contents beyond
/// short, attacker-chosen names (which are quoted and truncated by the caller's logging).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `alg` is `none` where a signature is required (RFC 8725 §3.1).
    #[error("alg \"none\" is never accepted")]
    AlgorithmNone,
    /// The algorithm is valid but not in the caller's allow-list.
    #[error("algorithm {alg} is not allowed here")]
    AlgorithmNotAllowed {
        /// The refused algorithm.
        alg: Algorithm,
    },
    /// A `crit` header lists an extension this verifier does not understand (RFC 7515 §4.1.11).
    #[error("critical header parameter {name:?} is not understood")]
    CriticalNotUnderstood {
        /// The name listed in `crit`.
        name: String,
    },
    /// `crit` is malformed: not a non-empty array of strings naming present header members, or it
    /// names a parameter defined by RFC 7515/7518 (RFC 7515 §4.1.11).
    #[error("malformed crit header")]
    CriticalMalformed,
    /// The token's `alg` does not fit the key (key type or curve).
    #[error("algorithm {alg} cannot be used with this {key} key")]
    KeyAlgorithmMismatch {
        /// The algorithm from the header or the caller.
        alg: Algorithm,
        /// A short description of the key (`EC P-384`, `OKP Ed25519`, `RSA`).
        key: &'static str,
    },
    /// A base64url segment is padded, uses the standard alphabet, or is otherwise not canonical
    /// unpadded base64url (RFC 7515 §2).
    #[error("{part} is not canonical unpadded base64url")]
    InvalidBase64 {
        /// The segment.
        part: JwsPart,
    },
    /// A JOSE header member has the wrong JSON type or an invalid value.
    #[error("header member {name:?} is invalid")]
    InvalidHeader {
        /// The header member name.
        name: &'static str,
    },
    /// A JSON segment was refused.
    #[error("{part} JSON: {error}")]
    InvalidJson {
        /// The segment.
        part: JwsPart,
        /// Why.
        error: JsonError,
    },
    /// A JWK is malformed (missing or ill-typed member, wrong coordinate length, unknown `kty`).
    #[error("invalid JWK: {reason}")]
    InvalidKey {
        /// What is wrong, without key material.
        reason: &'static str,
    },
    /// The JWK's `use` or `key_ops` says it is not for verifying signatures (RFC 7517 §4.2-4.3).
    #[error("JWK use/key_ops does not allow signature verification")]
    KeyNotForSignatures,
    /// A private or secret key was given where a public key is expected.
    #[error("JWK carries private key member {member:?} where a public key is expected")]
    PrivateKeyMember {
        /// The offending member (`d`, `p`, `k`, ...).
        member: &'static str,
    },
    /// The private key could not be loaded (not PKCS#8, wrong curve, inconsistent).
    #[error("private key rejected: {reason}")]
    InvalidPrivateKey {
        /// What is wrong, without key material.
        reason: &'static str,
    },
    /// A required header member is absent.
    #[error("header member {name:?} is missing")]
    MissingHeader {
        /// The header member.
        name: &'static str,
    },
    /// The signature does not verify.
    #[error("signature does not verify")]
    SignatureInvalid,
    /// The signature has the wrong length for the algorithm (e.g. DER instead of r||s for ECDSA).
    #[error("signature has length {len}, {alg} needs {expected}")]
    SignatureLength {
        /// The algorithm.
        alg: Algorithm,
        /// The length received.
        len: usize,
        /// The length required.
        expected: usize,
    },
    /// The signer failed (a KMS error, a key that cannot sign with this algorithm).
    #[error("signing failed: {reason}")]
    SigningFailed {
        /// What went wrong, from the signer.
        reason: String,
    },
    /// A symmetric (HMAC) algorithm appears where a public-key signature is required.
    #[error("symmetric algorithm {name} is refused where a public key is expected")]
    SymmetricAlgorithm {
        /// The JOSE name (HS256, HS384, HS512).
        name: String,
    },
    /// The token is longer than [`Limits::max_token_len`](crate::Limits).
    #[error("token is {len} bytes, the limit is {max}")]
    TokenTooLong {
        /// The length received.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The compact serialization does not have exactly three dot-separated parts.
    #[error("compact JWS must have exactly 3 parts, found {found}")]
    WrongPartCount {
        /// How many parts were found.
        found: usize,
    },
    /// `typ` is absent or differs from the expected media type (RFC 7515 §4.1.9, RFC 8725 §3.11).
    #[error("typ {found:?} where {expected:?} is required")]
    WrongType {
        /// The required `typ`.
        expected: String,
        /// What the header carried.
        found: Option<String>,
    },
    /// The algorithm name is not one this crate implements (e.g. `ES256K`, `Ed448`).
    #[error("unsupported algorithm {name:?}")]
    UnsupportedAlgorithm {
        /// The JOSE name as received (truncated to [`MAX_ERROR_TEXT_CHARS`] characters).
        name: String,
    },
    /// This build cannot do what was asked (e.g. ES512 without the `es512` feature).
    #[error("{what} is not available in this build")]
    Unsupported {
        /// What is missing.
        what: &'static str,
    },
}

/// Truncates an attacker-chosen string to [`MAX_ERROR_TEXT_CHARS`] characters before it goes
/// into an error value or message. Every crate of the workspace uses this one helper, so every
/// error text from input has the same bound.
///
/// ```
/// let long = "x".repeat(1000);
/// assert_eq!(jose_core::short_text(&long).chars().count(), jose_core::MAX_ERROR_TEXT_CHARS);
/// assert_eq!(jose_core::short_text("ES256K"), "ES256K");
/// ```
#[must_use]
pub fn short_text(text: &str) -> String {
    text.chars().take(MAX_ERROR_TEXT_CHARS).collect()
}
