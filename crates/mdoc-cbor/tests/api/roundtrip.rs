//! Our own output through our own verifier.

use jose_core::keys::{KeyFn, KeyLookupError, KeyQuery, StaticKeys};
use jose_core::{Algorithm, PublicJwk, Signer as _, UnixTime};
use mdoc_cbor::{
    ElementValue, Error, Issuance, IssuerSigned, Limits, MDL_DOC_TYPE, MDL_NAME_SPACE,
    StatusListReference, ValidityInfo, Verifier,
};

use crate::support::{NOW, counter_rng, holder, issue, sample_issuance, signer, validity};

fn now() -> UnixTime {
    UnixTime::from_secs(NOW)
}

#[test]
fn issued_mdoc_verifies_with_every_signing_algorithm() {
    for alg in [
        Algorithm::Es256,
        Algorithm::Es384,
        Algorithm::Es512,
        Algorithm::EdDsa,
    ] {
        let key = signer(alg);
        let issued = issue(&key);
        let trust = StaticKeys::from(key.public_jwk());
        let mdoc = Verifier::new(&trust)
            .verify(issued.as_cbor(), MDL_DOC_TYPE, now())
            .unwrap();
        assert_eq!(mdoc.algorithm, alg);
        let el = |id| mdoc.element(MDL_NAME_SPACE, id).unwrap().clone();
        assert_eq!(el("family_name"), ElementValue::Text("Doe".into()));
        assert_eq!(
            el("birth_date"),
            ElementValue::FullDate("1990-01-02".into())
        );
        assert_eq!(el("age_over_18"), ElementValue::Bool(true));
        assert_eq!(
            el("portrait"),
            ElementValue::Bytes(vec![0xff, 0xd8, 0xff, 0xe0])
        );
        assert_eq!(mdoc.validity, validity());
    }
}

/// Replaces the first `needle` in `bytes` by `with` (same length).
fn patched(bytes: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    let pos = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap();
    let mut out = bytes.to_vec();
    out[pos..pos + with.len()].copy_from_slice(with);
    out
}

/// An `issuerAuth` whose protected header names the fully specified ESP256 (-9, RFC 9864)
/// verifies as ES256: mdoc reads COSE ids through jose-core's one table, as the status-list CWT
/// does (whose test is the same with a CWT).
#[test]
fn fully_specified_esp256_issuer_auth_verifies() {
    let key = signer(Algorithm::Es256);
    let prepared = sample_issuance()
        .prepare(Algorithm::Es256, &[], &counter_rng())
        .unwrap();
    // Protected header {1: -7} is a1 01 26; -9 is 28.
    let tbs = patched(
        prepared.to_be_signed(),
        b"\x43\xa1\x01\x26",
        b"\x43\xa1\x01\x28",
    );
    let signature = key.sign(&tbs).unwrap();
    let issued = prepared.attach_signature(&signature).unwrap();
    let cbor = patched(
        issued.as_cbor(),
        b"issuerAuth\x84\x43\xa1\x01\x26",
        b"issuerAuth\x84\x43\xa1\x01\x28",
    );
    let trust = StaticKeys::from(key.public_jwk());
    let mdoc = Verifier::new(&trust)
        .verify(&cbor, MDL_DOC_TYPE, now())
        .unwrap();
    assert_eq!(mdoc.algorithm, Algorithm::Es256);
    // The unpatched signature does not cover the patched header.
    assert_eq!(
        Verifier::new(&trust).verify(issued.as_cbor(), MDL_DOC_TYPE, now()),
        Err(Error::SignatureInvalid)
    );
}

