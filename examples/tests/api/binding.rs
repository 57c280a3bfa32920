//! Issue 10 §2: every id a wallet presents is bound to the grant that created it, and the exact
//! answers to the smaller deviations an attack run found.

use examples::config::{
    DEFERRED_CONFIGURATION_ID, IDENTITY_CONFIGURATION_ID, MDL_CONFIGURATION_ID,
};
use examples::wallet::{
    IssuerInfo, PRE_AUTHORIZED_GRANT, Reply, Tokens, Wallet, credential_request_body,
};
use serde_json::{Value, json};

use crate::common::TestEnv;

/// A wallet with tokens for `configuration_id`.
fn granted(t: &TestEnv, configuration_id: &str) -> (Wallet, IssuerInfo, Tokens) {
    let wallet = t.wallet();
    let info = wallet.discover(&t.env.issuer_url).unwrap();
    let (_, _, code) = t.offer_for(configuration_id, &examples::demo::demo_claims(), false);
    let tokens = wallet.redeem(&info, &code, None).unwrap();
    (wallet, info, tokens)
}

fn credential_body(wallet: &Wallet, info: &IssuerInfo, configuration_id: &str) -> Value {
    let nonce = wallet.nonce(info).unwrap();
    let proof = wallet
        .proof(&info.issuer, &wallet.new_holder_key().unwrap(), &nonce)
        .unwrap();
    credential_request_body(configuration_id, &[proof])
}

fn post(
    wallet: &Wallet,
    info: &IssuerInfo,
    endpoint: &str,
    tokens: &Tokens,
    body: &Value,
) -> Reply {
    let url = info.endpoint(endpoint).unwrap().to_owned();
    wallet.post_authorized("test", &url, tokens, body).unwrap()
}

/// The status, error code and description of an error reply.
fn answer(reply: &Reply) -> (u16, Option<String>, Option<String>) {
    (
        reply.status,
        reply.error_code().map(str::to_owned),
        reply.str("error_description").map(str::to_owned),
    )
}

#[test]
fn another_grants_transaction_id_is_answered_as_unknown_and_left_to_its_owner() {
    let t = TestEnv::start();
    let (alice, info, alice_tokens) = granted(&t, DEFERRED_CONFIGURATION_ID);
    let body = credential_body(&alice, &info, DEFERRED_CONFIGURATION_ID);
    let reply = post(&alice, &info, "credential_endpoint", &alice_tokens, &body);
    assert_eq!(reply.status, 202);
    let tx = json!({"transaction_id": reply.str("transaction_id").unwrap()});
    t.clock.advance(1);

    // Mallory holds a valid token of another grant, for another configuration, and for the
    // same configuration: both are answered exactly as for an id that never existed.
    let unknown = post(
        &alice,
        &info,
        "deferred_credential_endpoint",
        &alice_tokens,
        &json!({"transaction_id": "never-issued"}),
    );
    assert_eq!(unknown.status, 400);
    assert_eq!(unknown.error_code(), Some("invalid_transaction_id"));
    for configuration in [IDENTITY_CONFIGURATION_ID, DEFERRED_CONFIGURATION_ID] {
        let (mallory, _, mallory_tokens) = granted(&t, configuration);
        let stolen = post(
            &mallory,
            &info,
            "deferred_credential_endpoint",
            &mallory_tokens,
            &tx,
        );
        assert_eq!(answer(&stolen), answer(&unknown), "{configuration}");
    }

    // Alice still collects her credential.
    let ready = post(
        &alice,
        &info,
        "deferred_credential_endpoint",
        &alice_tokens,
        &tx,
    );
    assert_eq!(ready.status, 200, "{}", ready.body);
    let credential = ready.body["credentials"][0]["credential"].as_str().unwrap();
    assert!(alice.verify_credential(&info, credential).is_ok());
    assert!(ready.str("notification_id").is_some());
}

