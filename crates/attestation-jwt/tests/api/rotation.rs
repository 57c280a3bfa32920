//! Key rotation: more than one trusted attester key during a transition (`additionalJwks`,
//! `additionalKeyReferences`, several `x509-chain` roots).

use attestation_jwt::{ClientAuthRequest, ConfigError, MAX_ADDITIONAL_ATTESTER_KEYS};
use core::sync::atomic::{AtomicBool, Ordering};
use jose_core::keys::{KeyFn, KeyLookup, KeyLookupError, KeyQuery};

use super::*;

/// A fresh ES256 attester key.
fn attester() -> LocalSigner {
    LocalSigner::generate(Algorithm::Es256, &SystemRandom::new()).unwrap()
}

/// `signer`'s public key with `kid`.
fn with_kid(signer: &LocalSigner, kid: &str) -> PublicJwk {
    let mut value = signer.public_jwk().to_value();
    value["kid"] = Value::from(kid);
    jwk(&value)
}

/// An attestation for `fx`'s instance key signed by `signer`, with `kid` in its header.
fn attestation_by(fx: &Fixture, signer: &LocalSigner, kid: &str) -> String {
    issue_attestation(&fx.claims(), &AttesterKeyId::Kid(kid.into()), signer).unwrap()
}

fn static_config(jwk: PublicJwk, additional_jwks: Vec<PublicJwk>) -> ClientAttestationConfig {
    ClientAttestationConfig::new(VerificationMethod::StaticJwk {
        jwk,
        additional_jwks,
    })
}

fn run(fx: &Fixture, config: ClientAttestationConfig, attestation: &str) -> Result<Verdict, Error> {
    let verifier = ClientAttestationVerifier::builder(config, ISSUER)
        .build()
        .unwrap();
    run_with(fx, &verifier, attestation)
}

fn run_with(
    fx: &Fixture,
    verifier: &ClientAttestationVerifier,
    attestation: &str,
) -> Result<Verdict, Error> {
    let pop = fx.pop();
    let request = ClientAuthRequest::new()
        .with_attestation(Some(attestation))
        .with_pop(Some(&pop));
    verifier.verify(
        &request,
        ChallengeCheck::None,
        &InMemoryReplayGuard::new(10),
        fx.now,
    )
}

const UNTRUSTED: Error = Error::AttestationSignature(jose_core::Error::SignatureInvalid);

#[test]
fn old_and_new_static_keys_both_verify_during_the_transition() {
    let fx = Fixture::new();
    let (a, b, c) = (attester(), attester(), attester());
    // Keys without kid (and attestations whose kid names no configured key): each key is
    // tried in order.
    let transition = static_config(a.public_jwk(), vec![b.public_jwk()]);
    for signer in [&a, &b] {
        let verdict = run(&fx, transition.clone(), &attestation_by(&fx, signer, "x")).unwrap();
        assert_eq!(verdict.client_id.as_deref(), Some(CLIENT_ID));
    }
    // A key that is not configured gets the same error as with one key.
    assert_eq!(
        run(&fx, transition, &attestation_by(&fx, &c, "x")),
        Err(UNTRUSTED)
    );
    let single = static_config(a.public_jwk(), Vec::new());
    assert_eq!(
        run(&fx, single, &attestation_by(&fx, &c, "x")),
        Err(UNTRUSTED)
    );
    // After retirement only B is configured: A's attestation fails with that error.
    let retired = static_config(b.public_jwk(), Vec::new());
    assert_eq!(
        run(&fx, retired.clone(), &attestation_by(&fx, &a, "x")),
        Err(UNTRUSTED)
    );
    assert!(run(&fx, retired, &attestation_by(&fx, &b, "x")).is_ok());
}

#[test]
fn a_kid_naming_a_configured_key_selects_that_key_only() {
    let fx = Fixture::new();
    let (a, b) = (attester(), attester());
    let config = static_config(with_kid(&a, "old"), vec![with_kid(&b, "new")]);
    // Each attestation names its own key.
    assert!(run(&fx, config.clone(), &attestation_by(&fx, &a, "old")).is_ok());
    assert!(run(&fx, config.clone(), &attestation_by(&fx, &b, "new")).is_ok());
    // B's attestation naming A's kid is tried against A only, so it fails, although B is
    // configured.
    assert_eq!(
        run(&fx, config.clone(), &attestation_by(&fx, &b, "old")),
        Err(UNTRUSTED)
    );
    // A kid that names no configured key: every key is tried.
    assert!(run(&fx, config, &attestation_by(&fx, &b, "unknown")).is_ok());
}

