//! Issue 10 §6: the served metadata documents are valid by the libraries' own rules: each is
//! fetched over HTTP and read with the parser a wallet uses (oid4vci-types'
//! `CredentialIssuerMetadata` / `AuthorizationServerMetadata`, sdjwt-vc's `IssuerMetadata`),
//! and every member lands in a typed field.

use std::collections::BTreeMap;

use examples::config::{
    DEFERRED_CONFIGURATION_ID, DEMO_KEY_STORAGE_REQUIRED, DEMO_USER_AUTHENTICATION_REQUIRED,
    IDENTITY_CONFIGURATION_ID, IssuerConfig, KEY_ATTESTED_CONFIGURATION_ID, MDL_CONFIGURATION_ID,
};
use examples::error::DemoError;
use jose_core::UnixTime;
use oid4vci_types::{
    AlgorithmIdentifier, AuthorizationServerMetadata, CredentialFormat, CredentialIssuerMetadata,
    CredentialRequest, Error, KeyAttestationsRequired, ParseOptions, validate_credential_request,
};
use serde_json::{Value, json};

use crate::common::{START, TestEnv};

const ALGORITHMS: [&str; 4] = ["ES256", "ES384", "ES512", "EdDSA"];

/// The body of `GET {base}/.well-known/{suffix}`, as bytes (what a wallet parses).
fn fetch(base: &str, suffix: &str) -> Vec<u8> {
    let mut response = ureq::get(&format!("{base}/.well-known/{suffix}"))
        .call()
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.headers().get("content-type").map(|v| v.as_bytes()),
        Some(&b"application/json"[..])
    );
    // Public documents, readable from a web page on any origin.
    assert_eq!(
        response
            .headers()
            .get("access-control-allow-origin")
            .map(|v| v.as_bytes()),
        Some(&b"*"[..])
    );
    response.body_mut().read_to_vec().unwrap()
}

fn strings(items: &[&str]) -> Option<Vec<String>> {
    Some(items.iter().map(|s| (*s).to_owned()).collect())
}

fn credential_issuer(t: &TestEnv) -> CredentialIssuerMetadata {
    let bytes = fetch(&t.env.issuer_url, "openid-credential-issuer");
    CredentialIssuerMetadata::from_json(&bytes).unwrap()
}

fn authorization_server(t: &TestEnv) -> AuthorizationServerMetadata {
    let bytes = fetch(&t.env.issuer_url, "oauth-authorization-server");
    AuthorizationServerMetadata::from_json(&bytes).unwrap()
}

fn request(configuration_id: &str, proofs: usize) -> CredentialRequest {
    let body = json!({
        "credential_configuration_id": configuration_id,
        "proofs": {"jwt": vec!["proof"; proofs]}
    });
    CredentialRequest::parse(body.to_string().as_bytes(), &ParseOptions::strict()).unwrap()
}

