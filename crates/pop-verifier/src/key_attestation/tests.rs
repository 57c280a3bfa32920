use jose_core::keys::KeyFn;
use jose_core::{LocalSigner, Signer, SystemRandom, base64url};
use serde_json::json;

use super::*;
use crate::{InMemoryReplayGuard, KeyProofPolicy, verify_key_proof};

const NOW: i64 = 1_800_000_000;

fn now() -> UnixTime {
    UnixTime::from_secs(NOW)
}

fn key(alg: Algorithm) -> LocalSigner {
    LocalSigner::generate(alg, &SystemRandom::new()).unwrap()
}

fn raw(signer: &dyn Signer, header: &Value, claims: &Value) -> String {
    let input = format!(
        "{}.{}",
        base64url::encode(header.to_string().as_bytes()),
        base64url::encode(claims.to_string().as_bytes())
    );
    let sig = signer.sign(input.as_bytes()).unwrap();
    format!("{input}.{}", base64url::encode(&sig))
}

/// A verifier whose "chain validator" accepts the chain `["AQID"]` as the attester's key and
/// refuses every other chain, and any query that carries a `kid` (the key comes from `x5c`
/// alone).
fn verifier(attester: &LocalSigner) -> KeyAttestationVerifier {
    let jwk = attester.public_jwk();
    let lookup = KeyFn::new(move |q: &KeyQuery<'_>, _: UnixTime| {
        if q.kid().is_some() {
            return Err(KeyLookupError::no_trusted_key("asked with a kid"));
        }
        if q.x5c() == Some(&[vec![1, 2, 3]][..]) {
            Ok(vec![jwk.clone()])
        } else {
            Err(KeyLookupError::no_trusted_key("untrusted root"))
        }
    });
    KeyAttestationVerifier::builder()
        .algorithms(&[Algorithm::Es256])
        .wallet_provider_roots(Arc::new(lookup))
        .build()
        .unwrap()
}

fn header() -> Value {
    json!({"typ": KEY_ATTESTATION_TYP, "alg": "ES256", "x5c": ["AQID"]})
}

fn claims(holder: &LocalSigner) -> Value {
    json!({
        "iat": NOW - 10, "exp": NOW + 3600,
        "attested_keys": [holder.public_jwk().to_value()],
        "key_storage": ["iso_18045_moderate"],
        "user_authentication": ["iso_18045_high"],
        "nonce": "n-1",
        "certification": "https://cert.example/1",
        "status": {"status_list": {"idx": 1, "uri": "https://s.example/1"}}
    })
}

fn unchecked(v: &KeyAttestationVerifier, token: &str) -> Result<VerifiedKeyAttestation, Error> {
    v.verify(token, now(), AttestationNonce::Unchecked)
}

#[test]
fn verifies_and_reports_every_claim() {
    let (a, h) = (key(Algorithm::Es256), key(Algorithm::Es256));
    let v = verifier(&a);
    let ok = unchecked(&v, &raw(&a, &header(), &claims(&h))).unwrap();
    assert_eq!(ok.attested_keys().len(), 1);
    assert!(ok.attests(&h.public_jwk()));
    assert!(!ok.attests(&a.public_jwk()));
    assert_eq!(ok.key_storage(), ["iso_18045_moderate"]);
    assert_eq!(ok.user_authentication(), ["iso_18045_high"]);
    assert_eq!(ok.iat(), UnixTime::from_secs(NOW - 10));
    assert_eq!(ok.exp(), Some(UnixTime::from_secs(NOW + 3600)));
    assert_eq!(ok.nonce(), Some("n-1"));
    assert_eq!(ok.certification(), Some("https://cert.example/1"));
    assert_eq!(ok.status().unwrap()["status_list"]["idx"], 1);
    assert!(ok.replay_key().starts_with("key-attestation|6:sha256|"));
    let again = unchecked(&v, &raw(&a, &header(), &claims(&h))).unwrap();
    // ES256 signatures are randomised; the signing input, which names the attestation, is not.
    assert_eq!(ok.replay_key(), again.replay_key());
    let mut c = claims(&h);
    c["iat"] = json!(NOW - 11);
    let other = unchecked(&v, &raw(&a, &header(), &c)).unwrap();
    assert_ne!(ok.replay_key(), other.replay_key());
}

