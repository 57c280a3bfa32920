//! ISO/IEC 18013-5:2021 Annex D vectors (../shared/vectors/isomdl/annexD and
//! ../shared/vectors/extracted/mdoc-annex-d.json). Every case runs; none is skipped.

use jose_core::keys::StaticKeys;
use jose_core::{EcCurve, PublicKey, UnixTime};
use mdoc_cbor::{
    DeviceResponse, DigestAlgorithm, ElementValue, Error, IssuerSigned, Limits, MDL_DOC_TYPE,
    MDL_NAME_SPACE, Verifier,
};

use crate::support::{hex, vector};

/// 2021-01-01T00:00:00Z, inside the MSO validity (2020-10-01 .. 2021-10-01).
const PINNED: i64 = 1_609_459_200;

fn extracted() -> serde_json::Value {
    serde_json::from_str(&vector("extracted/mdoc-annex-d.json")).unwrap()
}

fn issuer_signed() -> Vec<u8> {
    hex(&vector("isomdl/annexD/issuer_signed.hex"))
}

fn device_response() -> Vec<u8> {
    hex(&vector("isomdl/annexD/device_response.hex"))
}

pub(crate) fn ds_cert() -> Vec<u8> {
    hex(extracted()["ds_cert_der_hex"].as_str().unwrap())
}

/// The DS public key, read from the SubjectPublicKeyInfo BIT STRING of the DS certificate.
pub(crate) fn ds_key() -> PublicKey {
    let der = ds_cert();
    let at = der
        .windows(4)
        .position(|w| w == [0x03, 0x42, 0x00, 0x04])
        .unwrap();
    PublicKey::from_ec_point(EcCurve::P256, &der[at + 3..at + 3 + 65]).unwrap()
}

#[test]
fn test_annex_d_vectors_agree() {
    let json = extracted();
    assert_eq!(
        issuer_signed(),
        hex(json["issuer_signed_hex"].as_str().unwrap())
    );
    assert_eq!(
        device_response(),
        hex(json["device_response_hex"].as_str().unwrap())
    );
    assert_eq!(issuer_signed().len(), 3394);
    assert_eq!(device_response().len(), 3562);
}

#[test]
fn test_annex_d_issuer_signed_parses() {
    let bytes = issuer_signed();
    let parsed = IssuerSigned::parse(&bytes, &Limits::default()).unwrap();
    assert_eq!(parsed.name_spaces.len(), 1);
    let (ns, items) = &parsed.name_spaces[0];
    assert_eq!(*ns, MDL_NAME_SPACE);
    let ids: Vec<(u64, &str)> = items.iter().map(|i| (i.digest_id, i.identifier)).collect();
    assert_eq!(
        ids,
        [
            (0, "family_name"),
            (3, "issue_date"),
            (4, "expiry_date"),
            (7, "document_number"),
            (8, "portrait"),
            (9, "driving_privileges"),
        ]
    );
    assert!(items.iter().all(|i| i.random.len() == 32));
    // The first item's received bytes start with the tag-24 header D8 18 58 63.
    assert_eq!(&items[0].raw[..4], &[0xd8, 0x18, 0x58, 0x63]);
}

#[test]
fn test_annex_d_issuer_signed_verifies_with_pinned_ds_key() {
    let trust = StaticKeys::from(jose_core::PublicJwk::new(ds_key()));
    let mdoc = Verifier::new(&trust)
        .verify(&issuer_signed(), MDL_DOC_TYPE, UnixTime::from_secs(PINNED))
        .unwrap();
    assert_eq!(mdoc.doc_type, MDL_DOC_TYPE);
    assert_eq!(mdoc.algorithm, jose_core::Algorithm::Es256);
    assert_eq!(mdoc.digest_algorithm, DigestAlgorithm::Sha256);
    assert_eq!(mdoc.x5chain, vec![ds_cert()]);
    assert_eq!(mdoc.validity.signed.secs(), 1_601_559_002);
    assert_eq!(mdoc.validity.valid_from.secs(), 1_601_559_002);
    assert_eq!(mdoc.validity.valid_until.secs(), 1_633_095_002);
    let el = |id| mdoc.element(MDL_NAME_SPACE, id).unwrap();
    assert_eq!(el("family_name"), &ElementValue::Text("Doe".into()));
    assert_eq!(
        el("issue_date"),
        &ElementValue::FullDate("2019-10-20".into())
    );
    assert_eq!(
        el("expiry_date"),
        &ElementValue::FullDate("2024-10-20".into())
    );
    assert_eq!(
        el("document_number"),
        &ElementValue::Text("123456789".into())
    );
    let ElementValue::Bytes(portrait) = el("portrait") else {
        panic!("portrait")
    };
    assert_eq!(&portrait[..2], &[0xff, 0xd8]);
    let json = mdoc.to_json();
    assert_eq!(
        json[MDL_NAME_SPACE]["driving_privileges"][0]["vehicle_category_code"],
        "A"
    );
    assert_eq!(mdoc.name_spaces[MDL_NAME_SPACE].len(), 6);
    // The MSO device key is the Annex D static device key.
    let keys: serde_json::Value =
        serde_json::from_str(&vector("isomdl/annexD/annexD_keys.json")).unwrap();
    let mut point = vec![4];
    point.extend(hex(keys["static_device_key"]["x"].as_str().unwrap()));
    point.extend(hex(keys["static_device_key"]["y"].as_str().unwrap()));
    assert_eq!(
        mdoc.device_key,
        PublicKey::from_ec_point(EcCurve::P256, &point).unwrap()
    );
    assert_eq!(mdoc.status, None);
}

