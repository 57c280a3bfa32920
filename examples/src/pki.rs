//! The demo PKI, generated at start with `rcgen`: a credential issuer CA, a Client Attester CA
//! and an mdoc IACA, each a self-signed root that issues one kind of leaf certificate.
//!
//! Every certificate passes `trust-x509`'s rules: roots have a critical BasicConstraints
//! (cA, pathLen 0), keyCertSign + cRLSign and a SubjectKeyIdentifier; leaves have an
//! AuthorityKeyIdentifier, a SubjectKeyIdentifier (the SHA-1 of the key, RFC 5280 §4.2.1.2
//! method 1), a critical KeyUsage with digitalSignature only and no BasicConstraints (an end
//! entity may omit it, RFC 5280 §4.2.1.9; rcgen would spell out its DEFAULT `cA FALSE`,
//! which is not DER and which strict parsers refuse). Every serial number is 16 random bytes
//! (positive, non-sequential; RFC 5280 §4.1.2.2 and ISO 18013-5 Annex B ask for at least 63
//! random bits), so a certificate issued again for the same key (at every start, on every
//! instance) never repeats one.
//!
//! The Document Signer follows the ISO 18013-5 Annex B.1.4 profile: the critical EKU
//! `1.0.18013.5.1.2`, no BasicConstraints, the SubjectKeyIdentifier above, the IACA's country,
//! and the ISO validity limits (IACA ten years here, at most twenty; DS 450 days, at most
//! 457). The IACA (Annex B.1.2) and the Document Signer both carry the issuerAltName (a URI:
//! the issuer URL the IACA was made for; the Document Signer copies the IACA's) and a CRL
//! distribution point, `{issuer URL}/iaca.crl`, where the issuer serves the IACA's CRL
//! ([`DemoCa::crl`]: empty, as the demo revokes no certificate). Every root's
//! SubjectKeyIdentifier is the SHA-1 of its key (method 1, as ISO asks of the IACA). Roots
//! start a day before `now` so that small clock differences do not matter.
//!
//! Nothing here is for production: real CAs keep their keys in an HSM and certificates are
//! issued once, not at every start.

use der::Encode as _;
use der::asn1::{ObjectIdentifier, OctetString};
use jose_core::{EcCurve, PublicJwk, PublicKey, RandomSource, SystemRandom, UnixTime};
use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, CrlDistributionPoint,
    CustomExtension, DistinguishedName, DnType, DnValue, IsCa, Issuer, KeyIdMethod, KeyPair,
    KeyUsagePurpose, PublicKeyData, SanType, SerialNumber, SignatureAlgorithm,
};

use crate::error::DemoError;

/// The country of every demo certificate (`C`), and so of the demo mDL.
pub const DEMO_COUNTRY: &str = "DE";
/// `id-ce-extKeyUsage` (RFC 5280 §4.2.1.12).
const EXT_KEY_USAGE: &[u64] = &[2, 5, 29, 37];
/// `id-ce-subjectKeyIdentifier` (RFC 5280 §4.2.1.2).
const SUBJECT_KEY_IDENTIFIER: &[u64] = &[2, 5, 29, 14];
/// `id-ce-issuerAltName` (RFC 5280 §4.2.1.7).
const ISSUER_ALT_NAME: &[u64] = &[2, 5, 29, 18];
/// Where the issuer serves the IACA's CRL, under its URL.
pub const IACA_CRL_PATH: &str = "/iaca.crl";
/// Random bytes in a serial number: 128 bits, more than the 63 that ISO 18013-5 asks for and
/// within RFC 5280's 20 octets.
const SERIAL_BYTES: usize = 16;
/// Lifetime of a demo root: ten years.
pub const ROOT_VALIDITY_DAYS: u64 = 3650;
/// Lifetime of a demo leaf (within ISO 18013-5's 457 days for a Document Signer).
pub const LEAF_VALIDITY_DAYS: u64 = 450;
const DAY: u64 = 86_400;