#[test]
fn another_grants_notification_id_is_answered_as_unknown() {
    let t = TestEnv::start();
    let alice = t.wallet();
    let (uri, _, _) = t.offer(false);
    let outcome = alice.run_offer(&uri, None, 1).unwrap();
    let notification_id = outcome.notification_id.clone().unwrap();
    let info = outcome.info.clone();
    let event = |id: &str| json!({"notification_id": id, "event": "credential_deleted"});

    let (mallory, _, mallory_tokens) = granted(&t, IDENTITY_CONFIGURATION_ID);
    let unknown = post(
        &mallory,
        &info,
        "notification_endpoint",
        &mallory_tokens,
        &event("never-issued"),
    );
    assert_eq!(unknown.status, 400);
    assert_eq!(unknown.error_code(), Some("invalid_notification_id"));
    let stolen = post(
        &mallory,
        &info,
        "notification_endpoint",
        &mallory_tokens,
        &event(&notification_id),
    );
    assert_eq!(answer(&stolen), answer(&unknown));

    let accepted = json!({"notification_id": notification_id, "event": "credential_accepted"});
    let own = post(
        &alice,
        &info,
        "notification_endpoint",
        &outcome.tokens,
        &accepted,
    );
    assert_eq!(own.status, 204);
}

#[test]
fn authorization_details_yield_credential_identifiers_bound_to_the_grant() {
    // OpenID4VCI 1.0 as written: no reading of pre-1.0 request shapes (the default reads a
    // bare configuration id with one identifier as that identifier, with a warning).
    let t = TestEnv::with(None, |config| {
        config.accept_draft_credential_requests = false;
    });
    let wallet = t.wallet();
    let info = wallet.discover(&t.env.issuer_url).unwrap();
    let (_, _, code) = t.offer(false);
    let details = json!([{"type": "openid_credential", "credential_configuration_id": IDENTITY_CONFIGURATION_ID}]).to_string();
    let form = [
        ("grant_type", PRE_AUTHORIZED_GRANT),
        ("pre-authorized_code", code.as_str()),
        ("authorization_details", details.as_str()),
    ];
    let reply = wallet
        .post_token(&info, &form, &wallet.token_headers(&info).unwrap())
        .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    let detail = &reply.body["authorization_details"][0];
    assert_eq!(detail["type"], "openid_credential");
    assert_eq!(
        detail["credential_configuration_id"],
        IDENTITY_CONFIGURATION_ID
    );
    let identifier = detail["credential_identifiers"][0]
        .as_str()
        .unwrap()
        .to_owned();
    let mut tokens = t.tokens(&wallet).1;
    tokens.access_token = reply.str("access_token").unwrap().to_owned();
    tokens.token_type = reply.str("token_type").unwrap().to_owned();

    // With identifiers handed out, a bare configuration id is refused ...
    let by_configuration = credential_body(&wallet, &info, IDENTITY_CONFIGURATION_ID);
    let refused = post(
        &wallet,
        &info,
        "credential_endpoint",
        &tokens,
        &by_configuration,
    );
    assert_eq!(refused.status, 400);
    assert_eq!(refused.error_code(), Some("invalid_credential_request"));

    // ... another grant cannot use the identifier ...
    let mut by_identifier = credential_body(&wallet, &info, IDENTITY_CONFIGURATION_ID);
    let map = by_identifier.as_object_mut().unwrap();
    map.remove("credential_configuration_id");
    map.insert("credential_identifier".into(), identifier.clone().into());
    let (mallory, _, mallory_tokens) = granted(&t, IDENTITY_CONFIGURATION_ID);
    let stolen = post(
        &mallory,
        &info,
        "credential_endpoint",
        &mallory_tokens,
        &by_identifier,
    );
    assert_eq!(stolen.status, 400);
    assert_eq!(stolen.error_code(), Some("unknown_credential_identifier"));

    // ... and its own grant gets the credential by identifier.
    let issued = post(
        &wallet,
        &info,
        "credential_endpoint",
        &tokens,
        &by_identifier,
    );
    assert_eq!(issued.status, 200, "{}", issued.body);
    let credential = issued.body["credentials"][0]["credential"]
        .as_str()
        .unwrap();
    assert!(wallet.verify_credential(&info, credential).is_ok());
}

