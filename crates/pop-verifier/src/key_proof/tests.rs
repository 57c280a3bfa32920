use jose_core::keys::{KeyFn, StaticKeys};
use jose_core::{LocalSigner, Signer, SystemRandom, base64url};
use serde_json::{Value, json};

use super::*;
use crate::{
    InMemoryReplayGuard, NonceCheck, NonceError, ReplayError, ReplayGuard as _, StatelessNonces,
};

const ISSUER: &str = "https://credential-issuer.example.com";
const NOW: i64 = 1_800_000_000;
const ALGS: &[Algorithm] = &[Algorithm::Es256, Algorithm::EdDsa];

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

fn header(s: &LocalSigner) -> Value {
    json!({"typ": KEY_PROOF_TYP, "alg": s.algorithm().jose_name(), "jwk": s.public_jwk().to_value()})
}

fn claims() -> Value {
    json!({"aud": ISSUER, "iat": NOW, "nonce": "n-1"})
}

/// A policy without a nonce check (most tests are about other rules).
fn policy() -> KeyProofPolicy<'static> {
    KeyProofPolicy::new(ISSUER, ALGS, NonceCheck::NoneIssued).danger_skip_nonce_check()
}

/// Verifies and records in a fresh guard.
fn verify(token: &str, policy: &KeyProofPolicy<'_>) -> Result<AcceptedKeyProof, Error> {
    verify_key_proof(token, policy, now(), &Limits::default())
        .map(|u| u.record(&InMemoryReplayGuard::new(8), now()).unwrap())
}

#[test]
fn each_proof_is_accepted_once() {
    let s = key(Algorithm::Es256);
    let token = raw(&s, &header(&s), &claims());
    let p = KeyProofPolicy::new(ISSUER, ALGS, NonceCheck::Value("n-1"));
    let first = verify_key_proof(&token, &p, now(), &Limits::default()).unwrap();
    let digest = ring::digest::digest(
        &ring::digest::SHA256,
        token.rsplit_once('.').unwrap().0.as_bytes(),
    );
    assert_eq!(
        first.key(),
        format!(
            "openid4vci-proof|6:sha256|{}",
            base64url::encode(digest.as_ref())
        )
    );
    assert_eq!(first.expires_at(), UnixTime::from_secs(NOW + 601));
    let guard = InMemoryReplayGuard::new(2);
    assert!(
        first
            .record(&guard, now())
            .unwrap()
            .holder_key()
            .same_key(&s.public_jwk())
    );
    let again = verify_key_proof(&token, &p, now(), &Limits::default()).unwrap();
    assert_eq!(again.record(&guard, now()), Err(ReplayError::Replayed));
    // A second proof with the same nonce by the same key is a different proof.
    let c = json!({"aud": ISSUER, "iat": NOW - 1, "nonce": "n-1"});
    let second = verify_key_proof(&raw(&s, &header(&s), &c), &p, now(), &Limits::default());
    assert!(second.unwrap().record(&guard, now()).is_ok());
}

#[test]
fn nonce_is_required_by_default() {
    let s = key(Algorithm::Es256);
    let h = header(&s);
    let without = json!({"aud": ISSUER, "iat": NOW});
    let strict = KeyProofPolicy::new(ISSUER, ALGS, NonceCheck::Value("n-1"));
    assert_eq!(
        verify(&raw(&s, &h, &without), &strict),
        Err(Error::NonceMissing)
    );
    let issued_none = KeyProofPolicy::new(ISSUER, ALGS, NonceCheck::NoneIssued);
    assert_eq!(
        verify(&raw(&s, &h, &claims()), &issued_none),
        Err(Error::NonceMismatch)
    );
    let optional = strict.danger_allow_missing_nonce();
    assert_eq!(
        verify(&raw(&s, &h, &without), &optional).unwrap().nonce(),
        None
    );
    let c = json!({"aud": ISSUER, "iat": NOW, "nonce": "n-2"});
    assert_eq!(
        verify(&raw(&s, &h, &c), &optional),
        Err(Error::NonceMismatch)
    );
    let skipped = strict.danger_skip_nonce_check();
    assert_eq!(
        verify(&raw(&s, &h, &c), &skipped).unwrap().nonce(),
        Some("n-2")
    );
}

