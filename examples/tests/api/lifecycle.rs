//! Revocation, refresh, metadata and the admin API.

use examples::config::IssuerConfig;
use examples::narrate::Narrator;
use examples::wallet::Wallet;
use serde_json::json;
use status_list::Status;

use crate::common::TestEnv;

#[test]
fn revoked_credential_reads_invalid_from_the_served_status_list() {
    let t = TestEnv::start();
    let wallet = t.wallet();
    let (uri, _, _) = t.offer(false);
    let outcome = wallet.run_offer(&uri, None, 2).unwrap();
    let admin = format!("{}/admin", t.env.issuer_url);
    let listed = wallet
        .http
        .get("list", &format!("{admin}/credentials"))
        .unwrap();
    let list = listed.body["credentials"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    let target = &outcome.credentials[0];
    let entry = list
        .iter()
        .find(|c| c["status_list"]["idx"] == target.status_idx)
        .unwrap();
    assert_eq!(entry["status"], "VALID");
    assert_eq!(entry["credential_configuration_id"], "IdentityCredential");
    let id = entry["credential_id"].as_str().unwrap();
    let revoked = wallet
        .http
        .post_json(
            "revoke",
            &format!("{admin}/revoke"),
            &json!({"credential_id": id}),
            &[],
        )
        .unwrap();
    assert_eq!(revoked.status, 200);
    assert_eq!(revoked.body["status"], "INVALID");
    let again = wallet
        .verify_credential(&outcome.info, &target.compact)
        .unwrap();
    assert_eq!(again.status, Status::INVALID);
    let other = wallet
        .verify_credential(&outcome.info, &outcome.credentials[1].compact)
        .unwrap();
    assert_eq!(other.status, Status::VALID);
    let unknown = wallet
        .http
        .post_json(
            "revoke",
            &format!("{admin}/revoke"),
            &json!({"credential_id": "nope"}),
            &[],
        )
        .unwrap();
    assert_eq!(unknown.status, 404);
}

/// A refresh token bound to nothing (no DPoP key, no attested instance: a wallet the lenient
/// default let in without an attestation) rotates on every use, and presenting a rotated one
/// again revokes the family (RFC 9700 §4.14.2).
#[test]
fn refresh_rotates_and_reuse_revokes_the_family() {
    let t = TestEnv::lenient();
    let wallet = Wallet::new(t.clock.clone(), Narrator::quiet()).unwrap();
    let (info, tokens) = t.tokens(&wallet);
    let first = tokens.refresh_token.unwrap();
    let refreshed = wallet.refresh(&info, &first).unwrap();
    let second = refreshed.refresh_token.clone().unwrap();
    assert_ne!(first, second);
    assert_ne!(tokens.access_token, refreshed.access_token);
    // Reusing the rotated token: invalid_grant, and the whole family dies.
    let headers = wallet.token_headers(&info).unwrap();
    let reuse = wallet
        .post_token(
            &info,
            &[("grant_type", "refresh_token"), ("refresh_token", &first)],
            &headers,
        )
        .unwrap();
    assert_eq!(reuse.status, 400);
    assert_eq!(reuse.error_code(), Some("invalid_grant"));
    let headers = wallet.token_headers(&info).unwrap();
    let current = wallet
        .post_token(
            &info,
            &[("grant_type", "refresh_token"), ("refresh_token", &second)],
            &headers,
        )
        .unwrap();
    assert_eq!(current.error_code(), Some("invalid_grant"));
    let nonce = wallet.nonce(&info).unwrap();
    let proof = wallet
        .proof(&info.issuer, &wallet.new_holder_key().unwrap(), &nonce)
        .unwrap();
    let body = examples::wallet::credential_request_body("IdentityCredential", &[proof]);
    let reply = wallet
        .post_authorized(
            "credential",
            info.credential_endpoint().unwrap(),
            &refreshed,
            &body,
        )
        .unwrap();
    assert_eq!(reply.status, 401);
    assert_eq!(reply.error_code(), Some("invalid_token"));
}

/// A refresh token bound to an attested wallet instance is not rotated (FAPI 2.0 SP §5.3.2.1,
/// HAIP 1.0 §4): each refresh answers with the same token, which a wallet that lost an answer
/// can send again. It is not bound to the DPoP key (RFC 9449 §5: the instance proves itself
/// at every refresh), so a new DPoP key works; without the instance's attestation, or without
/// any DPoP proof (the grant started with DPoP), it is refused, and stays usable.
#[test]
fn an_attested_refresh_token_is_kept_and_works_again_with_a_new_dpop_key() {
    // Lenient, so the request without an attestation reaches the grant's binding.
    let t = TestEnv::lenient();
    let wallet = t.wallet().with_dpop().unwrap();
    let (info, tokens) = t.tokens(&wallet);
    assert_eq!(tokens.token_type, "DPoP");
    let refresh_token = tokens.refresh_token.unwrap();
    let first = wallet.refresh(&info, &refresh_token).unwrap();
    assert_eq!(first.refresh_token.as_deref(), Some(refresh_token.as_str()));
    assert_ne!(first.access_token, tokens.access_token);
    // Same instance and attestation, a new DPoP key.
    let wallet = wallet.with_dpop().unwrap();
    let again = wallet.refresh(&info, &refresh_token).unwrap();
    assert_eq!(again.refresh_token.as_deref(), Some(refresh_token.as_str()));
    assert_eq!(again.token_type, "DPoP");
    assert_ne!(again.access_token, first.access_token);
    let dpop_only: Vec<(String, String)> = wallet
        .token_headers(&info)
        .unwrap()
        .into_iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("dpop"))
        .collect();
    assert_eq!(dpop_only.len(), 1);
    let unattested = wallet
        .post_token(
            &info,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &refresh_token),
            ],
            &dpop_only,
        )
        .unwrap();
    assert_eq!(unattested.status, 400);
    assert_eq!(unattested.error_code(), Some("invalid_grant"));
    // The grant started with DPoP: attested but without a DPoP proof, no Bearer token.
    let without_proof = wallet
        .post_token(
            &info,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &refresh_token),
            ],
            &wallet.client_auth_headers(&info).unwrap(),
        )
        .unwrap();
    assert_eq!(without_proof.status, 400);
    assert_eq!(without_proof.error_code(), Some("invalid_grant"));
    assert_eq!(
        without_proof.str("error_description"),
        Some("the grant's access tokens are DPoP-bound: a refresh needs a DPoP proof")
    );
    assert!(wallet.refresh(&info, &refresh_token).is_ok());
}

