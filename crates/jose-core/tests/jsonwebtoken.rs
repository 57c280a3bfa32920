//! jsonwebtoken 11 running on `jose_core::jsonwebtoken_provider` (feature `jsonwebtoken`).
//!
//! jsonwebtoken's provider is process-wide: every test here calls `install()` first and expects
//! ours to be the installed one. The opposite case (another provider first) lives in its own
//! test binary, `jsonwebtoken_foreign.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use jose_core::jsonwebtoken_provider::{RING_PROVIDER, install};
use jose_core::{
    Algorithm, CompactJws, Header, HeaderPolicy, Limits, LocalSigner, SystemRandom, UnsignedJws,
};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::{Jwk, ThumbprintHash};
use jsonwebtoken::{DecodingKey, EncodingKey, Validation};
use serde_json::{Map, Value, json};

const WYCHEPROOF_JWS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/vectors/wycheproof/json_web_signature_test.json"
);

fn installed() {
    assert!(
        install(),
        "the ring provider must be jsonwebtoken's provider here"
    );
}

/// The three algorithms both stacks can sign, as (jose-core, jsonwebtoken).
const SHARED_ALGS: [(Algorithm, jsonwebtoken::Algorithm); 3] = [
    (Algorithm::Es256, jsonwebtoken::Algorithm::ES256),
    (Algorithm::Es384, jsonwebtoken::Algorithm::ES384),
    (Algorithm::EdDsa, jsonwebtoken::Algorithm::EdDSA),
];

fn encoding_key(alg: Algorithm, pkcs8: &[u8]) -> EncodingKey {
    if alg == Algorithm::EdDsa {
        EncodingKey::from_ed_der(pkcs8)
    } else {
        EncodingKey::from_ec_der(pkcs8)
    }
}

/// jsonwebtoken's decoding key for a jose-core public JWK, through JWK JSON.
fn decoding_key(signer: &LocalSigner) -> DecodingKey {
    let jwk: Jwk = serde_json::from_value(signer.public_jwk().to_value()).unwrap();
    DecodingKey::from_jwk(&jwk).unwrap()
}

fn no_time_rules(alg: jsonwebtoken::Algorithm) -> Validation {
    let mut validation = Validation::new(alg);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation
}

fn claims() -> Map<String, Value> {
    json!({"sub": "wallet-7", "scope": "openid"})
        .as_object()
        .unwrap()
        .clone()
}

#[test]
fn install_is_idempotent() {
    assert!(install());
    assert!(install());
    // jsonwebtoken itself now refuses a second installation, of ours or any provider.
    assert!(RING_PROVIDER.install_default().is_err());
    assert!(install());
}

#[test]
fn jsonwebtoken_round_trip_on_the_ring_provider() {
    installed();
    for (jose, jwt) in SHARED_ALGS {
        let pkcs8 = LocalSigner::generate_pkcs8(jose, &SystemRandom::new()).unwrap();
        let signer = LocalSigner::from_pkcs8(jose, pkcs8.as_bytes()).unwrap();
        let token = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jwt),
            &claims(),
            &encoding_key(jose, pkcs8.as_bytes()),
        )
        .unwrap();
        let data = jsonwebtoken::decode::<Map<String, Value>>(
            &token,
            &decoding_key(&signer),
            &no_time_rules(jwt),
        )
        .unwrap();
        assert_eq!(data.claims, claims(), "{jose}");
        assert_eq!(data.header.alg, jwt);

        // One flipped signature bit: jsonwebtoken reports InvalidSignature from our verifier.
        let (head, sig) = token.rsplit_once('.').unwrap();
        let mut sig_bytes = jose_core::base64url::decode(sig).unwrap();
        sig_bytes[5] ^= 0x10;
        let forged = format!("{head}.{}", jose_core::base64url::encode(&sig_bytes));
        let err = jsonwebtoken::decode::<Map<String, Value>>(
            &forged,
            &decoding_key(&signer),
            &no_time_rules(jwt),
        )
        .unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::InvalidSignature, "{jose}");
    }
}

#[test]
fn expired_token_is_refused_by_jsonwebtoken_validation() {
    installed();
    let pkcs8 = LocalSigner::generate_pkcs8(Algorithm::Es256, &SystemRandom::new()).unwrap();
    let signer = LocalSigner::from_pkcs8(Algorithm::Es256, pkcs8.as_bytes()).unwrap();
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256),
        &json!({"sub": "x", "exp": 1_000_000_000}),
        &EncodingKey::from_ec_der(pkcs8.as_bytes()),
    )
    .unwrap();
    let err = jsonwebtoken::decode::<Value>(
        &token,
        &decoding_key(&signer),
        &Validation::new(jsonwebtoken::Algorithm::ES256),
    )
    .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::ExpiredSignature);
}

