//! Project Wycheproof (`shared/vectors/wycheproof/`) through our verify path.
//!
//! Signature files: every case must give Wycheproof's answer, no exceptions.
//! JOSE files (`json_web_*`): every case is classified; skips are counted by a written reason and
//! no case Wycheproof marks invalid may be accepted.

use std::collections::BTreeMap;

use jose_core::{
    ALL_ALGORITHMS, Algorithm, EcCurve, Error, HeaderPolicy, Limits, OpaqueJws, PublicJwk,
    PublicKey,
};
use serde_json::Value;

const DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/vectors/wycheproof/"
);

fn load(name: &str) -> Value {
    let text = std::fs::read_to_string(format!("{DIR}{name}"))
        .unwrap_or_else(|e| panic!("reading {name}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn hex(text: &str) -> Vec<u8> {
    assert!(text.len().is_multiple_of(2), "odd hex length");
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// Runs a signature-verification file; returns (valid accepted, invalid rejected).
fn run_signature_file(
    name: &str,
    alg: Algorithm,
    key_of: impl Fn(&Value) -> PublicKey,
) -> (usize, usize) {
    let file = load(name);
    let (mut accepted, mut rejected) = (0, 0);
    for group in file["testGroups"].as_array().unwrap() {
        let key = key_of(&group["publicKey"]);
        for case in group["tests"].as_array().unwrap() {
            let id = &case["tcId"];
            let msg = hex(case["msg"].as_str().unwrap());
            let sig = hex(case["sig"].as_str().unwrap());
            let outcome = key.verify(alg, &msg, &sig);
            match case["result"].as_str().unwrap() {
                "valid" => {
                    assert_eq!(outcome, Ok(()), "{name} tcId {id} must verify");
                    accepted += 1;
                }
                "invalid" => {
                    assert!(outcome.is_err(), "{name} tcId {id} must be rejected");
                    rejected += 1;
                }
                other => panic!("{name} tcId {id}: unexpected result {other}"),
            }
        }
    }
    (accepted, rejected)
}

fn ec_key(curve: EcCurve) -> impl Fn(&Value) -> PublicKey {
    move |pk| PublicKey::from_ec_point(curve, &hex(pk["uncompressed"].as_str().unwrap())).unwrap()
}

#[test]
fn wycheproof_ecdsa_p256_p1363() {
    let counts = run_signature_file(
        "ecdsa_secp256r1_sha256_p1363_test.json",
        Algorithm::Es256,
        ec_key(EcCurve::P256),
    );
    assert_eq!(counts, (173, 89));
}

#[test]
fn wycheproof_ecdsa_p384_p1363() {
    let counts = run_signature_file(
        "ecdsa_secp384r1_sha384_p1363_test.json",
        Algorithm::Es384,
        ec_key(EcCurve::P384),
    );
    assert_eq!(counts, (193, 87));
}

#[test]
fn wycheproof_ecdsa_p521_p1363() {
    let counts = run_signature_file(
        "ecdsa_secp521r1_sha512_p1363_test.json",
        Algorithm::Es512,
        ec_key(EcCurve::P521),
    );
    assert_eq!(counts, (231, 87));
}

#[test]
fn wycheproof_ed25519() {
    let counts = run_signature_file("ed25519_test.json", Algorithm::EdDsa, |pk| {
        let x: [u8; 32] = hex(pk["pk"].as_str().unwrap()).try_into().unwrap();
        PublicKey::Ed25519 { x }
    });
    assert_eq!(counts, (88, 63));
}

/// Skip and strictness rules, each counted by the harness.
const HMAC: &str = "skipped: HMAC is refused by design wherever a public key is expected";
const RSA_SHA2_384_512: &str = "skipped: RS384/RS512/PS384/PS512 are not implemented";
const JWE: &str = "skipped: JWE, not a signature";
const ES521_ERRATUM: &str =
    "valid rejected on purpose: the RFC 7520 Fig. 2 JWK says alg ES521, the header ES512";

/// Why a JOSE case is not run, by rule.
fn skip_reason(header: &Value, group: &Value) -> Option<&'static str> {
    let alg = header["alg"].as_str().unwrap_or_default();
    let hmac_key_set = group["private"]["keys"].as_array().is_some_and(|keys| {
        keys.iter()
            .any(|k| k["kid"] == header["kid"] && k["kty"] == "oct")
    });
    if alg.starts_with("HS") || hmac_key_set || group["private"]["kty"] == "oct" {
        return Some(HMAC);
    }
    if matches!(alg, "RS384" | "RS512" | "PS384" | "PS512") {
        return Some(RSA_SHA2_384_512);
    }
    None
}

/// The group's public key: `public`, or `private` without its private members. For a key set,
/// the one key whose `kid` equals the header's (as a caller's key resolver would pick it; two
/// keys with that `kid` is ambiguous and refused).
fn public_key(group: &Value, header: &Value) -> Result<PublicJwk, Error> {
    let source = group.get("public").unwrap_or(&group["private"]);
    let refused = Error::InvalidKey {
        reason: "no unambiguous key for kid",
    };
    let private = match source.get("keys") {
        Some(Value::Array(keys)) => {
            let matching: Vec<&Value> = keys.iter().filter(|k| k["kid"] == header["kid"]).collect();
            match matching.as_slice() {
                [one] => *one,
                _ => return Err(refused),
            }
        }
        _ => source,
    };
    let mut private = private.as_object().cloned().unwrap_or_default();
    for member in jose_core::PRIVATE_MEMBERS {
        private.remove(*member);
    }
    PublicJwk::from_map(&private)
}

/// Every JWS case: parse with our strict parser, verify with the group's public key under an
/// allow-list of everything we implement.
fn run_jose_file(name: &str) -> BTreeMap<&'static str, usize> {
    let file = load(name);
    let mut counts = BTreeMap::new();
    for group in file["testGroups"].as_array().unwrap() {
        for case in group["tests"].as_array().unwrap() {
            let id = &case["tcId"];
            let Some(token) = case["jws"].as_str() else {
                *counts.entry(JWE).or_default() += 1;
                continue;
            };
            let expected_valid = case["result"] == "valid";
            let header = token
                .split('.')
                .next()
                .and_then(jose_core::base64url::decode)
                .and_then(|h| serde_json::from_slice::<Value>(&h).ok())
                .unwrap_or(Value::Null);
            if let Some(reason) = skip_reason(&header, group) {
                // A skipped case must still never be accepted when invalid: our parser refuses
                // HMAC and unknown algorithms outright.
                if !expected_valid {
                    let parsed = OpaqueJws::parse(token, &Limits::default());
                    if let (Ok(jws), Ok(key)) = (&parsed, public_key(group, &header)) {
                        assert!(
                            jws.verify(&key, &HeaderPolicy::new(ALL_ALGORITHMS))
                                .is_err(),
                            "{name} tcId {id}: invalid case accepted"
                        );
                    }
                }
                *counts.entry(reason).or_default() += 1;
                continue;
            }
            let outcome = public_key(group, &header).and_then(|key| {
                OpaqueJws::parse(token, &Limits::default())
                    .and_then(|jws| jws.verify(&key, &HeaderPolicy::new(ALL_ALGORITHMS)))
            });
            match (expected_valid, &outcome) {
                (true, Ok(())) => *counts.entry("valid accepted").or_default() += 1,
                (false, Err(_)) => *counts.entry("invalid rejected").or_default() += 1,
                (true, Err(e)) => {
                    let reason = expected_rejection(e)
                        .unwrap_or_else(|| panic!("{name} tcId {id}: valid case rejected: {e}"));
                    *counts.entry(reason).or_default() += 1;
                }
                (false, Ok(())) => panic!(
                    "{name} tcId {id}: invalid case accepted ({})",
                    case["comment"]
                ),
            }
        }
    }
    counts
}

/// Valid-by-Wycheproof cases we reject on purpose, with the rule that rejects them.
fn expected_rejection(error: &Error) -> Option<&'static str> {
    match error {
        Error::InvalidBase64 { .. } => {
            Some("stricter: non-canonical base64url refused (RFC 7515 §2 unpadded base64url)")
        }
        Error::KeyAlgorithmMismatch { .. } => Some(ES521_ERRATUM),
        _ => None,
    }
}

fn expect_counts(counts: &BTreeMap<&'static str, usize>, expected: &[(&str, usize)]) {
    let expected: BTreeMap<&str, usize> = expected.iter().copied().collect();
    let got: BTreeMap<&str, usize> = counts.iter().map(|(k, v)| (*k, *v)).collect();
    assert_eq!(got, expected);
}

#[test]
fn wycheproof_json_web_signature() {
    let counts = run_jose_file("json_web_signature_test.json");
    expect_counts(
        &counts,
        &[
            ("valid accepted", 16),
            ("invalid rejected", 313),
            (HMAC, 41),
            (RSA_SHA2_384_512, 29),
            (ES521_ERRATUM, 2),
        ],
    );
}

#[test]
fn wycheproof_json_web_key() {
    let counts = run_jose_file("json_web_key_test.json");
    expect_counts(
        &counts,
        &[("valid accepted", 1), ("invalid rejected", 10), (HMAC, 15)],
    );
}

#[test]
fn wycheproof_json_web_crypto() {
    let counts = run_jose_file("json_web_crypto_test.json");
    expect_counts(
        &counts,
        &[
            ("valid accepted", 2),
            ("invalid rejected", 26),
            (HMAC, 20),
            (JWE, 35),
        ],
    );
}
