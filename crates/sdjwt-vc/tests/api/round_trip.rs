//! Issue, present and verify end to end: nested and array disclosures, decoys, the two-phase
//! signing forms, JSON serialization, resolvers.

use jose_core::keys::{KeyFn, KeyLookup, KeyLookupError, KeyQuery, StaticKeys};
use jose_core::{Algorithm, LocalSigner, PublicJwk, Signer, SystemRandom, UnixTime};
use sdjwt_vc::{
    ClaimPath, Decoys, Error, IssuerMetadata, KeyBinding, Limits, SdJwt, SdJwtVcBuilder,
    StatusIndex, StatusListReference, Verifier,
};
use serde_json::{Value, json};

const NOW: i64 = 1_750_000_000;

fn now() -> UnixTime {
    UnixTime::from_secs(NOW)
}

fn person() -> serde_json::Map<String, Value> {
    json!({
        "given_name": "Erika",
        "family_name": "Mustermann",
        "address": {"street_address": "Heidestraße 17", "locality": "Köln", "country": "DE"},
        "nationalities": ["DE", "FR"],
        "degrees": [{"type": "BSc", "year": 2001}, {"type": "MSc", "year": 2004}]
    })
    .as_object()
    .unwrap()
    .clone()
}

fn policy() -> Vec<ClaimPath> {
    vec![
        ClaimPath::key("given_name"),
        ClaimPath::key("family_name"),
        ClaimPath::key("address"),
        ClaimPath::key("address").then_key("street_address"),
        ClaimPath::key("address").then_key("locality"),
        ClaimPath::key("nationalities").then_all(),
        ClaimPath::key("degrees").then_all().then_key("year"),
    ]
}

