//! The bench mDL through isomdl 0.2.0 (RustCrypto `p256`), for the side-by-side lines of
//! `mdoc.rs`: same elements, same Document Signer key and certificate, same device key.
//!
//! What the isomdl lines cover:
//! - issue: `Builder::issue` (items with random salts, digests, MSO, COSE_Sign1 signed with
//!   `p256`) and CBOR encoding of the `IssuerSigned` (the builder is consumed by `issue`, so
//!   each iteration clones it, as a caller issuing many mdocs must);
//! - verify: CBOR decoding of `IssuerSigned`, the `x5chain` from the unprotected header,
//!   `issuer_authentication` (the signature with the certificate's key) and decoding the MSO.
//!   isomdl 0.2.0 has no call that compares the items with `valueDigests` (nor checks
//!   validity or docType) outside its reader session flow, and that flow does not either
//!   (`shared/specs/performance-anchors.md`): a changed element still verifies.

use core::hint::black_box;
use std::collections::BTreeMap;

use ciborium::Value;
use isomdl::definitions::helpers::Tag24;
use isomdl::definitions::x509::X5Chain;
use isomdl::definitions::{
    CoseKey, DeviceKeyInfo, DigestAlgorithm, EC2Curve, EC2Y, IssuerSigned, Mso, ValidityInfo,
};
use isomdl::issuance::mdoc::Builder;
use isomdl::issuance::{Mdoc, Namespaces};
use mdoc_cbor::ElementValue;
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use p256::pkcs8::DecodePrivateKey as _;

/// COSE header label of `x5chain`.
const X5CHAIN: i64 = 33;

/// isomdl's inputs for one mDL.
pub(crate) struct Peer {
    builder: Builder,
    x5chain: X5Chain,
    signer: SigningKey,
}

impl Peer {
    /// `elements` in `name_space`, signed by the P-256 key `issuer_pkcs8` whose certificate is
    /// `ds_certificate`, bound to the device key `holder_point` (04 || x || y).
    pub(crate) fn new(
        doc_type: &str,
        name_space: &str,
        elements: &[(&str, ElementValue)],
        issuer_pkcs8: &[u8],
        ds_certificate: &[u8],
        holder_point: &[u8],
        now: i64,
    ) -> Self {
        let values = elements
            .iter()
            .map(|(id, value)| ((*id).to_owned(), to_ciborium(value)))
            .collect();
        let namespaces: Namespaces = BTreeMap::from([(name_space.to_owned(), values)]);
        let at = |secs| time::OffsetDateTime::from_unix_timestamp(secs).unwrap();
        let validity = ValidityInfo {
            signed: at(now),
            valid_from: at(now),
            valid_until: at(now + 365 * 86_400),
            expected_update: None,
        };
        let device_key_info = DeviceKeyInfo {
            device_key: CoseKey::EC2 {
                crv: EC2Curve::P256,
                x: holder_point[1..33].to_vec(),
                y: EC2Y::Value(holder_point[33..65].to_vec()),
            },
            key_authorizations: None,
            key_info: None,
        };
        let builder = Mdoc::builder()
            .doc_type(doc_type.to_owned())
            .namespaces(namespaces)
            .validity_info(validity)
            .digest_algorithm(DigestAlgorithm::SHA256)
            .device_key_info(device_key_info)
            .enable_decoy_digests(false);
        let x5chain = X5Chain::builder()
            .with_der_certificate(ds_certificate)
            .unwrap()
            .build()
            .unwrap();
        let signer = SigningKey::from(p256::SecretKey::from_pkcs8_der(issuer_pkcs8).unwrap());
        Self {
            builder,
            x5chain,
            signer,
        }
    }

    /// Issues and encodes one `IssuerSigned`.
    pub(crate) fn issue(&self) -> Vec<u8> {
        let mdoc = self
            .builder
            .clone()
            .issue::<SigningKey, Signature>(self.x5chain.clone(), self.signer.clone())
            .unwrap();
        let issuer_signed = IssuerSigned {
            namespaces: Some(mdoc.namespaces),
            issuer_auth: mdoc.issuer_auth,
        };
        isomdl::cbor::to_vec(&issuer_signed).unwrap()
    }

    /// What isomdl verifies of an `IssuerSigned` (see the module docs); panics on failure.
    pub(crate) fn verify(bytes: &[u8]) {
        let issuer_signed: IssuerSigned = isomdl::cbor::from_slice(bytes).unwrap();
        let x5chain = issuer_signed
            .issuer_auth
            .unprotected
            .rest
            .iter()
            .find(|(label, _)| *label == coset03::Label::Int(X5CHAIN))
            .map(|(_, value)| X5Chain::from_cbor(value.clone()).unwrap())
            .unwrap();
        isomdl::presentation::authentication::mdoc::issuer_authentication(x5chain, &issuer_signed)
            .unwrap();
        let payload = issuer_signed.issuer_auth.payload.as_ref().unwrap();
        let mso: Tag24<Mso> = isomdl::cbor::from_slice(payload).unwrap();
        black_box(mso);
    }
}

/// One bare `p256` ES256 signature, isomdl's own floor (with the digests).
pub(crate) fn p256_sign(key: &SigningKey, message: &[u8]) -> Signature {
    use p256::ecdsa::signature::Signer as _;
    key.sign(message)
}

/// One bare `p256` ES256 verification.
pub(crate) fn p256_verify(key: &VerifyingKey, message: &[u8], signature: &Signature) {
    use p256::ecdsa::signature::Verifier as _;
    key.verify(message, signature).unwrap();
}

/// The issuer's `p256` key pair from PKCS#8.
pub(crate) fn p256_keys(issuer_pkcs8: &[u8]) -> (SigningKey, VerifyingKey) {
    let signer = SigningKey::from(p256::SecretKey::from_pkcs8_der(issuer_pkcs8).unwrap());
    let verifier = *signer.verifying_key();
    (signer, verifier)
}

fn to_ciborium(value: &ElementValue) -> Value {
    match value {
        ElementValue::Text(s) => Value::Text(s.clone()),
        ElementValue::FullDate(s) => Value::Tag(1004, Box::new(Value::Text(s.clone()))),
        ElementValue::TDate(s) => Value::Tag(0, Box::new(Value::Text(s.clone()))),
        ElementValue::Integer(i) => Value::Integer(i64::try_from(*i).unwrap().into()),
        ElementValue::Bool(b) => Value::Bool(*b),
        ElementValue::Bytes(b) => Value::Bytes(b.clone()),
        ElementValue::Array(items) => Value::Array(items.iter().map(to_ciborium).collect()),
        ElementValue::Map(entries) => Value::Map(
            entries
                .iter()
                .map(|(k, v)| (to_ciborium(k), to_ciborium(v)))
                .collect(),
        ),
        other => unimplemented!("not in the bench mDL: {other:?}"),
    }
}
