//! The pure validation helpers.

use std::collections::BTreeMap;

use oid4vci_types::{
    CredentialIssuerMetadata, CredentialOffer, CredentialRequest, Error, ParseOptions,
    TokenRequest, validate_credential_request, validate_token_request_against_offer,
};
use serde_json::{Value, json};

fn metadata(batch: Option<u64>) -> CredentialIssuerMetadata {
    let mut v = json!({
        "credential_issuer": "https://issuer.example",
        "credential_endpoint": "https://issuer.example/credential",
        "credential_configurations_supported": {
            "pid": {
                "format": "dc+sd-jwt",
                "vct": "urn:eudi:pid:1",
                "proof_types_supported": {
                    "jwt": { "proof_signing_alg_values_supported": ["ES256", "ES384"] },
                    "attestation": { "proof_signing_alg_values_supported": ["ES256"], "key_attestations_required": {} }
                }
            },
            "mdl": { "format": "mso_mdoc", "doctype": "org.iso.18013.5.1.mDL", "proof_types_supported": { "jwt": { "proof_signing_alg_values_supported": ["ES256"] } } },
            "diploma": { "format": "jwt_vc_json", "credential_definition": { "type": ["VerifiableCredential", "Diploma"] } }
        }
    });
    if let Some(b) = batch {
        v["batch_credential_issuance"] = json!({ "batch_size": b });
    }
    CredentialIssuerMetadata::from_json(v.to_string().as_bytes()).unwrap()
}

fn req(v: Value) -> CredentialRequest {
    CredentialRequest::parse(
        v.to_string().as_bytes(),
        &ParseOptions::draft13_compatible(),
    )
    .unwrap()
}

#[test]
fn credential_request_against_metadata() {
    let meta = metadata(None);
    let none = BTreeMap::new();
    let ok = req(json!({ "credential_configuration_id": "pid", "proofs": { "jwt": ["a"] } }));
    let (id, config) = validate_credential_request(&ok, &meta, &none, &["ES256"]).unwrap();
    assert_eq!((id, config.format.as_str()), ("pid", "dc+sd-jwt"));

    let cases: Vec<(Value, &[&str], Error)> = vec![
        (
            json!({ "credential_configuration_id": "nope", "proofs": { "jwt": ["a"] } }),
            &["ES256"],
            Error::UnknownCredentialConfiguration { id: "nope".into() },
        ),
        (
            json!({ "credential_identifier": "pid-1" }),
            &[],
            Error::UnknownCredentialIdentifier { id: "pid-1".into() },
        ),
        (
            json!({ "credential_configuration_id": "pid" }),
            &[],
            Error::MissingProofs {
                configuration_id: "pid".into(),
            },
        ),
        (
            json!({ "credential_configuration_id": "diploma", "proofs": { "jwt": ["a"] } }),
            &["ES256"],
            Error::ProofsNotExpected {
                configuration_id: "diploma".into(),
            },
        ),
        (
            json!({ "credential_configuration_id": "mdl", "proofs": { "attestation": ["a"] } }),
            &["ES256"],
            Error::UnsupportedProofType {
                proof_type: "attestation".into(),
            },
        ),
        (
            json!({ "credential_configuration_id": "pid", "proofs": { "jwt": ["a", "b"] } }),
            &["ES256", "ES256"],
            Error::TooManyProofs { count: 2, max: 1 },
        ),
        (
            json!({ "credential_configuration_id": "pid", "proofs": { "jwt": ["a"] } }),
            &["RS256"],
            Error::ProofAlgorithmNotAllowed {
                alg: "RS256".into(),
            },
        ),
        (
            json!({ "format": "mso_mdoc", "doctype": "org.iso.18013.5.1.other" }),
            &[],
            Error::UnknownCredentialConfiguration {
                id: "mso_mdoc".into(),
            },
        ),
    ];
    for (body, algs, want) in cases {
        assert_eq!(
            validate_credential_request(&req(body.clone()), &meta, &none, algs).unwrap_err(),
            want,
            "{body}"
        );
    }
    // no proof types and no proofs: fine.
    let diploma = req(json!({ "credential_configuration_id": "diploma" }));
    assert_eq!(
        validate_credential_request(&diploma, &meta, &none, &[])
            .unwrap()
            .0,
        "diploma"
    );
}

