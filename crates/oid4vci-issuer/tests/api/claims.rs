//! Subject claims per credential configuration: one grant covering an SD-JWT VC and an mdoc
//! issues each its own claims.
#![allow(clippy::unwrap_used, reason = "test helpers outside #[test] fns")]

use crate::FORM;
use std::sync::Arc;

use jose_core::{Algorithm, LocalSigner, SystemRandom, UnixTime};
use oid4vci_issuer::{
    CredentialFormat, CredentialProfile, EndpointRequest, IssuerEngine, IssuerKeys, IssuerSettings,
    SigningKey, SubjectClaims,
};
use pop_verifier::{KeyProofClaims, ProofKey, build_key_proof};
use serde_json::{Map, Value, json};

const NOW: UnixTime = UnixTime::from_secs(1_800_000_000);
const ISSUER: &str = "https://issuer.example";
const PRE_AUTH: &str = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code";
const NAME_SPACE: &str = "org.iso.18013.5.1";

fn object(value: Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap()
}

fn engine() -> IssuerEngine {
    engine_with(IssuerSettings::new(ISSUER))
}

fn engine_with(settings: IssuerSettings) -> IssuerEngine {
    let rng = SystemRandom::new();
    let key = || {
        SigningKey::new(
            Arc::new(LocalSigner::generate(Algorithm::Es256, &rng).unwrap()),
            Vec::new(),
        )
    };
    let pid = CredentialProfile::new(
        "pid",
        CredentialFormat::SdJwtVc {
            vct: "urn:example:pid".into(),
            always_disclosed: Vec::new(),
        },
    );
    let mdl = CredentialProfile::new(
        "mdl",
        CredentialFormat::Mdoc {
            doctype: "org.iso.18013.5.1.mDL".into(),
            name_space: NAME_SPACE.into(),
        },
    );
    IssuerEngine::builder(
        settings,
        vec![pid, mdl],
        IssuerKeys::new(key()).with_mdoc(key()),
        &[9u8; 32],
        Arc::new(SystemRandom::new()),
    )
    .build()
    .unwrap()
}

/// The engine's token response to the form `body`.
fn token_response(engine: &IssuerEngine, body: &str) -> Value {
    engine
        .token(&EndpointRequest::new(&[FORM], body.as_bytes()), NOW)
        .unwrap_or_else(|e| panic!("{}", e.error()))
        .body
        .unwrap()
}

/// A key proof for a fresh holder key, with a fresh c_nonce.
fn key_proof(engine: &IssuerEngine) -> String {
    let holder = LocalSigner::generate(Algorithm::Es256, &SystemRandom::new()).unwrap();
    let nonce = engine.nonce(NOW).unwrap().body.unwrap()["c_nonce"]
        .as_str()
        .unwrap()
        .to_owned();
    build_key_proof(
        &KeyProofClaims::new(ISSUER, NOW).with_nonce(nonce),
        &ProofKey::Jwk(holder.public_jwk()),
        &holder,
    )
    .unwrap()
}

/// The engine's answer to the credential request `body` under `access_token`.
fn post_credential(
    engine: &IssuerEngine,
    access_token: &str,
    body: &Value,
) -> Result<oid4vci_issuer::EndpointResponse, oid4vci_types::OAuthError> {
    let auth = format!("Bearer {access_token}");
    let headers: [(&str, &[u8]); 2] = [
        ("authorization", auth.as_bytes()),
        ("content-type", b"application/json"),
    ];
    let body = body.to_string();
    engine.credential(&EndpointRequest::new(&headers, body.as_bytes()), NOW)
}

