//! Issuer metadata, AS metadata and signed metadata rules.

use oid4vci_types::{
    AlgorithmIdentifier, AlgorithmKind, AuthorizationServerMetadata, ClaimsPathElement,
    CredentialDisplay, CredentialFormat, CredentialIssuerMetadata, Error, KeyAttestationsRequired,
    Limits, MessageKind, ProofTypeMetadata, SignedMetadataClaims,
};
use serde_json::{Value, json};

fn base() -> Value {
    json!({
        "credential_issuer": "https://issuer.example/tenant",
        "credential_endpoint": "https://issuer.example/tenant/credential",
        "credential_configurations_supported": {
            "pid": {
                "format": "dc+sd-jwt",
                "vct": "urn:eudi:pid:1",
                "scope": "pid",
                "credential_signing_alg_values_supported": ["ES256"],
                "proof_types_supported": { "jwt": { "proof_signing_alg_values_supported": ["ES256"] } },
                "credential_metadata": { "claims": [ { "path": ["address", "street"] }, { "path": ["nationalities", null] }, { "path": ["a", 0] } ] }
            },
            "mdl": {
                "format": "mso_mdoc",
                "doctype": "org.iso.18013.5.1.mDL",
                "credential_signing_alg_values_supported": [-7, -9]
            }
        }
    })
}

fn parse(v: &Value) -> Result<CredentialIssuerMetadata, Error> {
    CredentialIssuerMetadata::from_json(v.to_string().as_bytes())
}

#[test]
fn typed_access_and_round_trip() {
    let mut v = base();
    v["signed_metadata_future"] = json!("kept");
    let meta = parse(&v).unwrap();
    let mdl = &meta.credential_configurations_supported["mdl"];
    assert_eq!(mdl.format_kind(), CredentialFormat::MsoMdoc);
    assert_eq!(
        mdl.credential_signing_alg_values_supported.as_deref(),
        Some(&[AlgorithmIdentifier::Cose(-7), AlgorithmIdentifier::Cose(-9)][..])
    );
    let pid = &meta.credential_configurations_supported["pid"];
    let claims = pid
        .credential_metadata
        .as_ref()
        .unwrap()
        .claims
        .as_ref()
        .unwrap();
    assert_eq!(
        claims[1].path,
        [
            ClaimsPathElement::Name("nationalities".into()),
            ClaimsPathElement::AllElements
        ]
    );
    assert_eq!(claims[2].path[1], ClaimsPathElement::Index(0));
    assert_eq!(meta.max_proofs(), 1);
    assert_eq!(meta.extra["signed_metadata_future"], "kept");
    assert_eq!(meta.to_value(), v);
}

