//! oid4vci-issuer, three benchmarks: the code flow of `issuer/code_flow.rs` (PAR, authorization,
//! consent and code redemption; see that file), a whole issuance on each store backend against
//! the in-memory stores (`issuer/stores.rs`), and the token endpoint path of `IssuerEngine::token` (form parse, client
//! attestation + PoP verification, pre-authorized code redemption, grant, access and refresh
//! token issuance) against two bare ring verifications of the same algorithm (the attestation
//! signature and the PoP signature: the cryptographic floor of an attested token request).
//!
//! The engine and its attestation verifier are built once, before the loop, as a server builds
//! them: a request parses no configuration and no trust anchor. Each call redeems a fresh
//! pre-authorized code (created inside the timed call, so the ratio includes that insert); the
//! replay guard accepts every `jti`, since the same PoP is presented over and over (the
//! in-memory guard's own cost is measured by the pop_verifier bench).
#![allow(
    clippy::unwrap_used,
    reason = "benchmark setup: a failure is a broken fixture"
)]

#[path = "issuer/code_flow.rs"]
mod code_flow;
#[path = "issuer/stores.rs"]
mod stores;

use core::hint::black_box;
use std::sync::Arc;

use attestation_jwt::{ClientAttestationConfig, ClientAttestationVerifier, VerificationMethod};
use criterion::{Criterion, criterion_group, criterion_main};
use jose_core::{Algorithm, LocalSigner, SystemRandom, UnixTime};
use oid4vci_issuer::{
    CredentialFormat, CredentialProfile, EndpointRequest, IssuerEngine, IssuerKeys, IssuerSettings,
    SigningKey, StoreLimits, Stores,
};
use serde_json::Map;

const NOW: i64 = 1_800_000_000;
const ISSUER: &str = "https://issuer.example.com";

fn engine(attester: &LocalSigner, rng: &SystemRandom) -> IssuerEngine {
    let config = ClientAttestationConfig::new(VerificationMethod::StaticJwk {
        jwk: attester.public_jwk(),
        additional_jwks: Vec::new(),
    });
    let verifier = ClientAttestationVerifier::builder(config, ISSUER)
        .build()
        .unwrap();
    let signer = LocalSigner::generate(Algorithm::Es256, rng).unwrap();
    let profile = CredentialProfile::new(
        "pid",
        CredentialFormat::SdJwtVc {
            vct: "urn:eudi:pid:1".into(),
            always_disclosed: Vec::new(),
        },
    );
    // Room for every call criterion makes: a full store would end the run. The authorization
    // store (pushed requests, live codes, redeemed codes, the last kept to refuse a second
    // redemption) is sized by the pre-authorized code limit.
    let limits = StoreLimits::new()
        .with_max_pre_authorized_codes(1 << 24)
        .with_max_access_tokens(1 << 24)
        .with_max_refresh_tokens(1 << 24);
    IssuerEngine::builder(
        IssuerSettings::new(ISSUER),
        vec![profile],
        IssuerKeys::new(SigningKey::new(Arc::new(signer), Vec::new())),
        &[7u8; 32],
        Arc::new(SystemRandom::new()),
    )
    .with_stores(Stores::in_memory(&limits, 1024))
    .with_replay_guard(Arc::new(benches::AcceptAll))
    .with_client_authenticator(verifier)
    .build()
    .unwrap()
}

fn bench(c: &mut Criterion) {
    let now = UnixTime::from_secs(NOW);
    let rng = SystemRandom::new();
    let cases = [(Algorithm::Es256, "ES256"), (Algorithm::EdDsa, "EdDSA")];
    for (alg, name) in cases {
        let client = benches::AttestedClient::new(alg, ISSUER, now);
        let (attestation, pop) = (&client.attestation, &client.pop);
        let engine = engine(&client.attester, &rng);
        let headers: [(&str, &[u8]); 3] = [
            ("content-type", b"application/x-www-form-urlencoded"),
            ("oauth-client-attestation", attestation.as_bytes()),
            ("oauth-client-attestation-pop", pop.as_bytes()),
        ];
        let ours = || {
            let code = engine
                .create_pre_authorized_code(vec!["pid".into()], Map::new(), None, now)
                .unwrap();
            let body = format!(
                "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code&pre-authorized_code={code}"
            );
            let answer = engine
                .token(&EndpointRequest::new(&headers, body.as_bytes()), now)
                .unwrap();
            black_box(answer);
        };
        let floor = benches::verify_floor(client.floor_inputs(alg));
        c.bench_function(&format!("issuer/token/{name}"), |b| b.iter(ours));
        benches::print_floors(
            &format!(
                "oid4vci-issuer token endpoint (attested, pre-authorized code) {name} vs two bare verifies"
            ),
            &benches::measure_floors(30, 50, ours, floor),
        );
    }
}

criterion_group!(benches, bench, code_flow::bench, stores::bench);
criterion_main!(benches);