#[test]
fn jose_core_tokens_decode_with_jsonwebtoken() {
    installed();
    for (jose, jwt) in SHARED_ALGS {
        let signer = LocalSigner::generate(jose, &SystemRandom::new()).unwrap();
        let token = UnsignedJws::new(&Header::new(jose).with_typ("at+jwt"), &claims())
            .unwrap()
            .sign(&signer)
            .unwrap();
        let data = jsonwebtoken::decode::<Map<String, Value>>(
            &token,
            &decoding_key(&signer),
            &no_time_rules(jwt),
        )
        .unwrap();
        assert_eq!(data.claims, claims(), "{jose}");
        assert_eq!(data.header.typ.as_deref(), Some("at+jwt"));
    }
}

#[test]
fn jsonwebtoken_tokens_verify_with_jose_core() {
    installed();
    for (jose, jwt) in SHARED_ALGS {
        let pkcs8 = LocalSigner::generate_pkcs8(jose, &SystemRandom::new()).unwrap();
        let signer = LocalSigner::from_pkcs8(jose, pkcs8.as_bytes()).unwrap();
        let mut header = jsonwebtoken::Header::new(jwt);
        header.typ = Some("at+jwt".to_owned());
        let token = jsonwebtoken::encode(&header, &claims(), &encoding_key(jose, pkcs8.as_bytes()))
            .unwrap();
        let jws = CompactJws::parse(&token, &Limits::default()).unwrap();
        jws.verify(
            &signer.public_jwk(),
            &HeaderPolicy::new(&[jose]).with_typ("at+jwt"),
        )
        .unwrap();
        assert_eq!(*jws.claims(), claims(), "{jose}");
    }
}

#[test]
fn jwk_from_encoding_key_and_thumbprint_agree_with_jose_core() {
    installed();
    for jose in [Algorithm::Es256, Algorithm::Es384] {
        let pkcs8 = LocalSigner::generate_pkcs8(jose, &SystemRandom::new()).unwrap();
        let jwt_alg = if jose == Algorithm::Es256 {
            jsonwebtoken::Algorithm::ES256
        } else {
            jsonwebtoken::Algorithm::ES384
        };
        let jwk =
            Jwk::from_encoding_key(&EncodingKey::from_ec_der(pkcs8.as_bytes()), jwt_alg).unwrap();
        let ours = LocalSigner::from_pkcs8(jose, pkcs8.as_bytes())
            .unwrap()
            .public_jwk();
        assert_eq!(
            jwk.thumbprint(ThumbprintHash::SHA256).unwrap(),
            ours.thumbprint_base64url(),
            "{jose}"
        );
    }
}

/// RFC 8037 A.1 Ed25519 key as a 48-byte PKCS#8 v1 document (the only Ed25519 form
/// `Jwk::from_encoding_key` takes); RFC 8037 A.3 gives its thumbprint.
#[test]
fn rfc8037_ed25519_jwk_and_thumbprint() {
    installed();
    let mut pkcs8 = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    pkcs8.extend(
        jose_core::base64url::decode("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A").unwrap(),
    );
    let key = EncodingKey::from_ed_der(&pkcs8);
    let jwk = Jwk::from_encoding_key(&key, jsonwebtoken::Algorithm::EdDSA).unwrap();
    let value = serde_json::to_value(&jwk).unwrap();
    assert_eq!(value["x"], "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo");
    assert_eq!(
        jwk.thumbprint(ThumbprintHash::SHA256).unwrap(),
        "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
    );
    // RFC 8037 A.4: the signature over "Example of Ed25519 signing" is deterministic.
    let sig = jsonwebtoken::crypto::sign(
        b"eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc",
        &key,
        jsonwebtoken::Algorithm::EdDSA,
    )
    .unwrap();
    assert_eq!(
        sig,
        "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
    );
}