#[test]
fn batch_size_and_identifiers() {
    let meta = metadata(Some(3));
    let ids = BTreeMap::from([
        ("pid-1".to_owned(), "pid".to_owned()),
        ("gone".to_owned(), "removed".to_owned()),
    ]);
    let three =
        req(json!({ "credential_identifier": "pid-1", "proofs": { "jwt": ["a", "b", "c"] } }));
    assert_eq!(
        validate_credential_request(&three, &meta, &ids, &["ES256", "ES384", "ES256"])
            .unwrap()
            .0,
        "pid"
    );
    let four =
        req(json!({ "credential_identifier": "pid-1", "proofs": { "jwt": ["a", "b", "c", "d"] } }));
    assert_eq!(
        validate_credential_request(&four, &meta, &ids, &[]).unwrap_err(),
        Error::TooManyProofs { count: 4, max: 3 }
    );
    let stale = req(json!({ "credential_identifier": "gone" }));
    assert_eq!(
        validate_credential_request(&stale, &meta, &ids, &[]).unwrap_err(),
        Error::UnknownCredentialConfiguration {
            id: "removed".into()
        }
    );
}

#[test]
fn draft13_targets_resolve_by_format_details() {
    let meta = metadata(None);
    let none = BTreeMap::new();
    let sd = req(
        json!({ "format": "vc+sd-jwt", "vct": "urn:eudi:pid:1", "proof": { "proof_type": "jwt", "jwt": "a" } }),
    );
    assert_eq!(
        validate_credential_request(&sd, &meta, &none, &["ES256"])
            .unwrap()
            .0,
        "pid"
    );
    let mdoc = req(
        json!({ "format": "mso_mdoc", "doctype": "org.iso.18013.5.1.mDL", "proofs": { "jwt": ["a"] } }),
    );
    assert_eq!(
        validate_credential_request(&mdoc, &meta, &none, &["ES256"])
            .unwrap()
            .0,
        "mdl"
    );
    let w3c = req(
        json!({ "format": "jwt_vc_json", "credential_definition": { "type": ["VerifiableCredential", "Diploma"] } }),
    );
    assert_eq!(
        validate_credential_request(&w3c, &meta, &none, &[])
            .unwrap()
            .0,
        "diploma"
    );
}

fn offer(grants: Value) -> CredentialOffer {
    let v = json!({ "credential_issuer": "https://issuer.example", "credential_configuration_ids": ["pid"], "grants": grants });
    CredentialOffer::from_json(v.to_string().as_bytes()).unwrap()
}

const PRE: &str = "urn:ietf:params:oauth:grant-type:pre-authorized_code";

fn token(body: &str) -> TokenRequest {
    TokenRequest::parse_form(body.as_bytes()).unwrap()
}

#[test]
fn token_request_against_offer() {
    let with_tx = offer(json!({ PRE: { "pre-authorized_code": "abc", "tx_code": {} } }));
    let without_tx = offer(json!({ PRE: { "pre-authorized_code": "abc" } }));
    let auth_only = offer(json!({ "authorization_code": { "issuer_state": "s" } }));
    let pre_with = token(
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code&pre-authorized_code=abc&tx_code=1234",
    );
    let pre_without = token(
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code&pre-authorized_code=abc",
    );
    let pre_other = token(
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code&pre-authorized_code=xyz&tx_code=1",
    );
    let code = token("grant_type=authorization_code&code=c");

    assert_eq!(
        validate_token_request_against_offer(&pre_with, &with_tx),
        Ok(())
    );
    assert_eq!(
        validate_token_request_against_offer(&pre_without, &with_tx),
        Err(Error::TxCodeRequired)
    );
    assert_eq!(
        validate_token_request_against_offer(&pre_without, &without_tx),
        Ok(())
    );
    assert_eq!(
        validate_token_request_against_offer(&pre_with, &without_tx),
        Err(Error::TxCodeUnexpected)
    );
    assert_eq!(
        validate_token_request_against_offer(&pre_other, &with_tx),
        Err(Error::PreAuthorizedCodeMismatch)
    );
    assert_eq!(
        validate_token_request_against_offer(&pre_with, &auth_only),
        Err(Error::GrantNotOffered { grant_type: PRE })
    );
    assert_eq!(
        validate_token_request_against_offer(&code, &auth_only),
        Ok(())
    );
    assert_eq!(
        validate_token_request_against_offer(&code, &with_tx),
        Err(Error::GrantNotOffered {
            grant_type: "authorization_code"
        })
    );
    let no_grants = CredentialOffer::from_json(
        br#"{"credential_issuer":"https://issuer.example","credential_configuration_ids":["pid"]}"#,
    )
    .unwrap();
    assert_eq!(
        validate_token_request_against_offer(&code, &no_grants),
        Ok(())
    );
    assert_eq!(
        validate_token_request_against_offer(&pre_with, &no_grants),
        Err(Error::GrantNotOffered { grant_type: PRE })
    );
}

