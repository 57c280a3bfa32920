//! attestation-jwt: attestation + PoP verification (the whole `ClientAttestationVerifier::verify`
//! path, request parts to verdict) against two bare signature verifications of the same
//! algorithm on ring and on aws-lc-rs (the cryptographic floor: one attestation signature, one PoP signature).
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

const NOW: i64 = 1_800_000_000;

fn bench(c: &mut Criterion) {
    let now = UnixTime::from_secs(NOW);
    let cases = [(Algorithm::Es256, "ES256"), (Algorithm::EdDsa, "EdDSA")];
    for (alg, name) in cases {
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
        let floor = benches::verify_floor(client.floor_inputs(alg));
        c.bench_function(&format!("attestation/verify/{name}"), |b| b.iter(ours));
        for provider in benches::PROVIDERS {
            let mut verifies = floor(provider);
            c.bench_function(
                &format!("attestation/two_{}_verifies/{name}", provider.name()),
                |b| b.iter(&mut verifies),
            );
        }
        benches::print_floors(
            &format!("attestation-jwt attestation+PoP {name} vs two bare verifies"),
            &benches::measure_floors(30, 50, ours, &floor),
        );
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
