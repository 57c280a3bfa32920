use jose_core::{LocalSigner, Signer, SystemRandom, base64url};
use serde_json::{Value, json};

use super::*;
use crate::{InMemoryReplayGuard, NonceError, ReplayError, ReplayGuard, StatelessNonces};

const URI: &str = "https://server.example.com/token";
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
    json!({"typ": DPOP_TYP, "alg": s.algorithm().jose_name(), "jwk": s.public_jwk().to_value()})
}

fn claims() -> Value {
    json!({"jti": "j-1", "htm": "POST", "htu": URI, "iat": NOW})
}

/// A policy for a server that issues no DPoP nonces (most tests are about other rules).
fn policy() -> DpopPolicy<'static> {
    DpopPolicy::new("POST", URI, ALGS, NonceCheck::NoneIssued).danger_skip_nonce_check()
}

/// Verifies and records in a fresh guard.
fn verify(token: &str, policy: &DpopPolicy<'_>) -> Result<AcceptedDpopProof, Error> {
    verify_dpop_proof(token, policy, now(), &Limits::default())
        .map(|u| u.record(&InMemoryReplayGuard::new(8), now()).unwrap())
}

#[test]
fn valid_proof_returns_thumbprint() {
    let s = key(Algorithm::EdDsa);
    let token = raw(&s, &header(&s), &claims());
    let unrecorded = verify_dpop_proof(&token, &policy(), now(), &Limits::default()).unwrap();
    let jkt = s.public_jwk().thumbprint_base64url();
    assert_eq!(unrecorded.expires_at(), UnixTime::from_secs(NOW + 601));
    assert_eq!(unrecorded.key(), format!("dpop|43:{jkt}|j-1"));
    let v = unrecorded
        .record(&InMemoryReplayGuard::new(1), now())
        .unwrap();
    assert_eq!(v.jkt(), jkt);
    assert_eq!(v.jti(), "j-1");
    assert_eq!(v.iat(), now());
    assert!(v.jwk().same_key(&s.public_jwk()));
    assert_eq!(v.nonce(), None);
    assert_eq!(v.into_jkt(), jkt);
}

/// A guard that always fails, as a backend outage would.
struct Down;

impl ReplayGuard for Down {
    fn check_and_record(&self, _: &str, _: UnixTime, _: UnixTime) -> Result<(), ReplayError> {
        Err(ReplayError::Unavailable {
            reason: "backend down".into(),
        })
    }
}

#[test]
fn acceptance_goes_through_the_replay_guard() {
    let s = key(Algorithm::Es256);
    let token = raw(&s, &header(&s), &claims());
    let guard = InMemoryReplayGuard::new(1);
    let first = verify_dpop_proof(&token, &policy(), now(), &Limits::default()).unwrap();
    assert!(first.record(&guard, now()).is_ok());
    // The same proof again: it verifies, and the guard refuses it.
    let again = verify_dpop_proof(&token, &policy(), now(), &Limits::default()).unwrap();
    assert_eq!(again.record(&guard, now()), Err(ReplayError::Replayed));
    // Another proof while the guard is full: refused, never accepted unrecorded.
    let c = json!({"jti": "j-2", "htm": "POST", "htu": URI, "iat": NOW});
    let other = verify_dpop_proof(
        &raw(&s, &header(&s), &c),
        &policy(),
        now(),
        &Limits::default(),
    );
    assert_eq!(
        other.unwrap().record(&guard, now()),
        Err(ReplayError::Full { max: 1 })
    );
    // A guard that cannot record fails closed with its own error.
    let down = verify_dpop_proof(&token, &policy(), now(), &Limits::default()).unwrap();
    assert_eq!(
        down.record(&Down, now()),
        Err(ReplayError::Unavailable {
            reason: "backend down".into()
        })
    );
}

