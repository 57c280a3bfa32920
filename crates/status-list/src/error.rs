//! The one error type of this crate.

use jose_core::UnixTime;

use crate::status::{Bits, StatusIndex};

/// Everything that can go wrong in this crate.
///
/// Variants carry the context a caller needs to log or map the failure; none carries key
/// material. Section numbers refer to draft-ietf-oauth-status-list-20.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The allocator has handed out every index of its list.
    #[error("all {capacity} indices of the status list are allocated")]
    AllocatorExhausted {
        /// The number of entries the allocator manages.
        capacity: u64,
    },
    /// A CBOR structure (CWT, COSE_Sign1, status list map) is malformed (§5.2, §4.3).
    #[error("malformed CBOR: {reason}")]
    Cbor {
        /// What is wrong.
        reason: &'static str,
    },
    /// The token expired: `now` is at or past `exp` plus the allowed clock skew (§8.3 step 5).
    #[error("status list token expired at {exp}, now is {now}", exp = .exp.secs(), now = .now.secs())]
    Expired {
        /// The token's `exp`.
        exp: UnixTime,
        /// The verification time.
        now: UnixTime,
    },
    /// The index is not inside the list (§8.3 step 7: "out-of-bounds index → reject").
    #[error("index {idx} is outside the status list of {len} entries")]
    IndexOutOfRange {
        /// The requested index.
        idx: StatusIndex,
        /// The number of entries in the list.
        len: u64,
    },
    /// An internal invariant of this crate failed: a bug, never a property of the input.
    /// Returned instead of a silent fallback value (such as an empty salt) where the code
    /// relies on a fact it established itself; report it.
    #[error("internal error (a bug, not the input): {invariant}")]
    Internal {
        /// The invariant that failed.
        invariant: &'static str,
    },
    /// `bits` is not 1, 2, 4 or 8 (§4.1).
    #[error("bits must be 1, 2, 4 or 8, found {bits}")]
    InvalidBits {
        /// The value received.
        bits: u64,
    },
    /// A claim has the wrong type or an invalid value.
    #[error("claim {name:?} is invalid")]
    InvalidClaim {
        /// The claim (for nested members, a dotted path such as `status_list.lst`).
        name: &'static str,
    },
    /// The token was issued in the future (`iat` beyond `now` plus the allowed clock skew).
    #[error("status list token issued at {iat}, after now ({now}) plus skew", iat = .iat.secs(), now = .now.secs())]
    IssuedInFuture {
        /// The token's `iat`.
        iat: UnixTime,
        /// The verification time.
        now: UnixTime,
    },
    /// A JOSE error from jose-core: token syntax, algorithm policy or signature.
    #[error(transparent)]
    Jose(#[from] jose_core::Error),
    /// The requested list would exceed the inflated-size ceiling.
    #[error("a list of {entries} entries of {bits} bits exceeds the limit of {max} bytes")]
    ListTooLarge {
        /// The entries requested.
        entries: u64,
        /// The width.
        bits: Bits,
        /// The limit in bytes.
        max: usize,
    },
    /// `lst` is not canonical unpadded base64url (§4.2: base64url without padding).
    #[error("lst is not canonical unpadded base64url")]
    LstBase64,
    /// The compressed list does not start with a valid ZLIB header (RFC 1950 §2.2): wrong
    /// method, window too large, bad check bits, or a preset dictionary.
    #[error("lst is not a ZLIB stream (CMF {cmf:#04x}, FLG {flg:#04x})")]
    LstBadZlibHeader {
        /// The first byte.
        cmf: u8,
        /// The second byte.
        flg: u8,
    },
    /// The compressed list is corrupt: invalid DEFLATE data or an Adler-32 mismatch.
    #[error("lst is a corrupt ZLIB stream")]
    LstCorrupt,
    /// The compressed list is GZIP (RFC 1952), which is the W3C Bitstring Status List encoding;
    /// the Token Status List requires ZLIB (§4.1).
    #[error("lst is GZIP; the Token Status List requires ZLIB")]
    LstGzip,
    /// The compressed list is raw DEFLATE (RFC 1951) without the ZLIB container (§4.1): it has
    /// no valid ZLIB header and a raw DEFLATE decoder produces output from its first bytes.
    #[error("lst is raw DEFLATE without the ZLIB container")]
    LstRawDeflate,
    /// The list inflates past the cap (the declared/expected size or the hard ceiling): a
    /// zlib bomb or an oversized list. Inflation stopped at `max + 1` bytes.
    #[error("lst inflates to more than {max} bytes")]
    LstTooLarge {
        /// The cap in bytes.
        max: usize,
    },
    /// Bytes follow the end of the ZLIB stream.
    #[error("{extra} bytes follow the end of the ZLIB stream")]
    LstTrailingData {
        /// How many bytes follow.
        extra: usize,
    },
    /// The ZLIB stream ends before its final block and checksum.
    #[error("lst is a truncated ZLIB stream")]
    LstTruncated,
    /// A required claim is absent.
    #[error("claim {name:?} is missing")]
    MissingClaim {
        /// The claim.
        name: &'static str,
    },
    /// The token is older than the caller's freshness policy allows (§8.3 step 5, `iat`).
    #[error("status list token issued at {iat} is older than {max_age} s", iat = .iat.secs())]
    NotFresh {
        /// The token's `iat`.
        iat: UnixTime,
        /// The policy's maximum age in seconds.
        max_age: u64,
    },
    /// A status value does not fit the list's width.
    #[error("status {value:#04x} does not fit in {bits} bits")]
    StatusTooWide {
        /// The value.
        value: u8,
        /// The list's width.
        bits: Bits,
    },
    /// The Status List Token's `sub` differs from the Referenced Token's `uri` (§8.3 step 5:
    /// exact match).
    #[error("status list token subject {found:?} differs from the referenced uri {expected:?}")]
    SubjectMismatch {
        /// The `uri` of the reference.
        expected: String,
        /// The token's `sub` (truncated to `jose_core::MAX_ERROR_TEXT_CHARS` characters).
        found: String,
    },
    /// The token is longer than [`Limits::max_token_len`](crate::Limits::max_token_len).
    #[error("token is {len} bytes, the limit is {max}")]
    TokenTooLong {
        /// The length received.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The JWT is not UTF-8 text.
    #[error("status list token is not UTF-8 text")]
    TokenNotUtf8,
    /// A randomness source failed.
    #[error("random source failed: {0}")]
    Random(jose_core::Error),
    /// The token's type is absent or not the Status List Token type (§5.1 `statuslist+jwt`,
    /// §5.2 `application/statuslist+cwt`).
    #[error("token type {found:?} where {expected:?} is required")]
    WrongType {
        /// The required type.
        expected: &'static str,
        /// What the token carried (truncated to `jose_core::MAX_ERROR_TEXT_CHARS` characters).
        found: Option<String>,
    },
}

impl From<jose_core::ClaimError> for Error {
    fn from(error: jose_core::ClaimError) -> Self {
        match error {
            jose_core::ClaimError::Missing { name } => Self::MissingClaim { name },
            jose_core::ClaimError::Invalid { name } => Self::InvalidClaim { name },
            _ => Self::InvalidClaim { name: "(unknown)" },
        }
    }
}