#[test]
fn credential_issuer_metadata_parses_with_every_member_typed() {
    let t = TestEnv::start();
    let base = t.env.issuer_url.as_str();
    let meta = credential_issuer(&t);
    assert_eq!(meta.credential_issuer, base);
    assert_eq!(meta.credential_endpoint, format!("{base}/credential"));
    assert_eq!(meta.nonce_endpoint, Some(format!("{base}/nonce")));
    assert_eq!(
        meta.deferred_credential_endpoint,
        Some(format!("{base}/deferred_credential"))
    );
    assert_eq!(
        meta.notification_endpoint,
        Some(format!("{base}/notification"))
    );
    assert_eq!(meta.authorization_servers, None);
    assert_eq!(meta.max_proofs(), 3);
    let display = meta.display.as_deref().unwrap();
    assert_eq!(display.len(), 1);
    assert_eq!(display[0].name.as_deref(), Some("Demo Credential Issuer"));
    assert_eq!(display[0].locale.as_deref(), Some("en"));
    assert!(meta.extra.is_empty(), "untyped members: {:?}", meta.extra);

    let ids: Vec<&str> = meta
        .credential_configurations_supported
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        ids,
        [
            IDENTITY_CONFIGURATION_ID,
            DEFERRED_CONFIGURATION_ID,
            KEY_ATTESTED_CONFIGURATION_ID,
            MDL_CONFIGURATION_ID
        ]
    );
    for (id, config) in &meta.credential_configurations_supported {
        assert!(config.extra.is_empty(), "{id}: untyped {:?}", config.extra);
        assert_eq!(config.scope.as_deref(), Some(id.as_str()));
        let proof_types = config.proof_types_supported.as_ref().unwrap();
        let jwt = &proof_types["jwt"];
        assert_eq!(
            jwt.proof_signing_alg_values_supported,
            strings(&ALGORITHMS).unwrap()
        );
        if id == KEY_ATTESTED_CONFIGURATION_ID {
            // Key attestation required, in a jwt proof's header or as the attestation proof.
            assert_eq!(
                proof_types.keys().collect::<Vec<_>>(),
                [&"attestation".to_owned(), &"jwt".to_owned()]
            );
            let required = KeyAttestationsRequired::new(
                strings(DEMO_KEY_STORAGE_REQUIRED).unwrap(),
                strings(DEMO_USER_AUTHENTICATION_REQUIRED).unwrap(),
            );
            for proof_type in proof_types.values() {
                assert_eq!(
                    proof_type.key_attestations_required.as_ref(),
                    Some(&required)
                );
            }
        } else {
            assert_eq!(proof_types.keys().collect::<Vec<_>>(), [&"jwt".to_owned()]);
            assert_eq!(jwt.key_attestations_required, None);
        }
        let credential_metadata = config.credential_metadata.as_ref().unwrap();
        let names: Vec<(&str, Option<&str>)> = credential_metadata
            .display
            .as_deref()
            .unwrap()
            .iter()
            .map(|d| (d.name.as_str(), d.locale.as_deref()))
            .collect();
        assert_eq!(names, [(id.as_str(), Some("en"))]);
        // Every claim described has a path of names and an English label; an mdoc's path
        // is [name space, element].
        let claims = credential_metadata.claims.as_deref().unwrap();
        let paths: Vec<Value> = claims
            .iter()
            .map(|c| serde_json::to_value(&c.path).unwrap())
            .collect();
        for (claim, path) in claims.iter().zip(&paths) {
            let label = &claim.display.as_deref().unwrap()[0];
            assert_eq!(label.locale.as_deref(), Some("en"), "{path}");
            assert!(label.name.as_deref().is_some_and(|n| !n.is_empty()));
        }
        if id == MDL_CONFIGURATION_ID {
            assert!(paths.contains(&json!([mdoc_cbor::MDL_NAME_SPACE, "portrait"])));
            assert!(paths.iter().all(
                |p| p[0] == mdoc_cbor::MDL_NAME_SPACE && p.as_array().map(Vec::len) == Some(2)
            ));
        } else {
            assert_eq!(
                paths,
                [
                    json!(["given_name"]),
                    json!(["family_name"]),
                    json!(["birthdate"])
                ]
            );
        }
    }
    let identity = &meta.credential_configurations_supported[IDENTITY_CONFIGURATION_ID];
    assert_eq!(identity.format_kind(), CredentialFormat::SdJwtVc);
    assert_eq!(
        identity.vct.as_deref(),
        Some(examples::config::IDENTITY_VCT)
    );
    assert_eq!(identity.doctype, None);
    assert_eq!(
        identity.cryptographic_binding_methods_supported,
        strings(&["jwk"])
    );
    assert_eq!(
        identity.credential_signing_alg_values_supported,
        Some(vec![AlgorithmIdentifier::Name("ES256".into())])
    );
    let mdl = &meta.credential_configurations_supported[MDL_CONFIGURATION_ID];
    assert_eq!(mdl.format_kind(), CredentialFormat::MsoMdoc);
    assert_eq!(mdl.doctype.as_deref(), Some(mdoc_cbor::MDL_DOC_TYPE));
    assert_eq!(mdl.vct, None);
    assert_eq!(
        mdl.cryptographic_binding_methods_supported,
        strings(&["cose_key"])
    );
    assert_eq!(
        mdl.credential_signing_alg_values_supported,
        Some(vec![AlgorithmIdentifier::Cose(-7)])
    );

    // The library's own request validation works against the served document.
    let issued = BTreeMap::new();
    let (id, _) = validate_credential_request(
        &request(MDL_CONFIGURATION_ID, 3),
        &meta,
        &issued,
        &["EdDSA"],
    )
    .unwrap();
    assert_eq!(id, MDL_CONFIGURATION_ID);
    assert_eq!(
        validate_credential_request(
            &request(IDENTITY_CONFIGURATION_ID, 4),
            &meta,
            &issued,
            &["ES256"]
        ),
        Err(Error::TooManyProofs { count: 4, max: 3 })
    );
    assert_eq!(
        validate_credential_request(
            &request(IDENTITY_CONFIGURATION_ID, 1),
            &meta,
            &issued,
            &["RS256"]
        ),
        Err(Error::ProofAlgorithmNotAllowed {
            alg: "RS256".into()
        })
    );
}