/// Wycheproof `json_web_signature_test.json` through `jsonwebtoken::crypto::verify` on our
/// provider. Every valid case must verify and no invalid case may, with these classes:
/// * `WrongPrimitive` cases (a token using another RSA padding/hash than the key's `alg`) are
///   verified under the key's own `alg`, as an application pinning it in `Validation` would;
///   jsonwebtoken would refuse the header `alg` before the provider runs.
/// * ES512 (P-521) cases are skipped: jsonwebtoken has no ES512 (`decode_header` refuses it).
/// * Cases whose key is marked for encryption (`use: enc`, `key_ops: [encrypt]`) are skipped:
///   `DecodingKey::from_jwk` drops those members, so refusing them is the application's check;
///   their signatures are genuine.
/// * Cases that are not three segments with canonical base64url header and payload are skipped: the
///   signature covers the received text, so refusing those is the token parser's job
///   (jose-core's `CompactJws::parse` does; `tests/api/wycheproof.rs` checks it there). Two of
///   them (tcIds 372/373, a stray `?`) are "valid" for a decoder that ignores the character;
///   their MAC does not cover the text as received, so a strict stack refuses them.
/// * Invalid cases byte-identical to a valid case of the file are skipped: tcIds 367 and 370
///   (`invalidBase64Padding*`) carry exactly tcId 357's token; the padding they name is missing.
#[test]
fn wycheproof_jws_signatures() {
    installed();
    let file: Value =
        serde_json::from_str(&std::fs::read_to_string(WYCHEPROOF_JWS).unwrap()).unwrap();
    let (mut accepted, mut rejected, mut pinned) = (0, 0, 0);
    let (mut es512, mut encryption_keys, mut parser_layer) = (0, 0, 0);
    let mut same_as_valid = Vec::new();
    let valid_tokens: std::collections::HashSet<&str> = file["testGroups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["tests"].as_array().unwrap())
        .filter(|c| c["result"] == "valid")
        .filter_map(|c| c["jws"].as_str())
        .collect();
    for group in file["testGroups"].as_array().unwrap() {
        let jwk_value = if group["public"].is_object() {
            &group["public"]
        } else {
            &group["private"]
        };
        let jwk: Jwk = serde_json::from_value(jwk_value.clone()).unwrap();
        let key_alg = jwk_value["alg"].as_str().and_then(|a| a.parse().ok());
        let for_encryption =
            jwk_value["use"] == "enc" || jwk_value["key_ops"] == json!(["encrypt"]);
        for case in group["tests"].as_array().unwrap() {
            let id = &case["tcId"];
            let token = case["jws"].as_str().unwrap();
            let header_alg = jsonwebtoken::decode_header(token).ok().map(|h| h.alg);
            // `{"alg":"ES512"` base64url-encoded.
            if token.starts_with("eyJhbGciOiJFUzUxMi") {
                es512 += 1;
                continue;
            }
            if for_encryption {
                assert_eq!(case["result"], "invalid", "tcId {id}");
                encryption_keys += 1;
                continue;
            }
            let segments: Vec<&str> = token.split('.').collect();
            let canonical_text = segments.len() == 3
                && segments[..2]
                    .iter()
                    .all(|s| jose_core::base64url::decode(s).is_some());
            if case["result"] == "invalid" && valid_tokens.contains(token) {
                same_as_valid.push(id.as_u64().unwrap());
                continue;
            }
            if !canonical_text {
                parser_layer += 1;
                continue;
            }
            let wrong_primitive = case["flags"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f == "WrongPrimitive");
            let alg = if wrong_primitive {
                pinned += 1;
                key_alg
            } else {
                header_alg
            };
            let key = DecodingKey::from_jwk(&jwk).unwrap();
            let outcome = match (segments.as_slice(), alg) {
                ([header, payload, sig], Some(alg)) => jsonwebtoken::crypto::verify(
                    sig,
                    format!("{header}.{payload}").as_bytes(),
                    &key,
                    alg,
                )
                .ok(),
                _ => None,
            };
            if case["result"] == "valid" {
                assert_eq!(outcome, Some(true), "tcId {id} must verify");
                accepted += 1;
            } else {
                assert_ne!(outcome, Some(true), "tcId {id} must be rejected");
                rejected += 1;
            }
        }
    }
    assert_eq!((accepted, rejected, pinned), (42, 324, 10));
    // 401 cases in all: 42 + 324 verified, 2 ES512, 4 encryption keys, 27 parser-layer
    // (including the one JSON-serialization case), 2 identical to a valid case.
    assert_eq!((es512, encryption_keys, parser_layer), (2, 4, 27));
    assert_eq!(same_as_valid, [367, 370]);
}

/// Wycheproof tcId 31: an HS256 token MAC'd with the bytes of the EC verification key.
#[test]
fn hs256_token_keyed_with_an_ec_public_key_is_refused() {
    installed();
    let file: Value =
        serde_json::from_str(&std::fs::read_to_string(WYCHEPROOF_JWS).unwrap()).unwrap();
    let group = file["testGroups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["public"]["kid"] == "kid-ec-sign")
        .unwrap();
    let case = group["tests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["tcId"] == 31)
        .unwrap();
    let token = case["jws"].as_str().unwrap();
    let jwk: Jwk = serde_json::from_value(group["public"].clone()).unwrap();
    let key = DecodingKey::from_jwk(&jwk).unwrap();
    assert_eq!(
        jsonwebtoken::decode_header(token).unwrap().alg,
        jsonwebtoken::Algorithm::HS256
    );
    for validation in [
        Validation::new(jsonwebtoken::Algorithm::HS256),
        no_time_rules(jsonwebtoken::Algorithm::HS256),
    ] {
        let err = jsonwebtoken::decode::<Value>(token, &key, &validation).unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::InvalidKeyFormat);
    }
    let (message, sig) = token.rsplit_once('.').unwrap();
    let err = jsonwebtoken::crypto::verify(
        sig,
        message.as_bytes(),
        &key,
        jsonwebtoken::Algorithm::HS256,
    )
    .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidKeyFormat);
}
