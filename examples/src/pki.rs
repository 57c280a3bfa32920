//! The demo PKI, generated at start with `rcgen`: a credential issuer CA, a Client Attester CA
//! and an mdoc IACA, each a self-signed root that issues one kind of leaf certificate.
//!
//! Every certificate passes `trust-x509`'s rules: roots have a critical BasicConstraints
//! (cA, pathLen 0), keyCertSign + cRLSign and a SubjectKeyIdentifier; leaves have an
//! AuthorityKeyIdentifier and a critical KeyUsage with digitalSignature only. Every serial
//! number is 16 random bytes (positive, non-sequential; RFC 5280 §4.1.2.2 and ISO 18013-5
//! Annex B ask for at least 63 random bits), so a certificate issued again for the same key
//! (at every start, on every instance) never repeats one.
//!
//! The Document Signer follows the ISO 18013-5 Annex B.1.4 profile: the critical EKU
//! `1.0.18013.5.1.2`, no BasicConstraints, a SubjectKeyIdentifier (SHA-1 of the key, RFC 5280
//! §4.2.1.2 method 1), the IACA's country, and the ISO validity limits (IACA ten years here, at
//! most twenty; DS 450 days, at most 457). It carries no issuerAltName and no CRL distribution
//! point: the demo publishes no CRL, and a point to a CRL nobody serves would fail a reader
//! that checks revocation. Roots start a day before `now` so that small clock differences do
//! not matter.
//!
//! Nothing here is for production: real CAs keep their keys in an HSM and certificates are
//! issued once, not at every start.

use der::Encode as _;
use der::asn1::{ObjectIdentifier, OctetString};
use jose_core::{EcCurve, PublicJwk, PublicKey, RandomSource, SystemRandom, UnixTime};
use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DistinguishedName, DnType, DnValue, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, PublicKeyData, SanType, SerialNumber, SignatureAlgorithm,
};

use crate::error::DemoError;

/// The country of every demo certificate (`C`), and so of the demo mDL.
pub const DEMO_COUNTRY: &str = "DE";
/// `id-ce-extKeyUsage` (RFC 5280 §4.2.1.12).
const EXT_KEY_USAGE: &[u64] = &[2, 5, 29, 37];
/// `id-ce-subjectKeyIdentifier` (RFC 5280 §4.2.1.2).
const SUBJECT_KEY_IDENTIFIER: &[u64] = &[2, 5, 29, 14];
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
    DocumentSigner,
}

/// A demo certificate authority: a self-signed root and its key.
pub struct DemoCa {
    issuer: Issuer<'static, KeyPair>,
    name: String,
    root_der: Vec<u8>,
    root_pem: String,
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

/// The Document Signer's extensions beyond rcgen's own (ISO 18013-5 Annex B.1.4): the
/// critical EKU and, since the profile has no BasicConstraints (which rcgen writes with the
/// SubjectKeyIdentifier), the SubjectKeyIdentifier.
fn document_signer_extensions(subject: &SubjectKey) -> Result<Vec<CustomExtension>, DemoError> {
    let encoding = |e: der::Error| DemoError::Config(format!("Document Signer extension: {e}"));
    let eku = ObjectIdentifier::from_bytes(trust_x509::KeyPurpose::MDOC_DS.as_der_contents())
        .map_err(|e| DemoError::Config(format!("Document Signer EKU: {e}")))?;
    let eku = x509_cert::ext::pkix::ExtendedKeyUsage(vec![eku])
        .to_der()
        .map_err(encoding)?;
    let mut eku = CustomExtension::from_oid_content(EXT_KEY_USAGE, eku);
    eku.set_criticality(true);
    let key_id = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &subject.raw);
    let key_id = OctetString::new(key_id.as_ref())
        .and_then(|id| id.to_der())
        .map_err(encoding)?;
    Ok(vec![
        eku,
        CustomExtension::from_oid_content(SUBJECT_KEY_IDENTIFIER, key_id),
    ])
}

/// The parameters of a demo root named `common_name`, valid from a day before `now`.
fn root_params(common_name: &str, now: UnixTime) -> Result<CertificateParams, DemoError> {
    let mut params = CertificateParams::default();
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
        let key =
            KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(rcgen_error("CA key"))?;
        let params = root_params(common_name, now)?;
        let mut signed = params.clone();
        signed.serial_number = Some(random_serial()?);
        let root = signed.self_signed(&key).map_err(rcgen_error("CA root"))?;
        Ok(Self {
            issuer: Issuer::new(params, key),
            name: common_name.to_owned(),
            root_der: root.der().to_vec(),
            root_pem: root.pem(),
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
        // Only the subject and the key matter for issuing; the validity is the root's own.
        let params = root_params(common_name, UnixTime::from_secs(0))?;
        Ok(Self {
            issuer: Issuer::new(params, key),
            name: common_name.to_owned(),
            root_der,
            root_pem: root_pem.to_owned(),
        })
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
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.use_authority_key_identifier_extension = true;
        match kind {
            LeafKind::CredentialIssuer { issuer } => {
                let uri = issuer
                    .clone()
                    .try_into()
                    .map_err(rcgen_error("issuer identifier as a SAN URI"))?;
                params.subject_alt_names = vec![SanType::URI(uri)];
            }
            LeafKind::Attester => {}
            LeafKind::DocumentSigner => {
                params.is_ca = IsCa::NoCa;
                params.custom_extensions = document_signer_extensions(&subject)?;
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