#[test]
fn jwk_proof_verifies_and_returns_holder_key() {
    let s = key(Algorithm::EdDsa);
    let v = verify(
        &raw(&s, &header(&s), &claims()),
        &KeyProofPolicy::new(ISSUER, ALGS, NonceCheck::Value("n-1")),
    )
    .unwrap();
    assert!(v.holder_key().same_key(&s.public_jwk()));
    assert_eq!(v.key_source(), &KeySource::Jwk);
    assert_eq!(v.nonce(), Some("n-1"));
    assert_eq!(v.iat(), now());
    assert_eq!(v.iss(), None);
    assert_eq!(v.key_attestation(), None);
    assert!(v.into_holder_key().same_key(&s.public_jwk()));
}

#[test]
fn exactly_one_key_source() {
    let s = key(Algorithm::Es256);
    let mut h = header(&s);
    h["kid"] = json!("did:example:123#0");
    assert_eq!(
        verify(&raw(&s, &h, &claims()), &policy()),
        Err(Error::KeySourceCount { found: 2 })
    );
    let h = json!({"typ": KEY_PROOF_TYP, "alg": "ES256"});
    assert_eq!(
        verify(&raw(&s, &h, &claims()), &policy()),
        Err(Error::KeySourceCount { found: 0 })
    );
}

#[test]
fn kid_needs_a_resolver() {
    let s = key(Algorithm::Es256);
    let h = json!({"typ": KEY_PROOF_TYP, "alg": "ES256", "kid": "did:example:123#0"});
    let token = raw(&s, &h, &claims());
    assert!(matches!(
        verify(&token, &policy()),
        Err(Error::KeyResolution { .. })
    ));
    let jwk = s.public_jwk();
    let resolver = KeyFn::new(move |query: &KeyQuery<'_>, _: UnixTime| {
        if query.kid() == Some("did:example:123#0") && query.header().is_some() {
            Ok(vec![jwk.clone()])
        } else {
            Err(KeyLookupError::no_trusted_key("unknown DID"))
        }
    });
    let v = verify(&token, &policy().with_kid_keys(&resolver)).unwrap();
    assert_eq!(v.key_source(), &KeySource::Kid("did:example:123#0".into()));
    let h = json!({"typ": KEY_PROOF_TYP, "alg": "ES256", "kid": "did:example:other"});
    assert_eq!(
        verify(&raw(&s, &h, &claims()), &policy().with_kid_keys(&resolver)),
        Err(Error::KeyResolution {
            reason: "unknown DID".into()
        })
    );
}

#[test]
fn kid_candidates_are_tried_in_order() {
    let s = key(Algorithm::Es256);
    let other = key(Algorithm::Es256);
    let h = json!({"typ": KEY_PROOF_TYP, "alg": "ES256", "kid": "k"});
    let token = raw(&s, &h, &claims());
    // Two keys named "k": the first does not verify, the second does.
    let keys = StaticKeys::new(vec![
        other.public_jwk().with_kid("k"),
        s.public_jwk().with_kid("k"),
    ]);
    let v = verify(&token, &policy().with_kid_keys(&keys)).unwrap();
    assert!(v.holder_key().same_key(&s.public_jwk()));
    // Only the wrong key: the signature error.
    let wrong = StaticKeys::new(vec![other.public_jwk().with_kid("k")]);
    assert_eq!(
        verify(&token, &policy().with_kid_keys(&wrong)),
        Err(Error::SignatureInvalid)
    );
    // A kid no configured key has: the lookup's exact miss.
    let miss = StaticKeys::new(vec![s.public_jwk().with_kid("j")]);
    assert_eq!(
        verify(&token, &policy().with_kid_keys(&miss)),
        Err(Error::KeyResolution {
            reason: "no configured key matches the kid".into()
        })
    );
}

#[test]
fn an_unavailable_key_lookup_is_not_the_proofs_fault() {
    let s = key(Algorithm::Es256);
    let h = json!({"typ": KEY_PROOF_TYP, "alg": "ES256", "kid": "did:example:123#0"});
    let down = KeyFn::new(|_: &KeyQuery<'_>, _: UnixTime| {
        Err(KeyLookupError::unavailable("DID resolver timeout"))
    });
    assert_eq!(
        verify(&raw(&s, &h, &claims()), &policy().with_kid_keys(&down)),
        Err(Error::KeyLookupUnavailable {
            reason: "DID resolver timeout".into()
        })
    );
}