/// The method object of a `static-jwk` configuration with `additionalJwks`.
fn static_json(additional: &Value) -> Result<ClientAttestationConfig, Error> {
    let jwk = attester().public_jwk().to_value();
    ClientAttestationConfig::from_json(
        json!({"verificationMethod": {"type": "static-jwk", "jwk": jwk,
            "additionalJwks": additional}})
        .to_string()
        .as_bytes(),
    )
}

#[test]
fn additional_jwks_are_read_with_their_paths() {
    let (a, b) = (attester(), attester());
    let config = ClientAttestationConfig::from_json(
        json!({"verificationMethod": {"type": "static-jwk", "jwk": a.public_jwk().to_value(),
            "additionalJwks": [b.public_jwk().to_value()]}})
        .to_string()
        .as_bytes(),
    )
    .unwrap();
    assert_eq!(
        config.verification_method,
        VerificationMethod::StaticJwk {
            jwk: a.public_jwk(),
            additional_jwks: vec![b.public_jwk()],
        }
    );
    // A bad entry, named by its index.
    let good = attester().public_jwk().to_value();
    let mut private = a.public_jwk().to_value();
    private["d"] = Value::from("AAAA");
    let error = static_json(&json!([good, private])).unwrap_err();
    assert_eq!(
        error,
        Error::Config(ConfigError::InvalidAdditionalJwk {
            index: 1,
            error: jose_core::Error::PrivateKeyMember { member: "d" },
        })
    );
    assert!(
        error
            .to_string()
            .contains("verificationMethod.additionalJwks[1]: "),
        "{error}"
    );
    // Not an array.
    assert_eq!(
        static_json(&json!({})).unwrap_err(),
        Error::Config(ConfigError::InvalidEntry {
            path: "verificationMethod.additionalJwks".into()
        })
    );
    // The same key as `jwk`, as an earlier entry, or the same kid.
    let jwk = a.public_jwk().to_value();
    let parse = |additional: Value| {
        ClientAttestationConfig::from_json(
            json!({"verificationMethod": {"type": "static-jwk", "jwk": jwk,
                "additionalJwks": additional}})
            .to_string()
            .as_bytes(),
        )
    };
    let duplicate = |index: usize| {
        Err(Error::Config(ConfigError::DuplicateEntry {
            path: format!("verificationMethod.additionalJwks[{index}]"),
        }))
    };
    assert_eq!(parse(json!([jwk])), duplicate(0));
    let b_value = b.public_jwk().to_value();
    assert_eq!(parse(json!([b_value, b_value])), duplicate(1));
    let mut b_kid = with_kid(&b, "k").to_value();
    let mut c_kid = with_kid(&attester(), "k").to_value();
    assert_eq!(parse(json!([b_kid, c_kid])), duplicate(1));
    b_kid["kid"] = Value::from("k1");
    c_kid["kid"] = Value::from("k2");
    assert!(parse(json!([b_kid, c_kid])).is_ok());
    let error = parse(json!([b_value, b_value])).unwrap_err();
    assert_eq!(
        error.to_string(),
        "configuration: verificationMethod.additionalJwks[1]: the same key is configured twice"
    );
    // The bound: MAX_ADDITIONAL_ATTESTER_KEYS entries pass, one more does not.
    let keys = |n: usize| -> Value {
        (0..n)
            .map(|_| attester().public_jwk().to_value())
            .collect::<Vec<_>>()
            .into()
    };
    assert_eq!(MAX_ADDITIONAL_ATTESTER_KEYS, 8);
    assert!(parse(keys(MAX_ADDITIONAL_ATTESTER_KEYS)).is_ok());
    let error = parse(keys(MAX_ADDITIONAL_ATTESTER_KEYS + 1)).unwrap_err();
    assert_eq!(
        error,
        Error::Config(ConfigError::TooManyEntries {
            name: "verificationMethod.additionalJwks",
            max: MAX_ADDITIONAL_ATTESTER_KEYS,
        })
    );
    assert_eq!(
        error.to_string(),
        "configuration: verificationMethod.additionalJwks: more than 8 entries"
    );
}