#[test]
fn nested_issue_present_verify_with_decoys_and_kb() {
    let rng = SystemRandom::new();
    let issuer = LocalSigner::generate(Algorithm::Es256, &rng).unwrap();
    let holder = LocalSigner::generate(Algorithm::Es256, &rng).unwrap();
    let unsigned = SdJwtVcBuilder::new("urn:eudi:pid:1", person())
        .with_issuer("https://issuer.example")
        .with_issued_at(now())
        .with_expires_at(now().saturating_add(3600))
        .with_not_before(now())
        .with_holder_key(holder.public_jwk())
        .with_status(StatusListReference::new(
            StatusIndex::new(7),
            "https://issuer.example/status/1",
        ))
        .with_key_id("issuer-key-1")
        .with_disclosable_paths(policy())
        .with_decoys(Decoys::pad_to(5).with_min_decoys(1))
        .prepare(Algorithm::Es256, &rng)
        .unwrap();
    assert_eq!(unsigned.disclosures().len(), 9);
    // Two-phase: the bytes go to a "KMS", the signature comes back.
    let signature = issuer.sign(unsigned.signing_input()).unwrap();
    let issued = unsigned.attach_signature(&signature).unwrap();

    // The payload: decoys padded every object with disclosable members to >= 5 digests
    // (top level: 3 real + 2 decoys; address: 2 + 3; degrees[i]: 1 + 4), sorted.
    let payload_b64 = issued.jwt().split('.').nth(1).unwrap();
    let payload: Value =
        serde_json::from_slice(&jose_core::base64url::decode(payload_b64).unwrap()).unwrap();
    let top = payload["_sd"].as_array().unwrap();
    assert_eq!(top.len(), 5);
    assert!(top.windows(2).all(|w| w[0].as_str() < w[1].as_str()));
    assert_eq!(payload["_sd_alg"], "sha-256");
    assert_eq!(
        payload["status"],
        json!({"status_list": {"idx": 7, "uri": "https://issuer.example/status/1"}})
    );
    assert_eq!(payload["cnf"]["jwk"], holder.public_jwk().to_value());
    assert!(payload.get("given_name").is_none());
    assert_eq!(payload["degrees"][0]["_sd"].as_array().unwrap().len(), 5);
    assert_eq!(payload["degrees"][0]["type"], "BSc");
    assert_eq!(payload["nationalities"][0].as_object().unwrap().len(), 1);
    // Salts are 128 bits.
    for d in issued.disclosures() {
        assert_eq!(jose_core::base64url::decode(d.salt()).unwrap().len(), 16);
    }

    // Wallet receipt check: signature and structure, KB forbidden.
    let keys = StaticKeys::new(vec![issuer.public_jwk().with_kid("issuer-key-1")]);
    let receipt = Verifier::new(&keys, &[Algorithm::Es256], KeyBinding::forbidden())
        .verify(&issued.to_compact(), now())
        .unwrap();
    let mut full = person();
    full.insert("iss".into(), "https://issuer.example".into());
    assert_eq!(receipt.claims()["address"], full["address"]);
    assert_eq!(receipt.claims()["degrees"], full["degrees"]);
    assert_eq!(receipt.disclosed().len(), 9);
    assert_eq!(
        receipt.status_list(),
        Some(&StatusListReference::new(
            StatusIndex::new(7),
            "https://issuer.example/status/1"
        ))
    );

    // Present the locality only: brings the address container (its parent), not the street.
    let stored = SdJwt::parse(&issued.to_compact(), &Limits::default()).unwrap();
    let presentation = stored.present(&[
        ClaimPath::key("address").then_key("locality"),
        ClaimPath::key("nationalities").then_index(1),
    ]);
    assert_eq!(presentation.disclosures().len(), 3);
    let unsigned_kb = presentation
        .key_binding(
            Algorithm::Es256,
            "https://verifier.example",
            "nonce-1",
            now(),
        )
        .unwrap();
    let kb_signature = holder.sign(unsigned_kb.signing_input()).unwrap();
    let sd_jwt_kb = unsigned_kb.attach_signature(&kb_signature).unwrap();

    let verifier = Verifier::new(
        &keys,
        &[Algorithm::Es256],
        KeyBinding::required("https://verifier.example", "nonce-1"),
    );
    let verified = verifier.verify(&sd_jwt_kb, now()).unwrap();
    assert_eq!(
        verified.claims()["address"],
        json!({"locality": "Köln", "country": "DE"})
    );
    assert_eq!(verified.claims()["nationalities"], json!(["FR"]));
    assert_eq!(
        verified.claims()["degrees"],
        json!([{"type": "BSc"}, {"type": "MSc"}])
    );
    assert!(verified.claims().get("given_name").is_none());
    let mut disclosed = verified.disclosed().to_vec();
    disclosed.sort();
    assert_eq!(
        disclosed,
        [
            ClaimPath::key("address"),
            ClaimPath::key("address").then_key("locality"),
            ClaimPath::key("nationalities").then_index(0),
        ]
    );
    let kb = verified.key_binding().unwrap();
    assert_eq!(kb.nonce, "nonce-1");
    assert_eq!(
        kb.sd_hash,
        sdjwt_vc::sha256_base64url(&presentation.to_compact())
    );

    // Selecting `address` brings everything beneath it.
    let whole = stored.present(&[ClaimPath::key("address")]);
    assert_eq!(whole.disclosures().len(), 3);
}

#[test]
fn json_serialization_round_trip() {
    let rng = SystemRandom::new();
    let issuer = LocalSigner::generate(Algorithm::Es256, &rng).unwrap();
    let issued = SdJwtVcBuilder::new("urn:x", person())
        .with_disclosable(ClaimPath::key("given_name"))
        .issue(&issuer, &rng)
        .unwrap();
    let keys = StaticKeys::new(vec![issuer.public_jwk()]);
    let verified = Verifier::new(&keys, &[Algorithm::Es256], KeyBinding::forbidden())
        .verify(&issued.to_json(), now())
        .unwrap();
    assert_eq!(verified.claims()["given_name"], "Erika");
    assert_eq!(verified.disclosed(), &[ClaimPath::key("given_name")]);
}