#[test]
fn refresh_requires_the_same_attested_instance_key() {
    let t = TestEnv::start();
    let wallet = t.wallet();
    let (info, tokens) = t.tokens(&wallet);
    let other = t.wallet();
    let reply = other
        .post_token(
            &info,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", tokens.refresh_token.as_deref().unwrap()),
            ],
            &other.token_headers(&info).unwrap(),
        )
        .unwrap();
    assert_eq!(reply.error_code(), Some("invalid_grant"));
    assert!(
        wallet
            .refresh(&info, tokens.refresh_token.as_deref().unwrap())
            .is_ok()
    );
}

#[test]
fn metadata_documents() {
    let t = TestEnv::start();
    let wallet = t.wallet();
    let info = wallet.discover(&t.env.issuer_url).unwrap();
    let base = &t.env.issuer_url;
    assert_eq!(info.metadata["credential_issuer"], base.as_str());
    assert_eq!(info.metadata["batch_credential_issuance"]["batch_size"], 3);
    let config = &info.metadata["credential_configurations_supported"]["IdentityCredential"];
    assert_eq!(config["format"], "dc+sd-jwt");
    assert_eq!(
        info.as_metadata["token_endpoint_auth_methods_supported"],
        json!(["attest_jwt_client_auth"])
    );
    assert_eq!(
        info.as_metadata["client_attestation_signing_alg_values_supported"][0],
        "ES256"
    );
    assert!(info.as_metadata.get("challenge_endpoint").is_none());
    let jwks = wallet
        .http
        .get("jwks", &format!("{base}/.well-known/jwt-vc-issuer"))
        .unwrap();
    assert_eq!(jwks.body["issuer"], base.as_str());
    assert_eq!(jwks.body["jwks"]["keys"][0]["kid"], t.env.issuer.kid());
    let nonce = wallet
        .http
        .post_json(
            "nonce",
            &format!("{base}/nonce"),
            &serde_json::Value::Null,
            &[],
        )
        .unwrap();
    assert_eq!(nonce.header("cache-control"), Some("no-store"));
    let anchors = wallet
        .http
        .get("anchors", &format!("{base}/admin/trust-anchors"))
        .unwrap();
    // One generated root each for SD-JWT VCs and mdocs; kms-key trusts no attester root.
    let issuer_anchors = &t.env.issuer.trust_anchors;
    assert_eq!(
        anchors.body,
        json!({
            "credential_issuer": issuer_anchors.credential_issuer,
            "mdoc_iaca": issuer_anchors.mdoc_iaca,
            "attester": []
        })
    );
    for name in ["credential_issuer", "mdoc_iaca"] {
        let roots = anchors.body[name].as_array().unwrap();
        assert_eq!(roots.len(), 1, "{name}");
        assert!(
            roots[0]
                .as_str()
                .unwrap()
                .starts_with("-----BEGIN CERTIFICATE-----\n"),
            "{name}"
        );
    }
    assert_ne!(anchors.body["credential_issuer"], anchors.body["mdoc_iaca"]);
    let missing = wallet
        .http
        .get("status", &format!("{base}/status-lists/99"))
        .unwrap();
    assert_eq!(missing.status, 404);
    assert_eq!(missing.error_code(), Some("not_found"));
}

