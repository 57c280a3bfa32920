use serde_json::json;

use super::*;
use crate::{LocalSigner, Signer, SystemRandom, UnsignedJws};

fn signer(alg: Algorithm) -> LocalSigner {
    LocalSigner::generate(alg, &SystemRandom::new()).unwrap()
}

fn token(signer: &LocalSigner, header: &Header, claims: Value) -> String {
    UnsignedJws::new(header, claims.as_object().unwrap())
        .unwrap()
        .sign(signer)
        .unwrap()
}

fn b64(text: &str) -> String {
    base64url::encode(text.as_bytes())
}

fn policy(algs: &[Algorithm]) -> HeaderPolicy<'_> {
    HeaderPolicy::new(algs).with_typ("test+jwt")
}

#[test]
fn every_signing_algorithm_round_trips() {
    for alg in [
        Algorithm::Es256,
        Algorithm::Es384,
        Algorithm::Es512,
        Algorithm::EdDsa,
    ] {
        let s = signer(alg);
        let t = token(&s, &Header::new(alg).with_typ("test+jwt"), json!({"n": 1}));
        let jws = CompactJws::parse(&t, &Limits::default()).unwrap();
        jws.verify(&s.public_jwk(), &policy(&[alg])).unwrap();
        assert_eq!(jws.claims()["n"], 1);
    }
}

