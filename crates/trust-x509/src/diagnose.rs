//! Attributing rustls-webpki errors (which do not say which certificate failed) to a
//! certificate of the presented chain.

use der::Encode;
use jose_core::UnixTime;
use rustls_pki_types::CertificateDer;
use webpki::EndEntityCert;

use crate::anchors::TrustAnchors;
use crate::cert::CertInfo;
use crate::error::{CertRef, Error};
use crate::key::{SUPPORTED_SIG_ALGS, signature_algorithm_supported};

/// The presented certificates in issuer order from the leaf, following issuer names and
/// stopping at a name that no other presented certificate carries.
fn name_order(infos: &[CertInfo]) -> Vec<usize> {
    let mut order = vec![0];
    let mut current = 0;
    while let Some(cur) = infos.get(current) {
        let issuer = cur.cert.tbs_certificate().issuer();
        let next = infos
            .iter()
            .enumerate()
            .find(|(i, c)| !order.contains(i) && c.cert.tbs_certificate().subject() == issuer);
        match next {
            Some((i, _)) => {
                order.push(i);
                current = i;
            }
            None => break,
        }
    }
    order
}

/// Whether `child`'s signature verifies with `issuer_der`'s key under any supported algorithm.
fn signed_by(child: &CertInfo, issuer_der: &[u8]) -> bool {
    let issuer_der = CertificateDer::from(issuer_der);
    let Ok(issuer) = EndEntityCert::try_from(&issuer_der) else {
        return false;
    };
    let Ok(tbs) = child.cert.tbs_certificate().to_der() else {
        return false;
    };
    let Some(sig) = child.cert.signature().as_bytes() else {
        return false;
    };
    SUPPORTED_SIG_ALGS
        .iter()
        .any(|alg| issuer.verify_signature(*alg, &tbs, sig).is_ok())
}

/// The first certificate (in issuer order) whose signature verifies with none of the
/// candidate issuers carrying its issuer name.
fn bad_signature<C: AsRef<[u8]>>(
    chain: &[C],
    infos: &[CertInfo],
    anchors: &TrustAnchors,
) -> CertRef {
    for index in name_order(infos) {
        let Some(child) = infos.get(index) else {
            continue;
        };
        let issuer_name = child.cert.tbs_certificate().issuer();
        let mut candidates = chain
            .iter()
            .zip(infos)
            .filter(|(_, i)| i.at != child.at && i.cert.tbs_certificate().subject() == issuer_name)
            .map(|(d, _)| d.as_ref())
            .chain(
                anchors
                    .anchors()
                    .iter()
                    .filter(|a| a.info.cert.tbs_certificate().subject() == issuer_name)
                    .map(|a| a.der.as_slice()),
            )
            .peekable();
        if candidates.peek().is_some() && !candidates.any(|d| signed_by(child, d)) {
            return child.at;
        }
    }
    CertRef::Unattributed
}

/// Maps an engine error to ours, naming the certificate where it can be identified.
pub(crate) fn engine_error<C: AsRef<[u8]>>(
    error: &webpki::Error,
    chain: &[C],
    infos: &[CertInfo],
    anchors: &TrustAnchors,
    now: UnixTime,
) -> Error {
    let find = |pred: &dyn Fn(&CertInfo) -> bool| {
        name_order(infos)
            .into_iter()
            .filter_map(|i| infos.get(i))
            .chain(infos)
            .find(|c| pred(c))
            .map_or(CertRef::Unattributed, |c| c.at)
    };
    match error {
        webpki::Error::CertExpired { not_after, .. } => {
            let secs = i64::try_from(not_after.as_secs()).unwrap_or(i64::MAX);
            Error::Expired {
                cert: find(&|c| c.not_after.secs() == secs),
                not_after: UnixTime::from_secs(secs),
                now,
            }
        }
        webpki::Error::CertNotValidYet { not_before, .. } => {
            let secs = i64::try_from(not_before.as_secs()).unwrap_or(i64::MAX);
            Error::NotYetValid {
                cert: find(&|c| c.not_before.secs() == secs),
                not_before: UnixTime::from_secs(secs),
                now,
            }
        }
        webpki::Error::CaUsedAsEndEntity => Error::CaAsLeaf {
            cert: CertRef::Chain(0),
        },
        webpki::Error::EndEntityUsedAsCa => Error::NotCa {
            cert: find(&|c| c.at != CertRef::Chain(0) && !c.is_ca()),
        },
        webpki::Error::PathLenConstraintViolated => {
            let order = name_order(infos);
            let cert = order
                .iter()
                .enumerate()
                .skip(1)
                .find_map(|(depth, i)| {
                    let info = infos.get(*i)?;
                    let max = info.basic_constraints.as_ref()?.1.path_len_constraint?;
                    (depth.saturating_sub(1) > usize::from(max)).then_some(info.at)
                })
                .unwrap_or(CertRef::Unattributed);
            Error::PathLenExceeded { cert }
        }
        webpki::Error::InvalidSignatureForPublicKey => Error::InvalidSignature {
            cert: bad_signature(chain, infos, anchors),
        },
        webpki::Error::UnsupportedSignatureAlgorithmContext(_)
        | webpki::Error::UnsupportedSignatureAlgorithmForPublicKeyContext(_)
        | webpki::Error::SignatureAlgorithmMismatch => {
            let cert = find(&|c| !signature_algorithm_supported(&c.cert));
            let target = match cert {
                CertRef::Unattributed => infos.first(),
                _ => infos.iter().find(|c| c.at == cert),
            };
            Error::UnsupportedAlgorithm {
                cert: target.map_or(CertRef::Unattributed, |c| c.at),
                algorithm: target.map_or_else(String::new, |c| {
                    format!("signature algorithm {}", c.cert.signature_algorithm().oid)
                }),
            }
        }
        webpki::Error::UnknownIssuer => Error::UnknownIssuer {
            cert: name_order(infos)
                .last()
                .and_then(|i| infos.get(*i))
                .map_or(CertRef::Chain(0), |c| c.at),
        },
        webpki::Error::NameConstraintViolation => Error::NameConstraintViolation {
            cert: CertRef::Unattributed,
        },
        webpki::Error::UnsupportedCriticalExtension => {
            let found = name_order(infos)
                .into_iter()
                .filter_map(|i| infos.get(i))
                .find_map(|c| {
                    c.unknown_critical_extension()
                        .map(|oid| (c.at, oid.to_string()))
                });
            match found {
                Some((cert, oid)) => Error::UnsupportedCriticalExtension { cert, oid },
                None => Error::UnsupportedCriticalExtension {
                    cert: CertRef::Unattributed,
                    oid: String::new(),
                },
            }
        }
        webpki::Error::MaximumSignatureChecksExceeded
        | webpki::Error::MaximumPathBuildCallsExceeded
        | webpki::Error::MaximumNameConstraintComparisonsExceeded
        | webpki::Error::MaximumPathDepthExceeded => Error::PathBudgetExceeded,
        webpki::Error::BadDer
        | webpki::Error::BadDerTime
        | webpki::Error::MalformedExtensions
        | webpki::Error::ExtensionValueInvalid
        | webpki::Error::TrailingData(_)
        | webpki::Error::InvalidCertValidity
        | webpki::Error::MalformedNameConstraint
        | webpki::Error::InvalidSerialNumber => Error::Malformed {
            cert: CertRef::Unattributed,
            position: None,
        },
        other => Error::Path {
            detail: format!("{other:?}"),
        },
    }
}
