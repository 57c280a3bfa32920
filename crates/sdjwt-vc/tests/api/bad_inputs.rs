//! Every bad input named by RFC 9901 §7 and the issue, each asserting the exact error.

use jose_core::keys::StaticKeys;
use jose_core::{Algorithm, Header, LocalSigner, SystemRandom, UnixTime, UnsignedJws};
use sdjwt_vc::{
    ClaimPath, Disclosure, DisclosureEncoding, Error, KeyBinding, Limits, SdJwt, SdJwtBuilder,
    SdJwtVcBuilder, Verifier,
};
use serde_json::{Value, json};

use crate::common::b64_json;

const NOW: i64 = 1_700_000_000;
const AUD: &str = "https://verifier.example";
const NONCE: &str = "n-0S6_WzA2Mj";

struct Fixture {
    issuer: LocalSigner,
    holder: LocalSigner,
    keys: StaticKeys,
}

fn fixture() -> Fixture {
    let rng = SystemRandom::new();
    let issuer = LocalSigner::generate(Algorithm::Es256, &rng).unwrap();
    let holder = LocalSigner::generate(Algorithm::Es256, &rng).unwrap();
    let keys = StaticKeys::new(vec![issuer.public_jwk()]);
    Fixture {
        issuer,
        holder,
        keys,
    }
}

fn now() -> UnixTime {
    UnixTime::from_secs(NOW)
}

/// Signs any payload (typ `dc+sd-jwt` unless told) and appends the given disclosures.
fn forge(f: &Fixture, payload: &Value, typ: &str, disclosures: &[String]) -> String {
    let header = Header::new(Algorithm::Es256).with_typ(typ);
    let jwt = UnsignedJws::new(&header, payload.as_object().unwrap())
        .unwrap()
        .sign(&f.issuer)
        .unwrap();
    let mut out = jwt;
    out.push('~');
    for d in disclosures {
        out.push_str(d);
        out.push('~');
    }
    out
}

fn disclosure(json: &str) -> (String, String) {
    let encoded = b64_json(json);
    let digest = sdjwt_vc::sha256_base64url(&encoded);
    (encoded, digest)
}

fn plain(f: &Fixture) -> Verifier<'_, StaticKeys> {
    Verifier::new(&f.keys, &[Algorithm::Es256], KeyBinding::forbidden()).plain_sd_jwt(None)
}

fn verify_plain(f: &Fixture, payload: &Value, disclosures: &[String]) -> Error {
    plain(f)
        .verify(&forge(f, payload, "example+sd-jwt", disclosures), now())
        .unwrap_err()
}

#[test]
fn rfc9901_7_1_disclosure_shape_failures() {
    let f = fixture();
    let cases = [
        (
            r#"["salt"]"#,
            Error::DisclosureShape {
                index: 0,
                reason: "not an array of 2 or 3 elements",
            },
        ),
        (
            r#"["s","n","v",1]"#,
            Error::DisclosureShape {
                index: 0,
                reason: "not an array of 2 or 3 elements",
            },
        ),
        (
            r#"{"salt":"s"}"#,
            Error::DisclosureShape {
                index: 0,
                reason: "not a JSON array",
            },
        ),
        (
            r#"[7,"n","v"]"#,
            Error::DisclosureShape {
                index: 0,
                reason: "salt is not a string",
            },
        ),
        (
            r#"["s",7,"v"]"#,
            Error::DisclosureShape {
                index: 0,
                reason: "claim name is not a string",
            },
        ),
        (
            r#"["s","_sd","v"]"#,
            Error::DisclosureShape {
                index: 0,
                reason: "claim name is the reserved _sd or ...",
            },
        ),
        (
            r#"["s","...","v"]"#,
            Error::DisclosureShape {
                index: 0,
                reason: "claim name is the reserved _sd or ...",
            },
        ),
    ];
    for (json, expected) in cases {
        let (d, digest) = disclosure(json);
        let payload = json!({"_sd": [digest]});
        assert_eq!(verify_plain(&f, &payload, &[d]), expected, "{json}");
    }
    // Not base64url, and base64url of something that is not JSON.
    let payload = json!({});
    assert_eq!(
        verify_plain(&f, &payload, &["!!".into()]),
        Error::DisclosureEncoding { index: 0 }
    );
    assert_eq!(
        verify_plain(&f, &payload, &[b64_json("[\"s\", ")]),
        Error::DisclosureEncoding { index: 0 }
    );
}

