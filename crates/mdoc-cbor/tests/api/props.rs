//! Property tests: element values survive encode → decode, and issue → verify.

use jose_core::keys::StaticKeys;
use jose_core::{Algorithm, UnixTime};
use mdoc_cbor::{ElementValue, Issuance, Limits, MDL_DOC_TYPE, Verifier};
use proptest::prelude::*;

use crate::support::{NOW, counter_rng, holder, signer, validity};

fn full_date() -> impl Strategy<Value = ElementValue> {
    (0u32..=9999, 1u32..=12, 1u32..=28)
        .prop_map(|(y, m, d)| ElementValue::full_date(&format!("{y:04}-{m:02}-{d:02}")).unwrap())
}

fn tdate() -> impl Strategy<Value = ElementValue> {
    (-62_167_219_200i64..253_402_300_800)
        .prop_map(|s| ElementValue::tdate_from_unix(UnixTime::from_secs(s)).unwrap())
}

fn leaf() -> impl Strategy<Value = ElementValue> {
    prop_oneof![
        Just(ElementValue::Null),
        any::<bool>().prop_map(ElementValue::Bool),
        any::<i64>().prop_map(|i| ElementValue::Integer(i.into())),
        any::<u64>().prop_map(|u| ElementValue::Integer(u.into())),
        any::<u64>().prop_map(|u| ElementValue::Integer(-1 - i128::from(u))),
        any::<f64>()
            .prop_filter("NaN", |f| !f.is_nan())
            .prop_map(ElementValue::Float),
        ".{0,40}".prop_map(ElementValue::Text),
        proptest::collection::vec(any::<u8>(), 0..300).prop_map(ElementValue::Bytes),
        full_date(),
        tdate(),
    ]
}

fn value() -> impl Strategy<Value = ElementValue> {
    leaf().prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..8).prop_map(ElementValue::Array),
            proptest::collection::btree_map("[a-z_]{1,12}", inner.clone(), 0..8).prop_map(|m| {
                ElementValue::Map(
                    m.into_iter()
                        .map(|(k, v)| (ElementValue::Text(k), v))
                        .collect(),
                )
            }),
            (1005u64..100_000, inner).prop_map(|(t, v)| ElementValue::Tagged(t, Box::new(v))),
        ]
    })
}

proptest! {
    #[test]
    fn element_value_cbor_round_trip(v in value()) {
        let bytes = v.to_cbor();
        prop_assert_eq!(ElementValue::from_cbor(&bytes, &Limits::default()).unwrap(), v.clone());
        // Re-encoding the decoded value gives the same bytes (the writer is deterministic).
        prop_assert_eq!(ElementValue::from_cbor(&bytes, &Limits::default()).unwrap().to_cbor(), bytes);
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = ElementValue::from_cbor(&bytes, &Limits::default());
        let _ = mdoc_cbor::IssuerSigned::parse(&bytes, &Limits::default());
        let _ = mdoc_cbor::MobileSecurityObject::from_cbor(&bytes, &Limits::default());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn element_value_issue_verify_round_trip(v in value()) {
        let key = signer(Algorithm::Es256);
        let issued = Issuance::new(MDL_DOC_TYPE, &holder(), validity())
            .unwrap()
            .with_element("org.example.ns", "value", v.clone())
            .unwrap()
            .sign(&key, &[], &counter_rng())
            .unwrap();
        let trust = StaticKeys::from(key.public_jwk());
        let mdoc = Verifier::new(&trust)
            .verify(issued.as_cbor(), MDL_DOC_TYPE, UnixTime::from_secs(NOW))
            .unwrap();
        prop_assert_eq!(mdoc.element("org.example.ns", "value"), Some(&v));
    }
}
