//! Bad inputs, each asserting the exact error. Inputs that must reach a check behind the
//! signature are re-signed with the test issuer's key (see `support::resign`).

use jose_core::keys::StaticKeys;
use jose_core::{Algorithm, LocalSigner, UnixTime};
use mdoc_cbor::{
    DigestAlgorithm, Error, Issuance, IssuerSigned, Limits, MDL_DOC_TYPE, MDL_NAME_SPACE, Verifier,
};

use crate::support::{
    NOW, assemble, bstr, counter_rng, digest_id_of, head, holder, issue, item_inner, resign,
    signer, split, tag24, text, validity,
};

fn now() -> UnixTime {
    UnixTime::from_secs(NOW)
}

fn setup() -> (LocalSigner, Vec<u8>) {
    let key = signer(Algorithm::Es256);
    let cbor = issue(&key).into_cbor();
    (key, cbor)
}

fn verify(key: &LocalSigner, bytes: &[u8]) -> Result<mdoc_cbor::VerifiedMdoc, Error> {
    let trust = StaticKeys::from(key.public_jwk());
    Verifier::new(&trust).verify(bytes, MDL_DOC_TYPE, now())
}

fn replace(haystack: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    let at = haystack
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap();
    [&haystack[..at], with, &haystack[at + needle.len()..]].concat()
}

fn find(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap()
}

#[test]
fn digest_mismatch() {
    let (key, cbor) = setup();
    let tampered = replace(&cbor, b"\x63Doe", b"\x63Dof");
    assert_eq!(
        verify(&key, &tampered).err(),
        Some(Error::DigestMismatch {
            name_space: MDL_NAME_SPACE.into(),
            digest_id: digest_id_of(&cbor, "family_name"),
        })
    );
}

#[test]
fn digest_id_not_in_value_digests() {
    let (key, cbor) = setup();
    let (ns, items, auth) = split(&cbor);
    let id = digest_id_of(&cbor, "family_name");
    let auth = resign(&auth, &key, |mso| {
        mso.value_digests.get_mut(&ns).unwrap().remove(&id);
    });
    assert_eq!(
        verify(&key, &assemble(&[(&ns, items)], &auth)).err(),
        Some(Error::DigestMissing {
            name_space: ns.clone(),
            digest_id: id
        })
    );
    // A name space absent from valueDigests altogether.
    let (_, items, auth) = split(&cbor);
    let first = IssuerSigned::parse(&cbor, &Limits::default())
        .unwrap()
        .name_spaces[0]
        .1[0]
        .digest_id;
    assert_eq!(
        verify(&key, &assemble(&[("org.example.other", items)], &auth)).err(),
        Some(Error::DigestMissing {
            name_space: "org.example.other".into(),
            digest_id: first
        })
    );
}

/// ISO 18013-5 §9.1.2.4: `valueDigests` names at least one name space, each with at least
/// one digest (readers refuse an MSO without, so this crate neither issues nor accepts one).
#[test]
fn value_digests_without_a_digest() {
    let (key, cbor) = setup();
    let (ns, _, auth) = split(&cbor);
    let emptied = resign(&auth, &key, |mso| {
        mso.value_digests.get_mut(&ns).unwrap().clear();
    });
    assert_eq!(
        verify(&key, &assemble(&[], &emptied)).err(),
        Some(Error::UnexpectedValue {
            field: "valueDigests",
            reason: "every name space has at least one digest (ISO 18013-5 §9.1.2.4)",
        })
    );
    let none = resign(&auth, &key, |mso| mso.value_digests.clear());
    assert_eq!(
        verify(&key, &assemble(&[], &none)).err(),
        Some(Error::UnexpectedValue {
            field: "valueDigests",
            reason: "at least one name space (ISO 18013-5 §9.1.2.4)",
        })
    );
}