#[test]
fn rfc9901_7_1_processing_failures() {
    let f = fixture();
    let (pair, pair_digest) = disclosure(r#"["salt1","FR"]"#);
    let (triple, triple_digest) = disclosure(r#"["salt2","given_name","Erika"]"#);
    // A 2-element disclosure referenced from `_sd`.
    assert_eq!(
        verify_plain(
            &f,
            &json!({"_sd": [pair_digest]}),
            core::slice::from_ref(&pair)
        ),
        Error::DisclosureKindMismatch {
            digest: pair_digest.clone(),
            expected: 3,
            found: 2
        }
    );
    // A 3-element disclosure referenced from an array.
    assert_eq!(
        verify_plain(
            &f,
            &json!({"a": [{"...": triple_digest}]}),
            core::slice::from_ref(&triple)
        ),
        Error::DisclosureKindMismatch {
            digest: triple_digest.clone(),
            expected: 2,
            found: 3
        }
    );
    // The disclosed name already exists at that level.
    assert_eq!(
        verify_plain(
            &f,
            &json!({"_sd": [triple_digest], "given_name": "x"}),
            core::slice::from_ref(&triple)
        ),
        Error::ClaimNameConflict {
            name: "given_name".into(),
            path: ClaimPath::root()
        }
    );
    // `_sd` is not an array of strings.
    assert_eq!(
        verify_plain(&f, &json!({"n": {"_sd": "abc"}}), &[]),
        Error::InvalidSdArray {
            path: ClaimPath::key("n")
        }
    );
    assert_eq!(
        verify_plain(&f, &json!({"_sd": [1]}), &[]),
        Error::InvalidSdArray {
            path: ClaimPath::root()
        }
    );
    // Array element digest objects with other members, or a non-string digest; `...` outside.
    assert_eq!(
        verify_plain(
            &f,
            &json!({"a": [{"...": pair_digest, "x": 1}]}),
            core::slice::from_ref(&pair)
        ),
        Error::InvalidArrayDigest {
            path: ClaimPath::key("a").then_index(0)
        }
    );
    assert_eq!(
        verify_plain(&f, &json!({"a": [{"...": 5}]}), &[]),
        Error::InvalidArrayDigest {
            path: ClaimPath::key("a").then_index(0)
        }
    );
    assert_eq!(
        verify_plain(&f, &json!({"o": {"...": "x"}}), &[]),
        Error::InvalidArrayDigest {
            path: ClaimPath::key("o")
        }
    );
    // `_sd_alg` below the top level, or not sha-256.
    assert_eq!(
        verify_plain(&f, &json!({"o": {"_sd_alg": "sha-256"}}), &[]),
        Error::SdAlgMisplaced {
            path: ClaimPath::key("o")
        }
    );
    assert_eq!(
        verify_plain(&f, &json!({"_sd_alg": "sha-512"}), &[]),
        Error::UnsupportedSdAlg {
            alg: "sha-512".into()
        }
    );
    // A disclosure named `_sd_alg` at the top level, with and without `_sd_alg` in the
    // payload (found by the structure-aware fuzz target: it stayed in the verified claims).
    let (alg, alg_digest) = disclosure(r#"["s5","_sd_alg","_sd"]"#);
    for payload in [
        json!({"_sd": [alg_digest], "_sd_alg": "sha-256"}),
        json!({"_sd": [alg_digest]}),
    ] {
        assert_eq!(
            verify_plain(&f, &payload, core::slice::from_ref(&alg)),
            Error::ClaimNameConflict {
                name: "_sd_alg".into(),
                path: ClaimPath::root()
            }
        );
    }
    // Below the top level the name is an ordinary claim.
    let (nested, nested_digest) = disclosure(r#"["s6","_sd_alg","x"]"#);
    let verified = plain(&f)
        .verify(
            &forge(
                &f,
                &json!({"o": {"_sd": [nested_digest]}}),
                "example+sd-jwt",
                &[nested],
            ),
            now(),
        )
        .unwrap();
    assert_eq!(verified.claims()["o"]["_sd_alg"], "x");
    // Recursion: a digest inside a disclosed value is processed too, so a conflict there is
    // found.
    let (inner, inner_digest) = disclosure(r#"["s3","locality","Berlin"]"#);
    let outer_json = format!(r#"["s4","address",{{"_sd":["{inner_digest}"],"locality":"x"}}]"#);
    let (outer, outer_digest) = disclosure(&outer_json);
    assert_eq!(
        verify_plain(&f, &json!({"_sd": [outer_digest]}), &[outer, inner]),
        Error::ClaimNameConflict {
            name: "locality".into(),
            path: ClaimPath::key("address")
        }
    );
}

#[test]
fn repeated_digests_and_disclosures_are_refused() {
    let f = fixture();
    let (d, digest) = disclosure(r#"["salt","given_name","Erika"]"#);
    assert_eq!(
        verify_plain(
            &f,
            &json!({"_sd": [digest, digest]}),
            core::slice::from_ref(&d)
        ),
        Error::DuplicateDigest {
            digest: digest.clone()
        }
    );
    // The same digest in the payload and inside another disclosure.
    let holder_json = format!(r#"["s2","address",{{"_sd":["{digest}"]}}]"#);
    let (holder_d, holder_digest) = disclosure(&holder_json);
    assert_eq!(
        verify_plain(
            &f,
            &json!({"_sd": [holder_digest, digest]}),
            &[holder_d, d.clone()]
        ),
        Error::DuplicateDigest {
            digest: digest.clone()
        }
    );
    // A repeated decoy (unmatched) digest.
    assert_eq!(
        verify_plain(&f, &json!({"_sd": ["decoy"], "o": {"_sd": ["decoy"]}}), &[]),
        Error::DuplicateDigest {
            digest: "decoy".into()
        }
    );
    // The same disclosure sent twice.
    assert_eq!(
        verify_plain(&f, &json!({"_sd": [digest]}), &[d.clone(), d]),
        Error::DuplicateDisclosure { digest }
    );
}

#[test]
fn unreferenced_and_tampered_disclosures_are_refused() {
    let f = fixture();
    let (d, digest) = disclosure(r#"["salt","given_name","Erika"]"#);
    let (stray, stray_digest) = disclosure(r#"["salt2","family_name","Mustermann"]"#);
    assert_eq!(
        verify_plain(&f, &json!({"_sd": [digest]}), &[d, stray]),
        Error::UnreferencedDisclosure {
            digest: stray_digest
        }
    );
    // Tampering: the holder edits the value of an issued disclosure.
    let (_, original_digest) = disclosure(r#"["salt","given_name","Erika"]"#);
    let (tampered, tampered_digest) = disclosure(r#"["salt","given_name","Eve"]"#);
    assert_eq!(
        verify_plain(&f, &json!({"_sd": [original_digest]}), &[tampered]),
        Error::UnreferencedDisclosure {
            digest: tampered_digest
        }
    );
    // Re-encoding the same content also changes the digest (whitespace).
    let (respaced, respaced_digest) = disclosure(r#"["salt", "given_name", "Erika"]"#);
    let (_, issued_digest) = disclosure(r#"["salt","given_name","Erika"]"#);
    assert_eq!(
        verify_plain(&f, &json!({"_sd": [issued_digest]}), &[respaced]),
        Error::UnreferencedDisclosure {
            digest: respaced_digest
        }
    );
}

#[test]
fn never_disclosable_claims_in_disclosures_are_refused() {
    let f = fixture();
    for name in ["iss", "exp", "nbf", "cnf", "vct", "vct#integrity", "status"] {
        let (d, digest) = disclosure(&format!(r#"["salt","{name}","x"]"#));
        let payload = json!({"_sd": [digest], "vct": "urn:x"});
        let payload = if name == "vct" {
            json!({"_sd": [digest]})
        } else {
            payload
        };
        let token = forge(&f, &payload, "dc+sd-jwt", &[d]);
        let verifier = Verifier::new(&f.keys, &[Algorithm::Es256], KeyBinding::forbidden());
        assert_eq!(
            verifier.verify(&token, now()).unwrap_err(),
            Error::NeverDisclosable { name: name.into() },
            "{name}"
        );
    }
    // A sub-claim of cnf hidden in a disclosure.
    let (d, digest) = disclosure(r#"["salt","jwk",{"kty":"EC"}]"#);
    let token = forge(
        &f,
        &json!({"vct": "urn:x", "cnf": {"_sd": [digest]}}),
        "dc+sd-jwt",
        &[d],
    );
    let verifier = Verifier::new(&f.keys, &[Algorithm::Es256], KeyBinding::forbidden());
    assert_eq!(
        verifier.verify(&token, now()).unwrap_err(),
        Error::NeverDisclosable { name: "cnf".into() }
    );
    // The issuer refuses them in its policy too.
    let refused = SdJwtVcBuilder::new("urn:x", serde_json::Map::new())
        .with_issuer("https://issuer.example")
        .with_disclosable(ClaimPath::key("iss"))
        .prepare(Algorithm::Es256, &SystemRandom::new())
        .unwrap_err();
    assert_eq!(refused, Error::NeverDisclosable { name: "iss".into() });
    let refused = SdJwtVcBuilder::new("urn:x", serde_json::Map::new())
        .with_disclosable(ClaimPath::key("status").then_key("status_list"))
        .prepare(Algorithm::Es256, &SystemRandom::new())
        .unwrap_err();
    assert_eq!(
        refused,
        Error::NeverDisclosable {
            name: "status".into()
        }
    );
}

#[test]
fn nesting_bomb_is_refused() {
    let f = fixture();
    // 40 disclosures, each holding the digest of the next: every one is small, the composition
    // is 40 levels deep.
    let mut disclosures = Vec::new();
    let (mut d, mut digest) = disclosure(r#"["s","leaf",1]"#);
    disclosures.push(d);
    for i in 0..40 {
        (d, digest) = disclosure(&format!(r#"["s{i}","n",{{"_sd":["{digest}"]}}]"#));
        disclosures.push(d);
    }
    assert_eq!(
        verify_plain(&f, &json!({"_sd": [digest]}), &disclosures),
        Error::NestingTooDeep { max: 32 }
    );
    // Deep plain nesting in the payload is refused by the strict JSON parser.
    let mut deep = json!(1);
    for _ in 0..40 {
        deep = json!([deep]);
    }
    assert!(matches!(
        verify_plain(&f, &json!({"deep": deep}), &[]),
        Error::Jose {
            what: "issuer-signed JWT",
            error: jose_core::Error::InvalidJson { .. }
        }
    ));
}

#[test]
fn ten_thousand_disclosures_are_refused() {
    let f = fixture();
    let many: Vec<String> = (0..10_000).map(|_| "WyJzIiwxXQ".to_owned()).collect();
    let token = forge(&f, &json!({}), "example+sd-jwt", &many);
    // The default length limit trips first ...
    assert_eq!(
        plain(&f).verify(&token, now()).unwrap_err(),
        Error::TooLong {
            len: token.len(),
            max: 64 * 1024
        }
    );
    // ... and with a larger length limit, the count limit.
    let verifier = plain(&f).with_limits(Limits::default().with_max_len(1 << 20));
    assert_eq!(
        verifier.verify(&token, now()).unwrap_err(),
        Error::TooManyDisclosures {
            count: 10_000,
            max: 512
        }
    );
}

#[test]
fn time_claims_are_checked_with_skew() {
    let f = fixture();
    let verifier = plain(&f).with_clock_skew_seconds(60);
    let check = |payload: Value| verifier.verify(&forge(&f, &payload, "x", &[]), now());
    assert_eq!(
        check(json!({"exp": NOW - 61})).unwrap_err(),
        Error::Expired {
            exp: UnixTime::from_secs(NOW - 61),
            now: now()
        }
    );
    assert!(check(json!({"exp": NOW - 59})).is_ok());
    assert_eq!(
        check(json!({"nbf": NOW + 61})).unwrap_err(),
        Error::NotYetValid {
            nbf: UnixTime::from_secs(NOW + 61),
            now: now()
        }
    );
    assert_eq!(
        check(json!({"iat": NOW + 61})).unwrap_err(),
        Error::IssuedInFuture {
            iat: UnixTime::from_secs(NOW + 61),
            now: now()
        }
    );
    assert_eq!(
        check(json!({"exp": "soon"})).unwrap_err(),
        Error::InvalidClaim {
            name: "exp",
            reason: "not a NumericDate"
        }
    );
}

#[test]
fn sd_jwt_vc_typ_and_vct_are_enforced() {
    let f = fixture();
    let verifier = Verifier::new(&f.keys, &[Algorithm::Es256], KeyBinding::forbidden());
    let legacy = forge(&f, &json!({"vct": "urn:x"}), "vc+sd-jwt", &[]);
    assert_eq!(
        verifier.verify(&legacy, now()).unwrap_err(),
        Error::Jose {
            what: "issuer-signed JWT",
            error: jose_core::Error::WrongType {
                expected: "dc+sd-jwt".into(),
                found: Some("vc+sd-jwt".into())
            }
        }
    );
    let compat =
        Verifier::new(&f.keys, &[Algorithm::Es256], KeyBinding::forbidden()).with_legacy_vc_typ();
    assert!(compat.verify(&legacy, now()).is_ok());
    let no_vct = forge(&f, &json!({"iss": "x"}), "dc+sd-jwt", &[]);
    assert_eq!(
        verifier.verify(&no_vct, now()).unwrap_err(),
        Error::MissingClaim { name: "vct" }
    );
    // A signature by another key.
    let other = fixture();
    let foreign = forge(&other, &json!({"vct": "urn:x"}), "dc+sd-jwt", &[]);
    assert_eq!(
        verifier.verify(&foreign, now()).unwrap_err(),
        Error::Jose {
            what: "issuer-signed JWT",
            error: jose_core::Error::SignatureInvalid
        }
    );
}

/// An issued credential with `cnf` = the fixture's holder key, and its stored form.
fn issued(f: &Fixture) -> SdJwt {
    let claims = json!({"given_name": "Erika", "family_name": "Mustermann"});
    let issued = SdJwtVcBuilder::new("urn:x", claims.as_object().unwrap().clone())
        .with_holder_key(f.holder.public_jwk())
        .with_issued_at(now())
        .with_disclosable_paths([ClaimPath::key("given_name"), ClaimPath::key("family_name")])
        .issue(&f.issuer, &SystemRandom::new())
        .unwrap();
    SdJwt::parse(&issued.to_compact(), &Limits::default()).unwrap()
}

fn kb_verifier(f: &Fixture) -> Verifier<'_, StaticKeys> {
    Verifier::new(
        &f.keys,
        &[Algorithm::Es256],
        KeyBinding::required(AUD, NONCE),
    )
}

/// A KB-JWT with any header and claims, signed by the holder.
fn kb_jwt(f: &Fixture, header: &Header, claims: &Value) -> String {
    UnsignedJws::new(header, claims.as_object().unwrap())
        .unwrap()
        .sign(&f.holder)
        .unwrap()
}

#[test]
fn key_binding_failures() {
    let f = fixture();
    let stored = issued(&f);
    let presentation = stored.present(&[ClaimPath::key("given_name")]);
    let presented = presentation.to_compact();
    let good_hash = sdjwt_vc::sha256_base64url(&presented);
    let kb_header = Header::new(Algorithm::Es256).with_typ("kb+jwt");
    let claims = |aud: &str, nonce: &str, sd_hash: &str, iat: i64| json!({"iat": iat, "aud": aud, "nonce": nonce, "sd_hash": sd_hash});
    let verify = |kb: String| kb_verifier(&f).verify(&format!("{presented}{kb}"), now());

    // Good one first, to show the fixture is right.
    assert!(verify(kb_jwt(&f, &kb_header, &claims(AUD, NONCE, &good_hash, NOW))).is_ok());
    // sd_hash over the issued form (all disclosures) instead of what was presented.
    let wrong_hash = sdjwt_vc::sha256_base64url(&format!("{}~", stored.jwt()));
    assert_eq!(
        verify(kb_jwt(
            &f,
            &kb_header,
            &claims(AUD, NONCE, &wrong_hash, NOW)
        ))
        .unwrap_err(),
        Error::KbSdHashMismatch
    );
    assert_eq!(
        verify(kb_jwt(
            &f,
            &kb_header,
            &claims("https://evil.example", NONCE, &good_hash, NOW)
        ))
        .unwrap_err(),
        Error::KbAudienceMismatch
    );
    assert_eq!(
        verify(kb_jwt(
            &f,
            &kb_header,
            &claims(AUD, "other", &good_hash, NOW)
        ))
        .unwrap_err(),
        Error::KbNonceMismatch
    );
    assert_eq!(
        verify(kb_jwt(
            &f,
            &kb_header,
            &claims(AUD, NONCE, &good_hash, NOW - 1000)
        ))
        .unwrap_err(),
        Error::KbIatOutOfWindow {
            iat: UnixTime::from_secs(NOW - 1000),
            now: now()
        }
    );
    // aud as an array is not the single string RFC 9901 §4.3 requires.
    let array_aud = json!({"iat": NOW, "aud": [AUD], "nonce": NONCE, "sd_hash": good_hash});
    assert_eq!(
        verify(kb_jwt(&f, &kb_header, &array_aud)).unwrap_err(),
        Error::KbClaim { name: "aud" }
    );
    // Wrong typ.
    let jwt_header = Header::new(Algorithm::Es256).with_typ("jwt");
    assert_eq!(
        verify(kb_jwt(
            &f,
            &jwt_header,
            &claims(AUD, NONCE, &good_hash, NOW)
        ))
        .unwrap_err(),
        Error::Jose {
            what: "KB-JWT",
            error: jose_core::Error::WrongType {
                expected: "kb+jwt".into(),
                found: Some("jwt".into())
            }
        }
    );
    // alg none.
    let none = format!(
        "{}.{}.",
        b64_json(r#"{"alg":"none","typ":"kb+jwt"}"#),
        b64_json(&claims(AUD, NONCE, &good_hash, NOW).to_string())
    );
    assert_eq!(
        verify(none).unwrap_err(),
        Error::Jose {
            what: "KB-JWT",
            error: jose_core::Error::AlgorithmNone
        }
    );
    // Signed by a key other than cnf.jwk.
    let stranger = fixture();
    let foreign = kb_jwt(&stranger, &kb_header, &claims(AUD, NONCE, &good_hash, NOW));
    assert_eq!(
        verify(foreign).unwrap_err(),
        Error::Jose {
            what: "KB-JWT",
            error: jose_core::Error::SignatureInvalid
        }
    );
}

#[test]
fn key_binding_presence_is_decided_by_policy() {
    let f = fixture();
    let stored = issued(&f);
    let presentation = stored.present(&[ClaimPath::key("given_name")]);
    // Required, none sent.
    assert_eq!(
        kb_verifier(&f)
            .verify(&presentation.to_compact(), now())
            .unwrap_err(),
        Error::KeyBindingMissing
    );
    // Forbidden, one sent.
    let with_kb = presentation
        .with_key_binding(&f.holder, AUD, NONCE, now())
        .unwrap();
    let forbidding = Verifier::new(&f.keys, &[Algorithm::Es256], KeyBinding::forbidden());
    assert_eq!(
        forbidding.verify(&with_kb, now()).unwrap_err(),
        Error::KeyBindingUnexpected
    );
    // The holder refuses an SD-JWT+KB as if it came from an issuer (RFC 9901 §7.2).
    assert_eq!(
        SdJwt::parse(&with_kb, &Limits::default()).unwrap_err(),
        Error::KeyBindingUnexpected
    );
}

#[test]
fn issuer_input_errors() {
    let claims = json!({"_sd": 1});
    assert_eq!(
        SdJwtBuilder::new(claims.as_object().unwrap().clone())
            .build(&SystemRandom::new())
            .unwrap_err(),
        Error::ClaimReserved { name: "_sd".into() }
    );
    let claims = json!({"a": 1});
    assert_eq!(
        SdJwtBuilder::new(claims.as_object().unwrap().clone())
            .with_disclosable(ClaimPath::key("b"))
            .build(&SystemRandom::new())
            .unwrap_err(),
        Error::InvalidPolicyPath {
            path: ClaimPath::key("b"),
            reason: "selects no claim"
        }
    );
    assert_eq!(
        SdJwtBuilder::new(claims.as_object().unwrap().clone())
            .with_salt_len(8)
            .build(&SystemRandom::new())
            .unwrap_err(),
        Error::SaltTooShort { len: 8 }
    );
    let with_iss = json!({"iss": "x"});
    assert_eq!(
        SdJwtVcBuilder::new("urn:x", with_iss.as_object().unwrap().clone())
            .prepare(Algorithm::Es256, &SystemRandom::new())
            .unwrap_err(),
        Error::ClaimReserved { name: "iss".into() }
    );
    // Disclosure::create round-trips through parse in both encodings.
    for encoding in [DisclosureEncoding::Compact, DisclosureEncoding::Spaced] {
        let d = Disclosure::create("s".into(), Some("n".into()), json!({"ü": [1]}), encoding);
        assert_eq!(Disclosure::parse(d.as_str(), 8).unwrap(), d);
    }
}