#[test]
fn build_names_the_config_path() {
    let a = key(Algorithm::Es256);
    let lookup: Arc<dyn KeyLookup> =
        Arc::new(jose_core::keys::StaticKeys::new(vec![a.public_jwk()]));
    assert_eq!(
        KeyAttestationVerifier::builder()
            .wallet_provider_roots(Arc::clone(&lookup))
            .build()
            .unwrap_err(),
        KeyAttestationConfigError::NoAlgorithms {
            path: "keyAttestation.algorithms"
        }
    );
    let err = KeyAttestationVerifier::builder()
        .algorithms(&[Algorithm::Es256])
        .build()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "keyAttestation.trustedRoots: the wallet-provider roots (an x5c chain validator) are required"
    );
    assert_eq!(
        KeyAttestationVerifier::builder()
            .algorithms(&[Algorithm::Es256])
            .wallet_provider_roots(lookup)
            .max_attested_keys(0)
            .build()
            .unwrap_err(),
        KeyAttestationConfigError::ZeroLimit {
            path: "keyAttestation.maxAttestedKeys"
        }
    );
    fn shared<T: Send + Sync>() {}
    shared::<KeyAttestationVerifier>();
}

#[test]
fn header_rules() {
    let (a, h) = (key(Algorithm::Es256), key(Algorithm::Es256));
    let v = verifier(&a);
    let mut hd = header();
    hd["typ"] = json!("openid4vci-proof+jwt");
    assert_eq!(
        unchecked(&v, &raw(&a, &hd, &claims(&h))),
        Err(Error::WrongType {
            expected: KEY_ATTESTATION_TYP,
            found: Some("openid4vci-proof+jwt".into())
        })
    );
    let e = key(Algorithm::EdDsa);
    let hd = json!({"typ": KEY_ATTESTATION_TYP, "alg": "EdDSA", "x5c": ["AQID"]});
    assert_eq!(
        unchecked(&v, &raw(&e, &hd, &claims(&h))),
        Err(Error::AlgorithmNotAllowed {
            alg: Algorithm::EdDsa
        })
    );
    // A jwk header instead of an x5c chain: the attester would vouch for itself.
    let hd = json!({"typ": KEY_ATTESTATION_TYP, "alg": "ES256", "jwk": a.public_jwk().to_value()});
    assert_eq!(
        unchecked(&v, &raw(&a, &hd, &claims(&h))),
        Err(Error::KeySourceCount { found: 1 })
    );
    // A `kid` beside `x5c` names the key and changes nothing; without `x5c` it is no source.
    let mut hd = header();
    hd["kid"] = json!("k");
    let keys = |header: &Value| {
        unchecked(&v, &raw(&a, header, &claims(&h))).map(|v| v.attested_keys().to_vec())
    };
    assert_eq!(keys(&hd), Ok(vec![h.public_jwk()]));
    assert_eq!(keys(&hd), keys(&header()));
    let hd = json!({"typ": KEY_ATTESTATION_TYP, "alg": "ES256", "kid": "k"});
    assert_eq!(
        unchecked(&v, &raw(&a, &hd, &claims(&h))),
        Err(Error::KeySourceCount { found: 1 })
    );
    let mut hd = header();
    hd["jwk"] = a.public_jwk().to_value();
    assert_eq!(
        unchecked(&v, &raw(&a, &hd, &claims(&h))),
        Err(Error::KeySourceCount { found: 2 })
    );
    let hd = json!({"typ": KEY_ATTESTATION_TYP, "alg": "ES256", "x5c": ["BAUG"]});
    assert_eq!(
        unchecked(&v, &raw(&a, &hd, &claims(&h))),
        Err(Error::KeyResolution {
            reason: "untrusted root".into()
        })
    );
    assert_eq!(
        unchecked(&v, &raw(&h, &header(), &claims(&h))),
        Err(Error::SignatureInvalid)
    );
}