fn encryption_metadata(
    request_required: bool,
    response_required: bool,
) -> CredentialIssuerMetadata {
    let v = json!({
        "credential_issuer": "https://issuer.example",
        "credential_endpoint": "https://issuer.example/credential",
        "credential_request_encryption": {
            "jwks": { "keys": [ { "kty": "EC", "kid": "ac", "crv": "P-256", "x": "x", "y": "y" } ] },
            "enc_values_supported": ["A128GCM"],
            "encryption_required": request_required
        },
        "credential_response_encryption": {
            "alg_values_supported": ["ECDH-ES"],
            "enc_values_supported": ["A128GCM", "A256GCM"],
            "zip_values_supported": ["DEF"],
            "encryption_required": response_required
        },
        "credential_configurations_supported": {}
    });
    CredentialIssuerMetadata::from_json(v.to_string().as_bytes()).unwrap()
}

fn encrypted_request(params: Value) -> CredentialRequest {
    req(json!({ "credential_configuration_id": "pid", "credential_response_encryption": params }))
}

#[test]
fn request_encryption_rules() {
    use oid4vci_types::validate_request_encryption as check;
    let lenient = encryption_metadata(false, false);
    let strict = encryption_metadata(true, true);
    let good = encrypted_request(
        json!({ "jwk": { "kty": "EC", "alg": "ECDH-ES" }, "enc": "A256GCM", "zip": "DEF" }),
    );
    let good_params = good.credential_response_encryption.as_ref();
    assert_eq!(check(good_params, &strict, true), Ok(()));
    assert_eq!(check(None, &lenient, false), Ok(()));
    assert_eq!(
        check(None, &strict, false),
        Err(Error::EncryptionRequired {
            member: "credential_request_encryption"
        })
    );
    assert_eq!(
        check(None, &strict, true),
        Err(Error::EncryptionRequired {
            member: "credential_response_encryption"
        })
    );
    assert_eq!(
        check(good_params, &lenient, false),
        Err(Error::PlaintextRequestWithResponseEncryption)
    );
    let no_alg = encrypted_request(json!({ "jwk": { "kty": "EC" }, "enc": "A128GCM" }));
    assert_eq!(
        check(
            no_alg.credential_response_encryption.as_ref(),
            &lenient,
            true
        ),
        Err(Error::MissingMember {
            message: oid4vci_types::MessageKind::CredentialRequest,
            member: "credential_response_encryption.jwk.alg".into()
        })
    );
    for (params, member, value) in [
        (
            json!({ "jwk": { "alg": "RSA-OAEP-256" }, "enc": "A128GCM" }),
            "jwk.alg",
            "RSA-OAEP-256",
        ),
        (
            json!({ "jwk": { "alg": "ECDH-ES" }, "enc": "A192GCM" }),
            "enc",
            "A192GCM",
        ),
        (
            json!({ "jwk": { "alg": "ECDH-ES" }, "enc": "A128GCM", "zip": "GZ" }),
            "zip",
            "GZ",
        ),
    ] {
        let r = encrypted_request(params);
        let err = check(r.credential_response_encryption.as_ref(), &lenient, true).unwrap_err();
        assert_eq!(
            err,
            Error::UnsupportedEncryptionParameter {
                member,
                value: value.into()
            }
        );
        assert_eq!(
            err.credential_error_code(),
            oid4vci_types::CredentialErrorCode::InvalidEncryptionParameters
        );
    }
    let mut none_offered = lenient.clone();
    none_offered.credential_response_encryption = None;
    assert_eq!(
        check(good_params, &none_offered, true),
        Err(Error::EncryptionNotSupported {
            member: "credential_response_encryption"
        })
    );
}
