use jose_core::{LocalSigner, Signer, SystemRandom, base64url};
use serde_json::{Value, json};

use super::*;
use crate::{NonceError, StatelessNonces};

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

fn policy() -> KeyProofPolicy<'static> {
    KeyProofPolicy::new(ISSUER, ALGS)
}

fn verify(token: &str, policy: &KeyProofPolicy<'_>) -> Result<VerifiedKeyProof, Error> {
    verify_key_proof(token, policy, now(), &Limits::default())
}

#[test]
fn jwk_proof_verifies_and_returns_holder_key() {
    let s = key(Algorithm::EdDsa);
    let v = verify(
        &raw(&s, &header(&s), &claims()),
        &policy().with_expected_nonce(Some("n-1"), true),
    )
    .unwrap();
    assert!(v.holder_key.same_key(&s.public_jwk()));
    assert_eq!(v.key_source, KeySource::Jwk);
    assert_eq!(v.nonce.as_deref(), Some("n-1"));
    assert_eq!(v.iat, now());
    assert_eq!(v.key_attestation, None);
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
    let resolver = move |kid: &str, _: &Header| -> Result<PublicJwk, String> {
        if kid == "did:example:123#0" {
            Ok(jwk.clone())
        } else {
            Err("unknown DID".to_owned())
        }
    };
    let v = verify(&token, &policy().with_kid_resolver(&resolver)).unwrap();
    assert_eq!(v.key_source, KeySource::Kid("did:example:123#0".into()));
    let h = json!({"typ": KEY_PROOF_TYP, "alg": "ES256", "kid": "did:example:other"});
    assert_eq!(
        verify(
            &raw(&s, &h, &claims()),
            &policy().with_kid_resolver(&resolver)
        ),
        Err(Error::KeyResolution {
            reason: "unknown DID".into()
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
    let validator = move |chain: &[Vec<u8>]| -> Result<PublicJwk, String> {
        assert_eq!(chain, [vec![1, 2, 3], vec![4, 5, 6]]);
        Ok(jwk.clone())
    };
    let v = verify(&token, &policy().with_chain_validator(&validator)).unwrap();
    assert_eq!(v.key_source, KeySource::X5c);
    let refuse = |_: &[Vec<u8>]| -> Result<PublicJwk, String> { Err("untrusted root".into()) };
    assert_eq!(
        verify(&token, &policy().with_chain_validator(&refuse)),
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
    assert_eq!(v.key_attestation.as_deref(), Some("eyJ.a.b"));
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
    let p = policy().with_clock_skew(5).with_max_age(60);
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
    let p = policy().with_expected_nonce(Some("n-1"), true);
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
    let p = policy().with_stateless_nonces(&nonces, 300, true);
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

#[test]
fn iss_rules() {
    let s = key(Algorithm::Es256);
    let h = header(&s);
    let with_iss = json!({"aud": ISSUER, "iat": NOW, "iss": "wallet-1"});
    let without = json!({"aud": ISSUER, "iat": NOW});
    let client = policy().with_client(ProofClient::ClientId("wallet-1"));
    assert_eq!(
        verify(&raw(&s, &h, &with_iss), &client)
            .unwrap()
            .iss
            .as_deref(),
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