#[test]
fn authorization_server_metadata_carries_the_attestation_members_typed() {
    let t = TestEnv::start();
    let base = t.env.issuer_url.as_str();
    let meta = authorization_server(&t);
    assert_eq!(meta.issuer, base);
    assert_eq!(meta.token_endpoint, Some(format!("{base}/token")));
    assert_eq!(
        meta.grant_types_supported,
        strings(&[
            "authorization_code",
            "urn:ietf:params:oauth:grant-type:pre-authorized_code",
            "refresh_token"
        ])
    );
    // The HAIP code flow: PAR required, PKCE S256, RFC 9207 `iss`.
    assert_eq!(
        meta.authorization_endpoint,
        Some(format!("{base}/authorize"))
    );
    assert_eq!(
        meta.pushed_authorization_request_endpoint,
        Some(format!("{base}/par"))
    );
    assert_eq!(meta.require_pushed_authorization_requests, Some(true));
    assert_eq!(meta.code_challenge_methods_supported, strings(&["S256"]));
    assert_eq!(
        meta.authorization_response_iss_parameter_supported,
        Some(true)
    );
    assert_eq!(meta.response_types_supported, strings(&["code"]));
    assert!(
        meta.scopes_supported
            .as_ref()
            .is_some_and(|s| s.contains(&"IdentityCredential".to_owned())),
        "{:?}",
        meta.scopes_supported
    );
    // clientAttestationConfig.required: no anonymous access.
    assert_eq!(
        meta.pre_authorized_grant_anonymous_access_supported,
        Some(false)
    );
    assert_eq!(meta.dpop_signing_alg_values_supported, strings(&ALGORITHMS));
    assert_eq!(
        meta.authorization_details_types_supported,
        strings(&["openid_credential"])
    );
    assert_eq!(
        meta.token_endpoint_auth_methods_supported,
        strings(&["attest_jwt_client_auth"])
    );
    assert_eq!(
        meta.client_attestation_signing_alg_values_supported,
        strings(&ALGORITHMS)
    );
    assert_eq!(
        meta.client_attestation_pop_signing_alg_values_supported,
        strings(&ALGORITHMS)
    );
    assert_eq!(
        meta.client_attestation_pop_methods_supported,
        strings(&["attestation_pop_jwt"])
    );
    assert_eq!(meta.challenge_endpoint, None);
    assert_eq!(meta.token_endpoint_auth_signing_alg_values_supported, None);
    assert!(meta.extra.is_empty(), "untyped members: {:?}", meta.extra);
}

#[test]
fn lenient_attestation_with_challenge_is_anonymous_and_names_the_challenge_endpoint() {
    let t = TestEnv::with(
        Some(json!({
            "required": false,
            "verificationMethod": {"type": "kms-key", "keyReference": "demo-attester"},
            "challengeRequired": true
        })),
        |_| {},
    );
    let base = t.env.issuer_url.as_str();
    let meta = authorization_server(&t);
    assert_eq!(
        meta.pre_authorized_grant_anonymous_access_supported,
        Some(true)
    );
    assert_eq!(
        meta.client_attestation_pop_methods_supported,
        strings(&["attestation_pop_jwt", "none"])
    );
    // An unauthenticated client is accepted too, and RFC 8414 says so with `none`.
    assert_eq!(
        meta.token_endpoint_auth_methods_supported,
        strings(&["attest_jwt_client_auth", "none"])
    );
    assert_eq!(meta.challenge_endpoint, Some(format!("{base}/challenge")));
    assert!(meta.extra.is_empty(), "untyped members: {:?}", meta.extra);
}

#[test]
fn without_attestation_or_batches_the_optional_members_are_absent() {
    let t = TestEnv::with(Some(Value::Null), |config| config.batch_size = 1);
    let meta = authorization_server(&t);
    assert_eq!(
        meta.pre_authorized_grant_anonymous_access_supported,
        Some(true)
    );
    // Every client is anonymous: `none`, not RFC 8414's default `client_secret_basic`.
    assert_eq!(
        meta.token_endpoint_auth_methods_supported,
        strings(&["none"])
    );
    assert_eq!(meta.response_modes_supported, strings(&["query"]));
    assert_eq!(meta.client_attestation_pop_methods_supported, None);
    assert_eq!(meta.dpop_signing_alg_values_supported, strings(&ALGORITHMS));
    let issuer = credential_issuer(&t);
    assert_eq!(issuer.batch_credential_issuance, None);
    assert_eq!(issuer.max_proofs(), 1);
}

#[test]
fn jwt_vc_issuer_metadata_parses_with_the_credential_key() {
    let t = TestEnv::start();
    let bytes = fetch(&t.env.issuer_url, "jwt-vc-issuer");
    let meta = sdjwt_vc::IssuerMetadata::from_json(&bytes).unwrap();
    assert_eq!(meta.issuer(), t.env.issuer_url);
    assert_eq!(meta.keys().len(), 1);
    assert_eq!(meta.keys()[0].kid(), Some(t.env.issuer.kid().as_str()));
    assert!(meta.keys()[0].same_key(&t.env.issuer.signer_jwk()));
}

