//! Profile rules on a candidate path that rustls-webpki does not check.

use jose_core::{PublicKey, UnixTime};
use x509_cert::ext::pkix::name::GeneralName;

use crate::cert::CertInfo;
use crate::error::{CertRef, Error, KeyUsageBit, ProfileRule};
use crate::key::public_key_of;
use crate::policy::{KeyPurpose, Policy, Profile};

/// ISO 18013-5 B.1.4: maximum Document Signer validity.
pub const MDOC_DS_MAX_VALIDITY_DAYS: i64 = 457;
/// ISO 18013-5 B.1.2: maximum IACA validity (20 years, counting leap days).
pub const MDOC_IACA_MAX_VALIDITY_DAYS: i64 = 20 * 365 + 5;

const SECS_PER_DAY: i64 = 86_400;

fn profile(cert: CertRef, rule: ProfileRule) -> Error {
    Error::Profile { cert, rule }
}

/// Validity of `info` at `now`.
pub(crate) fn check_validity(info: &CertInfo, now: UnixTime) -> Result<(), Error> {
    if now.secs() < info.not_before.secs() {
        return Err(Error::NotYetValid {
            cert: info.at,
            not_before: info.not_before,
            now,
        });
    }
    if now.secs() > info.not_after.secs() {
        return Err(Error::Expired {
            cert: info.at,
            not_after: info.not_after,
            now,
        });
    }
    Ok(())
}

/// RFC 5280 rules every certificate of a path (anchor included) must meet.
fn check_common(info: &CertInfo, is_ca: bool, is_anchor: bool) -> Result<(), Error> {
    let at = info.at;
    let serial = info.cert.tbs_certificate().serial_number().as_bytes();
    let magnitude = serial.strip_prefix(&[0]).unwrap_or(serial);
    // Anchors are trusted by configuration; real roots with negative serials exist.
    if !is_anchor {
        if serial.first().is_none_or(|b| b & 0x80 != 0) || serial.iter().all(|b| *b == 0) {
            return Err(profile(at, ProfileRule::SerialNotPositive));
        }
        if magnitude.len() > 20 {
            return Err(profile(at, ProfileRule::SerialTooLong));
        }
    }
    if let Some((critical, aki)) = &info.aki {
        if *critical {
            return Err(profile(at, ProfileRule::AkiCritical));
        }
        if aki.key_identifier.is_none()
            || aki.authority_cert_issuer.is_some()
            || aki.authority_cert_serial_number.is_some()
        {
            return Err(profile(at, ProfileRule::AkiMalformed));
        }
    } else if !info.is_self_issued() {
        return Err(profile(at, ProfileRule::AkiMissing));
    }
    if let Some((critical, _)) = &info.ski {
        if *critical {
            return Err(profile(at, ProfileRule::SkiCritical));
        }
    } else if is_ca {
        return Err(profile(at, ProfileRule::SkiMissing));
    }
    if is_anchor
        && info.is_self_issued()
        && let (Some((_, aki)), Some((_, ski))) = (&info.aki, &info.ski)
        && aki.key_identifier.as_ref() != Some(&ski.0)
    {
        return Err(profile(at, ProfileRule::AkiSkiMismatch));
    }
    let subject_empty = info.cert.tbs_certificate().subject().is_empty();
    if is_ca && subject_empty {
        return Err(profile(at, ProfileRule::CaEmptySubject));
    }
    if let Some((critical, san)) = &info.san
        && subject_empty
        && !*critical
        && !san.0.is_empty()
    {
        return Err(profile(at, ProfileRule::SanNotCritical));
    }
    if let Some((critical, nc)) = &info.name_constraints {
        if !is_ca {
            return Err(profile(at, ProfileRule::NameConstraintsInLeaf));
        }
        if !*critical {
            return Err(profile(at, ProfileRule::NameConstraintsNotCritical));
        }
        let permitted = nc.permitted_subtrees.as_deref().unwrap_or_default();
        let excluded = nc.excluded_subtrees.as_deref().unwrap_or_default();
        let bad_dns = permitted.iter().chain(excluded).any(|s| match &s.base {
            GeneralName::DnsName(name) => name.as_str().starts_with('.'),
            _ => false,
        });
        if (permitted.is_empty() && excluded.is_empty()) || bad_dns {
            return Err(profile(at, ProfileRule::NameConstraintsInvalid));
        }
    }
    if let Some((critical, _)) = &info.policy_constraints
        && !*critical
    {
        return Err(profile(at, ProfileRule::PolicyConstraintsNotCritical));
    }
    if let Some((_, ku)) = &info.key_usage {
        if is_ca && !ku.key_cert_sign() {
            return Err(Error::KeyUsageMissing {
                cert: at,
                usage: KeyUsageBit::KeyCertSign,
            });
        }
        if !is_ca && ku.key_cert_sign() {
            return Err(Error::KeyUsageForbidden {
                cert: at,
                usage: KeyUsageBit::KeyCertSign,
            });
        }
    }
    public_key_of(info.cert.tbs_certificate().subject_public_key_info(), at)?;
    Ok(())
}

/// Rules for the anchor that ends a path, which the engine does not inspect.
fn check_anchor(anchor: &CertInfo, sub_cas: usize, now: UnixTime) -> Result<(), Error> {
    check_validity(anchor, now)?;
    if let Some((true, bc)) = &anchor.basic_constraints
        && bc.ca
        && let Some(max) = bc.path_len_constraint
        && sub_cas > usize::from(max)
    {
        return Err(Error::PathLenExceeded { cert: anchor.at });
    }
    check_anchor_static(anchor)
}

