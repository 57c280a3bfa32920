//! External vectors: the ABCA draft -10 examples and the OpenID4VCI 1.0 wallet attestation.
//!
//! Skipped: the draft -10 attestation's own signature (attester key `kid` "11" is not published,
//! SOURCES.md §6a); the -07 examples (their PoP signatures do not verify, spec notes §A.8).

use attestation_jwt::{AssuranceLevel, ClientAuthRequest, DraftShape, Error, MethodKind, PopMode};
use jose_core::{CompactJws, EcCurve, Header, Limits, PublicKey, UnsignedJws};

use super::*;

fn vectors_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors")
}

fn draft_examples() -> Vec<Value> {
    let text =
        std::fs::read_to_string(vectors_dir().join("oauth-client-attestation-draft/examples.json"))
            .unwrap();
    let json: Value = serde_json::from_str(&text).unwrap();
    json["examples"].as_array().unwrap().clone()
}

fn example(id: &str) -> String {
    draft_examples()
        .into_iter()
        .find(|e| e["id"] == id)
        .unwrap()["compact"]
        .as_str()
        .unwrap()
        .to_owned()
}

const DRAFT_IAT: i64 = 1_772_487_595;
const DRAFT_CHALLENGE: &str = "5c1a9e10-29ff-4c2b-ae73-57c0957c09c4";

/// The -10 example attestation's exact payload, re-signed by a key we hold (the draft's
/// attester key is unpublished), so the draft's PoPs can run through the whole verifier.
fn resigned_draft_attestation(attester: &LocalSigner) -> String {
    let original = example("att-1");
    let payload_b64 = original.split('.').nth(1).unwrap();
    let payload = base64url::decode(payload_b64).unwrap();
    let header = Header::new(Algorithm::Es256)
        .with_typ("oauth-client-attestation+jwt")
        .with_kid("11");
    let unsigned = UnsignedJws::with_payload(&header, &payload).unwrap();
    assert!(
        core::str::from_utf8(unsigned.signing_input())
            .unwrap()
            .ends_with(payload_b64)
    );
    unsigned.sign(attester).unwrap()
}

fn draft_verify(
    issuer: &str,
    attestation: &str,
    pop: &str,
    challenge: ChallengeCheck<'_>,
    attester: &LocalSigner,
) -> Result<Verdict, Error> {
    let config = ClientAttestationConfig::new(VerificationMethod::StaticJwk {
        jwk: attester.public_jwk(),
        additional_jwks: Vec::new(),
    })
    .with_challenge_required(true);
    let request = ClientAuthRequest::new()
        .with_attestation(Some(attestation))
        .with_pop(Some(pop))
        .with_client_id(Some("https://client.example.com"));
    ClientAttestationVerifier::builder(config, issuer)
        .build()
        .unwrap()
        .verify(
            &request,
            challenge,
            &InMemoryReplayGuard::new(10),
            UnixTime::from_secs(DRAFT_IAT + 10),
        )
}

#[test]
fn test_abca_draft10_attestation_passes_every_step_before_the_unpublished_signature() {
    let fx = Fixture::new();
    let attestation = example("att-1");
    let pop = example("att-2");
    assert_eq!(
        draft_verify(
            "https://as.example.com",
            &attestation,
            &pop,
            ChallengeCheck::Expected(DRAFT_CHALLENGE),
            &fx.attester
        ),
        Err(Error::AttestationSignature(
            jose_core::Error::SignatureInvalid
        ))
    );
}

#[test]
fn test_abca_draft10_pop_verifies_with_the_example_cnf_jwk() {
    let fx = Fixture::new();
    let attestation = resigned_draft_attestation(&fx.attester);
    let verdict = draft_verify(
        "https://as.example.com",
        &attestation,
        &example("att-2"),
        ChallengeCheck::Expected(DRAFT_CHALLENGE),
        &fx.attester,
    )
    .unwrap();
    assert_eq!(
        verdict.client_id.as_deref(),
        Some("https://client.example.com")
    );
    assert_eq!(verdict.assurance, AssuranceLevel::Attested);
    assert_eq!(
        verdict.method,
        attestation_jwt::AuthMethod::Attestation {
            verification: MethodKind::StaticJwk,
            mode: PopMode::PopJwt,
            draft: DraftShape::Draft10,
        }
    );
    let cnf = jwk(&json!({"kty": "EC", "crv": "P-256",
        "x": "VcKVNBZ4IaBAYW3jxM4w3TJFVA7myeUGQyGt-g_yvpQ",
        "y": "f-E-hYE3TAWKwhVv9pej9NABs9SX9XsNO80x57jFTyU"}));
    assert!(verdict.instance_key.unwrap().same_key(&cnf));
    // A different challenge than the one in the example is refused.
    assert_eq!(
        draft_verify(
            "https://as.example.com",
            &attestation,
            &example("att-2"),
            ChallengeCheck::Expected("another"),
            &fx.attester,
        ),
        Err(Error::Pop(pop_verifier::Error::ChallengeMismatch))
    );
}

