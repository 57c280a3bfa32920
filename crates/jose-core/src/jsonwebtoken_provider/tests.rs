//! Factory-level tests: they call `RING_PROVIDER`'s functions directly and never install it,
//! so they do not depend on the process-wide provider.
#![allow(clippy::unwrap_used, reason = "tests")]

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::{EllipticCurve, ThumbprintHash};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};

use super::{RING_PROVIDER, rsa_der};
use crate::{Algorithm as JoseAlg, LocalSigner, SystemRandom};

const RSA_PRIVATE: &[u8] = include_bytes!("../../tests/data/rsa2048-private-pkcs1.der");
const RSA_PUBLIC: &[u8] = include_bytes!("../../tests/data/rsa2048-public-pkcs1.der");
const RSA_RS256_SIG: &[u8] = include_bytes!("../../tests/data/rsa2048-rs256-sig.bin");
const RSA_PS256_SIG: &[u8] = include_bytes!("../../tests/data/rsa2048-ps256-sig.bin");
const RSA_MSG: &[u8] = b"jose-core rsa fixture";

/// RFC 7515 A.3's P-256 public key as `04 || x || y`.
fn rfc7515_a3_point() -> Vec<u8> {
    let mut point = vec![4];
    point.extend(crate::base64url::decode("f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU").unwrap());
    point.extend(crate::base64url::decode("x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0").unwrap());
    point
}

fn verifier_error(alg: Algorithm, key: &DecodingKey) -> ErrorKind {
    match (RING_PROVIDER.verifier_factory)(&alg, key) {
        Ok(_) => panic!("{alg:?} verifier accepted the key"),
        Err(e) => e.into_kind(),
    }
}

fn signer_error(alg: Algorithm, key: &EncodingKey) -> ErrorKind {
    match (RING_PROVIDER.signer_factory)(&alg, key) {
        Ok(_) => panic!("{alg:?} signer accepted the key"),
        Err(e) => e.into_kind(),
    }
}

fn pkcs8(alg: JoseAlg) -> Vec<u8> {
    LocalSigner::generate_pkcs8(alg, &SystemRandom::new())
        .unwrap()
        .as_bytes()
        .to_vec()
}

#[test]
fn hmac_verifier_refuses_public_keys_of_every_other_family() {
    let ec = DecodingKey::from_ec_components(
        "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
        "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
    )
    .unwrap();
    let ed =
        DecodingKey::from_ed_components("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo").unwrap();
    let rsa = DecodingKey::from_rsa_der(RSA_PUBLIC);
    for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
        for key in [&ec, &ed, &rsa] {
            assert!(matches!(
                verifier_error(alg, key),
                ErrorKind::InvalidKeyFormat
            ));
        }
    }
}

#[test]
fn every_verifier_refuses_a_key_of_another_family() {
    let secret = DecodingKey::from_secret(&[7; 64]);
    let ec = DecodingKey::from_ec_der(&rfc7515_a3_point());
    let rsa = DecodingKey::from_rsa_der(RSA_PUBLIC);
    let cases: [(Algorithm, &DecodingKey); 6] = [
        (Algorithm::ES256, &secret),
        (Algorithm::ES384, &rsa),
        (Algorithm::EdDSA, &ec),
        (Algorithm::RS256, &ec),
        (Algorithm::PS512, &secret),
        (Algorithm::EdDSA, &secret),
    ];
    for (alg, key) in cases {
        assert!(
            matches!(verifier_error(alg, key), ErrorKind::InvalidKeyFormat),
            "{alg:?}"
        );
    }
}

#[test]
fn every_signer_refuses_a_key_of_another_family() {
    let ec = EncodingKey::from_ec_der(&pkcs8(JoseAlg::Es256));
    let ed = EncodingKey::from_ed_der(&pkcs8(JoseAlg::EdDsa));
    let secret = EncodingKey::from_secret(&[7; 64]);
    assert!(matches!(
        signer_error(Algorithm::HS256, &ec),
        ErrorKind::InvalidKeyFormat
    ));
    assert!(matches!(
        signer_error(Algorithm::ES256, &ed),
        ErrorKind::InvalidKeyFormat
    ));
    assert!(matches!(
        signer_error(Algorithm::EdDSA, &secret),
        ErrorKind::InvalidKeyFormat
    ));
    assert!(matches!(
        signer_error(Algorithm::RS256, &ec),
        ErrorKind::InvalidKeyFormat
    ));
}

#[test]
fn rsa_signing_is_not_offered() {
    let rsa = EncodingKey::from_rsa_der(RSA_PRIVATE);
    assert!(matches!(
        signer_error(Algorithm::RS256, &rsa),
        ErrorKind::UnsupportedAlgorithm
    ));
    assert!(matches!(
        signer_error(Algorithm::PS256, &rsa),
        ErrorKind::UnsupportedAlgorithm
    ));
}

