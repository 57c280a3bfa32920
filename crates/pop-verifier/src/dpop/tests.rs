use jose_core::{LocalSigner, Signer, SystemRandom, base64url};
use serde_json::{Value, json};

use super::*;
use crate::{NonceError, StatelessNonces};

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

fn policy() -> DpopPolicy<'static> {
    DpopPolicy::new("POST", URI, ALGS)
}

fn verify(token: &str, policy: &DpopPolicy<'_>) -> Result<VerifiedDpopProof, Error> {
    verify_dpop_proof(token, policy, now(), &Limits::default())
}

#[test]
fn valid_proof_returns_thumbprint() {
    let s = key(Algorithm::EdDsa);
    let v = verify(&raw(&s, &header(&s), &claims()), &policy()).unwrap();
    assert_eq!(v.jkt, s.public_jwk().thumbprint_base64url());
    assert_eq!(v.jti, "j-1");
    assert_eq!(v.replay_expires_at(), UnixTime::from_secs(NOW + 600));
    assert_eq!(v.replay_key(), format!("dpop|43:{}|j-1", v.jkt));
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
    let p = DpopPolicy::new("POST", "https://server.example.com/token?code=1", ALGS);
    assert!(verify(&raw(&s, &h, &claims()), &p).is_ok());
    let bad = DpopPolicy::new("POST", "/token", ALGS);
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
    let p = policy().with_clock_skew(10).with_max_age(60);
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
    let p = policy().with_expected_nonce(Some("srv-1"), true);
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
    let p = policy().with_stateless_nonces(&nonces, 120, true);
    let c = json!({"jti": "j", "htm": "POST", "htu": URI, "iat": NOW, "nonce": dpop_nonce});
    assert_eq!(
        verify(&raw(&s, &h, &c), &p).unwrap().nonce.as_deref(),
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
