//! attestation-jwt: attestation + PoP verification (the whole `ClientAttestationVerifier::verify`
//! path, request parts to verdict) against two bare ring signature verifications of the same
//! algorithm (the cryptographic floor: one attestation signature, one PoP signature).
//!
//! The replay guard in the measured path accepts every `jti` (the same PoP is verified over and
//! over); the in-memory guard's own cost is measured by the pop_verifier bench.
#![allow(
    clippy::unwrap_used,
    reason = "benchmark setup: a failure is a broken fixture"
)]

use core::hint::black_box;

use attestation_jwt::{
    AttestationClaims, AttesterKeyId, ChallengeCheck, ClientAttestationConfig,
    ClientAttestationVerifier, ClientAuthRequest, PopClaims, VerificationMethod, build_pop,
    issue_attestation,
};
use criterion::{Criterion, criterion_group, criterion_main};
use jose_core::{Algorithm, LocalSigner, SystemRandom, UnixTime};
use pop_verifier::{ReplayError, ReplayGuard};
use ring::signature::{ECDSA_P256_SHA256_FIXED, ED25519, UnparsedPublicKey, VerificationAlgorithm};

const NOW: i64 = 1_800_000_000;

struct AcceptAll;

impl ReplayGuard for AcceptAll {
    fn check_and_record(&self, _: &str, _: UnixTime, _: UnixTime) -> Result<(), ReplayError> {
        Ok(())
    }
}

fn bench(c: &mut Criterion) {
    let now = UnixTime::from_secs(NOW);
    let rng = SystemRandom::new();
    let cases: [(Algorithm, &'static dyn VerificationAlgorithm, &str); 2] = [
        (Algorithm::Es256, &ECDSA_P256_SHA256_FIXED, "ES256"),
        (Algorithm::EdDsa, &ED25519, "EdDSA"),
    ];
    for (alg, ring_alg, name) in cases {
        let attester = LocalSigner::generate(alg, &rng).unwrap();
        let instance = LocalSigner::generate(alg, &rng).unwrap();
        let claims = AttestationClaims::new(
            "https://wallet.example.com",
            instance.public_jwk(),
            now.saturating_sub(60),
            now.saturating_add(86_400),
        );
        let attestation =
            issue_attestation(&claims, &AttesterKeyId::Kid("att-1".into()), &attester).unwrap();
        let pop = build_pop(
            &PopClaims::new("https://as.example.com", now),
            &instance,
            &rng,
        )
        .unwrap();
        let config = ClientAttestationConfig::new(VerificationMethod::StaticJwk {
            jwk: attester.public_jwk(),
        });
        let verifier = ClientAttestationVerifier::builder(config, "https://as.example.com")
            .build()
            .unwrap();
        let request = ClientAuthRequest::from_headers([
            ("OAuth-Client-Attestation", attestation.as_str()),
            ("OAuth-Client-Attestation-PoP", pop.as_str()),
        ]);
        let guard = AcceptAll;
        let ours = || {
            let verdict = verifier
                .verify(black_box(&request), ChallengeCheck::None, &guard, now)
                .unwrap();
            black_box(verdict);
        };
        let (att_input, att_sig) = benches::split_jws(&attestation);
        let (pop_input, pop_sig) = benches::split_jws(&pop);
        let (att_key, pop_key) = (
            benches::raw_public_key(&attester),
            benches::raw_public_key(&instance),
        );
        let floor = || {
            UnparsedPublicKey::new(ring_alg, &att_key)
                .verify(black_box(&att_input), black_box(&att_sig))
                .unwrap();
            UnparsedPublicKey::new(ring_alg, &pop_key)
                .verify(black_box(&pop_input), black_box(&pop_sig))
                .unwrap();
        };
        c.bench_function(&format!("attestation/verify/{name}"), |b| b.iter(ours));
        c.bench_function(&format!("attestation/two_ring_verifies/{name}"), |b| {
            b.iter(floor)
        });
        benches::print_ratio(
            &format!("attestation-jwt attestation+PoP {name} vs two bare ring verifies"),
            &benches::measure_ratio(30, 50, ours, floor),
        );
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