#[test]
fn x5c_uses_the_chain_validator() {
    let s = key(Algorithm::Es256);
    let h = json!({"typ": KEY_PROOF_TYP, "alg": "ES256", "x5c": ["AQID", "BAUG"]});
    let token = raw(&s, &h, &claims());
    assert!(matches!(
        verify(&token, &policy()),
        Err(Error::KeyResolution { .. })
    ));
    let jwk = s.public_jwk();
    let validator = KeyFn::new(move |query: &KeyQuery<'_>, _: UnixTime| {
        assert_eq!(query.x5c(), Some(&[vec![1, 2, 3], vec![4, 5, 6]][..]));
        Ok(vec![jwk.clone()])
    });
    let v = verify(&token, &policy().with_x5c_keys(&validator)).unwrap();
    assert_eq!(v.key_source(), &KeySource::X5c);
    let refuse = KeyFn::new(|_: &KeyQuery<'_>, _: UnixTime| {
        Err(KeyLookupError::no_trusted_key("untrusted root"))
    });
    assert_eq!(
        verify(&token, &policy().with_x5c_keys(&refuse)),
        Err(Error::KeyResolution {
            reason: "untrusted root".into()
        })
    );
}

#[test]
fn private_key_in_jwk_header_is_refused() {
    let s = key(Algorithm::Es256);
    let mut h = header(&s);
    h["jwk"]["d"] = json!("AAAA");
    assert_eq!(
        verify(&raw(&s, &h, &claims()), &policy()),
        Err(Error::Malformed {
            source: jose_core::Error::PrivateKeyMember { member: "d" }
        })
    );
}

#[test]
fn header_rules() {
    let s = key(Algorithm::Es256);
    let mut h = header(&s);
    h["typ"] = json!("JWT");
    assert_eq!(
        verify(&raw(&s, &h, &claims()), &policy()),
        Err(Error::WrongType {
            expected: KEY_PROOF_TYP,
            found: Some("JWT".into())
        })
    );
    let p = key(Algorithm::Es384);
    assert_eq!(
        verify(&raw(&p, &header(&p), &claims()), &policy()),
        Err(Error::AlgorithmNotAllowed {
            alg: Algorithm::Es384
        })
    );
    let other = key(Algorithm::Es256);
    assert_eq!(
        verify(&raw(&other, &header(&s), &claims()), &policy()),
        Err(Error::SignatureInvalid)
    );
    let mut h = header(&s);
    h["key_attestation"] = json!(5);
    assert_eq!(
        verify(&raw(&s, &h, &claims()), &policy()),
        Err(Error::Header {
            source: jose_core::Error::InvalidHeader {
                name: "key_attestation"
            }
        })
    );
    let mut h = header(&s);
    h["key_attestation"] = json!("eyJ.a.b");
    let v = verify(&raw(&s, &h, &claims()), &policy()).unwrap();
    assert_eq!(v.key_attestation(), Some("eyJ.a.b"));
}

#[test]
fn claim_rules() {
    let s = key(Algorithm::Es256);
    let h = header(&s);
    let c = json!({"aud": "https://other.example", "iat": NOW});
    assert_eq!(
        verify(&raw(&s, &h, &c), &policy()),
        Err(Error::AudienceMismatch {
            found: "https://other.example".into()
        })
    );
    let c = json!({"aud": [ISSUER, ISSUER], "iat": NOW});
    assert_eq!(
        verify(&raw(&s, &h, &c), &policy()),
        Err(Error::AudienceMultiple { count: 2 })
    );
    let c = json!({"aud": ISSUER});
    assert_eq!(
        verify(&raw(&s, &h, &c), &policy()),
        Err(Error::MissingClaim { name: "iat" })
    );
    let p = policy()
        .with_clock_skew_seconds(5)
        .with_replay_window_seconds(60);
    let c = json!({"aud": ISSUER, "iat": NOW - 66});
    assert_eq!(
        verify(&raw(&s, &h, &c), &p),
        Err(Error::IatTooOld {
            iat: NOW - 66,
            earliest: NOW - 65
        })
    );
    let c = json!({"aud": ISSUER, "iat": NOW + 6});
    assert_eq!(
        verify(&raw(&s, &h, &c), &p),
        Err(Error::IatInFuture {
            iat: NOW + 6,
            latest: NOW + 5
        })
    );
}

