//! RFC 9901 examples (`sd-jwt-rfc-draft/`), SD-JWT VC draft examples (`sd-jwt-vc-draft/`) and
//! the extracted known answers (`extracted/sd-jwt-vectors.json`). SOURCES.md §3b, §3c.

use jose_core::keys::StaticKeys;
use jose_core::{Algorithm, UnixTime};
use sdjwt_vc::{Disclosure, DisclosureEncoding, Error, KeyBinding, Verifier};
use serde_json::Value;

use crate::common::{example_issuer_key, order_preserved_for, read_json};

fn check_disclosure_examples(file: &str) -> usize {
    let doc = read_json(file);
    let examples = doc["disclosure_examples"].as_array().unwrap();
    for example in examples {
        let encoded = example["disclosure"].as_str().unwrap();
        let d = Disclosure::parse(encoded, 32).unwrap();
        assert_eq!(
            d.digest(),
            example["sha256_digest"].as_str().unwrap(),
            "{encoded}"
        );
        let decoded = example["decoded"].as_array().unwrap();
        assert_eq!(d.salt(), decoded[0].as_str().unwrap());
        let (name, value) = match decoded.len() {
            3 => (decoded[1].as_str().map(str::to_owned), decoded[2].clone()),
            _ => (None, decoded[1].clone()),
        };
        assert_eq!(d.name().map(str::to_owned), name);
        assert_eq!(d.value(), &value);
        // Issuance side: the same salt, name and value in the examples' text form give the
        // same string, hence the same digest.
        let exact = order_preserved_for(&value);
        let made = Disclosure::create(d.salt().to_owned(), name, value, DisclosureEncoding::Spaced);
        if exact {
            assert_eq!(made.as_str(), encoded);
        } else {
            // Without `preserve_order`, object members are written sorted: same content.
            assert_eq!(made.value(), d.value());
        }
    }
    examples.len()
}

#[test]
fn test_rfc9901_disclosure_digests_reproduce() {
    assert_eq!(
        check_disclosure_examples("sd-jwt-rfc-draft/extracted_examples.json"),
        87
    );
}

#[test]
fn test_sd_jwt_vc_draft_disclosure_digests_reproduce() {
    assert_eq!(
        check_disclosure_examples("sd-jwt-vc-draft/extracted_examples.json"),
        37
    );
}

#[test]
fn test_rfc9901_known_answers_and_equivalent_encodings() {
    let doc = read_json("extracted/sd-jwt-vectors.json");
    for example in doc["hash_examples"].as_array().unwrap() {
        let d = Disclosure::parse(example["disclosure"].as_str().unwrap(), 32).unwrap();
        assert_eq!(d.digest(), example["sha256"].as_str().unwrap());
    }
    // Three other encodings of the family_name disclosure: same content, each its own digest
    // (the digest covers the received string, never a re-encoding).
    let canonical =
        Disclosure::parse(doc["hash_examples"][0]["disclosure"].as_str().unwrap(), 32).unwrap();
    let mut digests = vec![canonical.digest().to_owned()];
    for encoded in doc["equivalent_encodings_of_family_name"]
        .as_array()
        .unwrap()
    {
        let d = Disclosure::parse(encoded.as_str().unwrap(), 32).unwrap();
        assert_eq!(d.value(), canonical.value());
        assert_eq!(d.name(), canonical.name());
        assert!(!digests.contains(&d.digest().to_owned()));
        digests.push(d.digest().to_owned());
    }
}

fn verify_example(example: &Value, vc: bool) -> Result<sdjwt_vc::Verified, Error> {
    let keys = StaticKeys::new(vec![example_issuer_key()]);
    let check = example.get("check").unwrap_or(example);
    let (binding, now) = match check.get("kb_payload") {
        Some(kb) => (
            KeyBinding::required(kb["aud"].as_str().unwrap(), kb["nonce"].as_str().unwrap()),
            UnixTime::from_secs(kb["iat"].as_i64().unwrap()),
        ),
        None => (KeyBinding::forbidden(), UnixTime::from_secs(1_700_000_000)),
    };
    let verifier = Verifier::new(&keys, &[Algorithm::Es256], binding);
    let verifier = if vc {
        verifier
    } else {
        verifier.plain_sd_jwt(None)
    };
    let input = match example.get("compact") {
        Some(compact) => compact.as_str().unwrap().to_owned(),
        None => example["jws_json"].to_string(),
    };
    verifier.verify(&input, now)
}

