//! Path validation: rustls-webpki builds and verifies the path, then the profile rules run on
//! each candidate path before it is accepted.

use core::cell::RefCell;
use core::time::Duration;

use jose_core::{PublicKey, UnixTime};
use rustls_pki_types::CertificateDer;
use webpki::{EndEntityCert, KeyPurposeIdIter, VerifiedPath};
use x509_cert::ext::pkix::name::GeneralName;

use crate::anchors::TrustAnchors;
use crate::cert::CertInfo;
use crate::diagnose;
use crate::error::{CertRef, Error};
use crate::key::SUPPORTED_SIG_ALGS;
use crate::policy::Policy;
use crate::profile::{check_path, check_validity};

/// A chain that validated: the path from the leaf to the anchor and the leaf's key.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ValidatedChain {
    path: Vec<Vec<u8>>,
    chain_indices: Vec<usize>,
    anchor_index: usize,
    public_key: PublicKey,
    leaf_subject: String,
    leaf_names: LeafNames,
    leaf_not_before: UnixTime,
    leaf_not_after: UnixTime,
}

/// The names of the leaf's SubjectAltName that relying parties match identifiers against.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct LeafNames {
    dns: Vec<String>,
    uris: Vec<String>,
}

impl LeafNames {
    fn of(leaf: &CertInfo) -> Self {
        let mut names = Self::default();
        if let Some((_, san)) = &leaf.san {
            for name in &san.0 {
                match name {
                    GeneralName::DnsName(dns) => names.dns.push(dns.to_string()),
                    GeneralName::UniformResourceIdentifier(uri) => {
                        names.uris.push(uri.to_string());
                    }
                    _ => {}
                }
            }
        }
        names
    }
}

impl ValidatedChain {
    /// The leaf's public key, ready to verify a JWS or COSE signature through `jose_core`.
    #[must_use]
    pub const fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    /// The validated path as DER certificates: the leaf first, then the intermediates used,
    /// then the trust anchor. With direct trust the path is the single anchor certificate.
    #[must_use]
    pub fn path(&self) -> &[Vec<u8>] {
        &self.path
    }

    /// Indices into the presented chain of the certificates of the path (without the anchor),
    /// leaf first. Presented certificates not in this list were not needed.
    #[must_use]
    pub fn chain_indices(&self) -> &[usize] {
        &self.chain_indices
    }

    /// Index of the anchor the path ends at, in the configured [`TrustAnchors`].
    #[must_use]
    pub const fn anchor_index(&self) -> usize {
        self.anchor_index
    }

    /// The leaf's subject as an RFC 4514 string (last RDN first, e.g. `C=US,CN=utopia ds`), for logs.
    #[must_use]
    pub fn leaf_subject(&self) -> &str {
        &self.leaf_subject
    }

    /// The `dNSName` entries of the leaf's SubjectAltName (RFC 5280 §4.2.1.6), in order.
    #[must_use]
    pub fn leaf_san_dns_names(&self) -> &[String] {
        &self.leaf_names.dns
    }

    /// The `uniformResourceIdentifier` entries of the leaf's SubjectAltName (RFC 5280
    /// §4.2.1.6), in order.
    #[must_use]
    pub fn leaf_san_uris(&self) -> &[String] {
        &self.leaf_names.uris
    }

    /// The leaf's `notBefore`.
    #[must_use]
    pub const fn leaf_not_before(&self) -> UnixTime {
        self.leaf_not_before
    }

    /// The leaf's `notAfter`.
    #[must_use]
    pub const fn leaf_not_after(&self) -> UnixTime {
        self.leaf_not_after
    }
}

/// Accepts every EKU: the engine runs its EKU validator on intermediates too, so the leaf's
/// EKU is checked by the profile rules instead.
struct AnyEku;

impl webpki::ExtendedKeyUsageValidator for AnyEku {
    fn validate(&self, _iter: KeyPurposeIdIter<'_, '_>) -> Result<(), webpki::Error> {
        Ok(())
    }
}