/// One credential of `configuration` under `access_token`, with a fresh key proof.
fn credential(engine: &IssuerEngine, access_token: &str, configuration: &str) -> String {
    let body = json!({"credential_configuration_id": configuration, "proofs": {"jwt": [key_proof(engine)]}});
    let answer = post_credential(engine, access_token, &body)
        .unwrap_or_else(|e| panic!("{configuration}: {}", e.error()));
    answer.body.unwrap()["credentials"][0]["credential"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The claim names an SD-JWT discloses.
fn disclosed_names(sd_jwt: &str) -> Vec<String> {
    sd_jwt
        .trim_end_matches('~')
        .split('~')
        .skip(1)
        .map(|d| {
            let array: Value =
                serde_json::from_slice(&jose_core::base64url::decode(d).unwrap()).unwrap();
            array[1].as_str().unwrap().to_owned()
        })
        .collect()
}

/// The element identifiers of an mdoc's name space.
fn element_names(issuer_signed: &str) -> Vec<String> {
    let bytes = jose_core::base64url::decode(issuer_signed).unwrap();
    let parsed = mdoc_cbor::IssuerSigned::parse(&bytes, &mdoc_cbor::Limits::default()).unwrap();
    let (name_space, items) = &parsed.name_spaces[0];
    assert_eq!(*name_space, NAME_SPACE);
    items
        .iter()
        .map(|item| item.identifier.to_owned())
        .collect()
}

#[test]
fn one_grant_issues_each_configuration_its_own_claims() {
    let engine = engine();
    let claims = SubjectClaims::new(object(
        json!({"given_name": "Erika", "birthdate": "1984-01-26"}),
    ))
    .with_configuration(
        "mdl",
        object(
            json!({"given_name": "Erika", "birth_date": "1984-01-26", "document_number": "D-1"}),
        ),
    );
    let code = engine
        .create_pre_authorized_code(vec!["pid".into(), "mdl".into()], claims, None, NOW)
        .unwrap();
    let body = format!("{PRE_AUTH}&pre-authorized_code={code}");
    let tokens = token_response(&engine, &body);
    let access_token = tokens["access_token"].as_str().unwrap();

    let mut pid = disclosed_names(&credential(&engine, access_token, "pid"));
    pid.sort();
    assert_eq!(pid, ["birthdate", "given_name"]);
    let mut mdl = element_names(&credential(&engine, access_token, "mdl"));
    mdl.sort();
    assert_eq!(mdl, ["birth_date", "document_number", "given_name"]);
}

/// An mdoc carries at least one data element (ISO 18013-5 §9.1.2.4; readers refuse an MSO
/// without): a pre-authorized code for an `mso_mdoc` configuration without claims is refused
/// when it is made, not at the credential request it could only fail.
#[test]
fn an_mdoc_offer_without_claims_is_refused() {
    let engine = engine();
    let common_only = SubjectClaims::new(object(json!({"given_name": "Erika"})));
    let no_mdl_claims = SubjectClaims::new(object(json!({"given_name": "Erika"})))
        .with_configuration("mdl", Map::new());
    let empty_name_space = SubjectClaims::new(object(json!({"given_name": "Erika"})))
        .with_configuration("mdl", object(json!({"org.iso.18013.5.1": {}})));
    for claims in [
        SubjectClaims::new(Map::new()),
        no_mdl_claims,
        empty_name_space,
    ] {
        let refused = engine
            .create_pre_authorized_code(vec!["pid".into(), "mdl".into()], claims, None, NOW)
            .unwrap_err();
        assert_eq!(
            (refused.status(), refused.error()),
            (400, "invalid_request")
        );
        assert!(
            refused.description().contains("mdl"),
            "{}",
            refused.description()
        );
    }
    // The SD-JWT VC alone may go without claims; the mdoc with the common ones is fine.
    engine
        .create_pre_authorized_code(vec!["pid".into()], Map::new(), None, NOW)
        .unwrap();
    engine
        .create_pre_authorized_code(vec!["mdl".into()], common_only, None, NOW)
        .unwrap();
}

/// Claims no credential of the configuration could carry are refused when the code is made
/// (the exact error, naming the configuration and the claim), as minting would refuse them at
/// the credential request: a claim the SD-JWT VC builder sets or SD-JWT reserves, at any
/// depth, and an mDL element of the wrong ISO 18013-5 type.
#[test]
fn claims_no_credential_could_carry_are_refused_with_the_offer() {
    let engine = engine();
    let reserved = |name: &str| sdjwt_vc::Error::ClaimReserved { name: name.into() };
    let cases = [
        (
            "pid",
            SubjectClaims::new(object(json!({"iss": "https://evil.example"}))),
            reserved("iss").to_string(),
        ),
        (
            "pid",
            SubjectClaims::new(object(json!({"address": {"_sd": ["x"]}}))),
            reserved("_sd").to_string(),
        ),
        (
            "mdl",
            SubjectClaims::new(Map::new())
                .with_configuration("mdl", object(json!({NAME_SPACE: {"age_over_18": "yes"}}))),
            mdoc_cbor::Error::InvalidElement {
                identifier: "age_over_18".into(),
                reason: "expected a JSON boolean",
            }
            .to_string(),
        ),
    ];
    for (id, claims, reason) in cases {
        // error_description has no `"` (RFC 6749 §5.2): the engine writes `'` instead.
        let description =
            format!("the claims cannot be issued as {id}: {reason}").replace('"', "'");
        let refused = engine
            .create_pre_authorized_code(vec![id.into()], claims.clone(), None, NOW)
            .unwrap_err();
        assert_eq!(
            (refused.status(), refused.error(), refused.description()),
            (400, "invalid_request", description.as_str())
        );
        assert_eq!(engine.check_claims(&[id.into()], &claims), Err(refused));
    }
    assert_eq!(
        engine
            .check_claims(&["nope".into()], &SubjectClaims::new(Map::new()))
            .unwrap_err()
            .error(),
        "unknown_credential_configuration"
    );
    let fine = SubjectClaims::new(object(
        json!({"given_name": "Erika", "address": {"street": "x"}}),
    ))
    .with_configuration("mdl", object(json!({NAME_SPACE: {"age_over_18": true}})));
    assert_eq!(
        engine.check_claims(&["pid".into(), "mdl".into()], &fine),
        Ok(())
    );
}

#[test]
fn claims_for_a_configuration_replace_the_common_ones_only_there() {
    let claims = SubjectClaims::new(object(json!({"a": 1})))
        .with_configuration("mdl", object(json!({"b": 2})));
    assert_eq!(claims.for_configuration("pid"), &object(json!({"a": 1})));
    assert_eq!(claims.for_configuration("mdl"), &object(json!({"b": 2})));
    assert_eq!(claims.common(), &object(json!({"a": 1})));
    assert_eq!(claims.by_configuration().len(), 1);
    assert_eq!(
        SubjectClaims::from(object(json!({"a": 1}))),
        SubjectClaims::new(object(json!({"a": 1})))
    );
}

/// `draft_credential_requests` reads two pre-1.0 shapes (Sphereon's oid4vci-client 0.20 sends
/// both), each with a warning; off (the default), they are refused as OpenID4VCI 1.0 has it.
#[test]
fn draft_credential_requests_are_read_only_when_enabled() {
    for enabled in [false, true] {
        let mut settings = IssuerSettings::new(ISSUER);
        settings.draft_credential_requests = enabled;
        let engine = engine_with(settings);
        let code = engine
            .create_pre_authorized_code(
                vec!["pid".into()],
                object(json!({"given_name": "Erika"})),
                None,
                NOW,
            )
            .unwrap();
        let details = r#"[{"type":"openid_credential","credential_configuration_id":"pid"}]"#;
        let body = format!(
            "{PRE_AUTH}&pre-authorized_code={code}&authorization_details={}",
            details
                .bytes()
                .map(|b| format!("%{b:02X}"))
                .collect::<String>()
        );
        let tokens = token_response(&engine, &body);
        let access_token = tokens["access_token"].as_str().unwrap();
        let identifier = tokens["authorization_details"][0]["credential_identifiers"][0]
            .as_str()
            .unwrap();
        let singular = json!({"credential_identifier": identifier,
            "proof": {"proof_type": "jwt", "jwt": key_proof(&engine)}});
        let by_configuration =
            json!({"credential_configuration_id": "pid", "proofs": {"jwt": [key_proof(&engine)]}});
        let answers = [
            post_credential(&engine, access_token, &singular),
            post_credential(&engine, access_token, &by_configuration),
        ];
        if enabled {
            let warnings: Vec<Vec<String>> = answers
                .into_iter()
                .map(|a| {
                    let a = a.unwrap_or_else(|e| panic!("{}", e.description()));
                    assert_eq!(a.status, 200);
                    a.warnings
                })
                .collect();
            assert_eq!(
                warnings,
                [
                    vec![
                        "credential request with the pre-1.0 member proof, read as proofs"
                            .to_owned()
                    ],
                    vec![format!(
                        "credential request by credential_configuration_id pid where a \
                         credential_identifier was issued (pre-1.0 shape), read as that identifier"
                    )],
                ]
            );
        } else {
            let refused: Vec<(u16, String, String)> = answers
                .into_iter()
                .map(|a| {
                    let e = a.err().unwrap();
                    (e.status(), e.error().to_owned(), e.description().to_owned())
                })
                .collect();
            assert_eq!(
                refused,
                [
                    (
                        400,
                        "invalid_proof".to_owned(),
                        "credential request uses 'proof', a member of the drafts before OpenID4VCI 1.0 that 1.0 removed".to_owned()
                    ),
                    (
                        400,
                        "invalid_credential_request".to_owned(),
                        "the token response issued credential_identifiers: request by credential_identifier".to_owned()
                    ),
                ]
            );
        }
    }
}
