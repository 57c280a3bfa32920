//! The one error type of this crate.

use jose_core::UnixTime;

/// Everything that can go wrong while issuing or verifying an mdoc.
///
/// Decoding errors carry the byte `position` they were found at: in the `IssuerSigned` or
/// `DeviceResponse` input (items inside tag-24 byte strings included), or, for errors in the MSO,
/// in the MSO encoding (the content of the `issuerAuth` payload's tag-24 byte string).
/// Descriptions never contain element values, keys or certificates.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is not base64url without padding (OpenID4VCI 1.0 Appendix A.2.4).
    #[error("credential is not unpadded base64url")]
    Base64,
    /// A COSE_Sign1 `crit` header parameter is present; this verifier understands none
    /// (RFC 9052 §3.1).
    #[error("issuerAuth has a crit header parameter")]
    CriticalHeader,
    /// The docType of the MSO differs from the one expected (ISO 18013-5 §9.3.1 step 4).
    #[error("docType {found:?} where {expected:?} is expected")]
    DocTypeMismatch {
        /// The docType the caller or the `Document` expects.
        expected: String,
        /// The docType in the MSO.
        found: String,
    },
    /// The same digestID appears on two items of one name space (ISO 18013-5 §9.1.2.4).
    #[error("digestID {digest_id} appears twice in name space {name_space:?}")]
    DuplicateDigestId {
        /// The name space.
        name_space: String,
        /// The repeated digestID.
        digest_id: u64,
    },
    /// The same element identifier appears on two items of one name space.
    #[error("element {identifier:?} appears twice in name space {name_space:?}")]
    DuplicateElement {
        /// The name space.
        name_space: String,
        /// The repeated element identifier (truncated to `jose_core::MAX_ERROR_TEXT_CHARS` characters).
        identifier: String,
    },
    /// A map has the same key twice (RFC 8949 §5.6: such maps are invalid).
    #[error("duplicate key in {structure} at byte {position}")]
    DuplicateKey {
        /// The structure the map belongs to.
        structure: &'static str,
        /// The position of the repeated key.
        position: usize,
    },
    /// The digest of a received item differs from the MSO's `valueDigests` entry
    /// (ISO 18013-5 §9.3.1 step 5).
    #[error("digest of item {digest_id} in name space {name_space:?} does not match the MSO")]
    DigestMismatch {
        /// The name space.
        name_space: String,
        /// The item's digestID.
        digest_id: u64,
    },
    /// An item's digestID has no entry in the MSO's `valueDigests` for its name space.
    #[error("digestID {digest_id} of name space {name_space:?} is not in valueDigests")]
    DigestMissing {
        /// The name space.
        name_space: String,
        /// The item's digestID.
        digest_id: u64,
    },
    /// An internal invariant of this crate failed: a bug, never a property of the input.
    /// Returned instead of a silent fallback value (such as an empty salt) where the code
    /// relies on a fact it established itself; report it.
    #[error("internal error (a bug, not the input): {invariant}")]
    Internal {
        /// The invariant that failed.
        invariant: &'static str,
    },
    /// The value of a data element is not valid for issuance (an integer outside the CBOR
    /// range, a malformed `full-date` or `tdate`, an empty identifier, a repeated identifier).
    #[error("invalid data element {identifier:?}: {reason}")]
    InvalidElement {
        /// The element identifier.
        identifier: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// An mdoc to issue has no data element: the MSO's `valueDigests` holds at least one name
    /// space with at least one digest (ISO 18013-5 §9.1.2.4), and readers refuse one without.
    #[error("an mdoc needs at least one data element")]
    NoDataElements,
    /// The device (holder) key cannot be used in an MSO: RSA, or a malformed COSE_Key.
    #[error("invalid device key: {reason}")]
    InvalidDeviceKey {
        /// What is wrong.
        reason: &'static str,
    },
    /// A `tdate` or `full-date` is not in the form ISO 18013-5 §9.1.2.4 requires (RFC 3339,
    /// UTC `Z`, no fractional seconds) or is out of range.
    #[error("{field} is not a valid date")]
    InvalidDate {
        /// The field.
        field: &'static str,
    },
    /// `issuerAuth` is not a well-formed COSE_Sign1 (RFC 9052 §4.2).
    #[error("issuerAuth is not a valid COSE_Sign1: {reason}")]
    InvalidCose {
        /// What is wrong.
        reason: &'static str,
    },
    /// `validFrom` is after `validUntil`, or `signed` after `validUntil`.
    #[error("validityInfo is inconsistent: {reason}")]
    InvalidValidity {
        /// What is wrong.
        reason: &'static str,
    },
    /// A lower-level JOSE error (key conversion, signing, random source).
    #[error(transparent)]
    Jose(jose_core::Error),
    /// The CBOR is malformed or of an unexpected type.
    #[error("malformed CBOR in {structure} at byte {position}: {reason}")]
    Malformed {
        /// The structure being decoded.
        structure: &'static str,
        /// The byte position of the offending item.
        position: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// A required member is absent.
    #[error("{structure} has no {field:?}")]
    MissingField {
        /// The structure.
        structure: &'static str,
        /// The missing member.
        field: &'static str,
    },
    /// `issuerAuth` carries no `x5chain` (label 33) but the trust policy needs one.
    #[error("issuerAuth has no x5chain")]
    MissingX5Chain,
    /// The MSO is not valid yet: `now + skew < validFrom`.
    #[error("MSO not valid before {valid_from:?} (now {now:?})")]
    NotYetValid {
        /// The verification time.
        now: UnixTime,
        /// `validFrom`.
        valid_from: UnixTime,
    },
    /// The MSO has expired: `validUntil < now - skew`.
    #[error("MSO expired at {valid_until:?} (now {now:?})")]
    Expired {
        /// The verification time.
        now: UnixTime,
        /// `validUntil`.
        valid_until: UnixTime,
    },
    /// The issuerAuth signature does not verify with the Document Signer key.
    #[error("issuerAuth signature does not verify")]
    SignatureInvalid,
    /// More items than the configured limit.
    #[error("{what}: {count} entries, the limit is {max}")]
    TooMany {
        /// What was counted.
        what: &'static str,
        /// The count declared or found.
        count: u64,
        /// The limit.
        max: usize,
    },
    /// Nested deeper than the configured limit.
    #[error("{structure} nests deeper than {max} levels at byte {position}")]
    TooDeep {
        /// The structure.
        structure: &'static str,
        /// The byte position where the limit was crossed.
        position: usize,
        /// The limit.
        max: usize,
    },
    /// The input is larger than the configured limit.
    #[error("input is {len} bytes, the limit is {max}")]
    TooLarge {
        /// The input length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Bytes follow a complete structure (RFC 8949 §5.3.1 "not well-formed" for a sequence
    /// where one item is expected).
    #[error("trailing bytes after {structure} at byte {position}")]
    TrailingBytes {
        /// The structure that ended early.
        structure: &'static str,
        /// Where the extra bytes start.
        position: usize,
    },
    /// A length header declares more bytes than the input holds.
    #[error("{structure} declares a length beyond the end of input at byte {position}")]
    Truncated {
        /// The structure.
        structure: &'static str,
        /// The position of the item.
        position: usize,
    },
    /// The x5chain does not validate to a configured IACA under the ISO 18013-5 profile
    /// (feature `x509`).
    #[cfg(feature = "x509")]
    #[error("x5chain rejected: {0}")]
    X509(trust_x509::Error),
    /// The Document Signer key lookup trusts no key for this `x5chain`
    /// ([`KeyLookupError::NoTrustedKey`](jose_core::KeyLookupError::NoTrustedKey) without a
    /// typed cause).
    #[error("x5chain rejected: {reason}")]
    UntrustedChain {
        /// Why, from the key lookup (no certificate contents).
        reason: String,
    },
    /// The Document Signer key lookup cannot answer now
    /// ([`KeyLookupError::Unavailable`](jose_core::KeyLookupError::Unavailable), e.g. a broken
    /// trust store): the server's fault, not the document's.
    #[error("Document Signer key lookup unavailable: {reason}")]
    KeyLookupUnavailable {
        /// Why, from the key lookup.
        reason: String,
    },
    /// The algorithm in the protected header is absent or not one of ES256, ES384, ES512,
    /// EdDSA (ISO 18013-5 §9.1.3.6).
    #[error("issuerAuth algorithm {cose_id:?} is not supported")]
    UnsupportedAlgorithm {
        /// The COSE algorithm identifier, `None` when the header has none.
        cose_id: Option<i64>,
    },
    /// The MSO uses a digest algorithm other than SHA-256, SHA-384, SHA-512.
    #[error("digest algorithm {name:?} is not supported")]
    UnsupportedDigestAlgorithm {
        /// The algorithm name (truncated to `jose_core::MAX_ERROR_TEXT_CHARS` characters).
        name: String,
    },
    /// A fixed value has an unexpected content (MSO `version` other than "1.0", a tag other
    /// than 24 where `#6.24(bstr)` is required, a digestID of 2^31 or more).
    #[error("{field} has an unexpected value: {reason}")]
    UnexpectedValue {
        /// The field.
        field: &'static str,
        /// What was expected.
        reason: &'static str,
    },
}

impl From<jose_core::Error> for Error {
    fn from(error: jose_core::Error) -> Self {
        match error {
            jose_core::Error::SignatureInvalid => Self::SignatureInvalid,
            other => Self::Jose(other),
        }
    }
}