#[test]
fn issued_structure_is_what_iso_and_oid4vci_expect() {
    let key = signer(Algorithm::Es256);
    let issued = issue(&key);
    let cbor = issued.as_cbor();
    // a2 6a "nameSpaces" ...: the map starts with nameSpaces, as Annex D.
    assert_eq!(&cbor[..12], b"\xa2\x6anameSpaces");
    assert!(issued.to_base64url().starts_with("omp"));
    assert!(!issued.to_base64url().contains('='));
    let parsed = IssuerSigned::parse(cbor, &Limits::default()).unwrap();
    let items = &parsed.name_spaces[0].1;
    // digestIDs are a permutation of 0..5, not in claim order for this RNG.
    let mut ids: Vec<u64> = items.iter().map(|i| i.digest_id).collect();
    assert_ne!(ids, [0, 1, 2, 3, 4]);
    ids.sort_unstable();
    assert_eq!(ids, [0, 1, 2, 3, 4]);
    assert!(items.iter().all(|i| i.random.len() == 32));
    assert!(items.iter().all(|i| &i.raw[..2] == b"\xd8\x18"));
    // issuerAuth: untagged 4-array, protected header {1: -7}, x5chain under 33 unprotected.
    let auth = parsed.issuer_auth;
    assert_eq!(&auth[..4], &[0x84, 0x43, 0xa1, 0x01]);
    assert_eq!(auth[4], 0x26);
}

#[test]
fn x5chain_goes_to_unprotected_label_33() {
    let key = signer(Algorithm::Es256);
    let chain = vec![vec![0x30, 0x01, 0xaa], vec![0x30, 0x01, 0xbb]];
    let issued = sample_issuance()
        .sign(&key, &chain, &counter_rng())
        .unwrap();
    let parsed = IssuerSigned::parse(issued.as_cbor(), &Limits::default()).unwrap();
    let sign1 =
        <coset::CoseSign1 as coset::CborSerializable>::from_slice(parsed.issuer_auth).unwrap();
    assert!(sign1.protected.header.rest.is_empty());
    assert_eq!(sign1.unprotected.rest.len(), 1);
    assert_eq!(sign1.unprotected.rest[0].0, coset::Label::Int(33));
    // The verifier hands the chain to the trust policy as received.
    let seen = std::sync::Mutex::new(Vec::new());
    let public = key.public_jwk().key().clone();
    let trust = KeyFn::new(|query: &KeyQuery<'_>, _now: UnixTime| {
        *seen.lock().unwrap() = query.x5c().unwrap_or_default().to_vec();
        Ok(vec![PublicJwk::new(public.clone())])
    });
    let mdoc = Verifier::new(&trust)
        .verify(issued.as_cbor(), MDL_DOC_TYPE, now())
        .unwrap();
    assert_eq!(*seen.lock().unwrap(), chain);
    assert_eq!(mdoc.x5chain, chain);
    // A single certificate is a bare bstr.
    let single = sample_issuance()
        .sign(&key, &chain[..1], &counter_rng())
        .unwrap();
    let mdoc = Verifier::new(&trust)
        .verify(single.as_cbor(), MDL_DOC_TYPE, now())
        .unwrap();
    assert_eq!(mdoc.x5chain, chain[..1]);
}

#[test]
fn trust_policy_errors_are_returned() {
    let key = signer(Algorithm::Es256);
    let issued = issue(&key);
    let trust = KeyFn::new(|query: &KeyQuery<'_>, _now: UnixTime| {
        if query.x5c().is_none() {
            Err(KeyLookupError::untrusted(Error::MissingX5Chain))
        } else {
            unreachable!()
        }
    });
    assert_eq!(
        Verifier::new(&trust).verify(issued.as_cbor(), MDL_DOC_TYPE, now()),
        Err(Error::MissingX5Chain)
    );
    // A refusal without a typed cause, and a lookup that cannot answer.
    let refuse = KeyFn::new(|_: &KeyQuery<'_>, _: UnixTime| {
        Err(KeyLookupError::no_trusted_key("not on the trust list"))
    });
    assert_eq!(
        Verifier::new(&refuse).verify(issued.as_cbor(), MDL_DOC_TYPE, now()),
        Err(Error::UntrustedChain {
            reason: "not on the trust list".into()
        })
    );
    let down = KeyFn::new(|_: &KeyQuery<'_>, _: UnixTime| {
        Err(KeyLookupError::unavailable("trust list fetch failed"))
    });
    assert_eq!(
        Verifier::new(&down).verify(issued.as_cbor(), MDL_DOC_TYPE, now()),
        Err(Error::KeyLookupUnavailable {
            reason: "trust list fetch failed".into()
        })
    );
}

