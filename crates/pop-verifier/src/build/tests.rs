use jose_core::{Limits, LocalSigner, SystemRandom};

use super::*;
use crate::{
    DpopPolicy, Error, InMemoryReplayGuard, KeyProofPolicy, KeySource, NonceCheck, ProofClient,
    ReplayError, verify_dpop_proof, verify_key_proof,
};

const ISSUER: &str = "https://issuer.example";
const URI: &str = "https://issuer.example/credential";
const NOW: i64 = 1_800_000_000;
const ALGS: &[Algorithm] = &[Algorithm::Es256, Algorithm::EdDsa];

fn now() -> UnixTime {
    UnixTime::from_secs(NOW)
}

fn key(alg: Algorithm) -> LocalSigner {
    LocalSigner::generate(alg, &SystemRandom::new()).unwrap()
}

#[test]
fn dpop_proof_round_trip() {
    let s = key(Algorithm::Es256);
    let claims = DpopProofClaims::new("POST", URI, "j-1", now())
        .with_access_token("at-1")
        .with_nonce("n-1");
    assert_eq!(
        claims.ath.as_deref(),
        Some(access_token_hash("at-1").as_str())
    );
    let proof = build_dpop_proof(&claims, &s.public_jwk(), &s).unwrap();
    let policy =
        DpopPolicy::new("POST", URI, ALGS, NonceCheck::Value("n-1")).with_access_token("at-1");
    let guard = InMemoryReplayGuard::new(4);
    let accepted = verify_dpop_proof(&proof, &policy, now(), &Limits::default())
        .unwrap()
        .record(&guard, now())
        .unwrap();
    assert_eq!(accepted.jkt(), s.public_jwk().thumbprint_base64url());
    assert_eq!(accepted.jti(), "j-1");
    assert_eq!(accepted.iat(), now());
    assert_eq!(accepted.nonce(), Some("n-1"));
    // The same proof twice is refused by the guard.
    let again = verify_dpop_proof(&proof, &policy, now(), &Limits::default()).unwrap();
    assert_eq!(again.record(&guard, now()), Err(ReplayError::Replayed));
    // Without ath, a proof for an access token is refused.
    let bare = DpopProofClaims::new("POST", URI, "j-2", now()).with_nonce("n-1");
    let proof = build_dpop_proof(&bare, &s.public_jwk(), &s).unwrap();
    assert_eq!(
        verify_dpop_proof(&proof, &policy, now(), &Limits::default()).map(|_| ()),
        Err(Error::AthMissing)
    );
}

#[test]
fn dpop_proof_two_phase() {
    let s = key(Algorithm::EdDsa);
    let claims = DpopProofClaims::new("GET", URI, "j-1", now());
    let unsigned = prepare_dpop_proof(&claims, &s.public_jwk(), Algorithm::EdDsa).unwrap();
    let signature = s.sign(unsigned.signing_input()).unwrap();
    let proof = unsigned.attach_signature(&signature).unwrap();
    let policy =
        DpopPolicy::new("GET", URI, ALGS, NonceCheck::NoneIssued).danger_skip_nonce_check();
    let accepted = verify_dpop_proof(&proof, &policy, now(), &Limits::default())
        .unwrap()
        .record(&InMemoryReplayGuard::new(1), now())
        .unwrap();
    assert_eq!(accepted.nonce(), None);
    // A key that cannot sign with the algorithm is refused before anything is signed.
    assert_eq!(
        prepare_dpop_proof(&claims, &s.public_jwk(), Algorithm::Es256),
        Err(jose_core::Error::KeyAlgorithmMismatch {
            alg: Algorithm::Es256,
            key: "OKP Ed25519"
        })
    );
}