#[test]
fn tampered_payload_fails() {
    let s = signer(Algorithm::Es256);
    let t = token(
        &s,
        &Header::new(Algorithm::Es256).with_typ("test+jwt"),
        json!({"n": 1}),
    );
    let mut parts: Vec<&str> = t.split('.').collect();
    let other = b64(r#"{"n":2}"#);
    parts[1] = &other;
    let forged = parts.join(".");
    let jws = CompactJws::parse(&forged, &Limits::default()).unwrap();
    assert_eq!(
        jws.verify(&s.public_jwk(), &policy(&[Algorithm::Es256])),
        Err(Error::SignatureInvalid)
    );
}

#[test]
fn wrong_key_and_wrong_curve_fail() {
    let s = signer(Algorithm::Es256);
    let t = token(
        &s,
        &Header::new(Algorithm::Es256).with_typ("test+jwt"),
        json!({}),
    );
    let jws = CompactJws::parse(&t, &Limits::default()).unwrap();
    let other = signer(Algorithm::Es256);
    assert_eq!(
        jws.verify(&other.public_jwk(), &policy(&[Algorithm::Es256])),
        Err(Error::SignatureInvalid)
    );
    let p384 = signer(Algorithm::Es384);
    assert_eq!(
        jws.verify(&p384.public_jwk(), &policy(&[Algorithm::Es256])),
        Err(Error::KeyAlgorithmMismatch {
            alg: Algorithm::Es256,
            key: "EC P-384"
        })
    );
}

#[test]
fn structure_errors() {
    let l = Limits::default();
    assert_eq!(
        CompactJws::parse("a.b", &l).unwrap_err(),
        Error::WrongPartCount { found: 2 }
    );
    assert_eq!(
        CompactJws::parse("a.b.c.d", &l).unwrap_err(),
        Error::WrongPartCount { found: 4 }
    );
    let h = b64(r#"{"alg":"ES256"}"#);
    let p = b64("{}");
    assert_eq!(
        CompactJws::parse(&format!("{h}=.{p}.AA"), &l).unwrap_err(),
        Error::InvalidBase64 {
            part: JwsPart::Header
        }
    );
    assert_eq!(
        CompactJws::parse(&format!("{h}.{p}.A+"), &l).unwrap_err(),
        Error::InvalidBase64 {
            part: JwsPart::Signature
        }
    );
    let long = "a".repeat(l.max_token_len() + 1);
    assert_eq!(
        CompactJws::parse(&long, &l).unwrap_err(),
        Error::TokenTooLong {
            len: l.max_token_len() + 1,
            max: l.max_token_len()
        }
    );
}

#[test]
fn duplicate_members_are_refused_in_header_and_payload() {
    let l = Limits::default();
    let h = b64(r#"{"alg":"ES256","alg":"ES256"}"#);
    let p = b64(r#"{"a":1}"#);
    assert_eq!(
        CompactJws::parse(&format!("{h}.{p}.AA"), &l).unwrap_err(),
        Error::InvalidJson {
            part: JwsPart::Header,
            error: crate::JsonError::DuplicateMember { name: "alg".into() }
        }
    );
    let h = b64(r#"{"alg":"ES256"}"#);
    let p = b64(r#"{"a":1,"a":2}"#);
    assert_eq!(
        CompactJws::parse(&format!("{h}.{p}.AA"), &l).unwrap_err(),
        Error::InvalidJson {
            part: JwsPart::Payload,
            error: crate::JsonError::DuplicateMember { name: "a".into() }
        }
    );
}

#[test]
fn none_and_hmac_never_parse() {
    let l = Limits::default();
    let p = b64("{}");
    let none = b64(r#"{"alg":"none"}"#);
    assert_eq!(
        CompactJws::parse(&format!("{none}.{p}."), &l).unwrap_err(),
        Error::AlgorithmNone
    );
    let hs = b64(r#"{"alg":"HS256"}"#);
    assert_eq!(
        CompactJws::parse(&format!("{hs}.{p}.AA"), &l).unwrap_err(),
        Error::SymmetricAlgorithm {
            name: "HS256".into()
        }
    );
}

#[test]
fn policy_checks_typ_alg_and_crit() {
    let s = signer(Algorithm::Es256);
    let t = token(
        &s,
        &Header::new(Algorithm::Es256).with_typ("other+jwt"),
        json!({}),
    );
    let jws = CompactJws::parse(&t, &Limits::default()).unwrap();
    assert_eq!(
        jws.verify(&s.public_jwk(), &policy(&[Algorithm::Es256])),
        Err(Error::WrongType {
            expected: "test+jwt".into(),
            found: Some("other+jwt".into())
        })
    );
    let t = token(
        &s,
        &Header::new(Algorithm::Es256).with_typ("test+jwt"),
        json!({}),
    );
    let jws = CompactJws::parse(&t, &Limits::default()).unwrap();
    assert_eq!(
        jws.verify(&s.public_jwk(), &policy(&[Algorithm::EdDsa])),
        Err(Error::AlgorithmNotAllowed {
            alg: Algorithm::Es256
        })
    );

    // crit naming an extension the caller did not declare.
    let header = b64(r#"{"alg":"ES256","typ":"test+jwt","crit":["urn:x"],"urn:x":1}"#);
    let input = format!("{header}.{}", b64("{}"));
    let sig = s.sign(input.as_bytes()).unwrap();
    let t = format!("{input}.{}", base64url::encode(&sig));
    let jws = CompactJws::parse(&t, &Limits::default()).unwrap();
    assert_eq!(
        jws.verify(&s.public_jwk(), &policy(&[Algorithm::Es256])),
        Err(Error::CriticalNotUnderstood {
            name: "urn:x".into()
        })
    );
    let understood = policy(&[Algorithm::Es256]).with_understood_crit(&["urn:x"]);
    assert_eq!(jws.verify(&s.public_jwk(), &understood), Ok(()));
}

#[test]
fn verification_uses_the_received_bytes() {
    // A header with extra whitespace and unusual member order still verifies: nothing is
    // re-serialised.
    let s = signer(Algorithm::EdDsa);
    let header = b64("{ \"typ\" : \"test+jwt\",\n \"alg\":\"EdDSA\" }");
    let input = format!("{header}.{}", b64("{\"b\":2,  \"a\":1}"));
    let sig = s.sign(input.as_bytes()).unwrap();
    let t = format!("{input}.{}", base64url::encode(&sig));
    let jws = CompactJws::parse(&t, &Limits::default()).unwrap();
    assert_eq!(
        jws.verify(&s.public_jwk(), &policy(&[Algorithm::EdDsa])),
        Ok(())
    );
    assert_eq!(jws.signing_input(), input.as_bytes());
}

#[test]
fn der_signatures_are_refused_for_ecdsa() {
    let s = signer(Algorithm::Es256);
    let input = format!(
        "{}.{}",
        b64(r#"{"alg":"ES256","typ":"test+jwt"}"#),
        b64("{}")
    );
    let t = format!("{input}.{}", base64url::encode(&[0x30; 70]));
    let jws = CompactJws::parse(&t, &Limits::default()).unwrap();
    assert_eq!(
        jws.verify(&s.public_jwk(), &policy(&[Algorithm::Es256])),
        Err(Error::SignatureLength {
            alg: Algorithm::Es256,
            len: 70,
            expected: 64
        })
    );
}

#[test]
fn two_phase_signing_checks_length_and_algorithm() {
    let header = Header::new(Algorithm::Es256);
    let unsigned = UnsignedJws::new(&header, json!({}).as_object().unwrap()).unwrap();
    assert_eq!(
        unsigned.clone().attach_signature(&[0; 10]),
        Err(Error::SignatureLength {
            alg: Algorithm::Es256,
            len: 10,
            expected: 64
        })
    );
    let ed = signer(Algorithm::EdDsa);
    assert_eq!(
        unsigned.sign(&ed),
        Err(Error::KeyAlgorithmMismatch {
            alg: Algorithm::Es256,
            key: "signer"
        })
    );
}

#[test]
fn kms_der_signature_converts_and_verifies() {
    // Sign with ring's ASN.1 form (as a KMS would return), convert, attach, verify.
    use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair};
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
    let kms =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng).unwrap();
    let public = LocalSigner::from_pkcs8(Algorithm::Es256, pkcs8.as_ref())
        .unwrap()
        .public_jwk();
    let unsigned = UnsignedJws::new(
        &Header::new(Algorithm::Es256).with_typ("test+jwt"),
        json!({"a": 1}).as_object().unwrap(),
    )
    .unwrap();
    let der = kms.sign(&rng, unsigned.signing_input()).unwrap();
    let fixed = crate::ecdsa_signature_from_der(Algorithm::Es256, der.as_ref()).unwrap();
    let t = unsigned.attach_signature(&fixed).unwrap();
    let jws = CompactJws::parse(&t, &Limits::default()).unwrap();
    assert_eq!(jws.verify(&public, &policy(&[Algorithm::Es256])), Ok(()));
}
