//! The crate's error type: which certificate failed which rule.

use core::fmt;

use jose_core::UnixTime;

use crate::policy::KeyPurpose;

/// Which certificate an [`Error`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CertRef {
    /// The certificate at this index of the presented chain (0 is the leaf), as in `x5c`
    /// or `x5chain`.
    Chain(usize),
    /// The trust anchor at this index of the configured [`crate::TrustAnchors`].
    Anchor(usize),
    /// The path engine reported the failure without saying which certificate caused it and
    /// no certificate of the chain could be matched to it.
    Unattributed,
}

impl fmt::Display for CertRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Chain(0) => f.write_str("chain certificate #0 (leaf)"),
            Self::Chain(i) => write!(f, "chain certificate #{i}"),
            Self::Anchor(i) => write!(f, "trust anchor #{i}"),
            Self::Unattributed => f.write_str("a certificate of the path"),
        }
    }
}

/// A KeyUsage bit (RFC 5280 §4.2.1.3) that a rule requires or forbids.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyUsageBit {
    /// `cRLSign`.
    CrlSign,
    /// `digitalSignature`.
    DigitalSignature,
    /// `keyCertSign`.
    KeyCertSign,
}

impl fmt::Display for KeyUsageBit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::CrlSign => "cRLSign",
            Self::DigitalSignature => "digitalSignature",
            Self::KeyCertSign => "keyCertSign",
        })
    }
}

/// What is wrong with PEM input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PemError {
    /// The base64 body is not canonical standard base64.
    BadBase64,
    /// An `-----END` line is missing or does not match its `-----BEGIN` line.
    Unterminated,
    /// A block has a label other than `CERTIFICATE`.
    UnexpectedLabel,
    /// The text holds no `CERTIFICATE` block.
    NoCertificate,
    /// The text is longer than [`crate::Limits::max_pem_len`].
    TooLong,
}

impl fmt::Display for PemError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::BadBase64 => "invalid base64 body",
            Self::Unterminated => "missing or mismatched END line",
            Self::UnexpectedLabel => "label is not CERTIFICATE",
            Self::NoCertificate => "no CERTIFICATE block",
            Self::TooLong => "PEM text too long",
        })
    }
}

/// A certificate-profile rule (RFC 5280 conformance checks that rustls-webpki does not make,
/// the ISO 18013-5 IACA/DS profile, the attester profile).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProfileRule {
    /// RFC 5280 §4.2.1.1: the AuthorityKeyIdentifier extension must not be critical.
    AkiCritical,
    /// RFC 5280 §4.2.1.1: a certificate that is not self-issued must carry an
    /// AuthorityKeyIdentifier.
    AkiMissing,
    /// RFC 5280 §4.2.1.1: the AuthorityKeyIdentifier must hold a `keyIdentifier`; we also refuse
    /// `authorityCertIssuer`/`authorityCertSerialNumber`, which we never use to build paths.
    AkiMalformed,
    /// A self-signed certificate's AuthorityKeyIdentifier differs from its own
    /// SubjectKeyIdentifier.
    AkiSkiMismatch,
    /// RFC 5280 §4.2.1.9: a trust anchor or intermediate lacks a critical BasicConstraints with
    /// `cA` TRUE.
    BasicConstraintsNotCa,
    /// RFC 5280 §4.1.2.6: a CA certificate has an empty subject.
    CaEmptySubject,
    /// ISO 18013-5 B.1.4: the Document Signer's `C` differs from the IACA's `C`.
    CountryMismatch,
    /// ISO 18013-5 B.1.4: the Document Signer's ExtendedKeyUsage is not critical.
    DsEkuNotCritical,
    /// ISO 18013-5 B.1.4: the Document Signer's key is not an EC key.
    DsKeyNotEc,
    /// ISO 18013-5 B.1.4: the Document Signer's validity exceeds 457 days.
    DsValidityTooLong {
        /// The validity period in whole days.
        days: i64,
    },
    /// ISO 18013-5 B.1.2: the IACA's validity exceeds 20 years.
    IacaValidityTooLong {
        /// The validity period in whole days.
        days: i64,
    },
    /// The attester profile (HAIP): the leaf must not be self-issued.
    LeafSelfIssued,
    /// ISO 18013-5 B.1.2/B.1.4: the IACA or the Document Signer has no `C` in its subject.
    MissingCountry,
    /// RFC 5280 §4.2.1.10: NameConstraints must be critical.
    NameConstraintsNotCritical,
    /// RFC 5280 §4.2.1.10: NameConstraints may appear only in CA certificates.
    NameConstraintsInLeaf,
    /// RFC 5280 §4.2.1.10: NameConstraints with neither permitted nor excluded subtrees, or a
    /// dNSName constraint that is not a valid DNS name.
    NameConstraintsInvalid,
    /// RFC 5280 §4.2.1.11: PolicyConstraints must be critical.
    PolicyConstraintsNotCritical,
    /// RFC 5280 §4.2.1.6: SubjectAltName must be critical when the subject is empty.
    SanNotCritical,
    /// RFC 5280 §4.1.2.2: the serial number is zero or negative.
    SerialNotPositive,
    /// RFC 5280 §4.1.2.2: the serial number is longer than 20 octets.
    SerialTooLong,
    /// RFC 5280 §4.2.1.2: the SubjectKeyIdentifier must not be critical.
    SkiCritical,
    /// RFC 5280 §4.2.1.2: a CA certificate must carry a SubjectKeyIdentifier.
    SkiMissing,
    /// ISO 18013-5 B.1.4: the Document Signer's `ST` differs from the IACA's `ST`.
    StateMismatch,
}