#[test]
fn an_mdoc_without_data_elements_is_not_issued() {
    let empty = Issuance::new(MDL_DOC_TYPE, &holder(), validity()).unwrap();
    assert!(matches!(
        empty.prepare(Algorithm::Es256, &[], &counter_rng()),
        Err(Error::NoDataElements)
    ));
    let no_elements = serde_json::json!({ MDL_NAME_SPACE: {} });
    let from_json = Issuance::from_json(
        MDL_DOC_TYPE,
        no_elements.as_object().unwrap(),
        &holder(),
        validity(),
    )
    .unwrap();
    assert!(matches!(
        from_json.prepare(Algorithm::Es256, &[], &counter_rng()),
        Err(Error::NoDataElements)
    ));
}

/// `Issuance::check_json` refuses exactly what `from_json` and `prepare` would refuse, with
/// the same error, and takes what they issue.
#[test]
fn check_json_refuses_what_issuing_would() {
    use serde_json::json;
    let deep = (0..mdoc_cbor::DEFAULT_MAX_DEPTH).fold(json!(1), |inner, _| json!([inner]));
    let refused = [
        (json!({}), Error::NoDataElements),
        (json!({ MDL_NAME_SPACE: {} }), Error::NoDataElements),
        (
            json!({ MDL_NAME_SPACE: {"age_over_18": "yes"} }),
            Error::InvalidElement {
                identifier: "age_over_18".into(),
                reason: "expected a JSON boolean",
            },
        ),
        (
            json!({ MDL_NAME_SPACE: ["family_name"] }),
            Error::InvalidElement {
                identifier: MDL_NAME_SPACE.into(),
                reason: "a name space must be a JSON object of elements",
            },
        ),
        (
            json!({ "": {"x": 1} }),
            Error::InvalidElement {
                identifier: "x".into(),
                reason: "empty name space or element identifier",
            },
        ),
        (
            json!({ "x": {"deep": deep} }),
            Error::InvalidElement {
                identifier: "deep".into(),
                reason: "nested too deeply",
            },
        ),
    ];
    for (claims, error) in refused {
        let claims = claims.as_object().unwrap();
        assert_eq!(
            Issuance::check_json(claims).err(),
            Some(error.clone()),
            "{claims:?}"
        );
        let issued =
            Issuance::from_json(MDL_DOC_TYPE, claims, &holder(), validity()).and_then(|issuance| {
                issuance
                    .prepare(Algorithm::Es256, &[], &counter_rng())
                    .map(drop)
            });
        assert_eq!(issued.err(), Some(error), "{claims:?}");
    }
    let fine = json!({ MDL_NAME_SPACE: {"age_over_18": true, "family_name": "Mustermann"} });
    let fine = fine.as_object().unwrap();
    assert_eq!(Issuance::check_json(fine), Ok(()));
    assert!(
        Issuance::from_json(MDL_DOC_TYPE, fine, &holder(), validity())
            .unwrap()
            .prepare(Algorithm::Es256, &[], &counter_rng())
            .is_ok()
    );
}