#[test]
fn issuer_metadata_and_x5c_resolvers() {
    let rng = SystemRandom::new();
    let issuer = LocalSigner::generate(Algorithm::Es256, &rng).unwrap();
    let issued = SdJwtVcBuilder::new("urn:x", person())
        .with_issuer("https://issuer.example")
        .with_key_id("k1")
        .with_x5c(vec![vec![0x30, 0x00]])
        .issue(&issuer, &rng)
        .unwrap()
        .to_compact();
    let jwk = issuer.public_jwk().with_kid("k1").to_value();
    let metadata = json!({"issuer": "https://issuer.example", "jwks": {"keys": [jwk]}});
    let resolver = IssuerMetadata::from_json(metadata.to_string().as_bytes()).unwrap();
    let verifier = Verifier::new(&resolver, &[Algorithm::Es256], KeyBinding::forbidden());
    assert!(verifier.verify(&issued, now()).is_ok());
    // What an issuer serves is what the parser reads.
    let served = IssuerMetadata::new(
        "https://issuer.example",
        vec![issuer.public_jwk().with_kid("k1")],
    );
    assert_eq!(served.to_value(), metadata);
    assert_eq!(resolver, served);

    let other = json!({"issuer": "https://other.example", "jwks": {"keys": [jwk]}});
    let resolver = IssuerMetadata::from_json(other.to_string().as_bytes()).unwrap();
    let verifier = Verifier::new(&resolver, &[Algorithm::Es256], KeyBinding::forbidden());
    assert_eq!(
        verifier.verify(&issued, now()).unwrap_err(),
        Error::IssuerKey {
            reason: "issuer metadata: iss does not equal the metadata issuer".into()
        }
    );
    let uri_only =
        json!({"issuer": "https://issuer.example", "jwks_uri": "https://issuer.example/jwks"});
    assert_eq!(
        IssuerMetadata::from_json(uri_only.to_string().as_bytes()).unwrap_err(),
        Error::IssuerKey {
            reason: "issuer metadata: only jwks_uri: fetch it and use from_parts".into()
        }
    );

    // x5c: the closure sees the chain and iss, and returns the trusted leaf key.
    let leaf = issuer.public_jwk();
    let x5c = KeyFn::new(move |query: &KeyQuery<'_>, at: UnixTime| {
        assert_eq!(query.x5c(), Some(&[vec![0x30, 0x00]][..]));
        assert_eq!(query.issuer(), Some("https://issuer.example"));
        assert_eq!(at, now());
        Ok(vec![leaf.clone()])
    });
    let verifier = Verifier::new(&x5c, &[Algorithm::Es256], KeyBinding::forbidden());
    assert!(verifier.verify(&issued, now()).is_ok());

    // Closures are resolvers too; a kid that matches nothing is refused.
    let closure = KeyFn::new(|query: &KeyQuery<'_>, _: UnixTime| {
        Ok(StaticKeys::new(vec![
            PublicJwk::from_value(&json!({"kty": "OKP", "crv": "Ed25519",
            "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "kid": "other"}))
            .unwrap(),
        ])
        .as_slice()
        .iter()
        .filter(|k| k.kid() == query.kid())
        .cloned()
        .collect())
    });
    let verifier = Verifier::new(&closure, &[Algorithm::Es256], KeyBinding::forbidden());
    assert_eq!(
        verifier.verify(&issued, now()).unwrap_err(),
        Error::IssuerKey {
            reason: "the resolver returned no key".into()
        }
    );

    // A kid no static key has: the lookup's miss, as IssuerKey.
    let keys = StaticKeys::new(vec![issuer.public_jwk().with_kid("k2")]);
    let verifier = Verifier::new(&keys, &[Algorithm::Es256], KeyBinding::forbidden());
    assert_eq!(
        verifier.verify(&issued, now()).unwrap_err(),
        Error::IssuerKey {
            reason: "no configured key matches the kid".into()
        }
    );
    // A lookup that cannot answer is the server's fault, not the token's.
    let down: &dyn KeyLookup = &KeyFn::new(|_: &KeyQuery<'_>, _: UnixTime| {
        Err(KeyLookupError::unavailable("metadata fetch timed out"))
    });
    let verifier = Verifier::new(down, &[Algorithm::Es256], KeyBinding::forbidden());
    assert_eq!(
        verifier.verify(&issued, now()).unwrap_err(),
        Error::KeyLookupUnavailable {
            reason: "metadata fetch timed out".into()
        }
    );
}

