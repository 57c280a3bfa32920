//! The COSE boundary (RFC 9052, RFC 9360): `issuerAuth` as COSE_Sign1 and the device key as
//! COSE_Key. Received structures are decoded through `coset`; `issuerAuth` is written directly
//! (it has a fixed shape, and issuance is on the hot path).

use coset::cbor::Value;
use coset::iana::{self, EnumI64 as _};
use coset::{
    CborSerializable as _, CoseError, CoseKey, CoseKeyBuilder, CoseSign1, KeyType, Label,
    RegisteredLabelWithPrivate, TaggedCborSerializable as _,
};
use jose_core::{Algorithm, EcCurve, PublicKey};

use crate::cbor::Writer;
use crate::error::Error;

/// COSE header label of `x5chain` (RFC 9360 §2).
pub const X5CHAIN_LABEL: i64 = 33;

/// COSE_Key parameter labels (RFC 9053 §7.1, §7.2).
const KEY_CRV: i64 = -1;
const KEY_X: i64 = -2;
const KEY_Y: i64 = -3;

/// The algorithms ISO 18013-5 §9.1.3.6 allows for `issuerAuth`.
pub const ISSUER_AUTH_ALGORITHMS: &[Algorithm] = &[
    Algorithm::Es256,
    Algorithm::Es384,
    Algorithm::Es512,
    Algorithm::EdDsa,
];

/// The `issuerAuth` algorithm with this COSE identifier: jose-core's one table
/// ([`Algorithm::from_cose_id`], which maps the fully specified ESP256/ESP384/ESP512 and Ed25519
/// identifiers of RFC 9864 too), restricted to [`ISSUER_AUTH_ALGORITHMS`].
pub(crate) fn algorithm_from_cose(id: i64) -> Option<Algorithm> {
    Algorithm::from_cose_id(id).filter(|alg| ISSUER_AUTH_ALGORITHMS.contains(alg))
}

fn cose_error(error: &CoseError) -> Error {
    Error::InvalidCose {
        reason: match error {
            CoseError::DuplicateMapKey => "duplicate header label",
            CoseError::ExtraneousData => "trailing data",
            CoseError::OutOfRangeIntegerValue => "integer out of range",
            CoseError::UnexpectedItem(..) => "unexpected CBOR item",
            CoseError::UnregisteredIanaValue | CoseError::UnregisteredIanaNonPrivateValue => {
                "unregistered IANA value"
            }
            _ => "malformed CBOR",
        },
    }
}

/// The encoded protected header of `issuerAuth`: `{1: alg}` (RFC 9052 §3.1).
///
/// # Errors
/// [`Error::UnsupportedAlgorithm`] for an algorithm ISO 18013-5 does not allow.
pub(crate) fn protected_header(alg: Algorithm) -> Result<Vec<u8>, Error> {
    let id = alg.cose_id();
    if !ISSUER_AUTH_ALGORITHMS.contains(&alg) {
        return Err(Error::UnsupportedAlgorithm { cose_id: Some(id) });
    }
    let mut w = Writer::with_capacity(4);
    w.map(1).uint(1);
    write_int(&mut w, id);
    Ok(w.into_bytes())
}

/// Writes the unprotected header of `issuerAuth`: `x5chain` under label 33 (one certificate
/// as a bstr, several as an array of bstr, RFC 9360 §2), or an empty map without a chain.
pub(crate) fn write_unprotected(w: &mut Writer, x5chain: &[Vec<u8>]) {
    match x5chain {
        [] => {
            w.map(0);
        }
        [single] => {
            w.map(1);
            write_int(w, X5CHAIN_LABEL);
            w.bytes(single);
        }
        many => {
            w.map(1);
            write_int(w, X5CHAIN_LABEL);
            w.array(many.len());
            for cert in many {
                w.bytes(cert);
            }
        }
    }
}

/// The `Sig_structure` of a COSE_Sign1 without external AAD (RFC 9052 §4.4):
/// `["Signature1", protected, h'', payload]`.
pub(crate) fn sig_structure(protected: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut w = Writer::with_capacity(
        payload
            .len()
            .saturating_add(protected.len())
            .saturating_add(24),
    );
    w.array(4)
        .text("Signature1")
        .bytes(protected)
        .bytes(&[])
        .bytes(payload);
    w.into_bytes()
}

/// Writes a CBOR integer.
fn write_int(w: &mut Writer, value: i64) {
    match u64::try_from(value) {
        Ok(unsigned) => w.uint(unsigned),
        // CBOR major type 1 carries -1 - value = |value| - 1 (RFC 8949 §3.1).
        Err(_) => w.negative(value.unsigned_abs().saturating_sub(1)),
    };
}

/// A received COSE_Sign1, reduced to what verification needs.
#[derive(Debug)]
pub(crate) struct ReceivedSign1 {
    pub(crate) alg: Algorithm,
    pub(crate) x5chain: Vec<Vec<u8>>,
    pub(crate) payload: Vec<u8>,
    /// `Sig_structure` over the protected header bytes as received.
    pub(crate) to_be_signed: Vec<u8>,
    pub(crate) signature: Vec<u8>,
}

