//! Shared fixtures: vector loading, a test issuer, and helpers that re-sign edited MSOs so that
//! bad inputs reach the check they are meant to exercise.

use coset::{CborSerializable as _, CoseSign1};
use jose_core::{Algorithm, LocalSigner, PublicJwk, RandomSource, Signer as _, UnixTime};
use mdoc_cbor::{
    ElementValue, Issuance, IssuedMdoc, Limits, MDL_DOC_TYPE, MDL_NAME_SPACE, MobileSecurityObject,
    ValidityInfo,
};

pub(crate) const NOW: i64 = 1_750_000_000;

pub(crate) fn vector(path: &str) -> String {
    let full = format!(
        "{}/../../../shared/vectors/{path}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

pub(crate) fn hex(text: &str) -> Vec<u8> {
    let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// A deterministic random source (a counter), so tests are reproducible.
pub(crate) fn counter_rng() -> impl RandomSource {
    let state = core::cell::Cell::new(0u8);
    move |dest: &mut [u8]| -> Result<(), jose_core::Error> {
        for b in dest.iter_mut() {
            state.set(state.get().wrapping_add(37));
            *b = state.get();
        }
        Ok(())
    }
}

pub(crate) fn signer(alg: Algorithm) -> LocalSigner {
    LocalSigner::generate(alg, &jose_core::SystemRandom::new()).unwrap()
}

pub(crate) fn holder() -> PublicJwk {
    signer(Algorithm::Es256).public_jwk()
}

pub(crate) fn validity() -> ValidityInfo {
    let now = UnixTime::from_secs(NOW);
    ValidityInfo::new(now, now, now.saturating_add(86_400 * 365)).unwrap()
}

/// A small mDL: family_name, given_name, birth_date, age_over_18, portrait.
pub(crate) fn sample_issuance() -> Issuance {
    Issuance::new(MDL_DOC_TYPE, &holder(), validity())
        .unwrap()
        .with_element(
            MDL_NAME_SPACE,
            "family_name",
            ElementValue::Text("Doe".into()),
        )
        .unwrap()
        .with_element(
            MDL_NAME_SPACE,
            "given_name",
            ElementValue::Text("Jane".into()),
        )
        .unwrap()
        .with_element(
            MDL_NAME_SPACE,
            "birth_date",
            ElementValue::full_date("1990-01-02").unwrap(),
        )
        .unwrap()
        .with_element(MDL_NAME_SPACE, "age_over_18", ElementValue::Bool(true))
        .unwrap()
        .with_element(
            MDL_NAME_SPACE,
            "portrait",
            ElementValue::Bytes(vec![0xff, 0xd8, 0xff, 0xe0]),
        )
        .unwrap()
}

pub(crate) fn issue(signer: &LocalSigner) -> IssuedMdoc {
    sample_issuance().sign(signer, &[], &counter_rng()).unwrap()
}

/// CBOR head (RFC 8949 §3) in the shortest form.
pub(crate) fn head(major: u8, arg: u64) -> Vec<u8> {
    let m = major << 5;
    match arg {
        0..=23 => vec![m | u8::try_from(arg).unwrap()],
        24..=0xff => vec![m | 24, u8::try_from(arg).unwrap()],
        0x100..=0xffff => [
            vec![m | 25],
            u16::try_from(arg).unwrap().to_be_bytes().to_vec(),
        ]
        .concat(),
        0x1_0000..=0xffff_ffff => [
            vec![m | 26],
            u32::try_from(arg).unwrap().to_be_bytes().to_vec(),
        ]
        .concat(),
        _ => [vec![m | 27], arg.to_be_bytes().to_vec()].concat(),
    }
}

pub(crate) fn text(s: &str) -> Vec<u8> {
    [head(3, n(s.len())), s.as_bytes().to_vec()].concat()
}

pub(crate) fn bstr(b: &[u8]) -> Vec<u8> {
    [head(2, n(b.len())), b.to_vec()].concat()
}

/// `#6.24(bstr)` with a shortest length header.
pub(crate) fn tag24(inner: &[u8]) -> Vec<u8> {
    [vec![0xd8, 0x18], bstr(inner)].concat()
}

/// An `IssuerSigned` map from raw items per name space and a raw `issuerAuth`.
pub(crate) fn assemble(name_spaces: &[(&str, Vec<Vec<u8>>)], issuer_auth: &[u8]) -> Vec<u8> {
    let mut out = vec![0xa2];
    out.extend(text("nameSpaces"));
    out.extend(head(5, n(name_spaces.len())));
    for (ns, items) in name_spaces {
        out.extend(text(ns));
        out.extend(head(4, n(items.len())));
        for item in items {
            out.extend_from_slice(item);
        }
    }
    out.extend(text("issuerAuth"));
    out.extend_from_slice(issuer_auth);
    out
}

/// An IssuerSignedItem encoding (inner, not wrapped) with `value` already encoded.
pub(crate) fn item_inner(digest_id: u64, identifier: &str, value: &[u8]) -> Vec<u8> {
    let mut out = vec![0xa4];
    out.extend(text("digestID"));
    out.extend(head(0, digest_id));
    out.extend(text("random"));
    out.extend(bstr(&[7u8; 16]));
    out.extend(text("elementIdentifier"));
    out.extend(text(identifier));
    out.extend(text("elementValue"));
    out.extend_from_slice(value);
    out
}

/// Decodes the MSO of an `issuerAuth`, lets `edit` change it, and signs it again with `signer`
/// (same headers). Returns the new `issuerAuth` bytes.
pub(crate) fn resign(
    issuer_auth: &[u8],
    signer: &LocalSigner,
    edit: impl FnOnce(&mut MobileSecurityObject),
) -> Vec<u8> {
    let mut sign1 = CoseSign1::from_slice(issuer_auth).unwrap();
    let mut mso =
        MobileSecurityObject::from_tagged_cbor(sign1.payload.as_ref().unwrap(), &Limits::default())
            .unwrap();
    edit(&mut mso);
    sign1.payload = Some(tag24(&mso.to_cbor().unwrap()));
    sign1.signature = signer.sign(&sign1.tbs_data(b"")).unwrap();
    sign1.to_vec().unwrap()
}

/// The raw items and `issuerAuth` of an issued mdoc (single name space).
pub(crate) fn split(cbor: &[u8]) -> (String, Vec<Vec<u8>>, Vec<u8>) {
    let parsed = mdoc_cbor::IssuerSigned::parse(cbor, &Limits::default()).unwrap();
    let (ns, items) = &parsed.name_spaces[0];
    (
        (*ns).to_owned(),
        items.iter().map(|i| i.raw.to_vec()).collect(),
        parsed.issuer_auth.to_vec(),
    )
}

/// digestID of the item with `identifier`.
pub(crate) fn digest_id_of(cbor: &[u8], identifier: &str) -> u64 {
    let parsed = mdoc_cbor::IssuerSigned::parse(cbor, &Limits::default()).unwrap();
    parsed.name_spaces[0]
        .1
        .iter()
        .find(|i| i.identifier == identifier)
        .unwrap()
        .digest_id
}

pub(crate) fn n(len: usize) -> u64 {
    u64::try_from(len).unwrap()
}
