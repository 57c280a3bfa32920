//! pop-verifier: PoP / DPoP / key-proof verification against the bare ring signature
//! verification each contains, and stateless nonces against a bare ring HMAC.
//!
//! The ratio lines (`RATIO ...`) are measured in this process, interleaved, on the same inputs.
//! The verifications are measured up to the `Unrecorded` proof (the replay record's cost is the
//! `replay_record_steady_100k` line).
#![allow(
    clippy::unwrap_used,
    reason = "benchmark setup: a failure is a broken fixture"
)]

use core::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use jose_core::{Algorithm, Header, Limits, LocalSigner, SystemRandom, UnixTime, UnsignedJws};
use pop_verifier::{
    AttestationPopPolicy, DpopPolicy, InMemoryReplayGuard, KeyProofPolicy, NonceCheck,
    NoncePurpose, ReplayGuard, StatelessNonces, verify_attestation_pop, verify_dpop_proof,
    verify_key_proof,
};
use ring::signature::{ECDSA_P256_SHA256_FIXED, ED25519, UnparsedPublicKey, VerificationAlgorithm};

const NOW: i64 = 1_800_000_000;

fn sign(signer: &LocalSigner, header: &Header, claims: &serde_json::Value) -> String {
    UnsignedJws::new(header, claims.as_object().unwrap())
        .unwrap()
        .sign(signer)
        .unwrap()
}

fn bench(c: &mut Criterion) {
    let now = UnixTime::from_secs(NOW);
    let limits = Limits::default();
    let cases: [(Algorithm, &'static dyn VerificationAlgorithm, &str); 2] = [
        (Algorithm::Es256, &ECDSA_P256_SHA256_FIXED, "ES256"),
        (Algorithm::EdDsa, &ED25519, "EdDSA"),
    ];
    for (alg, ring_alg, name) in cases {
        let signer = LocalSigner::generate(alg, &SystemRandom::new()).unwrap();
        let jwk = signer.public_jwk();
        let key = benches::raw_public_key(&signer);
        let algs = [alg];

        let pop = sign(
            &signer,
            &Header::new(alg).with_typ("oauth-client-attestation-pop+jwt"),
            &serde_json::json!({"aud": "https://as.example.com", "jti": "d25d00ab-552b-46fc-ae19-98f440f25064", "iat": NOW, "challenge": "5c1a9e10-29ff-4c2b-ae73-57c0957c09c4"}),
        );
        let policy = AttestationPopPolicy::new(
            "https://as.example.com",
            "https://client.example.com",
            &algs,
            NonceCheck::Value("5c1a9e10-29ff-4c2b-ae73-57c0957c09c4"),
        );
        let (input, sig) = benches::split_jws(&pop);
        let ours = || {
            drop(black_box(
                verify_attestation_pop(black_box(&pop), &jwk, &policy, now, &limits).unwrap(),
            ));
        };
        let floor = || {
            UnparsedPublicKey::new(ring_alg, &key)
                .verify(black_box(&input), black_box(&sig))
                .unwrap();
        };
        c.bench_function(&format!("pop_verifier/attestation_pop/{name}"), |b| {
            b.iter(ours)
        });
        c.bench_function(&format!("pop_verifier/ring_verify/{name}"), |b| {
            b.iter(floor)
        });
        benches::print_ratio(
            &format!("pop-verifier ABCA PoP {name} vs bare ring verify"),
            &benches::measure_ratio(30, 50, ours, floor),
        );

        let dpop = sign(
            &signer,
            &Header::new(alg).with_typ("dpop+jwt").with_jwk(jwk.clone()),
            &serde_json::json!({"jti": "-BwC3ESc6acc2lTc", "htm": "POST", "htu": "https://server.example.com/token", "iat": NOW}),
        );
        let dpop_policy = DpopPolicy::new(
            "POST",
            "https://server.example.com/token",
            &algs,
            NonceCheck::NoneIssued,
        )
        .danger_skip_nonce_check();
        let (input, sig) = benches::split_jws(&dpop);
        let ours = || {
            drop(black_box(
                verify_dpop_proof(black_box(&dpop), &dpop_policy, now, &limits).unwrap(),
            ));
        };
        let floor = || {
            UnparsedPublicKey::new(ring_alg, &key)
                .verify(black_box(&input), black_box(&sig))
                .unwrap();
        };
        c.bench_function(&format!("pop_verifier/dpop/{name}"), |b| b.iter(ours));
        benches::print_ratio(
            &format!("pop-verifier DPoP {name} vs bare ring verify"),
            &benches::measure_ratio(30, 50, ours, floor),
        );

        let proof = sign(
            &signer,
            &Header::new(alg)
                .with_typ("openid4vci-proof+jwt")
                .with_jwk(jwk.clone()),
            &serde_json::json!({"aud": "https://credential-issuer.example.com", "iat": NOW, "nonce": "LarRGSbmUPYtRYO6BQ4yn8"}),
        );
        let proof_policy = KeyProofPolicy::new(
            "https://credential-issuer.example.com",
            &algs,
            NonceCheck::Value("LarRGSbmUPYtRYO6BQ4yn8"),
        );
        let (input, sig) = benches::split_jws(&proof);
        let ours = || {
            drop(black_box(
                verify_key_proof(black_box(&proof), &proof_policy, now, &limits).unwrap(),
            ));
        };
        let floor = || {
            UnparsedPublicKey::new(ring_alg, &key)
                .verify(black_box(&input), black_box(&sig))
                .unwrap();
        };
        c.bench_function(&format!("pop_verifier/key_proof/{name}"), |b| b.iter(ours));
        benches::print_ratio(
            &format!("pop-verifier key proof {name} vs bare ring verify"),
            &benches::measure_ratio(30, 50, ours, floor),
        );
    }

    // Stateless nonce verification against one bare HMAC-SHA256 verification.
    let nonces = StatelessNonces::new(&[7; 32], None).unwrap();
    let nonce = nonces
        .issue(NoncePurpose::CNonce, now, &SystemRandom::new())
        .unwrap();
    let hkey = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &[7; 32]);
    let msg = [0u8; 58];
    let tag = ring::hmac::sign(&hkey, &msg);
    let ours = || {
        nonces
            .verify(black_box(&nonce), NoncePurpose::CNonce, now, 300)
            .unwrap();
    };
    let floor = || {
        ring::hmac::verify(&hkey, black_box(&msg), tag.as_ref()).unwrap();
    };
    c.bench_function("pop_verifier/nonce_verify", |b| b.iter(ours));
    benches::print_ratio(
        "pop-verifier stateless nonce verify vs bare ring HMAC verify",
        &benches::measure_ratio(30, 200, ours, floor),
    );

    // Replay guard: check_and_record of fresh keys at a steady state of 100k live entries (the
    // clock advances one second per call and entries live 100k seconds, so each call also
    // purges one expired entry).
    let guard = InMemoryReplayGuard::new(1 << 20);
    let mut t = now;
    let mut n = 0u64;
    let mut record = || {
        n += 1;
        t = t.saturating_add(1);
        guard
            .check_and_record(&format!("k-{n}"), t.saturating_add(100_000), t)
            .unwrap();
    };
    for _ in 0..100_000 {
        record();
    }
    c.bench_function("pop_verifier/replay_record_steady_100k", |b| {
        b.iter(&mut record)
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(core::time::Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