impl fmt::Display for ProfileRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AkiCritical => f.write_str("AuthorityKeyIdentifier is critical (RFC 5280 4.2.1.1)"),
            Self::AkiMissing => f.write_str("AuthorityKeyIdentifier is missing (RFC 5280 4.2.1.1)"),
            Self::AkiMalformed => f.write_str(
                "AuthorityKeyIdentifier lacks keyIdentifier or carries issuer/serial (RFC 5280 4.2.1.1)",
            ),
            Self::AkiSkiMismatch => {
                f.write_str("self-signed certificate's AuthorityKeyIdentifier differs from its SKI")
            }
            Self::BasicConstraintsNotCa => {
                f.write_str("CA certificate lacks critical BasicConstraints cA=TRUE (RFC 5280 4.2.1.9)")
            }
            Self::CaEmptySubject => f.write_str("CA certificate has an empty subject (RFC 5280 4.1.2.6)"),
            Self::CountryMismatch => {
                f.write_str("Document Signer country differs from the IACA country (ISO 18013-5 B.1.4)")
            }
            Self::DsEkuNotCritical => {
                f.write_str("Document Signer ExtendedKeyUsage is not critical (ISO 18013-5 B.1.4)")
            }
            Self::DsKeyNotEc => f.write_str("Document Signer key is not an EC key (ISO 18013-5 B.1.4)"),
            Self::DsValidityTooLong { days } => write!(
                f,
                "Document Signer validity of {days} days exceeds 457 days (ISO 18013-5 B.1.4)"
            ),
            Self::IacaValidityTooLong { days } => {
                write!(f, "IACA validity of {days} days exceeds 20 years (ISO 18013-5 B.1.2)")
            }
            Self::LeafSelfIssued => f.write_str("attester leaf certificate is self-issued"),
            Self::MissingCountry => f.write_str("subject has no country (C) attribute (ISO 18013-5 B.1)"),
            Self::NameConstraintsNotCritical => {
                f.write_str("NameConstraints is not critical (RFC 5280 4.2.1.10)")
            }
            Self::NameConstraintsInLeaf => {
                f.write_str("NameConstraints in a non-CA certificate (RFC 5280 4.2.1.10)")
            }
            Self::NameConstraintsInvalid => {
                f.write_str("NameConstraints is empty or holds an invalid dNSName (RFC 5280 4.2.1.10)")
            }
            Self::PolicyConstraintsNotCritical => {
                f.write_str("PolicyConstraints is not critical (RFC 5280 4.2.1.11)")
            }
            Self::SanNotCritical => {
                f.write_str("SubjectAltName not critical with an empty subject (RFC 5280 4.2.1.6)")
            }
            Self::SerialNotPositive => f.write_str("serial number is not positive (RFC 5280 4.1.2.2)"),
            Self::SerialTooLong => f.write_str("serial number exceeds 20 octets (RFC 5280 4.1.2.2)"),
            Self::SkiCritical => f.write_str("SubjectKeyIdentifier is critical (RFC 5280 4.2.1.2)"),
            Self::SkiMissing => {
                f.write_str("CA certificate lacks a SubjectKeyIdentifier (RFC 5280 4.2.1.2)")
            }
            Self::StateMismatch => {
                f.write_str("Document Signer ST differs from the IACA ST (ISO 18013-5 B.1.4)")
            }
        }
    }
}

