use jose_core::{LocalSigner, Signer, SystemRandom, base64url};
use serde_json::{Value, json};

use super::*;
use crate::{InMemoryReplayGuard, NonceCheck, NonceError, ReplayError, StatelessNonces};

const AS: &str = "https://as.example.com";
const NOW: i64 = 1_800_000_000;
const ALGS: &[Algorithm] = &[Algorithm::Es256, Algorithm::EdDsa];

fn now() -> UnixTime {
    UnixTime::from_secs(NOW)
}

fn key(alg: Algorithm) -> LocalSigner {
    LocalSigner::generate(alg, &SystemRandom::new()).unwrap()
}

/// Signs `header.payload` as given (any JSON text), so tests can build malformed tokens.
fn raw(signer: &dyn Signer, header: &str, payload: &str) -> String {
    let input = format!(
        "{}.{}",
        base64url::encode(header.as_bytes()),
        base64url::encode(payload.as_bytes())
    );
    let sig = signer.sign(input.as_bytes()).unwrap();
    format!("{input}.{}", base64url::encode(&sig))
}

fn pop(signer: &dyn Signer, claims: &Value) -> String {
    let header = json!({"typ": ATTESTATION_POP_TYP, "alg": signer.algorithm().jose_name()});
    raw(signer, &header.to_string(), &claims.to_string())
}

fn claims() -> Value {
    json!({"aud": AS, "jti": "j-1", "iat": NOW})
}

/// A policy for client `c1` without a challenge check (most tests are about other rules).
fn policy() -> AttestationPopPolicy<'static> {
    with_challenge(NonceCheck::NoneIssued).danger_skip_challenge_check()
}