#[test]
fn ec_key_of_the_wrong_curve_or_shape_is_refused() {
    let p256 = DecodingKey::from_ec_der(&rfc7515_a3_point());
    assert!(matches!(
        verifier_error(Algorithm::ES384, &p256),
        ErrorKind::InvalidEcdsaKey
    ));
    let mut compressed = rfc7515_a3_point();
    compressed[0] = 2;
    let bad = DecodingKey::from_ec_der(&compressed);
    assert!(matches!(
        verifier_error(Algorithm::ES256, &bad),
        ErrorKind::InvalidEcdsaKey
    ));
    let p384_pkcs8 = EncodingKey::from_ec_der(&pkcs8(JoseAlg::Es384));
    assert!(matches!(
        signer_error(Algorithm::ES256, &p384_pkcs8),
        ErrorKind::InvalidEcdsaKey
    ));
    let short_ed = DecodingKey::from_ed_der(&[1; 31]);
    assert!(matches!(
        verifier_error(Algorithm::EdDSA, &short_ed),
        ErrorKind::InvalidEddsaKey
    ));
}

#[test]
fn hmac_secret_shorter_than_the_hash_is_refused() {
    assert!(matches!(
        signer_error(Algorithm::HS256, &EncodingKey::from_secret(&[1; 31])),
        ErrorKind::InvalidKeyFormat
    ));
    assert!(matches!(
        verifier_error(Algorithm::HS512, &DecodingKey::from_secret(&[1; 63])),
        ErrorKind::InvalidKeyFormat
    ));
    assert!(
        (RING_PROVIDER.signer_factory)(&Algorithm::HS512, &EncodingKey::from_secret(&[1; 64]))
            .is_ok()
    );
}

#[test]
fn hmac_sign_then_verify_and_tamper() {
    let secret = [0x5a; 48];
    let signer =
        (RING_PROVIDER.signer_factory)(&Algorithm::HS384, &EncodingKey::from_secret(&secret))
            .unwrap();
    assert_eq!(signer.algorithm(), Algorithm::HS384);
    let tag = signer.try_sign(b"payload").unwrap();
    assert_eq!(tag.len(), 48);
    let verifier =
        (RING_PROVIDER.verifier_factory)(&Algorithm::HS384, &DecodingKey::from_secret(&secret))
            .unwrap();
    assert!(verifier.verify(b"payload", &tag).is_ok());
    assert!(verifier.verify(b"payloae", &tag).is_err());
    let mut forged = tag.clone();
    forged[0] ^= 1;
    assert!(verifier.verify(b"payload", &forged).is_err());
}

#[test]
fn ecdsa_and_eddsa_signatures_verify_with_the_jose_core_public_key() {
    for (jose, jwt) in [
        (JoseAlg::Es256, Algorithm::ES256),
        (JoseAlg::Es384, Algorithm::ES384),
        (JoseAlg::EdDsa, Algorithm::EdDSA),
    ] {
        let der = pkcs8(jose);
        let key = if jose == JoseAlg::EdDsa {
            EncodingKey::from_ed_der(&der)
        } else {
            EncodingKey::from_ec_der(&der)
        };
        let signer = (RING_PROVIDER.signer_factory)(&jwt, &key).unwrap();
        let sig = signer.try_sign(b"message").unwrap();
        let jwk = LocalSigner::from_pkcs8(jose, &der).unwrap().public_jwk();
        assert_eq!(jwk.verify(jose, b"message", &sig), Ok(()), "{jose}");
        assert!(jwk.verify(jose, b"massage", &sig).is_err(), "{jose}");
    }
}

#[test]
fn rsa_fixture_signatures_verify_from_der_and_from_components() {
    let (n, e) =
        (RING_PROVIDER.key_utils.rsa_pub_components_from_private_key)(RSA_PRIVATE).unwrap();
    assert_eq!((n.len(), e.as_slice()), (256, [1, 0, 1].as_slice()));
    let from_public =
        (RING_PROVIDER.key_utils.rsa_pub_components_from_public_key)(RSA_PUBLIC).unwrap();
    assert_eq!(from_public, (n.clone(), e.clone()));

    let der_key = DecodingKey::from_rsa_der(RSA_PUBLIC);
    // A JWK-style modulus with a stray sign byte is the same number.
    let mut padded_n = vec![0];
    padded_n.extend(&n);
    let component_key = DecodingKey::from_rsa_raw_components(&padded_n, &e);
    for key in [&der_key, &component_key] {
        let rs256 = (RING_PROVIDER.verifier_factory)(&Algorithm::RS256, key).unwrap();
        assert!(rs256.verify(RSA_MSG, &RSA_RS256_SIG.to_vec()).is_ok());
        assert!(
            rs256
                .verify(b"jose-core rsa fixturE", &RSA_RS256_SIG.to_vec())
                .is_err()
        );
        assert!(rs256.verify(RSA_MSG, &RSA_PS256_SIG.to_vec()).is_err());
        let ps256 = (RING_PROVIDER.verifier_factory)(&Algorithm::PS256, key).unwrap();
        assert!(ps256.verify(RSA_MSG, &RSA_PS256_SIG.to_vec()).is_ok());
        let rs512 = (RING_PROVIDER.verifier_factory)(&Algorithm::RS512, key).unwrap();
        assert!(rs512.verify(RSA_MSG, &RSA_RS256_SIG.to_vec()).is_err());
    }
}