#[test]
fn an_unknown_format_is_refused_when_the_configuration_is_read() {
    let text = IssuerConfig::default_config().to_json().unwrap();
    let bad = text.replacen("\"mso_mdoc\"", "\"jwt_vc_json\"", 1);
    assert_ne!(bad, text);
    let Err(DemoError::Config(message)) = IssuerConfig::from_json(&bad) else {
        panic!("an unknown format was accepted");
    };
    assert!(
        message.starts_with(
            "format: unsupported credential format `jwt_vc_json` (expected `dc+sd-jwt` or `mso_mdoc`) at line "
        ),
        "{message}"
    );
}

#[test]
fn a_format_the_demo_does_not_issue_stops_the_issuer_at_start_up() {
    let mut config = IssuerConfig::default_config();
    config.keystore = None;
    config.client_attestation_config = None;
    config.credential_configurations[0].format = CredentialFormat::LdpVc;
    assert!(matches!(config.to_json(), Err(DemoError::Config(_))));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let clock: std::sync::Arc<dyn examples::clock::Clock> = std::sync::Arc::new(
        examples::clock::ManualClock::new(UnixTime::from_secs(START)),
    );
    let result = runtime.block_on(examples::issuer::start(
        config,
        "127.0.0.1:0",
        examples::keystore::Keystore::new(),
        clock,
        &examples::issuer::Storage::InMemory,
    ));
    match result {
        Err(error @ DemoError::Config(_)) => assert_eq!(
            error.to_string(),
            "configuration: IdentityCredential: unsupported format LdpVc (expected dc+sd-jwt or mso_mdoc)"
        ),
        Err(other) => panic!("unexpected error: {other}"),
        Ok(_) => panic!("the issuer started with an ldp_vc configuration"),
    }
}

/// A plain-http issuer identifier off loopback cannot publish client attestation metadata
/// (RFC 8414: https, http only on loopback): start-up refuses it with a message that names the
/// identifier and what to change, not a metadata member.
#[test]
fn a_plain_http_identifier_off_loopback_is_refused_with_what_to_change() {
    let mut config = IssuerConfig::default_config();
    config.key_attestation_config = None;
    config
        .credential_configurations
        .retain(|c| c.key_attestations_required.is_none());
    let clock: std::sync::Arc<dyn examples::clock::Clock> = std::sync::Arc::new(
        examples::clock::ManualClock::new(UnixTime::from_secs(START)),
    );
    let mut keystore = examples::keystore::Keystore::new();
    keystore
        .generate(
            "demo-attester",
            jose_core::Algorithm::Es256,
            &jose_core::SystemRandom::new(),
        )
        .unwrap();
    let Err(error) = examples::issuer::IssuerState::new(
        config,
        "http://192.0.2.10:8080".to_owned(),
        keystore,
        clock,
    ) else {
        panic!("a plain http identifier off loopback started")
    };
    let message = error.to_string();
    assert!(
        message.contains("http://192.0.2.10:8080") && message.contains("baseUrl"),
        "{message}"
    );
}

/// A configured user whose claims some credential configuration could not carry is refused
/// at start, naming the user (the engine would otherwise find it only at that user's
/// consent): a mistyped mDL element, and a claim the SD-JWT VC sets itself.
#[test]
fn a_user_whose_claims_no_credential_could_carry_is_refused_at_start() {
    let start = |config: IssuerConfig| {
        let clock: std::sync::Arc<dyn examples::clock::Clock> = std::sync::Arc::new(
            examples::clock::ManualClock::new(UnixTime::from_secs(START)),
        );
        examples::issuer::IssuerState::new(
            config,
            "http://127.0.0.1:8080".to_owned(),
            examples::keystore::Keystore::new(),
            clock,
        )
        .map(drop)
        .map_err(|e| e.to_string())
    };
    let plain = || {
        let mut config = IssuerConfig::default_config();
        config.key_attestation_config = None;
        config.keystore = None;
        config.client_attestation_config = None;
        config
            .credential_configurations
            .retain(|c| c.key_attestations_required.is_none());
        config
    };
    assert_eq!(start(plain()), Ok(()));
    let mut mistyped = plain();
    mistyped.users[0]
        .mdoc_claims
        .insert("age_over_18".into(), "yes".into());
    assert_eq!(
        start(mistyped),
        Err("configuration: users[0] (erika): the claims cannot be issued as mDL: invalid data element 'age_over_18': expected a JSON boolean".to_owned())
    );
    let mut reserved = plain();
    reserved.users[0]
        .claims
        .insert("cnf".into(), serde_json::json!({"jkt": "x"}));
    assert_eq!(
        start(reserved),
        Err("configuration: users[0] (erika): the claims cannot be issued as IdentityCredential: claim 'cnf' is reserved here and cannot be set directly".to_owned())
    );
}