#[test]
fn test_annex_d_digests_cover_every_item() {
    // All six disclosed items have their digest in the 13-entry valueDigests (and the US name
    // space's 4 digests are present though no item is disclosed).
    let bytes = issuer_signed();
    let parsed = IssuerSigned::parse(&bytes, &Limits::default()).unwrap();
    let sign1 =
        <coset::CoseSign1 as coset::CborSerializable>::from_slice(parsed.issuer_auth).unwrap();
    let mso = mdoc_cbor::MobileSecurityObject::from_tagged_cbor(
        sign1.payload.as_ref().unwrap(),
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(mso.value_digests[MDL_NAME_SPACE].len(), 13);
    assert_eq!(mso.value_digests["org.iso.18013.5.1.US"].len(), 4);
    for item in &parsed.name_spaces[0].1 {
        assert_eq!(
            DigestAlgorithm::Sha256.digest(item.raw),
            mso.value_digests[MDL_NAME_SPACE][&item.digest_id],
            "item {}",
            item.identifier
        );
    }
}

#[test]
fn test_annex_d_device_response_parses_and_verifies() {
    let bytes = device_response();
    let parsed = DeviceResponse::parse(&bytes, &Limits::default()).unwrap();
    assert_eq!(parsed.version, "1.0");
    assert_eq!(parsed.status, 0);
    assert_eq!(parsed.documents.len(), 1);
    assert_eq!(parsed.documents[0].doc_type, MDL_DOC_TYPE);
    // The IssuerSigned vector is an exact substring of the DeviceResponse.
    let standalone = issuer_signed();
    assert!(
        bytes
            .windows(standalone.len())
            .any(|w| w == standalone.as_slice())
    );

    let trust = StaticKeys::from(jose_core::PublicJwk::new(ds_key()));
    let docs = Verifier::new(&trust)
        .verify_device_response(&bytes, UnixTime::from_secs(PINNED))
        .unwrap();
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0].name_spaces[MDL_NAME_SPACE].len(), 6);
}

#[test]
fn test_annex_d_base64url_form() {
    let b64 = jose_core::base64url::encode(&issuer_signed());
    assert!(b64.starts_with("ompuYW1lU3BhY2Vz"));
    let trust = StaticKeys::from(jose_core::PublicJwk::new(ds_key()));
    let mdoc = Verifier::new(&trust)
        .verify_base64url(&b64, MDL_DOC_TYPE, UnixTime::from_secs(PINNED))
        .unwrap();
    assert_eq!(mdoc.name_spaces[MDL_NAME_SPACE].len(), 6);
    assert_eq!(
        Verifier::new(&trust).verify_base64url(
            &format!("{b64}="),
            MDL_DOC_TYPE,
            UnixTime::from_secs(PINNED)
        ),
        Err(Error::Base64)
    );
}