#[test]
fn an_additional_key_no_algorithm_fits_is_a_build_error_with_its_path() {
    let (a, b) = (attester(), attester());
    let ed = LocalSigner::generate(Algorithm::EdDsa, &SystemRandom::new()).unwrap();
    let config = static_config(a.public_jwk(), vec![b.public_jwk(), ed.public_jwk()]);
    let error = ClientAttestationVerifier::builder(config, ISSUER)
        .with_attestation_algorithms(&[Algorithm::Es256])
        .build()
        .unwrap_err();
    assert_eq!(
        error,
        ConfigError::AdditionalKeyAlgorithm {
            path: "verificationMethod.additionalJwks[1]".into()
        }
    );
}

const OLD_REFERENCE: &str = "arn:aws:kms:eu-west-1:1:key/attester-old";
const NEW_REFERENCE: &str = "arn:aws:kms:eu-west-1:1:key/attester-new";

/// A KMS holding A under the old reference and B under the new one.
fn kms(a: &LocalSigner, b: &LocalSigner) -> Arc<dyn KeyLookup> {
    let (a, b) = (a.public_jwk(), b.public_jwk());
    Arc::new(KeyFn::new(
        move |query: &KeyQuery<'_>, _: UnixTime| -> Result<Vec<PublicJwk>, KeyLookupError> {
            match query.key_reference() {
                Some(OLD_REFERENCE) => Ok(vec![a.clone()]),
                Some(NEW_REFERENCE) => Ok(vec![b.clone()]),
                _ => Err(KeyLookupError::no_trusted_key("no such key")),
            }
        },
    ))
}

fn kms_config(first: &str, additional: &[&str]) -> ClientAttestationConfig {
    ClientAttestationConfig::new(VerificationMethod::KmsKey {
        key_reference: first.into(),
        additional_key_references: additional.iter().map(|r| (*r).to_owned()).collect(),
    })
}

fn kms_verifier(
    fx: &Fixture,
    lookup: &Arc<dyn KeyLookup>,
    config: ClientAttestationConfig,
) -> Result<Arc<ClientAttestationVerifier>, ConfigError> {
    ClientAttestationVerifier::builder(config, ISSUER)
        .with_key_lookup(Arc::clone(lookup), fx.now)
        .build()
}

#[test]
fn old_and_new_kms_references_both_verify_during_the_transition() {
    let fx = Fixture::new();
    let (a, b, c) = (attester(), attester(), attester());
    let lookup = kms(&a, &b);
    let transition =
        kms_verifier(&fx, &lookup, kms_config(OLD_REFERENCE, &[NEW_REFERENCE])).unwrap();
    for signer in [&a, &b] {
        assert!(run_with(&fx, &transition, &attestation_by(&fx, signer, "x")).is_ok());
    }
    assert_eq!(
        run_with(&fx, &transition, &attestation_by(&fx, &c, "x")),
        Err(UNTRUSTED)
    );
    // Retired: only the new reference.
    let retired = kms_verifier(&fx, &lookup, kms_config(NEW_REFERENCE, &[])).unwrap();
    assert_eq!(
        run_with(&fx, &retired, &attestation_by(&fx, &a, "x")),
        Err(UNTRUSTED)
    );
    assert!(run_with(&fx, &retired, &attestation_by(&fx, &b, "x")).is_ok());
    // An additional reference that does not resolve is refused at build, with its path.
    let error = kms_verifier(
        &fx,
        &lookup,
        kms_config(OLD_REFERENCE, &[NEW_REFERENCE, "arn:other"]),
    )
    .unwrap_err();
    assert_eq!(
        error,
        ConfigError::AdditionalKeyUnresolved {
            path: "verificationMethod.additionalKeyReferences[1]".into(),
            reason: "no such key".into(),
        }
    );
    assert_eq!(
        error.to_string(),
        "verificationMethod.additionalKeyReferences[1]: does not resolve: no such key"
    );
}

