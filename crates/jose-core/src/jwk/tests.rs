use serde_json::json;

use super::*;

fn parse(v: Value) -> Result<PublicJwk, Error> {
    PublicJwk::from_value(&v)
}

const P256_X: &str = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
const P256_Y: &str = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";

#[test]
fn rfc7638_example_thumbprint() {
    // RFC 7638 §3.1: the RSA example key and its thumbprint.
    let jwk = parse(json!({
        "kty": "RSA",
        "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
        "e": "AQAB",
        "alg": "RS256",
        "kid": "2011-04-29"
    }))
    .unwrap();
    assert_eq!(
        jwk.thumbprint_base64url(),
        "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    );
    assert_eq!(jwk.kid(), Some("2011-04-29"));
}

#[test]
fn private_members_are_refused() {
    for member in PRIVATE_MEMBERS {
        let mut v = json!({"kty": "EC", "crv": "P-256", "x": P256_X, "y": P256_Y});
        v[*member] = json!("AAAA");
        assert_eq!(
            parse(v),
            Err(Error::PrivateKeyMember { member }),
            "{member}"
        );
    }
}

#[test]
fn coordinates_must_fit_the_curve() {
    assert_eq!(
        parse(json!({"kty": "EC", "crv": "P-384", "x": P256_X, "y": P256_Y})),
        Err(Error::InvalidKey {
            reason: "EC coordinate has the wrong length for the curve"
        })
    );
    assert_eq!(
        parse(json!({"kty": "EC", "crv": "secp256k1", "x": P256_X, "y": P256_Y})),
        Err(Error::InvalidKey {
            reason: "unsupported EC curve"
        })
    );
    assert_eq!(
        parse(json!({"kty": "EC", "crv": "P-256", "x": P256_X})),
        Err(Error::InvalidKey {
            reason: "y is missing"
        })
    );
}

#[test]
fn symmetric_and_unknown_keys_are_refused() {
    assert_eq!(
        parse(json!({"kty": "oct", "k": "AAAA"})),
        Err(Error::PrivateKeyMember { member: "k" })
    );
    assert_eq!(
        parse(json!({"kty": "oct"})),
        Err(Error::InvalidKey {
            reason: "symmetric key where a public key is expected"
        })
    );
    assert_eq!(
        parse(json!({"kty": "XYZ"})),
        Err(Error::InvalidKey {
            reason: "unsupported kty"
        })
    );
    assert_eq!(
        parse(json!({"kty": "OKP", "crv": "X25519", "x": P256_X})),
        Err(Error::InvalidKey {
            reason: "unsupported OKP curve"
        })
    );
}

#[test]
fn curve_must_fit_algorithm() {
    let jwk = parse(json!({"kty": "EC", "crv": "P-256", "x": P256_X, "y": P256_Y})).unwrap();
    assert_eq!(jwk.check_algorithm(Algorithm::Es256), Ok(()));
    assert_eq!(
        jwk.check_algorithm(Algorithm::Es384),
        Err(Error::KeyAlgorithmMismatch {
            alg: Algorithm::Es384,
            key: "EC P-256"
        })
    );
    assert_eq!(
        jwk.check_algorithm(Algorithm::EdDsa),
        Err(Error::KeyAlgorithmMismatch {
            alg: Algorithm::EdDsa,
            key: "EC P-256"
        })
    );
    let named = jwk.clone().with_alg(Algorithm::Es256);
    assert_eq!(named.check_algorithm(Algorithm::Es256), Ok(()));
    let wrong: PublicJwk =
        parse(json!({"kty": "EC", "crv": "P-256", "x": P256_X, "y": P256_Y, "alg": "ES384"}))
            .unwrap();
    assert!(wrong.check_algorithm(Algorithm::Es256).is_err());
}

#[test]
fn serialisation_round_trips_and_drops_nothing_public() {
    let v =
        json!({"kty": "EC", "crv": "P-256", "x": P256_X, "y": P256_Y, "kid": "k", "use": "sig"});
    let jwk = parse(v.clone()).unwrap();
    assert_eq!(jwk.to_value(), v);
    let back: PublicJwk = serde_json::from_value(serde_json::to_value(&jwk).unwrap()).unwrap();
    assert_eq!(back, jwk);
}
