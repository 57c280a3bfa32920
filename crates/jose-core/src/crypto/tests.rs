//! Every provider built into this build signs and verifies every algorithm it offers, agrees
//! with the others on the same signature, and refuses what it must.

use super::{CryptoProvider, RING, default_provider};
use crate::{Algorithm, EcCurve, Error, LocalSigner, PublicKey, Signer, SystemRandom};

fn providers() -> Vec<&'static dyn CryptoProvider> {
    vec![
        &RING,
        #[cfg(feature = "aws-lc-rs-provider")]
        &super::AWS_LC_RS,
    ]
}

/// The algorithms a provider can sign with in this build.
fn signing_algorithms(provider: &dyn CryptoProvider) -> Vec<Algorithm> {
    let mut algs = vec![Algorithm::Es256, Algorithm::Es384, Algorithm::EdDsa];
    if provider.name() == "aws-lc-rs" || cfg!(feature = "es512") {
        algs.push(Algorithm::Es512);
    }
    algs
}

#[test]
fn the_default_provider_follows_the_feature() {
    let expected = if cfg!(feature = "aws-lc-rs") {
        "aws-lc-rs"
    } else {
        "ring"
    };
    assert_eq!(default_provider().name(), expected);
}

#[test]
fn every_provider_verifies_what_every_provider_signs() {
    let rng = SystemRandom::new();
    for signing in providers() {
        for alg in signing_algorithms(signing) {
            let document = signing.generate_pkcs8(alg, &rng).unwrap();
            let signer = LocalSigner::from_pkcs8_with(signing, alg, document.as_bytes()).unwrap();
            let signature = signer.sign(b"message").unwrap();
            assert_eq!(Some(signature.len()), alg.fixed_signature_len());
            for verifying in providers() {
                if !signing_algorithms(verifying).contains(&alg) {
                    continue;
                }
                let key = signer.public_jwk();
                let context = (signing.name(), verifying.name(), alg);
                key.key()
                    .verify_with(verifying, alg, b"message", &signature)
                    .unwrap_or_else(|e| panic!("{context:?}: {e}"));
                assert_eq!(
                    key.key()
                        .verify_with(verifying, alg, b"massage", &signature)
                        .unwrap_err(),
                    Error::SignatureInvalid,
                    "{context:?}"
                );
            }
        }
    }
}

#[test]
fn every_provider_refuses_a_signature_of_the_wrong_length_before_its_primitive() {
    let rng = SystemRandom::new();
    let signer = LocalSigner::generate(Algorithm::Es256, &rng).unwrap();
    let mut signature = signer.sign(b"m").unwrap();
    signature.push(0);
    for provider in providers() {
        assert_eq!(
            signer
                .public_jwk()
                .key()
                .verify_with(provider, Algorithm::Es256, b"m", &signature)
                .unwrap_err(),
            Error::SignatureLength {
                alg: Algorithm::Es256,
                len: 65,
                expected: 64
            },
            "{}",
            provider.name()
        );
    }
}

#[test]
fn every_provider_refuses_an_algorithm_that_does_not_fit_the_key() {
    let key = PublicKey::Ed25519 { x: [9; 32] };
    for provider in providers() {
        assert!(matches!(
            provider.verify_signature(&key, Algorithm::Es256, b"m", &[0; 64]),
            Err(Error::KeyAlgorithmMismatch {
                alg: Algorithm::Es256,
                ..
            })
        ));
        assert!(matches!(
            provider.signing_key_from_pkcs8(Algorithm::Rs256, &[]),
            Err(Error::Unsupported { .. })
        ));
    }
}

#[test]
fn every_provider_refuses_a_point_off_the_curve_and_a_key_of_another_curve() {
    let rng = SystemRandom::new();
    let p384 = LocalSigner::generate(Algorithm::Es384, &rng).unwrap();
    let p256 = LocalSigner::generate(Algorithm::Es256, &rng).unwrap();
    for provider in providers() {
        // A P-384 PKCS#8 document is not an ES256 key.
        let document = provider.generate_pkcs8(Algorithm::Es384, &rng).unwrap();
        assert!(matches!(
            provider.signing_key_from_pkcs8(Algorithm::Es256, document.as_bytes()),
            Err(Error::InvalidPrivateKey { .. })
        ));
        // An uncompressed "point" that is not on P-256 verifies nothing.
        let mut point = vec![4u8];
        point.extend_from_slice(&[1u8; 64]);
        let off_curve = PublicKey::Ec {
            curve: EcCurve::P256,
            point,
        };
        let signature = p256.sign(b"m").unwrap();
        assert_eq!(
            provider.verify_signature(&off_curve, Algorithm::Es256, b"m", &signature),
            Ok(false),
            "{}",
            provider.name()
        );
        // ES384 signatures do not verify under the ES256 key, whatever their length.
        let other = p384.sign(b"m").unwrap();
        assert_ne!(
            p256.public_jwk()
                .key()
                .verify_with(provider, Algorithm::Es256, b"m", &other),
            Ok(())
        );
    }
}