#[test]
fn a_kms_reference_that_stops_answering_does_not_hide_the_other() {
    let fx = Fixture::new();
    let (a, b) = (attester(), attester());
    let down = Arc::new(AtomicBool::new(false));
    let (a_key, b_key, flag) = (a.public_jwk(), b.public_jwk(), Arc::clone(&down));
    let lookup: Arc<dyn KeyLookup> = Arc::new(KeyFn::new(
        move |query: &KeyQuery<'_>, _: UnixTime| -> Result<Vec<PublicJwk>, KeyLookupError> {
            match query.key_reference() {
                Some(OLD_REFERENCE) if flag.load(Ordering::SeqCst) => {
                    Err(KeyLookupError::unavailable("KMS down"))
                }
                Some(OLD_REFERENCE) => Ok(vec![a_key.clone()]),
                Some(NEW_REFERENCE) => Ok(vec![b_key.clone()]),
                _ => Err(KeyLookupError::no_trusted_key("no such key")),
            }
        },
    ));
    let verifier = kms_verifier(&fx, &lookup, kms_config(OLD_REFERENCE, &[NEW_REFERENCE])).unwrap();
    down.store(true, Ordering::SeqCst);
    // B's attestation still verifies through the new reference.
    assert!(run_with(&fx, &verifier, &attestation_by(&fx, &b, "x")).is_ok());
    // A's cannot be checked: the server fault of the unavailable reference, not "untrusted".
    assert_eq!(
        run_with(&fx, &verifier, &attestation_by(&fx, &a, "x")),
        Err(Error::KeyResolution {
            reason: "KMS down".into()
        })
    );
    // Neither does an attestation by a key of no reference: it might be the unreachable one.
    assert_eq!(
        run_with(&fx, &verifier, &attestation_by(&fx, &attester(), "x")),
        Err(Error::KeyResolution {
            reason: "KMS down".into()
        })
    );
    // With the old reference alone, the failure is the server fault, as before.
    let single = ClientAttestationVerifier::builder(kms_config(OLD_REFERENCE, &[]), ISSUER)
        .with_key_lookup(Arc::clone(&lookup), fx.now)
        .build()
        .unwrap_err();
    assert_eq!(
        single,
        ConfigError::KeyUnresolved {
            reason: "KMS down".into()
        }
    );
}

#[test]
fn additional_key_references_are_read_with_their_paths() {
    let parse = |additional: Value| {
        ClientAttestationConfig::from_json(
            json!({"verificationMethod": {"type": "kms-key", "keyReference": OLD_REFERENCE,
                "additionalKeyReferences": additional}})
            .to_string()
            .as_bytes(),
        )
    };
    assert_eq!(
        parse(json!([NEW_REFERENCE])).unwrap().verification_method,
        VerificationMethod::KmsKey {
            key_reference: OLD_REFERENCE.into(),
            additional_key_references: vec![NEW_REFERENCE.into()],
        }
    );
    let entry = |index: usize| {
        Err(Error::Config(ConfigError::InvalidEntry {
            path: format!("verificationMethod.additionalKeyReferences[{index}]"),
        }))
    };
    assert_eq!(parse(json!([NEW_REFERENCE, ""])), entry(1));
    assert_eq!(parse(json!([7])), entry(0));
    assert_eq!(
        parse(json!(NEW_REFERENCE)),
        Err(Error::Config(ConfigError::InvalidEntry {
            path: "verificationMethod.additionalKeyReferences".into()
        }))
    );
    let error = parse(json!([NEW_REFERENCE, ""])).unwrap_err();
    assert_eq!(
        error.to_string(),
        "configuration: configuration member \"verificationMethod.additionalKeyReferences[1]\" is invalid"
    );
    let duplicate = |index: usize| {
        Err(Error::Config(ConfigError::DuplicateEntry {
            path: format!("verificationMethod.additionalKeyReferences[{index}]"),
        }))
    };
    assert_eq!(parse(json!([OLD_REFERENCE])), duplicate(0));
    assert_eq!(parse(json!(["k", NEW_REFERENCE, "k"])), duplicate(2));
    let references = |n: usize| -> Value {
        (0..n)
            .map(|i| format!("key-{i}"))
            .collect::<Vec<_>>()
            .into()
    };
    assert!(parse(references(MAX_ADDITIONAL_ATTESTER_KEYS)).is_ok());
    assert_eq!(
        parse(references(MAX_ADDITIONAL_ATTESTER_KEYS + 1)),
        Err(Error::Config(ConfigError::TooManyEntries {
            name: "verificationMethod.additionalKeyReferences",
            max: MAX_ADDITIONAL_ATTESTER_KEYS,
        }))
    );
}
