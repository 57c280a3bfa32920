//! The errors of JWE parsing, decryption and production.

#[allow(
    clippy::wildcard_imports,
    reason = "the module is one file split in parts"
)]
use super::*;

/// One of the five parts of a compact JWE.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum JwePart {
    /// The protected header (first part).
    Header,
    /// The encrypted key (second part; empty for ECDH-ES).
    EncryptedKey,
    /// The initialization vector (third part).
    Iv,
    /// The ciphertext (fourth part).
    Ciphertext,
    /// The authentication tag (fifth part).
    Tag,
}

impl core::fmt::Display for JwePart {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::Header => "protected header",
            Self::EncryptedKey => "encrypted key",
            Self::Iv => "initialization vector",
            Self::Ciphertext => "ciphertext",
            Self::Tag => "authentication tag",
        })
    }
}

/// Everything that can go wrong while parsing, decrypting or producing a JWE.
///
/// Descriptions never contain key material or plaintext; attacker-chosen names are truncated
/// with [`short_text`](crate::short_text).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JweError {
    /// The token is longer than [`JweLimits::max_token_len`].
    #[error("JWE is {len} bytes, the limit is {max}")]
    TokenTooLong {
        /// The length received.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The compact serialization does not have exactly five dot-separated parts.
    #[error("compact JWE must have exactly 5 parts, found {found}")]
    WrongPartCount {
        /// How many parts were found.
        found: usize,
    },
    /// A part is not canonical unpadded base64url, or a required part is empty.
    #[error("{part} is not canonical unpadded base64url")]
    InvalidBase64 {
        /// The part.
        part: JwePart,
    },
    /// The protected header is not a strict JSON object (duplicate members, depth, syntax).
    #[error("protected header JSON: {error}")]
    InvalidJson {
        /// Why.
        error: JsonError,
    },
    /// A required header member is absent.
    #[error("JWE header member {name:?} is missing")]
    MissingHeader {
        /// The member.
        name: &'static str,
    },
    /// A header member has the wrong JSON type or an invalid value.
    #[error("JWE header member {name:?} is invalid")]
    InvalidHeader {
        /// The member.
        name: &'static str,
    },
    /// `alg` is not `ECDH-ES`.
    #[error("unsupported JWE alg {name:?}")]
    UnsupportedAlgorithm {
        /// The name received (truncated).
        name: String,
    },
    /// `enc` is not `A128GCM` or `A256GCM`.
    #[error("unsupported JWE enc {name:?}")]
    UnsupportedEncryption {
        /// The name received (truncated).
        name: String,
    },
    /// `zip` is not `DEF`.
    #[error("unsupported JWE zip {name:?}")]
    UnsupportedCompression {
        /// The name received (truncated).
        name: String,
    },
    /// `enc` is supported but not in the caller's allow-list.
    #[error("JWE enc {enc} is not allowed here")]
    EncryptionNotAllowed {
        /// The refused content encryption.
        enc: ContentEncryption,
    },
    /// `zip` is present but the caller does not accept compressed JWEs.
    #[error("JWE zip is not allowed here")]
    CompressionNotAllowed,
    /// A `crit` header lists an extension this implementation does not understand.
    #[error("critical JWE header parameter {name:?} is not understood")]
    CriticalNotUnderstood {
        /// The name listed (truncated).
        name: String,
    },
    /// `crit` is not a non-empty array of names of present, unregistered header members.
    #[error("malformed crit header")]
    CriticalMalformed,
    /// The encrypted key part is not empty (ECDH-ES direct key agreement has none).
    #[error("the encrypted key must be empty with ECDH-ES")]
    EncryptedKeyNotEmpty,
    /// The IV is not 96 bits.
    #[error("initialization vector has length {len}, AES-GCM needs 12")]
    IvLength {
        /// The length received.
        len: usize,
    },
    /// The authentication tag is not 128 bits.
    #[error("authentication tag has length {len}, AES-GCM needs 16")]
    TagLength {
        /// The length received.
        len: usize,
    },
    /// `epk` is not a usable public EC key (wrong type, private member, not on its curve).
    #[error("invalid epk: {reason}")]
    InvalidEphemeralKey {
        /// What is wrong.
        reason: &'static str,
    },
    /// `epk` is on another curve than the recipient's key.
    #[error("epk is on {epk}, the recipient key is on {recipient}")]
    CurveMismatch {
        /// The curve of `epk`.
        epk: &'static str,
        /// The curve of the recipient key.
        recipient: &'static str,
    },
    /// The recipient key cannot be used for ECDH-ES (not EC P-256/P-384, malformed).
    #[error("recipient key cannot be used: {reason}")]
    InvalidRecipientKey {
        /// What is wrong, without key material.
        reason: &'static str,
    },
    /// The key agreement backend failed (an HSM error, a point it refused).
    #[error("key agreement failed: {reason}")]
    KeyAgreementFailed {
        /// What went wrong, from the backend.
        reason: String,
    },
    /// AES-GCM authentication failed: the header, IV, ciphertext or tag was modified, or the
    /// token was encrypted to another key.
    #[error("JWE authentication failed")]
    DecryptionFailed,
    /// The plaintext (after inflation, with `zip`) exceeds [`JweLimits::max_plaintext_len`].
    #[error("JWE plaintext exceeds the limit of {max} bytes")]
    PlaintextTooLarge {
        /// The limit.
        max: usize,
    },
    /// The decrypted data is not valid raw DEFLATE.
    #[error("JWE plaintext is not valid DEFLATE data")]
    DecompressionFailed,
    /// Encryption failed (randomness unavailable, compression error).
    #[error("JWE encryption failed: {reason}")]
    EncryptionFailed {
        /// What went wrong.
        reason: &'static str,
    },
}

impl From<Error> for JweError {
    fn from(error: Error) -> Self {
        match error {
            Error::Unsupported { what } => Self::EncryptionFailed { reason: what },
            _ => Self::EncryptionFailed {
                reason: "randomness source failed",
            },
        }
    }
}
