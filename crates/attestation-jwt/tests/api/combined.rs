//! DPoP combined mode (ABCA drafts -09/-10 §7.3).

use attestation_jwt::{
    AuthMethod, ClientAuthRequest, DPOP_HEADER, Error, PopMode, Token, oauth_error,
};
use pop_verifier::{NoncePurpose, StatelessNonces};

use super::*;

const TOKEN_ENDPOINT: &str = "https://as.example.com/token";

fn dpop(signer: &LocalSigner, nonce: Option<&str>, jti: &str) -> String {
    let mut claims = json!({"jti": jti, "htm": "POST", "htu": TOKEN_ENDPOINT, "iat": NOW - 2});
    if let Some(nonce) = nonce {
        claims["nonce"] = json!(nonce);
    }
    let header = json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": signer.public_jwk().to_value()});
    sign_json(&header, &claims, signer)
}

fn run(
    fx: &Fixture,
    verifier: &ClientAttestationVerifier,
    dpop: &str,
    challenge: ChallengeCheck<'_>,
    guard: &InMemoryReplayGuard,
) -> Result<Verdict, Error> {
    let attestation = fx.attestation();
    let request = ClientAuthRequest::new()
        .with_attestation(Some(&attestation))
        .with_dpop(Some(dpop), "POST", TOKEN_ENDPOINT);
    verifier.verify(&request, challenge, guard, fx.now)
}

#[test]
fn dpop_by_the_instance_key_authenticates() {
    let fx = Fixture::new();
    let verifier = fx.builder(true).with_combined_mode(true).build().unwrap();
    let guard = InMemoryReplayGuard::new(10);
    let proof = dpop(&fx.instance, None, "d-1");
    let verdict = run(&fx, &verifier, &proof, ChallengeCheck::None, &guard).unwrap();
    assert!(matches!(
        verdict.method,
        AuthMethod::Attestation {
            mode: PopMode::DpopCombined,
            ..
        }
    ));
    assert_eq!(
        verdict.instance_key_thumbprint,
        Some(fx.instance.public_jwk().thumbprint_base64url())
    );
    assert_eq!(
        run(&fx, &verifier, &proof, ChallengeCheck::None, &guard),
        Err(Error::Replayed { token: Token::Dpop })
    );
}

#[test]
fn combined_mode_is_off_by_default() {
    let fx = Fixture::new();
    let proof = dpop(&fx.instance, None, "d-1");
    assert_eq!(
        run(
            &fx,
            &fx.verifier(true),
            &proof,
            ChallengeCheck::None,
            &InMemoryReplayGuard::new(10)
        ),
        Err(Error::PopMissing)
    );
}

#[test]
fn dpop_by_another_key_is_refused() {
    let fx = Fixture::new();
    let other = LocalSigner::generate(Algorithm::Es256, &SystemRandom::new()).unwrap();
    let verifier = fx.builder(true).with_combined_mode(true).build().unwrap();
    assert_eq!(
        run(
            &fx,
            &verifier,
            &dpop(&other, None, "d-1"),
            ChallengeCheck::None,
            &InMemoryReplayGuard::new(10)
        ),
        Err(Error::DpopKeyMismatch)
    );
}

#[test]
fn dpop_htu_for_another_endpoint_is_refused() {
    let fx = Fixture::new();
    let verifier = fx.builder(true).with_combined_mode(true).build().unwrap();
    let attestation = fx.attestation();
    let proof = dpop(&fx.instance, None, "d-1");
    let request = ClientAuthRequest::new()
        .with_attestation(Some(&attestation))
        .with_dpop(Some(&proof), "POST", "https://as.example.com/par");
    assert_eq!(
        verifier.verify(
            &request,
            ChallengeCheck::None,
            &InMemoryReplayGuard::new(10),
            fx.now
        ),
        Err(Error::Dpop(pop_verifier::Error::HtuMismatch {
            found: TOKEN_ENDPOINT.into()
        }))
    );
    // Headers alone carry no request target.
    let request = ClientAuthRequest::from_headers([
        ("OAuth-Client-Attestation", attestation.as_str()),
        (DPOP_HEADER, proof.as_str()),
    ]);
    assert_eq!(
        verifier.verify(
            &request,
            ChallengeCheck::None,
            &InMemoryReplayGuard::new(10),
            fx.now
        ),
        Err(Error::DpopRequestTargetMissing)
    );
}

/// A combined-mode verifier that requires the attestation challenge.
fn challenging_verifier(fx: &Fixture) -> Arc<ClientAttestationVerifier> {
    ClientAttestationVerifier::builder(fx.config(true).with_challenge_required(true), ISSUER)
        .with_combined_mode(true)
        .build()
        .unwrap()
}

#[test]
fn the_challenge_travels_as_the_dpop_nonce() {
    let fx = Fixture::new();
    let nonces = StatelessNonces::new(&[9; 32], None).unwrap();
    let verifier = challenging_verifier(&fx);
    let check = ChallengeCheck::Stateless {
        nonces: &nonces,
        max_age: 300,
    };
    let guard = InMemoryReplayGuard::new(10);
    let error = run(
        &fx,
        &verifier,
        &dpop(&fx.instance, None, "d-1"),
        check,
        &guard,
    )
    .unwrap_err();
    assert_eq!(error, Error::Dpop(pop_verifier::Error::NonceMissing));
    let oauth = oauth_error(&error, || {
        nonces
            .issue(
                NoncePurpose::AttestationChallenge,
                fx.now,
                &SystemRandom::new(),
            )
            .ok()
    });
    // ABCA -11: in combined mode the freshness is the DPoP nonce.
    assert_eq!((oauth.error(), oauth.status()), ("use_dpop_nonce", 400));
    assert_eq!(oauth.header(attestation_jwt::CHALLENGE_HEADER), None);
    let challenge = oauth
        .header(attestation_jwt::DPOP_NONCE_HEADER)
        .unwrap()
        .to_owned();
    let verdict = run(
        &fx,
        &verifier,
        &dpop(&fx.instance, Some(&challenge), "d-2"),
        check,
        &guard,
    )
    .unwrap();
    assert!(verdict.is_attested());
    // A DPoP nonce (another purpose) is not an attestation challenge.
    let dpop_nonce = nonces
        .issue(NoncePurpose::DpopNonce, fx.now, &SystemRandom::new())
        .unwrap();
    assert_eq!(
        run(
            &fx,
            &verifier,
            &dpop(&fx.instance, Some(&dpop_nonce), "d-3"),
            check,
            &guard
        ),
        Err(Error::Dpop(pop_verifier::Error::NonceMismatch))
    );
}