/// What a leaf certificate is for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LeafKind {
    /// Signs SD-JWT VCs and status list tokens; the SAN names the issuer identifier (a URI).
    CredentialIssuer {
        /// The credential issuer identifier.
        issuer: String,
    },
    /// Signs Client Attestations (the ABCA attester profile: not self-issued, no EKU).
    Attester,
    /// Signs mdoc `issuerAuth` (ISO 18013-5 Document Signer).
    DocumentSigner {
        /// The URL of the issuer that serves the IACA's CRL (at [`IACA_CRL_PATH`]).
        issuer: String,
    },
}

/// The URL of the IACA's CRL as served by the issuer at `issuer`.
#[must_use]
pub fn iaca_crl_url(issuer: &str) -> String {
    format!("{}{IACA_CRL_PATH}", issuer.trim_end_matches('/'))
}

/// A demo certificate authority: a self-signed root and its key.
pub struct DemoCa {
    issuer: Issuer<'static, KeyPair>,
    name: String,
    root_der: Vec<u8>,
    root_pem: String,
    /// The root's SubjectKeyIdentifier (the AuthorityKeyIdentifier of what it signs).
    key_id: Vec<u8>,
    /// The root's issuerAltName extension value (DER), which a Document Signer copies.
    alt_name: Option<Vec<u8>>,
}

impl core::fmt::Debug for DemoCa {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("DemoCa")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

fn rcgen_error(what: &str) -> impl Fn(rcgen::Error) -> DemoError + '_ {
    move |e| DemoError::Config(format!("{what}: {e}"))
}

fn time_of(t: UnixTime) -> Result<time::OffsetDateTime, DemoError> {
    time::OffsetDateTime::from_unix_timestamp(t.secs())
        .map_err(|e| DemoError::Config(format!("certificate time: {e}")))
}

fn name(common_name: &str) -> Result<DistinguishedName, DemoError> {
    let mut dn = DistinguishedName::new();
    // X.520: countryName is a PrintableString (rcgen writes UTF8String by default).
    let country = DEMO_COUNTRY
        .try_into()
        .map_err(rcgen_error("country name"))?;
    dn.push(DnType::CountryName, DnValue::PrintableString(country));
    dn.push(
        DnType::OrganizationName,
        "Demo Credential Issuer (not for production)",
    );
    dn.push(DnType::CommonName, common_name);
    Ok(dn)
}

/// A fresh serial number: [`SERIAL_BYTES`] random bytes, the first below `0x80` (so the
/// INTEGER is positive without a leading zero) and not zero (so it keeps its length).
fn random_serial() -> Result<SerialNumber, DemoError> {
    let mut bytes = [0u8; SERIAL_BYTES];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|e| DemoError::Config(format!("certificate serial number: {e}")))?;
    if let Some(first) = bytes.first_mut() {
        *first = (*first & 0x7f) | 0x01;
    }
    Ok(SerialNumber::from_slice(&bytes))
}

/// An issuerAltName extension value naming `uri`.
fn issuer_alt_name(uri: &str) -> Result<Vec<u8>, DemoError> {
    let encoding = |e: der::Error| DemoError::Config(format!("issuerAltName {uri:?}: {e}"));
    let uri = der::asn1::Ia5String::new(uri).map_err(encoding)?;
    x509_cert::ext::pkix::IssuerAltName(vec![
        x509_cert::ext::pkix::name::GeneralName::UniformResourceIdentifier(uri),
    ])
    .to_der()
    .map_err(encoding)
}

/// Method 1 of RFC 5280 §4.2.1.2: the SHA-1 of the subjectPublicKey bits.
fn sha1_key_id(raw_public_key: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, raw_public_key)
        .as_ref()
        .to_vec()
}

/// The value of the extension `oid` of `cert`, if it has one.
fn extension_value(cert: &x509_cert::Certificate, oid: &[u64]) -> Option<Vec<u8>> {
    let wanted = oid.iter().map(u64::to_string).collect::<Vec<_>>().join(".");
    cert.tbs_certificate()
        .extensions()?
        .iter()
        .find(|ext| ext.extn_id.to_string() == wanted)
        .map(|ext| ext.extn_value.as_bytes().to_vec())
}

