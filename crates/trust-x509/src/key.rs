//! Public keys of certificates, as `jose_core` keys, and the supported algorithm set.

use der::asn1::{ObjectIdentifier, UintRef};
use der::{Decode, Sequence};
use jose_core::{EcCurve, PublicKey};
use rustls_pki_types::SignatureVerificationAlgorithm;
use x509_cert::Certificate;
use x509_cert::SubjectPublicKeyInfo as SubjectPublicKeyInfoOwned;

use crate::cert::parse_certificate;
use crate::error::{CertRef, Error};
use crate::limits::{MAX_RSA_BITS, MIN_RSA_BITS};

const ID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const SECP384R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const SECP521R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");
const ID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

// The crypto provider of the build (see `jose_core::crypto`): rustls-webpki's ring algorithms,
// or its aws-lc-rs ones when the `aws-lc-rs` feature is on. Both sets cover the same algorithms.
#[cfg(feature = "aws-lc-rs")]
use webpki::aws_lc_rs as provider;
#[cfg(not(feature = "aws-lc-rs"))]
use webpki::ring as provider;

/// Certificate signature algorithms we accept, as passed to rustls-webpki: ECDSA on P-256 or
/// P-384 with SHA-256 or SHA-384 (RFC 5758 §3.2 ties no hash to a curve, and CAs do sign with
/// a P-384 key and SHA-256, the OpenID Foundation conformance suite's test CA among them; rustls
/// accepts the same four), Ed25519, RSA PKCS#1 v1.5 and RSA-PSS with SHA-256/384/512 and 2048
/// to 8192-bit keys; on the build's crypto provider (ring, or aws-lc-rs with the `aws-lc-rs`
/// feature).
pub(crate) static SUPPORTED_SIG_ALGS: &[&dyn SignatureVerificationAlgorithm] = &[
    provider::ECDSA_P256_SHA256,
    provider::ECDSA_P384_SHA384,
    provider::ECDSA_P384_SHA256,
    provider::ECDSA_P256_SHA384,
    provider::ED25519,
    provider::RSA_PKCS1_2048_8192_SHA256,
    provider::RSA_PKCS1_2048_8192_SHA384,
    provider::RSA_PKCS1_2048_8192_SHA512,
    provider::RSA_PKCS1_2048_8192_SHA256_ABSENT_PARAMS,
    provider::RSA_PKCS1_2048_8192_SHA384_ABSENT_PARAMS,
    provider::RSA_PKCS1_2048_8192_SHA512_ABSENT_PARAMS,
    provider::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
    provider::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
    provider::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
];

/// Signature algorithm OIDs (of `Certificate.signatureAlgorithm`) that [`SUPPORTED_SIG_ALGS`]
/// can verify.
const SUPPORTED_SIG_OIDS: &[ObjectIdentifier] = &[
    ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2"),
    ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3"),
    ID_ED25519,
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11"),
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12"),
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13"),
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10"),
];

/// Whether the certificate's signature algorithm OID is one we can verify.
pub(crate) fn signature_algorithm_supported(cert: &Certificate) -> bool {
    SUPPORTED_SIG_OIDS.contains(&cert.signature_algorithm().oid)
}

#[derive(Sequence)]
struct RsaPublicKey<'a> {
    modulus: UintRef<'a>,
    public_exponent: UintRef<'a>,
}

/// The public key of a certificate's SubjectPublicKeyInfo as a `jose_core` key, refusing key
/// types outside the supported set.
pub(crate) fn public_key_of(
    spki: &SubjectPublicKeyInfoOwned,
    cert: CertRef,
) -> Result<PublicKey, Error> {
    let unsupported = |algorithm: String| Error::UnsupportedAlgorithm { cert, algorithm };
    let oid = spki.algorithm.oid;
    let bits = spki.subject_public_key.as_bytes().ok_or(Error::Malformed {
        cert,
        position: None,
    })?;
    if oid == ID_EC_PUBLIC_KEY {
        let curve_oid = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.decode_as::<ObjectIdentifier>().ok())
            .ok_or_else(|| unsupported("EC key without a named curve".to_owned()))?;
        let curve = match curve_oid {
            c if c == SECP256R1 => EcCurve::P256,
            c if c == SECP384R1 => EcCurve::P384,
            c if c == SECP521R1 => EcCurve::P521,
            other => return Err(unsupported(format!("EC key on curve {other}"))),
        };
        PublicKey::from_ec_point(curve, bits)
            .map_err(|_| unsupported(format!("invalid or compressed {curve:?} point")))
    } else if oid == ID_ED25519 {
        if spki.algorithm.parameters.is_some() {
            return Err(Error::Malformed {
                cert,
                position: None,
            });
        }
        let x: [u8; 32] = bits.try_into().map_err(|_| Error::Malformed {
            cert,
            position: None,
        })?;
        Ok(PublicKey::Ed25519 { x })
    } else if oid == RSA_ENCRYPTION {
        let key = RsaPublicKey::from_der(bits).map_err(|_| Error::Malformed {
            cert,
            position: None,
        })?;
        let n = key.modulus.as_bytes();
        let n_bits = bit_len(n);
        if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&n_bits) || !n_bits.is_multiple_of(8) {
            return Err(unsupported(format!("RSA-{n_bits} key")));
        }
        Ok(PublicKey::Rsa {
            n: n.to_vec(),
            e: key.public_exponent.as_bytes().to_vec(),
        })
    } else {
        Err(unsupported(format!("public key algorithm {oid}")))
    }
}

/// Number of significant bits of a big-endian unsigned integer without leading zero bytes.
fn bit_len(n: &[u8]) -> usize {
    match n.split_first() {
        None => 0,
        Some((first, rest)) => {
            let top = usize::try_from(u8::BITS.saturating_sub(first.leading_zeros())).unwrap_or(0);
            rest.len().saturating_mul(8).saturating_add(top)
        }
    }
}

/// The public key of a DER certificate, **without any validation** of the certificate
/// (no signature, validity, issuer or profile check): for callers who pin a leaf certificate
/// and compare it by value.
///
/// The certificate must still be strict DER (no trailing data) and carry a supported key.
///
/// # Errors
/// [`Error::Malformed`] / [`Error::TrailingData`] for bad DER, [`Error::UnsupportedAlgorithm`]
/// for a key outside the supported set (EC P-256/P-384/P-521, Ed25519, RSA 2048 to 8192 bits).
pub fn leaf_public_key(der: &[u8]) -> Result<PublicKey, Error> {
    let cert = parse_certificate(der, CertRef::Chain(0), usize::MAX)?;
    public_key_of(
        cert.tbs_certificate().subject_public_key_info(),
        CertRef::Chain(0),
    )
}
