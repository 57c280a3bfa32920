//! pop-verifier: PoP / DPoP / key-proof verification against the bare ring signature
//! verification each contains, and stateless nonces against a bare ring HMAC.
//!
//! The ratio lines (`RATIO ...`) are measured in this process, interleaved, on the same inputs.
#![allow(
    clippy::unwrap_used,
    reason = "benchmark setup: a failure is a broken fixture"
)]

use core::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use jose_core::{
    Algorithm, Header, Limits, LocalSigner, PublicKey, SystemRandom, UnixTime, UnsignedJws,
};
use pop_verifier::{
    AttestationPopPolicy, DpopPolicy, InMemoryReplayGuard, KeyProofPolicy, NoncePurpose,
    ReplayGuard, StatelessNonces, verify_attestation_pop, verify_dpop_proof, verify_key_proof,
};
use ring::signature::{ECDSA_P256_SHA256_FIXED, ED25519, UnparsedPublicKey, VerificationAlgorithm};

const NOW: i64 = 1_800_000_000;

/// Median ns per call of `op` and of `floor`, over `samples` alternating batches of `batch`.
fn ratio(samples: usize, batch: u32, mut op: impl FnMut(), mut floor: impl FnMut()) -> (f64, f64) {
    let time = |f: &mut dyn FnMut()| {
        let start = Instant::now();
        for _ in 0..batch {
            f();
        }
        start.elapsed().as_secs_f64() * 1e9 / f64::from(batch)
    };
    let (mut ops, mut floors) = (Vec::new(), Vec::new());
    for _ in 0..samples {
        ops.push(time(&mut op));
        floors.push(time(&mut floor));
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
    };
    (median(&mut ops), median(&mut floors))
}

fn report(label: &str, (op, floor): (f64, f64)) {
    println!(
        "RATIO {label}: {:.2}x (op {:.1} us, floor {:.1} us)",
        op / floor,
        op / 1e3,
        floor / 1e3
    );
}

fn sign(signer: &LocalSigner, header: &Header, claims: &serde_json::Value) -> String {
    UnsignedJws::new(header, claims.as_object().unwrap())
        .unwrap()
        .sign(signer)
        .unwrap()
}

/// The signing input and signature of a compact token, for the ring floor.
fn split(token: &str) -> (Vec<u8>, Vec<u8>) {
    let (input, sig) = token.rsplit_once('.').unwrap();
    (
        input.as_bytes().to_vec(),
        jose_core::base64url::decode(sig).unwrap(),
    )
}

fn raw_key(signer: &LocalSigner) -> Vec<u8> {
    match signer.public_jwk().key() {
        PublicKey::Ec { point, .. } => point.clone(),
        PublicKey::Ed25519 { x } => x.to_vec(),
        _ => unreachable!(),
    }
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
        let key = raw_key(&signer);
        let algs = [alg];

        let pop = sign(
            &signer,
            &Header::new(alg).with_typ("oauth-client-attestation-pop+jwt"),
            &serde_json::json!({"aud": "https://as.example.com", "jti": "d25d00ab-552b-46fc-ae19-98f440f25064", "iat": NOW, "challenge": "5c1a9e10-29ff-4c2b-ae73-57c0957c09c4"}),
        );
        let policy = AttestationPopPolicy::new("https://as.example.com", &algs)
            .with_expected_challenge(Some("5c1a9e10-29ff-4c2b-ae73-57c0957c09c4"), true);
        let (input, sig) = split(&pop);
        let ours = || {
            verify_attestation_pop(black_box(&pop), &jwk, &policy, now, &limits).unwrap();
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
        report(
            &format!("pop-verifier ABCA PoP {name} vs bare ring verify"),
            ratio(30, 50, ours, floor),
        );

        let dpop = sign(
            &signer,
            &Header::new(alg).with_typ("dpop+jwt").with_jwk(jwk.clone()),
            &serde_json::json!({"jti": "-BwC3ESc6acc2lTc", "htm": "POST", "htu": "https://server.example.com/token", "iat": NOW}),
        );
        let dpop_policy = DpopPolicy::new("POST", "https://server.example.com/token", &algs);
        let (input, sig) = split(&dpop);
        let ours = || {
            verify_dpop_proof(black_box(&dpop), &dpop_policy, now, &limits).unwrap();
        };
        let floor = || {
            UnparsedPublicKey::new(ring_alg, &key)
                .verify(black_box(&input), black_box(&sig))
                .unwrap();
        };
        c.bench_function(&format!("pop_verifier/dpop/{name}"), |b| b.iter(ours));
        report(
            &format!("pop-verifier DPoP {name} vs bare ring verify"),
            ratio(30, 50, ours, floor),
        );

        let proof = sign(
            &signer,
            &Header::new(alg)
                .with_typ("openid4vci-proof+jwt")
                .with_jwk(jwk.clone()),
            &serde_json::json!({"aud": "https://credential-issuer.example.com", "iat": NOW, "nonce": "LarRGSbmUPYtRYO6BQ4yn8"}),
        );
        let proof_policy = KeyProofPolicy::new("https://credential-issuer.example.com", &algs)
            .with_expected_nonce(Some("LarRGSbmUPYtRYO6BQ4yn8"), true);
        let (input, sig) = split(&proof);
        let ours = || {
            verify_key_proof(black_box(&proof), &proof_policy, now, &limits).unwrap();
        };
        let floor = || {
            UnparsedPublicKey::new(ring_alg, &key)
                .verify(black_box(&input), black_box(&sig))
                .unwrap();
        };
        c.bench_function(&format!("pop_verifier/key_proof/{name}"), |b| b.iter(ours));
        report(
            &format!("pop-verifier key proof {name} vs bare ring verify"),
            ratio(30, 50, ours, floor),
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
    report(
        "pop-verifier stateless nonce verify vs bare ring HMAC verify",
        ratio(30, 200, ours, floor),
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
