//! The COSE boundary (RFC 9052, RFC 9360): `issuerAuth` as COSE_Sign1 and the device key as
//! COSE_Key, through `coset`. Everything else in this crate is plain CBOR.

use coset::cbor::Value;
use coset::iana::{self, EnumI64 as _};
use coset::{
    CborSerializable as _, CoseError, CoseKey, CoseKeyBuilder, CoseSign1, CoseSign1Builder,
    HeaderBuilder, KeyType, Label, RegisteredLabelWithPrivate, TaggedCborSerializable as _,
};
use jose_core::{Algorithm, EcCurve, PublicKey};

use crate::error::Error;

/// COSE header label of `x5chain` (RFC 9360 §2).
pub const X5CHAIN_LABEL: i64 = 33;

/// COSE_Key parameter labels (RFC 9053 §7.1, §7.2).
const KEY_CRV: i64 = -1;
const KEY_X: i64 = -2;
const KEY_Y: i64 = -3;

/// The algorithms ISO 18013-5 §9.1.3.6 allows for `issuerAuth`, by COSE identifier, including
/// the fully specified ESP256/ESP384/ESP512 and Ed25519 identifiers (RFC 9864).
pub(crate) fn algorithm_from_cose(id: i64) -> Option<Algorithm> {
    match id {
        -7 | -9 => Some(Algorithm::Es256),
        -35 | -51 => Some(Algorithm::Es384),
        -36 | -52 => Some(Algorithm::Es512),
        -8 | -19 => Some(Algorithm::EdDsa),
        _ => None,
    }
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

/// An unsigned COSE_Sign1 and its `Sig_structure`.
#[derive(Debug)]
pub(crate) struct UnsignedSign1 {
    /// The encoded COSE_Sign1 without its last element (the signature bstr).
    without_signature: Vec<u8>,
    to_be_signed: Vec<u8>,
}

impl UnsignedSign1 {
    /// `alg` in the protected header, `x5chain` (a bstr for one certificate, else an array) in
    /// the unprotected header, `payload` attached, no external AAD.
    pub(crate) fn new(
        alg: Algorithm,
        x5chain: &[Vec<u8>],
        payload: Vec<u8>,
    ) -> Result<Self, Error> {
        let cose_alg = iana::Algorithm::from_i64(alg.cose_id())
            .filter(|_| algorithm_from_cose(alg.cose_id()).is_some())
            .ok_or(Error::UnsupportedAlgorithm {
                cose_id: Some(alg.cose_id()),
            })?;
        let protected = HeaderBuilder::new().algorithm(cose_alg).build();
        let mut unprotected = HeaderBuilder::new();
        match x5chain {
            [] => {}
            [single] => unprotected = unprotected.value(X5CHAIN_LABEL, single.clone().into()),
            many => {
                let certs = many.iter().map(|c| c.clone().into()).collect();
                unprotected = unprotected.value(X5CHAIN_LABEL, Value::Array(certs));
            }
        }
        let sign1 = CoseSign1Builder::new()
            .protected(protected)
            .unprotected(unprotected.build())
            .payload(payload)
            .build();
        let to_be_signed = sign1.tbs_data(b"");
        // Encoded once with an empty signature (a final 0x40), which `finish` replaces.
        let mut without_signature = sign1.to_vec().map_err(|e| cose_error(&e))?;
        if without_signature.pop() != Some(0x40) {
            return Err(Error::InvalidCose {
                reason: "unexpected COSE_Sign1 encoding",
            });
        }
        Ok(Self {
            without_signature,
            to_be_signed,
        })
    }

    pub(crate) fn to_be_signed(&self) -> &[u8] {
        &self.to_be_signed
    }

    /// The encoded (untagged) COSE_Sign1 with `signature`.
    pub(crate) fn finish(self, signature: &[u8]) -> Vec<u8> {
        let mut w = crate::cbor::Writer::with_capacity(signature.len().saturating_add(4));
        w.bytes(signature);
        [self.without_signature, w.into_bytes()].concat()
    }
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