/// The rules for an anchor that depend neither on the time nor on the path: a critical
/// BasicConstraints with `cA`, no unknown critical extension, and the RFC 5280 rules every CA
/// certificate meets (SubjectKeyIdentifier present, ...). An anchor failing them can never end
/// a valid path.
pub(crate) fn check_anchor_static(anchor: &CertInfo) -> Result<(), Error> {
    match &anchor.basic_constraints {
        Some((true, bc)) if bc.ca => {}
        _ => return Err(profile(anchor.at, ProfileRule::BasicConstraintsNotCa)),
    }
    if let Some(oid) = anchor.unknown_critical_extension() {
        return Err(Error::UnsupportedCriticalExtension {
            cert: anchor.at,
            oid: oid.to_string(),
        });
    }
    check_common(anchor, true, true)
}

fn leaf_eku(leaf: &CertInfo, required: KeyPurpose) -> Result<(), Error> {
    match &leaf.eku {
        None => Err(Error::LeafEkuMissing { required }),
        Some((_, eku)) if eku.0.contains(&required.oid()) => Ok(()),
        Some(_) => Err(Error::LeafEkuMismatch { required }),
    }
}

fn country(info: &CertInfo) -> Result<Option<String>, Error> {
    info.cert
        .tbs_certificate()
        .subject()
        .country()
        .map(|c| c.map(|c| c.as_str().to_owned()))
        .map_err(|_| Error::Malformed {
            cert: info.at,
            position: None,
        })
}

fn state(info: &CertInfo) -> Result<Option<String>, Error> {
    info.cert
        .tbs_certificate()
        .subject()
        .state_or_province()
        .map(|c| c.map(|c| c.value().into_owned()))
        .map_err(|_| Error::Malformed {
            cert: info.at,
            position: None,
        })
}

fn validity_days(info: &CertInfo) -> i64 {
    info.not_after
        .secs()
        .saturating_sub(info.not_before.secs())
        .checked_div(SECS_PER_DAY)
        .unwrap_or(0)
}

fn check_mdoc(leaf: &CertInfo, anchor: &CertInfo, key: &PublicKey) -> Result<(), Error> {
    leaf_eku(leaf, KeyPurpose::MDOC_DS)?;
    if matches!(leaf.eku, Some((false, _))) {
        return Err(profile(leaf.at, ProfileRule::DsEkuNotCritical));
    }
    match &leaf.key_usage {
        Some((_, ku)) if ku.crl_sign() => {
            return Err(Error::KeyUsageForbidden {
                cert: leaf.at,
                usage: KeyUsageBit::CrlSign,
            });
        }
        Some(_) => {}
        None => {
            return Err(Error::KeyUsageMissing {
                cert: leaf.at,
                usage: KeyUsageBit::DigitalSignature,
            });
        }
    }
    if !matches!(key, PublicKey::Ec { .. }) {
        return Err(profile(leaf.at, ProfileRule::DsKeyNotEc));
    }
    let days = validity_days(leaf);
    if days > MDOC_DS_MAX_VALIDITY_DAYS {
        return Err(profile(leaf.at, ProfileRule::DsValidityTooLong { days }));
    }
    match &anchor.key_usage {
        Some((_, ku)) if ku.key_cert_sign() => {}
        _ => {
            return Err(Error::KeyUsageMissing {
                cert: anchor.at,
                usage: KeyUsageBit::KeyCertSign,
            });
        }
    }
    let days = validity_days(anchor);
    if days > MDOC_IACA_MAX_VALIDITY_DAYS {
        return Err(profile(
            anchor.at,
            ProfileRule::IacaValidityTooLong { days },
        ));
    }
    let Some(iaca_country) = country(anchor)? else {
        return Err(profile(anchor.at, ProfileRule::MissingCountry));
    };
    match country(leaf)? {
        None => return Err(profile(leaf.at, ProfileRule::MissingCountry)),
        Some(c) if c != iaca_country => return Err(profile(leaf.at, ProfileRule::CountryMismatch)),
        Some(_) => {}
    }
    let (leaf_st, iaca_st) = (state(leaf)?, state(anchor)?);
    if (leaf_st.is_some() || iaca_st.is_some()) && leaf_st != iaca_st {
        return Err(profile(leaf.at, ProfileRule::StateMismatch));
    }
    Ok(())
}

/// All rules on a candidate path: `intermediates` in order from the leaf up, `anchor` last.
/// Returns the leaf's public key.
pub(crate) fn check_path(
    leaf: &CertInfo,
    intermediates: &[&CertInfo],
    anchor: &CertInfo,
    now: UnixTime,
    policy: &Policy,
    direct: bool,
) -> Result<PublicKey, Error> {
    let sub_cas = intermediates.iter().filter(|i| !i.is_self_issued()).count();
    check_anchor(anchor, sub_cas, now)?;
    for info in intermediates {
        check_common(info, true, false)?;
    }
    if !direct {
        check_common(leaf, leaf.is_ca(), false)?;
    }
    let key = public_key_of(
        leaf.cert.tbs_certificate().subject_public_key_info(),
        leaf.at,
    )?;
    if let Some((_, ku)) = &leaf.key_usage
        && !ku.digital_signature()
    {
        return Err(Error::KeyUsageMissing {
            cert: leaf.at,
            usage: KeyUsageBit::DigitalSignature,
        });
    }
    match policy.profile() {
        Profile::LeafEku(required) => leaf_eku(leaf, *required)?,
        Profile::MdocDocumentSigner => check_mdoc(leaf, anchor, &key)?,
        Profile::Attester => {
            if !direct && leaf.is_self_issued() {
                return Err(profile(leaf.at, ProfileRule::LeafSelfIssued));
            }
        }
        Profile::AnyEku => {}
    }
    Ok(key)
}