fn with_challenge(challenge: NonceCheck<'_>) -> AttestationPopPolicy<'_> {
    AttestationPopPolicy::new(AS, "c1", ALGS, challenge)
}

/// Verifies and records in a fresh guard.
fn verify(
    token: &str,
    signer: &LocalSigner,
    policy: &AttestationPopPolicy<'_>,
) -> Result<AcceptedAttestationPop, Error> {
    verify_attestation_pop(
        token,
        &signer.public_jwk(),
        policy,
        now(),
        &Limits::default(),
    )
    .map(|u| u.record(&InMemoryReplayGuard::new(8), now()).unwrap())
}

#[test]
fn draft10_shape_verifies() {
    let s = key(Algorithm::Es256);
    let token = pop(&s, &claims());
    let unrecorded = verify_attestation_pop(
        &token,
        &s.public_jwk(),
        &policy(),
        now(),
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(unrecorded.expires_at(), UnixTime::from_secs(NOW + 601));
    assert_eq!(unrecorded.key(), "abca-pop|2:c1|j-1");
    let v = unrecorded
        .record(&InMemoryReplayGuard::new(1), now())
        .unwrap();
    assert_eq!(v.jti(), "j-1");
    assert_eq!(v.iat(), now());
    assert_eq!(v.shape(), PopShape::Draft10);
    assert_eq!(v.iss(), None);
    assert_eq!(v.challenge(), None);
}

#[test]
fn a_proof_at_the_window_edge_is_still_recorded() {
    let s = key(Algorithm::Es256);
    let token = pop(&s, &claims());
    let edge = UnixTime::from_secs(NOW + 600);
    let guard = InMemoryReplayGuard::new(1);
    let verify_at =
        |at| verify_attestation_pop(&token, &s.public_jwk(), &policy(), at, &Limits::default());
    assert!(verify_at(edge).unwrap().record(&guard, edge).is_ok());
    assert_eq!(
        verify_at(edge).unwrap().record(&guard, edge),
        Err(ReplayError::Replayed)
    );
    let after = UnixTime::from_secs(NOW + 601);
    assert_eq!(
        verify_at(after),
        Err(Error::IatTooOld {
            iat: NOW,
            earliest: NOW + 1
        })
    );
}

#[test]
fn jti_is_recorded_per_client() {
    let s = key(Algorithm::Es256);
    let token = pop(&s, &claims());
    let guard = InMemoryReplayGuard::new(2);
    let verify_for = |client: &'static str| {
        let p = AttestationPopPolicy::new(AS, client, ALGS, NonceCheck::NoneIssued)
            .danger_skip_challenge_check();
        verify_attestation_pop(&token, &s.public_jwk(), &p, now(), &Limits::default()).unwrap()
    };
    assert!(verify_for("c1").record(&guard, now()).is_ok());
    assert_eq!(
        verify_for("c1").record(&guard, now()),
        Err(ReplayError::Replayed)
    );
    // The same jti under another client is another key.
    assert!(verify_for("c2").record(&guard, now()).is_ok());
    assert_eq!(
        verify_for("c3").record(&guard, now()),
        Err(ReplayError::Full { max: 2 })
    );
    // Past the window, the guard refuses to record rather than silently forgetting.
    let late = UnixTime::from_secs(NOW + 601);
    assert_eq!(
        verify_for("c3").record(&guard, late),
        Err(ReplayError::AlreadyExpired)
    );
}

#[test]
fn draft07_shape_verifies_with_exp_and_nbf() {
    let s = key(Algorithm::EdDsa);
    let c = json!({"iss": "c1", "aud": AS, "jti": "j", "iat": NOW, "nbf": NOW, "exp": NOW + 60});
    let v = verify(&pop(&s, &c), &s, &policy()).unwrap();
    assert_eq!(v.shape(), PopShape::Draft07);
    assert_eq!(v.iss(), Some("c1"));
}

#[test]
fn draft07_iss_must_equal_client_id() {
    let s = key(Algorithm::Es256);
    let c = json!({"iss": "other", "aud": AS, "jti": "j", "iat": NOW});
    assert_eq!(
        verify(&pop(&s, &c), &s, &policy()),
        Err(Error::IssuerMismatch {
            found: "other".into()
        })
    );
}

#[test]
fn draft07_exp_and_nbf_are_enforced_with_skew() {
    let s = key(Algorithm::Es256);
    let p = policy().with_clock_skew_seconds(10);
    let expired = json!({"aud": AS, "jti": "j", "iat": NOW, "exp": NOW - 11});
    assert_eq!(
        verify(&pop(&s, &expired), &s, &p),
        Err(Error::Expired { exp: NOW - 11 })
    );
    let within = json!({"aud": AS, "jti": "j", "iat": NOW, "exp": NOW - 10});
    assert!(verify(&pop(&s, &within), &s, &p).is_ok());
    let early = json!({"aud": AS, "jti": "j", "iat": NOW, "nbf": NOW + 11});
    assert_eq!(
        verify(&pop(&s, &early), &s, &p),
        Err(Error::NotYetValid { nbf: NOW + 11 })
    );
}

#[test]
fn alg_none_is_malformed() {
    let s = key(Algorithm::Es256);
    let h = base64url::encode(br#"{"typ":"oauth-client-attestation-pop+jwt","alg":"none"}"#);
    let p = base64url::encode(claims().to_string().as_bytes());
    let token = format!("{h}.{p}.");
    assert_eq!(
        verify(&token, &s, &policy()),
        Err(Error::Malformed {
            source: jose_core::Error::AlgorithmNone
        })
    );
}

#[test]
fn hs256_keyed_with_public_key_is_malformed() {
    let s = key(Algorithm::Es256);
    let h = base64url::encode(br#"{"typ":"oauth-client-attestation-pop+jwt","alg":"HS256"}"#);
    let p = base64url::encode(claims().to_string().as_bytes());
    let input = format!("{h}.{p}");
    let jwk_bytes = serde_json::to_vec(&s.public_jwk().to_value()).unwrap();
    let mac_key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &jwk_bytes);
    let tag = ring::hmac::sign(&mac_key, input.as_bytes());
    let token = format!("{input}.{}", base64url::encode(tag.as_ref()));
    assert_eq!(
        verify(&token, &s, &policy()),
        Err(Error::Malformed {
            source: jose_core::Error::SymmetricAlgorithm {
                name: "HS256".into()
            }
        })
    );
}

#[test]
fn wrong_or_missing_typ_is_refused() {
    let s = key(Algorithm::Es256);
    let token = raw(
        &s,
        r#"{"typ":"oauth-client-attestation+jwt","alg":"ES256"}"#,
        &claims().to_string(),
    );
    assert_eq!(
        verify(&token, &s, &policy()),
        Err(Error::WrongType {
            expected: ATTESTATION_POP_TYP,
            found: Some("oauth-client-attestation+jwt".into())
        })
    );
    let token = raw(&s, r#"{"alg":"ES256"}"#, &claims().to_string());
    assert_eq!(
        verify(&token, &s, &policy()),
        Err(Error::WrongType {
            expected: ATTESTATION_POP_TYP,
            found: None
        })
    );
    // RFC 7515 §4.1.9: the application/ prefix and case do not matter.
    let token = raw(
        &s,
        r#"{"typ":"application/OAuth-Client-Attestation-PoP+JWT","alg":"ES256"}"#,
        &claims().to_string(),
    );
    assert!(verify(&token, &s, &policy()).is_ok());
}

#[test]
fn algorithm_outside_allow_list_is_refused() {
    let s = key(Algorithm::Es384);
    assert_eq!(
        verify(&pop(&s, &claims()), &s, &policy()),
        Err(Error::AlgorithmNotAllowed {
            alg: Algorithm::Es384
        })
    );
}

#[test]
fn es256_header_with_p384_cnf_key_is_refused() {
    let s = key(Algorithm::Es256);
    let p384 = key(Algorithm::Es384);
    let token = pop(&s, &claims());
    assert_eq!(
        verify_attestation_pop(
            &token,
            &p384.public_jwk(),
            &policy(),
            now(),
            &Limits::default()
        ),
        Err(Error::KeyAlgorithmMismatch {
            alg: Algorithm::Es256,
            key: "EC P-384"
        })
    );
}

#[test]
fn pop_signed_by_other_key_is_refused() {
    let s = key(Algorithm::Es256);
    let other = key(Algorithm::Es256);
    assert_eq!(
        verify(&pop(&other, &claims()), &s, &policy()),
        Err(Error::SignatureInvalid)
    );
}

#[test]
fn audience_rules() {
    let s = key(Algorithm::Es256);
    let one = json!({"aud": [AS], "jti": "j", "iat": NOW});
    assert!(verify(&pop(&s, &one), &s, &policy()).is_ok());
    let two = json!({"aud": [AS, "https://other.example"], "jti": "j", "iat": NOW});
    assert_eq!(
        verify(&pop(&s, &two), &s, &policy()),
        Err(Error::AudienceMultiple { count: 2 })
    );
    let wrong = json!({"aud": "https://evil.example", "jti": "j", "iat": NOW});
    assert_eq!(
        verify(&pop(&s, &wrong), &s, &policy()),
        Err(Error::AudienceMismatch {
            found: "https://evil.example".into()
        })
    );
    let missing = json!({"jti": "j", "iat": NOW});
    assert_eq!(
        verify(&pop(&s, &missing), &s, &policy()),
        Err(Error::MissingClaim { name: "aud" })
    );
}

#[test]
fn iat_window_is_exact() {
    let s = key(Algorithm::Es256);
    let p = policy()
        .with_clock_skew_seconds(30)
        .with_replay_window_seconds(120);
    let at = |iat: i64| json!({"aud": AS, "jti": "j", "iat": iat});
    assert!(verify(&pop(&s, &at(NOW - 150)), &s, &p).is_ok());
    assert_eq!(
        verify(&pop(&s, &at(NOW - 151)), &s, &p),
        Err(Error::IatTooOld {
            iat: NOW - 151,
            earliest: NOW - 150
        })
    );
    assert!(verify(&pop(&s, &at(NOW + 30)), &s, &p).is_ok());
    assert_eq!(
        verify(&pop(&s, &at(NOW + 31)), &s, &p),
        Err(Error::IatInFuture {
            iat: NOW + 31,
            latest: NOW + 30
        })
    );
    let missing = json!({"aud": AS, "jti": "j"});
    assert_eq!(
        verify(&pop(&s, &missing), &s, &p),
        Err(Error::MissingClaim { name: "iat" })
    );
    let text = json!({"aud": AS, "jti": "j", "iat": "now"});
    assert_eq!(
        verify(&pop(&s, &text), &s, &p),
        Err(Error::InvalidClaim { name: "iat" })
    );
}

#[test]
fn jti_rules() {
    let s = key(Algorithm::Es256);
    let missing = json!({"aud": AS, "iat": NOW});
    assert_eq!(
        verify(&pop(&s, &missing), &s, &policy()),
        Err(Error::MissingClaim { name: "jti" })
    );
    let empty = json!({"aud": AS, "iat": NOW, "jti": ""});
    assert_eq!(
        verify(&pop(&s, &empty), &s, &policy()),
        Err(Error::InvalidClaim { name: "jti" })
    );
    let number = json!({"aud": AS, "iat": NOW, "jti": 7});
    assert_eq!(
        verify(&pop(&s, &number), &s, &policy()),
        Err(Error::InvalidClaim { name: "jti" })
    );
    let long = json!({"aud": AS, "iat": NOW, "jti": "x".repeat(300)});
    assert_eq!(
        verify(&pop(&s, &long), &s, &policy()),
        Err(Error::JtiTooLong { len: 300, max: 256 })
    );
}

#[test]
fn challenge_rules() {
    let s = key(Algorithm::Es256);
    let with = |c: &str| json!({"aud": AS, "jti": "j", "iat": NOW, "challenge": c});
    let required = with_challenge(NonceCheck::Value("abc"));
    assert_eq!(
        verify(&pop(&s, &with("abc")), &s, &required)
            .unwrap()
            .challenge(),
        Some("abc")
    );
    assert_eq!(
        verify(&pop(&s, &with("abd")), &s, &required),
        Err(Error::ChallengeMismatch)
    );
    assert_eq!(
        verify(&pop(&s, &claims()), &s, &required),
        Err(Error::ChallengeMissing)
    );
    // Explicitly optional: absence is fine, but a carried challenge is still checked.
    let optional = required.danger_allow_missing_challenge();
    assert!(verify(&pop(&s, &claims()), &s, &optional).is_ok());
    assert_eq!(
        verify(&pop(&s, &with("abd")), &s, &optional),
        Err(Error::ChallengeMismatch)
    );
    // Required but none issued: fail closed, asking for one.
    let blind = with_challenge(NonceCheck::NoneIssued);
    assert_eq!(
        verify(&pop(&s, &with("abc")), &s, &blind),
        Err(Error::ChallengeMismatch)
    );
    assert_eq!(
        verify(&pop(&s, &claims()), &s, &blind),
        Err(Error::ChallengeMissing)
    );
    // Explicitly skipped: reported, not checked.
    assert_eq!(
        verify(&pop(&s, &with("x")), &s, &policy())
            .unwrap()
            .challenge(),
        Some("x")
    );
    let number = json!({"aud": AS, "jti": "j", "iat": NOW, "challenge": 5});
    assert_eq!(
        verify(&pop(&s, &number), &s, &policy()),
        Err(Error::InvalidClaim { name: "challenge" })
    );
}

#[test]
fn challenge_validator_and_stateless_challenges() {
    let s = key(Algorithm::Es256);
    let with = |c: &str| json!({"aud": AS, "jti": "j", "iat": NOW, "challenge": c});
    let store = |c: &str| c == "issued";
    let p = with_challenge(NonceCheck::Validator(&store));
    assert!(verify(&pop(&s, &with("issued")), &s, &p).is_ok());
    assert_eq!(
        verify(&pop(&s, &with("other")), &s, &p),
        Err(Error::ChallengeMismatch)
    );

    let nonces = StatelessNonces::new(&[9; 32], None).unwrap();
    let rng = |d: &mut [u8]| -> Result<(), jose_core::Error> {
        d.fill(1);
        Ok(())
    };
    let challenge = nonces
        .issue(NoncePurpose::AttestationChallenge, now(), &rng)
        .unwrap();
    let c_nonce = nonces.issue(NoncePurpose::CNonce, now(), &rng).unwrap();
    let old = nonces
        .issue(
            NoncePurpose::AttestationChallenge,
            UnixTime::from_secs(NOW - 61),
            &rng,
        )
        .unwrap();
    let p = with_challenge(NonceCheck::Stateless {
        nonces: &nonces,
        max_age: 60,
    });
    assert!(verify(&pop(&s, &with(&challenge)), &s, &p).is_ok());
    assert_eq!(
        verify(&pop(&s, &with(&c_nonce)), &s, &p),
        Err(Error::ChallengeInvalid {
            source: NonceError::WrongPurpose {
                expected: NoncePurpose::AttestationChallenge,
                found: NoncePurpose::CNonce
            }
        })
    );
    assert_eq!(
        verify(&pop(&s, &with(&old)), &s, &p),
        Err(Error::ChallengeInvalid {
            source: NonceError::Expired {
                issued_at: NOW - 61,
                max_age: 60
            }
        })
    );
    assert_eq!(
        verify(&pop(&s, &claims()), &s, &p),
        Err(Error::ChallengeMissing)
    );
}

#[test]
fn duplicate_members_and_padding_are_malformed() {
    let s = key(Algorithm::Es256);
    let dup_payload = format!(r#"{{"aud":"{AS}","jti":"a","jti":"b","iat":{NOW}}}"#);
    let token = raw(
        &s,
        r#"{"typ":"oauth-client-attestation-pop+jwt","alg":"ES256"}"#,
        &dup_payload,
    );
    assert!(matches!(
        verify(&token, &s, &policy()),
        Err(Error::Malformed {
            source: jose_core::Error::InvalidJson {
                part: jose_core::JwsPart::Payload,
                error: jose_core::JsonError::DuplicateMember { .. }
            }
        })
    ));
    let dup_header = r#"{"typ":"oauth-client-attestation-pop+jwt","alg":"ES256","alg":"ES256"}"#;
    let token = raw(&s, dup_header, &claims().to_string());
    assert!(matches!(
        verify(&token, &s, &policy()),
        Err(Error::Malformed {
            source: jose_core::Error::InvalidJson {
                part: jose_core::JwsPart::Header,
                error: jose_core::JsonError::DuplicateMember { .. }
            }
        })
    ));
    // Padded signature segment: a P-256 signature is 64 bytes, whose base64 ends in "==".
    let token = format!("{}==", pop(&s, &claims()));
    assert_eq!(
        verify(&token, &s, &policy()),
        Err(Error::Malformed {
            source: jose_core::Error::InvalidBase64 {
                part: jose_core::JwsPart::Signature
            }
        })
    );
}

#[test]
fn unknown_crit_is_refused() {
    let s = key(Algorithm::Es256);
    let header = r#"{"typ":"oauth-client-attestation-pop+jwt","alg":"ES256","crit":["x"],"x":1}"#;
    let token = raw(&s, header, &claims().to_string());
    assert_eq!(
        verify(&token, &s, &policy()),
        Err(Error::Header {
            source: jose_core::Error::CriticalNotUnderstood { name: "x".into() }
        })
    );
}