/// The SubjectKeyIdentifier of a leaf: the SHA-1 of its key (RFC 5280 §4.2.1.2 method 1, as
/// ISO 18013-5 Annex B.1.4 asks of the Document Signer). rcgen writes one only along with a
/// BasicConstraints, which leaves do not carry.
fn subject_key_identifier(subject: &SubjectKey) -> Result<CustomExtension, DemoError> {
    let key_id = OctetString::new(sha1_key_id(&subject.raw))
        .and_then(|id| id.to_der())
        .map_err(|e| DemoError::Config(format!("SubjectKeyIdentifier: {e}")))?;
    Ok(CustomExtension::from_oid_content(
        SUBJECT_KEY_IDENTIFIER,
        key_id,
    ))
}

/// The Document Signer's critical ExtendedKeyUsage (ISO 18013-5 Annex B.1.4).
fn document_signer_eku() -> Result<CustomExtension, DemoError> {
    let eku = ObjectIdentifier::from_bytes(trust_x509::KeyPurpose::MDOC_DS.as_der_contents())
        .map_err(|e| DemoError::Config(format!("Document Signer EKU: {e}")))?;
    let eku = x509_cert::ext::pkix::ExtendedKeyUsage(vec![eku])
        .to_der()
        .map_err(|e| DemoError::Config(format!("Document Signer EKU: {e}")))?;
    let mut eku = CustomExtension::from_oid_content(EXT_KEY_USAGE, eku);
    eku.set_criticality(true);
    Ok(eku)
}

/// The parameters of a demo root named `common_name` whose key identifier is `key_id`, valid
/// from a day before `now`.
fn root_params(
    common_name: &str,
    key_id: Vec<u8>,
    now: UnixTime,
) -> Result<CertificateParams, DemoError> {
    let mut params = CertificateParams::default();
    params.key_identifier_method = KeyIdMethod::PreSpecified(key_id);
    params.distinguished_name = name(common_name)?;
    params.not_before = time_of(now.saturating_sub(DAY))?;
    params.not_after = time_of(now.saturating_add(ROOT_VALIDITY_DAYS.saturating_mul(DAY)))?;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    Ok(params)
}

impl DemoCa {
    /// A fresh P-256 root named `common_name`, valid from a day before `now` for
    /// [`ROOT_VALIDITY_DAYS`].
    ///
    /// # Errors
    /// [`DemoError::Config`] when key generation or signing fails.
    pub fn generate(common_name: &str, now: UnixTime) -> Result<Self, DemoError> {
        Self::generate_with(common_name, None, now)
    }

    /// A fresh IACA (ISO 18013-5 Annex B.1.2) named `common_name` for the issuer at `issuer`
    /// (a URL): as [`Self::generate`], with `issuer` as its issuerAltName and the CRL
    /// distribution point [`iaca_crl_url`].
    ///
    /// # Errors
    /// [`DemoError::Config`] when key generation or signing fails, or `issuer` is not ASCII.
    pub fn generate_iaca(
        common_name: &str,
        issuer: &str,
        now: UnixTime,
    ) -> Result<Self, DemoError> {
        Self::generate_with(common_name, Some(issuer), now)
    }

    fn generate_with(
        common_name: &str,
        iaca_of: Option<&str>,
        now: UnixTime,
    ) -> Result<Self, DemoError> {
        let key =
            KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(rcgen_error("CA key"))?;
        let key_id = sha1_key_id(key.public_key_raw());
        let params = root_params(common_name, key_id.clone(), now)?;
        let mut signed = params.clone();
        signed.serial_number = Some(random_serial()?);
        let alt_name = iaca_of.map(issuer_alt_name).transpose()?;
        if let (Some(issuer), Some(alt_name)) = (iaca_of, &alt_name) {
            signed.custom_extensions = vec![CustomExtension::from_oid_content(
                ISSUER_ALT_NAME,
                alt_name.clone(),
            )];
            signed.crl_distribution_points = vec![CrlDistributionPoint {
                uris: vec![iaca_crl_url(issuer)],
            }];
        }
        let root = signed.self_signed(&key).map_err(rcgen_error("CA root"))?;
        Ok(Self {
            issuer: Issuer::new(params, key),
            name: common_name.to_owned(),
            root_der: root.der().to_vec(),
            root_pem: root.pem(),
            key_id,
            alt_name,
        })
    }