#[test]
fn test_rfc9901_compact_examples_verify() {
    let doc = read_json("sd-jwt-rfc-draft/extracted_examples.json");
    let examples = doc["compact_examples"].as_array().unwrap();
    assert_eq!(examples.len(), 9);
    for example in examples {
        let id = example["id"].as_str().unwrap();
        if example["kind"] == "JWS" {
            // §5.1 shows the bare issuer-signed JWT, which is not an SD-JWT on its own.
            assert_eq!(
                verify_example(example, false).unwrap_err(),
                Error::Malformed {
                    reason: "no ~ separator: a bare JWT is not an SD-JWT"
                },
                "{id}"
            );
            continue;
        }
        let verified = verify_example(example, false).unwrap_or_else(|e| panic!("{id}: {e}"));
        let check = &example["check"];
        assert_eq!(
            verified.disclosed().len(),
            usize::try_from(check["n_disclosures"].as_u64().unwrap()).unwrap(),
            "{id}"
        );
        assert_eq!(
            verified.key_binding().is_some(),
            check.get("kb_payload").is_some(),
            "{id}"
        );
        if let Some(kb) = check.get("kb_payload") {
            assert_eq!(
                verified.key_binding().unwrap().sd_hash,
                kb["sd_hash"].as_str().unwrap()
            );
        }
    }
}

#[test]
fn test_rfc9901_simple_example_gives_verified_contents() {
    let doc = read_json("extracted/sd-jwt-vectors.json");
    let simple = &doc["simple_example"];
    let keys = StaticKeys::new(vec![example_issuer_key()]);
    let presentation = simple["sample_presentation_regenerated"].as_str().unwrap();
    let kb_iat = {
        let kb = presentation.rsplit('~').next().unwrap();
        let payload = kb.split('.').nth(1).unwrap();
        let claims: Value =
            serde_json::from_slice(&jose_core::base64url::decode(payload).unwrap()).unwrap();
        claims["iat"].as_i64().unwrap()
    };
    let verified = Verifier::new(
        &keys,
        &[Algorithm::Es256],
        KeyBinding::required("https://verifier.example.org", "1234567890"),
    )
    .plain_sd_jwt(Some("example+sd-jwt"))
    .verify(presentation, UnixTime::from_secs(kb_iat))
    .unwrap();
    assert_eq!(
        &Value::Object(verified.claims().clone()),
        &simple["verified_contents"]
    );
}

#[test]
fn test_rfc9901_json_serialization_examples_verify() {
    let doc = read_json("sd-jwt-rfc-draft/extracted_examples.json");
    let examples = doc["json_serialization_examples"].as_array().unwrap();
    assert_eq!(examples.len(), 3);
    for example in examples {
        let id = example["id"].as_str().unwrap();
        let header = example["jws_json"]
            .get("header")
            .unwrap_or_else(|| &example["jws_json"]["signatures"][0]["header"]);
        let keys = StaticKeys::new(vec![example_issuer_key()]);
        let (binding, now) = match header.get("kb_jwt") {
            Some(_) => (
                KeyBinding::required("https://verifier.example.org", "1234567890"),
                UnixTime::from_secs(1_748_536_865),
            ),
            None => (KeyBinding::forbidden(), UnixTime::from_secs(1_700_000_000)),
        };
        let verified = Verifier::new(&keys, &[Algorithm::Es256], binding)
            .plain_sd_jwt(Some("example+sd-jwt"))
            .verify(&example["jws_json"].to_string(), now)
            .unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(
            verified.disclosed().len(),
            header["disclosures"].as_array().unwrap().len(),
            "{id}"
        );
        assert_eq!(
            verified.key_binding().is_some(),
            header.get("kb_jwt").is_some(),
            "{id}"
        );
    }
}

#[test]
fn test_sd_jwt_vc_draft_examples_verify_as_sd_jwt_vc() {
    let doc = read_json("sd-jwt-vc-draft/extracted_examples.json");
    let examples = doc["compact_examples"].as_array().unwrap();
    assert_eq!(examples.len(), 5);
    for example in examples {
        let id = example["id"].as_str().unwrap();
        let verified = verify_example(example, true).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert!(verified.claims()["vct"].is_string(), "{id}");
        assert_eq!(
            verified.disclosed().len(),
            usize::try_from(example["check"]["n_disclosures"].as_u64().unwrap()).unwrap(),
            "{id}"
        );
        assert!(verified.header().typ_matches("dc+sd-jwt"));
    }
}

#[test]
fn test_rfc9901_a3_sd_jwt_vc_example_verifies_as_sd_jwt_vc() {
    let doc = read_json("sd-jwt-rfc-draft/extracted_examples.json");
    for example in doc["compact_examples"].as_array().unwrap() {
        if example["check"]["header"]["typ"] == "dc+sd-jwt" {
            let verified = verify_example(example, true).unwrap();
            assert!(verified.claims().contains_key("vct"));
        }
    }
}