#[test]
fn default_config_round_trips_and_refuses_unknown_members() {
    let text = IssuerConfig::default_config().to_json().unwrap();
    let parsed = IssuerConfig::from_json(&text).unwrap();
    assert_eq!(parsed.to_json().unwrap(), text);
    let bad = text.replacen("\"batchSize\"", "\"batchSise\"", 1);
    assert!(matches!(
        IssuerConfig::from_json(&bad),
        Err(examples::error::DemoError::Config(_))
    ));
    // An mdoc claim label's path is [name space, element]; the error names its place.
    let mut config = IssuerConfig::default_config();
    let mdl = config
        .credential_configurations
        .iter_mut()
        .position(|c| c.id == examples::config::MDL_CONFIGURATION_ID)
        .unwrap();
    config.credential_configurations[mdl].claims[0]
        .path
        .truncate(1);
    let Err(examples::error::DemoError::Config(message)) = config.check() else {
        panic!("a one-name mdoc claims path was accepted")
    };
    assert!(
        message.starts_with(&format!("credentialConfigurations[{mdl}].claims[0].path")),
        "{message}"
    );
}

/// A batch is signed in one second, so its credentials carry whole hours for `iat` and `exp`
/// instead of that second (RFC 9901 §10.1): nothing in their times links them.
#[test]
fn a_batch_carries_whole_hours_not_its_issuance_second() {
    let t = TestEnv::start();
    let wallet = t.wallet();
    t.clock.advance(1_507);
    let (uri, _, _) = t.offer(false);
    let outcome = wallet.run_offer(&uri, None, 3).unwrap();
    assert_eq!(outcome.credentials.len(), 3);
    let times: Vec<(i64, i64)> = outcome
        .credentials
        .iter()
        .map(|c| {
            (
                c.claims["iat"].as_i64().unwrap(),
                c.claims["exp"].as_i64().unwrap(),
            )
        })
        .collect();
    for (iat, exp) in &times {
        assert_eq!(
            *iat,
            crate::common::START,
            "the hour the batch was signed in"
        );
        assert_eq!(exp % oid4vci_issuer::TIME_GRANULARITY_SECONDS, 0, "{exp}");
        assert!(*exp > crate::common::START + 1_507);
    }
}

/// The `iat`, `exp` and `ttl` of a served Status List Token.
fn token_times(jwt: &str) -> (i64, i64, i64) {
    let payload = jwt.split('.').nth(1).unwrap();
    let claims: serde_json::Value =
        serde_json::from_slice(&jose_core::base64url::decode(payload).unwrap()).unwrap();
    (
        claims["iat"].as_i64().unwrap(),
        claims["exp"].as_i64().unwrap(),
        claims["ttl"].as_i64().unwrap(),
    )
}

#[test]
fn status_list_token_is_signed_again_only_when_its_list_changes_or_ages() {
    let t = TestEnv::start();
    let wallet = t.wallet();
    let (uri, _, _) = t.offer(false);
    let outcome = wallet.run_offer(&uri, None, 1).unwrap();
    let status_uri = &outcome.credentials[0].status_uri;
    let fetch = || {
        let reply = wallet.http.get("status list", status_uri).unwrap();
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("cache-control"), Some("max-age=300"));
        reply.body.as_str().unwrap().to_owned()
    };
    let first = fetch();
    let (iat, exp, ttl) = token_times(&first);
    assert_eq!(iat, crate::common::START);
    assert_eq!(exp - iat, 86_400);
    assert_eq!(ttl, 300);
    // The credentials' key hints (Token Status List §11.3): the kid the JWT VC Issuer
    // Metadata publishes, and the certificate chain.
    let header = jose_core::CompactJws::parse(&first, &jose_core::Limits::default())
        .unwrap()
        .header()
        .clone();
    assert_eq!(header.kid(), Some(t.env.issuer.kid().as_str()));
    assert_eq!(header.x5c().map(<[_]>::len), Some(1));
    // A historical request (§8.4) is not served.
    let historical = wallet
        .http
        .get("status list", &format!("{status_uri}?time=1800000000"))
        .unwrap();
    assert_eq!(historical.status, 501);
    assert_eq!(historical.error_code(), Some("not_implemented"));
    // Unchanged list, a minute later: the same signed token.
    t.clock.advance(60);
    assert_eq!(fetch(), first);
    // A revocation changes the list: a new token, issued now.
    let listed = wallet
        .http
        .get("list", &format!("{}/admin/credentials", t.env.issuer_url))
        .unwrap();
    let id = listed.body["credentials"][0]["credential_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let revoked = wallet
        .http
        .post_json(
            "revoke",
            &format!("{}/admin/revoke", t.env.issuer_url),
            &json!({"credential_id": id}),
            &[],
        )
        .unwrap();
    assert_eq!(revoked.status, 200);
    let after_revocation = fetch();
    assert_ne!(after_revocation, first);
    assert_eq!(token_times(&after_revocation).0, crate::common::START + 60);
    assert_eq!(fetch(), after_revocation);
    // Within the `ttl` the unchanged list is the same token; once the `ttl` has passed it is
    // signed again (a relying party fetching again then gets a fresh `iat`).
    t.clock.advance(299);
    assert_eq!(fetch(), after_revocation);
    t.clock.advance(1);
    let aged = fetch();
    assert_ne!(aged, after_revocation);
    assert_eq!(token_times(&aged).0, crate::common::START + 60 + 300);
}