#[test]
fn time_rules() {
    let (a, h) = (key(Algorithm::Es256), key(Algorithm::Es256));
    let v = verifier(&a);
    for (name, delete) in [("iat", "iat"), ("exp", "exp")] {
        let mut c = claims(&h);
        c.as_object_mut().unwrap().remove(delete);
        assert_eq!(
            unchecked(&v, &raw(&a, &header(), &c)),
            Err(Error::MissingClaim { name })
        );
    }
    let mut c = claims(&h);
    c["iat"] = json!(NOW + 301);
    assert_eq!(
        unchecked(&v, &raw(&a, &header(), &c)),
        Err(Error::IatInFuture {
            iat: NOW + 301,
            latest: NOW + 300
        })
    );
    c["iat"] = json!(NOW + 300);
    assert!(unchecked(&v, &raw(&a, &header(), &c)).is_ok());
    let mut c = claims(&h);
    c["exp"] = json!(NOW - 301);
    assert_eq!(
        unchecked(&v, &raw(&a, &header(), &c)),
        Err(Error::Expired { exp: NOW - 301 })
    );
    c["exp"] = json!(NOW - 300);
    assert!(unchecked(&v, &raw(&a, &header(), &c)).is_ok());
}

/// As the `attestation` proof type, `exp` may be absent (App. D.1 requires it only with `jwt`
/// proofs); a carried one is still enforced, and `iat` is still required.
#[test]
fn the_attestation_proof_type_does_not_need_exp() {
    let (a, h) = (key(Algorithm::Es256), key(Algorithm::Es256));
    let v = verifier(&a);
    let as_proof = |c: &Value| {
        v.verify_attestation_proof(&raw(&a, &header(), c), now(), AttestationNonce::Unchecked)
    };
    let mut c = claims(&h);
    c.as_object_mut().unwrap().remove("exp");
    assert_eq!(as_proof(&c).unwrap().exp(), None);
    assert_eq!(
        unchecked(&v, &raw(&a, &header(), &c)),
        Err(Error::MissingClaim { name: "exp" })
    );
    c["exp"] = json!(NOW - 301);
    assert_eq!(as_proof(&c), Err(Error::Expired { exp: NOW - 301 }));
    let mut c = claims(&h);
    c.as_object_mut().unwrap().remove("iat");
    assert_eq!(as_proof(&c), Err(Error::MissingClaim { name: "iat" }));
}

#[test]
fn attested_keys_rules() {
    let (a, h) = (key(Algorithm::Es256), key(Algorithm::Es256));
    let v = verifier(&a);
    let mut c = claims(&h);
    c["attested_keys"] = json!([]);
    assert_eq!(
        unchecked(&v, &raw(&a, &header(), &c)),
        Err(Error::AttestedKeysEmpty)
    );
    c["attested_keys"] = json!({"kty": "EC"});
    assert_eq!(
        unchecked(&v, &raw(&a, &header(), &c)),
        Err(Error::InvalidClaim {
            name: "attested_keys"
        })
    );
    c.as_object_mut().unwrap().remove("attested_keys");
    assert_eq!(
        unchecked(&v, &raw(&a, &header(), &c)),
        Err(Error::MissingClaim {
            name: "attested_keys"
        })
    );
    let mut private = h.public_jwk().to_value();
    private["d"] = json!("AAAA");
    c["attested_keys"] = json!([h.public_jwk().to_value(), private]);
    assert_eq!(
        unchecked(&v, &raw(&a, &header(), &c)),
        Err(Error::AttestedKeyInvalid {
            index: 1,
            source: jose_core::Error::PrivateKeyMember { member: "d" }
        })
    );
    let many: Vec<Value> = (0..65).map(|_| h.public_jwk().to_value()).collect();
    c["attested_keys"] = Value::Array(many);
    assert_eq!(
        unchecked(&v, &raw(&a, &header(), &c)),
        Err(Error::AttestedKeysTooMany { count: 65, max: 64 })
    );
}

