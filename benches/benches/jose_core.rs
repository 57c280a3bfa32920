//! jose-core: strict compact-JWS parse + verify against the bare ring verification it contains.
#![allow(
    clippy::unwrap_used,
    reason = "benchmark setup: a failure is a broken fixture"
)]

use core::hint::black_box;

use benches::{measure_ratio, print_ratio};
use criterion::{Criterion, criterion_group, criterion_main};
use jose_core::{
    Algorithm, CompactJws, Header, HeaderPolicy, Limits, LocalSigner, Signer, SystemRandom,
    UnsignedJws,
};
use ring::signature::{ECDSA_P256_SHA256_FIXED, ED25519, UnparsedPublicKey, VerificationAlgorithm};

struct Fixture {
    token: String,
    signer: LocalSigner,
    input: Vec<u8>,
    signature: Vec<u8>,
}

fn fixture(alg: Algorithm) -> Fixture {
    let signer = LocalSigner::generate(alg, &SystemRandom::new()).unwrap();
    let claims = serde_json::json!({"sub": "https://wallet.example", "iat": 1_700_000_000,
        "exp": 1_800_000_000, "jti": "0123456789abcdef"});
    let token = UnsignedJws::new(
        &Header::new(alg).with_typ("example+jwt"),
        claims.as_object().unwrap(),
    )
    .unwrap()
    .sign(&signer)
    .unwrap();
    let (input, sig) = token.rsplit_once('.').unwrap();
    let signature = jose_core::base64url::decode(sig).unwrap();
    Fixture {
        input: input.as_bytes().to_vec(),
        token,
        signer,
        signature,
    }
}

fn bench(c: &mut Criterion) {
    let cases: [(Algorithm, &'static dyn VerificationAlgorithm, &str); 2] = [
        (Algorithm::Es256, &ECDSA_P256_SHA256_FIXED, "ES256"),
        (Algorithm::EdDsa, &ED25519, "EdDSA"),
    ];
    for (alg, ring_alg, name) in cases {
        let f = fixture(alg);
        let jwk = f.signer.public_jwk();
        let raw_key = benches::raw_public_key(&f.signer);
        let algs = [alg];
        let policy = HeaderPolicy::new(&algs).with_typ("example+jwt");
        let ours = || {
            let jws = CompactJws::parse(black_box(&f.token), &Limits::default()).unwrap();
            jws.verify(&jwk, &policy).unwrap();
        };
        let floor = || {
            UnparsedPublicKey::new(ring_alg, &raw_key)
                .verify(black_box(&f.input), black_box(&f.signature))
                .unwrap();
        };
        c.bench_function(&format!("jose_core/parse_verify/{name}"), |b| b.iter(ours));
        c.bench_function(&format!("jose_core/ring_verify/{name}"), |b| b.iter(floor));
        print_ratio(
            &format!("jose-core parse+verify {name} vs bare ring verify"),
            &measure_ratio(30, 50, ours, floor),
        );
        let _ = f.signer.algorithm();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(core::time::Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