#[test]
fn nonce_is_required_by_default() {
    let s = key(Algorithm::Es256);
    let h = header(&s);
    let with_nonce =
        |n: &str| json!({"jti": "j", "htm": "POST", "htu": URI, "iat": NOW, "nonce": n});
    // The server requires a nonce but has issued none yet: the client is told to get one.
    let strict = DpopPolicy::new("POST", URI, ALGS, NonceCheck::NoneIssued);
    assert_eq!(
        verify(&raw(&s, &h, &claims()), &strict),
        Err(Error::NonceMissing)
    );
    assert_eq!(
        verify(&raw(&s, &h, &with_nonce("n-1")), &strict),
        Err(Error::NonceMismatch)
    );
    let validator = |n: &str| n == "n-1";
    let checked = DpopPolicy::new("POST", URI, ALGS, NonceCheck::Validator(&validator));
    assert_eq!(
        verify(&raw(&s, &h, &claims()), &checked),
        Err(Error::NonceMissing)
    );
    assert_eq!(
        verify(&raw(&s, &h, &with_nonce("n-1")), &checked)
            .unwrap()
            .nonce(),
        Some("n-1")
    );
    // Explicitly optional: absent accepted, a carried one still checked.
    let optional = checked.danger_allow_missing_nonce();
    assert!(verify(&raw(&s, &h, &claims()), &optional).is_ok());
    assert_eq!(
        verify(&raw(&s, &h, &with_nonce("n-2")), &optional),
        Err(Error::NonceMismatch)
    );
    // Explicitly skipped: any carried value is reported, unchecked.
    let skipped = checked.danger_skip_nonce_check();
    assert_eq!(
        verify(&raw(&s, &h, &with_nonce("n-2")), &skipped)
            .unwrap()
            .nonce(),
        Some("n-2")
    );
}

#[test]
fn header_rules() {
    let s = key(Algorithm::Es256);
    let mut h = header(&s);
    h["typ"] = json!("jwt");
    assert_eq!(
        verify(&raw(&s, &h, &claims()), &policy()),
        Err(Error::WrongType {
            expected: DPOP_TYP,
            found: Some("jwt".into())
        })
    );
    let h = json!({"typ": DPOP_TYP, "alg": "ES256", "kid": "k"});
    assert_eq!(
        verify(&raw(&s, &h, &claims()), &policy()),
        Err(Error::MissingHeader { name: "jwk" })
    );
    let mut h = header(&s);
    h["jwk"]["d"] = json!("AAAA");
    assert_eq!(
        verify(&raw(&s, &h, &claims()), &policy()),
        Err(Error::Malformed {
            source: jose_core::Error::PrivateKeyMember { member: "d" }
        })
    );
    let other = key(Algorithm::Es256);
    assert_eq!(
        verify(&raw(&other, &header(&s), &claims()), &policy()),
        Err(Error::SignatureInvalid)
    );
    let h = json!({"typ": DPOP_TYP, "alg": "HS256", "jwk": s.public_jwk().to_value()});
    assert_eq!(
        verify(&raw(&s, &h, &claims()), &policy()),
        Err(Error::Malformed {
            source: jose_core::Error::SymmetricAlgorithm {
                name: "HS256".into()
            }
        })
    );
}

fn policy_for(uri: &str) -> DpopPolicy<'_> {
    DpopPolicy::new("POST", uri, ALGS, NonceCheck::NoneIssued).danger_skip_nonce_check()
}

#[test]
fn htm_and_htu_rules() {
    let s = key(Algorithm::Es256);
    let h = header(&s);
    let c = json!({"jti": "j", "htm": "post", "htu": URI, "iat": NOW});
    assert_eq!(
        verify(&raw(&s, &h, &c), &policy()),
        Err(Error::HtmMismatch {
            found: "post".into()
        })
    );
    let c = json!({"jti": "j", "htm": "POST", "htu": "https://server.example.com/authorize", "iat": NOW});
    assert_eq!(
        verify(&raw(&s, &h, &c), &policy()),
        Err(Error::HtuMismatch {
            found: "https://server.example.com/authorize".into()
        })
    );
    // Equivalent spellings are accepted (RFC 9449 §4.3 point 9, RFC 3986 §6.2).
    let c = json!({"jti": "j", "htm": "POST", "htu": "HTTPS://Server.Example.com:443/token?x=1#y", "iat": NOW});
    assert!(verify(&raw(&s, &h, &c), &policy()).is_ok());
    let p = DpopPolicy::new(
        "POST",
        "https://server.example.com/token?code=1",
        ALGS,
        NonceCheck::NoneIssued,
    )
    .danger_skip_nonce_check();
    assert!(verify(&raw(&s, &h, &claims()), &p).is_ok());
    let bad = policy_for("/token");
    assert_eq!(
        verify(&raw(&s, &h, &claims()), &bad),
        Err(Error::InvalidRequestUri)
    );
    let c = json!({"jti": "j", "htm": "POST", "htu": "not a uri", "iat": NOW});
    assert_eq!(
        verify(&raw(&s, &h, &c), &policy()),
        Err(Error::HtuMismatch {
            found: "not a uri".into()
        })
    );
}