#[test]
fn metadata_rules() {
    let cases: Vec<(&str, Value, Error)> = vec![
        (
            "/credential_issuer",
            Value::Null,
            Error::MissingMember {
                message: MessageKind::CredentialIssuerMetadata,
                member: "credential_issuer".into(),
            },
        ),
        (
            "/credential_endpoint",
            Value::Null,
            Error::MissingMember {
                message: MessageKind::CredentialIssuerMetadata,
                member: "credential_endpoint".into(),
            },
        ),
        (
            "/credential_configurations_supported",
            Value::Null,
            Error::MissingMember {
                message: MessageKind::CredentialIssuerMetadata,
                member: "credential_configurations_supported".into(),
            },
        ),
        (
            "/credential_configurations_supported/pid/vct",
            Value::Null,
            Error::MissingMember {
                message: MessageKind::CredentialConfiguration,
                member: "vct".into(),
            },
        ),
        (
            "/credential_configurations_supported/mdl/doctype",
            Value::Null,
            Error::MissingMember {
                message: MessageKind::CredentialConfiguration,
                member: "doctype".into(),
            },
        ),
        (
            "/credential_configurations_supported/pid/proof_types_supported/jwt/proof_signing_alg_values_supported",
            Value::Null,
            Error::MissingMember {
                message: MessageKind::CredentialIssuerMetadata,
                member: "proof_signing_alg_values_supported".into(),
            },
        ),
    ];
    for (pointer, _, want) in cases {
        let mut v = base();
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let parent = if parent.is_empty() {
            &mut v
        } else {
            v.pointer_mut(parent).unwrap()
        };
        parent.as_object_mut().unwrap().remove(key).unwrap();
        assert_eq!(parse(&v).unwrap_err(), want, "{pointer}");
    }

    let set = |pointer: &str, value: Value| {
        let mut v = base();
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let parent = if parent.is_empty() {
            &mut v
        } else {
            v.pointer_mut(parent).unwrap()
        };
        parent.as_object_mut().unwrap().insert(key.into(), value);
        parse(&v).unwrap_err()
    };
    assert_eq!(
        set("/batch_credential_issuance", json!({ "batch_size": 1 })),
        Error::BatchSizeTooSmall { batch_size: 1 }
    );
    assert_eq!(
        set(
            "/credential_configurations_supported/mdl/credential_signing_alg_values_supported",
            json!(["ES256"])
        ),
        Error::WrongAlgorithmKind {
            configuration_id: "mdl".into(),
            expected: AlgorithmKind::CoseInteger
        }
    );
    assert_eq!(
        set(
            "/credential_configurations_supported/pid/credential_signing_alg_values_supported",
            json!([-7])
        ),
        Error::WrongAlgorithmKind {
            configuration_id: "pid".into(),
            expected: AlgorithmKind::JoseName
        }
    );
    assert_eq!(
        set(
            "/credential_configurations_supported/pid/credential_metadata",
            json!({ "claims": [ { "path": ["a"] }, { "path": ["a"] } ] })
        ),
        Error::DuplicateClaimPath {
            configuration_id: "pid".into()
        }
    );
    assert_eq!(
        set("/authorization_servers", json!([])),
        Error::EmptyArray {
            message: MessageKind::CredentialIssuerMetadata,
            member: "authorization_servers"
        }
    );
    assert_eq!(
        set("/credential_issuer", json!("https://issuer.example?x")),
        Error::InvalidUrl {
            member: "credential_issuer",
            reason: "has a query component"
        }
    );
    assert_eq!(
        set(
            "/credential_request_encryption",
            json!({ "jwks": { "keys": [ { "kty": "EC" } ] }, "enc_values_supported": ["A128GCM"], "encryption_required": true })
        ),
        Error::MissingMember {
            message: MessageKind::CredentialIssuerMetadata,
            member: "credential_request_encryption.jwks.keys[].kid".into()
        }
    );
    // The 1.0-final example's bare-array `jwks` (fixed by errata #711) is refused.
    assert!(matches!(
        set(
            "/credential_request_encryption",
            json!({ "jwks": [ { "kid": "a" } ], "enc_values_supported": ["A128GCM"], "encryption_required": true })
        ),
        Error::InvalidMember {
            message: MessageKind::CredentialIssuerMetadata,
            ..
        }
    ));
    assert!(matches!(
        set(
            "/credential_configurations_supported/pid/credential_metadata",
            json!({ "claims": [ { "path": ["a", -1] } ] })
        ),
        Error::InvalidMember {
            message: MessageKind::CredentialIssuerMetadata,
            ..
        }
    ));
}

#[test]
fn size_and_depth_limits() {
    let text = base().to_string();
    let mut limits = Limits::default();
    limits.max_metadata_len = 100;
    assert_eq!(
        CredentialIssuerMetadata::from_json_with(text.as_bytes(), &limits).unwrap_err(),
        Error::InputTooLarge {
            len: text.len(),
            max: 100
        }
    );
    let mut limits = Limits::default();
    limits.max_json_depth = 4;
    assert_eq!(
        CredentialIssuerMetadata::from_json_with(text.as_bytes(), &limits).unwrap_err(),
        Error::JsonTooDeep { max: 4 }
    );
}

