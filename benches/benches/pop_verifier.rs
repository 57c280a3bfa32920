//! pop-verifier: PoP / DPoP / key-proof verification against the bare signature verification
//! each contains (on ring and on aws-lc-rs), and stateless nonces against a bare ring HMAC.
//!
//! The key proof with a key attestation is measured with its record and checks, against its
//! two bare ES256 verifications.
//!
//! The ratio lines (`RATIO ...`) are measured in this process, interleaved, on the same inputs.
//! The verifications are measured up to the `Unrecorded` proof (the replay record's cost is the
//! `replay_record_steady_100k` line).
#![allow(
    clippy::unwrap_used,
    reason = "benchmark setup: a failure is a broken fixture"
)]

use core::hint::black_box;
use std::sync::Arc;

use benches::VerifyInput;
use criterion::{Criterion, criterion_group, criterion_main};
use jose_core::keys::StaticKeys;
use jose_core::{Algorithm, Header, Limits, LocalSigner, SystemRandom, UnixTime, UnsignedJws};
use pop_verifier::{
    AttestationNonce, AttestationPopPolicy, DpopPolicy, InMemoryReplayGuard, KeyAttestationClaims,
    KeyAttestationRequirement, KeyAttestationVerifier, KeyProofClaims, KeyProofPolicy, NonceCheck,
    NoncePurpose, ProofKey, ReplayGuard, StatelessNonces, build_attested_key_proof,
    build_key_attestation, verify_attestation_pop, verify_dpop_proof, verify_key_proof,
};

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
    let cases = [(Algorithm::Es256, "ES256"), (Algorithm::EdDsa, "EdDSA")];
    for (alg, name) in cases {
        let signer = LocalSigner::generate(alg, &SystemRandom::new()).unwrap();
        let jwk = signer.public_jwk();
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
        let floor = benches::verify_floor(vec![VerifyInput::of_jws(&pop, jwk.key().clone(), alg)]);
        let ours = || {
            drop(black_box(
                verify_attestation_pop(black_box(&pop), &jwk, &policy, now, &limits).unwrap(),
            ));
        };
        c.bench_function(&format!("pop_verifier/attestation_pop/{name}"), |b| {
            b.iter(ours)
        });
        for provider in benches::PROVIDERS {
            let mut verify = floor(provider);
            c.bench_function(
                &format!("pop_verifier/{}_verify/{name}", provider.name()),
                |b| b.iter(&mut verify),
            );
        }
        benches::print_floors(
            &format!("pop-verifier ABCA PoP {name} vs bare verify"),
            &benches::measure_floors(30, 50, ours, &floor),
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
        let floor = benches::verify_floor(vec![VerifyInput::of_jws(&dpop, jwk.key().clone(), alg)]);
        let ours = || {
            drop(black_box(
                verify_dpop_proof(black_box(&dpop), &dpop_policy, now, &limits).unwrap(),
            ));
        };
        c.bench_function(&format!("pop_verifier/dpop/{name}"), |b| b.iter(ours));
        benches::print_floors(
            &format!("pop-verifier DPoP {name} vs bare verify"),
            &benches::measure_floors(30, 50, ours, &floor),
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
        let floor =
            benches::verify_floor(vec![VerifyInput::of_jws(&proof, jwk.key().clone(), alg)]);
        let ours = || {
            drop(black_box(
                verify_key_proof(black_box(&proof), &proof_policy, now, &limits).unwrap(),
            ));
        };
        c.bench_function(&format!("pop_verifier/key_proof/{name}"), |b| b.iter(ours));
        benches::print_floors(
            &format!("pop-verifier key proof {name} vs bare verify"),
            &benches::measure_floors(30, 50, ours, &floor),
        );
    }

    key_attestation(c, now);

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

    // The same with keys as the verifiers make them (`replay_key` of a DPoP proof's `jti` for
    // a token endpoint) and 100 records per second of the clock, as under load: many live keys
    // share an expiry second and a long `namespace|scope|` prefix.
    let guard = InMemoryReplayGuard::new(1 << 20);
    let mut t = now;
    let mut n = 0u64;
    let mut record = || {
        n += 1;
        if n.is_multiple_of(100) {
            t = t.saturating_add(1);
        }
        let jti = jose_core::base64url::encode(&n.to_be_bytes().repeat(2));
        let key = pop_verifier::replay_key("dpop", "https://issuer.example/token", &jti);
        guard
            .check_and_record(&key, t.saturating_add(1_000), t)
            .unwrap();
    };
    for _ in 0..100_000 {
        record();
    }
    c.bench_function(
        "pop_verifier/replay_record_steady_100k_shared_seconds",
        |b| b.iter(&mut record),
    );
}

/// A `jwt` key proof carrying a key attestation (OpenID4VCI 1.0 App. D, F.1): proof verify,
/// attestation verify, the proof key among the attested keys and the requirement check,
/// against their two bare ES256 verifications. The wallet provider's key comes from a static
/// lookup, so X.509 path validation is not in either side (the trust_x509 bench measures it).
fn key_attestation(c: &mut Criterion, now: UnixTime) {
    let rng = SystemRandom::new();
    let provider = LocalSigner::generate(Algorithm::Es256, &rng).unwrap();
    let holder = LocalSigner::generate(Algorithm::Es256, &rng).unwrap();
    let verifier = KeyAttestationVerifier::builder()
        .algorithms(&[Algorithm::Es256])
        .wallet_provider_roots(Arc::new(StaticKeys::from(provider.public_jwk())))
        .build()
        .unwrap();
    let claims =
        KeyAttestationClaims::new(now, now.saturating_add(3600), vec![holder.public_jwk()])
            .with_levels(
                vec!["iso_18045_high".into()],
                vec!["iso_18045_moderate".into()],
            );
    let attestation = build_key_attestation(&claims, vec![vec![0x30, 0x00]], &provider).unwrap();
    let proof = build_attested_key_proof(
        &KeyProofClaims::new("https://credential-issuer.example.com", now)
            .with_nonce("LarRGSbmUPYtRYO6BQ4yn8"),
        &ProofKey::Jwk(holder.public_jwk()),
        &attestation,
        &holder,
    )
    .unwrap();
    let algs = [Algorithm::Es256];
    let policy = KeyProofPolicy::new(
        "https://credential-issuer.example.com",
        &algs,
        NonceCheck::Value("LarRGSbmUPYtRYO6BQ4yn8"),
    );
    let required = KeyAttestationRequirement::new(vec!["iso_18045_high".into()], vec![]);
    let limits =
        Limits::default().with_max_token_len(pop_verifier::DEFAULT_MAX_KEY_ATTESTATION_LEN);
    let ours = || {
        // The attestation is read from the accepted proof, so the proof is recorded first: in
        // a fresh one-entry guard each time (the same proof is verified again next call).
        let accepted = verify_key_proof(black_box(&proof), &policy, now, &limits)
            .unwrap()
            .record(&InMemoryReplayGuard::new(1), now)
            .unwrap();
        let verified = verifier
            .verify(
                accepted.key_attestation().unwrap(),
                now,
                AttestationNonce::Unchecked,
            )
            .unwrap();
        verified.check_proof_key(&accepted).unwrap();
        verified.check_requirement(&required).unwrap();
        black_box(verified);
    };
    let floor = benches::verify_floor(vec![
        VerifyInput::of_jws(&proof, holder.public_jwk().key().clone(), Algorithm::Es256),
        VerifyInput::of_jws(
            &attestation,
            provider.public_jwk().key().clone(),
            Algorithm::Es256,
        ),
    ]);
    c.bench_function("pop_verifier/key_proof_with_key_attestation/ES256", |b| {
        b.iter(ours)
    });
    benches::print_floors(
        "pop-verifier key proof + key attestation ES256 vs two bare verifies",
        &benches::measure_floors(30, 50, ours, floor),
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(core::time::Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