#[test]
fn document_signer_candidates_are_tried_in_order() {
    let key = signer(Algorithm::Es256);
    let other = signer(Algorithm::Es256);
    let issued = issue(&key);
    let both = StaticKeys::new(vec![other.public_jwk(), key.public_jwk()]);
    assert!(
        Verifier::new(&both)
            .verify(issued.as_cbor(), MDL_DOC_TYPE, now())
            .is_ok()
    );
    let wrong = StaticKeys::from(other.public_jwk());
    assert_eq!(
        Verifier::new(&wrong)
            .verify(issued.as_cbor(), MDL_DOC_TYPE, now())
            .map(|_| ()),
        Err(Error::SignatureInvalid)
    );
}

#[test]
fn two_phase_signing_matches_signer_path() {
    let key = signer(Algorithm::Es256);
    let prepared = sample_issuance()
        .prepare(Algorithm::Es256, &[], &counter_rng())
        .unwrap();
    assert_eq!(prepared.algorithm(), Algorithm::Es256);
    // Sig_structure = ["Signature1", h'a10126', h'', payload]
    assert_eq!(
        &prepared.to_be_signed()[..17],
        b"\x84\x6aSignature1\x43\xa1\x01\x26\x40"
    );
    let signature = key.sign(prepared.to_be_signed()).unwrap();
    let issued = prepared.attach_signature(&signature).unwrap();
    let trust = StaticKeys::from(key.public_jwk());
    assert!(
        Verifier::new(&trust)
            .verify(issued.as_cbor(), MDL_DOC_TYPE, now())
            .is_ok()
    );
    // A DER signature (or any wrong length) is refused when attaching.
    let prepared = sample_issuance()
        .prepare(Algorithm::Es256, &[], &counter_rng())
        .unwrap();
    assert_eq!(
        prepared.attach_signature(&[0u8; 70]),
        Err(Error::Jose(jose_core::Error::SignatureLength {
            alg: Algorithm::Es256,
            len: 70,
            expected: 64
        }))
    );
}