#[test]
fn authorization_details_for_a_configuration_outside_the_grant_are_refused() {
    let t = TestEnv::start();
    let wallet = t.wallet();
    let info = wallet.discover(&t.env.issuer_url).unwrap();
    let (_, _, code) = t.offer(false);
    let details =
        json!([{"type": "openid_credential", "credential_configuration_id": MDL_CONFIGURATION_ID}])
            .to_string();
    let form = [
        ("grant_type", PRE_AUTHORIZED_GRANT),
        ("pre-authorized_code", code.as_str()),
        ("authorization_details", details.as_str()),
    ];
    let reply = wallet
        .post_token(&info, &form, &wallet.token_headers(&info).unwrap())
        .unwrap();
    assert_eq!(reply.status, 400);
    assert_eq!(reply.error_code(), Some("invalid_authorization_details"));
}

#[test]
fn response_encryption_in_a_plaintext_request_is_invalid_encryption_parameters() {
    let t = TestEnv::start();
    let (wallet, info, tokens) = granted(&t, IDENTITY_CONFIGURATION_ID);
    let mut body = credential_body(&wallet, &info, IDENTITY_CONFIGURATION_ID);
    let jwk = wallet.instance_jwk();
    body.as_object_mut().unwrap().insert(
        "credential_response_encryption".into(),
        json!({"jwk": jwk.to_value(), "enc": "A128GCM"}),
    );
    let reply = post(&wallet, &info, "credential_endpoint", &tokens, &body);
    assert_eq!(reply.status, 400);
    assert_eq!(reply.error_code(), Some("invalid_encryption_parameters"));
    // The demo issuer offers encryption; §8.2 then requires the request itself to be a JWE.
    assert_eq!(
        reply.str("error_description"),
        Some("credential_response_encryption requires an encrypted credential request")
    );
    assert!(reply.body.get("credentials").is_none());
}

#[test]
fn insufficient_scope_and_invalid_token_carry_www_authenticate() {
    let t = TestEnv::start();
    let (wallet, info, tokens) = granted(&t, IDENTITY_CONFIGURATION_ID);
    let body = credential_body(&wallet, &info, MDL_CONFIGURATION_ID);
    let reply = post(&wallet, &info, "credential_endpoint", &tokens, &body);
    assert_eq!(reply.status, 403);
    assert_eq!(reply.error_code(), Some("insufficient_scope"));
    let challenge = reply.header("www-authenticate").unwrap();
    assert!(
        challenge.starts_with("Bearer error=\"insufficient_scope\""),
        "{challenge}"
    );

    let mut forged = tokens.clone();
    forged.access_token = "not-a-token".into();
    let body = credential_body(&wallet, &info, IDENTITY_CONFIGURATION_ID);
    let reply = post(&wallet, &info, "credential_endpoint", &forged, &body);
    assert_eq!(reply.status, 401);
    assert_eq!(reply.error_code(), Some("invalid_token"));
    let challenge = reply.header("www-authenticate").unwrap();
    assert!(
        challenge.starts_with("Bearer error=\"invalid_token\""),
        "{challenge}"
    );

    // No credentials at all: the challenge names the schemes, and no error (RFC 6750 §3.1).
    let bare = wallet
        .http
        .post_json(
            "credential",
            info.credential_endpoint().unwrap(),
            &body,
            &[],
        )
        .unwrap();
    assert_eq!(bare.status, 401);
    assert_eq!(
        bare.header("www-authenticate"),
        Some("Bearer, DPoP algs=\"ES256 ES384 ES512 EdDSA\"")
    );
}

#[test]
fn an_unknown_grant_type_is_unsupported_grant_type() {
    let t = TestEnv::start();
    let wallet = t.wallet();
    let info = wallet.discover(&t.env.issuer_url).unwrap();
    let headers = wallet.token_headers(&info).unwrap();
    let reply = wallet
        .post_token(
            &info,
            &[("grant_type", "urn:example:password-ish")],
            &headers,
        )
        .unwrap();
    assert_eq!(reply.status, 400);
    assert_eq!(reply.error_code(), Some("unsupported_grant_type"));
}

