//! Configured trust anchors.

use rustls_pki_types::{CertificateDer, TrustAnchor};

use crate::cert::CertInfo;
use crate::error::{CertRef, Error};
use crate::limits::Limits;
use crate::pem;

/// One anchor: its DER, its parsed form and the engine's view of it.
#[derive(Debug)]
pub(crate) struct Anchor {
    pub(crate) der: Vec<u8>,
    pub(crate) info: CertInfo,
    pub(crate) engine: TrustAnchor<'static>,
}

/// A set of trust anchors (root certificates), immutable once built.
///
/// Each anchor is a full certificate: besides its name and key (which the path engine uses),
/// its validity, BasicConstraints, KeyUsage and critical extensions are checked whenever a
/// path ends at it (see the crate documentation).
#[derive(Debug)]
pub struct TrustAnchors {
    anchors: Vec<Anchor>,
    engine: Vec<TrustAnchor<'static>>,
}

impl TrustAnchors {
    /// Anchors from PEM text holding one or more `CERTIFICATE` blocks, with default limits.
    ///
    /// # Errors
    /// [`Error::Pem`] for malformed PEM (including a block that is not a `CERTIFICATE`), then as
    /// [`TrustAnchors::from_der`].
    pub fn from_pem(text: &str) -> Result<Self, Error> {
        Self::from_pem_with_limits(text, &Limits::default())
    }

    /// Anchors from PEM text with explicit limits.
    ///
    /// # Errors
    /// As [`TrustAnchors::from_pem`]; [`Error::Pem`] with [`crate::PemError::TooLong`] past
    /// [`Limits::max_pem_len`].
    pub fn from_pem_with_limits(text: &str, limits: &Limits) -> Result<Self, Error> {
        Self::from_der_with_limits(pem::certificates(text, limits.max_pem_len)?, limits)
    }

    /// Anchors from DER certificates, with default limits.
    ///
    /// # Errors
    /// [`Error::NoAnchors`] for an empty list, [`Error::TooManyAnchors`], and for the anchor at
    /// index `i` (reported as [`CertRef::Anchor`]): [`Error::Malformed`],
    /// [`Error::TrailingData`], [`Error::CertTooLarge`], [`Error::MalformedExtension`].
    pub fn from_der(certs: Vec<Vec<u8>>) -> Result<Self, Error> {
        Self::from_der_with_limits(certs, &Limits::default())
    }

    /// Anchors from DER certificates with explicit limits.
    ///
    /// # Errors
    /// As [`TrustAnchors::from_der`].
    pub fn from_der_with_limits(certs: Vec<Vec<u8>>, limits: &Limits) -> Result<Self, Error> {
        if certs.is_empty() {
            return Err(Error::NoAnchors);
        }
        if certs.len() > limits.max_anchors {
            return Err(Error::TooManyAnchors {
                count: certs.len(),
                max: limits.max_anchors,
            });
        }
        let mut anchors = Vec::with_capacity(certs.len());
        for (i, der) in certs.into_iter().enumerate() {
            let at = CertRef::Anchor(i);
            let info = CertInfo::parse(&der, at, limits.max_cert_len)?;
            let engine = webpki::anchor_from_trusted_cert(&CertificateDer::from(der.as_slice()))
                .map_err(|_| Error::Malformed {
                    cert: at,
                    position: None,
                })?
                .to_owned();
            anchors.push(Anchor { der, info, engine });
        }
        let engine = anchors.iter().map(|a| a.engine.clone()).collect();
        Ok(Self { anchors, engine })
    }

    /// Checks the rules a path's anchor must meet that depend neither on the time nor on the
    /// path (a critical BasicConstraints with `cA`, no unknown critical extension, RFC 5280's
    /// rules for CA certificates such as a SubjectKeyIdentifier), for every anchor in order.
    ///
    /// [`validate_chain`](crate::validate_chain) applies them whenever a path ends at an anchor;
    /// an anchor that fails them can never end a valid path, so a verifier built once from a
    /// configuration calls this to refuse the configuration instead of every chain. Validity
    /// and `pathLenConstraint` stay per-path checks.
    ///
    /// # Errors
    /// The first failing rule, reported for [`CertRef::Anchor`] `i`: [`Error::Profile`],
    /// [`Error::UnsupportedCriticalExtension`], [`Error::KeyUsageMissing`], or an error reading
    /// the anchor's public key.
    pub fn check_profile(&self) -> Result<(), Error> {
        self.anchors
            .iter()
            .try_for_each(|a| crate::profile::check_anchor_static(&a.info))
    }

    /// Number of anchors.
    #[must_use]
    pub fn len(&self) -> usize {
        self.anchors.len()
    }

    /// Always false: a set holds at least one anchor.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.anchors.is_empty()
    }

    /// The anchors' DER certificates, in the order given.
    pub fn iter_der(&self) -> impl Iterator<Item = &[u8]> {
        self.anchors.iter().map(|a| a.der.as_slice())
    }

    pub(crate) fn anchors(&self) -> &[Anchor] {
        &self.anchors
    }

    pub(crate) fn engine_anchors(&self) -> &[TrustAnchor<'static>] {
        &self.engine
    }
}
