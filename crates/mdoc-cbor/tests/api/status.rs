//! The MSO `status` claim and its interplay with the shared `status-list` reference type.

use coset::{CborSerializable as _, CoseSign1};
use jose_core::keys::StaticKeys;
use jose_core::{Algorithm, UnixTime};
use mdoc_cbor::{
    IssuerSigned, Limits, MDL_DOC_TYPE, MobileSecurityObject, StatusListReference, Verifier,
};
use status_list::StatusIndex;

use crate::support::{NOW, counter_rng, sample_issuance, signer};

const URI: &str = "https://issuer.example/statuslists/7";

/// Issues `sample_issuance()` with `status` and returns the verified reference and the MSO.
fn issue_with(status: impl Into<StatusListReference>) -> (StatusListReference, Vec<u8>) {
    let key = signer(Algorithm::Es256);
    let issued = sample_issuance()
        .with_status(status)
        .sign(&key, &[], &counter_rng())
        .unwrap();
    let trust = StaticKeys::from(key.public_jwk());
    let mdoc = Verifier::new(&trust)
        .verify(issued.as_cbor(), MDL_DOC_TYPE, UnixTime::from_secs(NOW))
        .unwrap();
    let parsed = IssuerSigned::parse(issued.as_cbor(), &Limits::default()).unwrap();
    // The issuerAuth payload is the tagged MSO.
    let payload = CoseSign1::from_slice(parsed.issuer_auth)
        .unwrap()
        .payload
        .unwrap();
    let mso = MobileSecurityObject::from_tagged_cbor(&payload, &Limits::default()).unwrap();
    assert_eq!(mso.status, mdoc.status);
    (mdoc.status.unwrap(), payload)
}

#[test]
fn shared_reference_is_issued_in_the_mdoc_form() {
    let shared = status_list::StatusListReference::new(StatusIndex::new(1234), URI);
    let (status, payload) = issue_with(shared.clone());
    assert_eq!(status, StatusListReference::new(1234, URI));
    assert_eq!(status.status_list_reference(), shared);
    // "status": {"status_list": {"idx": 1234, "uri": URI}} with text keys.
    let mut expected: Vec<u8> = Vec::new();
    expected.extend(b"\x66status\xa1\x6bstatus_list\xa2\x63idx\x19\x04\xd2\x63uri\x78\x24");
    expected.extend(URI.as_bytes());
    assert!(
        payload.windows(expected.len()).any(|w| w == expected),
        "status claim not found in the MSO"
    );
}

#[test]
fn certificate_survives_issuance_but_not_the_shared_form() {
    let with_certificate = StatusListReference::new(5, URI).with_certificate(vec![0x30, 0x03]);
    let (status, _) = issue_with(with_certificate.clone());
    assert_eq!(status, with_certificate);
    assert_eq!(
        status.status_list_reference(),
        status_list::StatusListReference::new(StatusIndex::new(5), URI)
    );
    assert_eq!(
        StatusListReference::from(status.status_list_reference()).certificate,
        None
    );
}
