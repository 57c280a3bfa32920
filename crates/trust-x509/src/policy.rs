//! Validation policies: which profile the path must satisfy, limits, direct trust.

use core::fmt;

use der::asn1::ObjectIdentifier;

use crate::error::Error;
use crate::limits::Limits;

/// An ExtendedKeyUsage key purpose (an OID), as required of the leaf by
/// [`Profile::LeafEku`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KeyPurpose(ObjectIdentifier);

impl KeyPurpose {
    /// `id-kp-serverAuth` (1.3.6.1.5.5.7.3.1).
    pub const SERVER_AUTH: Self = Self(ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.1"));
    /// `id-kp-clientAuth` (1.3.6.1.5.5.7.3.2).
    pub const CLIENT_AUTH: Self = Self(ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.2"));
    /// `id-kp-codeSigning` (1.3.6.1.5.5.7.3.3).
    pub const CODE_SIGNING: Self = Self(ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.3"));
    /// ISO 18013-5 `id-mdl-kp-mdlDS` (1.0.18013.5.1.2), the mdoc Document Signer.
    pub const MDOC_DS: Self = Self(ObjectIdentifier::new_unwrap("1.0.18013.5.1.2"));
    /// ISO 18013-5 `id-mdl-kp-mdlJWS` (1.0.18013.5.1.3), the mDL JWS signer.
    pub const MDOC_JWS: Self = Self(ObjectIdentifier::new_unwrap("1.0.18013.5.1.3"));

    /// Parses a dotted OID such as `"1.0.18013.5.1.2"`.
    ///
    /// # Errors
    /// [`Error::Path`] naming the text when it is not a valid OID.
    pub fn from_dotted(oid: &str) -> Result<Self, Error> {
        ObjectIdentifier::new(oid)
            .map(Self)
            .map_err(|_| Error::Path {
                detail: format!("invalid key purpose OID {oid:?}"),
            })
    }

    /// The DER contents octets of the OID (without tag and length).
    #[must_use]
    pub fn as_der_contents(&self) -> &[u8] {
        self.0.as_bytes()
    }

    pub(crate) const fn oid(&self) -> ObjectIdentifier {
        self.0
    }
}

impl fmt::Display for KeyPurpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// The certificate profile a validated path must satisfy, on top of RFC 5280 path validation.
///
/// Every profile applies the common rules listed in the crate documentation (KeyUsage of CAs
/// and leaf, extension criticality, anchor checks). The profiles add:
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Profile {
    /// No ExtendedKeyUsage requirement at all (EKUs anywhere in the path are ignored).
    AnyEku,
    /// The leaf's ExtendedKeyUsage must be present and contain this purpose.
    /// Intermediates' EKUs are not checked (RFC 5280 gives them no meaning).
    LeafEku(KeyPurpose),
    /// ISO 18013-5 Annex B: IACA (the anchor) -> Document Signer (the leaf).
    ///
    /// - leaf EKU critical and containing `1.0.18013.5.1.2`; leaf KeyUsage present with
    ///   `digitalSignature` and without `keyCertSign`/`cRLSign`; leaf key is EC; leaf validity
    ///   at most 457 days;
    /// - anchor KeyUsage present with `keyCertSign`; anchor validity at most 20 years;
    /// - anchor subject has `C`; leaf `C` equals it; leaf `ST` equals the anchor's when either
    ///   has one.
    MdocDocumentSigner,
    /// OAuth attestation-based client authentication: the Client Attester's certificate.
    ///
    /// - leaf KeyUsage, when present, asserts `digitalSignature` (as for every profile);
    /// - the leaf is not self-issued (HAIP: the `x5c` signer is not self-signed), unless it
    ///   is trusted directly ([`Policy::with_direct_trust`]);
    /// - no EKU is required, because no key purpose is registered for client attesters; use
    ///   [`Profile::LeafEku`] when your ecosystem defines one.
    Attester,
}

/// A validation policy: a [`Profile`], [`Limits`] and whether direct trust is allowed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Policy {
    profile: Profile,
    limits: Limits,
    direct_trust: bool,
}

impl Policy {
    /// A policy with this profile, default limits and no direct trust.
    #[must_use]
    pub fn new(profile: Profile) -> Self {
        Self {
            profile,
            limits: Limits::default(),
            direct_trust: false,
        }
    }

    /// [`Profile::AnyEku`].
    #[must_use]
    pub fn any_eku() -> Self {
        Self::new(Profile::AnyEku)
    }

    /// [`Profile::LeafEku`] with this purpose.
    #[must_use]
    pub fn leaf_eku(purpose: KeyPurpose) -> Self {
        Self::new(Profile::LeafEku(purpose))
    }

    /// [`Profile::MdocDocumentSigner`].
    #[must_use]
    pub fn mdoc_document_signer() -> Self {
        Self::new(Profile::MdocDocumentSigner)
    }

    /// [`Profile::Attester`].
    #[must_use]
    pub fn attester() -> Self {
        Self::new(Profile::Attester)
    }

    /// Replaces the limits.
    #[must_use]
    pub const fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Allows a chain whose only certificate is byte-identical to a configured anchor (a pinned
    /// certificate, such as the self-signed `x5c[0]` of the OpenID4VCI wallet attestation
    /// example). The certificate is then checked for validity at `now`, its extensions and the
    /// profile's leaf rules; no path is built. Off by default: without it such a chain fails
    /// with [`Error::AnchorAsLeaf`].
    #[must_use]
    pub const fn with_direct_trust(mut self) -> Self {
        self.direct_trust = true;
        self
    }

    /// The profile.
    #[must_use]
    pub const fn profile(&self) -> &Profile {
        &self.profile
    }

    /// The limits.
    #[must_use]
    pub const fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Whether direct trust is allowed.
    #[must_use]
    pub const fn direct_trust(&self) -> bool {
        self.direct_trust
    }
}