/// ISO 18013-5 Table 5 types, checked when claims come from JSON: a mistyped element is not
/// signed (readers that type-check elements would refuse it).
#[test]
fn mistyped_mdl_elements_are_not_issued() {
    use mdoc_cbor::{ElementValue, PID_NAME_SPACE, element_from_json};
    use serde_json::json;
    let cases = [
        (
            MDL_NAME_SPACE,
            "age_over_18",
            json!("yes"),
            "expected a JSON boolean",
        ),
        (
            PID_NAME_SPACE,
            "age_over_65",
            json!(1),
            "expected a JSON boolean",
        ),
        (
            MDL_NAME_SPACE,
            "sex",
            json!("F"),
            "expected an unsigned integer",
        ),
        (
            MDL_NAME_SPACE,
            "height",
            json!(-170),
            "expected an unsigned integer",
        ),
        (
            PID_NAME_SPACE,
            "age_in_years",
            json!(41.5),
            "expected an unsigned integer",
        ),
        (
            MDL_NAME_SPACE,
            "document_number",
            json!(12345),
            "expected a JSON string",
        ),
        (
            MDL_NAME_SPACE,
            "issuing_country",
            json!(["DE"]),
            "expected a JSON string",
        ),
        (
            MDL_NAME_SPACE,
            "issue_date",
            json!("2024-01-01T00:00"),
            "expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ",
        ),
    ];
    for (name_space, identifier, value, reason) in cases {
        assert_eq!(
            element_from_json(name_space, identifier, &value).err(),
            Some(Error::InvalidElement {
                identifier: identifier.into(),
                reason
            }),
            "{identifier} = {value}"
        );
    }
    let fine = [
        ("age_over_18", json!(true), ElementValue::Bool(true)),
        ("sex", json!(2), ElementValue::Integer(2)),
        (
            "document_number",
            json!("D-1"),
            ElementValue::Text("D-1".into()),
        ),
        (
            "issue_date",
            json!("2024-01-01"),
            ElementValue::full_date("2024-01-01").unwrap(),
        ),
        (
            "expiry_date",
            json!("2029-01-01T00:00:00Z"),
            ElementValue::tdate("2029-01-01T00:00:00Z").unwrap(),
        ),
        // Not an `age_over_NN` element, and not typed: plain JSON.
        (
            "age_over_eighteen",
            json!("yes"),
            ElementValue::Text("yes".into()),
        ),
    ];
    for (identifier, value, expected) in fine {
        assert_eq!(
            element_from_json(MDL_NAME_SPACE, identifier, &value),
            Ok(expected)
        );
    }
    // Other name spaces are not typed.
    assert_eq!(
        element_from_json("org.example.1", "age_over_18", &json!("yes")),
        Ok(ElementValue::Text("yes".into()))
    );
}

#[test]
fn duplicate_digest_id() {
    let (key, cbor) = setup();
    let (ns, items, auth) = split(&cbor);
    let first_id = IssuerSigned::parse(&cbor, &Limits::default())
        .unwrap()
        .name_spaces[0]
        .1[0]
        .digest_id;
    let doubled = [vec![items[0].clone()], items.clone()].concat();
    assert_eq!(
        verify(&key, &assemble(&[(&ns, doubled)], &auth)).err(),
        Some(Error::DuplicateDigestId {
            name_space: ns.clone(),
            digest_id: first_id
        })
    );
}

#[test]
fn wrong_doc_type() {
    let (key, cbor) = setup();
    let trust = StaticKeys::from(key.public_jwk());
    assert_eq!(
        Verifier::new(&trust)
            .verify(&cbor, "org.iso.23220.photoid.1", now())
            .err(),
        Some(Error::DocTypeMismatch {
            expected: "org.iso.23220.photoid.1".into(),
            found: MDL_DOC_TYPE.into()
        })
    );
    // In a DeviceResponse, the Document's own docType must match the MSO.
    let mut response = vec![0xa3];
    response.extend(text("version"));
    response.extend(text("1.0"));
    response.extend(text("documents"));
    response.push(0x81);
    response.push(0xa2);
    response.extend(text("docType"));
    response.extend(text("org.example.lie"));
    response.extend(text("issuerSigned"));
    response.extend_from_slice(&cbor);
    response.extend(text("status"));
    response.push(0x00);
    assert_eq!(
        Verifier::new(&trust)
            .verify_device_response(&response, now())
            .err(),
        Some(Error::DocTypeMismatch {
            expected: "org.example.lie".into(),
            found: MDL_DOC_TYPE.into()
        })
    );
}

