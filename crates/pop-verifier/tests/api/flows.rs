//! End-to-end flows: a wallet's PoP, DPoP and key proof built, checked, recorded, and replayed.

use jose_core::{Algorithm, Header, Limits, LocalSigner, SystemRandom, UnixTime, UnsignedJws};
use pop_verifier::{
    AttestationPopPolicy, DpopPolicy, DpopProofClaims, Error, InMemoryReplayGuard, KeyProofClaims,
    KeyProofPolicy, NonceCheck, NoncePurpose, ProofKey, ReplayError, StatelessNonces,
    build_dpop_proof, build_key_proof, verify_attestation_pop, verify_dpop_proof, verify_key_proof,
};
use serde_json::json;

const NOW: i64 = 1_800_000_000;

fn sign(signer: &LocalSigner, header: &Header, claims: &serde_json::Value) -> String {
    UnsignedJws::new(header, claims.as_object().unwrap())
        .unwrap()
        .sign(signer)
        .unwrap()
}

#[test]
fn pop_with_stateless_challenge_then_replay_is_refused() {
    let now = UnixTime::from_secs(NOW);
    let rng = SystemRandom::new();
    let nonces = StatelessNonces::new(&[42; 32], None).unwrap();
    let challenge = nonces
        .issue(NoncePurpose::AttestationChallenge, now, &rng)
        .unwrap();
    let wallet = LocalSigner::generate(Algorithm::Es256, &rng).unwrap();
    let pop = sign(
        &wallet,
        &Header::new(Algorithm::Es256).with_typ("oauth-client-attestation-pop+jwt"),
        &json!({"iss": "client-1", "aud": "https://as.example.com", "jti": "abc", "iat": NOW, "challenge": challenge}),
    );
    let policy = AttestationPopPolicy::new(
        "https://as.example.com",
        "client-1",
        &[Algorithm::Es256],
        NonceCheck::Stateless {
            nonces: &nonces,
            max_age: 3600,
        },
    );
    let guard = InMemoryReplayGuard::new(10);
    let later = now.saturating_add(5);
    let verify = |at: UnixTime| {
        verify_attestation_pop(&pop, &wallet.public_jwk(), &policy, at, &Limits::default())
    };
    let accepted = verify(later).unwrap().record(&guard, later).unwrap();
    assert_eq!(accepted.iss(), Some("client-1"));
    // The same PoP again: it verifies by itself but the guard refuses the jti.
    assert_eq!(
        verify(later).unwrap().record(&guard, later),
        Err(ReplayError::Replayed)
    );
    // From when the record expires (iat + 601), the iat check refuses the PoP by itself.
    assert_eq!(
        verify(now.saturating_add(601)),
        Err(Error::IatTooOld {
            iat: NOW,
            earliest: NOW + 1
        })
    );
}

#[test]
fn dpop_and_key_proof_share_the_wallet_key() {
    let now = UnixTime::from_secs(NOW);
    let rng = SystemRandom::new();
    let wallet = LocalSigner::generate(Algorithm::EdDsa, &rng).unwrap();
    let nonces = StatelessNonces::new(&[1; 32], None).unwrap();
    let c_nonce = nonces.issue(NoncePurpose::CNonce, now, &rng).unwrap();
    let dpop = build_dpop_proof(
        &DpopProofClaims::new("POST", "https://issuer.example/credential", "d1", now)
            .with_access_token("at-1"),
        &wallet.public_jwk(),
        &wallet,
    )
    .unwrap();
    let proof = build_key_proof(
        &KeyProofClaims::new("https://issuer.example", now).with_nonce(c_nonce),
        &ProofKey::Jwk(wallet.public_jwk()),
        &wallet,
    )
    .unwrap();
    let guard = InMemoryReplayGuard::new(10);
    let d = verify_dpop_proof(
        &dpop,
        &DpopPolicy::new(
            "POST",
            "https://issuer.example/credential",
            &[Algorithm::EdDsa],
            NonceCheck::NoneIssued,
        )
        .danger_skip_nonce_check()
        .with_access_token("at-1"),
        now,
        &Limits::default(),
    )
    .unwrap()
    .record(&guard, now)
    .unwrap();
    let stateless = NonceCheck::Stateless {
        nonces: &nonces,
        max_age: 300,
    };
    let k = verify_key_proof(
        &proof,
        &KeyProofPolicy::new("https://issuer.example", &[Algorithm::EdDsa], stateless),
        now,
        &Limits::default(),
    )
    .unwrap()
    .record(&guard, now)
    .unwrap();
    assert_eq!(d.jkt(), k.holder_key().thumbprint_base64url());
    // A c_nonce is not a DPoP nonce; the DPoP proof carries none, so it is missing.
    let c_as_dpop = DpopPolicy::new(
        "POST",
        "https://issuer.example/credential",
        &[Algorithm::EdDsa],
        stateless,
    );
    assert_eq!(
        verify_dpop_proof(&dpop, &c_as_dpop, now, &Limits::default()),
        Err(Error::NonceMissing)
    );
}
