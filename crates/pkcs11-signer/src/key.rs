//! Keys on the token: how a key is named ([`KeyRef`]), what each algorithm needs from the token,
//! and the public key read back as a JWK.

use cryptoki::mechanism::MechanismType;
use cryptoki::object::{Attribute, KeyType};
use jose_core::{Algorithm, EcCurve, PublicKey};

use crate::error::Pkcs11Error;

/// How a key is found on the token: by `CKA_LABEL` or by `CKA_ID`. The private and the public
/// key object of a pair must both carry it.
#[derive(Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyRef {
    /// The `CKA_ID` bytes.
    Id(Vec<u8>),
    /// The `CKA_LABEL` text.
    Label(String),
}

impl KeyRef {
    /// A key by label.
    #[must_use]
    pub fn label(label: impl Into<String>) -> Self {
        Self::Label(label.into())
    }

    /// The template attribute that selects this key.
    pub(crate) fn attribute(&self) -> Attribute {
        match self {
            Self::Id(id) => Attribute::Id(id.clone()),
            Self::Label(label) => Attribute::Label(label.as_bytes().to_vec()),
        }
    }
}

impl core::fmt::Display for KeyRef {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Id(id) => {
                f.write_str("with id ")?;
                for byte in id {
                    write!(f, "{byte:02x}")?;
                }
                Ok(())
            }
            Self::Label(label) => write!(f, "labelled {label:?}"),
        }
    }
}

impl core::fmt::Debug for KeyRef {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "KeyRef({self})")
    }
}

/// `CKA_EC_PARAMS` of P-256: the DER OID 1.2.840.10045.3.1.7 (RFC 5480 §2.1.1.1).
const P256_PARAMS: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
/// `CKA_EC_PARAMS` of P-384: the DER OID 1.3.132.0.34 (RFC 5480 §2.1.1.1).
const P384_PARAMS: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22];
/// `CKA_EC_PARAMS` of Ed25519: the DER OID 1.3.101.112 (RFC 8410 §3), which we generate with.
const ED25519_OID_PARAMS: &[u8] = &[0x06, 0x03, 0x2b, 0x65, 0x70];
/// `CKA_EC_PARAMS` of Ed25519 as PKCS#11 3.0 §2.3.10 also allows: PrintableString
/// `edwards25519`.
const ED25519_NAME_PARAMS: &[u8] = b"\x13\x0cedwards25519";

/// What one algorithm needs from the token.
#[derive(Clone, Copy, Debug)]
pub(crate) struct AlgSpec {
    pub(crate) alg: Algorithm,
    pub(crate) key_type: KeyType,
    pub(crate) sign_mechanism: MechanismType,
    pub(crate) sign_mechanism_name: &'static str,
    pub(crate) gen_mechanism: MechanismType,
    pub(crate) gen_mechanism_name: &'static str,
    /// The EC parameters we generate with.
    pub(crate) params: &'static [u8],
    /// `None` for Ed25519.
    pub(crate) curve: Option<EcCurve>,
    /// The length of a signature: 2 × the field size.
    pub(crate) signature_len: usize,
}

impl AlgSpec {
    /// The spec of `alg`.
    ///
    /// # Errors
    /// [`Pkcs11Error::AlgorithmUnsupported`] for anything but ES256, ES384 and EdDSA.
    pub(crate) fn of(alg: Algorithm) -> Result<Self, Pkcs11Error> {
        let ec = |curve: EcCurve, params| Self {
            alg,
            key_type: KeyType::EC,
            sign_mechanism: MechanismType::ECDSA,
            sign_mechanism_name: "CKM_ECDSA",
            gen_mechanism: MechanismType::ECC_KEY_PAIR_GEN,
            gen_mechanism_name: "CKM_EC_KEY_PAIR_GEN",
            params,
            curve: Some(curve),
            signature_len: curve.coordinate_len().saturating_mul(2),
        };
        match alg {
            Algorithm::Es256 => Ok(ec(EcCurve::P256, P256_PARAMS)),
            Algorithm::Es384 => Ok(ec(EcCurve::P384, P384_PARAMS)),
            Algorithm::EdDsa => Ok(Self {
                alg,
                key_type: KeyType::EC_EDWARDS,
                sign_mechanism: MechanismType::EDDSA,
                sign_mechanism_name: "CKM_EDDSA",
                gen_mechanism: MechanismType::ECC_EDWARDS_KEY_PAIR_GEN,
                gen_mechanism_name: "CKM_EC_EDWARDS_KEY_PAIR_GEN",
                params: ED25519_OID_PARAMS,
                curve: None,
                signature_len: 64,
            }),
            _ => Err(Pkcs11Error::AlgorithmUnsupported { alg }),
        }
    }

