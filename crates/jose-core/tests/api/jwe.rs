//! JWE (ECDH-ES + AES-GCM) against `shared/vectors/jwe/` and the JWE cases of Wycheproof's
//! `json_web_crypto_test.json`.

use std::collections::BTreeMap;

use jose_core::jwe::{
    CompactJwe, Compression, ContentEncryption, JweEncrypter, JweError, JweLimits, JwePolicy,
    KeyAgreement, LocalKeyAgreement, concat_kdf,
};
use jose_core::{EcCurve, JsonError, PublicJwk, SystemRandom, base64url};
use serde_json::Value;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/vectors/");

fn load(name: &str) -> Value {
    let text = std::fs::read_to_string(format!("{DIR}{name}"))
        .unwrap_or_else(|e| panic!("reading {name}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn curve_of(name: &str) -> EcCurve {
    match name {
        "P-256" => EcCurve::P256,
        "P-384" => EcCurve::P384,
        other => panic!("unexpected curve {other}"),
    }
}

/// The recipient key from a private JWK; its public half must equal the JWK's `x`/`y`.
fn recipient(jwk: &Value) -> LocalKeyAgreement {
    let curve = curve_of(jwk["crv"].as_str().unwrap());
    let d = base64url::decode(jwk["d"].as_str().unwrap()).unwrap();
    let key = LocalKeyAgreement::from_scalar(curve, &d).unwrap();
    let mut public = jwk.as_object().unwrap().clone();
    public.remove("d");
    assert_eq!(key.public_jwk(), PublicJwk::from_map(&public).unwrap());
    key
}

/// Every vector of both producers: (label, recipient, token, plaintext, enc, zip).
fn producer_vectors() -> Vec<(String, LocalKeyAgreement, String, String, String, bool)> {
    let mut out = Vec::new();
    for file in ["jwe/joserfc-ecdh-es.json", "jwe/jose-ecdh-es.json"] {
        for (i, case) in load(file).as_array().unwrap().iter().enumerate() {
            out.push((
                format!("{file}[{i}]"),
                recipient(&case["recipient_private_jwk"]),
                case["jwe"].as_str().unwrap().to_owned(),
                case["plaintext_utf8"].as_str().unwrap().to_owned(),
                case["enc"].as_str().unwrap().to_owned(),
                case["zip"].as_str() == Some("DEF"),
            ));
        }
    }
    out
}

fn decrypt(token: &str, key: &LocalKeyAgreement) -> Result<Vec<u8>, JweError> {
    CompactJwe::parse(token, &JweLimits::default())?.decrypt(key, &JwePolicy::default())
}

#[test]
fn rfc7518_appendix_c_key_agreement_and_kdf() {
    let v = load("jwe/rfc7518-appendix-c.json");
    let z: Vec<u8> = v["shared_secret_z"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| u8::try_from(b.as_u64().unwrap()).unwrap())
        .collect();
    let alice = recipient(&v["alice_ephemeral_jwk"]);
    let bob = recipient(&v["bob_jwk"]);
    // Both directions of the agreement give the RFC's Z.
    assert_eq!(bob.agree(&alice.public_jwk()).unwrap().as_bytes(), z);
    assert_eq!(alice.agree(&bob.public_jwk()).unwrap().as_bytes(), z);
    let apu = base64url::decode(v["apu"].as_str().unwrap()).unwrap();
    let apv = base64url::decode(v["apv"].as_str().unwrap()).unwrap();
    assert_eq!(apu, b"Alice");
    let key = concat_kdf(&z, v["enc"].as_str().unwrap(), &apu, &apv, 16).unwrap();
    assert_eq!(
        base64url::encode(&key),
        v["derived_key_b64url"].as_str().unwrap()
    );
}

#[test]
fn producer_vectors_decrypt_to_their_plaintext() {
    let vectors = producer_vectors();
    assert_eq!(vectors.len(), 12);
    let mut seen = BTreeMap::new();
    for (label, key, token, plaintext, enc, zip) in &vectors {
        let jwe = CompactJwe::parse(token, &JweLimits::default()).unwrap();
        assert_eq!(jwe.header().enc().jose_name(), enc, "{label}");
        assert_eq!(
            jwe.header().zip() == Some(Compression::Deflate),
            *zip,
            "{label}"
        );
        let out = jwe
            .decrypt(key, &JwePolicy::default())
            .unwrap_or_else(|e| panic!("{label}: {e}"));
        assert_eq!(out, plaintext.as_bytes(), "{label}");
        *seen
            .entry((key.curve().jwk_name(), enc.clone(), *zip))
            .or_insert(0) += 1;
    }
    // Both curves, both encs, with and without zip are covered.
    for crv in ["P-256", "P-384"] {
        for enc in ["A128GCM", "A256GCM"] {
            assert!(
                seen.contains_key(&(crv, enc.to_owned(), false)),
                "{crv} {enc}"
            );
        }
    }
    assert!(seen.keys().any(|(_, _, zip)| *zip));
}

/// Replaces part `index` of a compact JWE with `f(decoded part)`.
fn tamper(token: &str, index: usize, f: impl Fn(&mut Vec<u8>)) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut bytes = base64url::decode(&parts[index]).unwrap();
    f(&mut bytes);
    parts[index] = base64url::encode(&bytes);
    parts.join(".")
}

fn flip_middle(bytes: &mut [u8]) {
    let i = bytes.len() / 2;
    bytes[i] ^= 0x01;
}

#[test]
fn a_flipped_byte_in_any_part_fails_with_the_exact_error() {
    for (label, key, token, _, _, _) in producer_vectors() {
        // Header: the first byte `{` becomes `z`: no longer JSON.
        assert_eq!(
            decrypt(&tamper(&token, 0, |b| b[0] ^= 0x01), &key),
            Err(JweError::InvalidJson {
                error: JsonError::Syntax { line: 1, column: 1 }
            }),
            "{label} header"
        );
        // Header re-serialised with one more space: same JSON, other AAD.
        assert_eq!(
            decrypt(&tamper(&token, 0, |b| b.insert(1, b' ')), &key),
            Err(JweError::DecryptionFailed),
            "{label} header bytes are the AAD"
        );
        // Encrypted key: ECDH-ES has none; one byte there is refused.
        assert_eq!(
            decrypt(&tamper(&token, 1, |b| b.push(0)), &key),
            Err(JweError::EncryptedKeyNotEmpty),
            "{label} encrypted key"
        );
        for (index, part) in [(2, "iv"), (3, "ciphertext"), (4, "tag")] {
            assert_eq!(
                decrypt(&tamper(&token, index, |b| flip_middle(b)), &key),
                Err(JweError::DecryptionFailed),
                "{label} {part}"
            );
        }
        // Shortened IV and tag are refused by length before any crypto.
        assert_eq!(
            decrypt(
                &tamper(&token, 2, |b| {
                    b.pop();
                }),
                &key
            ),
            Err(JweError::IvLength { len: 11 })
        );
        assert_eq!(
            decrypt(
                &tamper(&token, 4, |b| {
                    b.pop();
                }),
                &key
            ),
            Err(JweError::TagLength { len: 15 })
        );
    }
}

#[test]
fn another_recipient_key_fails() {
    let vectors = producer_vectors();
    let (_, key_a, token, ..) = &vectors[0];
    let other = LocalKeyAgreement::generate(key_a.curve(), &SystemRandom::new()).unwrap();
    assert_eq!(decrypt(token, &other), Err(JweError::DecryptionFailed));
    let p384 = vectors
        .iter()
        .find(|v| v.1.curve() == EcCurve::P384)
        .unwrap();
    assert_eq!(
        decrypt(token, &p384.1),
        Err(JweError::CurveMismatch {
            epk: "P-256",
            recipient: "P-384"
        })
    );
}

/// A recipient key marked for signatures is refused (RFC 7517 §4.2-4.3); one marked for
/// encryption or key agreement, or not marked, is taken.
#[test]
fn a_recipient_key_not_for_encryption_is_refused() {
    let key = LocalKeyAgreement::generate(EcCurve::P256, &SystemRandom::new()).unwrap();
    let with = |member: &str, value: Value| {
        let mut map = key.public_jwk().to_map();
        map.insert(member.to_owned(), value);
        JweEncrypter::new(
            &PublicJwk::from_map(&map).unwrap(),
            ContentEncryption::A128Gcm,
        )
        .map(|_| ())
    };
    assert_eq!(
        with("use", "sig".into()),
        Err(JweError::InvalidRecipientKey {
            reason: "its use is not enc"
        })
    );
    assert_eq!(
        with("key_ops", serde_json::json!(["verify", "sign"])),
        Err(JweError::InvalidRecipientKey {
            reason: "its key_ops allow no encryption or key agreement"
        })
    );
    assert_eq!(with("use", "enc".into()), Ok(()));
    for op in ["encrypt", "wrapKey", "deriveKey", "deriveBits"] {
        assert_eq!(with("key_ops", serde_json::json!([op])), Ok(()), "{op}");
    }
}

#[test]
fn round_trip_every_enc_curve_and_zip() {
    let rng = SystemRandom::new();
    let plaintext = br#"{"credentials":[{"credential":"eyJhbGciOiJFUzI1NiJ9.e30.sig"}]}"#;
    for curve in [EcCurve::P256, EcCurve::P384] {
        let key = LocalKeyAgreement::generate(curve, &rng).unwrap();
        for enc in [ContentEncryption::A128Gcm, ContentEncryption::A256Gcm] {
            for zip in [None, Some(Compression::Deflate)] {
                let token = JweEncrypter::new(&key.public_jwk().with_kid("k1"), enc)
                    .unwrap()
                    .with_zip(zip)
                    .with_apu(b"wallet".to_vec())
                    .with_apv(b"issuer".to_vec())
                    .with_typ("JWT")
                    .encrypt(plaintext, &rng)
                    .unwrap();
                assert_eq!(token.split('.').nth(1), Some(""), "no encrypted key");
                let jwe = CompactJwe::parse(&token, &JweLimits::default()).unwrap();
                let header = jwe.header();
                assert_eq!(
                    (header.enc(), header.zip(), header.kid(), header.typ()),
                    (enc, zip, Some("k1"), Some("JWT"))
                );
                assert_eq!(header.apu(), Some(&b"wallet"[..]));
                assert_eq!(header.epk_curve(), curve);
                assert_eq!(jwe.decrypt(&key, &JwePolicy::default()).unwrap(), plaintext);
            }
        }
    }
}

#[test]
fn encryption_uses_only_the_injected_randomness() {
    let key = LocalKeyAgreement::generate(EcCurve::P256, &SystemRandom::new()).unwrap();
    let fixed = |dest: &mut [u8]| -> Result<(), jose_core::Error> {
        dest.fill(7);
        Ok(())
    };
    let encrypter = JweEncrypter::new(&key.public_jwk(), ContentEncryption::A128Gcm).unwrap();
    let a = encrypter.encrypt(b"same", &fixed).unwrap();
    let b = encrypter.encrypt(b"same", &fixed).unwrap();
    assert_eq!(
        a, b,
        "a fixed source gives a fixed token: no hidden randomness"
    );
    assert_eq!(decrypt(&a, &key).unwrap(), b"same");
    let failing = |_: &mut [u8]| -> Result<(), jose_core::Error> {
        Err(jose_core::Error::Unsupported { what: "no entropy" })
    };
    assert_eq!(
        encrypter.encrypt(b"x", &failing),
        Err(JweError::EncryptionFailed {
            reason: "no entropy"
        })
    );
}

/// A protected header from JSON text, with an empty body: enough to test header rules.
fn with_header(header: &str) -> String {
    format!(
        "{}..{}.{}.{}",
        base64url::encode(header.as_bytes()),
        base64url::encode(&[0; 12]),
        base64url::encode(b"x"),
        base64url::encode(&[0; 16])
    )
}

const EPK: &str = r#"{"kty":"EC","crv":"P-256","x":"gI0GAILBdu7T53akrFmMyGcsF3n5dO7MmwNBHKW5SV0","y":"SLW_xSffzlPWrHEVI30DHM_4egVwt3NQqeUD7nMFpps"}"#;

fn parse_header(header: &str) -> Result<(), JweError> {
    CompactJwe::parse(&with_header(header), &JweLimits::default()).map(|_| ())
}

#[test]
fn unsupported_alg_enc_zip_and_bad_headers_are_refused_exactly() {
    let ok = format!(r#"{{"alg":"ECDH-ES","enc":"A128GCM","epk":{EPK}}}"#);
    assert_eq!(parse_header(&ok), Ok(()));
    let cases: Vec<(String, JweError)> = vec![
        (
            format!(r#"{{"alg":"ECDH-ES+A128KW","enc":"A128GCM","epk":{EPK}}}"#),
            JweError::UnsupportedAlgorithm {
                name: "ECDH-ES+A128KW".into(),
            },
        ),
        (
            format!(r#"{{"alg":"RSA-OAEP","enc":"A128GCM","epk":{EPK}}}"#),
            JweError::UnsupportedAlgorithm {
                name: "RSA-OAEP".into(),
            },
        ),
        (
            format!(r#"{{"alg":"dir","enc":"A128GCM","epk":{EPK}}}"#),
            JweError::UnsupportedAlgorithm { name: "dir".into() },
        ),
        (
            format!(r#"{{"alg":"ECDH-ES","enc":"A128CBC-HS256","epk":{EPK}}}"#),
            JweError::UnsupportedEncryption {
                name: "A128CBC-HS256".into(),
            },
        ),
        (
            format!(r#"{{"alg":"ECDH-ES","enc":"A192GCM","epk":{EPK}}}"#),
            JweError::UnsupportedEncryption {
                name: "A192GCM".into(),
            },
        ),
        (
            format!(r#"{{"alg":"ECDH-ES","enc":"A128GCM","zip":"GZIP","epk":{EPK}}}"#),
            JweError::UnsupportedCompression {
                name: "GZIP".into(),
            },
        ),
        (
            r#"{"alg":"ECDH-ES","enc":"A128GCM"}"#.into(),
            JweError::MissingHeader { name: "epk" },
        ),
        (
            format!(r#"{{"enc":"A128GCM","epk":{EPK}}}"#),
            JweError::MissingHeader { name: "alg" },
        ),
        (
            format!(r#"{{"alg":"ECDH-ES","epk":{EPK}}}"#),
            JweError::MissingHeader { name: "enc" },
        ),
        (
            format!(r#"{{"alg":"ECDH-ES","alg":"ECDH-ES","enc":"A128GCM","epk":{EPK}}}"#),
            JweError::InvalidJson {
                error: JsonError::DuplicateMember { name: "alg".into() },
            },
        ),
        (
            format!(
                r#"{{"alg":"ECDH-ES","enc":"A128GCM","epk":{EPK},"x-ext":1,"crit":["x-ext"]}}"#
            ),
            JweError::CriticalNotUnderstood {
                name: "x-ext".into(),
            },
        ),
        (
            format!(r#"{{"alg":"ECDH-ES","enc":"A128GCM","epk":{EPK},"crit":["enc"]}}"#),
            JweError::CriticalMalformed,
        ),
        (
            format!(r#"{{"alg":"ECDH-ES","enc":"A128GCM","epk":{EPK},"apu":"QWxpY2U="}}"#),
            JweError::InvalidHeader { name: "apu" },
        ),
        (
            r#"{"alg":"ECDH-ES","enc":"A128GCM","epk":{"kty":"OKP","crv":"X25519","x":"AAAA"}}"#
                .into(),
            JweError::InvalidEphemeralKey {
                reason: "kty is not EC",
            },
        ),
        (
            // RFC 7518 App. C's ephemeral key with its `d`: a private key as epk.
            format!(
                r#"{{"alg":"ECDH-ES","enc":"A128GCM","epk":{}}}"#,
                EPK.replace(
                    '}',
                    r#","d":"0_NxaRPUMQoAJt50Gz8YiTr8gRTwyEaCumd-MToTmIo"}"#
                )
            ),
            JweError::InvalidEphemeralKey {
                reason: "carries a private key member",
            },
        ),
        (
            // y changed: the point is off the curve (invalid-curve attack).
            format!(
                r#"{{"alg":"ECDH-ES","enc":"A128GCM","epk":{}}}"#,
                EPK.replace("SLW_", "SLWA")
            ),
            JweError::InvalidEphemeralKey {
                reason: "point is not on P-256",
            },
        ),
    ];
    for (header, expected) in cases {
        assert_eq!(parse_header(&header), Err(expected), "{header}");
    }
}

#[test]
fn structural_errors_and_limits() {
    let vectors = producer_vectors();
    let (_, key, token, ..) = &vectors[0];
    assert_eq!(
        CompactJwe::parse("a.b.c", &JweLimits::default()).map(|_| ()),
        Err(JweError::WrongPartCount { found: 3 })
    );
    assert_eq!(
        CompactJwe::parse(&format!("{token}.x"), &JweLimits::default()).map(|_| ()),
        Err(JweError::WrongPartCount { found: 6 })
    );
    let limits = JweLimits::default().with_max_token_len(100);
    assert_eq!(
        CompactJwe::parse(token, &limits).map(|_| ()),
        Err(JweError::TokenTooLong {
            len: token.len(),
            max: 100
        })
    );
    let jwe = CompactJwe::parse(token, &JweLimits::default()).unwrap();
    let small = JweLimits::default().with_max_plaintext_len(10);
    assert_eq!(
        jwe.decrypt_with_limits(key, &JwePolicy::default(), &small),
        Err(JweError::PlaintextTooLarge { max: 10 })
    );
    // Policy: enc allow-list and zip.
    let enc = jwe.header().enc();
    let other = if enc == ContentEncryption::A128Gcm {
        ContentEncryption::A256Gcm
    } else {
        ContentEncryption::A128Gcm
    };
    assert_eq!(
        jwe.decrypt(key, &JwePolicy::new(&[other])),
        Err(JweError::EncryptionNotAllowed { enc })
    );
    let zipped = vectors.iter().find(|v| v.5).unwrap();
    let jwe = CompactJwe::parse(&zipped.2, &JweLimits::default()).unwrap();
    assert_eq!(
        jwe.decrypt(&zipped.1, &JwePolicy::new(&[jwe.header().enc()])),
        Err(JweError::CompressionNotAllowed)
    );
}

/// A raw DEFLATE stream of one fixed-Huffman block: a literal zero, then `repeats` copies of
/// (length 258, distance 1): 13 bits for every 258 output bytes.
fn deflate_bomb(repeats: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let (mut acc, mut nbits) = (0u64, 0u32);
    let mut put = |value: u64, bits: u32, out: &mut Vec<u8>| {
        acc |= value << nbits;
        nbits += bits;
        while nbits >= 8 {
            out.push(u8::try_from(acc & 0xff).unwrap());
            acc >>= 8;
            nbits -= 8;
        }
    };
    // Huffman codes are sent most significant bit first: reverse them.
    let code = |value: u64, bits: u32| value.reverse_bits() >> (64 - bits);
    put(1, 1, &mut out); // BFINAL
    put(1, 2, &mut out); // BTYPE = 01 (fixed Huffman)
    put(code(0b0011_0000, 8), 8, &mut out); // literal 0
    for _ in 0..repeats {
        put(code(0b1100_0101, 8), 8, &mut out); // length code 285 = 258
        put(0, 5, &mut out); // distance code 0 = 1
    }
    put(0, 7, &mut out); // end of block (256)
    put(0, 7, &mut out); // flush
    out
}

#[test]
fn a_zip_bomb_is_refused_fast_at_the_cap() {
    let bomb = deflate_bomb(60_000); // 15.5 MB from about 97 KB.
    let mut inflated = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::DeflateDecoder::new(&bomb[..]),
        &mut inflated,
    )
    .unwrap();
    assert_eq!(
        inflated.len(),
        1 + 60_000 * 258,
        "the stream is a real bomb"
    );
    assert!(inflated.iter().all(|b| *b == 0));
    drop(inflated);

    // Encrypt the compressed bytes with `zip: DEF` in the header, by hand (bare ECDH + GCM).
    let rng = SystemRandom::new();
    let recipient = LocalKeyAgreement::generate(EcCurve::P256, &rng).unwrap();
    let token = seal_raw(&recipient, &bomb, &rng);
    let jwe = CompactJwe::parse(&token, &JweLimits::default()).unwrap();
    let start = std::time::Instant::now();
    assert_eq!(
        jwe.decrypt(&recipient, &JwePolicy::default()),
        Err(JweError::PlaintextTooLarge { max: 1024 * 1024 })
    );
    assert!(
        start.elapsed() < core::time::Duration::from_secs(2),
        "refusal took {:?}",
        start.elapsed()
    );
    // Garbage that is not DEFLATE is refused as such.
    let token = seal_raw(&recipient, &[0xff; 64], &rng);
    assert_eq!(
        decrypt(&token, &recipient),
        Err(JweError::DecompressionFailed)
    );
}

/// ECDH-ES + A128GCM with `zip: DEF` over `body` as given (already "compressed").
fn seal_raw(recipient: &LocalKeyAgreement, body: &[u8], rng: &SystemRandom) -> String {
    let ephemeral = LocalKeyAgreement::generate(EcCurve::P256, rng).unwrap();
    let z = ephemeral.agree(&recipient.public_jwk()).unwrap();
    let cek = concat_kdf(z.as_bytes(), "A128GCM", b"", b"", 16).unwrap();
    let header = serde_json::json!({
        "alg": "ECDH-ES", "enc": "A128GCM", "zip": "DEF",
        "epk": ephemeral.public_jwk().to_value(),
    });
    let protected = base64url::encode(header.to_string().as_bytes());
    let key = ring::aead::LessSafeKey::new(
        ring::aead::UnboundKey::new(&ring::aead::AES_128_GCM, &cek).unwrap(),
    );
    let mut in_out = body.to_vec();
    let iv = [3u8; 12];
    let tag = key
        .seal_in_place_separate_tag(
            ring::aead::Nonce::assume_unique_for_key(iv),
            ring::aead::Aad::from(protected.as_bytes()),
            &mut in_out,
        )
        .unwrap();
    format!(
        "{protected}..{}.{}.{}",
        base64url::encode(&iv),
        base64url::encode(&in_out),
        base64url::encode(tag.as_ref())
    )
}

/// Wycheproof's JWE cases: all use key wrapping (`A256KW`, `ECDH-ES+A128KW`) and
/// `A128CBC-HS256`, which this profile does not implement. Every invalid case must be refused;
/// every valid case is skipped with its reason, after checking it is refused for that reason
/// only. The invalid-curve case is also replayed with `alg: ECDH-ES` so that the epk check
/// itself is exercised.
#[test]
fn wycheproof_jwe_cases() {
    const KEY_WRAP: &str = "skipped: key wrapping (A256KW, ECDH-ES+A128KW) is not implemented; \
        OpenID4VCI encryption uses ECDH-ES direct key agreement";
    const JSON_SERIALIZATION: &str =
        "invalid JSON serialization refused (only the compact serialization is implemented)";
    let file = load("wycheproof/json_web_crypto_test.json");
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for group in file["testGroups"].as_array().unwrap() {
        for case in group["tests"].as_array().unwrap() {
            let Some(jwe) = case.get("jwe") else { continue };
            let id = &case["tcId"];
            let valid = case["result"] == "valid";
            let Some(token) = jwe.as_str() else {
                assert!(!valid, "tcId {id}");
                *counts.entry(JSON_SERIALIZATION.into()).or_default() += 1;
                continue;
            };
            let outcome = CompactJwe::parse(token, &JweLimits::default()).map(|_| ());
            if valid {
                assert!(
                    matches!(outcome, Err(JweError::UnsupportedAlgorithm { .. })),
                    "tcId {id}: {outcome:?}"
                );
                *counts.entry(KEY_WRAP.into()).or_default() += 1;
                continue;
            }
            let error = outcome.expect_err("an invalid case was accepted");
            let kind = format!("invalid rejected: {error:?}")
                .split([' ', '{', '('])
                .take(3)
                .collect::<Vec<_>>()
                .join(" ");
            *counts.entry(kind).or_default() += 1;
            if case["comment"] == "rejectsInvalidCurvePoint" {
                let header = token.split('.').next().unwrap();
                let mut header: Value =
                    serde_json::from_slice(&base64url::decode(header).unwrap()).unwrap();
                header["alg"] = "ECDH-ES".into();
                header["enc"] = "A128GCM".into();
                assert_eq!(
                    parse_header(&header.to_string()),
                    Err(JweError::InvalidEphemeralKey {
                        reason: "point is not on P-256"
                    }),
                    "tcId {id} replayed with ECDH-ES"
                );
                *counts
                    .entry("invalid curve point replayed with ECDH-ES".into())
                    .or_default() += 1;
            }
        }
    }
    let got: Vec<(&str, usize)> = counts.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(
        got,
        vec![
            (JSON_SERIALIZATION, 1),
            ("invalid curve point replayed with ECDH-ES", 1),
            ("invalid rejected: InvalidBase64", 6),
            ("invalid rejected: MissingHeader", 1),
            ("invalid rejected: UnsupportedAlgorithm", 14),
            ("invalid rejected: WrongPartCount", 10),
            (KEY_WRAP, 2),
        ]
    );
}

#[test]
fn recipient_keys_load_from_pkcs8_and_scalars() {
    use ring::signature::{
        ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair,
    };
    let rng = ring::rand::SystemRandom::new();
    for (alg, curve) in [
        (&ECDSA_P256_SHA256_FIXED_SIGNING, EcCurve::P256),
        (&ECDSA_P384_SHA384_FIXED_SIGNING, EcCurve::P384),
    ] {
        let der = EcdsaKeyPair::generate_pkcs8(alg, &rng).unwrap();
        let key =
            LocalKeyAgreement::from_pkcs8(&jose_core::Pkcs8Secret::new(der.as_ref().to_vec()))
                .unwrap();
        assert_eq!(key.curve(), curve);
        // The same key from its scalar: same public key, and it decrypts what the first can.
        let again = LocalKeyAgreement::from_scalar(curve, &key.scalar_bytes()).unwrap();
        assert_eq!(again.public_jwk(), key.public_jwk());
        let token = JweEncrypter::new(&key.public_jwk(), ContentEncryption::A256Gcm)
            .unwrap()
            .encrypt(b"pkcs8", &SystemRandom::new())
            .unwrap();
        assert_eq!(decrypt(&token, &again).unwrap(), b"pkcs8");
    }
    let refused = JweError::InvalidRecipientKey {
        reason: "not a P-256 or P-384 PKCS#8 private key",
    };
    assert_eq!(
        LocalKeyAgreement::from_pkcs8(&jose_core::Pkcs8Secret::new(vec![0x30, 0x00])).map(|_| ()),
        Err(refused)
    );
    let scalar_refused = JweError::InvalidRecipientKey {
        reason: "private scalar is not valid for the curve",
    };
    assert_eq!(
        LocalKeyAgreement::from_scalar(EcCurve::P256, &[0; 32]).map(|_| ()),
        Err(scalar_refused.clone())
    );
    assert_eq!(
        LocalKeyAgreement::from_scalar(EcCurve::P256, &[1; 31]).map(|_| ()),
        Err(scalar_refused)
    );
    assert_eq!(
        LocalKeyAgreement::from_scalar(EcCurve::P521, &[1; 66]).map(|_| ()),
        Err(JweError::InvalidRecipientKey {
            reason: "only P-256 and P-384 are supported"
        })
    );
}
