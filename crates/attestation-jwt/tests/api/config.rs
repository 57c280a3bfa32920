//! `clientAttestationConfig` parsing.

use attestation_jwt::{ConfigError, Error, MethodKind};
use jose_core::JsonError;

use super::*;

const JWK: &str = r#"{"kty":"EC","crv":"P-256","x":"VcKVNBZ4IaBAYW3jxM4w3TJFVA7myeUGQyGt-g_yvpQ","y":"f-E-hYE3TAWKwhVv9pej9NABs9SX9XsNO80x57jFTyU"}"#;

fn parse(text: &str) -> Result<ClientAttestationConfig, Error> {
    ClientAttestationConfig::from_json(text.as_bytes())
}

#[test]
fn the_documented_shape_parses_with_every_member() {
    let config = parse(&format!(
        r#"{{ "required": false,
            "verificationMethod": {{ "type": "static-jwk", "jwk": {JWK} }},
            "clockSkewSeconds": 60, "replayWindowSeconds": 120, "challengeRequired": true }}"#
    ))
    .unwrap();
    assert!(!config.required);
    assert_eq!(config.clock_skew_seconds, 60);
    assert_eq!(config.replay_window_seconds, 120);
    assert!(config.challenge_required);
    assert_eq!(
        config.verification_method,
        VerificationMethod::StaticJwk {
            jwk: jwk(&serde_json::from_str(JWK).unwrap()),
            additional_jwks: Vec::new(),
        }
    );
}

#[test]
fn defaults_apply() {
    let config = parse(&format!(
        r#"{{"verificationMethod": {{"type": "static-jwk", "jwk": {JWK}}}}}"#
    ))
    .unwrap();
    assert!(config.required);
    assert_eq!(config.clock_skew_seconds, 300);
    assert_eq!(config.replay_window_seconds, 300);
    assert!(!config.challenge_required);
}

#[test]
fn serde_deserialisation_uses_the_same_rules() {
    let config: ClientAttestationConfig = serde_json::from_str(
        r#"{"verificationMethod": {"type": "kms-key", "keyReference": "projects/p/keys/k"}}"#,
    )
    .unwrap();
    assert_eq!(
        config.verification_method,
        VerificationMethod::KmsKey {
            key_reference: "projects/p/keys/k".into(),
            additional_key_references: Vec::new(),
        }
    );
    let error = serde_json::from_str::<ClientAttestationConfig>(
        r#"{"verificationMethod": {"type": "hsm"}}"#,
    )
    .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("unknown verificationMethod type \"hsm\"")
    );
}

#[test]
fn x509_roots_as_string_or_array() {
    let pem = "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n";
    let one = parse(&format!(
        r#"{{"verificationMethod": {{"type": "x509-chain", "trustedRootCertificatesPem": {}}}}}"#,
        serde_json::to_string(&format!("{pem}{pem}")).unwrap()
    ))
    .unwrap();
    assert_eq!(
        one.verification_method,
        VerificationMethod::X509Chain {
            trusted_roots_der: vec![vec![0x30, 0x00], vec![0x30, 0x00]]
        }
    );
    let array = parse(&format!(
        r#"{{"verificationMethod": {{"type": "x509-chain", "trustedRootCertificatesPem": [{}]}}}}"#,
        serde_json::to_string(pem).unwrap()
    ))
    .unwrap();
    assert_eq!(array.verification_method.kind(), MethodKind::X509Chain);
}

#[test]
fn bad_configurations_have_exact_errors() {
    let cases: &[(&str, ConfigError)] = &[
        (
            r#"{"verificationMethod": {"type": "hsm-key", "keyReference": "k"}}"#,
            ConfigError::UnknownMethodType {
                found: "hsm-key".into(),
            },
        ),
        (
            r#"{"required": true}"#,
            ConfigError::MissingField {
                name: "verificationMethod",
            },
        ),
        (
            r#"{"verificationMethod": {"keyReference": "k"}}"#,
            ConfigError::MissingField {
                name: "verificationMethod.type",
            },
        ),
        (
            r#"{"verificationMethod": {"type": "kms-key"}}"#,
            ConfigError::MissingField {
                name: "verificationMethod.keyReference",
            },
        ),
        (
            r#"{"verificationMethod": {"type": "kms-key", "keyReference": ""}}"#,
            ConfigError::InvalidField {
                name: "verificationMethod.keyReference",
            },
        ),
        (
            r#"{"verificationMethod": {"type": "kms-key", "keyReference": "k"}, "clockSkewSecond": 5}"#,
            ConfigError::UnknownField {
                name: "clockSkewSecond".into(),
            },
        ),
        (
            r#"{"verificationMethod": {"type": "kms-key", "keyReference": "k", "jwk": {}}}"#,
            ConfigError::UnknownField {
                name: "verificationMethod.jwk".into(),
            },
        ),
        (
            r#"{"verificationMethod": {"type": "kms-key", "keyReference": "k"}, "required": "yes"}"#,
            ConfigError::InvalidField { name: "required" },
        ),
        (
            r#"{"verificationMethod": {"type": "kms-key", "keyReference": "k"}, "clockSkewSeconds": -1}"#,
            ConfigError::InvalidField {
                name: "clockSkewSeconds",
            },
        ),
        (
            r#"{"verificationMethod": {"type": "kms-key", "keyReference": "k"}, "replayWindowSeconds": 86401}"#,
            ConfigError::InvalidField {
                name: "replayWindowSeconds",
            },
        ),
        (
            r#"{"verificationMethod": {"type": "kms-key", "keyReference": "k"}, "required": true, "required": false}"#,
            ConfigError::Json(JsonError::DuplicateMember {
                name: "required".into(),
            }),
        ),
        (
            r#"{"verificationMethod": {"type": "x509-chain", "trustedRootCertificatesPem": []}}"#,
            ConfigError::NoTrustedRoots,
        ),
        (
            r#"{"verificationMethod": {"type": "x509-chain", "trustedRootCertificatesPem": "not pem"}}"#,
            ConfigError::InvalidPem { index: 0 },
        ),
        (
            r#"{"verificationMethod": {"type": "static-jwk", "jwk": {"kty":"oct","k":"AAAA"}}}"#,
            ConfigError::InvalidJwk(jose_core::Error::PrivateKeyMember { member: "k" }),
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(parse(text), Err(Error::Config(expected.clone())), "{text}");
    }
}

#[test]
fn static_jwk_with_private_key_is_refused() {
    let text = r#"{"verificationMethod": {"type": "static-jwk", "jwk": {"kty":"EC","crv":"P-256","x":"VcKVNBZ4IaBAYW3jxM4w3TJFVA7myeUGQyGt-g_yvpQ","y":"f-E-hYE3TAWKwhVv9pej9NABs9SX9XsNO80x57jFTyU","d":"AAAA"}}}"#;
    assert_eq!(
        parse(text),
        Err(Error::Config(ConfigError::InvalidJwk(
            jose_core::Error::PrivateKeyMember { member: "d" }
        )))
    );
}