    /// The CA `common_name` again, from its PKCS#8 key and its root (PEM) as
    /// [`Self::key_pkcs8`] and [`Self::root_pem`] gave them: the leaves it issues chain to
    /// the same root (same subject, same key identifier).
    ///
    /// # Errors
    /// [`DemoError::Config`] when the key or the PEM cannot be read, the PEM does not hold
    /// exactly one certificate, or the key is not the root's.
    pub fn restore(common_name: &str, key_pkcs8: &[u8], root_pem: &str) -> Result<Self, DemoError> {
        let key = KeyPair::try_from(key_pkcs8).map_err(rcgen_error("CA key"))?;
        let mut roots = trust_x509::pem_certificates(root_pem, &trust_x509::Limits::default())
            .map_err(|e| DemoError::Config(format!("{common_name} root: {e}")))?;
        let (Some(root_der), None) = (roots.pop(), roots.pop()) else {
            return Err(DemoError::Config(format!(
                "{common_name} root: not exactly one certificate"
            )));
        };
        let root = <x509_cert::Certificate as der::Decode>::from_der(&root_der)
            .map_err(|e| DemoError::Config(format!("{common_name} root: {e}")))?;
        let root_key = root
            .tbs_certificate()
            .subject_public_key_info()
            .subject_public_key
            .as_bytes();
        if root_key != Some(key.public_key_raw()) {
            return Err(DemoError::Config(format!(
                "{common_name}: the stored key is not the root certificate's key"
            )));
        }
        // The root's own key identifier (a root made before the SHA-1 identifiers keeps its
        // own, so what it signs still names it).
        let key_id = extension_value(&root, SUBJECT_KEY_IDENTIFIER)
            .and_then(|der| <OctetString as der::Decode>::from_der(&der).ok())
            .map_or_else(
                || sha1_key_id(key.public_key_raw()),
                |id| id.as_bytes().to_vec(),
            );
        let alt_name = extension_value(&root, ISSUER_ALT_NAME);
        // Only the subject and the key matter for issuing; the validity is the root's own.
        let params = root_params(common_name, key_id.clone(), UnixTime::from_secs(0))?;
        Ok(Self {
            issuer: Issuer::new(params, key),
            name: common_name.to_owned(),
            root_der,
            root_pem: root_pem.to_owned(),
            key_id,
            alt_name,
        })
    }

    /// The CA's CRL (DER), signed now: it lists no certificate (the demo revokes none), and
    /// its nextUpdate is [`LEAF_VALIDITY_DAYS`] away, the lifetime of what the CA issues (the
    /// issuer signs it again at every start, with a higher CRL number).
    ///
    /// # Errors
    /// [`DemoError::Config`] when signing fails.
    pub fn crl(&self, now: UnixTime) -> Result<Vec<u8>, DemoError> {
        let params = CertificateRevocationListParams {
            this_update: time_of(now)?,
            next_update: time_of(now.saturating_add(LEAF_VALIDITY_DAYS.saturating_mul(DAY)))?,
            // Increasing across starts (RFC 5280 §5.2.3).
            crl_number: SerialNumber::from(u64::try_from(now.secs()).unwrap_or(0)),
            issuing_distribution_point: None,
            revoked_certs: Vec::new(),
            key_identifier_method: KeyIdMethod::PreSpecified(self.key_id.clone()),
        };
        let crl = params.signed_by(&self.issuer).map_err(rcgen_error("CRL"))?;
        Ok(crl.der().to_vec())
    }

    /// The CA's private key as PKCS#8 DER (for the data directory; handle as a secret).
    #[must_use]
    pub fn key_pkcs8(&self) -> Vec<u8> {
        self.issuer.key().serialize_der()
    }

    /// The root certificate (DER).
    #[must_use]
    pub fn root_der(&self) -> &[u8] {
        &self.root_der
    }