#[test]
fn device_keys_convert_to_cose_and_back() {
    for alg in [
        Algorithm::Es256,
        Algorithm::Es384,
        Algorithm::Es512,
        Algorithm::EdDsa,
    ] {
        let device = signer(alg).public_jwk();
        let key = signer(Algorithm::Es256);
        let issued = Issuance::new(MDL_DOC_TYPE, &device, validity())
            .unwrap()
            .with_element(MDL_NAME_SPACE, "age_over_18", ElementValue::Bool(true))
            .unwrap()
            .sign(&key, &[], &counter_rng())
            .unwrap();
        let trust = StaticKeys::from(key.public_jwk());
        let mdoc = Verifier::new(&trust)
            .verify(issued.as_cbor(), MDL_DOC_TYPE, now())
            .unwrap();
        assert_eq!(&mdoc.device_key, device.key(), "{alg}");
        assert_eq!(mdoc.name_spaces.len(), 1);
    }
    let rsa = PublicJwk::from_json(br#"{"kty":"RSA","n":"sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw","e":"AQAB"}"#).unwrap();
    assert_eq!(
        Issuance::new(MDL_DOC_TYPE, &rsa, validity()).err(),
        Some(Error::InvalidDeviceKey {
            reason: "only EC2 and OKP keys can be device keys"
        })
    );
}

#[test]
fn status_reference_round_trips() {
    let key = signer(Algorithm::Es256);
    let status = StatusListReference::new(1234, "https://issuer.example/statuslists/7");
    let issued = sample_issuance()
        .with_status(status.clone())
        .sign(&key, &[], &counter_rng())
        .unwrap();
    let trust = StaticKeys::from(key.public_jwk());
    let mdoc = Verifier::new(&trust)
        .verify(issued.as_cbor(), MDL_DOC_TYPE, now())
        .unwrap();
    assert_eq!(mdoc.status, Some(status));
}

#[test]
fn issue_from_json_claims_with_mdl_types() {
    let claims = serde_json::json!({
        MDL_NAME_SPACE: {
            "family_name": "Doe",
            "birth_date": "1990-01-02",
            "portrait": "_9j_4A",
            "portrait_capture_date": "2024-05-06T07:08:09Z",
            "age_in_years": 34,
            "driving_privileges": [{"vehicle_category_code": "B", "issue_date": "2020-01-01",
                                    "codes": [{"code": "78"}]}]
        },
        "org.example.custom": {"height": 1.75, "note": "x"}
    });
    let key = signer(Algorithm::Es256);
    let issued = Issuance::from_json(
        MDL_DOC_TYPE,
        claims.as_object().unwrap(),
        &holder(),
        validity(),
    )
    .unwrap()
    .sign(&key, &[], &counter_rng())
    .unwrap();
    let trust = StaticKeys::from(key.public_jwk());
    let mdoc = Verifier::new(&trust)
        .verify_base64url(&issued.to_base64url(), MDL_DOC_TYPE, now())
        .unwrap();
    let el = |ns, id| mdoc.element(ns, id).unwrap().clone();
    assert_eq!(
        el(MDL_NAME_SPACE, "birth_date"),
        ElementValue::FullDate("1990-01-02".into())
    );
    assert_eq!(
        el(MDL_NAME_SPACE, "portrait"),
        ElementValue::Bytes(vec![0xff, 0xd8, 0xff, 0xe0])
    );
    assert_eq!(
        el(MDL_NAME_SPACE, "portrait_capture_date"),
        ElementValue::TDate("2024-05-06T07:08:09Z".into())
    );
    assert_eq!(
        el(MDL_NAME_SPACE, "age_in_years"),
        ElementValue::Integer(34)
    );
    assert_eq!(
        el("org.example.custom", "height"),
        ElementValue::Float(1.75)
    );
    let dp = el(MDL_NAME_SPACE, "driving_privileges");
    let ElementValue::Array(entries) = dp else {
        panic!("array")
    };
    let ElementValue::Map(first) = &entries[0] else {
        panic!("map")
    };
    assert!(first.contains(&(
        ElementValue::Text("issue_date".into()),
        ElementValue::FullDate("2020-01-01".into())
    )));
    // JSON rendering gives back the input claims.
    assert_eq!(mdoc.to_json(), claims);
}

#[test]
fn issuance_input_errors() {
    let bad_date = serde_json::json!({MDL_NAME_SPACE: {"birth_date": "1990-02-30"}});
    assert_eq!(
        Issuance::from_json(
            MDL_DOC_TYPE,
            bad_date.as_object().unwrap(),
            &holder(),
            validity()
        )
        .err(),
        Some(Error::InvalidElement {
            identifier: "birth_date".into(),
            reason: "expected YYYY-MM-DD"
        })
    );
    assert_eq!(
        sample_issuance()
            .with_element(
                MDL_NAME_SPACE,
                "family_name",
                ElementValue::Text("X".into())
            )
            .err(),
        Some(Error::InvalidElement {
            identifier: "family_name".into(),
            reason: "element identifier already present in this name space"
        })
    );
    assert_eq!(
        sample_issuance().with_random_len(15).err(),
        Some(Error::InvalidElement {
            identifier: "random".into(),
            reason: "random must be at least 16 bytes"
        })
    );
    let t = |s| UnixTime::from_secs(s);
    assert_eq!(
        ValidityInfo::new(t(10), t(20), t(19)),
        Err(Error::InvalidValidity {
            reason: "validFrom is after validUntil"
        })
    );
    assert_eq!(
        sample_issuance()
            .with_element("ns", "big", ElementValue::Integer(i128::from(u64::MAX) + 1))
            .err(),
        Some(Error::InvalidElement {
            identifier: "big".into(),
            reason: "integer outside the CBOR range"
        })
    );
}

#[test]
fn deterministic_rng_gives_identical_output_up_to_signature() {
    let issuance = sample_issuance();
    let a = issuance
        .prepare(Algorithm::Es256, &[], &counter_rng())
        .unwrap();
    let b = issuance
        .prepare(Algorithm::Es256, &[], &counter_rng())
        .unwrap();
    assert_eq!(a.to_be_signed(), b.to_be_signed());
    let c = issuance
        .prepare(Algorithm::Es256, &[], &jose_core::SystemRandom::new())
        .unwrap();
    assert_ne!(a.to_be_signed(), c.to_be_signed());
}