#[test]
fn test_abca_draft10_rs_pop_verifies_at_the_rs_only() {
    let fx = Fixture::new();
    let attestation = resigned_draft_attestation(&fx.attester);
    let rs_pop = example("att-3");
    assert!(
        draft_verify(
            "https://rs.example.com",
            &attestation,
            &rs_pop,
            ChallengeCheck::Expected(DRAFT_CHALLENGE),
            &fx.attester
        )
        .is_ok()
    );
    assert_eq!(
        draft_verify(
            "https://as.example.com",
            &attestation,
            &rs_pop,
            ChallengeCheck::Expected(DRAFT_CHALLENGE),
            &fx.attester
        ),
        Err(Error::Pop(pop_verifier::Error::AudienceMismatch {
            found: "https://rs.example.com".into()
        }))
    );
}

pub(crate) fn wallet_attestation() -> String {
    std::fs::read_to_string(vectors_dir().join("openid4vci/wallet_attestation.jwt.txt"))
        .unwrap()
        .split_whitespace()
        .collect()
}

/// The P-256 key of the `x5c[0]` certificate (its SubjectPublicKeyInfo has the fixed
/// id-ecPublicKey/prime256v1 prefix; the point follows it).
fn x5c_leaf_key(token: &str) -> PublicJwk {
    const SPKI_PREFIX: &[u8] = &[
        0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08,
        0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
    ];
    let jws = CompactJws::parse(token, &Limits::default()).unwrap();
    let cert = &jws.header().x5c().unwrap()[0];
    let at = cert
        .windows(SPKI_PREFIX.len())
        .position(|w| w == SPKI_PREFIX)
        .unwrap();
    let point = &cert[at + SPKI_PREFIX.len()..at + SPKI_PREFIX.len() + 65];
    PublicJwk::new(PublicKey::from_ec_point(EcCurve::P256, point).unwrap())
}

pub(crate) const WALLET_NBF: i64 = 1_755_023_547;
const WALLET_EXP: i64 = 1_755_102_745;

fn wallet_verify(attester: PublicJwk, now: i64) -> Result<Verdict, Error> {
    let token = wallet_attestation();
    let pop_signer = LocalSigner::generate(Algorithm::Es256, &SystemRandom::new()).unwrap();
    let pop = build_pop(
        &PopClaims::new(ISSUER, UnixTime::from_secs(now)),
        &pop_signer,
        &SystemRandom::new(),
    )
    .unwrap();
    let config = ClientAttestationConfig::new(VerificationMethod::StaticJwk {
        jwk: attester,
        additional_jwks: Vec::new(),
    });
    let request = ClientAuthRequest::new()
        .with_attestation(Some(&token))
        .with_pop(Some(&pop))
        .with_client_id(Some("https://wallet.example.com"));
    // The OpenID4VCI 1.0 example has no `iat` (the -07 shape).
    ClientAttestationVerifier::builder(config, ISSUER)
        .with_missing_iat_tolerated(true)
        .build()
        .unwrap()
        .verify(
            &request,
            ChallengeCheck::None,
            &InMemoryReplayGuard::new(10),
            UnixTime::from_secs(now),
        )
}

/// The wallet's instance key is unpublished, so no valid PoP exists: with a pinned clock the
/// attestation passes steps 3-8 (signature by `x5c[0]` included) and verification stops at the
/// PoP signature (step 11). Outside its validity it stops at step 7, which also lies after the
/// signature check.
#[test]
fn test_openid4vci_wallet_attestation_verifies_with_x5c_leaf_key() {
    let token = wallet_attestation();
    let key = x5c_leaf_key(&token);
    assert_eq!(
        wallet_verify(key.clone(), WALLET_NBF + 60),
        Err(Error::Pop(pop_verifier::Error::SignatureInvalid))
    );
    assert_eq!(
        wallet_verify(key.clone(), WALLET_EXP + 301),
        Err(Error::AttestationExpired {
            exp: WALLET_EXP,
            now: WALLET_EXP + 301
        })
    );
    assert_eq!(
        wallet_verify(key, WALLET_NBF - 301),
        Err(Error::AttestationNotYetValid {
            nbf: WALLET_NBF,
            now: WALLET_NBF - 301
        })
    );
    let other = LocalSigner::generate(Algorithm::Es256, &SystemRandom::new()).unwrap();
    assert_eq!(
        wallet_verify(other.public_jwk(), WALLET_NBF + 60),
        Err(Error::AttestationSignature(
            jose_core::Error::SignatureInvalid
        ))
    );
}