#[test]
fn value_rules() {
    let (a, h) = (key(Algorithm::Es256), key(Algorithm::Es256));
    let v = verifier(&a);
    let mut c = claims(&h);
    c["key_storage"] = json!("iso_18045_high");
    assert_eq!(
        unchecked(&v, &raw(&a, &header(), &c)),
        Err(Error::InvalidClaim {
            name: "key_storage"
        })
    );
    c["key_storage"] = json!([1]);
    assert_eq!(
        unchecked(&v, &raw(&a, &header(), &c)),
        Err(Error::InvalidClaim {
            name: "key_storage"
        })
    );
    c["key_storage"] = json!(["x".repeat(257)]);
    assert_eq!(
        unchecked(&v, &raw(&a, &header(), &c)),
        Err(Error::InvalidClaim {
            name: "key_storage"
        })
    );
    let mut c = claims(&h);
    c["user_authentication"] = Value::Array((0..17).map(|i| json!(format!("v{i}"))).collect());
    assert_eq!(
        unchecked(&v, &raw(&a, &header(), &c)),
        Err(Error::AttestationValuesTooMany {
            name: "user_authentication",
            count: 17,
            max: 16
        })
    );
    let mut c = claims(&h);
    c["status"] = json!("revoked");
    assert_eq!(
        unchecked(&v, &raw(&a, &header(), &c)),
        Err(Error::InvalidClaim { name: "status" })
    );
    let mut c = claims(&h);
    c["certification"] = json!(["https://cert.example/1"]);
    assert_eq!(
        unchecked(&v, &raw(&a, &header(), &c)),
        Err(Error::InvalidClaim {
            name: "certification"
        })
    );
}

#[test]
fn nonce_rules() {
    let (a, h) = (key(Algorithm::Es256), key(Algorithm::Es256));
    let v = verifier(&a);
    let token = raw(&a, &header(), &claims(&h));
    let mut c = claims(&h);
    c.as_object_mut().unwrap().remove("nonce");
    let without = raw(&a, &header(), &c);
    let ok = NonceCheck::Value("n-1");
    let other = NonceCheck::Value("n-2");
    assert!(
        v.verify(&token, now(), AttestationNonce::Required(ok))
            .is_ok()
    );
    assert_eq!(
        v.verify(&token, now(), AttestationNonce::Required(other)),
        Err(Error::NonceMismatch)
    );
    assert_eq!(
        v.verify(&without, now(), AttestationNonce::Required(ok)),
        Err(Error::NonceMissing)
    );
    assert!(
        v.verify(&without, now(), AttestationNonce::IfPresent(ok))
            .is_ok()
    );
    assert_eq!(
        v.verify(&token, now(), AttestationNonce::IfPresent(other)),
        Err(Error::NonceMismatch)
    );
    assert!(v.verify(&token, now(), AttestationNonce::Unchecked).is_ok());
}