#[test]
fn expired_and_not_yet_valid() {
    let (key, cbor) = setup();
    let trust = StaticKeys::from(key.public_jwk());
    let verifier = Verifier::new(&trust).with_clock_skew_seconds(0);
    let until = UnixTime::from_secs(NOW + 86_400 * 365);
    let late = until.saturating_add(1);
    assert_eq!(
        verifier.verify(&cbor, MDL_DOC_TYPE, late).err(),
        Some(Error::Expired {
            now: late,
            valid_until: until
        })
    );
    let early = now().saturating_sub(1);
    assert_eq!(
        verifier.verify(&cbor, MDL_DOC_TYPE, early).err(),
        Some(Error::NotYetValid {
            now: early,
            valid_from: now()
        })
    );
}

#[test]
fn bad_signature() {
    let (key, mut cbor) = setup();
    // issuerAuth is written last and its signature is its last element.
    *cbor.last_mut().unwrap() ^= 0x01;
    assert_eq!(verify(&key, &cbor).err(), Some(Error::SignatureInvalid));
    // The right signature under another key.
    let (_, good) = setup();
    assert_eq!(verify(&key, &good).err(), Some(Error::SignatureInvalid));
}

#[test]
fn non_minimal_tag24_item_is_verified_over_received_bytes() {
    let (key, cbor) = setup();
    let (ns, items, auth) = split(&cbor);
    let parsed = IssuerSigned::parse(&cbor, &Limits::default()).unwrap();
    let first = &parsed.name_spaces[0].1[0];
    // D8 18 58 LL <inner>  ->  D8 18 59 00 LL <inner> (a non-minimal 2-byte length).
    assert_eq!(items[0][2], 0x58);
    let non_minimal = [&[0xd8, 0x18, 0x59, 0x00][..], &items[0][3..]].concat();
    assert_eq!(non_minimal.len(), items[0].len() + 1);
    let id = first.digest_id;
    let digest = DigestAlgorithm::Sha256.digest(&non_minimal);
    let auth = resign(&auth, &key, |mso| {
        mso.value_digests.get_mut(&ns).unwrap().insert(id, digest);
    });
    let mut with_non_minimal = items.clone();
    with_non_minimal[0] = non_minimal;
    let mdoc = verify(&key, &assemble(&[(&ns, with_non_minimal)], &auth)).unwrap();
    assert_eq!(mdoc.element(&ns, first.identifier), Some(&first.value));
    // The same item re-encoded minimally no longer matches: nothing is re-serialised.
    assert_eq!(
        verify(&key, &assemble(&[(&ns, items)], &auth)).err(),
        Some(Error::DigestMismatch {
            name_space: ns.clone(),
            digest_id: id
        })
    );
}

#[test]
fn cbor_nesting_bomb() {
    let (key, cbor) = setup();
    let (ns, items, auth) = split(&cbor);
    let depth = 100_000;
    let bomb = [vec![0x81; depth], vec![0x00]].concat();
    let inner = item_inner(0, "bomb", &bomb);
    let item = tag24(&inner);
    let input = assemble(&[(&ns, vec![item.clone()])], &auth);
    let item_at = find(&input, &item[..40]);
    // 7 = D8 18 5A xx xx xx xx; the 17th array (index 16) crosses the default depth of 16.
    let expected = item_at + 7 + (inner.len() - bomb.len()) + 16;
    assert_eq!(
        verify(&key, &input).err(),
        Some(Error::TooDeep {
            structure: "elementValue",
            position: expected,
            max: 16
        })
    );
    // As the whole input.
    assert_eq!(
        IssuerSigned::parse(&bomb, &Limits::default()).err(),
        Some(Error::Malformed {
            structure: "IssuerSigned",
            position: 0,
            reason: "unexpected CBOR type"
        })
    );
    // As issuerAuth: skipped iteratively by the outer parse, refused by the COSE decoder.
    let input = assemble(&[(&ns, items.clone())], &bomb);
    assert_eq!(
        verify(&key, &input).err(),
        Some(Error::InvalidCose {
            reason: "malformed CBOR"
        })
    );
    // Under an unknown member: skipped without recursion, the rest verifies.
    let mut with_extra = assemble(&[(&ns, items)], &auth);
    with_extra[0] = 0xa3;
    with_extra.extend(text("x-unknown"));
    with_extra.extend(&bomb);
    assert!(verify(&key, &with_extra).is_ok());
}

