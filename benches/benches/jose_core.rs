//! jose-core: strict compact-JWS parse + verify against the bare verification it contains (on
//! ring and on aws-lc-rs); JWE (ECDH-ES + AES-GCM) decrypt and encrypt against bare ECDH +
//! AES-GCM (JWE is not behind the crypto provider: `p256` ECDH and ring AES-GCM in both builds).
#![allow(
    clippy::unwrap_used,
    reason = "benchmark setup: a failure is a broken fixture"
)]

use core::hint::black_box;

use benches::{VerifyInput, measure_floors, measure_ratio, print_floors, print_ratio};
use criterion::{Criterion, criterion_group, criterion_main};
use jose_core::{
    Algorithm, CompactJws, Header, HeaderPolicy, Limits, LocalSigner, Signer, SystemRandom,
    UnsignedJws,
};

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
    let cases = [(Algorithm::Es256, "ES256"), (Algorithm::EdDsa, "EdDSA")];
    for (alg, name) in cases {
        let f = fixture(alg);
        let jwk = f.signer.public_jwk();
        let algs = [alg];
        let policy = HeaderPolicy::new(&algs).with_typ("example+jwt");
        let ours = || {
            let jws = CompactJws::parse(black_box(&f.token), &Limits::default()).unwrap();
            jws.verify(&jwk, &policy).unwrap();
        };
        let floor = benches::verify_floor(vec![VerifyInput::new(
            jwk.key().clone(),
            alg,
            f.input.clone(),
            f.signature.clone(),
        )]);
        c.bench_function(&format!("jose_core/parse_verify/{name}"), |b| b.iter(ours));
        for provider in benches::PROVIDERS {
            let mut verify = floor(provider);
            c.bench_function(
                &format!("jose_core/{}_verify/{name}", provider.name()),
                |b| b.iter(&mut verify),
            );
        }
        print_floors(
            &format!("jose-core parse+verify {name} vs bare verify"),
            &measure_floors(30, 50, ours, &floor),
        );
        let _ = f.signer.algorithm();
    }
}

/// JWE decrypt (parse, header checks, ECDH, Concat KDF, AES-GCM) and encrypt (ephemeral key,
/// ECDH, KDF, AES-GCM, serialisation) of a credential-response-sized payload, against the bare
/// ECDH (the same `p256` arithmetic, via [`LocalKeyAgreement::agree`]) and ring AES-GCM they
/// contain.
fn bench_jwe(c: &mut Criterion) {
    use jose_core::jwe::{
        CompactJwe, ContentEncryption, JweEncrypter, JweLimits, JwePolicy, KeyAgreement,
        LocalKeyAgreement, concat_kdf,
    };
    use ring::aead::{AES_128_GCM, Aad, LessSafeKey, Nonce, Tag, UnboundKey};

    let rng = SystemRandom::new();
    let recipient = LocalKeyAgreement::generate(jose_core::EcCurve::P256, &rng).unwrap();
    let plaintext = serde_json::json!({"credentials": [{"credential": "x".repeat(1500)}],
        "notification_id": "n-1"})
    .to_string();
    let encrypter = JweEncrypter::new(&recipient.public_jwk(), ContentEncryption::A128Gcm).unwrap();
    let token = encrypter.encrypt(plaintext.as_bytes(), &rng).unwrap();
    // The floor's inputs, decoded once: the epk, IV, ciphertext, tag and the AAD.
    let parsed = CompactJwe::parse(&token, &JweLimits::default()).unwrap();
    let epk = parsed.header().epk().clone();
    let parts: Vec<&str> = token.split('.').collect();
    let aad = parts[0].as_bytes().to_vec();
    let iv: [u8; 12] = jose_core::base64url::decode(parts[2])
        .unwrap()
        .try_into()
        .unwrap();
    let ciphertext = jose_core::base64url::decode(parts[3]).unwrap();
    let tag: [u8; 16] = jose_core::base64url::decode(parts[4])
        .unwrap()
        .try_into()
        .unwrap();
    let policy = JwePolicy::default();
    let ours = || {
        let jwe = CompactJwe::parse(black_box(&token), &JweLimits::default()).unwrap();
        black_box(jwe.decrypt(&recipient, &policy).unwrap());
    };
    let floor = || {
        let z = recipient.agree(black_box(&epk)).unwrap();
        let cek = concat_kdf(z.as_bytes(), "A128GCM", b"", b"", 16).unwrap();
        let key = LessSafeKey::new(UnboundKey::new(&AES_128_GCM, &cek).unwrap());
        let mut buf = black_box(&ciphertext).clone();
        key.open_in_place_separate_tag(
            Nonce::assume_unique_for_key(iv),
            Aad::from(&aad),
            Tag::from(tag),
            &mut buf,
            0..,
        )
        .unwrap();
    };
    c.bench_function("jose_core/jwe_decrypt/ECDH-ES+A128GCM", |b| b.iter(ours));
    c.bench_function("jose_core/ecdh_gcm_open/P-256", |b| b.iter(floor));
    print_ratio(
        "jose-core JWE parse+decrypt ECDH-ES A128GCM vs bare ECDH + KDF + AES-GCM open",
        &measure_ratio(30, 50, ours, floor),
    );

    let ours = || {
        black_box(
            encrypter
                .encrypt(black_box(plaintext.as_bytes()), &rng)
                .unwrap(),
        );
    };
    let floor = || {
        let ephemeral = LocalKeyAgreement::generate(jose_core::EcCurve::P256, &rng).unwrap();
        let z = ephemeral.agree(&recipient.public_jwk()).unwrap();
        let cek = concat_kdf(z.as_bytes(), "A128GCM", b"", b"", 16).unwrap();
        let key = LessSafeKey::new(UnboundKey::new(&AES_128_GCM, &cek).unwrap());
        let mut buf = black_box(plaintext.as_bytes()).to_vec();
        let _tag = black_box(
            key.seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(iv),
                Aad::from(&aad),
                &mut buf,
            )
            .unwrap(),
        );
    };
    c.bench_function("jose_core/jwe_encrypt/ECDH-ES+A128GCM", |b| b.iter(ours));
    c.bench_function("jose_core/ecdh_gcm_seal/P-256", |b| b.iter(floor));
    print_ratio(
        "jose-core JWE encrypt ECDH-ES A128GCM vs bare keygen + ECDH + KDF + AES-GCM seal",
        &measure_ratio(30, 50, ours, floor),
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(core::time::Duration::from_secs(2));
    targets = bench, bench_jwe
}
criterion_main!(benches);
