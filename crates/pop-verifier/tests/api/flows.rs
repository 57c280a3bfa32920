//! End-to-end flows: a wallet's PoP, DPoP and key proof checked, recorded, and replayed.

use jose_core::{Algorithm, Header, Limits, LocalSigner, SystemRandom, UnixTime, UnsignedJws};
use pop_verifier::{
    AttestationPopPolicy, DpopPolicy, InMemoryReplayGuard, KeyProofPolicy, NoncePurpose,
    ReplayError, ReplayGuard, StatelessNonces, verify_attestation_pop, verify_dpop_proof,
    verify_key_proof,
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
    let policy = AttestationPopPolicy::new("https://as.example.com", &[Algorithm::Es256])
        .with_client_id("client-1")
        .with_stateless_challenges(&nonces, 300, true);
    let guard = InMemoryReplayGuard::new(10);
    let later = now.saturating_add(5);
    let first = verify_attestation_pop(
        &pop,
        &wallet.public_jwk(),
        &policy,
        later,
        &Limits::default(),
    )
    .unwrap();
    guard
        .check_and_record(
            &first.replay_key("client-1"),
            first.replay_expires_at(),
            later,
        )
        .unwrap();
    // The same PoP again: it verifies by itself but the guard refuses the jti.
    let again = verify_attestation_pop(
        &pop,
        &wallet.public_jwk(),
        &policy,
        later,
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(
        guard.check_and_record(
            &again.replay_key("client-1"),
            again.replay_expires_at(),
            later
        ),
        Err(ReplayError::Replayed)
    );
    // After the record expires, the iat check refuses the PoP by itself.
    let after = first.replay_expires_at().saturating_add(1);
    assert!(
        verify_attestation_pop(
            &pop,
            &wallet.public_jwk(),
            &policy,
            after,
            &Limits::default()
        )
        .is_err()
    );
}

#[test]
fn dpop_and_key_proof_share_the_wallet_key() {
    let now = UnixTime::from_secs(NOW);
    let rng = SystemRandom::new();
    let wallet = LocalSigner::generate(Algorithm::EdDsa, &rng).unwrap();
    let nonces = StatelessNonces::new(&[1; 32], None).unwrap();
    let c_nonce = nonces.issue(NoncePurpose::CNonce, now, &rng).unwrap();
    let dpop = sign(
        &wallet,
        &Header::new(Algorithm::EdDsa)
            .with_typ("dpop+jwt")
            .with_jwk(wallet.public_jwk()),
        &json!({"jti": "d1", "htm": "POST", "htu": "https://issuer.example/credential", "iat": NOW, "ath": pop_verifier::access_token_hash("at-1")}),
    );
    let proof = sign(
        &wallet,
        &Header::new(Algorithm::EdDsa)
            .with_typ("openid4vci-proof+jwt")
            .with_jwk(wallet.public_jwk()),
        &json!({"aud": "https://issuer.example", "iat": NOW, "nonce": c_nonce}),
    );
    let d = verify_dpop_proof(
        &dpop,
        &DpopPolicy::new(
            "POST",
            "https://issuer.example/credential",
            &[Algorithm::EdDsa],
        )
        .with_access_token("at-1"),
        now,
        &Limits::default(),
    )
    .unwrap();
    let k = verify_key_proof(
        &proof,
        &KeyProofPolicy::new("https://issuer.example", &[Algorithm::EdDsa])
            .with_stateless_nonces(&nonces, 300, true),
        now,
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(d.jkt, k.holder_key.thumbprint_base64url());
    // A c_nonce is not a DPoP nonce.
    let c_as_dpop = DpopPolicy::new(
        "POST",
        "https://issuer.example/credential",
        &[Algorithm::EdDsa],
    )
    .with_stateless_nonces(&nonces, 300, true);
    assert_eq!(
        verify_dpop_proof(&dpop, &c_as_dpop, now, &Limits::default()),
        Err(pop_verifier::Error::NonceMissing)
    );
}