/// Every way loading anchors or validating a chain can fail.
///
/// Variants name the certificate ([`CertRef`]) and the rule. When several candidate paths
/// fail, the most specific reason is reported (see the crate documentation).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The chain's only certificate is a configured trust anchor and the policy does not
    /// allow direct trust ([`crate::Policy::with_direct_trust`]).
    #[error("the chain's leaf is a trust anchor itself and direct trust is not enabled")]
    AnchorAsLeaf,
    /// RFC 5280 §4.2.1.9: a CA certificate was presented as the leaf.
    #[error("{cert} is a CA certificate used as the leaf")]
    CaAsLeaf {
        /// The certificate.
        cert: CertRef,
    },
    /// A certificate's DER is longer than [`crate::Limits::max_cert_len`].
    #[error("{cert} is {len} bytes long, more than the limit of {max}")]
    CertTooLarge {
        /// The certificate.
        cert: CertRef,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The presented chain holds more certificates than [`crate::Limits::max_chain_len`].
    #[error("the chain holds {len} certificates, more than the limit of {max}")]
    ChainTooLong {
        /// Number of certificates presented.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The presented chain is empty.
    #[error("the chain is empty")]
    EmptyChain,
    /// A certificate's `notAfter` is before `now`.
    #[error("{cert} expired at {} (now {})", not_after.secs(), now.secs())]
    Expired {
        /// The certificate.
        cert: CertRef,
        /// Its `notAfter`.
        not_after: UnixTime,
        /// The validation time.
        now: UnixTime,
    },
    /// The signature of a certificate does not verify with its issuer's key.
    #[error("the signature of {cert} does not verify with its issuer's key")]
    InvalidSignature {
        /// The certificate whose signature failed.
        cert: CertRef,
    },
    /// RFC 5280 §4.2.1.3: a KeyUsage bit the rule forbids is asserted.
    #[error("{cert} asserts KeyUsage {usage}, which it must not")]
    KeyUsageForbidden {
        /// The certificate.
        cert: CertRef,
        /// The bit.
        usage: KeyUsageBit,
    },
    /// RFC 5280 §4.2.1.3: a required KeyUsage bit is not asserted (or KeyUsage is absent where
    /// the profile requires it).
    #[error("{cert} lacks KeyUsage {usage}")]
    KeyUsageMissing {
        /// The certificate.
        cert: CertRef,
        /// The missing bit.
        usage: KeyUsageBit,
    },
    /// The leaf has no ExtendedKeyUsage extension, but the policy requires a key purpose.
    #[error("the leaf has no ExtendedKeyUsage; {required} is required")]
    LeafEkuMissing {
        /// The required purpose.
        required: KeyPurpose,
    },
    /// The leaf's ExtendedKeyUsage does not contain the required key purpose.
    #[error("the leaf's ExtendedKeyUsage does not contain {required}")]
    LeafEkuMismatch {
        /// The required purpose.
        required: KeyPurpose,
    },
    /// A certificate is not valid DER X.509 (the byte offset is given when known).
    #[error("{cert} is not a valid DER certificate (at byte {})", position.map_or(-1, |p| i64::try_from(p).unwrap_or(i64::MAX)))]
    Malformed {
        /// The certificate.
        cert: CertRef,
        /// Byte offset of the error, if known.
        position: Option<usize>,
    },
    /// An extension of a known type could not be decoded, or appears twice.
    #[error("{cert} has a malformed or duplicated extension {oid}")]
    MalformedExtension {
        /// The certificate.
        cert: CertRef,
        /// Dotted OID of the extension.
        oid: String,
    },
    /// A name in a certificate violates a name constraint of an issuer in the path.
    #[error("{cert} violates a name constraint of its issuers")]
    NameConstraintViolation {
        /// The certificate.
        cert: CertRef,
    },
    /// The trust anchor set is empty.
    #[error("no trust anchors are configured")]
    NoAnchors,
    /// RFC 5280 §4.2.1.9: an intermediate certificate is not a CA.
    #[error("{cert} is not a CA certificate but is used as an intermediate")]
    NotCa {
        /// The certificate.
        cert: CertRef,
    },
    /// A certificate's `notBefore` is after `now`.
    #[error("{cert} is not valid before {} (now {})", not_before.secs(), now.secs())]
    NotYetValid {
        /// The certificate.
        cert: CertRef,
        /// Its `notBefore`.
        not_before: UnixTime,
        /// The validation time.
        now: UnixTime,
    },
    /// A path failure that the engine reported without a more specific category.
    #[error("path validation failed: {detail}")]
    Path {
        /// The engine's description.
        detail: String,
    },
    /// Path building exceeded the engine's signature or path-building budget.
    #[error("path building exceeded its budget")]
    PathBudgetExceeded,
    /// RFC 5280 §4.2.1.9: a `pathLenConstraint` is exceeded.
    #[error("the path violates a pathLenConstraint (at {cert})")]
    PathLenExceeded {
        /// The certificate whose constraint is exceeded.
        cert: CertRef,
    },
    /// Anchor PEM text is malformed.
    #[error("PEM error at line {line}: {reason}")]
    Pem {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: PemError,
    },
    /// A certificate-profile rule failed.
    #[error("{cert}: {rule}")]
    Profile {
        /// The certificate.
        cert: CertRef,
        /// The rule.
        rule: ProfileRule,
    },
    /// More trust anchors than [`crate::Limits::max_anchors`].
    #[error("{count} trust anchors, more than the limit of {max}")]
    TooManyAnchors {
        /// Number given.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A certificate carries DER after its end.
    #[error("{cert} has trailing data after the certificate (at byte {position})")]
    TrailingData {
        /// The certificate.
        cert: CertRef,
        /// Offset of the first trailing byte.
        position: usize,
    },
    /// No issuer for this certificate was found among the intermediates and the anchors.
    #[error("no issuer of {cert} is among the intermediates or the trust anchors")]
    UnknownIssuer {
        /// The topmost certificate whose issuer is unknown.
        cert: CertRef,
    },
    /// A signature algorithm or public key type outside the supported set (ECDSA on P-256 or
    /// P-384 with SHA-256 or SHA-384, Ed25519, RSA PKCS#1 v1.5 and PSS with 2048 to 8192-bit
    /// keys).
    #[error("{cert} uses an unsupported algorithm: {algorithm}")]
    UnsupportedAlgorithm {
        /// The certificate.
        cert: CertRef,
        /// What was found (an OID or a key description).
        algorithm: String,
    },
    /// A critical extension that neither the engine nor this crate understands.
    #[error("{cert} has an unsupported critical extension {oid}")]
    UnsupportedCriticalExtension {
        /// The certificate.
        cert: CertRef,
        /// Dotted OID of the extension.
        oid: String,
    },
}

impl Error {
    /// The certificate this error is about, when it is about one.
    #[must_use]
    pub const fn cert(&self) -> Option<CertRef> {
        match self {
            Self::CaAsLeaf { cert }
            | Self::CertTooLarge { cert, .. }
            | Self::Expired { cert, .. }
            | Self::InvalidSignature { cert }
            | Self::KeyUsageForbidden { cert, .. }
            | Self::KeyUsageMissing { cert, .. }
            | Self::Malformed { cert, .. }
            | Self::MalformedExtension { cert, .. }
            | Self::NameConstraintViolation { cert }
            | Self::NotCa { cert }
            | Self::NotYetValid { cert, .. }
            | Self::PathLenExceeded { cert }
            | Self::Profile { cert, .. }
            | Self::TrailingData { cert, .. }
            | Self::UnknownIssuer { cert }
            | Self::UnsupportedAlgorithm { cert, .. }
            | Self::UnsupportedCriticalExtension { cert, .. } => Some(*cert),
            Self::LeafEkuMissing { .. } | Self::LeafEkuMismatch { .. } | Self::AnchorAsLeaf => {
                Some(CertRef::Chain(0))
            }
            Self::ChainTooLong { .. }
            | Self::EmptyChain
            | Self::NoAnchors
            | Self::Path { .. }
            | Self::PathBudgetExceeded
            | Self::Pem { .. }
            | Self::TooManyAnchors { .. } => None,
        }
    }

    /// Rank for choosing the most specific error when several candidate paths fail: higher is
    /// more specific. Profile failures on a cryptographically complete path rank highest.
    pub(crate) const fn rank(&self) -> u32 {
        match self {
            Self::Profile { .. }
            | Self::LeafEkuMissing { .. }
            | Self::LeafEkuMismatch { .. }
            | Self::KeyUsageMissing { .. }
            | Self::KeyUsageForbidden { .. } => 400,
            Self::Expired { .. } | Self::NotYetValid { .. } => 290,
            Self::InvalidSignature { .. } => 260,
            Self::NameConstraintViolation { .. } => 230,
            Self::PathLenExceeded { .. } => 220,
            Self::CaAsLeaf { .. } | Self::NotCa { .. } | Self::AnchorAsLeaf => 210,
            Self::UnsupportedAlgorithm { .. } => 150,
            Self::UnsupportedCriticalExtension { .. } => 130,
            Self::MalformedExtension { .. } => 40,
            _ => 0,
        }
    }
}
