//! Strict parsing of one certificate and the extension facts the profile rules need.

use der::asn1::ObjectIdentifier;
use der::{Decode, ErrorKind, Length};
use jose_core::UnixTime;
use x509_cert::Certificate;
use x509_cert::ext::pkix::constraints::{BasicConstraints, NameConstraints, PolicyConstraints};
use x509_cert::ext::pkix::{
    AuthorityInfoAccessSyntax, AuthorityKeyIdentifier, CertificatePolicies, CrlDistributionPoints,
    ExtendedKeyUsage, KeyUsage, SubjectAltName, SubjectKeyIdentifier,
};

use crate::error::{CertRef, Error};

const OID_KU: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.15");
const OID_SAN: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
const OID_BC: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");
const OID_NC: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.30");
const OID_CRL_DP: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.31");
const OID_EKU: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");

/// Extensions that rustls-webpki processes and therefore accepts as critical; we apply the
/// same set to trust anchors, which webpki does not inspect.
const UNDERSTOOD_CRITICAL: &[ObjectIdentifier] =
    &[OID_KU, OID_SAN, OID_BC, OID_NC, OID_CRL_DP, OID_EKU];

fn length_to_usize(len: Length) -> usize {
    usize::try_from(u32::from(len)).unwrap_or(usize::MAX)
}

/// Parses one DER certificate strictly (DER rules, no trailing data, size limit).
pub(crate) fn parse_certificate(
    der: &[u8],
    cert: CertRef,
    max_len: usize,
) -> Result<Certificate, Error> {
    if der.len() > max_len {
        return Err(Error::CertTooLarge {
            cert,
            len: der.len(),
            max: max_len,
        });
    }
    Certificate::from_der(der).map_err(|e| match e.kind() {
        ErrorKind::TrailingData { decoded, .. } => Error::TrailingData {
            cert,
            position: length_to_usize(decoded),
        },
        _ => Error::Malformed {
            cert,
            position: e.position().map(length_to_usize),
        },
    })
}

/// An extension's criticality and decoded value.
pub(crate) type Ext<T> = Option<(bool, T)>;

/// The facts about one certificate that the profile rules use, decoded once.
#[derive(Debug)]
pub(crate) struct CertInfo {
    pub(crate) at: CertRef,
    pub(crate) cert: Certificate,
    pub(crate) not_before: UnixTime,
    pub(crate) not_after: UnixTime,
    pub(crate) basic_constraints: Ext<BasicConstraints>,
    pub(crate) key_usage: Ext<KeyUsage>,
    pub(crate) eku: Ext<ExtendedKeyUsage>,
    pub(crate) aki: Ext<AuthorityKeyIdentifier>,
    pub(crate) ski: Ext<SubjectKeyIdentifier>,
    pub(crate) name_constraints: Ext<NameConstraints>,
    pub(crate) policy_constraints: Ext<PolicyConstraints>,
    pub(crate) san: Ext<SubjectAltName>,
}

fn ext<'a, T>(cert: &'a Certificate, at: CertRef) -> Result<Ext<T>, Error>
where
    T: Decode<'a> + der::oid::AssociatedOid,
{
    cert.tbs_certificate()
        .get_extension::<T>()
        .map_err(|_| Error::MalformedExtension {
            cert: at,
            oid: T::OID.to_string(),
        })
}

fn unix(time: x509_cert::time::Time) -> UnixTime {
    UnixTime::from_secs(i64::try_from(time.to_unix_duration().as_secs()).unwrap_or(i64::MAX))
}

impl CertInfo {
    /// Parses a certificate and decodes every extension type we know, refusing malformed or
    /// duplicated extensions.
    pub(crate) fn parse(der: &[u8], at: CertRef, max_len: usize) -> Result<Self, Error> {
        let cert = parse_certificate(der, at, max_len)?;
        // Duplicated extensions of any type (RFC 5280 §4.2).
        if let Some(exts) = cert.tbs_certificate().extensions() {
            for (i, e) in exts.iter().enumerate() {
                if exts
                    .iter()
                    .skip(i.saturating_add(1))
                    .any(|o| o.extn_id == e.extn_id)
                {
                    return Err(Error::MalformedExtension {
                        cert: at,
                        oid: e.extn_id.to_string(),
                    });
                }
            }
        }
        let basic_constraints = ext::<BasicConstraints>(&cert, at)?;
        let key_usage = ext::<KeyUsage>(&cert, at)?;
        let eku = ext::<ExtendedKeyUsage>(&cert, at)?;
        let aki = ext::<AuthorityKeyIdentifier>(&cert, at)?;
        let ski = ext::<SubjectKeyIdentifier>(&cert, at)?;
        let name_constraints = ext::<NameConstraints>(&cert, at)?;
        let policy_constraints = ext::<PolicyConstraints>(&cert, at)?;
        let san = ext::<SubjectAltName>(&cert, at)?;
        // Decoded only to refuse malformed values.
        ext::<AuthorityInfoAccessSyntax>(&cert, at)?;
        ext::<CrlDistributionPoints>(&cert, at)?;
        ext::<CertificatePolicies>(&cert, at)?;
        let validity = cert.tbs_certificate().validity();
        let not_before = unix(validity.not_before);
        let not_after = unix(validity.not_after);
        Ok(Self {
            at,
            not_before,
            not_after,
            basic_constraints,
            key_usage,
            eku,
            aki,
            ski,
            name_constraints,
            policy_constraints,
            san,
            cert,
        })
    }

    /// BasicConstraints `cA` is TRUE.
    pub(crate) fn is_ca(&self) -> bool {
        self.basic_constraints.as_ref().is_some_and(|(_, bc)| bc.ca)
    }

    /// Subject and issuer are the same name.
    pub(crate) fn is_self_issued(&self) -> bool {
        self.cert.tbs_certificate().subject() == self.cert.tbs_certificate().issuer()
    }

    /// The first critical extension outside [`UNDERSTOOD_CRITICAL`].
    pub(crate) fn unknown_critical_extension(&self) -> Option<ObjectIdentifier> {
        self.cert
            .tbs_certificate()
            .extensions()?
            .iter()
            .find(|e| e.critical && !UNDERSTOOD_CRITICAL.contains(&e.extn_id))
            .map(|e| e.extn_id)
    }
}