/// The DPoP proof as a token endpoint's own DPoP check accepts it: verified for the endpoint
/// and recorded in `guard`.
fn accepted(
    proof: &str,
    guard: &InMemoryReplayGuard,
    now: UnixTime,
) -> pop_verifier::AcceptedDpopProof {
    let policy = pop_verifier::DpopPolicy::new(
        "POST",
        TOKEN_ENDPOINT,
        &[Algorithm::Es256],
        pop_verifier::NonceCheck::NoneIssued,
    )
    .danger_skip_nonce_check();
    pop_verifier::verify_dpop_proof(proof, &policy, now, &jose_core::Limits::default())
        .unwrap()
        .record(guard, now)
        .unwrap()
}

/// A server that checks DPoP itself before client authentication (the issuer engine's
/// token endpoint) hands over the accepted proof: combined mode takes it as the PoP without
/// recording its `jti` again, which would refuse it as a replay of itself; the headers
/// alone then suffice (no request target needed).
#[test]
fn an_accepted_dpop_proof_is_the_pop_without_a_second_record() {
    let fx = Fixture::new();
    let verifier = fx.builder(true).with_combined_mode(true).build().unwrap();
    let guard = InMemoryReplayGuard::new(10);
    let attestation = fx.attestation();
    let proof = dpop(&fx.instance, None, "d-1");
    let accepted = accepted(&proof, &guard, fx.now);
    let request = ClientAuthRequest::from_headers([
        ("OAuth-Client-Attestation", attestation.as_str()),
        (DPOP_HEADER, proof.as_str()),
    ])
    .with_accepted_dpop(Some(&accepted));
    let verdict = verifier
        .verify(&request, ChallengeCheck::None, &guard, fx.now)
        .unwrap();
    assert!(matches!(
        verdict.method,
        AuthMethod::Attestation {
            mode: PopMode::DpopCombined,
            ..
        }
    ));
    assert_eq!(
        verdict.instance_key_thumbprint.as_deref(),
        Some(accepted.jkt())
    );
    // Without combined mode the accepted proof is not a PoP.
    assert_eq!(
        fx.verifier(true)
            .verify(&request, ChallengeCheck::None, &guard, fx.now),
        Err(Error::PopMissing)
    );
}

#[test]
fn an_accepted_dpop_proof_by_another_key_is_refused() {
    let fx = Fixture::new();
    let other = LocalSigner::generate(Algorithm::Es256, &SystemRandom::new()).unwrap();
    let verifier = fx.builder(true).with_combined_mode(true).build().unwrap();
    let guard = InMemoryReplayGuard::new(10);
    let attestation = fx.attestation();
    let accepted = accepted(&dpop(&other, None, "d-1"), &guard, fx.now);
    let request = ClientAuthRequest::new()
        .with_attestation(Some(&attestation))
        .with_accepted_dpop(Some(&accepted));
    assert_eq!(
        verifier.verify(&request, ChallengeCheck::None, &guard, fx.now),
        Err(Error::DpopKeyMismatch)
    );
}

/// The accepted proof's `nonce` is checked as the challenge, as in the proof this crate
/// verifies itself: missing, a DPoP nonce of another purpose, then the issued challenge.
#[test]
fn an_accepted_dpop_proof_carries_the_challenge_as_its_nonce() {
    let fx = Fixture::new();
    let nonces = StatelessNonces::new(&[9; 32], None).unwrap();
    let verifier = challenging_verifier(&fx);
    let check = ChallengeCheck::Stateless {
        nonces: &nonces,
        max_age: 300,
    };
    let guard = InMemoryReplayGuard::new(10);
    let attestation = fx.attestation();
    let verify = |proof: &str| {
        let accepted = accepted(proof, &guard, fx.now);
        let request = ClientAuthRequest::new()
            .with_attestation(Some(&attestation))
            .with_accepted_dpop(Some(&accepted));
        verifier.verify(&request, check, &guard, fx.now)
    };
    assert_eq!(
        verify(&dpop(&fx.instance, None, "d-1")),
        Err(Error::Dpop(pop_verifier::Error::NonceMissing))
    );
    let rng = SystemRandom::new();
    let dpop_nonce = nonces.issue(NoncePurpose::DpopNonce, fx.now, &rng).unwrap();
    assert_eq!(
        verify(&dpop(&fx.instance, Some(&dpop_nonce), "d-2")),
        Err(Error::Dpop(pop_verifier::Error::NonceMismatch))
    );
    let challenge = nonces
        .issue(NoncePurpose::AttestationChallenge, fx.now, &rng)
        .unwrap();
    assert!(
        verify(&dpop(&fx.instance, Some(&challenge), "d-3"))
            .unwrap()
            .is_attested()
    );
}