#[test]
fn nonce_rules() {
    let s = key(Algorithm::Es256);
    let h = header(&s);
    let p = KeyProofPolicy::new(ISSUER, ALGS, NonceCheck::Value("n-1"));
    let c = json!({"aud": ISSUER, "iat": NOW});
    assert_eq!(verify(&raw(&s, &h, &c), &p), Err(Error::NonceMissing));
    let c = json!({"aud": ISSUER, "iat": NOW, "nonce": "n-2"});
    assert_eq!(verify(&raw(&s, &h, &c), &p), Err(Error::NonceMismatch));

    let nonces = StatelessNonces::new(&[4; 32], None).unwrap();
    let rng = |d: &mut [u8]| -> Result<(), jose_core::Error> {
        d.fill(3);
        Ok(())
    };
    let c_nonce = nonces.issue(NoncePurpose::CNonce, now(), &rng).unwrap();
    let dpop_nonce = nonces.issue(NoncePurpose::DpopNonce, now(), &rng).unwrap();
    let p = KeyProofPolicy::new(
        ISSUER,
        ALGS,
        NonceCheck::Stateless {
            nonces: &nonces,
            max_age: 300,
        },
    );
    let c = json!({"aud": ISSUER, "iat": NOW, "nonce": c_nonce});
    assert!(verify(&raw(&s, &h, &c), &p).is_ok());
    let c = json!({"aud": ISSUER, "iat": NOW, "nonce": dpop_nonce});
    assert_eq!(
        verify(&raw(&s, &h, &c), &p),
        Err(Error::NonceInvalid {
            source: NonceError::WrongPurpose {
                expected: NoncePurpose::CNonce,
                found: NoncePurpose::DpopNonce
            }
        })
    );
}