#[test]
fn test_annex_d_validity_bounds() {
    let trust = StaticKeys::from(jose_core::PublicJwk::new(ds_key()));
    let verifier = Verifier::new(&trust).with_clock_skew_seconds(0);
    let bytes = issuer_signed();
    assert_eq!(
        verifier.verify(&bytes, MDL_DOC_TYPE, UnixTime::from_secs(1_633_095_003)),
        Err(Error::Expired {
            now: UnixTime::from_secs(1_633_095_003),
            valid_until: UnixTime::from_secs(1_633_095_002)
        })
    );
    assert_eq!(
        verifier.verify(&bytes, MDL_DOC_TYPE, UnixTime::from_secs(1_601_559_001)),
        Err(Error::NotYetValid {
            now: UnixTime::from_secs(1_601_559_001),
            valid_from: UnixTime::from_secs(1_601_559_002)
        })
    );
    // Both bounds are inclusive.
    assert!(
        verifier
            .verify(&bytes, MDL_DOC_TYPE, UnixTime::from_secs(1_633_095_002))
            .is_ok()
    );
    assert!(
        verifier
            .verify(&bytes, MDL_DOC_TYPE, UnixTime::from_secs(1_601_559_002))
            .is_ok()
    );
    // The default skew (jose_core::DEFAULT_CLOCK_SKEW_SECONDS, 60 s) admits 60 s past
    // validUntil, not 61.
    assert_eq!(jose_core::DEFAULT_CLOCK_SKEW_SECONDS, 60);
    let lenient = Verifier::new(&trust);
    assert!(
        lenient
            .verify(&bytes, MDL_DOC_TYPE, UnixTime::from_secs(1_633_095_062))
            .is_ok()
    );
    assert_eq!(
        lenient.verify(&bytes, MDL_DOC_TYPE, UnixTime::from_secs(1_633_095_063)),
        Err(Error::Expired {
            now: UnixTime::from_secs(1_633_095_063),
            valid_until: UnixTime::from_secs(1_633_095_002)
        })
    );
}

#[test]
fn test_annex_d_wrong_ds_key_fails_signature() {
    let other = crate::support::signer(jose_core::Algorithm::Es256).public_jwk();
    let trust = StaticKeys::from(other.clone());
    assert_eq!(
        Verifier::new(&trust).verify(&issuer_signed(), MDL_DOC_TYPE, UnixTime::from_secs(PINNED)),
        Err(Error::SignatureInvalid)
    );
}

// Runs under `RUSTFLAGS="--cfg fuzzing"` (the fuzz helpers are compiled only there).
#[cfg(fuzzing)]
#[test]
fn test_annex_d_fuzz_helpers_reach_the_end() {
    // The fuzz targets' fixed key and time accept the Annex D seeds, so mutations start from a
    // fully verifying input.
    assert_eq!(
        mdoc_cbor::fuzzing::issuer_signed_verify(&issuer_signed()),
        Ok(())
    );
    assert_eq!(
        mdoc_cbor::fuzzing::device_response_parse(&device_response()),
        Ok(())
    );
    let seed = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fuzz/corpus/mdoc_mso_parse/seed-1"
    ))
    .unwrap();
    assert_eq!(mdoc_cbor::fuzzing::mso_parse(&seed), Ok(()));
}

#[cfg(feature = "x509")]
mod x509 {
    use jose_core::UnixTime;
    use mdoc_cbor::{Error, IacaTrust, MDL_DOC_TYPE, MDL_NAME_SPACE, Verifier};
    use trust_x509::{CertRef, TrustAnchors};

    use super::{PINNED, device_response, issuer_signed};
    use crate::support::vector;

    fn trust() -> IacaTrust {
        IacaTrust::new(TrustAnchors::from_pem(&vector("isomdl/annexD/iaca_cert.pem")).unwrap())
    }

    #[test]
    fn test_annex_d_ds_chain_validates_to_iaca() {
        let trust = trust();
        let verifier = Verifier::new(&trust);
        let mdoc = verifier
            .verify(&issuer_signed(), MDL_DOC_TYPE, UnixTime::from_secs(PINNED))
            .unwrap();
        assert_eq!(mdoc.name_spaces[MDL_NAME_SPACE].len(), 6);
        let docs = verifier
            .verify_device_response(&device_response(), UnixTime::from_secs(PINNED))
            .unwrap();
        assert_eq!(docs.len(), 1);
    }

    #[test]
    fn test_annex_d_ds_expired_before_mso() {
        // The DS certificate ends 2021-10-01T00:00:00Z, the MSO at 13:30:02 that day.
        let now = UnixTime::from_secs(1_633_060_800); // 2021-10-01T04:00:00Z
        let trust = trust();
        assert_eq!(
            Verifier::new(&trust).with_clock_skew_seconds(0).verify(
                &issuer_signed(),
                MDL_DOC_TYPE,
                now
            ),
            Err(Error::X509(trust_x509::Error::Expired {
                cert: CertRef::Chain(0),
                not_after: UnixTime::from_secs(1_633_046_400),
                now
            }))
        );
    }

    #[test]
    fn test_own_issuance_without_x5chain_is_refused_by_iaca_trust() {
        let key = crate::support::signer(jose_core::Algorithm::Es256);
        let issued = crate::support::issue(&key);
        let trust = trust();
        assert_eq!(
            Verifier::new(&trust).verify(
                issued.as_cbor(),
                MDL_DOC_TYPE,
                UnixTime::from_secs(crate::support::NOW)
            ),
            Err(Error::MissingX5Chain)
        );
    }
}