#[test]
fn key_proof_round_trip() {
    let holder = key(Algorithm::Es256);
    let claims = KeyProofClaims::new(ISSUER, now())
        .with_nonce("c-1")
        .with_issuer("wallet-1");
    let proof = build_key_proof(&claims, &ProofKey::Jwk(holder.public_jwk()), &holder).unwrap();
    let policy = KeyProofPolicy::new(ISSUER, ALGS, NonceCheck::Value("c-1"))
        .with_client(ProofClient::ClientId("wallet-1"));
    let guard = InMemoryReplayGuard::new(4);
    let accepted = verify_key_proof(&proof, &policy, now(), &Limits::default())
        .unwrap()
        .record(&guard, now())
        .unwrap();
    assert!(accepted.holder_key().same_key(&holder.public_jwk()));
    assert_eq!(accepted.key_source(), &KeySource::Jwk);
    assert_eq!(accepted.nonce(), Some("c-1"));
    assert_eq!(accepted.iss(), Some("wallet-1"));
    assert_eq!(accepted.iat(), now());
    let again = verify_key_proof(&proof, &policy, now(), &Limits::default()).unwrap();
    assert_eq!(again.record(&guard, now()), Err(ReplayError::Replayed));
    // iss is refused for anonymous pre-authorized access.
    let anonymous = policy.with_client(ProofClient::AnonymousPreAuthorized);
    assert_eq!(
        verify_key_proof(&proof, &anonymous, now(), &Limits::default()).map(|_| ()),
        Err(Error::IssuerNotAllowed)
    );
}

#[test]
fn key_proof_with_kid_two_phase() {
    let holder = key(Algorithm::EdDsa);
    let claims = KeyProofClaims::new(ISSUER, now()).with_nonce("c-1");
    let unsigned = prepare_key_proof(
        &claims,
        &ProofKey::Kid("did:example:1#0".into()),
        Algorithm::EdDsa,
    )
    .unwrap();
    let signature = holder.sign(unsigned.signing_input()).unwrap();
    let proof = unsigned.attach_signature(&signature).unwrap();
    let public = holder.public_jwk();
    let resolver = jose_core::keys::KeyFn::new(|query: &jose_core::KeyQuery<'_>, _: UnixTime| {
        if query.kid() == Some("did:example:1#0") {
            Ok(vec![public.clone()])
        } else {
            Err(jose_core::KeyLookupError::no_trusted_key("unknown"))
        }
    });
    let policy = KeyProofPolicy::new(ISSUER, ALGS, NonceCheck::Value("c-1"))
        .with_client(ProofClient::AnonymousPreAuthorized)
        .with_kid_keys(&resolver);
    let accepted = verify_key_proof(&proof, &policy, now(), &Limits::default())
        .unwrap()
        .record(&InMemoryReplayGuard::new(1), now())
        .unwrap();
    assert_eq!(
        accepted.key_source(),
        &KeySource::Kid("did:example:1#0".into())
    );
    assert!(accepted.holder_key().same_key(&public));
    // Without the nonce the default policy refuses the proof.
    let no_nonce = build_key_proof(
        &KeyProofClaims::new(ISSUER, now()),
        &ProofKey::Jwk(holder.public_jwk()),
        &holder,
    )
    .unwrap();
    assert_eq!(
        verify_key_proof(&no_nonce, &policy, now(), &Limits::default()).map(|_| ()),
        Err(Error::NonceMissing)
    );
}

#[test]
fn key_proof_with_x5c_names_the_chain() {
    let holder = key(Algorithm::Es256);
    let chain = vec![vec![0x30, 0x00]];
    let claims = KeyProofClaims::new(ISSUER, now());
    let unsigned =
        prepare_key_proof(&claims, &ProofKey::X5c(chain.clone()), Algorithm::Es256).unwrap();
    let signature = holder.sign(unsigned.signing_input()).unwrap();
    let proof = unsigned.attach_signature(&signature).unwrap();
    let public = holder.public_jwk();
    let validator = jose_core::keys::KeyFn::new(|query: &jose_core::KeyQuery<'_>, _: UnixTime| {
        assert_eq!(query.x5c(), Some(&[vec![0x30, 0x00]][..]));
        Ok(vec![public.clone()])
    });
    let policy = KeyProofPolicy::new(ISSUER, ALGS, NonceCheck::NoneIssued)
        .danger_skip_nonce_check()
        .with_x5c_keys(&validator);
    let accepted = verify_key_proof(&proof, &policy, now(), &Limits::default())
        .unwrap()
        .record(&InMemoryReplayGuard::new(1), now())
        .unwrap();
    assert_eq!(accepted.key_source(), &KeySource::X5c);
}
