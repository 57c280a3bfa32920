//! Signatures made in the token verify with the JWK read from the token; JWS and concurrency.

use std::sync::{Arc, Barrier};

use jose_core::{
    Algorithm, CompactJws, Header, HeaderPolicy, Limits, PublicKey, Signer, UnsignedJws,
};
use pkcs11_signer::{KeyRef, Token};

use crate::softhsm::config;

fn sign_and_verify(token_label: &str, alg: Algorithm) {
    let token = Token::open(&config(token_label)).unwrap();
    let signer = token.generate(alg, "signing-key").unwrap();
    assert_eq!(signer.algorithm(), alg);
    let jwk = signer.public_jwk();
    assert_eq!(jwk.alg(), Some(alg.jose_name()));
    // The same key, read without a signer (the kms-key lookup).
    assert_eq!(
        token
            .public_jwk(alg, &KeyRef::label("signing-key"))
            .unwrap(),
        jwk
    );
    let message = b"header.payload";
    let signature = signer.sign(message).unwrap();
    assert_eq!(Some(signature.len()), alg.fixed_signature_len());
    jwk.verify(alg, message, &signature).unwrap();
    // Another message's signature does not verify this one.
    let other = signer.sign(b"header.other").unwrap();
    assert_eq!(
        jwk.verify(alg, message, &other),
        Err(jose_core::Error::SignatureInvalid)
    );

    // A whole compact JWS through the Signer seam.
    let claims = serde_json::json!({"iss": "https://issuer.example", "iat": 1_700_000_000});
    let token = UnsignedJws::new(
        &Header::new(alg).with_typ("example+jwt"),
        claims.as_object().unwrap(),
    )
    .unwrap()
    .sign(&signer)
    .unwrap();
    let algs = [alg];
    CompactJws::parse(&token, &Limits::default())
        .unwrap()
        .verify(&jwk, &HeaderPolicy::new(&algs).with_typ("example+jwt"))
        .unwrap();
}

softhsm_test!(Full fn es256_signs_and_the_token_jwk_verifies() {
    sign_and_verify("es256", Algorithm::Es256);
});

softhsm_test!(Full fn es384_signs_and_the_token_jwk_verifies() {
    sign_and_verify("es384", Algorithm::Es384);
});

softhsm_test!(Full fn eddsa_signs_and_the_token_jwk_verifies() {
    sign_and_verify("eddsa", Algorithm::EdDsa);
});

softhsm_test!(Full fn key_found_by_id_is_the_generated_key() {
    let token = Token::open(&config("by-id")).unwrap();
    let generated = token.generate(Algorithm::Es256, "k1").unwrap();
    let PublicKey::Ec { point, .. } = generated.public_jwk().key().clone() else {
        panic!("an EC key");
    };
    assert_eq!(point.len(), 65);
    // Find its CKA_ID through cryptoki, then the signer by id.
    let id = crate::keys::key_id("by-id", "k1");
    assert_eq!(id.len(), 16);
    let by_id = token.signer(Algorithm::Es256, &KeyRef::Id(id)).unwrap();
    assert_eq!(by_id.public_jwk(), generated.public_jwk());
    let signature = by_id.sign(b"m").unwrap();
    generated
        .public_jwk()
        .verify(Algorithm::Es256, b"m", &signature)
        .unwrap();
});

softhsm_test!(Full fn concurrent_signing_through_a_bounded_pool() {
    let token = Token::open(&config("pool").with_max_sessions(3)).unwrap();
    let signer = Arc::new(token.generate(Algorithm::Es256, "pooled").unwrap());
    let jwk = signer.public_jwk();
    let start = Arc::new(Barrier::new(8));
    let threads: Vec<_> = (0..8u8)
        .map(|t| {
            let signer = Arc::clone(&signer);
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                start.wait();
                (0..25u8)
                    .map(|i| {
                        let message = [t, i];
                        (message, signer.sign(&message).unwrap())
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut count = 0;
    for thread in threads {
        for (message, signature) in thread.join().unwrap() {
            jwk.verify(Algorithm::Es256, &message, &signature).unwrap();
            count += 1;
        }
    }
    assert_eq!(count, 200);
    // Eight threads shared at most three sessions, and more than one was used.
    let open = token.open_sessions();
    assert!((2..=3).contains(&open), "{open} sessions open");
});