#[test]
fn huge_declared_lengths() {
    let (key, cbor) = setup();
    let (ns, _, auth) = split(&cbor);
    // A tag-24 bstr declaring 4 GiB with one byte present.
    let item = vec![0xd8, 0x18, 0x5a, 0xff, 0xff, 0xff, 0xff, 0x00];
    let input = assemble(&[(&ns, vec![item.clone()])], &auth);
    let item_at = find(&input, &item);
    assert_eq!(
        verify(&key, &input).err(),
        Some(Error::Truncated {
            structure: "nameSpaces",
            position: item_at + 2
        })
    );
    // An item array declaring 2^64-1 entries.
    let mut input = vec![0xa1];
    input.extend(text("nameSpaces"));
    input.push(0xa1);
    input.extend(text(&ns));
    input.extend([0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    assert_eq!(
        IssuerSigned::parse(&input, &Limits::default()).err(),
        Some(Error::TooMany {
            what: "items in a name space",
            count: u64::MAX,
            max: 1024
        })
    );
    // A map declaring 2^32 name spaces.
    let mut input = vec![0xa1];
    input.extend(text("nameSpaces"));
    input.extend([0xba, 0xff, 0xff, 0xff, 0xff]);
    assert_eq!(
        IssuerSigned::parse(&input, &Limits::default()).err(),
        Some(Error::TooMany {
            what: "nameSpaces",
            count: 0xffff_ffff,
            max: 32
        })
    );
    // An input over the size limit is refused before parsing.
    let limits = Limits::default().with_max_input_len(100);
    assert_eq!(
        IssuerSigned::parse(&cbor, &limits).err(),
        Some(Error::TooLarge {
            len: cbor.len(),
            max: 100
        })
    );
    let _ = bstr(&[]);
    let _ = head(0, 0);
}

#[test]
fn trailing_bytes() {
    let (key, cbor) = setup();
    let with_tail = [cbor.clone(), vec![0x00]].concat();
    assert_eq!(
        verify(&key, &with_tail).err(),
        Some(Error::TrailingBytes {
            structure: "IssuerSigned",
            position: cbor.len()
        })
    );
    // Inside a tag-24 item: the embedded bstr holds one item plus a byte.
    let (ns, _, auth) = split(&cbor);
    let inner = [item_inner(0, "family_name", &text("Doe")), vec![0x00]].concat();
    let item = tag24(&inner);
    let input = assemble(&[(&ns, vec![item.clone()])], &auth);
    let inner_at = find(&input, &item) + 4;
    assert_eq!(
        verify(&key, &input).err(),
        Some(Error::TrailingBytes {
            structure: "IssuerSignedItem",
            position: inner_at + inner.len() - 1
        })
    );
}

#[test]
fn structural_errors() {
    let (key, cbor) = setup();
    let (ns, items, auth) = split(&cbor);
    // A tag other than 24 on an item.
    let mut wrong_tag = items[0].clone();
    wrong_tag[1] = 0x19;
    assert_eq!(
        verify(&key, &assemble(&[(&ns, vec![wrong_tag])], &auth)).err(),
        Some(Error::UnexpectedValue {
            field: "nameSpaces",
            reason: "expected #6.24(bstr)"
        })
    );
    // Duplicate member in IssuerSigned.
    let mut dup = vec![0xa2];
    dup.extend(text("issuerAuth"));
    dup.extend(&auth);
    let dup_at = dup.len();
    dup.extend(text("issuerAuth"));
    dup.extend(&auth);
    assert_eq!(
        verify(&key, &dup).err(),
        Some(Error::DuplicateKey {
            structure: "IssuerSigned",
            position: dup_at
        })
    );
    // Missing issuerAuth.
    assert_eq!(
        verify(&key, &[0xa0]).err(),
        Some(Error::MissingField {
            structure: "IssuerSigned",
            field: "issuerAuth"
        })
    );
    // Indefinite-length outer map.
    assert_eq!(
        verify(&key, &[0xbf, 0xff]).err(),
        Some(Error::Malformed {
            structure: "IssuerSigned",
            position: 0,
            reason: "indefinite length"
        })
    );
    // An item without random.
    let mut inner = vec![0xa3];
    inner.extend(text("digestID"));
    inner.push(0x00);
    inner.extend(text("elementIdentifier"));
    inner.extend(text("x"));
    inner.extend(text("elementValue"));
    inner.push(0x01);
    assert_eq!(
        verify(&key, &assemble(&[(&ns, vec![tag24(&inner)])], &auth)).err(),
        Some(Error::MissingField {
            structure: "IssuerSignedItem",
            field: "random"
        })
    );
    // A random of 15 bytes (ISO 18013-5 §9.1.2.4: at least 16).
    let short = replace(
        &item_inner(0, "x", &[0x01]),
        &bstr(&[7u8; 16]),
        &bstr(&[7u8; 15]),
    );
    assert_eq!(
        verify(&key, &assemble(&[(&ns, vec![tag24(&short)])], &auth)).err(),
        Some(Error::UnexpectedValue {
            field: "random",
            reason: "must be at least 16 bytes"
        })
    );
    // A digestID of 2^31.
    let inner = item_inner(1 << 31, "x", &[0x01]);
    assert_eq!(
        verify(&key, &assemble(&[(&ns, vec![tag24(&inner)])], &auth)).err(),
        Some(Error::UnexpectedValue {
            field: "digestID",
            reason: "must be below 2^31"
        })
    );
    // Duplicate element identifier under two digestIDs, both correctly digested.
    let a = tag24(&item_inner(100, "family_name", &text("A")));
    let b = tag24(&item_inner(101, "family_name", &text("B")));
    let (da, db) = (
        DigestAlgorithm::Sha256.digest(&a),
        DigestAlgorithm::Sha256.digest(&b),
    );
    let auth2 = resign(&auth, &key, |mso| {
        let digests = mso.value_digests.get_mut(&ns).unwrap();
        digests.insert(100, da);
        digests.insert(101, db);
    });
    let duplicated = assemble(&[(&ns, vec![a, b])], &auth2);
    let expected = Error::DuplicateElement {
        name_space: ns.clone(),
        identifier: "family_name".into(),
    };
    assert_eq!(verify(&key, &duplicated).err(), Some(expected.clone()));
    // The borrowed path (the caller's parse, values cloned) refuses it the same way as
    // `verify` (its own parse, values moved).
    let parsed = IssuerSigned::parse(&duplicated, &Limits::default()).unwrap();
    let trust = StaticKeys::from(key.public_jwk());
    assert_eq!(
        Verifier::new(&trust)
            .verify_parsed(&parsed, MDL_DOC_TYPE, now())
            .err(),
        Some(expected)
    );
}

/// `verify` (its own parse: element values move into the result) and `verify_parsed` (the
/// caller's parse: values cloned) give the same result, and the caller's parse is intact.
#[test]
fn verify_and_verify_parsed_agree() {
    let (key, cbor) = setup();
    let trust = StaticKeys::from(key.public_jwk());
    let verifier = Verifier::new(&trust);
    let owned = verifier.verify(&cbor, MDL_DOC_TYPE, now()).unwrap();
    let parsed = IssuerSigned::parse(&cbor, &Limits::default()).unwrap();
    let before = parsed.clone();
    let borrowed = verifier
        .verify_parsed(&parsed, MDL_DOC_TYPE, now())
        .unwrap();
    assert_eq!(owned, borrowed);
    assert_eq!(parsed, before);
    assert!(!owned.name_spaces[MDL_NAME_SPACE].is_empty());
}