#[test]
fn requirement_needs_one_accepted_value_per_list() {
    let (a, h) = (key(Algorithm::Es256), key(Algorithm::Es256));
    let ok = unchecked(&verifier(&a), &raw(&a, &header(), &claims(&h))).unwrap();
    let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
    assert_eq!(
        ok.check_requirement(&KeyAttestationRequirement::default()),
        Ok(())
    );
    let req = KeyAttestationRequirement::new(
        s(&["iso_18045_high", "iso_18045_moderate"]),
        s(&["iso_18045_high"]),
    );
    assert_eq!(ok.check_requirement(&req), Ok(()));
    let req = KeyAttestationRequirement::new(s(&["iso_18045_high"]), vec![]);
    assert_eq!(
        ok.check_requirement(&req),
        Err(Error::KeyStorageNotAccepted)
    );
    let req = KeyAttestationRequirement::new(vec![], s(&["iso_18045_enhanced-basic"]));
    assert_eq!(
        ok.check_requirement(&req),
        Err(Error::UserAuthenticationNotAccepted)
    );
    // An attestation without the claim meets no non-empty list.
    let mut c = claims(&h);
    c.as_object_mut().unwrap().remove("key_storage");
    let bare = unchecked(&verifier(&a), &raw(&a, &header(), &c)).unwrap();
    let req = KeyAttestationRequirement::new(s(&["iso_18045_moderate"]), vec![]);
    assert_eq!(
        bare.check_requirement(&req),
        Err(Error::KeyStorageNotAccepted)
    );
}

#[test]
fn proof_key_must_be_attested() {
    let (a, h, other) = (
        key(Algorithm::Es256),
        key(Algorithm::Es256),
        key(Algorithm::Es256),
    );
    let att = unchecked(&verifier(&a), &raw(&a, &header(), &claims(&h))).unwrap();
    let proof = |s: &LocalSigner| {
        let hd =
            json!({"typ": crate::KEY_PROOF_TYP, "alg": "ES256", "jwk": s.public_jwk().to_value()});
        let c = json!({"aud": "https://i.example", "iat": NOW});
        let policy = KeyProofPolicy::new(
            "https://i.example",
            &[Algorithm::Es256],
            NonceCheck::NoneIssued,
        )
        .danger_skip_nonce_check();
        verify_key_proof(&raw(s, &hd, &c), &policy, now(), &Limits::default())
            .unwrap()
            .record(&InMemoryReplayGuard::new(2), now())
            .unwrap()
    };
    assert_eq!(att.check_proof_key(&proof(&h)), Ok(()));
    assert_eq!(
        att.check_proof_key(&proof(&other)),
        Err(Error::KeyNotAttested)
    );
    // The thumbprint ignores kid and alg members.
    assert!(att.attests(&h.public_jwk().with_kid("k").with_alg(Algorithm::Es256)));
}

#[test]
fn built_attestations_and_attested_proofs_verify() {
    let (a, h) = (key(Algorithm::Es256), key(Algorithm::Es256));
    let claims = crate::KeyAttestationClaims::new(
        UnixTime::from_secs(NOW),
        UnixTime::from_secs(NOW + 60),
        vec![h.public_jwk()],
    )
    .with_levels(vec!["iso_18045_high".into()], vec![])
    .with_nonce("n-1");
    let att = crate::build_key_attestation(&claims, vec![vec![1, 2, 3]], &a).unwrap();
    let ok = verifier(&a)
        .verify(
            &att,
            now(),
            AttestationNonce::Required(NonceCheck::Value("n-1")),
        )
        .unwrap();
    assert!(ok.attests(&h.public_jwk()));
    assert_eq!(ok.key_storage(), ["iso_18045_high"]);
    assert!(ok.user_authentication().is_empty());
    let proof = crate::build_attested_key_proof(
        &crate::KeyProofClaims::new("https://i.example", now()),
        &crate::ProofKey::Jwk(h.public_jwk()),
        &att,
        &h,
    )
    .unwrap();
    let policy = KeyProofPolicy::new(
        "https://i.example",
        &[Algorithm::Es256],
        NonceCheck::NoneIssued,
    )
    .danger_skip_nonce_check();
    let limits = Limits::default().with_max_token_len(DEFAULT_MAX_KEY_ATTESTATION_LEN);
    let accepted = verify_key_proof(&proof, &policy, now(), &limits)
        .unwrap()
        .record(&InMemoryReplayGuard::new(2), now())
        .unwrap();
    assert_eq!(accepted.key_attestation(), Some(att.as_str()));
    assert_eq!(ok.check_proof_key(&accepted), Ok(()));
}