// Runs under `RUSTFLAGS="--cfg fuzzing"` (the fuzz helpers are compiled only there).
#[cfg(fuzzing)]
#[test]
fn fuzz_helpers_accept_their_seeds() {
    let doc = crate::common::read_json("sd-jwt-rfc-draft/extracted_examples.json");
    let compact = |i: usize| {
        doc["compact_examples"][i]["compact"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(sdjwt_vc::fuzzing::verify(compact(1).as_bytes()), Ok(()));
    assert_eq!(sdjwt_vc::fuzzing::kb_verify(compact(2).as_bytes()), Ok(()));
    let disclosure = doc["disclosure_examples"][0]["disclosure"]
        .as_str()
        .unwrap();
    assert_eq!(
        sdjwt_vc::fuzzing::disclosure_decode(disclosure.as_bytes()),
        Ok(())
    );
    assert_eq!(
        sdjwt_vc::fuzzing::verify(b"\xff"),
        Err(Error::Malformed { reason: "utf-8" })
    );
}

#[test]
fn issuance_draws_all_salts_and_decoys_in_one_call() {
    let calls = std::cell::RefCell::new(Vec::new());
    let counting = |dest: &mut [u8]| -> Result<(), jose_core::Error> {
        calls.borrow_mut().push(dest.len());
        dest.fill(7);
        Ok(())
    };
    let built = sdjwt_vc::SdJwtBuilder::new(person())
        .with_disclosable_paths(policy())
        .with_decoys(Decoys::pad_to(5))
        .with_salt_len(20)
        .build(&counting)
        .unwrap();
    // One request, for exactly one 20-byte salt per disclosure and per decoy.
    let sd_entries = |value: &Value| -> usize {
        fn walk(value: &Value) -> usize {
            match value {
                Value::Object(map) => {
                    let own = map.get("_sd").and_then(Value::as_array).map_or(0, Vec::len);
                    own + map.values().map(walk).sum::<usize>()
                }
                Value::Array(items) => items.iter().map(walk).sum(),
                _ => 0,
            }
        }
        walk(value)
    };
    let in_payload = sd_entries(&Value::Object(built.payload().clone()));
    let in_disclosures: usize = built
        .disclosures()
        .iter()
        .map(|d| sd_entries(d.value()))
        .sum();
    let array_elements = built
        .disclosures()
        .iter()
        .filter(|d| d.name().is_none())
        .count();
    let object_members = built.disclosures().len() - array_elements;
    let decoys = in_payload + in_disclosures - object_members;
    assert!(decoys > 0);
    assert_eq!(
        *calls.borrow(),
        vec![(built.disclosures().len() + decoys) * 20]
    );
    assert!(
        built
            .disclosures()
            .iter()
            .all(|d| d.salt() == "BwcHBwcHBwcHBwcHBwcHBwcHBwc")
    );
}

#[test]
fn signing_input_is_the_one_jose_core_makes() {
    let rng = SystemRandom::new();
    let built = sdjwt_vc::SdJwtBuilder::new(person())
        .with_disclosable_paths(policy())
        .build(&rng)
        .unwrap();
    let header = jose_core::Header::new(Algorithm::Es256)
        .with_typ("example+sd-jwt")
        .with_kid("k-1");
    let expected = jose_core::UnsignedJws::new(&header, built.payload()).unwrap();
    let unsigned = built.into_unsigned(&header).unwrap();
    assert_eq!(unsigned.signing_input(), expected.signing_input());
    // A DER signature (wrong length for ES256) is refused when attached.
    let err = unsigned.clone().attach_signature(&[0; 70]).unwrap_err();
    assert_eq!(
        err,
        Error::Jose {
            what: "issuer-signed JWT",
            error: jose_core::Error::SignatureLength {
                alg: Algorithm::Es256,
                len: 70,
                expected: 64
            }
        }
    );
    let eddsa = LocalSigner::generate(Algorithm::EdDsa, &rng).unwrap();
    assert_eq!(
        unsigned.sign(&eddsa).unwrap_err(),
        Error::Jose {
            what: "issuer-signed JWT",
            error: jose_core::Error::KeyAlgorithmMismatch {
                alg: Algorithm::Es256,
                key: "signer"
            }
        }
    );
}

#[test]
fn status_claim_is_read_strictly() {
    let rng = SystemRandom::new();
    let issuer = LocalSigner::generate(Algorithm::Es256, &rng).unwrap();
    let keys = StaticKeys::new(vec![issuer.public_jwk()]);
    let verify = |status: Value| {
        let mut claims = person();
        claims.insert("vct".into(), "urn:eudi:pid:1".into());
        claims.insert("status".into(), status);
        let header = jose_core::Header::new(Algorithm::Es256).with_typ("dc+sd-jwt");
        let issued = sdjwt_vc::SdJwtBuilder::new(claims)
            .with_disclosable(ClaimPath::key("given_name"))
            .build(&rng)
            .unwrap()
            .into_unsigned(&header)
            .unwrap()
            .sign(&issuer)
            .unwrap();
        Verifier::new(&keys, &[Algorithm::Es256], KeyBinding::forbidden())
            .verify(&issued.to_compact(), now())
            .map(|v| v.status_list().cloned())
    };
    let uri = "https://issuer.example/status/9";
    assert_eq!(
        verify(json!({"status_list": {"idx": 12, "uri": uri}})),
        Ok(Some(StatusListReference::new(StatusIndex::new(12), uri)))
    );
    // Another mechanism only: nothing for this crate to check.
    assert_eq!(verify(json!({"other_mechanism": {"id": 1}})), Ok(None));
    let exact =
        "status_list must hold exactly idx (an unsigned integer) and uri (a non-empty string)";
    for (status, reason) in [
        (json!("revoked"), "not an object"),
        (
            json!({"status_list": [12, uri]}),
            "status_list is not an object",
        ),
        (json!({"status_list": {"idx": -1, "uri": uri}}), exact),
        (json!({"status_list": {"idx": 12, "uri": ""}}), exact),
        (json!({"status_list": {"idx": 12}}), exact),
        (
            json!({"status_list": {"idx": 12, "uri": uri, "bits": 1}}),
            exact,
        ),
    ] {
        assert_eq!(
            verify(status.clone()),
            Err(Error::InvalidClaim {
                name: "status",
                reason
            }),
            "{status}"
        );
    }
}

/// Borrowed claims issue exactly what owned claims issue, from the same random bytes: every
/// kind of scalar, escapes, nested and array disclosures, a disclosable object with nothing
/// disclosable inside, array elements disclosed with disclosures beneath them, an array
/// disclosed whole with its elements disclosed too, an array left whole, decoys. Each
/// disclosure's name and value are the ones a parse of its text gives, the claims are
/// unchanged, and the SD-JWT VC's signing input and disclosures are byte for byte the ones the
/// issuer made before issuance read claims by reference (pinned by their digest, taken from
/// that version, in either member order).
#[test]
fn borrowed_claims_issue_what_owned_claims_issue() {
    let mut claims = person();
    let extra = json!({
        "null": null, "yes": true, "no": false, "int": -7, "big": u64::MAX, "float": 1.5e-7,
        "escaped \"name\"": "a\"b\\c\n\u{1} Köln 😀",
        "kept_whole": [{"a": [1, {"b": null}]}, "x"],
        "opaque": {"deep": {"deeper": [1, 2]}},
    });
    claims.extend(extra.as_object().unwrap().clone());
    let before = claims.clone();
    let mut paths = policy();
    paths.push(ClaimPath::key("degrees").then_all());
    paths.push(ClaimPath::key("nationalities"));
    paths.extend(
        extra
            .as_object()
            .unwrap()
            .keys()
            .filter(|name| *name != "kept_whole")
            .map(ClaimPath::key),
    );
    let counter = |dest: &mut [u8]| -> Result<(), jose_core::Error> {
        for (i, byte) in dest.iter_mut().enumerate() {
            *byte = u8::try_from(i % 251).unwrap();
        }
        Ok(())
    };
    let build = |builder: sdjwt_vc::SdJwtBuilder<'_>| {
        builder
            .with_disclosable_paths(paths.clone())
            .with_decoys(Decoys::pad_to(4))
            .build(&counter)
            .unwrap()
    };
    let owned = build(sdjwt_vc::SdJwtBuilder::new(claims.clone()));
    let borrowed = build(sdjwt_vc::SdJwtBuilder::borrowing(&claims));
    assert_eq!(borrowed, owned);
    assert_eq!(borrowed.payload(), owned.payload());
    assert_eq!(claims, before);
    assert_eq!(borrowed.payload()["kept_whole"], claims["kept_whole"]);
    assert_eq!(borrowed.disclosures().len(), owned.disclosures().len());
    for (ours, theirs) in borrowed.disclosures().iter().zip(owned.disclosures()) {
        let parsed = sdjwt_vc::Disclosure::parse(ours.as_str(), 16).unwrap();
        assert_eq!((ours.name(), ours.value()), (theirs.name(), theirs.value()));
        assert_eq!((ours.name(), ours.value()), (parsed.name(), parsed.value()));
    }
    // Each top-level scalar claim is disclosed as it was given.
    for (name, value) in extra.as_object().unwrap() {
        if value.is_object() || value.is_array() {
            continue;
        }
        let disclosure = borrowed
            .disclosures()
            .iter()
            .find(|d| d.name() == Some(name.as_str()))
            .unwrap();
        assert_eq!(disclosure.value(), value, "{name}");
    }
    // The same credential through SdJwtVcBuilder, before signing: the same signing input and
    // disclosures, and the same as before.
    let unsigned = |builder: SdJwtVcBuilder<'_>| {
        builder
            .with_issuer("https://issuer.example")
            .with_issued_at(now())
            .with_disclosable_paths(paths.clone())
            .prepare(Algorithm::Es256, &counter)
            .unwrap()
    };
    let prepared = unsigned(SdJwtVcBuilder::borrowing("urn:example:vct", &claims));
    assert_eq!(
        prepared,
        unsigned(SdJwtVcBuilder::new("urn:example:vct", claims.clone()))
    );
    let mut text = String::from_utf8(prepared.signing_input().to_vec()).unwrap();
    for disclosure in prepared.disclosures() {
        text.push('~');
        text.push_str(disclosure.as_str());
    }
    // Members are visited sorted by name, or as written with `preserve_order`.
    let expected = if cfg!(feature = "preserve_order") {
        "4R6BksmgXXiitaE7P4kiYd6TFoSRSn1IAV29PhaT0kk"
    } else {
        "Oh_5fbmMCgVFrBOrwHi9kjx4qkMqEukVxwFMORTL2D8"
    };
    assert_eq!(sdjwt_vc::sha256_base64url(&text), expected);
}