impl ReceivedSign1 {
    /// Parses the exact received bytes of `issuerAuth` (untagged, or tagged 18).
    pub(crate) fn parse(raw: &[u8], max_x5chain_len: usize) -> Result<Self, Error> {
        let sign1 = if raw.first() == Some(&0xd2) {
            CoseSign1::from_tagged_slice(raw)
        } else {
            CoseSign1::from_slice(raw)
        }
        .map_err(|e| cose_error(&e))?;
        let protected = &sign1.protected.header;
        if !protected.crit.is_empty() || !sign1.unprotected.crit.is_empty() {
            return Err(Error::CriticalHeader);
        }
        let cose_id = match &protected.alg {
            None | Some(RegisteredLabelWithPrivate::Text(_)) => None,
            Some(RegisteredLabelWithPrivate::Assigned(a)) => Some(a.to_i64()),
            Some(RegisteredLabelWithPrivate::PrivateUse(id)) => Some(*id),
        };
        let alg = cose_id
            .and_then(algorithm_from_cose)
            .ok_or(Error::UnsupportedAlgorithm { cose_id })?;
        let chain_value = find_label(&sign1.unprotected.rest, X5CHAIN_LABEL)
            .or_else(|| find_label(&protected.rest, X5CHAIN_LABEL));
        let x5chain = match chain_value {
            None => Vec::new(),
            Some(value) => x5chain_from_value(value, max_x5chain_len)?,
        };
        let to_be_signed = sign1.tbs_data(b"");
        let payload = sign1.payload.ok_or(Error::InvalidCose {
            reason: "detached payload",
        })?;
        Ok(Self {
            alg,
            x5chain,
            payload,
            to_be_signed,
            signature: sign1.signature,
        })
    }
}

fn find_label(rest: &[(Label, Value)], label: i64) -> Option<&Value> {
    rest.iter()
        .find(|(l, _)| *l == Label::Int(label))
        .map(|(_, v)| v)
}

fn x5chain_from_value(value: &Value, max: usize) -> Result<Vec<Vec<u8>>, Error> {
    let bad = Error::InvalidCose {
        reason: "x5chain is not a bstr or a non-empty array of bstr",
    };
    match value {
        Value::Bytes(cert) => Ok(vec![cert.clone()]),
        Value::Array(items) if items.is_empty() => Err(bad),
        Value::Array(items) if items.len() > max => Err(Error::TooMany {
            what: "x5chain certificates",
            count: crate::cbor::len_u64(items.len()),
            max,
        }),
        Value::Array(items) => items
            .iter()
            .map(|item| item.as_bytes().cloned().ok_or_else(|| bad.clone()))
            .collect(),
        _ => Err(bad),
    }
}

/// Encodes a public key as a COSE_Key: EC2 `{1:2, -1:crv, -2:x, -3:y}` or OKP
/// `{1:1, -1:6, -2:x}` (RFC 9053 §7.1–7.2).
pub(crate) fn cose_key_from_public(key: &PublicKey) -> Result<Vec<u8>, Error> {
    let cose = match key {
        PublicKey::Ec { curve, point } => {
            let (crv, len) = match curve {
                EcCurve::P256 => (iana::EllipticCurve::P_256, 32),
                EcCurve::P384 => (iana::EllipticCurve::P_384, 48),
                EcCurve::P521 => (iana::EllipticCurve::P_521, 66),
                _ => {
                    return Err(Error::InvalidDeviceKey {
                        reason: "unsupported curve",
                    });
                }
            };
            let x = point.get(1..=len);
            let y = point.get(len.saturating_add(1)..);
            let (Some(x), Some(y)) = (x, y) else {
                return Err(Error::InvalidDeviceKey {
                    reason: "malformed EC point",
                });
            };
            CoseKeyBuilder::new_ec2_pub_key(crv, x.to_vec(), y.to_vec()).build()
        }
        PublicKey::Ed25519 { x } => CoseKeyBuilder::new_okp_key()
            .param(KEY_CRV, Value::from(iana::EllipticCurve::Ed25519.to_i64()))
            .param(KEY_X, Value::Bytes(x.to_vec()))
            .build(),
        _ => {
            return Err(Error::InvalidDeviceKey {
                reason: "only EC2 and OKP keys can be device keys",
            });
        }
    };
    cose.to_vec().map_err(|e| cose_error(&e))
}