    /// Whether `params` (a key's `CKA_EC_PARAMS`) name this algorithm's curve.
    pub(crate) fn params_match(&self, params: &[u8]) -> bool {
        params == self.params || (self.curve.is_none() && params == ED25519_NAME_PARAMS)
    }

    /// The public key from a `CKA_EC_POINT` value: a DER OCTET STRING around the uncompressed
    /// SEC1 point (PKCS#11 2.40 §2.3.3) or, for Ed25519, around the 32 key bytes (PKCS#11 3.0
    /// §2.3.6); the unwrapped forms some tokens return are accepted too. The two forms differ
    /// in length, so the length decides.
    ///
    /// # Errors
    /// The reason, when the value has neither form.
    pub(crate) fn public_key(&self, ec_point: &[u8]) -> Result<PublicKey, &'static str> {
        let raw_len = match self.curve {
            Some(curve) => curve.coordinate_len().saturating_mul(2).saturating_add(1),
            None => 32,
        };
        let raw = if ec_point.len() == raw_len {
            ec_point
        } else {
            unwrap_octet_string(ec_point, raw_len)
                .ok_or("CKA_EC_POINT is neither the point nor a DER OCTET STRING holding it")?
        };
        match self.curve {
            Some(curve) => PublicKey::from_ec_point(curve, raw)
                .map_err(|_| "CKA_EC_POINT is not an uncompressed point on the curve"),
            None => {
                let x: [u8; 32] = raw.try_into().map_err(|_| "Ed25519 key is not 32 bytes")?;
                Ok(PublicKey::Ed25519 { x })
            }
        }
    }
}

/// The contents of a DER OCTET STRING of exactly `len` content bytes, with nothing after it.
fn unwrap_octet_string(der: &[u8], len: usize) -> Option<&[u8]> {
    use der::Decode as _;
    let octets = <&der::asn1::OctetStringRef>::from_der(der).ok()?;
    let body = octets.as_bytes();
    (body.len() == len).then_some(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ec_point_forms() {
        let spec = AlgSpec::of(Algorithm::Es256).unwrap();
        let mut point = vec![4u8];
        point.extend([7u8; 64]);
        let mut wrapped = vec![0x04, 65];
        wrapped.extend(&point);
        let expected = PublicKey::from_ec_point(EcCurve::P256, &point).unwrap();
        assert_eq!(spec.public_key(&point), Ok(expected.clone()));
        assert_eq!(spec.public_key(&wrapped), Ok(expected));
        wrapped.push(0);
        assert!(spec.public_key(&wrapped).is_err());
        assert!(spec.public_key(&point[..64]).is_err());

        let ed = AlgSpec::of(Algorithm::EdDsa).unwrap();
        let mut wrapped = vec![0x04, 32];
        wrapped.extend([9u8; 32]);
        assert_eq!(
            ed.public_key(&wrapped),
            Ok(PublicKey::Ed25519 { x: [9; 32] })
        );
        assert_eq!(
            ed.public_key(&[9; 32]),
            Ok(PublicKey::Ed25519 { x: [9; 32] })
        );
        assert!(ed.params_match(ED25519_NAME_PARAMS));
        assert!(!spec.params_match(ED25519_NAME_PARAMS));
    }

    #[test]
    fn key_ref_display() {
        assert_eq!(KeyRef::Id(vec![0xab, 1]).to_string(), "with id ab01");
        assert_eq!(KeyRef::label("k").to_string(), "labelled \"k\"");
        assert!(matches!(
            AlgSpec::of(Algorithm::Rs256),
            Err(Pkcs11Error::AlgorithmUnsupported {
                alg: Algorithm::Rs256
            })
        ));
    }
}