#[test]
fn required_claims() {
    let s = key(Algorithm::Es256);
    let h = header(&s);
    for (name, c) in [
        ("jti", json!({"htm": "POST", "htu": URI, "iat": NOW})),
        ("htm", json!({"jti": "j", "htu": URI, "iat": NOW})),
        ("htu", json!({"jti": "j", "htm": "POST", "iat": NOW})),
        ("iat", json!({"jti": "j", "htm": "POST", "htu": URI})),
    ] {
        assert_eq!(
            verify(&raw(&s, &h, &c), &policy()),
            Err(Error::MissingClaim { name })
        );
    }
    let c = json!({"jti": "", "htm": "POST", "htu": URI, "iat": NOW});
    assert_eq!(
        verify(&raw(&s, &h, &c), &policy()),
        Err(Error::InvalidClaim { name: "jti" })
    );
}

#[test]
fn iat_window() {
    let s = key(Algorithm::Es256);
    let h = header(&s);
    let p = policy()
        .with_clock_skew_seconds(10)
        .with_replay_window_seconds(60);
    let at = |iat: i64| json!({"jti": "j", "htm": "POST", "htu": URI, "iat": iat});
    assert!(verify(&raw(&s, &h, &at(NOW - 70)), &p).is_ok());
    assert_eq!(
        verify(&raw(&s, &h, &at(NOW - 71)), &p),
        Err(Error::IatTooOld {
            iat: NOW - 71,
            earliest: NOW - 70
        })
    );
    assert_eq!(
        verify(&raw(&s, &h, &at(NOW + 11)), &p),
        Err(Error::IatInFuture {
            iat: NOW + 11,
            latest: NOW + 10
        })
    );
}

#[test]
fn ath_rules() {
    let s = key(Algorithm::Es256);
    let h = header(&s);
    let p = policy().with_access_token("token-1");
    assert_eq!(verify(&raw(&s, &h, &claims()), &p), Err(Error::AthMissing));
    let c = json!({"jti": "j", "htm": "POST", "htu": URI, "iat": NOW, "ath": access_token_hash("token-2")});
    assert_eq!(verify(&raw(&s, &h, &c), &p), Err(Error::AthMismatch));
    let c = json!({"jti": "j", "htm": "POST", "htu": URI, "iat": NOW, "ath": access_token_hash("token-1")});
    assert!(verify(&raw(&s, &h, &c), &p).is_ok());
}

#[test]
fn nonce_rules() {
    let s = key(Algorithm::Es256);
    let h = header(&s);
    let p = DpopPolicy::new("POST", URI, ALGS, NonceCheck::Value("srv-1"));
    assert_eq!(
        verify(&raw(&s, &h, &claims()), &p),
        Err(Error::NonceMissing)
    );
    let c = json!({"jti": "j", "htm": "POST", "htu": URI, "iat": NOW, "nonce": "srv-2"});
    assert_eq!(verify(&raw(&s, &h, &c), &p), Err(Error::NonceMismatch));

    let nonces = StatelessNonces::new(&[8; 32], None).unwrap();
    let rng = |d: &mut [u8]| -> Result<(), jose_core::Error> {
        d.fill(2);
        Ok(())
    };
    let c_nonce = nonces.issue(NoncePurpose::CNonce, now(), &rng).unwrap();
    let dpop_nonce = nonces.issue(NoncePurpose::DpopNonce, now(), &rng).unwrap();
    let p = DpopPolicy::new(
        "POST",
        URI,
        ALGS,
        NonceCheck::Stateless {
            nonces: &nonces,
            max_age: 120,
        },
    );
    let c = json!({"jti": "j", "htm": "POST", "htu": URI, "iat": NOW, "nonce": dpop_nonce});
    assert_eq!(
        verify(&raw(&s, &h, &c), &p).unwrap().nonce(),
        Some(dpop_nonce.as_str())
    );
    let c = json!({"jti": "j", "htm": "POST", "htu": URI, "iat": NOW, "nonce": c_nonce});
    assert_eq!(
        verify(&raw(&s, &h, &c), &p),
        Err(Error::NonceInvalid {
            source: NonceError::WrongPurpose {
                expected: NoncePurpose::DpopNonce,
                found: NoncePurpose::CNonce
            }
        })
    );
}
