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
    ChallengeCheck, ClientAttestationConfig, ClientAttestationVerifier, ClientAuthRequest,
    VerificationMethod,
};
use criterion::{Criterion, criterion_group, criterion_main};
use jose_core::{Algorithm, UnixTime};
use ring::signature::{ECDSA_P256_SHA256_FIXED, ED25519, VerificationAlgorithm};

const NOW: i64 = 1_800_000_000;

fn bench(c: &mut Criterion) {
    let now = UnixTime::from_secs(NOW);
    let cases: [(Algorithm, &'static dyn VerificationAlgorithm, &str); 2] = [
        (Algorithm::Es256, &ECDSA_P256_SHA256_FIXED, "ES256"),
        (Algorithm::EdDsa, &ED25519, "EdDSA"),
    ];
    for (alg, ring_alg, name) in cases {
        let client = benches::AttestedClient::new(alg, "https://as.example.com", now);
        let (attestation, pop) = (&client.attestation, &client.pop);
        let config = ClientAttestationConfig::new(VerificationMethod::StaticJwk {
            jwk: client.attester.public_jwk(),
            additional_jwks: Vec::new(),
        });
        let verifier = ClientAttestationVerifier::builder(config, "https://as.example.com")
            .build()
            .unwrap();
        let request = ClientAuthRequest::from_headers([
            ("OAuth-Client-Attestation", attestation.as_str()),
            ("OAuth-Client-Attestation-PoP", pop.as_str()),
        ]);
        let guard = benches::AcceptAll;
        let ours = || {
            let verdict = verifier
                .verify(black_box(&request), ChallengeCheck::None, &guard, now)
                .unwrap();
            black_box(verdict);
        };
        let floor = client.floor(ring_alg);
        c.bench_function(&format!("attestation/verify/{name}"), |b| b.iter(ours));
        c.bench_function(&format!("attestation/two_ring_verifies/{name}"), |b| {
            b.iter(&floor)
        });
        benches::print_ratio(
            &format!("attestation-jwt attestation+PoP {name} vs two bare ring verifies"),
            &benches::measure_ratio(30, 50, ours, &floor),
        );
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