#[test]
fn a_duplicated_or_malformed_dpop_header_at_token_is_invalid_dpop_proof() {
    let t = TestEnv::start();
    let wallet = t.wallet().with_dpop().unwrap();
    let info = wallet.discover(&t.env.issuer_url).unwrap();
    let (_, _, code) = t.offer(false);
    let form = [
        ("grant_type", PRE_AUTHORIZED_GRANT),
        ("pre-authorized_code", code.as_str()),
    ];
    let headers = wallet.token_headers(&info).unwrap();
    let dpop = headers.iter().find(|(n, _)| n == "DPoP").unwrap().1.clone();

    let mut twice = headers.clone();
    twice.push(("DPoP".into(), dpop));
    let reply = wallet.post_token(&info, &form, &twice).unwrap();
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert_eq!(reply.error_code(), Some("invalid_dpop_proof"));

    let mut malformed: Vec<(String, String)> =
        headers.into_iter().filter(|(n, _)| n != "DPoP").collect();
    malformed.push(("DPoP".into(), "not.a.jwt".into()));
    let reply = wallet.post_token(&info, &form, &malformed).unwrap();
    assert_eq!(reply.status, 400);
    assert_eq!(reply.error_code(), Some("invalid_dpop_proof"));

    // Neither burnt the code.
    assert!(wallet.redeem(&info, &code, None).is_ok());
}

#[test]
fn a_dpop_proof_defect_at_credential_is_invalid_dpop_proof_with_a_dpop_challenge() {
    let t = TestEnv::start();
    let wallet = t.wallet().with_dpop().unwrap();
    let info = wallet.discover(&t.env.issuer_url).unwrap();
    let (_, _, code) = t.offer(false);
    let tokens = wallet.redeem(&info, &code, None).unwrap();
    assert_eq!(tokens.token_type, "DPoP");
    let body = credential_body(&wallet, &info, IDENTITY_CONFIGURATION_ID);
    let url = info.credential_endpoint().unwrap().to_owned();
    let authorization = format!("DPoP {}", tokens.access_token);
    let reply = wallet
        .http
        .post_json(
            "credential",
            &url,
            &body,
            &[("Authorization", &authorization), ("DPoP", "not.a.jwt")],
        )
        .unwrap();
    assert_eq!(reply.status, 401);
    assert_eq!(reply.error_code(), Some("invalid_dpop_proof"));
    let challenge = reply.header("www-authenticate").unwrap();
    assert!(
        challenge.starts_with("DPoP error=\"invalid_dpop_proof\""),
        "{challenge}"
    );
    // RFC 9449 §7.1: a DPoP challenge names the accepted algorithms.
    assert!(
        challenge.ends_with(", algs=\"ES256 ES384 ES512 EdDSA\""),
        "{challenge}"
    );
}

#[test]
fn a_credential_request_that_is_not_application_json_is_refused() {
    let t = TestEnv::start();
    let (wallet, info, tokens) = granted(&t, IDENTITY_CONFIGURATION_ID);
    let body = credential_body(&wallet, &info, IDENTITY_CONFIGURATION_ID).to_string();
    let url = info.credential_endpoint().unwrap().to_owned();
    let authorization = format!("{} {}", tokens.token_type, tokens.access_token);
    for content_type in ["text/plain", "application/x-www-form-urlencoded"] {
        let reply = wallet
            .http
            .post_raw(
                "credential",
                &url,
                body.as_bytes(),
                &[
                    ("Authorization", &authorization),
                    ("Content-Type", content_type),
                ],
            )
            .unwrap();
        assert_eq!(reply.status, 400, "{content_type}");
        assert_eq!(reply.error_code(), Some("invalid_credential_request"));
    }
    // With a charset parameter it is accepted.
    let reply = wallet
        .http
        .post_raw(
            "credential",
            &url,
            body.as_bytes(),
            &[
                ("Authorization", &authorization),
                ("Content-Type", "application/json; charset=utf-8"),
            ],
        )
        .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
}