#[test]
fn rsa_public_key_der_reader_is_strict() {
    let (n, e) = rsa_der::parse_rsa_public_key(RSA_PUBLIC).unwrap();
    assert_eq!((n.len(), e), (256, vec![1, 0, 1]));
    // Minimal hand-made key: SEQUENCE { INTEGER 0x00C1, INTEGER 3 }.
    assert_eq!(
        rsa_der::parse_rsa_public_key(&[0x30, 0x07, 0x02, 0x02, 0x00, 0xc1, 0x02, 0x01, 0x03]),
        Some((vec![0xc1], vec![3]))
    );
    let refused: [&[u8]; 9] = [
        &[],
        &[0x30, 0x07, 0x02, 0x02, 0x00, 0xc1, 0x02, 0x01, 0x03, 0x00], // trailing byte
        &[0x30, 0x06, 0x02, 0x01, 0xc1, 0x02, 0x01, 0x03],             // negative n
        &[0x30, 0x07, 0x02, 0x02, 0x00, 0x41, 0x02, 0x01, 0x03],       // non-minimal n
        &[0x30, 0x06, 0x02, 0x01, 0x41, 0x02, 0x01, 0x00],             // e = 0
        &[0x30, 0x81, 0x06, 0x02, 0x01, 0x41, 0x02, 0x01, 0x03],       // long-form short length
        &[0x30, 0x08, 0x02, 0x01, 0x41, 0x02, 0x01, 0x03],             // length past the end
        &[0x31, 0x06, 0x02, 0x01, 0x41, 0x02, 0x01, 0x03],             // SET, not SEQUENCE
        &[
            0x30, 0x09, 0x02, 0x01, 0x41, 0x02, 0x01, 0x03, 0x02, 0x01, 0x03,
        ], // three integers
    ];
    for der in refused {
        assert_eq!(rsa_der::parse_rsa_public_key(der), None, "{der:02x?}");
    }
    assert!(matches!(
        verifier_error(
            Algorithm::RS256,
            &DecodingKey::from_rsa_der(&RSA_PUBLIC[1..])
        ),
        ErrorKind::InvalidRsaKey(_)
    ));
}

#[test]
fn key_utils_extract_public_components() {
    let der = pkcs8(JoseAlg::Es384);
    let (curve, x, y) =
        (RING_PROVIDER.key_utils.ec_pub_components_from_private_key)(&der, Algorithm::ES384)
            .unwrap();
    assert_eq!(curve, EllipticCurve::P384);
    let mut point = vec![4];
    point.extend(&x);
    point.extend(&y);
    let expected = LocalSigner::from_pkcs8(JoseAlg::Es384, &der)
        .unwrap()
        .public_jwk();
    assert_eq!(
        crate::PublicKey::from_ec_point(crate::EcCurve::P384, &point).unwrap(),
        *expected.key()
    );
    let ed = pkcs8(JoseAlg::EdDsa);
    let x =
        (RING_PROVIDER.key_utils.ed_pub_components_from_private_key)(&ed, &EllipticCurve::Ed25519)
            .unwrap();
    let expected = LocalSigner::from_pkcs8(JoseAlg::EdDsa, &ed)
        .unwrap()
        .public_jwk();
    assert_eq!(
        *expected.key(),
        crate::PublicKey::Ed25519 {
            x: x.try_into().unwrap()
        }
    );
    assert!(matches!(
        (RING_PROVIDER.key_utils.ed_pub_components_from_private_key)(&ed, &EllipticCurve::P256)
            .unwrap_err()
            .into_kind(),
        ErrorKind::UnsupportedAlgorithm
    ));
}

#[test]
fn compute_digest_matches_fips_180_abc() {
    let digest = (RING_PROVIDER.key_utils.compute_digest)(b"abc", ThumbprintHash::SHA256).unwrap();
    assert_eq!(
        crate::base64url::encode(&digest),
        "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"
    );
    let digest = (RING_PROVIDER.key_utils.compute_digest)(b"abc", ThumbprintHash::SHA512).unwrap();
    assert_eq!(digest.len(), 64);
    assert_eq!(digest[..4], [0xdd, 0xaf, 0x35, 0xa1]);
}