/// Decodes a COSE_Key (EC2 P-256/384/521 with both coordinates, or OKP Ed25519).
pub(crate) fn public_from_cose_key(raw: &[u8]) -> Result<PublicKey, Error> {
    let bad = |reason| Error::InvalidDeviceKey { reason };
    let key = CoseKey::from_slice(raw).map_err(|_| bad("not a COSE_Key"))?;
    let param = |label: i64| {
        key.params
            .iter()
            .find(|(l, _)| *l == Label::Int(label))
            .map(|(_, v)| v)
    };
    let crv = param(KEY_CRV)
        .and_then(|v| v.as_integer())
        .and_then(|i| i64::try_from(i).ok())
        .ok_or_else(|| bad("missing or invalid crv"))?;
    let x = param(KEY_X)
        .and_then(Value::as_bytes)
        .ok_or_else(|| bad("missing x"))?;
    if key.kty == KeyType::Assigned(iana::KeyType::EC2) {
        let curve = match iana::EllipticCurve::from_i64(crv) {
            Some(iana::EllipticCurve::P_256) => EcCurve::P256,
            Some(iana::EllipticCurve::P_384) => EcCurve::P384,
            Some(iana::EllipticCurve::P_521) => EcCurve::P521,
            _ => return Err(bad("unsupported EC2 curve")),
        };
        let y = param(KEY_Y)
            .and_then(Value::as_bytes)
            .ok_or_else(|| bad("missing y or compressed point"))?;
        let mut point = Vec::with_capacity(x.len().saturating_add(y.len()).saturating_add(1));
        point.push(4);
        point.extend_from_slice(x);
        point.extend_from_slice(y);
        PublicKey::from_ec_point(curve, &point)
            .map_err(|_| bad("EC coordinates have the wrong length"))
    } else if key.kty == KeyType::Assigned(iana::KeyType::OKP) {
        if crv != iana::EllipticCurve::Ed25519.to_i64() {
            return Err(bad("unsupported OKP curve"));
        }
        let x: [u8; 32] = x
            .as_slice()
            .try_into()
            .map_err(|_| bad("Ed25519 key is not 32 bytes"))?;
        Ok(PublicKey::Ed25519 { x })
    } else {
        Err(bad("unsupported key type"))
    }
}

#[cfg(test)]
mod tests {
    use coset::{CoseSign1Builder, HeaderBuilder};

    use super::*;

    /// The hand-written `issuerAuth` encoding equals coset's for every x5chain shape and
    /// algorithm, and so does the `Sig_structure`.
    #[test]
    fn issuer_auth_encoding_matches_coset() {
        let payload = vec![0xd8, 0x18, 0x43, 0xa1, 0x01, 0x02];
        let chains = [
            vec![],
            vec![vec![0x30; 300]],
            vec![vec![1; 20], vec![2; 70_000]],
        ];
        for alg in [
            Algorithm::Es256,
            Algorithm::Es384,
            Algorithm::Es512,
            Algorithm::EdDsa,
        ] {
            for chain in &chains {
                let protected = protected_header(alg).unwrap();
                let mut w = Writer::new();
                w.array(4).bytes(&protected);
                write_unprotected(&mut w, chain);
                w.bytes(&payload).bytes(&[9; 64]);

                let mut unprotected = HeaderBuilder::new();
                match chain.as_slice() {
                    [] => {}
                    [one] => unprotected = unprotected.value(X5CHAIN_LABEL, one.clone().into()),
                    many => {
                        let certs = many.iter().map(|c| c.clone().into()).collect();
                        unprotected = unprotected.value(X5CHAIN_LABEL, Value::Array(certs));
                    }
                }
                let cose_alg = iana::Algorithm::from_i64(alg.cose_id()).unwrap();
                let reference = CoseSign1Builder::new()
                    .protected(HeaderBuilder::new().algorithm(cose_alg).build())
                    .unprotected(unprotected.build())
                    .payload(payload.clone())
                    .signature(vec![9; 64])
                    .build();
                assert_eq!(w.into_bytes(), reference.clone().to_vec().unwrap(), "{alg}");
                assert_eq!(
                    sig_structure(&protected, &payload),
                    reference.tbs_data(b""),
                    "{alg}"
                );
            }
        }
    }

    /// mdoc and jose-core (and so the status-list CWT, which maps through jose-core directly)
    /// agree on every COSE identifier; mdoc only narrows to the ISO 18013-5 algorithms.
    #[test]
    fn cose_ids_come_from_the_jose_core_table() {
        for id in -300..=300 {
            let expected = Algorithm::from_cose_id(id)
                .filter(|alg| !matches!(alg, Algorithm::Ps256 | Algorithm::Rs256));
            assert_eq!(algorithm_from_cose(id), expected, "COSE id {id}");
        }
        assert_eq!(algorithm_from_cose(-9), Some(Algorithm::Es256));
        assert_eq!(algorithm_from_cose(-51), Some(Algorithm::Es384));
        assert_eq!(algorithm_from_cose(-52), Some(Algorithm::Es512));
        assert_eq!(algorithm_from_cose(-19), Some(Algorithm::EdDsa));
        assert_eq!(algorithm_from_cose(-37), None);
    }

    #[test]
    fn unsupported_algorithms_are_refused() {
        assert_eq!(
            protected_header(Algorithm::Ps256),
            Err(Error::UnsupportedAlgorithm {
                cose_id: Some(Algorithm::Ps256.cose_id())
            })
        );
    }
}