/// A stateless c_nonce is spent by the first request that records a proof with it: the
/// request's proofs share it, a later proof with it (or the same proof again) is
/// `NonceSpent`, and `with_reusable_nonce` leaves it usable while each proof stays single-use.
#[test]
fn a_stateless_c_nonce_is_spent_once_per_request() {
    let nonces = StatelessNonces::new(&[4; 32], None).unwrap();
    let rng = |d: &mut [u8]| -> Result<(), jose_core::Error> {
        d.fill(5);
        Ok(())
    };
    let c_nonce = nonces.issue(NoncePurpose::CNonce, now(), &rng).unwrap();
    let check = NonceCheck::Stateless {
        nonces: &nonces,
        max_age: 300,
    };
    let proof = |s: &LocalSigner, iat: i64| {
        raw(
            s,
            &header(s),
            &json!({"aud": ISSUER, "iat": iat, "nonce": c_nonce}),
        )
    };
    let (a, b) = (key(Algorithm::Es256), key(Algorithm::EdDsa));
    let spending = KeyProofPolicy::new(ISSUER, ALGS, check);
    let verified = |token: &str, p: &KeyProofPolicy<'_>| {
        verify_key_proof(token, p, now(), &Limits::default()).unwrap()
    };

    let guard = InMemoryReplayGuard::new(8);
    let batch = vec![
        verified(&proof(&a, NOW), &spending),
        verified(&proof(&b, NOW), &spending),
    ];
    assert_eq!(
        batch[0].spends(),
        Some((
            spent_nonce_key(NoncePurpose::CNonce, &c_nonce).as_str(),
            UnixTime::from_secs(NOW + 301)
        ))
    );
    assert_eq!(
        Unrecorded::record_all(batch, &guard, now()).unwrap().len(),
        2
    );
    // Two proofs and their one nonce.
    assert_eq!(guard.len(), 3);
    let fresh = verified(&proof(&a, NOW - 1), &spending);
    assert_eq!(fresh.record(&guard, now()), Err(ReplayError::NonceSpent));
    let replayed = verified(&proof(&a, NOW), &spending);
    assert_eq!(replayed.record(&guard, now()), Err(ReplayError::NonceSpent));
    // The same proof twice in one request is a replay of the proof, not of its nonce.
    let twice = vec![
        verified(&proof(&b, NOW - 2), &spending),
        verified(&proof(&b, NOW - 2), &spending),
    ];
    assert_eq!(
        Unrecorded::record_all(twice, &InMemoryReplayGuard::new(8), now()),
        Err(ReplayError::Replayed)
    );
    // A spent nonce is kept while it is accepted (to its last second) and forgotten once it is
    // too old to be.
    let last = UnixTime::from_secs(NOW + 300);
    let at_last = verify_key_proof(&proof(&a, NOW + 300), &spending, last, &Limits::default());
    assert_eq!(
        at_last.unwrap().record(&guard, last),
        Err(ReplayError::NonceSpent)
    );
    let later = UnixTime::from_secs(NOW + 301);
    assert!(matches!(
        verify_key_proof(&proof(&a, NOW + 301), &spending, later, &Limits::default()),
        Err(Error::NonceInvalid {
            source: NonceError::Expired { .. }
        })
    ));
    // At `NOW + 301` the nonce's key has expired (the proofs' keys live on, to their `iat`
    // window): recording it again succeeds.
    let spent = spent_nonce_key(NoncePurpose::CNonce, &c_nonce);
    let kept = UnixTime::from_secs(NOW + 400);
    assert_eq!(
        guard.check_and_record(&spent, kept, last),
        Err(ReplayError::Replayed)
    );
    assert_eq!(guard.check_and_record(&spent, kept, later), Ok(()));

    // A request with two nonces, one spent: refused whole, the other nonce stays unspent.
    let other_nonce = nonces
        .issue(NoncePurpose::CNonce, UnixTime::from_secs(NOW - 1), &rng)
        .unwrap();
    assert_ne!(other_nonce, c_nonce);
    let with_other = |s: &LocalSigner| {
        raw(
            s,
            &header(s),
            &json!({"aud": ISSUER, "iat": NOW, "nonce": other_nonce}),
        )
    };
    let guard = InMemoryReplayGuard::new(8);
    assert!(
        verified(&proof(&a, NOW), &spending)
            .record(&guard, now())
            .is_ok()
    );
    let mixed = vec![
        verified(&proof(&b, NOW), &spending),
        verified(&with_other(&a), &spending),
    ];
    assert_eq!(
        Unrecorded::record_all(mixed, &guard, now()),
        Err(ReplayError::NonceSpent)
    );
    assert!(
        verified(&with_other(&b), &spending)
            .record(&guard, now())
            .is_ok()
    );

    let reusable = spending.with_reusable_nonce();
    let guard = InMemoryReplayGuard::new(8);
    assert!(
        verified(&proof(&a, NOW), &reusable)
            .record(&guard, now())
            .is_ok()
    );
    assert!(
        verified(&proof(&a, NOW - 1), &reusable)
            .record(&guard, now())
            .is_ok()
    );
    assert_eq!(
        verified(&proof(&a, NOW), &reusable).record(&guard, now()),
        Err(ReplayError::Replayed)
    );
    assert_eq!(guard.len(), 2);
}

#[test]
fn iss_rules() {
    let s = key(Algorithm::Es256);
    let h = header(&s);
    let with_iss = json!({"aud": ISSUER, "iat": NOW, "iss": "wallet-1"});
    let without = json!({"aud": ISSUER, "iat": NOW});
    let client = policy().with_client(ProofClient::ClientId("wallet-1"));
    assert_eq!(
        verify(&raw(&s, &h, &with_iss), &client).unwrap().iss(),
        Some("wallet-1")
    );
    assert!(verify(&raw(&s, &h, &without), &client).is_ok());
    let other = policy().with_client(ProofClient::ClientId("wallet-2"));
    assert_eq!(
        verify(&raw(&s, &h, &with_iss), &other),
        Err(Error::IssuerMismatch {
            found: "wallet-1".into()
        })
    );
    let anon = policy().with_client(ProofClient::AnonymousPreAuthorized);
    assert_eq!(
        verify(&raw(&s, &h, &with_iss), &anon),
        Err(Error::IssuerNotAllowed)
    );
    assert!(verify(&raw(&s, &h, &without), &anon).is_ok());
}