/// Validates `chain` (DER certificates, leaf first, as in `x5c` or `x5chain`; the anchor need
/// not be included) to one of `anchors` at time `now` under `policy`.
///
/// Checks: strict DER of every certificate; chain length and certificate size limits;
/// signatures (supported algorithms only); validity of every certificate of the path,
/// anchor included; BasicConstraints and pathLenConstraint (anchor included); name
/// constraints; unknown critical extensions (anchor included); KeyUsage; RFC 5280 profile
/// rules; then the policy's [`crate::Profile`]. When several candidate paths exist, the first
/// one passing every rule is returned; if none does, the most specific failure is reported.
///
/// # Errors
/// Any [`Error`] variant naming the failing certificate (see [`Error::cert`]), for example
/// [`Error::Expired`], [`Error::NotCa`], [`Error::PathLenExceeded`], [`Error::LeafEkuMissing`],
/// [`Error::KeyUsageMissing`], [`Error::UnknownIssuer`], [`Error::ChainTooLong`],
/// [`Error::Malformed`], [`Error::TrailingData`], [`Error::AnchorAsLeaf`],
/// [`Error::UnsupportedAlgorithm`].
pub fn validate_chain<C: AsRef<[u8]>>(
    chain: &[C],
    anchors: &TrustAnchors,
    now: UnixTime,
    policy: &Policy,
) -> Result<ValidatedChain, Error> {
    let limits = policy.limits();
    if chain.is_empty() {
        return Err(Error::EmptyChain);
    }
    if chain.len() > limits.max_chain_len {
        return Err(Error::ChainTooLong {
            len: chain.len(),
            max: limits.max_chain_len,
        });
    }
    let infos = chain
        .iter()
        .enumerate()
        .map(|(i, der)| CertInfo::parse(der.as_ref(), CertRef::Chain(i), limits.max_cert_len))
        .collect::<Result<Vec<_>, _>>()?;
    let leaf_der = chain.first().map(AsRef::as_ref).ok_or(Error::EmptyChain)?;
    let leaf = infos.first().ok_or(Error::EmptyChain)?;

    if let Some(index) = anchors.anchors().iter().position(|a| a.der == leaf_der) {
        return direct_trust(leaf, leaf_der, anchors, index, now, policy);
    }

    let ders: Vec<CertificateDer<'_>> = chain
        .iter()
        .skip(1)
        .map(|c| CertificateDer::from(c.as_ref()))
        .collect();
    let leaf_cert_der = CertificateDer::from(leaf_der);
    let ee = EndEntityCert::try_from(&leaf_cert_der).map_err(|_| Error::Malformed {
        cert: CertRef::Chain(0),
        position: None,
    })?;
    let time = rustls_pki_types::UnixTime::since_unix_epoch(Duration::from_secs(
        u64::try_from(now.secs()).unwrap_or(0),
    ));
    let profile_error: RefCell<Option<Error>> = RefCell::new(None);
    let accepted: RefCell<Option<(Vec<usize>, usize, PublicKey)>> = RefCell::new(None);
    let verify = |path: &VerifiedPath<'_>| -> Result<(), webpki::Error> {
        match check_candidate(path, chain, &infos, anchors, now, policy) {
            Ok(found) => {
                *accepted.borrow_mut() = Some(found);
                Ok(())
            }
            Err(e) => {
                let mut slot = profile_error.borrow_mut();
                if slot.as_ref().is_none_or(|old| e.rank() > old.rank()) {
                    *slot = Some(e);
                }
                Err(webpki::Error::UnknownIssuer)
            }
        }
    };
    let result = ee.verify_for_usage(
        SUPPORTED_SIG_ALGS,
        anchors.engine_anchors(),
        &ders,
        time,
        AnyEku,
        None,
        Some(&verify),
    );
    match (result, accepted.into_inner()) {
        (Ok(_), Some((indices, anchor_index, public_key))) => {
            let mut path: Vec<Vec<u8>> = indices
                .iter()
                .filter_map(|i| chain.get(*i).map(|c| c.as_ref().to_vec()))
                .collect();
            let anchor = anchors
                .anchors()
                .get(anchor_index)
                .ok_or(Error::NoAnchors)?;
            path.push(anchor.der.clone());
            Ok(ValidatedChain {
                path,
                chain_indices: indices,
                anchor_index,
                public_key,
                leaf_subject: leaf.cert.tbs_certificate().subject().to_string(),
                leaf_names: LeafNames::of(leaf),
                leaf_not_before: leaf.not_before,
                leaf_not_after: leaf.not_after,
            })
        }
        (Ok(_), None) => Err(Error::Path {
            detail: "engine accepted a path the profile did not see".to_owned(),
        }),
        (Err(e), _) => Err(match profile_error.into_inner() {
            Some(ours) => ours,
            None => diagnose::engine_error(&e, chain, &infos, anchors, now),
        }),
    }
}

/// Runs the profile rules on one candidate path; returns the chain indices of the path, the
/// anchor index and the leaf key.
fn check_candidate<C: AsRef<[u8]>>(
    path: &VerifiedPath<'_>,
    chain: &[C],
    infos: &[CertInfo],
    anchors: &TrustAnchors,
    now: UnixTime,
    policy: &Policy,
) -> Result<(Vec<usize>, usize, PublicKey), Error> {
    let mut indices = vec![0];
    let mut inter = Vec::new();
    for cert in path.intermediate_certificates() {
        let der = cert.der();
        let index = chain
            .iter()
            .enumerate()
            .skip(1)
            .find(|(_, c)| c.as_ref() == der.as_ref())
            .map(|(i, _)| i)
            .ok_or(Error::Path {
                detail: "engine used an unknown intermediate".to_owned(),
            })?;
        indices.push(index);
        inter.push(infos.get(index).ok_or(Error::EmptyChain)?);
    }
    let engine_anchor = path.anchor();
    let anchor_index = anchors
        .engine_anchors()
        .iter()
        .position(|a| {
            a.subject == engine_anchor.subject
                && a.subject_public_key_info == engine_anchor.subject_public_key_info
        })
        .ok_or(Error::Path {
            detail: "engine used an unknown anchor".to_owned(),
        })?;
    let anchor = anchors
        .anchors()
        .get(anchor_index)
        .ok_or(Error::NoAnchors)?;
    let leaf = infos.first().ok_or(Error::EmptyChain)?;
    let key = check_path(leaf, &inter, &anchor.info, now, policy, false)?;
    Ok((indices, anchor_index, key))
}

fn direct_trust(
    leaf: &CertInfo,
    leaf_der: &[u8],
    anchors: &TrustAnchors,
    index: usize,
    now: UnixTime,
    policy: &Policy,
) -> Result<ValidatedChain, Error> {
    if !policy.direct_trust() {
        return Err(Error::AnchorAsLeaf);
    }
    let anchor = anchors.anchors().get(index).ok_or(Error::NoAnchors)?;
    check_validity(leaf, now)?;
    let public_key = check_path(leaf, &[], &anchor.info, now, policy, true)?;
    Ok(ValidatedChain {
        path: vec![leaf_der.to_vec()],
        chain_indices: vec![0],
        anchor_index: index,
        public_key,
        leaf_subject: leaf.cert.tbs_certificate().subject().to_string(),
        leaf_names: LeafNames::of(leaf),
        leaf_not_before: leaf.not_before,
        leaf_not_after: leaf.not_after,
    })
}