#[test]
fn authorization_server_metadata() {
    let v = json!({
        "issuer": "https://as.example",
        "token_endpoint": "https://as.example/token",
        "grant_types_supported": ["urn:ietf:params:oauth:grant-type:pre-authorized_code"],
        "pre-authorized_grant_anonymous_access_supported": true,
        "token_endpoint_auth_methods_supported": ["attest_jwt_client_auth"],
        "client_attestation_signing_alg_values_supported": ["ES256"],
        "client_attestation_pop_signing_alg_values_supported": ["ES256"],
        "challenge_endpoint": "https://as.example/challenge",
        "dpop_signing_alg_values_supported": ["ES256"],
        "code_challenge_methods_supported": ["S256"],
        "future": { "x": 1 }
    });
    let meta = AuthorizationServerMetadata::from_json(v.to_string().as_bytes()).unwrap();
    assert!(meta.anonymous_pre_authorized_access());
    assert_eq!(
        meta.challenge_endpoint.as_deref(),
        Some("https://as.example/challenge")
    );
    assert_eq!(meta.response_types_supported, None);
    assert_eq!(meta.to_value(), v);
    assert!(
        !AuthorizationServerMetadata::new("https://as.example").anonymous_pre_authorized_access()
    );
    assert_eq!(
        AuthorizationServerMetadata::from_json(br#"{"token_endpoint":"https://as.example/t"}"#)
            .unwrap_err(),
        Error::MissingMember {
            message: MessageKind::AuthorizationServerMetadata,
            member: "issuer".into()
        }
    );
    assert_eq!(
        AuthorizationServerMetadata::from_json(br#"{"issuer":"https://as.example#f"}"#)
            .unwrap_err(),
        Error::InvalidUrl {
            member: "issuer",
            reason: "has a fragment component"
        }
    );
}

#[test]
fn merged_members_land_in_typed_fields_and_a_mistyped_one_is_refused() {
    let mut meta = AuthorizationServerMetadata::new("https://as.example");
    meta.dpop_signing_alg_values_supported = Some(vec!["ES256".into(), "EdDSA".into()]);
    let fragment = json!({
        "token_endpoint_auth_methods_supported": ["attest_jwt_client_auth"],
        "client_attestation_pop_methods_supported": ["attestation_pop_jwt", "none"],
        "dpop_signing_alg_values_supported": ["ES256"],
        "future": 1
    });
    meta.merge_members(fragment.as_object().unwrap().clone())
        .unwrap();
    assert_eq!(
        meta.token_endpoint_auth_methods_supported,
        Some(vec!["attest_jwt_client_auth".to_owned()])
    );
    assert_eq!(
        meta.client_attestation_pop_methods_supported,
        Some(vec!["attestation_pop_jwt".to_owned(), "none".to_owned()])
    );
    // A contributed member replaces the one already there.
    assert_eq!(
        meta.dpop_signing_alg_values_supported,
        Some(vec!["ES256".to_owned()])
    );
    assert_eq!(meta.extra["future"], 1);
    assert!(
        !meta
            .extra
            .contains_key("token_endpoint_auth_methods_supported")
    );

    let before = meta.clone();
    let mistyped = json!({"challenge_endpoint": 7});
    assert!(matches!(
        meta.merge_members(mistyped.as_object().unwrap().clone()),
        Err(Error::InvalidMember {
            message: MessageKind::AuthorizationServerMetadata,
            ..
        })
    ));
    let bad_issuer = json!({"issuer": "https://as.example?q"});
    assert_eq!(
        meta.merge_members(bad_issuer.as_object().unwrap().clone()),
        Err(Error::InvalidUrl {
            member: "issuer",
            reason: "has a query component"
        })
    );
    assert_eq!(meta, before);
}

#[test]
fn format_names_and_credential_display() {
    for format in [
        CredentialFormat::SdJwtVc,
        CredentialFormat::MsoMdoc,
        CredentialFormat::JwtVcJson,
        CredentialFormat::JwtVcJsonLd,
        CredentialFormat::LdpVc,
    ] {
        let name = format.name().unwrap();
        assert_eq!(CredentialFormat::from_name(name), format);
    }
    assert_eq!(CredentialFormat::Other.name(), None);
    let mut display = CredentialDisplay::new("Identity");
    display.locale = Some("en".into());
    assert_eq!(
        serde_json::to_value(&display).unwrap(),
        json!({"name": "Identity", "locale": "en"})
    );
}

#[test]
fn signed_metadata_subject_must_match() {
    let mut claims = base();
    claims["sub"] = json!("https://issuer.example/tenant");
    claims["iat"] = json!(1_700_000_000);
    let signed = SignedMetadataClaims::from_claims(claims.as_object().unwrap().clone()).unwrap();
    assert_eq!(signed.iat, 1_700_000_000);
    assert_eq!(serde_json::to_value(&signed).unwrap(), claims);
    claims["sub"] = json!("https://other.example");
    assert_eq!(
        SignedMetadataClaims::from_claims(claims.as_object().unwrap().clone()).unwrap_err(),
        Error::SignedMetadataSubjectMismatch
    );
    let mut no_iat = base();
    no_iat["sub"] = json!("https://issuer.example/tenant");
    assert_eq!(
        SignedMetadataClaims::from_claims(no_iat.as_object().unwrap().clone()).unwrap_err(),
        Error::MissingMember {
            message: MessageKind::SignedMetadata,
            member: "iat".into()
        }
    );
}

#[test]
fn key_attestations_required_round_trips() {
    let required = KeyAttestationsRequired::new(
        vec!["iso_18045_high".to_owned()],
        vec!["iso_18045_moderate".to_owned()],
    );
    let meta = ProofTypeMetadata::new(&["ES256"]).with_key_attestations_required(required.clone());
    let value = serde_json::to_value(&meta).unwrap();
    assert_eq!(
        value,
        json!({
            "proof_signing_alg_values_supported": ["ES256"],
            "key_attestations_required": {
                "key_storage": ["iso_18045_high"],
                "user_authentication": ["iso_18045_moderate"]
            }
        })
    );
    let back: ProofTypeMetadata = serde_json::from_value(value).unwrap();
    assert_eq!(back.key_attestations_required, Some(required));
    // The empty object: an attestation is required, without constraint.
    let empty = ProofTypeMetadata::new(&["ES256"])
        .with_key_attestations_required(KeyAttestationsRequired::new(vec![], vec![]));
    assert_eq!(
        serde_json::to_value(&empty).unwrap()["key_attestations_required"],
        json!({})
    );
}

#[test]
fn encryption_metadata_constructors_serialise_the_12_2_4_members() {
    use oid4vci_types::{JwkSet, RequestEncryptionMetadata, ResponseEncryptionMetadata};
    let key = json!({"kty": "EC", "crv": "P-256", "kid": "req-1", "use": "enc", "alg": "ECDH-ES",
        "x": "weNJy2HscCSM6AEDTDg04biOvhFhyyWvOHQfeF_PxMQ",
        "y": "e8lnCO-AlStT-NJVX-crhB7QRYhiix03illJOVAOyck"});
    let request = RequestEncryptionMetadata::new(
        JwkSet::new(vec![key.as_object().unwrap().clone()]),
        vec!["A128GCM".into(), "A256GCM".into()],
        true,
    )
    .with_zip_values(vec!["DEF".into()]);
    let response = ResponseEncryptionMetadata::new(
        vec!["ECDH-ES".into()],
        vec!["A128GCM".into(), "A256GCM".into()],
        false,
    );
    let mut meta = base();
    meta["credential_request_encryption"] = serde_json::to_value(&request).unwrap();
    meta["credential_response_encryption"] = serde_json::to_value(&response).unwrap();
    assert_eq!(
        meta["credential_request_encryption"],
        json!({"jwks": {"keys": [key]}, "enc_values_supported": ["A128GCM", "A256GCM"],
            "zip_values_supported": ["DEF"], "encryption_required": true})
    );
    assert_eq!(
        meta["credential_response_encryption"],
        json!({"alg_values_supported": ["ECDH-ES"], "enc_values_supported": ["A128GCM", "A256GCM"],
            "encryption_required": false})
    );
    let parsed = CredentialIssuerMetadata::from_json(meta.to_string().as_bytes()).unwrap();
    assert_eq!(parsed.credential_request_encryption, Some(request));
    assert_eq!(parsed.credential_response_encryption, Some(response));
}