    /// The root certificate (PEM), what `GET /admin/trust-anchors` serves.
    #[must_use]
    pub fn root_pem(&self) -> &str {
        &self.root_pem
    }

    /// The root's common name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Issues a leaf certificate of `kind` for `key`, valid from a day before `now` for
    /// [`LEAF_VALIDITY_DAYS`]. Returns the chain to put in `x5c` / `x5chain`: the leaf only,
    /// as the root is the verifier's trust anchor (HAIP).
    ///
    /// # Errors
    /// [`DemoError::Config`] for an RSA or P-521 key, or a signing failure.
    pub fn issue(
        &self,
        common_name: &str,
        key: &PublicJwk,
        kind: &LeafKind,
        now: UnixTime,
    ) -> Result<Vec<Vec<u8>>, DemoError> {
        let subject = SubjectKey::new(key.key())?;
        let mut params = CertificateParams::default();
        params.distinguished_name = name(common_name)?;
        params.not_before = time_of(now.saturating_sub(DAY))?;
        params.not_after = time_of(now.saturating_add(LEAF_VALIDITY_DAYS.saturating_mul(DAY)))?;
        params.serial_number = Some(random_serial()?);
        // Not `ExplicitNoCa`: its `cA FALSE` is a DEFAULT spelled out, not DER (X.690 §11.5).
        params.is_ca = IsCa::NoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.use_authority_key_identifier_extension = true;
        params.custom_extensions = vec![subject_key_identifier(&subject)?];
        match kind {
            LeafKind::CredentialIssuer { issuer } => {
                let uri = issuer
                    .clone()
                    .try_into()
                    .map_err(rcgen_error("issuer identifier as a SAN URI"))?;
                params.subject_alt_names = vec![SanType::URI(uri)];
            }
            LeafKind::Attester => {}
            LeafKind::DocumentSigner { issuer } => {
                params.custom_extensions.push(document_signer_eku()?);
                // The IACA's issuerAltName (Annex B.1.4), or the issuer's URL for an IACA made
                // before it carried one.
                let alt_name = match &self.alt_name {
                    Some(alt_name) => alt_name.clone(),
                    None => issuer_alt_name(issuer)?,
                };
                params
                    .custom_extensions
                    .push(CustomExtension::from_oid_content(ISSUER_ALT_NAME, alt_name));
                params.crl_distribution_points = vec![CrlDistributionPoint {
                    uris: vec![iaca_crl_url(issuer)],
                }];
            }
        }
        let leaf = params
            .signed_by(&subject, &self.issuer)
            .map_err(rcgen_error("leaf certificate"))?;
        Ok(vec![leaf.der().to_vec()])
    }
}

/// A public key we hold as a JWK, in the form rcgen writes into SubjectPublicKeyInfo.
struct SubjectKey {
    raw: Vec<u8>,
    algorithm: &'static SignatureAlgorithm,
}

impl SubjectKey {
    fn new(key: &PublicKey) -> Result<Self, DemoError> {
        let unsupported = || {
            DemoError::Config(
                "demo certificates are issued for P-256, P-384 and Ed25519 keys only \
                 (rcgen over ring cannot encode P-521)"
                    .into(),
            )
        };
        match key {
            PublicKey::Ec { curve, point } => {
                let algorithm = match curve {
                    EcCurve::P256 => &rcgen::PKCS_ECDSA_P256_SHA256,
                    EcCurve::P384 => &rcgen::PKCS_ECDSA_P384_SHA384,
                    _ => return Err(unsupported()),
                };
                Ok(Self {
                    raw: point.clone(),
                    algorithm,
                })
            }
            PublicKey::Ed25519 { x } => Ok(Self {
                raw: x.to_vec(),
                algorithm: &rcgen::PKCS_ED25519,
            }),
            _ => Err(unsupported()),
        }
    }
}

impl PublicKeyData for SubjectKey {
    fn der_bytes(&self) -> &[u8] {
        &self.raw
    }

    fn algorithm(&self) -> &'static SignatureAlgorithm {
        self.algorithm
    }
}
